/* SPDX-License-Identifier: MIT */
/*
 * bench_soak.c - the soak mode of waybill-bench: the real daemon under a
 * steady, mixed load for minutes or hours, its memory and descriptors
 * sampled every second. Unlike the other modes it judges: the run passes
 * or fails (bench_report.judged).
 *
 * One run makes a fresh ledger (durable commits, as always) in a scratch
 * directory, starts the built waybilld as a separate process (so that its
 * RSS and /proc/PID/fd are the daemon's alone) on ipc:// sockets there,
 * registers a manufacturer and a retailer, and runs, each thread on its
 * own connection:
 * - WRITERS writer threads, one cycle every WRITER_PERIOD_S: a lot of
 *   LOT_ITEMS items commissioned in one batch Submit (atomic every other
 *   cycle), packed into a case (aggregation), shipped, received at a
 *   store, then inspected and unpacked (a batch of two); every tenth
 *   cycle a recall of the lot, lifted five cycles later; an installation
 *   (association) every twentieth; on writer 0, master data every 30th
 *   cycle and a registry change (register a new auditor key, revoke the
 *   previous one) every 60th. Twice every seven cycles a writer probes on
 *   purpose: the same stamp again (it must come back as a duplicate of
 *   the same index), and another stamp under a used event ID (it must be
 *   refused as a duplicate event ID). Those are the only expected
 *   refusals; any other error or refusal of any request is unexpected.
 * - READERS reader threads, one round every READER_PERIOD_S, each round
 *   every read the client library has: Ping, Info, Checkpoint, inclusion
 *   and consistency proofs, GetEntry, GetRange (the export), History,
 *   Passport, RecallStatus, Where, Trace up and down (lineage),
 *   RecallImpact, RecallsSince, Installations, Search and MasterData,
 *   about twins the writers have finished. One reader authenticates its
 *   connection once, the other signs every request.
 * - a subscriber to the pub socket, which must receive the notice of
 *   every recall and lift the writers had acknowledged;
 * - a reconnecting client: opens a connection, pings, reads Info and a
 *   History (authenticating anew), closes, every RECONNECT_PERIOD_S; every
 *   SUBSCRIBE_EVERY cycles it also subscribes, waits for one notice and
 *   unsubscribes. Each cycle is a process of its own (bench_soak_client.c
 *   says why: nng 1.5.2's nng_close can hang), whose reports a thread
 *   here reads; a process stuck in a close is killed and counted
 *   (client_close_hangs), stuck anywhere else it is a failure.
 * - a sampler, once a second: the daemon's VmRSS, RssAnon and RssFile
 *   (/proc/PID/status) and its open descriptors (/proc/PID/fd).
 *
 * Pass: RSS grows less than RSS_LIMIT_MB between the end of the warm-up
 * (min(WARMUP_MAX_S, a third of the run)) and the end of the load; the
 * descriptors return to their baseline (taken after the daemon started,
 * before any client) once every client has closed, within FD_SETTLE_S;
 * no unexpected failure; and the daemon stops cleanly (exit 0 on
 * SIGTERM). The RSS judged is the anonymous RSS (heap, stacks: where a
 * leak grows). VmRSS also counts the pages of the ledger file that LMDB
 * maps and that reads have touched; those grow with the ledger by design
 * and are the kernel's to reclaim, so VmRSS is reported but not judged.
 */
#include "bench.h"
#include "bench_daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rpc/rpc.h"
#include "waybill/keyfile.h"
#include "waybill/trace.h"

#define ORIGIN "bench.waybill.example/soak"

extern char **environ;

/* The load: a steady rate, not the most the daemon can take. */
#define WRITERS             2
#define READERS             2
#define LOT_ITEMS           10
#define WRITER_PERIOD_S     1.0
#define READER_PERIOD_S     0.25
#define RECONNECT_PERIOD_S  0.2
#define SUBSCRIBE_EVERY     5
#define RECALL_EVERY        10 /* cycles; lifted RECALL_EVERY/2 later */
#define INSTALL_EVERY       20
#define MASTER_EVERY        30 /* writer 0 */
#define REGISTRY_EVERY      60 /* writer 0 */
#define PROBE_EVERY         7  /* a duplicate and a conflict per 7 cycles */
#define STAMPS_PER_CYCLE    17 /* at most: sizes the map */
#define MAP_BYTES_PER_STAMP 16384ull /* a generous bound (about 2 KiB used) */
#define MIN_MAP_SIZE        (1ull << 30)

/* The verdict. */
#define DEFAULT_MINUTES 1.0
#define WARMUP_MAX_S    120.0
#define RSS_LIMIT_MB    10.0
#define FD_SETTLE_S     15.0
#define NOTICE_DRAIN_S  10.0

#define CALL_TIMEOUT_MS SOAK_CALL_TIMEOUT_MS
/* A client process silent this long is stuck: below STALL_S, and above
 * the longest a cycle can wait (three calls of CALL_TIMEOUT_MS would be
 * more, but each call reports as it ends). */
#define CLIENT_SILENT_S 45
#define STOP_WAIT_MS    30000
#define MAX_LOGGED      20

#define FACTORY        "urn:epc:id:sgln:0614141.00001.0"
#define STORE_FMT      "urn:epc:id:sgln:0012345.%05u.0"
#define RETAILER_PARTY "urn:epc:id:pgln:0012345.00000"
#define MAKER_PARTY    "urn:epc:id:pgln:0614141.00000"
#define ITEM_FMT       "urn:epc:id:sgtin:0614141.107346.%u%012llu"
#define LOT_FMT        "urn:epc:class:lgtin:0614141.107346.W%uL%llu"
#define LOT_NUMBER_FMT "{\"cbvmda:lotNumber\":\"W%uL%llu\"}"
#define CASE_FMT       "urn:epc:id:sscc:0614141.%u%09llu"
#define ASSET_FMT      "urn:epc:id:giai:0614141.ASSET%u"
#define ID_LEN         96

/* The load's threads, each of which must show progress (a heartbeat)
 * at least every STALL_S seconds: a call that never returns fails no
 * request, so without this a hung thread would go unnoticed. */
enum {
	BEAT_WRITER0 = 0,
	BEAT_READER0 = WRITERS,
	BEAT_RECONNECT = WRITERS + READERS,
	BEAT_SUBSCRIBER,
	N_BEATS
};
#define STALL_S 60 /* the message below says so */

/* One sample of the daemon. */
typedef struct {
	long rss_kb, anon_kb, file_kb;
	long fds;
} proc_sample;

struct soak {
	const bench_opts *o;
	double run_s, warmup_s;
	char *dir;
	char waybilld[PATH_MAX], log_path[PATH_MAX];
	char pub_url[PATH_MAX + 16];
	char self[PATH_MAX]; /* this program, to start client processes */
	wb_signer *log, *admin, *maker, *retailer;
	uint8_t ledger_id[WB_HASH_LEN];
	uint8_t salt[8];
	bench_daemon d;
	double t0;

	atomic_bool stop;     /* the load stops */
	atomic_bool sub_stop; /* the subscriber stops */
	atomic_bool sub_ready;
	atomic_bool daemon_gone;
	atomic_uint_fast64_t beat_ms[N_BEATS]; /* 0: not started */
	bool stall_noted[N_BEATS];             /* the sampler's only */
	atomic_uint_fast64_t requests, queries, submits_acked, stamps_acked;
	atomic_uint_fast64_t duplicates, refusals, reconnects, subscriptions;
	atomic_uint_fast64_t notices, unexpected;
	atomic_uint_fast64_t close_hangs;        /* client processes killed */
	atomic_uint_fast64_t done[WRITERS];      /* cycles finished */
	atomic_uint_fast64_t installed[WRITERS]; /* last install cycle + 1 */
	atomic_uint_fast64_t last_recall;

	/* Recall and lift indexes: acknowledged, and received as notices. */
	pthread_mutex_t lock;
	uint64_t *expect, *got;
	size_t n_expect, cap_expect, n_got, cap_got;

	/* The sampler's figures (written by it, read after it is joined). */
	proc_sample base, warm, max, last;
	bool have_warm;
	size_t n_samples;
};

/*
 * Failures.
 */

/* One unexpected failure, told in words: counted, and the first
 * MAX_LOGGED are printed. */
static void
unexpected_text(struct soak *s, const char *who, const char *text)
{
	uint_fast64_t n = atomic_fetch_add(&s->unexpected, 1);

	if (n < MAX_LOGGED) {
		bench_note("unexpected: %s at %.1f s: %s", who,
		           bench_now() - s->t0, text);
	} else if (n == MAX_LOGGED) {
		bench_note("(further unexpected failures are counted only)");
	}
}

/* One unexpected failure of a call of this process. */
static void
unexpected(struct soak *s, const char *who, const char *what, wb_err rc,
           const wb_problem *p)
{
	char who_what[256], text[sizeof(p->msg) + 128];

	snprintf(who_what, sizeof(who_what), "%s %s", who, what);
	snprintf(text, sizeof(text), "%s%s%s", wb_strerror(rc),
	         p != NULL && p->msg[0] ? ": " : "", p != NULL ? p->msg : "");
	unexpected_text(s, who_what, text);
}

