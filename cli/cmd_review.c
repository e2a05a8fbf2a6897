/*
 * sohoa review: the results extraction flagged for a person, and their
 * corrections. A correction re-issues the XML e-result, signed again with the
 * [signer] key; the signed PDF stays as it is. Design: docs/internals/review.md.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "api/api.h"
#include "archive/archive.h"
#include "pipeline/pipeline.h"
#include "signer/signer.h"

static const char usage_text[] =
    "usage: sohoa review [--json] [--limit N]\n"
    "       sohoa review [--json] ID [--set FIELD=VALUE]... [--by NAME]\n";

struct review_args {
	const char *id;
	struct field_edit *edits;  /* owned array; the strings point into argv */
	size_t n;
	const char *by;
	unsigned limit;
};

static int usage(const char *why, const char *what)
{
	if (why != NULL)
		fprintf(stderr, "sohoa review: %s%s\n", why, what ? what : "");
	fputs(usage_text, stderr);
	return -1;
}

/* Trims ASCII white space in place; "" and "null" clear the field (NULL). */
static const char *edit_value(char *v)
{
	v += strspn(v, " \t\r\n");
	size_t n = strlen(v);
	while (n > 0 && strchr(" \t\r\n", v[n - 1]) != NULL)
		v[--n] = '\0';
	return n == 0 || strcmp(v, "null") == 0 ? NULL : v;
}

/* "FIELD=VALUE" (argv's string, split in place) into ra->edits. */
static int take_edit(char *arg, struct review_args *ra)
{
	char *eq = strchr(arg, '=');
	struct err e = { 0 };
	if (eq == NULL)
		return usage("--set takes FIELD=VALUE, not ", arg);
	*eq = '\0';
	struct field_edit *ed = &ra->edits[ra->n];
	ed->field = arg;
	ed->value = edit_value(eq + 1);
	for (size_t i = 0; i < ra->n; i++)
		if (strcmp(ra->edits[i].field, arg) == 0)
			return usage("a field is set twice: ", arg);
	if (extract_check_value(ed->field, ed->value, time(NULL), &e) < 0 ||
	    archive_field_check(ed->field, ed->value, &e) < 0) {
		fprintf(stderr, "sohoa review: %s\n", e.msg);
		return -1;
	}
	ra->n++;
	return 0;
}

static int parse_review(int argc, char **argv, struct review_args *ra)
{
	int listing_only = 0;
	ra->edits = xcalloc((size_t)argc, sizeof(*ra->edits));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;
		if (strcmp(a, "--set") == 0 && has_value) {
			if (take_edit(argv[++i], ra) < 0)
				return -1;
		} else if (strcmp(a, "--by") == 0 && has_value) {
			ra->by = argv[++i];
		} else if (strcmp(a, "--limit") == 0 && has_value) {
			listing_only = 1;
			if (cli_parse_limit(argv[++i], &ra->limit) < 0)
				return -1;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage("unknown option or missing value: ", a);
		} else if (ra->id != NULL) {
			return usage("one ID at a time; also given: ", a);
		} else {
			ra->id = a;
		}
	}
	if (ra->id == NULL && (ra->n > 0 || ra->by != NULL))
		return usage("--set and --by need the ID of the result to correct", NULL);
	if (ra->id != NULL && listing_only)
		return usage("--limit is for the list, not for one result", NULL);
	if (ra->by != NULL && ra->by[strspn(ra->by, " \t")] == '\0')
		return usage("--by needs a name", NULL);
	return 0;
}

/* The person at the counter: --by, else who sudo'ed, else the login. */
static const char *reviewer(const struct review_args *ra)
{
	const char *env[] = { "SUDO_USER", "USER" };
	if (ra->by != NULL)
		return ra->by;
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(env[i]);
		if (v != NULL && *v != '\0')
			return v;
	}
	return cli_actor() + strlen("cli:");
}

/* ---- printing -------------------------------------------------------------- */

static const char *str(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v != NULL ? v : "-";
}

static void print_reasons(json_t *res, const char *indent)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(res, "review_reasons"), i, r)
		printf("%s%s\n", indent, json_string_value(r) ? json_string_value(r) : "?");
}

static void print_queue_line(json_t *res)
{
	printf("%.12s  %-30s  %-8s  %s\n", str(res, "id"), str(res, "result_code"),
	    str(res, "kind"), str(res, "received_at"));
	print_reasons(res, "    ");
}

static json_t *queue_entry(json_t *res)
{
	static const char *const keys[] = { "id", "result_code", "kind", "received_at",
		"version", "review_reasons", "fields", "confidence" };
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(res, keys[i]);
		json_object_set(o, keys[i], v != NULL ? v : json_null());
	}
	if (!json_is_integer(json_object_get(o, "version")))
		json_object_set_new(o, "version", json_integer(1)); /* before any correction */
	return o;
}

static int is_corrected(json_t *res, const char *field)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(res, "corrected"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), field) == 0)
			return 1;
	return 0;
}

static void print_fields(json_t *res)
{
	json_t *conf = json_object_get(res, "confidence"), *v;
	const char *k;
	printf("fields:\n");
	json_object_foreach(json_object_get(res, "fields"), k, v) {
		json_t *c = json_object_get(conf, k);
		printf("  %-14s %s", k, json_is_string(v) ? json_string_value(v) : "-");
		if (json_is_number(c))
			printf("  (%.2f)", json_number_value(c));
		printf("%s\n", is_corrected(res, k) ? "  corrected" : "");
	}
}

