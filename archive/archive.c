/* archive: commit (blobs first, then one index transaction), lookups, fsck. */
#include "archive.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct archive {
	char *dir;
	struct blob_store *store;
	const struct index_ops *index;
	void *handle;
};

static const char *const kind_names[BLOB_KINDS] = { "original", "pdf", "xml", "alto" };

const char *blob_kind_name(enum blob_kind k)
{
	return (unsigned)k < BLOB_KINDS ? kind_names[k] : "unknown";
}

int archive_open(const char *dir, int create, struct archive **out, struct err *e)
{
	struct archive *a = xcalloc(1, sizeof(*a));
	a->dir = xstrdup(dir);
	a->index = &index_sqlite;
	if (store_open(dir, create, &a->store, e) < 0 ||
	    a->index->open(dir, &a->handle, e) < 0) {
		archive_close(a);
		return -1;
	}
	*out = a;
	return 0;
}

void archive_sweep_incoming(struct archive *a)
{
	store_sweep_dead(a->store);
}

void archive_close(struct archive *a)
{
	if (a == NULL)
		return;
	if (a->handle != NULL)
		a->index->close(a->handle);
	store_close(a->store);
	free(a->dir);
	free(a);
}

/* Every file is durable in the store before the index may name it. */
static int put_blobs(struct archive *a, json_t *result, const struct archive_files *files,
    char sha[BLOB_KINDS][65], struct err *e)
{
	json_t *refs = json_object();
	int rc = -1;
	for (int k = 0; k < BLOB_KINDS; k++) {
		sha[k][0] = '\0';
		if (files->path[k] == NULL)
			continue;
		if (store_put_file(a->store, files->path[k], sha[k], e) < 0)
			goto out;
		char *rel = store_relpath(sha[k]);
		json_object_set_new(refs, kind_names[k], json_string(rel));
		free(rel);
	}
	for (int k = 0; k < BLOB_KINDS - 1; k++) /* the interface's three always show */
		if (json_object_get(refs, kind_names[k]) == NULL)
			json_object_set_new(refs, kind_names[k], json_null());
	json_object_set(result, "files", refs);
	rc = 0;
out:
	json_decref(refs);
	return rc;
}

/* A reuse or a replay files none of the derived files this commit put: left,
 * they would be orphans. No other result can name them: the PDF and XML carry
 * this run's signing time, the ALTO the original's sha256 (its fileName), so
 * only this result could, and its own files were checked. Best effort: fsck
 * reports one left. */
static void drop_unfiled(struct archive *a, json_t *filed, char sha[BLOB_KINDS][65])
{
	json_t *files = json_object_get(filed, "files");
	for (int k = 0; k < BLOB_KINDS; k++) {
		if (k == BLOB_ORIGINAL || sha[k][0] == '\0')
			continue;
		char *rel = store_relpath(sha[k]);
		int named = 0;
		for (int m = 0; m < BLOB_KINDS; m++) {
			const char *f = json_string_value(json_object_get(files, kind_names[m]));
			named |= f != NULL && strcmp(f, rel) == 0;
		}
		struct err e = { 0 };
		if (!named && store_remove(a->store, rel, &e) < 0)
			log_warnx("archive: %s", e.msg);
		free(rel);
	}
}

int archive_commit(struct archive *a, json_t *result, const struct archive_files *files,
    const char *actor, json_t **filed, struct err *e)
{
	int rc = -1;
	char sha[BLOB_KINDS][65];
	json_t *copy = json_deep_copy(result);
	const char *id = json_string_value(json_object_get(result, "id"));
	if (copy == NULL)
		fatalx("out of memory copying a result");
	if (id == NULL || files->path[BLOB_ORIGINAL] == NULL) {
		err_set(e, "a result needs its id and its original scan to be filed");
		goto out;
	}
	if (put_blobs(a, copy, files, sha, e) < 0)
		goto out;
	if (strcmp(sha[BLOB_ORIGINAL], id) != 0) {
		err_set(e, "the original changed while it was processed (sha256 %.12s…, "
		    "result id %.12s…); not filed", sha[BLOB_ORIGINAL], id);
		goto out;
	}
	struct index_commit c = { .result = copy, .actor = actor, .intake = files->intake };
	for (int k = 0; k < BLOB_KINDS; k++)
		c.blob_sha[k] = sha[k][0] ? sha[k] : NULL;
	struct index_outcome outcome = { 0 };
	if (a->index->commit(a->handle, &c, &outcome, e) < 0)
		goto out;
	if (outcome.duplicate)
		drop_unfiled(a, outcome.result, sha);
	*filed = outcome.result;
	rc = 0;
out:
	json_decref(copy);
	return rc;
}

