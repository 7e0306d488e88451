/*
 * Logging: one line per event on stderr, "TIME LEVEL message".  Quiet at
 * the default level (info): start-up, shutdown, warnings and errors.
 * Request bodies and tokens are never passed to these functions.
 *
 * Any thread may log; each line is written with a single write(2), so lines
 * from the loop and the storage thread never interleave.
 */
#ifndef BROADSIDE_LOG_H
#define BROADSIDE_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Sets the most verbose level that is written (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);

/* Parses "error", "warn", "info" or "debug"; returns 0 or BS_ERR_INVALID. */
int log_parse_level(const char *name, enum log_level *out);

/* Whether a message at this level would be written. */
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                     \
	do {                                                               \
		if (log_enabled(LOG_LEVEL_DEBUG))                          \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);             \
	} while (0)

#endif
