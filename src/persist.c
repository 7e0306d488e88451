/*
 * Battles on disk (persist.h): building records, and handing them, and
 * the reads, to the connection's backend (persist_impl.h).
 */
#include "config.h"

#include "persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "alloc.h"
#include "error.h"
#include "persist_impl.h"
#include "store_backend.h"

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

size_t
persist_write_log_count(const struct persist_write *w)
{
	return w->nlog;
}

const char *
persist_write_log_text(const struct persist_write *w, size_t i, int crew)
{
	if (i >= w->nlog)
		return NULL;
	return crew ? w->log[i].crew_entry : w->log[i].entry;
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

/* ---- the backends ---------------------------------------------------------- */

static const struct persist_backend *
backend_of(struct store_conn *conn)
{
	return conn->backend->kind == STORE_KIND_POSTGRESQL ? &persist_pg :
	    &persist_sqlite;
}

/*
 * A zlib stream (what uncompress() reads back) at level 6, as compress2()
 * made it, but with memLevel 4 instead of its 8: compress2() sets up
 * 256 KB of tables for every snapshot, and zeroing its 64 KB hash head
 * cost more than compressing a snapshot of a few KB (tests/bench/
 * callgrind.sh: 238,000 instructions a snapshot); the output is the same
 * size within a few bytes.
 */
int
persist_snapshot_compress(const struct persist_write *w, unsigned char **z,
    size_t *zlen)
{
	z_stream zs;
	uLong len;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15, 4, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		*z = NULL;
		return BS_ERR_IO;
	}
	len = deflateBound(&zs, (uLong)w->snapshot_len);
	*z = xmalloc(len);
	zs.next_in = (Bytef *)w->snapshot;
	zs.avail_in = (uInt)w->snapshot_len;
	zs.next_out = *z;
	zs.avail_out = (uInt)len;
	rc = deflate(&zs, Z_FINISH);
	*zlen = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(*z);
		*z = NULL;
		return BS_ERR_IO;
	}
	return 0;
}

int
persist_snapshot_load(struct persist_battle *pb, const void *z, size_t zlen,
    int64_t raw)
{
	uLongf len = (uLongf)raw;

	if (raw <= 0 || raw >= 64 * 1024 * 1024 || z == NULL)
		return BS_ERR_IO;
	pb->snapshot = xmalloc(len + 1);
	if (uncompress((Bytef *)pb->snapshot, &len, z, (uLong)zlen) != Z_OK)
		return BS_ERR_IO;
	pb->snapshot[len] = '\0';
	pb->snapshot_len = len;
	return 0;
}

int
persist_apply(struct store_conn *conn, void *w)
{
	return backend_of(conn)->apply(conn, w);
}

int
persist_battle_ids(struct store_conn *conn, char ***ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	return backend_of(conn)->battle_ids(conn, ids, n);
}

int
persist_load(struct store_conn *conn, const char *id,
    struct persist_battle **out)
{
	struct persist_battle *pb = xcalloc(1, sizeof(*pb));
	int rv;

	snprintf(pb->id, sizeof(pb->id), "%s", id);
	if ((rv = backend_of(conn)->load(conn, pb)) != 0) {
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

int
persist_next_epoch(struct store_conn *conn, int64_t *epoch)
{
	return backend_of(conn)->next_epoch(conn, epoch);
}

int
persist_read_log(struct store_conn *conn, const char *id, int64_t after,
    int limit, int crew, struct persist_log_entry **entries, size_t *n)
{
	*entries = NULL;
	*n = 0;
	return backend_of(conn)->read_log(conn, id, after, limit, crew,
	    entries, n);
}

void
persist_log_entries_free(struct persist_log_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(entries[i].text);
	free(entries);
}

/* Whether text is an object's JSON, as far as its ends tell. */
static int
looks_like_object(const char *text)
{
	size_t len = text != NULL ? strlen(text) : 0;

	return len >= 2 && text[0] == '{' && text[len - 1] == '}';
}

void
persist_log_entry_add(struct persist_log_entry *entries, size_t *n,
    int64_t seq, const char *entry, const char *crew_entry, int crew)
{
	struct persist_log_entry *e = &entries[*n];

	if (crew && looks_like_object(crew_entry)) {
		e->text = xstrdup(crew_entry);
		e->full = 0;
	} else if (looks_like_object(entry)) {
		e->text = xstrdup(entry);
		e->full = 1;
	} else {
		return;
	}
	e->seq = seq;
	(*n)++;
}

int
persist_idempotency_load(struct store_conn *conn, int64_t now,
    void (*fn)(void *arg, const struct idempotency_request *req,
    int64_t created, const struct idempotency_response *resp), void *arg)
{
	return backend_of(conn)->idempotency_load(conn, now, fn, arg);
}

int
persist_idempotency_sweep(struct store_conn *conn, int64_t now,
    size_t per_caller, size_t total)
{
	return backend_of(conn)->idempotency_sweep(conn, now, per_caller,
	    total);
}

int
persist_idempotency_delete(struct store_conn *conn,
    const struct idempotency_gone *gone, size_t n)
{
	return backend_of(conn)->idempotency_delete(conn, gone, n);
}

/* ---- leases ------------------------------------------------------------------ */

int
persist_battle_list(struct store_conn *conn,
    void (*fn)(void *arg, const struct persist_summary *s), void *arg)
{
	return backend_of(conn)->battle_list(conn, fn, arg);
}

void
persist_write_lease(struct persist_write *w, const char *owner, int64_t epoch,
    int64_t ttl_ms)
{
	snprintf(w->owner, sizeof(w->owner), "%s", owner);
	w->lease_epoch = epoch;
	w->lease_ttl_ms = ttl_ms;
}

int
persist_lease_take(struct store_conn *conn, const char *id, const char *owner,
    int64_t ttl_ms, int64_t *epoch)
{
	return backend_of(conn)->lease_take(conn, id, owner, ttl_ms, epoch);
}

int
persist_lease_renew(struct store_conn *conn, const char *owner, int64_t ttl_ms,
    const char *const *ids, const int64_t *epochs, size_t n, int *kept)
{
	if (n == 0)
		return 0;
	return backend_of(conn)->lease_renew(conn, owner, ttl_ms, ids, epochs,
	    n, kept);
}

int
persist_lease_release(struct store_conn *conn, const char *owner,
    const char *const *ids, const int64_t *epochs, size_t n)
{
	if (n == 0)
		return 0;
	return backend_of(conn)->lease_release(conn, owner, ids, epochs, n);
}

void
persist_array_literals(const char *const *ids, const int64_t *epochs,
    size_t n, char **ids_lit, char **epochs_lit)
{
	size_t cap = 3 + n * 40;
	char *a = xmalloc(cap), *b = xmalloc(cap);
	size_t la = 0, lb = 0;

	a[la++] = '{';
	b[lb++] = '{';
	for (size_t i = 0; i < n; i++) {
		la += (size_t)snprintf(a + la, cap - la, "%s%.31s",
		    i > 0 ? "," : "", ids[i]);
		lb += (size_t)snprintf(b + lb, cap - lb, "%s%lld",
		    i > 0 ? "," : "", (long long)epochs[i]);
	}
	snprintf(a + la, cap - la, "}");
	snprintf(b + lb, cap - lb, "}");
	*ids_lit = a;
	*epochs_lit = b;
}
