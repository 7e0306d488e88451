/*
 * Unit tests for the request handlers (src/api/) without a daemon: a
 * struct api_ctx over a real battle registry on the in-tree store (in a
 * temporary directory, no event streams), and fake requests sent through
 * the real route table.  Creating a battle answers 201 with its GM token
 * only after the commit; reading it needs a token; a player joins with
 * the join code; the operator's rule (--dev, the admin token, none).
 * Abuse: a malformed bearer token is refused unhashed and a token is
 * hashed once whatever it is looked up in (token_hash() is wrapped by the
 * linker, -Wl,--wrap, to count); a burst from one address gets 429; the
 * per-address creation quota and the creator token.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "conf.h"
#include "idempotency.h"
#include "loop.h"
#include "ratelimit.h"
#include "request.h"
#include "route.h"

#include "test_http_support.h"
#include "store.h"

#define ADMIN_TOKEN "an-operator-token-of-some-length"
#define CREATOR_TOKEN "a-creator-token-for-public-servers"

/* The client address of the next requests. */
static char remote[64] = "127.0.0.1:40000";

/* token_hash(), counted: the linker sends every call here. */
void __real_token_hash(const char *token, unsigned char hash[TOKEN_HASH_LEN]);
void __wrap_token_hash(const char *token, unsigned char hash[TOKEN_HASH_LEN]);
static unsigned long hashes;

void
__wrap_token_hash(const char *token, unsigned char hash[TOKEN_HASH_LEN])
{
	hashes++;
	__real_token_hash(token, hash);
}

