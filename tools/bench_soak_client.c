/* SPDX-License-Identifier: MIT */
/*
 * bench_soak_client.c - one cycle of the soak's reconnecting client, run
 * as its own process (`waybill-bench soak-client ...`, started by the
 * soak mode, once per cycle).
 *
 * Why a process: with nng 1.5.2 (the version Debian 12 ships), closing a
 * socket that has been receiving can block forever inside nng_close, a
 * few times in ten thousand closes (see docs/benchmarks.md, "The soak
 * mode"); once it has, the process's nng is stuck. The reconnecting
 * client opens and closes a connection five times a second, so a 60-minute
 * run hits it. In its own process a stuck close is seen, named and ended
 * (the soak kills the process, which closes its connection as a crashed
 * partner's would), and the rest of the load goes on unharmed.
 *
 * The cycle: open a connection with the given key (authenticating once,
 * or signing each request), Ping, Info, a History of the given item;
 * close; then, when asked, subscribe, wait for one notice, close.
 *
 * It reports on standard output, one line at a time (line-buffered), for
 * the soak to read:
 *   stage NAME            before each step (open, ping, info, history,
 *                         close-client, subscribe, notice,
 *                         close-subscriber, done)
 *   query ok              a query that succeeded
 *   query fail WHAT: MSG  a query that failed
 *   fail WHAT: MSG        any other failure (opening, subscribing, the
 *                         notice)
 *   reconnect | subscription | notice   counts
 * and exits 0 once done (failures are in the lines), BENCH_USAGE on bad
 * arguments, BENCH_ERROR when it cannot read its key.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc.h"
#include "waybill/keyfile.h"

static void
stage(const char *name)
{
	printf("stage %s\n", name);
}

/* Reports a query's result. */
static void
query(const char *what, wb_err rc, const wb_problem *p)
{
	if (rc == WB_OK) {
		printf("query ok\n");
	} else {
		printf("query fail %s: %s%s%s\n", what, wb_strerror(rc),
		       p->msg[0] ? ": " : "", p->msg);
	}
}

int
bench_soak_client(int argc, char **argv)
{
	/* url pub-url keyfile auth(once|each) item|- subscribe(0|1) */
	wb_rpc_client_opts co = { .timeout_ms = SOAK_CALL_TIMEOUT_MS };
	wb_rpc_client *c = NULL;
	wb_rpc_subscriber *sub = NULL;
	wb_signer *key = NULL;
	wb_rpc_info info;
	wb_problem p = { 0 };
	wb_notice note;
	uint64_t *idx = NULL, next = 0;
	size_t n = 0;
	wb_err rc;

	if (argc != 7 ||
	    (strcmp(argv[4], "once") != 0 && strcmp(argv[4], "each") != 0) ||
	    (strcmp(argv[6], "0") != 0 && strcmp(argv[6], "1") != 0)) {
		fprintf(stderr,
		        "usage: waybill-bench soak-client URL PUB-URL KEYFILE "
		        "once|each ITEM|- 0|1\n"
		        "(one cycle of a soak's reconnecting client; the "
		        "soak mode starts it)\n");
		return BENCH_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (wb_init() != WB_OK) {
		return bench_fail("libwaybill failed to start (libsodium)");
	}
	if ((rc = wb_keyfile_read(&key, argv[3])) != WB_OK) {
		fprintf(stderr, "waybill-bench soak-client: reading %s: %s\n",
		        argv[3], wb_strerror(rc));
		return BENCH_ERROR;
	}
	co.key = key;
	co.per_request_auth = strcmp(argv[4], "each") == 0;

	/* Opening is local (nng connects in the background): a failure,
	 * but not a request. */
	stage("open");
	if ((rc = wb_rpc_client_open(&c, argv[1], &co)) != WB_OK) {
		printf("fail opening a client: %s\n", wb_strerror(rc));
		wb_signer_free(key);
		return BENCH_OK;
	}
	printf("reconnect\n");
	stage("ping");
	query("Ping", wb_rpc_ping(c, &p), &p);
	stage("info");
	rc = wb_rpc_info_get(&info, c, &p);
	query("Info", rc, &p);
	if (rc == WB_OK) {
		free(info.checkpoint);
	}
	if (strcmp(argv[5], "-") != 0) {
		stage("history");
		rc = wb_rpc_history(&idx, &n, &next, c, argv[5], 0, false, 10,
		                    &p);
		free(idx);
		query("History (new connection)", rc, &p);
	}
	stage("close-client");
	wb_rpc_client_close(c);
	wb_signer_free(key);

	if (strcmp(argv[6], "1") == 0) {
		stage("subscribe");
		if ((rc = wb_rpc_subscribe(&sub, argv[2])) != WB_OK) {
			printf("fail subscribing: %s\n", wb_strerror(rc));
			return BENCH_OK;
		}
		printf("subscription\n");
		/* Writers commit several times a second, and each commit
		 * publishes a checkpoint: one must arrive. */
		stage("notice");
		rc = wb_rpc_notice_next(&note, sub, SOAK_NOTICE_TIMEOUT_MS);
		if (rc == WB_OK) {
			printf("notice\n");
			free(note.checkpoint);
		} else {
			printf("fail waiting for a notice: %s\n",
			       wb_strerror(rc));
		}
		stage("close-subscriber");
		wb_rpc_subscriber_close(sub);
	}
	stage("done");
	return BENCH_OK;
}
