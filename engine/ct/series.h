/* engine/ct/series.h — reading a DICOM CT series into a volume in Hounsfield units.
 * Finds the files (a folder searched recursively, or one file), groups them by
 * SeriesInstanceUID, picks the CT series with the most slices (or the one named), checks that
 * every slice has the same size, orientation and pixel spacing, sorts the slices along the normal
 * of ImageOrientationPatient, takes the slice spacing from the positions (reporting uneven gaps
 * and dropping duplicate positions, counted in lt_series_info), decodes the slices in parallel
 * (dicom.h: every transfer syntax, enhanced multi-frame) and converts them to HU.
 * A slice missing from the regular grid (its file absent, or unreadable and skipped) is not
 * closed up: the positions would shift by a slice from the hole on. Up to LT_SERIES_MAX_FILL
 * missing slices in a row are filled by linear interpolation between their neighbours, flagged
 * in lt_volume.slice_filled and counted in lt_series_info; a longer hole is refused.
 * lt_series_warning words what a reader of the volume must know as one line.
 * Does not resample, read LIDC XML or know any GUI. */
#ifndef LT_SERIES_H
#define LT_SERIES_H

#include <stddef.h>

#include "ct/volume.h"
#include "lt-error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  char uid[LT_UID_MAX];
  char modality[16];
  char description[64];
  int n_files;
  int n_slices;       /* frames over all its files */
  int rows, cols;
} lt_series_summary;

typedef struct {
  int n_files;              /* regular files found under the path */
  int n_skipped_unreadable; /* not DICOM, truncated, or image tags unusable */
  int n_skipped_no_image;   /* DICOM without an image (SR, ECG, ...) */
  char skip_example[256];   /* the reason for the first skipped file ("" if none) */
  int n_skipped_dicom;      /* of the unreadable: files with a DICOM preamble ("DICM"), i.e.
                               damaged DICOM rather than other files (LIDC's XML) */
  char skip_dicom_example[256]; /* the reason for the first of those ("" if none) */
  lt_series_summary *series; /* n_series entries in path order; lt_series_info_free frees */
  int n_series;
  int chosen;               /* index in series of the one read; -1 before a choice */
  int n_slices;             /* slices in the volume */
  int n_duplicates;         /* slices dropped because their position repeats the previous one */
  int n_filled;             /* slices missing from the grid, interpolated (slice_filled) */
  int n_filled_runs;        /* holes they fill (a run of adjacent missing slices is one) */
  double filled_pos[2];     /* position along the normal of the first and last filled slice */
  int n_uneven_gaps;        /* gaps that differ from the spacing by over 1% (and 0.01 mm),
                               after filling: a hole of whole slices is not one */
  double gap_min, gap_max;  /* between consecutive kept slices, mm */
  double spacing_positions; /* median gap: what the volume uses as spacing[2] */
  double slice_thickness;   /* SliceThickness tag of the first slice, for comparison */
  int hu_min, hu_max;       /* over the volume, after padding and clamping */
} lt_series_info;

/* Reads one series. path: a folder (searched recursively) or one file. series_uid: NULL for the
 * CT series with the most slices, else that series (which must be CT). info may be NULL; when
 * given it is filled as far as the read got, also on failure (free it with lt_series_info_free).
 * HU: stored value -> PixelPaddingValue (and PixelPaddingRangeLimit) become -1024, else
 * value*RescaleSlope + RescaleIntercept rounded, clamped to [-1024, 32767]. */
int lt_series_read(const char *path, const char *series_uid, lt_volume **out, lt_series_info *info,
                   lt_error *err);

/* Lists the series under path (headers only, no pixels). *out is malloc'ed, free() it. */
int lt_series_list(const char *path, lt_series_summary **out, int *n, lt_error *err);

void lt_series_info_free(lt_series_info *info);

/* One line on the spacing and what was found along the slices, for a CLI or a banner, e.g.
 * "133 slices, spacing 2.5 mm from positions (SliceThickness 2.5 mm); 1 uneven gap (2.5 to 5 mm);
 * 1 duplicate position dropped". Returns the number of problems named (filled slices + uneven
 * gaps + duplicates). */
int lt_series_info_line(const lt_series_info *info, char *buf, size_t n);

/* One line that a program must show its user (CLI: "warning: " + line on stderr; GUI: the
 * banner) whenever it returns > 0, e.g. "1 slice missing from the series (at -177.5 mm along the
 * slice normal) was filled by interpolating its neighbours: do not read findings on it; 1 damaged
 * DICOM file skipped (.../000054.dcm: truncated DICOM file ...)". It names, in this order: filled
 * slices, damaged DICOM files skipped, uneven gaps left, duplicate positions dropped. Returns the
 * number of those facts (0: nothing to say, line ""). Other skipped files (not DICOM, such as
 * LIDC's XML readings, or DICOM without an image) are not warned about. The line is cut to n - 1
 * bytes; it never holds a newline and does not start with "warning". */
int lt_series_warning(const lt_series_info *info, char *line, size_t n);

/* The longest run of adjacent missing slices filled by interpolation; a longer hole is refused
 * (interpolating over more would draw tissue nobody scanned). */
#define LT_SERIES_MAX_FILL 4

/* Worker threads used to read and decode (the number of online CPUs, 1..16). */
int lt_series_threads(void);

#ifdef __cplusplus
}
#endif

#endif
