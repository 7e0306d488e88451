/*
 * Checks that the libmicrohttpd this program is linked with behaves as
 * Broadside's HTTP/1.1 event streams need (src/http1_stream.c).  Its API
 * documents suspending a connection from a content reader, and a reader
 * that returns 0 while suspended; what it does not promise, and what this
 * checks, is:
 *
 *  1. the reader is called a second time only once the headers and the
 *     bytes of its first call are all written to the socket (the stream
 *     takes the socket over at that call and writes the rest itself);
 *  2. MHD_CONNECTION_INFO_CONNECTION_FD is the socket it was given;
 *  3. while the connection is suspended, libmicrohttpd leaves the socket
 *     alone: it writes nothing, reads nothing, does not close it, not
 *     even past its connection timeout, and its epoll fd does not spin;
 *  4. once resumed, the reader's end of stream closes the connection
 *     with nothing added to the body (no chunked framing, no trailer).
 *
 * The daemon is started with the flags and options Broadside uses
 * (src/http1.c), in external epoll mode without a listening socket, and
 * is given the server end of a TCP connection over loopback (as the
 * listener hands over plain connections) and then of an AF_UNIX
 * socketpair (as the TLS bridge does).
 *
 * configure builds and runs this program against the libmicrohttpd it
 * found (instead of trusting a version range), and make check runs it
 * again.  Exit status 0: the behaviour holds; 1: it does not, and stderr
 * says which check failed; 77: the test could not be set up here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#define PROBE_SKIP 77

/* As src/http1_stream.c: a small block, MHD_RF_HTTP_1_0_SERVER. */
#define PROBE_BLOCK 512
/* The connection timeout; the suspended socket is watched past it. */
#define PROBE_TIMEOUT_S 1
#define PROBE_SUSPENDED_MS 1600
/* A spinning epoll fd wakes thousands of times in that while. */
#define PROBE_MAX_WAKEUPS 100

/* Under the block size, so libmicrohttpd has room to ask for more. */
static const char first[] = "retry: 1000\n\ndata: the first bytes\n\n";
static const char second[] = "data: written by the loop\n\n";
static const char third[] = "data: after the timeout\n\n";
static const char ping[] = "ping\n";

struct probe {
	const char *kind;	/* "tcp" or "unix" */
	struct MHD_Daemon *mhd;
	int mhd_epoll;
	int client;		/* our client's end */
	int server;		/* the end given to libmicrohttpd */
	struct sockaddr_in addr;
	struct MHD_Connection *conn;
	int reader_calls;
	int taken;		/* the second reader call: suspended */
	int taken_fd;
	int ended;		/* resumed: the reader ends the body */
	int completed;		/* the request-completed callback */
	int closed;		/* the connection-closed callback */
	int queued;
	char in[8192];		/* what the client received */
	size_t in_len;
	int in_eof;
};

static int
fail(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mhd_handover (%s, libmicrohttpd %s): ",
	    p != NULL ? p->kind : "-", MHD_get_version());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct probe *p = cls;
	const union MHD_ConnectionInfo *ci;

	p->reader_calls++;
	if (p->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (p->reader_calls == 1) {
		size_t n = sizeof(first) - 1 < max ? sizeof(first) - 1 : max;

		memcpy(buf, first, n);
		return (ssize_t)n;
	}
	if (!p->taken) {
		ci = MHD_get_connection_info(p->conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		p->taken_fd = ci != NULL ? ci->connect_fd : -1;
		MHD_suspend_connection(p->conn);
		p->taken = 1;
	}
	return 0;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct probe *p = cls;
	struct MHD_Response *mr;
	enum MHD_Result rv;

	/* As Broadside: the first call has the headers only. */
	if (*con_cls == NULL) {
		*con_cls = p;
		return MHD_YES;
	}
	if (p->queued)
		return MHD_YES;
	p->conn = conn;
	mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, PROBE_BLOCK,
	    reader, p, NULL);
	if (mr == NULL)
		return MHD_NO;
	MHD_set_response_options(mr, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
	MHD_add_response_header(mr, "Content-Type", "text/event-stream");
	rv = MHD_queue_response(conn, MHD_HTTP_OK, mr);
	MHD_destroy_response(mr);
	p->queued = 1;
	return rv;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct probe *p = cls;

	p->completed = 1;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct probe *p = cls;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		p->closed = 1;
}

static void
on_log(void *cls, const char *fmt, va_list ap)
{
	if (getenv("PROBE_VERBOSE") != NULL)
		vfprintf(stderr, fmt, ap);
}

/* The same flags and options as src/http1.c's h1_start(). */
static struct MHD_Daemon *
start(struct probe *p)
{
	return MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    on_access, p,
	    MHD_OPTION_EXTERNAL_LOGGER, on_log, p,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PROBE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, 32u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, p,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, p,
	    MHD_OPTION_END);
}

