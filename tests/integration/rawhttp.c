/*
 * Raw-socket HTTP/1.1 clients for test_http1_head.sh: what curl will not
 * send.  Loopback only; every wait is bounded.
 *
 *   rawhttp smuggling PORT
 *	Each request smuggling shape (one per rule of RFC 9112) as raw
 *	bytes, as a connection's first request and, where libmicrohttpd
 *	parses it, as the second request of a kept-alive connection: each
 *	must get 400 (501 for an unknown transfer coding) and a closed
 *	connection.  Then a request with 16 KB of headers must get 200.
 *   rawhttp slowloris PORT N SECONDS
 *	N connections send a request head one header line a second (half
 *	of them after a first request that was answered); every one must
 *	be closed by the daemon within SECONDS.
 *   rawhttp streams PORT PATH
 *	The event stream at PATH (its token in the query), as a
 *	connection's first request, served without libmicrohttpd
 *	(http1_direct.c): with its head in two pieces 300 ms apart (the
 *	stream's head and snapshot must come); with a body (libmicrohttpd
 *	serves it: a snapshot too); without its token (a 401 with
 *	Content-Length and Connection: close, and the connection closed).
 *
 * Exit status 0 when every check holds, 1 otherwise (the failures on
 * stderr).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define TIMEOUT_MS 5000

static int port;
static int failures;

static const char good[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

struct smuggle_case {
	const char *name;	/* the rule it breaks */
	const char *bytes;
	size_t len;		/* 0: strlen(bytes) */
	int status;
	int later;		/* refused on a kept-alive connection too */
};

#define CASE(name, text, status, later) \
	{ name, text, sizeof(text) - 1, status, later }

