/* decode: every supported format, read correctly. Refused input: test_decode_bad.c. */
#include "decode_fixtures.h"

/* ---- pixels read back ------------------------------------------------ */

static uint32_t pixel(PIX *pix, int x, int y)
{
	l_uint32 v = 0;
	assert_int_equal(pixGetPixel(pix, x, y, &v), 0);
	return v;
}

/* Decodes the first page of a file. */
static PIX *first_page(const char *name)
{
	struct decoder *d = NULL;
	struct page_image img;
	struct err e;
	assert_int_equal(decoder_open(path_of(name), &limits, &d, &e), 0);
	assert_int_equal(decoder_next_page(d, &img, &e), 0);
	decoder_close(d);
	return img.pix;
}

/* ---- formats that decode --------------------------------------------- */

static void test_tiff_g4(void **state)
{
	(void)state;
	const struct tspec s = { 200, 100, 1, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4,
		0, 300, RESUNIT_INCH };
	write_tiff("g4.tif", &s, 1);
	expect_single("g4.tif", &(struct want){ "tiff", 1, 200, 100, 1, 300, 1, 1 });
	PIX *pix = first_page("g4.tif");
	assert_int_equal(pixel(pix, 10, 10), 1); /* black */
	assert_int_equal(pixel(pix, 150, 80), 0);
	pixDestroy(&pix);
}

static void test_tiff_g4_from_leptonica(void **state)
{
	(void)state;
	PIX *pix = make_pix(333, 77, 1, 400);
	write_pix("lept-g4.tif", pix, IFF_TIFF_G4);
	pixDestroy(&pix);
	expect_single("lept-g4.tif", &(struct want){ "tiff", 1, 333, 77, 1, 400, 1, 1 });
}

/* 118.11 pixels a centimetre is 300 a inch. */
static void test_tiff_lzw_grey_cm(void **state)
{
	(void)state;
	const struct tspec s = { 300, 40, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0,
		118.11f, RESUNIT_CENTIMETER };
	write_tiff("lzw.tif", &s, 1);
	expect_single("lzw.tif", &(struct want){ "tiff", 1, 300, 40, 8, 300, 1, 8 });
	PIX *pix = first_page("lzw.tif");
	assert_int_equal(pixel(pix, 77, 5), 77);
	assert_int_equal(pixel(pix, 290, 5), 290 % 256);
	pixDestroy(&pix);
}

static void test_tiff_jpeg_rgb(void **state)
{
	(void)state;
	const struct tspec s = { 64, 48, 8, 3, PHOTOMETRIC_YCBCR, COMPRESSION_JPEG, 0, 150,
		RESUNIT_INCH };
	write_tiff("jpeg.tif", &s, 1);
	expect_single("jpeg.tif", &(struct want){ "tiff", 1, 64, 48, 32, 150, 1, 24 });
}

static void test_tiff_jpeg_grey_from_leptonica(void **state)
{
	(void)state;
	PIX *pix = make_pix(128, 64, 8, 200);
	write_pix("lept-jpeg.tif", pix, IFF_TIFF_JPEG);
	pixDestroy(&pix);
	expect_single("lept-jpeg.tif", &(struct want){ "tiff", 1, 128, 64, 8, 200, 1, 8 });
}

static void test_tiff_16bit_grey(void **state)
{
	(void)state;
	const struct tspec s = { 100, 30, 16, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 0,
		0, 0 };
	write_tiff("grey16.tif", &s, 1);
	expect_single("grey16.tif", &(struct want){ "tiff", 1, 100, 30, 8, 300, 0, 16 });
	PIX *pix = first_page("grey16.tif");
	assert_int_equal(pixel(pix, 42, 3), 42); /* the high byte */
	pixDestroy(&pix);
}

static void test_tiff_16bit_rgb(void **state)
{
	(void)state;
	const struct tspec s = { 50, 20, 16, 3, PHOTOMETRIC_RGB, COMPRESSION_DEFLATE, 0, 600,
		RESUNIT_INCH };
	write_tiff("rgb16.tif", &s, 1);
	expect_single("rgb16.tif", &(struct want){ "tiff", 1, 50, 20, 32, 600, 1, 48 });
}

