/*
 * extract_doc: the header and the signer block of a Nghị định 30 document
 * (standards.md §1), read from the page's geometry: the motto's left edge
 * splits the header into its two columns, "Số:" closes the left one, and the
 * type and subject are the centred lines under both.
 */
#include "pipeline/extract_int.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>


/* Confidence of a value whose words OCR was sure of, before other checks. */
static double seg_conf(const struct segment *s)
{
	return (s->conf_min + s->conf_mean) / 2;
}

static int has_letters(const char *folded, int min)
{
	int n = 0;
	for (const char *p = folded; *p; p++)
		n += isalpha((unsigned char)*p) != 0;
	return n >= min;
}

int find_vn_date(const char *text, time_t now, char iso[11], size_t *start)
{
	regex_t re;
	regmatch_t m[4];
	char *folded = match_fold(text);
	int rc = -1;
	if (folded == NULL || regcomp(&re, "NGAY[ .]*([0-9]{1,2})[ .]*THANG[ .]*([0-9]{1,2})"
	    "[ .]*NAM[ .]*([0-9]{4})", REG_EXTENDED) != 0) {
		free(folded);
		return -1;
	}
	if (regexec(&re, folded, 4, m, 0) == 0) {
		int d = atoi(folded + m[1].rm_so), mo = atoi(folded + m[2].rm_so);
		int y = atoi(folded + m[3].rm_so);
		if (check_date(y, mo, d, now)) {
			snprintf(iso, 11, "%04d-%02d-%02d", y, mo, d);
			if (start != NULL)
				*start = (size_t)m[0].rm_so;
			rc = 0;
		}
	}
	regfree(&re);
	free(folded);
	return rc;
}

/* ---- the header's columns ------------------------------------------- */

struct header {
	const struct page_lines *pl;
	int split_x;          /* left edge of the right column */
	int top;              /* y of the motto's top */
	const struct segment *number, *date, *type;
};

static const struct segment *find_motto(const struct page_lines *pl)
{
	for (size_t i = 0; i < pl->n && pl->seg[i].y0 < pl->height / 3; i++)
		if (strstr(pl->seg[i].folded, "CONG HOA XA HOI") != NULL ||
		    strstr(pl->seg[i].folded, "CHU NGHIA VIET NAM") != NULL)
			return &pl->seg[i];
	return NULL;
}

static int in_left(const struct header *h, const struct segment *s)
{
	return (s->x0 + s->x1) / 2 < h->split_x;
}

/* "Số: 2684/QĐ-UBND", "S6: 01/KH-SKHCN", "Số 12/UBND-VX" in the left column. */
static int number_line(const struct segment *s)
{
	const char *f = s->folded;
	if (f[0] != 'S')
		return 0;
	size_t i = 1;
	while (i < 3 && f[i] != '\0' && f[i] != ':' && f[i] != ' ')
		i++;
	while (f[i] == ':' || f[i] == ';' || f[i] == '.' || f[i] == ' ')
		i++;
	return i >= 2 && isdigit((unsigned char)f[i]);
}

static int symbol_byte(const char *p, size_t *len)
{
	unsigned char c = (unsigned char)*p;
	*len = 1;
	if (isalnum(c) || c == '/' || c == '-')
		return 1;
	if (c == 0xC4 && ((unsigned char)p[1] == 0x90 || (unsigned char)p[1] == 0x91)) {
		*len = 2; /* Đ, đ */
		return 1;
	}
	return 0;
}

/* The number/symbol in a "Số:" line, spaces OCR put around '-' or '/' dropped.
 * The word "Số" itself is skipped first: OCR reads it "S6". */
static char *number_in(const char *text)
{
	const char *p = text + strcspn(text, ": ");
	while (*p && !isdigit((unsigned char)*p))
		p++;
	struct buf b = { 0 };
	size_t len;
	while (*p) {
		if (symbol_byte(p, &len)) {
			buf_append(&b, p, len);
			p += len;
		} else if (*p == ' ' && b.len > 0 && (b.data[b.len - 1] == '-' ||
		    b.data[b.len - 1] == '/' || p[1] == '-' || p[1] == '/')) {
			p++;
		} else {
			break;
		}
	}
	while (b.len > 0 && (b.data[b.len - 1] == '-' || b.data[b.len - 1] == '/'))
		b.len--;
	buf_append(&b, "", 1);
	return b.data;
}

static void put_number(struct header *h, struct fieldset *fs)
{
	char *num = number_in(h->number->text);
	if (num[0] == '\0') {
		free(num);
		return;
	}
	int ok = check_number_symbol(num);
	fieldset_put(fs, F_NUMBER, num, ok ? seg_conf(h->number) : 0.3);
	if (!ok)
		fieldset_flag(fs, F_NUMBER, "the number does not fit the grammar of Nghị định 30");
}

