/*
 * Real scans through decode -> OCR with Tesseract's PDF renderer ->
 * package_pdfa, checked with poppler's and qpdf's tools and by reading the
 * file back with the qpdf C API. There is no veraPDF on Debian: the PDF/A-2b
 * rules this file checks are the ones named in the test names and in
 * pdfa_rules_hold_for_every_object().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hb.h>
#include <lcms2.h>
#include <leptonica/allheaders.h>
#include <libxml/parser.h>
#include <qpdf/qpdf-c.h>

#include "pipeline/pipeline.h"

/* Run from the repository root (tests/run.sh does). */
#define COLOUR_SAMPLE "samples/kontum-congvan-200dpi-colour.jpg"
#define TIFF_SAMPLE "samples/dossier-hungyen-300dpi-g4-3pages.tif"
#define AGENCY "Ủy ban nhân dân phường Bến Nghé"
#define SIGNED_AT 1795400100 /* 2026-11-23T09:15:00+07:00 */
#define SIGNED_AT_TEXT "2026-11-23T09:15:00+07:00"

struct scan {
	char ocr_pdf[128], pdfa[128];
	int width, height, dpi, pages;
	char sha[65];
	struct buf text;
};

static char dir[64];
static struct scan colour, tiff;
static json_t *result;
static const struct package_info info = {
	.copy_form = "SAO Y", .agency_name = AGENCY, .agency_code = "000.00.12.H29",
	.operator_name = "Nguyễn Thị Thu", .signing_time = SIGNED_AT,
};

/* ---- running the tools ------------------------------------------------ */

