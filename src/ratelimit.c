/*
 * Token buckets keyed by bytes (ratelimit.h): an open-addressing hash
 * table with linear probing; removal rebuilds the probe chain.
 */
#include "config.h"

#include "ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define RATELIMIT_KEY_MAX 32	/* longer keys are hashed to this size */

struct bucket {
	unsigned char key[RATELIMIT_KEY_MAX];
	size_t keylen;		/* 0: empty slot */
	double tokens;
	uint64_t updated_us;
};

/*
 * Open addressing with linear probing.  The table starts small and
 * doubles when it would be more than half full and a sweep freed too
 * little, up to max_slots (> 2 * max_keys); it halves when a sweep leaves
 * it less than an eighth full.  So its memory follows the clients active
 * now, not every client ever seen (a fixed table for 100,000 keys is
 * 14 MiB whose pages a long-running server touches one by one).
 */
#define RATELIMIT_MIN_SLOTS 64
#define RATELIMIT_SWEEP_US (10 * 1000000ull)	/* the shrinking sweep */

struct ratelimit {
	double rate, burst;
	size_t max_keys;
	struct bucket *slots;
	size_t nslots;		/* a power of two */
	size_t max_slots;
	size_t used;
	uint64_t last_sweep_us;
};

static uint64_t
key_hash(const unsigned char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct ratelimit *
ratelimit_new(double rate, double burst, size_t max_keys)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	rl->max_keys = max_keys < 16 ? 16 : max_keys;
	rl->max_slots = RATELIMIT_MIN_SLOTS;
	while (rl->max_slots < 2 * rl->max_keys + 1)
		rl->max_slots *= 2;
	rl->nslots = RATELIMIT_MIN_SLOTS;
	rl->slots = xcalloc(rl->nslots, sizeof(*rl->slots));
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	free(rl);
}

size_t
ratelimit_size(const struct ratelimit *rl)
{
	return rl->used;
}

size_t
ratelimit_slots(const struct ratelimit *rl)
{
	return rl->nslots;
}

/* Puts a bucket into the first free slot of its probe chain. */
static void
slot_insert(struct ratelimit *rl, const struct bucket *b)
{
	size_t mask = rl->nslots - 1;
	size_t k = key_hash(b->key, b->keylen) & mask;

	while (rl->slots[k].keylen != 0)
		k = (k + 1) & mask;
	rl->slots[k] = *b;
}

static void
ratelimit_resize(struct ratelimit *rl, size_t nslots)
{
	struct bucket *old = rl->slots;
	size_t oldn = rl->nslots;

	rl->slots = xcalloc(nslots, sizeof(*rl->slots));
	rl->nslots = nslots;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].keylen != 0)
			slot_insert(rl, &old[i]);
	free(old);
}

static void
bucket_refill(const struct ratelimit *rl, struct bucket *b, uint64_t now_us)
{
	if (now_us > b->updated_us) {
		b->tokens += (double)(now_us - b->updated_us) / 1e6 * rl->rate;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->updated_us = now_us;
	}
}

/* Removes slot i and re-inserts the rest of its probe chain. */
static void
slot_remove(struct ratelimit *rl, size_t i)
{
	size_t mask = rl->nslots - 1;

	rl->slots[i].keylen = 0;
	rl->used--;
	for (size_t j = (i + 1) & mask; rl->slots[j].keylen != 0;
	    j = (j + 1) & mask) {
		struct bucket b = rl->slots[j];

		rl->slots[j].keylen = 0;
		slot_insert(rl, &b);
	}
}

/*
 * Forgets full buckets (they behave exactly like new ones), and if the
 * table still holds max_keys, the least recently used.
 */
static void
ratelimit_sweep(struct ratelimit *rl, uint64_t now_us)
{
	size_t oldest = SIZE_MAX;

	for (size_t i = 0; i < rl->nslots; i++) {
		struct bucket *b = &rl->slots[i];

		if (b->keylen == 0)
			continue;
		bucket_refill(rl, b, now_us);
		if (b->tokens >= rl->burst) {
			slot_remove(rl, i);
			i--;	/* the chain moved into this slot */
		}
	}
	if (rl->used < rl->max_keys)
		return;
	for (size_t i = 0; i < rl->nslots; i++)
		if (rl->slots[i].keylen != 0 && (oldest == SIZE_MAX ||
		    rl->slots[i].updated_us < rl->slots[oldest].updated_us))
			oldest = i;
	if (oldest != SIZE_MAX)
		slot_remove(rl, oldest);
}

int
ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen,
    uint64_t now_us)
{
	unsigned char k[RATELIMIT_KEY_MAX];
	size_t mask = rl->nslots - 1, i;
	struct bucket *b;

	if (keylen > RATELIMIT_KEY_MAX) {
		uint64_t h = key_hash(key, keylen);

		memset(k, 0, sizeof(k));
		memcpy(k, &h, sizeof(h));
		keylen = RATELIMIT_KEY_MAX;
	} else {
		memcpy(k, key, keylen);
	}
	if (keylen == 0)
		keylen = 1, k[0] = 0;
	/* Now and then, forget idle clients and give back their room. */
	if (now_us - rl->last_sweep_us >= RATELIMIT_SWEEP_US) {
		rl->last_sweep_us = now_us;
		ratelimit_sweep(rl, now_us);
		if (8 * rl->used < rl->nslots &&
		    rl->nslots > RATELIMIT_MIN_SLOTS) {
			ratelimit_resize(rl, rl->nslots / 2);
			mask = rl->nslots - 1;
		}
	}
	i = key_hash(k, keylen) & mask;
	while (rl->slots[i].keylen != 0 && (rl->slots[i].keylen != keylen ||
	    memcmp(rl->slots[i].key, k, keylen) != 0))
		i = (i + 1) & mask;
	b = &rl->slots[i];
	if (b->keylen == 0) {
		/*
		 * A new key: keep the table at most half full.  A sweep that
		 * leaves it more than 3/8 full doubles it, so that the next
		 * sweep is at least nslots / 8 new keys away.
		 */
		if (2 * (rl->used + 1) > rl->nslots ||
		    rl->used >= rl->max_keys) {
			ratelimit_sweep(rl, now_us);
			if (8 * (rl->used + 1) > 3 * rl->nslots &&
			    rl->nslots < rl->max_slots)
				ratelimit_resize(rl, rl->nslots * 2);
			else if (8 * rl->used < rl->nslots &&
			    rl->nslots > RATELIMIT_MIN_SLOTS)
				ratelimit_resize(rl, rl->nslots / 2);
			return ratelimit_take(rl, k, keylen, now_us);
		}
		memcpy(b->key, k, keylen);
		b->keylen = keylen;
		b->tokens = rl->burst;
		b->updated_us = now_us;
		rl->used++;
	}
	bucket_refill(rl, b, now_us);
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	return (int)ceil((1 - b->tokens) / rl->rate);
}
