#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/archive.h"

/* sha256("abc") */
#define ABC_HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static char tmpdir[64];
static struct blob_store *store;

static int setup(void **state)
{
	(void)state;
	struct err e = { 0 };
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sohoa-store-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return store_open(tmpdir, 1, &store, &e);
}

static int teardown(void **state)
{
	(void)state;
	store_close(store);
	store = NULL;
	char *cmd = xasprintf("chmod -R u+w '%s' && rm -rf '%s'", tmpdir, tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static char *in_tmp(const char *rel)
{
	return xasprintf("%s/%s", tmpdir, rel);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int dir_is_empty(const char *dir)
{
	char *cmd = xasprintf("test -z \"$(ls -A '%s')\"", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0;
}

static void open_missing_archive_fails(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct blob_store *s = (void *)1;
	char *dir = in_tmp("nowhere");
	assert_int_equal(store_open(dir, 0, &s, &e), -1);
	assert_null(s);
	assert_non_null(strstr(e.msg, "no archive at"));
	assert_non_null(strstr(e.msg, dir));
	free(dir);
}

static void put_mem_layout_and_mode(void **state)
{
	(void)state;
	struct err e = { 0 };
	char hex[65];
	assert_int_equal(store_put_mem(store, "abc", 3, hex, &e), 0);
	assert_string_equal(hex, ABC_HEX);
	char *rel = store_relpath(hex);
	assert_string_equal(rel, "blobs/ba/78/" ABC_HEX);
	char *path = store_path(store, hex);
	char *expect = in_tmp(rel);
	assert_string_equal(path, expect);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0440);
	assert_int_equal(st.st_size, 3);
	char *incoming = in_tmp("blobs/.incoming");
	assert_true(dir_is_empty(incoming));
	free(incoming);
	free(rel);
	free(path);
	free(expect);
}

static void put_file_hash_matches(void **state)
{
	(void)state;
	struct err e = { 0 };
	char *src = in_tmp("scan.bin");
	size_t len = 200000;  /* more than one read chunk */
	unsigned char *data = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 9));
	write_file(src, data, len);
	char hex[65], want[65];
	assert_int_equal(sha256_file_hex(src, want, &e), 0);
	assert_int_equal(store_put_file(store, src, hex, &e), 0);
	assert_string_equal(hex, want);
	char *path = store_path(store, hex);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, (off_t)len);
	assert_int_equal(st.st_mode & 07777, 0440);
	char again[65];
	assert_int_equal(sha256_file_hex(path, again, &e), 0);
	assert_string_equal(again, want);
	free(data);
	free(src);
	free(path);
}

static void put_file_missing_source_fails(void **state)
{
	(void)state;
	struct err e = { 0 };
	char hex[65];
	char *src = in_tmp("absent.tif");
	assert_int_equal(store_put_file(store, src, hex, &e), -1);
	assert_non_null(strstr(e.msg, src));
	free(src);
}

static void put_twice_does_not_rewrite(void **state)
{
	(void)state;
	struct err e = { 0 };
	char hex[65], hex2[65];
	assert_int_equal(store_put_mem(store, "xin chào", 9, hex, &e), 0);
	char *path = store_path(store, hex);
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	usleep(20000);
	assert_int_equal(store_put_mem(store, "xin chào", 9, hex2, &e), 0);
	char *src = in_tmp("same.txt");
	write_file(src, "xin chào", 9);
	char hex3[65];
	assert_int_equal(store_put_file(store, src, hex3, &e), 0);
	assert_string_equal(hex, hex2);
	assert_string_equal(hex, hex3);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	assert_int_equal(before.st_ctim.tv_sec, after.st_ctim.tv_sec);
	assert_int_equal(before.st_ctim.tv_nsec, after.st_ctim.tv_nsec);
	char *incoming = in_tmp("blobs/.incoming");
	assert_true(dir_is_empty(incoming));
	free(incoming);
	free(src);
	free(path);
}

static void verify_intact_changed_missing(void **state)
{
	(void)state;
	struct err e = { 0 };
	char hex[65];
	int changed = -1;
	assert_int_equal(store_put_mem(store, "quyết định", strlen("quyết định"), hex, &e), 0);
	assert_int_equal(store_verify(store, hex, &changed, &e), 1);
	assert_int_equal(changed, 0);

	char *path = store_path(store, hex);
	assert_int_equal(chmod(path, 0640), 0);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "Q", 1, 0), 1);
	close(fd);
	assert_int_equal(store_verify(store, hex, &changed, &e), 1);
	assert_int_equal(changed, 1);

	assert_int_equal(unlink(path), 0);
	changed = -1;
	assert_int_equal(store_verify(store, hex, &changed, &e), 0);
	assert_int_equal(changed, 0);

	assert_int_equal(store_verify(store, "not-a-hash", &changed, &e), -1);
	assert_non_null(strstr(e.msg, "not-a-hash"));
	free(path);
}

struct seen {
	int blobs, strays;
	int saw_stray, saw_misplaced, saw_incoming, saw_blob;
	char want_blob[65];
};

