/*
 * One proxied connection (relay.h).
 *
 * Each direction reads chunks from one socket, stamps each with the
 * release time its shaper gives, and writes a chunk to the other socket
 * only once the loop's clock has passed that time.  A timer per direction
 * wakes it for the first chunk not yet due.  A direction stops reading
 * while more than queue_max bytes wait in it, so memory stays bounded and
 * the sender is pushed back by TCP flow control, as on a slow link.
 *
 * Sockets are edge-triggered: every read and write goes on until EAGAIN,
 * and a direction that stops early for its own reasons (a full queue, its
 * read budget) retries by itself rather than waiting for an edge.
 *
 * Closing: a relay marks itself closed, drops its watches and timers,
 * closes its sockets and defers the owner's callback to the end of the
 * loop iteration, so no code still on the stack touches freed memory.
 */
#include "config.h"

#include "relay.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "log.h"

/* Bytes per read(2): the unit that loss and jitter apply to. */
#define RELAY_CHUNK_MAX 16384
/* Bytes read per direction per turn, so one fast relay cannot hold the
 * loop; past it the direction continues on the next iteration. */
#define RELAY_READ_BUDGET (256 * 1024)

/* Generator streams: one per direction, one for connection faults. */
enum {
	RELAY_STREAM_UP = 0,
	RELAY_STREAM_DOWN = 1,
	RELAY_STREAM_CONN = 2,
};

struct chunk {
	struct chunk *next;
	uint64_t release_us;
	size_t len;
	size_t off;		/* bytes already written */
	int eof;		/* the end of the stream, len 0 */
	unsigned char data[];
};

struct relay_side {
	struct relay *relay;
	const char *name;	/* "client" or "server", for logs */
	int fd;
	struct loop_watch *watch;
	int gone;		/* blackholed and hung up: fd closed */
};

struct relay_dir {
	struct relay *relay;
	const char *name;	/* "up" or "down" */
	struct relay_side *from;
	struct relay_side *to;
	struct shaper *shaper;
	struct chunk *head;
	struct chunk *tail;
	size_t queued;		/* bytes in the queue */
	int read_eof;		/* from has sent its FIN (queued as a chunk) */
	int write_eof;		/* that FIN has been passed on to */
	struct loop_timer *timer;
	uint64_t bytes;		/* passed on, for the closing log line */
	uint64_t retransmits;
};

struct relay {
	struct loop *loop;
	const struct relay_config *cfg;
	uint64_t index;
	struct relay_side client;
	struct relay_side server;
	struct relay_dir up;
	struct relay_dir down;
	struct loop_timer *reset_timer;
	struct loop_timer *blackhole_timer;
	int connecting;		/* upstream connect(2) in progress */
	int blackholed;
	int closed;
	relay_done_cb done;
	void *done_arg;
};

static void dir_run(struct relay_dir *d);

uint64_t
relay_index(const struct relay *relay)
{
	return relay->index;
}

/* ---- closing -------------------------------------------------------- */

static void
relay_finish(struct loop *loop, void *arg)
{
	struct relay *r = arg;

	(void)loop;
	r->done(r, r->done_arg);
}

