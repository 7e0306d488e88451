/*
 * Serialization and determinism: a saved battle loads back exactly and
 * rolls the same dice; malformed or future blobs are refused; a fixed
 * scripted battle gives a fixed log and state hash (checked in below),
 * and saving and restoring it mid-way changes nothing.
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
#include <inttypes.h>

#include "test_game_support.h"

/*
 * Checked-in results of the scripted battle (seed 20240501).  The
 * "defaults" entries (18 of the 22 rounds have a station without an
 * order) took the entries from 190 to 208 and moved both hashes; they
 * roll no dice, so the battle itself played out as before: same rounds,
 * same end.
 */
#define SCRIPT_LOG_HASH		UINT64_C(0xb7c6aff12ca0beb1)
#define SCRIPT_STATE_HASH	UINT64_C(0x37426078042c30f4)
#define SCRIPT_ROUNDS		22
#define SCRIPT_ENTRIES		208

static const struct actor ann = { ACTOR_PLAYER, 1 };
static const struct actor bob = { ACTOR_PLAYER, 2 };

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static struct battle *
script_setup(void)
{
	struct battle *b = tg_battle(20240501);

	tg_ship(b, "{\"class\":\"frigate\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":100,\"y\":500,\"name\":\"Dauntless\"}");
	tg_ship(b, "{\"class\":\"corvette\",\"side\":\"crew\",\"x\":120,"
	    "\"y\":600,\"name\":\"Escort\"}");
	tg_ship(b, "{\"class\":\"destroyer\",\"side\":\"hostile\",\"x\":600,"
	    "\"y\":500,\"name\":\"Tyrant\",\"skill\":2}");
	tg_ship(b, "{\"class\":\"corvette\",\"side\":\"hostile\",\"x\":500,"
	    "\"y\":300,\"name\":\"Jackal\"}");
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":350,"
	    "\"y\":650,\"name\":\"Ghost\",\"hidden\":true}");
	tg_ship(b, "{\"class\":\"trader\",\"side\":\"hostile\",\"x\":700,"
	    "\"y\":800,\"name\":\"Hauler\",\"skill\":0}");
	tg_player(b, "Ann", 2, "pilot,gunner,sensors");
	tg_player(b, "Bob", 1, "captain,engineer");
	tg_start(b);
	return b;
}

/* A GM-view integer of a ship. */
static int
num(const json_t *ship, const char *key)
{
	return (int)json_integer_value(json_object_get(ship, key));
}

static int
first_enemy(const json_t *ships, const json_t *me)
{
	const char *key;
	json_t *s;

	json_object_foreach((json_t *)ships, key, s) {
		if (strcmp(json_string_value(json_object_get(s, "side")),
		    json_string_value(json_object_get(me, "side"))) != 0 &&
		    num(s, "hull") > 0)
			return num(s, "id");
	}
	return 0;
}

