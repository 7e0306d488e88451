/*
 * The transports under fuzzing (fuzz_wire.c): raw bytes from a client
 * into the HTTP/1.1 transport (libmicrohttpd, src/http1.c, with the h2c
 * upgrade check in front, as daemon.c hands connections over) or the
 * HTTP/2 one (src/http2.c), up to a small router of their own.
 */
#ifndef BROADSIDE_FUZZ_WIRE_H
#define BROADSIDE_FUZZ_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum wire_protocol {
	WIRE_HTTP1,	/* an h2c upgrade, else libmicrohttpd */
	WIRE_HTTP2,	/* prior knowledge: the input starts with the preface */
};

/* Sets up the loop, the router and both transports.  Once. */
void wire_init(void);

/*
 * Opens a connection (a socket pair), writes data into it, turns the
 * loop while the server reads and answers, reads what it sends, then
 * half-closes and closes the client's end and turns the loop until the
 * server has closed its end.
 */
void wire_run(enum wire_protocol proto, const uint8_t *data, size_t size);

#endif
