/*
 * decode: file -> page images. The whole file is read into memory once, so
 * what is checked at open is what is decoded later. Every page's size is
 * known and checked against the limits before any pixel is allocated.
 * PDF files go to decode_pdf.c.
 */
#include "pipeline/decode_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <tiffio.h>

enum kind { KIND_TIFF, KIND_PNG, KIND_JPEG, KIND_PNM, KIND_PDF };

static const char *const kind_names[] = { "tiff", "png", "jpeg", "pnm", "pdf" };
static const char *const kind_labels[] = { "TIFF", "PNG", "JPEG", "PNM", "PDF" };

struct page_info {
	uint32_t w, h;
	uint64_t ifd;     /* TIFF directory offset */
	int dpi;          /* 0 when the file has none that is plausible */
	int source_depth;
};

struct decoder {
	struct buf file;
	enum kind kind;
	TIFF *tif;
	uint64_t pos;     /* read position of the libtiff memory stream */
	struct page_info *pages;
	unsigned npages, next;
	struct pdf_doc *pdf;
};

/* ---- library diagnostics --------------------------------------------- */

/*
 * libtiff and Leptonica print to stderr unless told otherwise. Their
 * messages go to the debug log; the last libtiff error is kept for the
 * reason shown to the clerk. Per thread, so concurrent decoders do not mix
 * their messages.
 */
static _Thread_local char tiff_last[256];
static _Thread_local unsigned tiff_nerrors, tiff_nlogged;

/* A damaged G4 strip gives a message a line: the log needs only the first. */
#define TIFF_LOG_MAX 20

static void diag_reset(void)
{
	tiff_last[0] = '\0';
	tiff_nerrors = tiff_nlogged = 0;
}

static void tiff_log(const char *kind, const char *module, const char *msg)
{
	if (tiff_nlogged++ < TIFF_LOG_MAX)
		log_debug("libtiff %s: %s: %s", kind, module ? module : "-", msg);
	else if (tiff_nlogged == TIFF_LOG_MAX + 1)
		log_debug("libtiff: further messages not logged");
}

static void tiff_on_error(thandle_t h, const char *module, const char *fmt, va_list ap)
{
	(void)h;
	vsnprintf(tiff_last, sizeof(tiff_last), fmt, ap);
	tiff_nerrors++;
	tiff_log("error", module, tiff_last);
}

/*
 * The fax and JPEG codecs report damaged data as warnings and carry on with
 * a partly blank page; for a scan that is an error.
 */
static void tiff_on_warning(thandle_t h, const char *module, const char *fmt, va_list ap)
{
	char msg[256];
	(void)h;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	tiff_log("warning", module, msg);
	if (module != NULL && (strncmp(module, "Fax", 3) == 0 || strcmp(module, "JPEGLib") == 0)) {
		memcpy(tiff_last, msg, sizeof(tiff_last));
		tiff_nerrors++;
	}
}

static void lept_on_message(const char *msg)
{
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	log_debug("leptonica: %.*s", (int)n, msg);
}

/*
 * The *Ext handlers, because Leptonica resets the plain ones to NULL every
 * time it opens a TIFF in memory. Idempotent, so it runs on every open.
 */
static void install_handlers(void)
{
	TIFFSetErrorHandler(NULL);
	TIFFSetWarningHandler(NULL);
	TIFFSetErrorHandlerExt(tiff_on_error);
	TIFFSetWarningHandlerExt(tiff_on_warning);
	leptSetStderrHandler(lept_on_message);
}

static int tiff_fail(struct err *e, const char *fallback)
{
	err_set(e, "corrupt or truncated TIFF: %s", tiff_last[0] ? tiff_last : fallback);
	return -1;
}

/* ---- libtiff on the in-memory file ----------------------------------- */

