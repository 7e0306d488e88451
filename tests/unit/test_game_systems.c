/*
 * The rules of broadside-rules(7) that change ships: damaged systems, sensors
 * (lock, jam, scan), engineering (repairs, overcharge), detection of
 * hidden ships, ammo, wrecks and the end check.
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

static const struct actor ann = { ACTOR_PLAYER, 1 };

static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		fail_msg("no string %s", key);
	return s;
}

/* A macro, so that the compiler checks each format against its use. */
#define order_ok(b, who, fmt, extra) do {				\
	struct refusal why_ = { 0 };					\
	if (tg_order((b), (who), &why_, fmt, battle_round(b),		\
	    extra) != 0)						\
		fail_msg("order refused: %s", why_.text);		\
} while (0)

#define GUNNER	"{\"round\":%d,\"station\":\"gunner\",\"type\":\"fire\"," \
		"\"weapon\":0,\"target\":2%s}"
#define RAIDER_FIRES	"{\"round\":%d,\"ship\":2,\"fire\":[{\"weapon\":0," \
		"\"target\":1}]%s}"

/* Skill 3 against evasion -10: 2d6 + 13 always hits, effect >= 7. */
static void
test_big_effect_damages_a_system(void **state)
{
	struct battle *b = tg_duel(8);
	json_t *log, *atk;
	int die;

	(void)state;
	tg_edit(b, 2, "{\"evasion\":-10,\"hull_max\":500,\"armor\":0}");
	order_ok(b, &ann, GUNNER, "");
	log = tg_resolve(b);
	atk = tg_find(log, "attack", 0);
	assert_true(json_is_true(json_object_get(atk, "hit")));
	assert_true(tg_int(atk, "effect") >= 6);
	die = tg_int(atk, "system_die");
	assert_string_equal(str_of(atk, "system"), die <= 2 ? "drive" :
	    die <= 4 ? "weapons" : "sensors");
	assert_string_equal(tg_ship_str(b, 2, "systems"), die <= 2 ?
	    "damaged,ok,ok" : die <= 4 ? "ok,damaged,ok" : "ok,ok,damaged");
	json_decref(log);
	battle_free(b);
}

static void
test_armor_absorbs_everything(void **state)
{
	struct battle *b = tg_duel(9);
	json_t *log, *atk;

	(void)state;
	tg_edit(b, 2, "{\"evasion\":-3,\"armor\":100}");
	order_ok(b, &ann, GUNNER, "");
	log = tg_resolve(b);
	atk = tg_find(log, "attack", 0);
	assert_true(json_is_true(json_object_get(atk, "hit")));
	assert_int_equal(tg_int(atk, "damage"), 0);
	assert_int_equal(tg_ship_int(b, 2, "hull"), 80);
	json_decref(log);
	battle_free(b);
}

static void
test_damaged_weapons_and_overcharge(void **state)
{
	struct battle *b = tg_duel(10);
	json_t *log, *atk;

	(void)state;
	tg_edit(b, 1, "{\"systems\":{\"weapons\":\"damaged\"}}");
	order_ok(b, &ann, GUNNER, "");
	order_ok(b, &ann, "{\"round\":%d,\"station\":\"engineer\",\"type\":"
	    "\"overcharge\",\"system\":\"weapons\"%s}", "");
	log = tg_resolve(b);
	atk = tg_find(log, "attack", 0);
	assert_int_equal(tg_modifier(atk, "damaged weapons"), -2);
	assert_int_equal(tg_modifier(atk, "overcharge"), 1);
	tg_check_entry_sums(atk);
	assert_non_null(tg_find(log, "overcharge", 0));
	json_decref(log);
	battle_free(b);
}

/* Overcharge: a 1 on 1d6 damages the system, anything else does not. */
static void
test_overcharge_risk(void **state)
{
	struct battle *b;
	json_t *log, *oc;
	int seed, ones = 0, others = 0;

	(void)state;
	for (seed = 1; seed <= 40; seed++) {
		b = tg_duel((uint64_t)seed);
		order_ok(b, &ann, "{\"round\":%d,\"station\":\"engineer\","
		    "\"type\":\"overcharge\",\"system\":\"drive\"%s}", "");
		log = tg_resolve(b);
		oc = tg_find(log, "overcharge", 0);
		assert_non_null(oc);
		if (tg_int(oc, "die") == 1) {
			ones++;
			assert_true(json_is_true(json_object_get(oc,
			    "damaged")));
			assert_string_equal(tg_ship_str(b, 1, "systems"),
			    "damaged,ok,ok");
		} else {
			others++;
			assert_string_equal(tg_ship_str(b, 1, "systems"),
			    "ok,ok,ok");
		}
		json_decref(log);
		battle_free(b);
	}
	assert_true(ones > 0 && others > 0);
}

