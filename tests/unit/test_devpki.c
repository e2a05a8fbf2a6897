/* devpki_create: files, modes, PKCS#12, chain, extensions, and real use. */
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

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "signer/signer.h"
#include "tests/unit/unit_shell.h"

/* "People's Committee of Bến Nghé Ward", with Vietnamese diacritics. */
#define AGENCY "Ủy ban nhân dân phường Bến Nghé"
#define PIN "dev-pin 1234"

static const char *const names[] = { "ca.pem", "ca.key", "signer.pem", "signer.p12" };

struct fixture {
	char dir[64];
	double seconds;
};

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void make_tmpdir(char out[64])
{
	snprintf(out, 64, "/tmp/test_devpki.XXXXXX");
	assert_non_null(mkdtemp(out));
}

static int create(const char *dir, const char *agency, const char *pin, struct err *e)
{
	struct devpki_request req = { .dir = dir, .agency_name = agency, .pin = pin };
	return devpki_create(&req, e);
}

static int group_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct err e = { 0 };
	struct timespec t0, t1;
	make_tmpdir(f->dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = create(f->dir, AGENCY, PIN, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	f->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc != 0) {
		fprintf(stderr, "devpki_create: %s\n", e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	rm_tree(f->dir);
	free(f);
	return 0;
}

static X509 *load_cert(const char *dir, const char *name)
{
	char *p = path_in(dir, name);
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	free(p);
	assert_non_null(x);
	return x;
}

static PKCS12 *load_p12(const char *dir)
{
	char *p = path_in(dir, "signer.p12");
	FILE *fp = fopen(p, "rb");
	assert_non_null(fp);
	PKCS12 *p12 = d2i_PKCS12_fp(fp, NULL);
	fclose(fp);
	free(p);
	assert_non_null(p12);
	return p12;
}

static struct buf slurp(const char *dir, const char *name)
{
	struct buf b = {0};
	struct err e = { 0 };
	char *p = path_in(dir, name);
	assert_int_equal(file_read_all(p, 1 << 20, &b, &e), 0);
	free(p);
	return b;
}

static void test_keygen_time(void **state)
{
	struct fixture *f = *state;
	print_message("devpki_create (two RSA keys, 2 certificates, PKCS#12): %.2f s\n",
	    f->seconds);
	assert_true(f->seconds < 30.0);
}

static void test_files_exist_with_mode_0600(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct stat st;
		char *p = path_in(f->dir, names[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_true(st.st_size > 0);
		free(p);
	}
}

static void test_p12_opens_with_pin(void **state)
{
	struct fixture *f = *state;
	PKCS12 *p12 = load_p12(f->dir);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	assert_int_equal(PKCS12_parse(p12, PIN, &key, &cert, &chain), 1);
	X509 *signer = load_cert(f->dir, "signer.pem");
	X509 *ca = load_cert(f->dir, "ca.pem");
	assert_int_equal(X509_cmp(cert, signer), 0);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	assert_int_equal(EVP_PKEY_get_bits(key), 3072);
	assert_int_equal(sk_X509_num(chain), 1);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), ca), 0);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	X509_free(signer);
	X509_free(ca);
	PKCS12_free(p12);
}

static void test_p12_refuses_wrong_pin(void **state)
{
	struct fixture *f = *state;
	PKCS12 *p12 = load_p12(f->dir);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	assert_int_equal(PKCS12_parse(p12, "dev-pin 1235", &key, &cert, NULL), 0);
	assert_null(key);
	assert_null(cert);
	ERR_clear_error();
	PKCS12_free(p12);
}

static void test_ca_key_matches_ca(void **state)
{
	struct fixture *f = *state;
	char *p = path_in(f->dir, "ca.key");
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	EVP_PKEY *key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	free(p);
	assert_non_null(key);
	X509 *ca = load_cert(f->dir, "ca.pem");
	assert_int_equal(X509_check_private_key(ca, key), 1);
	X509_free(ca);
	EVP_PKEY_free(key);
}

