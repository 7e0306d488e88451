/*
 * Fuzz target: requests through the route table to every handler
 * (src/request.c, src/route.c, the handlers of src/api/, and behind them the battle
 * registry, the rules engine and the store), without a network: the
 * request a transport would build from a request head and body.
 *
 * The input is text: "METHOD TARGET", then "Name: value" header lines, an
 * empty line and the body.  In the target and header values, $ID is a
 * battle that is being played (planning round 1 with ships on both sides
 * and a player on every station), $GM, $P1 and $SP its GM's, player's
 * and spectator's tokens, $CODE its join code and $ADMIN the operator's
 * token, so that inputs reach past authorization.
 *
 * The fixture is what daemon.c wires up: a store in a temporary
 * directory, the event stream, the figures, rate limits (too generous to
 * get in the way) and idempotency keys.  It is rebuilt when the battle is
 * gone or over, or the server is full.  An answer must come: the loop is
 * turned until it does, and a request left unanswered fails the run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "conf.h"
#include "figures.h"
#include "fuzz.h"
#include "idempotency.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "ratelimit.h"
#include "request.h"
#include "route.h"
#include "store.h"
#include "stream.h"

#define FUZZ_API_ADMIN "fuzz-operator-token-0123456789abcdef"
#define FUZZ_API_MAX_HEADERS 64
/* Loop turns (of at most 10 ms) to wait for an answer. */
#define FUZZ_API_TURNS 1000

static struct fixture {
	struct config cfg;
	struct loop *loop;
	struct metrics *metrics;
	struct router *router;
	struct store *store;
	struct stream *stream;
	struct battles *battles;
	struct figures *figures;
	struct ratelimit *ratelimit;
	struct idempotency *idempotency;
	enum api_lifecycle lifecycle;
	struct api_ctx api;
	char *db;
	int generation;
	char id[64], gm[128], p1[128], sp[128], code[32];
} fx;

static struct response *last;

static void
keep_response(struct request *req, struct response *resp)
{
	struct iovec iov[16];
	int n;

	(void)req;
	/* An event stream: read what it has queued, as a transport would. */
	while (resp->stream != NULL &&
	    (n = subscriber_iov(resp->stream, iov, 16)) > 0) {
		size_t got = 0;

		for (int i = 0; i < n; i++)
			got += iov[i].iov_len;
		subscriber_consumed(resp->stream, got, 0);
	}
	response_free(last);
	last = resp;
}

static const struct request_transport keep_transport = {
	.respond = keep_response,
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_api: %s\n", what);
	abort();
}

/* Routes req and turns the loop until it is answered; frees it. */
static int
send_request(struct request *req)
{
	int status;

	response_free(last);
	last = NULL;
	router_dispatch(fx.router, req);
	for (int i = 0; i < FUZZ_API_TURNS && !req->responded; i++)
		loop_run_once(fx.loop, 10);
	if (!req->responded)
		fail("a request was never answered");
	status = last->status;
	request_free(req);
	return status;
}

