/*
 * A battle's life: creation, the lobby -> planning -> ended lifecycle
 * that the GM drives (start, end, narration, the round timer), and the
 * lookups every other module of the engine shares (ships by id, station
 * skills, what the crew detects).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "name.h"
#include "game/field.h"
#include "game/state.h"

static const char *const station_names[STATION_COUNT] = {
	"captain", "pilot", "gunner", "engineer", "sensors",
};

static const char *const phase_names[] = {
	"lobby", "planning", "resolving", "ended",
};

static const char *const side_names[] = {
	"crew", "hostile", "none",
};

const char *
station_name(enum station station)
{
	if ((int)station < 0 || station >= STATION_COUNT)
		return NULL;
	return station_names[station];
}

int
station_from_name(const char *name, enum station *out)
{
	int i = name_index(name, &station_names[0], STATION_COUNT,
	    sizeof(station_names[0]));

	if (i < 0)
		return BS_ERR_INVALID;
	*out = (enum station)i;
	return 0;
}

const char *
phase_name(enum battle_phase phase)
{
	return phase_names[phase];
}

const char *
side_name(enum side side)
{
	return side_names[side];
}

struct battle *
battle_alloc(const struct battle_limits *limits)
{
	struct battle *b = xcalloc(1, sizeof *b);

	b->limits = *limits;
	b->players = xcalloc((size_t)limits->max_players, sizeof *b->players);
	b->round_seconds = BATTLE_DEFAULT_ROUND_SECONDS;
	b->spectators = true;
	b->winner = SIDE_NONE;
	b->phase = PHASE_LOBBY;
	b->next_seq = 1;
	b->next_ship_id = 1;
	b->next_player_id = 1;
	return b;
}

int
battle_new(struct battle **out, uint64_t seed,
    const struct battle_limits *limits)
{
	struct battle_limits l = {
		BATTLE_DEFAULT_MAX_SHIPS, BATTLE_DEFAULT_MAX_PLAYERS
	};
	struct battle *b;

	if (limits != NULL)
		l = *limits;
	if (l.max_ships < 1 || l.max_ships > BATTLE_HARD_MAX_SHIPS ||
	    l.max_players < 1 || l.max_players > BATTLE_HARD_MAX_PLAYERS)
		return BS_ERR_INVALID;
	b = battle_alloc(&l);
	/* The seed picks both the starting point and the PCG stream. */
	rng_seed(&b->rng, seed, seed ^ 0x9e3779b97f4a7c15ULL);
	*out = b;
	return 0;
}

json_t *
battle_ship_weapons(const struct ship *s)
{
	json_t *weapons = json_array(), *w;

	for (int i = 0; i < s->nweapons; i++) {
		w = json_pack("{s:s}", "type",
		    ship_weapon_template(s->weapons[i].type)->name);
		if (s->weapons[i].ammo != NO_AMMO)
			json_object_set_new(w, "ammo",
			    json_integer(s->weapons[i].ammo));
		json_array_append_new(weapons, w);
	}
	return weapons;
}

void
battle_free_ship(struct ship *s)
{
	free(s->name);
	free(s->notes);
	s->name = s->notes = NULL;
}

void
battle_free(struct battle *b)
{
	int i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nships; i++)
		battle_free_ship(&b->ships[i]);
	for (i = 0; i < b->nplayers; i++)
		free(b->players[i].name);
	free(b->ships);
	free(b->players);
	free(b);
}

struct battle *
battle_copy(const struct battle *b)
{
	struct battle *c = battle_alloc(&b->limits);
	struct player *players = c->players;
	int i;

	*c = *b;
	/* A copy holds only the ships it has; adding one grows it. */
	c->ships_cap = b->nships;
	c->ships = b->nships > 0 ?
	    xcalloc((size_t)b->nships, sizeof *c->ships) : NULL;
	c->players = players;
	for (i = 0; i < b->nships; i++) {
		c->ships[i] = b->ships[i];
		c->ships[i].name = xstrdup(b->ships[i].name);
		c->ships[i].notes = xstrdup(b->ships[i].notes);
	}
	for (i = 0; i < b->nplayers; i++) {
		c->players[i] = b->players[i];
		c->players[i].name = xstrdup(b->players[i].name);
	}
	return c;
}

enum battle_phase
battle_phase(const struct battle *b)
{
	return b->phase;
}

int
battle_round(const struct battle *b)
{
	return b->round;
}

enum side
battle_winner(const struct battle *b)
{
	return b->winner;
}

uint64_t
battle_next_seq(const struct battle *b)
{
	return b->next_seq;
}

struct battle_limits
battle_limits(const struct battle *b)
{
	return b->limits;
}

int64_t
battle_deadline(const struct battle *b)
{
	return b->deadline;
}

void
battle_set_deadline(struct battle *b, int64_t epoch_ms)
{
	b->deadline = epoch_ms;
}

int
battle_round_seconds(const struct battle *b)
{
	return b->round_seconds;
}

bool
battle_spectators_allowed(const struct battle *b)
{
	return b->spectators;
}

int
battle_check_gm(const struct actor *who, struct refusal *why)
{
	if (who->role == ACTOR_GM)
		return 0;
	if (who->role == ACTOR_SPECTATOR)
		return refuse(why, REFUSAL_SPECTATOR,
		    "spectators only watch; join the battle as a player "
		    "to act");
	return refuse(why, REFUSAL_GM_ONLY, "only the GM may do this");
}

int
battle_check_not_ended(const struct battle *b, struct refusal *why)
{
	if (b->phase == PHASE_ENDED)
		return refuse(why, REFUSAL_BATTLE_ENDED,
		    "the battle has ended; nothing can change it now");
	return 0;
}

