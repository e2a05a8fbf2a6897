/*
 * webhook: durable deliveries of archived results. A delivery is a file in
 * <spool>/webhooks/pending/ until the receiver answers 2xx; then it moves to
 * sent/. A failed attempt only rewrites the file's schedule: nothing is ever
 * dropped. Any process may queue (the daemon, `sohoa process`, the API); the
 * daemon's one thread sends, oldest first.
 */
#include "api.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define RESCAN_S 5                    /* files queued by other processes are seen this soon */
#define SENT_KEEP_S (30L * 24 * 3600)
#define DELIVERY_MAX (16u << 20)      /* a result without its text is a few KiB */
#define SECRET_MAX 4096
#define ANSWER_MAX (64u << 10)        /* what is read of the receiver's answer */

/* A pending file as the thread knows it; read once, then kept. */
struct entry {
	char *name;          /* <id>-v<version>.json */
	char created[32];    /* ISO 8601 +07:00: sorts as time does */
	time_t next_at;
	int seen;            /* still there at the last scan */
};

struct webhook_sender {
	char *url, *ca, *pending_dir, *sent_dir;
	unsigned timeout_s, retry_max_s;
	unsigned char *secret;
	size_t secret_len;
	struct entry *q;     /* the thread's own: pending files, oldest first */
	size_t nq;
	pthread_t thread;
	pthread_mutex_t mu;  /* guards the rest */
	pthread_cond_t cv;
	int stop, kicked;
	long pending, delivered, failed_attempts;
	char oldest[32];     /* "" = nothing pending */
	time_t next_attempt; /* 0 = nothing pending */
	char last_error[ERR_MAX];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("libcurl cannot initialise");
}

static char *queue_dir(const struct sohoa_config *cfg, const char *which)
{
	return xasprintf("%s/webhooks/%s", cfg->spool_dir, which);
}

/* <id>-v<n>.json; temporary files (".tmp.<pid>") and the rest are not ours. */
static int delivery_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".json") == 0;
}

static int hex64(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0' && strchr("0123456789abcdef", s[n]) != NULL)
		n++;
	return n == 64 && s[n] == '\0';
}

/* ---- queueing (any process) ------------------------------------------------ */

static json_t *delivery_new(const char *event, const char *delivery, json_t *result)
{
	char now[32];
	json_t *body = json_deep_copy(result);
	if (body == NULL)
		fatalx("out of memory");
	json_object_del(body, "text");
	time_iso8601_vn(time(NULL), now);
	return json_pack("{s:s, s:s, s:s, s:i, s:I, s:n, s:o}", "event", event,
	    "delivery", delivery, "created", now, "attempts", 0,
	    "next_at", (json_int_t)time(NULL), "last_error", "body", body);
}

int webhook_enqueue(const struct sohoa_config *cfg, const char *event, json_t *result,
    struct err *e)
{
	if (cfg->webhook_url == NULL)
		return 0;
	const char *id = json_string_value(json_object_get(result, "id"));
	json_int_t version = json_integer_value(json_object_get(result, "version"));
	if (id == NULL || !hex64(id)) {
		err_set(e, "webhook: the result has no id of 64 hex digits");
		return -1;
	}
	char *pending = queue_dir(cfg, "pending"), *sent = queue_dir(cfg, "sent");
	char *delivery = xasprintf("%s-v%lld", id, (long long)(version > 0 ? version : 1));
	char *ppath = xasprintf("%s/%s.json", pending, delivery);
	char *spath = xasprintf("%s/%s.json", sent, delivery);
	char *text = NULL;
	int rc = -1;
	if (dir_make(pending, 0700, e) < 0 || dir_make(sent, 0700, e) < 0)
		goto out;
	/* pending/ first: a file moved to sent/ meanwhile is then still found. */
	if (access(ppath, F_OK) == 0 || access(spath, F_OK) == 0) {
		rc = 0;
		goto out;
	}
	json_t *d = delivery_new(event, delivery, result);
	text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	if (text == NULL)
		fatalx("out of memory");
	rc = file_write_atomic(ppath, text, strlen(text), 0600, e);
	if (rc < 0)
		err_prefix(e, "webhook: queueing %s", delivery);
out:
	free(text);
	free(pending);
	free(sent);
	free(delivery);
	free(ppath);
	free(spath);
	return rc;
}

