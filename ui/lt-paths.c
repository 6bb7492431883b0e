/* ui/lt-paths.c — see lt-paths.h. */
#include "lt-paths.h"

#include "lt-data-dir.h"

static const char *under(char **cache, const char *a, const char *b) {
  if (!*cache) *cache = g_build_filename(lt_data_dir(), a, b, NULL);
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
