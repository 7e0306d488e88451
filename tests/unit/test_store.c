/*
 * Unit tests for the store (src/store.c): migrations, group commit (items
 * queued together commit in one transaction), per-item failure isolation,
 * done functions on the loop thread, and durability across a reopen.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "loop.h"
#include "persist.h"
#include "store.h"
#include "store_sqlite.h"

static char dir[64];
static char dbpath[96];
static char sqldir[512];

static int
setup(void **state)
{
	const char *src = getenv("BS_SRCDIR");

	snprintf(dir, sizeof(dir), "/tmp/test_store_XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	snprintf(sqldir, sizeof(sqldir), "%s/sql", src ? src : ".");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

struct item {
	int value;
	int fail;
	int status;
	int done;
	pthread_t done_thread;
};

static int
apply_insert(struct store_conn *conn, void *arg)
{
	struct item *it = arg;
	sqlite3 *db = store_sqlite_db(conn);
	char sql[160];

	if (it->fail)
		return sqlite3_exec(db, "INSERT INTO nosuchtable VALUES (1)",
		    NULL, NULL, NULL) == SQLITE_OK ? 0 : BS_ERR_IO;
	snprintf(sql, sizeof(sql), "INSERT INTO battles (id, created_at, "
	    "name, join_code, gm_token_hash, phase) VALUES ('b%d', 0, 'n', "
	    "'j', x'00', 'lobby')", it->value);
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    BS_ERR_IO;
}

static void
item_done(void *arg, int status)
{
	struct item *it = arg;

	it->status = status;
	it->done = 1;
	it->done_thread = pthread_self();
}

static int
count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The battles in the file, read through a connection of its own. */
static int
count_battles(const char *path)
{
	sqlite3 *db;
	int n;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	n = count_rows(db, "SELECT count(*) FROM battles");
	sqlite3_close(db);
	return n;
}

static void
run_until_done(struct loop *loop, struct store *store)
{
	for (int i = 0; i < 500 && store_pending(store) > 0; i++)
		assert_int_equal(loop_run_once(loop, 100), 0);
	assert_int_equal(store_pending(store), 0);
}

static void
test_group_commit_and_failure_isolation(void **state)
{
	struct item items[100];
	struct loop *loop;
	struct store *store;
	uint64_t batches, n;
	char err[256];

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	memset(items, 0, sizeof(items));
	/* Queued before the thread starts: they all form one batch. */
	for (int i = 0; i < 100; i++) {
		items[i].value = i;
		items[i].fail = i == 42;
		store_submit(store, apply_insert, item_done, &items[i]);
	}
	assert_int_equal(store_start(store), 0);
	run_until_done(loop, store);
	store_stats(store, &batches, &n);
	assert_int_equal(batches, 1);
	assert_int_equal(n, 100);
	for (int i = 0; i < 100; i++) {
		assert_true(items[i].done);
		assert_int_equal(items[i].status, i == 42 ? BS_ERR_IO : 0);
		/* Done functions run on the loop thread (this one). */
		assert_true(pthread_equal(items[i].done_thread,
		    pthread_self()));
	}
	assert_int_equal(count_battles(dbpath), 99);

	/* One more, alone: its own batch, and durable across a reopen. */
	memset(&items[0], 0, sizeof(items[0]));
	items[0].value = 1000;
	store_submit(store, apply_insert, item_done, &items[0]);
	run_until_done(loop, store);
	store_stats(store, &batches, &n);
	assert_int_equal(batches, 2);
	store_close(store);
	assert_int_equal(count_battles(dbpath), 100);
	loop_free(loop);
}

