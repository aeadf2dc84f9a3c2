/* SPDX-License-Identifier: MIT */
/*
 * Traceability scenarios (b)-(e) and search, each world built through the
 * real append path with signed stamps, the expected answers written out in
 * full:
 *  (b) an aircraft part installed on two aircraft in turn, repaired between:
 *      installations with their windows and stamps, the passport's host, the
 *      timeline by event time;
 *  (c) a pallet packed, unpacked and repacked: its contents as of an index
 *      and as of an event time; late-arriving older events recorded in
 *      history without changing current state;
 *  (d) declarations of error undoing custody, lineage and recall answers
 *      while the declared events stay in history;
 *  (e) limits: depth and node caps, cycles refused, unknown twins, bad IDs,
 *      impact of an index that is not a recall;
 *  and wb_search by every filter, combined, and paged.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/trace.h"

#define T0 ((int64_t)FX_EVENT_TIME)

/* A stakeholder of a world, by position. */
enum {
	A,
	B,
	C,
	N_WHO
};

struct world {
	fx_ledger fx;
	wb_signer *who[N_WHO];
	uint64_t who_id[N_WHO];
	uint64_t ix[32]; /* the index of each scripted step */
	size_t done;     /* steps run so far */
};

/* One scripted stamp: an event of any kind naming up to five twins. */
struct step {
	const char *ev;
	int who;
	wb_kind kind;
	wb_action action;
	const char *biz_step;
	const char *loc;
	const char *parent;
	const char *ids[6]; /* NULL-terminated */
	int64_t t;          /* event time: seconds after T0 */
};

/* A step: its IDs come last, NULL for none. */
#define STEP(ev, who, kind, action, biz_step, loc, parent, t, ...)             \
	{                                                                      \
		ev, who, kind, action, biz_step, loc, parent, { __VA_ARGS__ }, \
		        t                                                      \
	}

/* A stamp under construction with the storage it points into. */
struct built {
	wb_stamp st;
	wb_location loc;
	const char *ids[6];
};

static void
build(struct built *b, const struct world *w, const struct step *s)
{
	size_t n = 0;

	memset(b, 0, sizeof(*b));
	fx_stamp_init(&b->st, &w->fx, s->kind, s->ev);
	if (s->action != WB_ACTION_UNSPECIFIED) {
		b->st.has_action = true;
		b->st.action = s->action;
	}
	b->st.biz_step = s->biz_step;
	if (s->loc != NULL) {
		b->loc.id = s->loc;
		b->st.biz_location = &b->loc;
	}
	b->st.parent_id = s->parent;
	while (n < 5 && s->ids[n] != NULL) {
		b->ids[n] = s->ids[n];
		n++;
	}
	b->st.epcs = n > 0 ? b->ids : NULL;
	b->st.n_epcs = n;
	b->st.event_time.seconds = T0 + s->t;
}

/* Appends a stamp and asserts it was accepted as new, without a custody
 * gap; returns its index. */
static uint64_t
append_ok(struct world *w, int who, const wb_stamp *st)
{
	wb_result res;

	if (fx_submit(&w->fx, w->who[who], st, &res) != WB_OK) {
		fail_msg("%s refused: %s", st->event_id, res.problem.msg);
	}
	assert_false(res.duplicate);
	assert_false(res.custody_gap);
	assert_int_equal(res.index, fx_size(&w->fx) - 1);
	return res.index;
}

static uint64_t
run(struct world *w, const struct step *s)
{
	struct built b;

	build(&b, w, s);
	return append_ok(w, s->who, &b.st);
}

/* Runs the scripted steps up to `last`, inclusive. */
static void
run_until(struct world *w, const struct step *steps, size_t last)
{
	for (; w->done <= last; w->done++) {
		w->ix[w->done] = run(w, &steps[w->done]);
	}
}

/* The error declaration of a scripted stamp: the same event (its event ID
 * and event time), signed by `who`, declared wrong at `declared_t`. */
static uint64_t
declare(struct world *w, const struct step *s, int who, int64_t declared_t)
{
	wb_error_declaration ed = {
		{ T0 + declared_t, 0, false }, "incorrect_data", NULL, 0, NULL
	};
	struct built b;

	build(&b, w, s);
	b.st.error_declaration = &ed;
	return append_ok(w, who, &b.st);
}

static void
open_world(struct world *w, wb_custody custody)
{
	memset(w, 0, sizeof(*w));
	fx_open(&w->fx, custody);
}

static int
teardown(void **state)
{
	struct world *w = *state;

	for (int i = 0; i < N_WHO; i++) {
		if (w->who[i] != NULL) {
			wb_signer_free(w->who[i]);
		}
	}
	fx_close(&w->fx);
	free(w);
	return 0;
}

/*
 * Queries, asserting success.
 */

static wb_passport *
passport(struct world *w, const char *id)
{
	wb_passport *pp = NULL;
	wb_problem p;

	if (wb_passport_get(&pp, w->fx.j, id, &p) != WB_OK) {
		fail_msg("passport of %s: %s", id, p.msg);
	}
	return pp;
}

static wb_trace *
trace_as_of(struct world *w, const char *id, bool down, uint64_t index,
            bool has_time, int64_t t)
{
	wb_trace_opts o = { 0 };
	wb_trace *tr = NULL;
	wb_problem p;

	o.down = down;
	o.as_of.index = index;
	o.as_of.has_time = has_time;
	o.as_of.time.seconds = T0 + t;
	if (wb_trace_twin(&tr, w->fx.j, id, &o, &p) != WB_OK) {
		fail_msg("trace of %s: %s", id, p.msg);
	}
	return tr;
}

/* Upstream from a container: what it holds (now). */
static wb_trace *
up(struct world *w, const char *id)
{
	return trace_as_of(w, id, false, 0, false, 0);
}

/* Asserts the nodes of a trace, in order: n IDs follow. */
static void
expect_nodes(const wb_trace *t, size_t n, ...)
{
	va_list ap;

	if (t->n_nodes != n) {
		char got[1024] = "";

		for (size_t i = 0; i < t->n_nodes; i++) {
			strncat(got, t->nodes[i].id,
			        sizeof(got) - strlen(got) - 2);
			strcat(got, " ");
		}
		fail_msg("%zu nodes expected, got %zu: %s", n, t->n_nodes, got);
	}
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(t->nodes[i].id, va_arg(ap, const char *));
	}
	va_end(ap);
}

static void
expect_edge(const wb_trace_edge *e, wb_edge_type type, size_t from, size_t to,
            uint64_t opened, int64_t opened_t, uint64_t closed,
            int64_t closed_t)
{
	assert_int_equal(e->type, type);
	assert_int_equal(e->from, from);
	assert_int_equal(e->to, to);
	assert_int_equal(e->opened, opened);
	assert_int_equal(e->opened_at.seconds, T0 + opened_t);
	assert_int_equal(e->closed, closed);
	assert_int_equal(e->closed_at.seconds, closed == 0 ? 0 : T0 + closed_t);
	assert_false(e->has_quantity);
}

static wb_where_step *
where(struct world *w, const char *id, size_t *n)
{
	wb_where_step *v = NULL;
	wb_problem p;

	if (wb_where(&v, n, w->fx.j, id, &p) != WB_OK) {
		fail_msg("where of %s: %s", id, p.msg);
	}
	return v;
}

