/*
 * cms_parts: takes a detached CMS signature (DER) apart for the tests.
 *   cms_parts SIG.der OUTDIR
 * writes OUTDIR/signature.bin (the signature value), OUTDIR/token.der (the
 * RFC 3161 token, when there is one), and prints one line per signed
 * attribute ("signed <short name>") and unsigned attribute ("unsigned …").
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

static int write_file(const char *dir, const char *name, const unsigned char *p, int n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

static void print_attrs(const char *which, CMS_SignerInfo *si, int is_signed)
{
	int n = is_signed ? CMS_signed_get_attr_count(si) : CMS_unsigned_get_attr_count(si);
	for (int i = 0; i < n; i++) {
		X509_ATTRIBUTE *a = is_signed ? CMS_signed_get_attr(si, i) :
		    CMS_unsigned_get_attr(si, i);
		int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));
		printf("%s %s\n", which, nid != NID_undef ? OBJ_nid2sn(nid) : "unknown");
	}
}

static int write_token(const char *dir, CMS_SignerInfo *si)
{
	int at = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	if (at < 0)
		return 0;
	ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, at), 0);
	if (t == NULL || t->type != V_ASN1_SEQUENCE)
		return -1;
	return write_file(dir, "token.der", t->value.sequence->data, t->value.sequence->length);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: cms_parts SIG.der OUTDIR\n");
		return 2;
	}
	BIO *in = BIO_new_file(argv[1], "rb");
	CMS_ContentInfo *cms = in ? d2i_CMS_bio(in, NULL) : NULL;
	if (cms == NULL) {
		fprintf(stderr, "cms_parts: %s is not a DER CMS\n", argv[1]);
		return 1;
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
		fprintf(stderr, "cms_parts: expected exactly one signer\n");
		return 1;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	print_attrs("signed", si, 1);
	print_attrs("unsigned", si, 0);
	int rc = write_file(argv[2], "signature.bin", sig->data, sig->length) < 0 ||
	    write_token(argv[2], si) < 0;
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}
