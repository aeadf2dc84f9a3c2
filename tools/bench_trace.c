/* SPDX-License-Identifier: MIT */
/*
 * bench_trace.c - the trace mode of waybill-bench: the traceability
 * questions on a supply chain of a million items, asked in-process.
 *
 * One run builds a scratch ledger through wb_journal_append with signed
 * stamps, as an ingest would: a supplier commissions INGREDIENTS ingredient
 * lots (LGTIN quantities) and ships them to a manufacturer, who makes each
 * product lot from INPUTS_PER_LOT of them (a TransformationEvent with input
 * and output quantities), commissions ITEMS_PER_LOT items per lot (SGTINs
 * whose ILMD lot number makes them members of the product lot), packs them
 * into cases of ITEMS_PER_CASE (SSCCs), the cases onto pallets of
 * CASES_PER_PALLET, and ships PALLETS_PER_STORE pallets to each store of a
 * retailer, who receives them at the store's SGLN. Product lot p is made
 * from ingredient lots p%10, (p+3)%10 and (p+7)%10, so each ingredient lot
 * goes into 30% of the product lots. Every act is its custodian's, so no
 * stamp has a custody gap.
 *
 * Then the supplier recalls ingredient lots (as their commissioner), and
 * the run times: the durable append of a recall and of its lift;
 * RecallImpact of a recall over the whole ledger; RecallStatus of items of
 * affected and of clean lots, and of pallets holding affected stock;
 * Passport; Trace up from an item. Every answer is checked against what the
 * graph implies, and a wrong one fails the run: a fast wrong answer is not
 * a figure.
 *
 * Stamps are built and signed before each timed stretch of the build (the
 * senders' work). The build's time is verification, one batch ahead on two
 * threads, and wb_journal_append of BATCH stamps at a time, each batch one
 * durable commit.
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
#include "waybill/trace.h"

#define ORIGIN "bench.waybill.example/trace"

/* The shape of the chain: --items scales the number of product lots,
 * cases, pallets and stores, never these. */
#define INGREDIENTS       10
#define INPUTS_PER_LOT    3
#define ITEMS_PER_LOT     1000
#define ITEMS_PER_CASE    20
#define CASES_PER_PALLET  20
#define PALLETS_PER_STORE 25
#define CASES_PER_LOT     (ITEMS_PER_LOT / ITEMS_PER_CASE)
#define ITEMS_PER_PALLET  (ITEMS_PER_CASE * CASES_PER_PALLET)
#define ITEMS_PER_STORE   (ITEMS_PER_PALLET * PALLETS_PER_STORE)
/* The most stamps one product lot makes: its transformation, one
 * commissioning per item, its cases, the pallets and the one delivery it
 * completes. */
#define LOT_STEPS_MAX (1 + ITEMS_PER_LOT + CASES_PER_LOT + 3 + 2)

/* Stamps per append (one durable commit), and stamps signed ahead of a
 * timed stretch of the build. */
#define BATCH        1000
#define CHUNK_STAMPS 20000
/* The most IDs one stamp of the build names (a whole lot commissioned at
 * once, with --items-per-stamp 1000), and the room for one ID. */
#define MAX_EPCS ITEMS_PER_LOT
#define ID_LEN   64

/* The recall every query is about, the recalls whose append is timed
 * (each but the last also lifted), the RecallImpact runs whose median is
 * the figure, and the page size asked for. */
#define MAIN_INGREDIENT 0
#define RECALL_ROUNDS   5
#define IMPACT_RUNS     3
#define IMPACT_PAGE     100
/* Pallet statuses timed (each walks the pallet's 420 descendants), and
 * the clean pallets and holding cases only checked. */
#define PALLET_SAMPLES 200
#define SPOT_CHECKS    20

#define SUPPLIER_SITE  "urn:epc:id:sgln:4000001.00001.0"
#define FACTORY        "urn:epc:id:sgln:0614141.00001.0"
#define MAKER_PARTY    "urn:epc:id:pgln:0614141.00000"
#define RETAILER_PARTY "urn:epc:id:pgln:0012345.00000"
#define INGREDIENT_FMT "urn:epc:class:lgtin:4000001.0000%02u.L%02u"
#define PRODUCT_FMT    "urn:epc:class:lgtin:0614141.107346.P%05u"
#define LOT_NUMBER_FMT "{\"cbvmda:lotNumber\":\"P%05u\"}"
#define ITEM_FMT       "urn:epc:id:sgtin:0614141.107346.%llu"
#define CASE_FMT       "urn:epc:id:sscc:0614141.1%09u"
#define PALLET_FMT     "urn:epc:id:sscc:0614141.2%09u"
#define STORE_FMT      "urn:epc:id:sgln:0012345.%05u.0"

typedef enum {
	STEP_INGREDIENT, /* a: the ingredient lot */
	STEP_SHIP_IN,    /* every ingredient lot, supplier to factory */
	STEP_RECEIVE_IN,
	STEP_TRANSFORM,  /* a: the product lot */
	STEP_COMMISSION, /* a: the product lot, b: its first item, n: items */
	STEP_CASE,       /* a: the case */
	STEP_PALLET,     /* a: the pallet */
	STEP_SHIP,       /* a: the store */
	STEP_RECEIVE,    /* a: the store */
	STEP_RECALL,     /* a: the ingredient lot */
	STEP_LIFT,       /* ref: the recall's index */
} step_kind;

/* One stamp to make: what it says, and its place in the event sequence
 * (which gives its event time and ID). */
struct step {
	step_kind kind;
	uint32_t a, b, n;
	uint64_t ref;
	uint64_t seq;
};

/* What --items and --items-per-stamp make of the chain. */
struct shape {
	uint64_t items;
	uint32_t per_stamp;
	uint32_t lots, cases, pallets, stores;
};

struct trace_bench {
	struct shape sh;
	char *dir;
	wb_signer *log, *admin, *supplier, *maker, *retailer;
	uint64_t maker_id, retailer_id;
	wb_journal *j;
	uint8_t salt[8]; /* event IDs differ between runs */
	int64_t t0;      /* event time of step seq: t0 + seq seconds */
	uint64_t seq;
	uint64_t size;   /* tree size */
	uint64_t stamps; /* stamps appended (registrations not counted) */
	wb_result *results;
	uint64_t rng;
};

