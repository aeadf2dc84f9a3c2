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

/*
 * Signing and submitting (cli_stamp.c), shared by the write subcommands.
 */

/** Fetches the server's Info (ledger ID, limits); prints and returns the
 * exit code on failure. Free out->checkpoint. */
int cli_info_get(wb_rpc_info *out, const char *cmd, wb_rpc_client *c);

/** Encodes stamp s and signs it with key into *sub (sub->body malloc'd:
 * free it). Returns CLI_OK or the exit code after printing. */
int cli_stamp_sign(wb_submission *sub, const char *cmd, const wb_stamp *s,
                   const wb_signer *key);

/** A fresh event ID: "urn:uuid:" and a random (version 4) UUID. */
void cli_event_id_new(char out[64]);

/** Submits one signed item alone; on a refusal (or any failure) prints
 * why, naming `what`, and returns the exit code; on CLI_OK *res holds the
 * one result (wb_rpc_results_free(*res, 1)). tree_size may be NULL. */
int cli_submit_one(wb_rpc_result **res, uint64_t *tree_size, const char *cmd,
                   wb_rpc_client *c, const wb_submission *sub,
                   const char *what);

/* What one item of a batch became (cli_submit_batch). */
typedef enum {
	CLI_SENT_WRITTEN,    /* recorded now */
	CLI_SENT_DUPLICATE,  /* recorded before */
	CLI_SENT_REFUSED,    /* refused by the ledger: see problem */
	CLI_SENT_NOT_WRITTEN /* fine itself, in an atomic batch refused for
	                        another item */
} cli_sent;

typedef struct {
	cli_sent status;
	uint64_t index;     /* written or duplicate */
	bool custody_gap;   /* written or duplicate */
	wb_problem problem; /* refused: reason and message (never empty) */
} cli_outcome;

/**
 * Submits subs[0, n) in one request (atomic or not) and fills out[0, n)
 * with what became of each. Returns CLI_OK, or the exit code of a failure
 * that stops everything (network, ledger full, ...) after printing it
 * with cmd and what; out is then untouched. Used by `submit` and `epcis
 * import`, which decide themselves what to send.
 */
int cli_submit_batch(cli_outcome *out, const wb_submission *subs, size_t n,
                     wb_rpc_client *c, bool atomic, uint64_t *tree_size,
                     const char *cmd, const char *what);

/* Events read from a file (cli_submit.c): JSON Lines, a JSON array or an
 * EPCIS document's eventList. */
typedef struct {
	json_t **events; /* owned references; NULL: the line is not JSON */
	char **errors;   /* why events[i] is NULL (malloc'd), else NULL */
	size_t *lines;   /* JSON Lines: each event's line; else 0 */
	size_t n;
	json_t *context; /* the document's @context, or NULL */
} cli_events;

/** Reads the events of path ("-": standard input). Returns CLI_OK or the
 * exit code after printing (a missing file, no events, bad JSON). */
int cli_events_load(cli_events *out, const char *cmd, const char *path);
void cli_events_fini(cli_events *e);

/* The write subcommands. */
int cmd_register(int argc, char **argv);
int cmd_roles(int argc, char **argv);
int cmd_rotate(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_stamp(int argc, char **argv);
int cmd_master(int argc, char **argv);
int cmd_submit(int argc, char **argv);

/* The auditor (cli_audit.c). */
int cmd_audit(int argc, char **argv);

/** True when `waybill export ARGS` names a server (--server, or
 * $WAYBILL_SERVER without --data): cmd_export then hands over to
 * cmd_export_server. */
bool cli_export_wants_server(int argc, char **argv);
int cmd_export_server(int argc, char **argv);

/*
 * The read subcommands (cli_read.c, cli_trace.c, cli_prove.c).
 */

/* An aligned text table: rows of n_cols strings (copied; NULL or "" shows
 * as "-"), columns padded to their widest cell. The first row is usually
 * the header. */
typedef struct {
	size_t n_cols, n_rows, cap;
	char **cells;
	bool failed; /* out of memory: rows were dropped */
} cli_table;

void cli_table_init(cli_table *t, size_t n_cols);
/** Adds one row: exactly n_cols `const char *` arguments. */
void cli_table_row(cli_table *t, ...);
void cli_table_print(const cli_table *t, FILE *f);
void cli_table_fini(cli_table *t);

/** cli_connect for a read: a read needs a registered key, so without
 * --key or WAYBILL_KEY it fails with CLI_REFUSED and says so. Close with
 * cli_read_close. */
int cli_read_connect(wb_rpc_client **out, wb_signer **key_out, const char *cmd,
                     const cli_net_opts *o);
void cli_read_close(wb_rpc_client *c, wb_signer *key);

/** Parses an RFC 3339 time (2026-01-01T09:30:00.5Z, or with +hh:mm). */
bool cli_parse_time(const char *text, wb_time *out);

/** A JSON string, or null for NULL, "" or text that is not UTF-8. */
json_t *cli_json_str(const char *s);
/** An RFC 3339 UTC string, or null for the zero time. */
json_t *cli_json_time(const wb_time *t);

/** cli_opt for a whole number in [min, max]; exits with a usage error
 * naming the option when the value is not one. */
bool cli_index_opt(int argc, char **argv, int *i, const char *cmd,
                   const char *name, unsigned long long min,
                   unsigned long long max, unsigned long long *out);

/** The log key to verify against: --log-key (the trust anchor) when given,
 * else the one the server's Info names. Returns CLI_OK or the exit code
 * after printing. */
int cli_log_anchor(char origin[WB_KEY_NAME_MAX + 1], wb_pubkey *pk,
                   const char *cmd, wb_rpc_client *c, const char *log_key);

/** A recall status as JSON ({"state", "hits": [...]}) and as text. */
json_t *cli_recall_status_json(const wb_recall_status *s);
void cli_recall_status_print(const wb_recall_status *s, const char *twin);

/* The master-data names of locations, for the read commands (cli_read.c):
 * each distinct ID is asked once (wb_rpc_master_data). Names are a
 * courtesy: an ID never described, or a failed lookup, has the name "". */
typedef struct {
	char **ids, **names;
	size_t n, cap;
	bool offline; /* a lookup went unanswered: ask no more */
} cli_places;

/** The name of location id ("" when none; NULL and "" have none). */
const char *cli_place_name(cli_places *pl, wb_rpc_client *c, const char *id);
/** "ID (Name)", or the ID alone without a name, written to out. */
const char *cli_place_label(char *out, size_t size, cli_places *pl,
                            wb_rpc_client *c, const char *id);
void cli_places_fini(cli_places *pl);

int cmd_history(int argc, char **argv);
int cmd_passport(int argc, char **argv);
int cmd_where(int argc, char **argv);
int cmd_installations(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
/** `waybill info` without --data: the server's Info. */
int cmd_info_remote(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_recall(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_verify_receipt(int argc, char **argv);

/* The FSMA 204 export and its offline audit (cli_fsma.c): cmd_export and
 * cmd_audit hand over when an argument is --fsma204. */
/** True when an argument is --fsma204. */
bool cli_wants_fsma204(int argc, char **argv);
int cmd_export_fsma204(int argc, char **argv);
int cmd_audit_fsma204(int argc, char **argv);

/* EPCIS 2.0 documents: `waybill epcis import` (cli_epcis.c) hands
 * `waybill epcis export` to cli_epcis_export.c. */
int cmd_epcis(int argc, char **argv);
int cmd_epcis_export(int argc, char **argv);

#endif
