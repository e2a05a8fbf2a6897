/* config: the INI file -> struct sohoa_config, with every problem and its line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <ini.h>

#define MAX_LINE 4096
#define MIB (UINT64_C(1024) * 1024)
#define SYSTEM_CONFIG "/etc/sohoa/sohoa.conf"

enum kind {
	K_LEVEL, K_TEXT, K_CODE, K_LANGS, K_DIR, K_SECRET, K_FILE, K_PIXELS, K_PAGES, K_MB,
	K_P11URI, K_URL, K_SECONDS, K_WORD, K_SHARE, K_LISTEN, K_HTTPS,
};

struct key_def {
	const char *section; /* "watch" for the keys of every [watch NAME] */
	const char *name;
	enum kind kind;
	size_t off;          /* into struct sohoa_config or struct watch_config */
	const char *const *words; /* K_WORD: the accepted words; the field (an int or
	                           * an enum) gets the index of the one given */
};

#define G(sec, key, kind, field) { sec, key, kind, offsetof(struct sohoa_config, field), NULL }
#define GW(sec, key, field, words) \
	{ sec, key, K_WORD, offsetof(struct sohoa_config, field), words }
static const char *const no_yes[] = { "no", "yes", NULL };
static const char *const originals_words[] = { "remove", "done", NULL };
static const char *const binarise_words[] = { "none", "otsu", "sauvola", "background", NULL };
static const char *const pdf_text_words[] = { "ocr", "keep", NULL };
static const char *const scope_words[] = { "read", "review", "admin", NULL };
static const struct key_def global_keys[] = {
	G("sohoa", "log_level", K_LEVEL, log_level),
	G("sohoa", "agency_name", K_TEXT, agency_name),
	G("sohoa", "agency_code", K_CODE, agency_code),
	G("paths", "spool", K_DIR, spool_dir),
	G("paths", "archive", K_DIR, archive_dir),
	G("paths", "quarantine", K_DIR, quarantine_dir),
	G("decode", "max_pixels", K_PIXELS, max_pixels),
	G("decode", "max_pages", K_PAGES, max_pages),
	G("decode", "max_file_mb", K_MB, max_file_bytes),
	G("ocr", "languages", K_LANGS, languages),
	G("ocr", "tessdata", K_DIR, tessdata_dir),
	G("extract", "data", K_DIR, extract_data),
	G("signer", "pkcs12", K_SECRET, signer_pkcs12),
	G("signer", "pin_file", K_SECRET, signer_pin_file),
	G("signer", "ca", K_FILE, signer_ca),
	G("signer", "pkcs11_uri", K_P11URI, signer_pkcs11_uri),
	G("signer", "pkcs11_module", K_FILE, signer_pkcs11_module),
	G("signer", "certificate", K_FILE, signer_certificate),
	G("signer", "trust", K_FILE, signer_trust),
	G("signer", "tsa_url", K_URL, signer_tsa_url),
	G("signer", "tsa_timeout", K_SECONDS, signer_tsa_timeout_s),
	G("signer", "retry_max", K_SECONDS, signer_retry_max_s),
	G("daemon", "workers", K_PAGES, daemon_workers),
	G("daemon", "page_timeout", K_SECONDS, daemon_page_timeout_s),
	G("daemon", "settle_ms", K_SECONDS, daemon_settle_ms),
	G("daemon", "stable", K_SECONDS, daemon_stable_s),
	G("daemon", "ignore", K_TEXT, daemon_ignore),
	GW("daemon", "originals", daemon_originals, originals_words),
	GW("preprocess", "orientation", pre_orientation, no_yes),
	G("preprocess", "orientation_confidence", K_SHARE, pre_osd_min_confidence),
	GW("preprocess", "deskew", pre_deskew, no_yes),
	GW("preprocess", "binarise", pre_binarise, binarise_words),
	G("preprocess", "blank_ink", K_SHARE, pre_blank_ink_max),
	G("preprocess", "min_dpi", K_PAGES, pre_min_dpi),
	GW("preprocess", "pdf_text", pre_pdf_keep_text, pdf_text_words),
	G("api", "listen", K_LISTEN, api_listen),
	G("api", "certificate", K_FILE, api_certificate),
	G("api", "key", K_SECRET, api_key),
	G("api", "client_ca", K_FILE, api_client_ca),
	GW("api", "client_scope", api_client_scope, scope_words),
	GW("api", "plain_http", api_plain_http, no_yes),
	G("api", "tokens", K_SECRET, api_tokens),
	G("api", "threads", K_PAGES, api_threads),
	G("api", "max_connections", K_PAGES, api_max_connections),
	G("api", "timeout", K_SECONDS, api_timeout_s),
	G("webhook", "url", K_HTTPS, webhook_url),
	G("webhook", "secret_file", K_SECRET, webhook_secret_file),
	G("webhook", "ca", K_FILE, webhook_ca),
	G("webhook", "timeout", K_SECONDS, webhook_timeout_s),
	G("webhook", "retry_max", K_SECONDS, webhook_retry_max_s),
};
#define W(key, kind, field) { "watch", key, kind, offsetof(struct watch_config, field), NULL }
static const struct key_def watch_keys[] = {
	W("path", K_DIR, path), /* first: check_paths() relies on it */
	W("agency_code", K_CODE, agency_code),
	W("operator", K_TEXT, operator_name),
	W("procedure", K_TEXT, procedure),
};
#define NGLOBAL (sizeof(global_keys) / sizeof(global_keys[0]))
#define NWATCH (sizeof(watch_keys) / sizeof(watch_keys[0]))

