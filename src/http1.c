/*
 * The libmicrohttpd adapter (http1.h).
 *
 * How a request flows: the URI log callback (the first thing libmicrohttpd
 * tells us of a request) creates our per-request state with the raw URI;
 * the access handler collects the body into a capped buffer, then builds a
 * struct request and dispatches it.  A response given during dispatch is
 * queued at once; otherwise the connection is suspended and resumed when
 * the handler answers, and the access handler queues it on the next call.
 *
 * libmicrohttpd's URL unescaping is switched off: routes see the raw path
 * and decode each segment themselves, so "%2F" can never split a segment.
 */
#include "config.h"

#include "http1.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <microhttpd.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "request.h"
#include "route.h"
#include "stream.h"

enum { H1_REQUESTS, H1_STREAMS, H1_INSTANCES };

/* How much of an oversize body is read (in units of the cap) to answer 413. */
#define H1_DISCARD_FACTOR 16

struct h1_request {
	struct http1 *h1;
	struct MHD_Connection *conn;
	char *uri;		/* raw request target */
	struct buf body;
	struct request *req;	/* once dispatched */
	struct response *resp;	/* waiting to be queued */
	int headers_seen;
	int too_large;		/* the body passed the cap: dropping it */
	size_t discarded;
	int in_handler;
	int suspended;
	struct h1_request *prev, *next;	/* the suspended list */

	/* An event stream (see "event streams" below). */
	struct subscriber *sub;
	enum { SSE_NONE, SSE_HEADERS, SSE_OURS, SSE_DONE } sse;
	int sse_fd;
	struct loop_watch *sse_watch;
	int sse_out;		/* EPOLLOUT is watched */
	int sse_teardown;	/* a teardown is queued */
	struct h1_request *sse_prev, *sse_next;	/* the streams list */
};

struct http1 {
	struct loop *loop;
	struct router *router;
	/*
	 * Two libmicrohttpd instances: every resume of a suspended
	 * connection makes libmicrohttpd walk all the suspended connections
	 * of its instance, and event streams stay suspended for good.  So
	 * connections whose first request is an event stream get their own
	 * instance, and the requests that wait for a commit (suspended, then
	 * resumed) walk only the short list of the other.
	 */
	struct MHD_Daemon *mhd[H1_INSTANCES];
	struct loop_watch *watch[H1_INSTANCES];
	struct loop_timer *timer;
	struct http1_options opts;
	int run_pending;
	int draining;
	int stopping;
	size_t connections;
	size_t in_flight;
	struct h1_request *suspended;
	struct h1_request *streams;	/* event streams we write ourselves */
	size_t nstreams;
	size_t handing_over;	/* streams between their two reader calls */
	struct metric_series *conns_open;
	struct metric_series *conns_total;
};

static void h1_respond(struct request *req, struct response *resp);

static const struct request_transport h1_transport = {
	.respond = h1_respond,
};

/* ---- driving libmicrohttpd from the loop ----------------------------- */

/*
 * The nearest timeout of both instances, in ms (at most a minute).  While
 * a stream waits for libmicrohttpd's second reader call (its first bytes
 * written), libmicrohttpd must run again soon: its own timeout does not
 * say so, and a socket that stays writable brings no new epoll event.
 */
static int64_t
h1_timeout(struct http1 *h1)
{
	MHD_UNSIGNED_LONG_LONG ms, least = 60000;

	if (h1->handing_over > 0)
		return 1;
	for (int i = 0; i < H1_INSTANCES; i++)
		if (MHD_get_timeout(h1->mhd[i], &ms) == MHD_YES && ms < least)
			least = ms;
	return (int64_t)least;
}

static void
h1_run(struct http1 *h1)
{
	/* An instance with nothing to do returns at once. */
	for (int i = 0; i < H1_INSTANCES; i++)
		MHD_run(h1->mhd[i]);
	loop_timer_reset(h1->timer, h1_timeout(h1));
}

