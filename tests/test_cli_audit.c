/* SPDX-License-Identifier: MIT */
/*
 * waybill audit end to end: a ledger built through the real daemon
 * (registrations, stamps, a revocation), exported with `waybill export`
 * from the server and from the data directory, then audited: the clean
 * export passes; tampered copies (a flipped byte, a deleted entry, two
 * entries swapped, a cut-off tail, forged checkpoints, a stamp by a revoked
 * key and a correctly signed rule-breaking entry, both under a checkpoint
 * re-signed with the real log key) fail at the right index. Trust on first
 * use: the state remembers the audited checkpoint, a grown ledger is
 * consistent, an older, another or a forked ledger fails. A live audit of
 * the daemon passes; network failures exit 4.
 */
#include "clirun.h"
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ORIGIN "test.example/ledger"

struct world {
	td_daemon d;
	wb_rpc_client *c;
	wb_signer *acme, *shop, *temp, *auditor;
	char key[4096];    /* the auditor's key file */
	char export[4096]; /* the clean export, from the server */
	uint64_t size;     /* its size */
	uint64_t revoked;  /* the stamp flagged by the later revocation */
	int seq;           /* event IDs */
};

static struct world W;

/* A path in the ledger's scratch directory. */
static const char *
path(const char *name)
{
	static char buf[8][4096];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", W.d.dir, name);
	return p;
}

static uint64_t
stamp(const wb_signer *s, const char *id, wb_action action, const char *step)
{
	wb_submission sub;
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	char ev[32];
	uint64_t index;

	snprintf(ev, sizeof(ev), "ev-%d", W.seq++);
	td_stamp(&W.d, &sub, s, ev, id, action, step);
	if (wb_rpc_submit(&res, NULL, W.c, &sub, 1, false, &p) != WB_OK ||
	    res[0].err != WB_OK) {
		fail_msg("%s refused: %s", ev,
		         res != NULL ? res[0].problem.msg : p.msg);
	}
	index = res[0].index;
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);
	return index;
}

static void
revoke_key(const wb_signer *s, uint64_t effective)
{
	wb_registry_change ch = { .change_id = "revoke-temp",
		                  .op = WB_REG_REVOKE,
		                  .key = *wb_signer_pubkey(s),
		                  .effective_index = effective,
		                  .reason = "key lost" };
	wb_submission sub;
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };

	td_registry_item(&W.d, &sub, &ch);
	if (wb_rpc_submit(&res, NULL, W.c, &sub, 1, false, &p) != WB_OK ||
	    res[0].err != WB_OK) {
		fail_msg("revocation refused: %s",
		         res != NULL ? res[0].problem.msg : p.msg);
	}
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);
}

static uint64_t
size_now(void)
{
	char *note = NULL;
	uint64_t size = 0;
	wb_rpc_client *c = td_client(&W.d, W.auditor, false);

	assert_int_equal(wb_rpc_checkpoint(&note, &size, c, 0, NULL), WB_OK);
	free(note);
	wb_rpc_client_close(c);
	return size;
}

/* Runs `waybill ARGS` into r and expects exit status `status`. */
#define RUN(r, status, ...)                        \
	do {                                       \
		(r) = cli_run(__VA_ARGS__, NULL);  \
		cli_expect_status(&(r), (status)); \
	} while (0)

static void
export_server(const char *out, const char *from)
{
	cli_result r;

	RUN(r, 0, "export", "--server", W.d.url, "--key", W.key, "--out", out,
	    "--from", from, "--json");

	assert_non_null(r.json);
	assert_string_equal(json_string_value(json_object_get(r.json, "out")),
	                    out);
	cli_result_free(&r);
}

