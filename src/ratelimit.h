/*
 * Request rate limits: a token bucket per key (a bearer token's hash, or a
 * client address), refilled at rate per second up to burst.  A request
 * takes one token; with none left it is refused with the seconds to wait
 * (for Retry-After).  Keys idle long enough to have a full bucket are
 * forgotten when the table needs room, which grows and shrinks with the
 * set of active clients and never holds more than max_keys (the least
 * recently used are dropped).
 *
 * Time is passed in (monotonic microseconds, the loop's time): no clock
 * is read here.  Loop thread only.
 */
#ifndef BROADSIDE_RATELIMIT_H
#define BROADSIDE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* rate tokens per second (> 0), burst tokens at most, max_keys tracked. */
struct ratelimit *ratelimit_new(double rate, double burst, size_t max_keys);

/* NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);

/*
 * Takes one token for key (keylen bytes) at time now_us.  Returns 0 if
 * allowed, else the whole seconds to wait before a token is there (>= 1).
 */
int ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen,
    uint64_t now_us);

/* Keys currently tracked. */
size_t ratelimit_size(const struct ratelimit *rl);

/* Slots in the table now (it grows and shrinks with the keys). */
size_t ratelimit_slots(const struct ratelimit *rl);

#endif