/* Exit status of the command; its standard output in *out. */
static int run(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(struct buf *out, const char *fmt, ...)
{
	va_list ap;
	char cmd[1024], chunk[4096];
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	memset(out, 0, sizeof(*out));
	buf_append(out, "", 0);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_append(out, chunk, n);
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct image_row {
	char type[16], color[16], enc[16];
	int width, height, bpc, xppi, yppi;
};

/* The rows of `pdfimages -list`. */
static size_t list_images(const char *pdf, struct image_row rows[], size_t max)
{
	struct buf out;
	size_t n = 0;
	assert_int_equal(run(&out, "pdfimages -list %s", pdf), 0);
	char *save = NULL;
	for (char *line = strtok_r(out.data, "\n", &save); line != NULL && n < max;
	    line = strtok_r(NULL, "\n", &save)) {
		struct image_row *r = &rows[n];
		int page, num, comp, obj, gen;
		char interp[8];
		if (sscanf(line, "%d %d %15s %d %d %15s %d %d %15s %7s %d %d %d %d", &page, &num,
		    r->type, &r->width, &r->height, r->color, &comp, &r->bpc, r->enc, interp, &obj,
		    &gen, &r->xppi, &r->yppi) == 14)
			n++;
	}
	free(out.data);
	return n;
}

/* ---- scans ------------------------------------------------------------ */

static int render(const char *sample, const char *source_path, struct scan *s,
    struct ocr_engine *eng, const char *name)
{
	struct err e = { 0 };
	struct decoder *d = NULL;
	struct decode_limits lim = { 300000000, 10, 64u << 20 };
	snprintf(s->ocr_pdf, sizeof(s->ocr_pdf), "%s/%s-ocr.pdf", dir, name);
	snprintf(s->pdfa, sizeof(s->pdfa), "%s/%s-pdfa.pdf", dir, name);
	if (decoder_open(sample, &lim, &d, &e) < 0 ||
	    ocr_pdf_begin(eng, s->ocr_pdf, name, source_path, &e) < 0)
		goto fail;
	decoder_sha256(d, s->sha);
	s->pages = (int)decoder_page_count(d);
	for (int i = 0; i < s->pages; i++) {
		struct page_image img = { 0 };
		struct ocr_page page = { 0 };
		int ok = decoder_next_page(d, &img, &e) == 0 && ocr_page_run(eng, &img, &page, &e) == 0;
		if (ok && i == 0) {
			s->width = img.width;
			s->height = img.height;
			s->dpi = img.dpi;
		}
		if (ok)
			buf_appendf(&s->text, "%s\f", page.text);
		ocr_page_clear(&page);
		page_image_clear(&img);
		if (!ok)
			goto fail;
	}
	if (ocr_pdf_end(eng, &e) == 0) {
		decoder_close(d);
		return 0;
	}
fail:
	print_error("%s: %s\n", sample, e.msg);
	decoder_close(d);
	return -1;
}

static json_t *make_result(const struct scan *s)
{
	return json_pack("{s:s, s:s, s:{s:n, s:s, s:s, s:s, s:s, s:s, s:s}, s:s}",
	    "id", s->sha, "result_code", "000.00.12.H29-240129-0042-KQ1",
	    "fields", "type", "number", "755/STC-TH", "issuer", "SỞ TÀI CHÍNH",
	    "date", "2022-04-01", "subject", "V/v kết nối <Hệ thống> & Kho dữ liệu",
	    "dossier_code", "000.00.12.H29-240129-0042", "procedure", "1.001234",
	    "text", s->text.data);
}

static int setup(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct ocr_engine *eng = NULL;
	snprintf(dir, sizeof(dir), "/tmp/sohoa-test-package-XXXXXX");
	if (mkdtemp(dir) == NULL || ocr_engine_new("vie+eng", NULL, &eng, &e) < 0) {
		print_error("setup: %s\n", e.msg);
		return -1;
	}
	/* The TIFF's own path is passed on purpose: it must not be re-read. */
	int rc = render(COLOUR_SAMPLE, COLOUR_SAMPLE, &colour, eng, "colour") < 0 ||
	    render(TIFF_SAMPLE, TIFF_SAMPLE, &tiff, eng, "tiff") < 0 ? -1 : 0;
	ocr_engine_free(eng);
	if (rc < 0)
		return -1;
	result = make_result(&colour);
	json_t *tiff_result = make_result(&tiff);
	if (package_pdfa(colour.ocr_pdf, colour.pdfa, result, &info, &e) < 0 ||
	    package_pdfa(tiff.ocr_pdf, tiff.pdfa, tiff_result, &info, &e) < 0) {
		print_error("package_pdfa: %s\n", e.msg);
		rc = -1;
	}
	json_decref(tiff_result);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	json_decref(result);
	free(colour.text.data);
	free(tiff.text.data);
	if (getenv("TEST_KEEP") != NULL) {
		print_message("kept %s\n", dir);
		return 0;
	}
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- reading the PDF back ---------------------------------------------- */

static qpdf_data open_pdf(const char *path)
{
	qpdf_data q = qpdf_init();
	qpdf_silence_errors(q);
	assert_int_equal(qpdf_read(q, path, NULL) & QPDF_ERRORS, 0);
	return q;
}

/* Decoded stream data, NUL-terminated; the caller frees it. */
static unsigned char *stream_data(qpdf_data q, qpdf_oh s, size_t *len)
{
	unsigned char *data = NULL;
	QPDF_BOOL filtered = QPDF_FALSE;
	assert_true(qpdf_oh_is_stream(q, s));
	assert_int_equal(qpdf_oh_get_stream_data(q, s, qpdf_dl_generalized, &filtered, &data,
	    len) & QPDF_ERRORS, 0);
	assert_true(filtered);
	data = realloc(data, *len + 1);
	data[*len] = '\0';
	return data;
}

static qpdf_oh key_path(qpdf_data q, qpdf_oh oh, const char *k1, const char *k2)
{
	oh = qpdf_oh_get_key(q, oh, k1);
	return k2 != NULL ? qpdf_oh_get_key(q, oh, k2) : oh;
}

static double media_box(qpdf_data q, int n, int index)
{
	qpdf_oh box = qpdf_oh_get_key(q, qpdf_get_page_n(q, n), "/MediaBox");
	return qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, box, index));
}

/* ---- the renderer ------------------------------------------------------- */

static void colour_page_is_the_original_jpeg_at_its_dpi(void **state)
{
	(void)state;
	struct image_row rows[4];
	struct buf out, orig = { 0 }, emb = { 0 };
	struct err e;
	assert_int_equal(list_images(colour.ocr_pdf, rows, 4), 1);
	assert_string_equal(rows[0].color, "rgb");
	assert_string_equal(rows[0].enc, "jpeg");
	assert_int_equal(rows[0].xppi, colour.dpi);
	assert_int_equal(rows[0].yppi, colour.dpi);
	assert_int_equal(rows[0].width, colour.width);
	/* The very bytes of the scan, not a second JPEG generation. */
	assert_int_equal(run(&out, "pdfimages -j %s %s/emb", colour.pdfa, dir), 0);
	free(out.data);
	char *path = xasprintf("%s/emb-000.jpg", dir);
	assert_int_equal(file_read_all(COLOUR_SAMPLE, 64u << 20, &orig, &e), 0);
	assert_int_equal(file_read_all(path, 64u << 20, &emb, &e), 0);
	assert_int_equal(orig.len, emb.len);
	assert_memory_equal(orig.data, emb.data, orig.len);
	free(path);
	free(orig.data);
	free(emb.data);
}

static void page_size_is_pixels_at_72_over_dpi(void **state)
{
	(void)state;
	const struct scan *scans[] = { &colour, &tiff };
	for (int i = 0; i < 2; i++) {
		qpdf_data q = open_pdf(scans[i]->pdfa);
		assert_int_equal(qpdf_get_num_pages(q), scans[i]->pages);
		double w = scans[i]->width * 72.0 / scans[i]->dpi;
		double h = scans[i]->height * 72.0 / scans[i]->dpi;
		assert_true(fabs(media_box(q, 0, 2) - w) < 0.006);
		assert_true(fabs(media_box(q, 0, 3) - h) < 0.006);
		qpdf_cleanup(&q);
	}
}

static void multipage_tiff_pages_are_their_own(void **state)
{
	(void)state;
	struct image_row rows[8];
	assert_int_equal(list_images(tiff.pdfa, rows, 8), 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(rows[i].enc, "ccitt");
		assert_int_equal(rows[i].bpc, 1);
		assert_int_equal(rows[i].xppi, 300);
	}
	/* Each page has its own image, none re-read from the file by its name. */
	qpdf_data q = open_pdf(tiff.pdfa);
	char sums[3][65];
	for (int i = 0; i < 3; i++) {
		qpdf_oh im = key_path(q, qpdf_get_page_n(q, i), "/Resources", "/XObject");
		im = qpdf_oh_get_key(q, im, "/Im1");
		unsigned char *raw = NULL;
		size_t len = 0;
		assert_int_equal(qpdf_oh_get_stream_data(q, im, qpdf_dl_none, NULL, &raw, &len) &
		    QPDF_ERRORS, 0);
		sha256_hex(raw, len, sums[i]);
		free(raw);
	}
	assert_string_not_equal(sums[0], sums[1]);
	assert_string_not_equal(sums[1], sums[2]);
	assert_string_not_equal(sums[0], sums[2]);
	qpdf_cleanup(&q);
}

/* ---- the PDF/A: tools -------------------------------------------------- */

static void qpdf_check_passes(void **state)
{
	(void)state;
	struct buf out;
	assert_int_equal(run(&out, "qpdf --check %s", colour.pdfa), 0);
	assert_non_null(strstr(out.data, "No syntax or stream encoding errors"));
	free(out.data);
	assert_int_equal(run(&out, "qpdf --check %s", tiff.pdfa), 0);
	free(out.data);
}

static void every_font_is_embedded(void **state)
{
	(void)state;
	struct buf out;
	int rows = 0, liberation = 0;
	assert_int_equal(run(&out, "pdffonts %s", colour.pdfa), 0);
	char *save = NULL;
	for (char *l = strtok_r(out.data, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char name[128], t1[32], t2[32], enc[32], emb[8], sub[8], uni[8];
		if (sscanf(l, "%127s %31s %31s %31s %7s %7s %7s", name, t1, t2, enc, emb, sub,
		    uni) != 7 || strcmp(t1, "CID") != 0)
			continue;
		rows++;
		assert_string_equal(emb, "yes");
		assert_string_equal(uni, "yes");
		if (strstr(name, "+LiberationSerif") != NULL && strcmp(sub, "yes") == 0)
			liberation++;
	}
	free(out.data);
	assert_int_equal(rows, 2); /* Tesseract's GlyphLessFont and the mark's */
	assert_int_equal(liberation, 1);
}

static void mark_text_can_be_extracted(void **state)
{
	(void)state;
	struct buf out;
	assert_int_equal(run(&out, "pdftotext -enc UTF-8 -f 1 -l 1 %s -", colour.pdfa), 0);
	assert_non_null(strstr(out.data, "SAO Y"));
	assert_non_null(strstr(out.data, AGENCY));
	assert_non_null(strstr(out.data, SIGNED_AT_TEXT));
	free(out.data);
}

/* Words of six bytes or more from the OCR, found in the PDF's text. */
static void ocr_text_is_searchable(void **state)
{
	(void)state;
	struct buf out;
	assert_int_equal(run(&out, "pdftotext -enc UTF-8 %s -", tiff.pdfa), 0);
	char *text = xstrdup(tiff.text.data), *save = NULL;
	int tried = 0, found = 0;
	for (char *w = strtok_r(text, " \n\f", &save); w != NULL && tried < 200;
	    w = strtok_r(NULL, " \n\f", &save)) {
		if (strlen(w) < 6)
			continue;
		tried++;
		found += strstr(out.data, w) != NULL;
	}
	assert_true(tried > 100);
	assert_true(found > tried * 9 / 10);
	assert_non_null(strstr(out.data, "000.00.14.H10-240117-0332")); /* page 1 */
	assert_non_null(strstr(out.data, "KSTTHC")); /* page 3 */
	free(text);
	free(out.data);
}

struct word_box {
	double x0, y0, x1, y1;
};

static int find_word(const char *bbox_html, const char *word, struct word_box *b)
{
	char *key = xasprintf(">%s</word>", word);
	const char *hit = strstr(bbox_html, key);
	free(key);
	if (hit == NULL)
		return -1;
	const char *start = hit;
	while (start > bbox_html && strncmp(start, "<word", 5) != 0)
		start--;
	return sscanf(start, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &b->x0,
	    &b->y0, &b->x1, &b->y1) == 4 ? 0 : -1;
}

static void mark_is_top_right_and_right_aligned(void **state)
{
	(void)state;
	struct buf out;
	struct word_box y, nghe, when;
	assert_int_equal(run(&out, "pdftotext -bbox -f 1 -l 1 %s -", colour.pdfa), 0);
	assert_int_equal(find_word(out.data, "Y", &y), 0);
	assert_int_equal(find_word(out.data, "Nghé", &nghe), 0);
	assert_int_equal(find_word(out.data, SIGNED_AT_TEXT, &when), 0);
	free(out.data);
	double w = colour.width * 72.0 / colour.dpi;
	/* Half an inch from the right edge, each line ending there. */
	assert_true(fabs(y.x1 - (w - 36)) < 1.5);
	assert_true(fabs(nghe.x1 - (w - 36)) < 1.5);
	assert_true(fabs(when.x1 - (w - 36)) < 1.5);
	/* At the top, in reading order, 10 pt text on 12 pt lines. */
	assert_true(y.y0 >= 17 && y.y0 < 36);
	assert_true(y.y0 < nghe.y0 && nghe.y0 < when.y0);
	assert_true(fabs((when.y0 - y.y0) - 24) < 0.5);
	assert_true(when.y1 - when.y0 > 9 && when.y1 - when.y0 < 13);
}

static void no_encryption_and_no_object_streams(void **state)
{
	(void)state;
	struct buf out;
	assert_int_equal(run(&out, "qpdf --show-xref %s", colour.pdfa), 0);
	assert_null(strstr(out.data, "compressed; stream"));
	assert_non_null(strstr(out.data, "uncompressed"));
	free(out.data);
	assert_int_equal(run(&out, "pdfinfo %s", colour.pdfa), 0);
	assert_non_null(strstr(out.data, "Encrypted:       no"));
	assert_non_null(strstr(out.data, "PDF version:     1.7"));
	free(out.data);
	qpdf_data q = open_pdf(colour.pdfa);
	qpdf_oh trailer = qpdf_get_trailer(q);
	assert_false(qpdf_oh_has_key(q, trailer, "/Encrypt"));
	assert_int_equal(qpdf_oh_get_array_n_items(q, qpdf_oh_get_key(q, trailer, "/ID")), 2);
	qpdf_cleanup(&q);
}

/* ---- the PDF/A: structure ---------------------------------------------- */

static void output_intent_is_srgb_icc(void **state)
{
	(void)state;
	qpdf_data q = open_pdf(colour.pdfa);
	qpdf_oh intents = qpdf_oh_get_key(q, qpdf_get_root(q), "/OutputIntents");
	assert_int_equal(qpdf_oh_get_array_n_items(q, intents), 1);
	qpdf_oh oi = qpdf_oh_get_array_item(q, intents, 0);
	assert_true(qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, oi, "/S"), "/GTS_PDFA1"));
	assert_true(qpdf_oh_is_string(q, qpdf_oh_get_key(q, oi, "/OutputConditionIdentifier")));
	qpdf_oh icc = qpdf_oh_get_key(q, oi, "/DestOutputProfile");
	assert_int_equal(qpdf_oh_get_int_value(q, key_path(q, qpdf_oh_get_dict(q, icc), "/N",
	    NULL)), 3);
	size_t len = 0;
	unsigned char *data = stream_data(q, icc, &len);
	cmsHPROFILE p = cmsOpenProfileFromMem(data, (cmsUInt32Number)len);
	assert_non_null(p);
	assert_int_equal(cmsGetColorSpace(p), cmsSigRgbData);
	assert_int_equal(cmsGetDeviceClass(p), cmsSigDisplayClass);
	/* v2 or v4 up to 4.2 (what PDF 1.7 names) */
	double version = cmsGetProfileVersion(p);
	assert_true((version >= 2.0 && version < 3.0) || (version >= 4.0 && version <= 4.2));
	cmsCloseProfile(p);
	free(data);
	qpdf_cleanup(&q);
}

