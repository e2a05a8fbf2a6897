/*
 * replay: runs a fuzz target's LLVMFuzzerTestOneInput over files, without
 * libFuzzer, so that the inputs that once crashed stay tests (make check,
 * make asan). Usage: replay_<target> FILE|DIR...; every regular file of a
 * DIR is one input. Prints "N inputs" and exits 0; a crash is a crash.
 */
#include "fuzz/fuzz_kit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static unsigned run_file(const char *path)
{
	struct buf b = { 0 };
	struct err e = { 0 };
	if (file_read_all(path, (size_t)1 << 30, &b, &e) < 0)
		fatalx("%s: %s", path, e.msg);
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
	free(b.data);
	return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static unsigned run_dir(const char *dir)
{
	struct dirent **names = NULL;
	unsigned count = 0;
	int n = scandir(dir, &names, NULL, by_name);
	if (n < 0)
		fatalx("cannot read %s", dir);
	for (int i = 0; i < n; i++) {
		struct stat st;
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			count += run_file(path);
		free(path);
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0)
			fatalx("%s does not exist", argv[i]);
		count += S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
	}
	printf("%u inputs\n", count);
	return 0;
}
