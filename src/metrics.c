/*
 * Metrics registry and its Prometheus text rendering (metrics.h).
 *
 * Families live in an array in the order they were added; each holds its
 * series in an array in creation order, so rendering is a plain walk.
 * Misuse (a bad name, a duplicate family, the wrong call for a type) is a
 * programming error found on the first run, so it aborts instead of
 * returning a code every caller would have to check.
 */
#include "config.h"

#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"

struct metric_series {
	struct metric *fam;
	char **values;		/* fam->nlabels copies */
	double value;		/* counter or gauge value; histogram sum */
	uint64_t count;		/* histogram observations */
	uint64_t *buckets;	/* per bucket, not cumulative; +Inf last */
};

struct metric {
	enum metric_type type;
	char *name;
	char *help;
	char *labels[METRICS_MAX_LABELS];
	size_t nlabels;
	double *bounds;		/* finite upper bounds, increasing */
	size_t nbounds;
	double (*fn)(void *);	/* callback families have no series */
	void *arg;
	struct metric_series **series;
	size_t nseries;
	size_t series_alloc;
	struct metric_series *single;	/* the series of an unlabelled family */
};

struct metrics {
	struct metric **families;
	size_t nfamilies;
	size_t families_alloc;
};

const double METRICS_LATENCY_BUCKETS[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const size_t METRICS_LATENCY_NBUCKETS =
    sizeof(METRICS_LATENCY_BUCKETS) / sizeof(METRICS_LATENCY_BUCKETS[0]);

static const char *const metrics_type_names[] = {
	[METRIC_COUNTER] = "counter",
	[METRIC_GAUGE] = "gauge",
	[METRIC_HISTOGRAM] = "histogram",
};

static void metrics_misuse(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
metrics_misuse(const char *fmt, ...)
{
	va_list ap;

	fputs("broadside: metrics: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Metric names may contain ':'; label names may not, nor start with "__". */
static int
metrics_name_valid(const char *s, size_t len, int is_label)
{
	size_t i;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	if (is_label && len >= 2 && s[0] == '_' && s[1] == '_')
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' ||
		    (c == ':' && !is_label)))
			return 0;
	}
	return 1;
}

/* Whether line is one of the lines a histogram named base adds. */
static int
metrics_histogram_line(const char *base, const char *line)
{
	size_t n = strlen(base);

	return strncmp(line, base, n) == 0 &&
	    (strcmp(line + n, "_sum") == 0 || strcmp(line + n, "_count") == 0 ||
	    strcmp(line + n, "_bucket") == 0);
}

/* Aborts unless name is well formed and shares no line with a family. */
static void
metrics_check_name(const struct metrics *m, enum metric_type type,
    const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (name == NULL || !metrics_name_valid(name, n, 0))
		metrics_misuse("malformed metric name \"%s\"",
		    name ? name : "(null)");
	if (type == METRIC_COUNTER && (n < 6 || strcmp(name + n - 6, "_total")))
		metrics_misuse("counter \"%s\" must end in _total", name);
	for (i = 0; i < m->nfamilies; i++) {
		const struct metric *f = m->families[i];

		if (strcmp(f->name, name) == 0 ||
		    (f->type == METRIC_HISTOGRAM &&
		    metrics_histogram_line(f->name, name)) ||
		    (type == METRIC_HISTOGRAM &&
		    metrics_histogram_line(name, f->name)))
			metrics_misuse("metric \"%s\" added twice or clashes "
			    "with \"%s\"", name, f->name);
	}
}

/* Makes room for one more pointer in an array of n out of *alloc. */
static void *
metrics_grow(void *array, size_t n, size_t *alloc)
{
	if (n < *alloc)
		return array;
	*alloc = *alloc ? 2 * *alloc : 8;
	return xreallocarray(array, *alloc, sizeof(void *));
}

/* Splits "a,b" into fam->labels, checking each name. */
static void
metrics_parse_labels(struct metric *fam, const char *labels)
{
	const char *p = labels, *comma;
	size_t len, i;

	if (labels == NULL || *labels == '\0')
		return;
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!metrics_name_valid(p, len, 1) ||
		    (fam->type == METRIC_HISTOGRAM && len == 2 &&
		    strncmp(p, "le", 2) == 0))
			metrics_misuse("malformed label list \"%s\" for \"%s\"",
			    labels, fam->name);
		if (fam->nlabels == METRICS_MAX_LABELS)
			metrics_misuse("too many labels for \"%s\"", fam->name);
		for (i = 0; i < fam->nlabels; i++)
			if (strlen(fam->labels[i]) == len &&
			    strncmp(fam->labels[i], p, len) == 0)
				metrics_misuse("label repeated in \"%s\"",
				    labels);
		fam->labels[fam->nlabels++] = xstrndup(p, len);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

static void
metrics_set_buckets(struct metric *fam, const double *buckets,
    size_t nbuckets)
{
	size_t i;

	if (fam->type != METRIC_HISTOGRAM) {
		if (buckets != NULL || nbuckets != 0)
			metrics_misuse("buckets for non-histogram \"%s\"",
			    fam->name);
		return;
	}
	if (buckets == NULL || nbuckets == 0)
		metrics_misuse("histogram \"%s\" has no buckets", fam->name);
	for (i = 0; i < nbuckets; i++)
		if (!isfinite(buckets[i]) ||
		    (i > 0 && buckets[i] <= buckets[i - 1]))
			metrics_misuse("histogram \"%s\": buckets must be "
			    "finite and increasing", fam->name);
	fam->bounds = xcalloc(nbuckets, sizeof(*fam->bounds));
	memcpy(fam->bounds, buckets, nbuckets * sizeof(*fam->bounds));
	fam->nbounds = nbuckets;
}

static struct metric *
metrics_append_family(struct metrics *m, enum metric_type type,
    const char *name, const char *help)
{
	struct metric *fam;

	if ((unsigned)type > METRIC_HISTOGRAM)
		metrics_misuse("unknown type %d for \"%s\"", (int)type, name);
	metrics_check_name(m, type, name);
	/* promtool's lint, and every dashboard reader, wants one. */
	if (help == NULL || *help == '\0')
		metrics_misuse("metric \"%s\" has no help text", name);
	fam = xcalloc(1, sizeof(*fam));
	fam->type = type;
	fam->name = xstrdup(name);
	fam->help = xstrdup(help);
	m->families = metrics_grow(m->families, m->nfamilies,
	    &m->families_alloc);
	m->families[m->nfamilies++] = fam;
	return fam;
}

struct metrics *
metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

static void
metrics_series_free(struct metric_series *s)
{
	size_t i;

	for (i = 0; i < s->fam->nlabels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->buckets);
	free(s);
}

void
metrics_free(struct metrics *m)
{
	size_t i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->nfamilies; i++) {
		struct metric *fam = m->families[i];

		for (j = 0; j < fam->nseries; j++)
			metrics_series_free(fam->series[j]);
		for (j = 0; j < fam->nlabels; j++)
			free(fam->labels[j]);
		free(fam->series);
		free(fam->bounds);
		free(fam->help);
		free(fam->name);
		free(fam);
	}
	free(m->families);
	free(m);
}

