/*
 * Resolving a round, broadside-rules(7)'s steps in order: initiative,
 * movement, sensors, fire (fire.c), engineering, detection, the end check.  Every
 * die goes into the combat log with its modifiers.
 *
 * Rules chosen where broadside-rules(7) is silent:
 *  - Initiative counts the thrust the ship has this round (a damaged
 *    drive halves it, an overcharged drive adds 1).  Captain's tactics
 *    adds +1 to initiative once, and +1 to every attack, repair and scan
 *    roll of the crewed ship.
 *  - A station nobody holds holds, and rolls with skill 0.
 *  - Only operational ships act; a ship destroyed during fire does no
 *    engineering.
 *  - Movement goes in a straight line towards the destination and stops
 *    where thrust runs out; destinations are clamped to the map.
 *  - A lock or jam on a ship the crew no longer detects fails.  A scan
 *    clears the hidden flag of every hostile ship within twice the
 *    scanner's sensor range; the crew sees them once they are within
 *    sensor range.
 *  - The overcharge risk (1 on 1d6) is rolled in the engineering step,
 *    after the bonus was used.  A repair roll on a system that is no
 *    longer damaged changes nothing.  "repair hull" restores 1d6, never
 *    above the maximum.
 *  - If both sides lose their last ship in the same round, nobody wins.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>

#include "alloc.h"
#include "error.h"
#include "game/resolve.h"

int
resolve_roll(struct battle *b, int dice, json_t **list)
{
	int i, d, sum = 0;

	*list = json_array();
	for (i = 0; i < dice; i++) {
		d = rng_die(&b->rng, 6);
		json_array_append_new(*list, json_integer(d));
		sum += d;
	}
	return sum;
}

void
resolve_modifier(json_t *modifiers, const char *name, int value, int *total)
{
	if (value == 0)
		return;
	json_array_append_new(modifiers, json_pack("{s:s, s:i}", "name", name,
	    "value", value));
	*total += value;
}

static const struct order *
station_order(const struct battle *b, enum station station,
    enum order_type type)
{
	const struct order *o = &b->station_order[station];

	return o->given && o->type == type ? o : NULL;
}

/* What the crewed ship's five stations ordered. */
static void
plan_crewed(struct battle *b, struct combatant *c)
{
	const struct order *eng;

	c->crewed = true;
	c->pilot_skill = battle_station_skill(b, STATION_PILOT);
	c->gunner_skill = battle_station_skill(b, STATION_GUNNER);
	c->crew_bonus = station_order(b, STATION_CAPTAIN, ORDER_TACTICS) ?
	    1 : 0;
	c->move = station_order(b, STATION_PILOT, ORDER_MOVE);
	c->evade = station_order(b, STATION_PILOT, ORDER_EVADE) != NULL;
	c->fire = station_order(b, STATION_GUNNER, ORDER_FIRE);
	if ((eng = station_order(b, STATION_ENGINEER, ORDER_OVERCHARGE))) {
		c->overcharge_drive = eng->system == SYSTEM_DRIVE;
		c->overcharge_weapons = eng->system == SYSTEM_WEAPONS;
	}
}

/*
 * Who takes the default this round: every held station of the operational
 * crewed ship and every operational GM ship without an order holds, and
 * the log says so (one "defaults" entry, only when there is someone).
 */
static void
log_defaults(struct battle *b, json_t *log)
{
	json_t *stations = json_array(), *ships = json_array(), *e;
	const struct ship *s;
	int i;

	for (i = 0; i < STATION_COUNT; i++)
		if (order_station_waiting(b, (enum station)i))
			json_array_append_new(stations, json_string(
			    station_name((enum station)i)));
	for (i = 0; i < b->nships; i++) {
		s = &b->ships[i];
		if (order_ship_waiting(s))
			json_array_append_new(ships, json_pack("{s:i, s:s, "
			    "s:s}", "ship", s->id, "side", side_name(s->side),
			    "name", s->name));
	}
	if (json_array_size(stations) == 0 && json_array_size(ships) == 0) {
		json_decref(stations);
		json_decref(ships);
		return;
	}
	e = combatlog_new(b, "defaults");
	json_object_set_new(e, "stations", stations);
	json_object_set_new(e, "ships", ships);
	combatlog_finish(log, e);
}

