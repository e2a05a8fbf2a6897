#include "cli.h"

#include <stdio.h>
#include <string.h>

int cli_common_options(int argc, char **argv, struct cli_global *g)
{
	int out = 1;
	int only_operands = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_operands) {
			argv[out++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			only_operands = 1;
		} else if (strcmp(a, "--json") == 0) {
			g->json = 1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			log_set_level(LOG_LEVEL_DEBUG);
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sohoa %s: %s needs a FILE\n", argv[0], a);
				return -1;
			}
			g->config_path = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			g->config_path = a + 9;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

static void print_problems(const char *file, const struct config_problems *p)
{
	for (size_t i = 0; i < p->count; i++) {
		if (p->items[i].line > 0)
			fprintf(stderr, "%s:%d: %s\n", file, p->items[i].line, p->items[i].msg);
		else
			fprintf(stderr, "%s: %s\n", file, p->items[i].msg);
	}
}

int cli_load_config(const struct cli_global *g, int required, struct sohoa_config *cfg)
{
	const char *path = g->config_path ? g->config_path : config_default_path();
	if (path == NULL) {
		config_defaults(cfg);
		if (!required)
			return 0;
		fprintf(stderr, "sohoa: no configuration file: give -c FILE, set SOHOA_CONFIG, "
		    "or create /etc/sohoa/sohoa.conf\n");
		return -1;
	}
	struct config_problems problems = { 0 };
	int rc = config_load(path, cfg, &problems);
	if (rc < 0)
		print_problems(path, &problems);
	else
		log_set_level(cfg->log_level > log_get_level() ? cfg->log_level : log_get_level());
	config_problems_free(&problems);
	return rc;
}
