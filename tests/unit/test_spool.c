#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watchers/watchers.h"
#include "unit_shell.h"

struct fx {
	char dir[64];
	char *spool, *drop, *quar;
	struct spool *s;
	struct watch_config w;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err e = { 0 };
	snprintf(f->dir, sizeof(f->dir), "/tmp/sohoa-spool-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->spool = xasprintf("%s/spool", f->dir);
	f->drop = xasprintf("%s/drop", f->dir);
	f->quar = xasprintf("%s/quarantine", f->dir);
	f->w = (struct watch_config){ .name = "quay-1", .path = f->drop,
		.agency_code = "000.00.12.H29", .operator_name = "Quầy 1" };
	*state = f;
	if (mkdir(f->drop, 0700) < 0)
		return -1;
	return spool_open(f->spool, &f->s, &e);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	spool_close(f->s);
	int rc = sh("rm -rf '%s'", f->dir);
	free(f->spool);
	free(f->drop);
	free(f->quar);
	free(f);
	return rc == 0 ? 0 : -1;
}

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *path, const char *data)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, strlen(data), fp), strlen(data));
	assert_int_equal(fclose(fp), 0);
}

static char *read_text(const char *path)
{
	struct buf b = { 0 };
	struct err e = { 0 };
	assert_int_equal(file_read_all(path, 1 << 26, &b, &e), 0);
	buf_append(&b, "", 1);
	return b.data;
}

static void assert_same_file(const char *a, const char *b)
{
	char *x = read_text(a), *y = read_text(b);
	assert_string_equal(x, y);
	free(x);
	free(y);
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static struct drop make_drop(struct fx *f, const char *path, enum drop_kind kind)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return (struct drop){ .watch = &f->w, .path = path, .kind = kind, .size = st.st_size,
		.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec };
}

/* Accepts path (which must work) into m. */
static void accept(struct fx *f, const char *path, enum drop_kind kind, struct job_meta *m)
{
	struct err e = { 0 };
	struct drop d = make_drop(f, path, kind);
	if (spool_accept(f->s, &d, m, &e) < 0)
		fail_msg("spool_accept %s: %s", path, e.msg);
}

static char *job_path(struct fx *f, const char *id, const char *rel)
{
	return xasprintf("%s/queue/%s/%s", f->spool, id, rel);
}

static void accept_file_copies_and_keeps_source(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 }, back = { 0 };
	struct err e = { 0 };
	char *src = path_in(f->drop, "scan.tif");
	write_file(src, "II* not really a tiff");
	accept(f, src, DROP_FILE, &m);
	char *orig = spool_original(f->s, &m);
	char *expect = job_path(f, m.id, "original");
	assert_string_equal(orig, expect);
	assert_same_file(src, orig);
	assert_true(exists(src));
	assert_int_equal(m.dossier, 0);
	assert_int_equal(m.source_size, strlen("II* not really a tiff"));
	assert_non_null(strstr(m.received_at, "+07:00"));
	assert_int_equal(spool_load(f->s, m.id, &back, &e), 0);
	assert_string_equal(back.id, m.id);
	assert_string_equal(back.watch, "quay-1");
	assert_string_equal(back.source, src);
	assert_string_equal(back.agency_code, "000.00.12.H29");
	assert_string_equal(back.operator_name, "Quầy 1");
	assert_null(back.procedure);
	assert_string_equal(back.received_at, m.received_at);
	assert_int_equal(back.source_size, m.source_size);
	assert_int_equal(back.source_mtime_ns, m.source_mtime_ns);
	assert_int_equal(back.failures, 0);
	assert_int_equal(count_entries(f->spool), 2);  /* incoming, queue */
	char *incoming = path_in(f->spool, "incoming");
	assert_int_equal(count_entries(incoming), 0);
	free(incoming);
	job_meta_clear(&m);
	job_meta_clear(&back);
	free(orig);
	free(expect);
	free(src);
}

static void accept_keeps_what_the_caller_set(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { .agency_code = xstrdup("000.00.00.G01") };
	char *src = path_in(f->drop, "a.png");
	write_file(src, "png");
	accept(f, src, DROP_FILE, &m);
	assert_string_equal(m.agency_code, "000.00.00.G01");
	assert_string_equal(m.watch, "quay-1");
	assert_string_equal(m.source, src);
	job_meta_clear(&m);
	free(src);
}

