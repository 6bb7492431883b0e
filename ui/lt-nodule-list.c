/* ui/lt-nodule-list.c — see lt-nodule-list.h. */
#include "lt-nodule-list.h"

#include <glib/gi18n.h>
#include <string.h>

#include "lt-result-panel.h"
#include "lt-scope-text.h"

struct _LtNoduleList {
  GtkBox parent_instance;
  GtkListBox *list;
  GtkButton *analyse_button;
  GtkLabel *empty_label;
  LtNoduleSummary *nodules;
  int count;
  gboolean quiet; /* rows being replaced: no "nodule-selected" */
};

G_DEFINE_FINAL_TYPE(LtNoduleList, lt_nodule_list, GTK_TYPE_BOX)

enum { SIG_SELECTED, SIG_ANALYSE, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Row i's scope badge and its accessible name follow nodules[i].analysed / scope. */
static void show_badge(LtNoduleList *self, int i) {
  GtkListBoxRow *row = gtk_list_box_get_row_at_index(self->list, i);
  GtkWidget *box = row ? gtk_list_box_row_get_child(row) : NULL;
  GtkWidget *text = box ? gtk_widget_get_first_child(box) : NULL;
  GtkWidget *badge = text ? gtk_widget_get_next_sibling(text) : NULL;
  if (!badge) return;
  const LtNoduleSummary *s = &self->nodules[i];
  const char *b = s->analysed ? lt_scope_level_badge(s->scope) : NULL;
  gtk_label_set_text(GTK_LABEL(badge), b ? b : "");
  gtk_widget_set_visible(badge, b != NULL);
  if (b) lt_badge_set_level(badge, s->scope);
  char *name = b ? g_strdup_printf("%s (%s)", gtk_label_get_text(GTK_LABEL(text)), b)
                 : g_strdup(gtk_label_get_text(GTK_LABEL(text)));
  gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_free(name);
}

void lt_nodule_list_set_nodules(LtNoduleList *self, const LtNoduleSummary *n, int count) {
  lt_nodule_list_replace(self, n, count, FALSE);
}

void lt_nodule_list_replace(LtNoduleList *self, const LtNoduleSummary *n, int count,
                            gboolean keep_selection) {
  int sel = keep_selection ? lt_nodule_list_selected(self) : -1;
  self->quiet = TRUE; /* removing the selected row is no choice of the user's */
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->list))))
    gtk_list_box_remove(self->list, child);
  g_free(self->nodules);
  self->nodules = count > 0 ? g_memdup2(n, sizeof *n * (gsize)count) : NULL;
  self->count = count > 0 ? count : 0;
  for (int i = 0; i < self->count; i++) {
    const LtNoduleSummary *s = &self->nodules[i];
    char *t;
    if (s->db_only)
      t = s->diameter_mm > 0
              ? g_strdup_printf(_("Database nodule %lld · %.1f mm"), (long long)s->db_id,
                                s->diameter_mm)
              : g_strdup_printf(_("Database nodule %lld"), (long long)s->db_id);
    else
      t = s->large ? g_strdup_printf(_("N%s · %.1f mm · %d reader(s)"), s->id, s->diameter_mm,
                                     s->n_readers)
                   : g_strdup_printf(_("N%s · under 3 mm · %d reader(s)"), s->id, s->n_readers);
    if (s->db_id) { /* what the local database adds */
      char *d = s->db_runs > 0
                    ? g_strdup_printf(ngettext("%s\nin the database · %d model run, last %.2f",
                                               "%s\nin the database · %d model runs, last %.2f",
                                               s->db_runs),
                                      t, s->db_runs, s->db_prob)
                    : g_strdup_printf(_("%s\nin the database"), t);
      g_free(t);
      t = d;
    }
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    GtkWidget *l = gtk_label_new(t);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_widget_set_hexpand(l, TRUE);
    gtk_widget_set_margin_start(box, 6);
    gtk_widget_set_margin_end(box, 6);
    gtk_widget_set_margin_top(box, 3);
    gtk_widget_set_margin_bottom(box, 3);
    gtk_box_append(GTK_BOX(box), l);
    GtkWidget *badge = gtk_label_new(NULL); /* the scope of this session's analysis */
    gtk_widget_set_valign(badge, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(badge, "lt-badge");
    gtk_widget_add_css_class(badge, "caption");
    gtk_box_append(GTK_BOX(box), badge);
    gtk_list_box_append(self->list, box);
    g_free(t);
    show_badge(self, i);
  }
  if (sel >= 0 && sel < self->count)
    gtk_list_box_select_row(self->list, gtk_list_box_get_row_at_index(self->list, sel));
  self->quiet = FALSE;
  gtk_widget_set_visible(GTK_WIDGET(self->empty_label), self->count == 0);
}

