/*
 * Saving and loading a whole battle as compact JSON: everything the
 * engine needs to continue exactly where it was, the dice generator's
 * state and this round's orders included.  Keys are sorted, so the text
 * is canonical and its hash (FNV-1a) identifies a state.
 *
 * Version history:
 *   1  the first format.
 * A later engine keeps reading every older version; this one refuses
 * versions it does not know.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "game/field.h"
#include "game/state.h"

#define CODEC_VERSION	1

/* ------------------------------------------------------------------ */
/* Saving                                                              */

static json_t *
save_ship(const struct ship *s)
{
	json_t *j, *weapons = battle_ship_weapons(s), *damaged = json_array();
	int i;

	for (i = 0; i < SYSTEM_DAMAGEABLE; i++)
		if (s->damaged[i])
			json_array_append_new(damaged, json_string(
			    ship_system_name((enum system)i)));
	j = json_pack("{s:i, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:i, "
	    "s:i, s:i, s:i, s:i, s:o, s:o, s:b, s:s}", "id", s->id,
	    "name", s->name, "class", ship_class_template(s->class)->name,
	    "side", side_name(s->side), "crewed", s->crewed, "x", s->x,
	    "y", s->y, "hull", s->hull, "hull_max", s->hull_max,
	    "armor", s->armor, "thrust", s->thrust, "sensors", s->sensors,
	    "evasion", s->evasion, "skill", s->skill, "weapons", weapons,
	    "damaged", damaged, "hidden", s->hidden, "notes", s->notes);
	if (s->order.given)
		json_object_set_new(j, "order", order_to_json(&s->order));
	return j;
}

static json_t *
save_crew(const struct battle *b, json_t *root)
{
	json_t *players = json_array(), *stations = json_object();
	json_t *orders = json_object();
	const char *name;
	int i;

	for (i = 0; i < b->nplayers; i++)
		json_array_append_new(players, json_pack("{s:i, s:s, s:i}",
		    "id", b->players[i].id, "name", b->players[i].name,
		    "skill", b->players[i].skill));
	for (i = 0; i < STATION_COUNT; i++) {
		name = station_name((enum station)i);
		if (b->holder[i] != 0)
			json_object_set_new(stations, name,
			    json_integer(b->holder[i]));
		if (b->station_order[i].given)
			json_object_set_new(orders, name,
			    order_to_json(&b->station_order[i]));
	}
	json_object_set_new(root, "players", players);
	json_object_set_new(root, "stations", stations);
	json_object_set_new(root, "station_orders", orders);
	return root;
}

char *
codec_save(const struct battle *b, size_t *len)
{
	json_t *root, *ships = json_array();
	char rng[2][17];
	char *text;
	int i;

	for (i = 0; i < b->nships; i++)
		json_array_append_new(ships, save_ship(&b->ships[i]));
	snprintf(rng[0], sizeof rng[0], "%016" PRIx64, b->rng.state);
	snprintf(rng[1], sizeof rng[1], "%016" PRIx64, b->rng.inc);
	root = json_pack("{s:i, s:s, s:i, s:I, s:i, s:b, s:s, s:i, s:i, "
	    "s:[s,s], s:I, s:i, s:i, s:o}", "version", CODEC_VERSION,
	    "phase", phase_name(b->phase), "round", b->round,
	    "deadline", (json_int_t)b->deadline,
	    "round_seconds", b->round_seconds, "spectators", b->spectators,
	    "winner", side_name(b->winner),
	    "max_ships", b->limits.max_ships,
	    "max_players", b->limits.max_players, "rng", rng[0], rng[1],
	    "next_seq", (json_int_t)b->next_seq,
	    "next_ship", b->next_ship_id, "next_player", b->next_player_id,
	    "ships", ships);
	/* Only when stopped: a running clock saves as it always did. */
	if (b->paused_left > 0)
		json_object_set_new(root, "paused_left",
		    json_integer(b->paused_left));
	save_crew(b, root);
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	/* jansson fails here only when out of memory: fatal (alloc.h). */
	if (text == NULL)
		abort();
	if (len != NULL)
		*len = strlen(text);
	return text;
}

uint64_t
codec_hash(const struct battle *b)
{
	char *text = codec_save(b, NULL);
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	free(text);
	return h;
}

