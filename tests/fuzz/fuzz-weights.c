/* tests/fuzz/fuzz-weights.c — libFuzzer target for the weights reader (engine/model/safetensors.h,
 * weights.h): the file a user hands the workstation or the CLI as a model.
 * Each input is a safetensors header, the JSON text alone. A whole file would be mostly tensor
 * data, where a mutation teaches nothing, and every file we write carries a checksum of that data
 * that a mutated file would fail first. So the target builds the file around the header: the data
 * buffer is zeros, as long as the largest end offset the header's "data_offsets" name (at most
 * 64 MiB; a header that names none gets 4 bytes), and the first checksum in the header is
 * rewritten to the one the file needs: after "fnv1a64-hd:" (format 2, over the header with these
 * digits as '0' and the data) or "fnv1a64:" (format 1, the data alone), 16 hex digits. Mutations
 * then reach the JSON, the tensor table (names, shapes, offsets, dtypes), the config, the
 * statistics and the attribute refit, and the header-checksum path of both forms.
 * The file is loaded with no expected architecture and, if that succeeds, with the default one.
 * A failure must be one line; a success must hold a parameter block and a valid config; never a
 * crash.
 * Build: CC=clang CXX=clang++ meson setup B -Dfuzz=true -Db_sanitize=address
 *        -Dc_args=-fsanitize=fuzzer-no-link -Dcpp_args=-fsanitize=fuzzer-no-link
 * Run:   tests/fuzz/run-fuzz-weights.sh B [SECONDS]  (seeds: tests/fuzz/weights-seeds, the
 *        headers of the default model, of an untrained model and of the ResNet baseline, in
 *        format 1, and of an untrained model in format 2: untrained-v2.json) */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/config.h"
#include "model/safetensors.h"
#include "model/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DATA_MAX (64u << 20)

static char path[64];
static uint8_t *zeros; /* DATA_MAX bytes of 0, the data buffer of every file */

static void remove_temp(void) { unlink(path); }

static void check_line(const lt_error *err) {
  if (!err->msg[0] || strchr(err->msg, '\n')) abort();
}

/* The largest b of every "data_offsets": [a, b] in the header, capped at DATA_MAX. */
static size_t data_size(const char *h, size_t n) {
  static const char key[] = "\"data_offsets\"";
  size_t best = 0;
  for (size_t i = 0; i + sizeof key - 1 <= n; i++) {
    if (memcmp(h + i, key, sizeof key - 1)) continue;
    size_t j = i + sizeof key - 1;
    while (j < n && h[j] != ',' && h[j] != '}') j++; /* past ": [a" */
    if (j >= n || h[j] != ',') continue;
    unsigned long long b = 0;
    for (j++; j < n && (h[j] == ' ' || h[j] == '\n'); j++) {
    }
    for (; j < n && h[j] >= '0' && h[j] <= '9' && b <= DATA_MAX; j++) b = b * 10 + (unsigned)(h[j] - '0');
    if (b > best) best = b > DATA_MAX ? DATA_MAX : (size_t)b;
  }
  return best ? best : 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!zeros && !(zeros = calloc(DATA_MAX, 1))) abort();
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/lt-fuzz-weights-%d.safetensors", (int)getpid());
    atexit(remove_temp);
  }
  char *h = malloc(size ? size : 1);
  if (!h) abort();
  memcpy(h, data, size);
  const size_t n_data = data_size(h, size);
  static const char tag_hd[] = "fnv1a64-hd:", tag[] = "fnv1a64:";
  char *c_hd = size >= sizeof tag_hd - 1 + 16 ? memmem(h, size, tag_hd, sizeof tag_hd - 1) : NULL;
  char *c = size >= sizeof tag - 1 + 16 ? memmem(h, size, tag, sizeof tag - 1) : NULL;
  if (c_hd && (size_t)(c_hd - h) + sizeof tag_hd - 1 + 16 <= size) {
    const size_t at = (size_t)(c_hd - h) + sizeof tag_hd - 1;
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, lt_st_file_sum(h, size, at, zeros, n_data));
    memcpy(h + at, hex, 16);
  } else if (c && (size_t)(c - h) + sizeof tag - 1 + 16 <= size) {
    static size_t sum_n; /* the checksum of the last length: most inputs keep their length */
    static uint64_t sum;
    if (sum_n != n_data) sum = lt_fnv1a64(zeros, n_data), sum_n = n_data;
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, sum);
    memcpy(c + sizeof tag - 1, hex, 16);
  }
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)size >> (8 * i));
  fwrite(len, 1, 8, f);
  fwrite(h, 1, size, f);
  fwrite(zeros, 1, n_data, f);
  fclose(f);
  free(h);

  lt_model_config def;
  lt_model_config_default(&def);
  const lt_model_config *expect[2] = {NULL, &def};
  /* the second load, against the default architecture, only for a file that loads at all */
  for (int k = 0; k < 2; k++) {
    lt_weights w;
    lt_error err = {{0}};
    if (lt_weights_load(path, expect[k], &w, &err) != 0) {
      check_line(&err);
      break;
    }
    lt_error e2 = {{0}};
    if (!w.params || lt_model_config_validate(&w.config, &e2)) abort();
    lt_weights_free(&w);
  }
  return 0;
}
