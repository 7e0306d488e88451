/*
 * The per-direction fault model of broadside-faultproxy (shaper.h).
 *
 * The bandwidth cap is a token bucket one tenth of a second deep: a chunk
 * that finds too few tokens leaves the bucket in debt and is released when
 * the debt would have been paid, which is also what makes every later
 * chunk wait its turn.
 */
#include "config.h"

#include "shaper.h"

#include <stdlib.h>

#include "alloc.h"
#include "error.h"

struct shaper {
	struct shaper_params params;
	struct shaper_rng rng;
	uint64_t last_release_us;	/* release time of the previous chunk */
	double tokens;			/* bytes; negative while in debt */
	double bucket_depth;		/* bytes */
	uint64_t bucket_stamp_us;	/* when tokens was last brought up */
	int started;			/* bucket_stamp_us is set */
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void
shaper_rng_seed(struct shaper_rng *rng, uint64_t seed, uint64_t index,
    uint64_t stream)
{
	uint64_t x = seed;

	/* Mix each input through the generator so that nearby seeds,
	 * indices and streams start far apart. */
	x = splitmix64(&x) ^ index;
	x = splitmix64(&x) ^ stream;
	rng->state = splitmix64(&x);
}

uint64_t
shaper_rng_next(struct shaper_rng *rng)
{
	return splitmix64(&rng->state);
}

double
shaper_rng_unit(struct shaper_rng *rng)
{
	/* The top 53 bits: every double in [0, 1) on a 2^-53 grid. */
	return (double)(shaper_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

int
shaper_new(struct shaper **out, const struct shaper_params *params,
    uint64_t seed, uint64_t index, uint64_t stream)
{
	struct shaper *s;

	if (!(params->loss >= 0.0 && params->loss < 1.0))
		return BS_ERR_INVALID;
	s = xcalloc(1, sizeof(*s));
	s->params = *params;
	shaper_rng_seed(&s->rng, seed, index, stream);
	s->bucket_depth = (double)params->bandwidth / 10.0;
	if (s->bucket_depth < 1.0)
		s->bucket_depth = 1.0;
	s->tokens = s->bucket_depth;
	*out = s;
	return 0;
}

void
shaper_free(struct shaper *s)
{
	free(s);
}

/* When the bucket lets len bytes offered at now_us through. */
static uint64_t
bucket_pass_us(struct shaper *s, uint64_t now_us, size_t len)
{
	double rate = (double)s->params.bandwidth;

	if (s->params.bandwidth == 0 || len == 0)
		return now_us;
	if (s->started && now_us > s->bucket_stamp_us) {
		s->tokens += (double)(now_us - s->bucket_stamp_us) * rate / 1e6;
		if (s->tokens > s->bucket_depth)
			s->tokens = s->bucket_depth;
	}
	s->started = 1;
	if (now_us > s->bucket_stamp_us)
		s->bucket_stamp_us = now_us;
	s->tokens -= (double)len;
	if (s->tokens >= 0.0)
		return now_us;
	return now_us + (uint64_t)(-s->tokens * 1e6 / rate + 0.5);
}

uint64_t
shaper_release_us(struct shaper *s, uint64_t now_us, size_t len,
    unsigned *retransmits)
{
	uint64_t t, rto = SHAPER_RTO_MIN_US;
	unsigned lost = 0;

	t = bucket_pass_us(s, now_us, len) + s->params.delay_us;
	if (s->params.jitter_us > 0)
		t += shaper_rng_next(&s->rng) % (s->params.jitter_us + 1);
	if (len > 0 && s->params.loss > 0.0) {
		/* Each draw is one transmission of the chunk; a lost one
		 * costs the current timeout, which then backs off. */
		while (shaper_rng_unit(&s->rng) < s->params.loss) {
			t += rto;
			lost++;
			rto = rto * 2 > SHAPER_RTO_MAX_US ? SHAPER_RTO_MAX_US :
			    rto * 2;
		}
	}
	if (t < s->last_release_us)
		t = s->last_release_us;
	s->last_release_us = t;
	if (retransmits != NULL)
		*retransmits = lost;
	return t;
}
