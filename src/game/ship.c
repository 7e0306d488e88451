/*
 * The class and weapon tables of broadside-rules(7) and the geometry of
 * the map.
 * Distances are computed with an integer square root so that every
 * platform rounds them identically.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <string.h>

#include "error.h"
#include "name.h"
#include "game/ship.h"

static const struct class_template class_templates[CLASS_COUNT] = {
	[CLASS_SCOUT] = { "scout", 20, 2, 6, 400, 2, 1,
	    { WEAPON_PULSE_LASER } },
	[CLASS_CORVETTE] = { "corvette", 40, 4, 5, 300, 1, 2,
	    { WEAPON_BEAM_LASER, WEAPON_BEAM_LASER } },
	[CLASS_TRADER] = { "trader", 60, 4, 4, 300, 0, 2,
	    { WEAPON_BEAM_LASER, WEAPON_BEAM_LASER } },
	[CLASS_FRIGATE] = { "frigate", 80, 6, 4, 300, 0, 3,
	    { WEAPON_BEAM_LASER, WEAPON_BEAM_LASER, WEAPON_MISSILE_RACK } },
	[CLASS_DESTROYER] = { "destroyer", 140, 8, 3, 350, -1, 3,
	    { WEAPON_PARTICLE_BEAM, WEAPON_MISSILE_RACK,
	    WEAPON_MISSILE_RACK } },
};

/* Modifiers by band: short, medium, long. */
static const struct weapon_template weapon_templates[WEAPON_COUNT] = {
	[WEAPON_PULSE_LASER] = { "pulse laser", 2, 0, { 0, -1, -3 },
	    NO_AMMO, false },
	[WEAPON_BEAM_LASER] = { "beam laser", 1, 2, { 0, 0, -2 },
	    NO_AMMO, false },
	[WEAPON_PARTICLE_BEAM] = { "particle beam", 3, 0, { -1, 0, 0 },
	    NO_AMMO, false },
	[WEAPON_MISSILE_RACK] = { "missile rack", 4, 0, { 0, 0, 0 },
	    6, true },
};

static const char *const system_names[] = {
	[SYSTEM_DRIVE] = "drive",
	[SYSTEM_WEAPONS] = "weapons",
	[SYSTEM_SENSORS] = "sensors",
	[SYSTEM_HULL] = "hull",
};

static const char *const band_names[] = {
	[BAND_SHORT] = "short",
	[BAND_MEDIUM] = "medium",
	[BAND_LONG] = "long",
	[BAND_BEYOND] = "beyond",
};

const struct class_template *
ship_class_template(enum ship_class class)
{
	return &class_templates[class];
}

const struct weapon_template *
ship_weapon_template(enum weapon_type type)
{
	return &weapon_templates[type];
}

int
ship_class_from_name(const char *name, enum ship_class *out)
{
	int i = name_index(name, &class_templates[0].name, CLASS_COUNT,
	    sizeof(class_templates[0]));

	if (i < 0)
		return BS_ERR_INVALID;
	*out = (enum ship_class)i;
	return 0;
}

int
ship_weapon_from_name(const char *name, enum weapon_type *out)
{
	int i = name_index(name, &weapon_templates[0].name, WEAPON_COUNT,
	    sizeof(weapon_templates[0]));

	if (i < 0)
		return BS_ERR_INVALID;
	*out = (enum weapon_type)i;
	return 0;
}

int
ship_system_from_name(const char *name, enum system *out)
{
	int i = name_index(name, &system_names[0], SYSTEM_HULL + 1,
	    sizeof(system_names[0]));

	if (i < 0)
		return BS_ERR_INVALID;
	*out = (enum system)i;
	return 0;
}

const char *
ship_system_name(enum system system)
{
	return system_names[system];
}

const char *
ship_band_name(enum range_band band)
{
	return band_names[band];
}

static uint64_t
isqrt(uint64_t n)
{
	uint64_t x = 0, bit = (uint64_t)1 << 62;

	while (bit > n)
		bit >>= 2;
	while (bit != 0) {
		if (n >= x + bit) {
			n -= x + bit;
			x = (x >> 1) + bit;
		} else
			x >>= 1;
		bit >>= 2;
	}
	return x;
}

int
ship_distance(int x0, int y0, int x1, int y1)
{
	int64_t dx = (int64_t)x1 - x0, dy = (int64_t)y1 - y0;

	return (int)isqrt((uint64_t)(dx * dx + dy * dy));
}

enum range_band
ship_band(int distance)
{
	if (distance <= 100)
		return BAND_SHORT;
	if (distance <= 300)
		return BAND_MEDIUM;
	if (distance <= WEAPON_MAX_RANGE)
		return BAND_LONG;
	return BAND_BEYOND;
}

int
ship_effective_thrust(int thrust, bool drive_damaged, bool overcharged)
{
	if (drive_damaged)
		thrust /= 2;
	return thrust + (overcharged ? 1 : 0);
}

int
ship_effective_sensors(int sensors, bool sensors_damaged)
{
	return sensors_damaged ? sensors / 2 : sensors;
}

const char *
ship_damage_band(int hull, int hull_max)
{
	int64_t h = hull, m = hull_max;

	if (hull <= 0)
		return "destroyed";
	if (h * 4 < m)
		return "critical";
	if (h * 2 < m)
		return "heavy";
	if (h * 4 < m * 3)
		return "light";
	return "none";
}

static int
clamp_map(int v)
{
	if (v < 0)
		return 0;
	if (v > MAP_SIZE)
		return MAP_SIZE;
	return v;
}

void
ship_clamp_move(int x, int y, int tx, int ty, int reach, int *ox, int *oy)
{
	int64_t dx, dy;
	int d;

	tx = clamp_map(tx);
	ty = clamp_map(ty);
	if (reach < 0)
		reach = 0;
	d = ship_distance(x, y, tx, ty);
	if (d <= reach) {
		*ox = tx;
		*oy = ty;
		return;
	}
	/*
	 * Scale the vector by reach / d, truncating towards the start; d is
	 * the rounded-down length, so step back until the moved distance is
	 * within reach.
	 */
	dx = (int64_t)(tx - x) * reach / d;
	dy = (int64_t)(ty - y) * reach / d;
	while (ship_distance(0, 0, (int)dx, (int)dy) > reach) {
		if (dx != 0)
			dx += dx > 0 ? -1 : 1;
		if (dy != 0)
			dy += dy > 0 ? -1 : 1;
	}
	*ox = x + (int)dx;
	*oy = y + (int)dy;
}
