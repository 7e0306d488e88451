/*
 * The route table: every path the daemon serves, in matching order.
 */
#include "config.h"

#include "api/api.h"

const struct route api_routes[] = {
	{ "/healthz", HTTP_GET | HTTP_HEAD, api_healthz, "healthz" },
	{ "/readyz", HTTP_GET | HTTP_HEAD, api_readyz, "readyz" },
	{ "/metrics", HTTP_GET | HTTP_HEAD, api_metrics, "metrics" },
	{ "/metrics/events", HTTP_GET, api_metrics_events, "metrics_events" },
	{ "/v1/battles", HTTP_POST, api_battles_create, "battles" },
	{ "/v1/battles", HTTP_GET | HTTP_HEAD, api_battles_list, "battles" },
	{ "/v1/battles/{id}", HTTP_GET | HTTP_HEAD, api_battle_get, "battle" },
	{ "/v1/battles/{id}", HTTP_PATCH, api_battle_settings, "battle" },
	{ "/v1/battles/{id}", HTTP_DELETE, api_battle_delete, "battle" },
	{ "/v1/battles/{id}/me", HTTP_GET | HTTP_HEAD, api_battle_me, "me" },
	{ "/v1/battles/{id}/start", HTTP_POST, api_battle_start, "start" },
	{ "/v1/battles/{id}/end", HTTP_POST, api_battle_end, "end" },
	{ "/v1/battles/{id}/resolve", HTTP_POST, api_battle_resolve,
	  "resolve" },
	{ "/v1/battles/{id}/narration", HTTP_POST, api_battle_narration,
	  "narration" },
	{ "/v1/battles/{id}/pause", HTTP_POST, api_battle_pause, "pause" },
	{ "/v1/battles/{id}/resume", HTTP_POST, api_battle_resume, "resume" },
	{ "/v1/battles/{id}/extend", HTTP_POST, api_battle_extend, "extend" },
	{ "/v1/battles/{id}/log", HTTP_GET | HTTP_HEAD, api_battle_log, "log" },
	{ "/v1/battles/{id}/events", HTTP_GET, api_battle_events, "events" },
	{ "/v1/battles/{id}/players", HTTP_POST, api_players_join, "players" },
	{ "/v1/battles/{id}/players/{player}", HTTP_PATCH, api_player_edit,
	  "player" },
	{ "/v1/battles/{id}/stations/{station}", HTTP_PUT, api_station_take,
	  "station" },
	{ "/v1/battles/{id}/stations/{station}", HTTP_DELETE, api_station_free,
	  "station" },
	{ "/v1/battles/{id}/ships", HTTP_POST, api_ships_add, "ships" },
	{ "/v1/battles/{id}/ships/{ship}", HTTP_PATCH, api_ship_edit, "ship" },
	{ "/v1/battles/{id}/ships/{ship}", HTTP_DELETE, api_ship_remove,
	  "ship" },
	{ "/v1/battles/{id}/orders", HTTP_POST, api_orders_submit, "orders" },
	/* Last: the browser pages and their assets. */
	{ "/{*}", HTTP_GET | HTTP_HEAD, api_static, "static" },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
