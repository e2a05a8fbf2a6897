#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "watchers/watchers.h"

/* Real inotify on a temp folder, real CLOCK_MONOTONIC; settle 300 ms, stable 1 s. */

#define SETTLE_MS 300
struct got {
	size_t n, cap;
	struct {
		char *path;
		enum drop_kind kind;
		off_t size;
		uint64_t at;
	} *d;
};

struct fixture {
	char root[64];
	char *in;                 /* the drop folder */
	struct watch_config wc[2];
	struct watcher *w;
	struct got got;
	uint64_t skew;            /* added to the watcher's clock: a 2 s wait skipped */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_ready(void *arg, const struct drop *d)
{
	struct got *g = arg;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->d = xrealloc(g->d, g->cap * sizeof(*g->d));
	}
	g->d[g->n].path = xstrdup(d->path);
	g->d[g->n].kind = d->kind;
	g->d[g->n].size = d->size;
	g->d[g->n].at = now_ms();
	g->n++;
}

static void got_clear(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->d[i].path);
	g->n = 0;
}

static int count(const struct got *g, const char *path)
{
	int n = 0;
	for (size_t i = 0; i < g->n; i++)
		n += strcmp(g->d[i].path, path) == 0;
	return n;
}

static ssize_t find(const struct got *g, const char *path)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->d[i].path, path) == 0)
			return (ssize_t)i;
	return -1;
}

/* Steps the watcher like the daemon does until pred() or ms pass; pred's result. */
static int run(struct fixture *fx, int (*pred)(struct fixture *, const void *), const void *arg,
    unsigned ms)
{
	uint64_t end = now_ms() + ms;
	for (;;) {
		int t = watcher_step(fx->w, now_ms() + fx->skew, on_ready, &fx->got);
		if (pred != NULL && pred(fx, arg))
			return 1;
		uint64_t now = now_ms();
		if (now >= end)
			return 0;
		int left = (int)(end - now);
		struct pollfd p = { .fd = watcher_fd(fx->w), .events = POLLIN };
		poll(&p, 1, t < 0 || t > left ? left : t);
	}
}

static int offered(struct fixture *fx, const void *path)
{
	return count(&fx->got, path) > 0;
}

