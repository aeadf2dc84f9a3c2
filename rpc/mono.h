/* SPDX-License-Identifier: MIT */
/*
 * mono.h - the monotonic clock for the server's own timers (private to
 * rpc/): a wall clock set back must neither stall nor hurry them.
 */
#ifndef WAYBILL_RPC_MONO_H
#define WAYBILL_RPC_MONO_H

#include <pthread.h>
#include <stdint.h>

/** Milliseconds on CLOCK_MONOTONIC. */
uint64_t mono_ms(void);

/** Initialises a condition variable whose timed waits use CLOCK_MONOTONIC. */
void mono_cond_init(pthread_cond_t *cond);

/** Waits on cond (lock held, as pthread_cond_timedwait) at most ms. */
void mono_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *lock,
                       unsigned ms);

#endif
