/* SPDX-License-Identifier: MIT */
/*
 * Rebuilding the derived databases from the journal alone
 * (waybill/rebuild.h). A varied ledger — registrations, a role change, a
 * rotation and a retroactive revocation, lots and items commissioned,
 * transformations, packing and unpacking, shipments and receipts, sales,
 * a decommissioning, attributes, master data, a late event, a custody gap
 * and its error declaration, an aircraft part installed and removed,
 * recalls and lifts — answers every query of the library before and after:
 * each answer is written out as text and the texts must be equal byte for
 * byte.
 */
#include "fixture.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "waybill/epcis_export.h"
#include "waybill/export.h"
#include "waybill/master.h"
#include "waybill/rebuild.h"
#include "waybill/trace.h"

#define T0 ((int64_t)FX_EVENT_TIME)

#define WHEAT   "urn:epc:class:lgtin:4000001.000001.W1"
#define FLOUR   "urn:epc:class:lgtin:4000002.000002.F1"
#define FLOUR2  "urn:epc:class:lgtin:4000002.000002.F2"
#define BREAD   "urn:epc:class:lgtin:4000003.000003.B1"
#define BREAD2  "urn:epc:class:lgtin:4000003.000003.B2"
#define LOAF(n) "urn:epc:id:sgtin:4000003.000003." #n
#define CASE1   "urn:epc:id:sscc:4000003.0000000001"
#define CASE2   "urn:epc:id:sscc:4000003.0000000002"
#define PALLET  "urn:epc:id:sscc:4000003.0000000011"
#define BAKERY  "urn:epc:id:sgln:4000003.00001.0"
#define STORE   "urn:epc:id:sgln:4000005.00001.0"
#define HANGAR  "urn:epc:id:sgln:4000020.00001.0"
#define PART    "urn:epc:id:giai:4000020.PUMP7"
#define AC1     "urn:epc:id:giai:4000020.AC1"
#define AC2     "urn:epc:id:giai:4000020.AC2"
#define NEWLOAF "urn:epc:id:sgtin:4000003.000003.50"

static const char *const twins[] = {
	WHEAT,
	FLOUR,
	FLOUR2,
	BREAD,
	BREAD2,
	LOAF(1),
	LOAF(2),
	LOAF(3),
	LOAF(4),
	LOAF(5),
	LOAF(6),
	CASE1,
	CASE2,
	PALLET,
	PART,
	AC1,
	AC2,
	NEWLOAF,
	"https://id.gs1.org/01/04000003000034/21/1",
	"urn:example:never",
};

/* The stakeholders, by position. */
enum {
	FARM,
	MILL,
	BAKER,
	DIST,
	SHOP,
	FDA,
	AIRLINE,
	BAKER2, /* the bakery's key after its rotation */
	N_WHO
};

struct world {
	fx_ledger fx;
	wb_signer *who[N_WHO];
	uint64_t id[N_WHO];
	uint64_t recalls[4];
	size_t n_recalls;
	int64_t clock;
};

/*
 * Building the ledger.
 */
static uint64_t
submit(struct world *w, int who, wb_stamp *st)
{
	wb_result res;

	if (st->event_time.seconds == 0) {
		st->event_time.seconds = w->clock += 60;
	}
	if (fx_submit(&w->fx, w->who[who], st, &res) != WB_OK) {
		fail_msg("%s refused: %s", st->event_id, res.problem.msg);
	}
	assert_false(res.duplicate);
	return res.index;
}

static uint64_t
object(struct world *w, int who, const char *ev, const char *id,
       wb_action action, const char *step, const char *location)
{
	const char *ids[1] = { id };
	wb_location loc = { location, NULL };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.event_time.seconds = 0;
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	st.biz_location = location ? &loc : NULL;
	return submit(w, who, &st);
}

static void
lot(struct world *w, int who, const char *ev, const char *epc_class)
{
	wb_quantity q = { epc_class, true, 1000, "KGM" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.event_time.seconds = 0;
	st.quantities = &q;
	st.n_quantities = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	submit(w, who, &st);
}

static void
transform(struct world *w, int who, const char *ev, const char *in,
          const char *out)
{
	wb_quantity qi = { in, true, 500, "KGM" },
	            qo = { out, true, 400, "KGM" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_TRANSFORMATION, ev);
	st.event_time.seconds = 0;
	st.input_quantities = &qi;
	st.n_input_quantities = 1;
	st.output_quantities = &qo;
	st.n_output_quantities = 1;
	submit(w, who, &st);
}

static void
loaf(struct world *w, const char *ev, const char *id, const char *lot_no)
{
	char ilmd[64];
	const char *ids[1] = { id };
	wb_stamp st;

	snprintf(ilmd, sizeof(ilmd), "{\"cbvmda:lotNumber\":\"%s\"}", lot_no);
	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.event_time.seconds = 0;
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	st.ilmd_json = ilmd;
	submit(w, BAKER, &st);
}

static void
aggregate(struct world *w, int who, const char *ev, const char *parent,
          const char **children, size_t n, wb_action action)
{
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_AGGREGATION, ev);
	st.event_time.seconds = 0;
	st.parent_id = parent;
	st.epcs = children;
	st.n_epcs = n;
	st.has_action = true;
	st.action = action;
	st.biz_step = action == WB_ACTION_ADD ? "packing" : "unpacking";
	submit(w, who, &st);
}

static void
associate(struct world *w, const char *ev, const char *asset, wb_action action)
{
	const char *ids[1] = { PART };
	wb_location loc = { HANGAR, NULL };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_ASSOCIATION, ev);
	st.event_time.seconds = 0;
	st.parent_id = asset;
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = action == WB_ACTION_ADD ? "installing" : "removing";
	st.biz_location = &loc;
	submit(w, AIRLINE, &st);
}

static void
master(struct world *w, int who, const char *vtype, const char *element,
       const char *name)
{
	wb_attribute a[1] = { { "cbvmda:name", name, NULL } };
	wb_master_data md = { vtype, element, a, 1, NULL, 0 };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_MASTER_DATA, "md");
	st.event_id = element;
	st.event_time.seconds = 0;
	st.master_data = &md;
	submit(w, who, &st);
}

static void
recall(struct world *w, int who, const char *ev, const char *target,
       const char *also)
{
	const char *targets[2] = { target, also };
	wb_recall r = { targets, also ? 2 : 1,      "Salmonella",
		        true,    WB_RECALL_CLASS_I, "FDA-2026-0042" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_RECALL, ev);
	st.event_time.seconds = 0;
	st.recall = &r;
	w->recalls[w->n_recalls++] = submit(w, who, &st);
}

