/*
 * The bots of broadside-load(1): per battle, a GM that creates it, adds
 * ships, drags them in bursts, gives the NPC orders and narrates; players
 * that join, take a station and order for it every round from what their
 * view shows; spectators that only listen.  Every bot keeps its view by
 * applying the stream's snapshot and merge-patch deltas, reconnects as
 * EventSource does (after retry:, with Last-Event-ID), and at the end its
 * view must equal GET /v1/battles/{id} for its token; every order that got
 * a 202 must be in the battle's log.
 *
 * The set-up (create, ships, joins, stations, start), the end and the
 * final checks go to --check-url over HTTP/1.1: they are the harness, and
 * around any fault proxy.  The play goes to --url: each bot's event
 * stream on a connection of its own, its orders, drags and narration
 * (see req_alias()).  Over HTTP/2 in cleartext the stream's GET upgrades
 * its connection (h2c), and the bot's requests then share it.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "load.h"
#include "loop.h"
#include "net.h"
#include "patch.h"

/* Everything stays in this square, so that every ship is in range. */
#define BOX_LO 300
#define BOX_HI 700
#define MAX_PENDING 64
#define CHECK_QUIET_MS 300
#define CHECK_TRIES 8
#define DEFAULT_RETRY_MS 3000
#define PARSED 16		/* parsed events kept per view */

enum role { ROLE_GM, ROLE_PLAYER, ROLE_SPECTATOR };
enum event_kind {
	EV_SNAPSHOT, EV_DELTA, EV_LOG, EV_ROUND, EV_PRESENCE, EV_ACCEPTED,
	EV_OTHER
};

const char *const load_event_names[8] = {
	"snapshot", "delta", "log", "round", "presence", "accepted", "other",
	NULL
};

static const char *const stations[] = {
	"captain", "pilot", "gunner", "engineer", "sensors"
};
static const char *const classes[] = {
	"corvette", "frigate", "scout", "trader", "destroyer"
};

struct battle;

struct client {
	struct battle *b;
	enum role role;
	int bit;		/* in pending.seen: GM 0, players 1..5, else -1 */
	char alias[32];
	char token[96];
	int station;		/* players: index in stations[], or -1 */
	struct xfer *stream;
	int opened;		/* the stream answered 200 */
	int synced;		/* has a state */
	int awaiting_first;	/* reconnected: replay or snapshot? */
	int storm;		/* dropped by bots_drop_all() */
	uint64_t drop_us;
	char last_id[64];
	json_t *state;
	int planned_round;
	int log_round;		/* last round whose resolution log arrived */
	uint64_t log_wall_us;
	int latency_round;	/* last round measured for resolution_log */
	struct loop_timer *retry_timer;
	struct loop_timer *check_timer;
	int check_tries;
	int checking;		/* a GET for the final check is out */
	int converged;
};

struct pending {
	int round;
	char key[16];		/* a station, or "#" and a ship id */
	int station;		/* or -1 for a GM ship */
	uint64_t sent_us;
	unsigned seen;		/* bits of the clients that saw it */
};

/* A bot's deferred action (an order, a drag step, a narration). */
struct action {
	struct action *next, **prev;
	struct battle *b;
	struct client *c;
	struct loop_timer *timer;
	int kind, round, ship, step, dx, dy;
};

enum { ACT_ORDER, ACT_SHIP_ORDER, ACT_DRAG, ACT_NARRATE, ACT_JOIN };

struct battle {
	struct load *L;
	int index;
	uint64_t rng;
	char id[32];
	char join_code[16];
	char path[64];		/* /v1/battles/ID */
	struct client *clients;	/* [0] GM, [1..players], spectators */
	int nclients;
	int ships_added;
	int narrations_sent, narrations_acked;
	int joined, ready;
	int started, ending, done, failed, reading_log, log_checked;
	int round_seen;		/* the last round some bot saw open */
	int generation;		/* battles of this slot before this one */
	struct battle *retired_next;	/* done, kept until the end */
	struct pending pend[MAX_PENDING];
	int npend;
	json_t *acked;		/* the orders that got a 202 */
	struct action *actions;
	struct sent_order *sent;	/* orders waiting for their answer */
	int log_after;
	json_t *log;
	struct parsed {		/* the last events of each view, parsed */
		char id[64];
		char type[16];
		json_t *data;
	} parsed[3][PARSED];
	unsigned parsed_next[3];
};

static struct battle *retired;	/* done battles whose slot went on */
static struct client **openq;	/* streams waiting for --connect-rate */
static size_t openq_len, openq_head, openq_cap;
static struct loop_timer *openq_timer;

/* ---- small helpers ------------------------------------------------- */

uint64_t
load_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
rnd(struct battle *b, int n)
{
	return n <= 0 ? 0 : (int)(load_rand(&b->rng) % (uint64_t)n);
}

