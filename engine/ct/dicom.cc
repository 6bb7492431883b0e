/* engine/ct/dicom.cc — see dicom.h. The only file that includes DCMTK. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

extern "C" {
#include "ct/dicom-j2k.h"
#include "ct/dicom.h"
}

namespace {

pthread_once_t lt_dicom_once = PTHREAD_ONCE_INIT;
bool lt_dicom_dict_ok = false;

/* Registers the decoders once for the process (DCMTK's registries are global) and silences
 * DCMTK's own logging: errors reach the caller as lt_error lines instead. Elements stored with
 * VR UN (a converter that did not know the tag) are read by their dictionary VR: otherwise
 * DCMTK hands their value back as hex text, and a Modality "CT" stored as UN reads "43\54". */
void lt_dicom_init_once() {
  OFLog::configure(OFLogger::OFF_LOG_LEVEL);
  dcmEnableUnknownVRConversion.set(OFTrue);
  DJDecoderRegistration::registerCodecs();
  DJLSDecoderRegistration::registerCodecs();
  DcmRLEDecoderRegistration::registerCodecs();
  lt_dicom_dict_ok = dcmDataDict.isDictionaryLoaded();
}

int lt_dicom_init(lt_error *err) {
  pthread_once(&lt_dicom_once, lt_dicom_init_once);
  if (!lt_dicom_dict_ok)
    return lt_error_set(err, "DCMTK's DICOM dictionary is not loaded (is DCMDICTPATH right?)");
  return 0;
}

void copy_str(char *dst, size_t n, const OFString &s) {
  /* Trim the padding spaces DICOM strings carry. */
  size_t b = 0, e = s.size();
  while (b < e && s[b] == ' ') b++;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\0')) e--;
  size_t len = e - b;
  if (len >= n) len = n - 1;
  memcpy(dst, s.data() + b, len);
  dst[len] = '\0';
}

void get_str(DcmItem *it, const DcmTagKey &key, char *dst, size_t n) {
  OFString s;
  dst[0] = '\0';
  if (it->findAndGetOFString(key, s).good()) copy_str(dst, n, s);
}

/* Reads `count` finite numbers of a multi-valued DS (or FD) element; false if any is missing. */
bool get_doubles(DcmItem *it, const DcmTagKey &key, double *out, int count) {
  if (!it) return false;
  for (int k = 0; k < count; k++) {
    Float64 v = 0;
    if (it->findAndGetFloat64(key, v, (unsigned long)k).bad() || !std::isfinite(v)) return false;
    out[k] = v;
  }
  return true;
}

/* A US element as an int; -1 when absent or unreadable. */
int get_us(DcmItem *it, const DcmTagKey &key) {
  Uint16 v = 0;
  if (it->findAndGetUint16(key, v).bad()) return -1;
  return v;
}

/* A 16-bit element that may be US or SS (PixelPaddingValue): its raw bit pattern. */
bool get_raw16(DcmItem *it, const DcmTagKey &key, uint32_t *raw) {
  DcmElement *el = nullptr;
  if (it->findAndGetElement(key, el).bad() || !el || el->getLength() < 2) return false;
  DcmEVR vr = el->ident();
  if (vr == EVR_SS) {
    Sint16 s = 0;
    if (el->getSint16(s).bad()) return false;
    *raw = (uint16_t)s;
    return true;
  }
  if (vr == EVR_US || vr == EVR_xs || vr == EVR_OW || vr == EVR_UN) {
    Uint16 u = 0;
    if (el->getUint16(u).bad()) return false;
    *raw = u;
    return true;
  }
  return false;
}

/* IS value as a strict whole number; false for "1A", "", "-3". */
bool parse_count(const OFString &s, long *out) {
  const char *p = s.c_str();
  while (*p == ' ') p++;
  if (!*p) return false;
  char *end = nullptr;
  errno = 0;
  long v = strtol(p, &end, 10);
  if (errno || end == p) return false;
  while (*end == ' ') end++;
  if (*end) return false;
  *out = v;
  return true;
}

/* Fills the geometry of one frame from a functional-group item (shared or per-frame); fields
 * absent from the item are left as they are. */
