/*
 * The write pipeline of the live battles: a change is applied to the
 * working state, recorded in one persist_write, submitted to the store,
 * and only when the store has committed it applied to the committed state
 * and published; its done function runs then.  Act and join share one
 * record path (battle_change_record()); create (battles.c), delete and
 * the barrier submit through battle_submit() like every write.  Why there
 * are two engine states: battles_impl.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "alloc.h"
#include "battles_impl.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "persist.h"
#include "store.h"
#include "stream.h"

/*
 * A write in flight: its record, the action to apply again to the
 * committed state once it is on disk, and whom to tell.
 */
struct pending_write {
	struct live_battle *lb;
	struct persist_write *w;	/* NULL: a barrier */
	int has_action;
	enum action_kind kind;
	struct actor who;
	json_t *body;
	battles_done_fn done;
	void *arg;
	json_t *result;
};

/* ---- the commit ------------------------------------------------------------ */

/* The private "accepted" event of one order, as its 202 answer says it. */
static void
battle_tell_accepted(struct live_battle *lb, const struct actor *who,
    json_t *receipt)
{
	json_t *a = json_pack("{s:s, s:b}", "battle", lb->id, "accepted", 1);

	json_object_update(a, receipt);
	channel_private(lb->channel, who->role == ACTOR_GM ? 0 : who->player,
	    "accepted", a);
	json_decref(a);
}

/*
 * The action is on disk: the committed state takes it too, and its log
 * entries go to the event stream, which publishes them after its
 * debounce window.
 *
 * When it was the battle's last write in flight and none failed, the
 * working state is exactly the committed one with this action applied:
 * the committed state becomes a copy of it (a resolution costs one run
 * of the engine, not two).  Otherwise the action is applied again to the
 * committed state (the engine is deterministic, so it does the same).
 *
 * The stream sends each entry in the words it was stored in
 * (persist_write_log()), written once: the GM's, and the crew's copy,
 * made against the working state as the change left it, where the
 * committed state is now.  Spectators read the crew's log.
 */
static void
battle_commit_action(struct live_battle *lb, struct pending_write *pw)
{
	size_t n = persist_write_log_count(pw->w);
	const char **gm = xcalloc(n + 1, sizeof(*gm));
	const char **crew = xcalloc(n + 1, sizeof(*crew));
	const char *const *text[VIEWER_COUNT] = {
		[VIEWER_GM] = gm,
		[VIEWER_CREW] = crew,
		[VIEWER_SPECTATOR] = crew,
	};
	int stored = 1;
	json_t *log = NULL;
	struct refusal why;

	for (size_t i = 0; i < n; i++) {
		gm[i] = persist_write_log_text(pw->w, i, 0);
		crew[i] = persist_write_log_text(pw->w, i, 1);
		stored &= crew[i] != NULL;
	}
	if (stored && lb->pending == 0 && !lb->broken) {
		battle_free(lb->committed);
		lb->committed = battle_copy(lb->working);
	} else {
		log = json_array();
		if (action_apply(lb->committed, pw->kind, &pw->who, pw->body,
		    log, &why, NULL) != 0)
			log_error("battle %s: a committed %s does not apply "
			    "again: %s", lb->id, action_name(pw->kind),
			    why.text);
		/* Entries that are not what was stored are written anew. */
		stored &= json_array_size(log) == n;
		n = json_array_size(log);
	}
	live_battle_forget_documents(lb);
	if (lb->channel != NULL) {
		const json_t *views[VIEWER_COUNT] = { [VIEWER_GM] = log };

		/* A narration adds to the log and changes no view. */
		channel_changed_text(lb->channel, n, views,
		    stored ? text : NULL, pw->kind != ACTION_NARRATE);
		/*
		 * Its author hears at once that the order is on disk, in the
		 * words of the 202 answer (api/orders.c).
		 */
		if (pw->kind == ACTION_ORDER)
			battle_tell_accepted(lb, &pw->who, pw->result);
		if (pw->kind == ACTION_ORDERS) {
			json_t *r;
			size_t i;

			json_array_foreach(json_object_get(pw->result,
			    "results"), i, r)
				if (json_is_true(json_object_get(r,
				    "accepted")))
					battle_tell_accepted(lb, &pw->who, r);
		}
	}
	json_decref(log);
	free(gm);
	free(crew);
}

