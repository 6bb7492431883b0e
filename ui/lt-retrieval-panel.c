/* ui/lt-retrieval-panel.c — see lt-retrieval-panel.h. */
#include "lt-retrieval-panel.h"

#include <glib/gi18n.h>
#include <math.h>

#include "lt-lidc-scales.h"

struct _LtRetrievalPanel {
  GtkBox parent_instance;
  GtkLabel *status_label;
  GtkBox *cards_box;
  LtCards *cards; /* those shown */
};

enum { SIG_CARD, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(LtRetrievalPanel, lt_retrieval_panel, GTK_TYPE_BOX)

/* Six bars, heights score/5, in the order of lt-lidc-scales (subtlety .. malignancy). */
static void draw_glyph(GtkDrawingArea *a, cairo_t *cr, int w, int h, gpointer data) {
  (void)a;
  const float *attr = data;
  double bw = w / 6.0;
  for (int i = 0; i < 6; i++) {
    double v = isfinite(attr[i]) ? fmin(fmax(attr[i], 0), 5) / 5.0 : 0;
    if (i == 5)
      cairo_set_source_rgb(cr, 0.84, 0.37, 0.0); /* malignancy rating: Okabe-Ito vermillion */
    else
      cairo_set_source_rgb(cr, 0.0, 0.45, 0.70);  /* blue */
    cairo_rectangle(cr, i * bw + 1, h * (1 - v), bw - 2, h * v);
    cairo_fill(cr);
  }
  cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.6);
  cairo_rectangle(cr, 0.5, 0.5, w - 1, h - 1);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
}

static const char *basis_text(const char *diagnosis, const char *basis) {
  if (!diagnosis[0] || g_str_equal(diagnosis, "unknown")) return _("no diagnosis, rating only");
  if (g_str_equal(basis, "resection")) return _("resection");
  if (g_str_equal(basis, "biopsy")) return _("biopsy");
  if (g_str_equal(basis, "stability")) return _("two-year stability");
  if (g_str_equal(basis, "progression")) return _("progression");
  return _("rating only");
}

static const char *diagnosis_text(const char *d) {
  if (g_str_equal(d, "benign")) return _("benign");
  if (g_str_equal(d, "primary")) return _("malignant (primary)");
  if (g_str_equal(d, "metastatic")) return _("malignant (metastatic)");
  return _("diagnosis unknown");
}

static void on_card_clicked(GtkButton *b, LtRetrievalPanel *self) {
  g_signal_emit(self, signals[SIG_CARD], 0,
                GPOINTER_TO_INT(g_object_get_data(G_OBJECT(b), "lt-card-index")));
}

static GtkWidget *card_widget(const LtCard *c) {
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *thumb;
  if (c->png) {
    GError *e = NULL;
    GdkTexture *t = gdk_texture_new_from_bytes(c->png, &e);
    if (t) {
      thumb = gtk_picture_new_for_paintable(GDK_PAINTABLE(t));
      g_object_unref(t);
    } else {
      thumb = gtk_label_new(_("thumbnail unreadable"));
      g_clear_error(&e);
    }
    gtk_widget_set_size_request(thumb, 64, 64);
  } else {
    thumb = gtk_label_new(_("no images,\nratings only"));
    gtk_label_set_justify(GTK_LABEL(thumb), GTK_JUSTIFY_CENTER);
    gtk_widget_add_css_class(thumb, "dim-label");
    gtk_widget_set_size_request(thumb, 64, 64);
  }
  gtk_box_append(GTK_BOX(box), thumb);
  GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
  char *l1 = isfinite(c->diameter_mm)
                 ? g_strdup_printf(_("distance %.2f · %.1f mm"), c->distance, c->diameter_mm)
                 : g_strdup_printf(_("distance %.2f · size unknown"), c->distance);
  gboolean known = c->diagnosis[0] && !g_str_equal(c->diagnosis, "unknown");
  char *l2 = known ? g_strdup_printf("%s · %s", diagnosis_text(c->diagnosis),
                                     basis_text(c->diagnosis, c->basis))
                   : g_strdup(basis_text(c->diagnosis, c->basis));
  GtkWidget *w1 = gtk_label_new(l1), *w2 = gtk_label_new(l2), *w3 = gtk_label_new(c->pseudonym);
  gtk_label_set_xalign(GTK_LABEL(w1), 0);
  gtk_label_set_xalign(GTK_LABEL(w2), 0);
  gtk_label_set_xalign(GTK_LABEL(w3), 0);
  gtk_widget_add_css_class(w3, "dim-label");
  GtkWidget *glyph = gtk_drawing_area_new();
  gtk_widget_set_size_request(glyph, 72, 20);
  gtk_widget_set_halign(glyph, GTK_ALIGN_START);
  float *attr = g_memdup2(c->attr, sizeof c->attr);
  gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(glyph), draw_glyph, attr, g_free);
  GString *tip = g_string_new(NULL);
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++)
    g_string_append_printf(tip, "%s%s %.1f", i ? ", " : "", lt_shown_attr_name(i), c->attr[i]);
  gtk_widget_set_tooltip_text(glyph, tip->str);
  gtk_box_append(GTK_BOX(text), w1);
  gtk_box_append(GTK_BOX(text), glyph);
  gtk_box_append(GTK_BOX(text), w2);
  gtk_box_append(GTK_BOX(text), w3);
  gtk_box_append(GTK_BOX(box), text);
  char *acc = g_strdup_printf("%s, %s, %s", l1, l2, tip->str);
  GtkWidget *button = gtk_button_new();
  gtk_button_set_child(GTK_BUTTON(button), box);
  gtk_widget_add_css_class(button, "card");
  gtk_widget_set_margin_bottom(button, 4);
  gtk_widget_set_tooltip_text(button, c->png && c->series_path
                                          ? _("Open this case at the nodule")
                                          : _("Ratings only: no images to open"));
  gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, acc, -1);
  g_free(acc);
  g_string_free(tip, TRUE);
  g_free(l1);
  g_free(l2);
  return button;
}