/* ------------------------------------------------------------------ */
/* Loading: every value checked; any fault is BS_ERR_INVALID.          */

static int
load_name(const json_t *j, const char *key, const char *const *names,
    int count, int *out)
{
	const char *s = json_string_value(json_object_get(j, key));
	int i;

	for (i = 0; s != NULL && i < count; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return BS_ERR_INVALID;
}

static int
load_string(const json_t *j, const char *key, size_t max, bool may_be_empty,
    char **out)
{
	const char *s;

	if (field_string(j, key, max, may_be_empty, &s, NULL) != 1)
		return BS_ERR_INVALID;
	*out = xstrdup(s);
	return 0;
}

/* Reads integers: each key, its range and where it goes. */
struct int_field {
	const char	*key;
	int		 min, max;
	int		*out;
};

static int
load_ints(const json_t *j, const struct int_field *fields)
{
	for (; fields->key != NULL; fields++)
		if (field_need_int(j, fields->key, fields->min, fields->max,
		    fields->out, NULL) < 0 ||
		    !json_is_integer(json_object_get(j, fields->key)))
			return BS_ERR_INVALID;
	return 0;
}

static int
load_weapons(const json_t *list, struct ship *s)
{
	static const char *const mount_fields[] = { "type", "ammo", NULL };
	const char *type;
	json_t *w;
	size_t i;
	int needs;

	if (!json_is_array(list) || json_array_size(list) > SHIP_MAX_WEAPONS)
		return BS_ERR_INVALID;
	json_array_foreach(list, i, w) {
		if (field_check(w, "weapon", mount_fields, NULL) < 0 ||
		    (type = json_string_value(json_object_get(w, "type"))) ==
		    NULL ||
		    ship_weapon_from_name(type, &s->weapons[i].type) < 0)
			return BS_ERR_INVALID;
		needs = ship_weapon_template(s->weapons[i].type)->ammo !=
		    NO_AMMO;
		s->weapons[i].ammo = NO_AMMO;
		if (needs != (json_object_get(w, "ammo") != NULL) ||
		    field_int(w, "ammo", 0, SHIP_MAX_AMMO,
		    &s->weapons[i].ammo, NULL) < 0)
			return BS_ERR_INVALID;
	}
	s->nweapons = (int)json_array_size(list);
	return 0;
}

static int
load_damaged(const json_t *list, struct ship *s)
{
	enum system sys;
	json_t *v;
	size_t i;

	if (!json_is_array(list))
		return BS_ERR_INVALID;
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) ||
		    ship_system_from_name(json_string_value(v), &sys) < 0 ||
		    sys == SYSTEM_HULL)
			return BS_ERR_INVALID;
		s->damaged[sys] = true;
	}
	return 0;
}

static int
load_ship_numbers(const json_t *j, struct ship *s)
{
	int class, side, crewed = 0, hidden = 0;
	const struct int_field ints[] = {
		{ "id", 1, INT_MAX - 1, &s->id },
		{ "x", 0, MAP_SIZE, &s->x },
		{ "y", 0, MAP_SIZE, &s->y },
		{ "hull_max", 1, SHIP_MAX_HULL, &s->hull_max },
		{ "armor", 0, SHIP_MAX_ARMOR, &s->armor },
		{ "thrust", 0, SHIP_MAX_THRUST, &s->thrust },
		{ "sensors", 0, SHIP_MAX_SENSORS, &s->sensors },
		{ "evasion", -SHIP_MAX_EVASION, SHIP_MAX_EVASION,
		    &s->evasion },
		{ "skill", 0, SKILL_MAX, &s->skill },
		{ NULL, 0, 0, NULL }
	};
	static const char *const classes[CLASS_COUNT] = { "scout",
	    "corvette", "trader", "frigate", "destroyer" };
	static const char *const sides[2] = { "crew", "hostile" };

	if (load_ints(j, ints) < 0 ||
	    field_need_int(j, "hull", 0, s->hull_max, &s->hull, NULL) < 0 ||
	    load_name(j, "class", classes, CLASS_COUNT, &class) < 0 ||
	    load_name(j, "side", sides, 2, &side) < 0 ||
	    !json_is_boolean(json_object_get(j, "crewed")) ||
	    !json_is_boolean(json_object_get(j, "hidden")))
		return BS_ERR_INVALID;
	crewed = json_is_true(json_object_get(j, "crewed"));
	hidden = json_is_true(json_object_get(j, "hidden"));
	s->class = (enum ship_class)class;
	s->side = (enum side)side;
	s->crewed = crewed;
	s->hidden = hidden;
	if (s->crewed && s->side != SIDE_CREW)
		return BS_ERR_INVALID;
	return 0;
}

