/*
 * Projections: what the GM, the crew and spectators see of a battle and
 * of each log entry (broadside-rules(7), "WHAT EACH VIEWER SEES"),
 * checked on the serialized bytes as the API and the event stream will send them.
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
 * 1: the crewed frigate at (100,100), sensors 300, player 1 at every
 * station.  2: hostile corvette at (300,100), detected, notes with a
 * marker.  3: hidden hostile scout "Shadowmarker" at (150,150).  4:
 * hostile destroyer "Farmarker" at (900,900), beyond sensors.  5: a
 * crew-side ally trader at (100,200) with GM notes.
 */
static struct battle *
scene(void)
{
	struct battle *b = tg_battle(77);

	tg_ship(b, "{\"class\":\"frigate\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":100,\"y\":100,\"name\":\"Dauntless\",\"notes\":"
	    "\"OwnNoteMarker\"}");
	tg_ship(b, "{\"class\":\"corvette\",\"side\":\"hostile\",\"x\":300,"
	    "\"y\":100,\"name\":\"Raider\",\"notes\":\"GmNoteMarker\","
	    "\"skill\":3}");
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":150,"
	    "\"y\":150,\"name\":\"Shadowmarker\",\"hidden\":true}");
	tg_ship(b, "{\"class\":\"destroyer\",\"side\":\"hostile\",\"x\":900,"
	    "\"y\":900,\"name\":\"Farmarker\"}");
	tg_ship(b, "{\"class\":\"trader\",\"side\":\"crew\",\"x\":100,"
	    "\"y\":200,\"name\":\"Ally\",\"notes\":\"AllyNoteMarker\"}");
	tg_player(b, "Ann", 2, "captain,pilot,gunner,engineer,sensors");
	tg_start(b);
	return b;
}

static const struct actor ann = { ACTOR_PLAYER, 1 };

static bool
contains(const json_t *j, const char *needle)
{
	char *text = tg_dump(j);
	bool found = strstr(text, needle) != NULL;

	free(text);
	return found;
}

static json_t *
ship_in(const json_t *view, int id)
{
	char key[16];

	snprintf(key, sizeof key, "%d", id);
	return json_object_get(json_object_get(view, "ships"), key);
}

static void
test_gm_sees_everything(void **state)
{
	struct battle *b = scene();
	json_t *view = view_battle(b, VIEWER_GM);

	(void)state;
	assert_int_equal(json_object_size(json_object_get(view, "ships")), 5);
	assert_true(contains(view, "GmNoteMarker"));
	assert_true(contains(view, "Shadowmarker"));
	assert_int_equal(json_integer_value(json_object_get(ship_in(view, 2),
	    "skill")), 3);
	assert_int_equal(json_integer_value(json_object_get(ship_in(view, 2),
	    "armor")), 4);
	assert_true(json_is_true(json_object_get(ship_in(view, 3), "hidden")));
	assert_string_equal(json_string_value(json_object_get(view, "phase")),
	    "planning");
	assert_int_equal(json_integer_value(json_object_get(view, "round")), 1);
	assert_non_null(json_object_get(view, "orders_in"));
	json_decref(view);
	battle_free(b);
}

static void
test_crew_sees_own_side_and_detected_hostiles(void **state)
{
	static const char *const allowed[] = { "id", "name", "class", "side",
	    "x", "y", "damage", "systems", NULL };
	struct battle *b = scene();
	json_t *view, *raider, *v;
	const char *key;
	size_t i;

	(void)state;
	tg_edit(b, 2, "{\"hull\":15,\"systems\":{\"drive\":\"damaged\"}}");
	view = view_battle(b, VIEWER_CREW);
	assert_int_equal(json_object_size(json_object_get(view, "ships")), 3);
	assert_non_null(ship_in(view, 1));
	assert_non_null(ship_in(view, 5));
	assert_null(ship_in(view, 3));		/* hidden */
	assert_null(ship_in(view, 4));		/* out of sensor range */
	raider = ship_in(view, 2);
	json_object_foreach(raider, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			fail_msg("crew sees hostile field %s", key);
	}
	assert_int_equal(json_object_size(raider), 8);
	assert_string_equal(json_string_value(json_object_get(raider,
	    "damage")), "heavy");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    raider, "systems"), "drive")), "damaged");
	/* Own side in full, but never the GM's notes. */
	assert_int_equal(json_integer_value(json_object_get(ship_in(view, 5),
	    "hull")), 60);
	assert_false(contains(view, "NoteMarker"));
	assert_false(contains(view, "Shadowmarker"));
	assert_false(contains(view, "Farmarker"));
	assert_null(json_object_get(view, "orders_in"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(view, "players"), "1"), "name")), "Ann");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    view, "stations"), "gunner")), 1);
	json_decref(view);

	/* A wreck in range is seen as destroyed; revealed ships appear. */
	tg_edit(b, 2, "{\"hull\":0}");
	assert_int_equal(fleet_set_hidden(b, &tg_gm, 3, false, NULL), 0);
	view = view_battle(b, VIEWER_CREW);
	assert_string_equal(json_string_value(json_object_get(ship_in(view, 2),
	    "damage")), "destroyed");
	assert_non_null(ship_in(view, 3));
	json_decref(view);
	battle_free(b);
}

