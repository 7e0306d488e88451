/*
 * Properties over many random battles (seeded, so any failure replays):
 * ammo never negative, hull within 0..maximum, destroyed ships never
 * act, and nothing the crew or a spectator may not see ever reaches
 * their projection or their copy of the log, checked on the serialized
 * bytes with marker strings in GM notes and hidden ships' names.
 * And view_battle_patch(), the event stream's change-tracked delta, gives
 * exactly the merge patch of the two whole projections (the reference:
 * project both, diff) after every kind of change.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "game/game.h"

#include "test_game_support.h"

#include "game/rng.h"
#include "patch.h"

#define BATTLES		80
#define MAX_ROUNDS	24

static const char *const classes[] = { "scout", "corvette", "trader",
	"frigate", "destroyer" };
static const char *const stations[] = { "captain", "pilot", "gunner",
	"engineer", "sensors" };
static const char *const systems[] = { "drive", "weapons", "sensors",
	"hull" };

static int
roll(struct rng *r, int n)
{
	return rng_die(r, n) - 1;	/* 0..n-1 */
}

static struct battle *
random_battle(struct rng *r, int *players)
{
	struct battle *b = tg_battle(rng_next(r));
	int i, n, p, id;

	tg_ship(b, "{\"class\":\"%s\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":%d,\"y\":%d,\"notes\":\"NoteMark1x\"}", classes[roll(r, 5)],
	    roll(r, 1001), roll(r, 1001));
	n = roll(r, 3);
	for (i = 0; i < n; i++)
		tg_ship(b, "{\"class\":\"%s\",\"side\":\"crew\",\"x\":%d,"
		    "\"y\":%d,\"notes\":\"NoteMark%dx\"}", classes[roll(r, 5)],
		    roll(r, 1001), roll(r, 1001), i + 2);
	n = 2 + roll(r, 7);
	for (i = 0; i < n; i++) {
		id = tg_ship(b, "{\"class\":\"%s\",\"side\":\"hostile\","
		    "\"x\":%d,\"y\":%d,\"hidden\":%s,\"skill\":%d,"
		    "\"notes\":\"NoteMark%dx\"}", classes[roll(r, 5)],
		    400 + roll(r, 601), roll(r, 1001),
		    roll(r, 3) == 0 ? "true" : "false", roll(r, 4), 100 + i);
		tg_edit(b, id, "{\"name\":\"Ship%dMark\"}", id);
	}
	*players = 1 + roll(r, 3);
	for (p = 1; p <= *players; p++)
		assert_int_equal(crew_player_add(b, "P", NULL, NULL), 0);
	for (i = 0; i < 5; i++)
		if (roll(r, 5) != 0)
			assert_int_equal(crew_assign(b, &tg_gm, 1 +
			    roll(r, *players), (enum station)i, NULL), 0);
	tg_start(b);
	return b;
}

static void check_patch(const struct battle *, const struct battle *);

/* The crewed ship's coordinate axis ('x' or 'y'), moved by -2..2. */
static int
near(const struct battle *b, char axis, struct rng *r)
{
	json_t *gm = view_battle(b, VIEWER_GM), *ship;
	const char *key;
	int at = 500;

	json_object_foreach(json_object_get(gm, "ships"), key, ship)
		if (json_is_true(json_object_get(ship, "crewed")))
			at = (int)json_integer_value(json_object_get(ship,
			    axis == 'x' ? "x" : "y"));
	json_decref(gm);
	at += roll(r, 5) - 2;
	return at < 0 ? 0 : at > 1000 ? 1000 : at;
}

/*
 * While step_from is set (test_random_battles() sets it for some
 * rounds), every single change random_orders() makes is checked on its
 * own: the patch of one order is what a lone order's publish sends.
 */
static struct battle *step_from;

static void
step(const struct battle *b)
{
	if (step_from == NULL)
		return;
	check_patch(step_from, b);
	battle_free(step_from);
	step_from = battle_copy(b);
}

#define ORDER(b, ...) do {						\
	tg_order(b, __VA_ARGS__);					\
	step(b);							\
} while (0)

