/* SPDX-License-Identifier: MIT */
/*
 * bench_rpc.c - the rpc mode of waybill-bench: the service as its clients
 * see it, over TCP loopback, with the server in this process.
 *
 * One run makes a scratch ledger (durable commits, on the scratch
 * directory's disk), starts wb_rpc_server on tcp://127.0.0.1:0 with a pub
 * socket as waybilld has, registers the stamps' signer through RPC (an
 * admin-signed registry change) and gives the hot twin HOT_ENTRIES entries.
 * Then CLIENTS threads, each with its own wb_rpc_client (its own REQ
 * socket: nng 1.5.2 slows down with many requests outstanding on one),
 * run one phase after another, each for a fixed time:
 * - Submit in batches of 1, then of BATCH_BIG, of stamps built and signed
 *   before the phase (bench_stamps.c: the ledger mode's shape); a reply
 *   means the stamps are durable, so stamps/s are durable stamps/s;
 * - Ping, History (a page of HISTORY_PAGE entries of the hot twin) and
 *   Checkpoint, on connections authenticated once (challenge/answer) before
 *   the phase;
 * - History again, each request signed (per_request_auth), which is what
 *   per-request authentication costs.
 * Latencies are per request, as a client sees them. Short rounds of raw
 * 2-thread Ed25519 verification, before the phases and after each, while
 * the server is idle, give the verify rate the submit rates are compared
 * with: the figure is their median.
 *
 * The clients share the machine's cores with the server, as they do when a
 * benchmark runs on one host; the notes on stderr say how the CPU was
 * split between the client threads and the rest of the process (server
 * threads and both sides' nng I/O).
 */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rpc/rpc.h"

#define ORIGIN    "bench.waybill.example/rpc"
#define CLIENTS   16
#define BATCH_BIG 32
/* The hot twin: commissioned, then inspected, HOT_ENTRIES entries in all;
 * History reads a page of HISTORY_PAGE of them. */
#define HOT_ENTRIES     20
#define HISTORY_PAGE    10
#define DEFAULT_SECONDS 5.0
/* Raw verify: the set of stamps cycled through, the rounds before the
 * phases, the rounds after each phase, and the longest round. */
#define VERIFY_SET          1024
#define VERIFY_ROUNDS       8
#define VERIFY_ROUNDS_AFTER 2
#define VERIFY_ROUND_MAX_S  0.25
/* Stamps signed ahead of a submit phase: the server cannot take stamps
 * faster than two threads verify them, so this many verify-seconds, plus
 * the requests in flight at the end, is more than a phase can use. */
#define POOL_MARGIN     1.25
#define CALL_TIMEOUT_MS 30000

typedef enum {
	CALL_SUBMIT,
	CALL_PING,
	CALL_HISTORY,
	CALL_CHECKPOINT,
} call_kind;

/* Pre-signed stamps that the clients of a submit phase take batches of. */
struct pool {
	wb_submission *subs;
	size_t n;
	atomic_size_t next; /* the first stamp not yet taken */
};

struct phase;

/* One client thread of a phase. */
struct client {
	struct phase *ph;
	wb_rpc_client *c;
	double *lat; /* seconds, per request */
	size_t n_lat, cap_lat;
	uint64_t items; /* stamps, or calls */
	double t_start, t_end;
	double cpu_s; /* this thread's CPU time */
	bool ran_out; /* the pool was empty */
	wb_err err;
	wb_problem problem;
	const char *what;
};

struct phase {
	const char *name;
	call_kind kind;
	size_t batch;
	double seconds;
	const char *twin;
	struct pool *pool;
	pthread_barrier_t start;
	struct client cl[CLIENTS];
};

/* What a phase measured. */
struct outcome {
	double per_s; /* stamps or calls */
	double p50_s, p99_s;
	uint64_t items, calls;
	double elapsed_s;
};

