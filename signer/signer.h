/*
 * signer: the agency's keys and its signatures.
 *   keys.c     the key provider: a PKCS#12 file or a PKCS#11 token (OpenSSL
 *              engine_pkcs11), with the certificate chain to embed
 *   cades.c    CMS/CAdES detached signatures (PAdES baseline B-B / B-T)
 *   tsa.c      RFC 3161 timestamps over HTTP (libcurl)
 *   pades.c    the signature as an incremental update of a PDF
 *   xmldsig.c  enveloped XMLDSig of the XML e-result (xmlsec1)
 *   verify*.c  `sohoa verify`: signatures, chain, fixity
 *   devpki.c   the development CA and signer that `sohoa init` makes
 *
 * A failure that may pass by itself (token unplugged, TSA down) is marked
 * e->temporary: the job waits and retries; it is never filed unsigned.
 */
#ifndef SOHOA_SIGNER_H
#define SOHOA_SIGNER_H

#include <time.h>
#include <jansson.h>
#include <libxml/tree.h>

#include "common/common.h"
#include "config/config.h"

/* ---- the key provider --------------------------------------------------- */

struct signer_config {
	/* Either a PKCS#12 file ... */
	const char *pkcs12;
	/* ... or a key in a PKCS#11 token: "pkcs11:token=…;object=…;type=private"
	 * and the module, e.g. /usr/lib/softhsm/libsofthsm2.so */
	const char *pkcs11_uri;
	const char *pkcs11_module;
	/* PEM signer certificate; optional with PKCS#11 (else read from the
	 * token, same URI with type=cert) */
	const char *certificate;
	const char *pin_file;     /* first line is the PIN; must be 0600 */
	const char *chain;        /* PEM certificates to embed (CA, intermediates); may be NULL */
	const char *tsa_url;      /* RFC 3161 server; NULL = PAdES B-B, else B-T */
	unsigned tsa_timeout_s;   /* 0 = 20 */
};

/* The [signer] section as a signer_config; it points into cfg. */
void signer_config_from_cfg(const struct sohoa_config *cfg, struct signer_config *sc);

struct signer;

/*
 * Loads the key and certificate. Refuses a certificate that is expired, not
 * yet valid, or lacks digitalSignature/nonRepudiation, and a key that does
 * not match it. A token that cannot be reached is a temporary failure.
 * The caller owns *out (signer_close). The PIN is read, used, and wiped.
 */
int signer_open(const struct signer_config *c, struct signer **out, struct err *e);
void signer_close(struct signer *s);
/* Subject of the signer certificate, one line (RFC 2253); the signer owns it. */
const char *signer_subject(const struct signer *s);
/* "RSA-3072", "EC-P-256": what the key is, for logs and the README's tables. */
const char *signer_key_kind(const struct signer *s);

/* ---- signatures --------------------------------------------------------- */

struct pades_options {
	time_t signing_time;      /* goes into /M (no signing-time attribute) */
	const char *reason;       /* /Reason, e.g. "Sao y bản chính"; may be NULL */
	const char *location;     /* /Location; may be NULL */
	const char *contact;      /* /ContactInfo; may be NULL */
};

/*
 * Signs the PDF at `in_path` into `out_path` (written atomically): the input
 * bytes unchanged, then an incremental update with an invisible signature
 * field and a /ETSI.CAdES.detached signature whose signed attributes are
 * exactly content-type, message-digest and signing-certificate-v2; with a
 * TSA configured, the RFC 3161 token over the signature value as an unsigned
 * attribute (B-T). TSA or token unreachable: temporary.
 */
int pades_sign_file(struct signer *s, const char *in_path, const char *out_path,
    const struct pades_options *o, struct err *e);

/*
 * Adds an enveloped XMLDSig to the root element of `doc` (exclusive C14N,
 * RSA-SHA256 or ECDSA-SHA256, Reference URI="", the signer certificate and
 * chain in KeyInfo/X509Data). Serialise the result with xmlDocDumpMemory
 * and never re-format it.
 */
int xmldsig_sign(struct signer *s, xmlDocPtr doc, struct err *e);

/* ---- verification ------------------------------------------------------- */

struct verify_options {
	const char *trust;        /* PEM file of trusted CA certificates */
	time_t at;                /* 0 = now; the time the chain must hold */
};

/*
 * Each check appends {"check": name, "ok": bool, "detail": text} to the array
 * `checks` (the caller owns it); detail says what failed in words a person
 * can read ("untrusted: …", "digest mismatch: the document was changed after
 * it was signed", …). Returns 0 when every check it ran held, -1 otherwise
 * (or when the file cannot be read at all, with the reason in e).
 */
int verify_pdf_file(const char *path, const struct verify_options *o, json_t *checks,
    struct err *e);
int verify_xml_file(const char *path, const struct verify_options *o, json_t *checks,
    struct err *e);

/* xmlsec and libxml2 set-up, once a process, before any XML signing. */
int signer_xml_init(struct err *e);
void signer_xml_cleanup(void);

/* ---- development PKI ---------------------------------------------------- */

struct devpki_request {
	const char *dir;          /* existing directory, e.g. DIR/keys */
	const char *agency_name;  /* subject O= / CN= of the signer, UTF-8 */
	const char *pin;          /* password of the PKCS#12 file */
	int ec;                   /* 1: ECDSA P-256 keys; 0: RSA-3072 */
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
/* Writes into dir (which holds ca.pem and ca.key from devpki_create) api.pem
 * (an EC P-256 TLS server certificate for localhost, 127.0.0.1 and ::1, then
 * the CA) and api.key (0600). */
int devpki_tls_server(const char *dir, struct err *e);

#endif
