#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "pipeline/pipeline.h"

/* Run from the repository root (tests/run.sh does). */
#define BILEVEL "samples/hungyen-2684-300dpi-g4.tif"
#define BILEVEL_SKEW (-0.45) /* its skew_deg in samples/truth.jsonl */
#define COLOUR "samples/kontum-congvan-200dpi-colour.jpg"

static struct preprocessor *pre; /* the defaults */

static int make_preprocessor(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct preprocess_options o;
	preprocess_defaults(&o);
	if (preprocessor_new(NULL, &o, &pre, &e) < 0) {
		print_error("setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int free_preprocessor(void **state)
{
	(void)state;
	preprocessor_free(pre);
	return 0;
}

/* A page as the decoder gives it: 1, 8 or 32 bpp, no colormap. */
static void page_from(struct page_image *img, PIX *pix, int dpi)
{
	memset(img, 0, sizeof(*img));
	img->pix = pix;
	img->width = pixGetWidth(pix);
	img->height = pixGetHeight(pix);
	img->dpi_from_file = dpi > 0;
	img->dpi = dpi > 0 ? dpi : 300;
	img->source_depth = pixGetDepth(pix);
	pixSetResolution(pix, img->dpi, img->dpi);
}

static PIX *read_sample(const char *path)
{
	PIX *pix = pixRead(path);
	assert_non_null(pix);
	return pix;
}

static void clear(struct page_image *img)
{
	pixDestroy(&img->display);
	pixDestroy(&img->pix);
}

static void run(struct preprocessor *p, struct page_image *img, struct page_facts *f)
{
	struct err e = { 0 };
	if (preprocess_page(p, img, f, &e) < 0)
		fail_msg("preprocess_page: %s", e.msg);
}

/* Leptonica's skew of what OCR reads, counter-clockwise positive. */
static double residual_skew(PIX *pix)
{
	float angle = 0, conf = 0;
	PIX *bin = pixGetDepth(pix) == 1 ? pixClone(pix) : pixConvertTo1(pix, 128);
	assert_int_equal(pixFindSkewSweepAndSearch(bin, &angle, &conf, 4, 2, 10, 1, 0.01f), 0);
	pixDestroy(&bin);
	return angle;
}

static void turned_pages_come_back_upright(void **state)
{
	(void)state;
	struct page_image upright, img;
	struct page_facts f;
	page_from(&upright, read_sample(BILEVEL), 300);
	run(pre, &upright, &f);
	assert_int_equal(f.rotation, 0);
	for (int quads = 1; quads < 4; quads++) {
		PIX *src = read_sample(BILEVEL);
		page_from(&img, pixRotateOrth(src, quads), 300);
		pixDestroy(&src);
		run(pre, &img, &f);
		assert_int_equal(f.rotation, (4 - quads) % 4 * 90);
		assert_true(f.orientation_confidence >= 2.0f);
		assert_int_equal(pixGetWidth(img.pix), pixGetWidth(upright.pix));
		assert_int_equal(pixGetHeight(img.pix), pixGetHeight(upright.pix));
		/* The same page as the upright one, to the pixel nearly. */
		float same = 0;
		PIX *a = pixConvertTo1(img.pix, 128), *b = pixConvertTo1(upright.pix, 128);
		pixCorrelationBinary(a, b, &same);
		pixDestroy(&a);
		pixDestroy(&b);
		assert_true(same > 0.9f);
		clear(&img);
	}
	clear(&upright);
}

static void skew_is_measured_and_straightened(double added)
{
	struct page_image img;
	struct page_facts f;
	PIX *src = read_sample(BILEVEL);
	/* pixRotate turns clockwise; the skew is counter-clockwise positive. */
	page_from(&img, pixRotate(src, (float)(-added * M_PI / 180), L_ROTATE_SAMPLING,
	    L_BRING_IN_WHITE, 0, 0), 300);
	pixDestroy(&src);
	run(pre, &img, &f);
	assert_true(fabs(f.skew_deg - (BILEVEL_SKEW + added)) < 0.3);
	assert_true(fabs(residual_skew(img.pix)) < 0.3);
	clear(&img);
}

static void skew_plus_4(void **state)
{
	(void)state;
	skew_is_measured_and_straightened(4.0);
}

static void skew_minus_6(void **state)
{
	(void)state;
	skew_is_measured_and_straightened(-6.0);
}

static void sample_skew_matches_the_truth(void **state)
{
	(void)state;
	struct page_image img;
	struct page_facts f;
	page_from(&img, read_sample(BILEVEL), 300);
	run(pre, &img, &f);
	assert_true(fabs(f.skew_deg - BILEVEL_SKEW) < 0.3);
	clear(&img);
}

static PIX *white_a4(void)
{
	PIX *pix = pixCreate(2480, 3508, 8);
	pixSetAll(pix);
	return pix;
}

static void white_page_is_blank(void **state)
{
	(void)state;
	struct page_image img;
	struct page_facts f;
	page_from(&img, white_a4(), 300);
	run(pre, &img, &f);
	assert_true(f.blank);
	assert_true(f.ink < 0.0001);
	clear(&img);
}

static void disc(PIX *pix, int cx, int cy, int r)
{
	for (int y = cy - r; y <= cy + r; y++)
		for (int x = cx - r; x <= cx + r; x++)
			if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
				pixSetPixel(pix, x, y, 20);
}

/* A black band left and top where the lid was open, two 6 mm holes 12 mm
 * from the left edge, and dust. */
static PIX *border_and_holes(void)
{
	PIX *pix = white_a4();
	pixRasterop(pix, 0, 0, 90, 3508, PIX_CLR, NULL, 0, 0);
	pixRasterop(pix, 0, 0, 2480, 50, PIX_CLR, NULL, 0, 0);
	disc(pix, 142, 1754 - 472, 35);
	disc(pix, 142, 1754 + 472, 35);
	srand(1);
	for (int i = 0; i < 300; i++)
		pixRasterop(pix, 100 + rand() % 2300, 100 + rand() % 3300, 1 + rand() % 3,
		    1 + rand() % 3, PIX_CLR, NULL, 0, 0);
	return pix;
}

static void border_and_punch_holes_are_blank(void **state)
{
	(void)state;
	struct page_image img;
	struct page_facts f;
	page_from(&img, border_and_holes(), 300);
	run(pre, &img, &f);
	assert_true(f.blank);
	/* Holes alone would be 0.0009, the border 0.05. */
	assert_true(f.ink < 0.0002);
	clear(&img);
}

/* Text on the same page survives; the border and the holes do not. */
static void borders_and_holes_are_whitened_for_ocr(void **state)
{
	(void)state;
	struct page_image img;
	struct page_facts f;
	PIX *page = border_and_holes(), *text = read_sample(BILEVEL);
	BOX *where = boxCreate(400, 400, 1700, 1500);
	PIX *box = pixClipRectangle(text, where, NULL);
	PIX *grey = pixConvert1To8(NULL, box, 255, 0);
	pixRasterop(page, 400, 400, 1700, 1500, PIX_SRC, grey, 0, 0);
	page_from(&img, page, 300);
	run(pre, &img, &f);
	assert_false(f.blank);
	PIX *ocr = pixGetDepth(img.pix) == 1 ? pixClone(img.pix) : pixConvertTo1(img.pix, 128);
	int ink = 0;
	BOX *left = boxCreate(0, 150, 250, 3200);
	pixCountPixelsInRect(ocr, left, &ink, NULL);
	assert_true(ink < 200);
	pixCountPixels(ocr, &ink, NULL);
	assert_true(ink > 50000);
	boxDestroy(&left);
	boxDestroy(&where);
	pixDestroy(&ocr);
	pixDestroy(&grey);
	pixDestroy(&box);
	pixDestroy(&text);
	clear(&img);
}

static void real_sample_is_not_blank(void **state)
{
	(void)state;
	struct page_image img;
	struct page_facts f;
	page_from(&img, read_sample(BILEVEL), 300);
	run(pre, &img, &f);
	assert_false(f.blank);
	assert_true(f.ink > 0.02);
	clear(&img);
}

static void colour_page_keeps_colour_display(enum binarise how, int ocr_colour)
{
	struct err e = { 0 };
	struct preprocessor *p = NULL;
	struct preprocess_options o;
	struct page_image img;
	struct page_facts f;
	preprocess_defaults(&o);
	o.binarise = how;
	assert_int_equal(preprocessor_new(NULL, &o, &p, &e), 0);
	page_from(&img, read_sample(COLOUR), 200);
	int w = img.width, h = img.height;
	run(p, &img, &f);
	PIX *display = img.display ? img.display : img.pix;
	assert_int_equal(pixGetDepth(display), 32);
	assert_int_equal(pixGetWidth(display), w);
	assert_int_equal(pixGetHeight(display), h);
	assert_int_equal(pixGetWidth(img.pix), w);
	assert_int_equal(pixGetHeight(img.pix), h);
	assert_int_equal(pixGetDepth(img.pix) == 32, ocr_colour);
	assert_true(fabs(f.skew_deg - 1.4) < 0.3);
	clear(&img);
	preprocessor_free(p);
}

static void colour_page_binarised(void **state)
{
	(void)state;
	colour_page_keeps_colour_display(BINARISE_SAUVOLA, 0);
	colour_page_keeps_colour_display(BINARISE_OTSU, 0);
	colour_page_keeps_colour_display(BINARISE_BACKGROUND, 0);
}

static void colour_page_as_is(void **state)
{
	(void)state;
	colour_page_keeps_colour_display(BINARISE_NONE, 1);
}

static void low_resolution_page_is_upscaled(void **state)
{
	(void)state;
	struct page_image img;
	struct page_facts f;
	PIX *src = read_sample(BILEVEL);
	page_from(&img, pixScaleToGray3(src), 100);
	pixDestroy(&src);
	int w = img.width;
	run(pre, &img, &f);
	assert_true(f.upscaled);
	assert_int_equal(f.dpi, 100);
	assert_int_equal(img.dpi, 200);
	assert_int_equal(pixGetWidth(img.pix), 2 * w);
	assert_int_equal(img.width, 2 * w);
	if (img.display != NULL)
		assert_int_equal(pixGetWidth(img.display), 2 * w);
	assert_int_equal(pixGetXRes(img.pix), 200);
	clear(&img);
}

static void resolution_is_inferred(const char *path, int w, int h, const char *paper, int dpi)
{
	struct page_image img;
	struct page_facts f;
	PIX *pix;
	if (path != NULL) {
		pix = read_sample(path);
	} else {
		pix = pixCreate(w, h, 8);
		pixSetAll(pix);
	}
	page_from(&img, pix, 0);
	run(pre, &img, &f);
	assert_string_equal(f.dpi_source, paper);
	assert_int_equal(f.dpi, dpi);
	assert_int_equal(img.dpi, dpi);
	clear(&img);
}

static void resolution_without_dpi(void **state)
{
	(void)state;
	resolution_is_inferred(COLOUR, 0, 0, "a4", 200);
	resolution_is_inferred(NULL, 2480, 3508, "a4", 300);
	resolution_is_inferred(NULL, 3508, 2480, "a4", 300);  /* landscape */
	resolution_is_inferred(NULL, 1700, 2200, "letter", 200);
	resolution_is_inferred(NULL, 2000, 2000, "default", 300); /* square: no paper */
}

static void file_resolution_is_kept(void **state)
{
	(void)state;
	struct page_image img;
	struct page_facts f;
	page_from(&img, read_sample(BILEVEL), 300);
	run(pre, &img, &f);
	assert_string_equal(f.dpi_source, "file");
	assert_int_equal(f.dpi, 300);
	assert_false(f.upscaled);
	clear(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(turned_pages_come_back_upright),
		cmocka_unit_test(skew_plus_4),
		cmocka_unit_test(skew_minus_6),
		cmocka_unit_test(sample_skew_matches_the_truth),
		cmocka_unit_test(white_page_is_blank),
		cmocka_unit_test(border_and_punch_holes_are_blank),
		cmocka_unit_test(borders_and_holes_are_whitened_for_ocr),
		cmocka_unit_test(real_sample_is_not_blank),
		cmocka_unit_test(colour_page_binarised),
		cmocka_unit_test(colour_page_as_is),
		cmocka_unit_test(low_resolution_page_is_upscaled),
		cmocka_unit_test(resolution_without_dpi),
		cmocka_unit_test(file_resolution_is_kept),
	};
	return cmocka_run_group_tests(tests, make_preprocessor, free_preprocessor);
}
