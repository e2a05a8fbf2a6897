/*
 * review: a correction after review, for `sohoa review` and the API. The next
 * version of the result is drafted by the archive, its XML e-result re-issued
 * and signed with the [signer] key, then filed; the signed PDF stays as it is.
 * Design: docs/internals/review.md.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "archive/archive.h"
#include "pipeline/pipeline.h"
#include "signer/signer.h"

struct reissue {
	struct signer_config sc;   /* points into cfg */
	struct signer *signer;
	struct package_info info;  /* its strings point into cfg, the args or `kept` */
	char *kept[6];             /* what the previous XML said; owned */
};

static void reissue_clear(struct reissue *r)
{
	signer_close(r->signer);
	for (size_t i = 0; i < sizeof(r->kept) / sizeof(r->kept[0]); i++)
		free(r->kept[i]);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
		    strcmp((const char *)c->ns->href, ERESULT_NS) == 0 &&
		    strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The text of parent/name, kept in r->kept[slot]; NULL when absent. */
static const char *keep_text(struct reissue *r, size_t slot, xmlNodePtr parent,
    const char *name)
{
	xmlNodePtr n = child(parent, name);
	xmlChar *t = n != NULL ? xmlNodeGetContent(n) : NULL;
	if (t == NULL)
		return NULL;
	r->kept[slot] = xstrdup((const char *)t);
	xmlFree(t);
	return r->kept[slot];
}

/*
 * Who digitised the scan, at which counter, for which agency and procedure:
 * the re-issued XML says what the first one said. Only the signing time, the
 * fields and the review flag change.
 */
static void keep_digitisation(struct reissue *r, const char *previous_xml)
{
	xmlDocPtr doc = previous_xml == NULL ? NULL : xmlReadFile(previous_xml, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr dig = child(root, "Digitisation");
	if (dig == NULL) {
		log_warnx("the previous XML e-result cannot be read; the new one names the "
		    "reviewer as operator and the configured agency");
		xmlFreeDoc(doc);
		return;
	}
	struct package_info *in = &r->info;
	const char *v;
	if ((v = keep_text(r, 0, dig, "Operator")) != NULL)
		in->operator_name = v;
	if ((v = keep_text(r, 1, dig, "AgencyName")) != NULL)
		in->agency_name = v;
	if ((v = keep_text(r, 2, dig, "CopyForm")) != NULL)
		in->copy_form = v;
	in->agency_code = keep_text(r, 3, dig, "AgencyCode");
	in->counter = keep_text(r, 4, dig, "Counter");
	in->procedure = keep_text(r, 5, child(root, "Procedure"), "Code");
	xmlFreeDoc(doc);
}

/* Opens the [signer] key as `sohoa process` does. */
static int reissue_open(struct reissue *r, const struct sohoa_config *cfg, const char *by,
    struct err *e)
{
	if (cfg->signer_pkcs12 == NULL && cfg->signer_pkcs11_uri == NULL) {
		err_set(e, "no signing key in %s ([signer] pkcs12 or pkcs11_uri): the corrected "
		    "XML e-result cannot be signed", cfg->file ? cfg->file : "the configuration");
		return -1;
	}
	signer_config_from_cfg(cfg, &r->sc);
	if (signer_xml_init(e) < 0 || signer_open(&r->sc, &r->signer, e) < 0)
		return -1;
	r->info = (struct package_info){
		.copy_form = "SAO Y",
		.agency_name = cfg->agency_name,
		.agency_code = cfg->agency_code,
		.operator_name = by,
	};
	return 0;
}

/* The signed PDF's blob name is its sha256: the new XML names the same PDF. */
static const char *pdf_sha(json_t *result)
{
	const char *rel = json_string_value(json_object_get(json_object_get(result, "files"),
	    "pdf"));
	const char *slash = rel != NULL ? strrchr(rel, '/') : NULL;
	return slash != NULL && strlen(slash + 1) == 64 ? slash + 1 : NULL;
}

/* The XML e-result of `draft`, signed, as bytes (no re-formatting after signing). */
static int reissue_sign(struct reissue *r, json_t *draft, struct buf *xml, struct err *e)
{
	xmlDocPtr doc = NULL;
	xmlChar *mem = NULL;
	int len = 0, rc = -1;
	r->info.signing_time = time(NULL);
	if (eresult_build(draft, &r->info, pdf_sha(draft), &doc, e) < 0)
		goto out;
	if (xmldsig_sign(r->signer, doc, e) < 0) {
		err_prefix(e, "XML signature");
		goto out;
	}
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if (mem == NULL)
		fatalx("out of memory");
	buf_append(xml, mem, (size_t)len);
	rc = 0;
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- one correction ------------------------------------------------------- */

static int check_edits(const struct field_edit *edits, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(edits[i].field, edits[j].field) == 0) {
				err_set(e, "field %s is set twice", edits[i].field);
				return -1;
			}
		}
		if (extract_check_value(edits[i].field, edits[i].value, time(NULL), e) < 0 ||
		    archive_field_check(edits[i].field, edits[i].value, e) < 0)
			return -1;
	}
	return 0;
}

