/*
 * pades_sign_file and verify_pdf_file, judged by outside verifiers: pdfsig
 * (poppler + NSS), qpdf --check, openssl cms -verify; and by our own verifier
 * on good, tampered, extended and wrongly-trusted files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <qpdf/qpdf-c.h>

#include "signer/signer.h"
#include "tests/unit/unit_shell.h"

#define AGENCY "Ủy ban nhân dân phường Bến Nghé"
#define PIN "dev-pin 1234"
#define TSA_SCRIPT "tests/integration/tsa_server.py"
#define REASON "Sao y bản chính"

struct fixture {
	char dir[64];
	struct signer *rsa, *ec;
	char *in, *in_annot;   /* unsigned inputs */
	char *signed_rsa;      /* in, signed once with the RSA key */
	char *nssdb;
};

/* ---- helpers --------------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

/* The standard output of a shell command; the caller frees it. */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
	va_list ap;
	char cmd[4096], chunk[4096];
	struct buf b = {0};
	size_t n;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_append(&b, chunk, n);
	pclose(p);
	buf_append(&b, "", 1);
	return b.data;
}

static struct buf slurp(const char *path)
{
	struct buf b = {0};
	struct err e = {0};
	assert_int_equal(file_read_all(path, 1 << 26, &b, &e), 0);
	return b;
}

static void spit(const char *path, const void *p, size_t n)
{
	struct err e = {0};
	assert_int_equal(file_write_atomic(path, p, n, 0600, &e), 0);
}

/* The dev PKI in base/sub (made on first use), opened with its PIN file. */
static struct signer *open_signer(const char *base, const char *sub, int ec, const char *tsa_url)
{
	char *dir = xasprintf("%s/%s", base, sub);
	struct devpki_request req = { .dir = dir, .agency_name = AGENCY, .pin = PIN, .ec = ec };
	struct err e = {0};
	struct signer *s = NULL;
	char *pin = xasprintf("%s/pin", dir), *p12 = xasprintf("%s/signer.p12", dir);
	if (access(p12, F_OK) != 0 && devpki_create(&req, &e) < 0)
		fail_msg("devpki_create: %s", e.msg);
	spit(pin, PIN "\n", strlen(PIN) + 1);
	struct signer_config c = { .pkcs12 = p12, .pin_file = pin, .tsa_url = tsa_url,
		.tsa_timeout_s = 5 };
	if (signer_open(&c, &s, &e) < 0)
		fail_msg("signer_open: %s", e.msg);
	free(pin);
	free(p12);
	free(dir);
	return s;
}

