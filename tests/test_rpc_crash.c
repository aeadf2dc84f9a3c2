/* SPDX-License-Identifier: MIT */
/*
 * The service under SIGKILL: 16 clients submit continuously while the test
 * kills waybilld at random moments, 10 rounds. After each restart, every
 * receipt any client received is in the journal and verifies, the newest
 * checkpoint is consistent with every checkpoint the clients saw, and at the
 * end the whole journal verifies.
 */
#include "daemon.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLIENTS      16
#define ROUNDS       10
#define BATCH        4
#define MAX_RECEIPTS 200000

struct kept {
	uint64_t index;
	uint64_t tree_size;
	wb_hash root;
	uint8_t *entry; /* the entry bytes the receipt holds */
	size_t entry_len;
};

struct world {
	td_daemon d;
	wb_signer *acme;
	pthread_mutex_t lock;
	struct kept *kept;
	size_t n_kept;
	atomic_bool stop;
	atomic_int bad_receipts; /* cmocka may not fail on other threads */
	int round;
};

struct client_arg {
	struct world *w;
	int id;
};

static void
keep(struct world *w, const wb_rpc_result *r)
{
	wb_receipt_info info;
	wb_receipt *rec = NULL;

	/* A receipt is what the client holds: it must verify at once. */
	if (wb_receipt_verify(&info, r->receipt, r->receipt_len,
	                      "test.example/ledger", wb_signer_pubkey(w->d.log),
	                      NULL, 0, NULL) != WB_OK ||
	    wb_receipt_decode(&rec, r->receipt, r->receipt_len) != WB_OK) {
		atomic_fetch_add(&w->bad_receipts, 1);
		return;
	}
	pthread_mutex_lock(&w->lock);
	if (w->n_kept < MAX_RECEIPTS) {
		struct kept *k = &w->kept[w->n_kept++];

		k->index = info.index;
		k->tree_size = info.tree_size;
		k->root = info.root;
		k->entry = malloc(rec->entry_len);
		memcpy(k->entry, rec->entry, rec->entry_len);
		k->entry_len = rec->entry_len;
	}
	pthread_mutex_unlock(&w->lock);
	wb_receipt_free(rec);
}

static void *
client_main(void *arg)
{
	struct client_arg *a = arg;
	struct world *w = a->w;
	wb_rpc_client_opts o = { .timeout_ms = 1000 };
	wb_rpc_client *c = NULL;
	char id[96], ev[64];

	if (wb_rpc_client_open(&c, w->d.url, &o) != WB_OK) {
		return NULL;
	}
	for (int seq = 0; !atomic_load(&w->stop); seq++) {
		wb_submission subs[BATCH];
		wb_rpc_result *res = NULL;

		for (int i = 0; i < BATCH; i++) {
			snprintf(id, sizeof(id),
			         "urn:epc:id:sgtin:0614141.107346.r%dc%ds%di%d",
			         w->round, a->id, seq, i);
			snprintf(ev, sizeof(ev), "r%d-c%d-s%d-%d", w->round,
			         a->id, seq, i);
			td_stamp(&w->d, &subs[i], w->acme, ev, id,
			         WB_ACTION_ADD, "commissioning");
		}
		if (wb_rpc_submit(&res, NULL, c, subs, BATCH, false, NULL) ==
		    WB_OK) {
			for (int i = 0; i < BATCH; i++) {
				if (res[i].err == WB_OK && res[i].receipt) {
					keep(w, &res[i]);
				}
			}
		}
		wb_rpc_results_free(res, BATCH);
		for (int i = 0; i < BATCH; i++) {
			free((void *)(uintptr_t)subs[i].body);
		}
	}
	wb_rpc_client_close(c);
	return NULL;
}

/* Every kept receipt's entry is in the journal, and the newest checkpoint
 * is consistent with each checkpoint a receipt named. */
