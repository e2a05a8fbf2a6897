/*
 * auth: who is calling. Bearer tokens from the tokens file (kept as SHA-256
 * only), client certificates checked against [api] client_ca, and a limit on
 * failed attempts per address.
 */
#include "api_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define FAIL_SLOTS 1024
#define FAIL_MAX 10          /* failed attempts an address may make … */
#define FAIL_WINDOW_S 60     /* … within this many seconds */
#define TOKENS_MAX_BYTES (1 << 20)

struct token {
	char name[64];
	enum api_scope scope;
	unsigned char digest[SHA256_DIGEST_LENGTH];
};

struct fail_slot {
	char ip[64];
	time_t window_start;
	unsigned failures;
};

struct auth {
	const struct sohoa_config *cfg;
	pthread_rwlock_t lock;       /* guards the tokens and what was loaded */
	struct token *tokens;
	size_t ntokens;
	struct stat loaded;          /* the file as last read */
	atomic_long checked;         /* when the file was last stat'ed (time_t) */
	pthread_mutex_t fail_lock;
	struct fail_slot fails[FAIL_SLOTS];
};

/* ---- the tokens file ------------------------------------------------------------ */

static int name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof(((struct token *)0)->name))
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL)
			return 0;
	return 1;
}

static int hex_digest(const char *hex, unsigned char out[SHA256_DIGEST_LENGTH])
{
	if (strlen(hex) != 2 * SHA256_DIGEST_LENGTH)
		return -1;
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* "NAME SCOPE SHA256HEX"; blank lines and # comments skipped. */
static int parse_tokens(const char *path, char *text, struct token **out, size_t *n,
    struct err *e)
{
	int line = 0;
	*out = NULL;
	*n = 0;
	for (char *l; (l = strsep(&text, "\n")) != NULL;) {
		char name[128], scope[16], hex[80], extra[2];
		line++;
		l += strspn(l, " \t\r");
		if (*l == '\0' || *l == '#')
			continue;
		struct token t = { 0 };
		if (sscanf(l, "%127s %15s %79s %1s", name, scope, hex, extra) != 3 ||
		    !name_valid(name) || api_scope_parse(scope, &t.scope) < 0 ||
		    hex_digest(hex, t.digest) < 0) {
			err_set(e, "%s:%d: expected NAME SCOPE SHA256 (scope read, review or admin)",
			    path, line);
			free(*out);
			*out = NULL;
			return -1;
		}
		memcpy(t.name, name, strlen(name) + 1); /* name_valid: it fits */
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = t;
	}
	return 0;
}

static int read_tokens(const char *path, struct token **out, size_t *n, struct stat *st,
    struct err *e)
{
	struct buf b = { 0 };
	int rc = -1;
	if (stat(path, st) < 0) {
		memset(st, 0, sizeof(*st));
		*out = NULL;
		*n = 0;
		return 0; /* no file yet: no tokens */
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		err_set(e, "tokens file %s is readable or writable by others (mode %04o); chmod 600 it",
		    path, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	if (file_read_all(path, TOKENS_MAX_BYTES, &b, e) < 0)
		return -1;
	buf_append(&b, "", 1);
	rc = parse_tokens(path, b.data, out, n, e);
	free(b.data);
	return rc;
}

/* Re-reads the file when it changed (checked at most once a second). */
static void refresh(struct auth *a)
{
	struct stat st;
	time_t now = time(NULL);
	struct err e = { 0 };
	if (a->cfg->api_tokens == NULL || now == (time_t)atomic_load(&a->checked))
		return;
	atomic_store(&a->checked, (long)now);
	if (stat(a->cfg->api_tokens, &st) == 0 && st.st_ino == a->loaded.st_ino &&
	    st.st_size == a->loaded.st_size && st.st_mtim.tv_sec == a->loaded.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == a->loaded.st_mtim.tv_nsec)
		return;
	struct token *t = NULL;
	size_t n = 0;
	if (read_tokens(a->cfg->api_tokens, &t, &n, &st, &e) < 0) {
		log_warnx("tokens file not reloaded, the tokens loaded before stay: %s", e.msg);
		a->loaded = st;
		return;
	}
	free(a->tokens);
	a->tokens = t;
	a->ntokens = n;
	a->loaded = st;
	log_info("tokens file %s: %zu token(s)", a->cfg->api_tokens, n);
}

int auth_new(const struct sohoa_config *cfg, struct auth **out, struct err *e)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	a->cfg = cfg;
	pthread_rwlock_init(&a->lock, NULL);
	pthread_mutex_init(&a->fail_lock, NULL);
	if (cfg->api_tokens != NULL &&
	    read_tokens(cfg->api_tokens, &a->tokens, &a->ntokens, &a->loaded, e) < 0) {
		auth_free(a);
		return -1;
	}
	atomic_store(&a->checked, (long)time(NULL));
	*out = a;
	return 0;
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	free(a->tokens);
	pthread_rwlock_destroy(&a->lock);
	pthread_mutex_destroy(&a->fail_lock);
	free(a);
}

void auth_token_hash(const char *token, char out[65])
{
	sha256_hex(token, strlen(token), out);
}

/* ---- failed attempts --------------------------------------------------------------- */

static struct fail_slot *slot_of(struct auth *a, const char *ip)
{
	unsigned long h = 5381;
	for (const char *p = ip; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return &a->fails[h % FAIL_SLOTS];
}

static int blocked(struct auth *a, const char *ip)
{
	pthread_mutex_lock(&a->fail_lock);
	struct fail_slot *s = slot_of(a, ip);
	int b = strcmp(s->ip, ip) == 0 && time(NULL) - s->window_start < FAIL_WINDOW_S &&
	    s->failures >= FAIL_MAX;
	pthread_mutex_unlock(&a->fail_lock);
	return b;
}

static void failed(struct auth *a, const char *ip)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&a->fail_lock);
	struct fail_slot *s = slot_of(a, ip);
	if (strcmp(s->ip, ip) != 0 || now - s->window_start >= FAIL_WINDOW_S) {
		snprintf(s->ip, sizeof(s->ip), "%s", ip);
		s->window_start = now;
		s->failures = 0;
	}
	s->failures++;
	pthread_mutex_unlock(&a->fail_lock);
}

/* ---- checking a request ------------------------------------------------------------- */

/* 1 found (who filled), 0 not found. Every entry is compared, in constant time. */
static int find_token(struct auth *a, const char *token, struct caller *who)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	int found = 0;
	SHA256((const unsigned char *)token, strlen(token), d);
	if (time(NULL) != (time_t)atomic_load(&a->checked)) {
		pthread_rwlock_wrlock(&a->lock);
		refresh(a);
		pthread_rwlock_unlock(&a->lock);
	}
	pthread_rwlock_rdlock(&a->lock);
	for (size_t i = 0; i < a->ntokens; i++) {
		int same = CRYPTO_memcmp(d, a->tokens[i].digest, sizeof(d)) == 0;
		if (same && !found) {
			snprintf(who->name, sizeof(who->name), "%s", a->tokens[i].name);
			who->scope = a->tokens[i].scope;
		}
		found |= same;
	}
	pthread_rwlock_unlock(&a->lock);
	return found;
}

