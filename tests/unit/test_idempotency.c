/*
 * Unit tests for the index of idempotency keys (src/idempotency.c), with
 * made-up times: no clock, no sleeping.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "idempotency.h"

#define HOUR (3600 * 1000LL)

/* A request of caller number `who` with key and body fingerprint `fp`. */
static struct idempotency_request
request(int who, const char *target, const char *key, int fp)
{
	struct idempotency_request r;

	memset(&r, 0, sizeof(r));
	memset(r.caller, who, sizeof(r.caller));
	memset(r.fingerprint, fp, sizeof(r.fingerprint));
	r.target = target;
	r.key = key;
	r.battle = "b1";
	return r;
}

static const struct idempotency_response created = {
	.status = 201, .content_type = "application/json",
	.body = "{\"ship\":3}\n", .body_len = 11,
};

/* Begins and finishes a request; returns the entry. */
static struct idempotency_entry *
done(struct idempotency *idx, const struct idempotency_request *r,
    int64_t now)
{
	struct idempotency_entry *e;

	assert_int_equal(idempotency_begin(idx, r, now, &e), IDEMPOTENCY_NEW);
	idempotency_set_response(e, &created);
	idempotency_finish(idx, e);
	return e;
}

static struct idempotency *
index_new(size_t per_caller, size_t total)
{
	struct idempotency_limits lim = { per_caller, total, 24 * HOUR };

	return idempotency_new(&lim);
}

static void
test_key_syntax(void **state)
{
	char long_key[IDEMPOTENCY_KEY_MAX + 2];

	assert_true(idempotency_key_valid("a"));
	assert_true(idempotency_key_valid(
	    "3f1c2a4e-8b7d-4c6e-9f10-2b3c4d5e6f70"));
	assert_true(idempotency_key_valid("A_z-09"));
	assert_false(idempotency_key_valid(""));
	assert_false(idempotency_key_valid("a b"));
	assert_false(idempotency_key_valid("a,b"));
	assert_false(idempotency_key_valid("caf\xc3\xa9"));
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[IDEMPOTENCY_KEY_MAX] = '\0';
	assert_true(idempotency_key_valid(long_key));
	long_key[IDEMPOTENCY_KEY_MAX] = 'k';
	long_key[IDEMPOTENCY_KEY_MAX + 1] = '\0';
	assert_false(idempotency_key_valid(long_key));
}

static void
test_insert_then_replay(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request r = request(1, "POST /v1/b/x/ships", "k1",
	    7);
	const struct idempotency_response *resp;
	struct idempotency_entry *e;

	done(idx, &r, 1000);
	assert_int_equal(idempotency_count(idx), 1);
	assert_int_equal(idempotency_begin(idx, &r, 2000, &e),
	    IDEMPOTENCY_REPLAY);
	resp = idempotency_response(e);
	assert_non_null(resp);
	assert_int_equal(resp->status, 201);
	assert_string_equal(resp->content_type, "application/json");
	assert_null(resp->location);
	assert_int_equal(resp->body_len, 11);
	assert_memory_equal(resp->body, "{\"ship\":3}\n", 11);
	assert_int_equal(idempotency_entry_created(e), 1000);
	assert_int_equal(idempotency_replays(idx), 1);
	/* Nothing new was kept. */
	assert_int_equal(idempotency_count(idx), 1);
	idempotency_free(idx);
}

/*
 * Forgetting a battle takes every finished key naming it, whichever
 * caller sent it and whatever keys of other battles came between, and
 * nothing else; an unfinished one stays until a later forget.  Keys are
 * kept per battle (its record made again after its last key went).
 */
static void
test_forget_battle_among_many(void **state)
{
	struct idempotency *idx = index_new(1000, 2000);
	char battles[200][8], keys[200][5][8];
	struct idempotency_entry *e, *inflight;
	struct idempotency_request r;

	for (int b = 0; b < 200; b++) {
		snprintf(battles[b], sizeof(battles[b]), "b%d", b);
		for (int k = 0; k < 5; k++) {
			snprintf(keys[b][k], sizeof(keys[b][k]), "k%d", k);
			r = request(1 + k % 3, battles[b], keys[b][k], 1);
			r.battle = battles[b];
			done(idx, &r, 1);
		}
	}
	assert_int_equal(idempotency_count(idx), 1000);
	r = request(9, battles[7], "late", 1);
	r.battle = battles[7];
	assert_int_equal(idempotency_begin(idx, &r, 2, &inflight),
	    IDEMPOTENCY_NEW);
	assert_int_equal(idempotency_forget_battle(idx, "b7"), 5);
	assert_int_equal(idempotency_forget_battle(idx, "b7"), 0);
	assert_int_equal(idempotency_forget_battle(idx, "b999"), 0);
	assert_int_equal(idempotency_count(idx), 996);
	for (int b = 0; b < 200; b += 37) {
		r = request(1, battles[b], "k0", 1);
		r.battle = battles[b];
		assert_int_equal(idempotency_begin(idx, &r, 3, &e),
		    b == 7 ? IDEMPOTENCY_NEW : IDEMPOTENCY_REPLAY);
		if (b == 7)
			idempotency_abandon(idx, e);
	}
	idempotency_set_response(inflight, &created);
	idempotency_finish(idx, inflight);
	assert_int_equal(idempotency_forget_battle(idx, "b7"), 1);
	assert_int_equal(idempotency_forget_battle(idx, "b199"), 5);
	/* b199's record went with its last key; a new key makes it again. */
	r = request(2, battles[199], "again", 1);
	r.battle = battles[199];
	done(idx, &r, 4);
	assert_int_equal(idempotency_forget_battle(idx, "b199"), 1);
	assert_int_equal(idempotency_count(idx), 990);
	assert_int_equal(idempotency_expire(idx, 1 + 24 * HOUR), 990);
	assert_int_equal(idempotency_forget_battle(idx, "b0"), 0);
	idempotency_free(idx);
}

