/*
 * Orders: reading a station's order or a GM ship's combined order,
 * checking it against the rules, the round and who gives it, and keeping
 * the last one per station or ship until the round resolves.
 *
 * Rules chosen where broadside-rules(7) is silent:
 *  - Targets are checked against positions when the order is given; fire
 *    that is out of range after movement is lost (resolve.c).
 *  - A station's orders may only name ships the crew detects, and the
 *    refusal for an undetected ship is the same as for one that does not
 *    exist, so that orders cannot probe for hidden ships.  GM orders may
 *    name any ship.
 *  - Nobody fires on their own side.
 *  - A move is checked against the thrust the ship will have with the
 *    engineer's current order (an overcharged drive counts); whatever
 *    changes later, movement is clamped to thrust when it resolves.
 *  - Evading means not moving: a GM order with both is refused.
 *  - "repair hull" may be ordered at full hull: fire comes before
 *    engineering, so the hull may need it by then.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <string.h>

#include "error.h"
#include "game/field.h"
#include "game/state.h"

struct order_kind {
	const char	*name;
	enum order_type	 type;
	const char	*const *fields;		/* beyond the common ones */
};

static const char *const no_fields[] = { NULL };
static const char *const move_fields[] = { "x", "y", NULL };
static const char *const fire_fields[] = { "fire", "weapon", "target", NULL };
static const char *const system_fields[] = { "system", NULL };
static const char *const target_fields[] = { "target", NULL };

static const struct order_kind order_kinds[] = {
	{ "hold", ORDER_HOLD, no_fields },
	{ "tactics", ORDER_TACTICS, no_fields },
	{ "move", ORDER_MOVE, move_fields },
	{ "evade", ORDER_EVADE, no_fields },
	{ "fire", ORDER_FIRE, fire_fields },
	{ "repair", ORDER_REPAIR, system_fields },
	{ "overcharge", ORDER_OVERCHARGE, system_fields },
	{ "lock", ORDER_LOCK, target_fields },
	{ "jam", ORDER_JAM, target_fields },
	{ "scan", ORDER_SCAN, no_fields },
};

#define ORDER_KINDS	(sizeof order_kinds / sizeof order_kinds[0])

/* Which orders each station gives, as a bit per enum order_type. */
static const unsigned station_orders[STATION_COUNT] = {
	[STATION_CAPTAIN] = 1u << ORDER_TACTICS,
	[STATION_PILOT] = 1u << ORDER_MOVE | 1u << ORDER_EVADE,
	[STATION_GUNNER] = 1u << ORDER_FIRE,
	[STATION_ENGINEER] = 1u << ORDER_REPAIR | 1u << ORDER_OVERCHARGE,
	[STATION_SENSORS] = 1u << ORDER_LOCK | 1u << ORDER_JAM |
	    1u << ORDER_SCAN,
};

static const char *const station_order_help[STATION_COUNT] = {
	"tactics or hold",
	"move, evade or hold",
	"fire or hold",
	"repair, overcharge or hold",
	"lock, jam, scan or hold",
};

static const char *
order_type_name(enum order_type type)
{
	size_t i;

	for (i = 0; i < ORDER_KINDS; i++)
		if (order_kinds[i].type == type)
			return order_kinds[i].name;
	return "gm";
}

/* The fields every order may carry, plus those of its kind. */
static int
check_fields(const json_t *j, const char *const *extra, bool ship_order,
    struct refusal *why)
{
	const char *fields[16];
	size_t n = 0, i;

	fields[n++] = "round";
	fields[n++] = ship_order ? "ship" : "station";
	fields[n++] = "type";
	for (i = 0; extra[i] != NULL; i++)
		fields[n++] = extra[i];
	fields[n] = NULL;
	return field_check(j, "the order", fields, why);
}

/* One {"weapon","target"}; flat: the two keys of the order itself. */
static int
parse_fire_entry(const json_t *v, bool flat, struct fire *f,
    struct refusal *why)
{
	static const char *const entry_fields[] = { "weapon", "target", NULL };
	int rc;

	if ((!flat && (rc = field_check(v, "each \"fire\" entry",
	    entry_fields, why)) < 0) ||
	    (rc = field_need_int(v, "weapon", 0, INT_MAX, &f->weapon,
	    why)) < 0 ||
	    (rc = field_need_int(v, "target", 0, INT_MAX, &f->target,
	    why)) < 0)
		return rc;
	return 0;
}