static void
write_done(void *arg, int status)
{
	struct pending_write *pw = arg;
	struct live_battle *lb = pw->lb;

	lb->pending--;
	if (status == 0 && pw->has_action)
		battle_commit_action(lb, pw);
	/* Refused by its fence: another node serves the battle now. */
	if (status == BS_ERR_LOST && !lb->deleting)
		battle_lose(lb);
	if (status != 0 && !lb->deleting) {
		/*
		 * Working is ahead of the disk now, for good (battles_impl.h).
		 * Refuse further changes until an operator restarts the
		 * daemon, which reloads the battle from what was committed.
		 */
		log_error("battle %s: a write failed; refusing changes until "
		    "the daemon restarts", lb->id);
		lb->broken = 1;
	}
	if (status == 0 && lb->unheld)
		battle_drop(lb);
	if (pw->done != NULL)
		pw->done(pw->arg, status, pw->result);
	json_decref(pw->result);
	json_decref(pw->body);
	persist_write_free(pw->w);
	free(pw);
	if (lb->deleting && lb->pending == 0) {
		registry_remove(lb->reg, lb);
		live_battle_free(lb);
	}
}

/* On the storage thread: the record of a pending write, if it has one. */
static int
write_apply(struct store_conn *conn, void *arg)
{
	struct pending_write *pw = arg;

	return persist_apply(conn, pw->w);
}

static struct pending_write *
pending_submit(struct live_battle *lb, struct persist_write *w,
    battles_done_fn done, void *arg, json_t *result)
{
	struct pending_write *pw = xcalloc(1, sizeof(*pw));

	pw->lb = lb;
	pw->w = w;
	pw->done = done;
	pw->arg = arg;
	pw->result = result;
	if (w != NULL)
		persist_write_lease(w, lb->unheld ? "" : lb->reg->node_id,
		    lb->lease_epoch, lb->reg->opts.lease_ttl_ms);
	if (w != NULL && lb->reg->submit_hook != NULL)
		lb->reg->submit_hook(lb->reg->submit_ctx, done, arg, w, result);
	lb->pending++;
	lb->written_us = loop_clock_us();
	store_submit(lb->reg->store, w != NULL ? write_apply : NULL,
	    write_done, pw);
	return pw;
}

void
battle_submit(struct live_battle *lb, struct persist_write *w,
    battles_done_fn done, void *arg, json_t *result)
{
	pending_submit(lb, w, done, arg, result);
}

/* ---- recording a change ------------------------------------------------------ */

void
battle_record_state(struct live_battle *lb, struct persist_write *w,
    int force_snapshot)
{
	enum battle_phase phase = battle_phase(lb->working);

	persist_write_phase(w, phase_name(phase), battle_deadline(lb->working),
	    phase == PHASE_ENDED ? battles_wall_ms() : 0);
	if (force_snapshot || lb->action_seq - lb->snapshot_seq >=
	    (uint64_t)lb->reg->opts.snapshot_every) {
		size_t len;
		char *state = codec_save(lb->working, &len);

		persist_write_snapshot(w, lb->action_seq,
		    battle_round(lb->working), state, len, battles_wall_ms());
		lb->state_bytes = len;
		lb->snapshot_seq = lb->action_seq;
	}
}

int
battle_refuse_state(const struct live_battle *lb, struct refusal *why)
{
	if (!lb->deleting && !lb->broken)
		return 0;
	why->code = REFUSAL_NONE;
	if (lb->deleting) {
		snprintf(why->text, sizeof(why->text),
		    "This battle is being deleted.");
		return BS_ERR_STATE;
	}
	/* Not for good: the change may be sent again (503). */
	snprintf(why->text, sizeof(why->text), lb->reg->lease_conn != NULL ?
	    "A write of this battle failed; it is reloaded from the store "
	    "once the store answers again: send the change again in a "
	    "moment." : "A write of this battle failed; it takes changes "
	    "again once the operator has restarted the server.");
	return BS_ERR_IO;
}

