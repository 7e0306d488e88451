/*
 * The authorization matrix (issue 15): every route of the route table,
 * with each of its methods, tried with every kind of credential, against
 * the one table below that says what each cell must answer.  The table
 * and the route table must cover each other: a route (and method) without
 * a row fails, and so does a row without a route, so a new route cannot
 * ship without someone deciding who may call it.
 *
 * Driven without a daemon, as test_api.c is: the real route table over a
 * battle registry on the in-tree store (in a temporary directory), with
 * event streams, the figures and the metrics registry so that every route
 * can answer.  Path parameters come from a real battle ("this" battle:
 * GM, a player holding the captain's station, a spectator, a crewed
 * destroyer and a hidden hostile scout, in its first round) and the
 * credentials of another one.  A change that succeeded may have altered
 * the battles, so both are built anew before the next cell.
 *
 * An event stream's cell looks only at the first answer: its status, or
 * a 200 with the stream attached (freed with the response).
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
#include "cidr.h"
#include "conf.h"
#include "figures.h"
#include "idempotency.h"
#include "loop.h"
#include "metrics.h"
#include "ratelimit.h"
#include "request.h"
#include "route.h"
#include "store.h"
#include "stream.h"

#include "test_http_support.h"

#define ADMIN_TOKEN "an-operator-token-of-some-length"
/* Not a token by its shape: too short, and '!' is outside base64url. */
#define MALFORMED_TOKEN "!not-a-token!"
/* The requests' address: outside --metrics-allow's default (loopback). */
#define REMOTE "192.0.2.7:40000"
/* The hidden hostile scout's name: only the GM's view may carry it. */
#define HIDDEN_NAME "Shadowmarker"

/*
 * The credentials, the columns of the table.  There is no operator role
 * apart from the admin token: the operator's rule (auth.c) is --dev or
 * the admin token, and this test runs without --dev.
 */
enum cred {
	CRED_NONE,		/* no Authorization, no access_token */
	CRED_MALFORMED,		/* a Bearer token no server could issue */
	CRED_OTHER_GM,		/* another battle's GM token */
	CRED_OTHER_PLAYER,	/* another battle's player */
	CRED_OTHER_SPECTATOR,	/* another battle's spectator */
	CRED_PLAYER,		/* this battle's player */
	CRED_SPECTATOR,		/* this battle's spectator */
	CRED_GM,		/* this battle's GM */
	CRED_ADMIN,		/* the admin token (--admin-token-file) */
	CRED_GM_QUERY,		/* this battle's GM as ?access_token= */
	CRED_COUNT,
};

static const char *const cred_names[CRED_COUNT] = {
	"no token",
	"a malformed token",
	"another battle's GM",
	"another battle's player",
	"another battle's spectator",
	"this battle's player",
	"this battle's spectator",
	"this battle's GM",
	"the admin token",
	"this battle's GM as ?access_token=",
};

/*
 * ALLOW: past authorization, the route does its work: a 2xx, or the
 * refusal of the request's content or of the battle's state (400, 409,
 * 422).  Any other expectation is the exact status.
 */
#define ALLOW 0

/*
 * One row: a route pattern, the methods it covers (each must be one of
 * the route's), the body sent (JSON; "{join_code}" and "{player}" are
 * this battle's), and what each credential gets, in enum cred's order:
 *
 *   none  malformed  other GM  other player  other spect.
 *   player  spectator  GM  admin  GM in ?access_token=
 *
 * A token in the query is read only where a browser cannot send a header
 * (GET of an event stream or of /dashboard); anywhere else it is a 400.
 */
struct authz_row {
	unsigned methods;
	const char *pattern;
	const char *body;
	int expect[CRED_COUNT];
};

#define GH (HTTP_GET | HTTP_HEAD)
#define A ALLOW

