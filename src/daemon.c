/*
 * The daemon's lifecycle (daemon.h).
 *
 * Drain (SIGTERM or SIGINT): /readyz turns 503 at once, the listener keeps
 * accepting for --drain-delay seconds so that load balancers notice, then
 * closes; responses from then on close their connections; the loop stops
 * when no request is in flight or --drain-grace has passed.  A second
 * signal skips what is left of the drain.
 */
#include "config.h"

#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "api/api.h"
#include "battles.h"
#include "cidr.h"
#include "conf.h"
#include "error.h"
#include "figures.h"
#include "http1.h"
#include "http2.h"
#include "idempotency.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "ratelimit.h"
#include "route.h"
#include "store.h"
#include "stream.h"
#include "tls.h"

/* How often a drain checks whether the last request has finished. */
#define DAEMON_DRAIN_POLL_MS 50

struct daemon {
	const struct config *cfg;
	enum api_lifecycle state;	/* /readyz reads it: api.lifecycle */
	struct loop *loop;
	struct metrics *metrics;
	struct router *router;
	struct listener *listener;
	struct http1 *http1;
	struct http2 *http2;
	struct tls *tls;	/* NULL without --tls-cert */
	struct store *store;
	struct battles *battles;
	struct stream *stream;
	struct ratelimit *ratelimit;
	struct idempotency *idempotency;
	struct loop_timer *idempotency_sweep;
	struct ratelimit *create_limit;	/* NULL: --create-per-hour 0 */
	struct loop_timer *expiry_sweep;
	int sigfd;
	struct loop_watch *sigwatch;
	struct loop_timer *drain_timer;
	uint64_t drain_deadline_us;
	uint64_t started_us;
	char *admin_token;
	char *creator_token;
	struct cidr_list *metrics_allow;
	struct figures *figures;
	struct api_ctx api;	/* the handlers' view of the above */
};

static double
daemon_replays(void *arg)
{
	struct daemon *d = arg;

	return (double)idempotency_replays(d->idempotency);
}

/* ---- the listener's hand-offs ------------------------------------------ */

static void
daemon_hand_http1(void *arg, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct daemon *d = arg;

	/* An HTTP/1.1 "Upgrade: h2c" request is HTTP/2's to answer. */
	if (http2_try_upgrade(d->http2, fd, addr, addrlen))
		return;
	http1_add_connection(d->http1, fd, addr, addrlen);
}

static void
daemon_hand_http2(void *arg, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct daemon *d = arg;

	http2_add_connection(d->http2, fd, addr, addrlen);
}

static void
daemon_hand_tls(void *arg, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct daemon *d = arg;

	tls_add_connection(d->tls, fd, addr, addrlen);
}

/* TLS + ALPN h2: HTTP/2 over the TLS session. */
static int
daemon_tls_http2(void *arg, int fd, const struct http2_io *io, void *ctx,
    const struct sockaddr *addr, socklen_t addrlen)
{
	struct daemon *d = arg;

	return http2_add_connection_io(d->http2, fd, io, ctx, addr, addrlen);
}

/* TLS + HTTP/1.1: the bridge's socketpair end (no h2c over TLS). */
static int
daemon_tls_http1(void *arg, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct daemon *d = arg;

	return http1_add_connection(d->http1, fd, addr, addrlen);
}

/* TLS connections past their handshake are counted by their transport. */
static size_t
daemon_connections(void *arg)
{
	struct daemon *d = arg;

	return http1_connections(d->http1) + http2_connections(d->http2) +
	    tls_handshaking(d->tls);
}

/* ---- draining ------------------------------------------------------------ */

