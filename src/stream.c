/*
 * Channels, the replay rings and subscribers' queues (stream.h).
 *
 * Bytes are held in reference-counted chunks.  An event's rings keep it
 * without its id line ("event:" and "data:"), one chunk for all the
 * views that get the same data (a narration is kept once, not three
 * times); a replay writes each event's id before it (the id is its place
 * in the ring).  A publish's events for a view, framed with their ids,
 * are joined into one chunk (the event itself when it is alone), which
 * every subscriber of the view gets: one queue entry and one write per
 * publish.  The JSON of an event is written once.  A subscriber's queue
 * is a ring of chunk pointers plus the offset already written of the
 * first.
 *
 * gzip is compressed once per chunk, not once per subscriber: the
 * stream's one raw-deflate compressor ends every chunk with a full flush
 * (Z_FULL_FLUSH), which byte-aligns the output and forgets the history,
 * so a chunk's compressed bytes depend on nothing sent before and can
 * follow any gzip stream's earlier bytes.  The compressed chunk hangs off
 * the plain one (made when a gzip subscriber first needs it, shared by
 * all the others and by replays from the ring).  A gzip subscriber starts
 * with the 10-byte gzip header and keeps only the running CRC-32 and
 * length of what it was sent, for the trailer that ends its stream on a
 * drain (RFC 1952).  Each chunk then compresses without the previous
 * ones as a dictionary: a little less ratio, for no compressor state per
 * subscriber and one deflate per publish and view whatever the audience.
 */
#include "config.h"

#include "stream.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "patch.h"

/* Warn once per battle when a snapshot passes this (the seed's bound). */
#define STREAM_SNAPSHOT_WARN (100u * 1024)
#define VIEWS VIEWER_COUNT
#define ALL_VIEWS 7u
/* An event id's length bound, NUL included: two 64-bit numbers and a tag. */
#define STREAM_ID_MAX 48

struct chunk {
	unsigned refs;
	uint32_t crc;		/* CRC-32 of data, once gz is made */
	uLong crc_op;		/* crc32_combine_op()'s operator for len */
	struct chunk *gz;	/* data compressed (raw deflate), or NULL */
	size_t len;
	char data[];
};

/*
 * One view's replay ring: the events of that view after id
 * evicted_upto, oldest first, up to the view's last (seq), so that
 * len == seq - evicted_upto and an event's id is its place in the ring
 * (the chunks have no id line: views that got the same event share it).
 * Each view has its own, bounded on its own: how far back one view can
 * resume never depends on what the others were sent.
 */
struct ring {
	struct chunk **ev;	/* a ring of cap slots */
	size_t cap, head, len, bytes;
	uint64_t evicted_upto;	/* every event up to this id may be gone */
};

struct subscriber {
	struct channel *c;
	enum viewer viewer;
	int member;
	int gzip;
	uint32_t gz_crc;	/* CRC-32 and length of the bytes sent so far */
	uint32_t gz_size;	/* (mod 2^32), for the gzip trailer */
	struct chunk **queue;	/* a ring of qcap slots */
	size_t qcap, qhead, qlen;
	size_t qoff;		/* bytes of the head chunk already written */
	size_t backlog;
	/*
	 * Bytes of the stream's opening (hello, then the snapshot or the
	 * replay) not written yet: the bound on the backlog counts only
	 * what was queued after them, so that a battle whose snapshot is
	 * larger than the bound can still be watched.
	 */
	size_t opening;
	const struct subscriber_transport *t;
	void *ctx;
	int closing;
	uint64_t last_write_us;	/* last byte written, or attach time */
	struct subscriber *prev, *next;
};

struct channel {
	struct stream *s;
	char battle_id[32];
	int64_t epoch;
	/*
	 * Each view's last event id: one sequence per view, so that a
	 * view's ids count the events it was sent and nothing else.
	 */
	uint64_t seq[VIEWS];
	unsigned watched;	/* 1 << view: views someone has subscribed to */
	struct channel_source src;
	/*
	 * Each view's last published document, kept only for a source that
	 * cannot tell what changed (the next publish diffs against it).  A
	 * source that can keeps the state it last published itself and
	 * projects it when a snapshot needs it: no document is kept here.
	 */
	json_t *base[VIEWS];
	/*
	 * A view's last published document rendered for snapshots, or NULL
	 * until a snapshot needs it: snap_head the members that sort before
	 * "now" ("{...", no closing brace), snap the members after it,
	 * framed to the end ("...}\n\n", no opening brace).  Every
	 * subscriber that joins
	 * before the view changes shares snap (and its compressed form);
	 * only the id, the head (a few short members) and "now" are its
	 * own.
	 */
	char *snap_head[VIEWS];
	struct chunk *snap[VIEWS];
	/*
	 * Each view's copy of the log entries since the last publish, taken
	 * when their change was committed (an entry reads as the battle
	 * stood then, as GET of the log reads it later): the view's "log"
	 * event's JSON text so far, {"entries":[ and the entries joined by
	 * commas (empty: no entry yet).  Every view has the same entries.
	 */
	struct buf pending_log[VIEWS];
	int dirty;
	int documents_dirty;	/* a change may have altered the views */
	uint64_t dirty_since_us;
	uint64_t published_us;	/* the loop's time at the last publish */
	struct loop_timer *timer;
	json_t *last_round;	/* {round, phase, deadline} last published */
	/*
	 * The same members of the GM's document as the views last stood
	 * (the GM's patches bring them up to date), for a source that
	 * tracks changes; else read from base[VIEWER_GM].
	 */
	json_t *round_now;
	json_t *last_presence;
	struct ring ring[VIEWS];
	struct subscriber *subs;
	size_t nsubs;
	int warned_size;
	struct channel *prev, *next;
};

/* One view's events of the publish under way (batch_add()). */
struct batch {
	struct chunk *first;	/* the first event, while it is the only one */
	char *buf;		/* from the second on: all of them, in order */
	size_t len, cap;
	int n;
};

struct stream {
	struct loop *loop;
	struct stream_options opts;
	struct channel *channels;
	size_t nsubs;
	struct loop_timer *heartbeat;
	z_stream zs;		/* the shared compressor (raw deflate) */
	int zs_ready;
	struct chunk *gz_header;	/* the gzip header every gzip stream starts with */
	struct metric *m_subs, *m_events, *m_raw, *m_wire, *m_replays;
	struct metric *m_snapshots, *m_dropped, *m_snapshot_bytes;
	struct metric *m_snapshot_max, *m_publish_delay;
	double snapshot_max;
	char *json;		/* stream_json()'s buffer */
	size_t json_cap;
	struct batch batch[VIEWS];
	int draining;		/* stream_drain() was called */
};