void frame_from_group(DcmItem *fg, lt_dicom_frame *f) {
  if (!fg) return;
  DcmItem *sub = nullptr;
  if (fg->findAndGetSequenceItem(DCM_PlanePositionSequence, sub, 0).good() &&
      get_doubles(sub, DCM_ImagePositionPatient, f->ipp, 3))
    f->has_ipp = 1;
  sub = nullptr;
  if (fg->findAndGetSequenceItem(DCM_PlaneOrientationSequence, sub, 0).good() &&
      get_doubles(sub, DCM_ImageOrientationPatient, f->iop, 6))
    f->has_iop = 1;
  sub = nullptr;
  if (fg->findAndGetSequenceItem(DCM_PixelMeasuresSequence, sub, 0).good()) {
    if (get_doubles(sub, DCM_PixelSpacing, f->pixel_spacing, 2)) f->has_spacing = 1;
    double t;
    if (get_doubles(sub, DCM_SliceThickness, &t, 1)) f->thickness = t;
  }
  sub = nullptr;
  if (fg->findAndGetSequenceItem(DCM_PixelValueTransformationSequence, sub, 0).good()) {
    double v;
    if (get_doubles(sub, DCM_RescaleSlope, &v, 1)) f->slope = v;
    if (get_doubles(sub, DCM_RescaleIntercept, &v, 1)) f->intercept = v;
  }
}

