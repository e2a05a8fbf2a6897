/*
 * extract: a scan's kind, parts and fields, each with a confidence, and
 * whether a person must look (review). A wrong field is worse than a
 * missing one: a value that fails its check is not given as if it were
 * right, and every doubt is written down as a sentence.
 */
#include "pipeline/extract_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Below this, a field counts as uncertain and the scan goes to review
 * (below 0.9 for the fields a result is filed by: files_by()). */
#define SURE 0.7
/* Long free text is rarely right to the letter: never vouched for above this. */
#define FREE_TEXT_MAX 0.85


struct extractor {
	struct gazetteer *g;
	struct rules *r;
};

static const char *const names[F_COUNT] = {
	"type", "number", "issuer", "issuer_parent", "place", "date", "subject", "signer",
	"signer_role", "authority", "dossier_code", "citizen_id", "tax_code", "applicant",
	"procedure", "received", "due", "address",
};

const char *field_name(enum field f)
{
	return names[f];
}

int field_by_name(const char *name)
{
	for (int f = 0; f < F_COUNT; f++)
		if (strcmp(names[f], name) == 0)
			return f;
	return -1;
}

void fieldset_put(struct fieldset *fs, enum field f, char *value, double conf)
{
	if (fs->value[f] != NULL && fs->conf[f] >= conf) {
		free(value);
		return;
	}
	free(fs->value[f]);
	fs->value[f] = value;
	fs->conf[f] = conf < 0 ? 0 : conf > 1 ? 1 : conf;
}

void fieldset_flag(struct fieldset *fs, enum field f, const char *why)
{
	if (fs->problem[f] == NULL)
		fs->problem[f] = xstrdup(why);
}

static void fieldset_drop(struct fieldset *fs, enum field f)
{
	free(fs->value[f]);
	fs->value[f] = NULL;
	fs->conf[f] = 0;
}

void fieldset_clear(struct fieldset *fs)
{
	for (int f = 0; f < F_COUNT; f++) {
		free(fs->value[f]);
		free(fs->problem[f]);
	}
	memset(fs, 0, sizeof(*fs));
}

/* ---- a person's correction ---------------------------------------------- */

static int check_iso_date(const char *v, time_t now)
{
	int y, m, d, n = 0;
	return sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 && strlen(v) == 10 &&
	    check_date(y, m, d, now);
}

int extract_check_value(const char *field, const char *value, time_t now, struct err *e)
{
	int f = field_by_name(field);
	if (f < 0) {
		struct buf b = { 0 };
		for (int i = 0; i < F_COUNT; i++)
			buf_appendf(&b, "%s%s", i ? ", " : "", names[i]);
		buf_append(&b, "", 1);
		err_set(e, "'%s' is not a field; the fields are: %s", field, b.data);
		free(b.data);
		return -1;
	}
	if (value == NULL)
		return 0;
	const char *why = NULL;
	size_t n = strlen(value);
	if ((f == F_DATE || f == F_RECEIVED) && !check_iso_date(value, now))
		why = "is not a real date written YYYY-MM-DD, on or before today";
	else if (f == F_DUE && !check_iso_date(value, now + 5 * 366 * 86400L))
		why = "is not a real date written YYYY-MM-DD";
	else if (f == F_CITIZEN_ID && !(n == 12 ? check_cccd(value, now) :
	    n == 9 && check_cmnd(value)))
		why = "is not a valid CCCD (12 digits, a real province code) nor CMND (9 digits)";
	else if (f == F_TAX_CODE && !check_mst(value))
		why = "is not a valid tax code (10 digits, or 10-3, whose check digit holds)";
	else if (f == F_NUMBER && !check_number_symbol(value))
		why = "does not fit the number/symbol of Nghị định 30 (e.g. 59/QĐ-UBND)";
	else if (f == F_DOSSIER_CODE && !check_dossier_code(value, now))
		why = "is not a dossier code of TT 01/2018 (e.g. 000.00.12.H29-240129-0042)";
	if (why != NULL) {
		err_set(e, "%s '%s' %s", field, value, why);
		return -1;
	}
	return 0;
}

