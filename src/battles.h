/*
 * The battles this daemon hosts: the live registry behind the API.
 *
 * A live battle is the rules engine's state (game/game.h) plus what the
 * API needs around it: its id, name and join code, the hashes of its GM's
 * and members' tokens, its round timer and its writes in flight.  Every
 * change goes through live_battle_act() (or the create/join/delete calls):
 * the engine applies it at once to the battle's working state (a refusal
 * changes nothing), the store records it (persist.h), and only after the
 * commit is it applied to the committed state, which is all that readers
 * and event streams are shown, and does the caller's done function run:
 * nothing is acknowledged or published before it is durable.  Reads of
 * the store wait behind the battle's pending writes (live_battle_barrier()).
 *
 * Planning ends when every order is in or the stored deadline (wall
 * clock) passes, and resolution is itself a recorded action, so a restart
 * resumes the same round at the same deadline.
 *
 * battles_impl.h says how the parts (battles_*.c) divide the work and
 * why a battle keeps two engine states (doc/design.md, "Data flow of an
 * order", too).  Loop thread only.
 */
#ifndef BROADSIDE_BATTLES_H
#define BROADSIDE_BATTLES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "action.h"
#include "game/game.h"
#include "token.h"

struct battles;
struct live_battle;
struct loop;
struct metrics;
struct store;
struct stream;
struct channel;

struct battles_options {
	size_t max_battles;
	int max_ships;
	int max_players;
	int max_spectators;
	int snapshot_every;	/* actions between snapshots (besides rounds) */
	/* Battle leases (battles_lease.c): */
	const char *node_id;	/* NULL: hostname:port, or hostname:pid */
	const char *listen;	/* --listen, for that default */
	int64_t lease_ttl_ms;	/* 0: 10 s */
	/*
	 * A PostgreSQL store's location: battles are taken when first
	 * asked for, on a connection of the loop's own.  NULL (SQLite):
	 * every battle is taken and restored at start-up.
	 */
	const char *pg_location;
};

/*
 * The done function of a change: status 0 (committed) or BS_ERR_IO (the
 * write failed: nothing was acknowledged); result is the action's result
 * ({"player":id}, {"ship":id}) or NULL, borrowed for the call.
 */
typedef void (*battles_done_fn)(void *arg, int status, json_t *result);

/*
 * A page of the log as its reader gets it: entries is the text of a JSON
 * array of count entries (each as it was stored, so as the event stream
 * sent it), len bytes; last is the seq of its last entry (0 if none).
 */
struct battles_log_page {
	const char *entries;
	size_t len;
	size_t count;
	int64_t last;
};

/* A read's done function: the page borrowed for the call (empty unless
 * status is 0). */
typedef void (*battles_read_fn)(void *arg, int status,
    const struct battles_log_page *page);

struct persist_write;
struct persist_summary;

/*
 * Sees every write of a change just before it goes to the store, on the
 * loop thread, inside the call that made the change: done and arg are the
 * change's, result its action's result (borrowed, may be NULL).  What the
 * hook adds to w commits in the same transaction as the change (the
 * idempotency records of src/api/idempotent.c).
 */
typedef void (*battles_submit_fn)(void *ctx, battles_done_fn done, void *arg,
    struct persist_write *w, json_t *result);

/* stream may be NULL (no event streams, as in tests). */
struct battles *battles_new(struct loop *loop, struct store *store,
    struct stream *stream, struct metrics *metrics,
    const struct battles_options *opts);

/* Installs the hook every write goes through (NULL: none). */
void battles_set_submit_hook(struct battles *reg, battles_submit_fn fn,
    void *ctx);

/* Frees every live battle.  NULL is a no-op. */
void battles_free(struct battles *reg);

/*
 * Loads every stored battle: its newest snapshot, then its later actions
 * replayed through the engine; arms round timers (a deadline that passed
 * while the daemon was down resolves at once).  Call before store_start().
 * Returns 0 or BS_ERR_IO with a sentence in err.
 */
