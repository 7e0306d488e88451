/*
 * Unit tests for the router (src/route.c) and the request helpers it
 * relies on: pattern matching, parameter decoding, 404 and 405 with Allow,
 * the problem+json bodies of both, and which requests are event streams.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "request.h"
#include "route.h"

#include "test_http_support.h"

static int handled;

static void
handler_ok(struct request *req, void *ctx)
{
	handled++;
	request_respond(req, response_json(200, json_pack("{s:s}", "p0",
	    req->params[0] ? req->params[0] : "")));
}

static const struct route routes[] = {
	{ "/healthz", HTTP_GET | HTTP_HEAD, handler_ok, "healthz", 0 },
	{ "/v1/battles", HTTP_POST, handler_ok, "battles", 0 },
	{ "/v1/battles/{id}", HTTP_GET | HTTP_DELETE, handler_ok, "battle", 0 },
	{ "/v1/battles/{id}/ships/{ship}", HTTP_PATCH, handler_ok, "ship", 0 },
	{ "/{*}", HTTP_GET | HTTP_HEAD, handler_ok, "static", 0 },
};

/* The same with two event streams, as the daemon has them. */
static const struct route stream_routes[] = {
	{ "/metrics", HTTP_GET | HTTP_HEAD, handler_ok, "metrics", 0 },
	{ "/metrics/events", HTTP_GET, handler_ok, "metrics_events",
	  ROUTE_STREAMS },
	{ "/v1/battles/{id}", HTTP_GET | HTTP_DELETE, handler_ok, "battle", 0 },
	{ "/v1/battles/{id}/events", HTTP_GET, handler_ok, "events",
	  ROUTE_STREAMS },
	{ "/{*}", HTTP_GET | HTTP_HEAD, handler_ok, "static", 0 },
};


static void
dispatch(struct router *r, const char *method, const char *path)
{
	struct request *req = test_request(method, path);

	router_dispatch(r, req);
	request_free(req);
}

static void
test_match_literal_and_params(void **state)
{
	struct router *r = router_new(routes, 5, NULL, NULL, NULL);
	const struct route *route;
	char *params[REQUEST_MAX_PARAMS];
	unsigned allowed;

	assert_int_equal(router_match(r, HTTP_GET, "/healthz", &route, params,
	    &allowed), ROUTE_MATCHED);
	assert_string_equal(route->name, "healthz");
	assert_null(params[0]);

	assert_int_equal(router_match(r, HTTP_PATCH,
	    "/v1/battles/b%20x/ships/7", &route, params, &allowed),
	    ROUTE_MATCHED);
	assert_string_equal(route->name, "ship");
	assert_string_equal(params[0], "b x");
	assert_string_equal(params[1], "7");
	free(params[0]);
	free(params[1]);

	/* An encoded slash stays inside its segment. */
	assert_int_equal(router_match(r, HTTP_GET, "/v1/battles/a%2Fb",
	    &route, params, &allowed), ROUTE_MATCHED);
	assert_string_equal(route->name, "battle");
	assert_string_equal(params[0], "a/b");
	free(params[0]);
	router_free(r);
}

static void
test_wrong_method_is_405_with_allow(void **state)
{
	struct router *r = router_new(routes, 5, NULL, NULL, NULL);
	const struct route *route;
	char *params[REQUEST_MAX_PARAMS];
	unsigned allowed = 0;

	assert_int_equal(router_match(r, HTTP_POST, "/v1/battles/abc",
	    &route, params, &allowed), ROUTE_BAD_METHOD);
	assert_int_equal(allowed, HTTP_GET | HTTP_DELETE);
	assert_null(params[0]);

	dispatch(r, "PUT", "/healthz");
	assert_non_null(last);
	assert_int_equal(last->status, 405);
	assert_string_equal(response_header(last, "Allow"), "GET, HEAD");
	assert_string_equal(response_header(last, "Content-Type"),
	    "application/problem+json");
	assert_non_null(strstr(last->body,
	    "\"type\":\"urn:broadside:problem:method-not-allowed\""));
	assert_non_null(strstr(last->body, "\"status\":405"));
	router_free(r);
}

static void
test_unknown_paths_are_404(void **state)
{
	struct router *r = router_new(routes, 4, NULL, NULL, NULL);
	const struct route *route;
	char *params[REQUEST_MAX_PARAMS];
	unsigned allowed;

	/* Without the catch-all, nothing matches these. */
	assert_int_equal(router_match(r, HTTP_GET, "/v1/battles/", &route,
	    params, &allowed), ROUTE_NOT_FOUND);
	assert_int_equal(router_match(r, HTTP_GET, "/v1/battles/x/y", &route,
	    params, &allowed), ROUTE_NOT_FOUND);
	assert_int_equal(router_match(r, HTTP_GET, "/healthz/", &route,
	    params, &allowed), ROUTE_NOT_FOUND);
	/* A malformed escape never reaches a handler. */
	assert_int_equal(router_match(r, HTTP_GET, "/v1/battles/%zz", &route,
	    params, &allowed), ROUTE_NOT_FOUND);
	assert_int_equal(router_match(r, HTTP_GET, "/v1/battles/%00", &route,
	    params, &allowed), ROUTE_NOT_FOUND);

	dispatch(r, "GET", "/nowhere");
	assert_int_equal(last->status, 404);
	assert_non_null(strstr(last->body, "urn:broadside:problem:not-found"));
	router_free(r);
}

