/* SPDX-License-Identifier: MIT */
/*
 * bench_stamps.c - what the modes of waybill-bench sign and verify: one
 * shape of stamp, built and signed ahead of the timed runs (signing is the
 * senders' work, not the ledger's), the registration of its signer, and
 * the raw Ed25519 verify rate the ingest figures are compared with.
 *
 * Every stamp has the same shape: an EPCIS ObjectEvent, ADD with bizStep
 * commissioning, of one new SGTIN under company prefix 0614141, signed by
 * the stakeholder that owns that prefix (so the namespace rule runs), with
 * read point and business location, a disposition, a purchase order and two
 * waybill attributes. Inspections of the "hot" twin (OBSERVE, inspecting)
 * give one twin a long history. Event IDs are random UUIDs (version 4), as
 * most EPCIS senders make them, so the event-ID index takes scattered keys
 * as it would in use; ordered IDs are time-ordered (version 7) instead.
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
bench_stampgen_init(bench_stampgen *g, const uint8_t *ledger_id,
                    const wb_signer *owner, uint64_t serials, bool ordered_ids)
{
	wb_hash salt;

	memset(g, 0, sizeof(*g));
	memcpy(g->ledger_id, ledger_id, WB_HASH_LEN);
	/* The salt only needs to differ between runs. */
	wb_hash_sha256(&salt, g->ledger_id, WB_HASH_LEN);
	memcpy(g->salt, salt.b, sizeof(g->salt));
	g->t0 = (int64_t)time(NULL) - 86400 - (int64_t)(serials / 20);
	g->owner = owner;
	g->hot_serial = 1; /* the first twin commissioned */
	g->ordered_ids = ordered_ids;
}

void
bench_event_uuid(char out[46], const uint8_t salt[8], uint8_t tag, uint64_t n,
                 int64_t v7_ms)
{
	uint8_t in[17];
	wb_hash h;
	char hex[33];

	memcpy(in, salt, 8);
	in[8] = tag;
	for (int i = 0; i < 8; i++) {
		in[9 + i] = (uint8_t)(n >> (56 - 8 * i));
	}
	wb_hash_sha256(&h, in, sizeof(in));
	if (v7_ms >= 0) {
		for (int i = 0; i < 6; i++) {
			h.b[i] = (uint8_t)((uint64_t)v7_ms >> (40 - 8 * i));
		}
		h.b[6] = (uint8_t)((h.b[6] & 0x0f) | 0x70);
	} else {
		h.b[6] = (uint8_t)((h.b[6] & 0x0f) | 0x40);
	}
	h.b[8] = (uint8_t)((h.b[8] & 0x3f) | 0x80);
	wb_hex_encode(hex, h.b, 16);
	snprintf(out, 46, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	         hex + 12, hex + 16, hex + 20);
}