static void
lift(struct world *w, int who, const char *ev, uint64_t index,
     const char *target)
{
	const char *targets[1] = { target };
	wb_lift l = { index, target ? targets : NULL, target ? 1 : 0,
		      "tested negative" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_LIFT, ev);
	st.event_time.seconds = 0;
	st.lift = &l;
	submit(w, who, &st);
}

static void
registry_ok(struct world *w, wb_registry_change *c)
{
	wb_result res;

	if (fx_registry(&w->fx, c, &res) != WB_OK) {
		fail_msg("registry change refused: %s", res.problem.msg);
	}
}

static void
build_world(struct world *w)
{
	const char *case1[3] = { LOAF(1), LOAF(2), LOAF(3) };
	const char *case2[3] = { LOAF(4), LOAF(5), LOAF(6) };
	const char *pallet[2] = { CASE1, CASE2 };
	const char *unpacked[1] = { CASE2 };
	const char *ac[2] = { AC1, AC2 };
	wb_role shop_roles[2] = { WB_ROLE_RETAILER, WB_ROLE_AUDITOR };
	wb_attribute attrs[3] = { { "waybill:price", "3.20", NULL },
		                  { "waybill:discount", "10%", NULL },
		                  { "waybill:packaging", "paper bag", NULL } };
	wb_error_declaration ed = {
		{ T0 + 7200, 0, false }, "incorrect_data", NULL, 0, NULL
	};
	wb_registry_change c;
	uint64_t dist_ship;
	wb_stamp st;

	w->clock = T0;
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->who[FARM] = fx_register(&w->fx, "Farm", 20, 0, "4000001", NULL,
	                           &w->id[FARM]);
	w->who[MILL] = fx_register(&w->fx, "Mill", 21, 0, "4000002", NULL,
	                           &w->id[MILL]);
	w->who[BAKER] = fx_register(&w->fx, "Bakery", 22, 0, "4000003", NULL,
	                            &w->id[BAKER]);
	w->who[DIST] = fx_register(&w->fx, "Distributor", 23,
	                           FX_ROLE(WB_ROLE_LOGISTICS), NULL, NULL,
	                           &w->id[DIST]);
	w->who[SHOP] = fx_register(&w->fx, "Supermarket", 24,
	                           FX_ROLE(WB_ROLE_RETAILER), "4000005", NULL,
	                           &w->id[SHOP]);
	w->who[FDA] = fx_register(&w->fx, "FDA", 25, FX_ROLE(WB_ROLE_REGULATOR),
	                          NULL, NULL, &w->id[FDA]);
	w->who[AIRLINE] = fx_register(&w->fx, "Airline", 31, 0, "4000020", NULL,
	                              &w->id[AIRLINE]);
	w->who[BAKER2] = test_signer("Bakery", 26);

	lot(w, FARM, "wheat", WHEAT);
	transform(w, MILL, "milling-1", WHEAT, FLOUR);
	transform(w, MILL, "milling-2", WHEAT, FLOUR2);
	transform(w, BAKER, "baking-1", FLOUR, BREAD);
	transform(w, BAKER, "baking-2", FLOUR2, BREAD2);
	loaf(w, "loaf-1", LOAF(1), "B1");
	loaf(w, "loaf-2", LOAF(2), "B1");
	loaf(w, "loaf-3", LOAF(3), "B1");
	loaf(w, "loaf-4", LOAF(4), "B2");
	loaf(w, "loaf-5", LOAF(5), "B2");
	loaf(w, "loaf-6", LOAF(6), "B2");
	aggregate(w, BAKER, "pack-c1", CASE1, case1, 3, WB_ACTION_ADD);
	aggregate(w, BAKER, "pack-c2", CASE2, case2, 3, WB_ACTION_ADD);
	aggregate(w, BAKER, "pack-p", PALLET, pallet, 2, WB_ACTION_ADD);
	master(w, SHOP, "urn:epcglobal:epcis:vtype:BusinessLocation", STORE,
	       "Corner Store");
	master(w, BAKER, "urn:epcglobal:epcis:vtype:BusinessLocation", BAKERY,
	       "The Bakery");
	object(w, BAKER, "ship-1", PALLET, WB_ACTION_OBSERVE, "shipping",
	       BAKERY);
	object(w, DIST, "recv-1", PALLET, WB_ACTION_OBSERVE, "receiving", NULL);
	dist_ship = object(w, DIST, "ship-2", PALLET, WB_ACTION_OBSERVE,
	                   "shipping", NULL);
	object(w, SHOP, "recv-2", PALLET, WB_ACTION_OBSERVE, "receiving",
	       STORE);
	aggregate(w, SHOP, "unpack-c2", PALLET, unpacked, 1, WB_ACTION_DELETE);

	/* Attributes, a sale, a decommissioning, a late observation. */
	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, "price-1");
	st.event_time.seconds = 0;
	st.epcs = case1;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_OBSERVE;
	st.attributes = attrs;
	st.n_attributes = 3;
	submit(w, SHOP, &st);
	object(w, SHOP, "sold-2", LOAF(2), WB_ACTION_OBSERVE, "retail_selling",
	       STORE);
	object(w, SHOP, "gone-3", LOAF(3), WB_ACTION_DELETE, "decommissioning",
	       STORE);
	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, "late-1");
	st.event_time.seconds = T0 + 30;
	st.epcs = case1;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_OBSERVE;
	st.biz_step = "inspecting";
	submit(w, BAKER, &st);

	/* A custody gap (advisory), then declared in error. */
	object(w, DIST, "gap-4", LOAF(4), WB_ACTION_OBSERVE, "shipping", NULL);
	{
		const char *ids[1] = { LOAF(4) };

		fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, "gap-4");
		st.event_time.seconds = w->clock;
		st.epcs = ids;
		st.n_epcs = 1;
		st.has_action = true;
		st.action = WB_ACTION_OBSERVE;
		st.biz_step = "shipping";
		st.error_declaration = &ed;
		submit(w, DIST, &st);
	}

	/* The aircraft part: installed on one aircraft, removed, then on the
	 * other. */
	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, "aircraft");
	st.event_time.seconds = 0;
	st.epcs = ac;
	st.n_epcs = 2;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	submit(w, AIRLINE, &st);
	object(w, AIRLINE, "part-made", PART, WB_ACTION_ADD, "commissioning",
	       HANGAR);
	associate(w, "inst-1", AC1, WB_ACTION_ADD);
	associate(w, "rem-1", AC1, WB_ACTION_DELETE);
	associate(w, "inst-2", AC2, WB_ACTION_ADD);

	/* Recalls and lifts: the flour lot stays recalled; the second bread
	 * lot is recalled by the regulator and lifted for one loaf, then
	 * wholly. */
	recall(w, MILL, "recall-f1", FLOUR, NULL);
	recall(w, FDA, "recall-b2", BREAD2, LOAF(5));
	lift(w, FDA, "lift-b2-5", w->recalls[1], LOAF(5));
	lift(w, FDA, "lift-b2", w->recalls[1], NULL);

	/* The registry: a role change, a rotation, a retroactive revocation
	 * (the distributor's stamps from its second shipment on are flagged,
	 * not failed). */
	memset(&c, 0, sizeof(c));
	c.op = WB_REG_CHANGE_ROLES;
	c.key = *wb_signer_pubkey(w->who[SHOP]);
	c.roles = shop_roles;
	c.n_roles = 2;
	registry_ok(w, &c);
	memset(&c, 0, sizeof(c));
	c.op = WB_REG_ROTATE;
	c.key = *wb_signer_pubkey(w->who[BAKER]);
	c.new_key = *wb_signer_pubkey(w->who[BAKER2]);
	assert_int_equal(
	        wb_possession_sign(c.possession_signature, w->who[BAKER2],
	                           wb_journal_ledger_id(w->fx.j), &c.key),
	        WB_OK);
	registry_ok(w, &c);
	object(w, BAKER2, "after-rotation", LOAF(1), WB_ACTION_OBSERVE,
	       "inspecting", STORE);
	memset(&c, 0, sizeof(c));
	c.op = WB_REG_REVOKE;
	c.key = *wb_signer_pubkey(w->who[DIST]);
	c.effective_index = dist_ship;
	c.reason = "key leaked";
	registry_ok(w, &c);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	build_world(w);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	for (int i = 0; i < N_WHO; i++) {
		wb_signer_free(w->who[i]);
	}
	fx_close(&w->fx);
	free(w);
	return 0;
}

