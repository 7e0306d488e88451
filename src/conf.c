/*
 * Configuration (conf.h): one table of options, with their defaults,
 * serves config_init(), the command line, the config file and --help, so
 * the four never disagree.
 */
#include "config.h"
#include "conf.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "cidr.h"
#include "error.h"
#include "listen.h"
#include "tls.h"

enum option_kind {
	OPT_STRING,
	OPT_FLAG,
	OPT_INT,
	OPT_LONG,
	OPT_LEVEL,
	OPT_ADDRESS,
	OPT_DURABILITY,
	OPT_DOUBLE,
	OPT_ACTION,	/* --help, --version: command line only */
};

struct option_spec {
	const char *name;
	enum option_kind kind;
	size_t offset;
	long min, max;
	const char *arg;	/* argument name in --help */
	const char *def;	/* the default, as it would be written; NULL: none */
	const char *help;
};

#define OFF(field) offsetof(struct config, field)

/*
 * The defaults are written here once, in the form a user would type them:
 * config_init() sets each through config_set() and --help prints the same
 * string.
 */
static const struct option_spec options[] = {
	{ "listen", OPT_ADDRESS, OFF(listen), 0, 0, "ADDR:PORT",
	  "127.0.0.1:8080", "address to listen on (IPv6: [::1]:8080)" },
	{ "db", OPT_STRING, OFF(db_path), 0, 0, "PATH",
	  BS_LOCALSTATEDIR "/lib/broadside/broadside.db",
	  "SQLite database file" },
	{ "store", OPT_STRING, OFF(store), 0, 0, "LOCATION", NULL,
	  "PostgreSQL (postgresql://...), else an SQLite file (--db)" },
	{ "sql-dir", OPT_STRING, OFF(sql_dir), 0, 0, "DIR",
	  BS_PKGDATADIR "/sql",
	  "directory of the schema files applied at start-up" },
	{ "node-id", OPT_STRING, OFF(node_id), 0, 0, "ID", NULL,
	  "this node's name in battle leases (default: hostname:port)" },
	{ "lease-ttl", OPT_INT, OFF(lease_ttl_s), 1, 3600, "SECONDS", "10",
	  "how long a node's battle lease lasts unrenewed (PostgreSQL)" },
	{ "durability", OPT_DURABILITY, OFF(durability_full), 0, 0, "MODE",
	  "normal", "normal (survives a crash) or full (power loss)" },
	{ "www", OPT_STRING, OFF(www_dir), 0, 0, "DIR", BS_PKGDATADIR "/www",
	  "directory of the browser pages" },
	{ "config", OPT_STRING, OFF(config_file), 0, 0, "FILE", NULL,
	  "read options from FILE (name = value lines)" },
	{ "dev", OPT_FLAG, OFF(dev), 0, 1, NULL, NULL,
	  "development mode: the dashboard needs no token" },
	{ "admin-token-file", OPT_STRING, OFF(admin_token_file), 0, 0,
	  "FILE", NULL, "file whose first line is the admin token" },
	{ "metrics-allow", OPT_STRING, OFF(metrics_allow), 0, 0, "LIST",
	  "127.0.0.0/8,::1", "addresses that read /metrics without a token" },
	{ "trusted-proxy", OPT_STRING, OFF(trusted_proxy), 0, 0, "LIST", NULL,
	  "load balancers whose connections start with a PROXY v2 header" },
	{ "log-level", OPT_LEVEL, OFF(log_level), 0, 0, "LEVEL", "info",
	  "error, warn, info or debug" },
	{ "drain-delay", OPT_INT, OFF(drain_delay_s), 0, 300, "SECONDS", "1",
	  "on SIGTERM, keep accepting this long while /readyz is 503" },
	{ "drain-grace", OPT_INT, OFF(drain_grace_s), 0, 3600, "SECONDS",
	  "10", "then give open requests this long to finish" },
	{ "max-body", OPT_LONG, OFF(max_body), 0, 64L * 1024 * 1024, "BYTES",
	  "65536", "largest request body accepted" },
	{ "max-connections", OPT_LONG, OFF(max_connections), 1, 1000000, "N",
	  "10000", "client connections open at once" },
	{ "per-ip-connections", OPT_LONG, OFF(per_ip_connections), 0, 1000000,
	  "N", "128", "connections per client address (IPv6: per /64), "
	  "0 for no cap" },
	{ "idle-timeout", OPT_INT, OFF(idle_timeout_s), 1, 86400, "SECONDS",
	  "30", "close connections idle this long" },
	{ "sniff-timeout", OPT_INT, OFF(sniff_timeout_s), 1, 3600, "SECONDS",
	  "10", "close new connections that send nothing this long" },
	{ "head-timeout", OPT_INT, OFF(head_timeout_s), 1, 3600, "SECONDS",
	  "10", "close HTTP/1.1 clients whose request head takes longer" },
	{ "conn-memory", OPT_LONG, OFF(conn_memory), 4096, 1024L * 1024,
	  "BYTES", "32768",
	  "memory per HTTP/1.1 connection; a request head gets half" },
	{ "max-battles", OPT_LONG, OFF(max_battles), 1, 1000000, "N", "1000",
	  "battles hosted at once" },
	{ "create-per-hour", OPT_INT, OFF(create_per_hour), 0, 1000000, "N",
	  "20", "battles one address may create per hour, 0 for no cap" },
	{ "lobby-ttl", OPT_INT, OFF(lobby_ttl_s), 0, 31536000, "SECONDS",
	  "86400", "delete a lobby idle this long (no join, no edit), 0 never" },
	{ "ended-ttl", OPT_INT, OFF(ended_ttl_s), 0, 31536000, "SECONDS",
	  "604800", "delete an ended battle idle this long, 0 never" },
	{ "creator-token-file", OPT_STRING, OFF(creator_token_file), 0, 0,
	  "FILE", NULL, "creating a battle needs the token on its first line" },
	{ "max-ships", OPT_INT, OFF(max_ships), 1, 256, "N", "32",
	  "ships per battle" },
	{ "max-players", OPT_INT, OFF(max_players), 1, 64, "N", "5",
	  "players per battle, besides the GM" },
	{ "max-spectators", OPT_INT, OFF(max_spectators), 0, 10000, "N", "20",
	  "spectators per battle" },
	{ "max-name", OPT_INT, OFF(max_name), 1, 1024, "BYTES", "64",
	  "longest battle name" },
	{ "rate", OPT_DOUBLE, OFF(rate), 1, 100000, "N", "50",
	  "requests per second per token or address" },
	{ "burst", OPT_DOUBLE, OFF(burst), 1, 100000, "N", "100",
	  "requests at once per token or address" },
	{ "idempotency-ttl", OPT_INT, OFF(idempotency_ttl_s), 1, 2592000,
	  "SECONDS", "86400", "keep Idempotency-Key answers this long" },
	{ "debounce", OPT_INT, OFF(debounce_ms), 0, 10000, "MS", "8",
	  "publish a battle's changes at most this often" },
	{ "heartbeat", OPT_INT, OFF(heartbeat_s), 1, 3600, "SECONDS", "15",
	  "a comment on event streams silent this long" },
	{ "retry", OPT_INT, OFF(retry_ms), 100, 600000, "MS", "3000",
	  "the reconnection delay hinted to event streams" },
	{ "ring-events", OPT_LONG, OFF(ring_events), 1, 1000000, "N", "1024",
	  "events each view of a battle keeps for resuming" },
	{ "ring-bytes", OPT_LONG, OFF(ring_bytes), 1024, 1L << 30, "BYTES",
	  "1048576", "bytes a battle keeps, all views, for resuming" },
	{ "max-backlog", OPT_LONG, OFF(max_backlog), 4096, 1L << 30, "BYTES",
	  "262144", "unsent bytes before a slow stream is dropped" },
	{ "write-timeout", OPT_INT, OFF(write_timeout_s), 1, 3600, "SECONDS",
	  "30", "drop a stream whose bytes have not moved this long" },
	{ "h2-max-streams", OPT_LONG, OFF(h2_max_streams), 1, 100000, "N",
	  "100", "concurrent streams per HTTP/2 connection" },
	{ "h2-conn-body", OPT_LONG, OFF(h2_conn_body), 65536, 1L << 29,
	  "BYTES", "1048576",
	  "request body bytes buffered per HTTP/2 connection" },
	{ "h2-body-total", OPT_LONG, OFF(h2_body_total), 65536, 1L << 40,
	  "BYTES", "67108864",
	  "request body bytes buffered by all HTTP/2 connections" },
	{ "h2-max-header-list", OPT_LONG, OFF(h2_max_header_list), 1024,
	  1024L * 1024, "BYTES", "16384",
	  "largest HTTP/2 request header list" },
	{ "tls-cert", OPT_STRING, OFF(tls_cert), 0, 0, "FILE", NULL,
	  "PEM certificate (chain): the port speaks TLS too (with --tls-key)" },
	{ "tls-key", OPT_STRING, OFF(tls_key), 0, 0, "FILE", NULL,
	  "PEM private key of --tls-cert" },
	{ "tls-priority", OPT_STRING, OFF(tls_priority), 0, 0, "STRING",
	  TLS_PRIORITY, "GnuTLS priority string: TLS versions and ciphers" },
	{ "help", OPT_ACTION, CONFIG_HELP, 0, 0, NULL, NULL,
	  "print this help and exit" },
	{ "version", OPT_ACTION, CONFIG_VERSION, 0, 0, NULL, NULL,
	  "print the version and exit" },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

void
config_init(struct config *cfg)
{
	char err[160];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (options[i].def == NULL)
			continue;
		/* A default the table cannot parse is a bug of this file. */
		if (config_set(cfg, options[i].name, options[i].def, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "broadsided: bad default: %s\n", err);
			abort();
		}
	}
}

