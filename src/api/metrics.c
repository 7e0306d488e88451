/*
 * GET /metrics: the registry in the Prometheus text format 0.0.4.  GET
 * /metrics/events: the dashboard's figures (figures.h) as an event
 * stream.  Both for the operator, under one rule (api_require_operator():
 * --dev, the admin token, or the scrape addresses of --metrics-allow,
 * loopback by default, which read without a token).
 */
#include "config.h"

#include "api/api.h"
#include "buf.h"
#include "figures.h"
#include "metrics.h"
#include "stream.h"

/* Far above what the registry renders; a cap all the same. */
#define API_METRICS_MAX (8u * 1024 * 1024)

void
api_metrics(struct request *req, void *ctx)
{
	const struct api_ctx *api = ctx;
	struct response *resp;
	struct buf out;
	char *text;
	size_t len;

	if (!api_require_operator(req, api))
		return;
	buf_init(&out, API_METRICS_MAX);
	if (metrics_render(api->metrics, &out) != 0) {
		buf_free(&out);
		request_respond(req, response_problem(500, "internal",
		    "Metrics too large", "The metrics text passed its cap; "
		    "report this as a bug."));
		return;
	}
	text = buf_steal(&out, &len);
	resp = response_new(200);
	response_set_body(resp, "text/plain; version=0.0.4; charset=utf-8",
	    text, len);
	response_add_header(resp, "Cache-Control", "no-store");
	request_respond(req, resp);
}

void
api_metrics_events(struct request *req, void *ctx)
{
	const struct api_ctx *api = ctx;

	if (api_require_operator(req, api))
		api_event_stream(req, figures_channel(api->figures),
		    VIEWER_GM, 0);
}
