/* Private to daemon/: what its files share beyond daemon.h. */
#ifndef SOHOA_DAEMON_INT_H
#define SOHOA_DAEMON_INT_H

#include "daemon.h"

/* status.c: a listening unix socket at <spool>/sohoa.sock (0600); -1 on error. */
int status_listen(const char *spool_dir, struct err *e);
/* Accepts one client on listen_fd and writes `status` to it. */
void status_answer(int listen_fd, json_t *status);

#endif
