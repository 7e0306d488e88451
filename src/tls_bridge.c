/*
 * The HTTP/1.1 bridge (tls.h): TLS clients that chose HTTP/1.1, or no
 * ALPN, are served by libmicrohttpd through a socketpair.  One end is an
 * ordinary libmicrohttpd connection (with the TLS client's address); this
 * file pumps bytes between the TLS session and the other end through two
 * buffers of TLS_BRIDGE_BUF bytes.  A side is read only while the buffer
 * it fills has room, and written while bytes wait for it, so a slow side
 * holds back the other (backpressure), and memory per connection is
 * bounded.  Event streams need nothing special: http1_stream.c writes them to
 * its end of the pair, and they flow through here like any response.
 *
 * A bridge ends when libmicrohttpd has closed its end and what it wrote
 * has gone out (within the linger timeout), or when the client's side
 * breaks.  The client's own end (close_notify or EOF) is passed on as
 * SHUT_WR, which libmicrohttpd (and an event stream's EPOLLRDHUP) sees.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "tls_impl.h"

/* ---- the bridge to libmicrohttpd --------------------------------------- */

static size_t
tls_pipe_waiting(const struct tls_pipe *p)
{
	return p->len - p->off;
}

/* Moves waiting bytes to the front when the end is reached. */
static void
tls_pipe_compact(struct tls_pipe *p)
{
	if (p->off == p->len) {
		p->off = p->len = 0;
	} else if (p->off > 0 && p->len == TLS_BRIDGE_BUF) {
		memmove(p->data, p->data + p->off, p->len - p->off);
		p->len -= p->off;
		p->off = 0;
	}
}

/* Client to libmicrohttpd.  Returns bytes moved, or -1 to close. */
static ssize_t
tls_bridge_up(struct tls_conn *t)
{
	struct tls_pipe *p = &t->up;
	ssize_t moved = 0, n;

	tls_pipe_compact(p);
	while (!p->eof && p->len < TLS_BRIDGE_BUF) {
		n = tls_recv(t, p->data + p->len, TLS_BRIDGE_BUF - p->len);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -1;
		if (n == 0)
			p->eof = 1;
		p->len += (size_t)n;
		moved += n;
	}
	while (p->off < p->len) {
		n = write(t->peer_fd, p->data + p->off, p->len - p->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* libmicrohttpd closed its end: nothing goes up. */
			p->off = p->len = 0;
			p->eof = 1;
			break;
		}
		p->off += (size_t)n;
		moved += n;
	}
	if (p->eof && p->off == p->len && !t->peer_shut) {
		/* The client is done: libmicrohttpd hears of it as EOF. */
		shutdown(t->peer_fd, SHUT_WR);
		t->peer_shut = 1;
	}
	return moved;
}

/* libmicrohttpd to the client.  Returns bytes moved, or -1 to close. */
static ssize_t
tls_bridge_down(struct tls_conn *t)
{
	struct tls_pipe *p = &t->down;
	ssize_t moved = 0, n;

	tls_pipe_compact(p);
	while (!p->eof && p->len < TLS_BRIDGE_BUF) {
		n = read(t->peer_fd, p->data + p->len, TLS_BRIDGE_BUF - p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* libmicrohttpd closed the connection. */
			p->eof = 1;
			break;
		}
		p->len += (size_t)n;
		moved += n;
	}
	while (p->off < p->len) {
		n = tls_send(t, p->data + p->off, p->len - p->off);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		p->off += (size_t)n;
		moved += n;
	}
	return moved;
}

static void tls_bridge_client_ready(struct loop *loop, int fd,
    uint32_t events, void *arg);
static void tls_bridge_peer_ready(struct loop *loop, int fd,
    uint32_t events, void *arg);

/*
 * Listens only where bytes can go: a side is read while its buffer has
 * room, written while bytes wait for it.  Returns 0 or -1 (epoll failed).
 */
static int
tls_bridge_watch(struct tls_conn *t)
{
	uint32_t client = 0, peer = 0;

	if (!t->up.eof && tls_pipe_waiting(&t->up) < TLS_BRIDGE_BUF)
		client |= EPOLLIN;
	if (t->send_again)
		client |= gnutls_record_get_direction(t->session) ?
		    EPOLLOUT : EPOLLIN;
	if (!t->down.eof && tls_pipe_waiting(&t->down) < TLS_BRIDGE_BUF)
		peer |= EPOLLIN;
	if (tls_pipe_waiting(&t->up) > 0)
		peer |= EPOLLOUT;
	if (tls_set_watch(t, &t->watch, &t->watch_events, t->fd, client,
	    tls_bridge_client_ready) != 0 ||
	    tls_set_watch(t, &t->peer_watch, &t->peer_events, t->peer_fd,
	    peer, tls_bridge_peer_ready) != 0)
		return -1;
	return 0;
}

