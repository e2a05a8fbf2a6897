/* api/: the parts of the server that need no socket. The server itself is
 * tested over real HTTPS in tests/integration/test_api.py. */
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

#include "api/api_int.h"

static void ranges(void **state)
{
	(void)state;
	uint64_t a = 0, b = 0;
	assert_int_equal(range_parse("bytes=100-199", 1000, &a, &b), 0);
	assert_true(a == 100 && b == 199);
	assert_int_equal(range_parse("bytes=900-", 1000, &a, &b), 0);
	assert_true(a == 900 && b == 999);
	assert_int_equal(range_parse("bytes=900-5000", 1000, &a, &b), 0);
	assert_true(a == 900 && b == 999);
	assert_int_equal(range_parse("bytes=-50", 1000, &a, &b), 0);
	assert_true(a == 950 && b == 999);
	assert_int_equal(range_parse("bytes=-5000", 1000, &a, &b), 0);
	assert_true(a == 0 && b == 999);
	assert_int_equal(range_parse("bytes=1000-", 1000, &a, &b), 1);
	assert_int_equal(range_parse("bytes=-0", 1000, &a, &b), 1);
	/* Malformed or several ranges: ignored, the whole file is sent. */
	assert_int_equal(range_parse("bytes=5-1", 1000, &a, &b), -1);
	assert_int_equal(range_parse("bytes=0-1,5-6", 1000, &a, &b), -1);
	assert_int_equal(range_parse("items=0-1", 1000, &a, &b), -1);
	assert_int_equal(range_parse("bytes=a-b", 1000, &a, &b), -1);
	assert_int_equal(range_parse("bytes=99999999999999999999-", 1000, &a, &b), -1);
}

static void keys(void **state)
{
	(void)state;
	assert_true(key_valid("4f330fa42df08e988d4bd6e5f4ca43bddf234f5ac804288a389fb2e7c5026214"));
	assert_true(key_valid("000.00.12.H29-240129-0042-KQ1"));
	assert_false(key_valid(""));
	assert_false(key_valid(".."));
	assert_false(key_valid("a..b"));
	assert_false(key_valid(".hidden"));
	assert_false(key_valid("a/b"));
	assert_false(key_valid("a b"));
	assert_false(key_valid("a\x01"));
	char longkey[80];
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_false(key_valid(longkey));
}

static void scopes(void **state)
{
	(void)state;
	enum api_scope s;
	assert_int_equal(api_scope_parse("review", &s), 0);
	assert_int_equal(s, SCOPE_REVIEW);
	assert_string_equal(api_scope_name(SCOPE_ADMIN), "admin");
	assert_int_equal(api_scope_parse("root", &s), -1);
	assert_true(SCOPE_READ < SCOPE_REVIEW && SCOPE_REVIEW < SCOPE_ADMIN);
}

/* A token is shown once; the file keeps NAME SCOPE SHA256 and is 0600. */
static void tokens_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/sohoa-test-api-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[sizeof(dir) + 16];
	snprintf(path, sizeof(path), "%s/tokens", dir);
	struct err e = { 0 };
	char *t1 = NULL, *t2 = NULL, hex[65];
	assert_int_equal(api_token_add(path, "one-stop", SCOPE_READ, &t1, &e), 0);
	assert_int_equal(api_token_add(path, "quay-1", SCOPE_REVIEW, &t2, &e), 0);
	assert_int_equal(strncmp(t1, "sohoa_", 6), 0);
	assert_int_equal(strlen(t1), 6 + 43);
	assert_string_not_equal(t1, t2);
	free(t2);
	assert_int_equal(api_token_add(path, "one-stop", SCOPE_ADMIN, &t2, &e), -1);
	assert_non_null(strstr(e.msg, "already"));
	assert_null(t2);
	assert_int_equal(api_token_add(path, "bad name", SCOPE_READ, &t2, &e), -1);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct buf b = { 0 };
	assert_int_equal(file_read_all(path, 4096, &b, &e), 0);
	buf_append(&b, "", 1);
	auth_token_hash(t1, hex);
	char want[160];
	snprintf(want, sizeof(want), "one-stop read %s\n", hex);
	assert_non_null(strstr(b.data, want));
	assert_null(strstr(b.data, t1 + 6)); /* never the token itself */
	free(b.data);
	free(t1);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges), cmocka_unit_test(keys), cmocka_unit_test(scopes),
		cmocka_unit_test(tokens_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
