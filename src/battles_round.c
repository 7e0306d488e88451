/*
 * The round timer of the live battles: planning ends when every order is
 * in or when the stored deadline (wall clock) passes, and the resolution
 * is itself a recorded action (ACTION_RESOLVE, by the server as GM), so a
 * restart resumes the same round at the same deadline.  The timer follows
 * the working state (battles_impl.h): a round that is all in resolves
 * without waiting for the last order's commit, whose write goes first.
 */
#include "config.h"

#include "battles_impl.h"
#include "log.h"
#include "loop.h"

static void
battle_resolve_now(struct live_battle *lb)
{
	struct actor server = { .role = ACTOR_GM };
	struct refusal why;
	json_t *body;

	lb->resolve_queued = 0;
	if (battle_phase(lb->working) != PHASE_PLANNING || lb->deleting ||
	    lb->broken)
		return;
	body = json_pack("{s:I}", "deadline", (json_int_t)(battles_wall_ms() +
	    (int64_t)battle_round_seconds(lb->working) * 1000));
	if (live_battle_act(lb, ACTION_RESOLVE, &server, body, &why, NULL,
	    NULL) != 0)
		log_error("battle %s: round %d did not resolve: %s", lb->id,
		    battle_round(lb->working), why.text);
	json_decref(body);
}

static int64_t
battle_round_timer(struct loop *loop, void *arg)
{
	struct live_battle *lb = arg;

	lb->round_timer = NULL;
	battle_resolve_now(lb);
	return LOOP_TIMER_STOP;
}

static void
battle_resolve_deferred(struct loop *loop, void *arg)
{
	battle_resolve_now(arg);
}

/*
 * The resolution of an all-in round is deferred to after this loop
 * iteration: it runs outside the call of the change that completed the
 * round (whose caller may still be using the battle), and only once.
 */
void
battle_after_change(struct live_battle *lb)
{
	int64_t delay;

	/* A stopped clock: the round waits for the GM (game/clock.c). */
	if (battle_phase(lb->working) != PHASE_PLANNING ||
	    battle_paused_left(lb->working) > 0) {
		loop_timer_cancel(lb->round_timer);
		lb->round_timer = NULL;
		return;
	}
	if (order_all_in(lb->working) && !lb->resolve_queued) {
		lb->resolve_queued = 1;
		loop_defer(lb->reg->loop, battle_resolve_deferred, lb);
	}
	delay = battle_deadline(lb->working) - battles_wall_ms();
	if (delay < 0)
		delay = 0;
	if (lb->round_timer != NULL)
		loop_timer_reset(lb->round_timer, delay);
	else
		lb->round_timer = loop_timer_add(lb->reg->loop, delay,
		    battle_round_timer, lb);
}
