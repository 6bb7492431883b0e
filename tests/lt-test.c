/* tests/lt-test.c — see lt-test.h. */
#include "lt-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *lt_test_shared_data(void) {
  const char *p = getenv("LT_SHARED_DATA");
  struct stat st;
  if (!p || !*p || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
  return p;
}

const char *lt_test_data_path(char *buf, int n, const char *rel) {
  const char *root = lt_test_shared_data();
  if (!root) return NULL;
  snprintf(buf, (size_t)n, "%s/%s", root, rel);
  struct stat st;
  if (stat(buf, &st) != 0) return NULL;
  return buf;
}

const char *lt_test_lidc0001_dir(char *buf, int n) {
  return lt_test_data_path(buf, n,
      "lidc/LIDC-IDRI-0001/1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178/"
      "1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192");
}

const char *lt_test_tmpdir(char *buf, int n) {
  const char *t = getenv("TMPDIR");
  snprintf(buf, (size_t)n, "%s/lt-test-XXXXXX", t && *t ? t : "/tmp");
  return mkdtemp(buf);
}
