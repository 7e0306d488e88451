/*
 * /v1/battles and one battle's own resources (broadside-api(7)): create,
 * list, read, settings, delete, start, end, resolve, narration, the log.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "buf.h"
#include "conf.h"
#include "error.h"
#include "idempotency.h"
#include "persist.h"
#include "token.h"

#define LOG_PAGE_DEFAULT 100
#define LOG_PAGE_MAX 1000

/*
 * The battle's resources, and the consoles' links: the player console's
 * carries the join code too, so that a player types only a name.
 */
static json_t *
battle_urls(const char *id, const char *join_code)
{
	char *base = xasprintf("/v1/battles/%s", id);
	json_t *urls = json_pack("{s:s, s:s+, s:s+, s:s+, s:s+, s:s+}",
	    "battle", base,
	    "events", base, "/events",
	    "players", base, "/players",
	    "ships", base, "/ships",
	    "orders", base, "/orders",
	    "log", base, "/log");

	json_object_set_new(urls, "gm_console", json_sprintf("/gm#%s", id));
	json_object_set_new(urls, "player_console", json_sprintf("/#%s/%s", id,
	    join_code));
	free(base);
	return urls;
}

/* What creating a battle makes, for its answer (api_wait_set_complete). */
struct created {
	char gm_token[TOKEN_LEN + 1];
	struct live_battle *lb;
};

static void
created_complete(json_t *body, void *arg)
{
	struct created *c = arg;
	const char *id = live_battle_id(c->lb);

	json_object_set_new(body, "id", json_string(id));
	json_object_set_new(body, "name", json_string(live_battle_name(c->lb)));
	json_object_set_new(body, "gm_token", json_string(c->gm_token));
	json_object_set_new(body, "join_code",
	    json_string(live_battle_join_code(c->lb)));
	json_object_set_new(body, "urls", battle_urls(id,
	    live_battle_join_code(c->lb)));
}

/*
 * Whether req may create a battle: anyone, unless the server has a
 * creator token (--creator-token-file); then that token or the admin's.
 * Answers 401 when not.
 */
static int
creator_allowed(struct request *req, const struct api_ctx *api)
{
	struct response *resp;
	char *token;
	int ok;

	if (api->creator_token == NULL)
		return 1;
	token = api_request_token(req);
	ok = token != NULL && token_equal(token, strlen(token),
	    api->creator_token, strlen(api->creator_token));
	free(token);
	if (ok || api_is_admin(api, req))
		return 1;
	resp = response_problem(401, "creator-token-required",
	    "Creator token required", "This server creates battles only for "
	    "holders of its creator token (--creator-token-file); send it as "
	    "'Authorization: Bearer TOKEN'.");
	response_add_header(resp, "WWW-Authenticate",
	    "Bearer realm=\"broadside\"");
	request_respond(req, resp);
	return 0;
}

void
api_battles_create(struct request *req, void *ctx)
{
	static const char *const keys[] = { "name", "round_seconds",
		"spectators", NULL };
	const struct api_ctx *api = ctx;
	const struct config *cfg = api->cfg;
	struct created *c;
	struct api_wait *w;
	struct refusal why = { 0 };
	const char *name;
	json_t *body;
	long round_seconds;
	int spectators, rv;

	if (api_idempotency_begin(req, api) != 0 ||
	    api_rate_limit_address(req, api) != 0 ||
	    !creator_allowed(req, api) ||
	    (body = api_body_object(req)) == NULL)
		return;
	/* A bad body costs no quota; the operator has none. */
	if (api_body_only(req, body, keys) != 0 ||
	    api_body_string(req, body, "name", cfg->max_name, &name) != 0 ||
	    api_body_int(req, body, "round_seconds", BATTLE_DEFAULT_ROUND_SECONDS,
	    BATTLE_MIN_ROUND_SECONDS, BATTLE_MAX_ROUND_SECONDS,
	    &round_seconds) != 0 ||
	    api_body_bool(req, body, "spectators", 1, &spectators) != 0 ||
	    (!api_is_admin(api, req) && api_create_quota(req, api) != 0))
		goto out;
	/* Answered once the creation is committed. */
	c = xcalloc(1, sizeof(*c));
	w = api_wait_new(req, 201, json_object());
	api_wait_set_complete(w, created_complete, c);
	rv = battles_create(api->battles, name ? name : "Battle",
	    (int)round_seconds, spectators, c->gm_token, &c->lb, &why,
	    api_wait_done, w);
	if (rv != 0) {
		api_wait_cancel(w);
		api_refuse_change(req, rv, &why, rv == BS_ERR_LIMIT ?
		    "too-many-battles" : NULL);
	}
out:
	json_decref(body);
}

