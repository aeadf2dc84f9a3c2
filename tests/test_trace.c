/* SPDX-License-Identifier: MIT */
/*
 * Traceability scenario (a): farm -> mill -> bakery -> distributor ->
 * supermarket. A flour-lot recall reaches individual loaves and the stores
 * holding them; the pallets and cases holding affected loaves are reported
 * as holding, their clean neighbours are clear; then a lift clears all.
 * Expected answers are written out in full.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/trace.h"

#define WHEAT   "urn:epc:class:lgtin:4000001.000001.W1"
#define FLOUR   "urn:epc:class:lgtin:4000002.000002.F1"
#define FLOUR2  "urn:epc:class:lgtin:4000002.000002.F2"
#define BREAD   "urn:epc:class:lgtin:4000003.000003.B1"
#define BREAD2  "urn:epc:class:lgtin:4000003.000003.B2"
#define LOAF    "urn:epc:id:sgtin:4000003.000003.%d"
#define CASE1   "urn:epc:id:sscc:4000003.0000000001"
#define CASE2   "urn:epc:id:sscc:4000003.0000000002"
#define CASE3   "urn:epc:id:sscc:4000003.0000000003"
#define PALLET1 "urn:epc:id:sscc:4000003.0000000011"
#define PALLET2 "urn:epc:id:sscc:4000003.0000000012"
#define STORE1  "urn:epc:id:sgln:4000005.00001.0"
#define STORE2  "urn:epc:id:sgln:4000005.00002.0"
#define BAKERY  "urn:epc:id:sgln:4000003.00001.0"

struct world {
	fx_ledger fx;
	wb_signer *farm, *mill, *bakery, *dist, *shop, *fda;
	uint64_t shop_id, recall;
	int64_t clock;
};

static void
submit(struct world *w, const wb_signer *s, wb_stamp *st)
{
	wb_result res;

	st->event_time.seconds = w->clock += 60;
	if (fx_submit(&w->fx, s, st, &res) != WB_OK) {
		fail_msg("%s refused: %s", st->event_id, res.problem.msg);
	}
}

static void
object(struct world *w, const wb_signer *s, const char *ev, const char *id,
       wb_action action, const char *step, const char *location)
{
	const char *ids[1] = { id };
	wb_location loc = { location, NULL };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	st.biz_location = location ? &loc : NULL;
	submit(w, s, &st);
}

static void
commission_class(struct world *w, const wb_signer *s, const char *ev,
                 const char *lot)
{
	wb_quantity q = { lot, true, 1000, "KGM" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.quantities = &q;
	st.n_quantities = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	submit(w, s, &st);
}

static void
transform(struct world *w, const wb_signer *s, const char *ev, const char *in,
          const char *out)
{
	wb_quantity qi = { in, true, 500, "KGM" },
	            qo = { out, true, 400, "KGM" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_TRANSFORMATION, ev);
	st.input_quantities = &qi;
	st.n_input_quantities = 1;
	st.output_quantities = &qo;
	st.n_output_quantities = 1;
	submit(w, s, &st);
}

static void
loaf(struct world *w, int n, const char *lot)
{
	char id[64], ev[32], ilmd[64];
	const char *ids[1] = { id };
	wb_stamp st;

	snprintf(id, sizeof(id), LOAF, n);
	snprintf(ev, sizeof(ev), "loaf-%d", n);
	snprintf(ilmd, sizeof(ilmd), "{\"cbvmda:lotNumber\":\"%s\"}", lot);
	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, ev);
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	st.ilmd_json = ilmd;
	submit(w, w->bakery, &st);
}

static void
pack(struct world *w, const char *ev, const char *parent, const char **children,
     size_t n)
{
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_AGGREGATION, ev);
	st.parent_id = parent;
	st.epcs = children;
	st.n_epcs = n;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "packing";
	submit(w, w->bakery, &st);
}

static void
deliver(struct world *w, const char *tag, const char *pallet, const char *store)
{
	char ev[64];

	snprintf(ev, sizeof(ev), "%s-ship1", tag);
	object(w, w->bakery, ev, pallet, WB_ACTION_OBSERVE, "shipping", BAKERY);
	snprintf(ev, sizeof(ev), "%s-recv1", tag);
	object(w, w->dist, ev, pallet, WB_ACTION_OBSERVE, "receiving", NULL);
	snprintf(ev, sizeof(ev), "%s-ship2", tag);
	object(w, w->dist, ev, pallet, WB_ACTION_OBSERVE, "shipping", NULL);
	snprintf(ev, sizeof(ev), "%s-recv2", tag);
	object(w, w->shop, ev, pallet, WB_ACTION_OBSERVE, "receiving", store);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char ids[10][64];
	const char *c1[4], *c2[4], *c3[2], *p1[2] = { CASE1, CASE3 },
	                                   *p2[1] = { CASE2 };

	assert_non_null(w);
	w->clock = FX_EVENT_TIME;
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->farm = fx_register(&w->fx, "Farm", 20, 0, "4000001", NULL, NULL);
	w->mill = fx_register(&w->fx, "Mill", 21, 0, "4000002", NULL, NULL);
	w->bakery = fx_register(&w->fx, "Bakery", 22, 0, "4000003", NULL, NULL);
	w->dist = fx_register(&w->fx, "Distributor", 23,
	                      FX_ROLE(WB_ROLE_LOGISTICS), NULL, NULL, NULL);
	w->shop = fx_register(&w->fx, "Supermarket", 24,
	                      FX_ROLE(WB_ROLE_RETAILER), "4000005", NULL,
	                      &w->shop_id);
	w->fda = fx_register(&w->fx, "FDA", 25, FX_ROLE(WB_ROLE_REGULATOR),
	                     NULL, NULL, NULL);
	commission_class(w, w->farm, "wheat", WHEAT);
	transform(w, w->mill, "milling-1", WHEAT, FLOUR);
	transform(w, w->mill, "milling-2", WHEAT, FLOUR2);
	transform(w, w->bakery, "baking-1", FLOUR, BREAD);
	transform(w, w->bakery, "baking-2", FLOUR2, BREAD2);
	for (int i = 1; i <= 10; i++) {
		loaf(w, i, i <= 8 ? "B1" : "B2");
		snprintf(ids[i - 1], sizeof(ids[i - 1]), LOAF, i);
	}
	for (int i = 0; i < 4; i++) {
		c1[i] = ids[i];
		c2[i] = ids[4 + i];
	}
	c3[0] = ids[8];
	c3[1] = ids[9];
	pack(w, "pack-c1", CASE1, c1, 4);
	pack(w, "pack-c2", CASE2, c2, 4);
	pack(w, "pack-c3", CASE3, c3, 2);
	pack(w, "pack-p1", PALLET1, p1, 2);
	pack(w, "pack-p2", PALLET2, p2, 1);
	deliver(w, "p1", PALLET1, STORE1);
	deliver(w, "p2", PALLET2, STORE2);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_signer_free(w->farm);
	wb_signer_free(w->mill);
	wb_signer_free(w->bakery);
	wb_signer_free(w->dist);
	wb_signer_free(w->shop);
	wb_signer_free(w->fda);
	fx_close(&w->fx);
	free(w);
	return 0;
}

static void
recall_flour(struct world *w)
{
	const char *targets[1] = { FLOUR };
	wb_recall r = { targets,
		        1,
		        "Salmonella in flour lot F1",
		        true,
		        WB_RECALL_CLASS_I,
		        "FDA-2026-0042" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_RECALL, "recall-f1");
	st.recall = &r;
	submit(w, w->mill, &st);
	w->recall = fx_size(&w->fx) - 1;
}

static wb_recall_status *
status(struct world *w, const char *id)
{
	wb_recall_status *s = NULL;
	wb_problem p;

	if (wb_recall_status_get(&s, w->fx.j, id, &p) != WB_OK) {
		fail_msg("status of %s: %s", id, p.msg);
	}
	return s;
}

static void
test_trace_nothing_recalled_is_clear(void **state)
{
	struct world *w = *state;
	wb_recall_status *s = status(w, "urn:epc:id:sgtin:4000003.000003.1");

	assert_int_equal(s->state, WB_RECALL_CLEAR);
	assert_int_equal(s->n_hits, 0);
	wb_recall_status_free(s);
}

static void
test_trace_flour_recall_reaches_the_loaf_with_its_path(void **state)
{
	struct world *w = *state;
	wb_recall_status *s;

	recall_flour(w);
	s = status(w, "urn:epc:id:sgtin:4000003.000003.3");
	assert_int_equal(s->state, WB_RECALL_AFFECTED);
	assert_int_equal(s->n_hits, 1);
	assert_int_equal(s->hits[0].recall_index, w->recall);
	assert_string_equal(s->hits[0].reason, "Salmonella in flour lot F1");
	assert_true(s->hits[0].has_severity);
	assert_int_equal(s->hits[0].severity, WB_RECALL_CLASS_I);
	assert_string_equal(s->hits[0].issuer_name, "Mill");
	/* recalled flour lot -> bread lot -> this loaf */
	assert_int_equal(s->hits[0].n_path, 3);
	assert_string_equal(s->hits[0].path[0], FLOUR);
	assert_string_equal(s->hits[0].path[1], BREAD);
	assert_string_equal(s->hits[0].path[2],
	                    "urn:epc:id:sgtin:4000003.000003.3");
	assert_int_equal(s->hits[0].path_edges[0], WB_EDGE_MADE_FROM);
	assert_int_equal(s->hits[0].path_edges[1], WB_EDGE_MEMBER_OF);
	wb_recall_status_free(s);
	/* The same loaf by its Digital Link. */
	s = status(w, "https://id.gs1.org/01/04000003000034/21/3");
	assert_int_equal(s->state, WB_RECALL_AFFECTED);
	wb_recall_status_free(s);
	/* A loaf of the other bread lot is clear. */
	s = status(w, "urn:epc:id:sgtin:4000003.000003.9");
	assert_int_equal(s->state, WB_RECALL_CLEAR);
	wb_recall_status_free(s);
}

