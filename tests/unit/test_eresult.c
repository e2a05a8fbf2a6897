/* eresult_build: the fields where Phụ lục VI puts them, text page by page,
 * nulls absent, and every document valid against docs/eresult-1.0.xsd. */
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
#include <unistd.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "pipeline/pipeline.h"
#include "tests/unit/unit_shell.h"

#define SCHEMA "docs/eresult-1.0.xsd"
#define CORPUS "../shared/corpus"
#define ID "5f1d2c3b4a5968778695a4b3c2d1e0f0123456789abcdef0123456789abcdef0"
#define PDF_SHA "aa00bb11cc22dd33ee44ff5566778899aabbccddeeff00112233445566778899"
/* 2026-11-22T09:15:00+07:00 */
#define SIGNING_TIME ((time_t)1795313700)

/* Hưng Yên 2684/QĐ-UBND of the corpus, as the pipeline would hand it over:
 * three pages, a control character OCR let through, a dossier and owner. */
static const char page1[] =
    "ỦY BAN NHÂN DÂN\nTỈNH HƯNG YÊN\n-------\n"
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
    "Số: 2684/QĐ-UBND\nHưng Yên, ngày 12 tháng 12 năm 2023\n\nQUYẾT ĐỊNH\n"
    "BAN HÀNH KẾ HOẠCH KIỂM SOÁT THỦ TỤC HÀNH CHÍNH & <MỘT CỬA>\x01\x1b";
static const char page2[] =
    "Điều 1. Ban hành kèm theo Quyết định này Kế hoạch kiểm soát thủ tục hành chính.\r\n"
    "\tsố hóa, ký số, tái sử dụng kết quả";
static const char page3[] = "CHỦ TỊCH\nTrần Quốc Văn";

struct fixture {
	char dir[64];
	const char *schema;
};

static struct package_info info(void)
{
	struct package_info i = {
		.copy_form = "SAO Y",
		.agency_name = "Ủy ban nhân dân phường Bến Nghé",
		.agency_code = "000.00.12.H29",
		.operator_name = "Nguyễn Thị Lan",
		.counter = "counter-1",
		.procedure = "1.001612",
		.signing_time = SIGNING_TIME,
	};
	return i;
}

static json_t *result_of(const char *text)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:b, s:s}",
	    "id", ID, "result_code", "000.00.12.H29-240129-0042-KQ1",
	    "source", "inbox/counter-1/scan0042.tif", "received_at", "2026-11-22T09:10:02+07:00",
	    "pages", 3, "kind", "document", "review", 0, "text", text);
	json_object_set_new(r, "fields", json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s}",
	    "type", "QUYẾT ĐỊNH", "number", "2684/QĐ-UBND",
	    "issuer", "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN", "issuer_parent",
	    "place", "Hưng Yên", "date", "2023-12-12",
	    "subject", "BAN HÀNH KẾ HOẠCH KIỂM SOÁT THỦ TỤC HÀNH CHÍNH, TRIỂN KHAI CƠ CHẾ MỘT "
	    "CỬA, MỘT CỬA LIÊN THÔNG VÀ THỰC HIỆN THỦ TỤC HÀNH CHÍNH TRÊN MÔI TRƯỜNG ĐIỆN TỬ "
	    "TỈNH HƯNG YÊN NĂM 2024",
	    "signer", "Trần Quốc Văn", "signer_role", "CHỦ TỊCH",
	    "dossier_code", "000.00.12.H29-240129-0042", "citizen_id", "033190001234",
	    "tax_code", "applicant", "Phạm Văn Hùng", "procedure", "Cấp bản sao từ sổ gốc",
	    "received", "2024-01-29", "due", "2024-02-02"));
	json_object_set_new(r, "confidence", json_pack("{s:f}", "number", 0.98));
	json_object_set_new(r, "ocr", json_pack("{s:s, s:s, s:f, s:[{s:f}, {s:f}, {s:f}]}",
	    "engine", "5.3.0", "format", "tiff", "mean_confidence", 89.4,
	    "pages", "confidence", 91.25, "confidence", 88.0, "confidence", 88.95));
	return r;
}

static json_t *hungyen(void)
{
	char *text = xasprintf("%s\f%s\f%s", page1, page2, page3);
	json_t *r = result_of(text);
	free(text);
	return r;
}