static char *place_of(const struct gazetteer *g, const char *text, int *known)
{
	const char *comma = strchr(text, ',');
	size_t n = comma ? (size_t)(comma - text) : 0;
	while (n > 0 && text[n - 1] == ' ')
		n--;
	if (n == 0)
		return NULL;
	char *raw = xmalloc(n + 1);
	memcpy(raw, text, n);
	raw[n] = '\0';
	size_t dist;
	const char *canon = gazetteer_match(g, GZ_PROVINCE, raw, &dist, NULL);
	*known = canon != NULL && dist == 0;
	if (*known) {
		free(raw);
		return xstrdup(canon);
	}
	return raw;
}

/* A place without a single mark where OCR may have lost them: less sure. */
static int ascii_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

int doc_place_date(const struct gazetteer *g, const struct segment *s, time_t now,
    struct fieldset *fs)
{
	char iso[11];
	if (find_vn_date(s->text, now, iso, NULL) < 0)
		return -1;
	double c = seg_conf(s);
	fieldset_put(fs, F_DATE, xstrdup(iso), c);
	int known = 0;
	char *place = place_of(g, s->text, &known);
	if (place != NULL)
		fieldset_put(fs, F_PLACE, place, known ? c : ascii_only(place) ? c * 0.6 :
		    c < UNCHECKED_MAX ? c : UNCHECKED_MAX);
	return 0;
}

/* ---- issuer and parent ------------------------------------------------ */

/* A governing body's full name: "UBND TỈNH ...", "BỘ ...", "... TỈNH X". */
static int names_governing_body(const char *folded)
{
	static const char *const starts[] = { "UBND ", "BO ", "TINH UY", "HUYEN UY" };
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (strncmp(folded, starts[i], strlen(starts[i])) == 0)
			return 1;
	return strstr(folded, " TINH ") != NULL || strstr(folded, " THANH PHO ") != NULL ||
	    strstr(folded, " HUYEN ") != NULL;
}

static char *join(const struct segment *const *lines, size_t from, size_t to)
{
	struct buf b = { 0 };
	for (size_t i = from; i < to; i++) {
		if (i > from)
			buf_append(&b, " ", 1);
		buf_append(&b, lines[i]->text, strlen(lines[i]->text));
	}
	buf_append(&b, "", 1);
	return b.data;
}

static double lines_conf(const struct segment *const *lines, size_t from, size_t to)
{
	double c = 1;
	for (size_t i = from; i < to; i++)
		c = seg_conf(lines[i]) < c ? seg_conf(lines[i]) : c;
	return c;
}

static void put_issuer(const struct gazetteer *g, struct header *h, struct fieldset *fs)
{
	const struct page_lines *pl = h->pl;
	const struct segment *lines[6];
	size_t k = 0;
	int bottom = h->number ? h->number->y0 : h->top + 4 * pl->line_h;
	for (size_t i = 0; i < pl->n && k < 6; i++) {
		const struct segment *s = &pl->seg[i];
		if (s->y0 >= h->top - pl->line_h && s->y1 <= bottom && in_left(h, s) &&
		    has_letters(s->folded, 2))
			lines[k++] = s;
	}
	if (k == 0)
		return;
	size_t first = 0;
	if (k >= 2 && names_governing_body(lines[0]->folded)) {
		fieldset_put(fs, F_ISSUER_PARENT, xstrdup(lines[0]->text), seg_conf(lines[0]));
		first = 1;
	}
	/* Repaired whole: "TRUNG TÂM PHỤC VỤ" over "HÀNH CHÍNH CÔNG" is one entry. */
	char *name = join(lines, first, k), *fixed = gazetteer_repair_line(g, name, NULL);
	free(name);
	fieldset_put(fs, F_ISSUER, fixed, lines_conf(lines, first, k));
}

/* ---- type and subject --------------------------------------------------- */

static int starts_body(const char *folded)
{
	static const char *const marks[] = { "CAN CU", "KINH GUI", "THUC HIEN", "I.", "1.",
		"II.", "QUYET DINH:", "NOI NHAN" };
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strncmp(folded, marks[i], strlen(marks[i])) == 0)
			return 1;
	return 0;
}

