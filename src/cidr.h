/*
 * Address lists: "127.0.0.0/8, ::1, 10.1.0.0/16" parsed once, then asked
 * whether a client address belongs (the scrape addresses that may read
 * /metrics without a token: broadsided(8), --metrics-allow).
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

#endif
