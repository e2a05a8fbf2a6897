/* sohoa fsck, dispose, stats, export: keeping and proving the archive. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"

static void print_problems(json_t *report, const char *key, const char *label)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(report, key), i, p) {
		const char *why = json_string_value(json_object_get(p, "reason"));
		const char *res = json_string_value(json_object_get(p, "result"));
		printf("%s: %s%s%s%s\n", label, json_string_value(json_object_get(p, "path")),
		    res ? " (result " : "", res ? res : "", res ? ")" : "");
		if (why != NULL)
			printf("    %s\n", why);
	}
}

static void print_fsck(json_t *report)
{
	print_problems(report, "missing", "missing");
	print_problems(report, "changed", "changed");
	print_problems(report, "extra", "extra");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(report, "repaired"), i, p)
		printf("removed: %s (%s)\n", json_string_value(json_object_get(p, "removed")),
		    json_string_value(json_object_get(p, "reason")));
	json_t *audit = json_object_get(report, "audit");
	if (json_is_true(json_object_get(audit, "ok")))
		printf("audit chain: %d records, intact\n",
		    (int)json_integer_value(json_object_get(audit, "records")));
	else
		printf("audit chain: BROKEN at record %d: %s\n",
		    (int)json_integer_value(json_object_get(audit, "broken_at")),
		    json_string_value(json_object_get(audit, "reason")));
	printf("%d blobs checked: %s\n", (int)json_integer_value(json_object_get(report, "blobs")),
	    json_is_true(json_object_get(report, "clean")) ? "clean" : "NOT clean");
}

int cmd_fsck(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	int repair = 0, gc = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--repair") == 0)
			repair = 1;
		else if (strcmp(argv[i], "--gc") == 0)
			gc = 1;
		else {
			fprintf(stderr, "usage: sohoa fsck [--json] [--repair] [--gc]\n");
			return EXIT_USAGE;
		}
	}
	struct sohoa_config cfg;
	struct archive *a;
	json_t *report = NULL;
	struct err e = { 0 };
	int clean = 0;
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc != EXIT_OK)
		goto out;
	if (archive_fsck(a, repair, gc, &report, &clean, &e) < 0) {
		fprintf(stderr, "sohoa fsck: %s\n", e.msg);
		rc = EXIT_TEMPORARY;
		goto out;
	}
	if (g->json)
		cli_print_json(report, 0);
	else
		print_fsck(report);
	rc = clean ? EXIT_OK : EXIT_NEGATIVE;
out:
	json_decref(report);
	archive_close(a);
	config_free(&cfg);
	return rc;
}

int cmd_dispose(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	const char *id = NULL, *reason = NULL;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (argv[i][0] != '-' && id == NULL)
			id = argv[i];
		else
			bad = 1;
	}
	if (bad || id == NULL || reason == NULL || *reason == '\0') {
		fprintf(stderr, "usage: sohoa dispose ID --reason TEXT\n");
		return EXIT_USAGE;
	}
	struct sohoa_config cfg;
	struct archive *a;
	struct err e = { 0 };
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc == EXIT_OK && archive_dispose(a, id, reason, cli_actor(), &e) < 0) {
		fprintf(stderr, "sohoa dispose: %s\n", e.msg);
		rc = EXIT_NEGATIVE;
	} else if (rc == EXIT_OK) {
		printf("%s marked for disposal; its files go at the next `sohoa fsck --gc`\n", id);
	}
	archive_close(a);
	config_free(&cfg);
	return rc;
}

static void print_stats(json_t *st)
{
	static const char *const counts[] = { "results", "signed", "pages", "dossiers", "commits",
		"reuses", "disposed" };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		printf("%-10s %lld\n", counts[i],
		    (long long)json_integer_value(json_object_get(st, counts[i])));
	printf("reuse rate %.1f%% (tỷ lệ khai thác, sử dụng lại dữ liệu số hóa)\n",
	    100 * json_number_value(json_object_get(st, "reuse_rate")));
}

int cmd_stats(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	if (argc != 1) {
		fprintf(stderr, "usage: sohoa stats [--json]\n");
		return EXIT_USAGE;
	}
	struct sohoa_config cfg;
	struct archive *a;
	json_t *st = NULL;
	struct err e = { 0 };
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc == EXIT_OK && archive_stats(a, &st, &e) < 0) {
		fprintf(stderr, "sohoa stats: %s\n", e.msg);
		rc = EXIT_TEMPORARY;
	} else if (rc == EXIT_OK) {
		if (g->json)
			cli_print_json(st, 0);
		else
			print_stats(st);
	}
	json_decref(st);
	archive_close(a);
	config_free(&cfg);
	return rc;
}

int cmd_export(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	struct archive_query q = { .limit = 10000 };
	const char *bag = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bagit") == 0 && i + 1 < argc) {
			bag = argv[++i];
			continue;
		}
		int t = cli_take_filter(argc, argv, &i, &q);
		if (t == 0)
			fprintf(stderr, "sohoa export: unknown argument '%s'\n", argv[i]);
		if (t <= 0)
			return EXIT_USAGE;
	}
	if (bag == NULL) {
		fprintf(stderr, "usage: sohoa export --bagit DIR [filters]\n");
		return EXIT_USAGE;
	}
	struct sohoa_config cfg;
	struct archive *a;
	json_t *report = NULL;
	struct err e = { 0 };
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc == EXIT_OK && archive_export_bagit(a, &q, bag, cli_actor(), &report, &e) < 0) {
		fprintf(stderr, "sohoa export: %s\n", e.msg);
		rc = EXIT_NEGATIVE;
	} else if (rc == EXIT_OK) {
		if (g->json)
			cli_print_json(report, 1);
		else
			printf("bag %s: %lld results, %lld files, %lld bytes\n", bag,
			    (long long)json_integer_value(json_object_get(report, "results")),
			    (long long)json_integer_value(json_object_get(report, "files")),
			    (long long)json_integer_value(json_object_get(report, "bytes")));
	}
	json_decref(report);
	archive_close(a);
	config_free(&cfg);
	return rc;
}
