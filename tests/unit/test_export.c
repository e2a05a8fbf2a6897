#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "archive/archive.h"

#define RESULTS 50
#define BAGCHECK "/usr/bin/python3 tests/integration/bagcheck.py"

static char tmpdir[64];
static struct blob_store *store;
static json_t *results;
static char *bag;

static void put(const void *data, size_t len, json_t *files, const char *kind, char hex[65])
{
	struct err e = { 0 };
	assert_int_equal(store_put_mem(store, data, len, hex, &e), 0);
	char *rel = store_relpath(hex);
	json_object_set_new(files, kind, json_string(rel));
	free(rel);
}

/* A result as the archive holds it: files are relative blob paths. */
static json_t *make_result(int i)
{
	static const char *const formats[] = { "tiff", "png", "jpeg", "pnm", "gif" };
	char orig[65], hex[65];
	json_t *files = json_object();
	size_t len = 64 + (size_t)(rand() % 4000);
	unsigned char *scan = xmalloc(len);
	for (size_t k = 0; k < len; k++)
		scan[k] = (unsigned char)rand();
	put(scan, len, files, "original", orig);
	free(scan);
	char *p = xasprintf("%%PDF-1.7 fake result %d\n", i);
	put(p, strlen(p), files, "pdf", hex);
	free(p);
	char *x = xasprintf("<?xml version=\"1.0\"?><r n=\"%d\">quyết định</r>\n", i);
	put(x, strlen(x), files, "xml", hex);
	free(x);
	char *code = i % 2 ? xasprintf("000.00.12.H29-240129-%04d-KQ1", i)
	                   : i == 4 ? xstrdup("odd%code 4") : NULL;
	json_t *r = json_pack("{s:s, s:o, s:s, s:i, s:{s:s, s:s}, s:{s:s, s:s}, s:b, s:o}",
	    "id", orig, "result_code", code ? json_string(code) : json_null(),
	    "received_at", "2026-11-22T09:15:00+07:00", "pages", 1,
	    "ocr", "engine", i == 7 ? "tesseract 5.4.0" : "tesseract 5.3.0",
	    "format", formats[i % 5],
	    "fields", "type", "QUYẾT ĐỊNH", "issuer", "ỦY BAN NHÂN DÂN TỈNH KON TUM",
	    "signed", i % 3 != 0, "files", files);
	assert_non_null(r);
	free(code);
	return r;
}

