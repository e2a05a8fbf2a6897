/* xmldsig_sign and verify_xml_file with dev PKI keys (RSA and EC P-256),
 * cross-checked with the xmlsec1 command and the e-result schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "pipeline/pipeline.h"
#include "signer/signer.h"
#include "tests/unit/unit_shell.h"

#define SCHEMA "docs/eresult-1.0.xsd"
#define PIN "mật khẩu 2468"
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define ID "5f1d2c3b4a5968778695a4b3c2d1e0f0123456789abcdef0123456789abcdef0"
#define PDF_SHA "aa00bb11cc22dd33ee44ff5566778899aabbccddeeff00112233445566778899"

/* One key kind: its dev PKI, the signer, and the file it signed. */
struct kind {
	const char *name;      /* "rsa", "ec" */
	char dir[128];
	struct signer *signer;
	char signed_xml[160];
	const char *method;    /* SignatureMethod Algorithm */
};

struct fixture {
	char dir[64];
	char pin_file[96];
	char other_ca[128];    /* a CA that issued neither signer */
	int have_xmlsec1;
	struct kind rsa, ec;
};

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static json_t *result_object(void)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:b, s:s}",
	    "id", ID, "result_code", "000.00.12.H29-240129-0042-KQ1",
	    "source", "inbox/counter-1/scan0042.tif", "received_at", "2026-11-22T09:10:02+07:00",
	    "pages", 2, "kind", "document", "review", 0,
	    "text", "ỦY BAN NHÂN DÂN\nTỈNH HƯNG YÊN\nSố: 2684/QĐ-UBND\n"
	    "Hưng Yên, ngày 12 tháng 12 năm 2023\nQUYẾT ĐỊNH\fĐiều 1. Ban hành kèm theo "
	    "Quyết định này Kế hoạch kiểm soát thủ tục hành chính.\nCHỦ TỊCH\nTrần Quốc Văn");
	json_object_set_new(r, "fields", json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s, s:n, s:s, s:n, s:n, s:n}",
	    "type", "QUYẾT ĐỊNH", "number", "2684/QĐ-UBND",
	    "issuer", "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN", "issuer_parent",
	    "place", "Hưng Yên", "date", "2023-12-12",
	    "subject", "BAN HÀNH KẾ HOẠCH KIỂM SOÁT THỦ TỤC HÀNH CHÍNH NĂM 2024",
	    "signer", "Trần Quốc Văn", "signer_role", "CHỦ TỊCH",
	    "dossier_code", "000.00.12.H29-240129-0042", "citizen_id", "033190001234",
	    "tax_code", "applicant", "Phạm Văn Hùng", "procedure", "received", "due"));
	json_object_set_new(r, "ocr", json_pack("{s:s, s:f, s:[{s:f}, {s:f}]}",
	    "engine", "5.3.0", "mean_confidence", 90.5, "pages", "confidence", 92.0,
	    "confidence", 89.0));
	return r;
}

static xmlDocPtr build_eresult(void)
{
	struct package_info pi = {
		.copy_form = "SAO Y", .agency_name = "Ủy ban nhân dân phường Bến Nghé",
		.agency_code = "000.00.12.H29", .operator_name = "Nguyễn Thị Lan",
		.counter = "counter-1", .signing_time = time(NULL),
	};
	struct err e = { 0 };
	xmlDocPtr doc = NULL;
	json_t *r = result_object();
	if (eresult_build(r, &pi, PDF_SHA, &doc, &e) != 0)
		fail_msg("eresult_build: %s", e.msg);
	json_decref(r);
	return doc;
}

/* Writes doc as job.c does: the bytes signed, no re-formatting. */
static void write_doc(xmlDocPtr doc, const char *path)
{
	xmlChar *mem = NULL;
	int len = 0;
	struct err e = { 0 };
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	assert_non_null(mem);
	assert_int_equal(file_write_atomic(path, mem, (size_t)len, 0644, &e), 0);
	xmlFree(mem);
}

static int make_pki(const char *dir, int ec)
{
	struct err e = { 0 };
	struct devpki_request req = { .dir = dir, .agency_name = "Ủy ban nhân dân phường Bến Nghé",
	    .pin = PIN, .ec = ec };
	if (mkdir(dir, 0700) < 0 || devpki_create(&req, &e) < 0) {
		fprintf(stderr, "devpki_create %s: %s\n", dir, e.msg);
		return -1;
	}
	return 0;
}

