/*
 * verify_pdf: `sohoa verify` of a signed PDF. The last signature field's
 * byte range, its CMS signature, the signer's chain against the trust store,
 * and the RFC 3161 timestamp when there is one. qpdf only reads.
 */
#include "signer_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/ts.h>
#include <qpdf/qpdf-c.h>

#define PDF_MAX ((size_t)1 << 30)
#define FIELD_DEPTH 8

/* The last signature of the document, as qpdf reads it. */
struct pdf_sig {
	long long range[4];
	unsigned char *contents;  /* the /Contents bytes, padding included; ours */
	size_t contents_len;
};

/* What the CMS checks share; certs and signer belong to this struct. */
struct cms_sig {
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;       /* the CMS's */
	STACK_OF(X509) *certs;    /* owned */
	X509 *signer;             /* one of certs */
};

static void add_check(json_t *checks, const char *name, int ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_check(json_t *checks, const char *name, int ok, const char *fmt, ...)
{
	char detail[ERR_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_t *d = json_string(detail);
	if (d == NULL) /* cut inside a UTF-8 sequence, or odd bytes in a name */
		d = json_string("(the detail is not valid UTF-8)");
	json_array_append_new(checks, json_pack("{s:s, s:b, s:o}", "check", name, "ok", ok,
	    "detail", d));
}

static const char *ossl_reason(void)
{
	unsigned long code = ERR_peek_last_error();
	const char *r = code != 0 ? ERR_reason_error_string(code) : NULL;
	ERR_clear_error();
	return r != NULL ? r : "unknown reason";
}

/* A certificate's subject, one line, UTF-8 (RFC 2253 order). */
static void subject_line(X509 *x, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;
	if (b == NULL)
		fatalx("out of memory");
	X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_read(b, out, (int)size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

/* ---- finding the signature ----------------------------------------------- */

/* The last field with /FT /Sig (possibly inherited) and a /V dictionary. */
static void walk_fields(qpdf_data q, qpdf_oh fields, int sig_type, int depth, qpdf_oh *found,
    int *have)
{
	int n = qpdf_oh_get_array_n_items(q, fields);
	for (int i = 0; i < n; i++) {
		qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
		if (!qpdf_oh_is_dictionary(q, f))
			continue;
		int is_sig = sig_type;
		qpdf_oh ft = qpdf_oh_get_key(q, f, "/FT");
		if (qpdf_oh_is_name(q, ft))
			is_sig = qpdf_oh_is_name_and_equals(q, ft, "/Sig");
		qpdf_oh v = qpdf_oh_get_key(q, f, "/V");
		if (is_sig && qpdf_oh_is_dictionary(q, v)) {
			*found = v;
			*have = 1;
		}
		qpdf_oh kids = qpdf_oh_get_key(q, f, "/Kids");
		if (qpdf_oh_is_array(q, kids) && depth < FIELD_DEPTH)
			walk_fields(q, kids, is_sig, depth + 1, found, have);
	}
}

static int read_sig_dict(qpdf_data q, qpdf_oh v, struct pdf_sig *s, struct err *e)
{
	qpdf_oh br = qpdf_oh_get_key(q, v, "/ByteRange");
	if (!qpdf_oh_is_array(q, br) || qpdf_oh_get_array_n_items(q, br) != 4) {
		err_set(e, "the signature has no /ByteRange of four numbers");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		qpdf_oh item = qpdf_oh_get_array_item(q, br, i);
		if (!qpdf_oh_is_integer(q, item)) {
			err_set(e, "the signature's /ByteRange holds a non-integer");
			return -1;
		}
		s->range[i] = qpdf_oh_get_int_value(q, item);
	}
	qpdf_oh c = qpdf_oh_get_key(q, v, "/Contents");
	if (!qpdf_oh_is_string(q, c)) {
		err_set(e, "the signature has no /Contents string");
		return -1;
	}
	size_t len = 0;
	const char *p = qpdf_oh_get_binary_string_value(q, c, &len);
	s->contents = xmalloc(len + 1);
	memcpy(s->contents, p, len);
	s->contents_len = len;
	return 0;
}

/* 0: found; 1: the PDF has no signature; -1: qpdf cannot read it (e). */
static int find_signature(const char *path, const struct buf *pdf, struct pdf_sig *s,
    struct err *e)
{
	int rc = -1, have = 0;
	qpdf_oh found = 0;
	qpdf_data q = qpdf_init();
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	if (qpdf_read_memory(q, path, pdf->data, (unsigned long long)pdf->len, NULL) &
	    QPDF_ERRORS)
		goto qpdf_error;
	qpdf_oh form = qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm");
	qpdf_oh fields = qpdf_oh_is_dictionary(q, form) ?
	    qpdf_oh_get_key(q, form, "/Fields") : qpdf_oh_new_null(q);
	if (qpdf_oh_is_array(q, fields))
		walk_fields(q, fields, 0, 0, &found, &have);
	if (qpdf_has_error(q))
		goto qpdf_error;
	rc = have ? read_sig_dict(q, found, s, e) : 1;
	goto out;
qpdf_error:
	err_set(e, "cannot read the PDF: %s", qpdf_get_error_full_text(q, qpdf_get_error(q)));
out:
	qpdf_cleanup(&q);
	return rc;
}

/* ---- pdf-byte-range ------------------------------------------------------ */

static int ranges_fit(const long long r[4], size_t len)
{
	return r[0] == 0 && r[1] > 0 && r[2] > r[1] && r[3] >= 0 &&
	    (unsigned long long)r[2] <= len && (unsigned long long)r[3] <= len - (size_t)r[2];
}

static int hex_value(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* The gap is exactly <hex>, and the hex is the /Contents qpdf read. */
static int gap_is_contents(const struct buf *pdf, const long long r[4], const struct pdf_sig *s)
{
	const unsigned char *p = (const unsigned char *)pdf->data + r[1];
	if (r[2] - r[1] < 2)
		return 0;
	size_t digits = (size_t)(r[2] - r[1]) - 2;
	if (p[0] != '<' || p[digits + 1] != '>' || digits % 2 != 0 || digits / 2 != s->contents_len)
		return 0;
	for (size_t i = 0; i < digits; i += 2) {
		if (!isxdigit(p[1 + i]) || !isxdigit(p[2 + i]) ||
		    (hex_value(p[1 + i]) << 4 | hex_value(p[2 + i])) != s->contents[i / 2])
			return 0;
	}
	return 1;
}

static int check_byte_range(const struct buf *pdf, const struct pdf_sig *s, json_t *checks)
{
	const long long *r = s->range;
	const char *name = "pdf-byte-range";
	if (!ranges_fit(r, pdf->len)) {
		add_check(checks, name, 0, "the byte range [%lld %lld %lld %lld] does not fit "
		    "the file (%zu bytes)", r[0], r[1], r[2], r[3], pdf->len);
		return 0;
	}
	if (!gap_is_contents(pdf, r, s)) {
		add_check(checks, name, 0, "the part left out of the byte range is not exactly "
		    "the signature value");
		return 0;
	}
	size_t end = (size_t)(r[2] + r[3]);
	if (end < pdf->len) {
		add_check(checks, name, 0, "the document was changed after signing (bytes after "
		    "the signed range: %zu)", pdf->len - end);
		return 0;
	}
	add_check(checks, name, 1, "covers the whole document (%zu bytes) but the signature "
	    "value", pdf->len);
	return 1;
}

/* ---- pdf-signature ------------------------------------------------------- */

/* Parses a SignedData with one signer whose certificate it carries; NULL or why not. */
static const char *open_cms(const unsigned char *der, size_t len, struct cms_sig *c)
{
	const char *why = NULL;
	c->cms = d2i_CMS_ContentInfo(NULL, &der, (long)len);
	if (c->cms == NULL || OBJ_obj2nid(CMS_get0_type(c->cms)) != NID_pkcs7_signed)
		why = "the signature value is not a CMS SignedData";
	else if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(c->cms)) != 1)
		why = "the CMS SignedData does not have exactly one signer";
	if (why == NULL) {
		c->si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(c->cms), 0);
		c->certs = CMS_get1_certs(c->cms);
		for (int i = 0; i < sk_X509_num(c->certs) && c->signer == NULL; i++) {
			if (CMS_SignerInfo_cert_cmp(c->si, sk_X509_value(c->certs, i)) == 0)
				c->signer = sk_X509_value(c->certs, i);
		}
		if (c->signer == NULL)
			why = "the CMS does not carry the signer's certificate";
	}
	ERR_clear_error();
	return why;
}

/* The message-digest attribute against the digest of the signed bytes; NULL or why not. */
static const char *digest_problem(const struct cms_sig *c, const unsigned char *data,
    size_t len, const EVP_MD **md)
{
	X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	CMS_SignerInfo_get0_algs(c->si, NULL, NULL, &alg, NULL);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if ((*md = EVP_get_digestbyobj(obj)) == NULL ||
	    EVP_Digest(data, len, h, &hlen, *md, NULL) != 1)
		return "the digest algorithm is unknown";
	ASN1_OCTET_STRING *want = CMS_signed_get0_data_by_OBJ(c->si,
	    OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	if (want == NULL)
		return "the signature has no message-digest attribute";
	if ((unsigned)ASN1_STRING_length(want) != hlen ||
	    memcmp(ASN1_STRING_get0_data(want), h, hlen) != 0)
		return "digest mismatch: the document was changed after it was signed";
	return NULL;
}

/* signing-certificate(-v2) names the certificate that verified (PAdES, RFC 5035). */
static int ess_matches(const struct cms_sig *c)
{
	ESS_SIGNING_CERT_V2 *v2 = NULL;
	ESS_SIGNING_CERT *v1 = NULL;
	ASN1_STRING *a;
	const unsigned char *p;
	STACK_OF(X509) *chain = sk_X509_new_null();
	if (chain == NULL || !sk_X509_push(chain, c->signer))
		fatalx("out of memory");
	a = CMS_signed_get0_data_by_OBJ(c->si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2),
	    -3, V_ASN1_SEQUENCE);
	if (a != NULL && (p = ASN1_STRING_get0_data(a)) != NULL)
		v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(a));
	a = CMS_signed_get0_data_by_OBJ(c->si, OBJ_nid2obj(NID_id_smime_aa_signingCertificate),
	    -3, V_ASN1_SEQUENCE);
	if (a != NULL && (p = ASN1_STRING_get0_data(a)) != NULL)
		v1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(a));
	int ok = OSSL_ESS_check_signing_certs(v1, v2, chain, 1) == 1;
	ESS_SIGNING_CERT_V2_free(v2);
	ESS_SIGNING_CERT_free(v1);
	sk_X509_free(chain);
	ERR_clear_error();
	return ok;
}