struct rpcb {
	const bench_opts *o;
	double seconds;
	char *dir;
	wb_signer *log, *admin, *owner;
	wb_journal *j;
	wb_rpc_server *srv;
	char url[256];
	char hot[64]; /* the hot twin's ID */
	bench_stampgen gen;
	uint64_t next_serial;
	struct pool pool;
	wb_rpc_client *conn[CLIENTS];   /* authenticated per connection */
	wb_rpc_client *signer[CLIENTS]; /* authenticated per request */
	wb_submission *vset;
	double *v2; /* each round's 2-thread verify rate */
	size_t n_rounds, cap_rounds;
	double round_s;
};

static double
thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * One request of a phase; *items_out is how many stamps or calls it
 * stands for (0: the pool is empty).
 */
static wb_err
call_once(struct client *k, uint64_t *items_out)
{
	struct phase *ph = k->ph;
	wb_err rc = WB_OK;

	*items_out = 0;
	switch (ph->kind) {
	case CALL_SUBMIT: {
		size_t at = atomic_fetch_add(&ph->pool->next, ph->batch);
		wb_rpc_result *res = NULL;

		if (at + ph->batch > ph->pool->n) {
			k->ran_out = true;
			return WB_OK;
		}
		k->what = "Submit";
		rc = wb_rpc_submit(&res, NULL, k->c, ph->pool->subs + at,
		                   ph->batch, false, &k->problem);
		for (size_t i = 0; rc == WB_OK && i < ph->batch; i++) {
			if (res[i].err != WB_OK) {
				k->problem = res[i].problem;
				rc = res[i].err;
			} else if (res[i].duplicate) {
				snprintf(k->problem.msg, sizeof(k->problem.msg),
				         "stamp %zu came back a duplicate",
				         at + i);
				rc = WB_EEXISTS;
			}
		}
		wb_rpc_results_free(res, ph->batch);
		*items_out = ph->batch;
		break;
	}
	case CALL_PING:
		k->what = "Ping";
		rc = wb_rpc_ping(k->c, &k->problem);
		*items_out = 1;
		break;
	case CALL_HISTORY: {
		uint64_t *idx = NULL, next = 0;
		size_t n = 0;

		k->what = "History";
		rc = wb_rpc_history(&idx, &n, &next, k->c, ph->twin, 0, false,
		                    HISTORY_PAGE, &k->problem);
		if (rc == WB_OK && n != HISTORY_PAGE) {
			snprintf(k->problem.msg, sizeof(k->problem.msg),
			         "a page of %zu entries, not %d", n,
			         HISTORY_PAGE);
			rc = WB_EINTERNAL;
		}
		free(idx);
		*items_out = 1;
		break;
	}
	case CALL_CHECKPOINT: {
		char *note = NULL;
		uint64_t size = 0;

		k->what = "Checkpoint";
		rc = wb_rpc_checkpoint(&note, &size, k->c, 0, &k->problem);
		if (rc == WB_OK && size == 0) {
			snprintf(k->problem.msg, sizeof(k->problem.msg),
			         "a checkpoint of size 0");
			rc = WB_EINTERNAL;
		}
		free(note);
		*items_out = 1;
		break;
	}
	}
	return rc;
}

static bool
record(struct client *k, double seconds)
{
	if (k->n_lat == k->cap_lat) {
		size_t cap = k->cap_lat ? 2 * k->cap_lat : 4096;
		double *v = realloc(k->lat, cap * sizeof(*v));

		if (v == NULL) {
			return false;
		}
		k->lat = v;
		k->cap_lat = cap;
	}
	k->lat[k->n_lat++] = seconds;
	return true;
}

static void *
client_run(void *arg)
{
	struct client *k = arg;
	struct phase *ph = k->ph;
	double cpu0, now, deadline;

	pthread_barrier_wait(&ph->start);
	cpu0 = thread_cpu();
	now = k->t_start = bench_now();
	deadline = k->t_start + ph->seconds;
	while (now < deadline && !bench_interrupted()) {
		uint64_t items;
		double t1;

		k->err = call_once(k, &items);
		t1 = bench_now();
		if (k->err != WB_OK || items == 0) {
			break;
		}
		if (!record(k, t1 - now)) {
			k->err = WB_ENOMEM;
			k->what = "recording a latency";
			break;
		}
		k->items += items;
		now = t1;
	}
	k->t_end = now;
	k->cpu_s = thread_cpu() - cpu0;
	return NULL;
}