static int
apply_blob(struct store_conn *conn, void *arg)
{
	return sqlite3_exec(store_sqlite_db(conn), "INSERT INTO scratch "
	    "VALUES (zeroblob(64000))", NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    BS_ERR_IO;
}

/*
 * Commits only append to the write-ahead log; the checkpoint thread
 * copies it into the database file once it passes 1000 pages, and the
 * writer never has to (store_sqlite.c).
 */
static void
test_checkpoints_in_their_own_thread(void **state)
{
	struct loop *loop;
	struct store *store;
	struct item it;
	unsigned long passes = 0, inline_passes = 0;
	struct stat st;
	char err[256];

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_exec(store_sqlite_db(store_conn(store)),
	    "CREATE TABLE scratch (b BLOB)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_start(store), 0);
	/* 300 commits of 16 pages or more each: 4,800 pages of log. */
	for (int i = 0; i < 300; i++) {
		memset(&it, 0, sizeof(it));
		store_submit(store, apply_blob, item_done, &it);
		run_until_done(loop, store);
		assert_int_equal(it.status, 0);
	}
	/* Up to 30 s: make check runs tests side by side. */
	for (int i = 0; i < 3000 && passes == 0; i++) {
		store_sqlite_checkpoints(store_conn(store), &passes,
		    &inline_passes);
		if (passes == 0)
			usleep(10 * 1000);
	}
	assert_true(passes > 0);
	assert_int_equal(inline_passes, 0);
	/*
	 * The pages are in the database file itself, not only in the log:
	 * all but those of the commits since the log last started over,
	 * which stay in it until the next commits pass 1000 pages (or the
	 * store closes).  So, not every blob: 200 of the 300 blobs (1000
	 * pages are 64 of them).
	 */
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(stat(dbpath, &st), 0);
		if (st.st_size >= 200 * 64000)
			break;
		usleep(10 * 1000);
	}
	assert_true(st.st_size >= 200 * 64000);
	/* Closed, every page is. */
	store_close(store);
	assert_int_equal(stat(dbpath, &st), 0);
	assert_true(st.st_size >= 300 * 64000);
	loop_free(loop);
}

/* An item whose done function submits the next one, three in all. */
struct chain {
	struct store *store;
	struct item it;
	int left;
};

static int
apply_chain(struct store_conn *conn, void *arg)
{
	struct chain *c = arg;

	c->it.value = 500 + c->left;
	return apply_insert(conn, &c->it);
}

static void
chain_done(void *arg, int status)
{
	struct chain *c = arg;

	assert_int_equal(status, 0);
	if (--c->left > 0)
		store_submit(c->store, apply_chain, chain_done, c);
}

/* Closing commits what done functions submit while the store stops. */
static void
test_close_commits_chained_work(void **state)
{
	struct loop *loop;
	struct store *store;
	struct chain c;
	char err[256];

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_start(store), 0);
	memset(&c, 0, sizeof(c));
	c.store = store;
	c.left = 3;
	store_submit(store, apply_chain, chain_done, &c);
	store_close(store);
	assert_int_equal(c.left, 0);
	assert_int_equal(count_battles(dbpath), 3);
	loop_free(loop);
}

/*
 * The sweep's deletes on SQLite: nothing when told of no key (there is no
 * index on expiry: the expired keys come by key, like those past the
 * bounds), the keys the index forgot by key, sparing a newer use of the
 * same key, and the expired keys and those past the bounds when told to
 * pass over every key.
 */
