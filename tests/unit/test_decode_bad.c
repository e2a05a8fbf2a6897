/* decode: the limits, and damaged or hostile input refused with a reason. */
#include "decode_fixtures.h"

/* Writes the first `keep` bytes of `from` to `to`. */
static void cut_file(const char *from, const char *to, size_t keep)
{
	struct buf b = read_bytes(from);
	assert_true(keep <= b.len);
	write_bytes(to, b.data, keep);
	free(b.data);
}

/* ---- hand-made headers ----------------------------------------------- */

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
	return 4;
}

static size_t put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
	return 4;
}

/*
 * A little-endian 8-bit grey TIFF with its directory first and the pixels
 * after it, so that cutting the file loses pixels, not the directory.
 * `next` is the offset of the next directory (8 makes a loop).
 */
static void handmade_tiff(const char *name, uint32_t w, uint32_t h, size_t data_len,
    uint32_t next)
{
	const uint16_t tags[][2] = {
		{ 256, 4 }, { 257, 4 }, { 258, 3 }, { 259, 3 }, { 262, 3 },
		{ 273, 4 }, { 277, 3 }, { 278, 4 }, { 279, 4 },
	};
	const size_t n = sizeof(tags) / sizeof(tags[0]), start = 8 + 2 + n * 12 + 4;
	uint64_t bytes = (uint64_t)w * h;
	const uint32_t values[] = { w, h, 8, 1, 1, (uint32_t)start, 1, h,
		bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes };
	uint8_t *p = xcalloc(1, start + data_len), *q = p;
	q += 4, memcpy(p, "II*\0", 4);
	q += put32(q, 8);
	q += put16(q, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		q += put16(q, tags[i][0]);
		q += put16(q, tags[i][1]);
		q += put32(q, 1);
		q += tags[i][1] == 3 ? put16(q, (uint16_t)values[i]) + put16(q + 2, 0)
				     : put32(q, values[i]);
	}
	put32(q, next);
	memset(p + start, 0x80, data_len);
	write_bytes(name, p, start + data_len);
	free(p);
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* PNG signature, an IHDR with a valid CRC, an empty IDAT and IEND. */
static void handmade_png(const char *name, uint32_t w, uint32_t h)
{
	uint8_t p[64], *q = p;
	memcpy(q, "\x89PNG\r\n\x1a\n", 8), q += 8;
	q += put32be(q, 13);
	uint8_t *chunk = q;
	memcpy(q, "IHDR", 4), q += 4;
	q += put32be(q, w);
	q += put32be(q, h);
	memcpy(q, "\x08\x00\x00\x00\x00", 5), q += 5; /* 8-bit grey */
	q += put32be(q, crc32_of(chunk, 17));
	q += put32be(q, 0);
	memcpy(q, "IDAT", 4), q += 4;
	q += put32be(q, crc32_of(q - 4, 4));
	q += put32be(q, 0);
	memcpy(q, "IEND", 4), q += 4;
	q += put32be(q, crc32_of(q - 4, 4));
	write_bytes(name, p, (size_t)(q - p));
}

/* ---- expectations ---------------------------------------------------- */

static void expect_open_error(const char *path, const struct decode_limits *lim,
    const char *words)
{
	struct decoder *d = (struct decoder *)&d;
	struct err e = { 0 };
	assert_int_equal(decoder_open(path, lim ? lim : &limits, &d, &e), -1);
	assert_null(d);
	if (verbose)
		print_message("reason: %s\n", e.msg);
	if (strstr(e.msg, words) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, words);
}

/* The header is fine, the pixels are not. */
static void expect_page_error(const char *name, const char *words)
{
	struct decoder *d = NULL;
	struct page_image img;
	struct err e = { 0 };
	if (decoder_open(path_of(name), &limits, &d, &e) != 0)
		fail_msg("%s: %s", name, e.msg);
	assert_int_equal(decoder_next_page(d, &img, &e), -1);
	assert_null(img.pix);
	if (verbose)
		print_message("reason: %s\n", e.msg);
	if (strstr(e.msg, words) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, words);
	decoder_close(d);
}

/* ---- input that must be refused -------------------------------------- */

static void test_empty_file(void **state)
{
	(void)state;
	write_bytes("empty.tif", "", 0);
	expect_open_error(path_of("empty.tif"), NULL, "empty file (0 bytes)");
}

static void test_missing_and_directory(void **state)
{
	(void)state;
	expect_open_error(path_of("no-such-file.tif"), NULL, "cannot open: No such file");
	expect_open_error(dir, NULL, "not a regular file");
}

static void test_text_named_tif(void **state)
{
	(void)state;
	const char text[] = "Kính gửi: Ủy ban nhân dân phường\n";
	write_bytes("notes.tif", text, sizeof(text) - 1);
	expect_open_error(path_of("notes.tif"), NULL, "not a supported image (unrecognised format)");
	write_bytes("tiny.tif", "II", 2);
	expect_open_error(path_of("tiny.tif"), NULL, "unrecognised format");
}

static void test_other_formats(void **state)
{
	(void)state;
	const char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
	write_bytes("scan.pdf", pdf, sizeof(pdf) - 1);
	expect_open_error(path_of("scan.pdf"), NULL, "corrupt or truncated PDF");
	write_bytes("anim.gif", "GIF89a\x01\x00\x01\x00", 10);
	expect_open_error(path_of("anim.gif"), NULL, "GIF images are not supported");
}

static void test_file_too_big(void **state)
{
	(void)state;
	PIX *pix = make_pix(100, 100, 8, 300);
	write_pix("big.png", pix, IFF_PNG);
	pixDestroy(&pix);
	struct decode_limits lim = limits;
	lim.max_file_bytes = 100;
	expect_open_error(path_of("big.png"), &lim, "over the limit of 100");
}

/* libtiff writes the directory last: half a file has none. */
static void test_tiff_truncated_half(void **state)
{
	(void)state;
	const struct tspec s = { 300, 200, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0,
		300, RESUNIT_INCH };
	write_tiff("whole.tif", &s, 1);
	struct buf b = read_bytes("whole.tif");
	cut_file("whole.tif", "half.tif", b.len / 2);
	free(b.data);
	expect_open_error(path_of("half.tif"), NULL, "corrupt or truncated TIFF");
}

/* The directory survives, the pixels it points to do not. */
static void test_tiff_truncated_pixels(void **state)
{
	(void)state;
	handmade_tiff("short-data.tif", 100, 100, 5000, 0);
	expect_open_error(path_of("short-data.tif"), NULL, "runs past the end of the file");
	handmade_tiff("full-data.tif", 100, 100, 10000, 0); /* the control */
	expect_single("full-data.tif", &(struct want){ "tiff", 1, 100, 100, 8, 300, 0, 8 });
}

static void test_tiff_truncated_multipage(void **state)
{
	(void)state;
	const struct tspec pages[] = {
		{ 200, 100, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 0, 300, RESUNIT_INCH },
		{ 200, 100, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 0, 300, RESUNIT_INCH },
	};
	write_tiff("two.tif", pages, 2);
	struct buf b = read_bytes("two.tif");
	/* Cut inside the second page's pixels: the first directory still says "next". */
	cut_file("two.tif", "two-cut.tif", 200 * 100 + 200 * 50);
	free(b.data);
	expect_open_error(path_of("two-cut.tif"), NULL, "corrupt or truncated TIFF");
}

static void test_tiff_huge_dimensions(void **state)
{
	(void)state;
	handmade_tiff("huge.tif", 100000, 100000, 1000, 0);
	expect_open_error(path_of("huge.tif"), NULL,
	    "image is 100000 x 100000 pixels (10000 Mpx), over the limit of 300 Mpx");
}

static void test_tiff_zero_width(void **state)
{
	(void)state;
	handmade_tiff("zero.tif", 0, 100, 100, 0);
	struct decoder *d = (struct decoder *)&d;
	struct err e = { 0 };
	assert_int_equal(decoder_open(path_of("zero.tif"), &limits, &d, &e), -1);
	assert_null(d);
	/* libtiff itself refuses a zero-sized image; the check of our own backs it up. */
	assert_true(strstr(e.msg, "zero width") != NULL ||
	    strstr(e.msg, "corrupt or truncated TIFF") != NULL);
}

static void test_tiff_directory_loop(void **state)
{
	(void)state;
	handmade_tiff("loop.tif", 10, 10, 100, 8); /* next directory: itself */
	expect_open_error(path_of("loop.tif"), NULL, "corrupt or truncated TIFF");
}

static void test_tiff_too_many_pages(void **state)
{
	(void)state;
	const struct tspec s = { 20, 20, 1, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, 0,
		300, RESUNIT_INCH };
	const struct tspec pages[] = { s, s, s };
	write_tiff("three-small.tif", pages, 3);
	struct decode_limits lim = limits;
	lim.max_pages = 2;
	expect_open_error(path_of("three-small.tif"), &lim, "more than 2 pages");
	lim.max_pages = 3;
	struct decoder *d = NULL;
	struct err e;
	assert_int_equal(decoder_open(path_of("three-small.tif"), &lim, &d, &e), 0);
	assert_int_equal(decoder_page_count(d), 3);
	decoder_close(d);
}

static void test_tiff_page_over_pixel_limit(void **state)
{
	(void)state;
	const struct tspec pages[] = {
		{ 100, 100, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0, 300, RESUNIT_INCH },
		{ 2000, 1000, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0, 300, RESUNIT_INCH },
	};
	write_tiff("second-big.tif", pages, 2);
	struct decode_limits lim = limits;
	lim.max_pixels = 1000000;
	expect_open_error(path_of("second-big.tif"), &lim,
	    "page 2 is 2000 x 1000 pixels (2.0 Mpx), over the limit of 1.0 Mpx");
}

static void test_png_huge_dimensions(void **state)
{
	(void)state;
	handmade_png("huge.png", 100000, 100000);
	expect_open_error(path_of("huge.png"), NULL,
	    "image is 100000 x 100000 pixels (10000 Mpx), over the limit of 300 Mpx");
}

/* Patch the frame header of a real JPEG to claim 60000 x 60000. */
static void test_jpeg_huge_dimensions(void **state)
{
	(void)state;
	PIX *pix = make_pix(32, 32, 8, 300);
	write_pix("small.jpg", pix, IFF_JFIF_JPEG);
	pixDestroy(&pix);
	struct buf b = read_bytes("small.jpg");
	uint8_t *p = (uint8_t *)b.data, *sof = NULL;
	for (size_t i = 2; i + 9 < b.len && sof == NULL; i++)
		if (p[i] == 0xff && p[i + 1] == 0xc0)
			sof = p + i;
	assert_non_null(sof);
	sof[5] = sof[7] = 0xea, sof[6] = sof[8] = 0x60; /* 0xea60 = 60000 */
	write_bytes("huge.jpg", b.data, b.len);
	free(b.data);
	expect_open_error(path_of("huge.jpg"), NULL, "60000 x 60000 pixels (3600 Mpx)");
}

static void test_png_truncated(void **state)
{
	(void)state;
	PIX *pix = make_pix(300, 300, 32, 300);
	write_pix("whole.png", pix, IFF_PNG);
	pixDestroy(&pix);
	struct buf b = read_bytes("whole.png");
	cut_file("whole.png", "half.png", b.len / 2);
	cut_file("whole.png", "no-iend.png", b.len - 12);
	free(b.data);
	expect_open_error(path_of("half.png"), NULL,
	    "corrupt or truncated PNG: the file ends before the image data does");
	expect_open_error(path_of("no-iend.png"), NULL, "corrupt or truncated PNG");
}

static void test_jpeg_truncated(void **state)
{
	(void)state;
	PIX *pix = make_pix(300, 300, 32, 300);
	write_pix("whole.jpg", pix, IFF_JFIF_JPEG);
	pixDestroy(&pix);
	struct buf b = read_bytes("whole.jpg");
	cut_file("whole.jpg", "half.jpg", b.len / 2);
	cut_file("whole.jpg", "no-eoi.jpg", b.len - 2);
	free(b.data);
	expect_open_error(path_of("half.jpg"), NULL,
	    "corrupt or truncated JPEG: the file ends before the image data does");
	expect_open_error(path_of("no-eoi.jpg"), NULL, "corrupt or truncated JPEG");
}

/* Complete, but with garbage in the middle of the compressed data. */
static void test_jpeg_damaged(void **state)
{
	(void)state;
	PIX *pix = make_pix(300, 300, 32, 300);
	write_pix("ok.jpg", pix, IFF_JFIF_JPEG);
	pixDestroy(&pix);
	struct buf b = read_bytes("ok.jpg");
	memset(b.data + b.len / 2, 0x00, 200);
	write_bytes("damaged.jpg", b.data, b.len);
	free(b.data);
	expect_page_error("damaged.jpg", "corrupt or truncated JPEG: the image data cannot");
}

static void test_pnm_truncated(void **state)
{
	(void)state;
	PIX *pix = make_pix(300, 300, 8, 0);
	write_pix("whole.pgm", pix, IFF_PNM);
	pixDestroy(&pix);
	struct buf b = read_bytes("whole.pgm");
	cut_file("whole.pgm", "half.pgm", b.len / 2);
	free(b.data);
	expect_page_error("half.pgm", "corrupt or truncated PNM");
}

/* Damage inside compressed data whose length is intact. */
static void test_tiff_corrupt_g4_data(void **state)
{
	(void)state;
	PIX *pix = make_pix(400, 300, 1, 300);
	write_pix("g4-ok.tif", pix, IFF_TIFF_G4);
	pixDestroy(&pix);
	struct buf b = read_bytes("g4-ok.tif");
	memset(b.data + 8, 0x00, 40); /* the strip starts at 8 and is the first thing */
	write_bytes("g4-bad.tif", b.data, b.len);
	free(b.data);
	expect_page_error("g4-bad.tif", "corrupt or truncated TIFF");
}

/* libjpeg calls this a warning; in a scan it is damage. */
static void test_tiff_damaged_jpeg_data(void **state)
{
	(void)state;
	PIX *pix = make_pix(400, 300, 8, 300);
	write_pix("jpeg-ok.tif", pix, IFF_TIFF_JPEG);
	pixDestroy(&pix);
	struct buf b = read_bytes("jpeg-ok.tif");
	memset(b.data + b.len / 3, 0x00, 300);
	write_bytes("jpeg-bad.tif", b.data, b.len);
	free(b.data);
	expect_page_error("jpeg-bad.tif", "corrupt or truncated TIFF: Corrupt JPEG data");
}

static void test_tiff_damaged_lzw_data(void **state)
{
	(void)state;
	const struct tspec s = { 300, 200, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0,
		300, RESUNIT_INCH };
	write_tiff("lzw-ok.tif", &s, 1);
	struct buf b = read_bytes("lzw-ok.tif");
	memset(b.data + 8 + 200, 0xff, 64); /* the strip comes first */
	write_bytes("lzw-bad.tif", b.data, b.len);
	free(b.data);
	expect_page_error("lzw-bad.tif", "corrupt or truncated TIFF");
}

static void test_page_image_clear_null(void **state)
{
	(void)state;
	page_image_clear(NULL);
	decoder_close(NULL);
	struct page_image img = { 0 };
	page_image_clear(&img);
}

int main(void)
{
	verbose = getenv("TEST_VERBOSE") != NULL;
	if (verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_missing_and_directory),
		cmocka_unit_test(test_text_named_tif),
		cmocka_unit_test(test_other_formats),
		cmocka_unit_test(test_file_too_big),
		cmocka_unit_test(test_tiff_truncated_half),
		cmocka_unit_test(test_tiff_truncated_pixels),
		cmocka_unit_test(test_tiff_truncated_multipage),
		cmocka_unit_test(test_tiff_huge_dimensions),
		cmocka_unit_test(test_tiff_zero_width),
		cmocka_unit_test(test_tiff_directory_loop),
		cmocka_unit_test(test_tiff_too_many_pages),
		cmocka_unit_test(test_tiff_page_over_pixel_limit),
		cmocka_unit_test(test_png_huge_dimensions),
		cmocka_unit_test(test_jpeg_huge_dimensions),
		cmocka_unit_test(test_png_truncated),
		cmocka_unit_test(test_jpeg_truncated),
		cmocka_unit_test(test_pnm_truncated),
		cmocka_unit_test(test_jpeg_damaged),
		cmocka_unit_test(test_tiff_corrupt_g4_data),
		cmocka_unit_test(test_tiff_damaged_jpeg_data),
		cmocka_unit_test(test_tiff_damaged_lzw_data),
		cmocka_unit_test(test_page_image_clear_null),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
