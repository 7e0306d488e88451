/*
 * Orders (broadside-api(7)): a station's order from the player holding it
 * (or the GM), or a GM ship's combined order.  Accepted orders get 202
 * once they are committed; the round resolves when all are in or its
 * deadline passes.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "battles.h"
#include "error.h"

void
api_orders_submit(struct request *req, void *daemon)
{
	struct live_battle *lb;
	struct refusal why;
	struct api_wait *w;
	struct actor who;
	json_t *body, *reply;
	int rv;

	if (api_idempotency_begin(req, daemon) != 0 ||
	    api_battle_caller(req, daemon, &lb, &who) != 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	reply = json_pack("{s:s, s:b, s:i}", "battle", live_battle_id(lb),
	    "accepted", 1, "round", battle_round(live_battle_game(lb)));
	if (json_is_string(json_object_get(body, "station")))
		json_object_set(reply, "station", json_object_get(body,
		    "station"));
	if (json_object_get(body, "ship") != NULL) {
		json_t *ship = json_object_get(body, "ship");

		/* Form bodies carry it as a string: answer a number. */
		json_object_set_new(reply, "ship", json_integer(
		    json_is_string(ship) ? strtol(json_string_value(ship),
		    NULL, 10) : json_integer_value(ship)));
	}
	w = api_wait_new(req, 202, reply);
	rv = live_battle_act(lb, ACTION_ORDER, &who, body, &why, api_wait_done,
	    w);
	if (rv != 0) {
		api_wait_cancel(w);
		api_refuse_change(req, rv, &why, NULL);
	}
	json_decref(body);
}
