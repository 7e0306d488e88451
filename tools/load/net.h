/*
 * broadside-load's HTTP client: libcurl's multi interface driven by the
 * project's event loop (curl_multi_socket_action on epoll), plain
 * requests with JSON answers, and Server-Sent-Events streams parsed as a
 * browser's EventSource parses them.
 *
 * Each simulated browser names an alias (a host name that resolves to the
 * --url's address), so that libcurl keeps its connections apart: over
 * HTTP/2 a browser's stream and requests share one connection of its own;
 * over HTTP/1.1 its stream holds one connection and its requests reuse
 * another, as a browser's would.
 */
#ifndef BROADSIDE_LOAD_NET_H
#define BROADSIDE_LOAD_NET_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "hist.h"

struct loop;
struct net;
struct xfer;

struct net_config {
	const char *url;	/* scheme://host:port, no path */
	int http2;
	int compressed;		/* streams ask for gzip */
	const char *cacert;
	int insecure;
	long request_timeout_ms;
};

/* A finished request: status 0 when no HTTP answer came (see rc). */
struct reply {
	CURLcode rc;
	long status;
	json_t *json;		/* the parsed body, or NULL */
	const char *text;	/* the body as received, NUL-terminated */
	size_t len;
	uint64_t sent_us;	/* loop time the request was started */
	int replayed;		/* Idempotent-Replayed: true */
	int attempts;		/* 1, or more when it was retried */
};

typedef void (*reply_cb)(const struct reply *r, void *arg);

/* What a stream reports; every callback runs on the loop. */
struct stream_ops {
	/* An event: its type ("message" if none), id ("" if none), data. */
	void (*event)(void *arg, const char *type, const char *id,
	    const char *data, size_t len);
	/* The response head arrived with this status. */
	void (*open)(void *arg, long status);
	/* The stream ended (by the server, the network or an error). */
	void (*closed)(void *arg, CURLcode rc, long status);
};

struct net_stats {
	uint64_t requests, streams_opened;
	uint64_t wire_bytes;	/* stream bytes as received (compressed) */
	uint64_t decoded_bytes;	/* stream bytes after decoding */
	uint64_t heartbeats;
	long retry_ms;		/* the last retry: hint seen */
	uint64_t changes;	/* requests that change something (keyed) */
	uint64_t change_retries;	/* their attempts sent again */
	uint64_t change_replays;	/* answered Idempotent-Replayed */
	uint64_t change_unknown;	/* never answered: outcome unknown */
	uint64_t unavailable;	/* 503 answers, requests and streams, retried */
	/*
	 * How long requests waited in our own queue (NET_MAX_REQUESTS in
	 * flight) before libcurl had them, us: not part of request -> answer.
	 */
	struct hist queued;
};

int net_new(struct loop *loop, const struct net_config *cfg,
    struct net **out);

/*
 * Frees the net and every transfer still out, without their callbacks.
 * Call it once the loop no longer runs (its deferred queue may hold
 * transfers about to start), before loop_free().
 */
void net_free(struct net *n);
const struct net_stats *net_stats(const struct net *n);

/*
 * Starts a request.  body (stolen, may be NULL) is sent as JSON.  token
 * may be NULL.  alias: the simulated browser's host alias, or NULL for
 * the --url's own host.  cb runs once, with the reply, when it ends; the
 * reply is freed after cb returns.
 *
 * A change (any method but GET and HEAD) carries an Idempotency-Key of
 * its own (broadside-api(7), IDEMPOTENT REQUESTS); when it gets no answer
 * (a reset, a timeout, a refused connection) or 409 idempotency-in-flight,
 * it is sent again with the same key, up to NET_CHANGE_ATTEMPTS times
 * with a doubling pause, so that the server makes the change once and
 * the client learns its outcome.  Any request answered 503 is sent again
 * after its Retry-After for up to NET_UNAVAILABLE_MS (a failover).  cb
 * sees the last attempt.
 */
void net_request(struct net *n, const char *alias, const char *method,
    const char *path, const char *token, json_t *body, reply_cb cb,
    void *arg);

/*
 * Opens an event stream on path with Last-Event-ID last_id (NULL or ""
 * for none).  The returned handle stays valid until ops->closed has run
 * or net_stream_close() is called.
 */
struct xfer *net_stream(struct net *n, const char *alias, const char *path,
    const char *token, const char *last_id, const struct stream_ops *ops,
    void *arg);

/*
 * The loop time of the stream's last bytes (or of its start).  A silent
 * stream is the caller's to detect (one sweep for all of them is cheaper
 * than libcurl's low-speed check, a timer per transfer per second).
 */
uint64_t net_stream_last_rx(const struct xfer *x);

/* Closes a stream from our side; no callback runs for it afterwards. */
void net_stream_close(struct xfer *x);

#endif
