/*
 * Strict field readers for the JSON the engine takes (see field.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "error.h"
#include "game/field.h"
#include "game/state.h"

int
field_check(const json_t *obj, const char *what,
    const char *const *allowed, struct refusal *why)
{
	const char *key;
	json_t *value;
	size_t i;

	if (!json_is_object(obj))
		return refuse(why, REFUSAL_MALFORMED,
		    "%s must be a JSON object", what);
	json_object_foreach((json_t *)obj, key, value) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return refuse(why, REFUSAL_UNKNOWN_FIELD,
			    "%s has no field \"%.64s\"; remove it", what, key);
	}
	return 0;
}

/* Parses an optional '-' and 1..10 decimal digits, nothing else. */
static bool
parse_decimal(const char *s, long long *out)
{
	long long v = 0;
	bool negative = false;
	size_t digits = 0;

	if (*s == '-') {
		negative = true;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (*s != '\0' || digits == 0)
		return false;
	*out = negative ? -v : v;
	return true;
}

int
field_value_int(const json_t *v, const char *name, int min, int max,
    int *out, struct refusal *why)
{
	long long n;

	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (!json_is_string(v) ||
	    !parse_decimal(json_string_value(v), &n))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"%s\" must be an integer", name);
	if (n < min || n > max)
		return refuse(why, REFUSAL_OUT_OF_BOUNDS,
		    "\"%s\" must be between %d and %d", name, min, max);
	*out = (int)n;
	return 0;
}

int
field_int(const json_t *obj, const char *key, int min, int max, int *out,
    struct refusal *why)
{
	json_t *v = json_object_get(obj, key);
	int rc;

	if (v == NULL)
		return 0;
	rc = field_value_int(v, key, min, max, out, why);
	return rc < 0 ? rc : 1;
}

int
field_need_int(const json_t *obj, const char *key, int min, int max,
    int *out, struct refusal *why)
{
	int rc = field_int(obj, key, min, max, out, why);

	if (rc == 0)
		return refuse(why, REFUSAL_MALFORMED,
		    "\"%s\" is missing; give an integer", key);
	return rc < 0 ? rc : 0;
}

int
field_int64(const json_t *obj, const char *key, int64_t *out,
    struct refusal *why)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"%s\" must be an integer", key);
	*out = json_integer_value(v);
	return 1;
}

int
field_bool(const json_t *obj, const char *key, bool *out,
    struct refusal *why)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (v == NULL)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 1;
	}
	s = json_string_value(v);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)) {
		*out = true;
		return 1;
	}
	if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)) {
		*out = false;
		return 1;
	}
	return refuse(why, REFUSAL_MALFORMED,
	    "\"%s\" must be true or false", key);
}

int
field_string(const json_t *obj, const char *key, size_t max,
    bool may_be_empty, const char **out, struct refusal *why)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"%s\" must be a string", key);
	if (json_string_length(v) == 0 && !may_be_empty)
		return refuse(why, REFUSAL_MALFORMED,
		    "\"%s\" must not be empty", key);
	if (json_string_length(v) > max)
		return refuse(why, REFUSAL_TEXT_TOO_LONG,
		    "\"%s\" is longer than %zu bytes; shorten it", key, max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return refuse(why, REFUSAL_MALFORMED,
		    "\"%s\" must not contain NUL characters", key);
	*out = json_string_value(v);
	return 1;
}

int
field_need_string(const json_t *obj, const char *key, size_t max,
    const char **out, struct refusal *why)
{
	int rc = field_string(obj, key, max, false, out, why);

	if (rc == 0)
		return refuse(why, REFUSAL_MALFORMED,
		    "\"%s\" is missing; give a string", key);
	return rc < 0 ? rc : 0;
}
