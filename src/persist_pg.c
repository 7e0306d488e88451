/*
 * Battles in a PostgreSQL store (persist_impl.h): the statements of
 * persist.h in PostgreSQL's dialect, on the connection of store_pg.c.
 * Parameters go out as text, except bytea (hashes, compressed
 * snapshots, stored answers), which goes out binary; results come back
 * as text, bytea in its hex form (PQunescapeBytea).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "persist_impl.h"
#include "store_pg.h"

#define PG_MAX_PARAMS 12

/* The server's clock in Unix ms: lease expiry never reads a node's. */
#define PG_NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"

struct pg_params {
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS];
	int formats[PG_MAX_PARAMS];
	char numbers[PG_MAX_PARAMS][24];
	int n;
};

static void
param_text(struct pg_params *p, const char *s)
{
	p->values[p->n] = s;
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

static void
param_int(struct pg_params *p, int64_t v)
{
	snprintf(p->numbers[p->n], sizeof(p->numbers[p->n]), "%" PRId64, v);
	param_text(p, p->numbers[p->n]);
}

/* An integer, or NULL when 0 (a deadline or end time not set). */
static void
param_int_or_null(struct pg_params *p, int64_t v)
{
	if (v != 0)
		param_int(p, v);
	else
		param_text(p, NULL);
}

static void
param_bytes(struct pg_params *p, const void *b, size_t len)
{
	p->values[p->n] = b;
	p->lengths[p->n] = (int)len;
	p->formats[p->n] = 1;
	p->n++;
}

static PGresult *
query(PGconn *pg, const char *sql, const struct pg_params *p)
{
	return PQexecParams(pg, sql, p != NULL ? p->n : 0, NULL,
	    p != NULL ? p->values : NULL, p != NULL ? p->lengths : NULL,
	    p != NULL ? p->formats : NULL, 0);
}

/* The server's (or libpq's) first line on a failed statement. */
static void
log_failure(PGconn *pg, const PGresult *res)
{
	const char *m = PQresultErrorMessage(res);

	if (m[0] == '\0')
		m = PQerrorMessage(pg);
	log_warn("store: PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
}

/* A statement without rows: 0, or BS_ERR_IO with the server's words logged. */
static int
command(PGconn *pg, const char *sql, const struct pg_params *p)
{
	PGresult *res = query(pg, sql, p);
	int rv = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_failure(pg, res);
		rv = BS_ERR_IO;
	}
	PQclear(res);
	return rv;
}

/* A query with rows: the result, or NULL (logged) when it failed. */
static PGresult *
rows(PGconn *pg, const char *sql, const struct pg_params *p)
{
	PGresult *res = query(pg, sql, p);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	log_failure(pg, res);
	PQclear(res);
	return NULL;
}

static int64_t
value_int(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* A bytea column, unescaped: a new buffer (PQfreemem) or NULL. */
static unsigned char *
value_bytes(const PGresult *res, int row, int col, size_t *len)
{
	*len = 0;
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQunescapeBytea((const unsigned char *)PQgetvalue(res, row,
	    col), len);
}

/* A 32-byte hash column into out (zeros if it is not one). */
static int
value_hash(const PGresult *res, int row, int col, unsigned char *out,
    size_t hash_len)
{
	size_t len;
	unsigned char *b = value_bytes(res, row, col, &len);
	int ok = b != NULL && len == hash_len;

	memset(out, 0, hash_len);
	if (ok)
		memcpy(out, b, hash_len);
	PQfreemem(b);
	return ok ? 0 : -1;
}

/* ---- applying a record (storage thread) --------------------------------- */

static int
apply_snapshot(PGconn *pg, struct persist_write *w)
{
	struct pg_params p = { .n = 0 };
	unsigned char *z;
	size_t zlen;
	int rv;

	if (persist_snapshot_compress(w, &z, &zlen) != 0)
		return BS_ERR_IO;
	param_text(&p, w->battle_id);
	param_int(&p, (int64_t)w->snapshot_seq);
	param_int(&p, w->snapshot_round);
	param_bytes(&p, z, zlen);
	param_int(&p, (int64_t)w->snapshot_len);
	param_int(&p, w->snapshot_at);
	rv = command(pg, "INSERT INTO snapshots (battle_id, action_seq, round, "
	    "state, raw_size, at) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT "
	    "(battle_id, action_seq) DO UPDATE SET round = EXCLUDED.round, "
	    "state = EXCLUDED.state, raw_size = EXCLUDED.raw_size, "
	    "at = EXCLUDED.at", &p);
	free(z);
	return rv;
}

static int
apply_idempotency(PGconn *pg, struct persist_write *w)
{
	struct pg_params p = { .n = 0 };

	param_bytes(&p, w->idem.caller, IDEMPOTENCY_HASH_LEN);
	param_text(&p, w->idem.target);
	param_text(&p, w->idem.key);
	param_bytes(&p, w->idem.fingerprint, IDEMPOTENCY_HASH_LEN);
	param_text(&p, w->idem.battle[0] != '\0' ? w->idem.battle : NULL);
	param_int(&p, w->idem_created);
	param_int(&p, w->idem_expires);
	param_int(&p, w->idem_resp.status);
	param_text(&p, w->idem_resp.content_type);
	param_text(&p, w->idem_resp.location);
	param_bytes(&p, w->idem_resp.body, w->idem_resp.body_len);
	return command(pg, "INSERT INTO idempotency (caller, target, key, "
	    "fingerprint, battle_id, created_at, expires_at, status, "
	    "content_type, location, body) VALUES "
	    "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (caller, target, "
	    "key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
	    "battle_id = EXCLUDED.battle_id, created_at = EXCLUDED.created_at, "
	    "expires_at = EXCLUDED.expires_at, status = EXCLUDED.status, "
	    "content_type = EXCLUDED.content_type, "
	    "location = EXCLUDED.location, body = EXCLUDED.body", &p);
}

static int
apply_rows(PGconn *pg, struct persist_write *w)
{
	struct pg_params p;
	int rv = 0;

	if (w->has_battle) {
		p.n = 0;
		param_text(&p, w->battle_id);
		param_int(&p, w->created_at);
		param_text(&p, w->name);
		param_text(&p, w->join_code);
		param_bytes(&p, w->gm_hash, TOKEN_HASH_LEN);
		param_text(&p, w->owner[0] != '\0' ? w->owner : NULL);
		param_int(&p, w->lease_epoch);
		param_int(&p, w->lease_ttl_ms);
		rv = command(pg, "INSERT INTO battles (id, created_at, name, "
		    "join_code, gm_token_hash, phase, owner, lease_epoch, "
		    "lease_expires) VALUES ($1,$2,$3,$4,$5,'lobby',$6,$7,"
		    PG_NOW_MS " + $8)", &p);
	}
	if (rv == 0 && w->has_member) {
		p.n = 0;
		param_text(&p, w->battle_id);
		param_int(&p, w->member_id);
		param_text(&p, w->member_name);
		param_text(&p, w->member_role);
		param_bytes(&p, w->member_hash, TOKEN_HASH_LEN);
		param_int(&p, w->member_at);
		rv = command(pg, "INSERT INTO players (battle_id, player_id, "
		    "name, role, token_hash, created_at) VALUES "
		    "($1,$2,$3,$4,$5,$6)", &p);
	}
	if (rv == 0 && w->has_action) {
		p.n = 0;
		param_text(&p, w->battle_id);
		param_int(&p, (int64_t)w->action_seq);
		param_text(&p, w->kind);
		param_text(&p, w->actor);
		param_text(&p, w->body);
		param_int(&p, w->action_at);
		rv = command(pg, "INSERT INTO actions (battle_id, seq, kind, "
		    "actor, body, at) VALUES ($1,$2,$3,$4,$5,$6)", &p);
	}
	for (size_t i = 0; rv == 0 && i < w->nlog; i++) {
		p.n = 0;
		param_text(&p, w->battle_id);
		param_int(&p, w->log[i].seq);
		param_int(&p, w->log[i].round);
		param_text(&p, w->log[i].entry);
		param_text(&p, w->log[i].crew_entry);
		rv = command(pg, "INSERT INTO log (battle_id, seq, round, "
		    "entry, crew_entry) VALUES ($1,$2,$3,$4,$5)", &p);
	}
	if (rv == 0 && w->has_phase) {
		p.n = 0;
		param_text(&p, w->phase);
		param_int_or_null(&p, w->deadline);
		param_int_or_null(&p, w->ended_at);
		param_text(&p, w->battle_id);
		rv = command(pg, "UPDATE battles SET phase = $1, "
		    "round_deadline = $2, ended_at = $3 WHERE id = $4", &p);
	}
	return rv;
}

/*
 * The fence: 0 when the battle is still the record's owner's at its
 * epoch (or the record is not fenced), BS_ERR_LOST when not, BS_ERR_IO.
 * The UPDATE renews the lease and locks the row until the commit, so
 * that a take by another node cannot go before this transaction ends
 * (pg_lease_take() skips a locked row: a battle being written is not
 * free), and a take that went first makes this one match no row.  The
 * renewals skip rows being written too (pg_lease_renew()), which this
 * renews instead, so that the loop never waits for a row lock.
 */
static int
pg_fence(PGconn *pg, const struct persist_write *w)
{
	struct pg_params p = { .n = 0 };
	PGresult *res;
	int rv;

	if (w->lease_epoch == 0 || w->has_battle)
		return 0;
	param_text(&p, w->battle_id);
	param_text(&p, w->owner);
	param_int(&p, w->lease_epoch);
	param_int(&p, w->lease_ttl_ms);
	res = query(pg, "UPDATE battles SET lease_expires = " PG_NOW_MS
	    " + $4 WHERE id = $1 AND owner = $2 AND lease_epoch = $3", &p);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_failure(pg, res);
		rv = BS_ERR_IO;
	} else if (strcmp(PQcmdTuples(res), "1") != 0) {
		log_warn("store: battle %s: its lease (epoch %lld) is another "
		    "node's now; write refused", w->battle_id,
		    (long long)w->lease_epoch);
		rv = BS_ERR_LOST;
	} else {
		rv = 0;
	}
	PQclear(res);
	return rv;
}

static int
pg_apply(struct store_conn *conn, struct persist_write *w)
{
	PGconn *pg = store_pg_conn(conn);
	struct pg_params p = { .n = 0 };
	int rv;

	if ((rv = pg_fence(pg, w)) != 0)
		return rv;
	if (w->delete) {
		param_text(&p, w->battle_id);
		rv = command(pg, "DELETE FROM battles WHERE id = $1", &p);
		if (rv == 0 && w->has_idempotency)
			rv = apply_idempotency(pg, w);
		return rv;
	}
	rv = apply_rows(pg, w);
	if (rv == 0 && w->snapshot != NULL)
		rv = apply_snapshot(pg, w);
	if (rv == 0 && w->has_idempotency)
		rv = apply_idempotency(pg, w);
	return rv;
}

/* ---- reading back --------------------------------------------------------- */

static int
pg_battle_ids(struct store_conn *conn, char ***ids, size_t *n)
{
	PGresult *res = rows(store_pg_conn(conn), "SELECT id FROM battles "
	    "ORDER BY created_at, id", NULL);

	if (res == NULL)
		return BS_ERR_IO;
	*n = (size_t)PQntuples(res);
	*ids = xcalloc(*n > 0 ? *n : 1, sizeof(**ids));
	for (size_t i = 0; i < *n; i++)
		(*ids)[i] = xstrdup(PQgetvalue(res, (int)i, 0));
	PQclear(res);
	return 0;
}

static int
load_members(PGconn *pg, struct persist_battle *pb)
{
	struct pg_params p = { .n = 0 };
	PGresult *res;
	int n;

	param_text(&p, pb->id);
	res = rows(pg, "SELECT player_id, name, role, token_hash FROM players "
	    "WHERE battle_id = $1 ORDER BY created_at, player_id", &p);
	if (res == NULL)
		return BS_ERR_IO;
	n = PQntuples(res);
	pb->members = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*pb->members));
	for (int i = 0; i < n; i++) {
		struct persist_member *m = &pb->members[pb->nmembers++];

		m->id = (int)value_int(res, i, 0);
		m->name = xstrdup(PQgetvalue(res, i, 1));
		snprintf(m->role, sizeof(m->role), "%s", PQgetvalue(res, i, 2));
		value_hash(res, i, 3, m->hash, TOKEN_HASH_LEN);
	}
	PQclear(res);
	return 0;
}