static void xmp_is_pdfa_2b_with_described_extension(void **state)
{
	(void)state;
	qpdf_data q = open_pdf(colour.pdfa);
	qpdf_oh md = qpdf_oh_get_key(q, qpdf_get_root(q), "/Metadata");
	qpdf_oh d = qpdf_oh_get_dict(q, md);
	assert_true(qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, d, "/Type"), "/Metadata"));
	assert_true(qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, d, "/Subtype"), "/XML"));
	assert_false(qpdf_oh_has_key(q, d, "/Filter"));
	size_t len = 0;
	char *xmp = (char *)stream_data(q, md, &len);
	xmlDocPtr doc = xmlReadMemory(xmp, (int)len, "xmp", NULL, XML_PARSE_NONET);
	assert_non_null(doc); /* well-formed, escaping included */
	xmlFreeDoc(doc);
	assert_non_null(strstr(xmp, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"));
	assert_null(strstr(xmp, "bytes="));
	assert_non_null(strstr(xmp, "<pdfaid:part>2</pdfaid:part>"));
	assert_non_null(strstr(xmp, "<pdfaid:conformance>B</pdfaid:conformance>"));
	assert_non_null(strstr(xmp, "<pdfaExtension:schemas>"));
	assert_non_null(strstr(xmp, "<sohoa:agencyName>" AGENCY "</sohoa:agencyName>"));
	assert_non_null(strstr(xmp, "V/v kết nối &lt;Hệ thống&gt; &amp; Kho dữ liệu"));
	assert_non_null(strstr(xmp, "<sohoa:resultCode>000.00.12.H29-240129-0042-KQ1<"));
	assert_non_null(strstr(xmp, colour.sha));
	/* Every sohoa: property used is described in the extension schema. */
	for (const char *p = strstr(xmp, "<sohoa:"); p != NULL; p = strstr(p + 1, "<sohoa:")) {
		char name[64], *decl;
		assert_int_equal(sscanf(p, "<sohoa:%63[A-Za-z0-9]>", name), 1);
		decl = xasprintf("<pdfaProperty:name>%s</pdfaProperty:name>", name);
		assert_non_null(strstr(xmp, decl));
		free(decl);
	}
	free(xmp);
	qpdf_cleanup(&q);
}

static char *xml_escaped(const char *s)
{
	struct buf b = { 0 };
	buf_append(&b, "", 0);
	for (; *s != '\0'; s++)
		if (*s == '&')
			buf_append(&b, "&amp;", 5);
		else if (*s == '<')
			buf_append(&b, "&lt;", 4);
		else if (*s == '>')
			buf_append(&b, "&gt;", 4);
		else
			buf_append(&b, s, 1);
	return b.data;
}

static void info_agrees_with_xmp(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
		{ "/Title", "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" },
		{ "/Author", "<dc:creator><rdf:Seq><rdf:li>" },
		{ "/Subject", "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">" },
		{ "/Creator", "<xmp:CreatorTool>" },
		{ "/Producer", "<pdf:Producer>" },
	};
	qpdf_data q = open_pdf(tiff.pdfa);
	qpdf_oh info_dict = qpdf_oh_get_key(q, qpdf_get_trailer(q), "/Info");
	size_t len = 0;
	char *xmp = (char *)stream_data(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/Metadata"), &len);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		qpdf_oh v = qpdf_oh_get_key(q, info_dict, pairs[i][0]);
		assert_true(qpdf_oh_is_string(q, v));
		char *value = xml_escaped(qpdf_oh_get_utf8_value(q, v));
		char *want = xasprintf("%s%s<", pairs[i][1], value);
		if (strstr(xmp, want) == NULL)
			fail_msg("%s disagrees: %s", pairs[i][0], want);
		free(want);
		free(value);
	}
	const char *dates[] = { "/CreationDate", "/ModDate" };
	for (int i = 0; i < 2; i++)
		assert_string_equal(qpdf_oh_get_string_value(q, qpdf_oh_get_key(q, info_dict,
		    dates[i])), "D:20261123091500+07'00'");
	assert_non_null(strstr(xmp, "<xmp:CreateDate>" SIGNED_AT_TEXT "</xmp:CreateDate>"));
	assert_non_null(strstr(xmp, "<xmp:ModifyDate>" SIGNED_AT_TEXT "</xmp:ModifyDate>"));
	free(xmp);
	qpdf_cleanup(&q);
}

/* The /W (or /DW) widths equal the embedded program's advances (PDF/A-2
 * 6.2.11.5), and no glyph shown is .notdef (6.2.11.8). */
static void check_cid_font(qpdf_data q, qpdf_oh type0)
{
	qpdf_oh cid = qpdf_oh_get_array_item(q, qpdf_oh_get_key(q, type0, "/DescendantFonts"), 0);
	qpdf_oh file = key_path(q, qpdf_oh_get_key(q, cid, "/FontDescriptor"), "/FontFile2", NULL);
	size_t len = 0;
	unsigned char *ttf = stream_data(q, file, &len);
	assert_int_equal(qpdf_oh_get_int_value(q, key_path(q, qpdf_oh_get_dict(q, file),
	    "/Length1", NULL)), (long long)len);
	hb_blob_t *blob = hb_blob_create((const char *)ttf, (unsigned)len,
	    HB_MEMORY_MODE_READONLY, NULL, NULL);
	hb_face_t *face = hb_face_create(blob, 0);
	hb_font_t *font = hb_font_create(face);
	double per_unit = 1000.0 / hb_face_get_upem(face);
	qpdf_oh map = qpdf_oh_get_key(q, cid, "/CIDToGIDMap");
	qpdf_oh w = qpdf_oh_get_key(q, cid, "/W");
	if (qpdf_oh_is_stream(q, map)) {
		/* Tesseract's: every CID to glyph 1, which is /DW wide. */
		size_t n = 0;
		unsigned char *gids = stream_data(q, map, &n);
		for (size_t i = 0; i < n; i += 2)
			assert_int_equal(gids[i] << 8 | gids[i + 1], 1);
		free(gids);
		double dw = qpdf_oh_get_numeric_value(q, qpdf_oh_get_key(q, cid, "/DW"));
		assert_true(fabs(hb_font_get_glyph_h_advance(font, 1) * per_unit - dw) <= 1);
	} else {
		assert_true(qpdf_oh_is_name_and_equals(q, map, "/Identity"));
		int n = qpdf_oh_get_array_n_items(q, w);
		assert_true(n >= 2 * 10);
		for (int i = 0; i < n; i += 2) {
			int gid = qpdf_oh_get_int_value_as_int(q, qpdf_oh_get_array_item(q, w, i));
			qpdf_oh ws = qpdf_oh_get_array_item(q, w, i + 1);
			double want = qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, ws, 0));
			assert_true(gid > 0);
			assert_true(fabs(hb_font_get_glyph_h_advance(font, gid) * per_unit - want) <= 1);
		}
	}
	hb_font_destroy(font);
	hb_face_destroy(face);
	hb_blob_destroy(blob);
	free(ttf);
}

