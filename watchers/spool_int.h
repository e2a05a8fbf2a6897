/*
 * Private to watchers/ (spool.c, quarantine.c, job_meta.c): the spool's state
 * and the helpers those files share. Not part of the interface; that is
 * watchers.h.
 */
#ifndef SOHOA_SPOOL_INT_H
#define SOHOA_SPOOL_INT_H

#include <sys/types.h>

#include "watchers.h"

#define META_MAX (1 << 20)   /* the most of job.json or quarantine.json read */

struct spool {
	char *dir, *incoming, *queue;
	int64_t last_us;     /* time of the last id made: ids never go backwards */
};

/* spool.c */
/* err_set, or err_temporary for a full disk (passes once there is room). */
void spool_err_io(struct err *e, int errnum, const char *what, const char *path);
int spool_fsync_dir(const char *path, struct err *e);
/* Best-effort fsync of the directory that holds path. */
void spool_sync_parent(const char *path);
/* remove_tree, with the error in *e. */
int spool_remove_all(const char *path, struct err *e);
/* The length of s if all of it is [0-9A-Za-z._-], else -1. */
int spool_plain_span(const char *s);
/* Could be a job id: plain, not empty, not a dot-name, shorter than JOB_ID_MAX. */
int spool_valid_id(const char *id);
/* The names in dir (without . and ..; dot-names only if with_dot), sorted;
 * free them with spool_free_names. */
int spool_list_names(const char *dir, int with_dot, char ***out, size_t *n, struct err *e);
void spool_free_names(char **v, size_t n);
/* A new file (never an existing one) holding data, fsync'd. */
int spool_write_new_file(const char *path, const char *data, unsigned mode, struct err *e);
/* Exactly size bytes of in into a new file dst, fsync'd; a source that ends
 * early has changed (temporary). */
int spool_copy_fd(int in, off_t size, const char *src, const char *dst, unsigned mode,
    struct err *e);

/* job_meta.c */
/* s with every byte that is not part of valid UTF-8 shown as U+FFFD; caller frees. */
char *spool_utf8_lossy(const char *s);
/* Sets "source", plus "source_hex" when path is not UTF-8. */
void spool_json_set_path(json_t *o, const char *path);
/* Takes o; its indented text with a newline, the caller's. */
char *spool_json_text_of(json_t *o);
/* job.json text for m, with `failures` in place of m->failures; caller frees. */
char *job_meta_dump(const struct job_meta *m, unsigned failures);
/* Fills *m (but m->id) from job.json text; the caller clears *m either way. */
int job_meta_parse(const char *text, size_t len, struct job_meta *m, struct err *e);

#endif
