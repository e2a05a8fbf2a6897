/*
 * fuzz_config: arbitrary text as sohoa.conf, through config_load (the parse
 * and its checks of folders, files and modes) and what `sohoa config check`
 * does after it: the OCR languages and the extraction data. The file sits in
 * a private folder holding what a setup has (spool, archive, quarantine,
 * keys with the right and the wrong modes, data -> the repository's config/),
 * so that relative paths in the input can name real things.
 */
#include "fuzz/fuzz_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "pipeline/pipeline.h"

static char *conf_path;

static void make_file(const char *dir, const char *name, unsigned mode)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f == NULL || fputs("x\n", f) < 0 || fclose(f) != 0 || chmod(p, mode) < 0)
		fatalx("cannot make %s", p);
	free(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct err e = { 0 };
	const char *dir = fuzz_tempdir();
	static const char *const dirs[] = { "spool", "archive", "quarantine", "inbox", "keys" };
	log_set_level(LOG_LEVEL_ERROR);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = xasprintf("%s/%s", dir, dirs[i]);
		if (dir_make(p, 0700, &e) < 0)
			fatalx("%s", e.msg);
		free(p);
	}
	make_file(dir, "keys/signer.p12", 0600);
	make_file(dir, "keys/signer.pin", 0600);
	make_file(dir, "keys/api-tokens", 0600);
	make_file(dir, "keys/api.key", 0644);  /* a secret others can read */
	make_file(dir, "keys/ca.pem", 0644);
	char *data = xasprintf("%s/data", dir);
	if (symlink(fuzz_data_dir(), data) < 0)
		fatalx("cannot link %s", data);
	free(data);
	conf_path = xasprintf("%s/sohoa.conf", dir);
	return 0;
}

/* As cli/options.c prints them for `sohoa config check`. */
static void print_problems(const struct config_problems *p)
{
	char line[512];
	for (size_t i = 0; i < p->count; i++) {
		if (p->items[i].line > 0)
			snprintf(line, sizeof(line), "%s:%d: %s", conf_path, p->items[i].line,
			    p->items[i].msg);
		else
			snprintf(line, sizeof(line), "%s: %s", conf_path, p->items[i].msg);
		if (strlen(p->items[i].msg) >= sizeof(p->items[i].msg))
			abort();
	}
}

static void check_pass(const struct sohoa_config *c)
{
	struct err e = { 0 };
	struct extractor *x = NULL;
	struct preprocess_options po;
	char host[64];
	unsigned port;
	preprocess_options_from_cfg(c, &po);
	if (c->api_listen != NULL &&
	    config_listen_parse(c->api_listen, host, sizeof(host), &port) == 0)
		(void)config_listen_loopback(host);
	if (ocr_languages_available(c->languages, c->tessdata_dir, &e) < 0)
		return;
	if (c->extract_data != NULL && extractor_new(c->extract_data, &x, &e) == 0)
		extractor_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sohoa_config c;
	struct config_problems p = { 0 };
	FILE *f = fopen(conf_path, "w");
	if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		fatalx("cannot write %s", conf_path);
	int rc = config_load(conf_path, &c, &p);
	if (rc < 0)
		print_problems(&p);
	else
		check_pass(&c);
	config_problems_free(&p);
	config_free(&c);
	/* The listen parser alone, on the first line. */
	char *first = fuzz_strndup(data, size);
	first[strcspn(first, "\n")] = '\0';
	char host[64];
	unsigned port;
	(void)config_listen_parse(first, host, sizeof(host), &port);
	free(first);
	return 0;
}
