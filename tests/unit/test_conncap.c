/*
 * Unit tests for the per-address connection cap (src/conncap.c): who is
 * refused, and that a closed socket stops counting whoever closed it.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conncap.h"
#include "error.h"

/* An address to count under; port is ignored by the cap. */
static struct sockaddr_storage
addr(const char *ip, int port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, ip, &a6->sin6_addr), 1);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET, ip, &a4->sin_addr), 1);
	}
	return ss;
}

static int
new_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	return fd;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void
test_cap_per_address(void **state)
{
	struct conncap *cc = conncap_new(2);
	struct sockaddr_storage a = addr("192.0.2.1", 1000);
	struct sockaddr_storage a2 = addr("192.0.2.1", 1001);
	struct sockaddr_storage b = addr("192.0.2.2", 1000);
	int fd[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		fd[i] = new_socket();
	assert_int_equal(conncap_admit(cc, fd[0], SA(a), 1000), 0);
	assert_int_equal(conncap_admit(cc, fd[1], SA(a2), 1000), 0);
	/* The port does not matter, the address does. */
	assert_int_equal(conncap_admit(cc, fd[2], SA(a), 1000), BS_ERR_LIMIT);
	assert_int_equal(conncap_admit(cc, fd[3], SA(b), 1000), 0);
	assert_int_equal(conncap_count(cc, SA(a)), 2);
	assert_int_equal(conncap_count(cc, SA(b)), 1);
	conncap_free(cc);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
}

static void
test_close_frees_a_place(void **state)
{
	struct conncap *cc = conncap_new(2);
	struct sockaddr_storage a = addr("192.0.2.1", 1000);
	int fd0 = new_socket(), fd1 = new_socket(), fd2 = new_socket();
	int other;

	(void)state;
	assert_int_equal(conncap_admit(cc, fd0, SA(a), 1000), 0);
	assert_int_equal(conncap_admit(cc, fd1, SA(a), 1000), 0);
	assert_int_equal(conncap_admit(cc, fd2, SA(a), 1000), BS_ERR_LIMIT);
	/* Closed by someone else, and the number taken by another socket. */
	close(fd0);
	other = new_socket();
	assert_int_equal(other, fd0);
	/* Within a millisecond of the last check: not checked again. */
	assert_int_equal(conncap_admit(cc, fd2, SA(a), 1500), BS_ERR_LIMIT);
	assert_int_equal(conncap_admit(cc, fd2, SA(a), 2000), 0);
	assert_int_equal(conncap_count(cc, SA(a)), 2);
	close(fd1);
	close(fd2);
	assert_int_equal(conncap_count(cc, SA(a)), 0);
	conncap_free(cc);
	close(other);
}

static void
test_reused_number(void **state)
{
	struct conncap *cc = conncap_new(1);
	struct sockaddr_storage a = addr("192.0.2.1", 1000);
	struct sockaddr_storage b = addr("192.0.2.2", 1000);
	int fd = new_socket(), again;

	(void)state;
	assert_int_equal(conncap_admit(cc, fd, SA(a), 1000), 0);
	close(fd);
	again = new_socket();
	assert_int_equal(again, fd);
	/* accept handed the number out again: a's socket is gone. */
	assert_int_equal(conncap_admit(cc, again, SA(b), 1000), 0);
	assert_int_equal(conncap_count(cc, SA(a)), 0);
	assert_int_equal(conncap_count(cc, SA(b)), 1);
	conncap_forget(cc, again);
	assert_int_equal(conncap_count(cc, SA(b)), 0);
	conncap_forget(cc, again);	/* not counted: ignored */
	conncap_free(cc);
	close(again);
}

static void
test_ipv6_by_64(void **state)
{
	struct conncap *cc = conncap_new(2);
	struct sockaddr_storage x = addr("2001:db8:1:2::1", 1);
	struct sockaddr_storage y = addr("2001:db8:1:2:ffff::9", 1);
	struct sockaddr_storage z = addr("2001:db8:1:3::1", 1);
	struct sockaddr_storage m = addr("::ffff:192.0.2.1", 1);
	struct sockaddr_storage v4 = addr("192.0.2.1", 1);
	int fd[6];

	(void)state;
	for (int i = 0; i < 6; i++)
		fd[i] = new_socket();
	assert_int_equal(conncap_admit(cc, fd[0], SA(x), 1000), 0);
	assert_int_equal(conncap_admit(cc, fd[1], SA(y), 1000), 0);
	assert_int_equal(conncap_admit(cc, fd[2], SA(x), 1000), BS_ERR_LIMIT);
	assert_int_equal(conncap_admit(cc, fd[2], SA(z), 1000), 0);
	/* IPv4 seen through an IPv6 socket is the IPv4 address. */
	assert_int_equal(conncap_admit(cc, fd[3], SA(m), 1000), 0);
	assert_int_equal(conncap_admit(cc, fd[4], SA(v4), 1000), 0);
	assert_int_equal(conncap_admit(cc, fd[5], SA(v4), 1000),
	    BS_ERR_LIMIT);
	conncap_free(cc);
	for (int i = 0; i < 6; i++)
		close(fd[i]);
}

static void
test_no_cap(void **state)
{
	struct conncap *cc = conncap_new(0);
	struct sockaddr_storage a = addr("192.0.2.1", 1000);
	int fd = new_socket();

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(conncap_admit(cc, fd, SA(a), 1000), 0);
	assert_int_equal(conncap_count(cc, SA(a)), 0);
	conncap_free(cc);
	conncap_free(NULL);
	close(fd);
}

/* Many addresses: the hash grows and every one is found again. */
static void
test_many_addresses(void **state)
{
	struct conncap *cc = conncap_new(1);
	enum { N = 300 };
	int fd[N];

	(void)state;
	for (int i = 0; i < N; i++) {
		char ip[32];
		struct sockaddr_storage a;

		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
		a = addr(ip, 1);
		fd[i] = new_socket();
		assert_int_equal(conncap_admit(cc, fd[i], SA(a), 1000), 0);
	}
	for (int i = 0; i < N; i++) {
		char ip[32];
		struct sockaddr_storage a;

		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
		a = addr(ip, 1);
		assert_int_equal(conncap_count(cc, SA(a)), 1);
		close(fd[i]);
		assert_int_equal(conncap_count(cc, SA(a)), 0);
	}
	conncap_free(cc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_per_address),
		cmocka_unit_test(test_close_frees_a_place),
		cmocka_unit_test(test_reused_number),
		cmocka_unit_test(test_ipv6_by_64),
		cmocka_unit_test(test_no_cap),
		cmocka_unit_test(test_many_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
