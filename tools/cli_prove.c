/* SPDX-License-Identifier: MIT */
/*
 * waybill prove inclusion / consistency and waybill verify-receipt: the
 * proofs a third party checks without trusting the ledger's operator.
 * Everything the server sends is verified here, against the log key.
 *
 * Errors: exit 1 when a proof, checkpoint or signature does not verify
 * (with what failed), else the exit codes of cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
cli_log_anchor(char origin[WB_KEY_NAME_MAX + 1], wb_pubkey *pk, const char *cmd,
               wb_rpc_client *c, const char *log_key)
{
	wb_rpc_info info = { 0 };
	wb_problem p = { 0 };
	wb_err rc;

	if (log_key != NULL) {
		rc = wb_keyfile_read_public(origin, pk, log_key);
		if (rc != WB_OK) {
			return cli_fail(
			        CLI_USAGE, cmd,
			        "--log-key %s is neither the log's verifier key text (ORIGIN+KEYID+BASE64) nor a file holding it",
			        log_key);
		}
		return CLI_OK;
	}
	/* Without an anchor the server names its own key: the answers are
	 * then only as good as the server. */
	if ((rc = wb_rpc_info_get(&info, c, &p)) != WB_OK) {
		return cli_rpc_fail(cmd, c, rc, &p, "the log key (Info)");
	}
	rc = wb_verifier_parse(origin, pk, info.log_key);
	free(info.checkpoint);
	if (rc != WB_OK || strcmp(origin, info.origin) != 0) {
		return cli_fail(
		        CLI_VERIFY_FAILED, cmd,
		        "the server names a log key that is not a valid key of its origin: pass the log key you trust with --log-key");
	}
	return CLI_OK;
}

static json_t *
proof_json(const wb_hash *proof, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		json_array_append_new(a, cli_json_hex(proof[i].b, WB_HASH_LEN));
	}
	return a;
}

static void
proof_print(const wb_hash *proof, size_t n)
{
	char hex[2 * WB_HASH_LEN + 1];

	printf("proof        %zu hashes\n", n);
	for (size_t i = 0; i < n; i++) {
		wb_hash_to_hex(hex, &proof[i]);
		printf("  %2zu %s\n", i, hex);
	}
}

/* Checks a checkpoint note; *why says what failed. */
static bool
checkpoint_ok(wb_checkpoint *cp, const char *note, const char *origin,
              const wb_pubkey *pk, uint64_t size, const char **why)
{
	wb_err rc = wb_checkpoint_verify(cp, note, strlen(note), origin, pk);

	if (rc == WB_EPROTO) {
		*why = "the checkpoint is not a well-formed signed note";
		return false;
	}
	if (rc != WB_OK) {
		*why = "the checkpoint is not signed by the log key";
		return false;
	}
	if (cp->size != size) {
		*why = "the checkpoint is of another tree size than the proof";
		return false;
	}
	return true;
}

static int
verdict(bool ok, const char *why, json_t *obj, bool json)
{
	if (json) {
		json_object_set_new(obj, "verified", json_boolean(ok));
		json_object_set_new(obj, "problem",
		                    ok ? json_null() : json_string(why));
		if (cli_json_print(obj) != CLI_OK) {
			return CLI_ERROR;
		}
	} else {
		json_decref(obj);
		if (ok) {
			printf("verified     yes\n");
		} else {
			printf("verified     NO: %s\n", why);
		}
	}
	if (!ok) {
		fprintf(stderr,
		        "waybill prove: the proof does not verify: %s\n", why);
	}
	return ok ? CLI_OK : CLI_VERIFY_FAILED;
}

