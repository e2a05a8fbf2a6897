/* ocr: page image -> NFC text and word boxes, through the Tesseract C API. */
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>
#include <utf8proc.h>

#define DEBIAN_TESSDATA "/usr/share/tesseract-ocr/5/tessdata"

struct ocr_engine {
	TessBaseAPI *api;
	TessResultRenderer *pdf; /* attached by ocr_pdf_begin, or NULL */
	char *pdf_path;
	char *jpeg_source;       /* embedded as is for the first page, or NULL */
	char jpeg_sha[65];       /* of jpeg_source when the PDF began */
	unsigned pdf_pages;
	unsigned pages_run;      /* numbers the ALTO pages' IDs */
};

const char *ocr_tesseract_version(void) { return TessVersion(); }

static const char *tessdata_dir(const char *configured)
{
	if (configured != NULL)
		return configured;
	const char *env = getenv("TESSDATA_PREFIX");
	return (env != NULL && *env != '\0') ? env : DEBIAN_TESSDATA;
}

int ocr_languages_available(const char *languages, const char *tessdata, struct err *e)
{
	int rc = -1;
	char *list = xstrdup(languages);
	char *save = NULL;
	const char *dir = tessdata_dir(tessdata);
	for (char *lang = strtok_r(list, "+", &save); lang != NULL;
	    lang = strtok_r(NULL, "+", &save)) {
		char *file = xasprintf("%s/%s.traineddata", dir, lang);
		int found = access(file, R_OK) == 0;
		free(file);
		if (!found) {
			err_set(e, "OCR language '%s' is not installed in %s "
			    "(apt-get install tesseract-ocr-%s)", lang, dir, lang);
			goto out;
		}
	}
	rc = 0;
out:
	free(list);
	return rc;
}

int ocr_engine_new(const char *languages, const char *tessdata,
    struct ocr_engine **out, struct err *e)
{
	if (ocr_languages_available(languages, tessdata, e) < 0)
		return -1;
	struct ocr_engine *eng = xcalloc(1, sizeof(*eng));
	eng->api = TessBaseAPICreate();
	if (eng->api == NULL)
		fatalx("out of memory creating the OCR engine");
	if (TessBaseAPIInit3(eng->api, tessdata, languages) != 0) {
		err_set(e, "cannot initialise Tesseract for '%s'", languages);
		ocr_engine_free(eng);
		return -1;
	}
	/* The API's default is one uniform block; a page has columns (the
	 * two-part header), so analyse the layout as the tesseract CLI does. */
	TessBaseAPISetPageSegMode(eng->api, PSM_AUTO);
	/* Tesseract's own chatter goes nowhere unless we are debugging. */
	if (log_get_level() < LOG_LEVEL_DEBUG)
		TessBaseAPISetVariable(eng->api, "debug_file", "/dev/null");
	*out = eng;
	return 0;
}

void ocr_engine_free(struct ocr_engine *eng)
{
	if (eng == NULL)
		return;
	if (eng->pdf != NULL)
		ocr_pdf_end(eng, NULL);
	TessBaseAPIEnd(eng->api);
	TessBaseAPIDelete(eng->api);
	free(eng);
}

char *text_nfc(const char *utf8)
{
	char *nfc = (char *)utf8proc_NFC((const utf8proc_uint8_t *)utf8);
	return nfc != NULL ? nfc : xstrdup(utf8); /* not valid UTF-8: keep what we got */
}

/* Takes ownership of a Tesseract string; returns an NFC copy we own. */
static char *nfc_from_tess(char *text)
{
	char *nfc = text_nfc(text);
	TessDeleteText(text);
	return nfc;
}

static void collect_word(TessResultIterator *ri, struct ocr_page *out, size_t *cap,
    const int layout[3])
{
	char *raw = TessResultIteratorGetUTF8Text(ri, RIL_WORD);
	if (raw == NULL)
		return;
	const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst(ri);
	int left = 0, top = 0, right = 0, bottom = 0;
	TessPageIteratorBoundingBox(pi, RIL_WORD, &left, &top, &right, &bottom);
	if (out->nwords == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		out->words = xrealloc(out->words, *cap * sizeof(*out->words));
	}
	struct ocr_word *w = &out->words[out->nwords++];
	w->text = nfc_from_tess(raw);
	w->x = left;
	w->y = top;
	w->w = right - left;
	w->h = bottom - top;
	w->confidence = TessResultIteratorConfidence(ri, RIL_WORD);
	w->block = layout[0];
	w->par = layout[1];
	w->line = layout[2];
}