static void round_trip_name(struct fx *f, const char *name, int expect_hex)
{
	struct job_meta m = { 0 }, back = { 0 };
	struct err e = { 0 };
	char *src = path_in(f->drop, name);
	write_file(src, name);
	accept(f, src, DROP_FILE, &m);
	assert_int_equal(spool_load(f->s, m.id, &back, &e), 0);
	assert_string_equal(back.source, src);
	char *json = job_path(f, m.id, "job.json");
	char *text = read_text(json);
	assert_int_equal(strstr(text, "\"source_hex\"") != NULL, expect_hex);
	free(text);
	free(json);
	job_meta_clear(&m);
	job_meta_clear(&back);
	free(src);
}

static void odd_names_round_trip(void **state)
{
	round_trip_name(*state, "scan\xff\xfe.tif", 1);                 /* not UTF-8 */
	round_trip_name(*state, "Ho\xcc\x82\xcc\x80 so\xcc\x9b.tif", 0); /* Hồ sơ, NFD */
}

static void folder_pages_in_name_order(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 };
	char *folder = path_in(f->drop, "ho so 7");
	assert_int_equal(mkdir(folder, 0700), 0);
	const char *names[] = { "b", "a", "c 2", ".hidden", "x.part" };
	for (size_t i = 0; i < 5; i++) {
		char *p = path_in(folder, names[i]);
		write_file(p, names[i]);
		free(p);
	}
	assert_int_equal(sh("ln -s a '%s/link'", folder), 0);
	accept(f, folder, DROP_FOLDER, &m);
	assert_int_equal(m.dossier, 1);
	assert_int_equal(m.source_size, 1 + 1 + 3);
	char *pages = spool_original(f->s, &m);
	assert_int_equal(count_entries(pages), 3);
	const char *want[][2] = { { "0001-a", "a" }, { "0002-b", "b" }, { "0003-c_2", "c 2" } };
	for (size_t i = 0; i < 3; i++) {
		char *page = path_in(pages, want[i][0]), *from = path_in(folder, want[i][1]);
		assert_same_file(page, from);
		free(page);
		free(from);
	}
	assert_true(exists(folder));
	job_meta_clear(&m);
	free(pages);
	free(folder);
}

struct ids {
	char id[100][JOB_ID_MAX];
	size_t n;
};

static int collect(void *arg, const char *id)
{
	struct ids *v = arg;
	if (v->n < 100)
		snprintf(v->id[v->n], JOB_ID_MAX, "%s", id);
	v->n++;
	return 0;
}

static void ids_sort_by_intake_and_walk_follows(void **state)
{
	struct fx *f = *state;
	struct ids *made = xcalloc(1, sizeof(*made)), *walked = xcalloc(1, sizeof(*walked));
	struct err e = { 0 };
	char *src = path_in(f->drop, "x.jpg");
	write_file(src, "jpeg");
	for (size_t i = 0; i < 100; i++) {
		struct job_meta m = { 0 };
		accept(f, src, DROP_FILE, &m);
		snprintf(made->id[i], JOB_ID_MAX, "%s", m.id);
		for (const char *p = m.id; *p; p++)
			assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			                       "abcdefghijklmnopqrstuvwxyz._-", *p));
		if (i > 0)
			assert_true(strcmp(made->id[i - 1], made->id[i]) < 0);
		job_meta_clear(&m);
	}
	char *stray = path_in(f->spool, "queue/zzz-not-a-job");
	assert_int_equal(mkdir(stray, 0700), 0);
	assert_int_equal(spool_walk(f->s, collect, walked, &e), 0);
	assert_int_equal(walked->n, 100);
	for (size_t i = 0; i < 100; i++)
		assert_string_equal(walked->id[i], made->id[i]);
	free(stray);
	free(src);
	free(made);
	free(walked);
}

static void open_purges_incoming_keeps_queue(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 };
	struct ids *walked = xcalloc(1, sizeof(*walked));
	struct err e = { 0 };
	char *src = path_in(f->drop, "p.pnm");
	write_file(src, "P5");
	accept(f, src, DROP_FILE, &m);
	spool_close(f->s);
	f->s = NULL;
	assert_int_equal(sh("mkdir -p '%s/incoming/20260101T000000.000001-1/pages' && "
	                    "echo half > '%s/incoming/20260101T000000.000001-1/pages/0001-a'",
	                     f->spool, f->spool), 0);
	assert_int_equal(spool_open(f->spool, &f->s, &e), 0);
	char *incoming = path_in(f->spool, "incoming");
	assert_int_equal(count_entries(incoming), 0);
	assert_int_equal(spool_walk(f->s, collect, walked, &e), 0);
	assert_int_equal(walked->n, 1);
	assert_string_equal(walked->id[0], m.id);
	job_meta_clear(&m);
	free(incoming);
	free(walked);
	free(src);
}

