/*
 * The index of idempotency keys (idempotency.h).
 *
 * Entries are found through a chained hash table on (caller, target, key)
 * and kept on three lists in the order they began: every entry's, whose
 * head is the next to expire or to be pushed out by the total bound, its
 * caller's, whose head is pushed out by the per-caller bound, and its
 * battle's, which idempotency_forget_battle() walks when the battle is
 * deleted (so that a deletion costs that battle's keys, not every key
 * held).  A caller or battle record exists while it has entries.  The
 * tables double when they hold more than one entry per bucket and never
 * shrink: their size follows the busiest moment, bounded by limits.total.
 */
#include "config.h"

#include "idempotency.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define IDEMPOTENCY_MIN_BUCKETS 64

struct caller {
	unsigned char hash[IDEMPOTENCY_HASH_LEN];
	size_t count;
	struct idempotency_entry *first, *last;	/* oldest first */
	struct caller *hnext;
};

/* The entries naming one battle ("" names none and has no record). */
struct battle_keys {
	char *battle;
	struct idempotency_entry *first, *last;
	struct battle_keys *hnext;
};

struct idempotency_entry {
	struct idempotency_request req;	/* target, key, battle owned */
	struct caller *caller;
	struct battle_keys *bk;		/* NULL when req.battle is "" */
	int64_t created;
	int finished;
	int has_response;
	struct idempotency_response resp;	/* strings owned */
	struct idempotency_entry *hnext;
	struct idempotency_entry *prev, *next;		/* all, oldest first */
	struct idempotency_entry *cprev, *cnext;	/* the caller's */
	struct idempotency_entry *bprev, *bnext;	/* the battle's */
};

struct idempotency {
	struct idempotency_limits limits;
	struct idempotency_entry **table;
	size_t nbuckets, count;
	struct caller **callers;
	size_t ncallers_buckets, ncallers;
	struct battle_keys **battles;
	size_t nbattles_buckets, nbattles;
	struct idempotency_entry *first, *last;
	uint64_t replays;
	/* Forgotten for the limits or expired since idempotency_take_gone(). */
	struct idempotency_gone *gone;
	size_t ngone, gone_cap;
	int gone_overflow;
};

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t
entry_hash(const unsigned char *caller, const char *target, const char *key)
{
	uint64_t h = 1469598103934665603ull;

	h = fnv(h, caller, IDEMPOTENCY_HASH_LEN);
	h = fnv(h, target, strlen(target) + 1);
	return fnv(h, key, strlen(key));
}

/* The caller hash is SHA-256 already: its first bytes are as good. */
static size_t
caller_bucket(const struct idempotency *idx, const unsigned char *hash)
{
	uint64_t h;

	memcpy(&h, hash, sizeof(h));
	return (size_t)(h & (idx->ncallers_buckets - 1));
}

struct idempotency *
idempotency_new(const struct idempotency_limits *limits)
{
	struct idempotency *idx = xcalloc(1, sizeof(*idx));

	idx->limits = *limits;
	if (idx->limits.per_caller == 0)
		idx->limits.per_caller = IDEMPOTENCY_PER_CALLER;
	if (idx->limits.total == 0)
		idx->limits.total = IDEMPOTENCY_TOTAL;
	if (idx->limits.ttl_ms <= 0)
		idx->limits.ttl_ms = 86400 * 1000LL;
	idx->nbuckets = idx->ncallers_buckets = idx->nbattles_buckets =
	    IDEMPOTENCY_MIN_BUCKETS;
	idx->table = xcalloc(idx->nbuckets, sizeof(*idx->table));
	idx->callers = xcalloc(idx->ncallers_buckets, sizeof(*idx->callers));
	idx->battles = xcalloc(idx->nbattles_buckets, sizeof(*idx->battles));
	return idx;
}

