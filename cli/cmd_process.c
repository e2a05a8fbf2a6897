#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"
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
	const char *filed = json_string_value(json_object_get(json_object_get(res, "files"),
	    "original"));
	if (filed != NULL)
		printf("filed in the archive%s\n", json_is_true(json_object_get(res, "reused")) ?
		    " (reused: this document was already there)" : "");
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

struct process_run {
	struct ocr_engine *eng;
	struct process_options opt;
	struct archive *archive; /* NULL: nothing is filed */
	int json;
};

/* Returns an exit code for this one scan. */
static int process_one(struct process_run *run, const char *path)
{
	json_t *res = NULL, *filed = NULL;
	struct err e = { 0 };
	if (pipeline_process_file(run->eng, &run->opt, path, &res, &e) < 0) {
		fprintf(stderr, "sohoa: %s: %s\n", path, e.msg);
		return EXIT_NEGATIVE;
	}
	if (run->archive != NULL) {
		struct archive_files files = { .path = { [BLOB_ORIGINAL] = path } };
		if (archive_commit(run->archive, res, &files, cli_actor(), &filed, &e) < 0) {
			fprintf(stderr, "sohoa: %s: not filed in the archive: %s\n", path, e.msg);
			json_decref(res);
			return EXIT_TEMPORARY;
		}
		json_decref(res);
		res = filed;
	}
	if (run->json)
		cli_print_json(res, 1);
	else
		print_for_people(path, res);
	fflush(stdout);
	json_decref(res);
	return EXIT_OK;
}

static int parse_process(int argc, char **argv, int *nfiles, const char **languages,
    int *no_archive)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-archive") == 0) {
			*no_archive = 1;
		} else if ((strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--language") == 0) &&
		    i + 1 < argc) {
			*languages = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "sohoa process: unknown option '%s'\n", argv[i]);
			return -1;
		} else {
			argv[++*nfiles] = argv[i];
		}
	}
	if (*nfiles > 0)
		return 0;
	fprintf(stderr, "usage: sohoa process [--no-archive] [--json] [-l LANGS] FILE...\n");
	return -1;
}

int cmd_process(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	int nfiles = 0, no_archive = 0;
	const char *languages = NULL;
	if (parse_process(argc, argv, &nfiles, &languages, &no_archive) < 0)
		return EXIT_USAGE;
	struct sohoa_config cfg;
	struct process_run run = { .json = g->json };
	struct err e = { 0 };
	int rc = EXIT_USAGE;
	if (cli_load_config(g, 0, &cfg) < 0)
		goto out;
	if (ocr_engine_new(languages ? languages : cfg.languages, cfg.tessdata_dir, &run.eng, &e) < 0) {
		fprintf(stderr, "sohoa: %s\n", e.msg);
		goto out;
	}
	/* Without a configuration there is no archive to file into. */
	if (!no_archive && cfg.file != NULL &&
	    archive_open(cfg.archive_dir, 1, &run.archive, &e) < 0) {
		fprintf(stderr, "sohoa: archive %s: %s\n", cfg.archive_dir, e.msg);
		rc = EXIT_TEMPORARY;
		goto out;
	}
	run.opt = (struct process_options){
		.limits = { cfg.max_pixels, cfg.max_pages, cfg.max_file_bytes },
		.progress = isatty(STDERR_FILENO) ? show_progress : NULL,
	};
	rc = EXIT_OK;
	for (int i = 1; i <= nfiles; i++) {
		int one = process_one(&run, argv[i]);
		rc = one > rc ? one : rc;
	}
out:
	archive_close(run.archive);
	ocr_engine_free(run.eng);
	config_free(&cfg);
	return rc;
}