static uint64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int
jint(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The problem slug of an error answer ("" if none). */
static const char *
problem_slug(const struct reply *r)
{
	const char *type = jstr(r->json, "type");
	const char *colon = strrchr(type, ':');

	return colon != NULL ? colon + 1 : type;
}

/*
 * Whether a reply has the expected status; counts the error otherwise.
 * A refusal of an order or edit is ERR_REFUSED, one for lateness
 * ERR_STALE.
 */
static int
expect(struct battle *b, const struct reply *r, long status, const char *what)
{
	struct load *L = b->L;

	hist_add(&L->st.request, loop_now_us(L->loop) - r->sent_us);
	if (r->status == status)
		return 1;
	if (r->status == 0)
		load_error(L, ERR_TRANSPORT, "battle %d: %s: %s", b->index, what,
		    curl_easy_strerror(r->rc));
	else if (r->status == 409 &&
	    (strcmp(problem_slug(r), "wrong-round") == 0 ||
	    strcmp(problem_slug(r), "not-planning") == 0 ||
	    strcmp(problem_slug(r), "battle-ended") == 0))
		load_error(L, ERR_STALE, "battle %d: %s: %ld %s", b->index,
		    what, r->status, problem_slug(r));
	else if (r->status == 409 || r->status == 422 || r->status == 403)
		load_error(L, ERR_REFUSED, "battle %d: %s: %ld %s: %s",
		    b->index, what, r->status, problem_slug(r),
		    jstr(r->json, "detail"));
	else
		load_error(L, ERR_HTTP, "battle %d: %s: status %ld: %.200s",
		    b->index, what, r->status, r->text);
	return 0;
}

static json_t *
ship_of(const json_t *state, int id)
{
	char key[16];

	snprintf(key, sizeof(key), "%d", id);
	return json_object_get(json_object_get(state, "ships"), key);
}

static int
operational(const json_t *ship)
{
	return ship != NULL && strcmp(jstr(ship, "damage"), "destroyed") != 0;
}

/* The crewed ship of a view and its id, or NULL. */
static json_t *
crewed_ship(const json_t *state, int *id)
{
	const char *key;
	json_t *s;

	json_object_foreach(json_object_get(state, "ships"), key, s) {
		if (json_is_true(json_object_get(s, "crewed"))) {
			*id = atoi(key);
			return s;
		}
	}
	return NULL;
}

/* A random operational ship of a side in the view, or 0. */
static int
pick_target(struct battle *b, const json_t *state, const char *side)
{
	int ids[64], n = 0;
	const char *key;
	json_t *s;

	json_object_foreach(json_object_get(state, "ships"), key, s) {
		if (n < 64 && strcmp(jstr(s, "side"), side) == 0 &&
		    operational(s))
			ids[n++] = atoi(key);
	}
	return n > 0 ? ids[rnd(b, n)] : 0;
}

/* A destination within half of the ship's reach, inside the box. */
static void
pick_move(struct battle *b, const json_t *ship, int *x, int *y)
{
	int thrust = jint(ship, "thrust"), step;

	if (strcmp(jstr(json_object_get(ship, "systems"), "drive"),
	    "damaged") == 0)
		thrust /= 2;
	step = 25 * thrust * 7 / 20;	/* each axis: |v| < reach / 2 */
	*x = clampi(jint(ship, "x") + rnd(b, 2 * step + 1) - step, BOX_LO,
	    BOX_HI);
	*y = clampi(jint(ship, "y") + rnd(b, 2 * step + 1) - step, BOX_LO,
	    BOX_HI);
}

/* A fire list: every weapon with ammo at one target; NULL if none. */
static json_t *
pick_fire(struct battle *b, const json_t *state, const json_t *ship)
{
	const char *enemy = strcmp(jstr(ship, "side"), "crew") == 0 ?
	    "hostile" : "crew";
	int target = pick_target(b, state, enemy);
	json_t *fire, *w;
	size_t i;

	if (target == 0)
		return NULL;
	fire = json_array();
	json_array_foreach(json_object_get(ship, "weapons"), i, w) {
		json_t *ammo = json_object_get(w, "ammo");

		if (ammo != NULL && json_integer_value(ammo) <= 0)
			continue;
		json_array_append_new(fire, json_pack("{s:i, s:i}", "weapon",
		    (int)i, "target", target));
	}
	if (json_array_size(fire) == 0) {
		json_decref(fire);
		return NULL;
	}
	return fire;
}

/*
 * The host a bot's requests go to.  Over HTTP/2 its own alias: requests
 * share the connection of its stream.  Over HTTP/1.1 the --url's host:
 * one pool of keep-alive connections for all the bots' requests, so that
 * 10,000 streams need 10,000 connections and not twice as many.
 */
static const char *
req_alias(const struct client *c)
{
	return c->b->L->opt.http2 ? c->alias : NULL;
}

/* ---- actions (timers owned by a battle) ---------------------------- */

static int64_t action_run(struct loop *loop, void *arg);

static struct action *
action_add(struct battle *b, struct client *c, int kind, int64_t delay_ms,
    int round, int ship)
{
	struct action *a = xcalloc(1, sizeof(*a));

	a->b = b;
	a->c = c;
	a->kind = kind;
	a->round = round;
	a->ship = ship;
	a->next = b->actions;
	if (a->next != NULL)
		a->next->prev = &a->next;
	a->prev = &b->actions;
	b->actions = a;
	a->timer = loop_timer_add(b->L->loop, delay_ms, action_run, a);
	return a;
}

static void
action_free(struct action *a)
{
	*a->prev = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	free(a);
}

/* ---- orders and their visibility ----------------------------------- */

static struct pending *
pending_add(struct battle *b, int round, const char *key, int station)
{
	struct pending *p;

	if (b->npend == MAX_PENDING) {
		memmove(b->pend, b->pend + 1,
		    (MAX_PENDING - 1) * sizeof(b->pend[0]));
		b->npend--;
	}
	p = &b->pend[b->npend++];
	memset(p, 0, sizeof(*p));
	p->round = round;
	p->station = station;
	snprintf(p->key, sizeof(p->key), "%s", key);
	p->sent_us = loop_now_us(b->L->loop);
	return p;
}

/* Whether client c can see the order p in its view's orders. */
static int
can_see(const struct client *c, const struct pending *p)
{
	return c->bit == 0 || (c->bit > 0 && p->station >= 0);
}

static void
seen(struct client *c, struct pending *p)
{
	if (c->bit < 0 || (p->seen & (1u << c->bit)) || !can_see(c, p))
		return;
	p->seen |= 1u << c->bit;
	hist_add(&c->b->L->st.order_visible,
	    loop_now_us(c->b->L->loop) - p->sent_us);
}

/* After a snapshot or delta: orders of this round now in the view. */
static void
orders_in_view(struct client *c)
{
	json_t *orders = json_object_get(c->state, "orders");
	int round = jint(c->state, "round");
	struct battle *b = c->b;

	if (orders == NULL || c->bit < 0)
		return;
	for (int i = 0; i < b->npend; i++) {
		struct pending *p = &b->pend[i];
		json_t *o;

		if (p->round != round)
			continue;
		if (p->station >= 0)
			o = json_object_get(json_object_get(orders, "stations"),
			    p->key);
		else
			o = json_object_get(json_object_get(orders, "ships"),
			    p->key + 1);
		if (o != NULL && !json_is_null(o))
			seen(c, p);
	}
}

struct sent_order {
	struct sent_order *next, **prev;	/* the battle's, in flight */
	struct battle *b;
	json_t *order;
	char key[16];
};

static void
sent_order_free(struct sent_order *so)
{
	*so->prev = so->next;
	if (so->next != NULL)
		so->next->prev = so->prev;
	json_decref(so->order);
	free(so);
}

static void
order_answer(const struct reply *r, void *arg)
{
	struct sent_order *so = arg;
	struct battle *b = so->b;

	if (expect(b, r, 202, "order")) {
		json_array_append(b->acked, so->order);
		b->L->st.orders_acked++;
	} else {
		/* Never visible: no sample when its round resolves. */
		for (int i = 0; i < b->npend; i++)
			if (b->pend[i].round == jint(so->order, "round") &&
			    strcmp(b->pend[i].key, so->key) == 0)
				b->pend[i].seen = ~0u;
	}
	sent_order_free(so);
}

/* Posts an order (stolen) for client c; tracks it for visibility. */
static void
post_order(struct client *c, json_t *order, int station, int ship)
{
	struct battle *b = c->b;
	char key[16], path[96];
	struct sent_order *so;

	if (station >= 0)
		snprintf(key, sizeof(key), "%s", stations[station]);
	else
		snprintf(key, sizeof(key), "#%d", ship);
	so = xmalloc(sizeof(*so));
	pending_add(b, jint(order, "round"), key, station);
	snprintf(path, sizeof(path), "%s/orders", b->path);
	so->b = b;
	so->order = order;
	so->next = b->sent;
	if (so->next != NULL)
		so->next->prev = &so->next;
	so->prev = &b->sent;
	b->sent = so;
	snprintf(so->key, sizeof(so->key), "%s", key);
	net_request(b->L->net, req_alias(c), "POST", path, c->token,
	    json_incref(order), order_answer, so);
}

static void
player_order(struct client *c, int round)
{
	struct battle *b = c->b;
	const json_t *st = c->state;
	json_t *ship, *order, *fire;
	int id = 0, x, y, t;

	if (st == NULL || strcmp(jstr(st, "phase"), "planning") != 0 ||
	    jint(st, "round") != round ||
	    (ship = crewed_ship(st, &id)) == NULL || !operational(ship))
		return;
	order = json_pack("{s:i, s:s}", "round", round, "station",
	    stations[c->station]);
	switch (c->station) {
	case 0:
		json_object_set_new(order, "type", json_string("tactics"));
		break;
	case 1:
		if (rnd(b, 10) < 7) {
			pick_move(b, ship, &x, &y);
			json_object_set_new(order, "type", json_string("move"));
			json_object_set_new(order, "x", json_integer(x));
			json_object_set_new(order, "y", json_integer(y));
		} else
			json_object_set_new(order, "type", json_string("evade"));
		break;
	case 2:
		if ((fire = pick_fire(b, st, ship)) != NULL) {
			json_object_set_new(order, "type", json_string("fire"));
			json_object_set_new(order, "fire", fire);
		} else
			json_object_set_new(order, "type", json_string("hold"));
		break;
	case 3: {
		json_t *sys = json_object_get(ship, "systems");
		const char *damaged = NULL, *k;
		json_t *v;

		json_object_foreach(sys, k, v) {
			if (strcmp(json_string_value(v), "damaged") == 0)
				damaged = k;
		}
		if (damaged != NULL || jint(ship, "hull") < jint(ship,
		    "hull_max")) {
			json_object_set_new(order, "type", json_string("repair"));
			json_object_set_new(order, "system",
			    json_string(damaged != NULL ? damaged : "hull"));
		} else if (rnd(b, 10) < 3) {
			json_object_set_new(order, "type",
			    json_string("overcharge"));
			json_object_set_new(order, "system",
			    json_string("weapons"));
		} else
			json_object_set_new(order, "type", json_string("hold"));
		break;
	}
	default:
		t = pick_target(b, st, "hostile");
		if (t != 0 && rnd(b, 2)) {
			json_object_set_new(order, "type",
			    json_string(rnd(b, 2) ? "lock" : "jam"));
			json_object_set_new(order, "target", json_integer(t));
		} else
			json_object_set_new(order, "type", json_string("scan"));
		break;
	}
	post_order(c, order, c->station, 0);
}

static void
ship_order(struct client *gm, int round, int id)
{
	struct battle *b = gm->b;
	const json_t *st = gm->state;
	json_t *ship = ship_of(st, id), *order, *fire;
	int x, y;

	if (st == NULL || strcmp(jstr(st, "phase"), "planning") != 0 ||
	    jint(st, "round") != round || !operational(ship))
		return;
	order = json_pack("{s:i, s:i}", "round", round, "ship", id);
	if (rnd(b, 10) < 7) {
		pick_move(b, ship, &x, &y);
		json_object_set_new(order, "move", json_pack("{s:i, s:i}", "x",
		    x, "y", y));
	} else
		json_object_set_new(order, "evade", json_true());
	if ((fire = pick_fire(b, st, ship)) != NULL)
		json_object_set_new(order, "fire", fire);
	post_order(gm, order, -1, id);
}

static void
edit_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	expect(b, r, 200, "GM edit");
}