/*
 * Every query of the library, written out as text.
 */
static void
pr_time(FILE *f, const wb_time *t)
{
	fprintf(f, "%lld.%09u%s", (long long)t->seconds, t->nanos,
	        t->has_nanos ? "n" : "");
}

static void
pr_hash(FILE *f, const wb_hash *h)
{
	for (size_t i = 0; i < WB_HASH_LEN; i++) {
		fprintf(f, "%02x", h->b[i]);
	}
}

static void
pr_bytes(FILE *f, const uint8_t *b, size_t len)
{
	wb_hash h;

	wb_hash_sha256(&h, b, len);
	fprintf(f, "%zu bytes sha256 ", len);
	pr_hash(f, &h);
}

static void
pr_rc(FILE *f, const char *what, wb_err rc, const wb_problem *p)
{
	fprintf(f, "%s: rc %d", what, (int)rc);
	if (rc == WB_EREJECTED && p != NULL) {
		fprintf(f, " %s %s", wb_reject_name(p->reason), p->msg);
	}
	fputc('\n', f);
}

static void
pr_status(FILE *f, const wb_recall_status *s)
{
	fprintf(f, " recall state %d hits %zu\n", (int)s->state, s->n_hits);
	for (size_t i = 0; i < s->n_hits; i++) {
		const wb_recall_hit *h = &s->hits[i];

		fprintf(f,
		        "  hit %llu state %d reason %s sev %d/%d issuer %llu %s path",
		        (unsigned long long)h->recall_index, (int)h->state,
		        h->reason, h->has_severity, (int)h->severity,
		        (unsigned long long)h->issuer, h->issuer_name);
		for (size_t k = 0; k < h->n_path; k++) {
			fprintf(f, " %s", h->path[k]);
			if (k + 1 < h->n_path) {
				fprintf(f, " -%d->", (int)h->path_edges[k]);
			}
		}
		fputc('\n', f);
	}
}

static void
pr_trace(FILE *f, const wb_trace *t)
{
	fprintf(f, " nodes %zu edges %zu truncated %d\n", t->n_nodes,
	        t->n_edges, t->truncated);
	for (size_t i = 0; i < t->n_nodes; i++) {
		fprintf(f, "  node %s %s %u\n", t->nodes[i].id, t->nodes[i].key,
		        t->nodes[i].depth);
	}
	for (size_t i = 0; i < t->n_edges; i++) {
		const wb_trace_edge *e = &t->edges[i];

		fprintf(f, "  edge %d %zu->%zu %llu-%llu ", (int)e->type,
		        e->from, e->to, (unsigned long long)e->opened,
		        (unsigned long long)e->closed);
		pr_time(f, &e->opened_at);
		fputc(' ', f);
		pr_time(f, &e->closed_at);
		fprintf(f, " q %d %g\n", e->has_quantity, e->quantity);
	}
}

static void
pr_passport(FILE *f, const wb_passport *p)
{
	fprintf(f,
	        " %s %s kind %d comm %llu %s owner %llu %s sold %d cust %llu %s transit %d dest %s loc %s (%s) rp %s disp %s pers [%s] cont %s host %s pack %s@%llu price %s disc %s decomm %llu gaps %llu n %llu %llu-%llu ",
	        p->id, p->key, (int)p->kind,
	        (unsigned long long)p->commissioner, p->commissioner_name,
	        (unsigned long long)p->owner, p->owner_name, p->sold,
	        (unsigned long long)p->custodian, p->custodian_name,
	        p->in_transit, p->destination, p->location, p->location_name,
	        p->read_point, p->disposition, p->persistent, p->container,
	        p->host, p->packaging, (unsigned long long)p->packaging_index,
	        p->price, p->discount, (unsigned long long)p->decommissioned_at,
	        (unsigned long long)p->custody_gaps,
	        (unsigned long long)p->n_stamps,
	        (unsigned long long)p->first_index,
	        (unsigned long long)p->last_index);
	pr_time(f, &p->first_time);
	fputc(' ', f);
	pr_time(f, &p->last_time);
	fputc('\n', f);
	if (p->recalls != NULL) {
		pr_status(f, p->recalls);
	}
}