static int
group_setup(void **state)
{
	unsigned owner = 1u << WB_ROLE_BRAND_OWNER;

	(void)state;
	td_ledger(&W.d, WB_CUSTODY_ADVISORY);
	td_start(&W.d, "ipc", NULL);
	W.c = td_client(&W.d, NULL, false);
	W.acme = td_register(&W.d, W.c, "Acme", 10, owner, "0614141");
	W.shop = td_register(&W.d, W.c, "Shop", 11, 1u << WB_ROLE_RETAILER,
	                     "0012345");
	W.temp = td_register(&W.d, W.c, "Temp", 12, owner, "0099999");
	W.auditor = td_register(&W.d, W.c, "Auditor", 13, 1u << WB_ROLE_AUDITOR,
	                        NULL);
	snprintf(W.key, sizeof(W.key), "%s/auditor.key", W.d.dir);
	assert_int_equal(wb_keyfile_write(W.key, W.auditor), WB_OK);
	for (int i = 0; i < 4; i++) {
		char id[64];

		snprintf(id, sizeof(id), "urn:epc:id:sgtin:0614141.107346.%d",
		         i);
		stamp(W.acme, id, WB_ACTION_ADD, "commissioning");
	}
	W.revoked = stamp(W.temp, "urn:epc:id:sgtin:0099999.000001.1",
	                  WB_ACTION_ADD, "commissioning");
	stamp(W.shop, "urn:epc:id:sgtin:0614141.107346.1", WB_ACTION_OBSERVE,
	      "inspecting");
	/* Temp's key leaked before its stamp: revoked from that stamp on. */
	revoke_key(W.temp, W.revoked);
	stamp(W.acme, "urn:epc:id:sgtin:0614141.107346.2", WB_ACTION_OBSERVE,
	      "inspecting");
	W.size = size_now();
	snprintf(W.export, sizeof(W.export), "%s/clean.export", W.d.dir);
	export_server(W.export, "0");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	wb_rpc_client_close(W.c);
	wb_signer_free(W.acme);
	wb_signer_free(W.shop);
	wb_signer_free(W.temp);
	wb_signer_free(W.auditor);
	td_stop(&W.d);
	td_cleanup(&W.d);
	return 0;
}

static const char *
jstr(const cli_result *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r->json, key));

	if (s == NULL) {
		fail_msg("no string \"%s\" in %s", key, r->out);
	}
	return s;
}

static uint64_t
jint(const cli_result *r, const char *key)
{
	json_t *v = json_object_get(r->json, key);

	if (!json_is_integer(v)) {
		fail_msg("no integer \"%s\" in %s", key, r->out);
	}
	return (uint64_t)json_integer_value(v);
}

static bool
jtrue(const cli_result *r, const char *key)
{
	json_t *v = json_object_get(r->json, key);

	if (!json_is_boolean(v)) {
		fail_msg("no boolean \"%s\" in %s", key, r->out);
	}
	return json_is_true(v);
}

static bool
jnull(const cli_result *r, const char *key)
{
	return json_is_null(json_object_get(r->json, key));
}

static void
ledger_hex(char out[2 * WB_HASH_LEN + 1])
{
	wb_hex_encode(out, W.d.ledger_id, WB_HASH_LEN);
}

/* The latest checkpoint's root, as hex. */
static void
root_hex(char out[2 * WB_HASH_LEN + 1], uint64_t size)
{
	wb_rpc_client *c = td_client(&W.d, W.auditor, false);
	wb_checkpoint cp;
	char *note = NULL;
	uint64_t got = 0;

	assert_int_equal(wb_rpc_checkpoint(&note, &got, c, size, NULL), WB_OK);
	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note), ORIGIN,
	                                      wb_signer_pubkey(W.d.log)),
	                 WB_OK);
	wb_hash_to_hex(out, &cp.root);
	free(note);
	wb_rpc_client_close(c);
}

/*
 * An export's items, to edit and write back.
 */
struct items {
	wb_export_header *h;
	wb_export_entry *e[256];
	bool forged[256]; /* built here: freed here */
	size_t n;
	char *checkpoint; /* a replaced checkpoint */
};

static struct items
parse(const char *file)
{
	struct items it = { 0 };
	wb_export_header *h;
	wb_export_entry *e;
	FILE *f = fopen(file, "rb");

	assert_non_null(f);
	assert_int_equal(wb_export_item_read(&it.h, &e, f), WB_OK);
	assert_non_null(it.h);
	while (wb_export_item_read(&h, &e, f) == WB_OK) {
		assert_null(h);
		assert_true(it.n < 256);
		it.e[it.n++] = e;
	}
	fclose(f);
	return it;
}

