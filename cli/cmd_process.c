#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "archive/archive.h"
#include "pipeline/pipeline.h"
#include "signer/signer.h"

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
	if (json_is_true(json_object_get(res, "signed")))
		printf("signed: PDF/A copy (PAdES) and XML e-result (XMLDSig)\n");
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
	struct preprocessor *pre;
	struct extractor *extract;
	struct process_options opt;
	struct archive *archive;  /* NULL: nothing is filed, nothing is signed */
	struct signer_config sc;  /* points into cfg */
	struct signer *signer;    /* NULL while the key cannot be reached */
	struct package_info info;
	char *work_root;
	unsigned retry_max_s;
	const struct sohoa_config *cfg; /* [webhook]: the daemon delivers what is queued */
	int json;
};

/*
 * Signs, waiting as long as the cause is temporary (token unplugged, TSA
 * down): the scan is never filed unsigned and never dropped. The signer is
 * reopened each time, so a token plugged back in is found again.
 */
static int sign_until_done(struct process_run *run, struct job *j, struct err *e)
{
	unsigned wait = 1;
	for (;;) {
		if (run->signer != NULL || signer_open(&run->sc, &run->signer, e) == 0) {
			if (job_sign(j, run->signer, &run->info, e) == 0)
				return 0;
			signer_close(run->signer);
			run->signer = NULL;
		}
		if (!e->temporary)
			return -1;
		log_warnx("%s: not signed yet, retrying in %us: %s", j->source, wait, e->msg);
		sleep(wait);
		wait = wait * 2 > run->retry_max_s ? run->retry_max_s : wait * 2;
	}
}

static int file_job(struct process_run *run, struct job *j, json_t **filed, struct err *e)
{
	struct archive_files files = { .path = {
		[BLOB_ORIGINAL] = j->source, [BLOB_PDF] = j->pdf, [BLOB_XML] = j->xml,
		[BLOB_ALTO] = j->alto,
	} };
	if (archive_commit(run->archive, j->result, &files, cli_actor(), filed, e) < 0)
		return -1;
	struct err we = { 0 };
	if (webhook_enqueue(run->cfg, "result.archived", *filed, &we) < 0)
		log_warnx("%s: filed, but the one-stop system will not be told: %s", j->source,
		    we.msg);
	return 0;
}

/* A dossier's result code is handed out before signing: the XML names it. */
static int reserve_code(struct process_run *run, struct job *j, struct err *e)
{
	json_t *fields = json_object_get(j->result, "fields");
	const char *dossier = json_string_value(json_object_get(fields, "dossier_code"));
	char *code = NULL;
	if (dossier == NULL)
		return 0;
	if (archive_reserve_result_code(run->archive, dossier, &code, e) < 0) {
		e->temporary = 1;
		return -1;
	}
	json_object_set_new(j->result, "result_code", json_string(code));
	free(code);
	return 0;
}

/*
 * Where the scan's time went, in ms (the printed object's "timings"; never
 * filed, never signed): the pages' stages summed, then the job's. -1: the
 * stage did not run.
 */
static json_t *timings(const struct job *j, double archive_ms, double total_ms)
{
	static const char *const from_pages[] = { "decode", "preprocess", "ocr", "extract" };
	json_t *o = json_object();
	for (size_t k = 0; k < sizeof(from_pages) / sizeof(from_pages[0]); k++)
		json_object_set_new(o, from_pages[k],
		    json_real(result_stage_ms(j->result, from_pages[k])));
	json_object_update_new(o, json_pack("{s:f, s:f, s:f, s:f}",
	    "package", j->pdf ? j->package_ms : -1, "sign", j->pdf ? j->sign_ms : -1,
	    "archive", archive_ms, "total", total_ms));
	return o;
}

