/* SPDX-License-Identifier: MIT */
/*
 * The service end to end: the real waybilld on ipc:// (and tcp:// where
 * said), every operation through the client library, receipts verified
 * offline, authentication both ways, notices, and an orderly restart.
 */
#include "daemon.h"

#include <stdlib.h>
#include <string.h>

#define ITEM "urn:epc:id:sgtin:0614141.107346.%d"

struct world {
	td_daemon d;
	wb_rpc_client *admin; /* admin key, for registry changes and reads */
	wb_signer *acme;
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	td_ledger(&w->d, WB_CUSTODY_ADVISORY);
	td_start(&w->d, "ipc", NULL);
	w->admin = td_client(&w->d, w->d.admin, false);
	w->acme = td_register(&w->d, w->admin, "Acme", 10,
	                      1u << WB_ROLE_BRAND_OWNER, "0614141");
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_rpc_client_close(w->admin);
	td_stop(&w->d);
	wb_signer_free(w->acme);
	td_cleanup(&w->d);
	free(w);
	return 0;
}

/* Submits n stamps commissioning items [first, first+n). */
static wb_rpc_result *
commission(struct world *w, wb_rpc_client *c, int first, int n,
           uint64_t *size_out)
{
	wb_submission *subs = calloc((size_t)n, sizeof(*subs));
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	char id[64], ev[32];

	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), ITEM, first + i);
		snprintf(ev, sizeof(ev), "ev-%d", first + i);
		td_stamp(&w->d, &subs[i], w->acme, ev, id, WB_ACTION_ADD,
		         "commissioning");
	}
	if (wb_rpc_submit(&res, size_out, c, subs, (size_t)n, false, &p) !=
	    WB_OK) {
		fail_msg("submit: %s", p.msg);
	}
	for (int i = 0; i < n; i++) {
		free((void *)(uintptr_t)subs[i].body);
	}
	free(subs);
	return res;
}

static void
test_rpc_ping_and_info_are_anonymous(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, NULL, false);
	wb_rpc_info info;

	assert_int_equal(wb_rpc_ping(c, NULL), WB_OK);
	assert_int_equal(wb_rpc_info_get(&info, c, NULL), WB_OK);
	assert_string_equal(info.origin, "test.example/ledger");
	assert_memory_equal(info.ledger_id, w->d.ledger_id, WB_HASH_LEN);
	assert_int_equal(info.tree_size, 2);
	assert_non_null(strstr(info.admin_key, "admin+"));
	assert_non_null(strstr(info.log_key, "test.example/ledger+"));
	assert_string_equal(info.custody, "advisory");
	assert_true(info.max_batch > 0);
	assert_true(info.requests > 0);
	assert_non_null(strstr(info.checkpoint, "test.example/ledger\n2\n"));
	free(info.checkpoint);
	wb_rpc_client_close(c);
}

static void
test_rpc_submit_returns_verifiable_receipts(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, NULL, false);
	uint64_t size = 0;
	wb_rpc_result *res = commission(w, c, 1, 5, &size);
	wb_receipt_info ri;

	assert_int_equal(size, 7);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(res[i].err, WB_OK);
		assert_int_equal(res[i].index, 2 + (uint64_t)i);
		assert_non_null(res[i].receipt);
		assert_int_equal(wb_receipt_verify(&ri, res[i].receipt,
		                                   res[i].receipt_len,
		                                   "test.example/ledger",
		                                   wb_signer_pubkey(w->d.log),
		                                   NULL, 0, NULL),
		                 WB_OK);
		assert_int_equal(ri.index, res[i].index);
	}
	wb_rpc_results_free(res, 5);
	/* The same stamps again: the first receipts, nothing new. */
	res = commission(w, c, 1, 5, &size);
	assert_int_equal(size, 7);
	assert_true(res[0].duplicate);
	assert_int_equal(res[4].index, 6);
	wb_rpc_results_free(res, 5);
	wb_rpc_client_close(c);
}

