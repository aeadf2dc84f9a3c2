/* SPDX-License-Identifier: MIT */
/*
 * Traceability through the real daemon: a small supply chain stamped over
 * ipc://, then every traceability operation through the client library,
 * each answer compared with what the chain implies; RecallStatus without a
 * key refused, then allowed by --public-recall-status; bad IDs refused with
 * their reason.
 */
#include "daemon.h"

#include <stdlib.h>
#include <string.h>

#define FLOUR  "urn:epc:class:lgtin:4000002.000002.F1"
#define BREAD  "urn:epc:class:lgtin:4000003.000003.B1"
#define LOAF   "urn:epc:id:sgtin:4000003.000003.%d"
#define LOAF_1 "urn:epc:id:sgtin:4000003.000003.1"
#define CASE1  "urn:epc:id:sscc:4000003.0000000001"
#define STORE1 "urn:epc:id:sgln:4000005.00001.0"
#define OVEN   "urn:epc:id:giai:4000003.OVEN-7"
#define PROBE  "urn:epc:id:sgtin:4000003.000009.55"
#define T0     1767225600

struct world {
	td_daemon d;
	wb_rpc_client *admin;
	wb_signer *mill, *bakery, *shop;
	uint64_t recall, case_pack, probe_install;
	int64_t clock;
};

static uint64_t
submit(struct world *w, const wb_signer *s, wb_stamp *st)
{
	st->event_time.seconds = w->clock += 60;
	return td_submit_stamp(&w->d, w->admin, s, st);
}

static void
object(struct world *w, const wb_signer *s, const char *ev, const char *id,
       wb_action action, const char *step, const char *location)
{
	const char *ids[1] = { id };
	wb_location loc = { location, NULL };
	wb_stamp st = { .event_id = ev, .kind = WB_KIND_OBJECT };

	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	st.biz_location = location != NULL ? &loc : NULL;
	submit(w, s, &st);
}

/* Mill: flour lot F1. Bakery: bread lot B1 from it, loaves 1-3 of B1
 * packed in CASE1, shipped to the supermarket's store; a probe installed
 * in the oven. */
static void
stamp_chain(struct world *w)
{
	wb_quantity flour = { FLOUR, true, 1000, "KGM" },
	            used = { FLOUR, true, 500, "KGM" },
	            bread = { BREAD, true, 400, "KGM" };
	char loaves[3][64];
	const char *children[3], *probe[1] = { PROBE };
	wb_stamp st = { .event_id = "flour", .kind = WB_KIND_OBJECT };

	st.quantities = &flour;
	st.n_quantities = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	submit(w, w->mill, &st);

	st = (wb_stamp){ .event_id = "baking", .kind = WB_KIND_TRANSFORMATION };
	st.input_quantities = &used;
	st.n_input_quantities = 1;
	st.output_quantities = &bread;
	st.n_output_quantities = 1;
	submit(w, w->bakery, &st);

	for (int i = 0; i < 3; i++) {
		char ev[16];

		snprintf(loaves[i], sizeof(loaves[i]), LOAF, i + 1);
		snprintf(ev, sizeof(ev), "loaf-%d", i + 1);
		children[i] = loaves[i];
		st = (wb_stamp){ .event_id = ev, .kind = WB_KIND_OBJECT };
		st.epcs = &children[i];
		st.n_epcs = 1;
		st.has_action = true;
		st.action = WB_ACTION_ADD;
		st.biz_step = "commissioning";
		st.ilmd_json = "{\"cbvmda:lotNumber\":\"B1\"}";
		submit(w, w->bakery, &st);
	}
	st = (wb_stamp){ .event_id = "pack", .kind = WB_KIND_AGGREGATION };
	st.parent_id = CASE1;
	st.epcs = children;
	st.n_epcs = 3;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "packing";
	w->case_pack = submit(w, w->bakery, &st);
	object(w, w->bakery, "ship", CASE1, WB_ACTION_OBSERVE, "shipping",
	       NULL);
	object(w, w->shop, "receive", CASE1, WB_ACTION_OBSERVE, "receiving",
	       STORE1);

	object(w, w->bakery, "oven", OVEN, WB_ACTION_ADD, "commissioning",
	       NULL);
	object(w, w->bakery, "probe", PROBE, WB_ACTION_ADD, "commissioning",
	       NULL);
	st = (wb_stamp){ .event_id = "install", .kind = WB_KIND_ASSOCIATION };
	st.parent_id = OVEN;
	st.epcs = probe;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "installing";
	w->probe_install = submit(w, w->bakery, &st);
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
	wb_stamp st = { .event_id = "recall-f1", .kind = WB_KIND_RECALL };

	st.recall = &r;
	w->recall = submit(w, w->mill, &st);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->clock = T0;
	td_ledger(&w->d, WB_CUSTODY_ADVISORY);
	td_start(&w->d, "ipc", NULL);
	w->admin = td_client(&w->d, w->d.admin, false);
	w->mill = td_register(&w->d, w->admin, "Mill", 21, 0, "4000002");
	w->bakery = td_register(&w->d, w->admin, "Bakery", 22, 0, "4000003");
	w->shop = td_register(&w->d, w->admin, "Supermarket", 24,
	                      1u << WB_ROLE_RETAILER, "4000005");
	stamp_chain(w);
	recall_flour(w);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_rpc_client_close(w->admin);
	td_stop(&w->d);
	wb_signer_free(w->mill);
	wb_signer_free(w->bakery);
	wb_signer_free(w->shop);
	td_cleanup(&w->d);
	free(w);
	return 0;
}

