/*
 * The SQLite index, writing: commit (new result or reuse), disposal, gc, and
 * the audit chain. Design: docs/internals/archive-index.md.
 */
#include "archive/index_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

static const char zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";


/* Text fields indexed for full text, besides the OCR text ("text"). */
static const char *const fts_fields[] = { "type", "number", "issuer", "subject", "signer",
	"applicant", "procedure" };
#define FTS_FIELDS 7

/* ---- audit chain ------------------------------------------------------------ */

/*
 * hash = sha256 hex of "sohoa-audit-v1\n" followed by, for seq, time, actor,
 * action, result_id, detail and prev_hash in that order, "<bytes>:<value>\n"
 * or "-\n" for NULL.
 */
static void audit_hash(int64_t seq, const char *const f[6], char hex[65])
{
	char s[24];
	snprintf(s, sizeof(s), "%lld", (long long)seq);
	const char *v[7] = { s, f[0], f[1], f[2], f[3], f[4], f[5] };
	struct buf b = { 0 };
	buf_append(&b, "sohoa-audit-v1\n", 15);
	for (int i = 0; i < 7; i++) {
		if (v[i] == NULL) {
			buf_append(&b, "-\n", 2);
			continue;
		}
		buf_appendf(&b, "%zu:", strlen(v[i]));
		buf_append(&b, v[i], strlen(v[i]));
		buf_append(&b, "\n", 1);
	}
	sha256_hex(b.data, b.len, hex);
	free(b.data);
}

/* The chain head kept in meta: record count and last hash (NULL if none). */
static int head_read(struct idx *h, int64_t *count, char **head, struct err *e)
{
	*count = 0;
	*head = NULL;
	if (isq_one(h, e, count, NULL, "SELECT value FROM meta WHERE key = 'audit_count'", "") < 0)
		return -1;
	return isq_one(h, e, NULL, head, "SELECT value FROM meta WHERE key = 'audit_head'", "");
}

/* Appends one record inside the caller's transaction, and moves the head. */
int isq_audit_add(struct idx *h, const char *actor, const char *action, const char *rid,
    const char *detail, struct err *e)
{
	int rc = -1;
	char *head = NULL, hash[65], now[32];
	int64_t count;
	if (head_read(h, &count, &head, e) < 0)
		goto out;
	time_iso8601_vn(time(NULL), now);
	actor = actor != NULL ? actor : "unknown";
	const char *prev = head != NULL ? head : zero_hash;
	const char *const f[6] = { now, actor, action, rid, detail, prev };
	audit_hash(count + 1, f, hash);
	if (isq_exec(h, e, "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ittttttt",
		(int64_t)(count + 1), now, actor, action, rid, detail, prev, hash) < 0)
		goto out;
	rc = isq_exec(h, e, "INSERT OR REPLACE INTO meta VALUES"
	    " ('audit_count', ?), ('audit_head', ?)", "it", (int64_t)(count + 1), hash);
out:
	free(head);
	return rc;
}

/* Detail text of an audit record: compact JSON of `o`, which it takes. */
static char *detail_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		fatalx("out of memory");
	return s;
}

struct chain {
	int64_t n, broken_at;
	char prev[65];
	const char *reason;
};

static void chain_check(struct chain *c, sqlite3_stmt *st)
{
	int64_t seq = sqlite3_column_int64(st, 0);
	const char *f[8];
	for (int i = 1; i < 8; i++)
		f[i] = (const char *)sqlite3_column_text(st, i);
	char hash[65];
	c->n++;
	if (c->broken_at != 0)
		return;
	audit_hash(seq, f + 1, hash);
	if (seq != c->n)
		c->reason = "sequence gap (a record is missing before this one)";
	else if (f[6] == NULL || strcmp(f[6], c->prev) != 0)
		c->reason = "prev_hash mismatch";
	else if (f[7] == NULL || strcmp(f[7], hash) != 0)
		c->reason = "hash mismatch (the record was changed)";
	if (c->reason != NULL)
		c->broken_at = seq;
	snprintf(c->prev, sizeof(c->prev), "%s", f[7] != NULL ? f[7] : "");
}

