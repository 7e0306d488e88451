/*
 * Many event streams on one HTTP/2 connection (nghttp2's client API):
 * NBATTLES battles, one events stream each, all on a single connection,
 * plus one more stream whose reader never reads (its window is never
 * updated).  Narration is posted to every battle (over HTTP/1.1, libcurl);
 * every stream must receive its own battle's narration, and only its own,
 * in order, while the stalled stream stays stalled.  With --write-timeout
 * short the server then resets the stalled stream.
 *
 * Usage: h2streams BASE_URL NBATTLES NEVENTS
 * Exit status 0 on success, 1 on failure (with a line saying why).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "client.h"

#define MAX_BATTLES 200
#define SLOW_WINDOW 2048

struct h2_sse {
	char id[64];
	char token[64];
	int32_t stream_id;
	int slow;
	char *data;		/* every byte received */
	size_t len;
	int closed;
	uint32_t close_code;
};

static struct h2_sse sse[MAX_BATTLES + 1];
static int nsse;
static int fd = -1;
static char authority[128];

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "FAIL: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct h2_sse *
by_stream(int32_t id)
{
	for (int i = 0; i < nsse; i++)
		if (sse[i].stream_id == id)
			return &sse[i];
	return NULL;
}

static int
on_data(nghttp2_session *session, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *user_data)
{
	struct h2_sse *s = by_stream(id);

	if (s == NULL)
		return 0;
	s->data = realloc(s->data, s->len + len + 1);
	memcpy(s->data + s->len, data, len);
	s->len += len;
	s->data[s->len] = '\0';
	/* The stalled reader gives the connection its bytes back, never
	 * its stream: the stream's window stays shut. */
	if (s->slow)
		nghttp2_session_consume_connection(session, len);
	else
		nghttp2_session_consume(session, id, len);
	return 0;
}

static int
on_close(nghttp2_session *session, int32_t id, uint32_t code,
    void *user_data)
{
	struct h2_sse *s = by_stream(id);

	if (s != NULL) {
		s->closed = 1;
		s->close_code = code;
	}
	return 0;
}

/* Reads and writes for up to ms milliseconds (or until done() holds). */
static void
pump(nghttp2_session *session, int ms, int (*done)(void))
{
	double end = now_s() + ms / 1000.0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const uint8_t *out;
		ssize_t n;
		uint8_t buf[16384];
		int left;

		while ((n = nghttp2_session_mem_send(session, &out)) > 0) {
			ssize_t off = 0;

			while (off < n) {
				ssize_t w = write(fd, out + off,
				    (size_t)(n - off));

				if (w < 0 && errno == EAGAIN) {
					struct pollfd pw = { .fd = fd,
					    .events = POLLOUT };

					poll(&pw, 1, 1000);
					continue;
				}
				if (w <= 0)
					die("write: %s", strerror(errno));
				off += w;
			}
		}
		if (done != NULL && done())
			return;
		left = (int)((end - now_s()) * 1000);
		if (left <= 0)
			return;
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			die("%s", "the server closed the connection");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("read: %s", strerror(errno));
		if (n > 0 && nghttp2_session_mem_recv(session, buf,
		    (size_t)n) < 0)
			die("%s", "nghttp2_session_mem_recv failed");
	}
}

static int
all_snapshots(void)
{
	for (int i = 0; i < nsse; i++)
		if (sse[i].data == NULL ||
		    strstr(sse[i].data, "event: snapshot") == NULL)
			return 0;
	return 1;
}

static int nevents;

/* Where "m<battle>-<k>" sits in stream i's bytes, or -1. */
static long
marker_at(int i, int b, int k)
{
	char m[64];
	const char *p;

	snprintf(m, sizeof(m), "\"text\":\"m%d-%d\"", b, k);
	if (sse[i].data == NULL || (p = strstr(sse[i].data, m)) == NULL)
		return -1;
	return (long)(p - sse[i].data);
}

static int
all_events(void)
{
	for (int i = 0; i < nsse; i++)
		if (!sse[i].slow && marker_at(i, i, nevents - 1) < 0)
			return 0;
	return 1;
}

static int
slow_closed(void)
{
	return sse[nsse - 1].closed;
}

static void
narrate(int i, const char *text)
{
	struct reply r;
	char path[128];

	snprintf(path, sizeof(path), "/v1/battles/%s/narration", sse[i].id);
	client_json(&r, "POST", path, sse[i].token, json_pack("{s:s}", "text",
	    text));
	expect_status(&r, 200, "narration");
	reply_free(&r);
}

static void
connect_to(const char *base)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *hp = strstr(base, "://");
	char host[64];
	const char *colon;
	int one = 1;

	hp = hp ? hp + 3 : base;
	colon = strrchr(hp, ':');
	if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
		die("bad base URL %s", base);
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	sa.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("not an IPv4 address: %s", host);
	snprintf(authority, sizeof(authority), "%s", hp);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