static int
load_ship(const json_t *j, struct ship *s)
{
	static const char *const ship_fields[] = { "id", "name", "class",
	    "side", "crewed", "x", "y", "hull", "hull_max", "armor", "thrust",
	    "sensors", "evasion", "skill", "weapons", "damaged", "hidden",
	    "notes", "order", NULL };
	json_t *order;

	if (field_check(j, "ship", ship_fields, NULL) < 0 ||
	    load_ship_numbers(j, s) < 0 ||
	    load_weapons(json_object_get(j, "weapons"), s) < 0 ||
	    load_damaged(json_object_get(j, "damaged"), s) < 0 ||
	    load_string(j, "name", SHIP_NAME_MAX, false, &s->name) < 0 ||
	    load_string(j, "notes", SHIP_NOTES_MAX, true, &s->notes) < 0)
		return BS_ERR_INVALID;
	if ((order = json_object_get(j, "order")) != NULL &&
	    order_parse_ship(order, &s->order, NULL) < 0)
		return BS_ERR_INVALID;
	return 0;
}

static int
load_ships(const json_t *list, struct battle *b)
{
	struct ship *s;
	json_t *j;
	size_t i;
	int crewed = 0;

	if (!json_is_array(list) ||
	    json_array_size(list) > (size_t)b->limits.max_ships)
		return BS_ERR_INVALID;
	json_array_foreach(list, i, j) {
		s = battle_ship_append(b);
		if (load_ship(j, s) < 0 || s->id >= b->next_ship_id ||
		    (i > 0 && s->id <= s[-1].id) || (crewed += s->crewed) > 1)
			return BS_ERR_INVALID;
	}
	return 0;
}

static int
load_players(const json_t *list, struct battle *b)
{
	static const char *const player_fields[] = { "id", "name", "skill",
	    NULL };
	struct player *p;
	json_t *j;
	size_t i;

	if (!json_is_array(list) ||
	    json_array_size(list) > (size_t)b->limits.max_players)
		return BS_ERR_INVALID;
	json_array_foreach(list, i, j) {
		p = &b->players[b->nplayers];
		if (field_check(j, "player", player_fields, NULL) < 0 ||
		    field_need_int(j, "id", 1, b->next_player_id - 1, &p->id,
		    NULL) < 0 ||
		    battle_player(b, p->id) != NULL ||
		    field_need_int(j, "skill", 0, SKILL_MAX, &p->skill,
		    NULL) < 0 ||
		    load_string(j, "name", PLAYER_NAME_MAX, false,
		    &p->name) < 0)
			return BS_ERR_INVALID;
		b->nplayers++;
	}
	return 0;
}

static int
load_stations(const json_t *root, struct battle *b)
{
	json_t *holders = json_object_get(root, "stations");
	json_t *orders = json_object_get(root, "station_orders"), *v;
	enum station st;
	const char *key;

	if (!json_is_object(holders) || !json_is_object(orders))
		return BS_ERR_INVALID;
	json_object_foreach(holders, key, v) {
		if (station_from_name(key, &st) < 0 || !json_is_integer(v) ||
		    battle_player(b, (int)json_integer_value(v)) == NULL)
			return BS_ERR_INVALID;
		b->holder[st] = (int)json_integer_value(v);
	}
	json_object_foreach(orders, key, v) {
		if (station_from_name(key, &st) < 0 ||
		    order_parse_station(v, st, &b->station_order[st],
		    NULL) < 0)
			return BS_ERR_INVALID;
	}
	return 0;
}

