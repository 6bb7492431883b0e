/* ui/lt-result-panel.h — LtResultPanel: the right column's result for one nodule or point. The
 * verdict first: the malignancy probability as a number and a bar, the trust check as a badge,
 * the scope decision in words with its reasons (lt-scope-text.h); out of scope, the probability
 * is struck and greyed and says it is not a verdict. Then the six LIDC attributes with the
 * nearest scale word and the readers' ratings beside, then the details (trust numbers, Dice,
 * cautions). Before a result: "Not analysed yet", or plainly that no model is loaded. Says that
 * the malignancy rating is the readers' impression and the probability is the model's. Progress
 * shows in place. Logs what it shows on each change ("result panel shows [...]", for the GUI
 * tests). It shows state only: it runs no model and reads no file; the window decides whose
 * result it is given. */
#ifndef LT_RESULT_PANEL_H
#define LT_RESULT_PANEL_H

#include <gtk/gtk.h>

#include "lt-analyse-job.h"
#include "lt-study-loader.h"

G_BEGIN_DECLS

#define LT_TYPE_RESULT_PANEL (lt_result_panel_get_type())
G_DECLARE_FINAL_TYPE(LtResultPanel, lt_result_panel, LT, RESULT_PANEL, GtkBox)

/* model: a short name of the loaded model, or NULL: "No model is loaded". */
void lt_result_panel_set_model(LtResultPanel *self, const char *model);
/* The readers' view of a nodule (NULL clears). */
void lt_result_panel_show_nodule(LtResultPanel *self, const LtNoduleSummary *n);
/* A point analysed without readings (the "analyse here" row): title only, no readers. */
void lt_result_panel_show_point(LtResultPanel *self, const char *title);
/* The model's answer for the nodule or point shown (r borrowed), or NULL: not analysed yet
 * (the readers' ratings stay). */
void lt_result_panel_show_analysis(LtResultPanel *self, const LtAnalysisResult *r);
/* fraction < 0 hides the progress bar. */
void lt_result_panel_set_progress(LtResultPanel *self, double fraction, const char *what);
/* A one-line outcome of the last analysis (an error or "cancelled"), shown under the title. */
void lt_result_panel_set_outcome(LtResultPanel *self, const char *text);
/* The "About…" button beside the model's name (action win.about-model), for logging its place. */
GtkWidget *lt_result_panel_get_about_button(LtResultPanel *self);

/* A badge's colour (the panel's CSS, installed for the display): 0 in scope / pass (success),
 * 1 caution (warning), 2 out of scope / fail (error), -1 neutral (dim). */
void lt_badge_set_level(GtkWidget *w, int level);

G_END_DECLS

#endif