static void
unparse(const struct items *it, const char *file)
{
	FILE *f = fopen(file, "wb");
	uint8_t *bytes;
	size_t len;

	assert_non_null(f);
	assert_int_equal(wb_export_item_encode(&bytes, &len, it->h, NULL),
	                 WB_OK);
	fwrite(bytes, 1, len, f);
	free(bytes);
	for (size_t i = 0; i < it->n; i++) {
		if (it->e[i] == NULL) {
			continue;
		}
		assert_int_equal(
		        wb_export_item_encode(&bytes, &len, NULL, it->e[i]),
		        WB_OK);
		fwrite(bytes, 1, len, f);
		free(bytes);
	}
	assert_int_equal(fclose(f), 0);
}

static void
items_free(struct items *it)
{
	wb_export_header_free(it->h);
	for (size_t i = 0; i < it->n; i++) {
		if (it->forged[i]) {
			free((void *)(uintptr_t)it->e[i]->entry);
			free(it->e[i]);
		} else {
			wb_export_entry_free(it->e[i]);
		}
	}
	free(it->checkpoint);
}

/* The position of the range item holding entry `index`. */
static size_t
pos_of(struct items *it, uint64_t index)
{
	for (size_t i = 0; i < it->n; i++) {
		if (it->e[i] != NULL && it->e[i]->index == index &&
		    it->e[i]->n_proof == 0) {
			return i;
		}
	}
	fail_msg("no item for entry %llu", (unsigned long long)index);
	return 0;
}

/* The root of the range's entries (an export from 0). */
static void
items_root(wb_hash *out, const struct items *it)
{
	wb_hash *leaves = calloc(it->n + 1, sizeof(*leaves));
	wb_merkle_mem mem = { leaves, 0 };

	assert_non_null(leaves);
	assert_int_equal(it->h->from, 0);
	for (size_t i = 0; i < it->n; i++) {
		if (it->e[i] != NULL) {
			wb_hash_leaf(&leaves[mem.n++], it->e[i]->entry,
			             it->e[i]->entry_len);
		}
	}
	assert_int_equal(wb_merkle_root(out, mem.n, wb_merkle_mem_get, &mem),
	                 WB_OK);
	free(leaves);
}

/* Replaces the header's checkpoint: size, root, and who signs it. */
static void
set_checkpoint(struct items *it, uint64_t size, const wb_hash *root,
               const wb_signer *by)
{
	free(it->checkpoint);
	it->checkpoint = NULL;
	assert_int_equal(
	        wb_checkpoint_sign(&it->checkpoint, ORIGIN, size, root, by),
	        WB_OK);
	it->h->checkpoint = it->checkpoint;
	it->h->to = size;
}

/*
 * What a dishonest operator holding the log key can do: append an entry
 * of its own making, correctly signed by `s`, and sign a checkpoint over
 * it. Returns the new entry's index.
 */
static uint64_t
forge_append(struct items *it, const wb_signer *s, const char *id,
             wb_action action, const char *step)
{
	const char *ids[1] = { id };
	wb_stamp st = { 0 };
	wb_entry e = { 0 }, *last = NULL;
	wb_export_entry *x = calloc(1, sizeof(*x));
	wb_twin_id tid;
	wb_link link = { 0 };
	uint8_t *body = NULL, *bytes = NULL;
	size_t body_len, len;
	wb_hash root;
	uint64_t index = it->h->to;

	assert_non_null(x);
	assert_int_equal(wb_id_parse(&tid, id, strlen(id), NULL), WB_OK);
	memcpy(st.ledger_id, W.d.ledger_id, WB_HASH_LEN);
	st.event_id = "forged";
	st.kind = WB_KIND_OBJECT;
	st.event_time.seconds = 1767225600;
	st.event_tz_offset = "+00:00";
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	assert_int_equal(wb_stamp_encode(&body, &body_len, &st), WB_OK);
	assert_int_equal(wb_entry_decode(&last, it->e[it->n - 1]->entry,
	                                 it->e[it->n - 1]->entry_len),
	                 WB_OK);
	e.index = index;
	e.record_time_us = last->record_time_us + 1;
	e.type = WB_ENTRY_STAMP;
	e.body = body;
	e.body_len = body_len;
	e.signer = *wb_signer_pubkey(s);
	assert_int_equal(
	        wb_sig_sign(e.signature, s, WB_SIG_STAMP, body, body_len),
	        WB_OK);
	link.twin = tid.key; /* a new twin: no previous entry */
	e.links = &link;
	e.n_links = 1;
	assert_int_equal(wb_entry_encode(&bytes, &len, &e), WB_OK);
	wb_entry_free(last);
	free(body);
	x->index = index;
	x->entry = bytes;
	x->entry_len = len;
	assert_true(it->n < 256);
	it->forged[it->n] = true;
	it->e[it->n++] = x;
	items_root(&root, it);
	set_checkpoint(it, index + 1, &root, W.d.log);
	return index;
}