static void put_type_and_subject(const struct gazetteer *g, struct header *h,
    struct fieldset *fs)
{
	const struct page_lines *pl = h->pl;
	int below = h->number ? h->number->y1 : h->top;
	if (h->date && h->date->y1 > below)
		below = h->date->y1;
	size_t i = 0, dist;
	const char *type = NULL;
	for (; i < pl->n && pl->seg[i].y0 < pl->height / 2; i++) {
		const struct segment *s = &pl->seg[i];
		if (s->y0 < below || !segment_centred(pl, s))
			continue;
		if ((type = gazetteer_match(g, GZ_DOCTYPE, s->text, &dist, NULL)) != NULL)
			break;
	}
	if (type == NULL)
		return;
	fieldset_put(fs, F_TYPE, xstrdup(type), seg_conf(&pl->seg[i]) * (dist ? 0.9 : 1));
	const struct segment *lines[8];
	size_t k = 0;
	int last = pl->seg[i].y1;
	for (i++; i < pl->n && k < 8; i++) {
		const struct segment *s = &pl->seg[i];
		if (s->y0 - last > 2 * pl->line_h || !segment_centred_short(pl, s) ||
		    starts_body(s->folded) || (fs->value[F_ISSUER] &&
		    strstr(s->folded, "NHAN DAN") && s->folded[0] != 'V'))
			break;
		lines[k++] = s;
		last = s->y1;
	}
	if (k > 0)
		fieldset_put(fs, F_SUBJECT, join(lines, 0, k), lines_conf(lines, 0, k));
}

/* A công văn's subject: "V/v ..." under the number, on one or more lines. */
static void put_vv_subject(struct header *h, struct fieldset *fs)
{
	const struct page_lines *pl = h->pl;
	const struct segment *lines[8];
	size_t k = 0;
	int last = 0;
	for (size_t i = 0; i < pl->n && k < 8; i++) {
		const struct segment *s = &pl->seg[i];
		if (s->y0 < h->number->y1 || !in_left(h, s))
			continue;
		if (k == 0 && strncmp(s->folded, "V/V", 3) != 0)
			break;
		if (k > 0 && (s->y0 - last > 2 * pl->line_h || starts_body(s->folded)))
			break;
		lines[k++] = s;
		last = s->y1;
	}
	if (k == 0)
		return;
	char *all = join(lines, 0, k), *p = all + 3;
	while (*p == ' ' || *p == ':' || *p == '.')
		p++;
	fieldset_put(fs, F_SUBJECT, xstrdup(p), lines_conf(lines, 0, k));
	free(all);
}

/*
 * The symbol's first group is the type's abbreviation (standards.md §1): OCR
 * reading "QĐ" as "QB" is put right when the type says QUYẾT ĐỊNH.
 */
static void repair_symbol(const struct gazetteer *g, struct fieldset *fs)
{
	const char *abbrev = NULL, *num = fs->value[F_NUMBER], *type = fs->value[F_TYPE];
	size_t dist;
	if (num == NULL || type == NULL ||
	    gazetteer_match(g, GZ_DOCTYPE, type, &dist, &abbrev) == NULL || abbrev == NULL ||
	    abbrev[0] == '\0')
		return;
	const char *group = strrchr(num, '/'), *dash = group ? strchr(group, '-') : NULL;
	if (dash == NULL)
		return;
	group++;
	char *have = xmalloc((size_t)(dash - group) + 1);
	memcpy(have, group, (size_t)(dash - group));
	have[dash - group] = '\0';
	if (strcmp(have, abbrev) != 0 && text_distance(have, abbrev) == 1 &&
	    text_distance(have, "") == text_distance(abbrev, "")) {
		char *fixed = xasprintf("%.*s%s%s", (int)(group - num), num, abbrev, dash);
		if (check_number_symbol(fixed)) {
			double c = fs->conf[F_NUMBER] * 0.9;
			fieldset_put(fs, F_NUMBER, fixed, 1.0);
			fs->conf[F_NUMBER] = c;
		} else {
			free(fixed);
		}
	}
	free(have);
}

void doc_header(const struct gazetteer *g, const struct page_lines *pl, time_t now,
    struct fieldset *fs)
{
	const struct segment *motto = find_motto(pl);
	struct header h = { pl, motto ? motto->x0 - pl->line_h : pl->width * 45 / 100,
		motto ? motto->y0 : 0, NULL, NULL, NULL };
	char iso[11];
	for (size_t i = 0; i < pl->n && pl->seg[i].y0 < pl->height * 45 / 100; i++) {
		const struct segment *s = &pl->seg[i];
		if (h.number == NULL && in_left(&h, s) && number_line(s))
			h.number = s;
		else if (h.date == NULL && !in_left(&h, s) && find_vn_date(s->text, now, iso,
		    NULL) == 0)
			h.date = s;
	}
	if (h.number != NULL)
		put_number(&h, fs);
	if (h.date != NULL)
		doc_place_date(g, h.date, now, fs);
	put_issuer(g, &h, fs);
	put_type_and_subject(g, &h, fs);
	repair_symbol(g, fs);
	if (fs->value[F_TYPE] == NULL && h.number != NULL)
		put_vv_subject(&h, fs);
}

/* ---- the signer ---------------------------------------------------------- */

