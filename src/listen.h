/*
 * The listener: accepts client connections and hands each to the protocol
 * it speaks.  A new connection is watched until its first bytes arrive;
 * they are peeked (not read), and the HTTP/2 connection preface
 * ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") sends the socket to the HTTP/2
 * handler, a TLS handshake record (first byte 0x16, when TLS is on) to the
 * TLS handler, anything else to the HTTP/1.1 handler (libmicrohttpd).
 * This is the seam where the nghttp2 adapter and TLS plug in
 * (doc/design.md, "One port").
 *
 * A client that sends nothing within the sniff timeout is closed, and past
 * the connection limit, or past the per-address limit (conncap.h, which
 * counts a connection until it closes, whatever its protocol), new
 * clients get a short 503 and are closed, so idle or slow clients cannot
 * pile up.  A connection from a trusted load balancer (--trusted-proxy)
 * first gives its client's address in a PROXY v2 header, which the
 * listener reads before the sniff; that address then stands for the
 * peer's everywhere.  Loop thread only.
 */
#ifndef BROADSIDE_LISTEN_H
#define BROADSIDE_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

struct loop;
struct listener;

/*
 * Receives an accepted socket (non-blocking, close-on-exec) and owns it
 * afterwards: it must close it even on failure.
 */
typedef void (*listener_hand_off)(void *arg, int fd,
    const struct sockaddr *addr, socklen_t addrlen);

struct listener_handlers {
	listener_hand_off http1;
	listener_hand_off http2;
	listener_hand_off tls;	/* NULL: no TLS, 0x16 goes to http1 */
	/* Connections open outside the listener (by the protocols). */
	size_t (*connections)(void *arg);
	void *arg;
};

struct metrics;

struct listener_options {
	const char *address;	/* "ADDR:PORT", "[V6]:PORT" */
	size_t max_connections;
	size_t per_ip_connections;	/* per address (IPv6: /64); 0: none */
	int sniff_timeout_s;
	int backlog;
	/*
	 * --trusted-proxy: the balancers whose connections start with a
	 * PROXY v2 header naming the client (proxyproto.h); NULL or "":
	 * none.  Checked by config_parse(); parsed again here.
	 */
	const char *trusted_proxy;
	/*
	 * Where broadside_connections_refused_total{reason} is counted
	 * ("limit": --max-connections, "address": the per-address cap);
	 * NULL counts nothing.
	 */
	struct metrics *metrics;
};

/*
 * Parses "ADDR:PORT" or "[IPV6]:PORT" (numeric addresses only, port
 * 0..65535).  Returns 0 or BS_ERR_INVALID.
 */
int listen_parse_address(const char *s, struct sockaddr_storage *ss,
    socklen_t *len);

/* Formats an address as "127.0.0.1:8080" or "[::1]:8080". */
void listen_format_address(const struct sockaddr *sa, char *out,
    size_t outlen);

/*
 * Binds and listens.  Returns 0, or BS_ERR_INVALID (bad address or
 * trusted_proxy list) or
 * BS_ERR_IO (socket, bind or listen failed; errno says why).
 */
int listener_new(struct listener **out, struct loop *loop,
    const struct listener_options *opts,
    const struct listener_handlers *handlers);

/* The address actually bound (the real port when 0 was asked for). */
const char *listener_address(const struct listener *l);

/*
 * Stops accepting: closes the listening socket.  Connections already
 * handed off are not affected; those still being sniffed are closed.
 */
void listener_close(struct listener *l);

/* Closes everything and frees the listener.  NULL is a no-op. */
void listener_free(struct listener *l);

#endif
