/* decode: every supported format, the limits, and damaged or hostile input. */
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
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <tiffio.h>

#include "pipeline/pipeline.h"

static char dir[64];
static int verbose; /* TEST_VERBOSE=1: show the reasons and the debug log */

static const struct decode_limits limits = {
	.max_pixels = 300000000,
	.max_pages = 100,
	.max_file_bytes = 100u << 20,
};

/* ---- files ----------------------------------------------------------- */

static const char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void write_bytes(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path_of(name), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static struct buf read_bytes(const char *name)
{
	struct buf b = { 0 };
	struct err e;
	assert_int_equal(file_read_all(path_of(name), 1u << 30, &b, &e), 0);
	return b;
}

/* Writes the first `keep` bytes of `from` to `to`. */
static void cut_file(const char *from, const char *to, size_t keep)
{
	struct buf b = read_bytes(from);
	assert_true(keep <= b.len);
	write_bytes(to, b.data, keep);
	free(b.data);
}

static void write_pix(const char *name, PIX *pix, int format)
{
	l_uint8 *data = NULL;
	size_t size = 0;
	if (format == IFF_JFIF_JPEG)
		assert_int_equal(pixWriteMemJpeg(&data, &size, pix, 90, 0), 0);
	else if (L_FORMAT_IS_TIFF(format))
		assert_int_equal(pixWriteMemTiff(&data, &size, pix, format), 0);
	else
		assert_int_equal(pixWriteMem(&data, &size, pix, format), 0);
	write_bytes(name, data, size);
	lept_free(data);
}

/* ---- pixels ---------------------------------------------------------- */

/* Grey ramp across; for 1 bpp, the top-left quarter is black. */
static PIX *make_pix(int w, int h, int depth, int dpi)
{
	PIX *pix = pixCreate(w, h, depth);
	assert_non_null(pix);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			l_uint32 v;
			if (depth == 1)
				v = x < w / 2 && y < h / 2;
			else if (depth == 32)
				v = (l_uint32)(x % 256) << 24 | (l_uint32)(y % 256) << 16 | 128u << 8;
			else
				v = (l_uint32)(x % (1 << depth));
			pixSetPixel(pix, x, y, v);
		}
	}
	pixSetResolution(pix, dpi, dpi);
	return pix;
}

/* ---- TIFF written with libtiff, for the layouts Leptonica does not write */

struct tspec {
	uint32_t w, h;
	uint16_t bps, spp, photometric, compression;
	uint32_t tile;    /* 0: one strip */
	float xres;       /* 0: no resolution tags */
	uint16_t resunit;
};

static uint32_t sample(const struct tspec *s, uint32_t x, uint32_t y, uint16_t c)
{
	if (s->bps == 1)
		return x < s->w / 2 && y < s->h / 2; /* min-is-white: 1 is black */
	if (s->photometric == PHOTOMETRIC_PALETTE)
		return x < s->w / 2;
	uint32_t v = c == 0 ? x % 256 : c == 1 ? y % 256 : 128;
	return s->bps == 16 ? v << 8 | 0x7f : v;
}

/* The whole image as libtiff wants it in memory: packed rows. */
static uint8_t *raster(const struct tspec *s, size_t *row_bytes)
{
	size_t rb = ((size_t)s->w * s->bps * s->spp + 7) / 8;
	uint8_t *p = xcalloc(rb, s->h);
	for (uint32_t y = 0; y < s->h; y++) {
		uint8_t *row = p + y * rb;
		for (uint32_t x = 0; x < s->w; x++) {
			for (uint16_t c = 0; c < s->spp; c++) {
				uint32_t v = sample(s, x, y, c);
				size_t i = (size_t)x * s->spp + c;
				if (s->bps == 1)
					row[i / 8] |= (uint8_t)(v << (7 - i % 8));
				else if (s->bps == 8)
					row[i] = (uint8_t)v;
				else
					((uint16_t *)row)[i] = (uint16_t)v;
			}
		}
	}
	*row_bytes = rb;
	return p;
}

static void tiff_tags(TIFF *t, const struct tspec *s)
{
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, s->w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, s->h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(t, TIFFTAG_COMPRESSION, s->compression);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric);
	if (s->compression == COMPRESSION_JPEG) {
		TIFFSetField(t, TIFFTAG_JPEGQUALITY, 90);
		if (s->photometric == PHOTOMETRIC_YCBCR)
			TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
	}
	if (s->photometric == PHOTOMETRIC_PALETTE) {
		static uint16_t r[256], g[256], b[256];
		for (int i = 0; i < 256; i++)
			r[i] = g[i] = b[i] = 0xffff; /* white */
		g[1] = b[1] = 0; /* index 1: red */
		TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b);
	}
	if (s->xres > 0) {
		TIFFSetField(t, TIFFTAG_XRESOLUTION, s->xres);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, s->xres);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, s->resunit);
	}
	if (s->tile) {
		TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
		TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
	} else {
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, s->h);
	}
}

