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

#include "common/common.h"

static char tmpdir[64];

static int make_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sohoa-common-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmp(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void atomic_write_then_read_back(void **state)
{
	(void)state;
	struct err e = { 0 };
	char *path = xasprintf("%s/f.txt", tmpdir);
	assert_int_equal(file_write_atomic(path, "xin chào", 9, 0640, &e), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	struct buf b = { 0 };
	assert_int_equal(file_read_all(path, 1024, &b, &e), 0);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "xin chào", 9);
	free(b.data);
	free(path);
}

static void read_refuses_over_limit_and_missing(void **state)
{
	(void)state;
	struct err e = { 0 };
	char *path = xasprintf("%s/big", tmpdir);
	assert_int_equal(file_write_atomic(path, "0123456789", 10, 0600, &e), 0);
	struct buf b = { 0 };
	assert_int_equal(file_read_all(path, 5, &b, &e), -1);
	assert_non_null(strstr(e.msg, "over the limit"));
	free(b.data);
	b = (struct buf){ 0 };
	assert_int_equal(file_read_all("/nonexistent/x", 5, &b, &e), -1);
	assert_non_null(strstr(e.msg, "cannot open"));
	free(b.data);
	free(path);
}

static void sha256_of_known_bytes(void **state)
{
	(void)state;
	struct err e = { 0 };
	char *path = xasprintf("%s/abc", tmpdir);
	assert_int_equal(file_write_atomic(path, "abc", 3, 0600, &e), 0);
	char hex[65];
	assert_int_equal(sha256_file_hex(path, hex, &e), 0);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	char mem[65];
	sha256_hex("abc", 3, mem);
	assert_string_equal(mem, hex);
	char small[7];
	hex_encode((const unsigned char *)"\x00\xab\xff", 3, small);
	assert_string_equal(small, "00abff");
	free(path);
}

static void dir_make_creates_parents_and_rejects_files(void **state)
{
	(void)state;
	struct err e = { 0 };
	char *deep = xasprintf("%s/a/b/c", tmpdir);
	assert_int_equal(dir_make(deep, 0700, &e), 0);
	assert_int_equal(dir_make(deep, 0700, &e), 0); /* idempotent */
	char *file = xasprintf("%s/plain", tmpdir);
	assert_int_equal(file_write_atomic(file, "x", 1, 0600, &e), 0);
	assert_int_equal(dir_make(file, 0700, &e), -1);
	assert_non_null(strstr(e.msg, "not a directory"));
	free(deep);
	free(file);
}

static void vietnam_time_is_utc_plus_seven(void **state)
{
	(void)state;
	char out[32];
	time_iso8601_vn(1795313700, out); /* 2026-11-22T02:15:00Z */
	assert_string_equal(out, "2026-11-22T09:15:00+07:00");
}

static void buffers_grow(void **state)
{
	(void)state;
	struct buf b = { 0 };
	for (int i = 0; i < 1000; i++)
		buf_appendf(&b, "%d,", i);
	assert_true(b.len > 3000);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_int_equal(b.data[b.len], '\0');
	free(b.data);
}

static void errors_take_a_prefix(void **state)
{
	(void)state;
	struct err e = { 0 };
	err_set(&e, "corrupt or truncated TIFF");
	err_prefix(&e, "page %u of %u", 2u, 3u);
	assert_string_equal(e.msg, "page 2 of 3: corrupt or truncated TIFF");
	memset(e.msg, 'x', sizeof(e.msg) - 1);
	e.msg[sizeof(e.msg) - 1] = '\0';
	err_prefix(&e, "long");
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	assert_int_equal(strncmp(e.msg, "long: xxx", 9), 0);
}

static void log_levels_parse(void **state)
{
	(void)state;
	enum log_level l;
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("loud", &l), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(atomic_write_then_read_back),
		cmocka_unit_test(read_refuses_over_limit_and_missing),
		cmocka_unit_test(sha256_of_known_bytes),
		cmocka_unit_test(dir_make_creates_parents_and_rejects_files),
		cmocka_unit_test(vietnam_time_is_utc_plus_seven),
		cmocka_unit_test(buffers_grow),
		cmocka_unit_test(errors_take_a_prefix),
		cmocka_unit_test(log_levels_parse),
	};
	return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
