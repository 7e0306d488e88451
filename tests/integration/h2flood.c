/*
 * A misbehaving HTTP/2 client, frames written by hand: after the preface
 * it floods the server with PING frames, empty SETTINGS frames, or
 * requests each reset at once (the "rapid reset" attack), as fast as the
 * socket takes them; or ("slowping") sends endless PINGs at a pace that
 * lets it read every acknowledgement; or ("silent") says nothing after
 * the preface, which the idle timeout must close.  It checks that the
 * server cuts it off (GOAWAY, then the connection closes) within ten
 * seconds.
 *
 * Usage: h2flood BASE_URL ping|settings|reset|slowping|silent
 * Exit status 0 when cut off (the GOAWAY error code is printed), 1 when
 * the server put up with it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_SECONDS 10

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* Appends a frame header to out. */
static size_t
frame(uint8_t *out, size_t len, int type, int flags, uint32_t stream)
{
	out[0] = (uint8_t)(len >> 16);
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
	out[3] = (uint8_t)type;
	out[4] = (uint8_t)flags;
	out[5] = (uint8_t)(stream >> 24);
	out[6] = (uint8_t)(stream >> 16);
	out[7] = (uint8_t)(stream >> 8);
	out[8] = (uint8_t)stream;
	return 9;
}

/* One unit of abuse into out; returns its length. */
static size_t
abuse(uint8_t *out, const char *mode, uint32_t *next_stream)
{
	/* GET http://x/healthz: HPACK static indices and two literals. */
	static const uint8_t get[] = { 0x82, 0x86, 0x01, 0x01, 'x', 0x04,
		0x08, '/', 'h', 'e', 'a', 'l', 't', 'h', 'z' };
	size_t n = 0;

	if (strcmp(mode, "ping") == 0 || strcmp(mode, "slowping") == 0) {
		n += frame(out, 8, 6, 0, 0);
		memcpy(out + n, "flooding", 8);
		n += 8;
	} else if (strcmp(mode, "settings") == 0) {
		n += frame(out, 0, 4, 0, 0);
	} else {
		uint32_t id = *next_stream;

		*next_stream += 2;
		n += frame(out + n, sizeof(get), 1, 0x5, id);
		memcpy(out + n, get, sizeof(get));
		n += sizeof(get);
		n += frame(out + n, 4, 3, 0, id);
		memcpy(out + n, "\0\0\0\x8", 4);	/* CANCEL */
		n += 4;
	}
	return n;
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
	colon = strrchr(hp, ':');
	if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
		return -1;
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	sa.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/*
 * Scans the server's bytes for a GOAWAY frame; keeps a partial frame
 * header between calls.  Returns its error code, or -1.
 */
static long
scan_goaway(const uint8_t *data, size_t len)
{
	static uint8_t pending[1 << 16];
	static size_t npending;
	size_t off = 0;

	if (npending + len > sizeof(pending))
		len = sizeof(pending) - npending;
	memcpy(pending + npending, data, len);
	npending += len;
	while (npending - off >= 9) {
		size_t flen = ((size_t)pending[off] << 16) |
		    ((size_t)pending[off + 1] << 8) | pending[off + 2];

		if (npending - off < 9 + flen)
			break;
		if (pending[off + 3] == 7 && flen >= 8) {
			const uint8_t *e = pending + off + 9 + 4;

			return ((long)e[0] << 24) | ((long)e[1] << 16) |
			    ((long)e[2] << 8) | e[3];
		}
		off += 9 + flen;
	}
	memmove(pending, pending + off, npending - off);
	npending -= off;
	return -1;
}

int
main(int argc, char **argv)
{
	uint8_t out[64 * 1024], in[16384];
	uint32_t next_stream = 1;
	long goaway = -1;
	unsigned long units = 0;
	size_t n = 0, off = 0;
	time_t end;
	int fd, slow, silent;

	if (argc != 3 || (strcmp(argv[2], "ping") != 0 &&
	    strcmp(argv[2], "settings") != 0 &&
	    strcmp(argv[2], "reset") != 0 &&
	    strcmp(argv[2], "slowping") != 0 &&
	    strcmp(argv[2], "silent") != 0)) {
		fprintf(stderr, "usage: h2flood BASE_URL "
		    "ping|settings|reset|slowping|silent\n");
		return 2;
	}
	slow = strcmp(argv[2], "slowping") == 0;
	silent = strcmp(argv[2], "silent") == 0;
	signal(SIGPIPE, SIG_IGN);
	fd = connect_to(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "FAIL: cannot connect to %s\n", argv[1]);
		return 1;
	}
	memcpy(out, preface, sizeof(preface) - 1);
	frame(out + sizeof(preface) - 1, 0, 4, 0, 0);
	if (write(fd, out, sizeof(preface) - 1 + 9) < 0) {
		fprintf(stderr, "FAIL: write: %s\n", strerror(errno));
		return 1;
	}
	end = time(NULL) + FLOOD_SECONDS;
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd,
		    .events = POLLIN | (silent ? 0 : POLLOUT) };
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read(fd, in, sizeof(in));
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				printf("cut off after %lu %s units: %s, "
				    "GOAWAY error code %ld\n", units, argv[2],
				    r == 0 ? "connection closed" :
				    strerror(errno), goaway);
				return 0;
			}
			if (r > 0 && goaway < 0)
				goaway = scan_goaway(in, (size_t)r);
		}
		if (!(p.revents & POLLOUT))
			continue;
		if (off == n) {
			/* Whole frames only: a torn one would be a framing
			 * error, which the server would rightly refuse. */
			off = n = 0;
			while (n + 64 < (slow ? 170 : sizeof(out))) {
				n += abuse(out + n, argv[2], &next_stream);
				units++;
			}
			/* 10 PINGs every 20 ms: 500 a second, each answered. */
			if (slow)
				usleep(20000);
		}
		r = write(fd, out + off, n - off);
		if (r < 0 && errno != EAGAIN) {
			printf("cut off after %lu %s units: %s, GOAWAY error "
			    "code %ld\n", units, argv[2], strerror(errno),
			    goaway);
			return 0;
		}
		if (r > 0)
			off += (size_t)r;
		if (next_stream > 0x7fff0000u)
			break;
	}
	fprintf(stderr, "FAIL: still connected after %d s of %s flood "
	    "(GOAWAY error code %ld)\n", FLOOD_SECONDS, argv[2], goaway);
	return 1;
}
