/*
 * Address lists: "127.0.0.0/8, ::1, 10.1.0.0/16" parsed once, then asked
 * whether a client address belongs (the scrape addresses that may read
 * /metrics without a token: broadsided(8), --metrics-allow; the load
 * balancers trusted to name the client: --trusted-proxy); and the one
 * rule by which the per-address limits count a client (cidr_client_key).
 *
 * Pure: no I/O.  Any thread.
 */
#ifndef BROADSIDE_CIDR_H
#define BROADSIDE_CIDR_H

#include <stddef.h>

struct cidr_list;

/*
 * Parses a comma- or space-separated list of addresses, each IPv4 or
 * IPv6 with an optional /prefix (an address alone is /32 or /128); an
 * empty list allows nobody.  On 0, *out owns a new list; on
 * BS_ERR_INVALID, err holds a sentence naming the bad item.
 */
int cidr_list_parse(const char *text, struct cidr_list **out, char *err,
    size_t errlen);

/* NULL is a no-op. */
void cidr_list_free(struct cidr_list *l);

/*
 * Whether an address belongs to the list: "1.2.3.4", "1.2.3.4:port",
 * "::1" or "[::1]:port" (as requests name their peer).  An IPv4-mapped
 * IPv6 address (::ffff:1.2.3.4) is taken as its IPv4 address.
 */
int cidr_list_match(const struct cidr_list *l, const char *address);

/* A family byte (4 or 6), then 4 bytes of IPv4 or the 8 of an IPv6 /64. */
#define CIDR_KEY_LEN 9

/*
 * The key by which the per-address limits (--per-ip-connections, the
 * rate limits, --create-per-hour) count a client: an IPv4 client by its
 * address, an IPv4-mapped IPv6 one (::ffff:1.2.3.4) as that IPv4
 * address, any other IPv6 client by its /64 (one host commonly holds a
 * whole /64, so counting single addresses would let it multiply its
 * share).  family is AF_INET (addr: a struct in_addr) or AF_INET6 (a
 * struct in6_addr).  Fills all CIDR_KEY_LEN bytes (zeros past the key)
 * and returns the key's length, 5 or 9; 0 for another family.
 */
size_t cidr_client_key(int family, const void *addr,
    unsigned char key[CIDR_KEY_LEN]);

/*
 * cidr_client_key() of an address written as requests name their peer
 * ("1.2.3.4:port", "[::1]:port", or an address alone).  Returns 0 when
 * it is not an address.
 */
size_t cidr_client_key_text(const char *address,
    unsigned char key[CIDR_KEY_LEN]);

#endif
