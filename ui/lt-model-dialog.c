/* ui/lt-model-dialog.c — see lt-model-dialog.h. */
#include "lt-model-dialog.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "model/weights.h"

struct _LtModelDialog {
  GtkWindow parent_instance;
  GtkLabel *warning_label, *name_label;
  GtkTextView *card_view, *meta_view;
  GCancellable *cancel;
};

G_DEFINE_FINAL_TYPE(LtModelDialog, lt_model_dialog, GTK_TYPE_WINDOW)

typedef struct {
  char *model_path;
  char *card;       /* the README.md text, or why there is none */
  gboolean has_card;
  char *meta;       /* the weights file's self-description, or why it cannot be read */
  gboolean has_meta;
} ModelInfo;

static void model_info_free(ModelInfo *m) {
  g_free(m->model_path);
  g_free(m->card);
  g_free(m->meta);
  g_free(m);
}

static char *describe_weights(const char *path, gboolean *ok) {
  lt_weights w;
  lt_error err = {{0}};
  if (lt_weights_load(path, NULL, &w, &err) != 0) {
    *ok = FALSE;
    return g_strdup_printf(_("The weights file cannot be read: %s"), err.msg);
  }
  *ok = TRUE;
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, _("File: %s\nFormat: %s\nParameters: %zu tensors\n"), path,
                         w.format, (size_t)w.table.n);
  if (w.has_stats) {
    const lt_train_stats *t = &w.stats;
    g_string_append_printf(s,
                           _("\nTraining data\n  hash: %s\n  samples: %d\n"
                             "  pixel spacing: %.2f to %.2f mm\n"
                             "  slice thickness: %.2f to %.2f mm\n"
                             "  nodule diameter: %.1f to %.1f mm (mean %.1f mm)\n"
                             "  scanners: %s\n"),
                           t->data_hash[0] ? t->data_hash : "-", t->n_samples, t->spacing_mm[0],
                           t->spacing_mm[1], t->thickness_mm[0], t->thickness_mm[1],
                           t->nodule_mm[0], t->nodule_mm[1], t->nodule_mean_mm,
                           t->manufacturers[0] ? t->manufacturers : "-");
  } else {
    g_string_append(s, _("\nTraining data: the file holds no statistics.\n"));
  }
  g_string_append_printf(s, _("\nMetrics (as the trainer wrote them)\n%s\n"),
                         w.metrics_json ? w.metrics_json : _("none"));
  char *cfg = lt_model_config_to_json(&w.config);
  g_string_append_printf(s, _("\nConfiguration\n%s\n"), cfg ? cfg : "-");
  free(cfg);
  lt_weights_free(&w);
  return g_string_free(s, FALSE);
}

static void load_thread(GTask *task, gpointer src, gpointer data, GCancellable *c) {
  (void)src;
  (void)c;
  const char *path = data;
  ModelInfo *m = g_new0(ModelInfo, 1);
  m->model_path = g_strdup(path);
  if (!path) {
    m->card = g_strdup(_("No model is loaded: put a weights file (.safetensors) with its "
                         "README.md in the models folder, or set LUNGTRUST_MODEL."));
    m->meta = g_strdup(m->card);
  } else {
    char *dir = g_path_get_dirname(path);
    char *readme = g_build_filename(dir, "README.md", NULL);
    GError *e = NULL;
    if (g_file_get_contents(readme, &m->card, NULL, &e) &&
        g_utf8_validate(m->card, -1, NULL)) {
      m->has_card = TRUE;
    } else {
      g_free(m->card);
      m->card = g_strdup_printf(_("No model card: %s cannot be read (%s). Without a card, "
                                  "nothing says what this model was trained on or how well it "
                                  "did; the Weights file tab shows what the file itself says."),
                                readme, e ? e->message : _("not UTF-8 text"));
    }
    g_clear_error(&e);
    g_free(readme);
    g_free(dir);
    m->meta = describe_weights(path, &m->has_meta);
  }
  g_task_return_pointer(task, m, (GDestroyNotify)model_info_free);
}

static void loaded(GObject *src, GAsyncResult *res, gpointer data) {
  (void)data;
  ModelInfo *m = g_task_propagate_pointer(G_TASK(res), NULL);
  if (!m) return; /* cancelled: the dialog is gone */
  LtModelDialog *self = LT_MODEL_DIALOG(src);
  gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->card_view), m->card, -1);
  gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->meta_view), m->meta, -1);
  int lines = 0;
  for (const char *p = m->card; *p; p++) lines += *p == '\n';
  g_message("model dialog: %s; card %s (%d lines); weights file %s; warning \"%s\"",
            m->model_path ? m->model_path : "no model", m->has_card ? "read" : "missing", lines,
            m->has_meta ? "described" : "not read", gtk_label_get_text(self->warning_label));
  if (m->has_meta) { /* its first lines, on one line of the log */
    const char *stats = strstr(m->meta, "\n\n");
    char *head = g_strndup(m->meta, stats ? (gsize)(stats - m->meta) : 0);
    g_strdelimit(head, "\n", '|');
    g_message("model dialog: weights file says: %s", head);
    g_free(head);
  }
  model_info_free(m);
}

static void lt_model_dialog_dispose(GObject *obj) {
  LtModelDialog *self = LT_MODEL_DIALOG(obj);
  if (self->cancel) g_cancellable_cancel(self->cancel);
  g_clear_object(&self->cancel);
  gtk_widget_dispose_template(GTK_WIDGET(obj), LT_TYPE_MODEL_DIALOG);
  G_OBJECT_CLASS(lt_model_dialog_parent_class)->dispose(obj);
}

static void lt_model_dialog_class_init(LtModelDialogClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = lt_model_dialog_dispose;
  gtk_widget_class_set_template_from_resource(wc, "/org/lungtrust/LungTrust/ui/lt-model-dialog.ui");
  gtk_widget_class_bind_template_child(wc, LtModelDialog, warning_label);
  gtk_widget_class_bind_template_child(wc, LtModelDialog, name_label);
  gtk_widget_class_bind_template_child(wc, LtModelDialog, card_view);
  gtk_widget_class_bind_template_child(wc, LtModelDialog, meta_view);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void lt_model_dialog_init(LtModelDialog *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
}

LtModelDialog *lt_model_dialog_new(GtkWindow *parent, const char *model_path) {
  LtModelDialog *self = g_object_new(LT_TYPE_MODEL_DIALOG, "transient-for", parent,
                                     "destroy-with-parent", TRUE, NULL);
  char *base = model_path ? g_path_get_basename(model_path) : NULL;
  char *t = base ? g_strdup_printf(_("Model: %s"), base) : g_strdup(_("No model loaded"));
  gtk_label_set_text(self->name_label, t);
  g_free(t);
  g_free(base);
  gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->card_view), _("Reading…"), -1);
  self->cancel = g_cancellable_new();
  GTask *task = g_task_new(self, self->cancel, loaded, NULL);
  g_task_set_task_data(task, g_strdup(model_path), g_free);
  g_task_run_in_thread(task, load_thread);
  g_object_unref(task);
  return self;
}