static void
expect_step(const wb_where_step *s, uint64_t index, int64_t t, const char *act,
            const char *biz_step, const char *loc, const char *signer,
            const char *custodian, bool declared)
{
	assert_int_equal(s->index, index);
	assert_int_equal(s->event_time.seconds, T0 + t);
	assert_string_equal(s->tz, "+00:00");
	assert_string_equal(s->act, act);
	assert_string_equal(s->biz_step, biz_step);
	assert_string_equal(s->location, loc);
	assert_string_equal(s->read_point, "");
	assert_string_equal(s->signer_name, signer);
	assert_string_equal(s->custodian_name, custodian);
	assert_int_equal(s->declared, declared);
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

/* The twin's history, oldest first (at most 32 entries). */
static size_t
history(struct world *w, const char *id, uint64_t out[32])
{
	wb_problem p;
	size_t n = 0;

	if (wb_journal_history(out, &n, 32, w->fx.j, id, 0, false, &p) !=
	    WB_OK) {
		fail_msg("history of %s: %s", id, p.msg);
	}
	return n;
}

/*
 * (b) An aircraft part installed on two aircraft in turn.
 */
#define PART   "urn:epc:id:giai:4000010.PUMP7"
#define AC1    "urn:epc:id:giai:4000020.AC1"
#define AC2    "urn:epc:id:giai:4000020.AC2"
#define HANGAR "urn:epc:id:sgln:4000020.00001.0"
#define SHOP   "urn:epc:id:sgln:4000030.00001.0"

enum {
	PARTSCO = A,
	AIRLINE = B,
	REPAIRER = C
};

enum {
	P_COMMISSION,
	P_SHIP,
	P_RECV,
	P_INST1,
	P_INSP1,
	P_REM1,
	P_SHIP_REP,
	P_RECV_REP,
	P_REPAIR,
	P_SHIP_BACK,
	P_RECV_BACK,
	P_INST2,
	P_INSP2,
	P_LATE_INSP, /* an inspection during the first installation,
	                recorded during the second */
	P_N,
};

static const struct step part_steps[P_N] = {
	[P_COMMISSION] =
	        STEP("part-made", PARTSCO, WB_KIND_OBJECT, WB_ACTION_ADD,
	             "commissioning", NULL, NULL, 60, PART),
	[P_SHIP] = STEP("part-ship", PARTSCO, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                "shipping", NULL, NULL, 120, PART),
	[P_RECV] = STEP("part-recv", AIRLINE, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                "receiving", HANGAR, NULL, 180, PART),
	[P_INST1] = STEP("inst-1", AIRLINE, WB_KIND_ASSOCIATION, WB_ACTION_ADD,
	                 "installing", HANGAR, AC1, 240, PART),
	[P_INSP1] = STEP("insp-1", AIRLINE, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                 "inspecting", HANGAR, NULL, 300, PART),
	[P_REM1] = STEP("rem-1", AIRLINE, WB_KIND_ASSOCIATION, WB_ACTION_DELETE,
	                "removing", HANGAR, AC1, 360, PART),
	[P_SHIP_REP] =
	        STEP("to-repair", AIRLINE, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             "shipping", HANGAR, NULL, 420, PART),
	[P_RECV_REP] =
	        STEP("at-repair", REPAIRER, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             "receiving", SHOP, NULL, 480, PART),
	[P_REPAIR] = STEP("repair", REPAIRER, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                  "repairing", SHOP, NULL, 540, PART),
	[P_SHIP_BACK] =
	        STEP("from-repair", REPAIRER, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             "shipping", SHOP, NULL, 600, PART),
	[P_RECV_BACK] = STEP("back", AIRLINE, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                     "receiving", HANGAR, NULL, 660, PART),
	[P_INST2] = STEP("inst-2", AIRLINE, WB_KIND_ASSOCIATION, WB_ACTION_ADD,
	                 "installing", HANGAR, AC2, 720, PART),
	[P_INSP2] = STEP("insp-2", AIRLINE, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                 "inspecting", HANGAR, NULL, 780, PART),
	[P_LATE_INSP] =
	        STEP("insp-1b", AIRLINE, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             "inspecting", HANGAR, NULL, 330, PART),
};

static int
setup_part(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	const struct step aircraft =
	        STEP("aircraft", AIRLINE, WB_KIND_OBJECT, WB_ACTION_ADD,
	             "commissioning", HANGAR, NULL, 10, AC1, AC2);

	assert_non_null(w);
	open_world(w, WB_CUSTODY_STRICT);
	w->who[PARTSCO] = fx_register(&w->fx, "PartsCo", 30, 0, "4000010", NULL,
	                              &w->who_id[PARTSCO]);
	w->who[AIRLINE] = fx_register(&w->fx, "Airline", 31, 0, "4000020", NULL,
	                              &w->who_id[AIRLINE]);
	w->who[REPAIRER] =
	        fx_register(&w->fx, "Repairer", 32, FX_ROLE(WB_ROLE_REPAIRER),
	                    NULL, NULL, &w->who_id[REPAIRER]);
	(void)run(w, &aircraft);
	*state = w;
	return 0;
}

static void
test_part_passport_host_follows_installs(void **state)
{
	struct world *w = *state;
	wb_passport *pp;

	run_until(w, part_steps, P_INST1);
	pp = passport(w, PART);
	assert_string_equal(pp->host, AC1);
	assert_string_equal(pp->container, "");
	assert_string_equal(pp->custodian_name, "Airline");
	assert_string_equal(pp->location, HANGAR);
	assert_false(pp->in_transit);
	wb_passport_free(pp);

	run_until(w, part_steps, P_REM1);
	pp = passport(w, PART);
	assert_string_equal(pp->host, "");
	assert_string_equal(pp->custodian_name, "Airline");
	wb_passport_free(pp);

	run_until(w, part_steps, P_REPAIR);
	pp = passport(w, PART);
	assert_string_equal(pp->host, "");
	assert_string_equal(pp->custodian_name, "Repairer");
	assert_string_equal(pp->location, SHOP);
	assert_false(pp->in_transit);
	wb_passport_free(pp);

	run_until(w, part_steps, P_LATE_INSP);
	pp = passport(w, PART);
	assert_string_equal(pp->id, PART);
	assert_string_equal(pp->key, "(8004)4000010PUMP7");
	assert_int_equal(pp->kind, WB_ID_GS1_ITEM);
	assert_int_equal(pp->commissioner, w->who_id[PARTSCO]);
	assert_string_equal(pp->commissioner_name, "PartsCo");
	assert_int_equal(pp->owner, w->who_id[PARTSCO]);
	assert_string_equal(pp->owner_name, "PartsCo");
	assert_false(pp->sold);
	assert_int_equal(pp->custodian, w->who_id[AIRLINE]);
	assert_string_equal(pp->custodian_name, "Airline");
	assert_false(pp->in_transit);
	assert_string_equal(pp->destination, "");
	assert_string_equal(pp->location, HANGAR);
	assert_string_equal(pp->location_name, "");
	assert_string_equal(pp->read_point, "");
	assert_string_equal(pp->disposition, "");
	assert_string_equal(pp->persistent, "");
	assert_string_equal(pp->container, "");
	assert_string_equal(pp->host, AC2);
	assert_string_equal(pp->packaging, "");
	assert_int_equal(pp->decommissioned_at, 0);
	assert_int_equal(pp->custody_gaps, 0);
	assert_int_equal(pp->n_stamps, P_N);
	assert_int_equal(pp->first_index, w->ix[P_COMMISSION]);
	assert_int_equal(pp->first_time.seconds, T0 + 60);
	assert_int_equal(pp->last_index, w->ix[P_INSP2]);
	assert_int_equal(pp->last_time.seconds, T0 + 780);
	assert_int_equal(pp->recalls->state, WB_RECALL_CLEAR);
	assert_int_equal(pp->recalls->n_hits, 0);
	wb_passport_free(pp);
}

static void
test_part_installations_attribute_each_stamp(void **state)
{
	struct world *w = *state;
	wb_installation *v = NULL;
	wb_problem p;
	size_t n = 0;

	run_until(w, part_steps, P_LATE_INSP);
	assert_int_equal(wb_installations(&v, &n, w->fx.j, PART, &p), WB_OK);
	assert_int_equal(n, 2);
	/* On the first aircraft: installed, inspected, removed, and the
	 * inspection that was recorded late belongs here by its event
	 * time. The stamps come in index order. */
	assert_string_equal(v[0].asset, AC1);
	assert_int_equal(v[0].installed, w->ix[P_INST1]);
	assert_int_equal(v[0].removed, w->ix[P_REM1]);
	assert_int_equal(v[0].installed_at.seconds, T0 + 240);
	assert_int_equal(v[0].removed_at.seconds, T0 + 360);
	assert_int_equal(v[0].n_stamps, 4);
	assert_int_equal(v[0].stamps[0], w->ix[P_INST1]);
	assert_int_equal(v[0].stamps[1], w->ix[P_INSP1]);
	assert_int_equal(v[0].stamps[2], w->ix[P_REM1]);
	assert_int_equal(v[0].stamps[3], w->ix[P_LATE_INSP]);
	/* The repair at the shop was on no aircraft. On the second: still
	 * installed. */
	assert_string_equal(v[1].asset, AC2);
	assert_int_equal(v[1].installed, w->ix[P_INST2]);
	assert_int_equal(v[1].removed, 0);
	assert_int_equal(v[1].installed_at.seconds, T0 + 720);
	assert_int_equal(v[1].removed_at.seconds, 0);
	assert_int_equal(v[1].n_stamps, 2);
	assert_int_equal(v[1].stamps[0], w->ix[P_INST2]);
	assert_int_equal(v[1].stamps[1], w->ix[P_INSP2]);
	wb_installations_free(v, n);
	/* An aircraft has no installations of its own. */
	assert_int_equal(wb_installations(&v, &n, w->fx.j, AC1, &p), WB_OK);
	assert_int_equal(n, 0);
	wb_installations_free(v, n);
}

static void
test_part_where_is_by_event_time(void **state)
{
	struct world *w = *state;
	wb_where_step *v;
	size_t n;

	run_until(w, part_steps, P_LATE_INSP);
	v = where(w, PART, &n);
	assert_int_equal(n, P_N);
	expect_step(&v[0], w->ix[P_COMMISSION], 60, "commission",
	            "commissioning", "", "PartsCo", "PartsCo", false);
	expect_step(&v[1], w->ix[P_SHIP], 120, "ship", "shipping", "",
	            "PartsCo", "PartsCo", false);
	expect_step(&v[2], w->ix[P_RECV], 180, "receive", "receiving", HANGAR,
	            "Airline", "Airline", false);
	expect_step(&v[3], w->ix[P_INST1], 240, "install", "installing", HANGAR,
	            "Airline", "Airline", false);
	expect_step(&v[4], w->ix[P_INSP1], 300, "", "inspecting", HANGAR,
	            "Airline", "Airline", false);
	/* Recorded last, placed by its event time. */
	expect_step(&v[5], w->ix[P_LATE_INSP], 330, "", "inspecting", HANGAR,
	            "Airline", "Airline", false);
	expect_step(&v[6], w->ix[P_REM1], 360, "remove", "removing", HANGAR,
	            "Airline", "Airline", false);
	expect_step(&v[7], w->ix[P_SHIP_REP], 420, "ship", "shipping", HANGAR,
	            "Airline", "Airline", false);
	expect_step(&v[8], w->ix[P_RECV_REP], 480, "receive", "receiving", SHOP,
	            "Repairer", "Repairer", false);
	expect_step(&v[9], w->ix[P_REPAIR], 540, "", "repairing", SHOP,
	            "Repairer", "Repairer", false);
	expect_step(&v[10], w->ix[P_SHIP_BACK], 600, "ship", "shipping", SHOP,
	            "Repairer", "Repairer", false);
	expect_step(&v[11], w->ix[P_RECV_BACK], 660, "receive", "receiving",
	            HANGAR, "Airline", "Airline", false);
	expect_step(&v[12], w->ix[P_INST2], 720, "install", "installing",
	            HANGAR, "Airline", "Airline", false);
	expect_step(&v[13], w->ix[P_INSP2], 780, "", "inspecting", HANGAR,
	            "Airline", "Airline", false);
	assert_int_equal(v[2].signer, w->who_id[AIRLINE]);
	assert_int_equal(v[2].custodian, w->who_id[AIRLINE]);
	free(v);
}

static void
test_part_removal_declared_wrong_keeps_it_installed(void **state)
{
	struct world *w = *state;
	wb_installation *v = NULL;
	wb_passport *pp;
	wb_problem p;
	uint64_t decl;
	wb_trace *t;
	size_t n = 0;

	run_until(w, part_steps, P_REM1);
	decl = declare(w, &part_steps[P_REM1], AIRLINE, 400);
	pp = passport(w, PART);
	assert_string_equal(pp->host, AC1);
	wb_passport_free(pp);
	assert_int_equal(wb_installations(&v, &n, w->fx.j, PART, &p), WB_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].asset, AC1);
	assert_int_equal(v[0].installed, w->ix[P_INST1]);
	assert_int_equal(v[0].removed, 0);
	assert_int_equal(v[0].installed_at.seconds, T0 + 240);
	assert_int_equal(v[0].removed_at.seconds, 0);
	assert_int_equal(v[0].removed_at.nanos, 0);
	/* The declared removal is no stamp of the installation; the
	 * declaration is (it repeats the removal's event time). */
	assert_int_equal(v[0].n_stamps, 3);
	assert_int_equal(v[0].stamps[0], w->ix[P_INST1]);
	assert_int_equal(v[0].stamps[1], w->ix[P_INSP1]);
	assert_int_equal(v[0].stamps[2], decl);
	wb_installations_free(v, n);
	t = up(w, AC1);
	expect_nodes(t, 2, AC1, PART);
	assert_int_equal(t->n_edges, 1);
	expect_edge(&t->edges[0], WB_EDGE_INSTALLED_IN, 1, 0, w->ix[P_INST1],
	            240, 0, 0);
	wb_trace_free(t);
}

