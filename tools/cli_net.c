/* SPDX-License-Identifier: MIT */
/* What the networked subcommands share: the server and key options, the
 * connection, and turning a failed call into a message and an exit code. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

const char cli_net_help[] =
        "  --server URL      the daemon (default $WAYBILL_SERVER, else\n"
        "                    " WB_RPC_DEFAULT_URL ")\n"
        "  --key FILE        your private key (default: the file\n"
        "                    $WAYBILL_KEY names); never world-readable\n"
        "  --tls-ca FILE     the CA that signed a tls+tcp:// server\n"
        "  --timeout SECONDS per call (default 10)\n"
        "  --json            print JSON instead of a table\n";

void
cli_net_init(cli_net_opts *o)
{
	const char *env;

	memset(o, 0, sizeof(*o));
	env = getenv("WAYBILL_SERVER");
	o->server = env != NULL && env[0] != '\0' ? env : WB_RPC_DEFAULT_URL;
	env = getenv("WAYBILL_KEY");
	o->key_path = env != NULL && env[0] != '\0' ? env : NULL;
}

bool
cli_net_opt(int argc, char **argv, int *i, cli_net_opts *o)
{
	const char *v;
	unsigned long long secs;

	if (strcmp(argv[*i], "--json") == 0) {
		o->json = true;
		return true;
	}
	if (cli_opt(argc, argv, i, "--server", &o->server) ||
	    cli_opt(argc, argv, i, "--key", &o->key_path) ||
	    cli_opt(argc, argv, i, "--tls-ca", &o->tls_ca)) {
		return true;
	}
	if (cli_opt(argc, argv, i, "--timeout", &v)) {
		if (!cli_parse_u64(v, 1, 3600, &secs)) {
			fprintf(stderr,
			        "waybill: --timeout takes whole seconds from 1 to 3600\n");
			exit(CLI_USAGE);
		}
		o->timeout_ms = (unsigned)secs * 1000u;
		return true;
	}
	return false;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
cli_load_key(wb_signer **out, const char *cmd, const char *path)
{
	wb_pubkey pk;
	wb_err rc;

	*out = NULL;
	if (path == NULL) {
		return cli_fail(
		        CLI_USAGE, cmd,
		        "this needs your private key: pass --key FILE or set WAYBILL_KEY to the file (make one with `waybill keygen NAME`)");
	}
	rc = wb_keyfile_read(out, path);
	/* A verifier (public) key where the private one is needed: say so,
	 * rather than ask to chmod a file that holds no secret. */
	if ((rc == WB_EDENIED || rc == WB_EPROTO) &&
	    wb_keyfile_read_public(NULL, &pk, path) == WB_OK) {
		return cli_fail(
		        CLI_ERROR, cmd,
		        "%s holds a public (verifier) key: signing needs the private key file `waybill keygen` wrote (PRIVATE+KEY+NAME+...)",
		        path);
	}
	switch (rc) {
	case WB_OK:
		return CLI_OK;
	case WB_EIO:
		return cli_fail(
		        CLI_ERROR, cmd,
		        "cannot read the key %s: %s: give the path of the key file `waybill keygen` wrote",
		        path,
		        is_dir(path) ? "it is a directory"
		                     : "not a regular file, or unreadable");
	case WB_ENOTFOUND:
		return cli_fail(
		        CLI_ERROR, cmd,
		        "no key file %s: check the path given to --key or WAYBILL_KEY",
		        path);
	case WB_EDENIED:
		return cli_fail(
		        CLI_ERROR, cmd,
		        "refusing the key %s: it is readable by others (or not by you); run `chmod 600 %s`, and consider the key leaked if others could read it",
		        path, path);
	case WB_EPROTO:
		return cli_fail(
		        CLI_ERROR, cmd,
		        "%s is not a private key file (PRIVATE+KEY+NAME+...): use the file `waybill keygen` wrote",
		        path);
	default:
		return cli_fail(CLI_ERROR, cmd, "cannot read the key %s: %s",
		                path, wb_strerror(rc));
	}
}