static void
plan(struct round *r)
{
	struct battle *b = r->battle;
	struct combatant *c;
	int i;

	r->n = b->nships;
	r->ships = xcalloc((size_t)b->nships, sizeof *r->ships);
	r->turn = xcalloc((size_t)b->nships, sizeof *r->turn);
	for (i = 0; i < b->nships; i++) {
		c = &r->ships[i];
		c->ship = &b->ships[i];
		c->acts = battle_ship_operational(c->ship);
		if (!c->acts)
			continue;
		if (c->ship->crewed) {
			plan_crewed(b, c);
			continue;
		}
		c->pilot_skill = c->gunner_skill = c->ship->skill;
		if (c->ship->order.given) {
			c->move = c->ship->order.move ? &c->ship->order : NULL;
			c->evade = c->ship->order.evade;
			c->fire = &c->ship->order;
		}
	}
}

static int
effective_thrust(const struct combatant *c)
{
	return ship_effective_thrust(c->ship->thrust,
	    c->ship->damaged[SYSTEM_DRIVE], c->overcharge_drive);
}

/* Whether a goes before b: higher initiative, ties to the lower id. */
static bool
goes_first(const struct combatant *a, const struct combatant *b)
{
	if (a->initiative != b->initiative)
		return a->initiative > b->initiative;
	return a->ship->id < b->ship->id;
}

/* Step 1: 2d6 + pilot (or crew) skill + thrust (+1 tactics). */
static void
roll_initiative(struct round *r)
{
	json_t *entry = combatlog_new(r->battle, "initiative");
	json_t *ships = json_array(), **items, *dice, *mods;
	struct combatant *c;
	int i, k, total;

	items = xcalloc((size_t)r->n + 1, sizeof *items);
	for (i = 0; i < r->n; i++) {
		c = &r->ships[i];
		if (!c->acts)
			continue;
		total = resolve_roll(r->battle, 2, &dice);
		mods = json_array();
		resolve_modifier(mods, "skill", c->pilot_skill, &total);
		resolve_modifier(mods, "thrust", effective_thrust(c), &total);
		resolve_modifier(mods, "tactics", c->crew_bonus, &total);
		c->initiative = total;
		items[i] = json_pack("{s:i, s:s, s:s, s:o, s:o, s:i}",
		    "ship", c->ship->id, "side", side_name(c->ship->side),
		    "name", c->ship->name, "dice", dice, "modifiers", mods,
		    "total", total);
		/* Insertion sort: a few dozen ships at most. */
		for (k = r->nturns; k > 0 &&
		    goes_first(c, &r->ships[r->turn[k - 1]]); k--)
			r->turn[k] = r->turn[k - 1];
		r->turn[k] = i;
		r->nturns++;
	}
	for (i = 0; i < r->nturns; i++)
		json_array_append_new(ships, items[r->turn[i]]);
	free(items);
	json_object_set_new(entry, "ships", ships);
	combatlog_finish(r->log, entry);
}

/* Step 2: movement in initiative order, clamped to map and thrust. */
static void
move_ships(struct round *r)
{
	json_t *entry = combatlog_new(r->battle, "movement");
	json_t *moves = json_array(), *item;
	struct combatant *c;
	struct ship *s;
	int i, x, y, reach;

	for (i = 0; i < r->nturns; i++) {
		c = &r->ships[r->turn[i]];
		s = c->ship;
		if (c->evade) {
			json_array_append_new(moves, json_pack(
			    "{s:i, s:s, s:s, s:b, s:i, s:i}", "ship", s->id,
			    "side", side_name(s->side), "name", s->name,
			    "evade", 1, "x", s->x, "y", s->y));
			continue;
		}
		if (c->move == NULL)
			continue;
		reach = 25 * effective_thrust(c);
		ship_clamp_move(s->x, s->y, c->move->x, c->move->y, reach,
		    &x, &y);
		item = json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:b}",
		    "ship", s->id, "side", side_name(s->side), "name", s->name,
		    "from_x", s->x, "from_y", s->y, "x", x, "y", y, "clamped",
		    x != c->move->x || y != c->move->y);
		json_array_append_new(moves, item);
		s->x = x;
		s->y = y;
	}
	json_object_set_new(entry, "moves", moves);
	combatlog_finish(r->log, entry);
}

