/* SPDX-License-Identifier: MIT */
/*
 * Crash safety: a child process appends batches and reports every committed
 * tree size through a pipe; the parent SIGKILLs it at random moments, then
 * reopens the ledger and checks that every reported entry is there, that
 * nothing partial is visible (the journal ends exactly at a checkpoint) and
 * that the whole journal verifies. At least 20 rounds.
 */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 24
#define BATCH  25

/* The child: appends until killed, writing each committed size. */
static void
child_append(fx_ledger *fx, int round, int fd)
{
	wb_signer *acme = test_signer("Acme", 10);
	wb_journal_open_opts oo = { .log_key = fx->log };
	wb_journal *j = NULL;
	wb_submission subs[BATCH];
	wb_result res[BATCH];

	if (wb_journal_open(&j, fx->dir, &oo) != WB_OK) {
		_exit(2);
	}
	fx->j = j;
	for (int batch = 0;; batch++) {
		uint64_t size;

		for (int i = 0; i < BATCH; i++) {
			char id[80], ev[48];
			const char *ids[1] = { id };
			wb_stamp s;

			snprintf(id, sizeof(id),
			         "urn:epc:id:sgtin:0614141.107346.r%db%di%d",
			         round, batch, i);
			snprintf(ev, sizeof(ev), "r%d-b%d-%d", round, batch, i);
			fx_stamp_init(&s, fx, WB_KIND_OBJECT, ev);
			s.epcs = ids;
			s.n_epcs = 1;
			s.has_action = true;
			s.action = WB_ACTION_ADD;
			fx_submission(&subs[i], acme, &s);
		}
		if (wb_journal_append(j, subs, BATCH, res, NULL, &size) !=
		    WB_OK) {
			_exit(3);
		}
		for (int i = 0; i < BATCH; i++) {
			free((void *)(uintptr_t)subs[i].body);
		}
		/* Acknowledged only now that the commit is durable. */
		if (write(fd, &size, sizeof(size)) != sizeof(size)) {
			_exit(4);
		}
	}
}

static void
test_crash_kill_during_appends_loses_nothing_acknowledged(void **state)
{
	fx_ledger fx;
	wb_signer *acme;
	unsigned seed = (unsigned)time(NULL);

	(void)state;
	fx_open(&fx, WB_CUSTODY_ADVISORY);
	acme = fx_register(&fx, "Acme", 10, 0, "0614141", NULL, NULL);
	wb_signer_free(acme);
	srand(seed);
	for (int round = 0; round < ROUNDS; round++) {
		uint64_t acked = 0, size, got, n;
		int fds[2], status;
		char *cp = NULL;
		wb_checkpoint c;
		wb_verify_report rep;
		pid_t pid;
		struct timespec delay;

		/* LMDB forbids an environment open twice in one process
		 * across fork: the parent closes it while the child works. */
		wb_journal_close(fx.j);
		fx.j = NULL;
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child_append(&fx, round, fds[1]);
		}
		close(fds[1]);
		delay.tv_sec = 0;
		delay.tv_nsec = (long)(20 + rand() % 180) * 1000000L;
		nanosleep(&delay, NULL);
		kill(pid, SIGKILL);
		while ((n = (uint64_t)read(fds[0], &got, sizeof(got))) ==
		       sizeof(got)) {
			acked = got;
		}
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		fx_reopen(&fx);
		size = fx_size(&fx);
		/* Every acknowledged entry is there. */
		if (size < acked) {
			fail_msg(
			        "round %d (seed %u): acknowledged %llu entries, found %llu",
			        round, seed, (unsigned long long)acked,
			        (unsigned long long)size);
		}
		/* Nothing partial: the journal ends at a signed checkpoint. */
		assert_int_equal(wb_journal_checkpoint(&cp, fx.j, 0), WB_OK);
		assert_int_equal(wb_checkpoint_verify(&c, cp, strlen(cp),
		                                      "test.example/ledger",
		                                      wb_signer_pubkey(fx.log)),
		                 WB_OK);
		assert_int_equal(c.size, size);
		free(cp);
		assert_int_equal((size - 2) % BATCH, 0);
		assert_int_equal(
		        wb_verify_journal(&rep, fx.j, NULL, NULL, NULL), WB_OK);
		if (!rep.ok) {
			fail_msg("round %d: %s", round, rep.problem);
		}
	}
	fx_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		        test_crash_kill_during_appends_loses_nothing_acknowledged),
	};

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