/* ---- the data folder ---------------------------------------------------- */

#ifndef SOHOA_DATADIR
#define SOHOA_DATADIR "/usr/local/share/sohoa"
#endif

const char *extract_data_dir(void)
{
	static char beside[4096];
	const char *env = getenv("SOHOA_DATA");
	if (env != NULL && env[0] != '\0')
		return env;
	ssize_t n = readlink("/proc/self/exe", beside, sizeof(beside) - 32);
	if (n > 0) {
		beside[n] = '\0';
		char *slash = strrchr(beside, '/');
		if (slash != NULL) {
			strcpy(slash, "/../config");
			char *rules = xasprintf("%s/kinds.rules", beside);
			int here = access(rules, R_OK) == 0;
			free(rules);
			if (here)
				return beside;
		}
	}
	return SOHOA_DATADIR;
}

int extractor_new(const char *dir, struct extractor **out, struct err *e)
{
	struct extractor *x = xcalloc(1, sizeof(*x));
	*out = NULL;
	if (dir == NULL)
		dir = extract_data_dir();
	if (gazetteer_load(dir, &x->g, e) < 0 || rules_load(dir, &x->r, e) < 0) {
		extractor_free(x);
		return -1;
	}
	*out = x;
	return 0;
}

void extractor_free(struct extractor *x)
{
	if (x == NULL)
		return;
	gazetteer_free(x->g);
	rules_free(x->r);
	free(x);
}

/* ---- parts ---------------------------------------------------------------- */

struct part {
	const char *kind;      /* "document", or a kind of the rules */
	const char *title;     /* the title line that made the kind, in lines[first] */
	size_t first, count;   /* pages of the scan */
	struct fieldset fs;
};

static int has_motto(const struct page_lines *pl)
{
	for (size_t i = 0; i < pl->n && pl->seg[i].y0 < pl->height / 3; i++)
		if (strstr(pl->seg[i].folded, "CONG HOA XA HOI") != NULL ||
		    strstr(pl->seg[i].folded, "DOC LAP - TU DO") != NULL)
			return 1;
	return 0;
}

/* A page with a title of the rules, or with the national motto, starts a part. */
static const char *page_kind(const struct extractor *x, const struct page_lines *pl,
    const char **title)
{
	const char *k = rules_classify(x->r, pl, title);
	if (k != NULL)
		return k;
	*title = NULL;
	return has_motto(pl) ? "document" : NULL;
}

static size_t split_parts(const struct extractor *x, const struct page_lines *lines,
    const int *blank, size_t n, struct part *parts)
{
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		const char *title = NULL, *k = blank[i] ? NULL : page_kind(x, &lines[i], &title);
		if (k != NULL || np == 0) {
			memset(&parts[np], 0, sizeof(parts[np]));
			parts[np].kind = k ? k : "unknown";
			parts[np].title = title;
			parts[np].first = i;
			np++;
		}
		parts[np - 1].count = i - parts[np - 1].first + 1;
	}
	return np;
}

/* The last dated line of a page: a form's "Hà Nội, ngày ... tháng ... năm ...". */
static void last_date_line(const struct extractor *x, const struct page_lines *pl,
    time_t now, struct fieldset *fs)
{
	for (size_t i = pl->n; i-- > 0;)
		if (doc_place_date(x->g, &pl->seg[i], now, fs) == 0)
			return;
}

/* "TỜ KHAI DANG KY THUE" naming "Đăng ký thuế": its end written as the list does. */
static void title_from_procedure(struct fieldset *fs, const char *proc)
{
	const char *title = fs->value[F_TYPE];
	char *ft = title ? match_fold(title) : NULL, *fp = match_fold(proc);
	size_t lt = ft ? strlen(ft) : 0, lp = fp ? strlen(fp) : 0, words = 1;
	if (ft != NULL && fp != NULL && lt > lp && ft[lt - lp - 1] == ' ' &&
	    strcmp(ft + lt - lp, fp) == 0) {
		for (const char *c = fp; *c; c++)
			words += *c == ' ';
		const char *cut = title + strlen(title);
		for (size_t w = 0; w < words && cut > title; cut--)
			w += cut[-1] == ' ';
		char *up = text_upper(proc);
		fieldset_put(fs, F_TYPE, xasprintf("%.*s %s", (int)(cut - title), title, up), 0.95);
		free(up);
	}
	free(ft);
	free(fp);
}

