/*
 * Projections: what each viewer may see of a battle and of its log
 * (broadside-rules(7), "WHAT EACH VIEWER SEES").  What the API returns
 * and the event stream sends is built here and only here, from whitelists: a
 * field reaches the crew or a spectator only if it is named below for
 * what that viewer may know.
 *
 * Rules chosen where broadside-rules(7) is silent:
 *  - GM notes are the GM's alone, on every ship.
 *  - The crew reads a log entry against what it detected when the entry
 *    was written (the caller keeps that copy: battles.c), so an attack
 *    by a ship it could not see reads "an unknown ship fires", then and
 *    later, even once the ship is detected.
 *  - Of the "defaults" entry (who held for want of an order) the crew
 *    sees its own side only: whether the GM ordered a hostile ship is
 *    the GM's secret.
 *  - Of a hostile ship's attack the crew sees who fired what at whom,
 *    hit or miss, and what it did to the crew's own ship, but no hostile
 *    dice or modifiers (they would give away its skill); of its own
 *    attacks on a hostile ship it sees the roll and the damage before
 *    armor, but not the armor, the damage done or the hull left.
 *  - An order of the crew's side that names a ship the crew no longer
 *    detects is shown without that target.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "game/state.h"
#include "patch.h"

enum visibility {
	SEEN_NOT,		/* undetected: "an unknown ship" */
	SEEN_OUTSIDE,		/* a detected hostile ship */
	SEEN_FULL,		/* the viewer's own side, or the GM */
};

/*
 * Members set one by one: every publish projects the changed ships and
 * the rest of each view, and json_pack() would parse its format string
 * each time (a third of the projection's cost).  The keys are literals.
 */
static void
set_int(json_t *obj, const char *key, json_int_t v)
{
	json_object_set_new_nocheck(obj, key, json_integer(v));
}

static void
set_str(json_t *obj, const char *key, const char *v)
{
	json_object_set_new_nocheck(obj, key, json_string(v));
}

static void
set_bool(json_t *obj, const char *key, bool v)
{
	json_object_set_new_nocheck(obj, key, json_boolean(v));
}

static void
set_id_key(json_t *obj, int id, json_t *value)
{
	char key[16];

	snprintf(key, sizeof key, "%d", id);
	json_object_set_new(obj, key, value);
}

static json_t *
ship_systems(const struct ship *s)
{
	json_t *systems = json_object();
	int i;

	for (i = 0; i < SYSTEM_DAMAGEABLE; i++)
		set_str(systems, ship_system_name((enum system)i),
		    s->damaged[i] ? "damaged" : "ok");
	return systems;
}

static json_t *
ship_full(const struct ship *s, bool gm)
{
	json_t *j, *weapons = battle_ship_weapons(s);

	j = json_object();
	set_int(j, "id", s->id);
	set_str(j, "name", s->name);
	set_str(j, "class", ship_class_template(s->class)->name);
	set_str(j, "side", side_name(s->side));
	set_bool(j, "crewed", s->crewed);
	set_int(j, "x", s->x);
	set_int(j, "y", s->y);
	set_int(j, "hull", s->hull);
	set_int(j, "hull_max", s->hull_max);
	set_int(j, "armor", s->armor);
	set_int(j, "thrust", s->thrust);
	set_int(j, "sensors", s->sensors);
	set_int(j, "evasion", s->evasion);
	json_object_set_new_nocheck(j, "weapons", weapons);
	json_object_set_new_nocheck(j, "systems", ship_systems(s));
	set_bool(j, "hidden", s->hidden);
	set_str(j, "damage", ship_damage_band(s->hull, s->hull_max));
	if (!s->crewed)
		json_object_set_new(j, "skill", json_integer(s->skill));
	if (gm)
		json_object_set_new(j, "notes", json_string(s->notes));
	return j;
}

