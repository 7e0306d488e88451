/*
 * The HTTP/2 transport: one nghttp2 server session per connection, driven
 * by our loop (listen.c sends it the connections that open with the
 * HTTP/2 preface).  nghttp2 does no I/O:
 * we read the socket into nghttp2_session_mem_recv() and write what
 * nghttp2_session_mem_send() produces while it wants to write, watching
 * EPOLLOUT only when the socket is full.  No threads.
 *
 * Connections come from the listener, either after the client's preface
 * (prior knowledge, http2_add_connection()) or as an HTTP/1.1 request
 * with "Upgrade: h2c" that the listener's HTTP/1.1 hand-off passes here
 * first (http2_try_upgrade()).  Every complete request (body capped as on
 * HTTP/1.1) becomes a struct request for the router; responses go out as
 * HEADERS and DATA, and event streams as DATA frames pulled from their
 * subscriber, deferred while its queue is empty.  Flow control is
 * nghttp2's: a stream whose reader stops only stops itself.
 *
 * Loop thread only.
 */
#ifndef BROADSIDE_HTTP2_H
#define BROADSIDE_HTTP2_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct loop;
struct metric;
struct router;
struct http2;

struct http2_options {
	long max_body;		/* request body cap in bytes */
	long max_streams;	/* SETTINGS_MAX_CONCURRENT_STREAMS */
	long max_header_list;	/* SETTINGS_MAX_HEADER_LIST_SIZE, enforced */
	long conn_body;		/* request body bytes buffered per connection */
	long body_total;	/* ... and by all connections together */
	int idle_timeout_s;	/* no progress this long: closed */
	/* Families labelled by protocol, or NULL for no metrics. */
	struct metric *conns_open;
	struct metric *conns_total;
	struct metric *streams_open;
	struct metric *streams_total;
};

/*
 * How a connection's bytes move: a plain socket by default, or a TLS
 * session over it (tls.c).  recv() and send() return a byte count (recv
 * 0 at the end of the stream), or -1 with errno EAGAIN when they would
 * block (the transport then waits for the socket: EPOLLIN always,
 * EPOLLOUT after a send that would block) and any other errno when the
 * connection is broken.  A send that would block is repeated later with
 * the same bytes (GnuTLS requires it).  close() ends the session, closes
 * the socket and frees ctx; it is called exactly once, from the
 * transport's own clean-up, never from inside recv() or send().
 *
 * buffered says that ctx keeps input of its own, which epoll does not
 * signal: then the transport reads until recv() would block, and when it
 * stops earlier (a bound per wake-up) it reads on in a deferred pass
 * rather than waiting for the socket.  Stopping at a short read when
 * gnutls_record_check_pending() said 0 was not enough: under load, a
 * browser's event stream on a TLS connection stalled now and then (its
 * next event never sent) until the client wrote again.  Reading until
 * GNUTLS_E_AGAIN, as GnuTLS advises for non-blocking use, fixed it.
 */
struct http2_io {
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	void (*close)(void *ctx);
	int buffered;
};

/*
 * Creates the transport.  Returns 0 (it cannot fail otherwise: out of
 * memory is fatal).  The loop and router must outlive it.
 */
int http2_new(struct http2 **out, struct loop *loop, struct router *router,
    const struct http2_options *opts);

/*
 * Adds an accepted socket whose first bytes are the HTTP/2 connection
 * preface (not yet read); the transport owns the socket afterwards and
 * closes it even on failure.  Returns 0 or BS_ERR_IO.
 */
int http2_add_connection(struct http2 *h2, int fd,
    const struct sockaddr *addr, socklen_t addrlen);

/*
 * As http2_add_connection(), for a connection whose bytes go through io
 * (TLS, once ALPN chose "h2"): fd is only watched, io moves the bytes,
 * and the transport owns ctx (closing it through io->close) afterwards,
 * even on failure, which may close it before this returns.  The preface
 * may already wait inside ctx.  Returns 0 or BS_ERR_IO.
 */
int http2_add_connection_io(struct http2 *h2, int fd,
    const struct http2_io *io, void *ctx, const struct sockaddr *addr,
    socklen_t addrlen);

/*
 * Looks at the bytes waiting on a new HTTP/1.1 socket (peeked, not read).
 * If they are one complete HTTP/1.1 request without a body that asks for
 * "Upgrade: h2c" with an HTTP2-Settings header, reads it, answers
 * 101 Switching Protocols, and serves it as stream 1 of a new HTTP/2
 * connection: returns 1 and owns the socket.  Anything else (including a
 * request not wholly arrived yet) returns 0 with the socket untouched, for
 * libmicrohttpd.
 */
int http2_try_upgrade(struct http2 *h2, int fd, const struct sockaddr *addr,
    socklen_t addrlen);

/*
 * The drain: every connection gets GOAWAY with the last stream id it
 * processed; open streams finish (event streams are ended by the stream
 * module), then connections close.  New connections get GOAWAY after
 * their first request.
 */
void http2_set_draining(struct http2 *h2);

/* Connections open, and streams begun but not closed. */
size_t http2_connections(const struct http2 *h2);
size_t http2_requests_in_flight(const struct http2 *h2);

/*
 * Tells every waiting handler that its client is gone, frees every
 * stream's subscriber, closes every connection and frees the transport.
 * NULL is a no-op.
 */
void http2_free(struct http2 *h2);

#endif
