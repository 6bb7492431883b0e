/* ui/lt-result-panel.c — see lt-result-panel.h. */
#include "lt-result-panel.h"

#include <glib/gi18n.h>
#include <math.h>

#include "lt-lidc-scales.h"
#include "review/analyze.h"

struct _LtResultPanel {
  GtkBox parent_instance;
  GtkLabel *title_label, *model_label, *prob_label, *trust_label, *dice_label, *outcome_label;
  GtkLabel *ood_label;
  GtkGrid *attr_grid;
  GtkProgressBar *progress;
  GtkButton *about_model_button;
  GtkLabel *model_cells[LT_N_SHOWN_ATTRS], *reader_cells[LT_N_SHOWN_ATTRS];
};

G_DEFINE_FINAL_TYPE(LtResultPanel, lt_result_panel, GTK_TYPE_BOX)

void lt_result_panel_set_model(LtResultPanel *self, const char *model) {
  char *t = model ? g_strdup_printf(_("Model: %s"), model)
                  : g_strdup(_("No model is loaded: the probability, the model's attributes and "
                               "the trust check need a model file in resources/models/."));
  gtk_label_set_text(self->model_label, t);
  g_free(t);
  if (!model) {
    gtk_label_set_text(self->prob_label, _("Malignancy probability (model): no model"));
    gtk_label_set_text(self->trust_label, _("Trust check: no model"));
  }
}

static void clear_cells(LtResultPanel *self) {
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) {
    gtk_label_set_text(self->model_cells[i], "—");
    gtk_label_set_text(self->reader_cells[i], "—");
  }
  gtk_label_set_text(self->dice_label, "");
  gtk_widget_set_visible(GTK_WIDGET(self->ood_label), FALSE);
  gtk_label_set_text(self->outcome_label, "");
  gtk_widget_set_visible(GTK_WIDGET(self->outcome_label), FALSE);
}

void lt_result_panel_show_nodule(LtResultPanel *self, const LtNoduleSummary *n) {
  clear_cells(self);
  if (!n) {
    gtk_label_set_text(self->title_label, _("No nodule selected"));
    return;
  }
  char *t = n->db_only ? g_strdup_printf(_("Database nodule %lld · %.1f mm"),
                                         (long long)n->db_id, n->diameter_mm)
                       : g_strdup_printf(_("Nodule %s · %.1f mm · %d reader(s)"), n->id,
                                         n->diameter_mm, n->n_readers);
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

void lt_result_panel_show_analysis(LtResultPanel *self, const LtAnalysisResult *r) {
  char *t = g_strdup_printf(_("Malignancy probability (model): %.2f"), r->prob);
  gtk_label_set_text(self->prob_label, t);
  g_free(t);
  const lt_trust *tr = &r->trust_own;
  if (!r->has_seg)
    t = g_strdup(_("Trust check vs the model's mask: this model draws no mask"));
  else if (r->cam_flat || !tr->valid)
    t = g_strdup(_("Trust check vs the model's mask: not possible (flat map or empty mask)"));
  else
    t = g_strdup_printf(_("Trust check vs the model's mask: %s (Grad-CAM inside %.2f, outside "
                          "%.2f, share inside %.2f)"),
                        tr->pass ? _("PASS") : _("FAIL"), tr->mean_in, tr->mean_out, tr->share_in);
  gtk_label_set_text(self->trust_label, t);
  g_free(t);
  const lt_trust *tc = &r->trust_consensus;
  if (!r->has_consensus) {
    t = g_strdup(_("Trust check and Dice vs the readers: no readers' outline at this point."));
  } else { /* Dice needs the model's mask, the trust check a map with contrast */
    char *dice = r->has_seg ? g_strdup_printf("%.2f", r->dice_consensus)
                            : g_strdup(_("no model mask"));
    char *trust = r->cam_flat || !tc->valid
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
  g_debug("result panel: %s | %s", gtk_label_get_text(self->trust_label),
          gtk_label_get_text(self->dice_label));
  GString *o = g_string_new(NULL);
  for (int i = 0; i < r->n_ood; i++)
    g_string_append_printf(o, "%s%s: %s", o->len ? "\n" : "", _("Out of distribution"), r->ood[i]);
  if (lt_trust_grid_coarse(r->cam_grid, r->nodule_mm)) {
    if (o->len) g_string_append_c(o, '\n');
    g_string_append_printf(o, _("The nodule (%.1f mm) spans under two cells of the model's %g mm "
                                "Grad-CAM grid: the trust checks say little here."),
                           r->nodule_mm, lt_trust_grid_cell_mm(r->cam_grid));
  }
  gtk_label_set_text(self->ood_label, o->str);
  gtk_widget_set_visible(GTK_WIDGET(self->ood_label), o->len > 0);
  g_string_free(o, TRUE);
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) {
    if (r->n_attr == 1 && i != LT_N_SHOWN_ATTRS - 1) continue; /* malignancy-only model */
    int k = r->n_attr == 1 ? 0 : i;
    if (k >= r->n_attr) continue;
    char buf[128];
    const char *w = lt_shown_attr_word(i, r->attrs[k], buf, sizeof buf);
    t = g_strdup_printf("%.1f (%s)", r->attrs[k], w ? w : _("off the scale"));
    gtk_label_set_text(self->model_cells[i], t);
    g_free(t);
  }
}

void lt_result_panel_show_point(LtResultPanel *self, const char *title) {
  clear_cells(self);
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
