/* engine/ct/series.c — see series.h. */
#include "ct/series.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct/dicom.h"

/* ---- files ---- */

typedef struct {
  char **path;
  int n, cap;
} lt_paths;

static int lt_paths_add(lt_paths *p, const char *s) {
  if (p->n == p->cap) {
    int cap = p->cap ? 2 * p->cap : 256;
    char **np = realloc(p->path, (size_t)cap * sizeof *np);
    if (!np) return -1;
    p->path = np;
    p->cap = cap;
  }
  p->path[p->n] = strdup(s);
  if (!p->path[p->n]) return -1;
  p->n++;
  return 0;
}

static void lt_paths_free(lt_paths *p) {
  for (int i = 0; i < p->n; i++) free(p->path[i]);
  free(p->path);
  memset(p, 0, sizeof *p);
}

/* Regular files under dir, recursively; symbolic links to folders are not followed (no loops). */
static int lt_walk(const char *dir, int depth, lt_paths *out, lt_error *err) {
  if (depth > 32) return 0;
  DIR *d = opendir(dir);
  if (!d) return lt_error_set(err, "cannot open folder %s: %s", dir, strerror(errno));
  struct dirent *e;
  int rc = 0;
  char buf[4096];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
      continue;
    if ((size_t)snprintf(buf, sizeof buf, "%s/%s", dir, e->d_name) >= sizeof buf) continue;
    struct stat st;
    if (lstat(buf, &st) != 0) continue;
    if (S_ISLNK(st.st_mode) && (stat(buf, &st) != 0 || S_ISDIR(st.st_mode))) continue;
    if (S_ISDIR(st.st_mode)) {
      if (lt_walk(buf, depth + 1, out, err)) { rc = -1; break; }
    } else if (S_ISREG(st.st_mode)) {
      if (lt_paths_add(out, buf)) { rc = lt_error_set(err, "out of memory"); break; }
    }
  }
  closedir(d);
  return rc;
}

static int lt_cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int lt_find_files(const char *path, lt_paths *out, lt_error *err) {
  struct stat st;
  if (!path || !*path) return lt_error_set(err, "no path given");
  if (stat(path, &st) != 0) return lt_error_set(err, "cannot open %s: %s", path, strerror(errno));
  if (S_ISREG(st.st_mode)) {
    if (lt_paths_add(out, path)) return lt_error_set(err, "out of memory");
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) return lt_error_set(err, "%s is neither a file nor a folder", path);
  if (access(path, R_OK | X_OK) != 0)
    return lt_error_set(err, "cannot open folder %s: %s", path, strerror(errno));
  if (lt_walk(path, 0, out, err)) return -1;
  if (out->n == 0) return lt_error_set(err, "%s: empty folder (no files in it or below)", path);
  qsort(out->path, (size_t)out->n, sizeof *out->path, lt_cmp_str);
  return 0;
}

/* ---- a small parallel for: fn(i) for i in [0, n), indices handed out in order ---- */

typedef void (*lt_par_fn)(void *ctx, int i);
typedef struct {
  lt_par_fn fn;
  void *ctx;
  int n;
  int next; /* atomic */
} lt_par;

static void *lt_par_worker(void *arg) {
  lt_par *p = arg;
  for (;;) {
    int i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
    if (i >= p->n) break;
    p->fn(p->ctx, i);
  }
  return NULL;
}

int lt_series_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > 16) n = 16;
  return (int)n;
}

static void lt_parallel_for(int n, lt_par_fn fn, void *ctx) {
  lt_par p = {fn, ctx, n, 0};
  int nt = lt_series_threads();
  if (nt > n) nt = n;
  pthread_t th[16];
  int started = 0;
  for (int t = 1; t < nt; t++) {
    if (pthread_create(&th[started], NULL, lt_par_worker, &p) != 0) break;
    started++;
  }
  lt_par_worker(&p); /* the calling thread works too; fewer threads only means slower */
  for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
}

/* ---- headers ---- */

typedef struct {
  const char *path;
  lt_dicom_header h;
  int ok;
  lt_error err;
} lt_file;