static void
pr_twin(FILE *f, wb_journal *j, const char *id, uint64_t size)
{
	uint64_t idx[64];
	size_t n = 0;
	wb_problem p = { 0 };
	wb_recall_status *rs = NULL;
	wb_passport *pp = NULL;
	wb_where_step *ws = NULL;
	wb_installation *in = NULL;
	wb_err rc;

	fprintf(f, "twin %s\n", id);
	for (int rev = 0; rev < 2; rev++) {
		rc = wb_journal_history(idx, &n, 64, j, id,
		                        rev ? UINT64_MAX : 0, rev, &p);
		pr_rc(f, " history", rc, &p);
		for (size_t i = 0; rc == WB_OK && i < n; i++) {
			fprintf(f, "  %llu", (unsigned long long)idx[i]);
		}
		fputc('\n', f);
	}
	/* Paged: after the second of the first page. */
	if (wb_journal_history(idx, &n, 2, j, id, 0, false, &p) == WB_OK &&
	    n == 2) {
		rc = wb_journal_history(idx, &n, 2, j, id, idx[1], false, &p);
		pr_rc(f, " history page 2", rc, &p);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "  %llu", (unsigned long long)idx[i]);
		}
		fputc('\n', f);
	}
	rc = wb_recall_status_get(&rs, j, id, &p);
	pr_rc(f, " recall status", rc, &p);
	if (rc == WB_OK) {
		pr_status(f, rs);
	}
	wb_recall_status_free(rs);
	rc = wb_passport_get(&pp, j, id, &p);
	pr_rc(f, " passport", rc, &p);
	if (rc == WB_OK) {
		pr_passport(f, pp);
	}
	wb_passport_free(pp);
	rc = wb_where(&ws, &n, j, id, &p);
	pr_rc(f, " where", rc, &p);
	for (size_t i = 0; rc == WB_OK && i < n; i++) {
		const wb_where_step *s = &ws[i];

		fprintf(f, "  %llu ", (unsigned long long)s->index);
		pr_time(f, &s->event_time);
		fprintf(f, " %s %s %s %s %s %llu %s %llu %s %d via %s\n", s->tz,
		        s->biz_step, s->act, s->location, s->read_point,
		        (unsigned long long)s->signer, s->signer_name,
		        (unsigned long long)s->custodian, s->custodian_name,
		        s->declared, s->via);
	}
	free(ws);
	rc = wb_installations(&in, &n, j, id, &p);
	pr_rc(f, " installations", rc, &p);
	for (size_t i = 0; rc == WB_OK && i < n; i++) {
		fprintf(f, "  %s %llu-%llu ", in[i].asset,
		        (unsigned long long)in[i].installed,
		        (unsigned long long)in[i].removed);
		pr_time(f, &in[i].installed_at);
		fputc(' ', f);
		pr_time(f, &in[i].removed_at);
		for (size_t k = 0; k < in[i].n_stamps; k++) {
			fprintf(f, " %llu",
			        (unsigned long long)in[i].stamps[k]);
		}
		fputc('\n', f);
	}
	if (rc == WB_OK) {
		wb_installations_free(in, n);
	}
	/* Lineage: up, down, the closed edges too, and as of the past. */
	for (int variant = 0; variant < 5; variant++) {
		wb_trace_opts o = { 0 };
		wb_trace *t = NULL;

		o.down = variant % 2 == 1;
		o.include_closed = variant == 2;
		if (variant == 3) {
			o.as_of.index = size / 2;
		}
		if (variant == 4) {
			o.as_of.has_time = true;
			o.as_of.time.seconds = T0 + 900;
		}
		rc = wb_trace_twin(&t, j, id, &o, &p);
		fprintf(f, " trace %d", variant);
		pr_rc(f, "", rc, &p);
		if (rc == WB_OK) {
			pr_trace(f, t);
		}
		wb_trace_free(t);
	}
}

static void
pr_stakeholder(FILE *f, const wb_stakeholder *s)
{
	fprintf(f, " %llu %s party %s roles %x registered %llu ns",
	        (unsigned long long)s->id, s->name, s->party_id, s->roles,
	        (unsigned long long)s->registered_at);
	for (size_t i = 0; i < s->n_namespaces; i++) {
		fprintf(f, " %d:%s", (int)s->namespaces[i].kind,
		        s->namespaces[i].prefix);
	}
	fprintf(f, " key %02x%02x\n", s->key.b[0], s->key.b[1]);
}

static void
pr_registry(FILE *f, struct world *w, uint64_t size)
{
	wb_journal *j = w->fx.j;

	for (int i = 0; i < N_WHO; i++) {
		const wb_pubkey *key = wb_signer_pubkey(w->who[i]);
		wb_stakeholder sh;
		wb_key_status ks;
		wb_err rc = wb_journal_stakeholder(&sh, &ks, j, key);

		fprintf(f, "key %d", i);
		pr_rc(f, " stakeholder", rc, NULL);
		if (rc == WB_OK) {
			pr_stakeholder(f, &sh);
			fprintf(f, " status %llu %llu %llu %llu\n",
			        (unsigned long long)ks.stakeholder,
			        (unsigned long long)ks.valid_from,
			        (unsigned long long)ks.rotated_at,
			        (unsigned long long)ks.revoked_from);
		}
		for (uint64_t x = 0; x <= size; x++) {
			wb_problem p = { 0 };

			rc = wb_journal_key_valid_at(j, key, x, &p);
			fprintf(f, " valid at %llu", (unsigned long long)x);
			pr_rc(f, "", rc, &p);
		}
	}
	for (uint64_t x = 0; x < size; x++) {
		wb_stakeholder *v = NULL;
		size_t n = 0;
		wb_err rc = wb_journal_registry_at(&v, &n, j, x);

		fprintf(f, "registry at %llu", (unsigned long long)x);
		pr_rc(f, "", rc, NULL);
		for (size_t i = 0; rc == WB_OK && i < n; i++) {
			pr_stakeholder(f, &v[i]);
		}
		free(v);
	}
}

static void
pr_recalls(FILE *f, struct world *w, uint64_t size)
{
	wb_journal *j = w->fx.j;
	uint64_t asked[6];
	size_t n_asked = 0;

	for (size_t i = 0; i < w->n_recalls; i++) {
		asked[n_asked++] = w->recalls[i];
	}
	asked[n_asked++] = 1;        /* not a recall */
	asked[n_asked++] = size + 5; /* beyond the tree */
	for (size_t i = 0; i < n_asked; i++) {
		for (size_t offset = 0; offset < 6; offset += 3) {
			wb_recall_impact *im = NULL;
			wb_problem p = { 0 };
			wb_err rc = wb_recall_impact_get(&im, j, asked[i],
			                                 offset, 3, &p);

			fprintf(f, "impact %llu@%zu",
			        (unsigned long long)asked[i], offset);
			pr_rc(f, "", rc, &p);
			if (rc != WB_OK) {
				continue;
			}
			fprintf(f,
			        " active %d affected %zu holding %zu next %zu\n",
			        im->active, im->n_affected, im->n_holding,
			        im->next);
			for (size_t g = 0; g < im->n_groups; g++) {
				fprintf(f, "  group %llu %s %s %zu %zu\n",
				        (unsigned long long)im->groups[g]
				                .custodian,
				        im->groups[g].custodian_name,
				        im->groups[g].location,
				        im->groups[g].affected,
				        im->groups[g].holding);
			}
			for (size_t t = 0; t < im->n_twins; t++) {
				fprintf(f, "  twin %s %d %llu %s\n",
				        im->twins[t].id, im->twins[t].holding,
				        (unsigned long long)im->twins[t]
				                .custodian,
				        im->twins[t].location);
			}
			wb_recall_impact_free(im);
		}
	}
	for (uint64_t after = 0; after < size; after += 7) {
		wb_recall_notice *v = NULL;
		size_t n = 0;
		wb_err rc = wb_recalls_since(&v, &n, j, after, 3);

		fprintf(f, "since %llu", (unsigned long long)after);
		pr_rc(f, "", rc, NULL);
		for (size_t i = 0; rc == WB_OK && i < n; i++) {
			fprintf(f,
			        "  %llu lift %d of %llu by %llu %s sev %d/%d",
			        (unsigned long long)v[i].index, v[i].lift,
			        (unsigned long long)v[i].recall_index,
			        (unsigned long long)v[i].issuer, v[i].reason,
			        v[i].has_severity, (int)v[i].severity);
			for (size_t t = 0; t < v[i].n_targets; t++) {
				fprintf(f, " %s", v[i].targets[t]);
			}
			fputc('\n', f);
		}
		if (rc == WB_OK) {
			wb_recall_notices_free(v, n);
		}
	}
}