static int on_file(void *arg, const char *hex, const char *relpath)
{
	struct seen *s = arg;
	if (strstr(relpath, ".incoming") != NULL)
		s->saw_incoming = 1;
	if (hex == NULL) {
		s->strays++;
		if (strcmp(relpath, "blobs/ba/junk.txt") == 0)
			s->saw_stray = 1;
		if (strcmp(relpath, "blobs/00/00/" ABC_HEX) == 0)
			s->saw_misplaced = 1;
		return 0;
	}
	s->blobs++;
	char *rel = store_relpath(hex);
	assert_string_equal(rel, relpath);
	free(rel);
	if (strcmp(hex, s->want_blob) == 0)
		s->saw_blob = 1;
	return 0;
}

static void walk_finds_blobs_and_strays(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct seen seen = { 0 };
	char hex[65];
	assert_int_equal(store_put_mem(store, "abc", 3, hex, &e), 0);
	assert_int_equal(store_put_mem(store, "def", 3, seen.want_blob, &e), 0);
	char *stray = in_tmp("blobs/ba/junk.txt");
	write_file(stray, "?", 1);
	char *dir = in_tmp("blobs/00/00");
	assert_int_equal(dir_make(dir, 0750, &e), 0);
	char *misplaced = in_tmp("blobs/00/00/" ABC_HEX);
	write_file(misplaced, "abc", 3);
	char *incoming = in_tmp("blobs/.incoming/put-leftover");
	write_file(incoming, "half", 4);

	assert_int_equal(store_walk(store, on_file, &seen, &e), 0);
	assert_int_equal(seen.blobs, 2);
	assert_int_equal(seen.strays, 2);
	assert_true(seen.saw_stray);
	assert_true(seen.saw_misplaced);
	assert_true(seen.saw_blob);
	assert_false(seen.saw_incoming);
	free(stray);
	free(dir);
	free(misplaced);
	free(incoming);
}

static int stop_at_first(void *arg, const char *hex, const char *relpath)
{
	(void)hex;
	(void)relpath;
	(*(int *)arg)++;
	return -1;
}

static void walk_stops_when_told(void **state)
{
	(void)state;
	struct err e = { 0 };
	char hex[65];
	int calls = 0;
	assert_int_equal(store_put_mem(store, "abc", 3, hex, &e), 0);
	assert_int_equal(store_put_mem(store, "def", 3, hex, &e), 0);
	assert_int_equal(store_walk(store, stop_at_first, &calls, &e), -1);
	assert_int_equal(calls, 1);
}

static void remove_refuses_escapes(void **state)
{
	(void)state;
	struct err e = { 0 };
	const char *bad[] = { "../x", "blobs/../x", "blobs/ab/../../x", "/etc/passwd",
		"index.sqlite", "blobs/", "blobs//x", "blobs/./x", "blobs/ab/.." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_remove(store, bad[i], &e), -1);
		assert_non_null(strstr(e.msg, "refusing"));
	}
}

static void remove_blob_then_verify_missing(void **state)
{
	(void)state;
	struct err e = { 0 };
	char hex[65];
	int changed;
	assert_int_equal(store_put_mem(store, "abc", 3, hex, &e), 0);
	char *rel = store_relpath(hex);
	assert_int_equal(store_remove(store, rel, &e), 0);
	assert_int_equal(store_verify(store, hex, &changed, &e), 0);
	assert_int_equal(store_remove(store, rel, &e), -1);
	char *left = in_tmp("blobs/.incoming/put-old");
	write_file(left, "x", 1);
	assert_int_equal(store_remove(store, "blobs/.incoming/put-old", &e), 0);
	assert_int_equal(access(left, F_OK), -1);
	free(left);
	free(rel);
}

/* A writer killed -9 leaves its temp file unlocked; a live one holds the lock. */
static void sweep_removes_only_dead_writers_files(void **state)
{
	(void)state;
	char hex[65];
	struct err e = { 0 };
	assert_int_equal(store_put_mem(store, "abc", 3, hex, &e), 0);  /* makes .incoming */
	char *dead = in_tmp("blobs/.incoming/put-dead01");
	char *live = in_tmp("blobs/.incoming/put-live01");
	write_file(dead, "half", 4);
	write_file(live, "half", 4);
	int fd = open(live, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	store_sweep_dead(store);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
	close(fd);
	store_sweep_dead(store);
	assert_int_equal(access(live, F_OK), -1);
	free(dead);
	free(live);
}

static void reopen_existing_archive(void **state)
{
	(void)state;
	struct err e = { 0 };
	char hex[65];
	int changed;
	struct blob_store *again = NULL;
	assert_int_equal(store_put_mem(store, "abc", 3, hex, &e), 0);
	char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir("/tmp"), 0);
	assert_int_equal(store_open(tmpdir + strlen("/tmp/"), 0, &again, &e), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(store_verify(again, hex, &changed, &e), 1);
	assert_int_equal(changed, 0);
	char *path = store_path(again, hex);
	assert_int_equal(path[0], '/');  /* absolute even when opened by a relative path */
	free(path);
	free(cwd);
	store_close(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_missing_archive_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(put_mem_layout_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(put_file_hash_matches, setup, teardown),
		cmocka_unit_test_setup_teardown(put_file_missing_source_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(put_twice_does_not_rewrite, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_intact_changed_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_finds_blobs_and_strays, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_stops_when_told, setup, teardown),
		cmocka_unit_test_setup_teardown(remove_refuses_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(remove_blob_then_verify_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(reopen_existing_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(sweep_removes_only_dead_writers_files, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