static void failures_survive_reopen(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 }, back = { 0 };
	struct err e = { 0 };
	char *src = path_in(f->drop, "f.tif");
	write_file(src, "tiff");
	accept(f, src, DROP_FILE, &m);
	assert_int_equal(spool_count_failure(f->s, &m, &e), 0);
	assert_int_equal(spool_count_failure(f->s, &m, &e), 0);
	assert_int_equal(m.failures, 2);
	spool_close(f->s);
	assert_int_equal(spool_open(f->spool, &f->s, &e), 0);
	assert_int_equal(spool_load(f->s, m.id, &back, &e), 0);
	assert_int_equal(back.failures, 2);
	assert_string_equal(back.source, src);
	job_meta_clear(&m);
	job_meta_clear(&back);
	free(src);
}

static void work_dir_and_done(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 };
	struct err e = { 0 };
	struct stat st;
	char *src = path_in(f->drop, "d.png");
	write_file(src, "png");
	accept(f, src, DROP_FILE, &m);
	char *work = spool_work_dir(f->s, m.id, &e);
	assert_non_null(work);
	assert_int_equal(stat(work, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	char *junk = path_in(work, "result.json");
	write_file(junk, "{}");
	assert_null(spool_work_dir(f->s, "../etc", &e));
	assert_int_equal(spool_done(f->s, m.id, &e), 0);
	char *job = job_path(f, m.id, "");
	assert_false(exists(job));
	char *incoming = path_in(f->spool, "incoming");
	assert_int_equal(count_entries(incoming), 0);
	assert_int_equal(spool_done(f->s, m.id, &e), 0);  /* done twice is done */
	assert_true(exists(src));
	assert_null(spool_work_dir(f->s, m.id, &e));
	job_meta_clear(&m);
	free(incoming);
	free(job);
	free(junk);
	free(work);
	free(src);
}

static const char *entry_str(json_t *list, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(list, i), key));
}

static void quarantine_keeps_scan_and_reason(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 };
	struct err e = { 0 };
	char *src = path_in(f->drop, "scan.tif");
	write_file(src, "not an image");
	accept(f, src, DROP_FILE, &m);
	const char *why = "not an image sohoa reads (TIFF, PNG, JPEG, PNM)";
	assert_int_equal(spool_quarantine(f->s, &m, f->quar, "decode", why, &e), 0);
	char *q = path_in(f->quar, m.id);
	char *kept = path_in(q, "original.tif"), *reason = path_in(q, "reason.txt");
	char *job = job_path(f, m.id, "");
	assert_same_file(src, kept);
	assert_false(exists(job));
	char *text = read_text(reason);
	assert_non_null(strstr(text, "Stage:  decode\n"));
	assert_non_null(strstr(text, why));
	assert_non_null(strstr(text, src));
	assert_non_null(strstr(text, "quay-1"));
	assert_non_null(strstr(text, m.id));
	free(text);
	json_t *list = quarantine_list(f->quar);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(entry_str(list, 0, "id"), m.id);
	assert_string_equal(entry_str(list, 0, "stage"), "decode");
	assert_string_equal(entry_str(list, 0, "reason"), why);
	assert_string_equal(entry_str(list, 0, "source"), src);
	assert_string_equal(entry_str(list, 0, "watch"), "quay-1");
	assert_non_null(strstr(entry_str(list, 0, "time"), "+07:00"));
	json_decref(list);
	job_meta_clear(&m);
	free(job);
	free(kept);
	free(reason);
	free(q);
	free(src);
}

static void quarantine_list_newest_first_and_unreadable(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	char ids[2][JOB_ID_MAX];
	json_t *none = quarantine_list(f->quar);  /* not made yet: empty */
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);
	for (int i = 0; i < 2; i++) {
		struct job_meta m = { 0 };
		char *src = path_in(f->drop, i == 0 ? "one.tif" : "two\xff.tif");
		write_file(src, "x");
		accept(f, src, DROP_FILE, &m);
		assert_int_equal(spool_quarantine(f->s, &m, f->quar, "ocr", "no text", &e), 0);
		snprintf(ids[i], JOB_ID_MAX, "%s", m.id);
		job_meta_clear(&m);
		free(src);
	}
	assert_int_equal(sh("mkdir '%s/broken' && touch -d 2001-01-01 '%s/broken'", f->quar,
	                     f->quar), 0);
	json_t *list = quarantine_list(f->quar);
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(entry_str(list, 0, "id"), ids[1]);
	assert_string_equal(entry_str(list, 1, "id"), ids[0]);
	assert_string_equal(entry_str(list, 2, "id"), "broken");
	assert_non_null(strstr(entry_str(list, 2, "reason"), "no readable quarantine.json"));
	assert_non_null(strstr(entry_str(list, 2, "time"), "2001-01-01T"));
	assert_true(json_is_null(json_object_get(json_array_get(list, 2), "source")));
	json_decref(list);
}