/* Of a detected hostile ship: id, name, class, position, damage. */
static json_t *
ship_outside(const struct ship *s)
{
	json_t *j = json_object();

	set_int(j, "id", s->id);
	set_str(j, "name", s->name);
	set_str(j, "class", ship_class_template(s->class)->name);
	set_str(j, "side", side_name(s->side));
	set_int(j, "x", s->x);
	set_int(j, "y", s->y);
	set_str(j, "damage", ship_damage_band(s->hull, s->hull_max));
	json_object_set_new_nocheck(j, "systems", ship_systems(s));
	return j;
}

static enum visibility
ship_visibility(const struct battle *b, enum viewer viewer,
    const struct ship *s)
{
	if (s == NULL)
		return SEEN_NOT;
	if (viewer == VIEWER_GM || s->side == SIDE_CREW)
		return SEEN_FULL;
	return battle_detected(b, s) ? SEEN_OUTSIDE : SEEN_NOT;
}

/* {k1: v1, k2: v2}, taking the references. */
static json_t *
pair(const char *k1, json_t *v1, const char *k2, json_t *v2)
{
	json_t *j = json_object();

	json_object_set_new_nocheck(j, k1, v1);
	json_object_set_new_nocheck(j, k2, v2);
	return j;
}

/* An order as the viewer may read it: unseen targets left out. */
static json_t *
order_view(const struct battle *b, enum viewer viewer, const struct order *o)
{
	json_t *j = order_to_json(o), *fire, *f;
	size_t i;

	if (viewer == VIEWER_GM)
		return j;
	if (json_object_get(j, "target") != NULL && ship_visibility(b, viewer,
	    battle_ship(b, o->target)) == SEEN_NOT)
		json_object_del(j, "target");
	fire = json_object_get(j, "fire");
	json_array_foreach(fire, i, f) {
		if (ship_visibility(b, viewer, battle_ship(b,
		    o->fire[i].target)) == SEEN_NOT)
			json_object_del(f, "target");
	}
	return j;
}

static json_t *
orders_view(const struct battle *b, enum viewer viewer)
{
	json_t *stations = json_object(), *ships = json_object();
	const struct ship *s;
	int i;

	for (i = 0; i < STATION_COUNT; i++)
		if (b->station_order[i].given)
			json_object_set_new(stations, station_name(
			    (enum station)i), order_view(b, viewer,
			    &b->station_order[i]));
	for (i = 0; i < b->nships; i++) {
		s = &b->ships[i];
		if (s->order.given && !s->crewed &&
		    (viewer == VIEWER_GM || s->side == SIDE_CREW))
			set_id_key(ships, s->id, order_view(b, viewer,
			    &s->order));
	}
	return pair("stations", stations, "ships", ships);
}

/*
 * Who has not ordered yet this round (order_station_waiting(),
 * order_ship_waiting()); GM ships for the GM only.  Empty lists outside
 * planning.
 */
static json_t *
waiting_view(const struct battle *b, enum viewer viewer)
{
	json_t *stations = json_array(), *ships = json_array();
	int i;

	if (b->phase != PHASE_PLANNING)
		goto out;
	for (i = 0; i < STATION_COUNT; i++)
		if (order_station_waiting(b, (enum station)i))
			json_array_append_new(stations, json_string(
			    station_name((enum station)i)));
	if (viewer != VIEWER_GM)
		goto out;
	for (i = 0; i < b->nships; i++)
		if (order_ship_waiting(&b->ships[i]))
			json_array_append_new(ships,
			    json_integer(b->ships[i].id));
out:
	return pair("stations", stations, "ships", ships);
}

static json_t *
players_view(const struct battle *b, json_t **stations_out)
{
	json_t *players = json_object(), *stations = json_object(), *held, *j;
	const struct player *p;
	int i, k;

	for (i = 0; i < b->nplayers; i++) {
		p = &b->players[i];
		held = json_array();
		for (k = 0; k < STATION_COUNT; k++)
			if (b->holder[k] == p->id)
				json_array_append_new(held, json_string(
				    station_name((enum station)k)));
		j = json_object();
		set_str(j, "name", p->name);
		set_int(j, "skill", p->skill);
		json_object_set_new_nocheck(j, "stations", held);
		set_id_key(players, p->id, j);
	}
	for (k = 0; k < STATION_COUNT; k++)
		if (b->holder[k] != 0)
			json_object_set_new(stations, station_name(
			    (enum station)k), json_integer(b->holder[k]));
	*stations_out = stations;
	return players;
}