/* "fire":[{"weapon":0,"target":4},...], or one flat weapon and target. */
static int
parse_fire(const json_t *j, bool need_one, struct order *o,
    struct refusal *why)
{
	json_t *list = json_object_get(j, "fire"), *v;
	size_t i;
	int rc;

	if (list == NULL && (json_object_get(j, "weapon") != NULL ||
	    json_object_get(j, "target") != NULL)) {
		o->nfire = 1;
		return parse_fire_entry(j, true, &o->fire[0], why);
	}
	if (list == NULL && !need_one)
		return 0;
	if (!json_is_array(list) || (need_one && json_array_size(list) == 0))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"fire\" must be a list like [{\"weapon\":0,"
		    "\"target\":4}] naming at least one weapon");
	if (json_object_get(j, "weapon") != NULL ||
	    json_object_get(j, "target") != NULL)
		return refuse(why, REFUSAL_MALFORMED,
		    "give either \"fire\" or \"weapon\" and \"target\", "
		    "not both");
	if (json_array_size(list) > SHIP_MAX_WEAPONS)
		return refuse(why, REFUSAL_WEAPON_TWICE,
		    "a ship has at most %d weapons, each firing once",
		    SHIP_MAX_WEAPONS);
	json_array_foreach(list, i, v) {
		if ((rc = parse_fire_entry(v, false, &o->fire[i], why)) < 0)
			return rc;
	}
	o->nfire = (int)json_array_size(list);
	return 0;
}

static int
parse_point(const json_t *j, int *x, int *y, struct refusal *why)
{
	int rc;

	if ((rc = field_need_int(j, "x", INT_MIN, INT_MAX, x, why)) < 0 ||
	    (rc = field_need_int(j, "y", INT_MIN, INT_MAX, y, why)) < 0)
		return rc;
	if (*x < 0 || *x > MAP_SIZE || *y < 0 || *y > MAP_SIZE)
		return refuse(why, REFUSAL_OFF_MAP,
		    "(%d, %d) is off the map; x and y run from 0 to %d",
		    *x, *y, MAP_SIZE);
	return 0;
}

static int
parse_system(const json_t *j, enum order_type type, struct order *o,
    struct refusal *why)
{
	const char *name;
	int rc;

	if ((rc = field_need_string(j, "system", 32, &name, why)) < 0)
		return rc;
	if (ship_system_from_name(name, &o->system) < 0 ||
	    (type == ORDER_OVERCHARGE && o->system != SYSTEM_DRIVE &&
	    o->system != SYSTEM_WEAPONS))
		return refuse(why, REFUSAL_UNKNOWN_SYSTEM, "%s takes %s",
		    order_type_name(type), type == ORDER_REPAIR ?
		    "\"system\": drive, weapons, sensors or hull" :
		    "\"system\": drive or weapons");
	return 0;
}

int
order_parse_station(const json_t *j, enum station station,
    struct order *out, struct refusal *why)
{
	const struct order_kind *kind = NULL;
	struct order o = { 0 };
	const char *type;
	size_t i;
	int rc;

	if ((rc = field_need_string(j, "type", 32, &type, why)) < 0)
		return rc;
	for (i = 0; i < ORDER_KINDS; i++)
		if (strcmp(type, order_kinds[i].name) == 0)
			kind = &order_kinds[i];
	if (kind == NULL || (kind->type != ORDER_HOLD &&
	    !(station_orders[station] & (1u << kind->type))))
		return refuse(why, REFUSAL_UNKNOWN_ORDER,
		    "the %s gives %s; \"%.32s\" is not one of them",
		    station_name(station), station_order_help[station], type);
	if ((rc = check_fields(j, kind->fields, false, why)) < 0)
		return rc;
	o.given = true;
	o.type = kind->type;
	switch (o.type) {
	case ORDER_MOVE:
		o.move = true;
		rc = parse_point(j, &o.x, &o.y, why);
		break;
	case ORDER_EVADE:
		o.evade = true;
		break;
	case ORDER_FIRE:
		rc = parse_fire(j, true, &o, why);
		break;
	case ORDER_REPAIR:
	case ORDER_OVERCHARGE:
		rc = parse_system(j, o.type, &o, why);
		break;
	case ORDER_LOCK:
	case ORDER_JAM:
		rc = field_need_int(j, "target", 0, INT_MAX, &o.target, why);
		break;
	default:
		break;
	}
	if (rc < 0)
		return rc;
	*out = o;
	return 0;
}