struct listing {
	json_t *list;
	const char *node;	/* this node's id */
};

static void
list_one(struct live_battle *lb, void *arg)
{
	struct listing *l = arg;
	const struct battle *game = live_battle_game(lb);

	json_array_append_new(l->list, json_pack("{s:s, s:s, s:s, s:i, s:i, "
	    "s:i, s:I, s:s}", "id", live_battle_id(lb), "name",
	    live_battle_name(lb), "phase", phase_name(battle_phase(game)),
	    "round", battle_round(game), "players", crew_player_count(game),
	    "spectators", (int)live_battle_spectators(lb), "created_at",
	    (json_int_t)live_battle_created_at(lb), "node", l->node));
}

/*
 * A battle another node serves (or none just now), from the store: what
 * its row says, without the live counts.
 */
static void
list_elsewhere(void *arg, const struct persist_summary *s)
{
	struct listing *l = arg;

	json_array_append_new(l->list, json_pack("{s:s, s:s, s:s, s:I, s:o}",
	    "id", s->id, "name", s->name, "phase", s->phase, "created_at",
	    (json_int_t)s->created_at, "node", s->owner != NULL ?
	    json_string(s->owner) : json_null()));
}

/* Oldest first, those served here and elsewhere together. */
static int
by_created(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a,
	    "created_at"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b,
	    "created_at"));

	return x < y ? -1 : x > y;
}

static json_t *
list_sorted(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **items = xcalloc(n + 1, sizeof(*items)), *out = json_array();

	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(list, i);
	qsort(items, n, sizeof(*items), by_created);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, items[i]);
	free(items);
	json_decref(list);
	return out;
}

void
api_battles_list(struct request *req, void *ctx)
{
	const struct api_ctx *api = ctx;
	json_t *list;

	/*
	 * By address before any work, the operator too: a token is looked
	 * for among every battle's below.
	 */
	if (api_rate_limit_address(req, api) != 0)
		return;
	/* In development mode, as the dashboard, open to anyone. */
	if (!api->cfg->dev && !api_is_admin(api, req)) {
		char *token = api_request_token(req);
		unsigned char hash[TOKEN_HASH_LEN];
		struct response *resp;
		int battle_token = 0;

		/* Only what has a token's shape is hashed, and once. */
		if (token != NULL && token_well_formed(token, strlen(token))) {
			token_hash(token, hash);
			battle_token = battles_hash_known(api->battles, hash);
		}
		if (battle_token) {
			resp = response_problem(403, "admin-only",
			    "Admin only", "Listing battles needs the admin "
			    "token (--admin-token-file), not a battle's.");
		} else {
			resp = response_problem(401, "unauthorized",
			    "Admin token required", "Listing battles needs "
			    "the admin token (--admin-token-file) as a Bearer "
			    "token.");
			response_add_header(resp, "WWW-Authenticate",
			    "Bearer realm=\"broadside\"");
		}
		free(token);
		request_respond(req, resp);
		return;
	}
	list = json_array();
	battles_foreach(api->battles, list_one, &(struct listing){ list,
	    battles_node_id(api->battles) });
	if (battles_foreach_elsewhere(api->battles, list_elsewhere,
	    &(struct listing){ list, NULL }) != 0) {
		struct response *resp = response_problem(503, "unavailable",
		    "Try again", "The server cannot reach its store to list "
		    "the battles other servers hold; try again in a moment.");

		response_add_header(resp, "Retry-After", "1");
		json_decref(list);
		request_respond(req, resp);
		return;
	}
	request_respond(req, response_json(200, json_pack("{s:o}", "battles",
	    list_sorted(list))));
}

/* ---- reading one battle ------------------------------------------------ */

struct read_wait {
	struct request *req;
	struct live_battle *lb;
	struct actor who;
	int64_t after;
	int limit;
};

static void
read_aborted(struct request *req, void *arg)
{
	struct read_wait *rw = arg;

	rw->req = NULL;
}

static struct read_wait *
read_wait_new(struct request *req, struct live_battle *lb,
    const struct actor *who)
{
	struct read_wait *rw = xcalloc(1, sizeof(*rw));

	rw->req = req;
	rw->lb = lb;
	rw->who = *who;
	request_on_abort(req, read_aborted, rw);
	return rw;
}