static struct metric_series *
metrics_series_create(struct metric *fam, const char *const *values)
{
	struct metric_series *s = xcalloc(1, sizeof(*s));
	size_t i;

	s->fam = fam;
	s->values = xcalloc(fam->nlabels ? fam->nlabels : 1, sizeof(char *));
	for (i = 0; i < fam->nlabels; i++)
		s->values[i] = xstrdup(values[i]);
	if (fam->type == METRIC_HISTOGRAM)
		s->buckets = xcalloc(fam->nbounds + 1, sizeof(*s->buckets));
	fam->series = metrics_grow(fam->series, fam->nseries,
	    &fam->series_alloc);
	fam->series[fam->nseries++] = s;
	return s;
}

struct metric *
metrics_add(struct metrics *m, enum metric_type type, const char *name,
    const char *help, const char *labels, const double *buckets,
    size_t nbuckets)
{
	struct metric *fam = metrics_append_family(m, type, name, help);

	metrics_parse_labels(fam, labels);
	metrics_set_buckets(fam, buckets, nbuckets);
	if (fam->nlabels == 0)
		fam->single = metrics_series_create(fam, NULL);
	return fam;
}

struct metric *
metrics_add_callback(struct metrics *m, enum metric_type type,
    const char *name, const char *help, double (*fn)(void *arg), void *arg)
{
	struct metric *fam;

	if (type == METRIC_HISTOGRAM || fn == NULL)
		metrics_misuse("callback \"%s\" must be a counter or gauge "
		    "with a function", name ? name : "(null)");
	fam = metrics_append_family(m, type, name, help);
	fam->fn = fn;
	fam->arg = arg;
	return fam;
}