/* Verifies signer.pem against ca.pem alone, for the given purpose. */
static int verify_chain(const char *dir, int purpose)
{
	X509 *ca = load_cert(dir, "ca.pem");
	X509 *signer = load_cert(dir, "signer.pem");
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, signer, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	int ok = X509_verify_cert(ctx);
	if (ok != 1)
		print_message("verify: %s\n",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(signer);
	X509_free(ca);
	return ok;
}

static void test_signer_verifies_against_ca(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(verify_chain(f->dir, X509_PURPOSE_ANY), 1);
	assert_int_equal(verify_chain(f->dir, X509_PURPOSE_SMIME_SIGN), 1);
}

static int ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void test_signer_extensions(void **state)
{
	struct fixture *f = *state;
	X509 *x = load_cert(f->dir, "signer.pem");
	X509 *ca = load_cert(f->dir, "ca.pem");
	uint32_t flags = X509_get_extension_flags(x);
	assert_true(flags & EXFLAG_BCONS);
	assert_false(flags & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_true(ext_critical(x, NID_key_usage));
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SMIME);
	assert_non_null(X509_get0_subject_key_id(x));
	const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(x);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(ca)), 0);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	X509_free(ca);
	X509_free(x);
}

static void test_ca_extensions(void **state)
{
	struct fixture *f = *state;
	X509 *x = load_cert(f->dir, "ca.pem");
	uint32_t flags = X509_get_extension_flags(x);
	assert_true(flags & EXFLAG_CA);
	assert_true(ext_critical(x, NID_basic_constraints));
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_true(ext_critical(x, NID_key_usage));
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(X509_self_signed(x, 1), 1);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	X509_free(x);
}

static int days_valid(X509 *x)
{
	int days = 0, secs = 0;
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	return days;
}

static void assert_serial_128_bits(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	assert_non_null(bn);
	assert_int_equal(BN_num_bits(bn), 128);
	BN_free(bn);
}

static void test_validity_and_serials(void **state)
{
	struct fixture *f = *state;
	X509 *ca = load_cert(f->dir, "ca.pem");
	X509 *signer = load_cert(f->dir, "signer.pem");
	assert_in_range(days_valid(ca), 3650, 3653);
	assert_in_range(days_valid(signer), 1095, 1097);
	assert_serial_128_bits(ca);
	assert_serial_128_bits(signer);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca),
	    X509_get0_serialNumber(signer)), 0);
	X509_free(signer);
	X509_free(ca);
}

/* The entry's value must be exactly `want`, encoded as a UTF8String (or as given). */
static void assert_name_entry(X509_NAME *n, int nid, const char *want, int type)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	assert_true(i >= 0);
	ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	assert_int_equal(ASN1_STRING_type(s), type);
	assert_int_equal((size_t)ASN1_STRING_length(s), strlen(want));
	assert_memory_equal(ASN1_STRING_get0_data(s), want, strlen(want));
}

static void test_subject_utf8_roundtrip(void **state)
{
	struct fixture *f = *state;
	X509 *signer = load_cert(f->dir, "signer.pem");
	X509 *ca = load_cert(f->dir, "ca.pem");
	X509_NAME *s = X509_get_subject_name(signer);
	assert_name_entry(s, NID_countryName, "VN", V_ASN1_PRINTABLESTRING);
	assert_name_entry(s, NID_organizationName, AGENCY, V_ASN1_UTF8STRING);
	assert_name_entry(s, NID_commonName, AGENCY, V_ASN1_UTF8STRING);
	X509_NAME *c = X509_get_subject_name(ca);
	assert_name_entry(c, NID_organizationName, AGENCY, V_ASN1_UTF8STRING);
	assert_name_entry(c, NID_organizationalUnitName,
	    "development CA, not for production", V_ASN1_UTF8STRING);
	assert_name_entry(c, NID_commonName, "sohoa development CA", V_ASN1_UTF8STRING);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(signer), c), 0);
	X509_free(ca);
	X509_free(signer);
}

static void test_second_call_refuses_and_keeps_files(void **state)
{
	struct fixture *f = *state;
	struct buf before[4], after;
	struct err e = { 0 };
	for (int i = 0; i < 4; i++)
		before[i] = slurp(f->dir, names[i]);
	assert_int_equal(create(f->dir, "Another agency", "other", &e), -1);
	assert_non_null(strstr(e.msg, "already exists"));
	for (int i = 0; i < 4; i++) {
		after = slurp(f->dir, names[i]);
		assert_int_equal(after.len, before[i].len);
		assert_memory_equal(after.data, before[i].data, after.len);
		free(after.data);
		free(before[i].data);
	}
}

