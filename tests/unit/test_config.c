/* Unit tests for config/: every config is written into a fresh mkdtemp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

struct fx {
	char dir[64]; /* /tmp/sohoa-test-config-XXXXXX */
	char conf[96];
	struct sohoa_config c;
	struct config_problems p;
};

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void sub(const char *dir, const char *name)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* The layout of `sohoa init DIR`, plus quarantine/. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/sohoa-test-config-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/sohoa.conf", f->dir);
	const char *dirs[] = { "spool", "archive", "quarantine", "inbox", "keys" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		sub(f->dir, dirs[i]);
	put(f->dir, "keys/signer.p12", "not really PKCS#12", 0600);
	put(f->dir, "keys/signer.pin", "123456\n", 0600);
	put(f->dir, "keys/ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	config_free(&f->c);
	config_problems_free(&f->p);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int load(struct fx *f, const char *text)
{
	config_free(&f->c);
	config_problems_free(&f->p);
	put(f->dir, "sohoa.conf", text, 0644);
	return config_load(f->conf, &f->c, &f->p);
}

static void dump(const struct config_problems *p)
{
	for (size_t i = 0; i < p->count; i++)
		fprintf(stderr, "  problem: line %d: %s\n", p->items[i].line, p->items[i].msg);
}

static const struct config_problem *find(const struct config_problems *p, int line,
    const char *text)
{
	for (size_t i = 0; i < p->count; i++)
		if (p->items[i].line == line && strstr(p->items[i].msg, text) != NULL)
			return &p->items[i];
	fprintf(stderr, "no problem on line %d containing \"%s\"; got:\n", line, text);
	dump(p);
	return NULL;
}

#define assert_problem(f, line, text) assert_non_null(find(&(f)->p, line, text))
#define assert_clean(f, expr)                        \
	do {                                         \
		int rc_ = (expr);                    \
		dump(&(f)->p);                       \
		assert_int_equal((f)->p.count, 0);   \
		assert_int_equal(rc_, 0);            \
	} while (0)

static void test_defaults(void **state)
{
	(void)state;
	struct sohoa_config c;
	config_defaults(&c);
	assert_null(c.file);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_string_equal(c.agency_name, "");
	assert_null(c.agency_code);
	assert_string_equal(c.spool_dir, "spool");
	assert_string_equal(c.archive_dir, "archive");
	assert_string_equal(c.quarantine_dir, "quarantine");
	assert_string_equal(c.languages, "vie+eng");
	assert_null(c.tessdata_dir);
	assert_int_equal(c.max_pixels, 300000000);
	assert_int_equal(c.max_pages, 1000);
	assert_int_equal(c.max_file_bytes, UINT64_C(1024) * 1024 * 1024);
	assert_null(c.signer_pkcs12);
	assert_int_equal(c.nwatches, 0);
	config_free(&c);
	assert_null(c.spool_dir);
}

static void test_full_valid(void **state)
{
	struct fx *f = *state;
	char text[8192];
	snprintf(text, sizeof(text),
	    "[sohoa]\nlog_level = debug\nagency_name = Sở Nội vụ tỉnh Điện Biên\n"
	    "agency_code = 000.00.12.H29\n"
	    "[paths]\nspool = %1$s/spool\narchive = %1$s/archive\nquarantine = %1$s/quarantine\n"
	    "[decode]\nmax_pixels = 123456\nmax_pages = 20 ; short dossiers\nmax_file_mb = 2\n"
	    "[ocr]\nlanguages = vie+eng+osd\ntessdata = %1$s/inbox\n"
	    "[signer]\npkcs12 = %1$s/keys/signer.p12\npin_file = %1$s/keys/signer.pin\n"
	    "ca = %1$s/keys/ca.pem\n"
	    "[watch quay-1]\npath = %1$s/inbox\noperator = Quầy 1 - Nguyễn Thị Lan\n"
	    "procedure = 1.001612\n"
	    "[watch quay-2]\npath = %1$s/keys\nagency_code = 000.00.15.H29\n", f->dir);
	int rc = load(f, text);
	assert_clean(f, rc);
	struct sohoa_config *c = &f->c;
	assert_string_equal(c->file, f->conf);
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(c->agency_name, "Sở Nội vụ tỉnh Điện Biên");
	assert_string_equal(c->agency_code, "000.00.12.H29");
	assert_int_equal(c->max_pixels, 123456);
	assert_int_equal(c->max_pages, 20);
	assert_int_equal(c->max_file_bytes, 2 * 1024 * 1024);
	assert_string_equal(c->languages, "vie+eng+osd");
	assert_non_null(strstr(c->signer_pin_file, "/keys/signer.pin"));
	assert_int_equal(c->nwatches, 2);
	assert_string_equal(c->watches[0].name, "quay-1");
	assert_string_equal(c->watches[0].operator_name, "Quầy 1 - Nguyễn Thị Lan");
	assert_string_equal(c->watches[0].procedure, "1.001612");
	assert_null(c->watches[0].agency_code);
	assert_int_equal(c->watches[0].line, 20);
	assert_string_equal(c->watches[1].agency_code, "000.00.15.H29");
	assert_null(c->watches[1].operator_name);
}

static void expect_path(const char *got, const char *dir, const char *rel)
{
	char want[PATH_MAX * 2];
	snprintf(want, sizeof(want), "%s/%s", dir, rel);
	assert_string_equal(got, want);
}

static void test_relative_paths(void **state)
{
	struct fx *f = *state;
	int rc = load(f, "[paths]\narchive = keys/../archive\n[signer]\nca = keys/ca.pem\n"
	    "[watch a]\npath = inbox\n");
	assert_clean(f, rc);
	expect_path(f->c.archive_dir, f->dir, "keys/../archive");
	expect_path(f->c.signer_ca, f->dir, "keys/ca.pem");
	expect_path(f->c.watches[0].path, f->dir, "inbox");
	/* Defaults follow the file too, not the cwd. */
	expect_path(f->c.spool_dir, f->dir, "spool");
	expect_path(f->c.quarantine_dir, f->dir, "quarantine");

	/* A config named relative to the cwd still gets absolute paths. */
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	config_free(&f->c);
	config_problems_free(&f->p);
	rc = config_load("sohoa.conf", &f->c, &f->p);
	assert_int_equal(chdir(cwd), 0);
	assert_clean(f, rc);
	assert_string_equal(f->c.file, f->conf);
	expect_path(f->c.watches[0].path, f->dir, "inbox");
}

static void test_unknown_key(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "[ocr]\nlanguages = vie\n\nfoo = bar\n"), -1);
	assert_int_equal(f->p.count, 1);
	assert_int_equal(f->p.items[0].line, 4);
	assert_string_equal(f->p.items[0].msg, "unknown key 'foo' in [ocr]");
	assert_string_equal(f->c.languages, "vie");
}

