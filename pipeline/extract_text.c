/*
 * extract_text: the Unicode work behind matching OCR text against the
 * gazetteers: folding away diacritics and case, upper-casing, distance.
 */
#include "pipeline/extract_int.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define D_STROKE_UPPER 0x0110
#define D_STROKE_LOWER 0x0111

static void append_cp(struct buf *b, utf8proc_int32_t cp)
{
	utf8proc_uint8_t enc[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
	buf_append(b, enc, (size_t)n);
}

static int is_space(utf8proc_int32_t cp)
{
	return cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
	    utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* Upper case, đ as D, white space runs as one space, trimmed. */
static char *fold_decomposed(const utf8proc_uint8_t *p)
{
	struct buf b = { 0 };
	int pending_space = 0;
	buf_append(&b, "", 0);
	while (*p != '\0') {
		utf8proc_int32_t cp;
		p += utf8proc_iterate(p, -1, &cp);
		if (is_space(cp)) {
			pending_space = b.len > 0;
			continue;
		}
		if (pending_space)
			buf_append(&b, " ", 1);
		pending_space = 0;
		append_cp(&b, cp == D_STROKE_UPPER || cp == D_STROKE_LOWER ? 'D' :
		    utf8proc_toupper(cp));
	}
	return b.data;
}

char *match_fold(const char *s)
{
	utf8proc_uint8_t *nfd = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &nfd,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK);
	if (n == UTF8PROC_ERROR_NOMEM)
		fatalx("out of memory");
	if (n < 0)
		return NULL;
	char *out = fold_decomposed(nfd);
	free(nfd);
	return out;
}

char *text_upper(const char *s)
{
	struct buf b = { 0 };
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	buf_append(&b, "", 0);
	while (*p != '\0') {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cp);
		if (k < 0) {  /* not UTF-8: the byte as it is */
			buf_append(&b, p, 1);
			p++;
			continue;
		}
		append_cp(&b, utf8proc_toupper(cp));
		p += k;
	}
	return b.data;
}

/* The code points of s; bytes that are not UTF-8 count as one each. */
static utf8proc_int32_t *code_points(const char *s, size_t *n)
{
	size_t len = strlen(s), i = 0;
	utf8proc_int32_t *cps = xmalloc((len + 1) * sizeof(*cps));
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	while (*p != '\0') {
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cps[i]);
		if (k < 0) {
			cps[i] = -(utf8proc_int32_t)*p;
			k = 1;
		}
		p += k;
		i++;
	}
	*n = i;
	return cps;
}

size_t text_distance(const char *a, const char *b)
{
	size_t na, nb;
	utf8proc_int32_t *ca = code_points(a, &na), *cb = code_points(b, &nb);
	size_t *row = xmalloc((nb + 1) * sizeof(*row));
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t best = diag + (ca[i - 1] != cb[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	size_t d = row[nb];
	free(row);
	free(ca);
	free(cb);
	return d;
}
