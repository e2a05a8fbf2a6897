/*
 * package_mark: the e-copy mark of Nghị định 30/2020 (form, agency, signing
 * time; Times 10 pt black, top right of page 1) as real, searchable text.
 * Liberation Serif is metrically Times New Roman; it goes in as a Type0 /
 * CIDFontType2 font, Identity-H, whose glyph ids are the CIDs, so a subset
 * that keeps its glyph ids needs no CIDToGIDMap stream.
 */
#include "pipeline/package_int.h"

#include <stdlib.h>
#include <string.h>

#include <hb.h>
#include <hb-ot.h>
#include <hb-subset.h>
#include <utf8proc.h>

#define MARK_FONT_FILE "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
#define MARK_FONT_KEY "/SohoaMark"
#define MARK_SIZE 10.0     /* pt */
#define MARK_LEADING 12.0  /* pt, baseline to baseline */
/*
 * Half an inch from the right edge; a quarter inch from the top, so the
 * three lines stay inside the 20 mm top margin of Nghị định 30 instead of
 * running into the national motto under them.
 */
#define MARK_RIGHT 36.0    /* pt */
#define MARK_TOP 18.0      /* pt */

struct mark_glyph {
	hb_codepoint_t gid;
	uint32_t unicode;
	long width; /* 1/1000 em, as /W says it */
};

struct mark_font {
	hb_blob_t *blob;
	hb_face_t *face;
	hb_font_t *font;
	unsigned upem;
	struct mark_glyph *glyphs; /* distinct glyphs, in order of first use */
	size_t nglyphs;
};

struct mark_line {
	hb_codepoint_t *gids;
	size_t n;
	double width; /* pt */
};

/* ---- the font ------------------------------------------------------- */

/* Rounding without libm, which the build does not link. */
static long round_l(double v)
{
	return (long)(v < 0 ? v - 0.5 : v + 0.5);
}

static double max_d(double a, double b)
{
	return a > b ? a : b;
}

static long to_1000(const struct mark_font *f, double units)
{
	return round_l(units * 1000.0 / f->upem);
}

static int font_open(struct mark_font *f, struct err *e)
{
	memset(f, 0, sizeof(*f));
	f->blob = hb_blob_create_from_file_or_fail(MARK_FONT_FILE);
	if (f->blob == NULL) {
		err_set(e, "cannot read the mark's font %s (apt-get install fonts-liberation2)",
		    MARK_FONT_FILE);
		return -1;
	}
	f->face = hb_face_create(f->blob, 0);
	f->upem = hb_face_get_upem(f->face);
	f->font = hb_font_create(f->face);
	/* Font units in, font units out: advances are exactly the hmtx values. */
	hb_font_set_scale(f->font, (int)f->upem, (int)f->upem);
	if (hb_face_get_glyph_count(f->face) == 0 || f->upem < 16) {
		err_set(e, "the mark's font %s is not a usable TrueType font", MARK_FONT_FILE);
		return -1;
	}
	return 0;
}

static void font_close(struct mark_font *f)
{
	hb_font_destroy(f->font);
	hb_face_destroy(f->face);
	hb_blob_destroy(f->blob);
	free(f->glyphs);
	memset(f, 0, sizeof(*f));
}

static const struct mark_glyph *glyph_add(struct mark_font *f, hb_codepoint_t gid,
    uint32_t unicode)
{
	for (size_t i = 0; i < f->nglyphs; i++)
		if (f->glyphs[i].gid == gid)
			return &f->glyphs[i];
	f->glyphs = xrealloc(f->glyphs, (f->nglyphs + 1) * sizeof(*f->glyphs));
	struct mark_glyph *g = &f->glyphs[f->nglyphs++];
	g->gid = gid;
	g->unicode = unicode;
	g->width = to_1000(f, hb_font_get_glyph_h_advance(f->font, gid));
	return g;
}

/*
 * One glyph per character, NFC first: Liberation Serif has the precomposed
 * Vietnamese letters ("ỷ", "ộ"), so no shaping is needed. A character
 * without a glyph is an error: PDF/A forbids showing .notdef.
 */
static int layout_line(struct mark_font *f, const char *text, struct mark_line *l,
    struct err *e)
{
	int rc = -1;
	utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)text);
	memset(l, 0, sizeof(*l));
	if (nfc == NULL) {
		err_set(e, "the mark's text is not valid UTF-8");
		return -1;
	}
	l->gids = xcalloc(strlen((char *)nfc) + 1, sizeof(*l->gids));
	long width = 0;
	for (const utf8proc_uint8_t *p = nfc; *p != '\0';) {
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cp);
		p += k > 0 ? k : 1;
		hb_codepoint_t gid = 0;
		if (cp < 0x20 || !hb_font_get_nominal_glyph(f->font, (hb_codepoint_t)cp, &gid) ||
		    gid == 0) {
			err_set(e, "the mark's font has no glyph for U+%04X in \"%s\"",
			    (unsigned)cp, text);
			goto out;
		}
		width += glyph_add(f, gid, (uint32_t)cp)->width;
		l->gids[l->n++] = gid;
	}
	l->width = (double)width * MARK_SIZE / 1000.0;
	rc = 0;