static void read_ruled_part(const struct extractor *x, const struct page_lines *lines,
    struct part *p, time_t now)
{
	int header = 0, last_date = 0, signer = 0;
	struct page_lines *first = (struct page_lines *)&lines[p->first];
	rules_kind_flags(x->r, p->kind, &header, &last_date, &signer);
	if (header) {
		doc_header(x->g, first, now, &p->fs);
		fieldset_drop(&p->fs, F_NUMBER);
		fieldset_drop(&p->fs, F_SUBJECT);
	}
	fieldset_drop(&p->fs, F_TYPE);
	size_t dist = 1;
	/* A title the lists confirm, or its end rebuilt from the procedure below. */
	if (p->title != NULL) {
		int known = gazetteer_match(x->g, GZ_DOCTYPE, p->title, &dist, NULL) && dist == 0;
		fieldset_put(&p->fs, F_TYPE, xstrdup(p->title), known ? 0.95 : FREE_TEXT_MAX);
	}
	const char *proc = rules_procedure(x->r, p->kind, p->title);
	if (proc != NULL) {
		fieldset_put(&p->fs, F_PROCEDURE, xstrdup(proc), 0.9);
		title_from_procedure(&p->fs, proc);
	}
	if (last_date)
		last_date_line(x, &lines[p->first + p->count - 1], now, &p->fs);
	if (signer)
		doc_signer(x->g, &lines[p->first + p->count - 1], &p->fs);
	for (size_t i = p->first; i < p->first + p->count; i++)
		rules_fields(x->r, p->kind, &lines[i], now, &p->fs);
}

static void read_part(const struct extractor *x, const struct page_lines *lines,
    struct part *p, time_t now)
{
	if (strcmp(p->kind, "document") == 0) {
		doc_header(x->g, &lines[p->first], now, &p->fs);
		doc_signer(x->g, &lines[p->first + p->count - 1], &p->fs);
	} else if (strcmp(p->kind, "unknown") != 0) {
		read_ruled_part(x, lines, p, now);
	}
}

/* ---- checks ------------------------------------------------------------- */

static void check_ids(struct fieldset *fs, time_t now, int have_qr)
{
	const char *id = fs->value[F_CITIZEN_ID];
	if (id != NULL && !(strlen(id) == 12 ? check_cccd(id, now) :
	    strlen(id) == 9 ? check_cmnd(id) : 0)) {
		fieldset_drop(fs, F_CITIZEN_ID);
		fieldset_flag(fs, F_CITIZEN_ID, "the CCCD/CMND number read is not a valid one");
	}
	if (fs->value[F_TAX_CODE] != NULL && !check_mst(fs->value[F_TAX_CODE])) {
		fieldset_drop(fs, F_TAX_CODE);
		fieldset_flag(fs, F_TAX_CODE, "the tax code's check digit does not hold");
	}
	if (!have_qr && fs->value[F_DOSSIER_CODE] != NULL &&
	    !check_dossier_code(fs->value[F_DOSSIER_CODE], now)) {
		fieldset_drop(fs, F_DOSSIER_CODE);
		fieldset_flag(fs, F_DOSSIER_CODE, "the dossier code does not fit TT 01/2018");
	}
}

static void qr_due(struct fieldset *fs, const char *due, time_t now)
{
	int y, m, d;
	if (due == NULL || sscanf(due, "%4d-%2d-%2d", &y, &m, &d) != 3 || !check_date(y, m, d,
	    now + 366 * 86400))
		return;
	const char *ocr = fs->value[F_DUE];
	if (ocr != NULL && strcmp(ocr, due) != 0) {
		fieldset_flag(fs, F_DUE, "the QR code and the printed due date disagree");
		fieldset_drop(fs, F_DUE);
		fieldset_put(fs, F_DUE, xstrdup(due), 0.6);
		return;
	}
	fieldset_put(fs, F_DUE, xstrdup(due), ocr != NULL ? 0.99 : 0.9);
}

