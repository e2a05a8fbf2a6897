/* trust: the configured trust store, and chain checks against it. */
#include "signer_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

X509_STORE *trust_store_load(const char *pem, struct err *e)
{
	X509_STORE *store = NULL;
	BIO *in = NULL;
	X509 *x;
	int n = 0;
	if (pem == NULL) {
		err_set(e, "no trust store: set [signer] trust (PEM file of trusted CA certificates)");
		return NULL;
	}
	if ((in = BIO_new_file(pem, "r")) == NULL) {
		err_set(e, "cannot read the trust store %s: %s", pem, strerror(errno));
		ERR_clear_error();
		return NULL;
	}
	if ((store = X509_STORE_new()) == NULL)
		fatalx("out of memory");
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(store, x); /* the store takes its own reference */
		X509_free(x);
		n++;
	}
	ERR_clear_error(); /* the end of the file reads as an error */
	BIO_free(in);
	if (n == 0) {
		err_set(e, "the trust store %s holds no PEM certificate", pem);
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

void ossl_err(struct err *e, const char *what)
{
	unsigned long code = ERR_peek_last_error();
	const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;
	err_set(e, "%s%s%s", what, reason != NULL ? ": " : "", reason != NULL ? reason : "");
	ERR_clear_error();
}

char *subject_of(X509 *x)
{
	if (x == NULL)
		return NULL;
	BIO *mem = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	char *p;
	long n = BIO_get_mem_data(mem, &p);
	char *s = xasprintf("%.*s", (int)n, p);
	BIO_free(mem);
	return s;
}

int trust_verify_cert(X509_STORE *store, X509 *cert, STACK_OF(X509) *untrusted, time_t at,
    struct err *e)
{
	int rc = -1;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (ctx == NULL)
		fatalx("out of memory");
	if (!X509_STORE_CTX_init(ctx, store, cert, untrusted)) {
		err_set(e, "untrusted: cannot set up the chain check");
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (at != 0)
		X509_STORE_CTX_set_time(ctx, 0, at);
	if (X509_verify_cert(ctx) != 1) {
		int code = X509_STORE_CTX_get_error(ctx);
		char *name = subject_of(X509_STORE_CTX_get_current_cert(ctx));
		err_set(e, "untrusted: %s (%s)", X509_verify_cert_error_string(code),
		    name != NULL ? name : "certificate");
		free(name);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return rc;
}
