/*
 * Internal to the HTTP/2 transport (http2.c: connections, the socket and
 * the session; http2_stream.c: streams, that is requests in and responses
 * and event streams out).  Nothing outside those two files includes this.
 * Loop thread only.
 */
#ifndef BROADSIDE_HTTP2_IMPL_H
#define BROADSIDE_HTTP2_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

#include "buf.h"
#include "http2.h"

struct loop_timer;
struct loop_watch;
struct metric_series;
struct request;
struct response;
struct router;
struct subscriber;

/* Control frames (PING, SETTINGS, PRIORITY, empty DATA): burst and rate. */
#define H2_CONTROL_BURST 200.0
#define H2_CONTROL_RATE 20.0
/* How much of a refused body is read (in units of the cap), as HTTP/1.1. */
#define H2_DISCARD_FACTOR 16

enum h2_stream_state {
	H2S_RECV,		/* headers and body arriving */
	H2S_HANDLER,		/* dispatched, waiting for the answer */
	H2S_SEND,		/* a response body going out */
	H2S_SSE,		/* an event stream */
	H2S_DONE,		/* answered without body, or given up */
};

/* What http2_check.c remembers of the client's frames. */
#define H2_CHECK_RING 32

struct h2_opened {
	int32_t id;
	uint8_t ended;		/* the client sent END_STREAM */
	uint8_t reset;		/* 1: the client reset it; 2: answered */
};

struct h2_check {
	size_t skip;		/* preface or payload bytes to pass over */
	uint8_t hd[9];		/* a frame header being gathered */
	size_t hd_len;
	int done;		/* a connection error was found: stop */
	int32_t max_id;		/* the highest stream id opened */
	struct h2_opened opened[H2_CHECK_RING];	/* the last ids opened */
	size_t nopened, next;
};

enum h2_check_verdict {
	H2_CHECK_PASS,			/* nghttp2 handles it */
	H2_CHECK_RESET,			/* RST_STREAM STREAM_CLOSED */
	H2_CHECK_STREAM_CLOSED,		/* GOAWAY STREAM_CLOSED */
	H2_CHECK_PROTOCOL_ERROR,	/* GOAWAY PROTOCOL_ERROR */
};

struct h2_conn;

struct h2_stream {
	struct h2_conn *c;
	int32_t id;
	enum h2_stream_state state;
	struct request *req;
	size_t header_bytes;
	int header_overflow;	/* past the header list cap: 431 */
	struct buf body;
	int too_large;
	size_t discarded;	/* body bytes dropped after an early answer */
	size_t reserved;	/* body budget held (h2_body_reserve()) */
	size_t unconsumed;	/* buffered bytes not yet given back to the
				   connection's flow-control window */
	struct response *resp;	/* its body is being sent */
	size_t sent;
	struct subscriber *sub;
	int sse_deferred;	/* nghttp2 waits for resume_data */
	int sse_closing;	/* the stream module dropped it */
	int rst_sent;
	struct h2_stream *prev, *next;
};

struct h2_conn {
	struct http2 *h2;
	nghttp2_mem mem;	/* the session's allocator (http2.c) */
	void *framebuf;		/* nghttp2's frame buffer: http2's */
	int creating;		/* in nghttp2_session_server_new3() */
	int framebuf_checked;	/* h2_conn_check_framebuf() done */
	int fd;			/* watched; bytes move through io */
	const struct http2_io *io;
	void *io_ctx;
	int read_again;		/* io holds bytes epoll will not signal */
	char remote[64];
	nghttp2_session *session;
	struct loop_watch *watch;
	int watching_out;
	struct loop_timer *timer;
	uint64_t last_progress_us;
	uint8_t *out;		/* frames waiting to be written */
	size_t out_len, out_off, out_cap;
	int out_shared;		/* out is http2's scratch (during a flush) */
	struct h2_stream *streams;
	size_t nstreams;
	size_t nclosing;	/* event streams told to close */
	size_t body_reserved;	/* sum of its streams' reserved */
	unsigned logged;	/* H2_LOG_* causes already logged */
	struct h2_check check;	/* RFC 9113 section 5.1 (http2_check.c) */
	double control_tokens;
	uint64_t control_us;
	int goaway;		/* GOAWAY submitted */
	int scheduled;		/* a service pass is queued */
	int dead;		/* to be freed by the queued service pass */
	struct h2_conn *prev, *next;
};