static int open_kind(struct fixture *f, struct kind *k, const char *name, int ec)
{
	struct err e = { 0 };
	k->name = name;
	k->method = ec ? "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" :
	    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
	snprintf(k->dir, sizeof(k->dir), "%s/%s", f->dir, name);
	snprintf(k->signed_xml, sizeof(k->signed_xml), "%s/signed-%s.xml", f->dir, name);
	if (make_pki(k->dir, ec) < 0)
		return -1;
	char *p12 = xasprintf("%s/signer.p12", k->dir);
	struct signer_config c = { .pkcs12 = p12, .pin_file = f->pin_file };
	int rc = signer_open(&c, &k->signer, &e);
	free(p12);
	if (rc < 0) {
		fprintf(stderr, "signer_open %s: %s\n", name, e.msg);
		return -1;
	}
	/* Every test reads this file; the ones that alter it work on a copy. */
	xmlDocPtr doc = build_eresult();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = xmldsig_sign(k->signer, doc, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc < 0) {
		fprintf(stderr, "xmldsig_sign %s: %s\n", name, e.msg);
		xmlFreeDoc(doc);
		return -1;
	}
	fprintf(stderr, "xmldsig_sign (%s, first: makes the stand-in key): %.3f s\n",
	    signer_key_kind(k->signer),
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	write_doc(doc, k->signed_xml);
	xmlFreeDoc(doc);
	return 0;
}

static int group_setup(void **state)
{
	static struct fixture f;
	struct err e = { 0 };
	snprintf(f.dir, sizeof(f.dir), "/tmp/test_xmldsig.XXXXXX");
	if (mkdtemp(f.dir) == NULL || signer_xml_init(&e) < 0)
		return -1;
	snprintf(f.pin_file, sizeof(f.pin_file), "%s/pin", f.dir);
	if (file_write_atomic(f.pin_file, PIN "\n", strlen(PIN) + 1, 0600, &e) < 0)
		return -1;
	char *other = xasprintf("%s/other", f.dir);
	int rc = make_pki(other, 0);
	snprintf(f.other_ca, sizeof(f.other_ca), "%s/ca.pem", other);
	free(other);
	if (rc < 0 || open_kind(&f, &f.rsa, "rsa", 0) < 0 || open_kind(&f, &f.ec, "ec", 1) < 0)
		return -1;
	f.have_xmlsec1 = sh("command -v xmlsec1 >/dev/null 2>&1") == 0;
	if (!f.have_xmlsec1)
		fprintf(stderr, "xmlsec1 is not installed: no cross-check with it\n");
	*state = &f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	signer_close(f->rsa.signer);
	signer_close(f->ec.signer);
	signer_xml_cleanup();
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* xmlsec1 --verify's exit status; its output must say OK, or FAIL/ERROR. */
static int xmlsec1_verify(const char *xml, const char *ca)
{
	char *out = xasprintf("%s.xmlsec1.out", xml);
	int rc = sh("xmlsec1 --verify --trusted-pem %s %s > %s 2>&1", ca, xml, out);
	struct buf b = { 0 };
	struct err e = { 0 };
	assert_int_equal(file_read_all(out, 1 << 20, &b, &e), 0);
	buf_append(&b, "", 1);
	int ok_line = strncmp(b.data, "OK\n", 3) == 0 || strstr(b.data, "\nOK\n") != NULL;
	if (rc == 0 && !ok_line)
		fail_msg("xmlsec1 exit 0 without OK: %s", b.data);
	if (rc != 0 && strstr(b.data, "FAIL") == NULL && strstr(b.data, "ERROR") == NULL)
		fail_msg("xmlsec1 exit %d without FAIL: %s", rc, b.data);
	free(b.data);
	free(out);
	return rc;
}

/* verify_xml_file's checks, by name; rc is its return value. */
struct outcome {
	int rc;
	int sig_ok, cert_ok;
	char sig_detail[512], cert_detail[512];
	char msg[512];
};

static struct outcome verify(const char *xml, const char *trust, time_t at)
{
	struct outcome o = { .sig_ok = -1, .cert_ok = -1 };
	struct verify_options vo = { .trust = trust, .at = at };
	struct err e = { 0 };
	json_t *checks = json_array();
	o.rc = verify_xml_file(xml, &vo, checks, &e);
	snprintf(o.msg, sizeof(o.msg), "%s", e.msg);
	if (getenv("TEST_VERBOSE") != NULL) {
		char *d = json_dumps(checks, JSON_COMPACT);
		print_message("%s: %s\n", strrchr(xml, '/') + 1, d);
		free(d);
	}
	size_t i;
	json_t *c;
	json_array_foreach(checks, i, c) {
		const char *name = json_string_value(json_object_get(c, "check"));
		const char *detail = json_string_value(json_object_get(c, "detail"));
		int ok = json_is_true(json_object_get(c, "ok"));
		assert_non_null(name);
		assert_non_null(detail);
		if (strcmp(name, "xml-signature") == 0) {
			o.sig_ok = ok;
			snprintf(o.sig_detail, sizeof(o.sig_detail), "%s", detail);
		} else if (strcmp(name, "xml-certificate") == 0) {
			o.cert_ok = ok;
			snprintf(o.cert_detail, sizeof(o.cert_detail), "%s", detail);
		} else {
			fail_msg("unexpected check %s", name);
		}
	}
	json_decref(checks);
	return o;
}

static char *ca_of(const struct kind *k)
{
	return xasprintf("%s/ca.pem", k->dir);
}

/* A copy of k's signed file with the first `from` replaced by `to`. */
static char *altered_copy(struct fixture *f, const struct kind *k, const char *name,
    const char *from, const char *to)
{
	struct buf b = { 0 }, out = { 0 };
	struct err e = { 0 };
	assert_int_equal(file_read_all(k->signed_xml, 1 << 22, &b, &e), 0);
	buf_append(&b, "", 1);
	char *at = strstr(b.data, from);
	if (at == NULL)
		fail_msg("%s not in %s", from, k->signed_xml);
	buf_append(&out, b.data, (size_t)(at - b.data));
	buf_append(&out, to, strlen(to));
	buf_append(&out, at + strlen(from), strlen(at + strlen(from)));
	char *path = xasprintf("%s/%s-%s.xml", f->dir, name, k->name);
	assert_int_equal(file_write_atomic(path, out.data, out.len, 0644, &e), 0);
	free(b.data);
	free(out.data);
	return path;
}

static void signed_file_verifies(struct fixture *f, struct kind *k)
{
	char *ca = ca_of(k);
	struct outcome o = verify(k->signed_xml, ca, 0);
	if (o.rc != 0)
		fail_msg("verify_xml_file: %s", o.msg);
	assert_int_equal(o.sig_ok, 1);
	assert_int_equal(o.cert_ok, 1);
	assert_non_null(strstr(o.sig_detail, "valid"));
	assert_non_null(strstr(o.cert_detail, "Bến Nghé"));
	if (f->have_xmlsec1)
		assert_int_equal(xmlsec1_verify(k->signed_xml, ca), 0);
	free(ca);
}

static void test_rsa_verifies(void **state)
{
	struct fixture *f = *state;
	signed_file_verifies(f, &f->rsa);
}

static void test_ec_verifies(void **state)
{
	struct fixture *f = *state;
	signed_file_verifies(f, &f->ec);
}

/* One letter of the OCR text changed: both verifiers refuse, and ours says
 * the content changed while the certificate still holds. */
static void text_change_detected(struct fixture *f, struct kind *k)
{
	char *ca = ca_of(k);
	char *path = altered_copy(f, k, "text", "Kế hoạch kiểm soát", "Kế hoạch kiểm xoát");
	struct outcome o = verify(path, ca, 0);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.sig_ok, 0);
	assert_non_null(strstr(o.sig_detail, "signature does not match"));
	assert_non_null(strstr(o.sig_detail, "changed after it was signed"));
	assert_int_equal(o.cert_ok, 1);
	assert_non_null(strstr(o.msg, "changed"));
	if (f->have_xmlsec1)
		assert_int_not_equal(xmlsec1_verify(path, ca), 0);
	free(path);
	free(ca);
}

static void test_rsa_text_change_detected(void **state)
{
	struct fixture *f = *state;
	text_change_detected(f, &f->rsa);
}

static void test_ec_text_change_detected(void **state)
{
	struct fixture *f = *state;
	text_change_detected(f, &f->ec);
}

/* Signed right, but by a CA the trust file does not hold. */
static void test_other_ca_untrusted(void **state)
{
	struct fixture *f = *state;
	struct kind *kinds[] = { &f->rsa, &f->ec };
	for (int i = 0; i < 2; i++) {
		struct outcome o = verify(kinds[i]->signed_xml, f->other_ca, 0);
		assert_int_equal(o.rc, -1);
		assert_int_equal(o.sig_ok, 1);
		assert_int_equal(o.cert_ok, 0);
		assert_true(strncmp(o.cert_detail, "untrusted: ", 11) == 0);
		if (f->have_xmlsec1)
			assert_int_not_equal(xmlsec1_verify(kinds[i]->signed_xml,
			    f->other_ca), 0);
	}
}

/* In 2040 the dev signer certificate (3 years) has long expired. */
static void test_expired_at_later_time(void **state)
{
	struct fixture *f = *state;
	char *ca = ca_of(&f->rsa);
	struct outcome o = verify(f->rsa.signed_xml, ca, (time_t)2208988800);
	assert_int_equal(o.sig_ok, 1);
	assert_int_equal(o.cert_ok, 0);
	assert_non_null(strstr(o.cert_detail, "untrusted: "));
	assert_non_null(strstr(o.cert_detail, "expired"));
	free(ca);
}

static void test_signed_file_still_valid_xsd(void **state)
{
	struct fixture *f = *state;
	if (sh("command -v xmllint >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(access(SCHEMA, R_OK), 0);
	assert_int_equal(sh("xmllint --noout --schema %s %s %s 2>/dev/null", SCHEMA,
	    f->rsa.signed_xml, f->ec.signed_xml), 0);
}

static xmlXPathObjectPtr xp(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(o);
	return o;
}

static char *xp_attr(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xp(ctx, expr);
	assert_int_equal(o->nodesetval ? o->nodesetval->nodeNr : 0, 1);
	char *s = (char *)xmlNodeGetContent(o->nodesetval->nodeTab[0]);
	xmlXPathFreeObject(o);
	return s;
}

static int xp_count(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xp(ctx, expr);
	int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	return n;
}

/* The first X509Certificate is the signer's; ECDSA values are r||s (64 bytes). */
static void check_structure(struct kind *k)
{
	xmlDocPtr doc = xmlReadFile(k->signed_xml, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "ds", BAD_CAST DSIG_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "e", BAD_CAST ERESULT_NS);
	assert_int_equal(xp_count(ctx, "/e:EResult/*[last()][self::ds:Signature]"), 1);
	char *s = xp_attr(ctx, "//ds:SignatureMethod/@Algorithm");
	assert_string_equal(s, k->method);
	xmlFree(s);
	s = xp_attr(ctx, "//ds:CanonicalizationMethod/@Algorithm");
	assert_string_equal(s, "http://www.w3.org/2001/10/xml-exc-c14n#");
	xmlFree(s);
	s = xp_attr(ctx, "//ds:Reference/@URI");
	assert_string_equal(s, "");
	xmlFree(s);
	s = xp_attr(ctx, "//ds:DigestMethod/@Algorithm");
	assert_string_equal(s, "http://www.w3.org/2001/04/xmlenc#sha256");
	xmlFree(s);
	assert_int_equal(xp_count(ctx, "//ds:Reference/ds:Transforms/ds:Transform[@Algorithm="
	    "'http://www.w3.org/2000/09/xmldsig#enveloped-signature']"), 1);
	assert_int_equal(xp_count(ctx, "//ds:KeyInfo/ds:X509Data/ds:X509Certificate"), 2);
	assert_int_equal(xp_count(ctx, "//ds:KeyInfo/ds:KeyValue"), 0);

	/* signer.pem, base64 without line breaks, equals the first certificate */
	s = xp_attr(ctx, "//ds:X509Certificate[1]");
	char *pem = xasprintf("%s/signer.pem", k->dir);
	FILE *fp = fopen(pem, "r");
	assert_non_null(fp);
	X509 *want = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	BIO *b64 = BIO_push(BIO_new(BIO_f_base64()), BIO_new_mem_buf(s, -1));
	X509 *got = d2i_X509_bio(b64, NULL);
	assert_non_null(got);
	assert_int_equal(X509_cmp(got, want), 0);
	X509_free(got);
	X509_free(want);
	BIO_free_all(b64);
	free(pem);
	xmlFree(s);

	s = xp_attr(ctx, "//ds:SignatureValue");
	b64 = BIO_push(BIO_new(BIO_f_base64()), BIO_new_mem_buf(s, -1));
	unsigned char raw[1024];
	int n = BIO_read(b64, raw, sizeof(raw));
	assert_int_equal(n, strcmp(k->name, "ec") == 0 ? 64 : 384);
	BIO_free_all(b64);
	xmlFree(s);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
}

static void test_structure(void **state)
{
	struct fixture *f = *state;
	check_structure(&f->rsa);
	check_structure(&f->ec);
}

/* A changed SignatureValue: the references hold, the signature does not. */
static void test_signature_value_change_detected(void **state)
{
	struct fixture *f = *state;
	char *ca = ca_of(&f->rsa);
	char *path = altered_copy(f, &f->rsa, "sigvalue", "<ds:SignatureValue>\n",
	    "<ds:SignatureValue>\nAAAA");
	struct outcome o = verify(path, ca, 0);
	assert_int_equal(o.sig_ok, 0);
	assert_non_null(strstr(o.sig_detail, "signature does not match"));
	if (f->have_xmlsec1)
		assert_int_not_equal(xmlsec1_verify(path, ca), 0);
	free(path);
	free(ca);
}

/* A Reference to anything but the whole document is not followed. */
static void test_external_reference_refused(void **state)
{
	struct fixture *f = *state;
	char *ca = ca_of(&f->rsa);
	char *path = altered_copy(f, &f->rsa, "uri", "URI=\"\"",
	    "URI=\"http://127.0.0.1:9/e-result.xml\"");
	struct outcome o = verify(path, ca, 0);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.sig_ok, 0);
	free(path);
	free(ca);
}

static void test_unsigned_and_broken_files(void **state)
{
	struct fixture *f = *state;
	char *ca = ca_of(&f->rsa);
	char *plain = xasprintf("%s/unsigned.xml", f->dir);
	xmlDocPtr doc = build_eresult();
	write_doc(doc, plain);
	xmlFreeDoc(doc);
	struct outcome o = verify(plain, ca, 0);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.sig_ok, 0);
	assert_non_null(strstr(o.sig_detail, "no XML signature"));

	char *broken = altered_copy(f, &f->rsa, "broken", "</EResult>", "</EResul>");
	o = verify(broken, ca, 0);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.sig_ok, 0);
	assert_non_null(strstr(o.sig_detail, "not well-formed"));

	char *dtd = altered_copy(f, &f->rsa, "doctype", "<EResult",
	    "<!DOCTYPE EResult [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<EResult");
	o = verify(dtd, ca, 0);
	assert_int_equal(o.rc, -1);
	assert_non_null(strstr(o.sig_detail, "DOCTYPE"));

	struct err e = { 0 };
	struct verify_options vo = { .trust = ca };
	json_t *checks = json_array();
	assert_int_equal(verify_xml_file("/nonexistent/x.xml", &vo, checks, &e), -1);
	assert_true(e.msg[0] != '\0');
	json_decref(checks);
	free(dtd);
	free(broken);
	free(plain);
	free(ca);
}

