/*
 * What the store keeps of a battle, and how it is read back (sql/;
 * doc/design.md, "The store").  Backend-neutral: a record is plain data,
 * and each store backend writes and reads it in its own dialect
 * (persist_sqlite.c, persist_pg.c), picked by the connection given.
 *
 * A write record gathers everything one accepted change puts on disk (the
 * battle row, a member's token hash, the action, its log entries, the
 * battle's phase and deadline, sometimes a snapshot) and is applied on the
 * storage thread as one store work item (store.h).  Snapshots are
 * compressed there, off the loop.
 *
 * Loading reads a battle back for the restore at start-up: its row, its
 * members, its newest snapshot (decompressed) and the actions after it.
 *
 * Records are built on the loop thread and then belong to the store until
 * their done function; loads run wherever the connection is owned.
 */
#ifndef BROADSIDE_PERSIST_H
#define BROADSIDE_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "idempotency.h"
#include "token.h"

struct persist_write;
struct store_conn;

/* The longest node id (--node-id), with its NUL. */
#define PERSIST_OWNER_MAX 128

/* A new, empty record for one battle. */
struct persist_write *persist_write_new(const char *battle_id);

/* Frees a record (after its done function).  NULL is a no-op. */
void persist_write_free(struct persist_write *w);

/* INSERT the battle's row. */
void persist_write_battle(struct persist_write *w, const char *name,
    const char *join_code, const unsigned char gm_hash[TOKEN_HASH_LEN],
    int64_t created_at);

/* INSERT a member (a player or spectator) with their token's hash. */
void persist_write_member(struct persist_write *w, int member_id,
    const char *name, const char *role,
    const unsigned char hash[TOKEN_HASH_LEN], int64_t at);

/* INSERT the action; body is copied as compact JSON. */
void persist_write_action(struct persist_write *w, uint64_t seq,
    const char *kind, const char *actor, const json_t *body, int64_t at);

/*
 * INSERT every entry of the array (each has "seq" and "round"), with the
 * crew's copy of each from crew (an array of the same length), or none
 * when crew is NULL.
 */
void persist_write_log(struct persist_write *w, const json_t *entries,
    const json_t *crew);

/* How many log entries the write holds. */
size_t persist_write_log_count(const struct persist_write *w);

/*
 * Log entry i of the write as it is stored: compact JSON with sorted
 * keys; the crew's copy when crew (NULL when there is none).
 */
const char *persist_write_log_text(const struct persist_write *w, size_t i,
    int crew);

/* UPDATE the battle's phase, deadline and end time (0: NULL). */
void persist_write_phase(struct persist_write *w, const char *phase,
    int64_t deadline, int64_t ended_at);

/*
 * INSERT a snapshot of state (codec_save() text, ownership passes to the
 * record), compressed with zlib on the storage thread.
 */
void persist_write_snapshot(struct persist_write *w, uint64_t action_seq,
    int round, char *state, size_t len, int64_t at);

/* DELETE the battle and everything it owns. */
void persist_write_delete(struct persist_write *w);

/*
 * INSERT (or replace) the answer to a request sent with an idempotency
 * key, begun at created and kept until expires (Unix ms); everything is
 * copied.  A battle deleted in the same record keeps this row when the
 * request's battle is "" (the key of the DELETE itself).
 */
void persist_write_idempotency(struct persist_write *w,
    const struct idempotency_request *req, int64_t created, int64_t expires,
    const struct idempotency_response *resp);

/*
 * Fences the record by a battle's lease: applying it first checks, in the
 * same transaction, that the battle is still owner's at epoch, and fails
 * with BS_ERR_LOST when it is not.  A record that creates the battle
 * writes the lease instead (owner, epoch, expiry ttl_ms from now on the
 * store's clock).
 */
void persist_write_lease(struct persist_write *w, const char *owner,
    int64_t epoch, int64_t ttl_ms);

/*
 * The store_apply_fn for a record: 0, BS_ERR_LOST (its lease is held by
 * another node now: nothing written) or BS_ERR_IO (logged).
 */
int persist_apply(struct store_conn *conn, void *w);

/* ---- reading back ------------------------------------------------------ */

struct persist_member {
	int id;			/* > 0 player, < 0 spectator */
	char *name;
	char role[16];
	unsigned char hash[TOKEN_HASH_LEN];
};

struct persist_action {
	uint64_t seq;
	char kind[32];
	char actor[32];
	char *body;
};

struct persist_battle {
	char id[32];
	char *name;
	char join_code[16];
	unsigned char gm_hash[TOKEN_HASH_LEN];
	int64_t created_at;
	/* Its last action or member's join, else created_at (Unix ms). */
	int64_t last_active;
	struct persist_member *members;
	size_t nmembers;
	char *snapshot;		/* decompressed codec text */
	size_t snapshot_len;
	uint64_t snapshot_seq;	/* last action in the snapshot */
	struct persist_action *actions;	/* after the snapshot, in order */
	size_t nactions;
};

