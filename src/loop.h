/*
 * The event loop: one thread, one epoll instance, owning every file
 * descriptor and timer of the daemon (doc/design.md, "Process model").
 *
 * - fd watchers: a callback when an fd becomes readable/writable;
 * - timers: one-shot or repeating, on the monotonic clock, which the loop
 *   reads once per iteration (loop_now()) so that every callback of one
 *   iteration sees the same time;
 * - deferred work: callbacks run once after the current iteration's events,
 *   the place to free objects that cannot free themselves inside their own
 *   callbacks;
 * - wake-ups: an eventfd that another thread (the storage thread) signals to
 *   have a callback run on the loop thread.
 *
 * Everything here must be called on the loop thread, except
 * loop_wake_signal(), which any thread may call.
 */
#ifndef BROADSIDE_LOOP_H
#define BROADSIDE_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_watch;
struct loop_timer;
struct loop_wake;

/* Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR...) seen. */
typedef void (*loop_fd_cb)(struct loop *loop, int fd, uint32_t events,
    void *arg);

/*
 * A timer callback returns LOOP_TIMER_STOP to end the timer (it is freed
 * after the callback), or the delay in milliseconds until it runs again
 * (Redis ae.c time events).
 */
#define LOOP_TIMER_STOP (-1)
typedef int64_t (*loop_timer_cb)(struct loop *loop, void *arg);

typedef void (*loop_cb)(struct loop *loop, void *arg);

/* Creates a loop.  Returns 0 or BS_ERR_IO (epoll_create1 failed). */
int loop_new(struct loop **out);

/*
 * Frees the loop, its remaining watchers, timers and wake-ups (their fds
 * are not closed: they belong to whoever added them, except wake-ups).
 * Deferred callbacks still queued are dropped.  loop_free(NULL) is a no-op.
 */
void loop_free(struct loop *loop);

/*
 * Runs iterations until loop_stop() is called.  Returns 0, or BS_ERR_IO if
 * epoll_wait fails with anything but EINTR.
 */
int loop_run(struct loop *loop);

/* Runs one iteration, waiting at most max_wait_ms (-1: until an event). */
int loop_run_once(struct loop *loop, int max_wait_ms);

/* Makes loop_run() return after the current iteration. */
void loop_stop(struct loop *loop);

/* The monotonic time of the current iteration, in microseconds. */
uint64_t loop_now_us(const struct loop *loop);

/*
 * A fresh reading of the monotonic clock in microseconds, for
 * measurements (how long something took); decisions use loop_now_us().
 * Any thread.
 */
uint64_t loop_clock_us(void);

/* loop_now_us() in milliseconds. */
uint64_t loop_now_ms(const struct loop *loop);

/* Re-reads the clock; for start-up code that runs before the loop turns. */
void loop_update_time(struct loop *loop);

/*
 * Has cb(arg, busy_us) called at the end of every iteration with the
 * microseconds from epoll_wait's return to the end of the iteration's
 * work: how long anything that became ready meanwhile waited for the
 * loop.  NULL cb: none (the default).
 */
void loop_set_busy_cb(struct loop *loop, void (*cb)(void *arg,
    uint64_t busy_us), void *arg);

/*
 * Watches fd for events (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLET...).
 * Returns the watcher, owned by the loop until loop_watch_remove().
 * On failure (epoll_ctl) returns NULL with errno set.
 */
struct loop_watch *loop_watch_add(struct loop *loop, int fd, uint32_t events,
    loop_fd_cb cb, void *arg);

/* Changes the events watched.  Returns 0 or BS_ERR_IO. */
int loop_watch_modify(struct loop_watch *w, uint32_t events);

/*
 * Stops watching and frees the watcher (after the current iteration, so it
 * may be called from its own callback).  The fd is not closed; close it
 * after this call.  No callback for it runs after this call.
 */
void loop_watch_remove(struct loop_watch *w);

/*
 * Starts a timer that first runs after delay_ms milliseconds from the
 * current iteration's time.  Returns the timer, owned by the loop.
 */
struct loop_timer *loop_timer_add(struct loop *loop, int64_t delay_ms,
    loop_timer_cb cb, void *arg);

/* Moves a pending timer so that it next runs delay_ms from now. */
void loop_timer_reset(struct loop_timer *t, int64_t delay_ms);

/*
 * Cancels and frees a timer; its callback will not run again.  May be
 * called from inside the timer's own callback (the return value is then
 * ignored).  loop_timer_cancel(NULL) is a no-op.
 */
void loop_timer_cancel(struct loop_timer *t);

/*
 * Queues cb(loop, arg) to run once after this iteration's events and
 * timers.  Callbacks queued while deferred work runs run in the same pass.
 */
void loop_defer(struct loop *loop, loop_cb cb, void *arg);

/*
 * A wake-up: loop_wake_signal() from any thread makes cb run on the loop
 * thread (signals coalesce: several before the loop turns give one call).
 * Returns NULL with errno set if the eventfd cannot be made.
 */
struct loop_wake *loop_wake_new(struct loop *loop, loop_cb cb, void *arg);

/* Thread-safe; async-signal-safe. */
void loop_wake_signal(struct loop_wake *wake);

/* Frees the wake-up and closes its eventfd.  NULL is a no-op. */
void loop_wake_free(struct loop_wake *wake);

#endif