static void
random_orders(struct battle *b, struct rng *r, int players)
{
	const int round = battle_round(b);
	int i, n = battle_limits(b).max_ships + 12;
	struct actor who;

	for (i = 0; i < 8; i++) {
		who = tg_player_actor(1 + roll(r, players));
		switch (roll(r, 7)) {
		case 0:
			ORDER(b, &who, NULL, "{\"round\":%d,\"station\":"
			    "\"gunner\",\"type\":\"fire\",\"fire\":[{\"weapon\":0,"
			    "\"target\":%d},{\"weapon\":%d,\"target\":%d}]}",
			    round, 1 + roll(r, 12), 1 + roll(r, 2),
			    1 + roll(r, 12));
			break;
		case 1:
			/* Anywhere (often out of reach), or a step away. */
			ORDER(b, &who, NULL, "{\"round\":%d,\"station\":"
			    "\"pilot\",\"type\":\"move\",\"x\":%d,\"y\":%d}",
			    round, roll(r, 2) ? roll(r, 1001) : near(b, 'x', r),
			    roll(r, 2) ? roll(r, 1001) : near(b, 'y', r));
			break;
		case 2:
			ORDER(b, &who, NULL, "{\"round\":%d,\"station\":"
			    "\"sensors\",\"type\":\"%s\",\"target\":%d}", round,
			    roll(r, 2) ? "lock" : "jam", 1 + roll(r, 12));
			ORDER(b, &who, NULL, "{\"round\":%d,\"station\":"
			    "\"sensors\",\"type\":\"scan\"}", round);
			break;
		case 3:
			ORDER(b, &who, NULL, "{\"round\":%d,\"station\":"
			    "\"engineer\",\"type\":\"%s\",\"system\":\"%s\"}",
			    round, roll(r, 2) ? "repair" : "overcharge",
			    systems[roll(r, 4)]);
			break;
		case 4:
			ORDER(b, &who, NULL, "{\"round\":%d,\"station\":"
			    "\"%s\",\"type\":\"%s\"}", round, stations[roll(r,
			    5)], roll(r, 2) ? "tactics" : "evade");
			break;
		default:
			break;
		}
	}
	for (i = 1; i < n; i++) {
		ORDER(b, &tg_gm, NULL, "{\"round\":%d,\"ship\":%d,"
		    "\"fire\":[{\"weapon\":0,\"target\":%d},{\"weapon\":%d,"
		    "\"target\":%d}]%s}", round, i, 1 + roll(r, 3),
		    1 + roll(r, 2), 1 + roll(r, 3), roll(r, 4) ? "" :
		    ",\"evade\":true");
		ORDER(b, &tg_gm, NULL, "{\"round\":%d,\"ship\":%d,"
		    "\"fire\":[{\"weapon\":0,\"target\":%d}]}", round, i,
		    1 + roll(r, 3));
	}
	if (roll(r, 4) == 0) {
		fleet_set_hidden(b, &tg_gm, 1 + roll(r, n), roll(r, 2), NULL);
		step(b);
	}
}

/*
 * Gives every order still waiting (the simplest each station or ship
 * takes), so that the round is all in: the GM's "orders_in" turns true.
 * Returns whether it did.
 */
static bool
fill_orders(struct battle *b)
{
	static const char *const simplest[] = { "\"type\":\"tactics\"",
	    "\"type\":\"evade\"", "\"type\":\"fire\",\"fire\":[]",
	    "\"type\":\"repair\",\"system\":\"drive\"",
	    "\"type\":\"scan\"" };
	json_t *gm = view_battle(b, VIEWER_GM), *w, *id;
	const char *station;
	struct actor who;
	size_t i;
	bool in;

	w = json_object_get(gm, "waiting_for");
	json_array_foreach(json_object_get(w, "stations"), i, id) {
		station = json_string_value(id);
		for (int k = 0; k < 5; k++)
			if (strcmp(station, stations[k]) == 0) {
				who = tg_player_actor((int)json_integer_value(
				    json_object_get(json_object_get(gm,
				    "stations"), station)));
				ORDER(b, &who, NULL, "{\"round\":%d,"
				    "\"station\":\"%s\",%s}", battle_round(b),
				    station, simplest[k]);
			}
	}
	json_array_foreach(json_object_get(w, "ships"), i, id)
		ORDER(b, &tg_gm, NULL, "{\"round\":%d,\"ship\":%d,"
		    "\"evade\":true}", battle_round(b),
		    (int)json_integer_value(id));
	json_decref(gm);
	gm = view_battle(b, VIEWER_GM);
	in = json_is_true(json_object_get(gm, "orders_in"));
	json_decref(gm);
	return in;
}