static void
entry_free(struct idempotency_entry *e)
{
	free((char *)e->req.target);
	free((char *)e->req.key);
	free((char *)e->req.battle);
	free((char *)e->resp.content_type);
	free((char *)e->resp.location);
	free((char *)e->resp.body);
	free(e);
}

void
idempotency_free(struct idempotency *idx)
{
	struct idempotency_entry *e, *next;

	if (idx == NULL)
		return;
	idempotency_gone_free(idx->gone, idx->ngone);
	for (e = idx->first; e != NULL; e = next) {
		next = e->next;
		entry_free(e);
	}
	for (size_t i = 0; i < idx->ncallers_buckets; i++) {
		struct caller *c, *cn;

		for (c = idx->callers[i]; c != NULL; c = cn) {
			cn = c->hnext;
			free(c);
		}
	}
	for (size_t i = 0; i < idx->nbattles_buckets; i++) {
		struct battle_keys *bk, *bn;

		for (bk = idx->battles[i]; bk != NULL; bk = bn) {
			bn = bk->hnext;
			free(bk->battle);
			free(bk);
		}
	}
	free(idx->battles);
	free(idx->callers);
	free(idx->table);
	free(idx);
}

int
idempotency_key_valid(const char *key)
{
	size_t len = strlen(key);

	return len >= 1 && len <= IDEMPOTENCY_KEY_MAX &&
	    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == len;
}

/* ---- the tables ---------------------------------------------------------- */

static void
table_grow(struct idempotency *idx)
{
	size_t n = idx->nbuckets * 2;
	struct idempotency_entry **t = xcalloc(n, sizeof(*t));

	for (struct idempotency_entry *e = idx->first; e != NULL; e = e->next) {
		size_t b = (size_t)(entry_hash(e->caller->hash, e->req.target,
		    e->req.key) & (n - 1));

		e->hnext = t[b];
		t[b] = e;
	}
	free(idx->table);
	idx->table = t;
	idx->nbuckets = n;
}

static void
callers_grow(struct idempotency *idx)
{
	struct caller **old = idx->callers;
	size_t oldn = idx->ncallers_buckets;

	idx->ncallers_buckets *= 2;
	idx->callers = xcalloc(idx->ncallers_buckets, sizeof(*idx->callers));
	for (size_t i = 0; i < oldn; i++) {
		struct caller *c, *next;

		for (c = old[i]; c != NULL; c = next) {
			size_t b = caller_bucket(idx, c->hash);

			next = c->hnext;
			c->hnext = idx->callers[b];
			idx->callers[b] = c;
		}
	}
	free(old);
}

static struct caller *
caller_find(struct idempotency *idx, const unsigned char *hash, int create)
{
	struct caller *c;
	size_t b = caller_bucket(idx, hash);

	for (c = idx->callers[b]; c != NULL; c = c->hnext)
		if (memcmp(c->hash, hash, IDEMPOTENCY_HASH_LEN) == 0)
			return c;
	if (!create)
		return NULL;
	if (idx->ncallers >= idx->ncallers_buckets) {
		callers_grow(idx);
		b = caller_bucket(idx, hash);
	}
	c = xcalloc(1, sizeof(*c));
	memcpy(c->hash, hash, IDEMPOTENCY_HASH_LEN);
	c->hnext = idx->callers[b];
	idx->callers[b] = c;
	idx->ncallers++;
	return c;
}