static void
test_repair_system(void **state)
{
	struct battle *b;
	json_t *log, *rep;
	int seed, fixed = 0, failed = 0;

	(void)state;
	for (seed = 1; seed <= 40; seed++) {
		b = tg_duel((uint64_t)seed);
		assert_int_equal(crew_set_skill(b, &tg_gm, 1, 0, NULL), 0);
		tg_edit(b, 1, "{\"systems\":{\"sensors\":\"damaged\"}}");
		order_ok(b, &ann, "{\"round\":%d,\"station\":\"engineer\","
		    "\"type\":\"repair\",\"system\":\"sensors\"%s}", "");
		log = tg_resolve(b);
		rep = tg_find(log, "repair", 0);
		tg_check_entry_sums(rep);
		assert_int_equal(tg_modifier(rep, "skill"), 0);
		if (tg_int(rep, "total") >= 8) {
			fixed++;
			assert_string_equal(tg_ship_str(b, 1, "systems"),
			    "ok,ok,ok");
		} else {
			failed++;
			assert_string_equal(tg_ship_str(b, 1, "systems"),
			    "ok,ok,damaged");
		}
		json_decref(log);
		battle_free(b);
	}
	assert_true(fixed > 0 && failed > 0);
}

static void
test_repair_hull_capped(void **state)
{
	struct battle *b = tg_duel(12);
	json_t *log, *rep;

	(void)state;
	tg_edit(b, 1, "{\"hull\":38}");
	order_ok(b, &ann, "{\"round\":%d,\"station\":\"engineer\",\"type\":"
	    "\"repair\",\"system\":\"hull\"%s}", "");
	log = tg_resolve(b);
	rep = tg_find(log, "repair", 0);
	assert_in_range(tg_int(rep, "die"), 1, 6);
	assert_int_equal(tg_int(rep, "restored"),
	    tg_int(rep, "die") < 2 ? tg_int(rep, "die") : 2);
	assert_int_equal(tg_ship_int(b, 1, "hull"),
	    38 + tg_int(rep, "restored"));
	assert_true(tg_ship_int(b, 1, "hull") <= 40);
	json_decref(log);
	battle_free(b);
}

static void
test_lock_and_jam(void **state)
{
	struct battle *b = tg_duel(13);
	json_t *log, *mine, *theirs;

	(void)state;
	order_ok(b, &ann, GUNNER, "");
	order_ok(b, &ann, "{\"round\":%d,\"station\":\"sensors\",\"type\":"
	    "\"lock\",\"target\":2%s}", "");
	order_ok(b, &tg_gm, RAIDER_FIRES, "");
	log = tg_resolve(b);
	assert_true(json_is_true(json_object_get(tg_find(log, "lock", 0),
	    "success")));
	mine = tg_find(log, "attack", 0);
	if (tg_int(mine, "actor") != 1)
		mine = tg_find(log, "attack", 1);
	assert_int_equal(tg_modifier(mine, "lock"), 2);
	json_decref(log);

	order_ok(b, &ann, "{\"round\":%d,\"station\":\"sensors\",\"type\":"
	    "\"jam\",\"target\":2%s}", "");
	order_ok(b, &tg_gm, RAIDER_FIRES, "");
	log = tg_resolve(b);
	theirs = tg_find(log, "attack", 0);
	assert_int_equal(tg_int(theirs, "actor"), 2);
	assert_int_equal(tg_modifier(theirs, "jam"), -2);
	assert_int_equal(tg_modifier(theirs, "skill"), 1);
	tg_check_entry_sums(theirs);
	json_decref(log);
	battle_free(b);
}

static void
test_damaged_sensors_halve_detection(void **state)
{
	struct battle *b = tg_duel(14);
	struct refusal why;

	(void)state;
	tg_edit(b, 2, "{\"x\":350}");	/* 250 away; sensors 300 */
	assert_int_equal(tg_order(b, &ann, &why, GUNNER, 1, ""), 0);
	tg_edit(b, 1, "{\"systems\":{\"sensors\":\"damaged\"}}");
	assert_int_equal(tg_order(b, &ann, &why, GUNNER, 1, ""),
	    BS_ERR_NOT_FOUND);
	assert_int_equal(why.code, REFUSAL_TARGET_NOT_DETECTED);
	battle_free(b);
}

