/*
 * A latency histogram for broadside-load: log-linear buckets (exact below
 * 32, then 32 buckets per power of two, so any value is within about 3 %
 * of its bucket's bound), fixed size, no allocation, mergeable.  Values
 * are microseconds by convention; nothing here depends on that.
 */
#ifndef BROADSIDE_HIST_H
#define BROADSIDE_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_SUB + (64 - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint32_t bucket[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t value);
void hist_merge(struct hist *into, const struct hist *from);

/*
 * The value below which the fraction p (0..1) of the samples lie: the
 * upper bound of the bucket holding that rank, never above max.  0 for an
 * empty histogram.
 */
uint64_t hist_percentile(const struct hist *h, double p);

#endif
