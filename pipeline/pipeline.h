/*
 * pipeline: the stages a scan goes through, one file a stage.
 *   decode.c  file -> page images (Leptonica, libtiff), with size limits
 *   ocr.c     page image -> UTF-8 text (NFC) and word boxes (Tesseract C API)
 *   process.c one scan through every stage -> a result (JSON object of
 *             ../shared/docs/interface.md)
 * A stage takes its input and returns its output; it never reaches into
 * another stage.
 */
#ifndef SOHOA_PIPELINE_H
#define SOHOA_PIPELINE_H

#include <stdint.h>
#include <jansson.h>

#include "common/common.h"

struct Pix; /* Leptonica's PIX */

/* ---- decode ---------------------------------------------------------- */

struct decode_limits {
	uint64_t max_pixels;     /* per page, width * height; checked before allocating */
	unsigned max_pages;      /* per file */
	uint64_t max_file_bytes; /* whole file */
};

/* One decoded page. The page owns `pix`; free it with page_image_clear(). */
struct page_image {
	struct Pix *pix;    /* 1, 8 or 32 bpp, no colormap: what Tesseract takes */
	int width, height;
	int dpi;            /* resolution used for OCR */
	int dpi_from_file;  /* 1 when the file carried a plausible resolution */
	int source_depth;   /* bits per pixel in the file, before conversion */
};
void page_image_clear(struct page_image *img);

struct decoder;

/*
 * Opens `path`, recognises its format by content (never by name), and checks
 * every page's size against `lim` before any pixel is allocated. On error,
 * `e` says why in words a counter clerk can read (no file name: the caller
 * adds it). The caller owns *out and frees it with decoder_close().
 */
int decoder_open(const char *path, const struct decode_limits *lim,
    struct decoder **out, struct err *e);
unsigned decoder_page_count(const struct decoder *d);
/* SHA-256 of exactly the bytes being decoded (read once, at open). */
void decoder_sha256(const struct decoder *d, char out[65]);
/* "tiff", "png", "jpeg", "pnm" */
const char *decoder_format(const struct decoder *d);
/* Decodes the next page, in order. The caller owns out->pix. */
int decoder_next_page(struct decoder *d, struct page_image *out, struct err *e);
void decoder_close(struct decoder *d);

/* ---- ocr ------------------------------------------------------------- */

struct ocr_word {
	char *text;          /* UTF-8, NFC */
	int x, y, w, h;      /* box in page pixels */
	float confidence;    /* 0..100, Tesseract's */
	int block, par, line;/* layout indices within the page */
};

/* One page of OCR output. The page owns everything it points to. */
struct ocr_page {
	char *text;              /* UTF-8, NFC */
	struct ocr_word *words;
	size_t nwords;
	float mean_confidence;   /* 0..100 */
	int width, height, dpi;
};
void ocr_page_clear(struct ocr_page *p);

struct ocr_engine;

/*
 * Initialises one Tesseract engine for `languages` ("vie+eng"). Costly:
 * create one per process and reuse it for every page. `tessdata` may be NULL
 * for the system's default. The caller owns *out.
 */
int ocr_engine_new(const char *languages, const char *tessdata,
    struct ocr_engine **out, struct err *e);
/* Recognises one page. The engine keeps no reference to img after return. */
int ocr_page_run(struct ocr_engine *eng, const struct page_image *img,
    struct ocr_page *out, struct err *e);
void ocr_engine_free(struct ocr_engine *eng);
/* "5.3.0" */
const char *ocr_tesseract_version(void);
/* Is <tessdata>/<lang>.traineddata there for every language of "vie+eng"? */
int ocr_languages_available(const char *languages, const char *tessdata, struct err *e);

/* ---- process --------------------------------------------------------- */

struct process_options {
	struct decode_limits limits;
	/* Called after each page; may be NULL. */
	void (*progress)(void *arg, const char *path, unsigned page, unsigned pages);
	void *progress_arg;
};

/*
 * Runs one scan through decode -> OCR and returns the result object of the
 * interface doc. The caller owns *result (json_decref). Fields not yet
 * extracted are null.
 */
int pipeline_process_file(struct ocr_engine *eng, const struct process_options *opt,
    const char *path, json_t **result, struct err *e);

#endif
