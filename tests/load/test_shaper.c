/*
 * Unit tests for broadside-faultproxy's fault model
 * (tools/faultproxy/shaper.c): release times from delay, jitter, loss and
 * the bandwidth cap, fed with made-up clock values, so nothing here
 * depends on the machine's speed.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "shaper.h"

static struct shaper *
make(uint64_t delay_ms, uint64_t jitter_ms, double loss, uint64_t bw,
    uint64_t seed, uint64_t index, uint64_t stream)
{
	struct shaper_params p = { .delay_us = delay_ms * 1000,
	    .jitter_us = jitter_ms * 1000, .loss = loss, .bandwidth = bw };
	struct shaper *s = NULL;

	assert_int_equal(shaper_new(&s, &p, seed, index, stream), 0);
	return s;
}

static void
test_plain_releases_at_once(void **state)
{
	struct shaper *s = make(0, 0, 0, 0, 1, 0, 0);
	unsigned lost = 9;

	(void)state;
	assert_int_equal(shaper_release_us(s, 1000, 100, &lost), 1000);
	assert_int_equal(lost, 0);
	assert_int_equal(shaper_release_us(s, 5000, 16384, NULL), 5000);
	shaper_free(s);
}

static void
test_delay_is_added_to_every_chunk(void **state)
{
	struct shaper *s = make(200, 0, 0, 0, 1, 0, 0);

	(void)state;
	assert_int_equal(shaper_release_us(s, 0, 10, NULL), 200000);
	assert_int_equal(shaper_release_us(s, 7000, 10, NULL), 207000);
	/* The end of the stream waits its turn like data. */
	assert_int_equal(shaper_release_us(s, 9000, 0, NULL), 209000);
	shaper_free(s);
}

static void
test_jitter_is_bounded_and_never_reorders(void **state)
{
	struct shaper *s = make(10, 50, 0, 0, 42, 3, 1);
	uint64_t prev = 0, t, now;
	int varied = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		now = (uint64_t)i * 1000;
		t = shaper_release_us(s, now, 100, NULL);
		assert_true(t >= now + 10000);
		assert_true(t <= now + 60000 || t == prev);
		assert_true(t >= prev);
		if (t != now + 10000)
			varied = 1;
		prev = t;
	}
	assert_true(varied);
	shaper_free(s);
}

static void
test_loss_waits_an_rto_that_doubles(void **state)
{
	/* 60 % loss: repeats are common, so the backoff shows. */
	struct shaper *s = make(0, 0, 0.6, 0, 5, 0, 0);
	uint64_t now = 0, t, prev = 0, wait;
	unsigned lost, most = 0, some = 0;

	(void)state;
	for (int i = 0; i < 500; i++) {
		now = prev + 1000;
		t = shaper_release_us(s, now, 1000, &lost);
		wait = t - now;
		if (lost > 0) {
			/* 200 ms, then 400, 800... up to 60 s each. */
			uint64_t rto = SHAPER_RTO_MIN_US, sum = 0;

			for (unsigned k = 0; k < lost; k++) {
				sum += rto;
				rto = rto * 2 > SHAPER_RTO_MAX_US ?
				    SHAPER_RTO_MAX_US : rto * 2;
			}
			assert_int_equal(wait, sum);
			if (lost == 1)
				assert_int_equal(wait, 200000);
			if (lost == 3)
				assert_int_equal(wait, 1400000);
			some++;
		} else {
			assert_int_equal(wait, 0);
		}
		most = lost > most ? lost : most;
		prev = t;
	}
	assert_true(some > 100);
	assert_true(most >= 3);
	shaper_free(s);
}

static void
test_loss_never_drops_the_end_of_stream(void **state)
{
	struct shaper *s = make(0, 0, 0.99, 0, 5, 0, 0);
	unsigned lost = 7;

	(void)state;
	assert_int_equal(shaper_release_us(s, 1000, 0, &lost), 1000);
	assert_int_equal(lost, 0);
	shaper_free(s);
}

static void
test_bandwidth_cap(void **state)
{
	/* 100,000 B/s, a 10,000-byte bucket: 200,000 bytes offered at
	 * once leave over 1.9 s. */
	struct shaper *s = make(0, 0, 0, 100000, 1, 0, 0);
	uint64_t t = 0;

	(void)state;
	assert_int_equal(shaper_release_us(s, 0, 10000, NULL), 0);
	for (int i = 0; i < 19; i++)
		t = shaper_release_us(s, 0, 10000, NULL);
	assert_int_equal(t, 1900000);
	/* After a long pause the bucket is full again, no fuller. */
	assert_int_equal(shaper_release_us(s, 10000000, 10000, NULL),
	    10000000);
	assert_int_equal(shaper_release_us(s, 10000000, 1000, NULL),
	    10010000);
	shaper_free(s);
}

static void
test_same_seed_same_faults(void **state)
{
	struct shaper *a = make(0, 30, 0.3, 0, 99, 4, 1);
	struct shaper *b = make(0, 30, 0.3, 0, 99, 4, 1);
	struct shaper *c = make(0, 30, 0.3, 0, 99, 5, 1);
	int differs = 0;

	(void)state;
	for (int i = 0; i < 200; i++) {
		uint64_t now = (uint64_t)i * 100000;
		uint64_t ta = shaper_release_us(a, now, 500, NULL);
		uint64_t tc = shaper_release_us(c, now, 500, NULL);

		assert_int_equal(ta, shaper_release_us(b, now, 500, NULL));
		if (ta != tc)
			differs = 1;
	}
	assert_true(differs);
	shaper_free(a);
	shaper_free(b);
	shaper_free(c);
}

static void
test_bad_loss_is_refused(void **state)
{
	struct shaper_params p = { .loss = 1.0 };
	struct shaper *s = NULL;

	(void)state;
	assert_int_equal(shaper_new(&s, &p, 0, 0, 0), BS_ERR_INVALID);
	p.loss = -0.1;
	assert_int_equal(shaper_new(&s, &p, 0, 0, 0), BS_ERR_INVALID);
	assert_null(s);
	shaper_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_releases_at_once),
		cmocka_unit_test(test_delay_is_added_to_every_chunk),
		cmocka_unit_test(test_jitter_is_bounded_and_never_reorders),
		cmocka_unit_test(test_loss_waits_an_rto_that_doubles),
		cmocka_unit_test(test_loss_never_drops_the_end_of_stream),
		cmocka_unit_test(test_bandwidth_cap),
		cmocka_unit_test(test_same_seed_same_faults),
		cmocka_unit_test(test_bad_loss_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
