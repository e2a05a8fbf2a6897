/*
 * eresult: the result object -> the XML e-result of docs/eresult-1.0.xsd.
 * Element names follow Nghị định 30/2020 Phụ lục VI where it has one; the
 * schema's annotations say what each element holds.
 */
#include "pipeline.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Building state: the first failure is kept and later additions are skipped,
 * so the builders below need no error checks of their own. */
struct eb {
	xmlNsPtr ns;
	struct err *e;
	int failed;
};

static void eb_fail(struct eb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void eb_fail(struct eb *b, const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;
	if (b->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->failed = 1;
	err_set(b->e, "%s", msg);
}

/* Length of the UTF-8 sequence at p holding *cp; 0 when it is not valid. */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 :
	    (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	uint32_t c = len == 1 ? p[0] : p[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

static int xml_char_ok(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
	    (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
}

/* A copy of p[0..n) without what XML 1.0 cannot carry (C0 controls but
 * tab/LF/CR, U+FFFE/U+FFFF, broken UTF-8). The caller frees it. */
static char *xml_clean(const char *p, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	const unsigned char *u = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		uint32_t c = 0;
		size_t len = utf8_next(u + i, n - i, &c);
		if (len == 0) {
			i++;
			continue;
		}
		if (xml_char_ok(c)) {
			memcpy(out + o, u + i, len);
			o += len;
		}
		i += len;
	}
	out[o] = '\0';
	return out;
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Where s goes on after a prefix shaped like tmpl ('d' a digit, 'L' a
 * capital A-Z, others themselves), or NULL. */
static const char *shaped_prefix(const char *s, const char *tmpl)
{
	for (; *tmpl != '\0'; s++, tmpl++) {
		int ok = *tmpl == 'd' ? *s >= '0' && *s <= '9' :
		    *tmpl == 'L' ? *s >= 'A' && *s <= 'Z' : *s == *tmpl;
		if (!ok)
			return NULL;
	}
	return s;
}

static int shaped(const char *s, const char *tmpl)
{
	const char *end = shaped_prefix(s, tmpl);
	return end != NULL && *end == '\0';
}

#define DOSSIER_SHAPE "ddd.dd.dd.Ldd-dddddd-dddd"

/* xs:dateTime with a zone, as time_iso8601_vn writes it. */
static int zoned_time_ok(const char *v)
{
	char date[11];
	if (!shaped(v, "dddd-dd-ddTdd:dd:dd+dd:dd") && !shaped(v, "dddd-dd-ddTdd:dd:dd-dd:dd") &&
	    !shaped(v, "dddd-dd-ddTdd:dd:ddZ"))
		return 0;
	memcpy(date, v, 10);
	date[10] = '\0';
	return iso_date_valid(date) && atoi(v + 11) < 24 && atoi(v + 14) < 60 && atoi(v + 17) < 60;
}

/* The schema's patterns, checked here so that nothing signed fails it. */
static int value_ok(const char *name, const char *v)
{
	size_t n = strlen(v);
	const char *kq;
	if (strcmp(name, "DossierCode") == 0)
		return shaped(v, DOSSIER_SHAPE);
	if (strcmp(name, "ResultCode") == 0)
		return (kq = shaped_prefix(v, DOSSIER_SHAPE "-KQ")) != NULL && *kq >= '1' &&
		    *kq <= '9' && digits(kq, strlen(kq));
	if (strcmp(name, "CCCD") == 0)
		return (n == 12 || n == 9) && digits(v, n);
	if (strcmp(name, "MST") == 0)
		return shaped(v, "dddddddddd") || shaped(v, "dddddddddd-ddd");
	if (strcmp(name, "AgencyCode") == 0)
		return n >= 1 && n <= 35 && strspn(v, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz.-") == n;
	if (strcmp(name, "CopyForm") == 0)
		return strcmp(v, "SAO Y") == 0 || strcmp(v, "SAO LỤC") == 0 ||
		    strcmp(v, "TRÍCH SAO") == 0;
	if (strcmp(name, "ReceivedAt") == 0)
		return zoned_time_ok(v);
	return 1;
}

/* <name>value</name> under parent; a value blank once cleaned adds nothing. */
static xmlNodePtr add_text(struct eb *b, xmlNodePtr parent, const char *name,
    const char *value, size_t len)
{
	if (b->failed || value == NULL)
		return NULL;
	char *clean = xml_clean(value, len);
	xmlNodePtr n = NULL;
	if (!blank(clean) && !value_ok(name, clean))
		eb_fail(b, "%s \"%.64s\" does not have the form of docs/eresult-1.0.xsd", name,
		    clean);
	else if (!blank(clean))
		n = xmlNewTextChild(parent, b->ns, BAD_CAST name, BAD_CAST clean);
	free(clean);
	return n;
}

static xmlNodePtr add_str(struct eb *b, xmlNodePtr parent, const char *name, const char *value)
{
	return add_text(b, parent, name, value, value != NULL ? strlen(value) : 0);
}

/* A string member of obj, NULL when absent or null; anything else fails. */
static const char *json_str(struct eb *b, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		eb_fail(b, "the result's \"%s\" is not a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static xmlNodePtr add_field(struct eb *b, xmlNodePtr parent, const char *name, json_t *obj,
    const char *key)
{
	return add_str(b, parent, name, json_str(b, obj, key));
}

static void add_date(struct eb *b, xmlNodePtr parent, const char *name, json_t *fields,
    const char *key)
{
	const char *v = json_str(b, fields, key);
	if (v == NULL || b->failed)
		return;
	if (!iso_date_valid(v)) {
		eb_fail(b, "the field \"%s\" is not a date YYYY-MM-DD", key);
		return;
	}
	add_str(b, parent, name, v);
}

/*
 * "59/QĐ-UBND" -> CodeNumber 59, CodeNotation QĐ-UBND; "66/2025/NĐ-CP" ->
 * 66 and 2025/NĐ-CP: split at the first '/', so number "/" notation gives
 * back the printed text, leading zero included. Text that does not start
 * with 1-5 digits and a '/' goes whole into CodeNotation.
 */
static void add_number(struct eb *b, xmlNodePtr doc, json_t *fields)
{
	const char *num = json_str(b, fields, "number");
	if (num == NULL)
		return;
	const char *slash = strchr(num, '/');
	size_t n = slash != NULL ? (size_t)(slash - num) : 0;
	if (n >= 1 && n <= 5 && digits(num, n) && !blank(slash + 1)) {
		add_text(b, doc, "CodeNumber", num, n);
		add_str(b, doc, "CodeNotation", slash + 1);
	} else {
		add_str(b, doc, "CodeNotation", num);
	}
}

static void add_document(struct eb *b, xmlNodePtr root, json_t *result)
{
	static const char *const kinds[] = { "document", "receipt", "form", "unknown" };
	json_t *fields = json_object_get(result, "fields");
	const char *kind = json_str(b, result, "kind");
	char pages[24];
	size_t i;
	for (i = 0; kind != NULL && i < 4 && strcmp(kind, kinds[i]) != 0; i++)
		;
	if (kind != NULL && i == 4)
		eb_fail(b, "unknown result kind \"%s\"", kind);
	snprintf(pages, sizeof(pages), "%lld",
	    (long long)json_integer_value(json_object_get(result, "pages")));

	xmlNodePtr doc = xmlNewChild(root, b->ns, BAD_CAST "Document", NULL);
	xmlNewProp(doc, BAD_CAST "kind", BAD_CAST(kind != NULL ? kind : "unknown"));
	add_field(b, doc, "FileCode", fields, "file_code");
	add_field(b, doc, "TypeName", fields, "type");
	add_number(b, doc, fields);
	add_field(b, doc, "Place", fields, "place");
	add_date(b, doc, "IssuedDate", fields, "date");
	add_field(b, doc, "OrganName", fields, "issuer");
	add_field(b, doc, "ParentOrganName", fields, "issuer_parent");
	add_field(b, doc, "Subject", fields, "subject");
	add_str(b, doc, "Language", "vi");
	add_str(b, doc, "PageAmount", pages);
	add_field(b, doc, "Position", fields, "signer_role");
	add_field(b, doc, "FullName", fields, "signer");
	add_date(b, doc, "ReceivedDate", fields, "received");
	add_date(b, doc, "DueDate", fields, "due");
}

static void add_owners(struct eb *b, xmlNodePtr root, json_t *fields)
{
	const char *name = json_str(b, fields, "applicant");
	const char *cccd = json_str(b, fields, "citizen_id");
	const char *mst = json_str(b, fields, "tax_code");
	if (name == NULL && cccd == NULL && mst == NULL)
		return;
	xmlNodePtr owners = xmlNewChild(root, b->ns, BAD_CAST "Owners", NULL);
	xmlNodePtr owner = xmlNewChild(owners, b->ns, BAD_CAST "Owner", NULL);
	add_str(b, owner, "FullName", name);
	add_str(b, owner, "CCCD", cccd);
	add_str(b, owner, "MST", mst);
	if (owner->children == NULL) {  /* every value was blank */
		xmlUnlinkNode(owners);
		xmlFreeNode(owners);
	}
}

static void add_procedure(struct eb *b, xmlNodePtr root, const char *code, const char *name)
{
	if (code == NULL && name == NULL)
		return;
	xmlNodePtr p = xmlNewChild(root, b->ns, BAD_CAST "Procedure", NULL);
	add_str(b, p, "Code", code);
	add_str(b, p, "Name", name);
	if (p->children == NULL) {
		xmlUnlinkNode(p);
		xmlFreeNode(p);
	}
}

/* Page i's mean confidence from result.ocr.pages, or -1 when unknown. */
static double page_confidence(json_t *result, size_t i)
{
	json_t *pages = json_object_get(json_object_get(result, "ocr"), "pages");
	json_t *c = json_object_get(json_array_get(pages, i), "confidence");
	return json_is_number(c) ? json_number_value(c) : -1;
}

/* One <Page> per page; the OCR text separates pages with a form feed. */
static void add_text_pages(struct eb *b, xmlNodePtr root, json_t *result)
{
	json_t *t = json_object_get(result, "text");
	const char *p = json_is_string(t) ? json_string_value(t) : "";
	size_t left = json_is_string(t) ? json_string_length(t) : 0;
	xmlNodePtr text = xmlNewChild(root, b->ns, BAD_CAST "Text", NULL);
	for (size_t i = 0;; i++) {
		const char *ff = memchr(p, '\f', left);
		size_t len = ff != NULL ? (size_t)(ff - p) : left;
		char *clean = xml_clean(p, len), attr[32];
		xmlNodePtr page = xmlNewTextChild(text, b->ns, BAD_CAST "Page", BAD_CAST clean);
		free(clean);
		snprintf(attr, sizeof(attr), "%zu", i + 1);
		xmlNewProp(page, BAD_CAST "number", BAD_CAST attr);
		double conf = page_confidence(result, i);
		if (conf >= 0 && conf <= 100) {
			snprintf(attr, sizeof(attr), "%.2f", conf);
			xmlNewProp(page, BAD_CAST "confidence", BAD_CAST attr);
		}
		if (ff == NULL)
			break;
		left -= len + 1;
		p = ff + 1;
	}
}

static int sha256_hex_ok(const char *s)
{
	return s != NULL && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static void add_hashes(struct eb *b, xmlNodePtr root, const char *id, const char *pdf_sha256)
{
	if (!sha256_hex_ok(id))
		eb_fail(b, "the result id \"%s\" is not a SHA-256 in hex", id ? id : "(none)");
	if (pdf_sha256 != NULL && !sha256_hex_ok(pdf_sha256))
		eb_fail(b, "the PDF hash \"%s\" is not a SHA-256 in hex", pdf_sha256);
	if (b->failed)
		return;
	xmlNodePtr h = xmlNewChild(root, b->ns, BAD_CAST "Hashes", NULL);
	xmlNodePtr n = add_str(b, h, "Original", id);
	xmlNewProp(n, BAD_CAST "algorithm", BAD_CAST "SHA-256");
	if ((n = add_str(b, h, "SignedPdf", pdf_sha256)) != NULL)
		xmlNewProp(n, BAD_CAST "algorithm", BAD_CAST "SHA-256");
}

static void add_required(struct eb *b, xmlNodePtr parent, const char *name, const char *value)
{
	if (add_str(b, parent, name, value) == NULL)
		eb_fail(b, "%s is missing (package_info)", name);
}

static void add_ocr_info(struct eb *b, xmlNodePtr dig, json_t *result)
{
	json_t *ocr = json_object_get(result, "ocr");
	const char *engine = json_str(b, ocr, "engine");
	json_t *mean = json_object_get(ocr, "mean_confidence");
	json_t *review = json_object_get(result, "review");
	char buf[64];
	if (engine != NULL) {
		snprintf(buf, sizeof(buf), "Tesseract %.40s", engine);
		add_str(b, dig, "OcrEngine", buf);
	}
	if (json_is_number(mean) && json_number_value(mean) >= 0 &&
	    json_number_value(mean) <= 100) {
		snprintf(buf, sizeof(buf), "%.2f", json_number_value(mean));
		add_str(b, dig, "OcrMeanConfidence", buf);
	}
	if (json_is_boolean(review))
		add_str(b, dig, "NeedsReview", json_is_true(review) ? "true" : "false");
}

static void add_digitisation(struct eb *b, xmlNodePtr root, json_t *result,
    const struct package_info *info)
{
	char signed_at[32];
	if (info->signing_time == 0)
		eb_fail(b, "%s", "the signing time is not set (package_info)");
	time_iso8601_vn(info->signing_time, signed_at);
	xmlNodePtr d = xmlNewChild(root, b->ns, BAD_CAST "Digitisation", NULL);
	add_required(b, d, "Operator", info->operator_name);
	add_str(b, d, "Counter", info->counter);
	add_str(b, d, "AgencyCode", info->agency_code);
	add_required(b, d, "AgencyName", info->agency_name);
	add_required(b, d, "CopyForm", info->copy_form);
	add_str(b, d, "Software", "sohoa " SOHOA_VERSION);
	add_ocr_info(b, d, result);
	add_field(b, d, "ReceivedAt", result, "received_at");
	add_str(b, d, "SignedAt", signed_at);
}

static int element_only(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if (c->type != XML_ELEMENT_NODE)
			return 0;
	return n->children != NULL;
}

/* Line breaks and two-space indents between elements (never inside text), so
 * the file reads well; the signature covers them like any other text. */
static void indent(xmlNodePtr n, int depth)
{
	static const char pad[] = "\n                                ";
	int w = depth < 15 ? depth * 2 + 2 : 32;  /* pad holds 32 spaces */
	if (!element_only(n))
		return;
	for (xmlNodePtr c = n->children, next; c != NULL; c = next) {
		next = c->next;
		indent(c, depth + 1);
		xmlAddPrevSibling(c, xmlNewTextLen(BAD_CAST pad, w + 1));
	}
	xmlAddChild(n, xmlNewTextLen(BAD_CAST pad, w - 1));
}

static void build(struct eb *b, xmlNodePtr root, json_t *result,
    const struct package_info *info, const char *pdf_sha256)
{
	json_t *fields = json_object_get(result, "fields");
	add_field(b, root, "ResultCode", result, "result_code");
	add_field(b, root, "DossierCode", fields, "dossier_code");
	add_procedure(b, root, info->procedure, json_str(b, fields, "procedure"));
	add_owners(b, root, fields);
	add_document(b, root, result);
	add_text_pages(b, root, result);
	add_hashes(b, root, json_str(b, result, "id"), pdf_sha256);
	add_digitisation(b, root, result, info);
}

int eresult_build(json_t *result, const struct package_info *info, const char *pdf_sha256,
    xmlDocPtr *out, struct err *e)
{
	struct eb b = { .e = e };
	*out = NULL;
	if (!json_is_object(result) || !json_is_object(json_object_get(result, "fields"))) {
		err_set(e, "the result has no \"fields\" object");
		return -1;
	}
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "EResult");
	if (doc == NULL || root == NULL)
		fatalx("out of memory");
	xmlDocSetRootElement(doc, root);
	b.ns = xmlNewNs(root, BAD_CAST ERESULT_NS, NULL);
	xmlSetNs(root, b.ns);
	xmlNewProp(root, BAD_CAST "version", BAD_CAST "1.0");
	build(&b, root, result, info, pdf_sha256);
	if (b.failed) {
		err_prefix(e, "e-result");
		xmlFreeDoc(doc);
		return -1;
	}
	indent(root, 0);
	*out = doc;  /* the caller owns it */
	return 0;
}
