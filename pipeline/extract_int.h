/* extract: what its files share; not part of the pipeline's interface. */
#ifndef SOHOA_EXTRACT_INT_H
#define SOHOA_EXTRACT_INT_H

#include "pipeline/pipeline.h"

#include <stddef.h>
#include <time.h>

/* ---- grammars and validators (extract_check.c) ------------------------ */
/*
 * Every function takes NFC UTF-8 and returns 1 when the value is valid and
 * 0 when it is not; none of them allocates. `now` is the scan's time: a
 * date after it (in Viet Nam's time, UTC+7) is invalid.
 */

/* A calendar date that exists, from 1945-09-02 to now. */
int check_date(int year, int month, int day, time_t now);

/* Number/symbol of a Nghị định 30 document, without "Số:": "59/QĐ-UBND",
 * "66/2025/NĐ-CP", "12/UBND-VX", "04/CTr-UBND" (standards.md §1). */
int check_number_symbol(const char *s);

/* Dossier code of TT 01/2018 Điều 19, "000.00.12.H29-240129-0042": grammar,
 * and its yymmdd a date that exists, from 2018-01-01 to now. */
int check_dossier_code(const char *s, time_t now);

/* CCCD: 12 digits, province code 001-096 of a real province (the codes of
 * QĐ 124/2004 as used by the CCCD), century/gender digit 0-5, and the birth
 * year it gives not after now. */
int check_cccd(const char *s, time_t now);

/* Old CMND: 9 digits (12-digit CMNDs are checked as CCCD). */
int check_cmnd(const char *s);

/* Tax code: 10 digits, or 10 + "-" + 3 for a branch; check digit as in
 * standards.md §3; serial 0000000 and branch 000 invalid. */
int check_mst(const char *s);

/* ---- text helpers (extract_text.c) ------------------------------------ */

/* A malloc'd copy of s folded for matching: NFD, marks dropped, đ/Đ -> d,
 * upper case, runs of white space as one space, trimmed. "Ủy  ban" ->
 * "UY BAN". NULL only if s is not UTF-8. (archive's text_fold is the lower
 * case form search uses; this one keeps the spacing extraction compares.) */
char *match_fold(const char *s);
/* A malloc'd upper-case copy of NFC UTF-8 ("Tỉnh" -> "TỈNH"). */
char *text_upper(const char *s);
/* Levenshtein distance over code points (not bytes). */
size_t text_distance(const char *a, const char *b);

/* ---- gazetteers (extract_gazetteer.c), OCR repair (extract_repair.c) - */

/* The lists of <data>/gazetteer/, one entry per line, '#' comments. */
enum gz_list {
	GZ_PROVINCE,  /* provinces.txt: the 34 of 2025 and the 63 before ("Hà Nội", "Hưng Yên") */
	GZ_AGENCY,    /* agencies.txt: "Ủy ban nhân dân", "Sở Tài chính", "Văn phòng ..." */
	GZ_DOCTYPE,   /* doctypes.txt: "QUYẾT ĐỊNH|QĐ" (type, tab or '|', abbreviation) */
	GZ_ROLE,      /* roles.txt: "CHỦ TỊCH", "PHÓ GIÁM ĐỐC", ... */
	GZ_SURNAME,   /* surnames.txt: "Nguyễn", "Trần", ... */
	GZ_PHRASE,    /* phrases.txt: fixed phrases of the forms ("CỘNG HÒA XÃ HỘI
	               * CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số:", "V/v") */
	GZ_COUNT
};

struct gazetteer;

/* Reads every list of <dir>/gazetteer/. A missing or unreadable file is an
 * error naming it. The caller owns *out. */
int gazetteer_load(const char *dir, struct gazetteer **out, struct err *e);
void gazetteer_free(struct gazetteer *g);
/* How many entries list `l` has. */
size_t gazetteer_count(const struct gazetteer *g, enum gz_list l);

/*
 * The entry of list `l` that `text` is, read by OCR: equal once folded, or
 * within the edit distance OCR noise allows (1 for 5-10 folded characters,
 * 2 above; none below 5). Returns the canonical entry (owned by g) or NULL
 * when none is close or two are equally close; *distance gets the folded
 * distance. For GZ_DOCTYPE, *abbrev (may be NULL) gets the abbreviation.
 */
const char *gazetteer_match(const struct gazetteer *g, enum gz_list l, const char *text,
    size_t *distance, const char **abbrev);

/*
 * One line of OCR text with the spans that are gazetteer entries written as
 * the gazetteer writes them, in the line's case (an all-capitals span stays
 * capitals): "ÚY BAN NHÂN DÂN TINH HUNG YEN" -> "ỦY BAN NHÂN DÂN TỈNH HƯNG
 * YÊN", "Sô: 12/QĐ-UBND" -> "Số: 12/QĐ-UBND". Only whole words are replaced.
 * Returns a malloc'd line; *repairs (may be NULL) gets how many spans
 * changed.
 */
char *gazetteer_repair_line(const struct gazetteer *g, const char *line, int *repairs);

