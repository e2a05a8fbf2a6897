/*
 * The SQLite index, changed: the same 1000 results filed, then reuse, disposal,
 * a failed commit rolled back, the stats that count them, the audit chain that
 * records them, and schema versions. The tests run in order and build on each
 * other's changes. Searches and lookups alone: test_index.c.
 */
#include "index_fixtures.h"

/* ---- changes: reuse, disposal, rollback ------------------------------------- */

static long reuses, extra_results, extra_pages; /* what commit_extra filed */

/* Result i again under another id (salt), dossier and number (NULL: keep). */
static json_t *variant(int i, unsigned salt, const char *dossier, const char *number)
{
	json_t *r = result_of(i), *f = json_object_get(r, "fields");
	char id[65];
	fake_sha((unsigned)i, salt, id);
	json_object_set_new(r, "id", json_string(id));
	json_object_set_new(f, "dossier_code", dossier ? json_string(dossier) : json_null());
	if (number != NULL)
		json_object_set_new(f, "number", json_string(number));
	return r;
}

/* Commits r (which it takes), keeps the counters; the outcome's result. */
static json_t *commit_extra(json_t *r, int want_dup)
{
	struct err e = { 0 };
	struct index_outcome out;
	if (commit_json(r, NULL, &out, &e) < 0)
		fail_msg("commit: %s", e.msg);
	assert_int_equal(out.duplicate, want_dup);
	int reused = json_is_true(json_object_get(out.result, "reused"));
	assert_true(!want_dup || reused);
	commits++;
	audits++;
	reuses += reused;
	if (!want_dup) {
		extra_results++;
		extra_pages += json_integer_value(json_object_get(r, "pages"));
	}
	json_decref(r);
	return out.result;
}

#define D1 "000.00.12.H29-250101-0001"
#define D2 "000.00.12.H29-250101-0002"
#define D9 "000.00.12.H29-250101-0009"

static void same_bytes_twice_is_one_result_reused(void **state)
{
	(void)state;
	json_t *r = commit_extra(variant(500, 10, D1, "9001/QĐ-UBND"), 0);
	char id[65];
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
	assert_string_equal(code_of(r), D1 "-KQ1");
	assert_true(json_is_false(json_object_get(r, "reused")));
	json_decref(r);
	const char *dossiers[] = { D1, D2, NULL }, *codes[] = { D1 "-KQ1", D2 "-KQ1", D1 "-KQ1" };
	for (int k = 0; k < 3; k++) {
		r = commit_extra(variant(500, 10, dossiers[k], "9001/QĐ-UBND"), 1);
		assert_string_equal(code_of(r), codes[k]);
		json_decref(r);
		assert_int_equal(raw("SELECT count(*) * 100 + sum(reuse_count) FROM results"
		    " WHERE id = '%s'", id), 101 + k);
	}
	json_t *arr = dossier(D2);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(code_of(json_array_get(arr, 0)), D2 "-KQ1");
	assert_true(json_is_true(json_object_get(json_array_get(arr, 0), "reused")));
	json_decref(arr);
	assert_non_null(r = get(id));
	assert_string_equal(code_of(r), D1 "-KQ1");
	assert_true(json_is_false(json_object_get(r, "reused")));
	json_decref(r);
}

#define D7 "000.00.12.H29-250101-0007"

static char *reserve(const char *dossier_code)
{
	struct err e = { 0 };
	char *code = NULL;
	if (ix->reserve_code(h, dossier_code, &code, &e) < 0)
		fail_msg("reserve: %s", e.msg);
	return code;
}

/* A code reserved before signing is the one filed; a stale or foreign one is not. */
static void reserved_codes_are_filed_under(void **state)
{
	(void)state;
	char *k1 = reserve(D7), *k2 = reserve(D7);
	assert_string_equal(k1, D7 "-KQ1");
	assert_string_equal(k2, D7 "-KQ2");
	json_t *r = variant(510, 11, D7, "9101/QĐ-UBND");
	json_object_set_new(r, "result_code", json_string(k2));
	json_t *filed = commit_extra(r, 0);
	assert_string_equal(code_of(filed), D7 "-KQ2");
	json_decref(filed);
	/* KQ2 is taken, KQ9 was never handed out, D1's code is not D7's: new codes. */
	const char *claims[] = { D7 "-KQ2", D7 "-KQ9", D1 "-KQ1" };
	const char *wanted[] = { D7 "-KQ3", D7 "-KQ4", D7 "-KQ5" };
	for (int k = 0; k < 3; k++) {
		r = variant(511 + k, 11, D7, "9102/QĐ-UBND");
		json_object_set_new(r, "result_code", json_string(claims[k]));
		filed = commit_extra(r, 0);
		assert_string_equal(code_of(filed), wanted[k]);
		json_decref(filed);
	}
	/* KQ1 was reserved and never used: a gap, still fileable later. */
	r = variant(520, 11, D7, "9103/QĐ-UBND");
	json_object_set_new(r, "result_code", json_string(k1));
	filed = commit_extra(r, 0);
	assert_string_equal(code_of(filed), D7 "-KQ1");
	json_decref(filed);
	free(k1);
	free(k2);
}