static void
test_rpc_trace_recall_status_explains_the_loaf(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->shop, false);
	wb_recall_status *s = NULL;
	wb_problem p;

	assert_int_equal(
	        wb_rpc_recall_status(&s, c, "urn:epc:id:sgtin:4000003.000003.2",
	                             &p),
	        WB_OK);
	assert_int_equal(s->state, WB_RECALL_AFFECTED);
	assert_int_equal(s->n_hits, 1);
	assert_int_equal(s->hits[0].recall_index, w->recall);
	assert_int_equal(s->hits[0].state, WB_RECALL_AFFECTED);
	assert_string_equal(s->hits[0].reason, "Salmonella in flour lot F1");
	assert_true(s->hits[0].has_severity);
	assert_int_equal(s->hits[0].severity, WB_RECALL_CLASS_I);
	assert_string_equal(s->hits[0].issuer_name, "Mill");
	assert_int_equal(s->hits[0].n_path, 3);
	assert_string_equal(s->hits[0].path[0], FLOUR);
	assert_string_equal(s->hits[0].path[1], BREAD);
	assert_string_equal(s->hits[0].path[2],
	                    "urn:epc:id:sgtin:4000003.000003.2");
	assert_int_equal(s->hits[0].path_edges[0], WB_EDGE_MADE_FROM);
	assert_int_equal(s->hits[0].path_edges[1], WB_EDGE_MEMBER_OF);
	wb_recall_status_free(s);

	/* The case holds affected loaves; the oven is clear. */
	assert_int_equal(wb_rpc_recall_status(&s, c, CASE1, &p), WB_OK);
	assert_int_equal(s->state, WB_RECALL_HOLDING);
	wb_recall_status_free(s);
	assert_int_equal(wb_rpc_recall_status(&s, c, OVEN, &p), WB_OK);
	assert_int_equal(s->state, WB_RECALL_CLEAR);
	assert_int_equal(s->n_hits, 0);
	wb_recall_status_free(s);
	wb_rpc_client_close(c);
}

static void
test_rpc_trace_bad_and_unknown_ids_are_refused(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->shop, false);
	wb_recall_status *s = NULL;
	wb_passport *pp = NULL;
	wb_problem p;

	assert_int_equal(wb_rpc_recall_status(&s, c, "urn:epc:id:sgtin:12", &p),
	                 WB_EREJECTED);
	assert_null(s);
	assert_int_equal(p.reason, WB_REJECT_BAD_ID);
	assert_true(strlen(p.msg) > 0);
	assert_int_equal(wb_rpc_passport(&pp, c,
	                                 "urn:epc:id:sgtin:4000003.000003.999",
	                                 &p),
	                 WB_ENOTFOUND);
	assert_null(pp);
	assert_true(strlen(p.msg) > 0);
	/* An impact asked of a stamp that is not a recall. */
	wb_recall_impact *im = NULL;
	assert_int_equal(wb_rpc_recall_impact(&im, c, w->case_pack, 0, 0, &p),
	                 WB_ENOTFOUND);
	assert_null(im);
	wb_rpc_client_close(c);
}

static void
test_rpc_trace_reads_need_a_key(void **state)
{
	struct world *w = *state;
	wb_rpc_client *anon = td_client(&w->d, NULL, false);
	wb_recall_status *s = NULL;
	wb_passport *pp = NULL;
	wb_problem p;
	wb_err rc;

	rc = wb_rpc_recall_status(&s, anon, CASE1, &p);
	assert_int_equal(rc, WB_EDENIED);
	assert_null(s);
	wb_rpc_client_close(anon);

	/* Restarted with --public-recall-status: RecallStatus answers without
	 * a key; the passport still needs one. */
	td_stop(&w->d);
	td_start(&w->d, "ipc", "--public-recall-status", NULL);
	anon = td_client(&w->d, NULL, false);
	assert_int_equal(wb_rpc_recall_status(&s, anon, LOAF_1, &p), WB_OK);
	assert_int_equal(s->state, WB_RECALL_AFFECTED);
	wb_recall_status_free(s);
	assert_int_equal(wb_rpc_passport(&pp, anon, LOAF_1, &p), WB_EDENIED);
	assert_null(pp);
	wb_rpc_client_close(anon);
}

