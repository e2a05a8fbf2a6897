/*
 * done: a worker's finished job, kept in <work>/done.json until it is filed.
 * A commit retried (archive full) or replayed after a crash files the same
 * files again: the blobs an interrupted commit already placed are the ones
 * the index then names (no orphans), and the scan is not OCR'd twice.
 */
#include "daemon_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const keys[] = { "result_json", "original", "pdf", "xml", "alto" };
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char *done_path(const char *workdir)
{
	return xasprintf("%s/done.json", workdir);
}

json_t *done_save(const char *workdir, const struct job_report *r)
{
	struct err e = { 0 };
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "result_json", r->result_json,
	    "original", r->original, "pdf", r->pdf, "xml", r->xml, "alto", r->alto);
	if (d == NULL)
		fatalx("out of memory");
	if (workdir == NULL)
		return d;
	char *path = done_path(workdir);
	char *text = json_dumps(d, JSON_COMPACT);
	if (text == NULL)
		fatalx("out of memory");
	/* Not saved (disk full): filed from memory; only a crash then re-runs the job. */
	if (file_write_atomic(path, text, strlen(text), 0600, &e) < 0)
		log_warnx("%s: %s", path, e.msg);
	free(text);
	free(path);
	return d;
}

json_t *done_load(const char *workdir)
{
	json_error_t je;
	char *path = done_path(workdir);
	json_t *d = json_load_file(path, 0, &je);
	for (size_t i = 0; d != NULL && i < NKEYS; i++) {
		json_t *v = json_object_get(d, keys[i]);
		v = json_is_null(v) ? NULL : v;
		if ((v != NULL || i < NKEYS - 1) &&
		    (!json_is_string(v) || access(json_string_value(v), R_OK) < 0)) {
			log_warnx("%s: %s is gone; the job runs again", path, keys[i]);
			json_decref(d);
			d = NULL;
		}
	}
	if (d == NULL)
		unlink(path);
	free(path);
	return d;
}

void done_report(const json_t *d, const char *id, struct job_report *r)
{
	*r = (struct job_report){ .id = id, .outcome = JOB_DONE, .stage = "", .reason = "" };
	const char **fields[NKEYS] = { &r->result_json, &r->original, &r->pdf, &r->xml, &r->alto };
	for (size_t i = 0; i < NKEYS; i++)
		*fields[i] = json_string_value(json_object_get(d, keys[i]));
}
