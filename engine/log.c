/* log.c: levelled logging to stderr (human lines or JSON lines) with secret masking. */
#include "hrsync/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX_SECRETS 16

/* The program's logging settings: written at start-up, read everywhere. */
static struct {
    hrs_log_level level;
    int json;
    int nsecrets;
    char secrets[LOG_MAX_SECRETS][256];
} log_cfg = { HRS_LOG_INFO, 0, 0, { { 0 } } };

static const char *const level_names[] = { "debug", "info", "warn", "error", "quiet" };

void hrs_log_setup(hrs_log_level level, int json)
{
    log_cfg.level = level;
    log_cfg.json = json;
}

void hrs_log_add_secret(const char *secret)
{
    if (!secret || strlen(secret) < 4 || log_cfg.nsecrets >= LOG_MAX_SECRETS) return;
    for (int i = 0; i < log_cfg.nsecrets; i++)
        if (strcmp(log_cfg.secrets[i], secret) == 0) return;
    snprintf(log_cfg.secrets[log_cfg.nsecrets++], sizeof log_cfg.secrets[0], "%s", secret);
}

int hrs_log_level_parse(const char *s)
{
    for (int i = 0; i <= HRS_LOG_QUIET; i++)
        if (s && strcmp(s, level_names[i]) == 0) return i;
    return -1;
}

void hrs_log_redact(char *dst, size_t n, const char *src)
{
    size_t o = 0;
    if (n == 0) return;
    while (*src && o + 1 < n) {
        int hit = 0;
        for (int i = 0; i < log_cfg.nsecrets; i++) {
            size_t l = strlen(log_cfg.secrets[i]);
            if (strncmp(src, log_cfg.secrets[i], l) == 0) {
                for (const char *m = "***"; *m && o + 1 < n; m++) dst[o++] = *m;
                src += l;
                hit = 1;
                break;
            }
        }
        if (!hit) dst[o++] = *src++;
    }
    dst[o] = '\0';
}

static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
}

void hrs_log(hrs_log_level level, const char *fmt, ...)
{
    if (level < log_cfg.level || level >= HRS_LOG_QUIET) return;
    char raw[4096], line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    hrs_log_redact(line, sizeof line, raw);
    if (log_cfg.json) {
        char ts[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[level]);
        json_escape(stderr, line);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "hrsync: %s%s\n", level >= HRS_LOG_WARN ? (level == HRS_LOG_WARN ? "warning: " : "error: ") : "", line);
    }
}
