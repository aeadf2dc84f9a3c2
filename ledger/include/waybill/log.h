/* SPDX-License-Identifier: MIT */
/*
 * log.h - one line per diagnostic on stderr: time, level, file:line,
 * message. The level threshold is process-wide and set once at start-up.
 *
 * THREAD SAFETY: wb_log_write is thread-safe (one fprintf per line).
 */
#ifndef WAYBILL_LOG_H
#define WAYBILL_LOG_H

typedef enum {
	WB_LOG_ERROR = 0,
	WB_LOG_WARN,
	WB_LOG_INFO,
	WB_LOG_DEBUG,
} wb_log_level;

/** Sets the threshold (default WB_LOG_WARN); call before threads start. */
void wb_log_set_level(wb_log_level level);

/** Parses "error", "warn", "info", "debug"; returns -1 when unknown. */
int wb_log_level_parse(const char *name);

/** True when a message at this level would be written. */
int wb_log_enabled(wb_log_level level);

void wb_log_write(wb_log_level level, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define wb_log(level, ...) \
	wb_log_write((level), __FILE__, __LINE__, __VA_ARGS__)

#endif
