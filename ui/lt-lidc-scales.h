/* ui/lt-lidc-scales.h — the six LIDC attributes the workstation shows and the words of their
 * scales (docs/ui.md, from the LIDC-IDRI annotation protocol): the word nearest to a score,
 * for the result panel and the similar-nodule cards. Words are marked for translation (N_) and
 * returned translated. Knows nothing of widgets. */
#ifndef LT_LIDC_SCALES_H
#define LT_LIDC_SCALES_H

#include <glib.h>

G_BEGIN_DECLS

#define LT_N_SHOWN_ATTRS 6

/* LT_LIDC_* index (ct/lidc.h) of the i-th shown attribute: subtlety, sphericity, margin,
 * lobulation, spiculation, malignancy. */
int lt_shown_attr_lidc_index(int i);
/* Translated name of the i-th shown attribute ("malignancy (rating)" for the last). */
const char *lt_shown_attr_name(int i);
/* The translated word of the scale level nearest to score (1..5). Levels without a word are
 * skipped; an exact tie between two worded levels gives "between A and B" in buf. NULL for a
 * score that is NaN or outside [0.5, 5.5]. buf: at least 128 bytes. */
const char *lt_shown_attr_word(int i, double score, char *buf, size_t n);

G_END_DECLS

#endif