static xmlDocPtr build_ok(json_t *r)
{
	struct package_info pi = info();
	struct err e = { 0 };
	xmlDocPtr doc = NULL;
	if (eresult_build(r, &pi, PDF_SHA, &doc, &e) != 0)
		fail_msg("eresult_build: %s", e.msg);
	assert_non_null(doc);
	return doc;
}

/* xmllint's exit status validating doc against the schema; 0 = valid.
 * An unexpected result shows xmllint's words. */
static int validate(struct fixture *f, xmlDocPtr doc, const char *name, int want)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	assert_true(xmlSaveFileEnc(path, doc, "UTF-8") > 0);
	int rc = sh("xmllint --noout --schema %s %s > %s.out 2>&1", f->schema, path, path);
	if ((rc == 0) != (want == 0))
		sh("cat %s.out >&2", path);
	free(path);
	return rc;
}

/* The text of the one node at xpath (namespace prefix "e"), or NULL. The
 * caller frees it with xmlFree. */
static char *xp_text(xmlDocPtr doc, const char *xpath)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "e", BAD_CAST ERESULT_NS);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
	char *s = NULL;
	assert_non_null(o);
	if (o->nodesetval != NULL && o->nodesetval->nodeNr == 1)
		s = (char *)xmlNodeGetContent(o->nodesetval->nodeTab[0]);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return s;
}

static int xp_count(xmlDocPtr doc, const char *xpath)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "e", BAD_CAST ERESULT_NS);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
	assert_non_null(o);
	int n = o->nodesetval != NULL ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

static void assert_xp(xmlDocPtr doc, const char *xpath, const char *want)
{
	char *got = xp_text(doc, xpath);
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", xpath, got ? got : "(none)", want);
	xmlFree(got);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static int group_setup(void **state)
{
	static struct fixture f;
	snprintf(f.dir, sizeof(f.dir), "/tmp/test_eresult.XXXXXX");
	if (mkdtemp(f.dir) == NULL)
		return -1;
	f.schema = SCHEMA;
	if (access(f.schema, R_OK) != 0) {
		fprintf(stderr, "run from the repository root: %s not found\n", SCHEMA);
		return -1;
	}
	if (sh("command -v xmllint >/dev/null 2>&1") != 0) {
		fprintf(stderr, "xmllint is needed\n");
		return -1;
	}
	*state = &f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_valid_against_schema(void **state)
{
	json_t *r = hungyen();
	xmlDocPtr doc = build_ok(r);
	assert_int_equal(validate(*state, doc, "hungyen.xml", 0), 0);
	xmlFreeDoc(doc);
	json_decref(r);
}

static void test_root_and_namespace(void **state)
{
	(void)state;
	json_t *r = hungyen();
	xmlDocPtr doc = build_ok(r);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "EResult");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href, ERESULT_NS);
	assert_xp(doc, "/e:EResult/@version", "1.0");
	/* The signature goes last: nothing follows Digitisation yet. */
	assert_int_equal(xp_count(doc, "/e:EResult/e:Digitisation/following-sibling::*"), 0);
	xmlFreeDoc(doc);
	json_decref(r);
}

static void test_document_fields(void **state)
{
	(void)state;
	json_t *r = hungyen();
	xmlDocPtr doc = build_ok(r);
	assert_xp(doc, "/e:EResult/e:Document/@kind", "document");
	assert_xp(doc, "//e:Document/e:TypeName", "QUYẾT ĐỊNH");
	assert_xp(doc, "//e:Document/e:CodeNumber", "2684");
	assert_xp(doc, "//e:Document/e:CodeNotation", "QĐ-UBND");
	assert_xp(doc, "//e:Document/e:IssuedDate", "2023-12-12");
	assert_xp(doc, "//e:Document/e:OrganName", "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN");
	assert_xp(doc, "//e:Document/e:Place", "Hưng Yên");
	assert_xp(doc, "//e:Document/e:Position", "CHỦ TỊCH");
	assert_xp(doc, "//e:Document/e:FullName", "Trần Quốc Văn");
	assert_xp(doc, "//e:Document/e:Language", "vi");
	assert_xp(doc, "//e:Document/e:PageAmount", "3");
	assert_xp(doc, "//e:Document/e:ReceivedDate", "2024-01-29");
	assert_xp(doc, "//e:Document/e:DueDate", "2024-02-02");
	char *subject = xp_text(doc, "//e:Document/e:Subject");
	assert_non_null(subject);
	assert_non_null(strstr(subject, "MÔI TRƯỜNG ĐIỆN TỬ TỈNH HƯNG YÊN NĂM 2024"));
	xmlFree(subject);
	xmlFreeDoc(doc);
	json_decref(r);
}

