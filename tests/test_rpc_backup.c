/* SPDX-License-Identifier: MIT */
/*
 * Backups under load: `waybill backup` copies the ledger while clients
 * submit to waybilld; the copy opens, verifies, and answers like the
 * original up to its size.
 */
#include "daemon.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 4

struct world {
	td_daemon d;
	wb_signer *acme;
	atomic_bool stop;
	atomic_int acked;
};

struct client_arg {
	struct world *w;
	int id;
};

static void *
client_main(void *arg)
{
	struct client_arg *a = arg;
	struct world *w = a->w;
	wb_rpc_client_opts o = { .timeout_ms = 5000 };
	wb_rpc_client *c = NULL;
	char id[96], ev[64];

	if (wb_rpc_client_open(&c, w->d.url, &o) != WB_OK) {
		return NULL;
	}
	for (int seq = 0; !atomic_load(&w->stop); seq++) {
		wb_submission sub;
		wb_rpc_result *res = NULL;

		snprintf(id, sizeof(id),
		         "urn:epc:id:sgtin:0614141.107346.c%ds%d", a->id, seq);
		snprintf(ev, sizeof(ev), "c%d-s%d", a->id, seq);
		td_stamp(&w->d, &sub, w->acme, ev, id, WB_ACTION_ADD,
		         "commissioning");
		if (wb_rpc_submit(&res, NULL, c, &sub, 1, false, NULL) ==
		            WB_OK &&
		    res[0].err == WB_OK) {
			atomic_fetch_add(&w->acked, 1);
		}
		wb_rpc_results_free(res, 1);
		free((void *)(uintptr_t)sub.body);
	}
	wb_rpc_client_close(c);
	return NULL;
}

/* Runs `waybill backup --data DIR --to TO`; returns its exit status. */
static int
run_backup(const char *dir, const char *to)
{
	const char *cli = getenv("WAYBILL");
	pid_t pid;
	int status;

	assert_non_null(cli);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Its report would break the TAP stream on our stdout. */
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		execl(cli, cli, "backup", "--data", dir, "--to", to,
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_rpc_backup_under_load_verifies_and_matches(void **state)
{
	struct world w = { 0 };
	pthread_t tid[CLIENTS];
	struct client_arg args[CLIENTS];
	struct timespec warm = { 0, 300 * 1000000L };
	wb_rpc_client *admin;
	wb_journal *orig = NULL, *copy = NULL;
	wb_verify_report rep;
	char to[4096];
	uint64_t n, m;
	wb_hash a, b;

	(void)state;
	td_ledger(&w.d, WB_CUSTODY_ADVISORY);
	td_start(&w.d, "ipc", NULL);
	admin = td_client(&w.d, w.d.admin, false);
	w.acme = td_register(&w.d, admin, "Acme", 10, 0, "0614141");
	wb_rpc_client_close(admin);
	for (int i = 0; i < CLIENTS; i++) {
		args[i] = (struct client_arg){ &w, i };
		assert_int_equal(
		        pthread_create(&tid[i], NULL, client_main, &args[i]),
		        0);
	}
	nanosleep(&warm, NULL);
	snprintf(to, sizeof(to), "%s/backup", w.d.dir);
	assert_int_equal(run_backup(w.d.dir, to), 0);
	nanosleep(&warm, NULL);
	atomic_store(&w.stop, true);
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(tid[i], NULL);
	}
	td_stop(&w.d);
	assert_true(atomic_load(&w.acked) > 0);
	/* The copy verifies on its own ... */
	assert_int_equal(wb_journal_open(&copy, to, NULL), WB_OK);
	assert_int_equal(wb_verify_journal(&rep, copy, NULL, NULL, NULL),
	                 WB_OK);
	assert_true(rep.ok);
	/* ... was taken mid-load, and answers like the original to its
	 * size. */
	assert_int_equal(wb_journal_open(&orig, w.d.dir, NULL), WB_OK);
	assert_int_equal(wb_journal_size(&n, copy), WB_OK);
	assert_int_equal(wb_journal_size(&m, orig), WB_OK);
	assert_true(n > 2);
	assert_true(n <= m);
	assert_int_equal(wb_journal_root(&a, copy, n), WB_OK);
	assert_int_equal(wb_journal_root(&b, orig, n), WB_OK);
	assert_memory_equal(a.b, b.b, WB_HASH_LEN);
	for (uint64_t i = 0; i < n; i += n / 20 + 1) {
		uint8_t *x = NULL, *y = NULL;
		size_t xl, yl;
		char *cx = NULL, *cy = NULL;

		assert_int_equal(wb_journal_entry(&x, &xl, copy, i), WB_OK);
		assert_int_equal(wb_journal_entry(&y, &yl, orig, i), WB_OK);
		assert_int_equal(xl, yl);
		assert_memory_equal(x, y, xl);
		free(x);
		free(y);
		assert_int_equal(wb_journal_checkpoint(&cx, copy, n), WB_OK);
		assert_int_equal(wb_journal_checkpoint(&cy, orig, n), WB_OK);
		assert_string_equal(cx, cy);
		free(cx);
		free(cy);
	}
	wb_journal_close(copy);
	wb_journal_close(orig);
	wb_signer_free(w.acme);
	td_cleanup(&w.d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		        test_rpc_backup_under_load_verifies_and_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