int battles_restore(struct battles *reg, char *err, size_t errlen);

/*
 * This run's event-stream epoch: one more than the last run's on the same
 * database (set by battles_restore()).
 */
int64_t battles_epoch(const struct battles *reg);

/* The live battle with this id, or NULL (deleted ones are gone). */
struct live_battle *battles_find(struct battles *reg, const char *id);

/*
 * The battle with this id, served here: a live one, or, on a shared
 * (PostgreSQL) store, one whose lease is free or expired, taken now and
 * restored from the store.  Blocks on the store for a take (once per
 * battle and node).  Returns 0 with *lb, BS_ERR_NOT_FOUND (no such
 * battle), BS_ERR_LOST (another node holds it: answer 503, try again in
 * a second) or BS_ERR_IO (the store cannot be asked).
 */
int battles_lookup(struct battles *reg, const char *id,
    struct live_battle **lb);

/*
 * Whether battles_lookup() of id would ask the store: a shared store and
 * a battle not live here.  (Such a lookup costs the loop round trips,
 * so the API counts it against the client's address first.)
 */
int battles_asks_store(struct battles *reg, const char *id);

/* This node's id in the battle leases. */
const char *battles_node_id(const struct battles *reg);

/*
 * On a shared (PostgreSQL) store, calls fn for every stored battle that
 * is not live here, oldest first (borrowed for the call; owner NULL when
 * no node holds it now).  Blocks on the store.  Returns 0 (nothing to
 * do on SQLite, where every battle is live here) or BS_ERR_IO.
 */
int battles_foreach_elsewhere(struct battles *reg,
    void (*fn)(void *arg, const struct persist_summary *s), void *arg);

/*
 * Gives up every lease this node holds, after the final commit (a drain),
 * so that another node may take its battles at once.  NULL is a no-op.
 */
void battles_release(struct battles *reg);

/* Battles in memory, those being deleted included (for tests). */
size_t battles_count(const struct battles *reg);

/* Calls fn for every live battle, oldest first. */
void battles_foreach(struct battles *reg,
    void (*fn)(struct live_battle *lb, void *arg), void *arg);

/*
 * Creates a battle in the lobby.  On 0, gm_token holds the GM's token
 * (shown once: only its hash is kept), *out the battle, and done runs
 * after the commit.  Returns BS_ERR_LIMIT (too many battles),
 * BS_ERR_INVALID (round_seconds out of range: why says so) or BS_ERR_IO.
 */
int battles_create(struct battles *reg, const char *name, int round_seconds,
    int spectators, char gm_token[TOKEN_LEN + 1], struct live_battle **out,
    struct refusal *why, battles_done_fn done, void *arg);

/* ---- one battle ------------------------------------------------------------ */

const char *live_battle_id(const struct live_battle *lb);
const char *live_battle_name(const struct live_battle *lb);
const char *live_battle_join_code(const struct live_battle *lb);
int64_t live_battle_created_at(const struct live_battle *lb);
/* The committed state: what every reader and viewer is shown. */
const struct battle *live_battle_game(const struct live_battle *lb);

/*
 * The document a viewer sees (new reference): the engine's projection of
 * the committed state, with the battle's id and name, and for the GM its
 * join code.  GET of the battle and the event stream's
 * snapshots and deltas are made of it.
 */
json_t *live_battle_document(const struct live_battle *lb,
    enum viewer viewer);

/*
 * GET's answer: live_battle_document() as response_json() sends it
 * (request.h), its length in *len.  Rendered once per view and committed
 * change, for every reader of the battle (ten clients fetching it after
 * a resolution cost three renderings, not ten); valid until the next
 * change commits.
 */
const char *live_battle_document_text(struct live_battle *lb,
    enum viewer viewer, size_t *len);

/*
 * The committed state's 64-bit hash in hex (16 digits and a NUL): the
 * same battle, dice to come included, has the same hash.
 */
void live_battle_state_hash(const struct live_battle *lb, char out[17]);

