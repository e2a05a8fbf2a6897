/*
 * Shared by test_index.c and test_index_audit.c: 1000 synthetic results, the
 * setup that files them all (measured), raw SQLite access to the file, and the
 * model that says from the generated data what a search must return.
 * Not a test program itself (the Makefile builds only test_*.c).
 */
#ifndef SOHOA_TESTS_INDEX_FIXTURES_H
#define SOHOA_TESTS_INDEX_FIXTURES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>
#include <utf8proc.h>

#include "archive/archive.h"

#define N 1000
#define DOSSIERS 150

static const char *const issuers[] = {
	"ỦY BAN NHÂN DÂN TỈNH KON TUM", "SỞ NỘI VỤ TỈNH ĐIỆN BIÊN",
	"ỦY BAN NHÂN DÂN HUYỆN ĐẮK HÀ", "SỞ TÀI CHÍNH THÀNH PHỐ HÀ NỘI", "BỘ NỘI VỤ",
	"ỦY BAN NHÂN DÂN XÃ ĐỒNG TÂM", "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH HƯNG YÊN",
	"CÔNG AN TỈNH QUẢNG NAM", "SỞ Y TẾ THÀNH PHỐ HỒ CHÍ MINH",
	"ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ",
};
/* The last type is a công văn: no type line. */
static const char *const types[] = { "QUYẾT ĐỊNH", "KẾ HOẠCH", "THÔNG BÁO", "CHỈ THỊ", NULL };
static const char *const types_lower[] = { "Quyết định", "kế hoạch", "Thông báo", "chỉ thị" };
static const char *const symbols[] = { "QĐ-UBND", "KH-UBND", "TB-UBND", "CT-UBND", "UBND-VX" };
static const char *const sentences[] = {
	"Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
	"Xét đề nghị của Giám đốc Sở Nội vụ về cải cách hành chính",
	"Điều 1. Phê duyệt kế hoạch kiểm soát thủ tục hành chính năm nay",
	"Điều 2. Quyết định này có hiệu lực kể từ ngày ký",
	"Nơi nhận: như Điều 3; lưu VT, VP",
};
static const char *const signers[] = { "Nguyễn Văn An", "Trần Thị Bình", "Đinh Quang Hải",
	"Lê Hoàng Yến", "Phạm Minh Đức" };

struct gen {
	char id[65], pdf[65];
	char number[32], date[11], received[32], dossier[40], citizen[16], word[16];
	char code[64];
	int issuer, type, lower, sentence, signer, disposed;
};

static struct gen g[N];
static const struct index_ops *ix = &index_sqlite;
static void *h;
static char dir[128], dbpath[160];
static int dossier_count[DOSSIERS];
static long audits; /* audit records the test expects */
static long commits;

/* ---- generated data ------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void fake_sha(unsigned i, unsigned salt, char out[65])
{
	for (int k = 0; k < 4; k++)
		snprintf(out + 16 * k, 17, "%016llx",
		    (unsigned long long)mix((uint64_t)i * 1000003u + salt * 7919u + (uint64_t)k));
}

static void day_string(int day, char out[11])
{
	time_t t = 1672574400 + (time_t)day * 86400; /* 2023-01-01 12:00 UTC */
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void generate(int i)
{
	struct gen *x = &g[i];
	fake_sha((unsigned)i, 1, x->id);
	fake_sha((unsigned)i, 2, x->pdf);
	x->issuer = (int)(mix((uint64_t)i) % 10);
	x->type = i % 5;
	x->lower = x->type < 4 && i % 7 == 0;
	x->sentence = (i / 5) % 5;
	x->signer = (i / 3) % 5;
	snprintf(x->number, sizeof(x->number), "%d/%s", i + 1, symbols[x->type]);
	day_string((int)((i * 389u) % 548u) * 2, x->date); /* 548 days used, two results each */
	time_iso8601_vn(1735693200 + (time_t)(i / 2) * 97, x->received); /* pairs tie */
	if (i % 3 == 0)
		snprintf(x->dossier, sizeof(x->dossier), "000.00.12.H29-240129-%04d",
		    (i / 3) % DOSSIERS + 1);
	if (i % 4 == 1)
		snprintf(x->citizen, sizeof(x->citizen), "0641900%05d", i / 8);
	else if (i % 10 == 2)
		snprintf(x->citizen, sizeof(x->citizen), "%09d", 100000000 + i / 20);
	snprintf(x->word, sizeof(x->word), "zq%05dq", i);
}

static const char *type_of(int i)
{
	return g[i].lower ? types_lower[g[i].type] : types[g[i].type];
}

