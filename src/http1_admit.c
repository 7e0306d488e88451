/*
 * Admission of HTTP/1.1 request heads (http1_impl.h): every head must
 * arrive whole within --head-timeout, and a connection's first head must
 * pass the strict checks of http1_head.c on its raw bytes.
 *
 * libmicrohttpd restarts a connection's timer on every byte it reads, so
 * a client that sends one header line now and then (slowloris) would hold
 * its connection for ever.  So:
 *
 * - A new connection stays ours, its socket watched by our loop, until
 *   its first head is all in the socket (peeked: nothing is read), then
 *   goes to libmicrohttpd with the bytes untouched.  A head that is
 *   malformed, too large, or not complete by the deadline is answered
 *   (400, 431, 501, 408) and closed here; libmicrohttpd never sees it.
 * - Later heads on a kept-alive connection are read by libmicrohttpd;
 *   each connection carries a deadline for the next head (armed when a
 *   request completes, cancelled when the access handler sees the head),
 *   and past it we shut the socket down, which libmicrohttpd sees as the
 *   client's hang-up and closes.  Their fields are checked by http1.c
 *   from what libmicrohttpd parsed (http1_fields).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "alloc.h"
#include "error.h"
#include "http1_head.h"
#include "http1_impl.h"
#include "log.h"
#include "loop.h"

/* Bytes of a refused connection read and dropped before closing it. */
#define H1_ADMIT_DRAIN (64 * 1024)

struct h1_pending {
	struct http1 *h1;
	int fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct loop_watch *watch;
	struct loop_timer *timer;
	struct h1_pending *prev, *next;
};

static const char *
h1_admit_status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

void
h1_admit_refuse(int fd, int status, const char *reason)
{
	char out[512];
	int n;

	n = snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n", status,
	    h1_admit_status_text(status), strlen(reason) + 1, reason);
	if (n > 0 && (size_t)n < sizeof(out))
		(void)send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * Closes a socket we answered: what the client already sent is read
 * first, since closing with unread bytes resets the connection and the
 * client might lose the answer.
 */
static void
h1_admit_close(struct http1 *h1, int fd)
{
	size_t drained = 0;
	ssize_t n;

	while (drained < H1_ADMIT_DRAIN && (n = recv(fd, h1->peek,
	    h1->head_max + 1, MSG_DONTWAIT)) > 0)
		drained += (size_t)n;
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void
h1_pending_free(struct h1_pending *p)
{
	struct http1 *h1 = p->h1;

	loop_watch_remove(p->watch);
	loop_timer_cancel(p->timer);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		h1->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	h1->npending--;
	free(p);
}

enum { H1_ADMIT_WAIT, H1_ADMIT_DONE };

/*
 * Looks at what waits in the socket: a complete, acceptable head goes to
 * libmicrohttpd, a wrong one is answered and closed.  Returns
 * H1_ADMIT_DONE when the socket is no longer ours to watch.
 */
static int
h1_admit_try(struct http1 *h1, int fd, const struct sockaddr *addr,
    socklen_t addrlen, int hung_up, struct loop_watch **watch)
{
	const char *reason = NULL;
	size_t head_len = 0;
	ssize_t n;
	int rv;

	n = recv(fd, h1->peek, h1->head_max + 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR) && !hung_up)
		return H1_ADMIT_WAIT;
	if (n <= 0) {
		close(fd);
		return H1_ADMIT_DONE;
	}
	rv = http1_head_check(h1->peek, (size_t)n, h1->head_max, &head_len,
	    &reason);
	if (rv == 0) {
		/* Its next owner may watch it in our loop (http1_direct.c). */
		if (watch != NULL) {
			loop_watch_remove(*watch);
			*watch = NULL;
		}
		h1_hand_to_mhd(h1, fd, addr, addrlen, h1->peek, head_len);
		return H1_ADMIT_DONE;
	}
	if (rv < 0 && !hung_up)
		return H1_ADMIT_WAIT;
	if (rv < 0) {
		/* Gone before its head was complete. */
		close(fd);
		return H1_ADMIT_DONE;
	}
	log_debug("http1: refused a request head with %d: %s", rv, reason);
	h1_admit_refuse(fd, rv, reason);
	h1_admit_close(h1, fd);
	return H1_ADMIT_DONE;
}

