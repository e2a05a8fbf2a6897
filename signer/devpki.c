/*
 * Development PKI for `sohoa init`: a self-signed CA and one signer
 * certificate, written as PEM files and a PKCS#12. These are development
 * keys, never a production trust anchor. See docs/internals/signer.md.
 */
#include "signer_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* 3072 bits: NIST SP 800-57 strength past 2030; both keys take ~1 s here. */
#define KEY_BITS 3072
#define SERIAL_BITS 128
#define CA_DAYS 3652L    /* 10 years */
#define SIGNER_DAYS 1096L /* 3 years */
/* RFC 5280 ub-common-name / ub-organization-name, in characters. */
#define NAME_MAX_CHARS 64
#define FILE_MODE 0600

enum { F_CA_PEM, F_CA_KEY, F_SIGNER_PEM, F_SIGNER_P12, F_COUNT };

static const char *const file_names[F_COUNT] = {
	"ca.pem", "ca.key", "signer.pem", "signer.p12",
};

struct pki {
	EVP_PKEY *ca_key;
	EVP_PKEY *signer_key;
	X509 *ca;
	X509 *signer;
	BIO *out[F_COUNT];
};


/* Characters in a UTF-8 string, or -1 if it is not valid UTF-8. */
static long utf8_chars(const char *s)
{
	long n = 0;
	size_t left = strlen(s);
	while (left > 0) {
		unsigned long c;
		int len = UTF8_getc((const unsigned char *)s, (int)(left > 6 ? 6 : left), &c);
		if (len <= 0)
			return -1;
		s += len;
		left -= (size_t)len;
		n++;
	}
	return n;
}

static int check_request(const struct devpki_request *req, struct err *e)
{
	if (req == NULL || req->dir == NULL || req->dir[0] == '\0') {
		err_set(e, "no directory given for the development keys");
		return -1;
	}
	if (req->agency_name == NULL || req->agency_name[0] == '\0') {
		err_set(e, "the agency name is empty");
		return -1;
	}
	long chars = utf8_chars(req->agency_name);
	if (chars < 0) {
		err_set(e, "the agency name is not valid UTF-8");
		return -1;
	}
	if (chars > NAME_MAX_CHARS) {
		err_set(e, "the agency name has %ld characters; a certificate name "
		    "field holds at most %d", chars, NAME_MAX_CHARS);
		return -1;
	}
	if (req->pin == NULL || req->pin[0] == '\0') {
		err_set(e, "the PIN for signer.p12 is empty");
		return -1;
	}
	return 0;
}

/* All targets are checked before any is written, so a refusal changes nothing. */
static int check_targets_absent(const char *dir, struct err *e)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "%s is not a directory", dir);
		return -1;
	}
	for (int i = 0; i < F_COUNT; i++) {
		char *path = xasprintf("%s/%s", dir, file_names[i]);
		int r = lstat(path, &st);
		int saved = errno;
		if (r == 0)
			err_set(e, "%s already exists; refusing to overwrite keys", path);
		else if (saved != ENOENT)
			err_set(e, "cannot check %s: %s", path, strerror(saved));
		free(path);
		if (r == 0 || saved != ENOENT)
			return -1;
	}
	return 0;
}

static EVP_PKEY *gen_key(int ec, struct err *e)
{
	EVP_PKEY *key = ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)KEY_BITS);
	if (key == NULL)
		ossl_err(e, ec ? "cannot generate an EC P-256 key" : "cannot generate an RSA key");
	return key;
}

/* Top bit set: always 16 octets and never zero; 127 random bits. */
static int set_serial(X509 *x)
{
	int ok = 0;
	BIGNUM *bn = BN_new();
	if (bn != NULL && BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY))
		ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int add_name(X509_NAME *name, const char *field, const char *value)
{
	return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
	    (const unsigned char *)value, -1, -1, 0);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A v3 certificate with serial, validity and public key; no names yet. */
