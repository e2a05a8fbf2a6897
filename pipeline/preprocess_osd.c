/*
 * preprocess_osd: which way up a page is. Tesseract's OSD decides, but it
 * costs about 300 ms a page; Leptonica's count of ascenders and descenders
 * takes 20 ms and is sure of most upright pages, so OSD looks only at the
 * pages Leptonica is not sure of.
 */
#include "pipeline/preprocess_int.h"

#include <math.h>

/*
 * Leptonica's confidences on the 60 sample pages: upright, "up" 5.9 to 20
 * and |left| at most 0.55 of it (one page with five lines: no answer);
 * turned by 90, 180 or 270 degrees, "up" at most 5.5 and then |left| over
 * three times that. Tesseract was right on all 240.
 */
#define PLAIN_UP 5.0f
#define PLAIN_RATIO 1.5f

int osd_new(const char *tessdata, TessBaseAPI **out, struct err *e)
{
	*out = NULL;
	if (ocr_languages_available("osd", tessdata, e) < 0)
		return -1;
	TessBaseAPI *api = TessBaseAPICreate();
	if (api == NULL)
		fatalx("out of memory creating the orientation detector");
	if (TessBaseAPIInit3(api, tessdata, "osd") != 0) {
		err_set(e, "cannot initialise Tesseract's orientation detection (osd)");
		osd_free(api);
		return -1;
	}
	TessBaseAPISetPageSegMode(api, PSM_OSD_ONLY);
	/* OSD classifies up to 5x this many blobs (default 50): 150 tell the four
	 * ways apart with a confidence of 7 (threshold 2) in 2/3 of the time;
	 * with 100, an upside-down page of the samples stayed upside down. */
	TessBaseAPISetVariable(api, "min_characters_to_try", "30");
	if (log_get_level() < LOG_LEVEL_DEBUG)
		TessBaseAPISetVariable(api, "debug_file", "/dev/null");
	*out = api;
	return 0;
}

void osd_free(TessBaseAPI *api)
{
	if (api == NULL)
		return;
	TessBaseAPIEnd(api);
	TessBaseAPIDelete(api);
}

static int plainly_upright(PIX *bin, float *conf)
{
	float up = 0, left = 0;
	if (pixOrientDetect(bin, &up, &left, 0, 0) != 0)
		return 0;
	*conf = up;
	return up >= PLAIN_UP && up >= PLAIN_RATIO * fabsf(left);
}

/* Tesseract's orient_deg is how far the page was turned clockwise; turning
 * it back takes the rest of the circle. */
int osd_detect(TessBaseAPI *api, PIX *bin, int dpi, float min_conf, float *conf)
{
	int deg = 0;
	float c = 0;
	if (plainly_upright(bin, conf))
		return 0;
	TessBaseAPISetImage2(api, bin);
	TessBaseAPISetSourceResolution(api, dpi);
	int ok = TessBaseAPIDetectOrientationScript(api, &deg, &c, NULL, NULL);
	TessBaseAPIClear(api);
	*conf = ok ? c : 0.0f;
	log_debug("orientation: Tesseract OSD says turned %d degrees (confidence %.2f)", deg, c);
	if (!ok || c < min_conf)
		return 0;
	return (4 - deg / 90) % 4;
}