static struct request *
plain_request(const char *method, const char *path, const char *token,
    const char *body)
{
	struct request *req = request_new(&keep_transport, NULL);

	free(req->method_name);
	req->method_name = xstrdup(method);
	req->method = http_method_parse(method);
	free(req->path);
	req->path = xstrdup(path);
	snprintf(req->remote, sizeof(req->remote), "127.0.0.1:40000");
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

/* A set-up request that must succeed; copies out a member of the answer. */
static void
setup_request(const char *method, const char *path, const char *token,
    const char *body, const char *key, char *out, size_t outlen)
{
	int status = send_request(plain_request(method, path, token, body));
	json_t *doc;

	if (status >= 300) {
		fprintf(stderr, "fuzz_api: set-up %s %s: %d %.*s\n", method,
		    path, status, (int)last->body_len, last->body);
		abort();
	}
	if (key == NULL)
		return;
	doc = json_loadb(last->body, last->body_len, 0, NULL);
	snprintf(out, outlen, "%s", json_string_value(json_object_get(doc,
	    key)));
	json_decref(doc);
}

static void
fixture_battle(void)
{
	static const char *const stations[] = { "captain", "pilot", "gunner",
		"engineer", "sensors" };
	char path[160], body[160];

	setup_request("POST", "/v1/battles", NULL, "{\"name\":\"Fuzz\","
	    "\"round_seconds\":600}", "id", fx.id, sizeof(fx.id));
	snprintf(fx.gm, sizeof(fx.gm), "%s", "");
	/* The GM token is in the same answer. */
	{
		json_t *doc = json_loadb(last->body, last->body_len, 0, NULL);

		snprintf(fx.gm, sizeof(fx.gm), "%s", json_string_value(
		    json_object_get(doc, "gm_token")));
		json_decref(doc);
	}
	snprintf(path, sizeof(path), "/v1/battles/%s", fx.id);
	setup_request("GET", path, fx.gm, NULL, "join_code", fx.code,
	    sizeof(fx.code));
	snprintf(path, sizeof(path), "/v1/battles/%s/players", fx.id);
	snprintf(body, sizeof(body), "{\"join_code\":\"%s\",\"name\":\"Ann\"}",
	    fx.code);
	setup_request("POST", path, NULL, body, "token", fx.p1, sizeof(fx.p1));
	snprintf(body, sizeof(body), "{\"join_code\":\"%s\",\"name\":\"Eve\","
	    "\"role\":\"spectator\"}", fx.code);
	setup_request("POST", path, NULL, body, "token", fx.sp, sizeof(fx.sp));
	snprintf(path, sizeof(path), "/v1/battles/%s/ships", fx.id);
	setup_request("POST", path, fx.gm, "{\"class\":\"corvette\","
	    "\"side\":\"crew\",\"crewed\":true,\"x\":100,\"y\":100}", NULL,
	    NULL, 0);
	setup_request("POST", path, fx.gm, "{\"class\":\"frigate\","
	    "\"side\":\"hostile\",\"x\":300,\"y\":100}", NULL, NULL, 0);
	setup_request("POST", path, fx.gm, "{\"class\":\"frigate\","
	    "\"side\":\"hostile\",\"x\":800,\"y\":800,\"hidden\":true}", NULL,
	    NULL, 0);
	for (size_t i = 0; i < sizeof(stations) / sizeof(stations[0]); i++) {
		snprintf(path, sizeof(path), "/v1/battles/%s/stations/%s",
		    fx.id, stations[i]);
		setup_request("PUT", path, fx.p1, NULL, NULL, NULL, 0);
	}
	snprintf(path, sizeof(path), "/v1/battles/%s/start", fx.id);
	setup_request("POST", path, fx.gm, NULL, NULL, NULL, 0);
}

static void
fixture_up(void)
{
	char err[256];
	const char *src = getenv("BS_SRCDIR");

	config_init(&fx.cfg);
	free(fx.cfg.www_dir);
	fx.cfg.www_dir = xasprintf("%s/www", src != NULL && *src != '\0' ?
	    src : FUZZ_SRCDIR);
	fx.db = xasprintf("%s/api%d.db", fuzz_tmpdir(), fx.generation++);
	if (loop_new(&fx.loop) != 0)
		fail("loop_new");
	fx.metrics = metrics_new();
	fx.router = router_new(api_routes, api_nroutes, &fx.api, fx.metrics,
	    fx.loop);
	if (store_open(&fx.store, fx.loop, fx.db, fuzz_sql_dir(),
	    STORE_DURABILITY_NORMAL, fx.metrics, err, sizeof(err)) != 0)
		fail(err);
	fx.stream = stream_new(fx.loop, fx.metrics, &(struct stream_options){
		.debounce_ms = 0, .heartbeat_s = 15, .retry_ms = 3000,
		.ring_events = 64, .ring_bytes = 1 << 20,
		.max_backlog = 1 << 20, .write_timeout_s = 30,
	    });
	fx.battles = battles_new(fx.loop, fx.store, fx.stream, fx.metrics,
	    &(struct battles_options){
		.max_battles = 32, .max_ships = 16, .max_players = 8,
		.max_spectators = 8, .snapshot_every = 64,
	    });
	if (battles_restore(fx.battles, err, sizeof(err)) != 0)
		fail(err);
	fx.figures = figures_new(fx.loop, fx.stream, fx.metrics, fx.battles,
	    battles_epoch(fx.battles));
	fx.ratelimit = ratelimit_new(1e9, 1e9, 1000);
	fx.idempotency = idempotency_new(&(struct idempotency_limits){
		.ttl_ms = 60 * 1000,
	    });
	fx.lifecycle = API_READY;
	fx.api = (struct api_ctx){
		.cfg = &fx.cfg,
		.loop = fx.loop,
		.battles = fx.battles,
		.ratelimit = fx.ratelimit,
		.idempotency = fx.idempotency,
		.store = fx.store,
		.metrics = fx.metrics,
		.figures = fx.figures,
		.admin_token = FUZZ_API_ADMIN,
		.lifecycle = &fx.lifecycle,
	};
	battles_set_submit_hook(fx.battles, api_wait_submitted, &fx.api);
	if (store_start(fx.store) != 0)
		fail("store_start");
	fixture_battle();
}

static void
fixture_down(void)
{
	response_free(last);
	last = NULL;
	store_close(fx.store);
	idempotency_free(fx.idempotency);
	battles_free(fx.battles);
	figures_free(fx.figures);
	stream_free(fx.stream);
	ratelimit_free(fx.ratelimit);
	router_free(fx.router);
	loop_free(fx.loop);
	metrics_free(fx.metrics);
	config_free(&fx.cfg);
	remove(fx.db);
	free(fx.db);
	fx.db = NULL;
}

static void
fixture_check(void)
{
	struct live_battle *lb = battles_find(fx.battles, fx.id);

	if (lb == NULL || battle_phase(live_battle_game(lb)) == PHASE_ENDED ||
	    battles_count(fx.battles) >= 24) {
		fixture_down();
		fixture_up();
	}
}

static void
teardown_at_exit(void)
{
	if (fx.db != NULL)
		fixture_down();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	fixture_up();
	atexit(teardown_at_exit);
	return 0;
}

/* A copy of s[0..len) with the $NAMEs replaced. */
static char *
expand(const char *s, size_t len)
{
	const struct {
		const char *name;
		const char *value;
	} vars[] = {
		{ "$ID", fx.id }, { "$GM", fx.gm }, { "$P1", fx.p1 },
		{ "$SP", fx.sp }, { "$CODE", fx.code },
		{ "$ADMIN", FUZZ_API_ADMIN },
	};
	char *out = xmalloc(len * 16 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t v;

		for (v = 0; v < sizeof(vars) / sizeof(vars[0]); v++) {
			size_t n = strlen(vars[v].name);

			if (len - i >= n && memcmp(s + i, vars[v].name, n) == 0)
				break;
		}
		if (v < sizeof(vars) / sizeof(vars[0]) &&
		    strlen(vars[v].value) <= 15 * strlen(vars[v].name)) {
			memcpy(out + o, vars[v].value, strlen(vars[v].value));
			o += strlen(vars[v].value);
			i += strlen(vars[v].name);
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	return out;
}

/* The next line of [*p, end) without its CR LF; NULL at the end. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *line = *p, *nl;

	if (*p >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	*len = (size_t)((nl != NULL ? nl : end) - line);
	*p = nl != NULL ? nl + 1 : end;
	if (*len > 0 && line[*len - 1] == '\r')
		(*len)--;
	return line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *line, *sp;
	struct request *req;
	char *target, *q;
	size_t len;
	int nheaders = 0, status;

	fixture_check();
	line = next_line(&p, end, &len);
	if (line == NULL || (sp = memchr(line, ' ', len)) == NULL ||
	    memchr(line, '\0', len) != NULL)
		return 0;
	req = request_new(&keep_transport, NULL);
	snprintf(req->remote, sizeof(req->remote), "127.0.0.1:40000");
	free(req->method_name);
	req->method_name = fuzz_strndup((const uint8_t *)line,
	    (size_t)(sp - line));
	req->method = http_method_parse(req->method_name);
	target = expand(sp + 1, len - (size_t)(sp + 1 - line));
	/* What the transports do: the path, and the query after '?'. */
	q = strchr(target, '?');
	free(req->query);
	req->query = xstrdup(q != NULL ? q + 1 : "");
	if (q != NULL)
		*q = '\0';
	free(req->path);
	req->path = target;
	while ((line = next_line(&p, end, &len)) != NULL && len > 0 &&
	    nheaders++ < FUZZ_API_MAX_HEADERS) {
		const char *colon = memchr(line, ':', len);
		char *name, *value;

		if (colon == NULL || memchr(line, '\0', len) != NULL)
			continue;
		name = fuzz_strndup((const uint8_t *)line,
		    (size_t)(colon - line));
		colon++;
		while (colon < line + len && *colon == ' ')
			colon++;
		value = expand(colon, (size_t)(line + len - colon));
		request_add_header(req, name, value);
		free(name);
		free(value);
	}
	if (p < end) {
		req->body = expand(p, (size_t)(end - p));
		req->body_len = strlen(req->body);
	}
	/* The transports ask before they parse a request. */
	{
		char *raw = req->query[0] != '\0' ? xasprintf("%s?%s",
		    req->path, req->query) : xstrdup(req->path);

		router_streams(fx.router, req->method_name, raw);
		free(raw);
	}
	status = send_request(req);
	/* For whoever writes seeds: what each input got. */
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_api: %d %.*s\n", status,
		    (int)(last->body_len < 300 ? last->body_len : 300),
		    last->body != NULL ? last->body : "");
	return 0;
}
