/*
 * The PROXY protocol, version 2 (HAProxy's "send-proxy-v2"; the
 * specification is HAProxy's doc/proxy-protocol.txt): the binary header a
 * load balancer writes at the start of each connection it opens to a
 * node, naming the client it carries.  The listener reads it from the
 * peers in --trusted-proxy before it sniffs the protocol (listen.c), so
 * that the per-address limits and the logs see the client, not the
 * balancer.
 *
 * Pure: no I/O.  Any thread.
 */
#ifndef BROADSIDE_PROXYPROTO_H
#define BROADSIDE_PROXYPROTO_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * The longest header accepted, TLVs included.  HAProxy's addresses take
 * at most 216 bytes (AF_UNIX) and the TLVs it can add (ALPN, authority,
 * unique id, TLS details) fit well within the rest.
 */
#define PROXYPROTO_MAX_LEN 1024

/*
 * Parses the PROXY v2 header at the start of the len bytes at buf.
 * Returns:
 *   > 0: the header's length (the protocol's bytes start after it);
 *        *addr is the client's address (AF_INET or AF_INET6, with its
 *        port), or has family AF_UNSPEC when the header names no client
 *        to use (the LOCAL command, the balancer's own health checks; or
 *        an unspecified or AF_UNIX source): keep the peer's address;
 *   0:   the bytes so far are a valid beginning: wait for more;
 *   BS_ERR_INVALID: not a PROXY v2 header (wrong signature, version,
 *        command, family or transport, or too short for its addresses);
 *   BS_ERR_TOO_LARGE: it says it is longer than PROXYPROTO_MAX_LEN.
 */
int proxyproto_parse(const unsigned char *buf, size_t len,
    struct sockaddr_storage *addr, socklen_t *addrlen);

#endif