static const struct smuggle_case cases[] = {
	CASE("RFC 9112 6.1: Transfer-Encoding and Content-Length",
	    "POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 1),
	CASE("RFC 9112 6.1: unknown transfer coding (xchunked)",
	    "POST /healthz HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: xchunked\r\n\r\n", 501, 1),
	CASE("RFC 9112 6.1: Transfer-Encoding in HTTP/1.0",
	    "POST /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\n\r\n", 400, 1),
	CASE("RFC 9112 6.3: two different Content-Lengths",
	    "POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Content-Length: 5\r\n\r\nabcde", 400, 1),
	CASE("RFC 9112 5.1: whitespace between field name and colon",
	    "POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n"
	    "\r\nabcde", 400, 1),
	CASE("RFC 9112 2.2: bare LF line ends",
	    "GET /healthz HTTP/1.1\nHost: a\n\n", 400, 0),
	CASE("RFC 9112 2.2: a bare LF inside the head",
	    "GET /healthz HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400, 0),
	CASE("RFC 9112 2.2: bare CR",
	    "GET /healthz HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400, 1),
	CASE("RFC 9112 5.2: obs-fold",
	    "GET /healthz HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n", 400, 0),
	CASE("RFC 9112 5.2: obs-fold hiding Transfer-Encoding",
	    "POST /healthz HTTP/1.1\r\nHost: a\r\nX: y\r\n"
	    " Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
	    400, 1),
	CASE("RFC 9110 5.5: NUL in a field value",
	    "GET /healthz HTTP/1.1\r\nHost: a\r\nX: y\0z\r\n\r\n", 400, 0),
	CASE("RFC 9112 3.2: HTTP/1.1 without Host",
	    "GET /healthz HTTP/1.1\r\nX: y\r\n\r\n", 400, 1),
	CASE("RFC 9112 3.2: two Hosts",
	    "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 1),
	/* An upgrade to h2c is HTTP/2's to answer; the same rules hold. */
	CASE("RFC 9112 3.2: two Hosts, asking to upgrade to h2c",
	    "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n"
	    "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
	    "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", 400, 1),
	CASE("RFC 9112 3.2: no Host, asking to upgrade to h2c",
	    "GET /healthz HTTP/1.1\r\n"
	    "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
	    "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", 400, 1),
};

static void failed(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
failed(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	failures++;
}

static int
number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0 || v > 65535) {
		fprintf(stderr, "rawhttp: not a number: %s\n", s);
		exit(2);
	}
	return (int)v;
}

static int
dial(void)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Reads into buf until the peer closes (returns 1), until want bytes
 * (0: no such bound) are in, or until timeout_ms pass (returns 0).
 */
static int
read_until(int fd, char *buf, size_t cap, size_t *len, size_t want,
    int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (want == 0 || *len < want) {
		long left = end - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(fd, buf + *len, cap - 1 - *len, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n < 0)
			return 0;
		*len += (size_t)n;
		buf[*len] = '\0';
		if (*len == cap - 1)
			return 0;
	}
	return 0;
}

/* Sends good and reads its whole answer; 0 when it is a 200. */
static int
good_request(int fd, const char *head, size_t head_len)
{
	char buf[4096];
	size_t len = 0, need;
	const char *end, *cl;

	buf[0] = '\0';
	if (send(fd, head, head_len, MSG_NOSIGNAL) != (ssize_t)head_len)
		return -1;
	while ((end = strstr(buf, "\r\n\r\n")) == NULL)
		if (read_until(fd, buf, sizeof(buf), &len, len + 1,
		    TIMEOUT_MS) != 0 || len == 0)
			return -1;
	cl = strstr(buf, "Content-Length: ");
	if (cl == NULL)
		return -1;
	need = (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
	if (len < need)
		read_until(fd, buf, sizeof(buf), &len, need, TIMEOUT_MS);
	return len >= need && strncmp(buf, "HTTP/1.1 200 ", 13) == 0 ? 0 : -1;
}

static void
smuggle(const struct smuggle_case *c, int later)
{
	char buf[8192], want[32], what[160];
	size_t len = 0;
	int fd = dial(), closed;

	snprintf(what, sizeof(what), "%s (%s request)", c->name,
	    later ? "second" : "first");
	if (later && good_request(fd, good, sizeof(good) - 1) != 0) {
		failed("%s: the first request was not answered 200", what);
		close(fd);
		return;
	}
	if (send(fd, c->bytes, c->len, MSG_NOSIGNAL) != (ssize_t)c->len) {
		failed("%s: send: %s", what, strerror(errno));
		close(fd);
		return;
	}
	buf[0] = '\0';
	closed = read_until(fd, buf, sizeof(buf), &len, 0, TIMEOUT_MS);
	snprintf(want, sizeof(want), "HTTP/1.1 %d ", c->status);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strncmp(buf, want, strlen(want)) != 0)
		failed("%s: answered '%s'", what, len ? buf : "(nothing)");
	else if (!closed)
		failed("%s: the connection stayed open after '%s'", what, buf);
	else
		printf("ok: %s: %s, closed\n", what, buf);
	close(fd);
}

/* 100 ordinary headers, about 16 KB (cookies): served. */
static void
big_head(void)
{
	static char head[20000];
	size_t len;
	int fd = dial();

	len = (size_t)snprintf(head, sizeof(head),
	    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(head + len, sizeof(head) - len,
		    "X-Header-%03d: %0140d\r\n", i, i);
	len += (size_t)snprintf(head + len, sizeof(head) - len, "\r\n");
	if (good_request(fd, head, len) != 0)
		failed("100 ordinary headers: a %zu-byte head was not "
		    "answered 200", len);
	else
		printf("ok: 100 ordinary headers (%zu bytes): 200\n", len);
	close(fd);
}

static int
run_smuggling(void)
{
	int fd;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		smuggle(&cases[i], 0);
		if (cases[i].later)
			smuggle(&cases[i], 1);
	}
	big_head();
	fd = dial();
	if (good_request(fd, good, sizeof(good) - 1) != 0)
		failed("after all: GET /healthz is not answered 200");
	close(fd);
	return failures == 0 ? 0 : 1;
}

/* N slow clients; each must be closed by the daemon within limit_s. */
static int
run_slowloris(int n, int limit_s)
{
	int *fds = calloc((size_t)n, sizeof(int));
	long *closed_at = calloc((size_t)n, sizeof(long));
	long start, end;
	int open = n, line = 0;
	char buf[512], hdr[64];

	for (int i = 0; i < n; i++) {
		fds[i] = dial();
		/* Half of them dribble their second request's head. */
		if (i % 2 == 1 && good_request(fds[i], good,
		    sizeof(good) - 1) != 0) {
			failed("slowloris: a first request was not answered "
			    "200");
			return 1;
		}
		send(fds[i], "GET /healthz HTTP/1.1\r\nHost: a\r\n", 32,
		    MSG_NOSIGNAL);
	}
	start = now_ms();
	end = start + (long)limit_s * 1000L;
	while (open > 0 && now_ms() < end) {
		snprintf(hdr, sizeof(hdr), "X-Line-%d: y\r\n", line++);
		for (int i = 0; i < n; i++) {
			if (closed_at[i] != 0)
				continue;
			send(fds[i], hdr, strlen(hdr), MSG_NOSIGNAL);
		}
		/* A second, watching for the daemon's closes. */
		for (long t = now_ms() + 1000; now_ms() < t && open > 0;) {
			for (int i = 0; i < n; i++) {
				struct pollfd pfd = { fds[i], POLLIN, 0 };
				ssize_t r;

				if (closed_at[i] != 0 ||
				    poll(&pfd, 1, 0) <= 0)
					continue;
				r = recv(fds[i], buf, sizeof(buf), 0);
				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					closed_at[i] = now_ms();
					open--;
				}
			}
			usleep(10000);
		}
	}
	for (int i = 0; i < n; i++) {
		if (closed_at[i] == 0)
			fprintf(stderr, "FAIL: slow client %d (%s request) "
			    "still open after %d s\n", i, i % 2 ? "second" :
			    "first", limit_s);
		close(fds[i]);
	}
	printf("%s: %d of %d slow clients closed within %d s\n",
	    open == 0 ? "ok" : "FAIL", n - open, n, limit_s);
	free(fds);
	free(closed_at);
	return open == 0 ? 0 : 1;
}

/*
 * Sends the head in pieces (NULL-ended), pausing ms between them, and
 * reads the answer until want shows or the server closes.  Returns what
 * came (static), and whether the server closed in *closed.
 */
static const char *
stream_answer(const char *const *pieces, int ms, const char *want,
    int *closed)
{
	static char buf[16384];
	size_t len = 0;
	int fd = dial();

	buf[0] = '\0';
	*closed = 0;
	for (int i = 0; pieces[i] != NULL; i++) {
		if (i > 0)
			poll(NULL, 0, ms);
		if (send(fd, pieces[i], strlen(pieces[i]), MSG_NOSIGNAL) < 0)
			failed("streams: cannot send: %s", strerror(errno));
	}
	while (strstr(buf, want) == NULL && !*closed &&
	    len < sizeof(buf) - 1)
		if ((*closed = read_until(fd, buf, sizeof(buf), &len, len + 1,
		    TIMEOUT_MS)) == 0 && strstr(buf, want) == NULL &&
		    len == 0)
			break;
	close(fd);
	return buf;
}

static int
run_streams(const char *path)
{
	char line[1024], noauth[1024];
	const char *got, *q;
	int closed;

	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\n", path);
	/* Split: the request line, then the rest 300 ms later. */
	got = stream_answer((const char *[]){ line, "Host: 127.0.0.1\r\n",
	    "Accept: text/event-stream\r\n\r\n", NULL }, 300,
	    "event: snapshot", &closed);
	if (strncmp(got, "HTTP/1.0 200 OK\r\n", 17) != 0 ||
	    strstr(got, "\r\nConnection: close\r\n") == NULL ||
	    strstr(got, "\r\nContent-Type: text/event-stream\r\n") == NULL ||
	    strstr(got, "\r\n\r\nretry: ") == NULL ||
	    strstr(got, "event: snapshot") == NULL)
		failed("a stream whose head came in pieces: %.300s", got);
	/* With a body: libmicrohttpd reads it, and streams the same. */
	got = stream_answer((const char *[]){ line, "Host: 127.0.0.1\r\n"
	    "Content-Length: 2\r\n\r\n{}", NULL }, 0, "event: snapshot",
	    &closed);
	if (strncmp(got, "HTTP/1.0 200 OK\r\n", 17) != 0 ||
	    strstr(got, "event: snapshot") == NULL)
		failed("a stream asked for with a body: %.300s", got);
	/* Without the token: a whole answer, then the close. */
	q = strchr(path, '?');
	snprintf(noauth, sizeof(noauth), "GET %.*s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n\r\n", q != NULL ? (int)(q - path) :
	    (int)strlen(path), path);
	/* (Read until the server closes: want never comes.) */
	got = stream_answer((const char *[]){ noauth, NULL }, 0, "\x01",
	    &closed);
	if (strncmp(got, "HTTP/1.1 401 Unauthorized\r\n", 27) != 0 ||
	    strstr(got, "\r\nConnection: close\r\n") == NULL ||
	    strstr(got, "\r\nContent-Length: ") == NULL ||
	    strstr(got, "\r\nContent-Type: application/problem+json\r\n") ==
	    NULL)
		failed("a stream without its token: %.300s", got);
	if (!closed)
		failed("the connection of a 401 stayed open: %.300s", got);
	if (failures == 0)
		printf("streams: a split head, a body and a 401 served as "
		    "they should be\n");
	return failures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "smuggling") == 0) {
		port = number(argv[2]);
		return run_smuggling();
	}
	if (argc == 5 && strcmp(argv[1], "slowloris") == 0) {
		port = number(argv[2]);
		return run_slowloris(number(argv[3]), number(argv[4]));
	}
	if (argc == 4 && strcmp(argv[1], "streams") == 0) {
		port = number(argv[2]);
		return run_streams(argv[3]);
	}
	fprintf(stderr, "usage: rawhttp smuggling PORT | "
	    "rawhttp slowloris PORT N SECONDS | rawhttp streams PORT PATH\n");
	return 2;
}