/* A one-page PDF written by qpdf without object streams; optionally with an annotation. */
static void make_pdf(const char *path, int with_annot)
{
	static const char text[] = "BT /F1 14 Tf 72 760 Td (Quyet dinh so 12/QD-UBND) Tj ET\n";
	qpdf_data q = qpdf_init();
	qpdf_silence_errors(q);
	assert_int_equal(qpdf_empty_pdf(q), QPDF_SUCCESS);
	qpdf_oh font = qpdf_make_indirect_object(q, qpdf_oh_parse(q,
	    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"));
	qpdf_oh content = qpdf_oh_new_stream(q);
	qpdf_oh_replace_stream_data(q, content, (const unsigned char *)text, strlen(text),
	    qpdf_oh_new_null(q), qpdf_oh_new_null(q));
	qpdf_oh page = qpdf_oh_parse(q, "<< /Type /Page /MediaBox [0 0 595 842] "
	    "/Resources << /Font << >> >> >>");
	qpdf_oh_replace_key(q, qpdf_oh_get_key(q, qpdf_oh_get_key(q, page, "/Resources"),
	    "/Font"), "/F1", font);
	qpdf_oh_replace_key(q, page, "/Contents", content);
	if (with_annot)
		qpdf_oh_replace_key(q, page, "/Annots", qpdf_oh_parse(q, "[ << /Type /Annot "
		    "/Subtype /Text /Rect [10 10 30 30] /Contents (ghi chu) >> ]"));
	page = qpdf_make_indirect_object(q, page);
	qpdf_add_page(q, q, page, QPDF_FALSE);
	assert_int_equal(qpdf_init_write(q, path), QPDF_SUCCESS);
	qpdf_set_object_stream_mode(q, qpdf_o_disable);
	assert_int_equal(qpdf_write(q) & QPDF_ERRORS, 0);
	assert_false(qpdf_has_error(q));
	qpdf_cleanup(&q);
}

static int sign(struct signer *s, const char *in, const char *out, struct err *e)
{
	struct pades_options o = { .signing_time = time(NULL), .reason = REASON,
		.location = "Thành phố Hồ Chí Minh", .contact = "vanthu@example.gov.vn" };
	return pades_sign_file(s, in, out, &o, e);
}

static char *sign_new(struct fixture *f, struct signer *s, const char *in, const char *name)
{
	struct err e = {0};
	char *out = xasprintf("%s/%s", f->dir, name);
	if (sign(s, in, out, &e) < 0)
		fail_msg("pades_sign_file: %s", e.msg);
	return out;
}

static int group_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pades.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(sh("mkdir %s/rsa %s/ec %s/nss", f->dir, f->dir, f->dir), 0);
	f->rsa = open_signer(f->dir, "rsa", 0, NULL);
	f->ec = open_signer(f->dir, "ec", 1, NULL);
	f->in = xasprintf("%s/in.pdf", f->dir);
	f->in_annot = xasprintf("%s/in_annot.pdf", f->dir);
	make_pdf(f->in, 0);
	make_pdf(f->in_annot, 1);
	f->signed_rsa = sign_new(f, f->rsa, f->in, "signed_rsa.pdf");
	f->nssdb = xasprintf("%s/nss", f->dir);
	assert_int_equal(sh("certutil -N --empty-password -d sql:%s && "
	    "certutil -A -n rsa -t C,C,C -i %s/rsa/ca.pem -d sql:%s && "
	    "certutil -A -n ec -t C,C,C -i %s/ec/ca.pem -d sql:%s",
	    f->nssdb, f->dir, f->nssdb, f->dir, f->nssdb), 0);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	signer_close(f->rsa);
	signer_close(f->ec);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f->in);
	free(f->in_annot);
	free(f->signed_rsa);
	free(f->nssdb);
	free(f);
	return 0;
}

static char *pdfsig(struct fixture *f, const char *pdf)
{
	return sh_out("pdfsig -nssdir sql:%s '%s' 2>&1", f->nssdb, pdf);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not in:\n%s", needle, hay);
}

/* The value of a check in verify_pdf_file's array, or NULL if it did not run. */
static json_t *find_check(json_t *checks, const char *name)
{
	size_t i;
	json_t *c;
	json_array_foreach(checks, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "check")), name) == 0)
			return c;
	}
	return NULL;
}

static void assert_check(json_t *checks, const char *name, int ok, const char *detail_part)
{
	json_t *c = find_check(checks, name);
	if (c == NULL)
		fail_msg("check %s did not run", name);
	const char *detail = json_string_value(json_object_get(c, "detail"));
	if (json_is_true(json_object_get(c, "ok")) != ok)
		fail_msg("check %s: ok should be %d; detail: %s", name, ok, detail);
	if (detail_part != NULL)
		assert_contains(detail, detail_part);
}

/* Runs verify_pdf_file against trust; returns the checks (caller decrefs). */
static json_t *verify(const char *pdf, const char *trust, int *rc)
{
	struct verify_options o = { .trust = trust };
	struct err e = {0};
	json_t *checks = json_array();
	*rc = verify_pdf_file(pdf, &o, checks, &e);
	if (*rc < 0 && json_array_size(checks) == 0)
		fail_msg("verify_pdf_file: %s", e.msg);
	return checks;
}

/* The CMS DER and the signed byte ranges of the last /ByteRange in a file. */
static void extract(const char *pdf, const char *der_path, const char *ranges_path)
{
	struct buf b = slurp(pdf);
	const char *p = NULL, *q = b.data;
	size_t r[4];
	while ((q = memmem(q, b.len - (size_t)(q - b.data), "/ByteRange [", 12)) != NULL)
		p = q++;
	assert_non_null(p);
	assert_int_equal(sscanf(p, "/ByteRange [%zu %zu %zu %zu", &r[0], &r[1], &r[2], &r[3]), 4);
	assert_int_equal(b.data[r[1]], '<');
	unsigned char *der = xmalloc((r[2] - r[1]) / 2);
	size_t n = 0;
	for (size_t i = r[1] + 1; i + 1 < r[2] - 1; i += 2) {
		unsigned v;
		assert_int_equal(sscanf(b.data + i, "%2x", &v), 1);
		der[n++] = (unsigned char)v;
	}
	/* Only the DER, not the zero padding: a SEQUENCE with a long-form length. */
	assert_int_equal(der[0], 0x30);
	assert_true(der[1] & 0x80);
	size_t len = 0, lenlen = der[1] & 0x7f;
	for (size_t i = 0; i < lenlen; i++)
		len = len << 8 | der[2 + i];
	spit(der_path, der, 2 + lenlen + len);
	struct buf ranges = {0};
	buf_append(&ranges, b.data, r[1]);
	buf_append(&ranges, b.data + r[2], r[3]);
	spit(ranges_path, ranges.data, ranges.len);
	free(ranges.data);
	free(der);
	free(b.data);
}