void
api_battle_get(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct response *resp;
	struct actor who;
	const char *text;
	size_t len;

	if (api_battle_caller(req, ctx, &lb, &who) != 0)
		return;
	/* The committed state: never a change before it is on disk. */
	text = live_battle_document_text(lb, api_viewer(&who), &len);
	resp = response_json_text(200, text, len);
	response_add_header(resp, "Cache-Control", "no-store");
	request_respond(req, resp);
}

void
api_battle_me(struct request *req, void *ctx)
{
	const struct battle *game;
	struct live_battle *lb;
	struct actor who;
	json_t *me, *stations;

	if (api_battle_caller(req, ctx, &lb, &who) != 0)
		return;
	game = live_battle_game(lb);
	me = json_pack("{s:s, s:s}", "battle", live_battle_id(lb), "role",
	    who.role == ACTOR_GM ? "gm" : who.role == ACTOR_PLAYER ?
	    "player" : "spectator");
	if (who.role == ACTOR_GM) {
		char hash[17];

		live_battle_state_hash(lb, hash);
		json_object_set_new(me, "state_hash", json_string(hash));
	}
	if (who.role == ACTOR_PLAYER) {
		stations = json_array();
		for (int s = 0; s < STATION_COUNT; s++)
			if (crew_holder(game, (enum station)s) == who.player)
				json_array_append_new(stations,
				    json_string(station_name(s)));
		json_object_set_new(me, "player", json_integer(who.player));
		json_object_set_new(me, "name",
		    json_string(crew_player_name(game, who.player)));
		json_object_set_new(me, "stations", stations);
	}
	request_respond(req, response_json(200, me));
}

/*
 * {"entries":[...],"next":SEQ,"more":BOOL}: the entries' stored texts as
 * the page brings them, so as the event stream sent them.
 */
static void
log_read(void *arg, int status, const struct battles_log_page *page)
{
	struct read_wait *rw = arg;
	struct response *resp;
	struct buf b;
	char *body;
	size_t len;

	if (rw->req == NULL)
		goto out;
	request_on_abort(rw->req, NULL, NULL);
	if (status != 0) {
		request_respond(rw->req, response_problem(503, "unavailable",
		    "Log unavailable", "The log could not be read; try again "
		    "in a moment."));
		goto out;
	}
	buf_init(&b, SIZE_MAX);
	buf_append_str(&b, "{\"entries\":");
	buf_append(&b, page->entries, page->len);
	buf_printf(&b, ",\"next\":%" PRId64 ",\"more\":%s}\n",
	    page->count > 0 ? page->last : (int64_t)rw->after,
	    page->count == (size_t)rw->limit ? "true" : "false");
	body = buf_steal(&b, &len);
	resp = response_new(200);
	response_set_body(resp, "application/json", body, len);
	request_respond(rw->req, resp);
out:
	free(rw);
}

void
api_battle_log(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct read_wait *rw;
	struct actor who;
	char *after_s, *limit_s, *end;
	long long after = 0, limit = LOG_PAGE_DEFAULT;
	int bad = 0;

	if (api_battle_caller(req, ctx, &lb, &who) != 0)
		return;
	after_s = request_query_param(req, "after");
	limit_s = request_query_param(req, "limit");
	if (after_s != NULL) {
		after = strtoll(after_s, &end, 10);
		bad |= *after_s == '\0' || *end != '\0' || after < 0;
	}
	if (limit_s != NULL) {
		limit = strtoll(limit_s, &end, 10);
		bad |= *limit_s == '\0' || *end != '\0' || limit < 1 ||
		    limit > LOG_PAGE_MAX;
	}
	free(after_s);
	free(limit_s);
	if (bad) {
		request_respond(req, response_problem(400, "bad-query",
		    "Bad query", "Use ?after=SEQ (0 or more) and ?limit=N "
		    "(1 to %d).", LOG_PAGE_MAX));
		return;
	}
	rw = read_wait_new(req, lb, &who);
	rw->after = after;
	rw->limit = (int)limit;
	live_battle_read_log(lb, api_viewer(&who), after, (int)limit,
	    log_read, rw);
}

/* ---- changes --------------------------------------------------------------- */