static int start(struct fixture *fx, size_t n, const char *const *ignore)
{
	struct watch_options o = { .settle_ms = SETTLE_MS, .stable_s = 1, .ignore = ignore };
	struct err e = { 0 };
	int rc = watcher_new(fx->wc, n, &o, &fx->w, &e);
	if (rc < 0)
		fprintf(stderr, "watcher_new: %s\n", e.msg);
	return rc;
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	snprintf(fx->root, sizeof(fx->root), "/tmp/sohoa-watch-XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	fx->in = xasprintf("%s/in", fx->root);
	mkdir(fx->in, 0755);
	fx->wc[0] = (struct watch_config){ .name = "quay-1", .path = fx->in };
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	watcher_free(fx->w);
	got_clear(&fx->got);
	free(fx->got.d);
	int rc = remove_tree(fx->root);
	free(fx->in);
	free(fx);
	return rc;
}

static char *in_path(struct fixture *fx, const char *name)
{
	return xasprintf("%s/%s", fx->in, name);
}

static void write_file(const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void make_old(const char *path)
{
	struct timespec ts[2] = { { .tv_sec = time(NULL) - 60 }, { .tv_sec = time(NULL) - 60 } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static const char *state_of(struct fixture *fx, size_t i)
{
	static char state[16];
	json_t *a = watcher_status(fx->w);
	json_t *o = json_array_get(a, i);
	snprintf(state, sizeof(state), "%s", o ? json_string_value(json_object_get(o, "state")) : "");
	json_decref(a);
	return state;
}

static int state_is(struct fixture *fx, const void *want)
{
	return strcmp(state_of(fx, 0), want) == 0;
}

/* ---- the tests ---------------------------------------------------------------- */

static void chunks_then_one_close(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	char *path = in_path(fx, "scan.pdf");
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(write(fd, "0123456789", 10), 10);
		run(fx, NULL, NULL, 30);
	}
	close(fd);
	uint64_t closed = now_ms();
	assert_true(run(fx, offered, path, 3000));
	assert_true(fx->got.d[0].at >= closed + SETTLE_MS - 20);
	assert_int_equal(fx->got.d[0].kind, DROP_FILE);
	assert_int_equal(fx->got.d[0].size, 100);
	run(fx, NULL, NULL, 400);
	assert_int_equal(fx->got.n, 1);
	free(path);
}

static void several_opens_offered_after_the_last(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	char *path = in_path(fx, "multi.tif");
	for (int i = 0; i < 3; i++) {
		write_file(path, "page", O_APPEND);
		run(fx, NULL, NULL, 100);
	}
	assert_int_equal(fx->got.n, 0);
	assert_true(run(fx, offered, path, 3000));
	assert_int_equal(fx->got.d[0].size, 12);
	run(fx, NULL, NULL, 400);
	assert_int_equal(fx->got.n, 1);
	free(path);
}

static void renamed_in(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	char *outside = xasprintf("%s/elsewhere.pdf", fx->root);
	char *path = in_path(fx, "moved.pdf");
	write_file(outside, "%PDF-1.4", 0);
	assert_int_equal(rename(outside, path), 0);
	assert_true(run(fx, offered, path, 3000));
	assert_int_equal(fx->got.d[0].size, 8);
	free(outside);
	free(path);
}

static void there_before_start(void **state)
{
	struct fixture *fx = *state;
	char *old = in_path(fx, "old.jpg"), *fresh = in_path(fx, "fresh.jpg");
	char *sub = in_path(fx, "dossier"), *page = xasprintf("%s/1.jpg", sub);
	write_file(old, "old", 0);
	make_old(old);
	mkdir(sub, 0755);
	write_file(page, "p1", 0);
	make_old(page);
	make_old(sub);
	assert_int_equal(start(fx, 1, NULL), 0);
	assert_int_equal(fx->got.n, 0); /* nothing before the first step */
	write_file(fresh, "fresh", 0);
	watcher_step(fx->w, now_ms(), on_ready, &fx->got);
	assert_int_equal(count(&fx->got, old), 1);
	assert_int_equal(count(&fx->got, sub), 1);
	assert_int_equal(fx->got.d[find(&fx->got, sub)].kind, DROP_FOLDER);
	assert_true(run(fx, offered, fresh, 3000)); /* written just now: once settled */
	free(old);
	free(fresh);
	free(sub);
	free(page);
}

static void ignored_names_symlinks_and_empty(void **state)
{
	struct fixture *fx = *state;
	static const char *const extra[] = { "*.bak", NULL };
	static const char *const names[] = { ".hidden", "a.tmp", "b.PART", "~$don.docx",
		"Thumbs.db", "x.bak", "link.pdf" };
	char *target = xasprintf("%s/target.pdf", fx->root);
	write_file(target, "target", 0);
	char *prelink = in_path(fx, "prelink.pdf");
	assert_int_equal(symlink(target, prelink), 0);
	assert_int_equal(start(fx, 1, extra), 0);
	run(fx, NULL, NULL, 20);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) - 1; i++) {
		char *p = in_path(fx, names[i]);
		write_file(p, "x", 0);
		free(p);
	}
	char *link = in_path(fx, "link.pdf"), *empty = in_path(fx, "empty.pdf");
	assert_int_equal(symlink(target, link), 0);
	write_file(empty, "", 0);
	assert_true(run(fx, offered, empty, 3000));
	run(fx, NULL, NULL, SETTLE_MS + 200);
	assert_int_equal(fx->got.n, 1); /* only the empty file: the pipeline says why */
	assert_int_equal(fx->got.d[0].size, 0);
	free(target);
	free(prelink);
	free(link);
	free(empty);
}

static int all_offered(struct fixture *fx, const void *arg)
{
	for (char *const *p = (char *const *)arg; *p != NULL; p++)
		if (count(&fx->got, *p) == 0)
			return 0;
	return 1;
}

static void names_as_bytes(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	static const char *const names[] = {
		"hồ sơ 01.pdf",                        /* a space, NFC */
		"Ho\xcc\x82\xcc\x80 so\xcc\x9b.pdf",   /* NFD */
		"two\nlines.pdf",
		"\xff\xfe.pdf",                        /* not UTF-8 */
	};
	char *paths[5] = { 0 };
	for (size_t i = 0; i < 4; i++) {
		paths[i] = in_path(fx, names[i]);
		write_file(paths[i], "x", 0);
	}
	assert_true(run(fx, all_offered, paths, 3000));
	assert_int_equal(fx->got.n, 4);
	for (size_t i = 0; i < 4; i++)
		free(paths[i]);
}

static void make_folder(const char *dir, const char *file, const char *text)
{
	assert_int_equal(mkdir(dir, 0755), 0);
	char *p = xasprintf("%s/%s", dir, file);
	write_file(p, text, 0);
	free(p);
}

/* A hard link may name any file of the filesystem (/etc/shadow): never offered,
 * whether there at start or made while watching; and no page of a dossier. */
static void hard_links_refused(void **state)
{
	struct fixture *fx = *state;
	char *target = xasprintf("%s/secret", fx->root);
	char *before = in_path(fx, "before.tif"), *during = in_path(fx, "during.tif");
	char *dir = in_path(fx, "dossier"), *page = in_path(fx, "dossier/p2.tif");
	char *mine = in_path(fx, "mine.tif");
	write_file(target, "secret", 0);
	assert_int_equal(link(target, before), 0);
	make_old(before);
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	assert_int_equal(link(target, during), 0);
	make_folder(dir, "p1.tif", "p1");
	assert_int_equal(link(target, page), 0);
	write_file(mine, "mine", 0);
	assert_true(run(fx, offered, mine, 3000));
	assert_true(run(fx, offered, dir, 3000));
	run(fx, NULL, NULL, SETTLE_MS + 200);
	assert_int_equal(fx->got.n, 2);
	assert_int_equal(fx->got.d[find(&fx->got, dir)].size, 2); /* "p1" alone */
	free(target);
	free(before);
	free(during);
	free(dir);
	free(page);
	free(mine);
}

static void subfolder_is_one_dossier(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	char *sub = in_path(fx, "ho so 7"), *moved = in_path(fx, "moved");
	char *outside = xasprintf("%s/prepared", fx->root);
	char *done = in_path(fx, "done"), *junk = in_path(fx, "junk");
	make_folder(outside, "1.png", "png");
	assert_int_equal(rename(outside, moved), 0);
	make_folder(done, "archived.pdf", "old");  /* where originals go: no dossier */
	make_folder(junk, "Thumbs.db", "thumbs"); /* no pages: not offered */
	assert_int_equal(mkdir(sub, 0755), 0);
	uint64_t last = 0;
	for (int i = 1; i <= 3; i++) {
		char *page = xasprintf("%s/%d.jpg", sub, i);
		write_file(page, "page", 0);
		last = now_ms();
		free(page);
		run(fx, NULL, NULL, 200);
	}
	assert_true(run(fx, offered, sub, 4000));
	ssize_t i = find(&fx->got, sub);
	assert_int_equal(fx->got.d[i].kind, DROP_FOLDER);
	assert_int_equal(fx->got.d[i].size, 12);
	assert_true(fx->got.d[i].at >= last + 1000 - 20);
	run(fx, NULL, NULL, 300);
	assert_int_equal(fx->got.n, 2);
	assert_int_equal(count(&fx->got, sub), 1);
	assert_int_equal(count(&fx->got, moved), 1);
	assert_int_equal(fx->got.d[find(&fx->got, moved)].size, 3);
	free(sub);
	free(moved);
	free(outside);
	free(done);
	free(junk);
}

/* The watcher looks for a gone folder every 2 s: fx->skew skips the wait. */
static void folder_gone_and_back(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	assert_string_equal(state_of(fx, 0), "watching");
	assert_int_equal(remove_tree(fx->in), 0);
	assert_true(run(fx, state_is, "missing", 1000));
	run(fx, NULL, NULL, 50);
	assert_string_equal(state_of(fx, 0), "missing");
	assert_int_equal(mkdir(fx->in, 0755), 0);
	fx->skew += 2000;
	assert_true(run(fx, state_is, "watching", 1000));
	char *path = in_path(fx, "after.pdf");
	write_file(path, "back", 0);
	assert_true(run(fx, offered, path, 3000));

	/* moved away (IN_MOVE_SELF) and back: rescanned */
	char *away = xasprintf("%s/away", fx->root);
	assert_int_equal(rename(fx->in, away), 0);
	assert_true(run(fx, state_is, "missing", 1000));
	got_clear(&fx->got);
	assert_int_equal(rename(away, fx->in), 0);
	fx->skew += 2000;
	assert_true(run(fx, state_is, "watching", 1000));
	assert_true(run(fx, offered, path, 1000));

	/* the folder above renamed: no event, the path leads nowhere */
	char *root2 = xasprintf("%s-2", fx->root);
	assert_int_equal(rename(fx->root, root2), 0);
	fx->skew += 2000;
	int gone = run(fx, state_is, "missing", 1000);
	assert_int_equal(rename(root2, fx->root), 0);
	assert_true(gone);
	fx->skew += 2000;
	assert_true(run(fx, state_is, "watching", 1000));
	free(path);
	free(away);
	free(root2);
}

static void reload_adds_and_drops(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	char *in2 = xasprintf("%s/in2", fx->root);
	mkdir(in2, 0755);
	char *there = xasprintf("%s/waiting.pdf", in2);
	write_file(there, "waiting", 0);
	make_old(there);
	struct watch_config next[1] = { { .name = "quay-2", .path = in2 } };
	struct err e = { 0 };
	assert_int_equal(watcher_reload(fx->w, next, 1, &e), 0);
	assert_true(run(fx, offered, there, 1000));
	json_t *st = watcher_status(fx->w);
	assert_int_equal(json_array_size(st), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(st, 0), "name")),
	    "quay-2");
	json_decref(st);
	char *dropped = in_path(fx, "not-watched.pdf");
	write_file(dropped, "x", 0);
	run(fx, NULL, NULL, SETTLE_MS + 200);
	assert_int_equal(count(&fx->got, dropped), 0);
	free(in2);
	free(there);
	free(dropped);
}

