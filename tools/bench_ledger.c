/* SPDX-License-Identifier: MIT */
/*
 * bench_ledger.c - the ledger mode of waybill-bench: what libwaybill does on
 * this machine, through the same calls the daemon makes.
 *
 * One run builds one scratch ledger and reports:
 * - raw Ed25519 verifications per second (wb_sig_verify) on 1 and 2 threads;
 * - verified, durable appends per second in batches of 1, 100 and 1000: two
 *   threads check the signatures of a batch (wb_submission_check), then
 *   wb_journal_append() writes it in one durable commit; the two threads
 *   check batch k+1 while batch k is appended, as the daemon's workers and
 *   writer thread do, at a lower priority than the writer (see
 *   VERIFIER_NICE);
 * - inclusion-proof and twin-history read times at the final size;
 * - bytes on disk per stamp.
 *
 * Every stamp has the shape of bench_stamps.c (a commissioning of one new
 * SGTIN, signed by the owner of its company prefix), with random event IDs;
 * --ordered-ids makes them time-ordered instead, to show what the scattered
 * keys of the event-ID index cost.
 * One twin, the "hot" one, is also inspected about 99 times over the build,
 * so that one long history can be timed.
 *
 * Stamps are built and signed before each timed run (signing is the
 * senders' work, not the ledger's); timing uses CLOCK_MONOTONIC.
 */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "waybill/ledger.h"

#define VERIFY_THREADS BENCH_VERIFY_THREADS
/*
 * The verifiers' nice value. The writer (the thread that calls
 * wb_journal_append) is the one serial stage: with three busy threads on two
 * cores, an equal share would leave it a third of its time waiting for a
 * core while both verifiers run ahead. At nice 19 the verifiers take only
 * the CPU the writer leaves, which is what a pipeline wants; --same-priority
 * measures without it.
 */
#define VERIFIER_NICE 19
/* Submissions a verifier claims at a time: small enough that both threads
 * share a batch of 100 evenly, large enough to keep the lock cold. */
#define VERIFY_CHUNK 8
/* Stamps built and signed ahead of a timed stretch of the big build. */
#define BUILD_CHUNK 100000
/* Distinct signed stamps the raw verify loops cycle through, and the
 * number of short rounds each verify rate is the median of. */
#define VERIFY_SET    1024
#define VERIFY_ROUNDS 8
/* Inspections of the hot twin, and the longest history read at once. */
#define HOT_OBSERVATIONS 99
#define HISTORY_MAX      256

#define ORIGIN "bench.waybill.example/ledger"

typedef bench_stamp_spec stamp_spec;

/* One batch handed to the verifiers. */
struct vjob {
	wb_submission *subs;
	size_t n;
	size_t next; /* next unclaimed submission (under the pool lock) */
	size_t done; /* checked submissions (under the pool lock) */
};

#define VPOOL_QUEUE 4

/* The verification workers: they take batches in order, a few submissions
 * at a time, so both threads work on one batch before the next. */
struct vpool {
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_cond_t done;
	struct vjob *queue[VPOOL_QUEUE];
	size_t head, len;
	bool stop;
	pthread_t th[VERIFY_THREADS];
	size_t n_threads;
	int nice; /* the workers' nice value (0: the writer's) */
};

/* What a timed stretch of appends measured. */
struct run_stats {
	size_t stamps;
	double elapsed_s;    /* first verification to last durable commit */
	double append_s;     /* inside wb_journal_append */
	double append_cpu_s; /* the writer thread's CPU time in it */
	double wait_s;       /* waiting for the verifiers */
};

struct bench {
	const bench_opts *o;
	char *dir;
	wb_signer *log, *admin, *owner;
	wb_journal *j;
	bench_stampgen gen;
	struct vpool pool;
	bool pool_started;
	wb_result *results; /* room for the largest batch */
	uint64_t size;      /* tree size */
	uint64_t next_serial;
	uint64_t next_inspection;
	uint64_t stamps;
	double stamp_bytes;  /* sum of stamp sizes */
	wb_submission *vset; /* what the raw verify rounds check */
	double *v1, *v2;     /* each round's rate on 1 and 2 threads */
	size_t n_rounds, cap_rounds;
	double round_s;
	double untimed_cpu; /* CPU-s between the build's timed stretches */
	uint64_t rng;
};