static void
test_scope_is_caller_and_target(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request a = request(1, "POST /t", "k", 1);
	struct idempotency_request other_caller = request(2, "POST /t", "k", 1);
	struct idempotency_request other_target = request(1, "POST /u", "k", 1);
	struct idempotency_entry *e;

	done(idx, &a, 0);
	assert_int_equal(idempotency_begin(idx, &other_caller, 1, &e),
	    IDEMPOTENCY_NEW);
	idempotency_abandon(idx, e);
	assert_int_equal(idempotency_begin(idx, &other_target, 1, &e),
	    IDEMPOTENCY_NEW);
	idempotency_abandon(idx, e);
	assert_int_equal(idempotency_count(idx), 1);
	assert_int_equal(idempotency_replays(idx), 0);
	idempotency_free(idx);
}

static void
test_mismatch(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request r = request(1, "POST /t", "k", 1);
	struct idempotency_request changed = request(1, "POST /t", "k", 2);
	struct idempotency_entry *e;

	done(idx, &r, 0);
	assert_int_equal(idempotency_begin(idx, &changed, 5, &e),
	    IDEMPOTENCY_MISMATCH);
	/* The stored answer is untouched, and still replays. */
	assert_int_equal(idempotency_begin(idx, &r, 6, &e),
	    IDEMPOTENCY_REPLAY);
	assert_int_equal(idempotency_response(e)->status, 201);
	idempotency_free(idx);
}

static void
test_in_flight_then_finished_or_abandoned(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request r = request(1, "POST /t", "k", 1);
	struct idempotency_entry *first, *e;

	assert_int_equal(idempotency_begin(idx, &r, 0, &first),
	    IDEMPOTENCY_NEW);
	assert_int_equal(idempotency_begin(idx, &r, 1, &e),
	    IDEMPOTENCY_IN_FLIGHT);
	assert_ptr_equal(e, first);
	/* An answer set but not committed is still in flight. */
	idempotency_set_response(first, &created);
	assert_int_equal(idempotency_begin(idx, &r, 2, &e),
	    IDEMPOTENCY_IN_FLIGHT);
	idempotency_finish(idx, first);
	assert_int_equal(idempotency_begin(idx, &r, 3, &e),
	    IDEMPOTENCY_REPLAY);

	/* Refused: the key is free again. */
	r.key = "k2";
	assert_int_equal(idempotency_begin(idx, &r, 4, &first),
	    IDEMPOTENCY_NEW);
	idempotency_abandon(idx, first);
	assert_int_equal(idempotency_begin(idx, &r, 5, &e), IDEMPOTENCY_NEW);
	idempotency_abandon(idx, e);
	idempotency_free(idx);
}

