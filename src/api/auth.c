/*
 * Finding the bearer token of a request (RFC 6750): the Authorization
 * header, or the access_token query parameter for EventSource and plain
 * links, which cannot set headers.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "api/api.h"

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
