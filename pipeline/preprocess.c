/*
 * preprocess: a decoded page as OCR should see it, and as the PDF should
 * show it. Everything is measured on a copy reduced to 150 dpi
 * (preprocess_scan.c, preprocess_osd.c); only the final turn, straightening
 * and binarisation touch the full page.
 *
 * Skew is counter-clockwise positive, as in samples/truth.jsonl: a page
 * scanned turned 1 degree counter-clockwise has skew_deg 1.0, which is also
 * Leptonica's angle for it (Leptonica turns clockwise by that angle to
 * straighten it).
 */
#include "pipeline/preprocess_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Smaller skews are left: a turn would blur more than it straightens. */
#define SKEW_MIN_DEG 0.1
#define SKEW_MAX_DEG 10.0
/* Leptonica's confidence below which its skew angle means nothing. */
#define SKEW_MIN_CONF 3.0f

struct preprocessor {
	struct preprocess_options o;
	TessBaseAPI *osd; /* NULL when pages are not turned */
};

/* What was decided for one page, applied by rebuild(). */
struct plan {
	int quads;     /* clockwise quarter turns */
	double skew;   /* degrees to straighten, counter-clockwise positive */
	int upscale;
};

void preprocess_defaults(struct preprocess_options *o)
{
	o->orientation = 1;
	o->osd_min_confidence = 2.0f;
	o->deskew = 1;
	o->binarise = BINARISE_OTSU;
	o->blank_ink_max = 0.002;
	o->min_dpi = 150;
}

