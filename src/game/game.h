/*
 * The rules engine: broadside-rules(7) as a pure, deterministic library.
 *
 * This is the only header the rest of the daemon includes from src/game/.
 * The engine does no I/O, reads no clock and keeps no global state: a
 * battle is a value (struct battle) that functions below change, and the
 * same seed, set-up and calls always give the same state, dice and log.
 * Every function may be called from any thread, as long as one battle is
 * used by one thread at a time (the engine has no shared state).
 *
 * Conventions:
 *  - Functions that can fail return 0 or a negative BS_ERR_* code
 *    (error.h).  Those that refuse a player's or GM's request also fill
 *    a struct refusal (if the caller passes one) with a distinct code and
 *    an English sentence saying what to fix.  A refused request changes
 *    nothing.
 *  - Combat-log entries are jansson objects appended to a JSON array the
 *    caller owns (the "log" parameter; NULL drops the entries, but their
 *    sequence numbers are still used).  The engine numbers them from the
 *    battle's next log sequence number; the caller keeps the log itself.
 *  - Every json_t a function returns is a new reference the caller must
 *    json_decref(); json_t parameters are borrowed.
 *
 * JSON formats (orders, GM edits, projections, log entries) are documented
 * next to the functions that take or return them, and in
 * broadside-rules(7).
 */
#ifndef BROADSIDE_GAME_H
#define BROADSIDE_GAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct battle;

/* ------------------------------------------------------------------ */
/* Names of the game                                                   */

enum battle_phase {
	PHASE_LOBBY,
	PHASE_PLANNING,
	PHASE_RESOLVING,
	PHASE_ENDED,
};

enum side {
	SIDE_CREW,
	SIDE_HOSTILE,
	SIDE_NONE,		/* no winner (a draw, or the GM ended it) */
};

enum station {
	STATION_CAPTAIN,
	STATION_PILOT,
	STATION_GUNNER,
	STATION_ENGINEER,
	STATION_SENSORS,
	STATION_COUNT,
};

/* Who looks at a projection. */
enum viewer {
	VIEWER_GM,
	VIEWER_CREW,		/* every player of the battle */
	VIEWER_SPECTATOR,	/* the crew's view minus orders */
	VIEWER_COUNT
};

/* Who makes a request: the GM, one player (by id), or a spectator. */
enum actor_role {
	ACTOR_GM,
	ACTOR_PLAYER,
	ACTOR_SPECTATOR,
};

struct actor {
	enum actor_role	 role;
	int		 player;	/* player id when role is ACTOR_PLAYER */
};

/* Per-battle limits; the daemon may configure them. */
struct battle_limits {
	int	max_ships;	/* 1..BATTLE_HARD_MAX_SHIPS, default 32 */
	int	max_players;	/* 1..BATTLE_HARD_MAX_PLAYERS, default 5 */
};

#define BATTLE_DEFAULT_MAX_SHIPS	32
#define BATTLE_DEFAULT_MAX_PLAYERS	5
#define BATTLE_HARD_MAX_SHIPS		256
#define BATTLE_HARD_MAX_PLAYERS		64
#define BATTLE_DEFAULT_ROUND_SECONDS	30
#define BATTLE_MIN_ROUND_SECONDS	5
#define BATTLE_MAX_ROUND_SECONDS	600
#define MAP_SIZE			1000	/* coordinates run 0..1000 */

/* "captain", "pilot", ... ; NULL for an out-of-range value. */
const char *station_name(enum station station);

/* Looks a station up by name: 0, or BS_ERR_INVALID if there is none. */
int station_from_name(const char *name, enum station *out);

/* "lobby", "planning", "resolving", "ended". */
const char *phase_name(enum battle_phase phase);

/* "crew", "hostile", "none". */
const char *side_name(enum side side);

/* ------------------------------------------------------------------ */
/* Refusals                                                            */

