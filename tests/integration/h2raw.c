/*
 * A raw-frame HTTP/2 client for the hardening tests: frames are written
 * by hand (nghttp2 only encodes and decodes header blocks), so it can do
 * what no well-behaved client library would.
 *
 * Usage:
 *   h2raw BASE_URL bodies CONNS STREAMS BYTES SECONDS
 *	Opens CONNS connections; on each, starts STREAMS POST requests that
 *	declare a 65536-byte body and send only BYTES of it (as far as the
 *	server's flow-control windows allow), then holds them open with a
 *	PING every second for up to SECONDS.  Prints "holding" once every
 *	body byte it could send is sent, then, per connection, what the
 *	server did: streams refused (RST_STREAM REFUSED_STREAM), answered
 *	(by status), body bytes the windows let through, and when and how
 *	the connection ended.  Exit status 0 when every connection was
 *	closed by the server within SECONDS, 1 otherwise.
 *   h2raw BASE_URL case NAME
 *	Runs one RFC 9113 conformance case (see cases[] below) and prints
 *	every frame the server sends until it closes the connection or
 *	goes quiet for two seconds, one line each: "HEADERS 1 :status 200",
 *	"DATA 1 END_STREAM", "RST_STREAM 3 STREAM_CLOSED",
 *	"GOAWAY PROTOCOL_ERROR last 5", "CLOSED", "QUIET".
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#define MAX_CONNS 16
#define MAX_STREAMS 200
#define DECLARED_BODY 65536

enum { F_DATA, F_HEADERS, F_PRIORITY, F_RST_STREAM, F_SETTINGS,
	F_PUSH_PROMISE, F_PING, F_GOAWAY, F_WINDOW_UPDATE, F_CONTINUATION };

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static char authority[128];

struct rstream {
	int32_t id;
	int64_t window;		/* what the server lets us send */
	size_t sent;
	int status;		/* :status of its answer, 0 for none */
	long rst;		/* RST_STREAM code, -1 for none */
};