enum section_kind { SEC_NONE, SEC_GLOBAL, SEC_WATCH, SEC_SKIP };

/*
 * Lines per key: 0 = not set, n = set on line n, -n = set on line n but the
 * value was refused (already reported, so the later checks skip it).
 */
struct parser {
	FILE *fp;
	char *buf;
	size_t cap;
	int line;
	char *dir;           /* the config file's folder, absolute */
	struct sohoa_config *c;
	struct config_problems *p;
	enum section_kind sec;
	char *section;       /* as written, for messages */
	size_t watch;
	int glines[NGLOBAL];
	int (*wlines)[NWATCH];
};

__attribute__((format(printf, 3, 4)))
static void problem(struct config_problems *p, int line, const char *fmt, ...)
{
	/* Kept sorted by line (stable), so `config check` reads top to bottom. */
	size_t at = p->count;
	while (at > 0 && p->items[at - 1].line > line)
		at--;
	p->items = xrealloc(p->items, (p->count + 1) * sizeof(*p->items));
	memmove(&p->items[at + 1], &p->items[at], (p->count - at) * sizeof(*p->items));
	p->items[at].line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->items[at].msg, sizeof(p->items[at].msg), fmt, ap);
	va_end(ap);
	p->count++;
}

static bool has_problem_on(const struct config_problems *p, int line)
{
	for (size_t i = 0; i < p->count; i++)
		if (p->items[i].line == line)
			return true;
	return false;
}

void config_problems_free(struct config_problems *p)
{
	free(p->items);
	p->items = NULL;
	p->count = 0;
}

void config_defaults(struct sohoa_config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_LEVEL_INFO;
	c->agency_name = xstrdup("");
	c->spool_dir = xstrdup("spool");
	c->archive_dir = xstrdup("archive");
	c->quarantine_dir = xstrdup("quarantine");
	c->languages = xstrdup("vie+eng");
	c->max_pixels = 300000000;
	c->max_pages = 1000;
	c->signer_tsa_timeout_s = 20;
	c->signer_retry_max_s = 60;
	c->daemon_page_timeout_s = 120;
	c->daemon_settle_ms = 300;
	c->daemon_stable_s = 10;
	c->daemon_originals = ORIGINALS_REMOVE;
	c->pre_orientation = 1;
	c->pre_osd_min_confidence = 2.0;
	c->pre_deskew = 1;
	c->pre_binarise = -1; /* the preprocessor's default */
	c->pre_blank_ink_max = 0.002;
	c->pre_min_dpi = 150;
	c->pre_pdf_keep_text = 1;
	c->max_file_bytes = 1024 * MIB;
	c->api_max_connections = 256;
	c->api_timeout_s = 30;
	c->webhook_timeout_s = 10;
	c->webhook_retry_max_s = 3600;
}

static void watch_free(struct watch_config *w)
{
	free(w->name);
	free(w->path);
	free(w->agency_code);
	free(w->operator_name);
	free(w->procedure);
}

