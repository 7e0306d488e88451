/*
 * The per-address connection cap (conncap.h): a table of accepted sockets
 * indexed by descriptor number, each linked into its address's list, and
 * a hash of the addresses.
 */
#include "config.h"

#include "conncap.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "alloc.h"
#include "cidr.h"
#include "error.h"

#define CONNCAP_KEY_LEN CIDR_KEY_LEN
/* An address at its cap has its sockets checked at most this often. */
#define CONNCAP_RECHECK_US 1000

/* A client address and the connections it has open. */
struct peer {
	unsigned char key[CONNCAP_KEY_LEN];
	size_t nconns;
	int first;		/* descriptor of its first connection; -1 */
	int checked;		/* checked_us is set */
	uint64_t checked_us;
	struct peer *next;	/* hash chain */
};

/* An accepted socket, at the index of its descriptor. */
struct slot {
	struct peer *peer;	/* NULL: not counted */
	dev_t dev;
	ino_t ino;
	int prev, next;		/* the peer's list; -1 ends it */
};

struct conncap {
	size_t cap;
	struct slot *slots;
	size_t nslots;
	struct peer **buckets;
	size_t nbuckets;	/* a power of two */
	size_t npeers;
	uint64_t seed;		/* so that clients cannot aim at one chain */
};

