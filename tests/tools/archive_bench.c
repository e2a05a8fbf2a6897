/*
 * archive_bench DIR N [QUERIES]: grows the index in DIR to N synthetic results
 * (through index_sqlite's commit, one transaction each, as the daemon does;
 * blobs are not written: the store is measured by archive_load), then times
 * dossier-code lookups and full-text searches. Prints one JSON line; run it
 * again with a bigger N on the same DIR to grow the same index further.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive/archive.h"

static const char *const words[] = {
	"quyết", "định", "kế", "hoạch", "thủ", "tục", "hành", "chính", "một", "cửa",
	"liên", "thông", "điện", "tử", "số", "hóa", "hồ", "sơ", "kết", "quả", "giải",
	"quyết", "ủy", "ban", "nhân", "dân", "tỉnh", "huyện", "xã", "công", "dân",
	"doanh", "nghiệp", "đất", "đai", "xây", "dựng", "hộ", "tịch", "khai", "sinh",
	"chứng", "thực", "bản", "sao", "tài", "nguyên", "môi", "trường", "giáo", "dục",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void dossier_of(unsigned i, char out[40])
{
	snprintf(out, 40, "000.00.%02u.H%02u-24%02u%02u-%04u", i % 90 + 10, i % 63 + 1,
	    i % 12 + 1, i % 28 + 1, i / 1000 % 10000);
}

/* About 2.5 KB of text a page, with one rare word "mã<i>" to find. */
static char *page_text(unsigned i)
{
	struct buf b = { 0 };
	unsigned x = i * 2654435761u;
	buf_appendf(&b, "Số: %u/QĐ-UBND mã%u\n", i % 9000 + 1, i);
	while (b.len < 2500) {
		x = x * 1103515245u + 12345u;
		buf_appendf(&b, "%s%s", words[(x >> 8) % NWORDS], (x >> 20) % 12 ? " " : ".\n");
	}
	return b.data;
}

static json_t *synthetic(unsigned i)
{
	char id[65], dossier[40], number[24], date[12];
	snprintf(id, sizeof(id), "%064x", i + 1);
	dossier_of(i, dossier);
	snprintf(number, sizeof(number), "%u/QĐ-UBND", i % 9000 + 1);
	snprintf(date, sizeof(date), "20%02u-%02u-%02u", 20 + i % 6, i % 12 + 1, i % 28 + 1);
	char *text = page_text(i);
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "QUYẾT ĐỊNH",
	    "number", number, "issuer", i % 2 ? "ỦY BAN NHÂN DÂN TỈNH GIA LAI" :
	    "SỞ TƯ PHÁP", "date", date, "dossier_code", dossier);
	json_t *r = json_pack("{s:s, s:n, s:s, s:s, s:i, s:s, s:o, s:s, s:b, s:b}",
	    "id", id, "result_code", "source", "bench", "received_at",
	    "2026-11-22T09:15:00+07:00", "pages", 1, "kind", "document", "fields", fields,
	    "text", text, "signed", 0, "reused", 0);
	free(text);
	return r;
}

/* *rate: commits a second over the growth; *last_ms: a commit's mean time over
 * its last LAST commits, the cost at n results. */
#define LAST 1000u
static int grow(void *h, unsigned have, unsigned n, double *rate, double *last_ms,
    struct err *e)
{
	double t0 = now(), tl = t0;
	unsigned from = n - have > LAST ? n - LAST : have;
	for (unsigned i = have; i < n; i++) {
		if (i == from)
			tl = now();
		json_t *r = synthetic(i);
		struct index_commit c = { .result = r, .actor = "bench" };
		c.blob_sha[BLOB_ORIGINAL] = json_string_value(json_object_get(r, "id"));
		struct index_outcome out = { 0 };
		int rc = index_sqlite.commit(h, &c, &out, e);
		json_decref(out.result);
		json_decref(r);
		if (rc < 0)
			return -1;
		if ((i + 1) % 50000 == 0)
			fprintf(stderr, "archive_bench: %u results\n", i + 1);
	}
	*rate = n > have ? (n - have) / (now() - t0) : 0;
	*last_ms = n > have ? (now() - tl) * 1000 / (n - from) : 0;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double *v, unsigned n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(unsigned)(p * (n - 1))];
}

/* kind 0: get by dossier code; 1: rare word; 2: two common words. */
static int timed_queries(void *h, unsigned n, unsigned q, int kind, double *lat, struct err *e)
{
	for (unsigned k = 0; k < q; k++) {
		unsigned i = (unsigned)((k * 7919ull) % n);
		char key[64];
		json_t *res = NULL;
		double t0 = now();
		int rc;
		if (kind == 0) {
			dossier_of(i, key);
			rc = index_sqlite.get(h, key, &res, e);
		} else {
			if (kind == 1)
				snprintf(key, sizeof(key), "mã%u", i);
			else
				snprintf(key, sizeof(key), "%s %s", words[k % NWORDS],
				    words[(k * 7) % NWORDS]);
			struct archive_query aq = { .text = key, .limit = 20 };
			rc = index_sqlite.search(h, &aq, &res, e);
		}
		lat[k] = (now() - t0) * 1000;
		if (rc < 0 || res == NULL)
			return -1;
		json_decref(res);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: archive_bench DIR N [QUERIES]\n");
		return 2;
	}
	unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
	unsigned q = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 2000;
	struct err e = { 0 };
	void *h = NULL;
	json_t *stats = NULL;
	double rate = 0, last_ms = 0, *lat = xcalloc(q, sizeof(double));
	if (dir_make(argv[1], 0750, &e) < 0 || index_sqlite.open(argv[1], &h, &e) < 0 ||
	    index_sqlite.stats(h, &stats, &e) < 0)
		goto fail;
	unsigned have = (unsigned)json_integer_value(json_object_get(stats, "results"));
	if (grow(h, have < n ? have : n, n, &rate, &last_ms, &e) < 0)
		goto fail;
	char *db = xasprintf("%s/index.sqlite", argv[1]);
	struct stat st;
	double per = stat(db, &st) == 0 ? (double)st.st_size / n : 0;
	free(db);
	printf("{\"results\": %u, \"commit_per_s\": %.0f, \"commit_ms_last_1000\": %.3f, "
	    "\"index_bytes_per_result\": %.0f", n, rate, last_ms, per);
	static const char *const names[] = { "dossier_lookup", "fts_rare_word", "fts_two_words" };
	for (int kind = 0; kind < 3; kind++) {
		if (timed_queries(h, n, q, kind, lat, &e) < 0)
			goto fail;
		printf(", \"%s_ms\": {\"p50\": %.3f, \"p99\": %.3f}", names[kind],
		    pct(lat, q, 0.5), pct(lat, q, 0.99));
	}
	printf("}\n");
	json_decref(stats);
	index_sqlite.close(h);
	free(lat);
	return 0;
fail:
	fprintf(stderr, "archive_bench: %s\n", e.msg[0] ? e.msg : "a query found nothing");
	return 1;
}
