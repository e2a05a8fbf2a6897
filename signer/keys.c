/* keys: the key provider. A PKCS#12 file, or a key in a PKCS#11 token. */
#define OPENSSL_SUPPRESS_DEPRECATED /* engine_pkcs11 is an ENGINE on OpenSSL 3.0 */
#include "signer_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#define PIN_MAX 256

/* The token's failures are the ones that may pass by themselves. */
static void ossl_reason(struct err *e, int temporary, const char *what)
{
	ossl_err(e, what);
	e->temporary = temporary;
}

/* Reads the first line of a 0600 file into pin (wiped by the caller). */
static int read_pin(const char *path, char pin[PIN_MAX], struct err *e)
{
	struct stat st;
	FILE *f = NULL;
	int rc = -1;
	if (path == NULL) {
		err_set(e, "[signer] pin_file is not set");
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL || fstat(fileno(f), &st) < 0) {
		err_set(e, "cannot read the PIN file %s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_mode & 077) {
		err_set(e, "the PIN file %s is readable by others (mode %03o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (fgets(pin, PIN_MAX, f) == NULL) {
		err_set(e, "the PIN file %s is empty", path);
		goto out;
	}
	pin[strcspn(pin, "\r\n")] = '\0';
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	return rc;
}

static int check_secret_file(const char *path, struct err *e)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		err_set(e, "cannot read the key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		err_set(e, "the key file %s is readable by others (mode %03o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

static int load_pkcs12(struct signer *s, const char *path, const char *pin, struct err *e)
{
	int rc = -1;
	PKCS12 *p12 = NULL;
	BIO *in = NULL;
	if (check_secret_file(path, e) < 0)
		return -1;
	if ((in = BIO_new_file(path, "rb")) == NULL || (p12 = d2i_PKCS12_bio(in, NULL)) == NULL) {
		ossl_reason(e, 0, "cannot read the PKCS#12 file");
		goto out;
	}
	STACK_OF(X509) *ca = NULL;
	if (!PKCS12_parse(p12, pin, &s->key, &s->cert, &ca)) {
		ossl_reason(e, 0, "cannot open the PKCS#12 file (wrong PIN?)");
		goto out;
	}
	for (int i = 0; ca != NULL && i < sk_X509_num(ca); i++)
		sk_X509_push(s->chain, sk_X509_value(ca, i));
	sk_X509_free(ca); /* the certificates now belong to s->chain */
	rc = 0;
out:
	PKCS12_free(p12);
	BIO_free(in);
	return rc;
}

static X509 *read_cert_pem(const char *path, struct err *e)
{
	X509 *x = NULL;
	BIO *in = BIO_new_file(path, "r");
	if (in == NULL || (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) == NULL)
		ossl_reason(e, 0, "cannot read the certificate");
	BIO_free(in);
	if (x == NULL)
		err_prefix(e, "%s", path);
	return x;
}

/* The same object as a certificate: "…;type=private" -> "…;type=cert". */
static char *cert_uri(const char *key_uri)
{
	char *uri = xstrdup(key_uri);
	char *type = strstr(uri, "type=private");
	if (type != NULL) {
		*type = '\0';
		char *whole = xasprintf("%stype=cert%s", uri, type + strlen("type=private"));
		free(uri);
		return whole;
	}
	return uri;
}

static int token_cert(struct signer *s, const char *uri, struct err *e)
{
	struct { const char *id; X509 *cert; } params = { 0 };
	char *id = cert_uri(uri);
	params.id = id;
	int ok = ENGINE_ctrl_cmd(s->engine, "LOAD_CERT_CTRL", 0, &params, NULL, 1);
	free(id);
	if (!ok || params.cert == NULL) {
		ossl_reason(e, 1, "the token holds no certificate for the key; set [signer] certificate");
		return -1;
	}
	s->cert = params.cert;
	return 0;
}

static int engine_start(struct signer *s, const char *module, struct err *e)
{
	ENGINE_load_builtin_engines();
	ENGINE *eng = ENGINE_by_id("pkcs11");
	if (eng == NULL) {
		ossl_reason(e, 0, "OpenSSL's pkcs11 engine is not installed (libengine-pkcs11-openssl)");
		return -1;
	}
	if (!ENGINE_ctrl_cmd_string(eng, "MODULE_PATH", module, 0) || !ENGINE_init(eng)) {
		ossl_reason(e, 1, "cannot start the PKCS#11 module");
		err_prefix(e, "%s", module);
		ENGINE_free(eng);
		return -1;
	}
	ENGINE_free(eng); /* ENGINE_init holds its own (functional) reference */
	s->engine = eng;
	return 0;
}

/* A wrong PIN must not be retried: tokens lock themselves after a few. */
static int pin_refused(void)
{
	unsigned long code;
	char text[256];
	while ((code = ERR_get_error()) != 0) {
		ERR_error_string_n(code, text, sizeof(text));
		if (strstr(text, "PIN") != NULL)
			return 1;
	}
	return 0;
}

static int load_pkcs11(struct signer *s, const struct signer_config *c, const char *pin,
    struct err *e)
{
	if (c->pkcs11_module == NULL) {
		err_set(e, "[signer] pkcs11_module is not set");
		return -1;
	}
	if (engine_start(s, c->pkcs11_module, e) < 0)
		return -1;
	if (!ENGINE_ctrl_cmd_string(s->engine, "PIN", pin, 0)) {
		ossl_reason(e, 0, "the PKCS#11 engine refused the PIN");
		return -1;
	}
	s->key = ENGINE_load_private_key(s->engine, c->pkcs11_uri, NULL, NULL);
	if (s->key == NULL) {
		if (pin_refused()) {
			err_set(e, "the token refused the PIN in %s", c->pkcs11_uri);
			return -1;
		}
		err_temporary(e, "the key %s is not in any token (is the token plugged in?)",
		    c->pkcs11_uri);
		return -1;
	}
	if (c->certificate != NULL)
		return (s->cert = read_cert_pem(c->certificate, e)) != NULL ? 0 : -1;
	return token_cert(s, c->pkcs11_uri, e);
}

static int load_chain(struct signer *s, const char *path, struct err *e)
{
	BIO *in = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;
	if (in == NULL) {
		err_set(e, "cannot read the chain file %s: %s", path, strerror(errno));
		return -1;
	}
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		if (X509_cmp(x, s->cert) == 0 || sk_X509_find(s->chain, x) >= 0)
			X509_free(x);
		else
			sk_X509_push(s->chain, x);
		n++;
	}
	ERR_clear_error(); /* the end of the file reads as an error */
	BIO_free(in);
	if (n == 0) {
		err_set(e, "the chain file %s holds no PEM certificate", path);
		return -1;
	}
	return 0;
}

int signer_check_validity(const struct signer *s, time_t now, struct err *e)
{
	const ASN1_TIME *after = X509_get0_notAfter(s->cert);
	const ASN1_TIME *before = X509_get0_notBefore(s->cert);
	struct tm tm;
	char when[32] = "?";
	if (X509_cmp_time(after, &now) < 0) {
		if (ASN1_TIME_to_tm(after, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		err_set(e, "the signer certificate (%s) expired on %s: renew it; nothing is "
		    "signed with an expired certificate", s->subject, when);
		return -1;
	}
	if (X509_cmp_time(before, &now) > 0) {
		if (ASN1_TIME_to_tm(before, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		err_set(e, "the signer certificate (%s) is not valid before %s", s->subject, when);
		return -1;
	}
	return 0;
}

static int check_cert(struct signer *s, struct err *e)
{
	uint32_t ku = X509_get_key_usage(s->cert);
	if (ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		err_set(e, "the signer certificate (%s) is not for signatures (key usage has "
		    "neither digitalSignature nor nonRepudiation)", s->subject);
		return -1;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(s->cert), s->key) != 1) {
		err_set(e, "the key does not belong to the signer certificate (%s)", s->subject);
		return -1;
	}
	return signer_check_validity(s, time(NULL), e);
}

static void describe(struct signer *s)
{
	s->subject = subject_of(s->cert);
	int id = EVP_PKEY_get_base_id(s->key);
	if (id == EVP_PKEY_EC) {
		char curve[16] = "?";
		EVP_PKEY_get_utf8_string_param(s->key, "group", curve, sizeof(curve), NULL);
		snprintf(s->kind, sizeof(s->kind), "EC-%s", strcmp(curve, "prime256v1") == 0 ?
		    "P-256" : curve);
	} else {
		snprintf(s->kind, sizeof(s->kind), "%s-%d", id == EVP_PKEY_RSA ? "RSA" : "key",
		    EVP_PKEY_get_bits(s->key));
	}
}

int signer_open(const struct signer_config *c, struct signer **out, struct err *e)
{
	int rc = -1;
	char pin[PIN_MAX] = "";
	struct signer *s = xcalloc(1, sizeof(*s));
	s->chain = sk_X509_new_null();
	if (c->pkcs12 == NULL && c->pkcs11_uri == NULL) {
		err_set(e, "no signing key: set [signer] pkcs12 or pkcs11_uri");
		goto out;
	}
	if (read_pin(c->pin_file, pin, e) < 0)
		goto out;
	if ((c->pkcs11_uri != NULL ? load_pkcs11(s, c, pin, e) :
		load_pkcs12(s, c->pkcs12, pin, e)) < 0)
		goto out;
	describe(s);
	if (c->chain != NULL && load_chain(s, c->chain, e) < 0)
		goto out;
	if (check_cert(s, e) < 0)
		goto out;
	s->tsa_url = c->tsa_url != NULL ? xstrdup(c->tsa_url) : NULL;
	s->tsa_timeout_s = c->tsa_timeout_s ? c->tsa_timeout_s : 20;
	*out = s;
	s = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	signer_close(s);
	return rc;
}

void signer_close(struct signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	if (s->engine != NULL)
		ENGINE_finish(s->engine);
	free(s->tsa_url);
	free(s->subject);
	free(s);
}

const char *signer_subject(const struct signer *s) { return s->subject; }
const char *signer_key_kind(const struct signer *s) { return s->kind; }

int signer_raw_sign(struct signer *s, const unsigned char *data, size_t len,
    unsigned char **sig, size_t *siglen, struct err *e)
{
	int rc = -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	*sig = NULL;
	if (ctx == NULL)
		fatalx("out of memory");
	/* A long-running daemon outlives certificates: checked at every signature. */
	if (signer_check_validity(s, time(NULL), e) < 0)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->key) != 1 ||
	    EVP_DigestSign(ctx, NULL, siglen, data, len) != 1)
		goto fail;
	*sig = xmalloc(*siglen);
	if (EVP_DigestSign(ctx, *sig, siglen, data, len) != 1)
		goto fail;
	rc = 0;
	goto out;
fail:
	/* With a token, the usual cause is the token itself: unplugged, busy. */
	ossl_reason(e, s->engine != NULL, s->engine != NULL ?
	    "the token did not sign (unplugged?)" : "cannot sign");
	free(*sig);
	*sig = NULL;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

void signer_config_from_cfg(const struct sohoa_config *cfg, struct signer_config *sc)
{
	*sc = (struct signer_config){
		.pkcs12 = cfg->signer_pkcs12,
		.pkcs11_uri = cfg->signer_pkcs11_uri,
		.pkcs11_module = cfg->signer_pkcs11_module,
		.certificate = cfg->signer_certificate,
		.pin_file = cfg->signer_pin_file,
		.chain = cfg->signer_ca,
		.tsa_url = cfg->signer_tsa_url,
		.tsa_timeout_s = cfg->signer_tsa_timeout_s,
	};
}
