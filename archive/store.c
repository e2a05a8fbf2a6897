/*
 * Content-addressed blob store: <dir>/blobs/ab/cd/<sha256hex>, mode 0440.
 * A blob is written into blobs/.incoming/, fsynced, then moved into place
 * without ever replacing an existing file, and its directory fsynced.
 */
#include "archive/archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define STORE_DIR_MODE 0750
#define BLOB_MODE 0440
#define INCOMING ".incoming"
/* "blobs/ab/cd/" + 64 hex digits */
#define BLOB_RELPATH_LEN (12 + 64)

struct blob_store {
	char *dir;      /* the archive directory */
	char *blobs;    /* <dir>/blobs */
	char *incoming; /* <dir>/blobs/.incoming: temp files, same filesystem */
};

/* A blob being written: temp file plus running sha256. */
struct incoming {
	int fd;
	char *path;
	EVP_MD_CTX *md;
};

static int is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int fsync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		err_set(e, "cannot sync directory %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int fsync_parent(const char *path, struct err *e)
{
	char *copy = xstrdup(path);
	int rc = fsync_dir(dirname(copy), e);
	free(copy);
	return rc;
}

/* A live writer holds its temp file's lock: an unlocked one is never filed. */
void store_sweep_dead(const struct blob_store *s)
{
	DIR *d = opendir(s->incoming);
	struct dirent *de;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "put-", 4) != 0)
			continue;
		int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("archive: removed %s/%s, left by an interrupted write",
			    s->incoming, de->d_name);
		close(fd);
	}
	closedir(d);
}

int store_open(const char *dir, int create, struct blob_store **out, struct err *e)
{
	int rc = -1;
	struct stat st;
	char *blobs = xasprintf("%s/blobs", dir);
	*out = NULL;
	if (create && (dir_make(blobs, STORE_DIR_MODE, e) < 0 || fsync_dir(blobs, e) < 0 ||
	    fsync_dir(dir, e) < 0))
		goto out;
	if (stat(blobs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "no archive at %s", dir);
		goto out;
	}
	struct blob_store *s = xcalloc(1, sizeof(*s));
	s->dir = realpath(dir, NULL);  /* store_path promises absolute paths */
	if (s->dir == NULL)
		s->dir = xstrdup(dir);
	s->incoming = xasprintf("%s/%s", blobs, INCOMING);
	s->blobs = blobs;
	blobs = NULL;
	*out = s;
	rc = 0;
out:
	free(blobs);
	return rc;
}

void store_close(struct blob_store *s)
{
	if (s == NULL)
		return;
	free(s->dir);
	free(s->blobs);
	free(s->incoming);
	free(s);
}

char *store_relpath(const char *hex)
{
	return xasprintf("blobs/%.2s/%.2s/%s", hex, strnlen(hex, 4) == 4 ? hex + 2 : "", hex);
}

char *store_path(const struct blob_store *s, const char *hex)
{
	char *rel = store_relpath(hex);
	char *abs = xasprintf("%s/%s", s->dir, rel);
	free(rel);
	return abs;
}

static void incoming_init(struct incoming *in)
{
	in->fd = -1;
	in->path = NULL;
	in->md = EVP_MD_CTX_new();
	if (in->md == NULL)
		fatalx("out of memory");
}

static int incoming_open(const struct blob_store *s, struct incoming *in, struct err *e)
{
	if (EVP_DigestInit_ex(in->md, EVP_sha256(), NULL) != 1) {
		err_set(e, "sha256 is unavailable");
		return -1;
	}
	if (mkdir(s->incoming, STORE_DIR_MODE) < 0 && errno != EEXIST) {
		err_set(e, "cannot create %s: %s", s->incoming, strerror(errno));
		return -1;
	}
	/* Locked for as long as it is ours: store_sweep_dead takes only unlocked
	 * ones, and may have taken this one between mkostemp and flock. */
	for (int tries = 0; tries < 3; tries++) {
		struct stat st;
		in->path = xasprintf("%s/put-XXXXXX", s->incoming);
		in->fd = mkostemp(in->path, O_CLOEXEC);
		if (in->fd < 0) {
			err_set(e, "cannot create a file in %s: %s", s->incoming, strerror(errno));
			free(in->path);
			in->path = NULL;
			return -1;
		}
		if (flock(in->fd, LOCK_EX) == 0 && fstat(in->fd, &st) == 0 && st.st_nlink > 0)
			return 0;
		close(in->fd);
		in->fd = -1;
		free(in->path);
		in->path = NULL;
	}
	err_set(e, "cannot create a file in %s: removed as it was made", s->incoming);
	return -1;
}

