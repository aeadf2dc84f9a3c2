/* SPDX-License-Identifier: MIT */
/* mono.c - the monotonic clock for the server's own timers. */
#include "mono.h"

#include <time.h>

uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A condition variable whose timed waits use CLOCK_MONOTONIC. */
static void
mono_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}

/* Waits on cond (lock held) at most ms. */
static void
mono_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *lock, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, lock, &until);
}

static void *
ticker_main(void *arg)
{
	struct mono_ticker *t = arg;

	pthread_mutex_lock(t->lock);
	while (!t->stop) {
		mono_cond_wait_ms(&t->cond, t->lock, t->period_ms);
		if (!t->stop) {
			t->tick(t->arg);
		}
	}
	pthread_mutex_unlock(t->lock);
	return NULL;
}

wb_err
mono_ticker_start(struct mono_ticker *t, pthread_mutex_t *lock,
                  unsigned period_ms, void (*tick)(void *), void *arg)
{
	t->lock = lock;
	t->stop = false;
	t->period_ms = period_ms;
	t->tick = tick;
	t->arg = arg;
	mono_cond_init(&t->cond);
	if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
		pthread_cond_destroy(&t->cond);
		return WB_ENOMEM;
	}
	t->started = true;
	return WB_OK;
}

void
mono_ticker_stop(struct mono_ticker *t)
{
	if (!t->started) {
		return;
	}
	pthread_mutex_lock(t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	t->started = false;
}
