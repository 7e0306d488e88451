/*
 * Unit tests for configuration (src/conf.c): defaults, the command line,
 * config files good and bad, the precedence between them, and --help
 * printing the defaults config_init() sets.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "error.h"

static char path[64];

/* Writes text to a fresh temporary file whose name is left in path. */
static void
write_file(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_conf_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
parse(struct config *cfg, char *err, size_t errlen, int argc, ...)
{
	char *argv[16];
	va_list ap;

	assert_true(argc < 15);
	va_start(ap, argc);
	argv[0] = (char *)"broadsided";
	for (int i = 1; i <= argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	return config_parse_args(cfg, argc + 1, argv, err, errlen);
}

static void
test_defaults(void **state)
{
	struct config cfg;
	char err[256];

	config_init(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 0), CONFIG_RUN);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_int_equal(cfg.max_body, 65536);
	assert_int_equal(cfg.drain_grace_s, 10);
	assert_int_equal(cfg.dev, 0);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	config_free(&cfg);
}

static void
test_command_line(void **state)
{
	struct config cfg;
	char err[256];

	config_init(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 7, "--listen",
	    "[::1]:9000", "--dev", "--max-body=1024", "--log-level", "debug",
	    "--db=/tmp/x.db"), CONFIG_RUN);
	assert_string_equal(cfg.listen, "[::1]:9000");
	assert_int_equal(cfg.dev, 1);
	assert_int_equal(cfg.max_body, 1024);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(cfg.db_path, "/tmp/x.db");
	config_free(&cfg);

	config_init(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 1, "--help"),
	    CONFIG_HELP);
	config_free(&cfg);
	config_init(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 1, "--version"),
	    CONFIG_VERSION);
	config_free(&cfg);
}

static void
test_bad_command_lines(void **state)
{
	static const char *const bad[][2] = {
		{ "--nope", NULL },
		{ "--listen", "localhost" },
		{ "--listen", "1.2.3.4:99999" },
		{ "--listen", "[::1:80" },
		{ "--max-body", "12k" },
		{ "--max-body", "-1" },
		{ "--log-level", "loud" },
		{ "--dev=maybe", NULL },
		{ "stray", NULL },
	};
	struct config cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = bad[i][1] ? 2 : 1;

		config_init(&cfg);
		err[0] = '\0';
		assert_int_equal(parse(&cfg, err, sizeof(err), n, bad[i][0],
		    bad[i][1]), BS_ERR_INVALID);
		/* One line that names the problem. */
		assert_true(strlen(err) > 10);
		assert_null(strchr(err, '\n'));
		config_free(&cfg);
	}
}

static void
test_good_file_and_precedence(void **state)
{
	struct config cfg;
	char err[256];

	write_file("# a comment\n\n  listen = 127.0.0.1:9001  \n"
	    "dev = yes\nmax-body=2048\nlog-level = warn\n"
	    "www = /srv/www with spaces\n");
	config_init(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 4, "--max-body", "99",
	    "--config", path), CONFIG_RUN);
	assert_string_equal(cfg.listen, "127.0.0.1:9001");
	assert_int_equal(cfg.dev, 1);
	/* The command line wins, wherever it stands. */
	assert_int_equal(cfg.max_body, 99);
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
	assert_string_equal(cfg.www_dir, "/srv/www with spaces");
	assert_string_equal(cfg.config_file, path);
	config_free(&cfg);
	unlink(path);
}

static void
test_bad_files(void **state)
{
	static const char *const bad[] = {
		"listen = 127.0.0.1:80\nbogus = 1\n",
		"max-body = lots\n",
		"just words\n",
		"config = /etc/other\n",
		"dev = perhaps\n",
	};
	struct config cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(bad[i]);
		config_init(&cfg);
		assert_int_equal(config_load_file(&cfg, path, err,
		    sizeof(err)), BS_ERR_INVALID);
		/* "FILE:LINE: problem" */
		assert_non_null(strstr(err, path));
		assert_non_null(strchr(err, ':'));
		config_free(&cfg);
		unlink(path);
	}
	write_file("bogus = 1\n");
	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)),
	    BS_ERR_INVALID);
	assert_non_null(strstr(err, ":1: unknown option 'bogus'"));
	config_free(&cfg);
	unlink(path);

	config_init(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, "--config",
	    "/nonexistent/broadside.conf"), BS_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/broadside.conf"));
	config_free(&cfg);
}

/*
 * The default --help prints for option name ("" for none), read from the
 * option's entry: from "  --name" to the next option.
 */
static void
help_default(const char *help, const char *name, char *out, size_t outlen)
{
	char key[64];
	const char *entry, *next, *def;
	size_t n;

	snprintf(key, sizeof(key), "\n  --%s ", name);
	entry = strstr(help, key);
	assert_non_null(entry);
	next = strstr(entry + 1, "\n  --");
	if (next == NULL)
		next = entry + strlen(entry);
	def = strstr(entry, "(default ");
	if (def == NULL || def > next) {
		out[0] = '\0';
		return;
	}
	def += strlen("(default ");
	n = strcspn(def, ")");
	assert_true(n < outlen);
	memcpy(out, def, n);
	out[n] = '\0';
}

/* --help prints the defaults config_init() sets, from the same table. */
static void
test_help_shows_defaults(void **state)
{
	struct config cfg;
	char *help = NULL, want[256], got[256];
	size_t helplen = 0;
	FILE *f;

	f = open_memstream(&help, &helplen);
	assert_non_null(f);
	config_usage(f);
	fclose(f);
	config_init(&cfg);

	help_default(help, "listen", got, sizeof(got));
	assert_string_equal(got, cfg.listen);
	help_default(help, "db", got, sizeof(got));
	assert_string_equal(got, cfg.db_path);
	help_default(help, "sql-dir", got, sizeof(got));
	assert_string_equal(got, cfg.sql_dir);
	help_default(help, "www", got, sizeof(got));
	assert_string_equal(got, cfg.www_dir);
	help_default(help, "metrics-allow", got, sizeof(got));
	assert_string_equal(got, cfg.metrics_allow);
	help_default(help, "max-body", got, sizeof(got));
	snprintf(want, sizeof(want), "%ld", cfg.max_body);
	assert_string_equal(got, want);
	help_default(help, "drain-grace", got, sizeof(got));
	snprintf(want, sizeof(want), "%d", cfg.drain_grace_s);
	assert_string_equal(got, want);
	help_default(help, "rate", got, sizeof(got));
	snprintf(want, sizeof(want), "%g", cfg.rate);
	assert_string_equal(got, want);
	help_default(help, "h2-max-header-list", got, sizeof(got));
	snprintf(want, sizeof(want), "%ld", cfg.h2_max_header_list);
	assert_string_equal(got, want);
	help_default(help, "log-level", got, sizeof(got));
	assert_string_equal(got, "info");
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	help_default(help, "durability", got, sizeof(got));
	assert_string_equal(got, "normal");
	assert_int_equal(cfg.durability_full, 0);
	/* No default, none printed. */
	help_default(help, "tls-cert", got, sizeof(got));
	assert_string_equal(got, "");
	assert_null(cfg.tls_cert);

	config_free(&cfg);
	free(help);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_bad_command_lines),
		cmocka_unit_test(test_good_file_and_precedence),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_help_shows_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