static X509 *cert_new(EVP_PKEY *key, long days, struct err *e)
{
	X509 *x = X509_new();
	if (x == NULL || !X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) == NULL ||
	    !X509_set_pubkey(x, key)) {
		ossl_err(e, "cannot prepare a certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

static int ca_fill(X509 *x, EVP_PKEY *key, const char *agency)
{
	X509_NAME *name = X509_get_subject_name(x);
	if (!add_name(name, "C", "VN") || !add_name(name, "O", agency) ||
	    !add_name(name, "OU", "development CA, not for production") ||
	    !add_name(name, "CN", "sohoa development CA") ||
	    !X509_set_issuer_name(x, name))
		return 0;
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	return add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
	    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	    X509_sign(x, key, EVP_sha256()) > 0;
}

static X509 *make_ca(EVP_PKEY *key, const char *agency, struct err *e)
{
	X509 *x = cert_new(key, CA_DAYS, e);
	if (x != NULL && !ca_fill(x, key, agency)) {
		ossl_err(e, "cannot build the development CA certificate");
		X509_free(x);
		x = NULL;
	}
	return x;
}

/*
 * emailProtection is what NSS (pdfsig) demands of a document signer once an
 * EKU is present; see the design note.
 */
static int signer_fill(X509 *x, X509 *ca, EVP_PKEY *ca_key, const char *agency)
{
	X509_NAME *name = X509_get_subject_name(x);
	if (!add_name(name, "C", "VN") || !add_name(name, "O", agency) ||
	    !add_name(name, "CN", agency) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)))
		return 0;
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	return add_ext(x, &ctx, NID_basic_constraints, "CA:FALSE") &&
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
	    add_ext(x, &ctx, NID_ext_key_usage, "emailProtection") &&
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
	    X509_sign(x, ca_key, EVP_sha256()) > 0;
}

static X509 *make_signer(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, const char *agency,
    struct err *e)
{
	X509 *x = cert_new(key, SIGNER_DAYS, e);
	if (x != NULL && !signer_fill(x, ca, ca_key, agency)) {
		ossl_err(e, "cannot build the signer certificate");
		X509_free(x);
		x = NULL;
	}
	return x;
}

static int build_keys_and_certs(struct pki *p, const char *agency, int ec, struct err *e)
{
	if ((p->ca_key = gen_key(ec, e)) == NULL || (p->signer_key = gen_key(ec, e)) == NULL)
		return -1;
	if ((p->ca = make_ca(p->ca_key, agency, e)) == NULL)
		return -1;
	if ((p->signer = make_signer(p->signer_key, p->ca, p->ca_key, agency, e)) == NULL)
		return -1;
	return 0;
}

/* OpenSSL 3 defaults: PBES2/PBKDF2 with AES-256-CBC, SHA-256 MAC. */
static int write_p12(BIO *out, const struct pki *p, const char *pin)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS12 *p12 = NULL;
	int ok = 0;
	if (chain == NULL || !sk_X509_push(chain, p->ca))
		goto out;
	p12 = PKCS12_create(pin, "sohoa signer", p->signer_key, p->signer, chain,
	    0, 0, 0, 0, 0);
	ok = p12 != NULL && i2d_PKCS12_bio(out, p12) > 0;
out:
	PKCS12_free(p12);
	sk_X509_free(chain);
	return ok;
}

static int serialize(struct pki *p, const char *pin, struct err *e)
{
	for (int i = 0; i < F_COUNT; i++)
		if ((p->out[i] = BIO_new(BIO_s_secmem())) == NULL)
			goto fail;
	if (!PEM_write_bio_X509(p->out[F_CA_PEM], p->ca) ||
	    !PEM_write_bio_PrivateKey(p->out[F_CA_KEY], p->ca_key, NULL, NULL, 0,
		NULL, NULL) ||
	    !PEM_write_bio_X509(p->out[F_SIGNER_PEM], p->signer) ||
	    !write_p12(p->out[F_SIGNER_P12], p, pin))
		goto fail;
	return 0;
fail:
	ossl_err(e, "cannot encode the development keys");
	return -1;
}

static void unlink_written(const char *dir, int count)
{
	for (int i = 0; i < count; i++) {
		char *path = xasprintf("%s/%s", dir, file_names[i]);
		unlink(path);
		free(path);
	}
}

