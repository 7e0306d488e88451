/*
 * What every battle handler shares (api.h): finding the battle and the
 * caller, rate limits, and requests that wait for a commit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "cidr.h"
#include "error.h"
#include "loop.h"
#include "ratelimit.h"
#include "token.h"

/* Answers 429 with Retry-After: wait seconds. */
static void
too_many(struct request *req, int wait, const char *slug, const char *title,
    const char *detail)
{
	char wait_s[16];
	struct response *resp;

	snprintf(wait_s, sizeof(wait_s), "%d", wait);
	resp = response_problem(429, slug, title, "%s; wait %d s.", detail,
	    wait);
	response_add_header(resp, "Retry-After", wait_s);
	request_respond(req, resp);
}

static int
rate_limited(struct request *req, const struct api_ctx *api, const void *key,
    size_t keylen)
{
	int wait;

	wait = ratelimit_take(api->ratelimit, key, keylen,
	    loop_now_us(api->loop));
	if (wait == 0)
		return 0;
	too_many(req, wait, "rate-limited", "Too many requests", "This token "
	    "or address is sending requests faster than the server allows; "
	    "slow down");
	return -1;
}

/*
 * The client's host as a rate-limit key (out: CIDR_KEY_LEN bytes), by
 * the rule the connection cap uses too (cidr_client_key()).  An address
 * that does not parse is keyed as it is written, without port.  Returns
 * the key's length.
 */
static size_t
address_key(const char *remote, unsigned char out[CIDR_KEY_LEN])
{
	const char *colon = strrchr(remote, ':');
	size_t len;

	if ((len = cidr_client_key_text(remote, out)) > 0)
		return len;
	len = colon != NULL ? (size_t)(colon - remote) : strlen(remote);
	len = len > CIDR_KEY_LEN ? CIDR_KEY_LEN : len;
	memcpy(out, remote, len);
	return len;
}

int
api_rate_limit_address(struct request *req, const struct api_ctx *api)
{
	unsigned char key[CIDR_KEY_LEN];

	return rate_limited(req, api, key, address_key(req->remote, key));
}

int
api_create_quota(struct request *req, const struct api_ctx *api)
{
	unsigned char key[CIDR_KEY_LEN];
	int wait;

	if (api->create_limit == NULL)
		return 0;
	wait = ratelimit_take(api->create_limit, key,
	    address_key(req->remote, key), loop_now_us(api->loop));
	if (wait == 0)
		return 0;
	too_many(req, wait, "too-many-creations", "Too many battles created",
	    "This address has created as many battles as the server allows "
	    "in an hour (--create-per-hour); try again later");
	return -1;
}

static void
unauthorized(struct request *req, const char *detail)
{
	struct response *resp = response_problem(401, "unauthorized",
	    "Token required", "%s", detail);

	response_add_header(resp, "WWW-Authenticate",
	    "Bearer realm=\"broadside\"");
	request_respond(req, resp);
}

/* 403 for another battle's token, 401 for a token nobody knows. */
static void
wrong_token(struct request *req, const struct api_ctx *api,
    const unsigned char hash[TOKEN_HASH_LEN])
{
	if (battles_hash_known(api->battles, hash))
		request_respond(req, response_problem(403, "wrong-battle",
		    "Wrong battle", "This token belongs to another battle; "
		    "use the token you got from battle '%s'.",
		    req->params[0]));
	else
		unauthorized(req, "That token is not valid here; use the "
		    "token you got when you created or joined the battle.");
}

void
api_no_such_battle(struct request *req, const char *hint)
{
	request_respond(req, response_problem(404, "no-such-battle",
	    "No such battle", "There is no battle '%s' on this server; %s.",
	    req->params[0], hint));
}

void
api_battle_elsewhere(struct request *req)
{
	struct response *resp = response_problem(503, "battle-elsewhere",
	    "Served elsewhere", "Battle '%s' is served by another node just "
	    "now; retry in a second, through the load balancer or at the "
	    "node that serves it.", req->params[0]);

	response_add_header(resp, "Retry-After", "1");
	request_respond(req, resp);
}

int
api_battle_lookup_charged(struct request *req, const struct api_ctx *api)
{
	return battles_asks_store(api->battles, req->params[0]) ?
	    api_rate_limit_address(req, api) : 0;
}

