/*
 * journal: every access to a result goes into the audit chain. Requests only
 * queue a record; one thread writes the queue in one transaction every
 * FLUSH_MS, so a burst of reads costs one fsync, not one each.
 */
#include "api_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_MS 200
#define QUEUE_MAX 100000   /* past this, requests wait for the writer (never dropped) */

struct record {
	char *actor, *result_id, *what;
};

struct journal {
	const struct sohoa_config *cfg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake, room;
	struct record *q;
	size_t n, cap;
	int stopping;
};

static void records_free(struct record *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].actor);
		free(v[i].result_id);
		free(v[i].what);
	}
	free(v);
}

/* Writes the batch; on failure it is put back in front to be tried again. */
static void flush(struct journal *j, struct archive *a, struct record *v, size_t n)
{
	struct err e = { 0 };
	struct audit_entry *entries = xcalloc(n, sizeof(*entries));
	for (size_t i = 0; i < n; i++)
		entries[i] = (struct audit_entry){ .actor = v[i].actor, .action = "access",
			.result_id = v[i].result_id, .detail = v[i].what };
	int rc = a != NULL ? archive_audit(a, entries, n, &e) : -1;
	free(entries);
	if (rc == 0) {
		records_free(v, n);
		return;
	}
	log_warnx("access records not written yet (%zu kept to retry): %s", n,
	    a ? e.msg : "the archive is not open");
	pthread_mutex_lock(&j->lock);
	struct record *merged = xcalloc(n + j->n + 1, sizeof(*merged));
	memcpy(merged, v, n * sizeof(*v));
	memcpy(merged + n, j->q, j->n * sizeof(*v));
	free(j->q);
	free(v);
	j->q = merged;
	j->n += n;
	j->cap = j->n + 1;
	pthread_mutex_unlock(&j->lock);
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static void *writer(void *arg)
{
	struct journal *j = arg;
	struct archive *a = NULL;
	struct err e = { 0 };
	if (archive_open(j->cfg->archive_dir, 0, &a, &e) < 0)
		log_warnx("access journal: %s", e.msg);
	pthread_mutex_lock(&j->lock);
	for (;;) {
		struct timespec ts;
		deadline_in(&ts, FLUSH_MS);
		while (!j->stopping && pthread_cond_timedwait(&j->wake, &j->lock, &ts) != ETIMEDOUT)
			;
		int last = j->stopping;
		struct record *v = j->q;
		size_t n = j->n;
		j->q = NULL;
		j->n = j->cap = 0;
		pthread_cond_broadcast(&j->room);
		pthread_mutex_unlock(&j->lock);
		if (n > 0)
			flush(j, a, v, n);
		else
			free(v);
		pthread_mutex_lock(&j->lock);
		if (last)
			break;
	}
	pthread_mutex_unlock(&j->lock);
	archive_close(a);
	return NULL;
}

int journal_start(const struct sohoa_config *cfg, struct journal **out, struct err *e)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	j->cfg = cfg;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->wake, NULL);
	pthread_cond_init(&j->room, NULL);
	if (pthread_create(&j->thread, NULL, writer, j) != 0) {
		err_set(e, "cannot start the access journal thread");
		free(j);
		return -1;
	}
	*out = j;
	return 0;
}

void journal_add(struct journal *j, const char *who, const char *result_id, const char *what)
{
	pthread_mutex_lock(&j->lock);
	while (j->n >= QUEUE_MAX && !j->stopping)
		pthread_cond_wait(&j->room, &j->lock);
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 64;
		j->q = xrealloc(j->q, j->cap * sizeof(*j->q));
	}
	j->q[j->n++] = (struct record){ .actor = xasprintf("api:%s", who),
		.result_id = result_id ? xstrdup(result_id) : NULL, .what = xstrdup(what) };
	pthread_mutex_unlock(&j->lock);
}

void journal_stop(struct journal *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	j->stopping = 1;
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	records_free(j->q, j->n);
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->room);
	pthread_mutex_destroy(&j->lock);
	free(j);
}