static void fonts_widths_match_their_programs(void **state)
{
	(void)state;
	qpdf_data q = open_pdf(colour.pdfa);
	qpdf_oh fonts = key_path(q, qpdf_get_page_n(q, 0), "/Resources", "/Font");
	char *keys[8];
	int n = 0;
	/* One key iteration at a time: collect the names first. */
	qpdf_oh_begin_dict_key_iter(q, fonts);
	while (qpdf_oh_dict_more_keys(q) && n < 8)
		keys[n++] = xstrdup(qpdf_oh_dict_next_key(q));
	assert_int_equal(n, 2); /* Tesseract's GlyphLessFont and the mark's */
	for (int i = 0; i < n; i++) {
		qpdf_oh f = qpdf_oh_get_key(q, fonts, keys[i]);
		assert_true(qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, f, "/Subtype"), "/Type0"));
		check_cid_font(q, f);
		free(keys[i]);
	}
	qpdf_cleanup(&q);
}

/* Rules that hold object by object (ISO 19005-2 clause in brackets). */
static void check_object(qpdf_data q, qpdf_oh d, struct buf *bad, int id)
{
	static const char *const forbidden[] = {
		"/Encrypt",      /* 6.1.3 */
		"/F", "/FFilter", "/FDecodeParms", /* 6.1.7.1, streams only checked */
		"/JS", "/JavaScript", "/AA", /* 6.5: JavaScript, additional actions */
		"/OPI", "/Alternates", /* 6.2.8, 6.2.9 */
		"/TR", "/TR2",   /* 6.2.5 */
		"/EmbeddedFiles", "/CIDSet", /* 6.8 (our choice), 6.2.11.4.2 (our choice) */
		"/Annots",       /* 6.3: allowed with conditions; we make none */
		"/SMask", "/Group", /* 6.2.10: transparency, allowed with conditions; none */
	};
	int is_stream = qpdf_oh_is_stream(q, d);
	if (is_stream)
		d = qpdf_oh_get_dict(q, d);
	if (!qpdf_oh_is_dictionary(q, d))
		return;
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if ((is_stream || strncmp(forbidden[i], "/F", 2) != 0) &&
		    qpdf_oh_has_key(q, d, forbidden[i]))
			buf_appendf(bad, "object %d has %s; ", id, forbidden[i]);
	qpdf_oh filter = qpdf_oh_get_key(q, d, "/Filter");
	if (qpdf_oh_is_or_has_name(q, filter, "/LZWDecode") ||
	    qpdf_oh_is_or_has_name(q, filter, "/Crypt")) /* 6.1.7.2 */
		buf_appendf(bad, "object %d uses a forbidden filter; ", id);
	qpdf_oh interp = qpdf_oh_get_key(q, d, "/Interpolate");
	if (qpdf_oh_is_bool(q, interp) && qpdf_oh_get_bool_value(q, interp)) /* 6.2.8 */
		buf_appendf(bad, "object %d interpolates; ", id);
	qpdf_oh cs = qpdf_oh_get_key(q, d, "/ColorSpace");
	if (qpdf_oh_is_name_and_equals(q, cs, "/DeviceCMYK")) /* 6.2.4.3: RGB intent */
		buf_appendf(bad, "object %d is CMYK; ", id);
	if (qpdf_oh_is_dictionary_of_type(q, d, "/FontDescriptor", "") &&
	    !qpdf_oh_has_key(q, d, "/FontFile2") && !qpdf_oh_has_key(q, d, "/FontFile") &&
	    !qpdf_oh_has_key(q, d, "/FontFile3")) /* 6.2.11.4.1 */
		buf_appendf(bad, "object %d: font not embedded; ", id);
	if (qpdf_oh_is_dictionary_of_type(q, d, "/Annot", "") ||
	    qpdf_oh_is_dictionary_of_type(q, d, "/Action", "")) /* 6.3, 6.5 */
		buf_appendf(bad, "object %d is an annotation or action; ", id);
}

