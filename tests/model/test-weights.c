/* tests/model/test-weights.c — the weights file: round trip, read by Python, and refusal of
 * broken files (each with its one-line reason). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <inttypes.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lt-test.h"
#include "model/config.h"
#include "model/params.h"
#include "model/safetensors.h"
#include "model/weights.h"

static char dir[512];

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static void make_tiny(lt_model_config *c, lt_param_table *t, float **p) {
  lt_error err = {{0}};
  assert_int_equal(lt_model_config_preset(c, "tiny", &err), 0);
  assert_int_equal(lt_param_table_build(t, c, &err), 0);
  *p = lt_param_block_new(t);
  assert_non_null(*p);
  lt_param_init(t, *p, 42);
}

static void tiny_stats(lt_train_stats *s) {
  memset(s, 0, sizeof *s);
  snprintf(s->data_hash, sizeof s->data_hash, "fnv1a64:0123456789abcdef");
  s->n_samples = 123;
  s->spacing_mm[0] = 0.5;
  s->spacing_mm[1] = 0.9;
  s->thickness_mm[0] = 1.0;
  s->thickness_mm[1] = 2.5;
  s->nodule_mm[0] = 3.2;
  s->nodule_mm[1] = 28.0;
  s->nodule_mean_mm = 9.5;
  snprintf(s->manufacturers, sizeof s->manufacturers, "GE MEDICAL SYSTEMS,SIEMENS");
}

static void weights_round_trip_keeps_tensors_config_stats(void **state) {
  (void)state;
  lt_model_config c;
  lt_param_table t;
  float *p;
  make_tiny(&c, &t, &p);
  c.lambda = 0.25; /* a non-default value survives */
  lt_train_stats s;
  tiny_stats(&s);
  char path[600];
  path_in(path, sizeof path, "rt.safetensors");
  lt_error err = {{0}};
  assert_int_equal(lt_weights_save(path, &c, &t, p, &s, "{\"auc\":0.75}", &err), 0);
  lt_weights w;
  int rc = lt_weights_load(path, &c, &w, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_true(lt_model_config_equal(&c, &w.config));
  assert_int_equal(w.table.total, t.total);
  for (int i = 0; i < t.n; i++)
    assert_memory_equal(w.params + t.v[i].offset, p + t.v[i].offset, t.v[i].count * sizeof(float));
  assert_true(w.has_stats);
  assert_string_equal(w.stats.data_hash, s.data_hash);
  assert_int_equal(w.stats.n_samples, 123);
  assert_true(w.stats.thickness_mm[1] == 2.5 && w.stats.nodule_mm[0] == 3.2);
  assert_string_equal(w.stats.manufacturers, s.manufacturers);
  assert_string_equal(w.metrics_json, "{\"auc\":0.75}");
  lt_weights_free(&w);
  lt_param_table_free(&t);
  free(p);
}

/* /usr/bin/python3 reads our file with a few lines (tests/reference/safetensors_io.py), checks
 * the FNV-1a checksum itself, and writes the tensors back in table order; bytes must match. */
static void python_reads_our_weights_file(void **state) {
  (void)state;
  const char *src = getenv("LT_SOURCE_ROOT");
  if (!src || system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
    skip();
  }
  lt_model_config c;
  lt_param_table t;
  float *p;
  make_tiny(&c, &t, &p);
  char path[600], bin[600], names[600], cmd[3000];
  path_in(path, sizeof path, "py.safetensors");
  path_in(bin, sizeof bin, "py.bin");
  path_in(names, sizeof names, "py.names");
  lt_error err = {{0}};
  assert_int_equal(lt_weights_save(path, &c, &t, p, NULL, NULL, &err), 0);
  FILE *f = fopen(names, "w");
  assert_non_null(f);
  for (int i = 0; i < t.n; i++) fprintf(f, "%s\n", t.v[i].name);
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c \"import sys; sys.path.insert(0, '%s/tests/reference'); "
           "import safetensors_io as s, json, numpy as np; "
           "ts, meta = s.load('%s'); cfg = json.loads(meta['config']); assert cfg['width'] == 8; "
           "names = open('%s').read().split(); assert sorted(names) == sorted(ts); "
           "open('%s', 'wb').write(b''.join(ts[n].astype('<f4').tobytes() for n in names))\"",
           src, path, names, bin);
  assert_int_equal(system(cmd), 0);
  f = fopen(bin, "rb");
  assert_non_null(f);
  for (int i = 0; i < t.n; i++) {
    float *buf = malloc(t.v[i].count * sizeof(float));
    assert_int_equal(fread(buf, sizeof(float), t.v[i].count, f), t.v[i].count);
    assert_memory_equal(buf, p + t.v[i].offset, t.v[i].count * sizeof(float));
    free(buf);
  }
  fclose(f);
  lt_param_table_free(&t);
  free(p);
}