static char *copy_with(struct fixture *f, const char *src, const char *name, long flip_at,
    const char *append)
{
	struct buf b = slurp(src);
	char *out = xasprintf("%s/%s", f->dir, name);
	if (flip_at >= 0)
		b.data[flip_at] ^= 0x01;
	if (append != NULL)
		buf_append(&b, append, strlen(append));
	spit(out, b.data, b.len);
	free(b.data);
	return out;
}

/* ---- external verifiers ------------------------------------------------------ */

static void test_pdfsig_valid_rsa(void **state)
{
	struct fixture *f = *state;
	char *out = pdfsig(f, f->signed_rsa);
	assert_contains(out, "Signature Validation: Signature is Valid.");
	assert_contains(out, "Total document signed");
	assert_contains(out, "Signature Type: ETSI.CAdES.detached");
	assert_contains(out, "Certificate Validation: Certificate is Trusted.");
	print_message("pdfsig: %s", strstr(out, "  - Signature Validation"));
	free(out);
}

static void test_qpdf_check(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(sh("qpdf --check '%s' >/dev/null 2>&1", f->signed_rsa), 0);
}

static void test_input_bytes_unchanged(void **state)
{
	struct fixture *f = *state;
	struct buf in = slurp(f->in), out = slurp(f->signed_rsa);
	assert_true(out.len > in.len + 2 * 2048); /* at least the hex /Contents */
	assert_memory_equal(out.data, in.data, in.len);
	free(in.data);
	free(out.data);
}

static void test_openssl_cms_verify(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(sh("cd %s && rm -f sig.der ranges.bin", f->dir), 0);
	char *der = xasprintf("%s/sig.der", f->dir), *ranges = xasprintf("%s/ranges.bin", f->dir);
	extract(f->signed_rsa, der, ranges);
	assert_int_equal(sh("openssl cms -verify -binary -inform DER -in %s -content %s "
	    "-CAfile %s/rsa/ca.pem -purpose any -out /dev/null 2>/dev/null", der, ranges, f->dir), 0);
	assert_int_not_equal(sh("openssl cms -verify -binary -inform DER -in %s -content %s "
	    "-CAfile %s/ec/ca.pem -purpose any -out /dev/null 2>/dev/null", der, ranges, f->dir), 0);
	char *printed = sh_out("openssl cms -cmsout -print -inform DER -in %s", der);
	const char *si = strstr(printed, "signerInfos:");
	assert_non_null(si);
	assert_null(strstr(si, "signingTime"));
	assert_contains(si, "id-smime-aa-signingCertificateV2");
	assert_contains(si, "contentType");
	assert_contains(si, "messageDigest");
	free(printed);
	free(der);
	free(ranges);
}

/* Exactly three signed attributes, and the right ones, read with OpenSSL. */
static void test_signed_attributes_exact(void **state)
{
	struct fixture *f = *state;
	char *der = xasprintf("%s/attrs.der", f->dir), *ranges = xasprintf("%s/attrs.bin", f->dir);
	extract(f->signed_rsa, der, ranges);
	struct buf b = slurp(der);
	const unsigned char *p = (const unsigned char *)b.data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)b.len);
	assert_non_null(cms);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	assert_int_equal(CMS_signed_get_attr_count(si), 3);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0);
	assert_int_equal(CMS_unsigned_get_attr_count(si), -1);
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	assert_int_equal(sk_X509_num(certs), 2); /* signer + dev CA */
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	free(b.data);
	free(der);
	free(ranges);
}