int extract_header(DcmFileFormat &ff, lt_dicom_header *h, lt_error *err) {
  memset(h, 0, sizeof *h);
  DcmDataset *ds = ff.getDataset();
  DcmMetaInfo *meta = ff.getMetaInfo();
  if (!ds || ds->card() == 0) return lt_error_set(err, "no DICOM data set in the file");
  h->has_meta = meta && meta->card() > 0;
  if (meta) get_str(meta, DCM_TransferSyntaxUID, h->transfer_syntax, sizeof h->transfer_syntax);
  get_str(ds, DCM_SOPInstanceUID, h->sop_uid, sizeof h->sop_uid);
  get_str(ds, DCM_SOPClassUID, h->sop_class_uid, sizeof h->sop_class_uid);
  get_str(ds, DCM_SeriesInstanceUID, h->series_uid, sizeof h->series_uid);
  get_str(ds, DCM_StudyInstanceUID, h->study_uid, sizeof h->study_uid);
  get_str(ds, DCM_PatientID, h->patient_id, sizeof h->patient_id);
  get_str(ds, DCM_Modality, h->modality, sizeof h->modality);
  get_str(ds, DCM_Manufacturer, h->manufacturer, sizeof h->manufacturer);
  get_str(ds, DCM_ManufacturerModelName, h->model_name, sizeof h->model_name);
  get_str(ds, DCM_SeriesDescription, h->series_description, sizeof h->series_description);
  get_str(ds, DCM_PhotometricInterpretation, h->photometric, sizeof h->photometric);
  Sint32 inst = 0;
  if (ds->findAndGetSint32(DCM_InstanceNumber, inst).good()) h->instance_number = (int)inst;

  DcmElement *px = nullptr;
  /* Encapsulated pixel data has an undefined length: count it as present, decoding checks it. */
  h->has_pixel_data = ds->findAndGetElement(DCM_PixelData, px).good() && px &&
                      (px->getLength() > 0 || DcmXfer(ds->getOriginalXfer()).isEncapsulated());
  int rows = get_us(ds, DCM_Rows), cols = get_us(ds, DCM_Columns);
  h->frames = 1;
  if (rows < 0 && cols < 0 && !h->has_pixel_data) {
    /* Not an image (SR, ECG, RT plan): a valid header with nothing to decode. */
    h->rows = h->cols = 0;
  } else {
    if (rows < 0 || cols < 0)
      return lt_error_set(err, "pixel data without Rows/Columns%s",
                          h->has_meta && !h->transfer_syntax[0]
                              ? " (and the meta header has no TransferSyntaxUID)" : "");
    if (rows == 0 || cols == 0)
      return lt_error_set(err, "image has Rows %d, Columns %d", rows, cols);
    h->rows = rows;
    h->cols = cols;
    OFString nf;
    if (ds->findAndGetOFString(DCM_NumberOfFrames, nf).good()) {
      long v = 0;
      if (!parse_count(nf, &v)) return lt_error_set(err, "NumberOfFrames '%.20s' is not a whole number", nf.c_str());
      if (v < 1 || v > LT_DICOM_MAX_FRAMES)
        return lt_error_set(err, "NumberOfFrames %ld is outside 1..%d", v, LT_DICOM_MAX_FRAMES);
      h->frames = (int)v;
    }
    int spp = get_us(ds, DCM_SamplesPerPixel);
    h->samples = spp < 0 ? 1 : spp;
    if (h->samples != 1 && h->samples != 3)
      return lt_error_set(err, "SamplesPerPixel %d (only 1 or 3 are images)", h->samples);
    h->bits_allocated = get_us(ds, DCM_BitsAllocated);
    if (h->bits_allocated != 8 && h->bits_allocated != 16 && h->bits_allocated != 32)
      return lt_error_set(err, "BitsAllocated %d is not 8, 16 or 32", h->bits_allocated);
    h->bits_stored = get_us(ds, DCM_BitsStored);
    if (h->bits_stored < 0) h->bits_stored = h->bits_allocated;
    if (h->bits_stored < 1 || h->bits_stored > h->bits_allocated)
      return lt_error_set(err, "BitsStored %d with BitsAllocated %d", h->bits_stored,
                          h->bits_allocated);
    h->high_bit = get_us(ds, DCM_HighBit);
    if (h->high_bit < 0) h->high_bit = h->bits_stored - 1;
    if (h->high_bit < h->bits_stored - 1 || h->high_bit >= h->bits_allocated)
      return lt_error_set(err, "HighBit %d with BitsStored %d, BitsAllocated %d", h->high_bit,
                          h->bits_stored, h->bits_allocated);
    int rep = get_us(ds, DCM_PixelRepresentation);
    if (rep > 1) return lt_error_set(err, "PixelRepresentation %d is not 0 or 1", rep);
    h->pixel_signed = rep == 1;
    int planar = get_us(ds, DCM_PlanarConfiguration);
    h->planar = planar == 1 ? 1 : 0;
    int64_t total = (int64_t)h->rows * h->cols * h->frames * h->samples;
    if (total > LT_DICOM_MAX_SAMPLES)
      return lt_error_set(err, "image of %dx%dx%d frames x %d samples is over the 2^31 limit",
                          h->cols, h->rows, h->frames, h->samples);
    uint32_t raw = 0;
    if (get_raw16(ds, DCM_PixelPaddingValue, &raw)) {
      h->has_padding = 1;
      h->padding = lt_dicom_stored_value(raw, h->bits_stored, h->pixel_signed);
      if (get_raw16(ds, DCM_PixelPaddingRangeLimit, &raw)) {
        h->has_padding_limit = 1;
        h->padding_limit = lt_dicom_stored_value(raw, h->bits_stored, h->pixel_signed);
      }
    }
  }

  int nfr = h->frames;
  h->frame = (lt_dicom_frame *)calloc((size_t)nfr, sizeof *h->frame);
  if (!h->frame) return lt_error_set(err, "out of memory");
  lt_dicom_frame top;
  memset(&top, 0, sizeof top);
  top.slope = 1;
  top.has_ipp = get_doubles(ds, DCM_ImagePositionPatient, top.ipp, 3);
  top.has_iop = get_doubles(ds, DCM_ImageOrientationPatient, top.iop, 6);
  top.has_spacing = get_doubles(ds, DCM_PixelSpacing, top.pixel_spacing, 2);
  double v;
  if (get_doubles(ds, DCM_SliceThickness, &v, 1)) top.thickness = v;
  if (get_doubles(ds, DCM_RescaleSlope, &v, 1)) top.slope = v;
  if (get_doubles(ds, DCM_RescaleIntercept, &v, 1)) top.intercept = v;
  DcmItem *shared = nullptr;
  if (ds->findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).bad())
    shared = nullptr;
  frame_from_group(shared, &top);
  DcmSequenceOfItems *per = nullptr;
  if (ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per).bad()) per = nullptr;
  for (int f = 0; f < nfr; f++) {
    h->frame[f] = top;
    if (per && (unsigned long)f < per->card()) frame_from_group(per->getItem((unsigned long)f), &h->frame[f]);
    if (!(h->frame[f].slope != 0 && std::isfinite(h->frame[f].slope))) h->frame[f].slope = 1;
  }
  return 0;
}

OFCondition load_path(DcmFileFormat &ff, const char *path, Uint32 max_read) {
  return ff.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange, max_read, ERM_autoDetect);
}

/* True when the 4 bytes at offset 128 say "DICM" (a preamble and a meta header follow). */
bool has_dicm_magic(const char *path) {
  unsigned char b[132];
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  size_t n = fread(b, 1, sizeof b, f);
  fclose(f);
  return n == sizeof b && memcmp(b + 128, "DICM", 4) == 0;
}

/* DCMTK reports a value longer than what is left of the file as a stream suspension or an
 * invalid stream; behind a DICM magic that means the file was cut short. */
