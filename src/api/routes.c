/*
 * The route table: every path the daemon serves, in matching order.
 * ROUTE_STREAMS marks the routes that answer with an event stream,
 * ROUTE_QUERY_TOKEN those that read ?access_token= (route.h).
 */
#include "config.h"

#include "api/api.h"

const struct route api_routes[] = {
	{ "/healthz", HTTP_GET | HTTP_HEAD, api_healthz, "healthz", 0 },
	{ "/readyz", HTTP_GET | HTTP_HEAD, api_readyz, "readyz", 0 },
	{ "/metrics", HTTP_GET | HTTP_HEAD, api_metrics, "metrics", 0 },
	{ "/metrics/events", HTTP_GET, api_metrics_events,
	  "metrics_events", ROUTE_STREAMS | ROUTE_QUERY_TOKEN },
	{ "/v1/battles", HTTP_POST, api_battles_create, "battles", 0 },
	{ "/v1/battles", HTTP_GET | HTTP_HEAD, api_battles_list, "battles", 0 },
	{ "/v1/battles/{id}", HTTP_GET | HTTP_HEAD, api_battle_get,
	  "battle", 0 },
	{ "/v1/battles/{id}", HTTP_PATCH, api_battle_settings, "battle", 0 },
	{ "/v1/battles/{id}", HTTP_DELETE, api_battle_delete, "battle", 0 },
	{ "/v1/battles/{id}/me", HTTP_GET | HTTP_HEAD, api_battle_me, "me", 0 },
	{ "/v1/battles/{id}/start", HTTP_POST, api_battle_start, "start", 0 },
	{ "/v1/battles/{id}/end", HTTP_POST, api_battle_end, "end", 0 },
	{ "/v1/battles/{id}/resolve", HTTP_POST, api_battle_resolve,
	  "resolve", 0 },
	{ "/v1/battles/{id}/narration", HTTP_POST, api_battle_narration,
	  "narration", 0 },
	{ "/v1/battles/{id}/pause", HTTP_POST, api_battle_pause, "pause", 0 },
	{ "/v1/battles/{id}/resume", HTTP_POST, api_battle_resume,
	  "resume", 0 },
	{ "/v1/battles/{id}/extend", HTTP_POST, api_battle_extend,
	  "extend", 0 },
	{ "/v1/battles/{id}/log", HTTP_GET | HTTP_HEAD, api_battle_log,
	  "log", 0 },
	{ "/v1/battles/{id}/events", HTTP_GET, api_battle_events,
	  "events", ROUTE_STREAMS | ROUTE_QUERY_TOKEN },
	{ "/v1/battles/{id}/players", HTTP_POST, api_players_join,
	  "players", 0 },
	{ "/v1/battles/{id}/players/{player}", HTTP_PATCH, api_player_edit,
	  "player", 0 },
	{ "/v1/battles/{id}/stations/{station}", HTTP_PUT, api_station_take,
	  "station", 0 },
	{ "/v1/battles/{id}/stations/{station}", HTTP_DELETE, api_station_free,
	  "station", 0 },
	{ "/v1/battles/{id}/ships", HTTP_POST, api_ships_add, "ships", 0 },
	{ "/v1/battles/{id}/ships/{ship}", HTTP_PATCH, api_ship_edit,
	  "ship", 0 },
	{ "/v1/battles/{id}/ships/{ship}", HTTP_DELETE, api_ship_remove,
	  "ship", 0 },
	{ "/v1/battles/{id}/orders", HTTP_POST, api_orders_submit,
	  "orders", 0 },
	/*
	 * Last: the browser pages and their assets.  The dashboard's page
	 * is opened as /dashboard?access_token=ADMIN_TOKEN.
	 */
	{ "/dashboard", HTTP_GET | HTTP_HEAD, api_static, "static",
	  ROUTE_QUERY_TOKEN },
	{ "/{*}", HTTP_GET | HTTP_HEAD, api_static, "static", 0 },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
