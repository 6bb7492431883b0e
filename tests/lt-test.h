/* tests/lt-test.h — small helpers shared by the test programs.
 * Skips use exit code 77, which meson reports as SKIP. */
#ifndef LT_TEST_H
#define LT_TEST_H

#include <stddef.h>

#define LT_TEST_SKIP 77

/* ../shared/data (from $LT_SHARED_DATA), or NULL when absent: the caller prints why and
 * exits LT_TEST_SKIP. */
const char *lt_test_shared_data(void);
/* Joins the shared data root and a relative path into buf; returns buf, or NULL if absent. */
const char *lt_test_data_path(char *buf, int n, const char *rel);
/* The LIDC-IDRI-0001 series folder, or NULL. */
const char *lt_test_lidc0001_dir(char *buf, int n);
/* A fresh empty temporary directory (mkdtemp under $TMPDIR); NULL on failure. It and all
 * in it are removed when the process that made it exits normally (return from main or exit);
 * set LT_TEST_KEEP_TMP=1 to keep them for a look after a failure. */
const char *lt_test_tmpdir(char *buf, int n);
/* Runs the shell command line cmd with OMP_NUM_THREADS=1 (the tests run two at a time on two
 * cores) and its stderr joined to stdout; the first n - 1 bytes of that output go into out,
 * NUL-terminated. Returns the command's exit status, or -1 if it could not be run or did not
 * exit normally. */
int lt_test_run(const char *cmd, char *out, size_t n);

#endif
