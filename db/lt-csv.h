/* db/lt-csv.h — a strict CSV reader (RFC 4180) for the LIDC tables.
 * Reads a whole file into rows of NUL-terminated fields. Refuses, with "FILE:LINE: why", what is
 * not well-formed CSV: a NUL byte, a quote inside an unquoted field, an unterminated quoted
 * field, text after a closing quote, a CR not followed by LF, a blank line other than at the end,
 * a file over 64 MiB. Does not check field counts or types: the importer does, with lt_csv_int /
 * lt_csv_real and the row's line number. */
#ifndef LT_CSV_H
#define LT_CSV_H

#include <stddef.h>

#include "lt-error.h"

typedef struct lt_csv lt_csv;

int lt_csv_read(const char *path, lt_csv **out, lt_error *err);
void lt_csv_free(lt_csv *csv);
size_t lt_csv_rows(const lt_csv *csv);
int lt_csv_nfields(const lt_csv *csv, size_t row);
/* "" for a column past the row's end. */
const char *lt_csv_field(const lt_csv *csv, size_t row, int col);
/* 1-based line where the row starts (for messages). */
int lt_csv_line(const lt_csv *csv, size_t row);
const char *lt_csv_path(const lt_csv *csv);

/* Whole-field number parsers: 0 ok; -1 with "FILE:LINE: column NAME: ..." in err. */
int lt_csv_int(const lt_csv *csv, size_t row, int col, const char *name, long lo, long hi,
               long *out, lt_error *err);
int lt_csv_real(const lt_csv *csv, size_t row, int col, const char *name, double *out,
                lt_error *err);

#endif