static void
test_per_caller_bound_forgets_the_oldest(void **state)
{
	struct idempotency *idx = index_new(4, 0);
	struct idempotency_request r;
	struct idempotency_entry *e, *inflight;
	struct idempotency_gone *gone;
	size_t ngone;
	char keys[8][8];

	for (int i = 0; i < 8; i++)
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
	/* k0 stays in flight: it must never be pushed out. */
	r = request(1, "POST /t", keys[0], 1);
	assert_int_equal(idempotency_begin(idx, &r, 0, &inflight),
	    IDEMPOTENCY_NEW);
	for (int i = 1; i < 6; i++) {
		r = request(1, "POST /t", keys[i], 1);
		done(idx, &r, i);
	}
	/* k4 pushed k1 out, k5 k2: named for the sweep, once. */
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 0);
	assert_int_equal(ngone, 2);
	assert_string_equal(gone[0].key, "k1");
	assert_string_equal(gone[0].target, "POST /t");
	assert_int_equal(gone[0].caller[0], 1);
	assert_int_equal(gone[0].created, 1);
	assert_string_equal(gone[1].key, "k2");
	idempotency_gone_free(gone, ngone);
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 0);
	assert_int_equal(ngone, 0);
	/* Another caller is not affected by caller 1's bound. */
	r = request(2, "POST /t", "mine", 1);
	done(idx, &r, 10);
	assert_int_equal(idempotency_count(idx), 5);
	r = request(1, "POST /t", keys[0], 1);
	assert_int_equal(idempotency_begin(idx, &r, 11, &e),
	    IDEMPOTENCY_IN_FLIGHT);
	for (int i = 3; i < 6; i++) {
		r = request(1, "POST /t", keys[i], 1);
		assert_int_equal(idempotency_begin(idx, &r, 12, &e),
		    IDEMPOTENCY_REPLAY);
	}
	/* k1 and k2, the oldest finished ones, were forgotten. */
	for (int i = 1; i <= 2; i++) {
		r = request(1, "POST /t", keys[i], 1);
		assert_int_equal(idempotency_begin(idx, &r, 12, &e),
		    IDEMPOTENCY_NEW);
		idempotency_abandon(idx, e);
	}
	r = request(2, "POST /t", "mine", 1);
	assert_int_equal(idempotency_begin(idx, &r, 13, &e),
	    IDEMPOTENCY_REPLAY);
	idempotency_abandon(idx, inflight);
	idempotency_free(idx);
}

static void
test_total_bound(void **state)
{
	struct idempotency *idx = index_new(0, 3);
	struct idempotency_request r;
	struct idempotency_entry *e;
	struct idempotency_gone *gone;
	size_t ngone;

	for (int who = 1; who <= 5; who++) {
		r = request(who, "POST /t", "k", 1);
		done(idx, &r, who);
	}
	/* Callers 1 and 2 were pushed out. */
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 0);
	assert_int_equal(ngone, 2);
	assert_int_equal(gone[0].caller[0], 1);
	assert_int_equal(gone[1].caller[0], 2);
	idempotency_gone_free(gone, ngone);
	assert_int_equal(idempotency_count(idx), 3);
	r = request(1, "POST /t", "k", 1);
	assert_int_equal(idempotency_begin(idx, &r, 9, &e), IDEMPOTENCY_NEW);
	idempotency_abandon(idx, e);
	r = request(5, "POST /t", "k", 1);
	assert_int_equal(idempotency_begin(idx, &r, 9, &e),
	    IDEMPOTENCY_REPLAY);
	idempotency_free(idx);
}

static void
test_expiry(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request a = request(1, "POST /t", "a", 1);
	struct idempotency_request b = request(1, "POST /t", "b", 1);
	struct idempotency_request c = request(1, "POST /t", "c", 1);
	struct idempotency_entry *e, *inflight;

	done(idx, &a, 0);
	done(idx, &b, 10 * HOUR);
	assert_int_equal(idempotency_begin(idx, &c, 11 * HOUR, &inflight),
	    IDEMPOTENCY_NEW);
	/* Just before a's 24 h: nothing expires. */
	assert_int_equal(idempotency_expire(idx, 24 * HOUR - 1), 0);
	assert_int_equal(idempotency_begin(idx, &a, 24 * HOUR - 1, &e),
	    IDEMPOTENCY_REPLAY);
	assert_int_equal(idempotency_expire(idx, 24 * HOUR), 1);
	assert_int_equal(idempotency_count(idx), 2);
	/* b expires on lookup too, without a sweep. */
	assert_int_equal(idempotency_begin(idx, &b, 34 * HOUR, &e),
	    IDEMPOTENCY_NEW);
	idempotency_abandon(idx, e);
	/* A key in flight outlives its time to live. */
	assert_int_equal(idempotency_expire(idx, 100 * HOUR), 0);
	assert_int_equal(idempotency_begin(idx, &c, 100 * HOUR, &e),
	    IDEMPOTENCY_IN_FLIGHT);
	idempotency_abandon(idx, inflight);
	assert_int_equal(idempotency_count(idx), 0);
	idempotency_free(idx);
}

/*
 * Expired keys are named to the sweep like those past the bounds, so
 * that it deletes their rows by key (SQLite keeps no index on expiry):
 * those the sweep expires and those found expired on lookup; a key in
 * flight or abandoned was never stored, and is not named.
 */
