/*
 * Request bodies and refusals shared by every handler (api.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "api/api.h"
#include "error.h"

/* Whether Content-Type names type (parameters such as charset ignored). */
static int
content_type_is(const char *ct, const char *type)
{
	size_t len = strlen(type);

	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, type, len) == 0 &&
	    (ct[len] == '\0' || ct[len] == ';' || ct[len] == ' ');
}

/*
 * The form as a JSON object of strings.  NULL on a malformed pair, or,
 * with *dup set to the name (a new string), on a name given twice: JSON
 * bodies refuse duplicate members, and so do forms, rather than keep
 * one of the two silently.
 */
static json_t *
parse_form(struct request *req, char **dup)
{
	json_t *obj = json_object();
	const char *p = req->body;
	const char *end = req->body + req->body_len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		char *key, *value;

		if (stop == p) {
			p++;
			continue;
		}
		key = url_decode(p, (size_t)((eq ? eq : stop) - p), 1);
		value = eq ? url_decode(eq + 1, (size_t)(stop - eq - 1), 1)
			   : xstrdup("");
		if (key != NULL && json_object_get(obj, key) != NULL) {
			*dup = key;
			key = NULL;
		}
		if (key == NULL || value == NULL || *key == '\0' ||
		    json_object_set_new(obj, key, json_string(value)) != 0) {
			free(key);
			free(value);
			json_decref(obj);
			return NULL;
		}
		free(key);
		free(value);
		p = stop + 1;
	}
	return obj;
}

json_t *
api_body_object(struct request *req)
{
	const char *ct = request_header(req, "content-type");
	json_error_t jerr;
	json_t *obj;
	size_t i = 0;

	while (i < req->body_len && strchr(" \t\r\n", req->body[i]) != NULL)
		i++;
	if (i == req->body_len)
		return json_object();
	if (ct != NULL && content_type_is(ct, "application/x-www-form-urlencoded")
	    && req->body[i] != '{') {
		char *dup = NULL;

		obj = parse_form(req, &dup);
		if (obj == NULL && dup != NULL)
			request_respond(req, response_problem(400, "bad-form",
			    "Malformed form body", "The form body names '%.64s' "
			    "more than once; send each name once.", dup));
		else if (obj == NULL)
			request_respond(req, response_problem(400, "bad-form",
			    "Malformed form body", "The form body has an empty "
			    "name, a malformed %%-escape or bad UTF-8; send "
			    "name=value pairs joined by &."));
		free(dup);
		return obj;
	}
	/*
	 * curl -d sends form-urlencoded even when the text is JSON, so a
	 * body that starts with '{' is read as JSON whatever it says.
	 */
	if (ct != NULL && !content_type_is(ct, "application/json") &&
	    !content_type_is(ct, "application/x-www-form-urlencoded") &&
	    !content_type_is(ct, "text/plain")) {
		request_respond(req, response_problem(415, "unsupported-media",
		    "Unsupported media type", "Send the body as "
		    "application/json or application/x-www-form-urlencoded."));
		return NULL;
	}
	obj = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (obj == NULL) {
		request_respond(req, response_problem(400, "bad-json",
		    "Malformed JSON", "The body is not valid JSON: %s (line "
		    "%d, column %d).", jerr.text, jerr.line, jerr.column));
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		request_respond(req, response_problem(400, "bad-json",
		    "JSON object expected", "The body must be a JSON object "
		    "({...}), not an array or a bare value."));
		return NULL;
	}
	return obj;
}

void
api_refuse(struct request *req, int err, const char *slug,
    const char *detail)
{
	char type[64];
	const char *title;
	int status = api_refusal_status(err, &title);
	size_t i;

	/* Problem slugs are kebab-case; the engine's names snake_case. */
	for (i = 0; slug[i] != '\0' && i < sizeof(type) - 1; i++)
		type[i] = slug[i] == '_' ? '-' : slug[i];
	type[i] = '\0';
	request_respond(req, response_problem(status, type, title, "%s",
	    detail));
}

int
api_refusal_status(int err, const char **title)
{
	int status;

	switch (err) {
	case BS_ERR_INVALID:
	case BS_ERR_TOO_LARGE:
		status = 422;
		*title = "Refused";
		break;
	case BS_ERR_DENIED:
		status = 403;
		*title = "Not allowed";
		break;
	case BS_ERR_NOT_FOUND:
		status = 404;
		*title = "Not found";
		break;
	case BS_ERR_STATE:
	case BS_ERR_EXISTS:
	case BS_ERR_LIMIT:
		status = 409;
		*title = "Conflict";
		break;
	default:
		status = 500;
		*title = "Internal error";
		break;
	}
	return status;
}

/* A string member of at most max bytes, or NULL when absent. */
int
api_body_string(struct request *req, json_t *body, const char *key, int max,
    const char **out)
{
	json_t *v = json_object_get(body, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > (size_t)max) {
		request_respond(req, response_problem(422, "bad-field",
		    "Bad field", "'%s' must be a string of 1 to %d bytes.",
		    key, max));
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* An integer member (a JSON number or a decimal string), or def. */
int
api_body_int(struct request *req, json_t *body, const char *key, long def,
    long min, long max, long *out)
{
	json_t *v = json_object_get(body, key);
	char *end;

	*out = def;
	if (v == NULL)
		return 0;
	if (json_is_integer(v)) {
		*out = (long)json_integer_value(v);
	} else if (json_is_string(v) && json_string_length(v) > 0) {
		*out = strtol(json_string_value(v), &end, 10);
		if (*end != '\0')
			goto bad;
	} else {
		goto bad;
	}
	if (*out >= min && *out <= max)
		return 0;
bad:
	request_respond(req, response_problem(422, "bad-field", "Bad field",
	    "'%s' must be an integer from %ld to %ld.", key, min, max));
	return -1;
}

/* A boolean member (true/false, or "true"/"false"/"1"/"0"), or def. */
int
api_body_bool(struct request *req, json_t *body, const char *key, int def,
    int *out)
{
	json_t *v = json_object_get(body, key);
	const char *s;

	*out = def;
	if (v == NULL)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	s = json_string_value(v);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
	    strcmp(s, "false") == 0 || strcmp(s, "0") == 0)) {
		*out = s[0] == 't' || s[0] == '1';
		return 0;
	}
	request_respond(req, response_problem(422, "bad-field", "Bad field",
	    "'%s' must be true or false.", key));
	return -1;
}

/* Refuses members the request does not take (a typo changes nothing). */
int
api_body_only(struct request *req, json_t *body, const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v) {
		size_t i;

		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], key) == 0)
				break;
		if (keys[i] == NULL) {
			request_respond(req, response_problem(422,
			    "unknown-field", "Unknown field", "This request "
			    "does not take '%.64s'; see broadside-api(7).",
			    key));
			return -1;
		}
	}
	return 0;
}
