/* A transport that keeps the last response (test_http_support.h). */
#include "config.h"

#include "test_http_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <jansson.h>

#include "alloc.h"

struct response *last;

static void
keep_response(struct request *req, struct response *resp)
{
	(void)req;
	response_free(last);
	last = resp;
}

const struct request_transport test_transport = {
	.respond = keep_response,
};

struct request *
test_request(const char *method, const char *path)
{
	struct request *req = request_new(&test_transport, NULL);

	free(req->method_name);
	req->method_name = xstrdup(method);
	req->method = http_method_parse(method);
	free(req->path);
	req->path = xstrdup(path);
	return req;
}

int
test_answer(struct router *router, struct loop *loop, struct request *req,
    int *at_once)
{
	int status;

	response_free(last);
	last = NULL;
	router_dispatch(router, req);
	if (at_once != NULL)
		*at_once = req->responded;
	for (int i = 0; i < 500 && !req->responded; i++)
		assert_int_equal(loop_run_once(loop, 100), 0);
	assert_true(req->responded);
	status = last->status;
	request_free(req);
	return status;
}

char *
test_body_string(const char *key)
{
	json_t *doc = json_loadb(last->body, last->body_len, 0, NULL);
	const char *v;
	char *out;

	assert_non_null(doc);
	v = json_string_value(json_object_get(doc, key));
	assert_non_null(v);
	out = xstrdup(v);
	json_decref(doc);
	return out;
}
