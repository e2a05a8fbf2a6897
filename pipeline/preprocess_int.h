/* preprocess: what its files share; not part of the pipeline's interface. */
#ifndef SOHOA_PREPROCESS_INT_H
#define SOHOA_PREPROCESS_INT_H

#include "pipeline/pipeline.h"

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

/* The resolution every measurement works at: enough for OSD and skew, and a
 * quarter of the pixels of a 300 dpi page. */
#define SCAN_DPI 150

/* A reduced, binarised copy of the page, in the page's own geometry. */
struct scan {
	PIX *bin;     /* ink = 1; scanner borders and punch holes taken out */
	PIX *mask;    /* the borders and punch holes (1 = whiten for OCR); NULL if none */
	double scale; /* bin's size / the page's */
	int dpi;      /* bin's resolution */
	double ink;   /* share of bin that is ink once specks are dropped */
};

/* preprocess_scan.c */
int scan_page(PIX *page, int dpi, struct scan *s, struct err *e);
void scan_clear(struct scan *s);

/* preprocess_osd.c */
int osd_new(const char *tessdata, TessBaseAPI **out, struct err *e);
void osd_free(TessBaseAPI *api);
/* Clockwise quarter turns that make bin upright (0 when unsure) and how sure. */
int osd_detect(TessBaseAPI *api, PIX *bin, int dpi, float min_conf, float *conf);

#endif