/* What the timed stretches of the build measured. */
struct build_stats {
	double elapsed_s; /* first verification to last durable commit */
	double append_s;  /* inside wb_journal_append */
	double wait_s;    /* waiting for the verifiers */
	double untimed_cpu;
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
 * The graph: names, and which lot uses which ingredient.
 */

static uint32_t
lot_input(uint32_t lot, int k)
{
	static const uint32_t offset[INPUTS_PER_LOT] = { 0, 3, 7 };

	return (lot + offset[k]) % INGREDIENTS;
}

static bool
lot_uses(uint32_t lot, uint32_t ingredient)
{
	for (int k = 0; k < INPUTS_PER_LOT; k++) {
		if (lot_input(lot, k) == ingredient) {
			return true;
		}
	}
	return false;
}

static void
ingredient_id(char *out, uint32_t i)
{
	snprintf(out, ID_LEN, INGREDIENT_FMT, i, i);
}

static void
product_id(char *out, uint32_t lot)
{
	snprintf(out, ID_LEN, PRODUCT_FMT, lot);
}

/* Items are numbered from 0 in production order; serials start at 1. */
static void
item_id(char *out, uint64_t item)
{
	snprintf(out, ID_LEN, ITEM_FMT, (unsigned long long)item + 1);
}

static void
case_id(char *out, uint32_t c)
{
	snprintf(out, ID_LEN, CASE_FMT, c);
}

static void
pallet_id(char *out, uint32_t pallet)
{
	snprintf(out, ID_LEN, PALLET_FMT, pallet);
}

static void
store_id(char *out, uint32_t store)
{
	snprintf(out, ID_LEN, STORE_FMT, store + 1);
}

static void
shape_init(struct shape *sh, uint64_t items, uint32_t per_stamp)
{
	sh->items = items;
	sh->per_stamp = per_stamp;
	sh->lots = (uint32_t)(items / ITEMS_PER_LOT);
	sh->cases = (uint32_t)(items / ITEMS_PER_CASE);
	sh->pallets = (uint32_t)(items / ITEMS_PER_PALLET);
	sh->stores = (uint32_t)(items / ITEMS_PER_STORE);
}

static struct step
next_step(struct trace_bench *b, step_kind kind, uint32_t a)
{
	return (struct step){ .kind = kind, .a = a, .seq = b->seq++ };
}

/* The stamps of product lot `lot`, in the order a factory makes them:
 * the transformation, the items, then each case as it fills, a pallet
 * when its last case is on, a delivery when a store's last pallet is. */
static size_t
lot_steps(struct trace_bench *b, uint32_t lot, struct step *v)
{
	uint64_t first = (uint64_t)lot * ITEMS_PER_LOT;
	size_t n = 0;

	v[n++] = next_step(b, STEP_TRANSFORM, lot);
	for (uint32_t i = 0; i < ITEMS_PER_LOT; i += b->sh.per_stamp) {
		v[n] = next_step(b, STEP_COMMISSION, lot);
		v[n].b = i;
		v[n].n = ITEMS_PER_LOT - i < b->sh.per_stamp ? ITEMS_PER_LOT - i
		                                             : b->sh.per_stamp;
		n++;
	}
	for (uint32_t c = (uint32_t)(first / ITEMS_PER_CASE);
	     c < (first + ITEMS_PER_LOT) / ITEMS_PER_CASE; c++) {
		uint32_t pallet = c / CASES_PER_PALLET;

		v[n++] = next_step(b, STEP_CASE, c);
		if ((c + 1) % CASES_PER_PALLET != 0) {
			continue;
		}
		v[n++] = next_step(b, STEP_PALLET, pallet);
		if ((pallet + 1) % PALLETS_PER_STORE == 0) {
			v[n++] = next_step(b, STEP_SHIP,
			                   pallet / PALLETS_PER_STORE);
			v[n++] = next_step(b, STEP_RECEIVE,
			                   pallet / PALLETS_PER_STORE);
		}
	}
	return n;
}

/*
 * Stamps.
 */

/* Room for the strings of one stamp being built (one per thread). */
struct scratch {
	char ids[MAX_EPCS][ID_LEN];
	const char *ptrs[MAX_EPCS];
	char qids[INGREDIENTS + 1][ID_LEN];
	wb_quantity q[INGREDIENTS];
	wb_quantity out_q;
	char ilmd[64];
	char event_id[46];
	wb_location loc;
	wb_typed_value dest;
	wb_recall recall;
	wb_lift lift;
};

/* The EPC list of a stamp: n IDs made by fn from first on. */
static void
set_epcs(wb_stamp *s, struct scratch *x, void (*fn)(char *, uint32_t),
         uint32_t first, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		fn(x->ids[i], first + i);
		x->ptrs[i] = x->ids[i];
	}
	s->epcs = x->ptrs;
	s->n_epcs = n;
}

static void
set_items(wb_stamp *s, struct scratch *x, uint64_t first, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		item_id(x->ids[i], first + i);
		x->ptrs[i] = x->ids[i];
	}
	s->epcs = x->ptrs;
	s->n_epcs = n;
}

/* The ingredient lots as quantities of 1000 kg (all, or one). */
static void
set_ingredients(wb_stamp *s, struct scratch *x, int one)
{
	size_t n = 0;

	for (uint32_t i = 0; i < INGREDIENTS; i++) {
		if (one >= 0 && i != (uint32_t)one) {
			continue;
		}
		ingredient_id(x->qids[n], i);
		x->q[n] = (wb_quantity){ x->qids[n], true, 1000, "KGM" };
		n++;
	}
	s->quantities = x->q;
	s->n_quantities = n;
}

static void
make_transform(wb_stamp *s, struct scratch *x, uint32_t lot)
{
	for (int k = 0; k < INPUTS_PER_LOT; k++) {
		ingredient_id(x->qids[k], lot_input(lot, k));
		x->q[k] = (wb_quantity){ x->qids[k], true, 100, "KGM" };
	}
	product_id(x->qids[INGREDIENTS], lot);
	x->out_q = (wb_quantity){ x->qids[INGREDIENTS], true, ITEMS_PER_LOT,
		                  "H87" };
	s->kind = WB_KIND_TRANSFORMATION;
	s->input_quantities = x->q;
	s->n_input_quantities = INPUTS_PER_LOT;
	s->output_quantities = &x->out_q;
	s->n_output_quantities = 1;
	s->biz_step = "urn:epcglobal:cbv:bizstep:transforming";
}

static void
make_commission(wb_stamp *s, struct scratch *x, const struct step *st)
{
	s->action = WB_ACTION_ADD;
	s->biz_step = "urn:epcglobal:cbv:bizstep:commissioning";
	s->disposition = "urn:epcglobal:cbv:disp:active";
	set_items(s, x, (uint64_t)st->a * ITEMS_PER_LOT + st->b, st->n);
	snprintf(x->ilmd, sizeof(x->ilmd), LOT_NUMBER_FMT, st->a);
	s->ilmd_json = x->ilmd;
}

/* Packing: a case of items, or a pallet of cases. */
static void
make_pack(wb_stamp *s, struct scratch *x, const struct step *st)
{
	char *parent = x->ids[MAX_EPCS - 1];

	s->kind = WB_KIND_AGGREGATION;
	s->action = WB_ACTION_ADD;
	s->biz_step = "urn:epcglobal:cbv:bizstep:packing";
	if (st->kind == STEP_CASE) {
		set_items(s, x, (uint64_t)st->a * ITEMS_PER_CASE,
		          ITEMS_PER_CASE);
		case_id(parent, st->a);
	} else {
		set_epcs(s, x, case_id, st->a * CASES_PER_PALLET,
		         CASES_PER_PALLET);
		pallet_id(parent, st->a);
	}
	s->parent_id = parent;
}

/* A store's delivery: shipped from the factory to the retailer, received
 * at the store. */
