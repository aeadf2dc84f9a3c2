/* SPDX-License-Identifier: MIT */
/*
 * waybill register, roles, rotate and revoke: registry changes, signed
 * with the admin key and recorded in the log like any entry, so that an
 * auditor can rebuild every stakeholder's key history from the log alone.
 * The ledger decides (ledger/registry.c, docs/rules.md): a key is
 * registered once, a namespace has one owner, a rotation carries the new
 * key's proof of possession, a revocation only ever moves earlier.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char register_help[] =
        "usage: waybill register NAME --pubkey KEY|FILE [--role R[,R...]]...\n"
        "                        [--party-id PGLN] [--gs1-prefix P]...\n"
        "                        [--prefix LITERAL]... --key ADMIN_KEY_FILE\n"
        "\n"
        "Registers a stakeholder: its name, its public key (verifier key text\n"
        "NAME+KEYID+BASE64 as `waybill keygen` prints it, or a file holding\n"
        "it), its roles and the ID namespaces under which only it may\n"
        "commission twins. Signed with the ledger's admin key (--key).\n"
        "\n"
        "  --role R[,R...]    operator, brand-owner, logistics, retailer,\n"
        "                     repairer, recycler, auditor, regulator\n"
        "                     (repeatable; none: a plain stakeholder)\n"
        "  --party-id PGLN    its GS1 party ID (e.g.\n"
        "                     urn:epc:id:pgln:4012345.00000): shipments naming\n"
        "                     it as destination may be received by it only\n"
        "  --gs1-prefix P     a GS1 company prefix it owns (4 to 12 digits)\n"
        "  --prefix LITERAL   a literal prefix of other IDs it owns\n"
        "\n";

static const char roles_help[] =
        "usage: waybill roles PUBKEY --role R[,R...] --key ADMIN_KEY_FILE\n"
        "\n"
        "Replaces the roles of the stakeholder whose current key is PUBKEY\n"
        "(verifier key text or a file holding it). --role none removes them\n"
        "all. Roles: operator, brand-owner, logistics, retailer, repairer,\n"
        "recycler, auditor, regulator. Signed with the admin key (--key).\n"
        "\n";

static const char rotate_help[] =
        "usage: waybill rotate OLD_PUBKEY --new-key NEW_KEY_FILE\n"
        "                      --key ADMIN_KEY_FILE\n"
        "\n"
        "Replaces a stakeholder's key: stamps signed with the old key from this\n"
        "entry on are refused. NEW_KEY_FILE is the new private key (make it\n"
        "with `waybill keygen`): it signs the proof of possession the ledger\n"
        "checks (ledger ID, old key, new key). Signed with the admin key.\n"
        "\n";

static const char revoke_help[] =
        "usage: waybill revoke PUBKEY [--from INDEX] [--reason TEXT]\n"
        "                      --key ADMIN_KEY_FILE\n"
        "\n"
        "Revokes a key: its stamps from journal index INDEX on are invalid\n"
        "(they stay in the log and audits and queries flag them); new stamps\n"
        "signed with it are refused. Default INDEX: the current tree size (from\n"
        "now on), which is also the largest INDEX taken. Revoking again can only\n"
        "move INDEX earlier. Signed with the admin key.\n"
        "\n";

static const char registry_tail[] =
        "Prints the entry's index (and whether it was already recorded).\n"
        "Exit status: 0 recorded, 2 usage, 3 refused by the ledger (reason\n"
        "printed), 4 network, 5 other (key files).\n"
        "\n";

static void
print_help(const char *text)
{
	fputs(text, stdout);
	fputs(registry_tail, stdout);
	fputs(cli_net_help, stdout);
}

/* --role "a,b" adds roles to the list (repeatable). */
static int
parse_roles(const char *cmd, const char *text, wb_role *roles, size_t *n,
            bool *none)
{
	char *copy = strdup(text), *save = NULL;
	int code = CLI_OK;

	if (copy == NULL) {
		return cli_fail(CLI_ERROR, cmd, "out of memory");
	}
	for (char *r = strtok_r(copy, ",", &save); r != NULL;
	     r = strtok_r(NULL, ",", &save)) {
		wb_role role = wb_role_from_name(r);
		bool dup = false;

		if (strcmp(r, "none") == 0) {
			*none = true;
			continue;
		}
		if (role == WB_ROLE_UNSPECIFIED) {
			code = cli_fail(
			        CLI_USAGE, cmd,
			        "unknown role \"%s\": use operator, brand-owner, logistics, retailer, repairer, recycler, auditor or regulator",
			        r);
			break;
		}
		for (size_t i = 0; i < *n; i++) {
			dup |= roles[i] == role;
		}
		if (!dup) {
			roles[(*n)++] = role;
		}
	}
	free(copy);
	return code;
}

