/*
 * The insides of the live battles (battles.h), shared by the files that
 * implement it and by nothing else:
 *
 *   battles.c          the registry: new/free/find/foreach, ids, create,
 *                      the plain accessors
 *   battles_write.c    changes: the engine's apply, the one record path
 *                      (act, join), the pending writes and their commit,
 *                      delete, barrier
 *   battles_round.c    the round timer: resolve when due or all in
 *   battles_members.c  join, spectators, tokens, the join code
 *   battles_read.c     what readers see: documents, the state hash, the
 *                      event stream's source, log reads
 *   battles_restore.c  start-up: snapshot, replay, epoch
 *
 * Two engine states.  Every live battle holds the rules engine's state
 * twice, and every accepted action is applied to each of them once:
 *
 *  - working: the action is applied here at once, inside the caller's
 *    call.  The engine must answer then (a refusal is the client's 4xx
 *    now; a result such as the new player's id goes into the record), and
 *    the next action, which may come before this one commits, must be
 *    judged against a state that includes it (the next player id, a
 *    station already taken, the last order that makes a round all in).
 *    What goes to disk with a write is taken from it too: the snapshot
 *    and the crew's copies of the log (the store commits writes in the
 *    order they were submitted, so working is exactly the state after
 *    that write).  The round timer follows it.
 *  - committed: the action is applied here again only when the store says
 *    its write is on disk (write_done() in battles_write.c; the engine is
 *    deterministic, so it does the same), or, when that write was the
 *    last in flight and none failed, committed becomes a copy of working,
 *    which is then exactly that state.  Everything shown to anyone
 *    comes from it: live_battle_game(), live_battle_document(), the state
 *    hash, the event stream's documents and log views; and a change's
 *    events (channel_changed(), the "accepted" event) go out from the
 *    same place, after the commit.  So no reader sees, and no event
 *    publishes, a change that a crash or a failed write could still lose:
 *    nothing is acknowledged or published before it is committed.
 *
 * A failed write leaves working ahead of the disk with no way back: the
 * engine has no undo, and the writes queued behind the failed one were
 * judged against a state that includes it.  The battle is marked broken
 * and refuses changes; committed still equals what the disk holds, so
 * readers go on being shown the truth until a restart rebuilds the battle
 * from the store (battles_restore.c), where working and committed start
 * equal again.  Writes already queued behind the failed one still commit
 * and are applied to committed in turn; one that depended on the lost
 * action is logged as not applying again.
 *
 * Memory: struct battles owns its live battles (a hash table for lookup,
 * a list in creation order) and borrows the loop, store and stream.  A
 * live battle owns its name, members, both engine states, its channel and
 * its round timer.  A pending write (battles_write.c) points to its
 * battle and keeps it alive: a deleted battle leaves the lookups at once
 * but is freed only when its last write is done.
 *
 * Loop thread only, like battles.h.
 */
#ifndef BROADSIDE_BATTLES_IMPL_H
#define BROADSIDE_BATTLES_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "battles.h"
#include "persist.h"

#define BATTLE_ID_LEN 10
#define JOIN_CODE_LEN 6

struct persist_write;

struct member {
	int id;			/* > 0 player (engine id), < 0 spectator */
	enum actor_role role;
	unsigned char hash[TOKEN_HASH_LEN];
};

struct live_battle {
	struct battles *reg;

	/* Set once when the battle is made or restored (battles.c). */
	char id[BATTLE_ID_LEN + 1];
	char *name;
	char join_code[JOIN_CODE_LEN + 1];
	unsigned char gm_hash[TOKEN_HASH_LEN];
	int64_t created_at;

	/* Who has joined (battles_members.c). */
	struct member *members;
	size_t nmembers;
	size_t nspectators;

	/* The two engine states: see the top of this file. */
	struct battle *working;		/* every accepted change, at once */
	struct battle *committed;	/* only what the store has committed */
	/*
	 * The committed state as the event stream last published it: what
	 * the next publish compares against (battles_read.c).
	 */
	struct battle *published;
	/*
	 * GET's answer for each view of the committed state, rendered when
	 * first asked for and forgotten when a change commits (NULL: not
	 * rendered); battles_read.c.
	 */
	char *document[VIEWER_COUNT];
	size_t document_len[VIEWER_COUNT];

	/* The write pipeline (battles_write.c). */
	uint64_t action_seq;	/* last action recorded */
	uint64_t snapshot_seq;	/* last action in a snapshot */
	unsigned pending;	/* writes submitted, not yet done */
	int deleting;		/* gone from lookups; freed when pending is 0 */
	int broken;		/* a write failed: working is ahead of disk */
	/*
	 * Created on a shared store: written with no owner, and dropped once
	 * that write is done, so that whichever node the balancer sends its
	 * first request to takes it (a creation carries no battle id to
	 * route by).
	 */
	int unheld;
	int64_t lease_epoch;	/* the lease we hold it by (battles_lease.c) */
	uint64_t asked_us;	/* monotonic: its last lookup here */
	uint64_t written_us;	/* monotonic: its last write (or take) here */
	int wanted;		/* another node was asked for it (renewal) */
	size_t state_bytes;	/* engine state at the last snapshot */
	int64_t last_change;	/* Unix ms */

	struct channel *channel;	/* its event stream (battles_read.c) */