static int setup(void **state)
{
	(void)state;
	struct err e = { 0 };
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sohoa-export-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	char *dir = xasprintf("%s/archive", tmpdir);
	int rc = store_open(dir, 1, &store, &e);
	free(dir);
	if (rc < 0)
		return -1;
	srand(42);
	results = json_array();
	for (int i = 0; i < RESULTS; i++)
		json_array_append_new(results, make_result(i));
	bag = xasprintf("%s/bag", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(store);
	json_decref(results);
	free(bag);
	char *cmd = xasprintf("chmod -R u+w '%s' && rm -rf '%s'", tmpdir, tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static int bagcheck(const char *dir)
{
	char *cmd = xasprintf(BAGCHECK " '%s' >/dev/null", dir);
	int rc = system(cmd);
	free(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path)
{
	struct err e = { 0 };
	struct buf b = { 0 };
	assert_int_equal(file_read_all(path, 1 << 24, &b, &e), 0);
	return b.data;
}

static unsigned long long oxum_bytes;
static unsigned long oxum_files;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F) {
		oxum_bytes += (unsigned long long)st->st_size;
		oxum_files++;
	}
	return 0;
}

static void check_oxum(json_t *report)
{
	oxum_bytes = 0;
	oxum_files = 0;
	char *data = xasprintf("%s/data", bag);
	assert_int_equal(nftw(data, add_size, 16, FTW_PHYS), 0);
	char *path = xasprintf("%s/bag-info.txt", bag);
	char *info = slurp(path);
	char *want = xasprintf("Payload-Oxum: %llu.%lu\n", oxum_bytes, oxum_files);
	assert_non_null(strstr(info, want));
	assert_int_equal(oxum_files, RESULTS * 4 + 1);
	assert_int_equal(json_integer_value(json_object_get(report, "files")), oxum_files);
	assert_int_equal(json_integer_value(json_object_get(report, "bytes")), oxum_bytes);
	assert_int_equal(json_integer_value(json_object_get(report, "results")), RESULTS);
	free(want);
	free(info);
	free(path);
	free(data);
}

static double xpath_number(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "m", BAD_CAST "http://www.loc.gov/METS/");
	xmlXPathRegisterNs(ctx, BAD_CAST "p", BAD_CAST "http://www.loc.gov/premis/v3");
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(o);
	double n = o->floatval;
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

static void check_mets(void)
{
	char *path = xasprintf("%s/data/mets.xml", bag);
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	assert_int_equal(xpath_number(doc,
	    "count(//p:event[p:eventType='ingestion'])"), RESULTS);
	assert_int_equal(xpath_number(doc,
	    "count(//p:event[p:eventType='message digest calculation'])"), RESULTS);
	assert_int_equal(xpath_number(doc,
	    "count(//p:event[p:eventType='digital signature generation'])"), 33);
	assert_int_equal(xpath_number(doc, "count(//m:techMD/m:mdWrap/m:xmlData/p:object)"),
	    RESULTS * 4);
	assert_int_equal(xpath_number(doc, "count(//p:fixity[p:messageDigestAlgorithm="
	    "'SHA-512'])"), RESULTS * 4);
	assert_int_equal(xpath_number(doc, "count(//p:agent)"), 3);  /* sohoa + 2 engines */
	assert_int_equal(xpath_number(doc, "count(//m:structMap/m:div/m:div)"), RESULTS);
	assert_int_equal(xpath_number(doc, "count(//m:file)"), RESULTS * 4);
	xmlFreeDoc(doc);
	free(path);
}

static void bag_of_50_results_validates(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *report = NULL;
	assert_int_equal(bagit_write(store, results, bag, &report, &e), 0);
	assert_int_equal(bagcheck(bag), 0);
	check_oxum(report);
	check_mets();
	char *path = xasprintf("%s/bagit.txt", bag);
	char *text = slurp(path);
	assert_string_equal(text, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	free(text);
	free(path);
	path = xasprintf("%s/manifest-sha512.txt", bag);
	text = slurp(path);
	assert_non_null(strstr(text, "  data/odd%25code 4/result.json\n"));
	assert_non_null(strstr(text, "  data/000.00.12.H29-240129-0001-KQ1/original.png\n"));
	assert_non_null(strstr(text, "/original.bin\n"));  /* unknown format */
	free(text);
	free(path);
	path = xasprintf("%s.partial", bag);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	json_decref(report);
}

static void corrupt_payload_fails_bagcheck(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *report = NULL;
	assert_int_equal(bagit_write(store, results, bag, &report, &e), 0);
	json_decref(report);
	assert_int_equal(bagcheck(bag), 0);
	char *path = xasprintf("%s/data/000.00.12.H29-240129-0003-KQ1/result.pdf", bag);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 3), 1);
	close(fd);
	assert_int_equal(bagcheck(bag), 1);
	free(path);
}

static void existing_bag_dir_refused(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *report = NULL;
	assert_int_equal(mkdir(bag, 0750), 0);
	assert_int_equal(bagit_write(store, results, bag, &report, &e), -1);
	assert_null(report);
	assert_non_null(strstr(e.msg, "already exists"));
	char *data = xasprintf("%s/data", bag);
	assert_int_equal(access(data, F_OK), -1);
	free(data);
}

/* The blob behind result i's kind, made writable. */
static char *blob_of(int i, const char *kind)
{
	const char *rel = json_string_value(json_object_get(
	    json_object_get(json_array_get(results, (size_t)i), "files"), kind));
	char *hex = xstrdup(rel + strlen(rel) - 64);
	char *path = store_path(store, hex);
	assert_int_equal(chmod(path, 0640), 0);
	free(hex);
	return path;
}

static void assert_no_bag(void)
{
	char *partial = xasprintf("%s.partial", bag);
	assert_int_equal(access(bag, F_OK), -1);
	assert_int_equal(access(partial, F_OK), -1);
	free(partial);
}

static void corrupt_blob_refused(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *report = NULL;
	char *path = blob_of(31, "xml");
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "!", 1, 0), 1);
	close(fd);
	assert_int_equal(bagit_write(store, results, bag, &report, &e), -1);
	assert_null(report);
	assert_non_null(strstr(e.msg, path + strlen(path) - 64));
	assert_non_null(strstr(e.msg, "corrupt"));
	assert_no_bag();
	free(path);
}

static void missing_blob_refused(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *report = NULL;
	char *path = blob_of(12, "original");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(bagit_write(store, results, bag, &report, &e), -1);
	assert_non_null(strstr(e.msg, path + strlen(path) - 64));
	assert_no_bag();
	free(path);
}

static void foreign_path_refused(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *report = NULL;
	json_t *files = json_object_get(json_array_get(results, 5), "files");
	json_object_set_new(files, "pdf", json_string("../../../../etc/passwd"));
	assert_int_equal(bagit_write(store, results, bag, &report, &e), -1);
	assert_non_null(strstr(e.msg, "not a blob path"));
	assert_no_bag();
}

static void empty_export_is_a_valid_bag(void **state)
{
	(void)state;
	struct err e = { 0 };
	json_t *report = NULL;
	json_t *none = json_array();
	assert_int_equal(bagit_write(store, none, bag, &report, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(report, "results")), 0);
	assert_int_equal(json_integer_value(json_object_get(report, "files")), 1);
	assert_int_equal(bagcheck(bag), 0);
	json_decref(report);
	json_decref(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bag_of_50_results_validates, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_payload_fails_bagcheck, setup, teardown),
		cmocka_unit_test_setup_teardown(existing_bag_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_blob_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_blob_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_path_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_export_is_a_valid_bag, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return failed;
}