static void
test_trace_containers_hold_but_are_not_affected(void **state)
{
	struct world *w = *state;
	wb_recall_status *s;

	recall_flour(w);
	s = status(w, CASE1);
	assert_int_equal(s->state, WB_RECALL_HOLDING);
	assert_int_equal(s->n_hits, 1);
	assert_int_equal(s->hits[0].state, WB_RECALL_HOLDING);
	/* flour -> bread -> a loaf -> inside this case */
	assert_string_equal(s->hits[0].path[0], FLOUR);
	assert_string_equal(s->hits[0].path[s->hits[0].n_path - 1], CASE1);
	wb_recall_status_free(s);
	s = status(w, PALLET1);
	assert_int_equal(s->state, WB_RECALL_HOLDING);
	wb_recall_status_free(s);
	/* The clean case on the same pallet is clear. */
	s = status(w, CASE3);
	assert_int_equal(s->state, WB_RECALL_CLEAR);
	wb_recall_status_free(s);
}

static void
test_trace_impact_is_the_pull_list_by_store(void **state)
{
	struct world *w = *state;
	wb_recall_impact *im = NULL;
	wb_problem p;
	size_t affected_store1 = 0, holding_store1 = 0;

	recall_flour(w);
	assert_int_equal(
	        wb_recall_impact_get(&im, w->fx.j, w->recall, 0, 100, &p),
	        WB_OK);
	assert_true(im->active);
	/* F1, B1 and loaves 1-8. */
	assert_int_equal(im->n_affected, 10);
	/* Cases 1 and 2, pallets 1 and 2. */
	assert_int_equal(im->n_holding, 4);
	assert_int_equal(im->n_twins, 14);
	assert_int_equal(im->next, 0);
	for (size_t i = 0; i < im->n_groups; i++) {
		const wb_impact_group *g = &im->groups[i];

		if (strcmp(g->location, STORE1) == 0) {
			assert_string_equal(g->custodian_name, "Supermarket");
			affected_store1 = g->affected;
			holding_store1 = g->holding;
		}
	}
	/* Loaves 1-4 in case 1 on pallet 1 at store 1. */
	assert_int_equal(affected_store1, 4);
	assert_int_equal(holding_store1, 2);
	for (size_t i = 0; i < im->n_twins; i++) {
		assert_string_not_equal(im->twins[i].id, CASE3);
	}
	wb_recall_impact_free(im);
	/* Paged. */
	assert_int_equal(
	        wb_recall_impact_get(&im, w->fx.j, w->recall, 10, 3, &p),
	        WB_OK);
	assert_int_equal(im->n_twins, 3);
	assert_int_equal(im->next, 13);
	assert_true(im->twins[0].holding);
	wb_recall_impact_free(im);
}

