/*
 * Orders and every refusal: each rule that can turn an order, a GM edit
 * or a lobby action down, with its code, its error and a sentence; a
 * refused request changes nothing (the state hash stays the same).
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

/*
 * Ship 1: the crewed corvette at (100,100); player 1 holds pilot and
 * gunner, player 2 the captain's chair.  Ship 2: hostile frigate, 200
 * east, its missiles empty.  3: hidden hostile scout.  4: hostile
 * destroyer far away.  5: hostile wreck.  6: crew-side trader (a GM
 * ally) with long sensors.  7: hostile scout 900 away but seen by 6.
 */
static struct battle *
standard(void)
{
	struct battle *b = tg_battle(99);

	tg_ship(b, "{\"class\":\"corvette\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":100,\"y\":100}");
	tg_ship(b, "{\"class\":\"frigate\",\"side\":\"hostile\",\"x\":300,"
	    "\"y\":100,\"weapons\":[\"beam laser\",\"beam laser\","
	    "{\"type\":\"missile rack\",\"ammo\":0}]}");
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":200,"
	    "\"y\":200,\"hidden\":true}");
	tg_ship(b, "{\"class\":\"destroyer\",\"side\":\"hostile\",\"x\":900,"
	    "\"y\":900}");
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":150,"
	    "\"y\":100,\"hull\":0}");
	tg_ship(b, "{\"class\":\"trader\",\"side\":\"crew\",\"x\":100,"
	    "\"y\":300,\"sensors\":800}");
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":100,"
	    "\"y\":1000}");
	tg_player(b, "Ann", 1, "pilot,gunner");
	tg_player(b, "Bob", 2, "captain");
	tg_start(b);
	return b;
}

/* tg_dump() into a buffer that lives until the next call. */
static char dump_buf[1024];

static const char *
tg_dump_keep(const json_t *j)
{
	char *text = tg_dump(j);

	snprintf(dump_buf, sizeof dump_buf, "%s", text);
	free(text);
	return dump_buf;
}

struct order_case {
	int			 who;	/* 0 GM, -1 spectator, else player */
	const char		*order;
	int			 rc;
	enum refusal_code	 code;
};

#define R1 "{\"round\":1,"

