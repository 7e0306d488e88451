/*
 * broadside-load(1): plays real battles against a Broadside server with
 * many simulated browsers at once and measures what their players would
 * feel: order-to-visible and resolution-to-log latency, events and bytes,
 * reconnections, errors; then checks that every client converged and no
 * acknowledged order is missing.  This file: options, the run, /metrics,
 * the report.  The bots play (bots.h); net.c talks HTTP.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "alloc.h"
#include "load.h"
#include "loop.h"
#include "net.h"

#define PROG "broadside-load"
#define ERRORS_SHOWN 5		/* messages printed per kind of error */
#define SCRAPE_MS 2000
#define LAG_MS 50		/* the period of the lateness probe */
/* A stream silent this long is dead (the server's heartbeat is 15 s). */
#define STALL_S 45
#define STALL_SWEEP_MS 5000

const char *const load_error_names[ERR_N] = {
	"http", "refused", "stale", "transport", "stream", "event",
	"diverged", "lost", "timeout", "duplicated", "raced"
};

void
load_error(struct load *L, enum load_error kind, const char *fmt, ...)
{
	va_list ap;

	if (L->st.errors[kind]++ >= ERRORS_SHOWN || L->opt.quiet)
		return;
	fprintf(stderr, PROG ": %s: ", load_error_names[kind]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- options ------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [options]\n"
	    "  --url URL              the server (http://127.0.0.1:8080)\n"
	    "  --check-url URL        final checks and /metrics (--url)\n"
	    "  --battles N            battles played at once (1)\n"
	    "  --players N            players per battle, 0 to 5 (5)\n"
	    "  --ships N              GM ships per battle (10)\n"
	    "  --spectators N         spectators per battle (0)\n"
	    "  --rounds N             rounds per battle (5)\n"
	    "  --duration SECONDS     or play until then, ending at a round\n"
	    "  --round-seconds N      the battles' planning time (30)\n"
	    "  --think-ms MS          bots order within this of a round (1000)\n"
	    "  --http2                HTTP/2 (ALPN on https, Upgrade: h2c on "
	    "http)\n"
	    "  --compressed           ask for gzip event streams\n"
	    "  --cacert FILE          CA for https; --insecure: none\n"
	    "  --seed N               the bots' choices (1)\n"
	    "  --report FILE          write the figures as JSON\n"
	    "  --max-p99-ms MS        fail above this p99 latency\n"
	    "  --max-errors N         fail above this many errors (0)\n"
	    "  --faults               the network fails on purpose: "
	    "transport,\n"
	    "                         stream and stale errors do not count\n"
	    "  --drop-at SECONDS      close every stream at once then\n"
	    "  --timeout SECONDS      give up on the run (600)\n"
	    "  --connect-rate N       new streams per second (2000)\n"
	    "  --keep                 keep the battles (default: delete them)\n"
	    "  --quiet                no messages about single errors\n"
	    "  --help, --version\n");
}

enum {
	O_URL = 256, O_CHECK_URL, O_BATTLES, O_PLAYERS, O_SHIPS, O_SPECTATORS,
	O_ROUNDS, O_DURATION, O_ROUND_SECONDS, O_THINK, O_HTTP2,
	O_COMPRESSED, O_CACERT, O_INSECURE, O_SEED, O_REPORT, O_MAX_P99,
	O_MAX_ERRORS, O_FAULTS, O_DROP_AT, O_TIMEOUT, O_CONNECT_RATE,
	O_QUIET, O_KEEP, O_HELP, O_VERSION
};

static const struct option longopts[] = {
	{ "url", required_argument, NULL, O_URL },
	{ "check-url", required_argument, NULL, O_CHECK_URL },
	{ "battles", required_argument, NULL, O_BATTLES },
	{ "players", required_argument, NULL, O_PLAYERS },
	{ "ships", required_argument, NULL, O_SHIPS },
	{ "spectators", required_argument, NULL, O_SPECTATORS },
	{ "rounds", required_argument, NULL, O_ROUNDS },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "round-seconds", required_argument, NULL, O_ROUND_SECONDS },
	{ "think-ms", required_argument, NULL, O_THINK },
	{ "http2", no_argument, NULL, O_HTTP2 },
	{ "compressed", no_argument, NULL, O_COMPRESSED },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "report", required_argument, NULL, O_REPORT },
	{ "max-p99-ms", required_argument, NULL, O_MAX_P99 },
	{ "max-errors", required_argument, NULL, O_MAX_ERRORS },
	{ "faults", no_argument, NULL, O_FAULTS },
	{ "drop-at", required_argument, NULL, O_DROP_AT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "connect-rate", required_argument, NULL, O_CONNECT_RATE },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "keep", no_argument, NULL, O_KEEP },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int
