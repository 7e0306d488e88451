/*
 * broadside-load(1)'s play: what each bot does when a round opens in its
 * view.  Players order for their station from what their view shows; the
 * GM orders for the NPC ships, drags one in a burst of small edits and
 * narrates.  Each order is tracked until every view that can see it has
 * (order -> visible), and kept for the log check once it got a 202.  The
 * GM ends the battle at the first round past --rounds or --duration.
 * All of this goes to --url (the players' network, through any fault
 * proxy) but the end, which goes to --check-url.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bots.h"
#include "loop.h"
#include "net.h"

#define CHECK_QUIET_MS 300	/* an ended view's last events, then GET */

/* A bot's deferred action (an order, a drag step, a narration, a join). */
struct action {
	struct action *next, **prev;
	struct battle *b;
	struct client *c;
	struct loop_timer *timer;
	int kind, round, ship, step, dx, dy;
};

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
	return n > 0 ? ids[battle_rnd(b, n)] : 0;
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
	*x = clampi(jint(ship, "x") + battle_rnd(b, 2 * step + 1) - step,
	    BOX_LO, BOX_HI);
	*y = clampi(jint(ship, "y") + battle_rnd(b, 2 * step + 1) - step,
	    BOX_LO, BOX_HI);
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

void
play_later(struct battle *b, struct client *c, int kind, int64_t delay_ms,
    int round, int ship)
{
	action_add(b, c, kind, delay_ms, round, ship);
}

void
play_cancel(struct battle *b)
{
	while (b->actions != NULL) {
		loop_timer_cancel(b->actions->timer);
		action_free(b->actions);
	}
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

void
play_seen(struct client *c, struct pending *p)
{
	if (c->bit < 0 || (p->seen & (1u << c->bit)) || !can_see(c, p))
		return;
	p->seen |= 1u << c->bit;
	hist_add(&c->b->L->st.order_visible,
	    loop_now_us(c->b->L->loop) - p->sent_us);
}

void
play_orders_in_view(struct client *c)
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
			play_seen(c, p);
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

void
play_forget_orders(struct battle *b)
{
	while (b->sent != NULL)
		sent_order_free(b->sent);
}

static void
order_answer(const struct reply *r, void *arg)
{
	struct sent_order *so = arg;
	struct battle *b = so->b;

	if (battle_expect_play(b, r, 202, "order")) {
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
		snprintf(key, sizeof(key), "%s", battle_stations[station]);
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
	    battle_stations[c->station]);
	switch (c->station) {
	case 0:
		json_object_set_new(order, "type", json_string("tactics"));
		break;
	case 1:
		if (battle_rnd(b, 10) < 7) {
			pick_move(b, ship, &x, &y);
			json_object_set_new(order, "type", json_string("move"));
			json_object_set_new(order, "x", json_integer(x));
			json_object_set_new(order, "y", json_integer(y));
		} else
			json_object_set_new(order, "type",
			    json_string("evade"));
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
			json_object_set_new(order, "type",
			    json_string("repair"));
			json_object_set_new(order, "system",
			    json_string(damaged != NULL ? damaged : "hull"));
		} else if (battle_rnd(b, 10) < 3) {
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
		if (t != 0 && battle_rnd(b, 2)) {
			json_object_set_new(order, "type",
			    json_string(battle_rnd(b, 2) ? "lock" : "jam"));
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
	if (battle_rnd(b, 10) < 7) {
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

	battle_expect_gm(b, r, 200, "GM edit");
}

static void
narration_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (battle_expect_gm(b, r, 200, "narration"))
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
	    a->round, battle_rnd(b, 1000), ++b->narrations_sent);
	net_request(b->L->net, req_alias(a->c), "POST", path, a->c->token,
	    json_pack("{s:s}", "text", text), narration_answer, b);
}

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
			setup_join(a->c);
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
		action_add(b, gm, ACT_SHIP_ORDER, battle_rnd(b, think + 1),
		    round, atoi(key));
		if (battle_rnd(b, ++n) == 0)
			drag = atoi(key);
	}
	if (drag != 0 && battle_rnd(b, 2)) {
		struct action *a = action_add(b, gm, ACT_DRAG,
		    battle_rnd(b, think + 1), round, drag);

		a->dx = battle_rnd(b, 9) - 4;
		a->dy = battle_rnd(b, 9) - 4;
	}
	if (battle_rnd(b, 2))
		action_add(b, gm, ACT_NARRATE, battle_rnd(b, think + 1), round,
		    0);
}

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
end_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	if (r->status == 409 && strcmp(reply_problem(r), "battle-ended") == 0)
		return;		/* it had ended by itself */
	battle_expect(b, r, 200, "end the battle");
}

/* The GM ends the battle (through --check-url: the harness). */
static void
battle_end(struct battle *b)
{
	char path[96];

	b->ending = 1;
	snprintf(path, sizeof(path), "%s/end", b->path);
	net_request(b->L->check, NULL, "POST", path, b->clients[0].token,
	    NULL, end_answer, b);
}

void
play_after_event(struct client *c)
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
			    battle_rnd(b, b->L->opt.think_ms + 1), round, 0);
	}
	if (strcmp(phase, "ended") == 0 && c->opened)
		checks_later(c, CHECK_QUIET_MS);
}