void config_free(struct sohoa_config *c)
{
	char **strings[] = {
		&c->file, &c->agency_name, &c->agency_code, &c->spool_dir, &c->archive_dir,
		&c->quarantine_dir, &c->languages, &c->tessdata_dir, &c->extract_data, &c->signer_pkcs12,
		&c->signer_pin_file, &c->signer_ca, &c->signer_pkcs11_uri,
		&c->signer_pkcs11_module, &c->signer_certificate, &c->signer_trust,
		&c->signer_tsa_url, &c->daemon_ignore, &c->api_listen, &c->api_certificate,
		&c->api_key, &c->api_client_ca, &c->api_tokens, &c->webhook_url,
		&c->webhook_secret_file, &c->webhook_ca,
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(*strings[i]);
	for (size_t i = 0; i < c->nwatches; i++)
		watch_free(&c->watches[i]);
	free(c->watches);
	memset(c, 0, sizeof(*c));
}

const char *config_default_path(void)
{
	const char *env = getenv("SOHOA_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	if (access(SYSTEM_CONFIG, F_OK) == 0)
		return SYSTEM_CONFIG;
	return NULL;
}

/* --- values --- */

static char **str_field(void *base, const struct key_def *k)
{
	return (char **)((char *)base + k->off);
}

static void set_string(char **field, char *value)
{
	free(*field);
	*field = value;
}

static char *resolve(const char *dir, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", dir, path);
}

/* QCVN 102:2016 levels 4.3.2.1, e.g. 000.00.12.H29. */
static bool agency_code_valid(const char *s)
{
	static const char shape[] = "999.99.99.A99";
	for (size_t i = 0; shape[i] != '\0'; i++) {
		char ch = s[i];
		bool ok = shape[i] == '9' ? (ch >= '0' && ch <= '9') :
		    shape[i] == 'A' ? (ch >= 'A' && ch <= 'Z') : ch == shape[i];
		if (!ok)
			return false;
	}
	return s[sizeof(shape) - 1] == '\0';
}

/* Tesseract language names joined by '+': "vie+eng". */
static bool languages_valid(const char *s)
{
	if (*s == '\0' || *s == '+' || s[strlen(s) - 1] == '+' || strstr(s, "++") != NULL)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '+')
			return false;
	return true;
}

/* A file saved in TCVN3 or Windows-1258 shows up here, not on the e-copy mark. */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s != '\0') {
		int n;
		uint32_t cp, min;
		if (*s < 0x80) {
			s++;
			continue;
		} else if ((*s & 0xE0) == 0xC0) {
			n = 1, cp = *s & 0x1F, min = 0x80;
		} else if ((*s & 0xF0) == 0xE0) {
			n = 2, cp = *s & 0x0F, min = 0x800;
		} else if ((*s & 0xF8) == 0xF0) {
			n = 3, cp = *s & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		s += n + 1;
	}
	return true;
}

/* max_pixels may say 300M; decimal, like a camera's megapixels. */
static uint64_t pixel_suffix(const char *s)
{
	if (s[0] == '\0')
		return 1;
	if (s[1] != '\0')
		return 0;
	switch (toupper((unsigned char)s[0])) {
	case 'K': return 1000;
	case 'M': return 1000000;
	case 'G': return 1000000000;
	default: return 0;
	}
}

static bool apply_number(struct parser *ps, const struct key_def *k, void *base, const char *v)
{
	/* strtoull alone takes " 7", "-1" (as 2^64-1) and "7x": insist on digits. */
	uint64_t limit = k->kind == K_PAGES || k->kind == K_SECONDS ? UINT_MAX : k->kind == K_MB ? UINT64_MAX / MIB : UINT64_MAX;
	uint64_t scale = 1;
	char *end = NULL;
	errno = 0;
	unsigned long long n = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
	bool overflow = end != NULL && errno == ERANGE;
	if (end != NULL && k->kind == K_PIXELS)
		scale = pixel_suffix(end);
	else if (end != NULL && *end != '\0')
		scale = 0;
	if (end == NULL || scale == 0 || (n == 0 && !overflow)) {
		problem(ps->p, ps->line, "bad value for %s: '%s' (expected a positive integer%s)",
		    k->name, v, k->kind == K_PIXELS ? ", optionally with K, M or G" : "");
		return false;
	}
	if (overflow || n > limit / scale) {
		problem(ps->p, ps->line, "bad value for %s: '%s' (too large; at most %llu)",
		    k->name, v, (unsigned long long)limit);
		return false;
	}
	void *field = (char *)base + k->off;
	if (k->kind == K_PAGES || k->kind == K_SECONDS)
		*(unsigned *)field = (unsigned)n;
	else
		*(uint64_t *)field = (uint64_t)n * (k->kind == K_MB ? MIB : scale);
	return true;
}

