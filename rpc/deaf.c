/* SPDX-License-Identifier: MIT */
/*
 * deaf.c - connections that do not read their replies: their requests
 * are dropped, and a thread of ours closes them once they are silent (see
 * deaf.h for why not at once).
 */
#include "deaf.h"

#include <nng/nng.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "waybill/log.h"

/* How often the closer looks for silent deaf connections. */
#define CLOSER_TICK_MS 200
/* Closed per tick at most: the rest wait for the next tick. */
#define CLOSE_BATCH 64

struct deaf_pipe {
	uint32_t pipe;
	uint64_t heard_ms; /* when its last request (or late reply) was */
	bool closing;      /* handed to nng_pipe_close */
	struct deaf_pipe *next;
};

static bool
close_nng_pipe(uint32_t pipe)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;

	p.id = pipe;
	wb_log(WB_LOG_INFO,
	       "closing a connection that did not read its replies");
	return nng_pipe_close(p) == NNG_ENOENT;
}

static struct deaf_pipe **
find(struct deaf_set *d, uint32_t pipe)
{
	struct deaf_pipe **pp = &d->list;

	while (*pp != NULL && (*pp)->pipe != pipe) {
		pp = &(*pp)->next;
	}
	return pp;
}

void
deaf_init(struct deaf_set *d)
{
	d->list = NULL;
	atomic_init(&d->n, 0);
	memset(&d->closer, 0, sizeof(d->closer));
	d->close_pipe = close_nng_pipe;
	pthread_mutex_init(&d->lock, NULL);
}

void
deaf_mark(struct deaf_set *d, uint32_t pipe)
{
	struct deaf_pipe **pp, *dp;

	pthread_mutex_lock(&d->lock);
	pp = find(d, pipe);
	if ((dp = *pp) == NULL && (dp = calloc(1, sizeof(*dp))) != NULL) {
		dp->pipe = pipe;
		*pp = dp;
		atomic_fetch_add(&d->n, 1);
		wb_log(WB_LOG_INFO,
		       "a connection does not read its replies: its requests are dropped, and it is closed once silent for %d ms",
		       DEAF_QUIET_MS);
	}
	if (dp != NULL) {
		dp->heard_ms = mono_ms();
	}
	pthread_mutex_unlock(&d->lock);
}

bool
deaf_heard(struct deaf_set *d, uint32_t pipe)
{
	struct deaf_pipe *dp;

	if (atomic_load(&d->n) == 0) {
		return false; /* the usual case: no lock */
	}
	pthread_mutex_lock(&d->lock);
	if ((dp = *find(d, pipe)) != NULL) {
		dp->heard_ms = mono_ms();
	}
	pthread_mutex_unlock(&d->lock);
	return dp != NULL;
}

void
deaf_forget(struct deaf_set *d, uint32_t pipe)
{
	struct deaf_pipe **pp, *gone;

	if (atomic_load(&d->n) == 0) {
		return;
	}
	pthread_mutex_lock(&d->lock);
	pp = find(d, pipe);
	if ((gone = *pp) != NULL) {
		*pp = gone->next;
		free(gone);
		atomic_fetch_sub(&d->n, 1);
	}
	pthread_mutex_unlock(&d->lock);
}

/* Picks the deaf connections silent long enough (marking them closing);
 * returns how many went into ids. Called with the lock held. */
static size_t
pick_silent(struct deaf_set *d, uint32_t ids[CLOSE_BATCH])
{
	uint64_t now = mono_ms();
	size_t n = 0;

	for (struct deaf_pipe *dp = d->list; dp != NULL && n < CLOSE_BATCH;
	     dp = dp->next) {
		if (!dp->closing && now - dp->heard_ms >= DEAF_QUIET_MS) {
			dp->closing = true;
			ids[n++] = dp->pipe;
		}
	}
	return n;
}

/* A tick of the closer, with the lock held. */
static void
closer_tick(void *arg)
{
	struct deaf_set *d = arg;
	uint32_t ids[CLOSE_BATCH];
	size_t n;

	if ((n = pick_silent(d, ids)) == 0) {
		return;
	}
	/* Outside the lock: the close's removal callback forgets the
	 * connection (deaf_forget), from nng's threads. */
	pthread_mutex_unlock(&d->lock);
	for (size_t i = 0; i < n; i++) {
		/* Gone before it was marked (its reply timed out as it
		 * closed): no removal callback will come. */
		if (d->close_pipe(ids[i])) {
			deaf_forget(d, ids[i]);
		}
	}
	pthread_mutex_lock(&d->lock);
}

wb_err
deaf_start_closer(struct deaf_set *d)
{
	return mono_ticker_start(&d->closer, &d->lock, CLOSER_TICK_MS,
	                         closer_tick, d);
}

void
deaf_stop_closer(struct deaf_set *d)
{
	mono_ticker_stop(&d->closer);
}

void
deaf_fini(struct deaf_set *d)
{
	deaf_stop_closer(d);
	while (d->list != NULL) {
		struct deaf_pipe *gone = d->list;

		d->list = gone->next;
		free(gone);
	}
	atomic_store(&d->n, 0);
	pthread_mutex_destroy(&d->lock);
}
