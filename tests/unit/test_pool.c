#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "daemon/daemon.h"

/*
 * A fake worker that speaks the pool's line protocol on fd 3. What it does
 * with a job depends on the job id's prefix: perm → permanent, env → its
 * environment and arguments as the reason, segv → dies of SIGSEGV, junk →
 * a line that is not JSON, hang → sleeps, deaf → ignores SIGTERM and sleeps,
 * slow → four pages 0.7 s apart, evil → done with files outside its
 * workdir, else done. FAKE_MODE=die: exits at start.
 */
static const char fake_worker[] =
    "#!/usr/bin/python3\n"
    "import json, os, resource, signal, sys, time\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "if os.environ.get('FAKE_DIR'):\n"
    "    open(os.environ['FAKE_DIR'] + '/starts', 'a').write('x\\n')\n"
    "if os.environ.get('FAKE_MODE') == 'die':\n"
    "    sys.exit(3)\n"
    "def send(o):\n"
    "    os.write(3, (json.dumps(o) + '\\n').encode())\n"
    "def job(j):\n"
    "    i, w = j['id'], j['workdir']\n"
    "    send({'id': i, 'stage': 'decode'})\n"
    "    if i.startswith('segv'):\n"
    "        os.kill(os.getpid(), signal.SIGSEGV)\n"
    "    if i.startswith('junk'):\n"
    "        os.write(3, b'this is not json\\n')\n"
    "        time.sleep(600)\n"
    "    if i.startswith('hang'):\n"
    "        time.sleep(600)\n"
    "    if i.startswith('deaf'):\n"
    "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "        send({'id': i, 'stage': 'ocr'})\n"
    "        time.sleep(600)\n"
    "    if i.startswith('slow'):\n"
    "        for p in range(1, 5):\n"
    "            time.sleep(0.7)\n"
    "            send({'id': i, 'stage': 'ocr', 'page': p, 'pages': 4})\n"
    "    if i.startswith('evil'):\n"
    "        w = '/spool/work/x/../../../etc'\n"
    "    if i.startswith('perm'):\n"
    "        return send({'id': i, 'outcome': 'permanent', 'stage': 'decode',\n"
    "                     'reason': 'not an image'})\n"
    "    if i.startswith('env'):\n"
    "        why = os.environ.get('OMP_THREAD_LIMIT', '') + ' ' + ' '.join(sys.argv[1:])\n"
    "        return send({'id': i, 'outcome': 'temporary', 'stage': 'sign', 'reason': why})\n"
    "    send({'id': i, 'outcome': 'done', 'stage': '', 'reason': '',\n"
    "          'result_json': w + '/result.json', 'original': j['original'],\n"
    "          'pdf': w + '/signed.pdf', 'xml': w + '/e-result.xml'})\n"
    "send({'ready': os.getpid()})\n"
    "buf = b''\n"
    "while True:\n"
    "    chunk = os.read(3, 65536)\n"
    "    if not chunk:\n"
    "        sys.exit(0)\n"
    "    buf += chunk\n"
    "    while b'\\n' in buf:\n"
    "        line, buf = buf.split(b'\\n', 1)\n"
    "        job(json.loads(line))\n";

static char tmpdir[64];
static char script[128];

struct reports {
	int n;
	struct {
		char id[64], stage[32], reason[256], original[256], pdf[256];
		enum job_outcome outcome;
	} r[8];
};

