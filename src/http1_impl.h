/*
 * Internal to the HTTP/1.1 transport (http1.c: libmicrohttpd, requests in
 * and responses out; http1_direct.c: connections whose first request is
 * an event stream, served by our loop alone; http1_stream.c: event
 * streams on other connections, whose sockets our loop writes once
 * libmicrohttpd has sent the headers; http1_admit.c: request heads, whole
 * and in time).  Nothing outside those files includes this.  Loop thread
 * only.
 */
#ifndef BROADSIDE_HTTP1_IMPL_H
#define BROADSIDE_HTTP1_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "buf.h"
#include "http1.h"

struct loop_timer;
struct loop_watch;
struct metric_series;
struct request;
struct response;
struct subscriber;

/*
 * Two libmicrohttpd instances: every resume of a suspended connection
 * makes libmicrohttpd walk all the suspended connections of its instance,
 * and event streams stay suspended for good.  So connections whose first
 * request is an event stream get their own instance, and the requests
 * that wait for a commit (suspended, then resumed) walk only the short
 * list of the other.
 */
enum { H1_REQUESTS, H1_STREAMS, H1_INSTANCES };

/* Where an event stream is in the hand-over (http1_stream.c). */
enum h1_sse_state {
	H1_SSE_NONE,		/* not a stream, or reader not called yet */
	H1_SSE_HEADERS,		/* libmicrohttpd sends the first bytes */
	H1_SSE_OURS,		/* suspended; our loop writes the socket */
	H1_SSE_DONE,		/* given back to libmicrohttpd to end */
};

/* A libmicrohttpd connection: its socket context (http1_admit.c). */
struct h1_conn {
	struct http1 *h1;
	struct MHD_Connection *conn;
	int fd;
	struct loop_timer *head_timer;	/* armed while a head is awaited */
	uint64_t head_due_ms;
};

struct h1_pending;

struct h1_request {
	struct http1 *h1;
	struct MHD_Connection *conn;
	struct h1_conn *c;
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

	/* An event stream (http1_stream.c). */
	struct subscriber *sub;
	enum h1_sse_state sse;
	int sse_fd;
	struct loop_watch *sse_watch;
	int sse_out;		/* EPOLLOUT is watched */
	int sse_teardown;	/* a teardown is queued */
	struct h1_request *sse_prev, *sse_next;	/* the streams list */
};

struct http1 {
	struct loop *loop;
	struct router *router;
	struct MHD_Daemon *mhd[H1_INSTANCES];
	struct loop_watch *watch[H1_INSTANCES];
	int epoll_fd[H1_INSTANCES];	/* each instance's, which watch[] watch */
	struct loop_timer *timer;
	struct http1_options opts;
	unsigned run_pending;	/* 1 << instance: run after this iteration */
	int draining;
	int stopping;
	size_t connections;
	size_t in_flight;
	struct h1_request *suspended;
	struct h1_request *streams;	/* the streams our loop writes */
	struct h1_direct *direct;	/* streams without libmicrohttpd */
	size_t handing_over;	/* streams between their two reader calls */
	struct metric_series *conns_open;
	struct metric_series *conns_total;

	/* New connections whose first head is not all here (http1_admit.c). */
	struct h1_pending *pending;
	size_t npending;
	size_t head_max;	/* the largest request head, in bytes */
	char *peek;		/* head_max + 1 bytes, for looking at heads */
};

/* ---- http1_stream.c ---- */

/*
 * The libmicrohttpd response for an event stream answer: takes
 * resp->stream (the subscriber) into hr; resp stays the caller's.
 * Returns NULL when libmicrohttpd cannot make one (resp->stream then
 * stays in resp).
 */
struct MHD_Response *h1_stream_response(struct h1_request *hr,
    struct response *resp);

/*
 * Whether the client of a stream's socket left (an error, a hang-up, or
 * EOF), given the loop's events for it; bytes it sent are read and
 * dropped.
 */
int h1_stream_peer_left(int fd, uint32_t events);

/* The request is complete: frees its stream's state, if it had one. */
void h1_stream_completed(struct h1_request *hr);

/*
 * Gives every stream's connection back to libmicrohttpd at once (at
 * shutdown, before the suspended requests are resumed).
 */
void h1_stream_close_all(struct http1 *h1);

/* ---- http1_direct.c ---- */

struct h1_direct;

/*
 * Serves a new connection whose first request, the head[0..len) waiting
 * whole in its socket (checked), is an event stream, without
 * libmicrohttpd.  Returns 0 when the connection is taken (and closed, if
 * it failed), -1 when it must go to libmicrohttpd instead (a head with a
 * body); nothing was read then.
 */
int h1_direct_start(struct http1 *h1, int fd, const struct sockaddr *addr,
    const char *head, size_t len);

/* Closes every connection served here (at shutdown). */
void h1_direct_close_all(struct http1 *h1);

/* ---- http1_admit.c ---- */

/*
 * Takes a new connection: to libmicrohttpd at once when its first head is
 * here and acceptable, else watched until it is (or refused and closed).
 * The socket is the transport's afterwards.  Returns 0, or BS_ERR_IO when
 * it cannot be watched (closed then).
 */
int h1_admit(struct http1 *h1, int fd, const struct sockaddr *addr,
    socklen_t addrlen);

/* Closes the connections still waiting for their first head. */
void h1_admit_close_all(struct http1 *h1);

/*
 * Writes a short plain-text answer with status and reason, and
 * "Connection: close", on a socket that has nothing else to write.
 * Best effort (never blocks).
 */
void h1_admit_refuse(int fd, int status, const char *reason);

/* A connection's socket context; h1_conn_free() it when it closes. */
struct h1_conn *h1_conn_new(struct http1 *h1, struct MHD_Connection *conn);
void h1_conn_free(struct h1_conn *c);

/*
 * The connection's next request head must be complete within within_ms
 * (an earlier deadline already set stays); past it the connection is
 * shut down.
 */
void h1_conn_head_expected(struct h1_conn *c, int64_t within_ms);

/* The head is complete: no deadline any more. */
void h1_conn_head_arrived(struct h1_conn *c);

/* ---- http1.c ---- */

/*
 * Runs the libmicrohttpd instance of conn after this iteration of the
 * loop (both instances when conn is NULL).
 */
void h1_schedule_run(struct http1 *h1, struct MHD_Connection *conn);

/*
 * Gives a connection to libmicrohttpd; head[0..len) is its first request
 * head as it waits in the socket (it chooses the instance).  Returns 0, or
 * BS_ERR_LIMIT when libmicrohttpd refuses it (and closes the socket).
 */
int h1_hand_to_mhd(struct http1 *h1, int fd, const struct sockaddr *addr,
    socklen_t addrlen, const char *head, size_t len);

#endif
