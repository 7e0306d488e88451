/*
 * The bots of broadside-load(1): per battle, a GM that creates it, adds
 * ships, drags them in bursts, gives the NPC orders and narrates; players
 * that join, take a station and order for it every round from what their
 * view shows; spectators that only listen.  Every bot keeps its view by
 * applying the stream's snapshot and merge-patch deltas, reconnects as
 * EventSource does (after retry:, with Last-Event-ID), and at the end its
 * view must equal GET /v1/battles/{id} for its token; every order that got
 * a 202 must be in the battle's log.
 *
 * The set-up (create, ships, joins, stations, start), the end and the
 * final checks go to --check-url over HTTP/1.1: they are the harness, and
 * around any fault proxy.  The play goes to --url: each bot's event
 * stream on a connection of its own, its orders, drags and narration.
 * Over HTTP/2 in cleartext the stream's GET upgrades its connection
 * (h2c), and the bot's requests then share it.
 *
 * This header is private to tools/load/ (load.c sees load.h only).  One
 * file per job, each named for it:
 *   bots.c    a battle's life: new, finished, closed, freed; the helpers
 *   setup.c   create, ships, joins, stations, start
 *   play.c    each round's orders, drags and narration; the end
 *   sse.c     every bot's event stream and the view it keeps
 *   checks.c  the final checks: views against GET, the log against the
 *             acknowledged orders
 * Everything runs on the run's loop thread; nothing here is shared with
 * another thread.
 */
#ifndef BROADSIDE_LOAD_BOTS_H
#define BROADSIDE_LOAD_BOTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "load.h"

struct action;
struct loop_timer;
struct reply;
struct sent_order;
struct xfer;

/* Everything stays in this square, so that every ship is in range. */
#define BOX_LO 300
#define BOX_HI 700
#define MAX_PENDING 64
#define PARSED 16		/* parsed events kept per view */

enum role { ROLE_GM, ROLE_PLAYER, ROLE_SPECTATOR };

/* In the order of load_event_names[]. */
enum event_kind {
	EV_SNAPSHOT, EV_DELTA, EV_LOG, EV_ROUND, EV_PRESENCE, EV_ACCEPTED,
	EV_OTHER
};

/* What a deferred action does (play_later()). */
enum { ACT_ORDER, ACT_SHIP_ORDER, ACT_DRAG, ACT_NARRATE, ACT_JOIN };

/* The players' stations, in the order of a player's index - 1. */
extern const char *const battle_stations[5];

/* One simulated browser: the GM, a player or a spectator. */
struct client {
	struct battle *b;
	enum role role;
	int bit;		/* in pending.seen: GM 0, players 1..5, or -1 */
	char alias[32];
	char token[96];
	int station;		/* players: index in battle_stations[], or -1 */
	struct xfer *stream;
	int opened;		/* the stream answered 200 */
	int synced;		/* has a state */
	int awaiting_first;	/* reconnected: replay or snapshot? */
	int storm;		/* dropped by bots_drop_all() */
	uint64_t drop_us;
	char last_id[64];
	json_t *state;
	int planned_round;
	int log_round;		/* last round whose resolution log arrived */
	uint64_t log_wall_us;
	int latency_round;	/* last round measured for resolution_log */
	struct loop_timer *retry_timer;
	struct loop_timer *check_timer;
	int check_tries;
	int checking;		/* a GET for the final check is out */
	int converged;
};

/* An order sent, waiting to be seen by the views that can see it. */
struct pending {
	int round;
	char key[16];		/* a station, or "#" and a ship id */
	int station;		/* or -1 for a GM ship */
	uint64_t sent_us;
	unsigned seen;		/* bits of the clients that saw it */
};

/* The last events of each view, parsed once for all its bots (sse.c). */
struct parsed {
	char id[64];
	char type[16];
	json_t *data;
};

struct battle {
	struct load *L;
	int index;
	uint64_t rng;
	char id[32];
	char join_code[16];
	char path[64];		/* /v1/battles/ID */
	struct client *clients;	/* [0] GM, [1..players], spectators */
	int nclients;
	int ships_added;
	int narrations_sent, narrations_acked;
	int joined, ready;
	int started, ending, done, failed, reading_log, log_checked;
	int round_seen;		/* the last round some bot saw open */
	int generation;		/* battles of this slot before this one */
	struct battle *retired_next;	/* done, kept until the end */
	struct pending pend[MAX_PENDING];
	int npend;
	json_t *acked;		/* the orders that got a 202 */
	struct action *actions;
	struct sent_order *sent;	/* orders waiting for their answer */
	int log_after;
	json_t *log;
	struct parsed parsed[3][PARSED];	/* by enum role */
	unsigned parsed_next[3];
};