static void quarantine_folder_across_filesystems(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 };
	struct err e = { 0 };
	struct stat a, b;
	char other[] = "/dev/shm/sohoa-quar-XXXXXX";
	if (mkdtemp(other) == NULL || stat(other, &a) < 0 || stat(f->dir, &b) < 0 ||
	    a.st_dev == b.st_dev) {
		rmdir(other);
		skip();
	}
	char *folder = path_in(f->drop, "dossier");
	assert_int_equal(mkdir(folder, 0700), 0);
	char *p1 = path_in(folder, "p1.png"), *p2 = path_in(folder, "p2.png");
	write_file(p1, "page one");
	write_file(p2, "page two");
	accept(f, folder, DROP_FOLDER, &m);
	char *qdir = path_in(other, "q");
	assert_int_equal(spool_quarantine(f->s, &m, qdir, "worker", "crashed twice", &e), 0);
	char *page = xasprintf("%s/%s/pages/0002-p2.png", qdir, m.id);
	assert_same_file(p2, page);
	char *job = job_path(f, m.id, "");
	assert_false(exists(job));
	char *reason = xasprintf("%s/%s/reason.txt", qdir, m.id);
	char *text = read_text(reason);
	assert_non_null(strstr(text, "Folder: "));
	assert_non_null(strstr(text, "Stage:  worker\n"));
	free(text);
	assert_int_equal(sh("rm -rf '%s'", other), 0);
	job_meta_clear(&m);
	free(reason);
	free(job);
	free(page);
	free(qdir);
	free(p1);
	free(p2);
	free(folder);
}

/* A real writer: a child appends to the scan all through the copy. */
static void changed_during_copy_is_temporary(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 };
	struct err e = { 0 };
	char *src = path_in(f->drop, "growing.tif");
	assert_int_equal(sh("head -c 16777216 /dev/zero > '%s'", src), 0);
	struct drop d = make_drop(f, src, DROP_FILE);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(src, O_WRONLY | O_APPEND);
		static const char chunk[4096];
		for (int i = 0; fd >= 0 && i < 600000; i++) {
			if (write(fd, chunk, sizeof(chunk)) < 0)
				_exit(1);
			if (i == 0 && write(ready[1], "x", 1) != 1)
				_exit(1);
			usleep(100);
		}
		_exit(0);
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	int rc = spool_accept(f->s, &d, &m, &e);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	assert_int_equal(rc, -1);
	assert_true(e.temporary);
	assert_non_null(strstr(e.msg, "changed while being copied; will be taken again"));
	char *incoming = path_in(f->spool, "incoming"), *queue = path_in(f->spool, "queue");
	assert_int_equal(count_entries(incoming), 0);
	assert_int_equal(count_entries(queue), 0);
	assert_null(m.source);
	free(incoming);
	free(queue);
	free(src);
}

static void symlinks_refused(void **state)
{
	struct fx *f = *state;
	struct job_meta m = { 0 };
	struct err e = { 0 };
	char *target = path_in(f->dir, "outside.tif"), *link = path_in(f->drop, "link.tif");
	char *dlink = path_in(f->drop, "linked-folder");
	write_file(target, "secret");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(symlink(f->dir, dlink), 0);
	struct drop d = make_drop(f, link, DROP_FILE);
	assert_int_equal(spool_accept(f->s, &d, &m, &e), -1);
	assert_false(e.temporary);
	assert_non_null(strstr(e.msg, "symbolic link"));
	d = make_drop(f, dlink, DROP_FOLDER);
	assert_int_equal(spool_accept(f->s, &d, &m, &e), -1);
	assert_non_null(strstr(e.msg, "symbolic link"));
	char *incoming = path_in(f->spool, "incoming"), *queue = path_in(f->spool, "queue");
	assert_int_equal(count_entries(incoming), 0);
	assert_int_equal(count_entries(queue), 0);
	free(incoming);
	free(queue);
	free(target);
	free(link);
	free(dlink);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(accept_file_copies_and_keeps_source),
		T(accept_keeps_what_the_caller_set),
		T(odd_names_round_trip),
		T(folder_pages_in_name_order),
		T(ids_sort_by_intake_and_walk_follows),
		T(open_purges_incoming_keeps_queue),
		T(failures_survive_reopen),
		T(work_dir_and_done),
		T(quarantine_keeps_scan_and_reason),
		T(quarantine_list_newest_first_and_unreadable),
		T(quarantine_folder_across_filesystems),
		T(changed_during_copy_is_temporary),
		T(symlinks_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