static void
pr_search_one(FILE *f, wb_journal *j, const char *what, wb_search_query q)
{
	uint64_t after = 0;

	fprintf(f, "search %s\n", what);
	for (int page = 0; page < 50; page++) {
		uint64_t *v = NULL, next = 0;
		size_t n = 0;
		wb_err rc;

		q.after = after;
		q.limit = 3;
		rc = wb_search(&v, &n, &next, j, &q);
		pr_rc(f, " page", rc, NULL);
		for (size_t i = 0; rc == WB_OK && i < n; i++) {
			fprintf(f, " %llu", (unsigned long long)v[i]);
		}
		fprintf(f, " next %llu\n", (unsigned long long)next);
		free(v);
		if (rc != WB_OK || next == 0) {
			break;
		}
		after = next;
	}
}

static void
pr_search(FILE *f, struct world *w)
{
	static const char *const steps[] = { "commissioning", "shipping",
		                             "receiving",     "packing",
		                             "inspecting",    "installing",
		                             "retail_selling" };
	wb_journal *j = w->fx.j;
	wb_search_query q;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		memset(&q, 0, sizeof(q));
		q.biz_step = steps[i];
		pr_search_one(f, j, steps[i], q);
	}
	memset(&q, 0, sizeof(q));
	q.biz_location = STORE;
	pr_search_one(f, j, "at the store", q);
	q.biz_location = HANGAR;
	q.biz_step = "removing";
	pr_search_one(f, j, "removed in the hangar", q);
	for (int i = 0; i < N_WHO - 1; i++) {
		memset(&q, 0, sizeof(q));
		q.has_stakeholder = true;
		q.stakeholder = w->id[i];
		pr_search_one(f, j, "by a stakeholder", q);
	}
	memset(&q, 0, sizeof(q));
	q.has_event_from = q.has_event_to = true;
	q.event_from.seconds = T0 + 300;
	q.event_to.seconds = T0 + 1500;
	pr_search_one(f, j, "event window", q);
	memset(&q, 0, sizeof(q));
	q.disposition = "destroyed";
	pr_search_one(f, j, "destroyed", q);
}

/* Resubmitting every entry finds each by its event or change ID through
 * the event-ID index: a duplicate at its own index, nothing written. */
static void
pr_event_lookup(FILE *f, wb_journal *j, uint64_t size)
{
	wb_append_opts atomic = { .atomic = true };
	wb_submission *subs = calloc(size, sizeof(*subs));
	wb_result *res = calloc(size, sizeof(*res));
	wb_entry **es = calloc(size, sizeof(*es));
	size_t n = 0;
	uint64_t after = 0;
	wb_err rc;

	assert_true(subs && res && es);
	for (uint64_t i = 1; i < size; i++) {
		uint8_t *bytes = NULL;
		size_t len;

		assert_int_equal(wb_journal_entry(&bytes, &len, j, i), WB_OK);
		assert_int_equal(wb_entry_decode(&es[n], bytes, len), WB_OK);
		free(bytes);
		subs[n].type = es[n]->type;
		subs[n].body = es[n]->body;
		subs[n].body_len = es[n]->body_len;
		subs[n].signer = es[n]->signer;
		memcpy(subs[n].signature, es[n]->signature, WB_SIG_LEN);
		n++;
	}
	rc = wb_journal_append(j, subs, n, res, &atomic, &after);
	fprintf(f, "resubmitted: rc %d size %llu\n", (int)rc,
	        (unsigned long long)after);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, " %zu: err %d dup %d index %llu %s\n", i,
		        (int)res[i].err, res[i].duplicate,
		        (unsigned long long)res[i].index, res[i].problem.msg);
		wb_entry_free(es[i]);
	}
	free(es);
	free(subs);
	free(res);
}

static void
pr_master(FILE *f, wb_journal *j)
{
	static const char *const ids[] = { STORE, BAKERY, HANGAR, "no:such" };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint8_t *entry = NULL;
		size_t len = 0;
		uint64_t index = 0;
		wb_problem p = { 0 };
		wb_err rc = wb_master_data_find(&index, &entry, &len, j, ids[i],
		                                &p);

		fprintf(f, "master %s", ids[i]);
		pr_rc(f, "", rc, &p);
		if (rc == WB_OK) {
			fprintf(f, " %llu ", (unsigned long long)index);
			pr_bytes(f, entry, len);
			fputc('\n', f);
		}
		free(entry);
	}
}

static void
pr_journal(FILE *f, wb_journal *j, uint64_t size)
{
	wb_hash proof[WB_MERKLE_MAX_PROOF], h;
	size_t n;

	for (uint64_t i = 0; i < size; i++) {
		uint8_t *bytes = NULL;
		size_t len = 0;
		json_t *js = NULL;
		char *text;

		assert_int_equal(wb_journal_entry(&bytes, &len, j, i), WB_OK);
		fprintf(f, "entry %llu ", (unsigned long long)i);
		pr_bytes(f, bytes, len);
		if (i > 0 &&
		    wb_epcis_entry_to_json(&js, bytes, len, true) == WB_OK) {
			text = json_dumps(js, JSON_SORT_KEYS | JSON_COMPACT);
			fprintf(f, "\n epcis %s", text);
			free(text);
			json_decref(js);
		}
		free(bytes);
		assert_int_equal(wb_journal_leaf_hash(&h, j, i), WB_OK);
		fprintf(f, "\n leaf ");
		pr_hash(f, &h);
		assert_int_equal(wb_journal_root(&h, j, i + 1), WB_OK);
		fprintf(f, " root ");
		pr_hash(f, &h);
		assert_int_equal(
		        wb_journal_inclusion_proof(proof, &n, j, i, size),
		        WB_OK);
		fprintf(f, " proof");
		for (size_t k = 0; k < n; k++) {
			fputc(' ', f);
			pr_hash(f, &proof[k]);
		}
		assert_int_equal(wb_journal_receipt(&bytes, &len, j, i, 0),
		                 WB_OK);
		fprintf(f, " receipt ");
		pr_bytes(f, bytes, len);
		free(bytes);
		if (i > 0) {
			assert_int_equal(wb_journal_consistency_proof(
			                         proof, &n, j, i, size),
			                 WB_OK);
			fprintf(f, " consistency");
			for (size_t k = 0; k < n; k++) {
				fputc(' ', f);
				pr_hash(f, &proof[k]);
			}
		}
		fputc('\n', f);
	}
	for (uint64_t s = 0; s <= size; s++) {
		char *note = NULL;
		wb_err rc = wb_journal_checkpoint(&note, j, s);

		fprintf(f, "checkpoint %llu rc %d %s\n", (unsigned long long)s,
		        (int)rc, note ? note : "");
		free(note);
	}
}