static void
h1_deferred_run(struct loop *loop, void *arg)
{
	struct http1 *h1 = arg;

	h1->run_pending = 0;
	h1_run(h1);
}

/*
 * libmicrohttpd's own timeout ignores pending resumes and new connections,
 * so we keep our own "run again after this iteration" flag.
 */
static void
h1_schedule_run(struct http1 *h1)
{
	if (h1->run_pending || h1->stopping)
		return;
	h1->run_pending = 1;
	loop_defer(h1->loop, h1_deferred_run, h1);
}

static void
h1_epoll_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	h1_run(arg);
}

static int64_t
h1_timer(struct loop *loop, void *arg)
{
	struct http1 *h1 = arg;

	for (int i = 0; i < H1_INSTANCES; i++)
		MHD_run(h1->mhd[i]);
	return h1_timeout(h1);
}

/* ---- libmicrohttpd callbacks ------------------------------------------ */

static void *
h1_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http1 *h1 = cls;
	struct h1_request *hr = xcalloc(1, sizeof(*hr));

	hr->h1 = h1;
	hr->conn = conn;
	hr->uri = xstrdup(uri);
	buf_init(&hr->body, (size_t)h1->opts.max_body);
	h1->in_flight++;
	return hr;
}

static size_t
h1_no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	return strlen(s);
}

static void
h1_suspended_unlink(struct h1_request *hr)
{
	struct http1 *h1 = hr->h1;

	if (!hr->suspended)
		return;
	if (hr->prev != NULL)
		hr->prev->next = hr->next;
	else
		h1->suspended = hr->next;
	if (hr->next != NULL)
		hr->next->prev = hr->prev;
	hr->prev = hr->next = NULL;
	hr->suspended = 0;
}

static void
h1_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http1 *h1 = cls;
	struct h1_request *hr = *con_cls;

	if (hr == NULL)
		return;
	*con_cls = NULL;
	if (hr->sse == SSE_HEADERS)
		h1->handing_over--;
	h1_suspended_unlink(hr);
	if (hr->req != NULL) {
		request_abort(hr->req);
		request_free(hr->req);
	}
	response_free(hr->resp);
	subscriber_free(hr->sub);
	buf_free(&hr->body);
	free(hr->uri);
	free(hr);
	h1->in_flight--;
}

static void
h1_on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http1 *h1 = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		h1->connections++;
		if (h1->conns_total != NULL)
			metric_series_add(h1->conns_total, 1);
	} else {
		h1->connections--;
	}
	if (h1->conns_open != NULL)
		metric_series_set(h1->conns_open, (double)h1->connections);
}

static void
h1_on_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", line);
}

/* ---- requests --------------------------------------------------------- */

/* ---- event streams --------------------------------------------------------- *
 *
 * libmicrohttpd parses the request and sends the response headers; after
 * that the stream's bytes go straight from our loop to the socket
 * (the stream hand-over below; why: doc/design.md, "One port").  The response is made
 * with MHD_RF_HTTP_1_0_SERVER, so there is no chunked framing to keep up:
 * the body simply runs until the connection closes.  Its content reader
 * hands libmicrohttpd the first queued bytes (the retry hint and the
 * snapshot) with the headers; it is called again only once those are all
 * written, and at that point it suspends the connection for good and the
 * loop takes the socket.  A suspended connection is left alone by
 * libmicrohttpd 0.9.75-0.9.77 (configure pins the range, and
 * tests/integration/test_events.sh checks it).  To end the stream we stop
 * watching the socket and resume the connection; the reader then ends the
 * body and libmicrohttpd closes the connection and completes the request.
 */

static void h1_sse_teardown_later(struct h1_request *hr);

static void
h1_sse_watch(struct h1_request *hr, int want_out)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0);

	if (hr->sse_watch != NULL && hr->sse_out != want_out &&
	    loop_watch_modify(hr->sse_watch, ev) == 0)
		hr->sse_out = want_out;
}

