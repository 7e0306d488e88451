/*
 * The GM's hand on the ships: adding them from a class template with any
 * number overridden, changing any number later, moving, hiding and
 * removing them.  Every change is validated in full on a copy first, so a
 * refused change leaves the ship as it was.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "game/field.h"
#include "game/state.h"

/* Strings a change sets; borrowed from the request until committed. */
struct ship_text {
	const char	*name;
	const char	*notes;
};

static const char *const add_fields[] = {
	"class", "side", "x", "y", "name", "crewed", "hidden", "notes",
	"hull_max", "hull", "armor", "thrust", "sensors", "evasion", "skill",
	"weapons", "systems", NULL
};

static const char *const edit_fields[] = {
	"x", "y", "name", "hidden", "notes", "hull_max", "hull", "armor",
	"thrust", "sensors", "evasion", "skill", "weapons", "ammo", "systems",
	NULL
};

static int
parse_mount(const json_t *v, size_t index, struct mount *m,
    struct refusal *why)
{
	static const char *const mount_fields[] = { "type", "ammo", NULL };
	const struct weapon_template *w;
	const char *type = json_string_value(v);
	enum weapon_type t;
	int rc;

	if (json_is_object(v)) {
		if ((rc = field_check(v, "a weapon", mount_fields, why)) < 0 ||
		    (rc = field_need_string(v, "type", 64, &type, why)) < 0)
			return rc;
	}
	if (type == NULL)
		return refuse(why, REFUSAL_MALFORMED,
		    "weapon %zu must be a weapon name or {\"type\":..}", index);
	if (ship_weapon_from_name(type, &t) < 0)
		return refuse(why, REFUSAL_UNKNOWN_WEAPON_TYPE,
		    "\"%.64s\" is not a weapon; use pulse laser, beam laser, "
		    "particle beam or missile rack", type);
	w = ship_weapon_template(t);
	m->type = t;
	m->ammo = w->ammo;
	if (json_is_object(v) && json_object_get(v, "ammo") != NULL) {
		if (w->ammo == NO_AMMO)
			return refuse(why, REFUSAL_OUT_OF_BOUNDS,
			    "a %s needs no ammo; drop \"ammo\"", w->name);
		if ((rc = field_int(v, "ammo", 0, SHIP_MAX_AMMO, &m->ammo,
		    why)) < 0)
			return rc;
	}
	return 0;
}

static int
parse_weapons(const json_t *j, struct ship *s, struct refusal *why)
{
	json_t *list = json_object_get(j, "weapons"), *v;
	size_t i;
	int rc;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"weapons\" must be an array of weapon names");
	if (json_array_size(list) > SHIP_MAX_WEAPONS)
		return refuse(why, REFUSAL_OUT_OF_BOUNDS,
		    "a ship has at most %d weapons", SHIP_MAX_WEAPONS);
	json_array_foreach(list, i, v) {
		if ((rc = parse_mount(v, i, &s->weapons[i], why)) < 0)
			return rc;
	}
	s->nweapons = (int)json_array_size(list);
	return 0;
}

static int
parse_ammo(const json_t *j, struct ship *s, struct refusal *why)
{
	json_t *ammo = json_object_get(j, "ammo"), *v;
	const char *key;
	char *end;
	long index;
	int rc;

	if (ammo == NULL)
		return 0;
	if (!json_is_object(ammo))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"ammo\" must be an object like {\"2\": 6}");
	json_object_foreach(ammo, key, v) {
		index = strtol(key, &end, 10);
		if (*key == '\0' || *end != '\0' || index < 0 ||
		    index >= s->nweapons)
			return refuse(why, REFUSAL_NO_SUCH_WEAPON,
			    "ship %d has no weapon \"%.16s\"; weapons are "
			    "numbered from 0", s->id, key);
		if (ship_weapon_template(s->weapons[index].type)->ammo ==
		    NO_AMMO)
			return refuse(why, REFUSAL_OUT_OF_BOUNDS,
			    "weapon %ld needs no ammo", index);
		if ((rc = field_value_int(v, "ammo", 0, SHIP_MAX_AMMO,
		    &s->weapons[index].ammo, why)) < 0)
			return rc;
	}
	return 0;
}

