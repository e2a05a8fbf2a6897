/*
 * files: an archived file streamed from its blob (libmicrohttpd reads the fd;
 * nothing is loaded into memory). Blobs never change, so their sha256 is a
 * strong ETag.
 */
#include "api_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse_u64(const char *s, const char **end, uint64_t *v)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *e = NULL;
	unsigned long long n = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	*v = n;
	*end = e;
	return 0;
}

int range_parse(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	uint64_t a = 0, b = 0;
	const char *p;
	if (strncmp(h, "bytes=", 6) != 0)
		return -1;
	h += 6;
	if (*h == '-') {                     /* the last n bytes */
		if (parse_u64(h + 1, &p, &b) < 0 || *p != '\0')
			return -1;
		if (b == 0 || size == 0)
			return 1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 0;
	}
	if (parse_u64(h, &p, &a) < 0 || *p != '-')
		return -1;
	if (p[1] == '\0') {
		b = UINT64_MAX;
	} else if (parse_u64(p + 1, &p, &b) < 0 || *p != '\0' || b < a) {
		return -1;                       /* several ranges, or nonsense: ignored */
	}
	if (a >= size)
		return 1;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 0;
}

/* The stored ETag matches one in If-None-Match ("*" too). */
static int not_modified(struct MHD_Connection *c, const char *etag)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	return h != NULL && (strcmp(h, "*") == 0 || strstr(h, etag) != NULL);
}

static void file_headers(struct MHD_Response *resp, const char *etag, const char *type,
    const char *filename, int inline_view)
{
	char disp[256];
	snprintf(disp, sizeof(disp), "%s; filename=\"%s\"", inline_view ? "inline" : "attachment",
	    filename);
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Disposition", disp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "private, max-age=0, must-revalidate");
}

static enum MHD_Result send_status(struct request *r, unsigned status,
    struct MHD_Response *resp)
{
	r->status = status;
	enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Over TLS, bytes pass through userspace anyway: big reads make big TLS records
 * (libmicrohttpd's own fd reader reads small blocks). Plain HTTP keeps sendfile. */
#define TLS_READ_BLOCK (256 * 1024)

struct file_body {
	int fd;
	uint64_t from;
};

static ssize_t read_body(void *cls, uint64_t pos, char *out, size_t max)
{
	struct file_body *fb = cls;
	ssize_t n = pread(fb->fd, out, max, (off_t)(fb->from + pos));
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void free_body(void *cls)
{
	struct file_body *fb = cls;
	close(fb->fd);
	free(fb);
}

/* Takes fd. */
static struct MHD_Response *body_response(struct request *r, int fd, uint64_t from,
    uint64_t len)
{
	if (r->api->cfg->api_plain_http)
		return MHD_create_response_from_fd_at_offset64(len, fd, (int64_t)from);
	struct file_body *fb = xcalloc(1, sizeof(*fb));
	fb->fd = fd;
	fb->from = from;
	return MHD_create_response_from_callback(len, TLS_READ_BLOCK, read_body, fb, free_body);
}

enum MHD_Result reply_file(struct request *r, const char *path, const char *sha,
    const char *type, const char *filename, int inline_view)
{
	char etag[80];
	struct stat st;
	uint64_t from = 0, to = 0;
	snprintf(etag, sizeof(etag), "\"%s\"", sha);
	if (not_modified(r->conn, etag)) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "ETag", etag);
		MHD_add_response_header(resp, "Cache-Control", "private, max-age=0, must-revalidate");
		return send_status(r, 304, resp);
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		log_warn("archived file %s", path);
		return reply_error(r, 410, "the archived file is missing; run sohoa fsck");
	}
	uint64_t size = (uint64_t)st.st_size;
	const char *range = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Range");
	int rp = range != NULL ? range_parse(range, size, &from, &to) : -1;
	if (rp == 1) {
		close(fd);
		char cr[64];
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
		char *body = xasprintf("{\"error\":\"the range is outside the file (%" PRIu64
		    " bytes)\",\"status\":416}", size);
		struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), body,
		    MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, "Content-Range", cr);
		MHD_add_response_header(resp, "Content-Type", "application/json");
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		return send_status(r, 416, resp);
	}
	if (rp < 0) {
		from = 0;
		to = size ? size - 1 : 0;
	}
	uint64_t len = size == 0 ? 0 : to - from + 1;
	struct MHD_Response *resp = body_response(r, fd, from, len);
	if (resp == NULL)
		fatalx("out of memory");
	file_headers(resp, etag, type, filename, inline_view);
	if (rp == 0) {
		char cr[96];
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to, size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	atomic_fetch_add(&r->api->n.bytes_sent, (unsigned long)len);
	return send_status(r, rp == 0 ? 206 : 200, resp);
}
