/*
 * api: what sohoa serves and sends. The last module of the flow; it reads the
 * archive and never writes scans.
 *   server.c    libmicrohttpd (thread pool, TLS, optional mTLS), limits, routing
 *   auth.c      bearer tokens (hashed tokens file, scopes), client certificates,
 *               failed-auth rate limit
 *   routes.c    the /v1 routes of ../shared/docs/interface.md and docs/openapi.yaml
 *   files.c     archived files streamed with ETag and Range
 *   journal.c   every access to a result, batched into the audit chain
 *   metrics.c   /metrics in Prometheus text format
 *   web.c       the web page (api/web/), embedded in the binary
 *   review.c    a correction after review: re-issues and re-signs the XML
 *   webhook.c   durable deliveries of archived results (libcurl, HMAC-SHA256)
 */
#ifndef SOHOA_API_H
#define SOHOA_API_H

#include <stddef.h>
#include <jansson.h>

#include "common/common.h"
#include "config/config.h"

struct archive;
struct field_edit;

/* What a token (or a client certificate) may do; each includes the ones before. */
enum api_scope {
	SCOPE_READ,    /* the one-stop system: results, files, search, verification */
	SCOPE_REVIEW,  /* counter staff: + the review queue, corrections, recent scans */
	SCOPE_ADMIN,   /* + the daemon's status */
};
const char *api_scope_name(enum api_scope s);
/* "read", "review", "admin" -> 0; else -1. */
int api_scope_parse(const char *name, enum api_scope *out);

/* ---- the server ------------------------------------------------------------ */

/*
 * `sohoa serve`: serves [api] until SIGTERM or SIGINT (blocked by the caller
 * and waited for here). Returns 0 after a clean stop, -1 when it could not
 * start (reason in e).
 */
int api_serve(const struct sohoa_config *cfg, struct err *e);

/* ---- tokens --------------------------------------------------------------- */

/*
 * Adds a token named `name` (letters, digits, '.', '_', '-') with `scope` to
 * the tokens file at `path` (created 0600 when missing; rewritten atomically).
 * The file keeps only its SHA-256. *token is the token itself, to be shown
 * once; the caller frees it. A name already there is refused.
 */
int api_token_add(const char *path, const char *name, enum api_scope scope, char **token,
    struct err *e);

/* ---- corrections after review (used by `sohoa review` and the API) -------- */

/*
 * Applies the edits to result `key` as the reviewer `by`: the next version,
 * its XML e-result re-issued and signed with the [signer] key, filed by
 * archive_revise, and a "result.revised" webhook queued. *filed is the
 * stored object (caller owns). *status is 404
 * when there is no such result or it is disposed, 422 when a value is
 * refused, 409 on a concurrent revision, 503 when the key is unavailable
 * (temporary), 500 otherwise; e says why.
 */
int review_apply(const struct sohoa_config *cfg, struct archive *a, const char *key,
    const struct field_edit *edits, size_t n, const char *by, const char *actor,
    json_t **filed, int *status, struct err *e);

/* ---- webhooks ----------------------------------------------------------------- */

/*
 * Queues a delivery of `result` (borrowed; sent without "text") for `event`
 * ("result.archived", "result.revised") durably under <spool>/webhooks/.
 * A result (id, version) already queued or delivered is not queued again, so
 * a replayed commit sends nothing twice. No [webhook]: does nothing, returns 0.
 */
int webhook_enqueue(const struct sohoa_config *cfg, const char *event, json_t *result,
    struct err *e);

struct webhook_sender;
/* Starts the delivery thread (only with [webhook] url); *out NULL otherwise. */
int webhook_start(const struct sohoa_config *cfg, struct webhook_sender **out, struct err *e);
/* Something was queued: look now rather than at the next rescan. */
void webhook_kick(struct webhook_sender *w);
/* {"url", "pending", "delivered", "failed_attempts", "oldest_pending", "next_attempt",
 *  "last_error"}; NULL when w is NULL. */
json_t *webhook_status(struct webhook_sender *w);
/* Deliveries waiting on disk (for /metrics when no daemon runs); 0 without [webhook]. */
long webhook_backlog(const struct sohoa_config *cfg);
/* Lets an attempt in flight finish, then stops the thread and frees w. */
void webhook_stop(struct webhook_sender *w);

#endif
