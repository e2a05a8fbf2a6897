/*
 * api_child: `sohoa serve` kept running beside the daemon when [api] listen is
 * set. The network-facing server is its own process, so nothing it meets can
 * stop the filing of results; it is restarted if it dies (1 s, doubling to
 * 30 s) and dies with a supervisor killed -9 (it would hold the port).
 */
#include "daemon_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define API_BACKOFF_MAX_S 30
#define API_STABLE_MS 60000  /* a server up this long starts its backoff afresh */
#define API_STOP_MS 5000

extern char **environ;

/* In the child between fork and exec: async-signal-safe calls only. `serve`
 * blocks and waits for its own signals, so it starts with none blocked. A
 * supervisor killed with -9 takes it along: it would hold the port. */
static void exec_api(char *const argv[], pid_t parent)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	sigemptyset(&none);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &dfl, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	execve(argv[0], argv, environ);
	_exit(127);
}

void api_child_spawn(struct api_child *c, const char *listen, uint64_t now)
{
	char *argv[] = { (char *)c->self, (char *)"-c", (char *)c->config_path,
		(char *)"serve", NULL };
	if (c->config_path == NULL) {
		argv[1] = argv[3];
		argv[2] = argv[3] = NULL;
	}
	c->restart_at = 0;
	pid_t parent = getpid(), pid = fork();
	if (pid == 0)
		exec_api(argv, parent);
	if (pid < 0) {
		log_warn("cannot start the API server");
		c->restart_at = now + 1000ULL * (c->backoff_s ? c->backoff_s : 1);
		return;
	}
	c->pid = pid;
	c->started_ms = now;
	log_info("API server started (pid %d) for %s", (int)pid, listen);
}

static void describe_status(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(out, size, "was killed by signal %d (SIG%s)", WTERMSIG(status),
		    sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
}

/* Reaps the server if it died and sets when it comes back: 1 s, doubling to 30 s. */
static void api_reap(struct api_child *c, uint64_t now)
{
	int status = 0;
	char how[64];
	pid_t pid = c->pid;
	if (pid <= 0)
		return;
	pid_t r = waitpid(pid, &status, WNOHANG);
	if (r == 0 || (r < 0 && errno != ECHILD))
		return;
	describe_status(r < 0 ? 0 : status, how, sizeof(how));
	c->pid = 0;
	if (now - c->started_ms >= API_STABLE_MS)
		c->backoff_s = 0;
	c->backoff_s = c->backoff_s ? c->backoff_s * 2 : 1;
	if (c->backoff_s > API_BACKOFF_MAX_S)
		c->backoff_s = API_BACKOFF_MAX_S;
	c->restart_at = now + 1000ULL * c->backoff_s;
	log_warnx("the API server (pid %d) %s; started again in %u s", (int)pid, how,
	    c->backoff_s);
}

int api_child_step(struct api_child *c, const char *listen, uint64_t now)
{
	api_reap(c, now);
	if (c->pid > 0 || c->restart_at == 0 || listen == NULL)
		return -1;
	if (now < c->restart_at)
		return (int)(c->restart_at - now);
	c->restarts++;
	api_child_spawn(c, listen, now);
	return c->restart_at ? (int)(c->restart_at - now) : -1;
}

void api_child_stop(struct api_child *c)
{
	int status;
	pid_t pid = c->pid;
	*c = (struct api_child){ .self = c->self, .config_path = c->config_path,
		.restarts = c->restarts };
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (uint64_t until = (uint64_t)clock_ms() + API_STOP_MS; (uint64_t)clock_ms() < until; ) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
	}
	log_warnx("the API server (pid %d) did not stop within %d s: killed", (int)pid,
	    API_STOP_MS / 1000);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