long webhook_backlog(const struct sohoa_config *cfg)
{
	if (cfg->webhook_url == NULL)
		return 0;
	char *dir = queue_dir(cfg, "pending");
	DIR *d = opendir(dir);
	long n = 0;
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		n += delivery_name(de->d_name);
	if (d != NULL)
		closedir(d);
	free(dir);
	return n;
}

/* ---- one attempt ------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	size_t *total = arg;
	(void)p;
	*total += size * n;
	return *total > ANSWER_MAX ? 0 : size * n;
}

/* Event and delivery go into header lines: no CR, LF or other surprise. */
static int header_safe(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789.-_", *s) == NULL)
			return 0;
	return 1;
}

static void signature(const struct webhook_sender *w, const char *ts, const char *body,
    char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *msg = xasprintf("%s.%s", ts, body);
	if (HMAC(EVP_sha256(), w->secret, (int)w->secret_len, (unsigned char *)msg, strlen(msg),
	    md, &mdlen) == NULL || mdlen != 32)
		fatalx("HMAC-SHA256 is not available");
	hex_encode(md, mdlen, out);
	free(msg);
}

static struct curl_slist *headers(const struct webhook_sender *w, const char *event,
    const char *delivery, const char *body)
{
	char ts[24], sig[65], line[160];
	struct curl_slist *h = NULL;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	signature(w, ts, body, sig);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	snprintf(line, sizeof(line), "X-Sohoa-Event: %s", event);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Sohoa-Delivery: %s", delivery);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Sohoa-Timestamp: %s", ts);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Sohoa-Signature: sha256=%s", sig);
	h = curl_slist_append(h, line);
	if (h == NULL)
		fatalx("out of memory");
	return h;
}

/* 0 when the receiver answered 2xx. */
static int post(const struct webhook_sender *w, json_t *d, struct err *e)
{
	const char *event = json_string_value(json_object_get(d, "event"));
	const char *delivery = json_string_value(json_object_get(d, "delivery"));
	json_t *body = json_object_get(d, "body");
	char curl_msg[CURL_ERROR_SIZE] = "";
	size_t answered = 0;
	long status = 0;
	int rc = -1;
	if (!header_safe(event) || !header_safe(delivery) || !json_is_object(body)) {
		err_set(e, "the queued file has no event, delivery or body");
		return -1;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	if (text == NULL)
		fatalx("out of memory");
	struct curl_slist *h = headers(w, event, delivery, text);
	CURL *c = curl_easy_init();
	if (c == NULL)
		fatalx("out of memory");
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of the daemon */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (w->ca != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, w->ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(w->timeout_s ? w->timeout_s : 10));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sohoa/" SOHOA_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answered);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		rc = 0; /* an over-long answer to a 2xx is still a delivery */
	else if (status != 0)
		err_set(e, "the receiver answered HTTP %ld", status);
	else
		err_set(e, "the receiver could not be reached: %s",
		    *curl_msg ? curl_msg : curl_easy_strerror(cc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(text);
	return rc;
}

/* ---- the thread's bookkeeping ---------------------------------------------------- */

static int stopping(struct webhook_sender *w)
{
	pthread_mutex_lock(&w->mu);
	int stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

/* What webhook_status shows, from the thread's list. */
static void publish(struct webhook_sender *w)
{
	time_t next = 0;
	for (size_t i = 0; i < w->nq; i++)
		if (next == 0 || w->q[i].next_at < next)
			next = w->q[i].next_at;
	pthread_mutex_lock(&w->mu);
	w->pending = (long)w->nq;
	snprintf(w->oldest, sizeof(w->oldest), "%s", w->nq ? w->q[0].created : "");
	w->next_attempt = next;
	pthread_mutex_unlock(&w->mu);
}

static void note_attempt(struct webhook_sender *w, const char *error)
{
	pthread_mutex_lock(&w->mu);
	if (error == NULL) {
		w->delivered++;
		w->pending -= w->pending > 0;
		w->last_error[0] = '\0';
	} else {
		w->failed_attempts++;
		snprintf(w->last_error, sizeof(w->last_error), "%s", error);
	}
	pthread_mutex_unlock(&w->mu);
}

static json_t *load(const struct webhook_sender *w, const char *name, struct err *e)
{
	char *path = xasprintf("%s/%s", w->pending_dir, name);
	struct buf b = { 0 };
	json_t *d = NULL;
	json_error_t je;
	if (file_read_all(path, DELIVERY_MAX, &b, e) == 0) {
		d = json_loadb(b.data, b.len, 0, &je);
		if (!json_is_object(d))
			err_set(e, "not a delivery: %s", je.text);
	}
	if (d != NULL && !json_is_object(d)) {
		json_decref(d);
		d = NULL;
	}
	if (d == NULL)
		err_prefix(e, "%s", path);
	free(b.data);
	free(path);
	return d;
}

/* Takes name. */
static void entry_add(struct webhook_sender *w, char *name)
{
	struct err e = { 0 };
	json_t *d = load(w, name, &e);
	w->q = xrealloc(w->q, (w->nq + 1) * sizeof(*w->q));
	struct entry *x = &w->q[w->nq++];
	*x = (struct entry){ .name = name, .seen = 1, .next_at = time(NULL) };
	snprintf(x->created, sizeof(x->created), "%s",
	    json_string_value(json_object_get(d, "created")) ?: "");
	if (json_is_integer(json_object_get(d, "next_at")))
		x->next_at = (time_t)json_integer_value(json_object_get(d, "next_at"));
	if (d == NULL) /* looked at again later; it stays where it is */
		log_warnx("webhook: %s", e.msg);
	json_decref(d);
}

static int by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->created, y->created);
	return c != 0 ? c : strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct entry *const *)a)->name, (*(struct entry *const *)b)->name);
}

