/*
 * Ships (broadside-api(7)): the GM adds, edits (moves, hides, changes any
 * number) and removes ships.  The bodies are the rules engine's ship
 * specs and change sets (broadside-rules(7)).
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "battles.h"
#include "error.h"

static int
ship_id(struct request *req)
{
	char *end;
	long v = strtol(req->params[1], &end, 10);

	if (*req->params[1] != '\0' && *end == '\0' && v > 0 && v < 1000000)
		return (int)v;
	request_respond(req, response_problem(404, "no-such-ship",
	    "No such ship", "There is no ship '%.32s' in this battle; ship "
	    "ids are numbers.", req->params[1]));
	return 0;
}

void
api_ships_add(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct actor who;
	json_t *body;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who) ||
	    (body = api_body_object(req)) == NULL)
		return;
	api_act(req, lb, &who, 201, ACTION_SHIP_ADD, body);
	json_decref(body);
}

void
api_ship_edit(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct actor who;
	json_t *body, *a;
	int ship;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who) || (ship = ship_id(req)) == 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	a = json_pack("{s:i, s:O}", "ship", ship, "changes", body);
	api_act(req, lb, &who, 200, ACTION_SHIP_EDIT, a);
	json_decref(a);
	json_decref(body);
}

void
api_ship_remove(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct actor who;
	json_t *a;
	int ship;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who) || (ship = ship_id(req)) == 0)
		return;
	a = json_pack("{s:i}", "ship", ship);
	api_act(req, lb, &who, 200, ACTION_SHIP_REMOVE, a);
	json_decref(a);
}
