/*
 * supervisor: the daemon's one event loop. Drops become spool jobs, jobs go
 * to workers, finished jobs go to the archive; only after the archive commit
 * is durable, and its webhook delivery queued, does a job leave the spool and
 * the scan leave its drop folder. It also keeps the API server (a child
 * process) running and the webhook sender (a thread).
 */
#include "daemon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "api/api.h"
#include "archive/archive.h"
#include "watchers/watchers.h"

#define STOP_GRACE_MS 20000  /* in-flight jobs may finish; the rest stay spooled */
#define MAX_FDS 64

enum sjob_state { SJ_QUEUED, SJ_RUNNING };

struct sjob {
	struct job_meta meta;
	enum sjob_state state;
	uint64_t not_before;     /* ms, CLOCK_MONOTONIC: a retry waits until then */
	unsigned backoff_s;
	uint64_t taken_ms;       /* CLOCK_MONOTONIC; 0: taken by an earlier run */
	json_t *done;            /* the worker's files once it finished (done.c): from
	                          * then on the job is filed, never run again */
};

struct totals {
	unsigned long taken, archived, duplicates, quarantined, retried, rechecked;
	unsigned long signing_failures;
};

struct sup {
	const struct run_options *opt;
	struct sohoa_config cfg;
	char **ignore;           /* cfg's patterns split, NULL-terminated */
	struct spool *spool;
	struct archive *archive;
	struct watcher *watcher;
	struct worker_pool *pool;
	struct webhook_sender *webhook;
	struct api_child api;
	struct recent *recent;
	struct stage_stats *stages;
	int sigfd, status_fd, lock_fd;
	struct sjob *jobs;
	size_t njobs, cap;
	struct totals t;
	char started[32];
	int stopping;
	uint64_t stop_deadline, watchdog_ms, next_watchdog;
};

static uint64_t now_ms(void)
{
	return (uint64_t)clock_ms();
}

/* ---- the jobs the supervisor knows ------------------------------------- */

/* Takes ownership of *m. */
static struct sjob *jobs_add(struct sup *s, struct job_meta *m)
{
	if (s->njobs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->jobs = xrealloc(s->jobs, s->cap * sizeof(*s->jobs));
	}
	struct sjob *j = &s->jobs[s->njobs++];
	memset(j, 0, sizeof(*j));
	j->meta = *m;
	memset(m, 0, sizeof(*m));
	return j;
}

static struct sjob *jobs_find(struct sup *s, const char *id)
{
	for (size_t i = 0; i < s->njobs; i++)
		if (strcmp(s->jobs[i].meta.id, id) == 0)
			return &s->jobs[i];
	return NULL;
}

static void jobs_remove(struct sup *s, struct sjob *j)
{
	job_meta_clear(&j->meta);
	json_decref(j->done);
	*j = s->jobs[--s->njobs];
}

/* The job's line in the recent scans; filed only once archived. */
static void note(struct sup *s, const struct sjob *j, enum scan_state st, const char *reason,
    json_t *filed)
{
	struct scan_event ev = { .job = j->meta.id, .source = j->meta.source,
		.watch = j->meta.watch, .state = st, .reason = reason, .filed = filed };
	recent_note(s->recent, &ev);
}

/* A drop already in a job is not taken again (rescans offer it again). */
static int held(const struct sup *s, const char *path)
{
	for (size_t i = 0; i < s->njobs; i++)
		if (s->jobs[i].meta.source != NULL && strcmp(s->jobs[i].meta.source, path) == 0)
			return 1;
	return 0;
}

static int load_one(void *arg, const char *id)
{
	struct sup *s = arg;
	struct job_meta m = { 0 };
	struct err e = { 0 };
	if (spool_load(s->spool, id, &m, &e) < 0) {
		log_warnx("spool job %s: %s; left where it is", id, e.msg);
		return 0;
	}
	struct sjob *j = jobs_add(s, &m);
	char *work = spool_work_dir(s->spool, id, &e);
	if (work != NULL)
		j->done = done_load(work);
	free(work);
	note(s, j, SCAN_RECEIVED, NULL, NULL);
	return 0;
}

