/*
 * libcurl multi on the project's loop (net.h).  The glue is the one of
 * libcurl's docs/examples/ephiperfifo.c: curl tells us which sockets to
 * watch (CURLMOPT_SOCKETFUNCTION) and when to time out
 * (CURLMOPT_TIMERFUNCTION); the loop tells curl what happened with
 * curl_multi_socket_action(); finished transfers come out of
 * curl_multi_info_read().
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "alloc.h"
#include "loop.h"
#include "net.h"

/*
 * Requests in flight at once; more wait in our queue.  The shared
 * HTTP/1.1 pool would otherwise open thousands of connections in a burst
 * (past the server's --max-connections and our descriptors), and
 * libcurl's own limit (CURLMOPT_MAX_HOST_CONNECTIONS) keeps the waiting
 * transfers in a list it walks on every removal: with thousands waiting,
 * the load generator spent its time there.
 */
#define NET_MAX_REQUESTS 256

/*
 * The receive buffer of an event stream over HTTP/2.  libcurl 7.88 keeps
 * what a stream's DATA frames bring past its buffer and hands it over
 * only when the socket next becomes readable: with the 8 KB of the other
 * transfers, a GM's stream that got a resolution's events in one read
 * saw the rest when the next event or heartbeat came, up to 20 s later
 * (scale.sh's HTTP/2 resolution -> log p99 2.9 s; the daemon had written
 * every byte within milliseconds, seen by timing its writes).  The
 * buffer is allocated once per stream; only what a burst fills becomes
 * resident.
 */
#define NET_H2_STREAM_BUFFER (256L * 1024)

/* Cap on a plain answer's body (a log page of 1000 entries fits). */
#define NET_MAX_BODY (8u << 20)

/*
 * libcurl's multi handle keeps its connections and sockets in hash
 * tables of fixed size (97 and 911 buckets in 7.88): with 10,000 streams
 * on one handle, its lookups walk long chains and the load generator
 * spends its time there.  So the browsers are spread over shards, each a
 * multi handle of its own; a browser (an alias) always uses the same one,
 * so that its connections are reused.  Shard 0 carries the requests
 * without an alias.
 */
#define NET_SHARDS 64

/*
 * A change without an answer is sent again, with its key, this many times
 * in all, after a pause that starts at NET_RETRY_FIRST_MS and doubles up
 * to NET_RETRY_MAX_MS: about 30 s in all, enough for a restart.
 */
#define NET_CHANGE_ATTEMPTS 10
#define NET_RETRY_FIRST_MS 100
#define NET_RETRY_MAX_MS 5000
/*
 * A 503 (a node draining or handing a battle over, the store away, the
 * balancer without a node) is asked again after its Retry-After, GET or
 * change alike, for this long from the first attempt: a failover takes
 * a lease's expiry and a health check or two.
 */
#define NET_UNAVAILABLE_MS 45000
#define NET_KEY_LEN 24

struct shard {
	struct net *net;
	CURLM *multi;
	struct loop_timer *timer;
};

struct net {
	struct loop *loop;
	struct shard shard[NET_SHARDS];
	struct net_config cfg;
	char scheme[8];
	char host[128];		/* as in the URL, brackets kept */
	char addr[128];		/* its numeric address, for the aliases */
	char port[8];
	struct net_stats stats;
	struct xfer *xfers;	/* every transfer not yet freed */
	int requests;		/* plain requests added to the multi */
	struct xfer *queue_head, **queue_tail;	/* requests waiting */
};

struct xfer {
	struct net *net;
	struct shard *sh;
	struct xfer *next, **prev;
	struct xfer *queue_next;	/* waiting for NET_MAX_REQUESTS */
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *resolve;
	char *body_out;
	/* a request */
	reply_cb cb;
	void *arg;
	char *buf;
	size_t len, cap;
	uint64_t sent_us;	/* first handed to libcurl (0: not yet) */
	uint64_t queued_us;	/* net_request() called */
	int change;		/* keyed: sent again when cut */
	int attempts;
	int replayed;		/* this attempt's answer says so */
	/* a stream */
	const struct stream_ops *ops;
	int added;		/* to the multi handle (deferred) */
	int closed;		/* closed before it was added */
	int opened;
	uint64_t last_rx_us;	/* loop time of the last bytes received */
	char *line;
	size_t linelen, linecap;
	int skip_lf;		/* a CR ended the last line */
	char ev_type[32];
	char ev_id[64];
	char *data;
	size_t datalen, datacap;
	int has_data;
};