num(const char *name, const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, PROG ": --%s: '%s' is not a number from %g to "
		    "%g\n", name, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* Returns 0 to run, 1 to exit 0 (help, version), 2 for a usage error. */
static int
parse_args(struct load_options *o, int argc, char **argv)
{
	double v;
	int c, idx, rounds_given = 0;

	*o = (struct load_options){ .url = "http://127.0.0.1:8080",
	    .battles = 1, .players = 5, .ships = 10, .rounds = 5,
	    .round_seconds = 30, .think_ms = 1000, .seed = 1,
	    .max_p99_ms = -1, .max_errors = 0, .timeout_s = 600,
	    .connect_rate = 2000 };
	while ((c = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		const char *name = c >= 256 && c < O_HELP ?
		    longopts[c - 256].name : "";

		switch (c) {
		case O_URL: o->url = optarg; continue;
		case O_CHECK_URL: o->check_url = optarg; continue;
		case O_HTTP2: o->http2 = 1; continue;
		case O_COMPRESSED: o->compressed = 1; continue;
		case O_CACERT: o->cacert = optarg; continue;
		case O_INSECURE: o->insecure = 1; continue;
		case O_REPORT: o->report = optarg; continue;
		case O_FAULTS: o->faults = 1; continue;
		case O_QUIET: o->quiet = 1; continue;
		case O_KEEP: o->keep = 1; continue;
		case O_HELP: usage(stdout); return 1;
		case O_VERSION: puts(PROG " " PACKAGE_VERSION); return 1;
		case '?': usage(stderr); return 2;
		default: break;
		}
		if (num(name, optarg, 0, 1e12, &v) != 0)
			return 2;
		switch (c) {
		case O_BATTLES:
			if (num(name, optarg, 1, 100000, &v) != 0)
				return 2;
			o->battles = (int)v;
			break;
		case O_PLAYERS:
			if (num(name, optarg, 0, 5, &v) != 0)
				return 2;
			o->players = (int)v;
			break;
		case O_SHIPS:
			if (num(name, optarg, 1, 30, &v) != 0)
				return 2;
			o->ships = (int)v;
			break;
		case O_SPECTATORS:
			if (num(name, optarg, 0, 1000, &v) != 0)
				return 2;
			o->spectators = (int)v;
			break;
		case O_ROUNDS: o->rounds = (int)v; rounds_given = 1; break;
		case O_DURATION: o->duration_s = v; break;
		case O_ROUND_SECONDS:
			if (num(name, optarg, 5, 600, &v) != 0)
				return 2;
			o->round_seconds = (int)v;
			break;
		case O_THINK: o->think_ms = (int)v; break;
		case O_SEED: o->seed = (uint64_t)v; break;
		case O_MAX_P99: o->max_p99_ms = v; break;
		case O_MAX_ERRORS: o->max_errors = (long)v; break;
		case O_DROP_AT: o->drop_at_s = v; break;
		case O_TIMEOUT: o->timeout_s = v; break;
		case O_CONNECT_RATE:
			o->connect_rate = v < 1 ? 1 : (int)v;
			break;
		default: break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
		    argv[optind]);
		return 2;
	}
	/* --duration alone plays until then; with --rounds, whichever first. */
	if (o->duration_s > 0 && !rounds_given)
		o->rounds = 0;
	if (o->rounds == 0 && o->duration_s <= 0) {
		fprintf(stderr, PROG ": give --rounds or --duration\n");
		return 2;
	}
	if (o->check_url == NULL)
		o->check_url = o->url;
	return 0;
}

/* ---- /metrics ------------------------------------------------------ */

static void
parse_metrics(const char *text, struct scrape *s)
{
	const char *line = text;

	memset(s, 0, sizeof(*s));
	while (line != NULL && *line != '\0') {
		const char *nl = strchr(line, '\n');
		double le, v;

		if (sscanf(line, "process_resident_memory_bytes %lf", &v) == 1)
			s->rss = v;
		else if (sscanf(line, "broadside_stream_subscribers %lf", &v)
		    == 1)
			s->subscribers = v;
		else if (sscanf(line, "broadside_round_resolution_seconds_count"
		    " %lf", &v) == 1)
			s->res_count = v;
		else if (sscanf(line, "broadside_round_resolution_seconds_sum "
		    "%lf", &v) == 1)
			s->res_sum = v;
		else if (s->nres < 32 && sscanf(line,
		    "broadside_round_resolution_seconds_bucket{le=\"%lf\"} %lf",
		    &le, &v) == 2) {
			s->res_le[s->nres] = isinf(le) ? -1 : le;
			s->res_bucket[s->nres++] = v;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
}

/* A quantile of the resolutions between two scrapes (bucket bound). */
static double
res_quantile(const struct server_watch *w, double q)
{
	const struct scrape *first = &w->first, *last = &w->last;
	double total = last->res_count - first->res_count;

	if (total <= 0)
		return 0;
	for (int i = 0; i < last->nres; i++) {
		double before = i < first->nres ? first->res_bucket[i] : 0;

		if (last->res_bucket[i] - before >= q * total)
			return last->res_le[i];	/* -1: above every bound */
	}
	return 0;
}

static void
scraped(struct load *L, const struct reply *r)
{
	struct server_watch *w = &L->server;

	if (r->status != 200)
		return;
	parse_metrics(r->text, &w->last);
	if (!w->scraped) {
		w->first = w->last;
		w->scraped = 1;
	}
	if (w->last.rss > w->rss_max)
		w->rss_max = w->last.rss;
	if (w->last.subscribers > w->subscribers_max)
		w->subscribers_max = w->last.subscribers;
}

static void
scraped_during(const struct reply *r, void *arg)
{
	scraped(arg, r);
}

/* The last scrape ends the run. */
static void
scraped_final(const struct reply *r, void *arg)
{
	struct load *L = arg;

	scraped(L, r);
	loop_stop(L->loop);
}

static void
scrape(struct load *L, int final)
{
	net_request(L->check, NULL, "GET", "/metrics", NULL, NULL,
	    final ? scraped_final : scraped_during, L);
}

static int64_t
scrape_tick(struct loop *loop, void *arg)
{
	(void)loop;
	scrape(arg, 0);
	return SCRAPE_MS;
}

/* ---- the run ------------------------------------------------------- */

void
load_battle_done(struct load *L)
{
	if (L->slots_done < L->opt.battles || L->stopping)
		return;
	L->stopping = 1;
	scrape(L, 1);
}

/*
 * How late a timer runs: when this grows, the load generator itself is
 * saturated and its latency figures say more about it than the server.
 */
static int64_t
lag_tick(struct loop *loop, void *arg)
{
	struct load *L = arg;
	uint64_t now = loop_now_us(loop);

	if (L->lag_due != 0)
		hist_add(&L->st.lag, now > L->lag_due ? now - L->lag_due : 0);
	L->lag_due = now + LAG_MS * 1000;
	return LAG_MS;
}

static int64_t
timeout_fired(struct loop *loop, void *arg)
{
	(void)loop;
	bots_timeout(arg);
	return LOOP_TIMER_STOP;
}

static int64_t
stall_tick(struct loop *loop, void *arg)
{
	(void)loop;
	bots_sweep_stalled(arg, STALL_S * 1000000ull);
	return STALL_SWEEP_MS;
}

static int64_t
drop_fired(struct loop *loop, void *arg)
{
	(void)loop;
	bots_drop_all(arg);
	return LOOP_TIMER_STOP;
}

static void
signalled(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof(si)) > 0) {
		fprintf(stderr, PROG ": signal %u: stopping\n", si.ssi_signo);
		loop_stop(loop);
	}
}

static uint64_t
counted_errors(const struct load *L)
{
	uint64_t n = 0;

	for (int k = 0; k < ERR_N; k++) {
		if (k == ERR_RACED || (L->opt.faults && (k == ERR_TRANSPORT ||
		    k == ERR_STREAM || k == ERR_STALE)))
			continue;
		n += L->st.errors[k];
	}
	return n;
}

/* ---- the report ---------------------------------------------------- */

static void
print_hist(const char *name, const struct hist *h)
{
	printf("  %-20s %8llu %9.2f %9.2f %9.2f %9.2f\n", name,
	    (unsigned long long)h->count, hist_percentile(h, 0.50) / 1e3,
	    hist_percentile(h, 0.95) / 1e3, hist_percentile(h, 0.99) / 1e3,
	    h->count ? h->max / 1e3 : 0.0);
}

static json_t *
hist_json(const struct hist *h)
{
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}", "count",
	    (json_int_t)h->count, "p50_ms", hist_percentile(h, 0.50) / 1e3,
	    "p95_ms", hist_percentile(h, 0.95) / 1e3, "p99_ms",
	    hist_percentile(h, 0.99) / 1e3, "max_ms",
	    h->count ? h->max / 1e3 : 0.0, "mean_ms",
	    h->count ? (double)h->sum / (double)h->count / 1e3 : 0.0);
}