int
order_parse_ship(const json_t *j, struct order *out, struct refusal *why)
{
	static const char *const ship_fields[] = { "move", "evade", "fire",
	    "x", "y", "weapon", "target", NULL };
	struct order o = { 0 };
	json_t *move;
	const char *type = NULL;
	int rc;

	if ((rc = check_fields(j, ship_fields, true, why)) < 0 ||
	    (rc = field_string(j, "type", 32, false, &type, why)) < 0)
		return rc;
	if (type != NULL && strcmp(type, "hold") != 0)
		return refuse(why, REFUSAL_UNKNOWN_ORDER,
		    "a GM ship's order has no type (or \"hold\"); give "
		    "\"move\", \"evade\" and \"fire\" instead");
	o.given = true;
	o.type = ORDER_GM;
	/* "move":{"x","y"}, or flat "x" and "y" as a form sends them. */
	if ((move = json_object_get(j, "move")) != NULL) {
		if (json_object_get(j, "x") != NULL ||
		    json_object_get(j, "y") != NULL)
			return refuse(why, REFUSAL_MALFORMED,
			    "give either \"move\" or \"x\" and \"y\", not "
			    "both");
		if ((rc = field_check(move, "\"move\"", move_fields,
		    why)) < 0)
			return rc;
	} else if (json_object_get(j, "x") != NULL ||
	    json_object_get(j, "y") != NULL)
		move = (json_t *)j;
	if (move != NULL) {
		if ((rc = parse_point(move, &o.x, &o.y, why)) < 0)
			return rc;
		o.move = true;
	}
	if ((rc = field_bool(j, "evade", &o.evade, why)) < 0 ||
	    (rc = parse_fire(j, false, &o, why)) < 0)
		return rc;
	if (o.move && o.evade)
		return refuse(why, REFUSAL_MOVE_AND_EVADE,
		    "an evading ship does not move; drop \"move\" or "
		    "\"evade\"");
	*out = o;
	return 0;
}

static json_t *
fire_to_json(const struct order *o)
{
	json_t *list = json_array();
	int i;

	for (i = 0; i < o->nfire; i++)
		json_array_append_new(list, json_pack("{s:i, s:i}",
		    "weapon", o->fire[i].weapon, "target", o->fire[i].target));
	return list;
}

json_t *
order_to_json(const struct order *o)
{
	json_t *j;

	if (o->type == ORDER_GM) {
		j = json_pack("{s:b, s:o}", "evade", o->evade,
		    "fire", fire_to_json(o));
		if (o->move)
			json_object_set_new(j, "move", json_pack("{s:i, s:i}",
			    "x", o->x, "y", o->y));
		return j;
	}
	j = json_pack("{s:s}", "type", order_type_name(o->type));
	switch (o->type) {
	case ORDER_MOVE:
		json_object_set_new(j, "x", json_integer(o->x));
		json_object_set_new(j, "y", json_integer(o->y));
		break;
	case ORDER_FIRE:
		json_object_set_new(j, "fire", fire_to_json(o));
		break;
	case ORDER_REPAIR:
	case ORDER_OVERCHARGE:
		json_object_set_new(j, "system",
		    json_string(ship_system_name(o->system)));
		break;
	case ORDER_LOCK:
	case ORDER_JAM:
		json_object_set_new(j, "target", json_integer(o->target));
		break;
	default:
		break;
	}
	return j;
}

void
order_clear_all(struct battle *b)
{
	int i;

	memset(b->station_order, 0, sizeof b->station_order);
	for (i = 0; i < b->nships; i++)
		memset(&b->ships[i].order, 0, sizeof b->ships[i].order);
}

/*
 * A ship an order aims at.  by_crew: a station's order, which only sees
 * what the crew detects.
 */
static int
check_target(const struct battle *b, const struct ship *actor, int id,
    bool by_crew, struct ship **out, struct refusal *why)
{
	struct ship *t = battle_ship(b, id);

	if (by_crew && (t == NULL || !battle_detected(b, t)))
		return refuse(why, REFUSAL_TARGET_NOT_DETECTED,
		    "the crew has not detected any ship %d; pick a ship on "
		    "the sensor display", id);
	if (t == NULL)
		return refuse(why, REFUSAL_NO_SUCH_SHIP,
		    "there is no ship %d in this battle", id);
	if (t->side == actor->side)
		return refuse(why, REFUSAL_TARGET_FRIENDLY,
		    "%s is on your own side; pick a hostile ship", t->name);
	if (!battle_ship_operational(t))
		return refuse(why, REFUSAL_TARGET_DESTROYED,
		    "%s is already destroyed; pick another target", t->name);
	*out = t;
	return 0;
}