enum refusal_code {
	REFUSAL_NONE,
	REFUSAL_MALFORMED,		/* a field has the wrong type or is missing */
	REFUSAL_UNKNOWN_FIELD,		/* a field the request does not take */
	REFUSAL_OUT_OF_BOUNDS,		/* a number outside its allowed range */
	REFUSAL_TEXT_TOO_LONG,		/* a name, note or narration too long */
	REFUSAL_SPECTATOR,		/* spectators cannot act */
	REFUSAL_GM_ONLY,		/* only the GM may do this */
	REFUSAL_NOT_PLANNING,		/* orders only while the round is planned */
	REFUSAL_NOT_LOBBY,		/* only before the battle starts */
	REFUSAL_BATTLE_ENDED,		/* the battle is over */
	REFUSAL_WRONG_ROUND,		/* the order names another round */
	REFUSAL_NO_SUCH_PLAYER,
	REFUSAL_UNKNOWN_STATION,
	REFUSAL_STATION_NOT_YOURS,
	REFUSAL_STATION_TAKEN,
	REFUSAL_NO_CREWED_SHIP,		/* station orders need a crewed ship */
	REFUSAL_SHIP_IS_CREWED,		/* GM orders for the players' ship */
	REFUSAL_NO_SUCH_SHIP,
	REFUSAL_SHIP_DESTROYED,		/* the acting ship is a wreck */
	REFUSAL_UNKNOWN_ORDER,		/* not an order this station gives */
	REFUSAL_NO_SUCH_WEAPON,
	REFUSAL_WEAPON_TWICE,		/* a mount fires once a round */
	REFUSAL_OUT_OF_AMMO,
	REFUSAL_TARGET_FRIENDLY,	/* the target is on the actor's side */
	REFUSAL_TARGET_DESTROYED,
	REFUSAL_TARGET_NOT_DETECTED,	/* the crew cannot see that ship */
	REFUSAL_OUT_OF_RANGE,		/* beyond 600 units */
	REFUSAL_OFF_MAP,
	REFUSAL_BEYOND_THRUST,
	REFUSAL_MOVE_AND_EVADE,		/* evading means not moving */
	REFUSAL_UNKNOWN_SYSTEM,
	REFUSAL_SYSTEM_NOT_DAMAGED,
	REFUSAL_UNKNOWN_CLASS,
	REFUSAL_UNKNOWN_WEAPON_TYPE,
	REFUSAL_UNKNOWN_SIDE,
	REFUSAL_TOO_MANY_SHIPS,
	REFUSAL_TOO_MANY_PLAYERS,
	REFUSAL_CREWED_EXISTS,		/* at most one crewed ship */
	REFUSAL_CREWED_NOT_CREW_SIDE,	/* the crewed ship is on side crew */
	REFUSAL_SIDE_EMPTY,		/* start needs a ship on each side */
	REFUSAL_PAUSED,			/* the round's clock is stopped */
	REFUSAL_NOT_PAUSED,		/* resume needs a stopped clock */
	REFUSAL_TIME_UP,		/* too late to stop or move the clock */
	REFUSAL_COUNT,
};

#define REFUSAL_TEXT_MAX	256

/* Why a request was refused: a stable code and a sentence for people. */
struct refusal {
	enum refusal_code	code;
	char			text[REFUSAL_TEXT_MAX];
};

/*
 * A stable snake_case name for a refusal code ("wrong_round"), suitable as
 * a problem type in API errors; "unknown" for an out-of-range value.
 */
const char *refusal_name(enum refusal_code code);

/* ------------------------------------------------------------------ */
/* Battles (battle.c)                                                  */

/*
 * Creates a battle in the lobby, its dice seeded from seed.  limits may be
 * NULL for the defaults.  On success *out owns a new battle the caller
 * frees with battle_free().  Returns 0, or BS_ERR_INVALID if a limit is
 * out of range (nothing is allocated then).
 */
int battle_new(struct battle **out, uint64_t seed,
    const struct battle_limits *limits);

/* Frees a battle and everything it owns; battle_free(NULL) is a no-op. */
void battle_free(struct battle *b);

/* A deep copy of a battle (same dice to come); the caller frees it. */
struct battle *battle_copy(const struct battle *b);

/* Accessors: they read one field and change nothing. */
enum battle_phase battle_phase(const struct battle *b);
int battle_round(const struct battle *b);		/* 0 in the lobby */
enum side battle_winner(const struct battle *b);	/* once ended */
uint64_t battle_next_seq(const struct battle *b);	/* next log entry */
struct battle_limits battle_limits(const struct battle *b);