static void recheck_waits_for_stability(void **state)
{
	struct fixture *fx = *state;
	char *path = in_path(fx, "slow.tif");
	write_file(path, "part", 0);
	make_old(path);
	assert_int_equal(start(fx, 1, NULL), 0);
	assert_true(run(fx, offered, path, 1000));
	got_clear(&fx->got);
	uint64_t asked = now_ms();
	watcher_recheck(fx->w, path, asked);
	assert_true(run(fx, offered, path, 3000));
	assert_true(fx->got.d[0].at >= asked + 1000 - 20);
	got_clear(&fx->got);

	asked = now_ms();
	watcher_recheck(fx->w, path, asked);
	run(fx, NULL, NULL, 500);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "more", 4), 4); /* no close: only the re-check sees it */
	uint64_t wrote = now_ms();
	assert_true(run(fx, offered, path, 3000));
	close(fd);
	assert_true(fx->got.d[0].at >= wrote + 1000 - 20);
	assert_int_equal(fx->got.d[0].size, 8);
	free(path);
}

/* More events than the kernel queues (16384 by default): a rescan, nothing lost. */
static void overflow_loses_nothing(void **state)
{
	struct fixture *fx = *state;
	enum { N = 9000 };
	assert_int_equal(start(fx, 1, NULL), 0);
	run(fx, NULL, NULL, 20);
	for (int i = 0; i < N; i++) {
		char *p = xasprintf("%s/%05d.jpg", fx->in, i);
		write_file(p, "", 0); /* IN_CREATE + IN_CLOSE_WRITE */
		free(p);
	}
	run(fx, NULL, NULL, SETTLE_MS + 300);
	char *first = in_path(fx, "00000.jpg"), *last = in_path(fx, "08999.jpg");
	assert_int_equal(count(&fx->got, first), 1);
	assert_int_equal(count(&fx->got, last), 1);
	assert_int_equal(fx->got.n, N);
	free(first);
	free(last);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(chunks_then_one_close, setup, teardown),
		cmocka_unit_test_setup_teardown(several_opens_offered_after_the_last, setup, teardown),
		cmocka_unit_test_setup_teardown(renamed_in, setup, teardown),
		cmocka_unit_test_setup_teardown(there_before_start, setup, teardown),
		cmocka_unit_test_setup_teardown(ignored_names_symlinks_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(hard_links_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(names_as_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(subfolder_is_one_dossier, setup, teardown),
		cmocka_unit_test_setup_teardown(folder_gone_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_adds_and_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(recheck_waits_for_stability, setup, teardown),
		cmocka_unit_test_setup_teardown(overflow_loses_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