static void test_ec_p256(void **state)
{
	struct fixture *f = *state;
	int rc;
	assert_string_equal(signer_key_kind(f->ec), "EC-P-256");
	char *out = sign_new(f, f->ec, f->in, "signed_ec.pdf");
	char *text = pdfsig(f, out);
	assert_contains(text, "Signature Validation: Signature is Valid.");
	assert_contains(text, "Total document signed");
	free(text);
	char *trust = xasprintf("%s/ec/ca.pem", f->dir);
	json_t *checks = verify(out, trust, &rc);
	assert_int_equal(rc, 0);
	assert_check(checks, "pdf-signature", 1, "SHA256");
	assert_check(checks, "pdf-certificate", 1, "trusted: ");
	json_decref(checks);
	assert_int_equal(sh("qpdf --check '%s' >/dev/null 2>&1", out), 0);
	free(trust);
	free(out);
}

/* ---- our verifier ------------------------------------------------------------ */

static void test_verify_good(void **state)
{
	struct fixture *f = *state;
	int rc;
	char *trust = xasprintf("%s/rsa/ca.pem", f->dir);
	json_t *checks = verify(f->signed_rsa, trust, &rc);
	assert_int_equal(rc, 0);
	assert_check(checks, "pdf-byte-range", 1, "covers the whole document");
	assert_check(checks, "pdf-signature", 1, AGENCY);
	assert_check(checks, "pdf-certificate", 1, "trusted: ");
	assert_null(find_check(checks, "pdf-timestamp"));
	assert_int_equal(json_array_size(checks), 3);
	json_decref(checks);
	free(trust);
}

/* A flipped byte in the signed range: ours says digest mismatch, pdfsig not valid. */
static void test_flipped_byte(void **state)
{
	struct fixture *f = *state;
	int rc;
	/* Byte 12 sits in the binary comment after %PDF-1.x: the file still parses. */
	struct buf b = slurp(f->signed_rsa);
	assert_memory_equal(b.data + 8, "\n%", 2);
	free(b.data);
	char *bad = copy_with(f, f->signed_rsa, "flipped.pdf", 12, NULL);
	char *trust = xasprintf("%s/rsa/ca.pem", f->dir);
	json_t *checks = verify(bad, trust, &rc);
	assert_int_equal(rc, -1);
	assert_check(checks, "pdf-byte-range", 1, NULL);
	assert_check(checks, "pdf-signature", 0, "digest mismatch");
	json_decref(checks);
	char *text = pdfsig(f, bad);
	assert_null(strstr(text, "Signature is Valid"));
	free(text);
	free(trust);
	free(bad);
}

static void test_bytes_appended(void **state)
{
	struct fixture *f = *state;
	int rc;
	char *more = copy_with(f, f->signed_rsa, "appended.pdf", -1, "% a later change\n");
	char *trust = xasprintf("%s/rsa/ca.pem", f->dir);
	json_t *checks = verify(more, trust, &rc);
	assert_int_equal(rc, -1);
	assert_check(checks, "pdf-byte-range", 0, "changed after signing");
	assert_check(checks, "pdf-signature", 1, NULL); /* the signed part is intact */
	json_decref(checks);
	free(trust);
	free(more);
}

static void test_other_ca_untrusted(void **state)
{
	struct fixture *f = *state;
	int rc;
	char *trust = xasprintf("%s/ec/ca.pem", f->dir);
	json_t *checks = verify(f->signed_rsa, trust, &rc);
	assert_int_equal(rc, -1);
	assert_check(checks, "pdf-signature", 1, NULL);
	assert_check(checks, "pdf-certificate", 0, "untrusted: ");
	json_decref(checks);
	free(trust);
	checks = verify(f->signed_rsa, "/nonexistent/trust.pem", &rc);
	assert_int_equal(rc, -1);
	assert_check(checks, "pdf-certificate", 0, "untrusted: ");
	json_decref(checks);
}

static void test_unsigned_pdf(void **state)
{
	struct fixture *f = *state;
	int rc;
	json_t *checks = verify(f->in, NULL, &rc);
	assert_int_equal(rc, -1);
	assert_check(checks, "pdf-signature", 0, "no signature");
	json_decref(checks);
}

/* ---- the update itself --------------------------------------------------------- */

static qpdf_oh key(qpdf_data q, qpdf_oh oh, const char *k)
{
	return qpdf_oh_get_key(q, oh, k);
}

