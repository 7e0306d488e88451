/*
 * The PostgreSQL backend of the store (store_backend.h), through libpq:
 * one connection, owned by the storage thread once the store has started,
 * its schema from SQL_DIR/postgresql by the schema_version table.
 *
 * One daemon per database for now: the connection holds a session-level
 * advisory lock (pg_try_advisory_lock), so a second daemon on the same
 * database refuses to start, as a second daemon on an SQLite file does.
 * Battle leases (several daemons on one database, each battle fenced to
 * its owner) will replace it.
 *
 * A lost server fails the batch under way and every batch after it at
 * once (BS_ERR_IO) while it is away; the backend reconnects by itself,
 * with backoff, and takes its lock again before it writes.
 */
#ifndef BROADSIDE_STORE_PG_H
#define BROADSIDE_STORE_PG_H

#include <stddef.h>

#include <libpq-fe.h>

struct store_conn;

/*
 * Connects with conninfo (a postgresql:// URI or keyword=value string),
 * takes the advisory lock and applies the schema files of sql_dir.
 * Returns 0, or BS_ERR_IO / BS_ERR_INVALID with one sentence in err
 * (never the password).  Loop thread, start-up.
 */
int store_pg_open(struct store_conn **out, const char *conninfo,
    const char *sql_dir, char *err, size_t errlen);

/* The libpq connection of a connection of this backend. */
PGconn *store_pg_conn(struct store_conn *conn);

#endif
