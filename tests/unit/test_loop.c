/*
 * Unit tests for the event loop (src/loop.c): timers in order, repeating
 * and cancelled timers, deferred work, fd watchers and cross-thread
 * wake-ups.  No test depends on how fast the machine is: timers use 0 or
 * a few ms and assertions are about order, not duration.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

struct trace {
	char log[64];
	size_t n;
	int repeats;
	struct loop_timer *other;
};

static void
trace_add(struct trace *t, char c)
{
	if (t->n < sizeof(t->log) - 1)
		t->log[t->n++] = c;
}

static int64_t
timer_a(struct loop *loop, void *arg)
{
	trace_add(arg, 'a');
	return LOOP_TIMER_STOP;
}

static int64_t
timer_b(struct loop *loop, void *arg)
{
	trace_add(arg, 'b');
	return LOOP_TIMER_STOP;
}

static int64_t
timer_stop_loop(struct loop *loop, void *arg)
{
	trace_add(arg, 's');
	loop_stop(loop);
	return LOOP_TIMER_STOP;
}

static void
test_timers_run_in_deadline_order(void **state)
{
	struct trace t = { 0 };
	struct loop *loop;

	assert_int_equal(loop_new(&loop), 0);
	loop_timer_add(loop, 20, timer_stop_loop, &t);
	loop_timer_add(loop, 5, timer_b, &t);
	loop_timer_add(loop, 0, timer_a, &t);
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(t.log, "abs");
	loop_free(loop);
}

static void
test_equal_deadlines_run_in_creation_order(void **state)
{
	struct trace t = { 0 };
	struct loop *loop;

	assert_int_equal(loop_new(&loop), 0);
	loop_timer_add(loop, 1, timer_b, &t);
	loop_timer_add(loop, 1, timer_a, &t);
	loop_timer_add(loop, 1, timer_b, &t);
	loop_timer_add(loop, 1, timer_stop_loop, &t);
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(t.log, "babs");
	loop_free(loop);
}

static int64_t
timer_repeat(struct loop *loop, void *arg)
{
	struct trace *t = arg;

	trace_add(t, 'r');
	if (++t->repeats == 3) {
		loop_stop(loop);
		return LOOP_TIMER_STOP;
	}
	return 1;
}

static void
test_repeating_timer_rearms_until_stop(void **state)
{
	struct trace t = { 0 };
	struct loop *loop;
	uint64_t before;

	assert_int_equal(loop_new(&loop), 0);
	before = loop_now_us(loop);
	loop_timer_add(loop, 1, timer_repeat, &t);
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(t.log, "rrr");
	/* Three runs 1 ms apart: the monotonic clock moved by >= 3 ms. */
	assert_true(loop_now_us(loop) - before >= 3000);
	loop_free(loop);
}

static int64_t
timer_cancel_other(struct loop *loop, void *arg)
{
	struct trace *t = arg;

	trace_add(t, 'c');
	loop_timer_cancel(t->other);
	return LOOP_TIMER_STOP;
}

static int64_t
timer_cancel_self(struct loop *loop, void *arg)
{
	struct trace *t = arg;

	trace_add(t, 'x');
	loop_timer_cancel(t->other);	/* itself */
	return 1;			/* ignored: cancelled */
}

static void
test_cancelled_timers_do_not_run(void **state)
{
	struct trace t = { 0 };
	struct loop *loop;

	assert_int_equal(loop_new(&loop), 0);
	loop_timer_add(loop, 0, timer_cancel_other, &t);
	t.other = loop_timer_add(loop, 2, timer_a, &t);
	loop_timer_add(loop, 10, timer_stop_loop, &t);
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(t.log, "cs");

	memset(&t, 0, sizeof(t));
	t.other = loop_timer_add(loop, 0, timer_cancel_self, &t);
	loop_timer_add(loop, 10, timer_stop_loop, &t);
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(t.log, "xs");
	loop_free(loop);
}

