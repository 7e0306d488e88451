/*
 * The router (route.h): pattern matching over path segments, 404/405
 * answers, and the per-route request metrics.
 */
#include "config.h"

#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "loop.h"
#include "metrics.h"

struct router {
	const struct route *routes;
	size_t nroutes;
	void *ctx;
	struct loop *loop;
	struct metric *requests;	/* route, status */
	struct metric *latency;		/* route */
	unsigned char *wildcard;	/* [nroutes]: the pattern has "{*}" */
};

struct router *
router_new(const struct route *routes, size_t n, void *ctx,
    struct metrics *metrics, struct loop *loop)
{
	struct router *router = xcalloc(1, sizeof(*router));

	router->routes = routes;
	router->nroutes = n;
	router->wildcard = xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		router->wildcard[i] = strstr(routes[i].pattern, "{*}") != NULL;
	router->ctx = ctx;
	router->loop = loop;
	if (metrics != NULL) {
		router->requests = metrics_add(metrics, METRIC_COUNTER,
		    "broadside_http_requests_total",
		    "HTTP requests answered, by route and status.",
		    "route,status", NULL, 0);
		router->latency = metrics_add(metrics, METRIC_HISTOGRAM,
		    "broadside_http_request_duration_seconds",
		    "Time from a request's arrival to its answer, by route.",
		    "route", METRICS_LATENCY_BUCKETS,
		    METRICS_LATENCY_NBUCKETS);
	}
	return router;
}

void
router_free(struct router *router)
{
	if (router == NULL)
		return;
	free(router->wildcard);
	free(router);
}

static void
params_clear(char *params[REQUEST_MAX_PARAMS])
{
	for (int i = 0; i < REQUEST_MAX_PARAMS; i++) {
		free(params[i]);
		params[i] = NULL;
	}
}

/*
 * Matches one pattern against a path.  Returns 1 and fills params on a
 * match, 0 otherwise (params left empty).  A malformed escape in a
 * parameter is no match.  The segments are matched first and decoded
 * only once the whole pattern matched: a request is tried against every
 * route before its own.
 */