static void same_document_other_bytes_is_reuse_of(void **state)
{
	(void)state;
	json_t *r = commit_extra(variant(600, 11, NULL, NULL), 0);
	assert_true(json_is_true(json_object_get(r, "reused")));
	assert_string_equal(json_string_value(json_object_get(r, "reuse_of")), g[600].id);
	assert_int_equal(raw("SELECT count(*) FROM results WHERE reuse_of = '%s' AND id = '%s'",
	    g[600].id, json_string_value(json_object_get(r, "id"))), 1);
	assert_int_equal(raw("SELECT reuse_count FROM results WHERE id = '%s'", g[600].id), 1);
	json_decref(r);
	char *lower = casefold(g[601].number); /* the key ignores case, Vietnamese too */
	r = commit_extra(variant(601, 12, NULL, lower), 0);
	free(lower);
	assert_string_equal(json_string_value(json_object_get(r, "reuse_of")), g[601].id);
	json_decref(r);
	r = commit_extra(variant(602, 13, NULL, "9602/QĐ-UBND"), 0);
	assert_true(json_is_false(json_object_get(r, "reused")));
	assert_null(json_object_get(r, "reuse_of"));
	json_decref(r);
}

struct refcount {
	const char *id;
	int n, of_id, disposed;
};

static int count_refs(void *arg, const char *sha, const char *result_id, int disposed)
{
	struct refcount *c = arg;
	(void)sha;
	c->n++;
	c->of_id += strcmp(result_id, c->id) == 0;
	c->disposed += disposed;
	return 0;
}

static void dispose_keeps_codes_and_hides_from_search(void **state)
{
	(void)state;
	struct err e = { 0 };
	int k = -1;
	for (int i = 0; i < N; i++)
		if (strcmp(g[i].dossier, g[0].dossier) == 0)
			k = i;
	assert_int_equal(ix->dispose(h, g[k].code, "hết thời hạn bảo quản", "test", &e), 0);
	g[k].disposed = 1;
	audits++;
	Q(.dossier = g[0].dossier);
	assert_int_equal(Q(.text = g[k].word), 0);
	json_t *r = get(g[k].code);
	assert_true(json_is_true(json_object_get(r, "disposed")));
	assert_string_equal(json_string_value(json_object_get(r, "disposed_reason")),
	    "hết thời hạn bảo quản");
	json_decref(r);
	assert_int_equal(ix->dispose(h, g[k].id, "again", "test", &e), -1);
	assert_non_null(strstr(e.msg, "already"));
	assert_int_equal(ix->dispose(h, "000.00.12.H29-240129-0001-KQ99", "x", "test", &e), -1);
	assert_non_null(strstr(e.msg, "no result"));
	assert_int_equal(ix->dispose(h, g[1].id, " ", "test", &e), -1);
	r = commit_extra(variant(700, 14, g[0].dossier, "9700/QĐ-UBND"), 0);
	char want[64];
	snprintf(want, sizeof(want), "%s-KQ%d", g[0].dossier, dossier_count[0] + 1);
	assert_string_equal(code_of(r), want); /* the disposed one's n is not given again */
	json_decref(r);
	struct index_outcome out;
	json_t *again = result_of(k);
	assert_int_equal(commit_json(again, g[k].pdf, &out, &e), -1);
	assert_non_null(strstr(e.msg, "disposed"));
	json_decref(again);
	r = commit_extra(variant(k, 15, NULL, NULL), 0); /* a disposed original is not reused */
	assert_true(json_is_false(json_object_get(r, "reused")));
	json_decref(r);
	assert_int_equal(ix->forget_blobs(h, g[1].id, "fsck", &e), -1);
	struct refcount c = { g[k].id, 0, 0, 0 };
	assert_int_equal(ix->blob_refs(h, count_refs, &c, &e), 0);
	assert_int_equal(c.of_id, 2);
	assert_int_equal(c.disposed, 2);
	assert_int_equal(ix->forget_blobs(h, g[k].id, "fsck", &e), 0);
	audits++;
	int before = c.n;
	c = (struct refcount){ g[k].id, 0, 0, 0 };
	assert_int_equal(ix->blob_refs(h, count_refs, &c, &e), 0);
	assert_int_equal(c.n, before - 2);
	assert_int_equal(c.of_id + c.disposed, 0);
	assert_int_equal(c.n, 2 * N - 2 + extra_results);
}

