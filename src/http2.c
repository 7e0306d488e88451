/*
 * The nghttp2 adapter (http2.h): connections.  Streams (requests in,
 * responses and event streams out) are http2_stream.c.
 *
 * Each connection owns a server session.  The connection's struct
 * http2_io (a plain socket, or a TLS session from tls.c) is read into
 * nghttp2_session_mem_recv(); frames nghttp2 wants to send are gathered
 * from nghttp2_session_mem_send() into a per-connection buffer and
 * written, and only when the socket is full do we watch EPOLLOUT and stop
 * asking nghttp2 for more (so memory stays bounded and a slow reader
 * holds back only its own bytes: event streams keep their backlog in
 * their subscriber, where the stream module bounds it).  A connection
 * closes when nghttp2 wants neither to read nor to write.
 *
 * Work that cannot happen where it is noticed (a handler answering from
 * the store's completion, a subscriber kicked by a publish) is done by a
 * per-connection deferred "service" pass after the loop's iteration; a
 * connection that must close while such a pass is queued is freed by it.
 * Nothing is freed inside nghttp2's or the stream module's callbacks
 * except the nghttp2 stream's own data in on_stream_close, which nghttp2
 * allows.
 *
 * Floods: nghttp2 caps queued SETTINGS/PING acknowledgements
 * (max_outbound_ack), SETTINGS entries, CONTINUATION frames and the rate
 * of incoming RST_STREAM (rapid reset); on top of that, PING, SETTINGS,
 * PRIORITY and empty DATA frames share a per-connection token bucket,
 * past which the connection gets GOAWAY ENHANCE_YOUR_CALM.
 */
#include "config.h"

#include "http2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <nghttp2/nghttp2.h>

#include "alloc.h"
#include "error.h"
#include "h2c.h"
#include "http1_head.h"
#include "http2_impl.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "request.h"
#include "stream.h"

/*
 * Stop asking nghttp2 for frames once this much waits to be written.  A
 * connection whose socket is full keeps up to this much (and a frame)
 * while the rest of an event stream's backlog stays in its subscriber,
 * as shared bytes: with thousands of slow readers it is memory.
 */
#define H2_OUT_HIGH (16 * 1024)
/*
 * Our HPACK encoder's table (nghttp2's default is 4096 bytes per
 * connection, a browser allows 65536): room for the few header fields
 * our responses repeat; an event stream has one response.
 */
#define H2_DEFLATE_TABLE 512
/* Bytes read per wake-up at most, so one client cannot hog the loop. */
#define H2_READ_MAX (256 * 1024)
/* Incoming RST_STREAM: burst and per-second rate (nghttp2's defaults). */
#define H2_RESET_BURST 1000
#define H2_RESET_RATE 33
#define H2_MAX_OUTBOUND_ACK 100
/* TCP_USER_TIMEOUT, as on HTTP/1.1 event streams. */
#define H2_USER_TIMEOUT_MS 30000

/* ---- memory: nghttp2 allocates through our fatal-on-OOM policy --------- */

/*
 * nghttp2 gives every session a frame buffer of a whole frame (16 KB and
 * a header) for its life, allocated as the session is made.  Frames are
 * packed into it only inside nghttp2_session_mem_send(), which returns
 * each one (or its first 16 KB) at once, and h2_conn_flush() copies it
 * out before it asks for the next; DATA frames do not pass through it at
 * all (NO_COPY, see http2_stream.c).  So its bytes are dead between two
 * calls, and the loop flushes one connection at a time: every session
 * gets the same block, owned by the http2 object.  (It was mapped on
 * pages of each connection's own, one or two resident: 4 KB or more per
 * connection, and an extra mapping each.)  Only the one block of this
 * size nghttp2 allocates in nghttp2_session_server_new3() is shared; a
 * frame's further chunks, allocated while it is packed, are the
 * session's own.
 */
#define H2_SHARED_MIN (16 * 1024)

