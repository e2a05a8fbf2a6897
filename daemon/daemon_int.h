/* Private to daemon/: what its files share beyond daemon.h. */
#ifndef SOHOA_DAEMON_INT_H
#define SOHOA_DAEMON_INT_H

#include "daemon.h"

/* status.c: a listening unix socket at <spool>/sohoa.sock (0600); -1 on error. */
int status_listen(const char *spool_dir, struct err *e);
/* Accepts one client on listen_fd and writes `status` to it. */
void status_answer(int listen_fd, json_t *status);

/* ---- status.c: the last scans and how long their stages took ---------------- */

#define RECENT_MAX 100

enum scan_state { SCAN_RECEIVED, SCAN_PROCESSING, SCAN_WAITING, SCAN_ARCHIVED,
	SCAN_QUARANTINED };

/* Strings and filed are borrowed for the call. */
struct scan_event {
	const char *job, *source, *watch;
	enum scan_state state;
	const char *reason;    /* waiting, quarantined: why; else NULL */
	json_t *filed;         /* archived: the result as filed (id, result_code, review) */
};

/* One entry a job, updated in place; a new job pushes out the oldest. */
struct recent;
struct recent *recent_new(void);
void recent_free(struct recent *r);
void recent_note(struct recent *r, const struct scan_event *ev);
/* [{"job", "source", "watch", "state", "reason", "result_id", "result_code",
 *   "review", "at"}], the newest job first. */
json_t *recent_json(const struct recent *r);

enum stage { STAGE_DECODE, STAGE_PREPROCESS, STAGE_OCR, STAGE_EXTRACT, STAGE_PACKAGE,
	STAGE_SIGN, STAGE_ARCHIVE, STAGE_TOTAL, STAGES };

/* A latency histogram a stage, fixed buckets from 0.05 s to 120 s. */
struct stage_stats;
struct stage_stats *stages_new(void);
void stages_free(struct stage_stats *s);
void stages_observe(struct stage_stats *s, enum stage st, double seconds);
/* decode, preprocess, ocr, extract: each summed over the result's ocr.pages[].ms. */
void stages_observe_result(struct stage_stats *s, json_t *result);
/* {"buckets_s": [...], "<stage>": {"count", "sum_s", "le": [cumulative counts]}} */
json_t *stages_json(const struct stage_stats *s);
/* Seconds from t ("2026-11-22T09:15:00+07:00") to now; 0 when it does not parse. */
double iso8601_age_s(const char *t);

/* ---- done.c: a finished job's files, kept until they are filed ------------- */

/* Writes <workdir>/done.json naming r's files (best effort: logged when it
 * cannot; not at all when workdir is NULL); returns them as an object, the
 * caller's. */
json_t *done_save(const char *workdir, const struct job_report *r);
/* The saved files of the job whose work folder is workdir, or NULL (none, or
 * one of them is gone: done.json is then removed and the job runs again). */
json_t *done_load(const char *workdir);
/* r with d's files; r's strings are borrowed from d (and id). */
void done_report(const json_t *d, const char *id, struct job_report *r);

/* ---- api_child.c: `sohoa serve` as the daemon's child -------------------------- */

struct api_child {
	const char *self, *config_path; /* borrowed: sohoa's own path, -c (or NULL) */
	pid_t pid;                      /* 0: not running */
	unsigned restarts, backoff_s;
	uint64_t started_ms, restart_at; /* ms, CLOCK_MONOTONIC; restart_at 0: none due */
};

/* Starts the server for `listen` (only logged: the server reads its config). */
void api_child_spawn(struct api_child *c, const char *listen, uint64_t now);
/* Reaps a dead server and starts it again when due; listen NULL: not wanted
 * (stopping, or no [api]). Returns ms until a restart is due, or -1. */
int api_child_step(struct api_child *c, const char *listen, uint64_t now);
/* SIGTERM, then SIGKILL after 5 s; keeps the restart count. */
void api_child_stop(struct api_child *c);

#endif
