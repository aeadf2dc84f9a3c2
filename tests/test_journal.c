/* SPDX-License-Identifier: MIT */
/*
 * The journal: creation and genesis, reopening, the on-disk format version,
 * reads (entries, ranges, histories, checkpoints, proofs, receipts), a full
 * map, and backups.
 */
#include "fixture.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_FMT "urn:epc:id:sgtin:0614141.107346.%d"

static int
setup(void **state)
{
	fx_ledger *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx_open(fx, WB_CUSTODY_ADVISORY);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fx_close(*state);
	free(*state);
	return 0;
}

/* Commissions `n` items (serials from `first`) in one batch; returns the
 * index of the first. */
static uint64_t
commission_batch(fx_ledger *fx, const wb_signer *s, int first, int n)
{
	wb_submission *subs = calloc((size_t)n, sizeof(*subs));
	wb_result *res = calloc((size_t)n, sizeof(*res));
	uint64_t index;

	assert_non_null(subs);
	assert_non_null(res);
	for (int i = 0; i < n; i++) {
		char id[64], ev[32];
		const char *ids[1] = { id };
		wb_stamp st;

		snprintf(id, sizeof(id), ITEM_FMT, first + i);
		snprintf(ev, sizeof(ev), "ev-%d", first + i);
		fx_stamp_init(&st, fx, WB_KIND_OBJECT, ev);
		st.epcs = ids;
		st.n_epcs = 1;
		st.has_action = true;
		st.action = WB_ACTION_ADD;
		fx_submission(&subs[i], s, &st);
	}
	assert_int_equal(
	        wb_journal_append(fx->j, subs, (size_t)n, res, NULL, NULL),
	        WB_OK);
	for (int i = 0; i < n; i++) {
		assert_int_equal(res[i].err, WB_OK);
		free((void *)(uintptr_t)subs[i].body);
	}
	index = res[0].index;
	free(subs);
	free(res);
	return index;
}

static void
test_journal_genesis_names_keys_and_policy(void **state)
{
	fx_ledger *fx = *state;
	const wb_genesis *g = wb_journal_genesis(fx->j);
	uint8_t *bytes = NULL;
	size_t len;
	wb_hash id;
	wb_entry *e = NULL;
	char *cp = NULL;
	wb_checkpoint c;

	assert_string_equal(g->origin, "test.example/ledger");
	assert_memory_equal(g->log_key.b, wb_signer_pubkey(fx->log)->b,
	                    WB_PUBKEY_LEN);
	assert_memory_equal(g->admin_key.b, wb_signer_pubkey(fx->admin)->b,
	                    WB_PUBKEY_LEN);
	assert_int_equal(g->custody, WB_CUSTODY_ADVISORY);
	assert_int_equal(g->format_version, WB_FORMAT_VERSION);
	assert_int_equal(fx_size(fx), 1);
	/* The ledger ID is SHA-256 of leaf 0's bytes. */
	assert_int_equal(wb_journal_entry(&bytes, &len, fx->j, 0), WB_OK);
	wb_hash_sha256(&id, bytes, len);
	assert_memory_equal(id.b, wb_journal_ledger_id(fx->j), WB_HASH_LEN);
	assert_int_equal(wb_entry_decode(&e, bytes, len), WB_OK);
	assert_int_equal(e->type, WB_ENTRY_GENESIS);
	assert_int_equal(e->index, 0);
	wb_entry_free(e);
	free(bytes);
	/* The genesis commit has its checkpoint. */
	assert_int_equal(wb_journal_checkpoint(&cp, fx->j, 1), WB_OK);
	assert_int_equal(wb_checkpoint_verify(&c, cp, strlen(cp),
	                                      "test.example/ledger",
	                                      wb_signer_pubkey(fx->log)),
	                 WB_OK);
	assert_int_equal(c.size, 1);
	free(cp);
}

static void
test_journal_create_refuses_existing_and_bad_origin(void **state)
{
	fx_ledger *fx = *state;
	wb_journal_create_opts co = { .origin = "test.example/ledger",
		                      .log_key = fx->log };
	wb_signer *other = test_signer("other", 7);

	co.admin_key = *wb_signer_pubkey(fx->admin);
	assert_int_equal(wb_journal_create(fx->dir, &co), WB_EEXISTS);
	/* The log key's name must be the origin. */
	co.log_key = other;
	assert_int_equal(wb_journal_create("/tmp/never-made", &co), WB_EINVAL);
	wb_signer_free(other);
}