static void
narration_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (expect(b, r, 200, "narration"))
		b->narrations_acked++;
}

/* One step of a drag: the GM moves a ship a few units (debounced). */
static void
drag_step(struct action *a)
{
	struct battle *b = a->b;
	json_t *ship = ship_of(a->c->state, a->ship);
	char path[96];

	if (!operational(ship) || b->ending ||
	    strcmp(jstr(a->c->state, "phase"), "planning") != 0)
		return;
	snprintf(path, sizeof(path), "%s/ships/%d", b->path, a->ship);
	net_request(b->L->net, req_alias(a->c), "PATCH", path, a->c->token,
	    json_pack("{s:i, s:i}", "x", clampi(jint(ship, "x") + a->dx,
	    BOX_LO, BOX_HI), "y", clampi(jint(ship, "y") + a->dy, BOX_LO,
	    BOX_HI)), edit_answer, b);
}

static void
narrate(struct action *a)
{
	struct battle *b = a->b;
	char path[96], text[96];

	snprintf(path, sizeof(path), "%s/narration", b->path);
	/* Numbered: a narration told twice shows in the final check. */
	snprintf(text, sizeof(text), "Round %d: the plot thickens (%d, #%d).",
	    a->round, rnd(b, 1000), ++b->narrations_sent);
	net_request(b->L->net, req_alias(a->c), "POST", path, a->c->token,
	    json_pack("{s:s}", "text", text), narration_answer, b);
}

