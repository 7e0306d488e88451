/*
 * The rules of broadside-rules(7), one by one: dice, geometry, initiative,
 * movement and fire.  Outcomes are forced by overriding ship numbers
 * (skill 3 against evasion -10 always hits), or checked against the
 * dice the log reports.
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
#include "game/ship.h"

static void
test_rng_reference_values(void **state)
{
	/* pcg32-demo: seed 42, stream 54. */
	static const uint32_t expect[] = { 0xa15c02b7, 0x7b47f409,
	    0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e };
	struct rng r;
	size_t i;

	(void)state;
	rng_seed(&r, 42, 54);
	for (i = 0; i < sizeof expect / sizeof expect[0]; i++)
		assert_int_equal(rng_next(&r), expect[i]);
}

static void
test_rng_dice_are_fair(void **state)
{
	int counts[7] = { 0 }, i, d;
	struct rng r;

	(void)state;
	rng_seed(&r, 7, 7);
	for (i = 0; i < 60000; i++) {
		d = rng_die(&r, 6);
		assert_in_range(d, 1, 6);
		counts[d]++;
	}
	for (i = 1; i <= 6; i++)
		assert_in_range(counts[i], 9500, 10500);
}

static void
test_distance_and_bands(void **state)
{
	(void)state;
	assert_int_equal(ship_distance(0, 0, 3, 4), 5);
	assert_int_equal(ship_distance(0, 0, 1, 1), 1);	/* 1.41 down */
	assert_int_equal(ship_distance(0, 0, 1000, 1000), 1414);
	assert_int_equal(ship_distance(10, 10, 10, 10), 0);
	assert_int_equal(ship_band(0), BAND_SHORT);
	assert_int_equal(ship_band(100), BAND_SHORT);
	assert_int_equal(ship_band(101), BAND_MEDIUM);
	assert_int_equal(ship_band(300), BAND_MEDIUM);
	assert_int_equal(ship_band(301), BAND_LONG);
	assert_int_equal(ship_band(600), BAND_LONG);
	assert_int_equal(ship_band(601), BAND_BEYOND);
}

static void
test_damage_bands(void **state)
{
	(void)state;
	assert_string_equal(ship_damage_band(80, 80), "none");
	assert_string_equal(ship_damage_band(60, 80), "none");
	assert_string_equal(ship_damage_band(59, 80), "light");
	assert_string_equal(ship_damage_band(40, 80), "light");
	assert_string_equal(ship_damage_band(39, 80), "heavy");
	assert_string_equal(ship_damage_band(20, 80), "heavy");
	assert_string_equal(ship_damage_band(19, 80), "critical");
	assert_string_equal(ship_damage_band(1, 80), "critical");
	assert_string_equal(ship_damage_band(0, 80), "destroyed");
}

static void
test_clamp_move(void **state)
{
	struct rng r;
	int x, y, i, x0, y0, tx, ty, reach;

	(void)state;
	ship_clamp_move(0, 0, 300, 400, 100, &x, &y);
	assert_int_equal(x, 60);
	assert_int_equal(y, 80);
	ship_clamp_move(500, 500, 510, 490, 100, &x, &y);
	assert_int_equal(x, 510);
	assert_int_equal(y, 490);
	ship_clamp_move(990, 10, 2000, -50, 1000, &x, &y);	/* map edge */
	assert_int_equal(x, 1000);
	assert_int_equal(y, 0);
	rng_seed(&r, 1, 1);
	for (i = 0; i < 20000; i++) {
		x0 = rng_die(&r, 1001) - 1;
		y0 = rng_die(&r, 1001) - 1;
		tx = rng_die(&r, 1001) - 1;
		ty = rng_die(&r, 1001) - 1;
		reach = rng_die(&r, 200);
		ship_clamp_move(x0, y0, tx, ty, reach, &x, &y);
		assert_true(ship_distance(x0, y0, x, y) <= reach);
		assert_true(ship_distance(x, y, tx, ty) <=
		    ship_distance(x0, y0, tx, ty));
		assert_in_range(x, 0, 1000);
		assert_in_range(y, 0, 1000);
	}
}

