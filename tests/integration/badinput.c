/*
 * The bad-input matrix: every kind of bad request gets its documented
 * status and an RFC 9457 problem, and changes nothing (the battle's state
 * hash, read by the GM, is the same before and after).  Usage:
 * badinput BASE_URL
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static char id[64], gm[64], code[16], other_gm[64];
static char p1[64], p2[64], spectator[64];
static char path[256];
static int checks;

static const char *
bpath(const char *suffix)
{
	snprintf(path, sizeof(path), "/v1/battles/%s%s", id, suffix);
	return path;
}

static char *
state_hash(void)
{
	struct reply r;
	char *h;

	client_call(&r, "GET", bpath("/me"), gm, NULL, NULL);
	expect_status(&r, 200, "GM's state hash");
	h = strdup(reply_str(&r, "state_hash"));
	if (strlen(h) != 16)
		reply_fail(&r, "no state hash");
	reply_free(&r);
	return h;
}

/*
 * Sends a request that must be refused with status and problem type slug,
 * and checks the battle did not change.
 */
static void
refused(const char *what, const char *method, const char *p,
    const char *token, const char *body, const char *ctype, long status,
    const char *slug)
{
	char *target = strdup(p);	/* p may be bpath()'s buffer */
	char *before = state_hash(), *after;
	struct reply r;

	client_call(&r, method, target, token, body, ctype);
	free(target);
	if (!reply_is_problem(&r, status, slug)) {
		fprintf(stderr, "case: %s (expected %ld %s)\n", what, status,
		    slug);
		reply_fail(&r, what);
	}
	after = state_hash();
	if (strcmp(before, after) != 0) {
		fprintf(stderr, "FAIL: %s changed the battle (%s -> %s)\n",
		    what, before, after);
		exit(1);
	}
	reply_free(&r);
	free(before);
	free(after);
	checks++;
}

static void
join(char *token, const char *name, const char *role)
{
	struct reply r;

	client_json(&r, "POST", bpath("/players"), NULL, json_pack("{s:s, s:s,"
	    " s:s}", "join_code", code, "name", name, "role", role));
	expect_status(&r, 201, "join");
	snprintf(token, 64, "%s", reply_str(&r, "token"));
	reply_free(&r);
}

static void
setup(void)
{
	struct reply r;
	char other[96];

	client_json(&r, "POST", "/v1/battles", NULL, json_pack("{s:s}",
	    "name", "Other"));
	expect_status(&r, 201, "create other battle");
	snprintf(other_gm, sizeof(other_gm), "%s", reply_str(&r, "gm_token"));
	snprintf(other, sizeof(other), "/v1/battles/%s", reply_str(&r, "id"));
	reply_free(&r);
	/*
	 * Its GM opens it: on a shared store a battle is served (and its
	 * tokens known: 403 wrong-battle, not 401) from its first request.
	 */
	client_call(&r, "GET", other, other_gm, NULL, NULL);
	expect_status(&r, 200, "open the other battle");
	reply_free(&r);
	client_json(&r, "POST", "/v1/battles", NULL, json_pack("{s:s}",
	    "name", "Bad input"));
	expect_status(&r, 201, "create battle");
	snprintf(id, sizeof(id), "%s", reply_str(&r, "id"));
	snprintf(gm, sizeof(gm), "%s", reply_str(&r, "gm_token"));
	snprintf(code, sizeof(code), "%s", reply_str(&r, "join_code"));
	reply_free(&r);
	join(p1, "One", "player");
	join(p2, "Two", "player");
	join(spectator, "Watcher", "spectator");
	client_call(&r, "PUT", bpath("/stations/gunner"), p1, NULL, NULL);
	expect_status(&r, 200, "take gunner");
	reply_free(&r);
	client_json(&r, "POST", bpath("/ships"), gm, json_pack("{s:s, s:s, "
	    "s:i, s:i, s:b}", "class", "frigate", "side", "crew", "x", 100,
	    "y", 100, "crewed", 1));
	expect_status(&r, 201, "crewed ship");
	reply_free(&r);
	client_json(&r, "POST", bpath("/ships"), gm, json_pack("{s:s, s:s, "
	    "s:i, s:i, s:s, s:s}", "class", "corvette", "side", "hostile", "x",
	    200, "y", 200, "notes", "SECRET-GM-NOTE", "name", "Visible"));
	expect_status(&r, 201, "hostile ship");
	reply_free(&r);
	client_json(&r, "POST", bpath("/ships"), gm, json_pack("{s:s, s:s, "
	    "s:i, s:i, s:b, s:s}", "class", "destroyer", "side", "hostile",
	    "x", 150, "y", 150, "hidden", 1, "name", "HIDDEN-SHIP-NAME"));
	expect_status(&r, 201, "hidden ship");
	reply_free(&r);
	client_call(&r, "POST", bpath("/start"), gm, "", NULL);
	expect_status(&r, 200, "start");
	reply_free(&r);
}

