/*
 * broadside-load(1): the run's settings, its counters, and the bots that
 * play the battles (bots.h: bots.c, setup.c, play.c, sse.c, checks.c).
 * load.c parses the options, drives the run and writes the report.  The
 * run is one struct load, made by main() and passed to everything: the
 * tool keeps no state at file scope.
 */
#ifndef BROADSIDE_LOAD_H
#define BROADSIDE_LOAD_H

#include <stdint.h>

#include <jansson.h>

#include "hist.h"

struct bots;
struct loop;
struct net;

struct load_options {
	const char *url;
	const char *check_url;	/* final checks and /metrics; default url */
	int battles, players, ships, spectators;
	int rounds;		/* end after this many rounds (0: no limit) */
	double duration_s;	/* or at the first round after this long */
	int round_seconds;
	int think_ms;		/* bots order within this after a round opens */
	int http2, compressed, insecure;
	const char *cacert;
	uint64_t seed;
	const char *report;
	double max_p99_ms;	/* < 0: no threshold */
	long max_errors;	/* < 0: no threshold */
	int faults;		/* the network is expected to fail */
	double drop_at_s;	/* close every stream at once (0: never) */
	double timeout_s;	/* the whole run */
	int connect_rate;	/* new streams per second */
	int quiet;
	int keep;		/* leave the battles on the server */
};

enum load_error {
	ERR_HTTP,		/* an unexpected status */
	ERR_REFUSED,		/* an order or edit refused by the rules */
	ERR_STALE,		/* refused as too late (wrong round...) */
	ERR_TRANSPORT,		/* a request without an answer */
	ERR_STREAM,		/* a stream refused or cut with an error */
	ERR_EVENT,		/* an event that cannot be applied */
	ERR_DIVERGED,		/* a client's state differs from GET */
	ERR_LOST,		/* an acknowledged order missing in the log */
	ERR_TIMEOUT,		/* a battle that did not finish in time */
	ERR_DUPLICATED,		/* a change made twice (narration, ship, player) */
	ERR_RACED,		/* a GM edit or narration that crossed a
				 * resolution ending the planning phase, or
				 * a request that crossed our own DELETE */
	ERR_N
};

struct load_stats {
	struct hist order_visible;	/* order POST sent -> seen, us */
	struct hist resolution_log;	/* resolution -> log event, us */
	struct hist request;		/* request sent -> answer, us */
	struct hist storm;		/* drop -> stream back, us */
	struct hist lag;		/* our own loop's lateness, us */
	uint64_t errors[ERR_N];
	uint64_t events[8];		/* by enum event_kind in bots.h */
	uint64_t reconnects, replays, snapshot_resends;
	uint64_t streams_unavailable;	/* stream answered 503: come again */
	uint64_t throttled;		/* 429 answers waited out */
	uint64_t orders_acked, orders_checked, rounds_resolved;
	uint64_t narrations_checked;	/* in the logs, none twice */
	uint64_t streams_open, streams_open_max;
	uint64_t battles_done, clients_converged;
};

/* What the server's /metrics said (load.c). */
struct scrape {
	double rss;
	double subscribers;
	double res_count, res_sum;
	double res_le[32], res_bucket[32];
	int nres;
};

/* The server as the run saw it: first and last scrape, and the peaks. */
struct server_watch {
	struct scrape first, last;
	double rss_max, subscribers_max;
	int scraped;		/* first holds a scrape */
};

struct load {
	struct load_options opt;
	struct loop *loop;
	struct net *net;	/* the players' traffic, through --url */
	struct net *check;	/* final checks, through --check-url */
	struct load_stats st;
	struct server_watch server;
	struct bots *bots;	/* bots_start() to bots_free() */
	uint64_t start_us;
	uint64_t lag_due;	/* when the lateness probe should run next */
	int slots_done;		/* battle slots with nothing more to play */
	json_t *kept;		/* --keep: [{id, gm_token, state_hash}] */
	int stopping;
};

extern const char *const load_error_names[ERR_N];
extern const char *const load_event_names[8];

/* Counts an error and prints its first occurrences of each kind. */
void load_error(struct load *L, enum load_error kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Starts every battle's set-up; battles call load_battle_done(). */
void bots_start(struct load *L);

/* A battle slot has nothing more to play: when all are, the run ends. */
void load_battle_done(struct load *L);

/* Closes every stream at once; clients reconnect as after a drop. */
void bots_drop_all(struct load *L);

/* Drops (to reconnect) every stream silent for idle_us. */
void bots_sweep_stalled(struct load *L, uint64_t idle_us);

/* Ends every battle still running (the run's deadline has come). */
void bots_timeout(struct load *L);

/* Frees every battle and the bots; a no-op before bots_start(). */
void bots_free(struct load *L);

#endif
