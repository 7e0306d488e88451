/*
 * The round being resolved, shared by the steps of resolve.c and the fire
 * step in fire.c.  Internal to src/game/.
 */
#ifndef BROADSIDE_GAME_RESOLVE_H
#define BROADSIDE_GAME_RESOLVE_H

#include <stdbool.h>

#include "game/state.h"

/* One ship in the round: what its orders and rolls come to. */
struct combatant {
	struct ship		*ship;
	bool			 acts;		/* operational at the start */
	bool			 crewed;	/* orders from the stations */
	const struct order	*move;		/* its move or evade, if any */
	const struct order	*fire;		/* its fire list, if any */
	int			 pilot_skill;	/* initiative */
	int			 gunner_skill;	/* attacks */
	int			 crew_bonus;	/* +1 with captain's tactics */
	bool			 evade;
	bool			 overcharge_drive;
	bool			 overcharge_weapons;
	int			 lock;		/* ship id, 0 for none */
	bool			 jammed;
	bool			 fired;
	int			 initiative;
};

struct round {
	struct battle		*battle;
	json_t			*log;
	int			 n;
	struct combatant	*ships;		/* as b->ships */
	int			*turn;		/* indices, initiative order */
	int			 nturns;
};

/* 2d6 etc.: rolls dice d6s, stores them in a new array, returns the sum. */
int resolve_roll(struct battle *b, int dice, json_t **list);

/* Appends {"name":..,"value":..} to modifiers and adds value to *total. */
void resolve_modifier(json_t *modifiers, const char *name, int value,
    int *total);

/* Step 4: every acting ship fires, in initiative order. */
void fire_step(struct round *r);

#endif
