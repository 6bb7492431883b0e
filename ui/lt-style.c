/* ui/lt-style.c — see lt-style.h. */
#include "lt-style.h"

#include <gtk/gtk.h>
#include <string.h>

#include "lt-settings.h"

static int system_dark = -1; /* the desktop's choice, read before we first override it */

static void apply(void) {
  GtkSettings *gs = gtk_settings_get_default();
  if (!gs) return;
  if (system_dark < 0) {
    gboolean d = FALSE;
    g_object_get(gs, "gtk-application-prefer-dark-theme", &d, NULL);
    system_dark = d;
  }
  GSettings *st = lt_settings_get();
  g_autofree char *v = NULL;
  if (st) {
    g_autoptr(GSettingsSchema) schema = NULL;
    g_object_get(st, "settings-schema", &schema, NULL);
    if (schema && g_settings_schema_has_key(schema, "style")) v = g_settings_get_string(st, "style");
  }
  gboolean dark = v && strcmp(v, "dark") == 0    ? TRUE
                  : v && strcmp(v, "light") == 0 ? FALSE
                                                 : system_dark;
  g_object_set(gs, "gtk-application-prefer-dark-theme", dark, NULL);
  g_message("style: %s (dark %d)", v ? v : "system", dark);
}

static void on_changed(GSettings *st, const char *key, gpointer data) {
  (void)st;
  (void)key;
  (void)data;
  apply();
}

void lt_style_follow(void) {
  static gboolean connected;
  GSettings *st = lt_settings_get();
  if (!connected && st) {
    connected = TRUE;
    g_signal_connect(st, "changed::style", G_CALLBACK(on_changed), NULL);
  }
  apply();
}

gboolean lt_style_is_dark(void) {
  GtkSettings *gs = gtk_settings_get_default();
  gboolean d = FALSE;
  if (gs) g_object_get(gs, "gtk-application-prefer-dark-theme", &d, NULL);
  return d;
}
