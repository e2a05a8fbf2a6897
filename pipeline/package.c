/*
 * package: the renderer's searchable PDF -> PDF/A-2b with the e-copy mark,
 * in one qpdf pass and without Ghostscript: the pixels, the text layer and
 * Tesseract's glyphless font go through untouched; what PDF/A lacks is
 * added (sRGB output intent, XMP, Info to match) and the mark is drawn.
 *
 * Tesseract's GlyphLessFont was checked against PDF/A-2b and needs no
 * change: it is embedded (FontFile2), every CID maps to glyph 1 through its
 * CIDToGIDMap stream (never .notdef), /DW 500 equals glyph 1's advance
 * (1024 of 2048 units), and it carries no CIDSet that could be incomplete.
 */
#include "pipeline/package_int.h"

#include <stdlib.h>
#include <string.h>

#include <lcms2.h>

int pdfa_qpdf_ok(qpdf_data q, const char *what, struct err *e)
{
	if (!qpdf_has_error(q))
		return 0;
	qpdf_error qe = qpdf_get_error(q);
	err_set(e, "%s: %s", what, qpdf_get_error_full_text(q, qe));
	return -1;
}

/* For a call that said it failed: qpdf's reason, or at least ours. */
static int qpdf_failed(qpdf_data q, const char *what, struct err *e)
{
	if (pdfa_qpdf_ok(q, what, e) == 0)
		err_set(e, "%s", what);
	return -1;
}

qpdf_oh pdfa_new_stream(qpdf_data q, const void *data, size_t len, const char *dict)
{
	qpdf_oh s = qpdf_oh_new_stream(q);
	qpdf_oh null = qpdf_oh_new_null(q);
	qpdf_oh_replace_stream_data(q, s, data, len, null, null);
	if (dict == NULL)
		return s;
	qpdf_oh d = qpdf_oh_get_dict(q, s);
	qpdf_oh src = qpdf_oh_parse(q, dict);
	qpdf_oh_begin_dict_key_iter(q, src);
	while (qpdf_oh_dict_more_keys(q)) {
		/* The key's memory lasts only until the next key is asked for. */
		char *key = xstrdup(qpdf_oh_dict_next_key(q));
		qpdf_oh_replace_key(q, d, key, qpdf_oh_get_key(q, src, key));
		free(key);
	}
	return s;
}

/*
 * sRGB from LittleCMS, saved as ICC v4.2, the ICC.1:2004-10 that PDF 1.7
 * and so PDF/A-2 name (lcms would say 4.3). 588 bytes; as v2 it would be
 * 8.8 KB, its curves sampled. PDF/A-1 would need v2; it is not our target.
 */
static int set_output_intent(qpdf_data q, struct err *e)
{
	cmsUInt32Number len = 0;
	cmsHPROFILE srgb = cmsCreate_sRGBProfile();
	if (srgb == NULL)
		fatalx("out of memory creating the sRGB profile");
	cmsSetProfileVersion(srgb, 4.2);
	if (!cmsSaveProfileToMem(srgb, NULL, &len) || len == 0) {
		cmsCloseProfile(srgb);
		err_set(e, "cannot build the sRGB profile");
		return -1;
	}
	void *icc = xmalloc(len);
	int saved = cmsSaveProfileToMem(srgb, icc, &len);
	cmsCloseProfile(srgb);
	if (!saved) {
		free(icc);
		err_set(e, "cannot build the sRGB profile");
		return -1;
	}
	qpdf_oh profile = pdfa_new_stream(q, icc, len, "<< /N 3 >>");
	free(icc);
	qpdf_oh intent = qpdf_oh_parse(q, "<< /Type /OutputIntent /S /GTS_PDFA1 "
	    "/OutputConditionIdentifier (sRGB IEC61966-2.1) /RegistryName (http://www.color.org) "
	    "/Info (sRGB IEC61966-2.1) >>");
	qpdf_oh_replace_key(q, intent, "/DestOutputProfile", profile);
	qpdf_oh intents = qpdf_oh_new_array(q);
	qpdf_oh_append_item(q, intents, intent);
	qpdf_oh_replace_key(q, qpdf_get_root(q), "/OutputIntents", intents);
	return pdfa_qpdf_ok(q, "output intent", e);
}

/* A new Info with only what the XMP says too (Tesseract's has its own
 * Producer and dates, which would contradict it). */
static void set_info(qpdf_data q, const struct pdfa_meta *m)
{
	qpdf_oh info = qpdf_oh_new_dictionary(q);
	qpdf_oh_replace_key(q, info, "/Title", qpdf_oh_new_unicode_string(q, m->title));
	qpdf_oh_replace_key(q, info, "/Author", qpdf_oh_new_unicode_string(q, m->creator));
	qpdf_oh_replace_key(q, info, "/Subject",
	    qpdf_oh_new_unicode_string(q, m->description));
	qpdf_oh_replace_key(q, info, "/Creator",
	    qpdf_oh_new_unicode_string(q, m->creator_tool));
	qpdf_oh_replace_key(q, info, "/Producer", qpdf_oh_new_unicode_string(q, m->producer));
	qpdf_oh_replace_key(q, info, "/CreationDate", qpdf_oh_new_string(q, m->pdf_date));
	qpdf_oh_replace_key(q, info, "/ModDate", qpdf_oh_new_string(q, m->pdf_date));
	qpdf_oh_replace_key(q, qpdf_get_trailer(q), "/Info", qpdf_make_indirect_object(q, info));
}