static void failed_commit_leaves_nothing(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct index_outcome out;
	json_t *r = variant(800, 16, D9, "9800/QĐ-UBND");
	const char *id = json_string_value(json_object_get(r, "id"));
	json_t *f = json_object_get(r, "fields");
	json_object_set_new(f, "citizen_id", json_string("001099012345"));
	json_t *noid = json_deep_copy(r);
	json_object_del(noid, "id");
	assert_int_equal(commit_json(noid, NULL, &out, &e), -1);
	assert_non_null(strstr(e.msg, "\"id\""));
	assert_null(out.result);
	json_decref(noid);
	assert_int_equal(commit_json(r, "not-a-sha", &out, &e), -1);
	long long before = raw("SELECT (SELECT count(*) FROM results) * 1000000 + "
	    "(SELECT count(*) FROM audit) * 1000 + (SELECT count(*) FROM dossiers)");
	raw("CREATE TRIGGER fail BEFORE INSERT ON audit WHEN NEW.result_id = '%s'"
	    " BEGIN SELECT RAISE(ABORT, 'injected failure'); END", id); /* the last step fails */
	assert_int_equal(commit_json(r, NULL, &out, &e), -1);
	assert_non_null(strstr(e.msg, "injected failure"));
	assert_null(out.result);
	assert_int_equal(raw("SELECT (SELECT count(*) FROM results) * 1000000 + "
	    "(SELECT count(*) FROM audit) * 1000 + (SELECT count(*) FROM dossiers)"), before);
	assert_int_equal(raw("SELECT count(*) FROM fields WHERE result_id = '%s'", id), 0);
	assert_int_equal(raw("SELECT count(*) FROM blobs WHERE result_id = '%s'", id), 0);
	assert_int_equal(raw("SELECT count(*) FROM owners WHERE value = '%s'", "001099012345"), 0);
	assert_int_equal(raw("SELECT count(*) FROM links WHERE dossier_code = '%s'", D9), 0);
	assert_int_equal(raw("SELECT count(*) FROM fts WHERE fts MATCH '%s'", "zq00800q"), 1);
	assert_null(get(id));
	raw("DROP TRIGGER fail");
	json_t *filed = commit_extra(r, 0);
	assert_string_equal(code_of(filed), D9 "-KQ1"); /* the failed try took no number */
	json_decref(filed);
	assert_int_equal(raw("SELECT count(*) FROM owners WHERE value = '%s'", "001099012345"), 1);
}

static void stats_count_intake_and_reuse(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *s = NULL;
	long pages = extra_pages;
	for (int i = 0; i < N; i++)
		pages += 1 + i % 4;
	assert_int_equal(ix->stats(h, &s, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "results")), N + extra_results);
	assert_int_equal(json_integer_value(json_object_get(s, "pages")), pages);
	assert_int_equal(json_integer_value(json_object_get(s, "disposed")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "dossiers")), DOSSIERS + 4);
	assert_int_equal(json_integer_value(json_object_get(s, "commits")), commits);
	assert_int_equal(json_integer_value(json_object_get(s, "reuses")), reuses);
	assert_true(reuses == 5 && commits == N + extra_results + 3);
	double rate = json_real_value(json_object_get(s, "reuse_rate"));
	assert_true(rate > 0 && rate < 1 && rate * commits > reuses - 1e-9 &&
	    rate * commits < reuses + 1e-9);
	json_t *kinds = json_object_get(s, "by_kind");
	assert_int_equal(json_integer_value(json_object_get(kinds, "document")) +
	    json_integer_value(json_object_get(kinds, "receipt")), N + extra_results);
	const char *first = json_string_value(json_object_get(s, "first_received"));
	const char *last = json_string_value(json_object_get(s, "last_received"));
	assert_string_equal(first, g[0].received);
	assert_string_equal(last, g[N - 1].received);
	json_decref(s);
}

/* ---- revision after review ---------------------------------------------------- */

