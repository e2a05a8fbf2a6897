/*
 * extract_gazetteer: the gazetteers (provinces, agencies, document types,
 * roles, surnames, fixed phrases), read from <data>/gazetteer/, and the
 * matching of a text against one of them. The repair of OCR lines against
 * them is extract_repair.c.
 *
 * Everything is compared through a key: the text folded (no diacritics, no
 * case), dashes as '-', and no space beside punctuation, so that OCR's
 * usual confusions ("ÚY" for "ỦY", "Sô :" for "Số:") compare equal.
 */
#include "pipeline/extract_gz.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define LIST_MAX_BYTES (1 << 20)
/* Spans may have more tokens than the entry has words ("Số :"). */
#define SPAN_SLACK 2

static const char *const list_files[GZ_COUNT] = {
	[GZ_PROVINCE] = "provinces.txt",
	[GZ_AGENCY] = "agencies.txt",
	[GZ_DOCTYPE] = "doctypes.txt",
	[GZ_ROLE] = "roles.txt",
	[GZ_SURNAME] = "surnames.txt",
	[GZ_PHRASE] = "phrases.txt",
};

/* ---- keys --------------------------------------------------------------- */

int gz_is_punct(char c)
{
	return c > 0x20 && c < 0x7f &&
	    !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z');
}

char *gz_copy_of(const char *s, size_t n)
{
	char *c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

size_t gz_count_cps(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* U+2010-U+2015 and U+2212, the dashes OCR gives for '-'. */
static size_t dash_len(const unsigned char *u)
{
	if (u[0] != 0xe2)
		return 0;
	if ((u[1] == 0x80 && u[2] >= 0x90 && u[2] <= 0x95) || (u[1] == 0x88 && u[2] == 0x92))
		return 3;
	return 0;
}

char *gz_match_key(const char *s)
{
	char *f = match_fold(s);
	size_t o = 0;
	if (f == NULL)
		return NULL;
	for (size_t i = 0; f[i] != '\0';) {
		size_t d = dash_len((const unsigned char *)f + i);
		f[o++] = d ? '-' : f[i];
		i += d ? d : 1;
	}
	f[o] = '\0';
	o = 0;
	for (size_t i = 0; f[i] != '\0'; i++) {
		if (f[i] == ' ' && ((o > 0 && gz_is_punct(f[o - 1])) || gz_is_punct(f[i + 1])))
			continue;
		f[o++] = f[i];
	}
	f[o] = '\0';
	return f;
}

int gz_all_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* ---- case ------------------------------------------------------------------ */
/*
 * A repair mends letters, not case: the entry is written in the case of the
 * span, word by word ("Quyết đinh" -> "Quyết định", never "QUYẾT ĐỊNH";
 * "ÚY BAN" -> "ỦY BAN"). A digit read for a letter ("d0") says nothing.
 */

#define CASES_MAX 64

static size_t next_cp(const char *s, const char *end, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, end - s, cp);
	if (k > 0)
		return (size_t)k;
	*cp = -1;
	return 1;
}

/* 1 upper case, -1 lower case, 0 neither. */
static int case_of(utf8proc_int32_t cp)
{
	return cp < 0 ? 0 : utf8proc_isupper(cp) ? 1 : utf8proc_islower(cp) ? -1 : 0;
}

/* The case of the first letter of s[0..n) (0: no letter); *upper and
 * *lower (may be NULL) whether it has upper-case and lower-case letters. */
int gz_case_scan(const char *s, size_t n, int *upper, int *lower)
{
	int first = 0, u = 0, l = 0;
	for (const char *p = s, *end = s + n; p < end;) {
		utf8proc_int32_t cp;
		p += next_cp(p, end, &cp);
		int c = case_of(cp);
		first = first != 0 ? first : c;
		u |= c > 0;
		l |= c < 0;
	}
	if (upper != NULL)
		*upper = u;
	if (lower != NULL)
		*lower = l;
	return first;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* How many words s[0..n) has; the first max of them in w. */
size_t gz_split_words(const char *s, size_t n, struct word *w, size_t max)
{
	size_t c = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && is_blank(s[i]))
			i++;
		size_t start = i;
		while (i < n && !is_blank(s[i]))
			i++;
		if (i > start && c < max)
			w[c] = (struct word){ s + start, i - start };
		c += i > start;
	}
	return c;
}