static void
pr_export(FILE *f, wb_journal *j, uint64_t size)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *x = open_memstream(&buf, &len);

	assert_non_null(x);
	assert_int_equal(wb_export_write(x, j, 0, size), WB_OK);
	fclose(x);
	fprintf(f, "export ");
	pr_bytes(f, (const uint8_t *)buf, len);
	fputc('\n', f);
	free(buf);
}

static void
pr_verify(FILE *f, wb_journal *j)
{
	wb_verify_report r;

	assert_int_equal(wb_verify_journal(&r, j, NULL, NULL, NULL), WB_OK);
	fprintf(f,
	        "verify ok %d entries %llu checkpoints %llu flagged %llu from %llu gaps %llu %s\n",
	        r.ok, (unsigned long long)r.entries,
	        (unsigned long long)r.checkpoints,
	        (unsigned long long)r.flagged,
	        (unsigned long long)r.first_flagged,
	        (unsigned long long)r.custody_gaps, r.ok ? "" : r.problem);
}

/* Every answer of the ledger, as text (free()). */
static char *
answers(struct world *w)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t size = fx_size(&w->fx);

	assert_non_null(f);
	fprintf(f, "size %llu\n", (unsigned long long)size);
	pr_journal(f, w->fx.j, size);
	for (size_t i = 0; i < sizeof(twins) / sizeof(twins[0]); i++) {
		pr_twin(f, w->fx.j, twins[i], size);
	}
	pr_registry(f, w, size);
	pr_recalls(f, w, size);
	pr_search(f, w);
	pr_master(f, w->fx.j);
	pr_export(f, w->fx.j, size);
	pr_verify(f, w->fx.j);
	/* Last: it loads the writer's event index. */
	pr_event_lookup(f, w->fx.j, size);
	fclose(f);
	return buf;
}

/* Equal texts, or the first line that differs. */
static void
assert_same_answers(const char *a, const char *b)
{
	size_t line = 1;

	for (size_t i = 0; a[i] != '\0' || b[i] != '\0'; i++) {
		if (a[i] != b[i]) {
			const char *la = a + i, *lb = b + i;

			while (la > a && la[-1] != '\n') {
				la--;
			}
			while (lb > b && lb[-1] != '\n') {
				lb--;
			}
			fail_msg(
			        "answers differ at line %zu:\n  before: %.300s\n  after:  %.300s",
			        line, la, lb);
		}
		line += a[i] == '\n';
	}
}

/*
 * Rebuilding, and reaching inside with LMDB.
 */
static wb_err
rebuild(struct world *w, wb_rebuild_report *r)
{
	wb_err rc;

	/* The rebuild takes the ledger to itself: close ours. */
	wb_journal_close(w->fx.j);
	w->fx.j = NULL;
	rc = wb_rebuild_derived(r, w->fx.dir, NULL);
	fx_reopen(&w->fx);
	return rc;
}

static void
rebuild_ok(struct world *w)
{
	wb_rebuild_report r;
	uint64_t size = fx_size(&w->fx);
	wb_err rc = rebuild(w, &r);

	if (rc != WB_OK) {
		fail_msg("rebuild: %s: %s", wb_strerror(rc), r.problem);
	}
	assert_int_equal(r.entries, size);
	/* Each append of the fixture was its own commit. */
	assert_int_equal(r.checkpoints, size);
	assert_true(r.records > size);
	assert_int_equal(r.first_bad, 0);
	assert_int_equal(r.holder_pid, 0);
}

struct raw {
	MDB_env *env;
	MDB_txn *txn;
};

static void
raw_begin(struct raw *x, const char *dir, bool write)
{
	assert_int_equal(mdb_env_create(&x->env), 0);
	assert_int_equal(mdb_env_set_maxdbs(x->env, 32), 0);
	assert_int_equal(mdb_env_open(x->env, dir, MDB_NOTLS, 0600), 0);
	assert_int_equal(
	        mdb_txn_begin(x->env, NULL, write ? 0 : MDB_RDONLY, &x->txn),
	        0);
}

static MDB_dbi
raw_db(struct raw *x, const char *name)
{
	MDB_dbi dbi;

	assert_int_equal(mdb_dbi_open(x->txn, name, 0, &dbi), 0);
	return dbi;
}

static void
raw_end(struct raw *x, bool commit)
{
	if (commit) {
		assert_int_equal(mdb_txn_commit(x->txn), 0);
	} else {
		mdb_txn_abort(x->txn);
	}
	mdb_env_close(x->env);
}

/* The last committed transaction ID: it moves with any write. */
static size_t
raw_txnid(const char *dir)
{
	struct raw x;
	MDB_envinfo info;

	raw_begin(&x, dir, false);
	mdb_env_info(x.env, &info);
	raw_end(&x, false);
	return info.me_last_txnid;
}

/* Flips one byte of entry `index`'s stored value, at `at` (from the end
 * when negative). */
static void
flip_entry_byte(struct world *w, uint64_t index, long at)
{
	struct raw x;
	uint8_t key[8], *copy;
	MDB_val k = { 8, key }, v;
	MDB_dbi dbi;

	for (int i = 0; i < 8; i++) {
		key[i] = (uint8_t)(index >> (56 - 8 * i));
	}
	raw_begin(&x, w->fx.dir, true);
	dbi = raw_db(&x, "journal");
	assert_int_equal(mdb_get(x.txn, dbi, &k, &v), 0);
	copy = malloc(v.mv_size);
	assert_non_null(copy);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[at >= 0 ? (size_t)at : v.mv_size - (size_t)-at] ^= 0x01;
	v.mv_data = copy;
	assert_int_equal(mdb_put(x.txn, dbi, &k, &v, 0), 0);
	raw_end(&x, true);
	free(copy);
}