int archive_get(struct archive *a, const char *key, json_t **result, struct err *e)
{
	return a->index->get(a->handle, key, result, e);
}

int archive_search(struct archive *a, const struct archive_query *q, json_t **results,
    struct err *e)
{
	return a->index->search(a->handle, q, results, e);
}

int archive_dossier_results(struct archive *a, const char *dossier_code, json_t **results,
    struct err *e)
{
	return a->index->dossier_results(a->handle, dossier_code, results, e);
}

int archive_file_path(struct archive *a, const char *key, enum blob_kind kind,
    const char *actor, char **path, struct err *e)
{
	json_t *res = NULL;
	*path = NULL;
	if (a->index->get(a->handle, key, &res, e) < 0)
		return -1;
	if (res == NULL) {
		err_set(e, "no result '%s' in the archive", key);
		return -1;
	}
	int rc = 0;
	const char *rel = json_string_value(json_object_get(json_object_get(res, "files"),
	    kind_names[kind]));
	const char *id = json_string_value(json_object_get(res, "id"));
	if (rel != NULL) {
		rc = a->index->audit_append(a->handle, actor, "access", id, kind_names[kind], e);
		if (rc == 0)
			*path = xasprintf("%s/%s", a->dir, rel);
	}
	json_decref(res);
	return rc;
}

static int fixity_one(struct archive *a, const char *kind, const char *rel, json_t *checks,
    struct err *e)
{
	const char *hex = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	int changed = 0;
	int present = store_verify(a->store, hex, &changed, e);
	if (present < 0)
		return -1;
	const char *detail = present == 0 ? "missing from the archive" :
	    changed ? "changed: its bytes no longer match the sha256 it was filed under" :
	    "matches the sha256 it was filed under";
	char *name = xasprintf("fixity-%s", kind);
	json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check", name,
	    "ok", present == 1 && !changed, "detail", detail));
	free(name);
	return present == 1 && !changed ? 0 : 1;
}

int archive_check_fixity(struct archive *a, const char *key, json_t *checks, struct err *e)
{
	json_t *res = NULL;
	int bad = 0;
	if (a->index->get(a->handle, key, &res, e) < 0)
		return -1;
	if (res == NULL) {
		err_set(e, "no result '%s' in the archive", key);
		return -1;
	}
	json_t *files = json_object_get(res, "files");
	for (int k = 0; k < BLOB_KINDS && bad >= 0; k++) {
		const char *rel = json_string_value(json_object_get(files, kind_names[k]));
		int one = rel != NULL ? fixity_one(a, kind_names[k], rel, checks, e) : 0;
		bad = one < 0 ? -1 : bad + one;
	}
	json_decref(res);
	if (bad > 0)
		err_set(e, "%d file(s) of %s do not match the archive", bad, key);
	return bad == 0 ? 0 : -1;
}

int archive_reserve_result_code(struct archive *a, const char *dossier, char **code,
    struct err *e)
{
	return a->index->reserve_code(a->handle, dossier, code, e);
}

int archive_dispose(struct archive *a, const char *key, const char *reason,
    const char *actor, struct err *e)
{
	return a->index->dispose(a->handle, key, reason, actor, e);
}

int archive_stats(struct archive *a, json_t **stats, struct err *e)
{
	return a->index->stats(a->handle, stats, e);
}

int archive_audit(struct archive *a, const struct audit_entry *v, size_t n, struct err *e)
{
	return n == 0 ? 0 : a->index->audit_append_many(a->handle, v, n, e);
}

int archive_export_bagit(struct archive *a, const struct archive_query *q,
    const char *bag_dir, const char *actor, json_t **report, struct err *e)
{
	json_t *results = NULL;
	int rc = -1;
	if (a->index->search(a->handle, q, &results, e) < 0)
		goto out;
	if (json_array_size(results) == 0) {
		err_set(e, "no result matches: nothing to export");
		goto out;
	}
	if (bagit_write(a->store, results, bag_dir, report, e) < 0)
		goto out;
	char *detail = xasprintf("bagit %s (%zu results)", bag_dir, json_array_size(results));
	size_t i;
	json_t *r;
	rc = 0;
	json_array_foreach(results, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		if (a->index->audit_append(a->handle, actor, "export", id, detail, e) < 0) {
			rc = -1;
			break;
		}
	}
	free(detail);
out:
	json_decref(results);
	return rc;
}

