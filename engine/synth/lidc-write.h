/* engine/synth/lidc-write.h — writing an LIDC-style reading file (LidcReadMessage, namespace
 * http://www.nih.gov) from the same lt_lidc_doc that ct/lidc.h parses: a ResponseHeader with the
 * series and study UIDs, one readingSession per reader (annotationVersion,
 * servicingRadiologistID), one unblindedReadNodule per mark (noduleID, characteristics when it
 * has them, one roi per contour with imageZposition, imageSOP_UID, inclusion and the edgeMap
 * points), and nonNodule entries. libxml2's text writer does the escaping. Reads nothing. */
#ifndef LT_SYNTH_LIDC_WRITE_H
#define LT_SYNTH_LIDC_WRITE_H

#include "ct/lidc.h"
#include "lt-error.h"

int lt_lidc_write_file(const lt_lidc_doc *doc, const char *path, lt_error *err);

#endif