wb_err
bench_stamp_make(wb_submission *sub, const bench_stampgen *g,
                 const bench_stamp_spec *sp)
{
	char event_id[46], epc[64], po[80], price[32];
	const char *epcs[1] = { epc };
	const wb_location read_point = { "urn:epc:id:sgln:0614141.00777.0",
		                         NULL };
	const wb_location biz_location = { "urn:epc:id:sgln:0614141.00888.0",
		                           NULL };
	const wb_typed_value bt = { "urn:epcglobal:cbv:btt:po", po };
	const wb_attribute attrs[2] = {
		{ "waybill:price", price, NULL },
		{ "waybill:discount", "0.10", NULL },
	};
	uint64_t serial = sp->inspect ? g->hot_serial : sp->n;
	wb_stamp s = { 0 };
	uint8_t *body = NULL;
	size_t len;
	int64_t ms;
	wb_err rc;

	/* Twenty commissionings a second, inspections of the hot twin a
	 * minute apart after the first hour; all in the past. */
	ms = 1000 * g->t0 + (sp->inspect ? 1000 * (3600 + 60 * (int64_t)sp->n)
	                                 : 50 * (int64_t)sp->n);
	/* Version 7 (time-ordered) IDs when asked, else version 4. */
	bench_event_uuid(event_id, g->salt, sp->inspect, sp->n,
	                 g->ordered_ids ? ms : -1);
	snprintf(epc, sizeof(epc), BENCH_EPC_PREFIX "%llu",
	         (unsigned long long)serial);
	snprintf(po, sizeof(po), "urn:epcglobal:cbv:bt:0614141000005:PO-%llu",
	         (unsigned long long)(100000 + sp->n / 1000));
	snprintf(price, sizeof(price), "EUR %llu.%02llu",
	         (unsigned long long)(10 + sp->n % 90),
	         (unsigned long long)(sp->n % 100));
	memcpy(s.ledger_id, g->ledger_id, WB_HASH_LEN);
	s.event_id = event_id;
	s.kind = WB_KIND_OBJECT;
	s.event_time.seconds = ms / 1000;
	s.event_tz_offset = "+01:00";
	s.has_action = true;
	s.epcs = epcs;
	s.n_epcs = 1;
	s.read_point = &read_point;
	s.biz_location = &biz_location;
	if (sp->inspect) {
		s.action = WB_ACTION_OBSERVE;
		s.biz_step = "urn:epcglobal:cbv:bizstep:inspecting";
		s.disposition = "urn:epcglobal:cbv:disp:in_progress";
	} else {
		s.action = WB_ACTION_ADD;
		s.biz_step = "urn:epcglobal:cbv:bizstep:commissioning";
		s.disposition = "urn:epcglobal:cbv:disp:active";
	}
	s.biz_transactions = &bt;
	s.n_biz_transactions = 1;
	s.attributes = attrs;
	s.n_attributes = 2;
	if ((rc = wb_stamp_encode(&body, &len, &s)) != WB_OK) {
		return rc;
	}
	memset(sub, 0, sizeof(*sub));
	sub->type = WB_ENTRY_STAMP;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(g->owner);
	if ((rc = wb_sig_sign(sub->signature, g->owner, WB_SIG_STAMP, body,
	                      len)) != WB_OK) {
		free(body);
		sub->body = NULL;
	}
	return rc;
}

void
bench_stamps_free(wb_submission *subs, size_t n)
{
	if (subs == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		free((void *)(uintptr_t)subs[i].body);
	}
	free(subs);
}

struct gen_task {
	const bench_stampgen *g;
	const bench_stamp_spec *specs;
	wb_submission *subs;
	size_t from, to;
	wb_err rc;
};

static void *
gen_run(void *arg)
{
	struct gen_task *t = arg;

	t->rc = WB_OK;
	for (size_t i = t->from; i < t->to && t->rc == WB_OK; i++) {
		t->rc = bench_stamp_make(&t->subs[i], t->g, &t->specs[i]);
	}
	return NULL;
}

int
bench_stamps_generate(wb_submission **out, const bench_stampgen *g,
                      const bench_stamp_spec *specs, size_t n)
{
	struct gen_task t[2];
	pthread_t th;
	wb_submission *subs = calloc(n ? n : 1, sizeof(*subs));
	bool threaded;

	*out = NULL;
	if (subs == NULL) {
		return bench_fail("out of memory for %zu stamps", n);
	}
	for (int i = 0; i < 2; i++) {
		t[i].g = g;
		t[i].specs = specs;
		t[i].subs = subs;
		t[i].from = i == 0 ? 0 : n / 2;
		t[i].to = i == 0 ? n / 2 : n;
	}
	threaded = pthread_create(&th, NULL, gen_run, &t[0]) == 0;
	if (!threaded) {
		gen_run(&t[0]);
	}
	gen_run(&t[1]);
	if (threaded) {
		pthread_join(th, NULL);
	}
	if (t[0].rc != WB_OK || t[1].rc != WB_OK) {
		bench_stamps_free(subs, n);
		return bench_fail(
		        "building a stamp: %s",
		        wb_strerror(t[0].rc != WB_OK ? t[0].rc : t[1].rc));
	}
	*out = subs;
	return BENCH_OK;
}

