/*
 * Orders (broadside-api(7)): a station's order from the player holding it
 * (or the GM), or a GM ship's combined order.  Accepted orders get 202
 * once they are committed; the round resolves when all are in or its
 * deadline passes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "battles.h"
#include "error.h"

/*
 * A batch's answer (an api_wait completion, so that a replay of its
 * Idempotency-Key gets the same bytes): each order's outcome as the
 * single order would have had it, a receipt with "status":202, or the
 * problem members of its refusal.
 */
static void
batch_answer(json_t *body, void *arg)
{
	json_t *results = json_array(), *r;
	const char *title;
	char type[96];
	size_t i, k;
	int code;

	(void)arg;
	json_array_foreach(json_object_get(body, "results"), i, r) {
		int err = (int)json_integer_value(json_object_get(r, "error"));
		const char *name = json_string_value(json_object_get(r,
		    "refusal"));

		if (json_is_true(json_object_get(r, "accepted"))) {
			json_t *copy = json_copy(r);

			json_object_set_new(copy, "status", json_integer(202));
			json_array_append_new(results, copy);
			continue;
		}
		code = api_refusal_status(err, &title);
		snprintf(type, sizeof(type), "urn:broadside:problem:%s",
		    name != NULL ? name : "refused");
		for (k = strlen("urn:broadside:problem:"); type[k]; k++)
			if (type[k] == '_')
				type[k] = '-';
		json_array_append_new(results, json_pack("{s:b, s:i, s:s, s:s, "
		    "s:O}", "accepted", 0, "status", code, "type", type,
		    "title", title, "detail", json_object_get(r, "detail")));
	}
	json_object_set_new(body, "results", results);
}

/*
 * Several orders of one author in one request, {"orders":[...]}: applied
 * one by one as single orders are, committed together, answered 202 with
 * the outcome of each (or refused as a whole when none is accepted).
 */
static void
orders_batch(struct request *req, struct live_battle *lb,
    const struct actor *who, json_t *body)
{
	static const char *const keys[] = { "orders", NULL };
	struct refusal why = { 0 };
	struct api_wait *w;
	int rv;

	if (api_body_only(req, body, keys) != 0)
		return;
	w = api_wait_new(req, 202, json_pack("{s:s}", "battle",
	    live_battle_id(lb)));
	api_wait_set_complete(w, batch_answer, NULL);
	rv = api_act_wait(w, lb, who, ACTION_ORDERS, body, &why);
	if (rv != 0) {
		char detail[sizeof(why.text) + 64];

		if (why.code == REFUSAL_NONE || why.code == REFUSAL_MALFORMED) {
			api_refuse_change(req, rv, &why, NULL);
			return;
		}
		snprintf(detail, sizeof(detail), "None of the orders was "
		    "accepted; the first refused: %s", why.text);
		api_refuse(req, rv, refusal_name(why.code), detail);
	}
}

void
api_orders_submit(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct actor who;
	json_t *body;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (json_object_get(body, "orders") != NULL) {
		orders_batch(req, lb, &who, body);
		json_decref(body);
		return;
	}
	/* The engine's receipt adds round, station or ship, and order. */
	api_act_reply(req, lb, &who, 202, json_pack("{s:s, s:b}", "battle",
	    live_battle_id(lb), "accepted", 1), ACTION_ORDER, body);
	json_decref(body);
}
