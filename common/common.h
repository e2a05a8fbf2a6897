/*
 * common: the conventions every module shares.
 *
 * Errors: functions return 0 on success and -1 on failure, and put a
 * human-readable reason into a caller-owned `struct err`. Out of memory
 * is fatal (the x* allocators never return NULL).
 *
 * Logging: one API, to stderr, so journald captures it. log_warn appends
 * strerror(errno); the others do not. Never log key material or PINs.
 */
#ifndef SOHOA_COMMON_H
#define SOHOA_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SOHOA_VERSION "0.1.0"

#define ERR_MAX 512
/* A reason a person can read; it ends up in the quarantine file and the log. */
struct err {
	char msg[ERR_MAX];
	int temporary;  /* 1: the cause may pass (token unplugged, TSA down,
	                 * disk full); the job waits and retries, never quarantined */
};

void err_set(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like err_set, and marks the failure temporary. */
void err_temporary(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Puts "<what>: " before the reason already in e. */
void err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug" -> 0; anything else -> -1. */
int log_level_parse(const char *name, enum log_level *out);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; the caller owns `data` and frees it with free(). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_append(struct buf *b, const void *p, size_t n);
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes all of p to fd, retrying short writes; the reason names `what`.
 * A full disk (ENOSPC, EDQUOT) is a temporary failure. */
int fd_write_all(int fd, const void *p, size_t n, const char *what, struct err *e);
/* Feeds every chunk read from fd to sink until EOF; sink returns -1 to stop
 * (and sets the reason). */
int fd_read_chunks(int fd, int (*sink)(void *arg, const void *p, size_t n), void *arg,
    struct err *e);

/* Reads a whole regular file (at most max_bytes) into *out; caller frees. */
int file_read_all(const char *path, size_t max_bytes, struct buf *out, struct err *e);
/* Writes data durably: temp file -> fsync -> rename -> fsync(dir). */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
    struct err *e);
/* rm -r: a file, or a folder and everything in it (symlinks removed, never
 * followed). 0 when it is gone (or was never there). */
int remove_tree(const char *path);
/* mkdir -p with the given mode for the directories it creates. */
int dir_make(const char *path, unsigned mode, struct err *e);

/* n bytes as 2n lowercase hex digits plus NUL. */
void hex_encode(const unsigned char *p, size_t n, char *out);
/* SHA-256 as 64 lowercase hex digits plus NUL: of memory, of a file. */
void sha256_hex(const void *p, size_t n, char out[65]);
int sha256_file_hex(const char *path, char out[65], struct err *e);

/* Local time of Viet Nam (UTC+07:00, no daylight saving): 2026-11-22T09:15:00+07:00 */
void time_iso8601_vn(time_t t, char out[32]);
/* 1 when s is a real calendar date written YYYY-MM-DD (xs:date, no zone). */
int iso_date_valid(const char *s);
/* CLOCK_MONOTONIC in milliseconds: for timeouts and for measuring. */
double clock_ms(void);

#endif
