/*
 * daemon: `sohoa run`. One supervisor process owns the watchers, the spool
 * and the archive writer; N worker processes each hold one Tesseract engine
 * and one signer for their whole life and run one job at a time.
 *   supervisor.c  the event loop: drops -> spool -> workers -> archive
 *   workers.c     the pool: spawn (`sohoa worker`, fd 3 a socketpair), hand
 *                 out jobs, read outcomes, kill the hung, replace the dead
 *   worker.c      the worker process's own loop
 *   status.c      the unix socket `sohoa status` talks to
 */
#ifndef SOHOA_DAEMON_H
#define SOHOA_DAEMON_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/common.h"
#include "config/config.h"

/* ---- the pool (supervisor side) ---------------------------------------- */

struct worker_pool;

struct pool_options {
	const char *self;          /* the sohoa binary to run as `sohoa -c CONFIG worker` */
	const char *config_path;
	unsigned workers;          /* 0 = number of cores */
	unsigned page_timeout_s;   /* a job may take this long per page (+1 page) */
};

/* One job handed to a worker. Strings are borrowed for the call only. */
struct pool_job {
	const char *id;
	const char *original;      /* a file, or a folder of pages in name order */
	int dossier;               /* 1: original is a folder of pages */
	const char *workdir;       /* where the worker writes result.json, the PDF, the XML */
	const char *watch, *agency_code, *operator_name, *procedure, *received_at;
	unsigned pages_hint;       /* for the time limit; 0 = unknown (1 assumed) */
};

enum job_outcome {
	JOB_DONE,        /* the report names result.json, the original, the PDF, the XML */
	JOB_PERMANENT,   /* the scan itself is bad: quarantine (stage, reason) */
	JOB_TEMPORARY,   /* may pass (token unplugged, TSA down, disk full): retry later */
	JOB_CRASHED,     /* the worker died (signal or exit) running it */
	JOB_HUNG,        /* the worker passed its time limit and was killed */
};

/* Strings are valid during the callback only. */
struct job_report {
	const char *id;
	enum job_outcome outcome;
	const char *stage;         /* "decode", "ocr", "package", "sign", … or "" */
	const char *reason;        /* a sentence; "" when done */
	/* JOB_DONE: the files to file, all inside the job's workdir */
	const char *result_json;   /* the result object */
	const char *original;      /* the scan as decoded: the spool's original, or the
	                            * lossless multi-page TIFF made of a folder's pages */
	const char *pdf, *xml;     /* signed */
	const char *alto;          /* word boxes and confidences of every page */
	double package_ms, sign_ms; /* JOB_DONE: the job's, as struct job has them */
};

typedef void (*job_report_fn)(void *arg, const struct job_report *r);

int pool_start(const struct pool_options *o, struct worker_pool **out, struct err *e);
/* Stops every worker: SIGTERM, then SIGKILL after grace_ms; frees the pool. */
void pool_stop(struct worker_pool *p, unsigned grace_ms);
/* Workers ready for a job. */
unsigned pool_idle(const struct worker_pool *p);
unsigned pool_size(const struct worker_pool *p);
/* Hands the job to an idle worker; -1 if none is idle. */
int pool_dispatch(struct worker_pool *p, const struct pool_job *j, uint64_t now_ms,
    struct err *e);
/* Fills up to max pollfds (POLLIN) for the workers' sockets; returns how many. */
int pool_pollfds(const struct worker_pool *p, struct pollfd *fds, int max);
/*
 * Reads outcomes, reaps dead workers (reporting JOB_CRASHED for their job)
 * and replaces them, kills workers past their job's limit (JOB_HUNG). Never
 * blocks. Returns ms until the next limit falls due, or -1.
 */
int pool_step(struct worker_pool *p, uint64_t now_ms, job_report_fn fn, void *arg);
/* [{"pid", "state": "idle"|"busy"|"starting", "job", "stage", "age_s"}] */
json_t *pool_status(const struct worker_pool *p, uint64_t now_ms);

/* ---- the worker process ------------------------------------------------- */

/* `sohoa worker`: reads jobs on fd 3, answers outcomes, until EOF. */
int worker_main(const struct sohoa_config *cfg);

/* ---- the supervisor ----------------------------------------------------- */

struct run_options {
	const char *self;          /* /proc/self/exe, resolved */
	const char *config_path;   /* reread on SIGHUP */
};

/* Runs until SIGTERM/SIGINT; returns an exit code (0 after a clean stop). */
int supervisor_run(const struct run_options *o, struct err *e);

/* `sohoa status`: connects to <spool>/sohoa.sock, returns the daemon's JSON. */
int status_query(const char *spool_dir, json_t **out, struct err *e);

#endif
