/*
 * The live battles (battles.h): the registry of every battle this daemon
 * hosts, by id and in creation order, and the making of a new one.  What
 * a battle is made of, and the files that do the rest, are in
 * battles_impl.h.
 */
#include "config.h"

#include "battles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "battles_impl.h"
#include "error.h"
#include "loop.h"
#include "metrics.h"
#include "persist.h"
#include "store_pg.h"
#include "stream.h"

int64_t
battles_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a: ids are random already, this only spreads them over buckets. */
static uint64_t
id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ull;

	for (; *id; id++) {
		h ^= (unsigned char)*id;
		h *= 1099511628211ull;
	}
	return h;
}

/* ---- the registry ---------------------------------------------------------- */

struct battles *
battles_new(struct loop *loop, struct store *store, struct stream *stream,
    struct metrics *metrics, const struct battles_options *opts)
{
	struct battles *reg = xcalloc(1, sizeof(*reg));

	reg->loop = loop;
	reg->store = store;
	reg->stream = stream;
	reg->opts = *opts;
	reg->nbuckets = 256;
	while (reg->nbuckets < opts->max_battles)
		reg->nbuckets *= 2;
	reg->table = xcalloc(reg->nbuckets, sizeof(*reg->table));
	lease_init(reg);
	if (metrics != NULL) {
		reg->m_battles = metrics_add(metrics, METRIC_GAUGE,
		    "broadside_battles", "Battles hosted, by phase.", "phase",
		    NULL, 0);
		reg->m_resolve = metrics_add(metrics, METRIC_HISTOGRAM,
		    "broadside_round_resolution_seconds",
		    "Time to resolve one round in the rules engine.", NULL,
		    METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS);
		for (int p = PHASE_LOBBY; p <= PHASE_ENDED; p++) {
			const char *label[] = { phase_name(p) };

			metric_series_set(metric_series(reg->m_battles, label),
			    0);
		}
	}
	return reg;
}

void
battles_set_submit_hook(struct battles *reg, battles_submit_fn fn, void *ctx)
{
	reg->submit_hook = fn;
	reg->submit_ctx = ctx;
}

void
registry_insert(struct battles *reg, struct live_battle *lb)
{
	size_t b = id_hash(lb->id) & (reg->nbuckets - 1);

	lb->hnext = reg->table[b];
	reg->table[b] = lb;
	lb->prev = reg->last;
	if (reg->last != NULL)
		reg->last->next = lb;
	else
		reg->first = lb;
	reg->last = lb;
	reg->count++;
}

void
registry_remove(struct battles *reg, struct live_battle *lb)
{
	struct live_battle **pp;

	pp = &reg->table[id_hash(lb->id) & (reg->nbuckets - 1)];
	while (*pp != NULL && *pp != lb)
		pp = &(*pp)->hnext;
	if (*pp == lb)
		*pp = lb->hnext;
	if (lb->prev != NULL)
		lb->prev->next = lb->next;
	else
		reg->first = lb->next;
	if (lb->next != NULL)
		lb->next->prev = lb->prev;
	else
		reg->last = lb->prev;
	reg->count--;
}

void
phase_gauge(struct battles *reg, enum battle_phase phase, double delta)
{
	const char *label[1];

	if (reg->m_battles == NULL)
		return;
	label[0] = phase_name(phase);
	metric_series_add(metric_series(reg->m_battles, label), delta);
}

struct live_battle *
live_battle_alloc(struct battles *reg, const char *id, const char *name)
{
	struct live_battle *lb = xcalloc(1, sizeof(*lb));

	lb->reg = reg;
	snprintf(lb->id, sizeof(lb->id), "%.*s", BATTLE_ID_LEN, id);
	lb->name = xstrdup(name);
	lb->last_change = battles_wall_ms();
	return lb;
}

void
live_battle_free(struct live_battle *lb)
{
	loop_timer_cancel(lb->round_timer);
	channel_free(lb->channel);
	battle_free(lb->working);
	battle_free(lb->committed);
	battle_free(lb->published);
	live_battle_forget_documents(lb);
	free(lb->members);
	free(lb->name);
	free(lb);
}

void
battles_free(struct battles *reg)
{
	struct live_battle *lb, *next;

	if (reg == NULL)
		return;
	loop_timer_cancel(reg->lease_timer);
	store_conn_close(reg->lease_conn);
	for (lb = reg->first; lb != NULL; lb = next) {
		next = lb->next;
		live_battle_free(lb);
	}
	free(reg->table);
	free(reg);
}

struct live_battle *
battles_find(struct battles *reg, const char *id)
{
	struct live_battle *lb;

	lb = reg->table[id_hash(id) & (reg->nbuckets - 1)];
	/* A lost battle may still wait for its writes beside a new take. */
	for (; lb != NULL; lb = lb->hnext)
		if (!lb->deleting && strcmp(lb->id, id) == 0)
			return lb;
	return NULL;
}

size_t
battles_count(const struct battles *reg)
{
	return reg->count;
}

void
battles_foreach(struct battles *reg,
    void (*fn)(struct live_battle *lb, void *arg), void *arg)
{
	for (struct live_battle *lb = reg->first; lb != NULL; lb = lb->next)
		if (!lb->deleting)
			fn(lb, arg);
}

/*
 * The clock is the wall clock, not the loop's: last_change is stored and
 * restored as Unix ms, so a lobby's idle time runs on while the daemon
 * is down, and a restart does not give every idle battle a new life.
 */
