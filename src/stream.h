/*
 * The event stream (broadside-api(7), "GET /v1/battles/{id}/events";
 * doc/design.md, "The event stream"): per-battle channels
 * of Server-Sent Events, one subscriber per open stream.
 *
 * A channel publishes at most once per debounce window, and only what the
 * store has committed: for each view (GM, crew, spectator) it asks the
 * source what changed since the last publish (a JSON Merge Patch,
 * "delta"), filters the new log entries ("log"), and notes round
 * and presence changes ("round", "presence").  Each event is framed once
 * per view ("id: EPOCH-V-SEQ", "event:", "data:") and the same bytes go
 * to every subscriber of that view; they also go into the view's replay
 * ring, from which a subscriber resuming with Last-Event-ID gets exactly
 * what it missed (else a fresh "snapshot").
 *
 * Ids reveal nothing a view does not show: each view (V: g for the GM, c
 * for the crew, s for spectators) numbers its own events, SEQ growing by
 * one per event that view is sent, so that a change only another view
 * sees leaves no gap; EPOCH is the daemon's run (battles.h), so ids stay
 * unique across restarts, and an id of another run, of another view, not
 * yet sent or malformed gets a snapshot.
 *
 * Every stream opens with a "hello" event (no id): the heartbeat period,
 * the retry hint and the server's wall clock ("now", Unix ms), which
 * snapshots and "round" events carry too, so that a client can show a
 * countdown right whatever its own clock says.  A silent stream gets a
 * ":hb" comment followed by a "heartbeat" event (no id, {"now"}), which a
 * browser's EventSource, blind to comments, can see.
 *
 * A subscriber owns a queue of bytes to send (compressed for it alone when
 * it asked for gzip).  The transport that carries it (an HTTP/1.1 socket,
 * later an HTTP/2 stream) takes bytes from the queue when it can write,
 * and is told when there are more (kick) or when the stream drops it
 * (close: a backlog past its bound, a drain).
 *
 * Loop thread only.
 */
#ifndef BROADSIDE_STREAM_H
#define BROADSIDE_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <jansson.h>

#include "game/game.h"

struct channel;
struct loop;
struct metrics;
struct stream;
struct subscriber;

struct stream_options {
	int debounce_ms;	/* publish at most this often per battle */
	int heartbeat_s;	/* a comment when a stream was silent this long */
	int retry_ms;		/* the retry: hint */
	size_t ring_events;	/* replay ring per battle: events */
	size_t ring_bytes;	/* ... and bytes */
	size_t max_backlog;	/* unsent bytes before a subscriber is dropped */
	int write_timeout_s;	/* no write progress this long: dropped */
	/*
	 * The wall clock in Unix milliseconds, for the "now" that lets
	 * clients correct their own clock (display only); NULL: the
	 * system's.
	 */
	int64_t (*wall_ms)(void);
};

/*
 * Where a channel reads its battle: the document a viewer sees (a new
 * reference), and one log entry as that viewer may read it (a new
 * reference).
 *
 * patches, when not NULL, is how a publish learns what changed: for each
 * view in the mask views (1 << enum viewer), the merge patch from the
 * document as the previous call left it to the committed one now (a new
 * reference, or NULL when that view reads the same; views outside the
 * mask are left NULL), after which the source remembers "now", for every
 * view, as the published state.  A source that can tell what changed
 * makes a publish cost what changed, and its document() is the published
 * state's (the one the events sent so far describe, which snapshots
 * show; the first call of patches() starts from the state document()
 * read before it): the channel keeps no document of its own.  Without
 * patches the channel projects each view's whole committed document
 * (the same as GET of the battle) and diffs it against the last, which
 * it keeps.
 */
struct channel_source {
	json_t *(*document)(void *arg, enum viewer viewer);
	json_t *(*log_entry)(void *arg, enum viewer viewer,
	    const json_t *entry);
	void (*patches)(void *arg, unsigned views,
	    json_t *patch[VIEWER_COUNT]);
	void *arg;
};

/*
 * What a transport provides to carry a subscriber's bytes.  Neither
 * callback may free the subscriber (they run while the stream walks its
 * lists): a transport that must close defers it to after the iteration.
 */
struct subscriber_transport {
	/* There are bytes to send (the queue was empty before). */
	void (*kick)(void *ctx);
	/*
	 * The stream drops the subscriber: the transport flushes what it
	 * can, closes, and then calls subscriber_free().
	 */
	void (*close)(void *ctx);
};