/* 1 a trusted certificate (who filled), 0 none presented, -1 presented and refused. */
static int client_certificate(struct auth *a, struct MHD_Connection *c, struct caller *who,
    struct err *e)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned n = 0, status = 0;
	if (a->cfg->api_client_ca == NULL || ci == NULL || ci->tls_session == NULL)
		return 0;
	gnutls_session_t tls = (gnutls_session_t)ci->tls_session;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(tls, &n);
	if (chain == NULL || n == 0)
		return 0;
	/* A certificate made for servers only (extended key usage) is no client's. */
	gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT };
	if (gnutls_certificate_verify_peers(tls, &purpose, 1, &status) != GNUTLS_E_SUCCESS ||
	    status != 0) {
		err_set(e, "the client certificate is not issued by the CA this server trusts "
		    "for clients");
		return -1;
	}
	gnutls_x509_crt_t crt;
	char cn[96] = "";
	size_t len = sizeof(cn);
	if (gnutls_x509_crt_init(&crt) == GNUTLS_E_SUCCESS) {
		if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0)
			gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len);
		gnutls_x509_crt_deinit(crt);
	}
	snprintf(who->name, sizeof(who->name), "cert:%s", cn[0] ? cn : "?");
	who->scope = (enum api_scope)a->cfg->api_client_scope;
	return 1;
}

static const char *bearer(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	h += strspn(h, " ");
	return *h ? h : NULL;
}

int auth_check(struct auth *a, struct MHD_Connection *c, const char *ip, struct caller *who,
    int *status, struct err *e)
{
	*status = 401;
	if (blocked(a, ip)) {
		*status = 429;
		err_set(e, "too many failed attempts from %s; try again in a minute", ip);
		return -1;
	}
	int cert = client_certificate(a, c, who, e);
	if (cert == 1)
		return 0;
	const char *token = cert == 0 ? bearer(c) : NULL;
	if (cert == 0 && token == NULL) {
		/* Not a guess at a token: not counted against the address. */
		err_set(e, "no credentials: send Authorization: Bearer <token>%s",
		    a->cfg->api_client_ca ? " or a client certificate" : "");
		return -1;
	}
	if (cert == 0) {
		if (find_token(a, token, who))
			return 0;
		err_set(e, "the token is not valid");
	}
	failed(a, ip);
	return -1;
}

/* ---- sohoa token add ---------------------------------------------------------------- */

static char *new_token(void)
{
	unsigned char raw[32];
	unsigned char b64[48];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		fatalx("no randomness for a token");
	int n = EVP_EncodeBlock(b64, raw, sizeof(raw));
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	for (int i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	OPENSSL_cleanse(raw, sizeof(raw));
	return xasprintf("sohoa_%s", (char *)b64);
}

int api_token_add(const char *path, const char *name, enum api_scope scope, char **token,
    struct err *e)
{
	struct token *t = NULL;
	size_t n = 0;
	struct stat st;
	struct buf b = { 0 };
	char hex[65];
	int rc = -1;
	*token = NULL;
	if (!name_valid(name)) {
		err_set(e, "a token name is letters, digits, '.', '_' or '-' (at most 63): '%s'", name);
		return -1;
	}
	if (read_tokens(path, &t, &n, &st, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			err_set(e, "a token named '%s' is already in %s", name, path);
			goto out;
		}
	}
	if (st.st_size > 0 && file_read_all(path, TOKENS_MAX_BYTES, &b, e) < 0)
		goto out;
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		buf_append(&b, "\n", 1);
	*token = new_token();
	auth_token_hash(*token, hex);
	buf_appendf(&b, "%s %s %s\n", name, api_scope_name(scope), hex);
	if (file_write_atomic(path, b.data, b.len, 0600, e) < 0) {
		free(*token);
		*token = NULL;
		goto out;
	}
	rc = 0;
out:
	free(t);
	free(b.data);
	return rc;
}