create_battles(int n)
{
	for (int i = 0; i < n; i++) {
		struct reply r;
		char name[32];

		snprintf(name, sizeof(name), "h2 battle %d", i);
		client_json(&r, "POST", "/v1/battles", NULL, json_pack("{s:s}",
		    "name", name));
		expect_status(&r, 201, "create battle");
		snprintf(sse[i].id, sizeof(sse[i].id), "%s",
		    reply_str(&r, "id"));
		snprintf(sse[i].token, sizeof(sse[i].token), "%s",
		    reply_str(&r, "gm_token"));
		reply_free(&r);
	}
	nsse = n;
}

static void
open_streams(nghttp2_session *session)
{
	for (int i = 0; i < nsse; i++) {
		char path[256], auth[256];
		nghttp2_nv nv[] = {
			{ (uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0 },
			{ (uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0 },
			{ (uint8_t *)":authority", (uint8_t *)authority, 10,
			  strlen(authority), 0 },
			{ (uint8_t *)":path", (uint8_t *)path, 5, 0, 0 },
			{ (uint8_t *)"authorization", (uint8_t *)auth, 13, 0,
			  0 },
			{ (uint8_t *)"accept", (uint8_t *)"text/event-stream",
			  6, 17, 0 },
		};

		snprintf(path, sizeof(path), "/v1/battles/%.63s/events",
		    sse[i].id);
		snprintf(auth, sizeof(auth), "Bearer %.63s", sse[i].token);
		nv[3].valuelen = strlen(path);
		nv[4].valuelen = strlen(auth);
		sse[i].stream_id = nghttp2_submit_request(session, NULL, nv,
		    sizeof(nv) / sizeof(nv[0]), NULL, NULL);
		if (sse[i].stream_id < 0)
			die("%s", "nghttp2_submit_request failed");
	}
}

int
main(int argc, char **argv)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *session;
	nghttp2_option *opt;
	nghttp2_settings_entry settings[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, SLOW_WINDOW },
	};
	char text[900];
	int nbattles;
	double t0;
	size_t slow_len;

	if (argc != 4) {
		fprintf(stderr, "usage: h2streams BASE_URL NBATTLES NEVENTS\n");
		return 2;
	}
	nbattles = (int)strtol(argv[2], NULL, 10);
	nevents = (int)strtol(argv[3], NULL, 10);
	if (nbattles < 1 || nbattles > MAX_BATTLES || nevents < 1)
		die("%s", "bad counts");
	signal(SIGPIPE, SIG_IGN);
	client_init(argv[1]);
	/* The last battle's stream is the one whose reader stops reading. */
	create_battles(nbattles + 1);
	sse[nbattles].slow = 1;

	connect_to(argv[1]);
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	nghttp2_option_new(&opt);
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_session_client_new2(&session, cb, NULL, opt);
	nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 2);
	open_streams(session);
	pump(session, 10000, all_snapshots);
	if (!all_snapshots())
		die("%s", "not every stream got its snapshot within 10 s");
	printf("%d event streams open on one HTTP/2 connection\n", nsse);

	/* Fill the stalled stream's window, then some. */
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (int j = 0; j < 2 * SLOW_WINDOW / (int)sizeof(text) + 2; j++)
		narrate(nbattles, text);
	pump(session, 300, NULL);
	slow_len = sse[nbattles].len;

	t0 = now_s();
	for (int k = 0; k < nevents; k++) {
		for (int i = 0; i < nbattles; i++) {
			char m[32];

			snprintf(m, sizeof(m), "m%d-%d", i, k);
			narrate(i, m);
		}
		pump(session, 10, NULL);
	}
	pump(session, 15000, all_events);
	for (int i = 0; i < nbattles; i++) {
		long prev = -1;

		for (int k = 0; k < nevents; k++) {
			long at = marker_at(i, i, k);
			char what[64];

			snprintf(what, sizeof(what), "m%d-%d", i, k);
			if (at < 0)
				die("stream of battle %s never got its event",
				    what);
			if (at < prev)
				die("event %s came out of order", what);
			prev = at;
		}
		for (int b = 0; b < nbattles; b++)
			if (b != i && marker_at(i, b, 0) >= 0)
				die("%s", "a stream got another battle's event");
	}
	printf("%d streams x %d events each, all in order, %.2f s after the "
	    "first post\n", nbattles, nevents, now_s() - t0);
	if (sse[nbattles].len != slow_len || sse[nbattles].len > SLOW_WINDOW)
		die("%s", "the stalled stream received past its window");
	printf("the stalled stream holds at %zu bytes (window %d)\n",
	    sse[nbattles].len, SLOW_WINDOW);

	/* The stream module drops a stream whose bytes do not move. */
	pump(session, 15000, slow_closed);
	if (!sse[nbattles].closed)
		die("%s", "the stalled stream was not closed by the server");
	printf("the server closed the stalled stream (error code %u)\n",
	    sse[nbattles].close_code);
	for (int i = 0; i < nbattles; i++)
		if (sse[i].closed)
			die("%s", "a healthy stream was closed");

	nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR);
	pump(session, 100, NULL);
	nghttp2_session_del(session);
	nghttp2_session_callbacks_del(cb);
	nghttp2_option_del(opt);
	close(fd);
	for (int i = 0; i < nsse; i++)
		free(sse[i].data);
	client_cleanup();
	printf("h2streams: ok\n");
	return 0;
}
