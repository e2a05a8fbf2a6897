/*
 * The quarantine: jobs that cannot be processed, moved out of the spool's
 * queue for a person to look at (<quarantine_dir>/<id>/: the original or its
 * pages, job.json, reason.txt, quarantine.json), and the list of them.
 */
#include "watchers/spool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QUAR_DIR_MODE 0750   /* for a person to look into */
#define QUAR_FILE_MODE 0640

/* A hard link where it can (the queue's name goes with spool_done: a move
 * that leaves the queue whole until the quarantine is committed), else a
 * copy: the quarantine may be on another filesystem. */
static int link_or_copy(const char *src, const char *dst, struct err *e)
{
	struct stat st;
	if (link(src, dst) == 0) {
		if (chmod(dst, QUAR_FILE_MODE) == 0)
			return 0;
		spool_err_io(e, errno, "change the mode of", dst);
		return -1;
	}
	if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != EOPNOTSUPP) {
		spool_err_io(e, errno, "link", dst);
		return -1;
	}
	int fd = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err_set(e, "cannot open %s: %s", src, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = spool_copy_fd(fd, st.st_size, src, dst, QUAR_FILE_MODE, e);
	close(fd);
	return rc;
}

static int link_pages(const char *src, const char *dst, struct err *e)
{
	char **names;
	size_t n;
	int rc = 0;
	if (mkdir(dst, QUAR_DIR_MODE) < 0) {
		spool_err_io(e, errno, "create", dst);
		return -1;
	}
	if (spool_list_names(src, 0, &names, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *from = xasprintf("%s/%s", src, names[i]);
		char *to = xasprintf("%s/%s", dst, names[i]);
		rc = link_or_copy(from, to, e);
		free(from);
		free(to);
	}
	spool_free_names(names, n);
	return rc < 0 ? -1 : spool_fsync_dir(dst, e);
}

/* "original.tif" rather than "original": a person double-clicks it. */
static char *kept_name(const struct job_meta *m)
{
	const char *base = strrchr(m->source, '/');
	const char *dot = strrchr(base != NULL ? base : m->source, '.');
	int n = dot != NULL ? spool_plain_span(dot + 1) : -1;
	if (m->dossier)
		return xstrdup("pages");
	if (n >= 1 && n <= 5)
		return xasprintf("original%s", dot);
	return xstrdup("original");
}

static char *reason_text(const struct job_meta *m, const char *stage, const char *reason,
    const char *now, const char *kept)
{
	char *src = spool_utf8_lossy(m->source), *watch = spool_utf8_lossy(m->watch);
	char *why = spool_utf8_lossy(reason), *what = spool_utf8_lossy(stage);
	char *text = xasprintf("sohoa could not process this scan.\n\n"
	    "%s %s   (from drop folder %s)\n"
	    "Stage:  %s\nReason: %s\nTime:   %s\nJob:    %s\nKept:   %s%s\n\n"
	    "What to do: scan the document again; this folder can be deleted once it has"
	    " been.\n",
	    m->dossier ? "Folder:" : "File:  ", src, watch, what, why, now, m->id, kept,
	    m->dossier ? "/ here, the folder's files in their order" :
	    " here, the scan as received");
	free(src);
	free(watch);
	free(why);
	free(what);
	return text;
}

static char *quarantine_json(const struct job_meta *m, const char *stage, const char *reason,
    const char *now, const char *kept)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	spool_json_set_path(o, m->source);
	json_object_set_new(o, "watch", spool_json_text(m->watch));
	json_object_set_new(o, "stage", spool_json_text(stage));
	json_object_set_new(o, "reason", spool_json_text(reason));
	json_object_set_new(o, "time", json_string(now));
	json_object_set_new(o, "received_at", spool_json_text(m->received_at));
	json_object_set_new(o, "kept", json_string(kept));
	return spool_json_text_of(o);
}

static int write_in(const char *dir, const char *name, const char *text, struct err *e)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = spool_write_new_file(path, text, QUAR_FILE_MODE, e);
	free(path);
	return rc;
}

/* staging -> <qdir>/<id>, the quarantine's commit. One there already is from
 * a try whose queue entry outlived it (a crash): replaced, the job being safe
 * in the queue meanwhile. */
static int publish(const char *staging, const char *qdir, const char *id, struct err *e)
{
	char *final = xasprintf("%s/%s", qdir, id);
	int rc = spool_remove_all(final, e);
	if (rc == 0 && rename(staging, final) < 0) {
		spool_err_io(e, errno, "create", final);
		rc = -1;
	}
	if (rc == 0)
		rc = spool_fsync_dir(qdir, e);
	free(final);
	return rc;
}

/* Built in <qdir>/.incoming-<id>, published by one rename, and only then let
 * go of in the queue: a crash anywhere leaves the job in the queue (replayed)
 * or in the quarantine, or, for a moment, in both. */
