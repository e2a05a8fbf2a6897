/* workers: the pool of worker processes, as the supervisor sees it. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/protocol.h"

extern char **environ;

/* Workers dying before they are ready this many times in a row (a broken
 * config, a missing language) stop the respawning for HOLD_MS. */
#define START_DEATHS_MAX 3
#define HOLD_MS 30000
/* A worker whose socket closed but that has not exited yet is killed after this. */
#define EOF_GRACE_MS 2000
/* How soon to look again for a process known to be exiting. */
#define REAP_POLL_MS 20

/* What the pool keeps of a job it handed out. */
struct running {
	char *id, *original, *workdir;
};

static void running_free(struct running *r)
{
	free(r->id);
	free(r->original);
	free(r->workdir);
	*r = (struct running){ 0 };
}

enum wstate { W_EMPTY, W_STARTING, W_IDLE, W_BUSY, W_DYING };
static const char *const state_names[] = { "", "starting", "idle", "busy", "" };

struct worker {
	pid_t pid;             /* 0: no process in this slot */
	int fd;                /* our end of the socketpair; -1 once closed */
	enum wstate state;
	struct buf in;         /* bytes read that are not a whole line yet */
	uint64_t since_ms;     /* when the state began; 0: at the next pool_step */
	uint64_t eof_ms;       /* when the socket closed under a live process */
	struct running job;    /* W_BUSY */
	char stage[16];
	uint64_t progress_ms;  /* W_BUSY: the job's start or its last page */
	uint64_t deadline_ms;  /* W_BUSY: 0 = no limit */
};

struct worker_pool {
	char **argv, **envp;   /* built before any fork: the child only execs */
	unsigned page_timeout_s;
	struct worker *w;
	unsigned n;
	unsigned start_deaths;
	uint64_t hold_until_ms;
};

static char **build_argv(const struct pool_options *o)
{
	char **argv = xcalloc(6, sizeof(*argv));
	size_t i = 0;
	argv[i++] = xstrdup(o->self);
	if (o->config_path != NULL) {
		argv[i++] = xstrdup("-c");
		argv[i++] = xstrdup(o->config_path);
	}
	argv[i++] = xstrdup("worker");
	return argv;
}

/* The supervisor's environment with OMP_THREAD_LIMIT=1: libgomp reads it
 * when it loads, so it has to be there at exec. */
static char **build_envp(void)
{
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **envp = xcalloc(n + 2, sizeof(*envp));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "OMP_THREAD_LIMIT=", 17) != 0)
			envp[k++] = xstrdup(environ[i]);
	envp[k] = xstrdup("OMP_THREAD_LIMIT=1");
	return envp;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* In the child between fork and exec: async-signal-safe calls only. A
 * supervisor killed with -9 takes its workers along: left running, they would
 * work on the same spool jobs as the next supervisor's. */
static void exec_worker(const struct worker_pool *p, int fd, pid_t parent)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGCHLD, &dfl, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
	/* Ctrl-C or a hangup at the terminal is for the supervisor: it stops
	 * the workers itself, and must not see them die as crashes. */
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGHUP, &ign, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (fd == PROTO_FD ? fcntl(fd, F_SETFD, 0) < 0 : dup2(fd, PROTO_FD) < 0)
		_exit(127);
	execve(p->argv[0], p->argv, p->envp);
	_exit(127);
}

static int spawn(struct worker_pool *p, struct worker *w, uint64_t now_ms, struct err *e)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		err_temporary(e, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		err_temporary(e, "fcntl: %s", strerror(errno));
		goto fail;
	}
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		err_temporary(e, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		exec_worker(p, sv[1], parent);
	close(sv[1]);
	*w = (struct worker){ .pid = pid, .fd = sv[0], .state = W_STARTING, .since_ms = now_ms };
	log_debug("worker %d started", (int)pid);
	return 0;
fail:
	close(sv[0]);
	close(sv[1]);
	return -1;
}

/* Leaves the slot empty; the process must be reaped already. */
static void clear_slot(struct worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->in.data);
	running_free(&w->job);
	*w = (struct worker){ .fd = -1, .state = W_EMPTY };
}