int
api_battle_lookup(struct request *req, const struct api_ctx *api,
    struct live_battle **lb, const char *hint)
{
	struct response *resp;

	if (api_battle_lookup_charged(req, api) != 0)
		return -1;
	switch (battles_lookup(api->battles, req->params[0], lb)) {
	case 0:
		return 0;
	case BS_ERR_NOT_FOUND:
		api_no_such_battle(req, hint);
		return -1;
	case BS_ERR_LOST:
		api_battle_elsewhere(req);
		return -1;
	default:
		resp = response_problem(503, "unavailable", "Try again",
		    "The server cannot reach its store to load battle '%s'; "
		    "try again in a moment.", req->params[0]);
		response_add_header(resp, "Retry-After", "1");
		request_respond(req, resp);
		return -1;
	}
}

/*
 * 401 for a bearer token that cannot be anybody's: not the shape of the
 * tokens the server makes (token_well_formed()), nor the admin token.
 */
static void
malformed_token(struct request *req)
{
	unauthorized(req, "That is not a Broadside token (those are "
	    "43 characters of A-Z, a-z, 0-9, '-' and '_'); send the token "
	    "you got when you created or joined the battle.");
}

/*
 * The token is hashed once, and only when it has a token's shape: a
 * malformed one, however long, costs a scan of its bytes and a compare
 * with the admin token (which the operator may have chosen in any shape).
 */
int
api_battle_caller(struct request *req, const struct api_ctx *api,
    struct live_battle **lb, struct actor *who)
{
	unsigned char hash[TOKEN_HASH_LEN];
	char *token;
	int well_formed, rv = -1;

	if (api_battle_lookup(req, api, lb,
	    "check the id, or it was deleted") != 0)
		return -1;
	token = api_request_token(req);
	if (token == NULL) {
		unauthorized(req, "Send your battle token as "
		    "'Authorization: Bearer TOKEN' (an event stream may take "
		    "?access_token=TOKEN instead).");
		return -1;
	}
	well_formed = token_well_formed(token, strlen(token));
	if (well_formed)
		token_hash(token, hash);
	if (!well_formed || live_battle_authenticate_hash(*lb, hash,
	    who) != 0) {
		if (!api_is_admin(api, req)) {
			/* Failed attempts count against the address. */
			if (api_rate_limit_address(req, api) != 0)
				goto out;
			if (well_formed)
				wrong_token(req, api, hash);
			else
				malformed_token(req);
			goto out;
		}
		who->role = ACTOR_GM;
		who->player = 0;
		if (!well_formed)
			token_hash(token, hash);
	}
	rv = rate_limited(req, api, hash, sizeof(hash));
out:
	free(token);
	return rv;
}

int
api_require_gm(struct request *req, const struct actor *who)
{
	if (who->role == ACTOR_GM)
		return 1;
	request_respond(req, response_problem(403, "gm-only", "GM only",
	    "Only the battle's GM may do this; use the GM token."));
	return 0;
}

void
api_refuse_change(struct request *req, int err, const struct refusal *why,
    const char *slug)
{
	if (why->code != REFUSAL_NONE)
		slug = refusal_name(why->code);
	else if (slug == NULL)
		slug = err == BS_ERR_STATE ? "battle-unavailable" : "refused";

	if (err == BS_ERR_IO) {
		struct response *resp = response_problem(503, "unavailable",
		    "Try again", "%s", why->text[0] ? why->text :
		    "The server could not record this change; try again in "
		    "a moment.");

		response_add_header(resp, "Retry-After", "1");
		request_respond(req, resp);
		return;
	}
	api_refuse(req, err, slug, why->text[0] ? why->text :
	    "The battle refused this change.");
}

/* ---- requests waiting for a commit --------------------------------------- */

struct api_wait {
	struct request *req;	/* NULL once the client is gone */
	int status;
	json_t *body;
	void (*complete)(json_t *body, void *arg);
	void *complete_arg;	/* owned */
	struct response *resp;	/* the answer, once fixed at the submit */
	struct api_idempotent *idem;	/* its key, committing with it */
};

static void
wait_aborted(struct request *req, void *arg)
{
	struct api_wait *w = arg;

	w->req = NULL;
}