static void
test_rpc_refusals_carry_reason_and_message(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, NULL, false);
	wb_signer *stranger = test_signer("Stranger", 77);
	wb_submission sub;
	wb_rpc_result *res = NULL;
	wb_problem p;

	td_stamp(&w->d, &sub, stranger, "ev-x",
	         "urn:epc:id:sgtin:0614141.107346.1", WB_ACTION_OBSERVE, NULL);
	assert_int_equal(wb_rpc_submit(&res, NULL, c, &sub, 1, false, &p),
	                 WB_OK);
	assert_int_equal(res[0].err, WB_EREJECTED);
	assert_int_equal(res[0].problem.reason, WB_REJECT_UNKNOWN_SIGNER);
	assert_non_null(strstr(res[0].problem.msg, "register"));
	assert_null(res[0].receipt);
	wb_rpc_results_free(res, 1);
	/* Atomic: one refusal, nothing written. */
	{
		wb_submission two[2];

		td_stamp(&w->d, &two[0], w->acme, "ok-1",
		         "urn:epc:id:sgtin:0614141.107346.50", WB_ACTION_ADD,
		         NULL);
		two[1] = sub;
		assert_int_equal(wb_rpc_submit(&res, NULL, c, two, 2, true, &p),
		                 WB_EREJECTED);
		assert_int_equal(res[1].problem.reason,
		                 WB_REJECT_UNKNOWN_SIGNER);
		assert_int_equal(res[0].err, WB_EREJECTED);
		wb_rpc_results_free(res, 2);
		free((void *)(uintptr_t)two[0].body);
	}
	free((void *)(uintptr_t)sub.body);
	wb_signer_free(stranger);
	wb_rpc_client_close(c);
}

static void
test_rpc_reads_need_a_registered_key(void **state)
{
	struct world *w = *state;
	wb_rpc_client *anon = td_client(&w->d, NULL, false);
	wb_signer *stranger = test_signer("Stranger", 77);
	wb_rpc_client *unknown = td_client(&w->d, stranger, false);
	wb_rpc_client *logc = td_client(&w->d, w->d.log, false);
	wb_rpc_client *acme = td_client(&w->d, w->acme, false);
	wb_rpc_client *signed_req = td_client(&w->d, w->acme, true);
	uint8_t *entry = NULL;
	size_t len;
	wb_problem p;

	assert_int_equal(wb_rpc_get_entry(&entry, &len, anon, 1, &p),
	                 WB_EDENIED);
	assert_int_equal(p.reason, WB_REJECT_AUTH_REQUIRED);
	assert_int_equal(wb_rpc_get_entry(&entry, &len, unknown, 1, &p),
	                 WB_EDENIED);
	assert_int_equal(p.reason, WB_REJECT_UNKNOWN_SIGNER);
	assert_int_equal(wb_rpc_get_entry(&entry, &len, logc, 1, &p),
	                 WB_EDENIED);
	assert_int_equal(p.reason, WB_REJECT_WRONG_KEY);
	assert_int_equal(wb_rpc_get_entry(&entry, &len, acme, 1, &p), WB_OK);
	free(entry);
	assert_int_equal(wb_rpc_get_entry(&entry, &len, signed_req, 1, &p),
	                 WB_OK);
	free(entry);
	assert_int_equal(wb_rpc_get_entry(&entry, &len, w->admin, 0, &p),
	                 WB_OK);
	free(entry);
	assert_int_equal(wb_rpc_get_entry(&entry, &len, acme, 99, &p),
	                 WB_ENOTFOUND);
	wb_rpc_client_close(anon);
	wb_rpc_client_close(unknown);
	wb_rpc_client_close(logc);
	wb_rpc_client_close(acme);
	wb_rpc_client_close(signed_req);
	wb_signer_free(stranger);
}

static void
test_rpc_revoked_key_loses_its_open_connection(void **state)
{
	struct world *w = *state;
	wb_rpc_client *acme = td_client(&w->d, w->acme, false);
	wb_registry_change ch = { 0 };
	wb_submission sub;
	wb_rpc_result *res = NULL;
	uint64_t size = 0;
	char *note = NULL;
	wb_problem p;

	assert_int_equal(wb_rpc_checkpoint(&note, &size, acme, 0, &p), WB_OK);
	free(note);
	ch.change_id = "revoke-acme";
	ch.op = WB_REG_REVOKE;
	ch.key = *wb_signer_pubkey(w->acme);
	ch.effective_index = size;
	td_registry_item(&w->d, &sub, &ch);
	assert_int_equal(
	        wb_rpc_submit(&res, NULL, w->admin, &sub, 1, false, &p), WB_OK);
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);
	assert_int_equal(wb_rpc_checkpoint(&note, &size, acme, 0, &p),
	                 WB_EDENIED);
	assert_int_equal(p.reason, WB_REJECT_KEY_REVOKED);
	wb_rpc_client_close(acme);
}

