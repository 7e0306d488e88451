/*
 * Fuzz target: JSON Merge Patch (src/patch.c).  The input is two JSON
 * texts separated by a NUL byte, old and new.  Besides not crashing, the
 * module's promises are checked: the diff from old to new applied to old
 * gives new (when new holds no null, as patch.h requires), and
 * patch_merge() in place gives what patch_apply() gives.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "fuzz.h"
#include "patch.h"

static int
holds_null(const json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	if (json_is_null(v))
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, m)
			if (holds_null(m))
				return 1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (holds_null(m))
				return 1;
	}
	return 0;
}

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_patch: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t alen, blen;
	json_t *old, *new_, *diff, *applied, *merged;

	fuzz_split(data, size, 0, &a, &alen, &b, &blen);
	if (b == NULL)
		return 0;
	old = json_loadb((const char *)a, alen, JSON_DECODE_ANY, NULL);
	new_ = json_loadb((const char *)b, blen, JSON_DECODE_ANY, NULL);
	if (old == NULL || new_ == NULL)
		goto out;

	diff = patch_diff(old, new_);
	if (diff == NULL) {
		if (!json_equal(old, new_))
			fail("no diff between different values");
	} else if (!holds_null(new_)) {
		applied = patch_apply(old, diff);
		if (!json_equal(applied, new_))
			fail("old + diff(old, new) is not new");
		json_decref(applied);
	}
	json_decref(diff);

	/* new_ as a patch of old: in place and copied agree. */
	applied = patch_apply(old, new_);
	if (json_is_object(old) && json_is_object(new_)) {
		merged = json_deep_copy(old);
		patch_merge(merged, new_);
		if (!json_equal(merged, applied))
			fail("patch_merge() and patch_apply() differ");
		json_decref(merged);
	}
	json_decref(applied);
out:
	json_decref(old);
	json_decref(new_);
	return 0;
}
