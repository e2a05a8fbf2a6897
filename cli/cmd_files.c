/* sohoa get: a file of a result, out of the archive. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"

struct sink {
	int fd;
	const char *what;
	struct err *e;
};

static int write_chunk(void *arg, const void *p, size_t n)
{
	struct sink *k = arg;
	return fd_write_all(k->fd, p, n, k->what, k->e);
}

/* Copies src to dest ("-" or NULL = stdout); a file appears whole or not at all. */
static int write_out(const char *src, const char *dest, struct err *e)
{
	int rc = -1, out = STDOUT_FILENO;
	char *tmp = NULL;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_set(e, "cannot open %s: %s", src, strerror(errno));
		return -1;
	}
	if (dest != NULL && strcmp(dest, "-") != 0) {
		tmp = xasprintf("%s.part", dest);
		out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			err_set(e, "cannot create %s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	struct sink sink = { out, tmp ? tmp : "standard output", e };
	if (fd_read_chunks(in, write_chunk, &sink, e) < 0)
		goto out;
	if (tmp != NULL && (fsync(out) < 0 || rename(tmp, dest) < 0)) {
		err_set(e, "cannot write %s: %s", dest, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(in);
	if (tmp != NULL) {
		if (out >= 0)
			close(out);
		if (rc < 0)
			unlink(tmp);
		free(tmp);
	}
	return rc;
}

static int parse_get(int argc, char **argv, const char **id, enum blob_kind *kind,
    const char **dest)
{
	int kinds = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--pdf") == 0 || strcmp(a, "--xml") == 0 ||
		    strcmp(a, "--original") == 0) {
			*kind = a[2] == 'p' ? BLOB_PDF : a[2] == 'x' ? BLOB_XML : BLOB_ORIGINAL;
			kinds++;
		} else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
			*dest = argv[++i];
		} else if (a[0] != '-' && *id == NULL) {
			*id = a;
		} else {
			return -1;
		}
	}
	return (*id != NULL && kinds == 1) ? 0 : -1;
}

int cmd_get(int argc, char **argv, struct cli_global *g)
{
	argc = cli_common_options(argc, argv, g);
	const char *id = NULL, *dest = NULL;
	enum blob_kind kind = BLOB_ORIGINAL;
	if (parse_get(argc, argv, &id, &kind, &dest) < 0) {
		fprintf(stderr, "usage: sohoa get ID (--pdf | --xml | --original) [-o FILE]\n");
		return EXIT_USAGE;
	}
	struct sohoa_config cfg;
	struct archive *a;
	char *path = NULL;
	struct err e = { 0 };
	int rc = cli_open_archive(g, &cfg, &a);
	if (rc != EXIT_OK)
		goto out;
	rc = EXIT_NEGATIVE;
	if (archive_file_path(a, id, kind, cli_actor(), &path, &e) < 0)
		fprintf(stderr, "sohoa get: %s\n", e.msg);
	else if (path == NULL)
		fprintf(stderr, "sohoa get: result '%s' has no %s file%s\n", id,
		    blob_kind_name(kind), kind == BLOB_ORIGINAL ? "" :
		    " (signing is not implemented yet)");
	else if (write_out(path, dest, &e) == 0)
		rc = EXIT_OK;
	else {
		fprintf(stderr, "sohoa get: %s\n", e.msg);
		rc = EXIT_TEMPORARY;
	}
out:
	free(path);
	archive_close(a);
	config_free(&cfg);
	return rc;
}
