/*
 * The peers that tests/load/test_faultproxy.sh puts on either side of
 * broadside-faultproxy:
 *
 *   fpcheck echo
 *	An echo server on 127.0.0.1 (port chosen by the kernel, printed as
 *	"listening on 127.0.0.1:PORT"); runs until SIGTERM or SIGINT and
 *	then exits 0.
 *
 *   fpcheck client ADDR:PORT [--bytes N] [--rounds R] [--pause-ms P]
 *	[--timeout-ms T] [--flood-bytes F] [--user-timeout-ms U]
 *	Connects, and R times sends N bytes and reads N bytes back, checking
 *	every byte (a pseudo-random stream, so a shifted or reordered byte
 *	shows), with P ms between rounds.  Prints one line and exits 0:
 *	  ok rounds=R min_ms=A max_ms=B total_ms=C
 *	  reset round=I ms=T          (ECONNRESET or EPIPE)
 *	  eof round=I                 (the peer closed early)
 *	  mismatch round=I offset=O
 *	  timeout round=I open=1|0    (nothing moved for T ms; open=1: the
 *	                               socket is still established)
 *	  timedout round=I ms=T       (ETIMEDOUT: TCP_USER_TIMEOUT fired)
 *	With F > 0, after the rounds and another P ms it sends F bytes
 *	without reading, and prints instead of the "ok" line one of:
 *	  flood sent
 *	  flood timedout ms=T         (ms since the flood began)
 *	  flood reset
 *	  flood stalled open=1|0      (no progress for T ms)
 *	U > 0 sets TCP_USER_TIMEOUT to U ms on the socket.
 *	Exit status 1 if it cannot connect, 2 on bad arguments.
 *
 * Plain poll(2), no project code: a test peer should not share the bugs
 * of what it tests.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ECHO_MAX_CONNS 64
#define ECHO_BUF 65536

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- echo ----------------------------------------------------------- */

struct echo_conn {
	int fd;
	unsigned char buf[ECHO_BUF];
	size_t len;		/* bytes read, not yet written back */
	int eof;		/* the peer has sent its FIN */
};

static void
echo_close(struct echo_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Moves what can move on one connection after poll said something. */
static void
echo_step(struct echo_conn *c, short revents)
{
	ssize_t n;

	if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->eof &&
	    c->len < sizeof(c->buf)) {
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n > 0)
			c->len += (size_t)n;
		else if (n == 0)
			c->eof = 1;
		else if (errno != EAGAIN && errno != EINTR) {
			echo_close(c);
			return;
		}
	}
	if (c->len > 0) {
		n = send(c->fd, c->buf, c->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			memmove(c->buf, c->buf + n, c->len - (size_t)n);
			c->len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			echo_close(c);
			return;
		}
	}
	if (c->eof && c->len == 0)
		echo_close(c);
}

static int
run_echo(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct pollfd pfd[ECHO_MAX_CONNS + 1];
	struct echo_conn *conns;
	int lfd, n;

	conns = calloc(ECHO_MAX_CONNS, sizeof(*conns));
	if (conns == NULL)
		return 1;
	for (int i = 0; i < ECHO_MAX_CONNS; i++)
		conns[i].fd = -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 64) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) != 0) {
		perror("fpcheck echo: listen");
		free(conns);
		return 1;
	}
	printf("listening on 127.0.0.1:%u\n", ntohs(sin.sin_port));
	fflush(stdout);
	while (!stopping) {
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < ECHO_MAX_CONNS; i++) {
			struct echo_conn *c = &conns[i];
			short ev = 0;

			if (c->fd >= 0 && !c->eof && c->len < sizeof(c->buf))
				ev |= POLLIN;
			if (c->fd >= 0 && c->len > 0)
				ev |= POLLOUT;
			pfd[i + 1] = (struct pollfd){ .fd = c->fd, .events = ev };
		}
		n = poll(pfd, ECHO_MAX_CONNS + 1, 1000);
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

			for (int i = 0; fd >= 0 && i < ECHO_MAX_CONNS; i++) {
				if (conns[i].fd < 0) {
					conns[i].fd = fd;
					conns[i].len = 0;
					conns[i].eof = 0;
					fd = -1;
				}
			}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < ECHO_MAX_CONNS; i++)
			if (conns[i].fd >= 0 && pfd[i + 1].revents != 0)
				echo_step(&conns[i], pfd[i + 1].revents);
	}
	for (int i = 0; i < ECHO_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	close(lfd);
	return 0;
}

/* ---- client --------------------------------------------------------- */

/* The byte at offset i of the stream the client sends. */
static unsigned char
stream_byte(uint64_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15u;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9u;
	return (unsigned char)(x >> 56);
}

/* Whether the socket still looks established to this end. */
static int
still_open(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (poll(&pfd, 1, 0) != 0)
		return 0;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return 0;
	return ti.tcpi_state == TCP_ESTABLISHED;
}

/*
 * One round: sends n bytes from offset base of the stream and reads
 * them back.  Returns 0, or prints the failure line and returns 1.
 */