/* Initiative: sorted by total, ties to the lower id; totals add up. */
static void
test_initiative_order_and_ties(void **state)
{
	struct battle *b;
	json_t *log, *init, *a, *c;
	int seed, i, ties = 0, tie_checked = 0;
	size_t k;

	(void)state;
	for (seed = 1; seed <= 40; seed++) {
		b = tg_battle((uint64_t)seed);
		tg_ship(b, "{\"class\":\"scout\",\"side\":\"crew\",\"x\":0,"
		    "\"y\":0}");
		for (i = 0; i < 8; i++)
			tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\","
			    "\"x\":900,\"y\":900}");
		tg_start(b);
		log = tg_resolve(b);
		init = json_object_get(tg_find(log, "initiative", 0), "ships");
		assert_int_equal(json_array_size(init), 9);
		for (k = 0; k + 1 < json_array_size(init); k++) {
			a = json_array_get(init, k);
			c = json_array_get(init, k + 1);
			assert_true(tg_int(a, "total") >= tg_int(c, "total"));
			if (tg_int(a, "total") == tg_int(c, "total")) {
				ties++;
				assert_true(tg_int(a, "ship") <
				    tg_int(c, "ship"));
			}
		}
		json_array_foreach(init, k, a) {
			tg_check_entry_sums(a);
			assert_int_equal(tg_modifier(a, "skill"), 1);
			assert_int_equal(tg_modifier(a, "thrust"), 6);
			tie_checked++;
		}
		json_decref(log);
		battle_free(b);
	}
	assert_true(ties > 10);
	assert_int_equal(tie_checked, 40 * 9);
}

static void
test_initiative_pilot_skill_and_tactics(void **state)
{
	struct actor ann = tg_player_actor(1);
	struct battle *b = tg_duel(3);
	json_t *log, *init, *mine;

	(void)state;
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":1,\"station\":"
	    "\"captain\",\"type\":\"tactics\"}"), 0);
	log = tg_resolve(b);
	init = json_object_get(tg_find(log, "initiative", 0), "ships");
	mine = json_array_get(init, 0);
	if (tg_int(mine, "ship") != 1)
		mine = json_array_get(init, 1);
	assert_int_equal(tg_int(mine, "ship"), 1);
	assert_int_equal(tg_modifier(mine, "skill"), 3);
	assert_int_equal(tg_modifier(mine, "thrust"), 5);
	assert_int_equal(tg_modifier(mine, "tactics"), 1);
	tg_check_entry_sums(mine);
	json_decref(log);
	battle_free(b);
}

static void
test_move_and_thrust_clamping(void **state)
{
	struct actor ann = tg_player_actor(1);
	struct battle *b = tg_duel(5);
	json_t *log, *move;

	(void)state;
	/* Corvette thrust 5: 125 units. */
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":1,\"station\":"
	    "\"pilot\",\"type\":\"move\",\"x\":225,\"y\":100}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":2,"
	    "\"move\":{\"x\":400,\"y\":100}}"), 0);
	/* The GM cuts the frigate's thrust after its order: clamped. */
	tg_edit(b, 2, "{\"thrust\":2}");
	log = tg_resolve(b);
	assert_int_equal(tg_ship_int(b, 1, "x"), 225);
	assert_int_equal(tg_ship_int(b, 2, "x"), 350);
	move = json_object_get(tg_find(log, "movement", 0), "moves");
	assert_int_equal(json_array_size(move), 2);
	json_decref(log);

	/* A damaged drive halves thrust (5 -> 2: 50 units). */
	tg_edit(b, 1, "{\"systems\":{\"drive\":\"damaged\"}}");
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":2,\"station\":"
	    "\"pilot\",\"type\":\"move\",\"x\":276,\"y\":100}"),
	    BS_ERR_INVALID);
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":2,\"station\":"
	    "\"pilot\",\"type\":\"move\",\"x\":275,\"y\":100}"), 0);
	/* An overcharged drive adds one: 75 units. */
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":2,\"station\":"
	    "\"engineer\",\"type\":\"overcharge\",\"system\":\"drive\"}"), 0);
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":2,\"station\":"
	    "\"pilot\",\"type\":\"move\",\"x\":300,\"y\":100}"), 0);
	log = tg_resolve(b);
	assert_int_equal(tg_ship_int(b, 1, "x"), 300);
	json_decref(log);
	battle_free(b);
}

