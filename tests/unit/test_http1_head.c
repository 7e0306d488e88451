/*
 * Unit tests for the strict request head checks (src/http1_head.c): each
 * request smuggling shape of RFC 9112 is refused with its status, and
 * what browsers and curl send passes.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http1_head.h"

#define MAX 16384

static int
check(const char *text)
{
	const char *reason = NULL;
	size_t head_len = 0;
	int rv = http1_head_check(text, strlen(text), MAX, &head_len, &reason);

	if (rv > 0)
		assert_non_null(reason);
	return rv;
}

static void
test_ordinary_heads_pass(void **state)
{
	const char *get = "GET /v1/battles?x=1 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\n"
	    "Accept: */*\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\nbody after";
	const char *reason;
	size_t head_len = 0;

	assert_int_equal(http1_head_check(get, strlen(get), MAX, &head_len,
	    &reason), 0);
	assert_int_equal(head_len, strlen(get) - strlen("body after"));
	assert_int_equal(check("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
	assert_int_equal(check("POST /x HTTP/1.1\r\nHost: [::1]:80\r\n"
	    "Content-Length: 5\r\ncontent-length: 5\r\n\r\n"), 0);
	assert_int_equal(check("POST /x HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: Chunked\r\n\r\n"), 0);
	assert_int_equal(check("GET / HTTP/1.0\r\n\r\n"), 0);
	assert_int_equal(check("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n"
	    "X: caf\xc3\xa9\r\n\r\n"), 0);
}

static void
test_incomplete_heads_wait(void **state)
{
	assert_int_equal(check(""), -1);
	assert_int_equal(check("GET / HT"), -1);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\n"), -1);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\n\r"), -1);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: abc"),
	    -1);
}

static void
test_wrong_lines_fail_before_the_end(void **state)
{
	/* No need to wait for the empty line to refuse. */
	assert_int_equal(check("GET / HTTP/1.1\nHost: a"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nX y\r\nHost"), 400);
}

static void
test_too_large(void **state)
{
	static char big[MAX + 100];
	const char *reason;
	size_t head_len;

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(http1_head_check(big, sizeof(big), MAX, &head_len,
	    &reason), 431);
	assert_int_equal(http1_head_check(big, MAX - 1, MAX, &head_len,
	    &reason), -1);
}

/* RFC 9112 section 6.1: Transfer-Encoding and Content-Length together. */
static void
test_rfc9112_6_1_te_and_cl(void **state)
{
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	/* Nor any Transfer-Encoding in HTTP/1.0. */
	assert_int_equal(check("POST / HTTP/1.0\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 400);
}

/* RFC 9112 section 6.1: a transfer coding we do not know is 501. */
static void
test_rfc9112_6_1_unknown_coding(void **state)
{
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: xchunked\r\n\r\n"), 501);
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501);
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked;x=1\r\n\r\n"), 501);
}

/* RFC 9112 sections 6.3 and 7.1: chunked last, and only once. */
static void
test_rfc9112_6_3_chunked_once(void **state)
{
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n"), 400);
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: \r\n\r\n"), 400);
}

/* RFC 9112 section 6.3: Content-Lengths that disagree, or not a number. */
static void
test_rfc9112_6_3_content_length(void **state)
{
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 3\r\nContent-Length: 5\r\n\r\n"), 400);
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 3, 5\r\n\r\n"), 400);
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: +5\r\n\r\n"), 400);
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length:\r\n\r\n"), 400);
}

/* RFC 9112 section 5.1: no whitespace between field name and colon. */
static void
test_rfc9112_5_1_space_before_colon(void **state)
{
	assert_int_equal(check("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length : 5\r\n\r\nabcde"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHo\"st: a\r\n\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n"),
	    400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost a\r\n\r\n"), 400);
}

/* RFC 9112 section 5.2: obs-fold; 2.2: whitespace before the first field. */
static void
test_rfc9112_5_2_obs_fold(void **state)
{
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n"
	    "\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n"
	    "\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\n X: y\r\nHost: a\r\n\r\n"),
	    400);
}

/* RFC 9112 section 2.2: bare LF and bare CR. */
static void
test_rfc9112_2_2_line_ends(void **state)
{
	assert_int_equal(check("GET / HTTP/1.1\nHost: a\n\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n"),
	    400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n"),
	    400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\n\rX"), 400);
	assert_int_equal(check("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

/* RFC 9110 section 5.5: NUL and other controls in a field value. */
static void
test_rfc9110_5_5_nul(void **state)
{
	static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: y\0z\r\n\r\n";
	const char *reason;
	size_t head_len;

	assert_int_equal(http1_head_check(nul, sizeof(nul) - 1, MAX,
	    &head_len, &reason), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n"),
	    400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n"),
	    400);
}

/* RFC 9112 section 3.2: exactly one valid Host in HTTP/1.1. */
static void
test_rfc9112_3_2_host(void **state)
{
	assert_int_equal(check("GET / HTTP/1.1\r\nX: y\r\n\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
	    400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400);
}

/* RFC 9112 section 3: the request line. */
static void
test_rfc9112_3_request_line(void **state)
{
	assert_int_equal(check("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(check("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(check("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(check("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(check("GET /\r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(check("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
}

/* The same field rules for the fields libmicrohttpd parsed. */
static void
test_fields_one_by_one(void **state)
{
	struct http1_fields f;
	const char *reason = NULL;

	http1_fields_init(&f, 1);
	http1_fields_add(&f, "Host", 4, "a", 1);
	http1_fields_add(&f, "Content-Length", 14, "3", 1);
	assert_int_equal(http1_fields_verdict(&f, &reason), 0);
	http1_fields_add(&f, "Content-Length ", 15, "3", 1);
	assert_int_equal(http1_fields_verdict(&f, &reason), 400);
	assert_non_null(strstr(reason, "5.1"));

	http1_fields_init(&f, 1);
	http1_fields_add(&f, "Host", 4, "a", 1);
	http1_fields_add(&f, "XTransfer-Encoding: chunked", 27, "y", 1);
	assert_int_equal(http1_fields_verdict(&f, &reason), 400);

	http1_fields_init(&f, 0);
	assert_int_equal(http1_fields_verdict(&f, &reason), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordinary_heads_pass),
		cmocka_unit_test(test_incomplete_heads_wait),
		cmocka_unit_test(test_wrong_lines_fail_before_the_end),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_rfc9112_6_1_te_and_cl),
		cmocka_unit_test(test_rfc9112_6_1_unknown_coding),
		cmocka_unit_test(test_rfc9112_6_3_chunked_once),
		cmocka_unit_test(test_rfc9112_6_3_content_length),
		cmocka_unit_test(test_rfc9112_5_1_space_before_colon),
		cmocka_unit_test(test_rfc9112_5_2_obs_fold),
		cmocka_unit_test(test_rfc9112_2_2_line_ends),
		cmocka_unit_test(test_rfc9110_5_5_nul),
		cmocka_unit_test(test_rfc9112_3_2_host),
		cmocka_unit_test(test_rfc9112_3_request_line),
		cmocka_unit_test(test_fields_one_by_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
