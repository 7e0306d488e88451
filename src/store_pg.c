/*
 * The PostgreSQL backend of the store (store_pg.h).
 */
#include "config.h"

#include "store_pg.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "store_backend.h"

/* Reconnection backoff, doubled after each failed attempt. */
#define PG_BACKOFF_MIN_MS 100
#define PG_BACKOFF_MAX_MS 5000

struct pg_conn {
	struct store_conn base;
	PGconn *pg;
	char *conninfo;
	const char *options;	/* PG_OPTIONS_STORE or PG_OPTIONS_SIDE */
	int64_t next_try_ms;	/* monotonic: no reconnection before */
	int backoff_ms;
};

static struct pg_conn *
pg_conn(struct store_conn *conn)
{
	return (struct pg_conn *)conn;
}

PGconn *
store_pg_conn(struct store_conn *conn)
{
	return pg_conn(conn)->pg;
}

/*
 * The message of res, else of the connection, on one line (libpq's own
 * run over several).
 */
static void
pg_message(PGconn *pg, const PGresult *res, char *out, size_t len)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : "";
	size_t n;

	if (m[0] == '\0')
		m = pg != NULL ? PQerrorMessage(pg) : "out of memory";
	snprintf(out, len, "%s", m[0] != '\0' ? m : "unknown error");
	for (char *p = out; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

/*
 * Whether the server has closed an idle connection (a restart, an
 * administrator's pg_terminate_backend): it says so on the socket, which
 * libpq only reads when asked.  Seen before a batch, the batch goes to a
 * new connection instead of failing on the dead one.
 */
static int
pg_alive(PGconn *pg)
{
	struct pollfd p = { .fd = PQsocket(pg), .events = POLLIN };

	if (PQstatus(pg) != CONNECTION_OK || p.fd < 0)
		return 0;
	if (poll(&p, 1, 0) > 0)
		PQconsumeInput(pg);
	return PQstatus(pg) == CONNECTION_OK;
}

/* NOTICEs (CREATE TABLE IF NOT EXISTS, say) are for debugging only. */
static void
pg_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("store: PostgreSQL: %.*s", (int)strcspn(message, "\n"),
	    message);
}

/*
 * The session settings of each kind of connection (libpq's "options";
 * any given in conninfo win).  The storage thread's: a transaction left
 * open by a process stopped mid-batch (SIGSTOP) is ended by the server,
 * so its row locks do not hold up another node's take for long.  The
 * loop's (leases): waits on a lock or a statement are bounded, since they
 * block the loop; a take that times out is answered 503, to retry.
 */
#define PG_OPTIONS_STORE "-c idle_in_transaction_session_timeout=5000"
#define PG_OPTIONS_SIDE "-c lock_timeout=1000 -c statement_timeout=5000"

/*
 * Connects, bounded in time: a connect_timeout given in conninfo wins
 * over the 5 s here (later keywords override earlier ones).
 */
static PGconn *
pg_connect(const char *conninfo, const char *options)
{
	static const char *const keys[] = { "connect_timeout", "options",
		"dbname", "application_name", NULL };
	const char *values[] = { "5", options, conninfo, "broadsided", NULL };
	PGconn *pg = PQconnectdbParams(keys, values, 1);

	if (pg != NULL)
		PQsetNoticeProcessor(pg, pg_notice, NULL);
	return pg;
}

/* ---- the backend's operations ---------------------------------------------- */

static int
pg_ready(struct store_conn *conn)
{
	struct pg_conn *c = pg_conn(conn);
	int64_t now = (int64_t)(loop_clock_us() / 1000);
	char msg[256];

	if (c->pg != NULL && pg_alive(c->pg))
		return 0;
	if (now < c->next_try_ms)
		return BS_ERR_IO;
	PQfinish(c->pg);
	c->pg = pg_connect(c->conninfo, c->options);
	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) {
		log_info("store: connected to PostgreSQL again");
		c->backoff_ms = PG_BACKOFF_MIN_MS;
		return 0;
	}
	pg_message(c->pg, NULL, msg, sizeof(msg));
	log_error("store: PostgreSQL is unreachable (%s); writes fail until "
	    "it is back, next try in %d ms", msg, c->backoff_ms);
	c->next_try_ms = now + c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > PG_BACKOFF_MAX_MS ?
	    PG_BACKOFF_MAX_MS : c->backoff_ms * 2;
	return BS_ERR_IO;
}

static int
pg_exec(struct store_conn *conn, const char *sql)
{
	struct pg_conn *c = pg_conn(conn);
	PGresult *res;
	char msg[256];
	int rv = 0;

	/* A connection already lost has said so once. */
	if (PQstatus(c->pg) != CONNECTION_OK)
		return BS_ERR_IO;
	res = PQexec(c->pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_message(c->pg, res, msg, sizeof(msg));
		log_error("store: %s failed: %s", sql, msg);
		rv = BS_ERR_IO;
	}
	PQclear(res);
	return rv;
}

/*
 * COMMIT of a transaction in which a statement failed outside a
 * savepoint answers ROLLBACK, without an error: only the tag says so.
 */
static int
pg_commit(struct store_conn *conn)
{
	struct pg_conn *c = pg_conn(conn);
	PGresult *res = PQexec(c->pg, "COMMIT");
	char msg[256];
	int rv = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		pg_message(c->pg, res, msg, sizeof(msg));
		/*
		 * A connection lost during COMMIT leaves it unknown whether
		 * the server committed: reported failed all the same, since
		 * nothing may be acknowledged that might not be on disk.
		 */
		log_error("store: commit failed: %s",
		    PQresultStatus(res) == PGRES_COMMAND_OK ?
		    "the transaction was rolled back" : msg);
		rv = BS_ERR_IO;
	}
	PQclear(res);
	return rv;
}

