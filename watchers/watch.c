/* watch: the drop folders, with inotify. The rules are in watchers.h. */
#include "watch_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE | \
    IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
#define GONE_SELF (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED)
#define DONE_DIR "done" /* where archived originals may be moved: not a dossier */

static const char *const always_ignored[] = { "*.tmp", "*.part", "~$*", "Thumbs.db", NULL };

static int ignored(const struct watcher *w, const char *name)
{
	if (name[0] == '.')
		return 1;
	/* Case-blind: these come from Windows scanners and SMB clients. */
	for (size_t i = 0; always_ignored[i] != NULL; i++)
		if (fnmatch(always_ignored[i], name, FNM_CASEFOLD) == 0)
			return 1;
	for (size_t i = 0; w->ignore != NULL && w->ignore[i] != NULL; i++)
		if (fnmatch(w->ignore[i], name, 0) == 0)
			return 1;
	return 0;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t stable_ms(const struct watcher *w)
{
	return (uint64_t)w->o.stable_s * 1000;
}

/* ---- what a drop is ------------------------------------------------------- */

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* A regular file with another name elsewhere (a hard link) is not a scan
 * someone dropped: it may be any file of the same filesystem (/etc/shadow). */
static int own_file(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 1;
}

/* Pages as the spool takes them: regular files of their own, not ignored,
 * not in subfolders. */
static int summarize(const struct watcher *w, const char *dir, off_t *size, int64_t *newest)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int files = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (ignored(w, de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !own_file(&st))
			continue;
		files++;
		*size += st.st_size;
		if (mtime_ns(&st) > *newest)
			*newest = mtime_ns(&st);
	}
	closedir(d);
	return files;
}

int watch_measure(const struct watcher *w, const char *path, struct stat *st,
    enum drop_kind *kind, off_t *size, int64_t *mtime)
{
	if (lstat(path, st) < 0) {
		memset(st, 0, sizeof(*st));
		return -1;
	}
	*size = 0;
	*mtime = mtime_ns(st);
	if (S_ISREG(st->st_mode)) {
		*kind = DROP_FILE;
		*size = st->st_size;
		return own_file(st) ? 1 : -1;
	}
	*kind = DROP_FOLDER;
	return S_ISDIR(st->st_mode) ? summarize(w, path, size, mtime) : -1;
}

static void refuse(struct watcher *w, const char *path, const struct stat *st)
{
	for (size_t i = 0; i < w->nrefused; i++)
		if (strcmp(w->refused[i], path) == 0)
			return;
	w->refused = xrealloc(w->refused, (w->nrefused + 1) * sizeof(*w->refused));
	w->refused[w->nrefused++] = xstrdup(path);
	char *p = watch_esc(path);
	if (S_ISLNK(st->st_mode))
		log_warnx("%s: a symbolic link, not taken", p);
	else if (S_ISREG(st->st_mode))
		log_warnx("%s: a hard link to a file elsewhere, not taken (copy the scan in"
		    " instead)", p);
	else
		log_warnx("%s: neither a regular file nor a folder, not taken", p);
	free(p);
}

static void refused_forget(struct watcher *w, const char *path)
{
	for (size_t i = 0; i < w->nrefused; i++) {
		if (strcmp(w->refused[i], path) == 0) {
			free(w->refused[i]);
			w->refused[i] = w->refused[--w->nrefused];
			return;
		}
	}
}

static void offer(struct watcher *w, struct folder *f, const char *path, enum drop_kind kind,
    off_t size, int64_t mtime)
{
	struct drop d = { .watch = f->wc, .path = path, .kind = kind, .size = size,
		.mtime_ns = mtime };
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		char *p = watch_esc(path);
		log_debug("%s: offered (%s, %lld bytes)", p, kind == DROP_FILE ? "file" : "folder",
		    (long long)size);
		free(p);
	}
	if (w->ready != NULL)
		w->ready(w->arg, &d);
}

void watch_offer(struct watcher *w, struct folder *f, const char *path)
{
	struct stat st;
	enum drop_kind kind;
	off_t size;
	int64_t mtime;
	int n = watch_measure(w, path, &st, &kind, &size, &mtime);
	if (n > 0)
		offer(w, f, path, kind, size, mtime);
	else if (n < 0 && st.st_mode != 0 && !S_ISDIR(st.st_mode))
		refuse(w, path, &st);
	/* an empty folder is no dossier yet: its first file will re-arm it */
}

