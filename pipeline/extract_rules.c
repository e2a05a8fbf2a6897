/*
 * extract_rules: the kinds of scan that are not Nghị định 30 documents
 * (receipts, forms, and whatever an administrator adds), read from
 * <data>/kinds.rules: a section per kind, its titles, and for each field the
 * labels it follows ("Mã hồ sơ:", "Ông/Bà:"). Adding a kind is editing
 * that file, not C.
 */
#include "pipeline/extract_int.h"

#include <ctype.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

struct label {
	enum field field;
	char *folded; /* "MA HO SO" */
};

struct kind {
	char *name;
	char **titles; /* folded */
	size_t ntitles;
	struct label *labels;
	size_t nlabels;
	int header;    /* issuer, parent, place and date as a document's header */
	int last_date; /* place and date from the page's last dated line */
	int signer;    /* the signer block as a document's */
	int procedure_from_title;
};

struct rules {
	struct kind *kinds;
	size_t n;
	char **procedures; /* procedures.txt, as written */
	char **procedures_folded;
	size_t nprocedures;
	const char *path;
	struct err *e;
};

static struct kind *kind_named(struct rules *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->kinds[i].name, name) == 0)
			return &r->kinds[i];
	r->kinds = xrealloc(r->kinds, (r->n + 1) * sizeof(*r->kinds));
	struct kind *k = &r->kinds[r->n++];
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(name);
	return k;
}

static void add_title(struct kind *k, const char *title)
{
	char *f = match_fold(title);
	if (f == NULL || f[0] == '\0') {
		free(f);
		return;
	}
	k->titles = xrealloc(k->titles, (k->ntitles + 1) * sizeof(*k->titles));
	k->titles[k->ntitles++] = f;
}

/* "Ông/Bà | Họ và tên": one label per alternative. */
static void add_labels(struct kind *k, enum field f, const char *value)
{
	char *copy = xstrdup(value), *save = NULL;
	for (char *l = strtok_r(copy, "|", &save); l; l = strtok_r(NULL, "|", &save)) {
		char *folded = match_fold(l);
		if (folded == NULL || folded[0] == '\0') {
			free(folded);
			continue;
		}
		k->labels = xrealloc(k->labels, (k->nlabels + 1) * sizeof(*k->labels));
		k->labels[k->nlabels++] = (struct label){ f, folded };
	}
	free(copy);
}

static int yes(const char *v)
{
	return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

static int on_key(void *arg, const char *section, const char *key, const char *value)
{
	struct rules *r = arg;
	if (section[0] == '\0') {
		err_set(r->e, "%s: \"%s\" is outside any [kind] section", r->path, key);
		return 0;
	}
	struct kind *k = kind_named(r, section);
	int f = field_by_name(key);
	if (strcmp(key, "title") == 0)
		add_title(k, value);
	else if (strcmp(key, "header") == 0)
		k->header = yes(value);
	else if (strcmp(key, "signer") == 0)
		k->signer = yes(value);
	else if (strcmp(key, "procedure") == 0 && strcmp(value, "title") == 0)
		k->procedure_from_title = 1;
	else if (strcmp(key, "date_line") == 0)
		k->last_date = strcmp(value, "last") == 0;
	else if (f >= 0)
		add_labels(k, (enum field)f, value);
	else {
		err_set(r->e, "%s: [%s] %s: not a field, nor title, header, signer or date_line",
		    r->path, section, key);
		return 0;
	}
	return 1;
}

static int load_procedures(struct rules *r, const char *dir, struct err *e)
{
	char *path = xasprintf("%s/procedures.txt", dir), *save = NULL;
	struct buf b = { 0 };
	int rc = file_read_all(path, 1 << 20, &b, e);
	if (rc < 0)
		err_prefix(e, "%s", path);
	buf_append(&b, "", 1);
	for (char *l = strtok_r(b.data, "\n", &save); rc == 0 && l; l = strtok_r(NULL, "\n", &save)) {
		char *folded = l[0] == '#' ? NULL : match_fold(l);
		if (folded == NULL || folded[0] == '\0') {
			free(folded);
			continue;
		}
		r->procedures = xrealloc(r->procedures, (r->nprocedures + 1) * sizeof(char *));
		r->procedures_folded = xrealloc(r->procedures_folded,
		    (r->nprocedures + 1) * sizeof(char *));
		r->procedures[r->nprocedures] = xstrdup(l);
		r->procedures_folded[r->nprocedures++] = folded;
	}
	free(b.data);
	free(path);
	return rc;
}

int rules_load(const char *dir, struct rules **out, struct err *e)
{
	char *path = xasprintf("%s/kinds.rules", dir);
	struct rules *r = xcalloc(1, sizeof(*r));
	r->path = path;
	r->e = e;
	e->msg[0] = '\0';
	int line = ini_parse(path, on_key, r);
	*out = NULL;
	if (line != 0) {
		if (line < 0)
			err_set(e, "%s: cannot read it", path);
		else if (e->msg[0] == '\0')
			err_set(e, "%s:%d: not a valid line", path, line);
		rules_free(r);
		free(path);
		return -1;
	}
	r->path = NULL;
	r->e = NULL;
	free(path);
	if (load_procedures(r, dir, e) < 0) {
		rules_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct kind *k = &r->kinds[i];
		for (size_t j = 0; j < k->ntitles; j++)
			free(k->titles[j]);
		for (size_t j = 0; j < k->nlabels; j++)
			free(k->labels[j].folded);
		free(k->titles);
		free(k->labels);
		free(k->name);
	}
	for (size_t i = 0; i < r->nprocedures; i++) {
		free(r->procedures[i]);
		free(r->procedures_folded[i]);
	}
	free(r->procedures);
	free(r->procedures_folded);
	free(r->kinds);
	free(r);
}

/* ---- classification --------------------------------------------------- */

static int all_capitals(const char *text)
{
	char *up = text_upper(text);
	int same = strcmp(up, text) == 0;
	free(up);
	return same;
}

/* Does folded start with title, as whole words? */
static int starts_with_words(const char *folded, const char *title)
{
	size_t n = strlen(title);
	return strncmp(folded, title, n) == 0 &&
	    (folded[n] == '\0' || folded[n] == ' ' || folded[n] == ':');
}

const char *rules_classify(const struct rules *r, const struct page_lines *pl,
    const char **title)
{
	const char *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < pl->n && pl->seg[i].y0 < pl->height / 2; i++) {
		const struct segment *s = &pl->seg[i];
		if (!segment_centred(pl, s) || !all_capitals(s->text))
			continue;
		for (size_t k = 0; k < r->n; k++)
			for (size_t t = 0; t < r->kinds[k].ntitles; t++) {
				size_t n = strlen(r->kinds[k].titles[t]);
				if (n > best_len && starts_with_words(s->folded, r->kinds[k].titles[t])) {
					best = r->kinds[k].name;
					best_len = n;
					*title = s->text;
				}
			}
	}
	return best;
}