/*
 * The round deadline, epoch milliseconds, 0 for none.  The engine only
 * stores and shows it; the daemon sets it when a round opens (the engine
 * resets it to 0 whenever a new round opens or the battle ends).
 */
int64_t battle_deadline(const struct battle *b);
void battle_set_deadline(struct battle *b, int64_t epoch_ms);

int battle_round_seconds(const struct battle *b);
bool battle_spectators_allowed(const struct battle *b);

/*
 * GM: sets the round timer (5..600 s).  Returns 0, or BS_ERR_DENIED
 * (not the GM), BS_ERR_INVALID (out of range), BS_ERR_STATE (ended).
 */
int battle_set_round_seconds(struct battle *b, const struct actor *who,
    int seconds, struct refusal *why);

/* GM: allows or forbids spectators.  0, BS_ERR_DENIED or BS_ERR_STATE. */
int battle_set_spectators(struct battle *b, const struct actor *who,
    bool allowed, struct refusal *why);

/*
 * GM: starts the battle, lobby -> planning round 1, and logs a
 * "battle_start" entry.  Needs at least one operational ship per side.
 * Returns 0, or BS_ERR_DENIED, BS_ERR_STATE (not in the lobby, or a side
 * has no operational ship).
 */
int battle_start(struct battle *b, const struct actor *who, json_t *log,
    struct refusal *why);

/*
 * GM: ends the battle now (no winner) and logs "battle_end".  Returns 0,
 * or BS_ERR_DENIED, BS_ERR_STATE (already ended).
 */
int battle_end(struct battle *b, const struct actor *who, json_t *log,
    struct refusal *why);

/*
 * The round clock (clock.c).  The engine reads no clock: each call takes
 * the daemon's wall-clock time, now_ms, which the daemon records in the
 * action so that a replay does the same.
 *
 * battle_pause(): GM, while planning with the clock running: stops it,
 * keeping the time left (the deadline becomes 0; the round resolves only
 * when resumed, or when the GM resolves it).  battle_resume(): restarts
 * it with that time left.  battle_extend(): moves the deadline, or the
 * time left of a stopped clock, by seconds (-600..600, not 0), to no
 * less than one second from now.  Each logs a "clock" entry.  Return 0,
 * or BS_ERR_DENIED (not the GM), BS_ERR_STATE (not planning; paused, not
 * paused; the time is up), BS_ERR_INVALID (seconds out of range).
 */
int battle_pause(struct battle *b, const struct actor *who, int64_t now_ms,
    json_t *log, struct refusal *why);
int battle_resume(struct battle *b, const struct actor *who, int64_t now_ms,
    json_t *log, struct refusal *why);
int battle_extend(struct battle *b, const struct actor *who, int64_t now_ms,
    int seconds, json_t *log, struct refusal *why);

/* Milliseconds left on a stopped round clock, or 0 when it runs. */
int64_t battle_paused_left(const struct battle *b);

/*
 * GM: posts narration (1..1000 bytes of UTF-8) to the log as a
 * "narration" entry everyone sees.  Any phase.  Returns 0, or
 * BS_ERR_DENIED, BS_ERR_INVALID (empty), BS_ERR_TOO_LARGE.
 */
int battle_narrate(struct battle *b, const struct actor *who,
    const char *text, json_t *log, struct refusal *why);

/* ------------------------------------------------------------------ */
/* Players and stations (crew.c)                                       */

/*
 * Adds a player (name 1..64 bytes, skill 1) in any phase but ended; on
 * success *id is the new player's id (1, 2, ...; never reused).  Whoever
 * may join (the join code) is the API's business.  Returns 0, or
 * BS_ERR_INVALID, BS_ERR_TOO_LARGE, BS_ERR_LIMIT (battle full),
 * BS_ERR_STATE (ended).
 */
int crew_player_add(struct battle *b, const char *name, int *id,
    struct refusal *why);

/*
 * Removes a player (the GM, or the player themself) and frees their
 * stations; their submitted orders stay.  0, BS_ERR_DENIED,
 * BS_ERR_NOT_FOUND.
 */
int crew_player_remove(struct battle *b, const struct actor *who,
    int player, struct refusal *why);

