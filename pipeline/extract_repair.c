/*
 * extract_repair: the repair of OCR lines against the gazetteers
 * (extract_gazetteer.c): the longest spans of a line that are entries are
 * written as the gazetteer writes them, in the case of the line.
 *
 * Spans are compared through their keys (gz_match_key), so that OCR's
 * usual confusions ("ÚY" for "ỦY", "Sô :" for "Số:") compare equal.
 */
#include "pipeline/extract_gz.h"

#include <stdlib.h>
#include <string.h>

/* A repair that is not an exact folded match needs this many characters. */
#define FUZZY_MIN_CPS 10

/* ---- repairing a line --------------------------------------------------------- */

struct token {
	size_t start, end;   /* bytes of the line */
	char *key;           /* NULL: nothing to match (not UTF-8, marks only) */
	size_t klen;
	size_t klead, ktrail;  /* punctuation at the ends of key */
	size_t rlead, rtrail;  /* and of the raw text */
};

struct line {
	const char *text;
	struct token *tok;
	size_t n;
};

/* A span of k tokens that is an entry (k 0: none yet); repl NULL when it
 * is already right. */
struct hit {
	size_t first, k;
	int lead, trail;  /* punctuation left out at the start, at the end */
	char *repl;
};

static size_t punct_run(const char *s, size_t n, int from_end)
{
	size_t c = 0;
	while (c < n && gz_is_punct(s[from_end ? n - 1 - c : c]))
		c++;
	return c;
}

static void token_add(struct line *ln, size_t start, size_t end)
{
	char *raw = gz_copy_of(ln->text + start, end - start);
	struct token *t = &ln->tok[ln->n++];
	memset(t, 0, sizeof(*t));
	t->start = start;
	t->end = end;
	t->key = gz_match_key(raw);
	if (t->key != NULL && t->key[0] == '\0') {
		free(t->key);
		t->key = NULL;
	}
	if (t->key != NULL) {
		t->klen = strlen(t->key);
		t->klead = punct_run(t->key, t->klen, 0);
		t->ktrail = t->klead == t->klen ? 0 : punct_run(t->key, t->klen, 1);
		t->rlead = punct_run(raw, end - start, 0);
		t->rtrail = t->rlead == end - start ? 0 : punct_run(raw, end - start, 1);
		/* trimmed where key and text agree, and never to nothing */
		if (t->klead == t->klen || t->klead != t->rlead)
			t->klead = t->rlead = 0;
		if (t->ktrail != t->rtrail)
			t->ktrail = t->rtrail = 0;
	}
	free(raw);
}

static void tokenise(struct line *ln, const char *text)
{
	size_t len = strlen(text), max = len / 2 + 1;
	struct word *w = xcalloc(max, sizeof(*w));
	size_t n = gz_split_words(text, len, w, max);
	ln->text = text;
	ln->n = 0;
	ln->tok = xcalloc(n + 1, sizeof(*ln->tok));
	for (size_t i = 0; i < n; i++)
		token_add(ln, (size_t)(w[i].p - text), (size_t)(w[i].p - text) + w[i].n);
	free(w);
}

static void line_free(struct line *ln)
{
	for (size_t i = 0; i < ln->n; i++)
		free(ln->tok[i].key);
	free(ln->tok);
}

/* Appends token t's key as gz_match_key would join it to what b holds. */
static void key_append(struct buf *b, const struct token *t, int lead)
{
	const char *k = t->key + (lead ? t->klead : 0);
	if (b->len > 0 && !gz_is_punct(b->data[b->len - 1]) && !gz_is_punct(k[0]))
		buf_append(b, " ", 1);
	buf_append(b, k, strlen(k));
}

/* strcmp of an entry's key with key[0..n). */
static int key_cmp_n(const char *entry, const char *key, size_t n)
{
	int c = strncmp(entry, key, n);
	return c != 0 ? c : entry[n] != '\0';
}