/* ---- subfolders (dossiers) -------------------------------------------------- */

static struct folder *folder_by_wd(const struct watcher *w, int wd)
{
	for (size_t i = 0; i < w->nfolders; i++)
		if (w->folders[i]->state == F_WATCHING && w->folders[i]->wd == wd)
			return w->folders[i];
	return NULL;
}

static ssize_t dossier_by_wd(const struct watcher *w, int wd)
{
	for (size_t i = 0; i < w->ndossiers; i++)
		if (w->dossiers[i].wd == wd)
			return (ssize_t)i;
	return -1;
}

static ssize_t dossier_by_path(const struct watcher *w, const char *path)
{
	for (size_t i = 0; i < w->ndossiers; i++)
		if (strcmp(w->dossiers[i].path, path) == 0)
			return (ssize_t)i;
	return -1;
}

/* rm: also drop the kernel's watch (a no-op if it is already gone). */
static void dossier_forget(struct watcher *w, size_t i, int rm)
{
	struct dossier *d = &w->dossiers[i];
	if (rm)
		inotify_rm_watch(w->fd, d->wd);
	pend_drop(w, d->path, PEND_DOSSIER);
	free(d->path);
	*d = w->dossiers[--w->ndossiers];
}

static void dossier_add(struct watcher *w, struct folder *f, const char *path)
{
	if (dossier_by_path(w, path) >= 0)
		return;
	int wd = inotify_add_watch(w->fd, path, EVENTS | IN_DONT_FOLLOW);
	if (wd < 0) {
		if (errno != ENOENT && errno != ENOTDIR) {
			char *p = watch_esc(path);
			log_warn("cannot watch %s; its pages are taken once it is quiet", p);
			free(p);
		}
		return;
	}
	if (folder_by_wd(w, wd) != NULL || dossier_by_wd(w, wd) >= 0)
		return; /* a drop folder of its own, or already known */
	w->dossiers = xrealloc(w->dossiers, (w->ndossiers + 1) * sizeof(*w->dossiers));
	w->dossiers[w->ndossiers++] = (struct dossier){ .f = f, .path = xstrdup(path), .wd = wd };
}

static void folder_forget_contents(struct watcher *w, const struct folder *f)
{
	for (size_t i = 0; i < w->ndossiers;) {
		if (w->dossiers[i].f == f)
			dossier_forget(w, i, 1);
		else
			i++;
	}
	pend_drop_folder(w, f);
}

/* ---- drop folders ----------------------------------------------------------- */

static void log_folder(void (*fn)(const char *, ...), const struct folder *f, const char *what)
{
	char *name = watch_esc(f->wc->name), *path = watch_esc(f->path);
	fn("drop folder %s (%s) %s", name, path, what);
	free(name);
	free(path);
}

static void folder_missing(struct watcher *w, struct folder *f)
{
	f->wd = -1;
	f->state = F_MISSING;
	f->since = time(NULL);
	f->retry_ms = w->now + MISSING_RETRY_MS;
	f->need_scan = 0;
	log_folder(log_warnx, f, "is gone; watching for it to come back");
}

static void folder_lost(struct watcher *w, struct folder *f)
{
	inotify_rm_watch(w->fd, f->wd); /* moved away or unmounted: let go of it */
	folder_forget_contents(w, f);
	folder_missing(w, f);
}

