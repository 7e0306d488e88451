/* Shared helpers of the fuzz targets (fuzz.h). */
#include "config.h"

#include "fuzz.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

static char tmpdir[256];
static char sqldir[1024];

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
remove_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0] != '\0')
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/bs_fuzz_XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_tmpdir);
	return tmpdir;
}

const char *
fuzz_sql_dir(void)
{
	const char *src = getenv("BS_SRCDIR");

	snprintf(sqldir, sizeof(sqldir), "%s/sql",
	    src != NULL && *src != '\0' ? src : FUZZ_SRCDIR);
	return sqldir;
}

void
fuzz_split(const uint8_t *data, size_t size, uint8_t sep,
    const uint8_t **head, size_t *hlen, const uint8_t **rest, size_t *rlen)
{
	const uint8_t *at = size > 0 ? memchr(data, sep, size) : NULL;

	*head = data;
	if (at == NULL) {
		*hlen = size;
		*rest = NULL;
		*rlen = 0;
		return;
	}
	*hlen = (size_t)(at - data);
	*rest = at + 1;
	*rlen = size - *hlen - 1;
}

char *
fuzz_strndup(const uint8_t *data, size_t len)
{
	char *s = xmalloc(len + 1);

	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}
