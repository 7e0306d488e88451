/*
 * The SQLite backend of the store (store_sqlite.h).
 */
#include "config.h"

#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "store_backend.h"

/*
 * Checkpoints off the commit path.  SQLite's own checkpoint runs in the
 * connection that commits, once the write-ahead log passes 1000 pages:
 * that commit then also copies the log's pages into the database file
 * and syncs it, tens of milliseconds under load in which every write
 * queued behind it waits (tests/load/scale.sh: the order -> visible p99
 * at 10,000 streams went from 100-200 ms to 53 ms with no checkpoint at
 * all).  Here a commit only appends to the log; a thread with a
 * connection of its own runs PASSIVE checkpoints, which never wait for
 * the writer nor make it wait, once the log passes CHECKPOINT_PAGES.
 * The writer starts the log over when it begins a transaction after a
 * checkpoint that copied all of it, so the thread checkpoints again at
 * once while a pass left pages behind (those committed meanwhile: fewer
 * each pass).  Should it fall behind all the same, the writer checkpoints
 * itself once the log passes CHECKPOINT_LIMIT_PAGES, as SQLite would
 * have: the log stays bounded either way.
 *
 * 1000 pages, as SQLite.  4000 (16 MB) copied less (a page written by
 * many commits is copied once per checkpoint: the thread's CPU in the
 * scale run 3.4 -> 2.1 s, the daemon's about 1.5 s less), but the
 * request -> answer p99 of the same runs was worse (median of five 72
 * ms against 62 at 1000): larger copies and syncs at once.
 */
#define CHECKPOINT_PAGES	1000
#define CHECKPOINT_LIMIT_PAGES	10000	/* 40 MB at 4 KB a page */
#define CHECKPOINT_PASSES	8	/* at most, per wake-up */

struct checkpointer {
	sqlite3 *db;		/* its own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wanted;		/* under lock */
	int stopping;		/* under lock */
	atomic_ulong passes;	/* checkpoints run by the thread */
	atomic_ulong inline_passes;	/* ... and by the writer */
};

struct sqlite_conn {
	struct store_conn base;
	sqlite3 *db;
	int lock_fd;		/* holds the database file's flock, or -1 */
	struct checkpointer *ckpt;	/* NULL: SQLite checkpoints itself */
};

static struct sqlite_conn *
sqlite_conn(struct store_conn *conn)
{
	return (struct sqlite_conn *)conn;
}

sqlite3 *
store_sqlite_db(struct store_conn *conn)
{
	return sqlite_conn(conn)->db;
}

/* ---- the backend's operations ---------------------------------------------- */

static int
sqlite_ready(struct store_conn *conn)
{
	(void)conn;
	return 0;
}

/*
 * Parsing SQL for every write cost more than the write (and BEGIN,
 * SAVEPOINT, RELEASE and COMMIT, parsed each time, were about a tenth of
 * the storage thread's time in a 300-battle broadside-load run):
 * statements are kept.
 */
int
store_sqlite_statement(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	sqlite3_stmt *st;

	for (st = sqlite3_next_stmt(db, NULL); st != NULL;
	    st = sqlite3_next_stmt(db, st)) {
		if (!sqlite3_stmt_busy(st) && strcmp(sqlite3_sql(st), sql) == 0) {
			*out = st;
			return SQLITE_OK;
		}
	}
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL);
}

/* Runs one statement without rows, kept for the next time. */
static int
run_kept(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_sqlite_statement(db, sql, &st)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
sqlite_exec(struct store_conn *conn, const char *sql)
{
	sqlite3 *db = sqlite_conn(conn)->db;

	if (run_kept(db, sql) == SQLITE_OK)
		return 0;
	log_error("store: %s failed: %s", sql, sqlite3_errmsg(db));
	return BS_ERR_IO;
}

static int
sqlite_commit(struct store_conn *conn)
{
	sqlite3 *db = sqlite_conn(conn)->db;

	if (run_kept(db, "COMMIT") == SQLITE_OK)
		return 0;
	log_error("store: commit failed: %s", sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return BS_ERR_IO;
}

static void checkpointer_stop(struct sqlite_conn *c);

static void
sqlite_close(struct store_conn *conn)
{
	struct sqlite_conn *c = sqlite_conn(conn);
	sqlite3_stmt *st;

	/* First: the last connection to close checkpoints the whole log. */
	checkpointer_stop(c);
	if (c->db != NULL) {
		/* Statements kept between writes (persist_sqlite.c). */
		while ((st = sqlite3_next_stmt(c->db, NULL)) != NULL)
			sqlite3_finalize(st);
	}
	sqlite3_close(c->db);
	if (c->lock_fd >= 0)
		close(c->lock_fd);	/* and with it the flock */
	free(c);
}

static const struct store_backend sqlite_backend = {
	.kind = STORE_KIND_SQLITE,
	.begin_sql = "BEGIN IMMEDIATE",
	.ready = sqlite_ready,
	.exec = sqlite_exec,
	.commit = sqlite_commit,
	.close = sqlite_close,
};

/* ---- the checkpointer ------------------------------------------------------ */

/* The writer's wal hook, after each of its commits: pages in the log. */
static int
checkpoint_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct checkpointer *ck = arg;

	if (pages >= CHECKPOINT_LIMIT_PAGES) {
		atomic_fetch_add(&ck->inline_passes, 1);
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	} else if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&ck->lock);
		ck->wanted = 1;
		pthread_cond_signal(&ck->cond);
		pthread_mutex_unlock(&ck->lock);
	}
	return SQLITE_OK;
}