static void pdfa_rules_hold_for_every_object(void **state)
{
	(void)state;
	const char *files[] = { colour.pdfa, tiff.pdfa };
	for (int f = 0; f < 2; f++) {
		struct buf bad = { 0 };
		qpdf_data q = open_pdf(files[f]);
		int size = qpdf_oh_get_int_value_as_int(q, qpdf_oh_get_key(q, qpdf_get_trailer(q),
		    "/Size"));
		for (int id = 1; id < size; id++)
			check_object(q, qpdf_get_object_by_id(q, id, 0), &bad, id);
		qpdf_cleanup(&q);
		if (bad.len > 0)
			fail_msg("%s: %s", files[f], bad.data);
	}
}

/* 6.1.2 header, 6.1.3 nothing after %%EOF, 6.1.7.1 stream keywords and EOLs,
 * 6.1.4 a classic xref (ours, for the signature's incremental update). */
static void file_syntax_is_pdfa(void **state)
{
	(void)state;
	struct buf pdf = { 0 };
	struct err e;
	assert_int_equal(file_read_all(colour.pdfa, 64u << 20, &pdf, &e), 0);
	const unsigned char *p = (const unsigned char *)pdf.data;
	assert_memory_equal(p, "%PDF-1.7\n%", 10);
	for (int i = 10; i < 14; i++)
		assert_true(p[i] > 127);
	const char *tail = pdf.data + pdf.len - 6;
	assert_memory_equal(tail, "%%EOF\n", 6);
	int streams = 0;
	for (const char *s = pdf.data; (s = memmem(s, pdf.len - (size_t)(s - pdf.data),
	    "endstream", 9)) != NULL; s += 9) {
		assert_true(s[-1] == '\n' || s[-1] == '\r');
		streams++;
	}
	assert_true(streams > 10);
	for (const char *s = pdf.data; (s = memmem(s, pdf.len - (size_t)(s - pdf.data),
	    "stream", 6)) != NULL; s += 6)
		if (s[-1] != 'd')
			assert_true(s[6] == '\n' || (s[6] == '\r' && s[7] == '\n'));
	const char *sx = memmem(pdf.data, pdf.len, "startxref\n", 10);
	assert_non_null(sx);
	long off = strtol(sx + 10, NULL, 10);
	assert_memory_equal(pdf.data + off, "xref", 4); /* a classic xref table */
	free(pdf.data);
}