/* ---- the scan in its drop folder ----------------------------------------- */

/* Is the drop still the one the job copied? (A new scan may reuse a name.)
 * Its age is from the ctime, which this host's clock sets: an mtime set ahead
 * (a scanner's clock, touch -d) would keep a bad scan "young" for ever. */
static int source_unchanged(const struct job_meta *m, int64_t *age_s)
{
	struct stat st;
	if (lstat(m->source, &st) < 0)
		return 0;
	int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	*age_s = (int64_t)time(NULL) - (int64_t)st.st_ctim.tv_sec;
	return S_ISDIR(st.st_mode) ? mtime <= m->source_mtime_ns :
	    st.st_size == m->source_size && mtime == m->source_mtime_ns;
}

/* Archived or quarantined: the drop folder lets go of the scan. */
static void release_original(struct sup *s, const struct job_meta *m, int archived)
{
	int64_t age;
	if (!source_unchanged(m, &age)) {
		/* Renamed over, truncated or written again since it was taken: the watcher
		 * was told no while the job held it, so it is looked at once more. */
		if (access(m->source, F_OK) == 0)
			watcher_recheck(s->watcher, m->source, now_ms());
		return;
	}
	if (archived && s->cfg.daemon_originals == ORIGINALS_DONE) {
		const char *slash = strrchr(m->source, '/');
		char *dir = xasprintf("%.*s/done", (int)(slash - m->source), m->source);
		char *to = xasprintf("%s%s", dir, slash);
		struct err e = { 0 };
		if (dir_make(dir, 0755, &e) < 0 || rename(m->source, to) < 0)
			log_warn("cannot move %s to %s", m->source, dir);
		free(dir);
		free(to);
		return;
	}
	if (remove_tree(m->source) < 0)
		log_warn("cannot remove %s from its drop folder", m->source);
}

/* ---- intake --------------------------------------------------------------- */

static void on_drop(void *arg, const struct drop *d)
{
	struct sup *s = arg;
	struct err e = { 0 };
	if (s->stopping || held(s, d->path))
		return;
	const struct watch_config *w = d->watch;
	struct job_meta m = {
		.watch = xstrdup(w->name),
		.agency_code = xstrdup(w->agency_code ? w->agency_code :
		    s->cfg.agency_code ? s->cfg.agency_code : ""),
		.operator_name = w->operator_name ? xstrdup(w->operator_name) : NULL,
		.procedure = w->procedure ? xstrdup(w->procedure) : NULL,
	};
	if (spool_accept(s->spool, d, &m, &e) < 0) {
		log_warnx("%s: not taken yet: %s", d->path, e.msg);
		job_meta_clear(&m);
		watcher_recheck(s->watcher, d->path, now_ms());
		return;
	}
	log_info("%s: taken from %s as job %s", d->path, w->name, m.id);
	s->t.taken++;
	struct sjob *j = jobs_add(s, &m);
	j->taken_ms = now_ms();
	note(s, j, SCAN_RECEIVED, NULL, NULL);
}

/* ---- outcomes --------------------------------------------------------------- */

static void retry_later(struct sup *s, struct sjob *j, const char *reason)
{
	j->backoff_s = j->backoff_s ? j->backoff_s * 2 : 1;
	if (j->backoff_s > s->cfg.signer_retry_max_s)
		j->backoff_s = s->cfg.signer_retry_max_s;
	j->state = SJ_QUEUED;
	j->not_before = now_ms() + 1000ULL * j->backoff_s;
	s->t.retried++;
	note(s, j, SCAN_WAITING, reason, NULL);
	log_warnx("%s: not done yet, retrying in %us: %s", j->meta.source, j->backoff_s, reason);
}