static int
check_fire(const struct battle *b, const struct ship *s,
    const struct order *o, bool by_crew, struct refusal *why)
{
	const struct fire *f;
	struct ship *t;
	unsigned used = 0;
	int i, d, rc;

	for (i = 0; i < o->nfire; i++) {
		f = &o->fire[i];
		if (f->weapon >= s->nweapons)
			return refuse(why, REFUSAL_NO_SUCH_WEAPON,
			    "%s has no weapon %d; its weapons are 0 to %d",
			    s->name, f->weapon, s->nweapons - 1);
		if (used & (1u << f->weapon))
			return refuse(why, REFUSAL_WEAPON_TWICE,
			    "weapon %d is named twice; each weapon fires "
			    "once a round", f->weapon);
		used |= 1u << f->weapon;
		if (s->weapons[f->weapon].ammo == 0)
			return refuse(why, REFUSAL_OUT_OF_AMMO,
			    "weapon %d (%s) has no salvos left", f->weapon,
			    ship_weapon_template(s->weapons[f->weapon].type)->
			    name);
		if ((rc = check_target(b, s, f->target, by_crew, &t,
		    why)) < 0)
			return rc;
		d = ship_distance(s->x, s->y, t->x, t->y);
		if (d > WEAPON_MAX_RANGE)
			return refuse(why, REFUSAL_OUT_OF_RANGE,
			    "%s is %d units away; no weapon reaches beyond "
			    "%d", t->name, d, WEAPON_MAX_RANGE);
	}
	return 0;
}

static int
check_move(const struct ship *s, const struct order *o, bool overcharged,
    struct refusal *why)
{
	int reach = 25 * ship_effective_thrust(s->thrust,
	    s->damaged[SYSTEM_DRIVE], overcharged);
	int d = ship_distance(s->x, s->y, o->x, o->y);

	if (d > reach)
		return refuse(why, REFUSAL_BEYOND_THRUST,
		    "(%d, %d) is %d units away; %s moves at most %d this "
		    "round", o->x, o->y, d, s->name, reach);
	return 0;
}

static int
check_round(const struct battle *b, const json_t *j, struct refusal *why)
{
	int round, rc;

	if (b->phase != PHASE_PLANNING)
		return refuse(why, b->phase == PHASE_ENDED ?
		    REFUSAL_BATTLE_ENDED : REFUSAL_NOT_PLANNING,
		    "the battle is %s; orders are taken only while a round "
		    "is being planned", b->phase == PHASE_LOBBY ?
		    "still in the lobby" : b->phase == PHASE_ENDED ? "over" :
		    "resolving its round");
	if ((rc = field_need_int(j, "round", INT_MIN, INT_MAX, &round,
	    why)) < 0)
		return rc;
	if (round != b->round)
		return refuse(why, REFUSAL_WRONG_ROUND,
		    "this order is for round %d but the battle is in round "
		    "%d; resend it with \"round\":%d", round, b->round,
		    b->round);
	return 0;
}

static int
check_station_order(const struct battle *b, const struct ship *s,
    const struct order *o, struct refusal *why)
{
	const struct order *eng = &b->station_order[STATION_ENGINEER];
	struct ship *t;

	switch (o->type) {
	case ORDER_MOVE:
		return check_move(s, o, eng->given &&
		    eng->type == ORDER_OVERCHARGE &&
		    eng->system == SYSTEM_DRIVE, why);
	case ORDER_FIRE:
		return check_fire(b, s, o, true, why);
	case ORDER_LOCK:
	case ORDER_JAM:
		return check_target(b, s, o->target, true, &t, why);
	case ORDER_REPAIR:
		if (o->system != SYSTEM_HULL && !s->damaged[o->system])
			return refuse(why, REFUSAL_SYSTEM_NOT_DAMAGED,
			    "the %s is not damaged; repair something that "
			    "is", ship_system_name(o->system));
		return 0;
	default:
		return 0;
	}
}

static int
submit_station(struct battle *b, const struct actor *who, const json_t *j,
    struct refusal *why)
{
	enum station station;
	struct order o;
	struct ship *s;
	const char *name;
	int rc;