static void
test_journal_open_checks_dir_key_and_version(void **state)
{
	fx_ledger *fx = *state;
	wb_journal_open_opts oo = { 0 };
	wb_signer *wrong = test_signer("test.example/ledger", 9);
	char *empty = test_mkdtemp();
	wb_journal *j = NULL;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 6, "format" }, v;
	uint8_t v2[4] = { 0, 0, 0, WB_FORMAT_VERSION + 1 };

	assert_int_equal(wb_journal_open(&j, empty, &oo), WB_ENOTFOUND);
	test_rmdir(empty);
	oo.log_key = wrong;
	assert_int_equal(wb_journal_open(&j, fx->dir, &oo), WB_EDENIED);
	wb_signer_free(wrong);
	/* A newer on-disk format is refused with WB_EVERSION. */
	wb_journal_close(fx->j);
	fx->j = NULL;
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 16);
	assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	v.mv_size = 4;
	v.mv_data = v2;
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	oo.log_key = NULL;
	assert_int_equal(wb_journal_open(&j, fx->dir, &oo), WB_EVERSION);
	assert_null(j);
	/* Put it back so teardown can open it. */
	v2[3] = WB_FORMAT_VERSION;
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 16);
	assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	fx_reopen(fx);
}

static void
test_journal_reads_survive_reopen(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *acme = fx_register(fx, "Acme", 10, 0, "0614141", NULL, NULL);
	uint64_t first = commission_batch(fx, acme, 1, 5);
	wb_hash root_before, root_after;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;

	assert_int_equal(fx_size(fx), 7);
	assert_int_equal(wb_journal_root(&root_before, fx->j, 7), WB_OK);
	assert_int_equal(wb_journal_entry(&a, &alen, fx->j, first + 2), WB_OK);
	fx_reopen(fx);
	assert_int_equal(fx_size(fx), 7);
	assert_int_equal(wb_journal_root(&root_after, fx->j, 7), WB_OK);
	assert_memory_equal(root_before.b, root_after.b, WB_HASH_LEN);
	assert_int_equal(wb_journal_entry(&b, &blen, fx->j, first + 2), WB_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_int_equal(wb_journal_entry(&b, &blen, fx->j, 7), WB_ENOTFOUND);
	free(a);
	free(b);
	/* Appending continues where it stopped. */
	assert_int_equal(commission_batch(fx, acme, 6, 1), 7);
	wb_signer_free(acme);
}

struct range_seen {
	uint64_t indexes[16];
	size_t n;
};

static wb_err
collect(uint64_t index, const uint8_t *bytes, size_t len, void *arg)
{
	struct range_seen *r = arg;

	(void)bytes;
	assert_true(len > 0);
	r->indexes[r->n++] = index;
	return r->n == 3 ? WB_ECLOSED : WB_OK;
}

static void
test_journal_range_walks_in_order_and_stops(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *acme = fx_register(fx, "Acme", 10, 0, "0614141", NULL, NULL);
	struct range_seen r = { 0 };

	commission_batch(fx, acme, 1, 6);
	assert_int_equal(wb_journal_range(fx->j, 2, 6, collect, &r),
	                 WB_ECLOSED);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.indexes[0], 2);
	assert_int_equal(r.indexes[2], 4);
	r.n = 0;
	assert_int_equal(wb_journal_range(fx->j, 6, 100, collect, &r), WB_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.indexes[1], 7);
	wb_signer_free(acme);
}

