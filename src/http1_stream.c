/*
 * HTTP/1.1 event streams (http1_impl.h): the socket hand-over, for the
 * streams libmicrohttpd parsed (one asked for on a kept-alive connection
 * after other requests, or whose head has a body); a connection that
 * opens with a stream is served by http1_direct.c instead.
 *
 * libmicrohttpd parses the request and sends the response headers; after
 * that the stream's bytes go straight from our loop to the socket.  The
 * response is made with MHD_RF_HTTP_1_0_SERVER, so there is no chunked
 * framing to keep up: the body simply runs until the connection closes.
 * Its content reader hands libmicrohttpd the first queued bytes (the retry
 * hint and the snapshot) with the headers; it is called again only once
 * those are all written, and at that point it suspends the connection for
 * good and the loop takes the socket (MHD_CONNECTION_INFO_CONNECTION_FD).
 * To end the stream we stop watching the socket and resume the
 * connection; the reader then ends the body and libmicrohttpd closes the
 * connection and completes the request.
 *
 * libmicrohttpd documents suspending from a content reader and a reader
 * that returns 0 while suspended, but it does not promise the rest: that
 * the second reader call comes only after the first bytes are on the
 * wire, and that it leaves the socket of a suspended connection alone (no
 * read, no write, no close, no timeout).  tests/probe/mhd_handover.c
 * checks exactly that; configure runs it against the libmicrohttpd it
 * builds with, and make check runs it again.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http1_impl.h"
#include "loop.h"
#include "request.h"
#include "stream.h"

/* Unacknowledged bytes this long mean a dead peer (half-open). */
#define H1_STREAM_USER_TIMEOUT_MS 30000u

static void h1_stream_teardown_later(struct h1_request *hr);

static void
h1_stream_watch(struct h1_request *hr, int want_out)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0);

	if (hr->sse_watch != NULL && hr->sse_out != want_out &&
	    loop_watch_modify(hr->sse_watch, ev) == 0)
		hr->sse_out = want_out;
}

/* Writes what the subscriber has queued, as far as the socket takes it. */
static void
h1_stream_write(struct h1_request *hr)
{
	struct loop *loop = hr->h1->loop;
	struct iovec iov[32];
	ssize_t n;
	int cnt;

	while ((cnt = subscriber_iov(hr->sub, iov, 32)) > 0) {
		n = writev(hr->sse_fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			h1_stream_watch(hr, 1);
			return;
		}
		if (n <= 0) {
			h1_stream_teardown_later(hr);
			return;
		}
		subscriber_consumed(hr->sub, (size_t)n, loop_now_us(loop));
	}
	h1_stream_watch(hr, 0);
	if (subscriber_closing(hr->sub))
		h1_stream_teardown_later(hr);
}

int
h1_stream_peer_left(int fd, uint32_t events)
{
	char scratch[512];
	ssize_t n;

	if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		return 1;
	if (!(events & EPOLLIN))
		return 0;
	/* A stream's client has nothing to say; EOF means it left. */
	n = read(fd, scratch, sizeof(scratch));
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

static void
h1_stream_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct h1_request *hr = arg;

	if (h1_stream_peer_left(fd, events)) {
		h1_stream_teardown_later(hr);
		return;
	}
	if (events & EPOLLOUT)
		h1_stream_write(hr);
}

static void
h1_stream_kick(void *ctx)
{
	struct h1_request *hr = ctx;

	if (hr->sse == H1_SSE_OURS && !hr->sse_teardown)
		h1_stream_write(hr);
}

static void
h1_stream_close(void *ctx)
{
	struct h1_request *hr = ctx;

	/* Write what can go now (a drain's last retry:), then end. */
	if (hr->sse == H1_SSE_OURS && !hr->sse_teardown)
		h1_stream_write(hr);
	h1_stream_teardown_later(hr);
}

static const struct subscriber_transport h1_stream_transport = {
	.kick = h1_stream_kick,
	.close = h1_stream_close,
};

static void
h1_stream_unlink(struct h1_request *hr)
{
	struct http1 *h1 = hr->h1;

	if (hr->sse_prev != NULL)
		hr->sse_prev->sse_next = hr->sse_next;
	else if (h1->streams == hr)
		h1->streams = hr->sse_next;
	if (hr->sse_next != NULL)
		hr->sse_next->sse_prev = hr->sse_prev;
	hr->sse_prev = hr->sse_next = NULL;
}