static const char *const prefixes[] = { "TM.", "KT.", "TL.", "TUQ.", "Q." };

static const char *authority_of(const char *folded)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(folded, prefixes[i], strlen(prefixes[i])) == 0)
			return prefixes[i];
	return NULL;
}

/* A name with the strokes of a signature over it ("Ly/Thanh Hải") cleaned. */
static char *name_text(const char *text)
{
	struct buf b = { 0 };
	for (const char *p = text; *p; p++) {
		char c = strchr("/|\\_~", *p) ? ' ' : *p;
		if (c != ' ' || (b.len > 0 && b.data[b.len - 1] != ' '))
			buf_append(&b, &c, 1);
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.len--;
	buf_append(&b, "", 1);
	return b.data;
}

/* "Trần Quốc Văn": 2-5 words, each capitalised, the first a family name. */
static int person_name(const struct gazetteer *g, const struct segment *s)
{
	if (s->text[0] == '(')
		return 0;
	char *copy = name_text(s->text), *save = NULL;
	int words = 0, ok = 1;
	for (char *w = strtok_r(copy, " ", &save); w && ok; w = strtok_r(NULL, " ", &save)) {
		size_t dist;
		if (words == 0)
			ok = gazetteer_match(g, GZ_SURNAME, w, &dist, NULL) != NULL && dist == 0;
		ok = ok && (isupper((unsigned char)w[0]) || (unsigned char)w[0] >= 0xC3);
		words++;
	}
	free(copy);
	return ok && words >= 2 && words <= 5;
}

/* The family name as the gazetteer writes it: OCR reads "Lê" as "Lé". */
static char *person_repaired(const struct gazetteer *g, const char *text)
{
	char *name = name_text(text);
	const char *space = strchr(name, ' ');
	size_t n = space ? (size_t)(space - name) : strlen(name), dist;
	char *first = xmalloc(n + 1);
	memcpy(first, name, n);
	first[n] = '\0';
	const char *canon = gazetteer_match(g, GZ_SURNAME, first, &dist, NULL);
	char *out = canon && dist == 0 ? xasprintf("%s%s", canon, name + n) : xstrdup(name);
	free(first);
	free(name);
	return out;
}

static size_t find_name(const struct gazetteer *g, const struct page_lines *pl)
{
	for (size_t i = pl->n; i-- > 0;)
		if (pl->seg[i].x0 > pl->width * 2 / 5 && person_name(g, &pl->seg[i]))
			return i;
	return pl->n;
}

/* The lowest role in the right half above the name, within 12 lines. */
static size_t find_role(const struct gazetteer *g, const struct page_lines *pl, size_t name,
    const char **canon, size_t *dist)
{
	for (size_t i = name; i-- > 0;) {
		const struct segment *s = &pl->seg[i];
		if (pl->seg[name].y0 - s->y1 > 12 * pl->line_h)
			break;
		if (s->x1 < pl->width * 2 / 5)
			continue;
		const char *a = authority_of(s->folded);
		const char *rest = a ? s->text + strlen(a) : s->text;
		while (*rest == ' ')
			rest++;
		if ((*canon = gazetteer_match(g, GZ_ROLE, rest, dist, NULL)) != NULL)
			return i;
	}
	return pl->n;
}

void doc_signer(const struct gazetteer *g, const struct page_lines *pl, struct fieldset *fs)
{
	const char *canon = NULL;
	size_t dist = 0, name = find_name(g, pl);
	if (name == pl->n)
		return;
	fieldset_put(fs, F_SIGNER, person_repaired(g, pl->seg[name].text),
	    seg_conf(&pl->seg[name]));
	size_t role = find_role(g, pl, name, &canon, &dist);
	if (role == pl->n)
		return;
	const struct segment *r = &pl->seg[role];
	const char *a = authority_of(r->folded);
	/* "KT. CHỦ TỊCH" heads a deputy's block: the role is the line under it,
	 * which OCR did not give. */
	if (a != NULL && strcmp(a, "KT.") == 0) {
		fieldset_put(fs, F_AUTHORITY, xstrdup(a), seg_conf(r));
		fieldset_flag(fs, F_SIGNER_ROLE, "the deputy's role under \"KT.\" was not read");
		return;
	}
	fieldset_put(fs, F_SIGNER_ROLE, xstrdup(canon), seg_conf(r) * (dist ? 0.9 : 1));
	for (size_t i = role + 1; i-- > 0 && r->y0 - pl->seg[i].y1 < 3 * pl->line_h;) {
		const char *a = authority_of(pl->seg[i].folded);
		if (a != NULL && pl->seg[i].x0 > pl->width * 2 / 5) {
			fieldset_put(fs, F_AUTHORITY, xstrdup(a), seg_conf(&pl->seg[i]));
			break;
		}
	}
}
