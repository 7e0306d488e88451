/*
 * GET /metrics: the registry in the Prometheus text format 0.0.4.  Open to
 * any client, as Prometheus scrapers expect; put it behind the network's
 * own controls where that matters (broadsided(8)).
 */
#include "config.h"

#include "api/api.h"
#include "buf.h"
#include "daemon.h"
#include "metrics.h"

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