static int
report(struct load *L, double elapsed)
{
	const struct load_stats *st = &L->st;
	const struct net_stats *ns = net_stats(L->net);
	const struct load_options *o = &L->opt;
	const struct server_watch *w = &L->server;
	double p99 = hist_percentile(&st->order_visible, 0.99) / 1e3;
	double p99r = hist_percentile(&st->resolution_log, 0.99) / 1e3;
	uint64_t errors = counted_errors(L), all = 0;
	/* 503s waited out by the players' requests and the checks' */
	uint64_t unavailable = ns->unavailable +
	    net_stats(L->check)->unavailable;
	json_t *j, *ev = json_object(), *er = json_object();
	/* The players' requests and the set-up's and checks' */
	struct hist queued = ns->queued;
	int failed = 0;

	hist_merge(&queued, &net_stats(L->check)->queued);
	for (int k = 0; k < ERR_N; k++) {
		all += st->errors[k];
		json_object_set_new(er, load_error_names[k],
		    json_integer((json_int_t)st->errors[k]));
	}
	for (int k = 0; load_event_names[k] != NULL; k++)
		json_object_set_new(ev, load_event_names[k],
		    json_integer((json_int_t)st->events[k]));
	if (o->max_errors >= 0 && errors > (uint64_t)o->max_errors)
		failed = 1;
	if (o->max_p99_ms >= 0 && (p99 > o->max_p99_ms ||
	    p99r > o->max_p99_ms))
		failed = 1;

	printf(PROG ": %d battles x (GM + %d players + %d spectators), %d GM "
	    "ships each, %s%s, %.1f s\n", o->battles, o->players,
	    o->spectators, o->ships, o->http2 ? "HTTP/2" : "HTTP/1.1",
	    o->compressed ? ", gzip" : "", elapsed);
	printf("  battles played: %llu; streams held: %llu at most; rounds "
	    "resolved: %llu; orders acknowledged: %llu, checked in the logs: "
	    "%llu\n", (unsigned long long)st->battles_done,
	    (unsigned long long)st->streams_open_max,
	    (unsigned long long)st->rounds_resolved,
	    (unsigned long long)st->orders_acked,
	    (unsigned long long)st->orders_checked);
	printf("  %-20s %8s %9s %9s %9s %9s\n", "latency (ms)", "count", "p50",
	    "p95", "p99", "max");
	print_hist("order -> visible", &st->order_visible);
	print_hist("resolution -> log", &st->resolution_log);
	print_hist("request -> answer", &st->request);
	if (st->storm.count > 0)
		print_hist("drop -> back", &st->storm);
	print_hist("(our own lateness)", &st->lag);
	print_hist("(our own queue)", &queued);
	printf("  events:");
	for (int k = 0; load_event_names[k] != NULL; k++)
		printf(" %s %llu", load_event_names[k],
		    (unsigned long long)st->events[k]);
	printf(", heartbeats %llu\n", (unsigned long long)ns->heartbeats);
	printf("  stream bytes: %llu on the wire, %llu decoded; reconnects "
	    "%llu (replays %llu, snapshots %llu)\n",
	    (unsigned long long)ns->wire_bytes,
	    (unsigned long long)ns->decoded_bytes,
	    (unsigned long long)st->reconnects, (unsigned long long)st->replays,
	    (unsigned long long)st->snapshot_resends);
	printf("  server: resolution p50 <= %g ms, p99 <= %g ms (%g rounds); "
	    "RSS %.1f MB at start, %.1f MB at most; %g subscribers at most\n",
	    res_quantile(w, 0.5) * 1e3, res_quantile(w, 0.99) * 1e3,
	    w->last.res_count - w->first.res_count, w->first.rss / 1048576.0,
	    w->rss_max / 1048576.0, w->subscribers_max);
	if (st->throttled > 0)
		printf("  rate-limited joins retried: %llu\n",
		    (unsigned long long)st->throttled);
	if (unavailable > 0 || st->streams_unavailable > 0)
		printf("  503 answers waited out: %llu requests, %llu "
		    "streams\n", (unsigned long long)unavailable,
		    (unsigned long long)st->streams_unavailable);
	printf("  changes sent with an Idempotency-Key: %llu; sent again: %llu; "
	    "answered as replays: %llu; outcome unknown: %llu; narrations "
	    "checked, none twice: %llu\n",
	    (unsigned long long)ns->changes,
	    (unsigned long long)ns->change_retries,
	    (unsigned long long)ns->change_replays,
	    (unsigned long long)ns->change_unknown,
	    (unsigned long long)st->narrations_checked);
	printf("  clients converged: %llu of %llu; errors: %llu",
	    (unsigned long long)st->clients_converged,
	    (unsigned long long)(st->battles_done *
	    (uint64_t)(1 + o->players + o->spectators)),
	    (unsigned long long)all);
	for (int k = 0; k < ERR_N; k++)
		if (st->errors[k] > 0)
			printf(" %s %llu", load_error_names[k],
			    (unsigned long long)st->errors[k]);
	printf(" (%llu counted)\n", (unsigned long long)errors);
	printf("  result: %s\n", failed ? "FAIL" : "pass");

	if (o->report == NULL) {
		json_decref(ev);
		json_decref(er);
		return failed;
	}
	j = json_pack("{s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:b, s:b, "
	    "s:I}, s:f, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:{s:I, "
	    "s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:{s:f, s:f, s:f, s:f, s:f, s:f}, "
	    "s:o, s:I, s:I, s:b}",
	    "tool", PROG,
	    "config", "battles", o->battles, "players", o->players, "ships",
	    o->ships, "spectators", o->spectators, "rounds", o->rounds,
	    "round_seconds", o->round_seconds, "http2", o->http2,
	    "compressed", o->compressed, "faults", o->faults, "seed",
	    (json_int_t)o->seed,
	    "elapsed_s", elapsed,
	    "battles_played", (json_int_t)st->battles_done,
	    "streams_max", (json_int_t)st->streams_open_max,
	    "rounds_resolved", (json_int_t)st->rounds_resolved,
	    "orders_acked", (json_int_t)st->orders_acked,
	    "orders_checked", (json_int_t)st->orders_checked,
	    "order_to_visible", hist_json(&st->order_visible),
	    "resolution_to_log", hist_json(&st->resolution_log),
	    "request", hist_json(&st->request),
	    "drop_to_back", hist_json(&st->storm),
	    "load_lateness", hist_json(&st->lag),
	    "request_queued", hist_json(&queued),
	    "events", ev,
	    "reconnects", "total", (json_int_t)st->reconnects, "replays",
	    (json_int_t)st->replays, "snapshots",
	    (json_int_t)st->snapshot_resends,
	    "heartbeats", (json_int_t)ns->heartbeats,
	    "throttled", (json_int_t)st->throttled,
	    "bytes_wire", (json_int_t)ns->wire_bytes,
	    "bytes_decoded", (json_int_t)ns->decoded_bytes,
	    "clients_converged", (json_int_t)st->clients_converged,
	    "server", "resolution_p50_ms", res_quantile(w, 0.5) * 1e3,
	    "resolution_p99_ms", res_quantile(w, 0.99) * 1e3,
	    "rss_start_bytes", w->first.rss, "rss_max_bytes", w->rss_max,
	    "rss_end_bytes", w->last.rss,
	    "subscribers_max", w->subscribers_max,
	    "errors", er,
	    "errors_total", (json_int_t)all,
	    "errors_counted", (json_int_t)errors,
	    "failed", failed);
	if (j != NULL)
		json_object_set(j, "kept", L->kept);
	if (j != NULL)
		json_object_set_new(j, "unavailable", json_pack("{s:I, s:I}",
		    "requests", (json_int_t)unavailable, "streams",
		    (json_int_t)st->streams_unavailable));
	if (j != NULL)
		json_object_set_new(j, "idempotency", json_pack("{s:I, s:I, "
		    "s:I, s:I, s:I}", "narrations_checked",
		    (json_int_t)st->narrations_checked, "changes",
		    (json_int_t)ns->changes, "retries",
		    (json_int_t)ns->change_retries, "replays",
		    (json_int_t)ns->change_replays, "unknown",
		    (json_int_t)ns->change_unknown));
	if (j == NULL || json_dump_file(j, o->report, JSON_INDENT(1)) != 0) {
		fprintf(stderr, PROG ": cannot write %s\n", o->report);
		failed = 1;
	}
	json_decref(j);
	return failed;
}