int load_error(OFCondition c, bool magic, lt_error *err) {
  bool cut = c == EC_StreamNotifyClient || c == EC_EndOfStream || c == EC_ItemEnd ||
             c == EC_InvalidStream;
  if (magic && cut) return lt_error_set(err, "truncated DICOM file (%s)", c.text());
  if (magic) return lt_error_set(err, "corrupt DICOM file (%s)", c.text());
  return lt_error_set(err, "no DICOM preamble or meta header, and the data set does not parse (%s)",
                      c.text());
}

bool is_j2k(E_TransferSyntax x) {
  return x == EXS_JPEG2000LosslessOnly || x == EXS_JPEG2000 ||
         x == EXS_JPEG2000MulticomponentLosslessOnly || x == EXS_JPEG2000Multicomponent;
}

/* The fragments (items after the basic offset table) of encapsulated pixel data, in order. */
typedef std::vector<std::pair<const uint8_t *, size_t>> lt_fragments;

int read_fragments(DcmPixelSequence *seq, lt_fragments &frag, lt_error *err) {
  unsigned long nitems = seq->card();
  if (nitems < 2) return lt_error_set(err, "encapsulated pixel data holds no fragment");
  for (unsigned long i = 1; i < nitems; i++) {
    DcmPixelItem *it = nullptr;
    if (seq->getItem(it, i).bad() || !it) return lt_error_set(err, "fragment %lu unreadable", i);
    Uint8 *p = nullptr;
    if (it->getLength() == 0) {
      frag.push_back({nullptr, 0});
      continue;
    }
    if (it->getUint8Array(p).bad() || !p) return lt_error_set(err, "fragment %lu unreadable", i);
    frag.push_back({p, it->getLength()});
  }
  return 0;
}

/* Frame f's fragments start at the basic offset table's entry f, an offset from the first
 * fragment's item tag (each item adds 8 bytes of tag and length). Fills first[f] with the index
 * of frame f's first fragment; false when there is no table or it does not fit the fragments. */
bool frames_from_offset_table(DcmPixelSequence *seq, const lt_fragments &frag, int frames,
                              std::vector<size_t> &first) {
  DcmPixelItem *bot = nullptr;
  Uint8 *p = nullptr;
  if (seq->getItem(bot, 0).bad() || !bot || bot->getLength() != (Uint32)frames * 4u ||
      bot->getUint8Array(p).bad() || !p)
    return false;
  first.assign((size_t)frames, 0);
  size_t k = 0;
  uint64_t at = 0; /* offset of fragment k */
  for (int f = 0; f < frames; f++) {
    uint64_t want = (uint64_t)p[4 * f] | (uint64_t)p[4 * f + 1] << 8 |
                    (uint64_t)p[4 * f + 2] << 16 | (uint64_t)p[4 * f + 3] << 24;
    while (k < frag.size() && at < want) at += 8 + frag[k++].second;
    if (k >= frag.size() || at != want || (f > 0 && k <= first[(size_t)f - 1])) return false;
    first[(size_t)f] = k;
  }
  return first[0] == 0;
}

/* Joins the encapsulated pixel data into one byte string per frame. A frame may span several
 * fragments (a standard encoder may split a frame anywhere), so the frames are found with the
 * basic offset table when it fits, one fragment per frame when the counts match, else as a new
 * frame at each fragment that starts like one (starts_frame: the codec's own start marker). */
int encapsulated_frames(DcmPixelSequence *seq, int frames,
                        bool (*starts_frame)(const uint8_t *p, size_t n, const void *ctx),
                        const void *ctx, const char *codec,
                        std::vector<std::vector<uint8_t>> &out, lt_error *err) {
  lt_fragments frag;
  if (read_fragments(seq, frag, err)) return -1;
  size_t nfrag = frag.size();
  out.assign((size_t)frames, std::vector<uint8_t>());
  if (frames == 1) {
    for (auto &f : frag) out[0].insert(out[0].end(), f.first, f.first + f.second);
    return 0;
  }
  std::vector<size_t> first;
  if (frames_from_offset_table(seq, frag, frames, first)) {
    for (int f = 0; f < frames; f++) {
      size_t end = f + 1 < frames ? first[(size_t)f + 1] : nfrag;
      for (size_t k = first[(size_t)f]; k < end; k++)
        out[(size_t)f].insert(out[(size_t)f].end(), frag[k].first, frag[k].first + frag[k].second);
    }
    return 0;
  }
  if (nfrag == (size_t)frames) {
    for (size_t i = 0; i < nfrag; i++) out[i].assign(frag[i].first, frag[i].first + frag[i].second);
    return 0;
  }
  int cur = -1;
  for (auto &f : frag) {
    if (starts_frame(f.first, f.second, ctx)) cur++;
    if (cur < 0) return lt_error_set(err, "%s pixel data does not start with a frame", codec);
    if (cur >= frames) return lt_error_set(err, "more %s frames than the %d frames", codec, frames);
    out[(size_t)cur].insert(out[(size_t)cur].end(), f.first, f.first + f.second);
  }
  if (cur != frames - 1)
    return lt_error_set(err, "%d %s frames found in the fragments where %d are declared", cur + 1,
                        codec, frames);
  return 0;
}

