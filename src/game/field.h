/*
 * Reading the fields of orders, GM edits and saved battles strictly:
 * every key must be known, every value of the right type and range, and
 * the refusal names the field.  Integers may be JSON integers or decimal
 * strings, booleans true/false or "true"/"false"/"1"/"0", so that a flat
 * form converted key by key into JSON is accepted as it is.  Internal to
 * src/game/.
 */
#ifndef BROADSIDE_GAME_FIELD_H
#define BROADSIDE_GAME_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "game/game.h"

/*
 * Checks that obj is an object (what names it in the refusal) with no key
 * outside allowed (NULL-terminated).  0, or BS_ERR_INVALID.
 */
int field_check(const json_t *obj, const char *what,
    const char *const *allowed, struct refusal *why);

/*
 * Reads obj[key] as an integer in min..max.  Returns 1 and sets *out if
 * present, 0 if absent (*out untouched), or BS_ERR_INVALID.
 */
int field_int(const json_t *obj, const char *key, int min, int max,
    int *out, struct refusal *why);

/* As field_int(), but a missing key is refused: 0 or BS_ERR_INVALID. */
int field_need_int(const json_t *obj, const char *key, int min, int max,
    int *out, struct refusal *why);

/* Reads a value (an array element, say) as field_int() reads a field. */
int field_value_int(const json_t *v, const char *name, int min, int max,
    int *out, struct refusal *why);

/* Reads a 64-bit integer (JSON integer only): 1, 0 or BS_ERR_INVALID. */
int field_int64(const json_t *obj, const char *key, int64_t *out,
    struct refusal *why);

/* Reads a boolean: 1 and *out, 0 if absent, or BS_ERR_INVALID. */
int field_bool(const json_t *obj, const char *key, bool *out,
    struct refusal *why);

/*
 * Reads a string of 1..max bytes (0..max if may_be_empty): 1 and *out
 * (borrowed from obj), 0 if absent, or BS_ERR_INVALID / BS_ERR_TOO_LARGE.
 */
int field_string(const json_t *obj, const char *key, size_t max,
    bool may_be_empty, const char **out, struct refusal *why);

/* As field_string(), but a missing key is refused. */
int field_need_string(const json_t *obj, const char *key, size_t max,
    const char **out, struct refusal *why);

#endif