static int
num(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static bool
is_hostile(const json_t *ship)
{
	return strcmp(json_string_value(json_object_get(ship, "side")),
	    "hostile") == 0;
}

/* The detection rule, written out again from the GM's view. */
static bool
crew_detects(const json_t *ships, const json_t *s)
{
	const char *key;
	json_t *o;
	int range;

	if (!is_hostile(s))
		return true;
	if (json_is_true(json_object_get(s, "hidden")))
		return false;
	json_object_foreach((json_t *)ships, key, o) {
		if (is_hostile(o) || num(o, "hull") <= 0)
			continue;
		range = num(o, "sensors");
		if (strcmp(json_string_value(json_object_get(json_object_get(o,
		    "systems"), "sensors")), "damaged") == 0)
			range /= 2;
		if ((num(o, "x") - num(s, "x")) * (num(o, "x") - num(s, "x")) +
		    (num(o, "y") - num(s, "y")) * (num(o, "y") - num(s, "y")) <
		    (range + 1) * (range + 1))	/* distance rounds down */
			return true;
	}
	return false;
}

/* Every "actor", "target" or "ship" id anywhere in j is seen by crew. */
static void
check_ids_seen(const json_t *j, const json_t *gm_ships, const bool *seen)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_array(j)) {
		json_array_foreach((json_t *)j, i, v)
			check_ids_seen(v, gm_ships, seen);
		return;
	}
	if (!json_is_object(j))
		return;
	json_object_foreach((json_t *)j, key, v) {
		if ((strcmp(key, "actor") == 0 || strcmp(key, "target") == 0 ||
		    strcmp(key, "ship") == 0) && json_is_integer(v) &&
		    json_integer_value(v) < 300 &&
		    !seen[json_integer_value(v)])
			fail_msg("crew sees id %d under %s",
			    (int)json_integer_value(v), key);
		check_ids_seen(v, gm_ships, seen);
	}
}

/* Marker strings of GM notes and of names the crew may not see. */
static void
check_bytes(const json_t *j, const bool *seen, int max_id)
{
	char *text = tg_dump(j), marker[32];
	int id;

	if (strstr(text, "NoteMark") != NULL)
		fail_msg("GM notes leak: %s", text);
	for (id = 1; id <= max_id; id++) {
		snprintf(marker, sizeof marker, "Ship%dMark", id);
		if (!seen[id] && strstr(text, marker) != NULL)
			fail_msg("undetected ship %d leaks: %s", id, text);
	}
	free(text);
}

static const char *const hostile_rolls[] = { "dice", "modifiers", "total",
	"effect", "damage_dice", "damage_roll", "damage_bonus", "weapon",
	NULL };
static const char *const hostile_harm[] = { "armor", "damage", "hull",
	NULL };

static bool
side_is(const json_t *e, const char *key, const char *side)
{
	const char *s = json_string_value(json_object_get(e, key));

	return s != NULL && strcmp(s, side) == 0;
}

static void
check_entry(const json_t *e)
{
	size_t i;
	json_t *item;

	for (i = 0; hostile_rolls[i] != NULL; i++)
		if (side_is(e, "actor_side", "hostile") &&
		    json_object_get(e, hostile_rolls[i]) != NULL)
			fail_msg("hostile roll %s shown", hostile_rolls[i]);
	for (i = 0; hostile_harm[i] != NULL; i++)
		if (side_is(e, "target_side", "hostile") &&
		    json_object_get(e, hostile_harm[i]) != NULL)
			fail_msg("hostile %s shown", hostile_harm[i]);
	json_array_foreach(json_object_get(e, "ships"), i, item)
		if (side_is(item, "side", "hostile"))
			assert_int_equal(json_object_size(item), 3);
	json_array_foreach(json_object_get(e, "moves"), i, item)
		if (side_is(item, "side", "hostile"))
			assert_int_equal(json_object_size(item), 5);
}