/*
 * The ids of every stored battle, oldest first, as a new array of new
 * strings (free each, then the array).  Returns 0 or BS_ERR_IO.
 */
int persist_battle_ids(struct store_conn *conn, char ***ids, size_t *n);

/* Loads one battle.  Returns 0, BS_ERR_NOT_FOUND or BS_ERR_IO. */
int persist_load(struct store_conn *conn, const char *id,
    struct persist_battle **out);

/* NULL is a no-op. */
void persist_battle_free(struct persist_battle *pb);

/*
 * Increments the stored start counter and returns the new value in
 * *epoch.  Returns 0 or BS_ERR_IO.  Start-up only.
 */
int persist_next_epoch(struct store_conn *conn, int64_t *epoch);

/*
 * A log entry as read: its text as it was stored (a JSON object, as
 * persist_write_log() wrote it), the crew's copy when the crew's was
 * asked for and stored, else the GM's full entry (full is 1: an entry
 * stored before schema version 3, or the GM's read).
 */
struct persist_log_entry {
	int64_t seq;
	char *text;
	int full;
};

/*
 * Reads up to limit log entries with seq > after, oldest first, into a
 * new array of *n (NULL when none; persist_log_entries_free() frees it):
 * the crew's copies when crew is 1.  A row whose text is not an object's
 * is left out.  Returns 0 or BS_ERR_IO.
 */
int persist_read_log(struct store_conn *conn, const char *id, int64_t after,
    int limit, int crew, struct persist_log_entry **entries, size_t *n);
void persist_log_entries_free(struct persist_log_entry *entries, size_t n);

/*
 * Calls fn for every stored idempotency key not expired by now (Unix ms),
 * oldest first; what fn gets is borrowed for the call.  Returns 0 or
 * BS_ERR_IO.  Start-up only.
 */
int persist_idempotency_load(struct store_conn *conn, int64_t now,
    void (*fn)(void *arg, const struct idempotency_request *req,
    int64_t created, const struct idempotency_response *resp), void *arg);

/*
 * Deletes the idempotency keys expired by now, and those past the newest
 * per_caller of their caller or the newest total in all (a pass over
 * every key: 0.2 s at 35,000 keys, in which every write waits).
 * per_caller and total 0 ask for the expired keys only, and only where
 * that is cheap: PostgreSQL deletes them through its index on expiry;
 * SQLite keeps no such index (one daemon owns the file, and its index
 * names every key it forgets, the expired ones included, to
 * persist_idempotency_delete()) and does nothing.  Returns 0 or
 * BS_ERR_IO (a store_apply_fn's contract).
 */
int persist_idempotency_sweep(struct store_conn *conn, int64_t now,
    size_t per_caller, size_t total);

/*
 * Deletes the stored keys the index forgot to stay within its limits
 * (idempotency_take_gone()), each by its primary key: no pass over the
 * others.  Returns 0 or BS_ERR_IO.
 */
int persist_idempotency_delete(struct store_conn *conn,
    const struct idempotency_gone *gone, size_t n);

/* ---- leases (doc/design.md, "Battle leases") ------------------------------ */

/* A stored battle as the listing shows one served elsewhere. */
struct persist_summary {
	const char *id, *name, *phase;
	const char *owner;	/* NULL: no live lease */
	int64_t created_at;
};

/*
 * Calls fn for every stored battle, oldest first; what fn gets is
 * borrowed for the call.  owner is NULL for a lease that has expired.
 * Returns 0 or BS_ERR_IO.
 */
int persist_battle_list(struct store_conn *conn,
    void (*fn)(void *arg, const struct persist_summary *s), void *arg);

/*
 * Takes the battle's lease for owner when it is free, expired or owner's
 * already: one more epoch, expiring ttl_ms from now on the store's clock.
 * Returns 0 with the new epoch, BS_ERR_NOT_FOUND (no such battle),
 * BS_ERR_LOST (another node holds it) or BS_ERR_IO.
 */
int persist_lease_take(struct store_conn *conn, const char *id,
    const char *owner, int64_t ttl_ms, int64_t *epoch);

/*
 * Extends, to ttl_ms from now, each of the n leases that owner still
 * holds at the epoch given; kept[i] says whether ids[i]'s was: 0 no, 1
 * yes, 2 yes and another node was asked for it in the last half lease
 * (persist_lease_take() there found it held).  Returns 0 or BS_ERR_IO
 * (kept untouched).
 */
int persist_lease_renew(struct store_conn *conn, const char *owner,
    int64_t ttl_ms, const char *const *ids, const int64_t *epochs, size_t n,
    int *kept);

/*
 * Gives up the n leases owner holds at the epochs given (no owner,
 * expired), so that another node may take them at once.  Returns 0 or
 * BS_ERR_IO.
 */
int persist_lease_release(struct store_conn *conn, const char *owner,
    const char *const *ids, const int64_t *epochs, size_t n);

#endif
