/*
 * Recognising an HTTP/1.1 request that asks to switch to cleartext HTTP/2
 * ("Upgrade: h2c", RFC 7540 section 3.2), as curl --http2 sends on
 * http:// URLs.  Pure parsing: no I/O.  http2.c peeks at a new HTTP/1.1
 * connection's first bytes and hands them here; only a complete request
 * head with no body that names h2c in Upgrade and carries one
 * HTTP2-Settings header is an upgrade.  Everything else stays HTTP/1.1
 * and goes to libmicrohttpd untouched (an upgrade is optional for the
 * server, so declining is always correct).
 */
#ifndef BROADSIDE_H2C_H
#define BROADSIDE_H2C_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"

/* The longest request head considered for an upgrade. */
#define H2C_MAX_HEAD 8192

struct h2c_upgrade {
	size_t head_len;	/* bytes of the request head, CRLFCRLF included */
	char *method;
	char *target;		/* the raw request target ("/path?query") */
	struct header *headers;	/* names lower-cased, hop-by-hop dropped */
	size_t nheaders;
	uint8_t *settings;	/* HTTP2-Settings, base64url-decoded */
	size_t settings_len;
};

/*
 * Parses data[0..len).  Returns 1 and fills *out (free it with
 * h2c_upgrade_free()) when it starts with a complete upgrade request as
 * described above; 0 otherwise (out untouched).
 */
int h2c_parse(const char *data, size_t len, struct h2c_upgrade *out);

/* Frees what h2c_parse() put in u (not u itself). */
void h2c_upgrade_free(struct h2c_upgrade *u);

/*
 * Decodes base64url (RFC 4648 section 5, padding optional) into a new
 * buffer; returns it and sets *outlen, or NULL when malformed.
 */
uint8_t *h2c_base64url_decode(const char *s, size_t len, size_t *outlen);

#endif