static int
load_snapshot(PGconn *pg, struct persist_battle *pb)
{
	struct pg_params p = { .n = 0 };
	PGresult *res;
	unsigned char *z;
	size_t zlen;
	int rv;

	param_text(&p, pb->id);
	res = rows(pg, "SELECT action_seq, state, raw_size FROM snapshots "
	    "WHERE battle_id = $1 ORDER BY action_seq DESC LIMIT 1", &p);
	if (res == NULL)
		return BS_ERR_IO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return BS_ERR_NOT_FOUND;
	}
	pb->snapshot_seq = (uint64_t)value_int(res, 0, 0);
	z = value_bytes(res, 0, 1, &zlen);
	rv = persist_snapshot_load(pb, z, zlen, value_int(res, 0, 2));
	PQfreemem(z);
	PQclear(res);
	return rv;
}

static int
load_actions(PGconn *pg, struct persist_battle *pb)
{
	struct pg_params p = { .n = 0 };
	PGresult *res;
	int n;

	param_text(&p, pb->id);
	param_int(&p, (int64_t)pb->snapshot_seq);
	res = rows(pg, "SELECT seq, kind, actor, body FROM actions WHERE "
	    "battle_id = $1 AND seq > $2 ORDER BY seq", &p);
	if (res == NULL)
		return BS_ERR_IO;
	n = PQntuples(res);
	pb->actions = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*pb->actions));
	for (int i = 0; i < n; i++) {
		struct persist_action *a = &pb->actions[pb->nactions++];

		a->seq = (uint64_t)value_int(res, i, 0);
		snprintf(a->kind, sizeof(a->kind), "%s", PQgetvalue(res, i, 1));
		snprintf(a->actor, sizeof(a->actor), "%s",
		    PQgetvalue(res, i, 2));
		a->body = xstrdup(PQgetvalue(res, i, 3));
	}
	PQclear(res);
	return 0;
}