static void xfer_free(struct xfer *x);
static void xfer_add(struct loop *loop, void *arg);

/* ---- the loop glue ------------------------------------------------- */

static int64_t
retry_fired(struct loop *loop, void *arg)
{
	struct xfer *x = arg;

	x->len = 0;
	x->replayed = 0;
	if (x->buf != NULL)
		x->buf[0] = '\0';
	xfer_add(loop, x);
	return LOOP_TIMER_STOP;
}

/*
 * Whether a request must be sent again: a change without an answer (its
 * outcome unknown) or with the server still busy with an earlier attempt,
 * or any request answered 503 (not done; the same key makes a change
 * once however often it is sent).  If so, schedules it (the same easy
 * handle: same key, same body) and counts why.
 */
static int
retry_later(struct xfer *x, CURLcode rc, long status)
{
	struct net *n = x->net;
	int64_t ms = NET_RETRY_FIRST_MS;
	curl_off_t after = -1;

	if (rc == CURLE_OK && status == 503) {
		if (loop_now_us(n->loop) - x->sent_us >
		    (uint64_t)NET_UNAVAILABLE_MS * 1000)
			return 0;
		curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &after);
		ms = after > 0 && after < 60 ? (int64_t)after * 1000 :
		    NET_RETRY_FIRST_MS * 5;
		x->attempts++;
		n->stats.unavailable++;
		loop_timer_add(n->loop, ms, retry_fired, x);
		return 1;
	}
	if (!x->change || x->attempts >= NET_CHANGE_ATTEMPTS)
		return 0;
	if (rc == CURLE_OK && !(status == 409 && x->buf != NULL &&
	    strstr(x->buf, "idempotency-in-flight") != NULL))
		return 0;
	for (int i = 1; i < x->attempts && ms < NET_RETRY_MAX_MS; i++)
		ms *= 2;
	if (ms > NET_RETRY_MAX_MS)
		ms = NET_RETRY_MAX_MS;
	x->attempts++;
	n->stats.change_retries++;
	loop_timer_add(n->loop, ms, retry_fired, x);
	return 1;
}

static void
finish(struct xfer *x, CURLcode rc)
{
	struct net *n = x->net;
	long status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(x->sh->multi, x->easy);
	if (x->ops == NULL) {
		x->added = 0;
		n->requests--;
		if (n->queue_head != NULL) {
			struct xfer *next = n->queue_head;

			n->queue_head = next->queue_next;
			if (n->queue_head == NULL)
				n->queue_tail = &n->queue_head;
			loop_defer(n->loop, xfer_add, next);
		}
	}
	if (x->ops != NULL) {
		const struct stream_ops *ops = x->ops;
		void *arg = x->arg;

		net_stream_close(x);
		ops->closed(arg, rc, status);
		return;
	}
	if (retry_later(x, rc, status))
		return;
	if (x->change && rc != CURLE_OK)
		n->stats.change_unknown++;
	if (x->change && x->replayed)
		n->stats.change_replays++;
	{
		struct reply r = { .rc = rc, .status = status,
		    .sent_us = x->sent_us, .replayed = x->replayed,
		    .attempts = x->attempts };

		if (x->buf == NULL)
			x->buf = xstrdup("");
		r.text = x->buf;
		r.len = x->len;
		if (x->len > 0)
			r.json = json_loadb(x->buf, x->len, 0, NULL);
		x->cb(&r, x->arg);
		json_decref(r.json);
	}
	xfer_free(x);
}

