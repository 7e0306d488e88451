/*
 * The stderr logger (log.h).
 */
#include "config.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "name.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };

/* Written once at start-up, read by every thread afterwards. */
static volatile int current_level = LOG_LEVEL_INFO;

void
log_set_level(enum log_level level)
{
	current_level = level;
}

int
log_parse_level(const char *name, enum log_level *out)
{
	int i = name_index(name, &level_names[0], sizeof(level_names) /
	    sizeof(level_names[0]), sizeof(level_names[0]));

	if (i < 0)
		return BS_ERR_INVALID;
	*out = (enum log_level)i;
	return 0;
}

int
log_enabled(enum log_level level)
{
	return (int)level <= current_level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000, level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	/* Control characters from clients never reach the terminal. */
	for (int i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = '?';
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
