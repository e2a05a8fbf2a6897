/*
 * extract_repair: the gazetteers (provinces, agencies, document types,
 * roles, surnames, fixed phrases) and the repair of OCR lines against them.
 *
 * Everything is compared through a key: the text folded (no diacritics, no
 * case), dashes as '-', and no space beside punctuation, so that OCR's
 * usual confusions ("ÚY" for "ỦY", "Sô :" for "Số:") compare equal.
 */
#include "pipeline/extract_int.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define LIST_MAX_BYTES (1 << 20)
/* Spans may have more tokens than the entry has words ("Số :"). */
#define SPAN_SLACK 2
/* A repair that is not an exact folded match needs this many characters. */
#define FUZZY_MIN_CPS 10

static const char *const list_files[GZ_COUNT] = {
	[GZ_PROVINCE] = "provinces.txt",
	[GZ_AGENCY] = "agencies.txt",
	[GZ_DOCTYPE] = "doctypes.txt",
	[GZ_ROLE] = "roles.txt",
	[GZ_SURNAME] = "surnames.txt",
	[GZ_PHRASE] = "phrases.txt",
};

struct gz_entry {
	char *text;    /* canonical, NFC */
	char *abbrev;  /* doctypes: the abbreviation, "" when none */
	char *key;
	size_t cps;    /* code points of key */
	int words;
};

struct gz_entries {
	struct gz_entry *v;
	size_t n;
};

/* What a line is searched for; surnames are not (see surnames.txt). */
struct gz_key {
	const struct gz_entry *e;
	enum gz_list list;
	int solo;          /* one word: only a phrase may be one word */
	int needs_number;  /* one word of letters ("năm"): only before a number */
};

struct gazetteer {
	struct gz_entries lists[GZ_COUNT];
	struct gz_entries prefixed;  /* "tỉnh Hưng Yên", "thành phố Huế" */
	struct gz_key *keys;         /* sorted by key */
	size_t nkeys;
	const struct gz_key **by_len;  /* the same, sorted by cps */
	size_t max_cps;
	size_t max_words;
};

/* ---- keys --------------------------------------------------------------- */

static int is_punct(char c)
{
	return c > 0x20 && c < 0x7f &&
	    !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z');
}

static char *copy_of(const char *s, size_t n)
{
	char *c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

static size_t count_cps(const char *s, size_t n)
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

static char *match_key(const char *s)
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
		if (f[i] == ' ' && ((o > 0 && is_punct(f[o - 1])) || is_punct(f[i + 1])))
			continue;
		f[o++] = f[i];
	}
	f[o] = '\0';
	return f;
}

static int all_ascii(const char *s, size_t n)
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

#define WORDS_MAX 64
#define CASES_MAX 64