static int check_signature(const struct cms_sig *c, const unsigned char *data, size_t len,
    json_t *checks)
{
	const char *name = "pdf-signature";
	const EVP_MD *md = NULL;
	const char *why = digest_problem(c, data, len, &md);
	char who[256];
	if (why != NULL) {
		add_check(checks, name, 0, "%s", why);
		return 0;
	}
	BIO *in = BIO_new_mem_buf(data, (int)len);
	if (in == NULL)
		fatalx("out of memory");
	int ok = CMS_verify(c->cms, NULL, NULL, in, NULL,
	    CMS_BINARY | CMS_DETACHED | CMS_NO_SIGNER_CERT_VERIFY) == 1;
	BIO_free(in);
	if (!ok) {
		add_check(checks, name, 0, "the signature value does not verify: %s",
		    ossl_reason());
		return 0;
	}
	if (!ess_matches(c)) {
		add_check(checks, name, 0, "the signing-certificate attribute does not name "
		    "the signer's certificate");
		return 0;
	}
	subject_line(c->signer, who, sizeof(who));
	add_check(checks, name, 1, "CMS signature (%s, %d signed attributes%s) by %s",
	    EVP_MD_get0_name(md), CMS_signed_get_attr_count(c->si),
	    CMS_signed_get_attr_by_NID(c->si, NID_pkcs9_signingTime, -1) >= 0 ?
	    ", with signing-time" : "", who);
	return 1;
}