/* Gives the connection back to libmicrohttpd, which ends it. */
static void
h1_stream_teardown(struct h1_request *hr)
{
	if (hr->sse != H1_SSE_OURS)
		return;
	loop_watch_remove(hr->sse_watch);
	hr->sse_watch = NULL;
	subscriber_free(hr->sub);
	hr->sub = NULL;
	hr->sse = H1_SSE_DONE;
	h1_stream_unlink(hr);
	MHD_resume_connection(hr->conn);
	h1_schedule_run(hr->h1, hr->conn);
}

static void
h1_stream_teardown_deferred(struct loop *loop, void *arg)
{
	h1_stream_teardown(arg);
}

/* Never inside the stream's own callbacks: after this iteration. */
static void
h1_stream_teardown_later(struct h1_request *hr)
{
	if (hr->sse_teardown || hr->sse != H1_SSE_OURS)
		return;
	hr->sse_teardown = 1;
	loop_defer(hr->h1->loop, h1_stream_teardown_deferred, hr);
}

/* libmicrohttpd's second call: its bytes are out, the socket is ours. */
static void
h1_stream_take_over(struct h1_request *hr)
{
	struct http1 *h1 = hr->h1;
	const union MHD_ConnectionInfo *ci;
	unsigned timeout_ms = H1_STREAM_USER_TIMEOUT_MS;

	ci = MHD_get_connection_info(hr->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	MHD_suspend_connection(hr->conn);
	h1->handing_over--;
	hr->sse = H1_SSE_OURS;
	hr->sse_fd = ci != NULL ? ci->connect_fd : -1;
	hr->sse_next = h1->streams;
	if (h1->streams != NULL)
		h1->streams->sse_prev = hr;
	h1->streams = hr;
	setsockopt(hr->sse_fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms,
	    sizeof(timeout_ms));
	hr->sse_watch = loop_watch_add(h1->loop, hr->sse_fd,
	    EPOLLIN | EPOLLRDHUP, h1_stream_ready, hr);
	if (hr->sse_watch == NULL) {
		h1_stream_teardown_later(hr);
		return;
	}
	subscriber_attach(hr->sub, &h1_stream_transport, hr);
}

static ssize_t
h1_stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct h1_request *hr = cls;
	struct iovec iov[8];
	size_t n = 0;
	int cnt;

	switch (hr->sse) {
	case H1_SSE_NONE:
		/* The first call: these bytes go out with the headers. */
		hr->sse = H1_SSE_HEADERS;
		hr->h1->handing_over++;
		cnt = subscriber_iov(hr->sub, iov, 8);
		for (int i = 0; i < cnt && n < max; i++) {
			size_t take = iov[i].iov_len < max - n ?
			    iov[i].iov_len : max - n;

			memcpy(buf + n, iov[i].iov_base, take);
			n += take;
		}
		subscriber_consumed(hr->sub, n, loop_now_us(hr->h1->loop));
		if (n > 0)
			return (ssize_t)n;
		/* Nothing queued (cannot happen): take over at once. */
		h1_stream_take_over(hr);
		return 0;
	case H1_SSE_HEADERS:
		h1_stream_take_over(hr);
		return 0;
	case H1_SSE_OURS:
		return 0;
	case H1_SSE_DONE:
		break;
	}
	return MHD_CONTENT_READER_END_OF_STREAM;
}

struct MHD_Response *
h1_stream_response(struct h1_request *hr, struct response *resp)
{
	struct MHD_Response *mr;

	/*
	 * libmicrohttpd keeps a buffer of this block size for the response's
	 * whole life, and only the first bytes ever pass through it: keep it
	 * small (it was half of a subscriber's memory at 8 KiB).
	 */
	mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 512,
	    h1_stream_reader, hr, NULL);
	if (mr == NULL)
		return NULL;
	MHD_set_response_options(mr, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
	hr->sub = resp->stream;
	resp->stream = NULL;
	return mr;
}

void
h1_stream_completed(struct h1_request *hr)
{
	if (hr->sse == H1_SSE_HEADERS)
		hr->h1->handing_over--;
	subscriber_free(hr->sub);
	hr->sub = NULL;
}

void
h1_stream_close_all(struct http1 *h1)
{
	while (h1->streams != NULL)
		h1_stream_teardown(h1->streams);
}