static const char prove_help[] =
        "usage: waybill prove inclusion INDEX [--size N] [--log-key KEY|FILE]\n"
        "                               [options]\n"
        "       waybill prove consistency M [N] [--log-key KEY|FILE]\n"
        "                                 [options]\n"
        "\n"
        "inclusion    fetches entry INDEX, its inclusion proof in the tree of\n"
        "             size N (default: the latest checkpoint) and that\n"
        "             checkpoint, and checks here that SHA-256(0x00||entry) is\n"
        "             the leaf, that the proof leads to the checkpoint's root\n"
        "             and that the log key signed the checkpoint.\n"
        "consistency  fetches the checkpoints of tree sizes M and N (default:\n"
        "             the latest) and the proof that the tree of size N\n"
        "             extends the tree of size M, and checks all three. M must\n"
        "             be a size the log signed a checkpoint at.\n"
        "\n"
        "  --log-key KEY  the log's verifier key text, or a file holding it:\n"
        "                 the trust anchor. Without it the key the server\n"
        "                 names (Info) is used, which proves nothing against\n"
        "                 a dishonest server.\n"
        "\n"
        "Prints the proof (hashes in hex) and the verdict; exit status 1 when\n"
        "it does not verify. Reads need a registered key (--key).\n";

static int
prove_inclusion(int argc, char **argv)
{
	const char *log_key = NULL;
	unsigned long long index = 0, size = 0;
	bool has_index = false;
	char origin[WB_KEY_NAME_MAX + 1], *note = NULL, what[48];
	char hex[2 * WB_HASH_LEN + 1];
	wb_hash proof[WB_MERKLE_MAX_PROOF], leaf, mine;
	size_t n_proof = 0, len = 0;
	uint8_t *entry = NULL;
	uint64_t got = 0;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_checkpoint cp;
	wb_pubkey pk;
	wb_problem p = { 0 };
	const char *why = NULL;
	bool ok, cp_ok;
	json_t *obj;
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", prove_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_opt(argc, argv, &i, "--log-key", &log_key) ||
		           cli_index_opt(argc, argv, &i, "prove inclusion",
		                         "--size", 1, UINT64_MAX, &size)) {
			continue;
		} else if (argv[i][0] != '-' && !has_index) {
			if (!cli_parse_u64(argv[i], 0, UINT64_MAX, &index)) {
				return cli_fail(
				        CLI_USAGE, "prove inclusion",
				        "INDEX is an entry index (a whole number), not \"%s\"",
				        argv[i]);
			}
			has_index = true;
		} else {
			return cli_fail(CLI_USAGE, "prove inclusion",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (!has_index) {
		return cli_fail(
		        CLI_USAGE, "prove inclusion",
		        "give the entry index: waybill prove inclusion INDEX (see --help)");
	}
	if (size != 0 && index >= size) {
		return cli_fail(
		        CLI_USAGE, "prove inclusion",
		        "entry %llu is not in a tree of size %llu: --size must exceed INDEX",
		        index, size);
	}
	if ((code = cli_read_connect(&c, &key, "prove inclusion", &o)) !=
	    CLI_OK) {
		return code;
	}
	if ((code = cli_log_anchor(origin, &pk, "prove inclusion", c,
	                           log_key)) != CLI_OK) {
		goto out;
	}
	snprintf(what, sizeof(what), "inclusion proof of entry %llu", index);
	if ((rc = wb_rpc_inclusion_proof(proof, &n_proof, &leaf, &got, &note, c,
	                                 index, size, &p)) != WB_OK) {
		code = cli_rpc_fail("prove inclusion", c, rc, &p, what);
		goto out;
	}
	snprintf(what, sizeof(what), "entry %llu", index);
	if ((rc = wb_rpc_get_entry(&entry, &len, c, index, &p)) != WB_OK) {
		code = cli_rpc_fail("prove inclusion", c, rc, &p, what);
		goto out;
	}
	/* The leaf is recomputed from the entry bytes: the server's leaf
	 * hash is only a claim. */
	wb_hash_leaf(&mine, entry, len);
	ok = cp_ok = checkpoint_ok(&cp, note, origin, &pk, got, &why);
	if (ok && (size != 0 && got != size)) {
		ok = false;
		why = "the server proved against another tree size than asked";
	}
	if (ok && !wb_hash_equal(&mine, &leaf)) {
		ok = false;
		why = "the entry's leaf hash is not the one the proof is for";
	}
	if (ok && wb_merkle_verify_inclusion(mine.b, WB_HASH_LEN, index,
	                                     cp.size, (const uint8_t *)proof,
	                                     n_proof * WB_HASH_LEN, cp.root.b,
	                                     WB_HASH_LEN) != WB_OK) {
		ok = false;
		why = "the proof does not lead to the checkpoint's root";
	}
	if (o.json) {
		if ((obj = json_object()) != NULL) {
			json_object_set_new(obj, "index",
			                    json_integer((json_int_t)index));
			json_object_set_new(obj, "size",
			                    json_integer((json_int_t)got));
			json_object_set_new(obj, "leaf_hash",
			                    cli_json_hex(mine.b, WB_HASH_LEN));
			json_object_set_new(obj, "proof",
			                    proof_json(proof, n_proof));
			json_object_set_new(
			        obj, "root",
			        cp_ok ? cli_json_hex(cp.root.b, WB_HASH_LEN)
			              : json_null());
			json_object_set_new(obj, "checkpoint",
			                    cli_json_str(note));
		}
	} else {
		obj = NULL;
		wb_hash_to_hex(hex, &mine);
		printf("entry        %llu\n", index);
		printf("tree size    %llu\n", (unsigned long long)got);
		printf("leaf hash    %s\n", hex);
		proof_print(proof, n_proof);
		if (cp_ok) {
			wb_hash_to_hex(hex, &cp.root);
			printf("root         %s\n", hex);
		}
		printf("checkpoint:\n%s", note);
	}
	code = verdict(ok, why, obj, o.json);
out:
	free(entry);
	free(note);
	cli_read_close(c, key);
	return code;
}

static int
prove_consistency(int argc, char **argv)
{
	const char *log_key = NULL;
	unsigned long long m = 0, n = 0;
	int n_pos = 0;
	char origin[WB_KEY_NAME_MAX + 1], *note_m = NULL, *note_n = NULL;
	char hex[2 * WB_HASH_LEN + 1], what[64];
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	size_t n_proof = 0;
	uint64_t got_n = 0, got_m = 0;
	cli_net_opts o;
	wb_rpc_client *c = NULL;
	wb_signer *key = NULL;
	wb_checkpoint cm, cn;
	wb_pubkey pk;
	wb_problem p = { 0 };
	const char *why = NULL;
	bool ok;
	json_t *obj = NULL;
	int code;
	wb_err rc;

	cli_net_init(&o);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s\n%s", prove_help, cli_net_help);
			return CLI_OK;
		} else if (cli_net_opt(argc, argv, &i, &o) ||
		           cli_opt(argc, argv, &i, "--log-key", &log_key)) {
			continue;
		} else if (argv[i][0] != '-' && n_pos < 2) {
			if (!cli_parse_u64(argv[i], 1, UINT64_MAX,
			                   n_pos == 0 ? &m : &n)) {
				return cli_fail(
				        CLI_USAGE, "prove consistency",
				        "tree sizes are whole numbers from 1, not \"%s\"",
				        argv[i]);
			}
			n_pos++;
		} else {
			return cli_fail(CLI_USAGE, "prove consistency",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (n_pos == 0) {
		return cli_fail(
		        CLI_USAGE, "prove consistency",
		        "give the older tree size: waybill prove consistency M [N] (see --help)");
	}
	if (n != 0 && m > n) {
		return cli_fail(CLI_USAGE, "prove consistency",
		                "M (%llu) must not exceed N (%llu)", m, n);
	}
	if ((code = cli_read_connect(&c, &key, "prove consistency", &o)) !=
	    CLI_OK) {
		return code;
	}
	if ((code = cli_log_anchor(origin, &pk, "prove consistency", c,
	                           log_key)) != CLI_OK) {
		goto out;
	}
	snprintf(what, sizeof(what), "consistency proof from %llu", m);
	if ((rc = wb_rpc_consistency_proof(proof, &n_proof, &got_n, &note_n, c,
	                                   m, n, &p)) != WB_OK) {
		code = cli_rpc_fail("prove consistency", c, rc, &p, what);
		goto out;
	}
	snprintf(what, sizeof(what), "checkpoint of size %llu", m);
	if ((rc = wb_rpc_checkpoint(&note_m, &got_m, c, m, &p)) != WB_OK) {
		code = cli_rpc_fail("prove consistency", c, rc, &p, what);
		goto out;
	}
	ok = checkpoint_ok(&cm, note_m, origin, &pk, m, &why) &&
	     checkpoint_ok(&cn, note_n, origin, &pk, got_n, &why);
	if (ok && n != 0 && got_n != n) {
		ok = false;
		why = "the server proved against another tree size than asked";
	}
	if (ok &&
	    wb_merkle_verify_consistency(
	            m, got_n, cm.root.b, WB_HASH_LEN, cn.root.b, WB_HASH_LEN,
	            (const uint8_t *)proof, n_proof * WB_HASH_LEN) != WB_OK) {
		ok = false;
		why = "the proof does not show that the newer tree extends the older one";
	}
	if (o.json) {
		if ((obj = json_object()) != NULL) {
			json_object_set_new(obj, "from_size",
			                    json_integer((json_int_t)m));
			json_object_set_new(obj, "to_size",
			                    json_integer((json_int_t)got_n));
			json_object_set_new(obj, "proof",
			                    proof_json(proof, n_proof));
			json_object_set_new(
			        obj, "from_root",
			        ok ? cli_json_hex(cm.root.b, WB_HASH_LEN)
			           : json_null());
			json_object_set_new(
			        obj, "to_root",
			        ok ? cli_json_hex(cn.root.b, WB_HASH_LEN)
			           : json_null());
			json_object_set_new(obj, "from_checkpoint",
			                    cli_json_str(note_m));
			json_object_set_new(obj, "to_checkpoint",
			                    cli_json_str(note_n));
		}
	} else {
		printf("from size    %llu\n", m);
		printf("to size      %llu\n", (unsigned long long)got_n);
		if (ok) {
			wb_hash_to_hex(hex, &cm.root);
			printf("from root    %s\n", hex);
			wb_hash_to_hex(hex, &cn.root);
			printf("to root      %s\n", hex);
		}
		proof_print(proof, n_proof);
	}
	code = verdict(ok, why, obj, o.json);
out:
	free(note_m);
	free(note_n);
	cli_read_close(c, key);
	return code;
}

int
cmd_prove(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(prove_help, argc < 2 ? stderr : stdout);
		if (argc >= 2) {
			printf("\n%s", cli_net_help);
		}
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "inclusion") == 0) {
		return prove_inclusion(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "consistency") == 0) {
		return prove_consistency(argc - 1, argv + 1);
	}
	return cli_fail(CLI_USAGE, "prove",
	                "unknown proof %s: inclusion or consistency", argv[1]);
}

