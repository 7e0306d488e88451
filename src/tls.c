/*
 * TLS sessions on the shared port (tls.h).
 *
 * A connection lives in one of three states: its handshake (our watch on
 * the socket, our deadline), "h2" (the HTTP/2 transport watches the
 * socket and moves bytes through tls_h2_io) or the bridge to
 * libmicrohttpd (tls_bridge.c: our watches on the TLS socket and on our
 * end of a socketpair).  A connection that ends inside one of our callbacks is
 * marked closed and freed after the loop's iteration; one the HTTP/2
 * transport closes is freed at once from its clean-up, where none of our
 * callbacks is running.
 *
 * GnuTLS reads and writes the socket itself (gnutls_transport_set_int),
 * non-blocking: GNUTLS_E_AGAIN means "wait for the direction
 * gnutls_record_get_direction() names", and a send that returned it is
 * completed by calling gnutls_record_send(NULL, 0).
 */
#include "config.h"

#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "alloc.h"
#include "error.h"
#include "http2.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "tls_impl.h"

/* Non-const: gnutls_datum_t does not take const bytes. */
static unsigned char alpn_h2[] = "h2";
static unsigned char alpn_http1[] = "http/1.1";

/* ---- bookkeeping ------------------------------------------------------- */

void
tls_conn_set_state(struct tls_conn *t, enum tls_state state)
{
	struct tls *tls = t->tls;

	if (t->state == state)
		return;
	if (t->state != TLS_CLOSED) {
		tls->count[t->state]--;
		if (tls->open[t->state] != NULL)
			metric_series_set(tls->open[t->state],
			    (double)tls->count[t->state]);
	}
	if (state != TLS_CLOSED) {
		tls->count[state]++;
		if (tls->open[state] != NULL)
			metric_series_set(tls->open[state],
			    (double)tls->count[state]);
	}
	t->state = state;
}

static void
tls_conn_free(struct tls_conn *t)
{
	struct tls *tls = t->tls;

	tls_conn_set_state(t, TLS_CLOSED);
	loop_watch_remove(t->watch);
	loop_watch_remove(t->peer_watch);
	loop_timer_cancel(t->timer);
	if (t->session != NULL)
		gnutls_deinit(t->session);
	close(t->fd);
	if (t->peer_fd >= 0)
		close(t->peer_fd);
	free(t->up.data);
	free(t->down.data);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		tls->conns = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	free(t);
}

static void
tls_conn_free_deferred(struct loop *loop, void *arg)
{
	tls_conn_free(arg);
}

void
tls_conn_close(struct tls_conn *t)
{
	if (t->state == TLS_CLOSED)
		return;
	tls_conn_set_state(t, TLS_CLOSED);
	loop_watch_remove(t->watch);
	t->watch = NULL;
	loop_watch_remove(t->peer_watch);
	t->peer_watch = NULL;
	loop_timer_cancel(t->timer);
	t->timer = NULL;
	loop_defer(t->tls->loop, tls_conn_free_deferred, t);
}

/*
 * Removing rather than watching for nothing: EPOLLHUP cannot be masked,
 * and a side we do not want to hear from must stay quiet.
 */
int
tls_set_watch(struct tls_conn *t, struct loop_watch **w, uint32_t *current,
    int fd, uint32_t events, loop_fd_cb cb)
{
	if (*w != NULL && *current == events)
		return 0;
	if (events == 0) {
		loop_watch_remove(*w);
		*w = NULL;
	} else if (*w == NULL) {
		*w = loop_watch_add(t->tls->loop, fd, events, cb, t);
		if (*w == NULL) {
			log_warn("tls: cannot watch a connection: %s",
			    strerror(errno));
			return -1;
		}
	} else if (loop_watch_modify(*w, events) != 0) {
		return -1;
	}
	*current = events;
	return 0;
}

/* ---- records in and out ----------------------------------------------- */

