/*
 * watch_timers: the watcher's timers, keyed by path: files settling, dossiers
 * getting stable, paths re-checked. A plain array scanned in full: a few
 * thousand entries at most, each compared by hash before by name.
 */
#include "watch_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t watch_hash(const char *s)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

struct pending *pend_find(struct watcher *w, const char *path, enum pend_kind kind)
{
	uint64_t h = watch_hash(path);
	for (size_t i = 0; i < w->npend; i++) {
		struct pending *p = &w->pend[i];
		if (p->hash == h && p->kind == kind && strcmp(p->path, path) == 0)
			return p;
	}
	return NULL;
}

static struct pending *pend_append(struct watcher *w)
{
	if (w->npend == w->cappend) {
		w->cappend = w->cappend ? w->cappend * 2 : 64;
		w->pend = xrealloc(w->pend, w->cappend * sizeof(*w->pend));
	}
	return &w->pend[w->npend++];
}

struct pending *pend_arm(struct watcher *w, struct folder *f, const char *path,
    enum pend_kind kind, uint64_t due_ms)
{
	struct pending *p = pend_find(w, path, kind);
	if (p == NULL) {
		p = pend_append(w);
		*p = (struct pending){ .path = xstrdup(path), .hash = watch_hash(path), .f = f,
			.kind = kind };
	}
	p->due_ms = due_ms;
	return p;
}

static void pend_remove(struct watcher *w, size_t i)
{
	free(w->pend[i].path);
	w->pend[i] = w->pend[--w->npend];
}

void pend_drop(struct watcher *w, const char *path, enum pend_kind kind)
{
	struct pending *p = pend_find(w, path, kind);
	if (p != NULL)
		pend_remove(w, (size_t)(p - w->pend));
}

void pend_drop_folder(struct watcher *w, const struct folder *f)
{
	for (size_t i = 0; i < w->npend;) {
		if (w->pend[i].f == f)
			pend_remove(w, i);
		else
			i++;
	}
}

void pend_touch(struct watcher *w, const char *path)
{
	struct pending *p = pend_find(w, path, PEND_RECHECK);
	if (p != NULL)
		p->since_ms = w->now;
}

/* ---- re-checks: polled, since a failed decode says nothing inotify saw ---- */

static uint64_t recheck_due(const struct watcher *w, const struct pending *p, uint64_t now)
{
	uint64_t stable = p->since_ms + (uint64_t)w->o.stable_s * 1000;
	return stable < now + RECHECK_POLL_MS ? stable : now + RECHECK_POLL_MS;
}

void watcher_recheck(struct watcher *w, const char *path, uint64_t now_ms)
{
	struct folder *f = watch_folder_of(w, path);
	struct stat st;
	enum drop_kind kind;
	off_t size;
	int64_t mtime;
	if (f == NULL || watch_measure(w, path, &st, &kind, &size, &mtime) < 0) {
		char *p = watch_esc(path);
		log_debug("%s: not re-checked: gone, or in no drop folder", p);
		free(p);
		pend_drop(w, path, PEND_RECHECK);
		return;
	}
	struct pending *p = pend_arm(w, f, path, PEND_RECHECK, 0);
	p->is_dir = kind == DROP_FOLDER;
	p->size = size;
	p->mtime_ns = mtime;
	p->since_ms = now_ms;
	p->due_ms = recheck_due(w, p, now_ms);
}

/* 1: keep waiting (p updated); 0: done with it (offered, or gone). */
static int recheck_poll(struct watcher *w, struct pending *p)
{
	struct stat st;
	enum drop_kind kind;
	off_t size;
	int64_t mtime;
	int n = watch_measure(w, p->path, &st, &kind, &size, &mtime);
	if (n < 0)
		return 0;
	if ((kind == DROP_FOLDER) != p->is_dir || size != p->size || mtime != p->mtime_ns) {
		p->is_dir = kind == DROP_FOLDER;
		p->size = size;
		p->mtime_ns = mtime;
		p->since_ms = w->now;
	}
	if (w->now < p->since_ms + (uint64_t)w->o.stable_s * 1000) {
		p->due_ms = recheck_due(w, p, w->now);
		return 1;
	}
	watch_offer(w, p->f, p->path);
	return 0;
}

/* ---- running them ---------------------------------------------------------- */

int pend_run(struct watcher *w)
{
	/* Each due entry leaves the array before it runs: ready() may add more. */
	for (size_t i = 0; i < w->npend;) {
		if (w->pend[i].due_ms > w->now) {
			i++;
			continue;
		}
		struct pending p = w->pend[i];
		w->pend[i] = w->pend[--w->npend];
		if (p.kind == PEND_RECHECK && recheck_poll(w, &p)) {
			*pend_append(w) = p;
			continue;
		}
		if (p.kind != PEND_RECHECK)
			watch_offer(w, p.f, p.path);
		free(p.path);
	}
	int next = -1;
	for (size_t i = 0; i < w->npend; i++) {
		uint64_t in = w->pend[i].due_ms > w->now ? w->pend[i].due_ms - w->now : 0;
		if (next < 0 || in < (uint64_t)next)
			next = in > 3600 * 1000 ? 3600 * 1000 : (int)in;
	}
	return next;
}

/* ---- names in the log ------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p, 0 if there is none. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned lo = 0x80, hi = 0xBF;
	size_t n;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3;
		lo = p[0] == 0xE0 ? 0xA0 : lo;
		hi = p[0] == 0xED ? 0x9F : hi;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4;
		lo = p[0] == 0xF0 ? 0x90 : lo;
		hi = p[0] == 0xF4 ? 0x8F : hi;
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

char *watch_esc(const char *s)
{
	struct buf b = { 0 };
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		size_t n = utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f || *p == '\\'))) {
			buf_appendf(&b, "\\x%02x", *p);
			p++;
		} else {
			buf_append(&b, p, n);
			p += n;
		}
	}
	buf_append(&b, "", 0); /* NUL-terminates, even when s is "" */
	return b.data;
}