static void *
h2_malloc(size_t size, void *arg)
{
	struct h2_conn *c = arg;
	struct http2 *h2 = c->h2;

	if (c->creating && size >= H2_SHARED_MIN && c->framebuf == NULL &&
	    !h2->framebuf_own) {
		if (h2->framebuf == NULL) {
			h2->framebuf = xmalloc(size);
			h2->framebuf_len = size;
		}
		if (size <= h2->framebuf_len) {
			c->framebuf = h2->framebuf;
			return c->framebuf;
		}
	}
	return xmalloc(size);
}

static void
h2_free(void *ptr, void *arg)
{
	struct h2_conn *c = arg;

	if (ptr != NULL && ptr == c->framebuf) {
		c->framebuf = NULL;
		return;
	}
	free(ptr);
}

static void *
h2_calloc(size_t nmemb, size_t size, void *arg)
{
	return xcalloc(nmemb, size);
}

static void *
h2_realloc(void *ptr, size_t size, void *arg)
{
	struct h2_conn *c = arg;
	void *p;

	if (ptr == NULL)
		return h2_malloc(size, c);
	if (ptr != c->framebuf)
		return xrealloc(ptr, size);
	if (size <= c->h2->framebuf_len)
		return ptr;
	/* Grown past the shared block (nghttp2 1.52 does not): its own. */
	p = xmalloc(size);
	memcpy(p, ptr, c->h2->framebuf_len);
	c->framebuf = NULL;
	return p;
}

int
h2_conn_log_first(struct h2_conn *c, unsigned cause)
{
	if (c->logged & cause)
		return 0;
	c->logged |= cause;
	return 1;
}

/*
 * Only request progress counts: a client that sends nothing but PING,
 * SETTINGS, WINDOW_UPDATE or PRIORITY does not keep its connection (and
 * whatever its streams hold) past the idle timeout.
 */
void
h2_conn_progress(struct h2_conn *c)
{
	c->last_progress_us = loop_now_us(c->h2->loop);
}

/* Answer bytes moving count as progress too. */
static int
h2_on_frame_send(nghttp2_session *session, const nghttp2_frame *frame,
    void *user_data)
{
	if (frame->hd.type == NGHTTP2_HEADERS ||
	    (frame->hd.type == NGHTTP2_DATA && frame->hd.length > 0))
		h2_conn_progress(user_data);
	return 0;
}

/* Whether the connection may have one more control frame now. */
int
h2_conn_control_allowed(struct h2_conn *c)
{
	uint64_t now = loop_now_us(c->h2->loop);

	c->control_tokens += (double)(now - c->control_us) / 1e6 *
	    H2_CONTROL_RATE;
	if (c->control_tokens > H2_CONTROL_BURST)
		c->control_tokens = H2_CONTROL_BURST;
	c->control_us = now;
	if (c->control_tokens < 1.0)
		return 0;
	c->control_tokens -= 1.0;
	return 1;
}

/*
 * Event streams the stream module closed but whose bytes cannot move
 * (their window or the connection's is shut) are reset instead of
 * waiting for a reader that may never read.
 */
void
h2_conn_reset_stuck(struct h2_conn *c)
{
	int32_t conn_window;

	if (c->nclosing == 0)
		return;
	conn_window = nghttp2_session_get_remote_window_size(c->session);
	for (struct h2_stream *st = c->streams; st != NULL; st = st->next) {
		if (!st->sse_closing || st->rst_sent ||
		    subscriber_backlog(st->sub) == 0)
			continue;
		if (conn_window > 0 &&
		    nghttp2_session_get_stream_remote_window_size(c->session,
		    st->id) > 0)
			continue;
		st->rst_sent = 1;
		nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE,
		    st->id, NGHTTP2_CANCEL);
	}
}

/* ---- the plain socket: the default struct http2_io ------------------------- */

static ssize_t
h2_socket_recv(void *ctx, void *buf, size_t len)
{
	struct h2_conn *c = ctx;

	return read(c->fd, buf, len);
}

static ssize_t
h2_socket_send(void *ctx, const void *buf, size_t len)
{
	struct h2_conn *c = ctx;

	return write(c->fd, buf, len);
}

static void
h2_socket_close(void *ctx)
{
	struct h2_conn *c = ctx;

	close(c->fd);
}

