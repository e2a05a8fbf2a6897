/*
 * pipeline: the stages a scan goes through, one file a stage.
 *   decode.c  file -> page images (Leptonica, libtiff; PDF via poppler in
 *             decode_pdf.c), with size limits
 *   preprocess.c  orientation, skew, borders, blank pages, the OCR image
 *   ocr.c     page image -> UTF-8 text (NFC) and word boxes (Tesseract C API)
 *   process.c one scan through decode and OCR -> a result (JSON object of
 *             ../shared/docs/interface.md)
 *   package.c the renderer's searchable PDF -> PDF/A-2b with the e-copy mark
 *   eresult.c the result -> the XML e-result (docs/eresult-1.0.xsd)
 *   job.c     one scan through every stage, signatures included -> the
 *             result and its signed files, ready for the archive
 * A stage takes its input and returns its output; it never reaches into
 * another stage.
 */
#ifndef SOHOA_PIPELINE_H
#define SOHOA_PIPELINE_H

#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include <libxml/tree.h>

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
	struct Pix *display;/* what the searchable PDF shows (colour kept), the same
	                     * size as pix; NULL = pix. Owned like pix. */
	int width, height;
	int dpi;            /* resolution used for OCR */
	int dpi_from_file;  /* 1 when the file carried a plausible resolution */
	int source_depth;   /* bits per pixel in the file, before conversion */
	char *text_layer;   /* a PDF page's own text (UTF-8), or NULL. Owned. */
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
/* "tiff", "png", "jpeg", "pnm", "pdf" */
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
	char *alto;              /* this page's ALTO <Page> element (Tesseract's), UTF-8 */
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
/* An NFC copy of UTF-8 text (a copy as it is when not valid UTF-8). Caller frees. */
char *text_nfc(const char *utf8);
/* Is <tessdata>/<lang>.traineddata there for every language of "vie+eng"? */
int ocr_languages_available(const char *languages, const char *tessdata, struct err *e);

/*
 * While a PDF is attached to the engine, every page ocr_page_run recognises
 * is also rendered into a searchable PDF at `pdf_path` by Tesseract's PDF
 * renderer: the page image, in colour when it is colour, at its resolution,
 * under an invisible text layer. `source_path`, when the scan is a
 * single-page JPEG, lets the renderer embed the original JPEG bytes; pass
 * NULL otherwise. ocr_pdf_end() finishes and detaches it (also on error).
 */
int ocr_pdf_begin(struct ocr_engine *eng, const char *pdf_path, const char *title,
    const char *source_path, struct err *e);
int ocr_pdf_end(struct ocr_engine *eng, struct err *e);

/* ---- preprocess: the page as scanners really make it ------------------ */

enum binarise { BINARISE_NONE, BINARISE_OTSU, BINARISE_SAUVOLA, BINARISE_BACKGROUND };

struct preprocess_options {
	int orientation;          /* 1: turn pages by 90/180/270 (Tesseract OSD) */
	float osd_min_confidence; /* OSD's orientation confidence needed to turn: 2.0 */
	int deskew;               /* 1: straighten up to ±10° */
	enum binarise binarise;   /* what OCR gets */
	double blank_ink_max;     /* a page with less ink than this share is blank: 0.002 */
	int min_dpi;              /* pages below it are upscaled for OCR only: 150 */
};
void preprocess_defaults(struct preprocess_options *o);
/* [preprocess] of the configuration over the defaults. */
struct sohoa_config;
void preprocess_options_from_cfg(const struct sohoa_config *cfg, struct preprocess_options *o);

/* What preprocessing found and did to one page (the result's "ocr.pages"). */
struct page_facts {
	int rotation;             /* degrees clockwise applied: 0, 90, 180, 270 */
	float orientation_confidence;
	double skew_deg;          /* measured, and corrected when |skew| <= 10 */
	int blank;                /* 1: dropped from OCR and from the PDF */
	double ink;               /* share of dark pixels after borders and noise */
	const char *dpi_source;   /* "file", "a4", "letter", "default" */
	int dpi;                  /* the page's resolution as recorded */
	int upscaled;             /* 1: OCR saw it at 2x */
};

struct preprocessor;
/* Loads Tesseract's "osd" model from tessdata (NULL = the system's). */
int preprocessor_new(const char *tessdata, const struct preprocess_options *o,
    struct preprocessor **out, struct err *e);
void preprocessor_free(struct preprocessor *p);
/*
 * Turns, straightens and cleans one decoded page in place: afterwards
 * img->pix is what OCR reads (grey or binarised, borders and punch holes
 * removed) and img->display what the PDF shows (the original colour,
 * turned and straightened, same size). A blank page is only measured.
 */
int preprocess_page(struct preprocessor *p, struct page_image *img, struct page_facts *f,
    struct err *e);

/* ---- process --------------------------------------------------------- */

/* ---- extract (pipeline/extract*.c) ------------------------------------ */

struct extractor;
/*
 * Loads the gazetteers (<dir>/gazetteer/) and the kinds (<dir>/kinds.rules)
 * that extraction reads; dir NULL: extract_data_dir(). The caller owns *out.
 */
int extractor_new(const char *dir, struct extractor **out, struct err *e);
void extractor_free(struct extractor *x);
/* $SOHOA_DATA; else ../config beside the running binary when it holds
 * kinds.rules (a build tree); else the installed share/sohoa. */
const char *extract_data_dir(void);

