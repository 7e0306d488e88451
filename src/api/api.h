/*
 * The request handlers, one file per resource (broadside-api(7), "ENDPOINTS"),
 * and the route table that binds them to paths.  Every handler is a
 * route_handler whose context is a struct api_ctx (ctx.h), and answers
 * through request_respond().
 */
#ifndef BROADSIDE_API_H
#define BROADSIDE_API_H

#include <stddef.h>


#include "action.h"
#include "api/ctx.h"
#include "battles.h"
#include "game/game.h"
#include "request.h"
#include "route.h"

/* The routes in the order they are tried. */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/* health.c: GET /healthz, GET /readyz. */
void api_healthz(struct request *req, void *ctx);
void api_readyz(struct request *req, void *ctx);

/*
 * metrics.c: GET /metrics in the Prometheus text format, and GET
 * /metrics/events, the dashboard's figures as an event stream, both for
 * the operator (api_require_operator(): the admin token, or an address
 * of --metrics-allow).
 */
void api_metrics(struct request *req, void *ctx);
void api_metrics_events(struct request *req, void *ctx);

/* static.c: the pages and assets under --www. */
void api_static(struct request *req, void *ctx);

/*
 * The request body as a JSON object, new reference: a JSON body
 * (application/json, or no Content-Type with a body starting with '{'),
 * or an application/x-www-form-urlencoded one (every value a string; the
 * rules engine takes numbers and booleans as strings too).  An empty body
 * gives {}.  On failure returns NULL after answering the request with a
 * problem: 400 (malformed JSON, not an object, bad form escape) or 415
 * (another media type).
 */
json_t *api_body_object(struct request *req);

/*
 * Members of a body object, each checked and, when bad, answered with a
 * 422 problem naming the field (the function then returns -1):
 * a string of 1..max bytes (*out NULL when absent); an integer in
 * min..max, as a JSON number or a decimal string (*out = def when
 * absent); a boolean, as JSON or "true"/"false"/"1"/"0" (*out = def).
 * api_body_only() refuses any member not in the NULL-terminated keys.
 */
int api_body_string(struct request *req, json_t *body, const char *key,
    int max, const char **out);
int api_body_int(struct request *req, json_t *body, const char *key,
    long def, long min, long max, long *out);
int api_body_bool(struct request *req, json_t *body, const char *key,
    int def, int *out);
int api_body_only(struct request *req, json_t *body,
    const char *const *keys);

/*
 * Answers with the problem for an error code from the rules engine or the
 * battle registry; detail is the refusal's sentence.  The status follows
 * the code: INVALID and TOO_LARGE 422, DENIED 403, NOT_FOUND 404,
 * STATE, EXISTS and LIMIT 409, anything else 500.  slug names the
 * problem type (urn:broadside:problem:SLUG).
 */
void api_refuse(struct request *req, int err, const char *slug,
    const char *detail);

/*
 * The HTTP status of an error code, as api_refuse() answers it, and a
 * title for it (static).
 */
int api_refusal_status(int err, const char **title);

struct live_battle;
struct actor;

/* battles.c */
void api_battles_create(struct request *req, void *ctx);
void api_battles_list(struct request *req, void *ctx);
void api_battle_get(struct request *req, void *ctx);
void api_battle_me(struct request *req, void *ctx);
void api_battle_settings(struct request *req, void *ctx);
void api_battle_delete(struct request *req, void *ctx);
void api_battle_start(struct request *req, void *ctx);
void api_battle_end(struct request *req, void *ctx);
void api_battle_resolve(struct request *req, void *ctx);
void api_battle_narration(struct request *req, void *ctx);
void api_battle_pause(struct request *req, void *ctx);
void api_battle_resume(struct request *req, void *ctx);
void api_battle_extend(struct request *req, void *ctx);
void api_battle_log(struct request *req, void *ctx);

/* players.c */
void api_players_join(struct request *req, void *ctx);
void api_player_edit(struct request *req, void *ctx);
void api_station_take(struct request *req, void *ctx);
void api_station_free(struct request *req, void *ctx);

/* ships.c */
void api_ships_add(struct request *req, void *ctx);
void api_ship_edit(struct request *req, void *ctx);
void api_ship_remove(struct request *req, void *ctx);

/* events.c: the event stream (SSE). */
void api_battle_events(struct request *req, void *ctx);

/*
 * Answers req with an event stream of channel for viewer (member: a
 * player id, 0 for the GM), resuming after its Last-Event-ID (header or
 * ?last_event_id=), gzip-compressed when the request accepts it.
 */