static void tls_bridge_pump(struct tls_conn *t);

static int64_t
tls_bridge_linger_over(struct loop *loop, void *arg)
{
	struct tls_conn *t = arg;

	t->timer = NULL;	/* freed by the loop when we return STOP */
	log_debug("tls: %s: the client did not take the rest of its answer",
	    t->remote);
	tls_conn_close(t);
	return LOOP_TIMER_STOP;
}

static void
tls_bridge_deferred(struct loop *loop, void *arg)
{
	struct tls_conn *t = arg;

	t->pump_queued = 0;
	if (t->state == TLS_BRIDGE)
		tls_bridge_pump(t);
}

/*
 * Moves bytes both ways as far as they go.  The connection ends once
 * libmicrohttpd has closed its end and everything it wrote is sent, or
 * when the client's side breaks.
 */
static void
tls_bridge_pump(struct tls_conn *t)
{
	int round;

	for (round = 0; round < TLS_PUMP_ROUNDS; round++) {
		ssize_t up, down;

		if ((up = tls_bridge_up(t)) < 0 ||
		    (down = tls_bridge_down(t)) < 0)
			goto close;
		if (t->down.eof && tls_pipe_waiting(&t->down) == 0) {
			/* close_notify, if the socket takes it: never waits. */
			gnutls_bye(t->session, GNUTLS_SHUT_WR);
			goto close;
		}
		if (up == 0 && down == 0)
			break;
	}
	if (t->down.eof && t->timer == NULL) {
		/* libmicrohttpd is done; a client that never reads is not. */
		t->timer = loop_timer_add(t->tls->loop,
		    (int64_t)t->tls->opts.linger_timeout_s * 1000,
		    tls_bridge_linger_over, t);
	}
	if (round == TLS_PUMP_ROUNDS && !t->pump_queued) {
		/* Still moving: let the others have a turn first. */
		t->pump_queued = 1;
		loop_defer(t->tls->loop, tls_bridge_deferred, t);
	}
	if (tls_bridge_watch(t) == 0)
		return;
close:
	tls_conn_close(t);
}

static void
tls_bridge_client_ready(struct loop *loop, int fd, uint32_t events,
    void *arg)
{
	struct tls_conn *t = arg;

	if (t->state == TLS_BRIDGE)
		tls_bridge_pump(t);
}

static void
tls_bridge_peer_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct tls_conn *t = arg;

	if (t->state == TLS_BRIDGE)
		tls_bridge_pump(t);
}

/* HTTP/1.1 (or no ALPN): a socketpair to libmicrohttpd, and the pump. */
void
tls_bridge_start(struct tls_conn *t)
{
	struct tls *tls = t->tls;
	unsigned user_timeout_ms = TLS_USER_TIMEOUT_MS;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) != 0) {
		log_warn("tls: socketpair: %s", strerror(errno));
		tls_conn_close(t);
		return;
	}
	t->peer_fd = sv[0];
	/* Unacknowledged bytes this long mean a dead peer (half-open). */
	setsockopt(t->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
	    sizeof(user_timeout_ms));
	t->up.data = xmalloc(TLS_BRIDGE_BUF);
	t->down.data = xmalloc(TLS_BRIDGE_BUF);
	tls_conn_set_state(t, TLS_BRIDGE);
	if (tls->total_http1 != NULL)
		metric_series_add(tls->total_http1, 1);
	/*
	 * The request usually comes with the handshake's last flight: it
	 * goes in first, so that the HTTP/1.1 transport's look at a new
	 * connection's first line (event streams have an instance of their
	 * own) sees it as it would on a cleartext socket.
	 */
	if (tls_bridge_up(t) < 0) {
		close(sv[1]);
		tls_conn_close(t);
		return;
	}
	if (tls->handlers.http1(tls->handlers.arg, sv[1],
	    (struct sockaddr *)&t->addr, t->addrlen) != 0) {
		tls_conn_close(t);
		return;
	}
	tls_bridge_pump(t);
}

