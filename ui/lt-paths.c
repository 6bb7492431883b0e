/* ui/lt-paths.c — see lt-paths.h. */
#include "lt-paths.h"

#include <string.h>

#ifndef LT_PKGDATADIR
#error "LT_PKGDATADIR (the installed data folder) must be defined by the build"
#endif
#ifndef LT_SOURCE_RESOURCES
#error "LT_SOURCE_RESOURCES (the source tree's resources/) must be defined by the build"
#endif
#ifndef LT_BUILD_DIR
#error "LT_BUILD_DIR (this build's folder) must be defined by the build"
#endif

gboolean lt_paths_from_build_tree(void) {
  static int from = -1;
  if (from < 0) {
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    size_t n = strlen(LT_BUILD_DIR);
    from = exe && strncmp(exe, LT_BUILD_DIR, n) == 0 && exe[n] == '/';
    g_free(exe);
  }
  return from;
}

const char *lt_paths_data_dir(void) {
  static char *dir;
  if (!dir) {
    const char *env = g_getenv("LUNGTRUST_DATADIR");
    dir = g_strdup(env && *env ? env
                   : lt_paths_from_build_tree() ? LT_SOURCE_RESOURCES
                                                : LT_PKGDATADIR);
  }
  return dir;
}

static const char *under(char **cache, const char *a, const char *b) {
  if (!*cache) *cache = g_build_filename(lt_paths_data_dir(), a, b, NULL);
  return *cache;
}

const char *lt_paths_models_dir(void) {
  static char *p;
  return under(&p, "models", NULL);
}

const char *lt_paths_ratings_dir(void) {
  static char *p;
  return under(&p, "lidc-ratings", NULL);
}

const char *lt_paths_demo_study(void) {
  static char *p;
  return under(&p, "demo", "LIDC-IDRI-0001");
}
