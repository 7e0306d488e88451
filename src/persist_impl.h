/*
 * Inside persist: the record's fields, for the backends that write it
 * (persist_sqlite.c, persist_pg.c), and what each backend provides.
 * persist.c builds records and dispatches on the connection's backend.
 */
#ifndef BROADSIDE_PERSIST_IMPL_H
#define BROADSIDE_PERSIST_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "persist.h"

struct persist_log_row {
	int64_t seq;
	int round;
	char *entry;
	char *crew_entry;	/* or NULL */
};

struct persist_write {
	char battle_id[32];

	/* The lease the write is fenced by (lease_epoch 0: not fenced). */
	char owner[PERSIST_OWNER_MAX];
	int64_t lease_epoch;
	int64_t lease_ttl_ms;

	int has_battle;
	char *name;
	char join_code[16];
	unsigned char gm_hash[TOKEN_HASH_LEN];
	int64_t created_at;

	int has_member;
	int member_id;
	char *member_name;
	char member_role[16];
	unsigned char member_hash[TOKEN_HASH_LEN];
	int64_t member_at;

	int has_action;
	uint64_t action_seq;
	char kind[32];
	char actor[32];
	char *body;
	int64_t action_at;

	struct persist_log_row *log;
	size_t nlog;

	int has_phase;
	char phase[16];
	int64_t deadline, ended_at;

	char *snapshot;
	size_t snapshot_len;
	uint64_t snapshot_seq;
	int snapshot_round;
	int64_t snapshot_at;

	int delete;

	int has_idempotency;
	struct idempotency_request idem;	/* strings owned */
	struct idempotency_response idem_resp;	/* strings owned */
	int64_t idem_created, idem_expires;
};

/*
 * One backend's side of persist.h, each with the contract of the function
 * of the same name there.
 */
struct persist_backend {
	int (*apply)(struct store_conn *conn, struct persist_write *w);
	int (*battle_ids)(struct store_conn *conn, char ***ids, size_t *n);
	int (*load)(struct store_conn *conn, struct persist_battle *pb);
	int (*next_epoch)(struct store_conn *conn, int64_t *epoch);
	int (*read_log)(struct store_conn *conn, const char *id,
	    int64_t after, int limit, int crew,
	    struct persist_log_entry **entries, size_t *n);
	int (*idempotency_load)(struct store_conn *conn, int64_t now,
	    void (*fn)(void *arg, const struct idempotency_request *req,
	    int64_t created, const struct idempotency_response *resp),
	    void *arg);
	int (*idempotency_sweep)(struct store_conn *conn, int64_t now,
	    size_t per_caller, size_t total);
	int (*idempotency_delete)(struct store_conn *conn,
	    const struct idempotency_gone *gone, size_t n);
	int (*battle_list)(struct store_conn *conn,
	    void (*fn)(void *arg, const struct persist_summary *s),
	    void *arg);
	int (*lease_take)(struct store_conn *conn, const char *id,
	    const char *owner, int64_t ttl_ms, int64_t *epoch);
	int (*lease_renew)(struct store_conn *conn, const char *owner,
	    int64_t ttl_ms, const char *const *ids, const int64_t *epochs,
	    size_t n, int *kept);
	int (*lease_release)(struct store_conn *conn, const char *owner,
	    const char *const *ids, const int64_t *epochs, size_t n);
};

/*
 * The array literal ({a,b,...}) of ids and of epochs, for a statement's
 * array parameters; ids are battle ids ([A-Za-z0-9]), which need no
 * quoting.  New strings.
 */
void persist_array_literals(const char *const *ids, const int64_t *epochs,
    size_t n, char **ids_lit, char **epochs_lit);

extern const struct persist_backend persist_sqlite;
extern const struct persist_backend persist_pg;

/*
 * The record's snapshot compressed (zlib), as a new buffer in *z of *zlen
 * bytes.  Returns 0 or BS_ERR_IO.
 */
int persist_snapshot_compress(const struct persist_write *w,
    unsigned char **z, size_t *zlen);

/*
 * Decompresses a stored snapshot of raw bytes into pb.  Returns 0 or
 * BS_ERR_IO (a size out of bounds, or data that does not decompress).
 */
int persist_snapshot_load(struct persist_battle *pb, const void *z,
    size_t zlen, int64_t raw);

/*
 * Adds a log row read (its entry and crew_entry as stored, NULL for SQL
 * NULL) to entries, which has room for it, as persist_read_log() says:
 * *n grows by one unless the row is left out.
 */
void persist_log_entry_add(struct persist_log_entry *entries, size_t *n,
    int64_t seq, const char *entry, const char *crew_entry, int crew);

#endif