	/* The round timer (battles_round.c). */
	struct loop_timer *round_timer;
	int resolve_queued;

	/* The registry's links (battles.c). */
	struct live_battle *hnext;	/* hash chain */
	struct live_battle *prev, *next;	/* creation order */
};

struct battles {
	struct loop *loop;
	struct store *store;
	struct stream *stream;		/* NULL: no event streams */
	struct battles_options opts;
	struct live_battle **table;	/* nbuckets chains, by id_hash() */
	size_t nbuckets;
	size_t count;			/* deleting ones included */
	struct live_battle *first, *last;
	int64_t epoch;
	struct metric *m_battles;	/* gauge by phase; NULL: no metrics */
	struct metric *m_resolve;	/* histogram, seconds */
	battles_submit_fn submit_hook;
	void *submit_ctx;

	/* Leases (battles_lease.c). */
	char node_id[PERSIST_OWNER_MAX];
	struct store_conn *lease_conn;	/* PostgreSQL only: the loop's own */
	struct loop_timer *lease_timer;
	uint64_t lease_ok_us;	/* monotonic: start of the last renewal */
};

/* ---- battles.c ------------------------------------------------------------- */

/* A new battle with this id and name, in no registry, with no state. */
struct live_battle *live_battle_alloc(struct battles *reg, const char *id,
    const char *name);

/* Frees a battle already out of the registry (or never in it). */
void live_battle_free(struct live_battle *lb);

/* Adds lb to the registry, last in creation order. */
void registry_insert(struct battles *reg, struct live_battle *lb);

/* Takes lb out of the registry; the caller frees it. */
void registry_remove(struct battles *reg, struct live_battle *lb);

/* Moves the battles-by-phase gauge by delta for phase. */
void phase_gauge(struct battles *reg, enum battle_phase phase, double delta);

/* ---- battles_write.c ------------------------------------------------------- */

/*
 * A change between the engine and the store: applied to the working state
 * by battle_change_apply(), then recorded by battle_change_record().
 */
struct battle_change {
	enum action_kind kind;
	struct actor who;	/* as recorded, and as applied at the commit */
	const json_t *body;	/* borrowed */
	enum battle_phase before;	/* the phase before the change */
	json_t *log;		/* its new log entries (owned) */
	json_t *result;		/* the engine's result or NULL (owned) */
};

/*
 * Applies an action to the working state, filling c.  On 0 the caller
 * must pass c to battle_change_record(); otherwise returns the engine's
 * code with why filled, nothing changed and c holding nothing.
 */
int battle_change_apply(struct live_battle *lb, struct battle_change *c,
    enum action_kind kind, const struct actor *who, const json_t *body,
    struct refusal *why);

/*
 * The one record path of an applied change: adds the action, its log, the
 * phase and any snapshot to w (which may already hold more: a member),
 * submits w, and arms the round timer.  Takes c's log and result, and w.
 * done runs after the commit.
 */
void battle_change_record(struct live_battle *lb, struct battle_change *c,
    struct persist_write *w, battles_done_fn done, void *arg);

/* Adds the battle's phase and, when due or forced, a snapshot to w. */
void battle_record_state(struct live_battle *lb, struct persist_write *w,
    int force_snapshot);

/*
 * Submits w (NULL: a barrier) to the store, through the submit hook;
 * done runs after the commit.  Takes w and result.
 */
void battle_submit(struct live_battle *lb, struct persist_write *w,
    battles_done_fn done, void *arg, json_t *result);

/* 0, or BS_ERR_STATE with why filled when lb is deleting or broken. */
int battle_refuse_state(const struct live_battle *lb, struct refusal *why);

/* ---- battles_lease.c ------------------------------------------------------- */

/* Fills reg's node id from its options. */
void lease_init(struct battles *reg);

/*
 * Takes a battle out of service (it leaves the lookups, its round timer
 * stops, its streams are told to come back in a second) but does not
 * free it: its caller frees it once no write of it is pending (as
 * write_done() does for any battle marked deleting).
 */
void battle_drop(struct live_battle *lb);

/* battle_drop() because the battle's lease is no longer ours, logged. */
void battle_lose(struct live_battle *lb);

/*
 * Restores one stored battle, held by epoch, through conn.  Returns 0 or
 * the load's error (logged).
 */
int battle_restore_one(struct battles *reg, struct store_conn *conn,
    const char *id, int64_t epoch);

/* Starts the renewal timer (PostgreSQL). */
void lease_start(struct battles *reg);

/* ---- battles_round.c ------------------------------------------------------- */

/*
 * After every change and at restore: arms the round timer for the
 * working state's deadline, or queues the resolution when every order is
 * in, or stops the timer outside planning.
 */
void battle_after_change(struct live_battle *lb);

/* ---- battles_members.c ----------------------------------------------------- */

/* Adds a member (no checks: the caller decided). */
void member_add(struct live_battle *lb, int id, enum actor_role role,
    const unsigned char hash[TOKEN_HASH_LEN]);

/* ---- battles_read.c -------------------------------------------------------- */

/*
 * Makes a battle whose working state is loaded readable: committed
 * becomes a copy of it and the battle gets its event stream.
 */
void live_battle_open(struct live_battle *lb);

/* The committed state changed: GET's renderings are stale. */
void live_battle_forget_documents(struct live_battle *lb);

#endif
