/*
 * The round clock: the GM stops it, starts it again, or moves the
 * deadline (game.h, "The round clock").
 *
 * Rules chosen where broadside-rules(7) is silent:
 *  - A stopped clock keeps the time that was left; while it is stopped
 *    the round does not end by itself, not even when every order is in
 *    (the GM stopped it for a reason); the GM may still resolve it.
 *  - The clock cannot be stopped or moved once its time is up (the round
 *    is resolving), and a move leaves at least one second.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "error.h"
#include "game/state.h"

#define CLOCK_MIN_LEFT_MS	1000
#define CLOCK_MAX_EXTEND_S	600

/* What the GM did to the clock, and the time left afterwards. */
static void
clock_log(struct battle *b, json_t *log, const char *action, int64_t left,
    int seconds)
{
	json_t *e = combatlog_new(b, "clock");

	json_object_set_new(e, "action", json_string(action));
	json_object_set_new(e, "left_ms", json_integer(left));
	if (seconds != 0)
		json_object_set_new(e, "seconds", json_integer(seconds));
	combatlog_finish(log, e);
}

static int
clock_check(const struct battle *b, const struct actor *who,
    struct refusal *why)
{
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0)
		return rc;
	if (b->phase != PHASE_PLANNING)
		return refuse(why, REFUSAL_NOT_PLANNING, "the round clock "
		    "runs only while a round is planned");
	return 0;
}

int
battle_pause(struct battle *b, const struct actor *who, int64_t now_ms,
    json_t *log, struct refusal *why)
{
	int rc;

	if ((rc = clock_check(b, who, why)) < 0)
		return rc;
	if (b->paused_left > 0)
		return refuse(why, REFUSAL_PAUSED, "the clock is already "
		    "stopped; resume it first");
	if (b->deadline - now_ms < CLOCK_MIN_LEFT_MS)
		return refuse(why, REFUSAL_TIME_UP, "the round's time is up; "
		    "it is being resolved");
	b->paused_left = b->deadline - now_ms;
	b->deadline = 0;
	clock_log(b, log, "pause", b->paused_left, 0);
	return 0;
}

int
battle_resume(struct battle *b, const struct actor *who, int64_t now_ms,
    json_t *log, struct refusal *why)
{
	int rc;

	if ((rc = clock_check(b, who, why)) < 0)
		return rc;
	if (b->paused_left == 0)
		return refuse(why, REFUSAL_NOT_PAUSED, "the clock is running; "
		    "only a stopped clock resumes");
	b->deadline = now_ms + b->paused_left;
	clock_log(b, log, "resume", b->paused_left, 0);
	b->paused_left = 0;
	return 0;
}

int
battle_extend(struct battle *b, const struct actor *who, int64_t now_ms,
    int seconds, json_t *log, struct refusal *why)
{
	int64_t left;
	int rc;

	if ((rc = clock_check(b, who, why)) < 0)
		return rc;
	if (seconds == 0 || seconds < -CLOCK_MAX_EXTEND_S ||
	    seconds > CLOCK_MAX_EXTEND_S)
		return refuse(why, REFUSAL_OUT_OF_BOUNDS, "\"seconds\" moves "
		    "the deadline by -%d to %d seconds, not 0",
		    CLOCK_MAX_EXTEND_S, CLOCK_MAX_EXTEND_S);
	left = b->paused_left > 0 ? b->paused_left : b->deadline - now_ms;
	if (left < CLOCK_MIN_LEFT_MS)
		return refuse(why, REFUSAL_TIME_UP, "the round's time is up; "
		    "it is being resolved");
	left += (int64_t)seconds * 1000;
	if (left < CLOCK_MIN_LEFT_MS)
		left = CLOCK_MIN_LEFT_MS;
	if (b->paused_left > 0)
		b->paused_left = left;
	else
		b->deadline = now_ms + left;
	clock_log(b, log, "extend", left, seconds);
	return 0;
}

int64_t
battle_paused_left(const struct battle *b)
{
	return b->paused_left;
}
