/*
 * The SQLite backend of the store (store_backend.h): one database file in
 * WAL mode, locked (flock) against a second daemon, its schema from
 * SQL_DIR/sqlite by PRAGMA user_version, its log checkpointed by a
 * thread of its own.
 */
#ifndef BROADSIDE_STORE_SQLITE_H
#define BROADSIDE_STORE_SQLITE_H

#include <stddef.h>

#include <sqlite3.h>

#include "store.h"

struct store_conn;

/*
 * Opens (creating if needed, with its directory) the database at path,
 * locks it, sets WAL mode and the durability, and applies the schema
 * files of sql_dir.  Returns 0, or BS_ERR_IO / BS_ERR_INVALID with one
 * sentence in err naming the file or directory.  Loop thread, start-up.
 */
int store_sqlite_open(struct store_conn **out, const char *path,
    const char *sql_dir, enum store_durability durability, char *err,
    size_t errlen);

/* The SQLite connection of a connection of this backend. */
sqlite3 *store_sqlite_db(struct store_conn *conn);

/*
 * db's prepared statement for sql (one statement), kept between uses:
 * found again by its text, prepared the first time; the store finalizes
 * them all when it closes.  Reset it after stepping.  Returns an SQLite
 * result code.  Storage thread.
 */
int store_sqlite_statement(sqlite3 *db, const char *sql, sqlite3_stmt **out);

/*
 * How many checkpoints of the write-ahead log the checkpoint thread has
 * run, and how many the writer ran itself because the log passed its
 * limit (store_sqlite.c); both 0 without a thread (an in-memory
 * database).  Any thread.
 */
void store_sqlite_checkpoints(struct store_conn *conn, unsigned long *passes,
    unsigned long *inline_passes);

#endif
