/*
 * The line protocol between the pool (workers.c) and a worker (worker.c).
 * Private to daemon/: not part of the interface.
 *
 * A SOCK_STREAM socketpair, fd 3 in the worker; one compact JSON object a
 * line (jansson escapes every control character, so a line never holds a
 * raw newline). A stream rather than SOCK_SEQPACKET so that no message size
 * limit applies and a test can speak the protocol from a script.
 *
 *   worker -> pool  {"ready": PID}
 *                   once, when the OCR engine and the signer are loaded
 *   pool -> worker  {"id", "original", "dossier": bool, "workdir", "watch",
 *                    "agency_code", "operator", "procedure", "received_at",
 *                    "pages_hint"}                  (absent strings: null)
 *   worker -> pool  {"id", "stage": "decode"|"ocr"|"sign", "page": n, "pages": m}
 *                   progress; "page" only once page n is recognised, and
 *                   only then is the job's time limit moved on
 *   worker -> pool  {"id", "outcome": "done"|"permanent"|"temporary",
 *                    "stage", "reason", "result_json", "original", "pdf", "xml",
 *                    "alto", "package_ms", "sign_ms"}
 *                   the last line of a job; the paths and times only when done
 *
 * EOF on fd 3 tells the worker to exit 0. A line the pool cannot make sense
 * of gets the worker killed.
 */
#ifndef SOHOA_DAEMON_PROTOCOL_H
#define SOHOA_DAEMON_PROTOCOL_H

#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/common.h"

#define PROTO_FD 3
/* Longer than any line either side writes (paths and a reason). */
#define PROTO_LINE_MAX (64 * 1024)

#define PROTO_READY "ready"
#define PROTO_ID "id"
#define PROTO_STAGE "stage"
#define PROTO_PAGE "page"
#define PROTO_PAGES "pages"
#define PROTO_OUTCOME "outcome"
#define PROTO_REASON "reason"

#define PROTO_DONE "done"
#define PROTO_PERMANENT "permanent"
#define PROTO_TEMPORARY "temporary"

/* One message as a line; the caller frees it. Takes a reference to o. */
static inline char *proto_encode(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatalx("out of memory");
	char *line = xasprintf("%s\n", s);
	free(s);
	return line;
}

/* Takes the first whole line out of `in` (without its newline), or NULL
 * when there is none yet. The caller frees it. */
static inline char *proto_take_line(struct buf *in)
{
	char *nl = in->len ? memchr(in->data, '\n', in->len) : NULL;
	if (nl == NULL)
		return NULL;
	size_t n = (size_t)(nl - in->data);
	char *line = xmalloc(n + 1);
	memcpy(line, in->data, n);
	line[n] = '\0';
	in->len -= n + 1;
	memmove(in->data, nl + 1, in->len);
	return line;
}

#endif
