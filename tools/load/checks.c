/*
 * broadside-load(1)'s final checks, through --check-url.  Once a battle
 * has ended, every bot's view must equal GET /v1/battles/{id} for its
 * token (a few tries, as the last events may still be on their way), and
 * the GM's must hold each ship and player once.  Then the battle's log
 * must hold every order that got a 202 and every narration that was
 * acknowledged, none twice; the battle is deleted unless --keep.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots.h"
#include "loop.h"
#include "net.h"
#include "patch.h"

#define CHECK_TRIES 8

static void client_check(struct client *c);

static int64_t
check_fired(struct loop *loop, void *arg)
{
	struct client *c = arg;

	(void)loop;
	c->check_timer = NULL;
	client_check(c);
	return LOOP_TIMER_STOP;
}

void
checks_later(struct client *c, int64_t ms)
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
		checks_later(c, 500);
		return;
	}
	if (r->status != 200) {
		battle_expect(b, r, 200, "GET the battle for the final check");
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
static void kept_hash(const struct reply *r, void *arg);

static void
deleted(const struct reply *r, void *arg)
{
	struct battle *b = arg;

	battle_expect(b, r, 204, "delete the battle");
	b->reading_log = 0;
	battle_finish(b);
}

static void
log_answer(const struct reply *r, void *arg)
{
	struct battle *b = arg;
	json_t *entries;

	if (!battle_expect(b, r, 200, "GET the log")) {
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
		/* The report lists it, with the state it was left in. */
		char path[96];

		snprintf(path, sizeof(path), "%s/me", b->path);
		net_request(b->L->check, NULL, "GET", path,
		    b->clients[0].token, NULL, kept_hash, b);
		return;
	}
	/* Leave the server as it was: delete the battle. */
	net_request(b->L->check, NULL, "DELETE", b->path,
	    b->clients[0].token, NULL, deleted, b);
}

/* A kept battle's id, GM token and state hash go into the report. */
static void
kept_hash(const struct reply *r, void *arg)
{
	struct battle *b = arg;
	const char *hash = r->json != NULL ? json_string_value(
	    json_object_get(r->json, "state_hash")) : NULL;

	if (r->status != 200 || hash == NULL)
		load_error(b->L, ERR_HTTP, "battle %d: GET /me answered %ld",
		    b->index, r->status);
	else
		json_array_append_new(b->L->kept, json_pack("{s:s, s:s, s:s}",
		    "id", b->id, "gm_token", b->clients[0].token,
		    "state_hash", hash));
	b->reading_log = 0;
	battle_finish(b);
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

void
checks_read_log(struct battle *b)
{
	b->reading_log = 1;
	b->log = json_array();
	log_page(b);
}
