/* status: the unix socket in the spool that `sohoa status` reads, and what it
 * shows beyond the supervisor's own state: the recent scans, the stage latencies. */
#include "daemon_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/pipeline.h"
#include "watchers/watchers.h"

static int socket_path(const char *spool_dir, struct sockaddr_un *sa, struct err *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/sohoa.sock", spool_dir) >=
	    sizeof(sa->sun_path)) {
		err_set(e, "the spool path %s is too long for a unix socket", spool_dir);
		return -1;
	}
	return 0;
}

int status_listen(const char *spool_dir, struct err *e)
{
	struct sockaddr_un sa;
	if (socket_path(spool_dir, &sa, e) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatalx("socket: %s", strerror(errno));
	unlink(sa.sun_path); /* a previous daemon's; the spool lock says it is gone */
	mode_t old = umask(0077); /* the owner only: status shows file names */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 8) < 0) {
		err_set(e, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One client: the whole status, then close. Never blocks the loop for long. */
void status_answer(int listen_fd, json_t *status)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char *text = json_dumps(status, JSON_COMPACT);
	if (text == NULL)
		fatalx("out of memory");
	struct err e = { 0 };
	if (fd_write_all(fd, text, strlen(text), "the status client", &e) < 0)
		log_debug("status: %s", e.msg);
	free(text);
	close(fd);
}

static int collect(void *arg, const void *p, size_t n)
{
	buf_append(arg, p, n);
	return 0;
}

int status_query(const char *spool_dir, json_t **out, struct err *e)
{
	struct sockaddr_un sa;
	struct buf b = { 0 };
	int rc = -1;
	*out = NULL;
	if (socket_path(spool_dir, &sa, e) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatalx("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set(e, "sohoa is not running (no answer on %s: %s)", sa.sun_path,
		    strerror(errno));
		goto out;
	}
	if (fd_read_chunks(fd, collect, &b, e) < 0)
		goto out;
	json_error_t je;
	*out = json_loadb(b.data ? b.data : "", b.len, 0, &je);
	if (*out == NULL) {
		err_set(e, "the daemon's answer is not JSON: %s", je.text);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	free(b.data);
	return rc;
}

/* ---- recent scans -------------------------------------------------------------- */

struct recent_scan {
	char job[JOB_ID_MAX];
	char *source, *watch, *reason, *result_code;
	char result_id[65];      /* "" until archived */
	enum scan_state state;
	int review;              /* -1: not known yet */
	time_t at;               /* the last change */
};

/* A ring: e[(head + RECENT_MAX - 1 - k) % RECENT_MAX] is the k-th newest. */
struct recent {
	struct recent_scan e[RECENT_MAX];
	size_t head, n;
};

static const char *const scan_state_names[] = {
	[SCAN_RECEIVED] = "received", [SCAN_PROCESSING] = "processing",
	[SCAN_WAITING] = "waiting", [SCAN_ARCHIVED] = "archived",
	[SCAN_QUARANTINED] = "quarantined",
};

struct recent *recent_new(void)
{
	return xcalloc(1, sizeof(struct recent));
}

static void scan_clear(struct recent_scan *x)
{
	free(x->source);
	free(x->watch);
	free(x->reason);
	free(x->result_code);
	memset(x, 0, sizeof(*x));
}

void recent_free(struct recent *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < RECENT_MAX; i++)
		scan_clear(&r->e[i]);
	free(r);
}

/*
 * The job's entry; else that of a scan from the same drop that did not
 * decode yet and is taken again as a new job (a drop is in one job at a
 * time, so an unfinished entry with its path can only be that).
 */
static struct recent_scan *recent_find(struct recent *r, const struct scan_event *ev)
{
	struct recent_scan *same_drop = NULL;
	for (size_t k = 0; k < r->n; k++) {
		struct recent_scan *x = &r->e[(r->head + RECENT_MAX - 1 - k) % RECENT_MAX];
		if (strcmp(x->job, ev->job) == 0)
			return x;
		if (same_drop == NULL && ev->source != NULL && strcmp(x->source, ev->source) == 0 &&
		    x->state != SCAN_ARCHIVED && x->state != SCAN_QUARANTINED)
			same_drop = x;
	}
	if (same_drop != NULL)
		snprintf(same_drop->job, sizeof(same_drop->job), "%s", ev->job);
	return same_drop;
}

/* A job not in the ring (new, or pushed out by a hundred newer) goes in
 * as the newest, in place of the oldest. */
static struct recent_scan *recent_slot(struct recent *r, const struct scan_event *ev)
{
	struct recent_scan *x = recent_find(r, ev);
	if (x != NULL)
		return x;
	x = &r->e[r->head];
	scan_clear(x);
	r->head = (r->head + 1) % RECENT_MAX;
	r->n += r->n < RECENT_MAX;
	snprintf(x->job, sizeof(x->job), "%s", ev->job);
	x->source = xstrdup(ev->source ? ev->source : "");
	x->watch = xstrdup(ev->watch ? ev->watch : "");
	x->review = -1;
	return x;
}

void recent_note(struct recent *r, const struct scan_event *ev)
{
	struct recent_scan *x = recent_slot(r, ev);
	x->state = ev->state;
	x->at = time(NULL);
	free(x->reason);
	x->reason = ev->reason ? xstrdup(ev->reason) : NULL;
	if (ev->filed == NULL)
		return;
	const char *id = json_string_value(json_object_get(ev->filed, "id"));
	const char *code = json_string_value(json_object_get(ev->filed, "result_code"));
	json_t *review = json_object_get(ev->filed, "review");
	snprintf(x->result_id, sizeof(x->result_id), "%s", id ? id : "");
	free(x->result_code);
	x->result_code = code ? xstrdup(code) : NULL;
	x->review = json_is_boolean(review) ? json_is_true(review) : -1;
}

static json_t *scan_json(const struct recent_scan *x)
{
	char at[32];
	time_iso8601_vn(x->at, at);
	/* A name that is not UTF-8 would make json_pack fail and the scan vanish. */
	return json_pack("{s:s, s:o, s:o, s:s, s:o, s:s?, s:s?, s:o, s:s}", "job", x->job,
	    "source", spool_json_text(x->source), "watch", spool_json_text(x->watch),
	    "state", scan_state_names[x->state],
	    "reason", spool_json_text(x->reason), "result_id", *x->result_id ? x->result_id : NULL,
	    "result_code", x->result_code,
	    "review", x->review < 0 ? json_null() : json_boolean(x->review), "at", at);
}

json_t *recent_json(const struct recent *r)
{
	json_t *a = json_array();
	for (size_t k = 0; k < r->n; k++)
		json_array_append_new(a, scan_json(&r->e[(r->head + RECENT_MAX - 1 - k) %
		    RECENT_MAX]));
	return a;
}

/* ---- stage latencies ------------------------------------------------------------ */

static const double buckets_s[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120 };
#define NBUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

static const char *const stage_names[STAGES] = {
	[STAGE_DECODE] = "decode", [STAGE_PREPROCESS] = "preprocess", [STAGE_OCR] = "ocr",
	[STAGE_EXTRACT] = "extract", [STAGE_PACKAGE] = "package", [STAGE_SIGN] = "sign",
	[STAGE_ARCHIVE] = "archive", [STAGE_TOTAL] = "total",
};

struct histogram {
	unsigned long count;
	double sum_s;
	unsigned long le[NBUCKETS];  /* cumulative: observations <= buckets_s[i] */
};

struct stage_stats {
	struct histogram h[STAGES];
};

struct stage_stats *stages_new(void)
{
	return xcalloc(1, sizeof(struct stage_stats));
}

void stages_free(struct stage_stats *s)
{
	free(s);
}

void stages_observe(struct stage_stats *s, enum stage st, double seconds)
{
	struct histogram *h = &s->h[st];
	if (seconds < 0)
		seconds = 0;
	h->count++;
	h->sum_s += seconds;
	for (size_t i = 0; i < NBUCKETS; i++)
		h->le[i] += seconds <= buckets_s[i];
}

/* One observation a scan: the sum over its pages of ocr.pages[].ms. */
void stages_observe_result(struct stage_stats *s, json_t *result)
{
	static const enum stage from_pages[] = { STAGE_DECODE, STAGE_PREPROCESS, STAGE_OCR,
		STAGE_EXTRACT };
	for (size_t k = 0; k < sizeof(from_pages) / sizeof(from_pages[0]); k++) {
		double ms = result_stage_ms(result, stage_names[from_pages[k]]);
		if (ms >= 0)
			stages_observe(s, from_pages[k], ms / 1000);
	}
}

double iso8601_age_s(const char *t)
{
	struct tm tm = { 0 };
	int oh = 0, om = 0;
	char sign = '+';
	if (t == NULL || sscanf(t, "%d-%d-%dT%d:%d:%d%c%d:%d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &oh, &om) != 9)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t at = timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	return difftime(time(NULL), at);
}

json_t *stages_json(const struct stage_stats *s)
{
	json_t *o = json_object(), *b = json_array();
	for (size_t i = 0; i < NBUCKETS; i++)
		json_array_append_new(b, json_real(buckets_s[i]));
	json_object_set_new(o, "buckets_s", b);
	for (int st = 0; st < STAGES; st++) {
		const struct histogram *h = &s->h[st];
		json_t *le = json_array();
		for (size_t i = 0; i < NBUCKETS; i++)
			json_array_append_new(le, json_integer((json_int_t)h->le[i]));
		json_object_set_new(o, stage_names[st], json_pack("{s:I, s:f, s:o}",
		    "count", (json_int_t)h->count, "sum_s", h->sum_s, "le", le));
	}
	return o;
}