/* Flips a byte inside the signed stamp an entry holds. */
static void
flip_in_body(wb_export_entry *x)
{
	uint8_t *bytes = (uint8_t *)(uintptr_t)x->entry;
	wb_entry *e = NULL;

	assert_int_equal(wb_entry_decode(&e, x->entry, x->entry_len), WB_OK);
	for (size_t i = 0; i + e->body_len <= x->entry_len; i++) {
		if (memcmp(bytes + i, e->body, e->body_len) == 0) {
			bytes[i + e->body_len / 2] ^= 0x01;
			wb_entry_free(e);
			return;
		}
	}
	fail_msg("the stamp is not inside its entry");
}

/* Audits file (no state kept) and expects a failure at `index`. */
static void
expect_bad(const char *file, uint64_t index, const char *words)
{
	const char *state = path("bad.state");
	cli_result r;

	unlink(state);
	RUN(r, 1, "audit", file, "--state", state, "--json");
	assert_non_null(r.json);
	assert_false(jtrue(&r, "ok"));
	if (jint(&r, "first_bad") != index ||
	    (words != NULL && strstr(jstr(&r, "problem"), words) == NULL)) {
		fail_msg("expected a problem at %llu (%s); got %s",
		         (unsigned long long)index, words ? words : "", r.out);
	}
	assert_true(jnull(&r, "consistency"));
	/* Nothing is remembered from a failed audit. */
	assert_int_equal(access(state, F_OK), -1);
	cli_result_free(&r);
}

static void
test_audit_clean_export_passes(void **state)
{
	char id[2 * WB_HASH_LEN + 1], root[2 * WB_HASH_LEN + 1];
	const char *local = path("local.export"), *st = path("clean.state");
	char *a, *b, xdg[4096], env_xdg[4200], state_file[4400];
	const char *env[] = { env_xdg, NULL };
	size_t alen, blen;
	struct stat sb;
	cli_result r;

	(void)state;
	ledger_hex(id);
	root_hex(root, W.size);
	/* The server's export and the data directory's are the same bytes. */
	RUN(r, 0, "export", "--data", W.d.dir, "--out", local);
	cli_result_free(&r);
	a = test_read_file(W.export, &alen);
	b = test_read_file(local, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);

	RUN(r, 0, "audit", W.export, "--state", st, "--json");
	assert_true(jtrue(&r, "ok"));
	assert_int_equal(jint(&r, "entries"), W.size);
	assert_int_equal(jint(&r, "checkpoints"), 1);
	assert_true(jnull(&r, "first_bad"));
	assert_true(jnull(&r, "problem"));
	assert_int_equal(jint(&r, "flagged"), 1);
	assert_int_equal(jint(&r, "first_flagged"), W.revoked);
	assert_int_equal(jint(&r, "custody_gaps"), 0);
	assert_string_equal(jstr(&r, "ledger_id"), id);
	assert_string_equal(jstr(&r, "origin"), ORIGIN);
	assert_int_equal(jint(&r, "size"), W.size);
	assert_int_equal(jint(&r, "from"), 0);
	assert_string_equal(jstr(&r, "root"), root);
	assert_true(jtrue(&r, "replayed"));
	assert_string_equal(jstr(&r, "anchor"), "genesis");
	assert_string_equal(jstr(&r, "consistency"), "first use");
	assert_string_equal(jstr(&r, "state"), st);
	cli_result_free(&r);
	assert_int_equal(stat(st, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* The table form, with the log key pinned, and the default state
	 * path under $XDG_STATE_HOME. */
	snprintf(xdg, sizeof(xdg), "%s/xdg", W.d.dir);
	snprintf(env_xdg, sizeof(env_xdg), "XDG_STATE_HOME=%s", xdg);
	{
		char *log_text = NULL;

		assert_int_equal(wb_verifier_format(&log_text, ORIGIN,
		                                    wb_signer_pubkey(W.d.log)),
		                 WB_OK);
		r = cli_run_env(NULL, env, NULL, "audit", local, "--log-key",
		                log_text, NULL);
		free(log_text);
	}
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "verified"));
	assert_non_null(strstr(r.out, id));
	cli_result_free(&r);
	snprintf(state_file, sizeof(state_file), "%s/waybill/audit-%s.state",
	         xdg, id);
	assert_int_equal(stat(state_file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* Without a pinned key the ledger ID to compare is printed. */
	r = cli_run_env(NULL, env, NULL, "audit", local, NULL);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.err, "genesis"));
	assert_non_null(strstr(r.err, id));
	assert_non_null(strstr(r.out, "consistent"));
	cli_result_free(&r);
}

