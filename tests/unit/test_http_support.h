/*
 * What the unit tests that answer requests without a network share: a
 * transport that keeps the last response for the test to look at, and
 * requests made for it.
 */
#ifndef BROADSIDE_TEST_HTTP_SUPPORT_H
#define BROADSIDE_TEST_HTTP_SUPPORT_H

#include "request.h"

/* The last response given through test_transport (the test frees it). */
extern struct response *last;

/* Keeps each response in last, freeing the one before. */
extern const struct request_transport test_transport;

/* A request for method and path (raw) answered through test_transport. */
struct request *test_request(const char *method, const char *path);

#endif