struct stream *stream_new(struct loop *loop, struct metrics *metrics,
    const struct stream_options *opts);

/* Frees the stream; every channel must be freed first.  NULL: no-op. */
void stream_free(struct stream *s);

/*
 * The drain: every subscriber gets a final "retry:" and is closed once
 * its queue is written (or at once when the transport cannot wait); a
 * subscriber that comes after it gets its first events and the same
 * "retry:", and is closed as soon as they are written.
 */
void stream_drain(struct stream *s);

/* ---- channels -------------------------------------------------------- */

/*
 * A channel for one battle, reading it through source (copied).  The
 * epoch prefixes every event id: a new one for each run of the daemon,
 * since the rings do not outlive it.
 */
struct channel *channel_new(struct stream *s, const char *battle_id,
    int64_t epoch, const struct channel_source *source);

/*
 * Sends every subscriber of the channel the drain's "retry:" and closes
 * it once that is written (the battle is served elsewhere now).  NULL:
 * no-op.
 */
void channel_send_off(struct channel *c);

/* Closes every subscriber of the channel and frees it.  NULL: no-op. */
void channel_free(struct channel *c);

/*
 * A committed change: the channel will publish after its debounce window.
 * log[VIEWER_GM] is an array of the change's new log entries (the GM's,
 * borrowed), published in one "log" event per view; it may be empty.
 * Each other view's copies come from log[view] when it is not NULL (an
 * array of the same length, borrowed: the caller made them when the
 * change was applied), else from the source's log_entry().  documents
 * says whether the change can alter what a viewer sees of the battle (a
 * narration only adds to the log): if no change of a window can, the
 * views are not projected again.
 */
void channel_changed(struct channel *c, const json_t *const log[VIEWER_COUNT],
    int documents);

/*
 * As channel_changed(), for n entries, some or all already written:
 * text[view][i], when text and text[view] are not NULL, is log entry i of
 * that view as compact JSON with sorted keys (borrowed), the bytes the
 * event carries.  A view without text has its entries written here, from
 * log[view] or else from the source's log_entry() of log[VIEWER_GM]:
 * log[VIEWER_GM] (n entries) may be NULL only when every view has text.
 */
void channel_changed_text(struct channel *c, size_t n,
    const json_t *const log[VIEWER_COUNT],
    const char *const *const text[VIEWER_COUNT], int documents);

/*
 * A private event for the subscribers of one member (a player id, 0 for
 * the GM): not replayed, no id.  data is borrowed.
 */
void channel_private(struct channel *c, int member, const char *event,
    const json_t *data);

/* Members connected: the GM, players by id, spectators. */
json_t *channel_presence(const struct channel *c);

/* Subscribers of the channel (open event streams). */
size_t channel_subscribers(const struct channel *c);

/* ---- subscribers ------------------------------------------------------- */

/*
 * A new subscriber of view for member (player id, 0 for the GM, < 0 for a
 * spectator), resuming after last_event_id (NULL or "" for a fresh
 * stream), compressed with gzip when gzip is set.  Its queue already holds
 * the retry hint and the snapshot or the replay; nothing is sent until a
 * transport attaches.  The channel owns it until subscriber_free().
 */
struct subscriber *subscriber_new(struct channel *c, enum viewer viewer,
    int member, int gzip, const char *last_event_id);

/* Binds the subscriber to its transport, which is kicked at once. */
void subscriber_attach(struct subscriber *sub,
    const struct subscriber_transport *t, void *ctx);

/*
 * Fills iov with up to max pieces of the queued bytes; returns how many.
 * The bytes stay queued until subscriber_consumed().
 */
int subscriber_iov(struct subscriber *sub, struct iovec *iov, int max);

/* n bytes were written at time now_us (the loop's time). */
void subscriber_consumed(struct subscriber *sub, size_t n, uint64_t now_us);

/* Bytes queued and not yet written. */
size_t subscriber_backlog(const struct subscriber *sub);

/* Whether the stream asked the transport to close this subscriber. */
int subscriber_closing(const struct subscriber *sub);

/*
 * The transport is done with the subscriber (its connection is gone):
 * leaves the channel (presence changes) and frees it.  NULL: no-op.
 */
void subscriber_free(struct subscriber *sub);

#endif