static void
make_delivery(wb_stamp *s, struct scratch *x, const struct step *st)
{
	set_epcs(s, x, pallet_id, st->a * PALLETS_PER_STORE, PALLETS_PER_STORE);
	if (st->kind == STEP_SHIP) {
		s->biz_step = "urn:epcglobal:cbv:bizstep:shipping";
		s->disposition = "urn:epcglobal:cbv:disp:in_transit";
		x->dest = (wb_typed_value){
			"urn:epcglobal:cbv:sdt:possessing_party", RETAILER_PARTY
		};
		s->destinations = &x->dest;
		s->n_destinations = 1;
		return;
	}
	s->biz_step = "urn:epcglobal:cbv:bizstep:receiving";
	s->disposition = "urn:epcglobal:cbv:disp:in_progress";
	store_id(x->ids[MAX_EPCS - 1], st->a);
	x->loc.id = x->ids[MAX_EPCS - 1];
}

static void
make_recall(wb_stamp *s, struct scratch *x, const struct step *st)
{
	if (st->kind == STEP_RECALL) {
		ingredient_id(x->qids[0], st->a);
		x->ptrs[0] = x->qids[0];
		x->recall =
		        (wb_recall){ x->ptrs,
			             1,
			             "Salmonella found in a retained sample",
			             true,
			             WB_RECALL_CLASS_I,
			             "BENCH-RECALL" };
		s->kind = WB_KIND_RECALL;
		s->recall = &x->recall;
		return;
	}
	x->lift = (wb_lift){ st->ref, NULL, 0, "retained sample retested" };
	s->kind = WB_KIND_LIFT;
	s->lift = &x->lift;
}

/* Fills the stamp of one step; returns who signs it. */
static const wb_signer *
step_stamp(wb_stamp *s, struct scratch *x, const struct trace_bench *b,
           const struct step *st)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->ledger_id, wb_journal_ledger_id(b->j), WB_HASH_LEN);
	bench_event_uuid(x->event_id, b->salt, BENCH_UUID_TAG_TRACE, st->seq,
	                 -1);
	s->event_id = x->event_id;
	s->kind = WB_KIND_OBJECT;
	s->event_time.seconds = b->t0 + (int64_t)st->seq;
	s->event_tz_offset = "+01:00";
	s->has_action = true;
	s->action = WB_ACTION_OBSERVE;
	x->loc = (wb_location){ FACTORY, NULL };
	s->biz_location = &x->loc;
	switch (st->kind) {
	case STEP_INGREDIENT:
	case STEP_SHIP_IN:
		set_ingredients(s, x,
		                st->kind == STEP_INGREDIENT ? (int)st->a : -1);
		x->loc.id = SUPPLIER_SITE;
		if (st->kind == STEP_INGREDIENT) {
			s->action = WB_ACTION_ADD;
			s->biz_step = "urn:epcglobal:cbv:bizstep:commissioning";
			return b->supplier;
		}
		s->biz_step = "urn:epcglobal:cbv:bizstep:shipping";
		x->dest = (wb_typed_value){
			"urn:epcglobal:cbv:sdt:possessing_party", MAKER_PARTY
		};
		s->destinations = &x->dest;
		s->n_destinations = 1;
		return b->supplier;
	case STEP_RECEIVE_IN:
		set_ingredients(s, x, -1);
		s->biz_step = "urn:epcglobal:cbv:bizstep:receiving";
		return b->maker;
	case STEP_TRANSFORM:
		s->has_action = false;
		make_transform(s, x, st->a);
		return b->maker;
	case STEP_COMMISSION:
		make_commission(s, x, st);
		return b->maker;
	case STEP_CASE:
	case STEP_PALLET:
		make_pack(s, x, st);
		return b->maker;
	case STEP_SHIP:
	case STEP_RECEIVE:
		make_delivery(s, x, st);
		return st->kind == STEP_SHIP ? b->maker : b->retailer;
	case STEP_RECALL:
	case STEP_LIFT:
		s->has_action = false;
		s->biz_location = NULL;
		make_recall(s, x, st);
		return b->supplier;
	}
	return NULL;
}

static wb_err
step_sign(wb_submission *sub, struct scratch *x, const struct trace_bench *b,
          const struct step *st)
{
	wb_stamp s;
	const wb_signer *signer = step_stamp(&s, x, b, st);
	uint8_t *body = NULL;
	size_t len;
	wb_err rc;

	memset(sub, 0, sizeof(*sub));
	if ((rc = wb_stamp_encode(&body, &len, &s)) != WB_OK) {
		return rc;
	}
	sub->type = WB_ENTRY_STAMP;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(signer);
	if ((rc = wb_sig_sign(sub->signature, signer, WB_SIG_STAMP, body,
	                      len)) != WB_OK) {
		free(body);
		sub->body = NULL;
	}
	return rc;
}

struct sign_task {
	const struct trace_bench *b;
	const struct step *steps;
	wb_submission *subs;
	size_t from, to;
	wb_err rc;
};

static void *
sign_run(void *arg)
{
	struct sign_task *t = arg;
	struct scratch *x = malloc(sizeof(*x));

	t->rc = x == NULL ? WB_ENOMEM : WB_OK;
	for (size_t i = t->from; i < t->to && t->rc == WB_OK; i++) {
		t->rc = step_sign(&t->subs[i], x, t->b, &t->steps[i]);
	}
	free(x);
	return NULL;
}

static void
subs_free(wb_submission *subs, size_t n)
{
	for (size_t i = 0; subs != NULL && i < n; i++) {
		free((void *)(uintptr_t)subs[i].body);
	}
	free(subs);
}

/* Builds and signs the stamps of n steps on two threads. */
static int
sign_steps(wb_submission **out, const struct trace_bench *b,
           const struct step *steps, size_t n)
{
	struct sign_task t[2];
	wb_submission *subs = calloc(n ? n : 1, sizeof(*subs));
	pthread_t th;
	bool threaded;

	*out = NULL;
	if (subs == NULL) {
		return bench_fail("out of memory for %zu stamps", n);
	}
	for (int i = 0; i < 2; i++) {
		t[i] = (struct sign_task){ b,
			                   steps,
			                   subs,
			                   i == 0 ? 0 : n / 2,
			                   i == 0 ? n / 2 : n,
			                   WB_OK };
	}
	threaded = pthread_create(&th, NULL, sign_run, &t[0]) == 0;
	if (!threaded) {
		sign_run(&t[0]);
	}
	sign_run(&t[1]);
	if (threaded) {
		pthread_join(th, NULL);
	}
	if (t[0].rc != WB_OK || t[1].rc != WB_OK) {
		subs_free(subs, n);
		return bench_fail(
		        "building a stamp: %s",
		        wb_strerror(t[0].rc != WB_OK ? t[0].rc : t[1].rc));
	}
	*out = subs;
	return BENCH_OK;
}

/*
 * Appending: verification of batch k+1 on two threads while batch k is
 * appended, as the daemon's workers and writer overlap.
 */

struct vpart {
	wb_submission *subs;
	size_t n;
};

struct vjob {
	struct vpart part[2];
	pthread_t th[2];
	bool started[2];
};

static void *
verify_part(void *arg)
{
	struct vpart *p = arg;

	for (size_t i = 0; i < p->n; i++) {
		wb_submission_check(&p->subs[i]);
	}
	return NULL;
}

static void
verify_start(struct vjob *job, wb_submission *subs, size_t n)
{
	job->part[0] = (struct vpart){ subs, n / 2 };
	job->part[1] = (struct vpart){ subs + n / 2, n - n / 2 };
	for (int i = 0; i < 2; i++) {
		job->started[i] = pthread_create(&job->th[i], NULL, verify_part,
		                                 &job->part[i]) == 0;
		if (!job->started[i]) {
			verify_part(&job->part[i]);
		}
	}
}