static void collect(void *arg, const struct job_report *r)
{
	struct reports *rs = arg;
	assert_true(rs->n < 8);
	snprintf(rs->r[rs->n].id, sizeof(rs->r[0].id), "%s", r->id);
	snprintf(rs->r[rs->n].stage, sizeof(rs->r[0].stage), "%s", r->stage);
	snprintf(rs->r[rs->n].reason, sizeof(rs->r[0].reason), "%s", r->reason);
	snprintf(rs->r[rs->n].original, sizeof(rs->r[0].original), "%s", r->original);
	snprintf(rs->r[rs->n].pdf, sizeof(rs->r[0].pdf), "%s", r->pdf);
	rs->r[rs->n].outcome = r->outcome;
	rs->n++;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Steps the pool as a supervisor would until `idle` workers are idle and
 * `nreports` reports came, or timeout_ms passed. Returns pool_step's last value. */
static int run_until(struct worker_pool *p, struct reports *rs, unsigned idle, int nreports,
    unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	for (;;) {
		int t = pool_step(p, now_ms(), collect, rs);
		if ((pool_idle(p) == idle && rs->n >= nreports) || now_ms() >= end)
			return t;
		struct pollfd fds[8];
		int n = pool_pollfds(p, fds, 8);
		poll(fds, (nfds_t)n, t < 0 || t > 50 ? 50 : t);
	}
}

static struct worker_pool *start(unsigned workers, unsigned page_timeout_s)
{
	struct pool_options o = { .self = script, .config_path = "/etc/x.conf",
		.workers = workers, .page_timeout_s = page_timeout_s };
	struct worker_pool *p = NULL;
	struct err e = { 0 };
	assert_int_equal(pool_start(&o, &p, &e), 0);
	return p;
}

static void dispatch(struct worker_pool *p, const char *id, int expect)
{
	struct pool_job j = { .id = id, .original = "/spool/queue/x/scan.tif",
		.workdir = "/spool/work/x", .watch = "counter-1" };
	struct err e = { 0 };
	assert_int_equal(pool_dispatch(p, &j, now_ms(), &e), expect);
}

static void stop_and_check_reaped(struct worker_pool *p, unsigned grace_ms)
{
	pool_stop(p, grace_ms);
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static json_t *status_of(struct worker_pool *p, size_t i)
{
	json_t *st = pool_status(p, now_ms());
	json_t *w = json_incref(json_array_get(st, i));
	json_decref(st);
	return w;
}

static void ready_dispatch_answers(void **state)
{
	(void)state;
	struct reports rs = { 0 };
	struct worker_pool *p = start(2, 60);
	assert_int_equal(pool_idle(p), 0);
	run_until(p, &rs, 2, 0, 5000);
	assert_int_equal(pool_idle(p), 2);
	assert_int_equal(pool_size(p), 2);
	json_t *w = status_of(p, 0);
	assert_string_equal(json_string_value(json_object_get(w, "state")), "idle");
	json_decref(w);

	dispatch(p, "ok-1", 0);
	dispatch(p, "perm-1", 0);
	dispatch(p, "env-1", -1);
	assert_int_equal(pool_idle(p), 0);
	w = status_of(p, 0);
	assert_string_equal(json_string_value(json_object_get(w, "state")), "busy");
	assert_string_equal(json_string_value(json_object_get(w, "job")), "ok-1");
	json_decref(w);
	run_until(p, &rs, 2, 2, 5000);
	assert_int_equal(rs.n, 2);
	int ok = strcmp(rs.r[0].id, "ok-1") == 0 ? 0 : 1;
	assert_int_equal(rs.r[ok].outcome, JOB_DONE);
	assert_string_equal(rs.r[ok].original, "/spool/queue/x/scan.tif");
	assert_string_equal(rs.r[ok].pdf, "/spool/work/x/signed.pdf");
	assert_int_equal(rs.r[1 - ok].outcome, JOB_PERMANENT);
	assert_string_equal(rs.r[1 - ok].stage, "decode");
	assert_string_equal(rs.r[1 - ok].reason, "not an image");

	dispatch(p, "env-1", 0);
	run_until(p, &rs, 2, 3, 5000);
	assert_int_equal(rs.r[2].outcome, JOB_TEMPORARY);
	assert_string_equal(rs.r[2].reason, "1 -c /etc/x.conf worker");
	stop_and_check_reaped(p, 2000);
}

static void crash_is_reported_and_replaced(void **state)
{
	(void)state;
	struct reports rs = { 0 };
	struct worker_pool *p = start(1, 60);
	run_until(p, &rs, 1, 0, 5000);
	json_t *w = status_of(p, 0);
	json_int_t first = json_integer_value(json_object_get(w, "pid"));
	json_decref(w);

	dispatch(p, "segv-1", 0);
	run_until(p, &rs, 1, 1, 5000);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.r[0].outcome, JOB_CRASHED);
	assert_string_equal(rs.r[0].stage, "decode");
	assert_non_null(strstr(rs.r[0].reason, "SIGSEGV"));
	assert_int_equal(pool_size(p), 1);
	assert_int_equal(pool_idle(p), 1);
	w = status_of(p, 0);
	assert_true(json_integer_value(json_object_get(w, "pid")) != first);
	json_decref(w);

	dispatch(p, "junk-1", 0);
	run_until(p, &rs, 1, 2, 5000);
	assert_int_equal(rs.r[1].outcome, JOB_CRASHED);
	assert_non_null(strstr(rs.r[1].reason, "broke the protocol"));
	assert_int_equal(pool_idle(p), 1);

	dispatch(p, "evil-1", 0);
	run_until(p, &rs, 1, 3, 5000);
	assert_int_equal(rs.r[2].outcome, JOB_CRASHED);
	assert_non_null(strstr(rs.r[2].reason, "broke the protocol"));
	assert_int_equal(pool_idle(p), 1);
	stop_and_check_reaped(p, 2000);
}

/* page_timeout 1 s: "hang" is killed after 2 s (first page counts twice);
 * "slow" takes 2.8 s but moves on every 0.7 s, so it is not. */
static void hung_is_killed_progress_is_not(void **state)
{
	(void)state;
	struct reports rs = { 0 };
	struct worker_pool *p = start(2, 1);
	run_until(p, &rs, 2, 0, 5000);
	uint64_t t0 = now_ms();
	dispatch(p, "slow-1", 0);
	dispatch(p, "hang-1", 0);
	run_until(p, &rs, 2, 2, 8000);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.r[0].id, "hang-1");
	assert_int_equal(rs.r[0].outcome, JOB_HUNG);
	assert_non_null(strstr(rs.r[0].reason, "no progress for 2 s"));
	assert_string_equal(rs.r[1].id, "slow-1");
	assert_int_equal(rs.r[1].outcome, JOB_DONE);
	uint64_t took = now_ms() - t0;
	assert_true(took >= 2700 && took < 6000);
	assert_int_equal(pool_idle(p), 2);
	assert_int_equal(pool_size(p), 2);
	stop_and_check_reaped(p, 2000);
}