/*
 * The size in bytes of the battle's engine state at its last stored
 * snapshot (0 before the first), and when its last change was applied
 * or a member joined (Unix ms; its creation before any; after a restart,
 * as the store last recorded it): for the dashboard and expiry.
 */
size_t live_battle_state_bytes(const struct live_battle *lb);
int64_t live_battle_last_change(const struct live_battle *lb);

/* The battle's event stream (NULL while it is being deleted). */
struct channel *live_battle_channel(const struct live_battle *lb);
size_t live_battle_spectators(const struct live_battle *lb);

/*
 * Who a token belongs to in this battle.  Returns 0 and fills who, or
 * BS_ERR_DENIED when the token is not one of this battle's.
 */
int live_battle_authenticate(const struct live_battle *lb, const char *token,
    struct actor *who);

/*
 * live_battle_authenticate() for a token already hashed (token_hash()):
 * a request hashes its token once, whatever it then looks up.
 */
int live_battle_authenticate_hash(const struct live_battle *lb,
    const unsigned char hash[TOKEN_HASH_LEN], struct actor *who);

/*
 * Applies an action (body borrowed) and records it; done runs after the
 * commit.  On refusal returns the engine's code with why filled, and done
 * is not called.  BS_ERR_STATE with why filled if the battle is being
 * deleted or recovering from a failed write.
 */
int live_battle_act(struct live_battle *lb, enum action_kind kind,
    const struct actor *who, const json_t *body, struct refusal *why,
    battles_done_fn done, void *arg);

/*
 * Joins with the battle's join code, as a player (the engine gives the id)
 * or, when spectator is set, as a spectator.  On 0, token holds the new
 * member's token and *member its id (> 0 player, < 0 spectator); done
 * runs after the commit.  Refusals as live_battle_act(), plus
 * BS_ERR_DENIED for a wrong join code or spectators not allowed, and
 * BS_ERR_LIMIT for too many spectators.
 */
int live_battle_join(struct live_battle *lb, const char *join_code,
    const char *name, int spectator, char token[TOKEN_LEN + 1], int *member,
    struct refusal *why, battles_done_fn done, void *arg);

/*
 * Deletes the battle: it disappears from lookups at once, from disk with
 * the commit, from memory when its last write is done.
 */
void live_battle_delete(struct live_battle *lb, battles_done_fn done,
    void *arg);

/*
 * Runs done(arg, 0, NULL) once every write submitted so far for this
 * battle has committed (at once, if none is pending).
 */
void live_battle_barrier(struct live_battle *lb, battles_done_fn done,
    void *arg);

/*
 * Reads log entries with seq > after, up to limit, through the storage
 * thread, after the pending writes, as viewer reads them: the GM's full
 * entries, or the crew's copies made when each entry was written (what
 * the event stream showed then, not what the crew detects now).
 */
void live_battle_read_log(struct live_battle *lb, enum viewer viewer,
    int64_t after, int limit, battles_read_fn done, void *arg);

/*
 * Whether token belongs to some live battle (its GM or a member).  A scan
 * of every battle: for error messages only, after rate limiting.  The
 * token is hashed once; battles_hash_known() takes the hash.
 */
int battles_token_known(const struct battles *reg, const char *token);
int battles_hash_known(const struct battles *reg,
    const unsigned char hash[TOKEN_HASH_LEN]);

/*
 * Calls fn for every live battle idle past its time at now_ms (Unix ms):
 * a lobby with no change (a join, a GM edit) for lobby_ttl_ms, an ended
 * battle with none for ended_ttl_ms (its end, usually); a ttl of 0 never
 * expires.  Battles in play never expire.  fn may delete the battle
 * (live_battle_delete()).  Returns how many it found.
 */
size_t battles_foreach_expired(struct battles *reg, int64_t now_ms,
    int64_t lobby_ttl_ms, int64_t ended_ttl_ms,
    void (*fn)(struct live_battle *lb, void *arg), void *arg);

/* Wall-clock milliseconds since the Unix epoch (deadlines, records). */
int64_t battles_wall_ms(void);

#endif
