/*
 * extract_check: the grammars of the numbers and codes that administrative
 * documents carry, and the checks that reject what OCR misread.
 */
#include "pipeline/extract_int.h"

#include <string.h>

#define VN_OFFSET (7 * 3600)

/* Provinces of QĐ 124/2004 that the CCCD uses: 63 codes between 001 and 096. */
static const unsigned short cccd_provinces[] = {
	1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33,
	34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64,
	66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94,
	95, 96,
};

static const int mst_weights[9] = { 31, 29, 23, 19, 17, 13, 7, 5, 3 };

/* yyyymmdd of `now` in Viet Nam. */
static long today_vn(time_t now)
{
	struct tm tm;
	time_t t = now + VN_OFFSET;
	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s, and (for n < 10) their value in *v. */
static int digits(const char *s, size_t n, int *v)
{
	int x = 0, ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		ok = is_digit(s[i]);
		x = n < 10 ? x * 10 + (s[i] - '0') : 0;
	}
	if (v != NULL)
		*v = x;
	return ok;
}

static int all_digits(const char *s, size_t n)
{
	return strlen(s) == n && digits(s, n, NULL);
}

static int date_exists(int year, int month, int day)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (month < 1 || month > 12 || day < 1)
		return 0;
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return day <= mdays[month - 1] + (month == 2 && leap);
}

static int date_between(int year, int month, int day, long from, time_t now)
{
	long ymd = year * 10000L + month * 100L + day;
	return date_exists(year, month, day) && ymd >= from && ymd <= today_vn(now);
}

int check_date(int year, int month, int day, time_t now)
{
	return date_between(year, month, day, 19450902L, now);
}

/* Đ and đ in UTF-8. */
static size_t d_stroke(const char *s, int upper_only)
{
	if ((unsigned char)s[0] != 0xc4)
		return 0;
	unsigned char c = (unsigned char)s[1];
	return c == 0x90 || (!upper_only && c == 0x91) ? 2 : 0;
}

/* One group of a symbol: an upper-case letter, then letters and digits. */
static const char *symbol_group(const char *s)
{
	size_t k = d_stroke(s, 1);
	if (k == 0 && !(*s >= 'A' && *s <= 'Z'))
		return NULL;
	s += k ? k : 1;
	for (;;) {
		if ((k = d_stroke(s, 0)) != 0)
			s += k;
		else if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || is_digit(*s))
			s++;
		else
			return s;
	}
}

static int symbol(const char *s)
{
	int groups = 0;
	for (;;) {
		if ((s = symbol_group(s)) == NULL)
			return 0;
		groups++;
		if (*s == '\0')
			return groups >= 2;
		if (*s++ != '-')
			return 0;
	}
}

static int year_now(void)
{
	return (int)(today_vn(time(NULL)) / 10000);
}

int check_number_symbol(const char *s)
{
	size_t n = 0;
	int number = 0, year;
	while (is_digit(s[n]) && n <= 5)
		number = number * 10 + (s[n++] - '0');
	if (n < 1 || n > 5 || number == 0 || s[n] != '/')
		return 0;
	s += n + 1;
	if (digits(s, 4, &year) && s[4] == '/') {
		if (year < 1945 || year > year_now())
			return 0;
		s += 5;
	}
	return symbol(s);
}

/* "ddd.dd.dd.Add-yymmdd-dddd": 'd' a digit, 'A' an upper-case letter. */
int check_dossier_code(const char *s, time_t now)
{
	static const char shape[] = "ddd.dd.dd.Add-dddddd-dddd";
	int yy, mm, dd;
	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		char c = s[i];
		int ok = shape[i] == 'd' ? is_digit(c) :
		    shape[i] == 'A' ? c >= 'A' && c <= 'Z' : c == shape[i];
		if (!ok)
			return 0;
	}
	digits(s + 14, 2, &yy);
	digits(s + 16, 2, &mm);
	digits(s + 18, 2, &dd);
	return date_between(2000 + yy, mm, dd, 20180101L, now);
}

static int cccd_province(int code)
{
	for (size_t i = 0; i < sizeof(cccd_provinces) / sizeof(cccd_provinces[0]); i++)
		if (cccd_provinces[i] == code)
			return 1;
	return 0;
}

int check_cccd(const char *s, time_t now)
{
	int province, century, yy;
	if (!all_digits(s, 12))
		return 0;
	digits(s, 3, &province);
	digits(s + 3, 1, &century);
	digits(s + 4, 2, &yy);
	if (!cccd_province(province) || century > 5)
		return 0;
	return 1900 + 100 * (century / 2) + yy <= today_vn(now) / 10000;
}

int check_cmnd(const char *s)
{
	return all_digits(s, 9);
}

int check_mst(const char *s)
{
	size_t n = strlen(s);
	int sum = 0, serial, branch, check;
	if (!(n == 10 || (n == 14 && s[10] == '-')) || !digits(s, 10, NULL))
		return 0;
	if (n == 14 && (!digits(s + 11, 3, &branch) || branch == 0))
		return 0;
	digits(s + 2, 7, &serial);
	if (serial == 0)
		return 0;
	for (int i = 0; i < 9; i++)
		sum += mst_weights[i] * (s[i] - '0');
	check = 10 - sum % 11;
	return check != 10 && check == s[9] - '0';
}
