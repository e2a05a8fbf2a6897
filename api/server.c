/*
 * server: libmicrohttpd in thread-pool mode. Each request gets a `struct
 * request`; nothing of a request outlives its connection's completion.
 */
#include "api_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <utf8proc.h>

#include "signer/signer.h"

#define PER_IP_CONNECTIONS 32
#define CONNECTION_MEMORY (32 * 1024)

const double api_latency_buckets_s[HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5,
};

const char *api_scope_name(enum api_scope s)
{
	return s == SCOPE_ADMIN ? "admin" : s == SCOPE_REVIEW ? "review" : "read";
}

int api_scope_parse(const char *name, enum api_scope *out)
{
	static const char *const names[] = { "read", "review", "admin" };
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum api_scope)i;
			return 0;
		}
	}
	return -1;
}

/* ---- the thread's archive ------------------------------------------------------ */

static void archive_destroy(void *p)
{
	archive_close(p);
}

struct archive *api_archive(struct api *api, struct err *e)
{
	struct archive *a = pthread_getspecific(api->archive_key);
	if (a != NULL)
		return a;
	if (archive_open(api->cfg->archive_dir, 0, &a, e) < 0)
		return NULL;
	pthread_setspecific(api->archive_key, a);
	return a;
}

/* ---- responses ------------------------------------------------------------------- */

static enum MHD_Result queue(struct request *r, unsigned status, struct MHD_Response *resp,
    const char *type)
{
	if (type != NULL)
		MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"sohoa\"");
	if (status == 429)
		MHD_add_response_header(resp, "Retry-After", "60");
	r->status = status;
	enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

enum MHD_Result reply_text(struct request *r, unsigned status, const char *type, char *text,
    size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		fatalx("out of memory");
	return queue(r, status, resp, type);
}

enum MHD_Result reply_static(struct request *r, const char *type, const void *data,
    size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		fatalx("out of memory");
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' blob: data:; frame-src 'self' blob:; "
	    "object-src 'self' blob:; frame-ancestors 'none'");
	return queue(r, 200, resp, type);
}

enum MHD_Result reply_json(struct request *r, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(body);
	if (text == NULL)
		fatalx("out of memory");
	return reply_text(r, status, "application/json", text, strlen(text));
}

/*
 * A message quoting the request (its method, a parameter's name) may hold
 * bytes that are not UTF-8, or be cut inside a character; JSON must be UTF-8,
 * or jansson makes nothing. Each byte that does not fit becomes '?'.
 */
static void utf8_repair(char *s)
{
	utf8proc_int32_t cp;
	for (size_t i = 0, n = strlen(s); i < n;) {
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(n - i), &cp);
		if (k > 0)
			i += (size_t)k;
		else
			s[i++] = '?';
	}
}

enum MHD_Result reply_error(struct request *r, unsigned status, const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_repair(msg);
	return reply_json(r, status, json_pack("{s:s, s:i}", "error", msg, "status", (int)status));
}

/* ---- one request ----------------------------------------------------------------- */

static void client_ip(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	snprintf(out, len, "?");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    (socklen_t)len);
}

/* Control characters (an unescaped %00 among them) in any query argument. */
static enum MHD_Result arg_is_clean(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	int *bad = cls;
	for (const char *s = key; s != NULL && *s; s++)
		*bad |= (unsigned char)*s < 0x20;
	for (const char *s = value; s != NULL && *s; s++)
		*bad |= (unsigned char)*s < 0x20;
	return *bad ? MHD_NO : MHD_YES;
}

static enum MHD_Result handle(struct request *r)
{
	struct api *api = r->api;
	int bad = 0, status = 0;
	struct err e = { 0 };
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_is_clean, &bad);
	for (const char *s = r->path; *s; s++)
		bad |= (unsigned char)*s < 0x20;
	guard_answering(api->guard, r->conn);
	if (bad || r->malformed)
		return reply_error(r, 400, bad ? "control characters in the request" :
		    "an encoded '/', '\\' or NUL in the path, or not an HTTP/1.x request line");
	if (r->body_too_big)
		return reply_error(r, 413, "the request body is larger than %d bytes", BODY_MAX);
	int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	if (route_is_public(r->path))
		return get ? route_request(r) :
		    reply_error(r, 405, "method %s is not allowed here", r->method);
	if (strncmp(r->path, "/v1/", 4) != 0)
		return reply_error(r, 404, "no such route");
	if (auth_check(api->auth, r->conn, r->ip, &r->who, &status, &e) < 0) {
		atomic_fetch_add(status == 429 ? &api->n.rate_limited : &api->n.auth_failures, 1);
		return reply_error(r, (unsigned)status, "%s", e.msg);
	}
	return route_request(r);
}

