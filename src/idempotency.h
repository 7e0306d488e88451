/*
 * Idempotency keys (IETF httpapi "The Idempotency-Key HTTP Header
 * Field"): the in-memory index of the keys clients sent with their
 * changes, and the answers those changes got (doc/design.md,
 * "Idempotency").
 *
 * A key lives in the scope of its caller (a 32-byte hash: of the bearer
 * token, or of the client address) and its target ("POST /v1/battles").
 * The first request with a key begins an entry, in flight until the change
 * it made has committed (idempotency_finish()) or was refused
 * (idempotency_abandon()).  A request with the same key and scope then
 * finds the entry: its stored answer if the fingerprint (a hash of method,
 * path and body) is the same and the entry is finished, else a mismatch or
 * "in flight".
 *
 * The index is bounded: at most limits.per_caller keys per caller and
 * limits.total in all (past either, the oldest finished key is forgotten;
 * keys in flight are never forgotten), and a finished key expires
 * limits.ttl_ms after it began.  It does no I/O and reads no clock: every
 * call that needs the time takes `now` (Unix ms), so the tests can make
 * time up.  Writing entries to disk and loading them back is persist.h's;
 * the API glue is src/api/idempotent.c.
 *
 * One thread (the loop's).
 */
#ifndef BROADSIDE_IDEMPOTENCY_H
#define BROADSIDE_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#define IDEMPOTENCY_KEY_MAX 64		/* characters in a key */
#define IDEMPOTENCY_HASH_LEN 32		/* SHA-256 */
#define IDEMPOTENCY_PER_CALLER 256	/* default limits.per_caller */
#define IDEMPOTENCY_TOTAL 65536		/* default limits.total */
#define IDEMPOTENCY_MAX_BODY 16384	/* larger answers are not kept */
#define IDEMPOTENCY_BATTLE_MAX 31	/* bytes of a battle id */

struct idempotency;
struct idempotency_entry;

struct idempotency_limits {
	size_t per_caller;
	size_t total;
	int64_t ttl_ms;
};

/* What identifies a request; strings are copied by the calls that keep them. */
struct idempotency_request {
	unsigned char caller[IDEMPOTENCY_HASH_LEN];
	const char *target;		/* "POST /v1/battles/ID/ships" */
	const char *key;
	unsigned char fingerprint[IDEMPOTENCY_HASH_LEN];
	const char *battle;		/* whose deletion forgets it, or "" */
};

/* A stored answer; strings may be NULL (no such header). */
struct idempotency_response {
	int status;
	const char *content_type;
	const char *location;
	const char *body;
	size_t body_len;
};

enum idempotency_outcome {
	IDEMPOTENCY_NEW,	/* first use: process the request */
	IDEMPOTENCY_REPLAY,	/* same request, finished: send its answer */
	IDEMPOTENCY_IN_FLIGHT,	/* same key, its first request not done */
	IDEMPOTENCY_MISMATCH,	/* same key, another request */
};

/* A new, empty index; limits are copied (a 0 in them means the default). */
struct idempotency *idempotency_new(const struct idempotency_limits *limits);

/* Frees the index and every entry, in flight or not.  NULL is a no-op. */
void idempotency_free(struct idempotency *idx);

/*
 * Whether key is a valid Idempotency-Key: 1 to IDEMPOTENCY_KEY_MAX
 * characters of A-Z, a-z, 0-9, '-' and '_'.
 */
int idempotency_key_valid(const char *key);

/*
 * Looks req up.  IDEMPOTENCY_NEW: a new entry, in flight, is in *entry
 * (forgetting the oldest finished keys past the bounds); the caller must
 * later finish or abandon it.  IDEMPOTENCY_REPLAY (counted in
 * idempotency_replays()), IDEMPOTENCY_IN_FLIGHT, IDEMPOTENCY_MISMATCH:
 * *entry is the existing entry, borrowed until the next call.  An expired
 * entry is forgotten first and counts as absent.
 */
enum idempotency_outcome idempotency_begin(struct idempotency *idx,
    const struct idempotency_request *req, int64_t now,
    struct idempotency_entry **entry);

/* Sets the answer of an entry in flight (copied); it stays in flight. */
void idempotency_set_response(struct idempotency_entry *e,
    const struct idempotency_response *resp);

/* The entry's answer (borrowed), or NULL if none was set. */
const struct idempotency_response *idempotency_response(
    const struct idempotency_entry *e);

/* The entry's request, borrowed: its caller, target, key and so on. */
const struct idempotency_request *idempotency_entry_request(
    const struct idempotency_entry *e);

/* When the entry began (Unix ms). */
int64_t idempotency_entry_created(const struct idempotency_entry *e);

/*
 * The change committed: the entry keeps its answer (it must have one)
 * until it expires or is pushed out.  Its pointer stays valid until the
 * next idempotency_begin(), _restore(), _expire() or _forget_battle().
 */
void idempotency_finish(struct idempotency *idx, struct idempotency_entry *e);

/* The change did not happen: forgets the entry (e is freed). */
void idempotency_abandon(struct idempotency *idx,
    struct idempotency_entry *e);

/*
 * Adds a finished entry read back from disk, begun at created.  Entries
 * must come oldest first.  Returns 0, or -1 when it has expired by now or
 * its key is already there (it is then ignored).
 */
int idempotency_restore(struct idempotency *idx,
    const struct idempotency_request *req, int64_t created,
    const struct idempotency_response *resp, int64_t now);

/*
 * Forgets finished entries expired by now, and names them to the next
 * idempotency_take_gone(); returns how many.
 */
size_t idempotency_expire(struct idempotency *idx, int64_t now);

/*
 * Forgets the finished entries of a battle (it was deleted); those in
 * flight are left to finish.  Returns how many.
 */
size_t idempotency_forget_battle(struct idempotency *idx,
    const char *battle);

/* Entries held (in flight or finished). */
size_t idempotency_count(const struct idempotency *idx);

/*
 * A key the index forgot to stay within its limits (per caller or in
 * all), or because it expired: the sweep deletes its stored row, by key
 * and no newer than created, so that a later use of the same key keeps
 * its own.
 */
struct idempotency_gone {
	unsigned char caller[IDEMPOTENCY_HASH_LEN];
	char *target, *key;
	char *battle;			/* as in the request, "" for none */
	int64_t created;
};

/* Keys remembered as gone between two sweeps, at most. */
#define IDEMPOTENCY_GONE_MAX 65536

/*
 * Hands over the keys forgotten (limits, expiry) since the last call
 * (*gone, *n: free with idempotency_gone_free()), and starts over.
 * Returns 1 when more than IDEMPOTENCY_GONE_MAX were: the list is then
 * empty, and the stored keys are to be trimmed to the limits whole.
 */
int idempotency_take_gone(struct idempotency *idx,
    struct idempotency_gone **gone, size_t *n);

void idempotency_gone_free(struct idempotency_gone *gone, size_t n);

/* Replays answered since the index was made (a counter). */
uint64_t idempotency_replays(const struct idempotency *idx);

/* The limits in force (defaults filled in). */
const struct idempotency_limits *idempotency_limits(
    const struct idempotency *idx);

#endif
