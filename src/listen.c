/*
 * The listener (listen.h): accept, sniff the first bytes, hand off.
 */
#include "config.h"

#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cidr.h"
#include "conncap.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "proxyproto.h"

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN (sizeof(h2_preface) - 1)
/*
 * Its first line, "PRI * HTTP/2.0": a client that sends it means HTTP/2,
 * and a wrong rest is HTTP/2's to refuse (RFC 9113 section 3.4: GOAWAY
 * PROTOCOL_ERROR), not libmicrohttpd's.
 */
#define H2_PRI_LINE_LEN 16
/* A TLS record's content type for handshake messages (RFC 8446 5.1). */
#define TLS_HANDSHAKE_RECORD 0x16

/* A connection accepted, waiting for enough bytes to tell its protocol. */
struct sniff {
	struct listener *listener;
	int fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct loop_watch *watch;
	struct loop_timer *timer;
	int awaiting_proxy;	/* from a trusted balancer, header not read */
	struct sniff *prev, *next;
};

struct listener {
	struct loop *loop;
	int fd;
	struct loop_watch *watch;
	struct listener_options opts;
	struct listener_handlers handlers;
	char address[80];
	struct sniff *sniffing;
	size_t nsniffing;
	struct conncap *per_address;
	struct cidr_list *trusted;	/* --trusted-proxy; NULL: none */
	struct metric *m_refused;	/* by reason; NULL: not counted */
};

int
listen_parse_address(const char *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char host[64];
	const char *colon, *port_s;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':' ||
		    (size_t)(close - s - 1) >= sizeof(host))
			return BS_ERR_INVALID;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		port_s = close + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return BS_ERR_INVALID;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port_s = colon + 1;
	}
	if (*port_s == '\0')
		return BS_ERR_INVALID;
	errno = 0;
	port = strtol(port_s, &end, 10);
	if (errno != 0 || *end != '\0' || port < 0 || port > 65535)
		return BS_ERR_INVALID;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return BS_ERR_INVALID;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return BS_ERR_INVALID;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

void
listen_format_address(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const void *)sa;

		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(a6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const void *)sa;

		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(a4->sin_port));
	} else {
		snprintf(out, outlen, "unknown");
	}
}

/* ---- sniffing -------------------------------------------------------- */

static void
sniff_free(struct sniff *s, int close_fd)
{
	struct listener *l = s->listener;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		l->sniffing = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	l->nsniffing--;
	loop_watch_remove(s->watch);
	loop_timer_cancel(s->timer);
	if (close_fd) {
		conncap_forget(l->per_address, s->fd);
		close(s->fd);
	}
	free(s);
}

static void
sniff_hand_off(struct sniff *s, listener_hand_off to)
{
	int fd = s->fd;
	struct sockaddr_storage addr = s->addr;
	socklen_t addrlen = s->addrlen;
	void *arg = s->listener->handlers.arg;

	sniff_free(s, 0);
	to(arg, fd, (struct sockaddr *)&addr, addrlen);
}

/* ---- the PROXY protocol header from a trusted balancer ------------- */

/* Whether addr is a balancer that names its clients (--trusted-proxy). */
static int
listener_trusts(const struct listener *l, const struct sockaddr *addr)
{
	char text[80];

	if (l->trusted == NULL)
		return 0;
	listen_format_address(addr, text, sizeof(text));
	return cidr_list_match(l->trusted, text);
}

static int listener_admit_address(struct listener *l, int fd,
    const struct sockaddr *addr);

/*
 * Reads the PROXY v2 header that a trusted balancer's connection must
 * start with (proxyproto.h) and puts the client it names in place of the
 * balancer, for the connection cap, which counts it from here on, and
 * for everything after the hand-off (requests' remote address, rate
 * limits, logs).  A connection without one is closed: from a trusted
 * address it can only be a misconfigured balancer, and guessing would
 * count every client as the balancer.  Returns 1 when the header has
 * been read (the client's bytes follow), 0 while its rest has not come,
 * -1 when s is freed (its socket closed).
 */