/* Orders for this round, from the GM's view; refusals are ignored. */
static void
script_round(struct battle *b)
{
	json_t *view = view_battle(b, VIEWER_GM);
	json_t *ships = json_object_get(view, "ships"), *s;
	int r = battle_round(b), target;
	const char *key;

	json_object_foreach(ships, key, s) {
		if (num(s, "hull") <= 0 || (target = first_enemy(ships,
		    s)) == 0)
			continue;
		if (json_is_true(json_object_get(s, "crewed"))) {
			tg_order(b, &ann, NULL, "{\"round\":%d,\"station\":"
			    "\"gunner\",\"type\":\"fire\",\"fire\":[{\"weapon\":0,"
			    "\"target\":%d},{\"weapon\":1,\"target\":%d},"
			    "{\"weapon\":2,\"target\":%d}]}", r, target, target,
			    target);
			tg_order(b, &ann, NULL, "{\"round\":%d,\"station\":"
			    "\"pilot\",\"type\":\"%s\",\"x\":%d,\"y\":%d}", r,
			    r % 3 == 0 ? "evade" : "move", num(s, "x") + 60,
			    num(s, "y") - 20 * (r % 2));
			tg_order(b, &ann, NULL, "{\"round\":%d,\"station\":"
			    "\"sensors\",\"type\":\"%s\",\"target\":%d}", r,
			    r % 2 ? "lock" : "jam", target);
			if (r % 4 == 0)
				tg_order(b, &ann, NULL, "{\"round\":%d,"
				    "\"station\":\"sensors\",\"type\":\"scan\"}",
				    r);
			tg_order(b, &bob, NULL, "{\"round\":%d,\"station\":"
			    "\"captain\",\"type\":\"tactics\"}", r);
			tg_order(b, &bob, NULL, "{\"round\":%d,\"station\":"
			    "\"engineer\",\"type\":\"%s\",\"system\":\"%s\"}",
			    r, r % 2 ? "repair" : "overcharge",
			    r % 2 ? "hull" : "weapons");
			continue;
		}
		tg_order(b, &tg_gm, NULL, "{\"round\":%d,\"ship\":%s,"
		    "\"move\":{\"x\":%d,\"y\":%d},\"fire\":[{\"weapon\":0,"
		    "\"target\":%d},{\"weapon\":1,\"target\":%d}]}", r, key,
		    num(s, "x") + (num(s, "x") > 300 ? -40 : 40), num(s, "y"),
		    target, target);
		tg_order(b, &tg_gm, NULL, "{\"round\":%d,\"ship\":%s,"
		    "\"fire\":[{\"weapon\":0,\"target\":%d}]}", r, key, target);
	}
	json_decref(view);
}

/* Saves, frees and loads a battle; returns the loaded one. */
static struct battle *
reload(struct battle *b)
{
	struct battle *loaded = NULL;
	char *text, *again;
	size_t len;

	text = codec_save(b, &len);
	battle_free(b);
	assert_int_equal(codec_load(&loaded, text, len), 0);
	again = codec_save(loaded, NULL);
	assert_string_equal(text, again);
	free(again);
	free(text);
	return loaded;
}

/*
 * Plays the script until the battle ends (or 30 rounds), saving and
 * reloading the battle before round restore_at's orders (after them if
 * restore_at is negative; 0: never).  Returns the
 * FNV-1a hash of every log entry's canonical JSON.
 */
static uint64_t
script_play(int restore_at, struct battle **out, int *entries)
{
	struct battle *b = script_setup();
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	json_t *log, *e;
	char *text;
	size_t i;

	*entries = 0;
	while (battle_phase(b) == PHASE_PLANNING && battle_round(b) <= 30) {
		if (battle_round(b) == restore_at)
			b = reload(b);
		script_round(b);
		if (battle_round(b) == -restore_at)
			b = reload(b);	/* with this round's orders in */
		log = tg_resolve(b);
		json_array_foreach(log, i, e) {
			text = tg_dump(e);
			h = fnv(h, text);
			free(text);
			(*entries)++;
		}
		json_decref(log);
	}
	*out = b;
	return h;
}

static void
test_scripted_battle_is_fixed(void **state)
{
	struct battle *b;
	uint64_t log_hash;
	int entries;

	(void)state;
	log_hash = script_play(0, &b, &entries);
	printf("script: log %#018" PRIx64 " state %#018" PRIx64
	    " rounds %d entries %d phase %s\n", log_hash, codec_hash(b),
	    battle_round(b), entries, phase_name(battle_phase(b)));
	assert_int_equal(battle_phase(b), PHASE_ENDED);
	assert_int_equal(battle_round(b), SCRIPT_ROUNDS);
	assert_int_equal(entries, SCRIPT_ENTRIES);
	assert_int_equal(log_hash, SCRIPT_LOG_HASH);
	assert_int_equal(codec_hash(b), SCRIPT_STATE_HASH);
	battle_free(b);
}

static void
test_restore_midway_ends_identically(void **state)
{
	struct battle *whole, *restored;
	uint64_t h1, h2;
	int n1, n2, at;

	(void)state;
	h1 = script_play(0, &whole, &n1);
	for (at = -4; at <= 4; at++) {
		if (at == 0)
			continue;
		h2 = script_play(at, &restored, &n2);
		assert_int_equal(h1, h2);
		assert_int_equal(n1, n2);
		assert_int_equal(codec_hash(whole), codec_hash(restored));
		battle_free(restored);
	}
	battle_free(whole);
}