static void *
checkpoint_thread(void *arg)
{
	struct checkpointer *ck = arg;
	int warned = 0;

	pthread_mutex_lock(&ck->lock);
	for (;;) {
		int rc, pages, copied, pass = 0;

		while (!ck->wanted && !ck->stopping)
			pthread_cond_wait(&ck->cond, &ck->lock);
		if (ck->stopping)
			break;
		ck->wanted = 0;
		pthread_mutex_unlock(&ck->lock);
		do {
			rc = sqlite3_wal_checkpoint_v2(ck->db, NULL,
			    SQLITE_CHECKPOINT_PASSIVE, &pages, &copied);
			atomic_fetch_add(&ck->passes, 1);
		} while (rc == SQLITE_OK && copied < pages &&
		    ++pass < CHECKPOINT_PASSES);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && !warned) {
			/* The writer's limit still bounds the log. */
			log_warn("store: a checkpoint failed: %s",
			    sqlite3_errmsg(ck->db));
			warned = 1;
		}
		pthread_mutex_lock(&ck->lock);
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

/*
 * Starts the checkpointer of a database file in WAL mode.  When it
 * cannot (no file, no connection, no thread), SQLite keeps checkpointing
 * in the writer, as it does by default: slower, never wrong.
 */
static void
checkpointer_start(struct sqlite_conn *c, const char *path,
    const char *pragmas)
{
	struct checkpointer *ck;
	sqlite3_stmt *st;
	int wal = 0;

	if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
		return;
	if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1, &st, NULL) ==
	    SQLITE_OK) {
		wal = sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)
		    sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
	}
	if (!wal)
		return;
	ck = xcalloc(1, sizeof(*ck));
	pthread_mutex_init(&ck->lock, NULL);
	pthread_cond_init(&ck->cond, NULL);
	if (sqlite3_open_v2(path, &ck->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(ck->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    pthread_create(&ck->thread, NULL, checkpoint_thread, ck) != 0) {
		log_warn("store: no checkpoint thread (%s): commits checkpoint "
		    "the log themselves", ck->db != NULL ?
		    sqlite3_errmsg(ck->db) : "out of memory");
		sqlite3_close(ck->db);
		pthread_cond_destroy(&ck->cond);
		pthread_mutex_destroy(&ck->lock);
		free(ck);
		return;
	}
	c->ckpt = ck;
	/* Replaces SQLite's own checkpoint after commits. */
	sqlite3_wal_hook(c->db, checkpoint_hook, ck);
}

static void
checkpointer_stop(struct sqlite_conn *c)
{
	struct checkpointer *ck = c->ckpt;

	if (ck == NULL)
		return;
	pthread_mutex_lock(&ck->lock);
	ck->stopping = 1;
	pthread_cond_signal(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
	pthread_join(ck->thread, NULL);
	sqlite3_wal_hook(c->db, NULL, NULL);
	sqlite3_close(ck->db);
	pthread_cond_destroy(&ck->cond);
	pthread_mutex_destroy(&ck->lock);
	free(ck);
	c->ckpt = NULL;
}

void
store_sqlite_checkpoints(struct store_conn *conn, unsigned long *passes,
    unsigned long *inline_passes)
{
	struct checkpointer *ck = sqlite_conn(conn)->ckpt;

	*passes = ck != NULL ? atomic_load(&ck->passes) : 0;
	*inline_passes = ck != NULL ? atomic_load(&ck->inline_passes) : 0;
}

/* ---- opening --------------------------------------------------------------- */

/* One schema file, in its own transaction that also sets user_version. */
static int
sqlite_migrate_one(void *ctx, int number, const char *name, const char *text,
    char *err, size_t errlen)
{
	sqlite3 *db = ctx;
	char *sql, *msg = NULL;
	int rv = 0;

	sql = xasprintf("BEGIN;\n%s\n;PRAGMA user_version=%d;COMMIT;", text,
	    number);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "schema %s failed: %s", name,
		    msg ? msg : "?");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		rv = BS_ERR_IO;
	}
	sqlite3_free(msg);
	free(sql);
	return rv;
}

