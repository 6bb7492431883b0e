/* ui/lt-result-panel.c — see lt-result-panel.h. */
#include "lt-result-panel.h"

#include <glib/gi18n.h>
#include <math.h>

#include "lt-lidc-scales.h"
#include "lt-scope-text.h"

struct _LtResultPanel {
  GtkBox parent_instance;
  GtkLabel *title_label, *model_label, *trust_label, *dice_label, *outcome_label;
  GtkLabel *ood_label;
  GtkLabel *prob_label, *prob_caption, *trust_badge, *scope_label, *scope_reasons;
  GtkLevelBar *prob_bar;
  GtkGrid *attr_grid;
  GtkProgressBar *progress;
  GtkButton *about_model_button;
  GtkLabel *model_cells[LT_N_SHOWN_ATTRS], *reader_cells[LT_N_SHOWN_ATTRS];
  gboolean has_model;
  gboolean showing; /* a result is shown */
};

G_DEFINE_FINAL_TYPE(LtResultPanel, lt_result_panel, GTK_TYPE_BOX)

/* The badges (the trust check, the scope; the nodule list's scope badges too): a tinted
 * rounded box with the theme's success / warning / error text colour, so the verdict reads at a
 * glance and not only by colour (the words say it too). */
static void install_css(void) {
  static gboolean done;
  GdkDisplay *d = gdk_display_get_default();
  if (done || !d) return;
  done = TRUE;
  GtkCssProvider *p = gtk_css_provider_new();
  gtk_css_provider_load_from_data(p,
      ".lt-badge { border-radius: 4px; padding: 1px 6px; font-weight: bold; }\n"
      ".lt-badge.success { background-color: rgba(38, 162, 105, 0.18); }\n"
      ".lt-badge.warning { background-color: rgba(229, 165, 10, 0.22); }\n"
      ".lt-badge.error { background-color: rgba(224, 27, 36, 0.18); }\n"
      ".lt-badge.dim-label { background-color: rgba(128, 128, 128, 0.15); }\n"
      ".lt-verdict { padding: 6px; border-radius: 6px; background-color: rgba(128, 128, 128, 0.08); }\n",
      -1);
  gtk_style_context_add_provider_for_display(d, GTK_STYLE_PROVIDER(p),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_unref(p);
}

void lt_badge_set_level(GtkWidget *w, int level) {
  static const char *const cls[] = {"success", "warning", "error", "dim-label"};
  for (size_t i = 0; i < G_N_ELEMENTS(cls); i++) gtk_widget_remove_css_class(w, cls[i]);
  if (level >= 0 && level <= 2) gtk_widget_add_css_class(w, cls[level]);
  if (level < 0) gtk_widget_add_css_class(w, "dim-label");
}

/* One line of what the panel shows, for the log (the GUI tests read it): the subject, the
 * verdict, the trust badge and the scope. */
static void log_shown(LtResultPanel *self) {
  g_autofree char *prob = NULL;
  const char *markup = gtk_label_get_label(self->prob_label);
  pango_parse_markup(markup, -1, 0, NULL, &prob, NULL, NULL);
  g_message("result panel shows [%s]: %s %s | %s | %s %s", gtk_label_get_text(self->title_label),
            prob ? prob : "", gtk_label_get_text(self->prob_caption),
            gtk_widget_get_visible(GTK_WIDGET(self->trust_badge))
                ? gtk_label_get_text(self->trust_badge) : "-",
            gtk_widget_get_visible(GTK_WIDGET(self->scope_label))
                ? gtk_label_get_text(self->scope_label) : "-",
            gtk_widget_get_visible(GTK_WIDGET(self->scope_reasons))
                ? gtk_label_get_text(self->scope_reasons) : "");
}

/* The verdict area before any result: not analysed yet, or no model to analyse with. */
static void verdict_empty(LtResultPanel *self) {
  self->showing = FALSE;
  gtk_label_set_markup(self->prob_label, "<span size=\"x-large\" weight=\"bold\">—</span>");
  gtk_level_bar_set_value(self->prob_bar, 0);
  gtk_widget_set_sensitive(GTK_WIDGET(self->prob_bar), FALSE);
  gtk_widget_set_opacity(GTK_WIDGET(self->prob_bar), 1.0);
  gtk_label_set_text(self->prob_caption,
                     self->has_model ? _("Not analysed yet: A analyses the nodule under the "
                                         "crosshair.")
                                     : _("No model is loaded: nothing can be analysed."));
  gtk_widget_set_visible(GTK_WIDGET(self->trust_badge), FALSE);
  gtk_widget_set_visible(GTK_WIDGET(self->scope_label), FALSE);
  gtk_widget_set_visible(GTK_WIDGET(self->scope_reasons), FALSE);
  gtk_label_set_text(self->trust_label, self->has_model ? _("Trust check: not analysed yet")
                                                        : _("Trust check: no model"));
  gtk_label_set_text(self->dice_label, "");
  gtk_widget_set_visible(GTK_WIDGET(self->ood_label), FALSE);
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) {
    gtk_label_set_text(self->model_cells[i], "—");
    gtk_widget_remove_css_class(GTK_WIDGET(self->model_cells[i]), "dim-label");
  }
}