/* What the crew and spectators get, against the GM's whole truth. */
static void
check_views(const struct battle *b, const json_t *history)
{
	static const char *const outside[] = { "id", "name", "class", "side",
	    "x", "y", "damage", "systems", NULL };
	json_t *gm = view_battle(b, VIEWER_GM), *view, *s, *e, *f, *v;
	json_t *gm_ships = json_object_get(gm, "ships");
	bool seen[300] = { false };
	const char *key, *k2;
	int viewer, max_id = 0;
	size_t i, n;

	json_object_foreach(gm_ships, key, s) {
		seen[num(s, "id")] = crew_detects(gm_ships, s);
		max_id = num(s, "id");
	}
	for (viewer = VIEWER_CREW; viewer <= VIEWER_SPECTATOR; viewer++) {
		view = view_battle(b, (enum viewer)viewer);
		check_bytes(view, seen, max_id);
		json_object_foreach(gm_ships, key, s) {
			v = json_object_get(json_object_get(view, "ships"), key);
			assert_true((v != NULL) == seen[num(s, "id")]);
			if (v == NULL || !is_hostile(s))
				continue;
			json_object_foreach(v, k2, f) {
				for (n = 0; outside[n] != NULL; n++)
					if (strcmp(k2, outside[n]) == 0)
						break;
				if (outside[n] == NULL)
					fail_msg("hostile field %s shown", k2);
			}
		}
		json_object_foreach(json_object_get(json_object_get(view,
		    "orders"), "ships"), key, f)
			assert_false(is_hostile(json_object_get(gm_ships, key)));
		assert_true((json_object_get(view, "orders") != NULL) ==
		    (viewer == VIEWER_CREW));
		check_ids_seen(view, gm_ships, seen);
		json_array_foreach(history, i, e) {
			f = view_log_entry(b, (enum viewer)viewer, e);
			check_bytes(f, seen, max_id);
			check_ids_seen(f, gm_ships, seen);
			check_entry(f);
			json_decref(f);
		}
		json_decref(view);
	}
	json_decref(gm);
}

/* Ammo, hull and "destroyed ships never act" for one resolved round. */
static void
check_round(const struct battle *b, const json_t *before, const json_t *log)
{
	json_t *gm = view_battle(b, VIEWER_GM), *s, *w, *e, *item;
	bool wrecked[300] = { false };
	const char *key, *kind;
	size_t i, k;

	json_object_foreach(json_object_get(before, "ships"), key, s)
		wrecked[num(s, "id")] = num(s, "hull") <= 0;
	json_object_foreach(json_object_get(gm, "ships"), key, s) {
		assert_in_range(num(s, "hull"), 0, num(s, "hull_max"));
		json_array_foreach(json_object_get(s, "weapons"), i, w)
			if (json_object_get(w, "ammo") != NULL)
				assert_in_range(num(w, "ammo"), 0, 6);
	}
	json_array_foreach(log, i, e) {
		kind = json_string_value(json_object_get(e, "kind"));
		json_array_foreach(json_object_get(e, "ships"), k, item)
			assert_false(wrecked[num(item, "ship")]);
		json_array_foreach(json_object_get(e, "moves"), k, item)
			assert_false(wrecked[num(item, "ship")]);
		if (strcmp(kind, "attack") == 0 || strcmp(kind, "lock") == 0 ||
		    strcmp(kind, "jam") == 0 || strcmp(kind, "scan") == 0 ||
		    strcmp(kind, "repair") == 0 ||
		    strcmp(kind, "overcharge") == 0)
			assert_false(wrecked[num(e, "actor")]);
		if (strcmp(kind, "attack") == 0 &&
		    json_is_true(json_object_get(e, "destroyed")))
			wrecked[num(e, "target")] = true;
	}
	json_decref(gm);
}

