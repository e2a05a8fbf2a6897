/*
 * xmldsig: the enveloped XMLDSig of the XML e-result, and its verification.
 *
 * xmlsec 1.2.37 cannot sign with a key held in a PKCS#11 token (it takes an
 * engine key for a public one), so every key goes one way: xmlsec signs
 * with an in-memory stand-in key of the same algorithm, keeping the
 * canonical SignedInfo (XMLSEC_DSIG_FLAGS_STORE_SIGNATURE); the real key
 * signs those bytes and its value replaces the stand-in's. KeyInfo lies
 * outside SignedInfo, so the certificates are written afterwards.
 */
#include "signer_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>

#define XML_MAX_BYTES (64u << 20)

static int xml_ready;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t standin_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY *standin_rsa, *standin_ec;  /* made once, on first use */

/* The first xmlsec error since xmlsec_reset(): the deepest cause. */
static _Thread_local char xmlsec_first[256];

/* xmlsec's words for an error code ("invalid URI type"), or NULL. */
static const char *xmlsec_reason(int reason)
{
	for (xmlSecSize i = 0; i < XMLSEC_ERRORS_MAX_NUMBER; i++) {
		const char *msg = xmlSecErrorsGetMsg(i);
		if (msg == NULL)
			break;
		if (xmlSecErrorsGetCode(i) == reason)
			return msg;
	}
	return NULL;
}

static void xmlsec_error(const char *file, int line, const char *func, const char *object,
    const char *subject, int reason, const char *msg)
{
	(void)file, (void)line, (void)object, (void)subject;
	const char *why = xmlsec_reason(reason);
	log_debug("xmlsec: %s: %s: %s", func ? func : "?", why ? why : "error", msg ? msg : "");
	if (xmlsec_first[0] == '\0')
		snprintf(xmlsec_first, sizeof(xmlsec_first), "%s%s%s", why ? why : "error",
		    msg && *msg ? ": " : "", msg ? msg : "");
}

static void xmlsec_reset(void)
{
	xmlsec_first[0] = '\0';
}

static int xml_init_locked(struct err *e)
{
	if (xml_ready)
		return 0;
	xmlInitParser();
	/* Our parses never ask for external entities or DTDs; this stops any
	 * other path (a transform, a schema import) from reaching the network. */
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
	if (xmlSecInit() < 0) {
		err_set(e, "xmlsec: cannot initialise");
		return -1;
	}
	if (xmlSecCheckVersion() != 1) {
		err_set(e, "xmlsec: the library loaded is not the one sohoa was built with (%s)",
		    XMLSEC_VERSION);
		xmlSecShutdown();
		return -1;
	}
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		err_set(e, "xmlsec: cannot initialise its OpenSSL back end");
		xmlSecShutdown();
		return -1;
	}
	/* After the crypto init, which installs its own printer to stderr. */
	xmlSecErrorsSetCallback(xmlsec_error);
	xml_ready = 1;
	return 0;
}

int signer_xml_init(struct err *e)
{
	pthread_mutex_lock(&init_lock);
	int rc = xml_init_locked(e);
	pthread_mutex_unlock(&init_lock);
	return rc;
}

void signer_xml_cleanup(void)
{
	pthread_mutex_lock(&init_lock);
	if (!xml_ready) {
		pthread_mutex_unlock(&init_lock);
		return;
	}
	EVP_PKEY_free(standin_rsa);
	EVP_PKEY_free(standin_ec);
	standin_rsa = standin_ec = NULL;
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xml_ready = 0;
	pthread_mutex_unlock(&init_lock);
}

/* ---- signing ------------------------------------------------------------ */

/* The stand-in xmlsec signs with; its signature value is thrown away, so
 * its size buys nothing: 1024 bits keeps the first result fast (RSA-2048
 * generation took 0.15-0.26 s). */
static xmlSecKeyPtr standin_key(int ec, struct err *e)
{
	EVP_PKEY **slot = ec ? &standin_ec : &standin_rsa;
	pthread_mutex_lock(&standin_lock);
	if (*slot == NULL)
		*slot = ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
		    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *k = *slot;
	if (k != NULL)
		EVP_PKEY_up_ref(k);
	pthread_mutex_unlock(&standin_lock);
	if (k == NULL) {
		ERR_clear_error();
		err_set(e, "cannot make the in-memory key xmlsec signs with");
		return NULL;
	}
	xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(k);  /* takes our reference */
	xmlSecKeyPtr key = data != NULL ? xmlSecKeyCreate() : NULL;
	if (key == NULL || xmlSecKeySetValue(key, data) < 0) {
		if (data != NULL)
			xmlSecKeyDataDestroy(data);
		else
			EVP_PKEY_free(k);
		if (key != NULL)
			xmlSecKeyDestroy(key);
		err_set(e, "xmlsec cannot take the in-memory key");
		return NULL;
	}
	return key;
}