static void test_unknown_section(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "# comment\n[tesseract]\nlanguages = vie\n[ocr]\nlanguages = eng\n"), -1);
	assert_int_equal(f->p.count, 1); /* its keys are not reported one by one */
	assert_problem(f, 2, "unknown section [tesseract]");
	assert_string_equal(f->c.languages, "eng");
	assert_int_equal(load(f, "spool = x\n"), -1);
	assert_problem(f, 1, "key 'spool' is outside any section");
}

static void test_bad_integers(void **state)
{
	struct fx *f = *state;
	static const struct { const char *key, *value, *msg; } cases[] = {
		{ "max_pages", "abc", "bad value for max_pages: 'abc' (expected a positive integer)" },
		{ "max_pages", "-5", "bad value for max_pages: '-5' (expected a positive integer)" },
		{ "max_pages", "0", "expected a positive integer" },
		{ "max_pages", "12abc", "expected a positive integer" },
		{ "max_pages", "1.5", "expected a positive integer" },
		{ "max_pages", "+7", "expected a positive integer" },
		{ "max_pages", "0x10", "expected a positive integer" },
		{ "max_pages", "", "expected a positive integer" },
		{ "max_pages", "4294967296", "too large; at most 4294967295" },
		{ "max_pixels", "18446744073709551616", "too large" },
		{ "max_pixels", "99999999999999999999999", "too large" },
		{ "max_pixels", "-1", "expected a positive integer, optionally with K, M or G" },
		{ "max_pixels", "20000000000G", "too large" },
		{ "max_pixels", "3X", "optionally with K, M or G" },
		{ "max_pixels", "3MB", "optionally with K, M or G" },
		{ "max_file_mb", "17592186044416", "too large; at most 17592186044415" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[decode]\n%s = %s\n", cases[i].key, cases[i].value);
		assert_int_equal(load(f, text), -1);
		assert_int_equal(f->p.count, 1);
		assert_problem(f, 2, cases[i].msg);
	}
	/* The defaults stay when a value is refused. */
	assert_int_equal(f->c.max_file_bytes, UINT64_C(1024) * 1024 * 1024);
}

static void test_integer_suffix(void **state)
{
	struct fx *f = *state;
	int rc = load(f, "[decode]\nmax_pixels = 300M\nmax_pages = 0007\n"
	    "max_file_mb = 17592186044415\n");
	assert_clean(f, rc);
	assert_int_equal(f->c.max_pixels, 300000000);
	assert_int_equal(f->c.max_pages, 7);
	assert_int_equal(f->c.max_file_bytes, UINT64_C(17592186044415) * 1024 * 1024);
	rc = load(f, "[decode]\nmax_pixels = 2g\n");
	assert_clean(f, rc);
	assert_int_equal(f->c.max_pixels, 2000000000);
	rc = load(f, "[decode]\nmax_pixels = 12K\n");
	assert_clean(f, rc);
	assert_int_equal(f->c.max_pixels, 12000);
}

static void test_bad_log_level(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "[sohoa]\nlog_level = verbose\n"), -1);
	assert_problem(f, 2, "bad value for log_level: 'verbose' (expected error, warn, info or debug)");
	assert_int_equal(f->c.log_level, LOG_LEVEL_INFO);
}

