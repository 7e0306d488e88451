/*
 * GET /metrics: the registry in the Prometheus text format 0.0.4, for the
 * operator (--dev, or the admin token) and for the scrape addresses of
 * --metrics-allow (loopback by default), which Prometheus reads from
 * without a token.  GET /metrics/events: the dashboard's figures
 * (figures.h) as an event stream, for the operator.
 */
#include "config.h"

#include "api/api.h"
#include "buf.h"
#include "daemon.h"
#include "figures.h"
#include "metrics.h"
#include "stream.h"

/* Far above what the registry renders; a cap all the same. */
#define API_METRICS_MAX (8u * 1024 * 1024)

void
api_metrics(struct request *req, void *daemon)
{
	struct daemon *d = daemon;
	struct response *resp;
	struct buf out;
	char *text;
	size_t len;

	if (!daemon_metrics_allowed(d, req) && !api_require_operator(req, d))
		return;
	buf_init(&out, API_METRICS_MAX);
	if (metrics_render(daemon_metrics(d), &out) != 0) {
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
api_metrics_events(struct request *req, void *daemon)
{
	struct daemon *d = daemon;

	if (api_require_operator(req, d))
		api_event_stream(req, figures_channel(daemon_figures(d)),
		    VIEWER_GM, 0);
}