static void
test_trace_lift_clears_and_since_lists_both(void **state)
{
	struct world *w = *state;
	wb_lift l = { 0, NULL, 0, "test negative" };
	wb_recall_notice *n = NULL;
	wb_recall_status *s;
	size_t count;
	wb_stamp st;

	recall_flour(w);
	l.recall_index = w->recall;
	fx_stamp_init(&st, &w->fx, WB_KIND_LIFT, "lift-f1");
	st.lift = &l;
	submit(w, w->fda, &st);
	s = status(w, "urn:epc:id:sgtin:4000003.000003.3");
	assert_int_equal(s->state, WB_RECALL_CLEAR);
	wb_recall_status_free(s);
	assert_int_equal(wb_recalls_since(&n, &count, w->fx.j, 0, 10), WB_OK);
	assert_int_equal(count, 2);
	assert_false(n[0].lift);
	assert_int_equal(n[0].index, w->recall);
	assert_string_equal(n[0].reason, "Salmonella in flour lot F1");
	assert_int_equal(n[0].n_targets, 1);
	assert_string_equal(n[0].targets[0], FLOUR);
	assert_true(n[1].lift);
	assert_int_equal(n[1].recall_index, w->recall);
	wb_recall_notices_free(n, count);
	assert_int_equal(wb_recalls_since(&n, &count, w->fx.j, w->recall, 10),
	                 WB_OK);
	assert_int_equal(count, 1);
	wb_recall_notices_free(n, count);
}

