/*
 * Refusals: every rule that can turn a request down has a code, a stable
 * name for API errors, and the project error code it maps to.  The
 * sentence is written where the refusal happens, so it can name the
 * field, ship or number to fix.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>

#include "error.h"
#include "game/state.h"

struct refusal_kind {
	const char	*name;
	int		 error;
};

static const struct refusal_kind refusal_kinds[REFUSAL_COUNT] = {
	[REFUSAL_NONE] = { "none", BS_OK },
	[REFUSAL_MALFORMED] = { "malformed", BS_ERR_INVALID },
	[REFUSAL_UNKNOWN_FIELD] = { "unknown_field", BS_ERR_INVALID },
	[REFUSAL_OUT_OF_BOUNDS] = { "out_of_bounds", BS_ERR_INVALID },
	[REFUSAL_TEXT_TOO_LONG] = { "text_too_long", BS_ERR_TOO_LARGE },
	[REFUSAL_SPECTATOR] = { "spectator", BS_ERR_DENIED },
	[REFUSAL_GM_ONLY] = { "gm_only", BS_ERR_DENIED },
	[REFUSAL_NOT_PLANNING] = { "not_planning", BS_ERR_STATE },
	[REFUSAL_NOT_LOBBY] = { "not_lobby", BS_ERR_STATE },
	[REFUSAL_BATTLE_ENDED] = { "battle_ended", BS_ERR_STATE },
	[REFUSAL_WRONG_ROUND] = { "wrong_round", BS_ERR_STATE },
	[REFUSAL_NO_SUCH_PLAYER] = { "no_such_player", BS_ERR_NOT_FOUND },
	[REFUSAL_UNKNOWN_STATION] = { "unknown_station", BS_ERR_NOT_FOUND },
	[REFUSAL_STATION_NOT_YOURS] = { "station_not_yours", BS_ERR_DENIED },
	[REFUSAL_STATION_TAKEN] = { "station_taken", BS_ERR_EXISTS },
	[REFUSAL_NO_CREWED_SHIP] = { "no_crewed_ship", BS_ERR_STATE },
	[REFUSAL_SHIP_IS_CREWED] = { "ship_is_crewed", BS_ERR_INVALID },
	[REFUSAL_NO_SUCH_SHIP] = { "no_such_ship", BS_ERR_NOT_FOUND },
	[REFUSAL_SHIP_DESTROYED] = { "ship_destroyed", BS_ERR_STATE },
	[REFUSAL_UNKNOWN_ORDER] = { "unknown_order", BS_ERR_INVALID },
	[REFUSAL_NO_SUCH_WEAPON] = { "no_such_weapon", BS_ERR_NOT_FOUND },
	[REFUSAL_WEAPON_TWICE] = { "weapon_twice", BS_ERR_INVALID },
	[REFUSAL_OUT_OF_AMMO] = { "out_of_ammo", BS_ERR_STATE },
	[REFUSAL_TARGET_FRIENDLY] = { "target_friendly", BS_ERR_INVALID },
	[REFUSAL_TARGET_DESTROYED] = { "target_destroyed", BS_ERR_STATE },
	[REFUSAL_TARGET_NOT_DETECTED] = { "target_not_detected",
	    BS_ERR_NOT_FOUND },
	[REFUSAL_OUT_OF_RANGE] = { "out_of_range", BS_ERR_INVALID },
	[REFUSAL_OFF_MAP] = { "off_map", BS_ERR_INVALID },
	[REFUSAL_BEYOND_THRUST] = { "beyond_thrust", BS_ERR_INVALID },
	[REFUSAL_MOVE_AND_EVADE] = { "move_and_evade", BS_ERR_INVALID },
	[REFUSAL_UNKNOWN_SYSTEM] = { "unknown_system", BS_ERR_INVALID },
	[REFUSAL_SYSTEM_NOT_DAMAGED] = { "system_not_damaged",
	    BS_ERR_STATE },
	[REFUSAL_UNKNOWN_CLASS] = { "unknown_class", BS_ERR_INVALID },
	[REFUSAL_UNKNOWN_WEAPON_TYPE] = { "unknown_weapon_type",
	    BS_ERR_INVALID },
	[REFUSAL_UNKNOWN_SIDE] = { "unknown_side", BS_ERR_INVALID },
	[REFUSAL_TOO_MANY_SHIPS] = { "too_many_ships", BS_ERR_LIMIT },
	[REFUSAL_TOO_MANY_PLAYERS] = { "too_many_players", BS_ERR_LIMIT },
	[REFUSAL_CREWED_EXISTS] = { "crewed_exists", BS_ERR_EXISTS },
	[REFUSAL_CREWED_NOT_CREW_SIDE] = { "crewed_not_crew_side",
	    BS_ERR_INVALID },
	[REFUSAL_SIDE_EMPTY] = { "side_empty", BS_ERR_STATE },
	[REFUSAL_PAUSED] = { "paused", BS_ERR_STATE },
	[REFUSAL_NOT_PAUSED] = { "not_paused", BS_ERR_STATE },
	[REFUSAL_TIME_UP] = { "time_up", BS_ERR_STATE },
};

const char *
refusal_name(enum refusal_code code)
{
	if ((int)code < 0 || code >= REFUSAL_COUNT)
		return "unknown";
	return refusal_kinds[code].name;
}

int
refuse(struct refusal *why, enum refusal_code code, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL) {
		why->code = code;
		va_start(ap, fmt);
		vsnprintf(why->text, sizeof why->text, fmt, ap);
		va_end(ap);
	}
	return refusal_kinds[code].error;
}