/* The SignatureMethod for the signer's key; *ec tells which family. */
static xmlSecTransformId sign_method(struct signer *s, int *ec, struct err *e)
{
	int id = EVP_PKEY_get_base_id(s->key);
	*ec = id == EVP_PKEY_EC;
	if (id == EVP_PKEY_RSA)
		return xmlSecTransformRsaSha256Id;
	if (id == EVP_PKEY_EC)
		return xmlSecTransformEcdsaSha256Id;
	err_set(e, "a %s key cannot make an XML signature (RSA or ECDSA only)", s->kind);
	return xmlSecTransformIdUnknown;
}

/* ds:Signature with one Reference URI="" (enveloped, exclusive C14N, SHA-256),
 * appended to the root; no KeyInfo yet. */
static xmlNodePtr add_template(xmlDocPtr doc, xmlNodePtr root, xmlSecTransformId method)
{
	xmlNodePtr sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId, method,
	    NULL, BAD_CAST "ds");
	if (sig == NULL)
		fatalx("out of memory");
	xmlAddChild(root, sig);
	xmlNodePtr ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL,
	    BAD_CAST "", NULL);
	if (ref == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == NULL)
		fatalx("out of memory");
	return sig;
}

/* Does sig (DER for ECDSA) verify with the certificate over data? Catches a
 * token that signed with another key than the certificate's. */
static int check_own_signature(X509 *cert, const unsigned char *data, size_t len,
    const unsigned char *sig, size_t siglen, struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		fatalx("out of memory");
	int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		err_set(e, "the key's signature does not verify with the signer certificate");
	return ok ? 0 : -1;
}

/* XMLDSig wants ECDSA as r || s, each left-padded to the size of the order. */
static int ecdsa_der_to_raw(const unsigned char *der, size_t len, int bits,
    unsigned char **out, size_t *outlen, struct err *e)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	size_t half = (size_t)(bits + 7) / 8;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (es == NULL) {
		ERR_clear_error();
		err_set(e, "the key returned an ECDSA signature that is not DER");
		return -1;
	}
	ECDSA_SIG_get0(es, &r, &s);
	*out = xmalloc(2 * half);
	*outlen = 2 * half;
	int ok = BN_bn2binpad(r, *out, (int)half) >= 0 &&
	    BN_bn2binpad(s, *out + half, (int)half) >= 0;
	ECDSA_SIG_free(es);
	if (!ok) {
		free(*out);
		*out = NULL;
		err_set(e, "the ECDSA signature does not fit the key size");
		return -1;
	}
	return 0;
}

/* Replaces the content of node with base64 of p, in xmlsec's line width. */
static void set_base64(xmlNodePtr node, const unsigned char *p, size_t n)
{
	xmlChar *b64 = xmlSecBase64Encode(p, (xmlSecSize)n, xmlSecBase64GetDefaultLineSize());
	if (b64 == NULL)
		fatalx("out of memory");
	xmlNodeSetContent(node, NULL);
	xmlNodeAddContent(node, BAD_CAST "\n");
	xmlNodeAddContent(node, b64);
	xmlNodeAddContent(node, BAD_CAST "\n");
	xmlFree(b64);
}

static void add_certificate(xmlNodePtr x509data, X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	xmlNodePtr c = xmlSecAddChild(x509data, xmlSecNodeX509Certificate, xmlSecDSigNs);
	if (n <= 0 || c == NULL)
		fatalx("out of memory");
	set_base64(c, der, (size_t)n);
	OPENSSL_free(der);
}

/* KeyInfo/X509Data: the signer certificate first, then the chain. */
static void add_key_info(xmlNodePtr sig, struct signer *s)
{
	xmlNodePtr ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
	xmlNodePtr xd = ki != NULL ? xmlSecTmplKeyInfoAddX509Data(ki) : NULL;
	if (xd == NULL)
		fatalx("out of memory");
	add_certificate(xd, s->cert);
	for (int i = 0; i < sk_X509_num(s->chain); i++)
		add_certificate(xd, sk_X509_value(s->chain, i));
}

