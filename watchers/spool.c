/*
 * The durable spool: folders as state (OpenSMTPD's queue).
 *   <spool>/lock                   flock(2): one daemon a spool
 *   <spool>/incoming/<id>/         an intake being copied; purged at open
 *   <spool>/incoming/.trash-<id>/  a job leaving the queue; purged at open
 *   <spool>/queue/<id>/            committed: original | pages/NNNN-name,
 *                                  job.json, work/
 * An intake commits by rename(incoming/<id>, queue/<id>) once every file and
 * directory under it is fsync'd; a job leaves by the rename of queue/<id>
 * back into incoming/. Either rename happened or it did not: a crash never
 * leaves half a job in queue/.
 */
#include "watchers/watchers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <utf8proc.h>

#define SPOOL_DIR_MODE 0700
#define SPOOL_FILE_MODE 0600
#define QUAR_DIR_MODE 0750   /* for a person to look into */
#define QUAR_FILE_MODE 0640
#define META_MAX (1 << 20)
#define PAGES_MAX 9999       /* the NNNN- prefix keeps the order up to here */
#define PAGE_NAME_MAX 100
#define COPY_CHUNK (1 << 20)

struct spool {
	char *dir, *incoming, *queue;
	int lock_fd;
	int64_t last_us;     /* time of the last id made: ids never go backwards */
};

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
static void err_io(struct err *e, int errnum, const char *what, const char *path)
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

static int fsync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		err_io(e, errno, "sync directory", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf, never following a symlink; what is already gone is fine. */
static int remove_tree(const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		err_set(e, "cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int valid_id(const char *id)
{
	size_t n = 0;
	for (const char *p = id; *p != '\0'; p++, n++) {
		char c = *p;
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
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
	char stamp[32];
	gmtime_r(&vn, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(id, JOB_ID_MAX, "%s.%06d-%ld", stamp, (int)(us % 1000000), (long)getpid());
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The names in dir (without . and ..; dot-names only if with_dot), sorted. */
static int list_names(const char *dir, int with_dot, char ***out, size_t *n, struct err *e)
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

/* ---- text: UTF-8, JSON -------------------------------------------------- */

/* s with every byte that is not part of valid UTF-8 shown as U+FFFD; caller frees. */
static char *utf8_lossy(const char *s)
{
	struct buf b = { 0 };
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(s != NULL ? s : "");
	while (*p != '\0') {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cp);
		if (k <= 0) {
			buf_append(&b, "\xef\xbf\xbd", 3);
			k = 1;
		} else {
			buf_append(&b, p, (size_t)k);
		}
		p += k;
	}
	buf_append(&b, "", 1);
	return b.data;
}

static json_t *json_text(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	if (j == NULL) {
		char *lossy = utf8_lossy(s);
		j = json_string(lossy);
		free(lossy);
	}
	return j;
}

/* A path is bytes: "source" for people, plus "source_hex" exactly when the
 * bytes are not UTF-8, so any path comes back as it was. */
static void json_set_path(json_t *o, const char *path)
{
	json_t *j = json_string(path);
	if (j != NULL) {
		json_object_set_new(o, "source", j);
		return;
	}
	size_t n = strlen(path);
	char *hex = xmalloc(2 * n + 1);
	hex_encode((const unsigned char *)path, n, hex);
	json_object_set_new(o, "source", json_text(path));
	json_object_set_new(o, "source_hex", json_string(hex));
	free(hex);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *json_get_path(json_t *o)
{
	const char *hex = json_string_value(json_object_get(o, "source_hex"));
	if (hex == NULL) {
		const char *s = json_string_value(json_object_get(o, "source"));
		return s != NULL ? xstrdup(s) : NULL;
	}
	size_t n = strlen(hex) / 2;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(out);
			return NULL;
		}
		out[i] = (char)(hi << 4 | lo);
	}
	out[n] = '\0';
	return strlen(hex) % 2 == 0 ? out : (free(out), NULL);
}

static char *json_dup(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL ? xstrdup(v) : NULL;
}

/* job.json text for m, with `failures` in place of m->failures; caller frees. */
static char *meta_dump(const struct job_meta *m, unsigned failures)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "watch", json_text(m->watch));
	json_set_path(o, m->source);
	json_object_set_new(o, "agency_code", json_text(m->agency_code));
	json_object_set_new(o, "operator_name", json_text(m->operator_name));
	json_object_set_new(o, "procedure", json_text(m->procedure));
	json_object_set_new(o, "received_at", json_text(m->received_at));
	json_object_set_new(o, "source_size", json_integer(m->source_size));
	json_object_set_new(o, "source_mtime_ns", json_integer(m->source_mtime_ns));
	json_object_set_new(o, "dossier", json_boolean(m->dossier));
	json_object_set_new(o, "failures", json_integer(failures));
	char *s = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	if (s == NULL)
		fatalx("out of memory");
	char *text = xasprintf("%s\n", s);
	free(s);
	return text;
}

static int meta_parse(const char *text, size_t len, struct job_meta *m, struct err *e)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);
	if (!json_is_object(o)) {
		err_set(e, "not a job description: %s", o == NULL ? je.text : "not an object");
		json_decref(o);
		return -1;
	}
	m->watch = json_dup(o, "watch");
	m->source = json_get_path(o);
	m->agency_code = json_dup(o, "agency_code");
	m->operator_name = json_dup(o, "operator_name");
	m->procedure = json_dup(o, "procedure");
	m->received_at = json_dup(o, "received_at");
	m->source_size = json_integer_value(json_object_get(o, "source_size"));
	m->source_mtime_ns = json_integer_value(json_object_get(o, "source_mtime_ns"));
	m->dossier = json_is_true(json_object_get(o, "dossier"));
	json_int_t f = json_integer_value(json_object_get(o, "failures"));
	m->failures = f > 0 ? (unsigned)f : 0;
	json_decref(o);
	if (m->watch == NULL || m->source == NULL || m->received_at == NULL) {
		err_set(e, "job description without watch, source or received_at");
		return -1;
	}
	return 0;
}

