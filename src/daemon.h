/*
 * The daemon: owns the loop, the metrics, the router, the listener and the
 * transports, and runs the lifecycle (start, ready, drain, stop).  Request
 * handlers reach what they need through the accessors below.
 *
 * Loop thread only, except daemon_new()/daemon_run()/daemon_free(), which
 * main() calls on the thread that becomes the loop thread.
 */
#ifndef BROADSIDE_DAEMON_H
#define BROADSIDE_DAEMON_H

#include <stddef.h>
#include <stdint.h>

struct battles;
struct config;
struct figures;
struct idempotency;
struct ratelimit;
struct store;
struct stream;
struct daemon;
struct loop;
struct metrics;
struct request;

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

/* Whether /readyz should answer 200: started, storage open, not draining. */
int daemon_ready(const struct daemon *d);

/* Whether a drain is under way. */
int daemon_draining(const struct daemon *d);

struct metrics *daemon_metrics(struct daemon *d);
struct battles *daemon_battles(struct daemon *d);
struct stream *daemon_stream(struct daemon *d);
struct ratelimit *daemon_ratelimit(struct daemon *d);
struct idempotency *daemon_idempotency(struct daemon *d);
struct store *daemon_store(struct daemon *d);
struct loop *daemon_loop(struct daemon *d);
const struct config *daemon_config(const struct daemon *d);

/*
 * Whether req carries the admin token (Authorization: Bearer, or the
 * access_token query parameter), compared in constant time.
 */
int daemon_is_admin(const struct daemon *d, const struct request *req);

/* Whether an admin token is configured at all. */
int daemon_has_admin_token(const struct daemon *d);

/* Whether req comes from an address of --metrics-allow. */
int daemon_metrics_allowed(const struct daemon *d, const struct request *req);

/* The dashboard's figures (figures.h). */
struct figures *daemon_figures(struct daemon *d);

/* Seconds since the daemon started (monotonic). */
double daemon_uptime(const struct daemon *d);

#endif
