/* tests/ct/test-lidc.c — the LIDC XML parser: the hand-made tests/ct/lidc-xml/synthetic.xml
 * read field by field, every broken file in tests/ct/lidc-xml refused with one line naming the
 * fault, file and memory reading agree, finding LIDC XML in a folder skips other XML, readings
 * chosen by series UID, and LIDC-IDRI-0001's 069.xml (skipped when ../shared/data is absent). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ct/lidc.h"
#include "lt-test.h"

static const char *xml_path(char *buf, size_t n, const char *name) {
  const char *root = getenv("LT_SOURCE_ROOT");
  snprintf(buf, n, "%s/tests/ct/lidc-xml/%s", root ? root : ".", name);
  return buf;
}

static lt_lidc_doc *read_ok(const char *name) {
  char p[1024];
  lt_error err = {{0}};
  lt_lidc_doc *doc = NULL;
  int rc = lt_lidc_read_file(xml_path(p, sizeof p, name), &doc, &err);
  if (rc != 0) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_non_null(doc);
  return doc;
}

static void lidc_synthetic_readers_marks_rois_ratings(void **state) {
  (void)state;
  lt_lidc_doc *doc = read_ok("synthetic.xml");
  assert_string_equal(doc->series_uid, "1.2.826.0.1.3680043.2.1125.9");
  assert_string_equal(doc->study_uid, "1.2.826.0.1.3680043.2.1125.8");
  assert_int_equal(doc->n_readers, 3);
  assert_int_equal(lt_lidc_doc_mark_count(doc), 6);
  const lt_lidc_reader *a = &doc->readers[0], *b = &doc->readers[1], *c = &doc->readers[2];
  assert_string_equal(a->radiologist_id, "reader-A");
  assert_string_equal(a->annotation_version, "3.12");
  assert_int_equal(a->n_marks, 2);
  const lt_lidc_mark *a1 = &a->marks[0];
  assert_string_equal(a1->id, "A1");
  assert_true(a1->has_characteristics);
  const int want[LT_LIDC_NCHAR] = {4, 1, 6, 3, 4, 2, 1, 5, 3};
  for (int i = 0; i < LT_LIDC_NCHAR; i++) assert_int_equal(a1->ratings[i], want[i]);
  assert_int_equal(a1->n_rois, 4);
  assert_true(a1->rois[0].inclusion);
  assert_false(a1->rois[2].inclusion); /* the hole */
  assert_string_equal(a1->rois[1].sop_uid, "1.2.826.0.1.3680043.2.1125.9.2");
  assert_true(fabs(a1->rois[3].z - 6.0) < 1e-12);
  assert_int_equal(a1->rois[0].n_points, 4);
  assert_true(a1->rois[0].points[1].x == 20.0 && a1->rois[0].points[1].y == 10.0);
  /* a point mark: no characteristics, one point */
  assert_false(a->marks[1].has_characteristics);
  assert_int_equal(a->marks[1].rois[0].n_points, 1);
  for (int i = 0; i < LT_LIDC_NCHAR; i++) assert_int_equal(a->marks[1].ratings[i], 0);
  /* non-nodules */
  assert_int_equal(b->n_non_nodules, 2);
  assert_string_equal(b->non_nodules[0].id, "B-non-1");
  assert_true(b->non_nodules[0].locus.x == 28.0 && b->non_nodules[0].locus.y == 3.0);
  assert_string_equal(b->non_nodules[1].sop_uid, "");
  /* C's second ROI has an empty SOP UID: z only */
  assert_string_equal(c->marks[0].rois[1].sop_uid, "");
  assert_true(fabs(c->marks[0].rois[1].z - 4.0) < 1e-12);
  lt_lidc_doc_free(doc);
}

typedef struct {
  const char *file;
  const char *msg; /* substring of the one-line error */
} broken_case;

static const broken_case broken[] = {
    {"truncated.xml", "not well-formed XML"},
    {"empty.xml", "not well-formed XML"},
    {"wrong-root.xml", "root element is <IdriReadMessage>"},
    {"missing-ycoord.xml", "has no <yCoord>"},
    {"missing-nodule-id.xml", "has no <noduleID>"},
    {"non-numeric-coord.xml", "<xCoord> on line"},
    {"huge-coord.xml", "not a number within +-1e+06"},
    {"nan-z.xml", "<imageZposition> on line"},
    {"bad-inclusion.xml", "neither TRUE nor FALSE"},
    {"bad-rating.xml", "<texture> on line"},
    {"no-edgemap.xml", "has no <edgeMap> point"},
    /* found by fuzz-lidc-xml: libxml2's encoding message spans lines; echoed text may too */
    {"bad-utf8.xml", "not well-formed XML"},
    {"newline-in-coord.xml", "<yCoord> on line"},
    /* found by fuzz-lidc-xml: libxml2 printed "encoding error" lines on stderr */
    {"wrong-encoding.xml", "not well-formed XML"},
};

