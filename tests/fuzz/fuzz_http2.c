/*
 * Fuzz target: the HTTP/2 request path up to the router: the bytes a
 * client sends on a connection that the listener took for HTTP/2 (prior
 * knowledge: the input should start with the preface), into an nghttp2
 * server session (src/http2.c, src/http2_stream.c, src/request.c,
 * src/route.c).  See fuzz_wire.c for the router behind it.
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
	wire_run(WIRE_HTTP2, data, size);
	return 0;
}
