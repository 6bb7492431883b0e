// engine/synth/dicom-write.cc — see dicom-write.h.
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dctk.h"

#include <cstdio>
#include <cstring>
#include <new>

extern "C" {
#include "lt-error.h"
#include "lt-locale.h"
#include "synth/dicom-write.h"
}

static bool put(DcmDataset *ds, const DcmTagKey &tag, const char *v) {
  return ds->putAndInsertString(tag, v ? v : "").good();
}

extern "C" int lt_dicom_write_ct_slice(const char *path, const lt_ct_slice *s, lt_error *err) {
  if (s->rows <= 0 || s->cols <= 0 || s->rows > 65535 || s->cols > 65535 || !s->hu)
    return lt_error_set(err, "cannot write %s: bad image size", path), -1;
  DcmFileFormat *ff = new (std::nothrow) DcmFileFormat();
  if (!ff) return lt_error_set(err, "out of memory writing %s", path), -1;
  DcmDataset *ds = ff->getDataset();
  char buf[256];
  bool ok = true;
  ok &= put(ds, DCM_SpecificCharacterSet, "ISO_IR 100");
  ok &= put(ds, DCM_ImageType, "DERIVED\\SECONDARY\\AXIAL");
  ok &= put(ds, DCM_SOPClassUID, UID_CTImageStorage);
  ok &= put(ds, DCM_SOPInstanceUID, s->sop_uid);
  ok &= put(ds, DCM_StudyDate, s->study_date);
  ok &= put(ds, DCM_SeriesDate, s->study_date);
  ok &= put(ds, DCM_Modality, "CT");
  ok &= put(ds, DCM_Manufacturer, s->manufacturer);
  ok &= put(ds, DCM_ManufacturerModelName, s->model_name);
  ok &= put(ds, DCM_SeriesDescription, s->series_description);
  ok &= put(ds, DCM_PatientName, s->patient_name);
  ok &= put(ds, DCM_PatientID, s->patient_id);
  ok &= put(ds, DCM_StudyInstanceUID, s->study_uid);
  ok &= put(ds, DCM_SeriesInstanceUID, s->series_uid);
  ok &= put(ds, DCM_FrameOfReferenceUID, s->frame_of_reference_uid);
  ok &= put(ds, DCM_SeriesNumber, "1");
  snprintf(buf, sizeof buf, "%d", s->instance_number);
  ok &= put(ds, DCM_InstanceNumber, buf);
  /* DS values: DICOM wants '.' whatever the process locale */
  lt_snprintf_c(buf, sizeof buf, "%.6f\\%.6f\\%.6f", s->ipp[0], s->ipp[1], s->ipp[2]);
  ok &= put(ds, DCM_ImagePositionPatient, buf);
  lt_snprintf_c(buf, sizeof buf, "%.6f\\%.6f\\%.6f\\%.6f\\%.6f\\%.6f", s->iop[0], s->iop[1],
                s->iop[2], s->iop[3], s->iop[4], s->iop[5]);
  ok &= put(ds, DCM_ImageOrientationPatient, buf);
  lt_snprintf_c(buf, sizeof buf, "%.6f", s->ipp[2]);
  ok &= put(ds, DCM_SliceLocation, buf);
  lt_snprintf_c(buf, sizeof buf, "%.6f", s->slice_thickness);
  ok &= put(ds, DCM_SliceThickness, buf);
  lt_snprintf_c(buf, sizeof buf, "%.6f\\%.6f", s->pixel_spacing[0], s->pixel_spacing[1]);
  ok &= put(ds, DCM_PixelSpacing, buf);
  ok &= put(ds, DCM_PhotometricInterpretation, "MONOCHROME2");
  ok &= ds->putAndInsertUint16(DCM_SamplesPerPixel, 1).good();
  ok &= ds->putAndInsertUint16(DCM_Rows, (Uint16)s->rows).good();
  ok &= ds->putAndInsertUint16(DCM_Columns, (Uint16)s->cols).good();
  ok &= ds->putAndInsertUint16(DCM_BitsAllocated, 16).good();
  ok &= ds->putAndInsertUint16(DCM_BitsStored, 16).good();
  ok &= ds->putAndInsertUint16(DCM_HighBit, 15).good();
  ok &= ds->putAndInsertUint16(DCM_PixelRepresentation, 1).good();
  ok &= put(ds, DCM_RescaleIntercept, "0");
  ok &= put(ds, DCM_RescaleSlope, "1");
  ok &= put(ds, DCM_RescaleType, "HU");
  ok &= put(ds, DCM_WindowCenter, "-600");
  ok &= put(ds, DCM_WindowWidth, "1400");
  ok &= ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16 *>(s->hu),
                                    (unsigned long)s->rows * (unsigned long)s->cols)
            .good();
  if (!ok) {
    delete ff;
    return lt_error_set(err, "cannot build the DICOM header of %s", path), -1;
  }
  OFCondition c = ff->saveFile(path, EXS_LittleEndianExplicit);
  delete ff;
  if (c.bad()) return lt_error_set(err, "cannot write %s: %s", path, c.text()), -1;
  return 0;
}

extern "C" void lt_dicom_uid_from_bits(char *buf, uint64_t hi, uint64_t lo) {
  unsigned __int128 v = ((unsigned __int128)hi << 64) | lo;
  char digits[48];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v && n < 47);
  int at = snprintf(buf, LT_UID_MAX, "2.25.");
  for (int i = n - 1; i >= 0 && at < LT_UID_MAX - 1; i--) buf[at++] = digits[i];
  buf[at] = 0;
}