/* Writes a raw file: 8-byte length, header, data. */
static void write_raw(const char *path, uint64_t hlen, const char *header, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(hlen >> (8 * i));
  fwrite(b, 1, 8, f);
  fwrite(header, 1, strlen(header), f);
  if (n) fwrite(data, 1, n, f);
  fclose(f);
}

static void expect_refused(const char *path, const char *needle) {
  lt_st_file *f = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_st_read(path, &f, &err), -1);
  assert_null(f);
  if (!strstr(err.msg, needle)) fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, needle);
  assert_non_null(strstr(err.msg, needle));
  assert_null(strchr(err.msg, '\n'));
}

static void raw_with_checksum(const char *path, const char *tensors_json, const void *data, size_t n) {
  char header[2048];
  snprintf(header, sizeof header, "{\"__metadata__\":{\"lt_checksum\":\"fnv1a64:%016" PRIx64 "\"}%s%s}",
           lt_fnv1a64(data, n), *tensors_json ? "," : "", tensors_json);
  write_raw(path, strlen(header), header, data, n);
}

static void broken_safetensors_files_are_refused_with_one_line(void **state) {
  (void)state;
  char path[600];
  path_in(path, sizeof path, "broken.safetensors");
  float data[6] = {1, 2, 3, 4, 5, 6};

  /* A good raw file is accepted: the writer below is right. */
  raw_with_checksum(path, "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}", data, 24);
  lt_st_file *f = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_st_read(path, &f, &err), 0);
  assert_int_equal(lt_st_count(f), 2);
  assert_true(lt_st_find(f, "b")->data[3] == 6.0f);
  lt_st_free(f);

  write_raw(path, 0, "", NULL, 0);
  FILE *fp = fopen(path, "wb");
  fwrite("abc", 1, 3, fp);
  fclose(fp);
  expect_refused(path, "shorter than the 8-byte");

  write_raw(path, 1ull << 40, "{}", NULL, 0);
  expect_refused(path, "exceeds");

  write_raw(path, 5000, "{\"__metadata__\":{}}", NULL, 0);
  expect_refused(path, "truncated");

  write_raw(path, 9, "{\"a\": [1,", NULL, 0);
  expect_refused(path, "not valid JSON");

  raw_with_checksum(path, "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}", data, 4);
  expect_refused(path, "only F32");

  raw_with_checksum(path, "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4,20]}", data, 20);
  expect_refused(path, "overlap");

  raw_with_checksum(path, "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,24]}", data, 24);
  expect_refused(path, "gap");

  raw_with_checksum(path, "\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}", data, 24);
  expect_refused(path, "outside");

  raw_with_checksum(path, "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}", data, 8);
  expect_refused(path, "shape needs");

  raw_with_checksum(path, "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", data, 24);
  expect_refused(path, "after the last tensor");

  raw_with_checksum(path, "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}", data, 16);
  expect_refused(path, "twice");

  const char *nosum = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  write_raw(path, strlen(nosum), nosum, data, 8);
  expect_refused(path, "no lt_checksum");

  /* A flipped bit in the data. */
  lt_st_view v = {"a", 1, {6}, data};
  assert_int_equal(lt_st_write(path, &v, 1, NULL, 0, &err), 0);
  assert_int_equal(lt_st_read(path, &f, &err), 0);
  lt_st_free(f);
  fp = fopen(path, "r+b");
  fseek(fp, -3, SEEK_END);
  int ch = fgetc(fp);
  fseek(fp, -3, SEEK_END);
  fputc(ch ^ 0x10, fp);
  fclose(fp);
  expect_refused(path, "checksum mismatch");

  /* Truncated by a few bytes after a good write. */
  assert_int_equal(lt_st_write(path, &v, 1, NULL, 0, &err), 0);
  struct stat st;
  stat(path, &st);
  assert_int_equal(truncate(path, st.st_size - 5), 0);
  expect_refused(path, "outside");
}

