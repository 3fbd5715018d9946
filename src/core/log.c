/* Logging to stderr with an RFC 3339 UTC timestamp and a level tag. */
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int log_level = LOG_INFO;

int log_level_parse(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i; /* the LOG_* values are the indexes */
	return -EINVAL;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const tags[] = { "E", "W", "I", "D" };
	char ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s ", ts, now.tv_nsec / 1000000, tags[level < 0 ? 0 : level > 3 ? 3 : level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
