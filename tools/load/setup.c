/*
 * broadside-load(1)'s set-up of a battle, all of it through --check-url
 * (the harness, around any fault proxy): the GM creates the battle and
 * adds the crewed ship and --ships NPCs; then the GM's stream is queued
 * and every other bot joins (waiting out a 429 as a client should),
 * players take their stations, and their streams are queued in turn.
 * sse.c starts the battle once every view has its snapshot.
 */
#include "config.h"

#include <stdio.h>

#include "bots.h"
#include "net.h"

static const char *const classes[] = {
	"corvette", "frigate", "scout", "trader", "destroyer"
};

static void
start_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (!battle_expect(b, r, 200, "start the battle"))
		battle_fail(b);
}

void
setup_start(struct battle *b)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/start", b->path);
	net_request(b->L->check, NULL, "POST", path, b->clients[0].token,
	    NULL, start_answer, b);
}

static void
station_answer(const struct reply *r, void *arg)
{
	struct client *c = arg;

	if (!battle_expect(c->b, r, 200, "take a station")) {
		battle_fail(c->b);
		return;
	}
	sse_queue(c);
}

static void
join_answer(const struct reply *r, void *arg)
{
	struct client *c = arg;
	char path[96];

	/* Joins count against the address's rate: wait, as a client should. */
	if (r->status == 429) {
		c->b->L->st.throttled++;
		play_later(c->b, c, ACT_JOIN, 1000 + battle_rnd(c->b, 500), 0,
		    0);
		return;
	}
	if (!battle_expect(c->b, r, 201, "join")) {
		battle_fail(c->b);
		return;
	}
	snprintf(c->token, sizeof(c->token), "%s", jstr(r->json, "token"));
	if (c->role == ROLE_SPECTATOR) {
		sse_queue(c);
		return;
	}
	snprintf(path, sizeof(path), "%s/stations/%s", c->b->path,
	    battle_stations[c->station]);
	net_request(c->b->L->check, NULL, "PUT", path, c->token, NULL,
	    station_answer, c);
}

void
setup_join(struct client *c)
{
	char path[96], name[32];

	snprintf(path, sizeof(path), "%s/players", c->b->path);
	snprintf(name, sizeof(name), "%s %d", c->role == ROLE_PLAYER ?
	    "Player" : "Watcher", (int)(c - c->b->clients));
	net_request(c->b->L->check, NULL, "POST", path, NULL,
	    json_pack("{s:s, s:s, s:s}", "join_code", c->b->join_code, "name",
	    name, "role", c->role == ROLE_PLAYER ? "player" : "spectator"),
	    join_answer, c);
}

static void
join_all(struct battle *b)
{
	sse_queue(&b->clients[0]);
	for (int i = 1; i < b->nclients; i++)
		setup_join(&b->clients[i]);
}

static void add_ship(struct battle *b);

static void
ship_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (!battle_expect(b, r, 201, "add a ship")) {
		battle_fail(b);
		return;
	}
	if (++b->ships_added <= b->L->opt.ships)
		add_ship(b);
	else
		join_all(b);
}

static void
add_ship(struct battle *b)
{
	char path[96], name[32];
	json_t *spec;
	int k = b->ships_added;

	snprintf(path, sizeof(path), "%s/ships", b->path);
	if (k == 0)
		spec = json_pack("{s:s, s:s, s:b, s:s, s:i, s:i, s:i, s:i, "
		    "s:i}", "class", "frigate", "side", "crew", "crewed", 1,
		    "name", "Dauntless", "x", 500, "y", 500, "hull_max", 400,
		    "hull", 400, "sensors", 1000);
	else {
		snprintf(name, sizeof(name), "NPC %d", k);
		spec = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i}",
		    "class", classes[k % 5], "side", k % 3 == 0 ? "crew" :
		    "hostile", "name", name, "x", BOX_LO + battle_rnd(b,
		    BOX_HI - BOX_LO + 1), "y", BOX_LO + battle_rnd(b, BOX_HI -
		    BOX_LO + 1), "hull_max", 300, "hull", 300);
	}
	net_request(b->L->check, NULL, "POST", path, b->clients[0].token,
	    spec, ship_answer, b);
}

static void
created(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (!battle_expect(b, r, 201, "create a battle")) {
		battle_fail(b);
		return;
	}
	snprintf(b->id, sizeof(b->id), "%s", jstr(r->json, "id"));
	snprintf(b->join_code, sizeof(b->join_code), "%s",
	    jstr(r->json, "join_code"));
	snprintf(b->clients[0].token, sizeof(b->clients[0].token), "%s",
	    jstr(r->json, "gm_token"));
	snprintf(b->path, sizeof(b->path), "/v1/battles/%s", b->id);
	add_ship(b);
}

void
setup_create(struct battle *b)
{
	char name[64];

	snprintf(name, sizeof(name), "Load battle %d", b->index);
	net_request(b->L->check, NULL, "POST", "/v1/battles", NULL,
	    json_pack("{s:s, s:i}", "name", name, "round_seconds",
	    b->L->opt.round_seconds), created, b);
}