static bool apply_word(struct parser *ps, const struct key_def *k, void *base, const char *v)
{
	char choices[128] = "";
	for (int i = 0; k->words[i] != NULL; i++) {
		if (strcmp(v, k->words[i]) == 0) {
			*(int *)((char *)base + k->off) = i;
			return true;
		}
		snprintf(choices + strlen(choices), sizeof(choices) - strlen(choices), "%s%s",
		    i ? (k->words[i + 1] ? ", " : " or ") : "", k->words[i]);
	}
	problem(ps->p, ps->line, "bad value for %s: '%s' (expected %s)", k->name, v, choices);
	return false;
}

/* A non-negative decimal number, e.g. 0.002 or 2.5. */
static bool apply_share(struct parser *ps, const struct key_def *k, void *base, const char *v)
{
	char *end = NULL;
	errno = 0;
	double d = isdigit((unsigned char)*v) ? strtod(v, &end) : -1;
	if (end == NULL || *end != '\0' || errno != 0 || d < 0 || d > 1000) {
		problem(ps->p, ps->line, "bad value for %s: '%s' (expected a number like 0.002)",
		    k->name, v);
		return false;
	}
	*(double *)((char *)base + k->off) = d;
	return true;
}

/* Returns false when the value was refused (and reported). */
static bool apply(struct parser *ps, const struct key_def *k, void *base, const char *v)
{
	const char *want = NULL;
	switch (k->kind) {
	case K_PIXELS:
	case K_PAGES:
	case K_MB:
	case K_SECONDS:
		return apply_number(ps, k, base, v);
	case K_P11URI:
		if (strncmp(v, "pkcs11:", 7) != 0)
			want = "an RFC 7512 URI like pkcs11:token=sohoa;object=signer;type=private";
		else
			set_string(str_field(base, k), xstrdup(v));
		break;
	case K_WORD:
		return apply_word(ps, k, base, v);
	case K_SHARE:
		return apply_share(ps, k, base, v);
	case K_URL:
		if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			want = "an http:// or https:// URL";
		else
			set_string(str_field(base, k), xstrdup(v));
		break;
	case K_HTTPS:
		if (strncmp(v, "https://", 8) != 0 || v[8] == '\0')
			want = "an https:// URL";
		else
			set_string(str_field(base, k), xstrdup(v));
		break;
	case K_LISTEN:
		if (config_listen_parse(v, NULL, 0, NULL) < 0)
			want = "ADDRESS:PORT, like 127.0.0.1:8443 or [::1]:8443";
		else
			set_string(str_field(base, k), xstrdup(v));
		break;
	case K_LEVEL:
		if (log_level_parse(v, (enum log_level *)((char *)base + k->off)) < 0)
			want = "error, warn, info or debug";
		break;
	case K_TEXT:
		if (!utf8_valid(v)) {
			problem(ps->p, ps->line, "%s is not valid UTF-8; save the file as UTF-8 "
			    "(not TCVN3 or Windows-1258)", k->name);
			return false;
		}
		set_string(str_field(base, k), xstrdup(v));
		break;
	case K_CODE:
		if (!agency_code_valid(v))
			want = "a QCVN 102:2016 agency code like 000.00.12.H29";
		else
			set_string(str_field(base, k), xstrdup(v));
		break;
	case K_LANGS:
		if (!languages_valid(v))
			want = "Tesseract language names joined by +, like vie+eng";
		else
			set_string(str_field(base, k), xstrdup(v));
		break;
	case K_DIR:
	case K_SECRET:
	case K_FILE:
		if (*v == '\0')
			want = "a path";
		else
			set_string(str_field(base, k), resolve(ps->dir, v));
		break;
	}
	if (want != NULL)
		problem(ps->p, ps->line, "bad value for %s: '%s' (expected %s)", k->name, v, want);
	return want == NULL;
}

