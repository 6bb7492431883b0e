/* ui/lt-retrieval-panel.h — LtRetrievalPanel: the similar historical nodules (top K) of the
 * selected nodule as cards (docs/ui.md): distance, the six scores as a compact bar glyph,
 * diameter, the diagnosis and how it was confirmed, and a thumbnail where the nodule has
 * images, else "no images, ratings only". Each card is a button: "card-activated" (index) asks the
 * window to open that case (lt_retrieval_panel_get_card says whether it has images). Shows
 * state only: the window asks the engine thread
 * (lt-retrieval-job.h) and hands the answer here. */
#ifndef LT_RETRIEVAL_PANEL_H
#define LT_RETRIEVAL_PANEL_H

#include <gtk/gtk.h>

#include "lt-retrieval-job.h"

G_BEGIN_DECLS

#define LT_TYPE_RETRIEVAL_PANEL (lt_retrieval_panel_get_type())
G_DECLARE_FINAL_TYPE(LtRetrievalPanel, lt_retrieval_panel, LT, RETRIEVAL_PANEL, GtkBox)

/* Replaces the cards (cards is taken; NULL clears). */
void lt_retrieval_panel_set_cards(LtRetrievalPanel *self, LtCards *cards, const char *query_label);
/* The card at INDEX of those shown, NULL when out of range (borrowed). */
const LtCard *lt_retrieval_panel_get_card(LtRetrievalPanel *self, int index);
/* A line above the cards (the database state, an error, "searching…"). */
void lt_retrieval_panel_set_status(LtRetrievalPanel *self, const char *text);

G_END_DECLS

#endif