struct http2 {
	struct loop *loop;
	struct router *router;
	struct http2_options opts;
	nghttp2_session_callbacks *callbacks;
	nghttp2_option *option;
	uint8_t *scratch;	/* every connection's output, one at a time */
	size_t scratch_cap;
	uint8_t *framebuf;	/* every session's frame buffer (http2.c) */
	size_t framebuf_len;
	int framebuf_own;	/* sharing it was found wrong: no more */
	int draining;
	struct h2_conn *conns;
	size_t nconns;
	size_t nstreams;
	size_t conn_body;	/* body bytes reservable per connection */
	size_t body_reserved;	/* reserved by all connections */
	struct metric_series *conns_open;
	struct metric_series *conns_total;
	struct metric_series *streams_open;
	struct metric_series *streams_total;
};

/* ---- http2_stream.c ---- */

/* Registers the stream-level nghttp2 callbacks. */
void h2_stream_callbacks(nghttp2_session_callbacks *cb);

/* A stream's data, linked into its connection and counted. */
struct h2_stream *h2_stream_new(struct h2_conn *c, int32_t id);

/*
 * Frees a stream's data; a handler still working hears of the abort.
 * Never called inside a subscriber callback.
 */
void h2_stream_free(struct h2_stream *st);

/* Sets the method, or the target ("/path?query", len bytes). */
void h2_stream_set_method(struct h2_stream *st, const char *method);
void h2_stream_set_target(struct h2_stream *st, const char *target,
    size_t len);

/* The request is complete: to the router (or 431). */
void h2_stream_dispatch(struct h2_stream *st);

/* ---- http2_check.c ---- */

/* Starts checking a connection; preface: its 24 bytes come first. */
void h2_check_init(struct h2_check *k, int preface);

/* Stream 1 was opened (and ended) by an HTTP/1.1 Upgrade. */
void h2_check_upgraded(struct h2_check *k);

/*
 * Scans len bytes of the client's input.  Returns how many it looked
 * at: all of them, or up to the header of the first frame that breaks
 * the rules, whose verdict and stream id it then sets, with *start the
 * offset in data where that frame begins (0 when it began in an earlier
 * call).  *verdict is H2_CHECK_PASS when there was none.  After a
 * connection error (H2_CHECK_STREAM_CLOSED, H2_CHECK_PROTOCOL_ERROR) it
 * looks at nothing more.
 */
size_t h2_check_scan(struct h2_check *k, const uint8_t *data, size_t len,
    enum h2_check_verdict *verdict, int32_t *id, size_t *start);

/* ---- http2.c ---- */

/* Causes a connection logs once (h2_conn_log_first()). */
#define H2_LOG_CONTROL	0x1u	/* control-frame flood */
#define H2_LOG_PROTOCOL	0x2u	/* nghttp2's protocol errors */
#define H2_LOG_REFUSED	0x4u	/* over its body budget */
#define H2_LOG_BUSY	0x8u	/* over the process's body budget */
#define H2_LOG_RECV	0x10u	/* nghttp2_session_mem_recv() failed */
#define H2_LOG_STATE	0x20u	/* frames on closed or unused streams */

/*
 * Whether this is the first time the connection logs cause: a flood of
 * bad frames from one client then costs one log line, not one each.
 */
int h2_conn_log_first(struct h2_conn *c, unsigned cause);

/* The client made request progress: restarts the idle timeout. */
void h2_conn_progress(struct h2_conn *c);

/* Appends n bytes to the connection's output (written by its flush). */
void h2_conn_queue(struct h2_conn *c, const void *data, size_t n);

/* Whether the output holds enough to write before producing more. */
int h2_conn_out_full(const struct h2_conn *c);

/* Queues a service pass (flush, close if done) after this iteration. */
void h2_conn_schedule(struct h2_conn *c);

/* Whether the connection may have one more control frame now. */
int h2_conn_control_allowed(struct h2_conn *c);

/* Resets closed event streams whose bytes cannot move. */
void h2_conn_reset_stuck(struct h2_conn *c);

#endif