static void
test_audit_catches_tampered_copies(void **state)
{
	const char *t = path("tampered.export");
	struct items it;
	wb_export_entry *tmp;
	wb_hash root;
	size_t i;

	(void)state;
	/* A flipped byte inside entry 6 (in its signed stamp). */
	it = parse(W.export);
	flip_in_body(it.e[pos_of(&it, 6)]);
	unparse(&it, t);
	expect_bad(t, 6, NULL);
	items_free(&it);
	/* A deleted entry. */
	it = parse(W.export);
	i = pos_of(&it, 7);
	wb_export_entry_free(it.e[i]);
	it.e[i] = NULL;
	unparse(&it, t);
	expect_bad(t, 7, "missing");
	items_free(&it);
	/* Two entries swapped. */
	it = parse(W.export);
	i = pos_of(&it, 8);
	tmp = it.e[i];
	it.e[i] = it.e[i + 1];
	it.e[i + 1] = tmp;
	unparse(&it, t);
	expect_bad(t, 8, NULL);
	items_free(&it);
	/* A cut-off tail: the file ends inside its last entry. */
	{
		size_t len;
		char *bytes = test_read_file(W.export, &len);
		FILE *f = fopen(t, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(bytes, 1, len - 7, f), len - 7);
		assert_int_equal(fclose(f), 0);
		free(bytes);
		expect_bad(t, W.size - 1, "cut off");
	}
	/* A checkpoint signed by another key under the log's name. */
	it = parse(W.export);
	items_root(&root, &it);
	{
		wb_signer *other = test_signer(ORIGIN, 77);

		set_checkpoint(&it, W.size, &root, other);
		wb_signer_free(other);
	}
	unparse(&it, t);
	expect_bad(t, W.size - 1, "checkpoint");
	items_free(&it);
	/* A modified root under the original signature. */
	it = parse(W.export);
	it.checkpoint = strdup(it.h->checkpoint);
	{
		char *line = strchr(strchr(it.checkpoint, '\n') + 1, '\n') + 1;

		line[3] = line[3] == 'A' ? 'B' : 'A';
	}
	it.h->checkpoint = it.checkpoint;
	unparse(&it, t);
	expect_bad(t, W.size - 1, "checkpoint");
	items_free(&it);
	/* A modified root, re-signed with the real log key. */
	it = parse(W.export);
	items_root(&root, &it);
	root.b[0] ^= 1;
	set_checkpoint(&it, W.size, &root, W.d.log);
	unparse(&it, t);
	expect_bad(t, W.size - 1, "root");
	items_free(&it);
}

static void
test_audit_catches_forged_entries(void **state)
{
	const char *t = path("forged.export");
	struct items it;
	uint64_t bad;

	(void)state;
	/* Both forged exports are sound apart from their bad entry: the
	 * same construction with an honest stamp passes. */
	it = parse(W.export);
	forge_append(&it, W.acme, "urn:epc:id:sgtin:0614141.107346.50",
	             WB_ACTION_ADD, "commissioning");
	unparse(&it, t);
	{
		const char *st = path("forged.state");
		cli_result r;

		RUN(r, 0, "audit", t, "--state", st, "--json");

		assert_int_equal(jint(&r, "size"), W.size + 1);
		cli_result_free(&r);
	}
	items_free(&it);
	/* A stamp by the key revoked before it. */
	it = parse(W.export);
	bad = forge_append(&it, W.temp, "urn:epc:id:sgtin:0099999.000001.7",
	                   WB_ACTION_ADD, "commissioning");
	unparse(&it, t);
	expect_bad(t, bad, "revoked");
	items_free(&it);
	/* A correctly signed commissioning outside the signer's namespace. */
	it = parse(W.export);
	bad = forge_append(&it, W.shop, "urn:epc:id:sgtin:0614141.107346.99",
	                   WB_ACTION_ADD, "commissioning");
	unparse(&it, t);
	expect_bad(t, bad, "namespace");
	items_free(&it);
}

