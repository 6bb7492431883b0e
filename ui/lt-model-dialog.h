/* ui/lt-model-dialog.h — LtModelDialog, "About the Model": the card of the model the workstation
 * uses (the README.md beside its weights file, shown as written) and what the weights file says
 * about itself (engine/model/weights.h: format, configuration, training data hash and
 * statistics, metrics), under a "Not for clinical use" line. Both are read on a GTask thread
 * (the weights file is parsed in full, its tensors checked); the dialog says plainly when there
 * is no model, no card or an unreadable file. Shows; changes nothing. */
#ifndef LT_MODEL_DIALOG_H
#define LT_MODEL_DIALOG_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LT_TYPE_MODEL_DIALOG (lt_model_dialog_get_type())
G_DECLARE_FINAL_TYPE(LtModelDialog, lt_model_dialog, LT, MODEL_DIALOG, GtkWindow)

/* A dialog for the weights file at model_path (NULL: no model), transient for parent. */
LtModelDialog *lt_model_dialog_new(GtkWindow *parent, const char *model_path);

G_END_DECLS

#endif