struct api_wait *
api_wait_new(struct request *req, int status, json_t *body)
{
	struct api_wait *w = xcalloc(1, sizeof(*w));

	w->req = req;
	w->status = status;
	w->body = body;
	request_on_abort(req, wait_aborted, w);
	return w;
}

void
api_wait_set_complete(struct api_wait *w,
    void (*complete)(json_t *body, void *arg), void *arg)
{
	w->complete = complete;
	w->complete_arg = arg;
}

/* The answer of a committed change (body consumed). */
static struct response *
wait_response(struct api_wait *w, json_t *result)
{
	struct response *resp;

	if (w->body == NULL)
		return response_new(w->status);
	if (result != NULL)
		json_object_update(w->body, result);
	if (w->complete != NULL)
		w->complete(w->body, w->complete_arg);
	resp = response_json(w->status, w->body);
	w->body = NULL;
	return resp;
}

static void
wait_free(struct api_wait *w)
{
	response_free(w->resp);
	json_decref(w->body);
	free(w->complete_arg);
	free(w);
}

void
api_wait_submitted(void *ctx, battles_done_fn done, void *arg,
    struct persist_write *pw, json_t *result)
{
	struct api_wait *w = arg;

	if (done != api_wait_done || w->resp != NULL)
		return;
	/*
	 * The answer is fixed now, when all it says is known: the same
	 * bytes go to the client after the commit and, with a key, to the
	 * store in the same transaction as the change.
	 */
	w->resp = wait_response(w, result);
	if (w->req != NULL && (w->idem = api_idempotency_take(w->req)) !=
	    NULL && api_idempotency_record(w->idem, pw, w->resp) != 0)
		w->idem = NULL;
}

void
api_wait_done(void *arg, int status, json_t *result)
{
	struct api_wait *w = arg;
	struct response *resp;

	if (w->idem != NULL)
		api_idempotency_done(w->idem, status);
	if (w->req != NULL) {
		if (status == BS_ERR_LOST) {
			resp = response_problem(503, "battle-elsewhere",
			    "Served elsewhere", "Another node took this battle "
			    "before the change was recorded, so it did not "
			    "happen; retry in a second.");
			response_add_header(resp, "Retry-After", "1");
		} else if (status != 0) {
			resp = response_problem(503, "unavailable",
			    "Not recorded", "The server could not record this "
			    "change, so it did not happen; try again later.");
		} else if (w->resp != NULL) {
			resp = w->resp;
			w->resp = NULL;
		} else {
			resp = wait_response(w, result);
		}
		request_on_abort(w->req, NULL, NULL);
		request_respond(w->req, resp);
	}
	wait_free(w);
}

void
api_wait_cancel(struct api_wait *w)
{
	if (w->req != NULL)
		request_on_abort(w->req, NULL, NULL);
	wait_free(w);
}

enum viewer
api_viewer(const struct actor *who)
{
	switch (who->role) {
	case ACTOR_GM:
		return VIEWER_GM;
	case ACTOR_PLAYER:
		return VIEWER_CREW;
	case ACTOR_SPECTATOR:
		break;
	}
	return VIEWER_SPECTATOR;
}

int
api_act_wait(struct api_wait *w, struct live_battle *lb,
    const struct actor *who, enum action_kind kind, const json_t *body,
    struct refusal *why)
{
	int rv = live_battle_act(lb, kind, who, body, why, api_wait_done, w);

	if (rv != 0)
		api_wait_cancel(w);
	return rv;
}

void
api_act_reply(struct request *req, struct live_battle *lb,
    const struct actor *who, int status, json_t *reply,
    enum action_kind kind, const json_t *body)
{
	struct refusal why = { 0 };
	int rv;

	rv = api_act_wait(api_wait_new(req, status, reply), lb, who, kind,
	    body, &why);
	if (rv != 0)
		api_refuse_change(req, rv, &why, NULL);
}

void
api_act(struct request *req, struct live_battle *lb, const struct actor *who,
    int status, enum action_kind kind, const json_t *body)
{
	api_act_reply(req, lb, who, status, json_pack("{s:s, s:s}", "battle",
	    live_battle_id(lb), "done", action_name(kind)), kind, body);
}
