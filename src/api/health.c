/*
 * Liveness and readiness (broadsided(8), "ENDPOINTS").  /healthz answers as
 * long as the loop turns; /readyz only when the daemon is ready to take
 * new work: started, storage open, not draining.  Load balancers use the
 * second.
 */
#include "config.h"

#include "api/api.h"

void
api_healthz(struct request *req, void *ctx)
{
	struct response *resp = response_json(200,
	    json_pack("{s:s}", "status", "ok"));

	response_add_header(resp, "Cache-Control", "no-store");
	request_respond(req, resp);
}

void
api_readyz(struct request *req, void *ctx)
{
	const struct api_ctx *api = ctx;
	struct response *resp;

	if (*api->lifecycle == API_READY && api->store != NULL) {
		resp = response_json(200, json_pack("{s:s}", "status",
		    "ready"));
	} else if (*api->lifecycle == API_DRAINING) {
		resp = response_problem(503, "draining", "Draining",
		    "This server is shutting down; send new work to another "
		    "instance.");
		response_add_header(resp, "Retry-After", "5");
	} else {
		resp = response_problem(503, "starting", "Starting",
		    "This server is still starting; retry in a moment.");
		response_add_header(resp, "Retry-After", "1");
	}
	response_add_header(resp, "Cache-Control", "no-store");
	request_respond(req, resp);
}
