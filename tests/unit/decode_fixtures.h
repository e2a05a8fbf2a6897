/*
 * Shared by test_decode.c and test_decode_bad.c: a scratch directory, files
 * written with Leptonica or libtiff, and the checks of what the decoder gives.
 * Not a test program itself (the Makefile builds only test_*.c).
 */
#ifndef SOHOA_TESTS_DECODE_FIXTURES_H
#define SOHOA_TESTS_DECODE_FIXTURES_H

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

/* ---- expectations ---------------------------------------------------- */

struct want {
	const char *format;
	unsigned pages;
	int w, h, depth, dpi, dpi_from_file, source_depth;
};

static void expect_page(struct decoder *d, const struct want *w)
{
	struct page_image img;
	struct err e = { 0 };
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
	struct err e = { 0 };
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

#endif
