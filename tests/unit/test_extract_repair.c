#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/extract_int.h"

/* Run from the repository root (tests/run.sh does). */
#define DATA "config"

static struct gazetteer *gz;

static int load(void **state)
{
	(void)state;
	struct err e = { 0 };
	if (gazetteer_load(DATA, &gz, &e) < 0) {
		print_error("setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int unload(void **state)
{
	(void)state;
	gazetteer_free(gz);
	return 0;
}

static void fold_upper_distance(void **state)
{
	(void)state;
	char *s = match_fold("  Ủy  ban\tnhân dân ");
	assert_string_equal(s, "UY BAN NHAN DAN");
	free(s);
	s = match_fold("Đường đi");
	assert_string_equal(s, "DUONG DI");
	free(s);
	s = match_fold("Số: 12/QĐ-UBND");
	assert_string_equal(s, "SO: 12/QD-UBND");
	free(s);
	s = match_fold("");
	assert_string_equal(s, "");
	free(s);
	assert_null(match_fold("Hà N\xff"));
	s = text_upper("Tỉnh Hưng Yên, đường 5");
	assert_string_equal(s, "TỈNH HƯNG YÊN, ĐƯỜNG 5");
	free(s);
	assert_int_equal(text_distance("Hà Nội", "Hà Nam"), 2);
	assert_int_equal(text_distance("Ủy", "Uy"), 1);  /* code points, not bytes */
	assert_int_equal(text_distance("", "abc"), 3);
	assert_int_equal(text_distance("Hưng Yên", "Hưng Yên"), 0);
	assert_int_equal(text_distance("kitten", "sitting"), 3);
}

static void counts(void **state)
{
	(void)state;
	/* 63 before 1 July 2025 and 34 after; all of the 34 but Huế were among the 63. */
	assert_int_equal(gazetteer_count(gz, GZ_PROVINCE), 64);
	assert_true(gazetteer_count(gz, GZ_AGENCY) >= 40);
	assert_true(gazetteer_count(gz, GZ_DOCTYPE) >= 32);  /* Phụ lục III, copies, công văn */
	assert_true(gazetteer_count(gz, GZ_ROLE) >= 25);
	assert_true(gazetteer_count(gz, GZ_SURNAME) >= 100);
	assert_true(gazetteer_count(gz, GZ_PHRASE) >= 15);
}

struct repair_case {
	const char *in, *out;
	int repairs;
};

static void check_repairs(const struct repair_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int repairs = -1;
		char *out = gazetteer_repair_line(gz, c[i].in, &repairs);
		if (strcmp(out, c[i].out) != 0 || repairs != c[i].repairs)
			fail_msg("\"%s\" -> \"%s\" (%d repairs), expected \"%s\" (%d)", c[i].in, out,
			    repairs, c[i].out, c[i].repairs);
		free(out);
	}
}

static void ocr_lines_repaired(void **state)
{
	(void)state;
	static const struct repair_case cases[] = {
		{ "ÚY BAN NHÂN DÂN TINH HUNG YEN", "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN", 2 },
		{ "UY BAN NHAN DAN", "ỦY BAN NHÂN DÂN", 1 },
		{ "CỘNG HÒA XÃ HỘI CHÚ NGHĨA VIỆT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1 },
		{ "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1 },
		{ "Độc lập - Tự do - Hạnh phủc", "Độc lập - Tự do - Hạnh phúc", 1 },
		{ "Độc lập-Tự do-Hạnh phúc", "Độc lập - Tự do - Hạnh phúc", 1 },
		{ "Độc lập – Tự do – Hạnh phúc", "Độc lập - Tự do - Hạnh phúc", 1 },
		{ "Sô: 12/QĐ-UBND", "Số: 12/QĐ-UBND", 1 },
		{ "Sô : 2684/QĐ-UBND", "Số: 2684/QĐ-UBND", 1 },
		{ "Hà Nôi, ngay 29 thang 6 nam 2019", "Hà Nội, ngày 29 tháng 6 năm 2019", 4 },
		{ "(Hà Nôi)", "(Hà Nội)", 1 },
		{ "KT. CHU TICH", "KT. CHỦ TỊCH", 1 },
		{ "PHO GIAM ĐOC", "PHÓ GIÁM ĐỐC", 1 },
		{ "QUYÊT ĐINH", "QUYẾT ĐỊNH", 1 },
		/* a type in a sentence keeps the sentence's case */
		{ "Căn cứ Quyết đinh số 12/QĐ-UBND", "Căn cứ Quyết định số 12/QĐ-UBND", 1 },
		{ "Nơi nhận :", "Nơi nhận:", 1 },
		{ "Mã hô sơ: 000.00.12.H29-240129-0042", "Mã hồ sơ: 000.00.12.H29-240129-0042", 1 },
		{ "THÀNH PHỐ HỒ CHI MINH", "THÀNH PHỐ HỒ CHÍ MINH", 1 },
		{ "Sở Tài chính tỉnh Khánh Hoà", "Sở Tài chính tỉnh Khánh Hòa", 1 },
		{ "- Văn bản của Sơ Tài chính", "- Văn bản của Sở Tài chính", 1 },
		/* one letter wrong, not a mark: a near match on a long span */
		{ "ỦY BAN NHÂN DÂM TỈNH LÂM ĐỒNG", "ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG", 1 },
		{ "TRƯỞNG BAM", "TRƯỞNG BAN", 1 },
		{ "Hà  Nôi", "Hà Nội", 1 },
		{ "UBND tinh Hung Yen", "UBND tỉnh Hưng Yên", 1 },
		{ "Thanh pho Hai Phong", "Thành phố Hải Phòng", 1 },
		{ "\xff\xfe Hà Nôi", "\xff\xfe Hà Nội", 1 },  /* a word that is not UTF-8 */
	};
	check_repairs(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Right text, and text that is near an entry but is something else. */
static void right_lines_unchanged(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"",
		"   ",
		"ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN",
		"Hà Nam, ngày 29 tháng 01 năm 2024",  /* not Hà Nội */
		"Hà  Nội,\tngày 12 tháng 12 năm 2023",  /* spacing kept */
		"năm",
		"Nguyễn Văn Nam",  /* not năm */
		"các tỉnh miền Nam",
		"Trương Văn Dương, trường học",  /* a name is no role */
		"TRƯƠNG VĂN DƯƠNG",
		"Nguyễn Thị Thanh Hoa",  /* not Thanh Hóa */
		"NGUYỄN THỊ THANH HOA",
		"TỈNH AN GIANG Độc lập - Tự do - Hạnh phúc",  /* Giang is a surname too */
		"Tổ chức đánh giá lại hoạt động",  /* not Gia Lai */
		"ĐÁNH GIÁ LẠI HOẠT ĐỘNG",
		"Thủ trưởng các sở, ban, ngành",  /* THỦ and THỨ TRƯỞNG are both roles */
		"thu truong",
		"4. Thời gian nhận hồ sơ: 07 giờ 30 phút",  /* sơ: is no Số: */
		"3. Thời gian giải quyết hồ sơ theo quy định",
		"(trừ trường hợp tổng số hồ sơ tiếp nhận ít hơn)",
		"Bộ Tài chính",  /* not Sở */
		"Kiên Giang",
		"Tiền Giang",
		"Quảng Nam",
		"Lưu: VT, KSTT.",
		"Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;",
		"Số: 2684/QĐ-UBND",
		"- Sô: 12",  /* a label only at the start of the line */
		"KT. CHỦ TỊCH",
		"PHÓ CHỦ TỊCH",
		"Trần Quốc Văn",
		"not UTF-8: H\xe0 N\xf4i",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int repairs = -1;
		char *out = gazetteer_repair_line(gz, lines[i], &repairs);
		if (strcmp(out, lines[i]) != 0 || repairs != 0)
			fail_msg("\"%s\" -> \"%s\" (%d repairs)", lines[i], out, repairs);
		free(out);
	}
	char *out = gazetteer_repair_line(gz, "Sô:", NULL);
	assert_string_equal(out, "Số:");
	free(out);
}

static void match(enum gz_list l, const char *text, const char *want, size_t want_d)
{
	size_t d = 99;
	const char *abbrev = "unset";
	const char *got = gazetteer_match(gz, l, text, &d, &abbrev);
	if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0)
		fail_msg("\"%s\" -> \"%s\", expected \"%s\"", text, got ? got : "(null)",
		    want ? want : "(null)");
	if (want_d != (size_t)-1 && d != want_d)
		fail_msg("\"%s\": distance %zu, expected %zu", text, d, want_d);
	if (l != GZ_DOCTYPE || got == NULL)
		assert_null(abbrev);
}

static void matches(void **state)
{
	(void)state;
	match(GZ_PROVINCE, "Hưng Yên", "Hưng Yên", 0);
	match(GZ_PROVINCE, "HUNG YEN", "Hưng Yên", 0);
	match(GZ_PROVINCE, "Khánh Hoà", "Khánh Hòa", 0);
	match(GZ_PROVINCE, "Thanh Hoá", "Thanh Hóa", 0);
	match(GZ_PROVINCE, "Hue", "Huế", 0);
	match(GZ_PROVINCE, "Thừa Thiên Huế", "Thừa Thiên Huế", 0);
	match(GZ_PROVINCE, "Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu", 0);
	match(GZ_PROVINCE, "Ha Noj", "Hà Nội", 1);
	match(GZ_PROVINCE, "Hà Nam", "Hà Nam", 0);
	match(GZ_PROVINCE, "Quang Linh", NULL, 1);  /* Quảng Ninh or Quảng Bình */
	match(GZ_PROVINCE, "Lien Giang", NULL, 1);  /* Kiên or Tiền Giang */
	match(GZ_PROVINCE, "Tokyo", NULL, (size_t)-1);
	match(GZ_PROVINCE, "Huê'", NULL, 1);  /* short: exact only */
	match(GZ_AGENCY, "Sở Tài chinh", "Sở Tài chính", 0);
	match(GZ_AGENCY, "Sở Tài chánh", "Sở Tài chính", 1);
	match(GZ_AGENCY, "ÚY BAN NHÂN DÂN", "Ủy ban nhân dân", 0);
	match(GZ_ROLE, "PHÓ CHỦ TICH", "PHÓ CHỦ TỊCH", 0);
	match(GZ_ROLE, "THỨ TRƯỞNG", "THỨ TRƯỞNG", 0);
	match(GZ_ROLE, "THU TRUONG", NULL, 0);  /* THỨ or THỦ */
	match(GZ_SURNAME, "Nguyen", "Nguyễn", 0);
	match(GZ_PHRASE, "Độc lập – Tự do – Hạnh phúc", "Độc lập - Tự do - Hạnh phúc", 0);
	match(GZ_PHRASE, "Sô:", "Số:", 0);
}

static void doctype_abbreviations(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
		{ "QUYET ĐINH", "QĐ" }, { "Kế hoạch", "KH" }, { "CHƯƠNG TRÌNH", "CTr" },
		{ "QUY ĐỊNH", "QyĐ" }, { "TỜ TRÌNH", "TTr" }, { "TRÍCH SAO", "TrS" },
		{ "CÔNG VĂN", "" }, { "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "" },
		{ "TỜ KHAI", "" }, { "ĐƠN ĐỀ NGHỊ", "" }, { "BẢN THỎA THUẬN", "BTT" },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *abbrev = NULL;
		const char *t = gazetteer_match(gz, GZ_DOCTYPE, pairs[i][0], NULL, &abbrev);
		if (t == NULL || abbrev == NULL || strcmp(abbrev, pairs[i][1]) != 0)
			fail_msg("%s: %s, abbreviation %s", pairs[i][0], t ? t : "(null)",
			    abbrev ? abbrev : "(null)");
	}
}

static void missing_directory(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct gazetteer *g = NULL;
	assert_int_equal(gazetteer_load("tests/no-such-directory", &g, &e), -1);
	assert_null(g);
	assert_non_null(strstr(e.msg, "tests/no-such-directory/gazetteer/provinces.txt"));
}

/* A copy of the gazetteer in a temporary folder, file `name` replaced by `text`
 * (NULL: left out). */
static char *scratch_copy(const char *name, const char *text)
{
	static const char *const files[] = { "provinces.txt", "agencies.txt", "doctypes.txt",
		"roles.txt", "surnames.txt", "phrases.txt" };
	char tmpl[] = "/tmp/sohoa-gz-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *sub = xasprintf("%s/gazetteer", tmpl);
	assert_int_equal(mkdir(sub, 0700), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct buf b = { 0 };
		struct err e = { 0 };
		char *src = xasprintf(DATA "/gazetteer/%s", files[i]);
		char *dst = xasprintf("%s/%s", sub, files[i]);
		assert_int_equal(file_read_all(src, 1 << 20, &b, &e), 0);
		int replaced = strcmp(files[i], name) == 0;
		if (!replaced || text != NULL) {
			const char *data = replaced ? text : b.data;
			assert_int_equal(file_write_atomic(dst, data, strlen(data), 0600, &e), 0);
		}
		free(b.data);
		free(src);
		free(dst);
	}
	free(sub);
	return xstrdup(tmpl);
}

static void bad_files_named(void **state)
{
	(void)state;
	static const struct {
		const char *file, *text, *msg;
	} cases[] = {
		{ "agencies.txt", NULL, "/gazetteer/agencies.txt: cannot open" },
		{ "roles.txt", "# roles\nCHỦ TỊCH\nGIÁM ĐỐC\nCHỦ TỊCH\n",
		    "/gazetteer/roles.txt, line 4: \"CHỦ TỊCH\" is there twice" },
		{ "doctypes.txt", "QUYẾT ĐỊNH|QĐ\nKẾ HOẠCH\n", "/gazetteer/doctypes.txt, line 2" },
		{ "phrases.txt", "Số:\nH\xe0 N\xf4i\n", "/gazetteer/phrases.txt, line 2: not UTF-8" },
		{ "surnames.txt", "# nothing\n\n", "/gazetteer/surnames.txt: no entries" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = scratch_copy(cases[i].file, cases[i].text);
		struct err e = { 0 };
		struct gazetteer *g = NULL;
		int rc = gazetteer_load(dir, &g, &e);
		remove_tree(dir);
		free(dir);
		if (rc != -1 || g != NULL || strstr(e.msg, cases[i].msg) == NULL)
			fail_msg("%s: rc %d, \"%s\"", cases[i].file, rc, e.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fold_upper_distance),
		cmocka_unit_test(counts),
		cmocka_unit_test(ocr_lines_repaired),
		cmocka_unit_test(right_lines_unchanged),
		cmocka_unit_test(matches),
		cmocka_unit_test(doctype_abbreviations),
		cmocka_unit_test(missing_directory),
		cmocka_unit_test(bad_files_named),
	};
	return cmocka_run_group_tests(tests, load, unload);
}