static const struct http2_io h2_socket_io = {
	.recv = h2_socket_recv,
	.send = h2_socket_send,
	.close = h2_socket_close,
	.buffered = 0,		/* the kernel's bytes wake epoll */
};

/* ---- connections ----------------------------------------------------------- */

static void
h2_metrics_conns(struct http2 *h2)
{
	metric_series_set(h2->conns_open, (double)h2->nconns);
}

static void h2_conn_out_release(struct h2_conn *c);

static void
h2_conn_free(struct h2_conn *c)
{
	struct http2 *h2 = c->h2;

	while (c->streams != NULL)
		h2_stream_free(c->streams);
	nghttp2_session_del(c->session);
	if (c->watch != NULL)
		loop_watch_remove(c->watch);
	loop_timer_cancel(c->timer);
	c->io->close(c->io_ctx);
	h2_conn_out_release(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h2->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h2->nconns--;
	h2_metrics_conns(h2);
	free(c);
}

/* Closes now, or from the service pass already queued for it. */
static void
h2_conn_close(struct h2_conn *c)
{
	if (c->scheduled) {
		c->dead = 1;
		return;
	}
	h2_conn_free(c);
}

static void
h2_conn_watch_out(struct h2_conn *c, int on)
{
	if (c->watching_out == on || c->watch == NULL)
		return;
	if (loop_watch_modify(c->watch, EPOLLIN | EPOLLRDHUP |
	    (on ? EPOLLOUT : 0)) == 0)
		c->watching_out = on;
}

/*
 * Frames are gathered in one buffer shared by every connection (the loop
 * flushes one connection at a time) and written at once; only bytes the
 * socket did not take move to a buffer of the connection's own.  So an
 * event costs no allocation, and a connection whose reader keeps up holds
 * no output buffer at all.
 */
void
h2_conn_queue(struct h2_conn *c, const void *data, size_t n)
{
	struct http2 *h2 = c->h2;

	if (c->out == NULL) {
		c->out = h2->scratch;
		c->out_cap = h2->scratch_cap;
		c->out_shared = 1;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_len + n + 4096;

		c->out = xrealloc(c->out, cap);
		c->out_cap = cap;
		if (c->out_shared) {
			h2->scratch = c->out;
			h2->scratch_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
}

int
h2_conn_out_full(const struct h2_conn *c)
{
	return c->out_len >= H2_OUT_HIGH;
}

/* Lets go of the output buffer (the shared one stays). */
static void
h2_conn_out_release(struct h2_conn *c)
{
	if (!c->out_shared)
		free(c->out);
	c->out = NULL;
	c->out_cap = c->out_len = c->out_off = 0;
	c->out_shared = 0;
}

/* Moves what the socket did not take out of the shared buffer. */
static void
h2_conn_out_keep_rest(struct h2_conn *c)
{
	size_t rest = c->out_len - c->out_off;
	uint8_t *own;

	if (!c->out_shared)
		return;
	own = xmalloc(rest);
	memcpy(own, c->out + c->out_off, rest);
	c->out = own;
	c->out_cap = c->out_len = rest;
	c->out_off = 0;
	c->out_shared = 0;
}

/*
 * The first frame a session sends (its SETTINGS) must come out of the
 * block it was given as its frame buffer, or that block was not the
 * frame buffer (another nghttp2 than the one http2.c was written for):
 * then sessions made from now on get their own.
 */
static void
h2_conn_check_framebuf(struct h2_conn *c, const uint8_t *data)
{
	struct http2 *h2 = c->h2;

	c->framebuf_checked = 1;
	if (c->framebuf == NULL || (data >= h2->framebuf &&
	    data < h2->framebuf + h2->framebuf_len) || h2->framebuf_own)
		return;
	h2->framebuf_own = 1;
	log_error("http2: nghttp2 does not pack frames in the block it "
	    "allocated first; each connection gets a frame buffer of its own "
	    "from now on (16 KB more a connection)");
}

/*
 * Writes what nghttp2 wants to send, as far as the socket takes it.
 * Returns 0, or -1 when the connection is broken.  The shared buffer is
 * free again when it returns.
 */
static int
h2_conn_flush(struct h2_conn *c)
{
	struct http2 *h2 = c->h2;

	if (h2->draining && !c->goaway &&
	    nghttp2_session_get_last_proc_stream_id(c->session) > 0) {
		c->goaway = 1;
		nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(c->session),
		    NGHTTP2_NO_ERROR, NULL, 0);
	}
	for (;;) {
		while (c->out_off < c->out_len) {
			ssize_t n = c->io->send(c->io_ctx,
			    c->out + c->out_off, c->out_len - c->out_off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				h2_conn_out_keep_rest(c);
				h2_conn_watch_out(c, 1);
				return 0;
			}
			if (n <= 0) {
				h2_conn_out_release(c);
				return -1;
			}
			c->out_off += (size_t)n;
		}
		h2_conn_out_release(c);
		while (c->out_len < H2_OUT_HIGH) {
			const uint8_t *data;
			ssize_t n = nghttp2_session_mem_send(c->session, &data);

			if (n < 0) {
				log_debug("http2: %s: %s", c->remote,
				    nghttp2_strerror((int)n));
				h2_conn_out_release(c);
				return -1;
			}
			if (n == 0)
				break;
			if (!c->framebuf_checked)
				h2_conn_check_framebuf(c, data);
			h2_conn_queue(c, data, (size_t)n);
		}
		if (c->out_len == 0)
			break;
	}
	h2_conn_out_release(c);
	h2_conn_watch_out(c, 0);
	return 0;
}


/*
 * Writes, then closes the connection if it is done.  Returns 0 if it is
 * still open, -1 if it was closed (freed, or dead awaiting its service).
 */
static int
h2_conn_pump(struct h2_conn *c)
{
	if (h2_conn_flush(c) != 0)
		goto close;
	if (c->nclosing > 0) {
		h2_conn_reset_stuck(c);
		if (h2_conn_flush(c) != 0)
			goto close;
	}
	if (!nghttp2_session_want_read(c->session) &&
	    !nghttp2_session_want_write(c->session) &&
	    c->out_off == c->out_len)
		goto close;
	return 0;
close:
	h2_conn_close(c);
	return -1;
}

static int h2_conn_read(struct h2_conn *c);

/* Acts on a frame that http2_check.c found breaking RFC 9113 5.1. */
static void
h2_conn_refuse_frame(struct h2_conn *c, enum h2_check_verdict verdict,
    int32_t id)
{
	if (h2_conn_log_first(c, H2_LOG_STATE))
		log_debug("http2: %s: a frame on stream %d, %s", c->remote,
		    (int)id, verdict == H2_CHECK_PROTOCOL_ERROR ?
		    "below an id already used" : "which is closed");
	if (verdict == H2_CHECK_RESET)
		nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, id,
		    NGHTTP2_STREAM_CLOSED);
	else
		nghttp2_session_terminate_session(c->session,
		    verdict == H2_CHECK_STREAM_CLOSED ?
		    NGHTTP2_STREAM_CLOSED : NGHTTP2_PROTOCOL_ERROR);
}

/*
 * Gives nghttp2 n bytes from the client, stopping before each frame
 * that http2_check.c refuses to answer it first.  Returns 0, or -1 to
 * close.
 */
static int
h2_conn_feed(struct h2_conn *c, const uint8_t *data, size_t n)
{
	size_t pos = 0, fed = 0;
	ssize_t rv;

	while (pos < n) {
		enum h2_check_verdict verdict;
		int32_t id = 0;
		size_t from = pos, start = 0;

		pos += h2_check_scan(&c->check, data + from, n - from,
		    &verdict, &id, &start);
		if (verdict == H2_CHECK_PASS)
			continue;
		/* Everything before that frame first, as it came. */
		start += from;
		if (start > fed) {
			rv = nghttp2_session_mem_recv(c->session, data + fed,
			    start - fed);
			if (rv < 0)
				goto fail;
			fed = start;
		}
		h2_conn_refuse_frame(c, verdict, id);
	}
	rv = nghttp2_session_mem_recv(c->session, data + fed, n - fed);
	if (rv >= 0)
		return 0;
fail:
	if (h2_conn_log_first(c, H2_LOG_RECV))
		log_debug("http2: %s: %s", c->remote,
		    nghttp2_strerror((int)rv));
	if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
		/* RFC 9113 section 3.4: a PROTOCOL_ERROR, said if we can. */
		nghttp2_session_terminate_session(c->session,
		    NGHTTP2_PROTOCOL_ERROR);
		h2_conn_flush(c);
	}
	return -1;
}