static tmsize_t mem_read(thandle_t h, void *p, tmsize_t n)
{
	struct decoder *d = h;
	if (n < 0 || d->pos >= d->file.len)
		return 0;
	uint64_t left = d->file.len - d->pos;
	size_t k = (uint64_t)n < left ? (size_t)n : (size_t)left;
	memcpy(p, d->file.data + d->pos, k);
	d->pos += k;
	return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *p, tmsize_t n)
{
	(void)h, (void)p, (void)n;
	return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
	struct decoder *d = h;
	uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? d->pos : d->file.len;
	uint64_t to = base + off; /* wraps for negative SEEK_CUR/SEEK_END */
	if (to > (uint64_t)INT64_MAX)
		return (toff_t)-1;
	d->pos = to;
	return to;
}

static int mem_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t mem_size(thandle_t h)
{
	return ((struct decoder *)h)->file.len;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
	struct decoder *d = h;
	*base = d->file.data;
	*size = d->file.len;
	return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h, (void)base, (void)size;
}

/* ---- format and limits ----------------------------------------------- */

static int starts(const struct buf *f, const char *magic, size_t n)
{
	return f->len >= n && memcmp(f->data, magic, n) == 0;
}

static int is_pnm(const struct buf *f)
{
	return f->len >= 3 && f->data[0] == 'P' && f->data[1] >= '1' && f->data[1] <= '7' &&
	    isspace((unsigned char)f->data[2]);
}

/* Readers accept up to 1 KB of anything before the header. */
static int is_pdf(const struct buf *f)
{
	return memmem(f->data, f->len < 1024 ? f->len : 1024, "%PDF-", 5) != NULL;
}

static int unsupported(const struct buf *f, struct err *e)
{
	if (starts(f, "GIF87a", 6) || starts(f, "GIF89a", 6))
		err_set(e, "GIF images are not supported");
	else if (starts(f, "RIFF", 4) && f->len >= 12 && memcmp(f->data + 8, "WEBP", 4) == 0)
		err_set(e, "WebP images are not supported");
	else if (starts(f, "\0\0\0\x0cjP  ", 8) || starts(f, "\xff\x4f\xff\x51", 4))
		err_set(e, "JPEG 2000 images are not supported");
	else
		err_set(e, "not a supported image (unrecognised format)");
	return -1;
}

static int sniff(struct decoder *d, struct err *e)
{
	const struct buf *f = &d->file;
	if (starts(f, "II*\0", 4) || starts(f, "MM\0*", 4) ||
	    starts(f, "II+\0", 4) || starts(f, "MM\0+", 4))
		d->kind = KIND_TIFF;
	else if (starts(f, "\x89PNG\r\n\x1a\n", 8))
		d->kind = KIND_PNG;
	else if (starts(f, "\xff\xd8\xff", 3))
		d->kind = KIND_JPEG;
	else if (is_pnm(f))
		d->kind = KIND_PNM;
	else if (is_pdf(f))
		d->kind = KIND_PDF;
	else
		return unsupported(f, e);
	return 0;
}

void decode_format_mpx(char *out, size_t n, uint64_t px)
{
	if (px >= 10000000)
		snprintf(out, n, "%llu Mpx", (unsigned long long)((px + 500000) / 1000000));
	else
		snprintf(out, n, "%.1f Mpx", (double)px / 1e6);
}

static int check_size(uint32_t w, uint32_t h, unsigned index,
    const struct decode_limits *lim, struct err *e)
{
	char what[32], have[32], limit[32];
	if (index == 0)
		snprintf(what, sizeof(what), "image");
	else
		snprintf(what, sizeof(what), "page %u", index + 1);
	if (w == 0 || h == 0) {
		err_set(e, "%s has zero width or height", what);
		return -1;
	}
	uint64_t px = (uint64_t)w * h;
	if (px > lim->max_pixels) {
		decode_format_mpx(have, sizeof(have), px);
		decode_format_mpx(limit, sizeof(limit), lim->max_pixels);
		err_set(e, "%s is %u x %u pixels (%s), over the limit of %s", what, w, h, have,
		    limit);
		return -1;
	}
	return 0;
}