static uint64_t
now_ms(void)
{
	return (uint64_t)(bench_now() * 1000);
}

/* Thread i of the load made progress. */
static void
beat(struct soak *s, int i)
{
	atomic_store(&s->beat_ms[i], now_ms());
}

/* Whether thread i has shown no progress for STALL_S seconds. */
static bool
stalled(struct soak *s, int i)
{
	uint64_t b = atomic_load(&s->beat_ms[i]);

	return b != 0 && now_ms() > b + STALL_S * 1000u;
}

static const char *
beat_name(int i)
{
	static const char *const names[N_BEATS] = {
		[BEAT_WRITER0] = "writer 0",
		[BEAT_WRITER0 + 1] = "writer 1",
		[BEAT_READER0] = "reader 0",
		[BEAT_READER0 + 1] = "reader 1",
		[BEAT_RECONNECT] = "reconnecting client",
		[BEAT_SUBSCRIBER] = "subscriber",
	};

	return names[i] != NULL ? names[i] : "a load thread";
}

/* Counts each thread that stalls once, as an unexpected failure. */
static void
check_stalls(struct soak *s)
{
	for (int i = 0; i < N_BEATS; i++) {
		if (!s->stall_noted[i] && stalled(s, i)) {
			s->stall_noted[i] = true;
			unexpected(s, beat_name(i),
			           "made no progress for 60 s (a call never "
			           "returned)",
			           WB_ETIMEDOUT, NULL);
		}
	}
}

/* Counts one request and says whether it succeeded. */
static bool
check(struct soak *s, const char *who, const char *what, wb_err rc,
      const wb_problem *p)
{
	atomic_fetch_add(&s->requests, 1);
	if (rc == WB_OK) {
		return true;
	}
	unexpected(s, who, what, rc, p);
	return false;
}

static bool
query_ok(struct soak *s, const char *who, const char *what, wb_err rc,
         const wb_problem *p)
{
	atomic_fetch_add(&s->queries, 1);
	return check(s, who, what, rc, p);
}

static void
list_add(struct soak *s, uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	pthread_mutex_lock(&s->lock);
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		uint64_t *nv = realloc(*v, ncap * sizeof(*nv));

		if (nv == NULL) {
			pthread_mutex_unlock(&s->lock);
			unexpected(s, "bench", "out of memory", WB_ENOMEM,
			           NULL);
			return;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Small helpers.
 */

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0) {
		return;
	}
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* Sleeps until `until` (bench_now) in short steps, so a stop is quick. */
static void
sleep_until(const struct soak *s, double until)
{
	double now;

	while (!atomic_load(&s->stop) && (now = bench_now()) < until) {
		sleep_s(until - now < 0.1 ? until - now : 0.1);
	}
}

static uint64_t
rng_next(uint64_t *x)
{
	/* xorshift64: the choice of twins needs no more. */
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t
rng_below(uint64_t *x, uint64_t n)
{
	return n == 0 ? 0 : rng_next(x) % n;
}

static void
item_id(char *out, unsigned w, uint64_t cycle, unsigned k)
{
	snprintf(out, ID_LEN, ITEM_FMT, w + 1,
	         (unsigned long long)(cycle * LOT_ITEMS + k));
}

static void
lot_id(char *out, unsigned w, uint64_t cycle)
{
	snprintf(out, ID_LEN, LOT_FMT, w + 1, (unsigned long long)cycle);
}

static void
case_id(char *out, unsigned w, uint64_t cycle)
{
	snprintf(out, ID_LEN, CASE_FMT, w + 1,
	         (unsigned long long)(cycle % 1000000000ull));
}

/*
 * The daemon's memory and descriptors.
 */

static long
status_kb(const char *text, const char *field)
{
	const char *p = strstr(text, field);

	return p == NULL ? -1 : strtol(p + strlen(field), NULL, 10);
}

static bool
proc_read(proc_sample *out, pid_t pid)
{
	char path[64], buf[4096];
	struct dirent *e;
	size_t n;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL) {
		return false;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	out->rss_kb = status_kb(buf, "\nVmRSS:");
	out->anon_kb = status_kb(buf, "\nRssAnon:");
	out->file_kb = status_kb(buf, "\nRssFile:");
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL) {
		return false;
	}
	out->fds = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') {
			out->fds++;
		}
	}
	closedir(d);
	return out->rss_kb >= 0 && out->anon_kb >= 0;
}

static void *
sampler_run(void *arg)
{
	struct soak *s = arg;
	proc_sample x;

	for (uint64_t k = 1; !atomic_load(&s->stop); k++) {
		sleep_until(s, s->t0 + (double)k);
		if (atomic_load(&s->stop)) {
			break;
		}
		if (!proc_read(&x, s->d.pid)) {
			atomic_store(&s->daemon_gone, true);
			unexpected(s, "sampler", "reading /proc", WB_ECLOSED,
			           NULL);
			break;
		}
		s->last = x;
		s->n_samples++;
		check_stalls(s);
		s->max.rss_kb =
		        x.rss_kb > s->max.rss_kb ? x.rss_kb : s->max.rss_kb;
		s->max.anon_kb =
		        x.anon_kb > s->max.anon_kb ? x.anon_kb : s->max.anon_kb;
		s->max.fds = x.fds > s->max.fds ? x.fds : s->max.fds;
		if (!s->have_warm && (double)k >= s->warmup_s) {
			s->warm = x;
			s->have_warm = true;
		}
	}
	return NULL;
}

/*
 * Stamps.
 */

static wb_err
sign_stamp(wb_submission *sub, const wb_stamp *st, const wb_signer *who)
{
	uint8_t *body = NULL;
	size_t len;
	wb_err rc;

	memset(sub, 0, sizeof(*sub));
	if ((rc = wb_stamp_encode(&body, &len, st)) != WB_OK) {
		return rc;
	}
	sub->type = WB_ENTRY_STAMP;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(who);
	if ((rc = wb_sig_sign(sub->signature, who, WB_SIG_STAMP, body, len)) !=
	    WB_OK) {
		free(body);
		sub->body = NULL;
	}
	return rc;
}

static void
subs_clear(wb_submission *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)(uintptr_t)v[i].body);
		v[i].body = NULL;
	}
}

/* A stamp's common fields: this ledger, a fresh event ID, the event time
 * a second ago (ordered within the second by the sequence number). */
static void
stamp_base(wb_stamp *st, char event_id[46], const struct soak *s,
           unsigned thread, uint64_t *seq, wb_kind kind)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->ledger_id, s->ledger_id, WB_HASH_LEN);
	bench_event_uuid(event_id, s->salt,
	                 (uint8_t)(BENCH_UUID_TAG_SOAK + thread), (*seq)++, -1);
	st->event_id = event_id;
	st->kind = kind;
	st->event_time.seconds = (int64_t)time(NULL) - 1;
	st->event_time.nanos = (uint32_t)(*seq % 1000000) * 1000;
	st->event_time.has_nanos = true;
	st->event_tz_offset = "+01:00";
	if (kind == WB_KIND_OBJECT || kind == WB_KIND_AGGREGATION ||
	    kind == WB_KIND_ASSOCIATION) {
		st->has_action = true;
		st->action = WB_ACTION_OBSERVE;
	}
}

/* Submits n stamps; each result must be a fresh append. *index_out gets
 * the first one's index. */
static bool
submit(struct soak *s, wb_rpc_client *c, const char *what, wb_submission *v,
       size_t n, bool atomic_batch, uint64_t *index_out, uint64_t *size_out)
{
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	bool good;
	wb_err rc = wb_rpc_submit(&res, size_out, c, v, n, atomic_batch, &p);

	if (!(good = check(s, "writer", what, rc, &p))) {
		wb_rpc_results_free(res, n);
		return false;
	}
	atomic_fetch_add(&s->submits_acked, 1);
	for (size_t i = 0; i < n; i++) {
		if (res[i].err != WB_OK) {
			unexpected(s, "writer", what, res[i].err,
			           &res[i].problem);
			good = false;
		} else if (res[i].duplicate) {
			unexpected(s, "writer", what, WB_EEXISTS, NULL);
			good = false;
		} else {
			atomic_fetch_add(&s->stamps_acked, 1);
		}
	}
	if (good && index_out != NULL) {
		*index_out = res[0].index;
	}
	wb_rpc_results_free(res, n);
	return good;
}

/*
 * The writers.
 */