static int
pg_load(struct store_conn *conn, struct persist_battle *pb)
{
	PGconn *pg = store_pg_conn(conn);
	struct pg_params p = { .n = 0 };
	PGresult *res;
	int rv;

	param_text(&p, pb->id);
	res = rows(pg, "SELECT name, join_code, gm_token_hash, created_at, "
	    "greatest(created_at, "
	    "coalesce((SELECT max(at) FROM actions WHERE battle_id = $1), 0), "
	    "coalesce((SELECT max(created_at) FROM players "
	    "WHERE battle_id = $1), 0)) FROM battles WHERE id = $1", &p);
	if (res == NULL)
		return BS_ERR_IO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return BS_ERR_NOT_FOUND;
	}
	pb->name = xstrdup(PQgetvalue(res, 0, 0));
	snprintf(pb->join_code, sizeof(pb->join_code), "%s",
	    PQgetvalue(res, 0, 1));
	value_hash(res, 0, 2, pb->gm_hash, TOKEN_HASH_LEN);
	pb->created_at = value_int(res, 0, 3);
	pb->last_active = value_int(res, 0, 4);
	PQclear(res);
	if ((rv = load_members(pg, pb)) != 0 ||
	    (rv = load_snapshot(pg, pb)) != 0 ||
	    (rv = load_actions(pg, pb)) != 0)
		return rv;
	return 0;
}

