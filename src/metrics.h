/*
 * Metrics: counters, gauges and histograms, rendered in the Prometheus text
 * exposition format 0.0.4 for GET /metrics (and read by the dashboard).
 *
 * A registry holds families (one name, one help text, one type, a fixed
 * list of label names); a family holds series, one per combination of
 * label values, created on first use.  A family without labels has exactly
 * one series, reachable through the metric_*() shortcuts.
 *
 * Not thread-safe: only the loop thread touches metrics.  Other threads
 * (the storage thread) hand their figures to the loop, which records them.
 *
 * Misuse is a programming error, not a runtime condition: a malformed or
 * duplicate name, or a call that does not fit the family's type (set on a
 * counter, observe on a gauge...), prints one line on stderr and aborts.
 */
#ifndef BROADSIDE_METRICS_H
#define BROADSIDE_METRICS_H

#include <stddef.h>

#include <jansson.h>

struct buf;
struct metrics;
struct metric;		/* a family */
struct metric_series;	/* one label combination of a family */

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

/* At most this many series per family; past it, new combinations are
 * counted in one series whose label values are all "other". */
#define METRICS_MAX_SERIES 512
#define METRICS_MAX_LABELS 4

/* Creates an empty registry. */
struct metrics *metrics_new(void);

/* Frees the registry, its families and series.  NULL is a no-op. */
void metrics_free(struct metrics *m);

/*
 * Adds a family.  name must be a valid Prometheus metric name
 * ([a-zA-Z_:][a-zA-Z0-9_:]*; counters end in "_total"), help a non-empty
 * single line; both are copied.  labels is a comma-separated list of at
 * most METRICS_MAX_LABELS label names ("route,status";
 * [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", not "le" on a histogram),
 * or NULL.  For histograms, buckets[0..nbuckets) are the finite upper
 * bounds in strictly increasing order, at least one (the +Inf bucket is
 * implied; the array is copied); other types pass NULL, 0.  A family
 * without labels has its one series from the start, so it renders as 0.
 * Returns the family, owned by the registry.  A malformed name, label list
 * or bucket list, a missing help text, or a name already taken (including
 * a histogram's _bucket, _sum and _count lines) is a programming error and
 * aborts.
 */
struct metric *metrics_add(struct metrics *m, enum metric_type type,
    const char *name, const char *help, const char *labels,
    const double *buckets, size_t nbuckets);

/*
 * Adds a gauge (or counter) whose value is read from fn(arg) each time the
 * registry is rendered (process memory, connections open...), inside
 * metrics_render() on its caller's thread.  No labels and no series: the
 * metric_*() calls abort on it.  Names and help as metrics_add(); a
 * histogram or a NULL fn aborts.
 */
struct metric *metrics_add_callback(struct metrics *m, enum metric_type type,
    const char *name, const char *help, double (*fn)(void *arg), void *arg);

/*
 * The series of a family for the given label values (as many non-NULL
 * strings as the family has label names; values are copied; a family
 * without labels ignores values, which may be NULL).  Returns the same
 * pointer for the same values for the registry's lifetime, owned by the
 * registry.  Once the family holds METRICS_MAX_SERIES - 1 series, every
 * new combination gets the one overflow series whose values are all
 * "other" (so at most METRICS_MAX_SERIES are rendered).  Lookup is a
 * linear scan: families are expected to have few series.
 *
 * A NULL family gives a NULL series, and every call below that changes a
 * series (add, set, observe, and the shortcuts) does nothing with NULL:
 * a module made without a registry (in tests) calls them all the same.
 */
struct metric_series *metric_series(struct metric *fam,
    const char *const *values);

/*
 * Counter: adds v; a negative or NaN v is ignored, since a counter never
 * goes down.  Gauge: adds v (any sign).  A histogram aborts.
 */
void metric_series_add(struct metric_series *s, double v);

/* Gauge: sets the value.  Any other type aborts. */
void metric_series_set(struct metric_series *s, double v);

/*
 * Histogram: records one observation in the first bucket whose bound is
 * >= v (bounds are inclusive, as Prometheus' le).  Any other type aborts.
 */
void metric_series_observe(struct metric_series *s, double v);

/* The current value of a counter or gauge series; a histogram's sum. */
double metric_series_value(const struct metric_series *s);

/* A histogram series' observation count. */
double metric_series_count(const struct metric_series *s);

/*
 * A histogram series' q-quantile (0..1) estimated from its buckets by
 * linear interpolation, as Prometheus' histogram_quantile() does: the
 * lowest bucket starts at 0, and a rank that falls in the +Inf bucket
 * gives the highest finite bound.  0 when empty; -Inf for q < 0, +Inf for
 * q > 1, NaN for a NaN q.  Any type but histogram aborts.
 */
double metric_series_quantile(const struct metric_series *s, double q);

/* Shortcuts for families without labels (one with labels aborts). */
void metric_add(struct metric *fam, double v);
void metric_set(struct metric *fam, double v);
void metric_observe(struct metric *fam, double v);

/*
 * Appends the whole registry in the text format 0.0.4 (HELP and TYPE lines,
 * families in the order added, series in creation order, label values
 * escaped; integral numbers without exponent or decimals, others in the
 * shortest form that reads back exactly, +Inf, -Inf and NaN spelled as
 * Prometheus does).  Calls the callbacks of metrics_add_callback().
 * Returns 0, or BS_ERR_TOO_LARGE if out's cap is reached, in which case
 * out is left as it was before the call.
 */
int metrics_render(struct metrics *m, struct buf *out);

/*
 * The whole registry as a new JSON object keyed by family name, for the
 * dashboard: a counter or gauge without labels is its number; a family
 * with labels an object keyed "label=value,label=value"; a histogram
 * series {"count", "sum", "le": [finite bounds], "buckets": [counts per
 * bucket, not cumulative, +Inf last]}, from which a client takes the
 * quantiles of any interval.  NaN and infinities are null.  Calls the
 * callbacks of metrics_add_callback().
 */
json_t *metrics_json(struct metrics *m);

/* Buckets for latencies in seconds: 100 us .. 10 s. */
extern const double METRICS_LATENCY_BUCKETS[];
extern const size_t METRICS_LATENCY_NBUCKETS;

/*
 * This process' resident memory in bytes (resident pages in
 * /proc/self/statm times the page size), or 0 if unreadable.  Fits
 * metrics_add_callback(); the argument is ignored.
 */
double metrics_process_rss_bytes(void *unused);

#endif
