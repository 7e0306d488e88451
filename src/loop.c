/*
 * The event loop (loop.h): epoll for fds, a binary min-heap of timers on
 * the monotonic clock, a queue of deferred callbacks, and eventfd wake-ups
 * for other threads.
 *
 * Watchers and timers are never freed inside a callback: removal marks
 * them dead and queues the free for the end of the iteration, so an epoll
 * event already fetched for a removed watcher is simply skipped.
 */
#include "config.h"

#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

#define LOOP_MAX_EVENTS 256

struct loop_watch {
	struct loop *loop;
	int fd;
	int dead;
	loop_fd_cb cb;
	void *arg;
	struct loop_watch *next_dead;
};

struct loop_timer {
	struct loop *loop;
	uint64_t due_us;
	uint64_t order;		/* ties run in creation order */
	size_t heap_index;	/* position in loop->timers, or SIZE_MAX */
	int running;		/* inside its callback */
	int cancelled;
	loop_timer_cb cb;
	void *arg;
};

struct loop_deferred {
	loop_cb cb;
	void *arg;
	struct loop_deferred *next;
};

struct loop_wake {
	struct loop *loop;
	int fd;
	struct loop_watch *watch;
	loop_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	int stopping;
	uint64_t now_us;
	uint64_t timer_order;

	struct loop_timer **timers;	/* min-heap on (due_us, order) */
	size_t ntimers;
	size_t timers_cap;

	struct loop_deferred *deferred_head;
	struct loop_deferred *deferred_tail;

	struct loop_watch *dead_watches;

	void (*busy_cb)(void *arg, uint64_t busy_us);
	void *busy_arg;

	/* Every live watcher, so loop_free() can free leftovers. */
	struct loop_watch **watches;
	size_t nwatches;
	size_t watches_cap;
};

uint64_t
loop_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
loop_new(struct loop **out)
{
	struct loop *loop;

	loop = xcalloc(1, sizeof(*loop));
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return BS_ERR_IO;
	}
	loop->now_us = loop_clock_us();
	*out = loop;
	return 0;
}

static void
loop_free_dead_watches(struct loop *loop)
{
	struct loop_watch *w;

	while ((w = loop->dead_watches) != NULL) {
		loop->dead_watches = w->next_dead;
		free(w);
	}
}

void
loop_free(struct loop *loop)
{
	struct loop_deferred *d;

	if (loop == NULL)
		return;
	while ((d = loop->deferred_head) != NULL) {
		loop->deferred_head = d->next;
		free(d);
	}
	for (size_t i = 0; i < loop->ntimers; i++)
		free(loop->timers[i]);
	free(loop->timers);
	for (size_t i = 0; i < loop->nwatches; i++)
		free(loop->watches[i]);
	free(loop->watches);
	loop_free_dead_watches(loop);
	close(loop->epfd);
	free(loop);
}

uint64_t
loop_now_us(const struct loop *loop)
{
	return loop->now_us;
}

uint64_t
loop_now_ms(const struct loop *loop)
{
	return loop->now_us / 1000u;
}

void
loop_update_time(struct loop *loop)
{
	loop->now_us = loop_clock_us();
}

void
loop_stop(struct loop *loop)
{
	loop->stopping = 1;
}

/* ---- fd watchers ---------------------------------------------------- */

struct loop_watch *
loop_watch_add(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb,
    void *arg)
{
	struct epoll_event ev = { .events = events };
	struct loop_watch *w;

	w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int saved = errno;

		free(w);
		errno = saved;
		return NULL;
	}
	if (loop->nwatches == loop->watches_cap) {
		loop->watches_cap = loop->watches_cap ? loop->watches_cap * 2 : 64;
		loop->watches = xreallocarray(loop->watches, loop->watches_cap,
		    sizeof(*loop->watches));
	}
	loop->watches[loop->nwatches++] = w;
	return w;
}

int
loop_watch_modify(struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0)
		return BS_ERR_IO;
	return 0;
}

void
loop_watch_remove(struct loop_watch *w)
{
	struct loop *loop;

	if (w == NULL || w->dead)
		return;
	loop = w->loop;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = 1;
	for (size_t i = 0; i < loop->nwatches; i++) {
		if (loop->watches[i] == w) {
			loop->watches[i] = loop->watches[--loop->nwatches];
			break;
		}
	}
	w->next_dead = loop->dead_watches;
	loop->dead_watches = w;
}

/* ---- timers: a binary min-heap -------------------------------------- */

static int
timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->due_us != b->due_us)
		return a->due_us < b->due_us;
	return a->order < b->order;
}

static void
heap_set(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->timers[i] = t;
	t->heap_index = i;
}

static void
heap_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->timers[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(t, loop->timers[parent]))
			break;
		heap_set(loop, i, loop->timers[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void
heap_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->timers[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= loop->ntimers)
			break;
		if (child + 1 < loop->ntimers &&
		    timer_before(loop->timers[child + 1], loop->timers[child]))
			child++;
		if (!timer_before(loop->timers[child], t))
			break;
		heap_set(loop, i, loop->timers[child]);
		i = child;
	}
	heap_set(loop, i, t);
}

static void
heap_insert(struct loop *loop, struct loop_timer *t)
{
	if (loop->ntimers == loop->timers_cap) {
		loop->timers_cap = loop->timers_cap ? loop->timers_cap * 2 : 16;
		loop->timers = xreallocarray(loop->timers, loop->timers_cap,
		    sizeof(*loop->timers));
	}
	t->order = loop->timer_order++;
	loop->ntimers++;
	heap_set(loop, loop->ntimers - 1, t);
	heap_up(loop, loop->ntimers - 1);
}