void
config_free(struct config *cfg)
{
	free(cfg->listen);
	free(cfg->db_path);
	free(cfg->store);
	free(cfg->node_id);
	free(cfg->sql_dir);
	free(cfg->www_dir);
	free(cfg->admin_token_file);
	free(cfg->creator_token_file);
	free(cfg->metrics_allow);
	free(cfg->trusted_proxy);
	free(cfg->config_file);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_priority);
	memset(cfg, 0, sizeof(*cfg));
}

static const struct option_spec *
option_find(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static int
parse_flag(const char *value, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	if (value == NULL) {
		*out = 1;
		return 0;
	}
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return BS_ERR_INVALID;
}

static int
parse_number(const struct option_spec *o, const char *value, long *out,
    char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		snprintf(err, errlen, "--%s: '%s' is not a number", o->name,
		    value);
		return BS_ERR_INVALID;
	}
	if (v < o->min || v > o->max) {
		snprintf(err, errlen, "--%s: %ld is out of range (%ld..%ld)",
		    o->name, v, o->min, o->max);
		return BS_ERR_INVALID;
	}
	*out = v;
	return 0;
}

int
config_set(struct config *cfg, const char *name, const char *value,
    char *err, size_t errlen)
{
	const struct option_spec *o = option_find(name);
	char *field;
	struct sockaddr_storage ss;
	socklen_t sslen;
	long n;

	if (o == NULL || o->kind == OPT_ACTION) {
		snprintf(err, errlen, "unknown option '%s'", name);
		return BS_ERR_INVALID;
	}
	field = (char *)cfg + o->offset;
	if (o->kind != OPT_FLAG && (value == NULL || *value == '\0')) {
		snprintf(err, errlen, "--%s needs a value (%s)", o->name,
		    o->arg);
		return BS_ERR_INVALID;
	}
	switch (o->kind) {
	case OPT_ADDRESS:
		if (listen_parse_address(value, &ss, &sslen) != 0) {
			snprintf(err, errlen, "--%s: '%s' is not ADDR:PORT "
			    "(e.g. 127.0.0.1:8080 or [::1]:8080)", o->name,
			    value);
			return BS_ERR_INVALID;
		}
		/* FALLTHROUGH */
	case OPT_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case OPT_FLAG:
		if (parse_flag(value, (int *)field) != 0) {
			snprintf(err, errlen, "--%s: '%s' is not true or false",
			    o->name, value);
			return BS_ERR_INVALID;
		}
		return 0;
	case OPT_DURABILITY:
		if (strcmp(value, "normal") != 0 && strcmp(value, "full") != 0) {
			snprintf(err, errlen, "--%s: '%s' is not normal or full",
			    o->name, value);
			return BS_ERR_INVALID;
		}
		*(int *)field = strcmp(value, "full") == 0;
		return 0;
	case OPT_LEVEL:
		if (log_parse_level(value, (enum log_level *)field) != 0) {
			snprintf(err, errlen, "--%s: '%s' is not error, warn, "
			    "info or debug", o->name, value);
			return BS_ERR_INVALID;
		}
		return 0;
	case OPT_DOUBLE:
		if (parse_number(o, value, &n, err, errlen) != 0)
			return BS_ERR_INVALID;
		*(double *)field = (double)n;
		return 0;
	case OPT_INT:
	case OPT_LONG:
		if (parse_number(o, value, &n, err, errlen) != 0)
			return BS_ERR_INVALID;
		if (o->kind == OPT_INT)
			*(int *)field = (int)n;
		else
			*(long *)field = n;
		return 0;
	case OPT_ACTION:
		break;
	}
	return BS_ERR_INVALID;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int
config_load_file(struct config *cfg, const char *path, char *err,
    size_t errlen)
{
	char line[4096], msg[512];
	unsigned lineno = 0;
	int rv = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot read config file %s: %s", path,
		    strerror(errno));
		return BS_ERR_IO;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *name, *value;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path,
			    lineno);
			rv = BS_ERR_INVALID;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%u: expected 'name = value'",
			    path, lineno);
			rv = BS_ERR_INVALID;
			break;
		}
		*eq = '\0';
		name = trim(s);
		value = trim(eq + 1);
		if (strcmp(name, "config") == 0) {
			snprintf(err, errlen, "%s:%u: 'config' cannot be set "
			    "in a config file", path, lineno);
			rv = BS_ERR_INVALID;
			break;
		}
		if (config_set(cfg, name, value, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			rv = BS_ERR_INVALID;
			break;
		}
	}
	if (rv == 0 && ferror(f)) {
		snprintf(err, errlen, "cannot read config file %s: %s", path,
		    strerror(errno));
		rv = BS_ERR_IO;
	}
	fclose(f);
	return rv;
}