static int
read_pubkey(const char *cmd, const char *text, wb_pubkey *pk, char *name)
{
	wb_err rc = wb_keyfile_read_public(name, pk, text);

	if (rc == WB_EDENIED) {
		return cli_fail(
		        CLI_ERROR, cmd,
		        "%s: the file is unreadable, or a private key readable by others (chmod 600 it, and treat it as leaked); better, pass the verifier key text",
		        text);
	}
	if (rc != WB_OK) {
		return cli_fail(
		        CLI_USAGE, cmd,
		        "%s is neither verifier key text (NAME+KEYID+BASE64, as `waybill keygen` prints it) nor a file holding a key",
		        text);
	}
	return CLI_OK;
}

/* Signs change with the admin key, submits it, prints the outcome. */
static int
registry_send(const char *cmd, const cli_net_opts *net,
              wb_registry_change *change, const wb_signer *new_key,
              const char *key_name)
{
	wb_signer *admin = NULL;
	wb_rpc_client *c = NULL;
	wb_rpc_result *res = NULL;
	wb_submission sub = { 0 };
	wb_rpc_info info;
	uint64_t size = 0;
	uint8_t *body = NULL;
	size_t len = 0;
	char change_id[64], what[160], *key_text = NULL;
	int code;
	wb_err rc;

	memset(&info, 0, sizeof(info));
	if ((code = cli_load_key(&admin, cmd, net->key_path)) != CLI_OK ||
	    (code = cli_connect(&c, NULL, cmd, net, false)) != CLI_OK ||
	    (code = cli_info_get(&info, cmd, c)) != CLI_OK) {
		goto out;
	}
	memcpy(change->ledger_id, info.ledger_id, WB_HASH_LEN);
	/* A fresh ID per change: the same change made twice on purpose is
	 * two entries; the client's own retries resend the same bytes. */
	cli_event_id_new(change_id);
	change->change_id = change_id;
	if (change->op == WB_REG_REVOKE && change->effective_index == 0) {
		change->effective_index = info.tree_size;
	}
	/* A revocation takes effect at an entry already recorded, or at
	 * this one (the tree size): an index beyond would leave the key
	 * valid until then, and the largest one means no revocation at
	 * all, yet the entry would be recorded. */
	if (change->op == WB_REG_REVOKE &&
	    change->effective_index > info.tree_size) {
		code = cli_fail(
		        CLI_USAGE, cmd,
		        "--from %llu is beyond the ledger, which holds %llu entries: give an index up to %llu, or leave --from out to revoke from now on",
		        (unsigned long long)change->effective_index,
		        (unsigned long long)info.tree_size,
		        (unsigned long long)info.tree_size);
		goto out;
	}
	if (change->op == WB_REG_ROTATE &&
	    (rc = wb_possession_sign(change->possession_signature, new_key,
	                             info.ledger_id, &change->key)) != WB_OK) {
		code = cli_fail(CLI_ERROR, cmd,
		                "cannot sign the proof of possession: %s",
		                wb_strerror(rc));
		goto out;
	}
	if ((rc = wb_registry_change_encode(&body, &len, change)) != WB_OK) {
		code = cli_fail(CLI_ERROR, cmd,
		                "cannot encode the registry change: %s",
		                wb_strerror(rc));
		goto out;
	}
	sub.type = WB_ENTRY_REGISTRY;
	sub.body = body;
	sub.body_len = len;
	sub.signer = *wb_signer_pubkey(admin);
	if ((rc = wb_sig_sign(sub.signature, admin, WB_SIG_REGISTRY, body,
	                      len)) != WB_OK) {
		code = cli_fail(CLI_ERROR, cmd, "cannot sign: %s",
		                wb_strerror(rc));
		goto out;
	}
	snprintf(what, sizeof(what), "%s %s", cmd, key_name);
	if ((code = cli_submit_one(&res, &size, cmd, c, &sub, what)) !=
	    CLI_OK) {
		goto out;
	}
	/* The key the change is about (a rotation: the new one). */
	if (wb_verifier_format(&key_text, key_name,
	                       change->op == WB_REG_ROTATE
	                               ? &change->new_key
	                               : &change->key) != WB_OK) {
		key_text = NULL;
	}
	if (net->json) {
		json_t *o = json_object();

		json_object_set_new(o, "index",
		                    json_integer((json_int_t)res[0].index));
		json_object_set_new(o, "op", json_string(cmd));
		json_object_set_new(o, "key",
		                    key_text != NULL ? json_string(key_text)
		                                     : json_null());
		json_object_set_new(o, "duplicate",
		                    json_boolean(res[0].duplicate));
		json_object_set_new(o, "tree_size",
		                    json_integer((json_int_t)size));
		if (change->op == WB_REG_REVOKE) {
			json_object_set_new(
			        o, "effective_index",
			        json_integer(
			                (json_int_t)change->effective_index));
		}
		code = cli_json_print(o);
	} else {
		printf("index      %llu\n", (unsigned long long)res[0].index);
		printf("change     %s\n", cmd);
		if (key_text != NULL) {
			printf("key        %s\n", key_text);
		}
		if (change->op == WB_REG_REVOKE) {
			printf("revoked    from index %llu\n",
			       (unsigned long long)change->effective_index);
		}
		if (res[0].duplicate) {
			printf("duplicate  yes (recorded before)\n");
		}
	}
out:
	free(key_text);
	free(body);
	wb_rpc_results_free(res, res != NULL ? 1 : 0);
	free(info.checkpoint);
	wb_rpc_client_close(c);
	wb_signer_free(admin);
	return code;
}