static void
test_rpc_trace_passport_and_where(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->shop, true);
	wb_passport *pp = NULL;
	wb_where_step *steps = NULL;
	size_t n = 0;
	wb_problem p;

	assert_int_equal(wb_rpc_passport(&pp, c, CASE1, &p), WB_OK);
	assert_string_equal(pp->id, CASE1);
	assert_int_equal(pp->kind, WB_ID_GS1_ITEM);
	assert_string_equal(pp->custodian_name, "Supermarket");
	assert_string_equal(pp->location, STORE1);
	assert_false(pp->in_transit);
	assert_int_equal(pp->n_stamps, 3);
	assert_int_equal(pp->first_index, w->case_pack);
	assert_non_null(pp->recalls);
	assert_int_equal(pp->recalls->state, WB_RECALL_HOLDING);
	wb_passport_free(pp);

	assert_int_equal(wb_rpc_where(&steps, &n, c, CASE1, &p), WB_OK);
	assert_int_equal(n, 3);
	assert_string_equal(steps[0].act, "pack");
	assert_string_equal(steps[1].act, "ship");
	assert_string_equal(steps[1].signer_name, "Bakery");
	assert_string_equal(steps[2].act, "receive");
	assert_string_equal(steps[2].location, STORE1);
	assert_string_equal(steps[2].custodian_name, "Supermarket");
	assert_true(steps[1].event_time.seconds < steps[2].event_time.seconds);
	free(steps);
	wb_rpc_client_close(c);
}

static void
test_rpc_trace_up_and_down(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->shop, false);
	wb_trace_opts o = { 0 };
	wb_trace *t = NULL;
	wb_problem p;
	bool flour = false, bread = false;

	/* Upstream from a loaf: its lot, and the flour the lot was made of. */
	assert_int_equal(wb_rpc_trace(&t, c, LOAF_1, &o, &p), WB_OK);
	assert_string_equal(t->nodes[0].id, LOAF_1);
	assert_int_equal(t->n_nodes, 3);
	for (size_t i = 0; i < t->n_nodes; i++) {
		flour |= strcmp(t->nodes[i].id, FLOUR) == 0;
		bread |= strcmp(t->nodes[i].id, BREAD) == 0;
	}
	assert_true(flour && bread);
	assert_int_equal(t->n_edges, 2);
	assert_false(t->truncated);
	wb_trace_free(t);

	/* Downstream from the flour: the bread lot, three loaves, the case. */
	o.down = true;
	assert_int_equal(wb_rpc_trace(&t, c, FLOUR, &o, &p), WB_OK);
	assert_int_equal(t->n_nodes, 6);
	for (size_t i = 0; i < t->n_edges; i++) {
		if (t->edges[i].type == WB_EDGE_MADE_FROM) {
			assert_true(t->edges[i].has_quantity);
			assert_true(t->edges[i].quantity == 500);
		}
	}
	wb_trace_free(t);

	/* Down with a depth of 1: only the bread lot, and truncated. */
	o.max_depth = 1;
	assert_int_equal(wb_rpc_trace(&t, c, FLOUR, &o, &p), WB_OK);
	assert_int_equal(t->n_nodes, 2);
	assert_true(t->truncated);
	wb_trace_free(t);

	/* As of the index before the case was packed: no case yet. */
	o.max_depth = 0;
	o.as_of.index = w->case_pack - 1;
	assert_int_equal(wb_rpc_trace(&t, c, FLOUR, &o, &p), WB_OK);
	assert_int_equal(t->n_nodes, 5);
	wb_trace_free(t);
	wb_rpc_client_close(c);
}

static void
test_rpc_trace_installations(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->bakery, false);
	wb_installation *v = NULL;
	size_t n = 0;
	wb_problem p;

	assert_int_equal(wb_rpc_installations(&v, &n, c, PROBE, &p), WB_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].asset, OVEN);
	assert_int_equal(v[0].installed, w->probe_install);
	assert_int_equal(v[0].removed, 0);
	wb_installations_free(v, n);
	/* The oven was never installed anywhere. */
	assert_int_equal(wb_rpc_installations(&v, &n, c, OVEN, &p), WB_OK);
	assert_int_equal(n, 0);
	wb_installations_free(v, n);
	wb_rpc_client_close(c);
}

