/* SPDX-License-Identifier: MIT */
/*
 * test_rpc_deaf.c - rpc/deaf.c: the connections that do not read their
 * replies. Marked ones are known by their requests until forgotten; the
 * closer closes each once, and only after DEAF_QUIET_MS of silence. The
 * closer's calls are recorded here instead of closing nng pipes; the
 * integration test test_clients_unread_replies_do_not_pin_contexts drives
 * the whole path against the real daemon.
 */
#include <pthread.h>
#include <stdint.h>

#include "deaf.h"
#include "test.h"

/* What the closer closed, and when. */
static struct {
	pthread_mutex_t lock;
	uint32_t pipe[16];
	uint64_t at_ms[16];
	size_t n;
} closed = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Pipe 7 is "gone": closing it finds no such connection. */
#define GONE_PIPE 7

static bool
record_close(uint32_t pipe)
{
	pthread_mutex_lock(&closed.lock);
	if (closed.n < 16) {
		closed.pipe[closed.n] = pipe;
		closed.at_ms[closed.n] = test_mono_ms();
		closed.n++;
	}
	pthread_mutex_unlock(&closed.lock);
	return pipe == GONE_PIPE;
}

/* How many times the pipe was closed; *at_ms is the first time. */
static size_t
times_closed(uint32_t pipe, uint64_t *at_ms)
{
	size_t n = 0;

	pthread_mutex_lock(&closed.lock);
	for (size_t i = 0; i < closed.n; i++) {
		if (closed.pipe[i] == pipe && n++ == 0 && at_ms != NULL) {
			*at_ms = closed.at_ms[i];
		}
	}
	pthread_mutex_unlock(&closed.lock);
	return n;
}

static void
test_deaf_only_marked_connections_are_dropped(void **state)
{
	struct deaf_set d;

	(void)state;
	deaf_init(&d);
	assert_false(deaf_heard(&d, 1));
	deaf_mark(&d, 2);
	deaf_mark(&d, 2); /* again: still one record */
	assert_int_equal(atomic_load(&d.n), 1);
	assert_false(deaf_heard(&d, 1));
	assert_true(deaf_heard(&d, 2));
	assert_true(deaf_heard(&d, 2));
	deaf_fini(&d);
}

static void
test_deaf_forgotten_connections_are_heard_again(void **state)
{
	struct deaf_set d;

	(void)state;
	deaf_init(&d);
	deaf_mark(&d, 3);
	deaf_mark(&d, 4);
	deaf_forget(&d, 5); /* never marked: nothing happens */
	assert_int_equal(atomic_load(&d.n), 2);
	deaf_forget(&d, 3);
	assert_int_equal(atomic_load(&d.n), 1);
	assert_false(deaf_heard(&d, 3));
	assert_true(deaf_heard(&d, 4));
	deaf_forget(&d, 4);
	assert_int_equal(atomic_load(&d.n), 0);
	assert_false(deaf_heard(&d, 4));
	deaf_fini(&d);
}

/* Connection 5 falls silent at once; 6 keeps sending until 5 is closed,
 * then falls silent. Each is closed once, DEAF_QUIET_MS after it was last
 * heard at the earliest (so 6 not while it was still sending). */
static void
test_deaf_closer_closes_silent_connections_once(void **state)
{
	struct deaf_set d;
	uint64_t marked_5, last_6 = 0, at = 0;

	(void)state;
	closed.n = 0;
	deaf_init(&d);
	d.close_pipe = record_close;
	assert_int_equal(deaf_start_closer(&d), WB_OK);
	marked_5 = test_mono_ms();
	deaf_mark(&d, 5);
	deaf_mark(&d, 6);
	for (int waited = 0; times_closed(5, NULL) == 0 && waited < 10000;
	     waited += 50) {
		last_6 = test_mono_ms();
		assert_true(deaf_heard(&d, 6));
		test_sleep_ms(50);
	}
	assert_int_equal(times_closed(5, &at), 1);
	assert_true(at >= marked_5 + DEAF_QUIET_MS);
	/* Closing waits for nng's removal callback to forget it. */
	assert_true(deaf_heard(&d, 5));
	for (int waited = 0; times_closed(6, NULL) == 0 && waited < 10000;
	     waited += 50) {
		test_sleep_ms(50);
	}
	assert_int_equal(times_closed(6, &at), 1);
	assert_true(at >= last_6 + DEAF_QUIET_MS);
	/* More ticks close neither again. */
	test_sleep_ms(600);
	assert_int_equal(times_closed(5, NULL), 1);
	assert_int_equal(times_closed(6, NULL), 1);
	deaf_stop_closer(&d);
	deaf_fini(&d);
}

/* A connection marked after it had gone (its reply timed out as it
 * closed, after nng's removal callback): the close finds nothing, and no
 * removal callback will ever forget it, so the closer does. */
static void
test_deaf_gone_connections_are_forgotten(void **state)
{
	struct deaf_set d;

	(void)state;
	closed.n = 0;
	deaf_init(&d);
	d.close_pipe = record_close;
	assert_int_equal(deaf_start_closer(&d), WB_OK);
	deaf_mark(&d, GONE_PIPE);
	for (int waited = 0; atomic_load(&d.n) != 0 && waited < 10000;
	     waited += 50) {
		test_sleep_ms(50);
	}
	assert_int_equal(times_closed(GONE_PIPE, NULL), 1);
	assert_int_equal(atomic_load(&d.n), 0);
	assert_false(deaf_heard(&d, GONE_PIPE));
	deaf_stop_closer(&d);
	deaf_fini(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deaf_only_marked_connections_are_dropped),
		cmocka_unit_test(
		        test_deaf_forgotten_connections_are_heard_again),
		cmocka_unit_test(
		        test_deaf_closer_closes_silent_connections_once),
		cmocka_unit_test(test_deaf_gone_connections_are_forgotten),
	};

	return cmocka_run_group_tests_name("rpc_deaf", tests, NULL, NULL);
}