/* 0: watched; -1 with errno (EEXIST: the same folder as another [watch]). */
static int folder_watch(struct watcher *w, struct folder *f)
{
	int wd = inotify_add_watch(w->fd, f->path, EVENTS);
	if (wd < 0)
		return -1;
	if (folder_by_wd(w, wd) != NULL) {
		errno = EEXIST; /* the kernel gave us the other one's watch: keep it */
		return -1;
	}
	ssize_t d = dossier_by_wd(w, wd);
	if (d >= 0)
		dossier_forget(w, (size_t)d, 0); /* a dossier of another folder until now */
	struct stat st;
	if (stat(f->path, &st) == 0) {
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	f->retry_ms = w->now + MISSING_RETRY_MS;
	f->wd = wd;
	f->state = F_WATCHING;
	f->since = time(NULL);
	f->need_scan = 1;
	return 0;
}

static int folder_start(struct watcher *w, struct folder *f, struct err *e)
{
	if (folder_watch(w, f) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR) {
		folder_missing(w, f);
		return 0;
	}
	char *name = watch_esc(f->wc->name), *path = watch_esc(f->path);
	if (errno == EEXIST)
		err_set(e, "drop folder %s (%s) is a folder another [watch] already watches",
		    name, path);
	else
		err_set(e, "cannot watch drop folder %s (%s): %s%s", name, path, strerror(errno),
		    errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
	free(name);
	free(path);
	return -1;
}

static void folder_retry(struct watcher *w, struct folder *f)
{
	if (folder_watch(w, f) == 0) {
		log_folder(log_info, f, "is back; looking at what is in it");
		return;
	}
	f->retry_ms = w->now + MISSING_RETRY_MS;
}

/* No inotify event says so when a folder above is renamed, or something is
 * mounted on the drop folder: the path leads elsewhere than the watch. */
static void folder_check(struct watcher *w, struct folder *f)
{
	struct stat st;
	f->retry_ms = w->now + MISSING_RETRY_MS;
	if (stat(f->path, &st) < 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
		folder_lost(w, f);
		folder_retry(w, f);
	}
}

static struct folder *folder_new(const struct watch_config *wc)
{
	struct folder *f = xcalloc(1, sizeof(*f));
	f->wc = wc;
	f->path = xstrdup(wc->path);
	for (size_t n = strlen(f->path); n > 1 && f->path[n - 1] == '/'; n--)
		f->path[n - 1] = '\0';
	f->wd = -1;
	f->state = F_MISSING;
	f->since = time(NULL);
	return f;
}

/* Lets go of f without calling it missing (reload, free). */
static void folder_free(struct watcher *w, struct folder *f)
{
	if (f == NULL)
		return;
	if (f->state == F_WATCHING)
		inotify_rm_watch(w->fd, f->wd);
	folder_forget_contents(w, f);
	free(f->path);
	free(f);
}

struct folder *watch_folder_of(const struct watcher *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return NULL;
	size_t n = (size_t)(slash - path);
	for (size_t i = 0; i < w->nfolders; i++) {
		const char *fp = w->folders[i]->path;
		if (strlen(fp) == n && strncmp(fp, path, n) == 0)
			return w->folders[i];
	}
	return NULL;
}

/* ---- start-up scan and rescans ---------------------------------------------- */

/* Quiet long enough already: offered now; else when it has settled. */
static void scan_entry(struct watcher *w, struct folder *f, const char *path, const char *name)
{
	struct stat st;
	enum drop_kind kind;
	off_t size;
	int64_t mtime;
	if (strcmp(name, DONE_DIR) == 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	int n = watch_measure(w, path, &st, &kind, &size, &mtime);
	if (st.st_mode == 0)
		return;
	if (n < 0 && !S_ISDIR(st.st_mode)) {
		refuse(w, path, &st);
		return;
	}
	if (S_ISDIR(st.st_mode))
		dossier_add(w, f, path);
	uint64_t quiet_ms = kind == DROP_FILE ? w->o.settle_ms : stable_ms(w);
	enum pend_kind pk = kind == DROP_FILE ? PEND_FILE : PEND_DOSSIER;
	if (n > 0 && realtime_ns() - mtime >= (int64_t)quiet_ms * 1000000) {
		pend_drop(w, path, pk); /* an event read late: settled already */
		offer(w, f, path, kind, size, mtime);
	} else {
		pend_arm(w, f, path, pk, w->now + quiet_ms);
	}
}

static void folder_scan(struct watcher *w, struct folder *f)
{
	f->need_scan = 0;
	DIR *d = opendir(f->path);
	if (d == NULL) {
		char *p = watch_esc(f->path);
		log_warn("cannot read drop folder %s", p); /* gone: IN_DELETE_SELF says so */
		free(p);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (ignored(w, de->d_name))
			continue;
		char *path = xasprintf("%s/%s", f->path, de->d_name);
		scan_entry(w, f, path, de->d_name);
		free(path);
	}
	closedir(d);
}

/* ---- inotify events ---------------------------------------------------------- */

static void on_file(struct watcher *w, struct folder *f, const char *path, uint32_t mask)
{
	struct pending *p = pend_find(w, path, PEND_FILE);
	if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
		pend_arm(w, f, path, PEND_FILE, w->now + w->o.settle_ms);
	} else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
		pend_drop(w, path, PEND_FILE);
		refused_forget(w, path);
	} else if (p != NULL) { /* IN_MODIFY, IN_CREATE: still being written */
		p->due_ms = w->now + w->o.settle_ms;
	} else if (mask & IN_CREATE) {
		struct stat st;
		if (lstat(path, &st) == 0 && !own_file(&st) && !S_ISDIR(st.st_mode))
			refuse(w, path, &st); /* link(2) gives IN_CREATE alone */
	}
}

static void on_subfolder(struct watcher *w, struct folder *f, const char *path,
    const char *name, uint32_t mask)
{
	if (strcmp(name, DONE_DIR) == 0)
		return;
	if (mask & (IN_CREATE | IN_MOVED_TO)) {
		dossier_add(w, f, path);
		pend_arm(w, f, path, PEND_DOSSIER, w->now + stable_ms(w));
	} else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
		ssize_t i = dossier_by_path(w, path);
		if (i >= 0)
			dossier_forget(w, (size_t)i, 1);
		pend_drop(w, path, PEND_DOSSIER);
	}
}