/* Compares the walked chain with the head kept in meta. */
static int chain_head(struct idx *h, struct chain *c, struct err *e)
{
	int64_t count;
	char *head;
	if (head_read(h, &count, &head, e) < 0)
		return -1;
	if (c->broken_at == 0 && (count != c->n || strcmp(head ? head : zero_hash, c->prev) != 0)) {
		c->reason = "head mismatch (records missing at the end, or the head was changed)";
		c->broken_at = count > c->n ? c->n + 1 : (c->n > count ? count + 1 : c->n);
	}
	free(head);
	return 0;
}

/* ---- commit ------------------------------------------------------------------ */

const char *isq_field_str(json_t *result, const char *name)
{
	json_t *v = json_object_get(json_object_get(result, "fields"), name);
	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static int digits(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789") == n;
}

struct intake {
	const char *id, *received_at, *kind, *dossier, *issuer, *date, *actor;
	char *number_key, *issuer_key, *issuer_fold, *type_key;
	json_int_t pages;
	char now[32];
};

static void intake_free(struct intake *in)
{
	free(in->number_key);
	free(in->issuer_key);
	free(in->issuer_fold);
	free(in->type_key);
}

static int intake_read(const struct index_commit *c, struct intake *in, struct err *e)
{
	json_t *r = c->result;
	in->id = json_string_value(json_object_get(r, "id"));
	if (!json_is_object(r) || in->id == NULL || !isq_is_hex64(in->id)) {
		err_set(e, "the result has no \"id\" of 64 lowercase hex digits");
		return -1;
	}
	for (int k = 0; k < BLOB_KINDS; k++) {
		if (c->blob_sha[k] != NULL && !isq_is_hex64(c->blob_sha[k])) {
			err_set(e, "the %s blob's sha256 '%s' is not 64 lowercase hex digits",
			    blob_kind_name(k), c->blob_sha[k]);
			return -1;
		}
	}
	time_iso8601_vn(time(NULL), in->now);
	in->received_at = json_string_value(json_object_get(r, "received_at"));
	in->received_at = in->received_at != NULL ? in->received_at : in->now;
	in->kind = json_string_value(json_object_get(r, "kind"));
	in->kind = in->kind != NULL ? in->kind : "unknown";
	in->pages = json_integer_value(json_object_get(r, "pages"));
	in->dossier = isq_field_str(r, "dossier_code");
	in->issuer = isq_field_str(r, "issuer");
	in->date = isq_field_str(r, "date") != NULL && iso_date_valid(isq_field_str(r, "date")) ? isq_field_str(r, "date") : NULL;
	in->actor = c->actor != NULL ? c->actor : "unknown";
	in->number_key = isq_text_key(isq_field_str(r, "number"));
	in->issuer_key = isq_text_key(in->issuer);
	in->issuer_fold = isq_fold_key(in->issuer);
	in->type_key = isq_text_key(isq_field_str(r, "type"));
	return 0;
}

/* Takes the dossier's next n (creating the dossier); the counter never goes back. */
static int code_reserve(struct idx *h, const struct intake *in, int64_t *n, char **code,
    struct err *e)
{
	if (isq_exec(h, e, "INSERT OR IGNORE INTO dossiers VALUES (?, 1, ?)", "tt", in->dossier,
		in->now) < 0 ||
	    isq_one(h, e, n, NULL, "SELECT next_n FROM dossiers WHERE code = ?", "t",
		in->dossier) < 0 ||
	    isq_exec(h, e, "UPDATE dossiers SET next_n = next_n + 1 WHERE code = ?", "t",
		in->dossier) < 0)
		return -1;
	*code = xasprintf("%s-KQ%lld", in->dossier, (long long)*n);
	return 0;
}

/*
 * The code reserved before signing (the signed XML names it) when it is
 * this dossier's, was handed out, and is not linked yet; else a new one.
 */
static int code_take(struct idx *h, const struct intake *in, const char *reserved,
    int64_t *n, char **code, struct err *e)
{
	size_t len = strlen(in->dossier);
	int64_t next = 0, linked = 1;
	char *end = NULL;
	if (reserved == NULL || strncmp(reserved, in->dossier, len) != 0 ||
	    strncmp(reserved + len, "-KQ", 3) != 0)
		return code_reserve(h, in, n, code, e);
	long long want = strtoll(reserved + len + 3, &end, 10);
	if (isq_one(h, e, &next, NULL, "SELECT next_n FROM dossiers WHERE code = ?", "t",
		in->dossier) < 0 ||
	    isq_one(h, e, &linked, NULL, "SELECT count(*) FROM links WHERE result_code = ?", "t",
		reserved) < 0)
		return -1;
	if (*end != '\0' || want < 1 || want >= next || linked != 0)
		return code_reserve(h, in, n, code, e);
	*n = want;
	*code = xstrdup(reserved);
	return 0;
}

int isq_reserve_code(void *handle, const char *dossier, char **code, struct err *e)
{
	struct idx *h = handle;
	struct intake in = { .dossier = dossier };
	int64_t n = 0;
	*code = NULL;
	time_iso8601_vn(time(NULL), in.now);
	if (isq_tx_begin(h, e) < 0)
		return -1;
	int rc = code_reserve(h, &in, &n, code, e);
	rc = isq_tx_end(h, rc, e);
	if (rc < 0) {
		free(*code);
		*code = NULL;
	}
	return rc;
}

static int link_insert(struct idx *h, const struct intake *in, int64_t n, const char *code,
    int reused, struct err *e)
{
	return isq_exec(h, e, "INSERT INTO links VALUES (?, ?, ?, ?, ?, ?)", "tittit", in->dossier,
	    n, in->id, code, (int64_t)reused, in->now);
}

/* Bytes already filed: bump the count, link a new dossier, hand back the stored one. */
static int commit_reuse(struct idx *h, const struct intake *in, struct index_outcome *out,
    struct err *e)
{
	int rc = -1;
	int64_t n = 0;
	char *code = NULL, *detail = NULL;
	json_t *obj = NULL;
	if (isq_load_one(h, ISQ_BY_ID_SQL, in->id, &obj, e) < 0)
		goto out;
	if (json_is_true(json_object_get(obj, "disposed"))) {
		err_set(e, "this scan was filed as %s and disposed on %s (%s); not filed again",
		    in->id, json_string_value(json_object_get(obj, "disposed_at")),
		    json_string_value(json_object_get(obj, "disposed_reason")));
		goto out;
	}
	if (isq_exec(h, e, "UPDATE results SET reuse_count = reuse_count + 1 WHERE id = ?", "t",
		in->id) < 0)
		goto out;
	if (in->dossier != NULL && isq_one(h, e, NULL, &code, "SELECT result_code FROM links"
		" WHERE dossier_code = ? AND result_id = ?", "tt", in->dossier, in->id) < 0)
		goto out;
	if (in->dossier != NULL && code == NULL && (code_reserve(h, in, &n, &code, e) < 0 ||
		link_insert(h, in, n, code, 1, e) < 0))
		goto out;
	if (code != NULL)
		json_object_set_new(obj, "result_code", json_string(code));
	json_object_set_new(obj, "reused", json_true());
	detail = detail_json(json_pack("{s:O?}", "result_code",
	    json_object_get(obj, "result_code")));
	if (isq_audit_add(h, in->actor, "reuse", in->id, detail, e) < 0)
		goto out;
	out->result = obj;
	out->duplicate = 1;
	obj = NULL;
	rc = 0;
out:
	json_decref(obj);
	free(code);
	free(detail);
	return rc;
}

/* The original of an earlier filing of the same document (issuer, number, date). */
static int find_same_document(struct idx *h, const struct intake *in, char **id, struct err *e)
{
	if (in->issuer_key == NULL || in->number_key == NULL || in->date == NULL)
		return 0;
	return isq_one(h, e, NULL, id, "SELECT r.id FROM results r"
	    " JOIN issuers i ON i.id = r.issuer_id WHERE r.number_key = ? AND i.key = ?"
	    " AND r.date = ? AND r.disposed = 0"
	    " ORDER BY r.reuse_of IS NOT NULL, r.received_at, r.id LIMIT 1", "ttt",
	    in->number_key, in->issuer_key, in->date);
}

int isq_issuer_id(struct idx *h, const char *key, const char *fold, const char *name,
    int64_t *id, struct err *e)
{
	*id = 0;
	if (key == NULL)
		return 0;
	if (isq_exec(h, e, "INSERT OR IGNORE INTO issuers (key, fold, name) VALUES (?, ?, ?)",
		"ttt", key, fold, name) < 0)
		return -1;
	return isq_one(h, e, id, NULL, "SELECT id FROM issuers WHERE key = ?", "t", key) < 0 ?
	    -1 : 0;
}

static int insert_result(struct idx *h, const struct intake *in, json_t *obj,
    const char *reuse_of, int64_t *rowid, struct err *e)
{
	int64_t issuer_id = 0;
	if (isq_issuer_id(h, in->issuer_key, in->issuer_fold, in->issuer, &issuer_id, e) < 0)
		return -1;
	char *json = json_dumps(obj, JSON_COMPACT);
	if (json == NULL)
		fatalx("out of memory");
	int rc = isq_exec(h, e, "INSERT INTO results (id, json, received_at, kind, pages,"
	    " number_key, issuer_id, type_key, date, reuse_of, review)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ttttitnttti", in->id, json, in->received_at, in->kind, (int64_t)in->pages,
	    in->number_key, issuer_id, in->type_key, in->date, reuse_of,
	    (int64_t)json_is_true(json_object_get(obj, "review")));
	free(json);
	*rowid = sqlite3_last_insert_rowid(h->db);
	if (rc == 0 && reuse_of != NULL)
		rc = isq_exec(h, e, "UPDATE results SET reuse_count = reuse_count + 1 WHERE id = ?",
		    "t", reuse_of);
	return rc;
}

/* One row a non-null field; strings as they are, other values as JSON. */
int isq_insert_fields(struct idx *h, const char *id, json_t *result, struct err *e)
{
	const char *name;
	json_t *v;
	json_object_foreach(json_object_get(result, "fields"), name, v) {
		if (json_is_null(v))
			continue;
		char *dump = json_is_string(v) ? NULL
		    : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		int rc = isq_exec(h, e, "INSERT INTO fields VALUES (?, ?, ?)", "ttt", id, name,
		    dump != NULL ? dump : json_string_value(v));
		free(dump);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Kind of owner identifier (standards §3), NULL if it is none we know. */
static const char *owner_kind(const char *v, int tax)
{
	if (tax)
		return digits(v, 10) || (strlen(v) == 14 && strspn(v, "0123456789") == 10 &&
		    v[10] == '-' && digits(v + 11, 3)) ? "mst" : NULL;
	if (digits(v, 12))
		return "cccd";
	if (digits(v, 9))
		return "cmnd";
	size_t n = strlen(v);
	return (n == 8 || n == 9) && v[0] >= 'A' && v[0] <= 'Z' && digits(v + 1, n - 1)
	    ? "passport" : NULL;
}

int isq_insert_owners(struct idx *h, const char *id, json_t *result, struct err *e)
{
	const char *names[2] = { "citizen_id", "tax_code" };
	for (int i = 0; i < 2; i++) {
		const char *v = isq_field_str(result, names[i]);
		const char *kind = v != NULL ? owner_kind(v, i) : NULL;
		if (v != NULL && kind == NULL)
			log_debug("index: %s %s of %.12s is no known identifier; no owner row",
			    names[i], v, id);
		if (kind != NULL && isq_exec(h, e, "INSERT OR IGNORE INTO owners VALUES (?, ?, ?)",
			"ttt", v, kind, id) < 0)
			return -1;
	}
	return 0;
}

static int insert_owners_blobs(struct idx *h, const struct index_commit *c, const char *id,
    struct err *e)
{
	if (isq_insert_owners(h, id, c->result, e) < 0)
		return -1;
	for (int k = 0; k < BLOB_KINDS; k++)
		if (c->blob_sha[k] != NULL && isq_exec(h, e, "INSERT INTO blobs VALUES (?, ?, ?)",
			"ttt", id, blob_kind_name(k), c->blob_sha[k]) < 0)
			return -1;
	return 0;
}

/* NFC, so that the tokenizer sees precomposed letters (it splits at marks). */
static char *nfc(const char *s)
{
	char *out = s != NULL ? (char *)utf8proc_NFC((const utf8proc_uint8_t *)s) : NULL;
	return out != NULL || s == NULL ? out : xstrdup(s);
}

/*
 * The full-text row: the text and fields as they are, then folded. The table
 * is contentless, so a row is deleted by giving FTS5 the very values it was
 * inserted with (del = 1, from the object stored with them).
 */
int isq_fts_row(struct idx *h, int64_t rowid, json_t *result, int del, struct err *e)
{
	char *val[2 * (FTS_FIELDS + 1)];
	val[0] = nfc(json_string_value(json_object_get(result, "text")));
	for (int i = 0; i < FTS_FIELDS; i++)
		val[i + 1] = nfc(isq_field_str(result, fts_fields[i]));
	for (int i = 0; i <= FTS_FIELDS; i++)
		val[FTS_FIELDS + 1 + i] = text_fold(val[i]);
	sqlite3_stmt *st = isq_prep(h, e, "INSERT INTO fts (fts, rowid, text, type, number,"
	    " issuer, subject, signer, applicant, procedure, text_f, type_f, number_f, issuer_f,"
	    " subject_f, signer_f, applicant_f, procedure_f)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ti",
	    del ? "delete" : NULL, rowid);
	int rc = st != NULL ? 0 : -1;
	for (int i = 0; i < 2 * (FTS_FIELDS + 1); i++) {
		if (rc == 0 && sqlite3_bind_text(st, i + 3, val[i], -1, SQLITE_TRANSIENT))
			rc = -1;
		free(val[i]);
	}
	if (rc == 0)
		rc = isq_step(h, st, e);
	else if (st != NULL)
		err_set(e, "index: %s", sqlite3_errmsg(h->db));
	sqlite3_finalize(st);
	return rc;
}

/*
 * The later parts of a dossier's scan (the documents after its receipt) have
 * result codes of their own, handed out from the dossier's counter as the
 * top-level one is and written into obj's parts[]. Only the top-level code
 * is linked: the index links a result to a dossier once.
 */
static int part_codes(struct idx *h, const struct intake *in, json_t *obj, struct err *e)
{
	json_t *p;
	size_t i;
	json_array_foreach(json_object_get(obj, "parts"), i, p) {
		char *code = NULL;
		int64_t n = 0;
		if (i == 0)
			continue;
		if (code_take(h, in, json_string_value(json_object_get(p, "result_code")), &n,
			&code, e) < 0)
			return -1;
		json_object_set_new(p, "result_code", json_string(code));
		free(code);
	}
	return 0;
}

/* A result not filed before, perhaps the same document as one that was. */
static int commit_new(struct idx *h, const struct index_commit *c, const struct intake *in,
    struct index_outcome *out, struct err *e)
{
	int rc = -1;
	int64_t n = 0, rowid = 0;
	char *reuse_of = NULL, *code = NULL, *detail = NULL;
	json_t *obj = json_deep_copy(c->result);
	if (find_same_document(h, in, &reuse_of, e) < 0)
		goto out;
	if (in->dossier != NULL && code_take(h, in, json_string_value(json_object_get(c->result,
		"result_code")), &n, &code, e) < 0)
		goto out;
	json_object_set_new(obj, "result_code", code != NULL ? json_string(code) : json_null());
	if (code != NULL && part_codes(h, in, obj, e) < 0)
		goto out;
	json_object_set_new(obj, "reused", json_boolean(reuse_of != NULL));
	if (reuse_of != NULL)
		json_object_set_new(obj, "reuse_of", json_string(reuse_of));
	else
		json_object_del(obj, "reuse_of");
	if (insert_result(h, in, obj, reuse_of, &rowid, e) < 0 ||
	    isq_insert_fields(h, in->id, c->result, e) < 0 ||
	    insert_owners_blobs(h, c, in->id, e) < 0 ||
	    isq_fts_row(h, rowid, c->result, 0, e) < 0)
		goto out;
	if (code != NULL && link_insert(h, in, n, code, 0, e) < 0)
		goto out;
	detail = detail_json(json_pack("{s:O?, s:O?}", "result_code",
	    json_object_get(obj, "result_code"), "reuse_of", json_object_get(obj, "reuse_of")));
	if (isq_audit_add(h, in->actor, "commit", in->id, detail, e) < 0)
		goto out;
	out->result = obj;
	obj = NULL;
	rc = 0;
out:
	json_decref(obj);
	free(reuse_of);
	free(code);
	free(detail);
	return rc;
}

/* 1 when this spool job was filed before: *out is what it filed. */
static int replayed(struct idx *h, const char *intake, struct index_outcome *out, struct err *e)
{
	char *id = NULL;
	if (intake == NULL)
		return 0;
	if (isq_one(h, e, NULL, &id, "SELECT result_id FROM intakes WHERE job = ?", "t",
		intake) < 0)
		return -1;
	if (id == NULL)
		return 0;
	int rc = isq_load_one(h, ISQ_BY_ID_SQL, id, &out->result, e);
	free(id);
	out->duplicate = 1;
	return rc < 0 ? -1 : 1;
}

int isq_commit(void *handle, const struct index_commit *c, struct index_outcome *out,
    struct err *e)
{
	struct idx *h = handle;
	struct intake in = { 0 };
	int64_t found = 0;
	int rc = -1;
	out->result = NULL;
	out->duplicate = 0;
	if (intake_read(c, &in, e) < 0 || isq_tx_begin(h, e) < 0)
		goto out;
	rc = replayed(h, c->intake, out, e);
	if (rc == 0 && isq_one(h, e, &found, NULL, "SELECT count(*) FROM results WHERE id = ?",
		"t", in.id) < 0)
		rc = -1;
	if (rc == 0)
		rc = found ? commit_reuse(h, &in, out, e) : commit_new(h, c, &in, out, e);
	if (rc == 0 && c->intake != NULL)
		rc = isq_exec(h, e, "INSERT INTO intakes VALUES (?, ?, ?)", "ttt", c->intake, in.id,
		    in.now);
	rc = isq_tx_end(h, rc < 0 ? -1 : 0, e);
	if (rc < 0) {
		err_prefix(e, "result %.12s… not filed", in.id);
		json_decref(out->result);
		out->result = NULL;
		out->duplicate = 0;
	}
out:
	intake_free(&in);
	return rc;
}

/* ---- disposal, gc, outside events ------------------------------------------ */

/* The result id of a result id or result code: 1, 0 (none) or -1. */
static int resolve_id(struct idx *h, const char *key, char **id, struct err *e)
{
	return isq_one(h, e, NULL, id, "SELECT id FROM results WHERE id = ?1 UNION ALL"
	    " SELECT result_id FROM links WHERE result_code = ?1 LIMIT 1", "t", key);
}

/* Resolves key and reads its disposal: 1 found, 0 not (e says so), -1 error. */
static int find_for_change(struct idx *h, const char *key, char **id, int64_t *disposed,
    struct err *e)
{
	int rc = resolve_id(h, key, id, e);
	if (rc == 0)
		err_set(e, "no result '%s' in the archive (give a result id or result code)", key);
	if (rc == 1 && isq_one(h, e, disposed, NULL, "SELECT disposed FROM results WHERE id = ?",
		"t", *id) < 0)
		rc = -1;
	return rc;
}

int isq_dispose(void *handle, const char *key, const char *reason, const char *actor,
    struct err *e)
{
	struct idx *h = handle;
	char *id = NULL, *detail = NULL, now[32];
	int64_t disposed = 0;
	int rc = -1;
	if (reason == NULL || reason[strspn(reason, " \t\r\n")] == '\0') {
		err_set(e, "disposal needs a reason (the decision that allows it)");
		return -1;
	}
	if (isq_tx_begin(h, e) < 0)
		return -1;
	if (find_for_change(h, key, &id, &disposed, e) != 1)
		goto out;
	if (disposed) {
		err_set(e, "result %s is already disposed", key);
		goto out;
	}
	time_iso8601_vn(time(NULL), now);
	detail = detail_json(json_pack("{s:s}", "reason", reason));
	if (isq_exec(h, e, "UPDATE results SET disposed = 1, disposed_reason = ?, disposed_at = ?"
		" WHERE id = ?", "ttt", reason, now, id) < 0 ||
	    isq_audit_add(h, actor, "dispose", id, detail, e) < 0)
		goto out;
	rc = 0;
out:
	free(id);
	free(detail);
	return isq_tx_end(h, rc, e);
}

int isq_forget_blobs(void *handle, const char *key, const char *actor, struct err *e)
{
	struct idx *h = handle;
	char *id = NULL, *detail = NULL;
	int64_t disposed = 0;
	int rc = -1;
	if (isq_tx_begin(h, e) < 0)
		return -1;
	if (find_for_change(h, key, &id, &disposed, e) != 1)
		goto out;
	if (!disposed) {
		err_set(e, "result %s is not disposed; its files are kept", key);
		goto out;
	}
	int64_t kept = 0;
	if (isq_exec(h, e, "DELETE FROM blob_versions WHERE result_id = ?", "t", id) < 0)
		goto out;
	kept = sqlite3_changes(h->db);
	if (isq_exec(h, e, "DELETE FROM blobs WHERE result_id = ?", "t", id) < 0)
		goto out;
	detail = detail_json(json_pack("{s:I}", "blobs",
	    (json_int_t)(kept + sqlite3_changes(h->db))));
	rc = isq_audit_add(h, actor, "gc", id, detail, e);
out:
	free(id);
	free(detail);
	return isq_tx_end(h, rc, e);
}

int isq_audit_append(void *handle, const char *actor, const char *action,
    const char *result_id, const char *detail, struct err *e)
{
	struct idx *h = handle;
	if (action == NULL || *action == '\0') {
		err_set(e, "an audit record needs an action");
		return -1;
	}
	if (isq_tx_begin(h, e) < 0)
		return -1;
	return isq_tx_end(h, isq_audit_add(h, actor, action, result_id, detail, e), e);
}

int isq_audit_append_many(void *handle, const struct audit_entry *v, size_t n,
    struct err *e)
{
	struct idx *h = handle;
	int rc = 0;
	if (isq_tx_begin(h, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = isq_audit_add(h, v[i].actor, v[i].action, v[i].result_id, v[i].detail, e);
	return isq_tx_end(h, rc, e);
}

int isq_audit_verify(void *handle, json_t **report, struct err *e)
{
	struct idx *h = handle;
	struct chain c = { 0 };
	int rc = -1;
	*report = NULL;
	memcpy(c.prev, zero_hash, sizeof(c.prev));
	if (isq_exec(h, e, "BEGIN", "") < 0)
		return -1;
	sqlite3_stmt *st = isq_prep(h, e, "SELECT seq, time, actor, action, result_id, detail,"
	    " prev_hash, hash FROM audit ORDER BY seq", "");
	if (st == NULL)
		goto out;
	while ((rc = isq_step(h, st, e)) == 1)
		chain_check(&c, st);
	sqlite3_finalize(st);
	if (rc < 0 || chain_head(h, &c, e) < 0)
		goto out;
	*report = json_pack("{s:I, s:b, s:o, s:s?}", "records", (json_int_t)c.n,
	    "ok", c.broken_at == 0,
	    "broken_at", c.broken_at ? json_integer(c.broken_at) : json_null(),
	    "reason", c.reason);
	rc = 0;
out:
	return isq_tx_end(h, rc < 0 ? -1 : 0, e);
}
