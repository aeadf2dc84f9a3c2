/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the waybill subcommands share: exit codes, option parsing
 * helpers, messages and JSON output.
 */
#ifndef WAYBILL_CLI_H
#define WAYBILL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "waybill/ledger.h"

/* Exit codes: each class of failure has its own, so scripts can tell them
 * apart. */
enum {
	CLI_OK = 0,
	CLI_VERIFY_FAILED = 1, /* a verification found a problem */
	CLI_USAGE = 2,         /* wrong arguments: see --help */
	CLI_REFUSED = 3,       /* the ledger refused the request */
	CLI_NETWORK = 4,       /* the server could not be reached */
	CLI_ERROR = 5,         /* anything else (files, keys, the ledger) */
};

typedef struct {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
} cli_command;

/** Prints "waybill <cmd>: message" to stderr; returns code. */
int cli_fail(int code, const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/** True when argv[*i] is `name`; then *value_out is the next argument
 * (advancing *i). Exits with a usage error when the value is missing. */
bool cli_opt(int argc, char **argv, int *i, const char *name,
             const char **value_out);

/** True when argv[i] is -h or --help. */
bool cli_is_help(const char *arg);

/** Parses a decimal count; false when not a number in [min, max]. */
bool cli_parse_u64(const char *text, unsigned long long min,
                   unsigned long long max, unsigned long long *out);

/** Writes s as a JSON string literal (with quotes). */
void cli_json_string(FILE *f, const char *s);

/** The user-facing sentence for a journal open error. */
const char *cli_open_error(wb_err rc);

/** Opens a ledger for reading (no log key). Prints the error and returns
 * NULL on failure. */
wb_journal *cli_open_ledger(const char *cmd, const char *dir);

int cmd_keygen(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_backup(int argc, char **argv);

#endif