/* On failure removes what it wrote, so that a retry is not refused. */
static int write_files(const char *dir, struct pki *p, struct err *e)
{
	int i;
	for (i = 0; i < F_COUNT; i++) {
		char *data = NULL;
		long len = BIO_get_mem_data(p->out[i], &data);
		char *path = xasprintf("%s/%s", dir, file_names[i]);
		int r = len > 0 ? file_write_atomic(path, data, (size_t)len, FILE_MODE, e) : -1;
		if (len <= 0)
			err_set(e, "nothing to write to %s", path);
		free(path);
		if (r < 0)
			break;
	}
	if (i == F_COUNT)
		return 0;
	unlink_written(dir, i);
	return -1;
}

static void pki_free(struct pki *p)
{
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->signer_key);
	X509_free(p->ca);
	X509_free(p->signer);
	for (int i = 0; i < F_COUNT; i++)
		BIO_free(p->out[i]); /* secmem BIOs are cleansed on free */
}

int devpki_create(const struct devpki_request *req, struct err *e)
{
	int rc = -1;
	struct pki p = {0};
	if (check_request(req, e) < 0 || check_targets_absent(req->dir, e) < 0)
		goto out;
	if (build_keys_and_certs(&p, req->agency_name, req->ec, e) < 0)
		goto out;
	if (serialize(&p, req->pin, e) < 0)
		goto out;
	rc = write_files(req->dir, &p, e);
out:
	pki_free(&p);
	ERR_clear_error();
	return rc;
}

/* ---- a TLS server certificate for the API ------------------------------------ */

#define TLS_DAYS 825L /* the CA/Browser Forum's longest, so browsers accept it */

static int tls_fill(X509 *x, X509 *ca, EVP_PKEY *ca_key)
{
	X509_NAME *name = X509_get_subject_name(x);
	if (!add_name(name, "C", "VN") || !add_name(name, "CN", "localhost") ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)))
		return 0;
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	return add_ext(x, &ctx, NID_basic_constraints, "CA:FALSE") &&
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") &&
	    add_ext(x, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") &&
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
	    X509_sign(x, ca_key, EVP_sha256()) > 0;
}

static int read_ca(const char *dir, X509 **ca, EVP_PKEY **key, struct err *e)
{
	char *pem = xasprintf("%s/ca.pem", dir), *kf = xasprintf("%s/ca.key", dir);
	BIO *b1 = BIO_new_file(pem, "r"), *b2 = BIO_new_file(kf, "r");
	*ca = b1 ? PEM_read_bio_X509(b1, NULL, NULL, NULL) : NULL;
	*key = b2 ? PEM_read_bio_PrivateKey(b2, NULL, NULL, NULL) : NULL;
	if (*ca == NULL || *key == NULL)
		ossl_err(e, "cannot read the development CA (ca.pem, ca.key)");
	BIO_free(b1);
	BIO_free(b2);
	free(pem);
	free(kf);
	return *ca != NULL && *key != NULL ? 0 : -1;
}

int devpki_tls_server(const char *dir, struct err *e)
{
	X509 *ca = NULL, *x = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	BIO *cert_out = BIO_new(BIO_s_mem()), *key_out = BIO_new(BIO_s_secmem());
	int rc = -1;
	char *data = NULL;
	if (cert_out == NULL || key_out == NULL)
		fatalx("out of memory");
	if (read_ca(dir, &ca, &ca_key, e) < 0 || (key = gen_key(1, e)) == NULL ||
	    (x = cert_new(key, TLS_DAYS, e)) == NULL)
		goto out;
	if (!tls_fill(x, ca, ca_key) || !PEM_write_bio_X509(cert_out, x) ||
	    !PEM_write_bio_X509(cert_out, ca) ||
	    !PEM_write_bio_PrivateKey(key_out, key, NULL, NULL, 0, NULL, NULL)) {
		ossl_err(e, "cannot build the API's TLS certificate");
		goto out;
	}
	char *pem = xasprintf("%s/api.pem", dir), *kf = xasprintf("%s/api.key", dir);
	long len = BIO_get_mem_data(cert_out, &data);
	rc = file_write_atomic(pem, data, (size_t)len, 0644, e);
	len = BIO_get_mem_data(key_out, &data);
	if (rc == 0)
		rc = file_write_atomic(kf, data, (size_t)len, FILE_MODE, e);
	free(pem);
	free(kf);
out:
	X509_free(ca);
	X509_free(x);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	BIO_free(cert_out);
	BIO_free(key_out);
	ERR_clear_error();
	return rc;
}
