/*
 * Idempotency-Key on the battle API's changes (broadside-api(7),
 * IDEMPOTENT REQUESTS): the glue between requests, the index of keys
 * (idempotency.h) and the store.
 *
 * A change sent with a key goes through api_idempotency_begin() first.  A
 * new key arms the request: if the handler answers at once (a refusal, a
 * bad field), the key is forgotten, since nothing changed.  If the handler
 * hands a change to its battle, the write's submit hook (common.c) takes
 * the key from the request, fixes the answer and adds it to the write, so
 * the key, its answer and the change commit together; the key is finished
 * once the commit is done, or forgotten if the write failed.
 *
 * Keys live in memory, loaded from the store at start-up; a sweep every
 * minute forgets expired keys and deletes them from disk, with the keys
 * the index forgot to stay within its bounds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "error.h"
#include "idempotency.h"
#include "log.h"
#include "loop.h"
#include "persist.h"
#include "store.h"
#include "token.h"

#define IDEMPOTENCY_SWEEP_MS (60 * 1000)

/* A request whose key is new: what its answer needs to reach the index. */
struct api_idempotent {
	struct idempotency *idx;
	struct idempotency_entry *entry;
};

static void
bad_key(struct request *req, const char *why)
{
	request_respond(req, response_problem(400, "bad-idempotency-key",
	    "Bad Idempotency-Key", "%s Send one Idempotency-Key header of 1 "
	    "to %d letters, digits, '-' or '_', such as a UUID from "
	    "uuidgen; nothing was changed.", why, IDEMPOTENCY_KEY_MAX));
}

/* The caller's scope: its token's hash, or its address's without port. */
static void
request_caller(const struct request *req, unsigned char out[TOKEN_HASH_LEN])
{
	char *token = api_request_token(req);
	const char *colon = strrchr(req->remote, ':');
	char *addr;

	if (token != NULL) {
		token_hash(token, out);
		free(token);
		return;
	}
	/* Its own prefix: an address never hashes like some token. */
	addr = xasprintf("address %.*s", colon != NULL ?
	    (int)(colon - req->remote) : (int)strlen(req->remote),
	    req->remote);
	token_hash(addr, out);
	free(addr);
}

static void
request_fingerprint(const struct request *req,
    unsigned char out[IDEMPOTENCY_HASH_LEN])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) != 0) {
		/* No hash, no comparison: every retry then mismatches. */
		memset(out, 0xff, IDEMPOTENCY_HASH_LEN);
		return;
	}
	gnutls_hash(h, req->method_name, strlen(req->method_name) + 1);
	gnutls_hash(h, req->path, strlen(req->path) + 1);
	gnutls_hash(h, req->body != NULL ? req->body : "", req->body_len);
	gnutls_hash_deinit(h, out);
}

/*
 * The battle whose deletion forgets the key: the path's, except for
 * creating a battle and deleting one, whose keys outlive it.
 */
static const char *
request_battle(const struct request *req)
{
	if (req->params[0] == NULL || (req->method == HTTP_DELETE &&
	    req->route_name != NULL && strcmp(req->route_name, "battle") == 0))
		return "";
	return req->params[0];
}

/* The request was answered without a change: forget its key. */
static void
answered_at_once(struct request *req, struct response *resp, void *arg)
{
	struct api_idempotent *ai = arg;

	idempotency_abandon(ai->idx, ai->entry);
	free(ai);
}

static struct response *
stored_response(const struct idempotency_response *r)
{
	struct response *resp = response_new(r->status);

	if (r->body_len > 0 || r->content_type != NULL)
		response_set_body(resp, r->content_type,
		    xstrndup(r->body != NULL ? r->body : "", r->body_len),
		    r->body_len);
	if (r->location != NULL)
		response_add_header(resp, "Location", r->location);
	return resp;
}

int
api_idempotency_begin(struct request *req, const struct api_ctx *api)
{
	struct idempotency *idx = api->idempotency;
	struct idempotency_request r;
	struct idempotency_entry *e;
	struct api_idempotent *ai;
	struct response *resp;
	const char *key = NULL;
	char *target;
	size_t n = 0;
	int rv = -1;

	for (size_t i = 0; i < req->nheaders; i++)
		if (strcmp(req->headers[i].name, "idempotency-key") == 0 &&
		    n++ == 0)
			key = req->headers[i].value;
	if (n == 0)
		return 0;
	if (n > 1) {
		bad_key(req, "This request has more than one Idempotency-Key.");
		return -1;
	}
	if (!idempotency_key_valid(key)) {
		bad_key(req, *key == '\0' ? "The Idempotency-Key is empty." :
		    strlen(key) > IDEMPOTENCY_KEY_MAX ?
		    "The Idempotency-Key is too long." :
		    "The Idempotency-Key has a character not allowed.");
		return -1;
	}
	memset(&r, 0, sizeof(r));
	request_caller(req, r.caller);
	request_fingerprint(req, r.fingerprint);
	target = xasprintf("%s %s", req->method_name, req->path);
	r.target = target;
	r.key = key;
	r.battle = request_battle(req);

	switch (idempotency_begin(idx, &r, battles_wall_ms(), &e)) {
	case IDEMPOTENCY_NEW:
		ai = xcalloc(1, sizeof(*ai));
		ai->idx = idx;
		ai->entry = e;
		request_on_respond(req, answered_at_once, ai);
		rv = 0;
		break;
	case IDEMPOTENCY_REPLAY:
		resp = stored_response(idempotency_response(e));
		response_add_header(resp, "Idempotent-Replayed", "true");
		request_respond(req, resp);
		break;
	case IDEMPOTENCY_IN_FLIGHT:
		resp = response_problem(409, "idempotency-in-flight",
		    "Request in progress", "A request with this "
		    "Idempotency-Key is still being processed; retry in a "
		    "moment with the same key to get its answer.");
		response_add_header(resp, "Retry-After", "1");
		request_respond(req, resp);
		break;
	case IDEMPOTENCY_MISMATCH:
		request_respond(req, response_problem(422,
		    "idempotency-key-mismatch", "Idempotency-Key reused",
		    "This Idempotency-Key was used for a different request "
		    "(another body); use a new key for a new request, or "
		    "resend the first request unchanged."));
		break;
	}
	free(target);
	return rv;
}

