/*
 * The SQLite index behind struct index_ops: <archive_dir>/index.sqlite.
 * This file: statements, text keys, the schema and its migrations, open,
 * lookups, search, stats and the ops table; index_sqlite_write.c: commit,
 * disposal and the audit chain. Design: docs/internals/archive-index.md.
 */
#include "archive/index_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

static const char schema_v1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE issuers (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
    " fold TEXT NOT NULL, name TEXT NOT NULL);"
    "CREATE TABLE results (id TEXT PRIMARY KEY CHECK (length(id) = 64),"
    " json TEXT NOT NULL, received_at TEXT NOT NULL, kind TEXT NOT NULL,"
    " pages INTEGER NOT NULL, number_key TEXT, issuer_id INTEGER REFERENCES issuers(id),"
    " type_key TEXT, date TEXT, reuse_of TEXT REFERENCES results(id),"
    " reuse_count INTEGER NOT NULL DEFAULT 0, disposed INTEGER NOT NULL DEFAULT 0,"
    " disposed_reason TEXT, disposed_at TEXT);"
    "CREATE INDEX results_received ON results(received_at DESC, id);"
    "CREATE INDEX results_number ON results(number_key, issuer_id, date);"
    "CREATE INDEX results_issuer ON results(issuer_id);"
    "CREATE INDEX results_type ON results(type_key);"
    "CREATE INDEX results_date ON results(date);"
    "CREATE TABLE fields (result_id TEXT NOT NULL REFERENCES results(id),"
    " name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (result_id, name)) WITHOUT ROWID;"
    "CREATE TABLE dossiers (code TEXT PRIMARY KEY, next_n INTEGER NOT NULL,"
    " created_at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE links (dossier_code TEXT NOT NULL REFERENCES dossiers(code),"
    " n INTEGER NOT NULL CHECK (n >= 1), result_id TEXT NOT NULL REFERENCES results(id),"
    " result_code TEXT NOT NULL UNIQUE, reused INTEGER NOT NULL, linked_at TEXT NOT NULL,"
    " PRIMARY KEY (dossier_code, n), UNIQUE (dossier_code, result_id)) WITHOUT ROWID;"
    "CREATE TABLE owners (value TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('cccd', 'cmnd', 'mst', 'passport')),"
    " result_id TEXT NOT NULL REFERENCES results(id),"
    " PRIMARY KEY (value, kind, result_id)) WITHOUT ROWID;"
    "CREATE TABLE blobs (result_id TEXT NOT NULL REFERENCES results(id),"
    " kind TEXT NOT NULL CHECK (kind IN ('original', 'pdf', 'xml', 'alto')),"
    " sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),"
    " PRIMARY KEY (result_id, kind)) WITHOUT ROWID;"
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, result_id TEXT, detail TEXT, prev_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL);"
    "CREATE TRIGGER links_no_delete BEFORE DELETE ON links BEGIN"
    " SELECT RAISE(ABORT, 'result codes are never given back'); END;"
    "CREATE VIRTUAL TABLE fts USING fts5(text, type, number, issuer, subject, signer,"
    " applicant, procedure, text_f, type_f, number_f, issuer_f, subject_f, signer_f,"
    " applicant_f, procedure_f, content='', tokenize='unicode61 remove_diacritics 0');";

/* v2: the spool jobs already filed, so a replay after a crash is not a reuse. */
static const char schema_v2[] =
    "CREATE TABLE intakes (job TEXT PRIMARY KEY, result_id TEXT NOT NULL REFERENCES results(id),"
    " at TEXT NOT NULL) WITHOUT ROWID;";

/* v3 (sohoa review): the review flag as a column, filled from the stored
 * objects, and the blobs a revision replaced, kept and still referred to. */
