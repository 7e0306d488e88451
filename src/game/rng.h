/*
 * The battle's dice: PCG32 (O'Neill, pcg-random.org, "pcg32_random_r"),
 * seeded per battle.  Its whole state is two 64-bit words that the codec
 * saves, so a restored battle rolls exactly the dice it would have rolled.
 */
#ifndef BROADSIDE_GAME_RNG_H
#define BROADSIDE_GAME_RNG_H

#include <stdint.h>

struct rng {
	uint64_t	state;
	uint64_t	inc;	/* the stream; always odd */
};

/* Seeds a generator (PCG32's pcg32_srandom_r with the given stream). */
void rng_seed(struct rng *rng, uint64_t seed, uint64_t stream);

/* The next 32 random bits. */
uint32_t rng_next(struct rng *rng);

/* One die with sides faces (sides >= 1), 1..sides, unbiased. */
int rng_die(struct rng *rng, int sides);

#endif
