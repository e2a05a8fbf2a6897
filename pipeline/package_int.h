/*
 * Private to package*.c, the one qpdf pass that turns the renderer's PDF
 * into PDF/A-2b: package.c drives it and writes the file, package_xmp.c
 * writes the metadata, package_mark.c draws the e-copy mark with its font.
 */
#ifndef SOHOA_PIPELINE_PACKAGE_INT_H
#define SOHOA_PIPELINE_PACKAGE_INT_H

#include <qpdf/qpdf-c.h>

#include "pipeline/pipeline.h"

/* What the XMP and the Info dictionary both say; PDF/A wants them equal. */
struct pdfa_meta {
	char *title;        /* dc:title, /Title */
	char *creator;      /* dc:creator, /Author: the copying agency */
	char *description;  /* dc:description, /Subject */
	char *creator_tool; /* xmp:CreatorTool, /Creator */
	char *producer;     /* pdf:Producer, /Producer */
	char xmp_date[32];  /* 2026-11-22T09:15:00+07:00 */
	char pdf_date[32];  /* D:20261122091500+07'00' */
};
/* Fills m from the result's fields and info; free with pdfa_meta_clear(). */
void pdfa_meta_init(struct pdfa_meta *m, json_t *result, const struct package_info *info);
void pdfa_meta_clear(struct pdfa_meta *m);
/* The XMP packet, UTF-8, NUL-terminated; the caller frees it. */
char *pdfa_xmp(const struct pdfa_meta *m, json_t *result, const struct package_info *info);

/*
 * Draws `nlines` lines of UTF-8 text right-aligned at the top right of
 * `page` in an embedded subset of Liberation Serif, after the page's own
 * content, which is wrapped in q/Q so its graphics state cannot leak.
 */
int pdfa_mark_page(qpdf_data q, qpdf_oh page, const char *const *lines, size_t nlines,
    struct err *e);

/* -1 with qpdf's reason in e when the last qpdf calls failed. */
int pdfa_qpdf_ok(qpdf_data q, const char *what, struct err *e);
/* A new indirect stream holding a copy of data, unfiltered (the writer
 * compresses it), with the keys of `dict` ("<< /N 3 >>", may be NULL). */
qpdf_oh pdfa_new_stream(qpdf_data q, const void *data, size_t len, const char *dict);

#endif
