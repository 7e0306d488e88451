/*
 * The GM's hand and the lobby: adding, editing, moving, hiding and
 * removing ships, players and stations, limits, narration and the
 * battle settings, each with its refusals.
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

struct edit_case {
	const char		*json;
	int			 rc;
	enum refusal_code	 code;
};

static const struct edit_case add_cases[] = {
	{ "{\"class\":\"cruiser\",\"side\":\"hostile\",\"x\":1,\"y\":1}",
	    BS_ERR_INVALID, REFUSAL_UNKNOWN_CLASS },
	{ "{\"class\":\"scout\",\"side\":\"pirates\",\"x\":1,\"y\":1}",
	    BS_ERR_INVALID, REFUSAL_UNKNOWN_SIDE },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"weapons\":[\"railgun\"]}", BS_ERR_INVALID,
	    REFUSAL_UNKNOWN_WEAPON_TYPE },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"speed\":3}", BS_ERR_INVALID, REFUSAL_UNKNOWN_FIELD },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"skill\":4}", BS_ERR_INVALID, REFUSAL_OUT_OF_BOUNDS },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"hull\":21}", BS_ERR_INVALID, REFUSAL_OUT_OF_BOUNDS },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"weapons\":[{\"type\":\"beam laser\",\"ammo\":3}]}",
	    BS_ERR_INVALID, REFUSAL_OUT_OF_BOUNDS },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"name\":\"0123456789012345678901234567890123456789012345678901"
	    "2345678901234\"}", BS_ERR_TOO_LARGE, REFUSAL_TEXT_TOO_LONG },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"name\":\"\"}", BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1}",
	    BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ "{\"side\":\"hostile\",\"x\":1,\"y\":1}", BS_ERR_INVALID,
	    REFUSAL_MALFORMED },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1001}",
	    BS_ERR_INVALID, REFUSAL_OFF_MAP },
	{ "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1,"
	    "\"crewed\":true}", BS_ERR_INVALID, REFUSAL_CREWED_NOT_CREW_SIDE },
	{ "{\"class\":\"scout\",\"side\":\"crew\",\"x\":1,\"y\":1,"
	    "\"crewed\":true}", BS_ERR_EXISTS, REFUSAL_CREWED_EXISTS },
	{ "\"scout\"", BS_ERR_INVALID, REFUSAL_MALFORMED },
};

static const struct edit_case edit_cases[] = {
	{ "{\"hull\":41}", BS_ERR_INVALID, REFUSAL_OUT_OF_BOUNDS },
	{ "{\"hull_max\":0}", BS_ERR_INVALID, REFUSAL_OUT_OF_BOUNDS },
	{ "{\"evasion\":11}", BS_ERR_INVALID, REFUSAL_OUT_OF_BOUNDS },
	{ "{\"x\":2000}", BS_ERR_INVALID, REFUSAL_OFF_MAP },
	{ "{\"ammo\":{\"0\":3}}", BS_ERR_INVALID, REFUSAL_OUT_OF_BOUNDS },
	{ "{\"ammo\":{\"7\":3}}", BS_ERR_NOT_FOUND, REFUSAL_NO_SUCH_WEAPON },
	{ "{\"systems\":{\"shields\":\"damaged\"}}", BS_ERR_INVALID,
	    REFUSAL_UNKNOWN_SYSTEM },
	{ "{\"systems\":{\"drive\":\"broken\"}}", BS_ERR_INVALID,
	    REFUSAL_MALFORMED },
	{ "{\"side\":\"hostile\"}", BS_ERR_INVALID, REFUSAL_UNKNOWN_FIELD },
	{ "{\"name\":\"Valid\",\"hull\":-1}", BS_ERR_INVALID,
	    REFUSAL_OUT_OF_BOUNDS },
	{ "{\"hidden\":2}", BS_ERR_INVALID, REFUSAL_MALFORMED },
};

static struct battle *
lobby(void)
{
	struct battle *b = tg_battle(5);

	tg_ship(b, "{\"class\":\"corvette\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":100,\"y\":100}");
	return b;
}

static void
test_add_refusals(void **state)
{
	struct battle *b = lobby();
	uint64_t before = codec_hash(b);
	struct actor ann = tg_player_actor(1);
	struct refusal why;
	json_t *spec;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof add_cases / sizeof add_cases[0]; i++) {
		memset(&why, 0, sizeof why);
		spec = tg_jsonf("%s", add_cases[i].json);
		rc = fleet_add(b, &tg_gm, spec, NULL, &why);
		json_decref(spec);
		if (rc != add_cases[i].rc || why.code != add_cases[i].code)
			fail_msg("case %zu %s: got %d %s (%s)", i,
			    add_cases[i].json, rc, refusal_name(why.code),
			    why.text);
		assert_int_equal(codec_hash(b), before);
	}
	spec = tg_jsonf("{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,"
	    "\"y\":1}");
	assert_int_equal(fleet_add(b, &ann, spec, NULL, &why), BS_ERR_DENIED);
	assert_int_equal(why.code, REFUSAL_GM_ONLY);
	assert_int_equal(fleet_add(b, &tg_spectator, spec, NULL, &why),
	    BS_ERR_DENIED);
	assert_int_equal(why.code, REFUSAL_SPECTATOR);
	json_decref(spec);
	battle_free(b);
}

static void
test_add_defaults_and_overrides(void **state)
{
	struct battle *b = lobby();
	json_t *ship, *weapons;
	int id;

	(void)state;
	id = tg_ship(b, "{\"class\":\"destroyer\",\"side\":\"hostile\","
	    "\"x\":\"500\",\"y\":600}");
	assert_int_equal(id, 2);
	ship = tg_gm_ship(b, id);
	assert_string_equal(json_string_value(json_object_get(ship, "name")),
	    "destroyer 2");
	assert_int_equal(json_integer_value(json_object_get(ship, "hull")),
	    140);
	assert_int_equal(json_integer_value(json_object_get(ship, "armor")), 8);
	assert_int_equal(json_integer_value(json_object_get(ship, "thrust")),
	    3);
	assert_int_equal(json_integer_value(json_object_get(ship, "sensors")),
	    350);
	assert_int_equal(json_integer_value(json_object_get(ship, "evasion")),
	    -1);
	assert_int_equal(json_integer_value(json_object_get(ship, "skill")), 1);
	weapons = json_object_get(ship, "weapons");
	assert_int_equal(json_array_size(weapons), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    weapons, 0), "type")), "particle beam");
	assert_null(json_object_get(json_array_get(weapons, 0), "ammo"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    weapons, 2), "ammo")), 6);
	json_decref(ship);

	id = tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":0,"
	    "\"y\":0,\"hull_max\":30,\"armor\":3,\"thrust\":7,\"sensors\":500,"
	    "\"evasion\":4,\"skill\":3,\"name\":\"Wasp\",\"notes\":\"n\","
	    "\"hidden\":true}");
	assert_int_equal(tg_ship_int(b, id, "hull"), 30);
	assert_int_equal(tg_ship_int(b, id, "hull_max"), 30);
	assert_int_equal(tg_ship_int(b, id, "thrust"), 7);
	assert_string_equal(tg_ship_str(b, id, "name"), "Wasp");
	assert_string_equal(tg_ship_str(b, id, "notes"), "n");
	battle_free(b);
}

static void
test_edit_refusals_change_nothing(void **state)
{
	struct battle *b = lobby();
	uint64_t before = codec_hash(b);
	struct refusal why;
	json_t *changes;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof edit_cases / sizeof edit_cases[0]; i++) {
		memset(&why, 0, sizeof why);
		changes = tg_jsonf("%s", edit_cases[i].json);
		rc = fleet_edit(b, &tg_gm, 1, changes, &why);
		json_decref(changes);
		if (rc != edit_cases[i].rc || why.code != edit_cases[i].code)
			fail_msg("case %zu %s: got %d %s (%s)", i,
			    edit_cases[i].json, rc, refusal_name(why.code),
			    why.text);
		assert_int_equal(codec_hash(b), before);
	}
	changes = tg_jsonf("{\"x\":5}");
	assert_int_equal(fleet_edit(b, &tg_gm, 9, changes, &why),
	    BS_ERR_NOT_FOUND);
	assert_int_equal(why.code, REFUSAL_NO_SUCH_SHIP);
	json_decref(changes);
	assert_int_equal(fleet_remove(b, &tg_gm, 9, &why), BS_ERR_NOT_FOUND);
	assert_int_equal(codec_hash(b), before);
	battle_free(b);
}

static void
test_edit_every_number(void **state)
{
	struct battle *b = lobby();
	struct refusal why;
	json_t *ship;

	(void)state;
	tg_edit(b, 1, "{\"name\":\"Dauntless\",\"x\":7,\"y\":8,\"hull\":29,"
	    "\"armor\":9,\"thrust\":2,\"sensors\":100,\"evasion\":-2,"
	    "\"notes\":\"GM only\",\"hidden\":true,"
	    "\"weapons\":[\"pulse laser\",\"missile rack\"],"
	    "\"ammo\":{\"1\":2},\"systems\":{\"sensors\":\"damaged\"}}");
	ship = tg_gm_ship(b, 1);
	assert_int_equal(json_integer_value(json_object_get(ship, "hull")), 29);
	assert_int_equal(json_integer_value(json_object_get(ship, "x")), 7);
	assert_int_equal(json_integer_value(json_object_get(ship, "armor")), 9);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(ship, "weapons"), 1), "ammo")), 2);
	assert_true(json_is_true(json_object_get(ship, "hidden")));
	json_decref(ship);
	assert_string_equal(tg_ship_str(b, 1, "systems"), "ok,ok,damaged");
	assert_string_equal(tg_ship_str(b, 1, "damage"), "light");
	/* A lower maximum pulls the hull down with it. */
	tg_edit(b, 1, "{\"hull_max\":20}");
	assert_int_equal(tg_ship_int(b, 1, "hull"), 20);
	assert_int_equal(fleet_move(b, &tg_gm, 1, 1000, 0, &why), 0);
	assert_int_equal(tg_ship_int(b, 1, "x"), 1000);
	assert_int_equal(fleet_move(b, &tg_gm, 1, 1001, 0, &why),
	    BS_ERR_INVALID);
	assert_int_equal(why.code, REFUSAL_OFF_MAP);
	assert_int_equal(fleet_set_hidden(b, &tg_gm, 1, false, &why), 0);
	ship = tg_gm_ship(b, 1);
	assert_false(json_is_true(json_object_get(ship, "hidden")));
	json_decref(ship);
	assert_int_equal(fleet_remove(b, &tg_gm, 1, &why), 0);
	assert_int_equal(json_object_size(json_object_get(ship =
	    view_battle(b, VIEWER_GM), "ships")), 0);
	json_decref(ship);
	/* Ids are never reused. */
	assert_int_equal(tg_ship(b, "{\"class\":\"scout\",\"side\":\"crew\","
	    "\"crewed\":true,\"x\":0,\"y\":0}"), 2);
	battle_free(b);
}