static void weights_mismatched_with_config_are_refused(void **state) {
  (void)state;
  lt_model_config c;
  lt_param_table t;
  float *p;
  make_tiny(&c, &t, &p);
  char path[600];
  path_in(path, sizeof path, "mm.safetensors");
  lt_error err = {{0}};
  lt_weights w;
  char *cfg = lt_model_config_to_json(&c);
  lt_st_meta_entry meta[2] = {{"lt_format", LT_WEIGHTS_FORMAT}, {"config", cfg}};
  lt_st_view *views = calloc((size_t)t.n + 1, sizeof *views);
  for (int i = 0; i < t.n; i++) {
    views[i].name = t.v[i].name;
    views[i].ndim = t.v[i].ndim;
    for (int d = 0; d < t.v[i].ndim; d++) views[i].shape[d] = t.v[i].shape[d];
    views[i].data = p + t.v[i].offset;
  }
  /* Correct file first. */
  assert_int_equal(lt_st_write(path, views, t.n, meta, 2, &err), 0);
  assert_int_equal(lt_weights_load(path, &c, &w, &err), 0);
  lt_weights_free(&w);

  /* Wrong shape: the first conv's weight claims a different kernel layout of the same count. */
  lt_st_view keep = views[0];
  views[0].ndim = 2;
  views[0].shape[0] = t.v[0].shape[0];
  views[0].shape[1] = (int64_t)(t.v[0].count / (size_t)t.v[0].shape[0]);
  assert_int_equal(lt_st_write(path, views, t.n, meta, 2, &err), 0);
  assert_int_equal(lt_weights_load(path, NULL, &w, &err), -1);
  assert_non_null(strstr(err.msg, "has shape"));
  views[0] = keep;

  /* Missing tensor. */
  assert_int_equal(lt_st_write(path, views, t.n - 1, meta, 2, &err), 0);
  assert_int_equal(lt_weights_load(path, NULL, &w, &err), -1);
  assert_non_null(strstr(err.msg, "is missing"));

  /* Extra tensor. */
  views[t.n] = (lt_st_view){"extra.weight", 1, {4}, p};
  assert_int_equal(lt_st_write(path, views, t.n + 1, meta, 2, &err), 0);
  assert_int_equal(lt_weights_load(path, NULL, &w, &err), -1);
  assert_non_null(strstr(err.msg, "not part of the configured model"));

  /* Architecture different from the one expected. */
  assert_int_equal(lt_st_write(path, views, t.n, meta, 2, &err), 0);
  lt_model_config other = c;
  other.width = 16;
  assert_int_equal(lt_weights_load(path, &other, &w, &err), -1);
  assert_non_null(strstr(err.msg, "differs from the expected"));

  /* Config that is not valid JSON / no format tag. */
  lt_st_meta_entry bad[2] = {{"lt_format", LT_WEIGHTS_FORMAT}, {"config", "{\"width\": \"x\"}"}};
  assert_int_equal(lt_st_write(path, views, t.n, bad, 2, &err), 0);
  assert_int_equal(lt_weights_load(path, NULL, &w, &err), -1);
  assert_non_null(strstr(err.msg, "bad value for 'width'"));
  assert_int_equal(lt_st_write(path, views, t.n, meta + 1, 1, &err), 0);
  assert_int_equal(lt_weights_load(path, NULL, &w, &err), -1);
  assert_non_null(strstr(err.msg, "not a LungTrust weights file"));

  free(views);
  free(cfg);
  lt_param_table_free(&t);
  free(p);
}

/* The checksum forms and format names of safetensors.h and weights.h, written out here so that
 * the test states the format rather than borrowing it. */
#define SUM_FILE "fnv1a64-hd:" /* over the file, its own 16 digits as '0' */
#define SUM_DATA "fnv1a64:"    /* over the data alone */
#define FORMAT_1 "lungtrust-weights-1"
#define FORMAT_2 "lungtrust-weights-2"

/* Rewrites the header of the file at path: every `from` becomes `to`, the header is padded again
 * and, when fix_sum, its checksum is made right again in whichever form it has, as someone who
 * knows the format would. */