ssize_t
tls_recv(struct tls_conn *t, void *buf, size_t len)
{
	for (int i = 0; i < TLS_MAX_WARNINGS; i++) {
		ssize_t n = gnutls_record_recv(t->session, buf, len);

		if (n >= 0)
			return n;
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			errno = EAGAIN;
			return -1;
		}
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;	/* TCP closed without close_notify */
		/* Renegotiation is refused: TLS 1.3 has none anyway. */
		if (gnutls_error_is_fatal((int)n) ||
		    n == GNUTLS_E_REHANDSHAKE) {
			log_debug("tls: %s: %s", t->remote,
			    gnutls_strerror((int)n));
			break;
		}
		/* A warning alert: read on. */
	}
	errno = EPROTO;
	return -1;
}

/*
 * gnutls_record_send() as write(): n, or -1 with errno.  After
 * GNUTLS_E_AGAIN the record already begun is finished first (NULL, 0),
 * so the caller's bytes may have moved in between.
 */
ssize_t
tls_send(struct tls_conn *t, const void *buf, size_t len)
{
	ssize_t n;

	if (t->send_again)
		n = gnutls_record_send(t->session, NULL, 0);
	else
		n = gnutls_record_send(t->session, buf, len);
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		t->send_again = 1;
		errno = EAGAIN;
		return -1;
	}
	t->send_again = 0;
	if (n < 0) {
		log_debug("tls: %s: %s", t->remote, gnutls_strerror((int)n));
		errno = EPIPE;
		return -1;
	}
	return n;
}

/* ---- "h2": the HTTP/2 transport's struct http2_io ---------------------- */

static ssize_t
tls_h2_recv(void *ctx, void *buf, size_t len)
{
	return tls_recv(ctx, buf, len);
}

static ssize_t
tls_h2_send(void *ctx, const void *buf, size_t len)
{
	return tls_send(ctx, buf, len);
}

static void
tls_h2_close(void *ctx)
{
	struct tls_conn *t = ctx;

	/* close_notify, if the socket takes it now; never waits. */
	gnutls_bye(t->session, GNUTLS_SHUT_WR);
	tls_conn_free(t);
}

static const struct http2_io tls_h2_io = {
	.recv = tls_h2_recv,
	.send = tls_h2_send,
	.close = tls_h2_close,
	.buffered = 1,		/* GnuTLS keeps whole records */
};

/* ---- the handshake ------------------------------------------------------ */

static void
tls_handshake_failed(struct tls_conn *t, const char *why)
{
	log_debug("tls: %s: handshake failed: %s", t->remote, why);
	if (t->tls->failures != NULL)
		metric_add(t->tls->failures, 1);
	tls_conn_close(t);
}

static int64_t
tls_handshake_timeout(struct loop *loop, void *arg)
{
	struct tls_conn *t = arg;

	t->timer = NULL;	/* freed by the loop when we return STOP */
	tls_handshake_failed(t, "timed out");
	return LOOP_TIMER_STOP;
}

/* ALPN chose "h2": the HTTP/2 transport takes over the socket. */
static void
tls_start_h2(struct tls_conn *t)
{
	struct tls *tls = t->tls;

	tls_conn_set_state(t, TLS_H2);
	if (tls->total_h2 != NULL)
		metric_series_add(tls->total_h2, 1);
	/* Last: the transport owns t now and may already have freed it. */
	tls->handlers.http2(tls->handlers.arg, t->fd, &tls_h2_io, t,
	    (struct sockaddr *)&t->addr, t->addrlen);
}

static void tls_handshake_ready(struct loop *loop, int fd, uint32_t events,
    void *arg);

static void
tls_handshake_step(struct tls_conn *t)
{
	gnutls_datum_t alpn;
	const char *version;
	int rv, i;

	for (i = 0; i < TLS_MAX_WARNINGS; i++) {
		rv = gnutls_handshake(t->session);
		if (rv == 0 || gnutls_error_is_fatal(rv) ||
		    rv == GNUTLS_E_AGAIN || rv == GNUTLS_E_INTERRUPTED)
			break;
	}
	if (rv == GNUTLS_E_AGAIN || rv == GNUTLS_E_INTERRUPTED) {
		uint32_t ev = gnutls_record_get_direction(t->session) ?
		    EPOLLOUT : EPOLLIN;

		if (tls_set_watch(t, &t->watch, &t->watch_events, t->fd, ev,
		    tls_handshake_ready) != 0)
			tls_conn_close(t);
		return;
	}
	if (rv != 0) {
		tls_handshake_failed(t, gnutls_strerror(rv));
		return;
	}
	loop_timer_cancel(t->timer);
	t->timer = NULL;
	/* The next owner watches the socket its own way. */
	tls_set_watch(t, &t->watch, &t->watch_events, t->fd, 0, NULL);
	version = gnutls_protocol_get_name(
	    gnutls_protocol_get_version(t->session));
	if (gnutls_alpn_get_selected_protocol(t->session, &alpn) == 0 &&
	    alpn.size == 2 && memcmp(alpn.data, "h2", 2) == 0) {
		log_debug("tls: %s: %s, h2", t->remote, version);
		tls_start_h2(t);
		return;
	}
	log_debug("tls: %s: %s, http/1.1", t->remote, version);
	tls_bridge_start(t);
}

