/*
 * Memory allocation policy for the whole daemon and its tools.
 *
 * Running out of memory is fatal: every x*() function below either returns
 * a valid pointer or prints one line on stderr and aborts the process (the
 * tmux xmalloc policy).  A battle server that cannot allocate cannot keep
 * its durability promise anyway, and the store on disk is what a restart
 * recovers from.  No caller ever checks these for NULL.
 *
 * What limits memory is not this file but the caps on everything a client
 * can make grow (body sizes, backlogs, ships per battle...), set where the
 * buffer is created.
 */
#ifndef BROADSIDE_ALLOC_H
#define BROADSIDE_ALLOC_H

#include <stddef.h>

/* Like malloc(); never returns NULL.  xmalloc(0) returns a unique pointer. */
void *xmalloc(size_t size);

/* Like calloc() (zeroed, overflow-checked); never returns NULL. */
void *xcalloc(size_t nmemb, size_t size);

/* Like realloc(); never returns NULL.  xrealloc(NULL, n) == xmalloc(n). */
void *xrealloc(void *ptr, size_t size);

/* Like reallocarray(): nmemb * size, overflow-checked. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);

/* Copies a NUL-terminated string; the caller frees the copy. */
char *xstrdup(const char *s);

/* Copies the first n bytes of s and NUL-terminates the copy. */
char *xstrndup(const char *s, size_t n);

/* printf into a new string; the caller frees it. */
char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