/* The crew's beam laser at Raider, for as many rounds as asked. */
static json_t *
crew_fires(struct battle *b, int weapon)
{
	struct actor ann = tg_player_actor(1);
	struct refusal why;

	if (tg_order(b, &ann, &why, "{\"round\":%d,\"station\":\"gunner\","
	    "\"type\":\"fire\",\"weapon\":%d,\"target\":2}",
	    battle_round(b), weapon) != 0)
		fail_msg("fire refused: %s", why.text);
	return tg_resolve(b);
}

static void
test_attack_roll_and_damage(void **state)
{
	json_t *log, *atk;
	struct battle *b;
	int seed, hull, hits = 0, misses = 0, dmg, roll, sum;
	size_t i;
	json_t *d;

	(void)state;
	for (seed = 1; seed <= 60; seed++) {
		b = tg_duel((uint64_t)seed);
		hull = tg_ship_int(b, 2, "hull");
		log = crew_fires(b, 0);
		atk = tg_find(log, "attack", 0);
		assert_non_null(atk);
		tg_check_entry_sums(atk);
		assert_int_equal(tg_modifier(atk, "skill"), 3);
		assert_int_equal(tg_modifier(atk, "range"), 0);  /* beam, medium */
		assert_int_equal(tg_int(atk, "distance"), 200);
		assert_string_equal(json_string_value(json_object_get(atk,
		    "band")), "medium");
		assert_int_equal(json_is_true(json_object_get(atk, "hit")),
		    tg_int(atk, "total") >= 8);
		if (json_is_true(json_object_get(atk, "hit"))) {
			hits++;
			assert_int_equal(tg_int(atk, "effect"),
			    tg_int(atk, "total") - 8);
			sum = 0;
			json_array_foreach(json_object_get(atk, "damage_dice"),
			    i, d)
				sum += (int)json_integer_value(d);
			roll = sum + 2 + tg_int(atk, "effect");
			assert_int_equal(tg_int(atk, "damage_roll"), roll);
			assert_int_equal(tg_int(atk, "armor"), 6);
			dmg = roll > 6 ? roll - 6 : 0;
			assert_int_equal(tg_int(atk, "damage"), dmg);
			assert_int_equal(tg_ship_int(b, 2, "hull"), hull - dmg);
		} else {
			misses++;
			assert_null(json_object_get(atk, "damage"));
			assert_int_equal(tg_ship_int(b, 2, "hull"), hull);
		}
		json_decref(log);
		battle_free(b);
	}
	assert_true(hits > 0 && misses > 0);
}

static void
test_attack_text(void **state)
{
	struct battle *b = tg_duel(11);
	json_t *log, *atk;
	char expect[512];
	const char *text;

	(void)state;
	log = crew_fires(b, 0);
	atk = tg_find(log, "attack", 0);
	text = json_string_value(json_object_get(atk, "text"));
	if (json_is_true(json_object_get(atk, "hit")))
		snprintf(expect, sizeof expect, "Dauntless fires beam laser at "
		    "Raider: rolled %d +3 skill = %d vs 8: hit, effect %d, "
		    "damage %d - armor 6 = %d",
		    tg_int(atk, "total") - 3, tg_int(atk, "total"),
		    tg_int(atk, "effect"), tg_int(atk, "damage_roll"),
		    tg_int(atk, "damage"));
	else
		snprintf(expect, sizeof expect, "Dauntless fires beam laser at "
		    "Raider: rolled %d +3 skill = %d vs 8: miss",
		    tg_int(atk, "total") - 3, tg_int(atk, "total"));
	assert_true(strncmp(text, expect, strlen(expect)) == 0);
	json_decref(log);
	battle_free(b);
}

