/*
 * The durable spool: folders as state (OpenSMTPD's queue).
 *   <spool>/incoming/<id>/         an intake being copied; purged at open
 *   <spool>/incoming/.trash-<id>/  a job leaving the queue; purged at open
 *   <spool>/queue/<id>/            committed: original | pages/NNNN-name,
 *                                  job.json, work/
 * An intake commits by rename(incoming/<id>, queue/<id>) once every file and
 * directory under it is fsync'd; a job leaves by the rename of queue/<id>
 * back into incoming/. Either rename happened or it did not: a crash never
 * leaves half a job in queue/. One process a spool: the supervisor holds a
 * lock on it (spool_open purges incoming/).
 * job.json is read and written by job_meta.c; the quarantine is quarantine.c.
 */
#include "watchers/spool_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_DIR_MODE 0700
#define SPOOL_FILE_MODE 0600
#define PAGES_MAX 9999       /* the NNNN- prefix keeps the order up to here */
#define PAGE_NAME_MAX 100
#define COPY_CHUNK (1 << 20)
#define NO_LINKS "%s is a symbolic link; sohoa does not follow links"

/* What was copied, to see afterwards whether the source changed meanwhile. */
struct src_stat {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
};
struct src_entry {
	char *name;
	struct src_stat st;
};
struct snapshot {
	struct src_stat dir;     /* a folder drop: the folder itself */
	struct src_entry *v;     /* a file drop: one entry, the file */
	size_t n;
};

/* ---- small helpers ------------------------------------------------------ */

/* Disk full passes once someone makes room: the intake is retried, never lost. */
void spool_err_io(struct err *e, int errnum, const char *what, const char *path)
{
	if (errnum == ENOSPC || errnum == EDQUOT)
		err_temporary(e, "cannot %s %s: %s", what, path, strerror(errnum));
	else
		err_set(e, "cannot %s %s: %s", what, path, strerror(errnum));
}

static void err_changed(struct err *e, const char *src)
{
	err_temporary(e, "%s changed while being copied; will be taken again", src);
}

int spool_fsync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		spool_err_io(e, errno, "sync directory", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* For a directory this code may just have made inside one that is not ours
 * (and may not be readable): best effort. */
void spool_sync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int spool_remove_all(const char *path, struct err *e)
{
	if (remove_tree(path) == 0)
		return 0;
	err_set(e, "cannot remove %s: %s", path, strerror(errno));
	return -1;
}

/* [0-9A-Za-z._-]: safe in a file name on any system */
static int plain_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    c == '.' || c == '_' || c == '-';
}

int spool_plain_span(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0' && plain_char(s[n]))
		n++;
	return s[n] == '\0' ? (int)n : -1;
}

int spool_valid_id(const char *id)
{
	int n = spool_plain_span(id);
	return n > 0 && n < JOB_ID_MAX && id[0] != '.';
}