static void collect_words(TessBaseAPI *api, struct ocr_page *out)
{
	TessResultIterator *ri = TessBaseAPIGetIterator(api);
	if (ri == NULL)
		return; /* a page without text */
	const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst(ri);
	int layout[3] = { -1, -1, -1 };
	size_t cap = 0;
	/* Each IsAtBeginningOf walks the whole line; a block or paragraph
	 * starts only where a line does, so those are asked only there. */
	do {
		if (TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE)) {
			layout[2]++;
			layout[1] += TessPageIteratorIsAtBeginningOf(pi, RIL_PARA) != 0;
			layout[0] += TessPageIteratorIsAtBeginningOf(pi, RIL_BLOCK) != 0;
		}
		collect_word(ri, out, &cap, layout);
	} while (TessResultIteratorNext(ri, RIL_WORD));
	TessResultIteratorDelete(ri);
}

/*
 * Given an input name, the renderer has Leptonica re-read that file (JPEG,
 * JPEG 2000 or PNG) instead of taking the page's pixels. Only the vetted
 * JPEG's one page gets a name, and only if the file still has the bytes it
 * had when the PDF began: the PDF must show what was recognised.
 */
static const char *pdf_input_name(struct ocr_engine *eng)
{
	char now[65];
	if (eng->pdf_pages > 0 || eng->jpeg_source == NULL)
		return NULL;
	if (sha256_file_hex(eng->jpeg_source, now, NULL) < 0 ||
	    strcmp(now, eng->jpeg_sha) != 0) {
		log_warnx("%s changed during OCR; its page image is re-encoded instead",
		    eng->jpeg_source);
		return NULL;
	}
	return eng->jpeg_source;
}

/* A preprocessed page (turned, straightened) is shown as its display image:
 * the file's own bytes would show it as scanned. */
static int pdf_add_page(struct ocr_engine *eng, int preprocessed, struct err *e)
{
	TessBaseAPISetInputName(eng->api, preprocessed ? NULL : pdf_input_name(eng));
	int ok = TessResultRendererAddImage(eng->pdf, eng->api);
	TessBaseAPISetInputName(eng->api, NULL);
	eng->pdf_pages++;
	if (!ok) {
		err_set(e, "cannot add page %u to the searchable PDF", eng->pdf_pages);
		return -1;
	}
	return 0;
}

int ocr_page_run(struct ocr_engine *eng, const struct page_image *img,
    struct ocr_page *out, struct err *e)
{
	int rc = -1;
	memset(out, 0, sizeof(*out));
	out->width = img->width;
	out->height = img->height;
	out->dpi = img->dpi;
	TessBaseAPISetImage2(eng->api, (PIX *)img->pix);
	/* The renderer embeds the input image; Tesseract takes ownership of it. */
	if (img->display != NULL)
		TessBaseAPISetInputImage(eng->api, pixClone(img->display));
	TessBaseAPISetSourceResolution(eng->api, img->dpi);
	if (TessBaseAPIRecognize(eng->api, NULL) != 0) {
		err_set(e, "OCR failed on this page");
		goto out;
	}
	char *text = TessBaseAPIGetUTF8Text(eng->api);
	out->text = text != NULL ? nfc_from_tess(text) : xstrdup("");
	collect_words(eng->api, out);
	int conf = TessBaseAPIMeanTextConf(eng->api);
	out->mean_confidence = conf > 0 ? (float)conf : 0.0f;
	char *alto = TessBaseAPIGetAltoText(eng->api, (int)eng->pages_run);
	out->alto = alto != NULL ? xstrdup(alto) : xstrdup("");
	TessDeleteText(alto);
	eng->pages_run++;
	if (eng->pdf != NULL && pdf_add_page(eng, img->display != NULL, e) < 0)
		goto out;
	rc = 0;
out:
	/* Drop the page's results; the loaded models stay for the next page. */
	TessBaseAPIClear(eng->api);
	if (rc < 0)
		ocr_page_clear(out);
	return rc;
}