int decode_too_many_pages(const struct decode_limits *lim, struct err *e)
{
	err_set(e, "file has more than %u pages, over the limit of %u", lim->max_pages,
	    lim->max_pages);
	return -1;
}

/* Resolutions outside 70..1200 dpi are missing or wrong more often than not. */
int decode_plausible_dpi(double res)
{
	return res >= 70 && res <= 1200 ? (int)(res + 0.5) : 0;
}

static struct page_info *add_page(struct decoder *d)
{
	d->pages = xrealloc(d->pages, (d->npages + 1) * sizeof(*d->pages));
	struct page_info *pg = &d->pages[d->npages++];
	memset(pg, 0, sizeof(*pg));
	return pg;
}

/* ---- TIFF: walk every directory at open ------------------------------ */

static int tiff_resolution(TIFF *tif)
{
	float xres = 0;
	uint16_t unit = RESUNIT_INCH;
	if (!TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres))
		return 0;
	TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER)
		return decode_plausible_dpi(xres * 2.54);
	return unit == RESUNIT_INCH ? decode_plausible_dpi(xres) : 0;
}

/* libtiff would fail on these later anyway; failing now costs no pixels. */
static int tiff_check_strips(struct decoder *d, unsigned index, struct err *e)
{
	uint32_t n = TIFFNumberOfStrips(d->tif);
	for (uint32_t i = 0; i < n; i++) {
		int bad = 0;
		uint64_t off = TIFFGetStrileOffsetWithErr(d->tif, i, &bad);
		uint64_t len = bad ? 0 : TIFFGetStrileByteCountWithErr(d->tif, i, &bad);
		if (bad || off > d->file.len || len > d->file.len - off) {
			err_set(e, "corrupt or truncated TIFF: the data of page %u runs past the "
			    "end of the file", index + 1);
			return -1;
		}
	}
	return 0;
}