static void
bodies(void)
{
	char *big = malloc(70001);

	refused("malformed JSON", "POST", bpath("/orders"), p1,
	    "{\"round\":1,", NULL, 400, "bad-json");
	refused("JSON array", "POST", bpath("/orders"), p1, "[1,2]", NULL, 400,
	    "bad-json");
	refused("duplicate keys", "POST", bpath("/orders"), p1,
	    "{\"round\":1,\"round\":2}", NULL, 400, "bad-json");
	refused("bad form escape", "POST", bpath("/players"), NULL,
	    "join_code=%zz&name=x", "application/x-www-form-urlencoded", 400,
	    "bad-form");
	refused("unsupported media type", "POST", bpath("/orders"), p1,
	    "<order/>", "text/xml", 415, "unsupported-media");
	memset(big, 'x', 70000);
	big[0] = '{';
	big[70000] = '\0';
	refused("oversize body", "POST", bpath("/orders"), p1, big, NULL, 413,
	    "body-too-large");
	free(big);
	refused("unknown field", "POST", "/v1/battles", NULL,
	    "{\"name\":\"x\",\"colour\":\"red\"}", NULL, 422, "unknown-field");
	refused("name too long", "POST", "/v1/battles", NULL,
	    "{\"name\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", NULL, 422, "bad-field");
	refused("round seconds out of range", "POST", "/v1/battles", NULL,
	    "{\"round_seconds\":2}", NULL, 422, "bad-field");
	refused("bad log query", "GET", bpath("/log?limit=0"), p1, NULL, NULL,
	    400, "bad-query");
}

static void
tokens_and_roles(void)
{
	refused("no token", "GET", bpath(""), NULL, NULL, NULL, 401,
	    "unauthorized");
	refused("bad token", "POST", bpath("/orders"),
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "{\"round\":1,\"station\":\"gunner\",\"type\":\"hold\"}", NULL,
	    401, "unauthorized");
	refused("another battle's GM token", "POST", bpath("/start"),
	    other_gm, "", NULL, 403, "wrong-battle");
	refused("player adds a ship", "POST", bpath("/ships"), p1,
	    "{\"class\":\"scout\",\"side\":\"hostile\",\"x\":1,\"y\":1}", NULL,
	    403, "gm-only");
	refused("player moves a ship", "PATCH", bpath("/ships/2"), p1,
	    "{\"x\":500}", NULL, 403, "gm-only");
	refused("player ends the battle", "POST", bpath("/end"), p1, "", NULL,
	    403, "gm-only");
	refused("spectator narrates", "POST", bpath("/narration"), spectator,
	    "{\"text\":\"hi\"}", NULL, 403, "gm-only");
	refused("player deletes the battle", "DELETE", bpath(""), p1, NULL,
	    NULL, 403, "gm-only");
	refused("wrong join code", "POST", bpath("/players"), NULL,
	    "{\"join_code\":\"ZZZZZZ\",\"name\":\"Eve\"}", NULL, 403,
	    "wrong-join-code");
	refused("spectator takes a station", "PUT", bpath("/stations/pilot"),
	    spectator, NULL, NULL, 403, "spectator");
	refused("GET on a POST-only path", "GET", bpath("/start"), gm, NULL,
	    NULL, 405, "method-not-allowed");
	refused("station held by another player", "PUT",
	    bpath("/stations/gunner"), p2, NULL, NULL, 409, "station-taken");
}

