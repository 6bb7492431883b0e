/* tests/lt-test.c — see lt-test.h. */
#include "lt-test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Every directory lt_test_tmpdir made, removed at exit. Left behind, each test run's copies
 * of studies, databases and weights (about 100 MB a run) filled the disk within a day and
 * failed the next build. */
enum { LT_TEST_MAX_TMPDIRS = 32 };
static char lt_test_tmpdirs[LT_TEST_MAX_TMPDIRS][4096];
static int lt_test_n_tmpdirs;
/* Only the process that made them removes them: a forked child that returns through exit()
 * must not delete a folder its parent still uses. */
static pid_t lt_test_tmpdir_owner;

static int lt_test_remove_entry(const char *path, const struct stat *st, int type,
                                struct FTW *ftw) {
  (void)st; (void)ftw;
  if (type == FTW_DP) rmdir(path);
  else unlink(path);
  return 0;
}

static void lt_test_remove_tmpdirs(void) {
  if (getpid() != lt_test_tmpdir_owner) return;
  const char *keep = getenv("LT_TEST_KEEP_TMP");
  for (int i = 0; i < lt_test_n_tmpdirs; i++) {
    if (keep && *keep) fprintf(stderr, "kept %s (LT_TEST_KEEP_TMP)\n", lt_test_tmpdirs[i]);
    else nftw(lt_test_tmpdirs[i], lt_test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
}

const char *lt_test_tmpdir(char *buf, int n) {
  const char *t = getenv("TMPDIR");
  snprintf(buf, (size_t)n, "%s/lt-test-XXXXXX", t && *t ? t : "/tmp");
  if (!mkdtemp(buf)) return NULL;
  if (lt_test_n_tmpdirs == 0) {
    lt_test_tmpdir_owner = getpid();
    atexit(lt_test_remove_tmpdirs);
  }
  if (lt_test_n_tmpdirs < LT_TEST_MAX_TMPDIRS && strlen(buf) < sizeof lt_test_tmpdirs[0])
    strcpy(lt_test_tmpdirs[lt_test_n_tmpdirs++], buf);
  return buf;
}

int lt_test_run(const char *cmd, char *out, size_t n) {
  static const char prefix[] = "OMP_NUM_THREADS=1 ", suffix[] = " 2>&1";
  const size_t len = strlen(cmd);
  char *full = malloc(sizeof prefix + len + sizeof suffix);
  if (!full || n == 0) {
    free(full);
    return -1;
  }
  memcpy(full, prefix, sizeof prefix - 1);
  memcpy(full + sizeof prefix - 1, cmd, len);
  memcpy(full + sizeof prefix - 1 + len, suffix, sizeof suffix);
  FILE *f = popen(full, "r");
  free(full);
  if (!f) return -1;
  size_t got = fread(out, 1, n - 1, f);
  out[got] = 0;
  /* drain what did not fit, so the command never blocks on a full pipe */
  char rest[4096];
  while (fread(rest, 1, sizeof rest, f) > 0) {
  }
  const int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
