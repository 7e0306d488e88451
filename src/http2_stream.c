/*
 * HTTP/2 streams (http2_impl.h): each request stream becomes a struct
 * request for the router once its headers and body (capped) are in; its
 * answer goes out as HEADERS plus a data provider: the response body, or
 * for an event stream the subscriber's queue, deferred while empty and
 * resumed when the stream module kicks it.  The connection side (socket,
 * session, service passes) is http2.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "alloc.h"
#include "buf.h"
#include "http2_impl.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "request.h"
#include "route.h"
#include "stream.h"

static void h2_respond(struct request *req, struct response *resp);

static const struct request_transport h2_transport = {
	.respond = h2_respond,
};

/* ---- streams ----------------------------------------------------------- */

/*
 * Gives a stream's body budget back, and its buffered bytes back to the
 * connection's flow-control window (a WINDOW_UPDATE follows once half
 * the window is given back).
 */
static void
h2_body_release(struct h2_stream *st)
{
	struct h2_conn *c = st->c;

	c->body_reserved -= st->reserved;
	c->h2->body_reserved -= st->reserved;
	st->reserved = 0;
	if (st->unconsumed > 0)
		nghttp2_session_consume_connection(c->session, st->unconsumed);
	st->unconsumed = 0;
}

static void
h2_metrics_streams(struct http2 *h2)
{
	metric_series_set(h2->streams_open, (double)h2->nstreams);
}

struct h2_stream *
h2_stream_new(struct h2_conn *c, int32_t id)
{
	struct http2 *h2 = c->h2;
	struct h2_stream *st = xcalloc(1, sizeof(*st));

	st->c = c;
	st->id = id;
	st->req = request_new(&h2_transport, st);
	st->req->protocol = "http2";
	snprintf(st->req->remote, sizeof(st->req->remote), "%s", c->remote);
	buf_init(&st->body, (size_t)h2->opts.max_body);
	st->next = c->streams;
	if (c->streams != NULL)
		c->streams->prev = st;
	c->streams = st;
	c->nstreams++;
	h2->nstreams++;
	metric_series_add(h2->streams_total, 1);
	h2_metrics_streams(h2);
	return st;
}

/*
 * Frees a stream's data: a handler still working hears of the abort.
 * Never called inside a subscriber callback.
 */
void
h2_stream_free(struct h2_stream *st)
{
	struct h2_conn *c = st->c;

	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		c->streams = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	c->nstreams--;
	c->h2->nstreams--;
	h2_metrics_streams(c->h2);
	if (st->sse_closing)
		c->nclosing--;
	h2_body_release(st);
	if (st->req != NULL) {
		if (st->state == H2S_HANDLER || st->state == H2S_RECV)
			request_abort(st->req);
		request_free(st->req);
	}
	response_free(st->resp);
	subscriber_free(st->sub);
	buf_free(&st->body);
	free(st);
}

/* ---- responses ----------------------------------------------------------- */

/*
 * DATA frames do not pass through nghttp2's frame buffer
 * (NGHTTP2_DATA_FLAG_NO_COPY): the read callbacks only say how many bytes
 * the next frame carries, and h2_send_data() copies them from the body or
 * the subscriber's queue straight into the connection's output.  That
 * buffer (16 KB, allocated by nghttp2 for the session's life; one block
 * shared by all sessions, see http2.c) then holds only HEADERS and
 * control frames, and every DATA byte is copied once, not twice.
 */
