/*
 * GET /v1/battles/{id}/events: the battle's event stream for the caller's
 * view (broadside-api(7), "EVENTS").  The token comes as a Bearer header
 * or, for EventSource, as ?access_token=; a reconnection's Last-Event-ID
 * (header, or ?last_event_id=) resumes from the replay ring.
 */
#include "config.h"

#include <stdlib.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "error.h"
#include "stream.h"

void
api_event_stream(struct request *req, struct channel *channel,
    enum viewer viewer, int member)
{
	struct response *resp;
	char *last_query = NULL;
	const char *last;
	int gzip;

	last = request_header(req, "last-event-id");
	if (last == NULL)
		last = last_query = request_query_param(req, "last_event_id");
	gzip = request_accepts_gzip(req);

	resp = response_new(200);
	response_add_header(resp, "Content-Type", "text/event-stream");
	response_add_header(resp, "Cache-Control", "no-store");
	/* Proxies such as nginx must not buffer the stream. */
	response_add_header(resp, "X-Accel-Buffering", "no");
	if (gzip) {
		response_add_header(resp, "Content-Encoding", "gzip");
		response_add_header(resp, "Vary", "Accept-Encoding");
	}
	resp->stream = subscriber_new(channel, viewer, member, gzip, last);
	free(last_query);
	request_respond(req, resp);
}

void
api_battle_events(struct request *req, void *ctx)
{
	struct live_battle *lb;
	struct channel *channel;
	struct actor who;
	const struct api_ctx *api = ctx;
	int rv;

	/*
	 * Served by another node, or not loadable while the store is away:
	 * an EventSource that got a 503 would give up, so it is told to come
	 * back in a second (to the balancer, which sends it on to the owner),
	 * as a drain tells it.
	 */
	if (api_battle_lookup_charged(req, api) != 0)
		return;
	rv = battles_lookup(api->battles, req->params[0], &lb);
	if (rv == BS_ERR_LOST || rv == BS_ERR_IO) {
		struct response *resp = response_new(200);
		static const char retry[] = "retry: 1000\n\n";

		response_set_body(resp, "text/event-stream",
		    xstrdup(retry), sizeof(retry) - 1);
		response_add_header(resp, "Cache-Control", "no-store");
		request_respond(req, resp);
		return;
	}
	/* Not asked of the store twice (api_battle_caller() looks it up). */
	if (rv == BS_ERR_NOT_FOUND) {
		api_no_such_battle(req, "check the id, or it was deleted");
		return;
	}
	if (api_battle_caller(req, ctx, &lb, &who) != 0)
		return;
	channel = live_battle_channel(lb);
	if (channel == NULL) {
		api_no_such_battle(req, "it is being deleted");
		return;
	}
	api_event_stream(req, channel, api_viewer(&who),
	    who.role == ACTOR_GM ? 0 : who.player);
}
