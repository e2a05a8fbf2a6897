/*
 * routes: the /v1 routes (docs/openapi.yaml). Each checks its scope and its
 * input, answers 4xx JSON for anything wrong with the request, and records
 * every access to a result in the journal.
 */
#include "api_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "pipeline/pipeline.h"
#include "signer/signer.h"

#define SEGMENTS_MAX 4
#define LIMIT_DEFAULT 50
#define LIMIT_MAX 1000

struct route_args {
	char *seg[SEGMENTS_MAX];
	int n;
};

int key_valid(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > 64 || key[0] == '.' || strstr(key, "..") != NULL)
		return 0;
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return 0;
	return 1;
}

int route_is_public(const char *path)
{
	const void *d;
	const char *t;
	size_t len;
	return strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0 ||
	    web_file(path, &t, &d, &len) == 0;
}

static int allowed(struct request *r, enum api_scope need)
{
	return r->who.scope >= need;
}

static enum MHD_Result forbidden(struct request *r, enum api_scope need)
{
	return reply_error(r, 403, "'%s' has scope %s; this needs scope %s", r->who.name,
	    api_scope_name(r->who.scope), api_scope_name(need));
}

static struct archive *archive_or_reply(struct request *r, enum MHD_Result *rc)
{
	struct err e = { 0 };
	struct archive *a = api_archive(r->api, &e);
	if (a == NULL)
		*rc = reply_error(r, 503, "the archive cannot be opened: %s", e.msg);
	return a;
}

/* The result by key: 0 (*res owned by the caller), or -1 with the reply queued. */
static int find(struct request *r, const char *key, json_t **res, enum MHD_Result *rc)
{
	struct err e = { 0 };
	*res = NULL;
	if (!key_valid(key)) {
		*rc = reply_error(r, 400, "not a result id, result code or dossier code");
		return -1;
	}
	struct archive *a = archive_or_reply(r, rc);
	if (a == NULL)
		return -1;
	if (archive_get(a, key, res, &e) < 0) {
		*rc = reply_error(r, 503, "the archive index: %s", e.msg);
		return -1;
	}
	if (*res == NULL) {
		*rc = reply_error(r, 404, "no result '%s' in the archive", key);
		return -1;
	}
	return 0;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void audit(struct request *r, json_t *res, const char *what)
{
	journal_add(r->api->journal, r->who.name, str(res, "id"), what);
}

/* ---- results ------------------------------------------------------------------------ */

static enum MHD_Result get_result(struct request *r, const char *key)
{
	json_t *res;
	enum MHD_Result rc;
	if (find(r, key, &res, &rc) < 0)
		return rc;
	audit(r, res, "result");
	return reply_json(r, 200, res);
}

/* What the original scan is, from its first bytes. */
static const char *sniff(const char *path, const char **ext)
{
	unsigned char m[8] = { 0 };
	FILE *f = fopen(path, "rbe");
	size_t n = f ? fread(m, 1, sizeof(m), f) : 0;
	if (f)
		fclose(f);
	static const struct { const char *magic; size_t len; const char *type, *ext; } kinds[] = {
		{ "II*\0", 4, "image/tiff", "tif" }, { "MM\0*", 4, "image/tiff", "tif" },
		{ "\xff\xd8\xff", 3, "image/jpeg", "jpg" }, { "\x89PNG", 4, "image/png", "png" },
		{ "%PDF", 4, "application/pdf", "pdf" },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (n >= kinds[i].len && memcmp(m, kinds[i].magic, kinds[i].len) == 0) {
			*ext = kinds[i].ext;
			return kinds[i].type;
		}
	}
	*ext = "bin";
	return "application/octet-stream";
}

static enum MHD_Result get_file(struct request *r, const char *key, const char *kind)
{
	json_t *res;
	enum MHD_Result rc;
	if (find(r, key, &res, &rc) < 0)
		return rc;
	const char *rel = str(json_object_get(res, "files"), kind);
	const char *blob = rel != NULL ? strrchr(rel, '/') : NULL;
	if (json_is_true(json_object_get(res, "disposed"))) {
		rc = reply_error(r, 410, "result '%s' is disposed", key);
	} else if (blob == NULL) {
		rc = reply_error(r, 404, "result '%s' has no %s file", key, kind);
	} else {
		char *path = xasprintf("%s/%s", r->api->cfg->archive_dir, rel);
		const char *ext = kind, *type = strcmp(kind, "pdf") == 0 ? "application/pdf" :
		    strcmp(kind, "xml") == 0 ? "application/xml; charset=utf-8" : sniff(path, &ext);
		const char *code = str(res, "result_code");
		char *name = code ? xasprintf("%s.%s", code, ext) :
		    xasprintf("%.16s.%s", str(res, "id"), ext);
		audit(r, res, kind);
		rc = reply_file(r, path, blob + 1, type, name, strcmp(kind, "original") != 0);
		free(name);
		free(path);
	}
	json_decref(res);
	return rc;
}

/* {"ok", "checks"} of one signed file, as `sohoa verify --json` reports it. */
static json_t *verify_one(struct request *r, json_t *res, const char *kind)
{
	struct err e = { 0 };
	json_t *checks = json_array();
	const char *rel = str(json_object_get(res, "files"), kind);
	struct verify_options vo = { .trust = r->api->trust };
	int rc = -1;
	if (rel == NULL) {
		err_set(&e, "the result has no %s file", kind);
	} else {
		char *path = xasprintf("%s/%s", r->api->cfg->archive_dir, rel);
		rc = strcmp(kind, "pdf") == 0 ? verify_pdf_file(path, &vo, checks, &e) :
		    verify_xml_file(path, &vo, checks, &e);
		free(path);
	}
	if (rc < 0 && json_array_size(checks) == 0)
		json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check", kind, "ok", 0,
		    "detail", e.msg));
	return json_pack("{s:b, s:o}", "ok", rc == 0, "checks", checks);
}