void
api_battle_settings(struct request *req, void *ctx)
{
	static const char *const keys[] = { "round_seconds", "spectators",
		NULL };
	struct live_battle *lb;
	struct actor who;
	json_t *body, *act;
	long rs;
	int sp;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who) ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (api_body_only(req, body, keys) == 0 &&
	    api_body_int(req, body, "round_seconds", 0, BATTLE_MIN_ROUND_SECONDS,
	    BATTLE_MAX_ROUND_SECONDS, &rs) == 0 &&
	    api_body_bool(req, body, "spectators", -1, &sp) == 0) {
		act = json_object();
		if (rs != 0)
			json_object_set_new(act, "round_seconds",
			    json_integer(rs));
		if (sp != -1)
			json_object_set_new(act, "spectators",
			    json_boolean(sp));
		api_act(req, lb, &who, 200, ACTION_SETTINGS, act);
		json_decref(act);
	}
	json_decref(body);
}

void
api_battle_delete(struct request *req, void *ctx)
{
	const struct api_ctx *api = ctx;
	struct live_battle *lb;
	struct actor who;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who))
		return;
	/* Its keys go with it (on disk, ON DELETE CASCADE). */
	idempotency_forget_battle(api->idempotency,
	    live_battle_id(lb));
	live_battle_delete(lb, api_wait_done, api_wait_new(req, 204, NULL));
}

/*
 * The GM's body-less actions (start, end, resolve) and the round clock
 * (pause, resume, extend with {"seconds": -600..600}).  The record holds
 * the server's time: the next round's deadline for the first kind, the
 * time of the change for the clock, so that a replay does the same.
 */
static void
gm_timed_action(struct request *req, void *ctx, enum action_kind kind)
{
	static const char *const none[] = { NULL };
	static const char *const extend[] = { "seconds", NULL };
	struct live_battle *lb;
	struct actor who;
	json_t *body, *act;
	long seconds = 0;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who) ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (api_body_only(req, body, kind == ACTION_EXTEND ? extend :
	    none) != 0 || (kind == ACTION_EXTEND && (api_body_int(req, body,
	    "seconds", 0, -600, 600, &seconds) != 0)))
		goto out;
	if (kind == ACTION_EXTEND && seconds == 0) {
		request_respond(req, response_problem(422, "bad-field",
		    "Bad field", "'seconds' moves the deadline by -600 to 600 "
		    "seconds (not 0); it is required."));
		goto out;
	}
	switch (kind) {
	case ACTION_PAUSE:
	case ACTION_RESUME:
	case ACTION_EXTEND:
		act = json_pack("{s:I}", "now", (json_int_t)battles_wall_ms());
		break;
	default:
		act = json_pack("{s:I}", "deadline", (json_int_t)(
		    battles_wall_ms() + (int64_t)battle_round_seconds(
		    live_battle_game(lb)) * 1000));
		break;
	}
	if (kind == ACTION_EXTEND)
		json_object_set_new(act, "seconds", json_integer(seconds));
	api_act(req, lb, &who, 200, kind, act);
	json_decref(act);
out:
	json_decref(body);
}

void
api_battle_start(struct request *req, void *ctx)
{
	gm_timed_action(req, ctx, ACTION_START);
}

void
api_battle_end(struct request *req, void *ctx)
{
	gm_timed_action(req, ctx, ACTION_END);
}

void
api_battle_resolve(struct request *req, void *ctx)
{
	gm_timed_action(req, ctx, ACTION_RESOLVE);
}

void
api_battle_pause(struct request *req, void *ctx)
{
	gm_timed_action(req, ctx, ACTION_PAUSE);
}

void
api_battle_resume(struct request *req, void *ctx)
{
	gm_timed_action(req, ctx, ACTION_RESUME);
}

void
api_battle_extend(struct request *req, void *ctx)
{
	gm_timed_action(req, ctx, ACTION_EXTEND);
}

void
api_battle_narration(struct request *req, void *ctx)
{
	static const char *const keys[] = { "text", NULL };
	struct live_battle *lb;
	struct actor who;
	json_t *body;

	if (api_idempotency_begin(req, ctx) != 0 ||
	    api_battle_caller(req, ctx, &lb, &who) != 0 ||
	    !api_require_gm(req, &who) ||
	    (body = api_body_object(req)) == NULL)
		return;
	if (api_body_only(req, body, keys) == 0) {
		if (!json_is_string(json_object_get(body, "text")))
			request_respond(req, response_problem(422, "bad-field",
			    "Bad field", "Narration needs 'text', a string of "
			    "1 to 1000 bytes."));
		else
			api_act(req, lb, &who, 200, ACTION_NARRATE, body);
	}
	json_decref(body);
}