static const char *const view_names[VIEWS] = { "gm", "crew", "spectator" };
/* The view's letter in its event ids: "EPOCH-V-SEQ". */
static const char view_tags[VIEWS] = { 'g', 'c', 's' };

static int64_t
system_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
stream_wall_ms(const struct stream *s)
{
	return s->opts.wall_ms != NULL ? s->opts.wall_ms() : system_wall_ms();
}

/* ---- chunks ---------------------------------------------------------- */

/* A chunk of len bytes: a copy of data, or to fill if data is NULL. */
static struct chunk *
chunk_new(const char *data, size_t len)
{
	struct chunk *ch = xmalloc(sizeof(*ch) + len);

	ch->refs = 1;
	ch->crc = 0;
	ch->crc_op = 0;
	ch->gz = NULL;
	ch->len = len;
	if (data != NULL)
		memcpy(ch->data, data, len);
	return ch;
}

static struct chunk *
chunk_ref(struct chunk *ch)
{
	ch->refs++;
	return ch;
}

static void
chunk_unref(struct chunk *ch)
{
	if (ch != NULL && --ch->refs == 0) {
		chunk_unref(ch->gz);
		free(ch);
	}
}

/*
 * "id: ID\nevent: NAME\ndata: JSON\n\n", without the id line if id is
 * NULL: one allocation, the parts copied in place (no format string to
 * parse, no intermediate string).
 */
static struct chunk *
frame_text(const char *id, const char *event, const char *json,
    size_t json_len)
{
	size_t id_len = id != NULL ? strlen(id) : 0;
	size_t ev_len = strlen(event);
	size_t len = (id != NULL ? 5 + id_len : 0) + 7 + ev_len + 7 +
	    json_len + 2;
	struct chunk *ch = xmalloc(sizeof(*ch) + len);
	char *p = ch->data;

	ch->refs = 1;
	ch->crc = 0;
	ch->crc_op = 0;
	ch->gz = NULL;
	ch->len = len;
	if (id != NULL) {
		memcpy(p, "id: ", 4);
		memcpy(p + 4, id, id_len);
		p[4 + id_len] = '\n';
		p += 5 + id_len;
	}
	memcpy(p, "event: ", 7);
	memcpy(p + 7, event, ev_len);
	memcpy(p + 7 + ev_len, "\ndata: ", 7);
	p += 7 + ev_len + 7;
	memcpy(p, json, json_len);
	memcpy(p + json_len, "\n\n", 2);
	return ch;
}

/*
 * data as compact JSON with sorted keys, in the stream's buffer (valid
 * until the next call); its length in *len.  "{}" if it cannot be
 * written.
 */
static const char *
stream_json(struct stream *s, const json_t *data, size_t *len)
{
	const size_t flags = JSON_COMPACT | JSON_SORT_KEYS;
	size_t n = json_dumpb(data, s->json, s->json_cap, flags);

	if (n > s->json_cap) {
		s->json_cap = n + n / 2;
		s->json = xrealloc(s->json, s->json_cap);
		n = json_dumpb(data, s->json, s->json_cap, flags);
	}
	if (n == 0 || n > s->json_cap) {
		*len = 2;
		return "{}";
	}
	*len = n;
	return s->json;
}

/* An event of data framed with id (NULL: none). */
static struct chunk *
frame(struct stream *s, const char *id, const char *event, const json_t *data)
{
	size_t len;
	const char *json = stream_json(s, data, &len);

	return frame_text(id, event, json, len);
}

/* The id of view's event number seq: "EPOCH-V-SEQ". */
static void
event_id(const struct channel *c, enum viewer view, uint64_t seq,
    char id[STREAM_ID_MAX])
{
	snprintf(id, STREAM_ID_MAX, "%" PRId64 "-%c-%" PRIu64, c->epoch,
	    view_tags[view], seq);
}

/* ---- subscribers' queues --------------------------------------------- */

static void
subscriber_close(struct subscriber *sub, const char *reason)
{
	struct stream *s;

	if (sub->closing || sub->c == NULL)
		return;
	s = sub->c->s;
	sub->closing = 1;
	if (reason != NULL) {
		const char *label[] = { reason };

		metric_series_add(metric_series(s->m_dropped, label), 1);
		log_debug("battle %s: dropping a %s subscriber (%s)",
		    sub->c->battle_id, view_names[sub->viewer], reason);
	}
	if (sub->t != NULL)
		sub->t->close(sub->ctx);
}

/*
 * A ring of chunk pointers (cap slots, len of them from head) moved into
 * ncap new slots, from the first: the subscribers' queues and the replay
 * rings grow this way.
 */
static struct chunk **
chunks_regrow(struct chunk **old, size_t cap, size_t head, size_t len,
    size_t ncap)
{
	struct chunk **slots = xcalloc(ncap, sizeof(*slots));

	for (size_t i = 0; i < len; i++)
		slots[i] = old[(head + i) % cap];
	free(old);
	return slots;
}

static void
queue_push(struct subscriber *sub, struct chunk *ch)
{
	if (sub->qlen == sub->qcap) {
		size_t ncap = sub->qcap ? sub->qcap * 2 : 8;

		sub->queue = chunks_regrow(sub->queue, sub->qcap, sub->qhead,
		    sub->qlen, ncap);
		sub->qcap = ncap;
		sub->qhead = 0;
	}
	sub->queue[(sub->qhead + sub->qlen++) % sub->qcap] = ch;
	sub->backlog += ch->len;
}

/*
 * The compressed form of ch (borrowed: ch keeps it), made on first use:
 * a sequence of deflate blocks ended by a full flush, valid after any
 * byte-aligned deflate data.  NULL if the compressor failed.
 */