static void test_dossier_owner_and_digitisation(void **state)
{
	(void)state;
	json_t *r = hungyen();
	xmlDocPtr doc = build_ok(r);
	assert_xp(doc, "/e:EResult/e:ResultCode", "000.00.12.H29-240129-0042-KQ1");
	assert_xp(doc, "/e:EResult/e:DossierCode", "000.00.12.H29-240129-0042");
	assert_xp(doc, "/e:EResult/e:Procedure/e:Code", "1.001612");
	assert_xp(doc, "/e:EResult/e:Procedure/e:Name", "Cấp bản sao từ sổ gốc");
	assert_xp(doc, "//e:Owners/e:Owner/e:FullName", "Phạm Văn Hùng");
	assert_xp(doc, "//e:Owners/e:Owner/e:CCCD", "033190001234");
	assert_int_equal(xp_count(doc, "//e:Owner/e:MST"), 0);
	assert_xp(doc, "//e:Hashes/e:Original", ID);
	assert_xp(doc, "//e:Hashes/e:Original/@algorithm", "SHA-256");
	assert_xp(doc, "//e:Hashes/e:SignedPdf", PDF_SHA);
	assert_xp(doc, "//e:Digitisation/e:Operator", "Nguyễn Thị Lan");
	assert_xp(doc, "//e:Digitisation/e:Counter", "counter-1");
	assert_xp(doc, "//e:Digitisation/e:AgencyCode", "000.00.12.H29");
	assert_xp(doc, "//e:Digitisation/e:AgencyName", "Ủy ban nhân dân phường Bến Nghé");
	assert_xp(doc, "//e:Digitisation/e:CopyForm", "SAO Y");
	assert_xp(doc, "//e:Digitisation/e:Software", "sohoa " SOHOA_VERSION);
	assert_xp(doc, "//e:Digitisation/e:OcrEngine", "Tesseract 5.3.0");
	assert_xp(doc, "//e:Digitisation/e:OcrMeanConfidence", "89.40");
	assert_xp(doc, "//e:Digitisation/e:NeedsReview", "false");
	assert_xp(doc, "//e:Digitisation/e:ReceivedAt", "2026-11-22T09:10:02+07:00");
	assert_xp(doc, "//e:Digitisation/e:SignedAt", "2026-11-22T09:15:00+07:00");
	xmlFreeDoc(doc);
	json_decref(r);
}

/* \f splits pages and never reaches the XML, nor do other C0 controls;
 * tab, CR and LF stay; markup characters come back as text. */
static void test_pages_split_and_cleaned(void **state)
{
	(void)state;
	json_t *r = hungyen();
	xmlDocPtr doc = build_ok(r);
	assert_int_equal(xp_count(doc, "//e:Text/e:Page"), 3);
	assert_xp(doc, "//e:Text/e:Page[1]/@number", "1");
	assert_xp(doc, "//e:Text/e:Page[3]/@number", "3");
	assert_xp(doc, "//e:Text/e:Page[1]/@confidence", "91.25");
	assert_xp(doc, "//e:Text/e:Page[2]/@confidence", "88.00");
	assert_xp(doc, "//e:Text/e:Page[2]", page2);
	assert_xp(doc, "//e:Text/e:Page[3]", page3);
	char *p1 = xp_text(doc, "//e:Text/e:Page[1]");
	assert_non_null(p1);
	assert_int_equal(strlen(p1), strlen(page1) - 2);
	assert_memory_equal(p1, page1, strlen(page1) - 2);
	assert_null(strpbrk(p1, "\x01\x1b\f"));
	xmlFree(p1);
	xmlChar *mem = NULL;
	int len = 0;
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	assert_non_null(mem);
	assert_null(memchr(mem, '\f', (size_t)len));
	assert_non_null(strstr((char *)mem, "&amp; &lt;MỘT CỬA&gt;"));
	xmlFree(mem);
	xmlFreeDoc(doc);
	json_decref(r);
}

