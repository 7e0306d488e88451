/*
 * Tokens, codes and their hashes (token.h).
 */
#include "config.h"

#include "token.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "error.h"

static int
random_bytes(unsigned char *out, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(out + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return BS_ERR_IO;
		got += (size_t)n;
	}
	return 0;
}

int
token_new(char out[TOKEN_LEN + 1])
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[TOKEN_BYTES + 1];
	size_t o = 0;

	if (random_bytes(raw, TOKEN_BYTES) != 0)
		return BS_ERR_IO;
	raw[TOKEN_BYTES] = 0;
	/* 32 bytes = 10 groups of 3 + 2 bytes: 40 + 3 characters. */
	for (size_t i = 0; i < TOKEN_BYTES; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
		    (i + 2 < TOKEN_BYTES ? raw[i + 2] : 0);

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		if (i + 2 < TOKEN_BYTES)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	return 0;
}

/* len characters drawn uniformly from alphabet (rejection sampling). */
static int
random_string(char *out, size_t len, const char *alphabet)
{
	size_t n = strlen(alphabet), o = 0;
	unsigned limit = 256 - 256 % (unsigned)n;
	unsigned char raw[64];

	while (o < len) {
		if (random_bytes(raw, sizeof(raw)) != 0)
			return BS_ERR_IO;
		for (size_t i = 0; i < sizeof(raw) && o < len; i++)
			if (raw[i] < limit)
				out[o++] = alphabet[raw[i] % n];
	}
	out[len] = '\0';
	return 0;
}

int
token_code(char *out, size_t len)
{
	/* No 0, O, 1, I or L: codes are read aloud and typed. */
	return random_string(out, len, "ABCDEFGHJKMNPQRSTUVWXYZ23456789");
}

int
token_id(char *out, size_t len)
{
	return random_string(out, len, "abcdefghijkmnpqrstuvwxyz23456789");
}

int
token_random(void *out, size_t len)
{
	return random_bytes(out, len);
}

void
token_hash(const char *token, unsigned char hash[TOKEN_HASH_LEN])
{
	gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), hash);
}

int
token_well_formed(const char *token, size_t len)
{
	if (len != TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < TOKEN_LEN; i++) {
		char c = token[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int
token_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char *x = a, *y = b;
	unsigned char diff = alen != blen;

	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)(x[i] ^ (blen > 0 ? y[i % blen] : 0));
	return diff == 0;
}

int
token_hash_equal(const unsigned char a[TOKEN_HASH_LEN],
    const unsigned char b[TOKEN_HASH_LEN])
{
	return token_equal(a, TOKEN_HASH_LEN, b, TOKEN_HASH_LEN);
}