size_t
battles_foreach_expired(struct battles *reg, int64_t now_ms,
    int64_t lobby_ttl_ms, int64_t ended_ttl_ms,
    void (*fn)(struct live_battle *lb, void *arg), void *arg)
{
	struct live_battle *lb, *next;
	size_t n = 0;

	for (lb = reg->first; lb != NULL; lb = next) {
		enum battle_phase phase;
		int64_t ttl;

		/* fn may delete lb, which stays listed until its write is done. */
		next = lb->next;
		if (lb->deleting)
			continue;
		phase = battle_phase(lb->working);
		ttl = phase == PHASE_LOBBY ? lobby_ttl_ms :
		    phase == PHASE_ENDED ? ended_ttl_ms : 0;
		if (ttl > 0 && now_ms - lb->last_change >= ttl) {
			n++;
			fn(lb, arg);
		}
	}
	return n;
}

int64_t
battles_epoch(const struct battles *reg)
{
	return reg->epoch;
}

/* ---- creating ---------------------------------------------------------------- */

/*
 * The dice's seed: 64 random bits, straight from the source.  (Reading
 * them back out of an id's characters lost bits: their ASCII codes & 31
 * gave 24 values, not 32, and the top four bits were always 0.)  The
 * clock only stands in if getrandom fails.
 */
static uint64_t
random_seed(void)
{
	uint64_t seed;

	if (token_random(&seed, sizeof(seed)) != 0)
		seed = (uint64_t)battles_wall_ms() * 0x9e3779b97f4a7c15ULL;
	return seed;
}

/* A fresh lobby with the server's limits and the GM's settings. */
static int
create_game(struct battles *reg, int round_seconds, int spectators,
    struct battle **out, struct refusal *why)
{
	struct battle_limits limits = {
		.max_ships = reg->opts.max_ships,
		.max_players = reg->opts.max_players,
	};
	struct actor gm = { .role = ACTOR_GM };
	struct battle *game;

	if (battle_new(&game, random_seed(), &limits) != 0) {
		why->code = REFUSAL_NONE;
		snprintf(why->text, sizeof(why->text), "The server's battle "
		    "limits are out of range; check --max-ships and "
		    "--max-players.");
		return BS_ERR_INVALID;
	}
	if ((round_seconds != 0 && battle_set_round_seconds(game, &gm,
	    round_seconds, why) != 0) ||
	    battle_set_spectators(game, &gm, spectators != 0, why) != 0) {
		battle_free(game);
		return BS_ERR_INVALID;
	}
	*out = game;
	return 0;
}

/*
 * The battle is in the registry at once (its id must stay unique, and the
 * submit hook may look it up), but done, which gives its creator the id
 * and the GM's token, runs only after the commit.
 */
int
battles_create(struct battles *reg, const char *name, int round_seconds,
    int spectators, char gm_token[TOKEN_LEN + 1], struct live_battle **out,
    struct refusal *why, battles_done_fn done, void *arg)
{
	struct live_battle *lb;
	struct persist_write *w;
	char id[BATTLE_ID_LEN + 1];
	struct battle *game;
	int rv;

	if (reg->count >= reg->opts.max_battles) {
		why->code = REFUSAL_NONE;
		snprintf(why->text, sizeof(why->text), "This server hosts its "
		    "limit of %zu battles; delete a finished one or ask the "
		    "operator to raise --max-battles.", reg->opts.max_battles);
		return BS_ERR_LIMIT;
	}
	if ((rv = create_game(reg, round_seconds, spectators, &game, why)) != 0)
		return rv;
	do {
		if (token_id(id, BATTLE_ID_LEN) != 0) {
			battle_free(game);
			return BS_ERR_IO;
		}
	} while (battles_find(reg, id) != NULL);
	lb = live_battle_alloc(reg, id, name);
	lb->working = game;
	lb->created_at = battles_wall_ms();
	if (token_code(lb->join_code, JOIN_CODE_LEN) != 0 ||
	    token_new(gm_token) != 0) {
		live_battle_free(lb);
		return BS_ERR_IO;
	}
	token_hash(gm_token, lb->gm_hash);
	w = persist_write_new(lb->id);
	persist_write_battle(w, name, lb->join_code, lb->gm_hash,
	    lb->created_at);
	battle_record_state(lb, w, 1);
	/*
	 * Its creator owns a new battle at epoch 1; on a shared store nobody
	 * does until it is first asked for.
	 */
	lb->lease_epoch = 1;
	lb->unheld = reg->lease_conn != NULL;
	lb->asked_us = loop_clock_us();
	live_battle_open(lb);
	registry_insert(reg, lb);
	phase_gauge(reg, PHASE_LOBBY, 1);
	*out = lb;	/* before the submit hook, which may read it */
	battle_submit(lb, w, done, arg, NULL);
	return 0;
}

/* ---- one battle's plain facts ------------------------------------------------ */

const char *
live_battle_id(const struct live_battle *lb)
{
	return lb->id;
}

const char *
live_battle_name(const struct live_battle *lb)
{
	return lb->name;
}

const char *
live_battle_join_code(const struct live_battle *lb)
{
	return lb->join_code;
}

int64_t
live_battle_created_at(const struct live_battle *lb)
{
	return lb->created_at;
}

size_t
live_battle_state_bytes(const struct live_battle *lb)
{
	return lb->state_bytes;
}

int64_t
live_battle_last_change(const struct live_battle *lb)
{
	return lb->last_change;
}