static void
test_round_trip_every_phase(void **state)
{
	struct battle *b = tg_battle(3), *loaded;
	struct refusal why;
	char *one, *two;
	int step;

	(void)state;
	tg_ship(b, "{\"class\":\"frigate\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":100,\"y\":100,\"name\":\"Dauntless \\u00e9\\\"q\\\"\","
	    "\"notes\":\"line\\nbreak\",\"systems\":{\"drive\":\"damaged\"},"
	    "\"weapons\":[{\"type\":\"missile rack\",\"ammo\":2}]}");
	tg_ship(b, "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":200,"
	    "\"y\":100,\"hidden\":true,\"evasion\":-3}");
	tg_player(b, "Ann", 0, "pilot,gunner");
	assert_int_equal(battle_set_spectators(b, &tg_gm, false, &why), 0);
	for (step = 0; step < 4; step++) {
		if (step == 1)
			tg_start(b);
		if (step == 2) {
			assert_int_equal(tg_order(b, &ann, &why, "{\"round\":1,"
			    "\"station\":\"pilot\",\"type\":\"evade\"}"), 0);
			assert_int_equal(tg_order(b, &tg_gm, &why, "{\"round\":1,"
			    "\"ship\":2,\"move\":{\"x\":210,\"y\":110},"
			    "\"fire\":[{\"weapon\":0,\"target\":1}]}"), 0);
		}
		if (step == 3)
			assert_int_equal(battle_end(b, &tg_gm, NULL, &why), 0);
		battle_set_deadline(b, INT64_C(1700000000999));
		one = codec_save(b, NULL);
		assert_int_equal(codec_load(&loaded, one, strlen(one)), 0);
		two = codec_save(loaded, NULL);
		assert_string_equal(one, two);
		assert_int_equal(codec_hash(b), codec_hash(loaded));
		assert_int_equal(battle_deadline(loaded), 1700000000999);
		assert_false(battle_spectators_allowed(loaded));
		free(one);
		free(two);
		battle_free(loaded);
	}
	battle_free(b);
}

/*
 * A battle the GM ends in the lobby (round 0) saves and loads again: its
 * snapshot is what a restart restores it from (found by fuzz_action).
 */
static void
test_round_trip_ended_in_lobby(void **state)
{
	struct battle *b = tg_battle(5), *loaded = NULL;
	struct refusal why;
	char *one, *two;

	(void)state;
	assert_int_equal(battle_end(b, &tg_gm, NULL, &why), 0);
	one = codec_save(b, NULL);
	assert_int_equal(codec_load(&loaded, one, strlen(one)), 0);
	two = codec_save(loaded, NULL);
	assert_string_equal(one, two);
	assert_int_equal(battle_phase(loaded), PHASE_ENDED);
	assert_int_equal(battle_round(loaded), 0);
	free(one);
	free(two);
	battle_free(loaded);
	battle_free(b);
}

/* The same dice to come: resolve a battle and its reloaded copy. */
static void
test_restore_continues_the_dice(void **state)
{
	struct battle *b = script_setup(), *copy;
	json_t *l1, *l2;
	char *s1, *s2;

	(void)state;
	script_round(b);
	copy = reload(battle_copy(b));
	l1 = tg_resolve(b);
	l2 = tg_resolve(copy);
	s1 = tg_dump(l1);
	s2 = tg_dump(l2);
	assert_string_equal(s1, s2);
	assert_int_equal(codec_hash(b), codec_hash(copy));
	free(s1);
	free(s2);
	json_decref(l1);
	json_decref(l2);
	battle_free(copy);
	battle_free(b);
}