static void
check_done(struct shard *sh)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(sh->multi, &left)) != NULL) {
		struct xfer *x;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(x, m->data.result);
	}
}

static void
socket_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct shard *sh = arg;
	int flags = 0, running;

	(void)loop;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(sh->multi, fd, flags, &running);
	check_done(sh);
}

static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct shard *sh = userp;
	struct loop_watch *w = sockp;
	uint32_t ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w != NULL)
			loop_watch_remove(w);
		curl_multi_assign(sh->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (w == NULL) {
		w = loop_watch_add(sh->net->loop, s, ev, socket_event, sh);
		if (w == NULL)
			return -1;
		curl_multi_assign(sh->multi, s, w);
	} else if (loop_watch_modify(w, ev) != 0)
		return -1;
	return 0;
}

static int64_t
timer_fired(struct loop *loop, void *arg)
{
	struct shard *sh = arg;
	int running;

	(void)loop;
	sh->timer = NULL;
	curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(sh);
	return LOOP_TIMER_STOP;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct shard *sh = userp;

	(void)multi;
	if (timeout_ms < 0) {
		loop_timer_cancel(sh->timer);
		sh->timer = NULL;
	} else if (sh->timer != NULL)
		loop_timer_reset(sh->timer, timeout_ms);
	else
		sh->timer = loop_timer_add(sh->net->loop, timeout_ms,
		    timer_fired, sh);
	return 0;
}

/* ---- set-up -------------------------------------------------------- */

/* Splits scheme://host[:port][/] into the net's parts. */
static int
parse_url(struct net *n, const char *url)
{
	const char *p = strstr(url, "://"), *h, *end, *colon;

	if (p == NULL || (size_t)(p - url) >= sizeof(n->scheme))
		return -1;
	snprintf(n->scheme, sizeof(n->scheme), "%.*s", (int)(p - url), url);
	if (strcmp(n->scheme, "http") != 0 && strcmp(n->scheme, "https") != 0)
		return -1;
	h = p + 3;
	end = h + strcspn(h, "/");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (rb == NULL)
			return -1;
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else
		colon = memchr(h, ':', (size_t)(end - h));
	if (colon == NULL)
		colon = end;
	if (colon == h || (size_t)(colon - h) >= sizeof(n->host))
		return -1;
	snprintf(n->host, sizeof(n->host), "%.*s", (int)(colon - h), h);
	if (colon < end) {
		if ((size_t)(end - colon - 1) >= sizeof(n->port) ||
		    end - colon - 1 == 0)
			return -1;
		snprintf(n->port, sizeof(n->port), "%.*s",
		    (int)(end - colon - 1), colon + 1);
	} else
		snprintf(n->port, sizeof(n->port), "%s",
		    strcmp(n->scheme, "https") == 0 ? "443" : "80");
	return 0;
}

/*
 * The aliases resolve (CURLOPT_RESOLVE) to a numeric address: a host
 * name in the URL is looked up once, here.
 */
static int
resolve_host(struct net *n)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char name[128], num[INET6_ADDRSTRLEN];
	size_t len = strlen(n->host);

	if (n->host[0] == '[') {
		snprintf(n->addr, sizeof(n->addr), "%s", n->host);
		return 0;
	}
	snprintf(name, sizeof(name), "%.*s", (int)len, n->host);
	if (getaddrinfo(name, n->port, &hints, &ai) != 0)
		return -1;
	getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num), NULL, 0,
	    NI_NUMERICHOST);
	snprintf(n->addr, sizeof(n->addr), ai->ai_family == AF_INET6 ?
	    "[%s]" : "%s", num);
	freeaddrinfo(ai);
	return 0;
}