/* The result to correct: 0 found (*id set, caller frees), else *status. */
static int find_result(struct archive *a, const char *key, char **id, int *status,
    struct err *e)
{
	json_t *res = NULL;
	*status = 500;
	if (archive_get(a, key, &res, e) < 0) {
		*status = 503;
		return -1;
	}
	int rc = -1;
	if (res == NULL) {
		err_set(e, "no result '%s' in the archive", key);
		*status = 404;
	} else if (json_is_true(json_object_get(res, "disposed"))) {
		err_set(e, "result '%s' is disposed; it is not corrected", key);
		*status = 404;
	} else {
		*id = xstrdup(json_string_value(json_object_get(res, "id")));
		rc = 0;
	}
	json_decref(res);
	return rc;
}

/* Drafts, signs and files the next version of result `id`. */
static int revise(const struct sohoa_config *cfg, struct archive *a, const char *id,
    const struct field_edit *edits, size_t n, const char *by, const char *actor,
    json_t **filed, int *status, struct err *e)
{
	struct reissue r = { 0 };
	struct buf xml = { 0 };
	json_t *draft = NULL;
	char *previous = NULL;
	int rc = -1;
	*status = 503;
	if (reissue_open(&r, cfg, by, e) < 0) {
		*status = e->temporary ? 503 : 500;
		goto out;
	}
	if (archive_revise_draft(a, id, edits, n, by, &draft, e) < 0 ||
	    archive_file_path(a, id, BLOB_XML, actor, &previous, e) < 0)
		goto out;
	if (draft == NULL) {
		err_set(e, "result %s is no longer in the archive", id);
		*status = 404;
		goto out;
	}
	keep_digitisation(&r, previous);
	if (reissue_sign(&r, draft, &xml, e) < 0) {
		*status = e->temporary ? 503 : 500;
		goto out;
	}
	if (archive_revise(a, draft, xml.data, xml.len, actor, filed, e) < 0) {
		*status = e->temporary ? 409 : 500;
		goto out;
	}
	rc = 0;
out:
	json_decref(draft);
	free(previous);
	free(xml.data);
	reissue_clear(&r);
	return rc;
}

int review_apply(const struct sohoa_config *cfg, struct archive *a, const char *key,
    const struct field_edit *edits, size_t n, const char *by, const char *actor,
    json_t **filed, int *status, struct err *e)
{
	char *id = NULL;
	*filed = NULL;
	if (n == 0) {
		err_set(e, "nothing to correct: give at least one field");
		*status = 422;
		return -1;
	}
	if (check_edits(edits, n, e) < 0) {
		*status = 422;
		return -1;
	}
	if (find_result(a, key, &id, status, e) < 0)
		return -1;
	int rc = revise(cfg, a, id, edits, n, by, actor, filed, status, e);
	free(id);
	if (rc < 0)
		return -1;
	*status = 200;
	struct err we = { 0 };
	if (webhook_enqueue(cfg, "result.revised", *filed, &we) < 0)
		log_warnx("result %s corrected, but the one-stop system will not be told: %s",
		    json_string_value(json_object_get(*filed, "id")), we.msg);
	return 0;
}