static struct chunk *
chunk_gz(struct stream *s, struct chunk *ch)
{
	size_t cap;
	struct chunk *out;

	if (ch->gz != NULL || !s->zs_ready)
		return ch->gz;
	cap = deflateBound(&s->zs, (uLong)ch->len) + 16;
	out = xmalloc(sizeof(*out) + cap);
	out->refs = 1;
	out->crc = 0;
	out->crc_op = 0;
	out->gz = NULL;
	s->zs.next_in = (Bytef *)(uintptr_t)ch->data;
	s->zs.avail_in = (uInt)ch->len;
	s->zs.next_out = (Bytef *)out->data;
	s->zs.avail_out = (uInt)cap;
	if (deflate(&s->zs, Z_FULL_FLUSH) != Z_OK || s->zs.avail_in != 0) {
		/* The compressor's state is unknown now: start it afresh. */
		deflateReset(&s->zs);
		free(out);
		return NULL;
	}
	out->len = cap - s->zs.avail_out;
	ch->crc = (uint32_t)crc32(0, (const Bytef *)ch->data, (uInt)ch->len);
	/*
	 * Every gzip subscriber folds this CRC into its own: the operator
	 * for the length is made once here, which leaves each subscriber a
	 * multiplication instead of crc32_combine()'s whole computation.
	 */
	ch->crc_op = crc32_combine_gen((z_off_t)ch->len);
	ch->gz = out;
	return out;
}

/* Queues an event (or any bytes) for one subscriber. */
static void
subscriber_push(struct subscriber *sub, struct chunk *ch)
{
	struct stream *s = sub->c->s;
	int was_empty = sub->qlen == 0;
	struct chunk *out;

	if (sub->closing)
		return;
	if (sub->gzip) {
		out = chunk_gz(s, ch);
		if (out == NULL) {
			subscriber_close(sub, "gzip");
			return;
		}
		chunk_ref(out);
		sub->gz_crc = (uint32_t)crc32_combine_op(sub->gz_crc, ch->crc,
		    ch->crc_op);
		sub->gz_size += (uint32_t)ch->len;
	} else {
		out = chunk_ref(ch);
	}
	metric_add(s->m_raw, (double)ch->len);
	metric_add(s->m_wire, (double)out->len);
	queue_push(sub, out);
	if (sub->backlog > sub->opening &&
	    sub->backlog - sub->opening > s->opts.max_backlog) {
		subscriber_close(sub, "backlog");
		return;
	}
	if (was_empty && sub->t != NULL)
		sub->t->kick(sub->ctx);
}

static void
subscriber_push_text(struct subscriber *sub, const char *text)
{
	struct chunk *ch = chunk_new(text, strlen(text));

	subscriber_push(sub, ch);
	chunk_unref(ch);
}

int
subscriber_iov(struct subscriber *sub, struct iovec *iov, int max)
{
	int n = 0;

	for (size_t i = 0; i < sub->qlen && n < max; i++) {
		struct chunk *ch = sub->queue[(sub->qhead + i) % sub->qcap];
		size_t off = i == 0 ? sub->qoff : 0;

		iov[n].iov_base = ch->data + off;
		iov[n].iov_len = ch->len - off;
		n++;
	}
	return n;
}

void
subscriber_consumed(struct subscriber *sub, size_t n, uint64_t now_us)
{
	if (n > 0)
		sub->last_write_us = now_us;
	sub->backlog -= n;
	sub->opening -= n < sub->opening ? n : sub->opening;
	while (n > 0 && sub->qlen > 0) {
		struct chunk *ch = sub->queue[sub->qhead];
		size_t left = ch->len - sub->qoff;

		if (n < left) {
			sub->qoff += n;
			return;
		}
		n -= left;
		chunk_unref(ch);
		sub->qhead = (sub->qhead + 1) % sub->qcap;
		sub->qlen--;
		sub->qoff = 0;
	}
}

size_t
subscriber_backlog(const struct subscriber *sub)
{
	return sub->backlog;
}

int
subscriber_closing(const struct subscriber *sub)
{
	return sub->closing;
}

/* ---- the replay rings -------------------------------------------------- */

static void
ring_evict_one(struct ring *r)
{
	r->bytes -= r->ev[r->head]->len;
	chunk_unref(r->ev[r->head]);
	r->head = (r->head + 1) % r->cap;
	r->len--;
	r->evicted_upto++;
}

/*
 * Keeps view v's event ch, just numbered c->seq[v].  A view gets a third
 * of the channel's bytes, so that the channel stays within ring_bytes.
 */
static void
ring_push(struct channel *c, enum viewer v, struct chunk *ch)
{
	const struct stream_options *o = &c->s->opts;
	struct ring *r = &c->ring[v];
	size_t budget = o->ring_bytes / VIEWS;

	if (ch->len > budget) {
		/* Too big to keep: whoever missed it needs a snapshot. */
		while (r->len > 0)
			ring_evict_one(r);
		r->evicted_upto = c->seq[v];
		return;
	}
	while (r->len > 0 && (r->len >= o->ring_events ||
	    r->bytes + ch->len > budget))
		ring_evict_one(r);
	if (r->len == r->cap) {
		/*
		 * Slots grow as events come, doubling up to ring_events: a
		 * thousand battles with a few dozen events each do not hold
		 * 1024 slots per view each.
		 */
		size_t ncap = r->cap == 0 ? 16 : r->cap * 2;

		if (ncap > o->ring_events)
			ncap = o->ring_events > 0 ? o->ring_events : 1;
		r->ev = chunks_regrow(r->ev, r->cap, r->head, r->len, ncap);
		r->cap = ncap;
		r->head = 0;
	}
	r->ev[(r->head + r->len++) % r->cap] = chunk_ref(ch);
	r->bytes += ch->len;
}

/* ---- publishing ------------------------------------------------------- */

/*
 * Adds view v's event ch to the publish under way: a subscriber gets all
 * of a publish's events as one chunk, so one queue entry, one CRC fold,
 * one deflate per view (not per event: zlib builds its Huffman trees at
 * every flush, which costs more than compressing a small event) and one
 * write.  The ring keeps each event on its own, for resuming after any
 * of them.
 */
static void
batch_add(struct stream *s, enum viewer v, struct chunk *ch)
{
	struct batch *b = &s->batch[v];
	size_t need;

	if (b->n++ == 0) {
		b->first = chunk_ref(ch);
		return;
	}
	need = (b->n == 2 ? b->first->len : 0) + ch->len;
	if (b->len + need > b->cap) {
		b->cap = (b->len + need) * 2;
		b->buf = xrealloc(b->buf, b->cap);
	}
	if (b->n == 2) {
		memcpy(b->buf, b->first->data, b->first->len);
		b->len = b->first->len;
	}
	memcpy(b->buf + b->len, ch->data, ch->len);
	b->len += ch->len;
}