static void lt_read_header_task(void *ctx, int i) {
  lt_file *f = (lt_file *)ctx + i;
  f->ok = lt_dicom_read_header(f->path, &f->h, &f->err) == 0;
}

typedef struct {
  lt_paths paths;
  lt_file *file;
  lt_series_summary *series;
  int n_series;
  int *series_of; /* per file: index in series, -1 when skipped */
  int n_unreadable, n_no_image, n_broken_dicom;
  char skip_example[256], broken_example[256];
} lt_scan;

static void lt_scan_free(lt_scan *s) {
  if (s->file)
    for (int i = 0; i < s->paths.n; i++) lt_dicom_header_free(&s->file[i].h);
  free(s->file);
  free(s->series);
  free(s->series_of);
  lt_paths_free(&s->paths);
  memset(s, 0, sizeof *s);
}

/* True when the file has the 128-byte preamble and "DICM": a DICOM file, whatever its damage. */
static int lt_has_dicm(const char *path) {
  unsigned char b[132];
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(b, 1, sizeof b, f);
  fclose(f);
  return n == sizeof b && memcmp(b + 128, "DICM", 4) == 0;
}

static int lt_scan_run(const char *path, lt_scan *s, lt_error *err) {
  memset(s, 0, sizeof *s);
  if (lt_find_files(path, &s->paths, err)) return -1;
  int n = s->paths.n;
  s->file = calloc((size_t)n, sizeof *s->file);
  s->series = calloc((size_t)n, sizeof *s->series);
  s->series_of = malloc((size_t)n * sizeof *s->series_of);
  if (!s->file || !s->series || !s->series_of) return lt_error_set(err, "out of memory");
  for (int i = 0; i < n; i++) s->file[i].path = s->paths.path[i];
  lt_parallel_for(n, lt_read_header_task, s->file);
  for (int i = 0; i < n; i++) {
    lt_file *f = &s->file[i];
    s->series_of[i] = -1;
    if (!f->ok || f->h.rows == 0 || !f->h.has_pixel_data) {
      if (!f->ok) s->n_unreadable++;
      else s->n_no_image++;
      if (!f->ok && lt_has_dicm(f->path) && s->n_broken_dicom++ == 0)
        snprintf(s->broken_example, sizeof s->broken_example, "%s", f->err.msg);
      if (!s->skip_example[0]) {
        if (f->ok)
          snprintf(s->skip_example, sizeof s->skip_example, "%s: no image (modality %s)", f->path,
                   f->h.modality[0] ? f->h.modality : "?");
        else
          snprintf(s->skip_example, sizeof s->skip_example, "%s", f->err.msg);
      }
      continue;
    }
    int k = 0;
    while (k < s->n_series && strcmp(s->series[k].uid, f->h.series_uid) != 0) k++;
    lt_series_summary *ss = &s->series[k];
    if (k == s->n_series) {
      s->n_series++;
      snprintf(ss->uid, sizeof ss->uid, "%s", f->h.series_uid);
      snprintf(ss->modality, sizeof ss->modality, "%s", f->h.modality);
      snprintf(ss->description, sizeof ss->description, "%s", f->h.series_description);
      ss->rows = f->h.rows;
      ss->cols = f->h.cols;
    }
    ss->n_files++;
    ss->n_slices += f->h.frames;
    s->series_of[i] = k;
  }
  return 0;
}

static void lt_scan_to_info(const lt_scan *s, lt_series_info *info) {
  if (!info) return;
  info->n_files = s->paths.n;
  info->n_skipped_unreadable = s->n_unreadable;
  info->n_skipped_no_image = s->n_no_image;
  snprintf(info->skip_example, sizeof info->skip_example, "%s", s->skip_example);
  info->n_skipped_dicom = s->n_broken_dicom;
  snprintf(info->skip_dicom_example, sizeof info->skip_dicom_example, "%s", s->broken_example);
  free(info->series);
  info->series = NULL;
  info->n_series = s->n_series;
  if (s->n_series > 0) {
    info->series = malloc((size_t)s->n_series * sizeof *info->series);
    if (info->series) memcpy(info->series, s->series, (size_t)s->n_series * sizeof *info->series);
    else info->n_series = 0;
  }
}