static void test_tiff_palette(void **state)
{
	(void)state;
	const struct tspec s = { 40, 10, 8, 1, PHOTOMETRIC_PALETTE, COMPRESSION_PACKBITS, 0,
		200, RESUNIT_INCH };
	write_tiff("palette.tif", &s, 1);
	expect_single("palette.tif", &(struct want){ "tiff", 1, 40, 10, 32, 200, 1, 8 });
	PIX *pix = first_page("palette.tif");
	assert_int_equal(pixel(pix, 5, 5) >> 8, 0xff0000);   /* red */
	assert_int_equal(pixel(pix, 35, 5) >> 8, 0xffffff);  /* white */
	pixDestroy(&pix);
}

/* Leptonica does not read tiles: libtiff's RGBA reader does. */
static void test_tiff_tiled(void **state)
{
	(void)state;
	const struct tspec rgb = { 50, 40, 8, 3, PHOTOMETRIC_RGB, COMPRESSION_LZW, 16, 300,
		RESUNIT_INCH };
	const struct tspec grey = { 50, 40, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 16,
		300, RESUNIT_INCH };
	write_tiff("tiled-rgb.tif", &rgb, 1);
	write_tiff("tiled-grey.tif", &grey, 1);
	expect_single("tiled-rgb.tif", &(struct want){ "tiff", 1, 50, 40, 32, 300, 1, 24 });
	expect_single("tiled-grey.tif", &(struct want){ "tiff", 1, 50, 40, 8, 300, 1, 8 });
	PIX *pix = first_page("tiled-rgb.tif");
	l_int32 r, g, b;
	pixGetRGBPixel(pix, 37, 21, &r, &g, &b);
	assert_int_equal(r, 37);
	assert_int_equal(g, 21);
	assert_int_equal(b, 128);
	pixDestroy(&pix);
	pix = first_page("tiled-grey.tif");
	assert_int_equal(pixel(pix, 45, 39), 45);
	pixDestroy(&pix);
}

static void test_tiff_multipage(void **state)
{
	(void)state;
	const struct tspec pages[] = {
		{ 100, 50, 1, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, 0, 200, RESUNIT_INCH },
		{ 120, 60, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0, 300, RESUNIT_INCH },
		{ 64, 32, 8, 3, PHOTOMETRIC_RGB, COMPRESSION_NONE, 0, 0, 0 },
	};
	write_tiff("three.tif", pages, 3);
	const struct want w[] = {
		{ "tiff", 3, 100, 50, 1, 200, 1, 1 },
		{ "tiff", 3, 120, 60, 8, 300, 1, 8 },
		{ "tiff", 3, 64, 32, 32, 300, 0, 24 },
	};
	struct decoder *d = open_ok("three.tif", &w[0]);
	for (int i = 0; i < 3; i++)
		expect_page(d, &w[i]);
	struct page_image img;
	struct err e;
	assert_int_equal(decoder_next_page(d, &img, &e), -1);
	decoder_close(d);
}

static void test_bigtiff(void **state)
{
	(void)state;
	const struct tspec s = { 64, 32, 8, 3, PHOTOMETRIC_RGB, COMPRESSION_LZW, 0, 300,
		RESUNIT_INCH };
	write_tiff_as("big.tif", "w8", &s, 1);
	struct buf b = read_bytes("big.tif");
	assert_memory_equal(b.data, "II+\0", 4);
	free(b.data);
	expect_single("big.tif", &(struct want){ "tiff", 1, 64, 32, 32, 300, 1, 24 });
}

/* A resolution outside 70..1200 dpi, or without a unit, is not believed. */
static void test_tiff_implausible_dpi(void **state)
{
	(void)state;
	const struct tspec low = { 30, 30, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 0,
		50, RESUNIT_INCH };
	const struct tspec none = { 30, 30, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 0,
		300, RESUNIT_NONE };
	write_tiff("low-dpi.tif", &low, 1);
	write_tiff("no-unit.tif", &none, 1);
	expect_single("low-dpi.tif", &(struct want){ "tiff", 1, 30, 30, 8, 300, 0, 8 });
	expect_single("no-unit.tif", &(struct want){ "tiff", 1, 30, 30, 8, 300, 0, 8 });
}

static void test_png(void **state)
{
	(void)state;
	PIX *pix = make_pix(210, 90, 8, 200);
	write_pix("grey.png", pix, IFF_PNG);
	pixDestroy(&pix);
	expect_single("grey.png", &(struct want){ "png", 1, 210, 90, 8, 200, 1, 8 });
	pix = make_pix(64, 64, 32, 0);
	write_pix("rgb.png", pix, IFF_PNG);
	pixDestroy(&pix);
	expect_single("rgb.png", &(struct want){ "png", 1, 64, 64, 32, 300, 0, 24 });
}

