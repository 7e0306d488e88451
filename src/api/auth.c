/*
 * Finding the bearer token of a request (RFC 6750): the Authorization
 * header, or the access_token query parameter for EventSource and plain
 * links, which cannot set headers; and the operator's rule, which the
 * dashboard, its figures and /metrics share.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "api/api.h"
#include "conf.h"
#include "daemon.h"

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
api_require_operator(struct request *req, void *daemon)
{
	struct daemon *d = daemon;
	struct response *resp;

	if (daemon_config(d)->dev || daemon_is_admin(d, req))
		return 1;
	if (!daemon_has_admin_token(d)) {
		request_respond(req, response_problem(403, "forbidden",
		    "Dashboard disabled", "Start broadsided with --dev or "
		    "--admin-token-file to use the dashboard."));
		return 0;
	}
	resp = response_problem(401, "unauthorized", "Admin token required",
	    "Send the admin token as a Bearer token, or as "
	    "?access_token=YOUR_ADMIN_TOKEN.");
	response_add_header(resp, "WWW-Authenticate",
	    "Bearer realm=\"broadside\"");
	request_respond(req, resp);
	return 0;
}
