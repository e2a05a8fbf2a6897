/*
 * decode: what decode.c and the PDF reader (decode_pdf.c) share. Not part of
 * the pipeline's interface.
 */
#ifndef SOHOA_DECODE_INT_H
#define SOHOA_DECODE_INT_H

#include "pipeline/pipeline.h"

/* "12 Mpx", "3.5 Mpx": pixel counts as the clerk reads them. */
void decode_format_mpx(char *out, size_t n, uint64_t px);
int decode_too_many_pages(const struct decode_limits *lim, struct err *e);
/* The resolution rounded, or 0 when it is outside 70..1200 dpi. */
int decode_plausible_dpi(double res);

/*
 * A PDF read in place from `file`, which must outlive it. pdf_open refuses
 * encrypted and signed files and checks the page count, the size of every
 * embedded image and every page's rendered size against `lim`.
 */
struct pdf_doc;
int pdf_open(const struct buf *file, const struct decode_limits *lim,
    struct pdf_doc **out, struct err *e);
unsigned pdf_page_count(const struct pdf_doc *p);
/* Renders page `index` (from 0); on error *out stays empty. */
int pdf_page_render(struct pdf_doc *p, unsigned index, struct page_image *out,
    struct err *e);
void pdf_close(struct pdf_doc *p);

#endif