/* The real key's signature over the canonical SignedInfo xmlsec kept, in the
 * form SignatureValue takes. *value is malloc'd; the caller frees it. */
static int real_signature(struct signer *s, int ec, xmlSecBufferPtr signed_info,
    unsigned char **value, size_t *len, struct err *e)
{
	unsigned char *sig = NULL;
	size_t siglen = 0;
	const unsigned char *data = xmlSecBufferGetData(signed_info);
	size_t n = xmlSecBufferGetSize(signed_info);
	if (data == NULL || n == 0) {
		err_set(e, "xmlsec kept no canonical SignedInfo");
		return -1;
	}
	if (signer_raw_sign(s, data, n, &sig, &siglen, e) < 0 ||
	    check_own_signature(s->cert, data, n, sig, siglen, e) < 0) {
		free(sig);
		return -1;
	}
	if (!ec) {
		*value = sig;
		*len = siglen;
		return 0;
	}
	int rc = ecdsa_der_to_raw(sig, siglen, EVP_PKEY_get_bits(s->key), value, len, e);
	free(sig);
	return rc;
}

static int sign_template(struct signer *s, int ec, xmlNodePtr sig, struct err *e)
{
	int rc = -1;
	unsigned char *value = NULL;
	size_t len = 0;
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	if (ctx == NULL)
		fatalx("out of memory");
	ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNATURE;
	if ((ctx->signKey = standin_key(ec, e)) == NULL)
		goto out;
	xmlsec_reset();
	if (xmlSecDSigCtxSign(ctx, sig) < 0 || ctx->signValueNode == NULL) {
		err_set(e, "xmlsec cannot sign: %s",
		    xmlsec_first[0] ? xmlsec_first : "unknown error");
		goto out;
	}
	if (real_signature(s, ec, xmlSecDSigCtxGetPreSignBuffer(ctx), &value, &len, e) < 0)
		goto out;
	set_base64(ctx->signValueNode, value, len);
	rc = 0;
out:
	free(value);
	xmlSecDSigCtxDestroy(ctx);
	return rc;
}

int xmldsig_sign(struct signer *s, xmlDocPtr doc, struct err *e)
{
	int ec = 0;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (signer_xml_init(e) < 0)
		return -1;
	if (root == NULL) {
		err_set(e, "the XML document is empty");
		return -1;
	}
	if (xmlSecFindChild(root, xmlSecNodeSignature, xmlSecDSigNs) != NULL) {
		err_set(e, "the XML document is already signed");
		return -1;
	}
	xmlSecTransformId method = sign_method(s, &ec, e);
	if (method == xmlSecTransformIdUnknown)
		return -1;
	xmlNodePtr sig = add_template(doc, root, method);
	xmlNodePtr nl = xmlNewText(BAD_CAST "\n");  /* so </EResult> starts a line */
	xmlAddNextSibling(sig, nl);
	if (sign_template(s, ec, sig, e) < 0) {
		xmlUnlinkNode(sig);
		xmlFreeNode(sig);
		xmlUnlinkNode(nl);
		xmlFreeNode(nl);
		return -1;
	}
	add_key_info(sig, s);
	return 0;
}

/* ---- verification ------------------------------------------------------- */

static void add_check(json_t *checks, const char *name, int ok, const char *detail)
{
	json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check", name, "ok", ok,
	    "detail", detail));
}

/* Subject of x, one line (RFC 2253, UTF-8 kept). */
static void subject_line(X509 *x, char *out, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	if (b == NULL)
		fatalx("out of memory");
	X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	long len = BIO_get_mem_data(b, &p);
	snprintf(out, n, "%.*s", (int)(len > 0 ? len : 0), p ? p : "");
	BIO_free(b);
}

/* Parses without network, DTD loading or entity expansion; refuses a DOCTYPE,
 * which an e-result never has (and which entity bombs need). */