int pool_start(const struct pool_options *o, struct worker_pool **out, struct err *e)
{
	if (o->self == NULL || access(o->self, X_OK) < 0) {
		err_set(e, "cannot run the workers' program %s: %s", o->self ? o->self : "(none)",
		    o->self ? strerror(errno) : "not given");
		return -1;
	}
	struct worker_pool *p = xcalloc(1, sizeof(*p));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	p->n = o->workers ? o->workers : cores > 0 ? (unsigned)cores : 1;
	p->page_timeout_s = o->page_timeout_s;
	p->argv = build_argv(o);
	p->envp = build_envp();
	p->w = xcalloc(p->n, sizeof(*p->w));
	for (unsigned i = 0; i < p->n; i++)
		clear_slot(&p->w[i]);
	for (unsigned i = 0; i < p->n; i++) {
		if (spawn(p, &p->w[i], 0, e) < 0) {
			err_prefix(e, "starting worker %u of %u", i + 1, p->n);
			pool_stop(p, 0);
			return -1;
		}
	}
	*out = p;
	return 0;
}

static uint64_t mono_ms(void)
{
	return (uint64_t)clock_ms();
}

/* Reaps w if it has exited; 1 when it has, with its wait status. */
static int try_reap(struct worker *w, int *status)
{
	pid_t r = waitpid(w->pid, status, WNOHANG);
	if (r == w->pid)
		return 1;
	if (r < 0 && errno == ECHILD) { /* reaped by someone else: cannot say how */
		*status = 0;
		return 1;
	}
	return 0;
}

static void wait_all(struct worker_pool *p, uint64_t until_ms)
{
	for (;;) {
		unsigned alive = 0;
		for (unsigned i = 0; i < p->n; i++) {
			int st;
			if (p->w[i].pid > 0 && try_reap(&p->w[i], &st))
				p->w[i].pid = 0;
			alive += p->w[i].pid > 0;
		}
		if (alive == 0 || mono_ms() >= until_ms)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
	}
}

void pool_stop(struct worker_pool *p, unsigned grace_ms)
{
	if (p == NULL)
		return;
	/* EOF lets an idle worker exit cleanly (signer closed); the others,
	 * busy or still loading, are sent SIGTERM. */
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
		if (w->pid > 0 && w->state != W_IDLE)
			kill(w->pid, SIGTERM);
	}
	wait_all(p, mono_ms() + grace_ms);
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];
		if (w->pid <= 0)
			continue;
		log_warnx("worker %d did not stop within %u ms: killed", (int)w->pid, grace_ms);
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
		w->pid = 0;
	}
	for (unsigned i = 0; i < p->n; i++)
		clear_slot(&p->w[i]);
	free(p->w);
	free_strv(p->argv);
	free_strv(p->envp);
	free(p);
}

/* Idle and still connected: a closed socket means the process is exiting. */
static int available(const struct worker *w)
{
	return w->state == W_IDLE && w->fd >= 0;
}

unsigned pool_idle(const struct worker_pool *p)
{
	unsigned k = 0;
	for (unsigned i = 0; i < p->n; i++)
		k += available(&p->w[i]);
	return k;
}

/* Workers with a live process that is not being killed. */
unsigned pool_size(const struct worker_pool *p)
{
	unsigned k = 0;
	for (unsigned i = 0; i < p->n; i++)
		k += p->w[i].state != W_EMPTY && p->w[i].state != W_DYING;
	return k;
}

static void kill_worker(struct worker *w)
{
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->state = W_DYING;
}

static json_t *job_message(const struct pool_job *j)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:I}",
	    PROTO_ID, j->id, "original", j->original, "dossier", j->dossier != 0,
	    "workdir", j->workdir, "watch", j->watch, "agency_code", j->agency_code,
	    "operator", j->operator_name, "procedure", j->procedure,
	    "received_at", j->received_at, "pages_hint", (json_int_t)j->pages_hint);
}

