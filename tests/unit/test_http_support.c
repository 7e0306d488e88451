/* A transport that keeps the last response (test_http_support.h). */
#include "config.h"

#include "test_http_support.h"

#include <stdlib.h>

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