/* One ship as the viewer sees it (new), or NULL when it is not seen. */
static json_t *
view_ship(const struct battle *b, enum viewer viewer, const struct ship *s)
{
	switch (ship_visibility(b, viewer, s)) {
	case SEEN_FULL:
		return ship_full(s, viewer == VIEWER_GM);
	case SEEN_OUTSIDE:
		return ship_outside(s);
	case SEEN_NOT:
		break;
	}
	return NULL;
}

/* Everything of the view but "ships". */
static json_t *
view_rest(const struct battle *b, enum viewer viewer)
{
	json_t *view, *players, *stations;

	players = players_view(b, &stations);
	view = json_object();
	set_str(view, "phase", phase_name(b->phase));
	set_int(view, "round", b->round);
	set_int(view, "deadline", (json_int_t)b->deadline);
	set_int(view, "round_seconds", b->round_seconds);
	set_bool(view, "spectators", b->spectators);
	json_object_set_new_nocheck(view, "players", players);
	json_object_set_new_nocheck(view, "stations", stations);
	if (b->phase == PHASE_ENDED)
		json_object_set_new(view, "winner",
		    json_string(side_name(b->winner)));
	if (b->paused_left > 0)
		json_object_set_new(view, "paused_ms",
		    json_integer(b->paused_left));
	if (viewer != VIEWER_SPECTATOR) {
		json_object_set_new(view, "orders", orders_view(b, viewer));
		json_object_set_new(view, "waiting_for",
		    waiting_view(b, viewer));
	}
	if (viewer == VIEWER_GM)
		json_object_set_new(view, "orders_in",
		    json_boolean(order_all_in(b)));
	return view;
}

json_t *
view_battle(const struct battle *b, enum viewer viewer)
{
	json_t *view = view_rest(b, viewer), *ships = json_object(), *j;
	int i;

	for (i = 0; i < b->nships; i++)
		if ((j = view_ship(b, viewer, &b->ships[i])) != NULL)
			set_id_key(ships, b->ships[i].id, j);
	json_object_set_new(view, "ships", ships);
	return view;
}

/*
 * Whether two states of one ship project alike for every viewer: every
 * field ship_full() and ship_outside() read (the order is not among
 * them: orders_view() shows it).
 */
static bool
ship_same(const struct ship *a, const struct ship *b)
{
	if (a->id != b->id || a->class != b->class || a->side != b->side ||
	    a->crewed != b->crewed || a->x != b->x || a->y != b->y ||
	    a->hull != b->hull || a->hull_max != b->hull_max ||
	    a->armor != b->armor || a->thrust != b->thrust ||
	    a->sensors != b->sensors || a->evasion != b->evasion ||
	    a->skill != b->skill || a->hidden != b->hidden ||
	    a->nweapons != b->nweapons ||
	    memcmp(a->damaged, b->damaged, sizeof(a->damaged)) != 0 ||
	    strcmp(a->name, b->name) != 0 ||
	    strcmp(a->notes ? a->notes : "", b->notes ? b->notes : "") != 0)
		return false;
	for (int i = 0; i < a->nweapons; i++)
		if (a->weapons[i].type != b->weapons[i].type ||
		    a->weapons[i].ammo != b->weapons[i].ammo)
			return false;
	return true;
}

/*
 * The "ships" part of the patch: ships are sorted by id in both states,
 * so one walk pairs them.  A ship that is unchanged and seen the same way
 * costs a comparison of structs; only the others are projected.
 */
static json_t *
ships_patch(const struct battle *old, const struct battle *cur,
    enum viewer viewer)
{
	json_t *patch = json_object(), *a, *b, *d;
	int i = 0, k = 0;

