/*
 * What the unit tests that answer requests without a network share: a
 * transport that keeps the last response for the test to look at.
 */
#ifndef BROADSIDE_TEST_HTTP_SUPPORT_H
#define BROADSIDE_TEST_HTTP_SUPPORT_H

#include "request.h"

/* The last response given through test_transport (the test frees it). */
extern struct response *last;

/* Keeps each response in last, freeing the one before. */
extern const struct request_transport test_transport;

#endif