/* ---- failures -------------------------------------------------------------- */

static void missing_input_is_a_clear_error(void **state)
{
	(void)state;
	struct err e = { 0 };
	char *out = xasprintf("%s/never.pdf", dir);
	assert_int_equal(package_pdfa("/nonexistent/ocr.pdf", out, result, &info, &e), -1);
	assert_non_null(strstr(e.msg, "cannot read the searchable PDF"));
	assert_int_equal(access(out, F_OK), -1);
	free(out);
}

static void agency_name_without_glyphs_is_refused(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct package_info odd = info;
	odd.agency_name = "Ủy ban 中文";
	char *out = xasprintf("%s/odd.pdf", dir);
	assert_int_equal(package_pdfa(colour.ocr_pdf, out, result, &odd, &e), -1);
	assert_non_null(strstr(e.msg, "U+4E2D"));
	assert_int_equal(access(out, F_OK), -1);
	free(out);
}

static void decomposed_agency_name_is_composed(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct buf out;
	struct package_info nfd = info;
	nfd.agency_name = "Phu\xCC\x9Bo\xCC\x9B\xCC\x80ng"; /* "Phường", decomposed */
	char *pdf = xasprintf("%s/nfd.pdf", dir);
	assert_int_equal(package_pdfa(tiff.ocr_pdf, pdf, result, &nfd, &e), 0);
	assert_int_equal(run(&out, "pdftotext -enc UTF-8 -f 1 -l 1 %s -", pdf), 0);
	assert_non_null(strstr(out.data, "Phường"));
	free(out.data);
	free(pdf);
}

