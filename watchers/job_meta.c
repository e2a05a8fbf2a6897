/*
 * job.json: struct job_meta to and from JSON, and the text helpers the spool
 * and the quarantine share (UTF-8 made safe, paths that are not UTF-8).
 */
#include "watchers/spool_int.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* ---- text: UTF-8, JSON -------------------------------------------------- */

/* s with every byte that is not part of valid UTF-8 shown as U+FFFD; caller frees. */
char *spool_utf8_lossy(const char *s)
{
	struct buf b = { 0 };
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(s != NULL ? s : "");
	while (*p != '\0') {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cp);
		if (k <= 0) {
			buf_append(&b, "\xef\xbf\xbd", 3);
			k = 1;
		} else {
			buf_append(&b, p, (size_t)k);
		}
		p += k;
	}
	buf_append(&b, "", 1);
	return b.data;
}

json_t *spool_json_text(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	if (j == NULL) {
		char *lossy = spool_utf8_lossy(s);
		j = json_string(lossy);
		free(lossy);
	}
	return j;
}

/* A path is bytes: "source" for people, plus "source_hex" exactly when the
 * bytes are not UTF-8, so any path comes back as it was. */
void spool_json_set_path(json_t *o, const char *path)
{
	json_t *j = json_string(path);
	if (j != NULL) {
		json_object_set_new(o, "source", j);
		return;
	}
	size_t n = strlen(path);
	char *hex = xmalloc(2 * n + 1);
	hex_encode((const unsigned char *)path, n, hex);
	json_object_set_new(o, "source", spool_json_text(path));
	json_object_set_new(o, "source_hex", json_string(hex));
	free(hex);
}

static int hex_digit(char c)
{
	const char *p = c != '\0' ? strchr("0123456789abcdef", c) : NULL;
	return p != NULL ? (int)(p - "0123456789abcdef") : -1;
}

static char *json_get_path(json_t *o)
{
	const char *hex = json_string_value(json_object_get(o, "source_hex"));
	if (hex == NULL) {
		const char *s = json_string_value(json_object_get(o, "source"));
		return s != NULL ? xstrdup(s) : NULL;
	}
	size_t n = strlen(hex) / 2;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(out);
			return NULL;
		}
		out[i] = (char)(hi << 4 | lo);
	}
	out[n] = '\0';
	return strlen(hex) % 2 == 0 ? out : (free(out), NULL);
}

static char *json_dup(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL ? xstrdup(v) : NULL;
}

/* Takes o; the text is the caller's. */
char *spool_json_text_of(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	if (s == NULL)
		fatalx("out of memory");
	char *text = xasprintf("%s\n", s);
	free(s);
	return text;
}

/* ---- job.json ----------------------------------------------------------- */

/* job.json text for m, with `failures` in place of m->failures; caller frees. */
char *job_meta_dump(const struct job_meta *m, unsigned failures)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "watch", spool_json_text(m->watch));
	spool_json_set_path(o, m->source);
	json_object_set_new(o, "agency_code", spool_json_text(m->agency_code));
	json_object_set_new(o, "operator_name", spool_json_text(m->operator_name));
	json_object_set_new(o, "procedure", spool_json_text(m->procedure));
	json_object_set_new(o, "received_at", spool_json_text(m->received_at));
	json_object_set_new(o, "source_size", json_integer(m->source_size));
	json_object_set_new(o, "source_mtime_ns", json_integer(m->source_mtime_ns));
	json_object_set_new(o, "dossier", json_boolean(m->dossier));
	json_object_set_new(o, "failures", json_integer(failures));
	return spool_json_text_of(o);
}

int job_meta_parse(const char *text, size_t len, struct job_meta *m, struct err *e)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);
	if (!json_is_object(o)) {
		err_set(e, "not a job description: %s", o == NULL ? je.text : "not an object");
		json_decref(o);
		return -1;
	}
	m->watch = json_dup(o, "watch");
	m->source = json_get_path(o);
	m->agency_code = json_dup(o, "agency_code");
	m->operator_name = json_dup(o, "operator_name");
	m->procedure = json_dup(o, "procedure");
	m->received_at = json_dup(o, "received_at");
	m->source_size = json_integer_value(json_object_get(o, "source_size"));
	m->source_mtime_ns = json_integer_value(json_object_get(o, "source_mtime_ns"));
	m->dossier = json_is_true(json_object_get(o, "dossier"));
	json_int_t f = json_integer_value(json_object_get(o, "failures"));
	m->failures = f > 0 ? (unsigned)f : 0;
	json_decref(o);
	if (m->watch == NULL || m->source == NULL || m->received_at == NULL) {
		err_set(e, "job description without watch, source or received_at");
		return -1;
	}
	return 0;
}

void job_meta_clear(struct job_meta *m)
{
	if (m == NULL)
		return;
	free(m->watch);
	free(m->source);
	free(m->agency_code);
	free(m->operator_name);
	free(m->procedure);
	free(m->received_at);
	memset(m, 0, sizeof(*m));
}
