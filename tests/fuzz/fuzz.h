/*
 * What every fuzz target shares.  A target is one C file that defines the
 * two libFuzzer entry points below; it is linked either with libFuzzer
 * (make fuzz, clang) or with replay.c, a plain main() that feeds it the
 * files of its corpus (make check, any compiler).  Neither build may
 * depend on the other, so a target uses nothing of libFuzzer's.
 *
 * Targets keep their fixtures (a loop, a store in a temporary directory)
 * in statics set up by LLVMFuzzerInitialize(); fuzz_tmpdir() removes the
 * directory at exit.
 */
#ifndef BROADSIDE_FUZZ_H
#define BROADSIDE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Set-up, once per process, before the first input.  Returns 0. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* One input: must not crash, leak or hang; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A new private directory under $TMPDIR (or /tmp), removed with all it
 * holds when the process exits.  The string is static.  Aborts when the
 * directory cannot be made.
 */
const char *fuzz_tmpdir(void);

/* The schema directory: $BS_SRCDIR/sql, else FUZZ_SRCDIR/sql. */
const char *fuzz_sql_dir(void);

/*
 * Splits data at the first occurrence of the byte sep: *head and *hlen
 * get what precedes it, *rest and *rlen what follows (NULL, 0 without a
 * separator: then head is everything).
 */
void fuzz_split(const uint8_t *data, size_t size, uint8_t sep,
    const uint8_t **head, size_t *hlen, const uint8_t **rest, size_t *rlen);

/* A NUL-terminated copy of data[0..len) (free it). */
char *fuzz_strndup(const uint8_t *data, size_t len);

#endif
