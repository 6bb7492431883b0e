/* ui/lt-style.h — light and dark styles: the preference "style" (GSettings: "system" follows
 * GtkSettings' gtk-application-prefer-dark-theme as the desktop set it, "light" and "dark"
 * override it) applied to GtkSettings, now and whenever the preference changes. The slice views
 * are drawn the same in both (a black background, light HUD text with a dark shadow, as PACS
 * viewers do), so they read the same whatever the style. Does not draw anything itself. */
#ifndef LT_STYLE_H
#define LT_STYLE_H

#include <glib.h>

G_BEGIN_DECLS

/* Applies the preference and follows its changes (once per process; later calls re-apply). */
void lt_style_follow(void);
/* TRUE when the dark style is in force. */
gboolean lt_style_is_dark(void);

G_END_DECLS

#endif