/* Reads what the client has; notes EOF. */
static void
client_read(struct probe *p)
{
	ssize_t n;

	while (!p->in_eof && p->in_len < sizeof(p->in) - 1) {
		n = recv(p->client, p->in + p->in_len,
		    sizeof(p->in) - 1 - p->in_len, MSG_DONTWAIT);
		if (n > 0) {
			p->in_len += (size_t)n;
			p->in[p->in_len] = '\0';
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			p->in_eof = 1;
		} else {
			break;
		}
	}
}

/*
 * Runs libmicrohttpd as Broadside's loop does (its epoll fd, its timeout,
 * at most 1 ms while a hand-over is pending) for up to ms milliseconds,
 * or until done(p) holds.  Returns how many times its epoll fd woke up.
 */
static int
run(struct probe *p, int ms, int (*done)(struct probe *))
{
	int64_t deadline = now_ms() + ms;
	int wakeups = 0;

	if (getenv("PROBE_VERBOSE") != NULL)
		fprintf(stderr, "run %d ms\n", ms);
	while (now_ms() < deadline && (done == NULL || !done(p))) {
		MHD_UNSIGNED_LONG_LONG t = 100;
		struct pollfd pfd = { .fd = p->mhd_epoll, .events = POLLIN };
		int wait;

		if (MHD_get_timeout(p->mhd, &t) != MHD_YES || t > 100)
			t = 100;
		if (p->reader_calls == 1 && !p->taken)
			t = 1;
		wait = (int)t;
		if (poll(&pfd, 1, wait) > 0)
			wakeups++;
		MHD_run(p->mhd);
		client_read(p);
	}
	if (getenv("PROBE_VERBOSE") != NULL)
		fprintf(stderr, "ran %d ms, %d wakeups\n",
		    (int)(now_ms() - deadline + ms), wakeups);
	return wakeups;
}

static int
is_taken(struct probe *p)
{
	return p->taken;
}

static int
has_second(struct probe *p)
{
	return strstr(p->in, second) != NULL || p->in_eof;
}

static int
has_third(struct probe *p)
{
	return strstr(p->in, third) != NULL || p->in_eof;
}

static int
is_over(struct probe *p)
{
	return p->in_eof && p->closed;
}

/* The headers' end, or NULL. */
static const char *
body_of(struct probe *p)
{
	const char *end = strstr(p->in, "\r\n\r\n");

	return end != NULL ? end + 4 : NULL;
}

