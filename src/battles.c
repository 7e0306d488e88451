/*
 * The live battles (battles.h).
 */
#include "config.h"

#include "battles.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "persist.h"
#include "store.h"
#include "stream.h"

#define BATTLE_ID_LEN 10
#define JOIN_CODE_LEN 6

struct member {
	int id;			/* > 0 player (engine id), < 0 spectator */
	enum actor_role role;
	unsigned char hash[TOKEN_HASH_LEN];
};

struct live_battle {
	struct battles *reg;
	char id[BATTLE_ID_LEN + 1];
	char *name;
	char join_code[JOIN_CODE_LEN + 1];
	unsigned char gm_hash[TOKEN_HASH_LEN];
	int64_t created_at;
	struct member *members;
	size_t nmembers;
	size_t nspectators;
	struct battle *game;	/* live: every change applied at once */
	struct battle *committed;	/* only what the store has committed */
	struct channel *channel;	/* its event stream */
	uint64_t action_seq;	/* last action recorded */
	uint64_t snapshot_seq;	/* last action in a snapshot */
	unsigned pending;	/* writes submitted, not yet done */
	int deleting;
	int broken;		/* a write failed: memory is ahead of disk */
	size_t state_bytes;	/* engine state at the last snapshot */
	int64_t last_change;	/* Unix ms */
	struct loop_timer *round_timer;
	int resolve_queued;
	struct live_battle *hnext;	/* hash chain */
	struct live_battle *prev, *next;	/* creation order */
};

struct battles {
	struct loop *loop;
	struct store *store;
	struct stream *stream;
	struct battles_options opts;
	struct live_battle **table;
	size_t nbuckets;
	size_t count;
	struct live_battle *first, *last;
	int64_t epoch;
	struct metric *m_battles;	/* gauge by phase */
	struct metric *m_resolve;	/* histogram, seconds */
	battles_submit_fn submit_hook;
	void *submit_ctx;
};

/*
 * A write in flight: its record, the action to apply again to the
 * committed state once it is on disk, and whom to tell.
 */
struct pending_write {
	struct live_battle *lb;
	struct persist_write *w;
	int has_action;
	enum action_kind kind;
	struct actor who;
	json_t *body;
	json_t *crew_log;	/* the crew's copies of its log entries */
	int presence;		/* a member joined: presence may change */
	battles_done_fn done;
	void *arg;
	json_t *result;
};

static void battle_after_change(struct live_battle *lb);

static uint64_t
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t
battles_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

static void
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

static void
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

static void
phase_gauge(struct battles *reg, enum battle_phase phase, double delta)
{
	const char *label[1];

	if (reg->m_battles == NULL)
		return;
	label[0] = phase_name(phase);
	metric_series_add(metric_series(reg->m_battles, label), delta);
}

