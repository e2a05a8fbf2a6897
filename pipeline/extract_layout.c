/*
 * extract_layout: the words of a page as segments of lines. Tesseract reads
 * the two header columns ("ỦY BAN NHÂN DÂN    CỘNG HÒA XÃ HỘI ...") and the
 * two signature blocks as one line; a gap wider than twice the text's
 * height splits them, so that every segment belongs to one column.
 */
#include "pipeline/extract_int.h"

#include <stdlib.h>
#include <string.h>

#define GAP_HEIGHTS 2.0

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int median_height(const struct ocr_word *w, size_t n)
{
	int *h = xmalloc((n ? n : 1) * sizeof(*h));
	for (size_t i = 0; i < n; i++)
		h[i] = w[i].h;
	qsort(h, n, sizeof(*h), cmp_int);
	int m = n ? h[n / 2] : 0;
	free(h);
	return m;
}

static void segment_from_words(const struct gazetteer *g, const struct ocr_word *w, size_t n,
    struct segment *s)
{
	struct buf text = { 0 };
	double sum = 0;
	memset(s, 0, sizeof(*s));
	s->x0 = w[0].x;
	s->y0 = w[0].y;
	s->conf_min = 1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_append(&text, " ", 1);
		buf_append(&text, w[i].text, strlen(w[i].text));
		s->x0 = w[i].x < s->x0 ? w[i].x : s->x0;
		s->y0 = w[i].y < s->y0 ? w[i].y : s->y0;
		s->x1 = w[i].x + w[i].w > s->x1 ? w[i].x + w[i].w : s->x1;
		s->y1 = w[i].y + w[i].h > s->y1 ? w[i].y + w[i].h : s->y1;
		float c = w[i].confidence / 100.0f;
		s->conf_min = c < s->conf_min ? c : s->conf_min;
		sum += c;
	}
	buf_append(&text, "", 1);
	s->conf_mean = (float)(sum / (double)n);
	s->text = gazetteer_repair_line(g, text.data, &s->repairs);
	s->folded = match_fold(s->text);
	if (s->folded == NULL)
		s->folded = xstrdup("");
	free(text.data);
}

static void push(struct page_lines *pl, size_t *cap, const struct segment *s)
{
	if (pl->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		pl->seg = xrealloc(pl->seg, *cap * sizeof(*pl->seg));
	}
	pl->seg[pl->n++] = *s;
}

/* Words [from, to) are one Tesseract line: cut it at the wide gaps. */
static void split_line(const struct gazetteer *g, const struct ocr_word *w, size_t from,
    size_t to, struct page_lines *pl, size_t *cap)
{
	int h = median_height(w + from, to - from);
	size_t start = from;
	for (size_t i = from + 1; i <= to; i++) {
		int gap = i < to ? w[i].x - (w[i - 1].x + w[i - 1].w) : 0;
		if (i < to && gap <= GAP_HEIGHTS * h)
			continue;
		struct segment s;
		segment_from_words(g, w + start, i - start, &s);
		if (s.folded[0] != '\0')
			push(pl, cap, &s);
		else {
			free(s.text);
			free(s.folded);
		}
		start = i;
	}
}

static int cmp_segment(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;
	int cx = (x->y0 + x->y1) / 2, cy = (y->y0 + y->y1) / 2;
	int hx = x->y1 - x->y0;
	/* On one line when the centres are within half a line: left to right. */
	if (abs(cx - cy) * 2 < hx)
		return (x->x0 > y->x0) - (x->x0 < y->x0);
	return (cx > cy) - (cx < cy);
}

/* The value at `share` (0..1) of what `get` reads from every segment. */
static int quantile(const struct page_lines *pl, int (*get)(const struct segment *),
    double share)
{
	if (pl->n == 0)
		return 0;
	int *v = xmalloc(pl->n * sizeof(*v));
	for (size_t i = 0; i < pl->n; i++)
		v[i] = get(&pl->seg[i]);
	qsort(v, pl->n, sizeof(*v), cmp_int);
	int q = v[(size_t)(share * (double)(pl->n - 1))];
	free(v);
	return q;
}

static int seg_height(const struct segment *s)
{
	return s->y1 - s->y0;
}

static int seg_x0(const struct segment *s)
{
	return s->x0;
}

static int seg_x1(const struct segment *s)
{
	return s->x1;
}

void page_lines_build(const struct gazetteer *g, const struct ocr_page *ocr,
    struct page_lines *out)
{
	size_t cap = 0, start = 0;
	memset(out, 0, sizeof(*out));
	out->width = ocr->width;
	out->height = ocr->height;
	for (size_t i = 1; i <= ocr->nwords; i++) {
		if (i < ocr->nwords && ocr->words[i].line == ocr->words[start].line)
			continue;
		if (i > start)
			split_line(g, ocr->words, start, i, out, &cap);
		start = i;
	}
	if (out->n > 1)
		qsort(out->seg, out->n, sizeof(*out->seg), cmp_segment);
	out->line_h = quantile(out, seg_height, 0.5);
	out->left = quantile(out, seg_x0, 0.1);
	out->right = quantile(out, seg_x1, 0.9);
	for (size_t i = 0; i < out->n; i++)
		log_debug("extract: %d,%d-%d,%d %s", out->seg[i].x0, out->seg[i].y0, out->seg[i].x1,
		    out->seg[i].y1, out->seg[i].text);
}

void page_lines_clear(struct page_lines *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->seg[i].text);
		free(pl->seg[i].folded);
	}
	free(pl->seg);
	memset(pl, 0, sizeof(*pl));
}

int segment_centred(const struct page_lines *pl, const struct segment *s)
{
	int centre = (s->x0 + s->x1) / 2;
	return abs(centre - pl->width / 2) * 100 <= 8 * pl->width;
}

int segment_centred_short(const struct page_lines *pl, const struct segment *s)
{
	int indent = 2 * pl->line_h;
	return segment_centred(pl, s) && s->x0 > pl->left + indent &&
	    s->x1 < pl->right - indent;
}