static void
test_part_lineage_between_part_and_aircraft(void **state)
{
	struct world *w = *state;
	wb_trace *t;

	run_until(w, part_steps, P_LATE_INSP);
	/* Upstream from an asset: its parts now. */
	t = up(w, AC2);
	expect_nodes(t, 2, AC2, PART);
	assert_int_equal(t->nodes[1].depth, 1);
	assert_int_equal(t->n_edges, 1);
	expect_edge(&t->edges[0], WB_EDGE_INSTALLED_IN, 1, 0, w->ix[P_INST2],
	            720, 0, 0);
	assert_false(t->truncated);
	wb_trace_free(t);
	t = up(w, AC1);
	expect_nodes(t, 1, AC1);
	assert_int_equal(t->n_edges, 0);
	wb_trace_free(t);
	/* As of the first installation's index the part was in AC1, and the
	 * edge is open: an answer as of a point tells nothing recorded
	 * after it. */
	t = trace_as_of(w, AC1, false, w->ix[P_INST1], false, 0);
	expect_nodes(t, 2, AC1, PART);
	assert_int_equal(t->n_edges, 1);
	expect_edge(&t->edges[0], WB_EDGE_INSTALLED_IN, 1, 0, w->ix[P_INST1],
	            240, 0, 0);
	wb_trace_free(t);
	/* Downstream from the part: the asset it is in, now and as of an
	 * event time in the first installation. */
	t = trace_as_of(w, PART, true, 0, false, 0);
	expect_nodes(t, 2, PART, AC2);
	wb_trace_free(t);
	t = trace_as_of(w, PART, true, 0, true, 300);
	expect_nodes(t, 2, PART, AC1);
	wb_trace_free(t);
	/* At the repair shop it was in none. */
	t = trace_as_of(w, PART, true, 0, true, 540);
	expect_nodes(t, 1, PART);
	wb_trace_free(t);
}

/*
 * (c) A pallet packed, unpacked and repacked; late events.
 */
#define CASE_A  "urn:epc:id:sscc:4000040.0000000001"
#define CASE_B  "urn:epc:id:sscc:4000040.0000000002"
#define CASE_C  "urn:epc:id:sscc:4000040.0000000003"
#define PALLET  "urn:epc:id:sscc:4000040.0000000100"
#define PALLET2 "urn:epc:id:sscc:4000040.0000000200"
#define DOCK    "urn:epc:id:sgln:4000040.00001.0"
#define STORE   "urn:epc:id:sgln:4000040.00002.0"
#define YARD    "urn:epc:id:sgln:4000040.00003.0"

enum {
	WAREHOUSE = A,
	OUTLET = B
};

enum {
	K_COMMISSION,
	K_PACK,
	K_UNPACK, /* names no children: all come out */
	K_REPACK,
	K_LATE_PACK,   /* into PALLET2, at an event time before the repack */
	K_LATE_UNPACK, /* of CASE_A from PALLET, while it was packed first */
	K_N,
};

static const struct step pallet_steps[K_N] = {
	[K_COMMISSION] = STEP("made", WAREHOUSE, WB_KIND_OBJECT, WB_ACTION_ADD,
	                      "commissioning", DOCK, NULL, 60, CASE_A, CASE_B,
	                      CASE_C, PALLET, PALLET2),
	[K_PACK] = STEP("pack", WAREHOUSE, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	                "packing", DOCK, PALLET, 120, CASE_A, CASE_B),
	[K_UNPACK] =
	        STEP("unpack", WAREHOUSE, WB_KIND_AGGREGATION, WB_ACTION_DELETE,
	             "unpacking", DOCK, PALLET, 180, NULL),
	[K_REPACK] =
	        STEP("repack", WAREHOUSE, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	             "packing", STORE, PALLET, 240, CASE_A, CASE_C),
	[K_LATE_PACK] =
	        STEP("late-pack", WAREHOUSE, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	             "packing", YARD, PALLET2, 210, CASE_A),
	[K_LATE_UNPACK] =
	        STEP("late-unpack", WAREHOUSE, WB_KIND_AGGREGATION,
	             WB_ACTION_DELETE, "unpacking", YARD, PALLET, 150, CASE_A),
};

static int
setup_pallet(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	open_world(w, WB_CUSTODY_STRICT);
	w->who[WAREHOUSE] = fx_register(&w->fx, "Warehouse", 40, 0, "4000040",
	                                NULL, &w->who_id[WAREHOUSE]);
	w->who[OUTLET] =
	        fx_register(&w->fx, "Outlet", 41, FX_ROLE(WB_ROLE_RETAILER),
	                    NULL, NULL, &w->who_id[OUTLET]);
	run_until(w, pallet_steps, K_COMMISSION);
	*state = w;
	return 0;
}

static void
expect_container(struct world *w, const char *id, const char *container,
                 const char *location)
{
	wb_passport *pp = passport(w, id);

	assert_string_equal(pp->container, container);
	assert_string_equal(pp->location, location);
	assert_string_equal(pp->custodian_name, "Warehouse");
	assert_int_equal(pp->custody_gaps, 0);
	wb_passport_free(pp);
}

static void
test_pallet_current_state_follows_each_step(void **state)
{
	struct world *w = *state;
	wb_trace *t;

	run_until(w, pallet_steps, K_PACK);
	expect_container(w, CASE_A, PALLET, DOCK);
	expect_container(w, CASE_B, PALLET, DOCK);
	expect_container(w, CASE_C, "", DOCK);
	/* Unpacking the whole pallet empties it, in the lineage and in each
	 * case's state. */
	run_until(w, pallet_steps, K_UNPACK);
	t = up(w, PALLET);
	expect_nodes(t, 1, PALLET);
	wb_trace_free(t);
	expect_container(w, CASE_A, "", DOCK);
	expect_container(w, CASE_B, "", DOCK);
	run_until(w, pallet_steps, K_REPACK);
	expect_container(w, CASE_A, PALLET, STORE);
	expect_container(w, CASE_B, "", DOCK);
	expect_container(w, CASE_C, PALLET, STORE);
	t = up(w, PALLET);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	assert_int_equal(t->n_edges, 2);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 0, 1, w->ix[K_REPACK], 240,
	            0, 0);
	expect_edge(&t->edges[1], WB_EDGE_CONTAINS, 0, 2, w->ix[K_REPACK], 240,
	            0, 0);
	wb_trace_free(t);
}

static void
test_pallet_contents_as_of_index_and_time(void **state)
{
	struct world *w = *state;
	wb_trace *t;

	run_until(w, pallet_steps, K_LATE_PACK);
	/* As of an index: the journal prefix. */
	t = trace_as_of(w, PALLET, false, w->ix[K_COMMISSION], false, 0);
	expect_nodes(t, 1, PALLET);
	assert_int_equal(t->n_edges, 0);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, w->ix[K_PACK], false, 0);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_B);
	assert_int_equal(t->nodes[1].depth, 1);
	assert_int_equal(t->nodes[2].depth, 1);
	assert_int_equal(t->n_edges, 2);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 0, 1, w->ix[K_PACK], 120, 0,
	            0);
	expect_edge(&t->edges[1], WB_EDGE_CONTAINS, 0, 2, w->ix[K_PACK], 120, 0,
	            0);
	assert_false(t->truncated);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, w->ix[K_UNPACK], false, 0);
	expect_nodes(t, 1, PALLET);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, w->ix[K_REPACK], false, 0);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, 0, false, 0);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	wb_trace_free(t);
	/* As of an event time: the events at or before it. */
	t = trace_as_of(w, PALLET, false, 0, true, 100);
	expect_nodes(t, 1, PALLET);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, 0, true, 120);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_B);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, 0, true, 179);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_B);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, 0, true, 180);
	expect_nodes(t, 1, PALLET);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, 0, true, 239);
	expect_nodes(t, 1, PALLET);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, 0, true, 240);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	wb_trace_free(t);
	/* Both: the prefix up to the repack, at an event time before the
	 * unpacking. */
	t = trace_as_of(w, PALLET, false, w->ix[K_REPACK], true, 150);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_B);
	wb_trace_free(t);
	/* Downstream from a case: the pallet it was on. */
	t = trace_as_of(w, CASE_B, true, 0, true, 150);
	expect_nodes(t, 2, CASE_B, PALLET);
	assert_int_equal(t->n_edges, 1);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 1, 0, w->ix[K_PACK], 120, 0,
	            0);
	wb_trace_free(t);
	t = trace_as_of(w, CASE_B, true, 0, false, 0);
	expect_nodes(t, 1, CASE_B);
	wb_trace_free(t);
}

/* The edge of type `type` from node `from` to the node named `to_id`
 * opened by `opened`, or fails. */
static const wb_trace_edge *
find_edge(const wb_trace *t, wb_edge_type type, const char *from_id,
          const char *to_id, uint64_t opened)
{
	for (size_t i = 0; i < t->n_edges; i++) {
		const wb_trace_edge *e = &t->edges[i];

		if (e->type == type && e->opened == opened &&
		    strcmp(t->nodes[e->from].id, from_id) == 0 &&
		    strcmp(t->nodes[e->to].id, to_id) == 0) {
			return e;
		}
	}
	fail_msg("no %s edge %s -> %s opened at %llu", wb_edge_type_name(type),
	         from_id, to_id, (unsigned long long)opened);
	return NULL;
}

static wb_trace *
trace_closed(struct world *w, const char *id, bool down, uint64_t index)
{
	wb_trace_opts o = { 0 };
	wb_trace *tr = NULL;
	wb_problem p;

	o.down = down;
	o.as_of.index = index;
	o.include_closed = true;
	if (wb_trace_twin(&tr, w->fx.j, id, &o, &p) != WB_OK) {
		fail_msg("trace of %s: %s", id, p.msg);
	}
	return tr;
}

static void
test_pallet_include_closed_shows_every_container_ever(void **state)
{
	struct world *w = *state;
	const wb_trace_edge *e;
	wb_trace *t;

	run_until(w, pallet_steps, K_REPACK);
	/* Now, with the closed edges: the first packing (closed by the
	 * unpacking) and the repacking. */
	t = trace_closed(w, PALLET, false, 0);
	assert_int_equal(t->n_nodes, 4);
	assert_int_equal(t->n_edges, 4);
	e = find_edge(t, WB_EDGE_CONTAINS, PALLET, CASE_A, w->ix[K_PACK]);
	assert_int_equal(e->closed, w->ix[K_UNPACK]);
	assert_int_equal(e->closed_at.seconds, T0 + 180);
	e = find_edge(t, WB_EDGE_CONTAINS, PALLET, CASE_B, w->ix[K_PACK]);
	assert_int_equal(e->closed, w->ix[K_UNPACK]);
	e = find_edge(t, WB_EDGE_CONTAINS, PALLET, CASE_A, w->ix[K_REPACK]);
	assert_int_equal(e->closed, 0);
	e = find_edge(t, WB_EDGE_CONTAINS, PALLET, CASE_C, w->ix[K_REPACK]);
	assert_int_equal(e->closed, 0);
	wb_trace_free(t);
	/* Downstream from case B, which is in no container now: the pallet
	 * it travelled on. */
	t = trace_closed(w, CASE_B, true, 0);
	expect_nodes(t, 2, CASE_B, PALLET);
	assert_int_equal(t->n_edges, 1);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 1, 0, w->ix[K_PACK], 120,
	            w->ix[K_UNPACK], 180);
	wb_trace_free(t);
	/* As of the unpacking: both packings closed by then; the repacking
	 * not yet opened. */
	t = trace_closed(w, PALLET, false, w->ix[K_UNPACK]);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_B);
	for (size_t i = 0; i < t->n_edges; i++) {
		assert_int_equal(t->edges[i].closed, w->ix[K_UNPACK]);
	}
	wb_trace_free(t);
	/* As of the packing: the closing came later, so open then. */
	t = trace_closed(w, PALLET, false, w->ix[K_PACK]);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_B);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 0, 1, w->ix[K_PACK], 120, 0,
	            0);
	expect_edge(&t->edges[1], WB_EDGE_CONTAINS, 0, 2, w->ix[K_PACK], 120, 0,
	            0);
	wb_trace_free(t);
	/* Without include_closed, now: only what it holds. */
	t = up(w, PALLET);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	wb_trace_free(t);
}

