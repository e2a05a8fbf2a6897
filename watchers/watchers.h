/*
 * watchers: intake. Drop folders watched with inotify (watch.c,
 * watch_timers.c) and the durable spool the supervisor commits each finished
 * drop into (spool.c, job_meta.c for job.json, quarantine.c).
 *
 *   drop folder --(settled)--> struct drop --spool_accept--> spool/queue/<id>/
 *
 * Both belong to the supervisor process; neither decodes a byte of a scan
 * (untrusted decoding happens in the workers).
 */
#ifndef SOHOA_WATCHERS_H
#define SOHOA_WATCHERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/common.h"
#include "config/config.h"

/* ---- watch.c: drop folders ---------------------------------------------- */

struct watch_options {
	unsigned settle_ms;          /* quiet time after the last write: 300 */
	unsigned stable_s;           /* a folder dossier, and a file re-checked after a failed
	                              * decode, must be unchanged this long: 10 */
	const char *const *ignore;   /* extra fnmatch(3) patterns on names, NULL-terminated;
	                              * may be NULL. Always ignored: dot-files, *.tmp, *.part,
	                              * ~$*, Thumbs.db */
};

enum drop_kind { DROP_FILE, DROP_FOLDER };

/* A finished drop. Valid only during the ready() call. */
struct drop {
	const struct watch_config *watch; /* the [watch NAME] it came through */
	const char *path;                 /* absolute */
	enum drop_kind kind;              /* a subfolder is one multi-page dossier */
	off_t size;                       /* file: bytes; folder: sum of its regular files */
	int64_t mtime_ns;                 /* file: its mtime; folder: the newest inside */
};

struct watcher;

/*
 * Watches every folder of `watches` (borrowed: must outlive the watcher, or
 * until watcher_reload). Nothing is offered until the first watcher_step,
 * which offers what is already there (drops made while sohoa was down).
 */
int watcher_new(const struct watch_config *watches, size_t n, const struct watch_options *o,
    struct watcher **out, struct err *e);
void watcher_free(struct watcher *w);
/* The inotify descriptor: poll it for POLLIN. */
int watcher_fd(const struct watcher *w);

typedef void (*drop_ready_fn)(void *arg, const struct drop *d);

/*
 * Reads the pending events (never blocks), runs what is due at now_ms
 * (CLOCK_MONOTONIC), and calls ready() for each drop that has settled: a file
 * after IN_CLOSE_WRITE or IN_MOVED_TO and settle_ms without another event on
 * it; a folder after stable_s without a change inside; everything present at
 * start-up and after IN_Q_OVERFLOW (a rescan, never a silent loss). Names
 * ignored, symlinks (never followed), and things neither regular files nor
 * folders are not offered; the refused ones are logged once. A folder that
 * disappears is logged and re-watched when it is back (then rescanned).
 * Returns the milliseconds until the next thing due, or -1 for none.
 * A drop may be offered again (rescan, recheck): the caller keeps what it
 * has taken and ignores repeats.
 */
int watcher_step(struct watcher *w, uint64_t now_ms, drop_ready_fn ready, void *arg);

/*
 * Offers `path` again once it has been unchanged (size, mtime) for stable_s;
 * any change restarts the wait. For a scan that did not decode: it may still
 * be being written in several opens.
 */
void watcher_recheck(struct watcher *w, const char *path, uint64_t now_ms);

/* New folder list (SIGHUP): added folders are watched and scanned, removed
 * ones dropped. `watches` is borrowed like in watcher_new. */
int watcher_reload(struct watcher *w, const struct watch_config *watches, size_t n,
    struct err *e);

/* [{"name", "path", "state": "watching"|"missing", "since": ISO time}] */
json_t *watcher_status(const struct watcher *w);

/* ---- spool.c, job_meta.c, quarantine.c: the durable queue ----------------------------------------- */

/*
 * Folders as state (OpenSMTPD's queue):
 *   <spool>/incoming/<id>/  being copied; purged at open
 *   <spool>/queue/<id>/     committed jobs: `original` (a file) or `pages/`
 *                           (a folder dossier, its files in name order),
 *                           `job.json` (the metadata below), `work/` (the
 *                           worker's files, disposable)
 * A job is committed when incoming/<id> has been written, fsync'd (files and
 * directories) and renamed into queue/. Job ids sort by intake time.
 */
struct spool;

#define JOB_ID_MAX 40

struct job_meta {
	char id[JOB_ID_MAX];
	char *watch;            /* [watch NAME] */
	char *source;           /* the drop's absolute path */
	char *agency_code, *operator_name, *procedure; /* from the watch; may be NULL */
	char *received_at;      /* ISO 8601 +07:00 */
	int64_t source_size;
	int64_t source_mtime_ns;
	int dossier;            /* 1: pages/ (a folder), 0: original (a file) */
	unsigned failures;      /* worker crashes or hangs on this job so far */
};
void job_meta_clear(struct job_meta *m);

int spool_open(const char *dir, struct spool **out, struct err *e);
void spool_close(struct spool *s);

/* Copies the drop in and commits it; fills meta->id. A drop that changes
 * while being copied (size or mtime) is refused (temporary), nothing left. */
int spool_accept(struct spool *s, const struct drop *d, struct job_meta *meta, struct err *e);
/* Every committed job id, oldest first. */
int spool_walk(struct spool *s, int (*fn)(void *arg, const char *id), void *arg,
    struct err *e);
/* Reads queue/<id>/job.json. The caller clears *m. */
int spool_load(struct spool *s, const char *id, struct job_meta *m, struct err *e);
/* Durably rewrites job.json with m->failures + 1. */
int spool_count_failure(struct spool *s, struct job_meta *m, struct err *e);
/* queue/<id>/original or queue/<id>/pages; caller frees. */
char *spool_original(const struct spool *s, const struct job_meta *m);
/* queue/<id>/work, made if missing; caller frees. */
char *spool_work_dir(struct spool *s, const char *id, struct err *e);
/* Removes queue/<id> (after the archive commit is durable). */
int spool_done(struct spool *s, const char *id, struct err *e);
/*
 * Moves the job to <quarantine_dir>/<id>/: the original (or pages/), job.json,
 * and reason.txt saying what failed, at which stage, the error and the time,
 * for a person. Then removes it from the queue.
 */
int spool_quarantine(struct spool *s, const struct job_meta *m, const char *quarantine_dir,
    const char *stage, const char *reason, struct err *e);
/* Quarantined jobs: [{"id", "source", "stage", "reason", "time"}], newest first. */
json_t *quarantine_list(const char *quarantine_dir);
/* A JSON string of s (a path is bytes: made valid UTF-8, U+FFFD for what is
 * not), or null for NULL. */
json_t *spool_json_text(const char *s);

#endif