static int
sniff_proxy_header(struct sniff *s, uint32_t events)
{
	unsigned char header[PROXYPROTO_MAX_LEN];
	struct sockaddr_storage client;
	socklen_t clientlen;
	char peer[80];
	ssize_t n;
	int len;

	n = recv(s->fd, header, sizeof(header), MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
	    !(events & (EPOLLHUP | EPOLLERR)))
		return 0;
	if (n <= 0)
		goto close;
	len = proxyproto_parse(header, (size_t)n, &client, &clientlen);
	if (len == 0) {
		/* After a hang-up the rest can never come. */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			goto close;
		return 0;
	}
	if (len < 0) {
		listen_format_address((struct sockaddr *)&s->addr, peer,
		    sizeof(peer));
		log_debug("closing a connection from %s (--trusted-proxy): %s",
		    peer, len == BS_ERR_TOO_LARGE ? "its PROXY header is too "
		    "long" : "it does not start with a PROXY v2 header");
		goto close;
	}
	/* Consume the header alone: what follows is the client's. */
	if (recv(s->fd, header, (size_t)len, 0) != len)
		goto close;
	s->awaiting_proxy = 0;
	if (client.ss_family != AF_UNSPEC) {
		s->addr = client;
		s->addrlen = clientlen;
	}
	if (listener_admit_address(s->listener, s->fd,
	    (struct sockaddr *)&s->addr) != 0) {
		sniff_free(s, 0);	/* its socket is closed */
		return -1;
	}
	return 1;
close:
	sniff_free(s, 1);
	return -1;
}

/*
 * The socket is watched edge-triggered: a peek leaves the bytes in the
 * socket, so a level-triggered watch would report it readable again at
 * once and spin the loop while a client sits on a partial preface.  An
 * edge comes with each new segment and with the hang-up, and each edge
 * peeks at everything that has arrived so far.
 */
static void
sniff_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct sniff *s = arg;
	struct listener *l = s->listener;
	char peek[H2_PREFACE_LEN];
	ssize_t n;

	if (s->awaiting_proxy && sniff_proxy_header(s, events) <= 0)
		return;
	n = recv(fd, peek, sizeof(peek), MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (events & (EPOLLHUP | EPOLLERR))
			sniff_free(s, 1);
		return;
	}
	if (n <= 0) {
		sniff_free(s, 1);
		return;
	}
	if (l->handlers.tls != NULL &&
	    (unsigned char)peek[0] == TLS_HANDSHAKE_RECORD) {
		sniff_hand_off(s, l->handlers.tls);
		return;
	}
	if (memcmp(peek, h2_preface, (size_t)n < H2_PRI_LINE_LEN ?
	    (size_t)n : H2_PRI_LINE_LEN) != 0) {
		sniff_hand_off(s, l->handlers.http1);
		return;
	}
	if ((size_t)n == H2_PREFACE_LEN) {
		sniff_hand_off(s, l->handlers.http2);
		return;
	}
	/*
	 * A partial preface.  After a hang-up the rest can never come:
	 * close now rather than hold the socket until the sniff timeout.
	 * Otherwise the next segment brings another edge.
	 */
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		sniff_free(s, 1);
}

static int64_t
sniff_timeout(struct loop *loop, void *arg)
{
	struct sniff *s = arg;

	s->timer = NULL;	/* freed by the loop when we return STOP */
	log_debug("closing a connection that sent nothing for %d s",
	    s->listener->opts.sniff_timeout_s);
	sniff_free(s, 1);
	return LOOP_TIMER_STOP;
}

/* ---- accepting ------------------------------------------------------- */

/* Answers a short 503 problem (best effort) and closes fd. */
static void
refuse_busy(int fd, const char *detail)
{
	char body[256], msg[512];
	int blen, n;

	/*
	 * The protocol is not known yet: an HTTP/1.1 client reads why, an
	 * HTTP/2 or TLS client sees a connection that failed.
	 */
	blen = snprintf(body, sizeof(body),
	    "{\"type\":\"urn:broadside:problem:busy\",\"title\":\"Too many "
	    "connections\",\"status\":503,\"detail\":\"%s\"}\n", detail);
	n = snprintf(msg, sizeof(msg),
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/problem+json\r\n"
	    "Connection: close\r\n"
	    "Retry-After: 5\r\n"
	    "Content-Length: %d\r\n\r\n%s", blen, body);
	/* Best effort: the socket is new, its buffer empty. */
	if (blen > 0 && (size_t)blen < sizeof(body) && n > 0 &&
	    (size_t)n < sizeof(msg))
		(void)!write(fd, msg, (size_t)n);
	close(fd);
}

static size_t
listener_open_connections(const struct listener *l)
{
	size_t n = l->nsniffing;

	if (l->handlers.connections != NULL)
		n += l->handlers.connections(l->handlers.arg);
	return n;
}

static void
count_refused(struct listener *l, const char *reason)
{
	metric_series_add(metric_series(l->m_refused, &reason), 1);
}

/*
 * Counts fd against its address's connection cap (addr: the client's).
 * Returns 0, or -1 when it was refused and fd closed.
 */
