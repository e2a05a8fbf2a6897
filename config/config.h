/*
 * config: the INI file (libinih) loaded into one typed struct.
 *
 * Relative paths in the file are resolved against the file's own directory,
 * so a setup made by `sohoa init DIR` can be moved as a whole.
 * The struct owns all its strings; config_free() releases them.
 */
#ifndef SOHOA_CONFIG_H
#define SOHOA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

struct watch_config {
	char *name;          /* from [watch NAME] */
	char *path;          /* drop folder, absolute */
	char *agency_code;   /* QCVN 102:2016, e.g. 000.00.12.H29; NULL = [sohoa] agency_code */
	char *operator_name; /* counter or operator, travels into the result */
	char *procedure;     /* optional procedure code */
	int line;            /* line of the section header, for messages */
};

/* What becomes of a scan in the drop folder once it is archived. */
enum originals_after { ORIGINALS_REMOVE, ORIGINALS_DONE /* moved to <folder>/done/ */ };

struct sohoa_config {
	char *file;          /* the file loaded, NULL when only defaults */
	enum log_level log_level;
	char *agency_name;   /* the copying agency, for the e-copy mark */
	char *agency_code;
	char *spool_dir;
	char *archive_dir;
	char *quarantine_dir;
	char *languages;     /* "vie+eng" */
	char *tessdata_dir;  /* NULL = the system's */
	char *extract_data;  /* gazetteers and kinds.rules; NULL = extract_data_dir() */
	uint64_t max_pixels;
	unsigned max_pages;
	uint64_t max_file_bytes;
	char *signer_pkcs12; /* key + certificate, must not be readable by others */
	char *signer_pin_file;
	char *signer_ca;            /* CA/intermediates, PEM: embedded as the chain,
	                             * trusted by verify unless signer_trust is set */
	char *signer_pkcs11_uri;    /* key in a token instead of signer_pkcs12 */
	char *signer_pkcs11_module;
	char *signer_certificate;   /* PEM; with PKCS#11, else read from the token */
	char *signer_trust;         /* PEM trust store for `sohoa verify` */
	char *signer_tsa_url;       /* RFC 3161: PAdES B-T; NULL: B-B */
	unsigned signer_tsa_timeout_s;
	unsigned signer_retry_max_s; /* longest wait between signing retries */
	unsigned daemon_workers;     /* 0 = number of cores */
	unsigned daemon_page_timeout_s;
	unsigned daemon_settle_ms;
	unsigned daemon_stable_s;
	char *daemon_ignore;         /* extra fnmatch patterns, space separated */
	enum originals_after daemon_originals;
	int pre_orientation;         /* [preprocess]: see sohoa.conf.example */
	double pre_osd_min_confidence;
	int pre_deskew;
	int pre_binarise;            /* enum binarise; -1 = the preprocessor's default */
	double pre_blank_ink_max;
	unsigned pre_min_dpi;
	int pre_pdf_keep_text;
	/* [api]: the HTTPS API and web page; api_listen NULL = no API */
	char *api_listen;            /* "127.0.0.1:8443", "[::1]:8443", "0.0.0.0:8443" */
	char *api_certificate;       /* TLS server certificate chain, PEM */
	char *api_key;               /* its private key, PEM, 0600 */
	char *api_client_ca;         /* mTLS: client certificates must chain to it */
	int api_client_scope;        /* enum api_scope (api/api.h) a client certificate gets */
	int api_plain_http;          /* 1: no TLS; only allowed on a loopback address */
	char *api_tokens;            /* the tokens file (name, scope, sha256), 0600 */
	unsigned api_threads;        /* 0 = number of cores */
	unsigned api_max_connections;
	unsigned api_timeout_s;      /* an idle or slow connection is closed after it */
	/* [webhook]: the one-stop system told of every archived result */
	char *webhook_url;           /* https://…; NULL = no webhook */
	char *webhook_secret_file;   /* the HMAC-SHA256 key (first line), 0600 */
	char *webhook_ca;            /* PEM trust for the receiver; NULL = the system's */
	unsigned webhook_timeout_s;
	unsigned webhook_retry_max_s; /* the wait between attempts doubles up to this */
	struct watch_config *watches;
	size_t nwatches;
};

/* One problem found in a config file, "file:line: message" when printed. */
struct config_problem {
	int line;            /* 0 when not tied to a line */
	char msg[256];
};

struct config_problems {
	struct config_problem *items;
	size_t count;
};
void config_problems_free(struct config_problems *p);

/* Fills every field with its default; paths are relative to the cwd. */
void config_defaults(struct sohoa_config *c);

/*
 * Loads and validates `path`: unknown sections and keys, bad values, missing
 * folders, and key or PIN files that others can read. Returns 0 when there is
 * no problem; otherwise -1 with every problem found in *problems (the caller
 * frees it). *c is filled as far as it could be either way; free it with
 * config_free().
 */
int config_load(const char *path, struct sohoa_config *c, struct config_problems *problems);
void config_free(struct sohoa_config *c);

/* [api] listen: "ADDRESS:PORT" with a numeric IPv4 or IPv6 (in brackets)
 * address. 0 and the parts (host may be NULL), or -1. */
int config_listen_parse(const char *v, char *host, size_t hostlen, unsigned *port);
/* 1 when the numeric address is a loopback one. */
int config_listen_loopback(const char *host);

/* The file sohoa uses when -c is not given: $SOHOA_CONFIG, then
 * /etc/sohoa/sohoa.conf if it exists, else NULL (defaults). */
const char *config_default_path(void);

#endif