/* Equal but for the white space between words. */
int gz_same_words(const char *a, size_t na, const char *b, size_t nb)
{
	struct word wa[WORDS_MAX], wb[WORDS_MAX];
	size_t ca = gz_split_words(a, na, wa, WORDS_MAX), cb = gz_split_words(b, nb, wb, WORDS_MAX);
	if (ca != cb || ca > WORDS_MAX)
		return 0;
	for (size_t i = 0; i < ca; i++)
		if (wa[i].n != wb[i].n || memcmp(wa[i].p, wb[i].p, wa[i].n) != 0)
			return 0;
	return 1;
}

static void append_cased(struct buf *b, utf8proc_int32_t cp, int want)
{
	utf8proc_uint8_t enc[4];
	cp = want > 0 ? utf8proc_toupper(cp) : want < 0 ? utf8proc_tolower(cp) : cp;
	buf_append(b, enc, (size_t)utf8proc_encode_char(cp, enc));
}

/* Entry word w in the case of span word s; dflt when s says nothing. */
static void word_like(struct buf *b, struct word w, struct word s, int dflt)
{
	int c[CASES_MAX], rest;
	size_t cnt = 0, j = 0;
	for (const char *p = s.p, *end = s.p + s.n; p < end;) {
		utf8proc_int32_t cp;
		p += next_cp(p, end, &cp);
		if (case_of(cp) != 0 && cnt < CASES_MAX)
			c[cnt++] = case_of(cp);
	}
	rest = cnt <= 1 ? dflt : c[1];
	for (size_t i = 2; i < cnt; i++)
		rest = c[i] == rest ? rest : 0;  /* 0: mixed, letter by letter */
	for (const char *p = w.p, *end = w.p + w.n; p < end;) {
		utf8proc_int32_t cp;
		p += next_cp(p, end, &cp);
		int want = 0;
		if (case_of(cp) != 0) {
			want = j == 0 ? (cnt > 0 ? c[0] : dflt) : rest != 0 ? rest :
			    c[j < cnt ? j : cnt - 1];
			j++;
		}
		append_cased(b, cp, want);
	}
}

char *gz_cased_like(const char *entry, const char *src, size_t n)
{
	struct word we[WORDS_MAX], ws[WORDS_MAX];
	struct buf b = { 0 };
	size_t len = strlen(entry);
	size_t ne = gz_split_words(entry, len, we, WORDS_MAX), ns = gz_split_words(src, n, ws, WORDS_MAX);
	int lower, upper;
	gz_case_scan(src, n, &upper, &lower);
	buf_append(&b, "", 0);
	if (ne == ns && ne <= WORDS_MAX) {
		for (size_t i = 0; i < ne; i++) {
			if (i > 0)
				buf_append(&b, " ", 1);
			word_like(&b, we[i], ws[i], lower ? -1 : 1);
		}
		return b.data;
	}
	/* "Độc lập-Tự do" for "Độc lập - Tự do": no word to follow, only the span. */
	for (const char *p = entry, *end = entry + len; p < end;) {
		utf8proc_int32_t cp;
		p += next_cp(p, end, &cp);
		append_cased(&b, cp, !lower ? 1 : !upper ? -1 : 0);
	}
	return b.data;
}

/* ---- loading -------------------------------------------------------------- */

