/* The archive's commands: search, show, get, fsck, export, stats, dispose. */
#include "cli.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"

const char *cli_actor(void)
{
	static char actor[64];
	if (actor[0] == '\0') {
		struct passwd *pw = getpwuid(geteuid());
		snprintf(actor, sizeof(actor), "cli:%s", pw ? pw->pw_name : "unknown");
	}
	return actor;
}

int cli_open_archive(struct cli_global *g, struct sohoa_config *cfg, struct archive **a)
{
	struct err e = { 0 };
	*a = NULL;
	if (cli_load_config(g, 1, cfg) < 0)
		return EXIT_USAGE;
	if (archive_open(cfg->archive_dir, 1, a, &e) < 0) {
		fprintf(stderr, "sohoa: archive %s: %s\n", cfg->archive_dir, e.msg);
		return EXIT_TEMPORARY;
	}
	return EXIT_OK;
}

void cli_print_json(json_t *v, int compact)
{
	char *s = json_dumps(v, compact ? JSON_COMPACT : JSON_INDENT(2));
	if (s == NULL)
		fatalx("cannot serialise JSON");
	puts(s);
	free(s);
}

static const char *field(json_t *res, const char *name)
{
	const char *v = json_string_value(json_object_get(json_object_get(res, "fields"), name));
	return v ? v : "-";
}

static void print_line(json_t *res)
{
	const char *code = json_string_value(json_object_get(res, "result_code"));
	const char *id = json_string_value(json_object_get(res, "id"));
	const char *source = json_string_value(json_object_get(res, "source"));
	printf("%s  %-30s  %s %s  %s  %s  %s\n",
	    json_string_value(json_object_get(res, "received_at")),
	    code ? code : (id ? id : "?"), field(res, "type"), field(res, "number"),
	    field(res, "date"), field(res, "issuer"), source ? source : "-");
}

static const struct option_spec {
	const char *flag;
	size_t off;
} query_options[] = {
	{ "--number", offsetof(struct archive_query, number) },
	{ "--issuer", offsetof(struct archive_query, issuer) },
	{ "--type", offsetof(struct archive_query, type) },
	{ "--dossier", offsetof(struct archive_query, dossier) },
	{ "--citizen-id", offsetof(struct archive_query, citizen_id) },
	{ "--from", offsetof(struct archive_query, from) },
	{ "--to", offsetof(struct archive_query, to) },
	{ "--text", offsetof(struct archive_query, text) },
};

int cli_parse_limit(const char *v, unsigned *limit)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n == 0 || n > 10000) {
		fprintf(stderr, "sohoa: --limit takes a number from 1 to 10000, not '%s'\n", v);
		return -1;
	}
	*limit = (unsigned)n;
	return 0;
}

/* Takes one filter at argv[*i]; 1 taken, 0 not a filter, -1 bad value. */
int cli_take_filter(int argc, char **argv, int *i, struct archive_query *q)
{
	const char *a = argv[*i];
	if (strcmp(a, "--fold") == 0) {
		q->fold = 1;
		return 1;
	}
	const char **slot = NULL;
	for (size_t k = 0; k < sizeof(query_options) / sizeof(query_options[0]); k++)
		if (strcmp(a, query_options[k].flag) == 0)
			slot = (const char **)((char *)q + query_options[k].off);
	int is_limit = strcmp(a, "--limit") == 0;
	if (slot == NULL && !is_limit)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "sohoa: %s needs a value\n", a);
		return -1;
	}
	const char *v = argv[++*i];
	if (slot == NULL)
		return cli_parse_limit(v, &q->limit) < 0 ? -1 : 1;
	*slot = v;
	return 1;
}

int cmd_search(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	struct archive_query q = { 0 };
	for (int i = 1; i < argc; i++) {
		int t = cli_take_filter(argc, argv, &i, &q);
		if (t <= 0) {
			if (t == 0)
				fprintf(stderr, "sohoa search: unknown argument '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	struct sohoa_config cfg;
	struct archive *a;
	json_t *results = NULL;
	struct err e = { 0 };
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc != EXIT_OK)
		goto out;
	if (archive_search(a, &q, &results, &e) < 0) {
		fprintf(stderr, "sohoa search: %s\n", e.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	size_t i;
	json_t *res;
	json_array_foreach(results, i, res) {
		if (g->json)
			cli_print_json(res, 1);
		else
			print_line(res);
	}
	rc = json_array_size(results) ? EXIT_OK : EXIT_NEGATIVE;
out:
	json_decref(results);
	archive_close(a);
	config_free(&cfg);
	return rc;
}

/* One positional ID and nothing else; returns it or NULL after usage. */
static const char *single_id(int argc, char **argv, const char *usage)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s\n", usage);
		return NULL;
	}
	return argv[1];
}

static void print_result_for_people(json_t *res)
{
	static const char *const top[] = { "id", "result_code", "source", "received_at", "kind" };
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		const char *v = json_string_value(json_object_get(res, top[i]));
		printf("%-14s %s\n", top[i], v ? v : "-");
	}
	printf("%-14s %d\n", "pages", (int)json_integer_value(json_object_get(res, "pages")));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(res, "fields"), k, v)
		if (json_is_string(v))
			printf("%-14s %s\n", k, json_string_value(v));
	json_object_foreach(json_object_get(res, "files"), k, v)
		printf("%-14s %s\n", k, json_is_string(v) ? json_string_value(v) : "-");
	printf("%-14s %s\n", "signed", json_is_true(json_object_get(res, "signed")) ? "yes" : "no");
	printf("%-14s %s\n", "reused", json_is_true(json_object_get(res, "reused")) ? "yes" : "no");
}

int cmd_show(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	const char *id = single_id(argc, argv, "sohoa show [--json] ID");
	if (id == NULL)
		return EXIT_USAGE;
	struct sohoa_config cfg;
	struct archive *a;
	json_t *res = NULL;
	struct err e = { 0 };
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc != EXIT_OK)
		goto out;
	if (archive_get(a, id, &res, &e) < 0) {
		fprintf(stderr, "sohoa show: %s\n", e.msg);
		rc = EXIT_TEMPORARY;
	} else if (res == NULL) {
		fprintf(stderr, "sohoa show: no result '%s' in the archive\n", id);
		rc = EXIT_NEGATIVE;
	} else if (g->json) {
		cli_print_json(res, 0);
	} else {
		print_result_for_people(res);
	}
out:
	json_decref(res);
	archive_close(a);
	config_free(&cfg);
	return rc;
}
