/*
 * Helpers the game engine's unit tests share (linked into each
 * test_game_* program; declared in test_game_support.h).  They drive the
 * engine only through src/game/game.h, as the daemon does.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "game/game.h"
#include "test_game_support.h"

const struct actor tg_gm = { ACTOR_GM, 0 };
const struct actor tg_spectator = { ACTOR_SPECTATOR, 0 };

struct actor
tg_player_actor(int id)
{
	struct actor a = { ACTOR_PLAYER, id };

	return a;
}

json_t *
tg_jsonf(const char *fmt, ...)
{
	char buf[4096];
	json_error_t err;
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	j = json_loads(buf, JSON_DECODE_ANY, &err);
	if (j == NULL)
		fail_msg("bad test JSON %s: %s", buf, err.text);
	return j;
}

struct battle *
tg_battle(uint64_t seed)
{
	struct battle *b = NULL;

	assert_int_equal(battle_new(&b, seed, NULL), 0);
	return b;
}

int
tg_ship(struct battle *b, const char *fmt, ...)
{
	char buf[2048];
	struct refusal why = { 0 };
	json_t *spec;
	va_list ap;
	int id = 0, rc;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	spec = tg_jsonf("%s", buf);
	rc = fleet_add(b, &tg_gm, spec, &id, &why);
	json_decref(spec);
	if (rc != 0)
		fail_msg("fleet_add %s: %s", buf, why.text);
	return id;
}

void
tg_edit(struct battle *b, int ship, const char *fmt, ...)
{
	char buf[2048];
	struct refusal why = { 0 };
	json_t *changes;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	changes = tg_jsonf("%s", buf);
	rc = fleet_edit(b, &tg_gm, ship, changes, &why);
	json_decref(changes);
	if (rc != 0)
		fail_msg("fleet_edit %s: %s", buf, why.text);
}

/* A player holding the stations named in a comma list ("pilot,gunner"). */
int
tg_player(struct battle *b, const char *name, int skill,
    const char *stations)
{
	char list[128], *tok, *save = NULL;
	enum station st;
	int id = 0;

	assert_int_equal(crew_player_add(b, name, &id, NULL), 0);
	assert_int_equal(crew_set_skill(b, &tg_gm, id, skill, NULL), 0);
	snprintf(list, sizeof list, "%s", stations);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		assert_int_equal(station_from_name(tok, &st), 0);
		assert_int_equal(crew_assign(b, &tg_gm, id, st, NULL), 0);
	}
	return id;
}

int
tg_order(struct battle *b, const struct actor *who, struct refusal *why,
    const char *fmt, ...)
{
	char buf[2048];
	json_t *order;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	order = tg_jsonf("%s", buf);
	rc = order_submit(b, who, order, why);
	json_decref(order);
	return rc;
}

void
tg_start(struct battle *b)
{
	struct refusal why = { 0 };

	if (battle_start(b, &tg_gm, NULL, &why) != 0)
		fail_msg("battle_start: %s", why.text);
}

json_t *
tg_resolve(struct battle *b)
{
	json_t *log = json_array();

	assert_int_equal(resolve_round(b, log), 0);
	return log;
}

/* The nth (0-based) entry of a kind, borrowed from log, or NULL. */
json_t *
tg_find(const json_t *log, const char *kind, int nth)
{
	json_t *e;
	size_t i;

	json_array_foreach(log, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "kind")),
		    kind) == 0 && nth-- == 0)
			return e;
	}
	return NULL;
}

int
tg_count(const json_t *log, const char *kind)
{
	int n = 0;

	while (tg_find(log, kind, n) != NULL)
		n++;
	return n;
}

/* The GM's view of one ship; the caller decrefs. */
json_t *
tg_gm_ship(const struct battle *b, int ship)
{
	json_t *view = view_battle(b, VIEWER_GM), *s;
	char key[16];

	snprintf(key, sizeof key, "%d", ship);
	s = json_object_get(json_object_get(view, "ships"), key);
	if (s == NULL)
		fail_msg("no ship %d", ship);
	json_incref(s);
	json_decref(view);
	return s;
}

int
tg_ship_int(const struct battle *b, int ship, const char *key)
{
	json_t *s = tg_gm_ship(b, ship);
	json_t *v = json_object_get(s, key);
	int n;

	if (!json_is_integer(v))
		fail_msg("ship %d has no integer %s", ship, key);
	n = (int)json_integer_value(v);
	json_decref(s);
	return n;
}

/* Strings are interned per call: the result lives until the next call. */
const char *
tg_ship_str(const struct battle *b, int ship, const char *key)
{
	static char buf[256];
	json_t *s = tg_gm_ship(b, ship);
	json_t *v = json_object_get(s, key);

	if (json_is_object(v))	/* "systems": "drive=ok,..." */
		snprintf(buf, sizeof buf, "%s,%s,%s",
		    json_string_value(json_object_get(v, "drive")),
		    json_string_value(json_object_get(v, "weapons")),
		    json_string_value(json_object_get(v, "sensors")));
	else if (json_is_string(v))
		snprintf(buf, sizeof buf, "%s", json_string_value(v));
	else
		fail_msg("ship %d has no string %s", ship, key);
	json_decref(s);
	return buf;
}

/* total == sum(dice) + sum(modifiers), and hit/success follow need. */
void
tg_check_entry_sums(const json_t *e)
{
	json_t *v;
	size_t i;
	int sum = 0;

	json_array_foreach(json_object_get(e, "dice"), i, v) {
		assert_in_range(json_integer_value(v), 1, 6);
		sum += (int)json_integer_value(v);
	}
	json_array_foreach(json_object_get(e, "modifiers"), i, v) {
		assert_int_not_equal(json_integer_value(json_object_get(v,
		    "value")), 0);
		sum += (int)json_integer_value(json_object_get(v, "value"));
	}
	assert_int_equal(sum, json_integer_value(json_object_get(e, "total")));
}

char *
tg_dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

struct battle *
tg_duel(uint64_t seed)
{
	struct battle *b = tg_battle(seed);

	assert_int_equal(tg_ship(b, "{\"class\":\"corvette\",\"side\":\"crew\","
	    "\"crewed\":true,\"x\":100,\"y\":100,\"name\":\"Dauntless\"}"), 1);
	assert_int_equal(tg_ship(b, "{\"class\":\"frigate\",\"side\":"
	    "\"hostile\",\"x\":300,\"y\":100,\"name\":\"Raider\"}"), 2);
	assert_int_equal(tg_player(b, "Ann", 3,
	    "captain,pilot,gunner,engineer,sensors"), 1);
	tg_start(b);
	return b;
}

int
tg_modifier(const json_t *entry, const char *name)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(entry, "modifiers"), i, m) {
		if (strcmp(json_string_value(json_object_get(m, "name")),
		    name) == 0)
			return (int)json_integer_value(json_object_get(m,
			    "value"));
	}
	return 0;
}

int
tg_int(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("no integer %s", key);
	return (int)json_integer_value(v);
}