/* The derived databases, as mdb.c names them. */
static const char *const derived_names[] = {
	"merkle",   "events",     "twins",    "history", "stakeholders",
	"keys",     "namespaces", "reglog",   "recalls", "parties",
	"twin_ids", "edges",      "declared", "search",  "master",
};

/*
 * The tests.
 */
static void
test_rebuild_in_place_answers_identically(void **state)
{
	struct world *w = *state;
	char *before = answers(w), *after;

	rebuild_ok(w);
	after = answers(w);
	assert_same_answers(before, after);
	/* And once more: a rebuild of a rebuilt ledger changes nothing. */
	rebuild_ok(w);
	free(after);
	after = answers(w);
	assert_same_answers(before, after);
	free(before);
	free(after);
}

static void
test_rebuild_restores_deleted_derived_databases(void **state)
{
	struct world *w = *state;
	char *before = answers(w), *after;
	uint64_t size = fx_size(&w->fx);
	wb_rebuild_report r;
	wb_journal *j = NULL;
	struct raw x;
	MDB_val k = { 9, "next_twin" };

	wb_journal_close(w->fx.j);
	w->fx.j = NULL;
	/* Half of them deleted outright, half emptied, and the meta data's
	 * derived key removed. */
	raw_begin(&x, w->fx.dir, true);
	for (size_t i = 0; i < sizeof(derived_names) / sizeof(derived_names[0]);
	     i++) {
		assert_int_equal(
		        mdb_drop(x.txn, raw_db(&x, derived_names[i]), i % 2),
		        0);
	}
	assert_int_equal(mdb_del(x.txn, raw_db(&x, "meta"), &k, NULL), 0);
	raw_end(&x, true);
	/* Without them the ledger does not even open. */
	assert_int_equal(wb_journal_open(&j, w->fx.dir, NULL), WB_ENOTFOUND);
	assert_int_equal(wb_rebuild_derived(&r, w->fx.dir, NULL), WB_OK);
	assert_int_equal(r.entries, size);
	assert_int_equal(r.checkpoints, size);
	fx_reopen(&w->fx);
	after = answers(w);
	assert_same_answers(before, after);
	free(before);
	free(after);
}

/* More stamps, the same on both ledgers (fixed record times), and what
 * became of each. */
static char *
append_more(struct world *w)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *loaf[1] = { NEWLOAF }, *stored[1] = { LOAF(1) };
	wb_stamp st[6];
	int who[6] = { BAKER2, BAKER2, SHOP, MILL, BAKER2, DIST };
	wb_submission subs[6];
	wb_result res[6];
	uint8_t *bytes = NULL;
	wb_entry *last = NULL;
	uint64_t size = fx_size(&w->fx), after = 0;
	wb_err rc;

	assert_non_null(f);
	assert_int_equal(wb_journal_entry(&bytes, &len, w->fx.j, size - 1),
	                 WB_OK);
	assert_int_equal(wb_entry_decode(&last, bytes, len), WB_OK);
	free(bytes);
	/* A new loaf, packed into the first case; the store observes it;
	 * the flour recall's lift; the same new loaf again (a duplicate);
	 * a stamp by the revoked key (refused). */
	fx_stamp_init(&st[0], &w->fx, WB_KIND_OBJECT, "loaf-50");
	st[0].epcs = loaf;
	st[0].n_epcs = 1;
	st[0].has_action = true;
	st[0].action = WB_ACTION_ADD;
	st[0].biz_step = "commissioning";
	fx_stamp_init(&st[1], &w->fx, WB_KIND_OBJECT, "loaf-50-seen");
	st[1].epcs = loaf;
	st[1].n_epcs = 1;
	st[1].has_action = true;
	st[1].action = WB_ACTION_OBSERVE;
	st[1].biz_step = "inspecting";
	fx_stamp_init(&st[2], &w->fx, WB_KIND_OBJECT, "shelf");
	st[2].epcs = stored;
	st[2].n_epcs = 1;
	st[2].has_action = true;
	st[2].action = WB_ACTION_OBSERVE;
	st[2].biz_step = "storing";
	{
		static wb_lift l = { 0, NULL, 0, "cleared" };

		l.recall_index = w->recalls[0];
		fx_stamp_init(&st[3], &w->fx, WB_KIND_LIFT, "lift-f1");
		st[3].lift = &l;
	}
	st[4] = st[0];
	fx_stamp_init(&st[5], &w->fx, WB_KIND_OBJECT, "too-late");
	st[5].epcs = stored;
	st[5].n_epcs = 1;
	st[5].has_action = true;
	st[5].action = WB_ACTION_OBSERVE;
	for (int i = 0; i < 6; i++) {
		/* The duplicate is the very same signed stamp. */
		st[i].event_time.seconds = T0 + 5000 + (i == 4 ? 0 : i);
		fx_submission(&subs[i], w->who[who[i]], &st[i]);
		subs[i].record_time_us = last->record_time_us + 1000000u;
	}
	wb_entry_free(last);
	/* Two batches: one commit of three, then one per stamp. */
	rc = wb_journal_append(w->fx.j, subs, 3, res, NULL, &after);
	fprintf(f, "batch rc %d size %llu\n", (int)rc,
	        (unsigned long long)after);
	for (int i = 3; i < 6; i++) {
		rc = wb_journal_append(w->fx.j, &subs[i], 1, &res[i], NULL,
		                       &after);
		fprintf(f, "one rc %d size %llu\n", (int)rc,
		        (unsigned long long)after);
	}
	for (int i = 0; i < 6; i++) {
		fprintf(f,
		        "%d: err %d %s dup %d index %llu gap %d kind %d lift %llu %s\n",
		        i, (int)res[i].err,
		        wb_reject_name(res[i].problem.reason), res[i].duplicate,
		        (unsigned long long)res[i].index, res[i].custody_gap,
		        (int)res[i].kind, (unsigned long long)res[i].lift_of,
		        res[i].problem.msg);
		free((void *)(uintptr_t)subs[i].body);
	}
	assert_int_equal(res[4].duplicate, true);
	assert_int_equal(res[5].err, WB_EREJECTED);
	fclose(f);
	return buf;
}