/* Any one existing target is enough to refuse, and nothing else is written. */
static void test_one_existing_file_refuses_all(void **state)
{
	(void)state;
	char dir[64];
	struct err e = { 0 };
	make_tmpdir(dir);
	char *p12 = path_in(dir, "signer.p12");
	FILE *fp = fopen(p12, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(create(dir, AGENCY, PIN, &e), -1);
	assert_non_null(strstr(e.msg, "signer.p12 already exists"));
	for (int i = 0; i < 3; i++) {
		char *p = path_in(dir, names[i]);
		assert_int_equal(access(p, F_OK), -1);
		free(p);
	}
	free(p12);
	rm_tree(dir);
}

/*
 * A write that fails half-way removes what was written, so a retry works.
 * The failure is forced by a directory where file_write_atomic puts its
 * temporary file (root ignores permissions, so a read-only dir would not do).
 */
static void test_failed_write_leaves_nothing(void **state)
{
	(void)state;
	char dir[64];
	struct err e = { 0 };
	make_tmpdir(dir);
	char *blocker = xasprintf("%s/signer.p12.tmp.%ld", dir, (long)getpid());
	assert_int_equal(mkdir(blocker, 0700), 0);
	assert_int_equal(create(dir, AGENCY, PIN, &e), -1);
	assert_non_null(strstr(e.msg, "signer.p12"));
	for (int i = 0; i < 4; i++) {
		char *p = path_in(dir, names[i]);
		assert_int_equal(access(p, F_OK), -1);
		free(p);
	}
	assert_int_equal(rmdir(blocker), 0);
	assert_int_equal(create(dir, AGENCY, PIN, &e), 0);
	free(blocker);
	rm_tree(dir);
}

static void expect_refusal(const char *dir, const char *agency, const char *pin,
    const char *reason)
{
	struct err e = { 0 };
	assert_int_equal(create(dir, agency, pin, &e), -1);
	if (strstr(e.msg, reason) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, reason);
}

static void test_bad_requests(void **state)
{
	(void)state;
	char dir[64];
	struct err e = { 0 };
	make_tmpdir(dir);
	assert_int_equal(devpki_create(NULL, &e), -1);
	expect_refusal(dir, "", PIN, "agency name is empty");
	expect_refusal(dir, NULL, PIN, "agency name is empty");
	expect_refusal(dir, AGENCY, "", "PIN");
	expect_refusal(dir, "\xff\xfe bad", PIN, "not valid UTF-8");
	expect_refusal(dir, "Ủy ban nhân dân quận Một thành phố Hồ Chí Minh, "
	    "Văn phòng Đăng ký đất đai", PIN, "at most 64");
	char *missing = path_in(dir, "missing");
	expect_refusal(missing, AGENCY, PIN, "not a directory");
	free(missing);
	for (int i = 0; i < 4; i++) {
		char *p = path_in(dir, names[i]);
		assert_int_equal(access(p, F_OK), -1);
		free(p);
	}
	rm_tree(dir);
}

/* A name of exactly 64 Vietnamese characters (more bytes) still fits. */
static void test_agency_name_at_limit(void **state)
{
	(void)state;
	char dir[64];
	char name[64 * 3 + 1] = "";
	struct err e = { 0 };
	for (int i = 0; i < 64; i++)
		strcat(name, "Đ");
	make_tmpdir(dir);
	assert_int_equal(create(dir, name, PIN, &e), 0);
	X509 *x = load_cert(dir, "signer.pem");
	assert_name_entry(X509_get_subject_name(x), NID_commonName, name, V_ASN1_UTF8STRING);
	X509_free(x);
	rm_tree(dir);
}

static void test_openssl_cli_verify(void **state)
{
	struct fixture *f = *state;
	if (sh("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(sh("cd %s && openssl verify -CAfile ca.pem signer.pem >/dev/null",
	    f->dir), 0);
	assert_int_equal(sh("cd %s && openssl verify -purpose smimesign -CAfile ca.pem "
	    "signer.pem >/dev/null", f->dir), 0);
	assert_int_equal(sh("cd %s && openssl pkcs12 -in signer.p12 -noout "
	    "-passin pass:'%s' 2>/dev/null", f->dir, PIN), 0);
	assert_int_not_equal(sh("cd %s && openssl pkcs12 -in signer.p12 -noout "
	    "-passin pass:wrong 2>/dev/null", f->dir), 0);
}

/* The key comes out of the PKCS#12, as a signing service would take it. */
static void test_openssl_cli_cms_sign_verify(void **state)
{
	struct fixture *f = *state;
	if (sh("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	char work[64];
	make_tmpdir(work);
	assert_int_equal(sh("cd %s && printf 'Quyết định số 12/QĐ-UBND\\n' > doc.txt && "
	    "openssl pkcs12 -in %s/signer.p12 -passin pass:'%s' -nocerts -nodes -out key.pem "
	    "2>/dev/null", work, f->dir, PIN), 0);
	assert_int_equal(sh("cd %s && openssl cms -sign -binary -md sha256 -in doc.txt "
	    "-signer %s/signer.pem -inkey key.pem -outform DER -out sig.der", work, f->dir), 0);
	assert_int_equal(sh("cd %s && openssl cms -verify -binary -inform DER -in sig.der "
	    "-content doc.txt -CAfile %s/ca.pem -purpose any -out /dev/null 2>/dev/null",
	    work, f->dir), 0);
	assert_int_equal(sh("cd %s && openssl cms -verify -binary -inform DER -in sig.der "
	    "-content doc.txt -CAfile %s/ca.pem -out /dev/null 2>/dev/null", work, f->dir), 0);
	assert_int_equal(sh("cd %s && printf 'tampered\\n' > doc.txt && openssl cms -verify "
	    "-binary -inform DER -in sig.der -content doc.txt -CAfile %s/ca.pem -purpose any "
	    "-out /dev/null 2>/dev/null", work, f->dir), 4);
	rm_tree(work);
}

/*
 * pdfsig validates with NSS for certificateUsageEmailSigner: CA trusted for
 * email ("C,C,C"), leaf KU digitalSignature|nonRepudiation, EKU emailProtection.
 */
static void test_nss_accepts_email_signer(void **state)
{
	struct fixture *f = *state;
	if (sh("command -v certutil >/dev/null 2>&1 && command -v vfychain >/dev/null 2>&1"))
		skip();
	char db[64];
	make_tmpdir(db);
	assert_int_equal(sh("certutil -N -d sql:%s --empty-password && "
	    "certutil -A -d sql:%s -n devca -t C,C,C -i %s/ca.pem && "
	    "openssl x509 -in %s/signer.pem -outform DER -out %s/signer.der",
	    db, db, f->dir, f->dir, db), 0);
	assert_int_equal(sh("vfychain -d sql:%s -pp -u 4 %s/signer.der 2>&1 | "
	    "grep -q 'Chain is good'", db, db), 0);
	rm_tree(db);
}

static int cms_roundtrip(EVP_PKEY *key, X509 *cert, X509 *ca, const char *msg)
{
	X509_STORE *store = X509_STORE_new();
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	BIO *in = BIO_new_mem_buf(msg, -1);
	CMS_ContentInfo *cms = CMS_sign(cert, key, NULL, in, CMS_BINARY | CMS_DETACHED);
	assert_non_null(cms);
	BIO_free(in);
	in = BIO_new_mem_buf(msg, -1);
	int ok = CMS_verify(cms, NULL, store, in, NULL, CMS_BINARY);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok;
}

static void test_cms_sign_verify_c_api(void **state)
{
	struct fixture *f = *state;
	PKCS12 *p12 = load_p12(f->dir);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	assert_int_equal(PKCS12_parse(p12, PIN, &key, &cert, NULL), 1);
	X509 *ca = load_cert(f->dir, "ca.pem");
	assert_int_equal(cms_roundtrip(key, cert, ca, "Công văn số 7"), 1);
	X509 *other_ca = load_cert(f->dir, "signer.pem");
	assert_int_equal(cms_roundtrip(key, cert, other_ca, "Công văn số 7"), 0);
	X509_free(other_ca);
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(key);
	PKCS12_free(p12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_time),
		cmocka_unit_test(test_files_exist_with_mode_0600),
		cmocka_unit_test(test_p12_opens_with_pin),
		cmocka_unit_test(test_p12_refuses_wrong_pin),
		cmocka_unit_test(test_ca_key_matches_ca),
		cmocka_unit_test(test_signer_verifies_against_ca),
		cmocka_unit_test(test_signer_extensions),
		cmocka_unit_test(test_ca_extensions),
		cmocka_unit_test(test_validity_and_serials),
		cmocka_unit_test(test_subject_utf8_roundtrip),
		cmocka_unit_test(test_second_call_refuses_and_keeps_files),
		cmocka_unit_test(test_one_existing_file_refuses_all),
		cmocka_unit_test(test_failed_write_leaves_nothing),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_agency_name_at_limit),
		cmocka_unit_test(test_openssl_cli_verify),
		cmocka_unit_test(test_openssl_cli_cms_sign_verify),
		cmocka_unit_test(test_cms_sign_verify_c_api),
		cmocka_unit_test(test_nss_accepts_email_signer),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
