/*
 * fuzz_decode: arbitrary bytes as a scan, through decoder_open and every
 * decoder_next_page (TIFF, PNG, JPEG, PNM and PDF by content), with the
 * limits the daemon uses by default (config_defaults).
 */
#include "fuzz/fuzz_kit.h"

#include <stdio.h>
#include <stdlib.h>

#include <leptonica/allheaders.h>

#include "config/config.h"
#include "pipeline/pipeline.h"

static struct decode_limits limits;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct sohoa_config c;
	config_defaults(&c);
	limits = (struct decode_limits){ c.max_pixels, c.max_pages, c.max_file_bytes };
	config_free(&c);
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

/* What the decoder promises of a page (pipeline.h). */
static void check_page(const struct page_image *img)
{
	int d = pixGetDepth(img->pix);
	if ((d != 1 && d != 8 && d != 32) || pixGetColormap(img->pix) != NULL ||
	    pixGetWidth(img->pix) != img->width || pixGetHeight(img->pix) != img->height ||
	    img->dpi <= 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoder *d = NULL;
	struct err e = { 0 };
	char sha[65];
	int verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (decoder_open(fuzz_memfile(data, size), &limits, &d, &e) < 0) {
		if (verbose)
			fprintf(stderr, "open: %s\n", e.msg);
		return 0;
	}
	decoder_sha256(d, sha);
	(void)decoder_format(d);
	for (unsigned i = 0, n = decoder_page_count(d); i < n; i++) {
		struct page_image img;
		if (decoder_next_page(d, &img, &e) == 0)
			check_page(&img);
		if (verbose)
			fprintf(stderr, "page %u: %s %dx%d %d bpp %s\n", i + 1, decoder_format(d),
			    img.width, img.height, img.pix ? pixGetDepth(img.pix) : 0,
			    img.pix ? "" : e.msg);
		page_image_clear(&img);
	}
	decoder_close(d);
	return 0;
}

/*
 * fontconfig, loaded by cairo when a PDF page has text in a system font,
 * leaves part of its parsed configuration unreachable (as in
 * tests/unit/test_pdf_input.c). Only that is suppressed.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}