static void on_folder_event(struct watcher *w, struct folder *f, const struct inotify_event *ev)
{
	if (ev->mask & GONE_SELF) {
		folder_lost(w, f);
		return;
	}
	if (ev->len == 0 || ignored(w, ev->name))
		return;
	char *path = xasprintf("%s/%s", f->path, ev->name);
	pend_touch(w, path);
	if (ev->mask & IN_ISDIR)
		on_subfolder(w, f, path, ev->name, ev->mask);
	else
		on_file(w, f, path, ev->mask);
	free(path);
}

static void on_event(struct watcher *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		log_warnx("too many changes in the drop folders at once; looking at them all again");
		for (size_t i = 0; i < w->nfolders; i++)
			w->folders[i]->need_scan = w->folders[i]->state == F_WATCHING;
		return;
	}
	struct folder *f = folder_by_wd(w, ev->wd);
	if (f != NULL) {
		on_folder_event(w, f, ev);
		return;
	}
	ssize_t i = dossier_by_wd(w, ev->wd);
	if (i < 0)
		return;
	struct dossier *d = &w->dossiers[i];
	if (ev->mask & GONE_SELF) {
		dossier_forget(w, (size_t)i, !(ev->mask & IN_IGNORED));
		return;
	}
	/* Anything inside, even an ignored name: the dossier is still moving. */
	pend_touch(w, d->path);
	pend_arm(w, d->f, d->path, PEND_DOSSIER, w->now + stable_ms(w));
}