	while (i < old->nships || k < cur->nships) {
		const struct ship *so = i < old->nships ? &old->ships[i] : NULL;
		const struct ship *sn = k < cur->nships ? &cur->ships[k] : NULL;
		enum visibility vo, vn;
		int id;

		/* The lower id of the two goes first; equal ids pair. */
		if (so != NULL && (sn == NULL || so->id < sn->id)) {
			id = so->id;
			sn = NULL;
			i++;
		} else if (sn != NULL && (so == NULL || sn->id < so->id)) {
			id = sn->id;
			so = NULL;
			k++;
		} else if (so != NULL && sn != NULL) {
			id = so->id;
			i++;
			k++;
		} else
			break;
		vo = so != NULL ? ship_visibility(old, viewer, so) : SEEN_NOT;
		vn = sn != NULL ? ship_visibility(cur, viewer, sn) : SEEN_NOT;
		if (vo == SEEN_NOT && vn == SEEN_NOT)
			continue;
		if (vn == SEEN_NOT) {
			set_id_key(patch, id, json_null());
			continue;
		}
		if (vo == SEEN_NOT) {
			set_id_key(patch, id, view_ship(cur, viewer, sn));
			continue;
		}
		if (vo == vn && ship_same(so, sn))
			continue;
		a = view_ship(old, viewer, so);
		b = view_ship(cur, viewer, sn);
		if ((d = patch_diff(a, b)) != NULL)
			set_id_key(patch, id, d);
		json_decref(a);
		json_decref(b);
	}
	return patch;
}

/* Whether two orders read alike (order_to_json() of each). */
static bool
order_same(const struct order *a, const struct order *b)
{
	if (a->given != b->given)
		return false;
	if (!a->given)
		return true;
	if (a->type != b->type || a->move != b->move || a->x != b->x ||
	    a->y != b->y || a->evade != b->evade || a->target != b->target ||
	    a->system != b->system || a->nfire != b->nfire)
		return false;
	for (int i = 0; i < a->nfire; i++)
		if (a->fire[i].weapon != b->fire[i].weapon ||
		    a->fire[i].target != b->fire[i].target)
			return false;
	return true;
}

/*
 * Whether every ship is the same in both states (ship_same(): ids,
 * sides, places, sensors, hidden...), so that every ship is seen the
 * same way by every viewer in both.
 */
static bool
ships_alike(const struct battle *old, const struct battle *cur)
{
	if (old->nships != cur->nships)
		return false;
	for (int i = 0; i < old->nships; i++)
		if (!ship_same(&old->ships[i], &cur->ships[i]))
			return false;
	return true;
}

static bool
players_alike(const struct battle *old, const struct battle *cur)
{
	if (old->nplayers != cur->nplayers ||
	    memcmp(old->holder, cur->holder, sizeof(old->holder)) != 0)
		return false;
	for (int i = 0; i < old->nplayers; i++)
		if (old->players[i].id != cur->players[i].id ||
		    old->players[i].skill != cur->players[i].skill ||
		    strcmp(old->players[i].name, cur->players[i].name) != 0)
			return false;
	return true;
}

/* Sets key of *patch (made on first use) to v, taking the reference. */
static void
patch_put(json_t **patch, const char *key, json_t *v)
{
	if (v == NULL)
		return;
	if (*patch == NULL)
		*patch = json_object();
	json_object_set_new(*patch, key, v);
}

/* The patch from a to b (either NULL: absent), taking both references. */
static json_t *
member_patch(json_t *a, json_t *b)
{
	json_t *d;

	if (b == NULL)
		d = a != NULL ? json_null() : NULL;
	else if (a == NULL)
		return b;
	else
		d = patch_diff(a, b);
	json_decref(a);
	json_decref(b);
	return d;
}

/* An order's view, or NULL when it is not given or not the viewer's. */
static json_t *
order_view_or_null(const struct battle *b, enum viewer viewer,
    const struct order *o)
{
	return o->given ? order_view(b, viewer, o) : NULL;
}