/* Writes a state file remembering `size` with `root`, the checkpoint
 * signed by the real log key: the log signed two different trees. */
static void
write_forked_state(const char *file, uint64_t size, const wb_hash *root)
{
	char id[2 * WB_HASH_LEN + 1], hex[2 * WB_HASH_LEN + 1];
	char *note = NULL, *key = NULL;
	json_t *o;

	ledger_hex(id);
	wb_hash_to_hex(hex, root);
	assert_int_equal(wb_checkpoint_sign(&note, ORIGIN, size, root, W.d.log),
	                 WB_OK);
	assert_int_equal(
	        wb_verifier_format(&key, ORIGIN, wb_signer_pubkey(W.d.log)),
	        WB_OK);
	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "format",
	              "waybill-audit-state/1", "ledger_id", id, "origin",
	              ORIGIN, "log_key", key, "size", (json_int_t)size, "root",
	              hex, "checkpoint", note);
	assert_non_null(o);
	assert_int_equal(json_dump_file(o, file, 0), 0);
	json_decref(o);
	free(note);
	free(key);
}

/* Expects a consistency failure naming both sizes. */
static void
expect_inconsistent(cli_result *r, uint64_t old, uint64_t now,
                    const char *words)
{
	char a[32], b[32];
	const char *problem;

	cli_expect_status(r, 1);
	assert_non_null(r->json);
	assert_false(jtrue(r, "ok"));
	assert_string_equal(jstr(r, "consistency"), "inconsistent");
	assert_true(jnull(r, "first_bad"));
	problem = jstr(r, "problem");
	snprintf(a, sizeof(a), "size %llu", (unsigned long long)old);
	snprintf(b, sizeof(b), "size %llu", (unsigned long long)now);
	if (strstr(problem, a) == NULL || strstr(problem, b) == NULL ||
	    strstr(problem, words) == NULL) {
		fail_msg("expected \"%s\", \"%s\" and \"%s\" in: %s", a, b,
		         words, problem);
	}
}