/* Runs a phase on `clients` and sums it up in *out. */
static int
run_phase(struct phase *ph, wb_rpc_client *const *clients, struct outcome *out)
{
	pthread_t th[CLIENTS];
	double t_min = 0, t_max = 0, client_cpu = 0, *all = NULL;
	size_t started = 0, n_all = 0;
	bench_cpu c0, c1;
	bool ran_out = false;
	int rc = BENCH_OK;

	memset(out, 0, sizeof(*out));
	if (pthread_barrier_init(&ph->start, NULL, CLIENTS + 1) != 0) {
		return bench_fail("cannot set up a barrier");
	}
	for (size_t i = 0; i < CLIENTS; i++) {
		ph->cl[i] = (struct client){ .ph = ph, .c = clients[i] };
	}
	for (; started < CLIENTS; started++) {
		if (pthread_create(&th[started], NULL, client_run,
		                   &ph->cl[started]) != 0) {
			/* The barrier would wait for it forever. */
			fprintf(stderr,
			        "waybill-bench: cannot start a client thread\n");
			exit(BENCH_ERROR);
		}
	}
	bench_note("%s: %d clients for %.1f s", ph->name, CLIENTS, ph->seconds);
	pthread_barrier_wait(&ph->start);
	bench_cpu_sample(&c0);
	for (size_t i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
	}
	bench_cpu_sample(&c1);
	pthread_barrier_destroy(&ph->start);

	for (size_t i = 0; i < CLIENTS; i++) {
		const struct client *k = &ph->cl[i];

		if (k->err != WB_OK && rc == BENCH_OK) {
			rc = bench_fail("%s: %s: %s%s%s", ph->name, k->what,
			                wb_strerror(k->err),
			                k->problem.msg[0] ? ": " : "",
			                k->problem.msg);
		}
		t_min = i == 0 || k->t_start < t_min ? k->t_start : t_min;
		t_max = k->t_end > t_max ? k->t_end : t_max;
		out->items += k->items;
		out->calls += k->n_lat;
		client_cpu += k->cpu_s;
		ran_out |= k->ran_out;
	}
	if (rc == BENCH_OK && bench_interrupted()) {
		rc = bench_fail("interrupted");
	}
	if (rc == BENCH_OK && out->calls == 0) {
		rc = bench_fail("%s: no request finished", ph->name);
	}
	if (rc == BENCH_OK &&
	    (all = calloc(out->calls, sizeof(*all))) == NULL) {
		rc = bench_fail("out of memory");
	}
	for (size_t i = 0; rc == BENCH_OK && i < CLIENTS; i++) {
		memcpy(all + n_all, ph->cl[i].lat,
		       ph->cl[i].n_lat * sizeof(*all));
		n_all += ph->cl[i].n_lat;
	}
	if (rc == BENCH_OK) {
		out->elapsed_s = t_max - t_min;
		out->per_s = (double)out->items / out->elapsed_s;
		out->p50_s = bench_quantile(all, n_all, 0.5);
		out->p99_s = bench_quantile(all, n_all, 0.99);
		bench_note(
		        "%s: %llu requests, %.0f/s in %.2f s; p50 %.0f us, p99 %.0f us, max %.0f us",
		        ph->name, (unsigned long long)out->calls,
		        (double)out->calls / out->elapsed_s, out->elapsed_s,
		        out->p50_s * 1e6, out->p99_s * 1e6,
		        all[n_all - 1] * 1e6);
		bench_note(
		        "%s: CPU per request: %.1f us in the client threads, %.1f us in the rest of the process (server threads and both sides' nng I/O)",
		        ph->name, client_cpu * 1e6 / (double)out->calls,
		        (c1.self - c0.self - client_cpu) * 1e6 /
		                (double)out->calls);
		bench_cpu_note(ph->name, &c0, &c1);
		if (ran_out) {
			bench_note(
			        "%s: the pre-signed stamps ran out before the time was up; the rate is over the time the clients ran",
			        ph->name);
		}
	}
	free(all);
	for (size_t i = 0; i < CLIENTS; i++) {
		free(ph->cl[i].lat);
		ph->cl[i].lat = NULL;
	}
	return rc;
}