static ssize_t
h2_body_read(nghttp2_session *session, int32_t id, uint8_t *buf,
    size_t length, uint32_t *data_flags, nghttp2_data_source *source,
    void *user_data)
{
	struct h2_stream *st = source->ptr;
	size_t left = st->resp->body_len - st->sent;
	size_t n = left < length ? left : length;

	if (n > 0)
		*data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (n == left)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* An event stream: its subscriber's queue, deferred while empty. */
static ssize_t
h2_sse_read(nghttp2_session *session, int32_t id, uint8_t *buf,
    size_t length, uint32_t *data_flags, nghttp2_data_source *source,
    void *user_data)
{
	struct h2_stream *st = source->ptr;
	struct iovec iov[16];
	size_t n = 0;
	int cnt;

	/*
	 * Answered: the stream holds only its subscriber from now on.  (Not
	 * freed in h2_submit(), whose caller's caller, the handler, may
	 * still hold the request; this runs from a flush, never inside a
	 * handler.)
	 */
	if (st->req != NULL) {
		request_free(st->req);
		st->req = NULL;
	}
	cnt = subscriber_iov(st->sub, iov, 16);
	for (int i = 0; i < cnt && n < length; i++)
		n += iov[i].iov_len < length - n ? iov[i].iov_len : length - n;
	if (n > 0) {
		*data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
		return (ssize_t)n;
	}
	if (st->sse_closing || subscriber_closing(st->sub)) {
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
		return 0;
	}
	st->sse_deferred = 1;
	return NGHTTP2_ERR_DEFERRED;
}

/*
 * nghttp2 sends a DATA frame of length payload bytes whose read callback
 * set NGHTTP2_DATA_FLAG_NO_COPY: its header and payload go to the
 * connection's output.  Pauses the session (nghttp2_session_mem_send()
 * returns) once that output is full enough to write.
 */
static int
h2_send_data(nghttp2_session *session, nghttp2_frame *frame,
    const uint8_t *framehd, size_t length, nghttp2_data_source *source,
    void *user_data)
{
	struct h2_conn *c = user_data;
	struct h2_stream *st = source->ptr;

	if (st->resp != NULL) {
		h2_conn_queue(c, framehd, 9);
		h2_conn_queue(c, st->resp->body + st->sent, length);
		st->sent += length;
	} else {
		struct iovec iov[16];
		size_t have = 0, left = length;
		int cnt = subscriber_iov(st->sub, iov, 16);

		for (int i = 0; i < cnt; i++)
			have += iov[i].iov_len;
		/* The read callback saw these bytes; they cannot be gone. */
		if (have < length)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		h2_conn_queue(c, framehd, 9);
		for (int i = 0; i < cnt && left > 0; i++) {
			size_t take = iov[i].iov_len < left ? iov[i].iov_len :
			    left;

			h2_conn_queue(c, iov[i].iov_base, take);
			left -= take;
		}
		subscriber_consumed(st->sub, length, loop_now_us(c->h2->loop));
	}
	return h2_conn_out_full(c) ? NGHTTP2_ERR_PAUSE : 0;
}

static void
h2_sse_wake(struct h2_stream *st)
{
	struct h2_conn *c = st->c;

	if (st->sse_deferred && !c->dead) {
		st->sse_deferred = 0;
		nghttp2_session_resume_data(c->session, st->id);
	}
	h2_conn_schedule(c);
}

static void
h2_sse_kick(void *ctx)
{
	h2_sse_wake(ctx);
}

static void
h2_sse_close(void *ctx)
{
	struct h2_stream *st = ctx;

	if (!st->sse_closing) {
		st->sse_closing = 1;
		st->c->nclosing++;
	}
	h2_sse_wake(st);
}

static const struct subscriber_transport h2_sse_transport = {
	.kick = h2_sse_kick,
	.close = h2_sse_close,
};

/* Connection-specific headers HTTP/2 forbids (RFC 9113 section 8.2.2). */
static int
h2_forbidden_header(const char *name)
{
	static const char *const names[] = {
		"connection", "keep-alive", "transfer-encoding", "upgrade",
		"proxy-connection", "te",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* Submits resp on st (resp passes to the stream). */
static void
h2_submit(struct h2_stream *st, struct response *resp)
{
	struct h2_conn *c = st->c;
	nghttp2_data_provider prd, *pp = NULL;
	nghttp2_nv *nva;
	char status[8], length[24];
	size_t n = 0;
	int head = st->req != NULL && st->req->method == HTTP_HEAD;
	int rv;

	nva = xcalloc(resp->nheaders + 2, sizeof(*nva));
	snprintf(status, sizeof(status), "%d", resp->status);
	nva[n++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)status, 7,
	    strlen(status), NGHTTP2_NV_FLAG_NONE };
	for (size_t i = 0; i < resp->nheaders; i++) {
		char *name = resp->headers[i].name;

		if (h2_forbidden_header(name) ||
		    strcasecmp(name, "content-length") == 0)
			continue;
		/* HTTP/2 field names are lower case. */
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		nva[n++] = (nghttp2_nv){ (uint8_t *)name,
		    (uint8_t *)resp->headers[i].value, strlen(name),
		    strlen(resp->headers[i].value), NGHTTP2_NV_FLAG_NONE };
	}
	if (resp->stream == NULL && resp->status != 204 &&
	    resp->status != 304) {
		snprintf(length, sizeof(length), "%zu",
		    resp->body != NULL ? resp->body_len : 0);
		nva[n++] = (nghttp2_nv){ (uint8_t *)"content-length",
		    (uint8_t *)length, 14, strlen(length),
		    NGHTTP2_NV_FLAG_NONE };
	}
	if (resp->stream != NULL && !head) {
		st->state = H2S_SSE;
		st->sub = resp->stream;
		resp->stream = NULL;
		prd.source.ptr = st;
		prd.read_callback = h2_sse_read;
		pp = &prd;
	} else if (resp->body != NULL && resp->body_len > 0 && !head &&
	    resp->status != 204 && resp->status != 304) {
		st->state = H2S_SEND;
		prd.source.ptr = st;
		prd.read_callback = h2_body_read;
		pp = &prd;
	} else {
		st->state = H2S_DONE;
	}
	rv = nghttp2_submit_response(c->session, st->id, nva, n, pp);
	free(nva);
	if (rv != 0) {
		log_debug("http2: cannot answer stream %d: %s", st->id,
		    nghttp2_strerror(rv));
		nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE,
		    st->id, NGHTTP2_INTERNAL_ERROR);
		st->state = H2S_DONE;
	}
	if (st->state == H2S_SEND) {
		st->resp = resp;
	} else {
		response_free(resp);
		if (st->state == H2S_SSE)
			subscriber_attach(st->sub, &h2_sse_transport, st);
	}
	h2_conn_schedule(c);
}

static void
h2_respond(struct request *req, struct response *resp)
{
	struct h2_stream *st = req->transport_data;

	if (st->c->dead || st->state != H2S_HANDLER) {
		response_free(resp);
		return;
	}
	h2_submit(st, resp);
}

/* Answers without routing (counted as unmatched, as on HTTP/1.1). */
static void
h2_refuse(struct h2_stream *st, struct response *resp)
{
	st->state = H2S_HANDLER;
	h2_submit(st, resp);
}

static void
h2_too_large(struct h2_stream *st)
{
	h2_refuse(st, response_problem(413, "body-too-large",
	    "Request body too large",
	    "The request body is over the server's limit of %ld bytes; send "
	    "less.", st->c->h2->opts.max_body));
}

void
h2_stream_dispatch(struct h2_stream *st)
{
	struct http2 *h2 = st->c->h2;

	if (st->state != H2S_RECV)
		return;
	if (st->header_overflow) {
		h2_refuse(st, response_problem(431, "headers-too-large",
		    "Request headers too large",
		    "The request's header fields are over the server's limit "
		    "of %ld bytes; send fewer or shorter ones.",
		    h2->opts.max_header_list));
		return;
	}
	st->req->body = buf_steal(&st->body, &st->req->body_len);
	st->req->start_us = loop_now_us(h2->loop);
	st->state = H2S_HANDLER;
	router_dispatch(h2->router, st->req);
}

/* ---- nghttp2 callbacks ------------------------------------------------- */

static int
h2_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame,
    void *user_data)
{
	struct h2_conn *c = user_data;
	struct h2_stream *st;

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = h2_stream_new(c, frame->hd.stream_id);
	nghttp2_session_set_stream_user_data(session, st->id, st);
	return 0;
}