struct writer {
	struct soak *s;
	unsigned w;
	wb_rpc_client *c;
	uint64_t seq;
	uint64_t recall;    /* the active recall's index, 0: none */
	uint64_t size;      /* the tree size after the last submit */
	wb_submission kept; /* this cycle's first commissioning */
	uint64_t kept_index;
	wb_signer *temp; /* writer 0: the auditor key registered last */
	unsigned temps;
	/* Room for one stamp's strings. */
	char event_id[LOT_ITEMS][46];
	char ids[LOT_ITEMS + 2][ID_LEN];
	const char *ptrs[LOT_ITEMS];
	char ilmd[ID_LEN];
};

/* One stamp about the lot's case: shipped, received. */
static wb_err
case_stamp(struct writer *x, wb_submission *sub, uint64_t cycle, bool ship)
{
	wb_stamp st;
	wb_typed_value dest = { "urn:epcglobal:cbv:sdt:possessing_party",
		                RETAILER_PARTY };
	wb_location loc = { FACTORY, NULL };
	char store[ID_LEN];

	stamp_base(&st, x->event_id[0], x->s, x->w, &x->seq, WB_KIND_OBJECT);
	case_id(x->ids[0], x->w, cycle);
	x->ptrs[0] = x->ids[0];
	st.epcs = x->ptrs;
	st.n_epcs = 1;
	st.biz_location = &loc;
	if (ship) {
		st.biz_step = "urn:epcglobal:cbv:bizstep:shipping";
		st.disposition = "urn:epcglobal:cbv:disp:in_transit";
		st.destinations = &dest;
		st.n_destinations = 1;
		return sign_stamp(sub, &st, x->s->maker);
	}
	snprintf(store, sizeof(store), STORE_FMT, x->w + 1);
	loc.id = store;
	st.biz_step = "urn:epcglobal:cbv:bizstep:receiving";
	st.disposition = "urn:epcglobal:cbv:disp:in_progress";
	return sign_stamp(sub, &st, x->s->retailer);
}

/* The lot: LOT_ITEMS commissionings, one batch. */
static bool
commission_lot(struct writer *x, uint64_t cycle)
{
	struct soak *s = x->s;
	wb_submission v[LOT_ITEMS];
	wb_location loc = { FACTORY, NULL };
	wb_err rc = WB_OK;
	size_t n = 0;
	bool good;

	snprintf(x->ilmd, sizeof(x->ilmd), LOT_NUMBER_FMT, x->w + 1,
	         (unsigned long long)cycle);
	for (unsigned k = 0; k < LOT_ITEMS && rc == WB_OK; k++) {
		wb_stamp st;
		const char *epc[1] = { x->ids[k] };

		stamp_base(&st, x->event_id[k], s, x->w, &x->seq,
		           WB_KIND_OBJECT);
		item_id(x->ids[k], x->w, cycle, k);
		st.action = WB_ACTION_ADD;
		st.biz_step = "urn:epcglobal:cbv:bizstep:commissioning";
		st.disposition = "urn:epcglobal:cbv:disp:active";
		st.epcs = epc;
		st.n_epcs = 1;
		st.read_point = &loc;
		st.biz_location = &loc;
		st.ilmd_json = x->ilmd;
		if ((rc = sign_stamp(&v[k], &st, s->maker)) == WB_OK) {
			n++;
		}
	}
	if (rc != WB_OK) {
		subs_clear(v, n);
		unexpected(s, "writer", "signing", rc, NULL);
		return false;
	}
	/* Atomic and not, in turn: both paths of Submit. */
	good = submit(s, x->c, "Submit (commissioning batch)", v, n,
	              cycle % 2 == 1, &x->kept_index, &x->size);
	if (good) {
		subs_clear(&x->kept, 1);
		x->kept = v[0];
		v[0].body = NULL;
	}
	subs_clear(v, n);
	return good;
}

/* Packs the lot's items into its case, or (retailer) unpacks them. */
static wb_err
pack_stamp(struct writer *x, wb_submission *sub, uint64_t cycle, bool unpack)
{
	wb_stamp st;
	wb_location loc = { FACTORY, NULL };
	char store[ID_LEN];

	stamp_base(&st, x->event_id[1], x->s, x->w, &x->seq,
	           WB_KIND_AGGREGATION);
	for (unsigned k = 0; k < LOT_ITEMS; k++) {
		item_id(x->ids[k], x->w, cycle, k);
		x->ptrs[k] = x->ids[k];
	}
	case_id(x->ids[LOT_ITEMS], x->w, cycle);
	st.parent_id = x->ids[LOT_ITEMS];
	st.epcs = x->ptrs;
	st.n_epcs = LOT_ITEMS;
	st.biz_location = &loc;
	if (!unpack) {
		st.action = WB_ACTION_ADD;
		st.biz_step = "urn:epcglobal:cbv:bizstep:packing";
		return sign_stamp(sub, &st, x->s->maker);
	}
	snprintf(store, sizeof(store), STORE_FMT, x->w + 1);
	loc.id = store;
	st.action = WB_ACTION_DELETE;
	st.biz_step = "urn:epcglobal:cbv:bizstep:unpacking";
	return sign_stamp(sub, &st, x->s->retailer);
}

/* The retailer inspects the first item and unpacks the case: a batch of
 * two. */
static bool
inspect_unpack(struct writer *x, uint64_t cycle)
{
	struct soak *s = x->s;
	wb_submission v[2] = { 0 };
	wb_stamp st;
	wb_location loc = { NULL, NULL };
	char store[ID_LEN], item[ID_LEN];
	const char *epc[1] = { item };
	wb_err rc;
	bool good;

	snprintf(store, sizeof(store), STORE_FMT, x->w + 1);
	loc.id = store;
	item_id(item, x->w, cycle, 0);
	stamp_base(&st, x->event_id[2], s, x->w, &x->seq, WB_KIND_OBJECT);
	st.epcs = epc;
	st.n_epcs = 1;
	st.biz_location = &loc;
	st.biz_step = "urn:epcglobal:cbv:bizstep:inspecting";
	if ((rc = sign_stamp(&v[0], &st, s->retailer)) != WB_OK ||
	    (rc = pack_stamp(x, &v[1], cycle, true)) != WB_OK) {
		subs_clear(v, 2);
		unexpected(s, "writer", "signing", rc, NULL);
		return false;
	}
	good = submit(s, x->c, "Submit (inspect and unpack)", v, 2, false, NULL,
	              &x->size);
	subs_clear(v, 2);
	return good;
}

/* A single stamp from a filled-in submission (freed here). */
static bool
submit_one(struct writer *x, const char *what, wb_submission *sub, wb_err rc,
           uint64_t *index_out)
{
	bool good;

	if (rc != WB_OK) {
		subs_clear(sub, 1);
		unexpected(x->s, "writer", "signing", rc, NULL);
		return false;
	}
	good = submit(x->s, x->c, what, sub, 1, false, index_out, &x->size);
	subs_clear(sub, 1);
	return good;
}

/* A recall of the cycle's lot, or the lift of the active recall. */
static bool
recall_or_lift(struct writer *x, uint64_t cycle, bool lift)
{
	struct soak *s = x->s;
	wb_submission sub;
	wb_stamp st;
	const char *targets[1] = { x->ids[0] };
	wb_recall r = { targets,
		        1,
		        "foreign body found in a retained sample",
		        true,
		        WB_RECALL_CLASS_II,
		        "SOAK-RECALL" };
	wb_lift l = { x->recall, NULL, 0, "retained sample retested clean" };
	uint64_t index = 0;

	stamp_base(&st, x->event_id[3], s, x->w, &x->seq,
	           lift ? WB_KIND_LIFT : WB_KIND_RECALL);
	lot_id(x->ids[0], x->w, cycle);
	if (lift) {
		st.lift = &l;
	} else {
		st.recall = &r;
	}
	if (!submit_one(x, lift ? "Submit (lift)" : "Submit (recall)", &sub,
	                sign_stamp(&sub, &st, s->maker), &index)) {
		return false;
	}
	list_add(s, &s->expect, &s->n_expect, &s->cap_expect, index);
	x->recall = lift ? 0 : index;
	if (!lift) {
		atomic_store(&s->last_recall, index);
	}
	return true;
}

/* The retailer installs the lot's second item in the writer's asset. */
static bool
install(struct writer *x, uint64_t cycle)
{
	wb_submission sub;
	wb_stamp st;
	char asset[ID_LEN];

	stamp_base(&st, x->event_id[4], x->s, x->w, &x->seq,
	           WB_KIND_ASSOCIATION);
	snprintf(asset, sizeof(asset), ASSET_FMT, x->w + 1);
	item_id(x->ids[0], x->w, cycle, 1);
	x->ptrs[0] = x->ids[0];
	st.parent_id = asset;
	st.epcs = x->ptrs;
	st.n_epcs = 1;
	st.action = WB_ACTION_ADD;
	st.biz_step = "urn:epcglobal:cbv:bizstep:installing";
	if (!submit_one(x, "Submit (installation)", &sub,
	                sign_stamp(&sub, &st, x->s->retailer), NULL)) {
		return false;
	}
	atomic_store(&x->s->installed[x->w], cycle + 1);
	return true;
}

