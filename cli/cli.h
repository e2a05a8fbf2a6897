/* cli: the `sohoa` command. Thin: it parses arguments and calls modules. */
#ifndef SOHOA_CLI_H
#define SOHOA_CLI_H

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

int cmd_version(void);
int cmd_config(int argc, char **argv, struct cli_global *g);
int cmd_init(int argc, char **argv, struct cli_global *g);
int cmd_process(int argc, char **argv, struct cli_global *g);

#endif
