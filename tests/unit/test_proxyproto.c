/*
 * Unit tests for the PROXY protocol v2 header (src/proxyproto.c): the
 * headers HAProxy's send-proxy-v2 writes (IPv4, IPv6, LOCAL for its
 * health checks), headers that arrive in pieces, and malformed ones,
 * which the listener answers by closing the connection.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "error.h"
#include "proxyproto.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* A header: signature, then ver_cmd, family, then body (blen bytes). */
static size_t
header(unsigned char *out, int ver_cmd, int fam, const void *body,
    size_t blen)
{
	memcpy(out, sig, 12);
	out[12] = (unsigned char)ver_cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(blen >> 8);
	out[15] = (unsigned char)blen;
	memcpy(out + 16, body, blen);
	return 16 + blen;
}

static void
test_ipv4(void **state)
{
	/* 192.0.2.7:51000 -> 10.0.0.1:8080, then a TLV (ignored). */
	unsigned char body[12 + 5] = { 192, 0, 2, 7, 10, 0, 0, 1,
	    0xc7, 0x38, 0x1f, 0x90, 0x01, 0x00, 0x02, 'h', '2' };
	unsigned char buf[64], more[80];
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	socklen_t sl;
	char text[INET_ADDRSTRLEN];
	size_t n;

	(void)state;
	n = header(buf, 0x21, 0x11, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), (int)n);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sl, sizeof(struct sockaddr_in));
	inet_ntop(AF_INET, &a4->sin_addr, text, sizeof(text));
	assert_string_equal(text, "192.0.2.7");
	assert_int_equal(ntohs(a4->sin_port), 51000);
	/* In pieces: every prefix asks for more. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(proxyproto_parse(buf, i, &ss, &sl), 0);
	/* The protocol's own bytes after it are not part of it. */
	memcpy(more, buf, n);
	memcpy(more + n, "GET / HTTP/1.1\r\n", 16);
	assert_int_equal(proxyproto_parse(more, n + 16, &ss, &sl), (int)n);
}

static void
test_ipv6(void **state)
{
	unsigned char body[36] = { 0 };
	unsigned char buf[64];
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	char text[INET6_ADDRSTRLEN];
	size_t n;

	(void)state;
	inet_pton(AF_INET6, "2001:db8::42", body);
	inet_pton(AF_INET6, "2001:db8::1", body + 16);
	body[32] = 0x30;
	body[33] = 0x39;	/* 12345 */
	n = header(buf, 0x21, 0x21, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), (int)n);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(sl, sizeof(struct sockaddr_in6));
	inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof(text));
	assert_string_equal(text, "2001:db8::42");
	assert_int_equal(ntohs(a6->sin6_port), 12345);
}

static void
test_local_and_unspec(void **state)
{
	unsigned char body[12] = { 192, 0, 2, 7 };
	unsigned char buf[64];
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t n;

	(void)state;
	/* LOCAL (HAProxy's health checks): no client; keep the peer. */
	n = header(buf, 0x20, 0x00, body, 0);
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), 16);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
	/* LOCAL with addresses: still ignored. */
	n = header(buf, 0x20, 0x11, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), (int)n);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
	/* PROXY with an unspecified family: keep the peer. */
	n = header(buf, 0x21, 0x00, body, 0);
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), 16);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
}

static void
test_malformed(void **state)
{
	unsigned char body[12] = { 192, 0, 2, 7 };
	unsigned char buf[64];
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t n;

	(void)state;
	/* Plain HTTP, and PROXY v1 text: refused at the first byte. */
	assert_int_equal(proxyproto_parse((const unsigned char *)"GET / ", 6,
	    &ss, &sl), BS_ERR_INVALID);
	assert_int_equal(proxyproto_parse((const unsigned char *)"PROXY TCP4"
	    " ", 11, &ss, &sl), BS_ERR_INVALID);
	/* A signature that goes wrong partway. */
	memcpy(buf, sig, 12);
	buf[5] = 'x';
	assert_int_equal(proxyproto_parse(buf, 7, &ss, &sl), BS_ERR_INVALID);
	/* Version 1 in the binary form; an unknown command. */
	n = header(buf, 0x11, 0x11, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), BS_ERR_INVALID);
	n = header(buf, 0x22, 0x11, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), BS_ERR_INVALID);
	/* An unknown family; datagrams. */
	n = header(buf, 0x21, 0x41, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), BS_ERR_INVALID);
	n = header(buf, 0x21, 0x12, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), BS_ERR_INVALID);
	/* Too short for its addresses: IPv4 in 8 bytes, IPv6 in 12. */
	n = header(buf, 0x21, 0x11, body, 8);
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), BS_ERR_INVALID);
	n = header(buf, 0x21, 0x21, body, sizeof(body));
	assert_int_equal(proxyproto_parse(buf, n, &ss, &sl), BS_ERR_INVALID);
	/* Longer than the cap: refused before its bytes arrive. */
	n = header(buf, 0x21, 0x11, body, sizeof(body));
	buf[14] = 0xff;
	buf[15] = 0xff;
	assert_int_equal(proxyproto_parse(buf, 16, &ss, &sl),
	    BS_ERR_TOO_LARGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_local_and_unspec),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
