#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "pipeline/extract_int.h"

/* 2026-11-22T12:00:00Z, 19:00 in Viet Nam. */
#define NOW ((time_t)1795348800)
/* 2024-01-29T17:30:00Z: already 30 January in Viet Nam. */
#define EVENING ((time_t)1706549400)

static void dates(void **state)
{
	(void)state;
	assert_true(check_date(2024, 1, 29, NOW));
	assert_true(check_date(2024, 2, 29, NOW));   /* leap year */
	assert_true(check_date(2000, 2, 29, NOW));   /* divisible by 400 */
	assert_false(check_date(2023, 2, 29, NOW));
	assert_false(check_date(1900, 2, 29, NOW));  /* divisible by 100 */
	assert_false(check_date(2024, 4, 31, NOW));
	assert_false(check_date(2024, 13, 1, NOW));
	assert_false(check_date(2024, 0, 1, NOW));
	assert_false(check_date(2024, 1, 0, NOW));
	assert_true(check_date(1945, 9, 2, NOW));
	assert_false(check_date(1945, 9, 1, NOW));
	assert_true(check_date(2026, 11, 22, NOW));
	assert_false(check_date(2026, 11, 23, NOW));  /* future */
	assert_false(check_date(2027, 1, 1, NOW));
	assert_true(check_date(2024, 1, 30, EVENING)); /* UTC+7 */
	assert_false(check_date(2024, 1, 31, EVENING));
}

static void number_symbols_good(void **state)
{
	(void)state;
	assert_true(check_number_symbol("2684/QĐ-UBND"));
	assert_true(check_number_symbol("59/QĐ-UBND"));
	assert_true(check_number_symbol("66/2025/NĐ-CP"));
	assert_true(check_number_symbol("04/CTr-UBND"));
	assert_true(check_number_symbol("04/BC-UBND"));
	assert_true(check_number_symbol("12/UBND-VX"));
	assert_true(check_number_symbol("15/QĐ-BNV"));
	assert_true(check_number_symbol("7/TTr-STC"));
	assert_true(check_number_symbol("3/QyĐ-UBND"));
	assert_true(check_number_symbol("12345/KH-SYT-NVY"));
	assert_true(check_number_symbol("01/2018/TT-VPCP"));
	assert_true(check_number_symbol("20/BCĐ389-VP"));
}

static void number_symbols_bad(void **state)
{
	(void)state;
	assert_false(check_number_symbol("2684/QĐUBND"));  /* one group */
	assert_false(check_number_symbol("QĐ-UBND"));
	assert_false(check_number_symbol("2684/"));
	assert_false(check_number_symbol("2684/qđ-ubnd"));
	assert_false(check_number_symbol("2684/QĐ-"));
	assert_false(check_number_symbol("2684/QĐ--UBND"));
	assert_false(check_number_symbol("2684/-UBND"));
	assert_false(check_number_symbol("2684/QĐ-UBND "));
	assert_false(check_number_symbol("2684 /QĐ-UBND"));
	assert_false(check_number_symbol("123456/QĐ-UBND"));  /* 6 digits */
	assert_false(check_number_symbol("99999999999999999999/QĐ-UBND"));
	assert_false(check_number_symbol("0/QĐ-UBND"));
	assert_false(check_number_symbol("66/1900/NĐ-CP"));   /* year before 1945 */
	assert_false(check_number_symbol("66/2999/NĐ-CP"));   /* future year */
	assert_false(check_number_symbol("66/2025"));
	assert_false(check_number_symbol("12/UBND-vx"));
	assert_false(check_number_symbol("12/ÚBND-VX"));
	assert_false(check_number_symbol(""));
}