/* "20261122T171503.123456-4242": Viet Nam time (no DST, so it sorts), pid. */
static void new_id(struct spool *s, char id[JOB_ID_MAX])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (us <= s->last_us)
		us = s->last_us + 1;
	s->last_us = us;
	time_t vn = (time_t)(us / 1000000) + 7 * 3600;
	struct tm tm;
	char stamp[16];
	gmtime_r(&vn, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(id, JOB_ID_MAX, "%s.%06u-%ld", stamp, (unsigned)(us % 1000000),
	    (long)getpid());
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void spool_free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The names in dir (without . and ..; dot-names only if with_dot), sorted. */
int spool_list_names(const char *dir, int with_dot, char ***out, size_t *n, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	*out = NULL;
	*n = 0;
	if (d == NULL) {
		err_set(e, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (de->d_name[0] == '.' && !with_dot))
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*out, *n, sizeof(**out), cmp_str);
	return 0;
}

/* ---- durable files ------------------------------------------------------ */

/* fsync and close; the descriptor is closed either way. */
static int finish_file(int fd, const char *path, struct err *e)
{
	if (fsync(fd) < 0) {
		spool_err_io(e, errno, "sync", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		spool_err_io(e, errno, "close", path);
		return -1;
	}
	return 0;
}

/* A new file (never an existing one) holding data, fsync'd. */
int spool_write_new_file(const char *path, const char *data, unsigned mode, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		spool_err_io(e, errno, "create", path);
		return -1;
	}
	if (fd_write_all(fd, data, strlen(data), path, e) < 0) {
		close(fd);
		return -1;
	}
	return finish_file(fd, path, e);
}

/* Copies exactly `size` bytes of `in` into a new file dst, fsync'd. A source
 * that ends early has changed under us. */
int spool_copy_fd(int in, off_t size, const char *src, const char *dst, unsigned mode,
    struct err *e)
{
	int rc = -1;
	char *chunk = xmalloc(COPY_CHUNK);
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		spool_err_io(e, errno, "create", dst);
		goto out;
	}
	for (off_t left = size; left > 0;) {
		ssize_t n = read(in, chunk, left < COPY_CHUNK ? (size_t)left : COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_temporary(e, "cannot read %s: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0) {
			err_changed(e, src);
			goto out;
		}
		if (fd_write_all(out, chunk, (size_t)n, dst, e) < 0)
			goto out;
		left -= n;
	}
	rc = finish_file(out, dst, e);
	out = -1;
out:
	if (out >= 0)
		close(out);
	free(chunk);
	return rc;
}

/* ---- intake: the source and its copy ------------------------------------ */

static void src_stat_of(const struct stat *st, struct src_stat *s)
{
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int src_same(const struct src_stat *a, const struct src_stat *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns;
}

static void snapshot_free(struct snapshot *sn)
{
	for (size_t i = 0; i < sn->n; i++)
		free(sn->v[i].name);
	free(sn->v);
	memset(sn, 0, sizeof(*sn));
}

static void snapshot_add(struct snapshot *sn, const char *name, const struct stat *st)
{
	sn->v = xrealloc(sn->v, (sn->n + 1) * sizeof(*sn->v));
	sn->v[sn->n].name = xstrdup(name);
	src_stat_of(st, &sn->v[sn->n].st);
	sn->n++;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct src_entry *)a)->name, ((const struct src_entry *)b)->name);
}

/* Not pages: the names the watcher always ignores (temp and system files). */
static int ignored_page(const char *name)
{
	size_t n = strlen(name);
	return name[0] == '.' || strncmp(name, "~$", 2) == 0 ||
	    strcasecmp(name, "Thumbs.db") == 0 ||
	    (n >= 4 && strcasecmp(name + n - 4, ".tmp") == 0) ||
	    (n >= 5 && strcasecmp(name + n - 5, ".part") == 0);
}

/* The regular files of the folder open at dfd, in name order; symlinks and
 * subfolders are left out. */
static int snapshot_folder(int dfd, const char *path, struct snapshot *sn, struct err *e)
{
	struct stat st;
	struct dirent *de;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		err_set(e, "cannot read folder %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (ignored_page(de->d_name))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err_changed(e, path);  /* it went away as we looked */
			closedir(d);
			return -1;
		}
		if (S_ISREG(st.st_mode) && st.st_nlink == 1)
			snapshot_add(sn, de->d_name, &st);
		else
			log_debug("spool: %s/%s is not a regular file of its own; not a page",
			    path, de->d_name);
	}
	closedir(d);
	if (sn->n > 0)
		qsort(sn->v, sn->n, sizeof(*sn->v), cmp_entry);
	return 0;
}

/* "0003-scan_2.tif": the number keeps the order whatever the name. */
static char *page_name(size_t i, const char *name)
{
	char clean[PAGE_NAME_MAX + 1];
	size_t n = strlen(name), k = 0;
	if (n > PAGE_NAME_MAX)
		name += n - PAGE_NAME_MAX;  /* keep the extension */
	for (; *name != '\0'; name++)
		clean[k++] = plain_char(*name) ? *name : '_';
	clean[k] = '\0';
	return xasprintf("%04zu-%s", i + 1, clean);
}

