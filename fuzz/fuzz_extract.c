/*
 * fuzz_extract: the field extractor on text laid out as OCR would give it.
 * The input is text: '\f' separates pages (an empty page is a blank one),
 * '\n' lines, ' ' words. A line "QR:<payload>" is the page's QR code instead.
 * A line may start with "@X,Y[,W[,H]] " to place it, W its width and H its
 * height (else it goes 60 px under the one before, at x 200, indented by its
 * leading spaces); each extra space between words widens the gap (wide gaps
 * split a line into columns). A character is 20 px wide (W / characters when
 * W is given), a line 40 px high, the page 2480 x 3508; confidences come
 * from a hash of the word. Lines "field=value" and the first lines also go through
 * extract_check_value for every field.
 */
#include "fuzz/fuzz_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipeline/extract_int.h"
#include "pipeline/pipeline.h"

#define PAGES_MAX 16
#define WORDS_MAX 4000
#define CHAR_W 20
#define LINE_H 40
#define LINE_STEP 60
#define PAGE_W 2480
#define PAGE_H 3508
#define COORD_MAX 20000
/* 2025-06-30T12:00:00+07:00: dates after it are refused, as after a scan's time. */
#define NOW ((time_t)1751259600)

static struct extractor *x;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct err e = { 0 };
	log_set_level(LOG_LEVEL_ERROR);
	if (extractor_new(fuzz_data_dir(), &x, &e) < 0)
		fatalx("extractor_new: %s", e.msg);
	return 0;
}

struct page_build {
	struct ocr_page ocr;
	char *qr;
	size_t cap;
};

static int clamp(long v)
{
	return v < 0 ? 0 : v > COORD_MAX ? COORD_MAX : (int)v;
}

static unsigned codepoints(const char *s, size_t n)
{
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

static float confidence(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return 60.0f + (float)(h % 400) / 10.0f;
}

static void add_word(struct page_build *pb, const char *s, size_t n, long xpos, long y,
    long cw, int h, int line)
{
	struct ocr_page *p = &pb->ocr;
	if (p->nwords >= WORDS_MAX)
		return;
	if (p->nwords == pb->cap) {
		pb->cap = pb->cap ? 2 * pb->cap : 64;
		p->words = xrealloc(p->words, pb->cap * sizeof(*p->words));
	}
	char *raw = fuzz_strndup((const uint8_t *)s, n);
	struct ocr_word *w = &p->words[p->nwords++];
	memset(w, 0, sizeof(*w));
	w->text = text_nfc(raw);  /* as ocr.c hands words on */
	free(raw);
	w->x = clamp(xpos);
	w->y = clamp(y);
	w->w = clamp((long)codepoints(s, n) * cw);
	w->h = h;
	w->confidence = confidence(s, n);
	w->line = w->par = line;
}

/* "@X,Y[,W[,H]] " at the start of a line: 0 when absent, else the bytes it takes. */
static size_t placement(const char *s, size_t n, long v[4], int *nv)
{
	char head[80];
	long got[4];
	int used = 0;
	size_t k = n < sizeof(head) - 1 ? n : sizeof(head) - 1;
	if (n < 2 || s[0] != '@')
		return 0;
	memcpy(head, s, k);
	head[k] = '\0';
	*nv = sscanf(head, "@%ld,%ld%n,%ld%n,%ld%n", &got[0], &got[1], &used, &got[2], &used,
	    &got[3], &used);
	if (*nv < 2)
		return 0;
	for (int i = 0; i < *nv; i++)  /* no overflow in the sums below */
		v[i] = got[i] < -COORD_MAX ? -COORD_MAX : got[i] > COORD_MAX ? COORD_MAX : got[i];
	return (size_t)used + (used < (int)k && head[used] == ' ');
}

/* One line of text (no '\n'), placed at or under *y. */
static void add_line(struct page_build *pb, const char *s, size_t n, long *y, int line)
{
	long v[4] = { 200, 0, 0, LINE_H }, cw = CHAR_W, xpos;
	int nv = 0;
	if (n >= 3 && memcmp(s, "QR:", 3) == 0) {
		free(pb->qr);
		pb->qr = fuzz_strndup((const uint8_t *)s + 3, n - 3);
		return;
	}
	size_t used = placement(s, n, v, &nv);
	s += used;
	n -= used;
	*y = nv >= 2 ? v[1] : *y + LINE_STEP;
	xpos = v[0];
	/* A width given: the characters share it, as a font's would. */
	if (nv >= 3 && n > 0) {
		unsigned k = codepoints(s, n);
		cw = v[2] / (long)(k ? k : 1);
		cw = cw < 4 ? 4 : cw > 200 ? 200 : cw;
	}
	int h = clamp(nv >= 4 ? v[3] : LINE_H);
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ') {
			xpos += cw;
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && s[j] != ' ')
			j++;
		add_word(pb, s + i, j - i, xpos, *y, cw, h, line);
		xpos += (long)codepoints(s + i, j - i) * cw;
		i = j;
	}
}