int
net_new(struct loop *loop, const struct net_config *cfg, struct net **out)
{
	struct net *n = xcalloc(1, sizeof(*n));

	n->loop = loop;
	n->cfg = *cfg;
	if (parse_url(n, cfg->url) != 0 || resolve_host(n) != 0) {
		free(n);
		return -1;
	}
	for (int i = 0; i < NET_SHARDS; i++) {
		struct shard *sh = &n->shard[i];

		sh->net = n;
		sh->multi = curl_multi_init();
		if (sh->multi == NULL)
			abort();
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION,
		    socket_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
		curl_multi_setopt(sh->multi, CURLMOPT_PIPELINING,
		    CURLPIPE_MULTIPLEX);
		/* Keep the idle request connections of every browser. */
		curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, 100000L);
	}

	n->stats.retry_ms = -1;
	hist_init(&n->stats.queued);
	n->queue_tail = &n->queue_head;
	*out = n;
	return 0;
}

void
net_free(struct net *n)
{
	if (n == NULL)
		return;
	/*
	 * Transfers still out end here, without their callbacks; those not
	 * yet added wait in the loop's deferred queue, which the caller
	 * drops (loop_free) without running it.
	 */
	while (n->xfers != NULL) {
		struct xfer *x = n->xfers;

		if (x->added)
			curl_multi_remove_handle(x->sh->multi, x->easy);
		xfer_free(x);
	}
	for (int i = 0; i < NET_SHARDS; i++) {
		loop_timer_cancel(n->shard[i].timer);
		curl_multi_cleanup(n->shard[i].multi);
	}
	free(n);
}

const struct net_stats *
net_stats(const struct net *n)
{
	return &n->stats;
}

/* ---- transfers ----------------------------------------------------- */

static size_t
request_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * nmemb;

	if (x->len + len + 1 > NET_MAX_BODY)
		return 0;
	if (x->len + len + 1 > x->cap) {
		x->cap = (x->len + len + 1) * 2;
		x->buf = xrealloc(x->buf, x->cap);
	}
	memcpy(x->buf + x->len, ptr, len);
	x->len += len;
	x->buf[x->len] = '\0';
	return len;
}

static struct xfer *
xfer_new(struct net *n, const char *alias, const char *method,
    const char *path, const char *token)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	char url[512], hdr[160];
	const char *host = alias != NULL ? alias : n->host;

	x->net = n;
	x->sh = &n->shard[0];
	if (alias != NULL) {
		unsigned h = 5381;

		for (const char *p = alias; *p != '\0'; p++)
			h = h * 33 + (unsigned char)*p;
		x->sh = &n->shard[1 + h % (NET_SHARDS - 1)];
	}
	x->next = n->xfers;
	if (x->next != NULL)
		x->next->prev = &x->next;
	x->prev = &n->xfers;
	n->xfers = x;
	x->easy = curl_easy_init();
	if (x->easy == NULL)
		abort();
	snprintf(url, sizeof(url), "%s://%s:%s%s", n->scheme, host, n->port,
	    path);
	if (alias != NULL) {
		snprintf(hdr, sizeof(hdr), "%s:%s:%s", alias, n->port, n->addr);
		x->resolve = curl_slist_append(NULL, hdr);
		curl_easy_setopt(x->easy, CURLOPT_RESOLVE, x->resolve);
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, 8192L);
	curl_easy_setopt(x->easy, CURLOPT_TCP_NODELAY, 1L);
	if (n->cfg.http2) {
		/*
		 * Cleartext: Upgrade: h2c, not prior knowledge, whose
		 * connections libcurl 7.88 fails to reuse (the request is
		 * never sent on it).
		 */
		curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION,
		    strcmp(n->scheme, "https") == 0 ? CURL_HTTP_VERSION_2TLS :
		    CURL_HTTP_VERSION_2_0);
		curl_easy_setopt(x->easy, CURLOPT_PIPEWAIT, 1L);
	} else
		curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION,
		    CURL_HTTP_VERSION_1_1);
	if (n->cfg.cacert != NULL)
		curl_easy_setopt(x->easy, CURLOPT_CAINFO, n->cfg.cacert);
	/* An alias is not in the certificate: the chain is still checked. */
	if (n->cfg.insecure || alias != NULL)
		curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	if (n->cfg.insecure)
		curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, method);
	if (token != NULL) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
		x->headers = curl_slist_append(x->headers, hdr);
	}
	return x;
}