void ocr_page_clear(struct ocr_page *p)
{
	free(p->alto);
	for (size_t i = 0; i < p->nwords; i++)
		free(p->words[i].text);
	free(p->words);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/*
 * Only a grey or RGB baseline/progressive JPEG may pass through: the
 * renderer would write a CMYK one as DeviceCMYK, which the sRGB output
 * intent of the PDF/A does not cover.
 */
static char *passthrough_jpeg(const char *source_path, char sha[65])
{
	l_int32 format = 0, w, h, bps = 0, spp = 0, cmap = 0;
	if (source_path == NULL)
		return NULL;
	if (pixReadHeader(source_path, &format, &w, &h, &bps, &spp, &cmap) != 0 ||
	    format != IFF_JFIF_JPEG || bps != 8 || (spp != 1 && spp != 3) ||
	    sha256_file_hex(source_path, sha, NULL) < 0) {
		log_debug("%s: not embedded as is in the PDF (format %d, %d x %d bits)",
		    source_path, format, spp, bps);
		return NULL;
	}
	return xstrdup(source_path);
}

int ocr_pdf_begin(struct ocr_engine *eng, const char *pdf_path, const char *title,
    const char *source_path, struct err *e)
{
	size_t n = strlen(pdf_path);
	if (eng->pdf != NULL) {
		err_set(e, "a searchable PDF is already being written");
		return -1;
	}
	/* The renderer appends ".pdf" to the base name it is given. */
	if (n <= 4 || strcmp(pdf_path + n - 4, ".pdf") != 0) {
		err_set(e, "the searchable PDF's name must end in .pdf: %s", pdf_path);
		return -1;
	}
	char *base = xasprintf("%.*s", (int)(n - 4), pdf_path);
	eng->pdf = TessPDFRendererCreate(base, TessBaseAPIGetDatapath(eng->api), 0);
	free(base);
	if (eng->pdf == NULL)
		fatalx("out of memory creating the PDF renderer");
	eng->pdf_path = xstrdup(pdf_path);
	eng->jpeg_source = passthrough_jpeg(source_path, eng->jpeg_sha);
	eng->pdf_pages = 0;
	if (!TessResultRendererBeginDocument(eng->pdf, title != NULL ? title : "")) {
		err_set(e, "cannot start the searchable PDF %s (is pdf.ttf in %s?)", pdf_path,
		    TessBaseAPIGetDatapath(eng->api));
		ocr_pdf_end(eng, NULL);
		return -1;
	}
	return 0;
}

/* The renderer closes its file without looking: a write that failed there (a
 * full disk) leaves a PDF cut short that still looks ended. */
static int pdf_has_eof(const char *path)
{
	char tail[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(tail) ? size - (off_t)sizeof(tail) : 0;
	ssize_t n = size > 0 ? pread(fd, tail, sizeof(tail), from) : 0;
	close(fd);
	return n > 0 && memmem(tail, (size_t)n, "%%EOF", 5) != NULL;
}

/* A PDF that did not end well is removed, so no one takes it for whole. */
int ocr_pdf_end(struct ocr_engine *eng, struct err *e)
{
	int rc = -1;
	struct stat st;
	if (eng->pdf == NULL) {
		err_set(e, "no searchable PDF is being written");
		return -1;
	}
	int ended = TessResultRendererEndDocument(eng->pdf);
	/* Deleting the renderer closes its file. */
	TessDeleteResultRenderer(eng->pdf);
	eng->pdf = NULL;
	if (!ended)
		err_set(e, "cannot finish the searchable PDF %s", eng->pdf_path);
	else if (stat(eng->pdf_path, &st) < 0)
		err_set(e, "the searchable PDF %s is missing: %s", eng->pdf_path,
		    strerror(errno));
	else if (st.st_size == 0 || eng->pdf_pages == 0)
		err_set(e, "the searchable PDF %s is empty", eng->pdf_path);
	else if (!pdf_has_eof(eng->pdf_path))
		err_set(e, "the searchable PDF %s was cut short", eng->pdf_path);
	else
		rc = 0;
	if (rc < 0)
		unlink(eng->pdf_path);
	free(eng->pdf_path);
	free(eng->jpeg_source);
	eng->pdf_path = eng->jpeg_source = NULL;
	return rc;
}
