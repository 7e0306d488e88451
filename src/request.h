/*
 * Transport-neutral HTTP requests and responses.
 *
 * A transport (http1.c for libmicrohttpd, http2.c for nghttp2) builds a
 * struct request once the whole request, body included, has arrived, and
 * hands it to the router.  The handler answers with request_respond(),
 * either at once or later (after a commit to the store, say): the
 * transport keeps the request alive until then.  Handlers never know which
 * protocol carried the request.
 *
 * All functions run on the loop thread.
 */
#ifndef BROADSIDE_REQUEST_H
#define BROADSIDE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
	HTTP_OTHER = 1 << 7,
};

#define REQUEST_MAX_PARAMS 4

struct header {
	char *name;	/* lower case */
	char *value;
};

struct request;
struct response;
struct router;

/* What a transport provides to answer a request. */
struct request_transport {
	/* Sends resp (whose ownership passes to the transport). */
	void (*respond)(struct request *req, struct response *resp);
};

typedef void (*request_abort_cb)(struct request *req, void *arg);
struct response;
typedef void (*request_respond_cb)(struct request *req, struct response *resp,
    void *arg);

struct request {
	enum http_method method;
	char *method_name;
	char *path;		/* raw path, without the query */
	char *query;		/* raw query after '?', or "" */
	struct header *headers;
	size_t nheaders;
	char *body;		/* NUL-terminated; body_len excludes the NUL */
	size_t body_len;
	char remote[64];	/* "addr:port" of the peer */
	const char *protocol;	/* "http1" or "http2" */
	uint64_t start_us;	/* loop time when the request arrived */

	/* Set by the router before the handler runs. */
	struct router *router;
	const char *route_name;
	char *params[REQUEST_MAX_PARAMS];	/* percent-decoded {params} */

	/* The transport and its per-request data. */
	const struct request_transport *transport;
	void *transport_data;
	int responded;

	/* Set by a handler that answers later and needs to hear of aborts. */
	request_abort_cb abort_cb;
	void *abort_arg;

	/* Set by a handler that must see its answer before it goes. */
	request_respond_cb respond_cb;
	void *respond_arg;
};

/*
 * Creates an empty request for a transport; the transport fills in the
 * fields with xstrdup'd strings and frees it with request_free().
 */
struct request *request_new(const struct request_transport *transport,
    void *transport_data);

/* Frees the request and every string it holds.  NULL is a no-op. */
void request_free(struct request *req);

/* Appends a header (name lower-cased, both copied). */
void request_add_header(struct request *req, const char *name,
    const char *value);

/* The first value of a header (name in any case), or NULL. */
const char *request_header(const struct request *req, const char *name);

/*
 * The percent-decoded value of query parameter name, in a new string the
 * caller frees, or NULL when absent.
 */
char *request_query_param(const struct request *req, const char *name);

/* Whether the Accept-Encoding header allows gzip. */
int request_accepts_gzip(const struct request *req);

/*
 * Answers the request; resp passes to the transport.  Must be called once
 * per request; after it the handler must not touch req again.  Records the
 * request in the metrics of its router.
 */
void request_respond(struct request *req, struct response *resp);

/*
 * Registers cb to be called if the client goes away before the handler
 * responded; after cb the request is freed and must not be responded to.
 */
void request_on_abort(struct request *req, request_abort_cb cb, void *arg);

/*
 * Registers cb to see the response (and add headers to it) in
 * request_respond(), just before it goes to the transport; cb NULL
 * removes it.  A request answered through its abort path (never
 * answered) does not call it.
 */
void request_on_respond(struct request *req, request_respond_cb cb,
    void *arg);

/*
 * Called by a transport whose client went away: runs the abort callback,
 * if any.  Returns whether the request was still waiting for its answer.
 */
int request_abort(struct request *req);

/* ------------------------------------------------------------------ */

struct subscriber;

struct response {
	int status;
	struct header *headers;
	size_t nheaders;
	char *body;		/* owned; may be NULL for no body */
	size_t body_len;
	/*
	 * An event stream instead of a body (owned): the transport sends the
	 * headers, then the subscriber's bytes for as long as it lives.
	 */
	struct subscriber *stream;
};

/* A response with no body yet. */
struct response *response_new(int status);

/* Frees a response (and its stream, if still there).  NULL is a no-op. */
void response_free(struct response *resp);

/* Adds a header (both copied). */
void response_add_header(struct response *resp, const char *name,
    const char *value);

/* The first value of a response header, or NULL. */
const char *response_header(const struct response *resp, const char *name);

/*
 * Sets the body (taking ownership of body, which must come from malloc)
 * and its Content-Type.
 */
void response_set_body(struct response *resp, const char *content_type,
    char *body, size_t len);

/*
 * A JSON response; steals the reference to json.  The body is compact JSON
 * followed by a newline (friendlier to curl users).
 */
struct response *response_json(int status, json_t *json);

/*
 * The body response_json() sends for json (malloc'd, NUL-terminated),
 * its length in *len.
 */
char *response_json_render(const json_t *json, size_t *len);

/* A JSON response whose body is len bytes of text (copied), rendered so. */
struct response *response_json_text(int status, const char *text,
    size_t len);

/*
 * An RFC 9457 problem+json response: {"type":"urn:broadside:problem:SLUG",
 * "title":TITLE,"status":STATUS,"detail":DETAIL}.  detail says what to fix.
 */
struct response *response_problem(int status, const char *slug,
    const char *title, const char *detail_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses a method name; unknown names give HTTP_OTHER. */
enum http_method http_method_parse(const char *name);

/* Appends "GET, HEAD, ..." for a method mask to out (size outlen). */
void http_methods_format(unsigned methods, char *out, size_t outlen);

/*
 * Percent-decodes len bytes of s into a new NUL-terminated string ('+' is
 * a space only when plus_is_space).  Returns NULL for a malformed escape
 * or an encoded NUL.
 */
char *url_decode(const char *s, size_t len, int plus_is_space);

/*
 * The length of the well-formed UTF-8 sequence at s (1 to 4 bytes, at
 * most len), or 0 when the bytes there are not one (a stray or missing
 * continuation byte, an overlong form, a surrogate, past U+10FFFF):
 * what jansson refuses in a JSON string.  len must be at least 1.
 */
size_t utf8_sequence(const char *s, size_t len);

/* Whether the NUL-terminated s is well-formed UTF-8: 1 or 0. */
int utf8_valid(const char *s);

#endif
