/*
 * fuzz_kit: what the fuzz targets share. Each target is one fuzz_<name>.c
 * with LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize when it needs set-up);
 * it is linked either with libFuzzer (make fuzz, clang) or with replay.c
 * (make tests / make asan, gcc) to run the committed inputs again.
 */
#ifndef SOHOA_FUZZ_KIT_H
#define SOHOA_FUZZ_KIT_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A memfd holding exactly data; its path is /proc/self/fd/N. One per process,
 * rewritten for every input. Returns the path (static storage). */
const char *fuzz_memfile(const uint8_t *data, size_t size);
/* A fresh private folder (mkdtemp under $TMPDIR), removed at exit. Static storage. */
const char *fuzz_tempdir(void);
/* data as a NUL-terminated string (NUL bytes inside kept); the caller frees. */
char *fuzz_strndup(const uint8_t *data, size_t size);
/* The repository's config/ (gazetteers, kinds.rules): $SOHOA_DATA, else
 * ../config beside fuzz/ found from the binary's path. */
const char *fuzz_data_dir(void);

#endif