static int tiff_page(struct decoder *d, const struct decode_limits *lim, struct err *e)
{
	uint32_t w = 0, h = 0;
	uint16_t bps = 1, spp = 1;
	unsigned index = d->npages;
	TIFFGetField(d->tif, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(d->tif, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetFieldDefaulted(d->tif, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(d->tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	if (check_size(w, h, index, lim, e) < 0 || tiff_check_strips(d, index, e) < 0)
		return -1;
	struct page_info *pg = add_page(d);
	pg->w = w;
	pg->h = h;
	pg->ifd = TIFFCurrentDirOffset(d->tif);
	pg->dpi = tiff_resolution(d->tif);
	pg->source_depth = bps * spp;
	return 0;
}

/*
 * Any libtiff error counts, even when the call reports success: libtiff
 * keeps going on damaged data and fills in what it could not read.
 */
static int tiff_scan(struct decoder *d, const struct decode_limits *lim, struct err *e)
{
	diag_reset();
	d->tif = TIFFClientOpen("TIFF", "r", (thandle_t)d, mem_read, mem_write, mem_seek,
	    mem_close, mem_size, mem_map, mem_unmap);
	if (d->tif == NULL || tiff_nerrors > 0)
		return tiff_fail(e, "cannot read the first directory");
	for (;;) {
		if (d->npages >= lim->max_pages)
			return decode_too_many_pages(lim, e);
		if (tiff_page(d, lim, e) < 0)
			return -1;
		if (TIFFLastDirectory(d->tif))
			return 0;
		/* libtiff refuses a directory chain that loops back. */
		if (!TIFFReadDirectory(d->tif) || tiff_nerrors > 0)
			return tiff_fail(e, "the chain of page directories is broken or loops");
	}
}

/* ---- PNG, JPEG, PNM: read the header at open ------------------------- */

static uint32_t be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Every chunk whole, up to IEND. */
static int png_complete(const struct buf *f)
{
	for (size_t pos = 8; f->len - pos >= 12;) {
		uint32_t n = be32(f->data + pos);
		if (n > f->len - pos - 12)
			return 0;
		if (memcmp(f->data + pos + 4, "IEND", 4) == 0)
			return 1;
		pos += 12 + (size_t)n;
	}
	return 0;
}

/*
 * An EOI after the last SOS. Inside entropy-coded data 0xff is followed
 * only by 0x00 or a restart marker, so neither marker can occur by chance.
 */
static int jpeg_complete(const struct buf *f)
{
	const unsigned char *p = (const unsigned char *)f->data;
	size_t sos = 0;
	for (size_t i = 2; i + 1 < f->len; i++)
		if (p[i] == 0xff && p[i + 1] == 0xda)
			sos = i;
	for (size_t i = sos + 2; sos > 0 && i + 1 < f->len; i++)
		if (p[i] == 0xff && p[i + 1] == 0xd9)
			return 1;
	return 0;
}

/*
 * A cut PNG or JPEG makes libpng or libjpeg write to stderr, which no
 * handler can catch through Leptonica: such files stop here.
 */
static int check_complete(const struct decoder *d, struct err *e)
{
	if (d->kind == KIND_PNG ? png_complete(&d->file) :
	    d->kind == KIND_JPEG ? jpeg_complete(&d->file) : 1)
		return 0;
	err_set(e, "corrupt or truncated %s: the file ends before the image data does",
	    kind_labels[d->kind]);
	return -1;
}

static int header_scan(struct decoder *d, const struct decode_limits *lim, struct err *e)
{
	l_int32 format, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
	const char *label = kind_labels[d->kind];
	/* Leptonica looks at the first 12 bytes without checking the length. */
	if (d->file.len < 12) {
		err_set(e, "corrupt or truncated %s: the file is only %zu bytes", label,
		    d->file.len);
		return -1;
	}
	if (pixReadHeaderMem((const l_uint8 *)d->file.data, d->file.len, &format, &w, &h,
	    &bps, &spp, &cmap) != 0 || w < 0 || h < 0) {
		err_set(e, "corrupt or truncated %s: cannot read the header", label);
		return -1;
	}
	if (lim->max_pages < 1)
		return decode_too_many_pages(lim, e);
	if (check_size((uint32_t)w, (uint32_t)h, 0, lim, e) < 0 || check_complete(d, e) < 0)
		return -1;
	struct page_info *pg = add_page(d);
	pg->w = (uint32_t)w;
	pg->h = (uint32_t)h;
	pg->source_depth = bps * spp;
	return 0;
}

/* ---- decoding -------------------------------------------------------- */

/* Reads a page Leptonica cannot (tiled, old-style JPEG, ...) through libtiff's RGBA interface. */
static PIX *tiff_read_rgba(struct decoder *d, const struct page_info *pg, unsigned index,
    struct err *e)
{
	char emsg[1024] = "";
	uint16_t spp = 1;
	PIX *pix = NULL, *out = NULL;
	diag_reset();
	if (!TIFFSetSubDirectory(d->tif, pg->ifd) || tiff_nerrors > 0) {
		tiff_fail(e, "cannot read the page's directory");
		goto out;
	}
	if (!TIFFRGBAImageOK(d->tif, emsg)) {
		err_set(e, "cannot decode TIFF page %u: %s", index + 1, emsg);
		goto out;
	}
	if ((pix = pixCreate((l_int32)pg->w, (l_int32)pg->h, 32)) == NULL) {
		err_set(e, "cannot allocate a %u x %u page", pg->w, pg->h);
		goto out;
	}
	l_uint32 *px = pixGetData(pix);
	if (!TIFFReadRGBAImageOriented(d->tif, pg->w, pg->h, px, ORIENTATION_TOPLEFT, 1) ||
	    tiff_nerrors > 0) {
		tiff_fail(e, "cannot read the image data");
		goto out;
	}
	/* libtiff packs ABGR; Leptonica wants RGBx in the same 32-bit word. */
	for (size_t i = 0, n = (size_t)pg->w * pg->h; i < n; i++)
		px[i] = (l_uint32)TIFFGetR(px[i]) << 24 | (l_uint32)TIFFGetG(px[i]) << 16 |
		    (l_uint32)TIFFGetB(px[i]) << 8;
	TIFFGetFieldDefaulted(d->tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	out = spp == 1 ? pixConvertRGBToLuminance(pix) : pixClone(pix);
	if (out == NULL)
		err_set(e, "cannot convert TIFF page %u", index + 1);
out:
	pixDestroy(&pix);
	return out;
}

static PIX *tiff_read(struct decoder *d, const struct page_info *pg, unsigned index,
    struct err *e)
{
	size_t offset = pg->ifd;
	diag_reset();
	PIX *pix = pixReadMemFromMultipageTiff((const l_uint8 *)d->file.data, d->file.len,
	    &offset);
	if (tiff_nerrors > 0) {
		pixDestroy(&pix);
		tiff_fail(e, "cannot read the image data");
		return NULL;
	}
	if (pix == NULL) {
		log_debug("leptonica cannot read TIFF page %u; trying libtiff RGBA", index + 1);
		pix = tiff_read_rgba(d, pg, index, e);
	}
	return pix;
}

static PIX *other_read(struct decoder *d, struct err *e)
{
	const l_uint8 *data = (const l_uint8 *)d->file.data;
	l_int32 nwarn = 0;
	PIX *pix = NULL;
	if (d->kind == KIND_PNG)
		pix = pixReadMemPng(data, d->file.len);
	else if (d->kind == KIND_JPEG)
		pix = pixReadMemJpeg(data, d->file.len, 0, 1, &nwarn, 0);
	else
		pix = pixReadMemPnm(data, d->file.len);
	if (pix == NULL)
		err_set(e, "corrupt or truncated %s: the image data cannot be decoded",
		    kind_labels[d->kind]);
	return pix;
}

/* One conversion step towards 1, 8 or 32 bpp without colormap or alpha. */
static PIX *convert_step(PIX *pix, int *done)
{
	int depth = pixGetDepth(pix);
	*done = 0;
	if (pixGetColormap(pix) != NULL)
		return pixRemoveColormap(pix,
		    depth == 1 ? REMOVE_CMAP_TO_BINARY : REMOVE_CMAP_BASED_ON_SRC);
	if (depth == 2 || depth == 4)
		return pixConvertTo8(pix, 0);
	if (depth == 16)
		return pixConvert16To8(pix, L_MS_BYTE);
	if (depth == 24)
		return pixConvert24To32(pix);
	if (depth == 32 && pixGetSpp(pix) == 4) {
		/* Scans with transparency: what is see-through is paper. */
		PIX *out = pixAlphaBlendUniform(pix, 0xffffff00);
		if (out != NULL)
			pixSetSpp(out, 3);
		return out;
	}
	*done = depth == 1 || depth == 8 || depth == 32;
	return NULL;
}

static int normalize(PIX **pp, struct err *e)
{
	for (int step = 0; step < 4; step++) {
		int done, depth = pixGetDepth(*pp);
		PIX *next = convert_step(*pp, &done);
		if (done)
			return 0;
		if (next == NULL) {
			err_set(e, "cannot convert a %d-bit image for OCR", depth);
			return -1;
		}
		pixDestroy(pp);
		*pp = next;
	}
	err_set(e, "cannot convert a %d-bit image for OCR", pixGetDepth(*pp));
	return -1;
}

static int fill_page(const struct decoder *d, PIX **pp, const struct page_info *pg,
    struct page_image *out, struct err *e)
{
	PIX *pix = *pp;
	l_int32 w = pixGetWidth(pix), h = pixGetHeight(pix);
	/* A rotated TIFF orientation swaps the sides; anything else is a lie. */
	if (!((uint32_t)w == pg->w && (uint32_t)h == pg->h) &&
	    !((uint32_t)w == pg->h && (uint32_t)h == pg->w)) {
		err_set(e, "corrupt image: decoded as %d x %d pixels, the header says %u x %u",
		    w, h, pg->w, pg->h);
		return -1;
	}
	/* For TIFF, the resolution read at open, with its unit. */
	int dpi = d->kind == KIND_TIFF ? pg->dpi : decode_plausible_dpi(pixGetXRes(pix));
	if (normalize(pp, e) < 0)
		return -1;
	out->pix = *pp;
	*pp = NULL;
	out->width = w;
	out->height = h;
	out->dpi_from_file = dpi != 0;
	out->dpi = dpi ? dpi : 300;
	out->source_depth = pg->source_depth;
	pixSetResolution(out->pix, out->dpi, out->dpi);
	return 0;
}

/* ---- interface ------------------------------------------------------- */

static int scan(struct decoder *d, const struct decode_limits *lim, struct err *e)
{
	if (d->kind == KIND_TIFF)
		return tiff_scan(d, lim, e);
	if (d->kind != KIND_PDF)
		return header_scan(d, lim, e);
	if (pdf_open(&d->file, lim, &d->pdf, e) < 0)
		return -1;
	d->npages = pdf_page_count(d->pdf);
	return 0;
}

void page_image_clear(struct page_image *img)
{
	if (img == NULL)
		return;
	pixDestroy(&img->pix);
	pixDestroy(&img->display);
	free(img->text_layer);
	memset(img, 0, sizeof(*img));
}

int decoder_open(const char *path, const struct decode_limits *lim,
    struct decoder **out, struct err *e)
{
	int rc = -1;
	struct decoder *d = xcalloc(1, sizeof(*d));
	size_t max = lim->max_file_bytes > SIZE_MAX ? SIZE_MAX : (size_t)lim->max_file_bytes;
	*out = NULL;
	install_handlers();
	if (file_read_all(path, max, &d->file, e) < 0)
		goto out;
	if (d->file.len == 0) {
		err_set(e, "empty file (0 bytes)");
		goto out;
	}
	if (sniff(d, e) < 0)
		goto out;
	if (scan(d, lim, e) < 0)
		goto out;
	*out = d;
	d = NULL;
	rc = 0;
out:
	decoder_close(d);
	return rc;
}

void decoder_sha256(const struct decoder *d, char out[65])
{
	sha256_hex(d->file.data, d->file.len, out);
}

unsigned decoder_page_count(const struct decoder *d)
{
	return d->npages;
}

const char *decoder_format(const struct decoder *d)
{
	return kind_names[d->kind];
}

int decoder_next_page(struct decoder *d, struct page_image *out, struct err *e)
{
	int rc = -1;
	PIX *pix = NULL;
	memset(out, 0, sizeof(*out));
	if (d->next >= d->npages) {
		err_set(e, "no more pages (the file has %u)", d->npages);
		return -1;
	}
	/* A page that fails is skipped, so a retry does not fail the same way. */
	unsigned index = d->next++;
	install_handlers();
	if (d->kind == KIND_PDF)
		return pdf_page_render(d->pdf, index, out, e);
	const struct page_info *pg = &d->pages[index];
	pix = d->kind == KIND_TIFF ? tiff_read(d, pg, index, e) : other_read(d, e);
	if (pix == NULL || fill_page(d, &pix, pg, out, e) < 0)
		goto out;
	rc = 0;
out:
	pixDestroy(&pix);
	return rc;
}

void decoder_close(struct decoder *d)
{
	if (d == NULL)
		return;
	if (d->tif != NULL)
		TIFFClose(d->tif);
	pdf_close(d->pdf);
	free(d->pages);
	free(d->file.data);
	free(d);
}
