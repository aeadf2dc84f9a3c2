/* SPDX-License-Identifier: MIT */
#include "bench_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

bool
bench_self_path(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);

	if (n <= 0 || (size_t)n >= size - 1) {
		return false;
	}
	out[n] = '\0';
	return true;
}

int
bench_find_program(char *out, size_t size, const char *name, const char *env)
{
	const char *v = getenv(env);
	char self[PATH_MAX];
	char *slash;

	if (v != NULL && v[0] != '\0') {
		snprintf(out, size, "%s", v);
	} else {
		if (!bench_self_path(self, sizeof(self))) {
			return bench_fail("cannot tell where waybill-bench is "
			                  "(set $%s)",
			                  env);
		}
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
		}
		if ((size_t)snprintf(out, size, "%s/%s", self, name) >= size) {
			return bench_fail("%s: the path is too long", self);
		}
	}
	if (access(out, X_OK) != 0) {
		return bench_fail("%s: %s (build it, or name it with $%s)", out,
		                  strerror(errno), env);
	}
	return BENCH_OK;
}

/* Reads the daemon's "listening  URL" line from its stdout. */
static int
read_url(bench_daemon *d, int fd)
{
	char buf[4096];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
		char *line, *end;

		n += (size_t)r;
		buf[n] = '\0';
		if ((line = strstr(buf, "listening  ")) != NULL &&
		    (end = strchr(line, '\n')) != NULL) {
			*end = '\0';
			snprintf(d->url, sizeof(d->url), "%s", line + 11);
			return BENCH_OK;
		}
	}
	if (d->log_path[0] != '\0') {
		return bench_fail("waybilld did not say where it listens "
		                  "(its log: %s)",
		                  d->log_path);
	}
	return bench_fail("waybilld did not say where it listens");
}

int
bench_daemon_start(bench_daemon *d, const char *const *args,
                   const char *log_path)
{
	int out[2], rc, log_fd = -1;

	d->pid = 0;
	d->url[0] = '\0';
	snprintf(d->log_path, sizeof(d->log_path), "%s",
	         log_path ? log_path : "");
	if (log_path != NULL &&
	    (log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	                   0600)) < 0) {
		return bench_fail("%s: %s", log_path, strerror(errno));
	}
	if (pipe(out) != 0) {
		rc = bench_fail("pipe: %s", strerror(errno));
		goto done;
	}
	if ((d->pid = fork()) < 0) {
		d->pid = 0;
		close(out[0]);
		close(out[1]);
		rc = bench_fail("fork: %s", strerror(errno));
		goto done;
	}
	if (d->pid == 0) {
		/* Should this program die without stopping it (a crash, a
		 * sanitizer's abort), the daemon is told to stop too. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(out[1], STDOUT_FILENO);
		if (log_fd >= 0) {
			dup2(log_fd, STDERR_FILENO);
		}
		close(out[0]);
		close(out[1]);
		execv(args[0], (char *const *)(uintptr_t)args);
		_exit(127);
	}
	close(out[1]);
	rc = read_url(d, out[0]);
	close(out[0]);
done:
	if (log_fd >= 0) {
		close(log_fd);
	}
	return rc;
}

bool
bench_daemon_stop(bench_daemon *d, int wait_ms)
{
	int status = 0;

	if (d->pid <= 0) {
		return true;
	}
	kill(d->pid, SIGTERM);
	for (int waited = 0; waited < wait_ms; waited += 10) {
		struct timespec ts = { 0, 10 * 1000000L };

		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				return true;
			}
			bench_note("waybilld %s %d on SIGTERM",
			           WIFSIGNALED(status) ? "died of signal"
			                               : "exited",
			           WIFSIGNALED(status) ? WTERMSIG(status)
			                               : WEXITSTATUS(status));
			return false;
		}
		nanosleep(&ts, NULL);
	}
	bench_note("waybilld did not stop in %d s: killed", wait_ms / 1000);
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
	return false;
}
