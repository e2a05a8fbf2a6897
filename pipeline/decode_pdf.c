/*
 * decode_pdf: PDF -> page images. Poppler renders the pages with cairo;
 * qpdf, which reads objects without decoding them, gives the size of every
 * embedded image, so that a page is rendered at its scan's own resolution and
 * nothing over the limits is ever decoded.
 */
#include "pipeline/decode_int.h"

#include <math.h>
#include <string.h>

#include <cairo.h>
#include <glib.h>
#include <leptonica/allheaders.h>
#include <poppler.h>
#include <qpdf/qpdf-c.h>

/* Cairo's image surfaces stop there. */
#define SIDE_MAX 32767
/* What OCR reads best, for pages with no scan in them. */
#define DEFAULT_DPI 300
/* An image covering less of the page is a logo or a photo, not the scan. */
#define SCAN_COVER_MIN 0.5
/* Form XObjects nest; these bound the walk over a hostile file. */
#define XOBJECT_DEPTH_MAX 4
#define XOBJECT_VISITS_MAX 1024

static const char msg_encrypted[] = "the PDF is encrypted; sohoa does not strip protection: "
    "ask for an unprotected scan";
static const char msg_signed[] = "the PDF is digitally signed; re-rendering it would drop "
    "the signature, so sohoa will not take it; file it as it is";

struct pdf_page {
	double pw, ph;     /* size in points, turned as shown */
	int w, h, dpi;     /* rendered size */
	int source_depth;  /* of the scan's image; 0 = no scan, or not said */
};

struct pdf_doc {
	PopplerDocument *doc;
	struct pdf_page *pages;
	unsigned npages;
};

/* The largest image a page draws from, found by qpdf. */
struct image_survey {
	qpdf_data q;
	const struct decode_limits *lim;
	unsigned page, visits;
	uint64_t px;
	uint32_t w, h;
	int depth;
};

/* ---- poppler's messages ---------------------------------------------- */

static void poppler_log(const gchar *domain, GLogLevelFlags level, const gchar *msg,
    gpointer arg)
{
	(void)domain, (void)arg;
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		log_warnx("poppler: %s", msg);
	else
		log_debug("poppler: %s", msg);
}

/* Poppler reports damaged data on stderr otherwise; the debug log is enough. */
static void route_poppler_log(void)
{
	static gsize done;
	if (g_once_init_enter(&done)) {
		g_log_set_handler("Poppler", G_LOG_LEVEL_MASK, poppler_log, NULL);
		g_once_init_leave(&done, 1);
	}
}

/* ---- image sizes, from qpdf ------------------------------------------ */

static long long int_key(qpdf_data q, qpdf_oh dict, const char *key)
{
	qpdf_oh v = qpdf_oh_get_key(q, dict, key);
	return qpdf_oh_is_integer(q, v) ? qpdf_oh_get_int_value(q, v) : 0;
}

static int colour_components(qpdf_data q, qpdf_oh cs)
{
	if (qpdf_oh_is_array(q, cs) && qpdf_oh_get_array_n_items(q, cs) > 0) {
		qpdf_oh family = qpdf_oh_get_array_item(q, cs, 0);
		if (qpdf_oh_is_name_and_equals(q, family, "/ICCBased")) {
			qpdf_oh icc = qpdf_oh_get_array_item(q, cs, 1);
			return qpdf_oh_is_stream(q, icc) ?
			    (int)int_key(q, qpdf_oh_get_dict(q, icc), "/N") : 0;
		}
		if (qpdf_oh_is_name_and_equals(q, family, "/Indexed") ||
		    qpdf_oh_is_name_and_equals(q, family, "/Separation"))
			return 1;
		cs = family;
	}
	if (qpdf_oh_is_name_and_equals(q, cs, "/DeviceGray") ||
	    qpdf_oh_is_name_and_equals(q, cs, "/CalGray"))
		return 1;
	if (qpdf_oh_is_name_and_equals(q, cs, "/DeviceRGB") ||
	    qpdf_oh_is_name_and_equals(q, cs, "/CalRGB") ||
	    qpdf_oh_is_name_and_equals(q, cs, "/Lab"))
		return 3;
	return qpdf_oh_is_name_and_equals(q, cs, "/DeviceCMYK") ? 4 : 0;
}

