/*
 * Unit tests for the event stream (src/stream.c) with a fake battle and a
 * fake transport: debounced publishing, deltas that rebuild the document,
 * replay from the ring and snapshots past it, a slow reader dropped at its
 * backlog bound, gzip that inflates to the plain bytes, and private events.
 * gzip is compressed once per event and shared: a subscriber that joins
 * late, or resumes from the ring, still gets a stream that inflates, and
 * a drain ends every gzip stream with a trailer whose CRC checks.
 * Event ids: each view numbers its own events densely, so a change only
 * the GM sees leaves no trace in the crew's ids; resuming replays exactly
 * what was missed, and an id that is not the view's own gets a snapshot.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "loop.h"
#include "patch.h"
#include "stream.h"

/*
 * The fake battle: a counter that every view sees, a GM secret, and a
 * hidden ship that only the GM sees (its x).
 */
struct fake {
	int counter;
	int published;		/* the counter at the last patches() */
	int hidden_x;
	int hidden_published;	/* hidden_x at the last patches() */
	char pad[2048];
};


static json_t *
fake_document(void *arg, enum viewer viewer)
{
	struct fake *f = arg;
	json_t *doc = json_pack("{s:i, s:s}", "counter", f->counter, "pad",
	    f->pad);

	if (viewer == VIEWER_GM) {
		json_object_set_new(doc, "secret", json_integer(f->counter * 7));
		json_object_set_new(doc, "hidden_x", json_integer(f->hidden_x));
	}
	return doc;
}

/*
 * A change-tracking source's document: the state its last patches()
 * published (stream.h).
 */
static json_t *
fake_published_document(void *arg, enum viewer viewer)
{
	struct fake *f = arg;
	int now = f->counter, hidden_now = f->hidden_x;
	json_t *doc;

	f->counter = f->published;
	f->hidden_x = f->hidden_published;
	doc = fake_document(f, viewer);
	f->counter = now;
	f->hidden_x = hidden_now;
	return doc;
}

/* A change-tracking source: the patch from the published counter. */
static void
fake_patches(void *arg, unsigned views, json_t *patch[VIEWER_COUNT])
{
	struct fake *f = arg;
	int now = f->counter, hidden_now = f->hidden_x;

	for (int v = 0; v < VIEWER_COUNT; v++) {
		json_t *was, *cur;

		if (!(views & (1u << v)))
			continue;
		was = fake_published_document(f, (enum viewer)v);
		cur = fake_document(f, (enum viewer)v);
		patch[v] = patch_diff(was, cur);
		json_decref(was);
		json_decref(cur);
	}
	f->published = now;
	f->hidden_published = hidden_now;
}

static json_t *
fake_log_entry(void *arg, enum viewer viewer, const json_t *entry)
{
	return json_deep_copy(entry);
}

/* The fake transport: collects what the subscriber has, when told to. */
struct sink {
	struct subscriber *sub;
	char *bytes;
	size_t len;
	int kicks, closes;
	int reading;		/* a slow reader never reads */
};

static void
sink_take(struct sink *k)
{
	struct iovec iov[16];
	int n;

	while ((n = subscriber_iov(k->sub, iov, 16)) > 0) {
		size_t got = 0;

		for (int i = 0; i < n; i++) {
			k->bytes = realloc(k->bytes, k->len + iov[i].iov_len + 1);
			memcpy(k->bytes + k->len, iov[i].iov_base,
			    iov[i].iov_len);
			k->len += iov[i].iov_len;
			got += iov[i].iov_len;
		}
		k->bytes[k->len] = '\0';
		subscriber_consumed(k->sub, got, 0);
	}
}

static void
sink_kick(void *ctx)
{
	struct sink *k = ctx;

	k->kicks++;
	if (k->reading)
		sink_take(k);
}

static void
sink_close(void *ctx)
{
	struct sink *k = ctx;

	k->closes++;
}

static const struct subscriber_transport sink_ops = {
	.kick = sink_kick,
	.close = sink_close,
};

/* A new subscriber of c (subscriber_new()'s arguments) read by sink k. */
static void
watch(struct sink *k, struct channel *c, enum viewer viewer, int member,
    int gzip, const char *last_event_id)
{
	k->sub = subscriber_new(c, viewer, member, gzip, last_event_id);
	subscriber_attach(k->sub, &sink_ops, k);
}

/* A stopped wall clock: two streams' bytes can be compared. */
static int64_t
fake_wall_ms(void)
{
	return INT64_C(1700000000000);
}

static struct stream_options opts = {
	.debounce_ms = 0, .heartbeat_s = 15, .retry_ms = 3000,
	.ring_events = 8, .ring_bytes = 1 << 20, .max_backlog = 64 * 1024,
	.write_timeout_s = 30, .wall_ms = fake_wall_ms,
};

static struct channel *
fake_channel(struct stream *s, struct fake *f)
{
	struct channel_source src = {
		.document = fake_document, .log_entry = fake_log_entry, .arg = f,
	};

	memset(f->pad, 'p', sizeof(f->pad) - 1);
	return channel_new(s, "b1", 7, &src);
}

