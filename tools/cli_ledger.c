/* SPDX-License-Identifier: MIT */
/* waybill init, verify and info: the commands that work on a ledger
 * directory directly, without a daemon. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char init_help[] =
        "usage: waybill init --data DIR --origin ORIGIN --admin-key PUBKEY|FILE\n"
        "                    [--log-key FILE] [--custody advisory|strict]\n"
        "                    [--max-ids N] [--max-attributes N]\n"
        "                    [--max-stamp-bytes N]\n"
        "\n"
        "Creates a new ledger in DIR: the genesis entry (leaf 0) names the\n"
        "origin, the log key, the admin key and the custody policy; the ledger\n"
        "ID is SHA-256 of the genesis entry's bytes.\n"
        "\n"
        "  --origin ORIGIN     the checkpoint origin, e.g. example.com/waybill;\n"
        "                      the log key is named after it\n"
        "  --admin-key KEY     the admin's verifier key text, or a file holding\n"
        "                      it (the admin signs registry changes only)\n"
        "  --log-key FILE      the log key (signs checkpoints only); created\n"
        "                      with mode 0600 when absent (default DIR/log.key)\n"
        "  --custody POLICY    advisory (default): a custodian's act by another\n"
        "                      is accepted and flagged; strict: refused\n"
        "  --max-ids N         identifiers per stamp (default 10000)\n"
        "  --max-attributes N  attributes per stamp (default 256)\n"
        "  --max-stamp-bytes N bytes per stamp (default 1048576)\n"
        "\n"
        "The limits are fixed at genesis so that audits judge every entry as\n"
        "the append did.\n";

static const char verify_help[] =
        "usage: waybill verify --data DIR [--json]\n"
        "       waybill verify --export FILE [--log-key KEY|FILE] [--json]\n"
        "\n"
        "Verifies the whole journal from its bytes and the log key alone: it\n"
        "replays every entry through the append rules (signatures, each key's\n"
        "validity at its index, namespaces, recall authority, decommissioning,\n"
        "cycles, event time vs record time, duplicate event IDs), checks every\n"
        "per-twin chain link and that each signed checkpoint's root is what the\n"
        "entries produce. It reports the first bad index and what is wrong.\n"
        "Stamps whose key was later revoked from an earlier index are flagged.\n"
        "\n"
        "  --data DIR       a ledger directory\n"
        "  --export FILE    an export file (`waybill export`) instead\n"
        "  --log-key KEY    with --export: the log key's verifier text, or a\n"
        "                   file holding it, to pin the trust anchor\n"
        "  --json           print JSON instead of text\n"
        "\n"
        "Exit status: 0 when the ledger verifies, 1 when it does not (or is too\n"
        "damaged to open), 2 usage, 5 when it cannot be read.\n";

static const char export_help[] =
        "usage: waybill export --data DIR --out FILE [--from N] [--to N]\n"
        "\n"
        "Writes a self-verifying export of the entries [N, M): the genesis, the\n"
        "log key's checkpoint of tree size M (default: the latest), the hashes\n"
        "that prove the range against it, every registry entry before N with its\n"
        "inclusion proof, then the entries. M must be a tree size some commit\n"
        "ended at. Check it with `waybill verify --export FILE`.\n"
        "From a live server: `waybill export --server URL --help`.\n";

static const char backup_help[] =
        "usage: waybill backup --data DIR --to DIR2\n"
        "\n"
        "Copies the ledger in DIR to the new directory DIR2: a consistent,\n"
        "compacted hot copy (LMDB's mdb_env_copy2), safe while waybilld runs.\n"
        "The copy is then opened and verified like `waybill verify`; it answers\n"
        "like the original up to its size. Copy DIR/log.key (or wherever the\n"
        "log key lives) separately, and keep it secret.\n";

static const char info_help[] =
        "usage: waybill info --data DIR [--json]\n"
        "\n"
        "Prints the ledger's origin, ID, log and admin keys, custody policy,\n"
        "limits, tree size, root and latest checkpoint.\n";

static int
parse_custody(const char *text, wb_custody *out)
{
	if (strcmp(text, "advisory") == 0) {
		*out = WB_CUSTODY_ADVISORY;
	} else if (strcmp(text, "strict") == 0) {
		*out = WB_CUSTODY_STRICT;
	} else {
		return -1;
	}
	return 0;
}

static int
parse_limit(const char *name, const char *text, uint32_t *out)
{
	unsigned long long v;

	if (!cli_parse_u64(text, 1, UINT32_MAX, &v)) {
		return cli_fail(CLI_USAGE, "init",
		                "%s must be a whole number from 1 to %u", name,
		                UINT32_MAX);
	}
	*out = (uint32_t)v;
	return CLI_OK;
}

/* The log key: read from FILE when it exists, else made and written. */
static int
load_or_make_log_key(wb_signer **out, const char *path, const char *origin,
                     bool *created)
{
	wb_err rc = wb_keyfile_read(out, path);

	*created = false;
	if (rc == WB_OK) {
		if (strcmp(wb_signer_name(*out), origin) != 0) {
			return cli_fail(
			        CLI_USAGE, "init",
			        "the log key in %s is named %s, but a log key must be named after the origin %s: make one with `waybill keygen %s --out FILE`",
			        path, wb_signer_name(*out), origin, origin);
		}
		return CLI_OK;
	}
	if (rc != WB_ENOTFOUND) {
		return cli_fail(
		        CLI_ERROR, "init", "cannot use the log key %s: %s",
		        path,
		        rc == WB_EDENIED
		                ? "it is readable by others, or unreadable (chmod 600)"
		        : rc == WB_EPROTO ? "it is not a private key file"
		                          : wb_strerror(rc));
	}
	if ((rc = wb_signer_generate(out, origin)) != WB_OK ||
	    (rc = wb_keyfile_write(path, *out)) != WB_OK) {
		return cli_fail(
		        CLI_ERROR, "init",
		        "cannot create the log key %s: %s: check that its directory exists and is writable",
		        path, wb_strerror(rc));
	}
	*created = true;
	return CLI_OK;
}