static int64_t
daemon_drain_tick(struct loop *loop, void *arg)
{
	struct daemon *d = arg;
	uint64_t now = loop_now_us(loop);
	size_t left;

	if (d->listener != NULL && now >= d->drain_deadline_us -
	    (uint64_t)d->cfg->drain_grace_s * 1000000u) {
		log_info("drain: no longer accepting connections");
		listener_free(d->listener);
		d->listener = NULL;
	}
	left = http1_requests_in_flight(d->http1) +
	    http2_requests_in_flight(d->http2);
	if (d->listener == NULL && left == 0) {
		log_info("drain: done");
		loop_stop(loop);
		d->drain_timer = NULL;
		return LOOP_TIMER_STOP;
	}
	if (now >= d->drain_deadline_us) {
		log_warn("drain: grace over with %zu requests open", left);
		loop_stop(loop);
		d->drain_timer = NULL;
		return LOOP_TIMER_STOP;
	}
	return DAEMON_DRAIN_POLL_MS;
}

static void
daemon_start_drain(struct daemon *d, int signo)
{
	if (d->state == API_DRAINING) {
		log_info("signal %d again: stopping now", signo);
		d->drain_deadline_us = loop_now_us(d->loop);
		if (d->listener != NULL) {
			listener_free(d->listener);
			d->listener = NULL;
		}
		loop_timer_reset(d->drain_timer, 0);
		return;
	}
	log_info("signal %d: draining (%d s delay, %d s grace)", signo,
	    d->cfg->drain_delay_s, d->cfg->drain_grace_s);
	d->state = API_DRAINING;
	http1_set_draining(d->http1);
	http2_set_draining(d->http2);
	/* Streams get a last retry: hint and close once it is written. */
	stream_drain(d->stream);
	d->drain_deadline_us = loop_now_us(d->loop) +
	    (uint64_t)(d->cfg->drain_delay_s + d->cfg->drain_grace_s) *
	    1000000u;
	d->drain_timer = loop_timer_add(d->loop, 0, daemon_drain_tick, d);
}

static void
daemon_signal(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		daemon_start_drain(d, (int)si.ssi_signo);
}

/* ---- set-up ---------------------------------------------------------------- */

/* Seconds since the daemon started (monotonic). */
static double
daemon_uptime(void *arg)
{
	struct daemon *d = arg;

	return (double)(loop_now_us(d->loop) - d->started_us) / 1e6;
}

/* The loop's busy time of one iteration, into its histogram. */
static void
daemon_loop_busy(void *arg, uint64_t busy_us)
{
	metric_observe(arg, (double)busy_us / 1e6);
}

static void
daemon_add_metrics(struct daemon *d, struct http1_options *h1o,
    struct http2_options *h2o)
{
	struct metric *info;
	const char *version[] = { PACKAGE_VERSION };
	struct timespec now;