static void join(struct client *c);

static int64_t
action_run(struct loop *loop, void *arg)
{
	struct action *a = arg;

	(void)loop;
	if (!a->b->done) {
		switch (a->kind) {
		case ACT_ORDER:
			player_order(a->c, a->round);
			break;
		case ACT_SHIP_ORDER:
			ship_order(a->c, a->round, a->ship);
			break;
		case ACT_DRAG:
			drag_step(a);
			if (++a->step < 5)
				return 20;
			break;
		case ACT_JOIN:
			join(a->c);
			break;
		default:
			narrate(a);
			break;
		}
	}
	action_free(a);
	return LOOP_TIMER_STOP;
}

/* The GM at the start of a round: play the NPCs. */
static void
gm_round(struct client *gm, int round)
{
	struct battle *b = gm->b;
	int think = b->L->opt.think_ms, drag = 0, n = 0;
	const char *key;
	json_t *s;

	json_object_foreach(json_object_get(gm->state, "ships"), key, s) {
		if (json_is_true(json_object_get(s, "crewed")) ||
		    !operational(s))
			continue;
		action_add(b, gm, ACT_SHIP_ORDER, rnd(b, think + 1), round,
		    atoi(key));
		if (rnd(b, ++n) == 0)
			drag = atoi(key);
	}
	if (drag != 0 && rnd(b, 2)) {
		struct action *a = action_add(b, gm, ACT_DRAG,
		    rnd(b, think + 1), round, drag);

		a->dx = rnd(b, 9) - 4;
		a->dy = rnd(b, 9) - 4;
	}
	if (rnd(b, 2))
		action_add(b, gm, ACT_NARRATE, rnd(b, think + 1), round, 0);
}

/* ---- the end: convergence and the log ------------------------------ */

static void battle_finish(struct battle *b);
static void battle_fail(struct battle *b);
static void end_answer(const struct reply *r, void *arg);

/*
 * Whether the battle is to end at the start of this round; every bot
 * asks, so that none orders for a round the GM is ending.
 */
static int
run_over(struct battle *b, int round)
{
	struct load *L = b->L;

	return (L->opt.rounds > 0 && round > L->opt.rounds) ||
	    (L->opt.duration_s > 0 && loop_now_us(L->loop) - L->start_us >=
	    (uint64_t)(L->opt.duration_s * 1e6)) || L->stopping;
}

static void
battle_end(struct battle *b)
{
	char path[96];

	b->ending = 1;
	snprintf(path, sizeof(path), "%s/end", b->path);
	net_request(b->L->check, NULL, "POST", path, b->clients[0].token,
	    NULL, end_answer, b);
}
static void client_check(struct client *c);

static void
end_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (r->status == 409 && strcmp(problem_slug(r), "battle-ended") == 0)
		return;		/* it had ended by itself */
	expect(b, r, 200, "end the battle");
}

static int64_t
check_fired(struct loop *loop, void *arg)
{
	struct client *c = arg;

	(void)loop;
	c->check_timer = NULL;
	client_check(c);
	return LOOP_TIMER_STOP;
}

static void
check_later(struct client *c, int64_t ms)
{
	if (c->converged || c->b->done)
		return;
	if (c->check_timer != NULL)
		loop_timer_reset(c->check_timer, ms);
	else
		c->check_timer = loop_timer_add(c->b->L->loop, ms, check_fired,
		    c);
}

/* The client's final check is over: equal to GET (same) or not. */
static void
client_converged(struct client *c, int same)
{
	struct battle *b = c->b;

	c->converged = 1;
	if (same)
		b->L->st.clients_converged++;
	for (int i = 0; i < b->nclients; i++)
		if (!b->clients[i].converged)
			return;
	battle_finish(b);
}

/*
 * The GM's final view holds each ship and player once: the crewed ship
 * and --ships GM ships, --players players (a retried add or join that
 * made a second one shows here).
 */
static void
check_members(struct battle *b, const json_t *doc)
{
	size_t ships = json_object_size(json_object_get(doc, "ships"));
	size_t players = json_object_size(json_object_get(doc, "players"));

	if (ships > (size_t)b->L->opt.ships + 1)
		load_error(b->L, ERR_DUPLICATED, "battle %d: %zu ships, %d "
		    "added", b->index, ships, b->L->opt.ships + 1);
	if (players > (size_t)b->L->opt.players)
		load_error(b->L, ERR_DUPLICATED, "battle %d: %zu players, %d "
		    "joined", b->index, players, b->L->opt.players);
}

static void
check_answer(const struct reply *r, void *arg)
{
	struct client *c = arg;
	struct battle *b = c->b;

	c->checking = 0;
	if (b->done || c->converged)
		return;
	if (r->status == 200 && r->json != NULL && c->state != NULL &&
	    json_equal(c->state, r->json)) {
		if (c->role == ROLE_GM)
			check_members(b, r->json);
		client_converged(c, 1);
		return;
	}
	if (++c->check_tries < CHECK_TRIES) {
		check_later(c, 500);
		return;
	}
	if (r->status != 200) {
		expect(b, r, 200, "GET the battle for the final check");
	} else {
		json_t *diff = c->state != NULL ?
		    patch_diff(r->json, c->state) : NULL;
		char *d = diff != NULL ? json_dumps(diff, JSON_COMPACT) : NULL;

		load_error(b->L, ERR_DIVERGED, "battle %d, client %s: its view "
		    "differs from GET; patch from GET to the view: %.300s",
		    b->index, c->alias, d != NULL ? d : "(no view)");
		free(d);
		json_decref(diff);
	}
	client_converged(c, 0);
}