static void test_bad_agency_code(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"000.00.12.h29", "00.00.12.H29", "000.00.12.H29x", "000.00.12.H2",
		"000-00-12-H29", "000.00.12.229", "", "000.00.12.H29 extra",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[sohoa]\nagency_code = %s\n", bad[i]);
		assert_int_equal(load(f, text), -1);
		assert_problem(f, 2, "bad value for agency_code");
		assert_problem(f, 2, "like 000.00.12.H29");
		assert_null(f->c.agency_code);
	}
	assert_int_equal(load(f, "[watch a]\npath = inbox\nagency_code = 000.00.12.G9\n"), -1);
	assert_int_equal(f->p.count, 1);
	assert_problem(f, 3, "bad value for agency_code: '000.00.12.G9'");
}

static void test_bad_languages(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = { "vie eng", "vie,eng", "+vie", "vie+", "vie++eng",
		"script/Latin", "vie;eng" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[ocr]\nlanguages = %s\n", bad[i]);
		assert_int_equal(load(f, text), -1);
		assert_problem(f, 2, "bad value for languages");
		assert_string_equal(f->c.languages, "vie+eng");
	}
	assert_clean(f, load(f, "[ocr]\nlanguages = chi_sim+vie\n"));
}

static void test_missing_folder(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX * 2];
	assert_int_equal(load(f, "[sohoa]\nlog_level = warn\n[paths]\nspool = /x/y\n"), -1);
	assert_int_equal(f->p.count, 1);
	assert_int_equal(f->p.items[0].line, 4);
	assert_string_equal(f->p.items[0].msg, "spool folder /x/y does not exist");

	/* A file where a folder should be; a missing default (line 0). */
	assert_int_equal(rmdir(strcat(strcpy(want, f->dir), "/quarantine")), 0);
	assert_int_equal(load(f, "[paths]\narchive = keys/ca.pem\n[ocr]\ntessdata = nowhere\n"
	    "[watch quay-1]\npath = gone\n"), -1);
	assert_int_equal(f->p.count, 4);
	snprintf(want, sizeof(want), "quarantine folder %s/quarantine does not exist", f->dir);
	assert_problem(f, 0, want);
	snprintf(want, sizeof(want), "archive folder %s/keys/ca.pem is not a directory", f->dir);
	assert_problem(f, 2, want);
	snprintf(want, sizeof(want), "tessdata folder %s/nowhere does not exist", f->dir);
	assert_problem(f, 4, want);
	snprintf(want, sizeof(want), "watch 'quay-1' folder %s/gone does not exist", f->dir);
	assert_problem(f, 6, want);
}