/* GM: sets a player's skill 0..3.  0, DENIED, NOT_FOUND, INVALID. */
int crew_set_skill(struct battle *b, const struct actor *who, int player,
    int skill, struct refusal *why);

/*
 * Gives a station to a player.  A player may take a free station for
 * themself; the GM may give any station to any player (taking it from its
 * holder).  A player may hold several stations; a station has one holder
 * at most.  Returns 0, or BS_ERR_DENIED, BS_ERR_NOT_FOUND (no such
 * player), BS_ERR_EXISTS (held by someone else), BS_ERR_STATE (ended).
 */
int crew_assign(struct battle *b, const struct actor *who, int player,
    enum station station, struct refusal *why);

/*
 * Frees a station (its holder, or the GM).  Freeing a free station is a
 * no-op.  Returns 0, or BS_ERR_DENIED, BS_ERR_STATE (ended).
 */
int crew_release(struct battle *b, const struct actor *who,
    enum station station, struct refusal *why);

/* The id of the player holding a station, 0 if nobody does. */
int crew_holder(const struct battle *b, enum station station);

/* A player's name, or NULL if there is no such player; owned by b. */
const char *crew_player_name(const struct battle *b, int player);

/* A player's skill 0..3, or -1 if there is no such player. */
int crew_player_skill(const struct battle *b, int player);

int crew_player_count(const struct battle *b);

/* ------------------------------------------------------------------ */
/* GM edits of ships (fleet.c)                                         */

/*
 * GM: adds a ship.  spec is an object:
 *   {"class":"frigate", "side":"hostile", "x":500, "y":200,
 *    "name":"Raider", "crewed":false, "hidden":false, "notes":"...",
 *    "hull_max":80, "hull":80, "armor":6, "thrust":4, "sensors":300,
 *    "evasion":0, "skill":1, "systems":{"drive":"damaged"},
 *    "weapons":["beam laser", {"type":"missile rack","ammo":3}]}
 * class, side, x and y are required; everything else defaults to the
 * class template (name "<class> <id>", skill 1).  Integers may also be
 * given as decimal strings, booleans as "true"/"false"/"1"/"0".  At most
 * one ship is crewed, and it is on side crew.  On success *id (if not
 * NULL) is the new ship's id (1, 2, ...; never reused).  Any phase but
 * ended.  Returns 0, or BS_ERR_DENIED, BS_ERR_INVALID, BS_ERR_TOO_LARGE,
 * BS_ERR_LIMIT, BS_ERR_EXISTS (a second crewed ship), BS_ERR_STATE.
 */
int fleet_add(struct battle *b, const struct actor *who, const json_t *spec,
    int *id, struct refusal *why);

/* GM: removes a ship.  0, BS_ERR_DENIED, BS_ERR_NOT_FOUND, BS_ERR_STATE. */
int fleet_remove(struct battle *b, const struct actor *who, int ship,
    struct refusal *why);

/*
 * GM: changes a ship; all or nothing.  changes is an object with any of
 *   "name", "x", "y", "hull", "hull_max", "armor", "thrust", "sensors",
 *   "evasion", "skill", "hidden", "notes",
 *   "weapons": [...] (replaces the mounts, as in fleet_add),
 *   "ammo": {"<weapon index>": salvos, ...},
 *   "systems": {"drive":"ok"|"damaged", "weapons":..., "sensors":...}.
 * A hull_max below the hull lowers the hull with it.  Any phase but ended.
 * Returns 0, or BS_ERR_DENIED, BS_ERR_NOT_FOUND, BS_ERR_INVALID,
 * BS_ERR_TOO_LARGE, BS_ERR_STATE.
 */
int fleet_edit(struct battle *b, const struct actor *who, int ship,
    const json_t *changes, struct refusal *why);

/* GM: moves a ship anywhere on the map.  As fleet_edit. */
int fleet_move(struct battle *b, const struct actor *who, int ship, int x,
    int y, struct refusal *why);

/* GM: hides or reveals a ship.  As fleet_edit. */
int fleet_set_hidden(struct battle *b, const struct actor *who, int ship,
    bool hidden, struct refusal *why);

/* ------------------------------------------------------------------ */
/* Orders (order.c)                                                    */