static void
test_rpc_history_proofs_and_range(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->acme, false);
	wb_rpc_result *res = commission(w, c, 1, 3, NULL);
	wb_hash proof[WB_MERKLE_MAX_PROOF], leaf;
	wb_checkpoint cp, cp2;
	uint64_t *idx = NULL, next, size, size2;
	char *note = NULL, *note2 = NULL;
	wb_export_info info;
	wb_verify_report rep;
	size_t n, np;
	char *data = NULL;
	size_t dlen = 0;
	FILE *f;
	wb_problem p;

	wb_rpc_results_free(res, 3);
	assert_int_equal(
	        wb_rpc_history(&idx, &n, &next, c,
	                       "https://id.gs1.org/01/10614141073464/21/2", 0,
	                       false, 10, &p),
	        WB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(idx[0], 3);
	assert_int_equal(next, 0);
	free(idx);
	assert_int_equal(wb_rpc_inclusion_proof(proof, &np, &leaf, &size, &note,
	                                        c, 3, 0, &p),
	                 WB_OK);
	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
	                                      "test.example/ledger",
	                                      wb_signer_pubkey(w->d.log)),
	                 WB_OK);
	assert_int_equal(cp.size, size);
	assert_int_equal(wb_merkle_verify_inclusion(leaf.b, 32, 3, size,
	                                            (const uint8_t *)proof,
	                                            np * 32, cp.root.b, 32),
	                 WB_OK);
	assert_int_equal(wb_rpc_consistency_proof(proof, &np, &size2, &note2, c,
	                                          2, 0, &p),
	                 WB_OK);
	free(note);
	assert_int_equal(wb_rpc_checkpoint(&note, &size, c, 2, &p), WB_OK);
	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note),
	                                      "test.example/ledger",
	                                      wb_signer_pubkey(w->d.log)),
	                 WB_OK);
	assert_int_equal(wb_checkpoint_verify(&cp2, note2, strlen(note2),
	                                      "test.example/ledger",
	                                      wb_signer_pubkey(w->d.log)),
	                 WB_OK);
	assert_int_equal(wb_merkle_verify_consistency(
	                         2, size2, cp.root.b, 32, cp2.root.b, 32,
	                         (const uint8_t *)proof, np * 32),
	                 WB_OK);
	free(note);
	free(note2);
	/* The range export verifies with the log key alone. */
	f = open_memstream(&data, &dlen);
	assert_int_equal(wb_rpc_get_range(f, c, 0, 0, &p), WB_OK);
	fclose(f);
	f = fmemopen(data, dlen, "rb");
	assert_int_equal(wb_verify_export(&rep, &info, f,
	                                  wb_signer_pubkey(w->d.log), NULL,
	                                  NULL, NULL),
	                 WB_OK);
	fclose(f);
	free(data);
	assert_true(rep.ok);
	assert_int_equal(info.to, 5);
	wb_rpc_client_close(c);
}

static void
test_rpc_notices_announce_checkpoints(void **state)
{
	struct world *w = *state;
	wb_rpc_subscriber *sub = NULL;
	wb_rpc_result *res;
	wb_notice n;
	bool seen = false;

	assert_int_equal(wb_rpc_subscribe(&sub, w->d.pub_url), WB_OK);
	/* A subscription takes a moment to connect: submit until a notice
	 * arrives, as a subscriber would catch up. */
	for (int i = 0; i < 50 && !seen; i++) {
		res = commission(w, w->admin, 100 + i, 1, NULL);
		wb_rpc_results_free(res, 1);
		if (wb_rpc_notice_next(&n, sub, 100) == WB_OK) {
			assert_int_equal(n.kind, WB_NOTICE_CHECKPOINT);
			assert_non_null(n.checkpoint);
			assert_true(n.index >= 3);
			free(n.checkpoint);
			seen = true;
		}
	}
	assert_true(seen);
	wb_rpc_subscriber_close(sub);
}

static void
test_rpc_restart_continues(void **state)
{
	struct world *w = *state;
	wb_rpc_result *res = commission(w, w->admin, 1, 2, NULL);
	uint64_t size = 0;

	wb_rpc_results_free(res, 2);
	wb_rpc_client_close(w->admin);
	td_stop(&w->d);
	td_start(&w->d, "ipc", NULL);
	w->admin = td_client(&w->d, w->d.admin, false);
	res = commission(w, w->admin, 3, 2, &size);
	assert_int_equal(res[0].index, 4);
	assert_int_equal(size, 6);
	wb_rpc_results_free(res, 2);
}