static void
test_pallet_late_pack_is_history_not_current_state(void **state)
{
	struct world *w = *state;
	wb_where_step *v;
	wb_passport *pp;
	uint64_t h[32];
	wb_trace *t;
	size_t n;

	run_until(w, pallet_steps, K_LATE_PACK);
	/* Current state: CASE_A is on PALLET at the store, as the repack
	 * (event time 240) left it; the pack into PALLET2 at 210 came
	 * late. */
	pp = passport(w, CASE_A);
	assert_string_equal(pp->container, PALLET);
	assert_string_equal(pp->location, STORE);
	assert_string_equal(pp->custodian_name, "Warehouse");
	assert_int_equal(pp->n_stamps, 4);
	assert_int_equal(pp->first_index, w->ix[K_COMMISSION]);
	assert_int_equal(pp->last_index, w->ix[K_REPACK]);
	assert_int_equal(pp->last_time.seconds, T0 + 240);
	wb_passport_free(pp);
	t = up(w, PALLET);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	wb_trace_free(t);
	t = up(w, PALLET2);
	expect_nodes(t, 1, PALLET2);
	wb_trace_free(t);
	/* PALLET2's own newest event is the late one. */
	expect_container(w, PALLET2, "", YARD);
	/* History holds it, by index; the timeline places it by event
	 * time. */
	assert_int_equal(history(w, CASE_A, h), 4);
	assert_int_equal(h[0], w->ix[K_COMMISSION]);
	assert_int_equal(h[1], w->ix[K_PACK]);
	assert_int_equal(h[2], w->ix[K_REPACK]);
	assert_int_equal(h[3], w->ix[K_LATE_PACK]);
	v = where(w, CASE_A, &n);
	assert_int_equal(n, 5);
	expect_step(&v[0], w->ix[K_COMMISSION], 60, "commission",
	            "commissioning", DOCK, "Warehouse", "Warehouse", false);
	expect_step(&v[1], w->ix[K_PACK], 120, "pack", "packing", DOCK,
	            "Warehouse", "Warehouse", false);
	assert_string_equal(v[1].via, "");
	/* The unpacking named no children: it is the pallet's stamp, and
	 * the timeline shows it through the pallet. */
	expect_step(&v[2], w->ix[K_UNPACK], 180, "unpack", "unpacking", DOCK,
	            "Warehouse", "Warehouse", false);
	assert_string_equal(v[2].via, PALLET);
	expect_step(&v[3], w->ix[K_LATE_PACK], 210, "pack", "packing", YARD,
	            "Warehouse", "Warehouse", false);
	expect_step(&v[4], w->ix[K_REPACK], 240, "pack", "packing", STORE,
	            "Warehouse", "Warehouse", false);
	assert_string_equal(v[4].via, "");
	free(v);
	/* As of its event time the late pack shows, open then (the repack
	 * ended it at 240). */
	t = trace_as_of(w, PALLET2, false, 0, true, 210);
	expect_nodes(t, 2, PALLET2, CASE_A);
	assert_int_equal(t->n_edges, 1);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 0, 1, w->ix[K_LATE_PACK],
	            210, 0, 0);
	wb_trace_free(t);
	t = trace_as_of(w, CASE_A, true, 0, true, 220);
	expect_nodes(t, 2, CASE_A, PALLET2);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET2, false, 0, true, 240);
	expect_nodes(t, 1, PALLET2);
	wb_trace_free(t);
	/* As of the index before it was recorded, and as of its own index
	 * (where the repack already ended it), PALLET2 held nothing. */
	t = trace_as_of(w, PALLET2, false, w->ix[K_REPACK], false, 0);
	expect_nodes(t, 1, PALLET2);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET2, false, w->ix[K_LATE_PACK], false, 0);
	expect_nodes(t, 1, PALLET2);
	wb_trace_free(t);
}

static void
test_pallet_unpack_all_leaves_cases_with_the_holder(void **state)
{
	struct world *w = *state;
	const struct step ship =
	        STEP("ship-pallet", WAREHOUSE, WB_KIND_OBJECT,
	             WB_ACTION_OBSERVE, "shipping", DOCK, NULL, 130, PALLET);
	const struct step recv =
	        STEP("recv-pallet", OUTLET, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             "receiving", STORE, NULL, 140, PALLET);
	const struct step unpack =
	        STEP("outlet-unpack", OUTLET, WB_KIND_AGGREGATION,
	             WB_ACTION_DELETE, "unpacking", STORE, PALLET, 180, NULL);
	const struct step look =
	        STEP("look-a", OUTLET, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             "inspecting", STORE, NULL, 200, CASE_A);
	wb_passport *pp;
	wb_trace *t;

	run_until(w, pallet_steps, K_PACK);
	(void)run(w, &ship);
	(void)run(w, &recv);
	/* On the pallet, the cases are the outlet's through it. */
	pp = passport(w, CASE_A);
	assert_string_equal(pp->container, PALLET);
	assert_string_equal(pp->custodian_name, "Outlet");
	assert_string_equal(pp->location, STORE);
	wb_passport_free(pp);
	/* An unpacking that names no children takes them all out, and
	 * leaves them with the outlet. */
	(void)run(w, &unpack);
	t = up(w, PALLET);
	expect_nodes(t, 1, PALLET);
	wb_trace_free(t);
	pp = passport(w, CASE_A);
	assert_string_equal(pp->container, "");
	assert_int_equal(pp->custodian, w->who_id[OUTLET]);
	assert_string_equal(pp->custodian_name, "Outlet");
	assert_int_equal(pp->custody_gaps, 0);
	wb_passport_free(pp);
	pp = passport(w, CASE_B);
	assert_string_equal(pp->container, "");
	assert_string_equal(pp->custodian_name, "Outlet");
	wb_passport_free(pp);
	/* The outlet may act on the case as its custodian (strict). */
	(void)run(w, &look);
	/* A declaration that rebuilds the case's state from its history
	 * (which the unpacking is not in) keeps it out of the pallet. */
	(void)declare(w, &look, OUTLET, 250);
	pp = passport(w, CASE_A);
	assert_string_equal(pp->container, "");
	assert_string_equal(pp->custodian_name, "Outlet");
	wb_passport_free(pp);
	t = trace_as_of(w, CASE_A, true, 0, false, 0);
	expect_nodes(t, 1, CASE_A);
	wb_trace_free(t);
}

static void
test_pallet_unpack_all_takes_out_every_child(void **state)
{
	enum {
		N_CASES = 300
	};
	struct world *w = *state;
	char(*ids)[64] = calloc(N_CASES, sizeof(*ids));
	const char **list = calloc(N_CASES, sizeof(*list));
	const struct step unpack =
	        STEP("unpack-big", WAREHOUSE, WB_KIND_AGGREGATION,
	             WB_ACTION_DELETE, "unpacking", DOCK, PALLET2, 200, NULL);
	wb_passport *pp;
	wb_trace *t;
	wb_stamp st;

	assert_non_null(ids);
	assert_non_null(list);
	for (int i = 0; i < N_CASES; i++) {
		snprintf(ids[i], sizeof(ids[i]),
		         "urn:epc:id:sscc:4000040.%010d", 1000 + i);
		list[i] = ids[i];
	}
	fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, "make-many");
	st.epcs = list;
	st.n_epcs = N_CASES;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	st.event_time.seconds = T0 + 100;
	(void)append_ok(w, WAREHOUSE, &st);
	fx_stamp_init(&st, &w->fx, WB_KIND_AGGREGATION, "pack-many");
	st.parent_id = PALLET2;
	st.epcs = list;
	st.n_epcs = N_CASES;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "packing";
	st.event_time.seconds = T0 + 150;
	(void)append_ok(w, WAREHOUSE, &st);
	t = up(w, PALLET2);
	assert_int_equal(t->n_nodes, 1 + N_CASES);
	wb_trace_free(t);
	(void)run(w, &unpack);
	t = up(w, PALLET2);
	expect_nodes(t, 1, PALLET2);
	wb_trace_free(t);
	pp = passport(w, ids[0]);
	assert_string_equal(pp->container, "");
	wb_passport_free(pp);
	pp = passport(w, ids[N_CASES - 1]);
	assert_string_equal(pp->container, "");
	wb_passport_free(pp);
	free(list);
	free(ids);
}

static void
test_pallet_late_unpack_leaves_current_contents(void **state)
{
	struct world *w = *state;
	wb_trace *t;

	run_until(w, pallet_steps, K_LATE_UNPACK);
	/* An unpacking at 150, recorded after the repack at 240: CASE_A
	 * stays on PALLET, in its state and in the lineage. */
	expect_container(w, CASE_A, PALLET, STORE);
	t = up(w, PALLET);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	assert_int_equal(t->n_edges, 2);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 0, 1, w->ix[K_REPACK], 240,
	            0, 0);
	wb_trace_free(t);
	t = trace_as_of(w, PALLET, false, 0, true, 300);
	expect_nodes(t, 3, PALLET, CASE_A, CASE_C);
	wb_trace_free(t);
}

/*
 * (d) Declarations of error.
 */
#define ITEM_X "urn:epc:id:sgtin:4000050.000005.100"
#define ITEM_1 "urn:epc:id:sgtin:4000050.000005.1"
#define ITEM_2 "urn:epc:id:sgtin:4000050.000005.2"
#define LOT_L7 "urn:epc:class:lgtin:4000050.000005.L7"
/* The lot exists as soon as an item's ILMD names it, before any stamp
 * writes its ID: it is named by the LGTIN URI of the item's company prefix
 * and lot, which any form of the lot finds by its canonical key. */
#define LOT_KEY "(01)04000050000056(10)L7"
#define CASE_1  "urn:epc:id:sscc:4000050.0000000001"
#define CASE_2  "urn:epc:id:sscc:4000050.0000000002"
#define FACTORY "urn:epc:id:sgln:4000050.00001.0"
#define DIST_DC "urn:epc:id:sgln:4000051.00001.0"
#define SHOP_2  "urn:epc:id:sgln:4000052.00001.0"

enum {
	MAKER = A,
	DIST = B,
	RETAIL = C
};

enum {
	D_MAKE_X,
	D_MAKE_ITEMS, /* ITEM_1, ITEM_2 of lot L7 (ILMD) */
	D_MAKE_CASES,
	D_PACK_C2,   /* ITEM_1 and ITEM_2 into CASE_2 */
	D_SHIP_X,    /* no destination named */
	D_RECV_X,    /* by the distributor: wrong */
	D_PACK_C1,   /* ITEM_1 into CASE_1: wrong */
	D_RECALL,    /* of lot L7 (not scripted: a recall stamp) */
	D_RECV_SHOP, /* ITEM_X by the retailer */
	D_N,
};