static void
test_rpc_trace_impact_pages(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->mill, false);
	wb_recall_impact *im = NULL;
	wb_problem p;
	size_t seen = 0, offset = 0, pages = 0;

	/* Affected: the flour, the bread lot, three loaves; holding: the
	 * case. Pages of two. */
	do {
		assert_int_equal(
		        wb_rpc_recall_impact(&im, c, w->recall, offset, 2, &p),
		        WB_OK);
		assert_true(im->active);
		assert_int_equal(im->n_affected, 5);
		assert_int_equal(im->n_holding, 1);
		assert_true(im->n_twins <= 2);
		assert_true(im->n_groups >= 1);
		seen += im->n_twins;
		offset = im->next;
		pages++;
		wb_recall_impact_free(im);
	} while (offset != 0 && pages < 10);
	assert_int_equal(seen, 6);
	assert_int_equal(pages, 3);
	wb_rpc_client_close(c);
}

static void
test_rpc_trace_recalls_since(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->shop, false);
	wb_recall_notice *v = NULL;
	size_t n = 0;
	wb_problem p;

	assert_int_equal(wb_rpc_recalls_since(&v, &n, c, 0, 0, &p), WB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].index, w->recall);
	assert_false(v[0].lift);
	assert_string_equal(v[0].reason, "Salmonella in flour lot F1");
	assert_int_equal(v[0].n_targets, 1);
	assert_string_equal(v[0].targets[0], FLOUR);
	wb_recall_notices_free(v, n);
	assert_int_equal(wb_rpc_recalls_since(&v, &n, c, w->recall, 0, &p),
	                 WB_OK);
	assert_int_equal(n, 0);
	wb_recall_notices_free(v, n);
	wb_rpc_client_close(c);
}

static void
test_rpc_trace_search(void **state)
{
	struct world *w = *state;
	wb_rpc_client *c = td_client(&w->d, w->shop, false);
	wb_search_query q = { .biz_step = "commissioning" };
	uint64_t *hits = NULL, next = 0;
	size_t n = 0;
	wb_problem p;

	/* Flour, three loaves, the oven and the probe. */
	assert_int_equal(wb_rpc_search(&hits, &n, &next, c, &q, NULL, &p),
	                 WB_OK);
	assert_int_equal(n, 6);
	assert_int_equal(next, 0);
	for (size_t i = 1; i < n; i++) {
		assert_true(hits[i - 1] < hits[i]);
	}
	free(hits);
	/* The same filtered to the mill's stamps: only the flour. */
	assert_int_equal(wb_rpc_search(&hits, &n, &next, c, &q,
	                               wb_signer_pubkey(w->mill), &p),
	                 WB_OK);
	assert_int_equal(n, 1);
	free(hits);
	/* A page of two, then the rest from the cursor. */
	q.limit = 2;
	assert_int_equal(wb_rpc_search(&hits, &n, &next, c, &q, NULL, &p),
	                 WB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(next, hits[1]);
	free(hits);
	q.after = next;
	q.limit = 0;
	assert_int_equal(wb_rpc_search(&hits, &n, &next, c, &q, NULL, &p),
	                 WB_OK);
	assert_int_equal(n, 4);
	free(hits);
	/* A cursor past the last match: an empty page, not an error. */
	q.after = UINT64_MAX - 1;
	assert_int_equal(wb_rpc_search(&hits, &n, &next, c, &q, NULL, &p),
	                 WB_OK);
	assert_int_equal(n, 0);
	assert_int_equal(next, 0);
	free(hits);
	q.after = 0;
	/* A key nobody registered is refused, not silently empty. */
	wb_signer *stranger = test_signer("Stranger", 99);
	assert_int_equal(wb_rpc_search(&hits, &n, &next, c, &q,
	                               wb_signer_pubkey(stranger), &p),
	                 WB_EREJECTED);
	assert_true(strlen(p.msg) > 0);
	wb_signer_free(stranger);
	wb_rpc_client_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		        test_rpc_trace_recall_status_explains_the_loaf, setup,
		        teardown),
		cmocka_unit_test_setup_teardown(
		        test_rpc_trace_bad_and_unknown_ids_are_refused, setup,
		        teardown),
		cmocka_unit_test_setup_teardown(test_rpc_trace_reads_need_a_key,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
		        test_rpc_trace_passport_and_where, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpc_trace_up_and_down,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpc_trace_installations,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpc_trace_impact_pages,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpc_trace_recalls_since,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpc_trace_search, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