static int
load_rng(const json_t *root, struct rng *rng)
{
	json_t *pair = json_object_get(root, "rng");
	uint64_t words[2];
	const char *s;
	char *end;
	int i;

	if (!json_is_array(pair) || json_array_size(pair) != 2)
		return BS_ERR_INVALID;
	for (i = 0; i < 2; i++) {
		s = json_string_value(json_array_get(pair, (size_t)i));
		if (s == NULL || strlen(s) != 16 ||
		    strspn(s, "0123456789abcdef") != 16)
			return BS_ERR_INVALID;
		words[i] = strtoull(s, &end, 16);
	}
	if ((words[1] & 1) == 0)
		return BS_ERR_INVALID;
	rng->state = words[0];
	rng->inc = words[1];
	return 0;
}

static int
load_battle(const json_t *root, struct battle *b)
{
	static const char *const phases[] = { "lobby", "planning",
	    "resolving", "ended" };
	static const char *const winners[] = { "crew", "hostile", "none" };
	int phase, winner, spectators;
	int64_t deadline, seq;
	const struct int_field ints[] = {
		{ "round", 0, INT_MAX - 1, &b->round },
		{ "round_seconds", BATTLE_MIN_ROUND_SECONDS,
		    BATTLE_MAX_ROUND_SECONDS, &b->round_seconds },
		{ "next_ship", 1, INT_MAX, &b->next_ship_id },
		{ "next_player", 1, INT_MAX, &b->next_player_id },
		{ NULL, 0, 0, NULL }
	};

	if (load_ints(root, ints) < 0 ||
	    load_name(root, "phase", phases, 4, &phase) < 0 ||
	    load_name(root, "winner", winners, 3, &winner) < 0 ||
	    field_int64(root, "deadline", &deadline, NULL) != 1 ||
	    field_int64(root, "next_seq", &seq, NULL) != 1 || seq < 1 ||
	    !json_is_boolean(json_object_get(root, "spectators")) ||
	    load_rng(root, &b->rng) < 0)
		return BS_ERR_INVALID;
	spectators = json_is_true(json_object_get(root, "spectators"));
	b->phase = (enum battle_phase)phase;
	b->winner = (enum side)winner;
	b->deadline = deadline;
	if (json_object_get(root, "paused_left") != NULL &&
	    (field_int64(root, "paused_left", &b->paused_left, NULL) != 1 ||
	    b->paused_left <= 0 || b->phase != PHASE_PLANNING))
		return BS_ERR_INVALID;
	b->next_seq = (uint64_t)seq;
	b->spectators = spectators;
	/* The GM may end a battle in the lobby: ended at round 0. */
	if ((b->phase == PHASE_LOBBY && b->round != 0) ||
	    ((b->phase == PHASE_PLANNING || b->phase == PHASE_RESOLVING) &&
	    b->round == 0))
		return BS_ERR_INVALID;
	if (load_players(json_object_get(root, "players"), b) < 0 ||
	    load_stations(root, b) < 0 ||
	    load_ships(json_object_get(root, "ships"), b) < 0)
		return BS_ERR_INVALID;
	return 0;
}

int
codec_load(struct battle **out, const char *blob, size_t len)
{
	static const char *const top_fields[] = { "version", "phase",
	    "round", "deadline", "round_seconds", "spectators", "winner",
	    "max_ships", "max_players", "rng", "next_seq", "next_ship",
	    "next_player", "ships", "players", "stations", "station_orders",
	    "paused_left", NULL };
	struct battle_limits limits;
	struct battle *b = NULL;
	json_t *root;
	int version, rc = BS_ERR_INVALID;
	const struct int_field ints[] = {
		{ "version", 1, CODEC_VERSION, &version },
		{ "max_ships", 1, BATTLE_HARD_MAX_SHIPS, &limits.max_ships },
		{ "max_players", 1, BATTLE_HARD_MAX_PLAYERS,
		    &limits.max_players },
		{ NULL, 0, 0, NULL }
	};

	root = json_loadb(blob, len, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL || field_check(root, "battle", top_fields,
	    NULL) < 0 || load_ints(root, ints) < 0)
		goto out;
	b = battle_alloc(&limits);
	if (load_battle(root, b) < 0)
		goto out;
	*out = b;
	b = NULL;
	rc = 0;
out:
	battle_free(b);
	json_decref(root);
	return rc;
}
