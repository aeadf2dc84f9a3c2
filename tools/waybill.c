/* SPDX-License-Identifier: MIT */
/*
 * waybill - the command-line tool: one subcommand per job, each with
 * --help. Subcommands parse arguments and print; the work is libwaybill's.
 */
#include "cli.h"

#include <string.h>

static const cli_command commands[] = {
	{ "keygen", "generate an Ed25519 key (C2SP key text forms)",
	  cmd_keygen },
	{ "init", "create a ledger: genesis with origin, log and admin keys",
	  cmd_init },
	{ "verify", "verify a ledger's whole journal offline", cmd_verify },
	{ "info", "show a ledger's identity, keys, size and checkpoint",
	  cmd_info },
	{ "export", "write a self-verifying export of a journal range",
	  cmd_export },
	{ "backup", "a consistent hot copy of a ledger, verified", cmd_backup },
	{ "history", "a twin's entries, decoded", cmd_history },
	{ "passport", "a twin's passport: custody, location, recalls",
	  cmd_passport },
	{ "where", "a twin's custody and location timeline", cmd_where },
	{ "installations", "the assets a part was installed in",
	  cmd_installations },
	{ "trace", "walk the lineage up or down (--dot for Graphviz)",
	  cmd_trace },
	{ "recall", "recall status TWIN, impact INDEX, since INDEX",
	  cmd_recall },
	{ "search", "stamps by step, disposition, place, signer, time",
	  cmd_search },
	{ "checkpoint", "the log's signed checkpoint, verified",
	  cmd_checkpoint },
	{ "prove", "inclusion or consistency proofs, verified here",
	  cmd_prove },
	{ "verify-receipt", "check a receipt offline with the log key",
	  cmd_verify_receipt },
	{ "audit", "verify an export or a live server; remember its checkpoint",
	  cmd_audit },
	{ "register", "register a stakeholder (signed with the admin key)",
	  cmd_register },
	{ "roles", "change a stakeholder's roles (admin key)", cmd_roles },
	{ "rotate", "replace a stakeholder's key (admin key)", cmd_rotate },
	{ "revoke", "revoke a key from an index on (admin key)", cmd_revoke },
	{ "stamp", "sign and record one event: commission, ship, ...",
	  cmd_stamp },
	{ "master", "describe a location or product (master data)",
	  cmd_master },
	{ "submit", "sign and record a file of EPCIS events, in batches",
	  cmd_submit },
	{ "epcis", "import or export EPCIS 2.0 documents", cmd_epcis },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: waybill COMMAND [ARGS] (waybill COMMAND --help)\n\n"
	           "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fprintf(f, "  %-14s %s\n", commands[i].name,
		        commands[i].summary);
	}
	fprintf(f,
	        "\nexit status: 0 ok, 1 verification failed, 2 usage error,\n"
	        "3 refused by the ledger, 4 network failure, 5 other error\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("waybill %s\n", WAYBILL_VERSION);
		return CLI_OK;
	}
	if (wb_init() != WB_OK) {
		fprintf(stderr, "waybill: libsodium failed to start\n");
		return CLI_ERROR;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			return commands[i].run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "waybill: unknown command %s\n\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