static const struct order_case order_cases[] = {
	{ -1, R1 "\"station\":\"pilot\",\"type\":\"hold\"}", BS_ERR_DENIED,
	    REFUSAL_SPECTATOR },
	{ 1, "{\"round\":2,\"station\":\"pilot\",\"type\":\"hold\"}",
	    BS_ERR_STATE, REFUSAL_WRONG_ROUND },
	{ 1, "{\"station\":\"pilot\",\"type\":\"hold\"}", BS_ERR_INVALID,
	    REFUSAL_MALFORMED },
	{ 1, R1 "\"station\":\"helm\",\"type\":\"hold\"}", BS_ERR_NOT_FOUND,
	    REFUSAL_UNKNOWN_STATION },
	{ 1, R1 "\"station\":\"captain\",\"type\":\"tactics\"}", BS_ERR_DENIED,
	    REFUSAL_STATION_NOT_YOURS },
	{ 1, R1 "\"station\":\"engineer\",\"type\":\"hold\"}", BS_ERR_DENIED,
	    REFUSAL_STATION_NOT_YOURS },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"fire\"}", BS_ERR_INVALID,
	    REFUSAL_UNKNOWN_ORDER },
	{ 1, R1 "\"station\":\"pilot\"}", BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"move\",\"x\":\"abc\","
	    "\"y\":1}", BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"move\",\"x\":1.5,\"y\":1}",
	    BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"move\",\"x\":120}",
	    BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"move\",\"x\":120,\"y\":100,"
	    "\"z\":1}", BS_ERR_INVALID, REFUSAL_UNKNOWN_FIELD },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"move\",\"x\":1001,"
	    "\"y\":100}", BS_ERR_INVALID, REFUSAL_OFF_MAP },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"move\",\"x\":-1,\"y\":100}",
	    BS_ERR_INVALID, REFUSAL_OFF_MAP },
	{ 1, R1 "\"station\":\"pilot\",\"type\":\"move\",\"x\":226,"
	    "\"y\":100}", BS_ERR_INVALID, REFUSAL_BEYOND_THRUST },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":2,"
	    "\"target\":2}", BS_ERR_NOT_FOUND, REFUSAL_NO_SUCH_WEAPON },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"fire\":["
	    "{\"weapon\":0,\"target\":2},{\"weapon\":0,\"target\":2}]}",
	    BS_ERR_INVALID, REFUSAL_WEAPON_TWICE },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":0,"
	    "\"target\":6}", BS_ERR_INVALID, REFUSAL_TARGET_FRIENDLY },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":0,"
	    "\"target\":5}", BS_ERR_STATE, REFUSAL_TARGET_DESTROYED },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":0,"
	    "\"target\":3}", BS_ERR_NOT_FOUND, REFUSAL_TARGET_NOT_DETECTED },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":0,"
	    "\"target\":4}", BS_ERR_NOT_FOUND, REFUSAL_TARGET_NOT_DETECTED },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":0,"
	    "\"target\":99}", BS_ERR_NOT_FOUND, REFUSAL_TARGET_NOT_DETECTED },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":0,"
	    "\"target\":7}", BS_ERR_INVALID, REFUSAL_OUT_OF_RANGE },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"fire\":[]}",
	    BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"fire\":["
	    "{\"weapon\":0,\"target\":2}],\"weapon\":1}", BS_ERR_INVALID,
	    REFUSAL_MALFORMED },
	{ 1, R1 "\"station\":\"gunner\",\"type\":\"fire\",\"fire\":["
	    "{\"weapon\":0,\"ship\":2}]}", BS_ERR_INVALID,
	    REFUSAL_UNKNOWN_FIELD },
	{ 1, R1 "\"ship\":2}", BS_ERR_DENIED, REFUSAL_GM_ONLY },
	{ 1, R1 "\"station\":\"pilot\",\"ship\":2}", BS_ERR_INVALID,
	    REFUSAL_MALFORMED },
	{ 1, "[1]", BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 0, R1 "\"ship\":1}", BS_ERR_INVALID, REFUSAL_SHIP_IS_CREWED },
	{ 0, R1 "\"ship\":99}", BS_ERR_NOT_FOUND, REFUSAL_NO_SUCH_SHIP },
	{ 0, R1 "\"ship\":5}", BS_ERR_STATE, REFUSAL_SHIP_DESTROYED },
	{ 0, R1 "\"ship\":2,\"type\":\"attack\"}", BS_ERR_INVALID,
	    REFUSAL_UNKNOWN_ORDER },
	{ 0, R1 "\"ship\":2,\"move\":{\"x\":300,\"y\":150},\"evade\":true}",
	    BS_ERR_INVALID, REFUSAL_MOVE_AND_EVADE },
	{ 0, R1 "\"ship\":2,\"move\":{\"x\":500,\"y\":100}}", BS_ERR_INVALID,
	    REFUSAL_BEYOND_THRUST },
	{ 0, R1 "\"ship\":2,\"move\":{\"x\":300,\"y\":1200}}", BS_ERR_INVALID,
	    REFUSAL_OFF_MAP },
	{ 0, R1 "\"ship\":2,\"evade\":\"maybe\"}", BS_ERR_INVALID,
	    REFUSAL_MALFORMED },
	{ 0, R1 "\"ship\":2,\"move\":{\"x\":300,\"y\":150},\"x\":1}",
	    BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 0, R1 "\"ship\":2,\"x\":300}", BS_ERR_INVALID, REFUSAL_MALFORMED },
	{ 0, R1 "\"ship\":2,\"fire\":[{\"weapon\":0,\"target\":99}]}",
	    BS_ERR_NOT_FOUND, REFUSAL_NO_SUCH_SHIP },
	{ 0, R1 "\"ship\":2,\"fire\":[{\"weapon\":0,\"target\":3}]}",
	    BS_ERR_INVALID, REFUSAL_TARGET_FRIENDLY },
	{ 0, R1 "\"ship\":2,\"fire\":[{\"weapon\":2,\"target\":1}]}",
	    BS_ERR_STATE, REFUSAL_OUT_OF_AMMO },
	{ 0, R1 "\"ship\":2,\"fire\":[{\"weapon\":3,\"target\":1}]}",
	    BS_ERR_NOT_FOUND, REFUSAL_NO_SUCH_WEAPON },
	{ 0, R1 "\"station\":\"engineer\",\"type\":\"repair\","
	    "\"system\":\"drive\"}", BS_ERR_STATE, REFUSAL_SYSTEM_NOT_DAMAGED },
	{ 0, R1 "\"station\":\"engineer\",\"type\":\"repair\","
	    "\"system\":\"shields\"}", BS_ERR_INVALID, REFUSAL_UNKNOWN_SYSTEM },
	{ 0, R1 "\"station\":\"engineer\",\"type\":\"overcharge\","
	    "\"system\":\"sensors\"}", BS_ERR_INVALID, REFUSAL_UNKNOWN_SYSTEM },
	{ 0, R1 "\"station\":\"sensors\",\"type\":\"lock\",\"target\":3}",
	    BS_ERR_NOT_FOUND, REFUSAL_TARGET_NOT_DETECTED },
	{ 0, R1 "\"station\":\"sensors\",\"type\":\"jam\"}", BS_ERR_INVALID,
	    REFUSAL_MALFORMED },
};