/*
 * waiting_for follows the orders; a resolution logs who held for want of
 * an order, and the crew's copy names no hostile ship; an accepted
 * order's receipt says what it became, with numbers as numbers.
 */
static void
test_waiting_defaults_receipt(void **state)
{
	struct battle *b = scene();
	json_t *crew, *gm, *log, *e, *copy, *body, *r;
	char *text;

	(void)state;
	crew = view_battle(b, VIEWER_CREW);
	assert_int_equal(json_array_size(json_object_get(json_object_get(crew,
	    "waiting_for"), "stations")), 5);
	json_decref(crew);
	body = tg_jsonf("{\"round\":\"1\",\"station\":\"gunner\","
	    "\"type\":\"fire\",\"weapon\":\"0\",\"target\":\"2\"}");
	assert_int_equal(order_submit(b, &ann, body, NULL), 0);
	r = order_receipt(b, body);
	text = tg_dump(r);
	assert_string_equal(text, "{\"order\":{\"fire\":[{\"target\":2,"
	    "\"weapon\":0}],\"type\":\"fire\"},\"round\":1,"
	    "\"station\":\"gunner\"}");
	free(text);
	json_decref(r);
	json_decref(body);
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":2,"
	    "\"evade\":true}"), 0);
	crew = view_battle(b, VIEWER_CREW);
	gm = view_battle(b, VIEWER_GM);
	assert_false(contains(json_object_get(crew, "waiting_for"),
	    "gunner"));
	assert_true(contains(json_object_get(crew, "waiting_for"), "pilot"));
	assert_true(contains(json_object_get(crew, "waiting_for"),
	    "\"ships\":[]"));
	/* Ship 2 ordered; 3, 4 (hostile) and 5 (the ally) did not. */
	assert_true(contains(json_object_get(gm, "waiting_for"),
	    "\"ships\":[3,4,5]"));
	json_decref(crew);
	json_decref(gm);

	log = tg_resolve(b);
	e = tg_find(log, "defaults", 0);
	assert_non_null(e);
	assert_int_equal(json_array_size(json_object_get(e, "stations")), 4);
	assert_int_equal(json_array_size(json_object_get(e, "ships")), 3);
	assert_non_null(strstr(json_string_value(json_object_get(e, "text")),
	    "Farmarker holds"));
	copy = view_log_entry(b, VIEWER_CREW, e);
	assert_int_equal(json_array_size(json_object_get(copy, "ships")), 1);
	assert_false(contains(copy, "Farmarker"));
	assert_false(contains(copy, "Shadowmarker"));
	assert_false(contains(copy, "Raider"));
	assert_string_equal(json_string_value(json_object_get(copy, "text")),
	    "no order in time: captain, pilot, engineer, sensors hold; "
	    "Ally holds");
	json_decref(copy);
	json_decref(log);
	/* A new round: nobody has ordered yet. */
	gm = view_battle(b, VIEWER_GM);
	assert_true(contains(json_object_get(gm, "waiting_for"), "gunner"));
	json_decref(gm);
	battle_free(b);
}

static void
test_orders_in_views(void **state)
{
	struct battle *b = scene();
	json_t *gm, *crew, *spectator;
	char *a, *c;

	(void)state;
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":1,\"station\":"
	    "\"gunner\",\"type\":\"fire\",\"weapon\":0,\"target\":2}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":2,"
	    "\"fire\":[{\"weapon\":0,\"target\":1}]}"), 0);
	/* The GM's ally aims at the hidden scout: the crew sees no id. */
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":5,"
	    "\"fire\":[{\"weapon\":0,\"target\":3}]}"), 0);
	gm = view_battle(b, VIEWER_GM);
	crew = view_battle(b, VIEWER_CREW);
	spectator = view_battle(b, VIEWER_SPECTATOR);
	assert_non_null(json_object_get(json_object_get(json_object_get(gm,
	    "orders"), "ships"), "2"));
	assert_null(json_object_get(json_object_get(json_object_get(crew,
	    "orders"), "ships"), "2"));
	assert_non_null(json_object_get(json_object_get(json_object_get(crew,
	    "orders"), "stations"), "gunner"));
	assert_true(contains(json_object_get(json_object_get(json_object_get(
	    crew, "orders"), "ships"), "5"), "{\"weapon\":0}"));
	assert_null(json_object_get(spectator, "orders"));
	/* Who has not ordered: the crew's stations, and GM ships for the GM. */
	assert_true(contains(json_object_get(crew, "waiting_for"),
	    "\"ships\":[]"));
	assert_true(json_array_size(json_object_get(json_object_get(gm,
	    "waiting_for"), "ships")) > 0);
	assert_null(json_object_get(spectator, "waiting_for"));
	/* Spectators see the crew's view minus orders. */
	json_object_del(crew, "orders");
	json_object_del(crew, "waiting_for");
	a = tg_dump(crew);
	c = tg_dump(spectator);
	assert_string_equal(a, c);
	free(a);
	free(c);
	json_decref(gm);
	json_decref(crew);
	json_decref(spectator);
	battle_free(b);
}