/*
 * Submits one order, replacing any earlier order of the same station or
 * GM ship this round.  Formats (integers may also be decimal strings):
 *
 * A crew station (a player holding the station, or the GM):
 *   {"round":3, "station":"captain", "type":"tactics"}
 *   {"round":3, "station":"pilot", "type":"move", "x":120, "y":340}
 *   {"round":3, "station":"pilot", "type":"evade"}
 *   {"round":3, "station":"gunner", "type":"fire",
 *    "fire":[{"weapon":0, "target":4}, {"weapon":1, "target":5}]}
 *   {"round":3, "station":"gunner", "type":"fire", "weapon":0, "target":4}
 *   {"round":3, "station":"engineer", "type":"repair", "system":"drive"}
 *        (system: drive, weapons, sensors or hull)
 *   {"round":3, "station":"engineer", "type":"overcharge",
 *    "system":"weapons"}            (system: drive or weapons)
 *   {"round":3, "station":"sensors", "type":"lock", "target":4}
 *   {"round":3, "station":"sensors", "type":"jam", "target":4}
 *   {"round":3, "station":"sensors", "type":"scan"}
 *   {"round":3, "station":"<any>", "type":"hold"}
 *
 * A GM ship (the GM only; every part optional, none = hold):
 *   {"round":3, "ship":4, "move":{"x":100, "y":200}, "evade":false,
 *    "fire":[{"weapon":0, "target":1}]}
 * or flat, as a form converted key by key gives it (one weapon):
 *   {"round":3, "ship":4, "x":100, "y":200, "weapon":0, "target":1}
 *
 * Returns 0, or BS_ERR_INVALID (malformed, out of range, beyond thrust,
 * ...), BS_ERR_DENIED (spectator, station not yours, GM only),
 * BS_ERR_STATE (not planning, wrong round, a wreck), BS_ERR_NOT_FOUND (no
 * such ship, weapon or station).  *why says which rule refused it.
 */
int order_submit(struct battle *b, const struct actor *who,
    const json_t *order, struct refusal *why);

/*
 * What an order that order_submit() just accepted became, as a new
 * object: {"round", "station" or "ship" (a number), "order": the order
 * as the GM's view shows it}.  The API's 202 answer and the private
 * "accepted" event are made of it.
 */
json_t *order_receipt(const struct battle *b, const json_t *order);

/*
 * Who the round waits for: a station held on the operational crewed ship
 * without an order this round; an operational GM ship without one.  A
 * station nobody holds waits for nobody (it holds).
 */
bool order_station_waiting(const struct battle *b, enum station station);
struct ship;
bool order_ship_waiting(const struct ship *s);

/*
 * Whether the round may resolve before its timer: every held station of
 * an operational crewed ship has an order, and every operational GM ship
 * has one.  A station nobody holds does not block (it holds).
 */
bool order_all_in(const struct battle *b);

/* ------------------------------------------------------------------ */
/* Resolution (resolve.c)                                              */

/*
 * Closes planning: planning -> resolving, after which orders are refused.
 * Optional (resolve_round() does it too).  0 or BS_ERR_STATE.
 */
int resolve_begin(struct battle *b);

/*
 * Resolves the round (broadside-rules(7), "RESOLVING A ROUND"),
 * appending its log entries to log; everything without an order holds.  Afterwards the
 * battle is in planning for the next round (deadline reset to 0), or
 * ended.  Returns 0, or BS_ERR_STATE if the battle is neither planning
 * nor resolving.
 *
 * Every log entry has "seq", "round", "kind" and "text"; ships appear as
 * "actor"/"target" ids with "actor_side", "actor_name", "target_side",
 * "target_name".  Rolls carry "dice" (array), "modifiers" (array of
 * {"name","value"}, non-zero only, in the order the text lists them),
 * "total" and "need".  Kinds, in the order a round writes them:
 *   "defaults"    "stations":[names], "ships":[{"ship","side","name"}]:
 *                 held stations and GM ships without an order, which
 *                 hold (only when there are any)
 *   "initiative"  "ships":[{"ship","side","name","dice","modifiers",
 *                 "total"}] in turn order
 *   "movement"    "moves":[{"ship","side","name","from_x","from_y","x",
 *                 "y","clamped"} or {...,"evade":true,"x","y"}]
 *   "lock","jam"  "success"; "scan": the roll, "success", "range",
 *                 "revealed":[{"ship","side","name"}]
 *   "attack"      "weapon","weapon_type","distance","band", the roll,
 *                 "hit"; on a hit "effect","damage_dice","damage_bonus",
 *                 "damage_roll","armor","damage","hull","destroyed", and
 *                 with effect >= 6 "system_die" and "system" (if newly
 *                 damaged)
 *   "no_fire"     "reason": destroyed, target_destroyed, target_lost,
 *                 out_of_range, out_of_ammo ("held" in crew copies)
 *   "repair"      "system"; the roll and "success", or for the hull
 *                 "die","restored","hull"
 *   "overcharge"  "system","die","damaged"
 *   "revealed"    a hidden ship that fired
 *   "battle_end"  "winner","reason" (gm or side_destroyed)
 * and outside resolution "battle_start", "battle_end" and "narration"
 * ("narration" holds the GM's text).
 */