static void
orders(void)
{
	refused("order for the wrong round", "POST", bpath("/orders"), p1,
	    "{\"round\":2,\"station\":\"gunner\",\"type\":\"hold\"}", NULL,
	    409, "wrong-round");
	refused("order for another's station", "POST", bpath("/orders"), p1,
	    "{\"round\":1,\"station\":\"pilot\",\"type\":\"evade\"}", NULL,
	    403, "station-not-yours");
	refused("spectator orders", "POST", bpath("/orders"), spectator,
	    "{\"round\":1,\"station\":\"gunner\",\"type\":\"hold\"}", NULL,
	    403, "spectator");
	refused("wrong type", "POST", bpath("/orders"), p1,
	    "{\"round\":\"one\",\"station\":\"gunner\",\"type\":\"hold\"}",
	    NULL, 422, "malformed");
	refused("missing type", "POST", bpath("/orders"), p1,
	    "{\"round\":1,\"station\":\"gunner\"}", NULL, 422, "malformed");
	refused("unknown station", "POST", bpath("/orders"), p1,
	    "{\"round\":1,\"station\":\"cook\",\"type\":\"hold\"}", NULL, 404,
	    "unknown-station");
	refused("no such weapon", "POST", bpath("/orders"), p1,
	    "{\"round\":1,\"station\":\"gunner\",\"type\":\"fire\","
	    "\"weapon\":9,\"target\":2}", NULL, 404, "no-such-weapon");
	refused("hidden target", "POST", bpath("/orders"), p1,
	    "{\"round\":1,\"station\":\"gunner\",\"type\":\"fire\","
	    "\"weapon\":0,\"target\":3}", NULL, 404, "target-not-detected");
	refused("unknown ship id", "PATCH", bpath("/ships/999"), gm,
	    "{\"x\":5}", NULL, 404, "no-such-ship");
	refused("ship id not a number", "PATCH", bpath("/ships/abc"), gm,
	    "{\"x\":5}", NULL, 404, "no-such-ship");
	refused("ship off the map", "PATCH", bpath("/ships/2"), gm,
	    "{\"x\":5000}", NULL, 422, "off-map");
	refused("unknown battle", "GET", "/v1/battles/nosuchbattle", gm, NULL,
	    NULL, 404, "no-such-battle");
}

/* Nothing the crew may not see is in its view or its log. */
static void
views(void)
{
	struct reply r;

	client_call(&r, "GET", bpath(""), p1, NULL, NULL);
	expect_status(&r, 200, "crew view");
	if (strstr(r.body, "SECRET-GM-NOTE") || strstr(r.body,
	    "HIDDEN-SHIP-NAME") || strstr(r.body, "join_code") ||
	    strstr(r.body, "state_hash") || strstr(r.body, "\"3\":"))
		reply_fail(&r, "the crew view shows what it may not");
	reply_free(&r);
	client_call(&r, "GET", bpath("/log"), spectator, NULL, NULL);
	expect_status(&r, 200, "spectator log");
	if (strstr(r.body, "HIDDEN-SHIP-NAME") || strstr(r.body, "SECRET"))
		reply_fail(&r, "the log shows what it may not");
	reply_free(&r);
	checks += 2;
}

/* A flood from one token: 429 with Retry-After, then served again. */
static void
flood(void)
{
	struct reply r;
	int limited = 0;

	client_no_retry(1);
	for (int i = 0; i < 300 && !limited; i++) {
		client_call(&r, "GET", bpath("/me"), p2, NULL, NULL);
		if (r.status == 429) {
			if (!reply_is_problem(&r, 429, "rate-limited") ||
			    atoi(r.retry_after) < 1)
				reply_fail(&r, "429 without Retry-After");
			limited = 1;
		} else {
			expect_status(&r, 200, "GET me");
		}
		reply_free(&r);
	}
	client_no_retry(0);
	if (!limited) {
		fprintf(stderr, "FAIL: 300 requests at once were never "
		    "limited\n");
		exit(1);
	}
	/* Another token is not affected. */
	client_call(&r, "GET", bpath("/me"), p1, NULL, NULL);
	expect_status(&r, 200, "another token during the flood");
	reply_free(&r);
	checks++;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: badinput BASE_URL\n");
		return 2;
	}
	client_init(argv[1]);
	setup();
	bodies();
	tokens_and_roles();
	orders();
	views();
	flood();
	client_cleanup();
	printf("bad input: %d cases refused, nothing changed\n", checks);
	return 0;
}
