/*
 * Private to the SQLite index, one backend in three files: index_sqlite.c
 * (helpers, open, lookups, search, stats, the ops table),
 * index_sqlite_write.c (commit, disposal, the audit chain) and
 * index_sqlite_revise.c (a result's next version after review). Nothing
 * else includes this.
 */
#ifndef SOHOA_INDEX_SQLITE_H
#define SOHOA_INDEX_SQLITE_H

#include <sqlite3.h>

#include "archive/archive.h"

struct idx {
	sqlite3 *db;
};

/* Statements. `types` binds the variadic arguments in order: 't' text (NULL
 * binds NULL), 'i' int64_t, 'n' int64_t with 0 bound as NULL. */
sqlite3_stmt *isq_prep(struct idx *h, struct err *e, const char *sql, const char *types, ...);
/* sqlite3_step: 1 a row, 0 done, -1 error. */
int isq_step(struct idx *h, sqlite3_stmt *st, struct err *e);
int isq_exec(struct idx *h, struct err *e, const char *sql, const char *types, ...);
/* First column of the first row into *num and/or *text (caller frees; NULL for
 * SQL NULL): 1 found, 0 no row, -1 error. */
int isq_one(struct idx *h, struct err *e, int64_t *num, char **text, const char *sql,
    const char *types, ...);
int isq_tx_begin(struct idx *h, struct err *e);
/* COMMIT when rc == 0, else (or when COMMIT fails) ROLLBACK; the final rc. */
int isq_tx_end(struct idx *h, int rc, struct err *e);

/* NFC, Unicode case folded, whitespace squeezed; NULL for NULL or blank. */
char *isq_text_key(const char *s);
/* text_fold, whitespace squeezed; NULL for NULL or blank. */
char *isq_fold_key(const char *s);
int isq_is_hex64(const char *s);

/* Result rows: these columns, then result_code and the link's reused flag. */
#define ISQ_RESULT_COLS "r.json, r.disposed, r.disposed_reason, r.disposed_at"
#define ISQ_BY_ID_SQL \
	"SELECT " ISQ_RESULT_COLS ", NULL, 0 FROM results r WHERE r.id = ?"
/* The first result `sql` finds for `key`: 1 found, 0 none, -1 error. */
int isq_load_one(struct idx *h, const char *sql, const char *key, json_t **out, struct err *e);

/* Rows of a result, inside the caller's transaction (index_sqlite_write.c). */
/* A non-empty string field of result.fields, else NULL (borrowed from result). */
const char *isq_field_str(json_t *result, const char *name);
/* The issuers row of key (made when new): *id, 0 when key is NULL. */
int isq_issuer_id(struct idx *h, const char *key, const char *fold, const char *name,
    int64_t *id, struct err *e);
int isq_insert_fields(struct idx *h, const char *id, json_t *result, struct err *e);
int isq_insert_owners(struct idx *h, const char *id, json_t *result, struct err *e);
/* Inserts (del = 0) or deletes (del = 1: `result` must be the object the row
 * was inserted from) the full-text row of rowid. */
int isq_fts_row(struct idx *h, int64_t rowid, json_t *result, int del, struct err *e);
int isq_audit_add(struct idx *h, const char *actor, const char *action, const char *rid,
    const char *detail, struct err *e);

/* The ops of index_sqlite_write.c and index_sqlite_revise.c. */
int isq_revise(void *handle, const struct index_revision *r, struct err *e);
int isq_reserve_code(void *handle, const char *dossier, char **code, struct err *e);
int isq_commit(void *handle, const struct index_commit *c, struct index_outcome *out,
    struct err *e);
int isq_audit_append(void *handle, const char *actor, const char *action,
    const char *result_id, const char *detail, struct err *e);
int isq_audit_append_many(void *handle, const struct audit_entry *v, size_t n,
    struct err *e);
int isq_audit_verify(void *handle, json_t **report, struct err *e);
int isq_dispose(void *handle, const char *key, const char *reason, const char *actor,
    struct err *e);
int isq_forget_blobs(void *handle, const char *key, const char *actor, struct err *e);

#endif