int lt_series_list(const char *path, lt_series_summary **out, int *n, lt_error *err) {
  lt_scan s;
  *out = NULL;
  *n = 0;
  if (lt_scan_run(path, &s, err)) {
    lt_scan_free(&s);
    return -1;
  }
  if (s.n_series > 0) {
    *out = malloc((size_t)s.n_series * sizeof **out);
    if (!*out) {
      lt_scan_free(&s);
      return lt_error_set(err, "out of memory");
    }
    memcpy(*out, s.series, (size_t)s.n_series * sizeof **out);
    *n = s.n_series;
  }
  lt_scan_free(&s);
  return 0;
}

void lt_series_info_free(lt_series_info *info) {
  if (!info) return;
  free(info->series);
  info->series = NULL;
  info->n_series = 0;
}

int lt_series_info_line(const lt_series_info *info, char *buf, size_t n) {
  if (!buf || n == 0) return 0;
  int len = snprintf(buf, n, "%d slice%s, spacing %g mm from positions (SliceThickness %g mm)",
                     info->n_slices, info->n_slices == 1 ? "" : "s", info->spacing_positions,
                     info->slice_thickness);
  if (info->n_filled > 0 && len >= 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "; %d missing slice%s filled by interpolation",
                    info->n_filled, info->n_filled == 1 ? "" : "s");
  if (info->n_uneven_gaps > 0 && len >= 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "; %d uneven gap%s (%g to %g mm)",
                    info->n_uneven_gaps, info->n_uneven_gaps == 1 ? "" : "s", info->gap_min,
                    info->gap_max);
  if (info->n_duplicates > 0 && len >= 0 && (size_t)len < n)
    snprintf(buf + len, n - (size_t)len, "; %d duplicate position%s dropped", info->n_duplicates,
             info->n_duplicates == 1 ? "" : "s");
  return info->n_filled + info->n_uneven_gaps + info->n_duplicates;
}

int lt_series_warning(const lt_series_info *info, char *line, size_t n) {
  if (!line || n == 0) return 0;
  line[0] = '\0';
  if (!info) return 0;
  int facts = 0;
  size_t len = 0;
  /* appends one clause, "; " between clauses, never past n - 1 bytes */
#define LT_CLAUSE(...)                                                                  \
  do {                                                                                  \
    if (len < n && facts > 0) len += (size_t)snprintf(line + len, n - len, "; ");       \
    if (len < n) len += (size_t)snprintf(line + len, n - len, __VA_ARGS__);             \
    facts++;                                                                            \
  } while (0)
  if (info->n_filled > 0) {
    if (info->n_filled == 1)
      LT_CLAUSE("1 slice missing from the series (at %g mm along the slice normal) was filled by "
                "interpolating its neighbours: do not read findings on it", info->filled_pos[0]);
    else
      LT_CLAUSE("%d slices missing from the series (in %d hole%s, %g to %g mm along the slice "
                "normal) were filled by interpolating their neighbours: do not read findings on "
                "them", info->n_filled, info->n_filled_runs, info->n_filled_runs == 1 ? "" : "s",
                info->filled_pos[0], info->filled_pos[1]);
  }
  if (info->n_skipped_dicom > 0)
    LT_CLAUSE("%d damaged DICOM file%s skipped (%s)", info->n_skipped_dicom,
              info->n_skipped_dicom == 1 ? "" : "s", info->skip_dicom_example);
  if (info->n_uneven_gaps > 0)
    LT_CLAUSE("slices unevenly spaced (%d gap%s from %g to %g mm, %g mm used): distances along "
              "the slice normal are approximate", info->n_uneven_gaps,
              info->n_uneven_gaps == 1 ? "" : "s", info->gap_min, info->gap_max,
              info->spacing_positions);
  if (info->n_duplicates > 0)
    LT_CLAUSE("%d slice%s at a repeated position dropped", info->n_duplicates,
              info->n_duplicates == 1 ? "" : "s");
#undef LT_CLAUSE
  for (char *c = line; *c; c++) /* a file name in an example cannot break the line */
    if (*c == '\n' || *c == '\r') *c = ' ';
  return facts;
}