/* Writes what the subscriber has queued, as far as the socket takes it. */
static void
h1_sse_write(struct h1_request *hr)
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
			h1_sse_watch(hr, 1);
			return;
		}
		if (n <= 0) {
			h1_sse_teardown_later(hr);
			return;
		}
		subscriber_consumed(hr->sub, (size_t)n, loop_now_us(loop));
	}
	h1_sse_watch(hr, 0);
	if (subscriber_closing(hr->sub))
		h1_sse_teardown_later(hr);
}

static void
h1_sse_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct h1_request *hr = arg;
	char scratch[512];

	if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		h1_sse_teardown_later(hr);
		return;
	}
	if (events & EPOLLIN) {
		/* A stream's client has nothing to say; EOF means it left. */
		ssize_t n = read(fd, scratch, sizeof(scratch));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			h1_sse_teardown_later(hr);
			return;
		}
	}
	if (events & EPOLLOUT)
		h1_sse_write(hr);
}

static void
h1_sse_kick(void *ctx)
{
	struct h1_request *hr = ctx;

	if (hr->sse == SSE_OURS && !hr->sse_teardown)
		h1_sse_write(hr);
}

static void
h1_sse_close(void *ctx)
{
	struct h1_request *hr = ctx;

	/* Write what can go now (a drain's last retry:), then end. */
	if (hr->sse == SSE_OURS && !hr->sse_teardown)
		h1_sse_write(hr);
	h1_sse_teardown_later(hr);
}

static const struct subscriber_transport h1_sse_transport = {
	.kick = h1_sse_kick,
	.close = h1_sse_close,
};

static void
h1_sse_unlink(struct h1_request *hr)
{
	struct http1 *h1 = hr->h1;

	if (hr->sse_prev != NULL)
		hr->sse_prev->sse_next = hr->sse_next;
	else if (h1->streams == hr)
		h1->streams = hr->sse_next;
	if (hr->sse_next != NULL)
		hr->sse_next->sse_prev = hr->sse_prev;
	hr->sse_prev = hr->sse_next = NULL;
	h1->nstreams--;
}

/* Gives the connection back to libmicrohttpd, which ends it. */
static void
h1_sse_teardown(struct h1_request *hr)
{
	if (hr->sse != SSE_OURS)
		return;
	loop_watch_remove(hr->sse_watch);
	hr->sse_watch = NULL;
	subscriber_free(hr->sub);
	hr->sub = NULL;
	hr->sse = SSE_DONE;
	h1_sse_unlink(hr);
	MHD_resume_connection(hr->conn);
	h1_schedule_run(hr->h1);
}

static void
h1_sse_teardown_deferred(struct loop *loop, void *arg)
{
	h1_sse_teardown(arg);
}

/* Never inside the stream's own callbacks: after this iteration. */
static void
h1_sse_teardown_later(struct h1_request *hr)
{
	if (hr->sse_teardown || hr->sse != SSE_OURS)
		return;
	hr->sse_teardown = 1;
	loop_defer(hr->h1->loop, h1_sse_teardown_deferred, hr);
}

