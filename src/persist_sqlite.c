/*
 * Battles in an SQLite store (persist_impl.h): the statements of
 * persist.h in SQLite's dialect, on the connection of store_sqlite.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "persist_impl.h"
#include "store_sqlite.h"

/* ---- applying a record (storage thread) --------------------------------- */

/* Prepares, binds with a format ("t" text, "b" 32-byte blob, "i" int64,
 * "n" int64 or NULL when 0, "z" blob with explicit length), steps. */
static int
exec_bound(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc, i = 1;

	rc = store_sqlite_statement(db, sql, &st);
	if (rc != SQLITE_OK)
		return rc;
	va_start(ap, fmt);
	for (const char *f = fmt; *f != '\0'; f++, i++) {
		switch (*f) {
		case 't':
			sqlite3_bind_text(st, i, va_arg(ap, const char *), -1,
			    SQLITE_STATIC);
			break;
		case 'b':
			sqlite3_bind_blob(st, i, va_arg(ap, const void *),
			    TOKEN_HASH_LEN, SQLITE_STATIC);
			break;
		case 'z': {
			const void *p = va_arg(ap, const void *);
			int len = va_arg(ap, int);

			sqlite3_bind_blob(st, i, p, len, SQLITE_STATIC);
			break;
		}
		case 'i':
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'n': {
			int64_t v = va_arg(ap, int64_t);

			if (v != 0)
				sqlite3_bind_int64(st, i, v);
			else
				sqlite3_bind_null(st, i);
			break;
		}
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
apply_snapshot(sqlite3 *db, struct persist_write *w)
{
	unsigned char *z;
	size_t zlen;
	int rc;

	if (persist_snapshot_compress(w, &z, &zlen) != 0)
		return SQLITE_ERROR;
	rc = exec_bound(db, "INSERT OR REPLACE INTO snapshots (battle_id, "
	    "action_seq, round, state, raw_size, at) VALUES (?,?,?,?,?,?)",
	    "tiizii", w->battle_id, (int64_t)w->snapshot_seq,
	    (int64_t)w->snapshot_round, z, (int)zlen,
	    (int64_t)w->snapshot_len, w->snapshot_at);
	free(z);
	return rc;
}

static int
apply_idempotency(sqlite3 *db, struct persist_write *w)
{
	sqlite3_stmt *st;
	int rc;

	rc = store_sqlite_statement(db, "INSERT OR REPLACE INTO idempotency "
	    "(caller, target, key, fingerprint, battle_id, created_at, "
	    "expires_at, status, content_type, location, body) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?)", &st);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st, 1, w->idem.caller, IDEMPOTENCY_HASH_LEN,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->idem.target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, w->idem.key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, w->idem.fingerprint, IDEMPOTENCY_HASH_LEN,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, w->idem.battle, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, w->idem_created);
	sqlite3_bind_int64(st, 7, w->idem_expires);
	sqlite3_bind_int(st, 8, w->idem_resp.status);
	if (w->idem_resp.content_type != NULL)
		sqlite3_bind_text(st, 9, w->idem_resp.content_type, -1,
		    SQLITE_STATIC);
	if (w->idem_resp.location != NULL)
		sqlite3_bind_text(st, 10, w->idem_resp.location, -1,
		    SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, w->idem_resp.body,
	    (int)w->idem_resp.body_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
apply_record(sqlite3 *db, struct persist_write *w)
{
	int rc = SQLITE_OK;

	if (w->delete) {
		rc = exec_bound(db, "DELETE FROM battles WHERE id = ?", "t",
		    w->battle_id);
		/* Its keys: by hand, they have no foreign key (schema 6). */
		if (rc == SQLITE_OK)
			rc = exec_bound(db, "DELETE FROM idempotency WHERE "
			    "battle_id = ?", "t", w->battle_id);
		if (rc == SQLITE_OK && w->has_idempotency)
			rc = apply_idempotency(db, w);
		return rc;
	}
	if (w->has_battle)
		rc = exec_bound(db, "INSERT INTO battles (id, created_at, "
		    "name, join_code, gm_token_hash, phase, owner, lease_epoch, "
		    "lease_expires) VALUES (?,?,?,?,?,'lobby',?,?,?)", "tittbtii",
		    w->battle_id, w->created_at, w->name, w->join_code,
		    w->gm_hash, w->owner[0] != '\0' ? w->owner : NULL,
		    w->lease_epoch, w->created_at + w->lease_ttl_ms);
	if (rc == SQLITE_OK && w->has_member)
		rc = exec_bound(db, "INSERT INTO players (battle_id, player_id,"
		    " name, role, token_hash, created_at) VALUES "
		    "(?,?,?,?,?,?)", "tittbi", w->battle_id,
		    (int64_t)w->member_id, w->member_name, w->member_role,
		    w->member_hash, w->member_at);
	if (rc == SQLITE_OK && w->has_action)
		rc = exec_bound(db, "INSERT INTO actions (battle_id, seq, kind,"
		    " actor, body, at) VALUES (?,?,?,?,?,?)", "tittti",
		    w->battle_id, (int64_t)w->action_seq, w->kind, w->actor,
		    w->body, w->action_at);
	for (size_t i = 0; rc == SQLITE_OK && i < w->nlog; i++)
		rc = exec_bound(db, "INSERT INTO log (battle_id, seq, round, "
		    "entry, crew_entry) VALUES (?,?,?,?,?)", "tiitt",
		    w->battle_id, w->log[i].seq, (int64_t)w->log[i].round,
		    w->log[i].entry, w->log[i].crew_entry);
	if (rc == SQLITE_OK && w->has_phase)
		rc = exec_bound(db, "UPDATE battles SET phase = ?, "
		    "round_deadline = ?, ended_at = ? WHERE id = ?", "tnnt",
		    w->phase, w->deadline, w->ended_at, w->battle_id);
	if (rc == SQLITE_OK && w->snapshot != NULL)
		rc = apply_snapshot(db, w);
	if (rc == SQLITE_OK && w->has_idempotency)
		rc = apply_idempotency(db, w);
	return rc;
}

/*
 * The fence: 1 when the battle is still the record's owner's at its
 * epoch (or the record is not fenced), 0 when not, -1 on an error.  The
 * UPDATE changes nothing but counts the row.
 */
static int
fence(sqlite3 *db, const struct persist_write *w)
{
	if (w->lease_epoch == 0 || w->has_battle)
		return 1;
	if (exec_bound(db, "UPDATE battles SET lease_epoch = lease_epoch "
	    "WHERE id = ? AND owner = ? AND lease_epoch = ?", "tti",
	    w->battle_id, w->owner, w->lease_epoch) != SQLITE_OK)
		return -1;
	return sqlite3_changes(db) == 1;
}

static int
sqlite_apply(struct store_conn *conn, struct persist_write *w)
{
	sqlite3 *db = store_sqlite_db(conn);
	int fenced = fence(db, w), rc;

	if (fenced == 0) {
		log_warn("store: battle %s: its lease (epoch %lld) is another "
		    "node's now; write refused", w->battle_id,
		    (long long)w->lease_epoch);
		return BS_ERR_LOST;
	}
	rc = fenced < 0 ? SQLITE_ERROR : apply_record(db, w);

	if (rc == SQLITE_OK)
		return 0;
	log_warn("store: battle %s: %s", w->battle_id, sqlite3_errmsg(db));
	return BS_ERR_IO;
}

/* ---- reading back --------------------------------------------------------- */

static char *
column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return xstrdup(s != NULL ? (const char *)s : "");
}

static void
column_hash(sqlite3_stmt *st, int col, unsigned char out[TOKEN_HASH_LEN])
{
	const void *p = sqlite3_column_blob(st, col);

	memset(out, 0, TOKEN_HASH_LEN);
	if (p != NULL && sqlite3_column_bytes(st, col) == TOKEN_HASH_LEN)
		memcpy(out, p, TOKEN_HASH_LEN);
}

static int
sqlite_battle_ids(struct store_conn *conn, char ***ids, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_sqlite_db(conn), "SELECT id FROM battles "
	    "ORDER BY created_at, id", -1, &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = column_strdup(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : BS_ERR_IO;
}

static int
load_members(sqlite3 *db, struct persist_battle *pb)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT player_id, name, role, token_hash "
	    "FROM players WHERE battle_id = ? ORDER BY created_at, "
	    "player_id", -1, &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, pb->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct persist_member *m;

		pb->members = xreallocarray(pb->members, pb->nmembers + 1,
		    sizeof(*pb->members));
		m = &pb->members[pb->nmembers++];
		m->id = sqlite3_column_int(st, 0);
		m->name = column_strdup(st, 1);
		snprintf(m->role, sizeof(m->role), "%s",
		    (const char *)sqlite3_column_text(st, 2));
		column_hash(st, 3, m->hash);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : BS_ERR_IO;
}

static int
load_snapshot(sqlite3 *db, struct persist_battle *pb)
{
	sqlite3_stmt *st;
	int rv;

	if (sqlite3_prepare_v2(db, "SELECT action_seq, state, raw_size FROM "
	    "snapshots WHERE battle_id = ? ORDER BY action_seq DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, pb->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		pb->snapshot_seq = (uint64_t)sqlite3_column_int64(st, 0);
		rv = persist_snapshot_load(pb, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1),
		    sqlite3_column_int64(st, 2));
	} else {
		rv = BS_ERR_NOT_FOUND;
	}
	sqlite3_finalize(st);
	return rv;
}

static int
load_actions(sqlite3 *db, struct persist_battle *pb)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT seq, kind, actor, body FROM actions"
	    " WHERE battle_id = ? AND seq > ? ORDER BY seq", -1, &st, NULL) !=
	    SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, pb->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pb->snapshot_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct persist_action *a;

		pb->actions = xreallocarray(pb->actions, pb->nactions + 1,
		    sizeof(*pb->actions));
		a = &pb->actions[pb->nactions++];
		a->seq = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(a->kind, sizeof(a->kind), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		snprintf(a->actor, sizeof(a->actor), "%s",
		    (const char *)sqlite3_column_text(st, 2));
		a->body = column_strdup(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : BS_ERR_IO;
}

static int
sqlite_load(struct store_conn *conn, struct persist_battle *pb)
{
	sqlite3 *db = store_sqlite_db(conn);
	sqlite3_stmt *st;
	int rv;

	/* max() of several arguments is SQLite's scalar max, NULLs aside. */
	if (sqlite3_prepare_v2(db, "SELECT name, join_code, gm_token_hash, "
	    "created_at, max(created_at, "
	    "coalesce((SELECT max(at) FROM actions WHERE battle_id = ?1), 0), "
	    "coalesce((SELECT max(created_at) FROM players "
	    "WHERE battle_id = ?1), 0)) FROM battles WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, pb->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return BS_ERR_NOT_FOUND;
	}
	pb->name = column_strdup(st, 0);
	snprintf(pb->join_code, sizeof(pb->join_code), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	column_hash(st, 2, pb->gm_hash);
	pb->created_at = sqlite3_column_int64(st, 3);
	pb->last_active = sqlite3_column_int64(st, 4);
	sqlite3_finalize(st);
	if ((rv = load_members(db, pb)) != 0 ||
	    (rv = load_snapshot(db, pb)) != 0 ||
	    (rv = load_actions(db, pb)) != 0)
		return rv;
	return 0;
}

static int
sqlite_read_log(struct store_conn *conn, const char *id, int64_t after,
    int limit, int crew, struct persist_log_entry **entries, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	/* The GM's entry is read only when it is the one wanted. */
	if (store_sqlite_statement(store_sqlite_db(conn), crew ?
	    "SELECT seq, CASE WHEN crew_entry IS NULL THEN entry END, "
	    "crew_entry FROM log WHERE battle_id = ? AND seq > ? ORDER BY "
	    "seq LIMIT ?" :
	    "SELECT seq, entry, NULL FROM log WHERE battle_id = ? AND "
	    "seq > ? ORDER BY seq LIMIT ?", &st) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*entries = xreallocarray(*entries, cap,
			    sizeof(**entries));
		}
		persist_log_entry_add(*entries, n, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), crew);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : BS_ERR_IO;
}

static int
sqlite_next_epoch(struct store_conn *conn, int64_t *epoch)
{
	sqlite3 *db = store_sqlite_db(conn);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_exec(db, "UPDATE meta SET value = value + 1 WHERE key = "
	    "'epoch'", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = "
	    "'epoch'", -1, &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*epoch = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : BS_ERR_IO;
}

/* ---- idempotency keys ------------------------------------------------------ */

static int
sqlite_idempotency_load(struct store_conn *conn, int64_t now,
    void (*fn)(void *arg, const struct idempotency_request *req,
    int64_t created, const struct idempotency_response *resp), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_sqlite_db(conn), "SELECT caller, target, "
	    "key, fingerprint, battle_id, created_at, status, content_type, "
	    "location, body FROM idempotency WHERE expires_at > ? ORDER BY "
	    "created_at", -1, &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct idempotency_request req;
		struct idempotency_response resp;
		const char *battle = (const char *)sqlite3_column_text(st, 4);

		/* Rows not written by this code are skipped, not trusted. */
		if (sqlite3_column_bytes(st, 0) != IDEMPOTENCY_HASH_LEN ||
		    sqlite3_column_bytes(st, 3) != IDEMPOTENCY_HASH_LEN)
			continue;
		memset(&req, 0, sizeof(req));
		memcpy(req.caller, sqlite3_column_blob(st, 0),
		    IDEMPOTENCY_HASH_LEN);
		memcpy(req.fingerprint, sqlite3_column_blob(st, 3),
		    IDEMPOTENCY_HASH_LEN);
		req.target = (const char *)sqlite3_column_text(st, 1);
		req.key = (const char *)sqlite3_column_text(st, 2);
		req.battle = battle != NULL ? battle : "";
		resp.status = sqlite3_column_int(st, 6);
		resp.content_type = (const char *)sqlite3_column_text(st, 7);
		resp.location = (const char *)sqlite3_column_text(st, 8);
		resp.body = sqlite3_column_blob(st, 9);
		resp.body_len = (size_t)sqlite3_column_bytes(st, 9);
		if (req.target == NULL || req.key == NULL)
			continue;
		fn(arg, &req, sqlite3_column_int64(st, 5), &resp);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : BS_ERR_IO;
}

static int
sqlite_idempotency_sweep(struct store_conn *conn, int64_t now,
    size_t per_caller, size_t total)
{
	sqlite3 *db = store_sqlite_db(conn);
	int rc;

	/* No index on expiry (schema 6): this is a pass over every key. */
	if (per_caller == 0 && total == 0)
		return 0;
	rc = exec_bound(db, "DELETE FROM idempotency WHERE expires_at <= ?",
	    "i", now);
	if (rc == SQLITE_OK)
		rc = exec_bound(db, "DELETE FROM idempotency WHERE (battle_id, "
		    "caller, target, key) IN (SELECT battle_id, caller, target, "
		    "key FROM (SELECT battle_id, caller, target, key, "
		    "row_number() OVER (PARTITION BY caller ORDER BY created_at "
		    "DESC) AS n FROM idempotency) WHERE n > ?)", "i",
		    (int64_t)per_caller);
	if (rc == SQLITE_OK)
		rc = exec_bound(db, "DELETE FROM idempotency WHERE (battle_id, "
		    "caller, target, key) NOT IN (SELECT battle_id, caller, "
		    "target, key FROM idempotency ORDER BY created_at DESC "
		    "LIMIT ?)", "i", (int64_t)total);
	return rc == SQLITE_OK ? 0 : BS_ERR_IO;
}

static int
sqlite_idempotency_delete(struct store_conn *conn,
    const struct idempotency_gone *gone, size_t n)
{
	sqlite3 *db = store_sqlite_db(conn);
	int rc = SQLITE_OK;

	for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
		rc = exec_bound(db, "DELETE FROM idempotency WHERE battle_id = "
		    "? AND caller = ? AND target = ? AND key = ? AND created_at "
		    "<= ?", "tztti", gone[i].battle, gone[i].caller,
		    (int)IDEMPOTENCY_HASH_LEN, gone[i].target, gone[i].key,
		    gone[i].created);
	return rc == SQLITE_OK ? 0 : BS_ERR_IO;
}

/* ---- leases ---------------------------------------------------------------- */

static int64_t
sqlite_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
sqlite_battle_list(struct store_conn *conn,
    void (*fn)(void *arg, const struct persist_summary *s), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_sqlite_db(conn), "SELECT id, name, phase, "
	    "created_at, owner FROM battles ORDER BY created_at, id", -1, &st,
	    NULL) != SQLITE_OK)
		return BS_ERR_IO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct persist_summary sum = {
			.id = (const char *)sqlite3_column_text(st, 0),
			.name = (const char *)sqlite3_column_text(st, 1),
			.phase = (const char *)sqlite3_column_text(st, 2),
			.created_at = sqlite3_column_int64(st, 3),
			.owner = (const char *)sqlite3_column_text(st, 4),
		};

		fn(arg, &sum);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : BS_ERR_IO;
}

static int
sqlite_lease_take(struct store_conn *conn, const char *id, const char *owner,
    int64_t ttl_ms, int64_t *epoch)
{
	sqlite3 *db = store_sqlite_db(conn);
	sqlite3_stmt *st;
	int64_t now = sqlite_now_ms();
	int rc, rv = BS_ERR_IO;

	/*
	 * One daemon has the file (its flock): what an earlier run left is
	 * taken over whoever held it, expired or not.
	 */
	if (sqlite3_prepare_v2(db, "UPDATE battles SET owner = ?1, "
	    "lease_epoch = lease_epoch + 1, lease_expires = ?2 + ?3 "
	    "WHERE id = ?4 RETURNING lease_epoch", -1, &st,
	    NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, ttl_ms);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*epoch = sqlite3_column_int64(st, 0);
		rv = 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc != SQLITE_DONE)
		return rv;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM battles WHERE id = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? BS_ERR_LOST : rc == SQLITE_DONE ?
	    BS_ERR_NOT_FOUND : BS_ERR_IO;
}

static int
sqlite_lease_renew(struct store_conn *conn, const char *owner, int64_t ttl_ms,
    const char *const *ids, const int64_t *epochs, size_t n, int *kept)
{
	sqlite3 *db = store_sqlite_db(conn);
	int64_t now = sqlite_now_ms();

	for (size_t i = 0; i < n; i++) {
		if (exec_bound(db, "UPDATE battles SET lease_expires = ? WHERE "
		    "id = ? AND owner = ? AND lease_epoch = ?", "itti",
		    now + ttl_ms, ids[i], owner, epochs[i]) != SQLITE_OK)
			return BS_ERR_IO;
		kept[i] = sqlite3_changes(db) == 1;
	}
	return 0;
}

static int
sqlite_lease_release(struct store_conn *conn, const char *owner,
    const char *const *ids, const int64_t *epochs, size_t n)
{
	sqlite3 *db = store_sqlite_db(conn);

	for (size_t i = 0; i < n; i++)
		if (exec_bound(db, "UPDATE battles SET owner = NULL, "
		    "lease_expires = 0 WHERE id = ? AND owner = ? AND "
		    "lease_epoch = ?", "tti", ids[i], owner,
		    epochs[i]) != SQLITE_OK)
			return BS_ERR_IO;
	return 0;
}

const struct persist_backend persist_sqlite = {
	.apply = sqlite_apply,
	.battle_ids = sqlite_battle_ids,
	.load = sqlite_load,
	.next_epoch = sqlite_next_epoch,
	.read_log = sqlite_read_log,
	.idempotency_load = sqlite_idempotency_load,
	.idempotency_sweep = sqlite_idempotency_sweep,
	.idempotency_delete = sqlite_idempotency_delete,
	.battle_list = sqlite_battle_list,
	.lease_take = sqlite_lease_take,
	.lease_renew = sqlite_lease_renew,
	.lease_release = sqlite_lease_release,
};