struct fixture {
	char dir[64];
	struct config cfg;
	struct loop *loop;
	struct store *store;
	struct battles *battles;
	struct ratelimit *ratelimit;
	struct idempotency *idempotency;
	enum api_lifecycle lifecycle;
	struct api_ctx api;
	struct router *router;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *src = getenv("BS_SRCDIR");
	char dbpath[96], sqldir[512], err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_api_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", f->dir);
	snprintf(sqldir, sizeof(sqldir), "%s/sql", src ? src : ".");
	config_init(&f->cfg);
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(store_open(&f->store, f->loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	f->battles = battles_new(f->loop, f->store, NULL, NULL,
	    &(struct battles_options){
		.max_battles = 10,
		.max_ships = 10,
		.max_players = 8,
		.max_spectators = 8,
		.snapshot_every = 64,
	    });
	assert_int_equal(battles_restore(f->battles, err, sizeof(err)), 0);
	f->ratelimit = ratelimit_new(f->cfg.rate, f->cfg.burst, 1000);
	f->idempotency = idempotency_new(&(struct idempotency_limits){
		.ttl_ms = 60 * 1000,
	    });
	f->lifecycle = API_READY;
	f->api = (struct api_ctx){
		.cfg = &f->cfg,
		.loop = f->loop,
		.battles = f->battles,
		.ratelimit = f->ratelimit,
		.idempotency = f->idempotency,
		.store = f->store,
		.lifecycle = &f->lifecycle,
	};
	battles_set_submit_hook(f->battles, api_wait_submitted, &f->api);
	assert_int_equal(store_start(f->store), 0);
	f->router = router_new(api_routes, api_nroutes, &f->api, NULL, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	router_free(f->router);
	store_close(f->store);
	idempotency_free(f->idempotency);
	battles_free(f->battles);
	ratelimit_free(f->ratelimit);
	loop_free(f->loop);
	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	response_free(last);
	last = NULL;
	snprintf(remote, sizeof(remote), "127.0.0.1:40000");
	return 0;
}

static struct request *
make_request(const char *method, const char *path, const char *token,
    const char *body)
{
	struct request *req = test_request(method, path);

	snprintf(req->remote, sizeof(req->remote), "%s", remote);
	if (token != NULL) {
		char *auth = xasprintf("Bearer %s", token);

		request_add_header(req, "Authorization", auth);
		free(auth);
	}
	if (body != NULL) {
		request_add_header(req, "Content-Type", "application/json");
		req->body = xstrdup(body);
		req->body_len = strlen(body);
	}
	return req;
}

/*
 * Sends a request through the route table and turns the loop until it
 * is answered (a change is answered after its commit).  Returns the
 * status; the response stays in last.  *at_once tells whether the answer
 * came before the loop turned.
 */
static int
send_request(struct fixture *f, const char *method, const char *path,
    const char *token, const char *body, int *at_once)
{
	return test_answer(f->router, f->loop,
	    make_request(method, path, token, body), at_once);
}

static int
problem_is(const char *slug)
{
	char type[96];

	snprintf(type, sizeof(type), "\"type\":\"urn:broadside:problem:%s\"",
	    slug);
	return last->body != NULL && strstr(last->body, type) != NULL;
}

/* Creates a battle; returns its id and GM token (new strings). */
static void
create_battle(struct fixture *f, char **id, char **gm_token)
{
	int at_once;

	assert_int_equal(send_request(f, "POST", "/v1/battles", NULL,
	    "{\"name\":\"Trafalgar\",\"round_seconds\":60}", &at_once), 201);
	/* Acknowledged only once the store has committed it. */
	assert_false(at_once);
	*id = test_body_string("id");
	*gm_token = test_body_string("gm_token");
	assert_int_equal(strlen(*gm_token), TOKEN_LEN);
}

static void
test_create_then_read_with_and_without_token(void **state)
{
	struct fixture *f = *state;
	char *id, *gm, *path, *name;

	create_battle(f, &id, &gm);
	path = xasprintf("/v1/battles/%s", id);

	assert_int_equal(send_request(f, "GET", path, gm, NULL, NULL), 200);
	name = test_body_string("name");
	assert_string_equal(name, "Trafalgar");
	free(name);

	assert_int_equal(send_request(f, "GET", path, NULL, NULL, NULL), 401);
	assert_true(problem_is("unauthorized"));
	assert_non_null(response_header(last, "WWW-Authenticate"));

	assert_int_equal(send_request(f, "GET", path, "not-a-token-anyone-has",
	    NULL, NULL), 401);

	assert_int_equal(send_request(f, "GET", "/v1/battles/nosuch", gm,
	    NULL, NULL), 404);
	assert_true(problem_is("no-such-battle"));
	assert_non_null(strstr(last->body, "nosuch"));
	free(path);
	free(id);
	free(gm);
}

static void
test_player_joins_with_the_join_code(void **state)
{
	struct fixture *f = *state;
	char *id, *gm, *code, *token, *path, *body, *role;
	int at_once;

	create_battle(f, &id, &gm);
	path = xasprintf("/v1/battles/%s", id);
	assert_int_equal(send_request(f, "GET", path, gm, NULL, NULL), 200);
	code = test_body_string("join_code");
	free(path);

	path = xasprintf("/v1/battles/%s/players", id);
	assert_int_equal(send_request(f, "POST", path, NULL,
	    "{\"join_code\":\"WRONG1\",\"name\":\"Ann\"}", NULL), 403);
	assert_true(problem_is("wrong-join-code"));
	body = xasprintf("{\"join_code\":\"%s\",\"name\":\"Ann\"}", code);
	assert_int_equal(send_request(f, "POST", path, NULL, body, &at_once),
	    201);
	assert_false(at_once);
	token = test_body_string("token");
	free(body);
	free(path);

	/* The new token reads the battle as its crew. */
	path = xasprintf("/v1/battles/%s/me", id);
	assert_int_equal(send_request(f, "GET", path, token, NULL, NULL), 200);
	role = test_body_string("role");
	assert_string_equal(role, "player");
	free(role);
	free(path);

	/* Joining a battle that is not there. */
	assert_int_equal(send_request(f, "POST", "/v1/battles/nosuch/players",
	    NULL, "{\"join_code\":\"X\",\"name\":\"Bo\"}", NULL), 404);
	assert_true(problem_is("no-such-battle"));
	free(token);
	free(code);
	free(id);
	free(gm);
}

/* Calls api_require_operator() on a bare request with this token. */
static int
operator(struct fixture *f, const char *token)
{
	struct request *req = make_request("GET", "/dashboard", token, NULL);
	int ok;

	response_free(last);
	last = NULL;
	ok = api_require_operator(req, &f->api);
	assert_int_equal(ok, !req->responded);
	request_free(req);
	return ok;
}

static void
test_operator_rule(void **state)
{
	struct fixture *f = *state;

	/* No admin token configured: only --dev opens the dashboard. */
	assert_false(operator(f, NULL));
	assert_int_equal(last->status, 403);
	assert_false(operator(f, ADMIN_TOKEN));
	assert_int_equal(last->status, 403);
	f->cfg.dev = 1;
	assert_true(operator(f, NULL));
	f->cfg.dev = 0;

	f->api.admin_token = ADMIN_TOKEN;
	assert_true(operator(f, ADMIN_TOKEN));
	assert_false(operator(f, NULL));
	assert_int_equal(last->status, 401);
	assert_non_null(response_header(last, "WWW-Authenticate"));
	assert_false(operator(f, ADMIN_TOKEN "x"));
	assert_int_equal(last->status, 401);
	assert_false(operator(f, "an-operator-token-of-some-lengtX"));
	assert_int_equal(last->status, 401);

	/* The same token lists the battles, which a battle's token cannot. */
	assert_int_equal(send_request(f, "GET", "/v1/battles", ADMIN_TOKEN,
	    NULL, NULL), 200);
	assert_int_equal(send_request(f, "GET", "/v1/battles", NULL, NULL,
	    NULL), 401);
}

static void
test_admin_token_counts_as_the_gm(void **state)
{
	struct fixture *f = *state;
	char *id, *gm, *path, *role;

	create_battle(f, &id, &gm);
	path = xasprintf("/v1/battles/%s/me", id);
	assert_int_equal(send_request(f, "GET", path, ADMIN_TOKEN, NULL,
	    NULL), 401);
	f->api.admin_token = ADMIN_TOKEN;
	assert_int_equal(send_request(f, "GET", path, ADMIN_TOKEN, NULL,
	    NULL), 200);
	role = test_body_string("role");
	assert_string_equal(role, "gm");
	free(role);
	free(path);
	free(id);
	free(gm);
}

static void
test_readyz_follows_the_lifecycle(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(send_request(f, "GET", "/readyz", NULL, NULL, NULL),
	    200);
	f->lifecycle = API_DRAINING;
	assert_int_equal(send_request(f, "GET", "/readyz", NULL, NULL, NULL),
	    503);
	assert_true(problem_is("draining"));
	f->lifecycle = API_STARTING;
	assert_int_equal(send_request(f, "GET", "/readyz", NULL, NULL, NULL),
	    503);
	assert_true(problem_is("starting"));
}

/* A long bogus token, of no token's shape. */
static char *
bogus_token(size_t len)
{
	char *t = xmalloc(len + 1);

	memset(t, 'x', len);
	t[len] = '\0';
	return t;
}

static void
test_malformed_token_is_never_hashed(void **state)
{
	struct fixture *f = *state;
	char *ids[10], *gms[10], *path, *bogus = bogus_token(4000);
	char unknown[TOKEN_LEN + 1];

	for (int i = 0; i < 10; i++)
		create_battle(f, &ids[i], &gms[i]);
	memset(unknown, 'A', TOKEN_LEN);
	unknown[TOKEN_LEN] = '\0';
	path = xasprintf("/v1/battles/%s", ids[0]);

	/* Listing: a malformed token is 401 with no hash at all. */
	hashes = 0;
	assert_int_equal(send_request(f, "GET", "/v1/battles", bogus, NULL,
	    NULL), 401);
	assert_non_null(response_header(last, "WWW-Authenticate"));
	assert_int_equal(hashes, 0);
	/* A token's shape is hashed once, not once per battle. */
	assert_int_equal(send_request(f, "GET", "/v1/battles", unknown, NULL,
	    NULL), 401);
	assert_int_equal(hashes, 1);
	hashes = 0;
	assert_int_equal(send_request(f, "GET", "/v1/battles", gms[3], NULL,
	    NULL), 403);
	assert_true(problem_is("admin-only"));
	assert_int_equal(hashes, 1);

	/* One battle: the same. */
	hashes = 0;
	assert_int_equal(send_request(f, "GET", path, bogus, NULL, NULL), 401);
	assert_true(problem_is("unauthorized"));
	assert_non_null(strstr(last->body, "43 characters"));
	assert_int_equal(hashes, 0);
	assert_int_equal(send_request(f, "GET", path, unknown, NULL, NULL),
	    401);
	assert_int_equal(hashes, 1);
	hashes = 0;
	assert_int_equal(send_request(f, "GET", path, gms[5], NULL, NULL),
	    403);
	assert_true(problem_is("wrong-battle"));
	assert_int_equal(hashes, 1);
	hashes = 0;
	assert_int_equal(send_request(f, "GET", path, gms[0], NULL, NULL),
	    200);
	assert_int_equal(hashes, 1);

	/* The admin token may have any shape: still the GM. */
	f->api.admin_token = ADMIN_TOKEN;
	assert_int_equal(send_request(f, "GET", path, ADMIN_TOKEN, NULL,
	    NULL), 200);
	assert_int_equal(send_request(f, "GET", "/v1/battles", ADMIN_TOKEN,
	    NULL, NULL), 200);
	for (int i = 0; i < 10; i++) {
		free(ids[i]);
		free(gms[i]);
	}
	free(path);
	free(bogus);
}

static void
test_listing_is_rate_limited_by_address(void **state)
{
	struct fixture *f = *state;
	char *bogus = bogus_token(4000);
	int status = 0, n;

	/* The loop's clock stands still: the burst (100) and no more. */
	for (n = 0; n < 1000; n++) {
		status = send_request(f, "GET", "/v1/battles", bogus, NULL,
		    NULL);
		if (status != 401)
			break;
	}
	assert_int_equal(status, 429);
	assert_int_equal(n, (int)f->cfg.burst);
	assert_true(problem_is("rate-limited"));
	assert_non_null(response_header(last, "Retry-After"));
	/* Another address is not held back. */
	snprintf(remote, sizeof(remote), "127.0.0.2:40000");
	assert_int_equal(send_request(f, "GET", "/v1/battles", bogus, NULL,
	    NULL), 401);
	free(bogus);
}

static void
test_creation_quota_per_address(void **state)
{
	struct fixture *f = *state;
	const char *body = "{\"name\":\"Lepanto\"}";
	const char *retry;

	f->api.create_limit = ratelimit_new(3 / 3600.0, 3, 100);
	for (int i = 0; i < 3; i++)
		assert_int_equal(send_request(f, "POST", "/v1/battles", NULL,
		    body, NULL), 201);
	assert_int_equal(send_request(f, "POST", "/v1/battles", NULL, body,
	    NULL), 429);
	assert_true(problem_is("too-many-creations"));
	retry = response_header(last, "Retry-After");
	assert_non_null(retry);
	/* One battle comes back in 3600 / 3 s. */
	assert_true(strtol(retry, NULL, 10) >= 1 &&
	    strtol(retry, NULL, 10) <= 1200);
	/* A bad body costs no quota: it is refused for what it is. */
	assert_int_equal(send_request(f, "POST", "/v1/battles", NULL,
	    "{\"nmae\":1}", NULL), 422);

	/* Another address, and an IPv6 /64 as one. */
	snprintf(remote, sizeof(remote), "127.0.0.2:40000");
	assert_int_equal(send_request(f, "POST", "/v1/battles", NULL, body,
	    NULL), 201);
	snprintf(remote, sizeof(remote), "[2001:db8::1]:40000");
	for (int i = 0; i < 3; i++)
		assert_int_equal(send_request(f, "POST", "/v1/battles", NULL,
		    body, NULL), 201);
	snprintf(remote, sizeof(remote), "[2001:db8::2]:40000");
	assert_int_equal(send_request(f, "POST", "/v1/battles", NULL, body,
	    NULL), 429);

	/* The operator has no quota. */
	f->api.admin_token = ADMIN_TOKEN;
	assert_int_equal(send_request(f, "POST", "/v1/battles", ADMIN_TOKEN,
	    body, NULL), 201);
	ratelimit_free(f->api.create_limit);
}

static void
test_creator_token(void **state)
{
	struct fixture *f = *state;
	const char *body = "{\"name\":\"Jutland\"}";

	f->api.creator_token = CREATOR_TOKEN;
	assert_int_equal(send_request(f, "POST", "/v1/battles", NULL, body,
	    NULL), 401);
	assert_true(problem_is("creator-token-required"));
	assert_non_null(response_header(last, "WWW-Authenticate"));
	assert_int_equal(send_request(f, "POST", "/v1/battles",
	    CREATOR_TOKEN "x", body, NULL), 401);
	assert_int_equal(send_request(f, "POST", "/v1/battles", CREATOR_TOKEN,
	    body, NULL), 201);
	f->api.admin_token = ADMIN_TOKEN;
	assert_int_equal(send_request(f, "POST", "/v1/battles", ADMIN_TOKEN,
	    body, NULL), 201);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_create_then_read_with_and_without_token, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_player_joins_with_the_join_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_rule, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_admin_token_counts_as_the_gm, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_readyz_follows_the_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_malformed_token_is_never_hashed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_listing_is_rate_limited_by_address, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_creation_quota_per_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creator_token, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