static void
client_check(struct client *c)
{
	struct battle *b = c->b;

	if (c->converged || b->done || c->checking)
		return;
	c->checking = 1;
	net_request(b->L->check, NULL, "GET", b->path, c->token, NULL,
	    check_answer, c);
}

/* The entries of the log of one round, for the acknowledged orders. */
static int
log_has(const json_t *log, int round, const char *kind, int actor,
    int weapon)
{
	size_t i;
	json_t *e;

	json_array_foreach(log, i, e) {
		if (jint(e, "round") != round)
			continue;
		if (strcmp(jstr(e, "kind"), "no_fire") == 0 &&
		    jint(e, "actor") == actor &&
		    strcmp(jstr(e, "reason"), "destroyed") == 0 &&
		    strcmp(kind, "fire") == 0)
			return 1;
		if (strcmp(kind, "fire") == 0) {
			if ((strcmp(jstr(e, "kind"), "attack") == 0 ||
			    strcmp(jstr(e, "kind"), "no_fire") == 0) &&
			    jint(e, "actor") == actor &&
			    jint(e, "weapon") == weapon)
				return 1;
		} else if (strcmp(kind, "move") == 0 ||
		    strcmp(kind, "evade") == 0) {
			size_t j;
			json_t *m;

			if (strcmp(jstr(e, "kind"), "movement") != 0)
				continue;
			json_array_foreach(json_object_get(e, "moves"), j, m) {
				if (jint(m, "ship") == actor &&
				    json_is_true(json_object_get(m, "evade")) ==
				    (strcmp(kind, "evade") == 0))
					return 1;
			}
		} else if (strcmp(kind, "tactics") == 0) {
			size_t j, k;
			json_t *s, *mod;

			if (strcmp(jstr(e, "kind"), "initiative") != 0)
				continue;
			json_array_foreach(json_object_get(e, "ships"), j, s) {
				if (jint(s, "ship") != actor)
					continue;
				json_array_foreach(json_object_get(s,
				    "modifiers"), k, mod)
					if (strcmp(jstr(mod, "name"),
					    "tactics") == 0)
						return 1;
			}
		} else if (strcmp(jstr(e, "kind"), kind) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether ship id was destroyed in that round: engineering comes after
 * the fire, and a wreck does no repairs (the order then leaves no entry).
 */
static int
destroyed_in(const json_t *log, int round, int id)
{
	size_t i;
	json_t *e;

	json_array_foreach(log, i, e) {
		if (jint(e, "round") == round &&
		    strcmp(jstr(e, "kind"), "attack") == 0 &&
		    jint(e, "target") == id &&
		    json_is_true(json_object_get(e, "destroyed")))
			return 1;
	}
	return 0;
}

static int
fire_in_log(const json_t *log, int round, const json_t *fire, int actor)
{
	size_t i;
	json_t *f;

	json_array_foreach(fire, i, f) {
		if (!log_has(log, round, "fire", actor, jint(f, "weapon")))
			return 0;
	}
	return 1;
}

/*
 * Every narration the GM told is numbered: none may be in the log twice
 * (a retry made it again), and every acknowledged one must be there.
 */
static void
check_narrations(struct battle *b)
{
	json_t *seen = json_object(), *o;
	int told = 0;
	size_t i;

	json_array_foreach(b->log, i, o) {
		const char *text = jstr(o, "narration");

		if (strcmp(jstr(o, "kind"), "narration") != 0)
			continue;
		told++;
		if (json_object_get(seen, text) != NULL)
			load_error(b->L, ERR_DUPLICATED, "battle %d: the "
			    "narration '%s' is in the log twice", b->index,
			    text);
		json_object_set_new(seen, text, json_true());
	}
	if (told < b->narrations_acked)
		load_error(b->L, ERR_LOST, "battle %d: %d narrations "
		    "acknowledged, %d in the log", b->index,
		    b->narrations_acked, told);
	b->L->st.narrations_checked += (uint64_t)told;
	json_decref(seen);
}

static void
check_orders(struct battle *b)
{
	struct load *L = b->L;
	int crewed = 1, ok;	/* the crewed ship is the battle's first */
	size_t i;
	json_t *o;

	json_array_foreach(b->log, i, o)
		if (strcmp(jstr(o, "kind"), "initiative") == 0)
			L->st.rounds_resolved++;
	check_narrations(b);
	json_array_foreach(b->acked, i, o) {
		int round = jint(o, "round"), ship = jint(o, "ship");
		const char *type = jstr(o, "type");

		if (!log_has(b->log, round, "initiative", 0, 0))
			continue;	/* ended before this round resolved */
		L->st.orders_checked++;
		if (ship != 0) {
			ok = (json_object_get(o, "move") == NULL ||
			    log_has(b->log, round, "move", ship, 0)) &&
			    (!json_is_true(json_object_get(o, "evade")) ||
			    log_has(b->log, round, "evade", ship, 0)) &&
			    fire_in_log(b->log, round,
			    json_object_get(o, "fire"), ship);
		} else if (strcmp(type, "hold") == 0)
			ok = 1;
		else if (strcmp(type, "fire") == 0)
			ok = fire_in_log(b->log, round,
			    json_object_get(o, "fire"), crewed);
		else
			ok = log_has(b->log, round, type, crewed, 0) ||
			    ((strcmp(type, "repair") == 0 ||
			    strcmp(type, "overcharge") == 0) &&
			    destroyed_in(b->log, round, crewed));
		if (!ok) {
			char *d = json_dumps(o, JSON_COMPACT);

			load_error(L, ERR_LOST, "battle %d: the acknowledged "
			    "order %s is not in the log of round %d", b->index,
			    d, round);
			free(d);
		}
	}
}

static void log_page(struct battle *b);

static void
deleted(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	expect(b, r, 204, "delete the battle");
	b->reading_log = 0;
	battle_finish(b);
}

static void
log_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;
	json_t *entries;

	if (!expect(b, r, 200, "GET the log")) {
		b->reading_log = 0;
		b->failed = 1;
		battle_finish(b);
		return;
	}
	entries = json_object_get(r->json, "entries");
	json_array_extend(b->log, entries);
	b->log_after = jint(r->json, "next");
	if (json_is_true(json_object_get(r->json, "more"))) {
		log_page(b);
		return;
	}
	check_orders(b);
	b->log_checked = 1;
	if (b->L->opt.keep) {
		b->reading_log = 0;
		battle_finish(b);
		return;
	}
	/* Leave the server as it was: delete the battle. */
	net_request(b->L->check, NULL, "DELETE", b->path,
	    b->clients[0].token, NULL, deleted, b);
}

static void
log_page(struct battle *b)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/log?after=%d&limit=1000", b->path,
	    b->log_after);
	net_request(b->L->check, NULL, "GET", path, b->clients[0].token, NULL,
	    log_answer, b);
}

