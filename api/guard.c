/*
 * guard: a deadline for a whole request to arrive. libmicrohttpd's timeout
 * counts idle time only, so a client sending one byte a second (slowloris)
 * would hold its connection forever. Here every connection has `timeout`
 * seconds from its start (or from its previous answer) until its request —
 * headers and body — is complete; past it the socket is shut down, and
 * libmicrohttpd closes the connection as if the client had left.
 */
#include "api_int.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct watched {
	int fd;
	double since_ms;          /* when the current request began to arrive */
	int answering;            /* the request is whole: no deadline */
	int shut;
	struct watched *prev, *next;
};

struct guard {
	double timeout_ms;
	pthread_mutex_t lock;     /* the list; held while shutting a socket down, so
	                           * its fd cannot be closed and reused meanwhile */
	pthread_cond_t wake;
	struct watched *head;
	int stopping;
	pthread_t thread;
	atomic_ulong cut;
};

static struct watched *watched_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct guard *g = cls;
	struct watched *w = *socket_context;
	pthread_mutex_lock(&g->lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		w = xcalloc(1, sizeof(*w));
		w->fd = ci != NULL ? ci->connect_fd : -1;
		w->since_ms = clock_ms();
		w->next = g->head;
		if (g->head != NULL)
			g->head->prev = w;
		g->head = w;
		*socket_context = w;
	} else if (w != NULL) {
		if (w->prev != NULL)
			w->prev->next = w->next;
		else
			g->head = w->next;
		if (w->next != NULL)
			w->next->prev = w->prev;
		free(w);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&g->lock);
}

void guard_answering(struct guard *g, struct MHD_Connection *c)
{
	pthread_mutex_lock(&g->lock);
	struct watched *w = watched_of(c);
	if (w != NULL)
		w->answering = 1;
	pthread_mutex_unlock(&g->lock);
}

void guard_idle(struct guard *g, struct MHD_Connection *c)
{
	pthread_mutex_lock(&g->lock);
	struct watched *w = watched_of(c);
	if (w != NULL) {
		w->answering = 0;
		w->since_ms = clock_ms();
	}
	pthread_mutex_unlock(&g->lock);
}

static void sweep(struct guard *g)
{
	double now = clock_ms();
	for (struct watched *w = g->head; w != NULL; w = w->next) {
		if (w->answering || w->shut || w->fd < 0 || now - w->since_ms < g->timeout_ms)
			continue;
		shutdown(w->fd, SHUT_RDWR);
		w->shut = 1;
		atomic_fetch_add(&g->cut, 1);
	}
}

static void *sweeper(void *arg)
{
	struct guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		sweep(g);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int guard_start(unsigned timeout_s, struct guard **out, struct err *e)
{
	struct guard *g = xcalloc(1, sizeof(*g));
	g->timeout_ms = 1000.0 * (timeout_s ? timeout_s : 30);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	if (pthread_create(&g->thread, NULL, sweeper, g) != 0) {
		err_set(e, "cannot start the connection guard thread");
		free(g);
		return -1;
	}
	*out = g;
	return 0;
}

unsigned long guard_cut(struct guard *g)
{
	return g != NULL ? atomic_load(&g->cut) : 0;
}

void guard_stop(struct guard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	while (g->head != NULL) {
		struct watched *w = g->head;
		g->head = w->next;
		free(w);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
