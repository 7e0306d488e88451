/*
 * The battle state as the engine's modules share it.  Internal to
 * src/game/: the rest of the daemon sees struct battle as opaque and goes
 * through game.h.
 */
#ifndef BROADSIDE_GAME_STATE_H
#define BROADSIDE_GAME_STATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "game/game.h"
#include "game/rng.h"
#include "game/ship.h"

#define PLAYER_NAME_MAX		64
#define NARRATION_MAX		1000

enum order_type {
	ORDER_HOLD,
	ORDER_TACTICS,
	ORDER_MOVE,
	ORDER_EVADE,
	ORDER_FIRE,
	ORDER_REPAIR,
	ORDER_OVERCHARGE,
	ORDER_LOCK,
	ORDER_JAM,
	ORDER_SCAN,
	ORDER_GM,		/* a GM ship's combined order */
};

struct fire {
	int	weapon;		/* mount index */
	int	target;		/* ship id */
};

/*
 * One order of this round: a crew station's, or a GM ship's combined
 * order (type ORDER_GM, with any of move, evade and fire).
 */
struct order {
	bool		 given;
	enum order_type	 type;
	bool		 move;
	int		 x, y;
	bool		 evade;
	int		 target;	/* lock, jam */
	enum system	 system;	/* repair, overcharge */
	int		 nfire;
	struct fire	 fire[SHIP_MAX_WEAPONS];
};

struct ship {
	int		 id;
	char		*name;
	enum ship_class	 class;
	enum side	 side;
	bool		 crewed;
	int		 x, y;
	int		 hull, hull_max, armor, thrust, sensors, evasion;
	int		 skill;		/* a GM ship's crew skill */
	int		 nweapons;
	struct mount	 weapons[SHIP_MAX_WEAPONS];
	bool		 damaged[SYSTEM_DAMAGEABLE];
	bool		 hidden;
	char		*notes;		/* GM notes */
	struct order	 order;		/* a GM ship's order this round */
};

struct player {
	int	 id;
	char	*name;
	int	 skill;
};

struct battle {
	enum battle_phase	 phase;
	int			 round;
	int64_t			 deadline;
	int64_t			 paused_left;	/* ms; > 0: the clock is stopped */
	int			 round_seconds;
	bool			 spectators;
	enum side		 winner;
	struct battle_limits	 limits;
	struct rng		 rng;
	uint64_t		 next_seq;
	int			 next_ship_id;
	int			 next_player_id;

	int			 nships;	/* sorted by id */
	int			 ships_cap;	/* slots allocated */
	struct ship		*ships;		/* grows: battle_ship_append() */
	int			 nplayers;
	struct player		*players;	/* limits.max_players */
	int			 holder[STATION_COUNT];	/* player id or 0 */
	struct order		 station_order[STATION_COUNT];
};

/* battle.c */
struct battle *battle_alloc(const struct battle_limits *limits);
struct ship *battle_ship(const struct battle *b, int id);
/*
 * A new zeroed slot after the last ship (nships grows by one); the caller
 * has checked limits.max_ships.  Pointers to ships are stale after it.
 */
struct ship *battle_ship_append(struct battle *b);
struct ship *battle_crewed_ship(const struct battle *b);
struct player *battle_player(const struct battle *b, int id);
bool battle_ship_operational(const struct ship *s);
int battle_station_skill(const struct battle *b, enum station station);
bool battle_detected(const struct battle *b, const struct ship *s);
int battle_check_gm(const struct actor *who, struct refusal *why);
int battle_check_not_ended(const struct battle *b, struct refusal *why);
void battle_free_ship(struct ship *s);
/* A ship's mounts as [{"type":..., "ammo":n (when it has ammo)}], new. */
json_t *battle_ship_weapons(const struct ship *s);

/* refusal.c: fills *why (if not NULL) and returns the code's BS_ERR_*. */
int refuse(struct refusal *why, enum refusal_code code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* order.c */
int order_parse_station(const json_t *j, enum station station,
    struct order *out, struct refusal *why);
int order_parse_ship(const json_t *j, struct order *out,
    struct refusal *why);
json_t *order_to_json(const struct order *o);
void order_clear_all(struct battle *b);

/*
 * combatlog.c: combatlog_new() starts an entry with the battle's next
 * sequence number, the round and the kind; combatlog_finish() writes its
 * text and appends it to log (or drops it if log is NULL), taking the
 * reference.  combatlog_ship() names a ship as the entry's "actor" or
 * "target" (id, side, name).  combatlog_set_text() (re)builds "text" from
 * whichever fields the entry holds, so a redacted entry reads right.
 */
json_t *combatlog_new(struct battle *b, const char *kind);
void combatlog_finish(json_t *log, json_t *entry);
void combatlog_ship(json_t *entry, const char *role, const struct ship *s);
void combatlog_set_text(json_t *entry);

#endif