int resolve_round(struct battle *b, json_t *log);

/* ------------------------------------------------------------------ */
/* Views (view.c)                                                      */

/*
 * What a viewer may see of the battle, as a new object:
 *   {"phase":"planning", "round":3, "deadline":1700000000000,
 *    "round_seconds":30, "spectators":true, "winner":"none" (ended only),
 *    "ships":{"4":{...}, ...}, "players":{"1":{"name":..,"skill":1,
 *    "stations":["pilot"]}}, "stations":{"pilot":1, ...} (held only),
 *    "orders":{"stations":{"pilot":{...}}, "ships":{"5":{...}}},
 *    "waiting_for":{"stations":["gunner"], "ships":[5]}}
 * The GM sees everything.  The crew sees its own side in full (but no GM
 * notes) and, of each detected hostile ship, only id, name, class, side,
 * position, damage band and damaged systems; spectators see the same
 * without "orders" and "waiting_for" (who has not ordered this round:
 * held stations of the crewed ship and, for the GM only, GM ships).
 * Canonical: the same state gives byte-identical
 * json_dumps(JSON_SORT_KEYS | JSON_COMPACT).  Whether spectators are let
 * in at all is the API's check (battle_spectators_allowed()).
 */
json_t *view_battle(const struct battle *b, enum viewer viewer);

/*
 * The JSON Merge Patch (patch.h) that turns view_battle(old, viewer) into
 * view_battle(cur, viewer), as a new reference, or NULL when the two read
 * the same; old and cur are two states of one battle.  It costs what
 * changed: a ship whose fields are the same in both and that the viewer
 * sees the same way is compared, not projected; of the rest of the view,
 * the round's numbers are compared, and the players, each order and the
 * waiting lists are projected only when what they read differs.
 */
json_t *view_battle_patch(const struct battle *old, const struct battle *cur,
    enum viewer viewer);

/*
 * A log entry as a viewer may read it, as a new object: the GM gets a
 * copy; the crew and spectators get it rewritten against the battle's
 * detection as it stands in b (an undetected hostile ship becomes "an
 * unknown ship", with no id; hostile skill, armor, hull, dice and orders
 * are removed and the text is rebuilt without them).  Call it with the
 * battle as the entry's change left it and keep the copy: the entry must
 * read later as it read then.
 */
json_t *view_log_entry(const struct battle *b, enum viewer viewer,
    const json_t *entry);

/* ------------------------------------------------------------------ */
/* Serialization (codec.c)                                             */

/*
 * The whole battle as compact JSON text with sorted keys and a "version"
 * field, NUL-terminated; *len (if not NULL) is its length.  The caller
 * frees the string with free().  Round-trips exactly through
 * codec_load(): saving a loaded battle gives the same bytes.
 */
char *codec_save(const struct battle *b, size_t *len);

/*
 * Loads a battle saved by codec_save() of this or an earlier version.  On
 * success *out owns a new battle.  Returns 0, or BS_ERR_INVALID for
 * malformed JSON, bad values, or a version newer than this engine's.
 */
int codec_load(struct battle **out, const char *blob, size_t len);

/* 64-bit FNV-1a of the canonical serialization. */
uint64_t codec_hash(const struct battle *b);

#endif