/* Master data describing the factory: by the owner of its namespace. */
static wb_err
master_stamp(const struct soak *s, wb_submission *sub, char event_id[46],
             unsigned thread, uint64_t *seq)
{
	char name[64];
	const wb_attribute attr[1] = { { "urn:epcglobal:cbv:mda#name", name,
		                         NULL } };
	const wb_master_data md = {
		"urn:epcglobal:epcis:vtype:BusinessLocation",
		FACTORY,
		attr,
		1,
		NULL,
		0
	};
	wb_stamp st;

	snprintf(name, sizeof(name), "Factory, description %llu",
	         (unsigned long long)*seq);
	stamp_base(&st, event_id, s, thread, seq, WB_KIND_MASTER_DATA);
	st.master_data = &md;
	return sign_stamp(sub, &st, s->maker);
}

/* An admin-signed registry change (register or revoke) of key. */
static bool
registry_change(struct soak *s, wb_rpc_client *c, const char *who, wb_reg_op op,
                const wb_signer *key, const char *name, const wb_role *role,
                const wb_namespace *ns, const char *party, uint64_t effective)
{
	wb_registry_change rc_ = { 0 };
	wb_submission sub = { 0 };
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	char change_id[64];
	uint8_t *body = NULL;
	size_t len;
	wb_err rc;
	bool good;

	snprintf(change_id, sizeof(change_id), "soak-%s-%s",
	         op == WB_REG_REGISTER ? "register" : "revoke", name);
	memcpy(rc_.ledger_id, s->ledger_id, WB_HASH_LEN);
	rc_.change_id = change_id;
	rc_.op = op;
	rc_.key = *wb_signer_pubkey(key);
	if (op == WB_REG_REGISTER) {
		rc_.name = name;
		rc_.party_id = party;
		rc_.roles = role;
		rc_.n_roles = 1;
		rc_.namespaces = ns;
		rc_.n_namespaces = ns != NULL ? 1 : 0;
	} else {
		rc_.effective_index = effective;
		rc_.reason = "the audit is over";
	}
	if ((rc = wb_registry_change_encode(&body, &len, &rc_)) != WB_OK) {
		unexpected(s, who, "encoding a registry change", rc, NULL);
		return false;
	}
	sub.type = WB_ENTRY_REGISTRY;
	sub.body = body;
	sub.body_len = len;
	sub.signer = *wb_signer_pubkey(s->admin);
	if ((rc = wb_sig_sign(sub.signature, s->admin, WB_SIG_REGISTRY, body,
	                      len)) != WB_OK) {
		free(body);
		unexpected(s, who, "signing a registry change", rc, NULL);
		return false;
	}
	rc = wb_rpc_submit(&res, NULL, c, &sub, 1, false, &p);
	free(body);
	if ((good = check(s, who, "Submit (registry)", rc, &p))) {
		atomic_fetch_add(&s->submits_acked, 1);
		if (res[0].err != WB_OK || res[0].duplicate) {
			unexpected(s, who, "Submit (registry)",
			           res[0].err != WB_OK ? res[0].err
			                               : WB_EEXISTS,
			           &res[0].problem);
			good = false;
		} else {
			atomic_fetch_add(&s->stamps_acked, 1);
		}
	}
	wb_rpc_results_free(res, 1);
	return good;
}

/* Writer 0: a new auditor key registered, the previous one revoked. */
static void
rotate_auditor(struct writer *x)
{
	const wb_role role = WB_ROLE_AUDITOR;
	wb_signer *next = NULL;
	char name[32];
	wb_err rc;

	snprintf(name, sizeof(name), "auditor-%u", x->temps);
	if ((rc = wb_signer_generate(&next, name)) != WB_OK) {
		unexpected(x->s, "writer", "making a key", rc, NULL);
		return;
	}
	if (!registry_change(x->s, x->c, "writer", WB_REG_REGISTER, next, name,
	                     &role, NULL, NULL, 0)) {
		wb_signer_free(next);
		return;
	}
	if (x->temp != NULL) {
		snprintf(name, sizeof(name), "auditor-%u", x->temps - 1);
		(void)registry_change(x->s, x->c, "writer", WB_REG_REVOKE,
		                      x->temp, name, NULL, NULL, NULL, x->size);
		wb_signer_free(x->temp);
	}
	x->temp = next;
	x->temps++;
}

/* The deliberate probes: the kept stamp again (a duplicate of its index),
 * or another stamp under its event ID (refused). */
static void
probe(struct writer *x, bool conflict)
{
	struct soak *s = x->s;
	wb_rpc_result *res = NULL;
	wb_submission sub = x->kept;
	wb_problem p = { 0 };
	wb_stamp *st = NULL;
	wb_err rc;

	if (x->kept.body == NULL) {
		return;
	}
	if (conflict) {
		/* The same event, another disposition: other bytes. */
		if ((rc = wb_stamp_decode(&st, x->kept.body,
		                          x->kept.body_len)) != WB_OK) {
			unexpected(s, "writer", "decoding a stamp", rc, NULL);
			return;
		}
		st->disposition = "urn:epcglobal:cbv:disp:in_progress";
		rc = sign_stamp(&sub, st, s->maker);
		wb_stamp_free(st);
		if (rc != WB_OK) {
			unexpected(s, "writer", "signing", rc, NULL);
			return;
		}
	}
	rc = wb_rpc_submit(&res, NULL, x->c, &sub, 1, false, &p);
	if (check(s, "writer", conflict ? "Submit (conflict)" : "Submit (dup)",
	          rc, &p)) {
		atomic_fetch_add(&s->submits_acked, 1);
		if (conflict && res[0].err == WB_EREJECTED &&
		    res[0].problem.reason == WB_REJECT_DUPLICATE_EVENT_ID) {
			atomic_fetch_add(&s->refusals, 1);
		} else if (!conflict && res[0].err == WB_OK &&
		           res[0].duplicate && res[0].index == x->kept_index) {
			atomic_fetch_add(&s->duplicates, 1);
		} else {
			unexpected(
			        s, "writer",
			        conflict
			                ? "Submit (a used event ID: should be refused as duplicate-event-id)"
			                : "Submit (the same stamp: should be a duplicate of its index)",
			        res[0].err != WB_OK ? res[0].err : WB_EINTERNAL,
			        &res[0].problem);
		}
	}
	wb_rpc_results_free(res, 1);
	if (conflict) {
		subs_clear(&sub, 1);
	}
}

static void
writer_cycle(struct writer *x, uint64_t cycle)
{
	struct soak *s = x->s;
	wb_submission sub;

	if (!commission_lot(x, cycle) ||
	    !submit_one(x, "Submit (packing)", &sub,
	                pack_stamp(x, &sub, cycle, false), NULL) ||
	    !submit_one(x, "Submit (shipping)", &sub,
	                case_stamp(x, &sub, cycle, true), NULL) ||
	    !submit_one(x, "Submit (receiving)", &sub,
	                case_stamp(x, &sub, cycle, false), NULL) ||
	    !inspect_unpack(x, cycle)) {
		return;
	}
	atomic_store(&s->done[x->w], cycle + 1);
	if (cycle % RECALL_EVERY == 0 && x->recall == 0) {
		(void)recall_or_lift(x, cycle, false);
	} else if (cycle % RECALL_EVERY == RECALL_EVERY / 2 && x->recall != 0) {
		(void)recall_or_lift(x, cycle, true);
	}
	if (cycle % INSTALL_EVERY == INSTALL_EVERY / 2) {
		(void)install(x, cycle);
	}
	if (cycle % PROBE_EVERY == 3) {
		probe(x, false);
	} else if (cycle % PROBE_EVERY == 6) {
		probe(x, true);
	}
	if (x->w == 0 && cycle % MASTER_EVERY == MASTER_EVERY / 2) {
		(void)submit_one(
		        x, "Submit (master data)", &sub,
		        master_stamp(s, &sub, x->event_id[5], x->w, &x->seq),
		        NULL);
	}
	if (x->w == 0 && cycle % REGISTRY_EVERY == REGISTRY_EVERY / 2) {
		rotate_auditor(x);
	}
}

static void *
writer_run(void *arg)
{
	struct writer *x = arg;
	uint64_t cycle = 0;

	while (!atomic_load(&x->s->stop)) {
		beat(x->s, BEAT_WRITER0 + (int)x->w);
		writer_cycle(x, cycle);
		cycle++;
		sleep_until(x->s, x->s->t0 + (double)cycle * WRITER_PERIOD_S);
	}
	return NULL;
}

/*
 * The readers.
 */

struct reader {
	struct soak *s;
	unsigned r;
	wb_rpc_client *c;
	FILE *null;
	uint64_t rng;
};

/* The proofs and the journal: Checkpoint, InclusionProof,
 * ConsistencyProof, GetEntry, GetRange. */