static void dossier_codes(void **state)
{
	(void)state;
	assert_true(check_dossier_code("000.00.12.H29-240129-0042", NOW));
	assert_true(check_dossier_code("000.00.12.H29-180101-0001", NOW));
	assert_true(check_dossier_code("123.45.67.G01-240229-9999", NOW));
	assert_true(check_dossier_code("000.00.12.H29-261122-0001", NOW));
	assert_true(check_dossier_code("000.00.12.H29-240130-0001", EVENING));
	/* impossible date, future, before 2018 */
	assert_false(check_dossier_code("000.00.12.H29-240230-0042", NOW));
	assert_false(check_dossier_code("000.00.12.H29-230229-0042", NOW));
	assert_false(check_dossier_code("000.00.12.H29-241301-0042", NOW));
	assert_false(check_dossier_code("000.00.12.H29-261123-0042", NOW));
	assert_false(check_dossier_code("000.00.12.H29-240131-0042", EVENING));
	assert_false(check_dossier_code("000.00.12.H29-171231-0042", NOW));
	/* grammar */
	assert_false(check_dossier_code("000.00.12.h29-240129-0042", NOW));
	assert_false(check_dossier_code("000.00.12.H2-240129-0042", NOW));
	assert_false(check_dossier_code("000.00.12.H29-240129-042", NOW));
	assert_false(check_dossier_code("000.00.12.H29-240129-00420", NOW));
	assert_false(check_dossier_code("000-00-12-H29-240129-0042", NOW));
	assert_false(check_dossier_code("000.00.12.H29 240129 0042", NOW));
	assert_false(check_dossier_code("000.00.12.H29-2401290042", NOW));
	assert_false(check_dossier_code("O00.00.12.H29-240129-0042", NOW));
	assert_false(check_dossier_code("", NOW));
}

static void cccd(void **state)
{
	(void)state;
	assert_true(check_cccd("001090001234", NOW));   /* Hà Nội, male, 1990 */
	assert_true(check_cccd("079185012345", NOW));   /* TP HCM, female, 1985 */
	assert_true(check_cccd("096205000001", NOW));   /* Cà Mau, male, 2005 */
	assert_true(check_cccd("033326000001", NOW));   /* Hưng Yên, female, 2026 */
	assert_true(check_cccd("077100000001", NOW));   /* Bà Rịa - Vũng Tàu */
	assert_false(check_cccd("003090001234", NOW));  /* no province 003 */
	assert_false(check_cccd("000090001234", NOW));
	assert_false(check_cccd("097090001234", NOW));
	assert_false(check_cccd("001690001234", NOW));  /* century digit 6 */
	assert_false(check_cccd("001990001234", NOW));
	assert_false(check_cccd("001227001234", NOW));  /* born 2027: future */
	assert_false(check_cccd("001400001234", NOW));  /* born 2100 */
	assert_false(check_cccd("00109000123", NOW));   /* 11 digits */
	assert_false(check_cccd("0010900012345", NOW));
	assert_false(check_cccd("00109000123A", NOW));
	assert_false(check_cccd("", NOW));
}

static void cmnd(void **state)
{
	(void)state;
	assert_true(check_cmnd("012345678"));
	assert_false(check_cmnd("01234567"));
	assert_false(check_cmnd("0123456789"));
	assert_false(check_cmnd("01234567O"));
	assert_false(check_cmnd(""));
}

/* Check digits computed with standards.md §3; the first three are the
 * real codes of Viettel, FPT and Vinamilk. */
static void mst_good(void **state)
{
	(void)state;
	assert_true(check_mst("0100109106"));
	assert_true(check_mst("0101248141"));
	assert_true(check_mst("0300588569"));
	assert_true(check_mst("0301234562"));
	assert_true(check_mst("4800123456"));
	assert_true(check_mst("0100000010"));  /* check digit 0 */
	assert_true(check_mst("0100109106-001"));
	assert_true(check_mst("0300588569-012"));
}

static void mst_bad(void **state)
{
	(void)state;
	char s[] = "0100109106";
	for (char c = '0'; c <= '9'; c++) {
		s[9] = c;
		assert_int_equal(check_mst(s), c == '6');
	}
	/* Σ mod 11 = 0: check digit 10, so no digit makes it valid. */
	char t[] = "0101010100";
	for (char c = '0'; c <= '9'; c++) {
		t[9] = c;
		assert_false(check_mst(t));
	}
	assert_false(check_mst("0100000003"));  /* serial 0000000, right check digit */
	assert_false(check_mst("0100109106-000"));
	assert_false(check_mst("0100109107-001"));
	assert_false(check_mst("0100109106-01"));
	assert_false(check_mst("0100109106-0001"));
	assert_false(check_mst("0100109106001"));
	assert_false(check_mst("0100109106 001"));
	assert_false(check_mst("010010910"));
	assert_false(check_mst("01001091066"));
	assert_false(check_mst("01001O9106"));
	assert_false(check_mst("0100109106-0A1"));
	assert_false(check_mst("MST0100109"));
	assert_false(check_mst(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dates),
		cmocka_unit_test(number_symbols_good),
		cmocka_unit_test(number_symbols_bad),
		cmocka_unit_test(dossier_codes),
		cmocka_unit_test(cccd),
		cmocka_unit_test(cmnd),
		cmocka_unit_test(mst_good),
		cmocka_unit_test(mst_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
