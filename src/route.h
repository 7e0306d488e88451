/*
 * The router: transport-neutral requests to handlers (src/api/).
 *
 * A route is a path pattern ("/v1/battles/{id}/ships/{ship}"; "{name}"
 * matches one non-empty segment, a final "{*}" matches any rest), the
 * methods it accepts and a handler.  Routes are tried in order.  A path no
 * route matches is 404; a path that matches only with other methods is 405
 * with Allow (a "{*}" route never causes a 405: its misses are 404).
 *
 * The router also keeps the request metrics: requests by route and status,
 * and request latency (metrics.h).  Loop thread only.
 */
#ifndef BROADSIDE_ROUTE_H
#define BROADSIDE_ROUTE_H

#include "request.h"

struct loop;
struct metrics;

/* ctx is the router's context pointer (for src/api, a struct api_ctx). */
typedef void (*route_handler)(struct request *req, void *ctx);

/*
 * Route flags.  ROUTE_STREAMS: the handler answers with an event stream
 * (response.stream), which lives as long as the connection; transports
 * that keep such connections apart ask router_streams() before the
 * request is parsed.  ROUTE_QUERY_TOKEN: a GET or HEAD may carry its
 * bearer token as ?access_token= (RFC 6750), for the browser's
 * EventSource and pages opened from a link, which cannot send headers;
 * any other request that carries one is refused with 400, so that tokens
 * stay out of the URLs (and logs) of requests that can use the header.
 */
enum {
	ROUTE_STREAMS = 1 << 0,
	ROUTE_QUERY_TOKEN = 1 << 1,
};

struct route {
	const char *pattern;
	unsigned methods;	/* enum http_method bits */
	route_handler handler;
	const char *name;	/* metrics label: "battles", "healthz"... */
	unsigned flags;		/* ROUTE_* */
};

enum route_result {
	ROUTE_MATCHED = 0,
	ROUTE_NOT_FOUND = 1,
	ROUTE_BAD_METHOD = 2,
};

/*
 * Creates a router over routes[0..n) (the array must outlive the router).
 * metrics may be NULL (no request metrics); loop gives the time for request
 * latencies and may be NULL only when metrics is.
 */
struct router *router_new(const struct route *routes, size_t n, void *ctx,
    struct metrics *metrics, struct loop *loop);

/* Frees the router.  NULL is a no-op. */
void router_free(struct router *router);

/*
 * Matches method and path.  On ROUTE_MATCHED, *route is set and params
 * receives the decoded {params} (new strings the caller frees; unused
 * slots NULL).  On ROUTE_BAD_METHOD, *allowed has the accepted methods.
 * A path with a malformed percent escape is ROUTE_NOT_FOUND.
 */
enum route_result router_match(const struct router *router,
    enum http_method method, const char *path, const struct route **route,
    char *params[REQUEST_MAX_PARAMS], unsigned *allowed);

/*
 * Whether a request with this method name and raw target (path and
 * query, as on the request line) would be routed to a ROUTE_STREAMS
 * route: 1 or 0.  A target no route takes with that method is 0.  The
 * strings stay the caller's.
 */
int router_streams(const struct router *router, const char *method,
    const char *target);

/*
 * Calls fn(route, arg) for every route of the router, in matching order
 * (the route is the table's, borrowed): what a check that must cover the
 * whole table walks, such as the authorization matrix in
 * tests/unit/test_authz.c.  fn must not free the router.
 */
void router_each(const struct router *router,
    void (*fn)(const struct route *route, void *arg), void *arg);

/*
 * Routes req to its handler, or answers 404/405 itself.  The request is
 * answered through request_respond() either way.
 */
void router_dispatch(struct router *router, struct request *req);

/* Called by request_respond(): records status and latency. */
void router_observe(struct router *router, const struct request *req,
    int status);

#endif
