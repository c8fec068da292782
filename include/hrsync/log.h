/* log.h: levelled logging to stderr, human-readable on a terminal or JSON lines when asked.
 *
 * The logger holds no secrets: callers never pass one, and hrs_log_redact() masks the values of
 * registered secrets should one slip into a message (for example inside a service's answer). */
#ifndef HRSYNC_LOG_H
#define HRSYNC_LOG_H

#include <stddef.h>

typedef enum { HRS_LOG_DEBUG = 0, HRS_LOG_INFO, HRS_LOG_WARN, HRS_LOG_ERROR, HRS_LOG_QUIET } hrs_log_level;

/* Sets the lowest level written, and whether lines are JSON. Process-wide settings of the
 * program's output, written once at start-up. */
void hrs_log_setup(hrs_log_level level, int json);

/* Registers a secret value whose occurrences are masked in every logged line. */
void hrs_log_add_secret(const char *secret);

/* Writes one line. */
void hrs_log(hrs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies src into dst (size n) with every registered secret replaced by "***". */
void hrs_log_redact(char *dst, size_t n, const char *src);

/* Parses "debug", "info", "warn", "error", "quiet"; returns -1 if unknown. */
int hrs_log_level_parse(const char *s);

#define hrs_debug(...) hrs_log(HRS_LOG_DEBUG, __VA_ARGS__)
#define hrs_info(...)  hrs_log(HRS_LOG_INFO, __VA_ARGS__)
#define hrs_warn(...)  hrs_log(HRS_LOG_WARN, __VA_ARGS__)
#define hrs_error(...) hrs_log(HRS_LOG_ERROR, __VA_ARGS__)

#endif