static void
h1_pending_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct h1_pending *p = arg;
	int hung_up = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;

	if (h1_admit_try(p->h1, p->fd, (struct sockaddr *)&p->addr,
	    p->addrlen, hung_up, &p->watch) == H1_ADMIT_DONE) {
		p->fd = -1;
		h1_pending_free(p);
	}
}

static int64_t
h1_pending_expired(struct loop *loop, void *arg)
{
	struct h1_pending *p = arg;

	log_debug("http1: a request head took longer than %d s",
	    p->h1->opts.head_timeout_s);
	h1_admit_refuse(p->fd, 408, "The request head did not arrive in "
	    "time; send it whole.");
	h1_admit_close(p->h1, p->fd);
	p->timer = NULL;	/* freed when this callback returns */
	h1_pending_free(p);
	return LOOP_TIMER_STOP;
}

int
h1_admit(struct http1 *h1, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct h1_pending *p;

	/* Usually the whole head came with the first bytes. */
	if (h1_admit_try(h1, fd, addr, addrlen, 0, NULL) == H1_ADMIT_DONE)
		return 0;
	p = xcalloc(1, sizeof(*p));
	p->h1 = h1;
	p->fd = fd;
	if (addrlen > sizeof(p->addr))
		addrlen = sizeof(p->addr);
	memcpy(&p->addr, addr, addrlen);
	p->addrlen = addrlen;
	/*
	 * Edge-triggered: the bytes stay in the socket until the head is
	 * whole, and a level-triggered watch would report them again and
	 * again.  Each new segment is one event.
	 */
	p->watch = loop_watch_add(h1->loop, fd, EPOLLIN | EPOLLRDHUP |
	    EPOLLET, h1_pending_ready, p);
	if (p->watch == NULL) {
		close(fd);
		free(p);
		return BS_ERR_IO;
	}
	p->timer = loop_timer_add(h1->loop,
	    (int64_t)h1->opts.head_timeout_s * 1000, h1_pending_expired, p);
	p->next = h1->pending;
	if (h1->pending != NULL)
		h1->pending->prev = p;
	h1->pending = p;
	h1->npending++;
	return 0;
}

void
h1_admit_close_all(struct http1 *h1)
{
	while (h1->pending != NULL) {
		close(h1->pending->fd);
		h1_pending_free(h1->pending);
	}
}

/* ---- later heads: libmicrohttpd reads them ----------------------------- */

static int64_t
h1_conn_head_expired(struct loop *loop, void *arg)
{
	struct h1_conn *c = arg;

	c->head_timer = NULL;	/* freed when this callback returns */
	log_debug("http1: a request head took longer than %d s",
	    c->h1->opts.head_timeout_s);
	/*
	 * libmicrohttpd has nothing to write while it waits for a head.
	 * Shutting the socket down (not closing it: it is libmicrohttpd's)
	 * makes it see a hang-up and close the connection.
	 */
	h1_admit_refuse(c->fd, 408, "The request head did not arrive in "
	    "time; send it whole.");
	shutdown(c->fd, SHUT_RDWR);
	h1_schedule_run(c->h1, c->conn);
	return LOOP_TIMER_STOP;
}

struct h1_conn *
h1_conn_new(struct http1 *h1, struct MHD_Connection *conn)
{
	struct h1_conn *c = xcalloc(1, sizeof(*c));
	const union MHD_ConnectionInfo *ci;

	c->h1 = h1;
	c->conn = conn;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c->fd = ci != NULL ? ci->connect_fd : -1;
	return c;
}

void
h1_conn_free(struct h1_conn *c)
{
	if (c == NULL)
		return;
	loop_timer_cancel(c->head_timer);
	free(c);
}

void
h1_conn_head_expected(struct h1_conn *c, int64_t within_ms)
{
	uint64_t now = loop_now_ms(c->h1->loop);
	uint64_t due = now + (uint64_t)within_ms;

	if (c->fd < 0)
		return;
	if (c->head_timer == NULL) {
		c->head_due_ms = due;
		c->head_timer = loop_timer_add(c->h1->loop, within_ms,
		    h1_conn_head_expired, c);
	} else if (due < c->head_due_ms) {
		c->head_due_ms = due;
		loop_timer_reset(c->head_timer, within_ms);
	}
}

void
h1_conn_head_arrived(struct h1_conn *c)
{
	loop_timer_cancel(c->head_timer);
	c->head_timer = NULL;
}