/* A page as extraction sees it. Both borrowed; ocr NULL for a blank page. */
struct extract_page {
	const struct ocr_page *ocr;
	const char *qr;          /* the payload of the page's QR code, or NULL */
};
/*
 * Sets in `result` the scan's kind, fields, confidence (per non-null field,
 * 0..1), review, review_reasons (sentences) and, when the scan holds more
 * than one part (a receipt and the documents of its dossier), parts[].
 * Dates after `now` are refused.
 */
void extract_scan(const struct extractor *x, const struct extract_page *pages, size_t n,
    time_t now, json_t *result);
/*
 * May a person set result field `field` to `value` (a correction after
 * review)? The field must exist; a date must be real, YYYY-MM-DD and not after
 * now; a citizen_id a valid CCCD or CMND; a tax_code's check digit must hold;
 * a number must fit Nghị định 30. NULL clears any field. 0, or -1 with why.
 */
int extract_check_value(const char *field, const char *value, time_t now, struct err *e);
/* The first QR code in the top 40% of a page: *payload (the caller frees
 * it) or NULL when there is none. -1 only when the search itself failed. */
int qr_scan_page(const struct page_image *img, char **payload, struct err *e);

struct process_options {
	struct decode_limits limits;
	/* NULL: fields are not extracted (all null, kind "unknown"). */
	const struct extractor *extract;
	/* NULL: pages go to OCR as decoded (the previous behaviour). */
	struct preprocessor *pre;
	/* 1: a PDF page's own text layer is the page's text (OCR still makes
	 * the searchable PDF and the ALTO). */
	int pdf_keep_text;
	/* When set, the searchable PDF of the scan is also written there. */
	const char *pdf_path;
	/* When set, ALTO XML of every page (word boxes, confidences) goes there. */
	const char *alto_path;
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
/* The sum over the result's pages of ocr.pages[].ms.<stage> ("decode",
 * "preprocess", "ocr", "extract"), or -1 when no page has it. */
double result_stage_ms(json_t *result, const char *stage);

/* ---- package ------------------------------------------------------- */

/* Who, where and when: what the e-copy mark, the XMP and the XML carry. */
struct package_info {
	const char *copy_form;     /* "SAO Y" (or "SAO LỤC", "TRÍCH SAO") */
	const char *agency_name;   /* the copying agency, UTF-8 */
	const char *agency_code;   /* QCVN 102:2016, may be NULL */
	const char *operator_name; /* who digitised it */
	const char *counter;       /* the drop folder / counter, may be NULL */
	const char *procedure;     /* procedure code, may be NULL */
	time_t signing_time;       /* the mark's time, /M, and the XML's SignedAt */
};

/*
 * Rewrites the renderer's PDF at `in_pdf` as PDF/A-2b at `out_pdf`: sRGB
 * OutputIntent, XMP metadata with the result's fields, a document /ID, no
 * object streams (so the signature's incremental update can use a classic
 * xref), and on page 1, top right, the e-copy mark as real text in an
 * embedded Liberation Serif 10 pt: copy_form, agency_name, and
 * signing_time in ISO 8601 with +07:00.
 */
int package_pdfa(const char *in_pdf, const char *out_pdf, json_t *result,
    const struct package_info *info, struct err *e);

/*
 * Builds the unsigned XML e-result for `result` (the pipeline's result
 * object, borrowed): namespace EResult_NS, Nghị định 30 Phụ lục VI element
 * names, the dossier and result codes, owners, the OCR text page by page,
 * hashes of the original and of the signed PDF, who, where and when.
 * The caller owns *out (xmlFreeDoc).
 */
/* ---- job: one scan through every stage -------------------------------- */

/*
 * A job's state between its two halves. OCR is slow and certain; signing is
 * fast and may fail for a while (token unplugged, TSA down), so a job that
 * could not be signed keeps its OCR and only the second half is retried.
 * The job owns everything it points to except `source`; job_clear() removes
 * its files.
 */
struct job {
	const char *source;  /* the scan; borrowed */
	char *alto;          /* the ALTO file (word boxes of every page) */
	char *workdir;       /* the job's private folder */
	json_t *result;      /* the result object; "signed" true once signed */
	char *ocr_pdf;       /* Tesseract's searchable PDF */
	char *pdf;           /* the signed PDF/A; NULL until signed */
	char *xml;           /* the signed XML e-result; NULL until signed */
	/* job_sign's last run, in ms: PDF/A and the e-result built; both signatures. */
	double package_ms, sign_ms;
};

/* Makes work_root/<unique>/ and the job. work_root must exist. */
int job_init(struct job *j, const char *source, const char *work_root, struct err *e);
/* Decode -> OCR -> searchable PDF. Never temporary. */
int job_recognise(struct job *j, struct ocr_engine *eng, const struct process_options *opt,
    struct err *e);
/*
 * PDF/A with the e-copy mark -> PAdES -> XML e-result -> XMLDSig, all with
 * one signing time (now). May be called again after a temporary failure
 * (e->temporary), with the same or a reopened signer.
 */
struct signer;
int job_sign(struct job *j, struct signer *s, const struct package_info *info, struct err *e);
void job_clear(struct job *j);
/* Frees the job but leaves its folder and files (they are handed on). */
void job_forget(struct job *j);

#define ERESULT_NS "urn:sohoa:e-result:1.0"
int eresult_build(json_t *result, const struct package_info *info, const char *pdf_sha256,
    xmlDocPtr *out, struct err *e);

#endif