/* Each edit of a good blob that must make it unreadable. */
static const char *const bad_edits[][2] = {
	{ "\"version\":1", "\"version\":2" },
	{ "\"version\":1", "\"version\":0" },
	{ "\"version\":1", "\"version\":\"1\"" },
	{ "\"version\":1,", "" },
	{ "\"round\":1", "\"round\":-1" },
	{ "\"phase\":\"planning\"", "\"phase\":\"dancing\"" },
	{ "\"phase\":\"planning\"", "\"phase\":\"lobby\"" },
	{ "\"hull\":80", "\"hull\":81" },
	{ "\"x\":100", "\"x\":1001" },
	{ "\"class\":\"frigate\"", "\"class\":\"cruiser\"" },
	{ "\"id\":2", "\"id\":1" },
	{ "\"stations\":{\"gunner\":1", "\"stations\":{\"gunner\":7" },
	{ "\"skill\":2", "\"skill\":9" },
	{ "\"max_ships\":32", "\"max_ships\":1" },
	{ "\"winner\":\"none\"", "\"winner\":\"nobody\"" },
	{ "\"round_seconds\":30", "\"round_seconds\":3" },
	{ "\"next_seq\":", "\"next_seq\":-" },
	{ "\"spectators\":true", "\"spectators\":true,\"extra\":1" },
	{ "\"rng\":[\"", "\"rng\":[\"g" },
	{ "\"type\":\"missile rack\"", "\"type\":\"missile rack\",\"ammo\":-1" },
};

static char *
replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t head, len;
	char *out;

	if (at == NULL)
		fail_msg("blob lacks %s", from);
	head = (size_t)(at - text);
	len = strlen(text) - strlen(from) + strlen(to);
	out = malloc(len + 1);
	memcpy(out, text, head);
	memcpy(out + head, to, strlen(to));
	strcpy(out + head + strlen(to), at + strlen(from));
	return out;
}

static void
test_bad_blobs_refused(void **state)
{
	struct battle *b = tg_battle(4), *loaded = NULL;
	char *good, *bad;
	size_t i;

	(void)state;
	tg_ship(b, "{\"class\":\"frigate\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":100,\"y\":100}");
	tg_ship(b, "{\"class\":\"frigate\",\"side\":\"hostile\",\"x\":200,"
	    "\"y\":100}");
	tg_player(b, "Ann", 2, "gunner");
	tg_start(b);
	good = codec_save(b, NULL);
	assert_int_equal(codec_load(&loaded, good, strlen(good)), 0);
	battle_free(loaded);
	for (i = 0; i < sizeof bad_edits / sizeof bad_edits[0]; i++) {
		bad = replace_once(good, bad_edits[i][0], bad_edits[i][1]);
		loaded = NULL;
		if (codec_load(&loaded, bad, strlen(bad)) != BS_ERR_INVALID)
			fail_msg("accepted edit %zu: %s", i, bad);
		assert_null(loaded);
		free(bad);
	}
	assert_int_equal(codec_load(&loaded, good, strlen(good) / 2),
	    BS_ERR_INVALID);
	assert_int_equal(codec_load(&loaded, "[]", 2), BS_ERR_INVALID);
	assert_int_equal(codec_load(&loaded, "", 0), BS_ERR_INVALID);
	free(good);
	battle_free(b);
}

static void
test_hash_tracks_state(void **state)
{
	struct battle *a = tg_battle(1), *c = tg_battle(1), *d = tg_battle(2);

	(void)state;
	assert_int_equal(codec_hash(a), codec_hash(c));
	assert_int_not_equal(codec_hash(a), codec_hash(d));
	tg_ship(a, "{\"class\":\"scout\",\"side\":\"crew\",\"x\":1,\"y\":1}");
	assert_int_not_equal(codec_hash(a), codec_hash(c));
	battle_free(a);
	battle_free(c);
	battle_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripted_battle_is_fixed),
		cmocka_unit_test(test_restore_midway_ends_identically),
		cmocka_unit_test(test_round_trip_every_phase),
		cmocka_unit_test(test_round_trip_ended_in_lobby),
		cmocka_unit_test(test_restore_continues_the_dice),
		cmocka_unit_test(test_bad_blobs_refused),
		cmocka_unit_test(test_hash_tracks_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