/* Forgets the entries no longer in pending/; returns the soonest next_at (0: none). */
static time_t compact(struct webhook_sender *w)
{
	size_t k = 0;
	time_t next = 0;
	for (size_t i = 0; i < w->nq; i++) {
		if (!w->q[i].seen) {
			free(w->q[i].name);
			continue;
		}
		w->q[k++] = w->q[i];
		next = next == 0 || w->q[i].next_at < next ? w->q[i].next_at : next;
	}
	w->nq = k;
	return next;
}

/* The names in pending/ that the list does not have yet (a backlog of
 * thousands is looked up by name, not walked for each file). */
static char **unknown_files(struct webhook_sender *w, size_t *n)
{
	struct entry **known = xcalloc(w->nq + 1, sizeof(*known));
	char **fresh = NULL;
	struct dirent *de;
	*n = 0;
	for (size_t i = 0; i < w->nq; i++) {
		w->q[i].seen = 0;
		known[i] = &w->q[i];
	}
	qsort(known, w->nq, sizeof(*known), by_name);
	DIR *d = opendir(w->pending_dir);
	if (d == NULL)
		log_warn("webhook: cannot read %s", w->pending_dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct entry key = { .name = de->d_name }, *kp = &key, **hit;
		if (!delivery_name(de->d_name))
			continue;
		hit = bsearch(&kp, known, w->nq, sizeof(*known), by_name);
		if (hit != NULL) {
			(*hit)->seen = 1;
			continue;
		}
		fresh = xrealloc(fresh, (*n + 1) * sizeof(*fresh));
		fresh[(*n)++] = xstrdup(de->d_name);
	}
	if (d != NULL)
		closedir(d);
	free(known);
	return fresh;
}

