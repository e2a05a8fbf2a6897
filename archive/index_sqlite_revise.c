/*
 * The SQLite index, revising a filed result (sohoa review): in one
 * transaction the stored object is replaced by its next version, with
 * everything computed from it (search keys, review flag, fields, owners, the
 * full-text row); the XML blob it replaces stays referred to in
 * blob_versions; an audit record "review" is appended.
 * Design: docs/internals/review.md.
 */
#include "archive/index_sqlite.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What is filed now for the result being revised. */
struct current {
	int64_t rowid, disposed;
	json_t *json;     /* the stored object; owned */
	char *xml_sha;    /* its XML blob, NULL when none; owned */
};

static void current_free(struct current *c)
{
	json_decref(c->json);
	free(c->xml_sha);
}

static int current_load(struct idx *h, const char *id, struct current *c, struct err *e)
{
	json_error_t je;
	sqlite3_stmt *st = isq_prep(h, e, "SELECT rowid, disposed, json FROM results WHERE id = ?",
	    "t", id);
	int rc = st != NULL ? isq_step(h, st, e) : -1;
	if (rc == 0)
		err_set(e, "no result %s in the archive", id);
	if (rc == 1) {
		c->rowid = sqlite3_column_int64(st, 0);
		c->disposed = sqlite3_column_int64(st, 1);
		c->json = json_loads((const char *)sqlite3_column_text(st, 2), 0, &je);
		if (c->json == NULL)
			err_set(e, "index: the stored result is not valid JSON: %s", je.text);
	}
	sqlite3_finalize(st);
	if (rc != 1 || c->json == NULL)
		return -1;
	return isq_one(h, e, NULL, &c->xml_sha, "SELECT sha256 FROM blobs"
	    " WHERE result_id = ? AND kind = 'xml'", "t", id) < 0 ? -1 : 0;
}

static json_int_t version_of(json_t *r)
{
	json_t *v = json_object_get(r, "version");
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 1;
}

/* A revision follows the version it was made from, and nothing else. */
static int check_base(const struct current *c, json_t *next, struct err *e)
{
	json_int_t filed = version_of(c->json), base = version_of(next) - 1;
	if (c->disposed) {
		err_set(e, "it is disposed");
		return -1;
	}
	if (filed != base) {
		err_temporary(e, "it was revised meanwhile (version %lld is filed, this revision "
		    "was made from version %lld); look at it again", (long long)filed,
		    (long long)base);
		return -1;
	}
	return 0;
}

static int keep_xml(struct idx *h, const char *id, const struct current *c, const char *sha,
    struct err *e)
{
	char now[32];
	time_iso8601_vn(time(NULL), now);
	if (c->xml_sha != NULL && isq_exec(h, e, "INSERT INTO blob_versions VALUES"
		" (?, 'xml', ?, ?, ?)", "titt", id, (int64_t)version_of(c->json), c->xml_sha, now) < 0)
		return -1;
	return isq_exec(h, e, "INSERT INTO blobs VALUES (?, 'xml', ?) ON CONFLICT (result_id, kind)"
	    " DO UPDATE SET sha256 = excluded.sha256", "tt", id, sha);
}

/* The row and its search keys, as commit computes them. */
static int update_row(struct idx *h, const char *id, json_t *next, struct err *e)
{
	const char *issuer = isq_field_str(next, "issuer"), *date = isq_field_str(next, "date");
	char *number_key = isq_text_key(isq_field_str(next, "number"));
	char *issuer_key = isq_text_key(issuer), *issuer_fold = isq_fold_key(issuer);
	char *type_key = isq_text_key(isq_field_str(next, "type"));
	char *json = json_dumps(next, JSON_COMPACT);
	int64_t issuer_id = 0;
	if (json == NULL)
		fatalx("out of memory");
	int rc = isq_issuer_id(h, issuer_key, issuer_fold, issuer, &issuer_id, e);
	if (rc == 0)
		rc = isq_exec(h, e, "UPDATE results SET json = ?, number_key = ?, issuer_id = ?,"
		    " type_key = ?, date = ?, review = ? WHERE id = ?", "ttnttit", json, number_key,
		    issuer_id, type_key, date != NULL && iso_date_valid(date) ? date : NULL,
		    (int64_t)json_is_true(json_object_get(next, "review")), id);
	free(json);
	free(number_key);
	free(issuer_key);
	free(issuer_fold);
	free(type_key);
	return rc;
}

static int reindex(struct idx *h, const char *id, const struct current *c, json_t *next,
    struct err *e)
{
	if (isq_exec(h, e, "DELETE FROM fields WHERE result_id = ?", "t", id) < 0 ||
	    isq_exec(h, e, "DELETE FROM owners WHERE result_id = ?", "t", id) < 0 ||
	    isq_insert_fields(h, id, next, e) < 0 || isq_insert_owners(h, id, next, e) < 0 ||
	    isq_fts_row(h, c->rowid, c->json, 1, e) < 0 || isq_fts_row(h, c->rowid, next, 0, e) < 0)
		return -1;
	return 0;
}

int isq_revise(void *handle, const struct index_revision *r, struct err *e)
{
	struct idx *h = handle;
	struct current c = { 0 };
	const char *id = json_string_value(json_object_get(r->result, "id"));
	int rc = -1;
	if (id == NULL || !isq_is_hex64(id) || r->xml_sha == NULL || !isq_is_hex64(r->xml_sha)) {
		err_set(e, "a revision needs the result's id and its XML's sha256, 64 lowercase hex "
		    "digits each");
		return -1;
	}
	if (isq_tx_begin(h, e) < 0)
		return -1;
	if (current_load(h, id, &c, e) < 0 || check_base(&c, r->result, e) < 0 ||
	    keep_xml(h, id, &c, r->xml_sha, e) < 0 || update_row(h, id, r->result, e) < 0 ||
	    reindex(h, id, &c, r->result, e) < 0 ||
	    isq_audit_add(h, r->actor, "review", id, r->detail, e) < 0)
		goto out;
	rc = 0;
out:
	current_free(&c);
	rc = isq_tx_end(h, rc, e);
	if (rc < 0)
		err_prefix(e, "result %.12s… not revised", id);
	return rc;
}
