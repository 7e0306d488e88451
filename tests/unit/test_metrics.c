/*
 * Unit tests for src/metrics.c: the exact text a Prometheus scraper reads,
 * series bookkeeping, quantile estimates, and (when PROMTOOL names the
 * binary) promtool's own verdict on a rendered registry.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "metrics.h"

/* Renders m into a fresh string the caller frees. */
static char *
render(struct metrics *m)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_render(m, &b), 0);
	return buf_steal(&b, NULL);
}

static void
assert_renders(struct metrics *m, const char *want)
{
	char *got = render(m);

	assert_string_equal(got, want);
	free(got);
}

static void
test_counter_with_labels(void **state)
{
	struct metrics *m = metrics_new();
	struct metric *req = metrics_add(m, METRIC_COUNTER,
	    "bs_requests_total", "HTTP requests served.", "route,status",
	    NULL, 0);
	const char *ok[] = { "/battles", "200" };
	const char *missing[] = { "/battles", "404" };

	(void)state;
	metric_series_add(metric_series(req, ok), 1);
	metric_series_add(metric_series(req, missing), 1);
	metric_series_add(metric_series(req, ok), 41);
	metric_series_add(metric_series(req, ok), -5);	/* ignored */
	assert_true(metric_series_value(metric_series(req, ok)) == 42);
	assert_renders(m,
	    "# HELP bs_requests_total HTTP requests served.\n"
	    "# TYPE bs_requests_total counter\n"
	    "bs_requests_total{route=\"/battles\",status=\"200\"} 42\n"
	    "bs_requests_total{route=\"/battles\",status=\"404\"} 1\n");
	metrics_free(m);
}

static void
test_gauge(void **state)
{
	struct metrics *m = metrics_new();
	struct metric *conns = metrics_add(m, METRIC_GAUGE,
	    "bs_connections", "Open connections.", NULL, NULL, 0);
	struct metric *temp = metrics_add(m, METRIC_GAUGE, "bs_temperature",
	    "Help.", NULL, NULL, 0);

	(void)state;
	metric_add(conns, 3);
	metric_add(conns, -1);
	metric_set(temp, -2.5);
	assert_true(metric_series_value(metric_series(conns, NULL)) == 2);
	assert_renders(m,
	    "# HELP bs_connections Open connections.\n"
	    "# TYPE bs_connections gauge\n"
	    "bs_connections 2\n"
	    "# HELP bs_temperature Help.\n"
	    "# TYPE bs_temperature gauge\n"
	    "bs_temperature -2.5\n");
	metric_set(conns, 7);
	assert_true(metric_series_value(metric_series(conns, NULL)) == 7);
	metrics_free(m);
}

static double
read_counter(void *arg)
{
	return *(double *)arg;
}

static void
test_callback(void **state)
{
	struct metrics *m = metrics_new();
	double value = 5;
	char *text;

	(void)state;
	metrics_add_callback(m, METRIC_GAUGE, "bs_queue_depth",
	    "Queued jobs.", read_counter, &value);
	metrics_add_callback(m, METRIC_GAUGE, "process_resident_memory_bytes",
	    "Resident memory.", metrics_process_rss_bytes, NULL);
	value = 9;
	text = render(m);
	assert_non_null(strstr(text,
	    "# HELP bs_queue_depth Queued jobs.\n"
	    "# TYPE bs_queue_depth gauge\n"
	    "bs_queue_depth 9\n"
	    "# HELP process_resident_memory_bytes Resident memory.\n"
	    "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes "));
	free(text);
	assert_true(metrics_process_rss_bytes(NULL) > 0);
	metrics_free(m);
}