/* Brings the list up to pending/: new files read, vanished ones forgotten. */
static void scan(struct webhook_sender *w)
{
	size_t n;
	char **fresh = unknown_files(w, &n);
	compact(w);
	for (size_t i = 0; i < n; i++)
		entry_add(w, fresh[i]);
	free(fresh);
	if (w->nq > 1)
		qsort(w->q, w->nq, sizeof(*w->q), by_age);
	publish(w);
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int move_to_sent(const struct webhook_sender *w, const char *name)
{
	char *from = xasprintf("%s/%s", w->pending_dir, name);
	char *to = xasprintf("%s/%s", w->sent_dir, name);
	int rc = rename(from, to) == 0 && sync_dir(w->sent_dir) == 0 &&
	    sync_dir(w->pending_dir) == 0 ? 0 : -1;
	if (rc < 0)
		log_warn("webhook: delivered, but cannot move %s to %s (it may be sent again)", from,
		    w->sent_dir);
	free(from);
	free(to);
	return rc;
}

/* 1 s, 2 s, 4 s … up to retry_max. */
static unsigned backoff(const struct webhook_sender *w, json_int_t attempts)
{
	unsigned max = w->retry_max_s ? w->retry_max_s : 1;
	if (attempts < 1)
		attempts = 1;
	if (attempts - 1 >= 31)
		return max;
	unsigned long d = 1UL << (attempts - 1);
	return d < max ? (unsigned)d : max;
}

static void reschedule(struct webhook_sender *w, struct entry *x, json_t *d, const char *why)
{
	struct err e = { 0 };
	json_int_t attempts = json_integer_value(json_object_get(d, "attempts")) + 1;
	unsigned wait = backoff(w, attempts);
	x->next_at = time(NULL) + wait;
	json_object_set_new(d, "attempts", json_integer(attempts));
	json_object_set_new(d, "next_at", json_integer((json_int_t)x->next_at));
	json_object_set_new(d, "last_error", json_string(why));
	char *path = xasprintf("%s/%s", w->pending_dir, x->name);
	char *text = json_dumps(d, JSON_COMPACT);
	if (text == NULL)
		fatalx("out of memory");
	/* Not rewritten: the schedule is kept in memory, the file still queued. */
	if (file_write_atomic(path, text, strlen(text), 0600, &e) < 0)
		log_warnx("webhook: %s", e.msg);
	log_warnx("webhook: %s: attempt %lld failed, next in %u s: %s",
	    json_string_value(json_object_get(d, "delivery")), (long long)attempts, wait, why);
	free(text);
	free(path);
}

static void attempt(struct webhook_sender *w, struct entry *x)
{
	struct err e = { 0 };
	json_t *d = load(w, x->name, &e);
	if (d == NULL) {
		x->next_at = time(NULL) + (w->retry_max_s ? w->retry_max_s : 1);
		log_warnx("webhook: %s", e.msg);
		note_attempt(w, e.msg);
		return;
	}
	if (post(w, d, &e) == 0) {
		log_info("webhook: %s delivered", json_string_value(json_object_get(d, "delivery")));
		if (move_to_sent(w, x->name) < 0)
			x->next_at = time(NULL) + (w->retry_max_s ? w->retry_max_s : 1);
		else
			x->seen = 0; /* gone from pending/ */
		note_attempt(w, NULL);
	} else {
		reschedule(w, x, d, e.msg);
		note_attempt(w, e.msg);
	}
	json_decref(d);
}

/* Sends what is due, oldest first; returns when the next file falls due. */
static time_t send_due(struct webhook_sender *w)
{
	scan(w);
	for (size_t i = 0; i < w->nq && !stopping(w); i++)
		if (w->q[i].next_at <= time(NULL))
			attempt(w, &w->q[i]);
	time_t next = compact(w);
	publish(w);
	return next;
}

/* Delivered files are kept a month, so that a replay within it sends nothing. */
static void prune_sent(struct webhook_sender *w)
{
	DIR *d = opendir(w->sent_dir);
	struct dirent *de;
	time_t old = time(NULL) - SENT_KEEP_S;
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct stat st;
		char *path = xasprintf("%s/%s", w->sent_dir, de->d_name);
		if (delivery_name(de->d_name) && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime < old && unlink(path) < 0)
			log_warn("webhook: cannot remove %s", path);
		free(path);
	}
	if (d != NULL)
		closedir(d);
}

