/*
 * The SQLite index: 1000 synthetic results filed, then every filter checked
 * against what the generated data says it must return; result codes, reuse,
 * disposal, stats, rollback, the audit chain and schema versions.
 */
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
static long commits, reuses, extra_results;

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
	struct err e = { { 0 } };
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
	struct err e = { { 0 } };
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
	struct err e = { { 0 } };
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

/* ---- tests ------------------------------------------------------------------ */

static void fold_strips_marks_and_d(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{ "QUYẾT ĐỊNH", "quyet dinh" },
		{ "ỦY BAN NHÂN DÂN XÃ ĐỒNG TÂM", "uy ban nhan dan xa dong tam" },
		{ "Ðð đĐ", "dd dd" }, { "Quye\xcc\x82\xcc\x81t", "quyet" }, { "ﬁ ² Ｑ", "fi 2 q" },
		{ "\xff ABC", "\xff abc" }, { "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *f = text_fold(cases[i][0]);
		assert_string_equal(f, cases[i][1]);
		free(f);
	}
	assert_null(text_fold(NULL));
}

static void each_filter_returns_exactly_its_results(void **state)
{
	(void)state;
	assert_int_equal(Q(.number = "11/qđ-ubnd"), 1);
	assert_int_equal(Q(.number = "13/QD-UBND"), 0);
	const char *iss[] = { "kon tum", "ỦY BAN NHÂN DÂN", "ủy ban nhân dân", "sở", "Nội Vụ",
		"uy ban" };
	for (size_t i = 0; i < sizeof(iss) / sizeof(iss[0]); i++)
		Q(.issuer = iss[i]);
	assert_true(Q(.issuer = "ủy ban nhân dân") > 100);
	assert_int_equal(Q(.issuer = "uy ban"), 0);
	const char *fiss[] = { "uy ban nhan dan tinh", "dong tam", "ĐẮK", "ho chi minh",
		"Sở y tế" };
	for (size_t i = 0; i < sizeof(fiss) / sizeof(fiss[0]); i++)
		assert_true(Q(.issuer = fiss[i], .fold = 1) > 0);
	assert_true(Q(.type = "quyết định") > 150);
	assert_true(Q(.type = "THÔNG BÁO") > 150);
	assert_int_equal(Q(.type = "QUYET DINH"), 0);
	assert_int_equal(Q(.type = "CÔNG VĂN"), 0);
	for (int d = 0; d < N; d += 37)
		if (g[d].dossier[0])
			assert_true(Q(.dossier = g[d].dossier) >= 2);
	assert_true(Q(.citizen_id = g[1].citizen) == 2);
	assert_true(Q(.citizen_id = g[2].citizen) == 2);
	assert_true(Q(.citizen_id = "0100109106") == 20);
	assert_int_equal(Q(.citizen_id = "064190099999"), 0);
}