static void build_page(struct page_build *pb, const char *s, size_t n)
{
	long y = 100;
	int line = 0;
	pb->ocr.width = PAGE_W;
	pb->ocr.height = PAGE_H;
	pb->ocr.dpi = 300;
	for (size_t i = 0; i <= n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		add_line(pb, s + i, end - i, &y, line++);
		i = end + 1;
	}
	pb->ocr.text = fuzz_strndup((const uint8_t *)s, n);
}

/* extract_check_value on "field=value" lines and on the first lines for every field. */
static void check_values(const char *text, size_t n)
{
	struct err e;
	(void)extract_check_value("", NULL, NOW, &e);
	for (size_t i = 0, line = 0; i < n && line < 32; line++) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - text) : n;
		char *l = fuzz_strndup((const uint8_t *)text + i, end - i);
		char *eq = strchr(l, '=');
		if (eq != NULL) {
			*eq = '\0';
			(void)extract_check_value(l, eq + 1, NOW, &e);
			*eq = '=';
		}
		for (int f = 0; line < 4 && f < F_COUNT; f++)
			(void)extract_check_value(field_name((enum field)f), l, NOW, &e);
		free(l);
		i = end + 1;
	}
}

/* What extract_scan promises: an object with kind, fields and confidences in 0..1. */
static void check_result(json_t *res, size_t npages, size_t nblank)
{
	json_t *conf = json_object_get(res, "confidence"), *v;
	const char *k;
	if (nblank == npages)
		return;
	if (!json_is_string(json_object_get(res, "kind")) ||
	    !json_is_object(json_object_get(res, "fields")) || !json_is_object(conf))
		abort();
	json_object_foreach(conf, k, v)
		if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
			abort();
	char *dump = json_dumps(res, JSON_COMPACT);
	if (dump == NULL)
		abort();
	free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = size > 0 ? (const char *)data : "";
	struct page_build pb[PAGES_MAX];
	struct extract_page pages[PAGES_MAX];
	size_t np = 0, nblank = 0;
	memset(pb, 0, sizeof(pb));
	for (size_t i = 0; i <= size && np < PAGES_MAX;) {
		const char *ff = memchr(text + i, '\f', size - i);
		size_t end = ff ? (size_t)(ff - text) : size;
		if (end > i)
			build_page(&pb[np], text + i, end - i);
		pages[np].ocr = end > i ? &pb[np].ocr : NULL;
		pages[np].qr = pb[np].qr;
		nblank += end == i;
		np++;
		i = end + 1;
	}
	json_t *res = json_object();
	extract_scan(x, pages, np, NOW, res);
	check_result(res, np, nblank);
	if (getenv("FUZZ_VERBOSE") != NULL)
		json_dumpf(res, stderr, JSON_INDENT(1)), fputc('\n', stderr);
	json_decref(res);
	for (size_t i = 0; i < np; i++) {
		ocr_page_clear(&pb[i].ocr);
		free(pb[i].qr);
	}
	check_values(text, size);
	return 0;
}