/* The target of a lock or jam, if the crew still detects it. */
static struct ship *
sensor_target(struct round *r, const struct combatant *c, int id)
{
	struct ship *t = battle_ship(r->battle, id);

	if (t == NULL || t->side == c->ship->side ||
	    !battle_ship_operational(t) || !battle_detected(r->battle, t))
		return NULL;
	return t;
}

static void
scan(struct round *r, struct combatant *c, json_t *e)
{
	struct battle *b = r->battle;
	json_t *dice, *mods = json_array(), *revealed = json_array();
	struct ship *s = c->ship, *t;
	int total, range, i;

	total = resolve_roll(b, 2, &dice);
	resolve_modifier(mods, "skill",
	    battle_station_skill(b, STATION_SENSORS), &total);
	resolve_modifier(mods, "tactics", c->crew_bonus, &total);
	range = 2 * ship_effective_sensors(s->sensors,
	    s->damaged[SYSTEM_SENSORS]);
	for (i = 0; total >= 8 && i < b->nships; i++) {
		t = &b->ships[i];
		if (t->side == s->side || !t->hidden ||
		    ship_distance(s->x, s->y, t->x, t->y) > range)
			continue;
		t->hidden = false;
		json_array_append_new(revealed, json_pack("{s:i, s:s, s:s}",
		    "ship", t->id, "side", side_name(t->side), "name",
		    t->name));
	}
	json_object_set_new(e, "dice", dice);
	json_object_set_new(e, "modifiers", mods);
	json_object_set_new(e, "total", json_integer(total));
	json_object_set_new(e, "need", json_integer(8));
	json_object_set_new(e, "success", json_boolean(total >= 8));
	json_object_set_new(e, "range", json_integer(range));
	json_object_set_new(e, "revealed", revealed);
}

/* Step 3: the crewed ship's sensors station locks, jams or scans. */
static void
use_sensors(struct round *r)
{
	struct battle *b = r->battle;
	const struct order *o = &b->station_order[STATION_SENSORS];
	struct combatant *c = NULL;
	struct ship *t;
	json_t *e;
	int i;

	for (i = 0; i < r->n; i++)
		if (r->ships[i].crewed)
			c = &r->ships[i];
	if (c == NULL || !o->given || o->type == ORDER_HOLD)
		return;
	e = combatlog_new(b, o->type == ORDER_LOCK ? "lock" :
	    o->type == ORDER_JAM ? "jam" : "scan");
	combatlog_ship(e, "actor", c->ship);
	if (o->type == ORDER_SCAN)
		scan(r, c, e);
	else if ((t = sensor_target(r, c, o->target)) != NULL) {
		combatlog_ship(e, "target", t);
		json_object_set_new(e, "success", json_true());
		if (o->type == ORDER_LOCK)
			c->lock = t->id;
		else
			r->ships[t - b->ships].jammed = true;
	} else
		json_object_set_new(e, "success", json_false());
	combatlog_finish(r->log, e);
}

static void
repair(struct round *r, struct combatant *c, const struct order *o,
    json_t *e)
{
	struct ship *s = c->ship;
	json_t *dice, *mods;
	int total, before;

	if (o->system == SYSTEM_HULL) {
		total = rng_die(&r->battle->rng, 6);
		before = s->hull;
		s->hull = s->hull + total > s->hull_max ? s->hull_max :
		    s->hull + total;
		json_object_set_new(e, "die", json_integer(total));
		json_object_set_new(e, "restored",
		    json_integer(s->hull - before));
		json_object_set_new(e, "hull", json_integer(s->hull));
		return;
	}
	total = resolve_roll(r->battle, 2, &dice);
	mods = json_array();
	resolve_modifier(mods, "skill",
	    battle_station_skill(r->battle, STATION_ENGINEER), &total);
	resolve_modifier(mods, "tactics", c->crew_bonus, &total);
	if (total >= 8)
		s->damaged[o->system] = false;
	json_object_set_new(e, "dice", dice);
	json_object_set_new(e, "modifiers", mods);
	json_object_set_new(e, "total", json_integer(total));
	json_object_set_new(e, "need", json_integer(8));
	json_object_set_new(e, "success", json_boolean(total >= 8));
}