struct word {
	const char *p;
	size_t n;
};

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
static int case_scan(const char *s, size_t n, int *upper, int *lower)
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
static size_t split_words(const char *s, size_t n, struct word *w, size_t max)
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
static int same_words(const char *a, size_t na, const char *b, size_t nb)
{
	struct word wa[WORDS_MAX], wb[WORDS_MAX];
	size_t ca = split_words(a, na, wa, WORDS_MAX), cb = split_words(b, nb, wb, WORDS_MAX);
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

static char *cased_like(const char *entry, const char *src, size_t n)
{
	struct word we[WORDS_MAX], ws[WORDS_MAX];
	struct buf b = { 0 };
	size_t len = strlen(entry);
	size_t ne = split_words(entry, len, we, WORDS_MAX), ns = split_words(src, n, ws, WORDS_MAX);
	int lower, upper;
	case_scan(src, n, &upper, &lower);
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
	char *key = match_key(text);
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
	en->cps = count_cps(key, strlen(key));
	en->words = (int)split_words(text, strlen(text), NULL, 0);
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
		k->needs_number = !is_punct(*c);
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
static int same_upper(const char *a, size_t n, const char *b)
{
	char *c = copy_of(a, n), *ua = text_upper(c), *ub = text_upper(b);
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
		if (d == 0 && same_upper(text, strlen(text), l->v[i].text))
			return &l->v[i];
		if (found != NULL && !same_upper(found->text, strlen(found->text), l->v[i].text))
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
	char *key = l < GZ_COUNT ? match_key(text) : NULL;
	if (key != NULL) {
		const struct gz_entries *list = &g->lists[l];
		dist = xcalloc(list->n, sizeof(*dist));
		for (size_t i = 0; i < list->n; i++) {
			dist[i] = strcmp(key, list->v[i].key) == 0 ? 0 :
			    text_distance(key, list->v[i].key);
			best_d = dist[i] < best_d ? dist[i] : best_d;
		}
		if (best_d <= allowed_distance(count_cps(key, strlen(key))))
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
	while (c < n && is_punct(s[from_end ? n - 1 - c : c]))
		c++;
	return c;
}

static void token_add(struct line *ln, size_t start, size_t end)
{
	char *raw = copy_of(ln->text + start, end - start);
	struct token *t = &ln->tok[ln->n++];
	memset(t, 0, sizeof(*t));
	t->start = start;
	t->end = end;
	t->key = match_key(raw);
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
	size_t n = split_words(text, len, w, max);
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

/* Appends token t's key as match_key would join it to what b holds. */
static void key_append(struct buf *b, const struct token *t, int lead)
{
	const char *k = t->key + (lead ? t->klead : 0);
	if (b->len > 0 && !is_punct(b->data[b->len - 1]) && !is_punct(k[0]))
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
	char *raw = copy_of(w.p, w.n), *key = match_key(raw);
	int found = 0;
	for (size_t i = 0; key != NULL && i < sn->n && !found; i++)
		found = strcmp(key, sn->v[i].key) == 0 && same_upper(w.p, w.n, sn->v[i].text);
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
	if (same_upper(w.p, w.n, "Thị"))
		return 1;
	return case_scan(w.p, w.n, NULL, &lower) > 0 && lower && is_surname(g, w);
}

static int rewrites_surname(const struct gazetteer *g, const char *old, size_t n,
    const char *repl)
{
	struct word wo[WORDS_MAX], wr[WORDS_MAX];
	size_t no = split_words(old, n, wo, WORDS_MAX), nr = split_words(repl, strlen(repl), wr,
	    WORDS_MAX);
	for (size_t i = 0; i < no && i < WORDS_MAX; i++)
		if ((no != nr || !same_words(wo[i].p, wo[i].n, wr[i].p, wr[i].n)) &&
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
		char *r = cased_like(cands[i]->e->text, ln->text + start, end - start);
		int same = same_words(r, strlen(r), ln->text + start, end - start);
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
	int span_first = case_scan(span, end - start, NULL, &span_lower);
	int entry_first = case_scan(entry, len, NULL, &entry_lower);
	/* Names and places have capitals: "giá lại" is no "Gia Lai". */
	if (entry_first > 0 && span_first <= 0)
		return 1;
	if (span_first > 0 && after_name(g, ln, h))
		return 1;
	/* OCR drops marks far more often than it adds them: "GIÁ LẠI" and
	 * "GIÁ LAI" are no "GIA LAI". */
	if (all_ascii(entry, len) && !all_ascii(span, end - start))
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
		return i < na && !is_punct(a[i]) && !is_punct(b[i]) &&
		    memcmp(a + i + 1, b + i + 1, na - i - 1) == 0;
	return !is_punct(b[i]) && memcmp(a + i, b + i + 1, na - i) == 0;
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
	size_t c = 0, cps = count_cps(key, n);
	if (cps < FUZZY_MIN_CPS || !all_ascii(key, n))
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
			if (fuzzy ? count_cps(b.data, b.len) > g->max_cps + 1 :
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
		if (h.k == 0 && ln.tok[i].key != NULL && case_scan(line + ln.tok[i].start,
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
