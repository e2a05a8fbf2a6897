/* sohoa run, sohoa status, and the hidden sohoa worker. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

/* The workers are started with this path: it must not depend on the cwd. */
static char *config_path_absolute(const struct cli_global *g)
{
	const char *path = g->config_path ? g->config_path : config_default_path();
	return path != NULL ? realpath(path, NULL) : NULL;
}

int cmd_run(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	if (argc != 1) {
		fprintf(stderr, "usage: sohoa [-c FILE] run\n");
		return EXIT_USAGE;
	}
	struct sohoa_config cfg;
	if (cli_load_config(g, 1, &cfg) < 0) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	config_free(&cfg); /* the supervisor loads it itself, and again on SIGHUP */
	char *config = config_path_absolute(g);
	char *self = realpath("/proc/self/exe", NULL);
	struct err e = { 0 };
	int rc = EXIT_USAGE;
	if (config == NULL || self == NULL) {
		fprintf(stderr, "sohoa run: cannot resolve the configuration or sohoa's own path\n");
		goto out;
	}
	struct run_options o = { .self = self, .config_path = config };
	if (supervisor_run(&o, &e) < 0) {
		fprintf(stderr, "sohoa run: %s\n", e.msg);
		rc = e.temporary ? EXIT_TEMPORARY : EXIT_USAGE;
		goto out;
	}
	rc = EXIT_OK;
out:
	free(config);
	free(self);
	return rc;
}

int cmd_worker(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	struct sohoa_config cfg;
	int rc = EXIT_USAGE;
	if (argc != 1) {
		fprintf(stderr, "sohoa worker is started by sohoa run, not by hand\n");
		return EXIT_USAGE;
	}
	if (cli_load_config(g, 1, &cfg) == 0)
		rc = worker_main(&cfg) == 0 ? EXIT_OK : EXIT_TEMPORARY;
	config_free(&cfg);
	return rc;
}

static void print_workers(json_t *workers)
{
	size_t i;
	json_t *w;
	json_array_foreach(workers, i, w) {
		printf("  worker %-7lld %-8s", (long long)json_integer_value(json_object_get(w, "pid")),
		    json_string_value(json_object_get(w, "state")));
		const char *job = json_string_value(json_object_get(w, "job"));
		if (job != NULL)
			printf(" job %s, %s, %llds", job,
			    json_string_value(json_object_get(w, "stage")) ?: "?",
			    (long long)json_integer_value(json_object_get(w, "age_s")));
		putchar('\n');
	}
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_webhook(json_t *w)
{
	if (!json_is_object(w))
		return;
	printf("webhook: %lld pending, %lld delivered, %lld failed attempt(s) since start\n",
	    num(w, "pending"), num(w, "delivered"), num(w, "failed_attempts"));
	if (str(w, "oldest_pending") != NULL)
		printf("  oldest pending since %s, next attempt %s\n", str(w, "oldest_pending"),
		    str(w, "next_attempt") ?: "?");
	if (str(w, "last_error") != NULL)
		printf("  last error: %s\n", str(w, "last_error"));
}

/* "2026-11-22 09:15:00  archived     quay-1  scan.pgm  <code or id>, for review" */
static void print_recent(json_t *recent)
{
	size_t n = json_array_size(recent), shown = n < 10 ? n : 10;
	if (n == 0)
		return;
	printf("recent scans (%zu of %zu):\n", shown, n);
	for (size_t i = 0; i < shown; i++) {
		json_t *r = json_array_get(recent, i);
		const char *at = str(r, "at") ?: "", *src = str(r, "source") ?: "";
		const char *slash = strrchr(src, '/');
		const char *code = str(r, "result_code"), *id = str(r, "result_id");
		printf("  %.10s %.8s  %-11s  %s  %s", at, strlen(at) > 11 ? at + 11 : "",
		    str(r, "state") ?: "?", str(r, "watch") ?: "?", slash ? slash + 1 : src);
		if (code != NULL || id != NULL)
			printf("  %.*s%s", code ? 64 : 12, code ? code : id,
			    json_is_true(json_object_get(r, "review")) ? ", for review" : "");
		else if (str(r, "reason") != NULL)
			printf("  %s", str(r, "reason"));
		putchar('\n');
	}
}

static void print_status(json_t *st)
{
	json_t *t = json_object_get(st, "totals"), *v;
	size_t i;
	printf("sohoa running since %s (pid %lld)%s\n",
	    json_string_value(json_object_get(st, "started")),
	    (long long)json_integer_value(json_object_get(st, "pid")),
	    json_is_true(json_object_get(st, "stopping")) ? ", stopping" : "");
	printf("queue: %lld job(s) waiting\n",
	    (long long)json_integer_value(json_object_get(st, "queue")));
	print_workers(json_object_get(st, "workers"));
	printf("drop folders:\n");
	json_array_foreach(json_object_get(st, "folders"), i, v)
		printf("  %-12s %-9s %s\n", json_string_value(json_object_get(v, "name")),
		    json_string_value(json_object_get(v, "state")),
		    json_string_value(json_object_get(v, "path")));
	json_t *q = json_object_get(st, "quarantined");
	printf("quarantined: %zu\n", json_array_size(q));
	json_array_foreach(q, i, v)
		printf("  %s  %s\n    %s: %s\n", json_string_value(json_object_get(v, "id")),
		    json_string_value(json_object_get(v, "source")) ?: "?",
		    json_string_value(json_object_get(v, "stage")) ?: "?",
		    json_string_value(json_object_get(v, "reason")) ?: "?");
	printf("since start: %lld taken, %lld archived (%lld reused), %lld quarantined, "
	    "%lld retried\n", (long long)json_integer_value(json_object_get(t, "taken")),
	    (long long)json_integer_value(json_object_get(t, "archived")),
	    (long long)json_integer_value(json_object_get(t, "duplicates")),
	    (long long)json_integer_value(json_object_get(t, "quarantined")),
	    (long long)json_integer_value(json_object_get(t, "retried")));
	print_webhook(json_object_get(st, "webhook"));
	print_recent(json_object_get(st, "recent"));
}

int cmd_status(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	struct sohoa_config cfg;
	json_t *st = NULL;
	struct err e = { 0 };
	int rc = EXIT_USAGE;
	if (argc != 1) {
		fprintf(stderr, "usage: sohoa [-c FILE] status [--json]\n");
		return EXIT_USAGE;
	}
	/* Only the spool is needed: a drop folder gone missing (which status
	 * should show) must not stop it. */
	const char *path = g->config_path ? g->config_path : config_default_path();
	struct config_problems problems = { 0 };
	if (path == NULL) {
		fprintf(stderr, "sohoa status: no configuration file: give -c FILE\n");
		config_defaults(&cfg);
		goto out;
	}
	config_load(path, &cfg, &problems);
	config_problems_free(&problems);
	if (status_query(cfg.spool_dir, &st, &e) < 0) {
		fprintf(stderr, "sohoa status: %s\n", e.msg);
		rc = EXIT_NEGATIVE;
		goto out;
	}
	if (g->json)
		cli_print_json(st, 0);
	else
		print_status(st);
	rc = EXIT_OK;
out:
	json_decref(st);
	config_free(&cfg);
	return rc;
}
