/*
 * A small synchronous HTTP client for the integration tests (libcurl easy
 * interface + jansson): one call, one request, the status and the body
 * parsed as JSON when it is JSON.  Tests only; one thread.
 */
#ifndef BROADSIDE_TEST_CLIENT_H
#define BROADSIDE_TEST_CLIENT_H

#include <jansson.h>

struct reply {
	long status;
	char *body;		/* NUL-terminated, never NULL after a call */
	size_t len;
	json_t *json;		/* the body parsed, or NULL */
	char content_type[128];
	char retry_after[32];
};

/*
 * Sets the base URL ("http://127.0.0.1:PORT") for every call.  With
 * BS_CLIENT_HTTP2=1 in the environment every call speaks HTTP/2 (prior
 * knowledge) instead of HTTP/1.1.
 */
void client_init(const char *base);

/* Frees libcurl's state. */
void client_cleanup(void);

/*
 * Sends method path (relative to the base) with an optional bearer token
 * and body (Content-Type: content_type, or application/json when NULL).
 * A 429 is waited out (Retry-After) and retried up to five times.
 * Returns 0, or -1 if no HTTP answer came (connection refused, timeout);
 * r is always filled and must be released with reply_free().
 */
int client_call(struct reply *r, const char *method, const char *path,
    const char *token, const char *body, const char *content_type);

/* With on set, a 429 is returned instead of waited out and retried. */
void client_no_retry(int on);

/* As client_call with a JSON body built from a jansson object (stolen). */
int client_json(struct reply *r, const char *method, const char *path,
    const char *token, json_t *body);

void reply_free(struct reply *r);

/* A string member of the reply's JSON, or "" (never NULL). */
const char *reply_str(const struct reply *r, const char *key);

/* Whether the reply is problem+json with this status and type suffix. */
int reply_is_problem(const struct reply *r, long status, const char *slug);

/* Prints a failure with the reply and exits 1. */
void reply_fail(const struct reply *r, const char *what)
    __attribute__((noreturn));

/* Checks the status; fails with the reply otherwise. */
void expect_status(const struct reply *r, long status, const char *what);

#endif