static void print_value(json_t *v)
{
	if (json_is_string(v))
		printf("\"%s\"", json_string_value(v));
	else
		printf("null");
}

static void print_corrections(json_t *res)
{
	size_t i;
	json_t *c;
	if (json_array_size(json_object_get(res, "corrections")) == 0)
		return;
	printf("corrections:\n");
	json_array_foreach(json_object_get(res, "corrections"), i, c) {
		printf("  %s  v%lld  %s: ", str(c, "at"),
		    (long long)json_integer_value(json_object_get(c, "version")), str(c, "field"));
		print_value(json_object_get(c, "from"));
		printf(" -> ");
		print_value(json_object_get(c, "to"));
		printf("  by %s\n", str(c, "by"));
	}
}

static void print_review(json_t *res)
{
	json_t *version = json_object_get(res, "version");
	printf("%-14s %s\n", "id", str(res, "id"));
	printf("%-14s %s\n", "result_code", str(res, "result_code"));
	printf("%-14s %s\n", "kind", str(res, "kind"));
	printf("%-14s %s\n", "received_at", str(res, "received_at"));
	printf("%-14s %lld\n", "version", json_is_integer(version) ?
	    (long long)json_integer_value(version) : 1LL);
	printf("%-14s %s\n", "review", json_is_true(json_object_get(res, "review")) ? "yes" : "no");
	print_fields(res);
	if (json_array_size(json_object_get(res, "review_reasons")) > 0) {
		printf("reasons:\n");
		print_reasons(res, "  ");
	}
	print_corrections(res);
	printf("%-14s %s\n", "xml", str(json_object_get(res, "files"), "xml"));
}

/* ---- the queue ---------------------------------------------------------------- */

static int review_list(struct cli_global *g, unsigned limit)
{
	struct archive_query q = { .review = 1, .limit = limit };
	struct sohoa_config cfg;
	struct archive *a;
	json_t *results = NULL, *res;
	struct err e = { 0 };
	size_t i;
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc != EXIT_OK)
		goto out;
	if (archive_search(a, &q, &results, &e) < 0) {
		fprintf(stderr, "sohoa review: %s\n", e.msg);
		rc = EXIT_TEMPORARY;
		goto out;
	}
	json_array_foreach(results, i, res) {
		json_t *o = queue_entry(res);
		if (g->json)
			cli_print_json(o, 1);
		else
			print_queue_line(res);
		json_decref(o);
	}
	if (json_array_size(results) == 0 && !g->json)
		fprintf(stderr, "sohoa review: no result needs review\n");
	rc = json_array_size(results) ? EXIT_OK : EXIT_NEGATIVE;
out:
	json_decref(results);
	archive_close(a);
	config_free(&cfg);
	return rc;
}

/* ---- one correction ----------------------------------------------------------- */

static void print_outcome(json_t *res, int json)
{
	if (json) {
		cli_print_json(res, 0);
		return;
	}
	print_review(res);
	printf("XML e-result re-issued and signed as version %lld; the signed PDF is unchanged\n",
	    (long long)json_integer_value(json_object_get(res, "version")));
}

/* The result to show, by any key `show` takes; returns an exit code. */
static int find_result(struct archive *a, const char *key, json_t **res)
{
	struct err e = { 0 };
	if (archive_get(a, key, res, &e) < 0) {
		fprintf(stderr, "sohoa review: %s\n", e.msg);
		return EXIT_TEMPORARY;
	}
	if (*res == NULL) {
		fprintf(stderr, "sohoa review: no result '%s' in the archive\n", key);
		return EXIT_NEGATIVE;
	}
	return EXIT_OK;
}

static int correct(struct archive *a, const struct sohoa_config *cfg,
    const struct review_args *ra, int json)
{
	struct err e = { 0 };
	json_t *filed = NULL;
	int status = 0;
	if (review_apply(cfg, a, ra->id, ra->edits, ra->n, reviewer(ra), cli_actor(), &filed,
	    &status, &e) < 0) {
		fprintf(stderr, "sohoa review: %s\n", e.msg);
		return status == 404 ? EXIT_NEGATIVE : status == 422 ? EXIT_USAGE :
		    status == 409 || status == 503 ? EXIT_TEMPORARY : EXIT_NEGATIVE;
	}
	print_outcome(filed, json);
	json_decref(filed);
	return EXIT_OK;
}

static int review_one(struct cli_global *g, const struct review_args *ra)
{
	struct sohoa_config cfg;
	struct archive *a;
	json_t *found = NULL;
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc == EXIT_OK && ra->n > 0)
		rc = correct(a, &cfg, ra, g->json);
	else if (rc == EXIT_OK)
		rc = find_result(a, ra->id, &found);
	if (found != NULL && g->json)
		cli_print_json(found, 0);
	else if (found != NULL)
		print_review(found);
	signer_xml_cleanup();
	json_decref(found);
	archive_close(a);
	config_free(&cfg);
	return rc;
}

int cmd_review(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	struct review_args ra = { 0 };
	int rc = EXIT_USAGE;
	if (parse_review(argc, argv, &ra) == 0)
		rc = ra.id != NULL ? review_one(g, &ra) : review_list(g, ra.limit);
	free(ra.edits);
	return rc;
}
