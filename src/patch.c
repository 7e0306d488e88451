/*
 * JSON Merge Patch (patch.h).
 */
#include "config.h"

#include "patch.h"

json_t *
patch_diff(const json_t *old, const json_t *new_)
{
	const char *key;
	json_t *patch, *v;

	if (!json_is_object(old) || !json_is_object(new_))
		return json_equal(old, new_) ? NULL : json_deep_copy(new_);
	patch = json_object();
	json_object_foreach((json_t *)old, key, v) {
		if (json_object_get(new_, key) == NULL)
			json_object_set_new(patch, key, json_null());
	}
	json_object_foreach((json_t *)new_, key, v) {
		json_t *before = json_object_get(old, key);
		json_t *d;

		if (before == NULL) {
			json_object_set_new(patch, key, json_deep_copy(v));
			continue;
		}
		d = patch_diff(before, v);
		if (d != NULL)
			json_object_set_new(patch, key, d);
	}
	if (json_object_size(patch) == 0) {
		json_decref(patch);
		return NULL;
	}
	return patch;
}

void
patch_merge(json_t *target, const json_t *patch)
{
	const char *key;
	json_t *v, *cur;

	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v))
			json_object_del(target, key);
		else if (json_is_object(v) &&
		    json_is_object(cur = json_object_get(target, key)))
			patch_merge(cur, v);
		else
			json_object_set_new(target, key, patch_apply(NULL, v));
	}
}

json_t *
patch_apply(const json_t *target, const json_t *patch)
{
	json_t *result;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	result = json_is_object(target) ? json_deep_copy(target) :
	    json_object();
	patch_merge(result, patch);
	return result;
}
