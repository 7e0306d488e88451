/*
 * The storage thread and group commit (store.h).
 *
 * Two queues, each guarded by the store's mutex: "incoming" (loop to
 * storage thread) and "done" (storage thread to loop).  The storage thread
 * sleeps on a condition variable until incoming is non-empty, takes the
 * whole queue, runs it as one transaction, moves it to done and signals
 * the loop's eventfd; the loop runs the done functions.  The batch is
 * whatever arrived while the previous commit was on disk, so batches grow
 * with load on their own and a lone write waits for nobody.
 */
#include "config.h"

#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

struct store_item {
	store_apply_fn apply;
	store_done_fn done;
	void *arg;
	int status;
	struct store_item *next;
};

struct store_queue {
	struct store_item *head, *tail;
};

struct store {
	sqlite3 *db;
	int lock_fd;		/* holds the database file's flock, or -1 */
	struct loop *loop;
	struct loop_wake *wake;
	pthread_t thread;
	int started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct store_queue incoming;	/* guarded by lock */
	struct store_queue done;	/* guarded by lock */
	int stopping;			/* guarded by lock */
	/* Figures of the last batches, for the loop to record (lock). */
	double commit_seconds[64];
	size_t batch_sizes[64];
	size_t nfigures;

	size_t pending;			/* loop thread */
	uint64_t batches, items;	/* loop thread */
	struct metric *m_batch_size;
	struct metric *m_commit_seconds;
	struct metric *m_failures;
};

static void
queue_push(struct store_queue *q, struct store_item *it)
{
	it->next = NULL;
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
}

static struct store_item *
queue_take(struct store_queue *q)
{
	struct store_item *all = q->head;

	q->head = q->tail = NULL;
	return all;
}

/* ---- migrations ---------------------------------------------------------- */

static int
migration_filter(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return len > 8 && de->d_name[0] >= '0' && de->d_name[0] <= '9' &&
	    strcmp(de->d_name + len - 4, ".sql") == 0;
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			text = xrealloc(text, cap + 1);
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	text[len] = '\0';
	return text;
}

/*
 * Applies NNN_*.sql files whose number is above user_version, each in its
 * own transaction that also sets user_version to its number.
 */
static int
store_migrate(sqlite3 *db, const char *sql_dir, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	sqlite3_stmt *st;
	int version = 0, n, rv = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	n = scandir(sql_dir, &names, migration_filter, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the schema directory %s: %s",
		    sql_dir, strerror(errno));
		return BS_ERR_IO;
	}
	for (int i = 0; i < n; i++) {
		int number = (int)strtol(names[i]->d_name, NULL, 10);
		char *path, *text, *msg = NULL, *sql;

		if (rv != 0 || number <= version)
			continue;
		path = xasprintf("%s/%s", sql_dir, names[i]->d_name);
		text = read_text(path);
		if (text == NULL) {
			snprintf(err, errlen, "cannot read %s", path);
			free(path);
			rv = BS_ERR_IO;
			continue;
		}
		sql = xasprintf("BEGIN;\n%s\n;PRAGMA user_version=%d;COMMIT;",
		    text, number);
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "schema %s failed: %s", path,
			    msg ? msg : "?");
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			rv = BS_ERR_IO;
		} else {
			log_info("store: applied schema %s", names[i]->d_name);
			version = number;
		}
		sqlite3_free(msg);
		free(sql);
		free(text);
		free(path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rv == 0 && version == 0) {
		snprintf(err, errlen, "no schema files (NNN_name.sql) in %s",
		    sql_dir);
		rv = BS_ERR_INVALID;
	}
	return rv;
}

/* ---- the storage thread ---------------------------------------------------- */

static double
now_seconds(void)
{
	return (double)loop_clock_us() / 1e6;
}