static struct metric_series *
metrics_series_find(struct metric *fam, const char *const *values)
{
	size_t i, j;

	for (i = 0; i < fam->nseries; i++) {
		struct metric_series *s = fam->series[i];

		for (j = 0; j < fam->nlabels; j++)
			if (strcmp(s->values[j], values[j]) != 0)
				break;
		if (j == fam->nlabels)
			return s;
	}
	return NULL;
}

struct metric_series *
metric_series(struct metric *fam, const char *const *values)
{
	static const char *const other[] = {
		"other", "other", "other", "other",
	};
	_Static_assert(sizeof(other) / sizeof(other[0]) == METRICS_MAX_LABELS,
	    "one \"other\" per label");
	struct metric_series *s;
	size_t i;

	if (fam == NULL)
		return NULL;
	if (fam->fn != NULL)
		metrics_misuse("\"%s\" is a callback and has no series",
		    fam->name);
	if (fam->nlabels == 0)
		return fam->single;
	for (i = 0; values != NULL && i < fam->nlabels && values[i]; i++)
		continue;
	if (i < fam->nlabels)
		metrics_misuse("\"%s\" needs %zu label values", fam->name,
		    fam->nlabels);
	if ((s = metrics_series_find(fam, values)) != NULL)
		return s;
	/* Keep one slot free for the overflow series. */
	if (fam->nseries < METRICS_MAX_SERIES - 1)
		return metrics_series_create(fam, values);
	if ((s = metrics_series_find(fam, other)) != NULL)
		return s;
	return metrics_series_create(fam, other);
}

static void
metrics_expect(const struct metric_series *s, enum metric_type type,
    const char *what)
{
	if (s->fam->type != type && !(type == METRIC_COUNTER &&
	    s->fam->type == METRIC_GAUGE))
		metrics_misuse("%s on %s \"%s\"", what,
		    metrics_type_names[s->fam->type], s->fam->name);
}

void
metric_series_add(struct metric_series *s, double v)
{
	if (s == NULL)
		return;
	metrics_expect(s, METRIC_COUNTER, "add");
	/* A counter never goes down; a bad delta must not make it. */
	if (s->fam->type == METRIC_COUNTER && !(v >= 0))
		return;
	s->value += v;
}

void
metric_series_set(struct metric_series *s, double v)
{
	if (s == NULL)
		return;
	metrics_expect(s, METRIC_GAUGE, "set");
	s->value = v;
}

void
metric_series_observe(struct metric_series *s, double v)
{
	size_t i;

	if (s == NULL)
		return;
	metrics_expect(s, METRIC_HISTOGRAM, "observe");
	/* NaN fails every comparison and lands in +Inf, as in client_golang. */
	for (i = 0; i < s->fam->nbounds; i++)
		if (v <= s->fam->bounds[i])
			break;
	s->buckets[i]++;
	s->count++;
	s->value += v;
}

double
metric_series_value(const struct metric_series *s)
{
	return s->value;
}

double
metric_series_count(const struct metric_series *s)
{
	return (double)s->count;
}