static void next_day(const char *date, char out[11])
{
	struct tm tm = { 0 };
	strptime(date, "%Y-%m-%d", &tm);
	tm.tm_hour = 12;
	time_t t = timegm(&tm) + 86400;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void date_range_edges(void **state)
{
	(void)state;
	char after[11];
	const char *d = g[123].date;
	assert_int_equal(Q(.from = d, .to = d), 2);
	next_day(d, after);
	Q(.from = after, .to = after);
	size_t upto = Q(.to = d);
	size_t from = Q(.from = after);
	assert_int_equal(upto + from, N);
	assert_true(Q(.from = "2024-02-01", .to = "2024-02-29") > 0);
	struct err e = { { 0 } };
	json_t *res = NULL;
	const char *bad[] = { "2024-13-45", "2023-02-29", "2024-1-5", "yesterday", "2024-04-31" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct archive_query q = { .from = bad[i] };
		assert_int_equal(ix->search(h, &q, &res, &e), -1);
		assert_non_null(strstr(e.msg, bad[i]));
		assert_null(res);
	}
	assert_int_equal(ix->search(h, &(struct archive_query){ .to = "2024-02-29" }, &res, &e), 0);
	json_decref(res);
	assert_int_equal(ix->search(h, &(struct archive_query){ .from = "2025-01-01",
	    .to = "2024-01-01" }, &res, &e), -1);
}

static void filters_combine(void **state)
{
	(void)state;
	assert_true(Q(.issuer = "ủy ban", .type = "quyết định", .from = "2024-01-01",
	    .to = "2024-12-31") > 0);
	assert_true(Q(.issuer = "uy ban nhan dan", .fold = 1, .text = "quyet dinh",
	    .from = "2023-06-01") > 0);
	Q(.dossier = g[3].dossier, .type = types[g[3].type]);
	Q(.citizen_id = g[5].citizen, .issuer = issuers[g[5].issuer]);
	assert_int_equal(Q(.number = g[7].number, .issuer = issuers[(g[7].issuer + 1) % 10]), 0);
}

static void full_text_with_and_without_diacritics(void **state)
{
	(void)state;
	for (int i = 0; i < N; i += 97)
		assert_int_equal(Q(.text = g[i].word), 1);
	size_t folded = Q(.text = "quyet dinh", .fold = 1);
	size_t plain = Q(.text = "quyết định");
	assert_true(plain > 0 && folded >= plain);
	/* folded "dinh" is also the signer Đinh Quang Hải */
	assert_true(Q(.text = "dinh", .fold = 1) > Q(.text = "định"));
	assert_int_equal(Q(.text = "quyet"), 0);
	assert_int_equal(Q(.text = "QUYẾT ĐỊNH", .fold = 1), folded);
	assert_true(Q(.text = "kiem soat thu tuc", .fold = 1) > 0);
	assert_int_equal(Q(.text = "kiem soat thu tuc"), 0);
	assert_int_equal(Q(.text = "501/QĐ-UBND"), 1);
	assert_int_equal(Q(.text = "501/QĐ-UBND \""), 1);
	assert_int_equal(Q(.text = "501/qd-ubnd", .fold = 1), 1);
	const char *nasty[] = { "\"", "\"\"", "-", "*", "a:b", "NEAR(", "{x} :", "OR AND NOT",
		"(", "^", "\xff\xfe", "quyết\"định", "zq00001q*" };
	for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		struct err e = { { 0 } };
		json_t *res = NULL;
		for (int fold = 0; fold < 2; fold++) {
			struct archive_query q = { .text = nasty[i], .fold = fold };
			if (ix->search(h, &q, &res, &e) < 0)
				fail_msg("text '%s': %s", nasty[i], e.msg);
			json_decref(res);
		}
	}
	assert_int_equal(Q(.text = "\""), 0);
}

static void limit_and_order(void **state)
{
	(void)state;
	struct err e = { { 0 } };
	json_t *res = NULL;
	assert_int_equal(Q(.limit = 5), 5);
	assert_int_equal(Q(.limit = N), N);
	assert_int_equal(Q(.issuer = "ủy ban", .limit = 7), 7);
	assert_int_equal(ix->search(h, &(struct archive_query){ 0 }, &res, &e), 0);
	assert_int_equal(json_array_size(res), 100);
	json_decref(res);
	assert_int_equal(ix->search(h, &(struct archive_query){ .number = "", .issuer = " ",
	    .text = "", .limit = 20000 }, &res, &e), 0);
	assert_int_equal(json_array_size(res), N); /* blank filters are no filters */
	json_decref(res);
}

static const char *code_of(json_t *r)
{
	const char *c = json_string_value(json_object_get(r, "result_code"));
	return c != NULL ? c : "(null)";
}

static json_t *get(const char *key)
{
	struct err e = { { 0 } };
	json_t *r = NULL;
	if (ix->get(h, key, &r, &e) < 0)
		fail_msg("get %s: %s", key, e.msg);
	return r;
}

static json_t *dossier(const char *code)
{
	struct err e = { { 0 } };
	json_t *arr = NULL;
	if (ix->dossier_results(h, code, &arr, &e) < 0)
		fail_msg("dossier %s: %s", code, e.msg);
	return arr;
}