/* The publish's events for view v as one chunk (a new reference), or NULL. */
static struct chunk *
batch_take(struct stream *s, enum viewer v)
{
	struct batch *b = &s->batch[v];
	struct chunk *ch = b->first;

	if (b->n > 1) {
		chunk_unref(b->first);
		ch = chunk_new(b->buf, b->len);
	}
	b->first = NULL;
	b->n = 0;
	b->len = 0;
	return ch;
}

/*
 * One event for the views in the mask views, with the same data: each
 * view numbers it in its own sequence, so each gets its own framing (the
 * JSON is written once).  A view no one has subscribed to yet only
 * counts it: no one can resume from that view's ids before its first
 * snapshot, which says where it starts.  The subscribers get it when the
 * publish ends (batch_add()).
 */
static void
channel_emit_text(struct channel *c, unsigned views, const char *event,
    const char *json, size_t json_len)
{
	struct stream *s = c->s;
	char id[STREAM_ID_MAX];
	struct chunk *body = NULL;	/* the event without its id line */

	for (int v = 0; v < VIEWS; v++) {
		struct chunk *ch;

		if (!(views & (1u << v)))
			continue;
		c->seq[v]++;
		if (!(c->watched & (1u << v))) {
			c->ring[v].evicted_upto = c->seq[v];
			continue;
		}
		if (body == NULL)
			body = frame_text(NULL, event, json, json_len);
		event_id(c, (enum viewer)v, c->seq[v], id);
		ch = frame_text(id, event, json, json_len);
		ring_push(c, (enum viewer)v, body);
		batch_add(s, (enum viewer)v, ch);
		chunk_unref(ch);
	}
	chunk_unref(body);
	metric_series_add(metric_series(s->m_events, (const char *[]){
	    event }), 1);
}

/* As channel_emit_text(), with data written only if a view is watched. */
static void
channel_emit(struct channel *c, unsigned views, const char *event,
    const json_t *data)
{
	const char *json = "{}";
	size_t json_len = 2;

	if (views & c->watched)
		json = stream_json(c->s, data, &json_len);
	channel_emit_text(c, views, event, json, json_len);
}

/*
 * Emits one event per distinct data among the views' (NULL: nothing for
 * that view): views that would get the same bytes share one event, so it
 * is framed once (a narration reads the same for everyone; the crew and
 * spectators often see the same change).  Takes the references in data.
 */
static void
channel_emit_views(struct channel *c, const char *event, json_t *data[VIEWS])
{
	for (int v = 0; v < VIEWS; v++) {
		unsigned views = 1u << v;

		if (data[v] == NULL)
			continue;
		for (int w = v + 1; w < VIEWS; w++) {
			if (data[w] != NULL && json_equal(data[v], data[w])) {
				views |= 1u << w;
				json_decref(data[w]);
				data[w] = NULL;
			}
		}
		channel_emit(c, views, event, data[v]);
		json_decref(data[v]);
		data[v] = NULL;
	}
}

/*
 * Emits each view's delta, if any (takes the references in patch).  An
 * empty patch is none: sent, it would tell the view that something it
 * cannot see had changed.
 */
static void
channel_emit_deltas(struct channel *c, json_t *patch[VIEWS])
{
	for (int v = 0; v < VIEWS; v++) {
		if (json_is_object(patch[v]) &&
		    json_object_size(patch[v]) == 0) {
			json_decref(patch[v]);
			patch[v] = NULL;
		}
	}
	channel_emit_views(c, "delta", patch);
}

/* The view's document changed: its rendering for snapshots is stale. */
static void
channel_base_changed(struct channel *c, enum viewer v)
{
	chunk_unref(c->snap[v]);
	c->snap[v] = NULL;
	free(c->snap_head[v]);
	c->snap_head[v] = NULL;
}

/* The members of a GM document that the "round" event carries. */
static const char *const round_keys[] = {
	"round", "phase", "deadline", "paused_ms",
};

/*
 * The "round" part of a GM document: {round, phase, deadline}, and
 * paused_ms while the clock is stopped.
 */
static json_t *
round_of(const json_t *gm)
{
	json_t *r = json_object(), *val;

	for (size_t i = 0; i < sizeof(round_keys) / sizeof(round_keys[0]);
	    i++)
		if ((val = json_object_get(gm, round_keys[i])) != NULL)
			json_object_set(r, round_keys[i], val);
	return r;
}

/* Brings round (round_of()) up to date with a merge patch of the GM's. */
static void
round_patch(json_t *round, const json_t *gm_patch)
{
	json_t *val;

	for (size_t i = 0; i < sizeof(round_keys) / sizeof(round_keys[0]);
	    i++) {
		if ((val = json_object_get(gm_patch, round_keys[i])) == NULL)
			continue;
		if (json_is_null(val))
			json_object_del(round, round_keys[i]);
		else
			json_object_set(round, round_keys[i], val);
	}
}

/*
 * Each view's delta.  A source that tracks changes gives the patches,
 * for the views someone has watched (before that no one could apply a
 * delta to them) and the GM's, from which the round is read; it keeps
 * what it published, so nothing is kept here but the round.
 */
static void
channel_publish_views(struct channel *c)
{
	json_t *patch[VIEWS] = { NULL, NULL, NULL };

	if (c->src.patches != NULL) {
		c->src.patches(c->src.arg, c->watched | 1u << VIEWER_GM,
		    patch);
		for (int v = 0; v < VIEWS; v++)
			if (patch[v] != NULL)
				channel_base_changed(c, (enum viewer)v);
		if (patch[VIEWER_GM] != NULL)
			round_patch(c->round_now, patch[VIEWER_GM]);
		channel_emit_deltas(c, patch);
		return;
	}
	for (int v = 0; v < VIEWS; v++) {
		json_t *doc = c->src.document(c->src.arg, (enum viewer)v);

		if (c->base[v] != NULL) {
			patch[v] = patch_diff(c->base[v], doc);
			json_decref(c->base[v]);
		}
		c->base[v] = doc;
		channel_base_changed(c, (enum viewer)v);
	}
	channel_emit_deltas(c, patch);
}

/*
 * Each view's "log" event: its entries' text, written when they were
 * committed (channel_changed_text()), closed.  Views that read the same
 * text share one event.
 */
