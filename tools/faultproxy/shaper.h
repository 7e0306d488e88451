/*
 * The fault model of broadside-faultproxy(1) for one direction of one
 * connection: given the time a chunk of bytes was read and its length, it
 * says when the chunk may be written on (its release time).  Fixed delay,
 * jitter, loss as TCP shows it to applications (a retransmission timeout,
 * doubling while the retransmission is lost too) and a token-bucket
 * bandwidth cap.  Release times never decrease, so bytes are never
 * reordered.
 *
 * Pure: no I/O and no clock.  Times are microseconds on whatever
 * monotonic clock the caller uses, and the only randomness is the seeded
 * generator below, so a sequence of calls with the same inputs gives the
 * same answers.  Any thread may use a shaper it owns.
 */
#ifndef BROADSIDE_SHAPER_H
#define BROADSIDE_SHAPER_H

#include <stddef.h>
#include <stdint.h>

/* The first retransmission timeout, and the cap on its doubling. */
#define SHAPER_RTO_MIN_US 200000u
#define SHAPER_RTO_MAX_US 60000000u

/* What to inject in one direction; all zero is a plain relay. */
struct shaper_params {
	uint64_t delay_us;	/* fixed added latency */
	uint64_t jitter_us;	/* random extra delay, 0..jitter_us */
	double loss;		/* probability 0 <= loss < 1 per chunk */
	uint64_t bandwidth;	/* bytes per second, 0: unlimited */
};

/* A splitmix64 generator: small, fast and good enough for faults. */
struct shaper_rng {
	uint64_t state;
};

/*
 * Seeds rng for one stream of one connection: the same (seed, index,
 * stream) always gives the same sequence, and different ones give
 * unrelated sequences.
 */
void shaper_rng_seed(struct shaper_rng *rng, uint64_t seed, uint64_t index,
    uint64_t stream);

/* The next 64 random bits. */
uint64_t shaper_rng_next(struct shaper_rng *rng);

/* A uniform double in [0, 1). */
double shaper_rng_unit(struct shaper_rng *rng);

struct shaper;

/*
 * Creates a shaper with a copy of params and its own generator seeded
 * from (seed, index, stream).  The caller frees it with shaper_free().
 * Returns 0 or BS_ERR_INVALID (loss outside [0, 1)).
 */
int shaper_new(struct shaper **out, const struct shaper_params *params,
    uint64_t seed, uint64_t index, uint64_t stream);

/* Frees the shaper; shaper_free(NULL) is a no-op. */
void shaper_free(struct shaper *s);

/*
 * The release time of a chunk of len bytes read at now_us: no earlier
 * than now_us + delay, the previous chunk's release time, and what the
 * bandwidth cap allows; later by a random jitter and, for each time the
 * chunk is "lost", the current retransmission timeout: 200 ms, doubling
 * each time the retransmission is lost as well, back to 200 ms once the
 * chunk gets through (Linux resets its backoff when new data is acked).  *retransmits, if not NULL, receives how many times the
 * chunk was lost.  len 0 (an end of stream) is never lost and costs no
 * bandwidth.
 */
uint64_t shaper_release_us(struct shaper *s, uint64_t now_us, size_t len,
    unsigned *retransmits);

#endif