int preprocessor_new(const char *tessdata, const struct preprocess_options *o,
    struct preprocessor **out, struct err *e)
{
	struct preprocessor *p = xcalloc(1, sizeof(*p));
	p->o = *o;
	*out = NULL;
	if (o->orientation && osd_new(tessdata, &p->osd, e) < 0) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void preprocessor_free(struct preprocessor *p)
{
	if (p == NULL)
		return;
	osd_free(p->osd);
	free(p);
}

/* ---- resolution ------------------------------------------------------ */

struct paper {
	const char *name;
	double short_in, long_in;
};

static const struct paper papers[] = {
	{ "a4", 210 / 25.4, 297 / 25.4 },
	{ "letter", 8.5, 11 },
};

/* Scanners offer these; a page cropped by a few pixels still lands on one. */
static const int usual_dpi[] = { 75, 96, 100, 120, 150, 200, 240, 300, 400, 600, 1200 };

static int snap_dpi(double dpi)
{
	for (size_t i = 0; i < sizeof(usual_dpi) / sizeof(usual_dpi[0]); i++)
		if (fabs(dpi / usual_dpi[i] - 1) <= 0.03)
			return usual_dpi[i];
	return (int)lround(dpi);
}

/* The paper whose shape fits the page best, when one fits within 6%. */
static const struct paper *guess_paper(double shrt, double lng)
{
	const struct paper *best = NULL;
	double best_off = log(1.06);
	for (size_t i = 0; i < sizeof(papers) / sizeof(papers[0]); i++) {
		double off = fabs(log(lng / shrt) - log(papers[i].long_in / papers[i].short_in));
		if (off < best_off) {
			best_off = off;
			best = &papers[i];
		}
	}
	return best;
}

static void page_dpi(struct page_image *img, struct page_facts *f)
{
	f->dpi_source = "file";
	f->dpi = img->dpi;
	if (img->dpi_from_file)
		return;
	double w = pixGetWidth(img->pix), h = pixGetHeight(img->pix);
	double shrt = w < h ? w : h, lng = w < h ? h : w;
	const struct paper *paper = guess_paper(shrt, lng);
	int dpi = paper ? snap_dpi((shrt / paper->short_in + lng / paper->long_in) / 2) : 0;
	if (dpi < 70 || dpi > 1200) {
		f->dpi_source = "default";
		return;
	}
	f->dpi_source = paper->name;
	f->dpi = img->dpi = dpi;
	pixSetResolution(img->pix, dpi, dpi);
}

/* ---- turning and straightening --------------------------------------- */

/*
 * 1 bpp for the PDF: shear up to 3 degrees and sampling beyond, as
 * Leptonica would choose anyway (asked for so, it does not log the choice).
 * 1 bpp for OCR: through grey, because a sheared bilevel page has steps in
 * every stroke and Tesseract reads "Số" as "S6" on them.
 */
static PIX *straighten(PIX *pix, double skew, int for_ocr)
{
	float rad = (float)(skew * M_PI / 180);
	if (pixGetDepth(pix) == 1 && for_ocr) {
		PIX *grey = pixConvert1To8(NULL, pix, 255, 0);
		PIX *out = grey ? pixRotate(grey, rad, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0) :
		    NULL;
		pixDestroy(&grey);
		return out;
	}
	int type = pixGetDepth(pix) > 1 ? L_ROTATE_AREA_MAP :
	    fabs(skew) <= 3 ? L_ROTATE_SHEAR : L_ROTATE_SAMPLING;
	return pixRotate(pix, rad, type, L_BRING_IN_WHITE, 0, 0);
}

static PIX *turn_for(PIX *pix, const struct plan *pl, int for_ocr)
{
	PIX *turned = pl->quads ? pixRotateOrth(pix, pl->quads) : pixClone(pix);
	if (turned == NULL || pl->skew == 0)
		return turned;
	PIX *straight = straighten(turned, pl->skew, for_ocr);
	pixDestroy(&turned);
	return straight;
}

static PIX *turn(PIX *pix, const struct plan *pl)
{
	return turn_for(pix, pl, 0);
}

/* The reduced mask, turned like the page, a little wider, at w x h. */
static PIX *mask_for(PIX *small, const struct plan *pl, int w, int h)
{
	PIX *turned = turn(small, pl);
	PIX *wide = turned ? pixDilateBrick(NULL, turned, 3, 3) : NULL;
	PIX *big = wide ? pixScaleBySampling(wide, (float)w / pixGetWidth(wide),
	    (float)h / pixGetHeight(wide)) : NULL;
	PIX *fit = big ? pixResizeToMatch(big, NULL, w, h) : NULL;
	pixDestroy(&turned);
	pixDestroy(&wide);
	pixDestroy(&big);
	return fit;
}

/* ---- the image OCR reads --------------------------------------------- */

/*
 * Dust is at most 0.25 mm across; the dot of an i is twice that. The boxes
 * of the specks bin shows, a pixel wider, are painted white in pix (bin
 * itself, or a grey or colour page of its size).
 */
static int clear_specks(PIX *pix, PIX *bin, int dpi)
{
	int k = dpi >= 150 ? (int)lround(dpi / 100.0) : 1, x, y, w, h;
	int op = pixGetDepth(pix) == 1 ? PIX_CLR : PIX_SET;
	BOXA *boxes = pixConnCompBB(bin, 8);
	if (boxes == NULL)
		return -1;
	for (int i = 0; i < boxaGetCount(boxes); i++) {
		boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h);
		if (w <= k && h <= k)
			pixRasterop(pix, x - 1, y - 1, w + 2, h + 2, op, NULL, 0, 0);
	}
	boxaDestroy(&boxes);
	return 0;
}

static PIX *binarise(enum binarise how, PIX *grey, int dpi)
{
	PIX *out = NULL;
	int w = pixGetWidth(grey), h = pixGetHeight(grey);
	if (how == BINARISE_OTSU) {
		/* Tiles of 3 inches: each one has some text in it. */
		pixOtsuAdaptiveThreshold(grey, 3 * dpi, 3 * dpi, 1, 1, 0.1f, NULL, &out);
	} else if (how == BINARISE_SAUVOLA) {
		/* A window about two letters wide; tiles keep its sums small. */
		int half = dpi / 12 > 8 ? dpi / 12 : 8;
		pixSauvolaBinarizeTiled(grey, half, 0.34f, w > 1200 ? 2 : 1, h > 1200 ? 2 : 1,
		    NULL, &out);
	} else {
		out = pixCleanBackgroundToWhite(grey, NULL, NULL, 1.0f, 70, 190);
	}
	return out;
}

