/*
 * HTTP/1.1 event streams served without libmicrohttpd (http1_impl.h).
 *
 * A connection whose first request is an event stream (the head is in
 * the socket, whole and checked: http1_admit.c) is answered here: its
 * head is parsed and read, the request goes to the router like any
 * other, and the answer is written by our loop, the stream's bytes after
 * it for as long as the stream lives.  libmicrohttpd would keep a
 * connection pool, its connection and response for every stream, which
 * were most of an idle stream's memory; here a stream costs this
 * struct and its subscriber.  The connection serves that one request:
 * the stream's body runs until the connection closes, and any other
 * answer (a 401, a 404) is sent with "Connection: close".
 *
 * A head with a body (Content-Length other than 0, Transfer-Encoding) is
 * left to libmicrohttpd, as is a stream asked for on a kept-alive
 * connection after other requests (http1_stream.c hands those over).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <microhttpd.h>

#include "alloc.h"
#include "http1_impl.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "request.h"
#include "route.h"
#include "stream.h"

/* Unacknowledged bytes this long mean a dead peer (half-open). */
#define H1_DIRECT_USER_TIMEOUT_MS 30000u

struct h1_direct {
	struct http1 *h1;
	int fd;
	struct request *req;	/* until it is answered */
	struct response *resp;	/* an answer given inside the handler */
	int in_handler;
	struct subscriber *sub;	/* a stream, once answered with one */
	char *out;		/* the head (and a plain answer's body) */
	size_t out_len, out_off;
	struct loop_watch *watch;
	int want_out;
	int teardown;		/* queued */
	struct h1_direct *prev, *next;
};

static void h1_direct_respond(struct request *req, struct response *resp);

static const struct request_transport h1_direct_transport = {
	.respond = h1_direct_respond,
};

static void
h1_direct_free(struct h1_direct *d)
{
	struct http1 *h1 = d->h1;

	loop_watch_remove(d->watch);
	if (d->fd >= 0)
		close(d->fd);
	subscriber_free(d->sub);
	if (d->req != NULL) {
		request_abort(d->req);
		request_free(d->req);
	}
	response_free(d->resp);
	free(d->out);
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		h1->direct = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	h1->connections--;
	h1->in_flight--;
	metric_series_set(h1->conns_open, (double)h1->connections);
	free(d);
}

static void
h1_direct_teardown_deferred(struct loop *loop, void *arg)
{
	h1_direct_free(arg);
}

/* Never inside a callback that is still using d: after this iteration. */
static void
h1_direct_teardown_later(struct h1_direct *d)
{
	if (d->teardown)
		return;
	d->teardown = 1;
	loop_defer(d->h1->loop, h1_direct_teardown_deferred, d);
}

static void
h1_direct_watch(struct h1_direct *d, int want_out)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0);

	if (d->watch != NULL && d->want_out != want_out &&
	    loop_watch_modify(d->watch, ev) == 0)
		d->want_out = want_out;
}

/*
 * Writes the head still unwritten, then what the subscriber has queued,
 * as far as the socket takes them.  A plain answer ends the connection
 * once written, a stream once the stream drops it.
 */
static void
h1_direct_write(struct h1_direct *d)
{
	struct iovec iov[32];
	ssize_t n;
	size_t rest;
	int cnt;

	for (;;) {
		cnt = 0;
		if (d->out_off < d->out_len) {
			iov[0].iov_base = d->out + d->out_off;
			iov[0].iov_len = d->out_len - d->out_off;
			cnt = 1;
		}
		if (d->sub != NULL)
			cnt += subscriber_iov(d->sub, iov + cnt, 32 - cnt);
		if (cnt == 0)
			break;
		n = writev(d->fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			h1_direct_watch(d, 1);
			return;
		}
		if (n <= 0) {
			h1_direct_teardown_later(d);
			return;
		}
		rest = (size_t)n;
		if (d->out_off < d->out_len) {
			size_t head = d->out_len - d->out_off;

			head = head < rest ? head : rest;
			d->out_off += head;
			rest -= head;
		}
		if (rest > 0)
			subscriber_consumed(d->sub, rest,
			    loop_now_us(d->h1->loop));
	}
	h1_direct_watch(d, 0);
	if (d->sub == NULL || subscriber_closing(d->sub))
		h1_direct_teardown_later(d);
}

static void
h1_direct_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct h1_direct *d = arg;

	/* One request per connection here: anything more is dropped. */
	if (h1_stream_peer_left(fd, events)) {
		h1_direct_teardown_later(d);
		return;
	}
	if ((events & EPOLLOUT) && d->out != NULL)
		h1_direct_write(d);
}

static void
h1_direct_kick(void *ctx)
{
	struct h1_direct *d = ctx;

	if (!d->teardown)
		h1_direct_write(d);
}

static void
h1_direct_close(void *ctx)
{
	struct h1_direct *d = ctx;

	/* Write what can go now (a drain's last retry:), then end. */
	if (!d->teardown)
		h1_direct_write(d);
	h1_direct_teardown_later(d);
}

static const struct subscriber_transport h1_direct_stream_transport = {
	.kick = h1_direct_kick,
	.close = h1_direct_close,
};

/*
 * Writes the answer: the head, then the stream or the body.  A stream's
 * head is that of libmicrohttpd's stream answers (http1_stream.c): an
 * HTTP/1.0 response, so its body runs to the close with no chunked
 * framing.
 */