static void
test_histogram(void **state)
{
	static const double bounds[] = { 0.1, 0.5, 1 };
	struct metrics *m = metrics_new();
	struct metric *lat = metrics_add(m, METRIC_HISTOGRAM,
	    "bs_latency_seconds", "Latency.", "route", bounds, 3);
	struct metric *plain = metrics_add(m, METRIC_HISTOGRAM, "bs_size",
	    "Sizes.", NULL, bounds, 1);
	const char *route[] = { "/a" };
	struct metric_series *s = metric_series(lat, route);

	(void)state;
	metric_series_observe(s, 0.05);
	metric_series_observe(s, 0.1);		/* le is inclusive */
	metric_series_observe(s, 0.3);
	metric_series_observe(s, 2);
	metric_observe(plain, 7);
	assert_true(metric_series_count(s) == 4);
	assert_true(fabs(metric_series_value(s) - 2.45) < 1e-12);
	assert_renders(m,
	    "# HELP bs_latency_seconds Latency.\n"
	    "# TYPE bs_latency_seconds histogram\n"
	    "bs_latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
	    "bs_latency_seconds_bucket{route=\"/a\",le=\"0.5\"} 3\n"
	    "bs_latency_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
	    "bs_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
	    "bs_latency_seconds_sum{route=\"/a\"} 2.45\n"
	    "bs_latency_seconds_count{route=\"/a\"} 4\n"
	    "# HELP bs_size Sizes.\n"
	    "# TYPE bs_size histogram\n"
	    "bs_size_bucket{le=\"0.1\"} 0\n"
	    "bs_size_bucket{le=\"+Inf\"} 1\n"
	    "bs_size_sum 7\n"
	    "bs_size_count 1\n");
	metrics_free(m);
}

static void
test_escaping(void **state)
{
	struct metrics *m = metrics_new();
	struct metric *g = metrics_add(m, METRIC_GAUGE, "bs_odd",
	    "Help with \\ and \"quotes\"\nand a newline.", "who", NULL, 0);
	const char *who[] = { "a\\b \"c\"\nd" };

	(void)state;
	metric_series_set(metric_series(g, who), 1);
	assert_renders(m,
	    "# HELP bs_odd Help with \\\\ and \"quotes\"\\nand a newline.\n"
	    "# TYPE bs_odd gauge\n"
	    "bs_odd{who=\"a\\\\b \\\"c\\\"\\nd\"} 1\n");
	metrics_free(m);
}

static void
test_number_format(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 42, "42" },
		{ -7, "-7" },
		{ 0.1, "0.1" },
		{ 0.00025, "0.00025" },
		{ 1e-05, "1e-05" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 123456789012.5, "123456789012.5" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e20, "1e+20" },
		{ -0.0, "0" },
	};
	struct metrics *m = metrics_new();
	struct metric *g = metrics_add(m, METRIC_GAUGE, "bs_n", "Help.", NULL,
	    NULL, 0);
	char want[128], *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		metric_set(g, cases[i].v);
		snprintf(want, sizeof(want),
		    "# HELP bs_n Help.\n# TYPE bs_n gauge\nbs_n %s\n",
		    cases[i].text);
		got = render(m);
		assert_string_equal(got, want);
		assert_true(strtod(cases[i].text, NULL) == cases[i].v);
		free(got);
	}
	metric_set(g, INFINITY);
	assert_renders(m, "# HELP bs_n Help.\n# TYPE bs_n gauge\nbs_n +Inf\n");
	metric_set(g, -INFINITY);
	assert_renders(m, "# HELP bs_n Help.\n# TYPE bs_n gauge\nbs_n -Inf\n");
	metric_set(g, NAN);
	assert_renders(m, "# HELP bs_n Help.\n# TYPE bs_n gauge\nbs_n NaN\n");
	metrics_free(m);
}

static void
test_series_identity(void **state)
{
	struct metrics *m = metrics_new();
	struct metric *c = metrics_add(m, METRIC_COUNTER, "bs_x_total", "x",
	    "a,b", NULL, 0);
	struct metric *u = metrics_add(m, METRIC_GAUGE, "bs_u", "u", NULL,
	    NULL, 0);
	char a[8], b[8];
	const char *v1[] = { a, b };
	const char *v2[] = { "1", "2" };
	struct metric_series *s;

	(void)state;
	snprintf(a, sizeof(a), "1");
	snprintf(b, sizeof(b), "2");
	s = metric_series(c, v1);
	snprintf(a, sizeof(a), "9");	/* values were copied */
	assert_ptr_equal(metric_series(c, v2), s);
	assert_ptr_not_equal(metric_series(c, v1), s);
	assert_ptr_equal(metric_series(u, NULL), metric_series(u, NULL));
	metrics_free(m);
}