/* ---- pdf-certificate ----------------------------------------------------- */

static int check_certificate(const struct cms_sig *c, X509_STORE *store, const char *why,
    time_t at, json_t *checks)
{
	struct err e = {0};
	char who[256];
	if (store == NULL) {
		add_check(checks, "pdf-certificate", 0, "untrusted: %s", why);
		return 0;
	}
	if (trust_verify_cert(store, c->signer, c->certs, at, &e) < 0) {
		add_check(checks, "pdf-certificate", 0, "%s", e.msg);
		return 0;
	}
	subject_line(c->signer, who, sizeof(who));
	add_check(checks, "pdf-certificate", 1, "trusted: %s", who);
	return 1;
}

/* ---- pdf-timestamp ------------------------------------------------------- */

/* The token's own signature (integrity), and its TSA against the trust store. */
static int check_token_cms(const unsigned char *der, long len, X509_STORE *store, time_t at,
    char *tsa, size_t tsa_size, struct err *e)
{
	struct cms_sig t = {0};
	int rc = -1;
	if (open_cms(der, (size_t)len, &t) != NULL) {
		err_set(e, "the timestamp token is not a signed CMS with its TSA certificate");
		goto out;
	}
	if (CMS_verify(t.cms, NULL, NULL, NULL, NULL, CMS_BINARY |
		CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		err_set(e, "the timestamp token's signature does not verify: %s", ossl_reason());
		goto out;
	}
	subject_line(t.signer, tsa, tsa_size);
	if (store == NULL) {
		err_set(e, "the TSA certificate cannot be checked without a trust store");
		goto out;
	}
	if (trust_verify_cert(store, t.signer, t.certs, at, e) < 0) {
		err_prefix(e, "TSA certificate (%s)", tsa);
		goto out;
	}
	rc = 0;
out:
	sk_X509_pop_free(t.certs, X509_free);
	CMS_ContentInfo_free(t.cms);
	return rc;
}

/* The imprint must be over the signature value; *when gets genTime. */
static int imprint_matches(const struct cms_sig *c, const unsigned char *der, long len,
    char when[32])
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
	TS_TST_INFO *tst = p7 != NULL ? PKCS7_to_TS_TST_INFO(p7) : NULL;
	int ok = 0;
	if (tst != NULL) {
		TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
		const ASN1_OBJECT *obj = NULL;
		X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
		const EVP_MD *md = EVP_get_digestbyobj(obj);
		ASN1_OCTET_STRING *got = TS_MSG_IMPRINT_get_msg(mi);
		ASN1_OCTET_STRING *sigval = CMS_SignerInfo_get0_signature(c->si);
		unsigned char h[EVP_MAX_MD_SIZE];
		unsigned hlen = 0;
		struct tm tm;
		ok = md != NULL && EVP_Digest(ASN1_STRING_get0_data(sigval),
		    (size_t)ASN1_STRING_length(sigval), h, &hlen, md, NULL) == 1 &&
		    (unsigned)ASN1_STRING_length(got) == hlen &&
		    memcmp(ASN1_STRING_get0_data(got), h, hlen) == 0;
		if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) == 1)
			time_iso8601_vn(timegm(&tm), when);
	}
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	ERR_clear_error();
	return ok;
}

