/* sohoa serve (the API alone) and sohoa token add. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int cmd_serve(int argc, char **argv, struct cli_global *g)
{
	struct sohoa_config cfg;
	struct err e = { 0 };
	argc = cli_common_options(argc, argv, g);
	if (argc != 1) {
		fprintf(stderr, "usage: sohoa [-c FILE] serve\n");
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	if (cli_load_config(g, 1, &cfg) < 0) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	log_set_level(cfg.log_level);
	/* Blocked before any thread starts, so that only sigwait takes them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (api_serve(&cfg, &e) < 0) {
		fprintf(stderr, "sohoa serve: %s\n", e.msg);
		rc = e.temporary ? EXIT_TEMPORARY : EXIT_USAGE;
	}
	config_free(&cfg);
	return rc;
}

static int token_usage(void)
{
	fprintf(stderr, "usage: sohoa [-c FILE] token add NAME [--scope read|review|admin]\n"
	    "  prints the new token once; the tokens file ([api] tokens) keeps its hash\n");
	return EXIT_USAGE;
}

int cmd_token(int argc, char **argv, struct cli_global *g)
{
	struct sohoa_config cfg;
	struct err e = { 0 };
	enum api_scope scope = SCOPE_READ;
	const char *name = NULL;
	char *token = NULL;
	argc = cli_common_options(argc, argv, g);
	if (argc < 3 || strcmp(argv[1], "add") != 0)
		return token_usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc) {
			if (api_scope_parse(argv[++i], &scope) < 0)
				return token_usage();
		} else if (argv[i][0] == '-' || name != NULL) {
			return token_usage();
		} else {
			name = argv[i];
		}
	}
	if (name == NULL)
		return token_usage();
	int rc = EXIT_OK;
	if (cli_load_config(g, 1, &cfg) < 0) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (cfg.api_tokens == NULL) {
		fprintf(stderr, "sohoa token: no [api] tokens file in %s\n", cfg.file);
		rc = EXIT_USAGE;
	} else if (api_token_add(cfg.api_tokens, name, scope, &token, &e) < 0) {
		fprintf(stderr, "sohoa token: %s\n", e.msg);
		rc = EXIT_USAGE;
	} else if (g->json) {
		cli_print_json(json_pack("{s:s, s:s, s:s}", "name", name, "scope",
		    api_scope_name(scope), "token", token), 1);
	} else {
		fprintf(stderr, "token '%s' (scope %s) added to %s; it is shown only now:\n", name,
		    api_scope_name(scope), cfg.api_tokens);
		printf("%s\n", token);
	}
	free(token);
	config_free(&cfg);
	return rc;
}