static void
test_trace_passport_of_a_loaf(void **state)
{
	struct world *w = *state;
	wb_passport *pp = NULL;
	wb_problem p;

	recall_flour(w);
	assert_int_equal(wb_passport_get(&pp, w->fx.j,
	                                 "urn:epc:id:sgtin:4000003.000003.2",
	                                 &p),
	                 WB_OK);
	assert_string_equal(pp->commissioner_name, "Bakery");
	assert_string_equal(pp->custodian_name, "Supermarket");
	assert_string_equal(pp->location, STORE1);
	assert_string_equal(pp->container, CASE1);
	assert_int_equal(pp->recalls->state, WB_RECALL_AFFECTED);
	assert_int_equal(pp->n_stamps, 2); /* commissioned, packed */
	wb_passport_free(pp);
}

static void
test_trace_where_follows_the_containers(void **state)
{
	struct world *w = *state;
	wb_where_step *v = NULL;
	size_t n = 0;
	wb_problem p;

	/* The loaf was never stamped after its case was packed, but its case
	 * went on a pallet that was shipped and received twice: the loaf's
	 * timeline shows those moves through the pallet, and its custody
	 * follows them. */
	assert_int_equal(wb_where(&v, &n, w->fx.j,
	                          "urn:epc:id:sgtin:4000003.000003.2", &p),
	                 WB_OK);
	/* commissioned, packed in its case, the case packed on the pallet,
	 * the pallet shipped and received twice */
	assert_int_equal(n, 7);
	assert_string_equal(v[0].act, "commission");
	assert_string_equal(v[0].via, "");
	assert_string_equal(v[1].act, "pack");
	assert_string_equal(v[1].via, "");
	assert_string_equal(v[2].act, "pack");
	assert_string_equal(v[2].via, CASE1);
	for (size_t i = 3; i < n; i++) {
		assert_string_equal(v[i].via, PALLET1);
	}
	assert_string_equal(v[3].biz_step, "shipping");
	assert_string_equal(v[4].biz_step, "receiving");
	assert_string_equal(v[4].custodian_name, "Distributor");
	assert_string_equal(v[6].biz_step, "receiving");
	assert_string_equal(v[6].custodian_name, "Supermarket");
	assert_string_equal(v[6].location, STORE1);
	free(v);
}

