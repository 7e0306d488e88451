/*
 * Transport-neutral requests and responses (request.h).
 */
#include "config.h"

#include "request.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "name.h"
#include "buf.h"
#include "route.h"
#include "stream.h"

struct request *
request_new(const struct request_transport *transport, void *transport_data)
{
	struct request *req = xcalloc(1, sizeof(*req));

	req->transport = transport;
	req->transport_data = transport_data;
	req->protocol = "http1";
	req->path = xstrdup("/");
	req->query = xstrdup("");
	req->method_name = xstrdup("GET");
	req->method = HTTP_GET;
	return req;
}

static void
headers_free(struct header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void
request_free(struct request *req)
{
	if (req == NULL)
		return;
	free(req->method_name);
	free(req->path);
	free(req->query);
	headers_free(req->headers, req->nheaders);
	free(req->body);
	for (int i = 0; i < REQUEST_MAX_PARAMS; i++)
		free(req->params[i]);
	free(req);
}

static void
headers_add(struct header **h, size_t *n, const char *name,
    const char *value, int lower)
{
	struct header *e;

	*h = xreallocarray(*h, *n + 1, sizeof(**h));
	e = &(*h)[(*n)++];
	e->name = xstrdup(name);
	e->value = xstrdup(value);
	if (lower)
		for (char *p = e->name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
}

static const char *
headers_find(const struct header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

void
request_add_header(struct request *req, const char *name, const char *value)
{
	headers_add(&req->headers, &req->nheaders, name, value, 1);
}

const char *
request_header(const struct request *req, const char *name)
{
	return headers_find(req->headers, req->nheaders, name);
}

char *
request_query_param(const struct request *req, const char *name)
{
	size_t namelen = strlen(name);
	const char *p = req->query;

	while (*p != '\0') {
		const char *end = strchr(p, '&');
		const char *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == namelen &&
		    memcmp(p, name, namelen) == 0)
			return url_decode(eq + 1, len - namelen - 1, 1);
		if (eq == NULL && len == namelen && memcmp(p, name, len) == 0)
			return xstrdup("");
		p += len;
		if (*p == '&')
			p++;
	}
	return NULL;
}

int
request_accepts_gzip(const struct request *req)
{
	const char *ae = request_header(req, "accept-encoding");
	const char *p;

	if (ae == NULL)
		return 0;
	/* "gzip" as a token, not refused with q=0. */
	for (p = ae; (p = strcasestr(p, "gzip")) != NULL; p += 4) {
		const char *q;

		if (p != ae && p[-1] != ' ' && p[-1] != ',' && p[-1] != '\t')
			continue;
		q = p + 4;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0' || *q == ',')
			return 1;
		if (*q == ';') {
			const char *qv = strstr(q, "q=");

			if (qv == NULL)
				return 1;
			return strtod(qv + 2, NULL) > 0.0;
		}
	}
	return 0;
}

void
request_respond(struct request *req, struct response *resp)
{
	req->responded = 1;
	if (req->respond_cb != NULL) {
		request_respond_cb cb = req->respond_cb;

		req->respond_cb = NULL;
		cb(req, resp, req->respond_arg);
	}
	if (req->router != NULL)
		router_observe(req->router, req, resp->status);
	req->transport->respond(req, resp);
}

void
request_on_abort(struct request *req, request_abort_cb cb, void *arg)
{
	req->abort_cb = cb;
	req->abort_arg = arg;
}

void
request_on_respond(struct request *req, request_respond_cb cb, void *arg)
{
	req->respond_cb = cb;
	req->respond_arg = arg;
}

int
request_abort(struct request *req)
{
	if (req->responded)
		return 0;
	if (req->abort_cb != NULL)
		req->abort_cb(req, req->abort_arg);
	return 1;
}

/* ---- responses ------------------------------------------------------- */

struct response *
response_new(int status)
{
	struct response *resp = xcalloc(1, sizeof(*resp));

	resp->status = status;
	return resp;
}

void
response_free(struct response *resp)
{
	if (resp == NULL)
		return;
	headers_free(resp->headers, resp->nheaders);
	free(resp->body);
	subscriber_free(resp->stream);
	free(resp);
}

void
response_add_header(struct response *resp, const char *name,
    const char *value)
{
	headers_add(&resp->headers, &resp->nheaders, name, value, 0);
}

const char *
response_header(const struct response *resp, const char *name)
{
	return headers_find(resp->headers, resp->nheaders, name);
}

void
response_set_body(struct response *resp, const char *content_type,
    char *body, size_t len)
{
	free(resp->body);
	resp->body = body;
	resp->body_len = len;
	if (content_type != NULL)
		response_add_header(resp, "Content-Type", content_type);
}

char *
response_json_render(const json_t *json, size_t *len)
{
	char *text = json_dumps(json, JSON_COMPACT | JSON_ENSURE_ASCII);
	char *body;

	if (text == NULL)
		text = xstrdup("{}");
	*len = strlen(text);
	body = xmalloc(*len + 2);
	memcpy(body, text, *len);
	body[(*len)++] = '\n';
	body[*len] = '\0';
	free(text);
	return body;
}

static struct response *
response_json_typed(int status, const char *content_type, json_t *json)
{
	struct response *resp = response_new(status);
	size_t len;
	char *body = response_json_render(json, &len);

	json_decref(json);
	response_set_body(resp, content_type, body, len);
	return resp;
}

struct response *
response_json_text(int status, const char *text, size_t len)
{
	struct response *resp = response_new(status);
	char *body = xmalloc(len + 1);

	memcpy(body, text, len);
	body[len] = '\0';
	response_set_body(resp, "application/json", body, len);
	return resp;
}

struct response *
response_json(int status, json_t *json)
{
	return response_json_typed(status, "application/json", json);
}

/*
 * Replaces each byte that does not start a well-formed UTF-8 sequence
 * with '?', in place: a detail quoting what a client sent (a path
 * segment, a form name, a cut at the buffer's end) must not make jansson
 * refuse the whole problem document.
 */
static void
utf8_scrub(char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		size_t n = utf8_sequence(s, len);

		if (n == 0) {
			*s = '?';
			n = 1;
		}
		s += n;
		len -= n;
	}
}

struct response *
response_problem(int status, const char *slug, const char *title,
    const char *detail_fmt, ...)
{
	char detail[512];
	char type[128];
	va_list ap;
	json_t *obj;

	va_start(ap, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);
	utf8_scrub(detail);
	snprintf(type, sizeof(type), "urn:broadside:problem:%s", slug);
	obj = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title,
	    "status", status, "detail", detail);
	return response_json_typed(status, "application/problem+json", obj);
}

static const struct {
	const char *name;
	enum http_method method;
} method_names[] = {
	{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
	{ "PUT", HTTP_PUT }, { "PATCH", HTTP_PATCH },
	{ "DELETE", HTTP_DELETE }, { "OPTIONS", HTTP_OPTIONS },
};

enum http_method
http_method_parse(const char *name)
{
	int i = name_index(name, &method_names[0].name, sizeof(method_names) /
	    sizeof(method_names[0]), sizeof(method_names[0]));

	return i < 0 ? HTTP_OTHER : method_names[i].method;
}

void
http_methods_format(unsigned methods, char *out, size_t outlen)
{
	size_t used = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]);
	    i++) {
		int n;

		if (!(methods & method_names[i].method))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s",
		    used ? ", " : "", method_names[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
url_decode(const char *s, size_t len, int plus_is_space)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

size_t
utf8_sequence(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1fu;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0fu;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07u;
	else
		return 0;	/* a continuation byte, 0xc0/0xc1, 0xf5... */
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
utf8_valid(const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		size_t n = utf8_sequence(s, len);

		if (n == 0)
			return 0;
		s += n;
		len -= n;
	}
	return 1;
}