static const struct step decl_steps[D_N] = {
	[D_MAKE_X] = STEP("make-x", MAKER, WB_KIND_OBJECT, WB_ACTION_ADD,
	                  "commissioning", FACTORY, NULL, 60, ITEM_X),
	[D_MAKE_ITEMS] =
	        STEP("make-items", MAKER, WB_KIND_OBJECT, WB_ACTION_ADD,
	             "commissioning", FACTORY, NULL, 120, ITEM_1, ITEM_2),
	[D_MAKE_CASES] =
	        STEP("make-cases", MAKER, WB_KIND_OBJECT, WB_ACTION_ADD,
	             "commissioning", FACTORY, NULL, 180, CASE_1, CASE_2),
	[D_PACK_C2] = STEP("pack-c2", MAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	                   "packing", FACTORY, CASE_2, 240, ITEM_1, ITEM_2),
	[D_SHIP_X] = STEP("ship-x", MAKER, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                  "shipping", FACTORY, NULL, 300, ITEM_X),
	[D_RECV_X] = STEP("recv-x", DIST, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	                  "receiving", DIST_DC, NULL, 360, ITEM_X),
	[D_PACK_C1] = STEP("pack-c1", MAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	                   "packing", FACTORY, CASE_1, 420, ITEM_1),
	[D_RECALL] = { 0 },
	[D_RECV_SHOP] =
	        STEP("recv-shop", RETAIL, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             "receiving", SHOP_2, NULL, 540, ITEM_X),
};

static int
setup_decl(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	open_world(w, WB_CUSTODY_STRICT);
	w->who[MAKER] = fx_register(&w->fx, "Maker", 50, 0, "4000050", NULL,
	                            &w->who_id[MAKER]);
	w->who[DIST] = fx_register(&w->fx, "Distributor", 51,
	                           FX_ROLE(WB_ROLE_LOGISTICS), NULL, NULL,
	                           &w->who_id[DIST]);
	w->who[RETAIL] =
	        fx_register(&w->fx, "Retailer", 52, FX_ROLE(WB_ROLE_RETAILER),
	                    NULL, NULL, &w->who_id[RETAIL]);
	w->ix[D_MAKE_X] = run(w, &decl_steps[D_MAKE_X]);
	{
		struct built b;

		build(&b, w, &decl_steps[D_MAKE_ITEMS]);
		b.st.ilmd_json = "{\"cbvmda:lotNumber\":\"L7\"}";
		w->ix[D_MAKE_ITEMS] = append_ok(w, MAKER, &b.st);
	}
	w->ix[D_MAKE_CASES] = run(w, &decl_steps[D_MAKE_CASES]);
	w->ix[D_PACK_C2] = run(w, &decl_steps[D_PACK_C2]);
	*state = w;
	return 0;
}

static uint64_t
recall_lot(struct world *w)
{
	const char *targets[1] = { LOT_L7 };
	wb_recall r = { targets,
		        1,
		        "Glass fragments in lot L7",
		        true,
		        WB_RECALL_CLASS_II,
		        "REF-7" };
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_RECALL, "recall-l7");
	st.recall = &r;
	st.event_time.seconds = T0 + 480;
	return append_ok(w, MAKER, &st);
}

static void
test_decl_receiving_declared_wrong_reverts_custody(void **state)
{
	struct world *w = *state;
	wb_where_step *v;
	wb_passport *pp;
	uint64_t h[32], decl;
	size_t n;

	w->ix[D_SHIP_X] = run(w, &decl_steps[D_SHIP_X]);
	w->ix[D_RECV_X] = run(w, &decl_steps[D_RECV_X]);
	pp = passport(w, ITEM_X);
	assert_string_equal(pp->custodian_name, "Distributor");
	assert_false(pp->in_transit);
	assert_string_equal(pp->location, DIST_DC);
	wb_passport_free(pp);
	/* The distributor declares its receiving wrong: the item is back in
	 * transit from the maker, where it was shipped from. */
	decl = declare(w, &decl_steps[D_RECV_X], DIST, 400);
	pp = passport(w, ITEM_X);
	assert_int_equal(pp->custodian, w->who_id[MAKER]);
	assert_string_equal(pp->custodian_name, "Maker");
	assert_true(pp->in_transit);
	assert_string_equal(pp->destination, "");
	assert_string_equal(pp->location, FACTORY);
	assert_int_equal(pp->owner, w->who_id[MAKER]);
	assert_int_equal(pp->custody_gaps, 0);
	assert_int_equal(pp->n_stamps, 4);
	assert_int_equal(pp->first_index, w->ix[D_MAKE_X]);
	assert_int_equal(pp->last_index, w->ix[D_SHIP_X]);
	assert_int_equal(pp->last_time.seconds, T0 + 300);
	wb_passport_free(pp);
	/* The right receiver may now receive it. */
	w->ix[D_RECV_SHOP] = run(w, &decl_steps[D_RECV_SHOP]);
	pp = passport(w, ITEM_X);
	assert_string_equal(pp->custodian_name, "Retailer");
	assert_false(pp->in_transit);
	assert_string_equal(pp->location, SHOP_2);
	assert_int_equal(pp->custody_gaps, 0);
	wb_passport_free(pp);
	/* The declared receiving stays in history, marked, with no effect on
	 * custody along the timeline. */
	assert_int_equal(history(w, ITEM_X, h), 5);
	assert_int_equal(h[0], w->ix[D_MAKE_X]);
	assert_int_equal(h[1], w->ix[D_SHIP_X]);
	assert_int_equal(h[2], w->ix[D_RECV_X]);
	assert_int_equal(h[3], decl);
	assert_int_equal(h[4], w->ix[D_RECV_SHOP]);
	v = where(w, ITEM_X, &n);
	assert_int_equal(n, 5);
	expect_step(&v[0], w->ix[D_MAKE_X], 60, "commission", "commissioning",
	            FACTORY, "Maker", "Maker", false);
	expect_step(&v[1], w->ix[D_SHIP_X], 300, "ship", "shipping", FACTORY,
	            "Maker", "Maker", false);
	expect_step(&v[2], w->ix[D_RECV_X], 360, "receive", "receiving",
	            DIST_DC, "Distributor", "Maker", true);
	expect_step(&v[3], decl, 360, "declare-error", "receiving", DIST_DC,
	            "Distributor", "Maker", false);
	expect_step(&v[4], w->ix[D_RECV_SHOP], 540, "receive", "receiving",
	            SHOP_2, "Retailer", "Retailer", false);
	free(v);
}

static void
test_decl_packing_declared_wrong_undoes_lineage_and_recall(void **state)
{
	struct world *w = *state;
	wb_recall_impact *im = NULL;
	wb_recall_status *s;
	wb_where_step *v;
	wb_passport *pp;
	wb_problem p;
	uint64_t h[32], decl, recall;
	wb_trace *t;
	size_t n;

	w->ix[D_PACK_C1] = run(w, &decl_steps[D_PACK_C1]);
	recall = recall_lot(w);
	/* Before the declaration: ITEM_1 moved from CASE_2 to CASE_1, and
	 * both cases hold stock of the recalled lot. */
	pp = passport(w, ITEM_1);
	assert_string_equal(pp->container, CASE_1);
	wb_passport_free(pp);
	t = up(w, CASE_1);
	expect_nodes(t, 3, CASE_1, ITEM_1, LOT_L7);
	wb_trace_free(t);
	t = up(w, CASE_2);
	expect_nodes(t, 3, CASE_2, ITEM_2, LOT_L7);
	wb_trace_free(t);
	s = status(w, CASE_1);
	assert_int_equal(s->state, WB_RECALL_HOLDING);
	wb_recall_status_free(s);
	s = status(w, CASE_2);
	assert_int_equal(s->state, WB_RECALL_HOLDING);
	assert_int_equal(s->n_hits, 1);
	assert_int_equal(s->hits[0].n_path, 3);
	assert_string_equal(s->hits[0].path[1], ITEM_2);
	wb_recall_status_free(s);

	decl = declare(w, &decl_steps[D_PACK_C1], MAKER, 500);
	/* State: ITEM_1 is back in CASE_2. */
	pp = passport(w, ITEM_1);
	assert_string_equal(pp->container, CASE_2);
	assert_string_equal(pp->custodian_name, "Maker");
	assert_string_equal(pp->location, FACTORY);
	assert_int_equal(pp->recalls->state, WB_RECALL_AFFECTED);
	wb_passport_free(pp);
	/* Lineage: CASE_1 never held it, now or as of the declared
	 * packing; CASE_2 holds both again, its edge to ITEM_1 open. */
	t = up(w, CASE_1);
	expect_nodes(t, 1, CASE_1);
	assert_int_equal(t->n_edges, 0);
	wb_trace_free(t);
	t = trace_as_of(w, CASE_1, false, w->ix[D_PACK_C1], false, 0);
	expect_nodes(t, 1, CASE_1);
	wb_trace_free(t);
	t = trace_as_of(w, CASE_1, false, 0, true, 420);
	expect_nodes(t, 1, CASE_1);
	wb_trace_free(t);
	t = up(w, CASE_2);
	expect_nodes(t, 4, CASE_2, ITEM_1, ITEM_2, LOT_L7);
	assert_int_equal(t->n_edges, 4);
	expect_edge(&t->edges[0], WB_EDGE_CONTAINS, 0, 1, w->ix[D_PACK_C2], 240,
	            0, 0);
	expect_edge(&t->edges[1], WB_EDGE_CONTAINS, 0, 2, w->ix[D_PACK_C2], 240,
	            0, 0);
	expect_edge(&t->edges[2], WB_EDGE_MEMBER_OF, 1, 3, w->ix[D_MAKE_ITEMS],
	            120, 0, 0);
	expect_edge(&t->edges[3], WB_EDGE_MEMBER_OF, 2, 3, w->ix[D_MAKE_ITEMS],
	            120, 0, 0);
	wb_trace_free(t);
	t = trace_as_of(w, ITEM_1, true, 0, false, 0);
	expect_nodes(t, 2, ITEM_1, CASE_2);
	wb_trace_free(t);
	/* Recall answers: CASE_1 is clear; CASE_2 holds through ITEM_1 and
	 * ITEM_2; the item itself is affected through its lot. */
	s = status(w, CASE_1);
	assert_int_equal(s->state, WB_RECALL_CLEAR);
	assert_int_equal(s->n_hits, 0);
	wb_recall_status_free(s);
	s = status(w, CASE_2);
	assert_int_equal(s->state, WB_RECALL_HOLDING);
	assert_int_equal(s->n_hits, 1);
	assert_int_equal(s->hits[0].recall_index, recall);
	assert_int_equal(s->hits[0].state, WB_RECALL_HOLDING);
	assert_string_equal(s->hits[0].reason, "Glass fragments in lot L7");
	assert_true(s->hits[0].has_severity);
	assert_int_equal(s->hits[0].severity, WB_RECALL_CLASS_II);
	assert_int_equal(s->hits[0].issuer, w->who_id[MAKER]);
	assert_string_equal(s->hits[0].issuer_name, "Maker");
	assert_int_equal(s->hits[0].n_path, 3);
	assert_string_equal(s->hits[0].path[0], LOT_L7);
	assert_string_equal(s->hits[0].path[1], ITEM_1);
	assert_string_equal(s->hits[0].path[2], CASE_2);
	assert_int_equal(s->hits[0].path_edges[0], WB_EDGE_MEMBER_OF);
	assert_int_equal(s->hits[0].path_edges[1], WB_EDGE_CONTAINS);
	wb_recall_status_free(s);
	s = status(w, ITEM_1);
	assert_int_equal(s->state, WB_RECALL_AFFECTED);
	assert_int_equal(s->n_hits, 1);
	assert_int_equal(s->hits[0].n_path, 2);
	assert_string_equal(s->hits[0].path[0], LOT_L7);
	assert_string_equal(s->hits[0].path[1], ITEM_1);
	assert_int_equal(s->hits[0].path_edges[0], WB_EDGE_MEMBER_OF);
	wb_recall_status_free(s);
	assert_int_equal(wb_recall_impact_get(&im, w->fx.j, recall, 0, 10, &p),
	                 WB_OK);
	assert_true(im->active);
	assert_int_equal(im->recall_index, recall);
	assert_int_equal(im->n_affected, 3); /* the lot and its two items */
	assert_int_equal(im->n_holding, 1);  /* CASE_2 only */
	assert_int_equal(im->n_twins, 4);
	assert_int_equal(im->next, 0);
	assert_string_equal(im->twins[0].id, ITEM_1);
	assert_false(im->twins[0].holding);
	assert_int_equal(im->twins[0].custodian, w->who_id[MAKER]);
	assert_string_equal(im->twins[0].location, FACTORY);
	assert_string_equal(im->twins[1].id, ITEM_2);
	assert_false(im->twins[1].holding);
	assert_string_equal(im->twins[2].id, LOT_L7);
	assert_false(im->twins[2].holding);
	assert_int_equal(im->twins[2].custodian, 0);
	assert_string_equal(im->twins[2].location, "");
	assert_string_equal(im->twins[3].id, CASE_2);
	assert_true(im->twins[3].holding);
	assert_int_equal(im->twins[3].custodian, w->who_id[MAKER]);
	assert_string_equal(im->twins[3].location, FACTORY);
	assert_int_equal(im->n_groups, 2);
	assert_int_equal(im->groups[0].custodian, w->who_id[MAKER]);
	assert_string_equal(im->groups[0].custodian_name, "Maker");
	assert_string_equal(im->groups[0].location, FACTORY);
	assert_int_equal(im->groups[0].affected, 2);
	assert_int_equal(im->groups[0].holding, 1);
	assert_int_equal(im->groups[1].custodian, 0);
	assert_string_equal(im->groups[1].custodian_name, "");
	assert_string_equal(im->groups[1].location, "");
	assert_int_equal(im->groups[1].affected, 1);
	assert_int_equal(im->groups[1].holding, 0);
	wb_recall_impact_free(im);
	/* History keeps the declared packing, marked. */
	assert_int_equal(history(w, ITEM_1, h), 4);
	assert_int_equal(h[0], w->ix[D_MAKE_ITEMS]);
	assert_int_equal(h[1], w->ix[D_PACK_C2]);
	assert_int_equal(h[2], w->ix[D_PACK_C1]);
	assert_int_equal(h[3], decl);
	v = where(w, ITEM_1, &n);
	assert_int_equal(n, 4);
	expect_step(&v[0], w->ix[D_MAKE_ITEMS], 120, "commission",
	            "commissioning", FACTORY, "Maker", "Maker", false);
	expect_step(&v[1], w->ix[D_PACK_C2], 240, "pack", "packing", FACTORY,
	            "Maker", "Maker", false);
	expect_step(&v[2], w->ix[D_PACK_C1], 420, "pack", "packing", FACTORY,
	            "Maker", "Maker", true);
	expect_step(&v[3], decl, 420, "declare-error", "packing", FACTORY,
	            "Maker", "Maker", false);
	free(v);
	assert_int_equal(history(w, CASE_1, h), 3);
	assert_int_equal(h[0], w->ix[D_MAKE_CASES]);
	assert_int_equal(h[1], w->ix[D_PACK_C1]);
	assert_int_equal(h[2], decl);
}