static void
check_receipts(struct world *w)
{
	wb_rpc_client *c = td_client(&w->d, w->d.admin, false);
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	wb_checkpoint newest;
	char *note = NULL, *cp = NULL;
	uint64_t size, checked_size = 0, to;
	size_t np;

	assert_int_equal(wb_rpc_checkpoint(&note, &size, c, 0, NULL), WB_OK);
	assert_int_equal(wb_checkpoint_verify(&newest, note, strlen(note),
	                                      "test.example/ledger",
	                                      wb_signer_pubkey(w->d.log)),
	                 WB_OK);
	free(note);
	for (size_t i = 0; i < w->n_kept; i++) {
		struct kept *k = &w->kept[i];
		uint8_t *entry = NULL;
		size_t len;

		assert_true(k->index < newest.size);
		assert_int_equal(
		        wb_rpc_get_entry(&entry, &len, c, k->index, NULL),
		        WB_OK);
		assert_int_equal(len, k->entry_len);
		assert_memory_equal(entry, k->entry, len);
		free(entry);
		if (k->tree_size == checked_size) {
			continue;
		}
		/* The checkpoint the receipt holds is a prefix of today's. */
		if (k->tree_size == newest.size) {
			assert_memory_equal(k->root.b, newest.root.b,
			                    WB_HASH_LEN);
		} else {
			assert_int_equal(
			        wb_rpc_consistency_proof(proof, &np, &to, &cp,
			                                 c, k->tree_size,
			                                 newest.size, NULL),
			        WB_OK);
			free(cp);
			assert_int_equal(to, newest.size);
			assert_int_equal(wb_merkle_verify_consistency(
			                         k->tree_size, newest.size,
			                         k->root.b, WB_HASH_LEN,
			                         newest.root.b, WB_HASH_LEN,
			                         (const uint8_t *)proof,
			                         np * WB_HASH_LEN),
			                 WB_OK);
		}
		checked_size = k->tree_size;
	}
	wb_rpc_client_close(c);
}

static void
test_rpc_crash_kills_lose_no_receipt(void **state)
{
	struct world w = { 0 };
	pthread_t tid[CLIENTS];
	struct client_arg args[CLIENTS];
	wb_rpc_client *admin;
	unsigned seed = (unsigned)time(NULL);

	(void)state;
	srand(seed);
	pthread_mutex_init(&w.lock, NULL);
	w.kept = calloc(MAX_RECEIPTS, sizeof(*w.kept));
	td_ledger(&w.d, WB_CUSTODY_ADVISORY);
	td_start(&w.d, "ipc", NULL);
	admin = td_client(&w.d, w.d.admin, false);
	w.acme = td_register(&w.d, admin, "Acme", 10, 0, "0614141");
	wb_rpc_client_close(admin);
	for (w.round = 0; w.round < ROUNDS; w.round++) {
		struct timespec delay = { 0, (long)(150 + rand() % 350) *
			                             1000000L };
		size_t before = w.n_kept;

		atomic_store(&w.stop, false);
		for (int i = 0; i < CLIENTS; i++) {
			args[i] = (struct client_arg){ &w, i };
			assert_int_equal(pthread_create(&tid[i], NULL,
			                                client_main, &args[i]),
			                 0);
		}
		nanosleep(&delay, NULL);
		td_kill(&w.d);
		atomic_store(&w.stop, true);
		for (int i = 0; i < CLIENTS; i++) {
			pthread_join(tid[i], NULL);
		}
		assert_int_equal(atomic_load(&w.bad_receipts), 0);
		td_start(&w.d, "ipc", NULL);
		check_receipts(&w);
		printf("# round %d: %zu receipts kept so far\n", w.round,
		       w.n_kept);
		(void)before;
	}
	/* The test means nothing unless clients were acknowledged. */
	assert_true(w.n_kept >= 100);
	td_stop(&w.d);
	{
		wb_journal *j = NULL;
		wb_verify_report rep;

		assert_int_equal(wb_journal_open(&j, w.d.dir, NULL), WB_OK);
		assert_int_equal(wb_verify_journal(&rep, j, NULL, NULL, NULL),
		                 WB_OK);
		if (!rep.ok) {
			fail_msg("seed %u: %s", seed, rep.problem);
		}
		wb_journal_close(j);
	}
	for (size_t i = 0; i < w.n_kept; i++) {
		free(w.kept[i].entry);
	}
	free(w.kept);
	wb_signer_free(w.acme);
	td_cleanup(&w.d);
	pthread_mutex_destroy(&w.lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpc_crash_kills_lose_no_receipt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