static void
h2_conn_service(struct loop *loop, void *arg)
{
	struct h2_conn *c = arg;

	c->scheduled = 0;
	if (c->dead) {
		h2_conn_free(c);
		return;
	}
	if (c->read_again) {
		c->read_again = 0;
		if (h2_conn_read(c) != 0) {
			h2_conn_close(c);
			return;
		}
	}
	h2_conn_pump(c);
}

void
h2_conn_schedule(struct h2_conn *c)
{
	if (c->scheduled || c->dead)
		return;
	c->scheduled = 1;
	loop_defer(c->h2->loop, h2_conn_service, c);
}

/*
 * Feeds nghttp2 what the connection has.  Returns 0, or -1 to close.
 * Bytes left in the kernel wake epoll again; bytes a TLS session holds
 * do not, so a buffered io stopped by the bound gets a service pass that
 * reads on.
 */
static int
h2_conn_read(struct h2_conn *c)
{
	uint8_t buf[16384];
	size_t total = 0;

	while (total < H2_READ_MAX) {
		ssize_t n = c->io->recv(c->io_ctx, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		total += (size_t)n;
		if (h2_conn_feed(c, buf, (size_t)n) != 0)
			return -1;
		/* A short read empties a socket, not a TLS session. */
		if ((size_t)n < sizeof(buf) && !c->io->buffered)
			return 0;
	}
	if (c->io->buffered) {
		c->read_again = 1;
		h2_conn_schedule(c);
	}
	return 0;
}

static void
h2_conn_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct h2_conn *c = arg;

	if (c->dead)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		if (h2_conn_read(c) != 0) {
			h2_conn_close(c);
			return;
		}
	}
	h2_conn_pump(c);
}