/* A scan rolls 2d6 + skill >= 8 and unhides within twice sensor range. */
static void
test_scan_reveals_hidden_ships(void **state)
{
	struct battle *b;
	json_t *log, *scan, *ship;
	int seed, found = 0, missed = 0, near, far;

	(void)state;
	for (seed = 1; seed <= 30; seed++) {
		b = tg_duel((uint64_t)seed);
		assert_int_equal(crew_set_skill(b, &tg_gm, 1, 0, NULL), 0);
		near = tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\","
		    "\"x\":700,\"y\":100,\"hidden\":true}");	/* 600 */
		far = tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\","
		    "\"x\":702,\"y\":100,\"hidden\":true}");	/* 602 */
		order_ok(b, &ann, "{\"round\":%d,\"station\":\"sensors\","
		    "\"type\":\"scan\"%s}", "");
		log = tg_resolve(b);
		scan = tg_find(log, "scan", 0);
		tg_check_entry_sums(scan);
		assert_int_equal(tg_int(scan, "range"), 600);
		if (tg_int(scan, "total") >= 8) {
			found++;
			assert_int_equal(json_array_size(json_object_get(scan,
			    "revealed")), 1);
			assert_int_equal(tg_int(json_array_get(json_object_get(
			    scan, "revealed"), 0), "ship"), near);
			ship = tg_gm_ship(b, near);
			assert_false(json_is_true(json_object_get(ship,
			    "hidden")));
			json_decref(ship);
		} else
			missed++;
		json_decref(log);
		log = tg_gm_ship(b, far);
		assert_true(json_is_true(json_object_get(log, "hidden")));
		json_decref(log);
		battle_free(b);
	}
	assert_true(found > 0 && missed > 0);
}

static void
test_hidden_ship_revealed_after_firing(void **state)
{
	struct battle *b = tg_duel(15);
	json_t *log, *rev, *ship;

	(void)state;
	tg_edit(b, 2, "{\"hidden\":true}");
	order_ok(b, &tg_gm, RAIDER_FIRES, "");
	log = tg_resolve(b);
	rev = tg_find(log, "revealed", 0);
	assert_non_null(rev);
	assert_int_equal(tg_int(rev, "actor"), 2);
	ship = tg_gm_ship(b, 2);
	assert_false(json_is_true(json_object_get(ship, "hidden")));
	json_decref(ship);
	json_decref(log);
	battle_free(b);
}

/*
 * Dauntless (thrust 40: it always acts first) destroys Raider (hull 1,
 * evasion -10) before Raider's missiles fly.
 */
static void
test_destroyed_before_it_fires(void **state)
{
	struct battle *b = tg_duel(16);
	json_t *log, *lost, *ship;

	(void)state;
	tg_edit(b, 1, "{\"thrust\":40}");
	tg_edit(b, 2, "{\"thrust\":0,\"hull\":1,\"evasion\":-10,\"armor\":0,"
	    "\"weapons\":[\"missile rack\"]}");
	tg_ship(b, "{\"class\":\"destroyer\",\"side\":\"hostile\",\"x\":900,"
	    "\"y\":900}");	/* keeps the battle going */
	order_ok(b, &ann, GUNNER, "");
	order_ok(b, &tg_gm, RAIDER_FIRES, "");
	log = tg_resolve(b);
	assert_int_equal(tg_count(log, "attack"), 1);
	assert_int_equal(tg_int(tg_find(log, "attack", 0), "actor"), 1);
	assert_true(json_is_true(json_object_get(tg_find(log, "attack", 0),
	    "destroyed")));
	lost = tg_find(log, "no_fire", 0);
	assert_int_equal(tg_int(lost, "actor"), 2);
	assert_string_equal(str_of(lost, "reason"), "destroyed");
	ship = tg_gm_ship(b, 2);
	assert_int_equal(tg_int(json_array_get(json_object_get(ship,
	    "weapons"), 0), "ammo"), 6);
	assert_string_equal(str_of(ship, "damage"), "destroyed");
	json_decref(ship);
	assert_int_equal(tg_ship_int(b, 2, "hull"), 0);
	assert_int_equal(battle_phase(b), PHASE_PLANNING);
	json_decref(log);
	battle_free(b);
}