static void
pg_close(struct store_conn *conn)
{
	struct pg_conn *c = pg_conn(conn);

	PQfinish(c->pg);
	free(c->conninfo);
	free(c);
}

static const struct store_backend pg_backend = {
	.kind = STORE_KIND_POSTGRESQL,
	.begin_sql = "BEGIN",
	.ready = pg_ready,
	.exec = pg_exec,
	.commit = pg_commit,
	.close = pg_close,
};

/* ---- opening --------------------------------------------------------------- */

/* One schema file, in its own transaction that also records its number. */
static int
pg_migrate_one(void *ctx, int number, const char *name, const char *text,
    char *err, size_t errlen)
{
	PGconn *pg = ctx;
	PGresult *res;
	char *sql;
	int rv = 0;

	sql = xasprintf("BEGIN;\n%s\n;DELETE FROM schema_version;"
	    "INSERT INTO schema_version (version) VALUES (%d);COMMIT;", text,
	    number);
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		char msg[256];

		pg_message(pg, res, msg, sizeof(msg));
		snprintf(err, errlen, "schema %s failed: %s", name, msg);
		PQclear(PQexec(pg, "ROLLBACK"));
		rv = BS_ERR_IO;
	}
	PQclear(res);
	free(sql);
	return rv;
}

/* The advisory lock key of the schema's migrations: "bsschema" in ASCII. */
#define PG_MIGRATION_LOCK "7094140708829097313"

static int
pg_migrate(PGconn *pg, const char *sql_dir, char *err, size_t errlen)
{
	PGresult *res;
	char *dir;
	int version = 0, rv;

	/*
	 * Nodes started at once on an empty database would apply the same
	 * schema together, and all but one fail on a duplicate: one at a
	 * time (a session lock, given back below or with the connection).
	 */
	res = PQexec(pg, "SELECT pg_advisory_lock(" PG_MIGRATION_LOCK ")");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[256];

		pg_message(pg, res, msg, sizeof(msg));
		snprintf(err, errlen, "cannot lock the schema in PostgreSQL: "
		    "%s", msg);
		PQclear(res);
		return BS_ERR_IO;
	}
	PQclear(res);
	res = PQexec(pg, "CREATE TABLE IF NOT EXISTS schema_version "
	    "(version integer NOT NULL)");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		char msg[256];

		pg_message(pg, res, msg, sizeof(msg));
		snprintf(err, errlen, "cannot create the schema_version table "
		    "in PostgreSQL: %s", msg);
		PQclear(res);
		PQclear(PQexec(pg, "SELECT pg_advisory_unlock("
		    PG_MIGRATION_LOCK ")"));
		return BS_ERR_IO;
	}
	PQclear(res);
	res = PQexec(pg, "SELECT coalesce(max(version), 0) FROM "
	    "schema_version");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	dir = xasprintf("%s/postgresql", sql_dir);
	rv = store_migrations(dir, &version, pg_migrate_one, pg, err, errlen);
	free(dir);
	PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" PG_MIGRATION_LOCK ")"));
	return rv;
}

int
store_pg_open(struct store_conn **out, const char *conninfo,
    const char *sql_dir, char *err, size_t errlen)
{
	struct pg_conn *c;
	char msg[256];
	int rv;

	c = xcalloc(1, sizeof(*c));
	c->base.backend = &pg_backend;
	c->conninfo = xstrdup(conninfo);
	c->options = PG_OPTIONS_STORE;
	c->backoff_ms = PG_BACKOFF_MIN_MS;
	c->pg = pg_connect(conninfo, c->options);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		pg_message(c->pg, NULL, msg, sizeof(msg));
		snprintf(err, errlen, "cannot connect to PostgreSQL (--store, "
		    "database %s): %s", c->pg != NULL && PQdb(c->pg) != NULL ?
		    PQdb(c->pg) : "?", msg);
		rv = BS_ERR_IO;
		goto fail;
	}
	if ((rv = pg_migrate(c->pg, sql_dir, err, errlen)) != 0)
		goto fail;
	*out = &c->base;
	return 0;
fail:
	pg_close(&c->base);
	return rv;
}

int
store_pg_open_side(struct store_conn **out, const char *conninfo,
    char *err, size_t errlen)
{
	struct pg_conn *c;
	char msg[256];

	c = xcalloc(1, sizeof(*c));
	c->base.backend = &pg_backend;
	c->conninfo = xstrdup(conninfo);
	c->options = PG_OPTIONS_SIDE;
	c->backoff_ms = PG_BACKOFF_MIN_MS;
	c->pg = pg_connect(conninfo, c->options);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		pg_message(c->pg, NULL, msg, sizeof(msg));
		snprintf(err, errlen, "cannot connect to PostgreSQL (--store): "
		    "%s", msg);
		pg_close(&c->base);
		return BS_ERR_IO;
	}
	*out = &c->base;
	return 0;
}

int
store_conn_ready(struct store_conn *conn)
{
	return conn->backend->ready(conn);
}

int
store_conn_ready_now(struct store_conn *conn)
{
	pg_conn(conn)->next_try_ms = 0;
	return conn->backend->ready(conn);
}

void
store_conn_close(struct store_conn *conn)
{
	if (conn != NULL)
		conn->backend->close(conn);
}
