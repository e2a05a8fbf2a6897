#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "api/api.h"
#include "signer/signer.h"

#define DEFAULT_AGENCY "Ủy ban nhân dân tỉnh Kon Tum"
#define DEFAULT_AGENCY_CODE "000.00.12.H29"

static const char conf_template[] =
    "# sohoa configuration made by `sohoa init`; every key is documented in\n"
    "# sohoa.conf.example. Relative paths are relative to this file.\n"
    "[sohoa]\n"
    "log_level = info\n"
    "agency_name = %s\n"
    "agency_code = %s\n"
    "\n"
    "[paths]\n"
    "spool = spool\n"
    "archive = archive\n"
    "quarantine = quarantine\n"
    "\n"
    "[ocr]\n"
    "languages = vie+eng\n"
    "\n"
    "[signer]\n"
    "pkcs12 = keys/signer.p12\n"
    "pin_file = keys/signer.pin\n"
    "ca = keys/ca.pem\n"
    "trust = keys/ca.pem\n"
    "\n"
    "[api]\n"
    "listen = 127.0.0.1:8443\n"
    "certificate = keys/api.pem\n"
    "key = keys/api.key\n"
    "tokens = keys/api-tokens\n"
    "\n"
    "[watch quay-1]\n"
    "path = inbox\n"
    "operator = Quầy 1\n";

/* A missing or empty directory may be set up; anything else is refused. */
static int dir_is_free(const char *dir, struct err *e)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		err_set(e, "%s: %s", dir, strerror(errno));
		return -1;
	}
	struct dirent *ent;
	int empty = 1;
	while ((ent = readdir(d)) != NULL)
		if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty)
		err_set(e, "%s exists and is not empty; sohoa init never overwrites", dir);
	return empty ? 0 : -1;
}

static int make_layout(const char *dir, struct err *e)
{
	static const char *const subdirs[] = { "inbox", "archive", "spool", "quarantine" };
	if (dir_make(dir, 0755, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *path = xasprintf("%s/%s", dir, subdirs[i]);
		int rc = dir_make(path, 0750, e);
		free(path);
		if (rc < 0)
			return -1;
	}
	char *keys = xasprintf("%s/keys", dir);
	int rc = dir_make(keys, 0700, e);
	free(keys);
	return rc;
}

static int make_keys(const char *dir, const char *agency, int ec, struct err *e)
{
	unsigned char raw[16];
	char pin[33];
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		err_set(e, "no randomness for the PIN");
		return -1;
	}
	hex_encode(raw, sizeof(raw), pin);
	char *keys = xasprintf("%s/keys", dir);
	char *pin_file = xasprintf("%s/signer.pin", keys);
	struct devpki_request req = { .dir = keys, .agency_name = agency, .pin = pin, .ec = ec };
	int rc = file_write_atomic(pin_file, pin, strlen(pin), 0600, e);
	if (rc == 0)
		rc = devpki_create(&req, e);
	free(pin_file);
	free(keys);
	return rc;
}

/* The API's TLS certificate and two tokens, each in its own 0600 file. */
static int make_api_access(const char *dir, struct err *e)
{
	static const struct { const char *name, *file; enum api_scope scope; } made[] = {
		{ "demo-read", "api-token", SCOPE_READ },
		{ "demo-admin", "admin-token", SCOPE_ADMIN },
	};
	char *keys = xasprintf("%s/keys", dir);
	char *tokens = xasprintf("%s/api-tokens", keys);
	int rc = devpki_tls_server(keys, e);
	for (size_t i = 0; rc == 0 && i < sizeof(made) / sizeof(made[0]); i++) {
		char *token = NULL, *path = xasprintf("%s/%s", keys, made[i].file);
		rc = api_token_add(tokens, made[i].name, made[i].scope, &token, e);
		if (rc == 0) {
			char *line = xasprintf("%s\n", token);
			rc = file_write_atomic(path, line, strlen(line), 0600, e);
			free(line);
		}
		free(token);
		free(path);
	}
	free(tokens);
	free(keys);
	return rc;
}

static int write_config(const char *dir, const char *agency, struct err *e)
{
	char *path = xasprintf("%s/sohoa.conf", dir);
	char *text = xasprintf(conf_template, agency, DEFAULT_AGENCY_CODE);
	int rc = file_write_atomic(path, text, strlen(text), 0640, e);
	free(text);
	free(path);
	return rc;
}

static int parse_args(int argc, char **argv, const char **dir, const char **agency, int *ec)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--agency") == 0 && i + 1 < argc)
			*agency = argv[++i];
		else if (strcmp(argv[i], "--ec") == 0)
			*ec = 1;
		else if (argv[i][0] == '-' || *dir != NULL)
			return -1;
		else
			*dir = argv[i];
	}
	return (*dir != NULL && strchr(*agency, '\n') == NULL) ? 0 : -1;
}

int cmd_init(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	const char *agency = DEFAULT_AGENCY;
	const char *dir = NULL;
	int ec = 0;
	if (parse_args(argc, argv, &dir, &agency, &ec) < 0) {
		fprintf(stderr, "usage: sohoa init [--agency NAME] [--ec] DIR\n");
		return EXIT_USAGE;
	}
	struct err e = { 0 };
	if (dir_is_free(dir, &e) < 0 || make_layout(dir, &e) < 0 ||
	    make_keys(dir, agency, ec, &e) < 0 || make_api_access(dir, &e) < 0 ||
	    write_config(dir, agency, &e) < 0) {
		fprintf(stderr, "sohoa init: %s\n", e.msg);
		return EXIT_USAGE;
	}
	printf("created %s/\n"
	    "  sohoa.conf   configuration (agency: %s)\n"
	    "  inbox/       drop folder [watch quay-1]\n"
	    "  archive/     digital archive\n"
	    "  spool/       durable job queue\n"
	    "  quarantine/  scans that could not be processed, with reasons\n"
	    "  keys/        DEVELOPMENT keys, not for production: ca.pem (development CA),\n"
	    "               signer.p12 + signer.pin (%s signer key and certificate).\n"
	    "               Results are signed with them; replace them with the agency's\n"
	    "               own (a PKCS#12 file or a PKCS#11 token) before real use.\n"
	    "               api.pem + api.key: the API's TLS certificate (from that CA);\n"
	    "               api-token (scope read), admin-token (scope admin), api-tokens\n"
	    "               (their hashes; add more with sohoa token add).\n"
	    "  API          https://127.0.0.1:8443/ once sohoa run is started\n"
	    "next: sohoa -c %s/sohoa.conf config check\n"
	    "      sohoa -c %s/sohoa.conf process SCAN.tif\n",
	    dir, agency, ec ? "EC P-256" : "RSA-3072", dir, dir);
	return EXIT_OK;
}