static void
test_series_cap(void **state)
{
	struct metrics *m = metrics_new();
	struct metric *c = metrics_add(m, METRIC_COUNTER, "bs_peers_total",
	    "p", "peer,kind", NULL, 0);
	const char *first[] = { "p0", "k" };
	const char *other[] = { "other", "other" };
	const char *values[2];
	struct metric_series *overflow = NULL;
	char name[32], *text;
	int i;

	(void)state;
	values[1] = "k";
	for (i = 0; i < METRICS_MAX_SERIES + 10; i++) {
		struct metric_series *s;

		snprintf(name, sizeof(name), "p%d", i);
		values[0] = name;
		s = metric_series(c, values);
		metric_series_add(s, 1);
		if (i == METRICS_MAX_SERIES - 1)
			overflow = s;
		if (i >= METRICS_MAX_SERIES - 1)
			assert_ptr_equal(s, overflow);
	}
	assert_ptr_equal(metric_series(c, other), overflow);
	assert_true(metric_series_value(overflow) == 11);
	/* Known combinations keep their own series past the cap. */
	assert_true(metric_series_value(metric_series(c, first)) == 1);
	text = render(m);
	assert_non_null(strstr(text,
	    "bs_peers_total{peer=\"other\",kind=\"other\"} 11\n"));
	assert_null(strstr(text, "peer=\"p511\""));
	assert_non_null(strstr(text, "peer=\"p510\""));
	free(text);
	metrics_free(m);
}

static void
test_quantile(void **state)
{
	static const double bounds[] = { 1, 2, 4 };
	struct metrics *m = metrics_new();
	struct metric *h = metrics_add(m, METRIC_HISTOGRAM, "bs_q", "q", NULL,
	    bounds, 3);
	struct metric_series *s = metric_series(h, NULL);
	int i;

	(void)state;
	assert_true(metric_series_quantile(s, 0.5) == 0);	/* empty */
	/* 4 in (0,1], 4 in (1,2], 2 in (2,4]. */
	for (i = 0; i < 4; i++) {
		metric_series_observe(s, 0.5);
		metric_series_observe(s, 1.5);
	}
	metric_series_observe(s, 3);
	metric_series_observe(s, 3);
	assert_true(fabs(metric_series_quantile(s, 0.2) - 0.5) < 1e-12);
	assert_true(fabs(metric_series_quantile(s, 0.5) - 1.25) < 1e-12);
	assert_true(fabs(metric_series_quantile(s, 0.9) - 3) < 1e-12);
	assert_true(metric_series_quantile(s, 1) == 4);
	assert_true(metric_series_quantile(s, 0) == 0);
	assert_true(isinf(metric_series_quantile(s, 1.5)));
	assert_true(metric_series_quantile(s, -0.5) < 0);
	/* Past the last finite bound: the highest finite bound. */
	for (i = 0; i < 20; i++)
		metric_series_observe(s, 100);
	assert_true(metric_series_quantile(s, 0.99) == 4);
	metrics_free(m);
}

static void
test_too_large(void **state)
{
	struct metrics *m = metrics_new();
	struct metric *g = metrics_add(m, METRIC_GAUGE, "bs_g", "A gauge.",
	    NULL, NULL, 0);
	struct buf b;

	(void)state;
	metric_set(g, 1);
	buf_init(&b, 20);
	assert_int_equal(buf_append_str(&b, "kept"), 0);
	assert_int_equal(metrics_render(m, &b), BS_ERR_TOO_LARGE);
	assert_string_equal(b.data, "kept");	/* nothing half-written */
	buf_free(&b);
	buf_init(&b, 40);
	assert_int_equal(metrics_render(m, &b), BS_ERR_TOO_LARGE);
	assert_true(b.len == 0);
	buf_free(&b);
	metrics_free(m);
}