static void read_events(struct watcher *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (int round = 0; round < 64; round++) { /* then others get a turn; poll says more */
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				log_warn("reading the drop folders' events");
			return;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			on_event(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* ---- the interface -------------------------------------------------------------- */

int watcher_new(const struct watch_config *watches, size_t n, const struct watch_options *o,
    struct watcher **out, struct err *e)
{
	int rc = -1;
	struct watcher *w = xcalloc(1, sizeof(*w));
	w->o = *o;
	w->o.ignore = NULL;
	size_t ni = 0;
	while (o->ignore != NULL && o->ignore[ni] != NULL)
		ni++;
	w->ignore = xcalloc(ni + 1, sizeof(*w->ignore));
	for (size_t i = 0; i < ni; i++)
		w->ignore[i] = xstrdup(o->ignore[i]);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		err_set(e, "inotify: %s%s", strerror(errno),
		    errno == EMFILE ? " (raise fs.inotify.max_user_instances)" : "");
		goto out;
	}
	w->folders = xcalloc(n + 1, sizeof(*w->folders));
	for (size_t i = 0; i < n; i++) {
		w->folders[w->nfolders++] = folder_new(&watches[i]);
		if (folder_start(w, w->folders[i], e) < 0)
			goto out;
	}
	*out = w;
	w = NULL;
	rc = 0;
out:
	watcher_free(w);
	return rc;
}

void watcher_free(struct watcher *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->nfolders; i++)
		folder_free(w, w->folders[i]);
	free(w->folders);
	free(w->dossiers);
	for (size_t i = 0; i < w->npend; i++)
		free(w->pend[i].path);
	free(w->pend);
	for (size_t i = 0; i < w->nrefused; i++)
		free(w->refused[i]);
	free(w->refused);
	for (size_t i = 0; w->ignore != NULL && w->ignore[i] != NULL; i++)
		free(w->ignore[i]);
	free(w->ignore);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

int watcher_fd(const struct watcher *w)
{
	return w->fd;
}

static int min_ms(int a, int64_t b)
{
	if (b < 0)
		b = 0;
	if (b > 3600 * 1000)
		b = 3600 * 1000;
	return a < 0 || b < a ? (int)b : a;
}

int watcher_step(struct watcher *w, uint64_t now_ms, drop_ready_fn ready, void *arg)
{
	w->now = now_ms;
	w->ready = ready;
	w->arg = arg;
	read_events(w);
	for (size_t i = 0; i < w->nfolders; i++) {
		struct folder *f = w->folders[i];
		if (f->retry_ms <= now_ms && f->state == F_MISSING)
			folder_retry(w, f);
		else if (f->retry_ms <= now_ms)
			folder_check(w, f);
		if (f->state == F_WATCHING && f->need_scan)
			folder_scan(w, f);
	}
	int next = pend_run(w);
	for (size_t i = 0; i < w->nfolders; i++)
		next = min_ms(next, (int64_t)(w->folders[i]->retry_ms - now_ms));
	w->ready = NULL;
	w->arg = NULL;
	return next;
}

static ssize_t folder_by_path(struct folder **fs, size_t n, const char *path,
    const int *taken)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; i < n; i++)
		if (!taken[i] && strlen(fs[i]->path) == len && strncmp(fs[i]->path, path, len) == 0)
			return (ssize_t)i;
	return -1;
}

/* All or nothing: on -1 the old folders (and their borrowed configs) stay. */
int watcher_reload(struct watcher *w, const struct watch_config *watches, size_t n,
    struct err *e)
{
	size_t old = w->nfolders;
	int *taken = xcalloc(old + 1, sizeof(*taken));
	struct folder **next = xcalloc(n + 1, sizeof(*next));
	w->folders = xrealloc(w->folders, (old + n + 1) * sizeof(*w->folders));
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		ssize_t j = folder_by_path(w->folders, old, watches[i].path, taken);
		if (j >= 0) {
			taken[j] = 1;
			next[i] = w->folders[j];
			continue;
		}
		next[i] = w->folders[w->nfolders++] = folder_new(&watches[i]);
		if (folder_start(w, next[i], e) < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		next[i]->wc = &watches[i];
	for (size_t j = 0; j < old; j++)
		if (!taken[j])
			folder_free(w, w->folders[j]);
	free(w->folders);
	w->folders = next;
	w->nfolders = n;
	next = NULL;
	rc = 0;
out:
	if (rc < 0) {
		while (w->nfolders > old)
			folder_free(w, w->folders[--w->nfolders]);
	}
	free(next);
	free(taken);
	return rc;
}

static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	if (j == NULL) { /* not UTF-8: shown escaped */
		char *p = watch_esc(s);
		j = json_string(p);
		free(p);
	}
	return j;
}

json_t *watcher_status(const struct watcher *w)
{
	json_t *a = json_array();
	for (size_t i = 0; i < w->nfolders; i++) {
		const struct folder *f = w->folders[i];
		char since[32];
		time_iso8601_vn(f->since, since);
		json_array_append_new(a, json_pack("{s:o, s:o, s:s, s:s}",
		    "name", json_text(f->wc->name), "path", json_text(f->path),
		    "state", f->state == F_MISSING ? "missing" : "watching", "since", since));
	}
	return a;
}
