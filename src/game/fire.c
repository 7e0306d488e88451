/*
 * Step 4 of a round: fire, in initiative order.
 *
 * Attack: 2d6 + gunner (or crew) skill + tactics + lock + overcharge
 * - jam - damaged weapons + range modifier - target evasion >= 8 hits;
 * effect = total - 8; damage = weapon dice + effect - armor, at least 0;
 * effect >= 6 also damages the system a d6 picks (1-2 drive, 3-4 weapons,
 * 5-6 sensors; an already damaged system stays damaged).
 *
 * Rules chosen where broadside-rules(7) is silent:
 *  - Missiles ignore range bands but not the 600-unit limit, and double
 *    the whole evasion, "evade" bonus included (a negative evasion
 *    doubles too).
 *  - Fire that cannot happen when its turn comes (the target was
 *    destroyed, moved out of range, or slipped out of the crew's
 *    sensors) is lost and logged; no ammo is spent on it.
 *  - Ammo is spent by every attack rolled, hit or miss.
 *  - Hull stops at 0.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "game/resolve.h"

static struct combatant *
combatant_of(struct round *r, const struct ship *s)
{
	return &r->ships[s - r->battle->ships];
}

static void
no_fire(struct round *r, struct combatant *c, const struct fire *f,
    struct ship *t, const char *reason)
{
	json_t *e = combatlog_new(r->battle, "no_fire");

	combatlog_ship(e, "actor", c->ship);
	if (f != NULL)
		json_object_set_new(e, "weapon", json_integer(f->weapon));
	if (t != NULL) {
		combatlog_ship(e, "target", t);
		json_object_set_new(e, "distance", json_integer(ship_distance(
		    c->ship->x, c->ship->y, t->x, t->y)));
	}
	json_object_set_new(e, "reason", json_string(reason));
	combatlog_finish(r->log, e);
}

/* The to-hit modifiers of one attack, into e["modifiers"]. */
static int
attack_modifiers(struct round *r, struct combatant *c, struct ship *t,
    const struct weapon_template *w, enum range_band band, json_t *e)
{
	struct combatant *tc = combatant_of(r, t);
	json_t *mods = json_array();
	int total = 0, evasion;

	resolve_modifier(mods, "skill", c->gunner_skill, &total);
	resolve_modifier(mods, "tactics", c->crew_bonus, &total);
	resolve_modifier(mods, "lock", c->lock == t->id ? 2 : 0, &total);
	resolve_modifier(mods, "overcharge", c->overcharge_weapons ? 1 : 0,
	    &total);
	resolve_modifier(mods, "jam", c->jammed ? -2 : 0, &total);
	resolve_modifier(mods, "damaged weapons",
	    c->ship->damaged[SYSTEM_WEAPONS] ? -2 : 0, &total);
	resolve_modifier(mods, "range", w->doubles_evasion ? 0 :
	    w->band_modifier[band], &total);
	evasion = t->evasion + (tc->evade ? 2 : 0);
	if (w->doubles_evasion)
		resolve_modifier(mods, "evasion x2", -2 * evasion, &total);
	else
		resolve_modifier(mods, "evasion", -evasion, &total);
	json_object_set_new(e, "modifiers", mods);
	return total;
}

static void
damage_system(struct round *r, struct ship *t, json_t *e)
{
	static const enum system by_die[7] = { SYSTEM_DRIVE, SYSTEM_DRIVE,
	    SYSTEM_DRIVE, SYSTEM_WEAPONS, SYSTEM_WEAPONS, SYSTEM_SENSORS,
	    SYSTEM_SENSORS };
	int die = rng_die(&r->battle->rng, 6);
	enum system sys = by_die[die];

	json_object_set_new(e, "system_die", json_integer(die));
	if (!t->damaged[sys]) {
		t->damaged[sys] = true;
		json_object_set_new(e, "system",
		    json_string(ship_system_name(sys)));
	}
}