static const struct authz_row authz_table[] = {
	/* Open to anyone. */
	{ GH, "/healthz", NULL,
	  { A, A, A, A, A, A, A, A, A, 400 } },
	{ GH, "/readyz", NULL,
	  { A, A, A, A, A, A, A, A, A, 400 } },
	{ GH, "/{*}", NULL,
	  { A, A, A, A, A, A, A, A, A, 400 } },
	/* Creating a battle needs nobody's token. */
	{ HTTP_POST, "/v1/battles", "{\"name\":\"Matrix\"}",
	  { A, A, A, A, A, A, A, A, A, 400 } },
	/* Joining needs the join code, not a token. */
	{ HTTP_POST, "/v1/battles/{id}/players",
	  "{\"join_code\":\"{join_code}\",\"name\":\"Zed\"}",
	  { A, A, A, A, A, A, A, A, A, 400 } },

	/*
	 * The operator: the admin token, or an address of --metrics-allow
	 * (this test's is not); a battle's token is just wrong.
	 */
	{ GH, "/metrics", NULL,
	  { 401, 401, 401, 401, 401, 401, 401, 401, A, 400 } },
	{ HTTP_GET, "/metrics/events", NULL,
	  { 401, 401, 401, 401, 401, 401, 401, 401, A, 401 } },
	{ GH, "/dashboard", NULL,
	  { 401, 401, 401, 401, 401, 401, 401, 401, A, 401 } },
	{ GH, "/v1/battles", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, 403, A, 400 } },

	/* Any member of the battle reads it, each in its own view. */
	{ GH, "/v1/battles/{id}", NULL,
	  { 401, 401, 403, 403, 403, A, A, A, A, 400 } },
	{ GH, "/v1/battles/{id}/me", NULL,
	  { 401, 401, 403, 403, 403, A, A, A, A, 400 } },
	{ GH, "/v1/battles/{id}/log", NULL,
	  { 401, 401, 403, 403, 403, A, A, A, A, 400 } },
	{ HTTP_GET, "/v1/battles/{id}/events", NULL,
	  { 401, 401, 403, 403, 403, A, A, A, A, A } },

	/* The crew acts at its stations; a spectator only watches. */
	{ HTTP_PUT, "/v1/battles/{id}/stations/{station}",
	  "{\"player\":{player}}",
	  { 401, 401, 403, 403, 403, A, 403, A, A, 400 } },
	{ HTTP_DELETE, "/v1/battles/{id}/stations/{station}", NULL,
	  { 401, 401, 403, 403, 403, A, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/orders",
	  "{\"round\":1,\"station\":\"captain\",\"type\":\"tactics\"}",
	  { 401, 401, 403, 403, 403, A, 403, A, A, 400 } },

	/* The GM's alone (the admin token counts as the GM). */
	{ HTTP_PATCH, "/v1/battles/{id}", "{\"round_seconds\":90}",
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_DELETE, "/v1/battles/{id}", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/start", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/end", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/resolve", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/narration", "{\"text\":\"Fog.\"}",
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/pause", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/resume", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/extend", "{\"seconds\":30}",
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_PATCH, "/v1/battles/{id}/players/{player}", "{\"skill\":2}",
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_POST, "/v1/battles/{id}/ships",
	  "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":400,\"y\":400}",
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_PATCH, "/v1/battles/{id}/ships/{ship}", "{\"x\":420}",
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
	{ HTTP_DELETE, "/v1/battles/{id}/ships/{ship}", NULL,
	  { 401, 401, 403, 403, 403, 403, 403, A, A, 400 } },
};

#undef A
#undef GH

#define AUTHZ_ROWS (sizeof(authz_table) / sizeof(authz_table[0]))

/* One battle as the test knows it. */
struct known_battle {
	char *id;
	char *join_code;
	char *gm;
	char *player;
	char *spectator;
	int player_id;
	int ship;	/* the hidden hostile scout */
};

struct fixture {
	char dir[64];
	struct config cfg;
	struct loop *loop;
	struct metrics *metrics;
	struct store *store;
	struct stream *stream;
	struct battles *battles;
	struct figures *figures;
	struct ratelimit *ratelimit;
	struct idempotency *idempotency;
	struct cidr_list *metrics_allow;
	enum api_lifecycle lifecycle;
	struct api_ctx api;
	struct router *router;
	struct known_battle this, other;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *src = getenv("BS_SRCDIR");
	char dbpath[96], sqldir[512], www[512], err[256];

	if (src == NULL)
		src = ".";
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_authz_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", f->dir);
	snprintf(sqldir, sizeof(sqldir), "%s/sql", src);
	snprintf(www, sizeof(www), "%s/www", src);
	config_init(&f->cfg);
	free(f->cfg.www_dir);
	f->cfg.www_dir = xstrdup(www);
	assert_int_equal(loop_new(&f->loop), 0);
	f->metrics = metrics_new();
	assert_int_equal(store_open(&f->store, f->loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	f->stream = stream_new(f->loop, NULL, &(struct stream_options){
		.debounce_ms = 50,
		.heartbeat_s = 15,
		.retry_ms = 1000,
		.ring_events = 64,
		.ring_bytes = 1 << 20,
		.max_backlog = 1 << 20,
		.write_timeout_s = 30,
	    });
	f->battles = battles_new(f->loop, f->store, f->stream, NULL,
	    &(struct battles_options){
		.max_battles = 16,
		.max_ships = 10,
		.max_players = 8,
		.max_spectators = 8,
		.snapshot_every = 64,
	    });
	assert_int_equal(battles_restore(f->battles, err, sizeof(err)), 0);
	f->figures = figures_new(f->loop, f->stream, f->metrics, f->battles,
	    battles_epoch(f->battles));
	/* Hundreds of requests from one address: no cell may meet a 429. */
	f->ratelimit = ratelimit_new(1e6, 1e6, 1000);
	f->idempotency = idempotency_new(&(struct idempotency_limits){
		.ttl_ms = 60 * 1000,
	    });
	/* The default scrape list, which the requests' address is not on. */
	assert_int_equal(cidr_list_parse(f->cfg.metrics_allow,
	    &f->metrics_allow, err, sizeof(err)), 0);
	f->lifecycle = API_READY;
	f->api = (struct api_ctx){
		.cfg = &f->cfg,
		.loop = f->loop,
		.battles = f->battles,
		.ratelimit = f->ratelimit,
		.idempotency = f->idempotency,
		.store = f->store,
		.metrics = f->metrics,
		.figures = f->figures,
		.admin_token = ADMIN_TOKEN,
		.metrics_allow = f->metrics_allow,
		.lifecycle = &f->lifecycle,
	};
	battles_set_submit_hook(f->battles, api_wait_submitted, &f->api);
	assert_int_equal(store_start(f->store), 0);
	f->router = router_new(api_routes, api_nroutes, &f->api, NULL, NULL);
	*state = f;
	return 0;
}

static void
known_clear(struct known_battle *s)
{
	free(s->id);
	free(s->join_code);
	free(s->gm);
	free(s->player);
	free(s->spectator);
	memset(s, 0, sizeof(*s));
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	/* First: it may hold a subscriber of a channel freed below. */
	response_free(last);
	last = NULL;
	known_clear(&f->this);
	known_clear(&f->other);
	router_free(f->router);
	store_close(f->store);
	idempotency_free(f->idempotency);
	battles_free(f->battles);
	figures_free(f->figures);
	stream_free(f->stream);
	ratelimit_free(f->ratelimit);
	cidr_list_free(f->metrics_allow);
	loop_free(f->loop);
	metrics_free(f->metrics);
	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- requests ------------------------------------------------------------ */

/*
 * Sends a request through the route table as cred and turns the loop until
 * it is answered (a change is answered after its commit).  Returns the
 * status; the response stays in last.
 */
static int
send_as(struct fixture *f, const char *method, const char *path,
    const char *token, int in_query, const char *body)
{
	struct request *req = test_request(method, path);

	snprintf(req->remote, sizeof(req->remote), REMOTE);
	if (token != NULL && in_query) {
		free(req->query);
		req->query = xasprintf("access_token=%s", token);
	} else if (token != NULL) {
		char *auth = xasprintf("Bearer %s", token);

		request_add_header(req, "Authorization", auth);
		free(auth);
	}
	if (body != NULL) {
		request_add_header(req, "Content-Type", "application/json");
		req->body = xstrdup(body);
		req->body_len = strlen(body);
	}
	return test_answer(f->router, f->loop, req, NULL);
}

static int
body_int(const char *key)
{
	json_t *doc = json_loadb(last->body, last->body_len, 0, NULL);
	int v;

	assert_non_null(doc);
	assert_true(json_is_integer(json_object_get(doc, key)));
	v = (int)json_integer_value(json_object_get(doc, key));
	json_decref(doc);
	return v;
}

/*
 * Creates a battle with a player holding the captain's station, a
 * spectator, a crewed destroyer and a hidden hostile scout, and starts
 * it.
 */
static void
known_build(struct fixture *f, struct known_battle *s, const char *name)
{
	char *path, *body;

	body = xasprintf("{\"name\":\"%s\"}", name);
	assert_int_equal(send_as(f, "POST", "/v1/battles", NULL, 0, body),
	    201);
	free(body);
	s->id = test_body_string("id");
	s->gm = test_body_string("gm_token");
	s->join_code = test_body_string("join_code");

	path = xasprintf("/v1/battles/%s/players", s->id);
	body = xasprintf("{\"join_code\":\"%s\",\"name\":\"Ann\"}",
	    s->join_code);
	assert_int_equal(send_as(f, "POST", path, NULL, 0, body), 201);
	free(body);
	s->player = test_body_string("token");
	s->player_id = body_int("player");
	body = xasprintf("{\"join_code\":\"%s\",\"name\":\"Sam\","
	    "\"role\":\"spectator\"}", s->join_code);
	assert_int_equal(send_as(f, "POST", path, NULL, 0, body), 201);
	free(body);
	s->spectator = test_body_string("token");
	free(path);

	path = xasprintf("/v1/battles/%s/stations/captain", s->id);
	assert_int_equal(send_as(f, "PUT", path, s->player, 0, NULL), 200);
	free(path);

	path = xasprintf("/v1/battles/%s/ships", s->id);
	assert_int_equal(send_as(f, "POST", path, s->gm, 0,
	    "{\"class\":\"destroyer\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":100,\"y\":100,\"name\":\"Resolute\"}"), 201);
	assert_int_equal(send_as(f, "POST", path, s->gm, 0,
	    "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":900,\"y\":900,"
	    "\"hidden\":true,\"name\":\"" HIDDEN_NAME "\"}"), 201);
	s->ship = body_int("ship");
	free(path);

	/* In its first round: orders and the round clock have work to do. */
	path = xasprintf("/v1/battles/%s/start", s->id);
	assert_int_equal(send_as(f, "POST", path, s->gm, 0, NULL), 200);
	free(path);
}

/* Deletes both battles (if still there) and builds them anew. */
static void
world_build(struct fixture *f)
{
	struct known_battle *sides[2] = { &f->this, &f->other };

	for (int i = 0; i < 2; i++) {
		if (sides[i]->id != NULL) {
			char *path = xasprintf("/v1/battles/%s",
			    sides[i]->id);

			(void)send_as(f, "DELETE", path, sides[i]->gm, 0,
			    NULL);
			free(path);
		}
		known_clear(sides[i]);
	}
	known_build(f, &f->this, "This");
	known_build(f, &f->other, "Other");
}

/*
 * tmpl with its {placeholders} filled from this battle: {id}, {player},
 * {ship}, {station}, {join_code}; "{*}" is the empty rest (the site's
 * root).  Other braces (a JSON body's) are copied.  A new string.
 */
static char *
fill(const struct fixture *f, const char *tmpl)
{
	char player[16], ship[16];
	const struct {
		const char *name;
		const char *value;
	} values[] = {
		{ "{id}", f->this.id },
		{ "{player}", player },
		{ "{ship}", ship },
		{ "{station}", "captain" },
		{ "{join_code}", f->this.join_code },
		{ "{*}", "" },
	};
	size_t cap = strlen(tmpl) + 256, len = 0;
	char *out = xmalloc(cap);

	snprintf(player, sizeof(player), "%d", f->this.player_id);
	snprintf(ship, sizeof(ship), "%d", f->this.ship);
	while (*tmpl != '\0') {
		size_t i, n = sizeof(values) / sizeof(values[0]);

		for (i = 0; i < n; i++)
			if (strncmp(tmpl, values[i].name,
			    strlen(values[i].name)) == 0)
				break;
		if (i < n) {
			size_t vlen = strlen(values[i].value);

			assert_true(len + vlen < cap);
			memcpy(out + len, values[i].value, vlen);
			len += vlen;
			tmpl += strlen(values[i].name);
		} else {
			assert_true(len + 1 < cap);
			out[len++] = *tmpl++;
		}
	}
	out[len] = '\0';
	return out;
}

/* The token a credential sends (NULL: none), and whether in the query. */
static const char *
cred_token(const struct fixture *f, enum cred c, int *in_query)
{
	*in_query = 0;
	switch (c) {
	case CRED_NONE:
		return NULL;
	case CRED_MALFORMED:
		return MALFORMED_TOKEN;
	case CRED_OTHER_GM:
		return f->other.gm;
	case CRED_OTHER_PLAYER:
		return f->other.player;
	case CRED_OTHER_SPECTATOR:
		return f->other.spectator;
	case CRED_PLAYER:
		return f->this.player;
	case CRED_SPECTATOR:
		return f->this.spectator;
	case CRED_GM:
		return f->this.gm;
	case CRED_ADMIN:
		return ADMIN_TOKEN;
	case CRED_GM_QUERY:
		*in_query = 1;
		return f->this.gm;
	case CRED_COUNT:
		break;
	}
	fail();
	return NULL;
}

/* Whether the last response's body has needle in it. */
static int
body_has(const char *needle)
{
	return last->body != NULL && memmem(last->body, last->body_len,
	    needle, strlen(needle)) != NULL;
}

static int
allowed(int status)
{
	return (status >= 200 && status < 300) || status == 400 ||
	    status == 409 || status == 422;
}

/*
 * Whether the refusal in last is what a client can act on: a problem
 * document and, for a 401, the scheme to use (RFC 6750).
 */
static const char *
refusal_fault(int status)
{
	const char *type = response_header(last, "Content-Type");

	if (type == NULL || strstr(type, "application/problem+json") == NULL)
		return "not a problem+json body";
	if (status == 401 && response_header(last, "WWW-Authenticate") == NULL)
		return "no WWW-Authenticate";
	return NULL;
}

/*
 * Deletes the battle the last answer created, if it did, so that the
 * creation cells do not fill --max-battles.  last is lost.
 */
static void
forget_created(struct fixture *f)
{
	json_t *doc;
	char *path = NULL, *gm = NULL;

	if (last->status != 201 || !body_has("\"gm_token\""))
		return;
	doc = json_loadb(last->body, last->body_len, 0, NULL);
	assert_non_null(doc);
	path = xasprintf("/v1/battles/%s", json_string_value(
	    json_object_get(doc, "id")));
	gm = xstrdup(json_string_value(json_object_get(doc, "gm_token")));
	json_decref(doc);
	assert_int_equal(send_as(f, "DELETE", path, gm, 0, NULL), 204);
	free(path);
	free(gm);
}

/* ---- the table covers the route table, and the reverse ------------------- */

struct coverage {
	unsigned covered[AUTHZ_ROWS];	/* row methods seen on a route */
	int faults;
};

static void
cover_route(const struct route *route, void *arg)
{
	struct coverage *cov = arg;

	for (unsigned bit = 1; bit <= HTTP_OTHER; bit <<= 1) {
		char name[32];
		int rows = 0;

		if (!(route->methods & bit))
			continue;
		for (size_t i = 0; i < AUTHZ_ROWS; i++) {
			if (strcmp(authz_table[i].pattern, route->pattern) != 0 ||
			    !(authz_table[i].methods & bit))
				continue;
			cov->covered[i] |= bit;
			rows++;
		}
		if (rows == 1)
			continue;
		http_methods_format(bit, name, sizeof(name));
		print_error("route %s %s has %d rows in the authorization "
		    "table; give it exactly one\n", name, route->pattern,
		    rows);
		cov->faults++;
	}
}

static void
test_table_covers_every_route(void **state)
{
	struct fixture *f = *state;
	struct coverage cov = { { 0 }, 0 };

	router_each(f->router, cover_route, &cov);
	for (size_t i = 0; i < AUTHZ_ROWS; i++) {
		char name[64];
		unsigned extra = authz_table[i].methods & ~cov.covered[i];

		if (extra == 0)
			continue;
		http_methods_format(extra, name, sizeof(name));
		print_error("row %s %s of the authorization table has no "
		    "route; remove it or fix its pattern\n", name,
		    authz_table[i].pattern);
		cov.faults++;
	}
	assert_int_equal(cov.faults, 0);
}

/* ---- the matrix ------------------------------------------------------------ */

/*
 * Tries one cell: method on the row's route as credential c.  Returns 1
 * (after saying why) when the answer is not what the table expects.
 * *dirty says whether the battles may have changed.
 */
static int
try_cell(struct fixture *f, const struct authz_row *row, const char *method,
    enum cred c, int *dirty)
{
	int in_query, status, want = row->expect[c];
	const char *token, *fault = NULL;
	char *path, *body, expected[16];

	if (*dirty)
		world_build(f);
	token = cred_token(f, c, &in_query);
	path = fill(f, row->pattern);
	body = row->body ? fill(f, row->body) : NULL;
	status = send_as(f, method, path, token, in_query, body);
	/* A change that succeeded changed the battles; nothing else does. */
	*dirty = status >= 200 && status < 300 && strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0;
	if (want == ALLOW && !allowed(status))
		fault = "let it through";
	else if (want != ALLOW && status != want)
		fault = "wrong status";
	else if (want != ALLOW)
		fault = refusal_fault(status);
	if (fault != NULL) {
		if (want == ALLOW)
			snprintf(expected, sizeof(expected), "ALLOW");
		else
			snprintf(expected, sizeof(expected), "%d", want);
		print_error("%s %s as %s: %s: expected %s, got %d %.*s\n",
		    method, row->pattern, cred_names[c], fault, expected,
		    status, last->body ? (int)last->body_len : 0,
		    last->body ? last->body : "");
	}
	forget_created(f);
	free(path);
	free(body);
	return fault != NULL;
}

static void
test_matrix(void **state)
{
	struct fixture *f = *state;
	int faults = 0, cells = 0, dirty = 1;

	for (size_t i = 0; i < AUTHZ_ROWS; i++) {
		for (unsigned bit = 1; bit <= HTTP_OTHER; bit <<= 1) {
			char method[16];

			if (!(authz_table[i].methods & bit))
				continue;
			http_methods_format(bit, method, sizeof(method));
			for (int c = 0; c < CRED_COUNT; c++, cells++)
				faults += try_cell(f, &authz_table[i], method,
				    (enum cred)c, &dirty);
		}
	}
	print_message("%d cells of the authorization matrix, %d wrong\n",
	    cells, faults);
	assert_int_equal(faults, 0);
}

/*
 * The read side of authorization: a member reads the battle in its own
 * view.  The projections are tested on the engine (test_game_views.c);
 * this checks that the token picks the view: the hidden scout's name is
 * in the GM's answer only.
 */
static void
test_reading_takes_the_callers_view(void **state)
{
	struct fixture *f = *state;
	const char *const suffixes[] = { "", "/log" };
	const char *crew[2];
	char *path;

	world_build(f);
	crew[0] = f->this.player;
	crew[1] = f->this.spectator;
	for (int s = 0; s < 2; s++) {
		path = xasprintf("/v1/battles/%s%s", f->this.id, suffixes[s]);
		assert_int_equal(send_as(f, "GET", path, f->this.gm, 0, NULL),
		    200);
		if (s == 0)
			assert_true(body_has(HIDDEN_NAME));
		for (int i = 0; i < 2; i++) {
			assert_int_equal(send_as(f, "GET", path, crew[i], 0,
			    NULL), 200);
			assert_false(body_has(HIDDEN_NAME));
		}
		free(path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_covers_every_route,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_matrix, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reading_takes_the_callers_view, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