/* ---- choosing, checking and sorting slices ---- */

static int lt_is_ct(const char *modality) { return strcmp(modality, "CT") == 0; }

static int lt_choose(const char *path, const char *uid, const lt_scan *s, lt_error *err) {
  if (uid) {
    for (int k = 0; k < s->n_series; k++) {
      if (strcmp(s->series[k].uid, uid) != 0) continue;
      if (!lt_is_ct(s->series[k].modality))
        return lt_error_set(err, "series %s is %s, not CT: a volume is built only from CT", uid,
                            s->series[k].modality[0] ? s->series[k].modality : "of no modality");
      return k;
    }
    return lt_error_set(err, "%s: no series %s among the %d found", path, uid, s->n_series);
  }
  int best = -1;
  for (int k = 0; k < s->n_series; k++)
    if (lt_is_ct(s->series[k].modality) && (best < 0 || s->series[k].n_slices > s->series[best].n_slices))
      best = k;
  if (best >= 0) return best;
  if (s->n_series == 0) {
    if (s->paths.n == 1)
      return lt_error_set(err, "%s", s->skip_example[0] ? s->skip_example : "no DICOM image");
    return lt_error_set(err, "%s: no DICOM image among %d files (first: %s)", path, s->paths.n,
                        s->skip_example);
  }
  char found[160] = "";
  size_t len = 0;
  for (int k = 0; k < s->n_series && len + 24 < sizeof found; k++)
    len += (size_t)snprintf(found + len, sizeof found - len, "%s%s %d slice%s", k ? ", " : "",
                            s->series[k].modality[0] ? s->series[k].modality : "?",
                            s->series[k].n_slices, s->series[k].n_slices == 1 ? "" : "s");
  if (s->paths.n == 1)
    return lt_error_set(err, "%s: modality %s, not CT: a volume is built only from CT", path,
                        s->series[0].modality[0] ? s->series[0].modality : "missing");
  return lt_error_set(err, "%s: no CT series (found %s)", path, found);
}

typedef struct {
  int file, frame; /* file -1: a filled slice, interpolated between slices lo and hi */
  double pos;
  int lo, hi;
} lt_slice;

static int lt_cmp_slice(const void *a, const void *b) {
  const lt_slice *x = a, *y = b;
  if (x->pos < y->pos) return -1;
  if (x->pos > y->pos) return 1;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return x->frame < y->frame ? -1 : (x->frame > y->frame);
}

static int lt_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

static void lt_cross(const double a[3], const double b[3], double c[3]) {
  c[0] = a[1] * b[2] - a[2] * b[1];
  c[1] = a[2] * b[0] - a[0] * b[2];
  c[2] = a[0] * b[1] - a[1] * b[0];
}

