/*
 * archive: the digital archive. Three parts, one interface:
 *   store.c   content-addressed blobs: <dir>/blobs/ab/cd/<sha256>, 0440, never
 *             rewritten; written temp -> fsync -> rename -> fsync(dir)
 *   index_*.c the index behind `struct index_ops` (SQLite now; PostgreSQL
 *             for a province later, without touching callers)
 *   archive.c commit (blobs durable first, then one index transaction),
 *             lookups, fsck, disposal; export.c: BagIt 1.0 with METS/PREMIS
 *
 * Results are the result objects of ../shared/docs/interface.md (json_t).
 * Every function returns 0 or -1 with the reason in `e`. A lookup that finds
 * nothing returns 0 with *out = NULL.
 */
#ifndef SOHOA_ARCHIVE_H
#define SOHOA_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/common.h"

/* ---- store: content-addressed blobs ------------------------------------ */

struct blob_store;

/* Opens (and with create=1 makes) <dir>/blobs. Caller owns *out. */
int store_open(const char *dir, int create, struct blob_store **out, struct err *e);
void store_close(struct blob_store *s);
/* Copies the file at `src` in, durably; its sha256 goes to hex. Putting
 * bytes already there is a no-op that succeeds (never rewrites). */
int store_put_file(struct blob_store *s, const char *src, char hex[65], struct err *e);
int store_put_mem(struct blob_store *s, const void *data, size_t len, char hex[65],
    struct err *e);
/* "blobs/ab/cd/<hex>", relative to the archive dir; caller frees. */
char *store_relpath(const char *hex);
/* Absolute path of a blob; caller frees. */
char *store_path(const struct blob_store *s, const char *hex);
/* 1 present and intact, 0 missing, -1 error; *changed = 1 if the bytes no
 * longer hash to hex. */
int store_verify(const struct blob_store *s, const char *hex, int *changed, struct err *e);
/* Calls fn for every blob file (and every stray file under blobs/, with
 * hex = NULL and its relative path). fn returns -1 to stop. */
int store_walk(const struct blob_store *s,
    int (*fn)(void *arg, const char *hex, const char *relpath), void *arg, struct err *e);
/* Calls fn(arg, NULL, relpath) for every temp file in blobs/.incoming older
 * than min_age_s: what an interrupted write left behind. */
int store_walk_stale(const struct blob_store *s, unsigned min_age_s,
    int (*fn)(void *arg, const char *hex, const char *relpath), void *arg, struct err *e);
/* Removes the temp files in blobs/.incoming of writers that died before
 * placing them (kill -9, power cut): every writer holds a lock on its own. */
void store_sweep_dead(const struct blob_store *s);
/* Removes a blob: fsck --gc and --repair, and a duplicate commit its own unfiled files. */
int store_remove(struct blob_store *s, const char *relpath, struct err *e);

/* ---- index: the seam for backends --------------------------------------- */

enum blob_kind { BLOB_ORIGINAL, BLOB_PDF, BLOB_XML, BLOB_ALTO, BLOB_KINDS };
/* "original", "pdf", "xml", "alto" — the keys of the result's "files". */
const char *blob_kind_name(enum blob_kind k);

struct archive_query {
	const char *number, *issuer, *type, *dossier, *citizen_id;
	const char *from, *to;   /* ISO dates, inclusive, on fields.date */
	const char *text;        /* full-text words */
	int fold;                /* 1: "quyet dinh" also matches "quyết định" */
	int review;              /* 1: only results flagged for review */
	unsigned limit;          /* 0 = 100 */
};

struct index_commit {
	json_t *result;          /* complete result object: id, files (relative
	                          * blob paths), fields, text...; borrowed */
	const char *blob_sha[BLOB_KINDS]; /* NULL where absent */
	const char *actor;       /* "cli:process", "daemon:quay-1", ... */
	const char *intake;      /* the spool job it comes from, or NULL: the same
	                          * job committed again (a replay after a crash)
	                          * hands back what it filed and counts nothing */
};

/* A filed result replaced by its next version (sohoa review). */
struct index_revision {
	json_t *result;          /* the new version as it is to be stored: same id,
	                          * "version" one up, files.xml naming xml_sha; borrowed */
	const char *xml_sha;     /* its re-issued XML blob; the one it replaces is kept */
	const char *actor;
	const char *detail;      /* the audit record's detail (JSON text) */
};

