/*
 * Actions (action.h): one dispatcher from stored or submitted actions to
 * the rules engine, shared by the API and the restore at start-up.
 */
#include "config.h"

#include "action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "name.h"

static const char *const action_names[ACTION_COUNT] = {
	[ACTION_JOIN] = "join",
	[ACTION_LEAVE] = "leave",
	[ACTION_SKILL] = "skill",
	[ACTION_TAKE] = "take",
	[ACTION_FREE] = "free",
	[ACTION_SHIP_ADD] = "ship_add",
	[ACTION_SHIP_EDIT] = "ship_edit",
	[ACTION_SHIP_REMOVE] = "ship_remove",
	[ACTION_ORDER] = "order",
	[ACTION_START] = "start",
	[ACTION_END] = "end",
	[ACTION_NARRATE] = "narrate",
	[ACTION_RESOLVE] = "resolve",
	[ACTION_SETTINGS] = "settings",
	[ACTION_PAUSE] = "pause",
	[ACTION_RESUME] = "resume",
	[ACTION_EXTEND] = "extend",
	[ACTION_ORDERS] = "orders",
};

const char *
action_name(enum action_kind kind)
{
	return (unsigned)kind < ACTION_COUNT ? action_names[kind] : NULL;
}

int
action_from_name(const char *name, enum action_kind *out)
{
	int i = name_index(name, &action_names[0], ACTION_COUNT,
	    sizeof(action_names[0]));

	if (i < 0)
		return BS_ERR_INVALID;
	*out = (enum action_kind)i;
	return 0;
}

void
action_actor_format(const struct actor *who, char *out, size_t outlen)
{
	switch (who->role) {
	case ACTOR_GM:
		snprintf(out, outlen, "gm");
		break;
	case ACTOR_PLAYER:
		snprintf(out, outlen, "player:%d", who->player);
		break;
	case ACTOR_SPECTATOR:
		snprintf(out, outlen, "spectator");
		break;
	}
}

int
action_actor_parse(const char *s, struct actor *who)
{
	char *end;
	long id;

	who->player = 0;
	if (strcmp(s, "gm") == 0) {
		who->role = ACTOR_GM;
		return 0;
	}
	if (strcmp(s, "spectator") == 0) {
		who->role = ACTOR_SPECTATOR;
		return 0;
	}
	if (strncmp(s, "player:", 7) != 0)
		return BS_ERR_INVALID;
	id = strtol(s + 7, &end, 10);
	if (*end != '\0' || id <= 0 || id > 1000000)
		return BS_ERR_INVALID;
	who->role = ACTOR_PLAYER;
	who->player = (int)id;
	return 0;
}

/* An integer member (bodies are built by the API, so types are known). */
static int
body_int(const json_t *body, const char *key)
{
	return (int)json_integer_value(json_object_get(body, key));
}

static int64_t
body_int64(const json_t *body, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(body, key));
}

static const char *
body_str(const json_t *body, const char *key)
{
	const char *s = json_string_value(json_object_get(body, key));

	return s ? s : "";
}

static int
apply_station(struct battle *b, enum action_kind kind,
    const struct actor *who, const json_t *body, struct refusal *why)
{
	enum station st;

	if (station_from_name(body_str(body, "station"), &st) != 0) {
		why->code = REFUSAL_UNKNOWN_STATION;
		snprintf(why->text, sizeof(why->text), "There is no station "
		    "'%s'; the stations are captain, pilot, gunner, engineer "
		    "and sensors.", body_str(body, "station"));
		return BS_ERR_NOT_FOUND;
	}
	if (kind == ACTION_TAKE)
		return crew_assign(b, who, body_int(body, "player"), st, why);
	return crew_release(b, who, st, why);
}

static int
settings_set(struct battle *b, const struct actor *who, const json_t *rs,
    const json_t *sp, struct refusal *why)
{
	int rv = 0;

	if (rs != NULL)
		rv = battle_set_round_seconds(b, who,
		    (int)json_integer_value(rs), why);
	if (rv == 0 && sp != NULL)
		rv = battle_set_spectators(b, who, json_is_true(sp), why);
	return rv;
}

/* All or nothing: try the settings on a copy, then on the battle. */
static int
apply_settings(struct battle *b, const struct actor *who, const json_t *body,
    struct refusal *why)
{
	const json_t *rs = json_object_get(body, "round_seconds");
	const json_t *sp = json_object_get(body, "spectators");
	struct battle *copy = battle_copy(b);
	int rv;

	rv = settings_set(copy, who, rs, sp, why);
	battle_free(copy);
	if (rv != 0)
		return rv;
	return settings_set(b, who, rs, sp, why);
}

/*
 * A batch of orders from one author, each applied as a single order
 * would be; those refused change nothing and are reported.  Refused as a
 * whole (with the first refusal) when none is accepted, so that a batch
 * that changes nothing is not recorded.
 */
