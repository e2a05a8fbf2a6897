/*
 * archive_load DIR COUNT [SEED]: commits COUNT synthetic results (random
 * original bytes, Vietnamese fields and text) through archive_commit, and
 * prints each id as it is filed. The same SEED gives the same results, so a
 * run killed midway and started again files the rest and re-files nothing.
 * Used by the crash test and the archive benchmark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"

static const char *const issuers[] = {
	"ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN", "ỦY BAN NHÂN DÂN TỈNH GIA LAI",
	"SỞ TÀI CHÍNH", "ỦY BAN NHÂN DÂN HUYỆN DIỄN CHÂU",
};
static const char *const types[] = { "QUYẾT ĐỊNH", "KẾ HOẠCH", "THÔNG BÁO", "BÁO CÁO" };

static json_t *synthetic_result(unsigned i, const char *id, const char *path)
{
	char number[32], date[16], dossier[40];
	snprintf(number, sizeof(number), "%u/QĐ-UBND", i + 1);
	snprintf(date, sizeof(date), "2024-%02u-%02u", i % 12 + 1, i % 28 + 1);
	snprintf(dossier, sizeof(dossier), "000.00.12.H29-240129-%04u", i / 3 % 10000);
	char *text = xasprintf("Số: %s\nQuyết định về việc kiểm soát thủ tục hành chính "
	    "số hóa kết quả giải quyết, mã %u.", number, i);
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	    "type", types[i % 4], "number", number, "issuer", issuers[i % 4],
	    "date", date, "dossier_code", dossier, "citizen_id", "064190001234");
	json_t *r = json_pack("{s:s, s:n, s:s, s:s, s:i, s:s, s:o, s:o, s:b, s:s, s:b, s:b}",
	    "id", id, "result_code", "source", path, "received_at", "2026-11-22T09:15:00+07:00",
	    "pages", 1, "kind", "document", "fields", fields, "confidence", json_object(),
	    "review", 0, "text", text, "signed", 0, "reused", 0);
	free(text);
	return r;
}

static int file_one(struct archive *a, unsigned i, unsigned seed, const char *tmpdir)
{
	struct err e = { 0 };
	char *path = xasprintf("%s/scan-%u.bin", tmpdir, i);
	unsigned char bytes[4096];
	srand(seed * 1000003u + i);
	for (size_t k = 0; k < sizeof(bytes); k++)
		bytes[k] = (unsigned char)rand();
	char id[65];
	int rc = -1;
	json_t *res = NULL, *filed = NULL;
	if (file_write_atomic(path, bytes, sizeof(bytes), 0600, &e) < 0 ||
	    sha256_file_hex(path, id, &e) < 0)
		goto out;
	res = synthetic_result(i, id, path);
	struct archive_files files = { .path = { [BLOB_ORIGINAL] = path } };
	if (archive_commit(a, res, &files, "test:archive_load", &filed, &e) < 0)
		goto out;
	printf("%s\n", id);
	fflush(stdout);
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "archive_load: result %u: %s\n", i, e.msg);
	unlink(path);
	free(path);
	json_decref(res);
	json_decref(filed);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: archive_load DIR COUNT [SEED]\n");
		return 2;
	}
	unsigned count = (unsigned)strtoul(argv[2], NULL, 10);
	unsigned seed = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
	struct err e = { 0 };
	struct archive *a = NULL;
	char *tmpdir = xasprintf("%s/load-tmp", argv[1]);
	int rc = 1;
	if (dir_make(tmpdir, 0700, &e) < 0 || archive_open(argv[1], 1, &a, &e) < 0) {
		fprintf(stderr, "archive_load: %s\n", e.msg);
		goto out;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < count; i++)
		if (file_one(a, i, seed, tmpdir) < 0)
			goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "archive_load: %u results in %.2f s (%.1f results/s)\n", count, s,
	    count / s);
	rc = 0;
out:
	archive_close(a);
	rmdir(tmpdir);
	free(tmpdir);
	return rc;
}