int
battle_set_round_seconds(struct battle *b, const struct actor *who,
    int seconds, struct refusal *why)
{
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = battle_check_not_ended(b, why)) < 0)
		return rc;
	if (seconds < BATTLE_MIN_ROUND_SECONDS ||
	    seconds > BATTLE_MAX_ROUND_SECONDS)
		return refuse(why, REFUSAL_OUT_OF_BOUNDS,
		    "the round timer must be between %d and %d seconds",
		    BATTLE_MIN_ROUND_SECONDS, BATTLE_MAX_ROUND_SECONDS);
	b->round_seconds = seconds;
	return 0;
}

int
battle_set_spectators(struct battle *b, const struct actor *who,
    bool allowed, struct refusal *why)
{
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = battle_check_not_ended(b, why)) < 0)
		return rc;
	b->spectators = allowed;
	return 0;
}

struct ship *
battle_ship(const struct battle *b, int id)
{
	int lo = 0, hi = b->nships - 1, mid;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if (b->ships[mid].id == id)
			return &b->ships[mid];
		if (b->ships[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

struct ship *
battle_ship_append(struct battle *b)
{
	struct ship *s;

	if (b->nships == b->ships_cap) {
		int cap = b->ships_cap > 0 ? b->ships_cap * 2 : 4;

		if (cap > b->limits.max_ships)
			cap = b->limits.max_ships;
		b->ships = xreallocarray(b->ships, (size_t)cap,
		    sizeof *b->ships);
		b->ships_cap = cap;
	}
	s = &b->ships[b->nships++];
	memset(s, 0, sizeof *s);
	return s;
}

struct ship *
battle_crewed_ship(const struct battle *b)
{
	int i;

	for (i = 0; i < b->nships; i++)
		if (b->ships[i].crewed)
			return &b->ships[i];
	return NULL;
}

struct player *
battle_player(const struct battle *b, int id)
{
	int i;

	for (i = 0; i < b->nplayers; i++)
		if (b->players[i].id == id)
			return &b->players[i];
	return NULL;
}

bool
battle_ship_operational(const struct ship *s)
{
	return s->hull > 0;
}

/* An empty station rolls with skill 0: nobody is there to help. */
int
battle_station_skill(const struct battle *b, enum station station)
{
	struct player *p = battle_player(b, b->holder[station]);

	return p != NULL ? p->skill : 0;
}

/*
 * Whether the crew sees a ship: its own side always; a hostile ship when
 * it is not hidden and within the sensor range of an operational
 * crew-side ship.
 */
bool
battle_detected(const struct battle *b, const struct ship *s)
{
	const struct ship *o;
	int i;

	if (s->side == SIDE_CREW)
		return true;
	if (s->hidden)
		return false;
	for (i = 0; i < b->nships; i++) {
		o = &b->ships[i];
		if (o->side != SIDE_CREW || !battle_ship_operational(o))
			continue;
		if (ship_distance(o->x, o->y, s->x, s->y) <=
		    ship_effective_sensors(o->sensors,
		    o->damaged[SYSTEM_SENSORS]))
			return true;
	}
	return false;
}

static bool
side_has_operational_ship(const struct battle *b, enum side side)
{
	int i;

	for (i = 0; i < b->nships; i++)
		if (b->ships[i].side == side &&
		    battle_ship_operational(&b->ships[i]))
			return true;
	return false;
}

int
battle_start(struct battle *b, const struct actor *who, json_t *log,
    struct refusal *why)
{
	json_t *entry;
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0)
		return rc;
	if (b->phase != PHASE_LOBBY)
		return refuse(why, REFUSAL_NOT_LOBBY,
		    "the battle has already started");
	if (!side_has_operational_ship(b, SIDE_CREW) ||
	    !side_has_operational_ship(b, SIDE_HOSTILE))
		return refuse(why, REFUSAL_SIDE_EMPTY,
		    "each side needs at least one operational ship; add "
		    "ships before starting");
	b->phase = PHASE_PLANNING;
	b->round = 1;
	b->deadline = 0;
	order_clear_all(b);
	entry = combatlog_new(b, "battle_start");
	combatlog_finish(log, entry);
	return 0;
}

int
battle_end(struct battle *b, const struct actor *who, json_t *log,
    struct refusal *why)
{
	json_t *entry;
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = battle_check_not_ended(b, why)) < 0)
		return rc;
	b->phase = PHASE_ENDED;
	b->winner = SIDE_NONE;
	b->deadline = 0;
	b->paused_left = 0;
	entry = combatlog_new(b, "battle_end");
	json_object_set_new(entry, "winner", json_string("none"));
	json_object_set_new(entry, "reason", json_string("gm"));
	combatlog_finish(log, entry);
	return 0;
}

int
battle_narrate(struct battle *b, const struct actor *who, const char *text,
    json_t *log, struct refusal *why)
{
	json_t *entry, *narration;
	size_t len;
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0)
		return rc;
	len = text != NULL ? strlen(text) : 0;
	if (len == 0)
		return refuse(why, REFUSAL_MALFORMED,
		    "the narration is empty; write something");
	if (len > NARRATION_MAX)
		return refuse(why, REFUSAL_TEXT_TOO_LONG,
		    "the narration is longer than %d bytes; shorten it",
		    NARRATION_MAX);
	/* jansson refuses invalid UTF-8 by returning NULL. */
	if ((narration = json_string(text)) == NULL)
		return refuse(why, REFUSAL_MALFORMED,
		    "the narration must be valid UTF-8");
	entry = combatlog_new(b, "narration");
	json_object_set_new(entry, "narration", narration);
	combatlog_finish(log, entry);
	return 0;
}