static void
live_battle_free(struct live_battle *lb)
{
	loop_timer_cancel(lb->round_timer);
	channel_free(lb->channel);
	battle_free(lb->game);
	battle_free(lb->committed);
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
	for (; lb != NULL; lb = lb->hnext)
		if (strcmp(lb->id, id) == 0)
			return lb->deleting ? NULL : lb;
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

/* ---- writes ------------------------------------------------------------------ */

/* The private "accepted" event of one order, as its 202 answer says it. */
static void
battle_tell_accepted(struct live_battle *lb, const struct actor *who,
    json_t *receipt)
{
	json_t *a = json_pack("{s:s, s:b}", "battle", lb->id, "accepted", 1);

	json_object_update(a, receipt);
	channel_private(lb->channel, who->role == ACTOR_GM ? 0 : who->player,
	    "accepted", a);
	json_decref(a);
}

/*
 * The action is on disk: apply it to the committed state too (the engine
 * is deterministic, so it does the same), and hand its log entries to the
 * event stream, which publishes them after its debounce window.
 */
static void
battle_commit_action(struct live_battle *lb, struct pending_write *pw)
{
	json_t *log = json_array();
	struct refusal why;

	if (action_apply(lb->committed, pw->kind, &pw->who, pw->body, log,
	    &why, NULL) != 0)
		log_error("battle %s: a committed %s does not apply again: %s",
		    lb->id, action_name(pw->kind), why.text);
	if (lb->channel != NULL) {
		/*
		 * The committed state is now where the live one was when the
		 * crew's copies were made: spectators read the crew's log.
		 */
		const json_t *views[VIEWER_COUNT] = {
			[VIEWER_GM] = log,
			[VIEWER_CREW] = pw->crew_log,
			[VIEWER_SPECTATOR] = pw->crew_log,
		};

		/* A narration adds to the log and changes no view. */
		channel_changed(lb->channel, views, pw->kind !=
		    ACTION_NARRATE);
		/*
		 * Its author hears at once that the order is on disk, in the
		 * words of the 202 answer (api/orders.c).
		 */
		if (pw->kind == ACTION_ORDER)
			battle_tell_accepted(lb, &pw->who, pw->result);
		if (pw->kind == ACTION_ORDERS) {
			json_t *r;
			size_t i;

			json_array_foreach(json_object_get(pw->result,
			    "results"), i, r)
				if (json_is_true(json_object_get(r,
				    "accepted")))
					battle_tell_accepted(lb, &pw->who, r);
		}
	}
	json_decref(log);
}

static void
write_done(void *arg, int status)
{
	struct pending_write *pw = arg;
	struct live_battle *lb = pw->lb;

	lb->pending--;
	if (status == 0 && pw->has_action)
		battle_commit_action(lb, pw);
	if (status != 0 && !lb->deleting) {
		/*
		 * Memory is ahead of the disk now.  Refuse further changes
		 * until an operator restarts the daemon, which reloads the
		 * battle from what was committed.
		 */
		log_error("battle %s: a write failed; refusing changes until "
		    "the daemon restarts", lb->id);
		lb->broken = 1;
	}
	if (pw->done != NULL)
		pw->done(pw->arg, status, pw->result);
	json_decref(pw->result);
	json_decref(pw->body);
	json_decref(pw->crew_log);
	persist_write_free(pw->w);
	free(pw);
	if (lb->deleting && lb->pending == 0) {
		registry_remove(lb->reg, lb);
		live_battle_free(lb);
	}
}

/* On the storage thread: the record of a pending write, if it has one. */
static int
write_apply(sqlite3 *db, void *arg)
{
	struct pending_write *pw = arg;

	return persist_apply(db, pw->w);
}

static struct pending_write *
battle_submit(struct live_battle *lb, struct persist_write *w,
    battles_done_fn done, void *arg, json_t *result)
{
	struct pending_write *pw = xcalloc(1, sizeof(*pw));

	pw->lb = lb;
	pw->w = w;
	pw->done = done;
	pw->arg = arg;
	pw->result = result;
	if (w != NULL && lb->reg->submit_hook != NULL)
		lb->reg->submit_hook(lb->reg->submit_ctx, done, arg, w, result);
	lb->pending++;
	store_submit(lb->reg->store, w != NULL ? write_apply : NULL,
	    write_done, pw);
	return pw;
}

/* Records which action a write holds, for battle_commit_action(). */
static void
pending_set_action(struct pending_write *pw, enum action_kind kind,
    const struct actor *who, const json_t *body)
{
	pw->has_action = 1;
	pw->kind = kind;
	pw->who = *who;
	pw->body = json_deep_copy(body);
}

/* Adds the battle's phase and, when due, a snapshot to a record. */
static void
battle_record_state(struct live_battle *lb, struct persist_write *w,
    int force_snapshot)
{
	enum battle_phase phase = battle_phase(lb->game);

	persist_write_phase(w, phase_name(phase), battle_deadline(lb->game),
	    phase == PHASE_ENDED ? battles_wall_ms() : 0);
	if (force_snapshot || lb->action_seq - lb->snapshot_seq >=
	    (uint64_t)lb->reg->opts.snapshot_every) {
		size_t len;
		char *state = codec_save(lb->game, &len);

		persist_write_snapshot(w, lb->action_seq, battle_round(lb->game),
		    state, len, battles_wall_ms());
		lb->state_bytes = len;
		lb->snapshot_seq = lb->action_seq;
	}
}

static int
battle_refuse_state(struct live_battle *lb, struct refusal *why)
{
	if (!lb->deleting && !lb->broken)
		return 0;
	why->code = REFUSAL_NONE;
	snprintf(why->text, sizeof(why->text), lb->deleting ?
	    "This battle is being deleted." :
	    "This battle cannot take changes after a storage failure; the "
	    "operator must restart the server.");
	return BS_ERR_STATE;
}

/*
 * The crew's copy of a change's log entries, read against the battle as
 * the change left it: the same copy the event stream sends the crew when
 * the change commits (the committed state is then where the live one is
 * now), kept so that GET of the log shows what the stream showed.
 * Spectators read the crew's log.
 */
static json_t *
battle_crew_log(const struct live_battle *lb, const json_t *log)
{
	json_t *crew = json_array(), *e;
	size_t i;

	json_array_foreach(log, i, e)
		json_array_append_new(crew, view_log_entry(lb->game,
		    VIEWER_CREW, e));
	return crew;
}

int
live_battle_act(struct live_battle *lb, enum action_kind kind,
    const struct actor *who, const json_t *body, struct refusal *why,
    battles_done_fn done, void *arg)
{
	enum battle_phase before = battle_phase(lb->game);
	json_t *log, *crew_log, *result = NULL;
	struct pending_write *pw;
	struct persist_write *w;
	char actor[32];
	uint64_t t0;
	int rv;

	if ((rv = battle_refuse_state(lb, why)) != 0)
		return rv;
	log = json_array();
	t0 = monotonic_us();
	rv = action_apply(lb->game, kind, who, body, log, why, &result);
	if (rv != 0) {
		json_decref(log);
		return rv;
	}
	/* A measurement, so a fresh clock, not the loop's time. */
	if (kind == ACTION_RESOLVE && lb->reg->m_resolve != NULL)
		metric_observe(lb->reg->m_resolve,
		    (double)(monotonic_us() - t0) / 1e6);
	lb->action_seq++;
	lb->last_change = battles_wall_ms();
	w = persist_write_new(lb->id);
	action_actor_format(who, actor, sizeof(actor));
	persist_write_action(w, lb->action_seq, action_name(kind), actor, body,
	    battles_wall_ms());
	crew_log = battle_crew_log(lb, log);
	persist_write_log(w, log, crew_log);
	json_decref(log);
	battle_record_state(lb, w, kind == ACTION_START ||
	    kind == ACTION_RESOLVE || kind == ACTION_END);
	if (battle_phase(lb->game) != before) {
		phase_gauge(lb->reg, before, -1);
		phase_gauge(lb->reg, battle_phase(lb->game), 1);
	}
	pw = battle_submit(lb, w, done, arg, result);
	pending_set_action(pw, kind, who, body);
	pw->crew_log = crew_log;
	battle_after_change(lb);
	return 0;
}

/* ---- the round timer ------------------------------------------------------- */

static void
battle_resolve_now(struct live_battle *lb)
{
	struct actor server = { .role = ACTOR_GM };
	struct refusal why;
	json_t *body;

	lb->resolve_queued = 0;
	if (battle_phase(lb->game) != PHASE_PLANNING || lb->deleting ||
	    lb->broken)
		return;
	body = json_pack("{s:I}", "deadline", (json_int_t)(battles_wall_ms() +
	    (int64_t)battle_round_seconds(lb->game) * 1000));
	if (live_battle_act(lb, ACTION_RESOLVE, &server, body, &why, NULL,
	    NULL) != 0)
		log_error("battle %s: round %d did not resolve: %s", lb->id,
		    battle_round(lb->game), why.text);
	json_decref(body);
}

static int64_t
battle_round_timer(struct loop *loop, void *arg)
{
	struct live_battle *lb = arg;

	lb->round_timer = NULL;
	battle_resolve_now(lb);
	return LOOP_TIMER_STOP;
}

static void
battle_resolve_deferred(struct loop *loop, void *arg)
{
	battle_resolve_now(arg);
}

/*
 * After every change: arm the round timer for the stored deadline, or
 * resolve at once (after this iteration) when every order is in.
 */
static void
battle_after_change(struct live_battle *lb)
{
	int64_t delay;

	/* A stopped clock: the round waits for the GM (game/clock.c). */
	if (battle_phase(lb->game) != PHASE_PLANNING ||
	    battle_paused_left(lb->game) > 0) {
		loop_timer_cancel(lb->round_timer);
		lb->round_timer = NULL;
		return;
	}
	if (order_all_in(lb->game) && !lb->resolve_queued) {
		lb->resolve_queued = 1;
		loop_defer(lb->reg->loop, battle_resolve_deferred, lb);
	}
	delay = battle_deadline(lb->game) - battles_wall_ms();
	if (delay < 0)
		delay = 0;
	if (lb->round_timer != NULL)
		loop_timer_reset(lb->round_timer, delay);
	else
		lb->round_timer = loop_timer_add(lb->reg->loop, delay,
		    battle_round_timer, lb);
}

/* ---- what viewers see --------------------------------------------------------- */

json_t *
live_battle_document(const struct live_battle *lb, enum viewer viewer)
{
	json_t *doc = view_battle(lb->committed, viewer);

	json_object_set_new(doc, "id", json_string(lb->id));
	json_object_set_new(doc, "name", json_string(lb->name));
	if (viewer == VIEWER_GM)
		json_object_set_new(doc, "join_code",
		    json_string(lb->join_code));
	return doc;
}

void
live_battle_state_hash(const struct live_battle *lb, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, codec_hash(lb->committed));
}