/*
 * The idle timer.  A connection is closed when nothing has moved for the
 * idle timeout and it is not merely waiting on us (a handler's answer, an
 * event stream's next event) or when it is waiting on a socket that does
 * not drain.  Event streams stuck behind a shut window are the stream
 * module's (--write-timeout).
 */
static int64_t
h2_conn_timer(struct loop *loop, void *arg)
{
	struct h2_conn *c = arg;
	uint64_t idle = (uint64_t)c->h2->opts.idle_timeout_s * 1000000u;
	uint64_t quiet = loop_now_us(loop) - c->last_progress_us;
	int waiting_on_us = 0;

	if (c->dead)
		return 1000;
	if (quiet < idle)
		return (int64_t)((idle - quiet) / 1000) + 1;
	for (struct h2_stream *st = c->streams; st != NULL; st = st->next)
		if (st->state == H2S_HANDLER || st->state == H2S_SSE)
			waiting_on_us = 1;
	if (waiting_on_us && !c->watching_out)
		return (int64_t)(idle / 1000);
	log_debug("http2: closing %s, idle for %d s", c->remote,
	    c->h2->opts.idle_timeout_s);
	c->timer = NULL;	/* freed by the loop when we return STOP */
	if (c->nstreams == 0 && !c->watching_out) {
		/* A polite goodbye, if the socket takes it. */
		nghttp2_session_terminate_session(c->session,
		    NGHTTP2_NO_ERROR);
		h2_conn_flush(c);
	}
	h2_conn_close(c);
	return LOOP_TIMER_STOP;
}

