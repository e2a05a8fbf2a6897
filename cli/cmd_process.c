#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/pipeline.h"

static void show_progress(void *arg, const char *path, unsigned page, unsigned pages)
{
	(void)arg;
	if (pages < 2)
		return;
	fprintf(stderr, "\r%s: page %u of %u", path, page, pages);
	if (page == pages)
		fputc('\n', stderr);
}

static void print_for_people(const char *path, json_t *res)
{
	json_t *ocr = json_object_get(res, "ocr");
	printf("== %s\n", path);
	printf("id %s, %d page(s), mean OCR confidence %.0f%%\n",
	    json_string_value(json_object_get(res, "id")),
	    (int)json_integer_value(json_object_get(res, "pages")),
	    json_real_value(json_object_get(ocr, "mean_confidence")));
	const char *text = json_string_value(json_object_get(res, "text"));
	for (size_t n; *text; text += n) {
		n = strcspn(text, "\f");
		fwrite(text, 1, n, stdout);
		if (text[n] == '\f') {
			fputs("\n-- next page --\n", stdout);
			n++;
		}
	}
	putchar('\n');
}

static int process_one(struct ocr_engine *eng, const struct process_options *opt,
    const char *path, int json)
{
	json_t *res = NULL;
	struct err e = { { 0 } };
	if (pipeline_process_file(eng, opt, path, &res, &e) < 0) {
		fprintf(stderr, "sohoa: %s: %s\n", path, e.msg);
		return -1;
	}
	if (json) {
		char *s = json_dumps(res, JSON_COMPACT);
		if (s == NULL)
			fatalx("cannot serialise the result of %s", path);
		puts(s);
		free(s);
	} else {
		print_for_people(path, res);
	}
	fflush(stdout);
	json_decref(res);
	return 0;
}

int cmd_process(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	int nfiles = 0;
	const char *languages = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-archive") == 0)
			continue; /* the archive does not exist yet: nothing is filed */
		if ((strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--language") == 0) &&
		    i + 1 < argc) {
			languages = argv[++i];
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "sohoa process: unknown option '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
		argv[++nfiles] = argv[i];
	}
	if (nfiles == 0) {
		fprintf(stderr, "usage: sohoa process [--no-archive] [--json] [-l LANGS] FILE...\n");
		return EXIT_USAGE;
	}
	struct sohoa_config cfg;
	struct ocr_engine *eng = NULL;
	int rc = EXIT_USAGE;
	if (cli_load_config(g, 0, &cfg) < 0)
		goto out;
	struct err e = { { 0 } };
	if (ocr_engine_new(languages ? languages : cfg.languages, cfg.tessdata_dir, &eng, &e) < 0) {
		fprintf(stderr, "sohoa: %s\n", e.msg);
		goto out;
	}
	struct process_options opt = {
		.limits = { cfg.max_pixels, cfg.max_pages, cfg.max_file_bytes },
		.progress = isatty(STDERR_FILENO) ? show_progress : NULL,
	};
	rc = EXIT_OK;
	for (int i = 1; i <= nfiles; i++)
		if (process_one(eng, &opt, argv[i], g->json) < 0)
			rc = EXIT_NEGATIVE;
out:
	ocr_engine_free(eng);
	config_free(&cfg);
	return rc;
}