/* A JPEG 2000 codestream starts with SOC then SIZ (FF 4F FF 51). */
bool j2k_starts_frame(const uint8_t *p, size_t n, const void *) {
  return n >= 4 && p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51;
}

uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An RLE frame starts with its 64-byte header: the segment count the image needs, then the
 * first segment's offset, which is 64. */
bool rle_starts_frame(const uint8_t *p, size_t n, const void *ctx) {
  return n >= 64 && le32(p) == *(const uint32_t *)ctx && le32(p + 4) == 64;
}

/* Decodes one RLE frame (DICOM PS3.5 annex G: a header of segment offsets, then one PackBits
 * segment per byte plane, most significant byte first) into out: frame_bytes of raw little-endian
 * units, samples interleaved unless planar. Ours rather than DCMTK's decodeFrame, which reads a
 * frame only from its first fragment and so decodes past that fragment's end when a segment
 * crosses into the next one (wrong values from the boundary on, and no error). Every segment must
 * fill its plane exactly; bytes left after it are its even-length padding. */
int rle_decode_frame(const uint8_t *data, size_t size, int rows, int cols, int samples,
                     int bytes_per, bool planar, uint8_t *out, lt_error *err) {
  if (size < 64) return lt_error_set(err, "RLE frame of %zu bytes has no 64-byte header", size);
  const uint32_t nseg = le32(data), want = (uint32_t)(samples * bytes_per);
  if (nseg != want)
    return lt_error_set(err, "RLE header names %u segments where the image needs %u", nseg, want);
  const size_t npix = (size_t)rows * (size_t)cols;
  for (uint32_t s = 0; s < nseg; s++) {
    size_t start = le32(data + 4 + 4 * s);
    size_t end = s + 1 < nseg ? le32(data + 8 + 4 * s) : size;
    if (start < 64 || start > end || end > size)
      return lt_error_set(err, "RLE segment %u has offsets %zu..%zu in a frame of %zu bytes", s,
                          start, end, size);
    int sample = (int)s / bytes_per, byte = (int)s % bytes_per; /* byte 0: most significant */
    size_t stride = planar ? (size_t)bytes_per : (size_t)(samples * bytes_per);
    uint8_t *dst = out + (planar ? (size_t)sample * npix * (size_t)bytes_per
                                 : (size_t)sample * (size_t)bytes_per) +
                   (size_t)(bytes_per - 1 - byte);
    size_t got = 0, i = start;
    while (got < npix && i < end) {
      int c = (int8_t)data[i++];
      if (c >= 0) { /* c + 1 literal bytes */
        size_t len = (size_t)c + 1;
        if (len > end - i || len > npix - got)
          return lt_error_set(err, "RLE segment %u: a literal run overruns the %s", s,
                              len > end - i ? "segment" : "image");
        for (size_t k = 0; k < len; k++) dst[(got + k) * stride] = data[i + k];
        i += len;
        got += len;
      } else if (c != -128) { /* the next byte 1 - c times */
        size_t len = (size_t)(1 - c);
        if (i >= end) return lt_error_set(err, "RLE segment %u ends inside a run", s);
        if (len > npix - got) return lt_error_set(err, "RLE segment %u: a run overruns the image", s);
        uint8_t b = data[i++];
        for (size_t k = 0; k < len; k++) dst[(got + k) * stride] = b;
        got += len;
      }
    }
    if (got < npix)
      return lt_error_set(err, "RLE segment %u ends after %zu of its %zu bytes", s, got, npix);
  }
  return 0;
}

/* Where decoded frames go: into `all` (frame f at f * samples per frame) when it is set, else
 * into a per-thread scratch frame handed to fn, which keeps nothing once it returns. */