/* --- sections and keys --- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* inih's own rule: an inline comment starts after whitespace. */
static char *find_chars_or_comment(char *s, const char *chars)
{
	bool was_space = false;
	while (*s != '\0' && strchr(chars, *s) == NULL &&
	    !(was_space && strchr(ini_inline_comment_prefixes, *s) != NULL)) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static void enter_watch(struct parser *ps, const char *name)
{
	struct sohoa_config *c = ps->c;
	ps->sec = SEC_SKIP;
	if (*name == '\0') {
		problem(ps->p, ps->line, "a watch section needs a name, like [watch quay-1]");
		return;
	}
	for (size_t i = 0; i < c->nwatches; i++) {
		if (strcmp(c->watches[i].name, name) == 0) {
			problem(ps->p, ps->line, "duplicate watch '%s' (first defined on line %d)",
			    name, c->watches[i].line);
			return;
		}
	}
	c->watches = xrealloc(c->watches, (c->nwatches + 1) * sizeof(*c->watches));
	ps->wlines = xrealloc(ps->wlines, (c->nwatches + 1) * sizeof(*ps->wlines));
	memset(&c->watches[c->nwatches], 0, sizeof(*c->watches));
	memset(ps->wlines[c->nwatches], 0, sizeof(*ps->wlines));
	c->watches[c->nwatches].name = xstrdup(name);
	c->watches[c->nwatches].line = ps->line;
	ps->watch = c->nwatches++;
	ps->sec = SEC_WATCH;
}

static void enter_section(struct parser *ps, char *name)
{
	free(ps->section);
	ps->section = xstrdup(name);
	if (strncmp(name, "watch", 5) == 0 && (name[5] == '\0' || isspace((unsigned char)name[5]))) {
		enter_watch(ps, trim(name + 5));
		return;
	}
	for (size_t i = 0; i < NGLOBAL; i++) {
		if (strcmp(global_keys[i].section, name) == 0) {
			ps->sec = SEC_GLOBAL;
			return;
		}
	}
	problem(ps->p, ps->line, "unknown section [%s]", name);
	ps->sec = SEC_SKIP;
}

/*
 * inih reports only its first syntax error and never calls back for section
 * headers, so each line is classified here as it goes by (same rules).
 */
static void classify(struct parser *ps, char *s)
{
	if (ps->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	s = trim(s);
	if (*s == '\0' || strchr(ini_start_comment_prefixes, *s) != NULL)
		return;
	if (*s == '[') {
		char *end = find_chars_or_comment(s + 1, "]");
		if (*end != ']') {
			problem(ps->p, ps->line, "syntax error: missing ']' after the section name");
			ps->sec = SEC_SKIP; /* its keys would land in the previous section */
			return;
		}
		*end = '\0';
		enter_section(ps, trim(s + 1));
		return;
	}
	char *end = find_chars_or_comment(s, "=:");
	if (*end != '=' && *end != ':')
		problem(ps->p, ps->line, "syntax error: expected 'key = value' or [section]");
}

/* inih calls its handler right after the reader returns that line. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *ps = stream;
	ssize_t n = getline(&ps->buf, &ps->cap, ps->fp);
	if (n < 0)
		return NULL;
	ps->line++;
	if (n >= num) {
		problem(ps->p, ps->line, "line too long (more than %d bytes)", MAX_LINE);
		strcpy(str, "\n");
		return str;
	}
	memcpy(str, ps->buf, (size_t)n + 1);
	classify(ps, ps->buf);
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	(void)section; /* ours comes from classify(): inih cuts long names */
	struct parser *ps = user;
	const struct key_def *keys = global_keys;
	size_t nkeys = NGLOBAL;
	void *base = ps->c;
	int *lines = ps->glines;
	const char *sec = ps->section;
	if (ps->sec == SEC_SKIP)
		return 1;
	if (ps->sec == SEC_NONE) {
		problem(ps->p, ps->line, "key '%s' is outside any section", name);
		return 1;
	}
	if (ps->sec == SEC_WATCH) {
		keys = watch_keys;
		nkeys = NWATCH;
		sec = "watch";
		base = &ps->c->watches[ps->watch];
		lines = ps->wlines[ps->watch];
	}
	for (size_t i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].section, sec) != 0 || strcmp(keys[i].name, name) != 0)
			continue;
		if (lines[i] != 0) {
			problem(ps->p, ps->line, "duplicate key '%s' in [%s] (first set on line %d)",
			    name, ps->section, abs(lines[i]));
		} else {
			bool ok = apply(ps, &keys[i], base, value);
			lines[i] = ok ? ps->line : -ps->line;
		}
		return 1;
	}
	problem(ps->p, ps->line, "unknown key '%s' in [%s]", name, ps->section);
	return 1;
}

