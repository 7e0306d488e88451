/*
 * Raw bytes into the transports (fuzz_wire.h).  The router answers a few
 * paths the way the real handlers do: at once (/now), on a later turn of
 * the loop (/later, as a handler waiting for a commit), with an event
 * stream (/events, a ROUTE_STREAMS route on a channel that has published
 * a few events) and 404 for the rest, so every path through the
 * transports is taken: bodies, early and late answers, aborts of
 * waiting requests, event streams and their closing.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "api/api.h"
#include "fuzz_wire.h"
#include "http1.h"
#include "http2.h"
#include "log.h"
#include "loop.h"
#include "request.h"
#include "route.h"
#include "stream.h"

/* Loop turns while the client is connected, and after it left. */
#define WIRE_TURNS_OPEN 4
#define WIRE_TURNS_CLOSING 50
#define WIRE_MAX_LEFT_OPEN 64

static struct loop *loop;
static struct router *router;
static struct http1 *h1;
static struct http2 *h2;
static struct stream *stream;
static struct channel *channel;

struct later {
	struct request *req;
	int gone;
};

static void
answer_now(struct request *req, void *ctx)
{
	struct response *resp = response_new(200);
	char *body = xasprintf("{\"method\":\"%s\",\"bytes\":%zu}\n",
	    req->method == HTTP_OTHER ? "other" : "known", req->body_len);

	(void)ctx;
	response_add_header(resp, "X-Fuzz", "1");
	response_set_body(resp, "application/json", body, strlen(body));
	request_respond(req, resp);
}

static void
later_abort(struct request *req, void *arg)
{
	struct later *l = arg;

	(void)req;
	l->gone = 1;
}

static void
later_answer(struct loop *l_, void *arg)
{
	struct later *l = arg;

	(void)l_;
	if (!l->gone)
		answer_now(l->req, NULL);
	free(l);
}

static void
answer_later(struct request *req, void *ctx)
{
	struct later *l = xcalloc(1, sizeof(*l));

	(void)ctx;
	l->req = req;
	request_on_abort(req, later_abort, l);
	loop_defer(loop, later_answer, l);
}

static void
answer_events(struct request *req, void *ctx)
{
	(void)ctx;
	api_event_stream(req, channel, VIEWER_CREW, 1);
}

static void
answer_missing(struct request *req, void *ctx)
{
	(void)ctx;
	request_respond(req, response_problem(404, "not-found", "Not found",
	    "Nothing here."));
}

static const struct route wire_routes[] = {
	{ "/now", HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_PATCH |
	  HTTP_DELETE, answer_now, "now", 0 },
	{ "/later", HTTP_GET | HTTP_POST | HTTP_PUT, answer_later, "later",
	  0 },
	{ "/events", HTTP_GET, answer_events, "events", ROUTE_STREAMS },
	{ "/{*}", HTTP_GET | HTTP_HEAD, answer_missing, "missing", 0 },
};

static json_t *
fake_document(void *arg, enum viewer viewer)
{
	(void)arg;
	return json_pack("{s:i}", "viewer", (int)viewer);
}

static json_t *
fake_log_entry(void *arg, enum viewer viewer, const json_t *entry)
{
	(void)arg;
	(void)viewer;
	return json_deep_copy(entry);
}

void
wire_init(void)
{
	struct channel_source src = {
		.document = fake_document, .log_entry = fake_log_entry,
	};

	log_set_level(LOG_LEVEL_ERROR);
	if (loop_new(&loop) != 0)
		abort();
	router = router_new(wire_routes, sizeof(wire_routes) /
	    sizeof(wire_routes[0]), NULL, NULL, NULL);
	stream = stream_new(loop, NULL, &(struct stream_options){
		.debounce_ms = 0, .heartbeat_s = 15, .retry_ms = 3000,
		.ring_events = 8, .ring_bytes = 1 << 20,
		.max_backlog = 1 << 20, .write_timeout_s = 30,
	    });
	channel = channel_new(stream, "b1", 1, &src);
	for (int i = 0; i < 3; i++) {
		json_t *log = json_pack("[{s:i, s:s}]", "seq", i + 1, "kind",
		    "narration");

		channel_changed(channel, (const json_t *[VIEWER_COUNT]){ log },
		    1);
		json_decref(log);
		loop_run_once(loop, 10);
	}
	/* The daemon's defaults (conf.c), with a small body cap. */
	if (http1_new(&h1, loop, router, &(struct http1_options){
		.max_body = 4096, .max_connections = 1024,
		.idle_timeout_s = 30, .conn_memory = 32 * 1024,
	    }) != 0)
		abort();
	http2_new(&h2, loop, router, &(struct http2_options){
		.max_body = 4096, .max_streams = 100,
		.max_header_list = 16384, .idle_timeout_s = 30,
	    });
}

/* Reads and drops whatever the server sent; returns 0 at EOF. */
static int
drain(int fd)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0 ? 0 : 1;
}

static size_t
open_connections(void)
{
	return http1_connections(h1) + http2_connections(h2);
}

void
wire_run(enum wire_protocol proto, const uint8_t *data, size_t size)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(40000),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	size_t before = open_connections(), off = 0;
	int sv[2], open_ = 1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) != 0)
		abort();
	/* Whatever fits in the socket now; the rest after the first turns. */
	while (off < size) {
		ssize_t n = send(sv[0], data + off, size - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (proto == WIRE_HTTP2)
		http2_add_connection(h2, sv[1], (struct sockaddr *)&addr,
		    sizeof(addr));
	else if (!http2_try_upgrade(h2, sv[1], (struct sockaddr *)&addr,
	    sizeof(addr)))
		http1_add_connection(h1, sv[1], (struct sockaddr *)&addr,
		    sizeof(addr));
	for (int i = 0; i < WIRE_TURNS_OPEN; i++) {
		loop_run_once(loop, 0);
		while (off < size) {
			ssize_t n = send(sv[0], data + off, size - off,
			    MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
		open_ = drain(sv[0]);
	}
	shutdown(sv[0], SHUT_WR);
	for (int i = 0; i < WIRE_TURNS_OPEN && open_; i++) {
		loop_run_once(loop, 0);
		open_ = drain(sv[0]);
	}
	close(sv[0]);
	for (int i = 0; i < WIRE_TURNS_CLOSING &&
	    open_connections() > before; i++)
		loop_run_once(loop, 1);
	if (open_connections() > WIRE_MAX_LEFT_OPEN) {
		fprintf(stderr, "fuzz_wire: %zu connections left open after "
		    "their clients closed\n", open_connections());
		abort();
	}
}