static void
test_idempotency_delete_by_key(void **state)
{
	struct loop *loop;
	struct store *store;
	sqlite3 *db;
	char err[256];
	struct idempotency_gone gone[2];
	char target[] = "POST /t", a[] = "a", b[] = "b", none[] = "";

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	db = store_sqlite_db(store_conn(store));
	/* Caller x'01': a (made at 10), b (at 20, a newer use); caller
	 * x'02': c (expires at 50); then 300 of caller x'03', past any
	 * per-caller limit the sweep might apply. */
	assert_int_equal(sqlite3_exec(db,
	    "INSERT INTO idempotency VALUES (zeroblob(32), 'POST /t', 'a', "
	    "zeroblob(32), '', 10, 1000, 201, NULL, NULL, x'');"
	    "INSERT INTO idempotency VALUES (zeroblob(32), 'POST /t', 'b', "
	    "zeroblob(32), '', 20, 1000, 201, NULL, NULL, x'');"
	    "INSERT INTO idempotency VALUES (x'02', 'POST /t', 'c', "
	    "zeroblob(32), '', 5, 50, 201, NULL, NULL, x'');"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 300) INSERT INTO idempotency SELECT x'03', 'POST /t', "
	    "'k' || i, zeroblob(32), '', i, 1000, 201, NULL, NULL, x'' "
	    "FROM n;", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency"),
	    303);
	/* Told of no key: not even c, expired at 60, goes. */
	assert_int_equal(persist_idempotency_sweep(store_conn(store), 60, 0,
	    0), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency"),
	    303);
	memset(gone, 0, sizeof(gone));
	gone[0].target = gone[1].target = target;
	gone[0].battle = gone[1].battle = none;
	gone[0].key = a;
	gone[0].created = 10;
	/* b was forgotten when made at 15: the row of its use at 20 stays. */
	gone[1].key = b;
	gone[1].created = 15;
	assert_int_equal(persist_idempotency_delete(store_conn(store), gone,
	    2), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE key IN ('a', 'b')"), 1);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE key = 'b'"), 1);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency"),
	    302);
	/* Told to pass over every key: c expired, x'03' keeps its newest
	 * 256, the newest first. */
	assert_int_equal(persist_idempotency_sweep(store_conn(store), 60, 256,
	    65536), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE caller = x'02'"), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE caller = x'03'"), 256);
	assert_int_equal(count_rows(db, "SELECT min(created_at) FROM "
	    "idempotency WHERE caller = x'03'"), 45);
	/* The bound in all keeps the newest. */
	assert_int_equal(persist_idempotency_sweep(store_conn(store), 60, 256,
	    10), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency"),
	    10);
	assert_int_equal(count_rows(db, "SELECT min(created_at) FROM "
	    "idempotency"), 291);
	store_close(store);
	loop_free(loop);
}

/*
 * Deleting a battle deletes its keys (schema 6 has no foreign key for
 * it), in the same record, and no other battle's nor the keys of no
 * battle; the DELETE's own key is written after.
 */
static void
test_battle_delete_takes_its_keys(void **state)
{
	static const unsigned char hash[32] = { 1 };
	struct idempotency_request req = { .caller = { 7 } };
	struct idempotency_response resp = { .status = 201, .body = "{}",
	    .body_len = 2 };
	struct persist_write *w;
	struct loop *loop;
	struct store *store;
	struct store_conn *conn;
	sqlite3 *db;
	char err[256], target[64];
	const char *battles[] = { "b1", "b2" };

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	conn = store_conn(store);
	db = store_sqlite_db(conn);
	for (int i = 0; i < 2; i++) {
		w = persist_write_new(battles[i]);
		persist_write_battle(w, "n", "J", hash, 1);
		req.target = "POST /v1/battles";
		req.key = battles[i];
		req.battle = "";
		persist_write_idempotency(w, &req, 1, 1000, &resp);
		assert_int_equal(persist_apply(conn, w), 0);
		persist_write_free(w);
		w = persist_write_new(battles[i]);
		persist_write_phase(w, "planning", 0, 0);
		snprintf(target, sizeof(target), "POST /v1/battles/%s/start",
		    battles[i]);
		req.target = target;
		req.key = "k";
		req.battle = battles[i];
		persist_write_idempotency(w, &req, 2, 1000, &resp);
		assert_int_equal(persist_apply(conn, w), 0);
		persist_write_free(w);
	}
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency"),
	    4);
	w = persist_write_new("b1");
	persist_write_delete(w);
	req.target = "DELETE /v1/battles/b1";
	req.key = "d";
	req.battle = "";
	persist_write_idempotency(w, &req, 3, 1000, &resp);
	assert_int_equal(persist_apply(conn, w), 0);
	persist_write_free(w);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE battle_id = 'b1'"), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE battle_id = 'b2'"), 1);
	/* Both creations' keys and the DELETE's. */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE battle_id = ''"), 3);
	store_close(store);
	loop_free(loop);
}

/*
 * A database of schema 5 (the idempotency table with a rowid and a
 * foreign key) moves to schema 6 with its keys: a key of no battle
 * (NULL) becomes ''.
 */