static void
test_ammo_runs_out(void **state)
{
	struct battle *b = tg_duel(17);
	struct refusal why;
	json_t *log, *ship;

	(void)state;
	tg_edit(b, 1, "{\"weapons\":[{\"type\":\"missile rack\",\"ammo\":1}]}");
	tg_edit(b, 2, "{\"hull_max\":1000,\"armor\":100}");
	order_ok(b, &ann, GUNNER, "");
	log = tg_resolve(b);
	assert_int_equal(tg_count(log, "attack"), 1);
	json_decref(log);
	ship = tg_gm_ship(b, 1);
	assert_int_equal(tg_int(json_array_get(json_object_get(ship,
	    "weapons"), 0), "ammo"), 0);
	json_decref(ship);
	assert_int_equal(tg_order(b, &ann, &why, GUNNER, 2, ""),
	    BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_OUT_OF_AMMO);
	battle_free(b);
}

static void
test_end_check(void **state)
{
	struct battle *b = tg_duel(18);
	json_t *log, *end;

	(void)state;
	tg_edit(b, 1, "{\"thrust\":40}");
	tg_edit(b, 2, "{\"hull\":1,\"evasion\":-10,\"armor\":0}");
	order_ok(b, &ann, GUNNER, "");
	log = tg_resolve(b);
	end = tg_find(log, "battle_end", 0);
	assert_non_null(end);
	assert_string_equal(str_of(end, "winner"), "crew");
	assert_string_equal(str_of(end, "text"),
	    "the battle ends: the crew side wins");
	assert_int_equal(battle_phase(b), PHASE_ENDED);
	assert_int_equal(battle_winner(b), SIDE_CREW);
	assert_int_equal(battle_round(b), 1);
	assert_int_equal(resolve_round(b, NULL), BS_ERR_STATE);
	json_decref(log);
	battle_free(b);

	/* Both sides wrecked before the round resolves: a draw. */
	b = tg_duel(19);
	tg_edit(b, 1, "{\"hull\":0}");
	tg_edit(b, 2, "{\"hull\":0}");
	log = tg_resolve(b);
	assert_int_equal(battle_winner(b), SIDE_NONE);
	assert_string_equal(str_of(tg_find(log, "battle_end", 0), "winner"),
	    "none");
	json_decref(log);
	battle_free(b);

	/* The hostile side wins when the crew's last ship is lost. */
	b = tg_duel(20);
	tg_edit(b, 1, "{\"hull\":1,\"evasion\":-10,\"armor\":0,"
	    "\"thrust\":0}");
	tg_edit(b, 2, "{\"skill\":3,\"thrust\":40}");
	order_ok(b, &tg_gm, RAIDER_FIRES, "");
	log = tg_resolve(b);
	assert_int_equal(battle_winner(b), SIDE_HOSTILE);
	json_decref(log);
	battle_free(b);
}

/* Everything without an order holds; the next round opens. */
static void
test_defaults_hold(void **state)
{
	struct battle *b = tg_duel(21);
	json_t *log;

	(void)state;
	battle_set_deadline(b, 1700000000000);
	log = tg_resolve(b);
	assert_int_equal(tg_count(log, "attack"), 0);
	assert_int_equal(json_array_size(json_object_get(tg_find(log,
	    "movement", 0), "moves")), 0);
	assert_int_equal(tg_ship_int(b, 1, "x"), 100);
	assert_int_equal(battle_round(b), 2);
	assert_int_equal(battle_phase(b), PHASE_PLANNING);
	assert_int_equal(battle_deadline(b), 0);
	json_decref(log);
	battle_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_effect_damages_a_system),
		cmocka_unit_test(test_armor_absorbs_everything),
		cmocka_unit_test(test_damaged_weapons_and_overcharge),
		cmocka_unit_test(test_overcharge_risk),
		cmocka_unit_test(test_repair_system),
		cmocka_unit_test(test_repair_hull_capped),
		cmocka_unit_test(test_lock_and_jam),
		cmocka_unit_test(test_damaged_sensors_halve_detection),
		cmocka_unit_test(test_scan_reveals_hidden_ships),
		cmocka_unit_test(test_hidden_ship_revealed_after_firing),
		cmocka_unit_test(test_destroyed_before_it_fires),
		cmocka_unit_test(test_ammo_runs_out),
		cmocka_unit_test(test_end_check),
		cmocka_unit_test(test_defaults_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
