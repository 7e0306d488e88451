/*
 * Restoring the live battles at start-up: each stored battle's newest
 * snapshot, then its later actions replayed through the same engine calls
 * the live changes made (action_apply()), so the battle is exactly as it
 * was committed; working and committed start equal (battles_impl.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "battles_impl.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "persist.h"
#include "store.h"
#include "store_pg.h"

static void
restore_replay(struct live_battle *lb, const struct persist_battle *pb)
{
	for (size_t i = 0; i < pb->nactions; i++) {
		const struct persist_action *a = &pb->actions[i];
		enum action_kind kind;
		struct actor who;
		struct refusal why;
		json_t *body, *log = json_array();
		int rv = BS_ERR_INVALID;

		body = json_loads(a->body, 0, NULL);
		if (body != NULL && action_from_name(a->kind, &kind) == 0 &&
		    action_actor_parse(a->actor, &who) == 0)
			rv = action_apply(lb->working, kind, &who, body, log,
			    &why, NULL);
		if (rv != 0)
			log_error("battle %s: action %llu (%s) does not replay: "
			    "%s", lb->id, (unsigned long long)a->seq, a->kind,
			    body ? why.text : "bad JSON");
		json_decref(body);
		json_decref(log);
		lb->action_seq = a->seq;
	}
}

int
battle_restore_one(struct battles *reg, struct store_conn *conn,
    const char *id, int64_t epoch)
{
	struct persist_battle *pb;
	struct live_battle *lb;
	int rv;

	rv = persist_load(conn, id, &pb);
	if (rv != 0) {
		log_error("battle %s: cannot load it (%s); skipped", id,
		    bs_strerror(rv));
		return rv;
	}
	lb = live_battle_alloc(reg, pb->id, pb->name);
	snprintf(lb->join_code, sizeof(lb->join_code), "%.*s", JOIN_CODE_LEN,
	    pb->join_code);
	memcpy(lb->gm_hash, pb->gm_hash, TOKEN_HASH_LEN);
	lb->created_at = pb->created_at;
	lb->lease_epoch = epoch;
	/* Idle time counts across restarts (battles_foreach_expired()). */
	lb->last_change = pb->last_active;
	for (size_t i = 0; i < pb->nmembers; i++)
		member_add(lb, pb->members[i].id,
		    strcmp(pb->members[i].role, "spectator") == 0 ?
		    ACTOR_SPECTATOR : ACTOR_PLAYER, pb->members[i].hash);
	if (codec_load(&lb->working, pb->snapshot, pb->snapshot_len) != 0) {
		log_error("battle %s: its snapshot does not load; skipped", id);
		persist_battle_free(pb);
		live_battle_free(lb);
		return BS_ERR_INVALID;
	}
	lb->action_seq = lb->snapshot_seq = pb->snapshot_seq;
	lb->state_bytes = pb->snapshot_len;
	restore_replay(lb, pb);
	persist_battle_free(pb);
	live_battle_open(lb);
	/* Taken now: a lease to be asked for (and written to) before it goes. */
	lb->asked_us = lb->written_us = loop_clock_us();
	registry_insert(reg, lb);
	phase_gauge(reg, battle_phase(lb->working), 1);
	battle_after_change(lb);
	return 0;
}

/* Takes the battle's lease for this node and restores it: 0 or an error. */
static int
take_and_restore(struct battles *reg, struct store_conn *conn, const char *id)
{
	int64_t epoch;
	int rv;

	if ((rv = persist_lease_take(conn, id, reg->node_id,
	    reg->opts.lease_ttl_ms, &epoch)) != 0)
		return rv;
	return battle_restore_one(reg, conn, id, epoch);
}

struct own {
	struct battles *reg;
	char **ids;
	size_t n, cap;
};

static void
own_one(void *arg, const struct persist_summary *ps)
{
	struct own *o = arg;

	if (ps->owner == NULL || strcmp(ps->owner, o->reg->node_id) != 0)
		return;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->ids = xreallocarray(o->ids, o->cap, sizeof(*o->ids));
	}
	o->ids[o->n++] = xstrdup(ps->id);
}

/*
 * On a shared store, the battles whose live lease has this node's id
 * (it was killed and started again under the same --node-id): taken back
 * and restored now, as they were served before, rather than at their
 * first request.  Returns 0 (a battle that cannot be taken waits for
 * its first request) or BS_ERR_IO when the store cannot list them.
 */
static int
restore_own(struct battles *reg)
{
	struct own o = { reg, NULL, 0, 0 };
	size_t restored = 0;

	if (persist_battle_list(reg->lease_conn, own_one, &o) != 0)
		return BS_ERR_IO;
	for (size_t i = 0; i < o.n; i++) {
		if (take_and_restore(reg, reg->lease_conn, o.ids[i]) == 0)
			restored++;
		free(o.ids[i]);
	}
	free(o.ids);
	if (o.n > 0)
		log_info("took back %zu of the %zu battles this node held",
		    restored, o.n);
	return 0;
}

/*
 * The store's one daemon (SQLite, under its flock) takes every lease at
 * start-up and restores every battle; a shared store's daemons take a
 * battle when it is first asked for (battles_lookup()).
 */
int
battles_restore(struct battles *reg, char *err, size_t errlen)
{
	struct store_conn *conn = store_conn(reg->store);
	char **ids;
	size_t n, restored = 0;

	if (persist_next_epoch(conn, &reg->epoch) != 0) {
		snprintf(err, errlen, "cannot record the new epoch");
		return BS_ERR_IO;
	}
	if (reg->opts.pg_location != NULL) {
		if (store_pg_open_side(&reg->lease_conn, reg->opts.pg_location,
		    err, errlen) != 0)
			return BS_ERR_IO;
		lease_start(reg);
		log_info("node %s: taking battles as they are asked for "
		    "(epoch %lld, leases of %lld ms)", reg->node_id,
		    (long long)reg->epoch, (long long)reg->opts.lease_ttl_ms);
		return restore_own(reg);
	}
	if (persist_battle_ids(conn, &ids, &n) != 0) {
		snprintf(err, errlen, "cannot list the stored battles");
		return BS_ERR_IO;
	}
	for (size_t i = 0; i < n; i++) {
		if (take_and_restore(reg, conn, ids[i]) == 0)
			restored++;
		free(ids[i]);
	}
	free(ids);
	if (n > 0)
		log_info("restored %zu of %zu battles (epoch %lld)", restored,
		    n, (long long)reg->epoch);
	return 0;
}