static int
pattern_match(const char *pattern, const char *path,
    char *params[REQUEST_MAX_PARAMS])
{
	const char *p = pattern, *s = path, *seg[REQUEST_MAX_PARAMS];
	size_t seglen[REQUEST_MAX_PARAMS];
	int nparam = 0;

	while (*p != '\0') {
		if (p[0] == '{' && p[1] == '*')
			break;		/* "{*}": the rest of the path */
		if (*p == '{') {
			const char *pend = strchr(p, '}');

			if (pend == NULL || nparam == REQUEST_MAX_PARAMS)
				return 0;
			seg[nparam] = s;
			seglen[nparam] = strcspn(s, "/");
			if (seglen[nparam] == 0)
				return 0;
			s += seglen[nparam++];
			p = pend + 1;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*p == '\0' && *s != '\0')
		return 0;
	for (int i = 0; i < nparam; i++) {
		params[i] = url_decode(seg[i], seglen[i], 0);
		if (params[i] == NULL) {
			params_clear(params);
			return 0;
		}
	}
	return 1;
}

enum route_result
router_match(const struct router *router, enum http_method method,
    const char *path, const struct route **route,
    char *params[REQUEST_MAX_PARAMS], unsigned *allowed)
{
	const struct route *wildcard = NULL;
	unsigned allow = 0;

	for (int i = 0; i < REQUEST_MAX_PARAMS; i++)
		params[i] = NULL;
	for (size_t i = 0; i < router->nroutes; i++) {
		const struct route *r = &router->routes[i];

		if (router->wildcard[i]) {
			/* Only if no exact route knows the path. */
			if (wildcard == NULL && (r->methods & method))
				wildcard = r;
			continue;
		}
		if (!pattern_match(r->pattern, path, params))
			continue;
		if (r->methods & method) {
			*route = r;
			return ROUTE_MATCHED;
		}
		params_clear(params);
		allow |= r->methods;
	}
	if (allow != 0) {
		*allowed = allow;
		return ROUTE_BAD_METHOD;
	}
	if (wildcard != NULL && pattern_match(wildcard->pattern, path,
	    params)) {
		*route = wildcard;
		return ROUTE_MATCHED;
	}
	return ROUTE_NOT_FOUND;
}

int
router_streams(const struct router *router, const char *method,
    const char *target)
{
	const struct route *route = NULL;
	char *params[REQUEST_MAX_PARAMS];
	char *path = xstrndup(target, strcspn(target, "?"));
	unsigned allowed;
	int streams = 0;

	if (router_match(router, http_method_parse(method), path, &route,
	    params, &allowed) == ROUTE_MATCHED) {
		streams = (route->flags & ROUTE_STREAMS) != 0;
		params_clear(params);
	}
	free(path);
	return streams;
}

/*
 * Path parameters are ids and names, UTF-8 text: a segment that is not,
 * once %-decoded, is refused here, before any handler quotes it in a
 * JSON document.  Returns 1, or 0 having answered 400.
 */
static int
router_params_valid(struct request *req)
{
	for (size_t i = 0; i < REQUEST_MAX_PARAMS; i++) {
		if (req->params[i] != NULL && !utf8_valid(req->params[i])) {
			request_respond(req, response_problem(400, "bad-path",
			    "Malformed path", "A segment of the path is not "
			    "UTF-8 text once its %%-escapes are decoded; ids "
			    "and names are UTF-8, %%-encoded byte by byte."));
			return 0;
		}
	}
	return 1;
}

/* ROUTE_QUERY_TOKEN.  Returns 1, or 0 having answered 400. */
static int
router_query_token_allowed(struct request *req, const struct route *route)
{
	char *token;

	if ((route->flags & ROUTE_QUERY_TOKEN) &&
	    (req->method == HTTP_GET || req->method == HTTP_HEAD))
		return 1;
	token = request_query_param(req, "access_token");
	if (token == NULL)
		return 1;
	free(token);
	request_respond(req, response_problem(400, "token-in-query",
	    "Token in the URL", "?access_token= is read only on GET of an "
	    "event stream or of /dashboard, which browsers open without "
	    "headers; send 'Authorization: Bearer TOKEN' instead."));
	return 0;
}

void
router_each(const struct router *router,
    void (*fn)(const struct route *route, void *arg), void *arg)
{
	for (size_t i = 0; i < router->nroutes; i++)
		fn(&router->routes[i], arg);
}

void
router_dispatch(struct router *router, struct request *req)
{
	const struct route *route = NULL;
	unsigned allowed = 0;
	struct response *resp;
	char allow[128];

	req->router = router;
	switch (router_match(router, req->method, req->path, &route,
	    req->params, &allowed)) {
	case ROUTE_MATCHED:
		req->route_name = route->name;
		if (router_params_valid(req) &&
		    router_query_token_allowed(req, route))
			route->handler(req, router->ctx);
		return;
	case ROUTE_BAD_METHOD:
		req->route_name = "unmatched";
		http_methods_format(allowed, allow, sizeof(allow));
		resp = response_problem(405, "method-not-allowed",
		    "Method not allowed",
		    "%s is not supported here; use %s.", req->method_name,
		    allow);
		response_add_header(resp, "Allow", allow);
		request_respond(req, resp);
		return;
	case ROUTE_NOT_FOUND:
		break;
	}
	req->route_name = "unmatched";
	request_respond(req, response_problem(404, "not-found", "Not found",
	    "There is nothing at this path; see broadside-api(7) for the "
	    "resources this server offers."));
}

void
router_observe(struct router *router, const struct request *req, int status)
{
	const char *labels[2];
	uint64_t now_us;
	char code[8];
	double seconds;

	if (router->requests == NULL)
		return;
	snprintf(code, sizeof(code), "%d", status);
	labels[0] = req->route_name ? req->route_name : "unmatched";
	labels[1] = code;
	metric_series_add(metric_series(router->requests, labels), 1);
	/*
	 * A measurement, not a decision: read the clock now, or answers
	 * given in the iteration their request arrived would all be 0 s.
	 */
	now_us = loop_clock_us();
	seconds = now_us > req->start_us ?
	    (double)(now_us - req->start_us) / 1e6 : 0;
	metric_series_observe(metric_series(router->latency, labels), seconds);
}