/* libmicrohttpd's second call: its bytes are out, the socket is ours. */
static void
h1_sse_take_over(struct h1_request *hr)
{
	struct http1 *h1 = hr->h1;
	const union MHD_ConnectionInfo *ci;
	unsigned timeout_ms = 30000;

	ci = MHD_get_connection_info(hr->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	MHD_suspend_connection(hr->conn);
	h1->handing_over--;
	hr->sse = SSE_OURS;
	hr->sse_fd = ci != NULL ? ci->connect_fd : -1;
	hr->sse_next = h1->streams;
	if (h1->streams != NULL)
		h1->streams->sse_prev = hr;
	h1->streams = hr;
	h1->nstreams++;
	/* Unacknowledged bytes this long mean a dead peer (half-open). */
	setsockopt(hr->sse_fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms,
	    sizeof(timeout_ms));
	hr->sse_watch = loop_watch_add(h1->loop, hr->sse_fd,
	    EPOLLIN | EPOLLRDHUP, h1_sse_ready, hr);
	if (hr->sse_watch == NULL) {
		h1_sse_teardown_later(hr);
		return;
	}
	subscriber_attach(hr->sub, &h1_sse_transport, hr);
}

static ssize_t
h1_sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct h1_request *hr = cls;
	struct iovec iov[8];
	size_t n = 0;
	int cnt;

	switch (hr->sse) {
	case SSE_NONE:
		/* The first call: these bytes go out with the headers. */
		hr->sse = SSE_HEADERS;
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
		h1_sse_take_over(hr);
		return 0;
	case SSE_HEADERS:
		h1_sse_take_over(hr);
		return 0;
	case SSE_OURS:
		return 0;
	case SSE_DONE:
		break;
	}
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static struct MHD_Response *
h1_sse_response(struct h1_request *hr, struct response *resp)
{
	struct MHD_Response *mr;

	/*
	 * libmicrohttpd keeps a buffer of this block size for the response's
	 * whole life, and only the first bytes ever pass through it: keep it
	 * small (it was half of a subscriber's memory at 8 KiB).
	 */
	mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 512,
	    h1_sse_reader, hr, NULL);
	if (mr == NULL)
		return NULL;
	MHD_set_response_options(mr, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
	hr->sub = resp->stream;
	resp->stream = NULL;
	return mr;
}

static enum MHD_Result
h1_queue(struct h1_request *hr)
{
	struct response *resp = hr->resp;
	struct MHD_Response *mr;
	enum MHD_Result rv;

	hr->resp = NULL;
	if (resp->stream != NULL) {
		mr = h1_sse_response(hr, resp);
	} else if (resp->body != NULL) {
		mr = MHD_create_response_from_buffer(resp->body_len,
		    resp->body, MHD_RESPMEM_MUST_FREE);
		resp->body = NULL;
	} else {
		mr = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
	}
	if (mr == NULL) {
		response_free(resp);
		return MHD_NO;
	}
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(mr, resp->headers[i].name,
		    resp->headers[i].value);
	if (hr->h1->draining)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
	rv = MHD_queue_response(hr->conn, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	response_free(resp);
	return rv;
}

static void
h1_respond(struct request *req, struct response *resp)
{
	struct h1_request *hr = req->transport_data;

	response_free(hr->resp);
	hr->resp = resp;
	if (hr->in_handler)
		return;
	/* An answer that came later: wake the connection up. */
	if (hr->suspended) {
		h1_suspended_unlink(hr);
		MHD_resume_connection(hr->conn);
		h1_schedule_run(hr->h1);
	}
}

static enum MHD_Result
h1_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	request_add_header(cls, key, value != NULL ? value : "");
	return MHD_YES;
}

static struct request *
h1_build_request(struct h1_request *hr, const char *method)
{
	struct request *req = request_new(&h1_transport, hr);
	const union MHD_ConnectionInfo *ci;
	const char *q = strchr(hr->uri, '?');

	free(req->method_name);
	req->method_name = xstrdup(method);
	req->method = http_method_parse(method);
	free(req->path);
	free(req->query);
	req->path = q ? xstrndup(hr->uri, (size_t)(q - hr->uri))
		      : xstrdup(hr->uri);
	req->query = xstrdup(q ? q + 1 : "");
	req->protocol = "http1";
	req->start_us = loop_now_us(hr->h1->loop);
	MHD_get_connection_values(hr->conn, MHD_HEADER_KIND, h1_collect_header,
	    req);
	ci = MHD_get_connection_info(hr->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		listen_format_address(ci->client_addr, req->remote,
		    sizeof(req->remote));
	req->body = buf_steal(&hr->body, &req->body_len);
	return req;
}

static enum MHD_Result
h1_too_large(struct h1_request *hr)
{
	hr->resp = response_problem(413, "body-too-large",
	    "Request body too large",
	    "The request body is over the server's limit of %ld bytes; send "
	    "less.", hr->h1->opts.max_body);
	/* Not routed: counted under "unmatched". */
	return h1_queue(hr);
}

static void
h1_suspend(struct h1_request *hr)
{
	struct http1 *h1 = hr->h1;

	MHD_suspend_connection(hr->conn);
	hr->suspended = 1;
	hr->prev = NULL;
	hr->next = h1->suspended;
	if (h1->suspended != NULL)
		h1->suspended->prev = hr;
	h1->suspended = hr;
}

static enum MHD_Result
h1_on_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http1 *h1 = cls;
	struct h1_request *hr = *con_cls;
	const char *cl;

	if (hr == NULL)		/* no URI callback: cannot happen */
		return MHD_NO;
	if (hr->resp != NULL)
		return h1_queue(hr);
	if (hr->req != NULL) {
		/* Resumed without an answer: only at shutdown. */
		return h1->stopping ? MHD_NO : MHD_YES;
	}
	if (!hr->headers_seen) {
		/* The first call has the headers only: check the size. */
		hr->headers_seen = 1;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) >
		    (unsigned long long)h1->opts.max_body) {
			/*
			 * A client waiting for 100-continue has sent no body:
			 * answer now.  One already sending it would see its
			 * connection reset if we answered and closed without
			 * reading it, so a body up to the discard bound is
			 * read and dropped first (as for chunked bodies).
			 */
			if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
			    MHD_HTTP_HEADER_EXPECT) != NULL ||
			    strtoull(cl, NULL, 10) > H1_DISCARD_FACTOR *
			    (unsigned long long)h1->opts.max_body)
				return h1_too_large(hr);
			hr->too_large = 1;
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!hr->too_large && buf_append(&hr->body, upload_data,
		    *upload_data_size) != 0) {
			hr->too_large = 1;
			buf_free(&hr->body);
		}
		/*
		 * libmicrohttpd cannot answer in the middle of a body (a
		 * chunked one had no length to check), so the rest is read
		 * and dropped, up to a bound past which the client is cut
		 * off without an answer.
		 */
		if (hr->too_large) {
			hr->discarded += *upload_data_size;
			if (hr->discarded > H1_DISCARD_FACTOR *
			    (size_t)h1->opts.max_body + H1_DISCARD_FACTOR)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (hr->too_large)
		return h1_too_large(hr);

	/* The whole request is here. */
	hr->req = h1_build_request(hr, method);
	hr->in_handler = 1;
	router_dispatch(h1->router, hr->req);
	hr->in_handler = 0;
	if (hr->resp != NULL)
		return h1_queue(hr);
	h1_suspend(hr);
	return MHD_YES;
}