static char *text_of(int i)
{
	const struct gen *x = &g[i];
	return xasprintf("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n%s\n"
	    "Số: %s\n%s\n%s. Mã tra cứu %s.", issuers[x->issuer], x->number,
	    type_of(i) ? type_of(i) : "", sentences[x->sentence], x->word);
}

static json_t *result_of(int i)
{
	const struct gen *x = &g[i];
	char *text = text_of(i);
	json_t *f = json_pack("{s:s?, s:s, s:s, s:n, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s}",
	    "type", type_of(i), "number", x->number, "issuer", issuers[x->issuer], "issuer_parent",
	    "place", "Kon Tum", "date", x->date, "subject", "Về việc tổ chức thực hiện",
	    "signer", signers[x->signer], "dossier_code", x->dossier[0] ? x->dossier : NULL,
	    "citizen_id", x->citizen[0] ? x->citizen : NULL,
	    "tax_code", i % 50 == 7 ? "0100109106" : NULL, "procedure", "Cấp giấy phép");
	json_t *r = json_pack("{s:s, s:n, s:s, s:s, s:i, s:s, s:o, s:s, s:{s:s, s:s, s:n}, s:b}",
	    "id", x->id, "result_code", "source", "inbox/quay-1/scan.tif", "received_at",
	    x->received, "pages", 1 + i % 4, "kind", i % 10 == 9 ? "receipt" : "document",
	    "fields", f, "text", text, "files", "original", "blobs/x", "pdf", "blobs/y", "xml",
	    "signed", 1);
	free(text);
	return r;
}

static int commit_json(json_t *r, const char *pdf, struct index_outcome *out, struct err *e)
{
	struct index_commit c = { .result = r, .actor = "test:index" };
	c.blob_sha[BLOB_ORIGINAL] = json_string_value(json_object_get(r, "id"));
	c.blob_sha[BLOB_PDF] = pdf;
	return ix->commit(h, &c, out, e);
}

/* ---- raw SQLite, as someone with the file would --------------------------- */

static int first_int(void *arg, int n, char **v, char **names)
{
	(void)names;
	if (n > 0 && v[0] != NULL && *(long long *)arg == -1)
		*(long long *)arg = atoll(v[0]);
	return 0;
}

/* Runs SQL (printf-style) on the file; the first column of the first row, or -1. */
static long long raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long raw(const char *fmt, ...)
{
	sqlite3 *db = NULL;
	char *sql, *msg = NULL;
	long long v = -1;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&sql, fmt, ap) < 0)
		fail();
	va_end(ap);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, first_int, &v, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
	free(sql);
	return v;
}

/* ---- setup: file all, measured -------------------------------------------- */

static void commit_generated(int i)
{
	struct err e = { 0 };
	struct index_outcome out;
	json_t *r = result_of(i);
	if (commit_json(r, g[i].pdf, &out, &e) < 0)
		fatalx("commit %d: %s", i, e.msg);
	char want[64] = "";
	if (g[i].dossier[0])
		snprintf(want, sizeof(want), "%s-KQ%d", g[i].dossier,
		    ++dossier_count[(i / 3) % DOSSIERS]);
	memcpy(g[i].code, want, sizeof(want));
	const char *code = json_string_value(json_object_get(out.result, "result_code"));
	int right = g[i].dossier[0] ? code != NULL && strcmp(code, g[i].code) == 0 : code == NULL;
	if (out.duplicate || !right)
		fatalx("commit %d: unexpected outcome (code %s)", i, code ? code : "null");
	json_decref(out.result);
	json_decref(r);
	commits++;
	audits++;
}

static int setup(void **state)
{
	(void)state;
	struct err e = { 0 };
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof(dir), "%s/sohoa-index-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL || ix->open(dir, &h, &e) < 0)
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/index.sqlite", dir);
	for (int i = 0; i < N; i++)
		generate(i);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N; i++)
		commit_generated(i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct stat st;
	raw("PRAGMA wal_checkpoint(TRUNCATE)");
	stat(dbpath, &st);
	printf("[ MEASURE  ] %d commits in %.2f s: %.0f results/s (synchronous=FULL, %s); "
	    "index.sqlite %lld bytes, %lld bytes/result\n", N, dt, N / dt, tmp,
	    (long long)st.st_size, (long long)st.st_size / N);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ix->close(h);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* ---- the model: what a search must return, from the generated data ---------- */

static char *casefold(const char *s)
{
	utf8proc_uint8_t *out = NULL;
	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out, UTF8PROC_NULLTERM |
		UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD) < 0)
		fail_msg("not UTF-8: %s", s);
	return (char *)out;
}

static char *norm(const char *s, int fold)
{
	return fold ? text_fold(s) : casefold(s);
}

static int is_sep(char c)
{
	return (unsigned char)c < 0x80 && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9');
}

