/* SPDX-License-Identifier: MIT */
/*
 * bench_daemon.h - the built programs a mode runs (waybilld, waybill) and
 * the daemon as a child process: started with its stdout on a pipe until
 * it says where it listens, stopped with SIGTERM. The modes that measure
 * the daemon as its users run it (epcis, soak) share this.
 */
#ifndef WAYBILL_TOOLS_BENCH_DAEMON_H
#define WAYBILL_TOOLS_BENCH_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
	pid_t pid;               /* 0 when not running */
	char url[PATH_MAX + 16]; /* where it listens (its first --listen) */
	char log_path[PATH_MAX]; /* its stderr, or "" when inherited */
} bench_daemon;

/**
 * This program's own path (/proc/self/exe), into out (size bytes).
 * @return false when it cannot be read or does not fit.
 */
bool bench_self_path(char *out, size_t size);

/**
 * The program `name`: $env when set, else next to this program (where the
 * build puts them all). Writes the path into out.
 * @return BENCH_OK; BENCH_ERROR (printed) when it is not executable.
 */
int bench_find_program(char *out, size_t size, const char *name,
                       const char *env);

/**
 * Starts args[0] with args (NULL-terminated; borrowed) and waits for its
 * "listening  URL" line. Its stderr goes to log_path (created; NULL: this
 * program's stderr). The child gets SIGTERM should this program die
 * without stopping it.
 * @return BENCH_OK; BENCH_ERROR (printed, naming the log) when it could
 * not be started or never said where it listens.
 */
int bench_daemon_start(bench_daemon *d, const char *const *args,
                       const char *log_path);

/**
 * SIGTERM, then waits up to wait_ms for it to exit (then SIGKILL). Does
 * nothing when it is not running.
 * @return true when it exited 0 in time (or was not running).
 */
bool bench_daemon_stop(bench_daemon *d, int wait_ms);

#endif
