/*
 * Unit tests for address lists (src/cidr.c): what --metrics-allow takes
 * and which peers it lets read /metrics; and the client key the
 * per-address limits count by, from a socket address and from text.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "cidr.h"
#include "error.h"

static struct cidr_list *
parse(const char *text)
{
	struct cidr_list *l = NULL;
	char err[160];

	assert_int_equal(cidr_list_parse(text, &l, err, sizeof(err)), 0);
	return l;
}

static void
test_default_is_loopback(void **state)
{
	struct cidr_list *l = parse("127.0.0.0/8,::1");

	(void)state;
	assert_true(cidr_list_match(l, "127.0.0.1:5555"));
	assert_true(cidr_list_match(l, "127.255.1.2"));
	assert_true(cidr_list_match(l, "[::1]:8080"));
	assert_true(cidr_list_match(l, "::1"));
	/* IPv4 seen through an IPv6 socket. */
	assert_true(cidr_list_match(l, "[::ffff:127.0.0.1]:1"));
	assert_false(cidr_list_match(l, "128.0.0.1:5555"));
	assert_false(cidr_list_match(l, "[::2]:8080"));
	assert_false(cidr_list_match(l, "unknown"));
	assert_false(cidr_list_match(l, ""));
	cidr_list_free(l);
}

static void
test_prefixes(void **state)
{
	struct cidr_list *l = parse(" 10.1.0.0/16  192.168.1.7, fd00::/8 ");

	(void)state;
	assert_true(cidr_list_match(l, "10.1.200.3:9"));
	assert_false(cidr_list_match(l, "10.2.0.1:9"));
	assert_true(cidr_list_match(l, "192.168.1.7:80"));
	assert_false(cidr_list_match(l, "192.168.1.8:80"));
	assert_true(cidr_list_match(l, "[fd12:3456::1]:443"));
	assert_false(cidr_list_match(l, "[fe80::1]:443"));
	cidr_list_free(l);
	/* Odd prefix lengths cut inside a byte. */
	l = parse("10.0.0.0/9");
	assert_true(cidr_list_match(l, "10.127.255.255"));
	assert_false(cidr_list_match(l, "10.128.0.0"));
	cidr_list_free(l);
	/* 0.0.0.0/0 is every IPv4 address; an empty list nobody. */
	l = parse("0.0.0.0/0");
	assert_true(cidr_list_match(l, "203.0.113.9:1"));
	assert_false(cidr_list_match(l, "[2001:db8::1]:1"));
	cidr_list_free(l);
	l = parse("");
	assert_false(cidr_list_match(l, "127.0.0.1:1"));
	cidr_list_free(l);
}

static void
test_bad_lists(void **state)
{
	static const char *const bad[] = { "10.0.0.0/33", "::1/129",
	    "10.0.0.0/", "10.0.0/8", "localhost", "1.2.3.4/-1",
	    "1.2.3.4/8x", "127.0.0.1,nope", NULL };
	struct cidr_list *l = NULL;
	char err[160];

	(void)state;
	for (int i = 0; bad[i] != NULL; i++) {
		assert_int_equal(cidr_list_parse(bad[i], &l, err, sizeof(err)),
		    BS_ERR_INVALID);
		assert_non_null(strstr(err, "is not an address"));
	}
}

/* The key of a text address, which must parse. */
static size_t
key_text(const char *address, unsigned char key[CIDR_KEY_LEN])
{
	size_t n = cidr_client_key_text(address, key);

	assert_true(n > 0);
	return n;
}

static void
test_client_key(void **state)
{
	unsigned char a[CIDR_KEY_LEN], b[CIDR_KEY_LEN];
	struct in_addr a4;
	struct in6_addr a6;

	(void)state;
	/* IPv4: by the address; the port does not matter. */
	assert_int_equal(key_text("192.0.2.7:1234", a), 5);
	key_text("192.0.2.7:99", b);
	assert_memory_equal(a, b, CIDR_KEY_LEN);
	key_text("192.0.2.8:1234", b);
	assert_memory_not_equal(a, b, CIDR_KEY_LEN);
	/* The socket form gives the same key as the text form. */
	inet_pton(AF_INET, "192.0.2.7", &a4);
	assert_int_equal(cidr_client_key(AF_INET, &a4, b), 5);
	assert_memory_equal(a, b, CIDR_KEY_LEN);
	/* IPv4-mapped IPv6 is its IPv4 address, as text or as a socket. */
	key_text("[::ffff:192.0.2.7]:80", b);
	assert_memory_equal(a, b, CIDR_KEY_LEN);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &a6);
	assert_int_equal(cidr_client_key(AF_INET6, &a6, b), 5);
	assert_memory_equal(a, b, CIDR_KEY_LEN);
	/* IPv6: by the /64; bracketed, bare, or from a socket. */
	assert_int_equal(key_text("[2001:db8:1:2::1]:443", a), 9);
	key_text("2001:db8:1:2:ffff::9", b);
	assert_memory_equal(a, b, CIDR_KEY_LEN);
	inet_pton(AF_INET6, "2001:db8:1:2:abcd::", &a6);
	assert_int_equal(cidr_client_key(AF_INET6, &a6, b), 9);
	assert_memory_equal(a, b, CIDR_KEY_LEN);
	key_text("[2001:db8:1:3::1]:443", b);
	assert_memory_not_equal(a, b, CIDR_KEY_LEN);
	/* An IPv4 key never equals an IPv6 one with the same bytes. */
	key_text("[c000:207::]:1", b);
	key_text("192.0.2.7:1", a);
	assert_memory_not_equal(a, b, CIDR_KEY_LEN);
	/* Not an address: no key. */
	assert_int_equal(cidr_client_key_text("unknown", a), 0);
	assert_int_equal(cidr_client_key_text("", a), 0);
	assert_int_equal(cidr_client_key(AF_UNIX, &a4, a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_loopback),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_bad_lists),
		cmocka_unit_test(test_client_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