static void
battle_close(struct battle *b)
{
	for (int i = 0; i < b->nclients; i++) {
		struct client *c = &b->clients[i];

		if (c->stream != NULL) {
			net_stream_close(c->stream);
			if (c->opened)
				b->L->st.streams_open--;
			c->stream = NULL;
		}
		loop_timer_cancel(c->retry_timer);
		loop_timer_cancel(c->check_timer);
		c->retry_timer = c->check_timer = NULL;
	}
	while (b->actions != NULL) {
		loop_timer_cancel(b->actions->timer);
		action_free(b->actions);
	}
}

/* Every client has converged (or failed): check the log, then done. */
static struct battle *battle_new(struct load *L, int i, int gen);

static void
battle_finish(struct battle *b)
{
	struct load *L = b->L;

	if (b->done || b->reading_log)
		return;
	if (!b->failed && !b->log_checked) {
		b->reading_log = 1;
		b->log = json_array();
		log_page(b);
		return;
	}
	b->done = 1;
	battle_close(b);
	L->st.battles_done++;
	/*
	 * With --duration a battle that is over (by its rounds, or because
	 * a side was destroyed) gives its slot to a new one: a soak creates,
	 * plays, ends and deletes battles all along.
	 */
	if (L->opt.duration_s > 0 && !L->stopping && loop_now_us(L->loop) -
	    L->start_us < (uint64_t)(L->opt.duration_s * 1e6)) {
		b->retired_next = retired;
		retired = b;
		L->battles[b->index] = battle_new(L, b->index,
		    b->generation + 1);
		return;
	}
	L->slots_done++;
	load_battle_done(L);
}

static void
battle_fail(struct battle *b)
{
	b->failed = 1;
	battle_finish(b);
}

/* ---- event streams ------------------------------------------------- */


static void stream_start(struct client *c);

static void
client_after_event(struct client *c)
{
	struct battle *b = c->b;
	const json_t *st = c->state;
	const char *phase;
	int round;

	if (st == NULL)
		return;
	phase = jstr(st, "phase");
	round = jint(st, "round");
	/* Resolution -> log: the next round's deadline dates the resolution. */
	if (c->log_round > c->latency_round && round == c->log_round + 1 &&
	    json_integer_value(json_object_get(st, "deadline")) > 0) {
		int64_t res = json_integer_value(json_object_get(st,
		    "deadline")) * 1000 - (int64_t)jint(st, "round_seconds") *
		    1000000;
		int64_t lat = (int64_t)c->log_wall_us - res;

		hist_add(&b->L->st.resolution_log, lat > 0 ? (uint64_t)lat : 0);
		c->latency_round = c->log_round;
	}
	if (!b->started && c->role == ROLE_GM && strcmp(phase, "lobby") != 0)
		b->started = 1;
	if (b->started && !b->ending && strcmp(phase, "planning") == 0 &&
	    round > b->round_seen) {
		b->round_seen = round;
		if (run_over(b, round))
			battle_end(b);
	}
	if (strcmp(phase, "planning") == 0 && round > c->planned_round &&
	    b->started && !b->ending) {
		c->planned_round = round;
		if (c->role == ROLE_GM)
			gm_round(c, round);
		else if (c->role == ROLE_PLAYER && c->station >= 0)
			action_add(b, c, ACT_ORDER,
			    rnd(b, b->L->opt.think_ms + 1), round, 0);
	}
	if (strcmp(phase, "ended") == 0 && c->opened)
		check_later(c, CHECK_QUIET_MS);
}

static void start_battle(struct battle *b);

/*
 * Parses an event's data.  Every bot of a view gets the same bytes for
 * an event id, so the bots of a battle share the parse: a browser parses
 * its own, but one process playing thousands would spend its time here.
 */
static json_t *
parse_event(struct client *c, const char *type, const char *id,
    const char *data, size_t len)
{
	struct battle *b = c->b;
	struct parsed *p;
	json_t *j;

	if (id[0] == '\0')
		return json_loadb(data, len, 0, NULL);
	for (int i = 0; i < PARSED; i++) {
		p = &b->parsed[c->role][i];
		if (p->data != NULL && strcmp(p->id, id) == 0 &&
		    strcmp(p->type, type) == 0)
			return json_incref(p->data);
	}
	j = json_loadb(data, len, 0, NULL);
	p = &b->parsed[c->role][b->parsed_next[c->role]++ % PARSED];
	if (j != NULL && strlen(id) < sizeof(p->id) &&
	    strlen(type) < sizeof(p->type)) {
		json_decref(p->data);
		p->data = json_incref(j);
		snprintf(p->id, sizeof(p->id), "%s", id);
		snprintf(p->type, sizeof(p->type), "%s", type);
	}
	return j;
}