static void
side_close(struct relay_side *s, int reset)
{
	if (s->fd < 0)
		return;
	loop_watch_remove(s->watch);
	s->watch = NULL;
	if (reset) {
		/* Linger 0: close() sends an RST instead of a FIN. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(s->fd);
	s->fd = -1;
}

static void
dir_clear(struct relay_dir *d)
{
	struct chunk *c;

	while ((c = d->head) != NULL) {
		d->head = c->next;
		free(c);
	}
	d->tail = NULL;
	d->queued = 0;
	loop_timer_cancel(d->timer);
	d->timer = NULL;
}

/*
 * Closes the relay: both sockets (with an RST if reset), its timers, and
 * queues the owner's callback.  Safe from any of the relay's callbacks;
 * callers must stop touching the sockets afterwards (r->closed).
 */
static void
relay_close(struct relay *r, int reset, const char *why)
{
	if (r->closed)
		return;
	r->closed = 1;
	log_debug("conn %llu: closed (%s): up %llu bytes, %llu retransmits; "
	    "down %llu bytes, %llu retransmits", (unsigned long long)r->index,
	    why, (unsigned long long)r->up.bytes,
	    (unsigned long long)r->up.retransmits,
	    (unsigned long long)r->down.bytes,
	    (unsigned long long)r->down.retransmits);
	dir_clear(&r->up);
	dir_clear(&r->down);
	loop_timer_cancel(r->reset_timer);
	r->reset_timer = NULL;
	loop_timer_cancel(r->blackhole_timer);
	r->blackhole_timer = NULL;
	side_close(&r->client, reset);
	side_close(&r->server, reset);
	loop_defer(r->loop, relay_finish, r);
}

/* ---- one direction -------------------------------------------------- */

static void
dir_push(struct relay_dir *d, const unsigned char *data, size_t len, int eof)
{
	struct relay *r = d->relay;
	struct chunk *c;
	unsigned lost = 0;

	c = xmalloc(sizeof(*c) + len);
	c->next = NULL;
	c->len = len;
	c->off = 0;
	c->eof = eof;
	if (len > 0)
		memcpy(c->data, data, len);
	c->release_us = shaper_release_us(d->shaper, loop_now_us(r->loop), len,
	    &lost);
	if (lost > 0) {
		d->retransmits += lost;
		log_debug("conn %llu %s: %zu bytes lost %u time(s), held "
		    "%.3f s", (unsigned long long)r->index, d->name, len, lost,
		    (double)(c->release_us - loop_now_us(r->loop)) / 1e6);
	}
	if (d->tail != NULL)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += len;
}

/*
 * Reads what the source socket has, up to the queue bound and *budget
 * bytes (which it decrements).  Returns the bytes read (an end of stream
 * counts as one), or -1 if the relay was closed on an error.  Sets *more
 * if it stopped on the budget with the socket possibly still readable.
 */
static ssize_t
dir_read(struct relay_dir *d, size_t *budget, int *more)
{
	struct relay *r = d->relay;
	unsigned char buf[RELAY_CHUNK_MAX];
	ssize_t total = 0, n;

	if (d->from == &r->server && r->connecting)
		return 0;
	while (!d->read_eof && d->queued < r->cfg->queue_max) {
		if (*budget == 0) {
			*more = 1;
			break;
		}
		n = read(d->from->fd, buf,
		    *budget < sizeof(buf) ? *budget : sizeof(buf));
		if (n > 0) {
			dir_push(d, buf, (size_t)n, 0);
			*budget -= (size_t)n;
			total += n;
		} else if (n == 0) {
			d->read_eof = 1;
			dir_push(d, NULL, 0, 1);
			total++;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else {
			log_debug("conn %llu: read from %s: %s",
			    (unsigned long long)r->index, d->from->name,
			    strerror(errno));
			relay_close(r, 1, "read error");
			return -1;
		}
	}
	return total;
}

/*
 * Writes every chunk that is due.  Returns the bytes written (a passed-on
 * end of stream counts as one), or -1 if the relay was closed.
 */
static ssize_t
dir_write(struct relay_dir *d)
{
	struct relay *r = d->relay;
	uint64_t now = loop_now_us(r->loop);
	ssize_t total = 0, n;
	struct chunk *c;

	if (d->to == &r->server && r->connecting)
		return 0;
	while ((c = d->head) != NULL && c->release_us <= now) {
		if (c->eof) {
			shutdown(d->to->fd, SHUT_WR);
			d->write_eof = 1;
			total++;
		} else {
			n = send(d->to->fd, c->data + c->off, c->len - c->off,
			    MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0) {
				log_debug("conn %llu: write to %s: %s",
				    (unsigned long long)r->index, d->to->name,
				    strerror(errno));
				relay_close(r, 1, "write error");
				return -1;
			}
			c->off += (size_t)n;
			d->bytes += (uint64_t)n;
			total += n;
			if (c->off < c->len)
				continue;
			d->queued -= c->len;
		}
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(c);
	}
	if (d->relay->up.write_eof && d->relay->down.write_eof) {
		relay_close(r, 0, "both ends finished");
		return -1;
	}
	return total;
}

static int64_t
dir_timer_cb(struct loop *loop, void *arg)
{
	struct relay_dir *d = arg;

	(void)loop;
	d->timer = NULL;
	dir_run(d);
	return LOOP_TIMER_STOP;
}

/*
 * Moves what can be moved in one direction: writes what is due, reads
 * what there is room for, until neither makes progress; then arms the
 * timer for the next chunk not yet due (or for the next turn, if the
 * read budget ran out).
 */
static void
dir_run(struct relay_dir *d)
{
	struct relay *r = d->relay;
	size_t budget = RELAY_READ_BUDGET;
	uint64_t now, wait_us;
	int more = 0;
	ssize_t rn, wn;

	if (r->closed || r->blackholed)
		return;
	do {
		if ((wn = dir_write(d)) < 0)
			return;
		if (more)
			break;
		if ((rn = dir_read(d, &budget, &more)) < 0)
			return;
	} while (rn > 0 || wn > 0);
	/* 1 ms, not 0: a due timer runs again in the same pass of the
	 * loop's timers, which would never get back to epoll.  Its run
	 * re-arms the timer for the head of the queue. */
	if (more && d->timer != NULL)
		loop_timer_reset(d->timer, 1);
	if (d->timer != NULL)
		return;
	now = loop_now_us(r->loop);
	if (more) {
		d->timer = loop_timer_add(r->loop, 1, dir_timer_cb, d);
	} else if (d->head != NULL && d->head->release_us > now) {
		wait_us = d->head->release_us - now;
		d->timer = loop_timer_add(r->loop,
		    (int64_t)((wait_us + 999) / 1000), dir_timer_cb, d);
	}
}

/* ---- socket events -------------------------------------------------- */

static int
connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return errno;
	return err;
}

/* While blackholed, only a hang-up matters: that side's fd is closed and
 * the relay ends once both peers have gone. */
static void
side_blackholed_event(struct relay_side *s, uint32_t events)
{
	struct relay *r = s->relay;

	if (!(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	log_debug("conn %llu: %s hung up while blackholed",
	    (unsigned long long)r->index, s->name);
	side_close(s, 0);
	s->gone = 1;
	if (r->client.gone && r->server.gone)
		relay_close(r, 0, "both peers left the blackhole");
}

static void
side_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct relay_side *s = arg;
	struct relay *r = s->relay;
	int err;

	(void)loop;
	(void)fd;
	if (r->closed)
		return;
	if (r->blackholed) {
		side_blackholed_event(s, events);
		return;
	}
	if (s == &r->server && r->connecting) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		err = connect_result(s->fd);
		if (err != 0) {
			log_info("conn %llu: connect to target: %s",
			    (unsigned long long)r->index, strerror(err));
			relay_close(r, 1, "connect failed");
			return;
		}
		r->connecting = 0;
		log_debug("conn %llu: connected to target",
		    (unsigned long long)r->index);
	}
	/* Errors show up on the next read or write, and close the relay. */
	dir_run(s == &r->client ? &r->up : &r->down);
	if (!r->closed)
		dir_run(s == &r->client ? &r->down : &r->up);
}

/* ---- connection faults ---------------------------------------------- */

static int64_t
reset_timer_cb(struct loop *loop, void *arg)
{
	struct relay *r = arg;

	(void)loop;
	r->reset_timer = NULL;
	log_info("conn %llu: reset", (unsigned long long)r->index);
	relay_close(r, 1, "reset");
	return LOOP_TIMER_STOP;
}

static int64_t
blackhole_timer_cb(struct loop *loop, void *arg)
{
	struct relay *r = arg;

	(void)loop;
	r->blackhole_timer = NULL;
	log_info("conn %llu: blackholed", (unsigned long long)r->index);
	r->blackholed = 1;
	/* Nothing more moves: queued bytes are dropped, and the sockets
	 * are no longer read, so the peers' windows close as on a dead
	 * link.  An upstream connect still in progress completes or
	 * fails unseen. */
	dir_clear(&r->up);
	dir_clear(&r->down);
	return LOOP_TIMER_STOP;
}

/* Draws this connection's reset time and blackhole fate. */
static void
relay_arm_faults(struct relay *r)
{
	const struct relay_config *cfg = r->cfg;
	struct shaper_rng rng;
	double u, after_s;

	shaper_rng_seed(&rng, cfg->seed, r->index, RELAY_STREAM_CONN);
	/* Always draw both, so one fault's setting does not change the
	 * other's sequence. */
	u = shaper_rng_unit(&rng);
	if (cfg->reset_mean_s > 0) {
		after_s = -cfg->reset_mean_s * log1p(-u);
		log_debug("conn %llu: reset due in %.3f s",
		    (unsigned long long)r->index, after_s);
		r->reset_timer = loop_timer_add(r->loop,
		    (int64_t)(after_s * 1000.0 + 0.5), reset_timer_cb, r);
	}
	u = shaper_rng_unit(&rng);
	if (cfg->blackhole_pct > 0 && u * 100.0 < cfg->blackhole_pct) {
		log_debug("conn %llu: blackhole due in %.3f s",
		    (unsigned long long)r->index, cfg->blackhole_after_s);
		r->blackhole_timer = loop_timer_add(r->loop,
		    (int64_t)(cfg->blackhole_after_s * 1000.0 + 0.5),
		    blackhole_timer_cb, r);
	}
}

/* ---- life cycle ----------------------------------------------------- */

static void
dir_init(struct relay *r, struct relay_dir *d, const char *name,
    struct relay_side *from, struct relay_side *to,
    const struct shaper_params *params, uint64_t stream)
{
	d->relay = r;
	d->name = name;
	d->from = from;
	d->to = to;
	/* The options parser has checked the parameters. */
	if (shaper_new(&d->shaper, params, r->cfg->seed, r->index, stream) != 0)
		abort();
}

static void
set_nodelay(int fd)
{
	int one = 1;

	/* The proxy decides when bytes leave; Nagle must not add to it. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
relay_new(struct relay **out, struct loop *loop,
    const struct relay_config *cfg, int client_fd, uint64_t index,
    relay_done_cb done, void *done_arg)
{
	const uint32_t ev = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	struct relay *r;
	int fd, rv = BS_ERR_IO, saved;

	r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->cfg = cfg;
	r->index = index;
	r->done = done;
	r->done_arg = done_arg;
	r->client = (struct relay_side){ .relay = r, .name = "client",
	    .fd = -1 };
	r->server = (struct relay_side){ .relay = r, .name = "server",
	    .fd = -1 };
	dir_init(r, &r->up, "up", &r->client, &r->server, &cfg->up,
	    RELAY_STREAM_UP);
	dir_init(r, &r->down, "down", &r->server, &r->client, &cfg->down,
	    RELAY_STREAM_DOWN);

	fd = socket(cfg->target.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	r->server.fd = fd;
	set_nodelay(fd);
	set_nodelay(client_fd);
	if (connect(fd, (const struct sockaddr *)&cfg->target,
	    cfg->target_len) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		r->connecting = 1;
	}
	r->server.watch = loop_watch_add(loop, fd, ev, side_event, &r->server);
	if (r->server.watch == NULL)
		goto fail;
	r->client.watch = loop_watch_add(loop, client_fd, ev, side_event,
	    &r->client);
	if (r->client.watch == NULL)
		goto fail;
	r->client.fd = client_fd;
	relay_arm_faults(r);
	*out = r;
	return 0;
fail:
	saved = errno;
	loop_watch_remove(r->client.watch);
	loop_watch_remove(r->server.watch);
	if (r->server.fd >= 0)
		close(r->server.fd);
	shaper_free(r->up.shaper);
	shaper_free(r->down.shaper);
	free(r);
	errno = saved;
	return rv;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	dir_clear(&r->up);
	dir_clear(&r->down);
	loop_timer_cancel(r->reset_timer);
	loop_timer_cancel(r->blackhole_timer);
	side_close(&r->client, 0);
	side_close(&r->server, 0);
	shaper_free(r->up.shaper);
	shaper_free(r->down.shaper);
	free(r);
}
