/*
 * A whole battle through the real daemon, as a GM and five players would
 * play it with curl: create, join (JSON and form bodies), take stations,
 * add ships, start, several rounds of orders that resolve when all are
 * in, a round that ends by its timer with defaults, narration, the log
 * paged, end.  Usage: battle_flow BASE_URL
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define NPLAYERS 5
#define NHOSTILE 10

static const char *const stations[NPLAYERS] = { "captain", "pilot",
	"gunner", "engineer", "sensors" };

static char id[64], gm[64], code[16], path[256];
static char tokens[NPLAYERS][64];
static int crewed;
static int hostile[NHOSTILE];

static const char *
bpath(const char *suffix)
{
	snprintf(path, sizeof(path), "/v1/battles/%s%s", id, suffix);
	return path;
}

static json_t *
get_state(const char *token)
{
	struct reply r;
	json_t *state;

	client_call(&r, "GET", bpath(""), token, NULL, NULL);
	expect_status(&r, 200, "GET battle");
	state = json_incref(r.json);
	reply_free(&r);
	return state;
}

static void
setup(void)
{
	struct reply r;

	client_json(&r, "POST", "/v1/battles", NULL, json_pack("{s:s, s:i}",
	    "name", "Flow test", "round_seconds", 5));
	expect_status(&r, 201, "create battle");
	snprintf(id, sizeof(id), "%s", reply_str(&r, "id"));
	snprintf(gm, sizeof(gm), "%s", reply_str(&r, "gm_token"));
	snprintf(code, sizeof(code), "%s", reply_str(&r, "join_code"));
	if (strlen(gm) != 43 || strlen(code) != 6)
		reply_fail(&r, "create: token or join code malformed");
	reply_free(&r);

	for (int i = 0; i < NPLAYERS; i++) {
		char form[128];

		if (i % 2 == 0) {
			/* curl -d join_code=... -d name=... */
			snprintf(form, sizeof(form), "join_code=%s&name=Player+%d",
			    code, i + 1);
			client_call(&r, "POST", bpath("/players"), NULL, form,
			    "application/x-www-form-urlencoded");
		} else {
			client_json(&r, "POST", bpath("/players"), NULL,
			    json_pack("{s:s, s:s+}", "join_code", code, "name",
			    "Player ", i % 2 ? "odd" : "even"));
		}
		expect_status(&r, 201, "join");
		snprintf(tokens[i], sizeof(tokens[i]), "%s",
		    reply_str(&r, "token"));
		reply_free(&r);
		snprintf(form, sizeof(form), "/stations/%s", stations[i]);
		client_call(&r, "PUT", bpath(form), tokens[i], NULL, NULL);
		expect_status(&r, 200, "take station");
		reply_free(&r);
	}
	/* A sixth player: the battle is full. */
	client_json(&r, "POST", bpath("/players"), NULL, json_pack(
	    "{s:s, s:s}", "join_code", code, "name", "Sixth"));
	expect_status(&r, 409, "sixth player refused");
	reply_free(&r);

	client_json(&r, "POST", bpath("/ships"), gm, json_pack("{s:s, s:s, "
	    "s:i, s:i, s:b, s:s}", "class", "destroyer", "side", "crew", "x",
	    100, "y", 100, "crewed", 1, "name", "Resolute"));
	expect_status(&r, 201, "add crewed ship");
	crewed = (int)json_integer_value(json_object_get(r.json, "ship"));
	reply_free(&r);
	for (int i = 0; i < NHOSTILE; i++) {
		client_json(&r, "POST", bpath("/ships"), gm, json_pack("{s:s, "
		    "s:s, s:i, s:i}", "class", "scout", "side", "hostile", "x",
		    250 + 10 * i, "y", 150 + 5 * i));
		expect_status(&r, 201, "add hostile ship");
		hostile[i] = (int)json_integer_value(json_object_get(r.json,
		    "ship"));
		reply_free(&r);
	}
}

/* The first hostile ship the crew sees that is not destroyed, or 0. */
static int
live_target(json_t *state)
{
	json_t *ships = json_object_get(state, "ships");

	for (int i = 0; i < NHOSTILE; i++) {
		char key[16];
		json_t *s;

		snprintf(key, sizeof(key), "%d", hostile[i]);
		s = json_object_get(ships, key);
		if (s != NULL && strcmp(json_string_value(json_object_get(s,
		    "damage")) ?: "", "destroyed") != 0)
			return hostile[i];
	}
	return 0;
}

static json_t *
station_order(int round, int station, int target)
{
	switch (station) {
	case 0:
		return json_pack("{s:i, s:s, s:s}", "round", round, "station",
		    "captain", "type", "tactics");
	case 1:
		return json_pack("{s:i, s:s, s:s}", "round", round, "station",
		    "pilot", "type", "evade");
	case 2:
		if (target == 0)
			break;
		return json_pack("{s:i, s:s, s:s, s:[{s:i, s:i}]}", "round",
		    round, "station", "gunner", "type", "fire", "fire",
		    "weapon", 0, "target", target);
	case 4:
		return json_pack("{s:i, s:s, s:s}", "round", round, "station",
		    "sensors", "type", "scan");
	}
	return json_pack("{s:i, s:s, s:s}", "round", round, "station",
	    stations[station], "type", "hold");
}