static void write_jpeg(const char *path, int box_x)
{
	PIX *pix = pixCreate(320, 200, 8);
	pixSetAllArbitrary(pix, 255);
	BOX *box = boxCreate(box_x, 40, 60, 60);
	pixSetInRectArbitrary(pix, box, 0);
	boxDestroy(&box);
	pixSetResolution(pix, 200, 200);
	assert_int_equal(pixWrite(path, pix, IFF_JFIF_JPEG), 0);
	pixDestroy(&pix);
}

/* A JPEG replaced during OCR must not end up in the PDF in its new form. */
static void jpeg_changed_during_ocr_is_not_embedded(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct ocr_engine *eng = NULL;
	struct decoder *d = NULL;
	struct page_image img = { 0 };
	struct ocr_page page = { 0 };
	struct decode_limits lim = { 300000000, 10, 64u << 20 };
	struct buf now = { 0 };
	char *jpg = xasprintf("%s/changing.jpg", dir), *pdf = xasprintf("%s/changing.pdf", dir);
	write_jpeg(jpg, 40);
	assert_int_equal(ocr_engine_new("eng", NULL, &eng, &e), 0);
	assert_int_equal(decoder_open(jpg, &lim, &d, &e), 0);
	assert_int_equal(decoder_next_page(d, &img, &e), 0);
	assert_int_equal(ocr_pdf_begin(eng, pdf, "t", jpg, &e), 0);
	write_jpeg(jpg, 200);
	assert_int_equal(ocr_page_run(eng, &img, &page, &e), 0);
	assert_int_equal(ocr_pdf_end(eng, &e), 0);
	assert_int_equal(file_read_all(jpg, 1u << 20, &now, &e), 0);
	qpdf_data q = open_pdf(pdf);
	qpdf_oh im = key_path(q, qpdf_get_page_n(q, 0), "/Resources", "/XObject");
	unsigned char *raw = NULL;
	size_t len = 0;
	assert_int_equal(qpdf_oh_get_stream_data(q, qpdf_oh_get_key(q, im, "/Im1"), qpdf_dl_none,
	    NULL, &raw, &len) & QPDF_ERRORS, 0);
	assert_true(len > 0);
	assert_false(now.len == len && memcmp(now.data, raw, len) == 0);
	free(raw);
	qpdf_cleanup(&q);
	free(now.data);
	free(jpg);
	free(pdf);
	ocr_page_clear(&page);
	page_image_clear(&img);
	decoder_close(d);
	ocr_engine_free(eng);
}