static void
channel_publish_log(struct channel *c)
{
	struct buf *data = c->pending_log;
	unsigned done = 0;

	if (data[VIEWER_GM].len == 0)
		return;
	for (int v = 0; v < VIEWS; v++)
		buf_append_str(&data[v], "]}");
	for (int v = 0; v < VIEWS; v++) {
		unsigned views = 1u << v;

		if (done & views)
			continue;
		for (int w = v + 1; w < VIEWS; w++)
			if (data[w].len == data[v].len && memcmp(data[w].data,
			    data[v].data, data[v].len) == 0)
				views |= 1u << w;
		channel_emit_text(c, views, "log", data[v].data, data[v].len);
		done |= views;
	}
	for (int v = 0; v < VIEWS; v++)
		buf_free(&data[v]);
}

static void
channel_publish_round(struct channel *c)
{
	json_t *round, *data;

	if (c->round_now != NULL)
		round = json_copy(c->round_now);
	else if (c->base[VIEWER_GM] != NULL)
		round = round_of(c->base[VIEWER_GM]);
	else
		return;
	if (c->last_round != NULL && json_equal(round, c->last_round)) {
		json_decref(round);
		return;
	}
	json_decref(c->last_round);
	c->last_round = round;
	data = json_copy(round);
	json_object_set_new(data, "now", json_integer(stream_wall_ms(c->s)));
	channel_emit(c, ALL_VIEWS, "round", data);
	json_decref(data);
}

static void
channel_publish_presence(struct channel *c)
{
	json_t *p = channel_presence(c);

	if (c->last_presence != NULL && json_equal(p, c->last_presence)) {
		json_decref(p);
		return;
	}
	json_decref(c->last_presence);
	c->last_presence = p;
	channel_emit(c, ALL_VIEWS, "presence", p);
}

static void
channel_publish(struct channel *c)
{
	struct stream *s = c->s;
	struct chunk *out[VIEWS];
	uint64_t now;

	c->dirty = 0;
	c->published_us = loop_now_us(s->loop);
	if (c->documents_dirty) {
		c->documents_dirty = 0;
		channel_publish_views(c);
	}
	channel_publish_log(c);
	channel_publish_round(c);
	channel_publish_presence(c);
	for (int v = 0; v < VIEWS; v++)
		out[v] = batch_take(s, (enum viewer)v);
	for (struct subscriber *sub = c->subs; sub != NULL; sub = sub->next)
		if (out[sub->viewer] != NULL)
			subscriber_push(sub, out[sub->viewer]);
	for (int v = 0; v < VIEWS; v++)
		chunk_unref(out[v]);
	/* A measurement, so a fresh clock, not the loop's time. */
	now = loop_clock_us();
	metric_observe(s->m_publish_delay, now > c->dirty_since_us ?
	    (double)(now - c->dirty_since_us) / 1e6 : 0);
}

/* A channel's window has passed: publish. */
static int64_t
channel_timer(struct loop *loop, void *arg)
{
	struct channel *c = arg;

	c->timer = NULL;
	channel_publish(c);
	return LOOP_TIMER_STOP;
}

/*
 * Something changed.  A leading-edge throttle: the first change of a
 * quiet channel is published on the next turn of the loop, and what
 * follows within the debounce window of that publish waits for the
 * window's end, so a lone order shows at once and a burst of GM moves
 * still goes out as one delta after the first.
 */
static void
channel_dirty(struct channel *c)
{
	uint64_t now, due;
	int64_t delay_ms = 0;

	if (c->dirty)
		return;
	c->dirty = 1;
	now = loop_now_us(c->s->loop);
	c->dirty_since_us = now;
	due = c->published_us + (uint64_t)c->s->opts.debounce_ms * 1000u;
	if (c->published_us != 0 && due > now)
		delay_ms = (int64_t)((due - now + 999) / 1000);
	c->timer = loop_timer_add(c->s->loop, delay_ms, channel_timer, c);
}

void
channel_changed_text(struct channel *c, size_t n,
    const json_t *const log[VIEWER_COUNT],
    const char *const *const text[VIEWER_COUNT], int documents)
{
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(log[VIEWER_GM], i);

		for (int v = 0; v < VIEWS; v++) {
			struct buf *b = &c->pending_log[v];
			json_t *copy = NULL;
			const char *json;
			size_t len;

			if (text != NULL && text[v] != NULL) {
				json = text[v][i];
				len = strlen(json);
			} else {
				copy = v == VIEWER_GM ? json_incref(e) :
				    log[v] != NULL ? json_incref(
				    json_array_get(log[v], i)) :
				    c->src.log_entry(c->src.arg,
				    (enum viewer)v, e);
				json = stream_json(c->s, copy, &len);
			}
			buf_append_str(b, b->len == 0 ? "{\"entries\":[" : ",");
			buf_append(b, json, len);
			json_decref(copy);
		}
	}
	if (documents)
		c->documents_dirty = 1;
	channel_dirty(c);
}

void
channel_changed(struct channel *c, const json_t *const log[VIEWER_COUNT],
    int documents)
{
	channel_changed_text(c, json_array_size(log[VIEWER_GM]), log, NULL,
	    documents);
}

void
channel_private(struct channel *c, int member, const char *event,
    const json_t *data)
{
	struct chunk *ch = frame(c->s, NULL, event, data);

	for (struct subscriber *sub = c->subs; sub != NULL; sub = sub->next)
		if (sub->member == member)
			subscriber_push(sub, ch);
	chunk_unref(ch);
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

json_t *
channel_presence(const struct channel *c)
{
	int *ids = xcalloc(c->nsubs + 1, sizeof(*ids));
	size_t n = 0, spectators = 0;
	json_t *players = json_array();
	int gm = 0;

	for (struct subscriber *sub = c->subs; sub != NULL; sub = sub->next) {
		if (sub->member == 0)
			gm = 1;
		else if (sub->member < 0)
			spectators++;
		else
			ids[n++] = sub->member;
	}
	qsort(ids, n, sizeof(*ids), cmp_int);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[i - 1])
			json_array_append_new(players, json_integer(ids[i]));
	free(ids);
	return json_pack("{s:b, s:o, s:I}", "gm", gm, "players", players,
	    "spectators", (json_int_t)spectators);
}

size_t
channel_subscribers(const struct channel *c)
{
	return c->nsubs;
}

/* ---- channels ------------------------------------------------------------ */

