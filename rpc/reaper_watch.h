/* SPDX-License-Identifier: MIT */
/*
 * reaper_watch.h - a watchdog for nng's reaper thread (private to rpc/).
 *
 * nng 1.5.2 tears every closed connection down on one reaper thread, and
 * that thread can wait forever: when a connection is closed while its
 * transport is between two writes of a message (a large reply to a peer
 * that has just hung up) or two reads, the transport's next step is
 * submitted on an aio the close has stopped and is dropped, so the
 * protocol's send or receive never completes and the teardown waits for
 * it (docs/benchmarks.md, "nng's close can hang"). From then on no
 * connection of the process is released: descriptors pile up until
 * accept fails, and closing the socket at shutdown never returns. The
 * daemon cannot prevent it (nng closes a connection itself when its peer
 * hangs up); this watchdog notices it.
 *
 * It keeps an inproc pair0 connection to itself. Every period it closes
 * that connection's pipe; the pipe's removal callback runs on the reaper,
 * and so does the start of the dialer's redial, which gives the next
 * round its pipe. A removal, or a new pipe, not seen within the deadline
 * means the reaper is stuck: the watchdog logs that once and calls
 * on_stuck (waybilld exits, for its service manager to restart it).
 */
#ifndef WAYBILL_RPC_REAPER_WATCH_H
#define WAYBILL_RPC_REAPER_WATCH_H

#include <nng/nng.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "mono.h"
#include "waybill/err.h"

#define REAPER_WATCH_PERIOD_MS   5000
#define REAPER_WATCH_DEADLINE_MS 30000

struct reaper_watch {
	nng_socket listener_side, dialer_side;
	bool sockets_open;
	pthread_mutex_t lock;
	uint32_t pipe;    /* the listener side's current pipe; 0: none */
	uint32_t closing; /* the pipe closed and not yet removed; 0: none */
	uint64_t closed_at_ms;
	uint64_t progress_ms; /* the last pipe added or removal seen */
	uint64_t rounds;      /* removals seen in time */
	bool stuck;           /* on_stuck was called */
	struct mono_ticker ticker;
	unsigned deadline_ms;
	void (*on_stuck)(void *arg);
	void *on_stuck_arg;
	/* How a round closes the pipe: nng_pipe_close (tests skip it, as a
	 * stuck reaper would never report the removal). */
	void (*close_pipe)(uint32_t pipe);
};

/**
 * Opens the inproc pair (a name unique in the process) and starts the
 * watchdog: a round every period_ms, stuck after deadline_ms without the
 * removal (0: the defaults above). on_stuck (may be NULL: only the log
 * line) is called at most once, from the watchdog's thread.
 * @return WB_OK, WB_ENOMEM, WB_EIO (the inproc sockets failed).
 * On failure nothing is left to stop.
 */
wb_err reaper_watch_start(struct reaper_watch *w, unsigned period_ms,
                          unsigned deadline_ms, void (*on_stuck)(void *),
                          void *arg);

/**
 * Stops the watchdog and closes its sockets. When the reaper is stuck
 * the closes never return: after on_stuck, do not call this (nor close
 * any other nng socket).
 */
void reaper_watch_stop(struct reaper_watch *w);

/** Removals seen in time so far (for tests). */
uint64_t reaper_watch_rounds(struct reaper_watch *w);

#endif