static void
test_limits(void **state)
{
	struct battle_limits limits = { 2, 1 };
	struct battle *b = NULL;
	struct refusal why;
	json_t *spec;

	(void)state;
	assert_int_equal(battle_new(&b, 1, &limits), 0);
	assert_int_equal(battle_limits(b).max_ships, 2);
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"crew\",\"x\":0,\"y\":0}");
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":0,"
	    "\"y\":0}");
	spec = tg_jsonf("{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,"
	    "\"y\":1}");
	assert_int_equal(fleet_add(b, &tg_gm, spec, NULL, &why), BS_ERR_LIMIT);
	assert_int_equal(why.code, REFUSAL_TOO_MANY_SHIPS);
	json_decref(spec);
	assert_int_equal(crew_player_add(b, "Ann", NULL, NULL), 0);
	assert_int_equal(crew_player_add(b, "Bob", NULL, &why), BS_ERR_LIMIT);
	assert_int_equal(why.code, REFUSAL_TOO_MANY_PLAYERS);
	battle_free(b);

	limits.max_ships = 0;
	b = NULL;
	assert_int_equal(battle_new(&b, 1, &limits), BS_ERR_INVALID);
	assert_null(b);
	limits.max_ships = 32;
	limits.max_players = BATTLE_HARD_MAX_PLAYERS + 1;
	assert_int_equal(battle_new(&b, 1, &limits), BS_ERR_INVALID);
	battle_free(NULL);
}