static void
tls_handshake_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct tls_conn *t = arg;

	if (t->state == TLS_HANDSHAKE)
		tls_handshake_step(t);
}

/* A server session with our credentials and ALPN.  Returns 0 or GnuTLS's. */
static int
tls_session_new(struct tls *tls, struct tls_conn *t)
{
	gnutls_datum_t alpn[] = {
		{ alpn_h2, sizeof(alpn_h2) - 1 },
		{ alpn_http1, sizeof(alpn_http1) - 1 },
	};
	int rv;

	rv = gnutls_init(&t->session,
	    GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (rv < 0) {
		t->session = NULL;
		return rv;
	}
	if ((rv = gnutls_priority_set(t->session, tls->priority)) < 0 ||
	    (rv = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
	    tls->cred)) < 0 ||
	    (rv = gnutls_alpn_set_protocols(t->session, alpn, 2,
	    GNUTLS_ALPN_SERVER_PRECEDENCE)) < 0)
		return rv;
	gnutls_transport_set_int(t->session, t->fd);
	gnutls_handshake_set_timeout(t->session,
	    (unsigned)tls->opts.handshake_timeout_s * 1000u);
	return 0;
}

void
tls_add_connection(struct tls *tls, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct tls_conn *t = xcalloc(1, sizeof(*t));
	int rv;

	t->tls = tls;
	t->fd = fd;
	t->peer_fd = -1;
	t->state = TLS_CLOSED;
	if (addrlen > sizeof(t->addr))
		addrlen = sizeof(t->addr);
	memcpy(&t->addr, addr, addrlen);
	t->addrlen = addrlen;
	listen_format_address(addr, t->remote, sizeof(t->remote));
	t->next = tls->conns;
	if (tls->conns != NULL)
		tls->conns->prev = t;
	tls->conns = t;
	tls_conn_set_state(t, TLS_HANDSHAKE);
	if ((rv = tls_session_new(tls, t)) < 0) {
		log_warn("tls: cannot start a session: %s",
		    gnutls_strerror(rv));
		tls_conn_close(t);
		return;
	}
	t->timer = loop_timer_add(tls->loop,
	    (int64_t)tls->opts.handshake_timeout_s * 1000,
	    tls_handshake_timeout, t);
	/* The ClientHello is waiting: the listener saw its first byte. */
	tls_handshake_step(t);
}

/* ---- the module ------------------------------------------------------- */

/* Reads a whole (small) file.  Returns 0 or BS_ERR_INVALID with err. */
static int
tls_read_file(const char *option, const char *path, gnutls_datum_t *out,
    char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "--%s: cannot read %s: %s", option, path,
		    strerror(errno));
		return BS_ERR_INVALID;
	}
	out->data = xmalloc(TLS_MAX_FILE + 1);
	n = fread(out->data, 1, TLS_MAX_FILE + 1, f);
	if (ferror(f) || n == 0 || n > TLS_MAX_FILE) {
		snprintf(err, errlen, "--%s: cannot read %s: %s", option, path,
		    ferror(f) ? strerror(errno) : n == 0 ? "the file is empty" :
		    "the file is over 1 MiB");
		fclose(f);
		free(out->data);
		out->data = NULL;
		return BS_ERR_INVALID;
	}
	fclose(f);
	out->size = (unsigned)n;
	return 0;
}

/*
 * The system's default priority would offer TLS 1.0 and 1.1 and static
 * RSA key exchange (no forward secrecy): the string is always ours.
 * Returns 0, or a GnuTLS error with err naming where the string is wrong.
 */