struct lt_sink {
  int32_t *all = nullptr;
  lt_dicom_frame_fn fn = nullptr;
  void *ctx = nullptr;
  char *photometric = nullptr; /* set to DCMTK's decompressed color model, when it names one */
  size_t photometric_size = 0;
};

/* Per-thread scratch, reused from file to file: no fresh pages to fault in for each slice. */
thread_local std::vector<uint8_t> lt_raw_scratch;
thread_local std::vector<int32_t> lt_frame_scratch;

int sink_frame(const lt_sink &sink, const lt_dicom_header *h, int f, int32_t *values, lt_error *err) {
  if (sink.all || !sink.fn) return 0;
  return sink.fn(sink.ctx, f, values, h, err) ? -1 : 0;
}

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
/* 16-bit raw units -> stored values; an AVX2 copy is chosen at load time where the CPU has it. */
LT_CLONES void lt_convert16(int32_t *dst, const uint16_t *src, size_t n, int shift, uint32_t mask,
                            uint32_t sign) {
  LT_SIMD
  for (size_t i = 0; i < n; i++)
    dst[i] = (int32_t)(((((uint32_t)src[i] >> shift) & mask) ^ sign) - sign);
}

int decode_core(DcmFileFormat &ff, const lt_dicom_header *h, const lt_sink &sink, lt_error *err) {
  if (h->rows == 0 || !h->has_pixel_data) return lt_error_set(err, "no pixel data");
  DcmDataset *ds = ff.getDataset();
  DcmElement *el = nullptr;
  if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el) return lt_error_set(err, "no pixel data");
  DcmXfer xfer(ds->getOriginalXfer());
  size_t npix = (size_t)h->rows * (size_t)h->cols;
  size_t nsamp = npix * (size_t)h->samples;
  size_t bytes_per = (size_t)h->bits_allocated / 8;
  size_t frame_bytes = nsamp * bytes_per;
  if (!sink.all) lt_frame_scratch.resize(nsamp);
  auto frame_dst = [&](int f) {
    return sink.all ? sink.all + (size_t)f * nsamp : lt_frame_scratch.data();
  };

  if (is_j2k(xfer.getXfer())) {
    DcmPixelData *pd = OFdynamic_cast(DcmPixelData *, el);
    DcmPixelSequence *seq = nullptr;
    if (!pd || pd->getEncapsulatedRepresentation(xfer.getXfer(), nullptr, seq).bad() || !seq)
      return lt_error_set(err, "JPEG 2000 pixel data is not encapsulated");
    std::vector<std::vector<uint8_t>> frames;
    if (encapsulated_frames(seq, h->frames, j2k_starts_frame, nullptr, "JPEG 2000", frames, err))
      return -1;
    for (int f = 0; f < h->frames; f++) {
      int32_t *dst = frame_dst(f);
      if (lt_j2k_decode(frames[(size_t)f].data(), frames[(size_t)f].size(), h->rows, h->cols,
                        h->samples, h->pixel_signed, dst, err))
        return lt_error_prefix(err, "frame %d", f);
      if (sink_frame(sink, h, f, dst, err)) return -1;
    }
    return 0;
  }

  if (!xfer.isEncapsulated()) {
    /* Native: check the length before asking for frames, so a cut file says so. */
    Uint32 len = el->getLength();
    if ((uint64_t)len < (uint64_t)frame_bytes * (uint64_t)h->frames)
      return lt_error_set(err, "pixel data truncated: %lu bytes where %dx%dx%d frames need %zu",
                          (unsigned long)len, h->cols, h->rows, h->frames,
                          frame_bytes * (size_t)h->frames);
  }
  /* RLE: our decoder on the whole frame, whatever fragments it is split into (see
   * rle_decode_frame); every other syntax through DCMTK's frame decoders. */
  const bool rle = xfer.getXfer() == EXS_RLELossless;
  std::vector<std::vector<uint8_t>> rle_frames;
  if (rle) {
    DcmPixelData *pd = OFdynamic_cast(DcmPixelData *, el);
    DcmPixelSequence *seq = nullptr;
    if (!pd || pd->getEncapsulatedRepresentation(xfer.getXfer(), nullptr, seq).bad() || !seq)
      return lt_error_set(err, "RLE pixel data is not encapsulated");
    const uint32_t nseg = (uint32_t)(h->samples * (int)bytes_per);
    if (encapsulated_frames(seq, h->frames, rle_starts_frame, &nseg, "RLE", rle_frames, err))
      return -1;
  }
  lt_raw_scratch.resize(frame_bytes + 8);
  uint8_t *buf = lt_raw_scratch.data();
  Uint32 start_fragment = 0;
  const int shift = h->high_bit + 1 - h->bits_stored;
  /* Stored value = bits [shift, shift + BitsStored) of the raw unit, sign-extended when
   * PixelRepresentation is 1: (v ^ sign) - sign does both without a branch. */
  const uint32_t mask = h->bits_stored >= 32 ? 0xFFFFFFFFu : (1u << h->bits_stored) - 1u;
  const uint32_t sign = h->pixel_signed ? 1u << (h->bits_stored - 1) : 0u;
  /* Native color-by-plane data comes back by plane; DCMTK's decoders follow the same tag. */
  const bool by_plane = h->samples > 1 && h->planar == 1;
  for (int f = 0; f < h->frames; f++) {
    OFString color;
    if (rle) {
      const std::vector<uint8_t> &fb = rle_frames[(size_t)f];
      if (rle_decode_frame(fb.data(), fb.size(), h->rows, h->cols, h->samples, (int)bytes_per,
                           by_plane, buf, err))
        return lt_error_prefix(err, "frame %d", f);
      /* the planes are little endian; DCMTK's decoders hand over host order */
      (void)swapIfNecessary(gLocalByteOrder, EBO_LittleEndian, buf, (Uint32)frame_bytes,
                      (Uint32)bytes_per);
    } else {
      OFCondition c = el->getUncompressedFrame(ds, (Uint32)f, start_fragment, buf,
                                               (Uint32)frame_bytes, color, nullptr);
      if (c.bad())
        return lt_error_set(err, "frame %d: cannot decode %s pixel data (%s)", f,
                            xfer.getXferName(), c.text());
    }
    if (f == 0 && !color.empty() && sink.photometric)
      copy_str(sink.photometric, sink.photometric_size, color);
    int32_t *dst = frame_dst(f);
    if (bytes_per == 2) {
      lt_convert16(dst, (const uint16_t *)(void *)buf, nsamp, shift, mask, sign);
    } else if (bytes_per == 1) {
      for (size_t i = 0; i < nsamp; i++)
        dst[i] = (int32_t)(((((uint32_t)buf[i] >> shift) & mask) ^ sign) - sign);
    } else {
      const uint32_t *src = (const uint32_t *)(void *)buf;
      for (size_t i = 0; i < nsamp; i++) dst[i] = (int32_t)((((src[i] >> shift) & mask) ^ sign) - sign);
    }
    if (by_plane) { /* planes -> interleaved samples */
      std::vector<int32_t> tmp(dst, dst + nsamp);
      for (size_t i = 0; i < nsamp; i++)
        dst[(i % npix) * (size_t)h->samples + i / npix] = tmp[i];
    }
    if (sink_frame(sink, h, f, dst, err)) return -1;
  }
  return 0;
}

