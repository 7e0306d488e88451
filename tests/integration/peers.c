/*
 * peers: opens many raw connections to the daemon from one loopback
 * address, says how many were served and how many refused, and holds the
 * served ones.  test_peers.sh runs it against broadsided.
 *
 *   peers --port P --speak WHAT [--from ADDR] [--count N] [--hold S]
 *         [--close-half S]
 *
 * WHAT is what each connection sends once connected:
 *   partial  "PRI * HTTP", the start of the HTTP/2 preface, and no more
 *            (neither served nor refused: it only waits);
 *   h2       the HTTP/2 preface and an empty SETTINGS frame; served when
 *            the server's SETTINGS frame comes back;
 *   tls      a TLS handshake (GnuTLS, the certificate is not checked);
 *            served when it completes.
 * Anything else (an end of stream, a reset, other bytes, a failed
 * handshake) counts as refused, and nothing within 3 s as silent.
 *
 * --from binds the client's side to ADDR (127.0.0.2: another address on
 * loopback).  Connections are made one after another.  Then one line
 * "served S refused R silent T" goes to stdout, and the served (or, for
 * partial, all) connections are held --hold S seconds (default 0), or
 * until stdin reaches its end when --hold is -1.  --close-half S closes
 * the first half of them S seconds into the hold and prints "closed K".
 *
 * Exits 0 after holding, 1 when a connection could not be made at all,
 * 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEERS_MAX_COUNT 10000
#define PEERS_ANSWER_MS 3000

enum speak { SPEAK_PARTIAL, SPEAK_H2, SPEAK_TLS };
enum outcome { SERVED, REFUSED, SILENT };

struct options {
	int port;
	enum speak speak;
	const char *from;
	long count;
	long hold_s;
	long close_half_s;
};

static gnutls_certificate_credentials_t tls_cred;

static int
connect_one(const struct options *o)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd, one = 1;

	to.sin_port = htons((uint16_t)o->port);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (o->from != NULL) {
		struct sockaddr_in from = { .sin_family = AF_INET };

		if (inet_pton(AF_INET, o->from, &from.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0)
			goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0)
		goto fail;
	return fd;
fail:
	fprintf(stderr, "peers: connect: %s\n", strerror(errno));
	close(fd);
	return -1;
}

/* Reads the first bytes of the answer: the server's SETTINGS frame? */
static enum outcome
h2_answer(int fd)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	    "\0\0\0\4\0\0\0\0\0";	/* an empty SETTINGS frame */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char head[9];
	size_t got = 0;

	if (write(fd, preface, sizeof(preface) - 1) !=
	    (ssize_t)sizeof(preface) - 1)
		return REFUSED;
	while (got < sizeof(head)) {
		ssize_t n;

		if (poll(&p, 1, PEERS_ANSWER_MS) != 1)
			return SILENT;
		n = read(fd, head + got, sizeof(head) - got);
		if (n <= 0)
			return REFUSED;
		got += (size_t)n;
	}
	return head[3] == 4 && (head[4] & 1) == 0 ? SERVED : REFUSED;
}

static enum outcome
tls_answer(int fd, gnutls_session_t *out)
{
	gnutls_session_t s;
	int rv;

	if (gnutls_init(&s, GNUTLS_CLIENT) != 0)
		return REFUSED;
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, tls_cred);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, PEERS_ANSWER_MS);
	do
		rv = gnutls_handshake(s);
	while (rv < 0 && !gnutls_error_is_fatal(rv));
	if (rv == GNUTLS_E_TIMEDOUT) {
		gnutls_deinit(s);
		return SILENT;
	}
	if (rv < 0) {
		gnutls_deinit(s);
		return REFUSED;
	}
	*out = s;
	return SERVED;
}

static void
usage(void)
{
	fputs("usage: peers --port P --speak partial|h2|tls [--from ADDR] "
	    "[--count N] [--hold S|-1] [--close-half S]\n", stderr);
	exit(2);
}

static long
number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static void
parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "speak", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "hold", required_argument, NULL, 'h' },
		{ "close-half", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*o = (struct options){ .count = 1, .close_half_s = -1 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->port = (int)number(optarg, 1, 65535); break;
		case 'f': o->from = optarg; break;
		case 'n': o->count = number(optarg, 1, PEERS_MAX_COUNT); break;
		case 'h': o->hold_s = number(optarg, -1, 3600); break;
		case 'c': o->close_half_s = number(optarg, 0, 3600); break;
		case 's':
			if (strcmp(optarg, "partial") == 0)
				o->speak = SPEAK_PARTIAL;
			else if (strcmp(optarg, "h2") == 0)
				o->speak = SPEAK_H2;
			else if (strcmp(optarg, "tls") == 0)
				o->speak = SPEAK_TLS;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (o->port == 0 || optind != argc)
		usage();
}

/* Holds the connections; closes the first half at close_half_s. */
static void
hold(const struct options *o, int *fds, long nfds)
{
	time_t start = time(NULL);
	int closed = 0;

	if (o->hold_s < 0) {
		char buf[64];

		while (read(0, buf, sizeof(buf)) > 0)
			;
		return;
	}
	while (time(NULL) - start < o->hold_s) {
		if (!closed && o->close_half_s >= 0 &&
		    time(NULL) - start >= o->close_half_s) {
			for (long i = 0; i < nfds / 2; i++)
				close(fds[i]);
			printf("closed %ld\n", nfds / 2);
			fflush(stdout);
			closed = 1;
		}
		usleep(50000);
	}
}

int
main(int argc, char **argv)
{
	struct options o;
	long tally[3] = { 0, 0, 0 }, nheld = 0;
	gnutls_session_t *sessions;
	int *fds, rc = 0;

	parse(argc, argv, &o);
	fds = calloc((size_t)o.count, sizeof(*fds));
	sessions = calloc((size_t)o.count, sizeof(*sessions));
	if (fds == NULL || sessions == NULL)
		return 1;
	if (o.speak == SPEAK_TLS &&
	    gnutls_certificate_allocate_credentials(&tls_cred) != 0)
		return 1;
	for (long i = 0; i < o.count; i++) {
		enum outcome out = SILENT;
		int fd = connect_one(&o);

		if (fd < 0) {
			rc = 1;
			break;
		}
		switch (o.speak) {
		case SPEAK_PARTIAL:
			if (write(fd, "PRI * HTTP", 10) != 10)
				out = REFUSED;
			break;
		case SPEAK_H2:
			out = h2_answer(fd);
			break;
		case SPEAK_TLS:
			out = tls_answer(fd, &sessions[nheld]);
			break;
		}
		tally[out]++;
		if (out == REFUSED || (out == SILENT && o.speak != SPEAK_PARTIAL))
			close(fd);
		else
			fds[nheld++] = fd;
	}
	printf("served %ld refused %ld silent %ld\n", tally[SERVED],
	    tally[REFUSED], tally[SILENT]);
	fflush(stdout);
	if (rc == 0)
		hold(&o, fds, nheld);
	/* Exiting closes the rest. */
	return rc;
}
