/* process: one scan through every stage built so far -> the result object. */
#include "pipeline.h"
#include "pipeline/extract_int.h"

#include "config/config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

/* The fields of the interface doc, before (or without) extraction. */
static json_t *null_fields(void)
{
	json_t *fields = json_object();
	for (int f = 0; f < F_COUNT; f++)
		json_object_set_new(fields, field_name((enum field)f), json_null());
	return fields;
}

/* Where a page's time went, in milliseconds. */
struct page_ms {
	double decode, preprocess, ocr;
};

static json_t *page_summary(const struct page_image *img, const struct ocr_page *ocr,
    const struct page_facts *f, const struct page_ms *ms)
{
	json_t *o = json_pack("{s:i, s:i, s:i, s:b, s:i, s:I, s:f}",
	    "width", img->width, "height", img->height, "dpi", img->dpi,
	    "dpi_from_file", img->dpi_from_file, "source_depth", img->source_depth,
	    "words", (json_int_t)ocr->nwords, "confidence", (double)ocr->mean_confidence);
	if (f != NULL)
		json_object_update_new(o, json_pack("{s:i, s:f, s:f, s:b, s:f, s:s, s:b, s:b}",
		    "rotation", f->rotation, "orientation_confidence",
		    (double)f->orientation_confidence, "skew_deg", f->skew_deg, "blank", f->blank,
		    "ink", f->ink, "dpi_source", f->dpi_source ? f->dpi_source : "file",
		    "upscaled", f->upscaled, "text_layer", img->text_layer != NULL));
	json_object_set_new(o, "ms", json_pack("{s:f, s:f, s:f}", "decode", ms->decode,
	    "preprocess", ms->preprocess, "ocr", ms->ocr));
	return o;
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

struct page_run {
	struct ocr_engine *eng;
	const struct process_options *opt;
	struct buf text, alto;
	json_t *pages;
	double conf_sum;
	unsigned recognised, blank;
	/* With extraction: every page's OCR and QR payload, kept for it. */
	struct ocr_page *kept;
	char **qr;
	double *qr_ms;
};

/* The page's QR code, if any; a failed search is logged, not fatal. */
static void find_qr(struct page_run *r, const struct page_image *img, unsigned i)
{
	struct err e = { 0 };
	double t = clock_ms();
	if (qr_scan_page(img, &r->qr[i], &e) < 0)
		log_warn("page %u: no QR code search: %s", i + 1, e.msg);
	r->qr_ms[i] = clock_ms() - t;
	log_debug("page %u: QR code %s (%.0f ms)", i + 1, r->qr[i] ? r->qr[i] : "none",
	    r->qr_ms[i]);
}

/* A blank page is measured and counted, but neither read nor put in the PDF. */
static int one_page(struct page_run *r, struct page_image *img, unsigned i,
    struct page_ms *ms, struct err *e)
{
	struct page_facts facts = { 0 };
	struct ocr_page ocr = { 0 };
	const struct page_facts *f = NULL;
	double t = clock_ms();
	if (r->opt->pre != NULL) {
		if (preprocess_page(r->opt->pre, img, &facts, e) < 0)
			return -1;
		f = &facts;
	}
	ms->preprocess = clock_ms() - t;
	if (i > 0)
		buf_append(&r->text, "\f", 1);
	if (f != NULL && facts.blank) {
		r->blank++;
		json_array_append_new(r->pages, page_summary(img, &ocr, f, ms));
		return 0;
	}
	t = clock_ms();
	if (ocr_page_run(r->eng, img, &ocr, e) < 0)
		return -1;
	ms->ocr = clock_ms() - t;
	char *layer = r->opt->pdf_keep_text && img->text_layer ? text_nfc(img->text_layer) : NULL;
	const char *page_text = layer != NULL ? layer : ocr.text;
	buf_append(&r->text, page_text, strlen(page_text));
	buf_append(&r->alto, ocr.alto, strlen(ocr.alto));
	json_array_append_new(r->pages, page_summary(img, &ocr, f, ms));
	r->conf_sum += ocr.mean_confidence;
	r->recognised++;
	free(layer);
	if (r->kept != NULL) {
		r->kept[i] = ocr; /* handed to extraction */
		find_qr(r, img, i);
	} else {
		ocr_page_clear(&ocr);
	}
	return 0;
}

/* Decodes and recognises every page, appending text (pages split by \f). */
static int run_pages(struct page_run *r, const char *path, struct decoder *dec,
    struct err *e)
{
	unsigned count = decoder_page_count(dec);
	for (unsigned i = 0; i < count; i++) {
		struct page_image img = { 0 };
		struct page_ms ms = { clock_ms(), 0, 0 };
		if (decoder_next_page(dec, &img, e) < 0) {
			err_prefix(e, "page %u of %u", i + 1, count);
			return -1;
		}
		ms.decode = clock_ms() - ms.decode;
		int rc = one_page(r, &img, i, &ms, e);
		page_image_clear(&img);
		if (rc < 0) {
			err_prefix(e, "page %u of %u", i + 1, count);
			return -1;
		}
		if (r->opt->progress != NULL)
			r->opt->progress(r->opt->progress_arg, path, i + 1, count);
	}
	if (r->recognised == 0) {
		err_set(e, "every page is blank (%u of %u): nothing to read", r->blank, count);
		return -1;
	}
	return 0;
}

/* Tesseract's ALTO renderer's frame around the pages it gives one by one. */
static int write_alto(const char *path, const char *source, const struct buf *pages,
    struct err *e)
{
	struct buf doc = { 0 };
	buf_appendf(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v3#\" "
	    "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	    "xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v3# "
	    "http://www.loc.gov/alto/v3/alto-3-0.xsd\">\n"
	    "\t<Description>\n\t\t<MeasurementUnit>pixel</MeasurementUnit>\n"
	    "\t\t<sourceImageInformation>\n\t\t\t<fileName>%s</fileName>\n"
	    "\t\t</sourceImageInformation>\n\t\t<OCRProcessing ID=\"OCR_0\">\n"
	    "\t\t\t<ocrProcessingStep>\n\t\t\t\t<processingSoftware>\n"
	    "\t\t\t\t\t<softwareName>tesseract %s</softwareName>\n"
	    "\t\t\t\t</processingSoftware>\n\t\t\t</ocrProcessingStep>\n"
	    "\t\t</OCRProcessing>\n\t</Description>\n\t<Layout>\n",
	    source, ocr_tesseract_version());
	buf_append(&doc, pages->data ? pages->data : "", pages->len);
	buf_appendf(&doc, "\t</Layout>\n</alto>\n");
	int rc = file_write_atomic(path, doc.data, doc.len, 0644, e);
	free(doc.data);
	return rc;
}

/* Fields, and each read page's share of the time they took, QR search included. */
static void extract_fields(struct page_run *r, unsigned count, json_t *res)
{
	struct extract_page *pages = xcalloc(count, sizeof(*pages));
	for (unsigned i = 0; i < count; i++) {
		pages[i].ocr = r->kept[i].text != NULL ? &r->kept[i] : NULL;
		pages[i].qr = r->qr[i];
	}
	double t = clock_ms();
	extract_scan(r->opt->extract, pages, count, time(NULL), res);
	double share = r->recognised ? (clock_ms() - t) / r->recognised : 0;
	for (unsigned i = 0; i < count; i++) {
		json_t *ms = json_object_get(json_array_get(r->pages, i), "ms");
		if (ms != NULL && pages[i].ocr != NULL)
			json_object_set_new(ms, "extract", json_real(share + r->qr_ms[i]));
	}
	free(pages);
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
	struct page_run r = { .eng = eng, .opt = opt, .pages = json_array() };
	json_t *res = NULL;

	unsigned count = 0;
	if (decoder_open(path, &opt->limits, &dec, e) < 0)
		goto out;
	count = decoder_page_count(dec);
	if (opt->extract != NULL) {
		r.kept = xcalloc(count, sizeof(*r.kept));
		r.qr = xcalloc(count, sizeof(*r.qr));
		r.qr_ms = xcalloc(count, sizeof(*r.qr_ms));
	}
	decoder_sha256(dec, id);
	if (opt->pdf_path != NULL && begin_pdf(eng, opt->pdf_path, id, path, dec, e) < 0)
		goto out;
	int pages_rc = run_pages(&r, path, dec, e);
	if (opt->pdf_path != NULL && (pages_rc < 0 ? ocr_pdf_end(eng, NULL) :
		ocr_pdf_end(eng, e)) < 0)
		pages_rc = -1;
	if (pages_rc < 0 || (opt->alto_path != NULL &&
		write_alto(opt->alto_path, id, &r.alto, e) < 0))
		goto out;
	res = result_skeleton(id, path);
	json_object_set_new(res, "pages", json_integer(count));
	json_object_set_new(res, "blank_pages", json_integer(r.blank));
	json_object_set_new(res, "text", json_stringn(r.text.data ? r.text.data : "", r.text.len));
	json_object_set_new(res, "ocr", json_pack("{s:s, s:s, s:f, s:O}",
	    "engine", ocr_tesseract_version(), "format", decoder_format(dec),
	    "mean_confidence", r.recognised ? r.conf_sum / r.recognised : 0.0, "pages", r.pages));
	if (opt->extract != NULL)
		extract_fields(&r, count, res);
	*result = res;
	rc = 0;
out:
	for (unsigned i = 0; r.kept != NULL && i < count; i++) {
		ocr_page_clear(&r.kept[i]);
		free(r.qr[i]);
	}
	free(r.kept);
	free(r.qr);
	free(r.qr_ms);
	json_decref(r.pages);
	decoder_close(dec);
	free(r.text.data);
	free(r.alto.data);
	return rc;
}

double result_stage_ms(json_t *result, const char *stage)
{
	json_t *pages = json_object_get(json_object_get(result, "ocr"), "pages"), *page;
	double ms = -1;
	size_t i;
	json_array_foreach(pages, i, page) {
		json_t *v = json_object_get(json_object_get(page, "ms"), stage);
		if (json_is_number(v))
			ms = (ms < 0 ? 0 : ms) + json_number_value(v);
	}
	return ms;
}

void preprocess_options_from_cfg(const struct sohoa_config *cfg, struct preprocess_options *o)
{
	preprocess_defaults(o);
	o->orientation = cfg->pre_orientation;
	o->osd_min_confidence = (float)cfg->pre_osd_min_confidence;
	o->deskew = cfg->pre_deskew;
	if (cfg->pre_binarise >= 0)
		o->binarise = (enum binarise)cfg->pre_binarise;
	o->blank_ink_max = cfg->pre_blank_ink_max;
	o->min_dpi = (int)cfg->pre_min_dpi;
}
