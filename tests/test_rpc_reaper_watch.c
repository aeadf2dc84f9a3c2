/* SPDX-License-Identifier: MIT */
/*
 * test_rpc_reaper_watch.c - rpc/reaper_watch.c: with nng's reaper working,
 * every round's removal is seen and nothing is reported; when removals
 * stop coming (here: the rounds' closes skipped, which is what a stuck
 * reaper looks like from outside), the watchdog reports it once, no
 * sooner than its deadline; and so when the removal comes but the
 * dialer's redial (started by the reaper too) never does.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "reaper_watch.h"
#include "test.h"

/* What the watchdog reported, and the rounds' closes that were skipped. */
static struct {
	pthread_mutex_t lock;
	int stuck_calls;
	uint64_t stuck_at_ms;
	void *stuck_arg;
	int skipped_closes;
	uint32_t skipped_pipe;
	uint64_t first_skip_ms;
} seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
record_stuck(void *arg)
{
	pthread_mutex_lock(&seen.lock);
	seen.stuck_calls++;
	seen.stuck_at_ms = test_mono_ms();
	seen.stuck_arg = arg;
	pthread_mutex_unlock(&seen.lock);
}

static void
skip_close(uint32_t pipe)
{
	/* No assertion here: this is the watchdog's thread. */
	pthread_mutex_lock(&seen.lock);
	seen.skipped_pipe = pipe;
	if (seen.skipped_closes++ == 0) {
		seen.first_skip_ms = test_mono_ms();
	}
	pthread_mutex_unlock(&seen.lock);
}

static int
stuck_calls(void)
{
	int n;

	pthread_mutex_lock(&seen.lock);
	n = seen.stuck_calls;
	pthread_mutex_unlock(&seen.lock);
	return n;
}

static int
reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&seen.lock);
	seen.stuck_calls = seen.skipped_closes = 0;
	seen.skipped_pipe = 0;
	seen.stuck_arg = NULL;
	seen.stuck_at_ms = seen.first_skip_ms = 0;
	pthread_mutex_unlock(&seen.lock);
	return 0;
}

/* A round every 20 ms: the inproc pipe is closed, its removal reported by
 * nng's reaper, the dialer reconnects, and so on; none is overdue. */
static void
test_watch_rounds_complete_while_the_reaper_works(void **state)
{
	struct reaper_watch w;

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_int_equal(reaper_watch_start(&w, 20, 10000, record_stuck, &seen),
	                 WB_OK);
	for (int waited = 0; reaper_watch_rounds(&w) < 10 && waited < 20000;
	     waited += 10) {
		test_sleep_ms(10);
	}
	assert_true(reaper_watch_rounds(&w) >= 10);
	assert_int_equal(stuck_calls(), 0);
	reaper_watch_stop(&w);
}

/* Starts w with a round every 20 ms and a 300-ms deadline, its rounds
 * closing with close_pipe, and waits until it reports the reaper stuck:
 * exactly once. */
static void
start_until_reported(struct reaper_watch *w, void (*close_pipe)(uint32_t))
{
	memset(w, 0, sizeof(*w));
	w->close_pipe = close_pipe;
	assert_int_equal(reaper_watch_start(w, 20, 300, record_stuck, &seen),
	                 WB_OK);
	for (int waited = 0; stuck_calls() == 0 && waited < 20000;
	     waited += 10) {
		test_sleep_ms(10);
	}
	assert_int_equal(stuck_calls(), 1);
}

/* Removals stop coming: reported once, the deadline after the round whose
 * removal never came. */
static void
test_watch_reports_a_stuck_reaper_once(void **state)
{
	struct reaper_watch w;

	(void)state;
	start_until_reported(&w, skip_close);
	assert_int_equal(reaper_watch_rounds(&w), 0);
	pthread_mutex_lock(&seen.lock);
	/* One round started, none after it: the watchdog waits for it. */
	assert_int_equal(seen.skipped_closes, 1);
	assert_true(seen.skipped_pipe != 0);
	assert_ptr_equal(seen.stuck_arg, &seen);
	assert_true(seen.stuck_at_ms >= seen.first_skip_ms);
	assert_true(seen.stuck_at_ms >= w.closed_at_ms + 300);
	pthread_mutex_unlock(&seen.lock);
	test_sleep_ms(200); /* ten more ticks: not reported again */
	assert_int_equal(stuck_calls(), 1);
	reaper_watch_stop(&w);
}

/* The watchdog whose dialer test_watch_reports_a_missing_redial ends. */
static struct reaper_watch *no_redial_watch;

/* Closes the round's pipe for real, and the dialer's socket with it: the
 * removal comes, the redial never does (as when the reaper is stuck
 * before it gets to the dialer's side of the connection). */
static void
close_without_redial(uint32_t pipe)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;

	p.id = pipe;
	nng_pipe_close(p);
	nng_close(no_redial_watch->dialer_side);
	pthread_mutex_lock(&seen.lock);
	if (seen.skipped_closes++ == 0) {
		seen.first_skip_ms = test_mono_ms();
	}
	pthread_mutex_unlock(&seen.lock);
}

/* The removal comes but no new pipe: also reported once, the deadline
 * after the removal at the earliest. */
static void
test_watch_reports_a_missing_redial(void **state)
{
	struct reaper_watch w;

	(void)state;
	no_redial_watch = &w;
	start_until_reported(&w, close_without_redial);
	assert_int_equal(reaper_watch_rounds(&w), 1);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.skipped_closes, 1);
	assert_true(seen.stuck_at_ms >= w.progress_ms + 300);
	pthread_mutex_unlock(&seen.lock);
	test_sleep_ms(200);
	assert_int_equal(stuck_calls(), 1);
	reaper_watch_stop(&w); /* its dialer's socket is closed already */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
		        test_watch_rounds_complete_while_the_reaper_works,
		        reset),
		cmocka_unit_test_setup(test_watch_reports_a_stuck_reaper_once,
		                       reset),
		cmocka_unit_test_setup(test_watch_reports_a_missing_redial,
		                       reset),
	};

	return cmocka_run_group_tests_name("rpc_reaper_watch", tests, NULL,
	                                   NULL);
}
