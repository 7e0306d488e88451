/*
 * A growable byte buffer with a hard cap set when it is created (curl's
 * dynbuf).  Every buffer that grows from network input is one of these, so
 * "too large" is a clear error instead of unbounded memory.
 *
 * The contents are always NUL-terminated (not counted in len), so a buffer
 * holding text can be used as a C string.  Single-threaded, like its owner.
 */
#ifndef BROADSIDE_BUF_H
#define BROADSIDE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t cap;	/* allocated bytes */
	size_t max;	/* len may never exceed this */
};

/* Initialises an empty buffer that refuses to grow past max bytes. */
void buf_init(struct buf *b, size_t max);

/* Frees the contents; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

/*
 * Appends len bytes.  Returns 0, or BS_ERR_TOO_LARGE (and appends nothing)
 * when the result would pass the buffer's max.
 */
int buf_append(struct buf *b, const void *data, size_t len);

/* Appends a C string; as buf_append(). */
int buf_append_str(struct buf *b, const char *s);

/* Appends printf output; as buf_append(). */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/*
 * Hands the contents to the caller (who frees them with free()) and leaves
 * the buffer empty.  Never returns NULL: an empty buffer gives "".
 */
char *buf_steal(struct buf *b, size_t *len);

#endif