struct rconn {
	int fd;
	uint8_t in[1 << 17];
	size_t inlen;
	nghttp2_hd_inflater *inflater;
	nghttp2_hd_deflater *deflater;
	int64_t window;		/* the connection's send window */
	int64_t initial;	/* SETTINGS_INITIAL_WINDOW_SIZE */
	struct rstream streams[MAX_STREAMS];
	int nstreams;
	int verbose;		/* print every frame (the cases) */
	long goaway;		/* its error code, -1 for none */
	int closed;
	double closed_at;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static const char *
error_name(uint32_t code)
{
	static const char *const names[] = {
		"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
		"FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
		"FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
		"COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
		"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] :
	    "UNKNOWN";
}

static int
connect_to(const char *base)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *hp = strstr(base, "://");
	char host[64];
	const char *colon;
	int fd;

	hp = hp ? hp + 3 : base;
	snprintf(authority, sizeof(authority), "%s", hp);
	colon = strrchr(hp, ':');
	if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
		die("bad URL %s", base);
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	sa.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("bad address %s", host);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("cannot connect to %s: %s", base, strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Writes all n bytes (the server reads, so this ends); 0 or -1. */
static int
send_all(struct rconn *c, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n > 0 && !c->closed) {
		ssize_t r = write(c->fd, p, n);

		if (r < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

			poll(&pfd, 1, 100);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
send_frame(struct rconn *c, int type, int flags, uint32_t sid,
    const void *payload, size_t len)
{
	uint8_t hd[9] = {
		(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
		(uint8_t)type, (uint8_t)flags, (uint8_t)(sid >> 24),
		(uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid,
	};

	if (send_all(c, hd, 9) != 0)
		return -1;
	return len > 0 ? send_all(c, payload, len) : 0;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
	strlen(v), NGHTTP2_NV_FLAG_NONE }

/* A request's HEADERS; a POST declares DECLARED_BODY bytes. */
static int
send_request(struct rconn *c, uint32_t sid, const char *method,
    const char *path, int end_stream)
{
	char cl[16] = "65536";	/* DECLARED_BODY */
	nghttp2_nv nva[] = {
		NV(":method", method), NV(":scheme", "http"),
		NV(":path", path), NV(":authority", authority),
		NV("content-type", "application/json"),
		NV("content-length", cl),
	};
	size_t nnv = strcmp(method, "POST") == 0 ? 6 : 4;
	uint8_t block[1024];
	ssize_t n;

	n = nghttp2_hd_deflate_hd(c->deflater, block, sizeof(block), nva,
	    nnv);
	if (n < 0)
		die("deflate: %s", nghttp2_strerror((int)n));
	return send_frame(c, F_HEADERS, 0x4 | (end_stream ? 0x1 : 0), sid,
	    block, (size_t)n);
}

static struct rstream *
stream_of(struct rconn *c, int32_t id)
{
	for (int i = 0; i < c->nstreams; i++)
		if (c->streams[i].id == id)
			return &c->streams[i];
	return NULL;
}

static void
on_headers(struct rconn *c, int32_t sid, const uint8_t *p, size_t len,
    int flags)
{
	struct rstream *s = stream_of(c, sid);

	if (flags & 0x8) {		/* PADDED */
		size_t pad = p[0];

		p++;
		len = len > pad + 1 ? len - pad - 1 : 0;
	}
	if (flags & 0x20) {		/* PRIORITY */
		p += 5;
		len = len > 5 ? len - 5 : 0;
	}
	for (;;) {
		nghttp2_nv nv;
		int out = 0;
		ssize_t n = nghttp2_hd_inflate_hd2(c->inflater, &nv, &out, p,
		    len, 1);

		if (n < 0)
			die("inflate: %s", nghttp2_strerror((int)n));
		p += n;
		len -= (size_t)n;
		if (out & NGHTTP2_HD_INFLATE_EMIT) {
			if (nv.namelen == 7 &&
			    memcmp(nv.name, ":status", 7) == 0) {
				int status = (int)strtol(
				    (const char *)nv.value, NULL, 10);

				if (s != NULL)
					s->status = status;
				if (c->verbose)
					printf("HEADERS %d :status %d\n", sid,
					    status);
			}
		}
		if (out & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(c->inflater);
			break;
		}
		if ((out & NGHTTP2_HD_INFLATE_EMIT) == 0 && len == 0)
			break;
	}
	if (c->verbose && (flags & 0x1))
		printf("HEADERS %d END_STREAM\n", sid);
}

static uint32_t
u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/* Handles one frame from the server. */
static void
on_frame(struct rconn *c, int type, int flags, int32_t sid,
    const uint8_t *p, size_t len)
{
	struct rstream *s = stream_of(c, sid);

	switch (type) {
	case F_SETTINGS:
		if (flags & 0x1)
			break;
		for (size_t i = 0; i + 6 <= len; i += 6) {
			int id = (p[i] << 8) | p[i + 1];
			uint32_t v = u32(p + i + 2);

			if (id == 4) {
				for (int k = 0; k < c->nstreams; k++)
					c->streams[k].window +=
					    (int64_t)v - c->initial;
				c->initial = v;
			}
		}
		send_frame(c, F_SETTINGS, 0x1, 0, NULL, 0);
		break;
	case F_WINDOW_UPDATE:
		if (len < 4)
			break;
		if (sid == 0)
			c->window += u32(p) & 0x7fffffff;
		else if (s != NULL)
			s->window += u32(p) & 0x7fffffff;
		break;
	case F_HEADERS:
		on_headers(c, sid, p, len, flags);
		break;
	case F_DATA:
		if (c->verbose)
			printf("DATA %d%s\n", sid,
			    (flags & 0x1) ? " END_STREAM" : "");
		/* Give the window back so that answers keep coming. */
		if (len > 0) {
			uint8_t w[4] = { (uint8_t)(len >> 24),
			    (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			    (uint8_t)len };

			send_frame(c, F_WINDOW_UPDATE, 0, 0, w, 4);
		}
		break;
	case F_RST_STREAM:
		if (len >= 4) {
			if (s != NULL)
				s->rst = u32(p);
			if (c->verbose)
				printf("RST_STREAM %d %s\n", sid,
				    error_name(u32(p)));
		}
		break;
	case F_GOAWAY:
		if (len >= 8) {
			c->goaway = u32(p + 4);
			if (c->verbose)
				printf("GOAWAY %s last %u\n",
				    error_name(u32(p + 4)),
				    u32(p) & 0x7fffffff);
		}
		break;
	default:
		break;
	}
}

/* Reads what is there (waiting up to ms) and handles whole frames. */
static void
pump(struct rconn *c, int ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	size_t off = 0;
	ssize_t r;

	if (c->closed || poll(&pfd, 1, ms) <= 0)
		return;
	r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		c->closed = 1;
		c->closed_at = now_s();
		if (c->verbose)
			printf("CLOSED\n");
		return;
	}
	c->inlen += (size_t)r;
	while (c->inlen - off >= 9) {
		const uint8_t *h = c->in + off;
		size_t len = ((size_t)h[0] << 16) | ((size_t)h[1] << 8) | h[2];

		if (c->inlen - off < 9 + len)
			break;
		on_frame(c, h[3], h[4], (int32_t)(u32(h + 5) & 0x7fffffff),
		    h + 9, len);
		off += 9 + len;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

static void
rconn_open(struct rconn *c, const char *base, int verbose)
{
	memset(c, 0, sizeof(*c));
	c->fd = connect_to(base);
	c->window = c->initial = 65535;
	c->goaway = -1;
	c->verbose = verbose;
	if (nghttp2_hd_inflate_new(&c->inflater) != 0 ||
	    nghttp2_hd_deflate_new(&c->deflater, 4096) != 0)
		die("out of memory");
	if (send_all(c, preface, sizeof(preface) - 1) != 0 ||
	    send_frame(c, F_SETTINGS, 0, 0, NULL, 0) != 0)
		die("cannot write the preface");
}

static struct rstream *
stream_add(struct rconn *c, int32_t id)
{
	struct rstream *s = &c->streams[c->nstreams++];

	s->id = id;
	s->window = c->initial;
	s->rst = -1;
	return s;
}

/* Body bytes sent so far, on every connection. */
static size_t body_sent;

/* Sends what the windows let through of the wanted bytes; 1 if more. */
static int
send_bodies(struct rconn *c, size_t want)
{
	static uint8_t zeros[16384];
	int more = 0;

	for (int i = 0; i < c->nstreams && !c->closed; i++) {
		struct rstream *s = &c->streams[i];
		int64_t n = (int64_t)(want - s->sent);

		if (s->rst >= 0 || s->status != 0 || n <= 0)
			continue;
		more = 1;
		if (n > s->window)
			n = s->window;
		if (n > c->window)
			n = c->window;
		if (n > (int64_t)sizeof(zeros))
			n = sizeof(zeros);
		if (n <= 0)
			continue;
		if (send_frame(c, F_DATA, 0, (uint32_t)s->id, zeros,
		    (size_t)n) != 0)
			break;
		s->sent += (size_t)n;
		body_sent += (size_t)n;
		s->window -= n;
		c->window -= n;
	}
	return more;
}

static int
run_bodies(const char *base, int nconns, int nstreams, size_t bytes,
    int seconds)
{
	static struct rconn conns[MAX_CONNS];
	double start = now_s(), last_ping = start, last_sent = start;
	size_t sent_before = 0;
	int holding = 0, open = nconns, failed = 0;

	if (nconns > MAX_CONNS || nstreams > MAX_STREAMS)
		die("at most %d connections of %d streams", MAX_CONNS,
		    MAX_STREAMS);
	for (int i = 0; i < nconns; i++) {
		struct rconn *c = &conns[i];

		rconn_open(c, base, 0);
		pump(c, 200);	/* the server's SETTINGS */
		for (int k = 0; k < nstreams; k++) {
			stream_add(c, 2 * k + 1);
			send_request(c, (uint32_t)(2 * k + 1), "POST",
			    "/v1/battles", 0);
		}
	}
	while (open > 0 && now_s() - start < seconds) {
		int more = 0;

		open = 0;
		for (int i = 0; i < nconns; i++) {
			struct rconn *c = &conns[i];

			pump(c, 0);
			if (c->closed)
				continue;
			open++;
			more |= send_bodies(c, bytes);
		}
		if (body_sent != sent_before) {
			sent_before = body_sent;
			last_sent = now_s();
		}
		if (!holding) {
			/* Sent all that the windows allow, for a while. */
			if (!more || now_s() - last_sent > 0.5) {
				holding = 1;
				printf("holding\n");
				fflush(stdout);
			}
		}
		if (now_s() - last_ping >= 1.0) {
			last_ping = now_s();
			for (int i = 0; i < nconns; i++)
				if (!conns[i].closed)
					send_frame(&conns[i], F_PING, 0, 0,
					    "keepaliv", 8);
		}
		usleep(20000);
	}
	for (int i = 0; i < nconns; i++) {
		struct rconn *c = &conns[i];
		int refused = 0, s503 = 0, other = 0;
		size_t sent = 0;

		for (int k = 0; k < c->nstreams; k++) {
			struct rstream *s = &c->streams[k];

			sent += s->sent;
			if (s->rst == NGHTTP2_REFUSED_STREAM)
				refused++;
			else if (s->status == 503)
				s503++;
			else if (s->status != 0 || s->rst >= 0)
				other++;
		}
		if (!c->closed)
			failed = 1;
		printf("conn %d: body bytes sent %zu, refused %d, 503 %d, "
		    "other answers %d, %s after %.1f s, GOAWAY %s\n", i, sent,
		    refused, s503, other, c->closed ? "closed" : "STILL OPEN",
		    (c->closed ? c->closed_at : now_s()) - start,
		    c->goaway >= 0 ? error_name((uint32_t)c->goaway) : "none");
	}
	return failed;
}

/* ---- RFC 9113 cases ---------------------------------------------------- */

/* Reads until closed or two quiet seconds. */
static void
listen_out(struct rconn *c)
{
	double quiet = now_s();

	while (!c->closed && now_s() - quiet < 2.0) {
		size_t before = c->inlen;
		int was = c->closed;

		pump(c, 100);
		if (c->inlen != before || c->closed != was)
			quiet = now_s();
	}
	if (!c->closed)
		printf("QUIET\n");
}

/* Waits until stream id's answer has ended (or 2 s). */
static void
await_answer(struct rconn *c, int32_t id)
{
	struct rstream *s = stream_of(c, id);
	double t0 = now_s();

	/* A GET /healthz is small: its END_STREAM comes with it. */
	while (!c->closed && s->status == 0 && now_s() - t0 < 2.0)
		pump(c, 100);
	for (int i = 0; i < 5 && !c->closed; i++)
		pump(c, 20);
}

static int
run_case(const char *base, const char *name)
{
	static struct rconn conn;
	struct rconn *c = &conn;
	static const uint8_t cancel[4] = { 0, 0, 0, 8 };
	static const uint8_t body[16] = "0123456789abcdef";

	if (strcmp(name, "bad-preface") == 0) {
		/* 3.4: the magic with its last line wrong. */
		static const char bad[] =
		    "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n";

		memset(c, 0, sizeof(*c));
		c->fd = connect_to(base);
		c->verbose = 1;
		c->goaway = -1;
		nghttp2_hd_inflate_new(&c->inflater);
		send_all(c, bad, sizeof(bad) - 1);
		send_frame(c, F_SETTINGS, 0, 0, NULL, 0);
		listen_out(c);
		return 0;
	}
	rconn_open(c, base, 1);
	if (strcmp(name, "no-settings") == 0) {
		/* 3.4: the preface must be followed by SETTINGS; rconn_open
		 * sent it, so this variant starts again without. */
		close(c->fd);
		nghttp2_hd_inflate_del(c->inflater);
		nghttp2_hd_deflate_del(c->deflater);
		memset(c, 0, sizeof(*c));
		c->fd = connect_to(base);
		c->verbose = 1;
		c->goaway = -1;
		nghttp2_hd_inflate_new(&c->inflater);
		send_all(c, preface, sizeof(preface) - 1);
		send_frame(c, F_PING, 0, 0, "notfirst", 8);
	} else if (strcmp(name, "data-after-reset") == 0 ||
	    strcmp(name, "headers-after-reset") == 0) {
		/* 5.1: frames after the client's own RST_STREAM. */
		stream_add(c, 1);
		send_request(c, 1, "POST", "/v1/battles", 0);
		send_frame(c, F_RST_STREAM, 0, 1, cancel, 4);
		pump(c, 200);
		if (name[0] == 'd')
			send_frame(c, F_DATA, 0, 1, body, sizeof(body));
		else
			send_request(c, 1, "GET", "/healthz", 1);
	} else if (strcmp(name, "data-after-close") == 0 ||
	    strcmp(name, "headers-after-close") == 0) {
		/* 5.1: frames on a stream closed after END_STREAM. */
		stream_add(c, 1);
		send_request(c, 1, "GET", "/healthz", 1);
		await_answer(c, 1);
		if (name[0] == 'd')
			send_frame(c, F_DATA, 0, 1, body, sizeof(body));
		else
			send_request(c, 1, "GET", "/healthz", 1);
	} else if (strcmp(name, "priority-flood") == 0 ||
	    strcmp(name, "bad-priority-flood") == 0) {
		/* PRIORITY frames need no answer: only our limit stops
		 * them, and it must say so in the log once, not per frame.
		 * A stream that depends on itself is a stream error for
		 * nghttp2 (RST_STREAM each), reported to us each time. */
		static uint8_t flood[4000 * 14];
		int bad = name[0] == 'b';
		size_t n = 0;

		for (uint32_t i = 0; i < 4000; i++) {
			uint32_t sid = 2 * i + 1, dep = bad ? sid : 0;
			uint8_t f[14] = { 0, 0, 5, F_PRIORITY, 0,
			    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16),
			    (uint8_t)(sid >> 8), (uint8_t)sid,
			    (uint8_t)(dep >> 24), (uint8_t)(dep >> 16),
			    (uint8_t)(dep >> 8), (uint8_t)dep, 15 };

			memcpy(flood + n, f, sizeof(f));
			n += sizeof(f);
		}
		send_all(c, flood, n);
	} else if (strcmp(name, "lower-id") == 0) {
		/* 5.1.1: a new stream id below one already used. */
		stream_add(c, 5);
		stream_add(c, 3);
		send_request(c, 5, "GET", "/healthz", 1);
		await_answer(c, 5);
		send_request(c, 3, "GET", "/healthz", 1);
	} else if (strcmp(name, "data-half-closed") == 0) {
		/* 6.1: DATA after the request's END_STREAM, while the
		 * stream is half-closed (remote): sent in one write, so it
		 * arrives before the answer can close the stream. */
		uint8_t both[256];
		size_t n = 0;
		nghttp2_nv nva[] = {
			NV(":method", "GET"), NV(":scheme", "http"),
			NV(":path", "/healthz"), NV(":authority", authority),
		};
		ssize_t hl;

		stream_add(c, 1);
		hl = nghttp2_hd_deflate_hd(c->deflater, both + 9, 128, nva,
		    4);
		both[0] = 0;
		both[1] = 0;
		both[2] = (uint8_t)hl;
		both[3] = F_HEADERS;
		both[4] = 0x5;
		both[5] = both[6] = both[7] = 0;
		both[8] = 1;
		n = 9 + (size_t)hl;
		memcpy(both + n, "\0\0\x10\0\0\0\0\0\x01", 9);
		n += 9;
		memcpy(both + n, body, sizeof(body));
		n += sizeof(body);
		send_all(c, both, n);
	} else {
		die("no case %s", name);
	}
	listen_out(c);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 7 && strcmp(argv[2], "bodies") == 0)
		return run_bodies(argv[1], (int)strtol(argv[3], NULL, 10),
		    (int)strtol(argv[4], NULL, 10),
		    (size_t)strtoul(argv[5], NULL, 10),
		    (int)strtol(argv[6], NULL, 10));
	if (argc == 4 && strcmp(argv[2], "case") == 0)
		return run_case(argv[1], argv[3]);
	fprintf(stderr, "usage: h2raw BASE_URL bodies CONNS STREAMS BYTES "
	    "SECONDS\n       h2raw BASE_URL case NAME\n");
	return 2;
}