static size_t
request_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	static const char name[] = "idempotent-replayed:";
	struct xfer *x = userdata;
	size_t len = size * nmemb;

	if (len >= sizeof(name) - 1 && strncasecmp(ptr, name,
	    sizeof(name) - 1) == 0) {
		const char *v = ptr + sizeof(name) - 1;
		size_t vlen = len - (sizeof(name) - 1);

		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		x->replayed = vlen >= 4 && strncasecmp(v, "true", 4) == 0;
	}
	return len;
}

static void
xfer_free(struct xfer *x)
{
	*x->prev = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->resolve);
	free(x->body_out);
	free(x->buf);
	free(x->line);
	free(x->data);
	free(x);
}

static void
xfer_add(struct loop *loop, void *arg)
{
	struct xfer *x = arg;

	(void)loop;
	if (x->closed) {
		xfer_free(x);
		return;
	}
	if (x->ops == NULL) {
		struct net *n = x->net;

		if (n->requests >= NET_MAX_REQUESTS) {
			x->queue_next = NULL;
			*n->queue_tail = x;
			n->queue_tail = &x->queue_next;
			return;
		}
		n->requests++;
		/* The first hand-off: a retry keeps the first attempt's. */
		if (x->sent_us == 0) {
			x->sent_us = loop_now_us(n->loop);
			hist_add(&n->stats.queued, x->sent_us - x->queued_us);
		}
	}
	x->added = 1;
	x->last_rx_us = loop_now_us(x->net->loop);
	if (curl_multi_add_handle(x->sh->multi, x->easy) != CURLM_OK)
		abort();
}

/*
 * Transfers join the multi handle after this loop iteration: callers may
 * be inside a libcurl callback, where adding a handle is not allowed.
 */
static void
xfer_start(struct xfer *x)
{
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	loop_defer(x->net->loop, xfer_add, x);
}

void
net_request(struct net *n, const char *alias, const char *method,
    const char *path, const char *token, json_t *body, reply_cb cb,
    void *arg)
{
	struct xfer *x = xfer_new(n, alias, method, path, token);

	x->cb = cb;
	x->arg = arg;
	/* Timed from its hand-off to libcurl (xfer_add()), not from here. */
	x->queued_us = loop_now_us(n->loop);
	if (body != NULL) {
		x->body_out = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		x->headers = curl_slist_append(x->headers,
		    "Content-Type: application/json");
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body_out);
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, "");
	x->headers = curl_slist_append(x->headers, "Expect:");
	x->attempts = 1;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		unsigned char rnd[NET_KEY_LEN / 2];
		char hdr[64];
		size_t off;

		/* 96 random bits in hex: a key no other request has. */
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			abort();
		off = (size_t)snprintf(hdr, sizeof(hdr), "Idempotency-Key: ");
		for (size_t i = 0; i < sizeof(rnd); i++)
			off += (size_t)snprintf(hdr + off, sizeof(hdr) - off,
			    "%02x", rnd[i]);
		x->headers = curl_slist_append(x->headers, hdr);
		x->change = 1;
		n->stats.changes++;
	}
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, request_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, request_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
	    n->cfg.request_timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "");
	n->stats.requests++;
	xfer_start(x);
}

/* ---- event streams ------------------------------------------------- */

static void
data_append(struct xfer *x, const char *p, size_t len, int newline)
{
	size_t need = x->datalen + len + 2;

	if (need > x->datacap) {
		x->datacap = need * 2;
		x->data = xrealloc(x->data, x->datacap);
	}
	if (newline)
		x->data[x->datalen++] = '\n';
	memcpy(x->data + x->datalen, p, len);
	x->datalen += len;
	x->data[x->datalen] = '\0';
}

