#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "pipeline/pipeline.h"

/* Run from the repository root (tests/run.sh does). */
#define SAMPLE "samples/hungyen-2684-300dpi-g4.tif"

static struct ocr_engine *engine;
static struct ocr_page page;
static struct page_image image;

static int recognise_sample(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct decoder *d = NULL;
	struct decode_limits lim = { 300000000, 10, 64u << 20 };
	if (ocr_engine_new("vie", NULL, &engine, &e) < 0 ||
	    decoder_open(SAMPLE, &lim, &d, &e) < 0 ||
	    decoder_next_page(d, &image, &e) < 0 ||
	    ocr_page_run(engine, &image, &page, &e) < 0) {
		print_error("setup: %s\n", e.msg);
		decoder_close(d);
		return -1;
	}
	decoder_close(d);
	return 0;
}

static int release(void **state)
{
	(void)state;
	ocr_page_clear(&page);
	page_image_clear(&image);
	ocr_engine_free(engine);
	return 0;
}

static int is_nfc(const char *s)
{
	char *n = (char *)utf8proc_NFC((const utf8proc_uint8_t *)s);
	int same = n != NULL && strcmp(n, s) == 0;
	free(n);
	return same;
}

static const struct ocr_word *find_word(const char *text)
{
	for (size_t i = 0; i < page.nwords; i++)
		if (strcmp(page.words[i].text, text) == 0)
			return &page.words[i];
	return NULL;
}

static void page_text_is_nfc_and_has_the_number_line(void **state)
{
	(void)state;
	assert_true(is_nfc(page.text));
	assert_non_null(strstr(page.text, "Số: 2684/QĐ-UBND"));
	assert_int_equal(page.dpi, 300);
	assert_true(page.mean_confidence > 50 && page.mean_confidence <= 100);
}

static void words_have_boxes_inside_the_page(void **state)
{
	(void)state;
	assert_true(page.nwords > 200);
	for (size_t i = 0; i < page.nwords; i++) {
		const struct ocr_word *w = &page.words[i];
		assert_true(is_nfc(w->text));
		assert_true(w->x >= 0 && w->y >= 0 && w->w > 0 && w->h > 0);
		assert_true(w->x + w->w <= page.width && w->y + w->h <= page.height);
		assert_true(w->confidence >= 0 && w->confidence <= 100);
	}
}

/* The number sits under the left header column, the date under the right:
 * extraction will rely on the boxes saying so. */
static void header_words_are_where_the_layout_puts_them(void **state)
{
	(void)state;
	const struct ocr_word *number = find_word("2684/QĐ-UBND");
	const struct ocr_word *year = find_word("2023");
	assert_non_null(number);
	assert_non_null(year);
	assert_true(number->x + number->w < page.width / 2);
	assert_true(year->x > page.width / 2);
	assert_true(number->y < page.height / 4);
	assert_true(abs(number->y - year->y) < number->h * 2);
	assert_true(number->confidence > 80);
}

static void layout_indices_only_grow(void **state)
{
	(void)state;
	for (size_t i = 1; i < page.nwords; i++) {
		assert_true(page.words[i].block >= page.words[i - 1].block);
		assert_true(page.words[i].line >= page.words[i - 1].line);
	}
	assert_true(page.words[page.nwords - 1].line > 20);
}

static void missing_language_is_a_clear_error(void **state)
{
	(void)state;
	struct err e = { 0 };
	struct ocr_engine *eng = NULL;
	assert_int_equal(ocr_engine_new("vie+klingon", NULL, &eng, &e), -1);
	assert_null(eng);
	assert_non_null(strstr(e.msg, "'klingon' is not installed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(page_text_is_nfc_and_has_the_number_line),
		cmocka_unit_test(words_have_boxes_inside_the_page),
		cmocka_unit_test(header_words_are_where_the_layout_puts_them),
		cmocka_unit_test(layout_indices_only_grow),
		cmocka_unit_test(missing_language_is_a_clear_error),
	};
	return cmocka_run_group_tests(tests, recognise_sample, release);
}
