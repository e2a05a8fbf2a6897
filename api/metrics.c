/*
 * metrics: /metrics in the Prometheus text format (version 0.0.4). The
 * daemon's counters come from its status socket, the archive's from its
 * index, the server's own from this process.
 */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

static void gauge(struct buf *b, const char *name, const char *help, const char *type,
    double v)
{
	buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : 0;
}

static unsigned busy_workers(json_t *workers)
{
	size_t i;
	json_t *w;
	unsigned n = 0;
	json_array_foreach(workers, i, w) {
		const char *s = json_string_value(json_object_get(w, "state"));
		n += s != NULL && strcmp(s, "busy") == 0;
	}
	return n;
}

/* The daemon's per-stage histograms: {"buckets_s": [...], stage: {count, sum_s, le}}. */
static void stage_histograms(struct buf *b, json_t *stages)
{
	json_t *bounds = json_object_get(stages, "buckets_s"), *h;
	const char *stage;
	buf_appendf(b, "# HELP sohoa_stage_seconds Time a scan spends in each stage.\n"
	    "# TYPE sohoa_stage_seconds histogram\n");
	json_object_foreach(stages, stage, h) {
		json_t *le = json_object_get(h, "le");
		if (!json_is_array(le))
			continue;
		for (size_t i = 0; i < json_array_size(le) && i < json_array_size(bounds); i++)
			buf_appendf(b, "sohoa_stage_seconds_bucket{stage=\"%s\",le=\"%g\"} %.0f\n",
			    stage, json_number_value(json_array_get(bounds, i)),
			    json_number_value(json_array_get(le, i)));
		buf_appendf(b, "sohoa_stage_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %.0f\n"
		    "sohoa_stage_seconds_sum{stage=\"%s\"} %.6f\n"
		    "sohoa_stage_seconds_count{stage=\"%s\"} %.0f\n", stage, num(h, "count"),
		    stage, num(h, "sum_s"), stage, num(h, "count"));
	}
}

static void daemon_metrics(struct buf *b, struct api *api)
{
	json_t *st = NULL;
	struct err e = { 0 };
	int up = status_query(api->cfg->spool_dir, &st, &e) == 0;
	json_t *t = json_object_get(st, "totals"), *wh = json_object_get(st, "webhook");
	gauge(b, "sohoa_daemon_up", "1 when the daemon answers on its status socket.", "gauge",
	    up);
	gauge(b, "sohoa_scans_received_total", "Scans taken from the drop folders since the "
	    "daemon started.", "counter", num(t, "taken"));
	gauge(b, "sohoa_results_archived_total", "Results archived since the daemon started.",
	    "counter", num(t, "archived"));
	gauge(b, "sohoa_quarantined_total", "Scans quarantined since the daemon started.",
	    "counter", num(t, "quarantined"));
	gauge(b, "sohoa_signing_failures_total", "Jobs that failed at signing since the daemon "
	    "started.", "counter", num(t, "signing_failures"));
	gauge(b, "sohoa_queue_length", "Jobs waiting for a worker.", "gauge", num(st, "queue"));
	gauge(b, "sohoa_workers", "Worker processes.", "gauge",
	    (double)json_array_size(json_object_get(st, "workers")));
	gauge(b, "sohoa_workers_busy", "Workers running a job.", "gauge",
	    busy_workers(json_object_get(st, "workers")));
	gauge(b, "sohoa_webhook_backlog", "Webhook deliveries waiting on disk.", "gauge",
	    wh != NULL ? num(wh, "pending") : (double)webhook_backlog(api->cfg));
	gauge(b, "sohoa_webhook_delivered_total", "Webhook deliveries accepted since the daemon "
	    "started.", "counter", num(wh, "delivered"));
	if (json_is_object(json_object_get(st, "stages")))
		stage_histograms(b, json_object_get(st, "stages"));
	json_decref(st);
}

static void archive_metrics(struct buf *b, struct api *api)
{
	struct err e = { 0 };
	json_t *s = NULL;
	struct archive *a = api_archive(api, &e);
	if (a == NULL || archive_stats(a, &s, &e) < 0) {
		log_warnx("metrics: archive statistics: %s", e.msg);
		return;
	}
	gauge(b, "sohoa_archive_results", "Results in the archive.", "gauge", num(s, "results"));
	gauge(b, "sohoa_archive_pages", "Pages in the archive.", "gauge", num(s, "pages"));
	gauge(b, "sohoa_archive_dossiers", "Dossiers in the archive.", "gauge", num(s, "dossiers"));
	gauge(b, "sohoa_archive_commits_total", "Scans filed, reused ones included.", "counter",
	    num(s, "commits"));
	gauge(b, "sohoa_archive_reuses_total", "Scans whose result was already archived.",
	    "counter", num(s, "reuses"));
	gauge(b, "sohoa_reuse_rate", "Share of filed scans that reused an archived result.",
	    "gauge", num(s, "reuse_rate"));
	json_decref(s);
}

static void http_metrics(struct buf *b, struct api_counters *n, struct guard *guard)
{
	unsigned long cum = 0;
	buf_appendf(b, "# HELP sohoa_http_requests_total HTTP requests answered, by status "
	    "class.\n# TYPE sohoa_http_requests_total counter\n");
	for (int c = 1; c <= 5; c++)
		buf_appendf(b, "sohoa_http_requests_total{code=\"%dxx\"} %lu\n", c,
		    atomic_load(&n->by_class[c]));
	gauge(b, "sohoa_http_auth_failures_total", "Requests refused for missing or bad "
	    "credentials.", "counter", (double)atomic_load(&n->auth_failures));
	gauge(b, "sohoa_http_rate_limited_total", "Requests refused after too many failed "
	    "attempts.", "counter", (double)atomic_load(&n->rate_limited));
	gauge(b, "sohoa_http_slow_requests_cut_total", "Connections shut down because their "
	    "request did not arrive within [api] timeout.", "counter", (double)guard_cut(guard));
	gauge(b, "sohoa_http_file_bytes_total", "Bytes of archived files sent.", "counter",
	    (double)atomic_load(&n->bytes_sent));
	buf_appendf(b, "# HELP sohoa_http_request_seconds Time to answer a request.\n"
	    "# TYPE sohoa_http_request_seconds histogram\n");
	for (int i = 0; i < HIST_BUCKETS; i++) {
		cum += atomic_load(&n->latency_le[i]);
		buf_appendf(b, "sohoa_http_request_seconds_bucket{le=\"%g\"} %lu\n",
		    api_latency_buckets_s[i], cum);
	}
	buf_appendf(b, "sohoa_http_request_seconds_bucket{le=\"+Inf\"} %lu\n"
	    "sohoa_http_request_seconds_sum %.6f\nsohoa_http_request_seconds_count %lu\n",
	    atomic_load(&n->latency_count), (double)atomic_load(&n->latency_sum_us) / 1e6,
	    atomic_load(&n->latency_count));
}

enum MHD_Result metrics_reply(struct request *r)
{
	struct buf b = { 0 };
	daemon_metrics(&b, r->api);
	archive_metrics(&b, r->api);
	http_metrics(&b, &r->api->n, r->api->guard);
	return reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
}