static int
client_round(int fd, int round, uint64_t base, size_t n, int timeout_ms,
    uint64_t start_ms)
{
	unsigned char buf[16384];
	size_t sent = 0, got = 0;
	ssize_t k;
	int rv;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (sent < n)
			pfd.events |= POLLOUT;
		rv = poll(&pfd, 1, timeout_ms);
		if (rv < 0 && errno == EINTR)
			continue;
		if (rv == 0) {
			printf("timeout round=%d open=%d\n", round,
			    still_open(fd));
			return 1;
		}
		if (sent < n && (pfd.revents & POLLOUT)) {
			size_t m = n - sent < sizeof(buf) ? n - sent :
			    sizeof(buf);

			for (size_t i = 0; i < m; i++)
				buf[i] = stream_byte(base + sent + i);
			k = send(fd, buf, m, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k < 0 && (errno == ECONNRESET || errno == EPIPE))
				goto reset;
			if (k < 0 && errno == ETIMEDOUT)
				goto timedout;
			if (k > 0)
				sent += (size_t)k;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (k < 0 && (errno == ECONNRESET || errno == EPIPE))
				goto reset;
			if (k < 0 && errno == ETIMEDOUT)
				goto timedout;
			if (k == 0) {
				printf("eof round=%d\n", round);
				return 1;
			}
			for (ssize_t i = 0; i < k; i++) {
				if (buf[i] != stream_byte(base + got +
				    (size_t)i)) {
					printf("mismatch round=%d offset=%zu\n",
					    round, got + (size_t)i);
					return 1;
				}
			}
			if (k > 0)
				got += (size_t)k;
		}
	}
	return 0;
reset:
	printf("reset round=%d ms=%llu\n", round,
	    (unsigned long long)(now_ms() - start_ms));
	return 1;
timedout:
	printf("timedout round=%d ms=%llu\n", round,
	    (unsigned long long)(now_ms() - start_ms));
	return 1;
}

/* Sends n bytes without reading anything back; prints the outcome. */
static void
client_flood(int fd, size_t n, int timeout_ms)
{
	static unsigned char buf[65536];
	uint64_t start = now_ms();
	size_t sent = 0;
	ssize_t k;
	int rv;

	while (sent < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		rv = poll(&pfd, 1, timeout_ms);
		if (rv < 0 && errno == EINTR)
			continue;
		if (rv == 0) {
			printf("flood stalled open=%d\n", still_open(fd));
			return;
		}
		k = send(fd, buf, n - sent < sizeof(buf) ? n - sent :
		    sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && errno == ETIMEDOUT) {
			printf("flood timedout ms=%llu\n",
			    (unsigned long long)(now_ms() - start));
			return;
		}
		if (k < 0 && (errno == ECONNRESET || errno == EPIPE)) {
			printf("flood reset\n");
			return;
		}
		if (k > 0)
			sent += (size_t)k;
	}
	printf("flood sent\n");
}

static void
pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
	    .tv_nsec = (ms % 1000) * 1000000L };

	if (ms > 0)
		nanosleep(&ts, NULL);
}

static int
parse_num(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
run_client(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	long bytes = 1000, rounds = 1, pause = 0, timeout_ms = 10000;
	long flood = 0, user_timeout = 0;
	uint64_t start, t0, dt, min = UINT64_MAX, max = 0;
	const char *colon;
	char host[64];
	long port;
	int fd, one = 1, rv = 0;

	if (argc < 1 || (colon = strrchr(argv[0], ':')) == NULL ||
	    (size_t)(colon - argv[0]) >= sizeof(host) ||
	    parse_num(colon + 1, 65535, &port) != 0)
		return 2;
	memcpy(host, argv[0], (size_t)(colon - argv[0]));
	host[colon - argv[0]] = '\0';
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return 2;
	sin.sin_port = htons((uint16_t)port);
	for (int i = 1; i < argc; i += 2) {
		long *v = NULL;

		if (strcmp(argv[i], "--bytes") == 0)
			v = &bytes;
		else if (strcmp(argv[i], "--rounds") == 0)
			v = &rounds;
		else if (strcmp(argv[i], "--pause-ms") == 0)
			v = &pause;
		else if (strcmp(argv[i], "--timeout-ms") == 0)
			v = &timeout_ms;
		else if (strcmp(argv[i], "--flood-bytes") == 0)
			v = &flood;
		else if (strcmp(argv[i], "--user-timeout-ms") == 0)
			v = &user_timeout;
		if (v == NULL || i + 1 >= argc ||
		    parse_num(argv[i + 1], 1L << 30, v) != 0)
			return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		printf("connect-failed %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (user_timeout > 0) {
		unsigned ut = (unsigned)user_timeout;

		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	}
	start = now_ms();
	for (long r = 0; r < rounds; r++) {
		if (r > 0)
			pause_ms(pause);
		t0 = now_ms();
		if (client_round(fd, (int)r, (uint64_t)r * (uint64_t)bytes,
		    (size_t)bytes, (int)timeout_ms, start) != 0) {
			rv = 1;
			break;
		}
		dt = now_ms() - t0;
		min = dt < min ? dt : min;
		max = dt > max ? dt : max;
	}
	if (rv == 0 && flood > 0) {
		pause_ms(pause);
		client_flood(fd, (size_t)flood, (int)timeout_ms);
	} else if (rv == 0)
		printf("ok rounds=%ld min_ms=%llu max_ms=%llu total_ms=%llu\n",
		    rounds, (unsigned long long)min, (unsigned long long)max,
		    (unsigned long long)(now_ms() - start));
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int rv = 2;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "echo") == 0 && argc == 2)
		rv = run_echo();
	else if (argc >= 3 && strcmp(argv[1], "client") == 0)
		rv = run_client(argc - 2, argv + 2);
	if (rv == 2)
		fprintf(stderr, "usage: fpcheck echo | fpcheck client "
		    "ADDR:PORT [--bytes N] [--rounds R] [--pause-ms P] "
		    "[--timeout-ms T] [--flood-bytes F] "
		    "[--user-timeout-ms U]\n");
	fflush(stdout);
	return rv;
}
