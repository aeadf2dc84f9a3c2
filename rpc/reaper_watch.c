/* SPDX-License-Identifier: MIT */
/*
 * reaper_watch.c - the watchdog for nng's reaper thread (reaper_watch.h
 * says why): an inproc connection to ourselves, closed every period, whose
 * removal must be reported by the reaper within the deadline.
 */
#include "reaper_watch.h"

#include <nng/protocol/pair0/pair.h>
#include <stdio.h>
#include <string.h>

#include "mono.h"
#include "waybill/log.h"

static void
close_nng_pipe(uint32_t pipe)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;

	p.id = pipe;
	nng_pipe_close(p);
}

/* The listener side's pipes come and go: ADD_POST on nng's threads,
 * REM_POST on the reaper. */
static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct reaper_watch *w = arg;
	uint32_t id = (uint32_t)nng_pipe_id(p);

	pthread_mutex_lock(&w->lock);
	if (ev == NNG_PIPE_EV_ADD_POST) {
		w->pipe = id;
		w->progress_ms = mono_ms();
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		if (id == w->closing) {
			w->closing = 0;
			w->rounds++;
			w->progress_ms = mono_ms();
		}
		if (id == w->pipe) {
			w->pipe = 0; /* closed by its peer */
		}
	}
	pthread_mutex_unlock(&w->lock);
}

/* Whether the reaper has kept us waiting past the deadline: for the
 * removal of the pipe a round closed, or for a new pipe (the dialer's
 * redial is started by the reaper too, when it removes the dialer's side
 * of the closed connection). */
static bool
overdue(const struct reaper_watch *w, uint64_t now)
{
	if (w->closing != 0) {
		return now - w->closed_at_ms >= w->deadline_ms;
	}
	return w->pipe == 0 && now - w->progress_ms >= w->deadline_ms;
}

/* One tick, with the lock held: report the reaper stuck, or start a
 * round by closing the current pipe. */
static void
tick(void *arg)
{
	struct reaper_watch *w = arg;
	uint64_t now = mono_ms();

	if (w->stuck) {
		return;
	}
	if (overdue(w, now)) {
		w->stuck = true;
		pthread_mutex_unlock(&w->lock);
		wb_log(WB_LOG_ERROR,
		       "nng's reaper thread is stuck (a connection's teardown or reconnection has waited %u ms; an nng 1.5.2 defect): no connection will be released any more and closing the sockets would never return",
		       w->deadline_ms);
		if (w->on_stuck != NULL) {
			w->on_stuck(w->on_stuck_arg);
		}
		pthread_mutex_lock(&w->lock);
		return;
	}
	if (w->closing == 0 && w->pipe != 0) {
		uint32_t id = w->pipe;

		w->closing = id;
		w->pipe = 0;
		w->closed_at_ms = now;
		pthread_mutex_unlock(&w->lock);
		w->close_pipe(id);
		pthread_mutex_lock(&w->lock);
	}
}

static wb_err
open_pair(struct reaper_watch *w)
{
	char url[64];
	int rv;

	snprintf(url, sizeof(url), "inproc://waybill-reaper-watch-%p",
	         (void *)w);
	if ((rv = nng_pair0_open(&w->listener_side)) != 0) {
		return rv == NNG_ENOMEM ? WB_ENOMEM : WB_EIO;
	}
	if ((rv = nng_pair0_open(&w->dialer_side)) != 0) {
		nng_close(w->listener_side);
		return rv == NNG_ENOMEM ? WB_ENOMEM : WB_EIO;
	}
	w->sockets_open = true;
	nng_pipe_notify(w->listener_side, NNG_PIPE_EV_ADD_POST, pipe_event, w);
	nng_pipe_notify(w->listener_side, NNG_PIPE_EV_REM_POST, pipe_event, w);
	/* Redial soon after each close: the next round needs a pipe. */
	nng_socket_set_ms(w->dialer_side, NNG_OPT_RECONNMINT, 10);
	nng_socket_set_ms(w->dialer_side, NNG_OPT_RECONNMAXT, 100);
	if ((rv = nng_listen(w->listener_side, url, NULL, 0)) != 0 ||
	    (rv = nng_dial(w->dialer_side, url, NULL, NNG_FLAG_NONBLOCK)) !=
	            0) {
		return rv == NNG_ENOMEM ? WB_ENOMEM : WB_EIO;
	}
	return WB_OK;
}

static void
close_pair(struct reaper_watch *w)
{
	if (w->sockets_open) {
		nng_close(w->dialer_side);
		nng_close(w->listener_side);
		w->sockets_open = false;
	}
}

wb_err
reaper_watch_start(struct reaper_watch *w, unsigned period_ms,
                   unsigned deadline_ms, void (*on_stuck)(void *), void *arg)
{
	wb_err rc;

	w->pipe = w->closing = 0;
	w->rounds = 0;
	w->progress_ms = mono_ms();
	w->stuck = w->sockets_open = false;
	memset(&w->ticker, 0, sizeof(w->ticker));
	w->deadline_ms = deadline_ms ? deadline_ms : REAPER_WATCH_DEADLINE_MS;
	w->on_stuck = on_stuck;
	w->on_stuck_arg = arg;
	if (w->close_pipe == NULL) {
		w->close_pipe = close_nng_pipe;
	}
	pthread_mutex_init(&w->lock, NULL);
	if ((rc = open_pair(w)) != WB_OK ||
	    (rc = mono_ticker_start(&w->ticker, &w->lock,
	                            period_ms ? period_ms
	                                      : REAPER_WATCH_PERIOD_MS,
	                            tick, w)) != WB_OK) {
		close_pair(w);
		pthread_mutex_destroy(&w->lock);
		return rc;
	}
	return WB_OK;
}

void
reaper_watch_stop(struct reaper_watch *w)
{
	if (!w->ticker.started) {
		return;
	}
	mono_ticker_stop(&w->ticker);
	/* After the thread: a removal callback of the close may still come,
	 * and takes the lock. */
	close_pair(w);
	pthread_mutex_destroy(&w->lock);
}

uint64_t
reaper_watch_rounds(struct reaper_watch *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	n = w->rounds;
	pthread_mutex_unlock(&w->lock);
	return n;
}
