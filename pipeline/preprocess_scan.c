/*
 * preprocess_scan: the reduced, binarised copy of a page that every
 * measurement works on, the scanner borders and punch holes found on it,
 * and the page's ink once they and the specks are gone.
 */
#include "pipeline/preprocess_int.h"

#include <math.h>
#include <string.h>

/* After background normalisation paper is at 200; ink is well below. */
#define NORM_PAPER 200
#define INK_BELOW 140

static int mm(double v, int dpi)
{
	return (int)lround(v * dpi / 25.4);
}

/* Area mapping below 0.7; above, Leptonica's general scaling would also
 * sharpen, which costs more than the rest of the analysis. */
static PIX *scale_grey(PIX *grey, double scale)
{
	if (scale >= 1)
		return pixClone(grey);
	return scale < 0.7 ? pixScaleAreaMap(grey, (float)scale, (float)scale) :
	    pixScaleGrayLI(grey, (float)scale, (float)scale);
}

static PIX *reduced_grey(PIX *page, double scale)
{
	int depth = pixGetDepth(page);
	if (depth == 1)
		return scale < 1 ? pixScaleToGray(page, (float)scale) :
		    pixConvert1To8(NULL, page, 255, 0);
	if (depth == 8)
		return scale_grey(page, scale);
	/* Colour: the fewer pixels go through the luminance, the better. */
	PIX *small = scale < 0.7 ? pixScaleAreaMap(page, (float)scale, (float)scale) :
	    pixClone(page);
	PIX *grey = small != NULL ? pixConvertRGBToLuminance(small) : NULL;
	PIX *out = grey != NULL ? scale_grey(grey, scale < 0.7 ? 1 : scale) : NULL;
	pixDestroy(&small);
	pixDestroy(&grey);
	return out;
}

/* Tiles of 3 mm: shading and yellowed paper become white, a black scanner
 * border (no paper in its tiles) stays black. */
static PIX *binarise_reduced(PIX *grey, int dpi)
{
	int tile = mm(3, dpi) > 8 ? mm(3, dpi) : 8;
	PIX *norm = pixBackgroundNorm(grey, NULL, NULL, tile, tile, 100, tile * tile / 4,
	    NORM_PAPER, 2, 2);
	PIX *bin = norm != NULL ? pixThresholdToBinary(norm, INK_BELOW) : NULL;
	pixDestroy(&norm);
	return bin;
}

/* A scanner border touches the edge and is long; a letter cut by the edge is not. */
static PIX *find_borders(PIX *bin)
{
	int w = pixGetWidth(bin), h = pixGetHeight(bin);
	PIX *inner = pixRemoveBorderConnComps(bin, 8);
	PIX *touching = inner != NULL ? pixXor(NULL, bin, inner) : NULL;
	PIX *borders = touching != NULL ? pixSelectBySize(touching, w / 8, h / 8, 8,
	    L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL) : NULL;
	pixDestroy(&inner);
	pixDestroy(&touching);
	return borders;
}

/*
 * How many corners of the box are paper: a disc leaves all four (a half
 * disc at the edge two), a square such as a QR code's finder pattern none.
 */
static int empty_corners(PIX *piece)
{
	int w = pixGetWidth(piece), h = pixGetHeight(piece), n = 0;
	int cw = w / 5 > 1 ? w / 5 : 1, ch = h / 5 > 1 ? h / 5 : 1;
	for (int c = 0; c < 4; c++) {
		int count = 0;
		BOX *b = boxCreate(c & 1 ? w - cw : 0, c & 2 ? h - ch : 0, cw, ch);
		PIX *corner = b ? pixClipRectangle(piece, b, NULL) : NULL;
		if (corner != NULL && pixCountPixels(corner, &count, NULL) == 0 &&
		    count * 10 < cw * ch * 3)
			n++;
		pixDestroy(&corner);
		boxDestroy(&b);
	}
	return n;
}

/*
 * ISO 838 holes: 6 mm discs, centres 12 mm from the edge. A solid disc fills
 * 79% of its box; a hole the edge cut in half is twice as long as wide.
 */
