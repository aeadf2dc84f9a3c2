/* SPDX-License-Identifier: MIT */
/*
 * clirun.h - end-to-end tests of the waybill CLI run the real binary (path
 * from $WAYBILL) as a child process and look at its exit status, its
 * output and, for --json, the parsed JSON.
 */
#ifndef WAYBILL_TEST_CLIRUN_H
#define WAYBILL_TEST_CLIRUN_H

#include <jansson.h>

typedef struct {
	int status;   /* exit status; 128 + signal number when killed */
	char *out;    /* everything written to stdout (NUL-terminated) */
	char *err;    /* everything written to stderr */
	json_t *json; /* stdout parsed as JSON, or NULL when it is not */
} cli_result;

/**
 * Runs `waybill ARGS...` (NULL-terminated) in directory cwd (NULL: the
 * current one), with extra environment entries env ("NAME=value",
 * NULL-terminated array; may be NULL), stdin from stdin_path (NULL:
 * /dev/null). Fails the test when the program cannot be started or runs
 * longer than 120 s. Free with cli_result_free.
 */
cli_result cli_run_env(const char *cwd, const char *const *env,
                       const char *stdin_path, ...);

/** cli_run_env with no cwd, env or stdin. */
#define cli_run(...) cli_run_env(NULL, NULL, NULL, __VA_ARGS__)

void cli_result_free(cli_result *r);

/** Fails the test (printing the command's stderr) unless it exited with
 * `status`. */
void cli_expect_status(const cli_result *r, int status);

#endif
