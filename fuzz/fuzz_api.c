/*
 * fuzz_api: arbitrary bytes as one HTTP request to the real API server, in
 * process: api_init and the libmicrohttpd server of api/server.c with no
 * listening socket, the input written into one end of a loopback TCP
 * connection whose other end is handed to MHD_add_connection, the answer read back to the end. That runs the URI
 * checks and unescaping, the Authorization header and token lookup, the
 * routes with their id checks and query parsing, on an archive holding one
 * result (file_result: files with ETag and ranges, verification, review). The
 * input's first line also goes straight to range_parse, key_valid and
 * route_is_public. Tokens: "sohoa_fuzz_admin" (admin), "sohoa_fuzz_read" (read).
 */
#include "fuzz/fuzz_kit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api_int.h"
#include "config/config.h"

#define ANSWER_TIMEOUT_MS 20000
#define IDLE_ROUNDS 8

static struct sohoa_config cfg;
static struct api api;
static struct MHD_Daemon *daemon_;
static int listener = -1;  /* loopback TCP: libmicrohttpd wants TCP options on its sockets */

static void stop(void)
{
	if (daemon_ != NULL)
		MHD_stop_daemon(daemon_);
	api_fini(&api);
	config_free(&cfg);
	close(listener);
}

/* A connected pair of TCP sockets over the loopback: [0] for the server. */
static void tcp_pair(int sv[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	if (getsockname(listener, (struct sockaddr *)&a, &len) < 0 ||
	    (sv[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(sv[1], (struct sockaddr *)&a, len) < 0 ||
	    (sv[0] = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) < 0)
		fatalx("cannot connect over the loopback");
}

static char *tokens_file(const char *dir)
{
	char a[65], r[65];
	struct err e = { 0 };
	auth_token_hash("sohoa_fuzz_admin", a);
	auth_token_hash("sohoa_fuzz_read", r);
	char *path = xasprintf("%s/api-tokens", dir);
	char *text = xasprintf("# fuzz\nfuzz-admin admin %s\nfuzz-read read %s\n", a, r);
	if (file_write_atomic(path, text, strlen(text), 0600, &e) < 0)
		fatalx("%s", e.msg);
	free(text);
	return path;
}

/*
 * One result in the archive, so that the file, verify and review routes have
 * something to serve: fuzz/api-result.json (a receipt's result), filed with
 * seeds of the other targets as its files. Its id is the original's sha256:
 * 22241910b1dda243aeb532ec30017a43f42803943638215f167b32c908d6f069; its
 * result code 000.25.01.H13-250121-0361-KQ1.
 */
static void file_result(void)
{
	struct err e = { 0 };
	struct archive *a = NULL;
	json_error_t je;
	json_t *filed = NULL;
	char repo[4096], sha[65];
	snprintf(repo, sizeof(repo), "%s/..", fuzz_data_dir());
	char *json = xasprintf("%s/fuzz/api-result.json", repo);
	struct archive_files f = { .path = {
		[BLOB_ORIGINAL] = xasprintf("%s/fuzz/corpus/decode/c-1.png", repo),
		[BLOB_PDF] = xasprintf("%s/fuzz/corpus/decode/text.pdf", repo),
		[BLOB_XML] = xasprintf("%s/fuzz/corpus/xml/eresult-signed.xml", repo),
	} };
	json_t *res = json_load_file(json, 0, &je);
	if (res == NULL || sha256_file_hex(f.path[BLOB_ORIGINAL], sha, &e) < 0)
		fatalx("%s: %s %s", json, je.text, e.msg);
	json_object_set_new(res, "id", json_string(sha));
	if (archive_open(cfg.archive_dir, 1, &a, &e) < 0 ||
	    archive_commit(a, res, &f, "fuzz", &filed, &e) < 0)
		fatalx("cannot file the fuzz result: %s", e.msg);
	archive_close(a);
	json_decref(filed);
	json_decref(res);
	cfg.signer_trust = xasprintf("%s/fuzz/xml-trust.pem", repo); /* the XML's CA */
	for (int k = 0; k < BLOB_KINDS; k++)
		free((char *)f.path[k]);
	free(json);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct err e = { 0 };
	const char *dir = fuzz_tempdir();
	log_set_level(LOG_LEVEL_ERROR);
	config_defaults(&cfg);
	free(cfg.archive_dir);
	free(cfg.spool_dir);
	cfg.archive_dir = xasprintf("%s/archive", dir);
	cfg.spool_dir = xasprintf("%s/spool", dir);
	if (dir_make(cfg.spool_dir, 0700, &e) < 0)
		fatalx("%s", e.msg);
	cfg.api_listen = xstrdup("127.0.0.1:8443");
	cfg.api_plain_http = 1;
	cfg.api_tokens = tokens_file(dir);
	cfg.api_threads = 1;
	cfg.api_timeout_s = 10;
	file_result();
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if ((listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(listener, (struct sockaddr *)&lo, sizeof(lo)) < 0 || listen(listener, 4) < 0)
		fatalx("cannot listen on the loopback");
	if (api_init(&api, &cfg, &e) < 0 || (daemon_ = api_start_unlistened(&api)) == NULL)
		fatalx("cannot start the API: %s", e.msg);
	atexit(stop);
	return 0;
}

/* range_parse's promise: 0 gives from <= to < size. */
static void pure_checks(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = { 0, 1, 2, 100, 1 << 20, UINT64_MAX };
	char *line = fuzz_strndup(data, size);
	line[strcspn(line, "\r\n")] = '\0';
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t from = 0, to = 0;
		int rc = range_parse(line, sizes[i], &from, &to);
		if (rc < -1 || rc > 1 || (rc == 0 && (from > to || to >= sizes[i])))
			abort();
	}
	(void)key_valid(line);
	(void)route_is_public(line);
	free(line);
}

/* Reads what the server has sent so far: the bytes read; *eof once it has closed. */
static size_t drain(int fd, size_t *total, int *eof)
{
	char buf[16384];
	size_t got = 0;
	for (;;) {
		ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			*eof = 1; /* reset by the server */
		if (k <= 0) {
			*eof |= k == 0;
			return got;
		}
		/* Whatever it answers is HTTP. */
		if (*total == 0 && (k < 7 || memcmp(buf, "HTTP/1.", 7) != 0))
			abort();
		if (getenv("FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "%.*s\n", (int)k, buf);
		got += (size_t)k;
		*total += (size_t)k;
	}
}

static void too_slow(double started)
{
	if (clock_ms() - started < ANSWER_TIMEOUT_MS)
		return;
	fprintf(stderr, "fuzz_api: the server did not finish in %d ms\n", ANSWER_TIMEOUT_MS);
	abort();
}

/*
 * The server runs in this thread, step by step: the request goes in as fast
 * as it takes it, until it has nothing more to say (IDLE_ROUNDS runs without
 * an answer byte); then the client closes its side and the server must close
 * the connection.
 */
static void exchange(int client, const uint8_t *data, size_t size)
{
	size_t off = 0, total = 0;
	int eof = 0, idle = 0;
	double started = clock_ms();
	while (!eof && (off < size || idle < IDLE_ROUNDS)) {
		if (off < size) {
			ssize_t k = send(client, data + off, size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k > 0)
				off += (size_t)k;
			else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				off = size; /* the server closed: it has answered or refused */
		}
		MHD_run(daemon_);
		idle = drain(client, &total, &eof) > 0 ? 0 : idle + 1;
		too_slow(started);
	}
	shutdown(client, SHUT_WR);
	while (!eof) {
		MHD_run(daemon_);
		drain(client, &total, &eof);
		too_slow(started);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t count;
	int sv[2];
	pure_checks(data, size);
	tcp_pair(sv);
	/* A new address each time, so that failed logins do not add up to 429s. */
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(0x0a000000u | (++count & 0xffffffu)) };
	if (MHD_add_connection(daemon_, sv[0], (const struct sockaddr *)&sin, sizeof(sin)) !=
	    MHD_YES)
		fatalx("MHD_add_connection failed");
	exchange(sv[1], data, size);
	close(sv[1]);
	return 0;
}