static int set_metadata(qpdf_data q, json_t *result, const struct package_info *info,
    struct err *e)
{
	struct pdfa_meta m;
	pdfa_meta_init(&m, result, info);
	char *xmp = pdfa_xmp(&m, result, info);
	/* The writer leaves /Type /Metadata streams uncompressed, as PDF/A readers
	 * that scan for the packet expect. */
	qpdf_oh md = pdfa_new_stream(q, xmp, strlen(xmp), "<< /Type /Metadata /Subtype /XML >>");
	qpdf_oh_replace_key(q, qpdf_get_root(q), "/Metadata", md);
	set_info(q, &m);
	free(xmp);
	pdfa_meta_clear(&m);
	return pdfa_qpdf_ok(q, "metadata", e);
}

static int mark_first_page(qpdf_data q, const struct package_info *info, struct err *e)
{
	char when[32];
	if (qpdf_get_num_pages(q) < 1) {
		err_set(e, "the PDF has no pages");
		return -1;
	}
	if (info->agency_name == NULL || *info->agency_name == '\0') {
		err_set(e, "the e-copy mark needs the copying agency's name");
		return -1;
	}
	time_iso8601_vn(info->signing_time, when);
	const char *lines[] = {
		info->copy_form != NULL ? info->copy_form : "SAO Y", info->agency_name, when,
	};
	qpdf_oh page = qpdf_get_page_n(q, 0);
	if (pdfa_qpdf_ok(q, "page 1", e) < 0)
		return -1;
	return pdfa_mark_page(q, page, lines, sizeof(lines) / sizeof(lines[0]), e);
}

/*
 * A classic xref table and no object streams: the signature appends an
 * incremental update with its own classic xref. Existing streams keep their
 * bytes (decode level none: the scan's JPEG or G4 data is not touched); new
 * ones are compressed. PDF/A wants an EOL before every endstream.
 */
static int write_pdf(qpdf_data q, const char *out_pdf, struct err *e)
{
	if (qpdf_init_write_memory(q) & QPDF_ERRORS)
		return qpdf_failed(q, "cannot start writing the PDF/A", e);
	qpdf_set_object_stream_mode(q, qpdf_o_disable);
	qpdf_set_qdf_mode(q, QPDF_FALSE);
	qpdf_set_compress_streams(q, QPDF_TRUE);
	qpdf_set_decode_level(q, qpdf_dl_none);
	qpdf_set_preserve_encryption(q, QPDF_FALSE);
	qpdf_set_newline_before_endstream(q, QPDF_TRUE);
	qpdf_set_suppress_original_object_IDs(q, QPDF_TRUE);
	qpdf_set_deterministic_ID(q, QPDF_TRUE);
	qpdf_set_minimum_pdf_version(q, "1.7");
	if (qpdf_write(q) & QPDF_ERRORS)
		return qpdf_failed(q, "cannot write the PDF/A", e);
	size_t len = qpdf_get_buffer_length(q);
	const unsigned char *data = qpdf_get_buffer(q);
	if (data == NULL || len == 0) {
		err_set(e, "qpdf wrote an empty PDF");
		return -1;
	}
	return file_write_atomic(out_pdf, data, len, 0644, e);
}

static void log_warnings(qpdf_data q, const char *in_pdf)
{
	while (qpdf_more_warnings(q)) {
		qpdf_error w = qpdf_next_warning(q);
		log_debug("%s: qpdf: %s", in_pdf, qpdf_get_error_full_text(q, w));
	}
}

int package_pdfa(const char *in_pdf, const char *out_pdf, json_t *result,
    const struct package_info *info, struct err *e)
{
	int rc = -1;
	qpdf_data q = qpdf_init();
	if (q == NULL)
		fatalx("out of memory starting qpdf");
	/* Every error is checked here; qpdf must not print them too. */
	qpdf_silence_errors(q);
	if (qpdf_read(q, in_pdf, NULL) & QPDF_ERRORS) {
		qpdf_failed(q, "cannot read the searchable PDF", e);
		goto out;
	}
	if (set_output_intent(q, e) < 0 || set_metadata(q, result, info, e) < 0 ||
	    mark_first_page(q, info, e) < 0 || write_pdf(q, out_pdf, e) < 0)
		goto out;
	rc = 0;
out:
	log_warnings(q, in_pdf);
	qpdf_cleanup(&q);
	return rc;
}