static int
parse_systems(const json_t *j, struct ship *s, struct refusal *why)
{
	json_t *systems = json_object_get(j, "systems"), *v;
	const char *key, *state;
	enum system sys;

	if (systems == NULL)
		return 0;
	if (!json_is_object(systems))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"systems\" must be an object like {\"drive\":\"ok\"}");
	json_object_foreach(systems, key, v) {
		if (ship_system_from_name(key, &sys) < 0 ||
		    sys == SYSTEM_HULL)
			return refuse(why, REFUSAL_UNKNOWN_SYSTEM,
			    "\"%.32s\" is not a system; use drive, weapons "
			    "or sensors", key);
		state = json_string_value(v);
		if (state == NULL || (strcmp(state, "ok") != 0 &&
		    strcmp(state, "damaged") != 0))
			return refuse(why, REFUSAL_MALFORMED,
			    "a system is \"ok\" or \"damaged\"");
		s->damaged[sys] = strcmp(state, "damaged") == 0;
	}
	return 0;
}

static int
parse_position(const json_t *j, struct ship *s, struct refusal *why)
{
	int rc;

	if ((rc = field_int(j, "x", INT_MIN, INT_MAX, &s->x, why)) < 0 ||
	    (rc = field_int(j, "y", INT_MIN, INT_MAX, &s->y, why)) < 0)
		return rc;
	if (s->x < 0 || s->x > MAP_SIZE || s->y < 0 || s->y > MAP_SIZE)
		return refuse(why, REFUSAL_OFF_MAP,
		    "(%d, %d) is off the map; x and y run from 0 to %d",
		    s->x, s->y, MAP_SIZE);
	return 0;
}

/* Applies the changes both fleet_add() and fleet_edit() take. */
static int
apply_changes(const json_t *j, struct ship *s, struct ship_text *text,
    struct refusal *why)
{
	int rc, had_hull_max;

	if ((rc = parse_position(j, s, why)) < 0 ||
	    (rc = field_string(j, "name", SHIP_NAME_MAX, false, &text->name,
	    why)) < 0 ||
	    (rc = field_string(j, "notes", SHIP_NOTES_MAX, true,
	    &text->notes, why)) < 0 ||
	    (rc = field_bool(j, "hidden", &s->hidden, why)) < 0 ||
	    (rc = field_int(j, "armor", 0, SHIP_MAX_ARMOR, &s->armor,
	    why)) < 0 ||
	    (rc = field_int(j, "thrust", 0, SHIP_MAX_THRUST, &s->thrust,
	    why)) < 0 ||
	    (rc = field_int(j, "sensors", 0, SHIP_MAX_SENSORS, &s->sensors,
	    why)) < 0 ||
	    (rc = field_int(j, "evasion", -SHIP_MAX_EVASION,
	    SHIP_MAX_EVASION, &s->evasion, why)) < 0 ||
	    (rc = field_int(j, "skill", 0, SKILL_MAX, &s->skill, why)) < 0 ||
	    (rc = parse_weapons(j, s, why)) < 0 ||
	    (rc = parse_ammo(j, s, why)) < 0 ||
	    (rc = parse_systems(j, s, why)) < 0)
		return rc;
	if ((had_hull_max = field_int(j, "hull_max", 1, SHIP_MAX_HULL,
	    &s->hull_max, why)) < 0)
		return had_hull_max;
	if (had_hull_max && s->hull > s->hull_max)
		s->hull = s->hull_max;
	if ((rc = field_int(j, "hull", 0, s->hull_max, &s->hull, why)) < 0)
		return rc;
	return 0;
}

static void
commit_text(struct ship *s, const struct ship_text *text)
{
	if (text->name != NULL) {
		free(s->name);
		s->name = xstrdup(text->name);
	}
	if (text->notes != NULL) {
		free(s->notes);
		s->notes = xstrdup(text->notes);
	}
}

/* The ship a spec describes before its overrides: class, side, crewed. */
static int
parse_template(const struct battle *b, const json_t *spec, struct ship *s,
    struct refusal *why)
{
	const struct class_template *t;
	const char *class, *side;
	int rc, i;

