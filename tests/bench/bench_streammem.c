/*
 * bench_streammem: the daemon's resident memory per idle event-stream
 * connection, over HTTP/1.1 or HTTP/2, one stream per connection (as a
 * browser's EventSource: over HTTP/2 a page has its own connection).
 * Opens N connections, each one GET of an events stream, spread over the
 * battles given; reads what arrives and divides the growth of the
 * daemon's VmRSS by N.  Then posts EVENTS narrations to every battle (a
 * raw HTTP/1.1 POST each), reads what the streams receive, and measures
 * again (and the daemon's CPU time over the events); then once more
 * after QUIET seconds without a request (a page between its player's
 * moves).  HTTP/2 is spoken with prior knowledge, frames written by hand,
 * the SETTINGS a browser sends (a 64 KB header table, a 6 MB window).
 *
 * MODE "browser" adds what a page also holds: one GET of the battle on
 * a kept-alive connection of its own over HTTP/1.1 (its stream's is
 * taken), on the stream's connection over HTTP/2; "stream" has the
 * stream only.
 *
 * Usage: bench_streammem HOST PORT PID h1|h2 plain|gzip stream|browser N
 *     EVENTS QUIET ID:TOKEN...
 * Prints one JSON line.  Figures only: it fails only when it cannot
 * connect or a stream ends.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rss.h"

#define MAX_BATTLES 64

struct battle {
	char id[64];
	char token[128];
};

static struct sockaddr_in sa = { .sin_family = AF_INET };

/* The process's user + system CPU time, in ms. */
static double
cpu_ms(const char *pid)
{
	char path[64], line[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL ||
	    (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		ut = st = 0;
	fclose(f);
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* An HPACK integer with an N-bit prefix (RFC 7541 5.1). */
static size_t
hpack_int(uint8_t *p, uint8_t first, int bits, size_t v)
{
	size_t max = ((size_t)1 << bits) - 1, n = 0;

	if (v < max) {
		p[n++] = (uint8_t)(first | v);
		return n;
	}
	p[n++] = (uint8_t)(first | max);
	v -= max;
	while (v >= 128) {
		p[n++] = (uint8_t)(v % 128 + 128);
		v /= 128;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* A literal header field without indexing, new name (RFC 7541 6.2.2). */
static size_t
hpack_literal(uint8_t *p, const char *name, const char *value)
{
	size_t n = 0;

	p[n++] = 0;
	n += hpack_int(p + n, 0, 7, strlen(name));
	memcpy(p + n, name, strlen(name));
	n += strlen(name);
	n += hpack_int(p + n, 0, 7, strlen(value));
	memcpy(p + n, value, strlen(value));
	return n + strlen(value);
}

static size_t
frame_head(uint8_t *p, size_t len, uint8_t type, uint8_t flags, uint32_t id)
{
	p[0] = (uint8_t)(len >> 16);
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	p[3] = type;
	p[4] = flags;
	p[5] = (uint8_t)(id >> 24);
	p[6] = (uint8_t)(id >> 16);
	p[7] = (uint8_t)(id >> 8);
	p[8] = (uint8_t)id;
	return 9;
}

static size_t
setting(uint8_t *p, uint16_t id, uint32_t v)
{
	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[2] = (uint8_t)(v >> 24);
	p[3] = (uint8_t)(v >> 16);
	p[4] = (uint8_t)(v >> 8);
	p[5] = (uint8_t)v;
	return 6;
}

/* The browser's GET of the battle: HTTP/1.1, or HEADERS of stream 3. */
static size_t
battle_request(uint8_t *p, int h2, const char *host, const struct battle *b)
{
	char path[256], auth[256];
	size_t hb = 9;

	snprintf(path, sizeof(path), "/v1/battles/%s", b->id);
	if (!h2)
		return (size_t)snprintf((char *)p, 2048, "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\nAuthorization: Bearer %s\r\n"
		    "Accept: application/json\r\n\r\n", path, host, b->token);
	snprintf(auth, sizeof(auth), "Bearer %s", b->token);
	hb += hpack_literal(p + hb, ":method", "GET");
	hb += hpack_literal(p + hb, ":scheme", "http");
	hb += hpack_literal(p + hb, ":authority", host);
	hb += hpack_literal(p + hb, ":path", path);
	hb += hpack_literal(p + hb, "authorization", auth);
	hb += hpack_literal(p + hb, "accept", "application/json");
	frame_head(p, hb - 9, 1, 0x5, 3);
	return hb;
}

/* The bytes a client sends to open the stream: an HTTP/1.1 request or
 * the HTTP/2 preface, SETTINGS, WINDOW_UPDATE and HEADERS. */
static size_t
open_request(uint8_t *p, int h2, int gzip, const char *host,
    const struct battle *b)
{
	char path[512];
	size_t n = 0, hb;

	snprintf(path, sizeof(path), "/v1/battles/%s/events?access_token=%s",
	    b->id, b->token);
	if (!h2)
		return (size_t)snprintf((char *)p, 2048, "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\nAccept: text/event-stream\r\n%s\r\n", path,
		    host, gzip ? "Accept-Encoding: gzip\r\n" : "");
	memcpy(p, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	n = 24;
	n += frame_head(p + n, 24, 4, 0, 0);
	n += setting(p + n, 1, 65536);		/* HEADER_TABLE_SIZE */
	n += setting(p + n, 2, 0);		/* ENABLE_PUSH */
	n += setting(p + n, 4, 6291456);	/* INITIAL_WINDOW_SIZE */
	n += setting(p + n, 6, 262144);		/* MAX_HEADER_LIST_SIZE */
	n += frame_head(p + n, 4, 8, 0, 0);	/* WINDOW_UPDATE */
	p[n++] = 0;
	p[n++] = 0xef;
	p[n++] = 0x00;
	p[n++] = 0x01;				/* 15663105 */
	hb = n + 9;
	hb += hpack_literal(p + hb, ":method", "GET");
	hb += hpack_literal(p + hb, ":scheme", "http");
	hb += hpack_literal(p + hb, ":authority", host);
	hb += hpack_literal(p + hb, ":path", path);
	hb += hpack_literal(p + hb, "accept", "text/event-stream");
	if (gzip)
		hb += hpack_literal(p + hb, "accept-encoding", "gzip");
	frame_head(p + n, hb - n - 9, 1, 0x5, 1);  /* END_STREAM|END_HEADERS */
	return hb;
}

/* Reads whatever is waiting on every connection; counts the streams
 * still open (every STRIDE-th connection: the others are kept-alive
 * request connections, which the server may close).  The first time
 * over HTTP/2, acknowledges the server's SETTINGS (arrived by then). */
static long
drain(int *fds, long n, int stride, int h2, int ack)
{
	static char buf[65536];
	uint8_t sack[9];
	long open = 0;

	frame_head(sack, 0, 4, 1, 0);
	for (long i = 0; i < n; i++) {
		ssize_t r;
		int closed = 0;

		if (fds[i] < 0)
			continue;
		while ((r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
		if (r == 0 || (r < 0 && errno != EAGAIN))
			closed = 1;
		if (!closed && h2 && ack &&
		    write(fds[i], sack, sizeof(sack)) != sizeof(sack))
			closed = 1;
		if (closed) {
			close(fds[i]);
			fds[i] = -1;
		} else if (i % stride == 0)
			open++;
	}
	return open;
}

/* POST /v1/battles/ID/narration over a connection of its own. */
static int
narrate(const char *host, const struct battle *b, long k)
{
	char req[1024], body[128], buf[4096];
	int fd, len;

	snprintf(body, sizeof(body), "{\"text\":\"Narration %ld: the wind "
	    "backs two points and the line holds its course.\"}", k);
	len = snprintf(req, sizeof(req), "POST /v1/battles/%s/narration "
	    "HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", b->id, host, b->token,
	    strlen(body), body);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, req, (size_t)len) != len) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct battle battles[MAX_BATTLES];
	static uint8_t req[4096];
	double cpu0, cpu1;
	long before, idle, after, quiet, n, nevents, nquiet, open_idle,
	    open_after, open_quiet;
	int *fds, h2, gzip, browser, stride, nfds, nb = 0;
	const char *host, *pid;

	if (argc < 11) {
		fprintf(stderr, "usage: bench_streammem HOST PORT PID h1|h2 "
		    "plain|gzip stream|browser N EVENTS QUIET ID:TOKEN...\n");
		return 2;
	}
	host = argv[1];
	pid = argv[3];
	h2 = strcmp(argv[4], "h2") == 0;
	gzip = strcmp(argv[5], "gzip") == 0;
	browser = strcmp(argv[6], "browser") == 0;
	n = strtol(argv[7], NULL, 10);
	nevents = strtol(argv[8], NULL, 10);
	nquiet = strtol(argv[9], NULL, 10);
	for (int i = 10; i < argc && nb < MAX_BATTLES; i++, nb++)
		if (sscanf(argv[i], "%63[^:]:%127s", battles[nb].id,
		    battles[nb].token) != 2)
			return 2;
	if (n < 1 || n > 19000 || nevents < 0 || nquiet < 0 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 2;
	sa.sin_port = htons((uint16_t)strtol(argv[2], NULL, 10));
	/* Over HTTP/1.1 a browser's request connection follows its stream's. */
	stride = browser && !h2 ? 2 : 1;
	nfds = (int)n * stride;
	fds = calloc((size_t)nfds, sizeof(*fds));
	if (fds == NULL)
		return 1;
	before = rss_kb(pid);
	for (long i = 0; i < nfds; i++) {
		const struct battle *b = &battles[(i / stride) % nb];
		int second = i % stride == 1;
		size_t len = second ? battle_request(req, 0, host, b) :
		    open_request(req, h2, gzip, host, b);

		if (browser && h2)
			len += battle_request(req + len, 1, host, b);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa,
		    sizeof(sa)) != 0 || write(fds[i], req, len) !=
		    (ssize_t)len) {
			fprintf(stderr, "bench_streammem: connection %ld: %s\n",
			    i, strerror(errno));
			return 1;
		}
		/* Pace the connects: the listen backlog is finite. */
		if (i % 200 == 199) {
			usleep(50000);
			drain(fds, i + 1, stride, h2, 0);
		}
	}
	sleep(2);
	drain(fds, nfds, stride, h2, 1);
	sleep(1);
	open_idle = drain(fds, nfds, stride, h2, 0);
	idle = rss_kb(pid);
	cpu0 = cpu_ms(pid);
	for (long k = 0; k < nevents; k++) {
		for (int b = 0; b < nb; b++)
			if (narrate(host, &battles[b], k) != 0)
				fprintf(stderr, "bench_streammem: narration "
				    "failed: %s\n", strerror(errno));
		drain(fds, nfds, stride, h2, 0);
	}
	sleep(1);
	drain(fds, nfds, stride, h2, 0);
	sleep(1);
	open_after = drain(fds, nfds, stride, h2, 0);
	after = rss_kb(pid);
	cpu1 = cpu_ms(pid);
	for (long t = 0; t < nquiet; t++) {
		sleep(1);
		drain(fds, nfds, stride, h2, 0);
	}
	open_quiet = drain(fds, nfds, stride, h2, 0);
	quiet = rss_kb(pid);
	printf("{\"bench\":\"streammem\",\"proto\":\"%s\",\"gzip\":%s,"
	    "\"mode\":\"%s\",\"streams\":%ld,\"connections\":%d,\"battles\":%d,\"events\":%ld,"
	    "\"quiet_s\":%ld,\"open_idle\":%ld,\"open_after\":%ld,"
	    "\"open_quiet\":%ld,\"rss_before_kb\":%ld,\"rss_idle_kb\":%ld,"
	    "\"rss_after_kb\":%ld,\"rss_quiet_kb\":%ld,"
	    "\"idle_bytes_per_stream\":%.0f,"
	    "\"after_events_bytes_per_stream\":%.0f,"
	    "\"quiet_bytes_per_stream\":%.0f,"
	    "\"events_cpu_ms\":%.0f}\n",
	    h2 ? "h2" : "h1", gzip ? "true" : "false", argv[6], n, nfds,
	    nb, nevents, nquiet, open_idle, open_after, open_quiet, before,
	    idle, after, quiet,
	    (double)(idle - before) * 1024 / (double)n,
	    (double)(after - before) * 1024 / (double)n,
	    (double)(quiet - before) * 1024 / (double)n, cpu1 - cpu0);
	for (long i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return open_quiet == n ? 0 : 1;
}