/* ---- the transport ------------------------------------------------------ */

static struct MHD_Daemon *
h1_start(struct http1 *h1, const struct http1_options *opts)
{
	unsigned limit = (unsigned)opts->max_connections + 16;

	return MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    h1_on_access, h1,
	    MHD_OPTION_EXTERNAL_LOGGER, h1_on_log, h1,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opts->idle_timeout_s,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)opts->conn_memory,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)opts->per_ip_connections,
	    MHD_OPTION_URI_LOG_CALLBACK, h1_on_uri, h1,
	    MHD_OPTION_NOTIFY_COMPLETED, h1_on_completed, h1,
	    MHD_OPTION_NOTIFY_CONNECTION, h1_on_connection, h1,
	    MHD_OPTION_UNESCAPE_CALLBACK, h1_no_unescape, h1,
	    MHD_OPTION_END);
}

static void
h1_stop(struct http1 *h1)
{
	for (int i = 0; i < H1_INSTANCES; i++) {
		loop_watch_remove(h1->watch[i]);
		if (h1->mhd[i] != NULL)
			MHD_stop_daemon(h1->mhd[i]);
	}
	loop_timer_cancel(h1->timer);
	free(h1);
}

int
http1_new(struct http1 **out, struct loop *loop, struct router *router,
    const struct http1_options *opts)
{
	const union MHD_DaemonInfo *info;
	struct http1 *h1;

	h1 = xcalloc(1, sizeof(*h1));
	h1->loop = loop;
	h1->router = router;
	h1->opts = *opts;
	h1->timer = loop_timer_add(loop, 60000, h1_timer, h1);
	for (int i = 0; i < H1_INSTANCES; i++) {
		h1->mhd[i] = h1_start(h1, opts);
		info = h1->mhd[i] ? MHD_get_daemon_info(h1->mhd[i],
		    MHD_DAEMON_INFO_EPOLL_FD) : NULL;
		h1->watch[i] = info ? loop_watch_add(loop, info->epoll_fd,
		    EPOLLIN, h1_epoll_ready, h1) : NULL;
		if (h1->watch[i] == NULL) {
			h1_stop(h1);
			return BS_ERR_IO;
		}
	}
	if (opts->conns_open != NULL) {
		const char *labels[] = { "http1" };

		h1->conns_open = metric_series(opts->conns_open, labels);
		h1->conns_total = metric_series(opts->conns_total, labels);
		metric_series_set(h1->conns_open, 0);
	}
	*out = h1;
	return 0;
}

