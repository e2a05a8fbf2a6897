/* fuzz_kit: see fuzz_kit.h. Built into every fuzz target and replay binary. */
#include "fuzz/fuzz_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/common.h"
#include "pipeline/pipeline.h"

const char *fuzz_memfile(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		if ((fd = memfd_create("fuzz-input", MFD_CLOEXEC)) < 0)
			fatalx("memfd_create failed");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		fatalx("cannot write the fuzz input to the memfd");
	return path;
}

static char tempdir[256];

static void tempdir_remove(void)
{
	if (tempdir[0] != '\0')
		remove_tree(tempdir);
}

const char *fuzz_tempdir(void)
{
	if (tempdir[0] != '\0')
		return tempdir;
	const char *tmp = getenv("TMPDIR");
	snprintf(tempdir, sizeof(tempdir), "%s/sohoa-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(tempdir) == NULL)
		fatalx("mkdtemp %s failed", tempdir);
	atexit(tempdir_remove);
	return tempdir;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

const char *fuzz_data_dir(void)
{
	static char dir[4096];
	const char *env = getenv("SOHOA_DATA");
	if (env != NULL && *env != '\0')
		return env;
	/* build/<flavour>/fuzz/<binary> -> the repository's config/ */
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 32);
	if (n <= 0)
		fatalx("cannot find the fuzz binary's path; set SOHOA_DATA");
	dir[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
		char *rules = xasprintf("%s/config/kinds.rules", dir);
		int here = access(rules, R_OK) == 0;
		free(rules);
		if (here) {
			strcat(dir, "/config");
			return dir;
		}
	}
	fatalx("no config/kinds.rules above the fuzz binary; set SOHOA_DATA");
}