static void lidc_broken_files_refused_with_one_line(void **state) {
  (void)state;
  /* nothing may reach stderr: the one line is the caller's to print */
  char tmp[512], errfile[600];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  snprintf(errfile, sizeof errfile, "%s/stderr", tmp);
  fflush(stderr);
  int saved = dup(2), fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(saved >= 0 && fd >= 0);
  assert_int_equal(dup2(fd, 2), 2);
  close(fd);
  for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
    char p[1024];
    lt_error err = {{0}};
    lt_lidc_doc *doc = (lt_lidc_doc *)1;
    int rc = lt_lidc_read_file(xml_path(p, sizeof p, broken[i].file), &doc, &err);
    printf("%-24s -> %s\n", broken[i].file, err.msg);
    assert_int_equal(rc, -1);
    assert_null(doc);
    assert_non_null(strstr(err.msg, broken[i].msg));
    assert_non_null(strstr(err.msg, broken[i].file)); /* the file is named */
    assert_null(strchr(err.msg, '\n'));
  }
  char paths_dir[1024];
  char **found;
  int nfound;
  lt_error ferr = {{0}};
  assert_int_equal(lt_lidc_find(xml_path(paths_dir, sizeof paths_dir, ""), &found, &nfound, &ferr), 0);
  lt_lidc_paths_free(found, nfound);
  fflush(stderr);
  assert_int_equal(dup2(saved, 2), 2);
  close(saved);
  struct stat st;
  assert_int_equal(stat(errfile, &st), 0);
  assert_int_equal(st.st_size, 0);
  unlink(errfile);
  rmdir(tmp);
  lt_error err = {{0}};
  lt_lidc_doc *doc;
  assert_int_equal(lt_lidc_read_file("/nonexistent/x.xml", &doc, &err), -1);
  assert_non_null(strstr(err.msg, "No such file"));
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void lidc_memory_and_file_read_alike(void **state) {
  (void)state;
  char p[1024];
  size_t len;
  char *buf = slurp(xml_path(p, sizeof p, "synthetic.xml"), &len);
  lt_lidc_doc *m = NULL, *f = read_ok("synthetic.xml");
  lt_error err = {{0}};
  assert_int_equal(lt_lidc_read_memory(buf, len, &m, &err), 0);
  assert_int_equal(m->n_readers, f->n_readers);
  for (int r = 0; r < m->n_readers; r++) {
    assert_int_equal(m->readers[r].n_marks, f->readers[r].n_marks);
    for (int k = 0; k < m->readers[r].n_marks; k++) {
      assert_string_equal(m->readers[r].marks[k].id, f->readers[r].marks[k].id);
      assert_int_equal(m->readers[r].marks[k].n_rois, f->readers[r].marks[k].n_rois);
    }
  }
  /* every prefix of the file is refused or read, never a crash (and never a leak under ASan) */
  int refused = 0;
  for (size_t cut = 0; cut < len; cut += 97) {
    lt_lidc_doc *d = NULL;
    if (lt_lidc_read_memory(buf, cut, &d, &err) != 0) refused++;
    else lt_lidc_doc_free(d);
  }
  assert_true(refused >= (int)(len / 97));
  free(buf);
  lt_lidc_doc_free(m);
  lt_lidc_doc_free(f);
}

static void copy_file(const char *from, const char *to) {
  size_t len;
  char *buf = slurp(from, &len);
  FILE *f = fopen(to, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, len, f), len);
  fclose(f);
  free(buf);
}