/* One line of the stream, without its end (the EventSource algorithm). */
static void
sse_line(struct xfer *x, const char *line, size_t len)
{
	const char *colon, *value;
	size_t flen, vlen;

	if (len == 0) {
		if (x->has_data)
			x->ops->event(x->arg, x->ev_type[0] != '\0' ?
			    x->ev_type : "message", x->ev_id, x->data,
			    x->datalen);
		x->has_data = 0;
		x->datalen = 0;
		x->ev_type[0] = '\0';
		x->ev_id[0] = '\0';
		return;
	}
	if (line[0] == ':') {
		x->net->stats.heartbeats++;
		return;
	}
	colon = memchr(line, ':', len);
	flen = colon != NULL ? (size_t)(colon - line) : len;
	value = colon != NULL ? colon + 1 : line + len;
	vlen = len - (size_t)(value - line);
	if (vlen > 0 && value[0] == ' ') {
		value++;
		vlen--;
	}
	if (flen == 4 && memcmp(line, "data", 4) == 0) {
		data_append(x, value, vlen, x->has_data);
		x->has_data = 1;
	} else if (flen == 5 && memcmp(line, "event", 5) == 0)
		snprintf(x->ev_type, sizeof(x->ev_type), "%.*s", (int)vlen,
		    value);
	else if (flen == 2 && memcmp(line, "id", 2) == 0)
		snprintf(x->ev_id, sizeof(x->ev_id), "%.*s", (int)vlen, value);
	else if (flen == 5 && memcmp(line, "retry", 5) == 0) {
		/* The line is not NUL-terminated: strtol on a copy. */
		char ms[24];

		snprintf(ms, sizeof(ms), "%.*s", (int)vlen, value);
		x->net->stats.retry_ms = strtol(ms, NULL, 10);
	}
}

static size_t
stream_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * nmemb, i;

	if (!x->opened) {
		long status = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		x->opened = 1;
		x->ops->open(x->arg, status);
		if (status != 200)
			return len;
	}
	x->net->stats.decoded_bytes += len;
	x->last_rx_us = loop_now_us(x->net->loop);
	for (i = 0; i < len; i++) {
		char c = ptr[i];

		if (x->skip_lf) {
			x->skip_lf = 0;
			if (c == '\n')
				continue;
		}
		if (c == '\r' || c == '\n') {
			x->skip_lf = c == '\r';
			sse_line(x, x->line != NULL ? x->line : "",
			    x->linelen);
			x->linelen = 0;
			continue;
		}
		if (x->linelen + 1 >= x->linecap) {
			x->linecap = x->linecap ? x->linecap * 2 : 256;
			x->line = xrealloc(x->line, x->linecap);
		}
		x->line[x->linelen++] = c;
	}
	return len;
}

struct xfer *
net_stream(struct net *n, const char *alias, const char *path,
    const char *token, const char *last_id, const struct stream_ops *ops,
    void *arg)
{
	struct xfer *x = xfer_new(n, alias, "GET", path, token);
	char hdr[128];

	x->ops = ops;
	x->arg = arg;
	/* Silence counts from now: it joins the multi handle only later. */
	x->last_rx_us = loop_now_us(n->loop);
	x->headers = curl_slist_append(x->headers,
	    "Accept: text/event-stream");
	if (last_id != NULL && last_id[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "Last-Event-ID: %s", last_id);
		x->headers = curl_slist_append(x->headers, hdr);
	}
	if (n->cfg.compressed)
		curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	if (n->cfg.http2)
		curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE,
		    NET_H2_STREAM_BUFFER);
	n->stats.streams_opened++;
	xfer_start(x);
	return x;
}

uint64_t
net_stream_last_rx(const struct xfer *x)
{
	return x->last_rx_us;
}

void
net_stream_close(struct xfer *x)
{
	struct net *n = x->net;
	curl_off_t wire = 0;

	if (!x->added) {
		x->closed = 1;	/* xfer_add() frees it */
		return;
	}
	if (curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &wire) ==
	    CURLE_OK && wire > 0)
		n->stats.wire_bytes += (uint64_t)wire;
	curl_multi_remove_handle(x->sh->multi, x->easy);
	xfer_free(x);
}
