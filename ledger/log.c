/* SPDX-License-Identifier: MIT */
#include "waybill/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Set once at start-up, before threads, then only read. */
static wb_log_level threshold = WB_LOG_WARN;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
wb_log_set_level(wb_log_level level)
{
	threshold = level;
}

int
wb_log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

int
wb_log_enabled(wb_log_level level)
{
	return level <= threshold;
}

void
wb_log_write(wb_log_level level, const char *file, int line, const char *fmt,
             ...)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	const char *base;
	va_list ap;

	if (level > threshold) {
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ %s %s:%d: %s\n", stamp, ts.tv_nsec / 1000000,
	        level_names[level], base, line, msg);
}