int pool_dispatch(struct worker_pool *p, const struct pool_job *j, uint64_t now_ms,
    struct err *e)
{
	struct worker *w = NULL;
	for (unsigned i = 0; i < p->n && w == NULL; i++)
		if (available(&p->w[i]))
			w = &p->w[i];
	if (w == NULL) {
		err_temporary(e, "no worker is idle");
		return -1;
	}
	json_t *msg = job_message(j);
	if (msg == NULL) {
		err_set(e, "job %s: id, original and workdir are needed", j->id ? j->id : "?");
		return -1;
	}
	char *line = proto_encode(msg);
	size_t len = strlen(line);
	/* An idle worker's socket buffer is empty: a short send means it is gone. */
	ssize_t n = send(w->fd, line, len, MSG_NOSIGNAL);
	free(line);
	if (n < 0 || (size_t)n != len) {
		err_temporary(e, "worker %d cannot take the job: %s", (int)w->pid,
		    n < 0 ? strerror(errno) : "short write");
		log_warnx("%s: killed", e->msg);
		kill_worker(w);
		return -1;
	}
	uint64_t limit = (uint64_t)p->page_timeout_s * 1000;
	w->state = W_BUSY;
	w->job = (struct running){ xstrdup(j->id), xstrdup(j->original), xstrdup(j->workdir) };
	snprintf(w->stage, sizeof(w->stage), "decode");
	w->since_ms = w->progress_ms = now_ms;
	/* The first page counts twice: the engine warms up on it. */
	w->deadline_ms = limit ? now_ms + limit * (j->pages_hint ? j->pages_hint : 1) + limit : 0;
	return 0;
}

int pool_pollfds(const struct worker_pool *p, struct pollfd *fds, int max)
{
	int k = 0;
	for (unsigned i = 0; i < p->n && k < max; i++)
		if (p->w[i].fd >= 0)
			fds[k++] = (struct pollfd){ .fd = p->w[i].fd, .events = POLLIN };
	return k;
}

/* ---- reading the workers' lines ------------------------------------------ */

struct step {
	struct worker_pool *p;
	uint64_t now;
	job_report_fn fn;
	void *arg;
};

static void start_failed(struct step *s)
{
	struct worker_pool *p = s->p;
	if (++p->start_deaths < START_DEATHS_MAX || p->hold_until_ms > s->now)
		return;
	p->hold_until_ms = s->now + HOLD_MS;
	log_warnx("workers keep dying at start (%u in a row): none started for %d s; "
	    "is the configuration right?", p->start_deaths, HOLD_MS / 1000);
}

/* The slot is idle (or dying) again before fn runs, so fn may dispatch. */
static void report(struct step *s, struct worker *w, enum wstate next,
    const struct job_report *r)
{
	struct running job = w->job;
	w->job = (struct running){ 0 };
	w->state = next;
	w->since_ms = s->now;
	s->fn(s->arg, r);
	running_free(&job);
}

/* Kills w; a job it was running is reported with `outcome` and `reason`. */
static void fail_worker(struct step *s, struct worker *w, enum job_outcome outcome,
    const char *reason)
{
	int busy = w->state == W_BUSY;
	if (w->state == W_STARTING)
		start_failed(s);
	log_warnx("worker %d%s%s: %s: killed", (int)w->pid, busy ? ", job " : "",
	    busy ? w->job.id : "", reason);
	kill_worker(w);
	if (!busy)
		return;
	struct job_report r = { .id = w->job.id, .outcome = outcome, .stage = w->stage,
		.reason = reason, .result_json = "", .original = "", .pdf = "", .xml = "" };
	report(s, w, W_DYING, &r);
}

static const char *str_field(json_t *m, const char *key)
{
	const char *v = json_string_value(json_object_get(m, key));
	return v ? v : "";
}

static int inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0' &&
	    strstr(path + n, "/../") == NULL;
}

/* A bug guard, not a boundary (workers run as the supervisor's user): the
 * files named are the job's, so the archive files nothing else. */
static int files_are_the_jobs(const struct running *job, const struct job_report *r)
{
	return inside(r->result_json, job->workdir) && inside(r->pdf, job->workdir) &&
	    inside(r->xml, job->workdir) && (r->alto == NULL || inside(r->alto, job->workdir)) &&
	    (strcmp(r->original, job->original) == 0 || inside(r->original, job->workdir));
}

