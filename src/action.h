/*
 * Actions: every change a client makes to a battle, as a kind, an actor
 * and a JSON body.  The API applies an action to the live battle and the
 * store records it; at start-up the same records are applied again, in
 * order, to the battle's last snapshot.  Because the rules engine is
 * deterministic and every input it needs (the round deadline included) is
 * in the body, the replay ends in exactly the state the battle had
 * (doc/design.md, "The store").
 *
 * Pure: no I/O, no clock.  Any thread, one battle at a time.
 */
#ifndef BROADSIDE_ACTION_H
#define BROADSIDE_ACTION_H

/* The most orders one batch (ACTION_ORDERS) may carry. */
#define ACTION_ORDERS_MAX	64

#include <jansson.h>

#include "game/game.h"

enum action_kind {
	ACTION_JOIN,		/* {"name":..} -> result {"player":id} */
	ACTION_LEAVE,		/* {"player":id} */
	ACTION_SKILL,		/* {"player":id, "skill":n} */
	ACTION_TAKE,		/* {"station":.., "player":id} */
	ACTION_FREE,		/* {"station":..} */
	ACTION_SHIP_ADD,	/* fleet_add() spec -> result {"ship":id} */
	ACTION_SHIP_EDIT,	/* {"ship":id, "changes":{..}} */
	ACTION_SHIP_REMOVE,	/* {"ship":id} */
	ACTION_ORDER,		/* order_submit() order */
	ACTION_START,		/* {"deadline":epoch_ms} */
	ACTION_END,		/* {} */
	ACTION_NARRATE,		/* {"text":..} */
	ACTION_RESOLVE,		/* {"deadline":epoch_ms} for the next round */
	ACTION_SETTINGS,	/* {"round_seconds":n, "spectators":bool} */
	ACTION_PAUSE,		/* {"now":epoch_ms} */
	ACTION_RESUME,		/* {"now":epoch_ms} */
	ACTION_EXTEND,		/* {"now":epoch_ms, "seconds":n} */
	ACTION_ORDERS,		/* {"orders":[order, ...]} -> result
				   {"results":[receipt or refusal, ...]} */
	ACTION_COUNT,
};

/* "join", "ship_add", ...; NULL for an out-of-range kind. */
const char *action_name(enum action_kind kind);

/* 0, or BS_ERR_INVALID for an unknown name. */
int action_from_name(const char *name, enum action_kind *out);

/* "gm", "player:3" or "spectator". */
void action_actor_format(const struct actor *who, char *out, size_t outlen);

/* Parses action_actor_format()'s output: 0 or BS_ERR_INVALID. */
int action_actor_parse(const char *s, struct actor *who);

/*
 * Applies an action to b through the rules engine, appending log entries
 * to log.  On success returns 0 and, if result is not NULL, sets *result
 * to a new object describing what was made ({"player":id}, {"ship":id})
 * or NULL.  On refusal returns the engine's error code with why filled,
 * and b is unchanged.
 */
int action_apply(struct battle *b, enum action_kind kind,
    const struct actor *who, const json_t *body, json_t *log,
    struct refusal *why, json_t **result);

#endif