/* Returns an exit code for this one scan. */
static int process_one(struct process_run *run, const char *path)
{
	json_t *filed = NULL;
	struct err e = { 0 };
	struct job j = { 0 };
	int rc = EXIT_NEGATIVE;
	double start = clock_ms(), archive_ms = -1;
	if (run->archive == NULL) {
		if (pipeline_process_file(run->eng, &run->opt, path, &j.result, &e) < 0)
			goto fail;
	} else {
		if (job_init(&j, path, run->work_root, &e) < 0 ||
		    job_recognise(&j, run->eng, &run->opt, &e) < 0 ||
		    reserve_code(run, &j, &e) < 0 || sign_until_done(run, &j, &e) < 0)
			goto fail;
		archive_ms = clock_ms();
		if (file_job(run, &j, &filed, &e) < 0) {
			fprintf(stderr, "sohoa: %s: not filed in the archive: %s\n", path, e.msg);
			rc = EXIT_TEMPORARY;
			goto out;
		}
		archive_ms = clock_ms() - archive_ms;
	}
	json_t *shown = filed ? filed : j.result;
	json_object_set_new(shown, "timings", timings(&j, archive_ms, clock_ms() - start));
	if (run->json)
		cli_print_json(shown, 1);
	else
		print_for_people(path, shown);
	fflush(stdout);
	rc = EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "sohoa: %s: %s\n", path, e.msg);
	rc = e.temporary ? EXIT_TEMPORARY : EXIT_NEGATIVE;
out:
	json_decref(filed);
	job_clear(&j);
	return rc;
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

/* Filing needs the key: an expired certificate or a wrong PIN stops here,
 * before any OCR; a token not plugged in yet is waited for per scan. */
static int prepare_signing(struct process_run *run, const struct sohoa_config *cfg)
{
	struct err e = { 0 };
	if (cfg->signer_pkcs12 == NULL && cfg->signer_pkcs11_uri == NULL) {
		fprintf(stderr, "sohoa: no signing key in %s ([signer] pkcs12 or pkcs11_uri): "
		    "sohoa never files an unsigned result; use --no-archive to read the text only\n",
		    cfg->file);
		return EXIT_USAGE;
	}
	signer_config_from_cfg(cfg, &run->sc);
	if (signer_xml_init(&e) < 0 ||
	    (signer_open(&run->sc, &run->signer, &e) < 0 && !e.temporary)) {
		fprintf(stderr, "sohoa: %s\n", e.msg);
		return EXIT_USAGE;
	}
	run->work_root = xasprintf("%s/work", cfg->spool_dir);
	if (dir_make(run->work_root, 0700, &e) < 0) {
		fprintf(stderr, "sohoa: %s\n", e.msg);
		return EXIT_TEMPORARY;
	}
	run->info = (struct package_info){
		.copy_form = "SAO Y",
		.agency_name = cfg->agency_name,
		.agency_code = cfg->agency_code,
		.operator_name = cli_actor(),
	};
	run->retry_max_s = cfg->signer_retry_max_s;
	run->cfg = cfg;
	return EXIT_OK;
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
	/* Without a configuration there is no archive to file into. */
	int filing = !no_archive && cfg.file != NULL;
	if (filing && (rc = prepare_signing(&run, &cfg)) != EXIT_OK)
		goto out;
	struct preprocess_options po;
	preprocess_options_from_cfg(&cfg, &po);
	if (ocr_engine_new(languages ? languages : cfg.languages, cfg.tessdata_dir, &run.eng, &e) < 0 ||
	    preprocessor_new(cfg.tessdata_dir, &po, &run.pre, &e) < 0 ||
	    extractor_new(cfg.extract_data, &run.extract, &e) < 0) {
		fprintf(stderr, "sohoa: %s\n", e.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (filing && archive_open(cfg.archive_dir, 1, &run.archive, &e) < 0) {
		fprintf(stderr, "sohoa: archive %s: %s\n", cfg.archive_dir, e.msg);
		rc = EXIT_TEMPORARY;
		goto out;
	}
	run.opt = (struct process_options){
		.limits = { cfg.max_pixels, cfg.max_pages, cfg.max_file_bytes },
		.pre = run.pre, .extract = run.extract, .pdf_keep_text = cfg.pre_pdf_keep_text,
		.progress = isatty(STDERR_FILENO) ? show_progress : NULL,
	};
	rc = EXIT_OK;
	for (int i = 1; i <= nfiles; i++) {
		int one = process_one(&run, argv[i]);
		rc = one > rc ? one : rc;
	}
out:
	archive_close(run.archive);
	signer_close(run.signer);
	free(run.work_root);
	signer_xml_cleanup();
	preprocessor_free(run.pre);
	extractor_free(run.extract);
	ocr_engine_free(run.eng);
	config_free(&cfg);
	return rc;
}