/* Copies en->name (relative to dfd) to dst, provided it is still what was seen. */
static int copy_entry(int dfd, const struct src_entry *en, const char *src, const char *dst,
    struct err *e)
{
	struct stat st;
	struct src_stat now;
	/* O_NONBLOCK: a FIFO swapped in must not hang the supervisor */
	int fd = openat(dfd, en->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			err_set(e, NO_LINKS, src);
		else
			err_set(e, "cannot open %s: %s", src, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (src_stat_of(&st, &now), !src_same(&now, &en->st))) {
		close(fd);
		err_changed(e, src);
		return -1;
	}
	if (st.st_nlink != 1) { /* a hard link made since the watcher looked */
		close(fd);
		err_set(e, "%s has other names (hard links); sohoa takes only files of their own",
		    src);
		return -1;
	}
	int rc = spool_copy_fd(fd, st.st_size, src, dst, SPOOL_FILE_MODE, e);
	close(fd);
	return rc;
}

/* drop file -> job/original */
static int take_file(const char *src, const char *job, struct snapshot *sn, struct err *e)
{
	struct stat st;
	if (lstat(src, &st) < 0) {
		err_set(e, "cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, S_ISLNK(st.st_mode) ? NO_LINKS : "%s is not a regular file", src);
		return -1;
	}
	char *dst = xasprintf("%s/original", job);
	snapshot_add(sn, src, &st);
	int rc = copy_entry(AT_FDCWD, &sn->v[0], src, dst, e);
	free(dst);
	return rc;
}

/* drop folder -> job/pages/NNNN-name, its regular files in name order */
static int take_folder(const char *src, const char *job, struct snapshot *sn, struct err *e)
{
	int rc = -1;
	struct stat st;
	char *pages = xasprintf("%s/pages", job);
	int dfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			err_set(e, "%s is a symbolic link or not a folder; sohoa does not"
			    " follow links", src);
		else
			err_set(e, "cannot open folder %s: %s", src, strerror(errno));
		goto out;
	}
	if (fstat(dfd, &st) < 0) {
		err_set(e, "cannot read folder %s: %s", src, strerror(errno));
		goto out;
	}
	src_stat_of(&st, &sn->dir);
	if (snapshot_folder(dfd, src, sn, e) < 0)
		goto out;
	if (sn->n == 0 || sn->n > PAGES_MAX) {
		err_set(e, "folder %s has %zu files; a dossier has 1 to %d pages", src, sn->n,
		    PAGES_MAX);
		goto out;
	}
	if (mkdir(pages, SPOOL_DIR_MODE) < 0) {
		spool_err_io(e, errno, "create", pages);
		goto out;
	}
	for (size_t i = 0; i < sn->n; i++) {
		char *name = page_name(i, sn->v[i].name);
		char *dst = xasprintf("%s/%s", pages, name);
		char *from = xasprintf("%s/%s", src, sn->v[i].name);
		int copied = copy_entry(dfd, &sn->v[i], from, dst, e);
		free(name);
		free(dst);
		free(from);
		if (copied < 0)
			goto out;
	}
	rc = spool_fsync_dir(pages, e);
out:
	if (dfd >= 0)
		close(dfd);
	free(pages);
	return rc;
}

/* Is the source still what was copied? A folder's own mtime is not compared:
 * temp files that are not pages come and go in it. */
static int source_unchanged(const char *src, enum drop_kind kind, const struct snapshot *sn)
{
	struct stat st;
	struct src_stat now;
	struct snapshot again = { 0 };
	struct err ignored;
	int same = 0;
	if (kind == DROP_FILE) {
		if (lstat(src, &st) < 0)
			return 0;
		src_stat_of(&st, &now);
		return src_same(&now, &sn->v[0].st);
	}
	int dfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0 || st.st_dev != sn->dir.dev ||
	    st.st_ino != sn->dir.ino)
		goto out;
	if (snapshot_folder(dfd, src, &again, &ignored) < 0 || again.n != sn->n)
		goto out;
	for (size_t i = 0; i < sn->n; i++)
		if (strcmp(again.v[i].name, sn->v[i].name) != 0 ||
		    !src_same(&again.v[i].st, &sn->v[i].st))
			goto out;
	same = 1;
out:
	if (dfd >= 0)
		close(dfd);
	snapshot_free(&again);
	return same;
}

static void set_default(char **field, const char *value)
{
	if (*field == NULL && value != NULL)
		*field = xstrdup(value);
}

/* What the caller set of watch, agency_code, operator_name and procedure
 * stays (it resolves the [sohoa] defaults); the rest comes from the drop. A
 * folder's time is its newest, itself included: the supervisor compares the
 * folder's own mtime with it before letting go of the drop. */
static void fill_meta(struct job_meta *m, const char *id, const struct drop *d,
    const struct snapshot *sn)
{
	const struct watch_config *w = d->watch;
	char now[32];
	time_iso8601_vn(time(NULL), now);
	snprintf(m->id, sizeof(m->id), "%s", id);
	set_default(&m->watch, w != NULL && w->name != NULL ? w->name : "");
	set_default(&m->agency_code, w != NULL ? w->agency_code : NULL);
	set_default(&m->operator_name, w != NULL ? w->operator_name : NULL);
	set_default(&m->procedure, w != NULL ? w->procedure : NULL);
	free(m->source);
	free(m->received_at);
	m->source = xstrdup(d->path);
	m->received_at = xstrdup(now);
	m->dossier = d->kind == DROP_FOLDER;
	m->source_size = 0;
	m->source_mtime_ns = m->dossier ? sn->dir.mtime_ns : 0;
	for (size_t i = 0; i < sn->n; i++) {
		m->source_size += sn->v[i].st.size;
		if (sn->v[i].st.mtime_ns > m->source_mtime_ns)
			m->source_mtime_ns = sn->v[i].st.mtime_ns;
	}
}