	h1o->conns_open = metrics_add(d->metrics, METRIC_GAUGE,
	    "broadside_connections_open",
	    "Client connections open, by protocol.", "protocol", NULL, 0);
	h1o->conns_total = metrics_add(d->metrics, METRIC_COUNTER,
	    "broadside_connections_total",
	    "Client connections accepted, by protocol.", "protocol", NULL, 0);
	h2o->conns_open = h1o->conns_open;
	h2o->conns_total = h1o->conns_total;
	h2o->streams_open = metrics_add(d->metrics, METRIC_GAUGE,
	    "broadside_http_streams_open",
	    "HTTP/2 streams open (requests in progress and event streams), "
	    "by protocol.", "protocol", NULL, 0);
	h2o->streams_total = metrics_add(d->metrics, METRIC_COUNTER,
	    "broadside_http_streams_total",
	    "HTTP/2 streams opened by clients, by protocol.", "protocol",
	    NULL, 0);
	metrics_add_callback(d->metrics, METRIC_GAUGE,
	    "process_resident_memory_bytes", "Resident memory in bytes.",
	    metrics_process_rss_bytes, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	metric_set(metrics_add(d->metrics, METRIC_GAUGE,
	    "process_start_time_seconds",
	    "Start time of the process since the Unix epoch in seconds.",
	    NULL, NULL, 0), (double)now.tv_sec);
	metrics_add_callback(d->metrics, METRIC_GAUGE,
	    "broadside_uptime_seconds", "Seconds since the daemon started.",
	    daemon_uptime, d);
	info = metrics_add(d->metrics, METRIC_GAUGE, "broadside_build_info",
	    "The running version; the value is always 1.", "version", NULL, 0);
	metric_series_set(metric_series(info, version), 1);
	loop_set_busy_cb(d->loop, daemon_loop_busy, metrics_add(d->metrics,
	    METRIC_HISTOGRAM, "broadside_loop_busy_seconds",
	    "Time the event loop spent on one iteration's work: how long "
	    "a connection that became ready meanwhile waited.", NULL,
	    METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS));
}

/*
 * Reads a token (--admin-token-file, --creator-token-file: option): the
 * first line of the file, 16 to 512 bytes, into *out.
 */
static int
daemon_read_token(const char *option, const char *path, char **out,
    char *err, size_t errlen)
{
	char line[600];
	size_t len;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "--%s: cannot read %s: %s", option,
		    path, strerror(errno));
		return BS_ERR_IO;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	if (len < 16 || len > 512) {
		snprintf(err, errlen, "--%s: the token in %s must be 16 to 512 "
		    "characters on its first line", option, path);
		return BS_ERR_INVALID;
	}
	*out = xstrdup(line);
	return 0;
}

static int
daemon_listen(struct daemon *d, char *err, size_t errlen)
{
	const struct config *cfg = d->cfg;
	struct listener_options lo = {
		.address = cfg->listen,
		.max_connections = (size_t)cfg->max_connections,
		.per_ip_connections = (size_t)cfg->per_ip_connections,
		.sniff_timeout_s = cfg->sniff_timeout_s,
		.backlog = 4096,
		.trusted_proxy = cfg->trusted_proxy,
		.metrics = d->metrics,
	};
	struct listener_handlers lh = {
		.http1 = daemon_hand_http1,
		.http2 = daemon_hand_http2,
		.tls = d->tls != NULL ? daemon_hand_tls : NULL,
		.connections = daemon_connections,
		.arg = d,
	};
	sigset_t mask;

	if (listener_new(&d->listener, d->loop, &lo, &lh) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen,
		    strerror(errno));
		return BS_ERR_IO;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0 || (d->sigwatch = loop_watch_add(d->loop, d->sigfd,
	    EPOLLIN, daemon_signal, d)) == NULL) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return BS_ERR_IO;
	}
	return 0;
}

/* Loads the certificate and key.  Returns 0 or BS_ERR_INVALID (err). */
static int
daemon_start_tls(struct daemon *d, char *err, size_t errlen)
{
	struct tls_options to = {
		.cert_file = d->cfg->tls_cert,
		.key_file = d->cfg->tls_key,
		.priority = d->cfg->tls_priority,
		.handshake_timeout_s = d->cfg->sniff_timeout_s,
		.linger_timeout_s = d->cfg->idle_timeout_s,
		.metrics = d->metrics,
	};
	struct tls_handlers th = {
		.http2 = daemon_tls_http2,
		.http1 = daemon_tls_http1,
		.arg = d,
	};

	return tls_new(&d->tls, d->loop, &to, &th, err, errlen);
}

/* What the request handlers may reach (src/api/ctx.h). */
static void
daemon_wire_api(struct daemon *d)
{
	d->api = (struct api_ctx){
		.cfg = d->cfg,
		.loop = d->loop,
		.battles = d->battles,
		.ratelimit = d->ratelimit,
		.idempotency = d->idempotency,
		.store = d->store,
		.metrics = d->metrics,
		.figures = d->figures,
		.admin_token = d->admin_token,
		.creator_token = d->creator_token,
		.create_limit = d->create_limit,
		.metrics_allow = d->metrics_allow,
		.lifecycle = &d->state,
	};
}

