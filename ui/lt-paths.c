/* ui/lt-paths.c — see lt-paths.h. */
#include "lt-paths.h"

#include "lt-data-dir.h"

/* The rule itself is the engine's (lt-data-dir.h), so that lungtrust-cli finds the same data. */
gboolean lt_paths_from_build_tree(void) { return lt_data_from_build_tree(); }

const char *lt_paths_data_dir(void) { return lt_data_dir(); }

static const char *under(char **cache, const char *a, const char *b) {
  if (!*cache) *cache = g_build_filename(lt_paths_data_dir(), a, b, NULL);
  return *cache;
}

const char *lt_paths_ratings_dir(void) {
  static char *p;
  return under(&p, "lidc-ratings", NULL);
}

const char *lt_paths_demo_study(void) {
  static char *p;
  return under(&p, "demo", "LIDC-IDRI-0001");
}
