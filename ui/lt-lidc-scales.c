/* ui/lt-lidc-scales.c — see lt-lidc-scales.h. */
#include "lt-lidc-scales.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ct/lidc.h"

static const int lidc_index[LT_N_SHOWN_ATTRS] = {
    LT_LIDC_SUBTLETY, LT_LIDC_SPHERICITY, LT_LIDC_MARGIN,
    LT_LIDC_LOBULATION, LT_LIDC_SPICULATION, LT_LIDC_MALIGNANCY};

static const char *const names[LT_N_SHOWN_ATTRS] = {
    N_("subtlety"), N_("sphericity"), N_("margin"),
    N_("lobulation"), N_("spiculation"), N_("malignancy (rating)")};

/* Words of levels 1..5; NULL where the protocol names no word. */
static const char *const words[LT_N_SHOWN_ATTRS][5] = {
    {N_("extremely subtle"), N_("moderately subtle"), N_("fairly subtle"),
     N_("moderately obvious"), N_("obvious")},
    {N_("linear"), NULL, N_("ovoid"), NULL, N_("round")},
    {N_("poorly defined"), NULL, NULL, NULL, N_("sharp")},
    {N_("no lobulation"), NULL, NULL, NULL, N_("marked")},
    {N_("no spiculation"), NULL, NULL, NULL, N_("marked")},
    {N_("highly unlikely"), N_("moderately unlikely"), N_("indeterminate"),
     N_("moderately suspicious"), N_("highly suspicious")},
};

int lt_shown_attr_lidc_index(int i) { return lidc_index[i]; }

const char *lt_shown_attr_name(int i) { return _(names[i]); }

const char *lt_shown_attr_word(int i, double score, char *buf, size_t n) {
  if (!(score >= 0.5 && score <= 5.5)) return NULL;
  double best = INFINITY;
  int a = -1, b = -1;
  for (int l = 0; l < 5; l++) {
    if (!words[i][l]) continue;
    double d = fabs(score - (l + 1));
    if (d < best - 1e-9) {
      best = d;
      a = l;
      b = -1;
    } else if (fabs(d - best) <= 1e-9) {
      b = l;
    }
  }
  if (b < 0) return _(words[i][a]);
  /* TRANSLATORS: a score exactly between two named levels of an LIDC scale */
  g_snprintf(buf, n, _("between %s and %s"), _(words[i][a]), _(words[i][b]));
  return buf;
}
