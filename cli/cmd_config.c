#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "pipeline/pipeline.h"

int cmd_config(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	if (argc != 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: sohoa [-c FILE] config check\n");
		return EXIT_USAGE;
	}
	struct sohoa_config cfg;
	int rc = EXIT_USAGE;
	if (cli_load_config(g, 1, &cfg) < 0)
		goto out;
	struct err e = { 0 };
	struct extractor *x = NULL;
	if (ocr_languages_available(cfg.languages, cfg.tessdata_dir, &e) < 0 ||
	    extractor_new(cfg.extract_data, &x, &e) < 0) {
		fprintf(stderr, "%s: %s\n", cfg.file, e.msg);
		goto out;
	}
	extractor_free(x);
	printf("configuration OK\n");
	rc = EXIT_OK;
out:
	config_free(&cfg);
	return rc;
}
