/* engine/ct/dicom-j2k.c — see dicom-j2k.h. */
#include "ct/dicom-j2k.h"

#include <openjpeg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const uint8_t *data;
  size_t size, pos;
} lt_j2k_src;

static OPJ_SIZE_T lt_j2k_read(void *buf, OPJ_SIZE_T n, void *user) {
  lt_j2k_src *s = user;
  size_t left = s->size - s->pos;
  if (left == 0) return (OPJ_SIZE_T)-1;
  if (n > left) n = left;
  memcpy(buf, s->data + s->pos, n);
  s->pos += n;
  return n;
}

static OPJ_OFF_T lt_j2k_skip(OPJ_OFF_T n, void *user) {
  lt_j2k_src *s = user;
  if (n < 0) {
    if ((size_t)(-n) > s->pos) n = -(OPJ_OFF_T)s->pos;
  } else if ((size_t)n > s->size - s->pos) {
    n = (OPJ_OFF_T)(s->size - s->pos);
  }
  s->pos = (size_t)((OPJ_OFF_T)s->pos + n);
  return n;
}

static OPJ_BOOL lt_j2k_seek(OPJ_OFF_T n, void *user) {
  lt_j2k_src *s = user;
  if (n < 0 || (size_t)n > s->size) return OPJ_FALSE;
  s->pos = (size_t)n;
  return OPJ_TRUE;
}

/* OpenJPEG reports through callbacks; keep the last error line for our message. */
static void lt_j2k_on_error(const char *msg, void *user) {
  char *buf = user;
  snprintf(buf, 160, "%s", msg);
  size_t n = strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
}

static void lt_j2k_quiet(const char *msg, void *user) {
  (void)msg;
  (void)user;
}

int lt_j2k_decode(const uint8_t *data, size_t size, int rows, int cols, int samples,
                  int pixel_signed, int32_t *out, lt_error *err) {
  static const uint8_t jp2_sig[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 13, 10, 0x87, 10};
  if (!data || size < 2) return lt_error_set(err, "JPEG 2000 frame is empty");
  OPJ_CODEC_FORMAT fmt = (size >= 12 && memcmp(data, jp2_sig, 12) == 0) ? OPJ_CODEC_JP2
                                                                        : OPJ_CODEC_J2K;
  char emsg[160] = "";
  lt_j2k_src src = {data, size, 0};
  opj_codec_t *codec = opj_create_decompress(fmt);
  opj_stream_t *stream = opj_stream_create(1 << 16, OPJ_TRUE);
  opj_image_t *img = NULL;
  int rc = -1;
  if (!codec || !stream) {
    lt_error_set(err, "out of memory for the JPEG 2000 decoder");
    goto done;
  }
  opj_set_error_handler(codec, lt_j2k_on_error, emsg);
  opj_set_warning_handler(codec, lt_j2k_quiet, NULL);
  opj_set_info_handler(codec, lt_j2k_quiet, NULL);
  opj_stream_set_user_data(stream, &src, NULL);
  opj_stream_set_user_data_length(stream, size);
  opj_stream_set_read_function(stream, lt_j2k_read);
  opj_stream_set_skip_function(stream, lt_j2k_skip);
  opj_stream_set_seek_function(stream, lt_j2k_seek);
  opj_dparameters_t par;
  opj_set_default_decoder_parameters(&par);
  if (!opj_setup_decoder(codec, &par) || !opj_read_header(stream, codec, &img) || !img) {
    lt_error_set(err, "JPEG 2000 header unreadable%s%s", emsg[0] ? ": " : "", emsg);
    goto done;
  }
  if ((int)img->numcomps != samples) {
    lt_error_set(err, "JPEG 2000 frame has %u components, the DICOM header says %d",
                 img->numcomps, samples);
    goto done;
  }
  for (int c = 0; c < samples; c++) {
    const opj_image_comp_t *cp = &img->comps[c];
    if ((int)cp->w != cols || (int)cp->h != rows || cp->dx != 1 || cp->dy != 1) {
      lt_error_set(err, "JPEG 2000 component %d is %ux%u (subsampling %ux%u), the DICOM header"
                   " says %dx%d", c, cp->w, cp->h, cp->dx, cp->dy, cols, rows);
      goto done;
    }
  }
  if (!opj_decode(codec, stream, img) || !opj_end_decompress(codec, stream)) {
    lt_error_set(err, "JPEG 2000 decoding failed%s%s", emsg[0] ? ": " : "", emsg);
    goto done;
  }
  size_t npix = (size_t)rows * (size_t)cols;
  for (int c = 0; c < samples; c++) {
    const opj_image_comp_t *cp = &img->comps[c];
    if (!cp->data || (int)cp->w != cols || (int)cp->h != rows) {
      lt_error_set(err, "JPEG 2000 component %d came back without data", c);
      goto done;
    }
    unsigned prec = cp->prec;
    int extend = !cp->sgnd && pixel_signed && prec >= 2 && prec <= 31;
    int32_t half = extend ? (int32_t)(1u << (prec - 1)) : 0;
    for (size_t p = 0; p < npix; p++) {
      int32_t v = cp->data[p];
      if (extend && v >= half) v -= 2 * half;
      out[p * (size_t)samples + (size_t)c] = v;
    }
  }
  rc = 0;
done:
  if (img) opj_image_destroy(img);
  if (stream) opj_stream_destroy(stream);
  if (codec) opj_destroy_codec(codec);
  return rc;
}