static void
test_journal_history_pages_both_ways(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *acme = fx_register(fx, "Acme", 10, 0, "0614141", NULL, NULL);
	const char *item = "urn:epc:id:sgtin:0614141.107346.1";
	const char *ids[] = { item };
	uint64_t idx[8], expect[6];
	wb_problem p;
	size_t n;
	wb_result res;

	commission_batch(fx, acme, 1, 1);
	expect[0] = fx_size(fx) - 1;
	commission_batch(fx, acme, 2, 2); /* other twins between */
	for (int i = 1; i < 6; i++) {
		char ev[16];
		wb_stamp s;

		snprintf(ev, sizeof(ev), "obs-%d", i);
		fx_stamp_init(&s, fx, WB_KIND_OBJECT, ev);
		s.epcs = ids;
		s.n_epcs = 1;
		s.has_action = true;
		s.action = WB_ACTION_OBSERVE;
		assert_int_equal(fx_submit(fx, acme, &s, &res), WB_OK);
		expect[i] = res.index;
	}
	/* Forward, two at a time. */
	assert_int_equal(
	        wb_journal_history(idx, &n, 2, fx->j, item, 0, false, &p),
	        WB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(idx[0], expect[0]);
	assert_int_equal(idx[1], expect[1]);
	assert_int_equal(
	        wb_journal_history(idx, &n, 8, fx->j, item, idx[1], false, &p),
	        WB_OK);
	assert_int_equal(n, 4);
	assert_int_equal(idx[3], expect[5]);
	/* Backward from the end, then after a cursor. */
	assert_int_equal(wb_journal_history(idx, &n, 3, fx->j, item, UINT64_MAX,
	                                    true, &p),
	                 WB_OK);
	assert_int_equal(n, 3);
	assert_int_equal(idx[0], expect[5]);
	assert_int_equal(idx[2], expect[3]);
	assert_int_equal(
	        wb_journal_history(idx, &n, 8, fx->j, item, idx[2], true, &p),
	        WB_OK);
	assert_int_equal(n, 3);
	assert_int_equal(idx[2], expect[0]);
	/* The Digital Link form finds it; unknown twins are not found; bad
	 * IDs are refused. */
	assert_int_equal(
	        wb_journal_history(idx, &n, 8, fx->j,
	                           "https://id.gs1.org/01/10614141073464/21/1",
	                           0, false, &p),
	        WB_OK);
	assert_int_equal(n, 6);
	assert_int_equal(wb_journal_history(idx, &n, 8, fx->j,
	                                    "urn:example:nothing", 0, false,
	                                    &p),
	                 WB_ENOTFOUND);
	assert_int_equal(
	        wb_journal_history(idx, &n, 8, fx->j, "a\x01", 0, false, &p),
	        WB_EREJECTED);
	assert_int_equal(p.reason, WB_REJECT_BAD_ID);
	wb_signer_free(acme);
}

static void
test_journal_proofs_and_receipts_verify(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *acme = fx_register(fx, "Acme", 10, 0, "0614141", NULL, NULL);
	wb_hash proof[WB_MERKLE_MAX_PROOF], root_m, root_n, leaf;
	wb_receipt_info info;
	uint8_t *rc_bytes = NULL, *entry = NULL;
	size_t n, len, elen;
	uint64_t size;

	commission_batch(fx, acme, 1, 10);
	commission_batch(fx, acme, 11, 7);
	size = fx_size(fx);
	assert_int_equal(size, 19);
	for (uint64_t i = 0; i < size; i++) {
		assert_int_equal(
		        wb_journal_inclusion_proof(proof, &n, fx->j, i, size),
		        WB_OK);
		assert_int_equal(wb_journal_leaf_hash(&leaf, fx->j, i), WB_OK);
		assert_int_equal(wb_journal_root(&root_n, fx->j, size), WB_OK);
		assert_int_equal(
		        wb_merkle_verify_inclusion(leaf.b, 32, i, size,
		                                   (const uint8_t *)proof,
		                                   n * 32, root_n.b, 32),
		        WB_OK);
	}
	assert_int_equal(wb_journal_consistency_proof(proof, &n, fx->j, 12, 19),
	                 WB_OK);
	assert_int_equal(wb_journal_root(&root_m, fx->j, 12), WB_OK);
	assert_int_equal(
	        wb_merkle_verify_consistency(12, 19, root_m.b, 32, root_n.b, 32,
	                                     (const uint8_t *)proof, n * 32),
	        WB_OK);
	assert_int_equal(wb_journal_consistency_proof(proof, &n, fx->j, 0, 19),
	                 WB_EINVAL);
	assert_int_equal(wb_journal_consistency_proof(proof, &n, fx->j, 3, 20),
	                 WB_EINVAL);
	assert_int_equal(wb_journal_inclusion_proof(proof, &n, fx->j, 19, 19),
	                 WB_EINVAL);
	/* A receipt against the checkpoint of the first batch's commit. */
	assert_int_equal(wb_journal_receipt(&rc_bytes, &len, fx->j, 5, 12),
	                 WB_OK);
	assert_int_equal(wb_journal_entry(&entry, &elen, fx->j, 5), WB_OK);
	assert_int_equal(
	        wb_receipt_verify(&info, rc_bytes, len, "test.example/ledger",
	                          wb_signer_pubkey(fx->log), NULL, 0, NULL),
	        WB_OK);
	assert_int_equal(info.index, 5);
	assert_int_equal(info.tree_size, 12);
	free(rc_bytes);
	/* No commit ended at 13: no checkpoint, no receipt there. */
	assert_int_equal(wb_journal_receipt(&rc_bytes, &len, fx->j, 5, 13),
	                 WB_ENOTFOUND);
	/* The latest checkpoint by default. */
	assert_int_equal(wb_journal_receipt(&rc_bytes, &len, fx->j, 5, 0),
	                 WB_OK);
	assert_int_equal(
	        wb_receipt_verify(&info, rc_bytes, len, "test.example/ledger",
	                          wb_signer_pubkey(fx->log), NULL, 0, NULL),
	        WB_OK);
	assert_int_equal(info.tree_size, 19);
	free(rc_bytes);
	free(entry);
	wb_signer_free(acme);
}

static void
test_journal_full_map_writes_nothing_and_reads_work(void **state)
{
	wb_journal_create_opts co = { .map_size = 256 * 1024,
		                      .max_map_size = 512 * 1024 };
	fx_ledger fx;
	wb_signer *acme;
	wb_submission subs[50];
	wb_result res[50];
	uint64_t before, size;
	bool full = false;
	char *cp = NULL;
	int serial = 0;

	(void)state;
	fx_open_opts(&fx, &co);
	acme = fx_register(&fx, "Acme", 10, 0, "0614141", NULL, NULL);
	for (int round = 0; round < 200 && !full; round++) {
		wb_err rc;

		for (int i = 0; i < 50; i++) {
			char id[64], ev[32];
			const char *ids[1] = { id };
			wb_stamp s;

			snprintf(id, sizeof(id), ITEM_FMT, serial);
			snprintf(ev, sizeof(ev), "ev-%d", serial++);
			fx_stamp_init(&s, &fx, WB_KIND_OBJECT, ev);
			s.epcs = ids;
			s.n_epcs = 1;
			s.has_action = true;
			s.action = WB_ACTION_ADD;
			fx_submission(&subs[i], acme, &s);
		}
		before = fx_size(&fx);
		rc = wb_journal_append(fx.j, subs, 50, res, NULL, &size);
		if (rc == WB_ENOSPC) {
			full = true;
			/* Nothing of the batch was written; reads work. */
			assert_int_equal(fx_size(&fx), before);
			assert_int_equal(wb_journal_checkpoint(&cp, fx.j, 0),
			                 WB_OK);
			assert_non_null(strstr(cp, "test.example/ledger"));
			free(cp);
		} else {
			assert_int_equal(rc, WB_OK);
			assert_int_equal(size, before + 50);
		}
		for (int i = 0; i < 50; i++) {
			free((void *)(uintptr_t)subs[i].body);
		}
	}
	assert_true(full);
	/* After reopening with a larger maximum, ingest resumes. */
	wb_journal_close(fx.j);
	{
		wb_journal_open_opts oo = { .log_key = fx.log,
			                    .max_map_size = 64 << 20 };

		assert_int_equal(wb_journal_open(&fx.j, fx.dir, &oo), WB_OK);
	}
	before = fx_size(&fx);
	commission_batch(&fx, acme, 100000, 50);
	assert_int_equal(fx_size(&fx), before + 50);
	wb_signer_free(acme);
	fx_close(&fx);
}

static void
test_journal_backup_opens_and_matches(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *acme = fx_register(fx, "Acme", 10, 0, "0614141", NULL, NULL);
	char *dir = test_mkdtemp();
	wb_journal *copy = NULL;
	wb_hash a, b;
	uint64_t n;

	commission_batch(fx, acme, 1, 20);
	assert_int_equal(wb_journal_backup(fx->j, dir), WB_OK);
	assert_int_equal(wb_journal_open(&copy, dir, NULL), WB_OK);
	assert_int_equal(wb_journal_size(&n, copy), WB_OK);
	assert_int_equal(n, fx_size(fx));
	assert_int_equal(wb_journal_root(&a, copy, n), WB_OK);
	assert_int_equal(wb_journal_root(&b, fx->j, n), WB_OK);
	assert_memory_equal(a.b, b.b, WB_HASH_LEN);
	assert_memory_equal(wb_journal_ledger_id(copy),
	                    wb_journal_ledger_id(fx->j), WB_HASH_LEN);
	wb_journal_close(copy);
	test_rmdir(dir);
	wb_signer_free(acme);
}

static void
test_journal_refuses_appends_without_log_key(void **state)
{
	fx_ledger *fx = *state;
	wb_journal *ro = NULL;
	wb_result res;
	wb_submission sub = { 0 };

	assert_int_equal(wb_journal_open(&ro, fx->dir, NULL), WB_OK);
	assert_int_equal(wb_journal_append(ro, &sub, 1, &res, NULL, NULL),
	                 WB_EDENIED);
	wb_journal_close(ro);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_journal_genesis_names_keys_and_policy),
		T(test_journal_create_refuses_existing_and_bad_origin),
		T(test_journal_open_checks_dir_key_and_version),
		T(test_journal_reads_survive_reopen),
		T(test_journal_range_walks_in_order_and_stops),
		T(test_journal_history_pages_both_ways),
		T(test_journal_proofs_and_receipts_verify),
		cmocka_unit_test(
		        test_journal_full_map_writes_nothing_and_reads_work),
		T(test_journal_backup_opens_and_matches),
		T(test_journal_refuses_appends_without_log_key),
	};
#undef T

	wb_log_set_level(WB_LOG_ERROR + 0);
	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