/* Bits per pixel as stored; 0 when the file does not say plainly. */
static int image_depth(qpdf_data q, qpdf_oh dict)
{
	qpdf_oh filter = qpdf_oh_get_key(q, dict, "/Filter");
	qpdf_oh mask = qpdf_oh_get_key(q, dict, "/ImageMask");
	if ((qpdf_oh_is_bool(q, mask) && qpdf_oh_get_bool_value(q, mask)) ||
	    qpdf_oh_is_or_has_name(q, filter, "/CCITTFaxDecode") ||
	    qpdf_oh_is_or_has_name(q, filter, "/JBIG2Decode"))
		return 1;
	long long bpc = int_key(q, dict, "/BitsPerComponent");
	int n = colour_components(q, qpdf_oh_get_key(q, dict, "/ColorSpace"));
	return bpc > 0 && bpc <= 16 && n > 0 && n <= 32 ? (int)bpc * n : 0;
}

/*
 * Poppler decodes an image whole, whatever the scale it is drawn at. Masks
 * count as images: a compressed colour scan (MRC) keeps its text at full
 * resolution in the mask.
 */
static int check_image(struct image_survey *s, qpdf_oh stream, struct err *e)
{
	char have[32], limit[32];
	qpdf_oh dict = qpdf_oh_get_dict(s->q, stream);
	long long w = int_key(s->q, dict, "/Width"), h = int_key(s->q, dict, "/Height");
	if (w <= 0 || h <= 0)
		return 0;
	if (w > UINT32_MAX || h > UINT32_MAX || (uint64_t)w * (uint64_t)h > s->lim->max_pixels) {
		decode_format_mpx(have, sizeof(have), (uint64_t)w * (uint64_t)h);
		decode_format_mpx(limit, sizeof(limit), s->lim->max_pixels);
		err_set(e, "page %u holds an image of %lld x %lld pixels (%s), over the limit of %s",
		    s->page + 1, w, h, have, limit);
		return -1;
	}
	if ((uint64_t)w * (uint64_t)h > s->px) {
		s->px = (uint64_t)w * (uint64_t)h;
		s->w = (uint32_t)w;
		s->h = (uint32_t)h;
		s->depth = image_depth(s->q, dict);
	}
	return 0;
}

static int survey_xobjects(struct image_survey *s, qpdf_oh resources, int depth,
    struct err *e);

static int survey_xobject(struct image_survey *s, qpdf_oh x, int depth, struct err *e)
{
	qpdf_data q = s->q;
	if (!qpdf_oh_is_stream(q, x) || ++s->visits > XOBJECT_VISITS_MAX)
		return 0;
	qpdf_oh dict = qpdf_oh_get_dict(q, x);
	qpdf_oh subtype = qpdf_oh_get_key(q, dict, "/Subtype");
	if (qpdf_oh_is_name_and_equals(q, subtype, "/Image")) {
		static const char *const masks[] = { "/SMask", "/Mask" };
		if (check_image(s, x, e) < 0)
			return -1;
		for (size_t i = 0; i < 2; i++) {
			qpdf_oh m = qpdf_oh_get_key(q, dict, masks[i]);
			if (qpdf_oh_is_stream(q, m) && check_image(s, m, e) < 0)
				return -1;
		}
		return 0;
	}
	if (qpdf_oh_is_name_and_equals(q, subtype, "/Form") && depth < XOBJECT_DEPTH_MAX)
		return survey_xobjects(s, qpdf_oh_get_key(q, dict, "/Resources"), depth + 1, e);
	return 0;
}

