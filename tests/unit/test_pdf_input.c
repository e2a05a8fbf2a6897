/*
 * PDF input: scans saved as PDF are rendered at their own resolution, grey
 * stays grey and colour colour, a PDF's own text comes along, and encrypted
 * or signed files are refused with a reason. The PDFs are made here: cairo
 * for image-only and vector pages, tesseract for one with a text layer, qpdf
 * for encryption, our PAdES signer for a signed one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <leptonica/allheaders.h>

#include "pipeline/extract_int.h" /* text_distance */
#include "pipeline/pipeline.h"
#include "signer/signer.h"
#include "tests/unit/unit_shell.h"

/* Run from the repository root (tests/run.sh does). */
#define G4_SAMPLE "samples/hungyen-2684-300dpi-g4.tif"     /* 2480 x 3508, 300 dpi */
#define JPEG_SAMPLE "samples/kontum-congvan-200dpi-colour.jpg" /* 1654 x 2339, 200 dpi */
#define TEXT_LINE "Quyết định số 12/QĐ-UBND"
#define PIN "dev-pin 1234"

static char dir[64];
static const struct decode_limits limits = {
	.max_pixels = 300000000,
	.max_pages = 100,
	.max_file_bytes = 100u << 20,
};

static const char *path_of(const char *name)
{
	static char p[8][256];
	static unsigned next;
	char *out = p[next++ % 8];
	snprintf(out, sizeof(p[0]), "%s/%s", dir, name);
	return out;
}

/* ---- making the PDFs --------------------------------------------------- */

/* Leptonica's 0xRRGGBB__ words as cairo's 0x__RRGGBB. */
static cairo_surface_t *surface_of(const char *path)
{
	PIX *pix = pixRead(path);
	assert_non_null(pix);
	PIX *rgb = pixConvertTo32(pix);
	assert_non_null(rgb);
	int w = pixGetWidth(rgb), h = pixGetHeight(rgb);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_surface_flush(s);
	unsigned char *data = cairo_image_surface_get_data(s);
	for (int y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)(data + (size_t)y * cairo_image_surface_get_stride(s));
		const l_uint32 *src = pixGetData(rgb) + (size_t)y * pixGetWpl(rgb);
		for (int x = 0; x < w; x++)
			row[x] = src[x] >> 8;
	}
	cairo_surface_mark_dirty(s);
	pixDestroy(&rgb);
	pixDestroy(&pix);
	return s;
}

/* One page the size of the image at `dpi`; a JPEG goes in as it is (DCTDecode). */
static void add_image_page(cairo_surface_t *pdf, const char *path, int dpi, int jpeg)
{
	cairo_surface_t *img = surface_of(path);
	double k = 72.0 / dpi;
	cairo_pdf_surface_set_size(pdf, cairo_image_surface_get_width(img) * k,
	    cairo_image_surface_get_height(img) * k);
	if (jpeg) {
		struct buf b = { 0 };
		struct err e;
		assert_int_equal(file_read_all(path, 1u << 26, &b, &e), 0);
		cairo_surface_set_mime_data(img, CAIRO_MIME_TYPE_JPEG, (unsigned char *)b.data,
		    b.len, free, b.data);
	}
	cairo_t *cr = cairo_create(pdf);
	cairo_scale(cr, k, k);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_paint(cr);
	cairo_show_page(cr);
	assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
	cairo_destroy(cr);
	cairo_surface_destroy(img);
}

static void finish(cairo_surface_t *pdf)
{
	cairo_surface_finish(pdf);
	assert_int_equal(cairo_surface_status(pdf), CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(pdf);
}

/* Page 1 the G4 scan at 300 dpi, page 2 the colour JPEG at 200 dpi. */
static void make_scan_pdf(const char *path)
{
	cairo_surface_t *pdf = cairo_pdf_surface_create(path, 595, 842);
	add_image_page(pdf, G4_SAMPLE, 300, 0);
	add_image_page(pdf, JPEG_SAMPLE, 200, 1);
	finish(pdf);
}

/* An A4 page of real text and no image: what a word processor exports. */
static void make_vector_pdf(const char *path)
{
	cairo_surface_t *pdf = cairo_pdf_surface_create(path, 595.276, 841.89);
	cairo_t *cr = cairo_create(pdf);
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	    CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 14);
	cairo_move_to(cr, 72, 100);
	cairo_show_text(cr, TEXT_LINE);
	cairo_show_page(cr);
	cairo_destroy(cr);
	finish(pdf);
}