/*
 * For each viewer: the change-tracked patch from old to b equals the
 * reference (whole projections diffed) and turns old's view into b's.
 */
static void
check_patch(const struct battle *old, const struct battle *b)
{
	for (int v = 0; v < VIEWER_COUNT; v++) {
		json_t *was = view_battle(old, (enum viewer)v);
		json_t *now = view_battle(b, (enum viewer)v);
		json_t *ref = patch_diff(was, now);
		json_t *got, *applied;

		got = view_battle_patch(old, b, (enum viewer)v);
		if (ref == NULL || got == NULL)
			assert_true(ref == got);
		else {
			assert_true(json_equal(ref, got));
			applied = patch_apply(was, got);
			assert_true(json_equal(applied, now));
			json_decref(applied);
		}
		json_decref(was);
		json_decref(now);
		json_decref(ref);
		json_decref(got);
	}
}

/* GM edits of the kinds a ship's projection shows. */
static void
random_edits(struct battle *b, struct rng *r)
{
	int n = battle_limits(b).max_ships + 2;
	json_t *changes;

	switch (roll(r, 6)) {
	case 0:
		fleet_move(b, &tg_gm, 1 + roll(r, n), roll(r, 1001),
		    roll(r, 1001), NULL);
		break;
	case 1:
		changes = tg_jsonf("{\"hull\":%d,\"notes\":\"NoteMark%dx\","
		    "\"systems\":{\"drive\":\"%s\"}}", roll(r, 12),
		    roll(r, 9), roll(r, 2) ? "ok" : "damaged");
		fleet_edit(b, &tg_gm, 1 + roll(r, n), changes, NULL);
		json_decref(changes);
		break;
	case 2:
		changes = tg_jsonf("{\"sensors\":%d,\"name\":\"S%d\"}",
		    roll(r, 5), roll(r, 99));
		fleet_edit(b, &tg_gm, 1 + roll(r, n), changes, NULL);
		json_decref(changes);
		break;
	default:
		break;
	}
}

static void
test_random_battles(void **state)
{
	struct battle *b, *copy;
	json_t *history, *log, *before, *e;
	struct rng r;
	int n, round, players, attacks = 0, ended = 0, all_in = 0;
	size_t i;

	(void)state;
	rng_seed(&r, 2024, 11);
	for (n = 0; n < BATTLES; n++) {
		b = random_battle(&r, &players);
		history = json_array();
		for (round = 0; round < MAX_ROUNDS &&
		    battle_phase(b) == PHASE_PLANNING; round++) {
			copy = battle_copy(b);
			random_edits(b, &r);
			check_patch(copy, b);
			if (round % 3 == 1)
				step_from = battle_copy(b);
			random_orders(b, &r, players);
			if (round % 2 == 0)
				all_in += fill_orders(b);
			check_patch(copy, b);
			battle_free(copy);
			battle_free(step_from);
			step_from = NULL;
			copy = battle_copy(b);
			before = view_battle(b, VIEWER_GM);
			log = tg_resolve(b);
			check_round(b, before, log);
			check_patch(copy, b);
			battle_free(copy);
			/* The whole log is re-read against now at the end. */
			check_views(b, round == 5 ? history : log);
			json_array_foreach(log, i, e) {
				attacks += strcmp(json_string_value(
				    json_object_get(e, "kind")), "attack") == 0;
				json_array_append(history, e);
			}
			json_decref(before);
			json_decref(log);
		}
		check_views(b, history);
		/* A ship removed (the log's checks above need them all). */
		copy = battle_copy(b);
		fleet_remove(b, &tg_gm, 1 + roll(&r, battle_limits(b).max_ships),
		    NULL);
		check_patch(copy, b);
		battle_free(copy);
		ended += battle_phase(b) == PHASE_ENDED;
		json_decref(history);
		battle_free(b);
	}
	/* The random battles really fight. */
	printf("%d attacks, %d battles ended, %d rounds all in\n", attacks,
	    ended, all_in);
	assert_true(attacks > 1000);
	assert_true(ended >= 5);
	assert_true(all_in >= 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_battles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