static void test_png_palette_and_2bit(void **state)
{
	(void)state;
	PIX *pix = make_pix(60, 20, 4, 300);
	PIXCMAP *cmap = pixcmapCreate(4);
	for (int i = 0; i < 16; i++)
		pixcmapAddColor(cmap, 255, 16 * i, 0);
	pixSetColormap(pix, cmap);
	write_pix("palette.png", pix, IFF_PNG);
	pixDestroy(&pix);
	expect_single("palette.png", &(struct want){ "png", 1, 60, 20, 32, 300, 1, 4 });

	pix = make_pix(60, 20, 2, 300);
	write_pix("grey2.png", pix, IFF_PNG);
	pixDestroy(&pix);
	expect_single("grey2.png", &(struct want){ "png", 1, 60, 20, 8, 300, 1, 2 });
}

static void test_png_alpha_on_white(void **state)
{
	(void)state;
	PIX *pix = make_pix(20, 20, 32, 300);
	pixSetSpp(pix, 4); /* alpha 0 everywhere: fully transparent */
	write_pix("alpha.png", pix, IFF_PNG);
	pixDestroy(&pix);
	expect_single("alpha.png", &(struct want){ "png", 1, 20, 20, 32, 300, 1, 32 });
	pix = first_page("alpha.png");
	assert_int_equal(pixGetSpp(pix), 3);
	assert_int_equal(pixel(pix, 3, 3) >> 8, 0xffffff);
	pixDestroy(&pix);
}

static void test_jpeg(void **state)
{
	(void)state;
	PIX *pix = make_pix(160, 120, 32, 300);
	write_pix("rgb.jpg", pix, IFF_JFIF_JPEG);
	pixDestroy(&pix);
	expect_single("rgb.jpg", &(struct want){ "jpeg", 1, 160, 120, 32, 300, 1, 24 });
	pix = make_pix(161, 99, 8, 0);
	write_pix("grey.jpg", pix, IFF_JFIF_JPEG);
	pixDestroy(&pix);
	expect_single("grey.jpg", &(struct want){ "jpeg", 1, 161, 99, 8, 300, 0, 8 });
}

static void test_pnm(void **state)
{
	(void)state;
	PIX *pix = make_pix(90, 45, 8, 0);
	write_pix("grey.pgm", pix, IFF_PNM);
	pixDestroy(&pix);
	expect_single("grey.pgm", &(struct want){ "pnm", 1, 90, 45, 8, 300, 0, 8 });
	pix = make_pix(90, 45, 1, 0);
	write_pix("bw.pbm", pix, IFF_PNM);
	pixDestroy(&pix);
	expect_single("bw.pbm", &(struct want){ "pnm", 1, 90, 45, 1, 300, 0, 1 });
	pix = make_pix(90, 45, 32, 0);
	write_pix("rgb.ppm", pix, IFF_PNM);
	pixDestroy(&pix);
	expect_single("rgb.ppm", &(struct want){ "pnm", 1, 90, 45, 32, 300, 0, 24 });
}

/* The name says PNG, the content says TIFF: the content wins. */
static void test_format_by_content(void **state)
{
	(void)state;
	PIX *pix = make_pix(50, 50, 1, 300);
	write_pix("really-a-tiff.png", pix, IFF_TIFF_G4);
	pixDestroy(&pix);
	expect_single("really-a-tiff.png", &(struct want){ "tiff", 1, 50, 50, 1, 300, 1, 1 });
}

int main(void)
{
	verbose = getenv("TEST_VERBOSE") != NULL;
	if (verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiff_g4),
		cmocka_unit_test(test_tiff_g4_from_leptonica),
		cmocka_unit_test(test_tiff_lzw_grey_cm),
		cmocka_unit_test(test_tiff_jpeg_rgb),
		cmocka_unit_test(test_tiff_jpeg_grey_from_leptonica),
		cmocka_unit_test(test_tiff_16bit_grey),
		cmocka_unit_test(test_tiff_16bit_rgb),
		cmocka_unit_test(test_tiff_palette),
		cmocka_unit_test(test_tiff_tiled),
		cmocka_unit_test(test_tiff_multipage),
		cmocka_unit_test(test_bigtiff),
		cmocka_unit_test(test_tiff_implausible_dpi),
		cmocka_unit_test(test_png),
		cmocka_unit_test(test_png_palette_and_2bit),
		cmocka_unit_test(test_png_alpha_on_white),
		cmocka_unit_test(test_jpeg),
		cmocka_unit_test(test_pnm),
		cmocka_unit_test(test_format_by_content),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