static struct actor
actor_of(int who)
{
	struct actor a = { ACTOR_GM, 0 };

	if (who < 0)
		a.role = ACTOR_SPECTATOR;
	else if (who > 0)
		a = tg_player_actor(who);
	return a;
}

static void
test_order_refusals(void **state)
{
	struct battle *b = standard();
	uint64_t before = codec_hash(b);
	struct refusal why;
	struct actor who;
	json_t *order;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof order_cases / sizeof order_cases[0]; i++) {
		memset(&why, 0, sizeof why);
		who = actor_of(order_cases[i].who);
		order = tg_jsonf("%s", order_cases[i].order);
		rc = order_submit(b, &who, order, &why);
		json_decref(order);
		if (rc != order_cases[i].rc || why.code != order_cases[i].code)
			fail_msg("case %zu %s: got %d %s (%s)", i,
			    order_cases[i].order, rc, refusal_name(why.code),
			    why.text);
		assert_true(strlen(why.text) > 10);
		assert_int_equal(codec_hash(b), before);
	}
	battle_free(b);
}

static void
test_refusal_sentences(void **state)
{
	struct battle *b = standard();
	struct actor ann = tg_player_actor(1);
	struct refusal why;

	(void)state;
	tg_order(b, &ann, &why, "{\"round\":2,\"station\":\"pilot\","
	    "\"type\":\"hold\"}");
	assert_string_equal(why.text, "this order is for round 2 but the "
	    "battle is in round 1; resend it with \"round\":1");
	tg_order(b, &ann, &why, R1 "\"station\":\"gunner\",\"type\":\"fire\","
	    "\"weapon\":0,\"target\":7}");
	assert_string_equal(why.text, "scout 7 is 900 units away; no weapon "
	    "reaches beyond 600");
	assert_string_equal(refusal_name(REFUSAL_WRONG_ROUND), "wrong_round");
	assert_string_equal(refusal_name(REFUSAL_COUNT), "unknown");
	battle_free(b);
}

static void
test_refusal_names_unique(void **state)
{
	int i, k;

	(void)state;
	for (i = 0; i < REFUSAL_COUNT; i++) {
		assert_string_not_equal(refusal_name((enum refusal_code)i),
		    "unknown");
		for (k = 0; k < i; k++)
			assert_string_not_equal(refusal_name(
			    (enum refusal_code)i),
			    refusal_name((enum refusal_code)k));
	}
}