/* Step 5: the crewed ship's engineer repairs, or pays for overcharge. */
static void
engineer(struct round *r)
{
	struct battle *b = r->battle;
	const struct order *o = &b->station_order[STATION_ENGINEER];
	struct combatant *c = NULL;
	json_t *e;
	int i, die;

	for (i = 0; i < r->n; i++)
		if (r->ships[i].crewed)
			c = &r->ships[i];
	if (c == NULL || !battle_ship_operational(c->ship) || !o->given ||
	    (o->type != ORDER_REPAIR && o->type != ORDER_OVERCHARGE))
		return;
	e = combatlog_new(b, o->type == ORDER_REPAIR ? "repair" :
	    "overcharge");
	combatlog_ship(e, "actor", c->ship);
	json_object_set_new(e, "system",
	    json_string(ship_system_name(o->system)));
	if (o->type == ORDER_REPAIR)
		repair(r, c, o, e);
	else {
		die = rng_die(&b->rng, 6);
		if (die == 1)
			c->ship->damaged[o->system] = true;
		json_object_set_new(e, "die", json_integer(die));
		json_object_set_new(e, "damaged", json_boolean(die == 1));
	}
	combatlog_finish(r->log, e);
}

/* Step 6: a hidden ship that fired this round is revealed. */
static void
detect(struct round *r)
{
	struct combatant *c;
	json_t *e;
	int i;

	for (i = 0; i < r->nturns; i++) {
		c = &r->ships[r->turn[i]];
		if (!c->fired || !c->ship->hidden)
			continue;
		c->ship->hidden = false;
		e = combatlog_new(r->battle, "revealed");
		combatlog_ship(e, "actor", c->ship);
		combatlog_finish(r->log, e);
	}
}

/* Step 7: a side with no operational ship loses. */
static void
end_check(struct round *r)
{
	struct battle *b = r->battle;
	bool alive[2] = { false, false };
	json_t *e;
	int i;

	for (i = 0; i < b->nships; i++)
		if (battle_ship_operational(&b->ships[i]))
			alive[b->ships[i].side] = true;
	order_clear_all(b);
	b->deadline = 0;
	b->paused_left = 0;
	if (alive[SIDE_CREW] && alive[SIDE_HOSTILE]) {
		b->round++;
		b->phase = PHASE_PLANNING;
		return;
	}
	b->phase = PHASE_ENDED;
	b->winner = alive[SIDE_CREW] ? SIDE_CREW :
	    alive[SIDE_HOSTILE] ? SIDE_HOSTILE : SIDE_NONE;
	e = combatlog_new(b, "battle_end");
	json_object_set_new(e, "winner", json_string(side_name(b->winner)));
	json_object_set_new(e, "reason", json_string("side_destroyed"));
	combatlog_finish(r->log, e);
}

int
resolve_begin(struct battle *b)
{
	if (b->phase != PHASE_PLANNING)
		return BS_ERR_STATE;
	b->phase = PHASE_RESOLVING;
	return 0;
}

int
resolve_round(struct battle *b, json_t *log)
{
	struct round r = { .battle = b, .log = log };

	if (b->phase != PHASE_PLANNING && b->phase != PHASE_RESOLVING)
		return BS_ERR_STATE;
	b->phase = PHASE_RESOLVING;
	log_defaults(b, log);
	plan(&r);
	roll_initiative(&r);
	move_ships(&r);
	use_sensors(&r);
	fire_step(&r);
	engineer(&r);
	detect(&r);
	end_check(&r);
	free(r.turn);
	free(r.ships);
	return 0;
}