/* "000.00.17.H10-210317-0376|2021-03-22": the QR wins over the printed line. */
static void cross_check_qr(struct fieldset *fs, const char *qr, time_t now)
{
	char *code = xstrdup(qr), *bar = strchr(code, '|');
	if (bar != NULL)
		*bar = '\0';
	if (!check_dossier_code(code, now)) {
		fieldset_flag(fs, F_DOSSIER_CODE, "the QR code holds no valid dossier code");
		free(code);
		return;
	}
	const char *ocr = fs->value[F_DOSSIER_CODE];
	if (ocr != NULL && strcmp(ocr, code) != 0) {
		char *why = xasprintf("the QR code says %s, the printed \"Mã hồ sơ\" says %s",
		    code, ocr);
		fieldset_flag(fs, F_DOSSIER_CODE, why);
		free(why);
	}
	double c = ocr == NULL ? 0.95 : strcmp(ocr, code) == 0 ? 0.995 : 0.9;
	fieldset_drop(fs, F_DOSSIER_CODE);
	fieldset_put(fs, F_DOSSIER_CODE, code, c);
	qr_due(fs, bar ? bar + 1 : NULL, now);
}

/* ---- confidence that OCR's diacritics allow ------------------------------ */


/* A word of 3+ letters without a mark, not an acronym such as UBND or TTHC
 * (capitals with no vowel after the first letter). */
static int ascii_word(const char *w, size_t n)
{
	size_t letters = 0, vowels_after_first = 0, lower = 0;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)w[i] >= 0x80)
			return 0;
		letters += (w[i] >= 'A' && w[i] <= 'Z') || (w[i] >= 'a' && w[i] <= 'z');
		lower += w[i] >= 'a' && w[i] <= 'z';
		vowels_after_first += i > 0 && strchr("AEIOUYaeiouy", w[i]) != NULL;
	}
	return letters >= 3 && (lower > 0 || vowels_after_first > 0);
}

/* Is the word at [i] part of a province name the gazetteer knows as written? */
static int in_province(const struct extractor *x, char **words, size_t nw, size_t i)
{
	for (size_t from = i >= 3 ? i - 3 : 0; from <= i; from++)
		for (size_t to = i + 1; to <= nw && to <= from + 4; to++) {
			struct buf b = { 0 };
			for (size_t k = from; k < to; k++)
				buf_appendf(&b, "%s%s", k > from ? " " : "", words[k]);
			buf_append(&b, "", 1);
			size_t dist;
			const char *canon = gazetteer_match(x->g, GZ_PROVINCE, b.data, &dist, NULL);
			char *up = canon ? text_upper(canon) : NULL, *mine = text_upper(b.data);
			int same = up != NULL && strcmp(up, mine) == 0;
			free(up);
			free(mine);
			free(b.data);
			if (same)
				return 1;
		}
	return 0;
}

/*
 * Does the value have a word without a single mark that OCR may have
 * stripped ("Van" for "Văn")? Words of a province name written as the
 * gazetteer writes it, and the first (family) name of a person, are known.
 */
static int marks_doubtful(const struct extractor *x, const char *value, int person)
{
	char *copy = xstrdup(value), *save = NULL, *words[64];
	size_t nw = 0;
	for (char *w = strtok_r(copy, " ,.;:()", &save); w && nw < 64; w = strtok_r(NULL,
	    " ,.;:()", &save))
		words[nw++] = w;
	int doubt = 0;
	for (size_t i = person ? 1 : 0; i < nw && !doubt; i++)
		doubt = ascii_word(words[i], strlen(words[i])) && (person ||
		    !in_province(x, words, nw, i));
	free(copy);
	return doubt;
}

static void cap(struct fieldset *fs, enum field f, double max)
{
	if (fs->value[f] != NULL && fs->conf[f] > max)
		fs->conf[f] = max;
}