/*
 * The crew's copy of a change's log entries, read against the working
 * state as the change left it: the same copy the event stream sends the
 * crew when the change commits (the committed state is then where the
 * working one is now), kept so that GET of the log shows what the stream
 * showed.  Spectators read the crew's log.
 */
static json_t *
battle_crew_log(const struct live_battle *lb, const json_t *log)
{
	json_t *crew = json_array(), *e;
	size_t i;

	json_array_foreach(log, i, e)
		json_array_append_new(crew, view_log_entry(lb->working,
		    VIEWER_CREW, e));
	return crew;
}

int
battle_change_apply(struct live_battle *lb, struct battle_change *c,
    enum action_kind kind, const struct actor *who, const json_t *body,
    struct refusal *why)
{
	uint64_t t0;
	int rv;

	c->kind = kind;
	c->who = *who;
	c->body = body;
	c->before = battle_phase(lb->working);
	c->log = json_array();
	c->result = NULL;
	t0 = loop_clock_us();
	rv = action_apply(lb->working, kind, who, body, c->log, why,
	    &c->result);
	if (rv != 0) {
		json_decref(c->log);
		c->log = NULL;
		return rv;
	}
	/* A measurement, so a fresh clock, not the loop's time. */
	if (kind == ACTION_RESOLVE)
		metric_observe(lb->reg->m_resolve,
		    (double)(loop_clock_us() - t0) / 1e6);
	return 0;
}

void
battle_change_record(struct live_battle *lb, struct battle_change *c,
    struct persist_write *w, battles_done_fn done, void *arg)
{
	enum battle_phase after = battle_phase(lb->working);
	struct pending_write *pw;
	json_t *crew_log;
	char actor[32];

	lb->action_seq++;
	lb->last_change = battles_wall_ms();
	action_actor_format(&c->who, actor, sizeof(actor));
	persist_write_action(w, lb->action_seq, action_name(c->kind), actor,
	    c->body, battles_wall_ms());
	crew_log = battle_crew_log(lb, c->log);
	persist_write_log(w, c->log, crew_log);
	json_decref(crew_log);
	json_decref(c->log);
	c->log = NULL;
	/* Rounds start and end in snapshots: a restart replays little. */
	battle_record_state(lb, w, c->kind == ACTION_START ||
	    c->kind == ACTION_RESOLVE || c->kind == ACTION_END);
	if (after != c->before) {
		phase_gauge(lb->reg, c->before, -1);
		phase_gauge(lb->reg, after, 1);
	}
	pw = pending_submit(lb, w, done, arg, c->result);
	c->result = NULL;
	pw->has_action = 1;
	pw->kind = c->kind;
	pw->who = c->who;
	pw->body = json_deep_copy(c->body);
	battle_after_change(lb);
}

/* ---- the calls of battles.h ------------------------------------------------- */

int
live_battle_act(struct live_battle *lb, enum action_kind kind,
    const struct actor *who, const json_t *body, struct refusal *why,
    battles_done_fn done, void *arg)
{
	struct battle_change c;
	int rv;

	if ((rv = battle_refuse_state(lb, why)) != 0)
		return rv;
	if ((rv = battle_change_apply(lb, &c, kind, who, body, why)) != 0)
		return rv;
	battle_change_record(lb, &c, persist_write_new(lb->id), done, arg);
	return 0;
}

void
live_battle_delete(struct live_battle *lb, battles_done_fn done, void *arg)
{
	struct persist_write *w = persist_write_new(lb->id);

	persist_write_delete(w);
	lb->deleting = 1;
	loop_timer_cancel(lb->round_timer);
	lb->round_timer = NULL;
	/* Its streams end now; their clients get 404 when they come back. */
	channel_free(lb->channel);
	lb->channel = NULL;
	phase_gauge(lb->reg, battle_phase(lb->working), -1);
	battle_submit(lb, w, done, arg, NULL);
}

/* The store runs items in order, so an empty one is done after the rest. */
void
live_battle_barrier(struct live_battle *lb, battles_done_fn done, void *arg)
{
	if (lb->pending == 0) {
		done(arg, 0, NULL);
		return;
	}
	battle_submit(lb, NULL, done, arg, NULL);
}