/* Existing annotations stay; /M, /Reason (UTF-16) and the field read back. */
static void test_annots_kept_and_strings(void **state)
{
	struct fixture *f = *state;
	struct err e = {0};
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 22, .tm_hour = 2, .tm_min = 15 };
	struct pades_options o = { .signing_time = timegm(&tm), .reason = REASON,
		.location = "Phường (Bến Nghé) \\ 1" };
	char *out = xasprintf("%s/annot_signed.pdf", f->dir);
	assert_int_equal(pades_sign_file(f->rsa, f->in_annot, out, &o, &e), 0);
	qpdf_data q = qpdf_init();
	qpdf_silence_errors(q);
	assert_int_equal(qpdf_read(q, out, NULL) & QPDF_ERRORS, 0);
	qpdf_oh annots = key(q, qpdf_get_page_n(q, 0), "/Annots");
	assert_int_equal(qpdf_oh_get_array_n_items(q, annots), 2);
	qpdf_oh field = qpdf_oh_get_array_item(q, annots, 1);
	qpdf_oh fields = key(q, key(q, qpdf_get_root(q), "/AcroForm"), "/Fields");
	assert_int_equal(qpdf_oh_get_array_n_items(q, fields), 1);
	assert_int_equal(qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, fields, 0)),
	    qpdf_oh_get_object_id(q, field));
	assert_int_equal(qpdf_oh_get_int_value(q, key(q, key(q, qpdf_get_root(q), "/AcroForm"),
	    "/SigFlags")), 3);
	assert_string_equal(qpdf_oh_get_utf8_value(q, key(q, field, "/T")), "Signature1");
	qpdf_oh v = key(q, field, "/V");
	assert_string_equal(qpdf_oh_get_utf8_value(q, key(q, v, "/M")), "D:20261122091500+07'00'");
	assert_string_equal(qpdf_oh_get_utf8_value(q, key(q, v, "/Reason")), REASON);
	assert_string_equal(qpdf_oh_get_utf8_value(q, key(q, v, "/Location")), o.location);
	assert_true(qpdf_oh_is_null(q, key(q, v, "/ContactInfo")));
	assert_string_equal(qpdf_oh_get_name(q, key(q, v, "/SubFilter")), "/ETSI.CAdES.detached");
	assert_false(qpdf_has_error(q));
	qpdf_cleanup(&q);
	assert_int_equal(sh("qpdf --check '%s' >/dev/null 2>&1", out), 0);
	char *text = pdfsig(f, out);
	assert_contains(text, "Signature Validation: Signature is Valid.");
	free(text);
	free(out);
}

static void expect_refusal(struct fixture *f, const char *in, const char *reason)
{
	struct err e = {0};
	char *out = xasprintf("%s/refused.pdf", f->dir);
	assert_int_equal(sign(f->rsa, in, out, &e), -1);
	if (strstr(e.msg, reason) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, reason);
	assert_int_equal(e.temporary, 0);
	assert_int_equal(access(out, F_OK), -1);
	free(out);
}

static void test_bad_inputs(void **state)
{
	struct fixture *f = *state;
	char *p = xasprintf("%s/bad.pdf", f->dir);
	expect_refusal(f, "/nonexistent.pdf", "/nonexistent.pdf");
	spit(p, "hello\n", 6);
	expect_refusal(f, p, "startxref");
	assert_int_equal(sh("qpdf --empty --object-streams=disable '%s'", p), 0);
	expect_refusal(f, p, "no page");
	assert_int_equal(sh("qpdf --object-streams=generate '%s' '%s'", f->in, p), 0);
	expect_refusal(f, p, "cross-reference");
	assert_int_equal(sh("qpdf --object-streams=disable --encrypt '' owner 256 -- '%s' '%s'",
	    f->in, p), 0);
	expect_refusal(f, p, "encrypted");
	/* A trailer /Size of 2 (same length, so the xref offsets hold). */
	struct buf b = slurp(f->in);
	char *size = memmem(b.data + b.len - 300, 300, "/Size ", 6);
	assert_non_null(size);
	size[6] = '2';
	for (char *d = size + 7; *d >= '0' && *d <= '9'; d++)
		*d = ' ';
	spit(p, b.data, b.len);
	free(b.data);
	expect_refusal(f, p, "below the numbers");
	free(p);
}

/* ---- B-T against tests/integration/tsa_server.py ----------------------------- */

struct tsa {
	pid_t pid;
	char url[128];
	char ca[256];
};

