/* engine/lt-log.h — where the engine's log lines go: one sink for every module (backend choice,
 * CPU retries, the model's notes), so the CLI prints them on stderr and the workstation routes
 * them to its own log. Lines only: it formats nothing else and keeps no history. */
#ifndef LT_LOG_H
#define LT_LOG_H

/* The sink; default: "lungtrust: LINE\n" on stderr. NULL restores it. */
typedef void (*lt_engine_log_fn)(const char *line, void *user);
void lt_engine_set_log(lt_engine_log_fn fn, void *user);
/* One line (printf format, at most 511 bytes) to that sink. */
void lt_engine_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
