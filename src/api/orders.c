/*
 * Orders (broadside-api(7)): a station's order from the player holding it
 * (or the GM), or a GM ship's combined order.  Accepted orders get 202
 * once they are committed; the round resolves when all are in or its
 * deadline passes.
 */
#include "config.h"

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

	if (api_battle_caller(req, daemon, &lb, &who) != 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	/* The engine's receipt adds round, station or ship, and order. */
	reply = json_pack("{s:s, s:b}", "battle", live_battle_id(lb),
	    "accepted", 1);
	w = api_wait_new(req, 202, reply);
	rv = live_battle_act(lb, ACTION_ORDER, &who, body, &why, api_wait_done,
	    w);
	if (rv != 0) {
		api_wait_cancel(w);
		api_refuse_change(req, rv, &why, NULL);
	}
	json_decref(body);
}