static void test_secret_modes(void **state)
{
	struct fx *f = *state;
	char text[PATH_MAX * 2], want[PATH_MAX * 3];
	snprintf(text, sizeof(text), "%s/keys/signer.pin", f->dir);
	assert_int_equal(chmod(text, 0644), 0);
	assert_int_equal(load(f, "[signer]\npkcs12 = keys/signer.p12\npin_file = keys/signer.pin\n"), -1);
	assert_int_equal(f->p.count, 1);
	snprintf(want, sizeof(want),
	    "pin_file %s/keys/signer.pin is readable by others (mode 0644); chmod 600 it", f->dir);
	assert_problem(f, 3, want);

	static const struct { mode_t mode; const char *msg; } modes[] = {
		{ 0640, "readable by its group (mode 0640)" },
		{ 0620, "writable by its group (mode 0620)" },
		{ 0602, "writable by others (mode 0602)" },
		{ 0610, "executable by group or others (mode 0610)" },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(text, modes[i].mode), 0);
		assert_int_equal(load(f, "[signer]\npin_file = keys/signer.pin\n"), -1);
		assert_problem(f, 2, modes[i].msg);
	}
	assert_int_equal(chmod(text, 0600), 0);
	assert_clean(f, load(f, "[signer]\npkcs12 = keys/signer.p12\npin_file = keys/signer.pin\n"));
	assert_int_equal(chmod(text, 0400), 0);
	assert_clean(f, load(f, "[signer]\npin_file = keys/signer.pin\n"));
}

static void test_secret_files_exist(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "[signer]\npkcs12 = keys\npin_file = keys/none.pin\n"
	    "ca = keys/none.pem\n"), -1);
	assert_int_equal(f->p.count, 3);
	assert_problem(f, 2, "/keys is not a regular file");
	assert_problem(f, 3, "/keys/none.pin does not exist");
	assert_problem(f, 4, "ca ");
	assert_problem(f, 4, "/keys/none.pem does not exist");
	/* The CA is public: 0644 is fine. */
	assert_clean(f, load(f, "[signer]\nca = keys/ca.pem\n"));
}

static void test_many_problems(void **state)
{
	struct fx *f = *state;
	const char *text =
	    "[sohoa]\n"                         /* 1 */
	    "log_level = loud\n"                /* 2 */
	    "agency_code = 123\n"               /* 3 */
	    "[paths]\n"                         /* 4 */
	    "spool = missing-spool\n"           /* 5 */
	    "[decode]\n"                        /* 6 */
	    "max_pages = many\n"                /* 7 */
	    "this line is wrong\n"              /* 8 */
	    "[ocr]\n"                           /* 9 */
	    "colour = yes\n"                    /* 10 */
	    "[watch quay-1]\n"                  /* 11 */
	    "operator = Quầy 1\n"               /* 12 */
	    "[watch quay-2]\n"                  /* 13 */
	    "path = inbox\n"                    /* 14 */
	    "path = inbox\n";                   /* 15 */
	assert_int_equal(load(f, text), -1);
	static const struct { int line; const char *msg; } want[] = {
		{ 2, "bad value for log_level" },
		{ 3, "bad value for agency_code" },
		{ 5, "spool folder" },
		{ 7, "bad value for max_pages" },
		{ 8, "syntax error" },
		{ 10, "unknown key 'colour' in [ocr]" },
		{ 11, "[watch quay-1] has no path" },
		{ 15, "duplicate key 'path' in [watch quay-2] (first set on line 14)" },
	};
	assert_int_equal(f->p.count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < f->p.count; i++) {
		assert_int_equal(f->p.items[i].line, want[i].line); /* sorted by line */
		assert_non_null(strstr(f->p.items[i].msg, want[i].msg));
	}
	/* Filled as far as it could be. */
	assert_int_equal(f->c.nwatches, 2);
	assert_string_equal(f->c.watches[0].operator_name, "Quầy 1");
}

static void test_duplicate_key(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "[sohoa]\nlog_level = warn\n[ocr]\n[sohoa]\nlog_level = debug\n"), -1);
	assert_int_equal(f->p.count, 1);
	assert_problem(f, 5, "duplicate key 'log_level' in [sohoa] (first set on line 2)");
	assert_int_equal(f->c.log_level, LOG_LEVEL_WARN);
}

static void test_duplicate_watch(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "[watch quay-1]\npath = inbox\n\n[watch quay-1]\npath = keys\n"
	    "operator = X\n"), -1);
	assert_int_equal(f->p.count, 1);
	assert_problem(f, 4, "duplicate watch 'quay-1' (first defined on line 1)");
	assert_int_equal(f->c.nwatches, 1);
	assert_null(f->c.watches[0].operator_name);
}