static void
heap_remove(struct loop *loop, struct loop_timer *t)
{
	size_t i = t->heap_index;
	struct loop_timer *last;

	if (i == SIZE_MAX)
		return;
	t->heap_index = SIZE_MAX;
	last = loop->timers[--loop->ntimers];
	if (last == t)
		return;
	heap_set(loop, i, last);
	heap_down(loop, i);
	heap_up(loop, last->heap_index);
}

static uint64_t
due_after(const struct loop *loop, int64_t delay_ms)
{
	if (delay_ms < 0)
		delay_ms = 0;
	return loop->now_us + (uint64_t)delay_ms * 1000u;
}

struct loop_timer *
loop_timer_add(struct loop *loop, int64_t delay_ms, loop_timer_cb cb,
    void *arg)
{
	struct loop_timer *t;

	t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->due_us = due_after(loop, delay_ms);
	heap_insert(loop, t);
	return t;
}

void
loop_timer_reset(struct loop_timer *t, int64_t delay_ms)
{
	struct loop *loop = t->loop;

	if (t->cancelled)
		return;
	heap_remove(loop, t);
	t->due_us = due_after(loop, delay_ms);
	if (!t->running)
		heap_insert(loop, t);
}

void
loop_timer_cancel(struct loop_timer *t)
{
	if (t == NULL || t->cancelled)
		return;
	t->cancelled = 1;
	heap_remove(t->loop, t);
	if (!t->running)
		free(t);
}

/* Runs every timer that is due; returns ms until the next one, or -1. */
static int
loop_run_timers(struct loop *loop)
{
	while (loop->ntimers > 0) {
		struct loop_timer *t = loop->timers[0];
		int64_t again;

		if (t->due_us > loop->now_us) {
			uint64_t wait = (t->due_us - loop->now_us + 999) / 1000;

			return wait > 60000 ? 60000 : (int)wait;
		}
		heap_remove(loop, t);
		t->running = 1;
		again = t->cb(loop, t->arg);
		t->running = 0;
		if (t->cancelled || again < 0) {
			free(t);
			continue;
		}
		t->due_us = due_after(loop, again);
		heap_insert(loop, t);
	}
	return -1;
}

/* ---- deferred work -------------------------------------------------- */

void
loop_defer(struct loop *loop, loop_cb cb, void *arg)
{
	struct loop_deferred *d;

	d = xmalloc(sizeof(*d));
	d->cb = cb;
	d->arg = arg;
	d->next = NULL;
	if (loop->deferred_tail != NULL)
		loop->deferred_tail->next = d;
	else
		loop->deferred_head = d;
	loop->deferred_tail = d;
}

static void
loop_run_deferred(struct loop *loop)
{
	struct loop_deferred *d;

	while ((d = loop->deferred_head) != NULL) {
		loop->deferred_head = d->next;
		if (loop->deferred_head == NULL)
			loop->deferred_tail = NULL;
		d->cb(loop, d->arg);
		free(d);
	}
}

/* ---- one iteration -------------------------------------------------- */

int
loop_run_once(struct loop *loop, int max_wait_ms)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	int timeout, n;

	timeout = loop_run_timers(loop);
	if (loop->deferred_head != NULL)
		timeout = 0;
	if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms))
		timeout = max_wait_ms;

	n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, timeout);
	loop->now_us = loop_clock_us();
	if (n < 0) {
		if (errno != EINTR)
			return BS_ERR_IO;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		struct loop_watch *w = events[i].data.ptr;

		if (!w->dead)
			w->cb(loop, w->fd, events[i].events, w->arg);
	}
	loop_run_timers(loop);
	loop_run_deferred(loop);
	loop_free_dead_watches(loop);
	if (loop->busy_cb != NULL) {
		uint64_t end = loop_clock_us();

		loop->busy_cb(loop->busy_arg, end - loop->now_us);
	}
	return 0;
}

void
loop_set_busy_cb(struct loop *loop, void (*cb)(void *arg, uint64_t busy_us),
    void *arg)
{
	loop->busy_cb = cb;
	loop->busy_arg = arg;
}

int
loop_run(struct loop *loop)
{
	loop->stopping = 0;
	while (!loop->stopping) {
		int rv = loop_run_once(loop, -1);

		if (rv != 0)
			return rv;
	}
	return 0;
}

/* ---- wake-ups from other threads ------------------------------------ */

static void
wake_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct loop_wake *wake = arg;
	uint64_t count;

	/* One read takes the whole count and zeroes it (eventfd(2)). */
	(void)!read(fd, &count, sizeof(count));
	wake->cb(loop, wake->arg);
}

struct loop_wake *
loop_wake_new(struct loop *loop, loop_cb cb, void *arg)
{
	struct loop_wake *wake;

	wake = xcalloc(1, sizeof(*wake));
	wake->loop = loop;
	wake->cb = cb;
	wake->arg = arg;
	wake->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wake->fd < 0)
		goto fail;
	wake->watch = loop_watch_add(loop, wake->fd, EPOLLIN, wake_readable,
	    wake);
	if (wake->watch == NULL)
		goto fail;
	return wake;
fail:
	if (wake->fd >= 0) {
		int saved = errno;

		close(wake->fd);
		errno = saved;
	}
	free(wake);
	return NULL;
}

void
loop_wake_signal(struct loop_wake *wake)
{
	uint64_t one = 1;

	(void)!write(wake->fd, &one, sizeof(one));
}

void
loop_wake_free(struct loop_wake *wake)
{
	if (wake == NULL)
		return;
	loop_watch_remove(wake->watch);
	close(wake->fd);
	free(wake);
}