static void
test_latency_buckets(void **state)
{
	size_t i;

	(void)state;
	assert_true(METRICS_LATENCY_NBUCKETS == 16);
	assert_true(METRICS_LATENCY_BUCKETS[0] == 0.0001);
	assert_true(METRICS_LATENCY_BUCKETS[METRICS_LATENCY_NBUCKETS - 1] == 10);
	for (i = 1; i < METRICS_LATENCY_NBUCKETS; i++)
		assert_true(METRICS_LATENCY_BUCKETS[i] >
		    METRICS_LATENCY_BUCKETS[i - 1]);
}

/* Runs one misuse in a child and expects it to abort. */
static void
assert_aborts(void (*misuse)(struct metrics *))
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct metrics *m = metrics_new();

		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(1);
		metrics_add(m, METRIC_GAUGE, "bs_taken", "Help.", NULL, NULL, 0);
		misuse(m);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void
add_duplicate(struct metrics *m)
{
	metrics_add(m, METRIC_GAUGE, "bs_taken", "Help.", NULL, NULL, 0);
}

static void
add_clashing_histogram(struct metrics *m)
{
	metrics_add(m, METRIC_GAUGE, "bs_h_count", "Help.", NULL, NULL, 0);
	metrics_add(m, METRIC_HISTOGRAM, "bs_h", "Help.", NULL,
	    METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS);
}

static void
add_bad_name(struct metrics *m)
{
	metrics_add(m, METRIC_GAUGE, "1bad", "Help.", NULL, NULL, 0);
}

static void
add_bad_label(struct metrics *m)
{
	metrics_add(m, METRIC_GAUGE, "bs_l", "Help.", "ok,__reserved", NULL, 0);
}

static void
add_colon_label(struct metrics *m)
{
	metrics_add(m, METRIC_GAUGE, "bs_l", "Help.", "a:b", NULL, 0);
}

static void
add_counter_without_total(struct metrics *m)
{
	metrics_add(m, METRIC_COUNTER, "bs_requests", "Help.", NULL, NULL, 0);
}

static void
add_without_help(struct metrics *m)
{
	metrics_add(m, METRIC_GAUGE, "bs_quiet", "", NULL, NULL, 0);
}

static void
observe_gauge(struct metrics *m)
{
	struct metric *g = metrics_add(m, METRIC_GAUGE, "bs_g", "Help.", NULL,
	    NULL, 0);

	metric_observe(g, 1);
}

static void
shortcut_on_labelled(struct metrics *m)
{
	struct metric *g = metrics_add(m, METRIC_GAUGE, "bs_l", "Help.",
	    "kind", NULL, 0);

	metric_set(g, 1);
}

static void
series_of_callback(struct metrics *m)
{
	struct metric *cb = metrics_add_callback(m, METRIC_GAUGE, "bs_cb",
	    "Help.", read_counter, NULL);

	metric_series(cb, NULL);
}

static void
unsorted_buckets(struct metrics *m)
{
	static const double bounds[] = { 1, 0.5 };

	metrics_add(m, METRIC_HISTOGRAM, "bs_h", "Help.", NULL, bounds, 2);
}

static void
test_misuse_aborts(void **state)
{
	(void)state;
	assert_aborts(add_duplicate);
	assert_aborts(add_clashing_histogram);
	assert_aborts(add_bad_name);
	assert_aborts(add_bad_label);
	assert_aborts(add_colon_label);
	assert_aborts(add_counter_without_total);
	assert_aborts(add_without_help);
	assert_aborts(observe_gauge);
	assert_aborts(shortcut_on_labelled);
	assert_aborts(series_of_callback);
	assert_aborts(unsorted_buckets);
}

static void
test_valid_names(void **state)
{
	struct metrics *m = metrics_new();
	struct metric *g = metrics_add(m, METRIC_GAUGE, "bs:ns:_ok", "Help.",
	    "_a,B9", NULL, 0);
	const char *values[] = { "x", "" };

	(void)state;
	metric_series_set(metric_series(g, values), 1);
	/* Named like a histogram's line, but there is no such histogram. */
	metrics_add(m, METRIC_GAUGE, "bs_h_count", "Help.", NULL, NULL, 0);
	assert_renders(m,
	    "# HELP bs:ns:_ok Help.\n"
	    "# TYPE bs:ns:_ok gauge\n"
	    "bs:ns:_ok{_a=\"x\",B9=\"\"} 1\n"
	    "# HELP bs_h_count Help.\n"
	    "# TYPE bs_h_count gauge\n"
	    "bs_h_count 0\n");
	metrics_free(m);
}