/*
 * Raw verification: rounds while the server is idle.
 */

static int
verify_setup(struct rpcb *b)
{
	bench_stamp_spec specs[VERIFY_SET];

	b->round_s = b->seconds / 20 < VERIFY_ROUND_MAX_S ? b->seconds / 20
	                                                  : VERIFY_ROUND_MAX_S;
	b->cap_rounds = VERIFY_ROUNDS + 8 * VERIFY_ROUNDS_AFTER;
	if ((b->v2 = calloc(b->cap_rounds, sizeof(*b->v2))) == NULL) {
		return bench_fail("out of memory");
	}
	/* Stamps of the same shape, never submitted. */
	for (size_t i = 0; i < VERIFY_SET; i++) {
		specs[i].n = 900000000 + i;
		specs[i].inspect = false;
	}
	return bench_stamps_generate(&b->vset, &b->gen, specs, VERIFY_SET);
}

static int
verify_rounds(struct rpcb *b, size_t rounds)
{
	int rc = BENCH_OK;

	for (size_t i = 0;
	     i < rounds && b->n_rounds < b->cap_rounds && rc == BENCH_OK; i++) {
		if ((rc = bench_verify_rate(&b->v2[b->n_rounds], b->vset,
		                            VERIFY_SET, BENCH_VERIFY_THREADS,
		                            b->round_s)) == BENCH_OK) {
			b->n_rounds++;
		}
	}
	return rc;
}

static double
verify_median(const struct rpcb *b)
{
	double v[VERIFY_ROUNDS + 8 * VERIFY_ROUNDS_AFTER];

	memcpy(v, b->v2, b->n_rounds * sizeof(*v));
	return bench_quantile(v, b->n_rounds, 0.5);
}

/*
 * Stamps for the submit phases.
 */

/* Makes sure the pool holds at least `need` stamps not yet taken: drops
 * the taken ones and signs new commissionings. */
static int
pool_reserve(struct rpcb *b, size_t need)
{
	struct pool *p = &b->pool;
	size_t taken = atomic_load(&p->next), left, more;
	bench_stamp_spec *specs = NULL;
	wb_submission *fresh = NULL, *v;
	int rc;

	taken = taken < p->n ? taken : p->n;
	for (size_t i = 0; i < taken; i++) {
		free((void *)(uintptr_t)p->subs[i].body);
	}
	left = p->n - taken;
	if (left > 0) {
		memmove(p->subs, p->subs + taken, left * sizeof(*p->subs));
	}
	p->n = left;
	atomic_store(&p->next, 0);
	if (left >= need) {
		return BENCH_OK;
	}
	more = need - left;
	if ((specs = calloc(more, sizeof(*specs))) == NULL ||
	    (v = realloc(p->subs, need * sizeof(*v))) == NULL) {
		free(specs);
		return bench_fail("out of memory for %zu stamps", need);
	}
	p->subs = v;
	for (size_t i = 0; i < more; i++) {
		specs[i].n = b->next_serial++;
	}
	if ((rc = bench_stamps_generate(&fresh, &b->gen, specs, more)) ==
	    BENCH_OK) {
		memcpy(p->subs + left, fresh, more * sizeof(*fresh));
		p->n = need;
		free(fresh); /* the bodies moved into the pool */
	}
	free(specs);
	return rc;
}

/*
 * Setup.
 */

static int
open_clients(struct rpcb *b, wb_rpc_client **set, bool per_request)
{
	wb_rpc_client_opts co = { .timeout_ms = CALL_TIMEOUT_MS,
		                  .key = b->owner,
		                  .per_request_auth = per_request };
	wb_problem p = { 0 };
	wb_err rc;

	for (size_t i = 0; i < CLIENTS; i++) {
		if ((rc = wb_rpc_client_open(&set[i], b->url, &co)) != WB_OK) {
			return bench_fail("opening a client of %s: %s", b->url,
			                  wb_strerror(rc));
		}
		/* Connected before any timing starts. */
		if ((rc = wb_rpc_ping(set[i], &p)) != WB_OK) {
			return bench_fail("Ping: %s %s", wb_strerror(rc),
			                  p.msg);
		}
	}
	return BENCH_OK;
}