static json_t *
source_document(void *arg, enum viewer viewer)
{
	return live_battle_document(arg, viewer);
}

static json_t *
source_log_entry(void *arg, enum viewer viewer, const json_t *entry)
{
	const struct live_battle *lb = arg;

	return view_log_entry(lb->committed, viewer, entry);
}

/* The committed copy and the event stream of a battle just made live. */
static void
live_battle_open(struct live_battle *lb)
{
	struct channel_source src = {
		.document = source_document,
		.log_entry = source_log_entry,
		.arg = lb,
	};

	lb->committed = battle_copy(lb->game);
	if (lb->reg->stream != NULL)
		lb->channel = channel_new(lb->reg->stream, lb->id,
		    lb->reg->epoch, &src);
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

struct channel *
live_battle_channel(const struct live_battle *lb)
{
	return lb->channel;
}

/* ---- creating, joining, deleting ------------------------------------------- */

static struct live_battle *
live_battle_alloc(struct battles *reg, const char *id, const char *name)
{
	struct live_battle *lb = xcalloc(1, sizeof(*lb));

	lb->reg = reg;
	snprintf(lb->id, sizeof(lb->id), "%.*s", BATTLE_ID_LEN, id);
	lb->name = xstrdup(name);
	lb->last_change = battles_wall_ms();
	return lb;
}

static uint64_t
random_seed(void)
{
	char hex[17];
	uint64_t seed = 0;

	/* token_id's alphabet is 32 letters: 5 bits each, 60 bits here. */
	if (token_id(hex, 12) == 0)
		for (int i = 0; i < 12; i++)
			seed = seed << 5 | (uint64_t)(hex[i] & 31);
	return seed ^ (uint64_t)battles_wall_ms();
}

int
battles_create(struct battles *reg, const char *name, int round_seconds,
    int spectators, char gm_token[TOKEN_LEN + 1], struct live_battle **out,
    struct refusal *why, battles_done_fn done, void *arg)
{
	struct battle_limits limits = {
		.max_ships = reg->opts.max_ships,
		.max_players = reg->opts.max_players,
	};
	struct actor gm = { .role = ACTOR_GM };
	struct live_battle *lb;
	struct persist_write *w;
	char id[BATTLE_ID_LEN + 1];
	struct battle *game;

	if (reg->count >= reg->opts.max_battles) {
		why->code = REFUSAL_NONE;
		snprintf(why->text, sizeof(why->text), "This server hosts its "
		    "limit of %zu battles; delete a finished one or ask the "
		    "operator to raise --max-battles.", reg->opts.max_battles);
		return BS_ERR_LIMIT;
	}
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
	do {
		if (token_id(id, BATTLE_ID_LEN) != 0) {
			battle_free(game);
			return BS_ERR_IO;
		}
	} while (battles_find(reg, id) != NULL);
	lb = live_battle_alloc(reg, id, name);
	lb->game = game;
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
	live_battle_open(lb);
	registry_insert(reg, lb);
	phase_gauge(reg, PHASE_LOBBY, 1);
	*out = lb;	/* before the submit hook, which may read it */
	battle_submit(lb, w, done, arg, NULL);
	return 0;
}

static void
member_add(struct live_battle *lb, int id, enum actor_role role,
    const unsigned char hash[TOKEN_HASH_LEN])
{
	struct member *m;

	lb->members = xreallocarray(lb->members, lb->nmembers + 1,
	    sizeof(*lb->members));
	m = &lb->members[lb->nmembers++];
	m->id = id;
	m->role = role;
	memcpy(m->hash, hash, TOKEN_HASH_LEN);
	if (role == ACTOR_SPECTATOR)
		lb->nspectators++;
}

/* Compares join codes in constant time, ignoring case. */
static int
join_code_ok(const struct live_battle *lb, const char *code)
{
	unsigned char diff = strlen(code) != JOIN_CODE_LEN;

	for (size_t i = 0; i < JOIN_CODE_LEN; i++) {
		char c = code[i < strlen(code) ? i : 0];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		diff |= (unsigned char)(c ^ lb->join_code[i]);
	}
	return diff == 0;
}

static int
join_spectator(struct live_battle *lb, const char *name,
    const unsigned char hash[TOKEN_HASH_LEN], int *member,
    struct refusal *why, battles_done_fn done, void *arg)
{
	struct persist_write *w;
	int id;

	if (!battle_spectators_allowed(lb->game)) {
		why->code = REFUSAL_SPECTATOR;
		snprintf(why->text, sizeof(why->text), "The GM does not allow "
		    "spectators in this battle.");
		return BS_ERR_DENIED;
	}
	if (lb->nspectators >= (size_t)lb->reg->opts.max_spectators) {
		why->code = REFUSAL_NONE;
		snprintf(why->text, sizeof(why->text), "This battle already "
		    "has its limit of %d spectators.",
		    lb->reg->opts.max_spectators);
		return BS_ERR_LIMIT;
	}
	id = -(int)lb->nspectators - 1;
	for (size_t i = 0; i < lb->nmembers; i++)
		if (lb->members[i].id <= id)
			id = lb->members[i].id - 1;
	member_add(lb, id, ACTOR_SPECTATOR, hash);
	w = persist_write_new(lb->id);
	persist_write_member(w, id, name, "spectator", hash,
	    battles_wall_ms());
	*member = id;	/* before the submit hook, which may read it */
	battle_submit(lb, w, done, arg, NULL);
	return 0;
}

int
live_battle_join(struct live_battle *lb, const char *join_code,
    const char *name, int spectator, char token[TOKEN_LEN + 1], int *member,
    struct refusal *why, battles_done_fn done, void *arg)
{
	struct actor nobody = { .role = ACTOR_SPECTATOR };
	unsigned char hash[TOKEN_HASH_LEN];
	json_t *body, *result = NULL;
	struct persist_write *w;
	char actor[32];
	int rv;

	if ((rv = battle_refuse_state(lb, why)) != 0)
		return rv;
	if (!join_code_ok(lb, join_code)) {
		why->code = REFUSAL_NONE;
		snprintf(why->text, sizeof(why->text), "That join code is not "
		    "this battle's; ask your GM for the code.");
		return BS_ERR_DENIED;
	}
	if (token_new(token) != 0)
		return BS_ERR_IO;
	token_hash(token, hash);
	if (spectator)
		return join_spectator(lb, name, hash, member, why, done, arg);

	body = json_pack("{s:s}", "name", name);
	rv = action_apply(lb->game, ACTION_JOIN, &nobody, body, NULL, why,
	    &result);
	if (rv != 0) {
		json_decref(body);
		return rv;
	}
	*member = (int)json_integer_value(json_object_get(result, "player"));
	member_add(lb, *member, ACTOR_PLAYER, hash);
	lb->action_seq++;
	w = persist_write_new(lb->id);
	persist_write_member(w, *member, name, "player", hash,
	    battles_wall_ms());
	snprintf(actor, sizeof(actor), "player:%d", *member);
	persist_write_action(w, lb->action_seq, action_name(ACTION_JOIN),
	    actor, body, battles_wall_ms());
	battle_record_state(lb, w, 0);
	pending_set_action(battle_submit(lb, w, done, arg, result),
	    ACTION_JOIN, &nobody, body);
	json_decref(body);
	return 0;
}

void
live_battle_delete(struct live_battle *lb, battles_done_fn done, void *arg)
{
	struct persist_write *w = persist_write_new(lb->id);

	persist_write_delete(w);
	lb->deleting = 1;
	loop_timer_cancel(lb->round_timer);
	lb->round_timer = NULL;
	/* Its streams end now; their clients get 404 when they come back. */
	channel_free(lb->channel);
	lb->channel = NULL;
	phase_gauge(lb->reg, battle_phase(lb->game), -1);
	battle_submit(lb, w, done, arg, NULL);
}

void
live_battle_barrier(struct live_battle *lb, battles_done_fn done, void *arg)
{
	if (lb->pending == 0) {
		done(arg, 0, NULL);
		return;
	}
	battle_submit(lb, NULL, done, arg, NULL);
}

/* ---- reading the log through the storage thread ---------------------------- */

struct log_read {
	char id[BATTLE_ID_LEN + 1];
	int64_t after;
	int limit;
	int status;
	json_t *entries, *crew_entries;
	const struct live_battle *lb;
	enum viewer viewer;
	battles_read_fn done;
	void *arg;
};

static int
log_read_apply(sqlite3 *db, void *arg)
{
	struct log_read *r = arg;

	r->status = persist_read_log(db, r->id, r->after, r->limit,
	    &r->entries, r->viewer != VIEWER_GM ? &r->crew_entries : NULL);
	return SQLITE_OK;
}

static void
log_read_done(void *arg, int status)
{
	struct log_read *r = arg;
	json_t *out = r->entries, *e, *crew;
	size_t i;

	/*
	 * The crew's stored copies; an entry stored without one is read
	 * against the battle as it stands.  The battle is still here: its
	 * deletion, if any, is a write queued after this read.
	 */
	if (r->viewer != VIEWER_GM && r->crew_entries != NULL) {
		out = json_array();
		json_array_foreach(r->entries, i, e) {
			crew = json_array_get(r->crew_entries, i);
			json_array_append_new(out, json_is_object(crew) ?
			    json_incref(crew) : view_log_entry(
			    r->lb->committed, r->viewer, e));
		}
		json_decref(r->entries);
	}
	r->done(r->arg, status != 0 ? status : r->status, out);
	json_decref(out);
	json_decref(r->crew_entries);
	free(r);
}

void
live_battle_read_log(struct live_battle *lb, enum viewer viewer,
    int64_t after, int limit, battles_read_fn done, void *arg)
{
	struct log_read *r = xcalloc(1, sizeof(*r));

	r->lb = lb;
	r->viewer = viewer;
	snprintf(r->id, sizeof(r->id), "%s", lb->id);
	r->after = after;
	r->limit = limit;
	r->done = done;
	r->arg = arg;
	store_submit(lb->reg->store, log_read_apply, log_read_done, r);
}

/* ---- one battle ------------------------------------------------------------------ */

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

const struct battle *
live_battle_game(const struct live_battle *lb)
{
	return lb->committed;
}

size_t
live_battle_spectators(const struct live_battle *lb)
{
	return lb->nspectators;
}

int
live_battle_authenticate(const struct live_battle *lb, const char *token,
    struct actor *who)
{
	unsigned char hash[TOKEN_HASH_LEN];
	int found = 0;

	token_hash(token, hash);
	if (token_hash_equal(hash, lb->gm_hash)) {
		who->role = ACTOR_GM;
		who->player = 0;
		found = 1;
	}
	/* Every member is compared, so timing says nothing of which. */
	for (size_t i = 0; i < lb->nmembers; i++) {
		if (token_hash_equal(hash, lb->members[i].hash) && !found) {
			who->role = lb->members[i].role;
			who->player = lb->members[i].id;
			found = 1;
		}
	}
	return found ? 0 : BS_ERR_DENIED;
}

/* ---- restoring at start-up ------------------------------------------------------- */

static void
restore_replay(struct live_battle *lb, const struct persist_battle *pb)
{
	for (size_t i = 0; i < pb->nactions; i++) {
		const struct persist_action *a = &pb->actions[i];
		enum action_kind kind;
		struct actor who;
		struct refusal why;
		json_t *body, *log = json_array();
		int rv = BS_ERR_INVALID;

		body = json_loads(a->body, 0, NULL);
		if (body != NULL && action_from_name(a->kind, &kind) == 0 &&
		    action_actor_parse(a->actor, &who) == 0)
			rv = action_apply(lb->game, kind, &who, body, log, &why,
			    NULL);
		if (rv != 0)
			log_error("battle %s: action %llu (%s) does not replay: "
			    "%s", lb->id, (unsigned long long)a->seq, a->kind,
			    body ? why.text : "bad JSON");
		json_decref(body);
		json_decref(log);
		lb->action_seq = a->seq;
	}
}

static int
restore_one(struct battles *reg, const char *id)
{
	struct persist_battle *pb;
	struct live_battle *lb;
	int rv;

	rv = persist_load(store_db(reg->store), id, &pb);
	if (rv != 0) {
		log_error("battle %s: cannot load it (%s); skipped", id,
		    bs_strerror(rv));
		return rv;
	}
	lb = live_battle_alloc(reg, pb->id, pb->name);
	snprintf(lb->join_code, sizeof(lb->join_code), "%.*s", JOIN_CODE_LEN,
	    pb->join_code);
	memcpy(lb->gm_hash, pb->gm_hash, TOKEN_HASH_LEN);
	lb->created_at = pb->created_at;
	for (size_t i = 0; i < pb->nmembers; i++)
		member_add(lb, pb->members[i].id,
		    strcmp(pb->members[i].role, "spectator") == 0 ?
		    ACTOR_SPECTATOR : ACTOR_PLAYER, pb->members[i].hash);
	if (codec_load(&lb->game, pb->snapshot, pb->snapshot_len) != 0) {
		log_error("battle %s: its snapshot does not load; skipped", id);
		persist_battle_free(pb);
		live_battle_free(lb);
		return BS_ERR_INVALID;
	}
	lb->action_seq = lb->snapshot_seq = pb->snapshot_seq;
	lb->state_bytes = pb->snapshot_len;
	restore_replay(lb, pb);
	persist_battle_free(pb);
	live_battle_open(lb);
	registry_insert(reg, lb);
	phase_gauge(reg, battle_phase(lb->game), 1);
	battle_after_change(lb);
	return 0;
}

int
battles_restore(struct battles *reg, char *err, size_t errlen)
{
	char **ids;
	size_t n, restored = 0;

	if (persist_next_epoch(store_db(reg->store), &reg->epoch) != 0) {
		snprintf(err, errlen, "cannot record the new epoch");
		return BS_ERR_IO;
	}
	if (persist_battle_ids(store_db(reg->store), &ids, &n) != 0) {
		snprintf(err, errlen, "cannot list the stored battles");
		return BS_ERR_IO;
	}
	for (size_t i = 0; i < n; i++) {
		if (restore_one(reg, ids[i]) == 0)
			restored++;
		free(ids[i]);
	}
	free(ids);
	if (n > 0)
		log_info("restored %zu of %zu battles (epoch %lld)", restored,
		    n, (long long)reg->epoch);
	return 0;
}

int
battles_token_known(const struct battles *reg, const char *token)
{
	struct actor who;

	for (struct live_battle *lb = reg->first; lb != NULL; lb = lb->next)
		if (!lb->deleting && live_battle_authenticate(lb, token,
		    &who) == 0)
			return 1;
	return 0;
}

int64_t
battles_epoch(const struct battles *reg)
{
	return reg->epoch;
}