/* Logs where each card is in the window (the GUI test clicks them); after layout. */
static gboolean log_cards(gpointer data) {
  LtRetrievalPanel *self = data;
  GtkNative *nat = gtk_widget_get_native(GTK_WIDGET(self));
  int i = 0;
  for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(self->cards_box)); c && nat;
       c = gtk_widget_get_next_sibling(c), i++) {
    graphene_rect_t r;
    double nx = 0, ny = 0;
    if (!gtk_widget_compute_bounds(c, GTK_WIDGET(nat), &r)) continue;
    gtk_native_get_surface_transform(nat, &nx, &ny);
    const LtCard *d = lt_retrieval_panel_get_card(self, i);
    g_message("card %d (%s, %s) at window pixel %.0f %.0f, %.0fx%.0f", i, d ? d->pseudonym : "",
              d && d->png ? "images" : "ratings only", r.origin.x + nx + r.size.width / 2,
              r.origin.y + ny + r.size.height / 2, r.size.width, r.size.height);
  }
  g_object_unref(self);
  return G_SOURCE_REMOVE;
}

const LtCard *lt_retrieval_panel_get_card(LtRetrievalPanel *self, int index) {
  return self->cards && index >= 0 && index < self->cards->n ? &self->cards->cards[index] : NULL;
}

void lt_retrieval_panel_set_status(LtRetrievalPanel *self, const char *text) {
  gtk_label_set_text(self->status_label, text ? text : "");
}

void lt_retrieval_panel_set_cards(LtRetrievalPanel *self, LtCards *cards, const char *query_label) {
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->cards_box))))
    gtk_box_remove(self->cards_box, child);
  lt_cards_free(self->cards);
  self->cards = cards;
  if (cards) {
    for (int i = 0; i < cards->n; i++) {
      GtkWidget *b = card_widget(&cards->cards[i]);
      g_object_set_data(G_OBJECT(b), "lt-card-index", GINT_TO_POINTER(i));
      g_signal_connect(b, "clicked", G_CALLBACK(on_card_clicked), self);
      gtk_box_append(self->cards_box, b);
    }
    g_timeout_add(400, log_cards, g_object_ref(self));
    char *s = g_strdup_printf(_("%d nearest of %d historical nodules to %s (readers' mean "
                                "scores; the malignancy bar is the readers' rating)."),
                              cards->n, cards->db_nodules, query_label ? query_label : "");
    lt_retrieval_panel_set_status(self, s);
    g_free(s);
  }
}

static void lt_retrieval_panel_dispose(GObject *obj) {
  g_clear_pointer(&LT_RETRIEVAL_PANEL(obj)->cards, lt_cards_free);
  gtk_widget_dispose_template(GTK_WIDGET(obj), LT_TYPE_RETRIEVAL_PANEL);
  G_OBJECT_CLASS(lt_retrieval_panel_parent_class)->dispose(obj);
}

static void lt_retrieval_panel_class_init(LtRetrievalPanelClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = lt_retrieval_panel_dispose;
  gtk_widget_class_set_template_from_resource(wc,
                                              "/org/lungtrust/LungTrust/ui/lt-retrieval-panel.ui");
  gtk_widget_class_bind_template_child(wc, LtRetrievalPanel, status_label);
  gtk_widget_class_bind_template_child(wc, LtRetrievalPanel, cards_box);
  signals[SIG_CARD] = g_signal_new("card-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void lt_retrieval_panel_init(LtRetrievalPanel *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
}