static void
close_clients(wb_rpc_client **set)
{
	for (size_t i = 0; i < CLIENTS; i++) {
		wb_rpc_client_close(set[i]);
		set[i] = NULL;
	}
}

/* The first History on each client: the per-connection clients answer
 * their challenge here, the per-request ones learn the ledger ID. */
static int
warm_up(struct rpcb *b, wb_rpc_client **set)
{
	for (size_t i = 0; i < CLIENTS; i++) {
		uint64_t *idx = NULL, next;
		wb_problem p = { 0 };
		size_t n;
		wb_err rc = wb_rpc_history(&idx, &n, &next, set[i], b->hot, 0,
		                           false, HISTORY_PAGE, &p);

		free(idx);
		if (rc != WB_OK) {
			return bench_fail("the first History: %s %s",
			                  wb_strerror(rc), p.msg);
		}
	}
	return BENCH_OK;
}

static int
submit_checked(wb_rpc_client *c, const wb_submission *subs, size_t n,
               const char *what)
{
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	wb_err rc = wb_rpc_submit(&res, NULL, c, subs, n, false, &p);

	for (size_t i = 0; rc == WB_OK && i < n; i++) {
		if (res[i].err != WB_OK) {
			p = res[i].problem;
			rc = res[i].err;
		}
	}
	wb_rpc_results_free(res, n);
	if (rc != WB_OK) {
		return bench_fail("%s: %s %s", what, wb_strerror(rc), p.msg);
	}
	return BENCH_OK;
}

/* Registers the owner through RPC, then commissions the hot twin and
 * inspects it, so that History has HOT_ENTRIES entries to page through. */
static int
populate(struct rpcb *b)
{
	bench_stamp_spec specs[HOT_ENTRIES];
	wb_submission reg, *subs = NULL;
	int rc;

	if ((rc = bench_owner_registration(&reg, wb_journal_ledger_id(b->j),
	                                   b->admin, b->owner, "Acme")) !=
	    BENCH_OK) {
		return rc;
	}
	rc = submit_checked(b->conn[0], &reg, 1, "registering the owner");
	free((void *)(uintptr_t)reg.body);
	if (rc != BENCH_OK) {
		return rc;
	}
	specs[0].n = b->gen.hot_serial;
	specs[0].inspect = false;
	for (size_t i = 1; i < HOT_ENTRIES; i++) {
		specs[i].n = i - 1;
		specs[i].inspect = true;
	}
	b->next_serial = b->gen.hot_serial + 1;
	snprintf(b->hot, sizeof(b->hot), BENCH_EPC_PREFIX "%llu",
	         (unsigned long long)b->gen.hot_serial);
	if ((rc = bench_stamps_generate(&subs, &b->gen, specs, HOT_ENTRIES)) ==
	    BENCH_OK) {
		rc = submit_checked(b->conn[0], subs, HOT_ENTRIES,
		                    "the hot twin's stamps");
	}
	bench_stamps_free(subs, HOT_ENTRIES);
	return rc;
}

