/* SPDX-License-Identifier: MIT */
/* Receipts: verified offline from the origin and log key alone, and any
 * change to them, or a receipt for another stamp, fails. */
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

struct world {
	fx_ledger fx;
	wb_signer *acme;
	wb_submission sub; /* the stamp a receipt is for */
	uint64_t index;
	uint8_t *receipt;
	size_t len;
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	const char *ids[] = { "urn:epc:id:sgtin:0614141.107346.2017" };
	wb_result res;
	wb_stamp s;

	assert_non_null(w);
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->acme = fx_register(&w->fx, "Acme", 10, 0, "0614141", NULL, NULL);
	fx_stamp_init(&s, &w->fx, WB_KIND_OBJECT, "ev-1");
	s.epcs = ids;
	s.n_epcs = 1;
	s.has_action = true;
	s.action = WB_ACTION_ADD;
	fx_submission(&w->sub, w->acme, &s);
	assert_int_equal(
	        wb_journal_append(w->fx.j, &w->sub, 1, &res, NULL, NULL),
	        WB_OK);
	assert_int_equal(res.err, WB_OK);
	w->index = res.index;
	assert_int_equal(
	        wb_journal_receipt(&w->receipt, &w->len, w->fx.j, w->index, 0),
	        WB_OK);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	free(w->receipt);
	free((void *)(uintptr_t)w->sub.body);
	wb_signer_free(w->acme);
	fx_close(&w->fx);
	free(w);
	return 0;
}

static wb_err
check(struct world *w, const uint8_t *r, size_t len, const char *origin,
      const wb_signer *log)
{
	wb_receipt_info info;

	return wb_receipt_verify(&info, r, len, origin, wb_signer_pubkey(log),
	                         w->sub.body, w->sub.body_len,
	                         w->sub.signature);
}

static void
test_receipt_verifies_offline(void **state)
{
	struct world *w = *state;
	wb_receipt_info info;
	wb_hash leaf;

	assert_int_equal(wb_receipt_verify(&info, w->receipt, w->len,
	                                   "test.example/ledger",
	                                   wb_signer_pubkey(w->fx.log),
	                                   w->sub.body, w->sub.body_len,
	                                   w->sub.signature),
	                 WB_OK);
	assert_int_equal(info.index, w->index);
	assert_int_equal(info.tree_size, w->index + 1);
	assert_int_equal(wb_journal_leaf_hash(&leaf, w->fx.j, w->index), WB_OK);
	assert_memory_equal(info.leaf_hash.b, leaf.b, WB_HASH_LEN);
}

static void
test_receipt_stays_valid_as_the_log_grows(void **state)
{
	struct world *w = *state;
	const char *ids[] = { "urn:epc:id:sgtin:0614141.107346.2018" };
	wb_result res;
	wb_stamp s;
	uint8_t *later = NULL;
	size_t len;

	fx_stamp_init(&s, &w->fx, WB_KIND_OBJECT, "ev-2");
	s.epcs = ids;
	s.n_epcs = 1;
	s.has_action = true;
	s.action = WB_ACTION_ADD;
	assert_int_equal(fx_submit(&w->fx, w->acme, &s, &res), WB_OK);
	assert_int_equal(
	        check(w, w->receipt, w->len, "test.example/ledger", w->fx.log),
	        WB_OK);
	/* A fresh receipt for the same entry proves it in the bigger tree. */
	assert_int_equal(wb_journal_receipt(&later, &len, w->fx.j, w->index, 0),
	                 WB_OK);
	assert_int_equal(check(w, later, len, "test.example/ledger", w->fx.log),
	                 WB_OK);
	free(later);
}

static void
test_receipt_refuses_wrong_keys_and_stamps(void **state)
{
	struct world *w = *state;
	wb_receipt_info info;
	uint8_t other[8] = { 1, 2, 3 };

	assert_int_equal(
	        check(w, w->receipt, w->len, "test.example/ledger", w->acme),
	        WB_EBADSIG);
	assert_int_equal(
	        check(w, w->receipt, w->len, "other.example/ledger", w->fx.log),
	        WB_EBADSIG);
	assert_int_equal(wb_receipt_verify(&info, w->receipt, w->len,
	                                   "test.example/ledger",
	                                   wb_signer_pubkey(w->fx.log), other,
	                                   sizeof(other), NULL),
	                 WB_EBADSIG);
	assert_int_equal(check(w, (const uint8_t *)"junk", 4,
	                       "test.example/ledger", w->fx.log),
	                 WB_EPROTO);
}

static void
test_receipt_every_flipped_byte_fails(void **state)
{
	struct world *w = *state;
	uint8_t *copy = malloc(w->len);
	size_t caught = 0;

	/* Every byte of the receipt matters: the entry, the index, the
	 * checkpoint (text and signature) and the proof. */
	for (size_t i = 0; i < w->len; i++) {
		memcpy(copy, w->receipt, w->len);
		copy[i] ^= 0x04;
		if (check(w, copy, w->len, "test.example/ledger", w->fx.log) !=
		    WB_OK) {
			caught++;
		} else {
			fail_msg("flipping byte %zu of %zu went unnoticed", i,
			         w->len);
		}
	}
	assert_int_equal(caught, w->len);
	free(copy);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_receipt_verifies_offline),
		T(test_receipt_stays_valid_as_the_log_grows),
		T(test_receipt_refuses_wrong_keys_and_stamps),
		T(test_receipt_every_flipped_byte_fails),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