/* An encoded '/', '\\' or NUL in the path would pass for a separator or an
 * end once decoded; the raw URI is the only place to see them. */
static int raw_path_suspect(const char *uri)
{
	for (const char *p = uri; *p != '\0' && *p != '?'; p++)
		if (*p == '%' && p[1] != '\0' && (strncasecmp(p + 1, "2f", 2) == 0 ||
		    strncasecmp(p + 1, "5c", 2) == 0 || strncmp(p + 1, "00", 2) == 0))
			return 1;
	return 0;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request begins, before its headers. */
static void *request_new(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *r = xcalloc(1, sizeof(*r));
	r->api = cls;
	r->conn = c;
	r->started_ms = clock_ms();
	r->malformed = raw_path_suspect(uri);
	r->raw_end = uri + strlen(uri);
	client_ip(c, r->ip, sizeof(r->ip));
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **state)
{
	struct request *r = *state;
	if (r == NULL) /* never: the URI callback made it */
		*state = r = request_new(cls, url, c);
	if (!r->started) {
		r->started = 1;
		r->method = method;
		r->path = xstrdup(url);
		/* libmicrohttpd finds the version from the end of the request line and
		 * hands out the URI as a C string: a raw NUL in the URI shows as a gap
		 * between the string's end and the version. */
		r->malformed |= version == NULL || strncmp(version, "HTTP/1.", 7) != 0 ||
		    version != r->raw_end + 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->body.len + *upload_size > BODY_MAX)
			r->body_too_big = 1;
		else
			buf_append(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return handle(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode why)
{
	(void)why;
	struct api *api = cls;
	struct request *r = *state;
	guard_idle(api->guard, c);
	if (r == NULL)
		return;
	double s = (clock_ms() - r->started_ms) / 1000.0;
	unsigned cls_idx = r->status / 100 < 6 ? r->status / 100 : 5;
	atomic_fetch_add(&api->n.requests, 1);
	atomic_fetch_add(&api->n.by_class[cls_idx], 1);
	int b = 0;
	while (b < HIST_BUCKETS && s > api_latency_buckets_s[b])
		b++;
	if (b < HIST_BUCKETS)
		atomic_fetch_add(&api->n.latency_le[b], 1);
	atomic_fetch_add(&api->n.latency_count, 1);
	atomic_fetch_add(&api->n.latency_sum_us, (unsigned long long)(s * 1e6));
	free(r->path);
	free(r->body.data);
	free(r);
	*state = NULL;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX decoding; '+' is a space (HTML forms). A %00 becomes 0x01, which the
 * checks refuse, instead of cutting the string short. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	char *w = s;
	for (const char *p = s; *p; p++) {
		int hi = *p == '%' ? hex_value(p[1]) : -1;
		int lo = hi >= 0 ? hex_value(p[2]) : -1;
		if (lo >= 0) {
			*w++ = hi == 0 && lo == 0 ? '\x01' : (char)(hi * 16 + lo);
			p += 2;
		} else {
			*w++ = *p == '+' ? ' ' : *p;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* ---- start and stop ----------------------------------------------------------------- */

struct listen_addr {
	struct sockaddr_storage sa;
	int ipv6;
};

static int listen_address(const char *listen, struct listen_addr *la, struct err *e)
{
	char host[64];
	unsigned port = 0;
	memset(la, 0, sizeof(*la));
	if (config_listen_parse(listen, host, sizeof(host), &port) < 0) {
		err_set(e, "[api] listen '%s' is not ADDRESS:PORT", listen);
		return -1;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)&la->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&la->sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
	} else {
		inet_pton(AF_INET6, host, &v6->sin6_addr);
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		la->ipv6 = 1;
	}
	return 0;
}

struct tls_files {
	struct buf cert, key, trust;
};

static int load_tls(const struct sohoa_config *cfg, struct tls_files *t, struct err *e)
{
	if (cfg->api_plain_http)
		return 0;
	if (file_read_all(cfg->api_certificate, 1 << 20, &t->cert, e) < 0 ||
	    file_read_all(cfg->api_key, 1 << 20, &t->key, e) < 0 ||
	    (cfg->api_client_ca != NULL &&
	    file_read_all(cfg->api_client_ca, 1 << 20, &t->trust, e) < 0))
		return -1;
	buf_append(&t->cert, "", 1);
	buf_append(&t->key, "", 1);
	if (t->trust.data != NULL)
		buf_append(&t->trust, "", 1);
	return 0;
}

static void free_tls(struct tls_files *t)
{
	free(t->cert.data);
	if (t->key.data != NULL)
		OPENSSL_cleanse(t->key.data, t->key.len);
	free(t->key.data);
	free(t->trust.data);
}

static struct MHD_Daemon *start_daemon(struct api *api, const struct listen_addr *la,
    const struct tls_files *t)
{
	const struct sohoa_config *cfg = api->cfg;
	unsigned threads = cfg->api_threads ? cfg->api_threads :
	    (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	/* No address: no listening socket, and no thread (api_start_unlistened). */
	unsigned flags = la == NULL ? MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL :
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (la != NULL && la->ipv6)
		flags |= MHD_USE_IPv6;
	if (!cfg->api_plain_http)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert.data },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, t->key.data },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ t->trust.data ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, t->trust.data },
		{ MHD_OPTION_END, 0, NULL },
	};
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, api,
	    MHD_OPTION_SOCK_ADDR, la ? (const struct sockaddr *)&la->sa : NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, la == NULL ? 0u : threads ? threads : 1u,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->api_max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->api_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
	    MHD_OPTION_NOTIFY_CONNECTION, guard_notify, api->guard,
	    MHD_OPTION_URI_LOG_CALLBACK, request_new, api,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
	    MHD_OPTION_ARRAY, cfg->api_plain_http ? &tls[4] : tls,
	    MHD_OPTION_END);
}

static void wait_for_stop(void)
{
	sigset_t set;
	int sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	do {
		if (sigwait(&set, &sig) != 0)
			break;
		if (sig == SIGHUP)
			log_info("SIGHUP: the tokens file is re-read when it changes; nothing else "
			    "to reload");
	} while (sig == SIGHUP);
}

int api_init(struct api *api, const struct sohoa_config *cfg, struct err *e)
{
	struct archive *a = NULL;
	memset(api, 0, sizeof(*api));
	api->cfg = cfg;
	api->trust = cfg->signer_trust ? cfg->signer_trust : cfg->signer_ca;
	pthread_mutex_init(&api->sign_lock, NULL);
	if (pthread_key_create(&api->archive_key, archive_destroy) != 0)
		fatalx("pthread_key_create failed");
	/* The daemon may not have made the archive yet; serving an empty one is fine. */
	if (archive_open(cfg->archive_dir, 1, &a, e) < 0)
		return -1;
	archive_close(a);
	if (signer_xml_init(e) < 0 || auth_new(cfg, &api->auth, e) < 0 ||
	    journal_start(cfg, &api->journal, e) < 0 ||
	    guard_start(cfg->api_timeout_s, &api->guard, e) < 0)
		return -1;
	return 0;
}

void api_fini(struct api *api)
{
	guard_stop(api->guard);
	journal_stop(api->journal);
	auth_free(api->auth);
	struct archive *a = pthread_getspecific(api->archive_key);
	archive_close(a);
	pthread_key_delete(api->archive_key);
	pthread_mutex_destroy(&api->sign_lock);
	signer_xml_cleanup();
}

struct MHD_Daemon *api_start_unlistened(struct api *api)
{
	static const struct tls_files none;
	return api->cfg->api_plain_http ? start_daemon(api, NULL, &none) : NULL;
}

int api_serve(const struct sohoa_config *cfg, struct err *e)
{
	struct api api;
	struct tls_files tls = { 0 };
	struct listen_addr la;
	struct MHD_Daemon *d = NULL;
	int rc = -1;
	signal(SIGPIPE, SIG_IGN);
	if (cfg->api_listen == NULL) {
		err_set(e, "no [api] listen in the configuration: nothing to serve");
		return -1;
	}
	if (listen_address(cfg->api_listen, &la, e) < 0 || load_tls(cfg, &tls, e) < 0)
		goto out_tls;
	if (api_init(&api, cfg, e) < 0)
		goto out;
	d = start_daemon(&api, &la, &tls);
	if (d == NULL) {
		err_set(e, "cannot serve on %s: %s (is the port taken, or the certificate or "
		    "key unreadable?)", cfg->api_listen, strerror(errno));
		goto out;
	}
	log_info("serving %s://%s%s", cfg->api_plain_http ? "http" : "https", cfg->api_listen,
	    cfg->api_client_ca ? " (client certificates checked)" : "");
	wait_for_stop();
	log_info("API: stopping");
	MHD_stop_daemon(d);
	rc = 0;
out:
	api_fini(&api);
out_tls:
	free_tls(&tls);
	return rc;
}