static int
pg_read_log(struct store_conn *conn, const char *id, int64_t after,
    int limit, int crew, struct persist_log_entry **entries, size_t *n)
{
	struct pg_params p = { .n = 0 };
	PGresult *res;
	int rows_read;

	param_text(&p, id);
	param_int(&p, after);
	param_int(&p, limit);
	/* The GM's entry is read only when it is the one wanted. */
	res = rows(store_pg_conn(conn), crew ?
	    "SELECT seq, CASE WHEN crew_entry IS NULL THEN entry END, "
	    "crew_entry FROM log WHERE battle_id = $1 AND seq > $2 ORDER BY "
	    "seq LIMIT $3" :
	    "SELECT seq, entry, NULL FROM log WHERE battle_id = $1 AND "
	    "seq > $2 ORDER BY seq LIMIT $3", &p);
	if (res == NULL)
		return BS_ERR_IO;
	if ((rows_read = PQntuples(res)) > 0)
		*entries = xreallocarray(NULL, (size_t)rows_read,
		    sizeof(**entries));
	for (int i = 0; i < rows_read; i++)
		persist_log_entry_add(*entries, n,
		    value_int(res, i, 0),
		    PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
		    PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
		    crew);
	PQclear(res);
	return 0;
}

static int
pg_next_epoch(struct store_conn *conn, int64_t *epoch)
{
	PGresult *res = rows(store_pg_conn(conn), "UPDATE meta SET value = "
	    "value + 1 WHERE key = 'epoch' RETURNING value", NULL);
	int rv = BS_ERR_IO;

	if (res == NULL)
		return BS_ERR_IO;
	if (PQntuples(res) == 1) {
		*epoch = value_int(res, 0, 0);
		rv = 0;
	}
	PQclear(res);
	return rv;
}