int decode_pixels(DcmFileFormat &ff, const lt_dicom_header *h, lt_dicom_pixels *px, lt_error *err) {
  memset(px, 0, sizeof *px);
  if (h->rows == 0 || !h->has_pixel_data) return lt_error_set(err, "no pixel data");
  size_t total = (size_t)h->rows * (size_t)h->cols * (size_t)h->samples * (size_t)h->frames;
  px->rows = h->rows;
  px->cols = h->cols;
  px->frames = h->frames;
  px->samples = h->samples;
  snprintf(px->photometric, sizeof px->photometric, "%s", h->photometric);
  px->data = (int32_t *)malloc(total * sizeof(int32_t));
  if (!px->data) return lt_error_set(err, "out of memory for %zu samples", total);
  lt_sink sink;
  sink.all = px->data;
  sink.photometric = px->photometric;
  sink.photometric_size = sizeof px->photometric;
  return decode_core(ff, h, sink, err);
}

/* A buffer becomes an anonymous in-memory file: DCMTK's file stream checks every value length
 * against the bytes left, while its buffer stream allocates whatever length the data claims. */
struct lt_memfile {
  int fd = -1;
  char path[64] = "";
  ~lt_memfile() {
    if (fd >= 0) close(fd);
  }
  int open_from(const void *data, size_t size, lt_error *err) {
    fd = memfd_create("lt-dicom", MFD_CLOEXEC);
    if (fd < 0) return lt_error_set(err, "cannot create an in-memory file: %s", strerror(errno));
    const char *p = (const char *)data;
    size_t left = size;
    while (left > 0) {
      ssize_t w = write(fd, p, left);
      if (w <= 0) return lt_error_set(err, "cannot fill an in-memory file: %s", strerror(errno));
      p += w;
      left -= (size_t)w;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return 0;
  }
};

int read_any(const char *path, const void *data, size_t size, bool with_pixels, lt_dicom_header *h,
             lt_dicom_pixels *px, const lt_sink *sink, lt_error *err) {
  if (lt_dicom_init(err)) return -1;
  lt_memfile mem;
  if (!path) {
    if (mem.open_from(data, size, err)) return -1;
    path = mem.path;
  }
  try {
    DcmFileFormat ff;
    /* Values over 4 KiB stay in the file until asked for: a corrupt length then costs no
     * allocation, and frames are read from the file one at a time. */
    Uint32 max_read = 4096;
    OFCondition c = load_path(ff, path, max_read);
    if (c.bad()) return load_error(c, has_dicm_magic(path), err);
    if (extract_header(ff, h, err)) return -1;
    if (with_pixels && sink && decode_core(ff, h, *sink, err)) return -1;
    if (with_pixels && !sink && decode_pixels(ff, h, px, err)) return -1;
    return 0;
  } catch (const std::bad_alloc &) {
    return lt_error_set(err, "out of memory");
  } catch (...) {
    return lt_error_set(err, "DCMTK failed on this file");
  }
}

int decode_common(const char *path, const void *data, size_t size, lt_dicom_header *h,
                  lt_dicom_pixels *px, lt_error *err) {
  lt_dicom_header local;
  lt_dicom_header *hh = h ? h : &local;
  memset(hh, 0, sizeof *hh);
  memset(px, 0, sizeof *px);
  int rc = read_any(path, data, size, true, hh, px, nullptr, err);
  if (rc || !h) lt_dicom_header_free(hh);
  if (rc) lt_dicom_pixels_free(px);
  return rc;
}

}  // namespace