/* One audit record; strings borrowed. */
struct audit_entry {
	const char *actor, *action, *result_id, *detail;
};

struct index_outcome {
	json_t *result;          /* the stored object as now filed; caller owns */
	int duplicate;           /* the same original bytes were already filed */
};

struct index_ops {
	const char *name;
	int (*open)(const char *archive_dir, void **handle, struct err *e);
	void (*close)(void *handle);
	/* One transaction: the result (or, for bytes already filed, a reuse
	 * count bump and, for a new dossier, a new link), its fields, dossier
	 * link and result code, owners, full text, and an audit record. */
	int (*commit)(void *handle, const struct index_commit *c, struct index_outcome *out,
	    struct err *e);
	/* Hands out the dossier's next result code now (its own transaction), so
	 * the signed files can name it; commit then files under it. */
	int (*reserve_code)(void *handle, const char *dossier, char **code, struct err *e);
	/* By result id, result code or dossier code (the dossier's first result). */
	int (*get)(void *handle, const char *key, json_t **result, struct err *e);
	/* A JSON array of result objects, newest first. */
	int (*search)(void *handle, const struct archive_query *q, json_t **results,
	    struct err *e);
	/* A JSON array of the results of one dossier, in result-code order. */
	int (*dossier_results)(void *handle, const char *dossier_code, json_t **results,
	    struct err *e);
	int (*audit_append)(void *handle, const char *actor, const char *action,
	    const char *result_id, const char *detail, struct err *e);
	/* n records in one transaction (one fsync for many reads of the API). */
	int (*audit_append_many)(void *handle, const struct audit_entry *v, size_t n,
	    struct err *e);
	/* Walks the chain; *report = {"records": n, "ok": bool, "broken_at": seq|null,
	 * "reason": text|null}. */
	int (*audit_verify)(void *handle, json_t **report, struct err *e);
	/* Every blob the index refers to: fn(arg, sha, result_id, disposed). */
	int (*blob_refs)(void *handle,
	    int (*fn)(void *arg, const char *sha, const char *result_id, int disposed),
	    void *arg, struct err *e);
	int (*dispose)(void *handle, const char *id, const char *reason, const char *actor,
	    struct err *e);
	/* Once fsck --gc removed a disposed result's blobs. */
	int (*forget_blobs)(void *handle, const char *id, const char *actor, struct err *e);
	int (*stats)(void *handle, json_t **stats, struct err *e);
	/* One transaction: refused unless the stored version is the one before
	 * r->result's (a concurrent revision is a temporary failure). Replaces the
	 * stored object, its search keys, fields, owners and full text; keeps the
	 * replaced XML blob referred to; appends an audit record "review". */
	int (*revise)(void *handle, const struct index_revision *r, struct err *e);
};

extern const struct index_ops index_sqlite;

/* Folds text for diacritics-insensitive matching: NFKD, marks stripped,
 * đ/Đ -> d, lower case. Caller frees. */
char *text_fold(const char *utf8);

/* ---- archive: what callers use ------------------------------------------ */

struct archive;

/* <dir> holds blobs/ and the index. create=1 makes what is missing. */
int archive_open(const char *dir, int create, struct archive **out, struct err *e);
void archive_close(struct archive *a);
/* store_sweep_dead: the daemon calls it at start, after a crash. */
void archive_sweep_incoming(struct archive *a);

struct archive_files {
	const char *path[BLOB_KINDS]; /* files to file with the result; NULL where absent */
	const char *intake;           /* the spool job id, or NULL (see index_commit) */
};

/*
 * Files a result: every blob durable first, then one index transaction.
 * `result` is the pipeline's result object (borrowed); *filed is the object
 * as the archive now holds it (result_code, files, reused set), caller owns.
 */
int archive_commit(struct archive *a, json_t *result, const struct archive_files *files,
    const char *actor, json_t **filed, struct err *e);
/* The next result code of a dossier ("<dossier>-KQ<n>"), reserved: put it in
 * the result's "result_code" before signing, and commit files under it.
 * An unused reservation leaves a gap; the counter never goes back. */
int archive_reserve_result_code(struct archive *a, const char *dossier, char **code,
    struct err *e);
