/*
 * Who is asking: the bearer token of a request (RFC 6750), from the
 * Authorization header or the access_token query parameter for
 * EventSource and plain links, which cannot set headers (the router
 * refuses it elsewhere: ROUTE_QUERY_TOKEN); the admin token; the scrape
 * addresses of --metrics-allow; and the operator's rule, one for the
 * dashboard, its figures and /metrics.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "api/api.h"
#include "cidr.h"
#include "conf.h"
#include "token.h"

char *
api_request_token(const struct request *req)
{
	const char *auth = request_header(req, "authorization");

	if (auth != NULL) {
		while (*auth == ' ')
			auth++;
		if (strncasecmp(auth, "Bearer ", 7) != 0)
			return NULL;
		auth += 7;
		while (*auth == ' ')
			auth++;
		return *auth ? xstrndup(auth, strcspn(auth, " \t")) : NULL;
	}
	return request_query_param(req, "access_token");
}

int
api_is_admin(const struct api_ctx *api, const struct request *req)
{
	char *token;
	int ok;

	if (api->admin_token == NULL)
		return 0;
	token = api_request_token(req);
	if (token == NULL)
		return 0;
	ok = token_equal(token, strlen(token), api->admin_token,
	    strlen(api->admin_token));
	free(token);
	return ok;
}

int
api_metrics_allowed(const struct api_ctx *api, const struct request *req)
{
	return api->metrics_allow != NULL &&
	    cidr_list_match(api->metrics_allow, req->remote);
}

int
api_require_operator(struct request *req, const struct api_ctx *api)
{
	struct response *resp;

	if (api->cfg->dev || api_metrics_allowed(api, req) ||
	    api_is_admin(api, req))
		return 1;
	if (api->admin_token == NULL) {
		request_respond(req, response_problem(403, "forbidden",
		    "Dashboard disabled", "Start broadsided with --dev or "
		    "--admin-token-file to use the dashboard."));
		return 0;
	}
	resp = response_problem(401, "unauthorized", "Admin token required",
	    "Send the admin token as a Bearer token (or, to open "
	    "/dashboard, as ?access_token=YOUR_ADMIN_TOKEN), or ask the "
	    "operator to add your address to --metrics-allow.");
	response_add_header(resp, "WWW-Authenticate",
	    "Bearer realm=\"broadside\"");
	request_respond(req, resp);
	return 0;
}