out:
	free(nfc);
	return rc;
}

/* The glyphs keep their ids (RETAIN_GIDS): CID = GID in the PDF. The
 * caller owns the blob. */
static hb_blob_t *font_subset(const struct mark_font *f, struct err *e)
{
	hb_subset_input_t *in = hb_subset_input_create_or_fail();
	if (in == NULL)
		fatalx("out of memory subsetting the mark's font");
	for (size_t i = 0; i < f->nglyphs; i++) {
		hb_set_add(hb_subset_input_unicode_set(in), f->glyphs[i].unicode);
		hb_set_add(hb_subset_input_glyph_set(in), f->glyphs[i].gid);
	}
	/* Without TrueType hinting: 3.8 KB instead of 9.3 KB compressed, and
	 * PDF readers scale the mark to any zoom regardless. */
	hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_RETAIN_GIDS | HB_SUBSET_FLAGS_NO_HINTING);
	hb_face_t *sub = hb_subset_or_fail(f->face, in);
	hb_subset_input_destroy(in);
	if (sub == NULL) {
		err_set(e, "cannot subset the mark's font");
		return NULL;
	}
	hb_blob_t *blob = hb_face_reference_blob(sub);
	hb_face_destroy(sub);
	if (hb_blob_get_length(blob) == 0) {
		hb_blob_destroy(blob);
		err_set(e, "cannot subset the mark's font");
		return NULL;
	}
	return blob;
}

/* "ABCDEF+LiberationSerif": the tag says "subset" and differs per glyph set. */
static char *subset_name(const struct mark_font *f)
{
	char ps[64] = "";
	unsigned size = sizeof(ps);
	hb_ot_name_get_utf8(f->face, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID,
	    &size, ps);
	for (char *p = ps; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || strchr("()<>[]{}/%#", *p) != NULL)
			*p = '-';
	struct buf ids = { 0 };
	for (size_t i = 0; i < f->nglyphs; i++)
		buf_appendf(&ids, "%u,", f->glyphs[i].gid);
	char hex[65], tag[7];
	sha256_hex(ids.data, ids.len, hex);
	free(ids.data);
	for (int i = 0; i < 6; i++)
		tag[i] = (char)('A' + (hex[i * 2] * 31 + hex[i * 2 + 1]) % 26);
	tag[6] = '\0';
	return xasprintf("%s+%s", tag, ps[0] ? ps : "LiberationSerif");
}

/* ---- PDF objects ---------------------------------------------------- */

/* head.xMin..yMax, big-endian int16 at offset 36. */
static void font_bbox(const struct mark_font *f, long bbox[4])
{
	unsigned len = 0;
	hb_blob_t *head = hb_face_reference_table(f->face, HB_TAG('h', 'e', 'a', 'd'));
	const unsigned char *p = (const unsigned char *)hb_blob_get_data(head, &len);
	for (int i = 0; i < 4; i++)
		bbox[i] = len >= 44 ?
		    to_1000(f, (int16_t)(uint16_t)(p[36 + 2 * i] << 8 | p[37 + 2 * i])) : 0;
	hb_blob_destroy(head);
}

static qpdf_oh font_descriptor(qpdf_data q, const struct mark_font *f, const char *name,
    qpdf_oh fontfile)
{
	hb_font_extents_t ext = { 0 };
	hb_position_t cap = 0;
	long bbox[4];
	hb_font_get_h_extents(f->font, &ext);
	if (!hb_ot_metrics_get_position(f->font, HB_OT_METRICS_TAG_CAP_HEIGHT, &cap))
		cap = ext.ascender * 7 / 10;
	font_bbox(f, bbox);
	float angle = hb_style_get_value(f->font, HB_STYLE_TAG_SLANT_ANGLE);
	float weight = hb_style_get_value(f->font, HB_STYLE_TAG_WEIGHT);
	/* Serif, Symbolic (Vietnamese is outside the standard Latin set), Italic. */
	int flags = 2 | 4 | (angle != 0 ? 64 : 0);
	/* The font has no stem width; the usual estimate from the weight class. */
	long stemv = round_l(50 + (weight / 65.0) * (weight / 65.0));
	char *dict = xasprintf("<< /Type /FontDescriptor /FontName /%s /Flags %d "
	    "/FontBBox [%ld %ld %ld %ld] /ItalicAngle %ld /Ascent %ld /Descent %ld "
	    "/CapHeight %ld /StemV %ld >>", name, flags, bbox[0], bbox[1], bbox[2], bbox[3],
	    round_l(angle), to_1000(f, ext.ascender), to_1000(f, ext.descender),
	    to_1000(f, cap), stemv);
	qpdf_oh fd = qpdf_oh_parse(q, dict);
	free(dict);
	qpdf_oh_replace_key(q, fd, "/FontFile2", fontfile);
	return qpdf_make_indirect_object(q, fd);
}