/* incoming/<id>, made here so no one else's; *path is the caller's. */
static int make_job_dir(struct spool *s, char id[JOB_ID_MAX], char **path, struct err *e)
{
	for (int tries = 0;; tries++) {
		new_id(s, id);
		*path = xasprintf("%s/%s", s->incoming, id);
		if (mkdir(*path, SPOOL_DIR_MODE) == 0)
			return 0;
		int errnum = errno;
		if (errnum != EEXIST || tries == 2) {
			spool_err_io(e, errnum, "create", *path);
			free(*path);
			*path = NULL;
			return -1;
		}
		free(*path);
	}
}

/*
 * Steps, and what a crash after each leaves:
 *   mkdir incoming/<id>, copy, fsync files      incoming/<id>: purged at open
 *   job.json, fsync it, <id>/, incoming/        same
 *   source re-checked; rename into queue/       the commit
 *   fsync queue/                                the commit made durable
 * The source is only read: it stays in the drop folder until the job is
 * archived, so a crash before the commit loses nothing.
 */
int spool_accept(struct spool *s, const struct drop *d, struct job_meta *meta, struct err *e)
{
	int rc = -1, committed = 0;
	struct snapshot sn = { 0 };
	char id[JOB_ID_MAX];
	char *job = NULL, *json = NULL, *text = NULL, *dst = NULL;
	if (make_job_dir(s, id, &job, e) < 0)
		goto out;
	if ((d->kind == DROP_FOLDER ? take_folder(d->path, job, &sn, e)
	                            : take_file(d->path, job, &sn, e)) < 0)
		goto out;
	fill_meta(meta, id, d, &sn);
	json = xasprintf("%s/job.json", job);
	text = job_meta_dump(meta, meta->failures);
	if (spool_write_new_file(json, text, SPOOL_FILE_MODE, e) < 0 ||
	    spool_fsync_dir(job, e) < 0 || spool_fsync_dir(s->incoming, e) < 0)
		goto out;
	if (!source_unchanged(d->path, d->kind, &sn)) {
		err_changed(e, d->path);
		goto out;
	}
	dst = xasprintf("%s/%s", s->queue, id);
	/* never replaces: the id is new (monotonic time, pid; mkdir'd in incoming/) */
	if (rename(job, dst) < 0) {
		spool_err_io(e, errno, "commit the job into", dst);
		goto out;
	}
	committed = 1;
	if (spool_fsync_dir(s->queue, e) < 0)
		goto out;
	log_info("spool: %s taken as job %s", d->path, id);
	rc = 0;
out:
	if (rc < 0) {
		struct err ignored;
		if (committed)  /* not durable: let it go, the drop is retried */
			spool_done(s, id, &ignored);
		else if (job != NULL)
			remove_tree(job);
		job_meta_clear(meta);
	}
	snapshot_free(&sn);
	free(job);
	free(json);
	free(text);
	free(dst);
	return rc;
}

/* ---- the spool ---------------------------------------------------------- */

static int purge_incoming(struct spool *s, struct err *e)
{
	char **names;
	size_t n;
	int rc = 0;
	if (spool_list_names(s->incoming, 1, &names, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *path = xasprintf("%s/%s", s->incoming, names[i]);
		if (strncmp(names[i], ".trash-", 7) == 0)
			log_info("spool: removing %s, left by a finished job", path);
		else
			log_info("spool: purging %s, an intake cut short (taken again)", path);
		rc = spool_remove_all(path, e);
		free(path);
	}
	spool_free_names(names, n);
	return rc < 0 ? -1 : spool_fsync_dir(s->incoming, e);
}

int spool_open(const char *dir, struct spool **out, struct err *e)
{
	int rc = -1;
	struct spool *s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->incoming = xasprintf("%s/incoming", dir);
	s->queue = xasprintf("%s/queue", dir);
	*out = NULL;
	if (dir_make(s->incoming, SPOOL_DIR_MODE, e) < 0 ||
	    dir_make(s->queue, SPOOL_DIR_MODE, e) < 0)
		goto out;
	/* a job committed into a queue/ whose own entry was never synced could
	 * vanish with it */
	spool_sync_parent(dir);
	if (spool_fsync_dir(dir, e) < 0 || spool_fsync_dir(s->queue, e) < 0 ||
	    purge_incoming(s, e) < 0)
		goto out;
	*out = s;
	rc = 0;
out:
	if (rc < 0) {
		err_prefix(e, "spool %s", dir);
		spool_close(s);
	}
	return rc;
}

void spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	free(s->dir);
	free(s->incoming);
	free(s->queue);
	free(s);
}

