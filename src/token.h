/*
 * Bearer tokens: 256 random bits from getrandom(2), written as 43
 * base64url characters.  Only their SHA-256 hashes are stored; a presented
 * token is hashed and compared to the stored hash in constant time.
 * Join codes are shorter random strings meant to be read aloud.
 *
 * Any thread.
 */
#ifndef BROADSIDE_TOKEN_H
#define BROADSIDE_TOKEN_H

#include <stddef.h>

#define TOKEN_BYTES 32
#define TOKEN_LEN 43		/* base64url of 32 bytes, no padding */
#define TOKEN_HASH_LEN 32	/* SHA-256 */

/*
 * Writes a new random token and its NUL into out (TOKEN_LEN + 1 bytes).
 * Returns 0 or BS_ERR_IO (getrandom failed).
 */
int token_new(char out[TOKEN_LEN + 1]);

/*
 * Writes len random characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L) and a NUL into out (len + 1 bytes).  0 or BS_ERR_IO.
 */
int token_code(char *out, size_t len);

/*
 * A random id of len lowercase letters and digits (len + 1 bytes), each
 * drawn uniformly from 32: 5 bits per character.  0 or BS_ERR_IO.
 */
int token_id(char *out, size_t len);

/* len random bytes from getrandom(2) into out.  0 or BS_ERR_IO. */
int token_random(void *out, size_t len);

/* The SHA-256 of a token string. */
void token_hash(const char *token, unsigned char hash[TOKEN_HASH_LEN]);

/*
 * Whether token (len bytes) has the shape of the tokens token_new()
 * makes: TOKEN_LEN characters of the base64url alphabet.  Anything else
 * cannot be a battle's token and is refused before it is hashed, so that
 * a long bogus token costs the server no more than a short one.  Reads
 * at most TOKEN_LEN + 1 bytes of it.
 */
int token_well_formed(const char *token, size_t len);

/*
 * Whether a (alen bytes) equals b (blen bytes), in a time that depends on
 * alen only, not on the contents or on where they differ: for secrets
 * (tokens, join codes) checked against what a client sent, which goes
 * as a (its length is the client's own).  The one constant-time compare
 * of the daemon.
 */
int token_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Compares two hashes in constant time; returns whether they are equal. */
int token_hash_equal(const unsigned char a[TOKEN_HASH_LEN],
    const unsigned char b[TOKEN_HASH_LEN]);

#endif