static int survey_xobjects(struct image_survey *s, qpdf_oh resources, int depth,
    struct err *e)
{
	qpdf_data q = s->q;
	qpdf_oh *items = NULL;
	size_t n = 0;
	int rc = 0;
	/* qpdf complains on stderr about a key looked up in a non-dictionary. */
	if (!qpdf_oh_is_dictionary(q, resources))
		return 0;
	qpdf_oh dict = qpdf_oh_get_key(q, resources, "/XObject");
	if (!qpdf_oh_is_dictionary(q, dict))
		return 0;
	/* qpdf has one key iterator: take the values before going deeper. */
	qpdf_oh_begin_dict_key_iter(q, dict);
	while (qpdf_oh_dict_more_keys(q) && n < XOBJECT_VISITS_MAX) {
		items = xrealloc(items, (n + 1) * sizeof(*items));
		items[n++] = qpdf_oh_get_key(q, dict, qpdf_oh_dict_next_key(q));
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = survey_xobject(s, items[i], depth, e);
	free(items);
	return rc;
}

/* Resources are inherited down the page tree. */
static qpdf_oh page_resources(qpdf_data q, qpdf_oh node)
{
	for (int level = 0; level < 32 && qpdf_oh_is_dictionary(q, node); level++) {
		qpdf_oh res = qpdf_oh_get_key(q, node, "/Resources");
		if (qpdf_oh_is_dictionary(q, res))
			return res;
		node = qpdf_oh_get_key(q, node, "/Parent");
	}
	return qpdf_oh_new_null(q);
}

static int survey_page(struct image_survey *s, struct err *e)
{
	qpdf_oh page = qpdf_get_page_n(s->q, s->page);
	int rc = survey_xobjects(s, page_resources(s->q, page), 0, e);
	qpdf_oh_release_all(s->q);
	return rc;
}

/* ---- opening --------------------------------------------------------- */

static int poppler_load(struct pdf_doc *p, const struct buf *file, struct err *e)
{
	GError *gerr = NULL;
	GBytes *bytes = g_bytes_new_static(file->data, file->len);
	p->doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	g_bytes_unref(bytes);
	if (p->doc != NULL)
		return 0;
	if (g_error_matches(gerr, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED))
		err_set(e, "%s", msg_encrypted);
	else
		err_set(e, "corrupt or truncated PDF: %s",
		    gerr != NULL ? gerr->message : "it cannot be read");
	g_clear_error(&gerr);
	return -1;
}

static int qpdf_load(qpdf_data q, const struct buf *file, struct err *e)
{
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	if ((qpdf_read_memory(q, "PDF", file->data, file->len, NULL) & QPDF_ERRORS) == 0)
		return 0;
	err_set(e, "corrupt or truncated PDF: %s",
	    qpdf_get_error_message_detail(q, qpdf_get_error(q)));
	return -1;
}

/*
 * A password-less file can still be encrypted (an owner password and
 * restrictions): qpdf says. An empty signature field is only a form to fill;
 * a signed one has the signed /ByteRange in the file's bytes.
 */
static int refuse_protected(struct pdf_doc *p, qpdf_data q, const struct buf *file,
    struct err *e)
{
	if (qpdf_is_encrypted(q)) {
		err_set(e, "%s", msg_encrypted);
		return -1;
	}
	if (poppler_document_get_n_signatures(p->doc) > 0 &&
	    memmem(file->data, file->len, "/ByteRange", 10) != NULL) {
		err_set(e, "%s", msg_signed);
		return -1;
	}
	return 0;
}

/* ---- planning every page --------------------------------------------- */

static int largest_area(PopplerPage *page, double *aw, double *ah)
{
	GList *map = poppler_page_get_image_mapping(page);
	double best = 0;
	for (GList *l = map; l != NULL; l = l->next) {
		const PopplerImageMapping *m = l->data;
		double w = fabs(m->area.x2 - m->area.x1), h = fabs(m->area.y2 - m->area.y1);
		if (w * h > best) {
			best = w * h;
			*aw = w;
			*ah = h;
		}
	}
	poppler_page_free_image_mapping(map);
	return best > 0;
}

/*
 * Pixels a point: the scan's own when one image covers most of the page,
 * so that its pixels land on the rendered ones one for one. Sides are
 * compared long to long: an image may be drawn turned, and poppler gives
 * the areas of a turned page (/Rotate) unturned.
 */
static double page_scale(PopplerPage *page, const struct pdf_page *pl,
    const struct image_survey *s, int *from_scan)
{
	double aw = 0, ah = 0;
	*from_scan = 0;
	if (s->px == 0 || !largest_area(page, &aw, &ah) ||
	    aw * ah < SCAN_COVER_MIN * pl->pw * pl->ph)
		return DEFAULT_DPI / 72.0;
	double area_long = fmax(aw, ah), area_short = fmin(aw, ah);
	double page_long = fmax(pl->pw, pl->ph), page_short = fmin(pl->pw, pl->ph);
	/* Poppler rounds areas to whole points; a scan filling the page fills it exactly. */
	if (fabs(area_long - page_long) <= 1 && fabs(area_short - page_short) <= 1)
		area_long = page_long;
	double scale = (s->w > s->h ? s->w : s->h) / area_long;
	*from_scan = decode_plausible_dpi(scale * 72) != 0;
	return *from_scan ? scale : DEFAULT_DPI / 72.0;
}

static int check_render(const struct pdf_page *pl, double w, double h, unsigned index,
    const struct decode_limits *lim, struct err *e)
{
	char have[32], limit[32];
	double px = w * h;
	if (!(w >= 1 && h >= 1)) { /* NaN too */
		err_set(e, "page %u has zero width or height", index + 1);
		return -1;
	}
	int too_many = px > (double)lim->max_pixels;
	if (too_many || w > SIDE_MAX || h > SIDE_MAX) {
		decode_format_mpx(have, sizeof(have), px < 1e19 ? (uint64_t)px : UINT64_MAX);
		decode_format_mpx(limit, sizeof(limit), lim->max_pixels);
		err_set(e, "page %u at %d dpi is %.0f x %.0f pixels (%s), over the limit of %s",
		    index + 1, pl->dpi, w, h, have, too_many ? limit : "32767 pixels a side");
		return -1;
	}
	return 0;
}

static int plan_page(struct pdf_doc *p, qpdf_data q, unsigned index,
    const struct decode_limits *lim, struct err *e)
{
	int rc = -1;
	struct pdf_page *pl = &p->pages[index];
	struct image_survey s = { .q = q, .lim = lim, .page = index };
	PopplerPage *page = poppler_document_get_page(p->doc, (int)index);
	if (page == NULL) {
		err_set(e, "corrupt PDF: page %u cannot be read", index + 1);
		goto out;
	}
	if (survey_page(&s, e) < 0)
		goto out;
	poppler_page_get_size(page, &pl->pw, &pl->ph);
	int from_scan;
	double scale = page_scale(page, pl, &s, &from_scan);
	double w = round(pl->pw * scale), h = round(pl->ph * scale);
	pl->dpi = (int)lround(scale * 72);
	if (check_render(pl, w, h, index, lim, e) < 0)
		goto out;
	pl->w = (int)w;
	pl->h = (int)h;
	pl->source_depth = from_scan ? s.depth : 0;
	rc = 0;
out:
	if (page != NULL)
		g_object_unref(page);
	return rc;
}

static int plan_pages(struct pdf_doc *p, qpdf_data q, const struct decode_limits *lim,
    struct err *e)
{
	int n = poppler_document_get_n_pages(p->doc);
	if (n <= 0) {
		err_set(e, "the PDF has no pages");
		return -1;
	}
	if ((unsigned)n > lim->max_pages)
		return decode_too_many_pages(lim, e);
	/* Page i of poppler must be page i of qpdf for the image sizes to hold. */
	if (qpdf_get_num_pages(q) != n) {
		err_set(e, "corrupt PDF: its list of pages is damaged");
		return -1;
	}
	p->pages = xcalloc((size_t)n, sizeof(*p->pages));
	p->npages = (unsigned)n;
	for (unsigned i = 0; i < p->npages; i++)
		if (plan_page(p, q, i, lim, e) < 0)
			return -1;
	return 0;
}

int pdf_open(const struct buf *file, const struct decode_limits *lim,
    struct pdf_doc **out, struct err *e)
{
	int rc = -1;
	struct pdf_doc *p = xcalloc(1, sizeof(*p));
	qpdf_data q = qpdf_init();
	*out = NULL;
	route_poppler_log();
	if (poppler_load(p, file, e) < 0 || qpdf_load(q, file, e) < 0 ||
	    refuse_protected(p, q, file, e) < 0 || plan_pages(p, q, lim, e) < 0)
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	qpdf_cleanup(&q);
	pdf_close(p);
	return rc;
}

unsigned pdf_page_count(const struct pdf_doc *p)
{
	return p->npages;
}

void pdf_close(struct pdf_doc *p)
{
	if (p == NULL)
		return;
	if (p->doc != NULL)
		g_object_unref(p->doc);
	free(p->pages);
	free(p);
}

/* ---- rendering ------------------------------------------------------- */

/* Cairo draws straight into the Leptonica image: one page in memory, not two. */
static int render(PopplerPage *page, const struct pdf_page *pl, PIX *pix, struct err *e)
{
	int stride = 4 * pixGetWpl(pix);
	if (stride != cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, pl->w)) {
		err_set(e, "cannot render: unexpected row layout");
		return -1;
	}
	cairo_surface_t *s = cairo_image_surface_create_for_data((unsigned char *)pixGetData(pix),
	    CAIRO_FORMAT_RGB24, pl->w, pl->h, stride);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, pl->w / pl->pw, pl->h / pl->ph);
	poppler_page_render_for_printing(page, cr);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		err_set(e, "cannot render: %s", cairo_status_to_string(st));
		return -1;
	}
	return 0;
}

