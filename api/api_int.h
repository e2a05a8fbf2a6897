/* Private to api/: what its files share beyond api.h. */
#ifndef SOHOA_API_INT_H
#define SOHOA_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <microhttpd.h>

#include "api.h"
#include "archive/archive.h"

#define BODY_MAX (64 * 1024)   /* a POST body larger than this is refused */

/* ---- auth.c ---------------------------------------------------------------- */

struct auth;
/* Loads the tokens file (if any); client certificates when cfg has client_ca. */
int auth_new(const struct sohoa_config *cfg, struct auth **out, struct err *e);
void auth_free(struct auth *a);

struct caller {
	char name[128];            /* the token's name, or "cert:<CN>" */
	enum api_scope scope;
};

/*
 * Who is calling: 0 and *who filled, or -1 with *status (401, or 429 when the
 * address failed too often) and a sentence in e. Failures count against `ip`.
 */
int auth_check(struct auth *a, struct MHD_Connection *c, const char *ip, struct caller *who,
    int *status, struct err *e);
/* SHA-256 hex of a token, as the tokens file keeps it. */
void auth_token_hash(const char *token, char out[65]);

/* ---- journal.c ------------------------------------------------------------- */

struct journal;
int journal_start(const struct sohoa_config *cfg, struct journal **out, struct err *e);
/* Queues one access record; the strings are copied. */
void journal_add(struct journal *j, const char *who, const char *result_id, const char *what);
/* Writes what is queued, then stops the thread and frees j. */
void journal_stop(struct journal *j);

/* ---- guard.c: a deadline for a request to arrive (slowloris) ---------------- */

struct guard;
int guard_start(unsigned timeout_s, struct guard **out, struct err *e);
/* Stops the thread and frees g; call after MHD_stop_daemon. */
void guard_stop(struct guard *g);
/* MHD_OPTION_NOTIFY_CONNECTION's callback; cls is the guard. */
void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe);
/* The request on c is whole: no deadline until it has been answered. */
void guard_answering(struct guard *g, struct MHD_Connection *c);
/* The request on c was answered: the next one has `timeout` to arrive. */
void guard_idle(struct guard *g, struct MHD_Connection *c);
/* Connections shut down for being too slow. */
unsigned long guard_cut(struct guard *g);

/* ---- the server's shared state ------------------------------------------------ */

enum { HIST_BUCKETS = 10 };

struct api_counters {
	atomic_ulong requests, by_class[6];        /* [2]: 2xx … [5]: 5xx */
	atomic_ulong auth_failures, rate_limited;
	atomic_ulong bytes_sent;
	atomic_ulong latency_le[HIST_BUCKETS];     /* not cumulative: one bucket each */
	atomic_ulong latency_count;
	atomic_ullong latency_sum_us;
};
extern const double api_latency_buckets_s[HIST_BUCKETS];

struct api {
	const struct sohoa_config *cfg;
	struct auth *auth;
	struct journal *journal;
	struct guard *guard;
	pthread_key_t archive_key;    /* each pool thread's own archive (SQLite) handle */
	pthread_mutex_t sign_lock;    /* verification and re-signing, one at a time */
	struct api_counters n;
	char *trust;                  /* PEM file `verify` trusts; borrowed from cfg */
};

/* One request, from its first byte to the response; owned by the connection. */
struct request {
	struct api *api;
	struct MHD_Connection *conn;
	const char *method;
	char *path;                   /* the URL path, owned */
	struct buf body;
	int started;                  /* the access handler has seen it */
	const char *raw_end;          /* where the raw URI's string ends in libmicrohttpd's
	                               * buffer: a NUL inside the URI ends it early */
	int malformed;                /* encoded '/', '\\' or NUL in the path, or a
	                               * request line that is not HTTP/1.x */
	int body_too_big;
	char ip[64];
	struct caller who;
	double started_ms;
	unsigned status;              /* what was queued, for the counters */
};

/* api_serve's parts, also for fuzz/fuzz_api.c, which feeds the server
 * connections itself. api_init: 0, or -1 and then api_fini all the same. */
int api_init(struct api *api, const struct sohoa_config *cfg, struct err *e);
void api_fini(struct api *api);
/* The server with no listening socket and no thread of its own: the caller
 * hands it connections (MHD_add_connection) and runs it (MHD_run). Plain
 * HTTP only: NULL when cfg asks for TLS. */
struct MHD_Daemon *api_start_unlistened(struct api *api);

/* The calling thread's archive, opened on first use; NULL (and e) if it cannot be. */
struct archive *api_archive(struct api *api, struct err *e);

/* ---- responses (server.c) --------------------------------------------------- */

/* Each queues the response; returns MHD_YES/MHD_NO as the access handler must. */
enum MHD_Result reply_json(struct request *r, unsigned status, json_t *body /* stolen */);
enum MHD_Result reply_error(struct request *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum MHD_Result reply_text(struct request *r, unsigned status, const char *type,
    char *text /* stolen, malloc'd */, size_t len);
/* A static buffer (never freed). */
enum MHD_Result reply_static(struct request *r, const char *type, const void *data,
    size_t len);

/* ---- files.c ------------------------------------------------------------------ */

/*
 * Streams the archived file at `path` (its blob name is its sha256) with ETag,
 * If-None-Match (304), Range (one range: 206; unsatisfiable: 416),
 * Content-Type and Content-Disposition (`filename`).
 */
enum MHD_Result reply_file(struct request *r, const char *path, const char *sha,
    const char *type, const char *filename, int inline_view);
/* "bytes=a-b" / "bytes=a-" / "bytes=-n" against size: 0 and [*from, *to]
 * inclusive; 1 when it cannot be satisfied (416); -1 when malformed (ignored,
 * as RFC 9110 says: the whole file). */
int range_parse(const char *header, uint64_t size, uint64_t *from, uint64_t *to);

/* ---- routes.c, metrics.c, web.c ------------------------------------------------- */

/* The request is authenticated (r->who) unless the route is public. */
enum MHD_Result route_request(struct request *r);
/* 1 when `path` needs no credentials (GET and HEAD only). */
int route_is_public(const char *path);
/* Id checks: a result id (64 hex), or a result/dossier code ([A-Za-z0-9.-], ≤ 64). */
int key_valid(const char *key);

enum MHD_Result metrics_reply(struct request *r);
/* The embedded page file for `path` ("/", "/app.js", "/style.css"): 0, else -1. */
int web_file(const char *path, const char **type, const void **data, size_t *len);

#endif