/* " t1 t2 ... " of s: lowered or folded, split where FTS5 splits these data. */
static char *tokens(const char *s, int fold)
{
	char *n = norm(s, fold);
	struct buf b = { 0 };
	buf_append(&b, " ", 1);
	for (const char *p = n; *p != '\0'; p++)
		buf_append(&b, is_sep(*p) ? " " : p, 1);
	buf_append(&b, " ", 1);
	free(n);
	char *w = b.data;
	for (char *r = b.data; *r != '\0'; r++) /* squeeze spaces */
		if (!(*r == ' ' && w > b.data && w[-1] == ' '))
			*w++ = *r;
	*w = '\0';
	return b.data;
}

/* Every word of `words` (each a phrase of its tokens) is in result i's full text. */
static int has_words(int i, const char *words, int fold)
{
	char *text = text_of(i);
	const char *t = type_of(i);
	char *all = xasprintf("%s\n%s\n%s\n%s\nVề việc tổ chức thực hiện\n%s\nCấp giấy phép", text,
	    t ? t : "", g[i].number, issuers[g[i].issuer], signers[g[i].signer]);
	char *hay = tokens(all, fold), *copy = xstrdup(words), *save = NULL;
	int ok = 1, any = 0;
	for (char *w = strtok_r(copy, " ", &save); w && ok; w = strtok_r(NULL, " ", &save)) {
		char *needle = tokens(w, fold);
		if (strcmp(needle, " ") != 0) {
			any = 1;
			ok = strstr(hay, needle) != NULL;
		}
		free(needle);
	}
	free(text);
	free(all);
	free(hay);
	free(copy);
	return ok && any;
}

/* needle is (whole: equal to) hay, both lowered or folded. */
static int matches(const char *hay, const char *needle, int fold, int whole)
{
	char *x = norm(hay, fold), *y = norm(needle, fold);
	int in = whole ? strcmp(x, y) == 0 : strstr(x, y) != NULL;
	free(x);
	free(y);
	return in;
}

/* The query q, answered from the generated data. */
static int model_match(int i, const struct archive_query *q)
{
	const struct gen *x = &g[i];
	return !x->disposed && (!q->number || matches(x->number, q->number, 0, 1)) &&
	    (!q->issuer || matches(issuers[x->issuer], q->issuer, q->fold, 0)) &&
	    (!q->type || (type_of(i) && matches(type_of(i), q->type, 0, 1))) &&
	    (!q->dossier || strcmp(q->dossier, x->dossier) == 0) &&
	    (!q->citizen_id || strcmp(q->citizen_id, x->citizen) == 0 ||
		(i % 50 == 7 && strcmp(q->citizen_id, "0100109106") == 0)) &&
	    (!q->from || strcmp(x->date, q->from) >= 0) &&
	    (!q->to || strcmp(x->date, q->to) <= 0) &&
	    (!q->text || has_words(i, q->text, q->fold));
}

/* Newest first is most recently filed, and setup files them in order. */
static int newest_first(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

/* Asserts the search returns exactly the model's answer, newest first; its size. */
static size_t expect(struct archive_query q)
{
	static int want[N];
	struct err e = { 0 };
	json_t *res = NULL;
	size_t n = 0;
	for (int i = 0; i < N; i++)
		if (model_match(i, &q))
			want[n++] = i;
	qsort(want, n, sizeof(want[0]), newest_first);
	if (q.limit == 0)
		q.limit = N;
	n = n < q.limit ? n : q.limit;
	if (ix->search(h, &q, &res, &e) < 0)
		fail_msg("search: %s", e.msg);
	if (json_array_size(res) != n)
		fail_msg("search gave %zu results, the data says %zu", json_array_size(res), n);
	for (size_t k = 0; k < n; k++) {
		json_t *r = json_array_get(res, k);
		assert_string_equal(json_string_value(json_object_get(r, "id")), g[want[k]].id);
	}
	json_decref(res);
	return n;
}

/* A search, checked against the model; the number of results. */
#define Q(...) expect((struct archive_query){ __VA_ARGS__ })

/* ---- lookups ---------------------------------------------------------------- */

static const char *code_of(json_t *r)
{
	const char *c = json_string_value(json_object_get(r, "result_code"));
	return c != NULL ? c : "(null)";
}

static json_t *get(const char *key)
{
	struct err e = { 0 };
	json_t *r = NULL;
	if (ix->get(h, key, &r, &e) < 0)
		fail_msg("get %s: %s", key, e.msg);
	return r;
}

static json_t *dossier(const char *code)
{
	struct err e = { 0 };
	json_t *arr = NULL;
	if (ix->dossier_results(h, code, &arr, &e) < 0)
		fail_msg("dossier %s: %s", code, e.msg);
	return arr;
}

#endif
