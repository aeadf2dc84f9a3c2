/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the waybill subcommands share: exit codes, option parsing
 * helpers, messages and JSON output.
 */
#ifndef WAYBILL_CLI_H
#define WAYBILL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "rpc/rpc.h"
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

/*
 * The networked subcommands (cli_net.c).
 */

/* What every networked subcommand takes. */
typedef struct {
	const char *server;   /* --server, else $WAYBILL_SERVER, else default */
	const char *key_path; /* --key, else the file $WAYBILL_KEY names */
	const char *tls_ca;   /* --tls-ca: the CA of a tls+tcp:// server */
	unsigned timeout_ms;  /* --timeout SECONDS; 0: the client's 10 s */
	bool json;            /* --json */
} cli_net_opts;

/** The lines every networked --help ends with. */
extern const char cli_net_help[];

/** Fills defaults from the environment. */
void cli_net_init(cli_net_opts *o);

/**
 * Consumes argv[*i] (and its value) when it is one of the shared options;
 * exits with a usage error on a bad value.
 */
bool cli_net_opt(int argc, char **argv, int *i, cli_net_opts *o);

/**
 * Loads a private key file for signing (a world-readable one is refused).
 * path NULL: o->key_path, and a clear error when neither --key nor
 * $WAYBILL_KEY names one. Returns CLI_OK or the exit code after printing.
 */
int cli_load_key(wb_signer **out, const char *cmd, const char *path);

/**
 * Opens a client to o->server. with_key: reads authenticate with the key
 * o->key_path names, loaded into *key_out: the caller frees it with
 * wb_signer_free after closing the client (key_out may be NULL only when
 * !with_key). Returns CLI_OK or the exit code after printing.
 */
int cli_connect(wb_rpc_client **out, wb_signer **key_out, const char *cmd,
                const cli_net_opts *o, bool with_key);

/**
 * Prints why a call failed and returns its exit code: CLI_NETWORK when the
 * server did not answer, CLI_REFUSED when it refused (with its reason and
 * message), CLI_VERIFY_FAILED when an answer failed verification,
 * CLI_ERROR otherwise. `what` names the call ("history of X").
 */
int cli_rpc_fail(const char *cmd, const wb_rpc_client *c, wb_err rc,
                 const wb_problem *p, const char *what);

/** Prints a JSON value to stdout (indented, one trailing newline) and
 * releases it (json_decref). NULL (allocation failed) prints nothing and
 * returns CLI_ERROR. */
int cli_json_print(json_t *v);

/** Lower-case hex of n bytes as a new JSON string. */
json_t *cli_json_hex(const uint8_t *b, size_t n);

/** "2026-11-26T13:05:00.123Z" (UTC, RFC 3339; nanos when set). */
void cli_format_time(char *out, size_t size, int64_t seconds, uint32_t nanos,
                     bool has_nanos);

int cmd_keygen(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_backup(int argc, char **argv);

#endif
