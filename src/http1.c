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
 *
 * Request heads are held to a deadline and to the strict rules of RFC
 * 9112 (http1_admit.c, http1_head.c): a new connection's first head is
 * checked on its raw bytes before libmicrohttpd reads it, and every
 * head's fields again here, as libmicrohttpd parsed them.
 *
 * An event stream's socket is taken over by our loop once its headers
 * are out (http1_stream.c).  A connection whose first request line the
 * router says streams (router_streams()) goes to a libmicrohttpd instance
 * of its own (http1_impl.h says why).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "http1_head.h"
#include "http1_impl.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "request.h"
#include "route.h"

/* How much of an oversize body is read (in units of the cap) to answer 413. */
#define H1_DISCARD_FACTOR 16

/*
 * libmicrohttpd touches the whole pool of every connection, so a held
 * event stream costs its pool in resident memory for as long as it is
 * open.  The streams instance keeps a small one; a stream whose head
 * would not fit comfortably in it goes to the other instance instead.
 * libmicrohttpd 0.9.75 reads a head into half of the pool's free space
 * at first (3 KB here), keeps the parsed fields at the pool's other end
 * and builds the response head between them: 6 KB hold a 2 KB head of
 * 32 fields (a browser sends about 15).
 * After the hand-over the pool is dead weight, so it is no larger.
 */
#define H1_STREAM_POOL 6144
#define H1_STREAM_HEAD_MAX 2048
/* Each field takes some 64 bytes of the pool besides its text. */
#define H1_STREAM_FIELDS_MAX 32

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

/*
 * Runs the instances in mask (1 << instance).  Each MHD_run() is an
 * epoll_wait() on the instance's own epoll set even when it has nothing
 * to do, so only the instances that may have work are run: the one
 * whose epoll set is ready, or whose connection was resumed or added.
 */
static void
h1_run(struct http1 *h1, unsigned mask)
{
	for (int i = 0; i < H1_INSTANCES; i++)
		if (mask & (1u << i))
			MHD_run(h1->mhd[i]);
	loop_timer_reset(h1->timer, h1_timeout(h1));
}

static void
h1_deferred_run(struct loop *loop, void *arg)
{
	struct http1 *h1 = arg;
	unsigned mask = h1->run_pending;

	h1->run_pending = 0;
	h1_run(h1, mask);
}

/* The instance a connection belongs to, as a bit of a run mask. */
static unsigned
h1_instance_bit(struct http1 *h1, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	if (conn == NULL)
		return (1u << H1_INSTANCES) - 1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
	for (int i = 0; ci != NULL && i < H1_INSTANCES; i++)
		if (ci->daemon == h1->mhd[i])
			return 1u << i;
	return (1u << H1_INSTANCES) - 1;
}

/*
 * libmicrohttpd's own timeout ignores pending resumes and new connections,
 * so we keep our own "run again after this iteration" flags.
 */
static void
h1_schedule_bits(struct http1 *h1, unsigned bits)
{
	if (h1->stopping || (h1->run_pending & bits) == bits)
		return;
	if (h1->run_pending == 0)
		loop_defer(h1->loop, h1_deferred_run, h1);
	h1->run_pending |= bits;
}

void
h1_schedule_run(struct http1 *h1, struct MHD_Connection *conn)
{
	h1_schedule_bits(h1, h1_instance_bit(h1, conn));
}

static void
h1_epoll_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct http1 *h1 = arg;
	unsigned mask = 0;

	for (int i = 0; i < H1_INSTANCES; i++)
		if (h1->epoll_fd[i] == fd)
			mask |= 1u << i;
	h1_run(h1, mask);
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
	const union MHD_ConnectionInfo *ci;

	hr->h1 = h1;
	hr->conn = conn;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	hr->c = ci != NULL ? ci->socket_context : NULL;
	/* The request line is in: the rest of the head comes in time. */
	if (hr->c != NULL)
		h1_conn_head_expected(hr->c,
		    (int64_t)h1->opts.head_timeout_s * 1000);
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
	/*
	 * A kept-alive connection waits for its next request: idle up to
	 * the idle timeout (libmicrohttpd's), then its head in time.
	 */
	if (hr->c != NULL)
		h1_conn_head_expected(hr->c, ((int64_t)h1->opts.idle_timeout_s +
		    h1->opts.head_timeout_s) * 1000);
	h1_stream_completed(hr);
	h1_suspended_unlink(hr);
	if (hr->req != NULL) {
		request_abort(hr->req);
		request_free(hr->req);
	}
	response_free(hr->resp);
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
		/* Its first head is whole already (http1_admit.c). */
		*socket_ctx = h1_conn_new(h1, conn);
		h1->connections++;
		metric_series_add(h1->conns_total, 1);
	} else {
		h1_conn_free(*socket_ctx);
		*socket_ctx = NULL;
		h1->connections--;
	}
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

