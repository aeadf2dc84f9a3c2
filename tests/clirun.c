/* SPDX-License-Identifier: MIT */
#include "clirun.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define MAX_ARGS 128

typedef struct {
	char *b;
	size_t n, cap;
} buf;

static void
buf_add(buf *b, const char *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->b = realloc(b->b, b->cap);
		assert_non_null(b->b);
	}
	memcpy(b->b + b->n, data, n);
	b->n += n;
	b->b[b->n] = '\0';
}

static char *
buf_take(buf *b)
{
	if (b->b == NULL) {
		b->b = calloc(1, 1);
		assert_non_null(b->b);
	}
	return b->b;
}

static void
child(const char *cwd, const char *const *env, const char *stdin_path,
      int out_fd, int err_fd, char **argv)
{
	int in = open(stdin_path != NULL ? stdin_path : "/dev/null", O_RDONLY);

	if (in < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0 || (cwd != NULL && chdir(cwd) != 0)) {
		_exit(127);
	}
	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		putenv((char *)env[i]);
	}
	execv(argv[0], argv);
	_exit(127);
}

cli_result
cli_run_env(const char *cwd, const char *const *env, const char *stdin_path,
            ...)
{
	const char *exe = getenv("WAYBILL");
	char *argv[MAX_ARGS + 2];
	int out_p[2], err_p[2], wstatus;
	size_t argc = 0;
	buf out = { 0 }, err = { 0 };
	struct pollfd fds[2];
	time_t deadline = time(NULL) + 120;
	cli_result r = { 0 };
	va_list ap;
	pid_t pid;

	if (exe == NULL) {
		fail_msg("WAYBILL (the waybill binary) is not set");
	}
	argv[argc++] = (char *)exe;
	va_start(ap, stdin_path);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(pipe(out_p), 0);
	assert_int_equal(pipe(err_p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(out_p[0]);
		close(err_p[0]);
		child(cwd, env, stdin_path, out_p[1], err_p[1], argv);
	}
	close(out_p[1]);
	close(err_p[1]);
	fds[0] = (struct pollfd){ .fd = out_p[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = err_p[0], .events = POLLIN };
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		char chunk[65536];

		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("waybill %s ran longer than 120 s",
			         argc > 1 ? argv[1] : "");
		}
		if (poll(fds, 2, 1000) < 0) {
			continue;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (fds[i].fd < 0 ||
			    (fds[i].revents & (POLLIN | POLLHUP)) == 0) {
				continue;
			}
			n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
			} else {
				buf_add(i == 0 ? &out : &err, chunk, (size_t)n);
			}
		}
	}
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
	                              : 128 + WTERMSIG(wstatus);
	r.out = buf_take(&out);
	r.err = buf_take(&err);
	r.json = json_loads(r.out, JSON_DECODE_ANY, NULL);
	return r;
}

void
cli_result_free(cli_result *r)
{
	free(r->out);
	free(r->err);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

void
cli_expect_status(const cli_result *r, int status)
{
	if (r->status != status) {
		fail_msg(
		        "waybill exited %d, expected %d; stderr: %s; stdout: %.2000s",
		        r->status, status, r->err, r->out);
	}
}