static enum MHD_Result get_verify(struct request *r, const char *key)
{
	json_t *res;
	enum MHD_Result rc;
	struct err e = { 0 };
	if (find(r, key, &res, &rc) < 0)
		return rc;
	struct archive *a = archive_or_reply(r, &rc);
	if (a == NULL) {
		json_decref(res);
		return rc;
	}
	json_t *fixity = json_array();
	pthread_mutex_lock(&r->api->sign_lock);
	json_t *pdf = verify_one(r, res, "pdf"), *xml = verify_one(r, res, "xml");
	int fixed = archive_check_fixity(a, str(res, "id"), fixity, &e);
	pthread_mutex_unlock(&r->api->sign_lock);
	if (fixed < 0 && json_array_size(fixity) == 0)
		json_array_append_new(fixity, json_pack("{s:s, s:b, s:s}", "check", "fixity",
		    "ok", 0, "detail", e.msg));
	int ok = json_is_true(json_object_get(pdf, "ok")) &&
	    json_is_true(json_object_get(xml, "ok")) && fixed == 0;
	audit(r, res, "verify");
	json_t *out = json_pack("{s:s, s:b, s:o, s:o, s:{s:b, s:o}}", "id", str(res, "id"),
	    "ok", ok, "pdf", pdf, "xml", xml, "fixity", "ok", fixed == 0, "checks", fixity);
	json_decref(res);
	return reply_json(r, 200, out);
}

/* ---- lists ----------------------------------------------------------------------- */

/* Results as lists show them: without the OCR text. */
static json_t *listed(json_t *results)
{
	size_t i;
	json_t *v;
	json_array_foreach(results, i, v)
		json_object_del(v, "text");
	return results;
}

static enum MHD_Result get_dossier(struct request *r, const char *code)
{
	struct err e = { 0 };
	enum MHD_Result rc;
	json_t *results = NULL, *v;
	size_t i;
	if (!key_valid(code))
		return reply_error(r, 400, "not a dossier code");
	struct archive *a = archive_or_reply(r, &rc);
	if (a == NULL)
		return rc;
	if (archive_dossier_results(a, code, &results, &e) < 0)
		return reply_error(r, 503, "the archive index: %s", e.msg);
	if (json_array_size(results) == 0) {
		json_decref(results);
		return reply_error(r, 404, "no dossier '%s' in the archive", code);
	}
	json_array_foreach(results, i, v)
		audit(r, v, "dossier");
	return reply_json(r, 200, json_pack("{s:s, s:o}", "dossier_code", code,
	    "results", listed(results)));
}

static int parse_limit(const char *v, unsigned *out)
{
	char *end = NULL;
	if (v == NULL) {
		*out = LIMIT_DEFAULT;
		return 0;
	}
	unsigned long n = isdigit((unsigned char)*v) ? strtoul(v, &end, 10) : 0;
	if (end == NULL || *end != '\0' || n < 1 || n > LIMIT_MAX)
		return -1;
	*out = (unsigned)n;
	return 0;
}

struct query_parse {
	struct archive_query *q;
	const char *bad;           /* the first unknown parameter */
};

static enum MHD_Result take_param(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	struct query_parse *qp = cls;
	struct archive_query *q = qp->q;
	const char *names[] = { "number", "issuer", "type", "dossier", "citizen_id", "from",
		"to", "q", "limit", "review", "fold" };
	const char **slots[] = { &q->number, &q->issuer, &q->type, &q->dossier, &q->citizen_id,
		&q->from, &q->to, &q->text, NULL, NULL, NULL };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(key, names[i]) != 0)
			continue;
		if (slots[i] != NULL && value != NULL && *value != '\0')
			*slots[i] = value;
		return MHD_YES;
	}
	qp->bad = key;
	return MHD_NO;
}