static qpdf_oh cid_font(qpdf_data q, const struct mark_font *f, const char *name,
    qpdf_oh descriptor)
{
	struct buf b = { 0 };
	buf_appendf(&b, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
	    "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
	    "/CIDToGIDMap /Identity /DW 1000 /W [", name);
	for (size_t i = 0; i < f->nglyphs; i++)
		buf_appendf(&b, " %u [%ld]", f->glyphs[i].gid, f->glyphs[i].width);
	buf_appendf(&b, " ] >>");
	qpdf_oh cid = qpdf_oh_parse(q, b.data);
	free(b.data);
	qpdf_oh_replace_key(q, cid, "/FontDescriptor", descriptor);
	return qpdf_make_indirect_object(q, cid);
}

static void put_utf16(struct buf *b, uint32_t cp)
{
	if (cp < 0x10000) {
		buf_appendf(b, "%04X", cp);
		return;
	}
	cp -= 0x10000;
	buf_appendf(b, "%04X%04X", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
}

/* So the mark can be searched and copied: glyph id -> the character. */
static qpdf_oh to_unicode(qpdf_data q, const struct mark_font *f)
{
	struct buf b = { 0 };
	buf_appendf(&b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
	    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
	    "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
	    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	for (size_t i = 0; i < f->nglyphs; i += 100) {
		size_t n = f->nglyphs - i < 100 ? f->nglyphs - i : 100;
		buf_appendf(&b, "%zu beginbfchar\n", n);
		for (size_t k = i; k < i + n; k++) {
			buf_appendf(&b, "<%04X> <", f->glyphs[k].gid);
			put_utf16(&b, f->glyphs[k].unicode);
			buf_appendf(&b, ">\n");
		}
		buf_appendf(&b, "endbfchar\n");
	}
	buf_appendf(&b, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	qpdf_oh s = pdfa_new_stream(q, b.data, b.len, NULL);
	free(b.data);
	return s;
}

/* The Type0 font dictionary, indirect, with everything under it. */
static int font_objects(qpdf_data q, const struct mark_font *f, qpdf_oh *out, struct err *e)
{
	hb_blob_t *sub = font_subset(f, e);
	if (sub == NULL)
		return -1;
	unsigned len = 0;
	const char *data = hb_blob_get_data(sub, &len);
	char *name = subset_name(f);
	char *dict = xasprintf("<< /Length1 %u >>", len);
	qpdf_oh file = pdfa_new_stream(q, data, len, dict);
	free(dict);
	hb_blob_destroy(sub);
	qpdf_oh cid = cid_font(q, f, name, font_descriptor(q, f, name, file));
	char *t0 = xasprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s-Identity-H "
	    "/Encoding /Identity-H >>", name);
	qpdf_oh type0 = qpdf_oh_parse(q, t0);
	free(t0);
	free(name);
	qpdf_oh descendants = qpdf_oh_new_array(q);
	qpdf_oh_append_item(q, descendants, cid);
	qpdf_oh_replace_key(q, type0, "/DescendantFonts", descendants);
	qpdf_oh_replace_key(q, type0, "/ToUnicode", to_unicode(q, f));
	*out = qpdf_make_indirect_object(q, type0);
	return pdfa_qpdf_ok(q, "the mark's font", e);
}

/* ---- the page ------------------------------------------------------- */

/* Two decimals without printf's locale-dependent decimal point. */
static void put_num(struct buf *b, double v)
{
	long c = round_l(v * 100);
	buf_appendf(b, "%s%ld.%02ld ", c < 0 ? "-" : "", labs(c) / 100, labs(c) % 100);
}

/* The visible box's corners; the mark needs an upright page. */
static int page_box(qpdf_data q, qpdf_oh page, double box[4], struct err *e)
{
	qpdf_oh b = qpdf_oh_get_key(q, page, "/CropBox");
	if (!qpdf_oh_is_array(q, b))
		b = qpdf_oh_get_key(q, page, "/MediaBox");
	if (!qpdf_oh_is_array(q, b) || qpdf_oh_get_array_n_items(q, b) != 4) {
		err_set(e, "page 1 has no MediaBox of its own");
		return -1;
	}
	for (int i = 0; i < 4; i++)
		box[i] = qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, b, i));
	qpdf_oh rot = qpdf_oh_get_key(q, page, "/Rotate");
	if (qpdf_oh_is_integer(q, rot) && qpdf_oh_get_int_value(q, rot) % 360 != 0) {
		err_set(e, "page 1 is rotated; the mark needs an upright page");
		return -1;
	}
	return pdfa_qpdf_ok(q, "page 1", e);
}