/* What process.c makes before extraction: every field null. */
static void test_nulls_are_absent(void **state)
{
	json_t *r = hungyen();
	json_t *fields = json_object_get(r, "fields");
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v)
		json_object_set_new(fields, key, json_null());
	json_object_set_new(r, "result_code", json_null());
	json_object_set_new(r, "kind", json_string("unknown"));
	struct package_info pi = info();
	pi.agency_code = pi.counter = pi.procedure = NULL;
	struct err e = { 0 };
	xmlDocPtr doc = NULL;
	assert_int_equal(eresult_build(r, &pi, NULL, &doc, &e), 0);
	static const char *const absent[] = {
		"ResultCode", "DossierCode", "Procedure", "Owners", "TypeName", "CodeNumber",
		"CodeNotation", "IssuedDate", "OrganName", "ParentOrganName", "Subject", "Place",
		"Position", "FullName", "ReceivedDate", "DueDate", "SignedPdf", "Counter",
		"AgencyCode",
	};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		char *xp = xasprintf("//e:%s", absent[i]);
		if (xp_count(doc, xp) != 0)
			fail_msg("%s is there for a null", absent[i]);
		free(xp);
	}
	assert_xp(doc, "//e:Document/e:PageAmount", "3");
	assert_int_equal(validate(*state, doc, "nulls.xml", 0), 0);
	xmlFreeDoc(doc);
	json_decref(r);
}

static void expect_number(const char *number, const char *code, const char *notation)
{
	json_t *r = hungyen();
	json_object_set_new(json_object_get(r, "fields"), "number", json_string(number));
	xmlDocPtr doc = build_ok(r);
	if (code != NULL)
		assert_xp(doc, "//e:Document/e:CodeNumber", code);
	else
		assert_int_equal(xp_count(doc, "//e:Document/e:CodeNumber"), 0);
	assert_xp(doc, "//e:Document/e:CodeNotation", notation);
	xmlFreeDoc(doc);
	json_decref(r);
}

static void test_number_split(void **state)
{
	(void)state;
	expect_number("59/QĐ-UBND", "59", "QĐ-UBND");
	expect_number("66/2025/NĐ-CP", "66", "2025/NĐ-CP");
	expect_number("05/UBND-VX", "05", "UBND-VX");
	expect_number("12/CTr-UBND", "12", "CTr-UBND");
	expect_number("QĐ-UBND", NULL, "QĐ-UBND");
	expect_number("123456/QĐ", NULL, "123456/QĐ");
	expect_number("59/", NULL, "59/");
}

static void expect_refusal(json_t *r, const struct package_info *pi, const char *pdf,
    const char *reason)
{
	struct err e = { 0 };
	xmlDocPtr doc = (xmlDocPtr)1;
	assert_int_equal(eresult_build(r, pi, pdf, &doc, &e), -1);
	assert_null(doc);
	if (strstr(e.msg, reason) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, reason);
}

/* A value the schema's pattern would refuse is refused before signing. */
static void expect_shape_refusal(const char *object, const char *key, const char *value,
    const char *element)
{
	struct package_info pi = info();
	json_t *r = hungyen();
	json_t *o = object != NULL ? json_object_get(r, object) : r;
	json_object_set_new(o, key, json_string(value));
	expect_refusal(r, &pi, PDF_SHA, element);
	json_decref(r);
}

static void test_refusals(void **state)
{
	(void)state;
	struct package_info pi = info();
	json_t *r = hungyen();
	json_t *fields = json_object_get(r, "fields");
	expect_refusal(r, &pi, "ABC", "PDF hash");
	json_object_set_new(fields, "date", json_string("2023-02-29"));
	expect_refusal(r, &pi, PDF_SHA, "\"date\" is not a date");
	json_object_set_new(fields, "date", json_string("12/12/2023"));
	expect_refusal(r, &pi, PDF_SHA, "\"date\" is not a date");
	json_object_set_new(fields, "date", json_string("2024-02-29"));
	json_object_set_new(fields, "signer", json_integer(7));
	expect_refusal(r, &pi, PDF_SHA, "\"signer\" is not a string");
	json_object_set_new(fields, "signer", json_null());
	pi.operator_name = NULL;
	expect_refusal(r, &pi, PDF_SHA, "Operator is missing");
	pi = info();
	pi.signing_time = 0;
	expect_refusal(r, &pi, PDF_SHA, "signing time");
	pi = info();
	json_object_set_new(r, "id", json_string("not-a-hash"));
	expect_refusal(r, &pi, PDF_SHA, "result id");
	json_object_set_new(r, "id", json_string(ID));
	json_object_set_new(r, "kind", json_string("letter"));
	expect_refusal(r, &pi, PDF_SHA, "kind");
	json_decref(r);
	expect_shape_refusal("fields", "dossier_code", "000.00.12.H29-24012-0042", "DossierCode");
	expect_shape_refusal("fields", "citizen_id", "03319000123", "CCCD");
	expect_shape_refusal("fields", "tax_code", "0101234567-1", "MST");
	expect_shape_refusal(NULL, "result_code", "000.00.12.H29-240129-0042-KQ0", "ResultCode");
	expect_shape_refusal(NULL, "received_at", "2026-11-31T09:10:02+07:00", "ReceivedAt");
	expect_shape_refusal(NULL, "received_at", "2026-11-22 09:10:02", "ReceivedAt");
	pi.copy_form = "SAO CHỤP";
	r = hungyen();
	expect_refusal(r, &pi, PDF_SHA, "CopyForm");
	json_decref(r);
	json_t *bare = json_object();
	expect_refusal(bare, &pi, PDF_SHA, "fields");
	json_decref(bare);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	fail_msg("no %s under %s", name, parent->name);
	return NULL;
}