static int tsa_start(struct tsa *t, const char *dir, const char *fail_status)
{
	int fd[2];
	char line[512];
	memset(t, 0, sizeof(*t));
	if (access(TSA_SCRIPT, R_OK) != 0 || pipe(fd) != 0)
		return -1;
	if ((t->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed assertion skips tsa_stop */
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl("/usr/bin/python3", "python3", TSA_SCRIPT, "--dir", dir,
		    fail_status ? "--fail" : (char *)NULL, fail_status, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	FILE *in = fdopen(fd[0], "r");
	while (fgets(line, sizeof(line), in) != NULL) {
		sscanf(line, "url %127s", t->url);
		if (sscanf(line, "ca %255s", t->ca) == 1)
			break;
	}
	fclose(in);
	return t->ca[0] ? 0 : -1;
}

static void tsa_stop(struct tsa *t)
{
	kill(t->pid, SIGTERM);
	waitpid(t->pid, NULL, 0);
}

static void test_b_t_timestamp(void **state)
{
	struct fixture *f = *state;
	struct tsa t;
	int rc;
	char *tsadir = xasprintf("%s/tsa", f->dir);
	if (tsa_start(&t, tsadir, NULL) < 0)
		skip();
	struct signer *s = open_signer(f->dir, "rsa", 0, t.url);
	char *out = sign_new(f, s, f->in, "signed_bt.pdf");
	signer_close(s);
	char *trust = xasprintf("%s/both.pem", f->dir);
	assert_int_equal(sh("cat %s/rsa/ca.pem %s > %s", f->dir, t.ca, trust), 0);
	json_t *checks = verify(out, trust, &rc);
	assert_int_equal(rc, 0);
	assert_check(checks, "pdf-timestamp", 1, "over the signature value");
	assert_check(checks, "pdf-timestamp", 1, "sohoa test TSA");
	json_decref(checks);
	/* Only the agency's CA: the signature holds, the TSA is not trusted. */
	char *agency_only = xasprintf("%s/rsa/ca.pem", f->dir);
	checks = verify(out, agency_only, &rc);
	assert_int_equal(rc, -1);
	assert_check(checks, "pdf-certificate", 1, NULL);
	assert_check(checks, "pdf-timestamp", 0, "TSA certificate");
	json_decref(checks);
	char *text = pdfsig(f, out);
	assert_contains(text, "Signature Validation: Signature is Valid.");
	free(text);
	assert_int_equal(sh("qpdf --check '%s' >/dev/null 2>&1", out), 0);
	tsa_stop(&t);
	free(agency_only);
	free(trust);
	free(out);
	free(tsadir);
}

static void expect_temporary(struct fixture *f, const char *url, const char *reason)
{
	struct err e = {0};
	struct signer *s = open_signer(f->dir, "rsa", 0, url);
	char *out = xasprintf("%s/tsa_failed.pdf", f->dir);
	assert_int_equal(sign(s, f->in, out, &e), -1);
	if (strstr(e.msg, reason) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, reason);
	assert_int_equal(e.temporary, 1);
	assert_int_equal(access(out, F_OK), -1);
	signer_close(s);
	free(out);
}

static void test_tsa_down_is_temporary(void **state)
{
	struct fixture *f = *state;
	struct tsa t;
	char *tsadir = xasprintf("%s/tsa503", f->dir);
	if (tsa_start(&t, tsadir, "503") < 0)
		skip();
	expect_temporary(f, t.url, "answered HTTP 503");
	tsa_stop(&t);
	/* Nothing listens there any more. */
	expect_temporary(f, t.url, "unreachable");
	free(tsadir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdfsig_valid_rsa),
		cmocka_unit_test(test_qpdf_check),
		cmocka_unit_test(test_input_bytes_unchanged),
		cmocka_unit_test(test_openssl_cms_verify),
		cmocka_unit_test(test_signed_attributes_exact),
		cmocka_unit_test(test_ec_p256),
		cmocka_unit_test(test_verify_good),
		cmocka_unit_test(test_flipped_byte),
		cmocka_unit_test(test_bytes_appended),
		cmocka_unit_test(test_other_ca_untrusted),
		cmocka_unit_test(test_unsigned_pdf),
		cmocka_unit_test(test_annots_kept_and_strings),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_b_t_timestamp),
		cmocka_unit_test(test_tsa_down_is_temporary),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