static void quarantine(struct sup *s, struct sjob *j, const char *stage, const char *reason)
{
	struct err e = { 0 };
	if (spool_quarantine(s->spool, &j->meta, s->cfg.quarantine_dir, stage, reason, &e) < 0) {
		/* The job stays spooled: nothing is lost, and it will be tried again. */
		log_warnx("%s: cannot quarantine: %s", j->meta.source, e.msg);
		retry_later(s, j, e.msg);
		return;
	}
	log_warnx("%s: quarantined in %s/%s (%s: %s)", j->meta.source, s->cfg.quarantine_dir,
	    j->meta.id, stage, reason);
	char *why = xasprintf("%s: %s", stage, reason);
	note(s, j, SCAN_QUARANTINED, why, NULL);
	free(why);
	release_original(s, &j->meta, 0);
	s->t.quarantined++;
	jobs_remove(s, j);
}

/* Seconds since the scan was taken: exact when this run took it, else from
 * the spool's received_at (whole seconds, +07:00). */
static double since_received(const struct sjob *j)
{
	if (j->taken_ms != 0)
		return (double)(now_ms() - j->taken_ms) / 1000;
	return iso8601_age_s(j->meta.received_at);
}

/*
 * Files the job's result, then queues its webhook delivery: a commit that
 * is replayed hands back the same object and queueing is idempotent, so
 * either failing leaves the job spooled and nothing is lost or sent twice.
 * *res (the worker's result) and *filed are the caller's.
 */
static int commit(struct sup *s, struct sjob *j, const struct job_report *r, json_t **res,
    json_t **filed, struct err *e)
{
	json_error_t je;
	*filed = NULL;
	*res = json_load_file(r->result_json, 0, &je);
	if (*res == NULL) {
		err_set(e, "%s", je.text);
		return -1;
	}
	json_object_set_new(*res, "source", spool_json_text(j->meta.source ? j->meta.source : ""));
	struct archive_files files = { .intake = j->meta.id, .path = {
		[BLOB_ORIGINAL] = r->original, [BLOB_PDF] = r->pdf, [BLOB_XML] = r->xml,
		[BLOB_ALTO] = r->alto } };
	char *actor = xasprintf("daemon:%s", j->meta.watch);
	double t = clock_ms();
	int rc = archive_commit(s->archive, *res, &files, actor, filed, e);
	free(actor);
	if (rc < 0)
		return -1;
	stages_observe(s->stages, STAGE_ARCHIVE, (clock_ms() - t) / 1000);
	return webhook_enqueue(&s->cfg, "result.archived", *filed, e);
}

/* Files j->done; 1 when the job is gone from s->jobs (filed), 0 when it waits. */
static int file_in_archive(struct sup *s, struct sjob *j)
{
	struct err e = { 0 };
	struct job_report r;
	json_t *res = NULL, *filed = NULL;
	done_report(j->done, j->meta.id, &r);
	if (commit(s, j, &r, &res, &filed, &e) < 0) {
		json_decref(res);
		json_decref(filed);
		retry_later(s, j, e.msg);
		return 0;
	}
	webhook_kick(s->webhook);
	int reused = json_is_true(json_object_get(filed, "reused"));
	log_info("%s: archived as %s%s", j->meta.source,
	    json_string_value(json_object_get(filed, "id")), reused ? " (reused)" : "");
	stages_observe_result(s->stages, res);
	stages_observe(s->stages, STAGE_TOTAL, since_received(j));
	note(s, j, SCAN_ARCHIVED, NULL, filed);
	json_decref(res);
	json_decref(filed);
	s->t.archived++;
	s->t.duplicates += reused;
	release_original(s, &j->meta, 1);
	if (spool_done(s->spool, j->meta.id, &e) < 0)
		log_warnx("job %s: %s (it will be replayed, harmlessly)", j->meta.id, e.msg);
	jobs_remove(s, j);
	return 1;
}