struct channel;
void api_event_stream(struct request *req, struct channel *channel,
    enum viewer viewer, int member);

/* orders.c */
void api_orders_submit(struct request *req, void *ctx);

/* ---- common.c: what every battle handler does first ------------------- */

/*
 * Finds the battle named by the path's first parameter and who is calling
 * (the battle's GM or a member by token; the admin token counts as the
 * GM), and takes one token from the caller's rate-limit bucket.  Returns 0,
 * or -1 after answering 404 (no such battle), 503 (served elsewhere, or
 * the store is away: api_battle_lookup()), 401 (no or unknown token) or
 * 429 (too many requests, with Retry-After).
 */
int api_battle_caller(struct request *req, const struct api_ctx *api,
    struct live_battle **lb, struct actor *who);

/*
 * Answers 503 battle-elsewhere, with Retry-After: 1, for the battle the
 * path names: another node holds its lease.
 */
void api_battle_elsewhere(struct request *req);

/*
 * Finds the battle the path names (battles_lookup(): it may be taken from
 * the store now).  Returns 0 with *lb, or -1 after answering 404 (with
 * hint), 503 battle-elsewhere or 503 unavailable (both Retry-After: 1),
 * or 429 (api_battle_lookup_charged()).
 */
int api_battle_lookup(struct request *req, const struct api_ctx *api,
    struct live_battle **lb, const char *hint);

/*
 * Before a lookup that would ask the store (a shared store, a battle not
 * live here: up to three round trips on the loop, before any token is
 * checked), counts the request against the client's address: 0, or -1
 * after answering 429.  So ids made up at random cannot keep the loop
 * and the database busy.
 */
int api_battle_lookup_charged(struct request *req, const struct api_ctx *api);

/*
 * Answers 404 no-such-battle for the battle the path names: "There is no
 * battle 'ID' on this server; HINT."
 */
void api_no_such_battle(struct request *req, const char *hint);

/*
 * expire.c: the expiry sweep, a loop timer callback (arg: the struct
 * api_ctx): deletes the lobbies idle past --lobby-ttl and the ended
 * battles past --ended-ttl, from memory at once and from the store with
 * their commit, with their idempotency keys.  Returns the delay until
 * the next sweep (api_expiry_interval_ms()).
 */
struct loop;
int64_t api_battles_sweep(struct loop *loop, void *arg);

/* How often the sweep runs for cfg's ttls: a tenth of the shorter, 1-60 s. */
int64_t api_expiry_interval_ms(const struct config *cfg);

/* The view a caller gets: GM, crew (players) or spectator. */
enum viewer api_viewer(const struct actor *who);

/* Answers 403 unless who is the GM; returns whether it is. */
int api_require_gm(struct request *req, const struct actor *who);

/*
 * Rate-limits a request without a token (creating, joining, listing, a
 * failed token) by client address (an IPv6 address by its /64); returns
 * 0, or -1 after answering 429 rate-limited with Retry-After.
 */
int api_rate_limit_address(struct request *req, const struct api_ctx *api);

/*
 * Takes one battle from the client address's creation quota
 * (--create-per-hour; none when api->create_limit is NULL).  Returns 0,
 * or -1 after answering 429 too-many-creations with Retry-After.
 */
int api_create_quota(struct request *req, const struct api_ctx *api);

/*
 * A request waiting for a commit.  api_wait_done (a battles_done_fn)
 * answers it with status and body (the action's result merged in, when
 * there is one), or 503 if the write failed; a client gone meanwhile is
 * simply forgotten.
 */
struct api_wait;
struct api_wait *api_wait_new(struct request *req, int status, json_t *body);
void api_wait_done(void *arg, int status, json_t *result);

/*
 * Applies an action (body borrowed) for who with w waiting for its
 * commit: the one way a handler hands an action to its battle.  Returns
 * 0, or the refusal's code with why filled after dropping w; the caller
 * then answers the refusal.
 */
int api_act_wait(struct api_wait *w, struct live_battle *lb,
    const struct actor *who, enum action_kind kind, const json_t *body,
    struct refusal *why);

/*
 * Applies an action for who and answers status with reply (stolen) and
 * the action's result merged in once it is committed, or the refusal
 * (api_refuse_change()) at once.
 */
void api_act_reply(struct request *req, struct live_battle *lb,
    const struct actor *who, int status, json_t *reply,
    enum action_kind kind, const json_t *body);