static void
stream_event(void *arg, const char *type, const char *id, const char *data,
    size_t len)
{
	struct client *c = arg;
	struct battle *b = c->b;
	struct load *L = b->L;
	enum event_kind k;
	json_t *j;

	for (k = 0; k < EV_OTHER; k++)
		if (strcmp(type, load_event_names[k]) == 0)
			break;
	L->st.events[k]++;
	if (k == EV_OTHER)
		return;
	j = parse_event(c, type, id, data, len);
	if (j == NULL) {
		load_error(L, ERR_EVENT, "battle %d: a %s event that is not "
		    "JSON", b->index, type);
		return;
	}
	if (id[0] != '\0') {
		if (c->awaiting_first) {
			c->awaiting_first = 0;
			if (k == EV_SNAPSHOT)
				L->st.snapshot_resends++;
			else
				L->st.replays++;
		}
		snprintf(c->last_id, sizeof(c->last_id), "%s", id);
	}
	switch (k) {
	case EV_SNAPSHOT:
		json_decref(c->state);
		c->state = json_deep_copy(j);
		/* The server's clock, not part of the battle. */
		json_object_del(c->state, "now");
		orders_in_view(c);
		if (!c->synced) {
			c->synced = 1;
			if (++b->ready == b->nclients)
				start_battle(b);
		}
		break;
	case EV_DELTA:
		if (c->state == NULL) {
			load_error(L, ERR_EVENT, "battle %d: a delta before any "
			    "snapshot", b->index);
			break;
		}
		if (json_is_object(j))
			patch_merge(c->state, j);
		else {
			json_decref(c->state);
			c->state = json_deep_copy(j);
		}
		if (json_object_get(j, "orders") != NULL)
			orders_in_view(c);
		break;
	case EV_LOG: {
		size_t i;
		json_t *e;

		json_array_foreach(json_object_get(j, "entries"), i, e) {
			int r = jint(e, "round");

			if (strcmp(jstr(e, "kind"), "initiative") != 0)
				continue;
			c->log_round = r;
			c->log_wall_us = wall_us();
			for (int p = 0; p < b->npend; p++)
				if (b->pend[p].round == r)
					seen(c, &b->pend[p]);
		}
		break;
	}
	case EV_ACCEPTED: {
		const char *station = jstr(j, "station");
		char key[16];

		if (station[0] != '\0')
			snprintf(key, sizeof(key), "%s", station);
		else
			snprintf(key, sizeof(key), "#%d", jint(j, "ship"));
		for (int p = 0; p < b->npend; p++)
			if (b->pend[p].round == jint(j, "round") &&
			    strcmp(b->pend[p].key, key) == 0)
				seen(c, &b->pend[p]);
		break;
	}
	default:
		break;
	}
	json_decref(j);
	client_after_event(c);
}

static void
stream_open(void *arg, long status)
{
	struct client *c = arg;
	struct load *L = c->b->L;

	if (status != 200) {
		load_error(L, ERR_STREAM, "battle %d, client %s: the event "
		    "stream answered %ld", c->b->index, c->alias, status);
		return;
	}
	c->opened = 1;
	if (++L->st.streams_open > L->st.streams_open_max)
		L->st.streams_open_max = L->st.streams_open;
	if (c->storm) {
		c->storm = 0;
		hist_add(&L->st.storm, loop_now_us(L->loop) - c->drop_us);
	}
}

static int64_t
retry_fired(struct loop *loop, void *arg)
{
	struct client *c = arg;

	(void)loop;
	c->retry_timer = NULL;
	c->b->L->st.reconnects++;
	c->awaiting_first = c->last_id[0] != '\0';
	stream_start(c);
	return LOOP_TIMER_STOP;
}

static void
reconnect_later(struct client *c)
{
	long ms = net_stats(c->b->L->net)->retry_ms;

	if (ms < 0)
		ms = DEFAULT_RETRY_MS;
	c->retry_timer = loop_timer_add(c->b->L->loop, ms, retry_fired, c);
}

static void
stream_closed(void *arg, CURLcode rc, long status)
{
	struct client *c = arg;
	struct load *L = c->b->L;

	c->stream = NULL;
	if (c->opened) {
		L->st.streams_open--;
		c->opened = 0;
	}
	if (c->b->done || c->converged)
		return;
	if (rc != CURLE_OK && rc != CURLE_PARTIAL_FILE &&
	    rc != CURLE_RECV_ERROR && rc != CURLE_GOT_NOTHING)
		load_error(L, ERR_STREAM, "battle %d, client %s: the event "
		    "stream ended: %s", c->b->index, c->alias,
		    curl_easy_strerror(rc));
	(void)status;
	reconnect_later(c);
}

static const struct stream_ops stream_ops = {
	stream_event, stream_open, stream_closed
};

static void
stream_start(struct client *c)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/events", c->b->path);
	c->opened = 0;
	c->stream = net_stream(c->b->L->net, c->alias, path, c->token,
	    c->last_id, &stream_ops, c);
}

/* First streams go out at --connect-rate; reconnections do not wait. */
static int64_t
openq_run(struct loop *loop, void *arg)
{
	static double credit;
	struct load *L = arg;
	int n;

	(void)loop;
	credit += L->opt.connect_rate / 100.0;
	n = (int)credit;
	credit -= n;
	while (n-- > 0 && openq_head < openq_len)
		stream_start(openq[openq_head++]);
	if (openq_head < openq_len)
		return 10;
	openq_head = openq_len = 0;
	openq_timer = NULL;
	return LOOP_TIMER_STOP;
}

static void
stream_queue(struct client *c)
{
	if (openq_len == openq_cap) {
		openq_cap = openq_cap ? openq_cap * 2 : 1024;
		openq = xreallocarray(openq, openq_cap, sizeof(*openq));
	}
	openq[openq_len++] = c;
	if (openq_timer == NULL)
		openq_timer = loop_timer_add(c->b->L->loop, 0, openq_run,
		    c->b->L);
}

void
bots_sweep_stalled(struct load *L, uint64_t idle_us)
{
	uint64_t now = loop_now_us(L->loop);

	for (int i = 0; i < L->opt.battles; i++) {
		struct battle *b = L->battles[i];

		for (int j = 0; j < b->nclients && !b->done; j++) {
			struct client *c = &b->clients[j];

			if (c->stream == NULL ||
			    now - net_stream_last_rx(c->stream) < idle_us)
				continue;
			load_error(L, ERR_STREAM, "battle %d, client %s: the "
			    "event stream was silent for %llu s: reconnecting",
			    i, c->alias, (unsigned long long)(idle_us / 1000000));
			net_stream_close(c->stream);
			c->stream = NULL;
			if (c->opened)
				L->st.streams_open--;
			c->opened = 0;
			reconnect_later(c);
		}
	}
}