/* --- after parsing: folders and files --- */

static const char *exposure(mode_t m)
{
	if (m & S_IROTH)
		return "readable by others";
	if (m & S_IWOTH)
		return "writable by others";
	if (m & S_IRGRP)
		return "readable by its group";
	if (m & S_IWGRP)
		return "writable by its group";
	if (m & (S_IXGRP | S_IXOTH))
		return "executable by group or others";
	return NULL;
}

/* `label` names the key in messages: "spool", "watch 'quay-1'". */
static void check_path(struct config_problems *p, const struct key_def *k, void *base,
    int line, const char *label)
{
	const char *path = *str_field(base, k);
	const char *what = k->kind == K_DIR ? " folder" : "";
	struct stat st;
	if (path == NULL || line < 0)
		return;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			problem(p, line, "%s%s %s does not exist", label, what, path);
		else
			problem(p, line, "%s%s %s: %s", label, what, path, strerror(errno));
		return;
	}
	if (k->kind == K_DIR && !S_ISDIR(st.st_mode)) {
		problem(p, line, "%s folder %s is not a directory", label, path);
		return;
	}
	if (k->kind != K_DIR && !S_ISREG(st.st_mode)) {
		problem(p, line, "%s %s is not a regular file", label, path);
		return;
	}
	/* OpenSMTPD's check_file_secrecy: the key and its PIN stay with the owner. */
	const char *exposed = exposure(st.st_mode);
	if (k->kind == K_SECRET && exposed != NULL)
		problem(p, line, "%s %s is %s (mode %04o); chmod 600 it",
		    label, path, exposed, (unsigned)(st.st_mode & 07777));
}

static bool is_path(enum kind k)
{
	return k == K_DIR || k == K_SECRET || k == K_FILE;
}

static void check_paths(struct parser *ps)
{
	for (size_t i = 0; i < NGLOBAL; i++)
		if (is_path(global_keys[i].kind))
			check_path(ps->p, &global_keys[i], ps->c, ps->glines[i], global_keys[i].name);
	for (size_t i = 0; i < ps->c->nwatches; i++) {
		struct watch_config *w = &ps->c->watches[i];
		if (w->path == NULL && ps->wlines[i][0] == 0) {
			problem(ps->p, w->line, "[watch %s] has no path (the drop folder)", w->name);
			continue;
		}
		char label[sizeof(((struct config_problem *)0)->msg)];
		snprintf(label, sizeof(label), "watch '%s'", w->name);
		check_path(ps->p, &watch_keys[0], w, ps->wlines[i][0], label);
	}
}

/* Which key: one of the two, and what the chosen one needs. */
static void check_signer(struct parser *ps)
{
	const struct sohoa_config *c = ps->c;
	if (c->signer_pkcs12 != NULL && c->signer_pkcs11_uri != NULL)
		problem(ps->p, 0, "[signer] has both pkcs12 and pkcs11_uri; keep one");
	if (c->signer_pkcs11_uri != NULL && c->signer_pkcs11_module == NULL)
		problem(ps->p, 0, "[signer] pkcs11_uri needs pkcs11_module (the token's "
		    "PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)");
	if ((c->signer_pkcs12 != NULL || c->signer_pkcs11_uri != NULL) &&
	    c->signer_pin_file == NULL)
		problem(ps->p, 0, "[signer] needs pin_file (the file holding the PIN)");
}

/* What the API and the webhook need once they are on. */
static void check_api(struct parser *ps)
{
	const struct sohoa_config *c = ps->c;
	char host[64];
	if (c->api_listen != NULL && !c->api_plain_http &&
	    (c->api_certificate == NULL || c->api_key == NULL))
		problem(ps->p, 0, "[api] needs certificate and key (TLS), or plain_http = yes on a "
		    "loopback address");
	if (c->api_listen != NULL && c->api_plain_http &&
	    (config_listen_parse(c->api_listen, host, sizeof(host), NULL) < 0 ||
	    !config_listen_loopback(host)))
		problem(ps->p, 0, "[api] plain_http = yes is allowed only on a loopback address "
		    "(127.0.0.1 or ::1), not on %s", c->api_listen);
	if (c->api_listen != NULL && c->api_tokens == NULL && c->api_client_ca == NULL)
		problem(ps->p, 0, "[api] needs tokens (the tokens file) or client_ca (mTLS): "
		    "nobody could use it");
	if (c->webhook_url != NULL && c->webhook_secret_file == NULL)
		problem(ps->p, 0, "[webhook] needs secret_file (the HMAC key)");
}