static void
test_decl_of_unknown_or_foreign_event_has_no_effect(void **state)
{
	struct world *w = *state;
	const struct step unknown =
	        STEP("never-used", MAKER, WB_KIND_OBJECT, WB_ACTION_OBSERVE,
	             NULL, FACTORY, NULL, 400, ITEM_2);
	wb_where_step *v;
	wb_passport *pp;
	uint64_t decl, other, size;
	wb_trace *t;
	size_t n;

	w->ix[D_PACK_C1] = run(w, &decl_steps[D_PACK_C1]);
	/* An event ID the maker never used: recorded, no effect. */
	size = fx_size(&w->fx);
	decl = declare(w, &unknown, MAKER, 450);
	assert_int_equal(decl, size);
	pp = passport(w, ITEM_2);
	assert_string_equal(pp->container, CASE_2);
	assert_string_equal(pp->custodian_name, "Maker");
	assert_string_equal(pp->location, FACTORY);
	assert_int_equal(pp->n_stamps, 3);
	wb_passport_free(pp);
	v = where(w, ITEM_2, &n);
	assert_int_equal(n, 3);
	expect_step(&v[0], w->ix[D_MAKE_ITEMS], 120, "commission",
	            "commissioning", FACTORY, "Maker", "Maker", false);
	expect_step(&v[1], w->ix[D_PACK_C2], 240, "pack", "packing", FACTORY,
	            "Maker", "Maker", false);
	expect_step(&v[2], decl, 400, "declare-error", "", FACTORY, "Maker",
	            "Maker", false);
	free(v);
	/* The lot exists since its items named it, with no stamp of its
	 * own yet: an empty timeline, an empty passport. */
	v = where(w, LOT_L7, &n);
	assert_int_equal(n, 0);
	free(v);
	pp = passport(w, LOT_L7);
	assert_string_equal(pp->id, LOT_L7);
	assert_string_equal(pp->key, LOT_KEY);
	assert_int_equal(pp->kind, WB_ID_GS1_CLASS);
	assert_int_equal(pp->commissioner, 0);
	assert_int_equal(pp->custodian, 0);
	assert_int_equal(pp->n_stamps, 0);
	assert_int_equal(pp->recalls->state, WB_RECALL_CLEAR);
	wb_passport_free(pp);
	/* Another stakeholder repeating the maker's event ID declares an
	 * event of its own it never made: no effect on the maker's
	 * packing. */
	other = declare(w, &decl_steps[D_PACK_C1], RETAIL, 460);
	assert_int_equal(other, decl + 1);
	pp = passport(w, ITEM_1);
	assert_string_equal(pp->container, CASE_1);
	wb_passport_free(pp);
	t = up(w, CASE_1);
	expect_nodes(t, 3, CASE_1, ITEM_1, LOT_L7);
	wb_trace_free(t);
	v = where(w, ITEM_1, &n);
	assert_int_equal(n, 4);
	assert_int_equal(v[2].index, w->ix[D_PACK_C1]);
	assert_false(v[2].declared);
	assert_int_equal(v[3].index, other);
	assert_string_equal(v[3].act, "declare-error");
	assert_string_equal(v[3].signer_name, "Retailer");
	free(v);
}

/*
 * (e) Limits.
 */
#define L_ITEM   "urn:epc:id:sgtin:4000060.000006.1"
#define L_INNER  "urn:epc:id:sscc:4000060.0000000001"
#define L_CASE   "urn:epc:id:sscc:4000060.0000000002"
#define L_PALLET "urn:epc:id:sscc:4000060.0000000003"
#define L_LOT    "urn:epc:class:lgtin:4000060.000006.A"
#define L_ASSET  "urn:epc:id:giai:4000060.1"
#define L_PART   "urn:epc:id:giai:4000060.2"
#define L_NEVER  "urn:epc:id:sgtin:4000060.000006.999"

enum {
	LMAKER = A
};

static const struct step limit_steps[] = {
	STEP("made", LMAKER, WB_KIND_OBJECT, WB_ACTION_ADD, "commissioning",
	     NULL, NULL, 60, L_ITEM, L_INNER, L_CASE, L_PALLET, L_ASSET),
	STEP("made-part", LMAKER, WB_KIND_OBJECT, WB_ACTION_ADD,
	     "commissioning", NULL, NULL, 70, L_PART),
	STEP("pack-inner", LMAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	     "packing", NULL, L_INNER, 120, L_ITEM),
	STEP("pack-case", LMAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD, "packing",
	     NULL, L_CASE, 180, L_INNER),
	STEP("pack-pallet", LMAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	     "packing", NULL, L_PALLET, 240, L_CASE),
	STEP("install", LMAKER, WB_KIND_ASSOCIATION, WB_ACTION_ADD,
	     "installing", NULL, L_ASSET, 300, L_PART),
};

static int
setup_limits(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	open_world(w, WB_CUSTODY_STRICT);
	w->who[LMAKER] = fx_register(&w->fx, "Maker", 60, 0, "4000060", NULL,
	                             &w->who_id[LMAKER]);
	run_until(w, limit_steps,
	          sizeof(limit_steps) / sizeof(limit_steps[0]) - 1);
	*state = w;
	return 0;
}

static wb_trace *
trace_capped(struct world *w, const char *id, bool down, unsigned depth,
             size_t nodes)
{
	wb_trace_opts o = { 0 };
	wb_trace *t = NULL;
	wb_problem p;

	o.down = down;
	o.max_depth = depth;
	o.max_nodes = nodes;
	assert_int_equal(wb_trace_twin(&t, w->fx.j, id, &o, &p), WB_OK);
	return t;
}

static void
test_limits_depth_and_node_caps_truncate(void **state)
{
	struct world *w = *state;
	wb_trace *t;

	t = trace_capped(w, L_PALLET, false, 0, 0);
	expect_nodes(t, 4, L_PALLET, L_CASE, L_INNER, L_ITEM);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(t->nodes[i].depth, i);
	}
	assert_int_equal(t->n_edges, 3);
	assert_false(t->truncated);
	wb_trace_free(t);
	t = trace_capped(w, L_PALLET, false, 1, 0);
	expect_nodes(t, 2, L_PALLET, L_CASE);
	assert_int_equal(t->n_edges, 1);
	assert_true(t->truncated);
	wb_trace_free(t);
	t = trace_capped(w, L_PALLET, false, 2, 0);
	expect_nodes(t, 3, L_PALLET, L_CASE, L_INNER);
	assert_true(t->truncated);
	wb_trace_free(t);
	/* A depth that reaches the end exactly is not a cut. */
	t = trace_capped(w, L_PALLET, false, 3, 0);
	expect_nodes(t, 4, L_PALLET, L_CASE, L_INNER, L_ITEM);
	assert_false(t->truncated);
	wb_trace_free(t);
	t = trace_capped(w, L_PALLET, false, 0, 2);
	expect_nodes(t, 2, L_PALLET, L_CASE);
	assert_true(t->truncated);
	wb_trace_free(t);
	t = trace_capped(w, L_PALLET, false, 0, 4);
	expect_nodes(t, 4, L_PALLET, L_CASE, L_INNER, L_ITEM);
	assert_false(t->truncated);
	wb_trace_free(t);
	t = trace_capped(w, L_ITEM, true, 2, 0);
	expect_nodes(t, 3, L_ITEM, L_INNER, L_CASE);
	assert_true(t->truncated);
	wb_trace_free(t);
	t = trace_capped(w, L_ITEM, true, 0, 1);
	expect_nodes(t, 1, L_ITEM);
	assert_int_equal(t->n_edges, 0);
	assert_true(t->truncated);
	wb_trace_free(t);
}