/* Names a body below the province ("UBND HUYỆN BẾN LỨC"): no list checks it. */
static int below_province(const char *value)
{
	static const char *const units[] = { "HUYEN ", "QUAN ", "XA ", "PHUONG ", "THI TRAN ",
		"THI XA " };
	char *f = match_fold(value);
	int below = 0;
	for (size_t i = 0; f != NULL && i < sizeof(units) / sizeof(units[0]); i++) {
		const char *hit = strstr(f, units[i]);
		below |= hit != NULL && (hit == f || hit[-1] == ' ');
	}
	free(f);
	return below;
}

static void cap_unverified(const struct extractor *x, struct fieldset *fs)
{
	static const enum field persons[] = { F_SIGNER, F_APPLICANT };
	static const enum field bodies[] = { F_ISSUER, F_ISSUER_PARENT, F_PLACE };
	cap(fs, F_SUBJECT, FREE_TEXT_MAX);
	cap(fs, F_ADDRESS, FREE_TEXT_MAX);
	for (size_t i = 0; i < 2; i++)
		if (fs->value[persons[i]] && marks_doubtful(x, fs->value[persons[i]], 1))
			cap(fs, persons[i], FREE_TEXT_MAX);
	for (size_t i = 0; i < 3; i++) {
		if (fs->value[bodies[i]] && marks_doubtful(x, fs->value[bodies[i]], 0))
			cap(fs, bodies[i], FREE_TEXT_MAX);
		if (fs->value[bodies[i]] && below_province(fs->value[bodies[i]]))
			cap(fs, bodies[i], UNCHECKED_MAX);
	}
}

/*
 * The fields a result is filed and found by: below 0.9 they go to review
 * (make eval: this flags a third of the scans, three in four of them with a
 * field wrong or missing, and leaves 2 in 180 with one of these wrong).
 */
static int files_by(enum field f)
{
	return f == F_NUMBER || f == F_DATE || f == F_DOSSIER_CODE || f == F_CITIZEN_ID ||
	    f == F_TAX_CODE;
}

static const enum field key_document[] = { F_NUMBER, F_DATE, F_ISSUER };
static const enum field key_receipt[] = { F_DOSSIER_CODE, F_APPLICANT };
static const enum field key_form[] = { F_APPLICANT };

static void flag_key_fields(struct part *p)
{
	const enum field *keys = NULL;
	size_t n = 0;
	if (strcmp(p->kind, "document") == 0)
		keys = key_document, n = 3;
	else if (strcmp(p->kind, "receipt") == 0)
		keys = key_receipt, n = 2;
	else if (strcmp(p->kind, "form") == 0)
		keys = key_form, n = 1;
	for (size_t i = 0; i < n; i++)
		if (p->fs.value[keys[i]] == NULL)
			fieldset_flag(&p->fs, keys[i], "not found");
	for (int f = 0; f < F_COUNT; f++)
		if (p->fs.value[f] != NULL && p->fs.conf[f] < (files_by((enum field)f) ? 0.9 : SURE)) {
			char *why = xasprintf("read with low confidence (%.2f)", p->fs.conf[f]);
			fieldset_flag(&p->fs, (enum field)f, why);
			free(why);
		}
}

/* ---- the result ------------------------------------------------------------ */

static json_t *fields_json(const struct fieldset *fs)
{
	json_t *o = json_object();
	for (int f = 0; f < F_COUNT; f++)
		json_object_set_new(o, names[f], fs->value[f] ? json_string(fs->value[f]) :
		    json_null());
	return o;
}

static json_t *confidence_json(const struct fieldset *fs)
{
	json_t *o = json_object();
	for (int f = 0; f < F_COUNT; f++)
		if (fs->value[f] != NULL)
			json_object_set_new(o, names[f], json_real((double)(int)(fs->conf[f] * 1000 +
			    0.5) / 1000));
	return o;
}