void lt_result_panel_set_model(LtResultPanel *self, const char *model) {
  char *t = model ? g_strdup_printf(_("Model: %s"), model)
                  : g_strdup(_("No model is loaded: the probability, the model's attributes and "
                               "the trust check need a model file in resources/models/."));
  gtk_label_set_text(self->model_label, t);
  g_free(t);
  self->has_model = model != NULL;
  if (!self->showing) verdict_empty(self);
}

static void clear_all(LtResultPanel *self) {
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) gtk_label_set_text(self->reader_cells[i], "—");
  verdict_empty(self);
  gtk_label_set_text(self->outcome_label, "");
  gtk_widget_set_visible(GTK_WIDGET(self->outcome_label), FALSE);
}

void lt_result_panel_show_nodule(LtResultPanel *self, const LtNoduleSummary *n) {
  clear_all(self);
  if (!n) {
    gtk_label_set_text(self->title_label, _("No nodule selected"));
    return;
  }
  char *t = n->db_only ? g_strdup_printf(_("Database nodule %lld · %.1f mm"),
                                         (long long)n->db_id, n->diameter_mm)
                       : n->large ? g_strdup_printf(_("Nodule %s · %.1f mm · %d reader(s)"), n->id,
                                                    n->diameter_mm, n->n_readers)
                                  : g_strdup_printf(_("Nodule %s · under 3 mm · %d reader(s)"),
                                                    n->id, n->n_readers);
  gtk_label_set_text(self->title_label, t);
  g_free(t);
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) {
    int c = lt_shown_attr_lidc_index(i);
    GString *s = g_string_new(NULL);
    for (int r = 0; r < n->n_rated; r++)
      if (n->ratings[r][c] > 0) g_string_append_printf(s, "%s%d", s->len ? " " : "", n->ratings[r][c]);
    if (!isnan(n->mean_ratings[c])) {
      char buf[128];
      const char *w = lt_shown_attr_word(i, n->mean_ratings[c], buf, sizeof buf);
      g_string_append_printf(s, "  (%.1f, %s)", n->mean_ratings[c], w ? w : "?");
    }
    gtk_label_set_text(self->reader_cells[i], s->len ? s->str : _("not rated"));
    g_string_free(s, TRUE);
  }
}

/* The trust check against the model's own mask, as a badge. */
static void set_trust_badge(LtResultPanel *self, const lt_analysis *an, gboolean out) {
  const lt_trust *tr = &an->trust_own;
  const char *t;
  int level;
  if (!an->has_seg) {
    t = _("trust: no mask");
    level = -1;
  } else if (an->cam_flat || !tr->valid) {
    t = _("trust: not possible");
    level = -1;
  } else {
    t = tr->pass ? _("trust PASS") : _("trust FAIL");
    level = tr->pass ? 0 : 2;
  }
  gtk_label_set_text(self->trust_badge, t);
  lt_badge_set_level(GTK_WIDGET(self->trust_badge), out ? -1 : level);
  gtk_widget_set_visible(GTK_WIDGET(self->trust_badge), TRUE);
}