/* ---- revision after review (revise.c holds the rules) -------------------- */

int archive_revise_draft(struct archive *a, const char *id, const struct field_edit *edits,
    size_t n, const char *by, json_t **draft, struct err *e)
{
	json_t *stored = NULL;
	char now[32];
	*draft = NULL;
	for (size_t i = 0; i < n; i++)
		if (archive_field_check(edits[i].field, edits[i].value, e) < 0)
			return -1;
	if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64) {
		err_set(e, "a revision needs the result id (64 hex digits), not '%s'", id);
		return -1;
	}
	if (a->index->get(a->handle, id, &stored, e) < 0)
		return -1;
	if (stored == NULL)
		return 0;
	int rc = 0;
	if (json_is_true(json_object_get(stored, "disposed"))) {
		err_set(e, "result %.12s… is disposed; it is not corrected", id);
		rc = -1;
	} else {
		time_iso8601_vn(time(NULL), now);
		*draft = revision_apply(stored, edits, n, by, now);
	}
	json_decref(stored);
	return rc;
}

int archive_revise(struct archive *a, json_t *draft, const void *xml, size_t len,
    const char *actor, json_t **filed, struct err *e)
{
	char sha[65], now[32];
	*filed = NULL;
	if (json_string_value(json_object_get(draft, "id")) == NULL) {
		err_set(e, "a revision needs the result's id");
		return -1;
	}
	if (store_put_mem(a->store, xml, len, sha, e) < 0)
		return -1;
	time_iso8601_vn(time(NULL), now);
	json_t *revised = revision_with_xml(draft, sha, now);
	char *detail = revision_detail(revised, sha);
	struct index_revision r = { .result = revised, .xml_sha = sha, .actor = actor,
		.detail = detail };
	int rc = a->index->revise(a->handle, &r, e);
	free(detail);
	if (rc < 0)
		json_decref(revised);
	else
		*filed = revised;
	return rc;
}

/* ---- fsck ---------------------------------------------------------------- */

struct blob_ref {
	char sha[65];
	char result_id[65];
	int disposed;
	int seen;
};

struct fsck_state {
	struct archive *a;
	struct blob_ref *refs;
	size_t nrefs, cap;
	json_t *missing, *changed, *extra, *repaired;
	int repair;
	struct err *e;
};

static int collect_ref(void *arg, const char *sha, const char *result_id, int disposed)
{
	struct fsck_state *st = arg;
	if (st->nrefs == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 1024;
		st->refs = xrealloc(st->refs, st->cap * sizeof(*st->refs));
	}
	struct blob_ref *r = &st->refs[st->nrefs++];
	snprintf(r->sha, sizeof(r->sha), "%s", sha);
	snprintf(r->result_id, sizeof(r->result_id), "%s", result_id);
	r->disposed = disposed;
	r->seen = 0;
	return 0;
}

static int by_sha(const void *x, const void *y)
{
	return strcmp(((const struct blob_ref *)x)->sha, ((const struct blob_ref *)y)->sha);
}

/* The first ref of sha (refs are sorted), or NULL. */
static struct blob_ref *find_ref(struct fsck_state *st, const char *sha)
{
	struct blob_ref key;
	if (st->nrefs == 0)
		return NULL;
	snprintf(key.sha, sizeof(key.sha), "%s", sha);
	struct blob_ref *r = bsearch(&key, st->refs, st->nrefs, sizeof(*r), by_sha);
	while (r != NULL && r > st->refs && strcmp(r[-1].sha, sha) == 0)
		r--;
	return r;
}

static int note_extra(struct fsck_state *st, const char *relpath, const char *why)
{
	if (!st->repair) {
		json_array_append_new(st->extra, json_pack("{s:s, s:s}", "path", relpath,
		    "reason", why));
		return 0;
	}
	if (store_remove(st->a->store, relpath, st->e) < 0)
		return -1;
	json_array_append_new(st->repaired, json_pack("{s:s, s:s}", "removed", relpath,
	    "reason", why));
	return st->a->index->audit_append(st->a->handle, "fsck", "repair", NULL, relpath, st->e);
}

