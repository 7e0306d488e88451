/*
 * JSON Merge Patch (patch.h).
 */
#include "config.h"

#include "patch.h"

/*
 * The patch object is made when the first difference is found: most of
 * a document's objects are unchanged from one publish to the next, and
 * an empty object made and thrown away for each was most of the cost.
 */
json_t *
patch_diff(const json_t *old, const json_t *new_)
{
	const char *key;
	json_t *patch = NULL, *v, *d;

	if (!json_is_object(old) || !json_is_object(new_))
		return json_equal(old, new_) ? NULL : json_deep_copy(new_);
	json_object_foreach((json_t *)old, key, v) {
		if (json_object_get(new_, key) == NULL) {
			if (patch == NULL)
				patch = json_object();
			json_object_set_new(patch, key, json_null());
		}
	}
	json_object_foreach((json_t *)new_, key, v) {
		json_t *before = json_object_get(old, key);

		d = before == NULL ? json_deep_copy(v) : patch_diff(before, v);
		if (d == NULL)
			continue;
		if (patch == NULL)
			patch = json_object();
		json_object_set_new(patch, key, d);
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