static void entries_free(struct gz_entries *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].abbrev);
		free(l->v[i].key);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static char *trim(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Takes text (NFC, malloc'd); 0, or -1 with the reason in e. */
static int entries_add(struct gz_entries *l, char *text, const char *abbrev, struct err *e)
{
	char *key = gz_match_key(text);
	const char *why = key == NULL || key[0] == '\0' ? "has nothing to match" : NULL;
	for (size_t i = 0; i < l->n && why == NULL; i++)
		why = strcmp(l->v[i].text, text) == 0 ? "is there twice" : NULL;
	if (why != NULL) {
		err_set(e, "\"%s\" %s", text, why);
		free(key);
		free(text);
		return -1;
	}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	struct gz_entry *en = &l->v[l->n++];
	en->text = text;
	en->abbrev = abbrev != NULL ? xstrdup(abbrev) : NULL;
	en->key = key;
	en->cps = gz_count_cps(key, strlen(key));
	en->words = (int)gz_split_words(text, strlen(text), NULL, 0);
	return 0;
}

static int parse_line(struct gz_entries *l, enum gz_list list, char *line, struct err *e)
{
	char *abbrev = NULL;
	line = trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if (list == GZ_DOCTYPE) {
		char *sep = strpbrk(line, "|\t");
		if (sep == NULL) {
			err_set(e, "\"%s\" has no '|' before its abbreviation", line);
			return -1;
		}
		*sep = '\0';
		abbrev = trim(sep + 1);
		line = trim(line);
	}
	char *nfc = (char *)utf8proc_NFC((const utf8proc_uint8_t *)line);
	if (nfc == NULL) {
		err_set(e, "not UTF-8");
		return -1;
	}
	return entries_add(l, nfc, abbrev, e);
}

static int load_list(struct gazetteer *g, const char *dir, enum gz_list list, struct err *e)
{
	int rc = -1, lineno = 0;
	char *path = xasprintf("%s/gazetteer/%s", dir, list_files[list]);
	struct buf b = { 0 };
	if (file_read_all(path, LIST_MAX_BYTES, &b, e) < 0) {
		err_prefix(e, "%s", path);
		goto out;
	}
	for (char *line = b.data, *next; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if (parse_line(&g->lists[list], list, line, e) < 0) {
			err_prefix(e, "%s, line %d", path, lineno);
			goto out;
		}
	}
	if (g->lists[list].n == 0) {
		err_set(e, "%s: no entries", path);
		goto out;
	}
	rc = 0;
out:
	free(b.data);
	free(path);
	return rc;
}

/* OCR lines say "TỈNH HƯNG YÊN": with the prefix the span is long enough
 * to be trusted, and the prefix gets repaired too. */
static void add_prefixed(struct gazetteer *g)
{
	static const char *const prefixes[] = { "tỉnh", "thành phố" };  /* any case */
	const struct gz_entries *p = &g->lists[GZ_PROVINCE];
	struct err e = { 0 };
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < sizeof(prefixes) / sizeof(prefixes[0]); j++)
			if (entries_add(&g->prefixed, xasprintf("%s %s", prefixes[j], p->v[i].text),
			    NULL, &e) < 0)
				fatalx("gazetteer: %s", e.msg);
}

static void add_key(struct gazetteer *g, const struct gz_entry *en, enum gz_list list)
{
	struct gz_key *k = &g->keys[g->nkeys++];
	k->e = en;
	k->list = list;
	k->solo = en->words == 1;
	k->needs_number = k->solo && list == GZ_PHRASE;
	for (const char *c = en->key; *c != '\0' && k->needs_number; c++)
		k->needs_number = !gz_is_punct(*c);
	if ((size_t)en->words + SPAN_SLACK > g->max_words)
		g->max_words = (size_t)en->words + SPAN_SLACK;
	if (en->cps > g->max_cps)
		g->max_cps = en->cps;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gz_key *)a)->e->key, ((const struct gz_key *)b)->e->key);
}

static int len_cmp(const void *a, const void *b)
{
	size_t x = (*(const struct gz_key *const *)a)->e->cps;
	size_t y = (*(const struct gz_key *const *)b)->e->cps;
	return x < y ? -1 : x > y;
}

