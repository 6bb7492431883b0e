/* ui/lt-settings.h — the workstation's preferences (GSettings, schema org.lungtrust.LungTrust in
 * resources/): overlay switches and opacity, how many similar nodules, recent studies. The
 * schema is looked up where it is installed, else in the build folder (LT_SCHEMA_DIR) for an
 * uninstalled run; without either, NULL and the app runs with the defaults and remembers
 * nothing (said once in the log). */
#ifndef LT_SETTINGS_H
#define LT_SETTINGS_H

#include <gio/gio.h>

G_BEGIN_DECLS

/* The process-wide settings object (do not unref), or NULL when the schema is missing. */
GSettings *lt_settings_get(void);
/* Puts path first in recent-studies (at most 8, no duplicates). No-op without settings. */
void lt_settings_add_recent(const char *path);

G_END_DECLS

#endif