static int hole_like(PIX *bin, BOX *box, int dpi)
{
	int x, y, w, h, W = pixGetWidth(bin), H = pixGetHeight(bin), count = 0;
	boxGetGeometry(box, &x, &y, &w, &h);
	int cut = x == 0 || y == 0 || x + w == W || y + h == H;
	int lo = mm(cut ? 2.5 : 4.5, dpi), hi = mm(9, dpi), near = mm(25, dpi);
	int lng = w > h ? w : h, shrt = w > h ? h : w;
	if (shrt < lo || lng > hi || lng > shrt * (cut ? 2.3 : 1.3))
		return 0;
	if (x > near && y > near && W - x - w > near && H - y - h > near)
		return 0;
	PIX *piece = pixClipRectangle(bin, box, NULL);
	pixCountPixels(piece, &count, NULL);
	int open_corners = piece != NULL ? empty_corners(piece) : 0;
	pixDestroy(&piece);
	double fill = (double)count / ((double)w * h);
	return fill >= 0.6 && fill <= 0.92 && open_corners >= 2;
}

/* Boxes of the holes are painted into mask and cleared from bin. */
static void remove_holes(PIX *bin, PIX *mask, int dpi)
{
	BOXA *boxes = pixConnCompBB(bin, 8);
	int n = boxes != NULL ? boxaGetCount(boxes) : 0;
	for (int i = 0; i < n; i++) {
		BOX *box = boxaGetBox(boxes, i, L_CLONE);
		if (hole_like(bin, box, dpi)) {
			int x, y, w, h;
			boxGetGeometry(box, &x, &y, &w, &h);
			pixRasterop(mask, x, y, w, h, PIX_SET, NULL, 0, 0);
			pixRasterop(bin, x, y, w, h, PIX_CLR, NULL, 0, 0);
		}
		boxDestroy(&box);
	}
	boxaDestroy(&boxes);
}

/* Specks are at most 0.5 mm in both directions; a full stop is about that. */
static PIX *drop_specks(PIX *bin, int dpi)
{
	int k = mm(0.5, dpi);
	return pixSelectBySize(bin, k, k, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GT, NULL);
}

static int clean(struct scan *s, PIX *bin, struct err *e)
{
	int empty = 1, count = 0;
	PIX *mask = find_borders(bin);
	if (mask == NULL) {
		err_set(e, "cannot find the scanner borders");
		return -1;
	}
	pixSubtract(bin, bin, mask);
	remove_holes(bin, mask, s->dpi);
	if ((s->bin = drop_specks(bin, s->dpi)) == NULL) {
		pixDestroy(&mask);
		err_set(e, "cannot measure the ink on the page");
		return -1;
	}
	pixCountPixels(s->bin, &count, NULL);
	s->ink = (double)count / ((double)pixGetWidth(bin) * pixGetHeight(bin));
	pixZero(mask, &empty);
	if (empty)
		pixDestroy(&mask);
	s->mask = mask;
	return 0;
}

int scan_page(PIX *page, int dpi, struct scan *s, struct err *e)
{
	int rc = -1;
	PIX *grey = NULL, *bin = NULL;
	memset(s, 0, sizeof(*s));
	s->scale = dpi > SCAN_DPI ? (double)SCAN_DPI / dpi : 1.0;
	s->dpi = (int)lround(dpi * s->scale);
	if ((grey = reduced_grey(page, s->scale)) == NULL ||
	    (bin = binarise_reduced(grey, s->dpi)) == NULL) {
		err_set(e, "cannot reduce the page for analysis");
		goto out;
	}
	if (clean(s, bin, e) < 0)
		goto out;
	rc = 0;
out:
	pixDestroy(&grey);
	pixDestroy(&bin);
	if (rc < 0)
		scan_clear(s);
	return rc;
}

void scan_clear(struct scan *s)
{
	pixDestroy(&s->bin);
	pixDestroy(&s->mask);
}