static void tiff_tiles(TIFF *t, const struct tspec *s, const uint8_t *img, size_t rb)
{
	size_t px = (size_t)s->bps * s->spp / 8, trb = s->tile * px;
	uint8_t *tile = xmalloc((size_t)TIFFTileSize(t));
	for (uint32_t ty = 0; ty < s->h; ty += s->tile) {
		for (uint32_t tx = 0; tx < s->w; tx += s->tile) {
			memset(tile, 0, (size_t)TIFFTileSize(t));
			for (uint32_t y = ty; y < ty + s->tile && y < s->h; y++) {
				size_t n = (tx + s->tile <= s->w ? s->tile : s->w - tx) * px;
				memcpy(tile + (y - ty) * trb, img + y * rb + tx * px, n);
			}
			assert_true(TIFFWriteEncodedTile(t, TIFFComputeTile(t, tx, ty, 0, 0),
			    tile, TIFFTileSize(t)) >= 0);
		}
	}
	free(tile);
}

/* mode "w", or "w8" for BigTIFF */
static void write_tiff_as(const char *name, const char *mode, const struct tspec *pages,
    int npages)
{
	TIFF *t = TIFFOpen(path_of(name), mode);
	assert_non_null(t);
	for (int i = 0; i < npages; i++) {
		const struct tspec *s = &pages[i];
		size_t rb;
		uint8_t *img = raster(s, &rb);
		tiff_tags(t, s);
		if (s->tile)
			tiff_tiles(t, s, img, rb);
		else
			assert_true(TIFFWriteEncodedStrip(t, 0, img, (tmsize_t)(rb * s->h)) >= 0);
		assert_int_equal(TIFFWriteDirectory(t), 1);
		free(img);
	}
	TIFFClose(t);
}

static void write_tiff(const char *name, const struct tspec *pages, int npages)
{
	write_tiff_as(name, "w", pages, npages);
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

struct want {
	const char *format;
	unsigned pages;
	int w, h, depth, dpi, dpi_from_file, source_depth;
};

static void expect_page(struct decoder *d, const struct want *w)
{
	struct page_image img;
	struct err e = { "" };
	int rc = decoder_next_page(d, &img, &e);
	if (rc != 0)
		fail_msg("next_page: %s", e.msg);
	assert_non_null(img.pix);
	assert_int_equal(img.width, w->w);
	assert_int_equal(img.height, w->h);
	assert_int_equal(pixGetWidth(img.pix), w->w);
	assert_int_equal(pixGetHeight(img.pix), w->h);
	assert_int_equal(pixGetDepth(img.pix), w->depth);
	assert_null(pixGetColormap(img.pix));
	assert_int_equal(img.dpi, w->dpi);
	assert_int_equal(img.dpi_from_file, w->dpi_from_file);
	assert_int_equal(img.source_depth, w->source_depth);
	page_image_clear(&img);
	assert_null(img.pix);
}

static struct decoder *open_ok(const char *name, const struct want *w)
{
	struct decoder *d = NULL;
	struct err e = { "" };
	if (decoder_open(path_of(name), &limits, &d, &e) != 0)
		fail_msg("%s: %s", name, e.msg);
	assert_string_equal(decoder_format(d), w->format);
	assert_int_equal(decoder_page_count(d), w->pages);
	return d;
}

/* Opens, checks the single page, and checks there is no second one. */
static void expect_single(const char *name, const struct want *w)
{
	struct decoder *d = open_ok(name, w);
	struct page_image img;
	struct err e;
	expect_page(d, w);
	assert_int_equal(decoder_next_page(d, &img, &e), -1);
	assert_null(img.pix);
	assert_non_null(strstr(e.msg, "no more pages"));
	decoder_close(d);
}

static void expect_open_error(const char *path, const struct decode_limits *lim,
    const char *words)
{
	struct decoder *d = (struct decoder *)&d;
	struct err e = { "" };
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
	struct err e = { "" };
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
	expect_open_error(path_of("scan.pdf"), NULL, "PDF input is not supported yet");
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
	struct err e = { "" };
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

/* ---- fixture --------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_decode.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
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