static void
refused(struct world *w, const wb_stamp *st, wb_reject reason)
{
	uint64_t size = fx_size(&w->fx);
	wb_result res;
	wb_err rc = fx_submit(&w->fx, w->who[LMAKER], st, &res);

	fx_assert_refused(rc, &res, reason);
	assert_int_equal(fx_size(&w->fx), size);
}

static void
test_limits_cycles_refused_at_append(void **state)
{
	struct world *w = *state;
	const struct step into_child =
	        STEP("cycle-1", LMAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	             "packing", NULL, L_CASE, 400, L_PALLET);
	const struct step into_grandchild =
	        STEP("cycle-2", LMAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	             "packing", NULL, L_ITEM, 400, L_PALLET);
	const struct step into_itself =
	        STEP("cycle-3", LMAKER, WB_KIND_AGGREGATION, WB_ACTION_ADD,
	             "packing", NULL, L_CASE, 400, L_CASE);
	const struct step asset_into_part =
	        STEP("cycle-4", LMAKER, WB_KIND_ASSOCIATION, WB_ACTION_ADD,
	             "installing", NULL, L_PART, 400, L_ASSET);
	wb_quantity lot = { L_LOT, true, 10, "KGM" };
	const char *item[1] = { L_ITEM };
	struct built b;
	wb_stamp st;
	wb_passport *pp;

	build(&b, w, &into_child);
	refused(w, &b.st, WB_REJECT_CYCLE);
	build(&b, w, &into_grandchild);
	refused(w, &b.st, WB_REJECT_CYCLE);
	build(&b, w, &into_itself);
	refused(w, &b.st, WB_REJECT_CYCLE);
	build(&b, w, &asset_into_part);
	refused(w, &b.st, WB_REJECT_CYCLE);
	/* A transformation whose input is its output, by lot and by item. */
	fx_stamp_init(&st, &w->fx, WB_KIND_TRANSFORMATION, "cycle-5");
	st.input_quantities = &lot;
	st.n_input_quantities = 1;
	st.output_quantities = &lot;
	st.n_output_quantities = 1;
	refused(w, &st, WB_REJECT_CYCLE);
	fx_stamp_init(&st, &w->fx, WB_KIND_TRANSFORMATION, "cycle-6");
	st.input_epcs = item;
	st.n_input_epcs = 1;
	st.output_epcs = item;
	st.n_output_epcs = 1;
	refused(w, &st, WB_REJECT_CYCLE);
	/* Nothing moved. */
	pp = passport(w, L_PALLET);
	assert_string_equal(pp->container, "");
	wb_passport_free(pp);
	pp = passport(w, L_ASSET);
	assert_string_equal(pp->host, "");
	wb_passport_free(pp);
}

/* Every per-twin query answers rc for this ID, with reason when refused. */
static void
expect_every_query(struct world *w, const char *id, wb_err rc, wb_reject reason)
{
	wb_trace_opts o = { 0 };
	wb_trace *t = NULL;
	wb_passport *pp = NULL;
	wb_where_step *v = NULL;
	wb_installation *in = NULL;
	wb_recall_status *s = NULL;
	uint64_t h[4];
	size_t n = 99;
	wb_problem p;

#define CHECK(call)                                         \
	do {                                                \
		memset(&p, 0, sizeof(p));                   \
		assert_int_equal((call), rc);               \
		if (rc == WB_EREJECTED) {                   \
			assert_int_equal(p.reason, reason); \
			assert_true(strlen(p.msg) > 10);    \
		}                                           \
	} while (0)
	CHECK(wb_trace_twin(&t, w->fx.j, id, &o, &p));
	assert_null(t);
	o.down = true;
	CHECK(wb_trace_twin(&t, w->fx.j, id, &o, &p));
	assert_null(t);
	CHECK(wb_passport_get(&pp, w->fx.j, id, &p));
	assert_null(pp);
	CHECK(wb_where(&v, &n, w->fx.j, id, &p));
	assert_null(v);
	assert_int_equal(n, 0);
	n = 99;
	CHECK(wb_installations(&in, &n, w->fx.j, id, &p));
	assert_null(in);
	assert_int_equal(n, 0);
	CHECK(wb_recall_status_get(&s, w->fx.j, id, &p));
	assert_null(s);
	if (id != NULL) { /* the journal's own API takes no NULL */
		CHECK(wb_journal_history(h, &n, 4, w->fx.j, id, 0, false, &p));
	}
#undef CHECK
}

static void
test_limits_unknown_twins_and_bad_ids(void **state)
{
	struct world *w = *state;

	/* Well-formed, never stamped, in any of its forms. */
	expect_every_query(w, L_NEVER, WB_ENOTFOUND, WB_REJECT_NONE);
	expect_every_query(w, "https://id.gs1.org/01/04000060000060/21/999",
	                   WB_ENOTFOUND, WB_REJECT_NONE);
	expect_every_query(w, "urn:example:nothing-here", WB_ENOTFOUND,
	                   WB_REJECT_NONE);
	/* Not IDs at all. */
	expect_every_query(w, "", WB_EREJECTED, WB_REJECT_BAD_ID);
	expect_every_query(w, "urn:epc:id:sgtin:4000060.000006", WB_EREJECTED,
	                   WB_REJECT_BAD_ID);
	expect_every_query(w, "urn:epc:id:sscc:not-a-number", WB_EREJECTED,
	                   WB_REJECT_BAD_ID);
	expect_every_query(w, "line\nbreak", WB_EREJECTED, WB_REJECT_BAD_ID);
	expect_every_query(w, NULL, WB_EREJECTED, WB_REJECT_BAD_ID);
}

static void
test_limits_impact_of_what_is_not_a_recall(void **state)
{
	struct world *w = *state;
	const char *targets[1] = { L_ITEM };
	wb_recall r = { targets, 1, "test", false, WB_RECALL_CLASS_UNSPECIFIED,
		        NULL };
	wb_lift l = { 0, NULL, 0, "false alarm" };
	wb_recall_impact *im = NULL;
	uint64_t recall, lift;
	wb_problem p;
	wb_stamp st;

	fx_stamp_init(&st, &w->fx, WB_KIND_RECALL, "recall");
	st.recall = &r;
	recall = append_ok(w, LMAKER, &st);
	l.recall_index = recall;
	fx_stamp_init(&st, &w->fx, WB_KIND_LIFT, "lift");
	st.lift = &l;
	lift = append_ok(w, LMAKER, &st);
	/* Genesis, a registry entry, a commissioning, a lift, past the end:
	 * none is a recall. */
	for (uint64_t i = 0; i < 6; i++) {
		uint64_t index =
		        (uint64_t[]){ 0,    w->who_id[LMAKER], w->ix[0],
			              lift, lift + 1,          UINT64_MAX }[i];

		memset(&p, 0, sizeof(p));
		assert_int_equal(
		        wb_recall_impact_get(&im, w->fx.j, index, 0, 10, &p),
		        WB_ENOTFOUND);
		assert_null(im);
		assert_int_equal(p.reason, WB_REJECT_UNKNOWN_RECALL);
	}
	/* The lifted recall itself is answered, inactive. */
	assert_int_equal(wb_recall_impact_get(&im, w->fx.j, recall, 0, 10, &p),
	                 WB_OK);
	assert_int_equal(im->recall_index, recall);
	assert_false(im->active);
	assert_int_equal(im->n_affected, 0);
	assert_int_equal(im->n_holding, 0);
	assert_int_equal(im->n_twins, 0);
	assert_int_equal(im->n_groups, 0);
	wb_recall_impact_free(im);
}

/*
 * Search.
 */
#define S_I1  "urn:epc:id:sgtin:4000070.000007.1"
#define S_I2  "urn:epc:id:sgtin:4000070.000007.2"
#define S_I3  "urn:epc:id:sgtin:4000070.000007.3"
#define S_RP1 "urn:epc:id:sgln:4000070.00001.1"
#define S_RP2 "urn:epc:id:sgln:4000070.00001.2"
#define S_RP3 "urn:epc:id:sgln:4000071.00001.1"
#define S_L1  "urn:epc:id:sgln:4000070.00001.0"
#define S_L2  "urn:epc:id:sgln:4000071.00001.0"

enum {
	SMAKER = A,
	CARRIER = B
};

struct search_step {
	const char *ev;
	int who;
	wb_action action;
	const char *biz_step;
	const char *disposition;
	const char *read_point;
	const char *loc;
	const char *id;
	int64_t t;
};

/* s1..s8 at ix[1..8]. Event times: s8 is the earliest. */
static const struct search_step search_steps[] = {
	{ 0 },
	{ "s1", SMAKER, WB_ACTION_ADD, "commissioning", "active", S_RP1, S_L1,
	  S_I1, 60 },
	{ "s2", SMAKER, WB_ACTION_ADD,
	  "urn:epcglobal:cbv:bizstep:commissioning",
	  "urn:epcglobal:cbv:disp:active", S_RP1, S_L1, S_I2, 120 },
	{ "s3", SMAKER, WB_ACTION_OBSERVE,
	  "https://ref.gs1.org/cbv/BizStep-shipping", "in_transit", S_RP2, S_L1,
	  S_I1, 180 },
	{ "s4", CARRIER, WB_ACTION_OBSERVE, "receiving", "in_progress", S_RP3,
	  S_L2, S_I1, 240 },
	{ "s5", SMAKER, WB_ACTION_OBSERVE, "shipping",
	  "https://ref.gs1.org/cbv/Disp-in_transit", S_RP2, S_L1, S_I2, 300 },
	{ "s6", CARRIER, WB_ACTION_OBSERVE, "receiving", "in_progress", S_RP3,
	  S_L2, S_I2, 360 },
	{ "s7", CARRIER, WB_ACTION_OBSERVE, "inspecting", NULL, S_RP3, S_L2,
	  S_I1, 420 },
	{ "s8", SMAKER, WB_ACTION_ADD, "commissioning", "active", S_RP1, S_L1,
	  S_I3, 30 },
};

#define N_SEARCH 8

