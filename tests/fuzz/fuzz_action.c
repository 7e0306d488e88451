/*
 * Fuzz target: every action body the API takes, through the rules engine
 * (src/api/body.c, src/action.c, src/game/).  The input is up to 16
 * records separated by NUL bytes; each is three characters and the body:
 * the kind, a letter from 'a' (enum action_kind: 'a' join, 'i' order,
 * 'k' end, 'r' orders); the actor, a digit ('0' the GM, '1' player 1,
 * '2' player 2, '3' a spectator); flags, a digit (bit 0: the body is a
 * form, not JSON; bit 1: resolve the round after); then the body.  The
 * first record's flags bit 2 picks the starting battle: a duel already
 * planning round 1, else the same in the lobby.  Other bytes count
 * modulo, so every input means something.
 *
 * Each body is parsed as the API parses it (api_body_object()) and
 * applied with action_apply() to one battle, in order.  After each record
 * the engine's promises are checked: every view's merge patch
 * (view_battle_patch()) turns the old view into the new one, log entries
 * project for every viewer, and the battle saves, loads and saves again
 * to the same bytes (codec.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "alloc.h"
#include "api/api.h"
#include "fuzz.h"
#include "log.h"
#include "patch.h"
#include "request.h"

#define FUZZ_ACTION_MAX_RECORDS 16

static struct battle *lobby, *duel;

static void
drop_response(struct request *req, struct response *resp)
{
	(void)req;
	response_free(resp);
}

static const struct request_transport drop_transport = {
	.respond = drop_response,
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_action: %s\n", what);
	abort();
}

static void
must(int rv, const char *what)
{
	if (rv != 0)
		fail(what);
}

static void
add_ship(struct battle *b, const char *spec)
{
	json_t *j = json_loads(spec, 0, NULL);

	must(fleet_add(b, &(struct actor){ ACTOR_GM, 0 }, j, NULL, NULL),
	    "fleet_add");
	json_decref(j);
}

/* The duel of tests/unit/test_game_support.c, with a second player. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct actor gm = { ACTOR_GM, 0 };
	int id;

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	must(battle_new(&lobby, 42, NULL), "battle_new");
	add_ship(lobby, "{\"class\":\"corvette\",\"side\":\"crew\","
	    "\"crewed\":true,\"x\":100,\"y\":100,\"name\":\"Dauntless\"}");
	add_ship(lobby, "{\"class\":\"frigate\",\"side\":\"hostile\","
	    "\"x\":300,\"y\":100,\"name\":\"Raider\"}");
	add_ship(lobby, "{\"class\":\"frigate\",\"side\":\"hostile\","
	    "\"x\":700,\"y\":500,\"hidden\":true}");
	must(crew_player_add(lobby, "Ann", &id, NULL), "player");
	must(crew_player_add(lobby, "Bo", &id, NULL), "player");
	for (int s = 0; s < STATION_COUNT; s++)
		must(crew_assign(lobby, &gm, s == STATION_GUNNER ? 2 : 1, s,
		    NULL), "crew_assign");
	duel = battle_copy(lobby);
	must(battle_start(duel, &gm, NULL, NULL), "battle_start");
	return 0;
}

static json_t *
parse_body(const uint8_t *data, size_t len, int form)
{
	struct request *req = request_new(&drop_transport, NULL);
	json_t *body;

	req->body = fuzz_strndup(data, len);
	req->body_len = len;
	request_add_header(req, "content-type", form ?
	    "application/x-www-form-urlencoded" : "application/json");
	body = api_body_object(req);
	request_free(req);
	return body;
}

static void
check_codec(const struct battle *b)
{
	struct battle *again;
	size_t len, len2;
	char *saved = codec_save(b, &len), *saved2;

	if (codec_load(&again, saved, len) != 0) {
		fprintf(stderr, "%s\n", saved);
		fail("a saved battle does not load");
	}
	saved2 = codec_save(again, &len2);
	if (len != len2 || memcmp(saved, saved2, len) != 0)
		fail("save, load, save gives other bytes");
	if (codec_hash(again) != codec_hash(b))
		fail("a loaded battle hashes differently");
	battle_free(again);
	free(saved);
	free(saved2);
}

static void
check_views(const struct battle *old, const struct battle *cur,
    const json_t *log)
{
	for (int v = 0; v < VIEWER_COUNT; v++) {
		json_t *was = view_battle(old, (enum viewer)v);
		json_t *now = view_battle(cur, (enum viewer)v);
		json_t *patch = view_battle_patch(old, cur, (enum viewer)v);
		json_t *entry;
		size_t i;

		if (patch == NULL) {
			if (!json_equal(was, now))
				fail("no view patch for a changed view");
		} else {
			json_t *applied = patch_apply(was, patch);

			if (!json_equal(applied, now))
				fail("the view patch does not give the view");
			json_decref(applied);
		}
		json_array_foreach(log, i, entry)
			json_decref(view_log_entry(cur, (enum viewer)v, entry));
		json_decref(was);
		json_decref(now);
		json_decref(patch);
	}
}

static void
apply_record(struct battle *b, const uint8_t *rec, size_t len)
{
	static const struct actor actors[] = {
		{ ACTOR_GM, 0 }, { ACTOR_PLAYER, 1 }, { ACTOR_PLAYER, 2 },
		{ ACTOR_SPECTATOR, 0 },
	};
	struct battle *before;
	struct refusal why;
	json_t *body, *log, *result = NULL;
	enum action_kind kind;
	uint8_t flags;

	if (len < 3)
		return;
	kind = (enum action_kind)((uint8_t)(rec[0] - 'a') % ACTION_COUNT);
	flags = (uint8_t)(rec[2] - '0');
	body = parse_body(rec + 3, len - 3, flags & 1);
	if (body == NULL)
		return;
	before = battle_copy(b);
	log = json_array();
	if (action_apply(b, kind, &actors[(uint8_t)(rec[1] - '0') % 4], body, log, &why,
	    &result) == 0) {
		if (flags & 2)
			resolve_round(b, log);
	} else if (codec_hash(b) != codec_hash(before)) {
		fail("a refused action changed the battle");
	}
	check_views(before, b, log);
	check_codec(b);
	battle_free(before);
	json_decref(result);
	json_decref(log);
	json_decref(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct battle *b;
	int n = 0;

	if (size < 3)
		return 0;
	b = battle_copy((uint8_t)(data[2] - '0') & 4 ? duel : lobby);
	while (data != NULL && n++ < FUZZ_ACTION_MAX_RECORDS) {
		const uint8_t *rec, *rest;
		size_t rlen, restlen;

		fuzz_split(data, size, 0, &rec, &rlen, &rest, &restlen);
		apply_record(b, rec, rlen);
		data = rest;
		size = restlen;
	}
	battle_free(b);
	return 0;
}
