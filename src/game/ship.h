/*
 * Ships as broadside-rules(7) describes them: the class and weapon
 * tables, and the numbers a ship has this round once damage and overcharge are counted
 * (effective thrust, sensor range, range bands, damage bands).  Internal
 * to src/game/.
 */
#ifndef BROADSIDE_GAME_SHIP_H
#define BROADSIDE_GAME_SHIP_H

#include <stdbool.h>

#include "game/game.h"

#define SHIP_MAX_WEAPONS	6
#define SHIP_NAME_MAX		64
#define SHIP_NOTES_MAX		2000
#define SHIP_MAX_HULL		10000
#define SHIP_MAX_ARMOR		100
#define SHIP_MAX_THRUST		40
#define SHIP_MAX_SENSORS	2000
#define SHIP_MAX_EVASION	10
#define SHIP_MAX_AMMO		99
#define SKILL_MAX		3
#define WEAPON_MAX_RANGE	600
#define ATTACK_TARGET		8	/* 2d6 + modifiers >= 8 hits */
#define NO_AMMO			(-1)	/* a weapon that needs none */

enum ship_class {
	CLASS_SCOUT,
	CLASS_CORVETTE,
	CLASS_TRADER,
	CLASS_FRIGATE,
	CLASS_DESTROYER,
	CLASS_COUNT,
};

enum weapon_type {
	WEAPON_PULSE_LASER,
	WEAPON_BEAM_LASER,
	WEAPON_PARTICLE_BEAM,
	WEAPON_MISSILE_RACK,
	WEAPON_COUNT,
};

/* The systems fire can damage, plus the hull for repair orders. */
enum system {
	SYSTEM_DRIVE,
	SYSTEM_WEAPONS,
	SYSTEM_SENSORS,
	SYSTEM_DAMAGEABLE,	/* the count of the three above */
	SYSTEM_HULL = SYSTEM_DAMAGEABLE,
};

enum range_band {
	BAND_SHORT,		/* 0..100 */
	BAND_MEDIUM,		/* 101..300 */
	BAND_LONG,		/* 301..600 */
	BAND_BEYOND,		/* no weapon reaches */
};

struct class_template {
	const char		*name;
	int			 hull, armor, thrust, sensors, evasion;
	int			 nweapons;
	enum weapon_type	 weapons[3];
};

struct weapon_template {
	const char	*name;
	int		 dice;		/* d6s of damage */
	int		 bonus;		/* added to the dice */
	int		 band_modifier[3];	/* to hit, by band */
	int		 ammo;		/* salvos, or NO_AMMO */
	bool		 doubles_evasion;	/* missiles */
};

struct mount {
	enum weapon_type	type;
	int			ammo;	/* salvos left, or NO_AMMO */
};

const struct class_template *ship_class_template(enum ship_class class);
const struct weapon_template *ship_weapon_template(enum weapon_type type);

/* Lookups by name: 0 or BS_ERR_INVALID. */
int ship_class_from_name(const char *name, enum ship_class *out);
int ship_weapon_from_name(const char *name, enum weapon_type *out);
int ship_system_from_name(const char *name, enum system *out);
const char *ship_system_name(enum system system);
const char *ship_band_name(enum range_band band);

/* Euclidean distance rounded down, in exact integer arithmetic. */
int ship_distance(int x0, int y0, int x1, int y1);

enum range_band ship_band(int distance);

/* Thrust after a damaged drive (halved, rounded down) and overcharge. */
int ship_effective_thrust(int thrust, bool drive_damaged, bool overcharged);

/* Sensor range after damaged sensors (halved, rounded down). */
int ship_effective_sensors(int sensors, bool sensors_damaged);

/* "none", "light", "heavy", "critical" or "destroyed". */
const char *ship_damage_band(int hull, int hull_max);

/*
 * The point a ship reaches heading for (tx, ty) with at most reach units
 * of movement, on the map: along the straight line, rounded towards the
 * start so that the distance moved never exceeds reach.
 */
void ship_clamp_move(int x, int y, int tx, int ty, int reach, int *ox,
    int *oy);

#endif
