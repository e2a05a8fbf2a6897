/*
 * archive: what a correction after review does to a result object. The
 * rules only; archive.c looks the result up and files the new version.
 * Design: docs/internals/review.md.
 */
#include "archive.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

static int no_controls(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int utf8_valid(const char *v)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)v;
	utf8proc_int32_t cp;
	while (*p != '\0') {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n <= 0)
			return 0;
		p += n;
	}
	return 1;
}

/* What the archive itself refuses; the meaning of values is checked by
 * extract_check_value (pipeline) before. */
int archive_field_check(const char *field, const char *value, struct err *e)
{
	if (strcmp(field, "dossier_code") == 0) {
		err_set(e, "dossier_code cannot be corrected: the result code and the dossier's "
		    "links were handed out under it");
		return -1;
	}
	if (value != NULL && (!utf8_valid(value) || !no_controls(value))) {
		err_set(e, "the value of %s is not printable UTF-8 text", field);
		return -1;
	}
	return 0;
}

static json_int_t version_of(json_t *r)
{
	json_t *v = json_object_get(r, "version");
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 1;
}

/* obj[key] as the given kind, made (replacing anything else) when it is not. */
static json_t *member(json_t *obj, const char *key, int array)
{
	json_t *v = json_object_get(obj, key);
	if (array ? json_is_array(v) : json_is_object(v))
		return v;
	v = array ? json_array() : json_object();
	json_object_set_new(obj, key, v);
	return v;
}

/* "tax_code: …" and, for the first part of a scan of several, "part 1: tax_code: …". */
static int reason_names(const char *reason, const char *field)
{
	size_t n = strlen(field);
	if (strncmp(reason, "part 1: ", 8) == 0)
		reason += 8;
	return strncmp(reason, field, n) == 0 && reason[n] == ':';
}

static void drop_reasons(json_t *reasons, const char *field)
{
	for (size_t i = json_array_size(reasons); i-- > 0;) {
		const char *s = json_string_value(json_array_get(reasons, i));
		if (s != NULL && reason_names(s, field))
			json_array_remove(reasons, i);
	}
}

static void mark_corrected(json_t *corrected, const char *field)
{
	size_t i;
	json_t *v;
	json_array_foreach(corrected, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), field) == 0)
			return;
	json_array_append_new(corrected, json_string(field));
}

/* NFC, as the OCR text is; people type decomposed Vietnamese too. */
static json_t *nfc_string(const char *s)
{
	char *n = (char *)utf8proc_NFC((const utf8proc_uint8_t *)s);
	json_t *v = json_string(n != NULL ? n : s);
	free(n);
	if (v == NULL)
		fatalx("out of memory");
	return v;
}

static void apply_edit(json_t *r, const struct field_edit *ed, const char *by, const char *now,
    json_int_t version)
{
	json_t *fields = member(r, "fields", 0), *conf = member(r, "confidence", 0);
	json_t *from = json_object_get(fields, ed->field);
	json_t *to = ed->value != NULL ? nfc_string(ed->value) : json_null();
	json_array_append_new(member(r, "corrections", 1), json_pack("{s:s, s:O, s:O, s:s, s:s, s:I}",
	    "field", ed->field, "from", from != NULL ? from : json_null(), "to", to, "by", by,
	    "at", now, "version", version));
	json_object_set_new(fields, ed->field, to);
	if (ed->value != NULL)
		json_object_set_new(conf, ed->field, json_real(1.0));
	else
		json_object_del(conf, ed->field);
	mark_corrected(member(r, "corrected", 1), ed->field);
	drop_reasons(member(r, "review_reasons", 1), ed->field);
}

json_t *revision_apply(json_t *stored, const struct field_edit *edits, size_t n,
    const char *by, const char *now)
{
	json_t *r = json_deep_copy(stored);
	if (r == NULL)
		fatalx("out of memory copying a result");
	json_int_t version = version_of(stored) + 1;
	if (json_object_get(r, "extracted") == NULL)
		json_object_set_new(r, "extracted", json_deep_copy(member(r, "fields", 0)));
	for (size_t i = 0; i < n; i++)
		apply_edit(r, &edits[i], by, now, version);
	json_object_set_new(r, "review",
	    json_boolean(json_array_size(json_object_get(r, "review_reasons")) > 0));
	json_object_set_new(r, "version", json_integer(version));
	return r;
}

static const char *blob_name(const char *rel)
{
	const char *slash = rel != NULL ? strrchr(rel, '/') : NULL;
	return slash != NULL ? slash + 1 : rel;
}

json_t *revision_with_xml(json_t *draft, const char *sha, const char *now)
{
	json_t *r = json_deep_copy(draft);
	if (r == NULL)
		fatalx("out of memory copying a result");
	json_t *files = member(r, "files", 0);
	const char *old = json_string_value(json_object_get(files, "xml"));
	if (old != NULL)
		json_array_append_new(member(r, "xml_versions", 1), json_pack("{s:I, s:s, s:s, s:s}",
		    "version", version_of(r) - 1, "sha256", blob_name(old), "file", old,
		    "superseded_at", now));
	char *rel = store_relpath(sha);
	json_object_set_new(files, "xml", json_string(rel));
	free(rel);
	return r;
}

char *revision_detail(json_t *revised, const char *sha)
{
	json_int_t version = version_of(revised);
	json_t *fields = json_object(), *c;
	const char *by = NULL;
	size_t i;
	json_array_foreach(json_object_get(revised, "corrections"), i, c) {
		if (json_integer_value(json_object_get(c, "version")) != version)
			continue;
		by = json_string_value(json_object_get(c, "by"));
		json_object_set_new(fields, json_string_value(json_object_get(c, "field")),
		    json_pack("{s:O, s:O}", "from", json_object_get(c, "from"), "to",
		    json_object_get(c, "to")));
	}
	json_t *d = json_pack("{s:I, s:s?, s:o, s:s}", "version", version, "by", by,
	    "fields", fields, "xml", sha);
	char *s = d != NULL ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	if (s == NULL)
		fatalx("out of memory");
	return s;
}