int spool_walk(struct spool *s, int (*fn)(void *arg, const char *id), void *arg,
    struct err *e)
{
	char **ids;
	size_t n;
	int rc = 0;
	struct stat st;
	if (spool_list_names(s->queue, 0, &ids, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *json = xasprintf("%s/%s/job.json", s->queue, ids[i]);
		if (!spool_valid_id(ids[i]) || lstat(json, &st) < 0 || !S_ISREG(st.st_mode))
			log_warnx("spool: %s/%s is not a job (no job.json); left alone",
			    s->queue, ids[i]);
		else if (fn(arg, ids[i]) != 0)
			rc = -1;
		free(json);
	}
	spool_free_names(ids, n);
	if (rc < 0 && e != NULL && e->msg[0] == '\0')
		err_set(e, "walking the spool was stopped");
	return rc;
}

int spool_load(struct spool *s, const char *id, struct job_meta *m, struct err *e)
{
	int rc = -1;
	struct buf b = { 0 };
	char *path = NULL;
	memset(m, 0, sizeof(*m));
	if (!spool_valid_id(id)) {
		err_set(e, "not a job id: %s", id);
		goto out;
	}
	path = xasprintf("%s/%s/job.json", s->queue, id);
	if (file_read_all(path, META_MAX, &b, e) < 0 ||
	    job_meta_parse(b.data, b.len, m, e) < 0) {
		err_prefix(e, "%s", path);
		goto out;
	}
	snprintf(m->id, sizeof(m->id), "%s", id);
	rc = 0;
out:
	if (rc < 0)
		job_meta_clear(m);
	free(b.data);
	free(path);
	return rc;
}

int spool_count_failure(struct spool *s, struct job_meta *m, struct err *e)
{
	if (!spool_valid_id(m->id)) {
		err_set(e, "not a job id: %s", m->id);
		return -1;
	}
	char *path = xasprintf("%s/%s/job.json", s->queue, m->id);
	char *text = job_meta_dump(m, m->failures + 1);
	int rc = file_write_atomic(path, text, strlen(text), SPOOL_FILE_MODE, e);
	if (rc == 0)
		m->failures++;
	free(path);
	free(text);
	return rc;
}

char *spool_original(const struct spool *s, const struct job_meta *m)
{
	return xasprintf("%s/%s/%s", s->queue, m->id, m->dossier ? "pages" : "original");
}

char *spool_work_dir(struct spool *s, const char *id, struct err *e)
{
	struct stat st;
	if (!spool_valid_id(id)) {
		err_set(e, "not a job id: %s", id);
		return NULL;
	}
	char *job = xasprintf("%s/%s", s->queue, id);
	char *work = xasprintf("%s/work", job);
	if (lstat(job, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "no job %s in the spool", id);
		goto fail;
	}
	if (mkdir(work, SPOOL_DIR_MODE) < 0 && errno != EEXIST) {
		spool_err_io(e, errno, "create", work);
		goto fail;
	}
	free(job);
	return work;
fail:
	free(job);
	free(work);
	return NULL;
}

/* Out of queue/ in one rename (the commit of the removal), then removed at
 * leisure: a crash in between leaves the trash, purged at open. Done twice is
 * done. */
int spool_done(struct spool *s, const char *id, struct err *e)
{
	int rc = -1;
	if (!spool_valid_id(id)) {
		err_set(e, "not a job id: %s", id);
		return -1;
	}
	char *job = xasprintf("%s/%s", s->queue, id);
	char *trash = xasprintf("%s/.trash-%s", s->incoming, id);
	if (spool_remove_all(trash, e) < 0)
		goto out;
	if (rename(job, trash) < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			spool_err_io(e, errno, "remove job", job);
		goto out;
	}
	if (spool_fsync_dir(s->queue, e) < 0)
		goto out;
	if (remove_tree(trash) < 0)
		log_warn("spool: cannot remove %s; it goes at the next start", trash);
	rc = 0;
out:
	free(job);
	free(trash);
	return rc;
}