static void
test_players_and_stations(void **state)
{
	struct battle *b = lobby();
	struct actor ann, bob;
	struct refusal why;
	int a, c;

	(void)state;
	assert_int_equal(crew_player_add(b, "Ann", &a, NULL), 0);
	assert_int_equal(crew_player_add(b, "Bob", &c, NULL), 0);
	assert_int_equal(a, 1);
	assert_int_equal(c, 2);
	assert_int_equal(crew_player_skill(b, a), 1);
	assert_string_equal(crew_player_name(b, c), "Bob");
	assert_null(crew_player_name(b, 9));
	assert_int_equal(crew_player_add(b, "", NULL, &why), BS_ERR_INVALID);
	assert_int_equal(crew_player_add(b, "\xff\xfe", NULL, &why),
	    BS_ERR_INVALID);
	ann = tg_player_actor(a);
	bob = tg_player_actor(c);
	/* A player takes free stations, several if the crew is small. */
	assert_int_equal(crew_assign(b, &ann, a, STATION_PILOT, &why), 0);
	assert_int_equal(crew_assign(b, &ann, a, STATION_GUNNER, &why), 0);
	assert_int_equal(crew_holder(b, STATION_GUNNER), a);
	assert_int_equal(crew_assign(b, &bob, c, STATION_PILOT, &why),
	    BS_ERR_EXISTS);
	assert_int_equal(why.code, REFUSAL_STATION_TAKEN);
	assert_int_equal(crew_assign(b, &bob, a, STATION_CAPTAIN, &why),
	    BS_ERR_DENIED);
	assert_int_equal(why.code, REFUSAL_GM_ONLY);
	assert_int_equal(crew_assign(b, &tg_spectator, a, STATION_CAPTAIN,
	    &why), BS_ERR_DENIED);
	assert_int_equal(why.code, REFUSAL_SPECTATOR);
	assert_int_equal(crew_assign(b, &tg_gm, 9, STATION_CAPTAIN, &why),
	    BS_ERR_NOT_FOUND);
	assert_int_equal(why.code, REFUSAL_NO_SUCH_PLAYER);
	assert_int_equal(crew_assign(b, &tg_gm, a, STATION_COUNT, &why),
	    BS_ERR_NOT_FOUND);
	assert_int_equal(why.code, REFUSAL_UNKNOWN_STATION);
	assert_int_equal(crew_release(b, &bob, STATION_PILOT, &why),
	    BS_ERR_DENIED);
	assert_int_equal(why.code, REFUSAL_STATION_NOT_YOURS);
	/* The GM moves a station from one player to another. */
	assert_int_equal(crew_assign(b, &tg_gm, c, STATION_PILOT, &why), 0);
	assert_int_equal(crew_holder(b, STATION_PILOT), c);
	assert_int_equal(crew_release(b, &bob, STATION_PILOT, &why), 0);
	assert_int_equal(crew_holder(b, STATION_PILOT), 0);
	/* Skill: the GM's, 0..3. */
	assert_int_equal(crew_set_skill(b, &ann, a, 3, &why), BS_ERR_DENIED);
	assert_int_equal(crew_set_skill(b, &tg_gm, a, 4, &why),
	    BS_ERR_INVALID);
	assert_int_equal(why.code, REFUSAL_OUT_OF_BOUNDS);
	assert_int_equal(crew_set_skill(b, &tg_gm, 9, 2, &why),
	    BS_ERR_NOT_FOUND);
	assert_int_equal(crew_set_skill(b, &tg_gm, a, 3, &why), 0);
	assert_int_equal(crew_player_skill(b, a), 3);
	/* Leaving frees the stations. */
	assert_int_equal(crew_player_remove(b, &bob, a, &why), BS_ERR_DENIED);
	assert_int_equal(crew_player_remove(b, &ann, a, &why), 0);
	assert_int_equal(crew_holder(b, STATION_GUNNER), 0);
	assert_int_equal(crew_player_count(b), 1);
	battle_free(b);
}