static void
test_idempotency_migrates(void **state)
{
	struct loop *loop;
	struct store *store;
	sqlite3 *db;
	char err[256], v5[128], cmd[1400];

	/* The schema files up to 5 alone, in a directory of their own. */
	snprintf(v5, sizeof(v5), "%s/v5", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/sqlite' && "
	    "cp '%s'/sqlite/00[1-5]_*.sql '%s/sqlite/'", v5, sqldir, v5);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, v5,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	db = store_sqlite_db(store_conn(store));
	assert_int_equal(count_rows(db, "PRAGMA user_version"), 5);
	assert_int_equal(sqlite3_exec(db,
	    "INSERT INTO battles (id, created_at, name, join_code, "
	    "gm_token_hash, phase) VALUES ('b1', 0, 'n', 'j', x'00', 'lobby');"
	    "INSERT INTO idempotency VALUES (zeroblob(32), 'POST /v1/battles', "
	    "'a', zeroblob(32), NULL, 10, 1000, 201, 'application/json', "
	    "'/v1/battles/b1', x'7b7d');"
	    "INSERT INTO idempotency VALUES (zeroblob(32), "
	    "'POST /v1/battles/b1/start', 'a', zeroblob(32), 'b1', 11, 1000, "
	    "200, NULL, NULL, x'');", NULL, NULL, NULL), SQLITE_OK);
	store_close(store);
	assert_int_equal(store_open(&store, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	db = store_sqlite_db(store_conn(store));
	assert_true(count_rows(db, "PRAGMA user_version") >= 6);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE battle_id = '' AND target = 'POST /v1/battles' AND "
	    "location = '/v1/battles/b1' AND body = x'7b7d'"), 1);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM idempotency "
	    "WHERE battle_id = 'b1' AND created_at = 11"), 1);
	/* Stored by its key, without a rowid. */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'idempotency' AND sql LIKE '%WITHOUT ROWID%'"), 1);
	store_close(store);
	loop_free(loop);
}

struct fenced {
	struct persist_write *w;
	int status;
	int done;
};

static int
apply_fenced(struct store_conn *conn, void *arg)
{
	return persist_apply(conn, ((struct fenced *)arg)->w);
}

static void
fenced_done(void *arg, int status)
{
	struct fenced *f = arg;

	f->status = status;
	f->done = 1;
}

/* A record of a phase change to b1, by owner at epoch, through the store. */
static int
fenced_write(struct loop *loop, struct store *store, const char *owner,
    int64_t epoch)
{
	struct fenced f = { .w = persist_write_new("b1") };

	persist_write_phase(f.w, "ended", 0, 5);
	persist_write_lease(f.w, owner, epoch, 1000);
	store_submit(store, apply_fenced, fenced_done, &f);
	run_until_done(loop, store);
	assert_true(f.done);
	persist_write_free(f.w);
	return f.status;
}

/*
 * The fence: a write made under a lease epoch the battle no longer has
 * (another take came between) is refused whole with BS_ERR_LOST, and the
 * write of the current owner at the current epoch goes through.
 * PostgreSQL runs the same calls in test_leases.sh.
 */
static void
test_lease_fence(void **state)
{
	static const unsigned char hash[32] = { 1 };
	struct persist_write *w;
	struct loop *loop;
	struct store *store;
	struct store_conn *conn;
	int64_t epoch;
	char err[256];

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	conn = store_conn(store);
	assert_int_equal(persist_lease_take(conn, "nosuch", "A", 1000, &epoch),
	    BS_ERR_NOT_FOUND);
	/* Created by A at epoch 1. */
	w = persist_write_new("b1");
	persist_write_battle(w, "n", "J", hash, 1);
	persist_write_lease(w, "A", 1, 1000);
	assert_int_equal(persist_apply(conn, w), 0);
	persist_write_free(w);
	/* B takes it (on SQLite the one daemon takes whatever it finds). */
	assert_int_equal(persist_lease_take(conn, "b1", "B", 1000, &epoch), 0);
	assert_int_equal(epoch, 2);
	assert_int_equal(store_start(store), 0);
	/* A's write at its old epoch is refused; so is B's at a wrong one. */
	assert_int_equal(fenced_write(loop, store, "A", 1), BS_ERR_LOST);
	assert_int_equal(fenced_write(loop, store, "B", 1), BS_ERR_LOST);
	assert_int_equal(fenced_write(loop, store, "B", 2), 0);
	store_close(store);
	loop_free(loop);
}