static const char schema_v3[] =
    "ALTER TABLE results ADD COLUMN review INTEGER NOT NULL DEFAULT 0;"
    "UPDATE results SET review = 1 WHERE json_extract(json, '$.review') = 1;"
    "CREATE INDEX results_review ON results(review) WHERE review = 1;"
    "CREATE TABLE blob_versions (result_id TEXT NOT NULL REFERENCES results(id),"
    " kind TEXT NOT NULL CHECK (kind IN ('original', 'pdf', 'xml', 'alto')),"
    " version INTEGER NOT NULL CHECK (version >= 1),"
    " sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),"
    " superseded_at TEXT NOT NULL, PRIMARY KEY (result_id, kind, version)) WITHOUT ROWID;";

/* migrations[i] takes the schema from version i to i + 1 (PRAGMA user_version). */
static const char *const migrations[] = { schema_v1, schema_v2, schema_v3 };
#define SCHEMA_VERSION ((int64_t)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- statements ----------------------------------------------------------- */

static int db_error(struct idx *h, struct err *e)
{
	err_set(e, "index: %s", sqlite3_errmsg(h->db));
	return -1;
}

static int bind_one(sqlite3_stmt *st, int i, char type, va_list *ap)
{
	if (type == 't')
		return sqlite3_bind_text(st, i, va_arg(*ap, const char *), -1, SQLITE_TRANSIENT);
	int64_t v = va_arg(*ap, int64_t);
	return type == 'n' && v == 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static sqlite3_stmt *q_vprep(struct idx *h, struct err *e, const char *sql, const char *types,
    va_list ap)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(h, e);
		return NULL;
	}
	va_list copy;
	va_copy(copy, ap);
	for (int i = 0; types[i] != '\0'; i++) {
		if (bind_one(st, i + 1, types[i], &copy) != SQLITE_OK) {
			db_error(h, e);
			sqlite3_finalize(st);
			st = NULL;
			break;
		}
	}
	va_end(copy);
	return st;
}

sqlite3_stmt *isq_prep(struct idx *h, struct err *e, const char *sql, const char *types,
    ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = q_vprep(h, e, sql, types, ap);
	va_end(ap);
	return st;
}

int isq_step(struct idx *h, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(h, e);
}