static int
setup_search(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	open_world(w, WB_CUSTODY_STRICT);
	w->who[SMAKER] = fx_register(&w->fx, "Maker", 70, 0, "4000070", NULL,
	                             &w->who_id[SMAKER]);
	w->who[CARRIER] =
	        fx_register(&w->fx, "Carrier", 71, FX_ROLE(WB_ROLE_LOGISTICS),
	                    NULL, NULL, &w->who_id[CARRIER]);
	for (size_t i = 1; i <= N_SEARCH; i++) {
		const struct search_step *s = &search_steps[i];
		const char *ids[1] = { s->id };
		wb_location rp = { s->read_point, NULL },
		            loc = { s->loc, NULL };
		wb_stamp st;

		fx_stamp_init(&st, &w->fx, WB_KIND_OBJECT, s->ev);
		st.epcs = ids;
		st.n_epcs = 1;
		st.has_action = true;
		st.action = s->action;
		st.biz_step = s->biz_step;
		st.disposition = s->disposition;
		st.read_point = &rp;
		st.biz_location = &loc;
		st.event_time.seconds = T0 + s->t;
		w->ix[i] = append_ok(w, s->who, &st);
	}
	*state = w;
	return 0;
}

/* Runs a query (one page, limit 100) and asserts the results: the stamp
 * numbers (1..8) follow, 0-terminated. */
static void
expect_search(struct world *w, const wb_search_query *q_in, ...)
{
	wb_search_query q = *q_in;
	uint64_t *v = NULL, next = 99;
	size_t n = 0, k = 0;
	va_list ap;
	int s;

	assert_int_equal(wb_search(&v, &n, &next, w->fx.j, &q), WB_OK);
	va_start(ap, q_in);
	while ((s = va_arg(ap, int)) != 0) {
		if (k >= n) {
			fail_msg("missing s%d (got %zu results)", s, n);
		}
		if (v[k] != w->ix[s]) {
			fail_msg("result %zu is index %llu, not s%d (%llu)", k,
			         (unsigned long long)v[k], s,
			         (unsigned long long)w->ix[s]);
		}
		k++;
	}
	va_end(ap);
	assert_int_equal(n, k);
	assert_int_equal(next, 0);
	free(v);
}

static void
test_search_by_each_filter(void **state)
{
	struct world *w = *state;
	wb_search_query q = { 0 };

	/* bizStep: a bare word, a CBV 1.x URN and a CBV 2.0 URI find the
	 * same stamps, however the stamps wrote it. */
	q.biz_step = "commissioning";
	expect_search(w, &q, 1, 2, 8, 0);
	q.biz_step = "urn:epcglobal:cbv:bizstep:commissioning";
	expect_search(w, &q, 1, 2, 8, 0);
	q.biz_step = "https://ref.gs1.org/cbv/BizStep-commissioning";
	expect_search(w, &q, 1, 2, 8, 0);
	q.biz_step = "shipping";
	expect_search(w, &q, 3, 5, 0);
	q.biz_step = "urn:epcglobal:cbv:bizstep:shipping";
	expect_search(w, &q, 3, 5, 0);
	q.biz_step = "destroying";
	expect_search(w, &q, 0);
	q.biz_step = NULL;
	/* Disposition. */
	q.disposition = "in_transit";
	expect_search(w, &q, 3, 5, 0);
	q.disposition = "urn:epcglobal:cbv:disp:in_transit";
	expect_search(w, &q, 3, 5, 0);
	q.disposition = "https://ref.gs1.org/cbv/Disp-active";
	expect_search(w, &q, 1, 2, 8, 0);
	q.disposition = NULL;
	/* Read point and business location. */
	q.read_point = S_RP2;
	expect_search(w, &q, 3, 5, 0);
	q.read_point = S_RP3;
	expect_search(w, &q, 4, 6, 7, 0);
	q.read_point = NULL;
	q.biz_location = S_L2;
	expect_search(w, &q, 4, 6, 7, 0);
	q.biz_location = S_L1;
	expect_search(w, &q, 1, 2, 3, 5, 8, 0);
	q.biz_location = NULL;
	/* Stakeholder. */
	q.has_stakeholder = true;
	q.stakeholder = w->who_id[CARRIER];
	expect_search(w, &q, 4, 6, 7, 0);
	q.stakeholder = w->who_id[SMAKER];
	expect_search(w, &q, 1, 2, 3, 5, 8, 0);
	q.has_stakeholder = false;
	/* Event-time ranges, inclusive. */
	q.has_event_from = q.has_event_to = true;
	q.event_from.seconds = T0 + 180;
	q.event_to.seconds = T0 + 300;
	expect_search(w, &q, 3, 4, 5, 0);
	q.has_event_to = false;
	q.event_from.seconds = T0 + 361;
	expect_search(w, &q, 7, 0);
	q.has_event_from = false;
	q.has_event_to = true;
	q.event_to.seconds = T0 + 60;
	expect_search(w, &q, 1, 8, 0);
	q.event_to.seconds = T0 + 29;
	expect_search(w, &q, 0);
}

static uint64_t
record_time(struct world *w, uint64_t index)
{
	uint8_t *bytes = NULL;
	wb_entry *e = NULL;
	uint64_t us;
	size_t len;

	assert_int_equal(wb_journal_entry(&bytes, &len, w->fx.j, index), WB_OK);
	assert_int_equal(wb_entry_decode(&e, bytes, len), WB_OK);
	us = e->record_time_us;
	wb_entry_free(e);
	free(bytes);
	return us;
}

static void
test_search_by_record_time(void **state)
{
	struct world *w = *state;
	wb_search_query q = { 0 };
	uint64_t rt[N_SEARCH + 1];

	for (int i = 1; i <= N_SEARCH; i++) {
		rt[i] = record_time(w, w->ix[i]);
		/* Each append is its own commit: record times rise. */
		if (i > 1) {
			assert_true(rt[i] > rt[i - 1]);
		}
	}
	q.has_record_from = q.has_record_to = true;
	q.record_from_us = rt[3];
	q.record_to_us = rt[5];
	expect_search(w, &q, 3, 4, 5, 0);
	q.record_from_us = rt[3] + 1;
	q.record_to_us = rt[5] - 1;
	expect_search(w, &q, 4, 0);
	q.has_record_to = false;
	q.record_from_us = rt[7];
	expect_search(w, &q, 7, 8, 0);
	q.has_record_from = false;
	q.has_record_to = true;
	q.record_to_us = rt[2];
	expect_search(w, &q, 1, 2, 0);
	/* With an equality filter driving the scan. */
	q.biz_step = "commissioning";
	q.has_record_from = true;
	q.record_from_us = rt[2];
	q.record_to_us = rt[8];
	expect_search(w, &q, 2, 8, 0);
}

static void
test_search_combinations(void **state)
{
	struct world *w = *state;
	wb_search_query q = { 0 };

	q.biz_step = "receiving";
	q.has_stakeholder = true;
	q.stakeholder = w->who_id[CARRIER];
	expect_search(w, &q, 4, 6, 0);
	q.has_event_from = true;
	q.event_from.seconds = T0 + 300;
	expect_search(w, &q, 6, 0);
	memset(&q, 0, sizeof(q));
	q.biz_step = "shipping";
	q.has_event_from = true;
	q.event_from.seconds = T0 + 200;
	expect_search(w, &q, 5, 0);
	memset(&q, 0, sizeof(q));
	q.read_point = S_RP1;
	q.disposition = "active";
	q.has_event_to = true;
	q.event_to.seconds = T0 + 100;
	expect_search(w, &q, 1, 8, 0);
	memset(&q, 0, sizeof(q));
	q.has_stakeholder = true;
	q.stakeholder = w->who_id[SMAKER];
	q.biz_location = S_L2;
	expect_search(w, &q, 0);
	memset(&q, 0, sizeof(q));
	q.biz_location = S_L2;
	q.disposition = "in_progress";
	q.biz_step = "receiving";
	q.read_point = S_RP3;
	expect_search(w, &q, 4, 6, 0);
}

/* Pages through a query with limit 2 and asserts the pages. */
static void
expect_pages(struct world *w, wb_search_query *q, const int *want, size_t n)
{
	size_t seen = 0, pages = 0;

	q->limit = 2;
	q->after = 0;
	do {
		uint64_t *v = NULL, next = 0;
		size_t k = 0;

		assert_int_equal(wb_search(&v, &k, &next, w->fx.j, q), WB_OK);
		pages++;
		for (size_t i = 0; i < k; i++) {
			assert_true(seen < n);
			assert_int_equal(v[i], w->ix[want[seen]]);
			seen++;
		}
		/* Full pages say where to go on; the last says 0. */
		if (seen < n) {
			assert_int_equal(k, 2);
			assert_int_equal(next, v[1]);
		} else {
			assert_int_equal(next, 0);
		}
		free(v);
		q->after = next;
	} while (q->after != 0);
	assert_int_equal(seen, n);
	assert_int_equal(pages, (n + 1) / 2);
}

static void
test_search_pages_with_the_cursor(void **state)
{
	struct world *w = *state;
	const int maker[] = { 1, 2, 3, 5, 8 };
	const int window[] = { 1, 2, 3, 4, 5 };
	wb_search_query q = { 0 };

	/* Indexed: the maker's five stamps, three pages. */
	q.has_stakeholder = true;
	q.stakeholder = w->who_id[SMAKER];
	expect_pages(w, &q, maker, 5);
	/* A journal scan: five stamps in an event-time window. */
	memset(&q, 0, sizeof(q));
	q.has_event_from = q.has_event_to = true;
	q.event_from.seconds = T0 + 60;
	q.event_to.seconds = T0 + 300;
	expect_pages(w, &q, window, 5);
}

int
main(void)
{
#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_part_passport_host_follows_installs, setup_part),
		T(test_part_installations_attribute_each_stamp, setup_part),
		T(test_part_where_is_by_event_time, setup_part),
		T(test_part_removal_declared_wrong_keeps_it_installed,
		  setup_part),
		T(test_part_lineage_between_part_and_aircraft, setup_part),
		T(test_pallet_current_state_follows_each_step, setup_pallet),
		T(test_pallet_contents_as_of_index_and_time, setup_pallet),
		T(test_pallet_include_closed_shows_every_container_ever,
		  setup_pallet),
		T(test_pallet_late_pack_is_history_not_current_state,
		  setup_pallet),
		T(test_pallet_unpack_all_leaves_cases_with_the_holder,
		  setup_pallet),
		T(test_pallet_unpack_all_takes_out_every_child, setup_pallet),
		T(test_pallet_late_unpack_leaves_current_contents,
		  setup_pallet),
		T(test_decl_receiving_declared_wrong_reverts_custody,
		  setup_decl),
		T(test_decl_packing_declared_wrong_undoes_lineage_and_recall,
		  setup_decl),
		T(test_decl_of_unknown_or_foreign_event_has_no_effect,
		  setup_decl),
		T(test_limits_depth_and_node_caps_truncate, setup_limits),
		T(test_limits_cycles_refused_at_append, setup_limits),
		T(test_limits_unknown_twins_and_bad_ids, setup_limits),
		T(test_limits_impact_of_what_is_not_a_recall, setup_limits),
		T(test_search_by_each_filter, setup_search),
		T(test_search_by_record_time, setup_search),
		T(test_search_combinations, setup_search),
		T(test_search_pages_with_the_cursor, setup_search),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
