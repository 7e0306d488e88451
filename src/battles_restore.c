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

#include "battles_impl.h"
#include "error.h"
#include "log.h"
#include "persist.h"
#include "store.h"

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

static int
restore_one(struct battles *reg, const char *id)
{
	struct persist_battle *pb;
	struct live_battle *lb;
	int rv;

	rv = persist_load(store_conn(reg->store), id, &pb);
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
	registry_insert(reg, lb);
	phase_gauge(reg, battle_phase(lb->working), 1);
	battle_after_change(lb);
	return 0;
}

int
battles_restore(struct battles *reg, char *err, size_t errlen)
{
	char **ids;
	size_t n, restored = 0;

	if (persist_next_epoch(store_conn(reg->store), &reg->epoch) != 0) {
		snprintf(err, errlen, "cannot record the new epoch");
		return BS_ERR_IO;
	}
	if (persist_battle_ids(store_conn(reg->store), &ids, &n) != 0) {
		snprintf(err, errlen, "cannot list the stored battles");
		return BS_ERR_IO;
	}
	for (size_t i = 0; i < n; i++) {
		if (restore_one(reg, ids[i]) == 0)
			restored++;
		free(ids[i]);
	}
	free(ids);
	if (n > 0)
		log_info("restored %zu of %zu battles (epoch %lld)", restored,
		    n, (long long)reg->epoch);
	return 0;
}