static void
test_migrations_apply_once(void **state)
{
	struct loop *loop;
	struct store *store;
	sqlite3_stmt *st;
	char err[256];

	assert_int_equal(loop_new(&loop), 0);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(store_open(&store, loop, dbpath, sqldir,
		    STORE_DURABILITY_FULL, NULL, err, sizeof(err)), 0);
		assert_int_equal(sqlite3_prepare_v2(
		    store_sqlite_db(store_conn(store)),
		    "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_true(sqlite3_column_int(st, 0) >= 1);
		sqlite3_finalize(st);
		assert_int_equal(sqlite3_prepare_v2(
		    store_sqlite_db(store_conn(store)),
		    "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		    "wal");
		sqlite3_finalize(st);
		store_close(store);
	}
	loop_free(loop);
}

static void
test_open_errors(void **state)
{
	struct loop *loop;
	struct store *store;
	char err[256], bad[160];

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, "/nonexistent",
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), BS_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent"));
	/* Under a regular file, no directory can be made for the file. */
	snprintf(bad, sizeof(bad), "%s/file", dir);
	fclose(fopen(bad, "w"));
	snprintf(bad, sizeof(bad), "%s/file/sub/x.db", dir);
	assert_int_equal(store_open(&store, loop, bad, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), BS_ERR_IO);
	assert_non_null(strstr(err, bad));
	loop_free(loop);
}

/* One store per database file: a second open is refused, naming it. */
static void
test_one_owner(void **state)
{
	struct loop *loop;
	struct store *first, *second;
	char err[256];

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&first, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_open(&second, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), BS_ERR_IO);
	assert_non_null(strstr(err, dbpath));
	assert_non_null(strstr(err, "in use"));
	store_close(first);
	/* Closed, the file is free again. */
	assert_int_equal(store_open(&second, loop, dbpath, sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	store_close(second);
	loop_free(loop);
}

/*
 * A --sql-dir of the layout before sql/sqlite/ (the SQLite files at its
 * top) still opens the database.
 */
static void
test_flat_schema_dir(void **state)
{
	struct loop *loop;
	struct store *store;
	char err[256], cmd[1200], flat[96];

	snprintf(flat, sizeof(flat), "%s/flat", dir);
	snprintf(cmd, sizeof(cmd), "mkdir '%s' && cp '%s'/sqlite/*.sql '%s'",
	    flat, sqldir, flat);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(store_open(&store, loop, dbpath, flat,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), 0);
	store_close(store);
	loop_free(loop);
}

/*
 * --store picks the backend: PostgreSQL for its URIs and libpq's
 * keyword=value strings, an SQLite file for anything else; a PostgreSQL
 * server that is not there is a clear error, not a file of that name.
 */
static void
test_location_picks_the_backend(void **state)
{
	struct loop *loop;
	struct store *store;
	char err[256];

	assert_true(store_is_postgresql("postgresql://u@127.0.0.1/db"));
	assert_true(store_is_postgresql("postgres:///db"));
	assert_true(store_is_postgresql("host=/tmp dbname=broadside"));
	assert_false(store_is_postgresql("/var/lib/broadside/broadside.db"));
	assert_false(store_is_postgresql("./a=b.db"));
	assert_false(store_is_postgresql("broadside.db"));

	assert_int_equal(loop_new(&loop), 0);
	/* Port 1 on loopback: refused at once. */
	assert_int_equal(store_open(&store, loop,
	    "postgresql://nobody@127.0.0.1:1/nowhere", sqldir,
	    STORE_DURABILITY_NORMAL, NULL, err, sizeof(err)), BS_ERR_IO);
	assert_non_null(strstr(err, "cannot connect to PostgreSQL"));
	assert_non_null(strstr(err, "nowhere"));
	assert_int_equal(access("postgresql:", F_OK), -1);
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_group_commit_and_failure_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrations_apply_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_fence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_owner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_location_picks_the_backend,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_flat_schema_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_checkpoints_in_their_own_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_idempotency_delete_by_key, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_battle_delete_takes_its_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_migrates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_commits_chained_work, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
