/* SPDX-License-Identifier: MIT */
/*
 * The verifier against tampering: a changed byte, a dropped entry, swapped
 * entries, a cut-off tail, an altered checkpoint and a correctly signed
 * entry that breaks a rule are each reported at the right index.
 */
#include "fixture.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"

struct world {
	fx_ledger fx;
	wb_signer *acme;
	wb_signer *shop;
	uint64_t size;
	uint64_t commits; /* checkpoints written */
};

static void
submit_object(struct world *w, const wb_signer *s, const char *ev,
              const char *id, wb_action action, const char *step)
{
	const char *ids[] = { id };
	wb_result res;
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	if (fx_submit(&w->fx, s, &st, &res) != WB_OK) {
		fail_msg("%s refused: %s", ev, res.problem.msg);
	}
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char id[64], ev[32];

	assert_non_null(w);
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->acme = fx_register(&w->fx, "Acme", 10, 0, "0614141", NULL, NULL);
	w->shop = fx_register(&w->fx, "Shop", 11, 0, "0012345", NULL, NULL);
	w->commits = 3;
	for (int i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "urn:epc:id:sgtin:0614141.107346.%d",
		         i % 3);
		snprintf(ev, sizeof(ev), "ev-%d", i);
		if (i < 3) {
			submit_object(w, w->acme, ev, id, WB_ACTION_ADD,
			              "commissioning");
		} else {
			submit_object(w, w->shop, ev, id, WB_ACTION_OBSERVE,
			              "receiving");
		}
		w->commits++;
	}
	w->size = fx_size(&w->fx);
	assert_int_equal(w->size, 9);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_signer_free(w->acme);
	wb_signer_free(w->shop);
	fx_close(&w->fx);
	free(w);
	return 0;
}

static wb_verify_report
verify(struct world *w)
{
	wb_verify_report r;

	assert_int_equal(wb_verify_journal(&r, w->fx.j, NULL, NULL, NULL),
	                 WB_OK);
	return r;
}

/* Opens the ledger's environment directly, as an attacker with the disk
 * would (the journal must be closed: LMDB forbids two opens per process). */
static void
raw_open(struct world *w, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi,
         const char *db)
{
	wb_journal_close(w->fx.j);
	w->fx.j = NULL;
	assert_int_equal(mdb_env_create(env), 0);
	mdb_env_set_maxdbs(*env, 16);
	assert_int_equal(mdb_env_open(*env, w->fx.dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(*env, NULL, 0, txn), 0);
	assert_int_equal(mdb_dbi_open(*txn, db, 0, dbi), 0);
}

static void
raw_close(struct world *w, MDB_env *env, MDB_txn *txn)
{
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	fx_reopen(&w->fx);
}

static void
index_key(uint8_t k[8], uint64_t index)
{
	for (int i = 7; i >= 0; i--) {
		k[i] = (uint8_t)index;
		index >>= 8;
	}
}

/* Flips one byte at `offset` of entry `index`. */
static void
flip_entry_byte(struct world *w, uint64_t index, size_t offset)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k[8], *copy;
	MDB_val key = { 8, k }, val;

	raw_open(w, &env, &txn, &dbi, "journal");
	index_key(k, index);
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	assert_true(offset < val.mv_size);
	copy = malloc(val.mv_size);
	memcpy(copy, val.mv_data, val.mv_size);
	copy[offset] ^= 0x01;
	val.mv_data = copy;
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	free(copy);
	raw_close(w, env, txn);
}

static void
test_verify_clean_ledger_passes(void **state)
{
	struct world *w = *state;
	wb_verify_report r = verify(w);

	assert_true(r.ok);
	assert_int_equal(r.entries, w->size);
	assert_int_equal(r.checkpoints, w->commits);
	assert_int_equal(r.flagged, 0);
	/* The shop received what Acme held: a custody gap, flagged. */
	assert_int_equal(r.custody_gaps, 3);
}

static void
test_verify_finds_each_flipped_byte(void **state)
{
	struct world *w = *state;
	uint8_t *bytes = NULL;
	size_t len;

	/* Every byte position of entry 6 (the stamp, its signature, the
	 * links, the record time): each change is caught at index 6. */
	assert_int_equal(wb_journal_entry(&bytes, &len, w->fx.j, 6), WB_OK);
	free(bytes);
	for (size_t off = 0; off < len; off += 7) {
		wb_verify_report r;

		flip_entry_byte(w, 6, off);
		r = verify(w);
		if (r.ok || r.first_bad != 6) {
			fail_msg("byte %zu of %zu: ok=%d first_bad=%llu (%s)",
			         off, len, r.ok,
			         (unsigned long long)r.first_bad, r.problem);
		}
		flip_entry_byte(w, 6, off); /* put it back */
	}
	assert_true(verify(w).ok);
}