static void build_index(struct gazetteer *g)
{
	size_t total = g->prefixed.n;
	for (int l = 0; l < GZ_COUNT; l++)
		total += l == GZ_SURNAME ? 0 : g->lists[l].n;
	g->keys = xcalloc(total, sizeof(*g->keys));
	for (int l = 0; l < GZ_COUNT; l++)
		for (size_t i = 0; l != GZ_SURNAME && i < g->lists[l].n; i++)
			add_key(g, &g->lists[l].v[i], (enum gz_list)l);
	for (size_t i = 0; i < g->prefixed.n; i++)
		add_key(g, &g->prefixed.v[i], GZ_PROVINCE);
	qsort(g->keys, g->nkeys, sizeof(*g->keys), key_cmp);
	g->by_len = xcalloc(g->nkeys, sizeof(*g->by_len));
	for (size_t i = 0; i < g->nkeys; i++)
		g->by_len[i] = &g->keys[i];
	qsort(g->by_len, g->nkeys, sizeof(*g->by_len), len_cmp);
}

int gazetteer_load(const char *dir, struct gazetteer **out, struct err *e)
{
	int rc = -1;
	struct gazetteer *g = xcalloc(1, sizeof(*g));
	for (int l = 0; l < GZ_COUNT; l++)
		if (load_list(g, dir, (enum gz_list)l, e) < 0)
			goto out;
	add_prefixed(g);
	build_index(g);
	*out = g;
	g = NULL;
	rc = 0;
out:
	gazetteer_free(g);
	return rc;
}

void gazetteer_free(struct gazetteer *g)
{
	if (g == NULL)
		return;
	for (int l = 0; l < GZ_COUNT; l++)
		entries_free(&g->lists[l]);
	entries_free(&g->prefixed);
	free(g->keys);
	free(g->by_len);
	free(g);
}

size_t gazetteer_count(const struct gazetteer *g, enum gz_list l)
{
	return l < GZ_COUNT ? g->lists[l].n : 0;
}

/* ---- matching one text ------------------------------------------------------ */

/* a[0..n) and b are the same text but for case. */
int gz_same_upper(const char *a, size_t n, const char *b)
{
	char *c = gz_copy_of(a, n), *ua = text_upper(c), *ub = text_upper(b);
	int same = strcmp(ua, ub) == 0;
	free(c);
	free(ua);
	free(ub);
	return same;
}

static size_t allowed_distance(size_t cps)
{
	return cps < 5 ? 0 : cps <= 10 ? 1 : 2;
}

/* The entry at distance d that is the text as written, else the only one
 * there ("Đồng" and "Đông" fold alike), else NULL. */
static const struct gz_entry *closest(const struct gz_entries *l, const size_t *dist,
    size_t d, const char *text)
{
	const struct gz_entry *found = NULL;
	int ambiguous = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (dist[i] != d)
			continue;
		if (d == 0 && gz_same_upper(text, strlen(text), l->v[i].text))
			return &l->v[i];
		if (found != NULL && !gz_same_upper(found->text, strlen(found->text), l->v[i].text))
			ambiguous = 1;
		found = found != NULL ? found : &l->v[i];
	}
	return ambiguous ? NULL : found;
}

const char *gazetteer_match(const struct gazetteer *g, enum gz_list l, const char *text,
    size_t *distance, const char **abbrev)
{
	const struct gz_entry *best = NULL;
	size_t best_d = (size_t)-1, *dist = NULL;
	char *key = l < GZ_COUNT ? gz_match_key(text) : NULL;
	if (key != NULL) {
		const struct gz_entries *list = &g->lists[l];
		dist = xcalloc(list->n, sizeof(*dist));
		for (size_t i = 0; i < list->n; i++) {
			dist[i] = strcmp(key, list->v[i].key) == 0 ? 0 :
			    text_distance(key, list->v[i].key);
			best_d = dist[i] < best_d ? dist[i] : best_d;
		}
		if (best_d <= allowed_distance(gz_count_cps(key, strlen(key))))
			best = closest(list, dist, best_d, text);
	}
	free(dist);
	free(key);
	if (distance != NULL)
		*distance = best_d;
	if (abbrev != NULL)
		*abbrev = best != NULL ? best->abbrev : NULL;
	return best != NULL ? best->text : NULL;
}