static void add_reason(json_t *reasons, size_t index, size_t nparts, const char *what,
    const char *why)
{
	char *s = nparts > 1 ? xasprintf("part %zu: %s: %s", index + 1, what, why) :
	    xasprintf("%s: %s", what, why);
	json_array_append_new(reasons, json_string(s));
	free(s);
}

/* Appends why part `index` needs a person; 1 when it does. */
static int add_reasons(const struct part *p, size_t index, size_t nparts, json_t *reasons)
{
	int any = strcmp(p->kind, "unknown") == 0;
	if (any)
		add_reason(reasons, index, nparts, "kind", "the kind of document is not known");
	for (int f = 0; f < F_COUNT; f++)
		if (p->fs.problem[f] != NULL) {
			add_reason(reasons, index, nparts, names[f], p->fs.problem[f]);
			any = 1;
		}
	return any;
}

static json_t *part_json(const struct part *p, int review)
{
	return json_pack("{s:s, s:I, s:I, s:o, s:o, s:b}", "kind", p->kind,
	    "first_page", (json_int_t)p->first + 1, "pages", (json_int_t)p->count,
	    "fields", fields_json(&p->fs), "confidence", confidence_json(&p->fs),
	    "review", review);
}

/* A receipt that opens a dossier gives its code to the parts after it. */
static void propagate_dossier(struct part *parts, size_t np)
{
	const struct fieldset *head = &parts[0].fs;
	if (strcmp(parts[0].kind, "receipt") != 0 || head->value[F_DOSSIER_CODE] == NULL)
		return;
	for (size_t i = 1; i < np; i++)
		if (parts[i].fs.value[F_DOSSIER_CODE] == NULL)
			fieldset_put(&parts[i].fs, F_DOSSIER_CODE,
			    xstrdup(head->value[F_DOSSIER_CODE]), head->conf[F_DOSSIER_CODE]);
}

static void write_result(struct part *parts, size_t np, json_t *result)
{
	json_t *reasons = json_array(), *arr = json_array();
	int review = 0;
	for (size_t i = 0; i < np; i++) {
		int r = add_reasons(&parts[i], i, np, reasons);
		review |= r;
		json_array_append_new(arr, part_json(&parts[i], r));
	}
	json_object_set_new(result, "kind", json_string(parts[0].kind));
	json_object_set_new(result, "fields", fields_json(&parts[0].fs));
	json_object_set_new(result, "confidence", confidence_json(&parts[0].fs));
	json_object_set_new(result, "review", json_boolean(review));
	json_object_set_new(result, "review_reasons", reasons);
	if (np > 1)
		json_object_set_new(result, "parts", arr);
	else
		json_decref(arr);
}

void extract_scan(const struct extractor *x, const struct extract_page *pages, size_t n,
    time_t now, json_t *result)
{
	struct page_lines *lines = xcalloc(n ? n : 1, sizeof(*lines));
	struct part *parts = xcalloc(n ? n : 1, sizeof(*parts));
	int *blank = xcalloc(n ? n : 1, sizeof(*blank));
	for (size_t i = 0; i < n; i++) {
		blank[i] = pages[i].ocr == NULL;
		if (!blank[i])
			page_lines_build(x->g, pages[i].ocr, &lines[i]);
	}
	size_t np = n ? split_parts(x, lines, blank, n, parts) : 0;
	for (size_t i = 0; i < np; i++) {
		const char *qr = pages[parts[i].first].qr;
		read_part(x, lines, &parts[i], now);
		check_ids(&parts[i].fs, now, qr != NULL);
		if (qr != NULL)
			cross_check_qr(&parts[i].fs, qr, now);
	}
	if (np > 0) {
		propagate_dossier(parts, np);
		for (size_t i = 0; i < np; i++) {
			cap_unverified(x, &parts[i].fs);
			flag_key_fields(&parts[i]);
		}
		write_result(parts, np, result);
	}
	for (size_t i = 0; i < np; i++)
		fieldset_clear(&parts[i].fs);
	for (size_t i = 0; i < n; i++)
		page_lines_clear(&lines[i]);
	free(lines);
	free(parts);
	free(blank);
}