int
cmd_register(int argc, char **argv)
{
	cli_net_opts net;
	const char *name = NULL, *pubkey = NULL, *party = NULL, *v;
	wb_role roles[WB_ROLE_COUNT_];
	wb_namespace *ns = calloc((size_t)argc + 1, sizeof(*ns));
	wb_registry_change ch = { 0 };
	char key_name[WB_KEY_NAME_MAX + 1];
	size_t n_roles = 0, n_ns = 0;
	bool none = false;
	int code = CLI_OK;

	cli_net_init(&net);
	if (ns == NULL) {
		return cli_fail(CLI_ERROR, "register", "out of memory");
	}
	for (int i = 1; i < argc && code == CLI_OK; i++) {
		if (cli_is_help(argv[i])) {
			print_help(register_help);
			goto out;
		}
		if (cli_net_opt(argc, argv, &i, &net) ||
		    cli_opt(argc, argv, &i, "--pubkey", &pubkey) ||
		    cli_opt(argc, argv, &i, "--party-id", &party)) {
			continue;
		}
		if (cli_opt(argc, argv, &i, "--role", &v)) {
			code = parse_roles("register", v, roles, &n_roles,
			                   &none);
		} else if (cli_opt(argc, argv, &i, "--gs1-prefix", &v)) {
			ns[n_ns++] =
			        (wb_namespace){ WB_NS_GS1_COMPANY_PREFIX, v };
		} else if (cli_opt(argc, argv, &i, "--prefix", &v)) {
			ns[n_ns++] = (wb_namespace){ WB_NS_LITERAL_PREFIX, v };
		} else if (argv[i][0] == '-' || name != NULL) {
			code = cli_fail(CLI_USAGE, "register",
			                "unexpected argument %s (see --help)",
			                argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (code != CLI_OK) {
		goto out;
	}
	if (name == NULL || pubkey == NULL) {
		code = cli_fail(
		        CLI_USAGE, "register",
		        "name the stakeholder and its key: waybill register NAME --pubkey KEY|FILE (see --help)");
		goto out;
	}
	if ((code = read_pubkey("register", pubkey, &ch.key, key_name)) !=
	    CLI_OK) {
		goto out;
	}
	ch.op = WB_REG_REGISTER;
	ch.name = name;
	ch.party_id = party;
	ch.roles = roles;
	ch.n_roles = n_roles;
	ch.namespaces = ns;
	ch.n_namespaces = n_ns;
	code = registry_send("register", &net, &ch, NULL, key_name);
out:
	free(ns);
	return code;
}

int
cmd_roles(int argc, char **argv)
{
	cli_net_opts net;
	const char *pubkey = NULL, *v;
	wb_role roles[WB_ROLE_COUNT_];
	wb_registry_change ch = { 0 };
	char key_name[WB_KEY_NAME_MAX + 1];
	size_t n_roles = 0;
	bool none = false, given = false;
	int code = CLI_OK;

	cli_net_init(&net);
	for (int i = 1; i < argc && code == CLI_OK; i++) {
		if (cli_is_help(argv[i])) {
			print_help(roles_help);
			return CLI_OK;
		}
		if (cli_net_opt(argc, argv, &i, &net)) {
			continue;
		}
		if (cli_opt(argc, argv, &i, "--role", &v)) {
			given = true;
			code = parse_roles("roles", v, roles, &n_roles, &none);
		} else if (argv[i][0] == '-' || pubkey != NULL) {
			code = cli_fail(CLI_USAGE, "roles",
			                "unexpected argument %s (see --help)",
			                argv[i]);
		} else {
			pubkey = argv[i];
		}
	}
	if (code != CLI_OK) {
		return code;
	}
	if (pubkey == NULL || !given) {
		return cli_fail(
		        CLI_USAGE, "roles",
		        "name the key and the new roles: waybill roles PUBKEY --role R[,R...] (--role none for none)");
	}
	if (none && n_roles > 0) {
		return cli_fail(CLI_USAGE, "roles",
		                "--role none cannot go with other roles");
	}
	if ((code = read_pubkey("roles", pubkey, &ch.key, key_name)) !=
	    CLI_OK) {
		return code;
	}
	ch.op = WB_REG_CHANGE_ROLES;
	ch.roles = roles;
	ch.n_roles = n_roles;
	return registry_send("roles", &net, &ch, NULL, key_name);
}

int
cmd_rotate(int argc, char **argv)
{
	cli_net_opts net;
	const char *pubkey = NULL, *new_path = NULL;
	wb_registry_change ch = { 0 };
	char key_name[WB_KEY_NAME_MAX + 1];
	wb_signer *new_key = NULL;
	int code = CLI_OK;

	cli_net_init(&net);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			print_help(rotate_help);
			return CLI_OK;
		}
		if (cli_net_opt(argc, argv, &i, &net) ||
		    cli_opt(argc, argv, &i, "--new-key", &new_path)) {
			continue;
		}
		if (argv[i][0] == '-' || pubkey != NULL) {
			return cli_fail(CLI_USAGE, "rotate",
			                "unexpected argument %s (see --help)",
			                argv[i]);
		}
		pubkey = argv[i];
	}
	if (pubkey == NULL || new_path == NULL) {
		return cli_fail(
		        CLI_USAGE, "rotate",
		        "name the old key and the new private key file: waybill rotate OLD_PUBKEY --new-key FILE");
	}
	if ((code = read_pubkey("rotate", pubkey, &ch.key, key_name)) !=
	            CLI_OK ||
	    (code = cli_load_key(&new_key, "rotate", new_path)) != CLI_OK) {
		return code;
	}
	ch.op = WB_REG_ROTATE;
	ch.new_key = *wb_signer_pubkey(new_key);
	code = registry_send("rotate", &net, &ch, new_key,
	                     wb_signer_name(new_key));
	wb_signer_free(new_key);
	return code;
}

int
cmd_revoke(int argc, char **argv)
{
	cli_net_opts net;
	const char *pubkey = NULL, *from = NULL, *reason = NULL;
	wb_registry_change ch = { 0 };
	char key_name[WB_KEY_NAME_MAX + 1];
	unsigned long long idx = 0;
	int code;

	cli_net_init(&net);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			print_help(revoke_help);
			return CLI_OK;
		}
		if (cli_net_opt(argc, argv, &i, &net) ||
		    cli_opt(argc, argv, &i, "--from", &from) ||
		    cli_opt(argc, argv, &i, "--reason", &reason)) {
			continue;
		}
		if (argv[i][0] == '-' || pubkey != NULL) {
			return cli_fail(CLI_USAGE, "revoke",
			                "unexpected argument %s (see --help)",
			                argv[i]);
		}
		pubkey = argv[i];
	}
	if (pubkey == NULL) {
		return cli_fail(
		        CLI_USAGE, "revoke",
		        "name the key: waybill revoke PUBKEY (see --help)");
	}
	/* Index 0 is the genesis: no stakeholder key signs it, so a key is
	 * revoked from 1 at the earliest. */
	if (from != NULL && !cli_parse_u64(from, 1, UINT64_MAX, &idx)) {
		return cli_fail(
		        CLI_USAGE, "revoke",
		        "--from %s: give the journal index (1 or more) from which the key's stamps are invalid",
		        from);
	}
	if ((code = read_pubkey("revoke", pubkey, &ch.key, key_name)) !=
	    CLI_OK) {
		return code;
	}
	ch.op = WB_REG_REVOKE;
	ch.effective_index = idx;
	ch.reason = reason;
	return registry_send("revoke", &net, &ch, NULL, key_name);
}