/* The first streams, opened at --connect-rate (sse.c). */
struct open_queue {
	struct client **clients;
	size_t len, head, cap;
	struct loop_timer *timer;
	double credit;		/* streams the rate allows, not yet opened */
};

/* The run's bots: what was file-scope state before, owned by the run. */
struct bots {
	struct battle **battles;	/* one per slot, --battles of them */
	struct battle *retired;		/* done battles whose slot went on */
	struct open_queue openq;	/* streams waiting for --connect-rate */
};

/* ---- bots.c -------------------------------------------------------- */

/* A number from 0 to n - 1 from the battle's generator; 0 if n <= 0. */
int battle_rnd(struct battle *b, int n);

/* The problem slug of an error answer ("" if none); points into r. */
const char *reply_problem(const struct reply *r);

/*
 * Whether a reply has the expected status; counts the error otherwise
 * (ERR_REFUSED for a refused order or edit, ERR_STALE for one too late,
 * ERR_TRANSPORT, ERR_HTTP).  Samples the request's latency either way.
 */
int battle_expect(struct battle *b, const struct reply *r, long status,
    const char *what);

/*
 * battle_expect() for what a client does during play (orders, edits,
 * narrations): a 404 once the battle's log was checked is ERR_RACED.  The
 * run deletes a battle once its log is checked; a request still in our
 * queue then (a player's order for the next round, behind a slow or
 * faulty connection) finds the battle gone, rightly.
 */
int battle_expect_play(struct battle *b, const struct reply *r, long status,
    const char *what);

/*
 * battle_expect_play() for what the GM does at any moment of a round (edits,
 * narrations): a 409 not-planning or battle-ended is ERR_RACED, which is
 * reported but not counted.  The GM acts on the state its stream last
 * showed; the last order of a round resolves it at once (and may end the
 * battle), so a GM edit sent in the milliseconds before that resolution
 * reaches the GM's stream is refused, rightly, by the server.
 */
int battle_expect_gm(struct battle *b, const struct reply *r, long status,
    const char *what);

/*
 * A battle for slot i of the run, its set-up under way; gen counts the
 * battles of the slot before it.  The run's bots own it
 * (bots->battles[i], or bots->retired once done).
 */
struct battle *battle_new(struct load *L, int i, int gen);

/*
 * Called when every client has converged (or the battle failed): reads
 * and checks the log first (checks_read_log(), which calls back), then
 * closes the battle and gives its slot to a new one or counts it done.
 * Does nothing if the battle is done or its log is being read.
 */
void battle_finish(struct battle *b);

/* Marks the battle failed (no log check) and finishes it. */
void battle_fail(struct battle *b);

/* ---- setup.c ------------------------------------------------------- */

/*
 * Creates the battle on the server, then adds its ships, joins its
 * players and spectators, takes the stations and queues every stream;
 * on any refusal the battle fails.
 */
void setup_create(struct battle *b);

/* Joins client c to its battle (again, after a 429). */
void setup_join(struct client *c);

/* Starts the battle: every view has its snapshot. */
void setup_start(struct battle *b);

/* ---- play.c -------------------------------------------------------- */

/*
 * Runs an action (ACT_*) of client c in delay_ms; the battle owns it
 * until it runs or play_cancel().  An action of a done battle does
 * nothing.
 */
void play_later(struct battle *b, struct client *c, int kind,
    int64_t delay_ms, int round, int ship);

/* Cancels and frees every action of the battle not yet run. */
void play_cancel(struct battle *b);

/* Frees the battle's orders still waiting for an answer. */
void play_forget_orders(struct battle *b);

/* After a snapshot or delta: orders of this round now in c's view. */
void play_orders_in_view(struct client *c);

/* Client c has seen order p (if it can): samples order -> visible. */
void play_seen(struct client *c, struct pending *p);

/*
 * After each event of c's stream: measures resolution -> log, ends the
 * battle when the run is over, plans the bot's orders for a new round,
 * and starts the final check once the battle has ended.
 */
void play_after_event(struct client *c);

/* ---- sse.c --------------------------------------------------------- */

/* Queues c's first stream, opened at --connect-rate. */
void sse_queue(struct client *c);

/* Closes c's stream, if any, and cancels its reconnection. */
void sse_stop(struct client *c);

/* Frees the queue of first streams and cancels its timer. */
void sse_queue_free(struct open_queue *q);

/* ---- checks.c ------------------------------------------------------ */

/* Checks c's view against GET in ms (again, if already planned). */
void checks_later(struct client *c, int64_t ms);

/*
 * Reads the battle's whole log, checks the acknowledged orders and the
 * narrations in it, deletes the battle unless --keep, then calls
 * battle_finish() again.
 */
void checks_read_log(struct battle *b);

/* ---- small JSON helpers -------------------------------------------- */

/* A string member, or "" (never NULL). */
static inline const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* An integer member, or 0. */
static inline int
jint(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static inline int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

#endif