static struct h2_conn *
h2_conn_new(struct http2 *h2, int fd, const struct sockaddr *addr)
{
	struct h2_conn *c = xcalloc(1, sizeof(*c));
	unsigned user_timeout_ms = H2_USER_TIMEOUT_MS;
	nghttp2_settings_entry settings[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
		  (uint32_t)h2->opts.max_streams },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
		  (uint32_t)h2->opts.max_header_list },
		/* No stream may send past the body cap unanswered. */
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
		  (uint32_t)h2->opts.max_body + 1 },
	};

	c->h2 = h2;
	c->fd = fd;
	c->io = &h2_socket_io;
	c->io_ctx = c;
	listen_format_address(addr, c->remote, sizeof(c->remote));
	/* Unacknowledged bytes this long mean a dead peer (half-open). */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
	    sizeof(user_timeout_ms));
	c->last_progress_us = loop_now_us(h2->loop);
	c->control_us = c->last_progress_us;
	c->control_tokens = H2_CONTROL_BURST;
	h2_check_init(&c->check, 1);
	c->mem = (nghttp2_mem){ c, h2_malloc, h2_free, h2_calloc,
	    h2_realloc };
	c->creating = 1;
	nghttp2_session_server_new3(&c->session, h2->callbacks, c,
	    h2->option, &c->mem);
	c->creating = 0;
	nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings,
	    sizeof(settings) / sizeof(settings[0]));
	/*
	 * The connection's window is twice its body budget: nghttp2 gives
	 * consumed bytes back once half the window is consumed, so with
	 * the budget at half, every admitted stream can always finish.
	 */
	nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE,
	    0, (int32_t)(2 * h2->conn_body));
	c->next = h2->conns;
	if (h2->conns != NULL)
		h2->conns->prev = c;
	h2->conns = c;
	h2->nconns++;
	metric_series_add(h2->conns_total, 1);
	h2_metrics_conns(h2);
	return c;
}

/* Starts watching a new connection's socket.  Returns 0 or -1 (closed). */
static int
h2_conn_start(struct h2_conn *c)
{
	c->watch = loop_watch_add(c->h2->loop, c->fd, EPOLLIN | EPOLLRDHUP,
	    h2_conn_ready, c);
	if (c->watch == NULL) {
		log_warn("cannot watch an HTTP/2 connection: %s",
		    strerror(errno));
		h2_conn_close(c);
		return -1;
	}
	c->timer = loop_timer_add(c->h2->loop,
	    (int64_t)c->h2->opts.idle_timeout_s * 1000, h2_conn_timer, c);
	return 0;
}

int
http2_add_connection(struct http2 *h2, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct h2_conn *c = h2_conn_new(h2, fd, addr);

	if (h2_conn_start(c) != 0)
		return BS_ERR_IO;
	/* The preface is waiting: read it now rather than on the next turn. */
	h2_conn_ready(h2->loop, fd, EPOLLIN, c);
	return 0;
}

int
http2_add_connection_io(struct http2 *h2, int fd, const struct http2_io *io,
    void *ctx, const struct sockaddr *addr, socklen_t addrlen)
{
	struct h2_conn *c = h2_conn_new(h2, fd, addr);

	c->io = io;
	c->io_ctx = ctx;
	if (h2_conn_start(c) != 0)
		return BS_ERR_IO;
	/* The preface may be decrypted already: epoll would not say so. */
	h2_conn_ready(h2->loop, fd, EPOLLIN, c);
	return 0;
}

/* ---- Upgrade: h2c --------------------------------------------------------- */

static const char h2_switching[] =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Connection: Upgrade\r\n"
    "Upgrade: h2c\r\n\r\n";