static uint64_t
rng_next(uint64_t *s)
{
	/* xorshift64*: a fixed seed gives the same samples every run. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint64_t
rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

/*
 * The verification pool.
 */

static void *
vpool_worker(void *arg)
{
	struct vpool *p = arg;

	if (p->nice != 0) {
		/* Linux keeps a nice value per thread; 0 is this thread. A
		 * failure only costs the priority, so it is not an error. */
		(void)setpriority(PRIO_PROCESS, 0, p->nice);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct vjob *job;
		size_t a, b;

		while (!p->stop && p->len == 0) {
			pthread_cond_wait(&p->work, &p->mu);
		}
		if (p->stop) {
			break;
		}
		job = p->queue[p->head];
		a = job->next;
		b = job->n - a > VERIFY_CHUNK ? a + VERIFY_CHUNK : job->n;
		job->next = b;
		if (b == job->n) {
			/* Fully claimed: the next claim goes to the next
			 * batch. */
			p->head = (p->head + 1) % VPOOL_QUEUE;
			p->len--;
		}
		pthread_mutex_unlock(&p->mu);
		for (size_t i = a; i < b; i++) {
			wb_submission_check(&job->subs[i]);
		}
		pthread_mutex_lock(&p->mu);
		job->done += b - a;
		if (job->done == job->n) {
			pthread_cond_broadcast(&p->done);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int
vpool_start(struct vpool *p, int nice)
{
	memset(p, 0, sizeof(*p));
	p->nice = nice;
	if (pthread_mutex_init(&p->mu, NULL) != 0 ||
	    pthread_cond_init(&p->work, NULL) != 0 ||
	    pthread_cond_init(&p->done, NULL) != 0) {
		return bench_fail("cannot set up the verification threads");
	}
	for (; p->n_threads < VERIFY_THREADS; p->n_threads++) {
		if (pthread_create(&p->th[p->n_threads], NULL, vpool_worker,
		                   p) != 0) {
			return bench_fail(
			        "cannot start verification thread: %s",
			        strerror(errno));
		}
	}
	return BENCH_OK;
}

static void
vpool_stop(struct vpool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->n_threads; i++) {
		pthread_join(p->th[i], NULL);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
}

static void
vpool_submit(struct vpool *p, struct vjob *job, wb_submission *subs, size_t n)
{
	job->subs = subs;
	job->n = n;
	job->next = 0;
	job->done = 0;
	pthread_mutex_lock(&p->mu);
	/* The pipeline keeps at most two batches in flight. */
	p->queue[(p->head + p->len) % VPOOL_QUEUE] = job;
	p->len++;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
}

static void
vpool_wait(struct vpool *p, struct vjob *job)
{
	pthread_mutex_lock(&p->mu);
	while (job->done < job->n) {
		pthread_cond_wait(&p->done, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
}

/*
 * Appends.
 */

static int
append_batch(struct bench *b, wb_submission *subs, size_t n)
{
	uint64_t size = 0;
	wb_err rc;

	for (size_t i = 0; i < n; i++) {
		if (subs[i].sig_state != 1) {
			return bench_fail(
			        "stamp %zu of a batch reached the append unverified or with a bad signature",
			        i);
		}
	}
	rc = wb_journal_append(b->j, subs, n, b->results, NULL, &size);
	if (rc != WB_OK) {
		return bench_fail("append of %zu stamps failed: %s", n,
		                  wb_strerror(rc));
	}
	for (size_t i = 0; i < n; i++) {
		const wb_result *res = &b->results[i];

		if (res->err != WB_OK) {
			return bench_fail("stamp refused (%s): %s",
			                  wb_reject_name(res->problem.reason),
			                  res->problem.msg);
		}
		if (res->duplicate || res->index != b->size + i) {
			return bench_fail(
			        "stamp %zu of a batch landed at index %llu, not %llu%s",
			        i, (unsigned long long)res->index,
			        (unsigned long long)(b->size + i),
			        res->duplicate ? " (a duplicate)" : "");
		}
	}
	if (size != b->size + n) {
		return bench_fail("tree size %llu after the append, not %llu",
		                  (unsigned long long)size,
		                  (unsigned long long)(b->size + n));
	}
	b->size = size;
	return BENCH_OK;
}

/* CPU seconds of the calling thread. */
static double
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Verifies and appends subs in batches of `batch`, verification of batch
 * k+1 overlapping the append of batch k. With max_s > 0, stops submitting
 * batches once max_s seconds have passed (the batch in flight is still
 * appended and counted). Adds to st.
 */
static int
run_batches(struct bench *b, wb_submission *subs, size_t n, size_t batch,
            double max_s, struct run_stats *st)
{
	size_t nb = (n + batch - 1) / batch, submitted = 0, appended = 0;
	struct vjob jobs[2];
	double t0 = bench_now(), t, cpu;
	bool stop = false;
	int rc = BENCH_OK;

	if (n == 0) {
		return BENCH_OK;
	}
	vpool_submit(&b->pool, &jobs[0], subs, n < batch ? n : batch);
	submitted = 1;
	for (size_t k = 0; k < submitted; k++) {
		struct vjob *job = &jobs[k % 2];

		if (!stop && submitted < nb) {
			size_t from = submitted * batch;
			size_t m = n - from < batch ? n - from : batch;

			/* Its slot held batch k-1, appended already. */
			vpool_submit(&b->pool, &jobs[submitted % 2],
			             subs + from, m);
			submitted++;
		}
		t = bench_now();
		vpool_wait(&b->pool, job);
		st->wait_s += bench_now() - t;
		if (rc != BENCH_OK) {
			continue; /* drain what is in flight, then fail */
		}
		t = bench_now();
		cpu = thread_cpu_s();
		if ((rc = append_batch(b, job->subs, job->n)) != BENCH_OK) {
			stop = true;
			continue;
		}
		st->append_s += bench_now() - t;
		st->append_cpu_s += thread_cpu_s() - cpu;
		appended += job->n;
		if (max_s > 0 && bench_now() - t0 >= max_s) {
			stop = true;
		}
		if (bench_interrupted()) {
			stop = true;
			rc = bench_fail("interrupted");
		}
	}
	st->elapsed_s += bench_now() - t0;
	st->stamps += appended;
	b->stamps += appended;
	for (size_t i = 0; i < appended; i++) {
		b->stamp_bytes += (double)subs[i].body_len;
	}
	return rc;
}

/* Commissions `count` new serials (the first run also makes the hot twin)
 * in batches of `batch`, for at most max_s seconds when max_s > 0. */
static int
run_commissions(struct bench *b, size_t count, size_t batch, double max_s,
                struct run_stats *st)
{
	stamp_spec *specs = calloc(count, sizeof(*specs));
	wb_submission *subs = NULL;
	size_t before = st->stamps;
	int rc;

	if (specs == NULL) {
		return bench_fail("out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		specs[i].n = b->next_serial + i;
	}
	if ((rc = bench_stamps_generate(&subs, &b->gen, specs, count)) ==
	    BENCH_OK) {
		rc = run_batches(b, subs, count, batch, max_s, st);
	}
	/* Stamps built but not appended (the time ran out) are dropped;
	 * their serials are used by the next run. */
	b->next_serial += st->stamps - before;
	bench_stamps_free(subs, count);
	free(specs);
	return rc;
}

/*
 * Setup.
 */

static int
register_owner(struct bench *b)
{
	wb_submission sub;
	wb_result res;
	wb_err rc;
	int brc;

	if ((brc = bench_owner_registration(&sub, wb_journal_ledger_id(b->j),
	                                    b->admin, b->owner, "Acme")) !=
	    BENCH_OK) {
		return brc;
	}
	rc = wb_journal_append(b->j, &sub, 1, &res, NULL, &b->size);
	free((void *)(uintptr_t)sub.body);
	if (rc != WB_OK) {
		return bench_fail("registering the owner: %s", wb_strerror(rc));
	}
	if (res.err != WB_OK) {
		return bench_fail("registering the owner was refused: %s",
		                  res.problem.msg);
	}
	return BENCH_OK;
}

static int
open_ledger(struct bench *b)
{
	wb_journal_open_opts oo = { 0 };
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
	if ((rc = wb_journal_size(&b->size, b->j)) != WB_OK) {
		return bench_fail("reading the tree size: %s", wb_strerror(rc));
	}
	bench_stampgen_init(&b->gen, wb_journal_ledger_id(b->j), b->owner,
	                    b->o->entries, b->o->ordered_ids);
	b->next_serial = 1;
	return register_owner(b);
}

/*
 * Measurements.
 */

/*
 * Raw verify rates: short rounds, 1 and 2 threads alternating, some before
 * the appends and one after each stretch of the build, while no append
 * runs. The figures are the medians of all rounds, so they describe the
 * machine over the same time as the append figures they are compared with,
 * and a burst of other work moves them less than one long round would.
 */
static int
verify_setup(struct bench *b, size_t rounds)
{
	stamp_spec specs[VERIFY_SET];

	b->round_s = (b->o->entries >= 100000 ? 2.0 : 0.5) / VERIFY_ROUNDS;
	b->cap_rounds = rounds;
	b->v1 = calloc(rounds, sizeof(*b->v1));
	b->v2 = calloc(rounds, sizeof(*b->v2));
	if (b->v1 == NULL || b->v2 == NULL) {
		return bench_fail("out of memory");
	}
	/* Stamps of the same shape, never appended. */
	for (size_t i = 0; i < VERIFY_SET; i++) {
		specs[i].n = 900000 + i;
		specs[i].inspect = false;
	}
	return bench_stamps_generate(&b->vset, &b->gen, specs, VERIFY_SET);
}

static int
verify_round(struct bench *b)
{
	int rc;

	if (b->n_rounds == b->cap_rounds) {
		return BENCH_OK;
	}
	if ((rc = bench_verify_rate(&b->v1[b->n_rounds], b->vset, VERIFY_SET, 1,
	                            b->round_s)) == BENCH_OK &&
	    (rc = bench_verify_rate(&b->v2[b->n_rounds], b->vset, VERIFY_SET,
	                            VERIFY_THREADS, b->round_s)) == BENCH_OK) {
		b->n_rounds++;
	}
	return rc;
}

static int
measure_verify(struct bench *b)
{
	bench_cpu c0, c1;
	int rc = BENCH_OK;

	bench_note("verify: %d rounds of %.2f s on 1 thread, then on %d",
	           VERIFY_ROUNDS, b->round_s, VERIFY_THREADS);
	bench_cpu_sample(&c0);
	for (int i = 0; i < VERIFY_ROUNDS && rc == BENCH_OK; i++) {
		rc = verify_round(b);
	}
	bench_cpu_sample(&c1);
	if (rc == BENCH_OK) {
		bench_cpu_note("verify", &c0, &c1);
	}
	return rc;
}

/* Batch 1000 up to o->entries: the big ledger. Stamps are built a chunk at
 * a time between timed stretches; the hot twin is inspected evenly across
 * the build. */
static int
build(struct bench *b, struct run_stats *all, struct run_stats *last)
{
	uint64_t total = b->o->entries - b->size, done = 0;
	uint64_t hot =
	        total / 10 < HOT_OBSERVATIONS ? total / 10 : HOT_OBSERVATIONS;
	uint64_t stride = hot ? total / (hot + 1) : 0;
	stamp_spec *specs = calloc(BUILD_CHUNK, sizeof(*specs));
	double t0 = bench_now();
	bench_cpu g0, g1;
	int rc = BENCH_OK;

	if (specs == NULL) {
		return bench_fail("out of memory");
	}
	while (done < total && rc == BENCH_OK) {
		size_t n = total - done < BUILD_CHUNK ? (size_t)(total - done)
		                                      : BUILD_CHUNK;
		uint64_t serial = b->next_serial, inspection = 0;
		wb_submission *subs = NULL;

		for (size_t i = 0; i < n; i++) {
			uint64_t pos = done + i + 1;

			if (stride && pos % stride == 0 &&
			    b->next_inspection + inspection < hot) {
				specs[i].inspect = true;
				specs[i].n = b->next_inspection + inspection++;
			} else {
				specs[i].inspect = false;
				specs[i].n = serial++;
			}
		}
		bench_cpu_sample(&g0);
		if ((rc = bench_stamps_generate(&subs, &b->gen, specs, n)) !=
		    BENCH_OK) {
			break;
		}
		bench_cpu_sample(&g1);
		b->untimed_cpu += g1.self - g0.self;
		*last = (struct run_stats){ 0 };
		rc = run_batches(b, subs, n, 1000, 0, last);
		bench_stamps_free(subs, n);
		all->stamps += last->stamps;
		all->elapsed_s += last->elapsed_s;
		all->append_s += last->append_s;
		all->append_cpu_s += last->append_cpu_s;
		all->wait_s += last->wait_s;
		if (rc == BENCH_OK) {
			/* A verify round while no append runs. */
			bench_cpu_sample(&g0);
			rc = verify_round(b);
			bench_cpu_sample(&g1);
			b->untimed_cpu += g1.self - g0.self;
		}
		if (rc == BENCH_OK) {
			b->next_serial = serial;
			b->next_inspection += inspection;
			done += n;
			bench_note(
			        "build: %llu/%llu entries, %.0f appends/s in this stretch (%.0f s so far)",
			        (unsigned long long)b->size,
			        (unsigned long long)b->o->entries,
			        (double)last->stamps / last->elapsed_s,
			        bench_now() - t0);
		}
	}
	free(specs);
	return rc;
}

static int
measure_proofs(struct bench *b, bench_report *r, size_t samples)
{
	wb_hash proof[WB_MERKLE_MAX_PROOF], root, leaf;
	double *us = calloc(samples, sizeof(*us));
	size_t n_proof = 0;
	wb_err rc = WB_OK;

	if (us == NULL) {
		return bench_fail("out of memory");
	}
	if ((rc = wb_journal_root(&root, b->j, b->size)) != WB_OK) {
		free(us);
		return bench_fail("root of the tree: %s", wb_strerror(rc));
	}
	for (size_t i = 0; i < samples && rc == WB_OK; i++) {
		uint64_t index = rng_below(&b->rng, b->size);
		double t = bench_now();

		rc = wb_journal_inclusion_proof(proof, &n_proof, b->j, index,
		                                b->size);
		us[i] = (bench_now() - t) * 1e6;
		/* Untimed: each proof must lead to the root. */
		if (rc == WB_OK &&
		    (rc = wb_journal_leaf_hash(&leaf, b->j, index)) == WB_OK &&
		    wb_merkle_verify_inclusion(leaf.b, WB_HASH_LEN, index,
		                               b->size, (const uint8_t *)proof,
		                               n_proof * WB_HASH_LEN, root.b,
		                               WB_HASH_LEN) != WB_OK) {
			free(us);
			return bench_fail(
			        "the inclusion proof of %llu does not verify",
			        (unsigned long long)index);
		}
	}
	if (rc != WB_OK) {
		free(us);
		return bench_fail("inclusion proof: %s", wb_strerror(rc));
	}
	bench_add(r, "proof_median_us", "inclusion proof, median", "us", 2,
	          bench_quantile(us, samples, 0.5));
	bench_add(r, "proof_p99_us", "inclusion proof, p99", "us", 2,
	          bench_quantile(us, samples, 0.99));
	free(us);
	return BENCH_OK;
}

/* Times wb_journal_history of one twin (serial 0: a random one each time);
 * *len_out is the history length of the last read. */
static int
time_history(struct bench *b, double *us, size_t samples, uint64_t serial,
             size_t *len_out)
{
	uint64_t indexes[HISTORY_MAX];
	char id[64];
	wb_problem p;

	for (size_t i = 0; i < samples; i++) {
		uint64_t s =
		        serial ? serial
		               : 1 + rng_below(&b->rng, b->next_serial - 1);
		size_t n = 0;
		double t;
		wb_err rc;

		snprintf(id, sizeof(id), BENCH_EPC_PREFIX "%llu",
		         (unsigned long long)s);
		t = bench_now();
		rc = wb_journal_history(indexes, &n, HISTORY_MAX, b->j, id, 0,
		                        false, &p);
		us[i] = (bench_now() - t) * 1e6;
		if (rc != WB_OK || n == 0) {
			return bench_fail("history of %s: %s", id,
			                  rc == WB_OK ? "empty"
			                              : wb_strerror(rc));
		}
		*len_out = n;
	}
	return BENCH_OK;
}

static int
measure_histories(struct bench *b, bench_report *r, size_t samples)
{
	double *us = calloc(samples, sizeof(*us));
	size_t len = 0;
	int rc;

	if (us == NULL) {
		return bench_fail("out of memory");
	}
	if ((rc = time_history(b, us, samples, 0, &len)) == BENCH_OK) {
		bench_add(r, "history_median_us",
		          "twin history (random twin), median", "us", 2,
		          bench_quantile(us, samples, 0.5));
		bench_add(r, "history_p99_us",
		          "twin history (random twin), p99", "us", 2,
		          bench_quantile(us, samples, 0.99));
		rc = time_history(b, us, samples, b->gen.hot_serial, &len);
	}
	if (rc == BENCH_OK) {
		bench_add(r, "history_long_entries",
		          "long twin history, entries", "", 0, (double)len);
		bench_add(r, "history_long_median_us",
		          "long twin history, median", "us", 2,
		          bench_quantile(us, samples, 0.5));
		bench_add(r, "history_long_p99_us", "long twin history, p99",
		          "us", 2, bench_quantile(us, samples, 0.99));
	}
	free(us);
	return rc;
}

static int
measure_disk(struct bench *b, bench_report *r)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/data.mdb", b->dir);
	if (stat(path, &st) != 0) {
		return bench_fail("stat %s: %s", path, strerror(errno));
	}
	bench_add(r, "bytes_per_stamp", "data.mdb per stamp (blocks)", "B", 1,
	          (double)st.st_blocks * 512 / (double)b->stamps);
	bench_add(r, "bytes_per_stamp_apparent",
	          "data.mdb per stamp (apparent)", "B", 1,
	          (double)st.st_size / (double)b->stamps);
	bench_add(r, "data_mdb_bytes", "data.mdb (blocks)", "B", 0,
	          (double)st.st_blocks * 512);
	return BENCH_OK;
}

static void
note_run(const char *what, const struct run_stats *st)
{
	bench_note(
	        "%s: %zu stamps in %.2f s; in wb_journal_append %.2f s (%.1f us/stamp), waiting for verifiers %.2f s",
	        what, st->stamps, st->elapsed_s, st->append_s,
	        st->append_s * 1e6 / (double)st->stamps, st->wait_s);
}

/* The verify rounds, so that a reader can see how steady the machine was. */
static void
note_rounds(const struct bench *b)
{
	char line[2048];
	size_t len = 0;

	for (size_t i = 0; i < b->n_rounds && len < sizeof(line) - 32; i++) {
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		                        "%s%.1f/%.1f", i == 0 ? "" : " ",
		                        b->v1[i] / 1000, b->v2[i] / 1000);
		if (i + 1 == VERIFY_ROUNDS && i + 1 < b->n_rounds) {
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			                        " |");
		}
	}
	bench_note(
	        "verify rounds, k/s on 1/2 threads (before the appends | after each stretch): %s",
	        line);
}

static int
measure(struct bench *b, bench_report *r)
{
	struct run_stats b1 = { 0 }, b100 = { 0 }, b1000 = { 0 }, last = { 0 };
	uint64_t e = b->o->entries;
	size_t n1 = e / 20 < 1000 ? (size_t)(e / 20) : 1000;
	size_t n100 = (size_t)(e / 5 < 20000 ? e / 5 : 20000) / 100 * 100;
	size_t samples = e >= 100000 ? 10000 : 2000;
	bench_figure *v1, *v2;
	bench_cpu c0, c1;
	int rc;

	/* The verify figures come first in the report; their values are known
	 * once the build's rounds are in. */
	v1 = bench_add(r, "verify_1t_per_s", "Ed25519 verify, 1 thread", "/s",
	               0, 0);
	v2 = bench_add(r, "verify_2t_per_s", "Ed25519 verify, 2 threads", "/s",
	               0, 0);
	if ((rc = verify_setup(b, VERIFY_ROUNDS + e / BUILD_CHUNK + 1)) !=
	            BENCH_OK ||
	    (rc = measure_verify(b)) != BENCH_OK) {
		return rc;
	}
	bench_note("batch 1: up to %zu appends or 2 s", n1);
	if ((rc = run_commissions(b, n1, 1, 2.0, &b1)) != BENCH_OK) {
		return rc;
	}
	note_run("batch 1", &b1);
	bench_note("batch 100: %zu appends", n100);
	if ((rc = run_commissions(b, n100, 100, 0, &b100)) != BENCH_OK) {
		return rc;
	}
	note_run("batch 100", &b100);
	bench_note("batch 1000: building the ledger to %llu entries",
	           (unsigned long long)e);
	bench_cpu_sample(&c0);
	if ((rc = build(b, &b1000, &last)) != BENCH_OK) {
		return rc;
	}
	bench_cpu_sample(&c1);
	note_run("batch 1000", &b1000);
	bench_note(
	        "batch 1000: %.1f us of CPU per stamp, all threads, in the timed stretches only",
	        (c1.self - c0.self - b->untimed_cpu) * 1e6 /
	                (double)b1000.stamps);
	bench_cpu_note("batch 1000 (with the untimed work between stretches)",
	               &c0, &c1);
	note_rounds(b); /* before the quantiles sort them */
	v1->value = bench_quantile(b->v1, b->n_rounds, 0.5);
	v2->value = bench_quantile(b->v2, b->n_rounds, 0.5);

	bench_add(r, "append_b1_per_s", "appends/s, batch 1", "/s", 0,
	          (double)b1.stamps / b1.elapsed_s);
	bench_add(r, "append_b100_per_s", "appends/s, batch 100", "/s", 0,
	          (double)b100.stamps / b100.elapsed_s);
	bench_add(r, "append_b1000_per_s", "appends/s, batch 1000", "/s", 0,
	          (double)b1000.stamps / b1000.elapsed_s);
	bench_add(r, "append_b1000_last_per_s",
	          "appends/s, batch 1000, last stretch", "/s", 0,
	          (double)last.stamps / last.elapsed_s);
	bench_add(r, "append_ratio", "append_ratio (b1000 / verify 2t)", "", 3,
	          (double)b1000.stamps / b1000.elapsed_s / v2->value);
	/* The serial stage's own cost, steadier than the rates on a busy
	 * machine: CPU time, not wall time. */
	bench_add(r, "append_cpu_us_per_stamp",
	          "writer CPU per stamp, batch 1000", "us", 2,
	          b1000.append_cpu_s * 1e6 / (double)b1000.stamps);

	bench_note("reads: %zu inclusion proofs, %zu twin histories", samples,
	           samples);
	if ((rc = measure_proofs(b, r, samples)) != BENCH_OK ||
	    (rc = measure_histories(b, r, samples)) != BENCH_OK) {
		return rc;
	}
	bench_add(r, "stamp_bytes", "stamp size, mean", "B", 1,
	          b->stamp_bytes / (double)b->stamps);
	bench_add(r, "entries", "entries in the ledger", "", 0,
	          (double)b->size);
	bench_add(r, "stamps", "stamps in the ledger", "", 0,
	          (double)b->stamps);
	return BENCH_OK;
}

int
bench_ledger(const bench_opts *o, bench_report *r)
{
	struct bench b = { .o = o, .rng = 0x9e3779b97f4a7c15ull };
	int rc;

	if ((b.dir = bench_scratch_dir(o)) == NULL) {
		return BENCH_ERROR;
	}
	bench_note("scratch ledger in %s", b.dir);
	if ((b.results = calloc(1000, sizeof(*b.results))) == NULL) {
		rc = bench_fail("out of memory");
		goto out;
	}
	if ((rc = open_ledger(&b)) != BENCH_OK ||
	    (rc = vpool_start(&b.pool, o->same_priority ? 0 : VERIFIER_NICE)) !=
	            BENCH_OK) {
		b.pool_started = b.pool.n_threads > 0;
		goto out;
	}
	b.pool_started = true;
	if ((rc = measure(&b, r)) != BENCH_OK) {
		goto out;
	}
	/* Every commit is durable already; closing settles the file. */
	wb_journal_close(b.j);
	b.j = NULL;
	rc = measure_disk(&b, r);
out:
	if (b.pool_started) {
		vpool_stop(&b.pool);
	}
	wb_journal_close(b.j);
	wb_signer_free(b.owner);
	wb_signer_free(b.admin);
	wb_signer_free(b.log);
	free(b.results);
	bench_stamps_free(b.vset, VERIFY_SET);
	free(b.v1);
	free(b.v2);
	if (o->keep) {
		bench_note("ledger kept in %s", b.dir);
		free(b.dir);
	} else {
		bench_scratch_remove(b.dir);
	}
	return rc;
}