/*
 * Whether the bytes already waiting on a new connection start with the
 * request line of an event stream, "GET /v1/battles/ID/events".  A peek:
 * nothing is read.  When the line is not all there yet, the answer is no
 * (the connection then simply shares the other instance).
 */
static int
h1_starts_with_stream(int fd)
{
	static const char prefix[] = "GET /v1/battles/";
	char line[160];
	ssize_t n = recv(fd, line, sizeof(line) - 1, MSG_PEEK | MSG_DONTWAIT);
	char *id, *end;

	if (n <= (ssize_t)(sizeof(prefix) - 1))
		return 0;
	line[n] = '\0';
	if (strncmp(line, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	id = line + sizeof(prefix) - 1;
	end = id + strcspn(id, "/ ?");
	return strncmp(end, "/events", 7) == 0 &&
	    (end[7] == ' ' || end[7] == '?');
}

int
http1_add_connection(struct http1 *h1, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	int which = h1_starts_with_stream(fd) ? H1_STREAMS : H1_REQUESTS;

	if (MHD_add_connection(h1->mhd[which], fd, addr, addrlen) != MHD_YES) {
		/* libmicrohttpd closed the socket. */
		log_debug("libmicrohttpd refused a connection (connection "
		    "or per-address limit)");
		return BS_ERR_LIMIT;
	}
	h1_schedule_run(h1);
	return 0;
}

void
http1_set_draining(struct http1 *h1)
{
	h1->draining = 1;
}

size_t
http1_connections(const struct http1 *h1)
{
	return h1->connections;
}

size_t
http1_streams(const struct http1 *h1)
{
	return h1->nstreams;
}

size_t
http1_requests_in_flight(const struct http1 *h1)
{
	return h1->in_flight;
}

void
http1_free(struct http1 *h1)
{
	if (h1 == NULL)
		return;
	h1->stopping = 1;
	while (h1->streams != NULL)
		h1_sse_teardown(h1->streams);
	/*
	 * Every suspended connection must be resumed before
	 * MHD_stop_daemon(); their handlers hear of the abort when the
	 * request completes.
	 */
	while (h1->suspended != NULL) {
		struct h1_request *hr = h1->suspended;

		h1_suspended_unlink(hr);
		MHD_resume_connection(hr->conn);
	}
	for (int i = 0; i < H1_INSTANCES; i++)
		MHD_run(h1->mhd[i]);
	h1_stop(h1);
}