static int
write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	return send(fd, s, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int
check(struct probe *p)
{
	static const char request[] =
	    "GET /events HTTP/1.1\r\nHost: probe\r\nAccept: text/event-stream"
	    "\r\n\r\n";
	const union MHD_DaemonInfo *di;
	char expect[256], scratch[64];
	const char *body;
	int wakeups;
	ssize_t n;

	p->mhd = start(p);
	if (p->mhd == NULL)
		return fail(p, "MHD_start_daemon refused Broadside's flags");
	di = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL)
		return fail(p, "no epoll fd (MHD_DAEMON_INFO_EPOLL_FD)");
	p->mhd_epoll = di->epoll_fd;
	if (write_all(p->client, request) != 0)
		return fail(p, "the client could not send its request");
	/* The client's address, as the listener gives it (TLS: the TCP one). */
	p->addr.sin_family = AF_INET;
	p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->addr.sin_port = htons(40000);
	if (MHD_add_connection(p->mhd, p->server, (struct sockaddr *)&p->addr,
	    sizeof(p->addr)) != MHD_YES)
		return fail(p, "MHD_add_connection refused the socket");

	/* 1 and 2: the hand-over. */
	run(p, 5000, is_taken);
	if (!p->taken)
		return fail(p, "the content reader was not called a second "
		    "time (%d call(s)); the client has %zu bytes",
		    p->reader_calls, p->in_len);
	if (p->taken_fd != p->server)
		return fail(p, "MHD_CONNECTION_INFO_CONNECTION_FD gave %d, "
		    "not the socket given (%d)", p->taken_fd, p->server);
	if (write_all(p->taken_fd, second) != 0)
		return fail(p, "writing to the suspended connection's socket "
		    "failed: %s", strerror(errno));
	run(p, 5000, has_second);
	if (strncmp(p->in, "HTTP/1.", 7) != 0 ||
	    strncmp(p->in + 8, " 200 ", 5) != 0)
		return fail(p, "the response does not start with a 200 status "
		    "line");
	body = body_of(p);
	if (body == NULL)
		return fail(p, "the response headers never ended");
	if (strstr(p->in, "chunked") != NULL)
		return fail(p, "the response is chunked despite "
		    "MHD_RF_HTTP_1_0_SERVER");
	snprintf(expect, sizeof(expect), "%s%s", first, second);
	if (strcmp(body, expect) != 0)
		return fail(p, "the body is not the reader's first bytes and "
		    "then ours, in that order: \"%s\"", body);

	/* 3: left alone while suspended, past the connection timeout. */
	if (write_all(p->client, ping) != 0)
		return fail(p, "the client could not write while suspended");
	wakeups = run(p, PROBE_SUSPENDED_MS, NULL);
	if (p->in_eof || p->closed)
		return fail(p, "the suspended connection was closed");
	if (p->completed)
		return fail(p, "the suspended request was completed");
	if (strcmp(body, expect) != 0)
		return fail(p, "libmicrohttpd wrote to the suspended "
		    "connection: the body is now \"%s\"", body);
	if (wakeups > PROBE_MAX_WAKEUPS)
		return fail(p, "the epoll fd woke %d times in %d ms with one "
		    "suspended connection", wakeups, PROBE_SUSPENDED_MS);
	n = recv(p->taken_fd, scratch, sizeof(scratch), MSG_DONTWAIT);
	if (n != (ssize_t)strlen(ping) || memcmp(scratch, ping, (size_t)n))
		return fail(p, "the client's bytes sent while suspended were "
		    "not left on the socket (read %zd)", n);
	if (write_all(p->taken_fd, third) != 0)
		return fail(p, "the socket was unusable after the timeout: %s",
		    strerror(errno));
	run(p, 5000, has_third);
	if (strstr(p->in, third) == NULL)
		return fail(p, "bytes written past the timeout did not arrive");

	/* 4: resumed, the end of stream closes the connection. */
	p->ended = 1;
	MHD_resume_connection(p->conn);
	run(p, 5000, is_over);
	if (!p->in_eof)
		return fail(p, "the connection stayed open after the end of "
		    "stream");
	if (!p->completed || !p->closed)
		return fail(p, "libmicrohttpd did not complete the request "
		    "and close the connection");
	snprintf(expect, sizeof(expect), "%s%s%s", first, second, third);
	if (strcmp(body, expect) != 0)
		return fail(p, "the body is not what the reader and we "
		    "wrote once the stream ended: \"%s\"", body);
	MHD_stop_daemon(p->mhd);
	p->mhd = NULL;
	return 0;
}

/* A TCP connection over loopback, set up as src/listen.c does. */
static int
pair_tcp(int sv[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) != 0)
		goto fail;
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&sin,
	    sizeof(sin)) != 0)
		goto fail;
	sv[1] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (sv[1] < 0)
		goto fail;
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(lfd);
	return 0;
fail:
	if (lfd >= 0)
		close(lfd);
	return -1;
}

/* As src/tls_bridge.c hands HTTP/1.1 over TLS to libmicrohttpd. */
static int
pair_unix(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv);
}

int
main(void)
{
	static const struct {
		const char *kind;
		int (*pair)(int sv[2]);
	} kinds[] = {
		{ "tcp", pair_tcp },
		{ "unix", pair_unix },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct probe *p = calloc(1, sizeof(*p));
		int sv[2];

		if (p == NULL)
			return PROBE_SKIP;
		p->kind = kinds[i].kind;
		p->taken_fd = -1;
		if (kinds[i].pair(sv) != 0) {
			fprintf(stderr, "mhd_handover: no %s socket pair: %s\n",
			    p->kind, strerror(errno));
			return PROBE_SKIP;
		}
		p->client = sv[0];
		p->server = sv[1];
		if (check(p) != 0)
			return 1;
		close(p->client);
		free(p);
	}
	printf("libmicrohttpd %s leaves a suspended connection's socket to "
	    "its taker\n", MHD_get_version());
	return 0;
}
