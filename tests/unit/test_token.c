/*
 * Unit tests for tokens (src/token.c) and rate limits (src/ratelimit.c).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ratelimit.h"
#include "token.h"

static void
test_tokens_are_random_base64url(void **state)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];

	assert_int_equal(token_new(a), 0);
	assert_int_equal(token_new(b), 0);
	assert_int_equal(strlen(a), TOKEN_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789-_"), TOKEN_LEN);
}

static void
test_codes_avoid_look_alikes(void **state)
{
	char code[65];

	for (int i = 0; i < 50; i++) {
		assert_int_equal(token_code(code, 64), 0);
		assert_int_equal(strlen(code), 64);
		assert_null(strpbrk(code, "01OIL"));
		assert_int_equal(token_id(code, 12), 0);
		assert_int_equal(strlen(code), 12);
		assert_int_equal(strspn(code, "abcdefghijkmnpqrstuvwxyz"
		    "23456789"), 12);
	}
}

static void
test_hash_is_sha256(void **state)
{
	/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
	static const unsigned char abc[TOKEN_HASH_LEN] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41,
		0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3,
		0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
		0x15, 0xad,
	};
	unsigned char h[TOKEN_HASH_LEN], other[TOKEN_HASH_LEN];

	token_hash("abc", h);
	assert_memory_equal(h, abc, TOKEN_HASH_LEN);
	assert_true(token_hash_equal(h, abc));
	token_hash("abd", other);
	assert_false(token_hash_equal(h, other));
}

static void
test_bucket_allows_burst_then_refills(void **state)
{
	struct ratelimit *rl = ratelimit_new(10, 5, 100);
	uint64_t t = 1000000;

	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "k", 1, t), 0);
	/* Empty: one token takes 0.1 s, reported as 1 s to wait. */
	assert_int_equal(ratelimit_take(rl, "k", 1, t), 1);
	/* Another key is unaffected. */
	assert_int_equal(ratelimit_take(rl, "j", 1, t), 0);
	/* 0.1 s later, one more token. */
	assert_int_equal(ratelimit_take(rl, "k", 1, t + 100000), 0);
	assert_int_not_equal(ratelimit_take(rl, "k", 1, t + 100000), 0);
	ratelimit_free(rl);

	/* A slow rate asks for a longer wait. */
	rl = ratelimit_new(0.25, 1, 100);
	assert_int_equal(ratelimit_take(rl, "k", 1, t), 0);
	assert_int_equal(ratelimit_take(rl, "k", 1, t), 4);
	ratelimit_free(rl);
}

static void
test_table_stays_bounded(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 2, 16);
	uint64_t t = 0;

	for (unsigned i = 0; i < 10000; i++) {
		assert_int_equal(ratelimit_take(rl, &i, sizeof(i), t), 0);
		assert_true(ratelimit_size(rl) <= 16);
		t += 10;
	}
	/* A key that was just used is still tracked (not reset). */
	{
		unsigned k = 9999;

		assert_int_equal(ratelimit_take(rl, &k, sizeof(k), t), 0);
		assert_int_not_equal(ratelimit_take(rl, &k, sizeof(k), t), 0);
	}
	ratelimit_free(rl);
}

/*
 * The table follows the active keys: many keys at once make it grow, and
 * once they are idle (full buckets) new keys let it shrink back, with
 * every key still limited while it is active.
 */
static void
test_table_follows_active_keys(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 2, 100000);
	uint64_t t = 1000000;
	size_t small = ratelimit_slots(rl), big;

	(void)state;
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(ratelimit_take(rl, &i, sizeof(i), t), 0);
	assert_int_equal(ratelimit_size(rl), 5000);
	big = ratelimit_slots(rl);
	assert_true(big >= 2 * 5000 && big <= 4 * 8192);
	/* Still limited: the burst is 2. */
	for (uint32_t i = 0; i < 5000; i += 500) {
		assert_int_equal(ratelimit_take(rl, &i, sizeof(i), t), 0);
		assert_int_not_equal(ratelimit_take(rl, &i, sizeof(i), t), 0);
	}
	/* A minute later they are all full again, and forgotten. */
	t += 60 * 1000000ull;
	for (uint32_t i = 100000; i < 100000 + 4000; i++)
		assert_int_equal(ratelimit_take(rl, &i, sizeof(i), t), 0);
	assert_true(ratelimit_size(rl) < 5000);
	for (uint32_t i = 200000; i < 200000 + 20; i++) {
		t += 10 * 1000000ull;
		assert_int_equal(ratelimit_take(rl, &i, sizeof(i), t), 0);
	}
	assert_true(ratelimit_slots(rl) < big);
	assert_true(ratelimit_slots(rl) >= small);
	ratelimit_free(rl);
}

/* The one constant-time compare: lengths and contents both count. */
static void
test_token_equal(void **state)
{
	(void)state;
	assert_true(token_equal("abc", 3, "abc", 3));
	assert_false(token_equal("abc", 3, "abd", 3));
	assert_false(token_equal("abc", 3, "abcd", 4));
	assert_false(token_equal("abcd", 4, "abc", 3));
	assert_false(token_equal("", 0, "abc", 3));
	assert_false(token_equal("abc", 3, "", 0));
	assert_true(token_equal("", 0, "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_are_random_base64url),
		cmocka_unit_test(test_codes_avoid_look_alikes),
		cmocka_unit_test(test_hash_is_sha256),
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_bucket_allows_burst_then_refills),
		cmocka_unit_test(test_table_stays_bounded),
		cmocka_unit_test(test_table_follows_active_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
