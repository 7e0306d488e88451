/*
 * The regression driver of a fuzz target: a plain main() that feeds the
 * target every file of its corpus, so that make check replays what the
 * fuzzers found (and the seeds) with the ordinary compiler and, in a
 * --enable-sanitizers build, under ASan and UBSan.  Built once per target
 * with FUZZ_TARGET naming its corpus: tests/fuzz/corpus/FUZZ_TARGET/
 * under $BS_SRCDIR.  Arguments, when given, are files or directories to
 * replay instead.  Files go in name order, so a failure repeats.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "fuzz.h"

static size_t replayed;

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* Exactly len bytes, as libFuzzer gives them: ASan sees overreads. */
	{
		uint8_t *exact = xmalloc(len > 0 ? len : 1);

		if (len > 0)
			memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	replayed++;
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
replay_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, rv = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &names, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *file;

		if (names[i]->d_name[0] != '.') {
			file = xasprintf("%s/%s", path, names[i]->d_name);
			if (replay_path(file) != 0)
				rv = -1;
			free(file);
		}
		free(names[i]);
	}
	free(names);
	return rv;
}

int
main(int argc, char **argv)
{
	const char *src = getenv("BS_SRCDIR");
	int rv = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay_path(argv[i]) != 0)
				rv = 1;
	} else {
		char *dir = xasprintf("%s/tests/fuzz/corpus/%s",
		    src != NULL && *src != '\0' ? src : FUZZ_SRCDIR,
		    FUZZ_TARGET);

		if (replay_path(dir) != 0)
			rv = 1;
		free(dir);
	}
	if (replayed == 0) {
		fprintf(stderr, "replay: no input replayed\n");
		rv = 1;
	}
	printf("%s: %zu inputs replayed\n", FUZZ_TARGET, replayed);
	return rv;
}