static void
verify_wait(struct vjob *job)
{
	for (int i = 0; i < 2; i++) {
		if (job->started[i]) {
			pthread_join(job->th[i], NULL);
			job->started[i] = false;
		}
	}
}

/* Appends n stamps in one durable commit; each must land, in order, with
 * no custody gap (the graph has every act done by the custodian). */
static int
append_batch(struct trace_bench *b, wb_submission *subs, size_t n)
{
	uint64_t size = 0;
	wb_err rc = wb_journal_append(b->j, subs, n, b->results, NULL, &size);

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
			        "stamp %zu of a batch landed at index %llu, not %llu",
			        i, (unsigned long long)res->index,
			        (unsigned long long)(b->size + i));
		}
		if (res->custody_gap) {
			return bench_fail(
			        "stamp %llu was accepted with a custody gap: the graph is not the one intended",
			        (unsigned long long)res->index);
		}
	}
	b->size = size;
	b->stamps += n;
	return BENCH_OK;
}

static int
append_chunk(struct trace_bench *b, wb_submission *subs, size_t n,
             struct build_stats *st)
{
	size_t nb = (n + BATCH - 1) / BATCH;
	struct vjob jobs[2] = { 0 };
	double t0 = bench_now(), t;
	int rc = BENCH_OK;

	verify_start(&jobs[0], subs, n < BATCH ? n : BATCH);
	for (size_t k = 0; k < nb; k++) {
		size_t from = k * BATCH,
		       m = n - from < BATCH ? n - from : BATCH;

		t = bench_now();
		verify_wait(&jobs[k % 2]);
		st->wait_s += bench_now() - t;
		if (rc != BENCH_OK) {
			break;
		}
		if (k + 1 < nb) {
			size_t next = from + BATCH;

			verify_start(&jobs[(k + 1) % 2], subs + next,
			             n - next < BATCH ? n - next : BATCH);
		}
		t = bench_now();
		rc = append_batch(b, subs + from, m);
		st->append_s += bench_now() - t;
		if (rc == BENCH_OK && bench_interrupted()) {
			rc = bench_fail("interrupted");
		}
		if (rc != BENCH_OK && k + 1 < nb) {
			verify_wait(&jobs[(k + 1) % 2]);
			break;
		}
	}
	st->elapsed_s += bench_now() - t0;
	return rc;
}

/* Signs (untimed) and appends (timed) the steps of one stretch. */
static int
run_steps(struct trace_bench *b, const struct step *steps, size_t n,
          struct build_stats *st)
{
	wb_submission *subs = NULL;
	bench_cpu c0, c1;
	int rc;

	bench_cpu_sample(&c0);
	rc = sign_steps(&subs, b, steps, n);
	bench_cpu_sample(&c1);
	st->untimed_cpu += c1.self - c0.self;
	if (rc == BENCH_OK) {
		rc = append_chunk(b, subs, n, st);
	}
	subs_free(subs, n);
	return rc;
}

/*
 * Setup.
 */

static int
register_one(struct trace_bench *b, const wb_signer *who, const char *name,
             wb_role role, const char *prefix, const char *party,
             uint64_t *id_out)
{
	const wb_namespace ns = { WB_NS_GS1_COMPANY_PREFIX, prefix };
	wb_registry_change c = { 0 };
	wb_submission sub = { 0 };
	char change_id[64];
	uint8_t *body = NULL;
	wb_result res;
	size_t len;
	wb_err rc;

	snprintf(change_id, sizeof(change_id), "bench-register-%s", name);
	memcpy(c.ledger_id, wb_journal_ledger_id(b->j), WB_HASH_LEN);
	c.change_id = change_id;
	c.op = WB_REG_REGISTER;
	c.key = *wb_signer_pubkey(who);
	c.name = name;
	c.party_id = party;
	c.roles = &role;
	c.n_roles = 1;
	c.namespaces = &ns;
	c.n_namespaces = 1;
	if ((rc = wb_registry_change_encode(&body, &len, &c)) != WB_OK) {
		return bench_fail("encoding a registration: %s",
		                  wb_strerror(rc));
	}
	sub.type = WB_ENTRY_REGISTRY;
	sub.body = body;
	sub.body_len = len;
	sub.signer = *wb_signer_pubkey(b->admin);
	rc = wb_sig_sign(sub.signature, b->admin, WB_SIG_REGISTRY, body, len);
	if (rc == WB_OK) {
		rc = wb_journal_append(b->j, &sub, 1, &res, NULL, &b->size);
	}
	free(body);
	if (rc != WB_OK) {
		return bench_fail("registering %s: %s", name, wb_strerror(rc));
	}
	if (res.err != WB_OK) {
		return bench_fail("registering %s was refused: %s", name,
		                  res.problem.msg);
	}
	if (id_out != NULL) {
		*id_out = res.index;
	}
	return BENCH_OK;
}