static void stop_kills_the_deaf(void **state)
{
	(void)state;
	struct reports rs = { 0 };
	struct worker_pool *p = start(2, 60);
	run_until(p, &rs, 2, 0, 5000);
	dispatch(p, "deaf-1", 0);
	uint64_t end = now_ms() + 5000;
	for (;;) {
		pool_step(p, now_ms(), collect, &rs);
		json_t *w = status_of(p, 0);
		const char *stage = json_string_value(json_object_get(w, "stage"));
		int deaf = stage != NULL && strcmp(stage, "ocr") == 0;
		json_decref(w);
		if (deaf || now_ms() > end)
			break;
		poll(NULL, 0, 20);
	}
	uint64_t t0 = now_ms();
	stop_and_check_reaped(p, 300);
	uint64_t took = now_ms() - t0;
	assert_true(took >= 300 && took < 2000);
	assert_int_equal(rs.n, 0);
}

static void start_deaths_back_off(void **state)
{
	(void)state;
	struct reports rs = { 0 };
	setenv("FAKE_MODE", "die", 1);
	setenv("FAKE_DIR", tmpdir, 1);
	struct worker_pool *p = start(1, 60);
	unsetenv("FAKE_MODE");
	unsetenv("FAKE_DIR");
	int t = run_until(p, &rs, 1, 0, 1500);
	assert_int_equal(pool_size(p), 0);
	assert_true(t > 25000 && t <= 30000);
	char *starts = xasprintf("%s/starts", tmpdir);
	struct buf b = { 0 };
	struct err e = { 0 };
	assert_int_equal(file_read_all(starts, 1000, &b, &e), 0);
	assert_string_equal(b.data, "x\nx\nx\n");
	free(b.data);
	free(starts);
	stop_and_check_reaped(p, 1000);
}

static void missing_program_is_refused(void **state)
{
	(void)state;
	struct pool_options o = { .self = "/nonexistent/sohoa", .workers = 1 };
	struct worker_pool *p = NULL;
	struct err e = { 0 };
	assert_int_equal(pool_start(&o, &p, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/sohoa"));
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sohoa-pool-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(script, sizeof(script), "%s/fake-worker", tmpdir);
	FILE *f = fopen(script, "w");
	if (f == NULL)
		return -1;
	fputs(fake_worker, f);
	fclose(f);
	return chmod(script, 0755);
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ready_dispatch_answers),
		cmocka_unit_test(crash_is_reported_and_replaced),
		cmocka_unit_test(hung_is_killed_progress_is_not),
		cmocka_unit_test(stop_kills_the_deaf),
		cmocka_unit_test(start_deaths_back_off),
		cmocka_unit_test(missing_program_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
