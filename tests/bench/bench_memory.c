/*
 * bench_memory: the daemon's resident memory per connected event-stream
 * subscriber.  Opens N raw HTTP/1.1 connections to one battle's event
 * stream (with or without Accept-Encoding: gzip), reads what arrives, and
 * divides the growth of the daemon's VmRSS by N.
 * Usage: bench_memory HOST PORT PID PATH N [gzip]
 * PATH is the events path with its ?access_token=.  Figures only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rss.h"

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[1024], buf[65536];
	long before, after, n;
	int *fds, gzip;

	if (argc < 6) {
		fprintf(stderr, "usage: bench_memory HOST PORT PID PATH N "
		    "[gzip]\n");
		return 2;
	}
	n = strtol(argv[5], NULL, 10);
	gzip = argc > 6 && strcmp(argv[6], "gzip") == 0;
	if (n < 1 || n > 19000 || inet_pton(AF_INET, argv[1],
	    &sa.sin_addr) != 1)
		return 2;
	sa.sin_port = htons((uint16_t)strtol(argv[2], NULL, 10));
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Accept: text/event-stream\r\n%s\r\n", argv[4], argv[1],
	    gzip ? "Accept-Encoding: gzip\r\n" : "");
	fds = calloc((size_t)n, sizeof(*fds));
	before = rss_kb(argv[3]);
	for (long i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa,
		    sizeof(sa)) != 0 || write(fds[i], req, strlen(req)) !=
		    (ssize_t)strlen(req)) {
			fprintf(stderr, "bench_memory: connection %ld: %s\n", i,
			    strerror(errno));
			return 1;
		}
		/* Pace the connects: the listen backlog is finite. */
		if (i % 200 == 199)
			usleep(50000);
	}
	sleep(2);
	for (long i = 0; i < n; i++)
		(void)!recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
	sleep(1);
	after = rss_kb(argv[3]);
	printf("{\"bench\":\"memory\",\"subscribers\":%ld,\"gzip\":%s,"
	    "\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,"
	    "\"bytes_per_subscriber\":%.0f}\n", n, gzip ? "true" : "false",
	    before, after, (double)(after - before) * 1024 / (double)n);
	for (long i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}
