#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level current_level = LOG_LEVEL_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level) { current_level = level; }

enum log_level log_get_level(void) { return current_level; }

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* One event, one line: a file named "x\nsohoa: error: ..." must not forge a
 * second one. Control bytes become \xNN. */
static void escape_controls(const char *in, char *out, size_t n)
{
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && k + 5 < n; p++) {
		if (*p < 0x20 || *p == 0x7f)
			k += (size_t)snprintf(out + k, n - k, "\\x%02x", *p);
		else
			out[k++] = (char)*p;
	}
	out[k] = '\0';
}

static void log_emit(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	char raw[2048], line[4 * sizeof(raw)];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape_controls(raw, line, sizeof(line));
	if (errstr != NULL)
		fprintf(stderr, "sohoa: %s: %s: %s\n", level_names[level], line, errstr);
	else
		fprintf(stderr, "sohoa: %s: %s\n", level_names[level], line);
}

void log_warn(const char *fmt, ...)
{
	const char *errstr = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, errstr, fmt, ap);
	va_end(ap);
}

#define DEFINE_LOG(name, level)                          \
	void name(const char *fmt, ...)                  \
	{                                                \
		va_list ap;                              \
		va_start(ap, fmt);                       \
		log_emit(level, NULL, fmt, ap);          \
		va_end(ap);                              \
	}

DEFINE_LOG(log_warnx, LOG_LEVEL_WARN)
DEFINE_LOG(log_info, LOG_LEVEL_INFO)
DEFINE_LOG(log_debug, LOG_LEVEL_DEBUG)

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(70);
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	if (e == NULL)
		return;
	char what[ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char *whole = xasprintf("%s: %s", what, e->msg); /* cut to ERR_MAX below */
	snprintf(e->msg, sizeof(e->msg), "%s", whole);
	free(whole);
}

static void err_vset(struct err *e, int temporary, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	e->temporary = temporary;
}

void err_set(struct err *e, const char *fmt, ...)
{
	if (e == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	err_vset(e, 0, fmt, ap);
	va_end(ap);
}

void err_temporary(struct err *e, const char *fmt, ...)
{
	if (e == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	err_vset(e, 1, fmt, ap);
	va_end(ap);
}