static bool
ship_order_shown(const struct ship *s, enum viewer viewer)
{
	return s->order.given && !s->crewed &&
	    (viewer == VIEWER_GM || s->side == SIDE_CREW);
}

/*
 * The "orders" part of the patch when every ship is alike in both states
 * (ships_alike()): each order is then seen the same way in both unless
 * it changed, so only the changed ones are projected.
 */
static json_t *
orders_patch(const struct battle *old, const struct battle *cur,
    enum viewer viewer)
{
	json_t *stations = NULL, *ships = NULL, *patch = NULL, *d;
	char key[16];

	for (int i = 0; i < STATION_COUNT; i++) {
		if (order_same(&old->station_order[i], &cur->station_order[i]))
			continue;
		d = member_patch(order_view_or_null(old, viewer,
		    &old->station_order[i]), order_view_or_null(cur, viewer,
		    &cur->station_order[i]));
		patch_put(&stations, station_name((enum station)i), d);
	}
	for (int i = 0; i < cur->nships; i++) {
		const struct ship *so = &old->ships[i], *sn = &cur->ships[i];

		if (order_same(&so->order, &sn->order))
			continue;
		d = member_patch(ship_order_shown(so, viewer) ?
		    order_view(old, viewer, &so->order) : NULL,
		    ship_order_shown(sn, viewer) ?
		    order_view(cur, viewer, &sn->order) : NULL);
		snprintf(key, sizeof(key), "%d", sn->id);
		patch_put(&ships, key, d);
	}
	patch_put(&patch, "stations", stations);
	patch_put(&patch, "ships", ships);
	return patch;
}

/*
 * Everything of the patch but "ships", from what differs between the two
 * states: the round's numbers compared, the players, orders and waiting
 * lists projected only when what they read changed.
 */
static json_t *
rest_patch(const struct battle *old, const struct battle *cur,
    enum viewer viewer)
{
	json_t *patch = NULL, *a, *b, *sa, *sb;
	bool alike = ships_alike(old, cur), was, is;

	if (old->phase != cur->phase)
		patch_put(&patch, "phase", json_string(phase_name(cur->phase)));
	if (old->round != cur->round)
		patch_put(&patch, "round", json_integer(cur->round));
	if (old->deadline != cur->deadline)
		patch_put(&patch, "deadline",
		    json_integer((json_int_t)cur->deadline));
	if (old->round_seconds != cur->round_seconds)
		patch_put(&patch, "round_seconds",
		    json_integer(cur->round_seconds));
	if (old->spectators != cur->spectators)
		patch_put(&patch, "spectators",
		    json_boolean(cur->spectators));
	was = old->phase == PHASE_ENDED;
	is = cur->phase == PHASE_ENDED;
	if (is && (!was || old->winner != cur->winner))
		patch_put(&patch, "winner",
		    json_string(side_name(cur->winner)));
	else if (was && !is)
		patch_put(&patch, "winner", json_null());
	if (cur->paused_left > 0 && old->paused_left != cur->paused_left)
		patch_put(&patch, "paused_ms",
		    json_integer(cur->paused_left));
	else if (old->paused_left > 0 && cur->paused_left <= 0)
		patch_put(&patch, "paused_ms", json_null());
	if (!players_alike(old, cur)) {
		a = players_view(old, &sa);
		b = players_view(cur, &sb);
		patch_put(&patch, "players", member_patch(a, b));
		patch_put(&patch, "stations", member_patch(sa, sb));
	}
	if (viewer != VIEWER_SPECTATOR) {
		if (alike)
			patch_put(&patch, "orders",
			    orders_patch(old, cur, viewer));
		else
			patch_put(&patch, "orders", member_patch(
			    orders_view(old, viewer), orders_view(cur, viewer)));
		patch_put(&patch, "waiting_for", member_patch(
		    waiting_view(old, viewer), waiting_view(cur, viewer)));
	}
	if (viewer == VIEWER_GM && order_all_in(old) != order_all_in(cur))
		patch_put(&patch, "orders_in",
		    json_boolean(order_all_in(cur)));
	return patch;
}

