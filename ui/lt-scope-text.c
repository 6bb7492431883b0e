/* ui/lt-scope-text.c — see lt-scope-text.h. */
#include "lt-scope-text.h"

#include <glib/gi18n.h>
#include <math.h>

const char *lt_scope_level_title(lt_scope_level l) {
  switch (l) {
  case LT_SCOPE_IN: return _("In scope");
  case LT_SCOPE_CAUTION: return _("Caution");
  case LT_SCOPE_OUT: return _("Out of scope");
  }
  return "?";
}

const char *lt_scope_level_badge(lt_scope_level l) {
  switch (l) {
  case LT_SCOPE_IN: return C_("badge", "in scope");
  case LT_SCOPE_CAUTION: return C_("badge", "caution");
  case LT_SCOPE_OUT: return C_("badge", "out of scope");
  }
  return "?";
}

char *lt_scope_reason_text(const lt_scope_reason *reason, const lt_scope_measures *m,
                           const lt_review_result *r) {
  switch (reason->code) {
  case LT_SCOPE_OUTSIDE_LUNGS:
    if (m->no_lungs)
      return g_strdup(_("No lungs were found in this series, so nothing here can be a lung "
                        "nodule."));
    if (isfinite(m->lung_contact))
      return g_strdup_printf(_("Outside the lungs: the centre lies more than %.0f mm from the "
                               "lungs and only %.0f%% of what surrounds it is lung. The model was "
                               "made for nodules inside the lungs."),
                             LT_SCOPE_LUNG_MARGIN_MM, 100 * m->lung_contact);
    return g_strdup_printf(_("Outside the lungs: the centre lies more than %.0f mm from the "
                             "lungs. The model was made for nodules inside the lungs."),
                           LT_SCOPE_LUNG_MARGIN_MM);
  case LT_SCOPE_NOT_SOLID: {
    char *s = isfinite(m->ggo_fraction) && isfinite(m->solid_fraction)
                  ? g_strdup_printf(_("Not a solid nodule: %.0f%% of it is ground-glass and "
                                      "%.0f%% solid; the model was trained on solid nodules."),
                                    100 * m->ggo_fraction, 100 * m->solid_fraction)
                  : g_strdup(_("Not a solid nodule (ground-glass or part-solid); the model was "
                               "trained on solid nodules."));
    if (isfinite(m->readers_texture)) {
      char *t = g_strdup_printf(_("%s The readers rate its texture %.1f of 5 (5 = solid)."), s,
                                m->readers_texture);
      g_free(s);
      s = t;
    }
    return s;
  }
  case LT_SCOPE_OVERSIZE:
    if (isfinite(m->extent_mm))
      return g_strdup_printf(_("Larger than the model's 32 mm field: it spans %.0f mm and "
                               "reaches the patch's border."), m->extent_mm);
    return g_strdup(_("Larger than the model's 32 mm field: it reaches the patch's border."));
  case LT_SCOPE_UNUSUAL:
    if (isfinite(m->feature_distance) && isfinite(m->feature_threshold))
      return g_strdup_printf(_("Unlike the nodules the model was trained on: its features lie "
                               "%.1f from theirs (over %.1f is unusual)."),
                             m->feature_distance, m->feature_threshold);
    return g_strdup(_("Unlike the nodules the model was trained on."));
  case LT_SCOPE_CALCIFIED:
    if (isfinite(m->calcified_fraction))
      return g_strdup_printf(_("Mostly calcified (%.0f%% of it at or above %.0f HU): a benign "
                               "pattern."), 100 * m->calcified_fraction, LT_SCOPE_CALCIFIED_HU);
    return g_strdup(_("Mostly calcified: a benign pattern."));
  case LT_SCOPE_THICK_SLICES:
    return g_strdup_printf(_("Slices %.1f mm thick, over the 3 mm the model's training data were "
                             "limited to: small nodules blur across slices."),
                           m->slice_thickness_mm);
  case LT_SCOPE_ACQUISITION:
    /* the engine lists what differs (spacing, thickness, maker) in English: kept as detail */
    return g_strdup_printf(_("The scan differs from the training data's: %s"), reason->text);
  case LT_SCOPE_COARSE_MAP:
    if (r && r->an.grid > 0 && r->nodule_mm > 0)
      return g_strdup_printf(_("The nodule (%.1f mm) spans under two cells of the model's %g mm "
                               "Grad-CAM grid: the trust checks say little here."),
                             r->nodule_mm, 32.0 / r->an.grid);
    return g_strdup(_("The nodule spans under two cells of the model's Grad-CAM grid: the trust "
                      "checks say little here."));
  case LT_SCOPE_FILLED_SLICES:
    return g_strdup(_("The patch reaches slices that were missing from the series and were "
                      "filled in."));
  case LT_SCOPE_N_CODES:
    break;
  }
  return g_strdup(reason->text); /* a code this window does not know yet: the engine's words */
}
