/*
 * Private to signer/: what its files share. Not part of the module's
 * interface (signer.h is).
 */
#ifndef SOHOA_SIGNER_INT_H
#define SOHOA_SIGNER_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signer.h"

struct signer {
	EVP_PKEY *key;            /* owned; private part may live in a token */
	X509 *cert;               /* owned: the signer certificate */
	STACK_OF(X509) *chain;    /* owned, may be empty: CA and intermediates */
	void *engine;             /* ENGINE * when the key is in a token, else NULL */
	char *tsa_url;            /* NULL: no timestamp */
	unsigned tsa_timeout_s;
	char *subject;
	char kind[32];            /* "RSA-3072", "EC-P-256" */
};

/*
 * SHA-256 then the key's signature over data: RSA PKCS#1 v1.5 or ECDSA (DER
 * encoded ECDSA-Sig-Value). *sig is malloc'd, the caller frees it. A token
 * failure is temporary.
 */
int signer_raw_sign(struct signer *s, const unsigned char *data, size_t len,
    unsigned char **sig, size_t *siglen, struct err *e);
/* Refuses a certificate not valid at `now` (expired, not yet valid). */
int signer_check_validity(const struct signer *s, time_t now, struct err *e);

/*
 * cades.c: a DER CMS SignedData, detached, over content whose SHA-256 is
 * `digest`: signed attributes exactly content-type (id-data), message-digest,
 * signing-certificate-v2; certificates = signer + chain; with s->tsa_url an
 * id-aa-timeStampToken unsigned attribute over the signature value.
 * *der is malloc'd; the caller frees it.
 */
int cades_sign_digest(struct signer *s, const unsigned char digest[32],
    unsigned char **der, size_t *derlen, struct err *e);

/*
 * tsa.c: asks the RFC 3161 server at `url` for a token over SHA-256(data),
 * with a nonce and certReq; checks the response's status, nonce and message
 * imprint. *token is the DER TimeStampToken (a CMS ContentInfo), malloc'd.
 * Server unreachable or answering an error: temporary.
 */
int tsa_timestamp(const char *url, unsigned timeout_s, const unsigned char *data, size_t len,
    unsigned char **token, size_t *token_len, struct err *e);

/* err_set(e, "<what>: <OpenSSL's newest reason>"), and empties OpenSSL's
 * error queue. */
void ossl_err(struct err *e, const char *what);
/* A certificate's subject on one line (RFC 2253), UTF-8 kept so Vietnamese
 * names stay readable; NULL for NULL. Caller frees. */
char *subject_of(X509 *x);
/* Loads every certificate of a PEM file into a new store (verify*.c). */
X509_STORE *trust_store_load(const char *pem, struct err *e);
/* Verifies `cert` with `untrusted` intermediates against `store` at `at`
 * (0 = now), purpose any. Fails with "untrusted: <OpenSSL's reason>". */
int trust_verify_cert(X509_STORE *store, X509 *cert, STACK_OF(X509) *untrusted, time_t at,
    struct err *e);

#endif