static int
listener_admit_address(struct listener *l, int fd,
    const struct sockaddr *addr)
{
	switch (conncap_admit(l->per_address, fd, addr,
	    loop_now_us(l->loop))) {
	case 0:
		return 0;
	case BS_ERR_LIMIT:
		log_debug("per-address connection limit reached, refusing "
		    "a client");
		count_refused(l, "address");
		refuse_busy(fd, "Your address has as many connections open as "
		    "the server allows one address; close one or retry "
		    "shortly.");
		return -1;
	default:
		log_warn("cannot count a new connection: %s", strerror(errno));
		close(fd);
		return -1;
	}
}

static void
listener_accept_one(struct listener *l, int fd, struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct sniff *s;
	int one = 1, trusted;

	if (listener_open_connections(l) >= l->opts.max_connections) {
		log_debug("connection limit reached, refusing a client");
		count_refused(l, "limit");
		refuse_busy(fd, "The server is at its connection limit; retry "
		    "shortly.");
		return;
	}
	trusted = listener_trusts(l, (struct sockaddr *)ss);
	/* A balancer's connection counts as its client's, once named. */
	if (!trusted &&
	    listener_admit_address(l, fd, (struct sockaddr *)ss) != 0)
		return;
	if (ss->ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s = xcalloc(1, sizeof(*s));
	s->listener = l;
	s->fd = fd;
	s->addr = *ss;
	s->addrlen = sslen;
	s->awaiting_proxy = trusted;
	s->watch = loop_watch_add(l->loop, fd,
	    EPOLLIN | EPOLLRDHUP | EPOLLET, sniff_readable, s);
	if (s->watch == NULL) {
		log_warn("cannot watch a new connection: %s", strerror(errno));
		conncap_forget(l->per_address, fd);
		close(fd);
		free(s);
		return;
	}
	s->timer = loop_timer_add(l->loop,
	    (int64_t)l->opts.sniff_timeout_s * 1000, sniff_timeout, s);
	s->next = l->sniffing;
	if (l->sniffing != NULL)
		l->sniffing->prev = s;
	l->sniffing = s;
	l->nsniffing++;
}

static void
listener_readable(struct loop *loop, int lfd, uint32_t events, void *arg)
{
	struct listener *l = arg;

	/* Bounded per wake-up so one burst cannot starve the loop. */
	for (int i = 0; i < 256; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int fd;

		fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/* EMFILE and friends: log, try again next turn. */
			log_warn("accept: %s", strerror(errno));
			return;
		}
		listener_accept_one(l, fd, &ss, sslen);
	}
}

int
listener_new(struct listener **out, struct loop *loop,
    const struct listener_options *opts,
    const struct listener_handlers *handlers)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct listener *l;
	char err[160];
	int one = 1;

	if (listen_parse_address(opts->address, &ss, &sslen) != 0)
		return BS_ERR_INVALID;
	l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->opts = *opts;
	l->per_address = conncap_new(opts->per_ip_connections);
	if (opts->trusted_proxy != NULL && opts->trusted_proxy[0] != '\0' &&
	    cidr_list_parse(opts->trusted_proxy, &l->trusted, err,
	    sizeof(err)) != 0) {
		log_error("--trusted-proxy: %s", err);
		conncap_free(l->per_address);
		free(l);
		errno = EINVAL;
		return BS_ERR_INVALID;
	}
	if (opts->metrics != NULL)
		l->m_refused = metrics_add(opts->metrics, METRIC_COUNTER,
		    "broadside_connections_refused_total",
		    "Connections refused at accept: reason=\"limit\" "
		    "(--max-connections) or \"address\" "
		    "(--per-ip-connections).", "reason", NULL, 0);
	l->handlers = *handlers;
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (l->fd < 0)
		goto fail;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    listen(l->fd, opts->backlog > 0 ? opts->backlog : 1024) != 0)
		goto fail;
	sslen = sizeof(ss);
	getsockname(l->fd, (struct sockaddr *)&ss, &sslen);
	listen_format_address((struct sockaddr *)&ss, l->address,
	    sizeof(l->address));
	l->watch = loop_watch_add(loop, l->fd, EPOLLIN, listener_readable, l);
	if (l->watch == NULL)
		goto fail;
	*out = l;
	return 0;
fail:
	if (l->fd >= 0) {
		int saved = errno;

		close(l->fd);
		errno = saved;
	}
	conncap_free(l->per_address);
	cidr_list_free(l->trusted);
	free(l);
	return BS_ERR_IO;
}

const char *
listener_address(const struct listener *l)
{
	return l->address;
}

void
listener_close(struct listener *l)
{
	if (l->fd >= 0) {
		loop_watch_remove(l->watch);
		l->watch = NULL;
		close(l->fd);
		l->fd = -1;
	}
	while (l->sniffing != NULL)
		sniff_free(l->sniffing, 1);
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	listener_close(l);
	conncap_free(l->per_address);
	cidr_list_free(l->trusted);
	free(l);
}
