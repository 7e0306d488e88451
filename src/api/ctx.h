/*
 * The request handlers' context: every service a handler may reach,
 * handed to the router as its context pointer (route.h).  The daemon
 * fills one in, keeps it alive as long as its router, and owns everything
 * it points to; the handlers only borrow.  A unit test fills one in with
 * what the handlers it drives need, and leaves the rest NULL.
 *
 * Loop thread only, like the handlers.
 */
#ifndef BROADSIDE_API_CTX_H
#define BROADSIDE_API_CTX_H

struct battles;
struct cidr_list;
struct config;
struct figures;
struct idempotency;
struct loop;
struct metrics;
struct ratelimit;
struct store;

/* Where the server is in its life, as /readyz tells it. */
enum api_lifecycle {
	API_STARTING,
	API_READY,
	API_DRAINING,
};

struct api_ctx {
	const struct config *cfg;
	struct loop *loop;		/* the time for the rate limits */
	struct battles *battles;
	struct ratelimit *ratelimit;
	struct idempotency *idempotency;
	struct store *store;		/* for the idempotency sweep */
	struct metrics *metrics;	/* GET /metrics */
	struct figures *figures;	/* GET /metrics/events */
	/* The operator's token (--admin-token-file); NULL when none. */
	const char *admin_token;
	/*
	 * The token that creating a battle needs (--creator-token-file);
	 * NULL: anyone may create.
	 */
	const char *creator_token;
	/* Battles created per address (--create-per-hour); NULL: no cap. */
	struct ratelimit *create_limit;
	/* The addresses that read /metrics without a token. */
	const struct cidr_list *metrics_allow;
	/* The owner's lifecycle, read at each /readyz. */
	const enum api_lifecycle *lifecycle;
};

#endif