int
cli_connect(wb_rpc_client **out, wb_signer **key_out, const char *cmd,
            const cli_net_opts *o, bool with_key)
{
	wb_rpc_client_opts co = { .timeout_ms = o->timeout_ms,
		                  .tls_ca_file = o->tls_ca };
	wb_signer *key = NULL;
	int code;
	wb_err rc;

	*out = NULL;
	if (key_out != NULL) {
		*key_out = NULL;
	}
	/* The client keeps a pointer to the key: its owner must be told. */
	if (with_key && key_out == NULL) {
		return cli_fail(CLI_ERROR, cmd, "internal: key without owner");
	}
	if (with_key) {
		if ((code = cli_load_key(&key, cmd, o->key_path)) != CLI_OK) {
			return code;
		}
		co.key = key;
	}
	rc = wb_rpc_client_open(out, o->server, &co);
	if (rc != WB_OK) {
		wb_signer_free(key);
		if (rc == WB_ENOTFOUND) {
			return cli_fail(CLI_ERROR, cmd,
			                "cannot read the TLS CA file %s",
			                o->tls_ca != NULL ? o->tls_ca
			                                  : "(none)");
		}
		return cli_fail(
		        CLI_USAGE, cmd,
		        "cannot use the server address %s: give a URL such as tcp://HOST:PORT, ipc:///PATH or tls+tcp://HOST:PORT (%s)",
		        o->server, wb_strerror(rc));
	}
	if (key_out != NULL) {
		*key_out = key;
	}
	return CLI_OK;
}

int
cli_rpc_fail(const char *cmd, const wb_rpc_client *c, wb_err rc,
             const wb_problem *p, const char *what)
{
	const char *msg = p != NULL && p->msg[0] != '\0' ? p->msg : NULL;

	if (!wb_rpc_client_reached(c) &&
	    (rc == WB_ETIMEDOUT || rc == WB_ECLOSED || rc == WB_EIO)) {
		return cli_fail(
		        CLI_NETWORK, cmd,
		        "%s: no answer from the server (%s): is waybilld running there? Check --server or WAYBILL_SERVER",
		        what, msg != NULL ? msg : wb_strerror(rc));
	}
	if (!wb_rpc_client_reached(c)) {
		return cli_fail(CLI_ERROR, cmd, "%s: %s", what,
		                msg != NULL ? msg : wb_strerror(rc));
	}
	if (rc == WB_EBADSIG || rc == WB_ECORRUPT) {
		return cli_fail(
		        CLI_VERIFY_FAILED, cmd,
		        "%s: the server's answer does not verify (%s)%s%s",
		        what, wb_strerror(rc), msg != NULL ? ": " : "",
		        msg != NULL ? msg : "");
	}
	if (rc == WB_EREJECTED && p != NULL && p->reason != WB_REJECT_NONE) {
		return cli_fail(CLI_REFUSED, cmd, "%s: refused (%s): %s", what,
		                wb_reject_name(p->reason),
		                msg != NULL ? msg : wb_reject_text(p->reason));
	}
	if (p != NULL && p->reason == WB_REJECT_AUTH_REQUIRED) {
		return cli_fail(
		        CLI_REFUSED, cmd,
		        "%s: the server wants a registered key: pass --key FILE (%s)",
		        what, msg != NULL ? msg : wb_strerror(rc));
	}
	return cli_fail(CLI_REFUSED, cmd, "%s: %s%s%s", what, wb_strerror(rc),
	                msg != NULL ? ": " : "", msg != NULL ? msg : "");
}

int
cli_json_print(json_t *v)
{
	if (v == NULL) {
		fprintf(stderr, "waybill: out of memory\n");
		return CLI_ERROR;
	}
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(v);
	return CLI_OK;
}

json_t *
cli_json_hex(const uint8_t *b, size_t n)
{
	char *hex = malloc(2 * n + 1);
	json_t *v;

	if (hex == NULL) {
		return NULL;
	}
	wb_hex_encode(hex, b, n);
	v = json_string(hex);
	free(hex);
	return v;
}

void
cli_format_time(char *out, size_t size, int64_t seconds, uint32_t nanos,
                bool has_nanos)
{
	time_t t = (time_t)seconds;
	struct tm tm;
	size_t n;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "@%lld", (long long)seconds);
		return;
	}
	n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (has_nanos && nanos != 0 && n < size) {
		/* Milliseconds when that is exact, else nanoseconds. */
		if (nanos % 1000000u == 0) {
			n += (size_t)snprintf(out + n, size - n, ".%03u",
			                      nanos / 1000000u);
		} else {
			n += (size_t)snprintf(out + n, size - n, ".%09u",
			                      nanos);
		}
	}
	if (n < size) {
		snprintf(out + n, size - n, "Z");
	}
}