static void renderer_wants_a_pdf_name(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct ocr_engine *eng = NULL;
	assert_int_equal(ocr_engine_new("eng", NULL, &eng, &e), 0);
	assert_int_equal(ocr_pdf_begin(eng, "/tmp/out.txt", "t", NULL, &e), -1);
	assert_non_null(strstr(e.msg, "must end in .pdf"));
	assert_int_equal(ocr_pdf_end(eng, &e), -1);
	ocr_engine_free(eng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(colour_page_is_the_original_jpeg_at_its_dpi),
		cmocka_unit_test(page_size_is_pixels_at_72_over_dpi),
		cmocka_unit_test(multipage_tiff_pages_are_their_own),
		cmocka_unit_test(qpdf_check_passes),
		cmocka_unit_test(every_font_is_embedded),
		cmocka_unit_test(mark_text_can_be_extracted),
		cmocka_unit_test(ocr_text_is_searchable),
		cmocka_unit_test(mark_is_top_right_and_right_aligned),
		cmocka_unit_test(no_encryption_and_no_object_streams),
		cmocka_unit_test(output_intent_is_srgb_icc),
		cmocka_unit_test(xmp_is_pdfa_2b_with_described_extension),
		cmocka_unit_test(info_agrees_with_xmp),
		cmocka_unit_test(fonts_widths_match_their_programs),
		cmocka_unit_test(pdfa_rules_hold_for_every_object),
		cmocka_unit_test(file_syntax_is_pdfa),
		cmocka_unit_test(missing_input_is_a_clear_error),
		cmocka_unit_test(agency_name_without_glyphs_is_refused),
		cmocka_unit_test(decomposed_agency_name_is_composed),
		cmocka_unit_test(jpeg_changed_during_ocr_is_not_embedded),
		cmocka_unit_test(renderer_wants_a_pdf_name),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
