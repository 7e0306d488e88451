/*
 * The durable store, owned by one storage thread (broadside-api(7),
 * "DURABILITY"; doc/design.md, "Process model" and "The store").  Two
 * backends behind one interface (store_backend.h): an SQLite file in WAL
 * mode (store_sqlite.c, the default) and a PostgreSQL database
 * (store_pg.c), chosen by the location given to store_open().
 *
 * The loop submits work items; each carries an apply function that runs on
 * the storage thread inside a transaction, and a done function that runs
 * back on the loop thread once that transaction has committed (or failed).
 * Everything submitted since the last commit goes into one transaction
 * (group commit), each item in its own savepoint so that one failing item
 * fails alone.  Nothing may be acknowledged to a client or published before
 * its done function has run with status 0.
 *
 * Before store_start(), the loop thread may use store_conn() directly for
 * start-up work (restoring battles); after it, only apply functions touch
 * the connection.  Callers never see the backend's own types: they hand
 * the struct store_conn to persist.h, which speaks the backend's dialect.
 */
#ifndef BROADSIDE_STORE_H
#define BROADSIDE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct metrics;
struct store;
struct store_conn;

enum store_durability {
	/* SQLite synchronous=NORMAL: survives a crash of the process */
	STORE_DURABILITY_NORMAL,
	/*
	 * SQLite synchronous=FULL: survives power loss (PostgreSQL: as its
	 * server is configured, whichever is asked)
	 */
	STORE_DURABILITY_FULL,
};

/*
 * Runs on the storage thread inside the batch's transaction (NULL: a
 * barrier that writes nothing but completes after all earlier items).  Returns
 * 0, or BS_ERR_IO or BS_ERR_LOST (its savepoint is rolled back and its done
 * function gets that code).  It may only touch arg and conn (through
 * persist.h).
 */
typedef int (*store_apply_fn)(struct store_conn *conn, void *arg);

/*
 * Runs on the loop thread: status 0 (committed), BS_ERR_LOST (refused by
 * its lease's fence) or BS_ERR_IO.
 */
typedef void (*store_done_fn)(void *arg, int status);

/*
 * Opens the store at location: a PostgreSQL connection string
 * (store_is_postgresql()), else the path of an SQLite file.
 *
 * SQLite: opens (creating if needed) the file, sets WAL mode and the
 * durability, and applies the schema files of sql_dir/sqlite (NNN_name.sql,
 * applied in order above PRAGMA user_version).  The file is locked (flock)
 * until store_close(): a second store_open() of it, in this process or
 * another, fails with BS_ERR_IO and says so.
 *
 * PostgreSQL: connects and applies the schema files of sql_dir/postgresql
 * above its schema_version table.  Several daemons may share the
 * database: battle leases (src/lease.h) decide which one serves a battle.
 *
 * Returns 0, or BS_ERR_IO / BS_ERR_INVALID with one sentence in err.
 * metrics may be NULL.
 */
int store_open(struct store **out, struct loop *loop, const char *location,
    const char *sql_dir, enum store_durability durability,
    struct metrics *metrics, char *err, size_t errlen);

/*
 * Whether location names a PostgreSQL database: a postgresql:// or
 * postgres:// URI, or a libpq keyword=value string.
 */
int store_is_postgresql(const char *location);

/* The connection, for start-up work before store_start() only. */
struct store_conn *store_conn(struct store *store);

/* Starts the storage thread.  Returns 0 or BS_ERR_IO. */
int store_start(struct store *store);

/*
 * Queues a work item.  Loop thread only.  done is always called exactly
 * once, on the loop thread, after the item's transaction ended.
 */
void store_submit(struct store *store, store_apply_fn apply,
    store_done_fn done, void *arg);

/* Items submitted and not yet done. */
size_t store_pending(const struct store *store);

/*
 * Commits what is queued, runs the done functions, stops the thread and
 * closes the database.  Loop thread; NULL is a no-op.
 */
void store_close(struct store *store);

/* Statistics, for benchmarks and tests: batches committed, items in them. */
void store_stats(const struct store *store, uint64_t *batches,
    uint64_t *items);

#endif
