/*
 * Strict checks of an HTTP/1.1 request head (RFC 9112), so that a
 * request an intermediary in front of us might frame differently is
 * refused instead of served: the checks that close request smuggling.
 * Pure: no I/O, no clock.
 *
 * Two ways in, one set of rules for the fields:
 *
 * - http1_head_check() reads the raw bytes of a head, as a new
 *   connection's first request waits in its socket, before libmicrohttpd
 *   reads them (http1_admit.c).  Only there are line ends, folded lines
 *   and NUL bytes visible: libmicrohttpd accepts and rewrites them.
 * - struct http1_fields collects the fields one by one; http1.c feeds it
 *   what libmicrohttpd parsed, for every request of a connection.
 *
 * Refusals carry a sentence for the client, naming the RFC rule.
 */
#ifndef BROADSIDE_HTTP1_HEAD_H
#define BROADSIDE_HTTP1_HEAD_H

#include <stddef.h>

/* What the framing fields of one request said so far. */
struct http1_fields {
	int http11;		/* HTTP/1.1 (else 1.0) */
	int status;		/* 0, or the refusal: 400 or 501 */
	const char *reason;	/* why, when status != 0 */
	int hosts;
	int content_lengths;
	const char *content_length;	/* the first one's value */
	size_t content_length_len;
	int transfer_encodings;	/* Transfer-Encoding fields */
	int chunked;		/* times "chunked" was listed */
};

/* Starts collecting the fields of a request; http11: its version. */
void http1_fields_init(struct http1_fields *f, int http11);

/*
 * Adds one field line (name and value without the colon or the
 * surrounding whitespace; neither need be NUL-terminated, and neither is
 * kept past the next call except the first Content-Length's value, which
 * must live until http1_fields_verdict()).  The first refusal sticks.
 */
void http1_fields_add(struct http1_fields *f, const char *name,
    size_t name_len, const char *value, size_t value_len);

/*
 * After the last field: 0 when the request may be served, else the
 * status to refuse it with (400, or 501 for a transfer coding we do not
 * know) and *reason says why.  The connection must be closed after a
 * refusal (RFC 9112 section 6.1).
 */
int http1_fields_verdict(struct http1_fields *f, const char **reason);

/*
 * Checks the request head at the start of data[0..len).  Returns 0 when
 * the head is complete and acceptable (*head_len: its length, the empty
 * line included); -1 when it is not all here yet and nothing wrong has
 * been seen so far; otherwise the status to refuse it with (400, 431 when
 * no head ends within max bytes, 501 for an unknown transfer coding, 505
 * for an HTTP version other than 1.x) with *reason set.  A line that is
 * wrong is refused as soon as it is here, before the head is complete.
 */
int http1_head_check(const char *data, size_t len, size_t max,
    size_t *head_len, const char **reason);

#endif