static void worker_done(struct sup *s, struct sjob *j, const struct job_report *r)
{
	struct err e = { 0 };
	stages_observe(s->stages, STAGE_PACKAGE, r->package_ms / 1000);
	stages_observe(s->stages, STAGE_SIGN, r->sign_ms / 1000);
	char *work = spool_work_dir(s->spool, j->meta.id, &e);
	j->done = done_save(work, r);
	free(work);
	file_in_archive(s, j);
}

/* A scan that does not decode may still be being written in several opens:
 * it is judged only once it has been left alone for `stable`. Pages are
 * decoded during "ocr", so a page cut short fails there. */
static void bad_scan(struct sup *s, struct sjob *j, const struct job_report *r)
{
	int64_t age = 0;
	int same = source_unchanged(&j->meta, &age);
	int content = strcmp(r->stage, "decode") == 0 || strcmp(r->stage, "ocr") == 0;
	if (content && (!same || age < s->cfg.daemon_stable_s) &&
	    access(j->meta.source, F_OK) == 0) {
		struct err e = { 0 };
		char *why = xasprintf("fails while it may still be being written (%s: %s); taken "
		    "again once unchanged for %u s", r->stage, r->reason, s->cfg.daemon_stable_s);
		log_info("%s: %s", j->meta.source, why);
		note(s, j, SCAN_WAITING, why, NULL);
		free(why);
		watcher_recheck(s->watcher, j->meta.source, now_ms());
		s->t.rechecked++;
		if (spool_done(s->spool, j->meta.id, &e) < 0)
			log_warnx("job %s: %s", j->meta.id, e.msg);
		jobs_remove(s, j);
		return;
	}
	quarantine(s, j, r->stage, r->reason);
}

static void worker_failed(struct sup *s, struct sjob *j, const struct job_report *r)
{
	struct err e = { 0 };
	if (spool_count_failure(s->spool, &j->meta, &e) < 0)
		log_warnx("job %s: %s", j->meta.id, e.msg);
	if (j->meta.failures >= 2) {
		char *why = xasprintf("the worker failed on it twice; the last time: %s", r->reason);
		quarantine(s, j, "worker", why);
		free(why);
		return;
	}
	log_warnx("%s: %s; trying once more", j->meta.source, r->reason);
	note(s, j, SCAN_WAITING, r->reason, NULL);
	j->state = SJ_QUEUED;
	j->not_before = 0;
	s->t.retried++;
}

static void on_report(void *arg, const struct job_report *r)
{
	struct sup *s = arg;
	struct sjob *j = jobs_find(s, r->id);
	if (j == NULL) {
		log_warnx("a worker reported on job %s, which is not running", r->id);
		return;
	}
	if ((r->outcome == JOB_PERMANENT || r->outcome == JOB_TEMPORARY) &&
	    strcmp(r->stage, "sign") == 0)
		s->t.signing_failures++;
	switch (r->outcome) {
	case JOB_DONE: worker_done(s, j, r); break;
	case JOB_PERMANENT: bad_scan(s, j, r); break;
	case JOB_TEMPORARY: retry_later(s, j, r->reason); break;
	case JOB_CRASHED:
	case JOB_HUNG: worker_failed(s, j, r); break;
	}
}

/* ---- dispatch ------------------------------------------------------------- */

static void dispatch_one(struct sup *s, struct sjob *j, uint64_t now)
{
	struct err e = { 0 };
	char *original = spool_original(s->spool, &j->meta);
	char *work = spool_work_dir(s->spool, j->meta.id, &e);
	struct pool_job pj = {
		.id = j->meta.id, .original = original, .dossier = j->meta.dossier,
		.workdir = work, .watch = j->meta.watch, .agency_code = j->meta.agency_code,
		.operator_name = j->meta.operator_name, .procedure = j->meta.procedure,
		.received_at = j->meta.received_at,
	};
	if (work == NULL || pool_dispatch(s->pool, &pj, now, &e) < 0) {
		retry_later(s, j, e.msg);
	} else {
		j->state = SJ_RUNNING;
		note(s, j, SCAN_PROCESSING, NULL, NULL);
	}
	free(original);
	free(work);
}