extern "C" {

int32_t lt_dicom_stored_value(uint32_t raw, int bits_stored, int pixel_signed) {
  if (bits_stored >= 32) return (int32_t)raw;
  uint32_t mask = (1u << bits_stored) - 1u;
  uint32_t v = raw & mask;
  if (pixel_signed && (v >> (bits_stored - 1)) & 1u) return (int32_t)(v | ~mask);
  return (int32_t)v;
}

int lt_dicom_read_header(const char *path, lt_dicom_header *h, lt_error *err) {
  memset(h, 0, sizeof *h);
  if (!path) return lt_error_set(err, "no path");
  int rc = read_any(path, nullptr, 0, false, h, nullptr, nullptr, err);
  if (rc) {
    lt_dicom_header_free(h);
    lt_error_prefix(err, "%s", path);
  }
  return rc;
}

void lt_dicom_header_free(lt_dicom_header *h) {
  if (!h) return;
  free(h->frame);
  h->frame = nullptr;
}

int lt_dicom_decode_frames(const char *path, lt_dicom_header *h, lt_dicom_pixels *px,
                           lt_error *err) {
  if (h) memset(h, 0, sizeof *h);
  if (!path) return lt_error_set(err, "no path");
  if (decode_common(path, nullptr, 0, h, px, err)) return lt_error_prefix(err, "%s", path);
  return 0;
}

int lt_dicom_decode_buffer(const void *data, size_t size, lt_dicom_header *h, lt_dicom_pixels *px,
                           lt_error *err) {
  if (h) memset(h, 0, sizeof *h);
  if (!data || size == 0) {
    memset(px, 0, sizeof *px);
    return lt_error_set(err, "empty buffer");
  }
  return decode_common(nullptr, data, size, h, px, err);
}

int lt_dicom_decode_each_frame(const char *path, lt_dicom_header *h, lt_dicom_frame_fn fn,
                               void *ctx, lt_error *err) {
  memset(h, 0, sizeof *h);
  if (!path || !fn) return lt_error_set(err, "no path or no frame function");
  lt_sink sink;
  sink.fn = fn;
  sink.ctx = ctx;
  if (read_any(path, nullptr, 0, true, h, nullptr, &sink, err)) {
    lt_dicom_header_free(h);
    return lt_error_prefix(err, "%s", path);
  }
  return 0;
}

void lt_dicom_pixels_free(lt_dicom_pixels *px) {
  if (!px) return;
  free(px->data);
  px->data = nullptr;
}

}  // extern "C"