int
http2_try_upgrade(struct http2 *h2, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct h2c_upgrade u;
	struct h2_conn *c;
	struct h2_stream *st;
	char peek[H2C_MAX_HEAD];
	const char *reason;
	size_t head_len;
	ssize_t n;
	int rv;

	n = recv(fd, peek, sizeof(peek), MSG_PEEK);
	if (n <= 0 || !h2c_parse(peek, (size_t)n, &u))
		return 0;
	/*
	 * A head HTTP/1.1 would refuse (two Hosts, none, ...) is not
	 * upgraded: HTTP/1.1 refuses it, as it would without the Upgrade.
	 */
	if (http1_head_check(peek, (size_t)n, sizeof(peek), &head_len,
	    &reason) != 0) {
		h2c_upgrade_free(&u);
		return 0;
	}
	/* From here on the socket is ours. */
	if (recv(fd, peek, u.head_len, 0) != (ssize_t)u.head_len) {
		h2c_upgrade_free(&u);
		close(fd);
		return 1;
	}
	c = h2_conn_new(h2, fd, addr);
	h2_conn_queue(c, h2_switching, sizeof(h2_switching) - 1);
	rv = nghttp2_session_upgrade2(c->session, u.settings, u.settings_len,
	    strcmp(u.method, "HEAD") == 0, NULL);
	if (rv != 0) {
		log_debug("http2: upgrade from %s: %s", c->remote,
		    nghttp2_strerror(rv));
		h2c_upgrade_free(&u);
		h2_conn_close(c);
		return 1;
	}
	h2_check_upgraded(&c->check);
	st = h2_stream_new(c, 1);
	nghttp2_session_set_stream_user_data(c->session, 1, st);
	h2_stream_set_method(st, u.method);
	h2_stream_set_target(st, u.target, strlen(u.target));
	for (size_t i = 0; i < u.nheaders; i++)
		request_add_header(st->req, u.headers[i].name,
		    u.headers[i].value);
	h2c_upgrade_free(&u);
	if (h2_conn_start(c) != 0)
		return 1;
	h2_stream_dispatch(st);
	h2_conn_ready(h2->loop, fd, EPOLLIN, c);
	return 1;
}

/* ---- the transport ---------------------------------------------------------- */

int
http2_new(struct http2 **out, struct loop *loop, struct router *router,
    const struct http2_options *opts)
{
	struct http2 *h2 = xcalloc(1, sizeof(*h2));
	nghttp2_session_callbacks *cb;
	const char *labels[] = { "http2" };

	h2->loop = loop;
	h2->router = router;
	h2->opts = *opts;
	/* One body of the largest size always fits. */
	h2->conn_body = (size_t)opts->conn_body;
	if (h2->conn_body < (size_t)opts->max_body + 1)
		h2->conn_body = (size_t)opts->max_body + 1;
	nghttp2_session_callbacks_new(&cb);
	h2_stream_callbacks(cb);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb,
	    h2_on_frame_send);
	h2->callbacks = cb;
	nghttp2_option_new(&h2->option);
	/* Bytes go back to the client's windows when we let go of them. */
	nghttp2_option_set_no_auto_window_update(h2->option, 1);
	nghttp2_option_set_no_closed_streams(h2->option, 1);
	nghttp2_option_set_max_outbound_ack(h2->option, H2_MAX_OUTBOUND_ACK);
	nghttp2_option_set_max_settings(h2->option, 32);
	nghttp2_option_set_max_deflate_dynamic_table_size(h2->option,
	    H2_DEFLATE_TABLE);
	nghttp2_option_set_stream_reset_rate_limit(h2->option, H2_RESET_BURST,
	    H2_RESET_RATE);
	h2->conns_open = metric_series(opts->conns_open, labels);
	h2->conns_total = metric_series(opts->conns_total, labels);
	metric_series_set(h2->conns_open, 0);
	metric_series_add(h2->conns_total, 0);
	h2->streams_open = metric_series(opts->streams_open, labels);
	h2->streams_total = metric_series(opts->streams_total, labels);
	metric_series_set(h2->streams_open, 0);
	metric_series_add(h2->streams_total, 0);
	*out = h2;
	return 0;
}

void
http2_set_draining(struct http2 *h2)
{
	h2->draining = 1;
	for (struct h2_conn *c = h2->conns; c != NULL; c = c->next) {
		if (c->dead || c->goaway)
			continue;
		c->goaway = 1;
		nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(c->session),
		    NGHTTP2_NO_ERROR, NULL, 0);
		h2_conn_schedule(c);
	}
}

size_t
http2_connections(const struct http2 *h2)
{
	return h2->nconns;
}

size_t
http2_requests_in_flight(const struct http2 *h2)
{
	return h2->nstreams;
}

void
http2_free(struct http2 *h2)
{
	if (h2 == NULL)
		return;
	/* The loop has stopped: queued service passes will never run. */
	while (h2->conns != NULL)
		h2_conn_free(h2->conns);
	nghttp2_session_callbacks_del(h2->callbacks);
	nghttp2_option_del(h2->option);
	free(h2->scratch);
	free(h2->framebuf);
	free(h2);
}
