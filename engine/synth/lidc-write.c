/* engine/synth/lidc-write.c — see lidc-write.h. */
#include "synth/lidc-write.h"
#include "lt-locale.h"

#include <libxml/xmlwriter.h>
#include <math.h>
#include <stdio.h>

#define W(call)            \
  do {                     \
    if ((call) < 0) goto fail; \
  } while (0)

static int elem(xmlTextWriterPtr w, const char *name, const char *text) {
  return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

static int elem_num(xmlTextWriterPtr w, const char *name, double v) {
  char buf[64];
  if (v == floor(v) && fabs(v) < 1e9) lt_snprintf_c(buf, sizeof buf, "%.0f", v);
  else lt_snprintf_c(buf, sizeof buf, "%.3f", v); /* '.' under a comma locale too */
  return elem(w, name, buf);
}

int lt_lidc_write_file(const lt_lidc_doc *doc, const char *path, lt_error *err) {
  xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
  if (!w) return lt_error_set(err, "cannot write %s", path), -1;
  xmlTextWriterSetIndent(w, 1);
  W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
  W(xmlTextWriterStartElement(w, BAD_CAST "LidcReadMessage"));
  W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST "http://www.nih.gov"));
  W(xmlTextWriterStartElement(w, BAD_CAST "ResponseHeader"));
  W(elem(w, "Version", "1.8.1"));
  W(elem(w, "SeriesInstanceUid", doc->series_uid));
  W(elem(w, "StudyInstanceUID", doc->study_uid));
  W(xmlTextWriterEndElement(w));
  for (int r = 0; r < doc->n_readers; r++) {
    const lt_lidc_reader *rd = &doc->readers[r];
    W(xmlTextWriterStartElement(w, BAD_CAST "readingSession"));
    W(elem(w, "annotationVersion", rd->annotation_version));
    W(elem(w, "servicingRadiologistID", rd->radiologist_id));
    for (int m = 0; m < rd->n_marks; m++) {
      const lt_lidc_mark *mk = &rd->marks[m];
      W(xmlTextWriterStartElement(w, BAD_CAST "unblindedReadNodule"));
      W(elem(w, "noduleID", mk->id));
      if (mk->has_characteristics) {
        W(xmlTextWriterStartElement(w, BAD_CAST "characteristics"));
        for (int c = 0; c < LT_LIDC_NCHAR; c++)
          if (mk->ratings[c] > 0) W(elem_num(w, lt_lidc_char_names[c], mk->ratings[c]));
        W(xmlTextWriterEndElement(w));
      }
      for (int k = 0; k < mk->n_rois; k++) {
        const lt_lidc_roi *roi = &mk->rois[k];
        W(xmlTextWriterStartElement(w, BAD_CAST "roi"));
        if (isfinite(roi->z)) W(elem_num(w, "imageZposition", roi->z));
        W(elem(w, "imageSOP_UID", roi->sop_uid));
        W(elem(w, "inclusion", roi->inclusion ? "TRUE" : "FALSE"));
        for (int p = 0; p < roi->n_points; p++) {
          W(xmlTextWriterStartElement(w, BAD_CAST "edgeMap"));
          W(elem_num(w, "xCoord", roi->points[p].x));
          W(elem_num(w, "yCoord", roi->points[p].y));
          W(xmlTextWriterEndElement(w));
        }
        W(xmlTextWriterEndElement(w));
      }
      W(xmlTextWriterEndElement(w));
    }
    for (int k = 0; k < rd->n_non_nodules; k++) {
      const lt_lidc_non_nodule *nn = &rd->non_nodules[k];
      W(xmlTextWriterStartElement(w, BAD_CAST "nonNodule"));
      W(elem(w, "nonNoduleID", nn->id));
      if (isfinite(nn->z)) W(elem_num(w, "imageZposition", nn->z));
      W(elem(w, "imageSOP_UID", nn->sop_uid));
      W(xmlTextWriterStartElement(w, BAD_CAST "locus"));
      W(elem_num(w, "xCoord", nn->locus.x));
      W(elem_num(w, "yCoord", nn->locus.y));
      W(xmlTextWriterEndElement(w));
      W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));
  }
  W(xmlTextWriterEndElement(w));
  W(xmlTextWriterEndDocument(w));
  xmlFreeTextWriter(w);
  return 0;
fail:
  xmlFreeTextWriter(w);
  return lt_error_set(err, "cannot write %s", path), -1;
}
