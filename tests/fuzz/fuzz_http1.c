/*
 * Fuzz target: the HTTP/1.1 request path up to the router: the bytes a
 * client sends on a new plain connection, through the h2c upgrade check
 * (src/h2c.c, src/http2.c) and libmicrohttpd with our callbacks around it
 * (src/http1.c, src/http1_stream.c, src/request.c, src/route.c).  See
 * fuzz_wire.c for the router behind it.
 */
#include "config.h"

#include "fuzz.h"
#include "fuzz_wire.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	wire_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wire_run(WIRE_HTTP1, data, size);
	return 0;
}