/* Adds a header, joining HTTP/2's split cookie crumbs with "; ". */
static void
h2_add_header(struct request *req, const char *name, const char *value)
{
	if (strcmp(name, "cookie") == 0) {
		for (size_t i = 0; i < req->nheaders; i++) {
			char *joined;

			if (strcmp(req->headers[i].name, "cookie") != 0)
				continue;
			joined = xasprintf("%s; %s", req->headers[i].value,
			    value);
			free(req->headers[i].value);
			req->headers[i].value = joined;
			return;
		}
	}
	request_add_header(req, name, value);
}

static void
h2_set_target(struct request *req, const char *target, size_t len)
{
	const char *q = memchr(target, '?', len);

	free(req->path);
	free(req->query);
	if (q != NULL) {
		req->path = xstrndup(target, (size_t)(q - target));
		req->query = xstrndup(q + 1, len - (size_t)(q - target) - 1);
	} else {
		req->path = xstrndup(target, len);
		req->query = xstrdup("");
	}
}

static void
h2_set_method(struct request *req, const char *method)
{
	free(req->method_name);
	req->method_name = xstrdup(method);
	req->method = http_method_parse(method);
}

static int
h2_on_header(nghttp2_session *session, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *user_data)
{
	struct h2_conn *c = user_data;
	struct h2_stream *st;
	const char *n = (const char *)name, *v = (const char *)value;

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;	/* trailers are ignored */
	st = nghttp2_session_get_stream_user_data(session,
	    frame->hd.stream_id);
	if (st == NULL || st->req == NULL || st->header_overflow)
		return 0;
	/* RFC 9113 section 6.5.2: name, value and 32 bytes per field. */
	st->header_bytes += namelen + valuelen + 32;
	if (st->header_bytes > (size_t)c->h2->opts.max_header_list) {
		st->header_overflow = 1;
		return 0;
	}
	if (n[0] != ':')
		h2_add_header(st->req, n, v);
	else if (strcmp(n, ":method") == 0)
		h2_set_method(st->req, v);
	else if (strcmp(n, ":path") == 0)
		h2_set_target(st->req, v, valuelen);
	else if (strcmp(n, ":authority") == 0)
		request_add_header(st->req, "host", v);
	return 0;
}

