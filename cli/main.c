#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <leptonica/allheaders.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <tiffio.h>
#include <xmlsec/version.h>

#include "pipeline/pipeline.h"

static const char usage_text[] =
    "usage: sohoa [-c FILE] [--json] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  init DIR             create a self-contained setup (config, inbox, archive, spool, dev keys)\n"
    "  config check         check the configuration: 'configuration OK' or file:line at fault\n"
    "  process FILE...      decode and OCR scans, file them in the archive, print one\n"
    "                       result object per scan (--no-archive: do not file)\n"
    "  search [filters]     find results: --number --issuer --type --dossier\n"
    "                       --citizen-id --from DATE --to DATE --text WORDS [--fold]\n"
    "                       [--limit N]\n"
    "  show ID              one result (ID: result id, result code or dossier code)\n"
    "  get ID --original|--pdf|--xml [-o FILE]\n"
    "                       a file of a result\n"
    "  fsck [--repair] [--gc]\n"
    "                       re-hash every archived file and walk the audit chain\n"
    "  dispose ID --reason TEXT\n"
    "                       mark a result for disposal (its files go at fsck --gc)\n"
    "  review [--limit N]   the results extraction flagged for a person, newest first\n"
    "  review ID --set FIELD=VALUE... [--by NAME]\n"
    "                       correct fields of a result; its XML e-result is re-issued\n"
    "                       and signed again (ID alone: the result as review sees it)\n"
    "  export --bagit DIR [filters]\n"
    "                       a BagIt 1.0 bag with METS/PREMIS of the matching results\n"
    "  stats                counts and the reuse rate\n"
    "  verify [--trust CA.pem] (FILE | ID)\n"
    "                       check the signatures (XML, PDF), the certificate chain,\n"
    "                       and for an archived ID that its files match the archive\n"
    "  run                  the daemon: watch the drop folders, OCR, sign and file\n"
    "                       every scan (foreground; SIGTERM stops, SIGHUP reloads)\n"
    "  status               what the running daemon is doing: queue, workers,\n"
    "                       folders, quarantine, totals\n"
    "  serve                the HTTPS API and web page alone ([api]; run starts it too)\n"
    "  token add NAME [--scope read|review|admin]\n"
    "                       a new API token, printed once (its hash goes to [api] tokens)\n"
    "  --version            versions of sohoa and its libraries\n"
    "\n"
    "exit codes: 0 success, 1 negative result, 2 usage or config error, 3 temporary failure\n";

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli_global *g);
} commands[] = {
	{ "init", cmd_init }, { "config", cmd_config }, { "search", cmd_search },
	{ "show", cmd_show }, { "get", cmd_get }, { "fsck", cmd_fsck },
	{ "dispose", cmd_dispose }, { "review", cmd_review }, { "export", cmd_export },
	{ "stats", cmd_stats },
	{ "verify", cmd_verify }, { "run", cmd_run }, { "status", cmd_status },
	{ "serve", cmd_serve }, { "token", cmd_token },
};

int cmd_version(void)
{
	char *lept = getLeptonicaVersion();
	printf("sohoa %s\n", SOHOA_VERSION);
	printf("tesseract %s\n", ocr_tesseract_version());
	printf("%s\n", lept);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("xmlsec %s\n", XMLSEC_VERSION);
	printf("sqlite %s\n", sqlite3_libversion());
	printf("jansson %s\n", JANSSON_VERSION);
	printf("%.*s\n", (int)strcspn(TIFFGetVersion(), "\n"), TIFFGetVersion());
	lept_free(lept);
	return EXIT_OK;
}

/* Tesseract's OpenMP threads make pages slower when workers share cores;
 * libgomp reads the limit when it loads, so it must be in the environment
 * before the process starts: set it and start again. */
static void limit_openmp_threads(char **argv)
{
	if (getenv("OMP_THREAD_LIMIT") != NULL)
		return;
	setenv("OMP_THREAD_LIMIT", "1", 1);
	execv("/proc/self/exe", argv);
	log_debug("could not re-exec with OMP_THREAD_LIMIT=1; OCR may be slower");
}

static int dispatch(int argc, char **argv, struct cli_global *g, char **orig_argv)
{
	const char *cmd = argv[0];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(argc, argv, g);
	if (strcmp(cmd, "process") == 0 || strcmp(cmd, "worker") == 0) {
		limit_openmp_threads(orig_argv);
		return strcmp(cmd, "worker") == 0 ? cmd_worker(argc, argv, g) :
		    cmd_process(argc, argv, g);
	}
	if (strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "sohoa: '%s' is not a sohoa command\n\n%s", cmd, usage_text);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cli_global g = { 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0)
			return cmd_version();
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		if (strcmp(a, "--json") == 0)
			g.json = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			log_set_level(LOG_LEVEL_DEBUG);
		else if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc)
			g.config_path = argv[++i];
		else if (strncmp(a, "--config=", 9) == 0)
			g.config_path = a + 9;
		else {
			fprintf(stderr, "sohoa: unknown option '%s'\n\n%s", a, usage_text);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	return dispatch(argc - i, argv + i, &g, argv);
}
