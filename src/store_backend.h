/*
 * What a store backend provides to the storage thread (store.c), and the
 * connection handle that apply functions get (store.h).  Two backends:
 * SQLite (store_sqlite.c) and PostgreSQL (store_pg.c).
 *
 * A backend's connection struct starts with struct store_conn, so that
 * store.c and persist.c can hold it without knowing the backend; only
 * the backend's own modules (store_X.c, persist_X.c) look inside.
 */
#ifndef BROADSIDE_STORE_BACKEND_H
#define BROADSIDE_STORE_BACKEND_H

#include <stddef.h>

enum store_kind {
	STORE_KIND_SQLITE,
	STORE_KIND_POSTGRESQL,
};

struct store_conn;

struct store_backend {
	enum store_kind kind;
	const char *begin_sql;	/* starts a batch's transaction */
	/*
	 * Called before each batch, on the storage thread: 0 when the
	 * connection can take a transaction (a backend that lost its
	 * server reconnects here, with backoff), else BS_ERR_IO and the
	 * batch fails at once.
	 */
	int (*ready)(struct store_conn *conn);
	/* Runs one statement without results: 0 or BS_ERR_IO (logged). */
	int (*exec)(struct store_conn *conn, const char *sql);
	/* COMMIT: 0 only when the transaction is known to be committed. */
	int (*commit)(struct store_conn *conn);
	/* Closes the connection and frees it. */
	void (*close)(struct store_conn *conn);
};

struct store_conn {
	const struct store_backend *backend;
};

/*
 * Calls apply(ctx, number, name, text) for every schema file NNN_name.sql
 * in dir numbered above *version, in order, stopping at the first that
 * fails; *version follows the applied ones.  Returns 0 or BS_ERR_IO
 * (unreadable directory or file, or a failed apply) / BS_ERR_INVALID (no
 * schema file at all) with one sentence in err.  apply returns 0 or
 * BS_ERR_IO with err filled.
 */
int store_migrations(const char *dir, int *version,
    int (*apply)(void *ctx, int number, const char *name, const char *text,
    char *err, size_t errlen), void *ctx, char *err, size_t errlen);

#endif
