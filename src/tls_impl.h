/*
 * Internal to the TLS module (tls.c: sessions, handshakes, the "h2"
 * hand-off and the module; tls_bridge.c: the HTTP/1.1 bridge to
 * libmicrohttpd).  Nothing outside those two files includes this.
 * Loop thread only.
 */
#ifndef BROADSIDE_TLS_IMPL_H
#define BROADSIDE_TLS_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

#include "loop.h"
#include "tls.h"

struct metric;
struct metric_series;

/* Each direction of a bridge holds at most this many bytes. */
#define TLS_BRIDGE_BUF (32 * 1024)
/* Pump rounds per wake-up, so one bridge cannot hog the loop. */
#define TLS_PUMP_ROUNDS 16
/* Certificate and key files larger than this are refused. */
#define TLS_MAX_FILE (1024 * 1024)
/* Warning alerts read past in a row before the peer is given up. */
#define TLS_MAX_WARNINGS 8
/* TCP_USER_TIMEOUT, as on the other transports' sockets. */
#define TLS_USER_TIMEOUT_MS 30000

enum tls_state {
	TLS_HANDSHAKE,
	TLS_H2,
	TLS_BRIDGE,
	TLS_CLOSED,		/* waiting for its deferred free */
};

/* One direction of a bridge: bytes waiting are data[off..len). */
struct tls_pipe {
	uint8_t *data;
	size_t off, len;
	int eof;		/* nothing more will come from the source */
};

struct tls_conn {
	struct tls *tls;
	enum tls_state state;
	int fd;
	gnutls_session_t session;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char remote[64];
	struct loop_watch *watch;	/* the TLS socket: handshake, bridge */
	uint32_t watch_events;
	struct loop_timer *timer;	/* the handshake's or the linger's */
	int send_again;		/* the last send returned GNUTLS_E_AGAIN */
	/* The bridge to libmicrohttpd. */
	int peer_fd;		/* our end of the socketpair */
	struct loop_watch *peer_watch;
	uint32_t peer_events;
	struct tls_pipe up;	/* client -> libmicrohttpd */
	struct tls_pipe down;	/* libmicrohttpd -> client */
	int peer_shut;		/* the client's end passed on (SHUT_WR) */
	int pump_queued;
	struct tls_conn *prev, *next;
};

struct tls {
	struct loop *loop;
	struct tls_options opts;
	struct tls_handlers handlers;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t priority;
	struct tls_conn *conns;
	size_t count[TLS_CLOSED];	/* connections by state */
	struct metric_series *open[TLS_CLOSED];
	struct metric_series *total_h2, *total_http1;
	struct metric *failures;
};


/* Moves a connection to state, keeping the counts and gauges. */
void tls_conn_set_state(struct tls_conn *t, enum tls_state state);

/* Ends a connection from inside our callbacks: freed after this turn. */
void tls_conn_close(struct tls_conn *t);

/*
 * Watches fd for events, adding, changing or (for none) removing the
 * watch *w.  Returns 0, or -1 when epoll refuses.
 */
int tls_set_watch(struct tls_conn *t, struct loop_watch **w,
    uint32_t *current, int fd, uint32_t events, loop_fd_cb cb);

/* gnutls_record_recv() as read(): n, 0 at the end, or -1 with errno. */
ssize_t tls_recv(struct tls_conn *t, void *buf, size_t len);

/* gnutls_record_send() as write(): n, or -1 with errno (EAGAIN). */
ssize_t tls_send(struct tls_conn *t, const void *buf, size_t len);

/* ---- tls_bridge.c ---- */

/*
 * The handshake chose HTTP/1.1 (or nothing): opens the socketpair, hands
 * one end to libmicrohttpd and starts pumping.  On failure the
 * connection is closed.
 */
void tls_bridge_start(struct tls_conn *t);

#endif