struct channel *
channel_new(struct stream *s, const char *battle_id, int64_t epoch,
    const struct channel_source *source)
{
	struct channel *c = xcalloc(1, sizeof(*c));
	json_t *doc;

	c->s = s;
	snprintf(c->battle_id, sizeof(c->battle_id), "%s", battle_id);
	c->epoch = epoch;
	c->src = *source;
	for (int v = 0; v < VIEWS; v++)
		buf_init(&c->pending_log[v], SIZE_MAX / 2);
	/*
	 * The round as it stands, so that the first publish (after a
	 * restart, say) sends "round" only if the round really changed.
	 */
	doc = c->src.document(c->src.arg, VIEWER_GM);
	c->last_round = round_of(doc);
	if (c->src.patches != NULL)
		c->round_now = round_of(doc);
	json_decref(doc);
	c->next = s->channels;
	if (s->channels != NULL)
		s->channels->prev = c;
	s->channels = c;
	return c;
}

void
channel_free(struct channel *c)
{
	struct stream *s;

	if (c == NULL)
		return;
	s = c->s;
	/*
	 * Detach every subscriber, then tell its transport, which frees it
	 * later (subscriber_free() of a detached subscriber only frees).
	 */
	while (c->subs != NULL) {
		struct subscriber *sub = c->subs;

		c->subs = sub->next;
		sub->c = NULL;
		sub->prev = sub->next = NULL;
		s->nsubs--;
		if (!sub->closing) {
			sub->closing = 1;
			if (sub->t != NULL)
				sub->t->close(sub->ctx);
		}
	}
	loop_timer_cancel(c->timer);
	for (int v = 0; v < VIEWS; v++) {
		json_decref(c->base[v]);
		channel_base_changed(c, (enum viewer)v);
		buf_free(&c->pending_log[v]);
	}
	json_decref(c->last_round);
	json_decref(c->round_now);
	json_decref(c->last_presence);
	for (int v = 0; v < VIEWS; v++) {
		while (c->ring[v].len > 0)
			ring_evict_one(&c->ring[v]);
		free(c->ring[v].ev);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->channels = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	metric_set(s->m_subs, (double)s->nsubs);
	free(c);
}

/* ---- subscribers ------------------------------------------------------------ */

/*
 * A decimal number of 1 to 19 digits (below 10^19 < 2^64: no overflow),
 * no sign or space; returns where it ends, or NULL.
 */
static const char *
parse_number(const char *p, uint64_t *out)
{
	uint64_t n = 0;
	int digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 19) {
		n = n * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (digits == 0 || (*p >= '0' && *p <= '9'))
		return NULL;
	*out = n;
	return p;
}

/*
 * Whether last_event_id ("EPOCH-V-SEQ") is an id of viewer's stream in
 * this channel's epoch after which every event is still in the view's
 * ring; *after is then its SEQ.  Anything else (another epoch, another
 * view, a SEQ not sent yet or evicted, a malformed id) is not: the
 * subscriber gets a snapshot, never another view's events.
 */
static int
channel_can_replay(const struct channel *c, enum viewer viewer,
    const char *last_event_id, uint64_t *after)
{
	const struct ring *r = &c->ring[viewer];
	const char *p = last_event_id;
	uint64_t epoch, seq;

	if (p == NULL || (p = parse_number(p, &epoch)) == NULL ||
	    epoch != (uint64_t)c->epoch || p[0] != '-' ||
	    p[1] != view_tags[viewer] || p[2] != '-' ||
	    (p = parse_number(p + 3, &seq)) == NULL || *p != '\0')
		return 0;
	if (seq > c->seq[viewer] || seq < r->evicted_upto)
		return 0;
	*after = seq;
	return 1;
}

/*
 * Renders the view's last published document for snapshots
 * (c->snap_head, c->snap): the members that sort before "now" and those
 * after, so that "now" lands where JSON_SORT_KEYS would put it and a
 * snapshot reads byte for byte as one rendered whole.  A source that
 * tracks changes projects it from the state it last published; the
 * others' is kept in base[v].
 */
static void
channel_render_snapshot(struct channel *c, enum viewer v)
{
	json_t *lo = json_object(), *hi = json_object(), *doc, *val;
	const char *key, *json;
	struct chunk *ch;
	size_t len;

	if (c->src.patches != NULL)
		doc = c->src.document(c->src.arg, v);
	else {
		if (c->base[v] == NULL)
			c->base[v] = c->src.document(c->src.arg, v);
		doc = json_incref(c->base[v]);
	}
	json_object_foreach(doc, key, val)
		json_object_set(strcmp(key, "now") < 0 ? lo : hi, key, val);
	json = stream_json(c->s, lo, &len);
	/* "{...}" without its closing brace. */
	c->snap_head[v] = xstrndup(json, len - 1);
	json = stream_json(c->s, hi, &len);
	/* "{...}" without its opening brace, framed to the end. */
	ch = xmalloc(sizeof(*ch) + len + 1);
	ch->refs = 1;
	ch->crc = 0;
	ch->crc_op = 0;
	ch->gz = NULL;
	ch->len = len + 1;
	memcpy(ch->data, json + 1, len - 1);
	memcpy(ch->data + len - 1, "\n\n", 2);
	c->snap[v] = ch;
	json_decref(lo);
	json_decref(hi);
	json_decref(doc);
}

/*
 * The snapshot: the view's document and the server's clock ("now").  The
 * document is rendered once per state of the view and its bulk shared
 * (channel_render_snapshot()); each subscriber gets its own short head:
 * the id, the members before "now", and "now".
 */
static void
subscriber_snapshot(struct subscriber *sub)
{
	struct channel *c = sub->c;
	struct stream *s = c->s;
	enum viewer v = sub->viewer;
	char id[STREAM_ID_MAX], *head;
	struct chunk *ch;
	size_t total;

	if (c->snap[v] == NULL)
		channel_render_snapshot(c, v);
	/*
	 * The id is that of the view's last event (0 before its first):
	 * resuming from it is exact.
	 */
	event_id(c, v, c->seq[v], id);
	head = xasprintf("id: %s\nevent: snapshot\ndata: %s%s\"now\":%"
	    PRId64 "%s", id, c->snap_head[v], c->snap_head[v][1] ? "," : "",
	    stream_wall_ms(s), c->snap[v]->data[0] == '}' ? "" : ",");
	ch = chunk_new(head, strlen(head));
	free(head);
	total = ch->len + c->snap[v]->len;
	metric_observe(s->m_snapshot_bytes, (double)total);
	if ((double)total > s->snapshot_max) {
		s->snapshot_max = (double)total;
		metric_set(s->m_snapshot_max, s->snapshot_max);
	}
	if (total > STREAM_SNAPSHOT_WARN && !c->warned_size) {
		c->warned_size = 1;
		log_warn("battle %s: a %s snapshot is %zu bytes (over 100 KB)",
		    c->battle_id, view_names[v], total);
	}
	subscriber_push(sub, ch);
	chunk_unref(ch);
	subscriber_push(sub, c->snap[v]);
}

/* The bytes of a replay of view v's events after id after (in its ring). */
static size_t
replay_len(const struct channel *c, enum viewer v, uint64_t after)
{
	const struct ring *r = &c->ring[v];
	char id[STREAM_ID_MAX];
	size_t len = 0;

	for (size_t i = (size_t)(after - r->evicted_upto); i < r->len; i++) {
		event_id(c, v, r->evicted_upto + i + 1, id);
		len += 5 + strlen(id) + r->ev[(r->head + i) % r->cap]->len;
	}
	return len;
}

/*
 * The view's events after id after, all in its ring (can_replay said),
 * as one chunk of len bytes (replay_len()): each with its id line (SEQ
 * is its place in the ring) before the event the ring kept.
 */
static void
subscriber_replay(struct subscriber *sub, uint64_t after, size_t len)
{
	struct channel *c = sub->c;
	const struct ring *r = &c->ring[sub->viewer];
	size_t first = (size_t)(after - r->evicted_upto);
	char id[STREAM_ID_MAX];
	struct chunk *ch;
	char *p;

	if (len == 0)
		return;
	ch = chunk_new(NULL, len);
	p = ch->data;
	for (size_t i = first; i < r->len; i++) {
		const struct chunk *ev = r->ev[(r->head + i) % r->cap];
		size_t n;

		event_id(c, sub->viewer, r->evicted_upto + i + 1, id);
		n = strlen(id);
		memcpy(p, "id: ", 4);
		memcpy(p + 4, id, n);
		p[4 + n] = '\n';
		memcpy(p + 5 + n, ev->data, ev->len);
		p += 5 + n + ev->len;
	}
	subscriber_push(sub, ch);
	chunk_unref(ch);
}

static void subscriber_send_off(struct subscriber *);

struct subscriber *
subscriber_new(struct channel *c, enum viewer viewer, int member, int gzip,
    const char *last_event_id)
{
	struct stream *s = c->s;
	struct subscriber *sub = xcalloc(1, sizeof(*sub));
	const char *reason;
	uint64_t after;
	size_t len;
	char hello[160];
	struct chunk *ch;
	json_t *here;

	sub->c = c;
	sub->viewer = viewer;
	sub->member = member;
	sub->opening = SIZE_MAX;	/* its actual size once it is queued */
	sub->last_write_us = loop_now_us(s->loop);
	/* The header goes as it is; every event after it, compressed. */
	if (gzip && s->zs_ready) {
		sub->gzip = 1;
		sub->gz_crc = (uint32_t)crc32(0, NULL, 0);
		queue_push(sub, chunk_ref(s->gz_header));
	}
	sub->next = c->subs;
	if (c->subs != NULL)
		c->subs->prev = sub;
	c->subs = sub;
	c->nsubs++;
	s->nsubs++;
	metric_set(s->m_subs, (double)s->nsubs);

	snprintf(hello, sizeof(hello), "retry: %d\n:ok\n\nevent: hello\n"
	    "data: {\"heartbeat_ms\":%d,\"now\":%" PRId64 ",\"retry_ms\":%d}"
	    "\n\n", s->opts.retry_ms, s->opts.heartbeat_s * 1000,
	    stream_wall_ms(s), s->opts.retry_ms);
	subscriber_push_text(sub, hello);
	c->watched |= 1u << viewer;
	/*
	 * A replay of more than half of what a stream may queue is not
	 * sent: a snapshot is, which brings the client to the same state
	 * in fewer bytes (a view's ring may hold more than a stream's
	 * bound).
	 */
	if (channel_can_replay(c, viewer, last_event_id, &after) &&
	    (len = replay_len(c, viewer, after)) <= s->opts.max_backlog / 2) {
		subscriber_replay(sub, after, len);
		metric_add(s->m_replays, 1);
	} else {
		subscriber_snapshot(sub);
		/*
		 * Who is here, this subscriber included, until the next
		 * change says otherwise (the others hear of it then).
		 */
		here = channel_presence(c);
		ch = frame(s, NULL, "presence", here);
		subscriber_push(sub, ch);
		chunk_unref(ch);
		json_decref(here);
		reason = last_event_id && *last_event_id ? "resend" : "new";
		metric_series_add(metric_series(s->m_snapshots, &reason), 1);
	}
	sub->opening = sub->backlog;
	/* Someone came: presence is published with the next window. */
	channel_dirty(c);
	/*
	 * A stream that comes while the daemon drains gets its snapshot and
	 * the short retry: at once; held open, it would keep the drain
	 * waiting for its grace.
	 */
	if (s->draining)
		subscriber_send_off(sub);
	return sub;
}

void
subscriber_attach(struct subscriber *sub, const struct subscriber_transport *t,
    void *ctx)
{
	sub->t = t;
	sub->ctx = ctx;
	if (sub->closing || sub->c == NULL)
		t->close(ctx);
	else if (sub->qlen > 0)
		t->kick(ctx);
}

void
subscriber_free(struct subscriber *sub)
{
	struct channel *c;

	if (sub == NULL)
		return;
	c = sub->c;
	if (c != NULL) {
		if (sub->prev != NULL)
			sub->prev->next = sub->next;
		else
			c->subs = sub->next;
		if (sub->next != NULL)
			sub->next->prev = sub->prev;
		c->nsubs--;
		c->s->nsubs--;
		metric_set(c->s->m_subs, (double)c->s->nsubs);
		channel_dirty(c);
	}
	while (sub->qlen > 0) {
		chunk_unref(sub->queue[sub->qhead]);
		sub->qhead = (sub->qhead + 1) % sub->qcap;
		sub->qlen--;
	}
	free(sub->queue);
	free(sub);
}

/* ---- the stream ----------------------------------------------------------- */

/*
 * Every heartbeat period: a comment to every stream silent that long, and
 * a drop for every stream whose bytes have not moved within the write
 * timeout (a dead or stuck reader; its Last-Event-ID stays good).
 */
static int64_t
stream_heartbeat(struct loop *loop, void *arg)
{
	struct stream *s = arg;
	uint64_t now = loop_now_us(loop);
	uint64_t quiet = (uint64_t)s->opts.heartbeat_s * 1000000u;
	uint64_t stuck = (uint64_t)s->opts.write_timeout_s * 1000000u;
	char beat[96];
	struct chunk *ch;

	snprintf(beat, sizeof(beat), ":hb\nevent: heartbeat\ndata: "
	    "{\"now\":%" PRId64 "}\n\n", stream_wall_ms(s));
	/* One chunk for all: gzip streams share its compressed form. */
	ch = chunk_new(beat, strlen(beat));

	for (struct channel *c = s->channels; c != NULL; c = c->next) {
		struct subscriber *sub, *next;

		for (sub = c->subs; sub != NULL; sub = next) {
			next = sub->next;
			if (sub->closing)
				continue;
			if (sub->backlog > 0 && now - sub->last_write_us >
			    stuck)
				subscriber_close(sub, "timeout");
			else if (sub->backlog == 0 && now -
			    sub->last_write_us >= quiet - quiet / 10)
				subscriber_push(sub, ch);
		}
	}
	chunk_unref(ch);
	return s->opts.heartbeat_s * 1000 / 2;
}

struct stream *
stream_new(struct loop *loop, struct metrics *m,
    const struct stream_options *opts)
{
	struct stream *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->opts = *opts;
	s->heartbeat = loop_timer_add(loop, opts->heartbeat_s * 1000 / 2,
	    stream_heartbeat, s);
	/*
	 * Level 6, a 32 KB window (a snapshot compresses against itself)
	 * and memLevel 4: the full flush after each event clears the hash
	 * table, 4 KB at this level, where the default would clear 64 KB
	 * an event.  One compressor for the whole daemon.
	 */
	s->zs_ready = deflateInit2(&s->zs, 6, Z_DEFLATED, -15, 4,
	    Z_DEFAULT_STRATEGY) == Z_OK;
	/* ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=Unix (RFC 1952). */
	s->gz_header = chunk_new("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10);
	if (m == NULL)
		return s;
	s->m_subs = metrics_add(m, METRIC_GAUGE, "broadside_stream_subscribers",
	    "Event streams open.", NULL, NULL, 0);
	s->m_events = metrics_add(m, METRIC_COUNTER,
	    "broadside_stream_events_total",
	    "Events published (once per view, before fan-out), by type.",
	    "event", NULL, 0);
	s->m_raw = metrics_add(m, METRIC_COUNTER,
	    "broadside_stream_bytes_raw_total",
	    "Event bytes queued to subscribers, before compression.", NULL,
	    NULL, 0);
	s->m_wire = metrics_add(m, METRIC_COUNTER,
	    "broadside_stream_bytes_wire_total",
	    "Event bytes queued to subscribers, after compression.", NULL,
	    NULL, 0);
	s->m_replays = metrics_add(m, METRIC_COUNTER,
	    "broadside_stream_replays_total",
	    "Reconnections served from the replay ring.", NULL, NULL, 0);
	s->m_snapshots = metrics_add(m, METRIC_COUNTER,
	    "broadside_stream_snapshots_total",
	    "Snapshots sent: to new streams, or resent to reconnections the "
	    "ring could not serve.", "reason", NULL, 0);
	s->m_dropped = metrics_add(m, METRIC_COUNTER,
	    "broadside_stream_dropped_total",
	    "Subscribers dropped by the server, by reason.", "reason", NULL,
	    0);
	s->m_snapshot_bytes = metrics_add(m, METRIC_HISTOGRAM,
	    "broadside_snapshot_bytes", "Size of the snapshots sent.", NULL,
	    (const double[]){ 256, 1024, 4096, 16384, 65536, 102400, 262144,
	    1048576 }, 8);
	s->m_snapshot_max = metrics_add(m, METRIC_GAUGE,
	    "broadside_snapshot_bytes_max", "The largest snapshot sent.",
	    NULL, NULL, 0);
	s->m_publish_delay = metrics_add(m, METRIC_HISTOGRAM,
	    "broadside_stream_publish_delay_seconds",
	    "From a committed change to its publication (debounce included).",
	    NULL, METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS);
	metric_set(s->m_subs, 0);
	return s;
}

void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	loop_timer_cancel(s->heartbeat);
	if (s->zs_ready)
		deflateEnd(&s->zs);
	chunk_unref(s->gz_header);
	free(s->json);
	for (int v = 0; v < VIEWS; v++)
		free(s->batch[v].buf);
	free(s);
}

/*
 * Ends a gzip subscriber's stream: an empty final block, then the CRC-32
 * and length of everything it was sent (RFC 1952), so that a client can
 * tell a complete stream from a cut one.
 */
static void
subscriber_gzip_end(struct subscriber *sub)
{
	unsigned char end[10] = { 0x03, 0x00 };
	struct chunk *ch;

	for (int i = 0; i < 4; i++) {
		end[2 + i] = (unsigned char)(sub->gz_crc >> (8 * i));
		end[6 + i] = (unsigned char)(sub->gz_size >> (8 * i));
	}
	ch = chunk_new((const char *)end, sizeof(end));
	queue_push(sub, ch);
	if (sub->qlen == 1 && sub->t != NULL)
		sub->t->kick(sub->ctx);
}

/* A drain's last words to a subscriber: come back in a second, elsewhere. */
static void
subscriber_send_off(struct subscriber *sub)
{
	static const char retry[] = "retry: 1000\n\n";
	struct chunk *ch;

	if (sub->closing)
		return;
	ch = chunk_new(retry, sizeof(retry) - 1);
	subscriber_push(sub, ch);
	chunk_unref(ch);
	if (sub->gzip && !sub->closing)
		subscriber_gzip_end(sub);
	subscriber_close(sub, NULL);
}

void
channel_send_off(struct channel *c)
{
	struct subscriber *sub, *next;

	if (c == NULL)
		return;
	for (sub = c->subs; sub != NULL; sub = next) {
		next = sub->next;
		subscriber_send_off(sub);
	}
}

void
stream_drain(struct stream *s)
{
	s->draining = 1;
	for (struct channel *c = s->channels; c != NULL; c = c->next) {
		struct subscriber *sub, *next;

		for (sub = c->subs; sub != NULL; sub = next) {
			next = sub->next;
			subscriber_send_off(sub);
		}
	}
}
