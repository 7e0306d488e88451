/*
 * A client that starts its connection with a PROXY protocol v2 header, as
 * HAProxy's send-proxy-v2 does, for test_haproxy.sh: what curl will not
 * send.  Loopback only; every wait is bounded.
 *
 *   proxyclient PORT FROM CLAIM METHOD PATH [BODY]
 *	Connects from the local address FROM to 127.0.0.1:PORT; unless
 *	CLAIM is "-", sends a PROXY v2 header naming CLAIM (IPv4) as the
 *	client; then one HTTP/1.1 request (BODY as JSON) and prints the
 *	response's status code, or "closed" when the connection ends
 *	without a response.
 *   proxyclient PORT FROM CLAIM hold SECONDS
 *	Sends the PROXY v2 header alone and holds the connection open for
 *	SECONDS (or until the server closes it), then prints "held".
 *
 * Exit status 0 when a status or "closed" was printed, 1 on a local error.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define TIMEOUT_MS 5000

static const unsigned char signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static int
send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The PROXY v2 header for an IPv4 TCP client claim -> dst. */
static size_t
proxy_header(unsigned char *out, struct in_addr claim, struct in_addr dst,
    int port)
{
	memcpy(out, signature, 12);
	out[12] = 0x21;		/* version 2, PROXY */
	out[13] = 0x11;		/* AF_INET, STREAM */
	out[14] = 0;
	out[15] = 12;
	memcpy(out + 16, &claim, 4);
	memcpy(out + 20, &dst, 4);
	out[24] = 0xc3;		/* source port 50000 */
	out[25] = 0x50;
	out[26] = (unsigned char)(port >> 8);
	out[27] = (unsigned char)port;
	return 28;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned char header[28];
	char request[1024], response[4096];
	const char *body;
	size_t got = 0;
	int fd, port, n;

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: proxyclient PORT FROM CLAIM METHOD "
		    "PATH [BODY]\n");
		return 1;
	}
	body = argc == 7 ? argv[6] : "";
	port = (int)strtol(argv[1], NULL, 10);
	to.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, "127.0.0.1", &to.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &from.sin_addr) != 1) {
		fprintf(stderr, "proxyclient: bad address\n");
		return 1;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		fprintf(stderr, "proxyclient: connect: %s\n", strerror(errno));
		return 1;
	}
	if (strcmp(argv[3], "-") != 0) {
		struct in_addr claim;

		if (inet_pton(AF_INET, argv[3], &claim) != 1) {
			fprintf(stderr, "proxyclient: bad claim\n");
			return 1;
		}
		if (send_all(fd, header, proxy_header(header, claim,
		    to.sin_addr, port)) != 0)
			goto closed;
	}
	if (strcmp(argv[4], "hold") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long seconds = strtol(argv[5], NULL, 10);

		(void)poll(&p, 1, (int)(seconds > 0 && seconds < 60 ?
		    seconds : 1) * 1000);
		printf("held\n");
		close(fd);
		return 0;
	}
	n = snprintf(request, sizeof(request), "%s %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", argv[4],
	    argv[5], strlen(body), body);
	if (n < 0 || (size_t)n >= sizeof(request)) {
		fprintf(stderr, "proxyclient: request too long\n");
		return 1;
	}
	if (send_all(fd, request, (size_t)n) != 0)
		goto closed;
	/* The status line is all we need. */
	while (got < 12) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, TIMEOUT_MS) <= 0)
			goto closed;
		r = recv(fd, response + got, sizeof(response) - 1 - got, 0);
		if (r <= 0)
			goto closed;
		got += (size_t)r;
	}
	if (memcmp(response, "HTTP/1.1 ", 9) != 0)
		goto closed;
	printf("%.3s\n", response + 9);
	close(fd);
	return 0;
closed:
	printf("closed\n");
	close(fd);
	return 0;
}
