/* tests/db/test-csv.c — the strict CSV reader: quoted fields (commas, doubled quotes, line
 * breaks), CRLF, a last line without newline, empty fields; and each malformation refused with
 * "FILE:LINE: why" naming the right line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-test-util.h"
#include "lt-csv.h"
#include "lt-test.h"

static char tmp[4096];

static lt_csv *parse(const char *text, lt_error *err) {
  char p[4200];
  snprintf(p, sizeof p, "%s/t.csv", tmp);
  assert_int_equal(dbt_write(p, text, strlen(text)), 0);
  lt_csv *c = NULL;
  if (lt_csv_read(p, &c, err)) return NULL;
  return c;
}

static void csv_reads_quotes_crlf_and_empty_fields(void **state) {
  (void)state;
  lt_error err = {{0}};
  lt_csv *c = parse("a,\"b,c\",\"say \"\"hi\"\"\"\r\n,,\r\n\"two\nlines\",x\n1,2.5,-3", &err);
  assert_non_null(c);
  assert_int_equal(lt_csv_rows(c), 4);
  assert_int_equal(lt_csv_nfields(c, 0), 3);
  assert_string_equal(lt_csv_field(c, 0, 1), "b,c");
  assert_string_equal(lt_csv_field(c, 0, 2), "say \"hi\"");
  assert_int_equal(lt_csv_nfields(c, 1), 3);
  assert_string_equal(lt_csv_field(c, 1, 0), "");
  assert_string_equal(lt_csv_field(c, 2, 0), "two\nlines");
  assert_int_equal(lt_csv_line(c, 2), 3);
  assert_int_equal(lt_csv_line(c, 3), 5);
  assert_string_equal(lt_csv_field(c, 3, 7), ""); /* past the end */
  long v;
  double d;
  assert_int_equal(lt_csv_int(c, 3, 0, "n", 0, 5, &v, &err), 0);
  assert_int_equal(v, 1);
  assert_int_equal(lt_csv_real(c, 3, 1, "x", &d, &err), 0);
  assert_true(d == 2.5);
  assert_int_equal(lt_csv_int(c, 3, 1, "n", 0, 5, &v, &err), -1); /* 2.5 is not an integer */
  assert_non_null(strstr(err.msg, ":5: n '2.5' is not an integer"));
  assert_int_equal(lt_csv_int(c, 3, 2, "n", 0, 5, &v, &err), -1);
  assert_non_null(strstr(err.msg, "outside 0..5"));
  assert_int_equal(lt_csv_real(c, 1, 0, "x", &d, &err), -1); /* empty */
  lt_csv_free(c);
  /* a file that ends with a newline has no extra row */
  c = parse("a,b\n", &err);
  assert_non_null(c);
  assert_int_equal(lt_csv_rows(c), 1);
  lt_csv_free(c);
}

static void csv_refuses_malformed_with_line(void **state) {
  (void)state;
  struct {
    const char *text, *expect;
  } bad[] = {
      {"a,b\nc,\"d\ne,f\n", ":2: quoted field never closed"},
      {"a,b\nc,d\"x\n", ":2: quote inside an unquoted field"},
      {"a,b\n\"c\"x,d\n", ":2: text after a closing quote"},
      {"a,b\rc,d\n", ":1: carriage return without line feed"},
      {"a,b\n\nc,d\n", ":2: empty line"},
      {"a,b\nc,d\0e\n", ":2: NUL byte"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char p[4200];
    snprintf(p, sizeof p, "%s/bad.csv", tmp);
    /* the NUL case needs its real length */
    size_t len = strlen(bad[i].text);
    if (strstr(bad[i].expect, "NUL")) len = 10; /* "a,b\nc,d" NUL "e\n" */
    assert_int_equal(dbt_write(p, bad[i].text, len), 0);
    lt_csv *c = NULL;
    lt_error err = {{0}};
    assert_int_equal(lt_csv_read(p, &c, &err), -1);
    assert_null(c);
    if (!strstr(err.msg, bad[i].expect) || strchr(err.msg, '\n'))
      fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].expect);
  }
  lt_csv *c = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_csv_read("/nonexistent/x.csv", &c, &err), -1);
  assert_non_null(strstr(err.msg, "No such file"));
}

int main(void) {
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(csv_reads_quotes_crlf_and_empty_fields),
      cmocka_unit_test(csv_refuses_malformed_with_line),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) return 1;
  return rc;
}