/* Ends the wrapped content (Q), then draws the lines, right-aligned. */
static void mark_content(const struct mark_font *f, const struct mark_line *lines,
    size_t n, const double box[4], struct buf *b)
{
	hb_font_extents_t ext = { 0 };
	hb_font_get_h_extents(f->font, &ext);
	double right = max_d(box[0], box[2]) - MARK_RIGHT;
	double base = max_d(box[1], box[3]) - MARK_TOP -
	    (double)to_1000(f, ext.ascender) * MARK_SIZE / 1000.0;
	buf_appendf(b, "\nQ\nq\n0 g\nBT\n0 Tr\n%s ", MARK_FONT_KEY);
	put_num(b, MARK_SIZE);
	buf_appendf(b, "Tf\n");
	for (size_t i = 0; i < n; i++) {
		buf_appendf(b, "1 0 0 1 ");
		put_num(b, right - lines[i].width);
		put_num(b, base - MARK_LEADING * (double)i);
		buf_appendf(b, "Tm\n<");
		for (size_t k = 0; k < lines[i].n; k++)
			buf_appendf(b, "%04X", lines[i].gids[k]);
		buf_appendf(b, "> Tj\n");
	}
	buf_appendf(b, "ET\nQ\n");
}

static int add_font_resource(qpdf_data q, qpdf_oh page, qpdf_oh font, struct err *e)
{
	qpdf_oh res = qpdf_oh_get_key(q, page, "/Resources");
	if (!qpdf_oh_is_dictionary(q, res)) {
		/* Inherited resources would be hidden by new ones. */
		err_set(e, "page 1 has no resources of its own");
		return -1;
	}
	qpdf_oh fonts = qpdf_oh_get_key(q, res, "/Font");
	if (!qpdf_oh_is_dictionary(q, fonts)) {
		fonts = qpdf_oh_new_dictionary(q);
		qpdf_oh_replace_key(q, res, "/Font", fonts);
	}
	qpdf_oh_replace_key(q, fonts, MARK_FONT_KEY, font);
	return pdfa_qpdf_ok(q, "page 1's resources", e);
}

/* Contents becomes [ "q" original... "Q mark" ]. */
static int wrap_contents(qpdf_data q, qpdf_oh page, const struct buf *mark, struct err *e)
{
	qpdf_oh old = qpdf_oh_get_key(q, page, "/Contents");
	qpdf_oh all = qpdf_oh_new_array(q);
	qpdf_oh_append_item(q, all, pdfa_new_stream(q, "q\n", 2, NULL));
	if (qpdf_oh_is_array(q, old))
		for (int i = 0, n = qpdf_oh_get_array_n_items(q, old); i < n; i++)
			qpdf_oh_append_item(q, all, qpdf_oh_get_array_item(q, old, i));
	else if (qpdf_oh_is_stream(q, old))
		qpdf_oh_append_item(q, all, old);
	qpdf_oh_append_item(q, all, pdfa_new_stream(q, mark->data, mark->len, NULL));
	qpdf_oh_replace_key(q, page, "/Contents", all);
	return pdfa_qpdf_ok(q, "page 1's content", e);
}

int pdfa_mark_page(qpdf_data q, qpdf_oh page, const char *const *lines, size_t nlines,
    struct err *e)
{
	int rc = -1;
	struct mark_font f;
	struct mark_line *ls = xcalloc(nlines, sizeof(*ls));
	struct buf content = { 0 };
	double box[4];
	qpdf_oh font;
	if (font_open(&f, e) < 0 || page_box(q, page, box, e) < 0)
		goto out;
	for (size_t i = 0; i < nlines; i++) {
		if (layout_line(&f, lines[i], &ls[i], e) < 0)
			goto out;
		if (ls[i].width > max_d(box[2] - box[0], box[0] - box[2]) - 2 * MARK_RIGHT) {
			err_set(e, "the mark's line \"%s\" is wider than the page", lines[i]);
			goto out;
		}
	}
	if (font_objects(q, &f, &font, e) < 0 || add_font_resource(q, page, font, e) < 0)
		goto out;
	mark_content(&f, ls, nlines, box, &content);
	rc = wrap_contents(q, page, &content, e);
out:
	for (size_t i = 0; i < nlines; i++)
		free(ls[i].gids);
	free(ls);
	free(content.data);
	font_close(&f);
	return rc;
}