/* Runs one batch as a transaction; sets every item's status. */
static void
store_commit_batch(sqlite3 *db, struct store_item *batch)
{
	struct store_item *it;
	int failed = 0;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		failed = 1;
	for (it = batch; it != NULL && !failed; it = it->next) {
		int rc;

		sqlite3_exec(db, "SAVEPOINT item", NULL, NULL, NULL);
		rc = it->apply != NULL ? it->apply(db, it->arg) : SQLITE_OK;
		if (rc != SQLITE_OK) {
			log_warn("store: a write failed: %s",
			    sqlite3_errstr(rc));
			sqlite3_exec(db, "ROLLBACK TO item", NULL, NULL, NULL);
			it->status = BS_ERR_IO;
		}
		sqlite3_exec(db, "RELEASE item", NULL, NULL, NULL);
	}
	if (!failed && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_error("store: commit failed: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		failed = 1;
	}
	if (failed)
		for (it = batch; it != NULL; it = it->next)
			it->status = BS_ERR_IO;
}

static void *
store_thread(void *arg)
{
	struct store *store = arg;

	pthread_mutex_lock(&store->lock);
	for (;;) {
		struct store_item *batch, *it, *next;
		size_t n = 0;
		double t0, t1;

		while (store->incoming.head == NULL && !store->stopping)
			pthread_cond_wait(&store->cond, &store->lock);
		if (store->incoming.head == NULL)
			break;
		batch = queue_take(&store->incoming);
		pthread_mutex_unlock(&store->lock);

		t0 = now_seconds();
		store_commit_batch(store->db, batch);
		t1 = now_seconds();

		pthread_mutex_lock(&store->lock);
		for (it = batch; it != NULL; it = next) {
			next = it->next;
			queue_push(&store->done, it);
			n++;
		}
		if (store->nfigures < 64) {
			store->commit_seconds[store->nfigures] = t1 - t0;
			store->batch_sizes[store->nfigures] = n;
			store->nfigures++;
		}
		loop_wake_signal(store->wake);
	}
	pthread_mutex_unlock(&store->lock);
	return NULL;
}

/* On the loop thread: runs the done functions of committed items. */
static void
store_drain_done(struct loop *loop, void *arg)
{
	struct store *store = arg;
	struct store_item *done, *next;
	double secs[64];
	size_t sizes[64], nfig;

	pthread_mutex_lock(&store->lock);
	done = queue_take(&store->done);
	nfig = store->nfigures;
	memcpy(secs, store->commit_seconds, nfig * sizeof(secs[0]));
	memcpy(sizes, store->batch_sizes, nfig * sizeof(sizes[0]));
	store->nfigures = 0;
	pthread_mutex_unlock(&store->lock);

	for (size_t i = 0; i < nfig; i++) {
		store->batches++;
		store->items += sizes[i];
		metric_observe(store->m_batch_size, (double)sizes[i]);
		metric_observe(store->m_commit_seconds, secs[i]);
	}
	for (; done != NULL; done = next) {
		next = done->next;
		store->pending--;
		if (done->status != 0)
			metric_add(store->m_failures, 1);
		done->done(done->arg, done->status);
		free(done);
	}
}

/* ---- the public side ----------------------------------------------------- */

static const double batch_buckets[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256,
	512, 1024 };

static void
store_add_metrics(struct store *store, struct metrics *m)
{
	store->m_batch_size = metrics_add(m, METRIC_HISTOGRAM,
	    "broadside_store_batch_size",
	    "Work items per committed transaction (group commit).", NULL,
	    batch_buckets, sizeof(batch_buckets) / sizeof(batch_buckets[0]));
	store->m_commit_seconds = metrics_add(m, METRIC_HISTOGRAM,
	    "broadside_store_commit_seconds",
	    "Time to run and commit one transaction.", NULL,
	    METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS);
	store->m_failures = metrics_add(m, METRIC_COUNTER,
	    "broadside_store_failures_total",
	    "Work items whose write failed.", NULL, NULL, 0);
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
lock_database(struct store *store, const char *path, char *err,
    size_t errlen)
{
	if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
		return 0;
	store->lock_fd = open(path, O_RDWR | O_CLOEXEC);
	if (store->lock_fd < 0)
		return 0;
	if (flock(store->lock_fd, LOCK_EX | LOCK_NB) == 0)
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

int
store_open(struct store **out, struct loop *loop, const char *path,
    const char *sql_dir, enum store_durability durability,
    struct metrics *metrics, char *err, size_t errlen)
{
	struct store *store;
	char *msg = NULL;
	const char *pragmas = durability == STORE_DURABILITY_FULL ?
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;" :
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;";
	int rv;

	store = xcalloc(1, sizeof(*store));
	store->loop = loop;
	store->lock_fd = -1;
	pthread_mutex_init(&store->lock, NULL);
	pthread_cond_init(&store->cond, NULL);
	make_parent_dirs(path);
	protect_files(path);
	if ((rv = lock_database(store, path, err, errlen)) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(store->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the database %s: %s", path,
		    msg ? msg : sqlite3_errmsg(store->db));
		sqlite3_free(msg);
		rv = BS_ERR_IO;
		goto fail;
	}
	if ((rv = store_migrate(store->db, sql_dir, err, errlen)) != 0)
		goto fail;
	store->wake = loop_wake_new(loop, store_drain_done, store);
	if (store->wake == NULL) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		rv = BS_ERR_IO;
		goto fail;
	}
	if (metrics != NULL)
		store_add_metrics(store, metrics);
	*out = store;
	return 0;
fail:
	store_close(store);
	return rv;
}

sqlite3 *
store_db(struct store *store)
{
	return store->db;
}

int
store_start(struct store *store)
{
	if (pthread_create(&store->thread, NULL, store_thread, store) != 0)
		return BS_ERR_IO;
	store->started = 1;
	return 0;
}

void
store_submit(struct store *store, store_apply_fn apply, store_done_fn done,
    void *arg)
{
	struct store_item *it = xcalloc(1, sizeof(*it));

	it->apply = apply;
	it->done = done;
	it->arg = arg;
	store->pending++;
	pthread_mutex_lock(&store->lock);
	queue_push(&store->incoming, it);
	pthread_cond_signal(&store->cond);
	pthread_mutex_unlock(&store->lock);
}

size_t
store_pending(const struct store *store)
{
	return store->pending;
}

void
store_stats(const struct store *store, uint64_t *batches, uint64_t *items)
{
	*batches = store->batches;
	*items = store->items;
}

void
store_close(struct store *store)
{
	if (store == NULL)
		return;
	if (store->started) {
		pthread_mutex_lock(&store->lock);
		store->stopping = 1;
		pthread_cond_signal(&store->cond);
		pthread_mutex_unlock(&store->lock);
		pthread_join(store->thread, NULL);
	} else if (store->incoming.head != NULL && store->db != NULL) {
		/* Never started: commit what was queued here. */
		struct store_item *batch = queue_take(&store->incoming), *it;

		store_commit_batch(store->db, batch);
		while ((it = batch) != NULL) {
			batch = it->next;
			queue_push(&store->done, it);
		}
	}
	if (store->wake != NULL) {
		store_drain_done(store->loop, store);
		loop_wake_free(store->wake);
	}
	if (store->db != NULL) {
		sqlite3_stmt *st;

		/* Statements kept between writes (persist.c). */
		while ((st = sqlite3_next_stmt(store->db, NULL)) != NULL)
			sqlite3_finalize(st);
	}
	sqlite3_close(store->db);
	if (store->lock_fd >= 0)
		close(store->lock_fd);	/* and with it the flock */
	pthread_cond_destroy(&store->cond);
	pthread_mutex_destroy(&store->lock);
	free(store);
}
