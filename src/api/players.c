/*
 * Players and stations (broadside-api(7)): joining with the join code,
 * the GM setting a player's skill, taking, giving and freeing stations.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "error.h"

/* A positive integer path parameter, or 0 after answering 404. */
static int
path_id(struct request *req, const char *param, const char *what)
{
	char *end;
	long v = strtol(param, &end, 10);

	if (*param != '\0' && *end == '\0' && v > 0 && v < 1000000)
		return (int)v;
	request_respond(req, response_problem(404, "not-found", "Not found",
	    "There is no %s '%.32s' in this battle.", what, param));
	return 0;
}

/* What joining makes, for its answer (api_wait_set_complete). */
struct joined {
	char token[TOKEN_LEN + 1];
	int member;
	int spectator;
	char battle[32];
};

static void
joined_complete(json_t *body, void *arg)
{
	struct joined *j = arg;

	json_object_set_new(body, "token", json_string(j->token));
	json_object_set_new(body, j->spectator ? "spectator" : "player",
	    json_integer(j->spectator ? -j->member : j->member));
	json_object_set_new(body, "events", json_sprintf(
	    "/v1/battles/%s/events", j->battle));
}

void
api_players_join(struct request *req, void *ctx)
{
	static const char *const keys[] = { "join_code", "name", "role",
		NULL };
	const struct api_ctx *api = ctx;
	const char *code, *name, *role;
	struct joined *j;
	struct live_battle *lb;
	struct refusal why = { 0 };
	struct api_wait *w;
	json_t *body, *reply;
	int spectator, rv;

	if (api_idempotency_begin(req, api) != 0)
		return;
	if (api_battle_lookup(req, api, &lb,
	    "check the id your GM gave you") != 0)
		return;
	if (api_rate_limit_address(req, api) != 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (api_body_only(req, body, keys) != 0 ||
	    api_body_string(req, body, "join_code", 32, &code) != 0 ||
	    api_body_string(req, body, "name", 64, &name) != 0 ||
	    api_body_string(req, body, "role", 16, &role) != 0)
		goto out;
	if (code == NULL || name == NULL) {
		request_respond(req, response_problem(422, "bad-field",
		    "Missing field", "Joining needs 'join_code' (from your "
		    "GM) and 'name', e.g. -d join_code=ABC123 -d name=Ann."));
		goto out;
	}
	if (role != NULL && strcmp(role, "player") != 0 &&
	    strcmp(role, "spectator") != 0) {
		request_respond(req, response_problem(422, "bad-field",
		    "Bad field", "'role' is player (the default) or "
		    "spectator."));
		goto out;
	}
	spectator = role != NULL && strcmp(role, "spectator") == 0;
	reply = json_pack("{s:s, s:s, s:s}", "battle", live_battle_id(lb),
	    "role", spectator ? "spectator" : "player", "name", name);
	/* Answered once the seat is committed. */
	j = xcalloc(1, sizeof(*j));
	j->spectator = spectator;
	snprintf(j->battle, sizeof(j->battle), "%s", live_battle_id(lb));
	w = api_wait_new(req, 201, reply);
	api_wait_set_complete(w, joined_complete, j);
	rv = live_battle_join(lb, code, name, spectator, j->token, &j->member,
	    &why, api_wait_done, w);
	if (rv != 0) {
		api_wait_cancel(w);
		api_refuse_change(req, rv, &why, rv == BS_ERR_DENIED &&
		    why.code == REFUSAL_NONE ? "wrong-join-code" : rv ==
		    BS_ERR_LIMIT && spectator ? "too-many-spectators" : NULL);
	}
out:
	json_decref(body);
}

void
api_player_edit(struct request *req, void *ctx)
{
	static const char *const keys[] = { "skill", NULL };
	struct live_battle *lb;
	struct actor who;
	json_t *body, *a;
	long skill;
	int player;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who) ||
	    (player = path_id(req, req->params[1], "player")) == 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (api_body_only(req, body, keys) == 0 &&
	    api_body_int(req, body, "skill", -1, 0, 3, &skill) == 0) {
		if (skill < 0) {
			request_respond(req, response_problem(422, "bad-field",
			    "Missing field", "Send the player's 'skill', 0 to "
			    "3."));
		} else {
			a = json_pack("{s:i, s:i}", "player", player, "skill",
			    (int)skill);
			api_act(req, lb, &who, 200, ACTION_SKILL, a);
			json_decref(a);
		}
	}
	json_decref(body);
}

void
api_station_take(struct request *req, void *ctx)
{
	static const char *const keys[] = { "player", NULL };
	struct live_battle *lb;
	struct actor who;
	json_t *body, *a;
	long player;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (who.role == ACTOR_SPECTATOR) {
		/* The engine refuses it with its own reason. */
		a = json_pack("{s:s, s:i}", "station", req->params[1],
		    "player", 0);
		api_act(req, lb, &who, 200, ACTION_TAKE, a);
		json_decref(a);
	} else if (api_body_only(req, body, keys) == 0 &&
	    api_body_int(req, body, "player", who.player, 1, 1000000,
	    &player) == 0) {
		if (player <= 0) {
			request_respond(req, response_problem(422, "bad-field",
			    "Missing field", "As the GM, name the 'player' "
			    "who takes the station."));
		} else {
			a = json_pack("{s:s, s:i}", "station", req->params[1],
			    "player", (int)player);
			api_act(req, lb, &who, 200, ACTION_TAKE, a);
			json_decref(a);
		}
	}
	json_decref(body);
}

void
api_station_free(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct actor who;
	json_t *a;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0)
		return;
	a = json_pack("{s:s}", "station", req->params[1]);
	api_act(req, lb, &who, 200, ACTION_FREE, a);
	json_decref(a);
}