struct conncap *
conncap_new(size_t cap)
{
	struct conncap *cc = xcalloc(1, sizeof(*cc));

	cc->cap = cap;
	cc->nbuckets = 64;
	cc->buckets = xcalloc(cc->nbuckets, sizeof(*cc->buckets));
	if (getrandom(&cc->seed, sizeof(cc->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(cc->seed))
		cc->seed = (uint64_t)(uintptr_t)cc;
	return cc;
}

void
conncap_free(struct conncap *cc)
{
	if (cc == NULL)
		return;
	for (size_t i = 0; i < cc->nbuckets; i++) {
		struct peer *p = cc->buckets[i], *next;

		for (; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	}
	free(cc->buckets);
	free(cc->slots);
	free(cc);
}

/*
 * The key of addr's address (cidr_client_key(): the one rule the
 * per-address limits share).  Returns 0, or -1 for another family.
 */
static int
key_of(const struct sockaddr *addr, unsigned char key[CONNCAP_KEY_LEN])
{
	const void *bytes = NULL;

	if (addr->sa_family == AF_INET)
		bytes = &((const struct sockaddr_in *)(const void *)addr)->sin_addr;
	else if (addr->sa_family == AF_INET6)
		bytes = &((const struct sockaddr_in6 *)(const void *)addr)->
		    sin6_addr;
	if (bytes == NULL)
		return -1;
	return cidr_client_key(addr->sa_family, bytes, key) > 0 ? 0 : -1;
}

static size_t
key_hash(const struct conncap *cc, const unsigned char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ cc->seed;	/* FNV-1a */

	for (int i = 0; i < CONNCAP_KEY_LEN; i++) {
		h ^= key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 32;
	return (size_t)h & (cc->nbuckets - 1);
}

static void
buckets_grow(struct conncap *cc)
{
	struct peer **old = cc->buckets;
	size_t nold = cc->nbuckets;

	cc->nbuckets *= 2;
	cc->buckets = xcalloc(cc->nbuckets, sizeof(*cc->buckets));
	for (size_t i = 0; i < nold; i++) {
		struct peer *p = old[i], *next;

		for (; p != NULL; p = next) {
			size_t b = key_hash(cc, p->key);

			next = p->next;
			p->next = cc->buckets[b];
			cc->buckets[b] = p;
		}
	}
	free(old);
}

static struct peer *
peer_find(struct conncap *cc, const unsigned char *key, int create)
{
	size_t b = key_hash(cc, key);
	struct peer *p;

	for (p = cc->buckets[b]; p != NULL; p = p->next)
		if (memcmp(p->key, key, CONNCAP_KEY_LEN) == 0)
			return p;
	if (!create)
		return NULL;
	if (cc->npeers >= cc->nbuckets) {
		buckets_grow(cc);
		b = key_hash(cc, key);
	}
	p = xcalloc(1, sizeof(*p));
	memcpy(p->key, key, CONNCAP_KEY_LEN);
	p->first = -1;
	p->next = cc->buckets[b];
	cc->buckets[b] = p;
	cc->npeers++;
	return p;
}

/* Frees p if it has no connection left. */
static void
peer_release(struct conncap *cc, struct peer *p)
{
	struct peer **pp;

	if (p->nconns > 0)
		return;
	for (pp = &cc->buckets[key_hash(cc, p->key)]; *pp != p;
	    pp = &(*pp)->next)
		;
	*pp = p->next;
	cc->npeers--;
	free(p);
}

/* Takes fd out of its peer's list (the peer itself stays). */
static void
slot_unlink(struct conncap *cc, int fd)
{
	struct slot *s = &cc->slots[fd];
	struct peer *p = s->peer;

	if (s->prev >= 0)
		cc->slots[s->prev].next = s->next;
	else
		p->first = s->next;
	if (s->next >= 0)
		cc->slots[s->next].prev = s->prev;
	p->nconns--;
	s->peer = NULL;
}

/* Drops p's connections whose sockets have closed. */
static void
peer_recheck(struct conncap *cc, struct peer *p)
{
	int fd = p->first;

	while (fd >= 0) {
		struct slot *s = &cc->slots[fd];
		int next = s->next;
		struct stat st;

		if (fstat(fd, &st) != 0 || st.st_ino != s->ino ||
		    st.st_dev != s->dev)
			slot_unlink(cc, fd);
		fd = next;
	}
}

static void
slots_reserve(struct conncap *cc, int fd)
{
	size_t n = cc->nslots > 0 ? cc->nslots : 64;

	if ((size_t)fd < cc->nslots)
		return;
	while (n <= (size_t)fd)
		n *= 2;
	cc->slots = xreallocarray(cc->slots, n, sizeof(*cc->slots));
	memset(cc->slots + cc->nslots, 0,
	    (n - cc->nslots) * sizeof(*cc->slots));
	cc->nslots = n;
}

int
conncap_admit(struct conncap *cc, int fd, const struct sockaddr *addr,
    uint64_t now_us)
{
	unsigned char key[CONNCAP_KEY_LEN];
	struct stat st;
	struct peer *p;
	struct slot *s;

	if (cc->cap == 0 || fd < 0 || key_of(addr, key) != 0)
		return 0;
	/* accept handed out this number again: its old socket is gone. */
	conncap_forget(cc, fd);
	if (fstat(fd, &st) != 0)
		return BS_ERR_IO;
	p = peer_find(cc, key, 1);
	if (p->nconns >= cc->cap &&
	    (!p->checked || now_us - p->checked_us >= CONNCAP_RECHECK_US)) {
		peer_recheck(cc, p);
		p->checked = 1;
		p->checked_us = now_us;
	}
	if (p->nconns >= cc->cap)
		return BS_ERR_LIMIT;
	slots_reserve(cc, fd);
	s = &cc->slots[fd];
	s->peer = p;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->prev = -1;
	s->next = p->first;
	if (p->first >= 0)
		cc->slots[p->first].prev = fd;
	p->first = fd;
	p->nconns++;
	return 0;
}

void
conncap_forget(struct conncap *cc, int fd)
{
	struct peer *p;

	if (fd < 0 || (size_t)fd >= cc->nslots || cc->slots[fd].peer == NULL)
		return;
	p = cc->slots[fd].peer;
	slot_unlink(cc, fd);
	peer_release(cc, p);
}

size_t
conncap_count(struct conncap *cc, const struct sockaddr *addr)
{
	unsigned char key[CONNCAP_KEY_LEN];
	struct peer *p;
	size_t n;

	if (key_of(addr, key) != 0 || (p = peer_find(cc, key, 0)) == NULL)
		return 0;
	peer_recheck(cc, p);
	n = p->nconns;
	peer_release(cc, p);
	return n;
}
