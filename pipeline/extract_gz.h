/*
 * extract: what extract_gazetteer.c and extract_repair.c share; not part of
 * the pipeline's interface.
 */
#ifndef SOHOA_EXTRACT_GZ_H
#define SOHOA_EXTRACT_GZ_H

#include "pipeline/extract_int.h"

#include <stddef.h>

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

#define WORDS_MAX 64

struct word {
	const char *p;
	size_t n;
};

/* ASCII punctuation: printable, not a letter or a digit. */
int gz_is_punct(char c);
/* A malloc'd, NUL-terminated copy of s[0..n). */
char *gz_copy_of(const char *s, size_t n);
/* The code points of s[0..n). */
size_t gz_count_cps(const char *s, size_t n);
/* The malloc'd key of s (see extract_gazetteer.c); NULL if s is not UTF-8. */
char *gz_match_key(const char *s);
/* s[0..n) has no byte above 0x7f. */
int gz_all_ascii(const char *s, size_t n);
/* The case of s[0..n)'s first letter, 1/-1/0; *upper, *lower (or NULL) which it has. */
int gz_case_scan(const char *s, size_t n, int *upper, int *lower);
/* How many words s[0..n) has; the first max of them in w. */
size_t gz_split_words(const char *s, size_t n, struct word *w, size_t max);
/* a[0..na) and b[0..nb) are equal but for the white space between words. */
int gz_same_words(const char *a, size_t na, const char *b, size_t nb);
/* A malloc'd copy of entry in the case of src[0..n), word by word. */
char *gz_cased_like(const char *entry, const char *src, size_t n);
/* a[0..n) and b are the same text but for case. */
int gz_same_upper(const char *a, size_t n, const char *b);

#endif