static void
h1_direct_answer(struct h1_direct *d, struct response *resp)
{
	const char *reason = MHD_get_reason_phrase_for((unsigned)resp->status);
	char date[64];
	struct buf b;
	time_t now = time(NULL);
	struct tm tm;

	buf_init(&b, SIZE_MAX);
	buf_printf(&b, "HTTP/1.%d %d %s\r\n", resp->stream != NULL ? 0 : 1,
	    resp->status, reason != NULL && *reason ? reason : "Unknown");
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_printf(&b, "Date: %s\r\nConnection: close\r\n", date);
	for (size_t i = 0; i < resp->nheaders; i++)
		buf_printf(&b, "%s: %s\r\n", resp->headers[i].name,
		    resp->headers[i].value);
	if (resp->stream == NULL)
		buf_printf(&b, "Content-Length: %zu\r\n", resp->body_len);
	buf_append(&b, "\r\n", 2);
	if (resp->stream == NULL && resp->body_len > 0)
		buf_append(&b, resp->body, resp->body_len);
	d->out = buf_steal(&b, &d->out_len);
	d->out_off = 0;
	d->sub = resp->stream;
	resp->stream = NULL;
	response_free(resp);
	if (d->sub != NULL)
		subscriber_attach(d->sub, &h1_direct_stream_transport, d);
	else
		h1_direct_write(d);
}

static void
h1_direct_respond(struct request *req, struct response *resp)
{
	struct h1_direct *d = req->transport_data;

	if (d->in_handler) {
		response_free(d->resp);
		d->resp = resp;
		return;
	}
	h1_direct_answer(d, resp);
}

/*
 * The request line and fields of a head already checked whole
 * (http1_head_check()) into req.  Returns 0, or -1 when the head asks
 * for what this path does not do (a body).
 */
static int
h1_direct_parse(struct request *req, const char *head, size_t len)
{
	const char *p = head, *end = head + len, *eol, *le, *sp1, *sp2;
	const char *colon, *vs, *ve;
	char *target, *name, *value, *q;
	int body = 0;

	eol = memchr(p, '\n', len);
	if (eol == NULL || (sp1 = memchr(p, ' ', (size_t)(eol - p))) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL)
		return -1;
	free(req->method_name);
	req->method_name = xstrndup(p, (size_t)(sp1 - p));
	req->method = http_method_parse(req->method_name);
	target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	free(req->query);
	q = strchr(target, '?');
	req->query = xstrdup(q != NULL ? q + 1 : "");
	if (q != NULL)
		*q = '\0';
	free(req->path);
	req->path = target;
	for (p = eol + 1; p < end && !body; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return -1;
		le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (le == p)
			return 0;	/* the empty line: the head ends */
		if ((colon = memchr(p, ':', (size_t)(le - p))) == NULL)
			return -1;
		/* The optional whitespace around the value is not part of it. */
		for (vs = colon + 1; vs < le && (*vs == ' ' || *vs == '\t'); vs++)
			;
		for (ve = le; ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		name = xstrndup(p, (size_t)(colon - p));
		value = xstrndup(vs, (size_t)(ve - vs));
		body = strcasecmp(name, "Transfer-Encoding") == 0 ||
		    (strcasecmp(name, "Content-Length") == 0 &&
		    strcmp(value, "0") != 0);
		if (!body)
			request_add_header(req, name, value);
		free(name);
		free(value);
	}
	return -1;
}

int
h1_direct_start(struct http1 *h1, int fd, const struct sockaddr *addr,
    const char *head, size_t len)
{
	struct h1_direct *d;
	struct request *req;
	unsigned timeout_ms = H1_DIRECT_USER_TIMEOUT_MS;
	struct response *resp;

	d = xcalloc(1, sizeof(*d));
	req = request_new(&h1_direct_transport, d);
	if (h1_direct_parse(req, head, len) != 0) {
		request_free(req);
		free(d);
		return -1;
	}
	/* The head was peeked: read it now, all of it is in the socket. */
	if (recv(fd, h1->peek, len, MSG_DONTWAIT) != (ssize_t)len) {
		request_free(req);
		free(d);
		close(fd);
		return 0;
	}
	d->h1 = h1;
	d->fd = fd;
	d->req = req;
	req->protocol = "http1";
	req->start_us = loop_now_us(h1->loop);
	if (addr != NULL)
		listen_format_address(addr, req->remote, sizeof(req->remote));
	d->next = h1->direct;
	if (h1->direct != NULL)
		h1->direct->prev = d;
	h1->direct = d;
	h1->connections++;
	/*
	 * In flight until the connection ends, as libmicrohttpd counts a
	 * stream: a drain waits for its last retry: to be written.
	 */
	h1->in_flight++;
	metric_series_add(h1->conns_total, 1);
	metric_series_set(h1->conns_open, (double)h1->connections);
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms,
	    sizeof(timeout_ms));
	d->watch = loop_watch_add(h1->loop, fd, EPOLLIN | EPOLLRDHUP,
	    h1_direct_ready, d);
	if (d->watch == NULL) {
		h1_direct_free(d);
		return 0;
	}
	d->in_handler = 1;
	router_dispatch(h1->router, req);
	d->in_handler = 0;
	if ((resp = d->resp) != NULL) {
		/*
		 * Answered at once (the usual case): the request has done its
		 * work.  One answered later is freed with the connection,
		 * since its handler may still hold it when it answers.
		 */
		d->resp = NULL;
		request_free(d->req);
		d->req = NULL;
		h1_direct_answer(d, resp);
	}
	return 0;
}

void
h1_direct_close_all(struct http1 *h1)
{
	while (h1->direct != NULL)
		h1_direct_free(h1->direct);
}