static int
start(struct rpcb *b)
{
	const char *listen[1] = { "tcp://127.0.0.1:0" };
	wb_rpc_server_opts so = { .listen = listen,
		                  .n_listen = 1,
		                  .publish = "tcp://127.0.0.1:0",
		                  .workers = b->o->workers,
		                  .group_wait_us = b->o->group_wait_us };
	wb_journal_open_opts oo = { 0 };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	wb_err rc;
	int brc;

	if ((brc = bench_ledger_create(b->dir, ORIGIN, &b->log, &b->admin)) !=
	    BENCH_OK) {
		return brc;
	}
	if ((rc = wb_signer_generate(&b->owner, "Acme")) != WB_OK) {
		return bench_fail("making keys: %s", wb_strerror(rc));
	}
	/* Durable: LMDB's default sync, as the daemon runs. */
	oo.log_key = b->log;
	if ((rc = wb_journal_open(&b->j, b->dir, &oo)) != WB_OK) {
		return bench_fail("opening the ledger: %s", wb_strerror(rc));
	}
	/* Serials for about a minute at the verify ceiling: event times stay
	 * in the past. */
	bench_stampgen_init(&b->gen, wb_journal_ledger_id(b->j), b->owner,
	                    5000000, b->o->ordered_ids);
	if ((rc = wb_rpc_server_start(&b->srv, b->j, &so)) != WB_OK) {
		return bench_fail("starting the server: %s", wb_strerror(rc));
	}
	snprintf(b->url, sizeof(b->url), "%s", wb_rpc_server_url(b->srv, 0));
	bench_note(
	        "server on %s: %u workers%s, group wait %u us%s; %d clients, %.1f s a phase",
	        b->url,
	        b->o->workers ? b->o->workers
	                      : (unsigned)(cores > 0 ? cores : 2),
	        b->o->workers ? "" : " (default: one per core)",
	        b->o->group_wait_us ? b->o->group_wait_us : 200,
	        b->o->group_wait_us ? "" : " (default)", CLIENTS, b->seconds);
	if (open_clients(b, b->conn, false) != BENCH_OK) {
		return BENCH_ERROR;
	}
	return populate(b);
}

/*
 * Measurements.
 */

/* The server's commit counters (Info), to tell the mean group size. */
static int
commit_counters(struct rpcb *b, double *commits, double *committed)
{
	wb_rpc_info info;
	wb_problem p = { 0 };
	wb_err rc = wb_rpc_info_get(&info, b->conn[0], &p);

	if (rc != WB_OK) {
		return bench_fail("Info: %s %s", wb_strerror(rc), p.msg);
	}
	*commits = (double)info.commits;
	*committed = info.mean_batch * (double)info.commits;
	free(info.checkpoint);
	return BENCH_OK;
}

static int
measure_submit(struct rpcb *b, const char *name, size_t batch,
               struct outcome *out, double *group_mean)
{
	struct phase *ph = calloc(1, sizeof(*ph));
	double need = verify_median(b) * b->seconds * POOL_MARGIN;
	double c0 = 0, s0 = 0, c1 = 0, s1 = 0;
	int rc;

	if (ph == NULL) {
		return bench_fail("out of memory");
	}
	ph->name = name;
	ph->kind = CALL_SUBMIT;
	ph->batch = batch;
	ph->seconds = b->seconds;
	ph->pool = &b->pool;
	bench_note("%s: signing up to %.0f stamps (untimed)", name, need);
	if ((rc = pool_reserve(b, (size_t)need + 2 * CLIENTS * batch)) ==
	            BENCH_OK &&
	    (rc = commit_counters(b, &c0, &s0)) == BENCH_OK &&
	    (rc = run_phase(ph, b->conn, out)) == BENCH_OK &&
	    (rc = commit_counters(b, &c1, &s1)) == BENCH_OK) {
		*group_mean = c1 > c0 ? (s1 - s0) / (c1 - c0) : 0;
		bench_note("%s: %.0f group commits, %.1f stamps each", name,
		           c1 - c0, *group_mean);
	}
	free(ph);
	return rc;
}

static int
measure_reads(struct rpcb *b, const char *name, call_kind kind,
              wb_rpc_client *const *clients, struct outcome *out)
{
	struct phase *ph = calloc(1, sizeof(*ph));
	int rc;

	if (ph == NULL) {
		return bench_fail("out of memory");
	}
	ph->name = name;
	ph->kind = kind;
	ph->seconds = b->seconds;
	ph->twin = b->hot;
	rc = run_phase(ph, clients, out);
	free(ph);
	return rc;
}

static void
note_rounds(const struct rpcb *b)
{
	char line[1024];
	size_t len = 0;

	for (size_t i = 0; i < b->n_rounds && len < sizeof(line) - 32; i++) {
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		                        "%s%.1f", i == 0 ? "" : " ",
		                        b->v2[i] / 1000);
		if (i + 1 == VERIFY_ROUNDS && i + 1 < b->n_rounds) {
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			                        " |");
		}
	}
	bench_note(
	        "verify rounds, k/s on %d threads (before the phases | after each): %s",
	        BENCH_VERIFY_THREADS, line);
}