static void make_signed_pdf(const char *in, const char *out)
{
	struct err e = { 0 };
	struct signer *s = NULL;
	const char *keys = path_of("keys"), *pin = path_of("keys/pin"),
	      *p12 = path_of("keys/signer.p12");
	struct devpki_request req = { .dir = keys, .agency_name = "Ủy ban nhân dân xã Tân Lập",
		.pin = PIN, .ec = 1 };
	assert_int_equal(mkdir(keys, 0700), 0);
	if (devpki_create(&req, &e) < 0 ||
	    file_write_atomic(pin, PIN "\n", strlen(PIN) + 1, 0600, &e) < 0)
		fail_msg("devpki: %s", e.msg);
	struct signer_config c = { .pkcs12 = p12, .pin_file = pin };
	struct pades_options o = { .signing_time = time(NULL), .reason = "Sao y bản chính" };
	if (signer_open(&c, &s, &e) < 0 || pades_sign_file(s, in, out, &o, &e) < 0)
		fail_msg("signing: %s", e.msg);
	signer_close(s);
}

/* qpdf writes the cross-reference table the hand-written file lacks. */
static void make_sign_here_pdf(const char *raw, const char *out)
{
	static const char pdf[] = "%PDF-1.7\n"
	    "1 0 obj << /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >> endobj\n"
	    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
	    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>\n"
	    "endobj\n"
	    "4 0 obj << /Type /Annot /Subtype /Widget /FT /Sig /T (Ky) /Rect [400 50 550 120]\n"
	    "/P 3 0 R >> endobj\n"
	    "trailer << /Root 1 0 R >>\n%%EOF\n";
	struct err e = { 0 };
	assert_int_equal(file_write_atomic(raw, pdf, sizeof(pdf) - 1, 0600, &e), 0);
	/* 3: done, with warnings about the missing table */
	assert_int_equal(sh("qpdf %s %s 2>/dev/null", raw, out), 3);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pdf_input.XXXXXX");
	assert_non_null(mkdtemp(dir));
	make_scan_pdf(path_of("scan.pdf"));
	make_vector_pdf(path_of("vector.pdf"));
	assert_int_equal(sh("OMP_THREAD_LIMIT=1 tesseract %s %s -l vie pdf >/dev/null 2>&1",
	    G4_SAMPLE, path_of("text")), 0);
	assert_int_equal(sh("qpdf --encrypt user owner 256 -- %s %s", path_of("scan.pdf"),
	    path_of("locked.pdf")), 0);
	assert_int_equal(sh("qpdf --encrypt '' owner 256 --print=none --extract=n -- %s %s",
	    path_of("vector.pdf"), path_of("restricted.pdf")), 0);
	make_signed_pdf(path_of("vector.pdf"), path_of("signed.pdf"));
	make_sign_here_pdf(path_of("sign-here-raw.pdf"), path_of("sign-here.pdf"));
	assert_int_equal(sh("qpdf --rotate=+90:1 %s %s", path_of("scan.pdf"),
	    path_of("turned.pdf")), 0);
	return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static int group_teardown(void **state)
{
	(void)state;
	if (getenv("TEST_KEEP") == NULL)
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	/* Cairo's font caches, filled by the vector page, for the leak checker. */
	cairo_debug_reset_static_data();
	return 0;
}

/* ---- checks ---------------------------------------------------------- */

static struct decoder *open_ok(const char *path, const struct decode_limits *lim)
{
	struct decoder *d = NULL;
	struct err e = { 0 };
	if (decoder_open(path, lim, &d, &e) < 0)
		fail_msg("%s: %s", path, e.msg);
	assert_string_equal(decoder_format(d), "pdf");
	return d;
}

static void next_ok(struct decoder *d, struct page_image *img)
{
	struct err e = { 0 };
	if (decoder_next_page(d, img, &e) < 0)
		fail_msg("decoder_next_page: %s", e.msg);
	assert_int_equal(pixGetWidth(img->pix), img->width);
	assert_int_equal(pixGetHeight(img->pix), img->height);
	assert_int_equal(pixGetXRes(img->pix), img->dpi);
	assert_int_equal(img->dpi_from_file, 1);
	assert_null(img->display);
}

static void expect_refused(const char *path, const struct decode_limits *lim,
    const char *reason)
{
	struct decoder *d = NULL;
	struct err e = { 0 };
	assert_int_equal(decoder_open(path, lim, &d, &e), -1);
	assert_null(d);
	if (strstr(e.msg, reason) == NULL)
		fail_msg("\"%s\" not in \"%s\"", reason, e.msg);
}

/* Share of pixels where the rendered page and the scan (turned clockwise
 * by quarters) differ in black or white. */
static double bilevel_difference(PIX *rendered, const char *scan, int quarters)
{
	PIX *a = pixConvertTo1(rendered, 128), *b = pixRead(scan);
	assert_non_null(a);
	assert_non_null(b);
	for (int i = 0; i < quarters; i++) {
		PIX *t = pixRotate90(b, 1);
		pixDestroy(&b);
		b = t;
	}
	PIX *x = pixXor(NULL, a, b);
	l_int32 n = 0;
	pixCountPixels(x, &n, NULL);
	double share = (double)n / ((double)pixGetWidth(b) * pixGetHeight(b));
	pixDestroy(&x);
	pixDestroy(&a);
	pixDestroy(&b);
	return share;
}

static void scan_pages_keep_their_resolution_and_colour(void **state)
{
	(void)state;
	struct page_image img = { 0 };
	char want[65], have[65];
	struct err e = { 0 };
	struct decoder *d = open_ok(path_of("scan.pdf"), &limits);
	assert_int_equal(decoder_page_count(d), 2);
	assert_int_equal(sha256_file_hex(path_of("scan.pdf"), want, &e), 0);
	decoder_sha256(d, have);
	assert_string_equal(have, want);

	next_ok(d, &img);
	assert_int_equal(pixGetDepth(img.pix), 1); /* a bilevel scan stays bilevel */
	assert_int_equal(img.width, 2480);
	assert_int_equal(img.height, 3508);
	assert_in_range(img.dpi, 298, 302);
	assert_int_equal(img.source_depth, 1);
	assert_null(img.text_layer);
	double diff = bilevel_difference(img.pix, G4_SAMPLE, 0);
	print_message("page 1 differs from the scan in %.4f%% of its pixels\n", diff * 100);
	assert_true(diff < 0.005);
	page_image_clear(&img);

	next_ok(d, &img);
	assert_int_equal(pixGetDepth(img.pix), 32);
	assert_int_equal(img.width, 1654);
	assert_int_equal(img.height, 2339);
	assert_in_range(img.dpi, 198, 202);
	assert_int_equal(img.source_depth, 24);
	assert_null(img.text_layer);
	page_image_clear(&img);

	assert_int_equal(decoder_next_page(d, &img, &e), -1);
	decoder_close(d);
}

/* /Rotate 90: poppler gives the image areas unturned. */
static void turned_page_is_rendered_turned(void **state)
{
	(void)state;
	struct page_image img = { 0 };
	struct decoder *d = open_ok(path_of("turned.pdf"), &limits);
	next_ok(d, &img);
	assert_int_equal(img.width, 3508);
	assert_int_equal(img.height, 2480);
	assert_int_equal(img.dpi, 300);
	assert_true(bilevel_difference(img.pix, G4_SAMPLE, 1) < 0.005);
	page_image_clear(&img);
	decoder_close(d);
}

static void tesseract_pdf_brings_its_text_layer(void **state)
{
	(void)state;
	struct page_image img = { 0 };
	struct decoder *d = open_ok(path_of("text.pdf"), &limits);
	assert_int_equal(decoder_page_count(d), 1);
	next_ok(d, &img);
	assert_int_equal(pixGetDepth(img.pix), 1);
	assert_in_range(img.dpi, 298, 302);
	assert_int_equal(img.width, 2480);
	assert_non_null(img.text_layer);
	assert_non_null(strstr(img.text_layer, "2684"));
	page_image_clear(&img);
	decoder_close(d);
}

static void vector_page_is_rendered_at_300_dpi(void **state)
{
	(void)state;
	struct page_image img = { 0 };
	struct decoder *d = open_ok(path_of("vector.pdf"), &limits);
	next_ok(d, &img);
	assert_int_equal(img.dpi, 300);
	assert_int_equal(img.width, 2480);
	assert_int_equal(img.height, 3508);
	assert_int_equal(pixGetDepth(img.pix), 8);
	assert_int_equal(img.source_depth, 8);
	assert_non_null(img.text_layer);
	assert_non_null(strstr(img.text_layer, TEXT_LINE));
	page_image_clear(&img);
	decoder_close(d);
}

static void encrypted_pdfs_are_refused(void **state)
{
	(void)state;
	static const char why[] = "the PDF is encrypted; sohoa does not strip protection: "
	    "ask for an unprotected scan";
	expect_refused(path_of("locked.pdf"), &limits, why);
	expect_refused(path_of("restricted.pdf"), &limits, why);
}

static void signed_pdf_is_refused(void **state)
{
	(void)state;
	expect_refused(path_of("signed.pdf"), &limits, "the PDF is digitally signed; "
	    "re-rendering it would drop the signature, so sohoa will not take it; "
	    "file it as it is");
}

/* A field waiting for a signature is a form to fill, not a signature. */
static void empty_signature_field_is_taken(void **state)
{
	(void)state;
	struct page_image img = { 0 };
	struct decoder *d = open_ok(path_of("sign-here.pdf"), &limits);
	next_ok(d, &img);
	assert_int_equal(img.dpi, 300);
	page_image_clear(&img);
	decoder_close(d);
}

static void limits_are_checked_before_rendering(void **state)
{
	(void)state;
	struct decode_limits lim = limits;
	lim.max_pages = 1;
	expect_refused(path_of("scan.pdf"), &lim,
	    "file has more than 1 pages, over the limit of 1");
	lim = limits;
	lim.max_pixels = 5000000;
	expect_refused(path_of("scan.pdf"), &lim, "page 1 holds an image of 2480 x 3508 "
	    "pixels (8.7 Mpx), over the limit of 5.0 Mpx");
	expect_refused(path_of("vector.pdf"), &lim, "page 1 at 300 dpi is 2480 x 3508 "
	    "pixels (8.7 Mpx), over the limit of 5.0 Mpx");
}

static void damaged_pdf_is_refused(void **state)
{
	(void)state;
	static const char cut[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
	struct err e = { 0 };
	assert_int_equal(file_write_atomic(path_of("cut.pdf"), cut, sizeof(cut) - 1, 0600, &e), 0);
	expect_refused(path_of("cut.pdf"), &limits, "corrupt or truncated PDF");
}

/* ---- OCR of the PDF page against OCR of the TIFF ----------------------- */

static char *ocr_first_page(struct ocr_engine *eng, const char *path)
{
	struct decoder *d = NULL;
	struct page_image img = { 0 };
	struct ocr_page page = { 0 };
	struct err e = { 0 };
	if (decoder_open(path, &limits, &d, &e) < 0 || decoder_next_page(d, &img, &e) < 0 ||
	    ocr_page_run(eng, &img, &page, &e) < 0)
		fail_msg("%s: %s", path, e.msg);
	char *text = xstrdup(page.text);
	ocr_page_clear(&page);
	page_image_clear(&img);
	decoder_close(d);
	return text;
}

static void pdf_page_reads_like_the_tiff(void **state)
{
	(void)state;
	struct ocr_engine *eng = NULL;
	struct err e = { 0 };
	if (ocr_engine_new("vie", NULL, &eng, &e) < 0)
		fail_msg("ocr_engine_new: %s", e.msg);
	char *tiff = ocr_first_page(eng, G4_SAMPLE), *pdf = ocr_first_page(eng,
	    path_of("scan.pdf"));
	size_t n = text_distance(tiff, ""); /* code points */
	double cer = (double)text_distance(tiff, pdf) / (double)n;
	print_message("CER of the PDF page against the TIFF: %.3f%% (%zu characters)\n",
	    cer * 100, n);
	assert_true(n > 1000);
	assert_true(cer < 0.01);
	free(tiff);
	free(pdf);
	ocr_engine_free(eng);
}

/*
 * Under ASan: fontconfig, loaded by cairo for the vector page's text, leaves
 * part of its parsed configuration unreachable. Only that is suppressed.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

int main(void)
{
	if (getenv("TEST_VERBOSE") != NULL)
		log_set_level(LOG_LEVEL_DEBUG);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scan_pages_keep_their_resolution_and_colour),
		cmocka_unit_test(turned_page_is_rendered_turned),
		cmocka_unit_test(tesseract_pdf_brings_its_text_layer),
		cmocka_unit_test(vector_page_is_rendered_at_300_dpi),
		cmocka_unit_test(encrypted_pdfs_are_refused),
		cmocka_unit_test(signed_pdf_is_refused),
		cmocka_unit_test(empty_signature_field_is_taken),
		cmocka_unit_test(limits_are_checked_before_rendering),
		cmocka_unit_test(damaged_pdf_is_refused),
		cmocka_unit_test(pdf_page_reads_like_the_tiff),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