static int
wait_round(int round, int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		json_t *state = get_state(gm);
		int now = (int)json_integer_value(json_object_get(state,
		    "round"));
		const char *phase = json_string_value(json_object_get(state,
		    "phase"));
		int ended = phase && strcmp(phase, "ended") == 0;

		json_decref(state);
		if (now >= round || ended)
			return ended ? -1 : 0;
		usleep(50000);
	}
	fprintf(stderr, "FAIL: round %d did not come in %d s\n", round,
	    seconds);
	exit(1);
}

/* One round with every order in: it must resolve without the timer. */
static int
play_round(int round)
{
	json_t *view = get_state(tokens[2]);
	int target = live_target(view);
	struct reply r;

	json_decref(view);
	for (int p = 0; p < NPLAYERS; p++) {
		client_json(&r, "POST", bpath("/orders"), tokens[p],
		    station_order(round, p, target));
		expect_status(&r, 202, "station order");
		reply_free(&r);
	}
	for (int i = 0; i < NHOSTILE; i++) {
		client_json(&r, "POST", bpath("/orders"), gm, json_pack("{s:i, "
		    "s:i, s:[{s:i, s:i}]}", "round", round, "ship", hostile[i],
		    "fire", "weapon", 0, "target", crewed));
		/* A destroyed scout cannot fire: refused, nothing changes. */
		if (r.status != 202 && r.status != 409)
			reply_fail(&r, "GM ship order");
		reply_free(&r);
	}
	/* Well under the 5 s timer: resolution came from "all in". */
	return wait_round(round + 1, 3);
}

static void
check_log_paging(void)
{
	struct reply all, page;
	json_int_t after = 0;
	size_t n = 0;
	int more = 1;

	client_call(&all, "GET", bpath("/log?limit=1000"), gm, NULL, NULL);
	expect_status(&all, 200, "full log");
	while (more) {
		char q[64];
		json_t *entries, *e;
		size_t i;

		snprintf(q, sizeof(q), "/log?after=%lld&limit=7",
		    (long long)after);
		client_call(&page, "GET", bpath(q), gm, NULL, NULL);
		expect_status(&page, 200, "log page");
		entries = json_object_get(page.json, "entries");
		json_array_foreach(entries, i, e) {
			json_t *want = json_array_get(json_object_get(all.json,
			    "entries"), n++);

			if (!json_equal(e, want))
				reply_fail(&page, "paged log differs");
		}
		after = json_integer_value(json_object_get(page.json, "next"));
		more = json_is_true(json_object_get(page.json, "more"));
		reply_free(&page);
	}
	if (n != json_array_size(json_object_get(all.json, "entries")) ||
	    n < 20)
		reply_fail(&all, "paging did not read the whole log");
	printf("log: %zu entries, paged 7 at a time\n", n);
	reply_free(&all);
}

int
main(int argc, char **argv)
{
	struct reply r;
	json_t *state;
	int round, resolved = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: battle_flow BASE_URL\n");
		return 2;
	}
	client_init(argv[1]);
	setup();
	client_call(&r, "POST", bpath("/start"), gm, "", NULL);
	expect_status(&r, 200, "start");
	reply_free(&r);

	for (round = 1; round <= 3; round++) {
		if (play_round(round) != 0)
			break;
		resolved++;
	}
	printf("rounds resolved with every order in: %d\n", resolved);
	if (resolved >= 2) {
		/* Nobody orders: the 5 s timer ends the round with holds. */
		if (wait_round(round + 1, 9) == 0)
			printf("round %d ended by its timer\n", round);
	}
	client_json(&r, "POST", bpath("/narration"), gm, json_pack("{s:s}",
	    "text", "The enemy wavers."));
	expect_status(&r, 200, "narration");
	reply_free(&r);
	check_log_paging();

	client_call(&r, "POST", bpath("/end"), gm, "", NULL);
	if (r.status != 200 && r.status != 409)
		reply_fail(&r, "end");
	reply_free(&r);
	state = get_state(tokens[0]);
	if (strcmp(json_string_value(json_object_get(state, "phase")) ?: "",
	    "ended") != 0) {
		fprintf(stderr, "FAIL: battle not ended\n");
		return 1;
	}
	json_decref(state);
	client_json(&r, "POST", bpath("/orders"), tokens[0], json_pack(
	    "{s:i, s:s, s:s}", "round", round, "station", "captain", "type",
	    "hold"));
	expect_status(&r, 409, "orders after the end");
	reply_free(&r);
	client_cleanup();
	printf("battle flow: ok\n");
	return 0;
}
