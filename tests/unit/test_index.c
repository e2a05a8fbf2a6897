/*
 * The SQLite index, read: 1000 synthetic results filed, then every filter
 * checked against what the generated data says it must return; lookups and
 * result codes. What changes the index, and the audit chain: test_index_audit.c.
 */
#include "index_fixtures.h"

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
	struct err e = { 0 };
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
		struct err e = { 0 };
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
	struct err e = { 0 };
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
