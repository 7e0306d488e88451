/*
 * The HTTP/1.1 transport: libmicrohttpd in external epoll mode, driven by
 * our loop (loop.h).  libmicrohttpd has no listening
 * socket and no thread of its own: the listener hands it sockets with
 * MHD_add_connection(), its epoll fd sits inside ours, and its timeouts
 * are one of our timers.
 *
 * Complete requests (body included, capped) become struct request and go
 * to the router; a handler that answers later leaves the connection
 * suspended (not the loop) until it does.  Loop thread only.
 */
#ifndef BROADSIDE_HTTP1_H
#define BROADSIDE_HTTP1_H

#include <stddef.h>
#include <sys/socket.h>

struct loop;
struct metric;
struct router;
struct http1;

struct http1_options {
	long max_body;		/* request body cap in bytes */
	long max_connections;
	int idle_timeout_s;
	int head_timeout_s;	/* for a whole request head */
	long conn_memory;	/* libmicrohttpd pool per connection; a request
				   head may take half of it */
	/* Families labelled by protocol, or NULL for no metrics. */
	struct metric *conns_open;
	struct metric *conns_total;
};

/*
 * Starts libmicrohttpd and adds its epoll fd to the loop.  Returns 0 or
 * BS_ERR_IO.  The loop and router must outlive the transport.
 */
int http1_new(struct http1 **out, struct loop *loop, struct router *router,
    const struct http1_options *opts);

/*
 * Adds an accepted socket; the transport owns it afterwards (closed on
 * failure too).  Its first request head is checked (and waited for, up
 * to head_timeout_s) before libmicrohttpd gets the socket.  Returns 0,
 * BS_ERR_LIMIT when libmicrohttpd refuses it, or BS_ERR_IO.
 */
int http1_add_connection(struct http1 *h1, int fd,
    const struct sockaddr *addr, socklen_t addrlen);

/* From now on every response closes its connection (the drain). */
void http1_set_draining(struct http1 *h1);

/*
 * Connections open (those waiting for their first head included), and
 * requests begun but not finished.
 */
size_t http1_connections(const struct http1 *h1);
size_t http1_requests_in_flight(const struct http1 *h1);

/*
 * Tells every waiting handler that its client is gone, closes every
 * connection and stops libmicrohttpd.  NULL is a no-op.
 */
void http1_free(struct http1 *h1);

#endif