/* Oldest first: ids sort by intake time and the array keeps intake order
 * except where removals swapped, which only reorders within a moment. */
static uint64_t dispatch(struct sup *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < s->njobs;) {
		struct sjob *j = &s->jobs[i];
		int due = j->state == SJ_QUEUED && j->not_before <= now;
		/* A finished job only waits for the archive: no worker needed. */
		if (due && j->done != NULL && file_in_archive(s, j))
			continue;  /* filed: the last job was moved into slot i */
		if (due && j->done == NULL && pool_idle(s->pool) > 0)
			dispatch_one(s, j, now);
		if (j->state == SJ_QUEUED && j->not_before > now && j->not_before < next)
			next = j->not_before;
		i++;
	}
	return next;
}

/* ---- status ---------------------------------------------------------------- */

static json_t *status_json(struct sup *s)
{
	json_t *jobs = json_array();
	size_t queued = 0;
	for (size_t i = 0; i < s->njobs; i++) {
		struct sjob *j = &s->jobs[i];
		queued += j->state == SJ_QUEUED;
		json_array_append_new(jobs, json_pack("{s:s, s:s?, s:s, s:i}", "id", j->meta.id,
		    "source", j->meta.source, "state", j->state == SJ_RUNNING ? "running" :
		    "queued", "failures", (int)j->meta.failures));
	}
	json_t *st = json_pack("{s:i, s:s, s:s?, s:b, s:I, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I,"
	    " s:I, s:I, s:I, s:I}}", "pid", (int)getpid(), "started", s->started,
	    "config", s->cfg.file, "stopping", s->stopping, "queue", (json_int_t)queued,
	    "jobs", jobs, "workers", pool_status(s->pool, now_ms()),
	    "folders", watcher_status(s->watcher),
	    "quarantined", quarantine_list(s->cfg.quarantine_dir), "totals",
	    "taken", (json_int_t)s->t.taken, "archived", (json_int_t)s->t.archived,
	    "duplicates", (json_int_t)s->t.duplicates, "quarantined", (json_int_t)s->t.quarantined,
	    "retried", (json_int_t)s->t.retried, "rechecked", (json_int_t)s->t.rechecked,
	    "signing_failures", (json_int_t)s->t.signing_failures);
	json_t *api = s->cfg.api_listen == NULL ? json_null() : json_pack("{s:o, s:I}",
	    "pid", s->api.pid > 0 ? json_integer(s->api.pid) : json_null(),
	    "restarts", (json_int_t)s->api.restarts);
	json_t *hook = webhook_status(s->webhook);
	json_object_set_new(st, "webhook", hook ? hook : json_null());
	json_object_set_new(st, "api", api);
	json_object_set_new(st, "recent", recent_json(s->recent));
	json_object_set_new(st, "stages", stages_json(s->stages));
	return st;
}

/* ---- set-up, signals, reload ------------------------------------------------ */

static char **split_patterns(const char *text)
{
	size_t n = 0;
	char **v = xcalloc(1, sizeof(*v));
	char *copy = xstrdup(text ? text : ""), *save = NULL;
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = xstrdup(t);
		v[n] = NULL;
	}
	free(copy);
	return v;
}

