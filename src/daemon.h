/*
 * The daemon: owns the loop, the metrics, the router, the listener, the
 * transports and the services behind the API, wires them together, and
 * runs the lifecycle (start, ready, drain, stop).  Request handlers reach
 * the services through their own context (src/api/ctx.h), which the
 * daemon fills in; nothing in src/api knows the daemon.
 *
 * main() calls these on the thread that becomes the loop thread.
 */
#ifndef BROADSIDE_DAEMON_H
#define BROADSIDE_DAEMON_H

#include <stddef.h>

struct config;
struct daemon;

/*
 * Sets everything up and binds the listening socket; nothing is served
 * until daemon_run().  SIGTERM and SIGINT must already be blocked in every
 * thread (main() does it): the daemon receives them through a signalfd.
 * Returns 0, or BS_ERR_INVALID (a bad setting; err says which) or
 * BS_ERR_IO (cannot bind, cannot open a file; err says why).
 */
int daemon_new(struct daemon **out, const struct config *cfg, char *err,
    size_t errlen);

/*
 * Serves until a signal's drain completes.  Returns 0 after a clean drain,
 * or BS_ERR_IO if the loop failed.
 */
int daemon_run(struct daemon *d);

/* Frees everything.  NULL is a no-op. */
void daemon_free(struct daemon *d);

#endif