static int incoming_write(struct incoming *in, const void *data, size_t len, struct err *e)
{
	const char *p = data;
	if (EVP_DigestUpdate(in->md, data, len) != 1) {
		err_set(e, "sha256 failed");
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(in->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, "cannot write %s: %s", in->path, strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Closes and, unless it was moved into place, removes the temp file. */
static void incoming_discard(struct incoming *in)
{
	if (in->fd >= 0)
		close(in->fd);
	if (in->path != NULL)
		unlink(in->path);
	free(in->path);
	EVP_MD_CTX_free(in->md);
}

/* mkdir; a directory made here gets its entry made durable in the parent. */
static int make_dir_synced(const char *path, struct err *e)
{
	if (mkdir(path, STORE_DIR_MODE) == 0)
		return fsync_parent(path, e);
	if (errno == EEXIST)
		return 0;
	err_set(e, "cannot create directory %s: %s", path, strerror(errno));
	return -1;
}

/* 0 moved into place, 1 a blob was already there, -1 error. Never replaces. */
static int place(const char *tmp, const char *final, struct err *e)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
		return 0;
	/* Filesystems without RENAME_NOREPLACE: link(2) does not replace either. */
	if ((errno == EINVAL || errno == ENOSYS) && link(tmp, final) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno == EEXIST)
		return 1;
	err_set(e, "cannot move a blob into place at %s: %s", final, strerror(errno));
	return -1;
}

static int make_blob_dirs(const struct blob_store *s, const char *hex, struct err *e)
{
	char *ab = xasprintf("%s/%.2s", s->blobs, hex);
	char *cd = xasprintf("%s/%.2s", ab, hex + 2);
	int rc = make_dir_synced(ab, e) < 0 || make_dir_synced(cd, e) < 0 ? -1 : 0;
	free(ab);
	free(cd);
	return rc;
}

/* Finishes the hash, makes the temp file durable and files it under its hash. */
static int incoming_publish(const struct blob_store *s, struct incoming *in, char hex[65],
    struct err *e)
{
	int rc = -1;
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct stat st;
	char *final = NULL;
	EVP_DigestFinal_ex(in->md, md, &mdlen);
	hex_encode(md, mdlen, hex);
	/* 0440 before the fsync, so the blob never shows up writable */
	if (fchmod(in->fd, BLOB_MODE) < 0 || fsync(in->fd) < 0) {
		err_set(e, "cannot sync %s: %s", in->path, strerror(errno));
		goto out;
	}
	/* The file stays open, and locked, until it is placed (or discarded). */
	final = store_path(s, hex);
	if (lstat(final, &st) == 0) {
		rc = 0;  /* already filed: never rewrite it */
		goto out;
	}
	if (make_blob_dirs(s, hex, e) < 0)
		goto out;
	int placed = place(in->path, final, e);
	if (placed < 0)
		goto out;
	if (placed == 0) {
		free(in->path);
		in->path = NULL;
	}
	rc = fsync_parent(final, e);
out:
	free(final);
	return rc;
}

int store_put_file(struct blob_store *s, const char *src, char hex[65], struct err *e)
{
	int rc = -1;
	struct incoming in;
	struct stat st;
	unsigned char chunk[65536];
	incoming_init(&in);
	int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err_set(e, "cannot open %s: %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s is not a regular file", src);
		goto out;
	}
	if (incoming_open(s, &in, e) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, "cannot read %s: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (incoming_write(&in, chunk, (size_t)n, e) < 0)
			goto out;
	}
	rc = incoming_publish(s, &in, hex, e);
out:
	if (fd >= 0)
		close(fd);
	incoming_discard(&in);
	return rc;
}

int store_put_mem(struct blob_store *s, const void *data, size_t len, char hex[65],
    struct err *e)
{
	int rc = -1;
	struct incoming in;
	incoming_init(&in);
	if (incoming_open(s, &in, e) < 0 || incoming_write(&in, data, len, e) < 0)
		goto out;
	rc = incoming_publish(s, &in, hex, e);
out:
	incoming_discard(&in);
	return rc;
}

int store_verify(const struct blob_store *s, const char *hex, int *changed, struct err *e)
{
	int rc = -1;
	char *path = NULL;
	char got[65];
	struct stat st;
	struct err why;
	*changed = 0;
	if (!is_hex64(hex)) {
		err_set(e, "'%s' is not a blob name (64 lowercase hex digits)", hex);
		goto out;
	}
	path = store_path(s, hex);
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			err_set(e, "cannot examine %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*changed = 1;  /* something else sits where the blob was */
		rc = 1;
		goto out;
	}
	if (sha256_file_hex(path, got, &why) < 0) {
		err_set(e, "%s: %s", path, why.msg);
		goto out;
	}
	*changed = strcmp(got, hex) != 0;
	rc = 1;
out:
	free(path);
	return rc;
}

/* "blobs/ab/cd/<hex>" where ab and cd are the first four digits of hex. */
static int blob_relpath_hex(const char *rel, char hex[65])
{
	const char *name = rel + 12;
	if (strlen(rel) != BLOB_RELPATH_LEN || strncmp(rel, "blobs/", 6) != 0 ||
	    rel[8] != '/' || rel[11] != '/' || !is_hex64(name))
		return 0;
	if (memcmp(rel + 6, name, 2) != 0 || memcmp(rel + 9, name + 2, 2) != 0)
		return 0;
	memcpy(hex, name, 65);
	return 1;
}

struct walk {
	const struct blob_store *s;
	int (*fn)(void *arg, const char *hex, const char *relpath);
	void *arg;
	struct err *e;
};

static int walk_dir(struct walk *w, const char *rel, int depth);

static int walk_entry(struct walk *w, int dfd, const char *name, const char *rel, int depth)
{
	struct stat st;
	char hex[65];
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		err_set(w->e, "cannot examine %s/%s: %s", w->s->dir, rel, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(w, rel, depth + 1);
	if (S_ISREG(st.st_mode) && blob_relpath_hex(rel, hex))
		return w->fn(w->arg, hex, rel);
	return w->fn(w->arg, NULL, rel);
}

static int walk_dir(struct walk *w, const char *rel, int depth)
{
	int rc = -1;
	struct dirent *de;
	char *abs = xasprintf("%s/%s", w->s->dir, rel);
	DIR *d = opendir(abs);
	if (d == NULL) {
		err_set(w->e, "cannot read directory %s: %s", abs, strerror(errno));
		goto out;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (depth == 0 && strcmp(de->d_name, INCOMING) == 0))
			continue;
		char *child = xasprintf("%s/%s", rel, de->d_name);
		int r = walk_entry(w, dirfd(d), de->d_name, child, depth);
		free(child);
		if (r < 0)
			goto out;
	}
	if (errno != 0) {
		err_set(w->e, "cannot read directory %s: %s", abs, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	free(abs);
	return rc;
}

/* When fn returns -1 the walk stops and returns -1, leaving e as fn left it. */
int store_walk(const struct blob_store *s,
    int (*fn)(void *arg, const char *hex, const char *relpath), void *arg, struct err *e)
{
	struct walk w = { s, fn, arg, e };
	return walk_dir(&w, "blobs", 0);
}

/* "blobs/..." with no empty, "." or ".." component. */
static int safe_relpath(const char *rel)
{
	if (strncmp(rel, "blobs/", 6) != 0)
		return 0;
	for (const char *p = rel + 6;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (p[n] == '\0')
			return 1;
		p += n + 1;
	}
}

int store_remove(struct blob_store *s, const char *relpath, struct err *e)
{
	int rc = -1;
	char *path = NULL;
	if (!safe_relpath(relpath)) {
		err_set(e, "refusing to remove '%s': not a file under blobs/", relpath);
		goto out;
	}
	path = xasprintf("%s/%s", s->dir, relpath);
	if (unlink(path) < 0) {
		err_set(e, "cannot remove %s: %s", path, strerror(errno));
		goto out;
	}
	rc = fsync_parent(path, e);
out:
	free(path);
	return rc;
}

int store_walk_stale(const struct blob_store *s, unsigned min_age_s,
    int (*fn)(void *arg, const char *hex, const char *relpath), void *arg, struct err *e)
{
	DIR *d = opendir(s->incoming);
	if (d == NULL)
		return 0; /* nothing was ever written, or nothing is in flight */
	int rc = 0;
	time_t now = time(NULL);
	struct dirent *ent;
	while (rc == 0 && (ent = readdir(d)) != NULL) {
		struct stat st;
		if (ent->d_name[0] == '.' ||
		    fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < (time_t)min_age_s)
			continue;
		char *rel = xasprintf("blobs/%s/%s", INCOMING, ent->d_name);
		rc = fn(arg, NULL, rel);
		free(rel);
	}
	closedir(d);
	if (rc < 0 && e->msg[0] == '\0')
		err_set(e, "walking %s stopped", s->incoming);
	return rc;
}