int
config_parse_args(struct config *cfg, int argc, char **argv, char *err,
    size_t errlen)
{
	struct option longopts[NOPTIONS + 1];
	struct cidr_list *allow;
	char msg[160];
	int c, idx;

	for (size_t i = 0; i < NOPTIONS; i++) {
		longopts[i].name = options[i].name;
		longopts[i].has_arg = options[i].kind == OPT_FLAG ?
		    optional_argument : options[i].kind == OPT_ACTION ?
		    no_argument : required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 0;
	}
	memset(&longopts[NOPTIONS], 0, sizeof(longopts[NOPTIONS]));

	/* First pass: the config file, so the command line wins over it. */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, &idx)) != -1) {
		if (c == 0 && strcmp(options[idx].name, "config") == 0) {
			int rv = config_load_file(cfg, optarg, err, errlen);

			if (rv != 0)
				return rv;
			free(cfg->config_file);
			cfg->config_file = xstrdup(optarg);
		}
	}

	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, &idx)) != -1) {
		if (c == 'h')
			return CONFIG_HELP;
		if (c == '?') {
			if (optopt != 0)
				snprintf(err, errlen, "unknown option '-%c'",
				    optopt);
			else
				snprintf(err, errlen, "unknown option or "
				    "missing value: '%s'", argv[optind - 1]);
			return BS_ERR_INVALID;
		}
		if (c == ':') {
			snprintf(err, errlen, "missing value for '%s'",
			    argv[optind - 1]);
			return BS_ERR_INVALID;
		}
		if (options[idx].kind == OPT_ACTION)
			return (int)options[idx].offset;
		if (strcmp(options[idx].name, "config") == 0)
			continue;
		if (config_set(cfg, options[idx].name, optarg, err, errlen) != 0)
			return BS_ERR_INVALID;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return BS_ERR_INVALID;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		snprintf(err, errlen, "--%s needs --%s too (TLS takes both)",
		    cfg->tls_cert != NULL ? "tls-cert" : "tls-key",
		    cfg->tls_cert != NULL ? "tls-key" : "tls-cert");
		return BS_ERR_INVALID;
	}
	if (cidr_list_parse(cfg->metrics_allow, &allow, msg,
	    sizeof(msg)) != 0) {
		snprintf(err, errlen, "--metrics-allow: %s", msg);
		return BS_ERR_INVALID;
	}
	cidr_list_free(allow);
	if (cfg->trusted_proxy != NULL) {
		if (cidr_list_parse(cfg->trusted_proxy, &allow, msg,
		    sizeof(msg)) != 0) {
			snprintf(err, errlen, "--trusted-proxy: %s", msg);
			return BS_ERR_INVALID;
		}
		cidr_list_free(allow);
	}
	return CONFIG_RUN;
}

void
config_usage(FILE *out)
{
	fprintf(out, "Usage: broadsided [options]\n"
	    "The Broadside battle server.  See broadsided(8).\n\n");
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option_spec *o = &options[i];
		char left[64];
		int width;

		snprintf(left, sizeof(left), "--%s%s%s", o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "");
		width = fprintf(out, "  %-28s %s", left, o->help);
		if (o->def == NULL)
			fputc('\n', out);
		else if (width + (int)strlen(o->def) + 11 <= 79)
			fprintf(out, " (default %s)\n", o->def);
		else
			fprintf(out, "\n  %-28s (default %s)\n", "", o->def);
	}
}
