/*
 * TLS on the shared port (broadsided(8), --tls-cert): a GnuTLS
 * server session per connection, driven by our loop without threads.
 *
 * The listener hands over sockets whose first byte is a TLS handshake
 * record (0x16).  The handshake runs on EPOLLIN/EPOLLOUT as GnuTLS asks,
 * under a deadline (the sniff timeout), offering ALPN "h2" and "http/1.1"
 * with the server's order winning.  Then:
 *
 * - "h2": the HTTP/2 transport takes the socket and moves its bytes
 *   through this module's struct http2_io, marked buffered: GnuTLS holds
 *   bytes that epoll cannot see, so it is read until it would block;
 * - "http/1.1" or no ALPN: a bridge to libmicrohttpd.  A socketpair's one
 *   end goes to the HTTP/1.1 transport with the TLS client's address, and
 *   this module pumps bytes between the TLS session and the other end,
 *   through two bounded buffers: a side whose buffer is full is not read
 *   until the other side takes some (backpressure both ways).  We chose
 *   the bridge over libmicrohttpd's own TLS (MHD_USE_TLS) because that
 *   needs a daemon of its own, with its own listening socket or its own
 *   sniffing, and the event-stream writer (http1_stream.c) writes to the
 *   connection's socket directly, which under MHD_USE_TLS would bypass
 *   the encryption.  Through the bridge, every HTTP/1.1 path, event
 *   streams included, works unchanged.
 *
 * Loop thread only.
 */
#ifndef BROADSIDE_TLS_H
#define BROADSIDE_TLS_H

#include <stddef.h>
#include <sys/socket.h>

struct http2_io;
struct loop;
struct metrics;
struct tls;

struct tls_handlers {
	/*
	 * ALPN chose "h2": as http2_add_connection_io(), which owns ctx
	 * afterwards (and may close it before returning).
	 */
	int (*http2)(void *arg, int fd, const struct http2_io *io, void *ctx,
	    const struct sockaddr *addr, socklen_t addrlen);
	/*
	 * HTTP/1.1: fd is the bridge's socketpair end, owned by the callee
	 * afterwards (closed on failure too); addr is the TLS client's.
	 */
	int (*http1)(void *arg, int fd, const struct sockaddr *addr,
	    socklen_t addrlen);
	void *arg;
};

/*
 * The default priority: TLS 1.3 and 1.2 only, and only key exchanges
 * with forward secrecy (no static RSA); the server's order of preference.
 */
#define TLS_PRIORITY "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-RSA:-VERS-SSL3.0:%SERVER_PRECEDENCE"

struct tls_options {
	const char *cert_file;		/* PEM: the chain, leaf first */
	const char *key_file;		/* PEM */
	/*
	 * A GnuTLS priority string (gnutls_priority_init(3)): the protocol
	 * versions, key exchanges and ciphers offered.  NULL: TLS_PRIORITY.
	 */
	const char *priority;
	int handshake_timeout_s;
	/*
	 * Once libmicrohttpd has closed a bridged connection, the client has
	 * this long to take what is left before it is cut off.
	 */
	int linger_timeout_s;
	struct metrics *metrics;	/* families are added, or NULL */
};

/*
 * Loads the certificate and key and prepares the sessions' settings.
 * Returns 0, or BS_ERR_INVALID with one line in err naming the file and
 * the problem (unreadable, not PEM, key not matching the certificate), or
 * --tls-priority and the part of it GnuTLS does not understand.
 * The loop must outlive the module.
 */
int tls_new(struct tls **out, struct loop *loop,
    const struct tls_options *opts, const struct tls_handlers *handlers,
    char *err, size_t errlen);

/*
 * Takes an accepted socket (non-blocking) whose first byte is a TLS
 * handshake record; the module owns it afterwards and closes it even on
 * failure.
 */
void tls_add_connection(struct tls *tls, int fd, const struct sockaddr *addr,
    socklen_t addrlen);

/*
 * Connections this module holds that no transport counts yet: those in
 * their handshake.  (Bridged ones are libmicrohttpd connections, "h2"
 * ones HTTP/2 connections.)
 */
size_t tls_handshaking(const struct tls *tls);

/*
 * Closes every connection still in its handshake or bridged, and frees
 * the module.  Connections handed to HTTP/2 belong to it: free the HTTP/2
 * transport first.  NULL is a no-op.
 */
void tls_free(struct tls *tls);

#endif