static const struct kind *find_kind(const struct rules *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->kinds[i].name, name) == 0)
			return &r->kinds[i];
	return NULL;
}

int rules_kind_flags(const struct rules *r, const char *kind, int *header, int *last_date,
    int *signer)
{
	const struct kind *k = find_kind(r, kind);
	if (k == NULL)
		return -1;
	*header = k->header;
	*last_date = k->last_date;
	*signer = k->signer;
	return 0;
}

/* ---- labelled values ---------------------------------------------------- */

/* The text after the label: after its ':' when there is one, else after as
 * many words as the label has. */
static const char *after_label(const char *text, const char *label)
{
	const char *colon = strchr(text, ':');
	int words = 1;
	for (const char *p = label; *p; p++)
		words += *p == ' ';
	if (colon == NULL) {
		const char *p = text;
		for (int w = 0; w < words && p; w++)
			if ((p = strchr(p, ' ')) != NULL)
				p++;
		if (p == NULL)
			return text + strlen(text); /* the label and nothing after it */
		colon = p - 1;
	}
	colon++;
	while (*colon == ' ')
		colon++;
	return colon;
}

static char *digits_of(const char *s, int keep_dash)
{
	struct buf b = { 0 };
	for (; *s; s++)
		if (isdigit((unsigned char)*s) || (keep_dash && *s == '-'))
			buf_append(&b, s, 1);
		else if (*s != ' ' && *s != '.' && b.len > 0)
			break;
	buf_append(&b, "", 1);
	return b.data;
}

/* "4. THOI GIAN NHAN HO SO" -> "THOI GIAN NHAN HO SO" */
static const char *skip_numbering(const char *folded)
{
	const char *p = folded;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == folded || (*p != '.' && *p != ')'))
		return folded;
	for (p++; *p == ' '; p++)
		;
	return p;
}

static int is_label_line(const struct kind *k, const struct segment *s)
{
	if (skip_numbering(s->folded) != s->folded || s->folded[0] == '-')
		return 1;
	for (size_t i = 0; i < k->nlabels; i++)
		if (starts_with_words(s->folded, k->labels[i].folded))
			return 1;
	return strchr(s->text, ':') != NULL;
}

/* The value and the lines that carry it on, for a value that may wrap. */
static char *wrapped(const struct kind *k, const struct page_lines *pl, size_t i,
    const char *first, double *conf)
{
	struct buf b = { 0 };
	buf_append(&b, first, strlen(first));
	*conf = (pl->seg[i].conf_min + pl->seg[i].conf_mean) / 2;
	for (size_t j = i + 1; j < pl->n && j <= i + 2; j++) {
		const struct segment *s = &pl->seg[j];
		if (s->y0 - pl->seg[j - 1].y1 > pl->line_h || is_label_line(k, s) ||
		    abs(s->x0 - pl->seg[i].x0) > 3 * pl->line_h)
			break;
		buf_appendf(&b, " %s", s->text);
		double c = (s->conf_min + s->conf_mean) / 2;
		*conf = c < *conf ? c : *conf;
	}
	while (b.len > 0 && strchr(". ;,", b.data[b.len - 1]) != NULL)
		b.len--;
	buf_append(&b, "", 1);
	return b.data;
}

