/* A transport that keeps the last response (test_http_support.h). */
#include "config.h"

#include "test_http_support.h"

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