static int
apply_orders(struct battle *b, const struct actor *who, const json_t *body,
    struct refusal *why, json_t **result)
{
	const json_t *orders = json_object_get(body, "orders"), *o;
	struct refusal first = { .code = REFUSAL_NONE }, one;
	json_t *results;
	int rv, first_rv = 0, accepted = 0;
	size_t i;

	if (!json_is_array(orders) || json_array_size(orders) == 0 ||
	    json_array_size(orders) > ACTION_ORDERS_MAX) {
		why->code = REFUSAL_MALFORMED;
		snprintf(why->text, sizeof(why->text), "\"orders\" must be a "
		    "list of 1 to %d orders", ACTION_ORDERS_MAX);
		return BS_ERR_INVALID;
	}
	results = json_array();
	json_array_foreach(orders, i, o) {
		rv = order_submit(b, who, o, &one);
		if (rv == 0) {
			json_t *r = order_receipt(b, o);

			json_object_set_new(r, "accepted", json_true());
			json_array_append_new(results, r);
			accepted++;
			continue;
		}
		json_array_append_new(results, json_pack("{s:b, s:i, s:s, "
		    "s:s}", "accepted", 0, "error", rv, "refusal",
		    refusal_name(one.code), "detail", one.text));
		if (first_rv == 0) {
			first_rv = rv;
			first = one;
		}
	}
	if (accepted == 0) {
		json_decref(results);
		*why = first;
		return first_rv;
	}
	if (result != NULL)
		*result = json_pack("{s:o}", "results", results);
	else
		json_decref(results);
	return 0;
}

int
action_apply(struct battle *b, enum action_kind kind,
    const struct actor *who, const json_t *body, json_t *log,
    struct refusal *why, json_t **result)
{
	struct refusal scratch;
	int id = 0, rv = BS_ERR_INVALID;

	if (why == NULL)
		why = &scratch;
	why->code = REFUSAL_NONE;
	why->text[0] = '\0';
	if (result != NULL)
		*result = NULL;
	switch (kind) {
	case ACTION_JOIN:
		rv = crew_player_add(b, body_str(body, "name"), &id, why);
		if (rv == 0 && result != NULL)
			*result = json_pack("{s:i}", "player", id);
		break;
	case ACTION_LEAVE:
		rv = crew_player_remove(b, who, body_int(body, "player"), why);
		break;
	case ACTION_SKILL:
		rv = crew_set_skill(b, who, body_int(body, "player"),
		    body_int(body, "skill"), why);
		break;
	case ACTION_TAKE:
	case ACTION_FREE:
		rv = apply_station(b, kind, who, body, why);
		break;
	case ACTION_SHIP_ADD:
		rv = fleet_add(b, who, body, &id, why);
		if (rv == 0 && result != NULL)
			*result = json_pack("{s:i}", "ship", id);
		break;
	case ACTION_SHIP_EDIT:
		rv = fleet_edit(b, who, body_int(body, "ship"),
		    json_object_get(body, "changes"), why);
		break;
	case ACTION_SHIP_REMOVE:
		rv = fleet_remove(b, who, body_int(body, "ship"), why);
		break;
	case ACTION_ORDER:
		rv = order_submit(b, who, body, why);
		if (rv == 0 && result != NULL)
			*result = order_receipt(b, body);
		break;
	case ACTION_START:
		rv = battle_start(b, who, log, why);
		if (rv == 0)
			battle_set_deadline(b, json_integer_value(
			    json_object_get(body, "deadline")));
		break;
	case ACTION_END:
		rv = battle_end(b, who, log, why);
		break;
	case ACTION_NARRATE:
		rv = battle_narrate(b, who, body_str(body, "text"), log, why);
		break;
	case ACTION_RESOLVE:
		if (who->role != ACTOR_GM) {
			why->code = REFUSAL_GM_ONLY;
			snprintf(why->text, sizeof(why->text), "Only the GM may "
			    "end planning early.");
			return BS_ERR_DENIED;
		}
		if (battle_phase(b) != PHASE_PLANNING &&
		    battle_phase(b) != PHASE_RESOLVING) {
			why->code = REFUSAL_NOT_PLANNING;
			snprintf(why->text, sizeof(why->text), "The battle is "
			    "not in planning; start it first.");
			return BS_ERR_STATE;
		}
		rv = resolve_round(b, log);
		if (rv == 0 && battle_phase(b) == PHASE_PLANNING)
			battle_set_deadline(b, json_integer_value(
			    json_object_get(body, "deadline")));
		break;
	case ACTION_SETTINGS:
		rv = apply_settings(b, who, body, why);
		break;
	case ACTION_PAUSE:
		rv = battle_pause(b, who, body_int64(body, "now"), log, why);
		break;
	case ACTION_RESUME:
		rv = battle_resume(b, who, body_int64(body, "now"), log, why);
		break;
	case ACTION_EXTEND:
		rv = battle_extend(b, who, body_int64(body, "now"),
		    body_int(body, "seconds"), log, why);
		break;
	case ACTION_ORDERS:
		rv = apply_orders(b, who, body, why, result);
		break;
	case ACTION_COUNT:
		break;
	}
	return rv;
}