json_t *
view_battle_patch(const struct battle *old, const struct battle *cur,
    enum viewer viewer)
{
	json_t *patch = rest_patch(old, cur, viewer);
	json_t *ships = ships_patch(old, cur, viewer);

	if (json_object_size(ships) > 0)
		patch_put(&patch, "ships", ships);
	else
		json_decref(ships);
	return patch;
}

/* ------------------------------------------------------------------ */
/* Log entries                                                         */

static void
copy_keys(json_t *dst, const json_t *src, const char *const *keys)
{
	json_t *v;

	for (; *keys != NULL; keys++)
		if ((v = json_object_get(src, *keys)) != NULL)
			json_object_set(dst, *keys, v);
}

/* How the viewer sees the ship an entry names as role (or in an item). */
static enum visibility
ref_visibility(const struct battle *b, enum viewer viewer, const json_t *e,
    const char *id_key, const char *side_key)
{
	const char *side = json_string_value(json_object_get(e, side_key));
	json_t *id = json_object_get(e, id_key);

	if (side != NULL && strcmp(side, "crew") == 0)
		return SEEN_FULL;
	if (id == NULL)
		return SEEN_NOT;
	return ship_visibility(b, viewer,
	    battle_ship(b, (int)json_integer_value(id)));
}

static const char *const actor_keys[] = { "actor", "actor_name", NULL };
static const char *const target_keys[] = { "target", "target_name", NULL };

static void
redact_attack(json_t *out, const json_t *e, enum visibility a,
    enum visibility t)
{
	static const char *const common[] = { "hit", "actor_side",
	    "target_side", NULL };
	static const char *const rolls[] = { "weapon", "dice", "modifiers",
	    "total", "need", "effect", "damage_dice", "damage_bonus",
	    "damage_roll", NULL };
	static const char *const harm[] = { "armor", "damage", "hull",
	    "system_die", NULL };
	static const char *const outcome[] = { "system", "destroyed", NULL };
	static const char *const where[] = { "distance", "band", NULL };

	copy_keys(out, e, common);
	if (a != SEEN_NOT) {
		copy_keys(out, e, actor_keys);
		copy_keys(out, e, (const char *const[]){ "weapon_type", NULL });
	}
	if (a == SEEN_FULL)
		copy_keys(out, e, rolls);
	if (t != SEEN_NOT) {
		copy_keys(out, e, target_keys);
		copy_keys(out, e, outcome);
	}
	if (t == SEEN_FULL)
		copy_keys(out, e, harm);
	if (a != SEEN_NOT && t != SEEN_NOT)
		copy_keys(out, e, where);
}

static void
redact_no_fire(json_t *out, const json_t *e, enum visibility a,
    enum visibility t)
{
	static const char *const common[] = { "actor_side", "target_side",
	    NULL };
	const char *reason = json_string_value(json_object_get(e, "reason"));

	copy_keys(out, e, common);
	/* An empty hostile rack would tell its ammo: it just holds fire. */
	json_object_set_new(out, "reason", json_string(a != SEEN_FULL &&
	    strcmp(reason, "out_of_ammo") == 0 ? "held" : reason));
	if (a != SEEN_NOT)
		copy_keys(out, e, actor_keys);
	if (a == SEEN_FULL)
		copy_keys(out, e, (const char *const[]){ "weapon", NULL });
	if (t != SEEN_NOT)
		copy_keys(out, e, target_keys);
	if (a != SEEN_NOT && t != SEEN_NOT)
		copy_keys(out, e, (const char *const[]){ "distance", NULL });
}

/* initiative "ships", movement "moves", scan "revealed": per ship. */
static void
redact_list(const struct battle *b, enum viewer viewer, json_t *out,
    const json_t *e, const char *list_key, const char *const *outside)
{
	json_t *list = json_array(), *item, *copy;
	enum visibility v;
	size_t i;

	json_array_foreach(json_object_get(e, list_key), i, item) {
		v = ref_visibility(b, viewer, item, "ship", "side");
		if (v == SEEN_NOT)
			continue;
		if (v == SEEN_FULL)
			copy = json_deep_copy(item);
		else {
			copy = json_object();
			copy_keys(copy, item, outside);
		}
		json_array_append_new(list, copy);
	}
	json_object_set_new(out, list_key, list);
}

