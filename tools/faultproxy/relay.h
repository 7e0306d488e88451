/*
 * One proxied connection of broadside-faultproxy(1): an accepted client,
 * the upstream connection opened for it, and the two directions between
 * them (up: client to server, down: server to client), each with its own
 * queue of chunks and its own shaper (shaper.h).  Also the faults that
 * act on the whole connection: resets and blackholes.
 *
 * Everything runs on the loop thread (loop.h); both sockets are
 * non-blocking and edge-triggered.
 */
#ifndef BROADSIDE_RELAY_H
#define BROADSIDE_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "shaper.h"

/* What every relay injects; owned by the caller, read-only while relays
 * that use it exist. */
struct relay_config {
	struct shaper_params up;	/* client to server */
	struct shaper_params down;	/* server to client */
	uint64_t seed;
	double reset_mean_s;		/* mean time to a reset; 0: never */
	double blackhole_after_s;	/* when a chosen relay goes silent */
	double blackhole_pct;		/* share of relays chosen, 0..100 */
	size_t queue_max;		/* bytes queued per direction */
	struct sockaddr_storage target;
	socklen_t target_len;
};

struct relay;

/*
 * Called once a relay has closed both its sockets, from a deferred
 * callback (never inside the relay's own I/O callbacks).  The owner
 * frees the relay there or later with relay_free().
 */
typedef void (*relay_done_cb)(struct relay *relay, void *arg);

/*
 * Starts relaying for an accepted, non-blocking client socket: opens the
 * upstream connection to cfg->target and watches both.  index numbers
 * the connection (0, 1, ...) and, with cfg->seed, seeds its faults.  On
 * success the relay owns client_fd and returns 0; on failure the caller
 * still owns client_fd.  Returns 0 or BS_ERR_IO (socket, connect or
 * epoll failed; errno says why).
 */
int relay_new(struct relay **out, struct loop *loop,
    const struct relay_config *cfg, int client_fd, uint64_t index,
    relay_done_cb done, void *done_arg);

/*
 * Closes whatever sockets the relay still has (plainly, with a FIN) and
 * frees it.  Must not be called from inside the relay's own callbacks:
 * relay_done_cb is the place.  relay_free(NULL) is a no-op.
 */
void relay_free(struct relay *relay);

/* The relay's index, as given to relay_new(). */
uint64_t relay_index(const struct relay *relay);

#endif