static int on_outcome(struct step *s, struct worker *w, json_t *m)
{
	static const char *const names[] = { PROTO_DONE, PROTO_PERMANENT, PROTO_TEMPORARY };
	static const enum job_outcome values[] = { JOB_DONE, JOB_PERMANENT, JOB_TEMPORARY };
	const char *o = str_field(m, PROTO_OUTCOME);
	struct job_report r = {
		.id = w->job.id, .stage = str_field(m, PROTO_STAGE), .reason = str_field(m, PROTO_REASON),
		.result_json = str_field(m, "result_json"), .original = str_field(m, "original"),
		.pdf = str_field(m, "pdf"), .xml = str_field(m, "xml"),
		.alto = *str_field(m, "alto") ? str_field(m, "alto") : NULL,
		.package_ms = json_number_value(json_object_get(m, "package_ms")),
		.sign_ms = json_number_value(json_object_get(m, "sign_ms")),
	};
	size_t i = 0;
	while (i < 3 && strcmp(o, names[i]) != 0)
		i++;
	if (i == 3)
		return -1;
	r.outcome = values[i];
	if (r.outcome == JOB_DONE && !files_are_the_jobs(&w->job, &r))
		return -1;
	if (r.outcome != JOB_DONE && !*r.reason)
		r.reason = "the worker gave no reason";
	report(s, w, W_IDLE, &r);
	return 0;
}

static void on_progress(struct step *s, struct worker *w, json_t *m)
{
	snprintf(w->stage, sizeof(w->stage), "%s", str_field(m, PROTO_STAGE));
	if (json_integer_value(json_object_get(m, PROTO_PAGE)) <= 0)
		return;
	w->progress_ms = s->now;
	if (w->deadline_ms != 0)
		w->deadline_ms = s->now + (uint64_t)s->p->page_timeout_s * 1000;
}

/* -1: the line breaks the protocol. */
static int on_line(struct step *s, struct worker *w, const char *line)
{
	json_t *m = json_loads(line, 0, NULL);
	int rc = -1;
	if (!json_is_object(m))
		goto out;
	if (json_object_get(m, PROTO_READY) != NULL) {
		if (w->state != W_STARTING)
			goto out;
		w->state = W_IDLE;
		w->since_ms = s->now;
		s->p->start_deaths = 0;
		log_debug("worker %d ready", (int)w->pid);
		rc = 0;
		goto out;
	}
	if (w->state != W_BUSY || strcmp(str_field(m, PROTO_ID), w->job.id) != 0)
		goto out;
	if (json_object_get(m, PROTO_OUTCOME) != NULL)
		rc = on_outcome(s, w, m);
	else if (json_is_string(json_object_get(m, PROTO_STAGE)))
		rc = (on_progress(s, w, m), 0);
out:
	json_decref(m);
	return rc;
}

static void read_worker(struct step *s, struct worker *w)
{
	char chunk[8192];
	ssize_t n;
	while ((n = read(w->fd, chunk, sizeof(chunk))) > 0)
		buf_append(&w->in, chunk, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(w->fd);
		w->fd = -1;
		w->eof_ms = s->now;
	}
	char *line;
	while (w->state != W_DYING && (line = proto_take_line(&w->in)) != NULL) {
		if (on_line(s, w, line) < 0) {
			char *why = xasprintf("the worker broke the protocol: %.200s", line);
			fail_worker(s, w, JOB_CRASHED, why);
			free(why);
		}
		free(line);
	}
	if (w->state != W_DYING && w->in.len > PROTO_LINE_MAX)
		fail_worker(s, w, JOB_CRASHED, "the worker broke the protocol: a line too long");
}

/* ---- deaths, limits, respawns -------------------------------------------- */

static void describe_exit(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		const char *abbrev = sigabbrev_np(sig);
		snprintf(out, size, "the worker died (signal %d: SIG%s)", sig, abbrev ? abbrev : "?");
	} else {
		snprintf(out, size, "the worker exited with status %d", WEXITSTATUS(status));
	}
}

