/*
 * cades: the CMS SignedData of a PAdES baseline signature (ETSI EN 319 142-1).
 * Built by hand because OpenSSL 3.0's CMS_final/CMS_SignerInfo_sign always
 * add a signing-time attribute, which PAdES forbids (the time is /M).
 */
#include "signer_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>


/* OpenSSL 3.0's CMS_add1_cert fails on a certificate already present, and a
 * chain file may repeat the signer or a CA that the PKCS#12 also holds. */
static int already_in(CMS_ContentInfo *cms, X509 *x)
{
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	int found = 0;
	for (int i = 0; i < sk_X509_num(certs) && !found; i++)
		found = X509_cmp(sk_X509_value(certs, i), x) == 0;
	sk_X509_pop_free(certs, X509_free);
	return found;
}

/* A SignerInfo without a signature yet: signing-certificate-v2 (CMS_CADES) only. */
static CMS_SignerInfo *add_signer(CMS_ContentInfo *cms, struct signer *s, struct err *e)
{
	CMS_SignerInfo *si = CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(),
	    CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP | CMS_CADES);
	if (si == NULL) {
		ossl_err(e, "cannot add the signer to the CMS structure");
		return NULL;
	}
	for (int i = 0; i < sk_X509_num(s->chain); i++) {
		X509 *x = sk_X509_value(s->chain, i);
		if (already_in(cms, x))
			continue;
		if (CMS_add1_cert(cms, x) != 1) {
			ossl_err(e, "cannot add the certificate chain");
			return NULL;
		}
	}
	return si;
}

static int add_signed_attrs(CMS_SignerInfo *si, const unsigned char digest[32], struct err *e)
{
	if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
		OBJ_nid2obj(NID_pkcs7_data), -1) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
		digest, 32) != 1) {
		ossl_err(e, "cannot add the signed attributes");
		return -1;
	}
	return 0;
}

/* PAdES baseline: exactly content-type, message-digest, signing-certificate-v2. */
static int check_signed_attrs(CMS_SignerInfo *si, struct err *e)
{
	static const int want[] = { NID_pkcs9_contentType, NID_pkcs9_messageDigest,
		NID_id_smime_aa_signingCertificateV2 };
	int n = CMS_signed_get_attr_count(si);
	if (n != 3) {
		err_set(e, "the signer info has %d signed attributes, not the 3 of PAdES", n);
		return -1;
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (CMS_signed_get_attr_by_NID(si, want[i], -1) < 0) {
			err_set(e, "the signed attributes lack %s", OBJ_nid2ln(want[i]));
			return -1;
		}
	}
	return 0;
}

/*
 * The DER that is signed (RFC 5652 §5.4): the attributes as a SET OF with
 * the universal tag, sorted. PKCS7_ATTR_SIGN is OpenSSL's public item for
 * exactly that encoding; it re-orders the (borrowed) stack, not the CMS.
 * *der is OpenSSL's; OPENSSL_free it.
 */
static int signed_attrs_der(CMS_SignerInfo *si, unsigned char **der, int *len, struct err *e)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = sk_X509_ATTRIBUTE_new_null();
	if (attrs == NULL)
		fatalx("out of memory");
	for (int i = 0; i < CMS_signed_get_attr_count(si); i++)
		sk_X509_ATTRIBUTE_push(attrs, CMS_signed_get_attr(si, i));
	*der = NULL;
	*len = ASN1_item_i2d((ASN1_VALUE *)attrs, der, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	sk_X509_ATTRIBUTE_free(attrs); /* the attributes stay the signer info's */
	if (*len <= 0) {
		ossl_err(e, "cannot encode the signed attributes");
		return -1;
	}
	return 0;
}

static int sign_attrs(struct signer *s, CMS_SignerInfo *si, struct err *e)
{
	unsigned char *der = NULL, *sig = NULL;
	size_t siglen = 0;
	int len, rc = -1;
	if (signed_attrs_der(si, &der, &len, e) < 0)
		return -1;
	if (signer_raw_sign(s, der, (size_t)len, &sig, &siglen, e) < 0)
		goto out;
	if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)siglen) != 1)
		fatalx("out of memory");
	rc = 0;
out:
	OPENSSL_free(der);
	free(sig);
	return rc;
}

/* B-T: an RFC 3161 token over the signature value, as an unsigned attribute. */
static int add_timestamp(struct signer *s, CMS_SignerInfo *si, struct err *e)
{
	ASN1_OCTET_STRING *sigval = CMS_SignerInfo_get0_signature(si);
	unsigned char *token = NULL;
	size_t token_len = 0;
	int rc = -1;
	if (tsa_timestamp(s->tsa_url, s->tsa_timeout_s, ASN1_STRING_get0_data(sigval),
		(size_t)ASN1_STRING_length(sigval), &token, &token_len, e) < 0)
		return -1;
	/* V_ASN1_SEQUENCE: the attribute value is the token's DER as it is. */
	if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
		token, (int)token_len) != 1) {
		ossl_err(e, "cannot add the timestamp token");
		goto out;
	}
	rc = 0;
out:
	free(token);
	return rc;
}

static int encode(CMS_ContentInfo *cms, unsigned char **der, size_t *derlen, struct err *e)
{
	int len = i2d_CMS_ContentInfo(cms, NULL);
	if (len <= 0) {
		ossl_err(e, "cannot encode the CMS signature");
		return -1;
	}
	unsigned char *p = xmalloc((size_t)len);
	*der = p; /* handed to the caller, who frees it */
	i2d_CMS_ContentInfo(cms, &p);
	*derlen = (size_t)len;
	return 0;
}

int cades_sign_digest(struct signer *s, const unsigned char digest[32],
    unsigned char **der, size_t *derlen, struct err *e)
{
	int rc = -1;
	CMS_SignerInfo *si;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
	*der = NULL;
	*derlen = 0;
	if (cms == NULL) {
		ossl_err(e, "cannot make a CMS SignedData");
		return -1;
	}
	if ((si = add_signer(cms, s, e)) == NULL ||
	    add_signed_attrs(si, digest, e) < 0 ||
	    check_signed_attrs(si, e) < 0 ||
	    sign_attrs(s, si, e) < 0)
		goto out;
	if (s->tsa_url != NULL && add_timestamp(s, si, e) < 0)
		goto out;
	rc = encode(cms, der, derlen, e);
out:
	CMS_ContentInfo_free(cms);
	return rc;
}