	if ((rc = field_need_string(j, "station", 32, &name, why)) < 0)
		return rc;
	if (station_from_name(name, &station) < 0)
		return refuse(why, REFUSAL_UNKNOWN_STATION,
		    "\"%.32s\" is not a station; use captain, pilot, gunner, "
		    "engineer or sensors", name);
	if (who->role == ACTOR_PLAYER && b->holder[station] != who->player)
		return refuse(why, REFUSAL_STATION_NOT_YOURS,
		    "you do not hold the %s station; take it first or "
		    "order from your own", name);
	if ((s = battle_crewed_ship(b)) == NULL)
		return refuse(why, REFUSAL_NO_CREWED_SHIP,
		    "the battle has no crewed ship to give orders to");
	if (!battle_ship_operational(s))
		return refuse(why, REFUSAL_SHIP_DESTROYED,
		    "%s is destroyed; its stations give no orders", s->name);
	if ((rc = order_parse_station(j, station, &o, why)) < 0 ||
	    (rc = check_station_order(b, s, &o, why)) < 0)
		return rc;
	b->station_order[station] = o;
	return 0;
}

static int
submit_ship(struct battle *b, const struct actor *who, const json_t *j,
    struct refusal *why)
{
	struct order o;
	struct ship *s;
	int id, rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = field_need_int(j, "ship", INT_MIN, INT_MAX, &id, why)) < 0)
		return rc;
	if ((s = battle_ship(b, id)) == NULL)
		return refuse(why, REFUSAL_NO_SUCH_SHIP,
		    "there is no ship %d in this battle", id);
	if (s->crewed)
		return refuse(why, REFUSAL_SHIP_IS_CREWED,
		    "%s is crewed by the players; its stations give its "
		    "orders", s->name);
	if (!battle_ship_operational(s))
		return refuse(why, REFUSAL_SHIP_DESTROYED,
		    "%s is destroyed; it takes no orders", s->name);
	if ((rc = order_parse_ship(j, &o, why)) < 0)
		return rc;
	if (o.move && (rc = check_move(s, &o, false, why)) < 0)
		return rc;
	if ((rc = check_fire(b, s, &o, false, why)) < 0)
		return rc;
	s->order = o;
	return 0;
}

int
order_submit(struct battle *b, const struct actor *who, const json_t *order,
    struct refusal *why)
{
	bool has_station, has_ship;
	int rc;

	if (who->role == ACTOR_SPECTATOR)
		return battle_check_gm(who, why);
	if (!json_is_object(order))
		return refuse(why, REFUSAL_MALFORMED,
		    "an order must be a JSON object");
	if ((rc = check_round(b, order, why)) < 0)
		return rc;
	has_station = json_object_get(order, "station") != NULL;
	has_ship = json_object_get(order, "ship") != NULL;
	if (has_station == has_ship)
		return refuse(why, REFUSAL_MALFORMED,
		    "an order names either a \"station\" (crew) or a "
		    "\"ship\" (GM)");
	if (has_station)
		return submit_station(b, who, order, why);
	return submit_ship(b, who, order, why);
}

json_t *
order_receipt(const struct battle *b, const json_t *order)
{
	const struct ship *s;
	enum station station;
	const char *name;
	struct refusal why;
	json_t *r;
	int id;

	r = json_pack("{s:i}", "round", b->round);
	if (field_need_string(order, "station", 32, &name, &why) == 0 &&
	    station_from_name(name, &station) == 0) {
		json_object_set_new(r, "station", json_string(name));
		json_object_set_new(r, "order",
		    order_to_json(&b->station_order[station]));
	} else if (field_need_int(order, "ship", INT_MIN, INT_MAX, &id,
	    &why) == 0 && (s = battle_ship(b, id)) != NULL) {
		json_object_set_new(r, "ship", json_integer(id));
		json_object_set_new(r, "order", order_to_json(&s->order));
	}
	return r;
}

bool
order_station_waiting(const struct battle *b, enum station station)
{
	const struct ship *s = battle_crewed_ship(b);

	return s != NULL && battle_ship_operational(s) &&
	    b->holder[station] != 0 && !b->station_order[station].given;
}

bool
order_ship_waiting(const struct ship *s)
{
	return !s->crewed && battle_ship_operational(s) && !s->order.given;
}

bool
order_all_in(const struct battle *b)
{
	int i;

	if (b->phase != PHASE_PLANNING)
		return false;
	for (i = 0; i < STATION_COUNT; i++)
		if (order_station_waiting(b, (enum station)i))
			return false;
	for (i = 0; i < b->nships; i++)
		if (order_ship_waiting(&b->ships[i]))
			return false;
	return true;
}