double
metric_series_quantile(const struct metric_series *s, double q)
{
	const double *bounds = s->fam->bounds;
	double rank, below = 0, start, in;
	size_t b;

	metrics_expect(s, METRIC_HISTOGRAM, "quantile");
	if (isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	if (s->count == 0)
		return 0;
	rank = q * (double)s->count;
	for (b = 0; b < s->fam->nbounds; b++) {
		if (below + (double)s->buckets[b] >= rank)
			break;
		below += (double)s->buckets[b];
	}
	if (b == s->fam->nbounds)
		return bounds[b - 1];
	if (b == 0 && bounds[0] <= 0)
		return bounds[0];
	start = b == 0 ? 0 : bounds[b - 1];
	in = (double)s->buckets[b];
	/* Only q == 0 reaches an empty bucket; Prometheus would say NaN. */
	if (in == 0)
		return start;
	return start + (bounds[b] - start) * ((rank - below) / in);
}

void
metric_add(struct metric *fam, double v)
{
	metric_series_add(metric_series(fam, NULL), v);
}

void
metric_set(struct metric *fam, double v)
{
	metric_series_set(metric_series(fam, NULL), v);
}

void
metric_observe(struct metric *fam, double v)
{
	metric_series_observe(metric_series(fam, NULL), v);
}

/*
 * Rendering.  The first failed append is remembered and every later one
 * skipped, so the walk reads straight and checks once at the end.
 */
struct metrics_out {
	struct buf *buf;
	int rv;
};

static void
out_put(struct metrics_out *o, const char *s, size_t len)
{
	if (o->rv == 0)
		o->rv = buf_append(o->buf, s, len);
}

static void
out_str(struct metrics_out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_strs(struct metrics_out *o, ...)
    __attribute__((sentinel));

/* Appends each string up to a NULL. */
static void
out_strs(struct metrics_out *o, ...)
{
	const char *s;
	va_list ap;

	va_start(ap, o);
	while ((s = va_arg(ap, const char *)) != NULL)
		out_str(o, s);
	va_end(ap);
}

/* Escapes backslash and newline, and double quotes in label values. */
static void
out_escaped(struct metrics_out *o, const char *s, int quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" :
		    (*s == '"' && quote) ? "\\\"" : NULL;

		if (esc == NULL)
			continue;
		out_put(o, run, (size_t)(s - run));
		out_str(o, esc);
		run = s + 1;
	}
	out_put(o, run, (size_t)(s - run));
}

/* Integers print as digits, other values in the shortest exact form. */
static void
out_number(struct metrics_out *o, double v)
{
	char text[40];
	int prec;

	if (isnan(v) || isinf(v) || v == 0) {	/* -0 prints as 0 */
		out_str(o, isnan(v) ? "NaN" : v > 0 ? "+Inf" : v < 0 ? "-Inf" :
		    "0");
		return;
	}
	if (v == trunc(v) && fabs(v) <= 9007199254740992.0) {	/* 2^53 */
		snprintf(text, sizeof(text), "%.0f", v);
		out_str(o, text);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, v);
		if (prec == 17 || strtod(text, NULL) == v)
			break;
	}
	out_str(o, text);
}

/* name{l1="v1",...,le="b"} value, where le is omitted when NULL. */
static void
out_sample(struct metrics_out *o, const struct metric *fam,
    char *const *values, const char *suffix, const double *le, double value)
{
	size_t i;

	out_strs(o, fam->name, suffix, NULL);
	if (fam->nlabels > 0 || le != NULL) {
		out_str(o, "{");
		for (i = 0; i < fam->nlabels; i++) {
			out_strs(o, i > 0 ? "," : "", fam->labels[i], "=\"",
			    NULL);
			out_escaped(o, values[i], 1);
			out_str(o, "\"");
		}
		if (le != NULL) {
			out_str(o, fam->nlabels > 0 ? ",le=\"" : "le=\"");
			out_number(o, *le);
			out_str(o, "\"");
		}
		out_str(o, "}");
	}
	out_str(o, " ");
	out_number(o, value);
	out_str(o, "\n");
}

