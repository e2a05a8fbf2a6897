#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

int fd_write_all(int fd, const void *data, size_t len, const char *what, struct err *e)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOSPC || errno == EDQUOT)) {
			err_temporary(e, "cannot write %s: %s", what, strerror(errno));
			return -1;
		}
		if (n < 0) {
			err_set(e, "cannot write %s: %s", what, strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_chunks(int fd, int (*sink)(void *arg, const void *p, size_t n), void *arg,
    struct err *e)
{
	unsigned char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, "read error: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (sink(arg, chunk, (size_t)n) < 0)
			return -1;
	}
}

struct bounded_buf {
	struct buf *out;
	size_t max_bytes;
	struct err *e;
};

static int append_bounded(void *arg, const void *p, size_t n)
{
	struct bounded_buf *b = arg;
	buf_append(b->out, p, n);
	if (b->out->len <= b->max_bytes)
		return 0;
	err_set(b->e, "file grew over the limit of %zu bytes", b->max_bytes);
	return -1;
}

int file_read_all(const char *path, size_t max_bytes, struct buf *out, struct err *e)
{
	int rc = -1;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_set(e, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "not a regular file");
		goto out;
	}
	if ((size_t)st.st_size > max_bytes) {
		err_set(e, "file is %lld bytes, over the limit of %zu",
		    (long long)st.st_size, max_bytes);
		goto out;
	}
	struct bounded_buf sink = { out, max_bytes, e };
	if (fd_read_chunks(fd, append_bounded, &sink, e) < 0)
		goto out;
	if (out->data == NULL)
		buf_append(out, "", 0);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int fsync_parent_dir(const char *path, struct err *e)
{
	char *copy = xstrdup(path);
	int rc = -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		err_set(e, "cannot sync directory of %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
    struct err *e)
{
	int rc = -1;
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fd_write_all(fd, data, len, tmp, e) < 0)
		goto out;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		err_set(e, "cannot sync %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		err_set(e, "cannot close %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err_set(e, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	rc = fsync_parent_dir(path, e);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int dir_make(const char *path, unsigned mode, struct err *e)
{
	char *copy = xstrdup(path);
	int rc = -1;
	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			err_set(e, "cannot create directory %s: %s", copy, strerror(errno));
			goto out;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "%s exists and is not a directory", path);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

void hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		fatalx("SHA-256 is not available");
	hex_encode(md, mdlen, out);
}

static int digest_update(void *ctx, const void *p, size_t n)
{
	return EVP_DigestUpdate(ctx, p, n) == 1 ? 0 : -1;
}

int sha256_file_hex(const char *path, char out[65], struct err *e)
{
	int rc = -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		fatalx("out of memory");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		err_set(e, "sha256 is unavailable");
		goto out;
	}
	if (fd_read_chunks(fd, digest_update, ctx, e) < 0)
		goto out;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	hex_encode(md, mdlen, out);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return rc;
}

void time_iso8601_vn(time_t t, char out[32])
{
	time_t local = t + 7 * 3600;
	struct tm tm;
	gmtime_r(&local, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
}

int iso_date_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= (m == 2 && !leap ? 28 : mdays[m - 1]);
}

double clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	int rc = 0;
	DIR *d = opendir(path);
	struct dirent *ent;
	while (d != NULL && (ent = readdir(d)) != NULL) {
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		char *p = xasprintf("%s/%s", path, ent->d_name);
		if (remove_tree(p) < 0)
			rc = -1;
		free(p);
	}
	if (d != NULL)
		closedir(d);
	return rmdir(path) < 0 ? -1 : rc;
}