/* 1 bpp pages are binary already; upscaled, they are smoothed. */
static PIX *ocr_from_binary(PIX *turned, PIX *mask, int dpi, int upscale)
{
	PIX *clean = mask ? pixSubtract(NULL, turned, mask) : pixCopy(NULL, turned);
	if (clean == NULL || clear_specks(clean, clean, dpi) < 0) {
		pixDestroy(&clean);
		return NULL;
	}
	if (!upscale)
		return clean;
	PIX *grey = pixConvert1To8(NULL, clean, 255, 0);
	PIX *big = grey ? pixScaleGray2xLIThresh(grey, 128) : NULL;
	pixDestroy(&grey);
	pixDestroy(&clean);
	return big;
}

/* Grey: where the specks are, by a plain threshold. */
static int clear_grey_specks(PIX *pix, PIX *grey, int dpi)
{
	PIX *bin = pixThresholdToBinary(grey, 128);
	int rc = bin != NULL ? clear_specks(pix, bin, dpi) : -1;
	pixDestroy(&bin);
	return rc;
}

/* Grey and colour pages, at the size OCR reads them. */
static PIX *ocr_from_grey(enum binarise how, PIX *page, PIX *mask, int dpi)
{
	PIX *out = NULL, *grey = pixGetDepth(page) == 32 ? pixConvertRGBToGrayMinMax(page, L_CHOOSE_MAX) :
	    pixCopy(NULL, page);
	if (grey == NULL)
		return NULL;
	if (mask != NULL)
		pixSetMasked(grey, mask, 255);
	if (how == BINARISE_NONE) {
		out = pixGetDepth(page) == 32 ? pixCopy(NULL, page) : pixClone(grey);
		if (out != NULL && mask != NULL)
			pixSetMasked(out, mask, 0xffffffff);
	} else {
		out = binarise(how, grey, dpi);
	}
	int rc = out == NULL ? -1 : pixGetDepth(out) == 1 ? clear_specks(out, out, dpi) :
	    clear_grey_specks(out, how == BINARISE_NONE ? grey : out, dpi);
	if (rc < 0)
		pixDestroy(&out);
	pixDestroy(&grey);
	return out;
}

/* turned: the page turned and straightened; big: that at the size OCR reads. */
static PIX *ocr_image(enum binarise how, PIX *turned, PIX *big, PIX *small_mask,
    const struct plan *pl, int dpi)
{
	int binary = pixGetDepth(turned) == 1;
	PIX *target = binary ? turned : big, *out = NULL;
	PIX *mask = small_mask ? mask_for(small_mask, pl, pixGetWidth(target),
	    pixGetHeight(target)) : NULL;
	if (small_mask != NULL && mask == NULL)
		return NULL;
	if (binary)
		out = ocr_from_binary(turned, mask, dpi, pl->upscale);
	else
		out = ocr_from_grey(how, big, mask, pl->upscale ? 2 * dpi : dpi);
	pixDestroy(&mask);
	return out;
}

/* ---- one page -------------------------------------------------------- */

static double measure_skew(PIX *bin, int quads)
{
	float angle = 0, conf = 0;
	PIX *turned = pixRotateOrth(bin, quads);
	if (turned == NULL || pixFindSkewSweepAndSearch(turned, &angle, &conf, 2, 1,
	    (float)SKEW_MAX_DEG, 1.0f, 0.01f) != 0 || conf < SKEW_MIN_CONF)
		angle = 0;
	pixDestroy(&turned);
	return angle;
}