static void
test_narration_and_settings(void **state)
{
	struct battle *b = lobby();
	struct actor ann = tg_player_actor(1);
	struct refusal why;
	char long_text[1100];
	json_t *log = json_array(), *e;

	(void)state;
	assert_int_equal(battle_narrate(b, &tg_gm, "Stars wheel.", log, &why),
	    0);
	e = json_array_get(log, 0);
	assert_string_equal(json_string_value(json_object_get(e, "kind")),
	    "narration");
	assert_string_equal(json_string_value(json_object_get(e, "text")),
	    "Stars wheel.");
	assert_int_equal(json_integer_value(json_object_get(e, "seq")), 1);
	assert_int_equal(battle_next_seq(b), 2);
	assert_int_equal(battle_narrate(b, &tg_gm, "", log, &why),
	    BS_ERR_INVALID);
	memset(long_text, 'a', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	assert_int_equal(battle_narrate(b, &tg_gm, long_text, log, &why),
	    BS_ERR_TOO_LARGE);
	assert_int_equal(why.code, REFUSAL_TEXT_TOO_LONG);
	assert_int_equal(battle_narrate(b, &ann, "Hi", log, &why),
	    BS_ERR_DENIED);
	assert_int_equal(json_array_size(log), 1);
	json_decref(log);

	assert_int_equal(battle_round_seconds(b), 30);
	assert_int_equal(battle_set_round_seconds(b, &tg_gm, 4, &why),
	    BS_ERR_INVALID);
	assert_int_equal(battle_set_round_seconds(b, &tg_gm, 601, &why),
	    BS_ERR_INVALID);
	assert_int_equal(battle_set_round_seconds(b, &tg_gm, 600, &why), 0);
	assert_int_equal(battle_round_seconds(b), 600);
	assert_int_equal(battle_set_round_seconds(b, &ann, 60, &why),
	    BS_ERR_DENIED);
	assert_true(battle_spectators_allowed(b));
	assert_int_equal(battle_set_spectators(b, &tg_gm, false, &why), 0);
	assert_false(battle_spectators_allowed(b));
	battle_set_deadline(b, 1700000000123);
	assert_int_equal(battle_deadline(b), 1700000000123);
	assert_int_equal(battle_phase(b), PHASE_LOBBY);
	assert_string_equal(phase_name(battle_phase(b)), "lobby");
	battle_free(b);
}

/*
 * The round clock: stop, move, start again; refusals change nothing; a
 * stopped clock survives a save and load; a new round starts running.
 */
static void
test_round_clock(void **state)
{
	struct battle *b = tg_duel(5), *copy;
	struct actor ann = tg_player_actor(1);
	const int64_t t0 = INT64_C(1700000000000);
	struct refusal why;
	json_t *log = json_array(), *e;
	char *saved;
	size_t len;

	(void)state;
	battle_set_deadline(b, t0 + 30000);
	assert_int_equal(battle_resume(b, &tg_gm, t0, log, &why),
	    BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_NOT_PAUSED);
	assert_int_equal(battle_pause(b, &ann, t0, log, &why), BS_ERR_DENIED);
	assert_int_equal(battle_pause(b, &tg_gm, t0 + 29500, log, &why),
	    BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_TIME_UP);
	assert_int_equal(json_array_size(log), 0);

	assert_int_equal(battle_pause(b, &tg_gm, t0 + 10000, log, &why), 0);
	assert_int_equal(battle_deadline(b), 0);
	assert_int_equal(battle_paused_left(b), 20000);
	assert_int_equal(battle_pause(b, &tg_gm, t0 + 11000, log, &why),
	    BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_PAUSED);
	assert_int_equal(battle_extend(b, &tg_gm, t0 + 12000, 0, log, &why),
	    BS_ERR_INVALID);
	assert_int_equal(battle_extend(b, &tg_gm, t0 + 12000, 601, log,
	    &why), BS_ERR_INVALID);
	assert_int_equal(battle_extend(b, &tg_gm, t0 + 12000, 15, log, &why),
	    0);
	assert_int_equal(battle_paused_left(b), 35000);

	/* Stopped, it saves and loads as it is. */
	saved = codec_save(b, &len);
	assert_int_equal(codec_load(&copy, saved, len), 0);
	assert_int_equal(battle_paused_left(copy), 35000);
	assert_int_equal(codec_hash(copy), codec_hash(b));
	battle_free(copy);
	free(saved);

	assert_int_equal(battle_resume(b, &tg_gm, t0 + 50000, log, &why), 0);
	assert_int_equal(battle_paused_left(b), 0);
	assert_int_equal(battle_deadline(b), t0 + 85000);
	/* Moved back, it keeps at least a second. */
	assert_int_equal(battle_extend(b, &tg_gm, t0 + 84500, -60, log, &why),
	    BS_ERR_STATE);
	assert_int_equal(battle_extend(b, &tg_gm, t0 + 60000, -60, log, &why),
	    0);
	assert_int_equal(battle_deadline(b), t0 + 61000);

	assert_int_equal(json_array_size(log), 4);
	e = json_array_get(log, 0);
	assert_string_equal(json_string_value(json_object_get(e, "kind")),
	    "clock");
	assert_string_equal(json_string_value(json_object_get(e, "text")),
	    "the GM stops the clock: 20 s left");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(log, 1), "text")),
	    "the GM moves the deadline by +15 s: 35 s left");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(log, 2), "text")),
	    "the GM starts the clock again: 35 s left");

	/* A stopped clock does not outlive its round. */
	assert_int_equal(battle_pause(b, &tg_gm, t0 + 60000, log, &why), 0);
	json_decref(tg_resolve(b));
	assert_int_equal(battle_paused_left(b), 0);
	json_decref(log);
	battle_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_refusals),
		cmocka_unit_test(test_add_defaults_and_overrides),
		cmocka_unit_test(test_edit_refusals_change_nothing),
		cmocka_unit_test(test_edit_every_number),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_players_and_stations),
		cmocka_unit_test(test_narration_and_settings),
		cmocka_unit_test(test_round_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
