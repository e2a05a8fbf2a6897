/* cli: the `sohoa` command. Thin: it parses arguments and calls modules. */
#ifndef SOHOA_CLI_H
#define SOHOA_CLI_H

#include <jansson.h>

#include "config/config.h"

enum exit_code { EXIT_OK = 0, EXIT_NEGATIVE = 1, EXIT_USAGE = 2, EXIT_TEMPORARY = 3 };

/* Options every subcommand takes; argv[0] of a command is its name. */
struct cli_global {
	const char *config_path; /* -c FILE, NULL when not given */
	int json;
};

/*
 * Loads the configuration: -c FILE, else $SOHOA_CONFIG, else
 * /etc/sohoa/sohoa.conf, else defaults when `required` is 0. Prints every
 * problem as file:line: message. The caller frees *cfg with config_free().
 */
int cli_load_config(const struct cli_global *g, int required, struct sohoa_config *cfg);

/* Parses -c/--config and --json from argv, leaving the rest in order.
 * Returns the new argc, or -1 after printing a usage error. */
int cli_common_options(int argc, char **argv, struct cli_global *g);

struct archive;
struct archive_query;
/* "cli:<user name>", the actor the audit chain records. */
const char *cli_actor(void);
/* Loads the (required) configuration and opens its archive; returns an exit
 * code. The caller closes *a and frees *cfg, whatever the outcome. */
int cli_open_archive(struct cli_global *g, struct sohoa_config *cfg, struct archive **a);
/* Takes the search filter at argv[*i] (moving *i past its value): 1 taken,
 * 0 not a filter, -1 bad value (already reported). */
int cli_take_filter(int argc, char **argv, int *i, struct archive_query *q);
/* --limit's value: 1..10000, else a line on stderr and -1. */
int cli_parse_limit(const char *v, unsigned *limit);
void cli_print_json(json_t *v, int compact);

int cmd_version(void);
int cmd_config(int argc, char **argv, struct cli_global *g);
int cmd_init(int argc, char **argv, struct cli_global *g);
int cmd_process(int argc, char **argv, struct cli_global *g);
int cmd_search(int argc, char **argv, struct cli_global *g);
int cmd_show(int argc, char **argv, struct cli_global *g);
int cmd_get(int argc, char **argv, struct cli_global *g);
int cmd_fsck(int argc, char **argv, struct cli_global *g);
int cmd_dispose(int argc, char **argv, struct cli_global *g);
int cmd_review(int argc, char **argv, struct cli_global *g);
int cmd_export(int argc, char **argv, struct cli_global *g);
int cmd_stats(int argc, char **argv, struct cli_global *g);
int cmd_verify(int argc, char **argv, struct cli_global *g);
int cmd_run(int argc, char **argv, struct cli_global *g);
int cmd_status(int argc, char **argv, struct cli_global *g);
int cmd_worker(int argc, char **argv, struct cli_global *g);
int cmd_serve(int argc, char **argv, struct cli_global *g);
int cmd_token(int argc, char **argv, struct cli_global *g);

#endif