static size_t lower_bound(const struct gazetteer *g, const char *key, size_t n)
{
	size_t lo = 0, hi = g->nkeys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp_n(g->keys[mid].e->key, key, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int is_key_prefix(const struct gazetteer *g, const char *key, size_t n)
{
	size_t lb = lower_bound(g, key, n);
	return lb < g->nkeys && strncmp(g->keys[lb].e->key, key, n) == 0;
}

/* One word is too little to go on: only a phrase, and only where it is
 * expected ("sơ:" is no "Số:", "Nam" no "năm"). */
static int allowed(const struct gz_key *c, const struct line *ln, const struct hit *h)
{
	if (!c->solo)
		return 1;
	if (c->list != GZ_PHRASE)
		return 0;
	if (!c->needs_number)
		return h->first == 0;
	size_t next = h->first + h->k;
	char d = next < ln->n ? ln->text[ln->tok[next].start] : '\0';
	return !h->trail && d >= '0' && d <= '9';
}

/* The bytes of the line that the hit replaces. */
static void hit_bytes(const struct line *ln, const struct hit *h, size_t *start, size_t *end)
{
	const struct token *a = &ln->tok[h->first], *z = &ln->tok[h->first + h->k - 1];
	*start = a->start + (h->lead ? a->rlead : 0);
	*end = z->end - (h->trail ? z->rtrail : 0);
}

/* ---- names ------------------------------------------------------------------ */
/* Names are made of the same syllables as places and roles: "Nguyễn Thị
 * Thanh Hoa" is no "Thanh Hóa", "Trương Văn" no "Trưởng ban". */

/* w is a surname as written ("Trương", not "trưởng"). */
static int is_surname(const struct gazetteer *g, struct word w)
{
	const struct gz_entries *sn = &g->lists[GZ_SURNAME];
	char *raw = gz_copy_of(w.p, w.n), *key = gz_match_key(raw);
	int found = 0;
	for (size_t i = 0; key != NULL && i < sn->n && !found; i++)
		found = strcmp(key, sn->v[i].key) == 0 && gz_same_upper(w.p, w.n, sn->v[i].text);
	free(key);
	free(raw);
	return found;
}

/* The word before the span is "Thị", or a surname written as a name (in
 * capitals "GIANG" may as well end "AN GIANG"). */
static int after_name(const struct gazetteer *g, const struct line *ln, const struct hit *h)
{
	const struct token *t = h->first > 0 ? &ln->tok[h->first - 1] : NULL;
	int lower;
	if (t == NULL || t->key == NULL)
		return 0;
	struct word w = { ln->text + t->start, t->end - t->start };
	if (gz_same_upper(w.p, w.n, "Thị"))
		return 1;
	return gz_case_scan(w.p, w.n, NULL, &lower) > 0 && lower && is_surname(g, w);
}

static int rewrites_surname(const struct gazetteer *g, const char *old, size_t n,
    const char *repl)
{
	struct word wo[WORDS_MAX], wr[WORDS_MAX];
	size_t no = gz_split_words(old, n, wo, WORDS_MAX), nr = gz_split_words(repl, strlen(repl), wr,
	    WORDS_MAX);
	for (size_t i = 0; i < no && i < WORDS_MAX; i++)
		if ((no != nr || !gz_same_words(wo[i].p, wo[i].n, wr[i].p, wr[i].n)) &&
		    is_surname(g, wo[i]))
			return 1;
	return 0;
}

/* ---- choosing ---------------------------------------------------------------- */

/*
 * Sets h->repl from the candidates: none if one of them is already what the
 * line says, the same text from all of them, or nothing when they disagree.
 * Returns 1 when the span is an entry (changed or not), -1 when they
 * disagree, 0 when there are none.
 */
static int decide(const struct line *ln, struct hit *h, const struct gz_key **cands, size_t n)
{
	size_t start, end;
	char *repl = NULL;
	hit_bytes(ln, h, &start, &end);
	for (size_t i = 0; i < n; i++) {
		char *r = gz_cased_like(cands[i]->e->text, ln->text + start, end - start);
		int same = gz_same_words(r, strlen(r), ln->text + start, end - start);
		if (same || (repl != NULL && strcmp(repl, r) != 0)) {
			free(r);
			free(repl);
			h->repl = NULL;
			return same ? 1 : -1;
		}
		if (repl == NULL)
			repl = r;
		else
			free(r);
	}
	h->repl = repl;
	return repl != NULL;
}

static void walk_at(const struct gazetteer *g, const struct line *ln, size_t i, int fuzzy,
    struct hit *best);

/* An entry starts inside the span: a near match must not swallow it. */
static int exact_inside(const struct gazetteer *g, const struct line *ln, const struct hit *h)
{
	for (size_t j = h->first + 1; j < h->first + h->k; j++) {
		struct hit inner = { 0 };
		if (ln->tok[j].key != NULL)
			walk_at(g, ln, j, 0, &inner);
		free(inner.repl);
		if (inner.k > 0)
			return 1;
	}
	return 0;
}

/* Repairs that would more likely damage the line than mend it. */
static int refused(const struct gazetteer *g, const struct line *ln, const struct hit *h,
    const char *entry, int fuzzy)
{
	size_t start, end, len = strlen(entry);
	hit_bytes(ln, h, &start, &end);
	const char *span = ln->text + start;
	int span_lower, entry_lower;
	int span_first = gz_case_scan(span, end - start, NULL, &span_lower);
	int entry_first = gz_case_scan(entry, len, NULL, &entry_lower);
	/* Names and places have capitals: "giá lại" is no "Gia Lai". */
	if (entry_first > 0 && span_first <= 0)
		return 1;
	if (span_first > 0 && after_name(g, ln, h))
		return 1;
	/* OCR drops marks far more often than it adds them: "GIÁ LẠI" and
	 * "GIÁ LAI" are no "GIA LAI". */
	if (gz_all_ascii(entry, len) && !gz_all_ascii(span, end - start))
		return 1;
	if (!fuzzy)
		return 0;
	/* Roles and types are repaired where they are in capitals. */
	if (!entry_lower && span_lower)
		return 1;
	return exact_inside(g, ln, h) || rewrites_surname(g, span, end - start, h->repl);
}

static void hit_take(struct hit *best, struct hit *h)
{
	if (best->k >= h->k) {
		free(h->repl);
		return;
	}
	free(best->repl);
	*best = *h;
}

/* Exactly one edit apart, on a letter, digit or space, not on punctuation:
 * "THOI GIAN GIAI QUYET," is not the label "Thời gian giải quyết:". */
static int one_edit(const char *a, size_t na, const char *b, size_t nb)
{
	if (na > nb)
		return one_edit(b, nb, a, na);
	if (nb - na > 1)
		return 0;
	size_t i = 0;
	while (i < na && a[i] == b[i])
		i++;
	if (na == nb)
		return i < na && !gz_is_punct(a[i]) && !gz_is_punct(b[i]) &&
		    memcmp(a + i + 1, b + i + 1, na - i - 1) == 0;
	return !gz_is_punct(b[i]) && memcmp(a + i, b + i + 1, na - i) == 0;
}

#define MAX_CANDS 16

static size_t exact_cands(const struct gazetteer *g, const struct line *ln,
    const struct hit *h, const char *key, size_t n, const struct gz_key **cands)
{
	size_t c = 0;
	for (size_t i = lower_bound(g, key, n); i < g->nkeys &&
	    key_cmp_n(g->keys[i].e->key, key, n) == 0; i++)
		if (c < MAX_CANDS && allowed(&g->keys[i], ln, h))
			cands[c++] = &g->keys[i];
	return c;
}

static size_t fuzzy_cands(const struct gazetteer *g, const struct line *ln,
    const struct hit *h, const char *key, size_t n, const struct gz_key **cands)
{
	size_t c = 0, cps = gz_count_cps(key, n);
	if (cps < FUZZY_MIN_CPS || !gz_all_ascii(key, n))
		return 0;
	size_t lo = 0, hi = g->nkeys;
	while (lo < hi) {  /* the first key of cps - 1 code points */
		size_t mid = lo + (hi - lo) / 2;
		if (g->by_len[mid]->e->cps + 1 < cps)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < g->nkeys && g->by_len[i]->e->cps <= cps + 1 && c < MAX_CANDS; i++) {
		const struct gz_key *k = g->by_len[i];
		if (!k->needs_number && one_edit(key, n, k->e->key, strlen(k->e->key)) &&
		    allowed(k, ln, h))
			cands[c++] = k;
	}
	return c;
}

/* Two entries that disagree on an exact span: the span is known, and left
 * as it is; on a near one, it is not theirs. */
static void span_try(const struct gazetteer *g, const struct line *ln, struct hit *h,
    const char *key, size_t n, int fuzzy, struct hit *best)
{
	const struct gz_key *cands[MAX_CANDS];
	size_t c;
	if (fuzzy && best->k >= h->k)
		return;
	c = fuzzy ? fuzzy_cands(g, ln, h, key, n, cands) : exact_cands(g, ln, h, key, n, cands);
	int d = c > 0 ? decide(ln, h, cands, c) : 0;
	if (d == 0 || (fuzzy && d < 0))
		return;
	if (h->repl != NULL && refused(g, ln, h, cands[0]->e->text, fuzzy)) {
		free(h->repl);
		return;
	}
	hit_take(best, h);
}

/* The longest span from token i that is an entry (fuzzy: one edit away). */
static void walk_at(const struct gazetteer *g, const struct line *ln, size_t i, int fuzzy,
    struct hit *best)
{
	struct buf b = { 0 };
	for (int lead = 0; lead <= (ln->tok[i].klead > 0); lead++) {
		b.len = 0;
		for (size_t k = 1; k <= g->max_words && i + k <= ln->n; k++) {
			const struct token *t = &ln->tok[i + k - 1];
			if (t->key == NULL)
				break;
			key_append(&b, t, k == 1 && lead);
			struct hit h = { i, k, lead, 0, NULL };
			span_try(g, ln, &h, b.data, b.len, fuzzy, best);
			if (t->ktrail > 0 && !(k == 1 && lead && t->klead + t->ktrail >= t->klen)) {
				h.trail = 1;
				span_try(g, ln, &h, b.data, b.len - t->ktrail, fuzzy, best);
			}
			if (fuzzy ? gz_count_cps(b.data, b.len) > g->max_cps + 1 :
			    !is_key_prefix(g, b.data, b.len))
				break;
		}
	}
	free(b.data);
}

char *gazetteer_repair_line(const struct gazetteer *g, const char *line, int *repairs)
{
	struct line ln;
	struct buf out = { 0 };
	size_t copied = 0;
	int n = 0;
	tokenise(&ln, line);
	buf_append(&out, "", 0);
	for (size_t i = 0; i < ln.n;) {
		struct hit h = { 0 };
		size_t start, end;
		if (ln.tok[i].key != NULL)
			walk_at(g, &ln, i, 0, &h);
		/* Every entry a near match may give starts with a capital (see refused). */
		if (h.k == 0 && ln.tok[i].key != NULL && gz_case_scan(line + ln.tok[i].start,
		    ln.tok[i].end - ln.tok[i].start, NULL, NULL) > 0)
			walk_at(g, &ln, i, 1, &h);
		if (h.k == 0) {
			i++;
			continue;
		}
		if (h.repl != NULL) {
			hit_bytes(&ln, &h, &start, &end);
			buf_append(&out, line + copied, start - copied);
			buf_append(&out, h.repl, strlen(h.repl));
			copied = end;
			free(h.repl);
			n++;
		}
		i += h.k;
	}
	buf_append(&out, line + copied, strlen(line + copied));
	line_free(&ln);
	if (repairs != NULL)
		*repairs = n;
	return out.data;
}