/* ---- idempotency keys ------------------------------------------------------ */

static int
pg_idempotency_load(struct store_conn *conn, int64_t now,
    void (*fn)(void *arg, const struct idempotency_request *req,
    int64_t created, const struct idempotency_response *resp), void *arg)
{
	struct pg_params p = { .n = 0 };
	PGresult *res;

	param_int(&p, now);
	res = rows(store_pg_conn(conn), "SELECT caller, target, key, "
	    "fingerprint, battle_id, created_at, status, content_type, "
	    "location, body FROM idempotency WHERE expires_at > $1 ORDER BY "
	    "created_at", &p);
	if (res == NULL)
		return BS_ERR_IO;
	for (int i = 0; i < PQntuples(res); i++) {
		struct idempotency_request req;
		struct idempotency_response resp;
		unsigned char *body;
		size_t len;

		memset(&req, 0, sizeof(req));
		memset(&resp, 0, sizeof(resp));
		/* Rows not written by this code are skipped, not trusted. */
		if (value_hash(res, i, 0, req.caller,
		    IDEMPOTENCY_HASH_LEN) != 0 ||
		    value_hash(res, i, 3, req.fingerprint,
		    IDEMPOTENCY_HASH_LEN) != 0)
			continue;
		req.target = PQgetvalue(res, i, 1);
		req.key = PQgetvalue(res, i, 2);
		req.battle = PQgetvalue(res, i, 4);	/* "" when NULL */
		resp.status = (int)value_int(res, i, 6);
		resp.content_type = PQgetisnull(res, i, 7) ? NULL :
		    PQgetvalue(res, i, 7);
		resp.location = PQgetisnull(res, i, 8) ? NULL :
		    PQgetvalue(res, i, 8);
		body = value_bytes(res, i, 9, &len);
		resp.body = (const char *)body;
		resp.body_len = len;
		fn(arg, &req, value_int(res, i, 5), &resp);
		PQfreemem(body);
	}
	PQclear(res);
	return 0;
}

