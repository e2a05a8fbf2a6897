/* status: the unix socket in the spool that `sohoa status` reads. */
#include "daemon_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int socket_path(const char *spool_dir, struct sockaddr_un *sa, struct err *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/sohoa.sock", spool_dir) >=
	    sizeof(sa->sun_path)) {
		err_set(e, "the spool path %s is too long for a unix socket", spool_dir);
		return -1;
	}
	return 0;
}

int status_listen(const char *spool_dir, struct err *e)
{
	struct sockaddr_un sa;
	if (socket_path(spool_dir, &sa, e) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatalx("socket: %s", strerror(errno));
	unlink(sa.sun_path); /* a previous daemon's; the spool lock says it is gone */
	mode_t old = umask(0077); /* the owner only: status shows file names */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 8) < 0) {
		err_set(e, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One client: the whole status, then close. Never blocks the loop for long. */
void status_answer(int listen_fd, json_t *status)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char *text = json_dumps(status, JSON_COMPACT);
	if (text == NULL)
		fatalx("out of memory");
	struct err e = { 0 };
	if (fd_write_all(fd, text, strlen(text), "the status client", &e) < 0)
		log_debug("status: %s", e.msg);
	free(text);
	close(fd);
}

static int collect(void *arg, const void *p, size_t n)
{
	buf_append(arg, p, n);
	return 0;
}

int status_query(const char *spool_dir, json_t **out, struct err *e)
{
	struct sockaddr_un sa;
	struct buf b = { 0 };
	int rc = -1;
	*out = NULL;
	if (socket_path(spool_dir, &sa, e) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatalx("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set(e, "sohoa is not running (no answer on %s: %s)", sa.sun_path,
		    strerror(errno));
		goto out;
	}
	if (fd_read_chunks(fd, collect, &b, e) < 0)
		goto out;
	json_error_t je;
	*out = json_loadb(b.data ? b.data : "", b.len, 0, &je);
	if (*out == NULL) {
		err_set(e, "the daemon's answer is not JSON: %s", je.text);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	free(b.data);
	return rc;
}