static void
test_catch_all_misses_are_404_not_405(void **state)
{
	struct router *r = router_new(routes, 5, NULL, NULL, NULL);

	handled = 0;
	dispatch(r, "GET", "/style.css");
	assert_int_equal(handled, 1);
	assert_int_equal(last->status, 200);

	dispatch(r, "POST", "/style.css");
	assert_int_equal(handled, 1);
	assert_int_equal(last->status, 404);
	router_free(r);
}

static void
test_streams(void **state)
{
	struct router *r = router_new(stream_routes, 5, NULL, NULL, NULL);

	assert_true(router_streams(r, "GET", "/metrics/events"));
	assert_true(router_streams(r, "GET", "/v1/battles/b1/events"));
	/* The query is not part of the path; escapes are decoded. */
	assert_true(router_streams(r, "GET",
	    "/v1/battles/b1/events?access_token=x&last=3"));
	assert_true(router_streams(r, "GET", "/v1/battles/b%20x/events"));

	/* Other methods, other paths, the catch-all: not streams. */
	assert_false(router_streams(r, "HEAD", "/metrics/events"));
	assert_false(router_streams(r, "POST", "/v1/battles/b1/events"));
	assert_false(router_streams(r, "BREW", "/metrics/events"));
	assert_false(router_streams(r, "GET", "/metrics"));
	assert_false(router_streams(r, "GET", "/metrics/events/"));
	assert_false(router_streams(r, "GET", "/v1/battles/b1"));
	assert_false(router_streams(r, "GET", "/v1/battles//events"));
	assert_false(router_streams(r, "GET", "/v1/battles/b1/events/x"));
	assert_false(router_streams(r, "GET", "/v1/battles/%zz/events"));
	assert_false(router_streams(r, "GET", "/x/v1/battles/b1/events"));
	assert_false(router_streams(r, "GET", ""));
	assert_false(router_streams(r, "GET", "?/metrics/events"));
	router_free(r);
}

static void
test_query_params_and_gzip(void **state)
{
	struct request *req = test_request("GET", "/x");
	char *v;

	free(req->query);
	req->query = xstrdup("a=1&access_token=ab%2Bc+d&flag&empty=");
	v = request_query_param(req, "access_token");
	assert_string_equal(v, "ab+c d");
	free(v);
	v = request_query_param(req, "flag");
	assert_string_equal(v, "");
	free(v);
	v = request_query_param(req, "empty");
	assert_string_equal(v, "");
	free(v);
	assert_null(request_query_param(req, "acc"));

	request_add_header(req, "Accept-Encoding", "br, gzip;q=0.5");
	assert_true(request_accepts_gzip(req));
	request_free(req);

	req = test_request("GET", "/x");
	request_add_header(req, "Accept-Encoding", "gzip;q=0, deflate");
	assert_false(request_accepts_gzip(req));
	request_free(req);

	req = test_request("GET", "/x");
	request_add_header(req, "Accept-Encoding", "xgzip");
	assert_false(request_accepts_gzip(req));
	request_free(req);
}

static void
test_url_decode(void **state)
{
	char *s = url_decode("a%41+%7e", 8, 1);

	assert_string_equal(s, "aA ~");
	free(s);
	s = url_decode("a+b", 3, 0);
	assert_string_equal(s, "a+b");
	free(s);
	assert_null(url_decode("%4", 2, 0));
	assert_null(url_decode("%", 1, 0));
	assert_null(url_decode("%g1", 3, 0));
	assert_null(url_decode("%00", 3, 0));
}

/* What jansson takes in a string is what passes; anything else does not. */
static void
test_utf8_valid(void **state)
{
	static const char *const good[] = {
		"", "abc", "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x9a\xa2", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
	};
	static const char *const bad[] = {
		"\xff", "\xfe", "\x80", "a\xc3", "\xc3(", "\xc0\xaf",
		"\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xf8\x88\x80\x80\x80", "\xe2\x82",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(utf8_valid(good[i]), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(utf8_valid(bad[i]), 0);
	assert_int_equal(utf8_sequence("\xe2\x82\xac", 3), 3);
	assert_int_equal(utf8_sequence("\xe2\x82\xac", 2), 0);
}

/* A detail that is not UTF-8 still makes a whole problem document. */
static void
test_problem_scrubbed(void **state)
{
	struct response *r = response_problem(404, "x", "X", "id '%s'",
	    "a\xff\xc3");
	json_t *doc = json_loadb(r->body, r->body_len, 0, NULL);

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc,
	    "detail")), "id 'a?" "?'");
	json_decref(doc);
	response_free(r);
}

static int
teardown(void **state)
{
	response_free(last);
	last = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_literal_and_params),
		cmocka_unit_test(test_wrong_method_is_405_with_allow),
		cmocka_unit_test(test_unknown_paths_are_404),
		cmocka_unit_test(test_catch_all_misses_are_404_not_405),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_query_params_and_gzip),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_problem_scrubbed),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
