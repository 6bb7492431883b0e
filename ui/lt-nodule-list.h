/* ui/lt-nodule-list.h — LtNoduleList: the nodules of the open study (from the readings: ID,
 * diameter, readers; from the local database: stored ones and their model runs; once analysed in
 * this session, a badge with the scope decision) and an "Analyse here" button for the point
 * under the crosshair. Emits
 * "nodule-selected" (index) when a row is chosen and "analyse-here" for the button. Shows
 * state only: the window finds the nodules and runs the analyses. */
#ifndef LT_NODULE_LIST_H
#define LT_NODULE_LIST_H

#include <gtk/gtk.h>

#include "lt-study-loader.h"

G_BEGIN_DECLS

#define LT_TYPE_NODULE_LIST (lt_nodule_list_get_type())
G_DECLARE_FINAL_TYPE(LtNoduleList, lt_nodule_list, LT, NODULE_LIST, GtkBox)

/* Replaces the rows (the array is copied). */
void lt_nodule_list_set_nodules(LtNoduleList *self, const LtNoduleSummary *n, int count);
/* The same, keeping the selected row's index selected without emitting "nodule-selected"
 * (when the database's nodules arrive after the readings'). */
void lt_nodule_list_replace(LtNoduleList *self, const LtNoduleSummary *n, int count,
                            gboolean keep_selection);
int lt_nodule_list_count(LtNoduleList *self);
/* The scope badge beside nodule id's row ("in scope", "caution", "out of scope"; scope an
 * lt_scope_level), or none when analysed is FALSE. Kept in the row's summary. */
void lt_nodule_list_set_scope(LtNoduleList *self, const char *id, gboolean analysed, int scope);
const LtNoduleSummary *lt_nodule_list_get(LtNoduleList *self, int index);
/* Selects row index (emits "nodule-selected"); -1 unselects. */
void lt_nodule_list_select(LtNoduleList *self, int index);
int lt_nodule_list_selected(LtNoduleList *self);
/* Moves the selection by step (+1 next, -1 previous), wrapping. */
void lt_nodule_list_step(LtNoduleList *self, int step);

G_END_DECLS

#endif