int spool_quarantine(struct spool *s, const struct job_meta *m, const char *quarantine_dir,
    const char *stage, const char *reason, struct err *e)
{
	int rc = -1;
	char now[32];
	char *staging = NULL, *kept = NULL, *from = NULL, *to = NULL;
	char *text = NULL, *json = NULL;
	if (!spool_valid_id(m->id) || m->source == NULL) {
		err_set(e, "not a job: %s", m->id);
		goto out;
	}
	stage = stage != NULL ? stage : "";
	reason = reason != NULL ? reason : "";
	time_iso8601_vn(time(NULL), now);
	staging = xasprintf("%s/.incoming-%s", quarantine_dir, m->id);
	kept = kept_name(m);
	if (dir_make(quarantine_dir, QUAR_DIR_MODE, e) < 0 || spool_remove_all(staging, e) < 0)
		goto out;
	spool_sync_parent(quarantine_dir);
	if (mkdir(staging, QUAR_DIR_MODE) < 0) {
		spool_err_io(e, errno, "create", staging);
		goto out;
	}
	from = spool_original(s, m);
	to = xasprintf("%s/%s", staging, kept);
	if ((m->dossier ? link_pages(from, to, e) : link_or_copy(from, to, e)) < 0)
		goto out;
	free(from);
	free(to);
	from = xasprintf("%s/%s/job.json", s->queue, m->id);
	to = xasprintf("%s/job.json", staging);
	text = reason_text(m, stage, reason, now, kept);
	json = quarantine_json(m, stage, reason, now, kept);
	if (link_or_copy(from, to, e) < 0 || write_in(staging, "reason.txt", text, e) < 0 ||
	    write_in(staging, "quarantine.json", json, e) < 0 ||
	    spool_fsync_dir(staging, e) < 0 || publish(staging, quarantine_dir, m->id, e) < 0)
		goto out;
	log_warnx("spool: job %s (%s) quarantined in %s/%s: %s: %s", m->id, m->source,
	    quarantine_dir, m->id, stage, reason);
	rc = spool_done(s, m->id, e);
out:
	if (rc < 0 && staging != NULL)
		remove_tree(staging);
	free(staging);
	free(kept);
	free(from);
	free(to);
	free(text);
	free(json);
	return rc;
}

/* What is known of <qdir>/<name>: its quarantine.json, else its name and time. */
static json_t *quarantine_entry(const char *qdir, const char *name, const struct stat *st)
{
	static const char *const keys[] = {
		"id", "source", "watch", "stage", "reason", "time" };
	struct buf b = { 0 };
	struct err e = { 0 };
	json_error_t je;
	json_t *q = NULL, *out = json_object();
	char when[32], *path = xasprintf("%s/%s/quarantine.json", qdir, name);
	if (file_read_all(path, META_MAX, &b, &e) == 0) {
		q = json_loadb(b.data, b.len, 0, &je);  /* json_is_object() evaluates twice */
		if (!json_is_object(q))
			snprintf(e.msg, sizeof(e.msg), "%s",
			    q == NULL ? je.text : "not an object");
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(q, keys[i]);
		json_object_set_new(out, keys[i],
		    json_is_string(v) ? json_incref(v) : json_null());
	}
	if (!json_is_object(q)) {
		char *why = xasprintf("no readable quarantine.json (%s); see reason.txt",
		    e.msg);
		json_object_set_new(out, "reason", spool_json_text(why));
		free(why);
	}
	if (!json_is_string(json_object_get(out, "id")))
		json_object_set_new(out, "id", spool_json_text(name));
	if (!json_is_string(json_object_get(out, "time"))) {
		time_iso8601_vn(st->st_mtime, when);
		json_object_set_new(out, "time", json_string(when));
	}
	json_decref(q);
	free(b.data);
	free(path);
	return out;
}

static int newest_first(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(y, "time")),
	    json_string_value(json_object_get(x, "time")));
	return c != 0 ? c
	              : strcmp(json_string_value(json_object_get(y, "id")),
	                    json_string_value(json_object_get(x, "id")));
}

json_t *quarantine_list(const char *quarantine_dir)
{
	json_t *list = json_array();
	json_t **v = NULL;
	char **names;
	size_t n, k = 0;
	struct err e = { 0 };
	struct stat st;
	if (spool_list_names(quarantine_dir, 0, &names, &n, &e) < 0) {
		if (access(quarantine_dir, F_OK) == 0)
			log_warnx("quarantine: %s", e.msg);
		return list;
	}
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		char *dir = xasprintf("%s/%s", quarantine_dir, names[i]);
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			v[k++] = quarantine_entry(quarantine_dir, names[i], &st);
		free(dir);
	}
	qsort(v, k, sizeof(*v), newest_first);
	for (size_t i = 0; i < k; i++)
		json_array_append_new(list, v[i]);
	free(v);
	spool_free_names(names, n);
	return list;
}
