/*
 * The request handlers, one file per resource (DESIGN.md, "Resources"),
 * and the route table that binds them to paths.  Every handler takes the
 * daemon as its context and answers through request_respond().
 */
#ifndef BROADSIDE_API_H
#define BROADSIDE_API_H

#include <stddef.h>

#include "request.h"
#include "route.h"

/* The routes in the order they are tried. */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/* health.c: GET /healthz, GET /readyz. */
void api_healthz(struct request *req, void *daemon);
void api_readyz(struct request *req, void *daemon);

/* metrics.c: GET /metrics in the Prometheus text format. */
void api_metrics(struct request *req, void *daemon);

/* static.c: the pages and assets under --www. */
void api_static(struct request *req, void *daemon);

/*
 * The bearer token of a request: "Authorization: Bearer T", else the
 * access_token query parameter (RFC 6750).  A new string, or NULL.
 */
char *api_request_token(const struct request *req);

#endif
