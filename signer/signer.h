/*
 * signer: keys and signatures.
 * For now: a development PKI for `sohoa init` (a CA and a signer certificate
 * in a PKCS#12 file). XMLDSig, PAdES, PKCS#11 and RFC 3161 come with the
 * signing issue.
 */
#ifndef SOHOA_SIGNER_H
#define SOHOA_SIGNER_H

#include "common/common.h"

struct devpki_request {
	const char *dir;          /* existing directory, e.g. DIR/keys */
	const char *agency_name;  /* subject O= / CN= of the signer, UTF-8 */
	const char *pin;          /* password of the PKCS#12 file */
};

/*
 * Writes into req->dir, each file mode 0600:
 *   ca.pem        the development CA certificate (self-signed, 10 years)
 *   ca.key        its private key
 *   signer.pem    the signer certificate issued by that CA (digitalSignature,
 *                 nonRepudiation; 3 years)
 *   signer.p12    the signer key + certificate + CA chain, protected by pin
 * Refuses to overwrite an existing file.
 */
int devpki_create(const struct devpki_request *req, struct err *e);

#endif