static void
read_journal(struct reader *x, uint64_t size)
{
	struct soak *s = x->s;
	wb_hash proof[WB_MERKLE_MAX_PROOF], leaf;
	wb_problem p = { 0 };
	uint64_t csize = 0, out_size = 0, from;
	size_t n_proof = 0, len = 0;
	char *note = NULL, *cp = NULL;
	uint8_t *entry = NULL;
	wb_err rc;

	rc = wb_rpc_checkpoint(&note, &csize, x->c, 0, &p);
	free(note);
	if (!query_ok(s, "reader", "Checkpoint", rc, &p) || csize < 2) {
		return;
	}
	size = csize < size ? csize : size;
	rc = wb_rpc_inclusion_proof(proof, &n_proof, &leaf, &out_size, &cp,
	                            x->c, rng_below(&x->rng, size), csize, &p);
	free(cp);
	cp = NULL;
	(void)query_ok(s, "reader", "InclusionProof", rc, &p);
	rc = wb_rpc_consistency_proof(proof, &n_proof, &out_size, &cp, x->c,
	                              1 + rng_below(&x->rng, size), 0, &p);
	free(cp);
	(void)query_ok(s, "reader", "ConsistencyProof", rc, &p);
	rc = wb_rpc_get_entry(&entry, &len, x->c, rng_below(&x->rng, size), &p);
	free(entry);
	(void)query_ok(s, "reader", "GetEntry", rc, &p);
	/* The export of the last entries up to the checkpoint: `to` must
	 * be a size a commit ended at. */
	from = csize > 16 ? csize - 16 : 0;
	rc = wb_rpc_get_range(x->null, x->c, from, csize, &p);
	(void)query_ok(s, "reader", "GetRange", rc, &p);
}

/* The traceability reads about one finished lot of one writer. */
static void
read_twins(struct reader *x, uint64_t size)
{
	struct soak *s = x->s;
	unsigned w = (unsigned)rng_below(&x->rng, WRITERS);
	uint64_t done = atomic_load(&s->done[w]);
	uint64_t installed = atomic_load(&s->installed[w]);
	uint64_t recall = atomic_load(&s->last_recall);
	uint64_t cycle, *idx = NULL, next = 0, md_index = 0;
	char item[ID_LEN], lot[ID_LEN], part[ID_LEN];
	wb_recall_status *status = NULL;
	wb_passport *pass = NULL;
	wb_trace *tr = NULL;
	wb_trace_opts to = { 0 };
	wb_where_step *steps = NULL;
	wb_installation *ins = NULL;
	wb_recall_impact *impact = NULL;
	wb_recall_notice *notices = NULL;
	wb_search_query q = { 0 };
	uint8_t *entry = NULL;
	wb_problem p = { 0 };
	size_t n = 0;
	wb_err rc;

	if (done == 0) {
		return;
	}
	cycle = rng_below(&x->rng, done);
	item_id(item, w, cycle, (unsigned)rng_below(&x->rng, LOT_ITEMS));
	lot_id(lot, w, cycle);

	rc = wb_rpc_history(&idx, &n, &next, x->c, item, 0, x->rng & 1, 10, &p);
	free(idx);
	(void)query_ok(s, "reader", "History", rc, &p);
	rc = wb_rpc_passport(&pass, x->c, item, &p);
	wb_passport_free(pass);
	(void)query_ok(s, "reader", "Passport", rc, &p);
	rc = wb_rpc_recall_status(&status, x->c, item, &p);
	wb_recall_status_free(status);
	(void)query_ok(s, "reader", "RecallStatus", rc, &p);
	rc = wb_rpc_where(&steps, &n, x->c, item, &p);
	free(steps);
	(void)query_ok(s, "reader", "Where", rc, &p);
	rc = wb_rpc_trace(&tr, x->c, item, &to, &p);
	wb_trace_free(tr);
	tr = NULL;
	(void)query_ok(s, "reader", "Trace (up)", rc, &p);
	to.down = true;
	to.include_closed = true;
	rc = wb_rpc_trace(&tr, x->c, lot, &to, &p);
	wb_trace_free(tr);
	(void)query_ok(s, "reader", "Trace (down)", rc, &p);
	if (recall != 0) {
		rc = wb_rpc_recall_impact(&impact, x->c, recall, 0, 20, &p);
		wb_recall_impact_free(impact);
		(void)query_ok(s, "reader", "RecallImpact", rc, &p);
	}
	rc = wb_rpc_recalls_since(&notices, &n, x->c,
	                          recall > 200 ? recall - 200 : 0, 20, &p);
	wb_recall_notices_free(notices, n);
	(void)query_ok(s, "reader", "RecallsSince", rc, &p);
	if (installed != 0) {
		item_id(part, w, installed - 1, 1);
		rc = wb_rpc_installations(&ins, &n, x->c, part, &p);
		wb_installations_free(ins, n);
		(void)query_ok(s, "reader", "Installations", rc, &p);
	}
	q.biz_step = "shipping";
	q.limit = 20;
	q.after = rng_below(&x->rng, size);
	idx = NULL;
	rc = wb_rpc_search(&idx, &n, &next, x->c, &q, NULL, &p);
	free(idx);
	(void)query_ok(s, "reader", "Search", rc, &p);
	rc = wb_rpc_master_data(&md_index, &entry, &n, x->c, FACTORY, &p);
	free(entry);
	(void)query_ok(s, "reader", "MasterData", rc, &p);
}

static void *
reader_run(void *arg)
{
	struct reader *x = arg;
	struct soak *s = x->s;
	wb_rpc_info info;
	wb_problem p = { 0 };
	uint64_t round = 0;
	wb_err rc;

	while (!atomic_load(&s->stop)) {
		beat(s, BEAT_READER0 + (int)x->r);
		rc = wb_rpc_ping(x->c, &p);
		(void)query_ok(s, "reader", "Ping", rc, &p);
		rc = wb_rpc_info_get(&info, x->c, &p);
		if (query_ok(s, "reader", "Info", rc, &p)) {
			free(info.checkpoint);
			read_journal(x, info.tree_size);
			read_twins(x, info.tree_size);
		}
		round++;
		sleep_until(s, s->t0 + (double)round * READER_PERIOD_S);
	}
	return NULL;
}

/*
 * The reconnecting client and the subscriber.
 */

/*
 * The reconnecting client: one process per cycle (bench_soak_client.c
 * says why), whose report lines are read here.
 */

/* What the parent knows of one client process. */
struct client_run {
	char stage[32]; /* the last it reported */
	char line[512]; /* partial line */
	size_t len;
	bool failed;
};

/* Takes one report line of a client process. */
static void
client_line(struct soak *s, struct client_run *cr, const char *line)
{
	char what[600];

	beat(s, BEAT_RECONNECT);
	if (strncmp(line, "stage ", 6) == 0) {
		snprintf(cr->stage, sizeof(cr->stage), "%.31s", line + 6);
	} else if (strcmp(line, "query ok") == 0) {
		atomic_fetch_add(&s->queries, 1);
		atomic_fetch_add(&s->requests, 1);
	} else if (strncmp(line, "query fail ", 11) == 0) {
		atomic_fetch_add(&s->queries, 1);
		atomic_fetch_add(&s->requests, 1);
		unexpected_text(s, "reconnect", line + 11);
		cr->failed = true;
	} else if (strncmp(line, "fail ", 5) == 0) {
		/* A notice cut short by the end of the load is no failure. */
		if (strcmp(cr->stage, "notice") != 0 ||
		    !atomic_load(&s->stop)) {
			unexpected_text(s, "reconnect", line + 5);
		}
		cr->failed = true;
	} else if (strcmp(line, "reconnect") == 0) {
		atomic_fetch_add(&s->reconnects, 1);
	} else if (strcmp(line, "subscription") == 0) {
		atomic_fetch_add(&s->subscriptions, 1);
	} else if (strcmp(line, "notice") != 0) {
		snprintf(what, sizeof(what), "the client process said: %s",
		         line);
		unexpected_text(s, "reconnect", what);
	}
}

/* Reads what arrived from a client process; false at the end of it. */
static bool
client_read(struct soak *s, struct client_run *cr, int fd)
{
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0) {
		return n < 0 && errno == EINTR;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n' && cr->len + 1 < sizeof(cr->line)) {
			cr->line[cr->len++] = buf[i];
		} else if (buf[i] == '\n') {
			cr->line[cr->len] = '\0';
			client_line(s, cr, cr->line);
			cr->len = 0;
		}
	}
	return true;
}

/* A client process that reported nothing for CLIENT_SILENT_S: killed,
 * and counted as a close that never returned (the nng defect the client
 * process is there for) when it was closing, or else as a failure. */
static void
client_stuck(struct soak *s, struct client_run *cr, pid_t pid)
{
	char what[160];

	kill(pid, SIGKILL);
	if (strcmp(cr->stage, "close-client") == 0 ||
	    strcmp(cr->stage, "close-subscriber") == 0) {
		atomic_fetch_add(&s->close_hangs, 1);
		bench_note("reconnecting client: nng_close never returned "
		           "(%s) at %.1f s; the client process was killed",
		           cr->stage, bench_now() - s->t0);
		return;
	}
	snprintf(what, sizeof(what),
	         "the client process was silent for %d s (at stage %s); "
	         "killed",
	         CLIENT_SILENT_S, cr->stage[0] ? cr->stage : "start");
	unexpected_text(s, "reconnect", what);
}

