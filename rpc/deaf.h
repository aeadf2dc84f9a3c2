/* SPDX-License-Identifier: MIT */
/*
 * deaf.h - connections that do not read their replies (private to rpc/).
 *
 * A peer that pipelines requests and never reads would hold every context
 * (nng's rep0 parks a context on the connection's send queue with no
 * limit). A reply that waits too long marks its connection deaf: from
 * then on its requests are dropped as they arrive, without a reply, and
 * the connection is closed once it has been silent for DEAF_QUIET_MS.
 *
 * Why not close it at once: nng 1.5.2 loses a receive when a connection
 * is closed while its transport is between the two reads of a message
 * (the header's callback submits the body's read on an aio the close has
 * just stopped, and the submission is dropped without completing). The
 * connection's teardown then waits for that receive forever: its
 * descriptor stays open and the socket's close at shutdown never returns.
 * A deaf peer's backlog is being read exactly when its replies time out,
 * so an immediate close hits that window. Once no request has come for a
 * while, the transport is most likely waiting for data, which a close
 * cancels cleanly. Most likely, not surely: silence is judged by whole
 * requests, and a peer trickling the bytes of an unfinished one keeps
 * the transport between reads. This makes the wedge rare; the reaper
 * watchdog (reaper_watch.h) is what bounds it.
 */
#ifndef WAYBILL_RPC_DEAF_H
#define WAYBILL_RPC_DEAF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mono.h"
#include "waybill/err.h"

/* How long a deaf connection must be silent before it is closed. */
#define DEAF_QUIET_MS 1000

struct deaf_pipe;

struct deaf_set {
	pthread_mutex_t lock;
	struct deaf_pipe *list;
	atomic_size_t n; /* read without the lock on every request */
	struct mono_ticker closer;
	/* How the closer closes a connection: nng_pipe_close (tests record
	 * the calls instead); true when there was no such connection left. */
	bool (*close_pipe)(uint32_t pipe);
};

/** Initialises an empty set that closes connections with nng_pipe_close. */
void deaf_init(struct deaf_set *d);

/** Starts the thread that closes silent deaf connections. */
wb_err deaf_start_closer(struct deaf_set *d);

/** Stops the closer, if started (and waits for it). Call before the
 * socket is closed: the closer must not close pipes meanwhile. */
void deaf_stop_closer(struct deaf_set *d);

/** Stops the closer if need be and frees the set: after the socket's
 * close, once nng calls deaf_forget no more. */
void deaf_fini(struct deaf_set *d);

/** Marks the connection deaf (its reply waited too long); logs the first
 * time. Out of memory: the connection is not marked (its later replies
 * time out in turn). */
void deaf_mark(struct deaf_set *d, uint32_t pipe);

/** Whether a request that arrived on this connection is to be dropped:
 * true for a deaf connection, whose silence starts again now. */
bool deaf_heard(struct deaf_set *d, uint32_t pipe);

/** Forgets a connection that has gone. */
void deaf_forget(struct deaf_set *d, uint32_t pipe);

#endif
