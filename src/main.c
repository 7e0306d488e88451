/*
 * broadsided: the Broadside battle server.  Reads the options, sets up the
 * process (signals, descriptor limit) and runs the daemon until a drain
 * ends.  Exit status: 0 after a clean drain, 1 on a runtime failure, 2 on a
 * bad option or configuration.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

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
	status = daemon_run(d) == 0 ? 0 : 1;
	daemon_free(d);
	log_info("stopped");
	config_free(&cfg);
	return status;
}
