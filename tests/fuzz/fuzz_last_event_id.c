/*
 * Fuzz target: resuming an event stream (src/api/events.c,
 * src/stream.c): the Last-Event-ID header, or ?last_event_id= and
 * Accept-Encoding, of a request for a channel that has published enough
 * events to have evicted some from its replay ring.  The input's first
 * byte picks the viewer (bits 0-1) and whether the id comes as the
 * header (bit 2 clear) or in the query (set); the rest, up to a newline,
 * is the header value or the raw query, and after the newline comes
 * Accept-Encoding.  The subscriber's bytes (replay or snapshot, gzip or
 * not) are read out as a transport would.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "alloc.h"
#include "api/api.h"
#include "fuzz.h"
#include "log.h"
#include "loop.h"
#include "request.h"
#include "stream.h"

static struct loop *loop;
static struct stream *stream;
static struct channel *channel;
static int counter;

static json_t *
fake_document(void *arg, enum viewer viewer)
{
	(void)arg;
	return json_pack("{s:i, s:b}", "counter", counter, "gm",
	    viewer == VIEWER_GM);
}

static json_t *
fake_log_entry(void *arg, enum viewer viewer, const json_t *entry)
{
	(void)arg;
	(void)viewer;
	return json_deep_copy(entry);
}

static int64_t
fake_wall_ms(void)
{
	return INT64_C(1700000000000);
}

static void
take_stream(struct request *req, struct response *resp)
{
	struct iovec iov[16];
	size_t total = 0;
	int n;

	(void)req;
	while (resp->stream != NULL &&
	    (n = subscriber_iov(resp->stream, iov, 16)) > 0) {
		size_t got = 0;

		for (int i = 0; i < n; i++)
			got += iov[i].iov_len;
		subscriber_consumed(resp->stream, got, 0);
		total += got;
	}
	(void)total;
	response_free(resp);
}

static const struct request_transport stream_transport = {
	.respond = take_stream,
};

/* Enough events (20) for a ring of 8 to have evicted some. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct stream_options opts = {
		.debounce_ms = 0, .heartbeat_s = 15, .retry_ms = 3000,
		.ring_events = 8, .ring_bytes = 1 << 20,
		.max_backlog = 1 << 20, .write_timeout_s = 30,
		.wall_ms = fake_wall_ms,
	};
	struct channel_source src = {
		.document = fake_document, .log_entry = fake_log_entry,
	};

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	if (loop_new(&loop) != 0)
		abort();
	stream = stream_new(loop, NULL, &opts);
	channel = channel_new(stream, "b1", 7, &src);
	for (int i = 0; i < 20; i++) {
		json_t *log = json_pack("[{s:i, s:s, s:s}]", "seq", i + 1,
		    "kind", "narration", "text", "Broadside!");

		counter++;
		channel_changed(channel, (const json_t *[VIEWER_COUNT]){ log },
		    1);
		json_decref(log);
		loop_run_once(loop, 50);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *id, *enc;
	size_t idlen, enclen;
	struct request *req;
	char *value;

	if (size < 1)
		return 0;
	fuzz_split(data + 1, size - 1, '\n', &id, &idlen, &enc, &enclen);
	req = request_new(&stream_transport, NULL);
	value = fuzz_strndup(id, idlen);
	if (data[0] & 4) {
		free(req->query);
		req->query = value;
	} else {
		request_add_header(req, "Last-Event-ID", value);
		free(value);
	}
	if (enc != NULL) {
		value = fuzz_strndup(enc, enclen);
		request_add_header(req, "Accept-Encoding", value);
		free(value);
	}
	api_event_stream(req, channel, (enum viewer)((data[0] & 3) %
	    VIEWER_COUNT), data[0] & 3 ? 1 : 0);
	request_free(req);
	/* Publish the presence change, as the loop would. */
	loop_run_once(loop, 0);
	return 0;
}
