/*
 * Unit tests for JSON Merge Patch (src/patch.c), with the examples of
 * RFC 7386 appendix A and round trips: apply(old, diff(old, new)) == new.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "patch.h"

static json_t *
j(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	assert_non_null(v);
	return v;
}

static void
test_rfc7386_examples(void **state)
{
	static const char *const cases[][3] = {
		{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
		{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
		{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
		{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
		  "{\"a\":{\"b\":\"d\"}}" },
		{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
		{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
		{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
		{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
		{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
		{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *target = j(cases[i][0]), *patch = j(cases[i][1]);
		json_t *want = j(cases[i][2]);
		json_t *got = patch_apply(target, patch);

		assert_true(json_equal(got, want));
		/* In place, where target and patch are objects: the same. */
		if (json_is_object(target) && json_is_object(patch)) {
			patch_merge(target, patch);
			assert_true(json_equal(target, want));
		}
		json_decref(target);
		json_decref(patch);
		json_decref(want);
		json_decref(got);
	}
}

static void
test_diff_is_minimal_and_round_trips(void **state)
{
	json_t *old = j("{\"round\":2,\"ships\":{\"1\":{\"x\":10,\"y\":5,"
	    "\"hull\":40},\"2\":{\"x\":1,\"y\":1}},\"phase\":\"planning\"}");
	json_t *new_ = j("{\"round\":2,\"ships\":{\"1\":{\"x\":12,\"y\":5,"
	    "\"hull\":40},\"3\":{\"x\":7,\"y\":7}},\"phase\":\"planning\"}");
	json_t *d = patch_diff(old, new_), *want, *back;
	char *text;

	want = j("{\"ships\":{\"1\":{\"x\":12},\"2\":null,\"3\":{\"x\":7,"
	    "\"y\":7}}}");
	assert_true(json_equal(d, want));
	back = patch_apply(old, d);
	assert_true(json_equal(back, new_));
	/* The inputs are left alone. */
	text = json_dumps(old, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(strstr(text, "\"2\":{\"x\":1,\"y\":1}"));
	free(text);
	assert_null(patch_diff(old, old));
	json_decref(old);
	json_decref(new_);
	json_decref(d);
	json_decref(want);
	json_decref(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7386_examples),
		cmocka_unit_test(test_diff_is_minimal_and_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