/* Applies the SSE text: snapshot then deltas; returns the document. */
static json_t *
replay_text(const char *text, int *snapshots, char *last_id)
{
	json_t *state = NULL;
	const char *p = text;
	char event[32] = "";

	*snapshots = 0;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 7 && strncmp(p, "event: ", 7) == 0)
			snprintf(event, sizeof(event), "%.*s", (int)len - 7,
			    p + 7);
		else if (len > 4 && strncmp(p, "id: ", 4) == 0)
			snprintf(last_id, 64, "%.*s", (int)len - 4, p + 4);
		else if (len > 6 && strncmp(p, "data: ", 6) == 0) {
			json_t *d = json_loadb(p + 6, len - 6, 0, NULL), *n;

			assert_non_null(d);
			if (strcmp(event, "snapshot") == 0) {
				/* The server's clock rides on the snapshot. */
				assert_true(json_is_integer(json_object_get(d,
				    "now")));
				json_decref(state);
				state = json_deep_copy(d);
				json_object_del(state, "now");
				(*snapshots)++;
			} else if (strcmp(event, "delta") == 0) {
				n = patch_apply(state, d);
				json_decref(state);
				state = n;
			}
			json_decref(d);
		}
		p += len + (nl ? 1 : 0);
	}
	return state;
}

static void
change(struct loop *loop, struct channel *c, struct fake *f)
{
	json_t *log = json_pack("[{s:i, s:s}]", "seq", f->counter + 1, "kind",
	    "narration");

	f->counter++;
	channel_changed(c, (const json_t *[VIEWER_COUNT]){ log }, 1);
	json_decref(log);
	/* debounce 0: published on the next turn of the loop. */
	assert_int_equal(loop_run_once(loop, 50), 0);
}