/* The scope decision in words: its level, then one sentence per reason. */
static void set_scope(LtResultPanel *self, const lt_review_result *rr) {
  const lt_scope *sc = &rr->scope;
  char *title = sc->level == LT_SCOPE_OUT
                    ? g_strdup_printf(_("%s: the model's numbers are not a verdict"),
                                      lt_scope_level_title(sc->level))
                    : g_strdup(lt_scope_level_title(sc->level));
  gtk_label_set_text(self->scope_label, title);
  g_free(title);
  lt_badge_set_level(GTK_WIDGET(self->scope_label), sc->level);
  gtk_widget_set_visible(GTK_WIDGET(self->scope_label), TRUE);
  GString *s = g_string_new(NULL);
  for (int i = 0; i < sc->n; i++) {
    char *t = lt_scope_reason_text(&sc->reasons[i], &sc->m, rr);
    if (sc->reasons[i].level < sc->level) { /* a caution beside an out-of-scope reason */
      char *u = g_strdup_printf(C_("scope reason", "%s: %s"),
                                lt_scope_level_title(sc->reasons[i].level), t);
      g_free(t);
      t = u;
    }
    g_string_append_printf(s, "%s• %s", s->len ? "\n" : "", t);
    g_free(t);
  }
  gtk_label_set_text(self->scope_reasons, s->str);
  gtk_widget_set_visible(GTK_WIDGET(self->scope_reasons), s->len > 0);
  g_string_free(s, TRUE);
}

void lt_result_panel_show_analysis(LtResultPanel *self, const LtAnalysisResult *r) {
  if (!r) {
    verdict_empty(self);
    log_shown(self);
    return;
  }
  self->showing = TRUE;
  const lt_review_result *rr = &r->rr;
  const lt_analysis *an = &rr->an;
  const gboolean out = rr->scope.level == LT_SCOPE_OUT;
  /* out of scope: the number is kept (struck and greyed), never a plain verdict */
  char *m = out ? g_markup_printf_escaped("<span size=\"x-large\" strikethrough=\"true\" "
                                          "alpha=\"55%%\">%.2f</span>", an->prob)
                : g_markup_printf_escaped("<span size=\"x-large\" weight=\"bold\">%.2f</span>",
                                          an->prob);
  gtk_label_set_markup(self->prob_label, m);
  g_free(m);
  gtk_level_bar_set_value(self->prob_bar, CLAMP(an->prob, 0, 1));
  gtk_widget_set_sensitive(GTK_WIDGET(self->prob_bar), !out);
  gtk_widget_set_opacity(GTK_WIDGET(self->prob_bar), out ? 0.3 : 1.0); /* greyed: no verdict */
  gtk_label_set_text(self->prob_caption,
                     out ? _("Malignancy probability (model): out of scope, not a verdict")
                         : _("Malignancy probability (model)"));
  set_trust_badge(self, an, out);
  set_scope(self, rr);
  char *t;
  const lt_trust *tr = &an->trust_own;
  if (!an->has_seg)
    t = g_strdup(_("Trust check vs the model's mask: this model draws no mask"));
  else if (an->cam_flat || !tr->valid)
    t = g_strdup(_("Trust check vs the model's mask: not possible (flat map or empty mask)"));
  else
    t = g_strdup_printf(_("Trust check vs the model's mask: %s (Grad-CAM inside %.2f, outside "
                          "%.2f, share inside %.2f)"),
                        tr->pass ? _("PASS") : _("FAIL"), tr->mean_in, tr->mean_out, tr->share_in);
  gtk_label_set_text(self->trust_label, t);
  g_free(t);
  const lt_trust *tc = &an->trust_consensus;
  if (!an->has_consensus) {
    t = g_strdup(_("Trust check and Dice vs the readers: no readers' outline at this point."));
  } else { /* Dice needs the model's mask, the trust check a map with contrast */
    char *dice = an->has_seg ? g_strdup_printf("%.2f", an->dice_consensus)
                             : g_strdup(_("no model mask"));
    char *trust = an->cam_flat || !tc->valid
                      ? g_strdup(_("not possible"))
                      : g_strdup_printf(_("%s (inside %.2f, outside %.2f)"),
                                        tc->pass ? _("PASS") : _("FAIL"), tc->mean_in, tc->mean_out);
    t = g_strdup_printf(_("Dice vs the readers' consensus: %s; trust check vs the readers: %s"),
                        dice, trust);
    g_free(dice);
    g_free(trust);
  }
  gtk_label_set_text(self->dice_label, t);
  g_free(t);
  if (an->refit_clipped > 0) {
    t = g_strdup_printf(ngettext("%d input of the attribute refit lay outside the range it was "
                                 "fitted on and was held at its edge: the attribute scores are "
                                 "less sure.",
                                 "%d inputs of the attribute refit lay outside the range they "
                                 "were fitted on and were held at its edge: the attribute scores "
                                 "are less sure.",
                                 an->refit_clipped),
                        an->refit_clipped);
    gtk_label_set_text(self->ood_label, t);
    g_free(t);
  }
  gtk_widget_set_visible(GTK_WIDGET(self->ood_label), an->refit_clipped > 0);
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) {
    GtkWidget *cw = GTK_WIDGET(self->model_cells[i]);
    if (out) gtk_widget_add_css_class(cw, "dim-label");
    else gtk_widget_remove_css_class(cw, "dim-label");
    gtk_label_set_text(self->model_cells[i], "—");
    if (an->n_attr == 1 && i != LT_N_SHOWN_ATTRS - 1) continue; /* malignancy-only model */
    int k = an->n_attr == 1 ? 0 : i;
    if (k >= an->n_attr) continue;
    char buf[128];
    const char *w = lt_shown_attr_word(i, an->attrs[k], buf, sizeof buf);
    t = g_strdup_printf("%.1f (%s)", an->attrs[k], w ? w : _("off the scale"));
    gtk_label_set_text(self->model_cells[i], t);
    g_free(t);
  }
  log_shown(self);
  g_debug("result panel: %s | %s", gtk_label_get_text(self->trust_label),
          gtk_label_get_text(self->dice_label));
}

