/* SPDX-License-Identifier: MIT */
/* waybill keygen: a new Ed25519 key in the C2SP signer-key text form. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char keygen_help[] =
        "usage: waybill keygen NAME [--out FILE]\n"
        "\n"
        "Generates an Ed25519 key named NAME. The private key goes to FILE\n"
        "(default NAME.key, with '/' turned into '_') with mode 0600, in the\n"
        "C2SP signer-key form PRIVATE+KEY+NAME+KEYID+BASE64; an existing file\n"
        "is never overwritten. The verifier key NAME+KEYID+BASE64 is printed:\n"
        "give it to the ledger operator to register you, or to `waybill init\n"
        "--admin-key`.\n"
        "\n"
        "A key name is UTF-8 without spaces, '+' or control characters. A\n"
        "ledger's log key is named after the ledger's origin.\n";

int
cmd_keygen(int argc, char **argv)
{
	const char *name = NULL, *out = NULL;
	char path[4096], *verifier = NULL;
	wb_signer *s = NULL;
	wb_err rc;
	int code = CLI_OK;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(keygen_help, stdout);
			return CLI_OK;
		}
		if (cli_opt(argc, argv, &i, "--out", &out)) {
			continue;
		}
		if (argv[i][0] == '-' || name != NULL) {
			return cli_fail(CLI_USAGE, "keygen",
			                "unexpected argument %s (see --help)",
			                argv[i]);
		}
		name = argv[i];
	}
	if (name == NULL) {
		return cli_fail(CLI_USAGE, "keygen",
		                "name the key: waybill keygen NAME");
	}
	if (!wb_key_name_valid(name)) {
		return cli_fail(
		        CLI_USAGE, "keygen",
		        "\"%s\" is not a valid key name: use 1 to 128 bytes of UTF-8 without spaces, '+' or control characters",
		        name);
	}
	if (out == NULL) {
		snprintf(path, sizeof(path), "%s.key", name);
		for (char *p = path; *p; p++) {
			*p = *p == '/' ? '_' : *p;
		}
		out = path;
	}
	if ((rc = wb_signer_generate(&s, name)) != WB_OK) {
		return cli_fail(CLI_ERROR, "keygen", "cannot generate: %s",
		                wb_strerror(rc));
	}
	rc = wb_keyfile_write(out, s);
	if (rc == WB_EEXISTS) {
		code = cli_fail(
		        CLI_ERROR, "keygen",
		        "%s exists: keys are never overwritten; choose another --out",
		        out);
		goto done;
	}
	if (rc != WB_OK) {
		code = cli_fail(
		        CLI_ERROR, "keygen",
		        "cannot write %s: %s: check that its directory exists and is writable, or choose another --out",
		        out, wb_strerror(rc));
		goto done;
	}
	if ((rc = wb_verifier_format(&verifier, name, wb_signer_pubkey(s))) !=
	    WB_OK) {
		code = cli_fail(CLI_ERROR, "keygen", "%s", wb_strerror(rc));
		goto done;
	}
	printf("%s\n", verifier);
	fprintf(stderr, "private key written to %s (mode 0600)\n", out);
done:
	free(verifier);
	wb_signer_free(s);
	return code;
}