static void
test_audit_remembers_and_proves_consistency(void **state)
{
	const char *st = path("tofu.state"), *st2 = path("tofu2.state");
	const char *st3 = path("edited.state");
	const char *grown = path("grown.export"), *tail = path("tail.export");
	const char *other = path("other.export");
	uint64_t old = W.size, now;
	wb_hash root;
	cli_result r;
	char *before, *after;

	(void)state;
	RUN(r, 0, "audit", W.export, "--state", st, "--json");
	assert_string_equal(jstr(&r, "consistency"), "first use");
	cli_result_free(&r);
	RUN(r, 0, "audit", W.export, "--state", st2, "--json");
	cli_result_free(&r);
	/* The ledger grows. */
	stamp(W.acme, "urn:epc:id:sgtin:0614141.107346.3", WB_ACTION_OBSERVE,
	      "inspecting");
	stamp(W.shop, "urn:epc:id:sgtin:0012345.000001.1", WB_ACTION_ADD,
	      "commissioning");
	now = size_now();
	export_server(grown, "0");
	/* Its later part alone, from entry 5 (before the old size). */
	export_server(tail, "5");
	RUN(r, 0, "audit", grown, "--state", st, "--json");
	assert_string_equal(jstr(&r, "consistency"), "consistent");
	assert_int_equal(jint(&r, "size"), now);
	cli_result_free(&r);
	RUN(r, 0, "audit", tail, "--state", st2, "--json");
	assert_string_equal(jstr(&r, "consistency"), "consistent");
	assert_false(jtrue(&r, "replayed"));
	cli_result_free(&r);
	/* The same size again is consistent too. */
	RUN(r, 0, "audit", grown, "--state", st, "--json");
	assert_string_equal(jstr(&r, "consistency"), "consistent");
	cli_result_free(&r);

	/* An older export now: the ledger shrank (or the export is stale);
	 * the state is left as it was. */
	before = test_read_file(st, NULL);
	r = cli_run("audit", W.export, "--state", st, "--json", NULL);
	expect_inconsistent(&r, now, old, "shrank");
	cli_result_free(&r);
	after = test_read_file(st, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* Another ledger with the same keys. */
	{
		td_daemon d2;
		cli_result x;

		td_ledger(&d2, WB_CUSTODY_STRICT);
		RUN(x, 0, "export", "--data", d2.dir, "--out", other);
		cli_result_free(&x);
		td_cleanup(&d2);
	}
	r = cli_run("audit", other, "--state", st, "--json", NULL);
	cli_expect_status(&r, 1);
	assert_string_equal(jstr(&r, "consistency"), "inconsistent");
	assert_non_null(strstr(jstr(&r, "problem"), "another ledger"));
	cli_result_free(&r);

	/* Forks: the log signed another root at the remembered size; at the
	 * export's own size, and at an earlier one. */
	memset(root.b, 0x5a, sizeof(root.b));
	write_forked_state(st, now, &root);
	r = cli_run("audit", grown, "--state", st, "--json", NULL);
	expect_inconsistent(&r, now, now, "forked");
	cli_result_free(&r);
	write_forked_state(st, old, &root);
	r = cli_run("audit", grown, "--state", st, "--json", NULL);
	expect_inconsistent(&r, old, now, "forked");
	cli_result_free(&r);

	/* A state whose root was edited by hand no longer matches its
	 * signed checkpoint; a damaged one cannot be read. */
	RUN(r, 0, "audit", W.export, "--state", st3, "--json");
	cli_result_free(&r);
	{
		size_t len;
		char *text = test_read_file(st3, &len);
		char *at = strstr(text, "\"root\": \"") + 9;
		FILE *f;

		*at = *at == '0' ? '1' : '0';
		f = fopen(st3, "w");
		fputs(text, f);
		fclose(f);
		free(text);
	}
	RUN(r, 1, "audit", grown, "--state", st3, "--json");
	assert_string_equal(jstr(&r, "consistency"), "inconsistent");
	assert_non_null(strstr(jstr(&r, "problem"), "edited"));
	cli_result_free(&r);
	{
		FILE *f = fopen(st3, "w");

		fputs("not a state\n", f);
		fclose(f);
	}
	RUN(r, 5, "audit", grown, "--state", st3);
	assert_non_null(strstr(r.err, "move it away"));
	cli_result_free(&r);
}

static void
test_audit_live_server(void **state)
{
	const char *st = path("live.state");
	char *log_text = NULL, *acme_text = NULL;
	char id[2 * WB_HASH_LEN + 1];
	uint64_t size = size_now(), old;
	wb_hash root;
	cli_result r;

	(void)state;
	ledger_hex(id);
	RUN(r, 0, "audit", "--server", W.d.url, "--key", W.key, "--state", st,
	    "--json");
	assert_true(jtrue(&r, "ok"));
	assert_true(jtrue(&r, "replayed"));
	assert_int_equal(jint(&r, "entries"), size);
	assert_int_equal(jint(&r, "size"), size);
	assert_int_equal(jint(&r, "flagged"), 1);
	assert_string_equal(jstr(&r, "ledger_id"), id);
	assert_string_equal(jstr(&r, "source"), W.d.url);
	assert_string_equal(jstr(&r, "consistency"), "first use");
	cli_result_free(&r);
	/* More entries: the server proves the new checkpoint consistent. */
	old = size;
	stamp(W.acme, "urn:epc:id:sgtin:0614141.107346.0", WB_ACTION_OBSERVE,
	      "inspecting");
	stamp(W.acme, "urn:epc:id:sgtin:0614141.107346.1", WB_ACTION_OBSERVE,
	      "inspecting");
	size = size_now();
	assert_int_equal(wb_verifier_format(&log_text, ORIGIN,
	                                    wb_signer_pubkey(W.d.log)),
	                 WB_OK);
	RUN(r, 0, "audit", "--server", W.d.url, "--key", W.key, "--state", st,
	    "--log-key", log_text, "--json");
	assert_string_equal(jstr(&r, "consistency"), "consistent");
	assert_string_equal(jstr(&r, "anchor"), "log key");
	assert_int_equal(jint(&r, "size"), size);
	cli_result_free(&r);
	/* A later range only. */
	RUN(r, 0, "audit", "--server", W.d.url, "--key", W.key, "--state", st,
	    "--from", "4", "--json");
	assert_false(jtrue(&r, "replayed"));
	assert_int_equal(jint(&r, "from"), 4);
	assert_int_equal(jint(&r, "entries"), size - 4);
	cli_result_free(&r);
	/* The table form. */
	RUN(r, 0, "audit", "--server", W.d.url, "--key", W.key, "--state", st);
	assert_non_null(strstr(r.out, "consistent"));
	cli_result_free(&r);
	/* Another log key pinned: refused at the genesis. */
	assert_int_equal(wb_verifier_format(&acme_text, ORIGIN,
	                                    wb_signer_pubkey(W.acme)),
	                 WB_OK);
	RUN(r, 1, "audit", "--server", W.d.url, "--key", W.key, "--state", st,
	    "--log-key", acme_text, "--json");
	assert_int_equal(jint(&r, "first_bad"), 0);
	cli_result_free(&r);
	/* A remembered checkpoint the server cannot extend: a fork. */
	memset(root.b, 0xa5, sizeof(root.b));
	write_forked_state(st, old, &root);
	r = cli_run("audit", "--server", W.d.url, "--key", W.key, "--state", st,
	            "--json", NULL);
	expect_inconsistent(&r, size, old, "forked");
	cli_result_free(&r);
	/* --from beyond the ledger. */
	RUN(r, 2, "audit", "--server", W.d.url, "--key", W.key, "--state", st,
	    "--from", "100000");
	cli_result_free(&r);
	free(log_text);
	free(acme_text);
}

static void
test_audit_errors_have_their_codes(void **state)
{
	const char *st = path("err.state"), *garbage = path("garbage");
	char nowhere[4200];
	cli_result r;

	(void)state;
	snprintf(nowhere, sizeof(nowhere), "ipc://%s/nobody.sock", W.d.dir);
	RUN(r, 0, "audit", "--help");
	assert_non_null(strstr(r.out, "usage: waybill audit"));
	cli_result_free(&r);
	RUN(r, 0, "export", "--server", W.d.url, "--help");
	assert_non_null(strstr(r.out, "--server URL"));
	cli_result_free(&r);
	/* Usage. */
	RUN(r, 2, "audit");
	cli_result_free(&r);
	RUN(r, 2, "audit", W.export, W.export);
	cli_result_free(&r);
	RUN(r, 2, "audit", W.export, "--from", "3");
	cli_result_free(&r);
	RUN(r, 2, "audit", W.export, "--log-key", "not-a-key");
	cli_result_free(&r);
	RUN(r, 2, "audit", "--server", W.d.url, "--from", "x");
	cli_result_free(&r);
	/* Unreadable. */
	RUN(r, 5, "audit", path("no-such.export"), "--state", st);
	assert_non_null(strstr(r.err, "cannot open"));
	cli_result_free(&r);
	/* Not an export at all: a verification failure at 0. */
	{
		FILE *f = fopen(garbage, "w");

		fputs("this is not an export\n", f);
		fclose(f);
	}
	RUN(r, 1, "audit", garbage, "--state", st, "--json");
	assert_int_equal(jint(&r, "first_bad"), 0);
	cli_result_free(&r);
	/* Nobody listening. */
	RUN(r, 4, "audit", "--server", nowhere, "--key", W.key, "--timeout",
	    "1", "--state", st);
	cli_result_free(&r);
	RUN(r, 4, "export", "--server", nowhere, "--key", W.key, "--timeout",
	    "1", "--out", path("never.export"));
	assert_int_equal(access(path("never.export"), F_OK), -1);
	cli_result_free(&r);
	/* The server refuses a range that ends at no checkpoint. */
	RUN(r, 3, "export", "--server", W.d.url, "--key", W.key, "--to",
	    "100000", "--out", path("refused.export"));
	cli_result_free(&r);
	/* An existing file is never overwritten. */
	RUN(r, 5, "export", "--server", W.d.url, "--key", W.key, "--out",
	    W.export);
	cli_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_clean_export_passes),
		cmocka_unit_test(test_audit_catches_tampered_copies),
		cmocka_unit_test(test_audit_catches_forged_entries),
		cmocka_unit_test(test_audit_remembers_and_proves_consistency),
		cmocka_unit_test(test_audit_live_server),
		cmocka_unit_test(test_audit_errors_have_their_codes),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
