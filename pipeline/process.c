/* process: one scan through every stage built so far -> the result object. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

/* The field names of the interface doc; null until extraction exists. */
static const char *const field_names[] = {
	"type", "number", "issuer", "issuer_parent", "place", "date", "subject",
	"signer", "signer_role", "dossier_code", "citizen_id", "tax_code",
	"applicant", "procedure", "received", "due",
};

static json_t *null_fields(void)
{
	json_t *fields = json_object();
	for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		json_object_set_new(fields, field_names[i], json_null());
	return fields;
}

static json_t *page_summary(const struct page_image *img, const struct ocr_page *ocr)
{
	return json_pack("{s:i, s:i, s:i, s:b, s:i, s:I, s:f}",
	    "width", img->width, "height", img->height, "dpi", img->dpi,
	    "dpi_from_file", img->dpi_from_file, "source_depth", img->source_depth,
	    "words", (json_int_t)ocr->nwords, "confidence", (double)ocr->mean_confidence);
}

static json_t *result_skeleton(const char *id, const char *path)
{
	char now[32];
	time_iso8601_vn(time(NULL), now);
	json_t *files = json_pack("{s:n, s:n, s:n}", "pdf", "xml", "original");
	return json_pack("{s:s, s:n, s:s, s:s, s:i, s:s, s:o, s:o, s:b, s:s, s:o, s:b, s:b}",
	    "id", id, "result_code", "source", path, "received_at", now,
	    "pages", 0, "kind", "unknown", "fields", null_fields(),
	    "confidence", json_object(), "review", 0, "text", "",
	    "files", files, "signed", 0, "reused", 0);
}

/* Decodes and recognises every page, appending text (pages split by \f). */
static int run_pages(struct ocr_engine *eng, const struct process_options *opt,
    const char *path, struct decoder *dec, struct buf *text, json_t *pages,
    double *conf_sum, struct err *e)
{
	unsigned count = decoder_page_count(dec);
	for (unsigned i = 0; i < count; i++) {
		struct page_image img = { 0 };
		struct ocr_page ocr = { 0 };
		if (decoder_next_page(dec, &img, e) < 0) {
			err_prefix(e, "page %u of %u", i + 1, count);
			return -1;
		}
		int rc = ocr_page_run(eng, &img, &ocr, e);
		if (rc == 0) {
			if (i > 0)
				buf_append(text, "\f", 1);
			buf_append(text, ocr.text, strlen(ocr.text));
			json_array_append_new(pages, page_summary(&img, &ocr));
			*conf_sum += ocr.mean_confidence;
		}
		ocr_page_clear(&ocr);
		page_image_clear(&img);
		if (rc < 0)
			return -1;
		if (opt->progress != NULL)
			opt->progress(opt->progress_arg, path, i + 1, count);
	}
	return 0;
}

/* Only a single-page JPEG may be embedded as it is: the renderer re-reads
 * its source by name, which for a TIFF would be the first page only. */
static int begin_pdf(struct ocr_engine *eng, const char *pdf_path, const char *id,
    const char *path, const struct decoder *dec, struct err *e)
{
	int as_is = strcmp(decoder_format(dec), "jpeg") == 0 && decoder_page_count(dec) == 1;
	return ocr_pdf_begin(eng, pdf_path, id, as_is ? path : NULL, e);
}

int pipeline_process_file(struct ocr_engine *eng, const struct process_options *opt,
    const char *path, json_t **result, struct err *e)
{
	int rc = -1;
	char id[65];
	struct decoder *dec = NULL;
	struct buf text = { 0 };
	json_t *pages = json_array();
	json_t *res = NULL;
	double conf_sum = 0;

	if (decoder_open(path, &opt->limits, &dec, e) < 0)
		goto out;
	decoder_sha256(dec, id);
	if (opt->pdf_path != NULL && begin_pdf(eng, opt->pdf_path, id, path, dec, e) < 0)
		goto out;
	int pages_rc = run_pages(eng, opt, path, dec, &text, pages, &conf_sum, e);
	if (opt->pdf_path != NULL && (pages_rc < 0 ? ocr_pdf_end(eng, NULL) :
		ocr_pdf_end(eng, e)) < 0)
		pages_rc = -1;
	if (pages_rc < 0)
		goto out;
	unsigned count = decoder_page_count(dec);
	res = result_skeleton(id, path);
	json_object_set_new(res, "pages", json_integer(count));
	json_object_set_new(res, "text", json_stringn(text.data ? text.data : "", text.len));
	json_object_set_new(res, "ocr", json_pack("{s:s, s:s, s:f, s:O}",
	    "engine", ocr_tesseract_version(), "format", decoder_format(dec),
	    "mean_confidence", count ? conf_sum / count : 0.0, "pages", pages));
	*result = res;
	rc = 0;
out:
	json_decref(pages);
	decoder_close(dec);
	free(text.data);
	return rc;
}