static size_t found(const struct archive_query *q, const char *id)
{
	struct err e = { 0 };
	json_t *res = NULL, *r;
	size_t i, n = 0;
	assert_int_equal(ix->search(h, q, &res, &e), 0);
	json_array_foreach(res, i, r)
		n += strcmp(json_string_value(json_object_get(r, "id")), id) == 0;
	json_decref(res);
	return n;
}

/* Version n + 1 of r (which it takes): number, tax code and review changed. */
static json_t *next_version(json_t *r, int n, const char *number)
{
	json_t *f = json_object_get(r, "fields");
	json_object_set_new(f, "number", json_string(number));
	json_object_set_new(f, "tax_code", json_string("0312345675"));
	json_object_set_new(r, "review", json_boolean(n == 1));
	json_object_set_new(r, "version", json_integer(n + 1));
	return r;
}

static void revision_follows_the_version_filed(void **state)
{
	(void)state;
	struct err e = { 0 };
	char xml[3][65], id[65];
	json_t *r = commit_extra(variant(810, 17, NULL, "9810/QĐ-UBND"), 0);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
	for (int k = 0; k < 3; k++)
		fake_sha(810, 20 + (unsigned)k, xml[k]);
	struct index_revision rv = { .result = next_version(r, 1, "9811/QĐ-UBND"),
		.xml_sha = xml[0], .actor = "test:review", .detail = "{}" };
	assert_int_equal(ix->revise(h, &rv, &e), 0);
	audits++;
	assert_int_equal(found(&(struct archive_query){ .number = "9811/qđ-ubnd" }, id), 1);
	assert_int_equal(found(&(struct archive_query){ .number = "9810/QĐ-UBND" }, id), 0);
	assert_int_equal(found(&(struct archive_query){ .text = "9810" }, id), 0);
	assert_int_equal(found(&(struct archive_query){ .text = "9811" }, id), 1);
	assert_int_equal(found(&(struct archive_query){ .citizen_id = "0312345675" }, id), 1);
	assert_int_equal(found(&(struct archive_query){ .review = 1, .limit = 10000 }, id), 1);
	e.temporary = 0;
	assert_int_equal(ix->revise(h, &rv, &e), -1); /* made from version 1, but 2 is filed */
	assert_true(e.temporary);
	assert_non_null(strstr(e.msg, "revised meanwhile"));
	rv.result = next_version(rv.result, 2, "9812/QĐ-UBND");
	rv.xml_sha = xml[1];
	assert_int_equal(ix->revise(h, &rv, &e), 0);
	audits++;
	assert_int_equal(found(&(struct archive_query){ .review = 1, .limit = 10000 }, id), 0);
	assert_int_equal(raw("SELECT count(*) FROM blob_versions WHERE result_id = '%s'"
	    " AND version = 2 AND sha256 = '%s'", id, xml[0]), 1);
	assert_int_equal(raw("SELECT count(*) FROM blobs WHERE result_id = '%s'"
	    " AND kind = 'xml' AND sha256 = '%s'", id, xml[1]), 1);
	assert_int_equal(raw("SELECT count(*) FROM audit WHERE action = 'review'"
	    " AND result_id = '%s'", id), 2);
	json_decref(rv.result);
}

/* ---- the audit chain --------------------------------------------------------- */

static json_t *verify(void)
{
	struct err e = { 0 };
	json_t *rep = NULL;
	if (ix->audit_verify(h, &rep, &e) < 0)
		fail_msg("verify: %s", e.msg);
	return rep;
}

static void expect_broken(long long at, const char *reason)
{
	json_t *rep = verify();
	assert_true(json_is_false(json_object_get(rep, "ok")));
	assert_int_equal(json_integer_value(json_object_get(rep, "broken_at")), at);
	const char *why = json_string_value(json_object_get(rep, "reason"));
	if (why == NULL || strstr(why, reason) == NULL)
		fail_msg("reason '%s', expected '%s'", why ? why : "(null)", reason);
	json_decref(rep);
}

static void expect_intact(void)
{
	json_t *rep = verify();
	assert_true(json_is_true(json_object_get(rep, "ok")));
	assert_int_equal(json_integer_value(json_object_get(rep, "records")), audits);
	assert_true(json_is_null(json_object_get(rep, "broken_at")));
	json_decref(rep);
}