static int
measure(struct rpcb *b, bench_report *r)
{
	struct outcome b1, b32, ping, hist, ckpt, hsig;
	double g1 = 0, g32 = 0, v2;
	bench_figure *fv;
	int rc;

	fv = bench_add(r, "verify_2t_per_s", "Ed25519 verify, 2 threads", "/s",
	               0, 0);
	bench_note("verify: %d rounds of %.3f s on %d threads", VERIFY_ROUNDS,
	           b->round_s, BENCH_VERIFY_THREADS);
	if ((rc = verify_rounds(b, VERIFY_ROUNDS)) != BENCH_OK ||
	    (rc = measure_submit(b, "submit batch 1", 1, &b1, &g1)) !=
	            BENCH_OK ||
	    (rc = verify_rounds(b, VERIFY_ROUNDS_AFTER)) != BENCH_OK ||
	    (rc = measure_submit(b, "submit batch 32", BATCH_BIG, &b32,
	                         &g32)) != BENCH_OK ||
	    (rc = verify_rounds(b, VERIFY_ROUNDS_AFTER)) != BENCH_OK) {
		return rc;
	}
	/* The stamps left over are not needed any more. */
	bench_stamps_free(b->pool.subs, b->pool.n);
	b->pool = (struct pool){ 0 };
	if ((rc = warm_up(b, b->conn)) != BENCH_OK ||
	    (rc = measure_reads(b, "ping", CALL_PING, b->conn, &ping)) !=
	            BENCH_OK ||
	    (rc = measure_reads(b, "history", CALL_HISTORY, b->conn, &hist)) !=
	            BENCH_OK ||
	    (rc = measure_reads(b, "checkpoint", CALL_CHECKPOINT, b->conn,
	                        &ckpt)) != BENCH_OK ||
	    (rc = verify_rounds(b, VERIFY_ROUNDS_AFTER)) != BENCH_OK ||
	    (rc = open_clients(b, b->signer, true)) != BENCH_OK ||
	    (rc = warm_up(b, b->signer)) != BENCH_OK ||
	    (rc = measure_reads(b, "history, signed requests", CALL_HISTORY,
	                        b->signer, &hsig)) != BENCH_OK ||
	    (rc = verify_rounds(b, VERIFY_ROUNDS_AFTER)) != BENCH_OK) {
		return rc;
	}
	note_rounds(b);
	v2 = fv->value = verify_median(b);

	bench_add(r, "submit_b1_per_s", "Submit batch 1, durable stamps/s",
	          "/s", 0, b1.per_s);
	bench_add(r, "submit_b1_p50_ms", "Submit batch 1, p50", "ms", 2,
	          b1.p50_s * 1e3);
	bench_add(r, "submit_b1_p99_ms", "Submit batch 1, p99", "ms", 2,
	          b1.p99_s * 1e3);
	bench_add(r, "submit_b1_group_mean",
	          "Submit batch 1, stamps per commit", "", 1, g1);
	bench_add(r, "submit_b1_ratio", "submit_b1_ratio (b1 / verify 2t)", "",
	          3, b1.per_s / v2);
	bench_add(r, "submit_b32_per_s", "Submit batch 32, durable stamps/s",
	          "/s", 0, b32.per_s);
	bench_add(r, "submit_b32_p50_ms", "Submit batch 32, p50", "ms", 2,
	          b32.p50_s * 1e3);
	bench_add(r, "submit_b32_p99_ms", "Submit batch 32, p99", "ms", 2,
	          b32.p99_s * 1e3);
	bench_add(r, "submit_b32_group_mean",
	          "Submit batch 32, stamps per commit", "", 1, g32);
	bench_add(r, "submit_b32_ratio", "submit_b32_ratio (b32 / verify 2t)",
	          "", 3, b32.per_s / v2);
	bench_add(r, "ping_per_s", "Ping/s", "/s", 0, ping.per_s);
	bench_add(r, "ping_p50_us", "Ping, p50", "us", 0, ping.p50_s * 1e6);
	bench_add(r, "ping_p99_us", "Ping, p99", "us", 0, ping.p99_s * 1e6);
	bench_add(r, "history_per_s", "History (10 entries)/s", "/s", 0,
	          hist.per_s);
	bench_add(r, "history_p50_us", "History, p50", "us", 0,
	          hist.p50_s * 1e6);
	bench_add(r, "history_p99_us", "History, p99", "us", 0,
	          hist.p99_s * 1e6);
	bench_add(r, "history_ping_ratio",
	          "history_ping_ratio (History / Ping)", "", 3,
	          hist.per_s / ping.per_s);
	bench_add(r, "checkpoint_per_s", "Checkpoint/s", "/s", 0, ckpt.per_s);
	bench_add(r, "checkpoint_p50_us", "Checkpoint, p50", "us", 0,
	          ckpt.p50_s * 1e6);
	bench_add(r, "checkpoint_p99_us", "Checkpoint, p99", "us", 0,
	          ckpt.p99_s * 1e6);
	bench_add(r, "checkpoint_ping_ratio",
	          "checkpoint_ping_ratio (Checkpoint / Ping)", "", 3,
	          ckpt.per_s / ping.per_s);
	bench_add(r, "history_signed_per_s", "History, signed requests/s", "/s",
	          0, hsig.per_s);
	bench_add(r, "history_signed_p50_us", "History, signed requests, p50",
	          "us", 0, hsig.p50_s * 1e6);
	bench_add(r, "history_signed_p99_us", "History, signed requests, p99",
	          "us", 0, hsig.p99_s * 1e6);
	bench_add(r, "history_signed_ratio",
	          "history_signed_ratio (signed / per connection)", "", 3,
	          hsig.per_s / hist.per_s);
	bench_add(r, "clients", "client threads", "", 0, CLIENTS);
	return BENCH_OK;
}