static int check_timestamp(const struct cms_sig *c, X509_STORE *store, time_t at,
    json_t *checks)
{
	const char *name = "pdf-timestamp";
	int i = CMS_unsigned_get_attr_by_NID(c->si, NID_id_smime_aa_timeStampToken, -1);
	if (i < 0)
		return 1; /* B-B: nothing to check */
	ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(c->si, i), 0);
	char when[32] = "unknown", tsa[256] = "";
	struct err e = {0};
	if (t == NULL || t->type != V_ASN1_SEQUENCE) {
		add_check(checks, name, 0, "the timestamp attribute holds no token");
		return 0;
	}
	const unsigned char *der = ASN1_STRING_get0_data(t->value.sequence);
	long len = ASN1_STRING_length(t->value.sequence);
	if (!imprint_matches(c, der, len, when)) {
		add_check(checks, name, 0, "the timestamp is not over this signature value "
		    "(message imprint mismatch)");
		return 0;
	}
	if (check_token_cms(der, len, store, at, tsa, sizeof(tsa), &e) < 0) {
		add_check(checks, name, 0, "%s", e.msg);
		return 0;
	}
	add_check(checks, name, 1, "timestamp of %s over the signature value, by %s", when, tsa);
	return 1;
}

/* ---- the whole -------------------------------------------------------------- */

/* Checks on a signature that has a usable byte range; 1 when all held. */
static int check_cms(const struct buf *pdf, const struct pdf_sig *s,
    const struct verify_options *o, json_t *checks)
{
	struct cms_sig c = {0};
	struct err e = {0};
	const long long *r = s->range;
	int ok = 0;
	const char *why = open_cms(s->contents, s->contents_len, &c);
	if (why != NULL) {
		add_check(checks, "pdf-signature", 0, "%s", why);
		goto out;
	}
	size_t n1 = (size_t)r[1], n2 = (size_t)r[3];
	unsigned char *data = xmalloc(n1 + n2 + 1);
	memcpy(data, pdf->data, n1);
	memcpy(data + n1, pdf->data + r[2], n2);
	ok = check_signature(&c, data, n1 + n2, checks);
	free(data);
	X509_STORE *store = trust_store_load(o->trust, &e);
	ok &= check_certificate(&c, store, e.msg, o->at, checks);
	ok &= check_timestamp(&c, store, o->at, checks);
	X509_STORE_free(store);
out:
	sk_X509_pop_free(c.certs, X509_free);
	CMS_ContentInfo_free(c.cms);
	return ok;
}

int verify_pdf_file(const char *path, const struct verify_options *o, json_t *checks,
    struct err *e)
{
	static const struct verify_options defaults;
	struct buf pdf = {0};
	struct pdf_sig s = {0};
	int ok = 0;
	if (o == NULL)
		o = &defaults;
	if (file_read_all(path, PDF_MAX, &pdf, e) < 0) {
		err_prefix(e, "%s", path);
		return -1;
	}
	int found = find_signature(path, &pdf, &s, e);
	if (found < 0)
		goto out;
	if (found == 1) {
		add_check(checks, "pdf-signature", 0, "the PDF has no signature (no /Sig field "
		    "with a value)");
		goto out;
	}
	ok = check_byte_range(&pdf, &s, checks);
	if (!ranges_fit(s.range, pdf.len))
		add_check(checks, "pdf-signature", 0, "not checked: the byte range is unusable");
	else
		ok &= check_cms(&pdf, &s, o, checks);
out:
	free(s.contents);
	free(pdf.data);
	return ok ? 0 : -1;
}