int lt_nodule_list_count(LtNoduleList *self) { return self->count; }

void lt_nodule_list_set_scope(LtNoduleList *self, const char *id, gboolean analysed, int scope) {
  for (int i = 0; i < self->count; i++)
    if (strcmp(self->nodules[i].id, id) == 0) {
      self->nodules[i].analysed = analysed;
      self->nodules[i].scope = scope;
      show_badge(self, i);
    }
}

const LtNoduleSummary *lt_nodule_list_get(LtNoduleList *self, int index) {
  return index >= 0 && index < self->count ? &self->nodules[index] : NULL;
}

void lt_nodule_list_select(LtNoduleList *self, int index) {
  GtkListBoxRow *r = index >= 0 ? gtk_list_box_get_row_at_index(self->list, index) : NULL;
  if (r)
    gtk_list_box_select_row(self->list, r);
  else
    gtk_list_box_unselect_all(self->list);
}

int lt_nodule_list_selected(LtNoduleList *self) {
  GtkListBoxRow *r = gtk_list_box_get_selected_row(self->list);
  return r ? gtk_list_box_row_get_index(r) : -1;
}

void lt_nodule_list_step(LtNoduleList *self, int step) {
  if (self->count == 0) return;
  int cur = lt_nodule_list_selected(self);
  int next = cur < 0 ? (step > 0 ? 0 : self->count - 1) : ((cur + step) % self->count + self->count) % self->count;
  lt_nodule_list_select(self, next);
}

static void on_row_selected(GtkListBox *box, GtkListBoxRow *row, LtNoduleList *self) {
  (void)box;
  if (row && !self->quiet) g_signal_emit(self, signals[SIG_SELECTED], 0, gtk_list_box_row_get_index(row));
}

static void on_analyse(GtkButton *b, LtNoduleList *self) {
  (void)b;
  g_signal_emit(self, signals[SIG_ANALYSE], 0);
}

static void lt_nodule_list_dispose(GObject *obj) {
  gtk_widget_dispose_template(GTK_WIDGET(obj), LT_TYPE_NODULE_LIST);
  G_OBJECT_CLASS(lt_nodule_list_parent_class)->dispose(obj);
}

static void lt_nodule_list_finalize(GObject *obj) {
  g_free(LT_NODULE_LIST(obj)->nodules);
  G_OBJECT_CLASS(lt_nodule_list_parent_class)->finalize(obj);
}

static void lt_nodule_list_class_init(LtNoduleListClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = lt_nodule_list_dispose;
  G_OBJECT_CLASS(klass)->finalize = lt_nodule_list_finalize;
  gtk_widget_class_set_template_from_resource(wc, "/org/lungtrust/LungTrust/ui/lt-nodule-list.ui");
  gtk_widget_class_bind_template_child(wc, LtNoduleList, list);
  gtk_widget_class_bind_template_child(wc, LtNoduleList, analyse_button);
  gtk_widget_class_bind_template_child(wc, LtNoduleList, empty_label);
  signals[SIG_SELECTED] = g_signal_new("nodule-selected", G_TYPE_FROM_CLASS(klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       G_TYPE_INT);
  signals[SIG_ANALYSE] = g_signal_new("analyse-here", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void lt_nodule_list_init(LtNoduleList *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  g_signal_connect(self->list, "row-selected", G_CALLBACK(on_row_selected), self);
  g_signal_connect(self->analyse_button, "clicked", G_CALLBACK(on_analyse), self);
}