/* Fills q from the query string: 0, or -1 with the 400 queued. */
static int parse_query(struct request *r, struct archive_query *q, enum MHD_Result *rc)
{
	struct query_parse qp = { .q = q };
	struct MHD_Connection *c = r->conn;
	memset(q, 0, sizeof(*q));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, take_param, &qp);
	const char *limit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	const char *review = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "review");
	const char *fold = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fold");
	if (qp.bad != NULL) {
		*rc = reply_error(r, 400, "unknown parameter '%s'", qp.bad);
		return -1;
	}
	if (parse_limit(limit, &q->limit) < 0) {
		*rc = reply_error(r, 400, "limit must be a number from 1 to %d", LIMIT_MAX);
		return -1;
	}
	const char *why = NULL;
	if (q->from != NULL && !iso_date_valid(q->from))
		why = "from must be a date YYYY-MM-DD";
	else if (q->to != NULL && !iso_date_valid(q->to))
		why = "to must be a date YYYY-MM-DD";
	else if (q->from != NULL && q->to != NULL && strcmp(q->from, q->to) > 0)
		why = "from is after to";
	if (why != NULL) {
		*rc = reply_error(r, 400, "%s", why);
		return -1;
	}
	q->review = review != NULL && strcmp(review, "1") == 0;
	q->fold = fold == NULL || strcmp(fold, "0") != 0;
	return 0;
}

static enum MHD_Result get_search(struct request *r, int review_queue)
{
	struct archive_query q;
	struct err e = { 0 };
	enum MHD_Result rc;
	json_t *results = NULL, *v;
	size_t i;
	if (parse_query(r, &q, &rc) < 0)
		return rc;
	q.review |= review_queue;
	struct archive *a = archive_or_reply(r, &rc);
	if (a == NULL)
		return rc;
	if (archive_search(a, &q, &results, &e) < 0)
		return reply_error(r, 400, "%s", e.msg);
	json_t *ids = json_array();
	json_array_foreach(results, i, v)
		json_array_append(ids, json_object_get(v, "id"));
	char *what = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	journal_add(r->api->journal, r->who.name, NULL, what);
	free(what);
	return reply_json(r, 200, json_pack("{s:o}", "results", listed(results)));
}

/* ---- review ----------------------------------------------------------------------- */

/* {"fields": {name: string|null}} into edits pointing into body (borrowed). */
static int parse_edits(json_t *body, struct field_edit **edits, size_t *n, struct err *e)
{
	json_t *fields = json_object_get(body, "fields"), *v;
	const char *k;
	*edits = NULL;
	*n = 0;
	if (!json_is_object(fields) || json_object_size(fields) == 0 ||
	    json_object_size(fields) > 32) {
		err_set(e, "the body must be {\"fields\": {\"name\": \"value\" or null, …}}");
		return -1;
	}
	*edits = xcalloc(json_object_size(fields), sizeof(**edits));
	json_object_foreach(fields, k, v) {
		if (!json_is_string(v) && !json_is_null(v)) {
			err_set(e, "field %s: a value is a string or null", k);
			return -1;
		}
		const char *s = json_string_value(v);
		(*edits)[(*n)++] = (struct field_edit){ .field = k,
			.value = s != NULL && *s != '\0' ? s : NULL };
	}
	return 0;
}

static enum MHD_Result post_review(struct request *r, const char *key)
{
	struct err e = { 0 };
	json_error_t je;
	enum MHD_Result rc;
	struct field_edit *edits = NULL;
	size_t n = 0;
	int status = 0;
	json_t *filed = NULL;
	if (!key_valid(key))
		return reply_error(r, 400, "not a result id, result code or dossier code");
	json_t *body = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	if (body == NULL)
		return reply_error(r, 400, "the body is not JSON: %s", je.text);
	struct archive *a = archive_or_reply(r, &rc);
	if (a == NULL || parse_edits(body, &edits, &n, &e) < 0) {
		rc = a == NULL ? rc : reply_error(r, 400, "%s", e.msg);
		goto out;
	}
	char *actor = xasprintf("api:%s", r->who.name);
	pthread_mutex_lock(&r->api->sign_lock);
	int ok = review_apply(r->api->cfg, a, key, edits, n, r->who.name, actor, &filed,
	    &status, &e);
	pthread_mutex_unlock(&r->api->sign_lock);
	free(actor);
	if (ok < 0) {
		rc = reply_error(r, (unsigned)status, "%s", e.msg);
		goto out;
	}
	rc = reply_json(r, 200, filed);
out:
	free(edits);
	json_decref(body);
	return rc;
}

/* ---- the daemon ------------------------------------------------------------------- */