static void free_patterns(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int load_config(const char *path, struct sohoa_config *cfg, struct err *e)
{
	struct config_problems p;
	if (config_load(path, cfg, &p) == 0)
		return 0;
	err_set(e, "%s:%d: %s%s", path, p.items[0].line, p.items[0].msg,
	    p.count > 1 ? " (and more: run sohoa config check)" : "");
	config_problems_free(&p);
	config_free(cfg);
	return -1;
}

/* One daemon a spool: a second would take the same jobs. */
static int lock_spool(struct sup *s, struct err *e)
{
	char *path = xasprintf("%s/sohoa.lock", s->cfg.spool_dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int rc = s->lock_fd >= 0 && flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0 ? 0 : -1;
	if (rc < 0)
		err_set(e, "another sohoa is running on the spool %s (%s is locked)",
		    s->cfg.spool_dir, path);
	free(path);
	return rc;
}

static int signals_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a worker or status client gone: an error, not a death */
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		fatalx("signalfd: %s", strerror(errno));
	return fd;
}

/* A secret that cannot be read leaves the deliveries queued, not lost. */
static void start_webhook(struct sup *s)
{
	struct err e = { 0 };
	if (webhook_start(&s->cfg, &s->webhook, &e) < 0)
		log_warnx("%s; deliveries stay queued until the configuration is fixed", e.msg);
}

static void reload(struct sup *s)
{
	struct sohoa_config fresh;
	struct err e = { 0 };
	log_info("SIGHUP: reloading %s", s->opt->config_path);
	if (load_config(s->opt->config_path, &fresh, &e) < 0) {
		log_warnx("reload refused, the running configuration stays: %s", e.msg);
		return;
	}
	if (watcher_reload(s->watcher, fresh.watches, fresh.nwatches, &e) < 0) {
		log_warnx("reload: %s", e.msg);
		config_free(&fresh);
		return;
	}
	/* Both start afresh: a certificate or secret renewed in place is read again. */
	api_child_stop(&s->api);
	webhook_stop(s->webhook);
	s->webhook = NULL;
	/* The watcher now borrows the new folders; the old config can go. */
	config_free(&s->cfg);
	s->cfg = fresh;
	start_webhook(s);
	if (s->cfg.api_listen != NULL)
		api_child_spawn(&s->api, s->cfg.api_listen, now_ms());
	log_info("reloaded: %zu drop folder(s)", s->cfg.nwatches);
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(s);
		} else if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) && !s->stopping) {
			s->stopping = 1;
			s->stop_deadline = now_ms() + STOP_GRACE_MS;
			sd_notify(0, "STOPPING=1");
			log_info("stopping: no new scans; jobs in flight may finish (at most %d s)",
			    STOP_GRACE_MS / 1000);
		}
	}
}

static int start(struct sup *s, struct err *e)
{
	uint64_t usec = 0;
	if (load_config(s->opt->config_path, &s->cfg, e) < 0)
		return -1;
	time_iso8601_vn(time(NULL), s->started);
	s->ignore = split_patterns(s->cfg.daemon_ignore);
	if (dir_make(s->cfg.spool_dir, 0700, e) < 0 || lock_spool(s, e) < 0 ||
	    spool_open(s->cfg.spool_dir, &s->spool, e) < 0 ||
	    dir_make(s->cfg.quarantine_dir, 0700, e) < 0 ||
	    archive_open(s->cfg.archive_dir, 1, &s->archive, e) < 0 ||
	    spool_walk(s->spool, load_one, s, e) < 0)
		return -1;
	archive_sweep_incoming(s->archive);
	struct watch_options wo = { .settle_ms = s->cfg.daemon_settle_ms,
		.stable_s = s->cfg.daemon_stable_s, .ignore = (const char *const *)s->ignore };
	struct pool_options po = { .self = s->opt->self, .config_path = s->opt->config_path,
		.workers = s->cfg.daemon_workers, .page_timeout_s = s->cfg.daemon_page_timeout_s };
	if (watcher_new(s->cfg.watches, s->cfg.nwatches, &wo, &s->watcher, e) < 0 ||
	    pool_start(&po, &s->pool, e) < 0 ||
	    (s->status_fd = status_listen(s->cfg.spool_dir, e)) < 0)
		return -1;
	s->sigfd = signals_fd();
	/* After signals_fd: the thread and the child must not inherit an open mask. */
	if (webhook_start(&s->cfg, &s->webhook, e) < 0)
		return -1;
	if (s->cfg.api_listen != NULL)
		api_child_spawn(&s->api, s->cfg.api_listen, now_ms());
	if (sd_watchdog_enabled(0, &usec) > 0)
		s->watchdog_ms = usec / 2000;
	log_info("sohoa %s running: %zu drop folder(s), %u worker(s), %zu job(s) from the spool",
	    SOHOA_VERSION, s->cfg.nwatches, pool_size(s->pool), s->njobs);
	sd_notify(0, "READY=1");
	return 0;
}

