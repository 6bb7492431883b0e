/* ui/lt-settings.c — see lt-settings.h. */
#include "lt-settings.h"

#include <string.h>

#define LT_SCHEMA_ID "org.lungtrust.LungTrust"
#define LT_RECENT_MAX 8

GSettings *lt_settings_get(void) {
  static GSettings *settings;
  static gboolean tried;
  if (tried) return settings;
  tried = TRUE;
  GSettingsSchemaSource *def = g_settings_schema_source_get_default();
  GSettingsSchema *schema = def ? g_settings_schema_source_lookup(def, LT_SCHEMA_ID, TRUE) : NULL;
#ifdef LT_SCHEMA_DIR
  if (!schema) {
    GSettingsSchemaSource *src =
        g_settings_schema_source_new_from_directory(LT_SCHEMA_DIR, def, FALSE, NULL);
    if (src) {
      schema = g_settings_schema_source_lookup(src, LT_SCHEMA_ID, FALSE);
      g_settings_schema_source_unref(src);
    }
  }
#endif
  if (!schema) {
    g_message("preferences: schema %s not found; defaults are used and nothing is remembered",
              LT_SCHEMA_ID);
    return NULL;
  }
  settings = g_settings_new_full(schema, NULL, NULL);
  g_settings_schema_unref(schema);
  return settings;
}

void lt_settings_add_recent(const char *path) {
  GSettings *s = lt_settings_get();
  if (!s || !path) return;
  g_auto(GStrv) old = g_settings_get_strv(s, "recent-studies");
  GStrvBuilder *b = g_strv_builder_new();
  g_strv_builder_add(b, path);
  int n = 1;
  for (int i = 0; old[i] && n < LT_RECENT_MAX; i++)
    if (strcmp(old[i], path) != 0) {
      g_strv_builder_add(b, old[i]);
      n++;
    }
  g_auto(GStrv) now = g_strv_builder_end(b);
  g_strv_builder_unref(b);
  g_settings_set_strv(s, "recent-studies", (const char *const *)now);
}
