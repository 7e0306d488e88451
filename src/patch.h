/*
 * JSON Merge Patch (RFC 7386): the difference between two JSON values as
 * a patch that turns the first into the second, and applying a patch.
 *
 * Objects are compared member by member and recursively; anything else
 * (arrays, numbers, strings...) is replaced whole when it differs.  A
 * member present in the old object and absent from the new one becomes
 * null.  Merge patches cannot say "set this member to null", so the
 * values diffed here must not hold nulls (the game's projections do not).
 *
 * Pure: no I/O.  Any thread.
 */
#ifndef BROADSIDE_PATCH_H
#define BROADSIDE_PATCH_H

#include <jansson.h>

/*
 * The merge patch from old to new as a new reference, or NULL when they
 * are equal.  Both arguments are borrowed.
 */
json_t *patch_diff(const json_t *old, const json_t *new_);

/*
 * Applies patch to target and returns the result (a new reference; the
 * target is borrowed and left unchanged).
 */
json_t *patch_apply(const json_t *target, const json_t *patch);

/*
 * Applies an object patch to the object target in place, copying what it
 * takes from the patch: patch_apply() without copying the whole target,
 * for a client that keeps one document up to date.  Nothing else may hold
 * a reference to target or to the objects inside it.
 */
void patch_merge(json_t *target, const json_t *patch);

#endif