static void
test_range_modifiers(void **state)
{
	static const struct {
		const char	*weapon;
		int		 x;	/* Raider's x; Dauntless at 100 */
		int		 modifier;
		const char	*band;
	} cases[] = {
		{ "pulse laser", 150, 0, "short" },
		{ "pulse laser", 350, -1, "medium" },
		{ "pulse laser", 650, -3, "long" },
		{ "beam laser", 150, 0, "short" },
		{ "beam laser", 700, -2, "long" },
		{ "particle beam", 200, -1, "short" },
		{ "particle beam", 400, 0, "medium" },
		{ "particle beam", 700, 0, "long" },
		{ "missile rack", 150, 0, "short" },
		{ "missile rack", 700, 0, "long" },
	};
	struct battle *b;
	json_t *log, *atk;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		b = tg_duel(i + 1);
		tg_edit(b, 1, "{\"weapons\":[\"%s\"],\"sensors\":1000}",
		    cases[i].weapon);
		tg_edit(b, 2, "{\"x\":%d}", cases[i].x);
		log = crew_fires(b, 0);
		atk = tg_find(log, "attack", 0);
		assert_non_null(atk);
		assert_int_equal(tg_modifier(atk, "range"), cases[i].modifier);
		assert_string_equal(json_string_value(json_object_get(atk,
		    "band")), cases[i].band);
		json_decref(log);
		battle_free(b);
	}
}

static void
test_evade_and_missiles_double_evasion(void **state)
{
	struct battle *b = tg_duel(2);
	struct actor ann = tg_player_actor(1);
	json_t *log, *beam, *missile;

	(void)state;
	tg_edit(b, 1, "{\"weapons\":[\"beam laser\",\"missile rack\"]}");
	tg_edit(b, 2, "{\"evasion\":3}");
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":2,"
	    "\"evade\":true}"), 0);
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":1,\"station\":"
	    "\"gunner\",\"type\":\"fire\",\"fire\":[{\"weapon\":0,\"target\":2},"
	    "{\"weapon\":1,\"target\":2}]}"), 0);
	log = tg_resolve(b);
	beam = tg_find(log, "attack", 0);
	missile = tg_find(log, "attack", 1);
	assert_int_equal(tg_modifier(beam, "evasion"), -5);
	assert_int_equal(tg_modifier(missile, "evasion x2"), -10);
	assert_int_equal(tg_modifier(missile, "evasion"), 0);
	tg_check_entry_sums(missile);
	json_decref(log);
	battle_free(b);
}

static void
test_out_of_range_after_movement(void **state)
{
	struct actor ann = tg_player_actor(1);
	struct battle *b = tg_duel(4);
	json_t *log, *lost, *ship;

	(void)state;
	tg_edit(b, 1, "{\"weapons\":[\"missile rack\"],\"thrust\":0,"
	    "\"sensors\":1000}");
	tg_edit(b, 2, "{\"x\":690,\"thrust\":10}");	/* 590 away */
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":1,\"station\":"
	    "\"gunner\",\"type\":\"fire\",\"weapon\":0,\"target\":2}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":2,"
	    "\"move\":{\"x\":900,\"y\":100}}"), 0);
	log = tg_resolve(b);
	assert_int_equal(tg_count(log, "attack"), 0);
	lost = tg_find(log, "no_fire", 0);
	assert_string_equal(json_string_value(json_object_get(lost,
	    "reason")), "out_of_range");
	assert_int_equal(tg_int(lost, "distance"), 800);
	json_decref(log);
	ship = tg_gm_ship(b, 1);
	assert_int_equal(tg_int(json_array_get(json_object_get(ship,
	    "weapons"), 0), "ammo"), 6);	/* nothing spent */
	json_decref(ship);
	battle_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_reference_values),
		cmocka_unit_test(test_rng_dice_are_fair),
		cmocka_unit_test(test_distance_and_bands),
		cmocka_unit_test(test_damage_bands),
		cmocka_unit_test(test_clamp_move),
		cmocka_unit_test(test_initiative_order_and_ties),
		cmocka_unit_test(test_initiative_pilot_skill_and_tactics),
		cmocka_unit_test(test_move_and_thrust_clamping),
		cmocka_unit_test(test_attack_roll_and_damage),
		cmocka_unit_test(test_attack_text),
		cmocka_unit_test(test_range_modifiers),
		cmocka_unit_test(test_evade_and_missiles_double_evasion),
		cmocka_unit_test(test_out_of_range_after_movement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