static int
sqlite_migrate(sqlite3 *db, const char *sql_dir, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return store_migrations(sql_dir, &version, sqlite_migrate_one, db,
	    err, errlen);
}

/*
 * Creates the database's directory (and its parents) if missing, so that
 * the default path works on a fresh install.  Errors are left to
 * sqlite3_open_v2(), which names the file.
 */
static void
make_parent_dirs(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; *p != '\0'; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			mkdir(dir, 0750);
			*p = '/';
		}
		mkdir(dir, 0750);
	}
	free(dir);
}

/*
 * The database holds join codes, GM notes and hidden state: only its
 * owner may read it.  SQLite creates a missing file 0644 (less the
 * umask), and gives the -wal and -shm files it makes the database's own
 * mode, so the file is created here first, 0600; files that an earlier
 * version (or a copy) left readable by others are tightened, and said so.
 * Errors are left to sqlite3_open_v2(), which names the file.
 */
static void
protect_files(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct stat st;

	/* Not files: SQLite's in-memory and temporary databases. */
	if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
		return;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *name = xasprintf("%s%s", path, suffixes[i]);

		if (stat(name, &st) != 0) {
			int fd;

			if (errno == ENOENT && i == 0 && (fd = open(name,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0600)) >= 0)
				close(fd);
		} else if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
			if (chmod(name, st.st_mode & 0700) == 0)
				log_warn("store: %s was readable by others "
				    "(mode %03o): now %03o", name,
				    (unsigned)(st.st_mode & 0777),
				    (unsigned)(st.st_mode & 0700));
			else
				log_warn("store: %s is readable by others "
				    "(mode %03o) and chmod failed: %s", name,
				    (unsigned)(st.st_mode & 0777),
				    strerror(errno));
		}
		free(name);
	}
}

/*
 * One daemon per database file: a second one on the same file would keep
 * its own copy of every battle and write over the first one's.  flock()
 * is separate from the POSIX locks SQLite takes on the same file (Linux
 * keeps the two apart), so it neither disturbs SQLite nor stops a reader
 * such as the sqlite3 shell; the kernel drops it when the process dies,
 * however it dies.  A path that cannot be opened is left to SQLite, which
 * names it in its error.
 */
static int
lock_database(struct sqlite_conn *c, const char *path, char *err,
    size_t errlen)
{
	if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
		return 0;
	c->lock_fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->lock_fd < 0)
		return 0;
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		snprintf(err, errlen, "the database %s is in use by another "
		    "process (another broadsided?); one daemon per database "
		    "file: stop the other one or give this one another --db",
		    path);
	else
		snprintf(err, errlen, "cannot lock the database %s: %s", path,
		    strerror(errno));
	return BS_ERR_IO;
}

/*
 * SQL_DIR/sqlite; or SQL_DIR itself when it has no such directory but
 * schema files of its own: the layout before PostgreSQL, which a
 * --sql-dir given by hand may still name (the files are the same).
 */
static char *
schema_dir(const char *sql_dir)
{
	char *dir = xasprintf("%s/sqlite", sql_dir);
	char *first = xasprintf("%s/001_init.sql", sql_dir);
	struct stat st;

	if (stat(dir, &st) != 0 && errno == ENOENT &&
	    access(first, R_OK) == 0) {
		log_warn("store: no %s: reading the schema files of %s (the "
		    "layout before sql/sqlite/)", dir, sql_dir);
		free(dir);
		dir = xstrdup(sql_dir);
	}
	free(first);
	return dir;
}

int
store_sqlite_open(struct store_conn **out, const char *path,
    const char *sql_dir, enum store_durability durability, char *err,
    size_t errlen)
{
	struct sqlite_conn *c;
	char *msg = NULL, *dir;
	/*
	 * A page cache of 16 MiB instead of SQLite's 2 MiB, taken as it is
	 * used: with a thousand live battles the 2 MiB cache spilled on
	 * every commit and read its pages back (tests/load/scale.sh).
	 */
	const char *pragmas = durability == STORE_DURABILITY_FULL ?
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
	    "PRAGMA cache_size=-16384;" :
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
	    "PRAGMA cache_size=-16384;";
	int rv;

	c = xcalloc(1, sizeof(*c));
	c->base.backend = &sqlite_backend;
	c->lock_fd = -1;
	make_parent_dirs(path);
	protect_files(path);
	if ((rv = lock_database(c, path, err, errlen)) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the database %s: %s", path,
		    msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		rv = BS_ERR_IO;
		goto fail;
	}
	dir = schema_dir(sql_dir);
	rv = sqlite_migrate(c->db, dir, err, errlen);
	free(dir);
	if (rv != 0)
		goto fail;
	checkpointer_start(c, path, pragmas);
	*out = &c->base;
	return 0;
fail:
	sqlite_close(&c->base);
	return rv;
}