/*
 * waybill verify-receipt
 */

static const char verify_receipt_help[] =
        "usage: waybill verify-receipt FILE --log-key KEY|FILE\n"
        "                              [--entry-out FILE] [--json]\n"
        "\n"
        "Checks a receipt offline, from the log key alone (no server): the\n"
        "checkpoint inside is signed by the log key (its name is the origin),\n"
        "SHA-256(0x00||entry) leads through the inclusion proof to the\n"
        "checkpoint's root at the receipt's index, and the stamp (or registry\n"
        "change) inside the entry is signed by the key it names. FILE holds\n"
        "the receipt's bytes as the server returned them on submission.\n"
        "\n"
        "  --log-key KEY    the log's verifier key text, or a file holding it\n"
        "  --entry-out FILE write the verified entry's bytes to FILE (new)\n"
        "  --json           print JSON\n"
        "\n"
        "Exit status: 0 valid, 1 invalid (with what is wrong), 2 usage,\n"
        "5 the file cannot be read.\n";

#define RECEIPT_MAX (64u << 20) /* more than any receipt the server sends */

static int
read_file(uint8_t **out, size_t *len_out, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	*out = NULL;
	if (f == NULL) {
		return cli_fail(CLI_ERROR, "verify-receipt",
		                "cannot read %s: %s", path, strerror(errno));
	}
	do {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 4096;
			if (cap > RECEIPT_MAX ||
			    (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return cli_fail(
				        CLI_ERROR, "verify-receipt",
				        "%s is too large to be a receipt",
				        path);
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return cli_fail(CLI_ERROR, "verify-receipt",
		                "cannot read %s: %s", path, strerror(errno));
	}
	fclose(f);
	*out = buf;
	*len_out = len;
	return CLI_OK;
}

/* What the receipt proves, step by step, so that a failure names its
 * step. Returns NULL when valid, else what is wrong. */
static const char *
check_receipt(const wb_receipt *r, const char *origin, const wb_pubkey *pk,
              wb_checkpoint *cp, wb_entry **e, wb_hash *leaf)
{
	wb_err rc;

	if (r->checkpoint == NULL) {
		return "it holds no checkpoint";
	}
	rc = wb_checkpoint_verify(cp, r->checkpoint, strlen(r->checkpoint),
	                          origin, pk);
	if (rc == WB_EPROTO) {
		return "its checkpoint is not a well-formed signed note";
	}
	if (rc != WB_OK) {
		return "its checkpoint is not signed by this log key (another ledger's receipt, a wrong --log-key, or a forged checkpoint)";
	}
	if (wb_entry_decode(e, r->entry, r->entry_len) != WB_OK) {
		return "its entry does not parse";
	}
	if ((*e)->index != r->index) {
		return "its entry is not the one at the receipt's index";
	}
	if (r->index >= cp->size) {
		return "its index is beyond the checkpoint's tree size";
	}
	wb_hash_leaf(leaf, r->entry, r->entry_len);
	if (wb_merkle_verify_inclusion(leaf->b, WB_HASH_LEN, r->index, cp->size,
	                               (const uint8_t *)r->proof,
	                               r->n_proof * WB_HASH_LEN, cp->root.b,
	                               WB_HASH_LEN) != WB_OK) {
		return "the inclusion proof does not lead from the entry to the checkpoint's root (the entry or the proof was altered)";
	}
	if ((*e)->type == WB_ENTRY_STAMP &&
	    wb_sig_verify(&(*e)->signer, WB_SIG_STAMP, (*e)->body,
	                  (*e)->body_len, (*e)->signature) != WB_OK) {
		return "the stamp's signature does not verify";
	}
	if ((*e)->type == WB_ENTRY_REGISTRY &&
	    wb_sig_verify(&(*e)->signer, WB_SIG_REGISTRY, (*e)->body,
	                  (*e)->body_len, (*e)->signature) != WB_OK) {
		return "the registry change's signature does not verify";
	}
	return NULL;
}

static int
write_entry(const char *path, const wb_receipt *r)
{
	FILE *f = fopen(path, "wbx");

	if (f == NULL) {
		return cli_fail(
		        CLI_ERROR, "verify-receipt",
		        "cannot create %s: %s (an existing file is never overwritten)",
		        path, strerror(errno));
	}
	if ((fwrite(r->entry, 1, r->entry_len, f) != r->entry_len) |
	    (fclose(f) != 0)) {
		int code =
		        cli_fail(CLI_ERROR, "verify-receipt",
		                 "cannot write %s: %s", path, strerror(errno));

		unlink(path); /* no partial entry file */
		return code;
	}
	return CLI_OK;
}

int
cmd_verify_receipt(int argc, char **argv)
{
	const char *path = NULL, *log_key = NULL, *entry_out = NULL;
	char origin[WB_KEY_NAME_MAX + 1], hex[2 * WB_HASH_LEN + 1];
	bool json = false;
	uint8_t *bytes = NULL;
	size_t len = 0;
	wb_receipt *r = NULL;
	wb_entry *e = NULL;
	wb_stamp *st = NULL;
	wb_checkpoint cp;
	wb_hash leaf;
	wb_pubkey pk;
	const char *why;
	int code;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(verify_receipt_help, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--log-key", &log_key) ||
		           cli_opt(argc, argv, &i, "--entry-out", &entry_out)) {
			continue;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (argv[i][0] != '-' && path == NULL) {
			path = argv[i];
		} else {
			return cli_fail(CLI_USAGE, "verify-receipt",
			                "unknown argument %s (see --help)",
			                argv[i]);
		}
	}
	if (path == NULL || log_key == NULL) {
		return cli_fail(
		        CLI_USAGE, "verify-receipt",
		        "give the receipt file and the log key: waybill verify-receipt FILE --log-key KEY|FILE (`waybill info` shows the log key)");
	}
	if (wb_keyfile_read_public(origin, &pk, log_key) != WB_OK) {
		return cli_fail(
		        CLI_USAGE, "verify-receipt",
		        "--log-key %s is neither the log's verifier key text (ORIGIN+KEYID+BASE64) nor a file holding it",
		        log_key);
	}
	if ((code = read_file(&bytes, &len, path)) != CLI_OK) {
		return code;
	}
	if (wb_receipt_decode(&r, bytes, len) != WB_OK) {
		why = "it is not a receipt (the bytes do not parse: damaged, or another kind of file)";
	} else {
		why = check_receipt(r, origin, &pk, &cp, &e, &leaf);
	}
	if (why != NULL) {
		if (json) {
			json_t *obj = json_object();

			if (obj != NULL) {
				json_object_set_new(obj, "valid", json_false());
				json_object_set_new(obj, "problem",
				                    json_string(why));
			}
			cli_json_print(obj);
		}
		code = cli_fail(CLI_VERIFY_FAILED, "verify-receipt",
		                "%s is INVALID: %s", path, why);
		goto out;
	}
	if (e->type == WB_ENTRY_STAMP &&
	    wb_stamp_decode(&st, e->body, e->body_len) != WB_OK) {
		st = NULL;
	}
	if (entry_out != NULL && (code = write_entry(entry_out, r)) != CLI_OK) {
		goto out;
	}
	wb_hex_encode(hex, e->signer.b, WB_PUBKEY_LEN);
	if (json) {
		json_t *obj = json_object();

		if (obj != NULL) {
			json_object_set_new(obj, "valid", json_true());
			json_object_set_new(obj, "origin",
			                    cli_json_str(cp.origin));
			json_object_set_new(obj, "index",
			                    json_integer((json_int_t)r->index));
			json_object_set_new(obj, "tree_size",
			                    json_integer((json_int_t)cp.size));
			json_object_set_new(
			        obj, "root",
			        cli_json_hex(cp.root.b, WB_HASH_LEN));
			json_object_set_new(obj, "leaf_hash",
			                    cli_json_hex(leaf.b, WB_HASH_LEN));
			json_object_set_new(
			        obj, "type",
			        json_string(e->type == WB_ENTRY_STAMP ? "stamp"
			                    : e->type == WB_ENTRY_REGISTRY
			                            ? "registry"
			                            : "genesis"));
			json_object_set_new(
			        obj, "event_id",
			        cli_json_str(st ? st->event_id : NULL));
			json_object_set_new(
			        obj, "kind",
			        st ? json_string(wb_kind_name(st->kind))
			           : json_null());
			json_object_set_new(obj, "signer_key",
			                    e->type == WB_ENTRY_GENESIS
			                            ? json_null()
			                            : json_string(hex));
			json_object_set_new(obj, "proof",
			                    proof_json(r->proof, r->n_proof));
		}
		code = cli_json_print(obj);
	} else {
		printf("valid: entry %llu is in %s's log of %llu entries\n",
		       (unsigned long long)r->index, cp.origin,
		       (unsigned long long)cp.size);
		if (st != NULL) {
			printf("stamp        %s (%s), signed by %s\n",
			       st->event_id ? st->event_id : "-",
			       wb_kind_name(st->kind), hex);
		}
		wb_hash_to_hex(hex, &leaf);
		printf("leaf hash    %s\n", hex);
		wb_hash_to_hex(hex, &cp.root);
		printf("root         %s\n", hex);
	}
out:
	wb_stamp_free(st);
	wb_entry_free(e);
	wb_receipt_free(r);
	free(bytes);
	return code;
}