/*
 * Cairo's RGB24 is the word 0x__RRGGBB, Leptonica's 32 bpp the word
 * 0xRRGGBB__. Returns 1 when every pixel is grey.
 */
static int cairo_to_leptonica(PIX *pix)
{
	l_uint32 *px = pixGetData(pix);
	l_uint32 diff = 0;
	for (size_t i = 0, n = (size_t)pixGetWpl(pix) * (size_t)pixGetHeight(pix); i < n; i++) {
		l_uint32 v = px[i] & 0xffffff;
		diff |= (v >> 16 ^ v) & 0xff;
		diff |= (v >> 8 ^ v) & 0xff;
		px[i] = v << 8;
	}
	return diff == 0;
}

/* The page's own text, when it has any: not only whitespace. */
static char *text_layer(PopplerPage *page)
{
	char *t = poppler_page_get_text(page), *out = NULL;
	if (t != NULL && g_utf8_validate(t, -1, NULL))
		for (const char *c = t; *c != '\0' && out == NULL; c = g_utf8_next_char(c))
			if (!g_unichar_isspace(g_utf8_get_char(c)))
				out = xstrdup(t);
	g_free(t);
	return out;
}

int pdf_page_render(struct pdf_doc *p, unsigned index, struct page_image *out,
    struct err *e)
{
	int rc = -1;
	const struct pdf_page *pl = &p->pages[index];
	PopplerPage *page = poppler_document_get_page(p->doc, (int)index);
	PIX *pix = NULL, *grey = NULL;
	memset(out, 0, sizeof(*out));
	if (page == NULL) {
		err_set(e, "corrupt PDF: page %u cannot be read", index + 1);
		goto out;
	}
	if ((pix = pixCreateNoInit(pl->w, pl->h, 32)) == NULL) {
		err_set(e, "cannot allocate a %d x %d page", pl->w, pl->h);
		goto out;
	}
	if (render(page, pl, pix, e) < 0) {
		err_prefix(e, "page %u", index + 1);
		goto out;
	}
	int is_grey = cairo_to_leptonica(pix);
	if (is_grey && (grey = pixGetRGBComponent(pix, COLOR_RED)) == NULL) {
		err_set(e, "cannot convert page %u to grey", index + 1);
		goto out;
	}
	if (is_grey) {
		pixDestroy(&pix);
		pix = grey;
		grey = NULL;
	}
	/* A bilevel scan rendered 1:1 is black and white still: back to 1 bpp, so
	 * that it is read as the TIFF of the same page would be. */
	if (is_grey && pl->source_depth == 1 && (grey = pixThresholdToBinary(pix, 128)) != NULL) {
		pixDestroy(&pix);
		pix = grey;
		grey = NULL;
	}
	out->pix = pix;
	pix = NULL;
	out->width = pl->w;
	out->height = pl->h;
	out->dpi = pl->dpi;
	out->dpi_from_file = 1; /* the page's size in the file makes it exact */
	out->source_depth = pl->source_depth ? pl->source_depth : is_grey ? 8 : 24;
	pixSetResolution(out->pix, pl->dpi, pl->dpi);
	out->text_layer = text_layer(page);
	rc = 0;
out:
	pixDestroy(&pix);
	pixDestroy(&grey);
	if (page != NULL)
		g_object_unref(page);
	return rc;
}