static int
pg_idempotency_sweep(struct store_conn *conn, int64_t now, size_t per_caller,
    size_t total)
{
	PGconn *pg = store_pg_conn(conn);
	struct pg_params p = { .n = 0 };
	int rv;

	param_int(&p, now);
	rv = command(pg, "DELETE FROM idempotency WHERE expires_at <= $1", &p);
	if (per_caller == 0 && total == 0)
		return rv;
	p.n = 0;
	param_int(&p, (int64_t)per_caller);
	if (rv == 0)
		rv = command(pg, "DELETE FROM idempotency WHERE (caller, target,"
		    " key) IN (SELECT caller, target, key FROM (SELECT caller, "
		    "target, key, row_number() OVER (PARTITION BY caller ORDER "
		    "BY created_at DESC) AS n FROM idempotency) AS ranked "
		    "WHERE n > $1)", &p);
	p.n = 0;
	param_int(&p, (int64_t)total);
	if (rv == 0)
		rv = command(pg, "DELETE FROM idempotency WHERE (caller, target,"
		    " key) NOT IN (SELECT caller, target, key FROM idempotency "
		    "ORDER BY created_at DESC LIMIT $1)", &p);
	return rv;
}

static int
pg_idempotency_delete(struct store_conn *conn,
    const struct idempotency_gone *gone, size_t n)
{
	PGconn *pg = store_pg_conn(conn);
	struct pg_params p;
	int rv = 0;

	for (size_t i = 0; rv == 0 && i < n; i++) {
		p.n = 0;
		param_bytes(&p, gone[i].caller, IDEMPOTENCY_HASH_LEN);
		param_text(&p, gone[i].target);
		param_text(&p, gone[i].key);
		param_int(&p, gone[i].created);
		rv = command(pg, "DELETE FROM idempotency WHERE caller = $1 AND "
		    "target = $2 AND key = $3 AND created_at <= $4", &p);
	}
	return rv;
}

/* ---- leases --------------------------------------------------------------- */

static int
pg_battle_list(struct store_conn *conn,
    void (*fn)(void *arg, const struct persist_summary *s), void *arg)
{
	PGresult *res = rows(store_pg_conn(conn), "SELECT id, name, phase, "
	    "created_at, CASE WHEN lease_expires >= " PG_NOW_MS " THEN owner "
	    "END FROM battles ORDER BY created_at, id", NULL);

	if (res == NULL)
		return BS_ERR_IO;
	for (int i = 0; i < PQntuples(res); i++) {
		struct persist_summary sum = {
			.id = PQgetvalue(res, i, 0),
			.name = PQgetvalue(res, i, 1),
			.phase = PQgetvalue(res, i, 2),
			.created_at = value_int(res, i, 3),
			.owner = PQgetisnull(res, i, 4) ? NULL :
			    PQgetvalue(res, i, 4),
		};

		fn(arg, &sum);
	}
	PQclear(res);
	return 0;
}

static int
pg_lease_take(struct store_conn *conn, const char *id, const char *owner,
    int64_t ttl_ms, int64_t *epoch)
{
	PGconn *pg = store_pg_conn(conn);
	struct pg_params p = { .n = 0 };
	PGresult *res;
	int rv;

	/*
	 * On the loop: no statement here waits for a row lock.  A row
	 * locked by a write in progress (pg_fence()) is skipped: its battle
	 * is being written, by its owner.
	 */
	param_text(&p, owner);
	param_int(&p, ttl_ms);
	param_text(&p, id);
	res = rows(pg, "WITH free AS (SELECT id FROM battles WHERE id = $3 "
	    "AND (owner IS NULL OR owner = $1 OR lease_expires < " PG_NOW_MS
	    ") FOR UPDATE SKIP LOCKED) UPDATE battles b SET owner = $1, "
	    "lease_epoch = b.lease_epoch + 1, lease_expires = " PG_NOW_MS
	    " + $2 FROM free WHERE b.id = free.id RETURNING b.lease_epoch",
	    &p);
	if (res == NULL)
		return BS_ERR_IO;
	if (PQntuples(res) == 1) {
		*epoch = value_int(res, 0, 0);
		PQclear(res);
		return 0;
	}
	PQclear(res);
	/*
	 * Held elsewhere (or being written): its owner hears that it is
	 * wanted here, unless the row is locked just now, when it is being
	 * written there and would not be let go anyway.  The last query
	 * reads without a lock.
	 */
	p.n = 0;
	param_text(&p, id);
	res = rows(pg, "WITH w AS (SELECT id FROM battles WHERE id = $1 FOR "
	    "UPDATE SKIP LOCKED) UPDATE battles b SET wanted_at = " PG_NOW_MS
	    " FROM w WHERE b.id = w.id RETURNING 1", &p);
	if (res == NULL)
		return BS_ERR_IO;
	rv = PQntuples(res) == 1 ? BS_ERR_LOST : BS_ERR_NOT_FOUND;
	PQclear(res);
	if (rv == BS_ERR_LOST)
		return rv;
	res = rows(pg, "SELECT 1 FROM battles WHERE id = $1", &p);
	if (res == NULL)
		return BS_ERR_IO;
	rv = PQntuples(res) == 1 ? BS_ERR_LOST : BS_ERR_NOT_FOUND;
	PQclear(res);
	return rv;
}