void
bots_drop_all(struct load *L)
{
	uint64_t now = loop_now_us(L->loop);

	for (int i = 0; i < L->opt.battles; i++) {
		struct battle *b = L->battles[i];

		for (int j = 0; j < b->nclients && !b->done; j++) {
			struct client *c = &b->clients[j];

			if (c->stream == NULL || !c->opened)
				continue;
			net_stream_close(c->stream);
			c->stream = NULL;
			c->opened = 0;
			L->st.streams_open--;
			c->storm = 1;
			c->drop_us = now;
			reconnect_later(c);
		}
	}
}

/* ---- set-up -------------------------------------------------------- */

static void
start_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (!expect(b, r, 200, "start the battle"))
		battle_fail(b);
}

static void
start_battle(struct battle *b)
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

	if (!expect(c->b, r, 200, "take a station")) {
		battle_fail(c->b);
		return;
	}
	stream_queue(c);
}

static void
join_answer(const struct reply *r, void *arg)
{
	struct client *c = arg;
	char path[96];

	/* Joins count against the address's rate: wait, as a client should. */
	if (r->status == 429) {
		c->b->L->st.throttled++;
		action_add(c->b, c, ACT_JOIN, 1000 + rnd(c->b, 500), 0, 0);
		return;
	}
	if (!expect(c->b, r, 201, "join")) {
		battle_fail(c->b);
		return;
	}
	snprintf(c->token, sizeof(c->token), "%s", jstr(r->json, "token"));
	if (c->role == ROLE_SPECTATOR) {
		stream_queue(c);
		return;
	}
	snprintf(path, sizeof(path), "%s/stations/%s", c->b->path,
	    stations[c->station]);
	net_request(c->b->L->check, NULL, "PUT", path, c->token, NULL,
	    station_answer, c);
}

static void
join(struct client *c)
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
	stream_queue(&b->clients[0]);
	for (int i = 1; i < b->nclients; i++)
		join(&b->clients[i]);
}

static void add_ship(struct battle *b);

static void
ship_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (!expect(b, r, 201, "add a ship")) {
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
		    "hostile", "name", name, "x", BOX_LO + rnd(b, BOX_HI -
		    BOX_LO + 1), "y", BOX_LO + rnd(b, BOX_HI - BOX_LO + 1),
		    "hull_max", 300, "hull", 300);
	}
	net_request(b->L->check, NULL, "POST", path, b->clients[0].token,
	    spec, ship_answer, b);
}

static void
created(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (!expect(b, r, 201, "create a battle")) {
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

static void
create(struct client *gm)
{
	struct battle *b = gm->b;
	char name[64];

	snprintf(name, sizeof(name), "Load battle %d", b->index);
	net_request(b->L->check, NULL, "POST", "/v1/battles", NULL,
	    json_pack("{s:s, s:i}", "name", name, "round_seconds",
	    b->L->opt.round_seconds), created, b);
}

/* A battle for slot i of the run; gen counts the battles of the slot. */
static struct battle *
battle_new(struct load *L, int i, int gen)
{
	const struct load_options *o = &L->opt;
	struct battle *b = xcalloc(1, sizeof(*b));

	b->L = L;
	b->index = i;
	b->generation = gen;
	b->rng = o->seed ^ (0x5851f42d4c957f2dull * (uint64_t)(i + 1)) ^
	    (0x9e3779b97f4a7c15ull * (uint64_t)gen);
	b->nclients = 1 + o->players + o->spectators;
	b->clients = xcalloc((size_t)b->nclients, sizeof(*b->clients));
	b->acked = json_array();
	for (int j = 0; j < b->nclients; j++) {
		struct client *c = &b->clients[j];

		c->b = b;
		c->role = j == 0 ? ROLE_GM : j <= o->players ? ROLE_PLAYER :
		    ROLE_SPECTATOR;
		c->bit = c->role == ROLE_SPECTATOR ? -1 : j;
		c->station = c->role == ROLE_PLAYER ? j - 1 : -1;
		if (gen == 0)
			snprintf(c->alias, sizeof(c->alias), "b%dc%d.load", i,
			    j);
		else
			snprintf(c->alias, sizeof(c->alias), "b%dg%dc%d.load",
			    i, gen, j);
	}
	create(&b->clients[0]);
	return b;
}

void
bots_start(struct load *L)
{
	L->battles = xcalloc((size_t)L->opt.battles, sizeof(*L->battles));
	for (int i = 0; i < L->opt.battles; i++)
		L->battles[i] = battle_new(L, i, 0);
}

void
bots_timeout(struct load *L)
{
	for (int i = 0; i < L->opt.battles; i++) {
		struct battle *b = L->battles[i];
		int waiting = 0;

		if (b->done)
			continue;
		for (int j = 0; j < b->nclients; j++)
			waiting += !b->clients[j].converged;
		load_error(L, ERR_TIMEOUT, "battle %d (%s): not finished in "
		    "time: %d of %d clients had not converged, phase %s",
		    i, b->id, waiting, b->nclients,
		    jstr(b->clients[0].state, "phase"));
		b->done = 1;
		battle_close(b);
		L->st.battles_done++;
		L->slots_done++;
	}
	load_battle_done(L);
}

static void
battle_free(struct battle *b)
{
	battle_close(b);
	while (b->sent != NULL)
		sent_order_free(b->sent);
	for (int j = 0; j < b->nclients; j++)
		json_decref(b->clients[j].state);
	free(b->clients);
	json_decref(b->acked);
	json_decref(b->log);
	for (int k = 0; k < 3; k++)
		for (int m = 0; m < PARSED; m++)
			json_decref(b->parsed[k][m].data);
	free(b);
}

void
bots_free(struct load *L)
{
	for (int i = 0; L->battles != NULL && i < L->opt.battles; i++)
		battle_free(L->battles[i]);
	free(L->battles);
	while (retired != NULL) {
		struct battle *b = retired;

		retired = b->retired_next;
		battle_free(b);
	}
	loop_timer_cancel(openq_timer);
	openq_timer = NULL;
	free(openq);
	openq = NULL;
}
