/*
 * Fuzz target: the configuration (src/conf.c).  The input up to the first
 * NUL byte is a config file, read through config_load_file() from a
 * memory file; the rest, when there is one, is a command line (one
 * argument per line) given to config_parse_args() after "--config FILE"
 * (a line that names config is dropped: it could name a FIFO).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "fuzz.h"
#include "log.h"

#define FUZZ_CONF_MAX_ARGS 64

static int memfd = -1;
static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz_conf", 0);
	if (memfd < 0) {
		perror("fuzz_conf: memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

static void
parse_args(char *lines)
{
	char *argv[FUZZ_CONF_MAX_ARGS + 4];
	int argc = 0;
	char err[512];
	struct config cfg;

	argv[argc++] = (char *)"broadsided";
	argv[argc++] = (char *)"--config";
	argv[argc++] = path;
	for (char *s = lines; s != NULL && argc < FUZZ_CONF_MAX_ARGS;) {
		char *nl = strchr(s, '\n');

		if (nl != NULL)
			*nl = '\0';
		/* Another --config could name a file that blocks (a FIFO). */
		if (strstr(s, "config") == NULL)
			argv[argc++] = s;
		s = nl != NULL ? nl + 1 : NULL;
	}
	argv[argc] = NULL;
	config_init(&cfg);
	/* getopt keeps its place between calls. */
	optind = 0;
	config_parse_args(&cfg, argc, argv, err, sizeof(err));
	config_free(&cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *file, *args;
	size_t flen, alen;
	struct config cfg;
	char err[512];

	fuzz_split(data, size, 0, &file, &flen, &args, &alen);
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, file, flen, 0) !=
	    (ssize_t)flen)
		abort();
	config_init(&cfg);
	config_load_file(&cfg, path, err, sizeof(err));
	config_free(&cfg);
	if (args != NULL) {
		char *lines = fuzz_strndup(args, alen);

		parse_args(lines);
		free(lines);
	}
	/* log_level may have been set from the file. */
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}