int
daemon_new(struct daemon **out, const struct config *cfg, char *err,
    size_t errlen)
{
	struct http1_options h1o = {
		.max_body = cfg->max_body,
		.max_connections = cfg->max_connections,
		.idle_timeout_s = cfg->idle_timeout_s,
		.head_timeout_s = cfg->head_timeout_s,
		.conn_memory = cfg->conn_memory,
	};
	struct http2_options h2o = {
		.max_body = cfg->max_body,
		.max_streams = cfg->h2_max_streams,
		.max_header_list = cfg->h2_max_header_list,
		.conn_body = cfg->h2_conn_body,
		.body_total = cfg->h2_body_total,
		.idle_timeout_s = cfg->idle_timeout_s,
	};
	struct daemon *d;
	int rv;

	d = xcalloc(1, sizeof(*d));
	d->cfg = cfg;
	d->sigfd = -1;
	if (cidr_list_parse(cfg->metrics_allow, &d->metrics_allow, err,
	    errlen) != 0) {
		rv = BS_ERR_INVALID;
		goto fail;
	}
	if (cfg->admin_token_file != NULL &&
	    (rv = daemon_read_token("admin-token-file", cfg->admin_token_file,
	    &d->admin_token, err, errlen)) != 0)
		goto fail;
	if (cfg->creator_token_file != NULL &&
	    (rv = daemon_read_token("creator-token-file",
	    cfg->creator_token_file, &d->creator_token, err, errlen)) != 0)
		goto fail;
	if (loop_new(&d->loop) != 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		rv = BS_ERR_IO;
		goto fail;
	}
	d->started_us = loop_now_us(d->loop);
	d->metrics = metrics_new();
	daemon_add_metrics(d, &h1o, &h2o);
	/* Before the store: a bad certificate should not touch the data. */
	if (cfg->tls_cert != NULL && (rv = daemon_start_tls(d, err,
	    errlen)) != 0)
		goto fail;
	/* Its context, d->api, is filled in below, before anything is served. */
	d->router = router_new(api_routes, api_nroutes, &d->api, d->metrics,
	    d->loop);
	rv = store_open(&d->store, d->loop, cfg->store != NULL ? cfg->store :
	    cfg->db_path, cfg->sql_dir,
	    cfg->durability_full ? STORE_DURABILITY_FULL :
	    STORE_DURABILITY_NORMAL, d->metrics, err, errlen);
	if (rv != 0)
		goto fail;
	d->stream = stream_new(d->loop, d->metrics, &(struct stream_options){
		.debounce_ms = cfg->debounce_ms,
		.heartbeat_s = cfg->heartbeat_s,
		.retry_ms = cfg->retry_ms,
		.ring_events = (size_t)cfg->ring_events,
		.ring_bytes = (size_t)cfg->ring_bytes,
		.max_backlog = (size_t)cfg->max_backlog,
		.write_timeout_s = cfg->write_timeout_s,
	    });
	d->battles = battles_new(d->loop, d->store, d->stream, d->metrics,
	    &(struct battles_options){
		.max_battles = (size_t)cfg->max_battles,
		.max_ships = cfg->max_ships,
		.max_players = cfg->max_players,
		.max_spectators = cfg->max_spectators,
		.snapshot_every = 64,
		.node_id = cfg->node_id,
		.listen = cfg->listen,
		.lease_ttl_ms = (int64_t)cfg->lease_ttl_s * 1000,
		.pg_location = cfg->store != NULL &&
		    store_is_postgresql(cfg->store) ? cfg->store : NULL,
	    });
	if ((rv = battles_restore(d->battles, err, errlen)) != 0)
		goto fail;
	d->figures = figures_new(d->loop, d->stream, d->metrics, d->battles,
	    battles_epoch(d->battles));
	d->ratelimit = ratelimit_new(cfg->rate, cfg->burst, 100000);
	/* A bucket of N battles an address, refilled over the hour. */
	if (cfg->create_per_hour > 0)
		d->create_limit = ratelimit_new(cfg->create_per_hour / 3600.0,
		    cfg->create_per_hour, 100000);
	d->idempotency = idempotency_new(&(struct idempotency_limits){
		.ttl_ms = (int64_t)cfg->idempotency_ttl_s * 1000,
	    });
	if (api_idempotency_restore(d->idempotency, store_conn(d->store)) != 0) {
		snprintf(err, errlen, "cannot load the idempotency keys");
		rv = BS_ERR_IO;
		goto fail;
	}
	daemon_wire_api(d);
	battles_set_submit_hook(d->battles, api_wait_submitted, &d->api);
	metrics_add_callback(d->metrics, METRIC_COUNTER,
	    "broadside_idempotent_replays_total",
	    "Requests answered with the stored answer of an earlier request "
	    "with the same Idempotency-Key.", daemon_replays, d);
	if (store_start(d->store) != 0) {
		snprintf(err, errlen, "cannot start the storage thread");
		rv = BS_ERR_IO;
		goto fail;
	}
	d->idempotency_sweep = loop_timer_add(d->loop, 60 * 1000,
	    api_idempotency_sweep, &d->api);
	/* At once: battles restored idle past their time go first thing. */
	d->expiry_sweep = loop_timer_add(d->loop, 0, api_battles_sweep,
	    &d->api);
	if (http1_new(&d->http1, d->loop, d->router, &h1o) != 0) {
		snprintf(err, errlen, "cannot start libmicrohttpd");
		rv = BS_ERR_IO;
		goto fail;
	}
	http2_new(&d->http2, d->loop, d->router, &h2o);
	if ((rv = daemon_listen(d, err, errlen)) != 0)
		goto fail;
	*out = d;
	return 0;
fail:
	daemon_free(d);
	return rv;
}