static void get_by_id_code_and_dossier(void **state)
{
	(void)state;
	json_t *r = get(g[42].id);
	assert_non_null(r);
	char *text = text_of(42);
	assert_string_equal(json_string_value(json_object_get(r, "text")), text);
	assert_true(json_is_false(json_object_get(r, "reused")));
	assert_true(json_is_null(json_object_get(r, "result_code")) == !g[42].dossier[0]);
	free(text);
	json_decref(r);
	char upper[65];
	for (int i = 0; i < 65; i++)
		upper[i] = (char)(g[10].id[i] >= 'a' ? g[10].id[i] - 32 : g[10].id[i]);
	assert_non_null(r = get(upper));
	json_decref(r);
	int second = -1;
	for (int i = 0; i < N && second < 0; i++)
		if (g[i].code[0] && strstr(g[i].code, "-KQ2"))
			second = i;
	assert_non_null(r = get(g[second].code));
	assert_string_equal(json_string_value(json_object_get(r, "id")), g[second].id);
	assert_string_equal(json_string_value(json_object_get(r, "result_code")), g[second].code);
	json_decref(r);
	assert_non_null(r = get(g[second].dossier));
	assert_non_null(strstr(json_string_value(json_object_get(r, "result_code")), "-KQ1"));
	json_decref(r);
	assert_null(get("0000000000000000000000000000000000000000000000000000000000000000"));
	assert_null(get("000.00.12.H29-240129-9999"));
	assert_null(get("000.00.12.H29-240129-0001-KQ99"));
	assert_null(get(""));
}

static void result_codes_number_each_dossier(void **state)
{
	(void)state;
	for (int d = 0; d < DOSSIERS; d++) {
		char code[40];
		snprintf(code, sizeof(code), "000.00.12.H29-240129-%04d", d + 1);
		json_t *arr = dossier(code);
		assert_int_equal(json_array_size(arr), dossier_count[d]);
		for (int k = 0, n = 0; k < N; k++) {
			if (strcmp(g[k].dossier, code) != 0)
				continue;
			json_t *r = json_array_get(arr, n++);
			assert_string_equal(json_string_value(json_object_get(r, "id")), g[k].id);
			assert_string_equal(code_of(r), g[k].code);
			char want[64];
			snprintf(want, sizeof(want), "%s-KQ%d", code, n);
			assert_string_equal(g[k].code, want);
		}
		json_decref(arr);
	}
	json_t *arr = dossier("000.00.12.H29-240129-9999");
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

/* ---- changes: reuse, disposal, rollback ------------------------------------- */

static long extra_pages;

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
	struct err e = { { 0 } };
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
	struct err e = { { 0 } };
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
	struct err e = { { 0 } };
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
	struct err e = { { 0 } };
	json_t *s = NULL;
	long pages = extra_pages;
	for (int i = 0; i < N; i++)
		pages += 1 + i % 4;
	assert_int_equal(ix->stats(h, &s, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "results")), N + extra_results);
	assert_int_equal(json_integer_value(json_object_get(s, "pages")), pages);
	assert_int_equal(json_integer_value(json_object_get(s, "disposed")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "dossiers")), DOSSIERS + 3);
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

/* ---- the audit chain --------------------------------------------------------- */

static json_t *verify(void)
{
	struct err e = { { 0 } };
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
	struct err e = { { 0 } };
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

/* ---- schema versions ----------------------------------------------------------- */

static void schema_version_and_reopen(void **state)
{
	(void)state;
	struct err e = { { 0 } };
	ix->close(h);
	h = NULL;
	assert_int_equal(raw("PRAGMA user_version"), 1);
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
		cmocka_unit_test(fold_strips_marks_and_d),
		cmocka_unit_test(each_filter_returns_exactly_its_results),
		cmocka_unit_test(date_range_edges),
		cmocka_unit_test(filters_combine),
		cmocka_unit_test(full_text_with_and_without_diacritics),
		cmocka_unit_test(limit_and_order),
		cmocka_unit_test(get_by_id_code_and_dossier),
		cmocka_unit_test(result_codes_number_each_dossier),
		cmocka_unit_test(same_bytes_twice_is_one_result_reused),
		cmocka_unit_test(same_document_other_bytes_is_reuse_of),
		cmocka_unit_test(dispose_keeps_codes_and_hides_from_search),
		cmocka_unit_test(failed_commit_leaves_nothing),
		cmocka_unit_test(stats_count_intake_and_reuse),
		cmocka_unit_test(audit_chain_catches_edits_and_deletions),
		cmocka_unit_test(schema_version_and_reopen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