static void
redact(const struct battle *b, enum viewer viewer, json_t *out,
    const json_t *e, const char *kind)
{
	static const char *const ident[] = { "ship", "side", "name", NULL };
	static const char *const placed[] = { "ship", "side", "name", "x",
	    "y", NULL };
	static const char *const sensors[] = { "success", "dice",
	    "modifiers", "total", "need", "range", NULL };
	static const char *const engineering[] = { "system", "dice",
	    "modifiers", "total", "need", "success", "die", "restored",
	    "hull", "damaged", NULL };
	static const char *const public_keys[] = { "winner", "reason",
	    "narration", "action", "left_ms", "seconds", NULL };
	static const char *const sides[] = { "actor_side", "target_side",
	    NULL };
	enum visibility a, t;

	a = ref_visibility(b, viewer, e, "actor", "actor_side");
	t = ref_visibility(b, viewer, e, "target", "target_side");
	if (strcmp(kind, "attack") == 0)
		redact_attack(out, e, a, t);
	else if (strcmp(kind, "no_fire") == 0)
		redact_no_fire(out, e, a, t);
	else if (strcmp(kind, "initiative") == 0)
		redact_list(b, viewer, out, e, "ships", ident);
	else if (strcmp(kind, "movement") == 0)
		redact_list(b, viewer, out, e, "moves", placed);
	else if (strcmp(kind, "revealed") == 0) {
		copy_keys(out, e, (const char *const[]){ "actor_side", NULL });
		if (a != SEEN_NOT)
			copy_keys(out, e, actor_keys);
	} else if (a == SEEN_FULL && (strcmp(kind, "lock") == 0 ||
	    strcmp(kind, "jam") == 0 || strcmp(kind, "scan") == 0)) {
		copy_keys(out, e, sides);
		copy_keys(out, e, actor_keys);
		copy_keys(out, e, sensors);
		if (t != SEEN_NOT)
			copy_keys(out, e, target_keys);
		if (strcmp(kind, "scan") == 0)
			redact_list(b, viewer, out, e, "revealed", ident);
	} else if (a == SEEN_FULL && (strcmp(kind, "repair") == 0 ||
	    strcmp(kind, "overcharge") == 0)) {
		copy_keys(out, e, sides);
		copy_keys(out, e, actor_keys);
		copy_keys(out, e, engineering);
	} else if (strcmp(kind, "defaults") == 0) {
		/* Whether a hostile ship had orders is the GM's secret. */
		json_t *ships = json_array(), *item;
		size_t i;

		copy_keys(out, e, (const char *const[]){ "stations", NULL });
		json_array_foreach(json_object_get(e, "ships"), i, item)
			if (ref_visibility(b, viewer, item, "ship", "side") ==
			    SEEN_FULL)
				json_array_append(ships, item);
		json_object_set_new(out, "ships", ships);
	} else if (strcmp(kind, "battle_start") == 0 ||
	    strcmp(kind, "battle_end") == 0 || strcmp(kind, "narration") == 0 ||
	    strcmp(kind, "clock") == 0)
		copy_keys(out, e, public_keys);
}

json_t *
view_log_entry(const struct battle *b, enum viewer viewer,
    const json_t *entry)
{
	static const char *const header[] = { "seq", "round", "kind", NULL };
	const char *kind = json_string_value(json_object_get(entry, "kind"));
	json_t *out;

	if (viewer == VIEWER_GM)
		return json_deep_copy(entry);
	out = json_object();
	copy_keys(out, entry, header);
	if (kind == NULL)
		return out;
	redact(b, viewer, out, entry, kind);
	combatlog_set_text(out);
	return out;
}
