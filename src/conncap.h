/*
 * The per-address connection cap (--per-ip-connections): counts the
 * client connections each address has open and refuses one more past
 * the cap.  The listener asks at accept, before it knows the protocol,
 * so one rule covers HTTP/1.1, HTTP/2 and TLS alike.  An IPv4 client is
 * counted by its address, an IPv6 client by its /64 (one host commonly
 * holds a whole /64).
 *
 * A connection counts from accept until its socket is closed, by
 * whichever module owns it by then.  Those modules do not report their
 * closes: each socket is remembered by its descriptor number and its
 * inode (fstat), and when an address is at its cap its sockets are
 * checked again; one whose descriptor is closed, or now names another
 * socket, no longer counts.  A descriptor number handed out again by
 * accept drops its old entry at once.  So the count is exact when it
 * matters, with no hook in the protocol modules, and the table never
 * holds more entries than the process has descriptors.
 *
 * Loop thread only; the monotonic time is passed in.
 */
#ifndef BROADSIDE_CONNCAP_H
#define BROADSIDE_CONNCAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conncap;

/* cap connections per address; 0 turns the cap (and all counting) off. */
struct conncap *conncap_new(size_t cap);

/* NULL is a no-op.  The sockets themselves are not touched. */
void conncap_free(struct conncap *cc);

/*
 * Counts fd, a socket just accepted from addr, unless addr already has
 * cap connections open; its sockets are checked again at most once a
 * millisecond (now_us), so a flood of refused clients costs little.
 * Returns 0 (counted), BS_ERR_LIMIT (not counted: the caller closes fd)
 * or BS_ERR_IO (fstat failed; not counted).  Without a cap, or for an
 * address that is neither IPv4 nor IPv6, always 0.
 */
int conncap_admit(struct conncap *cc, int fd, const struct sockaddr *addr,
    uint64_t now_us);

/*
 * Stops counting fd, which the caller is about to close (or has).  An fd
 * not counted is ignored.
 */
void conncap_forget(struct conncap *cc, int fd);

/*
 * Connections counted for addr's address now, after dropping those
 * whose sockets have closed (for tests and logs).
 */
size_t conncap_count(struct conncap *cc, const struct sockaddr *addr);

#endif