static void
test_verify_finds_dropped_entry(void **state)
{
	struct world *w = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k[8];
	MDB_val key = { 8, k };
	wb_verify_report r;

	raw_open(w, &env, &txn, &dbi, "journal");
	index_key(k, 4);
	assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	raw_close(w, env, txn);
	r = verify(w);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 4);
	assert_non_null(strstr(r.problem, "missing"));
}

static void
test_verify_finds_swapped_entries(void **state)
{
	struct world *w = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k5[8], k6[8];
	MDB_val key5 = { 8, k5 }, key6 = { 8, k6 }, v5, v6;
	uint8_t *c5, *c6;
	wb_verify_report r;

	raw_open(w, &env, &txn, &dbi, "journal");
	index_key(k5, 5);
	index_key(k6, 6);
	assert_int_equal(mdb_get(txn, dbi, &key5, &v5), 0);
	assert_int_equal(mdb_get(txn, dbi, &key6, &v6), 0);
	c5 = malloc(v5.mv_size);
	c6 = malloc(v6.mv_size);
	memcpy(c5, v5.mv_data, v5.mv_size);
	memcpy(c6, v6.mv_data, v6.mv_size);
	v5.mv_data = c6;
	v6.mv_data = c5;
	{
		size_t t = v5.mv_size;

		v5.mv_size = v6.mv_size;
		v6.mv_size = t;
	}
	assert_int_equal(mdb_put(txn, dbi, &key5, &v5, 0), 0);
	assert_int_equal(mdb_put(txn, dbi, &key6, &v6, 0), 0);
	free(c5);
	free(c6);
	raw_close(w, env, txn);
	r = verify(w);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 5);
}

static void
test_verify_finds_cut_off_tail(void **state)
{
	struct world *w = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k[8];
	MDB_val key = { 8, k };
	wb_verify_report r;

	raw_open(w, &env, &txn, &dbi, "journal");
	index_key(k, w->size - 1);
	assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	raw_close(w, env, txn);
	r = verify(w);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, w->size - 1);
	assert_non_null(strstr(r.problem, "cut off"));
}

static void
test_verify_finds_altered_checkpoint(void **state)
{
	struct world *w = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t k[8];
	MDB_val key = { 8, k }, val;
	char *note;
	wb_verify_report r;

	raw_open(w, &env, &txn, &dbi, "checkpoints");
	index_key(k, 5);
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	note = malloc(val.mv_size + 1);
	memcpy(note, val.mv_data, val.mv_size);
	note[val.mv_size] = '\0';
	/* The size line says 5; make the root line say something else. */
	{
		char *root = strchr(strchr(note, '\n') + 1, '\n') + 1;

		root[3] = root[3] == 'A' ? 'B' : 'A';
	}
	val.mv_data = note;
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	free(note);
	raw_close(w, env, txn);
	r = verify(w);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 4);
	assert_non_null(strstr(r.problem, "checkpoint of tree size 5"));
}

static void
test_verify_finds_signed_rule_breaking_entry(void **state)
{
	struct world *w = *state;
	uint64_t bad = w->size;
	wb_verify_report r;

	/* A dishonest operator appends what the rules refuse: the shop
	 * commissioning Acme's item, correctly signed by the shop. */
	w->fx.j->skip_rules = true;
	submit_object(w, w->shop, "rogue", "urn:epc:id:sgtin:0614141.107346.77",
	              WB_ACTION_ADD, "commissioning");
	w->fx.j->skip_rules = false;
	submit_object(w, w->acme, "after", "urn:epc:id:sgtin:0614141.107346.78",
	              WB_ACTION_ADD, "commissioning");
	r = verify(w);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, bad);
	assert_non_null(strstr(r.problem, "outside-namespace"));
}

struct progress_seen {
	int calls;
	uint64_t done, total;
};

static void
on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress_seen *p = arg;

	assert_true(done >= p->done);
	p->calls++;
	p->done = done;
	p->total = total;
}

static void
test_verify_reports_progress(void **state)
{
	struct world *w = *state;
	struct progress_seen seen = { 0 };
	wb_verify_report r;

	assert_int_equal(
	        wb_verify_journal(&r, w->fx.j, NULL, on_progress, &seen),
	        WB_OK);
	assert_true(r.ok);
	assert_true(seen.calls >= 1);
	assert_int_equal(seen.done, w->size);
	assert_int_equal(seen.total, w->size);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_verify_clean_ledger_passes),
		T(test_verify_finds_each_flipped_byte),
		T(test_verify_finds_dropped_entry),
		T(test_verify_finds_swapped_entries),
		T(test_verify_finds_cut_off_tail),
		T(test_verify_finds_altered_checkpoint),
		T(test_verify_finds_signed_rule_breaking_entry),
		T(test_verify_reports_progress),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