static void audit_chain_catches_edits_and_deletions(void **state)
{
	(void)state;
	struct err e = { 0 };
	assert_int_equal(ix->audit_append(h, "cli:get", "access", g[1].id, "pdf", &e), 0);
	assert_int_equal(ix->audit_append(h, "cli:export", "export", NULL, NULL, &e), 0);
	audits += 2;
	expect_intact();
	assert_int_equal(raw("SELECT count(*) FROM audit"), audits);
	raw("CREATE TABLE saved AS SELECT * FROM audit");
	raw("UPDATE audit SET detail = 'edited' WHERE seq = 500");
	expect_broken(500, "hash mismatch");
	raw("UPDATE audit SET detail = (SELECT detail FROM saved WHERE seq = 500) WHERE seq = 500");
	expect_intact();
	raw("UPDATE audit SET actor = 'someone-else' WHERE seq = 2");
	expect_broken(2, "hash mismatch");
	raw("UPDATE audit SET actor = 'test:index' WHERE seq = 2");
	raw("DELETE FROM audit WHERE seq = 700");
	expect_broken(701, "sequence gap");
	raw("INSERT INTO audit SELECT * FROM saved WHERE seq = 700");
	expect_intact();
	raw("DELETE FROM audit WHERE seq = 301; UPDATE audit SET seq = 1 - seq WHERE seq > 301;"
	    " UPDATE audit SET seq = -seq WHERE seq < 0"); /* deleted, the rest renumbered */
	expect_broken(301, "prev_hash mismatch");
	raw("DELETE FROM audit WHERE seq > 300; INSERT INTO audit SELECT * FROM saved"
	    " WHERE seq > 300");
	expect_intact();
	raw("DELETE FROM audit WHERE seq = %ld", audits);
	expect_broken(audits, "head mismatch");
	raw("INSERT INTO audit SELECT * FROM saved WHERE seq = (SELECT max(seq) FROM saved);"
	    " DROP TABLE saved");
	expect_intact();
}

/* A spool job committed again after a crash files nothing and counts nothing. */
static void replayed_intake_counts_nothing(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct index_outcome out;
	json_t *r = variant(530, 12, NULL, "9301/QĐ-UBND");
	struct index_commit c = { .result = r, .actor = "test:daemon", .intake = "job-530" };
	c.blob_sha[BLOB_ORIGINAL] = json_string_value(json_object_get(r, "id"));
	for (int k = 0; k < 3; k++) {
		assert_int_equal(ix->commit(h, &c, &out, &e), 0);
		assert_int_equal(out.duplicate, k > 0);
		assert_true(json_is_false(json_object_get(out.result, "reused")));
		json_decref(out.result);
	}
	assert_int_equal(raw("SELECT count(*) * 100 + sum(reuse_count) FROM results WHERE id = '%s'",
	    json_string_value(json_object_get(r, "id"))), 100);
	assert_int_equal(raw("SELECT count(*) FROM intakes WHERE job = 'job-530'"), 1);
	audits++;
	json_decref(r);
}

/* ---- schema versions ----------------------------------------------------------- */

static void schema_version_and_reopen(void **state)
{
	(void)state;
	struct err e = { 0 };
	ix->close(h);
	h = NULL;
	assert_int_equal(raw("PRAGMA user_version"), 3);
	assert_int_equal(ix->open(dir, &h, &e), 0);
	expect_intact();
	assert_int_equal(Q(.text = g[3].word), 1);
	char *sub = xasprintf("%s/newer", dir), *path = xasprintf("%s/index.sqlite", sub);
	void *h2 = NULL;
	assert_int_equal(dir_make(sub, 0700, &e), 0);
	assert_int_equal(ix->open(sub, &h2, &e), 0);
	ix->close(h2);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", 0, 0, 0), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ix->open(sub, &h2, &e), -1);
	assert_non_null(strstr(e.msg, "999"));
	assert_non_null(strstr(e.msg, "newer sohoa"));
	assert_int_equal(file_write_atomic(path, "not a database, but long enough to look at",
	    43, 0600, &e), 0);
	assert_int_equal(ix->open(sub, &h2, &e), -1);
	assert_non_null(strstr(e.msg, "index.sqlite"));
	free(sub);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_bytes_twice_is_one_result_reused),
		cmocka_unit_test(same_document_other_bytes_is_reuse_of),
		cmocka_unit_test(reserved_codes_are_filed_under),
		cmocka_unit_test(dispose_keeps_codes_and_hides_from_search),
		cmocka_unit_test(failed_commit_leaves_nothing),
		cmocka_unit_test(stats_count_intake_and_reuse),
		cmocka_unit_test(replayed_intake_counts_nothing),
		cmocka_unit_test(revision_follows_the_version_filed),
		cmocka_unit_test(audit_chain_catches_edits_and_deletions),
		cmocka_unit_test(schema_version_and_reopen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