static xmlDocPtr parse_xml(const struct buf *b, struct err *e)
{
	xmlParserCtxtPtr pc = xmlNewParserCtxt();
	if (pc == NULL)
		fatalx("out of memory");
	xmlDocPtr doc = xmlCtxtReadMemory(pc, b->data, (int)b->len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		xmlErrorPtr le = xmlCtxtGetLastError(pc);
		const char *msg = le && le->message ? le->message : "cannot parse\n";
		err_set(e, "not well-formed XML (damaged or changed?): line %d: %.*s",
		    le ? le->line : 0, (int)strcspn(msg, "\n"), msg);
	} else if (doc->intSubset != NULL) {
		err_set(e, "the XML has a DOCTYPE, which an e-result never has");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(pc);
	return doc;
}

/* The one ds:Signature among the root's children. */
static xmlNodePtr find_signature(xmlDocPtr doc, struct err *e)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), found = NULL;
	int n = 0;
	for (xmlNodePtr c = root ? root->children : NULL; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlSecCheckNodeName(c, xmlSecNodeSignature,
		    xmlSecDSigNs)) {
			found = c;
			n++;
		}
	if (n == 0)
		err_set(e, "no XML signature (ds:Signature under the root element)");
	else if (n > 1)
		err_set(e, "%d XML signatures under the root element; an e-result has one", n);
	return n == 1 ? found : NULL;
}

static X509 *decode_certificate(xmlNodePtr node)
{
	xmlChar *text = xmlNodeGetContent(node);
	xmlSecSize n = 0;
	X509 *x = NULL;
	if (text != NULL && xmlSecBase64DecodeInPlace(text, &n) == 0) {
		const unsigned char *p = text;
		x = d2i_X509(NULL, &p, (long)n);
	}
	xmlFree(text);
	ERR_clear_error();
	return x;
}

/* Every X509Certificate of KeyInfo/X509Data; the caller frees the stack. */
static STACK_OF(X509) *key_info_certs(xmlNodePtr sig)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	xmlNodePtr ki = xmlSecFindChild(sig, xmlSecNodeKeyInfo, xmlSecDSigNs);
	if (certs == NULL)
		fatalx("out of memory");
	for (xmlNodePtr d = ki ? ki->children : NULL; d != NULL; d = d->next) {
		if (d->type != XML_ELEMENT_NODE || !xmlSecCheckNodeName(d, xmlSecNodeX509Data,
		    xmlSecDSigNs))
			continue;
		for (xmlNodePtr c = d->children; c != NULL; c = c->next) {
			X509 *x;
			if (c->type == XML_ELEMENT_NODE && xmlSecCheckNodeName(c,
			    xmlSecNodeX509Certificate, xmlSecDSigNs) && (x = decode_certificate(c)))
				sk_X509_push(certs, x);
		}
	}
	return certs;
}

/* The end-entity certificate: the first that issued none of the others. */
static X509 *leaf_certificate(STACK_OF(X509) *certs)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		int issuer = 0;
		for (int j = 0; j < sk_X509_num(certs) && !issuer; j++)
			issuer = j != i &&
			    X509_check_issued(x, sk_X509_value(certs, j)) == X509_V_OK;
		if (!issuer)
			return x;
	}
	return sk_X509_num(certs) > 0 ? sk_X509_value(certs, 0) : NULL;
}

/* Only what our signatures use: the whole document (URI=""), C14N, SHA-2 and
 * RSA/ECDSA; no XPath, XSLT or external URIs. */
static void restrict_verification(xmlSecDSigCtxPtr ctx)
{
	xmlSecTransformId refs[] = {
		xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId,
		xmlSecTransformExclC14NWithCommentsId, xmlSecTransformInclC14NId,
		xmlSecTransformInclC14NWithCommentsId, xmlSecTransformSha256Id,
		xmlSecTransformSha384Id, xmlSecTransformSha512Id,
	};
	xmlSecTransformId sigs[] = {
		xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
		xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id,
		xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id,
		xmlSecTransformEcdsaSha512Id,
	};
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, refs[i]) < 0)
			fatalx("out of memory");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(ctx, sigs[i]) < 0)
			fatalx("out of memory");
}

static xmlSecKeyPtr key_of_cert(X509 *cert)
{
	xmlSecKeyDataPtr data = xmlSecOpenSSLX509CertGetKey(cert);
	xmlSecKeyPtr key = data != NULL ? xmlSecKeyCreate() : NULL;
	if (key == NULL || xmlSecKeySetValue(key, data) < 0) {
		if (data != NULL)
			xmlSecKeyDataDestroy(data);
		if (key != NULL)
			xmlSecKeyDestroy(key);
		return NULL;
	}
	return key;
}