/* The schema is not a rubber stamp: a required element removed, a pattern
 * broken, an element out of order each fail. */
static void test_schema_rejects_invalid(void **state)
{
	json_t *r = hungyen();
	xmlDocPtr doc = build_ok(r);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr hashes = child(root, "Hashes");
	xmlUnlinkNode(hashes);
	assert_int_not_equal(validate(*state, doc, "no-hashes.xml", 1), 0);
	xmlAddChild(root, hashes);  /* now after Digitisation: out of order */
	assert_int_not_equal(validate(*state, doc, "order.xml", 1), 0);
	xmlFreeDoc(doc);

	doc = build_ok(r);
	xmlNodePtr signed_at = child(child(xmlDocGetRootElement(doc), "Digitisation"), "SignedAt");
	xmlUnlinkNode(signed_at);
	xmlFreeNode(signed_at);
	assert_int_not_equal(validate(*state, doc, "no-signed-at.xml", 1), 0);
	xmlFreeDoc(doc);

	/* eresult_build refuses such a code itself; the schema must too. */
	doc = build_ok(r);
	xmlNodeSetContent(child(xmlDocGetRootElement(doc), "DossierCode"),
	    BAD_CAST "000.00.12.H29-2401-0042");
	assert_int_not_equal(validate(*state, doc, "bad-dossier.xml", 1), 0);
	xmlFreeDoc(doc);
	json_decref(r);
}

/* The real documents of the corpus, whole, split into pages. */
static void test_corpus_documents(void **state)
{
	char *truth = xasprintf("%s/truth.jsonl", CORPUS);
	FILE *fp = fopen(truth, "r");
	char line[8192];
	int n = 0;
	free(truth);
	if (fp == NULL)
		skip();
	while (fgets(line, sizeof(line), fp) != NULL) {
		json_t *t = json_loads(line, 0, NULL);
		assert_non_null(t);
		const char *file = json_string_value(json_object_get(t, "file"));
		char *path = xasprintf("%s/%s", CORPUS, file);
		struct buf text = { 0 };
		struct err e = { 0 };
		assert_int_equal(file_read_all(path, 4 << 20, &text, &e), 0);
		buf_append(&text, "", 1);
		/* Pages of ~3000 bytes, cut at a line end. */
		for (char *p = text.data + 3000; p < text.data + text.len; p += 3000)
			if ((p = strchr(p, '\n')) != NULL)
				*p = '\f';
			else
				break;
		json_t *r = result_of(text.data);
		json_t *fields = json_object_get(r, "fields");
		const char *keys[] = { "type", "number", "issuer", "place", "date", "subject",
		    "signer" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			json_object_set(fields, keys[i], json_object_get(t, keys[i]));
		xmlDocPtr doc = build_ok(r);
		char *name = xasprintf("corpus-%d.xml", n++);
		assert_int_equal(validate(*state, doc, name, 0), 0);
		assert_xp(doc, "//e:Document/e:OrganName",
		    json_string_value(json_object_get(t, "issuer")));
		assert_true(xp_count(doc, "//e:Text/e:Page") > 3);
		free(name);
		xmlFreeDoc(doc);
		json_decref(r);
		json_decref(t);
		free(text.data);
		free(path);
	}
	fclose(fp);
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_against_schema),
		cmocka_unit_test(test_root_and_namespace),
		cmocka_unit_test(test_document_fields),
		cmocka_unit_test(test_dossier_owner_and_digitisation),
		cmocka_unit_test(test_pages_split_and_cleaned),
		cmocka_unit_test(test_nulls_are_absent),
		cmocka_unit_test(test_number_split),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_schema_rejects_invalid),
		cmocka_unit_test(test_corpus_documents),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
