/* engine/lt-data-dir.c — see lt-data-dir.h. */
#include "lt-data-dir.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LT_PKGDATADIR
#error "LT_PKGDATADIR (the installed data folder) must be defined by the build"
#endif
#ifndef LT_SOURCE_RESOURCES
#error "LT_SOURCE_RESOURCES (the source tree's resources/) must be defined by the build"
#endif
#ifndef LT_BUILD_DIR
#error "LT_BUILD_DIR (this build's folder) must be defined by the build"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool from_build_tree;
static char data_dir[4096];

static void decide(void) {
  char exe[4096];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const size_t n = strlen(LT_BUILD_DIR);
  if (len > 0) {
    exe[len] = 0;
    from_build_tree = strncmp(exe, LT_BUILD_DIR, n) == 0 && exe[n] == '/';
  }
  const char *env = getenv("LUNGTRUST_DATADIR");
  snprintf(data_dir, sizeof data_dir, "%s",
           env && *env ? env : from_build_tree ? LT_SOURCE_RESOURCES : LT_PKGDATADIR);
}

const char *lt_data_dir(void) {
  pthread_once(&once, decide);
  return data_dir;
}

bool lt_data_from_build_tree(void) {
  pthread_once(&once, decide);
  return from_build_tree;
}

int lt_find_weights(const char *dir, char *buf, size_t n) {
  static const char ext[] = ".safetensors";
  DIR *d = opendir(dir);
  if (!d) return -1;
  char first[256] = "";
  const struct dirent *e;
  while ((e = readdir(d))) {
    const size_t len = strlen(e->d_name);
    if (len <= sizeof ext - 1 || len >= sizeof first ||
        strcmp(e->d_name + len - (sizeof ext - 1), ext))
      continue;
    if (!first[0] || strcmp(e->d_name, first) < 0) memcpy(first, e->d_name, len + 1);
  }
  closedir(d);
  if (!first[0]) return -1;
  const int w = snprintf(buf, n, "%s/%s", dir, first);
  return w < 0 || (size_t)w >= n ? -1 : 0;
}

int lt_default_model(char *buf, size_t n, lt_error *err) {
  const char *env = getenv("LUNGTRUST_MODEL");
  if (env && *env) {
    const int w = snprintf(buf, n, "%s", env);
    if (w < 0 || (size_t)w >= n) return lt_error_set(err, "LUNGTRUST_MODEL is too long a path");
    return 0;
  }
  char models[4200];
  snprintf(models, sizeof models, "%s/models", lt_data_dir());
  if (lt_find_weights(models, buf, n))
    return lt_error_set(err, "no model given, and no weights file (.safetensors) in %s; name one "
                             "with --model or LUNGTRUST_MODEL", models);
  return 0;
}
