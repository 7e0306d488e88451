/*
 * The PROXY protocol v2 header (proxyproto.h).
 */
#include "config.h"

#include "proxyproto.h"

#include <netinet/in.h>
#include <string.h>

#include "error.h"

static const unsigned char signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define PP2_FIXED_LEN 16	/* signature, version+command, family, length */
#define PP2_VERSION 0x2
#define PP2_CMD_LOCAL 0x0
#define PP2_CMD_PROXY 0x1
#define PP2_AF_UNSPEC 0x0
#define PP2_AF_INET 0x1
#define PP2_AF_INET6 0x2
#define PP2_AF_UNIX 0x3
#define PP2_TRANSPORT_UNSPEC 0x0
#define PP2_TRANSPORT_STREAM 0x1
#define PP2_INET_LEN 12		/* two addresses, two ports */
#define PP2_INET6_LEN 36
#define PP2_UNIX_LEN 216

/* The address block's least length for a family; -1: not a family. */
static int
family_len(int family)
{
	switch (family) {
	case PP2_AF_UNSPEC:
		return 0;
	case PP2_AF_INET:
		return PP2_INET_LEN;
	case PP2_AF_INET6:
		return PP2_INET6_LEN;
	case PP2_AF_UNIX:
		return PP2_UNIX_LEN;
	default:
		return -1;
	}
}

/* The source address and port of an INET or INET6 block. */
static void
source_of(int family, const unsigned char *block,
    struct sockaddr_storage *addr, socklen_t *addrlen)
{
	memset(addr, 0, sizeof(*addr));
	if (family == PP2_AF_INET) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)addr;

		a4->sin_family = AF_INET;
		memcpy(&a4->sin_addr, block, 4);
		memcpy(&a4->sin_port, block + 8, 2);	/* network order */
		*addrlen = sizeof(*a4);
	} else {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;

		a6->sin6_family = AF_INET6;
		memcpy(&a6->sin6_addr, block, 16);
		memcpy(&a6->sin6_port, block + 32, 2);
		*addrlen = sizeof(*a6);
	}
}

int
proxyproto_parse(const unsigned char *buf, size_t len,
    struct sockaddr_storage *addr, socklen_t *addrlen)
{
	size_t total;
	int command, family, transport, need;

	/* Refuse as soon as a byte differs, not only once all have come. */
	if (memcmp(buf, signature, len < sizeof(signature) ? len :
	    sizeof(signature)) != 0)
		return BS_ERR_INVALID;
	if (len < PP2_FIXED_LEN)
		return 0;
	if (buf[12] >> 4 != PP2_VERSION)
		return BS_ERR_INVALID;
	command = buf[12] & 0x0f;
	family = buf[13] >> 4;
	transport = buf[13] & 0x0f;
	if (command != PP2_CMD_LOCAL && command != PP2_CMD_PROXY)
		return BS_ERR_INVALID;
	if ((need = family_len(family)) < 0 ||
	    (transport != PP2_TRANSPORT_UNSPEC &&
	    transport != PP2_TRANSPORT_STREAM))
		return BS_ERR_INVALID;
	total = PP2_FIXED_LEN + ((size_t)buf[14] << 8 | buf[15]);
	if (total > PROXYPROTO_MAX_LEN)
		return BS_ERR_TOO_LARGE;
	/* LOCAL may carry anything (or nothing): it is ignored. */
	if (command == PP2_CMD_PROXY && total < PP2_FIXED_LEN + (size_t)need)
		return BS_ERR_INVALID;
	if (len < total)
		return 0;
	memset(addr, 0, sizeof(*addr));
	addr->ss_family = AF_UNSPEC;
	*addrlen = sizeof(*addr);
	/*
	 * A proxied connection over a stream: the only one that names a
	 * client we can count.  UNSPEC and UNIX sources keep the peer's
	 * address, as LOCAL does (the specification says to use the real
	 * connection's endpoints when the header carries none).
	 */
	if (command == PP2_CMD_PROXY && transport == PP2_TRANSPORT_STREAM &&
	    (family == PP2_AF_INET || family == PP2_AF_INET6))
		source_of(family, buf + PP2_FIXED_LEN, addr, addrlen);
	return (int)total;
}