static int
pg_lease_renew(struct store_conn *conn, const char *owner, int64_t ttl_ms,
    const char *const *ids, const int64_t *epochs, size_t n, int *kept)
{
	struct pg_params p = { .n = 0 };
	char *ids_lit, *epochs_lit;
	PGresult *res;

	persist_array_literals(ids, epochs, n, &ids_lit, &epochs_lit);
	param_text(&p, owner);
	param_int(&p, ttl_ms);
	param_text(&p, ids_lit);
	param_text(&p, epochs_lit);
	/*
	 * mine: what the statement's snapshot holds as ours (a plain read,
	 * which waits for nobody).  The UPDATE skips rows locked by a write
	 * in progress, which renews them itself (pg_fence()).
	 */
	res = rows(store_pg_conn(conn), "WITH mine AS (SELECT id, wanted_at "
	    "FROM battles WHERE owner = $1 AND (id, lease_epoch) IN (SELECT * "
	    "FROM unnest($3::text[], $4::bigint[]))), renewed AS (UPDATE "
	    "battles b SET lease_expires = " PG_NOW_MS " + $2 FROM (SELECT id "
	    "FROM battles WHERE owner = $1 AND (id, lease_epoch) IN (SELECT * "
	    "FROM unnest($3::text[], $4::bigint[])) FOR UPDATE SKIP LOCKED) l "
	    "WHERE b.id = l.id RETURNING b.id) SELECT id, "
	    "wanted_at > " PG_NOW_MS " - $2 / 2 FROM mine", &p);
	free(ids_lit);
	free(epochs_lit);
	if (res == NULL)
		return BS_ERR_IO;
	for (size_t i = 0; i < n; i++) {
		kept[i] = 0;
		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), ids[i]) == 0)
				kept[i] = PQgetvalue(res, r, 1)[0] == 't' ?
				    2 : 1;
	}
	PQclear(res);
	return 0;
}

static int
pg_lease_release(struct store_conn *conn, const char *owner,
    const char *const *ids, const int64_t *epochs, size_t n)
{
	struct pg_params p = { .n = 0 };
	char *ids_lit, *epochs_lit;
	int rv;

	persist_array_literals(ids, epochs, n, &ids_lit, &epochs_lit);
	param_text(&p, owner);
	param_text(&p, ids_lit);
	param_text(&p, epochs_lit);
	rv = command(store_pg_conn(conn), "UPDATE battles SET owner = NULL, "
	    "lease_expires = 0 WHERE owner = $1 AND (id, lease_epoch) IN "
	    "(SELECT * FROM unnest($2::text[], $3::bigint[]))", &p);
	free(ids_lit);
	free(epochs_lit);
	return rv;
}

const struct persist_backend persist_pg = {
	.apply = pg_apply,
	.battle_ids = pg_battle_ids,
	.load = pg_load,
	.next_epoch = pg_next_epoch,
	.read_log = pg_read_log,
	.idempotency_load = pg_idempotency_load,
	.idempotency_sweep = pg_idempotency_sweep,
	.idempotency_delete = pg_idempotency_delete,
	.battle_list = pg_battle_list,
	.lease_take = pg_lease_take,
	.lease_renew = pg_lease_renew,
	.lease_release = pg_lease_release,
};