/* ---- durable files ------------------------------------------------------ */

static int write_all(int fd, const void *data, size_t len, const char *path, struct err *e)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_io(e, errno, "write", path);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync and close; the descriptor is closed either way. */
static int finish_file(int fd, const char *path, struct err *e)
{
	if (fsync(fd) < 0) {
		err_io(e, errno, "sync", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		err_io(e, errno, "close", path);
		return -1;
	}
	return 0;
}

/* A new file (never an existing one) holding data, fsync'd. */
static int write_new_file(const char *path, const char *data, unsigned mode, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		err_io(e, errno, "create", path);
		return -1;
	}
	if (write_all(fd, data, strlen(data), path, e) < 0) {
		close(fd);
		return -1;
	}
	return finish_file(fd, path, e);
}

/* Copies exactly `size` bytes of `in` into a new file dst, fsync'd. A source
 * that ends early has changed under us. */
static int copy_fd(int in, off_t size, const char *src, const char *dst, unsigned mode,
    struct err *e)
{
	int rc = -1;
	char *chunk = xmalloc(COPY_CHUNK);
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		err_io(e, errno, "create", dst);
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
		if (write_all(out, chunk, (size_t)n, dst, e) < 0)
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

/* Not pages: what the watcher never offers either (editors' and scanners' temp files). */
static int ignored_page(const char *name)
{
	size_t n = strlen(name);
	return name[0] == '.' || strncmp(name, "~$", 2) == 0 || strcasecmp(name, "Thumbs.db") == 0 ||
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
		if (S_ISREG(st.st_mode))
			snapshot_add(sn, de->d_name, &st);
		else
			log_debug("spool: %s/%s is not a regular file; not a page", path, de->d_name);
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
	for (; *name != '\0'; name++) {
		char c = *name;
		int ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || c == '.' || c == '-' || c == '_';
		clean[k++] = ok ? c : '_';
	}
	clean[k] = '\0';
	return xasprintf("%04zu-%s", i + 1, clean);
}

/* Copies entry `name` of dfd to dst, provided it is still what sn saw. */
static int copy_entry(int dfd, const struct src_entry *en, const char *src, const char *dst,
    struct err *e)
{
	struct stat st;
	struct src_stat now;
	int fd = openat(dfd, en->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			err_set(e, "%s is a symbolic link; sohoa does not follow links", src);
		else
			err_set(e, "cannot open %s: %s", src, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (src_stat_of(&st, &now), !src_same(&now, &en->st))) {
		close(fd);
		err_changed(e, src);
		return -1;
	}
	int rc = copy_fd(fd, st.st_size, src, dst, SPOOL_FILE_MODE, e);
	close(fd);
	return rc;
}

/* drop file -> job/original */
static int take_file(const char *src, const char *job, struct snapshot *sn, struct err *e)
{
	int rc = -1;
	struct stat st;
	char *copy = xstrdup(src), *dst = xasprintf("%s/original", job);
	const char *name = basename(copy);
	int dfd = open(dirname(xstrdup(src)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err_set(e, "cannot open the folder of %s: %s", src, strerror(errno));
		goto out;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		err_set(e, "cannot read %s: %s", src, strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		err_set(e, "%s is a symbolic link; sohoa does not follow links", src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s is not a regular file", src);
		goto out;
	}
	snapshot_add(sn, name, &st);
	rc = copy_entry(dfd, &sn->v[0], src, dst, e);
out:
	if (dfd >= 0)
		close(dfd);
	free(copy);
	free(dst);
	return rc;
}