static double lt_norm(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

/* Unit row direction, column direction and normal from IOP; -1 when not orthonormal-ish. */
static int lt_axes(const double iop[6], double row[3], double col[3], double nrm[3]) {
  double nr = lt_norm(iop), nc = lt_norm(iop + 3);
  if (!(nr > 0.9 && nr < 1.1 && nc > 0.9 && nc < 1.1)) return -1;
  for (int r = 0; r < 3; r++) {
    row[r] = iop[r] / nr;
    col[r] = iop[3 + r] / nc;
  }
  if (fabs(row[0] * col[0] + row[1] * col[1] + row[2] * col[2]) > 0.01) return -1;
  lt_cross(row, col, nrm);
  double nn = lt_norm(nrm);
  for (int r = 0; r < 3; r++) nrm[r] /= nn;
  return 0;
}

/* Same geometry as the reference slice, within DS rounding. */
static int lt_check_slice(const lt_file *ref, const lt_dicom_frame *rf, const lt_file *f,
                          const lt_dicom_frame *ff, lt_error *err) {
  const char *p = f->path;
  if (!ff->has_ipp || !ff->has_iop)
    return lt_error_set(err, "%s: no ImagePositionPatient/ImageOrientationPatient", p);
  if (!ff->has_spacing || !(ff->pixel_spacing[0] > 0) || !(ff->pixel_spacing[1] > 0))
    return lt_error_set(err, "%s: PixelSpacing missing or not positive", p);
  if (f->h.rows != ref->h.rows || f->h.cols != ref->h.cols)
    return lt_error_set(err, "inconsistent geometry: %s is %dx%d, %s is %dx%d", p, f->h.cols,
                        f->h.rows, ref->path, ref->h.cols, ref->h.rows);
  if (f->h.samples != 1)
    return lt_error_set(err, "%s: %d samples per pixel, a CT slice has 1", p, f->h.samples);
  for (int k = 0; k < 6; k++)
    if (fabs(ff->iop[k] - rf->iop[k]) > 1e-4)
      return lt_error_set(err, "inconsistent geometry: ImageOrientationPatient of %s differs from"
                          " that of %s", p, ref->path);
  for (int k = 0; k < 2; k++)
    if (fabs(ff->pixel_spacing[k] - rf->pixel_spacing[k]) > 1e-4 * rf->pixel_spacing[k] + 1e-6)
      return lt_error_set(err, "inconsistent geometry: PixelSpacing %g\\%g of %s differs from"
                          " %g\\%g", ff->pixel_spacing[0], ff->pixel_spacing[1], p,
                          rf->pixel_spacing[0], rf->pixel_spacing[1]);
  return 0;
}

/* ---- decoding to HU ---- */

/* Asks for transparent huge pages on the fresh voxel block (a 70 MB CT faults in 35 times fewer
 * pages); a hint only, harmless where the kernel ignores it. */
static void lt_advise_huge(void *p, size_t n) {
  uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
  if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
}

typedef struct {
  const lt_scan *scan;
  lt_volume *vol;
  const lt_slice *slice;
  int n_slices;
  int *work_file;  /* distinct files to decode */
  int *err_set;    /* per work item */
  lt_error *errs;  /* per work item */
} lt_decode_ctx;

/* Stored values -> HU. Padding is matched on stored values, before the rescale. After the
 * rescale everything is clamped to [-1024, 32767]: the scanner's outside-of-circle value (stored
 * -1024 -> -2048 HU in LIDC) and any other value below air become -1024, so no value below -1024
 * remains in the volume. */
/* Vectorise a loop where OpenMP's simd pragma is available (-fopenmp), else leave it. */
#ifdef _OPENMP
#define LT_SIMD _Pragma("omp simd")
#else
#define LT_SIMD
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LT_CLONES
#endif
/* An AVX2 copy is chosen at load time where the CPU has it (the loop is a third of a load). */
LT_CLONES
static void lt_to_hu(int16_t *dst, const int32_t *src, size_t n, const lt_dicom_header *h,
                     const lt_dicom_frame *fr) {
  int32_t plo = 0, phi = -1;
  if (h->has_padding) {
    plo = phi = h->padding;
    if (h->has_padding_limit) {
      plo = h->padding < h->padding_limit ? h->padding : h->padding_limit;
      phi = h->padding < h->padding_limit ? h->padding_limit : h->padding;
    }
  }
  double slope = fr->slope, icpt = fr->intercept;
  if (slope == 1.0 && icpt == floor(icpt) && fabs(icpt) < 1e6) {
    /* The usual CT case, integer only; written without branches so it vectorises. */
    const int32_t ii = (int32_t)icpt;
LT_SIMD
    for (size_t p = 0; p < n; p++) {
      int32_t v = src[p];
      /* |v| < 2^31 and |ii| < 1e6: clamp v first so the sum cannot overflow */
      int32_t vc = v < -2000000 ? -2000000 : v > 2000000 ? 2000000 : v;
      int32_t hu = vc + ii;
      hu = hu < LT_HU_AIR ? LT_HU_AIR : hu > 32767 ? 32767 : hu;
      dst[p] = (int16_t)((v >= plo && v <= phi) ? LT_HU_AIR : hu);
    }
    return;
  }
  for (size_t p = 0; p < n; p++) {
    int32_t v = src[p];
    double hu = floor((double)v * slope + icpt + 0.5);
    hu = hu < LT_HU_AIR ? LT_HU_AIR : hu > 32767 ? 32767 : hu; /* NaN cannot occur: finite inputs */
    dst[p] = (int16_t)((v >= plo && v <= phi) ? LT_HU_AIR : hu);
  }
}

typedef struct {
  lt_decode_ctx *c;
  int file;
  const lt_file *f;
} lt_frame_ctx;

/* One decoded frame -> the slice(s) it fills (a frame is one slice unless dropped as duplicate). */
static int lt_frame_to_slices(void *vctx, int frame, const int32_t *values, const lt_dicom_header *h,
                              lt_error *err) {
  lt_frame_ctx *fc = vctx;
  if (h->rows != fc->f->h.rows || h->cols != fc->f->h.cols || h->frames != fc->f->h.frames ||
      h->samples != 1)
    return lt_error_set(err, "%s changed while being read", fc->f->path);
  size_t npix = (size_t)h->rows * (size_t)h->cols;
  for (int k = 0; k < fc->c->n_slices; k++)
    if (fc->c->slice[k].file == fc->file && fc->c->slice[k].frame == frame)
      lt_to_hu(fc->c->vol->hu + (size_t)k * npix, values, npix, h, &h->frame[frame]);
  return 0;
}

static void lt_decode_task(void *vctx, int w) {
  lt_decode_ctx *c = vctx;
  lt_frame_ctx fc = {c, c->work_file[w], &c->scan->file[c->work_file[w]]};
  lt_dicom_header h;
  if (lt_dicom_decode_each_frame(fc.f->path, &h, lt_frame_to_slices, &fc, &c->errs[w]))
    c->err_set[w] = 1;
  else
    lt_dicom_header_free(&h);
}

/* Slices missing in a gap: m - 1 when the gap is m >= 2 whole spacings (each within tol). */
static long lt_missing_in_gap(double gap, double spacing, double tol) {
  double r = gap / spacing;
  if (!(r >= 1.5 && r < 1e6)) return 0; /* also keeps lround in range */
  long m = lround(r);
  return fabs(gap / (double)m - spacing) <= tol ? m - 1 : 0;
}

static int lt_build(const char *path, const lt_scan *s, int chosen, lt_volume **out,
                    lt_series_info *info, lt_error *err) {
  int nsl = s->series[chosen].n_slices;
  lt_slice *sl = calloc((size_t)nsl, sizeof *sl);
  int *work = malloc((size_t)s->series[chosen].n_files * sizeof *work);
  double *gaps = malloc((size_t)(nsl > 1 ? nsl : 1) * sizeof *gaps);
  lt_decode_ctx dc;
  memset(&dc, 0, sizeof dc);
  int rc = -1;
  if (!sl || !work || !gaps) {
    lt_error_set(err, "out of memory");
    goto done;
  }
  const lt_file *ref = NULL;
  const lt_dicom_frame *rf = NULL;
  double row[3], col[3], nrm[3];
  int m = 0, nwork = 0;
  for (int i = 0; i < s->paths.n; i++) {
    if (s->series_of[i] != chosen) continue;
    const lt_file *f = &s->file[i];
    work[nwork++] = i;
    for (int fr = 0; fr < f->h.frames; fr++) {
      const lt_dicom_frame *ff = &f->h.frame[fr];
      if (!ref) {
        ref = f;
        rf = ff;
        if (lt_check_slice(ref, rf, f, ff, err)) goto done;
        if (lt_axes(rf->iop, row, col, nrm)) {
          lt_error_set(err, "%s: ImageOrientationPatient is not two orthogonal unit vectors",
                       f->path);
          goto done;
        }
      } else if (lt_check_slice(ref, rf, f, ff, err)) {
        goto done;
      }
      sl[m].file = i;
      sl[m].frame = fr;
      sl[m].pos = ff->ipp[0] * nrm[0] + ff->ipp[1] * nrm[1] + ff->ipp[2] * nrm[2];
      m++;
    }
  }
  qsort(sl, (size_t)m, sizeof *sl, lt_cmp_slice);
  /* Duplicate positions (within 0.01 mm): keep the first (file order), count the others. */
  int kept = 0, ndup = 0;
  for (int k = 0; k < m; k++) {
    if (kept > 0 && fabs(sl[k].pos - sl[kept - 1].pos) < 0.01) {
      ndup++;
      continue;
    }
    sl[kept++] = sl[k];
  }
  double spacing = rf->thickness > 0 ? rf->thickness : 1.0;
  if (kept > 1) {
    for (int k = 0; k + 1 < kept; k++) gaps[k] = sl[k + 1].pos - sl[k].pos;
    qsort(gaps, (size_t)(kept - 1), sizeof *gaps, lt_cmp_double);
    spacing = gaps[(kept - 1) / 2]; /* the median gap */
  }
  const double tol = fmax(0.01, 0.01 * spacing);
  /* A gap of m whole spacings holds m - 1 missing slices: fill them, so that slice k stays at
   * origin + k * spacing beyond the hole (closing it up would put every later slice, and every
   * finding on it, one spacing off). */
  int nfill = 0, nruns = 0;
  double fill_first = 0, fill_last = 0;
  for (int k = 0; k + 1 < kept; k++) {
    double gk = sl[k + 1].pos - sl[k].pos;
    long mk = lt_missing_in_gap(gk, spacing, tol) + 1;
    if (mk < 2) continue;
    if (mk - 1 > LT_SERIES_MAX_FILL) {
      lt_error_set(err, "%ld slices missing between %g and %g mm along the slice normal (spacing "
                   "%g mm): more than %d in a row cannot be filled by interpolation",
                   mk - 1, sl[k].pos, sl[k + 1].pos, spacing, LT_SERIES_MAX_FILL);
      goto done;
    }
    if (nfill == 0) fill_first = sl[k].pos + gk / (double)mk;
    fill_last = sl[k + 1].pos - gk / (double)mk;
    nfill += (int)(mk - 1);
    nruns++;
  }
  int total = kept + nfill;
  if (nfill > 0) {
    lt_slice *all = calloc((size_t)total, sizeof *all);
    if (!all) {
      lt_error_set(err, "out of memory");
      goto done;
    }
    int o = 0;
    for (int k = 0; k < kept; k++) {
      all[o++] = sl[k];
      if (k + 1 == kept) break;
      double gk = sl[k + 1].pos - sl[k].pos;
      long mk = lt_missing_in_gap(gk, spacing, tol) + 1;
      for (long j = 1; j < mk; j++) {
        all[o].file = -1;
        all[o].frame = -1;
        all[o].pos = sl[k].pos + gk * (double)j / (double)mk;
        all[o].lo = o - (int)j;      /* the real slice before the hole */
        all[o].hi = o - (int)j + (int)mk; /* the real slice after it */
        o++;
      }
    }
    free(sl);
    sl = all;
  }
  int uneven = 0;
  double gmin = 0, gmax = 0;
  for (int k = 0; k + 1 < total; k++) {
    double gk = sl[k + 1].pos - sl[k].pos;
    if (k == 0 || gk < gmin) gmin = gk;
    if (k == 0 || gk > gmax) gmax = gk;
    if (fabs(gk - spacing) > tol) uneven++;
  }
  if (info) {
    info->n_slices = total;
    info->n_duplicates = ndup;
    info->n_filled = nfill;
    info->n_filled_runs = nruns;
    info->filled_pos[0] = fill_first;
    info->filled_pos[1] = fill_last;
    info->n_uneven_gaps = uneven;
    info->gap_min = gmin;
    info->gap_max = gmax;
    info->spacing_positions = kept > 1 ? spacing : 0;
    info->slice_thickness = rf->thickness;
  }
  lt_volume *v = lt_volume_new(ref->h.cols, ref->h.rows, total);
  if (!v) {
    lt_error_set(err, "out of memory for a %dx%dx%d volume", ref->h.cols, ref->h.rows, total);
    goto done;
  }
  lt_advise_huge(v->hu, lt_geometry_count(&v->geom) * sizeof *v->hu);
  lt_geometry *g = &v->geom;
  g->spacing[0] = rf->pixel_spacing[1]; /* PixelSpacing[1]: between columns, along a row */
  g->spacing[1] = rf->pixel_spacing[0]; /* PixelSpacing[0]: between rows */
  g->spacing[2] = spacing;
  const lt_dicom_frame *f0 = &s->file[sl[0].file].h.frame[sl[0].frame];
  for (int r = 0; r < 3; r++) {
    g->origin[r] = f0->ipp[r];
    g->dir[3 * r + 0] = row[r];
    g->dir[3 * r + 1] = col[r];
    g->dir[3 * r + 2] = nrm[r];
  }
  for (int k = 0; k < total; k++) {
    v->slice_pos[k] = sl[k].pos;
    v->slice_filled[k] = sl[k].file < 0;
    if (sl[k].file >= 0) snprintf(v->sop_uid[k], LT_UID_MAX, "%s", s->file[sl[k].file].h.sop_uid);
  }
  v->slice_thickness = rf->thickness;
  snprintf(v->series_uid, sizeof v->series_uid, "%s", ref->h.series_uid);
  snprintf(v->study_uid, sizeof v->study_uid, "%s", ref->h.study_uid);
  snprintf(v->patient_id, sizeof v->patient_id, "%s", ref->h.patient_id);
  snprintf(v->modality, sizeof v->modality, "%s", ref->h.modality);
  snprintf(v->manufacturer, sizeof v->manufacturer, "%s", ref->h.manufacturer);
  snprintf(v->model_name, sizeof v->model_name, "%s", ref->h.model_name);

  /* Only files that hold a kept slice are decoded. */
  int nw = 0;
  for (int w = 0; w < nwork; w++) {
    for (int k = 0; k < total; k++)
      if (sl[k].file == work[w]) {
        work[nw++] = work[w];
        break;
      }
  }
  dc.scan = s;
  dc.vol = v;
  dc.slice = sl;
  dc.n_slices = total;
  dc.work_file = work;
  dc.err_set = calloc((size_t)nw, sizeof *dc.err_set);
  dc.errs = calloc((size_t)nw, sizeof *dc.errs);
  if (!dc.err_set || !dc.errs) {
    lt_volume_free(v);
    lt_error_set(err, "out of memory");
    goto done;
  }
  lt_parallel_for(nw, lt_decode_task, &dc);
  for (int w = 0; w < nw; w++) {
    if (dc.err_set[w]) { /* the first failing file in path order: deterministic */
      if (err) *err = dc.errs[w];
      lt_volume_free(v);
      goto done;
    }
  }
  /* Filled slices: linear in the position between the real slices either side of the hole. */
  size_t npix = (size_t)g->dim[0] * (size_t)g->dim[1];
  for (int k = 0; k < total; k++) {
    if (sl[k].file >= 0) continue;
    const int16_t *a = v->hu + (size_t)sl[k].lo * npix, *b = v->hu + (size_t)sl[k].hi * npix;
    double t = (sl[k].pos - sl[sl[k].lo].pos) / (sl[sl[k].hi].pos - sl[sl[k].lo].pos);
    int16_t *d = v->hu + (size_t)k * npix;
    for (size_t p = 0; p < npix; p++) d[p] = (int16_t)lround((1 - t) * a[p] + t * b[p]);
  }
  if (info) {
    size_t n = lt_geometry_count(g);
    int lo = 32767, hi = -32768;
    for (size_t p = 0; p < n; p++) {
      if (v->hu[p] < lo) lo = v->hu[p];
      if (v->hu[p] > hi) hi = v->hu[p];
    }
    info->hu_min = lo;
    info->hu_max = hi;
  }
  *out = v;
  rc = 0;
  (void)path;
done:
  free(dc.err_set);
  free(dc.errs);
  free(sl);
  free(work);
  free(gaps);
  return rc;
}

int lt_series_read(const char *path, const char *series_uid, lt_volume **out, lt_series_info *info,
                   lt_error *err) {
  *out = NULL;
  if (info) {
    memset(info, 0, sizeof *info);
    info->chosen = -1;
  }
  lt_scan s;
  int rc = -1;
  if (lt_scan_run(path, &s, err)) goto done;
  lt_scan_to_info(&s, info);
  int chosen = lt_choose(path, series_uid, &s, err);
  if (chosen < 0) goto done;
  if (info) info->chosen = chosen;
  rc = lt_build(path, &s, chosen, out, info, err);
done:
  lt_scan_free(&s);
  return rc;
}
