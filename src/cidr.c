/*
 * Address lists (cidr.h).
 */
#include "config.h"

#include "cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

#define CIDR_MAX_ITEM 64

struct cidr {
	unsigned char addr[16];	/* IPv4 as ::ffff:a.b.c.d */
	int bits;		/* of the 128 */
};

struct cidr_list {
	struct cidr *items;
	size_t n;
};

static const unsigned char v4_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* An address, IPv4 or IPv6, as 16 bytes; *v4 says which it was. */
static int
addr_parse(const char *s, unsigned char out[16], int *v4)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(out, v4_mapped, 12);
		memcpy(out + 12, &a4, 4);
		*v4 = 1;
		return 0;
	}
	*v4 = 0;
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static int
item_parse(const char *item, struct cidr *c)
{
	char text[CIDR_MAX_ITEM];
	char *slash, *end;
	long bits;
	int v4;

	snprintf(text, sizeof(text), "%s", item);
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	if (addr_parse(text, c->addr, &v4) != 0)
		return -1;
	c->bits = 128;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || bits < 0 ||
		    bits > (v4 ? 32 : 128))
			return -1;
		c->bits = (int)bits + (v4 ? 96 : 0);
	}
	return 0;
}

int
cidr_list_parse(const char *text, struct cidr_list **out, char *err,
    size_t errlen)
{
	struct cidr_list *l = xcalloc(1, sizeof(*l));
	const char *p = text;

	while (*p != '\0') {
		size_t len;
		char item[CIDR_MAX_ITEM];

		p += strspn(p, ", \t");
		if ((len = strcspn(p, ", \t")) == 0)
			break;
		if (len >= sizeof(item)) {
			snprintf(err, errlen, "'%.20s...' is not an address "
			    "or address/prefix", p);
			goto bad;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		l->items = xreallocarray(l->items, l->n + 1,
		    sizeof(*l->items));
		if (item_parse(item, &l->items[l->n]) != 0) {
			snprintf(err, errlen, "'%s' is not an address or "
			    "address/prefix (as 10.0.0.0/8 or ::1)", item);
			goto bad;
		}
		l->n++;
		p += len;
	}
	*out = l;
	return 0;
bad:
	cidr_list_free(l);
	return BS_ERR_INVALID;
}

void
cidr_list_free(struct cidr_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	free(l);
}

static int
cidr_contains(const struct cidr *c, const unsigned char a[16])
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((c->addr[full] ^ a[full]) &
	    (0xff << (8 - rest))) == 0;
}

/*
 * The address part of "[v6]:port", "v4:port", or an address alone, as
 * 16 bytes (IPv4 mapped).  Returns 0, or -1 when it is not an address.
 */
static int
address_parse(const char *address, unsigned char a[16], int *v4)
{
	char host[CIDR_MAX_ITEM];
	const char *colon;
	size_t len;

	if (address[0] == '[') {
		len = strcspn(address + 1, "]");
		address++;
	} else if ((colon = strchr(address, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		len = (size_t)(colon - address);
	} else {
		len = strlen(address);
	}
	if (len >= sizeof(host))
		return -1;
	memcpy(host, address, len);
	host[len] = '\0';
	return addr_parse(host, a, v4);
}

int
cidr_list_match(const struct cidr_list *l, const char *address)
{
	unsigned char a[16];
	int v4;

	if (address_parse(address, a, &v4) != 0)
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (cidr_contains(&l->items[i], a))
			return 1;
	return 0;
}

size_t
cidr_client_key(int family, const void *addr,
    unsigned char key[CIDR_KEY_LEN])
{
	const unsigned char *b = addr;

	memset(key, 0, CIDR_KEY_LEN);
	if (family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, b, 4);
		return 5;
	}
	if (family != AF_INET6)
		return 0;
	if (memcmp(b, v4_mapped, sizeof(v4_mapped)) == 0) {
		key[0] = 4;
		memcpy(key + 1, b + 12, 4);
		return 5;
	}
	key[0] = 6;
	memcpy(key + 1, b, 8);
	return 9;
}

size_t
cidr_client_key_text(const char *address, unsigned char key[CIDR_KEY_LEN])
{
	unsigned char a[16];
	int v4;

	memset(key, 0, CIDR_KEY_LEN);
	if (address_parse(address, a, &v4) != 0)
		return 0;
	/* IPv4 was parsed into its mapped form: the rule takes it back. */
	return cidr_client_key(AF_INET6, a, key);
}