static void
test_trace_upstream_and_downstream(void **state)
{
	struct world *w = *state;
	wb_trace_opts o = { 0 };
	wb_trace *t = NULL;
	wb_problem p;
	bool has_wheat = false;

	/* Up from a loaf: its bread lot, flour lot, wheat lot. */
	assert_int_equal(wb_trace_twin(&t, w->fx.j,
	                               "urn:epc:id:sgtin:4000003.000003.1", &o,
	                               &p),
	                 WB_OK);
	assert_int_equal(t->n_nodes, 4);
	for (size_t i = 0; i < t->n_nodes; i++) {
		has_wheat |= strcmp(t->nodes[i].id, WHEAT) == 0;
	}
	assert_true(has_wheat);
	assert_false(t->truncated);
	wb_trace_free(t);
	/* Down from the flour lot: bread lot, 8 loaves, 2 cases, 2
	 * pallets. */
	o.down = true;
	assert_int_equal(wb_trace_twin(&t, w->fx.j, FLOUR, &o, &p), WB_OK);
	assert_int_equal(t->n_nodes, 1 + 1 + 8 + 2 + 2);
	wb_trace_free(t);
	/* Depth and node limits say the result is truncated. */
	o.max_depth = 1;
	assert_int_equal(wb_trace_twin(&t, w->fx.j, FLOUR, &o, &p), WB_OK);
	assert_int_equal(t->n_nodes, 2);
	assert_true(t->truncated);
	wb_trace_free(t);
	o.max_depth = 0;
	o.max_nodes = 5;
	assert_int_equal(wb_trace_twin(&t, w->fx.j, FLOUR, &o, &p), WB_OK);
	assert_int_equal(t->n_nodes, 5);
	assert_true(t->truncated);
	wb_trace_free(t);
	assert_int_equal(wb_trace_twin(&t, w->fx.j, "urn:example:none", &o, &p),
	                 WB_ENOTFOUND);
}
/* A lot first named by an item's ILMD takes a standard name: the LGTIN
 * URI when the item is an SGTIN URI (scenario (d) of test_lineage), else
 * the Digital Link, escaped as each syntax requires. */
static void
test_trace_lot_named_by_a_digital_link_item(void **state)
{
	struct world *w = *state;
	const char *ids[1] = { "https://id.gs1.org/01/04000003000034/21/11" };
	wb_passport *pp = NULL;
	wb_problem p;
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, "loaf-11");
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	st.ilmd_json = "{\"cbvmda:lotNumber\":\"X/Y&1\"}";
	submit(w, w->bakery, &st);
	/* Asked by its LGTIN URI, the lot answers with its name. */
	assert_int_equal(
	        wb_passport_get(&pp, w->fx.j,
	                        "urn:epc:class:lgtin:4000003.000003.X%2FY%261",
	                        &p),
	        WB_OK);
	assert_string_equal(
	        pp->id, "https://id.gs1.org/01/04000003000034/10/X%2FY%261");
	assert_string_equal(pp->key, "(01)04000003000034(10)X/Y&1");
	wb_passport_free(pp);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_trace_nothing_recalled_is_clear),
		T(test_trace_flour_recall_reaches_the_loaf_with_its_path),
		T(test_trace_containers_hold_but_are_not_affected),
		T(test_trace_impact_is_the_pull_list_by_store),
		T(test_trace_lift_clears_and_since_lists_both),
		T(test_trace_passport_of_a_loaf),
		T(test_trace_where_follows_the_containers),
		T(test_trace_upstream_and_downstream),
		T(test_trace_lot_named_by_a_digital_link_item),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