static enum MHD_Result get_recent(struct request *r)
{
	json_t *st = NULL;
	struct err e = { 0 };
	if (status_query(r->api->cfg->spool_dir, &st, &e) < 0)
		return reply_json(r, 200, json_pack("{s:b, s:s, s:[]}", "daemon", 0, "reason",
		    "the daemon (sohoa run) is not running", "scans"));
	json_t *recent = json_object_get(st, "recent");
	json_t *out = json_pack("{s:b, s:O}", "daemon", 1, "scans",
	    json_is_array(recent) ? recent : json_array());
	json_decref(st);
	return reply_json(r, 200, out);
}

static enum MHD_Result get_status(struct request *r)
{
	json_t *st = NULL;
	struct err e = { 0 };
	if (status_query(r->api->cfg->spool_dir, &st, &e) < 0)
		return reply_error(r, 503, "%s", e.msg);
	return reply_json(r, 200, st);
}

/* ---- routing ---------------------------------------------------------------------- */

/* Splits "/v1/a/b/c" into segments; -1 when there are too many or one is empty,
 * -2 for ".", ".." or any segment starting with a dot. */
static int split(char *path, struct route_args *ra)
{
	ra->n = 0;
	for (char *p = path; p != NULL && *p;) {
		char *slash = strchr(p, '/');
		if (slash != NULL)
			*slash = '\0';
		if (*p == '\0' || ra->n == SEGMENTS_MAX)
			return -1;
		if (*p == '.')
			return -2;
		ra->seg[ra->n++] = p;
		p = slash != NULL ? slash + 1 : NULL;
	}
	return 0;
}

static int is(const struct route_args *ra, int n, const char *first)
{
	return ra->n == n && strcmp(ra->seg[0], first) == 0;
}

static enum MHD_Result route_get(struct request *r, struct route_args *ra)
{
	if (is(ra, 3, "results") && strcmp(ra->seg[2], "review") == 0)
		return reply_error(r, 405, "a correction is a POST");
	if (is(ra, 1, "whoami"))
		return reply_json(r, 200, json_pack("{s:s, s:s}", "name", r->who.name, "scope",
		    api_scope_name(r->who.scope)));
	if (is(ra, 2, "results"))
		return get_result(r, ra->seg[1]);
	if (is(ra, 3, "results") && strcmp(ra->seg[2], "verify") == 0)
		return get_verify(r, ra->seg[1]);
	if (is(ra, 3, "results") && (strcmp(ra->seg[2], "pdf") == 0 ||
	    strcmp(ra->seg[2], "xml") == 0 || strcmp(ra->seg[2], "original") == 0))
		return get_file(r, ra->seg[1], ra->seg[2]);
	if (is(ra, 3, "dossiers") && strcmp(ra->seg[2], "results") == 0)
		return get_dossier(r, ra->seg[1]);
	if (is(ra, 1, "search"))
		return get_search(r, 0);
	if (is(ra, 1, "review"))
		return allowed(r, SCOPE_REVIEW) ? get_search(r, 1) : forbidden(r, SCOPE_REVIEW);
	if (is(ra, 1, "recent"))
		return allowed(r, SCOPE_REVIEW) ? get_recent(r) : forbidden(r, SCOPE_REVIEW);
	if (is(ra, 1, "status"))
		return allowed(r, SCOPE_ADMIN) ? get_status(r) : forbidden(r, SCOPE_ADMIN);
	return reply_error(r, 404, "no such route");
}

static enum MHD_Result route_v1(struct request *r)
{
	struct route_args ra;
	char *path = xstrdup(r->path + strlen("/v1/"));
	enum MHD_Result rc;
	int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	int parts = split(path, &ra);
	if (parts == -2)
		rc = reply_error(r, 400, "a path segment may not start with '.'");
	else if (parts < 0 || ra.n == 0)
		rc = reply_error(r, 404, "no such route");
	else if (strcmp(r->method, "POST") == 0 && is(&ra, 3, "results") &&
	    strcmp(ra.seg[2], "review") == 0)
		rc = allowed(r, SCOPE_REVIEW) ? post_review(r, ra.seg[1]) :
		    forbidden(r, SCOPE_REVIEW);
	else if (!get)
		rc = reply_error(r, 405, "method %s is not allowed here", r->method);
	else
		rc = route_get(r, &ra);
	free(path);
	return rc;
}

enum MHD_Result route_request(struct request *r)
{
	const void *data;
	const char *type;
	size_t len;
	if (strcmp(r->path, "/healthz") == 0)
		return reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "version",
		    SOHOA_VERSION));
	if (strcmp(r->path, "/metrics") == 0)
		return metrics_reply(r);
	if (web_file(r->path, &type, &data, &len) == 0)
		return reply_static(r, type, data, len);
	if (strncmp(r->path, "/v1/", 4) == 0)
		return route_v1(r);
	return reply_error(r, 404, "no such route");
}