static enum MHD_Result
h1_queue(struct h1_request *hr)
{
	struct response *resp = hr->resp;
	struct MHD_Response *mr;
	enum MHD_Result rv;

	hr->resp = NULL;
	if (resp->stream != NULL) {
		mr = h1_stream_response(hr, resp);
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
		h1_schedule_run(hr->h1, hr->conn);
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
h1_check_field(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	http1_fields_add(cls, key, key_size, value != NULL ? value : "",
	    value != NULL ? value_size : 0);
	return MHD_YES;
}

/*
 * The framing rules of RFC 9112 on the fields libmicrohttpd parsed (it
 * accepts, among others, Transfer-Encoding with Content-Length, and
 * Content-Lengths that disagree).  A refusal is plain text, and the
 * connection closes after it.  Returns 0 or the status queued.
 */
static int
h1_check_fields(struct h1_request *hr, const char *version,
    enum MHD_Result *rv)
{
	struct http1_fields f;
	const char *reason;
	struct response *resp;
	int status;

	http1_fields_init(&f, strcmp(version, MHD_HTTP_VERSION_1_0) != 0);
	MHD_get_connection_values_n(hr->conn, MHD_HEADER_KIND,
	    h1_check_field, &f);
	status = http1_fields_verdict(&f, &reason);
	if (status == 0)
		return 0;
	log_debug("http1: refused a request with %d: %s", status, reason);
	resp = response_new(status);
	response_set_body(resp, "text/plain; charset=utf-8", xstrdup(reason),
	    strlen(reason));
	response_add_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	hr->resp = resp;
	*rv = h1_queue(hr);
	return status;
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
	enum MHD_Result rv;
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
		/* The first call has the headers only: check them. */
		hr->headers_seen = 1;
		if (hr->c != NULL)
			h1_conn_head_arrived(hr->c);
		if (h1_check_fields(hr, version, &rv) != 0)
			return rv;
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
h1_start(struct http1 *h1, const struct http1_options *opts, size_t pool)
{
	unsigned limit = (unsigned)opts->max_connections + 16;

	return MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    h1_on_access, h1,
	    MHD_OPTION_EXTERNAL_LOGGER, h1_on_log, h1,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opts->idle_timeout_s,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
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
	free(h1->peek);
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
	h1->head_max = (size_t)opts->conn_memory / 2;
	h1->peek = xmalloc(h1->head_max + 1);
	h1->timer = loop_timer_add(loop, 60000, h1_timer, h1);
	for (int i = 0; i < H1_INSTANCES; i++) {
		h1->mhd[i] = h1_start(h1, opts, i == H1_STREAMS &&
		    opts->conn_memory > H1_STREAM_POOL ? H1_STREAM_POOL :
		    (size_t)opts->conn_memory);
		info = h1->mhd[i] ? MHD_get_daemon_info(h1->mhd[i],
		    MHD_DAEMON_INFO_EPOLL_FD) : NULL;
		h1->epoll_fd[i] = info ? info->epoll_fd : -1;
		h1->watch[i] = info ? loop_watch_add(loop, info->epoll_fd,
		    EPOLLIN, h1_epoll_ready, h1) : NULL;
		if (h1->watch[i] == NULL) {
			h1_stop(h1);
			return BS_ERR_IO;
		}
	}
	h1->conns_open = metric_series(opts->conns_open,
	    (const char *[]){ "http1" });
	h1->conns_total = metric_series(opts->conns_total,
	    (const char *[]){ "http1" });
	metric_series_set(h1->conns_open, 0);
	*out = h1;
	return 0;
}

/* Enough for a request line up to the end of its path in practice. */
#define H1_PEEK_MAX 512

/*
 * Whether the first request head of a new connection (its bytes, as they
 * wait in the socket) is one the router streams (router_streams()).
 * When the line is not there as far as the end of its path, the answer
 * is no (the connection then simply shares the other instance).
 */
static int
h1_starts_with_stream(struct http1 *h1, const char *head, size_t len)
{
	char line[H1_PEEK_MAX + 1];
	size_t n = len < H1_PEEK_MAX ? len : H1_PEEK_MAX;
	char *target, *end;

	memcpy(line, head, n);
	line[n] = '\0';
	target = strchr(line, ' ');
	if (target == NULL)
		return 0;
	*target++ = '\0';
	end = target + strcspn(target, " \r\n");
	/* Cut short inside the query is enough: the path is complete. */
	if (*end == '\0' && memchr(target, '?', (size_t)(end - target)) == NULL)
		return 0;
	*end = '\0';
	return router_streams(h1->router, line, target);
}

int
http1_add_connection(struct http1 *h1, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	return h1_admit(h1, fd, addr, addrlen);
}

/* The lines of a head: its request line, fields and the blank line. */
static size_t
h1_head_lines(const char *head, size_t len)
{
	size_t lines = 0;
	const char *p = head, *end = head + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	return lines;
}

int
h1_hand_to_mhd(struct http1 *h1, int fd, const struct sockaddr *addr,
    socklen_t addrlen, const char *head, size_t len)
{
	int stream = h1_starts_with_stream(h1, head, len), which;

	/* Most streams never meet libmicrohttpd (http1_direct.c). */
	if (stream && h1_direct_start(h1, fd, addr, head, len) == 0)
		return 0;
	which = stream && len <= H1_STREAM_HEAD_MAX &&
	    h1_head_lines(head, len) <= H1_STREAM_FIELDS_MAX + 2 ?
	    H1_STREAMS : H1_REQUESTS;
	if (MHD_add_connection(h1->mhd[which], fd, addr, addrlen) != MHD_YES) {
		/* libmicrohttpd closed the socket. */
		log_debug("libmicrohttpd refused a connection (connection "
		    "or per-address limit)");
		return BS_ERR_LIMIT;
	}
	h1_schedule_bits(h1, 1u << which);
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
	return h1->connections + h1->npending;
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
	h1_admit_close_all(h1);
	h1_stream_close_all(h1);
	h1_direct_close_all(h1);
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
