/* text_fold: the diacritics-insensitive form of Vietnamese text for search. */
#include "archive/archive.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/*
 * đ (U+0111) has no decomposition, so STRIPMARK leaves it; ð (U+00F0) is
 * what OCR often reads for it. Both become d. The output is never longer.
 */
static void fold_d(char *s)
{
	char *w = s;
	for (const char *r = s; *r != '\0';) {
		unsigned char a = (unsigned char)r[0], b = (unsigned char)r[1];
		if ((a == 0xC4 && b == 0x91) || (a == 0xC3 && b == 0xB0)) {
			*w++ = 'd';
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

char *text_fold(const char *utf8)
{
	if (utf8 == NULL)
		return NULL;
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)utf8, 0, &out,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
	    UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
	if (n == UTF8PROC_ERROR_NOMEM)
		fatalx("out of memory");
	if (n < 0) {
		/* Not UTF-8: still usable for an ASCII match. */
		char *copy = xstrdup(utf8);
		for (char *p = copy; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		return copy;
	}
	fold_d((char *)out);
	return (char *)out;
}