/* Called with mu held; returns with it held. */
static void sleep_until(struct webhook_sender *w, time_t next)
{
	time_t now = time(NULL);
	long wait = next != 0 && next - now < RESCAN_S ? (long)(next - now) : RESCAN_S;
	if (wait <= 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += wait;
	while (!w->stop && !w->kicked)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
			break;
}

static void *run(void *arg)
{
	struct webhook_sender *w = arg;
	prune_sent(w);
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		w->kicked = 0;
		pthread_mutex_unlock(&w->mu);
		time_t next = send_due(w);
		pthread_mutex_lock(&w->mu);
		sleep_until(w, next);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* ---- start, kick, status, stop -------------------------------------------------- */

/* The key is the file's first line, without the blanks around it. */
static int read_secret(const char *path, struct webhook_sender *w, struct err *e)
{
	struct buf b = { 0 };
	int rc = -1;
	if (file_read_all(path, SECRET_MAX, &b, e) < 0) {
		err_prefix(e, "[webhook] secret_file %s", path);
		goto out;
	}
	size_t start = 0, end = 0;
	while (end < b.len && b.data[end] != '\n')
		end++;
	while (start < end && strchr(" \t\r", b.data[start]) != NULL)
		start++;
	while (end > start && strchr(" \t\r", b.data[end - 1]) != NULL)
		end--;
	if (end == start) {
		err_set(e, "[webhook] secret_file %s: the first line is empty", path);
		goto out;
	}
	w->secret_len = end - start;
	w->secret = xmalloc(w->secret_len);
	memcpy(w->secret, b.data + start, w->secret_len);
	rc = 0;
out:
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.cap);
	free(b.data);
	return rc;
}

static void sender_free(struct webhook_sender *w)
{
	for (size_t i = 0; i < w->nq; i++)
		free(w->q[i].name);
	free(w->q);
	if (w->secret != NULL)
		OPENSSL_cleanse(w->secret, w->secret_len);
	free(w->secret);
	free(w->url);
	free(w->ca);
	free(w->pending_dir);
	free(w->sent_dir);
	free(w);
}

static void sync_init(struct webhook_sender *w)
{
	pthread_condattr_t ca;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
}

/* The thread never takes a signal meant for the process. */
static int spawn(struct webhook_sender *w)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int webhook_start(const struct sohoa_config *cfg, struct webhook_sender **out, struct err *e)
{
	*out = NULL;
	if (cfg->webhook_url == NULL)
		return 0;
	if (cfg->webhook_secret_file == NULL) {
		err_set(e, "[webhook] needs secret_file (the HMAC key)");
		return -1;
	}
	pthread_once(&curl_once, curl_init_once);
	struct webhook_sender *w = xcalloc(1, sizeof(*w));
	w->url = xstrdup(cfg->webhook_url);
	w->ca = cfg->webhook_ca ? xstrdup(cfg->webhook_ca) : NULL;
	w->pending_dir = queue_dir(cfg, "pending");
	w->sent_dir = queue_dir(cfg, "sent");
	w->timeout_s = cfg->webhook_timeout_s;
	w->retry_max_s = cfg->webhook_retry_max_s;
	if (read_secret(cfg->webhook_secret_file, w, e) < 0 ||
	    dir_make(w->pending_dir, 0700, e) < 0 || dir_make(w->sent_dir, 0700, e) < 0) {
		sender_free(w);
		return -1;
	}
	sync_init(w);
	int rc = spawn(w);
	if (rc != 0) {
		err_temporary(e, "webhook: cannot start the thread: %s", strerror(rc));
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		sender_free(w);
		return -1;
	}
	log_info("webhook: delivering to %s", w->url);
	*out = w;
	return 0;
}

void webhook_kick(struct webhook_sender *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->kicked = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static json_t *iso_or_null(time_t t)
{
	char s[32];
	if (t == 0)
		return json_null();
	time_iso8601_vn(t, s);
	return json_string(s);
}

json_t *webhook_status(struct webhook_sender *w)
{
	if (w == NULL)
		return NULL;
	pthread_mutex_lock(&w->mu);
	json_t *st = json_pack("{s:s, s:I, s:I, s:I, s:s?, s:o, s:s?}", "url", w->url,
	    "pending", (json_int_t)w->pending, "delivered", (json_int_t)w->delivered,
	    "failed_attempts", (json_int_t)w->failed_attempts,
	    "oldest_pending", *w->oldest ? w->oldest : NULL,
	    "next_attempt", iso_or_null(w->next_attempt),
	    "last_error", *w->last_error ? w->last_error : NULL);
	pthread_mutex_unlock(&w->mu);
	return st;
}

void webhook_stop(struct webhook_sender *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	sender_free(w);
}