int
main(int argc, char **argv)
{
	struct load *L = xcalloc(1, sizeof(*L));	/* the run */
	struct net_config nc;
	struct loop_watch *sigw = NULL;
	struct rlimit rl;
	sigset_t mask;
	int status = 1, sfd = -1;
	uint64_t t0;

	switch (parse_args(&L->opt, argc, argv)) {
	case 1:
		free(L);
		return 0;
	case 2:
		free(L);
		return 2;
	default:
		break;
	}
	/* Every stream is a descriptor. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    loop_new(&L->loop) != 0) {
		fprintf(stderr, PROG ": start-up failed\n");
		free(L);
		return 1;
	}
	nc = (struct net_config){ .url = L->opt.url, .http2 = L->opt.http2,
	    .compressed = L->opt.compressed, .cacert = L->opt.cacert,
	    .insecure = L->opt.insecure, .request_timeout_ms = 30000 };
	if (net_new(L->loop, &nc, &L->net) != 0) {
		fprintf(stderr, PROG ": --url: '%s' is not http://HOST:PORT or "
		    "https://HOST:PORT\n", L->opt.url);
		goto out;
	}
	nc.url = L->opt.check_url;
	nc.http2 = 0;
	if (net_new(L->loop, &nc, &L->check) != 0) {
		fprintf(stderr, PROG ": --check-url: '%s' is not "
		    "http://HOST:PORT or https://HOST:PORT\n", L->opt.check_url);
		goto out;
	}
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd >= 0)
		sigw = loop_watch_add(L->loop, sfd, EPOLLIN, signalled, L);
	L->kept = json_array();
	loop_update_time(L->loop);
	L->start_us = t0 = loop_now_us(L->loop);
	scrape(L, 0);
	loop_timer_add(L->loop, SCRAPE_MS, scrape_tick, L);
	loop_timer_add(L->loop, LAG_MS, lag_tick, L);
	loop_timer_add(L->loop, (int64_t)(L->opt.timeout_s * 1000),
	    timeout_fired, L);
	loop_timer_add(L->loop, STALL_SWEEP_MS, stall_tick, L);
	if (L->opt.drop_at_s > 0)
		loop_timer_add(L->loop, (int64_t)(L->opt.drop_at_s * 1000),
		    drop_fired, L);
	bots_start(L);
	loop_run(L->loop);
	loop_update_time(L->loop);
	status = report(L, (double)(loop_now_us(L->loop) - t0) / 1e6);
out:
	bots_free(L);
	net_free(L->net);
	net_free(L->check);
	if (sigw != NULL)
		loop_watch_remove(sigw);
	loop_free(L->loop);
	if (sfd >= 0)
		close(sfd);
	curl_global_cleanup();
	json_decref(L->kept);
	free(L);
	return status;
}
