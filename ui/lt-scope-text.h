/* ui/lt-scope-text.h — the scope decision (engine/review/scope.h) in the workstation's language.
 * The engine words its reasons in English for the CLI and the database; the window builds each
 * sentence again from the reason's stable code and the measures behind it, through gettext, and
 * falls back to the engine's English for a code it does not know. Pure text: no widgets. */
#ifndef LT_SCOPE_TEXT_H
#define LT_SCOPE_TEXT_H

#include <glib.h>

#include "review/review.h"

G_BEGIN_DECLS

/* "In scope", "Caution", "Out of scope": the decision's level as a heading, translated. */
const char *lt_scope_level_title(lt_scope_level l);
/* "in scope", "caution", "out of scope": the short badge of the nodule list, translated. */
const char *lt_scope_level_badge(lt_scope_level l);
/* The reason's sentence, translated (a new string). r: the review, for the measures that are
 * not in the scope's own (the nodule's size, the Grad-CAM grid, the slice thickness). */
char *lt_scope_reason_text(const lt_scope_reason *reason, const lt_scope_measures *m,
                           const lt_review_result *r);

G_END_DECLS

#endif
