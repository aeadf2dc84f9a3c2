/* SPDX-License-Identifier: MIT */
/*
 * The event-ID index: the in-memory fingerprint table under collisions,
 * removal and growth, and the rule it serves — across batches that abort,
 * across a reopen, and for registry change IDs.
 */
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"

/* Every fp here lands in one of 4 home slots: long collision chains. */
static uint64_t
crowded_fp(uint64_t i)
{
	return (i % 4) | (i << 32);
}

static void
test_events_table_survives_collisions_and_removal(void **state)
{
	struct wb_event_table t = { 0 };
	uint64_t out[8];
	size_t n;

	(void)state;
	for (uint64_t i = 1; i <= 5000; i++) {
		assert_int_equal(wb_event_table_insert(&t, crowded_fp(i), i),
		                 WB_OK);
	}
	/* Two entries may share a fingerprint; both are found. */
	assert_int_equal(wb_event_table_insert(&t, crowded_fp(7), 9999), WB_OK);
	n = wb_event_table_find(&t, crowded_fp(7), out, 8);
	assert_int_equal(n, 2);
	assert_true((out[0] == 7 && out[1] == 9999) ||
	            (out[0] == 9999 && out[1] == 7));
	/* Remove every third; the rest stay reachable. */
	for (uint64_t i = 3; i <= 5000; i += 3) {
		wb_event_table_remove(&t, crowded_fp(i), i);
	}
	for (uint64_t i = 1; i <= 5000; i++) {
		n = wb_event_table_find(&t, crowded_fp(i), out, 8);
		if (i % 3 == 0) {
			assert_int_equal(n, 0);
		} else {
			assert_int_equal(n, i == 7 ? 2 : 1);
			assert_true(out[0] == i || out[n - 1] == i);
		}
	}
	assert_int_equal(t.n, 5000 - 5000 / 3 + 1);
	/* Removing what is not there changes nothing. */
	wb_event_table_remove(&t, crowded_fp(3), 3);
	assert_int_equal(t.n, 5000 - 5000 / 3 + 1);
	wb_events_fini(&t);
}

static void
object(wb_stamp *s, fx_ledger *fx, const char *ev, const char **ids)
{
	fx_stamp_init(s, fx, WB_KIND_OBJECT, ev);
	s->epcs = ids;
	s->n_epcs = 1;
	s->has_action = true;
	s->action = WB_ACTION_ADD;
}

static void
test_events_aborted_batch_leaves_no_trace(void **state)
{
	fx_ledger fx;
	wb_signer *acme, *shop;
	const char *a[] = { "urn:epc:id:sgtin:0614141.107346.1" };
	const char *b[] = { "urn:epc:id:sgtin:0614141.107346.2" };
	wb_append_opts atomic = { .atomic = true };
	wb_submission subs[2];
	wb_result res[2];
	wb_stamp s;

	(void)state;
	fx_open(&fx, WB_CUSTODY_ADVISORY);
	acme = fx_register(&fx, "Acme", 10, 0, "0614141", NULL, NULL);
	shop = fx_register(&fx, "Shop", 11, 0, "0012345", NULL, NULL);
	object(&s, &fx, "ev-1", a);
	fx_submission(&subs[0], acme, &s);
	object(&s, &fx, "ev-2", b);
	fx_submission(&subs[1], shop, &s); /* outside its namespace */
	assert_int_equal(wb_journal_append(fx.j, subs, 2, res, &atomic, NULL),
	                 WB_EREJECTED);
	/* ev-1 was never written: it is new, not a duplicate. */
	assert_int_equal(wb_journal_append(fx.j, subs, 1, res, NULL, NULL),
	                 WB_OK);
	assert_int_equal(res[0].err, WB_OK);
	assert_false(res[0].duplicate);
	assert_int_equal(res[0].index, 3);
	free((void *)(uintptr_t)subs[0].body);
	free((void *)(uintptr_t)subs[1].body);
	wb_signer_free(acme);
	wb_signer_free(shop);
	fx_close(&fx);
}

static void
test_events_survive_reopen(void **state)
{
	fx_ledger fx;
	wb_signer *acme;
	const char *a[] = { "urn:epc:id:sgtin:0614141.107346.1" };
	const char *b[] = { "urn:epc:id:sgtin:0614141.107346.2" };
	wb_result res;
	wb_stamp s;

	(void)state;
	fx_open(&fx, WB_CUSTODY_ADVISORY);
	acme = fx_register(&fx, "Acme", 10, 0, "0614141", NULL, NULL);
	object(&s, &fx, "ev-1", a);
	assert_int_equal(fx_submit(&fx, acme, &s, &res), WB_OK);
	assert_int_equal(res.index, 2);
	fx_reopen(&fx);
	assert_int_equal(fx_submit(&fx, acme, &s, &res), WB_OK);
	assert_true(res.duplicate);
	assert_int_equal(res.index, 2);
	object(&s, &fx, "ev-1", b);
	assert_int_equal(fx_submit(&fx, acme, &s, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_DUPLICATE_EVENT_ID);
	assert_int_equal(fx_size(&fx), 3);
	wb_signer_free(acme);
	fx_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		        test_events_table_survives_collisions_and_removal),
		cmocka_unit_test(test_events_aborted_batch_leaves_no_trace),
		cmocka_unit_test(test_events_survive_reopen),
	};

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