static void test_watch_missing_path(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "[sohoa]\nlog_level = info\n\n[watch quay-3]\n"
	    "operator = Quầy 3\n[watch empty]\n"), -1);
	assert_int_equal(f->p.count, 2);
	assert_problem(f, 4, "[watch quay-3] has no path");
	assert_problem(f, 6, "[watch empty] has no path");
	assert_int_equal(load(f, "[watch]\npath = inbox\n[watch   ]\n"), -1);
	assert_int_equal(f->p.count, 2);
	assert_problem(f, 1, "a watch section needs a name");
	assert_problem(f, 3, "a watch section needs a name");
	/* An empty path is a bad value, not also a missing one. */
	assert_int_equal(load(f, "[watch a]\npath =\n"), -1);
	assert_int_equal(f->p.count, 1);
	assert_problem(f, 2, "bad value for path: '' (expected a path)");
}

static void test_syntax_errors(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "[sohoa]\nlog_level = info\nnonsense\n[paths\nspool = /x\n"
	    "[ocr]\nlanguages = vie\n   continued\n"), -1);
	assert_int_equal(f->p.count, 3);
	assert_problem(f, 3, "syntax error");
	assert_problem(f, 4, "syntax error: missing ']'");
	assert_problem(f, 8, "syntax error"); /* no continuation lines */
	assert_string_equal(f->c.languages, "vie");
	assert_non_null(strstr(f->c.spool_dir, f->dir)); /* line 5 was not taken */
	/* An inline comment hides the '='. */
	assert_int_equal(load(f, "[ocr]\nlanguages ;= vie\n"), -1);
	assert_problem(f, 2, "syntax error");
}

static void test_long_line_and_crlf(void **state)
{
	struct fx *f = *state;
	char *text = malloc(10000);
	int k = snprintf(text, 10000, "\xEF\xBB\xBF[sohoa]\r\nagency_name = ");
	memset(text + k, 'x', 5000);
	strcpy(text + k + 5000, "\r\nlog_level = warn\r\n");
	assert_int_equal(load(f, text), -1);
	assert_int_equal(f->p.count, 1);
	assert_problem(f, 2, "line too long");
	assert_int_equal(f->c.log_level, LOG_LEVEL_WARN); /* line 3 still counted right */
	/* 300-byte paths are fine; BOM and CRLF too (Notepad). */
	char name[302];
	memset(name, 'd', 301);
	name[150] = '/';
	name[301] = '\0';
	name[150] = '\0';
	sub(f->dir, name);
	name[150] = '/';
	sub(f->dir, name);
	snprintf(text, 10000, "\xEF\xBB\xBF[paths]\r\nspool = %s\r\n", name);
	assert_clean(f, load(f, text));
	assert_non_null(strstr(f->c.spool_dir, name));
	free(text);
}

static void test_invalid_utf8(void **state)
{
	struct fx *f = *state;
	/* "Ủy ban" in Windows-1258 bytes is not UTF-8. */
	assert_int_equal(load(f, "[sohoa]\nagency_name = \xD5y ban\n"), -1);
	assert_problem(f, 2, "agency_name is not valid UTF-8");
	assert_int_equal(load(f, "[watch a]\npath = inbox\noperator = \xC0\xAF\n"), -1);
	assert_problem(f, 3, "operator is not valid UTF-8");
}

static void test_missing_file(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/none.conf", f->dir);
	assert_int_equal(config_load(path, &f->c, &f->p), -1);
	assert_int_equal(f->p.count, 1);
	assert_problem(f, 0, "cannot open");
	assert_string_equal(f->c.file, path);
	assert_string_equal(f->c.languages, "vie+eng");
	config_free(&f->c);
	config_problems_free(&f->p);
	assert_int_equal(config_load(f->dir, &f->c, &f->p), -1);
	assert_problem(f, 0, "is not a regular file");
}

static void test_default_path(void **state)
{
	(void)state;
	const char *saved = getenv("SOHOA_CONFIG");
	char *keep = saved ? strdup(saved) : NULL;
	setenv("SOHOA_CONFIG", "/srv/sohoa/sohoa.conf", 1);
	assert_string_equal(config_default_path(), "/srv/sohoa/sohoa.conf");
	setenv("SOHOA_CONFIG", "", 1);
	const char *got = config_default_path();
	if (access("/etc/sohoa/sohoa.conf", F_OK) == 0)
		assert_string_equal(got, "/etc/sohoa/sohoa.conf");
	else
		assert_null(got);
	unsetenv("SOHOA_CONFIG");
	assert_true(config_default_path() == got);
	if (keep)
		setenv("SOHOA_CONFIG", keep, 1);
	free(keep);
}