static void
test_orders_accepted_and_replaced(void **state)
{
	struct battle *b = standard();
	struct actor ann = tg_player_actor(1), bob = tg_player_actor(2);
	json_t *view, *orders;

	(void)state;
	assert_false(order_all_in(b));
	/* Strings for numbers, as a converted form sends them. */
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":\"1\","
	    "\"station\":\"gunner\",\"type\":\"fire\",\"weapon\":\"0\","
	    "\"target\":\"2\"}"), 0);
	assert_int_equal(tg_order(b, &ann, NULL, R1 "\"station\":\"pilot\","
	    "\"type\":\"move\",\"x\":120,\"y\":340}"), BS_ERR_INVALID);
	assert_int_equal(tg_order(b, &ann, NULL, R1 "\"station\":\"pilot\","
	    "\"type\":\"move\",\"x\":200,\"y\":150}"), 0);
	assert_int_equal(tg_order(b, &ann, NULL, R1 "\"station\":\"pilot\","
	    "\"type\":\"evade\"}"), 0);	/* replaces the move */
	assert_false(order_all_in(b));	/* captain and GM ships missing */
	assert_int_equal(tg_order(b, &bob, NULL, R1 "\"station\":\"captain\","
	    "\"type\":\"tactics\"}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":2,\"fire\":["
	    "{\"weapon\":0,\"target\":1},{\"weapon\":1,\"target\":6}]}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":3,"
	    "\"evade\":\"true\"}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":4,"
	    "\"type\":\"hold\"}"), 0);
	/* Flat, as a form sends it, then the same as JSON. */
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":\"6\","
	    "\"x\":\"100\",\"y\":\"340\",\"weapon\":\"0\","
	    "\"target\":\"2\"}"), 0);
	view = view_battle(b, VIEWER_GM);
	assert_true(strstr(tg_dump_keep(json_object_get(json_object_get(
	    json_object_get(view, "orders"), "ships"), "6")),
	    "{\"evade\":false,\"fire\":[{\"target\":2,\"weapon\":0}],"
	    "\"move\":{\"x\":100,\"y\":340}}") != NULL);
	json_decref(view);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":6,"
	    "\"move\":{\"x\":100,\"y\":350}}"), 0);
	assert_false(order_all_in(b));	/* ship 7 */
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":7}"), 0);
	/* Engineer and sensors are free: they do not block. */
	assert_true(order_all_in(b));

	view = view_battle(b, VIEWER_GM);
	orders = json_object_get(view, "orders");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(orders, "stations"), "pilot"), "type")), "evade");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(orders, "ships"), "6"), "move"),
	    "y")), 350);
	assert_true(json_is_true(json_object_get(view, "orders_in")));
	json_decref(view);
	assert_int_equal(resolve_begin(b), 0);
	assert_int_equal(tg_order(b, &bob, NULL, R1 "\"station\":\"captain\","
	    "\"type\":\"hold\"}"), BS_ERR_STATE);
	json_decref(tg_resolve(b));
	assert_int_equal(battle_round(b), 2);
	assert_false(order_all_in(b));
	battle_free(b);
}

static void
test_phase_refusals(void **state)
{
	struct battle *b = tg_battle(1);
	struct actor ann;
	struct refusal why;
	int player;

	(void)state;
	tg_ship(b, "{\"class\":\"corvette\",\"side\":\"crew\",\"x\":0,"
	    "\"y\":0}");
	player = tg_player(b, "Ann", 1, "pilot");
	ann = tg_player_actor(player);
	assert_int_equal(tg_order(b, &ann, &why, "{\"round\":0,\"station\":"
	    "\"pilot\",\"type\":\"hold\"}"), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_NOT_PLANNING);
	assert_int_equal(battle_start(b, &tg_gm, NULL, &why), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_SIDE_EMPTY);
	assert_int_equal(battle_start(b, &ann, NULL, &why), BS_ERR_DENIED);
	assert_int_equal(why.code, REFUSAL_GM_ONLY);
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":900,"
	    "\"y\":900}");
	tg_start(b);
	assert_int_equal(battle_start(b, &tg_gm, NULL, &why), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_NOT_LOBBY);
	/* No crewed ship: the stations have nothing to command. */
	assert_int_equal(tg_order(b, &ann, &why, R1 "\"station\":\"pilot\","
	    "\"type\":\"hold\"}"), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_NO_CREWED_SHIP);
	assert_int_equal(battle_end(b, &tg_gm, NULL, &why), 0);
	assert_int_equal(battle_end(b, &tg_gm, NULL, &why), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_BATTLE_ENDED);
	assert_int_equal(tg_order(b, &ann, &why, R1 "\"station\":\"pilot\","
	    "\"type\":\"hold\"}"), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_BATTLE_ENDED);
	assert_int_equal(crew_player_add(b, "Late", NULL, &why), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_BATTLE_ENDED);
	assert_int_equal(battle_narrate(b, &tg_gm, "Afterwards.", NULL, &why),
	    0);
	battle_free(b);
}

static void
test_wrecked_crewed_ship(void **state)
{
	struct battle *b = standard();
	struct actor ann = tg_player_actor(1);
	struct refusal why;

	(void)state;
	tg_edit(b, 1, "{\"hull\":0}");
	assert_int_equal(tg_order(b, &ann, &why, R1 "\"station\":\"pilot\","
	    "\"type\":\"hold\"}"), BS_ERR_STATE);
	assert_int_equal(why.code, REFUSAL_SHIP_DESTROYED);
	/* A wreck's held stations do not block the round. */
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":2}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":3}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":4}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":6}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, R1 "\"ship\":7}"), 0);
	assert_true(order_all_in(b));
	battle_free(b);
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_refusals),
		cmocka_unit_test(test_refusal_sentences),
		cmocka_unit_test(test_refusal_names_unique),
		cmocka_unit_test(test_orders_accepted_and_replaced),
		cmocka_unit_test(test_phase_refusals),
		cmocka_unit_test(test_wrecked_crewed_ship),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