static int
h2_on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *user_data)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(session,
	    id);
	size_t bound;

	if (st == NULL) {
		nghttp2_session_consume(session, id, len);
		return 0;
	}
	h2_conn_progress(st->c);
	if (st->state != H2S_RECV) {
		nghttp2_session_consume(session, id, len);
		/*
		 * Answered early (413, 431): the rest is read and dropped, as
		 * on HTTP/1.1, so that clients which only read the answer
		 * once their upload is done see it; past a bound the stream
		 * is reset (RFC 9113 section 8.1 allows either).
		 */
		bound = H2_DISCARD_FACTOR * (size_t)st->c->h2->opts.max_body +
		    H2_DISCARD_FACTOR;
		st->discarded += len;
		if (st->discarded > bound && !st->rst_sent) {
			st->rst_sent = 1;
			nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE,
			    id, NGHTTP2_NO_ERROR);
		}
		return 0;
	}
	if (buf_append(&st->body, data, len) != 0) {
		st->too_large = 1;
		buf_free(&st->body);
		/* Dropped from now on: the client may send on (as above). */
		nghttp2_session_consume_stream(session, id, st->unconsumed);
		h2_body_release(st);
		nghttp2_session_consume(session, id, len);
		h2_too_large(st);
		return 0;
	}
	/* Held against the windows until the stream is freed. */
	st->unconsumed += len;
	return 0;
}


/* A request whose declared length is over the cap gets 413 at once. */
static int
h2_declared_too_large(struct h2_stream *st)
{
	const char *cl = request_header(st->req, "content-length");

	return cl != NULL && strtoull(cl, NULL, 10) >
	    (unsigned long long)st->c->h2->opts.max_body;
}

/*
 * A request with a body holds part of the connection's and the process's
 * body budget until its stream is freed: its declared length, or one byte
 * over the cap when it declares none (so that an oversize body shows).
 * Buffered bytes are given back to the connection's flow-control window
 * only when the stream is freed, and a stream's own window is the cap
 * plus one, so a client cannot send more than it was granted
 * (http2.c sets the windows).  A stream that does not fit in its
 * connection's budget is refused (REFUSED_STREAM: safe to retry, RFC
 * 9113 section 8.7); one that does not fit in the process's gets 503.
 */
