/*
 * Strict request head checks (http1_head.h).  Section numbers are those
 * of RFC 9112 (HTTP/1.1) unless RFC 9110 is named.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http1_head.h"

/* tchar (RFC 9110 section 5.6.2): the characters of a field name. */
static int
head_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, SP or HTAB (RFC 9110 section 5.5); obs-text is allowed. */
static int
head_is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* What a Host value may hold: uri-host [ ":" port ] (RFC 3986). */
static int
head_is_host_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~%!$&'()*+,;=:[]", c) != NULL;
}

static int
head_name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static void
head_refuse(struct http1_fields *f, int status, const char *reason)
{
	if (f->status == 0) {
		f->status = status;
		f->reason = reason;
	}
}

void
http1_fields_init(struct http1_fields *f, int http11)
{
	memset(f, 0, sizeof(*f));
	f->http11 = http11;
}

/* Reads a Transfer-Encoding list; only "chunked" is a coding we know. */
static void
head_transfer_codings(struct http1_fields *f, const char *v, size_t len)
{
	size_t i = 0, start, end;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end == start)
			continue;
		if (end - start == 7 && strncasecmp(v + start, "chunked", 7) == 0)
			f->chunked++;
		else
			head_refuse(f, 501, "The request uses a transfer coding "
			    "this server does not implement; only chunked is "
			    "supported (RFC 9112 section 6.1).");
	}
}

void
http1_fields_add(struct http1_fields *f, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
	size_t i;

	if (f->status != 0)
		return;
	if (name_len == 0) {
		head_refuse(f, 400, "A header field has no name (RFC 9112 "
		    "section 5).");
		return;
	}
	for (i = 0; i < name_len; i++)
		if (!head_is_tchar((unsigned char)name[i])) {
			head_refuse(f, 400, "A header field name holds "
			    "whitespace or a character not allowed in it; no "
			    "whitespace may come before the colon (RFC 9112 "
			    "section 5.1).");
			return;
		}
	for (i = 0; i < value_len; i++)
		if (!head_is_value_char((unsigned char)value[i])) {
			head_refuse(f, 400, "A header field value holds a "
			    "control character (NUL, CR, LF or another); "
			    "remove it (RFC 9110 section 5.5).");
			return;
		}
	if (head_name_is(name, name_len, "host")) {
		f->hosts++;
		for (i = 0; i < value_len; i++)
			if (!head_is_host_char((unsigned char)value[i])) {
				head_refuse(f, 400, "The Host header is not a "
				    "host name with an optional port (RFC 9112 "
				    "section 3.2).");
				return;
			}
	} else if (head_name_is(name, name_len, "content-length")) {
		for (i = 0; i < value_len; i++)
			if (value[i] < '0' || value[i] > '9')
				break;
		if (value_len == 0 || i < value_len) {
			head_refuse(f, 400, "Content-Length must be one "
			    "decimal number (RFC 9112 section 6.3).");
			return;
		}
		if (f->content_lengths++ == 0) {
			f->content_length = value;
			f->content_length_len = value_len;
		} else if (value_len != f->content_length_len ||
		    memcmp(value, f->content_length, value_len) != 0) {
			head_refuse(f, 400, "The request has Content-Length "
			    "headers that disagree (RFC 9112 section 6.3).");
		}
	} else if (head_name_is(name, name_len, "transfer-encoding")) {
		f->transfer_encodings++;
		head_transfer_codings(f, value, value_len);
	}
}

int
http1_fields_verdict(struct http1_fields *f, const char **reason)
{
	if (f->status == 0 && f->transfer_encodings > 0) {
		if (!f->http11)
			head_refuse(f, 400, "An HTTP/1.0 request cannot use "
			    "Transfer-Encoding (RFC 9112 section 6.1).");
		else if (f->content_lengths > 0)
			head_refuse(f, 400, "The request has both "
			    "Transfer-Encoding and Content-Length; send one "
			    "(RFC 9112 section 6.1).");
		else if (f->chunked != 1)
			head_refuse(f, 400, "Transfer-Encoding must end with "
			    "chunked, applied once (RFC 9112 section 6.3).");
	}
	if (f->status == 0 && (f->hosts > 1 || (f->http11 && f->hosts == 0)))
		head_refuse(f, 400, "An HTTP/1.1 request needs exactly one "
		    "Host header (RFC 9112 section 3.2).");
	if (f->status != 0)
		*reason = f->reason;
	return f->status;
}

/* ---- the raw head ----------------------------------------------------- */