static void stop(struct sup *s)
{
	api_child_stop(&s->api);
	webhook_stop(s->webhook);
	if (s->pool != NULL)
		pool_stop(s->pool, 2000);
	watcher_free(s->watcher);
	archive_close(s->archive);
	spool_close(s->spool);
	for (size_t i = 0; i < s->njobs; i++) {
		job_meta_clear(&s->jobs[i].meta);
		json_decref(s->jobs[i].done);
	}
	free(s->jobs);
	recent_free(s->recent);
	stages_free(s->stages);
	free_patterns(s->ignore);
	if (s->status_fd >= 0) {
		char *sock = xasprintf("%s/sohoa.sock", s->cfg.spool_dir);
		unlink(sock);
		free(sock);
		close(s->status_fd);
	}
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	config_free(&s->cfg);
}

/* ---- the loop ------------------------------------------------------------- */

static int running_jobs(const struct sup *s)
{
	int n = 0;
	for (size_t i = 0; i < s->njobs; i++)
		n += s->jobs[i].state == SJ_RUNNING;
	return n;
}

static int min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static int poll_once(struct sup *s, int timeout)
{
	struct pollfd fds[MAX_FDS];
	int n = 0;
	fds[n++] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	fds[n++] = (struct pollfd){ .fd = s->status_fd, .events = POLLIN };
	fds[n++] = (struct pollfd){ .fd = s->stopping ? -1 : watcher_fd(s->watcher),
		.events = POLLIN };
	n += pool_pollfds(s->pool, fds + n, MAX_FDS - n);
	if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
		fatalx("poll: %s", strerror(errno));
	if (fds[0].revents)
		on_signal(s);
	if (fds[1].revents & POLLIN) {
		json_t *st = status_json(s);
		status_answer(s->status_fd, st);
		json_decref(st);
	}
	return 0;
}

static void loop(struct sup *s)
{
	int timeout = 0;
	for (;;) {
		poll_once(s, timeout);
		uint64_t now = now_ms();
		if (s->stopping && (running_jobs(s) == 0 || now >= s->stop_deadline))
			break;
		timeout = s->stopping ? 500 : watcher_step(s->watcher, now, on_drop, s);
		timeout = min_timeout(timeout, pool_step(s->pool, now, on_report, s));
		timeout = min_timeout(timeout, api_child_step(&s->api, s->stopping ? NULL : s->cfg.api_listen, now));
		if (!s->stopping) {
			uint64_t next = dispatch(s, now);
			if (next != UINT64_MAX)
				timeout = min_timeout(timeout, (int)(next - now));
		}
		if (s->watchdog_ms) {
			if (now >= s->next_watchdog) {
				sd_notify(0, "WATCHDOG=1");
				s->next_watchdog = now + s->watchdog_ms;
			}
			timeout = min_timeout(timeout, (int)(s->next_watchdog - now));
		}
	}
}

int supervisor_run(const struct run_options *o, struct err *e)
{
	struct sup s = { .opt = o, .sigfd = -1, .status_fd = -1, .lock_fd = -1,
		.recent = recent_new(), .stages = stages_new(),
		.api = { .self = o->self, .config_path = o->config_path } };
	int rc = -1;
	if (start(&s, e) == 0) {
		loop(&s);
		log_info("stopped: %lu taken, %lu archived, %lu quarantined; %d job(s) stay in the "
		    "spool for the next start", s.t.taken, s.t.archived, s.t.quarantined,
		    (int)s.njobs);
		rc = 0;
	}
	stop(&s);
	return rc;
}