static void
test_projection_is_canonical(void **state)
{
	struct battle *b = scene(), *again = scene(), *copy;
	json_t *v1, *v2;
	char *s1, *s2;
	int viewer;

	(void)state;
	copy = battle_copy(b);
	for (viewer = VIEWER_GM; viewer <= VIEWER_SPECTATOR; viewer++) {
		v1 = view_battle(b, (enum viewer)viewer);
		v2 = view_battle(again, (enum viewer)viewer);
		s1 = tg_dump(v1);
		s2 = tg_dump(v2);
		assert_string_equal(s1, s2);
		free(s2);
		json_decref(v2);
		v2 = view_battle(copy, (enum viewer)viewer);
		s2 = tg_dump(v2);
		assert_string_equal(s1, s2);
		free(s1);
		free(s2);
		json_decref(v1);
		json_decref(v2);
	}
	battle_free(copy);
	battle_free(again);
	battle_free(b);
}

static json_t *
attack_by(const json_t *log, int actor)
{
	json_t *e;
	int n;

	for (n = 0; (e = tg_find(log, "attack", n)) != NULL; n++)
		if (json_integer_value(json_object_get(e, "actor")) == actor)
			return e;
	return NULL;
}

static void
test_log_unknown_attacker(void **state)
{
	struct battle *b = scene();
	json_t *log, *gm_entry, *crew_entry;
	const char *text;

	(void)state;
	/* Farmarker out of sensor range hits Dauntless with a missile. */
	tg_edit(b, 4, "{\"x\":100,\"y\":650,\"skill\":3}");
	tg_edit(b, 1, "{\"evasion\":-10}");
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":4,"
	    "\"fire\":[{\"weapon\":1,\"target\":1}]}"), 0);
	log = tg_resolve(b);
	gm_entry = attack_by(log, 4);
	assert_non_null(gm_entry);
	crew_entry = view_log_entry(b, VIEWER_CREW, gm_entry);
	text = json_string_value(json_object_get(crew_entry, "text"));
	assert_true(strncmp(text, "an unknown ship fires at Dauntless: hit, ",
	    41) == 0);
	assert_null(json_object_get(crew_entry, "actor"));
	assert_null(json_object_get(crew_entry, "dice"));
	assert_null(json_object_get(crew_entry, "weapon_type"));
	assert_null(json_object_get(crew_entry, "distance"));
	assert_int_equal(json_integer_value(json_object_get(crew_entry,
	    "damage")), json_integer_value(json_object_get(gm_entry,
	    "damage")));
	assert_false(contains(crew_entry, "Farmarker"));
	json_decref(crew_entry);
	/* Once the crew detects it, the same entry names it. */
	tg_edit(b, 4, "{\"y\":350}");
	crew_entry = view_log_entry(b, VIEWER_CREW, gm_entry);
	assert_int_equal(json_integer_value(json_object_get(crew_entry,
	    "actor")), 4);
	assert_true(strncmp(json_string_value(json_object_get(crew_entry,
	    "text")), "Farmarker fires missile rack at Dauntless: hit, ",
	    47) == 0);
	assert_null(json_object_get(crew_entry, "modifiers"));
	json_decref(crew_entry);
	json_decref(log);
	battle_free(b);
}

