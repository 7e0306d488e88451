/*
 * The PostgreSQL backend of the store (store_backend.h), through libpq:
 * one connection, owned by the storage thread once the store has started,
 * its schema from SQL_DIR/postgresql by the schema_version table.
 *
 * Several daemons may share one database: each battle is leased to one
 * of them at a time and every write is fenced by the lease (src/lease.h,
 * doc/design.md "Battle leases").
 *
 * A lost server fails the batch under way and every batch after it at
 * once (BS_ERR_IO) while it is away; the backend reconnects by itself,
 * with backoff.
 */
#ifndef BROADSIDE_STORE_PG_H
#define BROADSIDE_STORE_PG_H

#include <stddef.h>

#include <libpq-fe.h>

struct store_conn;

/*
 * Connects with conninfo (a postgresql:// URI or keyword=value string),
 * and applies the schema files of sql_dir.
 * Returns 0, or BS_ERR_IO / BS_ERR_INVALID with one sentence in err
 * (never the password).  Loop thread, start-up.
 */
int store_pg_open(struct store_conn **out, const char *conninfo,
    const char *sql_dir, char *err, size_t errlen);

/*
 * A second connection to the same database, without migrations, for the
 * loop thread's lease statements (src/lease.h); store_conn_ready()
 * reconnects it.  Returns 0 or BS_ERR_IO with one sentence in err.
 */
int store_pg_open_side(struct store_conn **out, const char *conninfo,
    char *err, size_t errlen);

/*
 * 0 when conn can take a statement (a lost server is reconnected, with
 * backoff), else BS_ERR_IO.
 */
int store_conn_ready(struct store_conn *conn);

/*
 * The same, without waiting for the reconnection backoff: for a last
 * statement that must not be skipped (the release at exit).
 */
int store_conn_ready_now(struct store_conn *conn);

/* Closes a connection of store_pg_open_side().  NULL is a no-op. */
void store_conn_close(struct store_conn *conn);

/* The libpq connection of a connection of this backend. */
PGconn *store_pg_conn(struct store_conn *conn);

#endif
