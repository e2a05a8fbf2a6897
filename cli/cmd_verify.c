/* sohoa verify: signatures, chain and fixity of a file or an archived result. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/archive.h"
#include "signer/signer.h"

enum target_kind { TARGET_PDF, TARGET_XML, TARGET_UNKNOWN };

static enum target_kind sniff(const char *path)
{
	char head[64] = "";
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return TARGET_UNKNOWN;
	size_t n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	if (strncmp(head, "%PDF-", 5) == 0)
		return TARGET_PDF;
	const char *p = head;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	p += strspn(p, " \t\r\n");
	return *p == '<' ? TARGET_XML : TARGET_UNKNOWN;
}

static void add_check(json_t *checks, const char *name, int ok, const char *detail)
{
	json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check", name, "ok", ok,
	    "detail", detail));
}

/* A file that cannot be read at all still becomes a failed check. */
static void verify_one(const char *path, enum target_kind kind, const struct verify_options *o,
    json_t *checks)
{
	struct err e = { 0 };
	size_t before = json_array_size(checks);
	int rc = kind == TARGET_PDF ? verify_pdf_file(path, o, checks, &e) :
	    verify_xml_file(path, o, checks, &e);
	if (rc < 0 && json_array_size(checks) == before)
		add_check(checks, kind == TARGET_PDF ? "pdf" : "xml", 0, e.msg);
}

/* The e-result names the signed PDF by its sha256: the two belong together. */
static void check_link(const char *xml, const char *pdf, json_t *checks)
{
	struct buf b = { 0 };
	struct err e = { 0 };
	char sha[65];
	int ok = 0;
	if (sha256_file_hex(pdf, sha, &e) == 0 && file_read_all(xml, 64 << 20, &b, &e) == 0) {
		buf_append(&b, "", 1);
		ok = strstr(b.data, sha) != NULL;
	}
	add_check(checks, "xml-names-pdf", ok, ok ? "the e-result names this PDF's sha256" :
	    *e.msg ? e.msg : "the e-result does not name this PDF's sha256");
	free(b.data);
}

static int verify_archived(struct cli_global *g, const char *key,
    const struct verify_options *o, json_t *checks)
{
	struct sohoa_config cfg;
	struct archive *a = NULL;
	char *pdf = NULL, *xml = NULL;
	struct err e = { 0 };
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc != EXIT_OK)
		goto out;
	if (archive_file_path(a, key, BLOB_PDF, cli_actor(), &pdf, &e) < 0 ||
	    archive_file_path(a, key, BLOB_XML, cli_actor(), &xml, &e) < 0) {
		fprintf(stderr, "sohoa verify: %s\n", e.msg);
		rc = EXIT_NEGATIVE;
		goto out;
	}
	if (pdf == NULL || xml == NULL)
		add_check(checks, "signed", 0, "this result was filed without signed files");
	if (pdf != NULL)
		verify_one(pdf, TARGET_PDF, o, checks);
	if (xml != NULL)
		verify_one(xml, TARGET_XML, o, checks);
	if (pdf != NULL && xml != NULL)
		check_link(xml, pdf, checks);
	if (archive_check_fixity(a, key, checks, &e) < 0 && *e.msg && json_array_size(checks) == 0)
		add_check(checks, "fixity", 0, e.msg);
out:
	free(pdf);
	free(xml);
	archive_close(a);
	config_free(&cfg);
	return rc;
}

static int report(const char *target, json_t *checks, int json)
{
	size_t i, failed = 0;
	json_t *c;
	json_array_foreach(checks, i, c)
		failed += !json_is_true(json_object_get(c, "ok"));
	if (json) {
		json_t *out = json_pack("{s:s, s:b, s:O}", "target", target, "ok",
		    failed == 0 && json_array_size(checks) > 0, "checks", checks);
		cli_print_json(out, 0);
		json_decref(out);
	} else {
		json_array_foreach(checks, i, c)
			printf("%-4s  %-16s %s\n", json_is_true(json_object_get(c, "ok")) ? "ok" :
			    "FAIL", json_string_value(json_object_get(c, "check")),
			    json_string_value(json_object_get(c, "detail")));
		if (failed == 0)
			printf("verified: all %zu checks hold\n", json_array_size(checks));
		else
			printf("NOT VERIFIED: %zu of %zu checks failed\n", failed,
			    json_array_size(checks));
	}
	return failed == 0 && json_array_size(checks) > 0 ? EXIT_OK : EXIT_NEGATIVE;
}

static int parse_verify(int argc, char **argv, const char **trust, const char **target)
{
	int i;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--trust") == 0 && i + 1 < argc)
			*trust = argv[++i];
		else if (argv[i][0] == '-' || *target != NULL)
			break;
		else
			*target = argv[i];
	}
	if (i == argc && *target != NULL)
		return 0;
	fprintf(stderr, "usage: sohoa verify [--json] [--trust CA.pem] (FILE | ID)\n");
	return -1;
}

int cmd_verify(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	const char *trust = NULL, *target = NULL;
	struct sohoa_config cfg;
	struct stat st;
	int rc = EXIT_USAGE, xml_ready = 0;
	json_t *checks = json_array();
	struct err e = { 0 };
	if (argc < 0 || parse_verify(argc, argv, &trust, &target) < 0)
		goto out_nocfg;
	if (cli_load_config(g, 0, &cfg) < 0)
		goto out;
	if (trust == NULL)
		trust = cfg.signer_trust ? cfg.signer_trust : cfg.signer_ca;
	if (trust == NULL) {
		fprintf(stderr, "sohoa verify: no trust store: give --trust CA.pem or set "
		    "[signer] trust\n");
		goto out;
	}
	if (signer_xml_init(&e) < 0) {
		fprintf(stderr, "sohoa verify: %s\n", e.msg);
		goto out;
	}
	xml_ready = 1;
	struct verify_options o = { .trust = trust };
	if (stat(target, &st) == 0 && S_ISREG(st.st_mode)) {
		enum target_kind kind = sniff(target);
		if (kind == TARGET_UNKNOWN) {
			fprintf(stderr, "sohoa verify: %s is neither a PDF nor an XML file\n", target);
			rc = EXIT_NEGATIVE;
			goto out;
		}
		verify_one(target, kind, &o, checks);
	} else if ((rc = verify_archived(g, target, &o, checks)) != EXIT_OK) {
		goto out;
	}
	rc = report(target, checks, g->json);
out:
	if (xml_ready)
		signer_xml_cleanup();
	config_free(&cfg);
out_nocfg:
	json_decref(checks);
	return rc;
}
