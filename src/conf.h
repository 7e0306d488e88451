/*
 * The daemon's configuration: defaults, the command line and the config
 * file (key = value lines with the long options' names).  The command line
 * wins over the file, the file over the defaults.
 *
 * Start-up only (main thread, before the loop turns).
 */
#ifndef BROADSIDE_CONF_H
#define BROADSIDE_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "log.h"

struct config {
	char *listen;		/* "127.0.0.1:8080", "[::1]:8080" */
	char *db_path;
	char *store;		/* PostgreSQL conninfo or SQLite path; NULL:
				 * db_path */
	char *sql_dir;		/* the schema files, NNN_name.sql */
	int durability_full;	/* synchronous=FULL instead of NORMAL */
	char *www_dir;
	char *admin_token_file;
	char *metrics_allow;	/* addresses that read /metrics freely */
	char *trusted_proxy;	/* balancers that send PROXY v2; NULL: none */
	char *config_file;
	int dev;		/* dashboard without a token */
	enum log_level log_level;
	int drain_delay_s;	/* /readyz is 503 this long before closing */
	int drain_grace_s;	/* then open requests get this long */
	char *node_id;		/* battle leases: NULL, hostname:pid */
	int lease_ttl_s;	/* a battle lease, unrenewed */
	long max_body;		/* request body cap, bytes */
	long max_connections;	/* open client connections */
	long per_ip_connections;	/* 0: no per-address cap */
	int idle_timeout_s;	/* HTTP/1.1 idle connection timeout */
	int sniff_timeout_s;	/* time for a new client's first bytes */
	int head_timeout_s;	/* time for a whole HTTP/1.1 request head */
	long conn_memory;	/* libmicrohttpd memory per connection */
	long max_battles;
	int create_per_hour;	/* battles created per address; 0: no cap */
	int lobby_ttl_s;	/* delete lobbies idle this long; 0: never */
	int ended_ttl_s;	/* delete ended battles this long after */
	char *creator_token_file;	/* POST /v1/battles needs its token */
	int max_ships;		/* per battle */
	int max_players;	/* per battle, besides the GM */
	int max_spectators;	/* per battle */
	int max_name;		/* bytes in a battle's name */
	double rate;		/* requests per second per token */
	double burst;		/* requests at once per token */
	int idempotency_ttl_s;	/* how long an Idempotency-Key is kept */
	int debounce_ms;	/* event stream: publish window per battle */
	int heartbeat_s;
	int retry_ms;
	long ring_events;	/* replay ring per battle */
	long ring_bytes;
	long max_backlog;	/* unsent bytes per subscriber */
	int write_timeout_s;
	long h2_max_streams;	/* HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS */
	long h2_max_header_list;	/* HTTP/2 request header list, bytes */
	long h2_conn_body;	/* HTTP/2 body bytes buffered per connection */
	long h2_body_total;	/* HTTP/2 body bytes buffered in all */
	char *tls_cert;		/* PEM certificate chain, or NULL: no TLS */
	char *tls_key;		/* PEM private key; set with tls_cert */
	char *tls_priority;	/* GnuTLS priority string */
};

/* The outcome of config_parse_args() besides errors. */
enum config_action {
	CONFIG_RUN = 0,
	CONFIG_HELP = 1,
	CONFIG_VERSION = 2,
};

/*
 * Fills in the defaults: those of the option table in conf.c, the same
 * strings --help prints.  A default that does not parse is a bug of that
 * table: one line on stderr and abort().
 */
void config_init(struct config *cfg);

/* Frees the strings the configuration holds. */
void config_free(struct config *cfg);

/*
 * Sets option name (a long option's name without "--") to value (NULL for
 * flags).  Returns 0, or BS_ERR_INVALID with a sentence naming the problem
 * in err.
 */
int config_set(struct config *cfg, const char *name, const char *value,
    char *err, size_t errlen);

/*
 * Reads a config file: "name = value" lines, "#" comments, blank lines;
 * flags take "true"/"false"/"yes"/"no"/"1"/"0".  Returns 0, or
 * BS_ERR_IO (unreadable) or BS_ERR_INVALID with "FILE:LINE: problem" in err.
 */
int config_load_file(struct config *cfg, const char *path, char *err,
    size_t errlen);

/*
 * Applies argv: first the file of --config if given, then every option;
 * then checks that --tls-cert and --tls-key come together.  Returns a
 * non-negative enum config_action, or BS_ERR_INVALID / BS_ERR_IO with one
 * line naming the problem in err.  Whether the paths exist is main.c's
 * to check (a missing --sql-dir refuses, a missing --www warns).
 */
int config_parse_args(struct config *cfg, int argc, char **argv, char *err,
    size_t errlen);

/* Prints the --help text: every option, with its default if it has one. */
void config_usage(FILE *out);

#endif
