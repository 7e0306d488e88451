/*
 * broadsided: the Broadside battle server.  Reads the options, sets up the
 * process (signals, descriptor limit) and runs the daemon until a drain
 * ends.  Exit status: 0 after a clean drain, 1 on a runtime failure, 2 on a
 * bad option or configuration.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "error.h"
#include "log.h"

/* The descriptor limit bounds connections: raise it as far as allowed. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Without its schema the daemon cannot open the store: refuse before the
 * database file is created, naming the directory tried (the default is
 * under the pkgdatadir of the build, which a daemon run from its build
 * tree does not have).  Returns 0 or BS_ERR_INVALID with err set.
 */
static int
check_sql_dir(const struct config *cfg, char *err, size_t errlen)
{
	struct stat st;

	if (stat(cfg->sql_dir, &st) != 0) {
		snprintf(err, errlen, "no schema directory %s (--sql-dir): %s",
		    cfg->sql_dir, strerror(errno));
		return BS_ERR_INVALID;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--sql-dir %s is not a directory",
		    cfg->sql_dir);
		return BS_ERR_INVALID;
	}
	return 0;
}

/*
 * The pages are optional (the API works without them), so a missing
 * --www only warns: otherwise / answers 404 and nobody knows why.
 */
static void
check_www(const struct config *cfg)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/index.html", cfg->www_dir);
	if (access(path, R_OK) != 0)
		log_warn("no player console at %s (--www %s): %s; / and the "
		    "consoles answer 404", path, cfg->www_dir,
		    strerror(errno));
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct daemon *d = NULL;
	char err[512] = "";
	sigset_t mask;
	int rv, status;

	config_init(&cfg);
	rv = config_parse_args(&cfg, argc, argv, err, sizeof(err));
	if (rv < 0) {
		fprintf(stderr, "broadsided: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	if (rv == CONFIG_HELP || rv == CONFIG_VERSION) {
		if (rv == CONFIG_HELP)
			config_usage(stdout);
		else
			printf("broadsided %s\n", PACKAGE_VERSION);
		config_free(&cfg);
		return 0;
	}
	log_set_level(cfg.log_level);
	if (check_sql_dir(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "broadsided: %s\n", err);
		config_free(&cfg);
		return 2;
	}

	/* Signals arrive through the daemon's signalfd, in the loop. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	raise_fd_limit();

	rv = daemon_new(&d, &cfg, err, sizeof(err));
	if (rv != 0) {
		fprintf(stderr, "broadsided: %s\n", err);
		config_free(&cfg);
		return rv == BS_ERR_INVALID ? 2 : 1;
	}
	check_www(&cfg);
	status = daemon_run(d) == 0 ? 0 : 1;
	daemon_free(d);
	log_info("stopped");
	config_free(&cfg);
	return status;
}