/* ---- lines of a page (extract_layout.c) -------------------------------- */

/*
 * A run of words on one text line with no wide gap in it: Tesseract often
 * reads the two header columns as one line, and a segment is one column's
 * part of it. Text is NFC and repaired against the gazetteers.
 */
struct segment {
	char *text;          /* owned */
	char *folded;        /* match_fold(text), owned */
	int x0, y0, x1, y1;  /* box in page pixels */
	float conf_min, conf_mean; /* of its words, 0..1 */
	int repairs;         /* spans the gazetteers rewrote */
};

struct page_lines {
	struct segment *seg; /* sorted top to bottom, then left to right */
	size_t n;
	int width, height;
	int line_h;          /* median segment height: the page's text size */
	int left, right;     /* the body's margins: where most lines start and end */
};

/* Builds the segments of one OCR page. The caller owns *out (page_lines_clear). */
void page_lines_build(const struct gazetteer *g, const struct ocr_page *ocr,
    struct page_lines *out);
void page_lines_clear(struct page_lines *pl);
/* Is the segment's middle within 8% of the page's? */
int segment_centred(const struct page_lines *pl, const struct segment *s);
/* ... and is it indented from both margins, as a justified body line is not? */
int segment_centred_short(const struct page_lines *pl, const struct segment *s);

/* ---- what is extracted, field by field (extract.c) --------------------- */

/* The highest confidence of a name below the provinces' (a district, a
 * commune): no list confirms it, and OCR misreads one mark in ten. */
#define UNCHECKED_MAX 0.89

enum field {
	F_TYPE, F_NUMBER, F_ISSUER, F_ISSUER_PARENT, F_PLACE, F_DATE, F_SUBJECT, F_SIGNER,
	F_SIGNER_ROLE, F_AUTHORITY, F_DOSSIER_CODE, F_CITIZEN_ID, F_TAX_CODE, F_APPLICANT,
	F_PROCEDURE, F_RECEIVED, F_DUE, F_ADDRESS, F_COUNT
};
/* "type", "number", ...: the result object's keys. */
const char *field_name(enum field f);
int field_by_name(const char *name); /* -1 when unknown */

/* One part's fields as they are being found: value (owned) and confidence. */
struct fieldset {
	char *value[F_COUNT];
	double conf[F_COUNT];
	char *problem[F_COUNT]; /* why the field needs a person: owned, NULL if none */
};
/* Sets f (taking ownership of value) unless it already has a value with a
 * higher confidence. */
void fieldset_put(struct fieldset *fs, enum field f, char *value, double conf);
/* Marks f for review with a sentence (copied); keeps value as is. */
void fieldset_flag(struct fieldset *fs, enum field f, const char *why);
void fieldset_clear(struct fieldset *fs);

/* ---- documents of Nghị định 30 (extract_doc.c) ------------------------- */

/* The header of a first page: issuer, parent, number, place and date, type,
 * subject. `now` bounds dates. */
void doc_header(const struct gazetteer *g, const struct page_lines *pl, time_t now,
    struct fieldset *fs);
/* The signer block (role, name, authority prefix) of a part's last page. */
void doc_signer(const struct gazetteer *g, const struct page_lines *pl, struct fieldset *fs);
/* "Kon Tum, ngày 29 tháng 01 năm 2024" in s: date, and place (the province as
 * the gazetteer writes it, else as read, less sure). -1 when s has no date. */
int doc_place_date(const struct gazetteer *g, const struct segment *s, time_t now,
    struct fieldset *fs);
/* "ngày 17 tháng 3 năm 2021" anywhere in text (OCR'd, diacritics or not):
 * 0 and the date as "2021-03-17" in iso[11] when found and valid. */
int find_vn_date(const char *text, time_t now, char iso[11], size_t *start);

/* ---- kinds from the rules file (extract_rules.c) ------------------------ */

struct rules;
/* Reads <dir>/kinds.rules. The caller owns *out. */
int rules_load(const char *dir, struct rules **out, struct err *e);
void rules_free(struct rules *r);
/* The kind whose title a top-half centred line of page 1 starts with, or NULL. */
const char *rules_classify(const struct rules *r, const struct page_lines *pl,
    const char **title);
/* What else `kind` reads like a document: its header (issuer, parent, place,
 * date), the last dated line (place, date), the signer block. -1: no such kind. */
int rules_kind_flags(const struct rules *r, const char *kind, int *header, int *last_date,
    int *signer);
/* The procedure of procedures.txt that a title of `kind` names, when the
 * kind says "procedure = title" and exactly one fits; NULL otherwise. */
const char *rules_procedure(const struct rules *r, const char *kind, const char *title);
/* Label fields of `kind` ("Mã hồ sơ: ...") over the page's lines. */
void rules_fields(const struct rules *r, const char *kind, const struct page_lines *pl,
    time_t now, struct fieldset *fs);

/* ---- QR (extract_qr.c) --------------------------------------------------- */
/* declared in pipeline.h: qr_scan_page() */

#endif
