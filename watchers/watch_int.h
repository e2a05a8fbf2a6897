/* Private to watchers/watch*.c: the watcher's state and its timer table. */
#ifndef SOHOA_WATCH_INT_H
#define SOHOA_WATCH_INT_H

#include <sys/stat.h>
#include <time.h>

#include "watchers.h"

#define MISSING_RETRY_MS 2000 /* a drop folder is looked at this often */
#define RECHECK_POLL_MS 1000

enum folder_state { F_WATCHING, F_MISSING };

struct folder {             /* one [watch NAME] */
	const struct watch_config *wc;
	char *path;             /* wc->path without a trailing slash */
	int wd;                 /* -1 unless F_WATCHING */
	enum folder_state state;
	time_t since;
	dev_t dev;              /* F_WATCHING: what the path led to */
	ino_t ino;
	uint64_t retry_ms;      /* next look: back yet? still there? */
	int need_scan;          /* offer what is there at the next step */
};

struct dossier {            /* a subfolder of a drop folder, watched one level */
	struct folder *f;
	char *path;
	int wd;
};

enum pend_kind { PEND_FILE, PEND_DOSSIER, PEND_RECHECK };

struct pending {
	char *path;
	uint64_t hash;
	struct folder *f;
	enum pend_kind kind;
	uint64_t due_ms;
	/* PEND_RECHECK: what the path looked like, and since when */
	int is_dir;
	off_t size;
	int64_t mtime_ns;
	uint64_t since_ms;
};

struct watcher {
	int fd;
	struct watch_options o; /* but o.ignore is NULL: */
	char **ignore;          /* our copy of the patterns */
	struct folder **folders;
	size_t nfolders;
	struct dossier *dossiers;
	size_t ndossiers;
	struct pending *pend;
	size_t npend, cappend;
	char **refused;         /* paths already logged as not taken */
	size_t nrefused;
	uint64_t now;           /* of the current step or call */
	drop_ready_fn ready;    /* of the current step */
	void *arg;
};

/* watch_timers.c */
struct pending *pend_find(struct watcher *w, const char *path, enum pend_kind kind);
/* Creates or re-arms the timer of (path, kind) at due_ms. */
struct pending *pend_arm(struct watcher *w, struct folder *f, const char *path,
    enum pend_kind kind, uint64_t due_ms);
void pend_drop(struct watcher *w, const char *path, enum pend_kind kind);
void pend_drop_folder(struct watcher *w, const struct folder *f);
/* An event on path: a recheck of it waits again from now. */
void pend_touch(struct watcher *w, const char *path);
/* Runs the timers due at w->now; the ms until the next one, or -1. */
int pend_run(struct watcher *w);

/* watch.c, for the timers */
/* Offers path as it is now: a regular file, or a folder with files in it. */
void watch_offer(struct watcher *w, struct folder *f, const char *path);
/*
 * What path is now (lstat into *st, st_mode 0 if gone): its kind, size and
 * mtime; a folder counts the pages the spool would take (regular files, names
 * not ignored) and its own mtime too. Returns 1 for a regular file, the number
 * of pages for a folder, -1 for anything else.
 */
int watch_measure(const struct watcher *w, const char *path, struct stat *st,
    enum drop_kind *kind, off_t *size, int64_t *mtime_ns);
struct folder *watch_folder_of(const struct watcher *w, const char *path);
/* s made printable (control and non-UTF-8 bytes as \xNN); caller frees. */
char *watch_esc(const char *s);

#endif