static void
caller_remove(struct idempotency *idx, struct caller *c)
{
	struct caller **pp = &idx->callers[caller_bucket(idx, c->hash)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	idx->ncallers--;
	free(c);
}

static size_t
battle_bucket(const struct idempotency *idx, const char *battle)
{
	return (size_t)(fnv(1469598103934665603ull, battle, strlen(battle)) &
	    (idx->nbattles_buckets - 1));
}

static void
battles_grow(struct idempotency *idx)
{
	struct battle_keys **old = idx->battles;
	size_t oldn = idx->nbattles_buckets;

	idx->nbattles_buckets *= 2;
	idx->battles = xcalloc(idx->nbattles_buckets, sizeof(*idx->battles));
	for (size_t i = 0; i < oldn; i++) {
		struct battle_keys *bk, *next;

		for (bk = old[i]; bk != NULL; bk = next) {
			size_t b = battle_bucket(idx, bk->battle);

			next = bk->hnext;
			bk->hnext = idx->battles[b];
			idx->battles[b] = bk;
		}
	}
	free(old);
}

static struct battle_keys *
battle_find(struct idempotency *idx, const char *battle, int create)
{
	struct battle_keys *bk;
	size_t b = battle_bucket(idx, battle);

	for (bk = idx->battles[b]; bk != NULL; bk = bk->hnext)
		if (strcmp(bk->battle, battle) == 0)
			return bk;
	if (!create)
		return NULL;
	if (idx->nbattles >= idx->nbattles_buckets) {
		battles_grow(idx);
		b = battle_bucket(idx, battle);
	}
	bk = xcalloc(1, sizeof(*bk));
	bk->battle = xstrdup(battle);
	bk->hnext = idx->battles[b];
	idx->battles[b] = bk;
	idx->nbattles++;
	return bk;
}

/* Unlinks e from its battle's list, and frees the record once empty. */
static void
battle_unlink(struct idempotency *idx, struct idempotency_entry *e)
{
	struct battle_keys *bk = e->bk, **pp;

	if (bk == NULL)
		return;
	if (e->bprev != NULL)
		e->bprev->bnext = e->bnext;
	else
		bk->first = e->bnext;
	if (e->bnext != NULL)
		e->bnext->bprev = e->bprev;
	else
		bk->last = e->bprev;
	e->bk = NULL;
	if (bk->first != NULL)
		return;
	pp = &idx->battles[battle_bucket(idx, bk->battle)];
	while (*pp != bk)
		pp = &(*pp)->hnext;
	*pp = bk->hnext;
	idx->nbattles--;
	free(bk->battle);
	free(bk);
}

static struct idempotency_entry *
entry_find(const struct idempotency *idx, const struct idempotency_request *r)
{
	struct idempotency_entry *e;
	size_t b = (size_t)(entry_hash(r->caller, r->target, r->key) &
	    (idx->nbuckets - 1));

	for (e = idx->table[b]; e != NULL; e = e->hnext)
		if (memcmp(e->caller->hash, r->caller,
		    IDEMPOTENCY_HASH_LEN) == 0 &&
		    strcmp(e->req.target, r->target) == 0 &&
		    strcmp(e->req.key, r->key) == 0)
			return e;
	return NULL;
}

/* Unlinks and frees an entry, and its caller once it has none. */
static void
entry_remove(struct idempotency *idx, struct idempotency_entry *e)
{
	struct idempotency_entry **pp;
	struct caller *c = e->caller;

	pp = &idx->table[entry_hash(c->hash, e->req.target, e->req.key) &
	    (idx->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		idx->first = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		idx->last = e->prev;
	if (e->cprev != NULL)
		e->cprev->cnext = e->cnext;
	else
		c->first = e->cnext;
	if (e->cnext != NULL)
		e->cnext->cprev = e->cprev;
	else
		c->last = e->cprev;
	battle_unlink(idx, e);
	idx->count--;
	if (--c->count == 0)
		caller_remove(idx, c);
	entry_free(e);
}

/* Remembers a finished entry about to be forgotten (limits, expiry). */
static void
gone_add(struct idempotency *idx, const struct idempotency_entry *e)
{
	struct idempotency_gone *g;

	if (idx->gone_overflow)
		return;
	if (idx->ngone == IDEMPOTENCY_GONE_MAX) {
		idempotency_gone_free(idx->gone, idx->ngone);
		idx->gone = NULL;
		idx->ngone = idx->gone_cap = 0;
		idx->gone_overflow = 1;
		return;
	}
	if (idx->ngone == idx->gone_cap) {
		idx->gone_cap = idx->gone_cap == 0 ? 64 : idx->gone_cap * 2;
		idx->gone = xreallocarray(idx->gone, idx->gone_cap,
		    sizeof(*idx->gone));
	}
	g = &idx->gone[idx->ngone++];
	memcpy(g->caller, e->caller->hash, sizeof(g->caller));
	g->target = xstrdup(e->req.target);
	g->key = xstrdup(e->req.key);
	g->battle = xstrdup(e->req.battle);
	g->created = e->created;
}

/* Makes room for one more entry of caller c (NULL: a new caller). */
static void
make_room(struct idempotency *idx, struct caller *c)
{
	struct idempotency_entry *e, *next;

	for (e = c != NULL ? c->first : NULL; e != NULL &&
	    c->count >= idx->limits.per_caller; e = next) {
		next = e->cnext;
		if (e->finished) {
			if (c->count == 1)
				c = NULL;	/* freed with its last entry */
			gone_add(idx, e);
			entry_remove(idx, e);
		}
	}
	for (e = idx->first; e != NULL && idx->count >= idx->limits.total;
	    e = next) {
		next = e->next;
		if (e->finished) {
			gone_add(idx, e);
			entry_remove(idx, e);
		}
	}
}

static struct idempotency_entry *
entry_add(struct idempotency *idx, const struct idempotency_request *r,
    int64_t created)
{
	struct idempotency_entry *e = xcalloc(1, sizeof(*e));
	struct caller *c;
	size_t b;

	make_room(idx, caller_find(idx, r->caller, 0));
	c = caller_find(idx, r->caller, 1);
	e->req = *r;
	memcpy(e->req.caller, r->caller, IDEMPOTENCY_HASH_LEN);
	e->req.target = xstrdup(r->target);
	e->req.key = xstrdup(r->key);
	e->req.battle = xstrdup(r->battle != NULL ? r->battle : "");
	e->caller = c;
	e->created = created;
	if (idx->count >= idx->nbuckets)
		table_grow(idx);
	b = (size_t)(entry_hash(c->hash, r->target, r->key) &
	    (idx->nbuckets - 1));
	e->hnext = idx->table[b];
	idx->table[b] = e;
	e->prev = idx->last;
	if (idx->last != NULL)
		idx->last->next = e;
	else
		idx->first = e;
	idx->last = e;
	e->cprev = c->last;
	if (c->last != NULL)
		c->last->cnext = e;
	else
		c->first = e;
	c->last = e;
	c->count++;
	if (e->req.battle[0] != '\0') {
		struct battle_keys *bk = battle_find(idx, e->req.battle, 1);

		e->bk = bk;
		e->bprev = bk->last;
		if (bk->last != NULL)
			bk->last->bnext = e;
		else
			bk->first = e;
		bk->last = e;
	}
	idx->count++;
	return e;
}

static int
expired(const struct idempotency *idx, const struct idempotency_entry *e,
    int64_t now)
{
	return e->finished && now - e->created >= idx->limits.ttl_ms;
}

/* ---- the public side --------------------------------------------------- */

enum idempotency_outcome
idempotency_begin(struct idempotency *idx,
    const struct idempotency_request *req, int64_t now,
    struct idempotency_entry **entry)
{
	struct idempotency_entry *e = entry_find(idx, req);

	if (e != NULL && expired(idx, e, now)) {
		gone_add(idx, e);
		entry_remove(idx, e);
		e = NULL;
	}
	if (e == NULL) {
		*entry = entry_add(idx, req, now);
		return IDEMPOTENCY_NEW;
	}
	*entry = e;
	if (memcmp(e->req.fingerprint, req->fingerprint,
	    IDEMPOTENCY_HASH_LEN) != 0)
		return IDEMPOTENCY_MISMATCH;
	if (!e->finished)
		return IDEMPOTENCY_IN_FLIGHT;
	idx->replays++;
	return IDEMPOTENCY_REPLAY;
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
idempotency_set_response(struct idempotency_entry *e,
    const struct idempotency_response *resp)
{
	char *body = xmalloc(resp->body_len + 1);

	free((char *)e->resp.content_type);
	free((char *)e->resp.location);
	free((char *)e->resp.body);
	if (resp->body_len > 0)
		memcpy(body, resp->body, resp->body_len);
	body[resp->body_len] = '\0';
	e->resp.status = resp->status;
	e->resp.content_type = strdup_or_null(resp->content_type);
	e->resp.location = strdup_or_null(resp->location);
	e->resp.body = body;
	e->resp.body_len = resp->body_len;
	e->has_response = 1;
}

const struct idempotency_response *
idempotency_response(const struct idempotency_entry *e)
{
	return e->has_response ? &e->resp : NULL;
}

const struct idempotency_request *
idempotency_entry_request(const struct idempotency_entry *e)
{
	return &e->req;
}

int64_t
idempotency_entry_created(const struct idempotency_entry *e)
{
	return e->created;
}

void
idempotency_finish(struct idempotency *idx, struct idempotency_entry *e)
{
	if (!e->has_response) {
		/* Nothing to replay: as if the key had not been kept. */
		entry_remove(idx, e);
		return;
	}
	e->finished = 1;
}

void
idempotency_abandon(struct idempotency *idx, struct idempotency_entry *e)
{
	entry_remove(idx, e);
}

int
idempotency_restore(struct idempotency *idx,
    const struct idempotency_request *req, int64_t created,
    const struct idempotency_response *resp, int64_t now)
{
	struct idempotency_entry *e;

	if (now - created >= idx->limits.ttl_ms || entry_find(idx, req))
		return -1;
	e = entry_add(idx, req, created);
	idempotency_set_response(e, resp);
	e->finished = 1;
	return 0;
}

size_t
idempotency_expire(struct idempotency *idx, int64_t now)
{
	struct idempotency_entry *e, *next;
	size_t n = 0;

	/* Oldest first: stop at the first one still young. */
	for (e = idx->first; e != NULL; e = next) {
		next = e->next;
		if (now - e->created < idx->limits.ttl_ms)
			break;
		if (e->finished) {
			gone_add(idx, e);
			entry_remove(idx, e);
			n++;
		}
	}
	return n;
}

size_t
idempotency_forget_battle(struct idempotency *idx, const char *battle)
{
	struct battle_keys *bk;
	struct idempotency_entry *e, *next;
	size_t n = 0;

	if (battle == NULL || *battle == '\0' ||
	    (bk = battle_find(idx, battle, 0)) == NULL)
		return 0;
	/* bk is freed with its last entry: only the entries are read. */
	for (e = bk->first; e != NULL; e = next) {
		next = e->bnext;
		if (e->finished) {
			entry_remove(idx, e);
			n++;
		}
	}
	return n;
}

size_t
idempotency_count(const struct idempotency *idx)
{
	return idx->count;
}

int
idempotency_take_gone(struct idempotency *idx,
    struct idempotency_gone **gone, size_t *n)
{
	int overflow = idx->gone_overflow;

	*gone = idx->gone;
	*n = idx->ngone;
	idx->gone = NULL;
	idx->ngone = idx->gone_cap = 0;
	idx->gone_overflow = 0;
	return overflow;
}

void
idempotency_gone_free(struct idempotency_gone *gone, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(gone[i].target);
		free(gone[i].key);
		free(gone[i].battle);
	}
	free(gone);
}

uint64_t
idempotency_replays(const struct idempotency *idx)
{
	return idx->replays;
}

const struct idempotency_limits *
idempotency_limits(const struct idempotency *idx)
{
	return &idx->limits;
}
