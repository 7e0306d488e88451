/*
 * PCG32, the minimal "pcg32_random_r" generator: 64-bit LCG state, 32-bit
 * XSH RR output.  Dice are drawn without modulo bias by rejection.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "game/rng.h"

void
rng_seed(struct rng *rng, uint64_t seed, uint64_t stream)
{
	rng->state = 0;
	rng->inc = (stream << 1) | 1;
	rng_next(rng);
	rng->state += seed;
	rng_next(rng);
}

uint32_t
rng_next(struct rng *rng)
{
	uint64_t old = rng->state;
	uint32_t xorshifted, rot;

	rng->state = old * 6364136223846793005ULL + rng->inc;
	xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
	rot = (uint32_t)(old >> 59);
	return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

int
rng_die(struct rng *rng, int sides)
{
	uint32_t bound = (uint32_t)sides;
	uint32_t threshold = -bound % bound;
	uint32_t r;

	do
		r = rng_next(rng);
	while (r < threshold);
	return (int)(r % bound) + 1;
}