static void
roll_damage(struct round *r, struct ship *t,
    const struct weapon_template *w, int effect, json_t *e)
{
	json_t *dice;
	int roll, damage;

	roll = resolve_roll(r->battle, w->dice, &dice) + w->bonus + effect;
	damage = roll > t->armor ? roll - t->armor : 0;
	t->hull = damage < t->hull ? t->hull - damage : 0;
	json_object_set_new(e, "damage_dice", dice);
	json_object_set_new(e, "damage_bonus", json_integer(w->bonus));
	json_object_set_new(e, "damage_roll", json_integer(roll));
	json_object_set_new(e, "armor", json_integer(t->armor));
	json_object_set_new(e, "damage", json_integer(damage));
	json_object_set_new(e, "hull", json_integer(t->hull));
	if (effect >= 6)
		damage_system(r, t, e);
	json_object_set_new(e, "destroyed",
	    json_boolean(!battle_ship_operational(t)));
}

static void
attack(struct round *r, struct combatant *c, const struct fire *f,
    struct ship *t, int distance)
{
	struct mount *m = &c->ship->weapons[f->weapon];
	const struct weapon_template *w = ship_weapon_template(m->type);
	enum range_band band = ship_band(distance);
	json_t *e = combatlog_new(r->battle, "attack"), *dice;
	int total;

	if (m->ammo != NO_AMMO)
		m->ammo--;
	c->fired = true;
	combatlog_ship(e, "actor", c->ship);
	combatlog_ship(e, "target", t);
	json_object_set_new(e, "weapon", json_integer(f->weapon));
	json_object_set_new(e, "weapon_type", json_string(w->name));
	json_object_set_new(e, "distance", json_integer(distance));
	json_object_set_new(e, "band", json_string(ship_band_name(band)));
	total = resolve_roll(r->battle, 2, &dice);
	json_object_set_new(e, "dice", dice);
	total += attack_modifiers(r, c, t, w, band, e);
	json_object_set_new(e, "total", json_integer(total));
	json_object_set_new(e, "need", json_integer(ATTACK_TARGET));
	json_object_set_new(e, "hit", json_boolean(total >= ATTACK_TARGET));
	if (total >= ATTACK_TARGET) {
		json_object_set_new(e, "effect",
		    json_integer(total - ATTACK_TARGET));
		roll_damage(r, t, w, total - ATTACK_TARGET, e);
	}
	combatlog_finish(r->log, e);
}

static void
fire_one(struct round *r, struct combatant *c, const struct fire *f)
{
	struct battle *b = r->battle;
	struct ship *t = battle_ship(b, f->target);
	int distance;

	if (f->weapon >= c->ship->nweapons || t == NULL) {
		no_fire(r, c, f, NULL, "target_lost");
		return;
	}
	distance = ship_distance(c->ship->x, c->ship->y, t->x, t->y);
	if (!battle_ship_operational(t))
		no_fire(r, c, f, t, "target_destroyed");
	else if (c->crewed && !battle_detected(b, t))
		no_fire(r, c, f, NULL, "target_lost");
	else if (distance > WEAPON_MAX_RANGE)
		no_fire(r, c, f, t, "out_of_range");
	else if (c->ship->weapons[f->weapon].ammo == 0)
		no_fire(r, c, f, t, "out_of_ammo");
	else
		attack(r, c, f, t, distance);
}

void
fire_step(struct round *r)
{
	struct combatant *c;
	int i, k;

	for (i = 0; i < r->nturns; i++) {
		c = &r->ships[r->turn[i]];
		if (c->fire == NULL || c->fire->nfire == 0)
			continue;
		/* A ship destroyed earlier in this phase does not fire. */
		if (!battle_ship_operational(c->ship)) {
			no_fire(r, c, NULL, NULL, "destroyed");
			continue;
		}
		for (k = 0; k < c->fire->nfire; k++)
			fire_one(r, c, &c->fire->fire[k]);
	}
}
