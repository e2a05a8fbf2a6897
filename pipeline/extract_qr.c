/*
 * extract_qr: the QR code of a one-stop document (TT 01/2023 Điều 26: top
 * left, with at least the dossier code), found by zbar. Only the top left of
 * the page is searched (its left half, top 40%), at 150 dpi at most: that is
 * where the code is, zbar's time grows with the pixels, and the samples'
 * codes still read (8-25 ms a page). It reads the display image: in OCR's,
 * the finder squares could pass for punch holes and be whitened.
 */
#include "pipeline/extract_int.h"

#include <leptonica/allheaders.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#define QR_DPI 150

static PIX *region_grey(const struct page_image *img)
{
	/* The display image: OCR's may have been cleaned of what looked like dust. */
	PIX *src = img->display ? img->display : img->pix, *grey = NULL, *small = NULL;
	BOX *corner = boxCreate(0, 0, pixGetWidth(src) / 2, pixGetHeight(src) * 2 / 5);
	PIX *clip = corner ? pixClipRectangle(src, corner, NULL) : NULL;
	boxDestroy(&corner);
	if (clip == NULL)
		return NULL;
	grey = pixConvertTo8(clip, 0);
	pixDestroy(&clip);
	if (grey == NULL || img->dpi <= QR_DPI)
		return grey;
	small = pixScaleAreaMap(grey, (float)QR_DPI / img->dpi, (float)QR_DPI / img->dpi);
	pixDestroy(&grey);
	return small;
}

/* Y800: one byte a pixel, rows packed; Leptonica packs bytes into words. */
static unsigned char *y800_of(PIX *grey)
{
	int w = pixGetWidth(grey), h = pixGetHeight(grey), wpl = pixGetWpl(grey);
	unsigned char *raw = xmalloc((size_t)w * (size_t)h);
	l_uint32 *data = pixGetData(grey);
	for (int y = 0; y < h; y++) {
		l_uint32 *line = data + (size_t)y * (size_t)wpl;
		for (int x = 0; x < w; x++)
			raw[(size_t)y * (size_t)w + (size_t)x] = (unsigned char)GET_DATA_BYTE(line, x);
	}
	return raw;
}

static char *first_qr(zbar_image_t *image)
{
	for (const zbar_symbol_t *s = zbar_image_first_symbol(image); s != NULL;
	    s = zbar_symbol_next(s))
		if (zbar_symbol_get_type(s) == ZBAR_QRCODE && zbar_symbol_get_data(s) != NULL)
			return xstrdup(zbar_symbol_get_data(s));
	return NULL;
}

int qr_scan_page(const struct page_image *img, char **payload, struct err *e)
{
	int rc = -1;
	zbar_image_scanner_t *scanner = NULL;
	zbar_image_t *image = NULL;
	PIX *grey = region_grey(img);
	*payload = NULL;
	if (grey == NULL) {
		err_set(e, "cannot prepare the page for the QR code search");
		goto out;
	}
	if ((scanner = zbar_image_scanner_create()) == NULL || (image = zbar_image_create()) == NULL)
		fatalx("out of memory starting zbar");
	zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(image, (unsigned)pixGetWidth(grey), (unsigned)pixGetHeight(grey));
	zbar_image_set_data(image, y800_of(grey),
	    (unsigned long)pixGetWidth(grey) * (unsigned long)pixGetHeight(grey),
	    zbar_image_free_data);
	if (zbar_scan_image(scanner, image) < 0) {
		err_set(e, "zbar could not scan the page");
		goto out;
	}
	*payload = first_qr(image);
	rc = 0;
out:
	if (image != NULL)
		zbar_image_destroy(image);
	if (scanner != NULL)
		zbar_image_scanner_destroy(scanner);
	pixDestroy(&grey);
	return rc;
}