static void
test_rpc_ledger_full_refuses_and_reads_go_on(void **state)
{
	td_daemon d;
	wb_rpc_client *admin;
	wb_signer *acme;
	wb_problem p;
	bool full = false;
	uint64_t size = 0;
	char *note = NULL;

	(void)state;
	td_ledger(&d, WB_CUSTODY_ADVISORY);
	td_start(&d, "ipc", "--map-size", "1048576", NULL);
	admin = td_client(&d, d.admin, false);
	acme = td_register(&d, admin, "Acme", 10, 0, "0614141");
	for (int round = 0; round < 200 && !full; round++) {
		wb_submission subs[50];
		wb_rpc_result *res = NULL;
		char id[64], ev[32];
		wb_err rc;

		for (int i = 0; i < 50; i++) {
			snprintf(id, sizeof(id), ITEM, round * 50 + i);
			snprintf(ev, sizeof(ev), "ev-%d", round * 50 + i);
			td_stamp(&d, &subs[i], acme, ev, id, WB_ACTION_ADD,
			         NULL);
		}
		rc = wb_rpc_submit(&res, NULL, admin, subs, 50, false, &p);
		if (rc == WB_ENOSPC) {
			full = true;
			assert_non_null(strstr(p.msg, "ledger full"));
			assert_int_equal(res[0].err, WB_ENOSPC);
		} else {
			assert_int_equal(rc, WB_OK);
		}
		wb_rpc_results_free(res, 50);
		for (int i = 0; i < 50; i++) {
			free((void *)(uintptr_t)subs[i].body);
		}
	}
	assert_true(full);
	/* Reads keep working at the maximum. */
	assert_int_equal(wb_rpc_checkpoint(&note, &size, admin, 0, &p), WB_OK);
	assert_true(size > 2);
	free(note);
	wb_rpc_client_close(admin);
	wb_signer_free(acme);
	td_stop(&d);
	td_cleanup(&d);
}

static void
test_rpc_client_refuses_requests_over_the_limit(void **state)
{
	td_daemon d;
	wb_rpc_client *c;
	wb_submission subs[40];
	wb_rpc_result *res = NULL;
	wb_signer *acme;
	wb_problem p;

	(void)state;
	td_ledger(&d, WB_CUSTODY_ADVISORY);
	td_start(&d, "ipc", "--max-message", "65536", "--max-batch", "64",
	         NULL);
	c = td_client(&d, d.admin, false);
	acme = td_register(&d, c, "Acme", 10, 0, "0614141");
	for (int i = 0; i < 40; i++) {
		char id[64], ev[32];

		snprintf(id, sizeof(id), ITEM, i);
		snprintf(ev, sizeof(ev), "big-%d", i);
		td_stamp(&d, &subs[i], acme, ev, id, WB_ACTION_ADD, NULL);
	}
	/* 40 stamps of ~2 KB each with their envelopes: over 64 KiB. The
	 * client says so itself rather than letting nng drop the link. */
	for (int i = 0; i < 40; i++) {
		uint8_t *big = malloc(2048);

		memcpy(big, subs[i].body, subs[i].body_len);
		free((void *)(uintptr_t)subs[i].body);
		subs[i].body = big;
		subs[i].body_len = 2048;
	}
	assert_int_equal(wb_rpc_submit(&res, NULL, c, subs, 40, false, &p),
	                 WB_EPROTO);
	assert_int_equal(p.reason, WB_REJECT_TOO_LARGE);
	assert_null(res);
	/* The client and daemon go on. */
	assert_int_equal(wb_rpc_ping(c, NULL), WB_OK);
	for (int i = 0; i < 40; i++) {
		free((void *)(uintptr_t)subs[i].body);
	}
	wb_rpc_client_close(c);
	wb_signer_free(acme);
	td_stop(&d);
	td_cleanup(&d);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rpc_ping_and_info_are_anonymous),
		T(test_rpc_submit_returns_verifiable_receipts),
		T(test_rpc_refusals_carry_reason_and_message),
		T(test_rpc_reads_need_a_registered_key),
		T(test_rpc_revoked_key_loses_its_open_connection),
		T(test_rpc_history_proofs_and_range),
		T(test_rpc_notices_announce_checkpoints),
		T(test_rpc_restart_continues),
		cmocka_unit_test(test_rpc_ledger_full_refuses_and_reads_go_on),
		cmocka_unit_test(
		        test_rpc_client_refuses_requests_over_the_limit),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