static PIX *turn_scaled(PIX *pix, const struct plan *pl)
{
	PIX *turned = turn(pix, pl);
	if (turned == NULL || !pl->upscale)
		return turned;
	PIX *big = pixScale(turned, 2, 2);
	pixDestroy(&turned);
	return big;
}

static int rebuild(const struct preprocessor *p, struct page_image *img, const struct plan *pl,
    const struct scan *s, struct err *e)
{
	int rc = -1, dpi = pl->upscale ? 2 * img->dpi : img->dpi;
	/*
	 * A page the scanner binarised is not binarised again: straightened
	 * through grey, it is left grey. Otsu on it scored within noise of
	 * that on 300 dpi (make eval), lost diacritics on the samples, and made
	 * fax pages worse (CER 3.1% against 1.4%).
	 */
	enum binarise how = pixGetDepth(img->pix) == 1 ? BINARISE_NONE : p->o.binarise;
	PIX *turned = turn_for(img->pix, pl, 1), *big = NULL, *display = NULL, *ocr = NULL;
	if (turned == NULL ||
	    (big = pl->upscale ? pixScale(turned, 2, 2) : pixClone(turned)) == NULL ||
	    (display = img->display ? turn_scaled(img->display, pl) :
	    pixGetDepth(turned) != pixGetDepth(img->pix) ? turn_scaled(img->pix, pl) :
	    pixClone(big)) == NULL ||
	    (ocr = ocr_image(how, turned, big, s->mask, pl, img->dpi)) == NULL) {
		err_set(e, "cannot prepare the page for OCR");
		goto out;
	}
	pixSetResolution(ocr, dpi, dpi);
	pixSetResolution(display, dpi, dpi);
	pixDestroy(&img->pix);
	pixDestroy(&img->display);
	img->pix = ocr;
	img->display = display;
	ocr = display = NULL;
	img->dpi = dpi;
	img->width = pixGetWidth(img->pix);
	img->height = pixGetHeight(img->pix);
	rc = 0;
out:
	pixDestroy(&turned);
	pixDestroy(&big);
	pixDestroy(&display);
	pixDestroy(&ocr);
	return rc;
}

static void decide(const struct preprocessor *p, const struct scan *s, struct plan *pl,
    struct page_facts *f)
{
	if (p->osd != NULL)
		pl->quads = osd_detect(p->osd, s->bin, s->dpi, p->o.osd_min_confidence,
		    &f->orientation_confidence);
	f->rotation = 90 * pl->quads;
	if (p->o.deskew) {
		f->skew_deg = measure_skew(s->bin, pl->quads);
		if (fabs(f->skew_deg) >= SKEW_MIN_DEG && fabs(f->skew_deg) <= SKEW_MAX_DEG)
			pl->skew = f->skew_deg;
	}
	pl->upscale = f->dpi < p->o.min_dpi;
	f->upscaled = pl->upscale;
}

int preprocess_page(struct preprocessor *p, struct page_image *img, struct page_facts *f,
    struct err *e)
{
	int rc = -1;
	struct scan s = { 0 };
	struct plan pl = { 0 };
	double t0 = clock_ms();
	memset(f, 0, sizeof(*f));
	page_dpi(img, f);
	if (scan_page(img->pix, img->dpi, &s, e) < 0)
		goto out;
	f->ink = s.ink;
	f->blank = s.ink < p->o.blank_ink_max;
	if (!f->blank) {
		decide(p, &s, &pl, f);
		if (rebuild(p, img, &pl, &s, e) < 0)
			goto out;
	}
	log_debug("preprocess: %.0f ms; dpi %d (%s), ink %.4f%s, turned %d, skew %.2f",
	    clock_ms() - t0, f->dpi, f->dpi_source, f->ink, f->blank ? " (blank)" : "",
	    f->rotation, f->skew_deg);
	rc = 0;
out:
	scan_clear(&s);
	return rc;
}