int
bench_rpc(const bench_opts *o, bench_report *r)
{
	struct rpcb b = { .o = o };
	int rc;

	b.seconds = o->seconds > 0 ? o->seconds : DEFAULT_SECONDS;
	if ((b.dir = bench_scratch_dir(o)) == NULL) {
		return BENCH_ERROR;
	}
	bench_note("scratch ledger in %s", b.dir);
	if ((rc = start(&b)) == BENCH_OK &&
	    (rc = verify_setup(&b)) == BENCH_OK) {
		rc = measure(&b, r);
	}
	/* Clients first, so that the server's stop finds nothing in flight. */
	close_clients(b.conn);
	close_clients(b.signer);
	wb_rpc_server_stop(b.srv);
	wb_journal_close(b.j);
	wb_signer_free(b.owner);
	wb_signer_free(b.admin);
	wb_signer_free(b.log);
	bench_stamps_free(b.pool.subs, b.pool.n);
	bench_stamps_free(b.vset, VERIFY_SET);
	free(b.v2);
	if (o->keep) {
		bench_note("ledger kept in %s", b.dir);
		free(b.dir);
	} else {
		bench_scratch_remove(b.dir);
	}
	return rc;
}

int
bench_rpc_submit_b32(double *per_s, const char *url, const wb_signer *key,
                     const bench_stampgen *gen, uint64_t *next_serial,
                     double seconds, double max_rate)
{
	struct rpcb b = { .seconds = seconds,
		          .owner = (wb_signer *)(uintptr_t)key,
		          .gen = *gen,
		          .next_serial = *next_serial,
		          /* measure_submit sizes its pool by the verify
		           * median: the ceiling given stands in for it. */
		          .v2 = &max_rate,
		          .n_rounds = 1 };
	struct outcome out;
	double group = 0;
	int rc;

	snprintf(b.url, sizeof(b.url), "%s", url);
	if ((rc = open_clients(&b, b.conn, false)) == BENCH_OK &&
	    (rc = measure_submit(&b, "submit batch 32", BATCH_BIG, &out,
	                         &group)) == BENCH_OK) {
		*per_s = out.per_s;
	}
	close_clients(b.conn);
	bench_stamps_free(b.pool.subs, b.pool.n);
	*next_serial = b.next_serial;
	return rc;
}