static void
out_histogram(struct metrics_out *o, const struct metric_series *s)
{
	const struct metric *fam = s->fam;
	const double inf = INFINITY;
	uint64_t cumulative = 0;
	size_t i;

	for (i = 0; i < fam->nbounds; i++) {
		cumulative += s->buckets[i];
		out_sample(o, fam, s->values, "_bucket", &fam->bounds[i],
		    (double)cumulative);
	}
	out_sample(o, fam, s->values, "_bucket", &inf, (double)s->count);
	out_sample(o, fam, s->values, "_sum", NULL, s->value);
	out_sample(o, fam, s->values, "_count", NULL, (double)s->count);
}

static void
out_family(struct metrics_out *o, const struct metric *fam)
{
	size_t i;

	out_strs(o, "# HELP ", fam->name, " ", NULL);
	out_escaped(o, fam->help, 0);
	out_strs(o, "\n# TYPE ", fam->name, " ", metrics_type_names[fam->type],
	    "\n", NULL);
	if (fam->fn != NULL) {
		out_sample(o, fam, NULL, "", NULL, fam->fn(fam->arg));
		return;
	}
	for (i = 0; i < fam->nseries; i++) {
		if (fam->type == METRIC_HISTOGRAM)
			out_histogram(o, fam->series[i]);
		else
			out_sample(o, fam, fam->series[i]->values, "", NULL,
			    fam->series[i]->value);
	}
}

int
metrics_render(struct metrics *m, struct buf *out)
{
	struct metrics_out o = { .buf = out, .rv = 0 };
	size_t start = out->len, i;

	for (i = 0; i < m->nfamilies && o.rv == 0; i++)
		out_family(&o, m->families[i]);
	if (o.rv != 0 && out->data != NULL) {
		/* Leave out as it was: half a scrape is worse than none. */
		out->len = start;
		out->data[start] = '\0';
	}
	return o.rv;
}

/* A number JSON can hold: NaN and infinities become null. */
static json_t *
json_number_or_null(double v)
{
	if (isnan(v) || isinf(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* A series' label values as "name=value,name=value". */
static char *
series_key(const struct metric *fam, const struct metric_series *s)
{
	struct buf b;
	size_t len;

	buf_init(&b, 4096);
	for (size_t i = 0; i < fam->nlabels; i++)
		buf_printf(&b, "%s%s=%s", i ? "," : "", fam->labels[i],
		    s->values[i]);
	return buf_steal(&b, &len);
}

/* A histogram series: count, sum, bounds and per-bucket counts. */
static json_t *
series_histogram(const struct metric *fam, const struct metric_series *s)
{
	json_t *le = json_array(), *buckets = json_array();

	for (size_t i = 0; i < fam->nbounds; i++)
		json_array_append_new(le, json_number_or_null(fam->bounds[i]));
	for (size_t i = 0; i <= fam->nbounds; i++)
		json_array_append_new(buckets,
		    json_integer((json_int_t)s->buckets[i]));
	return json_pack("{s:I, s:o, s:o, s:o}", "count",
	    (json_int_t)s->count, "sum", json_number_or_null(s->value),
	    "le", le, "buckets", buckets);
}

static json_t *
series_json(const struct metric *fam, const struct metric_series *s)
{
	return fam->type == METRIC_HISTOGRAM ? series_histogram(fam, s) :
	    json_number_or_null(s->value);
}

json_t *
metrics_json(struct metrics *m)
{
	json_t *out = json_object(), *by;

	for (size_t i = 0; i < m->nfamilies; i++) {
		struct metric *fam = m->families[i];

		if (fam->fn != NULL) {
			json_object_set_new(out, fam->name,
			    json_number_or_null(fam->fn(fam->arg)));
			continue;
		}
		if (fam->nlabels == 0) {
			json_object_set_new(out, fam->name,
			    series_json(fam, fam->single));
			continue;
		}
		by = json_object();
		for (size_t k = 0; k < fam->nseries; k++) {
			char *key = series_key(fam, fam->series[k]);

			json_object_set_new(by, key, series_json(fam,
			    fam->series[k]));
			free(key);
		}
		json_object_set_new(out, fam->name, by);
	}
	return out;
}

double
metrics_process_rss_bytes(void *unused)
{
	unsigned long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f;
	int n;

	(void)unused;
	if (page <= 0 || (f = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	if (n != 2)
		return 0;
	return (double)resident * (double)page;
}