static void
print_key(FILE *f, const char *label, const char *name, const wb_pubkey *pk)
{
	char *text = NULL;
	char hex[2 * WB_PUBKEY_LEN + 1];

	if (name != NULL && wb_verifier_format(&text, name, pk) == WB_OK) {
		fprintf(f, "%-12s %s\n", label, text);
		free(text);
		return;
	}
	wb_hex_encode(hex, pk->b, WB_PUBKEY_LEN);
	fprintf(f, "%-12s %s (Ed25519, hex)\n", label, hex);
}

/* A key as JSON: its verifier key text, or hex without a name. */
static json_t *
key_json(const char *name, const wb_pubkey *pk)
{
	char *text = NULL;
	char hex[2 * WB_PUBKEY_LEN + 1];
	json_t *v;

	if (name != NULL && wb_verifier_format(&text, name, pk) == WB_OK) {
		v = json_string(text);
		free(text);
		return v;
	}
	wb_hex_encode(hex, pk->b, WB_PUBKEY_LEN);
	return json_string(hex);
}

static int
print_info(wb_journal *j, bool json)
{
	const wb_genesis *g = wb_journal_genesis(j);
	char id[2 * WB_HASH_LEN + 1], root_hex[2 * WB_HASH_LEN + 1];
	char *cp = NULL;
	uint64_t size;
	wb_hash root;
	wb_err rc;

	if ((rc = wb_journal_size(&size, j)) != WB_OK ||
	    (rc = wb_journal_root(&root, j, size)) != WB_OK ||
	    (rc = wb_journal_checkpoint(&cp, j, 0)) != WB_OK) {
		return cli_fail(CLI_ERROR, "info", "cannot read the ledger: %s",
		                wb_strerror(rc));
	}
	wb_hex_encode(id, wb_journal_ledger_id(j), WB_HASH_LEN);
	wb_hash_to_hex(root_hex, &root);
	if (json) {
		/* Printed as every --json is (cli_json_print: indented, in
		 * this order), like the server's Info. */
		json_t *o = json_object();

		if (o != NULL) {
			json_object_set_new(o, "origin",
			                    cli_json_str(g->origin));
			json_object_set_new(o, "ledger_id", json_string(id));
			json_object_set_new(o, "log_key",
			                    key_json(g->origin, &g->log_key));
			json_object_set_new(
			        o, "admin_key",
			        key_json(g->admin_key_name, &g->admin_key));
			json_object_set_new(
			        o, "custody",
			        json_string(g->custody == WB_CUSTODY_STRICT
			                            ? "strict"
			                            : "advisory"));
			json_object_set_new(o, "format_version",
			                    json_integer(g->format_version));
			json_object_set_new(o, "max_ids",
			                    json_integer(g->max_ids));
			json_object_set_new(o, "max_attributes",
			                    json_integer(g->max_attributes));
			json_object_set_new(o, "max_stamp_bytes",
			                    json_integer(g->max_stamp_bytes));
			json_object_set_new(o, "size",
			                    json_integer((json_int_t)size));
			json_object_set_new(o, "root", json_string(root_hex));
			json_object_set_new(o, "checkpoint", cli_json_str(cp));
		}
		free(cp);
		return cli_json_print(o);
	} else {
		printf("%-12s %s\n", "origin", g->origin);
		printf("%-12s %s\n", "ledger ID", id);
		print_key(stdout, "log key", g->origin, &g->log_key);
		print_key(stdout, "admin key", g->admin_key_name,
		          &g->admin_key);
		printf("%-12s %s\n", "custody",
		       g->custody == WB_CUSTODY_STRICT ? "strict" : "advisory");
		printf("%-12s %u IDs, %u attributes, %u bytes per stamp\n",
		       "limits", g->max_ids, g->max_attributes,
		       g->max_stamp_bytes);
		printf("%-12s %llu entries\n", "size",
		       (unsigned long long)size);
		printf("%-12s %s\n", "root", root_hex);
		printf("checkpoint:\n%s", cp);
	}
	free(cp);
	return CLI_OK;
}