static int check_blob(void *arg, const char *hex, const char *relpath)
{
	struct fsck_state *st = arg;
	if (hex == NULL)
		return note_extra(st, relpath, "not a blob of this archive");
	struct blob_ref *r = find_ref(st, hex);
	if (r == NULL)
		return note_extra(st, relpath, "orphan: no result refers to it");
	for (struct blob_ref *q = r; q < st->refs + st->nrefs && strcmp(q->sha, hex) == 0; q++)
		q->seen = 1;
	int changed = 0;
	int rc = store_verify(st->a->store, hex, &changed, st->e);
	if (rc < 0)
		return -1;
	if (changed)
		json_array_append_new(st->changed, json_pack("{s:s, s:s}", "path", relpath,
		    "result", r->result_id));
	return 0;
}

/* A temp file this old is not a write in progress. */
#define STALE_INCOMING_S 3600

static int check_stale(void *arg, const char *hex, const char *relpath)
{
	(void)hex;
	return note_extra(arg, relpath, "left by an interrupted write");
}

static void list_missing(struct fsck_state *st)
{
	for (size_t i = 0; i < st->nrefs; i++) {
		if (st->refs[i].seen)
			continue;
		char *rel = store_relpath(st->refs[i].sha);
		json_array_append_new(st->missing, json_pack("{s:s, s:s}", "path", rel,
		    "result", st->refs[i].result_id));
		free(rel);
	}
}

/* A disposed result's blob goes unless a live result shares the bytes. */
static int gc_blob(struct fsck_state *st, struct blob_ref *first)
{
	int shared = 0, present = 0;
	struct blob_ref *end = first;
	for (; end < st->refs + st->nrefs && strcmp(end->sha, first->sha) == 0; end++) {
		shared |= !end->disposed;
		present |= end->seen;
	}
	if (shared || !present)
		return 0;
	char *rel = store_relpath(first->sha);
	int rc = store_remove(st->a->store, rel, st->e);
	if (rc == 0)
		json_array_append_new(st->repaired, json_pack("{s:s, s:s}", "removed", rel,
		    "reason", "disposed"));
	free(rel);
	for (struct blob_ref *q = first; q < end; q++)
		q->seen = 0;
	return rc;
}

static int gc_disposed(struct fsck_state *st)
{
	json_t *forget = json_object(); /* each disposed result once */
	int rc = 0;
	for (size_t i = 0; i < st->nrefs && rc == 0; i++) {
		struct blob_ref *r = &st->refs[i];
		if (!r->disposed)
			continue;
		rc = gc_blob(st, find_ref(st, r->sha));
		json_object_set_new(forget, r->result_id, json_true());
	}
	const char *id;
	json_t *v;
	json_object_foreach(forget, id, v) {
		if (rc == 0)
			rc = st->a->index->forget_blobs(st->a->handle, id, "fsck", st->e);
	}
	json_decref(forget);
	return rc;
}

int archive_fsck(struct archive *a, int repair, int gc, json_t **report, int *clean,
    struct err *e)
{
	struct fsck_state st = { .a = a, .repair = repair, .e = e };
	json_t *chain = NULL;
	int rc = -1;
	st.missing = json_array();
	st.changed = json_array();
	st.extra = json_array();
	st.repaired = json_array();
	if (a->index->blob_refs(a->handle, collect_ref, &st, e) < 0)
		goto out;
	if (st.nrefs > 0)
		qsort(st.refs, st.nrefs, sizeof(*st.refs), by_sha);
	if (store_walk(a->store, check_blob, &st, e) < 0 ||
	    store_walk_stale(a->store, STALE_INCOMING_S, check_stale, &st, e) < 0)
		goto out;
	list_missing(&st);
	if (gc && gc_disposed(&st) < 0)
		goto out;
	if (a->index->audit_verify(a->handle, &chain, e) < 0)
		goto out;
	*clean = json_array_size(st.missing) == 0 && json_array_size(st.changed) == 0 &&
	    json_array_size(st.extra) == 0 && json_is_true(json_object_get(chain, "ok"));
	*report = json_pack("{s:I, s:O, s:O, s:O, s:O, s:O, s:b}",
	    "blobs", (json_int_t)st.nrefs, "missing", st.missing, "changed", st.changed,
	    "extra", st.extra, "repaired", st.repaired, "audit", chain, "clean", *clean);
	rc = 0;
out:
	json_decref(chain);
	json_decref(st.missing);
	json_decref(st.changed);
	json_decref(st.extra);
	json_decref(st.repaired);
	free(st.refs);
	return rc;
}
