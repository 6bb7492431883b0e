/* app/cli.h — what the lungtrust-cli subcommands share.
 * Exit codes (DESIGN section 5): 0 success, 1 bad input (one clear line on stderr), 2 usage. */
#ifndef LT_CLI_H
#define LT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lt-error.h"
#include "train/dataset.h"
#include "model/weights.h"

enum { LT_EXIT_OK = 0, LT_EXIT_INPUT = 1, LT_EXIT_USAGE = 2 };

/* argv[0] is the subcommand's name. */
typedef int (*lt_cli_fn)(int argc, char **argv);

#define LT_CLI_COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "cli-commands.def"
#undef LT_CLI_COMMAND

/* Prints "lungtrust-cli: MSG" on stderr and returns LT_EXIT_INPUT. */
int lt_cli_fail(const lt_error *err);
int lt_cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "lungtrust-cli CMD: MSG" and "Try 'lungtrust-cli CMD --help'." and returns LT_EXIT_USAGE. */
int lt_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Option values, each the whole string or false: a decimal integer in [lo, hi]; a finite number
 * in [lo, hi]; a seed (a decimal integer >= 0 below 2^64, no sign: strtoull would wrap "-1").
 * None takes a leading space or '+'. One set of rules for every command, so "--seed -1",
 * "--epochs 3x" or "--boot +10" fail the same way. */
bool lt_cli_parse_long(const char *s, long lo, long hi, long *v);
bool lt_cli_parse_int(const char *s, int lo, int hi, int *v);
bool lt_cli_parse_double(const char *s, double lo, double hi, double *v);
bool lt_cli_parse_seed(const char *s, uint64_t *v);
/* A model input side: an integer that divides the 64^3 patch (8, 16, 32 or 64). */
bool lt_cli_parse_side(const char *s, int *v);
/* Parses "X,Y,Z" of three finite numbers; false on anything else. */
bool lt_cli_parse_triple(const char *s, double out[3]);
/* Parses "I,J,K" of three integers; false on anything else. */
bool lt_cli_parse_int_triple(const char *s, int out[3]);
/* Parses the arguments of a database job: "ARG [--db FILE] [--json]" (import, import-ratings).
 * what names ARG in the "missing ARG" usage error. Returns -1 when the command should go on,
 * otherwise the exit code to return (help printed, or a usage error). */
int lt_cli_parse_db_job(const char *cmd, const char *what, int argc, char **argv,
                        void (*usage)(FILE *), const char **db, const char **arg, bool *json);
/* Loads a weights file and a data set (evaluate, refit): 0, or the failure printed as one line
 * and nothing left to free (returns LT_EXIT_INPUT). */
int lt_cli_load_model_and_data(const char *model, const char *data, lt_weights *w, lt_dataset *ds);
/* True when s is --help or -h. */
bool lt_cli_is_help(const char *s);
/* Prints s as a JSON string, quotes included, that always parses: '"', '\\' and control
 * characters escaped, and each byte of invalid UTF-8 (a path may hold any bytes) written as
 * U+FFFD, so such a string is not kept exactly. */
void lt_cli_print_json_string(FILE *f, const char *s);
/* Prints JSON text made elsewhere (cJSON, which passes bytes >= 0x80 through unchecked) with
 * each byte of invalid UTF-8 replaced by U+FFFD; such bytes only occur inside its strings. */
void lt_cli_print_json_text(FILE *f, const char *text);
/* An option's value (s; NULL when the option came last, without one) read by the rules of
 * lt_cli_parse_*; when it is missing or bad, prints one line on stderr naming the option and its
 * valid range ("lungtrust-cli CMD: OPT needs an integer from LO to HI, not 'S'") and returns
 * false: the caller returns LT_EXIT_USAGE. */
bool lt_cli_opt_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *v);
bool lt_cli_opt_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *v);
bool lt_cli_opt_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                       double *v);
bool lt_cli_opt_seed(const char *cmd, const char *opt, const char *s, uint64_t *v);

#endif