static void edit_header(const char *path, const char *from, const char *to, int fix_sum) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  size_t size = (size_t)ftell(f);
  rewind(f);
  unsigned char *raw = malloc(size);
  assert_non_null(raw);
  assert_int_equal(fread(raw, 1, size, f), size);
  fclose(f);
  uint64_t hn = 0;
  for (int i = 0; i < 8; i++) hn |= (uint64_t)raw[i] << (8 * i);
  const unsigned char *data = raw + 8 + hn;
  size_t dn = size - 8 - (size_t)hn;
  size_t cap = (size_t)hn + 4096;
  char *h = calloc(cap, 1);
  assert_non_null(h);
  size_t n = 0;
  for (size_t i = 0; i < hn;) {
    if (!memcmp(raw + 8 + i, from, strlen(from)) && i + strlen(from) <= hn) {
      memcpy(h + n, to, strlen(to));
      n += strlen(to);
      i += strlen(from);
    } else {
      h[n++] = (char)raw[8 + i++];
    }
  }
  while (n > 0 && h[n - 1] == ' ') n--;
  while (n % 8) h[n++] = ' ';
  h[n] = 0;
  char *c;
  if (fix_sum && (c = strstr(h, "\"" SUM_FILE))) {
    size_t at = (size_t)(c - h) + 1 + strlen(SUM_FILE);
    memset(h + at, '0', 16);
    unsigned char *file = malloc(8 + n + dn);
    assert_non_null(file);
    for (int i = 0; i < 8; i++) file[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(file + 8, h, n);
    memcpy(file + 8 + n, data, dn);
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, lt_fnv1a64(file, 8 + n + dn));
    free(file);
    memcpy(h + at, hex, 16);
  } else if (fix_sum && (c = strstr(h, "\"" SUM_DATA))) {
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, lt_fnv1a64(data, dn));
    memcpy(c + 1 + strlen(SUM_DATA), hex, 16);
  }
  write_raw(path, n, h, data, dn);
  free(h);
  free(raw);
}

/* Loads path, which must be refused with one line holding needle, in under 0.5 s and without
 * allocating the parameters of the edited config (w = 1024: about 16 GB). The load runs in a
 * child held to 1 GiB of address space (outside AddressSanitizer, which needs its own), so a
 * reader that allocates first fails here instead of taking the machine. */
static void refused_quickly(const char *path, const char *needle) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
#if !defined(__SANITIZE_ADDRESS__)
    struct rlimit lim = {1u << 30, 1u << 30};
    setrlimit(RLIMIT_AS, &lim);
#endif
    alarm(5);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lt_weights w;
    lt_error err = {{0}};
    int rc = lt_weights_load(path, NULL, &w, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    fprintf(stderr, "refused in %.4f s: %s\n", sec, err.msg);
#if defined(__SANITIZE_ADDRESS__)
    const double limit = 3.0; /* a sanitizer build runs several times slower */
#else
    const double limit = 0.5;
#endif
    _exit(rc == -1 && strstr(err.msg, needle) && !strchr(err.msg, '\n') && sec < limit ? 0 : 1);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "%s: not refused quickly with '%s' (status %d)\n", path, needle, status);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Issue 29 item 8: a width changed in the metadata is refused before the parameters are
 * allocated. In format 2 the header checksum catches it; with the checksum made right again
 * (or in format 1, whose checksum covers the data alone) the tensor table does. */
static void weights_width_edited_in_metadata_refused_quickly(void **state) {
  (void)state;
  lt_model_config c;
  lt_param_table t;
  float *p;
  make_tiny(&c, &t, &p);
  char path[600];
  path_in(path, sizeof path, "width.safetensors");
  lt_error err = {{0}};
  lt_weights w;
  assert_int_equal(lt_weights_save(path, &c, &t, p, NULL, NULL, &err), 0);
  char from[32], to[32];
  snprintf(from, sizeof from, "\\\"width\\\":%d,", c.width);
  snprintf(to, sizeof to, "\\\"width\\\":1024,");
  /* Format 2 as written: the header is checksummed. */
  assert_int_equal(lt_weights_load(path, NULL, &w, &err), 0);
  lt_weights_free(&w);
  edit_header(path, from, to, 0);
  refused_quickly(path, "checksum mismatch");
  edit_header(path, "x", "x", 1);
  refused_quickly(path, "has shape");
  /* A format-2 file with a data-only checksum is a downgrade: refused. */
  assert_int_equal(lt_weights_save(path, &c, &t, p, NULL, NULL, &err), 0);
  edit_header(path, "\"" SUM_FILE, "\"" SUM_DATA, 1);
  refused_quickly(path, "does not cover its header");
  /* Format 1: still read, and the edited width is caught by the tensor table. */
  edit_header(path, FORMAT_2, FORMAT_1, 1);
  assert_int_equal(lt_weights_load(path, &c, &w, &err), 0);
  assert_true(w.params[t.v[0].offset] == p[t.v[0].offset]);
  lt_weights_free(&w);
  edit_header(path, from, to, 1);
  refused_quickly(path, "has shape");
  lt_param_table_free(&t);
  free(p);
}

