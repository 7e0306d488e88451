/*
 * The SQLite backend of the store (store_sqlite.h).
 */
#include "config.h"

#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
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

struct sqlite_conn {
	struct store_conn base;
	sqlite3 *db;
	int lock_fd;		/* holds the database file's flock, or -1 */
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

static int
sqlite_exec(struct store_conn *conn, const char *sql)
{
	sqlite3 *db = sqlite_conn(conn)->db;

	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	log_error("store: %s failed: %s", sql, sqlite3_errmsg(db));
	return BS_ERR_IO;
}

static int
sqlite_commit(struct store_conn *conn)
{
	sqlite3 *db = sqlite_conn(conn)->db;

	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	log_error("store: commit failed: %s", sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return BS_ERR_IO;
}

static void
sqlite_close(struct store_conn *conn)
{
	struct sqlite_conn *c = sqlite_conn(conn);
	sqlite3_stmt *st;

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
	*out = &c->base;
	return 0;
fail:
	sqlite_close(&c->base);
	return rv;
}
