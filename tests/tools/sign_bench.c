/*
 * sign_bench: what signing costs a result, apart from OCR.
 *   sign_bench SCAN ROUNDS PIN_FILE (--pkcs12 FILE | --pkcs11 URI MODULE)
 * OCRs SCAN once, then runs the signing half of a job (PDF/A with the mark,
 * PAdES, XML e-result, XMLDSig) ROUNDS times and prints the mean and best
 * milliseconds, and the sizes of the scan and of the signed PDF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pipeline/pipeline.h"
#include "signer/signer.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int parse(int argc, char **argv, struct signer_config *sc)
{
	if (argc == 6 && strcmp(argv[4], "--pkcs12") == 0) {
		sc->pkcs12 = argv[5];
		return 0;
	}
	if (argc == 7 && strcmp(argv[4], "--pkcs11") == 0) {
		sc->pkcs11_uri = argv[5];
		sc->pkcs11_module = argv[6];
		return 0;
	}
	fprintf(stderr, "usage: sign_bench SCAN ROUNDS PIN_FILE (--pkcs12 FILE | "
	    "--pkcs11 URI MODULE)\n");
	return -1;
}

int main(int argc, char **argv)
{
	struct signer_config sc = { 0 };
	struct err e = { 0 };
	struct ocr_engine *eng = NULL;
	struct signer *s = NULL;
	struct job j = { 0 };
	if (parse(argc, argv, &sc) < 0)
		return 2;
	int rounds = atoi(argv[2]);
	sc.pin_file = argv[3];
	struct process_options opt = { .limits = { 300000000, 100, 1ULL << 30 } };
	struct package_info info = { .copy_form = "SAO Y",
		.agency_name = "Ủy ban nhân dân tỉnh Kon Tum", .operator_name = "bench" };
	if (signer_xml_init(&e) < 0 || signer_open(&sc, &s, &e) < 0 ||
	    ocr_engine_new("vie+eng", NULL, &eng, &e) < 0 || job_init(&j, argv[1], "/tmp", &e) < 0 ||
	    job_recognise(&j, eng, &opt, &e) < 0)
		goto fail;
	double total = 0, best = 1e18;
	for (int i = 0; i < rounds; i++) {
		double t0 = now_ms();
		if (job_sign(&j, s, &info, &e) < 0)
			goto fail;
		double ms = now_ms() - t0;
		total += ms;
		best = ms < best ? ms : best;
	}
	printf("%s: %s key, %d rounds: mean %.1f ms, best %.1f ms per result (PDF/A + PAdES + "
	    "XML + XMLDSig); scan %lld bytes, signed PDF %lld bytes (%.2fx), XML %lld bytes\n",
	    argv[1], signer_key_kind(s), rounds, total / rounds, best, file_size(argv[1]),
	    file_size(j.pdf), (double)file_size(j.pdf) / (double)file_size(argv[1]),
	    file_size(j.xml));
	job_clear(&j);
	signer_close(s);
	ocr_engine_free(eng);
	signer_xml_cleanup();
	return 0;
fail:
	fprintf(stderr, "sign_bench: %s\n", e.msg);
	return 1;
}
