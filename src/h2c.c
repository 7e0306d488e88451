/*
 * Recognising "Upgrade: h2c" requests (h2c.h).
 */
#include "config.h"

#include "h2c.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* Whether a comma-separated list holds token (case-insensitive). */
static int
list_has_token(const char *list, const char *token)
{
	size_t tlen = strlen(token);
	const char *p = list;

	while (*p != '\0') {
		const char *end;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == tlen && strncasecmp(p, token, tlen) == 0)
			return 1;
		p = end;
	}
	return 0;
}

/* Hop-by-hop headers: they end with the HTTP/1.1 connection. */
static int
is_hop_by_hop(const char *name)
{
	static const char *const names[] = {
		"connection", "upgrade", "http2-settings", "keep-alive",
		"proxy-connection", "te", "transfer-encoding",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

uint8_t *
h2c_base64url_decode(const char *s, size_t len, size_t *outlen)
{
	uint8_t *out;
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return NULL;
	out = xmalloc(len * 3 / 4 + 1);
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return out;
}

/* What the header lines said about the upgrade. */
struct h2c_scan {
	int upgrade_h2c;
	int connection_upgrade;
	int nsettings;
	int has_body;
	const char *settings;	/* into a copy of the head */
};

static void
h2c_note_header(struct h2c_scan *scan, const char *name, const char *value)
{
	if (strcmp(name, "upgrade") == 0 && list_has_token(value, "h2c"))
		scan->upgrade_h2c = 1;
	else if (strcmp(name, "connection") == 0 &&
	    list_has_token(value, "upgrade"))
		scan->connection_upgrade = 1;
	else if (strcmp(name, "http2-settings") == 0) {
		scan->nsettings++;
		scan->settings = value;
	} else if (strcmp(name, "transfer-encoding") == 0)
		scan->has_body = 1;
	else if (strcmp(name, "content-length") == 0 &&
	    strspn(value, "0") != strlen(value))
		scan->has_body = 1;
}

/*
 * Splits one header line (NUL-terminated, no CRLF) in place: lower-cases
 * the name and trims the value.  Returns 0, or -1 when malformed (obs-fold,
 * no colon, a bad name or a control character in the value).
 */
static int
h2c_split_header(char *line, char **name, char **value)
{
	char *colon = strchr(line, ':');
	char *v, *end;

	if (colon == NULL || colon == line)
		return -1;
	for (char *p = line; p < colon; p++) {
		if (!is_tchar((unsigned char)*p))
			return -1;
		*p = (char)tolower((unsigned char)*p);
	}
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	for (char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return -1;
	*name = line;
	*value = v;
	return 0;
}

/* Parses "METHOD SP TARGET SP HTTP/1.1" in place. */
static int
h2c_request_line(char *line, char **method, char **target)
{
	char *sp1 = strchr(line, ' ');
	char *sp2;

	if (sp1 == NULL || sp1 == line)
		return -1;
	*sp1 = '\0';
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL || strcmp(sp2 + 1, "HTTP/1.1") != 0)
		return -1;
	*sp2 = '\0';
	for (char *p = line; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return -1;
	if (sp1[1] != '/')
		return -1;
	for (char *p = sp1 + 1; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			return -1;
	*method = line;
	*target = sp1 + 1;
	return 0;
}

int
h2c_parse(const char *data, size_t len, struct h2c_upgrade *out)
{
	struct h2c_upgrade u = { 0 };
	struct h2c_scan scan = { 0 };
	const char *end;
	char *head, *line, *next, *method, *target;
	int ok = 0;

	if (len > H2C_MAX_HEAD)
		len = H2C_MAX_HEAD;
	end = memmem(data, len, "\r\n\r\n", 4);
	if (end == NULL)
		return 0;
	u.head_len = (size_t)(end - data) + 4;
	head = xstrndup(data, u.head_len - 2);	/* keeps the last CRLF */
	if (strlen(head) != u.head_len - 2)	/* a NUL inside */
		goto out;
	next = strstr(head, "\r\n");
	*next = '\0';
	if (h2c_request_line(head, &method, &target) != 0)
		goto out;
	for (line = next + 2; *line != '\0'; line = next + 2) {
		char *name, *value;

		next = strstr(line, "\r\n");
		*next = '\0';
		if (h2c_split_header(line, &name, &value) != 0)
			goto out;
		h2c_note_header(&scan, name, value);
		if (is_hop_by_hop(name))
			continue;
		u.headers = xreallocarray(u.headers, u.nheaders + 1,
		    sizeof(*u.headers));
		u.headers[u.nheaders].name = xstrdup(name);
		u.headers[u.nheaders].value = xstrdup(value);
		u.nheaders++;
	}
	if (!scan.upgrade_h2c || !scan.connection_upgrade ||
	    scan.nsettings != 1 || scan.has_body)
		goto out;
	u.settings = h2c_base64url_decode(scan.settings, strlen(scan.settings),
	    &u.settings_len);
	if (u.settings == NULL || u.settings_len % 6 != 0)
		goto out;
	u.method = xstrdup(method);
	u.target = xstrdup(target);
	*out = u;
	ok = 1;
out:
	free(head);
	if (!ok)
		h2c_upgrade_free(&u);
	return ok;
}

void
h2c_upgrade_free(struct h2c_upgrade *u)
{
	for (size_t i = 0; i < u->nheaders; i++) {
		free(u->headers[i].name);
		free(u->headers[i].value);
	}
	free(u->headers);
	free(u->method);
	free(u->target);
	free(u->settings);
	memset(u, 0, sizeof(*u));
}