static void
test_rebuild_then_appends_match_a_ledger_never_rebuilt(void **state)
{
	struct world *w = *state;
	char *copy_dir = test_mkdtemp();
	fx_ledger saved = w->fx;
	char *results[2], *ans[2];

	/* The copy is never rebuilt. */
	assert_int_equal(wb_journal_backup(w->fx.j, copy_dir), WB_OK);
	rebuild_ok(w);
	results[0] = append_more(w);
	ans[0] = answers(w);
	/* The same stamps on the copy, through the same queries. */
	wb_journal_close(w->fx.j);
	w->fx.j = NULL;
	w->fx.dir = copy_dir;
	fx_reopen(&w->fx);
	results[1] = append_more(w);
	ans[1] = answers(w);
	assert_same_answers(results[1], results[0]);
	assert_same_answers(ans[1], ans[0]);
	wb_journal_close(w->fx.j);
	w->fx = saved;
	w->fx.j = NULL;
	fx_reopen(&w->fx);
	test_rmdir(copy_dir);
	for (int i = 0; i < 2; i++) {
		free(results[i]);
		free(ans[i]);
	}
}

/* A flipped byte in an entry: refused at that entry, nothing written;
 * with the byte restored, the ledger answers as before. With the Merkle
 * nodes gone too, the checkpoints still find the entry. */
static void
test_rebuild_refuses_a_corrupted_entry(void **state)
{
	struct world *w = *state;
	static const struct {
		uint64_t index;
		long at;
		bool drop_merkle;
	} cases[] = {
		{ 9, 40, false },  /* inside a stamp's signed body */
		{ 20, -1, false }, /* its last byte (the chain links) */
		{ 3, 3, false },   /* a registry entry's record time */
		{ 30, 50, true },  /* no stored leaves to compare with */
		{ 41, -10, true },
	};
	char *before = answers(w), *after;
	uint64_t size = fx_size(&w->fx);

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		wb_rebuild_report r;
		char want[32], range[48];
		size_t txnid;
		wb_err rc;

		assert_true(cases[c].index < size);
		wb_journal_close(w->fx.j);
		w->fx.j = NULL;
		if (cases[c].drop_merkle) {
			struct raw x;

			raw_begin(&x, w->fx.dir, true);
			assert_int_equal(
			        mdb_drop(x.txn, raw_db(&x, "merkle"), 0), 0);
			raw_end(&x, true);
		}
		flip_entry_byte(w, cases[c].index, cases[c].at);
		txnid = raw_txnid(w->fx.dir);
		rc = wb_rebuild_derived(&r, w->fx.dir, NULL);
		assert_int_equal(rc, WB_ECORRUPT);
		if (r.first_bad != cases[c].index) {
			fail_msg("case %zu: first bad %llu, want %llu: %s", c,
			         (unsigned long long)r.first_bad,
			         (unsigned long long)cases[c].index, r.problem);
		}
		/* Named as an entry, or as the only entry a checkpoint's
		 * range holds. */
		snprintf(want, sizeof(want), "entry %llu",
		         (unsigned long long)cases[c].index);
		snprintf(range, sizeof(range), "from %llu to %llu",
		         (unsigned long long)cases[c].index,
		         (unsigned long long)cases[c].index);
		if (strstr(r.problem, want) == NULL &&
		    strstr(r.problem, range) == NULL) {
			fail_msg("case %zu: \"%s\" does not say %s", c,
			         r.problem, want);
		}
		/* Nothing was written. */
		assert_int_equal(raw_txnid(w->fx.dir), txnid);
		flip_entry_byte(w, cases[c].index, cases[c].at);
		fx_reopen(&w->fx);
		if (cases[c].drop_merkle) {
			rebuild_ok(w);
		}
	}
	after = answers(w);
	assert_same_answers(before, after);
	free(before);
	free(after);
}

static void
test_rebuild_refuses_a_forged_checkpoint(void **state)
{
	struct world *w = *state;
	wb_rebuild_report r;
	struct raw x;
	uint8_t key[8] = { 0, 0, 0, 0, 0, 0, 0, 12 };
	MDB_val k = { 8, key }, v;
	char *note;

	wb_journal_close(w->fx.j);
	w->fx.j = NULL;
	raw_begin(&x, w->fx.dir, true);
	assert_int_equal(mdb_get(x.txn, raw_db(&x, "checkpoints"), &k, &v), 0);
	note = malloc(v.mv_size);
	assert_non_null(note);
	memcpy(note, v.mv_data, v.mv_size);
	note[v.mv_size - 5] ^= 0x01; /* inside the signature */
	v.mv_data = note;
	assert_int_equal(mdb_put(x.txn, raw_db(&x, "checkpoints"), &k, &v, 0),
	                 0);
	raw_end(&x, true);
	free(note);
	assert_int_equal(wb_rebuild_derived(&r, w->fx.dir, NULL), WB_ECORRUPT);
	assert_int_equal(r.first_bad, 11);
	assert_non_null(strstr(
	        r.problem, "checkpoint of tree size 12 is not validly signed"));
	fx_reopen(&w->fx);
}

static void
test_rebuild_refuses_while_another_process_has_the_ledger(void **state)
{
	struct world *w = *state;
	wb_rebuild_report r;
	int ready[2], go[2], status;
	char byte = 0;
	pid_t pid;

	wb_journal_close(w->fx.j);
	w->fx.j = NULL;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		wb_journal *j = NULL;
		char b = 1;

		if (wb_journal_open(&j, w->fx.dir, NULL) != WB_OK) {
			_exit(3);
		}
		if (write(ready[1], &b, 1) != 1 || read(go[0], &b, 1) != 1) {
			_exit(4);
		}
		wb_journal_close(j);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	assert_int_equal(wb_rebuild_derived(&r, w->fx.dir, NULL), WB_EBUSY);
	assert_int_equal(r.holder_pid, (long)pid);
	{
		char want[64];

		snprintf(want, sizeof(want), "another process (pid %ld)",
		         (long)pid);
		assert_non_null(strstr(r.problem, want));
		assert_non_null(strstr(r.problem, "stop waybilld"));
	}
	assert_int_equal(write(go[1], &byte, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (int i = 0; i < 2; i++) {
		close(ready[i]);
		close(go[i]);
	}
	/* Alone again: it runs. */
	fx_reopen(&w->fx);
	rebuild_ok(w);
}

static void
test_rebuild_refuses_a_directory_without_a_ledger(void **state)
{
	char *dir = test_mkdtemp();
	wb_rebuild_report r;

	(void)state;
	assert_int_equal(wb_rebuild_derived(&r, dir, NULL), WB_ENOTFOUND);
	assert_non_null(strstr(r.problem, "holds no ledger"));
	test_rmdir(dir);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rebuild_in_place_answers_identically),
		T(test_rebuild_restores_deleted_derived_databases),
		T(test_rebuild_then_appends_match_a_ledger_never_rebuilt),
		T(test_rebuild_refuses_a_corrupted_entry),
		T(test_rebuild_refuses_a_forged_checkpoint),
		T(test_rebuild_refuses_while_another_process_has_the_ledger),
		cmocka_unit_test(
		        test_rebuild_refuses_a_directory_without_a_ledger),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
