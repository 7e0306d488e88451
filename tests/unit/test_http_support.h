/*
 * What the unit tests that answer requests without a network share: a
 * transport that keeps the last response for the test to look at, and
 * requests made for it.
 */
#ifndef BROADSIDE_TEST_HTTP_SUPPORT_H
#define BROADSIDE_TEST_HTTP_SUPPORT_H

#include "loop.h"
#include "request.h"
#include "route.h"

/* The last response given through test_transport (the test frees it). */
extern struct response *last;

/* Keeps each response in last, freeing the one before. */
extern const struct request_transport test_transport;

/* A request for method and path (raw) answered through test_transport. */
struct request *test_request(const char *method, const char *path);

/*
 * Dispatches req through router, turning loop until it is answered (a
 * change is answered after its commit; the test fails after 50 s), and
 * frees it.  Returns the status; the response stays in last.  *at_once,
 * if not NULL, tells whether the answer came before the loop turned.
 */
int test_answer(struct router *router, struct loop *loop,
    struct request *req, int *at_once);

/* The string member key of last's JSON body, as a new string (asserts). */
char *test_body_string(const char *key);

#endif