int
cmd_init(int argc, char **argv)
{
	wb_journal_create_opts co = { 0 };
	const char *dir = NULL, *admin = NULL, *log_path = NULL, *v;
	char admin_name[WB_KEY_NAME_MAX + 1], default_log[4096];
	wb_signer *log = NULL;
	wb_journal *j = NULL;
	bool created = false, made_dir = false;
	struct stat st;
	int code;
	wb_err rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(init_help, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--data", &dir) ||
		           cli_opt(argc, argv, &i, "--origin", &co.origin) ||
		           cli_opt(argc, argv, &i, "--admin-key", &admin) ||
		           cli_opt(argc, argv, &i, "--log-key", &log_path)) {
			continue;
		} else if (cli_opt(argc, argv, &i, "--custody", &v)) {
			if (parse_custody(v, &co.custody) != 0) {
				return cli_fail(
				        CLI_USAGE, "init",
				        "--custody is advisory or strict, not %s",
				        v);
			}
		} else if (cli_opt(argc, argv, &i, "--max-ids", &v)) {
			if ((code = parse_limit("--max-ids", v, &co.max_ids))) {
				return code;
			}
		} else if (cli_opt(argc, argv, &i, "--max-attributes", &v)) {
			if ((code = parse_limit("--max-attributes", v,
			                        &co.max_attributes))) {
				return code;
			}
		} else if (cli_opt(argc, argv, &i, "--max-stamp-bytes", &v)) {
			if ((code = parse_limit("--max-stamp-bytes", v,
			                        &co.max_stamp_bytes))) {
				return code;
			}
		} else {
			return cli_fail(CLI_USAGE, "init",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (dir == NULL || co.origin == NULL || admin == NULL) {
		return cli_fail(
		        CLI_USAGE, "init",
		        "--data, --origin and --admin-key are required (see --help)");
	}
	if (!wb_key_name_valid(co.origin)) {
		return cli_fail(
		        CLI_USAGE, "init",
		        "origin \"%s\" must be a valid key name: UTF-8 without spaces, '+' or control characters, at most 128 bytes",
		        co.origin);
	}
	rc = wb_keyfile_read_public(admin_name, &co.admin_key, admin);
	if (rc == WB_EDENIED) {
		return cli_fail(
		        CLI_USAGE, "init",
		        "--admin-key %s: the file is unreadable, or a private key readable by group or others (treat it as leaked, or chmod 600 it); better, pass the admin's verifier key text",
		        admin);
	}
	if (rc != WB_OK) {
		return cli_fail(
		        CLI_USAGE, "init",
		        "--admin-key %s is neither verifier key text (NAME+KEYID+BASE64) nor a file holding a key",
		        admin);
	}
	co.admin_key_name = admin_name;
	if (wb_journal_open(&j, dir, NULL) != WB_ENOTFOUND) {
		wb_journal_close(j);
		return cli_fail(
		        CLI_ERROR, "init",
		        "%s already holds a ledger: pick a new directory", dir);
	}
	if (mkdir(dir, 0700) == 0) {
		made_dir = true;
	} else if (errno != EEXIST) {
		return cli_fail(CLI_ERROR, "init", "cannot create %s: %s", dir,
		                strerror(errno));
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		return cli_fail(CLI_ERROR, "init", "%s is not a directory",
		                dir);
	}
	if (log_path == NULL) {
		snprintf(default_log, sizeof(default_log), "%s/log.key", dir);
		log_path = default_log;
	}
	if ((code = load_or_make_log_key(&log, log_path, co.origin,
	                                 &created)) != CLI_OK) {
		goto out;
	}
	if (memcmp(wb_signer_pubkey(log)->b, co.admin_key.b, WB_PUBKEY_LEN) ==
	    0) {
		code = cli_fail(
		        CLI_USAGE, "init",
		        "the admin key and the log key must differ: they sign different things");
		goto out;
	}
	co.log_key = log;
	if ((rc = wb_journal_create(dir, &co)) != WB_OK) {
		code = cli_fail(CLI_ERROR, "init",
		                "cannot create the ledger: %s",
		                wb_strerror(rc));
		goto out;
	}
	if ((rc = wb_journal_open(&j, dir, NULL)) != WB_OK) {
		code = cli_fail(CLI_ERROR, "init",
		                "cannot open the new ledger: %s",
		                cli_open_error(rc));
		goto out;
	}
	fprintf(stderr, "created ledger in %s (log key %s%s)\n", dir, log_path,
	        created ? ", new" : "");
	code = print_info(j, false);
	wb_journal_close(j);
out:
	if (code != CLI_OK && created) {
		unlink(log_path);
	}
	/* Nothing is left of a refused init: the directory goes when it
	 * was made here (rmdir only removes it while empty). */
	if (code != CLI_OK && made_dir) {
		(void)rmdir(dir);
	}
	wb_signer_free(log);
	return code;
}

static void
progress_bar(uint64_t done, uint64_t total, void *arg)
{
	int width = 40, filled;

	(void)arg;
	if (total == 0) {
		return;
	}
	filled = (int)((double)done / (double)total * width);
	fprintf(stderr, "\rverifying [%.*s%*s] %llu/%llu", filled,
	        "########################################", width - filled, "",
	        (unsigned long long)done, (unsigned long long)total);
	if (done >= total) {
		fputc('\n', stderr);
	}
}

static void
print_report(const wb_verify_report *r, bool json)
{
	if (json) {
		printf("\"ok\":%s,\"entries\":%llu,\"checkpoints\":%llu,"
		       "\"flagged\":%llu,\"custody_gaps\":%llu",
		       r->ok ? "true" : "false", (unsigned long long)r->entries,
		       (unsigned long long)r->checkpoints,
		       (unsigned long long)r->flagged,
		       (unsigned long long)r->custody_gaps);
		if (!r->ok) {
			printf(",\"first_bad\":%llu,\"problem\":",
			       (unsigned long long)r->first_bad);
			cli_json_string(stdout, r->problem);
		}
		if (r->flagged > 0) {
			printf(",\"first_flagged\":%llu",
			       (unsigned long long)r->first_flagged);
		}
		printf("}\n");
	} else if (r->ok) {
		printf("ok: %llu entries and %llu checkpoints verify\n",
		       (unsigned long long)r->entries,
		       (unsigned long long)r->checkpoints);
		if (r->flagged > 0) {
			printf("flagged: %llu stamps by keys revoked from an earlier index (first at %llu)\n",
			       (unsigned long long)r->flagged,
			       (unsigned long long)r->first_flagged);
		}
		if (r->custody_gaps > 0) {
			printf("custody gaps: %llu stamps acted for a custodian\n",
			       (unsigned long long)r->custody_gaps);
		}
	} else {
		printf("FAILED at entry %llu: %s\n",
		       (unsigned long long)r->first_bad, r->problem);
	}
}

static int
verify_export_file(const char *path, const char *log_key, bool json)
{
	wb_export_info info;
	wb_verify_report r;
	wb_pubkey anchor;
	char id[2 * WB_HASH_LEN + 1];
	FILE *f;
	wb_err rc;

	if (log_key != NULL &&
	    wb_keyfile_read_public(NULL, &anchor, log_key) != WB_OK) {
		return cli_fail(
		        CLI_USAGE, "verify",
		        "--log-key %s is neither verifier key text nor a key file",
		        log_key);
	}
	if ((f = fopen(path, "rb")) == NULL) {
		return cli_fail(CLI_ERROR, "verify", "cannot open %s: %s", path,
		                strerror(errno));
	}
	rc = wb_verify_export(
	        &r, &info, f, log_key ? &anchor : NULL, NULL,
	        !json && isatty(STDERR_FILENO) ? progress_bar : NULL, NULL);
	fclose(f);
	if (rc != WB_OK) {
		return cli_fail(CLI_ERROR, "verify", "cannot verify %s: %s",
		                path, wb_strerror(rc));
	}
	wb_hex_encode(id, info.ledger_id, WB_HASH_LEN);
	if (json) {
		printf("{\"ledger_id\":\"%s\",\"origin\":", id);
		cli_json_string(stdout, info.origin);
		printf(",\"from\":%llu,\"to\":%llu,\"replayed\":%s,",
		       (unsigned long long)info.from,
		       (unsigned long long)info.to,
		       info.replayed ? "true" : "false");
	} else {
		printf("export of %s (ledger %s), entries [%llu, %llu)%s\n",
		       info.origin, id, (unsigned long long)info.from,
		       (unsigned long long)info.to,
		       info.replayed ? ", every rule replayed" : "");
	}
	print_report(&r, json);
	return r.ok ? CLI_OK : CLI_VERIFY_FAILED;
}

int
cmd_verify(int argc, char **argv)
{
	const char *dir = NULL, *export_path = NULL, *log_key = NULL;
	bool json = false;
	wb_verify_report r;
	wb_journal *j;
	wb_err rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(verify_help, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--data", &dir) ||
		           cli_opt(argc, argv, &i, "--export", &export_path) ||
		           cli_opt(argc, argv, &i, "--log-key", &log_key)) {
			continue;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			return cli_fail(CLI_USAGE, "verify",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if ((dir == NULL) == (export_path == NULL)) {
		return cli_fail(CLI_USAGE, "verify",
		                "give either --data DIR or --export FILE");
	}
	if (export_path != NULL) {
		return verify_export_file(export_path, log_key, json);
	}
	if (log_key != NULL) {
		return cli_fail(
		        CLI_USAGE, "verify",
		        "--log-key goes with --export: a ledger directory holds its own log key");
	}
	if ((rc = wb_journal_open(&j, dir, NULL)) != WB_OK) {
		/* A ledger too damaged to open has failed its verification. */
		return cli_fail(rc == WB_ECORRUPT ? CLI_VERIFY_FAILED
		                                  : CLI_ERROR,
		                "verify", "cannot open %s: %s", dir,
		                cli_open_error(rc));
	}
	rc = wb_verify_journal(
	        &r, j, NULL,
	        !json && isatty(STDERR_FILENO) ? progress_bar : NULL, NULL);
	wb_journal_close(j);
	if (rc != WB_OK) {
		return cli_fail(CLI_ERROR, "verify", "cannot verify: %s",
		                wb_strerror(rc));
	}
	if (json) {
		printf("{");
	}
	print_report(&r, json);
	return r.ok ? CLI_OK : CLI_VERIFY_FAILED;
}

int
cmd_export(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL, *v;
	unsigned long long from = 0, to = 0;
	wb_journal *j;
	FILE *f;
	wb_err rc;

	if (cli_wants_fsma204(argc, argv)) {
		return cmd_export_fsma204(argc, argv); /* cli_fsma.c */
	}
	if (cli_export_wants_server(argc, argv)) {
		return cmd_export_server(argc, argv); /* cli_audit.c */
	}
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(export_help, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--data", &dir) ||
		           cli_opt(argc, argv, &i, "--out", &out)) {
			continue;
		} else if (cli_opt(argc, argv, &i, "--from", &v)) {
			if (!cli_parse_u64(v, 0, UINT64_MAX, &from)) {
				return cli_fail(CLI_USAGE, "export",
				                "--from takes an entry index");
			}
		} else if (cli_opt(argc, argv, &i, "--to", &v)) {
			if (!cli_parse_u64(v, 1, UINT64_MAX, &to)) {
				return cli_fail(CLI_USAGE, "export",
				                "--to takes a tree size");
			}
		} else {
			return cli_fail(CLI_USAGE, "export",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (dir == NULL || out == NULL) {
		return cli_fail(CLI_USAGE, "export",
		                "--data DIR and --out FILE are required");
	}
	if ((j = cli_open_ledger("export", dir)) == NULL) {
		return CLI_ERROR;
	}
	if ((f = fopen(out, "wbx")) == NULL) {
		wb_journal_close(j);
		return cli_fail(
		        CLI_ERROR, "export",
		        "cannot create %s: %s (an existing file is never overwritten)",
		        out, strerror(errno));
	}
	rc = wb_export_write(f, j, from, to);
	if (fclose(f) != 0 && rc == WB_OK) {
		rc = WB_EIO;
	}
	wb_journal_close(j);
	if (rc != WB_OK) {
		unlink(out);
		return cli_fail(
		        rc == WB_EIO ? CLI_ERROR : CLI_USAGE, "export", "%s",
		        rc == WB_ENOTFOUND
		                ? "no checkpoint at that --to: give a tree size a commit ended at (see `waybill info`)"
		        : rc == WB_EINVAL
		                ? "the range is empty or beyond the ledger"
		                : wb_strerror(rc));
	}
	return CLI_OK;
}

int
cmd_backup(int argc, char **argv)
{
	const char *dir = NULL, *to = NULL;
	wb_verify_report r;
	wb_journal *j, *copy = NULL;
	uint64_t size = 0;
	wb_err rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(backup_help, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--data", &dir) ||
		           cli_opt(argc, argv, &i, "--to", &to)) {
			continue;
		} else {
			return cli_fail(CLI_USAGE, "backup",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (dir == NULL || to == NULL) {
		return cli_fail(CLI_USAGE, "backup",
		                "--data DIR and --to DIR2 are required");
	}
	/* The source first: a ledger that cannot be opened leaves no empty
	 * backup directory behind. */
	if ((j = cli_open_ledger("backup", dir)) == NULL) {
		return CLI_ERROR;
	}
	if (mkdir(to, 0700) != 0) {
		wb_journal_close(j);
		return cli_fail(
		        CLI_ERROR, "backup",
		        "cannot create %s: %s (the backup goes to a new directory)",
		        to, strerror(errno));
	}
	rc = wb_journal_backup(j, to);
	wb_journal_close(j);
	if (rc != WB_OK) {
		(void)rmdir(to); /* only when the copy left nothing */
		return cli_fail(CLI_ERROR, "backup", "cannot copy %s to %s: %s",
		                dir, to, wb_strerror(rc));
	}
	if ((copy = cli_open_ledger("backup", to)) == NULL) {
		return CLI_ERROR;
	}
	rc = wb_verify_journal(&r, copy, NULL, NULL, NULL);
	(void)wb_journal_size(&size, copy);
	wb_journal_close(copy);
	if (rc != WB_OK) {
		return cli_fail(CLI_ERROR, "backup",
		                "cannot verify the copy: %s", wb_strerror(rc));
	}
	if (!r.ok) {
		printf("the copy in %s FAILED verification at entry %llu: %s\n",
		       to, (unsigned long long)r.first_bad, r.problem);
		return CLI_VERIFY_FAILED;
	}
	printf("backup of %llu entries in %s verifies\n",
	       (unsigned long long)size, to);
	return CLI_OK;
}

int
cmd_info(int argc, char **argv)
{
	const char *dir = NULL;
	bool json = false, local = false;
	wb_journal *j;
	int code;

	/* Without --data, ask a server (cli_read.c). */
	for (int i = 1; i < argc; i++) {
		local |= strcmp(argv[i], "--data") == 0 ||
		         strncmp(argv[i], "--data=", 7) == 0;
	}
	if (!local) {
		return cmd_info_remote(argc, argv);
	}
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(info_help, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--data", &dir)) {
			continue;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			return cli_fail(CLI_USAGE, "info",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (dir == NULL) {
		return cli_fail(CLI_USAGE, "info", "--data DIR is required");
	}
	if ((j = cli_open_ledger("info", dir)) == NULL) {
		return CLI_ERROR;
	}
	code = print_info(j, json);
	wb_journal_close(j);
	return code;
}