static void
daemon_became_ready(struct loop *loop, void *arg)
{
	struct daemon *d = arg;

	if (d->state == API_STARTING)
		d->state = API_READY;
}

int
daemon_run(struct daemon *d)
{
	if (d->tls != NULL)
		log_info("broadsided %s listening on http://%s and https://%s",
		    PACKAGE_VERSION, listener_address(d->listener),
		    listener_address(d->listener));
	else
		log_info("broadsided %s listening on http://%s",
		    PACKAGE_VERSION, listener_address(d->listener));
	loop_defer(d->loop, daemon_became_ready, d);
	if (loop_run(d->loop) != 0) {
		log_error("event loop failed: %s", strerror(errno));
		return BS_ERR_IO;
	}
	return 0;
}

void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	listener_free(d->listener);
	/*
	 * Pending commits finish first: their done functions may still
	 * answer requests, which must be alive for it.
	 */
	store_close(d->store);
	/* After the final commit: the next owner need not wait for expiry. */
	battles_release(d->battles);
	loop_timer_cancel(d->idempotency_sweep);
	loop_timer_cancel(d->expiry_sweep);
	/* After the store: its last done functions finish their keys. */
	idempotency_free(d->idempotency);
	battles_free(d->battles);
	figures_free(d->figures);
	stream_free(d->stream);
	ratelimit_free(d->ratelimit);
	ratelimit_free(d->create_limit);
	http1_free(d->http1);
	http2_free(d->http2);
	/* After HTTP/2, which owns the TLS sessions it carries. */
	tls_free(d->tls);
	loop_timer_cancel(d->drain_timer);
	if (d->sigwatch != NULL)
		loop_watch_remove(d->sigwatch);
	if (d->sigfd >= 0)
		close(d->sigfd);
	router_free(d->router);
	loop_free(d->loop);
	metrics_free(d->metrics);
	free(d->admin_token);
	free(d->creator_token);
	cidr_list_free(d->metrics_allow);
	free(d);
}