int isq_exec(struct idx *h, struct err *e, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = q_vprep(h, e, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	int rc;
	while ((rc = isq_step(h, st, e)) == 1)
		;
	sqlite3_finalize(st);
	return rc;
}

int isq_one(struct idx *h, struct err *e, int64_t *num, char **text, const char *sql,
    const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = q_vprep(h, e, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	int rc = isq_step(h, st, e);
	if (rc == 1 && num != NULL)
		*num = sqlite3_column_int64(st, 0);
	if (rc == 1 && text != NULL) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		*text = t != NULL ? xstrdup(t) : NULL;
	}
	sqlite3_finalize(st);
	return rc;
}

int isq_tx_begin(struct idx *h, struct err *e)
{
	return isq_exec(h, e, "BEGIN IMMEDIATE", "");
}

int isq_tx_end(struct idx *h, int rc, struct err *e)
{
	if (rc == 0 && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_error(h, e);
	if (rc < 0 && !sqlite3_get_autocommit(h->db))
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ---- text keys -------------------------------------------------------------- */

/* ASCII whitespace runs become one space, ends trimmed; NULL (freed) if empty. */
static char *squeeze(char *s)
{
	char *w = s;
	for (const char *r = s; *r != '\0'; r++) {
		int space = strchr(" \t\r\n\f\v", *r) != NULL;
		if (!space)
			*w++ = *r;
		else if (w > s && w[-1] != ' ')
			*w++ = ' ';
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	if (*s != '\0')
		return s;
	free(s);
	return NULL;
}

/* NFC plus `flags`; invalid UTF-8 comes back as an ASCII-lowered copy if lower. */
static char *utf8_map(const char *s, int flags, int lower)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | flags);
	if (n == UTF8PROC_ERROR_NOMEM)
		fatalx("out of memory");
	if (n >= 0)
		return (char *)out;
	char *copy = xstrdup(s);
	for (char *p = copy; lower && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return copy;
}

/* Case-insensitive key (SQLite's lower() and NOCASE only know ASCII). */
char *isq_text_key(const char *s)
{
	return s != NULL ? squeeze(utf8_map(s, UTF8PROC_CASEFOLD, 1)) : NULL;
}

char *isq_fold_key(const char *s)
{
	return s != NULL ? squeeze(text_fold(s)) : NULL;
}

int isq_is_hex64(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == 64 && s[n] == '\0';
}

/* A real calendar date written YYYY-MM-DD. */
/* ---- loading results ------------------------------------------------------ */

/* Disposal is shown on the stored object; a dossier link brings its own code. */
static json_t *row_result(sqlite3_stmt *st, struct err *e)
{
	json_error_t je;
	json_t *o = json_loads((const char *)sqlite3_column_text(st, 0), 0, &je);
	if (o == NULL) {
		err_set(e, "index: a stored result is not valid JSON: %s", je.text);
		return NULL;
	}
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		json_object_set_new(o, "result_code",
		    json_string((const char *)sqlite3_column_text(st, 4)));
	if (sqlite3_column_int(st, 5))
		json_object_set_new(o, "reused", json_true());
	if (sqlite3_column_int(st, 1)) {
		json_object_set_new(o, "disposed", json_true());
		json_object_set_new(o, "disposed_reason",
		    json_string((const char *)sqlite3_column_text(st, 2)));
		json_object_set_new(o, "disposed_at",
		    json_string((const char *)sqlite3_column_text(st, 3)));
	}
	return o;
}

/* Every row of st (finalized here) as a result object, into a new array. */
static int load_rows(struct idx *h, sqlite3_stmt *st, json_t **arr, struct err *e)
{
	int rc;
	*arr = json_array();
	while ((rc = isq_step(h, st, e)) == 1) {
		json_t *o = row_result(st, e);
		if (o == NULL) {
			rc = -1;
			break;
		}
		json_array_append_new(*arr, o);
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		json_decref(*arr);
		*arr = NULL;
	}
	return rc;
}

int isq_load_one(struct idx *h, const char *sql, const char *key, json_t **out,
    struct err *e)
{
	json_t *arr = NULL;
	*out = NULL;
	sqlite3_stmt *st = isq_prep(h, e, sql, "t", key);
	if (st == NULL || load_rows(h, st, &arr, e) < 0)
		return -1;
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return *out != NULL;
}

/* ---- open ------------------------------------------------------------------- */

static int migrate(struct idx *h, const char *path, struct err *e)
{
	int64_t v = 0;
	if (isq_one(h, e, &v, NULL, "PRAGMA user_version", "") < 0)
		return -1;
	if (v > SCHEMA_VERSION || v < 0) {
		err_set(e, "%s has schema version %lld, but this sohoa knows versions up to %lld;"
		    " use a newer sohoa", path, (long long)v, (long long)SCHEMA_VERSION);
		return -1;
	}
	if (v == SCHEMA_VERSION)
		return 0;
	if (isq_tx_begin(h, e) < 0)
		return -1;
	int rc = isq_one(h, e, &v, NULL, "PRAGMA user_version", "") < 0 ? -1 : 0;
	for (int64_t i = v; rc == 0 && i < SCHEMA_VERSION; i++) {
		if (sqlite3_exec(h->db, migrations[i], NULL, NULL, NULL) != SQLITE_OK)
			rc = db_error(h, e);
		else if (i > 0)
			log_info("index: schema of %s migrated to version %lld", path,
			    (long long)(i + 1));
	}
	char *set = xasprintf("PRAGMA user_version = %lld", (long long)SCHEMA_VERSION);
	if (rc == 0)
		rc = isq_exec(h, e, set, "");
	free(set);
	return isq_tx_end(h, rc, e);
}

static int sq_open(const char *archive_dir, void **handle, struct err *e)
{
	int rc = -1;
	char *path = xasprintf("%s/index.sqlite", archive_dir), *mode = NULL;
	struct idx *h = xcalloc(1, sizeof(*h));
	*handle = NULL;
	if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
	    != SQLITE_OK) {
		err_set(e, "cannot open %s: %s", path, h->db ? sqlite3_errmsg(h->db) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(h->db, 10000);
	if (migrate(h, path, e) < 0)
		goto out;
	if (isq_one(h, e, NULL, &mode, "PRAGMA journal_mode = WAL", "") < 0)
		goto out;
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		err_set(e, "%s: cannot switch to WAL mode (journal_mode is %s)", path,
		    mode ? mode : "unknown");
		goto out;
	}
	if (isq_exec(h, e, "PRAGMA synchronous = FULL", "") < 0 ||
	    isq_exec(h, e, "PRAGMA foreign_keys = ON", "") < 0)
		goto out;
	*handle = h;
	rc = 0;
out:
	if (rc < 0 && strncmp(e->msg, "index: ", 7) == 0) {
		char why[ERR_MAX];
		snprintf(why, sizeof(why), "%s", e->msg + 7);
		err_set(e, "%s: %s", path, why);
	}
	if (rc < 0) {
		sqlite3_close(h->db);
		free(h);
	}
	free(mode);
	free(path);
	return rc;
}

static void sq_close(void *handle)
{
	struct idx *h = handle;
	if (h == NULL)
		return;
	if (sqlite3_close(h->db) != SQLITE_OK)
		log_warnx("index: close: %s", sqlite3_errmsg(h->db));
	free(h);
}

/* ---- lookups, search, stats ---------------------------------------------- */

#define FTS_PLAIN "{text type number issuer subject signer applicant procedure}"
#define FTS_FOLDED \
	"{text_f type_f number_f issuer_f subject_f signer_f applicant_f procedure_f}"
#define LIMIT_DEFAULT 100
#define LIMIT_MAX 10000

#define BY_LINK_SQL \
	"SELECT " ISQ_RESULT_COLS ", l.result_code, l.reused FROM links l" \
	" JOIN results r ON r.id = l.result_id"
#define BY_CODE_SQL BY_LINK_SQL " WHERE l.result_code = ?"
#define BY_DOSSIER_SQL BY_LINK_SQL " WHERE l.dossier_code = ? ORDER BY l.n"

#define ID_PREFIX_MIN 8

/* The result whose id starts with `hex` (lower case), when only one does. */
static int by_id_prefix(struct idx *h, const char *hex, json_t **result, struct err *e)
{
	char *end = xasprintf("%sg", hex), *id = NULL; /* 'g' sorts after every hex digit */
	int64_t n = 0;
	int rc = isq_one(h, e, &n, NULL, "SELECT count(*) FROM (SELECT 1 FROM results"
	    " WHERE id >= ?1 AND id < ?2 LIMIT 2)", "tt", hex, end);
	if (rc == 1 && n > 1) {
		err_set(e, "more than one result id starts with %s; give more digits", hex);
		rc = -1;
	}
	if (rc == 1 && n == 1)
		rc = isq_one(h, e, NULL, &id, "SELECT id FROM results WHERE id >= ?1 AND id < ?2",
		    "tt", hex, end);
	if (rc == 1 && id != NULL)
		rc = isq_load_one(h, ISQ_BY_ID_SQL, id, result, e);
	free(end);
	free(id);
	return rc < 0 ? -1 : 0;
}

static int sq_get(void *handle, const char *key, json_t **result, struct err *e)
{
	struct idx *h = handle;
	*result = NULL;
	if (key == NULL || *key == '\0')
		return 0;
	size_t len = strlen(key);
	char id[65];
	int hex = len <= 64 && strspn(key, "0123456789abcdefABCDEF") == len;
	for (size_t i = 0; hex && i <= len; i++) /* ids are lower case; people may paste upper */
		id[i] = (char)(key[i] >= 'A' && key[i] <= 'F' ? key[i] + 32 : key[i]);
	if (hex && len == 64)
		return isq_load_one(h, ISQ_BY_ID_SQL, id, result, e) < 0 ? -1 : 0;
	int rc = isq_load_one(h, BY_CODE_SQL, key, result, e);
	if (rc == 0)
		rc = isq_load_one(h, BY_DOSSIER_SQL " LIMIT 1", key, result, e);
	if (rc == 0 && hex && len >= ID_PREFIX_MIN)
		rc = by_id_prefix(h, id, result, e);
	return rc < 0 ? -1 : 0;
}

static int sq_dossier_results(void *handle, const char *code, json_t **results, struct err *e)
{
	struct idx *h = handle;
	*results = NULL;
	sqlite3_stmt *st = isq_prep(h, e, BY_DOSSIER_SQL, "t", code);
	return st != NULL ? load_rows(h, st, results, e) : -1;
}

/* ---- search ------------------------------------------------------------------ */

struct sql {
	struct buf b;
	const char *arg[8];
	char *own[8];
	int n, nown;
};

/* A filter that was given: an absent or blank one is no filter. */
static const char *given(const char *s)
{
	return s != NULL && s[strspn(s, " \t\r\n")] != '\0' ? s : NULL;
}

static void sql_and(struct sql *s, const char *cond, const char *arg)
{
	buf_appendf(&s->b, " AND %s", cond);
	if (strchr(cond, '?') != NULL)
		s->arg[s->n++] = arg;
}

static const char *own(struct sql *s, char *v)
{
	s->own[s->nown++] = v;
	return v;
}

static int has_word_char(const char *s)
{
	utf8proc_int32_t cp;
	while (*s != '\0') {
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp);
		if (n <= 0) {
			s++;
			continue;
		}
		utf8proc_category_t c = utf8proc_category(cp);
		if ((c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
		    (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO))
			return 1;
		s += n;
	}
	return 0;
}

/*
 * Each word becomes a quoted FTS5 string restricted to one column set, so no
 * character the user types is query syntax: "2684/QĐ-UBND" is the phrase
 * 2684 qđ ubnd. Words without a letter or digit are dropped. NULL if none is left.
 */
static char *fts_query(const char *words, int fold)
{
	struct buf b = { 0 };
	const char *sep = " \t\r\n\f\v";
	char *copy = xstrdup(words), *save = NULL;
	for (char *w = strtok_r(copy, sep, &save); w != NULL; w = strtok_r(NULL, sep, &save)) {
		char *t = fold ? text_fold(w) : utf8_map(w, 0, 0); /* FTS5 folds the case */
		if (has_word_char(t)) {
			buf_appendf(&b, "%s%s : \"", b.len ? " AND " : "",
			    fold ? FTS_FOLDED : FTS_PLAIN);
			for (const char *p = t; *p != '\0'; p++)
				buf_append(&b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
			buf_append(&b, "\"", 1);
		}
		free(t);
	}
	free(copy);
	return b.data;
}

static int check_dates(const struct archive_query *q, struct err *e)
{
	const char *from = given(q->from), *to = given(q->to);
	if (from != NULL && !iso_date_valid(from)) {
		err_set(e, "from date '%s' is not a real date written YYYY-MM-DD", from);
		return -1;
	}
	if (to != NULL && !iso_date_valid(to)) {
		err_set(e, "to date '%s' is not a real date written YYYY-MM-DD", to);
		return -1;
	}
	if (from != NULL && to != NULL && strcmp(from, to) > 0) {
		err_set(e, "from date %s is after to date %s", from, to);
		return -1;
	}
	return 0;
}

/*
 * Every filter is served by an index: see docs/internals/archive-index.md.
 * Newest first is most recently filed (rowid order). With words, FTS5 drives
 * the query and yields its matches in descending rowid order, so a common
 * word stops at the limit instead of sorting every match.
 */
static void sql_build(const struct archive_query *q, struct sql *s)
{
	unsigned limit = q->limit == 0 ? LIMIT_DEFAULT : q->limit;
	limit = limit > LIMIT_MAX ? LIMIT_MAX : limit;
	const char *m = given(q->text) ? own(s, fts_query(q->text, q->fold)) : NULL;
	if (given(q->text)) {
		buf_appendf(&s->b, "SELECT " ISQ_RESULT_COLS ", NULL, 0 FROM fts"
		    " JOIN results r ON r.rowid = fts.rowid WHERE %s",
		    m != NULL ? "fts MATCH ?" : "0");
		if (m != NULL)
			s->arg[s->n++] = m;
		sql_and(s, "r.disposed = 0", NULL);
	} else {
		buf_appendf(&s->b, "SELECT " ISQ_RESULT_COLS ", NULL, 0 FROM results r"
		    " WHERE r.disposed = 0");
	}
	if (given(q->number))
		sql_and(s, "r.number_key = ?", own(s, isq_text_key(q->number)));
	if (given(q->issuer) && q->fold)
		sql_and(s, "r.issuer_id IN (SELECT id FROM issuers WHERE instr(fold, ?) > 0)",
		    own(s, isq_fold_key(q->issuer)));
	else if (given(q->issuer))
		sql_and(s, "r.issuer_id IN (SELECT id FROM issuers WHERE instr(key, ?) > 0)",
		    own(s, isq_text_key(q->issuer)));
	if (given(q->type))
		sql_and(s, "r.type_key = ?", own(s, isq_text_key(q->type)));
	if (given(q->dossier))
		sql_and(s, "r.id IN (SELECT result_id FROM links WHERE dossier_code = ?)",
		    q->dossier);
	if (given(q->citizen_id))
		sql_and(s, "r.id IN (SELECT result_id FROM owners WHERE value = ?)", q->citizen_id);
	if (given(q->from))
		sql_and(s, "r.date >= ?", q->from);
	if (given(q->to))
		sql_and(s, "r.date <= ?", q->to);
	if (q->review)
		sql_and(s, "r.review = 1", NULL);
	buf_appendf(&s->b, " ORDER BY %s DESC LIMIT %u", given(q->text) ? "fts.rowid" : "r.rowid",
	    limit);
}

static int sq_search(void *handle, const struct archive_query *q, json_t **results, struct err *e)
{
	struct idx *h = handle;
	struct sql s = { 0 };
	int rc = -1;
	*results = NULL;
	if (check_dates(q, e) < 0)
		return -1;
	sql_build(q, &s);
	sqlite3_stmt *st = isq_prep(h, e, s.b.data, "");
	for (int i = 0; st != NULL && i < s.n; i++) {
		if (sqlite3_bind_text(st, i + 1, s.arg[i], -1, SQLITE_TRANSIENT) != SQLITE_OK) {
			err_set(e, "index: %s", sqlite3_errmsg(h->db));
			sqlite3_finalize(st);
			st = NULL;
		}
	}
	if (st != NULL)
		rc = load_rows(h, st, results, e);
	for (int i = 0; i < s.nown; i++)
		free(s.own[i]);
	free(s.b.data);
	return rc;
}

/* ---- blob references, stats ------------------------------------------------- */

static int sq_blob_refs(void *handle,
    int (*fn)(void *arg, const char *sha, const char *result_id, int disposed), void *arg,
    struct err *e)
{
	struct idx *h = handle;
	json_t *refs = json_array(), *ref;
	size_t i;
	int rc;
	/* Collected first: fn may write to the index, which an open read would block. */
	sqlite3_stmt *st = isq_prep(h, e, "SELECT b.sha256, b.result_id, r.disposed FROM"
	    " (SELECT sha256, result_id FROM blobs UNION ALL"
	    " SELECT sha256, result_id FROM blob_versions) b"
	    " JOIN results r ON r.id = b.result_id ORDER BY b.sha256, b.result_id", "");
	rc = st != NULL ? 1 : -1;
	while (rc == 1 && (rc = isq_step(h, st, e)) == 1)
		json_array_append_new(refs, json_pack("[s, s, b]", sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 1), sqlite3_column_int(st, 2)));
	sqlite3_finalize(st);
	json_array_foreach(refs, i, ref) {
		if (rc < 0)
			break;
		rc = fn(arg, json_string_value(json_array_get(ref, 0)),
		    json_string_value(json_array_get(ref, 1)),
		    json_is_true(json_array_get(ref, 2)));
	}
	json_decref(refs);
	return rc < 0 ? -1 : 0;
}

static json_t *by_kind(struct idx *h, struct err *e)
{
	json_t *o = json_object();
	sqlite3_stmt *st = isq_prep(h, e, "SELECT kind, count(*) FROM results GROUP BY kind", "");
	int rc = st != NULL ? 1 : -1;
	while (rc == 1 && (rc = isq_step(h, st, e)) == 1)
		json_object_set_new(o, (const char *)sqlite3_column_text(st, 0),
		    json_integer(sqlite3_column_int64(st, 1)));
	sqlite3_finalize(st);
	if (rc < 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/*
 * An intake event is a new result or a reuse. reuse_count counts both kinds
 * of reuse (same bytes; same issuer, number and date), and each row with
 * reuse_of set is one of the second kind, already counted as a result.
 */
static int sq_stats(void *handle, json_t **stats, struct err *e)
{
	struct idx *h = handle;
	json_t *kinds = NULL;
	int rc = -1;
	*stats = NULL;
	if (isq_exec(h, e, "BEGIN", "") < 0)
		return -1;
	sqlite3_stmt *st = isq_prep(h, e, "SELECT count(*), coalesce(sum(pages), 0),"
	    " coalesce(sum(disposed), 0), coalesce(sum(reuse_count), 0), count(reuse_of),"
	    " min(received_at), max(received_at), (SELECT count(*) FROM dossiers),"
	    " (SELECT count(*) FROM blobs WHERE kind = 'pdf')"
	    " FROM results", "");
	if (st == NULL || isq_step(h, st, e) != 1 || (kinds = by_kind(h, e)) == NULL)
		goto out;
	int64_t c[5];
	for (int i = 0; i < 5; i++)
		c[i] = sqlite3_column_int64(st, i);
	int64_t reuses = c[3], commits = c[0] + c[3] - c[4];
	*stats = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:O, s:s?, s:s?}",
	    "results", (json_int_t)c[0], "signed", (json_int_t)sqlite3_column_int64(st, 8),
	    "pages", (json_int_t)c[1], "disposed", (json_int_t)c[2],
	    "dossiers", (json_int_t)sqlite3_column_int64(st, 7), "commits", (json_int_t)commits,
	    "reuses", (json_int_t)reuses, "reuse_rate", commits ? (double)reuses / commits : 0.0,
	    "by_kind", kinds, "first_received", sqlite3_column_text(st, 5),
	    "last_received", sqlite3_column_text(st, 6));
	rc = *stats != NULL ? 0 : -1;
	if (rc < 0)
		err_set(e, "index: cannot build the stats object");
out:
	sqlite3_finalize(st);
	json_decref(kinds);
	return isq_tx_end(h, rc, e);
}

const struct index_ops index_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.commit = isq_commit,
	.reserve_code = isq_reserve_code,
	.get = sq_get,
	.search = sq_search,
	.dossier_results = sq_dossier_results,
	.audit_append = isq_audit_append,
	.audit_append_many = isq_audit_append_many,
	.audit_verify = isq_audit_verify,
	.blob_refs = sq_blob_refs,
	.dispose = isq_dispose,
	.forget_blobs = isq_forget_blobs,
	.stats = sq_stats,
	.revise = isq_revise,
};