static void
test_log_crew_attack_hides_armor(void **state)
{
	struct battle *b = scene();
	json_t *log, *gm_entry, *crew_entry, *gm_copy;
	char *a, *c;

	(void)state;
	tg_edit(b, 2, "{\"evasion\":-10}");	/* a sure hit */
	assert_int_equal(tg_order(b, &ann, NULL, "{\"round\":1,\"station\":"
	    "\"gunner\",\"type\":\"fire\",\"weapon\":0,\"target\":2}"), 0);
	log = tg_resolve(b);
	gm_entry = attack_by(log, 1);
	crew_entry = view_log_entry(b, VIEWER_CREW, gm_entry);
	assert_null(json_object_get(crew_entry, "armor"));
	assert_null(json_object_get(crew_entry, "damage"));
	assert_null(json_object_get(crew_entry, "hull"));
	assert_non_null(json_object_get(crew_entry, "dice"));
	assert_non_null(json_object_get(crew_entry, "damage_roll"));
	assert_non_null(strstr(json_string_value(json_object_get(crew_entry,
	    "text")), "before armor"));
	assert_null(strstr(json_string_value(json_object_get(crew_entry,
	    "text")), "armor 4"));
	gm_copy = view_log_entry(b, VIEWER_GM, gm_entry);
	a = tg_dump(gm_copy);
	c = tg_dump(gm_entry);
	assert_string_equal(a, c);
	free(a);
	free(c);
	json_decref(gm_copy);
	json_decref(crew_entry);
	json_decref(log);
	battle_free(b);
}

static void
test_log_hides_hostile_ammo(void **state)
{
	struct battle *b = scene();
	json_t *log, *crew_entry;

	(void)state;
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":2,"
	    "\"fire\":[{\"weapon\":0,\"target\":1}]}"), 0);
	/* The GM empties the rack after the order: the shot is lost. */
	tg_edit(b, 2, "{\"weapons\":[{\"type\":\"missile rack\",\"ammo\":0}]}");
	log = tg_resolve(b);
	assert_string_equal(json_string_value(json_object_get(tg_find(log,
	    "no_fire", 0), "reason")), "out_of_ammo");
	crew_entry = view_log_entry(b, VIEWER_CREW, tg_find(log, "no_fire",
	    0));
	assert_string_equal(json_string_value(json_object_get(crew_entry,
	    "reason")), "held");
	assert_string_equal(json_string_value(json_object_get(crew_entry,
	    "text")), "Raider holds fire");
	json_decref(crew_entry);
	json_decref(log);
	battle_free(b);
}

static void
test_log_initiative_and_movement_filtered(void **state)
{
	struct battle *b = scene();
	json_t *log, *init, *moves, *item;
	size_t i;

	(void)state;
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":4,"
	    "\"move\":{\"x\":850,\"y\":850}}"), 0);
	assert_int_equal(tg_order(b, &tg_gm, NULL, "{\"round\":1,\"ship\":2,"
	    "\"evade\":true}"), 0);
	log = tg_resolve(b);
	init = view_log_entry(b, VIEWER_SPECTATOR, tg_find(log, "initiative",
	    0));
	assert_int_equal(json_array_size(json_object_get(init, "ships")), 3);
	json_array_foreach(json_object_get(init, "ships"), i, item) {
		if (json_integer_value(json_object_get(item, "ship")) == 2)
			assert_int_equal(json_object_size(item), 3);
	}
	assert_false(contains(init, "Farmarker"));
	assert_false(contains(init, "Shadowmarker"));
	moves = view_log_entry(b, VIEWER_CREW, tg_find(log, "movement", 0));
	assert_int_equal(json_array_size(json_object_get(moves, "moves")), 1);
	assert_false(contains(moves, "evade"));
	assert_string_equal(json_string_value(json_object_get(moves, "text")),
	    "movement: Raider is now at (300, 100)");
	json_decref(init);
	json_decref(moves);
	json_decref(log);
	battle_free(b);
}

static void
test_winner_shown_when_ended(void **state)
{
	struct battle *b = scene();
	json_t *view;

	(void)state;
	view = view_battle(b, VIEWER_CREW);
	assert_null(json_object_get(view, "winner"));
	json_decref(view);
	assert_int_equal(battle_end(b, &tg_gm, NULL, NULL), 0);
	view = view_battle(b, VIEWER_CREW);
	assert_string_equal(json_string_value(json_object_get(view, "winner")),
	    "none");
	assert_string_equal(json_string_value(json_object_get(view, "phase")),
	    "ended");
	json_decref(view);
	battle_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gm_sees_everything),
		cmocka_unit_test(test_crew_sees_own_side_and_detected_hostiles),
		cmocka_unit_test(test_orders_in_views),
		cmocka_unit_test(test_waiting_defaults_receipt),
		cmocka_unit_test(test_projection_is_canonical),
		cmocka_unit_test(test_log_unknown_attacker),
		cmocka_unit_test(test_log_crew_attack_hides_armor),
		cmocka_unit_test(test_log_hides_hostile_ammo),
		cmocka_unit_test(test_log_initiative_and_movement_filtered),
		cmocka_unit_test(test_winner_shown_when_ended),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