void lt_result_panel_show_point(LtResultPanel *self, const char *title) {
  clear_all(self);
  gtk_label_set_text(self->title_label, title);
}

void lt_result_panel_set_progress(LtResultPanel *self, double fraction, const char *what) {
  gboolean on = fraction >= 0;
  gtk_widget_set_visible(GTK_WIDGET(self->progress), on);
  if (on) {
    gtk_progress_bar_set_fraction(self->progress, fraction);
    gtk_progress_bar_set_text(self->progress, what);
  }
}

void lt_result_panel_set_outcome(LtResultPanel *self, const char *text) {
  gtk_label_set_text(self->outcome_label, text ? text : "");
  gtk_widget_set_visible(GTK_WIDGET(self->outcome_label), text && *text);
}

static void lt_result_panel_dispose(GObject *obj) {
  gtk_widget_dispose_template(GTK_WIDGET(obj), LT_TYPE_RESULT_PANEL);
  G_OBJECT_CLASS(lt_result_panel_parent_class)->dispose(obj);
}

static void lt_result_panel_class_init(LtResultPanelClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = lt_result_panel_dispose;
  gtk_widget_class_set_template_from_resource(wc, "/org/lungtrust/LungTrust/ui/lt-result-panel.ui");
  gtk_widget_class_bind_template_child(wc, LtResultPanel, title_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, model_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, prob_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, prob_bar);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, prob_caption);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, trust_badge);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, scope_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, scope_reasons);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, trust_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, dice_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, outcome_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, ood_label);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, attr_grid);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, progress);
  gtk_widget_class_bind_template_child(wc, LtResultPanel, about_model_button);
}

static GtkLabel *cell(const char *text, gboolean dim) {
  GtkLabel *l = GTK_LABEL(gtk_label_new(text));
  gtk_label_set_xalign(l, 0);
  gtk_label_set_wrap(l, TRUE);
  if (dim) gtk_widget_add_css_class(GTK_WIDGET(l), "dim-label");
  return l;
}

static void lt_result_panel_init(LtResultPanel *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  install_css();
  /* a plain fill: the bar's default low/high colours would read as a judgement of their own */
  gtk_level_bar_remove_offset_value(self->prob_bar, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value(self->prob_bar, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value(self->prob_bar, GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_grid_attach(self->attr_grid, GTK_WIDGET(cell(_("attribute"), TRUE)), 0, 0, 1, 1);
  gtk_grid_attach(self->attr_grid, GTK_WIDGET(cell(_("model"), TRUE)), 1, 0, 1, 1);
  gtk_grid_attach(self->attr_grid, GTK_WIDGET(cell(_("readers"), TRUE)), 2, 0, 1, 1);
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) {
    gtk_grid_attach(self->attr_grid, GTK_WIDGET(cell(lt_shown_attr_name(i), FALSE)), 0, i + 1, 1, 1);
    self->model_cells[i] = cell("—", FALSE);
    self->reader_cells[i] = cell("—", FALSE);
    gtk_grid_attach(self->attr_grid, GTK_WIDGET(self->model_cells[i]), 1, i + 1, 1, 1);
    gtk_grid_attach(self->attr_grid, GTK_WIDGET(self->reader_cells[i]), 2, i + 1, 1, 1);
  }
  lt_result_panel_set_model(self, NULL);
  lt_result_panel_show_nodule(self, NULL);
}

GtkWidget *lt_result_panel_get_about_button(LtResultPanel *self) {
  return GTK_WIDGET(self->about_model_button);
}