struct api_idempotent *
api_idempotency_take(struct request *req)
{
	struct api_idempotent *ai;

	if (req->respond_cb != answered_at_once)
		return NULL;
	ai = req->respond_arg;
	request_on_respond(req, NULL, NULL);
	return ai;
}

int
api_idempotency_record(struct api_idempotent *ai, struct persist_write *w,
    const struct response *resp)
{
	const struct idempotency_limits *lim = idempotency_limits(ai->idx);
	struct idempotency_response r = {
		.status = resp->status,
		.content_type = response_header(resp, "Content-Type"),
		.location = response_header(resp, "Location"),
		.body = resp->body,
		.body_len = resp->body_len,
	};
	int64_t created = idempotency_entry_created(ai->entry);

	if (resp->body_len > IDEMPOTENCY_MAX_BODY) {
		idempotency_abandon(ai->idx, ai->entry);
		free(ai);
		return -1;
	}
	idempotency_set_response(ai->entry, &r);
	persist_write_idempotency(w, idempotency_entry_request(ai->entry),
	    created, created + lim->ttl_ms, &r);
	return 0;
}

void
api_idempotency_done(struct api_idempotent *ai, int status)
{
	if (status == 0)
		idempotency_finish(ai->idx, ai->entry);
	else
		idempotency_abandon(ai->idx, ai->entry);
	free(ai);
}

/* ---- start-up and the sweep ------------------------------------------------ */

static void
restore_one(void *arg, const struct idempotency_request *req,
    int64_t created, const struct idempotency_response *resp)
{
	idempotency_restore(arg, req, created, resp, battles_wall_ms());
}

int
api_idempotency_restore(struct idempotency *idx, struct store_conn *conn)
{
	const struct idempotency_limits *lim = idempotency_limits(idx);
	int64_t now = battles_wall_ms();

	if (persist_idempotency_sweep(conn, now, lim->per_caller,
	    lim->total) != 0 ||
	    persist_idempotency_load(conn, now, restore_one, idx) != 0)
		return BS_ERR_IO;
	if (idempotency_count(idx) > 0)
		log_info("restored %zu idempotency keys",
		    idempotency_count(idx));
	return 0;
}

/*
 * The sweep's work: the keys the index forgot since the last sweep, to
 * stay within its limits or expired, by key, in writes of SWEEP_PART
 * keys, one after the other, so that other writes go in between (and on
 * PostgreSQL, first, every expired key, through the index on expiry: the
 * keys there are shared by every node, and this node's index names only
 * its own).  Only when it forgot more than it can name does the store
 * pass over every key to expire and trim them to the limits (0.3 s at
 * 36,000 keys, in which every write waits: it used to, every minute).
 */
#define SWEEP_PART 256

struct sweep {
	struct store *store;
	int64_t now;
	size_t per_caller, total;	/* 0: no pass over every key */
	struct idempotency_gone *gone;
	size_t ngone, next;
};

static int
sweep_apply(struct store_conn *conn, void *arg)
{
	struct sweep *s = arg;
	size_t n = s->ngone - s->next;

	if (s->next == 0 && persist_idempotency_sweep(conn, s->now,
	    s->per_caller, s->total) != 0)
		return BS_ERR_IO;
	return persist_idempotency_delete(conn, s->gone + s->next,
	    n < SWEEP_PART ? n : SWEEP_PART);
}

static void
sweep_done(void *arg, int status)
{
	struct sweep *s = arg;

	s->next += SWEEP_PART;
	/* A part that failed leaves the rest to expire. */
	if (status == 0 && s->next < s->ngone) {
		store_submit(s->store, sweep_apply, sweep_done, s);
		return;
	}
	idempotency_gone_free(s->gone, s->ngone);
	free(s);
}

int64_t
api_idempotency_sweep(struct loop *loop, void *arg)
{
	const struct api_ctx *api = arg;
	struct idempotency *idx = api->idempotency;
	const struct idempotency_limits *lim = idempotency_limits(idx);
	struct sweep *s = xcalloc(1, sizeof(*s));

	s->store = api->store;
	s->now = battles_wall_ms();
	idempotency_expire(idx, s->now);
	if (idempotency_take_gone(idx, &s->gone, &s->ngone)) {
		s->per_caller = lim->per_caller;
		s->total = lim->total;
	}
	store_submit(api->store, sweep_apply, sweep_done, s);
	return IDEMPOTENCY_SWEEP_MS;
}
