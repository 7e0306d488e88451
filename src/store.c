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
 *
 * The transaction itself is the backend's (store_backend.h): this file
 * knows neither SQLite nor PostgreSQL.
 */
#include "config.h"

#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "store_backend.h"
#include "store_pg.h"
#include "store_sqlite.h"

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
	struct store_conn *conn;
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

int
store_migrations(const char *dir, int *version,
    int (*apply)(void *ctx, int number, const char *name, const char *text,
    char *err, size_t errlen), void *ctx, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	int n, rv = 0;

	n = scandir(dir, &names, migration_filter, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the schema directory %s: %s",
		    dir, strerror(errno));
		return BS_ERR_IO;
	}
	for (int i = 0; i < n; i++) {
		int number = (int)strtol(names[i]->d_name, NULL, 10);
		char *path, *text;

		if (rv != 0 || number <= *version)
			continue;
		path = xasprintf("%s/%s", dir, names[i]->d_name);
		text = read_text(path);
		if (text == NULL) {
			snprintf(err, errlen, "cannot read %s", path);
			rv = BS_ERR_IO;
		} else if ((rv = apply(ctx, number, path, text, err,
		    errlen)) == 0) {
			log_info("store: applied schema %s", names[i]->d_name);
			*version = number;
		}
		free(text);
		free(path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rv == 0 && *version == 0) {
		snprintf(err, errlen, "no schema files (NNN_name.sql) in %s",
		    dir);
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

/*
 * Runs one batch as a transaction; sets every item's status.  Nothing is
 * reported committed unless the backend's COMMIT said so: a batch whose
 * connection is lost on the way fails whole (its items get BS_ERR_IO).
 */
static void
store_commit_batch(struct store_conn *conn, struct store_item *batch)
{
	const struct store_backend *be = conn->backend;
	struct store_item *it;
	int failed, begun;

	begun = be->ready(conn) == 0 && be->exec(conn, be->begin_sql) == 0;
	failed = !begun;
	for (it = batch; it != NULL && !failed; it = it->next) {
		if (be->exec(conn, "SAVEPOINT item") != 0) {
			failed = 1;
			break;
		}
		if (it->apply != NULL &&
		    (it->status = it->apply(conn, it->arg)) != 0) {
			/* A lost lease is said by the one who refused it. */
			if (it->status != BS_ERR_LOST) {
				log_warn("store: a write failed");
				it->status = BS_ERR_IO;
			}
			if (be->exec(conn, "ROLLBACK TO SAVEPOINT item") != 0)
				failed = 1;
		}
		if (!failed && be->exec(conn, "RELEASE SAVEPOINT item") != 0)
			failed = 1;
	}
	if (!failed && be->commit(conn) != 0)
		failed = 1;
	else if (failed && begun)
		be->exec(conn, "ROLLBACK");
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
		store_commit_batch(store->conn, batch);
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

int
store_is_postgresql(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 ||
	    strncmp(location, "postgres://", 11) == 0 ||
	    (location[0] != '/' && location[0] != '.' &&
	    strchr(location, '=') != NULL);
}

int
store_open(struct store **out, struct loop *loop, const char *location,
    const char *sql_dir, enum store_durability durability,
    struct metrics *metrics, char *err, size_t errlen)
{
	struct store *store;
	int rv;

	store = xcalloc(1, sizeof(*store));
	store->loop = loop;
	pthread_mutex_init(&store->lock, NULL);
	pthread_cond_init(&store->cond, NULL);
	if (store_is_postgresql(location))
		rv = store_pg_open(&store->conn, location, sql_dir, err,
		    errlen);
	else
		rv = store_sqlite_open(&store->conn, location, sql_dir,
		    durability, err, errlen);
	if (rv != 0)
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

struct store_conn *
store_conn(struct store *store)
{
	return store->conn;
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
	}
	/*
	 * What is still queued is committed here: all of it if the thread
	 * never started, else what done functions submitted while it
	 * stopped (the idempotency sweep submits its next part so).
	 */
	do {
		if (store->incoming.head != NULL && store->conn != NULL) {
			struct store_item *batch = queue_take(&store->incoming),
			    *it;

			store_commit_batch(store->conn, batch);
			while ((it = batch) != NULL) {
				batch = it->next;
				queue_push(&store->done, it);
			}
		}
		if (store->wake != NULL)
			store_drain_done(store->loop, store);
	} while (store->incoming.head != NULL && store->conn != NULL &&
	    store->wake != NULL);
	loop_wake_free(store->wake);
	if (store->conn != NULL)
		store->conn->backend->close(store->conn);
	pthread_cond_destroy(&store->cond);
	pthread_mutex_destroy(&store->lock);
	free(store);
}
