/* SPDX-License-Identifier: MIT */
/*
 * mono.h - the monotonic clock for the server's own timers (private to
 * rpc/): a wall clock set back must neither stall nor hurry them.
 */
#ifndef WAYBILL_RPC_MONO_H
#define WAYBILL_RPC_MONO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "waybill/err.h"

/** Milliseconds on CLOCK_MONOTONIC. */
uint64_t mono_ms(void);

/*
 * A thread that calls tick(arg) every period_ms, with *lock held (tick may
 * drop and retake it), until stopped: the deaf closer and the reaper
 * watchdog. Zeroed, it is "not started".
 */
struct mono_ticker {
	pthread_mutex_t *lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	pthread_t thread;
	bool started;
	bool stop;
	unsigned period_ms;
	void (*tick)(void *arg);
	void *arg;
};

/** Starts the thread. @return WB_OK, WB_ENOMEM (nothing to stop). */
wb_err mono_ticker_start(struct mono_ticker *t, pthread_mutex_t *lock,
                         unsigned period_ms, void (*tick)(void *), void *arg);

/** Stops the thread and waits for it; nothing if it was not started. Call
 * without *lock held. */
void mono_ticker_stop(struct mono_ticker *t);

#endif