static void test_sign_twice_refused(void **state)
{
	struct fixture *f = *state;
	struct err e = { 0 };
	xmlDocPtr doc = build_eresult();
	assert_int_equal(xmldsig_sign(f->rsa.signer, doc, &e), 0);
	assert_int_equal(xmldsig_sign(f->ec.signer, doc, &e), -1);
	assert_non_null(strstr(e.msg, "already signed"));
	xmlFreeDoc(doc);
}

/* The stand-in keys exist once: later signatures cost one real signature. */
static void test_signing_speed(void **state)
{
	struct fixture *f = *state;
	struct err e = { 0 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10; i++) {
		xmlDocPtr doc = build_eresult();
		assert_int_equal(xmldsig_sign(i % 2 ? f->ec.signer : f->rsa.signer, doc, &e), 0);
		xmlFreeDoc(doc);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("10 e-results built and signed (RSA-3072, EC-P-256): %.3f s\n", s);
	assert_true(s < 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_verifies),
		cmocka_unit_test(test_ec_verifies),
		cmocka_unit_test(test_rsa_text_change_detected),
		cmocka_unit_test(test_ec_text_change_detected),
		cmocka_unit_test(test_other_ca_untrusted),
		cmocka_unit_test(test_expired_at_later_time),
		cmocka_unit_test(test_signed_file_still_valid_xsd),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_signature_value_change_detected),
		cmocka_unit_test(test_external_reference_refused),
		cmocka_unit_test(test_unsigned_and_broken_files),
		cmocka_unit_test(test_sign_twice_refused),
		cmocka_unit_test(test_signing_speed),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