static void
reconnect_cycle(struct soak *s, uint64_t cycle, uint64_t *rng)
{
	uint64_t done = atomic_load(&s->done[cycle % WRITERS]);
	char item[ID_LEN], key[PATH_MAX + 16];
	char *argv[] = { s->self,  "soak-client",
		         s->d.url, s->pub_url,
		         key,      cycle % 4 >= 2 ? "each" : "once",
		         item,     cycle % SUBSCRIBE_EVERY == 0 ? "1" : "0",
		         NULL };
	struct client_run cr = { .stage = "" };
	posix_spawn_file_actions_t fa;
	struct pollfd pfd;
	double last;
	bool stuck = false;
	pid_t pid;
	int fds[2], status, err;

	snprintf(key, sizeof(key), "%s/%s.key", s->dir,
	         cycle % 2 ? "maker" : "retailer");
	if (done > 0) {
		item_id(item, (unsigned)(cycle % WRITERS), rng_below(rng, done),
		        0);
	} else {
		snprintf(item, sizeof(item), "-");
	}
	/* Close-on-exec: the child gets the write end as its stdout only. */
	if (pipe(fds) != 0) {
		unexpected_text(s, "reconnect", "making a pipe failed");
		return;
	}
	(void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	err = posix_spawn(&pid, s->self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err != 0) {
		close(fds[0]);
		unexpected_text(s, "reconnect", strerror(err));
		return;
	}
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	last = bench_now();
	for (;;) {
		int n = poll(&pfd, 1, 1000);

		if (n > 0) {
			if (!client_read(s, &cr, fds[0])) {
				break;
			}
			last = bench_now();
		} else if (bench_now() - last > CLIENT_SILENT_S) {
			client_stuck(s, &cr, pid);
			stuck = true;
			break;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!stuck && !cr.failed &&
	    (strcmp(cr.stage, "done") != 0 || !WIFEXITED(status) ||
	     WEXITSTATUS(status) != 0)) {
		char what[96];

		snprintf(what, sizeof(what),
		         "the client process ended at stage %s with status %d",
		         cr.stage[0] ? cr.stage : "start", status);
		unexpected_text(s, "reconnect", what);
	}
}

static void *
reconnect_run(void *arg)
{
	struct soak *s = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	for (uint64_t cycle = 0; !atomic_load(&s->stop); cycle++) {
		beat(s, BEAT_RECONNECT);
		reconnect_cycle(s, cycle, &rng);
		sleep_until(s,
		            s->t0 + (double)(cycle + 1) * RECONNECT_PERIOD_S);
	}
	return NULL;
}

struct subscriber {
	struct soak *s;
	wb_rpc_subscriber *sub;
};

static void *
subscriber_run(void *arg)
{
	struct subscriber *x = arg;
	struct soak *s = x->s;
	wb_notice note;
	wb_err rc;

	while (!atomic_load(&s->sub_stop)) {
		beat(s, BEAT_SUBSCRIBER);
		rc = wb_rpc_notice_next(&note, x->sub, 200);
		if (rc == WB_ETIMEDOUT) {
			continue;
		}
		if (rc != WB_OK) {
			unexpected(s, "subscriber", "receiving a notice", rc,
			           NULL);
			if (rc == WB_ECLOSED) {
				break;
			}
			continue;
		}
		atomic_fetch_add(&s->notices, 1);
		atomic_store(&s->sub_ready, true);
		if (note.kind == WB_NOTICE_RECALL ||
		    note.kind == WB_NOTICE_LIFT) {
			list_add(s, &s->got, &s->n_got, &s->cap_got,
			         note.index);
		}
		free(note.checkpoint);
	}
	return NULL;
}

/* Recall and lift notices acknowledged but never received. */
static size_t
notices_missing(struct soak *s)
{
	size_t missing = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_expect; i++) {
		bool found = false;

		for (size_t k = 0; k < s->n_got && !found; k++) {
			found = s->got[k] == s->expect[i];
		}
		missing += !found;
	}
	pthread_mutex_unlock(&s->lock);
	return missing;
}

/*
 * The ledger and the daemon.
 */

static int
make_ledger(struct soak *s)
{
	wb_journal *j = NULL;
	char path[PATH_MAX + 16];
	wb_hash salt;
	wb_err rc;
	int brc;

	if ((brc = bench_ledger_create(s->dir, ORIGIN, &s->log, &s->admin)) !=
	    BENCH_OK) {
		return brc;
	}
	if ((rc = wb_signer_generate(&s->maker, "Manufacturer")) != WB_OK ||
	    (rc = wb_signer_generate(&s->retailer, "Retailer")) != WB_OK) {
		return bench_fail("making keys: %s", wb_strerror(rc));
	}
	if ((rc = wb_journal_open(&j, s->dir, NULL)) != WB_OK) {
		return bench_fail("opening the ledger: %s", wb_strerror(rc));
	}
	memcpy(s->ledger_id, wb_journal_ledger_id(j), WB_HASH_LEN);
	wb_journal_close(j);
	wb_hash_sha256(&salt, s->ledger_id, WB_HASH_LEN);
	memcpy(s->salt, salt.b, sizeof(s->salt));
	snprintf(path, sizeof(path), "%s/log.key", s->dir);
	if ((rc = wb_keyfile_write(path, s->log)) != WB_OK) {
		return bench_fail("writing the log key: %s", wb_strerror(rc));
	}
	/* For the reconnecting client's processes. */
	snprintf(path, sizeof(path), "%s/maker.key", s->dir);
	if ((rc = wb_keyfile_write(path, s->maker)) == WB_OK) {
		snprintf(path, sizeof(path), "%s/retailer.key", s->dir);
		rc = wb_keyfile_write(path, s->retailer);
	}
	if (rc != WB_OK) {
		return bench_fail("writing %s: %s", path, wb_strerror(rc));
	}
	return BENCH_OK;
}

static int
start_daemon(struct soak *s)
{
	char listen[PATH_MAX + 16], map_size[32];
	/* Room for every stamp the run can write, many times over: the map
	 * is a maximum, the file grows as used. */
	unsigned long long map =
	        (unsigned long long)(s->run_s / WRITER_PERIOD_S + 1) * WRITERS *
	        STAMPS_PER_CYCLE * MAP_BYTES_PER_STAMP;
	const char *args[] = { s->waybilld,   "--data",     s->dir,
		               "--listen",    listen,       "--publish",
		               s->pub_url,    "--map-size", map_size,
		               "--log-level", "warn",       NULL };
	int rc;

	map = map < MIN_MAP_SIZE ? MIN_MAP_SIZE : map;
	snprintf(map_size, sizeof(map_size), "%llu", map);
	snprintf(listen, sizeof(listen), "ipc://%s/rpc.sock", s->dir);
	snprintf(s->pub_url, sizeof(s->pub_url), "ipc://%s/pub.sock", s->dir);
	snprintf(s->log_path, sizeof(s->log_path), "%s/waybilld.log", s->dir);
	rc = bench_daemon_start(&s->d, args, s->log_path);
	if (rc == BENCH_OK) {
		bench_note("waybilld (pid %d) on %s, publishing on %s, "
		           "--map-size %s",
		           (int)s->d.pid, s->d.url, s->pub_url, map_size);
	}
	return rc;
}

/* Prints the end of the daemon's log. */
static void
show_log(const struct soak *s)
{
	bench_note("the end of waybilld's log (%s):", s->log_path);
	bench_print_tail(s->log_path);
}

/* The manufacturer and the retailer, the factory's master data, the two
 * assets; then the subscriber must hear the daemon before the load. */
static int
setup(struct soak *s, struct subscriber *sub, pthread_t *th)
{
	const wb_role maker_role = WB_ROLE_BRAND_OWNER;
	const wb_role shop_role = WB_ROLE_RETAILER;
	const wb_namespace maker_ns = { WB_NS_GS1_COMPANY_PREFIX, "0614141" };
	const wb_namespace shop_ns = { WB_NS_GS1_COMPANY_PREFIX, "0012345" };
	wb_rpc_client_opts co = { .timeout_ms = CALL_TIMEOUT_MS };
	struct writer x = { .s = s, .w = WRITERS };
	wb_submission v[WRITERS];
	wb_problem p = { 0 };
	int brc = BENCH_OK;
	wb_err rc;

	if ((rc = wb_rpc_client_open(&x.c, s->d.url, &co)) != WB_OK) {
		return bench_fail("opening a client of %s: %s", s->d.url,
		                  wb_strerror(rc));
	}
	for (int i = 0; i < 100 && (rc = wb_rpc_ping(x.c, &p)) != WB_OK; i++) {
	}
	if (rc != WB_OK) {
		wb_rpc_client_close(x.c);
		return bench_fail("waybilld does not answer Ping: %s",
		                  wb_strerror(rc));
	}
	if (!registry_change(s, x.c, "setup", WB_REG_REGISTER, s->maker,
	                     "Manufacturer", &maker_role, &maker_ns,
	                     MAKER_PARTY, 0) ||
	    !registry_change(s, x.c, "setup", WB_REG_REGISTER, s->retailer,
	                     "Retailer", &shop_role, &shop_ns, RETAILER_PARTY,
	                     0)) {
		wb_rpc_client_close(x.c);
		return bench_fail("registering the stakeholders failed");
	}
	for (unsigned w = 0; w < WRITERS; w++) {
		wb_stamp st;
		char asset[ID_LEN];
		const char *epc[1] = { asset };

		snprintf(asset, sizeof(asset), ASSET_FMT, w + 1);
		stamp_base(&st, x.event_id[w], s, WRITERS, &x.seq,
		           WB_KIND_OBJECT);
		st.action = WB_ACTION_ADD;
		st.biz_step = "urn:epcglobal:cbv:bizstep:commissioning";
		st.epcs = epc;
		st.n_epcs = 1;
		if ((rc = sign_stamp(&v[w], &st, s->maker)) != WB_OK) {
			subs_clear(v, w);
			wb_rpc_client_close(x.c);
			return bench_fail("signing: %s", wb_strerror(rc));
		}
	}
	if (!submit(s, x.c, "Submit (assets)", v, WRITERS, true, NULL, NULL)) {
		brc = bench_fail("commissioning the assets failed");
	}
	subs_clear(v, WRITERS);

	/* The subscriber connects in the background: commits (each
	 * publishes a checkpoint) until it has heard one. */
	if (brc == BENCH_OK &&
	    (rc = wb_rpc_subscribe(&sub->sub, s->pub_url)) != WB_OK) {
		brc = bench_fail("subscribing to %s: %s", s->pub_url,
		                 wb_strerror(rc));
	}
	if (brc == BENCH_OK &&
	    pthread_create(th, NULL, subscriber_run, sub) != 0) {
		brc = bench_fail("cannot start a thread");
		wb_rpc_subscriber_close(sub->sub);
		sub->sub = NULL;
	}
	for (int i = 0;
	     brc == BENCH_OK && i < 50 && !atomic_load(&s->sub_ready); i++) {
		wb_submission md;

		if (!submit_one(&x, "Submit (master data)", &md,
		                master_stamp(s, &md, x.event_id[0], WRITERS,
		                             &x.seq),
		                NULL)) {
			brc = bench_fail("describing the factory failed");
		}
		sleep_s(0.2);
	}
	if (brc == BENCH_OK && !atomic_load(&s->sub_ready)) {
		brc = bench_fail("the subscriber heard no notice in 10 s");
	}
	wb_rpc_client_close(x.c);
	return brc;
}

/*
 * The run.
 */

static void
progress(struct soak *s, double now)
{
	proc_sample x;

	if (!proc_read(&x, s->d.pid)) {
		return;
	}
	bench_note("%5.0f s: %llu requests, %llu stamps, %llu unexpected; "
	           "waybilld RSS %.1f MB (anonymous %.1f, file %.1f), %ld fds",
	           now - s->t0, (unsigned long long)atomic_load(&s->requests),
	           (unsigned long long)atomic_load(&s->stamps_acked),
	           (unsigned long long)atomic_load(&s->unexpected),
	           (double)x.rss_kb / 1024, (double)x.anon_kb / 1024,
	           (double)x.file_kb / 1024, x.fds);
}

/* Joins thread t of the load, unless it is stalled: then it is detached
 * and left. Returns whether it was joined. */
static bool
join_unless_stalled(struct soak *s, pthread_t t, int i)
{
	if (s->stall_noted[i] && stalled(s, i)) {
		bench_note("%s is stuck: left behind", beat_name(i));
		pthread_detach(t);
		return false;
	}
	pthread_join(t, NULL);
	return true;
}

/* Starts the load, waits for the end of the run, stops the load; *end
 * gets the daemon's last sample under load. */
static int
load(struct soak *s, proc_sample *end)
{
	struct writer w[WRITERS] = { 0 };
	struct reader r[READERS] = { 0 };
	pthread_t tw[WRITERS], tr[READERS], trc, ts;
	bool rc_started = false, ts_started = false;
	size_t nw = 0, nr = 0;
	double interval = s->run_s <= 300 ? 10 : 60, next_note;
	int brc = BENCH_OK;

	s->t0 = bench_now();
	next_note = s->t0 + interval;
	ts_started = pthread_create(&ts, NULL, sampler_run, s) == 0;
	for (; nw < WRITERS && ts_started; nw++) {
		wb_rpc_client_opts co = { .timeout_ms = CALL_TIMEOUT_MS };

		w[nw] = (struct writer){ .s = s, .w = (unsigned)nw };
		if (wb_rpc_client_open(&w[nw].c, s->d.url, &co) != WB_OK ||
		    pthread_create(&tw[nw], NULL, writer_run, &w[nw]) != 0) {
			wb_rpc_client_close(w[nw].c);
			break;
		}
	}
	for (; nr < READERS && nw == WRITERS; nr++) {
		wb_rpc_client_opts co = { .timeout_ms = CALL_TIMEOUT_MS,
			                  .key = nr % 2 ? s->maker
			                                : s->retailer,
			                  .per_request_auth = nr % 2 == 1 };

		r[nr] = (struct reader){ .s = s,
			                 .r = (unsigned)nr,
			                 .rng = 0x2545f4914f6cdd1dull *
			                        (nr + 1) };
		if ((r[nr].null = fopen("/dev/null", "w")) == NULL ||
		    wb_rpc_client_open(&r[nr].c, s->d.url, &co) != WB_OK ||
		    pthread_create(&tr[nr], NULL, reader_run, &r[nr]) != 0) {
			wb_rpc_client_close(r[nr].c);
			if (r[nr].null != NULL) {
				fclose(r[nr].null);
			}
			break;
		}
	}
	if (nr == READERS) {
		rc_started = pthread_create(&trc, NULL, reconnect_run, s) == 0;
	}
	if (!rc_started) {
		brc = bench_fail("cannot start the load's threads and clients");
	}
	while (brc == BENCH_OK && !bench_interrupted() &&
	       !atomic_load(&s->daemon_gone) &&
	       bench_now() < s->t0 + s->run_s) {
		sleep_s(0.1);
		if (bench_now() >= next_note) {
			progress(s, next_note);
			next_note += interval;
		}
	}
	if (!proc_read(end, s->d.pid)) {
		atomic_store(&s->daemon_gone, true);
	}
	atomic_store(&s->stop, true);
	if (ts_started) {
		pthread_join(ts, NULL);
	}
	/* A thread stuck in a call is left behind (detached, its client
	 * not closed), so that the run still ends with a verdict. */
	check_stalls(s);
	if (rc_started) {
		(void)join_unless_stalled(s, trc, BEAT_RECONNECT);
	}
	for (size_t i = 0; i < nr; i++) {
		if (join_unless_stalled(s, tr[i], BEAT_READER0 + (int)i)) {
			wb_rpc_client_close(r[i].c);
			fclose(r[i].null);
		}
	}
	for (size_t i = 0; i < nw; i++) {
		if (join_unless_stalled(s, tw[i], BEAT_WRITER0 + (int)i)) {
			wb_rpc_client_close(w[i].c);
			subs_clear(&w[i].kept, 1);
			wb_signer_free(w[i].temp);
		}
	}
	if (bench_interrupted()) {
		return bench_fail("interrupted");
	}
	if (atomic_load(&s->daemon_gone)) {
		show_log(s);
		return bench_fail("waybilld is gone (pid %d)", (int)s->d.pid);
	}
	return brc;
}

/* Waits for the daemon's descriptors to come back to the baseline. */
static long
settle_fds(struct soak *s)
{
	proc_sample x = { 0 };
	double until = bench_now() + FD_SETTLE_S;

	do {
		if (!proc_read(&x, s->d.pid)) {
			return -1;
		}
		if (x.fds == s->base.fds) {
			break;
		}
		sleep_s(0.1);
	} while (bench_now() < until);
	return x.fds;
}

static void
report(struct soak *s, bench_report *r, const proc_sample *end, long fds_end,
       size_t missing, bool stopped, double elapsed)
{
	double growth;
	double rss_growth;
	uint64_t req = atomic_load(&s->requests);

	/* The last sample under load counts among the most too. */
	s->max.rss_kb =
	        end->rss_kb > s->max.rss_kb ? end->rss_kb : s->max.rss_kb;
	s->max.anon_kb =
	        end->anon_kb > s->max.anon_kb ? end->anon_kb : s->max.anon_kb;
	s->max.fds = end->fds > s->max.fds ? end->fds : s->max.fds;
	growth = (double)(end->anon_kb - s->warm.anon_kb) / 1024;
	rss_growth = (double)(end->rss_kb - s->warm.rss_kb) / 1024;

	r->judged = true;
	r->passed = growth < RSS_LIMIT_MB && fds_end == s->base.fds &&
	            atomic_load(&s->unexpected) == 0 && stopped && s->have_warm;
	bench_add(r, "minutes", "run", "min", 2, elapsed / 60);
	bench_add(r, "warmup_s", "warm-up", "s", 0, s->warmup_s);
	bench_add(r, "requests_total", "requests", "", 0, (double)req);
	bench_add(r, "requests_per_s", "requests/s", "/s", 1,
	          (double)req / elapsed);
	bench_add(r, "submits_acked", "Submit requests acknowledged", "", 0,
	          (double)atomic_load(&s->submits_acked));
	bench_add(r, "stamps_acked", "stamps and changes appended", "", 0,
	          (double)atomic_load(&s->stamps_acked));
	bench_add(r, "queries", "read requests", "", 0,
	          (double)atomic_load(&s->queries));
	bench_add(r, "duplicates_sent",
	          "same stamp again (duplicate: expected)", "", 0,
	          (double)atomic_load(&s->duplicates));
	bench_add(r, "expected_refusals", "used event ID (refused: expected)",
	          "", 0, (double)atomic_load(&s->refusals));
	bench_add(r, "recalls_and_lifts", "recalls and lifts appended", "", 0,
	          (double)s->n_expect);
	bench_add(r, "notices_received", "notices received (subscriber)", "", 0,
	          (double)atomic_load(&s->notices));
	bench_add(r, "notices_missed", "recall and lift notices missed", "", 0,
	          (double)missing);
	bench_add(r, "reconnects", "connections opened and closed", "", 0,
	          (double)atomic_load(&s->reconnects));
	bench_add(r, "subscriptions", "subscriptions opened and closed", "", 0,
	          (double)atomic_load(&s->subscriptions));
	bench_add(r, "client_close_hangs",
	          "client processes killed in a close that never returned "
	          "(nng 1.5.2)",
	          "", 0, (double)atomic_load(&s->close_hangs));
	bench_add(r, "rss_baseline_kb", "VmRSS at the baseline", "kB", 0,
	          (double)s->base.rss_kb);
	bench_add(r, "rss_after_warmup_kb", "VmRSS after the warm-up", "kB", 0,
	          (double)s->warm.rss_kb);
	bench_add(r, "rss_end_kb", "VmRSS at the end of the load", "kB", 0,
	          (double)end->rss_kb);
	bench_add(r, "rss_max_kb", "VmRSS, most", "kB", 0,
	          (double)s->max.rss_kb);
	bench_add(r, "rss_growth_mb", "VmRSS growth after the warm-up", "MB", 2,
	          rss_growth);
	bench_add(r, "rss_file_end_kb",
	          "file-backed RSS at the end (ledger map)", "kB", 0,
	          (double)end->file_kb);
	bench_add(r, "anon_rss_baseline_kb", "anonymous RSS at the baseline",
	          "kB", 0, (double)s->base.anon_kb);
	bench_add(r, "anon_rss_after_warmup_kb",
	          "anonymous RSS after the warm-up", "kB", 0,
	          (double)s->warm.anon_kb);
	bench_add(r, "anon_rss_end_kb", "anonymous RSS at the end of the load",
	          "kB", 0, (double)end->anon_kb);
	bench_add(r, "anon_rss_max_kb", "anonymous RSS, most", "kB", 0,
	          (double)s->max.anon_kb);
	bench_add(r, "anon_rss_growth_mb",
	          "anonymous RSS growth after the warm-up (judged: < 10)", "MB",
	          2, growth);
	bench_add(r, "fds_baseline", "descriptors at the baseline", "", 0,
	          (double)s->base.fds);
	bench_add(r, "fds_max", "descriptors, most", "", 0, (double)s->max.fds);
	bench_add(r, "fds_end", "descriptors after the clients closed", "", 0,
	          (double)fds_end);
	bench_add(r, "unexpected_failures", "unexpected failures", "", 0,
	          (double)atomic_load(&s->unexpected));
	if (!stopped) {
		bench_note("fail: waybilld did not stop cleanly on SIGTERM");
	}
	if (!s->have_warm) {
		bench_note("fail: no sample after the warm-up");
	}
	if (growth >= RSS_LIMIT_MB) {
		bench_note("fail: anonymous RSS grew %.2f MB after the warm-up "
		           "(limit %.0f)",
		           growth, RSS_LIMIT_MB);
	}
	if (fds_end != s->base.fds) {
		bench_note("fail: %ld descriptors %.0f s after the clients "
		           "closed, %ld at the baseline",
		           fds_end, FD_SETTLE_S, s->base.fds);
	}
}

static int
run(struct soak *s, bench_report *r)
{
	struct subscriber sub = { .s = s };
	pthread_t th;
	proc_sample end = { 0 };
	double elapsed, until;
	size_t missing;
	long fds_end;
	bool stopped;
	int rc;

	/* The baseline: the daemon listening, before any client. */
	sleep_s(0.5);
	if (!proc_read(&s->base, s->d.pid)) {
		return bench_fail("cannot read /proc/%d", (int)s->d.pid);
	}
	s->max = s->base;
	bench_note("baseline: RSS %ld kB (anonymous %ld), %ld descriptors",
	           s->base.rss_kb, s->base.anon_kb, s->base.fds);
	s->t0 = bench_now();
	if ((rc = setup(s, &sub, &th)) != BENCH_OK) {
		if (sub.sub != NULL) {
			atomic_store(&s->sub_stop, true);
			pthread_join(th, NULL);
			wb_rpc_subscriber_close(sub.sub);
		}
		return rc;
	}
	bench_note("load for %.0f s (warm-up %.0f s): %d writers, %d readers, "
	           "a reconnecting client, a subscriber",
	           s->run_s, s->warmup_s, WRITERS, READERS);
	rc = load(s, &end);
	elapsed = bench_now() - s->t0;
	/* Every recall and lift acknowledged must be heard. */
	until = bench_now() + NOTICE_DRAIN_S;
	while (rc == BENCH_OK && (missing = notices_missing(s)) > 0 &&
	       bench_now() < until) {
		sleep_s(0.1);
	}
	atomic_store(&s->sub_stop, true);
	pthread_join(th, NULL);
	wb_rpc_subscriber_close(sub.sub);
	if (rc != BENCH_OK) {
		return rc;
	}
	if ((missing = notices_missing(s)) > 0) {
		unexpected(s, "subscriber", "recall and lift notices missed",
		           WB_ETIMEDOUT, NULL);
	}
	fds_end = settle_fds(s);
	stopped = bench_daemon_stop(&s->d, STOP_WAIT_MS);
	report(s, r, &end, fds_end, missing, stopped, elapsed);
	if (!r->passed) {
		show_log(s);
	}
	return BENCH_OK;
}

int
bench_soak(const bench_opts *o, bench_report *r)
{
	struct soak s = { .o = o };
	int rc;

	if (o->minutes > 0 && o->seconds > 0) {
		fprintf(stderr, "waybill-bench: soak takes --minutes or "
		                "--seconds, not both\n");
		return BENCH_USAGE;
	}
	s.run_s = o->minutes > 0   ? o->minutes * 60
	          : o->seconds > 0 ? o->seconds
	                           : DEFAULT_MINUTES * 60;
	s.warmup_s = s.run_s / 3 < WARMUP_MAX_S ? s.run_s / 3 : WARMUP_MAX_S;
	pthread_mutex_init(&s.lock, NULL);
	if ((rc = bench_find_program(s.waybilld, sizeof(s.waybilld), "waybilld",
	                             "WAYBILLD")) != BENCH_OK) {
		return rc;
	}
	if (!bench_self_path(s.self, sizeof(s.self))) {
		return bench_fail("cannot find this program (/proc/self/exe)");
	}
	if ((s.dir = bench_scratch_dir(o)) == NULL) {
		return BENCH_ERROR;
	}
	bench_note("scratch ledger in %s", s.dir);
	if ((rc = make_ledger(&s)) == BENCH_OK &&
	    (rc = start_daemon(&s)) == BENCH_OK) {
		rc = run(&s, r);
	}
	if (s.d.pid > 0 && !bench_daemon_stop(&s.d, STOP_WAIT_MS)) {
		show_log(&s);
	}
	wb_signer_free(s.retailer);
	wb_signer_free(s.maker);
	wb_signer_free(s.admin);
	wb_signer_free(s.log);
	free(s.expect);
	free(s.got);
	pthread_mutex_destroy(&s.lock);
	if (o->keep || rc != BENCH_OK || !r->passed) {
		bench_note("ledger and waybilld's log kept in %s", s.dir);
		free(s.dir);
	} else {
		bench_scratch_remove(s.dir);
	}
	return rc;
}