static void
test_timer_reset_moves_deadline(void **state)
{
	struct trace t = { 0 };
	struct loop *loop;
	struct loop_timer *a;

	assert_int_equal(loop_new(&loop), 0);
	a = loop_timer_add(loop, 0, timer_a, &t);
	loop_timer_add(loop, 5, timer_b, &t);
	loop_timer_reset(a, 10);
	loop_timer_add(loop, 20, timer_stop_loop, &t);
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(t.log, "bas");
	loop_free(loop);
}

static void
deferred_second(struct loop *loop, void *arg)
{
	trace_add(arg, '2');
}

static void
deferred_first(struct loop *loop, void *arg)
{
	trace_add(arg, '1');
	/* Queued during the deferred pass: runs in the same pass. */
	loop_defer(loop, deferred_second, arg);
}

static int64_t
timer_defers(struct loop *loop, void *arg)
{
	trace_add(arg, 't');
	loop_defer(loop, deferred_first, arg);
	return LOOP_TIMER_STOP;
}

static void
test_deferred_work_runs_after_the_iteration(void **state)
{
	struct trace t = { 0 };
	struct loop *loop;

	assert_int_equal(loop_new(&loop), 0);
	loop_timer_add(loop, 0, timer_defers, &t);
	loop_timer_add(loop, 0, timer_a, &t);
	assert_int_equal(loop_run_once(loop, 0), 0);
	assert_string_equal(t.log, "ta12");
	loop_free(loop);
}

struct pipe_test {
	int fds[2];
	struct loop_watch *watch;
	int reads;
	char got[16];
};

static void
pipe_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct pipe_test *p = arg;
	ssize_t n;

	assert_true(events & EPOLLIN);
	n = read(fd, p->got, sizeof(p->got) - 1);
	assert_true(n > 0);
	p->got[n] = '\0';
	p->reads++;
	/* Removing itself inside its own callback is allowed. */
	loop_watch_remove(p->watch);
}

static void
test_fd_watcher_sees_data_and_can_remove_itself(void **state)
{
	struct pipe_test p = { 0 };
	struct loop *loop;

	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(pipe(p.fds), 0);
	p.watch = loop_watch_add(loop, p.fds[0], EPOLLIN, pipe_readable, &p);
	assert_non_null(p.watch);
	assert_int_equal(write(p.fds[1], "hello", 5), 5);
	assert_int_equal(loop_run_once(loop, 1000), 0);
	assert_int_equal(p.reads, 1);
	assert_string_equal(p.got, "hello");
	/* No more callbacks once removed, even with data waiting. */
	assert_int_equal(write(p.fds[1], "again", 5), 5);
	assert_int_equal(loop_run_once(loop, 10), 0);
	assert_int_equal(p.reads, 1);
	close(p.fds[0]);
	close(p.fds[1]);
	loop_free(loop);
}

struct wake_test {
	struct loop_wake *wake;
	int calls;
};

static void
woken(struct loop *loop, void *arg)
{
	struct wake_test *w = arg;

	w->calls++;
	loop_stop(loop);
}

static void *
wake_thread(void *arg)
{
	struct wake_test *w = arg;

	for (int i = 0; i < 100; i++)
		loop_wake_signal(w->wake);
	return NULL;
}

static void
test_wake_from_another_thread(void **state)
{
	struct wake_test w = { 0 };
	struct loop *loop;
	pthread_t th;

	assert_int_equal(loop_new(&loop), 0);
	w.wake = loop_wake_new(loop, woken, &w);
	assert_non_null(w.wake);
	assert_int_equal(pthread_create(&th, NULL, wake_thread, &w), 0);
	pthread_join(th, NULL);
	assert_int_equal(loop_run(loop), 0);
	/* A hundred signals before the loop turned coalesce into one. */
	assert_int_equal(w.calls, 1);
	loop_wake_free(w.wake);
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_run_in_deadline_order),
		cmocka_unit_test(test_equal_deadlines_run_in_creation_order),
		cmocka_unit_test(test_repeating_timer_rearms_until_stop),
		cmocka_unit_test(test_cancelled_timers_do_not_run),
		cmocka_unit_test(test_timer_reset_moves_deadline),
		cmocka_unit_test(test_deferred_work_runs_after_the_iteration),
		cmocka_unit_test(test_fd_watcher_sees_data_and_can_remove_itself),
		cmocka_unit_test(test_wake_from_another_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