static void lidc_find_keeps_only_lidc_xml_and_reads_by_series(void **state) {
  (void)state;
  char tmp[512], p[1024], q[1024], src[1024];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  snprintf(p, sizeof p, "%s/a", tmp);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/a/b", tmp);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(q, sizeof q, "%s/a/b/reading.XML", tmp);
  copy_file(xml_path(src, sizeof src, "synthetic.xml"), q);
  snprintf(q, sizeof q, "%s/a/cxr.xml", tmp);
  copy_file(xml_path(src, sizeof src, "wrong-root.xml"), q);
  snprintf(q, sizeof q, "%s/notes.txt", tmp);
  copy_file(xml_path(src, sizeof src, "synthetic.xml"), q);

  char **paths;
  int n;
  lt_error err = {{0}};
  assert_int_equal(lt_lidc_find(tmp, &paths, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_non_null(strstr(paths[0], "a/b/reading.XML"));
  lt_lidc_paths_free(paths, n);

  lt_lidc_doc *doc;
  assert_int_equal(lt_lidc_read_for_series(tmp, "1.2.826.0.1.3680043.2.1125.9", &doc, &err), 0);
  assert_non_null(doc);
  assert_int_equal(doc->n_readers, 3);
  lt_lidc_doc_free(doc);
  assert_int_equal(lt_lidc_read_for_series(tmp, "1.2.3.4", &doc, &err), 0);
  assert_null(doc);
  /* two files of one series: readers merged */
  snprintf(q, sizeof q, "%s/a/second.xml", tmp);
  copy_file(xml_path(src, sizeof src, "synthetic.xml"), q);
  assert_int_equal(lt_lidc_read_for_series(tmp, NULL, &doc, &err), 0);
  assert_int_equal(doc->n_readers, 6);
  assert_string_equal(doc->readers[5].radiologist_id, "reader-C");
  lt_lidc_doc_free(doc);
  /* a broken LIDC file there: -1 and one line naming it */
  snprintf(q, sizeof q, "%s/a/broken.xml", tmp);
  copy_file(xml_path(src, sizeof src, "missing-ycoord.xml"), q);
  assert_int_equal(lt_lidc_read_for_series(tmp, NULL, &doc, &err), -1);
  assert_non_null(strstr(err.msg, "broken.xml"));
  assert_int_equal(lt_lidc_find("/nonexistent-dir", &paths, &n, &err), -1);

  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  assert_int_equal(system(cmd), 0);
}

static void lidc0001_069_four_readers(void **state) {
  (void)state;
  char dir[1024];
  assert_non_null(lt_test_lidc0001_dir(dir, sizeof dir)); /* main checked it */
  char **paths;
  int n;
  lt_error err = {{0}};
  assert_int_equal(lt_lidc_find(dir, &paths, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_non_null(strstr(paths[0], "069.xml"));
  lt_lidc_doc *doc;
  assert_int_equal(lt_lidc_read_file(paths[0], &doc, &err), 0);
  lt_lidc_paths_free(paths, n);
  assert_string_equal(doc->series_uid,
                      "1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192");
  assert_int_equal(doc->n_readers, 4);
  const int marks[4] = {4, 1, 4, 4}, non[4] = {4, 1, 8, 0};
  const char *big[4] = {"Nodule 001", "IL057_127364", "MI014_12127", "0"};
  const int malignancy[4] = {5, 5, 5, 4}, texture[4] = {5, 5, 5, 4};
  int rated = 0, single_point = 0, rois = 0;
  for (int r = 0; r < 4; r++) {
    const lt_lidc_reader *rd = &doc->readers[r];
    assert_int_equal(rd->n_marks, marks[r]);
    assert_int_equal(rd->n_non_nodules, non[r]);
    for (int m = 0; m < rd->n_marks; m++) {
      const lt_lidc_mark *mk = &rd->marks[m];
      rois += mk->n_rois;
      if (mk->has_characteristics) {
        rated++;
        assert_string_equal(mk->id, big[r]);
        assert_int_equal(mk->ratings[LT_LIDC_MALIGNANCY], malignancy[r]);
        assert_int_equal(mk->ratings[LT_LIDC_TEXTURE], texture[r]);
      } else {
        assert_int_equal(mk->n_rois, 1);
        assert_int_equal(mk->rois[0].n_points, 1);
        single_point++;
      }
    }
  }
  assert_int_equal(rated, 4);
  assert_int_equal(single_point, 9); /* three < 3 mm nodules, each marked by three readers */
  assert_int_equal(rois, 41);
  assert_string_equal(doc->readers[1].radiologist_id, "1428348137");
  lt_lidc_doc_free(doc);
}

/* Reads the XML text in a child process held to 2 s and (outside AddressSanitizer, which needs
 * its address space) 1 GiB, so a reader that expands entities fails here instead of taking the
 * machine; the child reports through its exit status: 0 refused with one line naming the
 * DOCTYPE, within 1 s, by file and from memory alike. */
static int refused_quickly(const char *dir, const char *name, const char *xml) {
  char p[1100];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (!f) return -1;
  fputs(xml, f);
  fclose(f);
  pid_t pid = fork();
  if (pid == 0) {
#if !defined(__SANITIZE_ADDRESS__)
    struct rlimit lim = {1u << 30, 1u << 30};
    setrlimit(RLIMIT_AS, &lim);
#endif
    alarm(2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int bad = 0;
    for (int k = 0; k < 2; k++) {
      lt_lidc_doc *doc = NULL;
      lt_error err = {{0}};
      int rc = k == 0 ? lt_lidc_read_file(p, &doc, &err) : lt_lidc_read_memory(xml, strlen(xml), &doc, &err);
      fprintf(stderr, "%s: %s\n", name, err.msg);
      bad |= rc != -1 || doc || !strstr(err.msg, "DOCTYPE") || strchr(err.msg, '\n');
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    fprintf(stderr, "%s: refused in %.3f s\n", name, s);
    _exit(bad || s >= 1.0 ? 1 : 0);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void lidc_doctype_and_entities_refused_quickly(void **state) {
  (void)state;
  char dir[1024];
  assert_non_null(lt_test_tmpdir(dir, sizeof dir));
  static const char head[] = "<?xml version=\"1.0\"?>\n";
  static const char body[] = "<LidcReadMessage><ResponseHeader><SeriesInstanceUid>1.2"
                             "</SeriesInstanceUid></ResponseHeader>";
  /* Billion laughs: ten levels of ten references, 10^9 "lol" from under 1 KB. */
  size_t cap = 1u << 20;
  char *x = malloc(cap);
  assert_non_null(x);
  int n = snprintf(x, cap, "%s<!DOCTYPE LidcReadMessage [\n<!ENTITY l0 \"lol\">\n", head);
  for (int i = 1; i < 10; i++) {
    n += snprintf(x + n, cap - (size_t)n, "<!ENTITY l%d \"", i);
    for (int k = 0; k < 10; k++) n += snprintf(x + n, cap - (size_t)n, "&l%d;", i - 1);
    n += snprintf(x + n, cap - (size_t)n, "\">\n");
  }
  snprintf(x + n, cap - (size_t)n, "]>\n%s<x>&l9;</x></LidcReadMessage>\n", body);
  assert_int_equal(refused_quickly(dir, "laughs.xml", x), 0);
  /* The file: one 4 KB entity referenced 140,000 times in 560 KB (573 MB of text). */
  n = snprintf(x, cap, "%s<!DOCTYPE LidcReadMessage [<!ENTITY a \"", head);
  for (int k = 0; k < 4096; k++) x[n++] = 'a';
  n += snprintf(x + n, cap - (size_t)n, "\">]>\n%s<x>", body);
  for (int k = 0; k < 140000; k++) memcpy(x + n, "&a;", 3), n += 3;
  snprintf(x + n, cap - (size_t)n, "</x></LidcReadMessage>\n");
  assert_int_equal(refused_quickly(dir, "repeated.xml", x), 0);
  /* An external subset, and a DOCTYPE with nothing in it. */
  snprintf(x, cap, "%s<!DOCTYPE LidcReadMessage SYSTEM \"file:///etc/passwd\">\n%s"
           "</LidcReadMessage>\n", head, body);
  assert_int_equal(refused_quickly(dir, "external.xml", x), 0);
  snprintf(x, cap, "%s<!DOCTYPE LidcReadMessage>\n%s</LidcReadMessage>\n", head, body);
  assert_int_equal(refused_quickly(dir, "empty-doctype.xml", x), 0);
  free(x);
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "lidc0001")) {
    char dir[1024];
    if (!lt_test_lidc0001_dir(dir, sizeof dir)) {
      printf("skip: LIDC-IDRI-0001 not found under $LT_SHARED_DATA (../shared/data absent)\n");
      return LT_TEST_SKIP;
    }
    const struct CMUnitTest shared[] = {cmocka_unit_test(lidc0001_069_four_readers)};
    return cmocka_run_group_tests(shared, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lidc_synthetic_readers_marks_rois_ratings),
      cmocka_unit_test(lidc_broken_files_refused_with_one_line),
      cmocka_unit_test(lidc_memory_and_file_read_alike),
      cmocka_unit_test(lidc_find_keeps_only_lidc_xml_and_reads_by_series),
      cmocka_unit_test(lidc_doctype_and_entities_refused_quickly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