static void config_json_round_trip_and_presets(void **state) {
  (void)state;
  lt_error err = {{0}};
  for (const char *const *n = lt_model_config_preset_names(); *n; n++) {
    lt_model_config c, d;
    assert_int_equal(lt_model_config_preset(&c, *n, &err), 0);
    assert_int_equal(lt_model_config_validate(&c, &err), 0);
    char *js = lt_model_config_to_json(&c);
    assert_int_equal(lt_model_config_from_json(&d, js, &err), 0);
    assert_true(lt_model_config_equal(&c, &d));
    free(js);
  }
  lt_model_config c;
  assert_int_equal(lt_model_config_preset(&c, "nonsense", &err), -1);
  assert_int_equal(lt_model_config_from_json(&c, "{\"bogus\": 1}", &err), -1);
  assert_non_null(strstr(err.msg, "unknown key"));
  assert_int_equal(lt_model_config_from_json(&c, "{\"concat\": true, \"attributes\": false}", &err), -1);
  assert_non_null(strstr(err.msg, "concatenation needs"));
  assert_int_equal(lt_model_config_from_json(&c, "{\"debug\": \"cam\"}", &err), -1);
  assert_int_equal(lt_model_config_from_json(&c, "{\"groups\": 5}", &err), -1);
  /* The attribute weight: kept through JSON, 1 when absent (files written before it), refused
   * when negative, and part of equality (a resume checks it). */
  lt_model_config w, w2;
  lt_model_config_default(&w);
  w.attr_weight = 2.5;
  char *wj = lt_model_config_to_json(&w);
  assert_int_equal(lt_model_config_from_json(&w2, wj, &err), 0);
  free(wj);
  assert_true(w2.attr_weight == 2.5 && lt_model_config_equal(&w, &w2));
  assert_int_equal(lt_model_config_from_json(&w2, "{\"width\": 16}", &err), 0);
  assert_true(w2.attr_weight == 1.0 && !lt_model_config_equal(&w, &w2));
  assert_int_equal(lt_model_config_from_json(&w2, "{\"attr_weight\": -1}", &err), -1);
  assert_non_null(strstr(err.msg, "attr_weight"));
  /* Mask pooling: written only when on (older files' metadata unchanged), off when absent,
   * part of the architecture (its heads are twice as wide), refused without a segmentation or
   * with plain CAM. */
  lt_model_config_default(&w);
  char *plain = lt_model_config_to_json(&w);
  assert_null(strstr(plain, "mask_pool"));
  free(plain);
  w.mask_pool = true;
  wj = lt_model_config_to_json(&w);
  assert_int_equal(lt_model_config_from_json(&w2, wj, &err), 0);
  free(wj);
  assert_true(w2.mask_pool && lt_model_config_equal(&w, &w2) && lt_model_config_same_arch(&w, &w2));
  w2.mask_pool = false;
  assert_true(!lt_model_config_equal(&w, &w2) && !lt_model_config_same_arch(&w, &w2));
  assert_int_equal(lt_model_config_from_json(&w2, "{\"mask_pool\": 1}", &err), -1);
  assert_int_equal(lt_model_config_from_json(&w2, "{\"mask_pool\": true, \"arch\": \"resnet\", \"attributes\": false, \"concat\": false}", &err), -1);
  assert_non_null(strstr(err.msg, "mask pooling needs the segmentation"));
  assert_int_equal(lt_model_config_from_json(&w2, "{\"mask_pool\": true, \"debug\": \"cam\", \"concat\": false}", &err), -1);
  assert_non_null(strstr(err.msg, "mask pooling needs Grad-CAM"));
  {
    lt_param_table tm;
    assert_int_equal(lt_param_table_build(&tm, &w, &err), 0);
    const lt_param_view *r1 = &tm.v[lt_param_find(&tm, "reg1.weight")];
    assert_int_equal(r1->shape[1], 2 * lt_model_config_fusion_channels(&w));
    lt_param_table_free(&tm);
  }
  /* Default: about 1.2 M parameters at w = 16 (counted by hand from DESIGN section 3). */
  lt_model_config_default(&c);
  lt_param_table t;
  assert_int_equal(lt_param_table_build(&t, &c, &err), 0);
  size_t n = 0;
  for (int i = 0; i < t.n; i++) n += t.v[i].count;
  /* e1 2*16*27+16 ... computed in python from the same description: */
  assert_int_equal(n, 1183064);
  lt_param_table_free(&t);
}

int main(void) {
  if (!lt_test_tmpdir(dir, sizeof dir)) {
    printf("cannot make a temporary directory\n");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(weights_round_trip_keeps_tensors_config_stats),
      cmocka_unit_test(python_reads_our_weights_file),
      cmocka_unit_test(broken_safetensors_files_are_refused_with_one_line),
      cmocka_unit_test(weights_mismatched_with_config_are_refused),
      cmocka_unit_test(weights_width_edited_in_metadata_refused_quickly),
      cmocka_unit_test(config_json_round_trip_and_presets),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) rc = rc ? rc : 1;
  return rc;
}
