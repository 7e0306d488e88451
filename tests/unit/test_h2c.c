/*
 * Unit tests for recognising "Upgrade: h2c" requests (src/h2c.c).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2c.h"

/* What curl --http2 sends on an http:// URL. */
static const char curl_upgrade[] =
    "GET /v1/battles/abc?x=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Connection: Upgrade, HTTP2-Settings\r\n"
    "Upgrade: h2c\r\n"
    "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
    "\r\n";

static int
parse(const char *text)
{
	struct h2c_upgrade u;
	int rv = h2c_parse(text, strlen(text), &u);

	if (rv)
		h2c_upgrade_free(&u);
	return rv;
}

static void
test_curl_upgrade_is_recognised(void **state)
{
	struct h2c_upgrade u;
	char more[sizeof(curl_upgrade) + 16];

	/* Bytes after the head (the client's preface) are not part of it. */
	snprintf(more, sizeof(more), "%sPRI * HTTP/2.0", curl_upgrade);
	assert_int_equal(h2c_parse(more, strlen(more), &u), 1);
	assert_int_equal(u.head_len, strlen(curl_upgrade));
	assert_string_equal(u.method, "GET");
	assert_string_equal(u.target, "/v1/battles/abc?x=1");
	/* Three settings of six bytes each. */
	assert_int_equal(u.settings_len, 18);
	assert_int_equal(u.settings[1], 3);	/* MAX_CONCURRENT_STREAMS */
	/* Host, User-Agent and Accept stay; hop-by-hop headers go. */
	assert_int_equal(u.nheaders, 3);
	assert_string_equal(u.headers[0].name, "host");
	assert_string_equal(u.headers[0].value, "127.0.0.1:8080");
	for (size_t i = 0; i < u.nheaders; i++) {
		assert_string_not_equal(u.headers[i].name, "connection");
		assert_string_not_equal(u.headers[i].name, "upgrade");
		assert_string_not_equal(u.headers[i].name, "http2-settings");
	}
	h2c_upgrade_free(&u);
}

static void
test_everything_else_stays_http1(void **state)
{
	/* No Upgrade at all. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	/* Not all there yet. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nUpgrade: h2c\r\n"), 0);
	/* Another protocol. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Upgrade, "
	    "HTTP2-Settings\r\nUpgrade: websocket\r\nHTTP2-Settings: "
	    "AAMAAABk\r\n\r\n"), 0);
	/* Connection must name Upgrade. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: close\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n"), 0);
	/* HTTP2-Settings missing, twice, or not base64url. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\n\r\n"), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nHTTP2-Settings: "
	    "AAMAAABk\r\n\r\n"), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AA+AAABk\r\n\r\n"), 0);
	/* A body: served over HTTP/1.1. */
	assert_int_equal(parse("POST / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nContent-Length: 2"
	    "\r\n\r\n{}"), 0);
	assert_int_equal(parse("POST / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n"), 0);
	/* HTTP/1.0, an absolute target, obs-fold, a bare LF in a value. */
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n"), 0);
	assert_int_equal(parse("GET http://x/ HTTP/1.1\r\nConnection: "
	    "Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n"), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\n more\r\nHTTP2-Settings: AAMAAABk\r\n\r\n"), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\nX: y\r\nHTTP2-Settings: AAMAAABk\r\n\r\n"), 0);
	/* An empty body is no body. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nContent-Length: 0"
	    "\r\n\r\n"), 1);
}

static void
test_oversize_heads_are_left_alone(void **state)
{
	static char big[H2C_MAX_HEAD + 200];
	size_t n;

	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n"
	    "Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk"
	    "\r\nX-Pad: ");
	memset(big + n, 'p', sizeof(big) - n - 5);
	memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
	assert_int_equal(parse(big), 0);
}

static void
test_base64url(void **state)
{
	size_t len;
	uint8_t *out;

	out = h2c_base64url_decode("aGk", 3, &len);
	assert_non_null(out);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "hi", 2);
	free(out);
	out = h2c_base64url_decode("_-8=", 4, &len);
	assert_non_null(out);
	assert_int_equal(len, 2);
	assert_int_equal(out[0], 0xff);
	assert_int_equal(out[1], 0xef);
	free(out);
	assert_null(h2c_base64url_decode("a", 1, &len));
	assert_null(h2c_base64url_decode("a/b+", 4, &len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_upgrade_is_recognised),
		cmocka_unit_test(test_everything_else_stays_http1),
		cmocka_unit_test(test_oversize_heads_are_left_alone),
		cmocka_unit_test(test_base64url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