static const char head_bare_lf[] = "Lines must end with CR LF; a bare LF "
    "or CR is refused (RFC 9112 section 2.2).";

/*
 * The request line, data[0..len) without its CR LF: method SP target SP
 * HTTP-version (section 3).  Returns 0, 400 or 505; *http11 is set.
 */
static int
head_request_line(const char *data, size_t len, int *http11,
    const char **reason)
{
	size_t i = 0, v;

	while (i < len && head_is_tchar((unsigned char)data[i]))
		i++;
	if (i == 0 || i >= len || data[i] != ' ')
		goto bad;
	v = ++i;
	while (i < len && (unsigned char)data[i] > 0x20 && data[i] != 0x7f)
		i++;
	if (i == v || i >= len || data[i] != ' ')
		goto bad;
	v = i + 1;
	if (len - v != 8 || strncmp(data + v, "HTTP/", 5) != 0 ||
	    data[v + 5] < '0' || data[v + 5] > '9' || data[v + 6] != '.' ||
	    data[v + 7] < '0' || data[v + 7] > '9')
		goto bad;
	if (data[v + 5] != '1') {
		*reason = "This server speaks HTTP/1.x on this connection "
		    "(RFC 9112 section 2.3).";
		return 505;
	}
	*http11 = data[v + 7] != '0';
	return 0;
bad:
	*reason = "The request line must be: method, one space, target, one "
	    "space, HTTP version (RFC 9112 section 3).";
	return 400;
}

/*
 * One field line, data[0..len) without its CR LF (section 5): name,
 * colon, optional whitespace, value, optional whitespace.
 */
static void
head_field_line(struct http1_fields *f, const char *data, size_t len)
{
	size_t n = 0, v, end = len;

	while (n < len && data[n] != ':' && head_is_tchar((unsigned char)data[n]))
		n++;
	if (n >= len || data[n] != ':') {
		/* Not a token up to the colon: the fields' check says why. */
		http1_fields_add(f, data, n < len ? n + 1 : n, "", 0);
		if (f->status == 0)
			head_refuse(f, 400, "A header line has no colon (RFC "
			    "9112 section 5).");
		return;
	}
	v = n + 1;
	while (v < end && (data[v] == ' ' || data[v] == '\t'))
		v++;
	while (end > v && (data[end - 1] == ' ' || data[end - 1] == '\t'))
		end--;
	http1_fields_add(f, data, n, data + v, end - v);
}

int
http1_head_check(const char *data, size_t len, size_t max, size_t *head_len,
    const char **reason)
{
	struct http1_fields f;
	const char *eol;
	size_t pos = 0;
	int http11 = 1, rv;

	if (len > max)
		len = max;
	/* Empty lines before the request line are allowed (section 2.2). */
	while (pos + 1 < len && data[pos] == '\r' && data[pos + 1] == '\n')
		pos += 2;
	eol = memchr(data + pos, '\n', len - pos);
	if (eol == NULL)
		goto incomplete;
	if (eol == data + pos || eol[-1] != '\r') {
		*reason = head_bare_lf;
		return 400;
	}
	rv = head_request_line(data + pos, (size_t)(eol - 1 - (data + pos)),
	    &http11, reason);
	if (rv != 0)
		return rv;
	http1_fields_init(&f, http11);
	pos = (size_t)(eol + 1 - data);
	for (;;) {
		if (pos >= len)
			goto incomplete;
		if (data[pos] == '\r') {
			if (pos + 1 >= len)
				goto incomplete;
			if (data[pos + 1] != '\n') {
				*reason = head_bare_lf;
				return 400;
			}
			*head_len = pos + 2;
			return http1_fields_verdict(&f, reason);
		}
		if (data[pos] == ' ' || data[pos] == '\t') {
			*reason = "A header line starts with whitespace: "
			    "line folding (obs-fold) is refused (RFC 9112 "
			    "sections 5.2 and 2.2).";
			return 400;
		}
		eol = memchr(data + pos, '\n', len - pos);
		if (eol == NULL)
			goto incomplete;
		if (eol == data + pos || eol[-1] != '\r') {
			*reason = head_bare_lf;
			return 400;
		}
		head_field_line(&f, data + pos,
		    (size_t)(eol - 1 - (data + pos)));
		if (f.status != 0) {
			*reason = f.reason;
			return f.status;
		}
		pos = (size_t)(eol + 1 - data);
	}
incomplete:
	if (len >= max) {
		*reason = "The request head is too large for this server.";
		return 431;
	}
	return -1;
}