static void
test_snapshot_deltas_and_resume(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink a = { .reading = 1 }, b = { .reading = 1 };
	char last[64] = "";
	json_t *doc, *want;
	int snaps;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = fake_channel(s, &f);
	watch(&a, c, VIEWER_CREW, 1, 0, NULL);
	for (int i = 0; i < 3; i++)
		change(loop, c, &f);
	doc = replay_text(a.bytes, &snaps, last);
	want = fake_document(&f, VIEWER_CREW);
	assert_true(json_equal(doc, want));
	assert_int_equal(snaps, 1);
	assert_null(strstr(a.bytes, "secret"));
	assert_non_null(strstr(a.bytes, "retry: 3000\n"));
	/* The opening event, then the snapshot, on the stream's clock. */
	assert_non_null(strstr(a.bytes, "retry: 3000\n:ok\n\nevent: hello\n"
	    "data: {\"heartbeat_ms\":15000,\"now\":1700000000000,"
	    "\"retry_ms\":3000}\n\n"));
	assert_non_null(strstr(a.bytes, "\"now\":1700000000000,\"pad\""));
	json_decref(doc);

	/* b resumes from a's last id after two more changes: a replay. */
	for (int i = 0; i < 2; i++)
		change(loop, c, &f);
	watch(&b, c, VIEWER_CREW, 2, 0, last);
	assert_null(strstr(b.bytes, "snapshot"));
	assert_non_null(strstr(b.bytes, "event: delta"));
	subscriber_free(b.sub);
	free(b.bytes);

	/* Past the ring (8 events): a snapshot instead. */
	for (int i = 0; i < 12; i++)
		change(loop, c, &f);
	memset(&b, 0, sizeof(b));
	b.reading = 1;
	watch(&b, c, VIEWER_CREW, 2, 0, last);
	doc = replay_text(b.bytes, &snaps, last);
	assert_int_equal(snaps, 1);
	json_decref(want);
	want = fake_document(&f, VIEWER_CREW);
	assert_true(json_equal(doc, want));
	json_decref(doc);
	json_decref(want);

	subscriber_free(a.sub);
	subscriber_free(b.sub);
	free(a.bytes);
	free(b.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

static void
test_slow_reader_is_dropped(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink slow = { .reading = 0 };
	size_t opened;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = fake_channel(s, &f);
	watch(&slow, c, VIEWER_SPECTATOR, -1, 0, NULL);
	/* The opening (hello, snapshot) does not count against the bound. */
	opened = subscriber_backlog(slow.sub);
	/* Each change queues a 2 KB log entry: 64 KB is passed quickly. */
	for (int i = 0; i < 200 && slow.closes == 0; i++) {
		json_t *log = json_pack("[{s:s}]", "text", f.pad);

		channel_changed(c, (const json_t *[VIEWER_COUNT]){ log }, 1);
		json_decref(log);
		assert_int_equal(loop_run_once(loop, 50), 0);
	}
	assert_int_equal(slow.closes, 1);
	assert_true(subscriber_closing(slow.sub));
	/* Closed, it queues nothing more: memory stays bounded. */
	{
		size_t before = subscriber_backlog(slow.sub);

		change(loop, c, &f);
		assert_int_equal(subscriber_backlog(slow.sub), before);
		assert_true(before <= opened + opts.max_backlog +
		    sizeof(f.pad) + 256);
	}
	subscriber_free(slow.sub);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

static void
test_gzip_inflates_to_plain_and_private_events(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink plain = { .reading = 1 }, gz = { .reading = 1 };
	char out[65536];
	z_stream zs;
	json_t *data;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = fake_channel(s, &f);
	watch(&plain, c, VIEWER_GM, 0, 0, NULL);
	watch(&gz, c, VIEWER_GM, 0, 1, NULL);
	for (int i = 0; i < 5; i++)
		change(loop, c, &f);
	data = json_pack("{s:i}", "round", 1);
	channel_private(c, 0, "accepted", data);
	channel_private(c, 9, "accepted", data);	/* nobody's */
	json_decref(data);

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (Bytef *)gz.bytes;
	zs.avail_in = (uInt)gz.len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = sizeof(out) - 1;
	/* Every event was flushed: all of it inflates now. */
	assert_true(inflate(&zs, Z_SYNC_FLUSH) >= 0);
	out[sizeof(out) - 1 - zs.avail_out] = '\0';
	inflateEnd(&zs);
	assert_true(gz.len < plain.len);
	assert_string_equal(out, plain.bytes);
	assert_non_null(strstr(plain.bytes, "event: accepted\ndata: "
	    "{\"round\":1}\n\n"));
	/* Only member 0's: the event for member 9 went nowhere. */
	assert_null(strstr(strstr(plain.bytes, "event: accepted") + 1,
	    "event: accepted"));

	subscriber_free(plain.sub);
	subscriber_free(gz.sub);
	free(plain.bytes);
	free(gz.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * Inflates a whole gzip stream into out (NUL-terminated); returns
 * inflate's last code: Z_STREAM_END when the trailer came and its CRC-32
 * and length matched.
 */
static int
gunzip(const struct sink *k, char *out, size_t cap)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (Bytef *)k->bytes;
	zs.avail_in = (uInt)k->len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap - 1;
	rc = inflate(&zs, Z_SYNC_FLUSH);
	out[cap - 1 - zs.avail_out] = '\0';
	inflateEnd(&zs);
	return rc;
}

static void
test_gzip_shared_late_join_replay_and_drain(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink early = { .reading = 1 }, late = { .reading = 1 };
	struct sink resumed = { .reading = 1 }, plain = { .reading = 1 };
	static char out[65536];
	char first_id[64] = "";
	const char *id;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = fake_channel(s, &f);
	watch(&early, c, VIEWER_CREW, 1, 1, NULL);
	watch(&plain, c, VIEWER_CREW, 2, 0, NULL);
	for (int i = 0; i < 3; i++)
		change(loop, c, &f);
	/* The last id so far, to resume from: one change ago. */
	for (id = plain.bytes; (id = strstr(id, "\nid: ")) != NULL; id++)
		sscanf(id, "\nid: %63s", first_id);
	assert_true(first_id[0] != '\0');
	change(loop, c, &f);
	watch(&late, c, VIEWER_CREW, 3, 1, NULL);
	watch(&resumed, c, VIEWER_CREW, 4, 1, first_id);
	for (int i = 0; i < 2; i++)
		change(loop, c, &f);
	stream_drain(s);

	/* Each stream is whole and checks, wherever it joined. */
	assert_int_equal(gunzip(&early, out, sizeof(out)), Z_STREAM_END);
	assert_non_null(strstr(out, "retry: 1000"));
	assert_int_equal(gunzip(&late, out, sizeof(out)), Z_STREAM_END);
	assert_non_null(strstr(out, "event: snapshot"));
	assert_int_equal(gunzip(&resumed, out, sizeof(out)), Z_STREAM_END);
	/* Replayed from the ring: deltas, no snapshot. */
	assert_null(strstr(out, "event: snapshot"));
	assert_non_null(strstr(out, "event: delta"));
	/*
	 * From the first change on, the early stream carries exactly what
	 * the plain one got.
	 */
	assert_int_equal(gunzip(&early, out, sizeof(out)), Z_STREAM_END);
	assert_non_null(strstr(out, "event: delta"));
	assert_string_equal(strstr(out, "event: delta"),
	    strstr(plain.bytes, "event: delta"));

	/* A cut stream does not pass for a whole one. */
	early.len -= 4;
	assert_int_not_equal(gunzip(&early, out, sizeof(out)), Z_STREAM_END);

	subscriber_free(early.sub);
	subscriber_free(late.sub);
	subscriber_free(resumed.sub);
	subscriber_free(plain.sub);
	free(early.bytes);
	free(late.bytes);
	free(resumed.bytes);
	free(plain.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

/*
 * The leading-edge throttle: the first change of a quiet channel goes out
 * on the next turn of the loop, even with a long window; changes within
 * the window after it are held and go out together at its end.
 */
static void
test_first_change_at_once_then_coalesced(void **state)
{
	struct stream_options slow = opts;
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink a = { .reading = 1 };
	json_t *none = json_array();
	int deltas;

	slow.debounce_ms = 1000;
	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &slow);
	c = fake_channel(s, &f);
	watch(&a, c, VIEWER_CREW, 1, 0, NULL);
	/* The subscriber's own presence publish, then a quiet window. */
	for (int i = 0; i < 300 && count(a.bytes, "event: presence") < 2; i++)
		loop_run_once(loop, 10);
	loop_run_once(loop, 1100);

	f.counter++;
	channel_changed(c, (const json_t *[VIEWER_COUNT]){ none }, 1);
	loop_run_once(loop, 0);
	deltas = count(a.bytes, "event: delta");
	assert_int_equal(deltas, 1);

	/* Two more within the window: nothing yet... */
	for (int i = 0; i < 2; i++) {
		f.counter++;
		channel_changed(c, (const json_t *[VIEWER_COUNT]){ none }, 1);
		loop_run_once(loop, 0);
	}
	assert_int_equal(count(a.bytes, "event: delta"), 1);
	/* ...then one delta for both at the window's end. */
	for (int i = 0; i < 300 && count(a.bytes, "event: delta") < 2; i++)
		loop_run_once(loop, 10);
	assert_int_equal(count(a.bytes, "event: delta"), 2);
	assert_non_null(strstr(strrchr(a.bytes, '{'), "\"counter\":3"));

	json_decref(none);
	subscriber_free(a.sub);
	free(a.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * With a source that tracks changes: deltas come from its patches, and a
 * subscriber that joins between changes gets a snapshot that the later
 * deltas bring to the battle as it stands, as does the first.
 */
static void
test_tracked_source(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct channel_source src = {
		.document = fake_published_document,
		.log_entry = fake_log_entry, .patches = fake_patches, .arg = &f,
	};
	struct sink a = { .reading = 1 }, b = { .reading = 1 };
	struct sink gm = { .reading = 1 };
	char last[64] = "";
	json_t *doc, *want;
	int snaps;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	memset(f.pad, 'p', sizeof(f.pad) - 1);
	c = channel_new(s, "b1", 7, &src);
	watch(&a, c, VIEWER_CREW, 1, 0, NULL);
	for (int i = 0; i < 3; i++)
		change(loop, c, &f);
	watch(&b, c, VIEWER_CREW, 2, 0, NULL);
	watch(&gm, c, VIEWER_GM, 0, 0, NULL);
	for (int i = 0; i < 2; i++)
		change(loop, c, &f);

	want = fake_document(&f, VIEWER_CREW);
	doc = replay_text(a.bytes, &snaps, last);
	assert_true(json_equal(doc, want));
	assert_int_equal(snaps, 1);
	json_decref(doc);
	doc = replay_text(b.bytes, &snaps, last);
	assert_true(json_equal(doc, want));
	json_decref(doc);
	json_decref(want);
	want = fake_document(&f, VIEWER_GM);
	doc = replay_text(gm.bytes, &snaps, last);
	assert_true(json_equal(doc, want));
	/* The deltas were the source's: only what changed. */
	assert_non_null(strstr(gm.bytes, "event: delta\ndata: {\"counter\":5,"
	    "\"secret\":35}\n"));
	json_decref(doc);
	json_decref(want);

	subscriber_free(a.sub);
	subscriber_free(b.sub);
	subscriber_free(gm.sub);
	free(a.bytes);
	free(b.bytes);
	free(gm.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/* A channel over the change-tracking fake. */
static struct channel *
tracked_channel(struct stream *s, struct fake *f)
{
	struct channel_source src = {
		.document = fake_published_document,
		.log_entry = fake_log_entry, .patches = fake_patches, .arg = f,
	};

	memset(f->pad, 'p', sizeof(f->pad) - 1);
	return channel_new(s, "b1", 7, &src);
}

/* The GM moves the hidden ship: a change no one but the GM sees. */
static void
hidden_move(struct loop *loop, struct channel *c, struct fake *f)
{
	json_t *none = json_array();

	f->hidden_x++;
	channel_changed(c, (const json_t *[VIEWER_COUNT]){ none }, 1);
	json_decref(none);
	assert_int_equal(loop_run_once(loop, 50), 0);
}

/*
 * A subscriber that joins while a change is committed but not yet
 * published, and the value changes back before the publish: its
 * snapshot is the published state, which the (empty) delta leaves as the
 * battle stands.  A snapshot of the committed state would be stuck one
 * change ahead: the publish's patch, from the published state, has
 * nothing to undo it.
 */
static void
test_tracked_join_before_publish(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink gm = { .reading = 1 }, crew = { .reading = 1 };
	json_t *none = json_array(), *doc, *want;
	char last[64] = "";
	int snaps;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = tracked_channel(s, &f);
	watch(&gm, c, VIEWER_GM, 0, 0, NULL);
	change(loop, c, &f);
	f.counter++;
	channel_changed(c, (const json_t *[VIEWER_COUNT]){ none }, 1);
	watch(&crew, c, VIEWER_CREW, 1, 0, NULL);
	f.counter--;
	channel_changed(c, (const json_t *[VIEWER_COUNT]){ none }, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(loop_run_once(loop, 20), 0);

	want = fake_document(&f, VIEWER_CREW);
	doc = replay_text(crew.bytes, &snaps, last);
	assert_int_equal(snaps, 1);
	assert_true(json_equal(doc, want));
	json_decref(doc);
	json_decref(want);
	want = fake_document(&f, VIEWER_GM);
	doc = replay_text(gm.bytes, &snaps, last);
	assert_true(json_equal(doc, want));
	json_decref(doc);
	json_decref(want);

	json_decref(none);
	subscriber_free(gm.sub);
	subscriber_free(crew.sub);
	free(gm.bytes);
	free(crew.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * The SEQs of every id in text ("id: " lines, "EPOCH-V-SEQ"), in order;
 * returns how many.  All but the SEQ must be the same in each (one
 * stream, one sequence): prefix gets it.
 */
static int
ids_of(const char *text, unsigned long long *seqs, int max,
    char prefix[64])
{
	char first[64] = "";
	int n = 0;

	for (const char *p = text; (p = strstr(p, "\nid: ")) != NULL; p++) {
		const char *dash, *start = p + 5;
		char *end;

		assert_true(n < max);
		for (dash = start; *dash != '\n'; dash++)
			;
		while (dash > start && dash[-1] != '-')
			dash--;
		if (n == 0)
			snprintf(first, sizeof(first), "%.*s",
			    (int)(dash - start), start);
		if ((size_t)(dash - start) != strlen(first) ||
		    strncmp(start, first, strlen(first)) != 0) {
			fprintf(stderr, "id %.20s after ids %s...\n", start,
			    first);
			fail();
		}
		seqs[n++] = strtoull(dash, &end, 10);
		assert_true(*end == '\n');
	}
	snprintf(prefix, 64, "%s", first);
	return n;
}

/* The ids are "EPOCH-V-": the channel's epoch, and the view's tag. */
static void
assert_ids_of_view(const char *prefix, char tag)
{
	char want[16];

	snprintf(want, sizeof(want), "7-%c-", tag);
	if (strcmp(prefix, want) != 0) {
		fprintf(stderr, "ids %s..., not %s...\n", prefix, want);
		fail();
	}
}

/* Each id is the one before plus one: the view missed no number. */
static void
assert_dense(const unsigned long long *seqs, int n)
{
	for (int i = 1; i < n; i++) {
		if (seqs[i] != seqs[i - 1] + 1) {
			fprintf(stderr, "id %llu follows id %llu\n", seqs[i],
			    seqs[i - 1]);
			fail();
		}
	}
}

/* The last id in text ("" if none). */
static void
last_id_of(const char *text, char out[64])
{
	out[0] = '\0';
	for (const char *p = text; (p = strstr(p, "\nid: ")) != NULL; p++)
		sscanf(p, "\nid: %63s", out);
}

/*
 * Ids leak nothing: while the GM moves a ship the crew does not see, the
 * crew's stream gets no event and its ids no gap; each view numbers its
 * own events, one by one, GM's included.
 */
static void
test_ids_dense_per_view(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink crew = { .reading = 1 }, gm = { .reading = 1 };
	struct sink spec = { .reading = 1 };
	unsigned long long seqs[64];
	char prefix[64];
	int n, before;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = tracked_channel(s, &f);
	watch(&crew, c, VIEWER_CREW, 1, 0, NULL);
	watch(&gm, c, VIEWER_GM, 0, 0, NULL);
	watch(&spec, c, VIEWER_SPECTATOR, -1, 0, NULL);
	for (int i = 0; i < 2; i++)
		change(loop, c, &f);
	before = ids_of(crew.bytes, seqs, 64, prefix);
	for (int i = 0; i < 5; i++)
		hidden_move(loop, c, &f);
	/* Nothing at all for the crew or spectators... */
	assert_int_equal(ids_of(crew.bytes, seqs, 64, prefix), before);
	assert_null(strstr(crew.bytes, "hidden_x"));
	assert_null(strstr(spec.bytes, "hidden_x"));
	/* ...five deltas for the GM. */
	assert_non_null(strstr(gm.bytes, "\"hidden_x\":5"));
	change(loop, c, &f);

	n = ids_of(crew.bytes, seqs, 64, prefix);
	assert_true(n > before);
	assert_dense(seqs, n);
	assert_ids_of_view(prefix, 'c');
	n = ids_of(spec.bytes, seqs, 64, prefix);
	assert_true(n >= 3);
	assert_dense(seqs, n);
	assert_ids_of_view(prefix, 's');
	n = ids_of(gm.bytes, seqs, 64, prefix);
	assert_true(n >= 9);
	assert_dense(seqs, n);
	assert_ids_of_view(prefix, 'g');

	subscriber_free(crew.sub);
	subscriber_free(gm.sub);
	subscriber_free(spec.sub);
	free(crew.bytes);
	free(gm.bytes);
	free(spec.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * A publish reaches a subscriber as one piece (one write): its delta and
 * its log together, one kick for a reader.  Subscribers that join while
 * the view stands still share the snapshot's bytes.
 */
static void
test_publish_one_piece_and_shared_snapshot(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink a = { .reading = 0 }, b = { .reading = 0 };
	struct sink r = { .reading = 1 };
	struct iovec ia[16], ib[16];
	const void *body_a = NULL, *body_b = NULL;
	char *piece;
	int na, nb, kicks;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = fake_channel(s, &f);
	watch(&a, c, VIEWER_CREW, 1, 0, NULL);
	watch(&b, c, VIEWER_CREW, 2, 0, NULL);
	na = subscriber_iov(a.sub, ia, 16);
	nb = subscriber_iov(b.sub, ib, 16);
	for (int i = 0; i < na; i++)
		if (memmem(ia[i].iov_base, ia[i].iov_len, "\"pad\"", 5))
			body_a = ia[i].iov_base;
	for (int i = 0; i < nb; i++)
		if (memmem(ib[i].iov_base, ib[i].iov_len, "\"pad\"", 5))
			body_b = ib[i].iov_base;
	assert_non_null(body_a);
	assert_ptr_equal(body_a, body_b);
	sink_take(&a);
	sink_take(&b);
	watch(&r, c, VIEWER_CREW, 3, 0, NULL);
	/* Everyone's presence, then a quiet channel. */
	assert_int_equal(loop_run_once(loop, 50), 0);
	sink_take(&a);
	kicks = r.kicks;

	change(loop, c, &f);
	assert_int_equal(subscriber_iov(a.sub, ia, 16), 1);
	piece = strndup(ia[0].iov_base, ia[0].iov_len);
	assert_non_null(strstr(piece, "event: delta\n"));
	assert_non_null(strstr(piece, "event: log\n"));
	assert_int_equal(r.kicks, kicks + 1);
	assert_non_null(strstr(r.bytes, piece));
	free(piece);

	subscriber_free(a.sub);
	subscriber_free(b.sub);
	subscriber_free(r.sub);
	free(a.bytes);
	free(b.bytes);
	free(r.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * Resuming replays exactly what the view missed, byte for byte, however
 * much the GM did meanwhile that the view cannot see: the crew's ring is
 * its own, so GM events do not push the crew's out (whether a resume is
 * a replay or a snapshot would tell of them too).
 */
static void
test_resume_replays_exactly(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink live = { .reading = 1 }, gm = { .reading = 1 };
	char last[64];
	const char *tail;

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = tracked_channel(s, &f);
	watch(&live, c, VIEWER_CREW, 1, 0, NULL);
	watch(&gm, c, VIEWER_GM, 0, 0, NULL);
	change(loop, c, &f);
	last_id_of(live.bytes, last);
	assert_true(last[0] != '\0');
	/* Far more than the ring's 8 events for the GM, 2 for the crew. */
	for (int i = 0; i < 20; i++)
		hidden_move(loop, c, &f);
	change(loop, c, &f);

	/* The crew resumes: exactly the bytes the live stream got since. */
	{
		struct sink back = { .reading = 1 };
		char line[80];

		watch(&back, c, VIEWER_CREW, 2, 0, last);
		assert_null(strstr(back.bytes, "event: snapshot"));
		snprintf(line, sizeof(line), "id: %s\n", last);
		tail = strstr(live.bytes, line);
		assert_non_null(tail);
		tail = strstr(tail, "\n\n") + 2;
		assert_non_null(strstr(tail, "event: delta"));
		/* After the opening (retry, hello), only the replay. */
		assert_string_equal(strstr(strstr(back.bytes, "event: hello"),
		    "\n\n") + 2, tail);
		subscriber_free(back.sub);
		free(back.bytes);
	}

	subscriber_free(live.sub);
	subscriber_free(gm.sub);
	free(live.bytes);
	free(gm.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/* A resume after id gets no snapshot and exactly what live got since. */
static void
assert_exact_resume(struct channel *c, enum viewer viewer,
    const struct sink *live, const char *id)
{
	struct sink back = { .reading = 1 };
	char line[80];
	const char *tail;

	watch(&back, c, viewer, viewer == VIEWER_GM ? 0 : viewer ==
	    VIEWER_CREW ? 1 : -1, 0, id);
	assert_null(strstr(back.bytes, "event: snapshot"));
	snprintf(line, sizeof(line), "id: %s\n", id);
	tail = strstr(live->bytes, line);
	assert_non_null(tail);
	tail = strstr(tail, "\n\n") + 2;
	assert_string_equal(strstr(strstr(back.bytes, "event: hello"),
	    "\n\n") + 2, tail);
	subscriber_free(back.sub);
	free(back.bytes);
}

/*
 * The views that get the same event (a narration) share one copy of it
 * in their rings: each view's resume still replays it byte for byte as
 * that view was sent it, under the view's own id.
 */
static void
test_shared_events_resume_per_view(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink k[VIEWER_COUNT] = { { .reading = 1 }, { .reading = 1 },
	    { .reading = 1 } };
	const int member[VIEWER_COUNT] = { 0, 1, -1 };
	char id[VIEWER_COUNT][64];

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = tracked_channel(s, &f);
	for (int v = 0; v < VIEWER_COUNT; v++)
		watch(&k[v], c, (enum viewer)v, member[v], 0, NULL);
	change(loop, c, &f);
	for (int v = 0; v < VIEWER_COUNT; v++) {
		last_id_of(k[v].bytes, id[v]);
		assert_true(id[v][0] != '\0');
	}
	change(loop, c, &f);
	hidden_move(loop, c, &f);
	for (int v = 0; v < VIEWER_COUNT; v++) {
		assert_non_null(strstr(strstr(k[v].bytes, id[v]),
		    "event: log"));
		assert_exact_resume(c, (enum viewer)v, &k[v], id[v]);
	}
	for (int v = 0; v < VIEWER_COUNT; v++) {
		subscriber_free(k[v].sub);
		free(k[v].bytes);
	}
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * Log entries handed over already written (channel_changed_text()) are
 * sent as given, byte for byte, each view its own; a view given no text
 * has its entries written from the source (log_entry()).  The entries of
 * one publish are one "log" event per view, in order.
 */
static void
test_log_text_sent_as_given(void **state)
{
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink k[VIEWER_COUNT] = { { .reading = 1 }, { .reading = 1 },
	    { .reading = 1 } };
	const int member[VIEWER_COUNT] = { 0, 1, -1 };
	const char *gm[2][1] = { { "{\"gm\":1}" }, { "{\"gm\":2}" } };
	const char *crew[2][1] = { { "{\"crew\":1}" }, { "{\"crew\":2}" } };
	const char *want[VIEWER_COUNT] = {
		[VIEWER_GM] = "event: log\ndata: {\"entries\":[{\"gm\":1},"
		    "{\"gm\":2}]}\n",
		[VIEWER_CREW] = "event: log\ndata: {\"entries\":[{\"crew\":1},"
		    "{\"crew\":2}]}\n",
		[VIEWER_SPECTATOR] = "event: log\ndata: {\"entries\":[{\"kind\":"
		    "\"a\",\"seq\":1},{\"kind\":\"b\",\"seq\":2}]}\n",
	};

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = fake_channel(s, &f);
	for (int v = 0; v < VIEWER_COUNT; v++)
		watch(&k[v], c, (enum viewer)v, member[v], 0, NULL);
	for (int i = 0; i < 2; i++) {
		json_t *log = json_pack("[{s:i, s:s}]", "seq", i + 1, "kind",
		    i == 0 ? "a" : "b");

		channel_changed_text(c, 1, (const json_t *[VIEWER_COUNT]){ log },
		    (const char *const *const [VIEWER_COUNT]){
		    [VIEWER_GM] = gm[i], [VIEWER_CREW] = crew[i] }, 0);
		json_decref(log);
	}
	assert_int_equal(loop_run_once(loop, 50), 0);
	for (int v = 0; v < VIEWER_COUNT; v++) {
		assert_non_null(k[v].bytes);
		assert_int_equal(count(k[v].bytes, "event: log"), 1);
		assert_non_null(strstr(k[v].bytes, want[v]));
		subscriber_free(k[v].sub);
		free(k[v].bytes);
	}
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * The bound on a stream's backlog counts what is queued after its
 * opening: a battle whose snapshot alone is larger than the bound can
 * still be watched, and a reader that then stops reading is still
 * dropped once the bound is passed after it.
 */
static void
test_snapshot_larger_than_backlog(void **state)
{
	struct stream_options tiny = opts;
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink slow = { .reading = 0 };
	size_t opened;

	tiny.max_backlog = 64;
	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &tiny);
	c = tracked_channel(s, &f);
	watch(&slow, c, VIEWER_GM, 0, 0, NULL);
	opened = subscriber_backlog(slow.sub);
	assert_true(opened > tiny.max_backlog);
	assert_int_equal(slow.closes, 0);
	assert_false(subscriber_closing(slow.sub));
	for (int i = 0; i < 20 && slow.closes == 0; i++)
		change(loop, c, &f);
	assert_int_equal(slow.closes, 1);
	assert_true(subscriber_backlog(slow.sub) > opened + tiny.max_backlog);
	subscriber_free(slow.sub);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * A resume whose replay would fill more than half of what a stream may
 * queue gets a snapshot instead: sent, it would pass the backlog bound
 * at once and be dropped, at every reconnection again.
 */
static void
test_replay_past_backlog_gets_snapshot(void **state)
{
	struct stream_options small = opts;
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink live = { .reading = 1 }, back = { .reading = 1 };
	struct sink near = { .reading = 1 };
	char early[64], late[64];

	small.ring_events = 1000;
	small.max_backlog = 4096;
	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &small);
	c = tracked_channel(s, &f);
	watch(&live, c, VIEWER_GM, 0, 0, NULL);
	change(loop, c, &f);
	last_id_of(live.bytes, early);
	for (int i = 0; i < 60; i++)
		change(loop, c, &f);
	last_id_of(live.bytes, late);
	change(loop, c, &f);
	/* Every event since early is still in the ring... */
	assert_true(strlen(strstr(live.bytes, early)) > small.max_backlog);
	/* ...but too many bytes for a stream's queue: a snapshot. */
	watch(&back, c, VIEWER_GM, 0, 0, early);
	assert_int_equal(back.closes, 0);
	assert_non_null(strstr(back.bytes, "event: snapshot"));
	/* A short replay still goes as one. */
	watch(&near, c, VIEWER_GM, 0, 0, late);
	assert_int_equal(near.closes, 0);
	assert_null(strstr(near.bytes, "event: snapshot"));
	assert_non_null(strstr(near.bytes, "event: delta"));
	assert_int_equal(live.closes, 0);
	subscriber_free(near.sub);
	subscriber_free(back.sub);
	subscriber_free(live.sub);
	free(near.bytes);
	free(back.bytes);
	free(live.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * A ring's slots grow as events come (16, 32, 64, then the bound): every
 * resume within the ring is exact across the growths, and one from
 * before the ring's oldest event gets a snapshot.
 */
static void
test_ring_grows_to_its_bound(void **state)
{
	struct stream_options big = opts;
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink live = { .reading = 1 }, old = { .reading = 1 };
	char early[64], mid[64];

	big.ring_events = 100;
	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &big);
	c = tracked_channel(s, &f);
	watch(&live, c, VIEWER_GM, 0, 0, NULL);
	for (int i = 0; i < 3; i++)
		change(loop, c, &f);
	last_id_of(live.bytes, early);
	for (int i = 0; i < 27; i++)
		change(loop, c, &f);
	/* 30 changes, 60 GM events: past 16 and 32 slots, within 100. */
	assert_exact_resume(c, VIEWER_GM, &live, early);
	for (int i = 0; i < 20; i++)
		change(loop, c, &f);
	last_id_of(live.bytes, mid);
	for (int i = 0; i < 20; i++)
		change(loop, c, &f);
	/* 140 events: the ring holds the last 100. */
	assert_exact_resume(c, VIEWER_GM, &live, mid);
	watch(&old, c, VIEWER_GM, 0, 0, early);
	assert_non_null(strstr(old.bytes, "event: snapshot"));
	subscriber_free(old.sub);
	free(old.bytes);
	subscriber_free(live.sub);
	free(live.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

/*
 * Any id that is not one of this view's stream in this run (the GM's,
 * from another epoch, not yet sent, malformed) gets a snapshot and
 * nothing of another view.
 */
static void
test_forged_ids_get_snapshot(void **state)
{
	static const char *const forged[] = {
		"", "7", "7-c", "7-c-", "7-c-1x", " 7-c-1", "7-c- 1", "+7-c-1",
		"7-C-1", "7-c--1", "7--1", "7-1", "6-c-1", "8-c-1", "7-c-999",
		"7-c-18446744073709551617", "7-c-99999999999999999999",
		"7-g-1", "7-s-1", "x-c-1", "7-c-1\n",
	};
	struct loop *loop;
	struct stream *s;
	struct fake f = { 0 };
	struct channel *c;
	struct sink live = { .reading = 1 }, gm = { .reading = 1 };
	char gm_last[64];

	assert_int_equal(loop_new(&loop), 0);
	s = stream_new(loop, NULL, &opts);
	c = tracked_channel(s, &f);
	watch(&live, c, VIEWER_CREW, 1, 0, NULL);
	watch(&gm, c, VIEWER_GM, 0, 0, NULL);
	for (int i = 0; i < 2; i++) {
		change(loop, c, &f);
		hidden_move(loop, c, &f);
	}

	/* The GM's own last id on a crew stream first, then the others. */
	last_id_of(gm.bytes, gm_last);
	assert_true(gm_last[0] != '\0');
	for (size_t i = 0; i <= sizeof(forged) / sizeof(forged[0]); i++) {
		struct sink k = { .reading = 1 };
		const char *id = i == 0 ? gm_last : forged[i - 1];

		watch(&k, c, VIEWER_CREW, 2, 0, id);
		if (count(k.bytes, "event: snapshot") != 1) {
			fprintf(stderr, "Last-Event-ID \"%s\": no snapshot\n",
			    id);
			fail();
		}
		assert_int_equal(count(k.bytes, "event: delta"), 0);
		assert_null(strstr(k.bytes, "hidden_x"));
		assert_null(strstr(k.bytes, "secret"));
		assert_null(strstr(k.bytes, "id: 7-g-"));
		subscriber_free(k.sub);
		free(k.bytes);
	}

	subscriber_free(live.sub);
	subscriber_free(gm.sub);
	free(live.bytes);
	free(gm.bytes);
	channel_free(c);
	stream_free(s);
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_deltas_and_resume),
		cmocka_unit_test(test_slow_reader_is_dropped),
		cmocka_unit_test(test_gzip_inflates_to_plain_and_private_events),
		cmocka_unit_test(test_gzip_shared_late_join_replay_and_drain),
		cmocka_unit_test(test_first_change_at_once_then_coalesced),
		cmocka_unit_test(test_tracked_source),
		cmocka_unit_test(test_tracked_join_before_publish),
		cmocka_unit_test(test_ids_dense_per_view),
		cmocka_unit_test(test_publish_one_piece_and_shared_snapshot),
		cmocka_unit_test(test_resume_replays_exactly),
		cmocka_unit_test(test_shared_events_resume_per_view),
		cmocka_unit_test(test_log_text_sent_as_given),
		cmocka_unit_test(test_replay_past_backlog_gets_snapshot),
		cmocka_unit_test(test_snapshot_larger_than_backlog),
		cmocka_unit_test(test_ring_grows_to_its_bound),
		cmocka_unit_test(test_forged_ids_get_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
