/*
 * broadside-load(1)'s battles: a battle's life from battle_new() (its
 * set-up starts) to battle_finish() (its log checked, its slot given to a
 * new battle or counted done), and the helpers every bot uses.  bots.h
 * says what the bots do and which file does what.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bots.h"
#include "loop.h"
#include "net.h"

const char *const battle_stations[5] = {
	"captain", "pilot", "gunner", "engineer", "sensors"
};

/* ---- small helpers ------------------------------------------------- */

/* A number from the battle's generator (splitmix64). */
static uint64_t
load_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int
battle_rnd(struct battle *b, int n)
{
	return n <= 0 ? 0 : (int)(load_rand(&b->rng) % (uint64_t)n);
}

const char *
reply_problem(const struct reply *r)
{
	const char *type = jstr(r->json, "type");
	const char *colon = strrchr(type, ':');

	return colon != NULL ? colon + 1 : type;
}

int
battle_expect(struct battle *b, const struct reply *r, long status,
    const char *what)
{
	struct load *L = b->L;

	hist_add(&L->st.request, loop_now_us(L->loop) - r->sent_us);
	if (r->status == status)
		return 1;
	if (r->status == 0)
		load_error(L, ERR_TRANSPORT, "battle %d: %s: %s", b->index,
		    what, curl_easy_strerror(r->rc));
	else if (r->status == 409 &&
	    (strcmp(reply_problem(r), "wrong-round") == 0 ||
	    strcmp(reply_problem(r), "not-planning") == 0 ||
	    strcmp(reply_problem(r), "battle-ended") == 0))
		load_error(L, ERR_STALE, "battle %d: %s: %ld %s", b->index,
		    what, r->status, reply_problem(r));
	else if (r->status == 409 || r->status == 422 || r->status == 403)
		load_error(L, ERR_REFUSED, "battle %d: %s: %ld %s: %s",
		    b->index, what, r->status, reply_problem(r),
		    jstr(r->json, "detail"));
	else
		load_error(L, ERR_HTTP, "battle %d: %s: status %ld: %.200s",
		    b->index, what, r->status, r->text);
	return 0;
}

static int
raced(struct battle *b, const struct reply *r, const char *what)
{
	hist_add(&b->L->st.request, loop_now_us(b->L->loop) - r->sent_us);
	load_error(b->L, ERR_RACED, "battle %d: %s: %ld %s", b->index, what,
	    r->status, reply_problem(r));
	return 0;
}

int
battle_expect_play(struct battle *b, const struct reply *r, long status,
    const char *what)
{
	/*
	 * A 404 once the battle's log was checked: our own DELETE went
	 * out (on the checks' connection, which has no queue) before this
	 * request left our queue.
	 */
	if (r->status == 404 && b->log_checked)
		return raced(b, r, what);
	return battle_expect(b, r, status, what);
}

int
battle_expect_gm(struct battle *b, const struct reply *r, long status,
    const char *what)
{
	if (r->status == 409 &&
	    (strcmp(reply_problem(r), "not-planning") == 0 ||
	    strcmp(reply_problem(r), "battle-ended") == 0))
		return raced(b, r, what);
	return battle_expect_play(b, r, status, what);
}

/* ---- a battle's life ----------------------------------------------- */

struct battle *
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
	setup_create(b);
	return b;
}

/* Stops every stream, timer and action of the battle; keeps its data. */
static void
battle_close(struct battle *b)
{
	for (int i = 0; i < b->nclients; i++) {
		struct client *c = &b->clients[i];

		sse_stop(c);
		loop_timer_cancel(c->check_timer);
		c->check_timer = NULL;
	}
	play_cancel(b);
}

void
battle_finish(struct battle *b)
{
	struct load *L = b->L;
	struct bots *bots = L->bots;

	if (b->done || b->reading_log)
		return;
	if (!b->failed && !b->log_checked) {
		checks_read_log(b);
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
		b->retired_next = bots->retired;
		bots->retired = b;
		bots->battles[b->index] = battle_new(L, b->index,
		    b->generation + 1);
		return;
	}
	L->slots_done++;
	load_battle_done(L);
}

void
battle_fail(struct battle *b)
{
	b->failed = 1;
	battle_finish(b);
}

static void
battle_free(struct battle *b)
{
	battle_close(b);
	play_forget_orders(b);
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

/* ---- the run's bots (load.h) --------------------------------------- */

void
bots_start(struct load *L)
{
	struct bots *bots = xcalloc(1, sizeof(*bots));

	L->bots = bots;
	bots->battles = xcalloc((size_t)L->opt.battles,
	    sizeof(*bots->battles));
	for (int i = 0; i < L->opt.battles; i++)
		bots->battles[i] = battle_new(L, i, 0);
}

void
bots_timeout(struct load *L)
{
	for (int i = 0; i < L->opt.battles; i++) {
		struct battle *b = L->bots->battles[i];
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

void
bots_free(struct load *L)
{
	struct bots *bots = L->bots;

	if (bots == NULL)
		return;
	for (int i = 0; i < L->opt.battles; i++)
		battle_free(bots->battles[i]);
	free(bots->battles);
	while (bots->retired != NULL) {
		struct battle *b = bots->retired;

		bots->retired = b->retired_next;
		battle_free(b);
	}
	sse_queue_free(&bots->openq);
	free(bots);
	L->bots = NULL;
}