static void
h2_body_reserve(struct h2_stream *st)
{
	struct h2_conn *c = st->c;
	struct http2 *h2 = c->h2;
	const char *cl = request_header(st->req, "content-length");
	size_t want = (size_t)h2->opts.max_body + 1;

	/* nghttp2 checked that it is a number; the cap, that it is small. */
	if (cl != NULL)
		want = (size_t)strtoull(cl, NULL, 10);
	if (c->body_reserved + want > h2->conn_body) {
		if (h2_conn_log_first(c, H2_LOG_REFUSED))
			log_info("http2: %s: request bodies over "
			    "--h2-conn-body, refusing streams", c->remote);
		st->state = H2S_DONE;
		st->rst_sent = 1;
		nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE,
		    st->id, NGHTTP2_REFUSED_STREAM);
		h2_conn_schedule(c);
		return;
	}
	if (h2->body_reserved + want > (size_t)h2->opts.body_total) {
		struct response *resp = response_problem(503, "busy",
		    "Server busy", "The server holds as many request bodies "
		    "as it may; retry shortly.");

		if (h2_conn_log_first(c, H2_LOG_BUSY))
			log_warn("http2: request bodies over --h2-body-total, "
			    "answering %s 503", c->remote);
		response_add_header(resp, "Retry-After", "1");
		h2_refuse(st, resp);
		return;
	}
	st->reserved = want;
	c->body_reserved += want;
	h2->body_reserved += want;
}

static int
h2_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
    void *user_data)
{
	struct h2_conn *c = user_data;
	struct h2_stream *st;
	int end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

	switch (frame->hd.type) {
	case NGHTTP2_PING:
	case NGHTTP2_SETTINGS:
		if (frame->hd.flags & NGHTTP2_FLAG_ACK)
			return 0;
		/* FALLTHROUGH */
	case NGHTTP2_PRIORITY:
		goto control;
	case NGHTTP2_DATA:
		if (frame->hd.length == 0 && !end)
			goto control;
		break;
	case NGHTTP2_HEADERS:
		break;
	default:
		return 0;
	}
	st = nghttp2_session_get_stream_user_data(session,
	    frame->hd.stream_id);
	if (st == NULL)
		return 0;
	/* Request progress, unlike control frames, keeps it open. */
	h2_conn_progress(c);
	if (st->state != H2S_RECV)
		return 0;
	if (end)
		h2_stream_dispatch(st);
	else if (frame->hd.type == NGHTTP2_HEADERS && st->header_overflow)
		h2_stream_dispatch(st);
	else if (frame->hd.type == NGHTTP2_HEADERS &&
	    h2_declared_too_large(st)) {
		st->too_large = 1;
		h2_too_large(st);
	} else if (frame->hd.type == NGHTTP2_HEADERS)
		h2_body_reserve(st);
	return 0;
control:
	if (!h2_conn_control_allowed(c)) {
		if (h2_conn_log_first(c, H2_LOG_CONTROL))
			log_info("http2: %s sends too many control frames, "
			    "closing", c->remote);
		nghttp2_session_terminate_session(session,
		    NGHTTP2_ENHANCE_YOUR_CALM);
	}
	return 0;
}

static int
h2_on_stream_close(nghttp2_session *session, int32_t id,
    uint32_t error_code, void *user_data)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(session,
	    id);

	if (st != NULL) {
		nghttp2_session_set_stream_user_data(session, id, NULL);
		h2_stream_free(st);
	}
	return 0;
}

static int
h2_on_error(nghttp2_session *session, int code, const char *msg,
    size_t len, void *user_data)
{
	struct h2_conn *c = user_data;

	/* A client repeating one mistake says it once in the log. */
	if (h2_conn_log_first(c, H2_LOG_PROTOCOL))
		log_debug("http2: %s: %.*s", c->remote, (int)len, msg);
	return 0;
}

void
h2_stream_set_method(struct h2_stream *st, const char *method)
{
	h2_set_method(st->req, method);
}

void
h2_stream_set_target(struct h2_stream *st, const char *target, size_t len)
{
	h2_set_target(st->req, target, len);
}

void
h2_stream_callbacks(nghttp2_session_callbacks *cb)
{
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
	    h2_on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, h2_on_header);
	nghttp2_session_callbacks_set_send_data_callback(cb, h2_send_data);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
	    h2_on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb,
	    h2_on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
	    h2_on_stream_close);
	nghttp2_session_callbacks_set_error_callback2(cb, h2_on_error);
}
