/* ui/lt-result-panel.h — LtResultPanel: the right column's result for one nodule. Shows the
 * model state (which model, or plainly that none is loaded), the malignancy probability, the
 * trust check and Dice when an analysis result arrives, and the six LIDC attributes with the
 * nearest scale word and the readers' ratings beside. Says that the malignancy rating is the
 * readers' impression and the probability is the model's. Progress shows in place. It shows
 * state only: it runs no model and reads no file. */
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
/* The model's answer for the nodule or point shown (r borrowed). */
void lt_result_panel_show_analysis(LtResultPanel *self, const LtAnalysisResult *r);
/* fraction < 0 hides the progress bar. */
void lt_result_panel_set_progress(LtResultPanel *self, double fraction, const char *what);
/* A one-line outcome of the last analysis (an error or "cancelled"), shown under the title. */
void lt_result_panel_set_outcome(LtResultPanel *self, const char *text);
/* The "About…" button beside the model's name (action win.about-model), for logging its place. */
GtkWidget *lt_result_panel_get_about_button(LtResultPanel *self);

G_END_DECLS

#endif