/* The example ships next to the source; find it from the cwd or the binary. */
static char *example_text(void)
{
	char exe[PATH_MAX] = "", path[PATH_MAX * 2];
	const char *srcdir = getenv("SOHOA_SRCDIR");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = '\0';
	char *cut = strstr(exe, "/build/");
	if (cut)
		*cut = '\0';
	const char *roots[] = { srcdir ? srcdir : ".", ".", exe };
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/config/sohoa.conf.example", roots[i]);
		FILE *fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		char *text = calloc(1, 65536);
		size_t len = fread(text, 1, 65535, fp);
		fclose(fp);
		text[len] = '\0';
		return text;
	}
	return NULL;
}

static void test_example_loads(void **state)
{
	struct fx *f = *state;
	char *text = example_text();
	assert_non_null(text);
	int rc = load(f, text);
	free(text);
	assert_clean(f, rc);
	assert_string_equal(f->c.agency_name, "Ủy ban nhân dân tỉnh Kon Tum");
	assert_string_equal(f->c.agency_code, "000.00.12.H29");
	assert_int_equal(f->c.max_pixels, 300000000);
	assert_null(f->c.tessdata_dir);
	assert_non_null(f->c.signer_pkcs12);
	assert_int_equal(f->c.nwatches, 1);
	assert_string_equal(f->c.watches[0].name, "quay-1");
	assert_string_equal(f->c.watches[0].operator_name, "Quầy 1 - Nguyễn Thị Lan");
	expect_path(f->c.watches[0].path, f->dir, "inbox");
}


static void test_api_section(void **state)
{
	struct fx *f = *state;
	put(f->dir, "keys/api.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	put(f->dir, "keys/api.key", "key", 0600);
	put(f->dir, "keys/tokens", "", 0600);
	assert_clean(f, load(f, "[api]\nlisten = [::1]:8443\ncertificate = keys/api.pem\n"
	    "key = keys/api.key\ntokens = keys/tokens\nclient_scope = review\n"));
	assert_string_equal(f->c.api_listen, "[::1]:8443");
	assert_int_equal(f->c.api_client_scope, 1);
	assert_int_equal(f->c.api_timeout_s, 30);
	assert_int_equal(load(f, "[api]\nlisten = localhost:8443\ntokens = keys/tokens\n"
	    "plain_http = yes\n"), -1);
	assert_problem(f, 2, "expected ADDRESS:PORT");
	assert_int_equal(load(f, "[api]\nlisten = 0.0.0.0:8443\ntokens = keys/tokens\n"
	    "plain_http = yes\n"), -1);
	assert_problem(f, 0, "plain_http = yes is allowed only on a loopback address");
	assert_int_equal(load(f, "[api]\nlisten = 127.0.0.1:8443\ntokens = keys/tokens\n"), -1);
	assert_problem(f, 0, "[api] needs certificate and key");
	assert_clean(f, load(f, "[api]\nlisten = 127.0.0.1:8080\nplain_http = yes\n"
	    "tokens = keys/tokens\n"));
	chmod(f->c.api_tokens, 0644);
	assert_int_equal(load(f, "[api]\nlisten = 127.0.0.1:8080\nplain_http = yes\n"
	    "tokens = keys/tokens\n"), -1);
	assert_problem(f, 4, "readable by others");
	assert_int_equal(load(f, "[webhook]\nurl = http://example.org/hook\n"), -1);
	assert_problem(f, 2, "expected an https:// URL");
	assert_int_equal(load(f, "[webhook]\nurl = https://example.org/hook\n"), -1);
	assert_problem(f, 0, "[webhook] needs secret_file");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults), T(test_full_valid), T(test_relative_paths),
		T(test_unknown_key), T(test_unknown_section), T(test_bad_integers),
		T(test_integer_suffix), T(test_bad_log_level), T(test_bad_agency_code),
		T(test_bad_languages), T(test_missing_folder), T(test_secret_modes),
		T(test_secret_files_exist), T(test_many_problems), T(test_duplicate_key),
		T(test_duplicate_watch), T(test_watch_missing_path), T(test_syntax_errors),
		T(test_long_line_and_crlf), T(test_invalid_utf8), T(test_missing_file),
		T(test_default_path), T(test_example_loads), T(test_api_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
