/*
 * The route table: every path the daemon serves, in matching order.
 */
#include "config.h"

#include "api/api.h"

const struct route api_routes[] = {
	{ "/healthz", HTTP_GET | HTTP_HEAD, api_healthz, "healthz" },
	{ "/readyz", HTTP_GET | HTTP_HEAD, api_readyz, "readyz" },
	{ "/metrics", HTTP_GET | HTTP_HEAD, api_metrics, "metrics" },
	/* Last: the browser pages and their assets. */
	{ "/{*}", HTTP_GET | HTTP_HEAD, api_static, "static" },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