/* --- loading --- */

/* c->file = the file with its folder made absolute (symlinks in the folder
 * resolved, not the file itself); ps->dir = that folder. */
static int locate(struct parser *ps, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
	    slash == path ? xstrdup("/") : xasprintf("%.*s", (int)(slash - path), path);
	ps->dir = realpath(dir, NULL);
	if (ps->dir == NULL)
		problem(ps->p, 0, "cannot open %s: %s", path, strerror(errno));
	else
		set_string(&ps->c->file, xasprintf("%s/%s", strcmp(ps->dir, "/") == 0 ? "" :
		    ps->dir, slash == NULL ? path : slash + 1));
	free(dir);
	return ps->dir == NULL ? -1 : 0;
}

static int open_config(struct parser *ps, const char *path)
{
	struct stat st;
	ps->fp = fopen(path, "re");
	if (ps->fp == NULL) {
		problem(ps->p, 0, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(ps->fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		problem(ps->p, 0, "%s is not a regular file", path);
		return -1;
	}
	return 0;
}

static void parse(struct parser *ps)
{
	/* Debian's libinih takes its options at run time: a heap line buffer so
	 * paths may be long, and no continuation lines (an indented line is an
	 * error, not a silent append to the previous value). */
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = ini_initial_alloc = MAX_LINE + 3;
	ini_allow_multiline = false;
	ini_allow_no_value = false;
	ini_stop_on_first_error = false;
	int rc = ini_parse_stream(read_line, ps, on_key, ps);
	if (rc == -2)
		fatalx("out of memory");
	if (rc > 0 && !has_problem_on(ps->p, rc))
		problem(ps->p, rc, "syntax error");
	if (ferror(ps->fp))
		problem(ps->p, 0, "cannot read %s: %s", ps->c->file, strerror(errno));
}

int config_load(const char *path, struct sohoa_config *c, struct config_problems *problems)
{
	struct parser ps = { .c = c, .p = problems, .sec = SEC_NONE };
	problems->items = NULL;
	problems->count = 0;
	config_defaults(c);
	c->file = xstrdup(path);
	if (locate(&ps, path) < 0 || open_config(&ps, path) < 0)
		goto out;
	/* Defaults are relative too: to the file, like the values in it. */
	for (size_t i = 0; i < NGLOBAL; i++) {
		char **f = str_field(c, &global_keys[i]);
		if (global_keys[i].kind == K_DIR && *f != NULL)
			set_string(f, resolve(ps.dir, *f));
	}
	parse(&ps);
	check_paths(&ps);
	check_signer(&ps);
	check_api(&ps);
out:
	if (ps.fp != NULL)
		fclose(ps.fp);
	free(ps.buf);
	free(ps.dir);
	free(ps.section);
	free(ps.wlines);
	return problems->count == 0 ? 0 : -1;
}

int config_listen_parse(const char *v, char *host, size_t hostlen, unsigned *port)
{
	const char *colon = strrchr(v, ':');
	const char *h = v, *hend = colon;
	if (colon == NULL || colon == v)
		return -1;
	if (*v == '[') {
		if (colon[-1] != ']')
			return -1;
		h = v + 1;
		hend = colon - 1;
	}
	char *end = NULL;
	errno = 0;
	unsigned long p = isdigit((unsigned char)colon[1]) ? strtoul(colon + 1, &end, 10) : 0;
	size_t n = (size_t)(hend - h);
	if (end == NULL || *end != '\0' || p == 0 || p > 65535 || n == 0 || n >= 64)
		return -1;
	char buf[64];
	unsigned char addr[16];
	memcpy(buf, h, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1)
		return -1;
	if (host != NULL && hostlen > n)
		memcpy(host, buf, n + 1);
	if (port != NULL)
		*port = (unsigned)p;
	return 0;
}

int config_listen_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}