int archive_get(struct archive *a, const char *key, json_t **result, struct err *e);
int archive_search(struct archive *a, const struct archive_query *q, json_t **results,
    struct err *e);
int archive_dossier_results(struct archive *a, const char *dossier_code, json_t **results,
    struct err *e);
/* Absolute path of one file of a result, NULL (rc 0) if it has none. Audited. */
int archive_file_path(struct archive *a, const char *key, enum blob_kind kind,
    const char *actor, char **path, struct err *e);
/*
 * Re-hashes every blob and walks the audit chain. *report lists missing,
 * changed and stray files and the chain state; *clean = 1 when all holds.
 * repair=1 removes orphan blobs (no row refers to them); gc=1 removes the
 * blobs of disposed results.
 */
int archive_fsck(struct archive *a, int repair, int gc, json_t **report, int *clean,
    struct err *e);
/* Re-hashes every file of one result; appends {"check": "fixity-<kind>",
 * "ok", "detail"} to `checks`. 0 when every file matches. */
int archive_check_fixity(struct archive *a, const char *key, json_t *checks, struct err *e);
int archive_dispose(struct archive *a, const char *key, const char *reason,
    const char *actor, struct err *e);
int archive_stats(struct archive *a, json_t **stats, struct err *e);
/* Appends n records to the audit chain in one transaction. */
int archive_audit(struct archive *a, const struct audit_entry *v, size_t n, struct err *e);
/* Writes a BagIt 1.0 bag of the matching results into `bag_dir` (must not
 * exist). *report = {"results": n, "files": n, "bytes": n}. Audited. */
int archive_export_bagit(struct archive *a, const struct archive_query *q,
    const char *bag_dir, const char *actor, json_t **report, struct err *e);

/* ---- revise.c: corrections after review (docs/internals/review.md) ---- */

/* One correction: field := value; value NULL clears it. Both borrowed. */
struct field_edit {
	const char *field;
	const char *value;
};

/* 0 when the archive accepts `field` set to `value` (NULL: cleared): printable
 * UTF-8, and never dossier_code (results and links hang on it); else -1 and a
 * sentence. What the value means is extract_check_value's (pipeline.h). */
int archive_field_check(const char *field, const char *value, struct err *e);
/*
 * The next version of result `id` (64 hex digits) with the edits applied:
 * fields updated, the first extraction kept in "extracted", "corrections"
 * appended ({field, from, to, by, at, version}), corrected fields' confidence
 * 1.0 and listed in "corrected", their review_reasons dropped, "review"
 * false when none is left, "version" one up. Nothing is filed: sign its XML,
 * then archive_revise. *draft is NULL (rc 0) when there is no such result;
 * otherwise the caller owns it.
 */
int archive_revise_draft(struct archive *a, const char *id, const struct field_edit *edits,
    size_t n, const char *by, json_t **draft, struct err *e);
/*
 * Files a draft with its re-issued, signed XML (xml[0..len), borrowed): the
 * blob durable first, then one index transaction. files.xml names the new
 * blob; the replaced one stays in the store and in "xml_versions". `draft`
 * is borrowed; *filed is the object now filed, caller owns.
 */
int archive_revise(struct archive *a, json_t *draft, const void *xml, size_t len,
    const char *actor, json_t **filed, struct err *e);

/* ---- revise.c: for archive.c ------------------------------------------- */

/* The next version of `stored` (borrowed) with the edits applied, as
 * archive_revise_draft describes; a new object. `now`: ISO 8601, +07:00. */
json_t *revision_apply(json_t *stored, const struct field_edit *edits, size_t n,
    const char *by, const char *now);
/* A copy of `draft` whose files.xml names blob `sha`; the XML it named goes
 * to "xml_versions" ({version, sha256, file, superseded_at}). New object. */
json_t *revision_with_xml(json_t *draft, const char *sha, const char *now);
/* The audit detail of the revision: {"by", "fields": {f: {from, to}},
 * "version", "xml"}, compact JSON; caller frees. */
char *revision_detail(json_t *revised, const char *sha);

/* ---- export.c: for archive.c -------------------------------------------- */

/* Writes the bag for `results` (array of result objects whose "files" are
 * relative blob paths under the store). */
int bagit_write(const struct blob_store *s, json_t *results, const char *bag_dir,
    json_t **report, struct err *e);

#endif