static void
test_expired_are_gone(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request a = request(1, "POST /t", "a", 1);
	struct idempotency_request b = request(2, "POST /t", "b", 1);
	struct idempotency_request c = request(3, "POST /t", "c", 1);
	struct idempotency_gone *gone;
	struct idempotency_entry *e, *inflight;
	size_t ngone;

	done(idx, &a, 0);
	done(idx, &b, 1);
	assert_int_equal(idempotency_begin(idx, &c, 2, &inflight),
	    IDEMPOTENCY_NEW);
	assert_int_equal(idempotency_expire(idx, 24 * HOUR), 1);
	/* b, found expired when its key comes again, and used anew. */
	assert_int_equal(idempotency_begin(idx, &b, 24 * HOUR + 1, &e),
	    IDEMPOTENCY_NEW);
	idempotency_abandon(idx, e);
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 0);
	assert_int_equal(ngone, 2);
	assert_string_equal(gone[0].key, "a");
	assert_int_equal(gone[0].created, 0);
	assert_string_equal(gone[1].key, "b");
	assert_int_equal(gone[1].caller[0], 2);
	assert_int_equal(gone[1].created, 1);
	assert_string_equal(gone[1].battle, "b1");
	idempotency_gone_free(gone, ngone);
	idempotency_abandon(idx, inflight);
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 0);
	assert_int_equal(ngone, 0);
	idempotency_free(idx);
}

static void
test_restore_and_forget_battle(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request a = request(1, "POST /t", "a", 1);
	struct idempotency_request b = request(1, "POST /t", "b", 1);
	struct idempotency_request old = request(1, "POST /t", "old", 1);
	struct idempotency_entry *e;

	b.battle = "b2";
	assert_int_equal(idempotency_restore(idx, &old, 0, &created,
	    30 * HOUR), -1);
	assert_int_equal(idempotency_restore(idx, &a, 20 * HOUR, &created,
	    30 * HOUR), 0);
	assert_int_equal(idempotency_restore(idx, &a, 20 * HOUR, &created,
	    30 * HOUR), -1);
	assert_int_equal(idempotency_restore(idx, &b, 21 * HOUR, &created,
	    30 * HOUR), 0);
	assert_int_equal(idempotency_begin(idx, &a, 30 * HOUR, &e),
	    IDEMPOTENCY_REPLAY);
	assert_string_equal(idempotency_entry_request(e)->battle, "b1");
	assert_int_equal(idempotency_forget_battle(idx, "b1"), 1);
	assert_int_equal(idempotency_forget_battle(idx, ""), 0);
	assert_int_equal(idempotency_begin(idx, &a, 30 * HOUR, &e),
	    IDEMPOTENCY_NEW);
	idempotency_abandon(idx, e);
	assert_int_equal(idempotency_begin(idx, &b, 30 * HOUR, &e),
	    IDEMPOTENCY_REPLAY);
	idempotency_free(idx);
}

/* Many callers and keys: the tables grow and every key is still found. */
static void
test_many_keys(void **state)
{
	struct idempotency *idx = index_new(0, 0);
	struct idempotency_request r;
	struct idempotency_entry *e;
	char key[16];

	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		r = request(i % 200, "POST /t", key, 1);
		done(idx, &r, i);
	}
	assert_int_equal(idempotency_count(idx), 3000);
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		r = request(i % 200, "POST /t", key, 1);
		assert_int_equal(idempotency_begin(idx, &r, 4000, &e),
		    IDEMPOTENCY_REPLAY);
	}
	assert_int_equal(idempotency_expire(idx, 24 * HOUR + 2999), 3000);
	assert_int_equal(idempotency_count(idx), 0);
	idempotency_free(idx);
}

/* Past IDEMPOTENCY_GONE_MAX forgotten keys, the sweep trims whole. */
static void
test_gone_overflow(void **state)
{
	struct idempotency *idx = index_new(1, 0);
	struct idempotency_request r;
	struct idempotency_gone *gone;
	size_t ngone;
	char key[16];

	for (int i = 0; i <= IDEMPOTENCY_GONE_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		r = request(1, "POST /t", key, 1);
		done(idx, &r, i);
	}
	/* Each key but the first pushed the one before out: exactly MAX. */
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 0);
	assert_int_equal(ngone, IDEMPOTENCY_GONE_MAX);
	idempotency_gone_free(gone, ngone);
	for (int i = 0; i <= IDEMPOTENCY_GONE_MAX + 1; i++) {
		snprintf(key, sizeof(key), "x%d", i);
		r = request(1, "POST /t", key, 1);
		done(idx, &r, i);
	}
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 1);
	assert_int_equal(ngone, 0);
	assert_null(gone);
	assert_int_equal(idempotency_take_gone(idx, &gone, &ngone), 0);
	idempotency_free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_syntax),
		cmocka_unit_test(test_insert_then_replay),
		cmocka_unit_test(test_scope_is_caller_and_target),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_in_flight_then_finished_or_abandoned),
		cmocka_unit_test(test_per_caller_bound_forgets_the_oldest),
		cmocka_unit_test(test_total_bound),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_restore_and_forget_battle),
		cmocka_unit_test(test_forget_battle_among_many),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_gone_overflow),
		cmocka_unit_test(test_expired_are_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