/* Why a processed signature is not valid: a reference or SignedInfo. */
static void explain_invalid(xmlSecDSigCtxPtr ctx, char *detail, size_t n)
{
	xmlSecSize refs = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
	for (xmlSecSize i = 0; i < refs; i++) {
		xmlSecDSigReferenceCtxPtr r = xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
		if (r != NULL && r->status != xmlSecDSigStatusSucceeded) {
			snprintf(detail, n, "signature does not match: the XML was changed "
			    "after it was signed (the digest of Reference URI=\"%s\" differs)",
			    r->uri ? (const char *)r->uri : "");
			return;
		}
	}
	snprintf(detail, n, "signature does not match: SignedInfo was changed, or the "
	    "signature value was not made with the certificate's key");
}

/* The xml-signature check, with the key of `leaf` and no chain check. */
static int check_signature(xmlNodePtr sig, X509 *leaf, char *detail, size_t n)
{
	int ok = 0;
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	if (ctx == NULL)
		fatalx("out of memory");
	restrict_verification(ctx);
	xmlsec_reset();
	if (leaf == NULL)
		snprintf(detail, n, "no certificate in KeyInfo to check the signature with");
	else if ((ctx->signKey = key_of_cert(leaf)) == NULL)
		snprintf(detail, n, "cannot use the key of the certificate in KeyInfo");
	else if (xmlSecDSigCtxVerify(ctx, sig) < 0 && ctx->status == xmlSecDSigStatusUnknown)
		snprintf(detail, n, "cannot check the signature: %s",
		    xmlsec_first[0] ? xmlsec_first : "xmlsec failed");
	else if (ctx->status != xmlSecDSigStatusSucceeded)
		explain_invalid(ctx, detail, n);
	else
		ok = 1;
	if (ok) {
		char who[256];
		subject_line(leaf, who, sizeof(who));
		snprintf(detail, n, "valid (%s, whole document) by %s",
		    ctx->signMethod ? (const char *)ctx->signMethod->id->name : "?", who);
	}
	xmlSecDSigCtxDestroy(ctx);
	return ok;
}

/* The xml-certificate check: the leaf and the others of KeyInfo against the
 * trust store at o->at. */
static int check_certificate(STACK_OF(X509) *certs, X509 *leaf, const struct verify_options *o,
    char *detail, size_t n)
{
	struct err ce = { 0 };
	X509_STORE *store = NULL;
	int ok = 0;
	if (leaf == NULL)
		snprintf(detail, n, "untrusted: no certificate in KeyInfo");
	else if ((store = trust_store_load(o->trust, &ce)) == NULL)
		snprintf(detail, n, "untrusted: %.480s", ce.msg);
	else if (trust_verify_cert(store, leaf, certs, o->at, &ce) < 0)
		snprintf(detail, n, "%s", ce.msg);
	else
		ok = 1;
	if (ok) {
		char who[256];
		subject_line(leaf, who, sizeof(who));
		snprintf(detail, n, "trusted: %s", who);
	}
	X509_STORE_free(store);
	return ok;
}

int verify_xml_file(const char *path, const struct verify_options *o, json_t *checks,
    struct err *e)
{
	int rc = -1;
	struct buf b = { 0 };
	xmlDocPtr doc = NULL;
	STACK_OF(X509) *certs = NULL;
	char sig_detail[ERR_MAX], cert_detail[ERR_MAX];
	if (signer_xml_init(e) < 0)
		return -1;
	if (file_read_all(path, XML_MAX_BYTES, &b, e) < 0)
		return -1;
	xmlNodePtr sig = NULL;
	if ((doc = parse_xml(&b, e)) == NULL || (sig = find_signature(doc, e)) == NULL) {
		add_check(checks, "xml-signature", 0, e->msg);
		goto out;
	}
	certs = key_info_certs(sig);
	X509 *leaf = leaf_certificate(certs);
	int sig_ok = check_signature(sig, leaf, sig_detail, sizeof(sig_detail));
	add_check(checks, "xml-signature", sig_ok, sig_detail);
	int cert_ok = check_certificate(certs, leaf, o, cert_detail, sizeof(cert_detail));
	add_check(checks, "xml-certificate", cert_ok, cert_detail);
	if (!sig_ok || !cert_ok)
		err_set(e, "%s", !sig_ok ? sig_detail : cert_detail);
	else
		rc = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	xmlFreeDoc(doc);
	free(b.data);
	return rc;
}