static void on_death(struct step *s, struct worker *w, int status)
{
	char why[128];
	describe_exit(status, why, sizeof(why));
	if (w->state == W_BUSY) {
		log_warnx("worker %d, job %s: %s", (int)w->pid, w->job.id, why);
		struct job_report r = { .id = w->job.id, .outcome = JOB_CRASHED, .stage = w->stage,
			.reason = why, .result_json = "", .original = "", .pdf = "", .xml = "" };
		report(s, w, W_DYING, &r);
	} else if (w->state == W_STARTING) {
		log_warnx("worker %d: %s before it was ready", (int)w->pid, why);
		start_failed(s);
	} else if (w->state == W_IDLE) {
		log_warnx("worker %d: %s while idle", (int)w->pid, why);
	}
	clear_slot(w);
}

static void reap_and_limit(struct step *s, struct worker *w)
{
	int status;
	if (w->pid <= 0)
		return;
	if (try_reap(w, &status)) {
		on_death(s, w, status);
		return;
	}
	if (w->state == W_BUSY && w->deadline_ms != 0 && s->now >= w->deadline_ms) {
		char *why = xasprintf("no progress for %llu s (limit: page_timeout %u s)",
		    (unsigned long long)((s->now - w->progress_ms) / 1000), s->p->page_timeout_s);
		fail_worker(s, w, JOB_HUNG, why);
		free(why);
	} else if (w->fd < 0 && w->state != W_DYING && s->now - w->eof_ms >= EOF_GRACE_MS) {
		fail_worker(s, w, JOB_CRASHED, "the worker closed its socket but did not exit");
	}
}

static void respawn(struct step *s, struct worker *w)
{
	struct err e = { 0 };
	if (s->now < s->p->hold_until_ms)
		return;
	if (spawn(s->p, w, s->now, &e) == 0)
		return;
	log_warnx("cannot start a worker: %s", e.msg);
	start_failed(s);
}

static uint64_t next_due(const struct worker_pool *p, const struct worker *w, uint64_t now)
{
	if (w->state == W_EMPTY)
		return p->hold_until_ms > now ? p->hold_until_ms : now + REAP_POLL_MS;
	if (w->fd < 0)
		return now + REAP_POLL_MS;
	if (w->state == W_BUSY && w->deadline_ms != 0)
		return w->deadline_ms;
	return UINT64_MAX;
}

int pool_step(struct worker_pool *p, uint64_t now_ms, job_report_fn fn, void *arg)
{
	struct step s = { .p = p, .now = now_ms, .fn = fn, .arg = arg };
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];
		if (w->since_ms == 0)
			w->since_ms = now_ms;
		if (w->fd >= 0)
			read_worker(&s, w);
	}
	for (unsigned i = 0; i < p->n; i++)
		reap_and_limit(&s, &p->w[i]);
	for (unsigned i = 0; i < p->n; i++)
		if (p->w[i].state == W_EMPTY)
			respawn(&s, &p->w[i]);
	uint64_t due = UINT64_MAX;
	for (unsigned i = 0; i < p->n; i++) {
		uint64_t d = next_due(p, &p->w[i], now_ms);
		due = d < due ? d : due;
	}
	if (due == UINT64_MAX)
		return -1;
	return due <= now_ms ? 0 : due - now_ms > INT32_MAX ? INT32_MAX : (int)(due - now_ms);
}

json_t *pool_status(const struct worker_pool *p, uint64_t now_ms)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < p->n; i++) {
		const struct worker *w = &p->w[i];
		if (w->state == W_EMPTY || w->state == W_DYING)
			continue;
		int busy = w->state == W_BUSY;
		uint64_t age = w->since_ms && now_ms > w->since_ms ? (now_ms - w->since_ms) / 1000 : 0;
		json_array_append_new(a, json_pack("{s:i, s:s, s:s?, s:s?, s:I}",
		    "pid", (int)w->pid, "state", state_names[w->state],
		    "job", busy ? w->job.id : NULL, "stage", busy ? w->stage : NULL,
		    "age_s", (json_int_t)age));
	}
	return a;
}