/* The one procedure whose folded name starts with `what`, or the one equal to it. */
static const char *procedure_starting(const struct rules *r, const char *what)
{
	const char *found = NULL;
	size_t n = strlen(what);
	for (size_t i = 0; i < r->nprocedures; i++) {
		if (strcmp(r->procedures_folded[i], what) == 0)
			return r->procedures[i];
		if (strncmp(r->procedures_folded[i], what, n) == 0) {
			if (found != NULL)
				return NULL;
			found = r->procedures[i];
		}
	}
	return found;
}

/* The procedure of the list that `text` names: all of it, or its start when
 * the line was cut, or it followed by more. NULL when none or several fit. */
static const char *procedure_named(const struct rules *r, const char *text)
{
	char *f = match_fold(text);
	const char *found = f != NULL && strchr(f, ' ') != NULL ? procedure_starting(r, f) : NULL;
	for (size_t i = 0; f != NULL && found == NULL && i < r->nprocedures; i++)
		if (starts_with_words(f, r->procedures_folded[i]))
			found = r->procedures[i];
	free(f);
	return found;
}

static void put_procedure(const struct rules *r, const struct kind *k,
    const struct page_lines *pl, size_t i, const char *v, struct fieldset *fs)
{
	double c;
	char *val = wrapped(k, pl, i, v, &c);
	const char *named = procedure_named(r, val);
	if (named != NULL) {
		fieldset_put(fs, F_PROCEDURE, xstrdup(named), c);
		free(val);
	} else if (val[0] != '\0') {
		fieldset_put(fs, F_PROCEDURE, val, c < 0.85 ? c : 0.85);
	} else {
		free(val);
	}
}

static void put_value(const struct rules *r, const struct kind *k, const struct page_lines *pl,
    size_t i, const struct label *l, time_t now, struct fieldset *fs)
{
	const struct segment *s = &pl->seg[i];
	const char *v = after_label(s->text, l->folded);
	double c = (s->conf_min + s->conf_mean) / 2;
	char iso[11], *val;
	switch (l->field) {
	case F_RECEIVED:
	case F_DUE:
		val = wrapped(k, pl, i, v, &c);
		if (find_vn_date(val, now, iso, NULL) == 0)
			fieldset_put(fs, l->field, xstrdup(iso), c);
		free(val);
		return;
	case F_CITIZEN_ID:
	case F_TAX_CODE:
		val = digits_of(v, l->field == F_TAX_CODE);
		break;
	case F_ADDRESS:
		val = wrapped(k, pl, i, v, &c);
		break;
	case F_PROCEDURE:
		put_procedure(r, k, pl, i, v, fs);
		return;
	default:
		val = xstrdup(v);
		break;
	}
	if (val[0] == '\0')
		free(val);
	else
		fieldset_put(fs, l->field, val, c);
}

void rules_fields(const struct rules *r, const char *kind, const struct page_lines *pl,
    time_t now, struct fieldset *fs)
{
	const struct kind *k = find_kind(r, kind);
	if (k == NULL)
		return;
	for (size_t i = 0; i < pl->n; i++)
		for (size_t j = 0; j < k->nlabels; j++)
			if (starts_with_words(skip_numbering(pl->seg[i].folded), k->labels[j].folded) &&
			    fs->value[k->labels[j].field] == NULL) {
				put_value(r, k, pl, i, &k->labels[j], now, fs);
				break;
			}
}

/* ---- a form's procedure, from its title ------------------------------------ */

const char *rules_procedure(const struct rules *r, const char *kind, const char *title)
{
	const struct kind *k = find_kind(r, kind);
	char *folded = title ? match_fold(title) : NULL;
	const char *rest = folded, *found = NULL;
	if (k == NULL || !k->procedure_from_title || folded == NULL) {
		free(folded);
		return NULL;
	}
	for (size_t t = 0; t < k->ntitles; t++)
		if (starts_with_words(folded, k->titles[t]) &&
		    strlen(k->titles[t]) > (size_t)(rest - folded))
			rest = folded + strlen(k->titles[t]);
	/* "YÊU CẦU CẤP PHIẾU ...": a word or two may come before the name. */
	for (int skip = 0; skip <= 2 && rest != NULL && found == NULL; skip++) {
		while (*rest == ' ')
			rest++;
		if (strchr(rest, ' ') == NULL)
			break;
		found = procedure_starting(r, rest);
		rest = strchr(rest, ' ');
	}
	free(folded);
	return found;
}