int
bench_owner_registration(wb_submission *sub, const uint8_t *ledger_id,
                         const wb_signer *admin, const wb_signer *owner,
                         const char *name)
{
	wb_registry_change c = { 0 };
	const wb_namespace ns = { WB_NS_GS1_COMPANY_PREFIX,
		                  BENCH_OWNER_PREFIX };
	const wb_role role = WB_ROLE_BRAND_OWNER;
	uint8_t *body = NULL;
	size_t len;
	wb_err rc;

	memset(sub, 0, sizeof(*sub));
	memcpy(c.ledger_id, ledger_id, WB_HASH_LEN);
	c.change_id = "bench-register-owner";
	c.op = WB_REG_REGISTER;
	c.key = *wb_signer_pubkey(owner);
	c.name = name;
	c.roles = &role;
	c.n_roles = 1;
	c.namespaces = &ns;
	c.n_namespaces = 1;
	if ((rc = wb_registry_change_encode(&body, &len, &c)) != WB_OK) {
		return bench_fail("encoding the registration: %s",
		                  wb_strerror(rc));
	}
	sub->type = WB_ENTRY_REGISTRY;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(admin);
	if ((rc = wb_sig_sign(sub->signature, admin, WB_SIG_REGISTRY, body,
	                      len)) != WB_OK) {
		free(body);
		sub->body = NULL;
		return bench_fail("signing the registration: %s",
		                  wb_strerror(rc));
	}
	return BENCH_OK;
}

/*
 * Raw verification.
 */

struct verify_task {
	const wb_submission *set;
	size_t n_set;
	size_t offset;
	double seconds;
	pthread_barrier_t *start;
	uint64_t count;
	double elapsed;
	bool bad;
};

static void *
verify_run(void *arg)
{
	struct verify_task *t = arg;
	uint64_t count = 0;
	double t0, now;

	pthread_barrier_wait(t->start);
	t0 = bench_now();
	do {
		/* Check the clock every 64 verifications (~3 ms). */
		for (int k = 0; k < 64; k++) {
			const wb_submission *s =
			        &t->set[(t->offset + count) % t->n_set];

			if (wb_sig_verify(&s->signer, WB_SIG_STAMP, s->body,
			                  s->body_len, s->signature) != WB_OK) {
				t->bad = true;
			}
			count++;
		}
		now = bench_now();
	} while (now - t0 < t->seconds);
	t->count = count;
	t->elapsed = now - t0;
	return NULL;
}

int
bench_verify_rate(double *out, const wb_submission *set, size_t n_set,
                  int threads, double seconds)
{
	struct verify_task t[BENCH_VERIFY_THREADS];
	pthread_t th[BENCH_VERIFY_THREADS];
	pthread_barrier_t start;
	double elapsed = 0;
	uint64_t count = 0;
	int started = 0;

	if (threads < 1 || threads > BENCH_VERIFY_THREADS) {
		return bench_fail("%d verify threads: 1 to %d", threads,
		                  BENCH_VERIFY_THREADS);
	}
	if (pthread_barrier_init(&start, NULL, (unsigned)threads) != 0) {
		return bench_fail("cannot set up a barrier");
	}
	for (int i = 0; i < threads; i++) {
		t[i] = (struct verify_task){
			.set = set,
			.n_set = n_set,
			.offset = (size_t)i * n_set / (size_t)threads,
			.seconds = seconds,
			.start = &start,
		};
	}
	for (int i = 1; i < threads; i++) {
		if (pthread_create(&th[i], NULL, verify_run, &t[i]) != 0) {
			/* The barrier would wait for it forever. */
			fprintf(stderr,
			        "waybill-bench: cannot start a thread\n");
			exit(BENCH_ERROR);
		}
		started++;
	}
	verify_run(&t[0]);
	for (int i = 1; i <= started; i++) {
		pthread_join(th[i], NULL);
	}
	pthread_barrier_destroy(&start);
	for (int i = 0; i < threads; i++) {
		if (t[i].bad) {
			return bench_fail("a good signature did not verify");
		}
		count += t[i].count;
		elapsed = t[i].elapsed > elapsed ? t[i].elapsed : elapsed;
	}
	*out = (double)count / elapsed;
	return BENCH_OK;
}