/* api_act_reply() with the reply {"battle":ID, "done":ACTION}. */
void api_act(struct request *req, struct live_battle *lb,
    const struct actor *who, int status, enum action_kind kind,
    const json_t *body);

/* Drops a wait that was never handed to a battle (the change was refused). */
void api_wait_cancel(struct api_wait *w);

/*
 * Sets how the answer's body is completed once the change is made: after
 * the action's result is merged in, complete(body, arg) adds what only the
 * change knows (a new token, an id).  arg passes to the wait, which frees
 * it with free().
 */
void api_wait_set_complete(struct api_wait *w,
    void (*complete)(json_t *body, void *arg), void *arg);

/*
 * The battles' submit hook (battles_submit_fn; ctx, unused, is the
 * struct api_ctx): fixes
 * the answer of a waiting request when its change is submitted and, for a
 * request with an idempotency key, adds the key and that answer to the
 * write, so that they commit with the change.
 */
struct persist_write;
void api_wait_submitted(void *ctx, battles_done_fn done, void *arg,
    struct persist_write *w, json_t *result);

/* ---- idempotent.c: the Idempotency-Key header ------------------------- */

/*
 * The first thing every change (POST, PUT, PATCH, DELETE of a battle
 * resource) does.  Returns 0 to go on: no key, or a new one (then armed on
 * the request: an answer without a change forgets it, a change takes it
 * with api_idempotency_take()).  Returns -1 after answering: 400
 * bad-idempotency-key, the stored answer of a replay (with
 * Idempotent-Replayed: true), 409 idempotency-in-flight (with
 * Retry-After: 1) or 422 idempotency-key-mismatch.
 */
int api_idempotency_begin(struct request *req, const struct api_ctx *api);

/* A request's armed key, now the caller's; NULL if it has none. */
struct api_idempotent;
struct api_idempotent *api_idempotency_take(struct request *req);

/*
 * Sets the key's answer to resp (copied) and adds the key to the change's
 * write w.  Returns 0, or -1 when the answer is too large to keep
 * (IDEMPOTENCY_MAX_BODY): the key is then forgotten and ai freed.
 */
int api_idempotency_record(struct api_idempotent *ai,
    struct persist_write *w, const struct response *resp);

/* The write is done (status 0) or failed: finishes or forgets; frees ai. */
void api_idempotency_done(struct api_idempotent *ai, int status);

/*
 * Start-up, before the storage thread: deletes expired keys (and those
 * past the bounds) from the store and loads the others.  0 or BS_ERR_IO.
 */
struct idempotency;
struct store_conn;
int api_idempotency_restore(struct idempotency *idx, struct store_conn *conn);

/*
 * The sweep, a loop timer callback (arg: the struct api_ctx, whose
 * idempotency index and store it uses): forgets expired keys and deletes
 * them, and rows past the bounds, through the storage thread.  Returns
 * the delay until the next sweep.
 */
struct loop;
int64_t api_idempotency_sweep(struct loop *loop, void *arg);

/*
 * The refusal of a change, as api_refuse() with the engine's reason; slug
 * names the problem type when the engine gave no refusal code (NULL for
 * the generic "refused", or "battle-unavailable" for BS_ERR_STATE).
 */
void api_refuse_change(struct request *req, int err,
    const struct refusal *why, const char *slug);

/* ---- auth.c: tokens and the operator's rule ------------------------------ */

/*
 * The operator's rule, one for the dashboard's page, its figures
 * (/metrics/events) and /metrics: the server runs with --dev, or the
 * request comes from an address of --metrics-allow (the scrapers), or it
 * carries the admin token.  Returns 1, or 0 after answering 401 (no or
 * another token; with WWW-Authenticate) or 403 (no admin token
 * configured at all).
 */
int api_require_operator(struct request *req, const struct api_ctx *api);

/*
 * Whether req carries the admin token (Authorization: Bearer, or the
 * access_token query parameter), compared in time that does not depend
 * on the token's contents.  0 when no admin token is configured.
 */
int api_is_admin(const struct api_ctx *api, const struct request *req);

/* Whether req comes from an address of --metrics-allow. */
int api_metrics_allowed(const struct api_ctx *api,
    const struct request *req);

/*
 * The bearer token of a request: "Authorization: Bearer T", else the
 * access_token query parameter (RFC 6750).  A new string, or NULL.
 */
char *api_request_token(const struct request *req);

#endif
