/*
 * Battles on disk (persist.h).
 */
#include "config.h"

#include "persist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "alloc.h"
#include "error.h"
#include "log.h"

struct persist_log_row {
	int64_t seq;
	int round;
	char *entry;
	char *crew_entry;	/* or NULL */
};

struct persist_write {
	char battle_id[32];

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

struct persist_write *
persist_write_new(const char *battle_id)
{
	struct persist_write *w = xcalloc(1, sizeof(*w));

	snprintf(w->battle_id, sizeof(w->battle_id), "%s", battle_id);
	return w;
}

void
persist_write_free(struct persist_write *w)
{
	if (w == NULL)
		return;
	free(w->name);
	free(w->member_name);
	free(w->body);
	for (size_t i = 0; i < w->nlog; i++) {
		free(w->log[i].entry);
		free(w->log[i].crew_entry);
	}
	free(w->log);
	free(w->snapshot);
	free((char *)w->idem.target);
	free((char *)w->idem.key);
	free((char *)w->idem.battle);
	free((char *)w->idem_resp.content_type);
	free((char *)w->idem_resp.location);
	free((char *)w->idem_resp.body);
	free(w);
}

void
persist_write_battle(struct persist_write *w, const char *name,
    const char *join_code, const unsigned char gm_hash[TOKEN_HASH_LEN],
    int64_t created_at)
{
	w->has_battle = 1;
	w->name = xstrdup(name);
	snprintf(w->join_code, sizeof(w->join_code), "%s", join_code);
	memcpy(w->gm_hash, gm_hash, TOKEN_HASH_LEN);
	w->created_at = created_at;
}

void
persist_write_member(struct persist_write *w, int member_id,
    const char *name, const char *role,
    const unsigned char hash[TOKEN_HASH_LEN], int64_t at)
{
	w->has_member = 1;
	w->member_id = member_id;
	w->member_name = xstrdup(name);
	snprintf(w->member_role, sizeof(w->member_role), "%s", role);
	memcpy(w->member_hash, hash, TOKEN_HASH_LEN);
	w->member_at = at;
}

void
persist_write_action(struct persist_write *w, uint64_t seq, const char *kind,
    const char *actor, const json_t *body, int64_t at)
{
	w->has_action = 1;
	w->action_seq = seq;
	snprintf(w->kind, sizeof(w->kind), "%s", kind);
	snprintf(w->actor, sizeof(w->actor), "%s", actor);
	w->body = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	if (w->body == NULL)
		w->body = xstrdup("{}");
	w->action_at = at;
}

void
persist_write_log(struct persist_write *w, const json_t *entries,
    const json_t *crew)
{
	size_t i, n = json_array_size(entries);
	json_t *e;

	if (n == 0)
		return;
	w->log = xreallocarray(w->log, w->nlog + n, sizeof(*w->log));
	json_array_foreach(entries, i, e) {
		struct persist_log_row *row = &w->log[w->nlog++];

		row->seq = json_integer_value(json_object_get(e, "seq"));
		row->round = (int)json_integer_value(json_object_get(e,
		    "round"));
		row->entry = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
		if (row->entry == NULL)
			row->entry = xstrdup("{}");
		row->crew_entry = crew == NULL ? NULL : json_dumps(
		    json_array_get(crew, i), JSON_COMPACT | JSON_SORT_KEYS);
	}
}

void
persist_write_phase(struct persist_write *w, const char *phase,
    int64_t deadline, int64_t ended_at)
{
	w->has_phase = 1;
	snprintf(w->phase, sizeof(w->phase), "%s", phase);
	w->deadline = deadline;
	w->ended_at = ended_at;
}

void
persist_write_snapshot(struct persist_write *w, uint64_t action_seq,
    int round, char *state, size_t len, int64_t at)
{
	free(w->snapshot);
	w->snapshot = state;
	w->snapshot_len = len;
	w->snapshot_seq = action_seq;
	w->snapshot_round = round;
	w->snapshot_at = at;
}

void
persist_write_delete(struct persist_write *w)
{
	w->delete = 1;
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
persist_write_idempotency(struct persist_write *w,
    const struct idempotency_request *req, int64_t created, int64_t expires,
    const struct idempotency_response *resp)
{
	w->has_idempotency = 1;
	w->idem = *req;
	w->idem.target = xstrdup(req->target);
	w->idem.key = xstrdup(req->key);
	w->idem.battle = xstrdup(req->battle != NULL ? req->battle : "");
	w->idem_resp = *resp;
	w->idem_resp.content_type = strdup_or_null(resp->content_type);
	w->idem_resp.location = strdup_or_null(resp->location);
	w->idem_resp.body = xstrndup(resp->body != NULL ? resp->body : "",
	    resp->body_len);
	w->idem_created = created;
	w->idem_expires = expires;
}

/* ---- applying a record (storage thread) --------------------------------- */

/*
 * The connection's prepared statement for sql, kept between writes (the
 * store finalizes them all when it closes): parsing SQL for every write
 * cost more than the write.
 */
static int
statement(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	sqlite3_stmt *st;

	for (st = sqlite3_next_stmt(db, NULL); st != NULL;
	    st = sqlite3_next_stmt(db, st)) {
		if (!sqlite3_stmt_busy(st) && strcmp(sqlite3_sql(st), sql) == 0) {
			*out = st;
			return SQLITE_OK;
		}
	}
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL);
}

/* Prepares, binds with a format ("t" text, "b" 32-byte blob, "i" int64,
 * "n" int64 or NULL when 0, "z" blob with explicit length), steps. */
static int
exec_bound(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc, i = 1;

	rc = statement(db, sql, &st);
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
	uLongf zlen = compressBound((uLong)w->snapshot_len);
	unsigned char *z = xmalloc(zlen);
	int rc;

	if (compress2(z, &zlen, (const Bytef *)w->snapshot,
	    (uLong)w->snapshot_len, 6) != Z_OK) {
		free(z);
		return SQLITE_ERROR;
	}
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

	rc = statement(db, "INSERT OR REPLACE INTO idempotency (caller, "
	    "target, key, fingerprint, battle_id, created_at, expires_at, "
	    "status, content_type, location, body) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?)", &st);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st, 1, w->idem.caller, IDEMPOTENCY_HASH_LEN,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->idem.target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, w->idem.key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, w->idem.fingerprint, IDEMPOTENCY_HASH_LEN,
	    SQLITE_STATIC);
	if (w->idem.battle[0] != '\0')
		sqlite3_bind_text(st, 5, w->idem.battle, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
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

int
persist_apply(sqlite3 *db, void *arg)
{
	struct persist_write *w = arg;
	int rc = SQLITE_OK;

	if (w->delete) {
		rc = exec_bound(db, "DELETE FROM battles WHERE id = ?", "t",
		    w->battle_id);
		if (rc == SQLITE_OK && w->has_idempotency)
			rc = apply_idempotency(db, w);
		return rc;
	}
	if (w->has_battle)
		rc = exec_bound(db, "INSERT INTO battles (id, created_at, "
		    "name, join_code, gm_token_hash, phase) VALUES "
		    "(?,?,?,?,?,'lobby')", "tittb", w->battle_id,
		    w->created_at, w->name, w->join_code, w->gm_hash);
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

int
persist_battle_ids(sqlite3 *db, char ***ids, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT id FROM battles ORDER BY "
	    "created_at, id", -1, &st, NULL) != SQLITE_OK)
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
	int rv = BS_ERR_IO;

	if (sqlite3_prepare_v2(db, "SELECT action_seq, state, raw_size FROM "
	    "snapshots WHERE battle_id = ? ORDER BY action_seq DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, pb->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		uLongf raw = (uLongf)sqlite3_column_int64(st, 2);
		const void *z = sqlite3_column_blob(st, 1);
		int zlen = sqlite3_column_bytes(st, 1);

		pb->snapshot_seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (raw > 0 && raw < 64u * 1024 * 1024 && z != NULL) {
			pb->snapshot = xmalloc(raw + 1);
			if (uncompress((Bytef *)pb->snapshot, &raw, z,
			    (uLong)zlen) == Z_OK) {
				pb->snapshot[raw] = '\0';
				pb->snapshot_len = raw;
				rv = 0;
			}
		}
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

int
persist_load(sqlite3 *db, const char *id, struct persist_battle **out)
{
	struct persist_battle *pb;
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
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return BS_ERR_NOT_FOUND;
	}
	pb = xcalloc(1, sizeof(*pb));
	snprintf(pb->id, sizeof(pb->id), "%s", id);
	pb->name = column_strdup(st, 0);
	snprintf(pb->join_code, sizeof(pb->join_code), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	column_hash(st, 2, pb->gm_hash);
	pb->created_at = sqlite3_column_int64(st, 3);
	pb->last_active = sqlite3_column_int64(st, 4);
	sqlite3_finalize(st);
	if ((rv = load_members(db, pb)) != 0 ||
	    (rv = load_snapshot(db, pb)) != 0 ||
	    (rv = load_actions(db, pb)) != 0) {
		persist_battle_free(pb);
		return rv;
	}
	*out = pb;
	return 0;
}

void
persist_battle_free(struct persist_battle *pb)
{
	if (pb == NULL)
		return;
	free(pb->name);
	for (size_t i = 0; i < pb->nmembers; i++)
		free(pb->members[i].name);
	free(pb->members);
	free(pb->snapshot);
	for (size_t i = 0; i < pb->nactions; i++)
		free(pb->actions[i].body);
	free(pb->actions);
	free(pb);
}

/* A stored JSON column, parsed, or JSON null. */
static json_t *
column_json(sqlite3_stmt *st, int col)
{
	const char *text = (const char *)sqlite3_column_text(st, col);
	json_t *v = text != NULL ? json_loads(text, 0, NULL) : NULL;

	return v != NULL ? v : json_null();
}

int
persist_read_log(sqlite3 *db, const char *id, int64_t after, int limit,
    json_t **entries, json_t **crew)
{
	sqlite3_stmt *st;
	int rc;

	*entries = json_array();
	if (crew != NULL)
		*crew = json_array();
	if (sqlite3_prepare_v2(db, "SELECT entry, crew_entry FROM log "
	    "WHERE battle_id = ? "
	    "AND seq > ? ORDER BY seq LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return BS_ERR_IO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *e = column_json(st, 0);

		if (!json_is_object(e)) {
			json_decref(e);
			continue;
		}
		json_array_append_new(*entries, e);
		if (crew != NULL)
			json_array_append_new(*crew, column_json(st, 1));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : BS_ERR_IO;
}

int
persist_next_epoch(sqlite3 *db, int64_t *epoch)
{
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

int
persist_idempotency_load(sqlite3 *db, int64_t now,
    void (*fn)(void *arg, const struct idempotency_request *req,
    int64_t created, const struct idempotency_response *resp), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT caller, target, key, fingerprint, "
	    "battle_id, created_at, status, content_type, location, body "
	    "FROM idempotency WHERE expires_at > ? ORDER BY created_at",
	    -1, &st, NULL) != SQLITE_OK)
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

int
persist_idempotency_sweep(sqlite3 *db, int64_t now, size_t per_caller,
    size_t total)
{
	int rc;

	rc = exec_bound(db, "DELETE FROM idempotency WHERE expires_at <= ?",
	    "i", now);
	if (rc == SQLITE_OK)
		rc = exec_bound(db, "DELETE FROM idempotency WHERE rowid IN "
		    "(SELECT rowid FROM (SELECT rowid, row_number() OVER "
		    "(PARTITION BY caller ORDER BY created_at DESC) AS n FROM "
		    "idempotency) WHERE n > ?)", "i", (int64_t)per_caller);
	if (rc == SQLITE_OK)
		rc = exec_bound(db, "DELETE FROM idempotency WHERE rowid NOT IN "
		    "(SELECT rowid FROM idempotency ORDER BY created_at DESC "
		    "LIMIT ?)", "i", (int64_t)total);
	return rc;
}