static int
tls_priority_init(struct tls *tls, const char *priority, char *err,
    size_t errlen)
{
	const char *where = NULL;
	int grv;

	grv = gnutls_priority_init2(&tls->priority, priority, &where, 0);
	if (grv < 0) {
		tls->priority = NULL;
		if (grv == GNUTLS_E_INVALID_REQUEST && where != NULL)
			snprintf(err, errlen, "--tls-priority: GnuTLS does not "
			    "understand '%.80s' in '%.200s'", where, priority);
		else
			snprintf(err, errlen, "--tls-priority '%.200s': %s",
			    priority, gnutls_strerror(grv));
	}
	return grv;
}

static void
tls_add_metrics(struct tls *tls, struct metrics *m)
{
	static const char *const names[TLS_CLOSED] = {
		[TLS_HANDSHAKE] = "handshake",
		[TLS_H2] = "h2-tls",
		[TLS_BRIDGE] = "http1-tls",
	};
	struct metric *open, *total;

	open = metrics_add(m, METRIC_GAUGE, "broadside_tls_connections_open",
	    "TLS connections open: in their handshake, or carrying HTTP/2 "
	    "(h2-tls) or HTTP/1.1 (http1-tls).", "protocol", NULL, 0);
	total = metrics_add(m, METRIC_COUNTER,
	    "broadside_tls_connections_total",
	    "TLS handshakes completed, by the protocol ALPN chose.",
	    "protocol", NULL, 0);
	tls->failures = metrics_add(m, METRIC_COUNTER,
	    "broadside_tls_handshake_failures_total",
	    "TLS handshakes that failed or timed out.", NULL, NULL, 0);
	for (int i = 0; i < TLS_CLOSED; i++) {
		const char *label[] = { names[i] };

		tls->open[i] = metric_series(open, label);
		metric_series_set(tls->open[i], 0);
	}
	tls->total_h2 = metric_series(total, (const char *[]){ "h2-tls" });
	tls->total_http1 = metric_series(total,
	    (const char *[]){ "http1-tls" });
	metric_series_add(tls->total_h2, 0);
	metric_series_add(tls->total_http1, 0);
}

int
tls_new(struct tls **out, struct loop *loop, const struct tls_options *opts,
    const struct tls_handlers *handlers, char *err, size_t errlen)
{
	struct tls *tls = xcalloc(1, sizeof(*tls));
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
	int rv = BS_ERR_INVALID, grv;

	tls->loop = loop;
	tls->opts = *opts;
	tls->handlers = *handlers;
	if (tls_read_file("tls-cert", opts->cert_file, &cert, err,
	    errlen) != 0 ||
	    tls_read_file("tls-key", opts->key_file, &key, err, errlen) != 0)
		goto out;
	if ((grv = gnutls_certificate_allocate_credentials(&tls->cred)) < 0 ||
	    (grv = gnutls_certificate_set_x509_key_mem2(tls->cred, &cert,
	    &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "--tls-cert %s, --tls-key %s: cannot use "
		    "them as a PEM certificate and its key: %s",
		    opts->cert_file, opts->key_file, gnutls_strerror(grv));
		goto out;
	}
	if ((grv = tls_priority_init(tls, opts->priority != NULL ?
	    opts->priority : TLS_PRIORITY, err, errlen)) < 0)
		goto out;
	if (opts->metrics != NULL)
		tls_add_metrics(tls, opts->metrics);
	rv = 0;
out:
	free(cert.data);
	if (key.data != NULL)
		explicit_bzero(key.data, key.size);
	free(key.data);
	if (rv == 0)
		*out = tls;
	else
		tls_free(tls);
	return rv;
}

size_t
tls_handshaking(const struct tls *tls)
{
	return tls != NULL ? tls->count[TLS_HANDSHAKE] : 0;
}

void
tls_free(struct tls *tls)
{
	if (tls == NULL)
		return;
	/* The loop has stopped: queued frees will never run. */
	while (tls->conns != NULL)
		tls_conn_free(tls->conns);
	if (tls->cred != NULL)
		gnutls_certificate_free_credentials(tls->cred);
	if (tls->priority != NULL)
		gnutls_priority_deinit(tls->priority);
	free(tls);
}