/*
 * Writes text to a temporary file and runs promtool on it; its exit status.
 * promtool's output shows only when it is not expected to fail.
 */
static int
promtool_check(const char *promtool, const char *text, int expect_ok)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[512], *cmd;
	size_t len = strlen(text);
	int fd, status;
	struct buf c;

	snprintf(path, sizeof(path), "%s/test_metrics.XXXXXX",
	    tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, text, len) == (ssize_t)len);
	close(fd);
	buf_init(&c, 4096);
	assert_int_equal(buf_printf(&c, "\"%s\" check metrics < \"%s\"%s",
	    promtool, path, expect_ok ? "" : " >/dev/null 2>&1"), 0);
	cmd = buf_steal(&c, NULL);
	status = system(cmd);
	free(cmd);
	unlink(path);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_promtool(void **state)
{
	const char *promtool = getenv("PROMTOOL");
	struct metrics *m;
	struct metric *c, *g, *h;
	const char *labels[] = { "/api/battles", "200" };
	const char *odd[] = { "a\\b\"c\nd", "500" };
	double pending = 2.5;
	char *text;

	(void)state;
	if (promtool == NULL || *promtool == '\0')
		skip();
	m = metrics_new();
	c = metrics_add(m, METRIC_COUNTER, "bs_requests_total",
	    "HTTP requests, by route \\ status.", "route,status", NULL, 0);
	g = metrics_add(m, METRIC_GAUGE, "bs_connections", "Open connections.",
	    NULL, NULL, 0);
	h = metrics_add(m, METRIC_HISTOGRAM, "bs_request_duration_seconds",
	    "Time to answer a request.", "route,status",
	    METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS);
	metrics_add(m, METRIC_GAUGE, "bs_unused", "Never set.", "kind", NULL,
	    0);
	metrics_add_callback(m, METRIC_GAUGE, "bs_pending_writes",
	    "Writes queued.", read_counter, &pending);
	metrics_add_callback(m, METRIC_GAUGE, "process_resident_memory_bytes",
	    "Resident memory size in bytes.", metrics_process_rss_bytes, NULL);
	metrics_add_callback(m, METRIC_COUNTER, "bs_writes_total",
	    "Writes done.", read_counter, &pending);
	metric_series_add(metric_series(c, labels), 3);
	metric_series_add(metric_series(c, odd), 1);
	metric_set(g, 12);
	metric_series_observe(metric_series(h, labels), 0.003);
	metric_series_observe(metric_series(h, labels), 0.7);
	metric_series_observe(metric_series(h, odd), 30);
	text = render(m);
	assert_int_equal(promtool_check(promtool, text, 1), 0);
	free(text);
	metrics_free(m);
	/* A check that cannot fail proves nothing. */
	assert_int_not_equal(promtool_check(promtool,
	    "# TYPE bs_broken counter\nbs_broken{a=\"x} 1 2 3\n", 0), 0);
}

/* A module made without a registry calls the metric functions with NULL. */
static void
test_null_family_is_a_no_op(void **state)
{
	const char *label[] = { "x" };

	(void)state;
	assert_null(metric_series(NULL, label));
	metric_add(NULL, 1);
	metric_set(NULL, 1);
	metric_observe(NULL, 1);
	metric_series_add(NULL, 1);
	metric_series_set(NULL, 1);
	metric_series_observe(NULL, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_family_is_a_no_op),
		cmocka_unit_test(test_counter_with_labels),
		cmocka_unit_test(test_gauge),
		cmocka_unit_test(test_callback),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_number_format),
		cmocka_unit_test(test_series_identity),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_latency_buckets),
		cmocka_unit_test(test_misuse_aborts),
		cmocka_unit_test(test_valid_names),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