static int
open_ledger(struct trace_bench *b)
{
	wb_journal_open_opts oo = { 0 };
	wb_hash salt;
	wb_err rc;
	int brc;

	if ((brc = bench_ledger_create(b->dir, ORIGIN, &b->log, &b->admin)) !=
	    BENCH_OK) {
		return brc;
	}
	if ((rc = wb_signer_generate(&b->supplier, "Supplier")) != WB_OK ||
	    (rc = wb_signer_generate(&b->maker, "Manufacturer")) != WB_OK ||
	    (rc = wb_signer_generate(&b->retailer, "Retailer")) != WB_OK) {
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
	wb_hash_sha256(&salt, wb_journal_ledger_id(b->j), WB_HASH_LEN);
	memcpy(b->salt, salt.b, sizeof(b->salt));
	/* One event a second, all in the past: at most two steps per item
	 * (one stamp per item, plus packing and deliveries), ending a day
	 * before now. */
	b->t0 = (int64_t)time(NULL) - 86400 - 2 * (int64_t)b->sh.items;
	if ((brc = register_one(b, b->supplier, "Supplier", WB_ROLE_BRAND_OWNER,
	                        "4000001", "urn:epc:id:pgln:4000001.00000",
	                        NULL)) != BENCH_OK ||
	    (brc = register_one(b, b->maker, "Manufacturer",
	                        WB_ROLE_BRAND_OWNER, "0614141", MAKER_PARTY,
	                        &b->maker_id)) != BENCH_OK) {
		return brc;
	}
	return register_one(b, b->retailer, "Retailer", WB_ROLE_RETAILER,
	                    "0012345", RETAILER_PARTY, &b->retailer_id);
}

/*
 * The build.
 */

static int
build(struct trace_bench *b, struct build_stats *st)
{
	struct step *steps =
	        calloc(CHUNK_STAMPS + LOT_STEPS_MAX, sizeof(*steps));
	double t_start = bench_now(), last_note = t_start;
	size_t n = 0;
	int rc = BENCH_OK;

	if (steps == NULL) {
		return bench_fail("out of memory");
	}
	/* The supplier's lots, shipped to the factory and received. */
	for (uint32_t i = 0; i < INGREDIENTS; i++) {
		steps[n++] = next_step(b, STEP_INGREDIENT, i);
	}
	steps[n++] = next_step(b, STEP_SHIP_IN, 0);
	steps[n++] = next_step(b, STEP_RECEIVE_IN, 0);
	for (uint32_t lot = 0; lot < b->sh.lots && rc == BENCH_OK; lot++) {
		n += lot_steps(b, lot, steps + n);
		if (n < CHUNK_STAMPS && lot + 1 < b->sh.lots) {
			continue;
		}
		rc = run_steps(b, steps, n, st);
		n = 0;
		if (rc == BENCH_OK && bench_now() - last_note >= 10) {
			last_note = bench_now();
			bench_note(
			        "build: %u/%u product lots, %llu stamps, %.0f stamps/s in the timed stretches (%.0f s so far)",
			        lot + 1, b->sh.lots,
			        (unsigned long long)b->stamps,
			        (double)b->stamps / st->elapsed_s,
			        last_note - t_start);
		}
	}
	free(steps);
	return rc;
}

/*
 * What the graph implies about a recall of one ingredient lot.
 */
struct expect {
	uint32_t ingredient;
	uint32_t *lots, *clean; /* product lots made from it, and not */
	size_t n_lots, n_clean;
	uint32_t *holding, *clear; /* pallets holding affected items, not */
	size_t n_holding, n_clear;
	uint64_t affected; /* the lot, the product lots, their items */
	uint64_t holders;  /* cases and pallets holding affected items */
	uint64_t *store_affected, *store_holding;
};

static void
expect_fini(struct expect *e)
{
	free(e->lots);
	free(e->clean);
	free(e->holding);
	free(e->clear);
	free(e->store_affected);
	free(e->store_holding);
	memset(e, 0, sizeof(*e));
}

/* Counts what a pallet holds of the recalled lots into its store's
 * counts; true when it holds any. */
static bool
expect_pallet(struct expect *e, uint32_t pallet)
{
	uint32_t store = pallet / PALLETS_PER_STORE;
	bool any = false;

	for (uint32_t c = pallet * CASES_PER_PALLET;
	     c < (pallet + 1) * CASES_PER_PALLET; c++) {
		if (lot_uses(c / CASES_PER_LOT, e->ingredient)) {
			any = true;
			e->store_affected[store] += ITEMS_PER_CASE;
			e->store_holding[store]++;
			e->holders++;
		}
	}
	if (any) {
		e->store_holding[store]++;
		e->holders++;
	}
	return any;
}

static int
expect_init(struct expect *e, const struct shape *sh, uint32_t ingredient)
{
	memset(e, 0, sizeof(*e));
	e->ingredient = ingredient;
	e->lots = calloc(sh->lots, sizeof(*e->lots));
	e->clean = calloc(sh->lots, sizeof(*e->clean));
	e->holding = calloc(sh->pallets, sizeof(*e->holding));
	e->clear = calloc(sh->pallets, sizeof(*e->clear));
	e->store_affected = calloc(sh->stores, sizeof(*e->store_affected));
	e->store_holding = calloc(sh->stores, sizeof(*e->store_holding));
	if (e->lots == NULL || e->clean == NULL || e->holding == NULL ||
	    e->clear == NULL || e->store_affected == NULL ||
	    e->store_holding == NULL) {
		expect_fini(e);
		return bench_fail("out of memory");
	}
	for (uint32_t lot = 0; lot < sh->lots; lot++) {
		if (lot_uses(lot, ingredient)) {
			e->lots[e->n_lots++] = lot;
		} else {
			e->clean[e->n_clean++] = lot;
		}
	}
	e->affected = 1 + e->n_lots + (uint64_t)e->n_lots * ITEMS_PER_LOT;
	for (uint32_t k = 0; k < sh->pallets; k++) {
		if (expect_pallet(e, k)) {
			e->holding[e->n_holding++] = k;
		} else {
			e->clear[e->n_clear++] = k;
		}
	}
	if (e->n_lots == 0 || e->n_clean == 0 || e->n_holding == 0) {
		expect_fini(e);
		return bench_fail("the graph has no affected or no clean lot");
	}
	return BENCH_OK;
}

static uint64_t
random_item_of(struct trace_bench *b, const uint32_t *lots, size_t n)
{
	uint64_t lot = lots[rng_below(&b->rng, n)];

	return lot * ITEMS_PER_LOT + rng_below(&b->rng, ITEMS_PER_LOT);
}

/*
 * Checked queries.
 */

/* Minor page faults so far: the first read of a ledger page by this
 * process maps it, which costs more here than the lookup itself. */
static long
minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static const char *
state_name(wb_recall_state s)
{
	return s == WB_RECALL_AFFECTED  ? "AFFECTED"
	       : s == WB_RECALL_HOLDING ? "HOLDING"
	                                : "CLEAR";
}

/* RecallStatus of one twin, timed (us may be NULL), which must be `want`
 * and, unless clear, name recall `recall`. */
static int
status_check(struct trace_bench *b, const char *id, wb_recall_state want,
             uint64_t recall, double *us)
{
	wb_recall_status *s = NULL;
	wb_problem p = { 0 };
	double t = bench_now();
	wb_err rc = wb_recall_status_get(&s, b->j, id, &p);
	int brc = BENCH_OK;

	if (us != NULL) {
		*us = (bench_now() - t) * 1e6;
	}
	if (rc != WB_OK) {
		return bench_fail("RecallStatus of %s: %s %s", id,
		                  wb_strerror(rc), p.msg);
	}
	if (s->state != want) {
		brc = bench_fail("RecallStatus of %s is %s, not %s", id,
		                 state_name(s->state), state_name(want));
	} else if (want != WB_RECALL_CLEAR &&
	           (s->n_hits != 1 || s->hits[0].recall_index != recall)) {
		brc = bench_fail(
		        "RecallStatus of %s has %zu hits, not one of recall %llu",
		        id, s->n_hits, (unsigned long long)recall);
	}
	wb_recall_status_free(s);
	return brc;
}

/* Appends one stamp (a recall or a lift) on its own, durably, timed from
 * the call to the return of wb_journal_append, which verifies it too. */
static int
append_one(struct trace_bench *b, const struct step *st, double *ms,
           uint64_t *index)
{
	struct scratch *x = malloc(sizeof(*x));
	wb_submission sub;
	wb_result res;
	uint64_t size = 0;
	double t;
	wb_err rc;

	if (x == NULL) {
		return bench_fail("out of memory");
	}
	rc = step_sign(&sub, x, b, st);
	free(x);
	if (rc != WB_OK) {
		return bench_fail("building a stamp: %s", wb_strerror(rc));
	}
	t = bench_now();
	rc = wb_journal_append(b->j, &sub, 1, &res, NULL, &size);
	*ms = (bench_now() - t) * 1e3;
	free((void *)(uintptr_t)sub.body);
	if (rc != WB_OK || res.err != WB_OK) {
		return bench_fail("%s refused: %s %s",
		                  st->kind == STEP_RECALL ? "a recall"
		                                          : "a lift",
		                  wb_strerror(rc != WB_OK ? rc : res.err),
		                  res.problem.msg);
	}
	b->size = size;
	b->stamps++;
	*index = res.index;
	return BENCH_OK;
}

/* An item of the first product lot made from `ingredient`. */
static void
witness_item(char *out, uint32_t ingredient)
{
	uint32_t lot = 0;

	while (!lot_uses(lot, ingredient)) {
		lot++;
	}
	item_id(out, (uint64_t)lot * ITEMS_PER_LOT + ITEMS_PER_LOT / 2);
}

/*
 * Recalls of RECALL_ROUNDS ingredient lots: each but the last lifted
 * again, the last (MAIN_INGREDIENT) left active for the queries. An item
 * made from each must turn AFFECTED with the recall, CLEAR with the lift.
 */
static int
measure_recalls(struct trace_bench *b, bench_report *r, uint64_t *main_recall)
{
	double rec_ms[RECALL_ROUNDS], lift_ms[RECALL_ROUNDS], ms;
	char id[ID_LEN];
	size_t n_lift = 0;
	int rc = BENCH_OK;

	for (int k = 0; k < RECALL_ROUNDS && rc == BENCH_OK; k++) {
		bool last = k == RECALL_ROUNDS - 1;
		uint32_t ing =
		        (MAIN_INGREDIENT + (last ? 0 : (uint32_t)k + 1)) %
		        INGREDIENTS;
		struct step st = next_step(b, STEP_RECALL, ing);
		uint64_t recall = 0, lift = 0;

		witness_item(id, ing);
		if ((rc = append_one(b, &st, &rec_ms[k], &recall)) !=
		            BENCH_OK ||
		    (rc = status_check(b, id, WB_RECALL_AFFECTED, recall,
		                       NULL)) != BENCH_OK) {
			break;
		}
		if (last) {
			*main_recall = recall;
			break;
		}
		st = next_step(b, STEP_LIFT, 0);
		st.ref = recall;
		if ((rc = append_one(b, &st, &ms, &lift)) == BENCH_OK) {
			lift_ms[n_lift++] = ms;
			rc = status_check(b, id, WB_RECALL_CLEAR, 0, NULL);
		}
	}
	if (rc != BENCH_OK) {
		return rc;
	}
	bench_note("recall appends (ms): %.2f %.2f %.2f %.2f %.2f", rec_ms[0],
	           rec_ms[1], rec_ms[2], rec_ms[3], rec_ms[4]);
	bench_add(r, "recall_append_median_ms",
	          "recall append (durable, 1 stamp), median of 5", "ms", 2,
	          bench_quantile(rec_ms, RECALL_ROUNDS, 0.5));
	bench_add(r, "recall_append_max_ms", "recall append, slowest of 5",
	          "ms", 2, bench_quantile(rec_ms, RECALL_ROUNDS, 1.0));
	bench_add(r, "lift_append_median_ms", "lift append, median of 4", "ms",
	          2, bench_quantile(lift_ms, n_lift, 0.5));
	return BENCH_OK;
}

/* The groups of an impact: each store's retailer group holds what the
 * store's pallets hold; the factory's holds the lots themselves. */
static int
check_groups(const struct trace_bench *b, const struct expect *e,
             const wb_recall_impact *im)
{
	uint64_t sum_a = 0, sum_h = 0;
	char store[ID_LEN];

	for (size_t i = 0; i < im->n_groups; i++) {
		const wb_impact_group *g = &im->groups[i];
		uint64_t want_a = 0, want_h = 0;
		uint32_t s = 0;
		bool known = false;

		if (g->custodian == b->maker_id &&
		    strcmp(g->location, FACTORY) == 0) {
			want_a = 1 + e->n_lots;
			known = true;
		} else if (g->custodian == b->retailer_id &&
		           sscanf(g->location, "urn:epc:id:sgln:0012345.%5u",
		                  &s) == 1 &&
		           s >= 1 && s <= b->sh.stores) {
			store_id(store, s - 1);
			known = strcmp(store, g->location) == 0;
			want_a = e->store_affected[s - 1];
			want_h = e->store_holding[s - 1];
		}
		if (!known || g->affected != want_a || g->holding != want_h) {
			return bench_fail(
			        "RecallImpact group (%s, %s): %zu affected, %zu holding; the graph implies %llu and %llu",
			        g->custodian_name, g->location, g->affected,
			        g->holding, (unsigned long long)want_a,
			        (unsigned long long)want_h);
		}
		sum_a += g->affected;
		sum_h += g->holding;
	}
	if (sum_a != im->n_affected || sum_h != im->n_holding) {
		return bench_fail(
		        "RecallImpact groups add up to %llu affected and %llu holding, not %zu and %zu",
		        (unsigned long long)sum_a, (unsigned long long)sum_h,
		        im->n_affected, im->n_holding);
	}
	return BENCH_OK;
}

static int
check_impact(const struct trace_bench *b, const struct expect *e,
             const wb_recall_impact *im)
{
	uint64_t total = e->affected + e->holders;

	if (!im->active || im->n_affected != e->affected ||
	    im->n_holding != e->holders) {
		return bench_fail(
		        "RecallImpact: %s, %zu affected, %zu holding; the graph implies active, %llu and %llu",
		        im->active ? "active" : "inactive", im->n_affected,
		        im->n_holding, (unsigned long long)e->affected,
		        (unsigned long long)e->holders);
	}
	if (im->n_twins != (total < IMPACT_PAGE ? total : IMPACT_PAGE) ||
	    im->next != (total > IMPACT_PAGE ? IMPACT_PAGE : 0)) {
		return bench_fail("RecallImpact: a page of %zu twins, next %zu",
		                  im->n_twins, im->next);
	}
	return check_groups(b, e, im);
}

static int
measure_impact(struct trace_bench *b, bench_report *r, const struct expect *e,
               uint64_t recall)
{
	double ms[IMPACT_RUNS];
	long faults = minor_faults();
	size_t groups = 0;

	for (int k = 0; k < IMPACT_RUNS; k++) {
		wb_recall_impact *im = NULL;
		wb_problem p = { 0 };
		double t = bench_now();
		wb_err rc = wb_recall_impact_get(&im, b->j, recall, 0,
		                                 IMPACT_PAGE, &p);
		int brc;

		ms[k] = (bench_now() - t) * 1e3;
		if (rc != WB_OK) {
			return bench_fail("RecallImpact: %s %s",
			                  wb_strerror(rc), p.msg);
		}
		brc = check_impact(b, e, im);
		groups = im->n_groups;
		wb_recall_impact_free(im);
		if (brc != BENCH_OK) {
			return brc;
		}
	}
	bench_note(
	        "RecallImpact runs (ms): %.1f %.1f %.1f; %ld minor page faults",
	        ms[0], ms[1], ms[2], minor_faults() - faults);
	/* The first run is also the first read of most of the ledger's
	 * pages by this process, as a recall's first impact query is after
	 * an ingest (the writer does not map what it writes). */
	bench_add(r, "impact_first_ms", "RecallImpact, first run", "ms", 1,
	          ms[0]);
	bench_add(r, "impact_ms", "RecallImpact, whole recall, median of 3",
	          "ms", 1, bench_quantile(ms, IMPACT_RUNS, 0.5));
	bench_add(r, "impact_affected", "RecallImpact: twins affected", "", 0,
	          (double)e->affected);
	bench_add(r, "impact_holding", "RecallImpact: containers holding them",
	          "", 0, (double)e->holders);
	bench_add(r, "impact_groups", "RecallImpact: groups (custodian, place)",
	          "", 0, (double)groups);
	return BENCH_OK;
}

static void
add_quantiles(bench_report *r, const char *median_name,
              const char *median_label, const char *p99_name,
              const char *p99_label, double *us, size_t n)
{
	bench_add(r, median_name, median_label, "us", 1,
	          bench_quantile(us, n, 0.5));
	bench_add(r, p99_name, p99_label, "us", 1, bench_quantile(us, n, 0.99));
}

/* RecallStatus of random items of the given lots, each checked. */
static int
time_item_status(struct trace_bench *b, const uint32_t *lots, size_t n_lots,
                 wb_recall_state want, uint64_t recall, double *us,
                 size_t samples)
{
	long faults = minor_faults();
	char id[ID_LEN];
	int rc = BENCH_OK;

	for (size_t i = 0; i < samples && rc == BENCH_OK; i++) {
		item_id(id, random_item_of(b, lots, n_lots));
		rc = status_check(b, id, want, recall, &us[i]);
	}
	bench_note("RecallStatus, %s items: %zu lookups, %ld minor page faults",
	           want == WB_RECALL_CLEAR ? "clear" : "affected", samples,
	           minor_faults() - faults);
	return rc;
}

/* Holding pallets timed; clean pallets and cases of affected lots only
 * checked. */
static int
time_container_status(struct trace_bench *b, const struct expect *e,
                      uint64_t recall, double *us, size_t *n_out)
{
	size_t n =
	        e->n_holding < PALLET_SAMPLES ? e->n_holding : PALLET_SAMPLES;
	char id[ID_LEN];
	int rc = BENCH_OK;

	for (size_t i = 0; i < n && rc == BENCH_OK; i++) {
		pallet_id(id, e->holding[rng_below(&b->rng, e->n_holding)]);
		rc = status_check(b, id, WB_RECALL_HOLDING, recall, &us[i]);
	}
	for (size_t i = 0; i < SPOT_CHECKS && rc == BENCH_OK; i++) {
		uint64_t item = random_item_of(b, e->lots, e->n_lots);

		case_id(id, (uint32_t)(item / ITEMS_PER_CASE));
		rc = status_check(b, id, WB_RECALL_HOLDING, recall, NULL);
		if (rc == BENCH_OK && e->n_clear > 0) {
			pallet_id(id, e->clear[rng_below(&b->rng, e->n_clear)]);
			rc = status_check(b, id, WB_RECALL_CLEAR, 0, NULL);
		}
	}
	*n_out = n;
	return rc;
}

static int
measure_status(struct trace_bench *b, bench_report *r, const struct expect *e,
               uint64_t recall, double *us, size_t samples)
{
	size_t n_pallets = 0;
	int rc;

	if ((rc = time_item_status(b, e->lots, e->n_lots, WB_RECALL_AFFECTED,
	                           recall, us, samples)) != BENCH_OK) {
		return rc;
	}
	add_quantiles(r, "status_affected_median_us",
	              "RecallStatus, item of an affected lot, median",
	              "status_affected_p99_us",
	              "RecallStatus, item of an affected lot, p99", us,
	              samples);
	if ((rc = time_item_status(b, e->clean, e->n_clean, WB_RECALL_CLEAR, 0,
	                           us, samples)) != BENCH_OK) {
		return rc;
	}
	add_quantiles(r, "status_clear_median_us",
	              "RecallStatus, item of a clean lot, median",
	              "status_clear_p99_us",
	              "RecallStatus, item of a clean lot, p99", us, samples);
	if ((rc = time_container_status(b, e, recall, us, &n_pallets)) !=
	    BENCH_OK) {
		return rc;
	}
	add_quantiles(r, "status_pallet_median_us",
	              "RecallStatus, pallet holding affected items, median",
	              "status_pallet_p99_us",
	              "RecallStatus, pallet holding affected items, p99", us,
	              n_pallets);
	return BENCH_OK;
}

/* A passport must say who holds the item (the retailer), where (its
 * store), who made it, and its recall status. */
static int
check_passport(const struct trace_bench *b, const struct expect *e,
               uint64_t item, const wb_passport *pp)
{
	bool affected =
	        lot_uses((uint32_t)(item / ITEMS_PER_LOT), e->ingredient);
	char store[ID_LEN];

	store_id(store, (uint32_t)(item / ITEMS_PER_STORE));
	if (pp->custodian != b->retailer_id ||
	    strcmp(pp->location, store) != 0 ||
	    pp->commissioner != b->maker_id || pp->recalls == NULL ||
	    pp->recalls->state !=
	            (affected ? WB_RECALL_AFFECTED : WB_RECALL_CLEAR)) {
		return bench_fail(
		        "the passport of %s says custodian %llu at %s, made by %llu, %s; the graph implies %llu at %s, made by %llu, %s",
		        pp->id, (unsigned long long)pp->custodian, pp->location,
		        (unsigned long long)pp->commissioner,
		        pp->recalls ? state_name(pp->recalls->state) : "none",
		        (unsigned long long)b->retailer_id, store,
		        (unsigned long long)b->maker_id,
		        affected ? "AFFECTED" : "CLEAR");
	}
	return BENCH_OK;
}

static int
measure_passports(struct trace_bench *b, bench_report *r,
                  const struct expect *e, double *us, size_t samples)
{
	long faults = minor_faults();
	char id[ID_LEN];

	for (size_t i = 0; i < samples; i++) {
		uint64_t item = rng_below(&b->rng, b->sh.items);
		wb_passport *pp = NULL;
		wb_problem p = { 0 };
		double t;
		wb_err rc;
		int brc;

		item_id(id, item);
		t = bench_now();
		rc = wb_passport_get(&pp, b->j, id, &p);
		us[i] = (bench_now() - t) * 1e6;
		if (rc != WB_OK) {
			return bench_fail("Passport of %s: %s %s", id,
			                  wb_strerror(rc), p.msg);
		}
		brc = check_passport(b, e, item, pp);
		wb_passport_free(pp);
		if (brc != BENCH_OK) {
			return brc;
		}
	}
	bench_note("Passport: %zu lookups, %ld minor page faults", samples,
	           minor_faults() - faults);
	add_quantiles(r, "passport_median_us", "Passport, random item, median",
	              "passport_p99_us", "Passport, random item, p99", us,
	              samples);
	return BENCH_OK;
}

/* Trace up from an item: its lot and the lot's ingredient lots. */
static int
measure_traces(struct trace_bench *b, bench_report *r, double *us,
               size_t samples)
{
	const wb_trace_opts o = { 0 };
	long faults = minor_faults();
	char id[ID_LEN];

	for (size_t i = 0; i < samples; i++) {
		wb_trace *tr = NULL;
		wb_problem p = { 0 };
		double t;
		wb_err rc;
		bool ok;

		item_id(id, rng_below(&b->rng, b->sh.items));
		t = bench_now();
		rc = wb_trace_twin(&tr, b->j, id, &o, &p);
		us[i] = (bench_now() - t) * 1e6;
		if (rc != WB_OK) {
			return bench_fail("Trace of %s: %s %s", id,
			                  wb_strerror(rc), p.msg);
		}
		ok = tr->n_nodes == 2 + INPUTS_PER_LOT &&
		     tr->n_edges == 1 + INPUTS_PER_LOT && !tr->truncated;
		wb_trace_free(tr);
		if (!ok) {
			return bench_fail(
			        "Trace up from %s is not the item, its lot and %d ingredient lots",
			        id, INPUTS_PER_LOT);
		}
	}
	bench_note("Trace: %zu traces, %ld minor page faults", samples,
	           minor_faults() - faults);
	add_quantiles(r, "trace_up_median_us", "Trace up from an item, median",
	              "trace_up_p99_us", "Trace up from an item, p99", us,
	              samples);
	return BENCH_OK;
}

/* The reads, each phase with a note of the CPU it used. */
static int
measure_reads(struct trace_bench *b, bench_report *r, const struct expect *e,
              uint64_t recall)
{
	size_t samples = b->sh.items >= 100000 ? 10000 : 1000;
	double *us = calloc(samples, sizeof(*us));
	bench_cpu c0, c1;
	int rc;

	if (us == NULL) {
		return bench_fail("out of memory");
	}
	bench_note("RecallImpact: %d runs", IMPACT_RUNS);
	bench_cpu_sample(&c0);
	if ((rc = measure_impact(b, r, e, recall)) != BENCH_OK) {
		goto out;
	}
	bench_cpu_sample(&c1);
	bench_cpu_note("RecallImpact", &c0, &c1);
	bench_note("RecallStatus: %zu affected items, %zu clear, pallets",
	           samples, samples);
	bench_cpu_sample(&c0);
	if ((rc = measure_status(b, r, e, recall, us, samples)) != BENCH_OK) {
		goto out;
	}
	bench_cpu_sample(&c1);
	bench_cpu_note("RecallStatus", &c0, &c1);
	bench_cpu_sample(&c0);
	if ((rc = measure_passports(b, r, e, us, samples)) != BENCH_OK ||
	    (rc = measure_traces(b, r, us, samples)) != BENCH_OK) {
		goto out;
	}
	bench_cpu_sample(&c1);
	bench_cpu_note("Passport and Trace", &c0, &c1);
out:
	free(us);
	return rc;
}

static int
measure_build(struct trace_bench *b, bench_report *r)
{
	struct build_stats st = { 0 };
	bench_cpu c0, c1;
	int rc;

	bench_note(
	        "build: %llu items in %u product lots, %u cases, %u pallets, %u stores; %u items per commissioning stamp",
	        (unsigned long long)b->sh.items, b->sh.lots, b->sh.cases,
	        b->sh.pallets, b->sh.stores, b->sh.per_stamp);
	bench_cpu_sample(&c0);
	if ((rc = build(b, &st)) != BENCH_OK) {
		return rc;
	}
	bench_cpu_sample(&c1);
	bench_note(
	        "build: %llu stamps in %.1f s; in wb_journal_append %.1f s (%.1f us/stamp), waiting for verifiers %.1f s",
	        (unsigned long long)b->stamps, st.elapsed_s, st.append_s,
	        st.append_s * 1e6 / (double)b->stamps, st.wait_s);
	bench_cpu_note("build (with the untimed signing between stretches)",
	               &c0, &c1);
	bench_note("build: signing (untimed) used %.1f CPU-s", st.untimed_cpu);
	bench_add(r, "items", "items", "", 0, (double)b->sh.items);
	bench_add(r, "items_per_stamp", "items per commissioning stamp", "", 0,
	          (double)b->sh.per_stamp);
	bench_add(r, "stamps", "stamps in the build", "", 0, (double)b->stamps);
	bench_add(r, "build_s", "build: verify + append, timed stretches", "s",
	          1, st.elapsed_s);
	bench_add(r, "build_stamps_per_s", "build: stamps/s", "/s", 0,
	          (double)b->stamps / st.elapsed_s);
	return BENCH_OK;
}

static int
measure(struct trace_bench *b, bench_report *r)
{
	struct expect e;
	uint64_t recall = 0;
	int rc;

	if ((rc = measure_build(b, r)) != BENCH_OK ||
	    (rc = expect_init(&e, &b->sh, MAIN_INGREDIENT)) != BENCH_OK) {
		return rc;
	}
	bench_note(
	        "the recalled lot went into %zu of %u product lots, %llu items",
	        e.n_lots, b->sh.lots,
	        (unsigned long long)e.n_lots * ITEMS_PER_LOT);
	bench_add(r, "lots_affected", "product lots made from the recalled lot",
	          "", 0, (double)e.n_lots);
	bench_add(r, "items_affected", "items made from the recalled lot", "",
	          0, (double)e.n_lots * ITEMS_PER_LOT);
	bench_note("recalls: %d appended, %d of them lifted", RECALL_ROUNDS,
	           RECALL_ROUNDS - 1);
	if ((rc = measure_recalls(b, r, &recall)) == BENCH_OK) {
		rc = measure_reads(b, r, &e, recall);
	}
	expect_fini(&e);
	return rc;
}

static int
measure_disk(struct trace_bench *b, bench_report *r)
{
	struct rusage ru;
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/data.mdb", b->dir);
	if (stat(path, &st) != 0) {
		return bench_fail("stat %s: %s", path, strerror(errno));
	}
	bench_add(r, "data_mdb_bytes", "data.mdb (blocks)", "B", 0,
	          (double)st.st_blocks * 512);
	bench_add(r, "bytes_per_stamp", "data.mdb per stamp", "B", 1,
	          (double)st.st_blocks * 512 / (double)b->stamps);
	bench_add(r, "bytes_per_item", "data.mdb per item", "B", 1,
	          (double)st.st_blocks * 512 / (double)b->sh.items);
	/* ru_maxrss is in KiB on Linux; it counts the ledger's pages mapped
	 * and touched, not only the heap. */
	getrusage(RUSAGE_SELF, &ru);
	bench_add(r, "peak_rss_bytes", "peak RSS (ru_maxrss)", "B", 0,
	          (double)ru.ru_maxrss * 1024);
	return BENCH_OK;
}

int
bench_trace(const bench_opts *o, bench_report *r)
{
	struct trace_bench b = { .rng = 0x9e3779b97f4a7c15ull };
	int rc;

	shape_init(&b.sh, o->items, o->items_per_stamp);
	if ((b.dir = bench_scratch_dir(o)) == NULL) {
		return BENCH_ERROR;
	}
	bench_note("scratch ledger in %s", b.dir);
	if ((b.results = calloc(BATCH, sizeof(*b.results))) == NULL) {
		rc = bench_fail("out of memory");
		goto out;
	}
	if ((rc = open_ledger(&b)) != BENCH_OK ||
	    (rc = measure(&b, r)) != BENCH_OK) {
		goto out;
	}
	/* Every commit is durable already; closing settles the file. */
	wb_journal_close(b.j);
	b.j = NULL;
	rc = measure_disk(&b, r);
out:
	wb_journal_close(b.j);
	wb_signer_free(b.retailer);
	wb_signer_free(b.maker);
	wb_signer_free(b.supplier);
	wb_signer_free(b.admin);
	wb_signer_free(b.log);
	free(b.results);
	if (o->keep) {
		bench_note("ledger kept in %s", b.dir);
		free(b.dir);
	} else {
		bench_scratch_remove(b.dir);
	}
	return rc;
}