	if ((rc = field_need_string(spec, "class", 64, &class, why)) < 0 ||
	    (rc = field_need_string(spec, "side", 64, &side, why)) < 0 ||
	    (rc = field_bool(spec, "crewed", &s->crewed, why)) < 0)
		return rc;
	if (ship_class_from_name(class, &s->class) < 0)
		return refuse(why, REFUSAL_UNKNOWN_CLASS,
		    "\"%.64s\" is not a ship class; use scout, corvette, "
		    "trader, frigate or destroyer", class);
	if (strcmp(side, "crew") == 0)
		s->side = SIDE_CREW;
	else if (strcmp(side, "hostile") == 0)
		s->side = SIDE_HOSTILE;
	else
		return refuse(why, REFUSAL_UNKNOWN_SIDE,
		    "\"%.64s\" is not a side; use crew or hostile", side);
	if (s->crewed && s->side != SIDE_CREW)
		return refuse(why, REFUSAL_CREWED_NOT_CREW_SIDE,
		    "the crewed ship must be on side crew");
	if (s->crewed && battle_crewed_ship(b) != NULL)
		return refuse(why, REFUSAL_CREWED_EXISTS,
		    "ship %d is already the crewed ship; a battle has one",
		    battle_crewed_ship(b)->id);
	if (json_object_get(spec, "x") == NULL ||
	    json_object_get(spec, "y") == NULL)
		return refuse(why, REFUSAL_MALFORMED,
		    "a new ship needs \"x\" and \"y\"");
	t = ship_class_template(s->class);
	s->hull = s->hull_max = t->hull;
	s->armor = t->armor;
	s->thrust = t->thrust;
	s->sensors = t->sensors;
	s->evasion = t->evasion;
	s->skill = 1;
	s->nweapons = t->nweapons;
	for (i = 0; i < t->nweapons; i++) {
		s->weapons[i].type = t->weapons[i];
		s->weapons[i].ammo = ship_weapon_template(t->weapons[i])->ammo;
	}
	return 0;
}

int
fleet_add(struct battle *b, const struct actor *who, const json_t *spec,
    int *id, struct refusal *why)
{
	struct ship s = { 0 };
	struct ship_text text = { NULL, NULL };
	char name[SHIP_NAME_MAX + 1];
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = battle_check_not_ended(b, why)) < 0 ||
	    (rc = field_check(spec, "a ship", add_fields, why)) < 0)
		return rc;
	if (b->nships >= b->limits.max_ships)
		return refuse(why, REFUSAL_TOO_MANY_SHIPS,
		    "the battle already has %d ships, its limit",
		    b->limits.max_ships);
	s.id = b->next_ship_id;
	if ((rc = parse_template(b, spec, &s, why)) < 0 ||
	    (rc = apply_changes(spec, &s, &text, why)) < 0)
		return rc;
	if (json_object_get(spec, "hull") == NULL)
		s.hull = s.hull_max;
	snprintf(name, sizeof name, "%s %d",
	    ship_class_template(s.class)->name, s.id);
	s.name = xstrdup(name);
	s.notes = xstrdup("");
	commit_text(&s, &text);
	b->next_ship_id++;
	*battle_ship_append(b) = s;
	if (id != NULL)
		*id = s.id;
	return 0;
}

static int
find_ship(struct battle *b, int id, struct ship **out, struct refusal *why)
{
	if ((*out = battle_ship(b, id)) == NULL)
		return refuse(why, REFUSAL_NO_SUCH_SHIP,
		    "there is no ship %d in this battle", id);
	return 0;
}

int
fleet_remove(struct battle *b, const struct actor *who, int id,
    struct refusal *why)
{
	struct ship *s;
	int i, rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = battle_check_not_ended(b, why)) < 0 ||
	    (rc = find_ship(b, id, &s, why)) < 0)
		return rc;
	battle_free_ship(s);
	i = (int)(s - b->ships);
	memmove(s, s + 1, (size_t)(b->nships - i - 1) * sizeof *s);
	b->nships--;
	return 0;
}

int
fleet_edit(struct battle *b, const struct actor *who, int id,
    const json_t *changes, struct refusal *why)
{
	struct ship_text text = { NULL, NULL };
	struct ship *s, copy;
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = battle_check_not_ended(b, why)) < 0 ||
	    (rc = find_ship(b, id, &s, why)) < 0 ||
	    (rc = field_check(changes, "a ship change", edit_fields,
	    why)) < 0)
		return rc;
	copy = *s;
	if ((rc = apply_changes(changes, &copy, &text, why)) < 0)
		return rc;
	*s = copy;
	commit_text(s, &text);
	return 0;
}

int
fleet_move(struct battle *b, const struct actor *who, int id, int x, int y,
    struct refusal *why)
{
	json_t *changes = json_pack("{s:i, s:i}", "x", x, "y", y);
	int rc = fleet_edit(b, who, id, changes, why);

	json_decref(changes);
	return rc;
}

int
fleet_set_hidden(struct battle *b, const struct actor *who, int id,
    bool hidden, struct refusal *why)
{
	json_t *changes = json_pack("{s:b}", "hidden", hidden);
	int rc = fleet_edit(b, who, id, changes, why);

	json_decref(changes);
	return rc;
}
