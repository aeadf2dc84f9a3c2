/* SPDX-License-Identifier: MIT */
/*
 * The append rules: every rule refuses a bad stamp with its own reason and a
 * message, and nothing is written for it; good stamps get consecutive
 * indexes; duplicates are idempotent; batches commit together.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACME_ITEM    "urn:epc:id:sgtin:0614141.107346.2017"
#define ACME_ITEM_DL "https://id.gs1.org/01/10614141073464/21/2017"
#define ACME_ITEM2   "urn:epc:id:sgtin:0614141.107346.2018"
#define ACME_LOT     "urn:epc:class:lgtin:0614141.107346.LOT1"
#define ACME_CASE    "urn:epc:id:sscc:0614141.1234567890"
#define ACME_PALLET  "urn:epc:id:sscc:0614141.1234567891"
#define SHOP_PARTY   "urn:epc:id:pgln:0012345.00001"

struct world {
	fx_ledger fx;
	wb_signer *acme;     /* brand owner of 0614141 */
	wb_signer *shop;     /* retailer, 0012345, party SHOP_PARTY */
	wb_signer *fda;      /* regulator */
	wb_signer *recycler; /* recycler */
	uint64_t acme_id, shop_id;
};

static struct world *
world_new(wb_custody custody)
{
	struct world *w = calloc(1, sizeof(*w));
	wb_registry_change c = { 0 };
	wb_namespace ns = { WB_NS_GS1_COMPANY_PREFIX, "0012345" };
	wb_role role = WB_ROLE_RETAILER;
	wb_result res;

	assert_non_null(w);
	fx_open(&w->fx, custody);
	w->acme = fx_register(&w->fx, "Acme", 10, FX_ROLE(WB_ROLE_BRAND_OWNER),
	                      "0614141", NULL, &w->acme_id);
	w->shop = test_signer("Shop", 11);
	c.op = WB_REG_REGISTER;
	c.key = *wb_signer_pubkey(w->shop);
	c.name = "Shop";
	c.party_id = SHOP_PARTY;
	c.roles = &role;
	c.n_roles = 1;
	c.namespaces = &ns;
	c.n_namespaces = 1;
	assert_int_equal(fx_registry(&w->fx, &c, &res), WB_OK);
	w->shop_id = res.index;
	w->fda = fx_register(&w->fx, "FDA", 12, FX_ROLE(WB_ROLE_REGULATOR),
	                     NULL, NULL, NULL);
	w->recycler = fx_register(&w->fx, "Recycler", 13,
	                          FX_ROLE(WB_ROLE_RECYCLER), NULL, NULL, NULL);
	return w;
}

static int
setup_advisory(void **state)
{
	*state = world_new(WB_CUSTODY_ADVISORY);
	return 0;
}

static int
setup_strict(void **state)
{
	*state = world_new(WB_CUSTODY_STRICT);
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_signer_free(w->acme);
	wb_signer_free(w->shop);
	wb_signer_free(w->fda);
	wb_signer_free(w->recycler);
	fx_close(&w->fx);
	free(w);
	return 0;
}

/* Submits and requires a refusal with `reason`; the journal and its latest
 * checkpoint must be exactly as before. */
static void
refused(struct world *w, const wb_signer *signer, const wb_stamp *s,
        wb_reject reason)
{
	uint64_t before = fx_size(&w->fx);
	char *cp_before = NULL, *cp_after = NULL;
	wb_result res;
	wb_err rc;

	assert_int_equal(wb_journal_checkpoint(&cp_before, w->fx.j, 0), WB_OK);
	rc = fx_submit(&w->fx, signer, s, &res);
	fx_assert_refused(rc, &res, reason);
	assert_int_equal(fx_size(&w->fx), before);
	assert_int_equal(wb_journal_checkpoint(&cp_after, w->fx.j, 0), WB_OK);
	assert_string_equal(cp_before, cp_after);
	free(cp_before);
	free(cp_after);
}

static uint64_t
accepted(struct world *w, const wb_signer *signer, const wb_stamp *s)
{
	uint64_t before = fx_size(&w->fx);
	wb_result res;
	wb_err rc = fx_submit(&w->fx, signer, s, &res);

	if (rc != WB_OK) {
		fail_msg("refused: %s: %s", wb_reject_name(res.problem.reason),
		         res.problem.msg);
	}
	assert_false(res.duplicate);
	assert_int_equal(res.index, before);
	assert_int_equal(fx_size(&w->fx), before + 1);
	return res.index;
}

static void
object(wb_stamp *s, struct world *w, const char *event_id, const char **epcs,
       size_t n, wb_action action, const char *step)
{
	fx_stamp_init(s, &w->fx, WB_KIND_OBJECT, event_id);
	s->epcs = epcs;
	s->n_epcs = n;
	s->has_action = true;
	s->action = action;
	s->biz_step = step;
}

static uint64_t
commission(struct world *w, const char *event_id, const char *id)
{
	static const char *ids[1];
	wb_stamp s;

	ids[0] = id;
	object(&s, w, event_id, ids, 1, WB_ACTION_ADD, "commissioning");
	return accepted(w, w->acme, &s);
}

static void
aggregate(wb_stamp *s, struct world *w, const char *event_id,
          const char *parent, const char **children, size_t n, wb_action action)
{
	fx_stamp_init(s, &w->fx, WB_KIND_AGGREGATION, event_id);
	s->parent_id = parent;
	s->epcs = children;
	s->n_epcs = n;
	s->has_action = true;
	s->action = action;
	s->biz_step = action == WB_ACTION_ADD ? "packing" : "unpacking";
}

static void
test_append_accepts_commissioning_with_chain(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	uint64_t first, second, hist[4];
	uint8_t *bytes = NULL;
	size_t len, n;
	wb_entry *e = NULL;
	wb_hash leaf;
	wb_stamp s;

	first = commission(w, "ev-1", ACME_ITEM);
	object(&s, w, "ev-2", ids, 1, WB_ACTION_OBSERVE,
	       "https://ref.gs1.org/cbv/BizStep-inspecting");
	second = accepted(w, w->shop, &s);
	/* The second entry links to the first by index and leaf hash. */
	assert_int_equal(wb_journal_entry(&bytes, &len, w->fx.j, second),
	                 WB_OK);
	assert_int_equal(wb_entry_decode(&e, bytes, len), WB_OK);
	assert_int_equal(e->n_links, 1);
	assert_string_equal(e->links[0].twin, "(01)10614141073464(21)2017");
	assert_true(e->links[0].has_prev);
	assert_int_equal(e->links[0].prev_index, first);
	assert_int_equal(wb_journal_leaf_hash(&leaf, w->fx.j, first), WB_OK);
	assert_memory_equal(e->links[0].prev_leaf_hash.b, leaf.b, WB_HASH_LEN);
	wb_entry_free(e);
	free(bytes);
	/* Both forms of the ID find the same history. */
	assert_int_equal(wb_journal_history(hist, &n, 4, w->fx.j, ACME_ITEM_DL,
	                                    0, false, NULL),
	                 WB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(hist[0], first);
	assert_int_equal(hist[1], second);
}

static void
test_append_refuses_malformed_bytes(void **state)
{
	struct world *w = *state;
	static const uint8_t junk[] = { 0x0a, 0x05, 'x' };
	wb_submission sub = { 0 };
	wb_result res;
	uint64_t before = fx_size(&w->fx);

	sub.type = WB_ENTRY_STAMP;
	sub.body = junk;
	sub.body_len = sizeof(junk);
	sub.signer = *wb_signer_pubkey(w->acme);
	assert_int_equal(wb_sig_sign(sub.signature, w->acme, WB_SIG_STAMP, junk,
	                             sizeof(junk)),
	                 WB_OK);
	assert_int_equal(wb_journal_append(w->fx.j, &sub, 1, &res, NULL, NULL),
	                 WB_OK);
	fx_assert_refused(res.err, &res, WB_REJECT_MALFORMED);
	assert_int_equal(fx_size(&w->fx), before);
}

static void
test_append_refuses_wrong_ledger(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_stamp s;

	object(&s, w, "ev-1", ids, 1, WB_ACTION_ADD, "commissioning");
	s.ledger_id[0] ^= 1;
	refused(w, w->acme, &s, WB_REJECT_WRONG_LEDGER);
}

static void
test_append_refuses_unknown_signer(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_signer *stranger = test_signer("stranger", 99);
	wb_stamp s;

	object(&s, w, "ev-1", ids, 1, WB_ACTION_OBSERVE, NULL);
	refused(w, stranger, &s, WB_REJECT_UNKNOWN_SIGNER);
	wb_signer_free(stranger);
}

static void
test_append_refuses_bad_signature(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_submission sub;
	wb_result res;
	wb_stamp s;

	object(&s, w, "ev-1", ids, 1, WB_ACTION_ADD, "commissioning");
	fx_submission(&sub, w->acme, &s);
	sub.signature[10] ^= 0x20;
	assert_int_equal(wb_journal_append(w->fx.j, &sub, 1, &res, NULL, NULL),
	                 WB_OK);
	fx_assert_refused(res.err, &res, WB_REJECT_BAD_SIGNATURE);
	/* A registry-context signature over the same bytes is no stamp
	 * signature either. */
	assert_int_equal(wb_sig_sign(sub.signature, w->acme, WB_SIG_REGISTRY,
	                             sub.body, sub.body_len),
	                 WB_OK);
	sub.sig_state = 0;
	assert_int_equal(wb_journal_append(w->fx.j, &sub, 1, &res, NULL, NULL),
	                 WB_OK);
	fx_assert_refused(res.err, &res, WB_REJECT_BAD_SIGNATURE);
	free((void *)(uintptr_t)sub.body);
	assert_int_equal(fx_size(&w->fx), 5);
}

static void
test_append_refuses_bad_ids(void **state)
{
	struct world *w = *state;
	char long_id[WB_ID_MAX + 2];
	const char *bad[] = { "",
		              long_id,
		              "abc\xff",
		              "a\x01z",
		              "urn:epc:id:sgtin:0614141.107346",
		              "a\x7f" };
	wb_stamp s;

	memset(long_id, 'a', WB_ID_MAX + 1);
	long_id[WB_ID_MAX + 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		object(&s, w, "ev-bad", bad + i, 1, WB_ACTION_OBSERVE, NULL);
		refused(w, w->shop, &s, WB_REJECT_BAD_ID);
	}
	/* Places are checked too. */
	{
		const char *ok[] = { ACME_ITEM };
		wb_location rp = { "bad\x02place", NULL };

		object(&s, w, "ev-bad", ok, 1, WB_ACTION_OBSERVE, NULL);
		s.read_point = &rp;
		refused(w, w->shop, &s, WB_REJECT_BAD_ID);
	}
	/* Exactly 256 bytes is fine. */
	long_id[WB_ID_MAX] = '\0';
	object(&s, w, "ev-ok", bad + 1, 1, WB_ACTION_OBSERVE, NULL);
	accepted(w, w->shop, &s);
}

static void
test_append_refuses_future_event_time(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_stamp s;

	object(&s, w, "ev-1", ids, 1, WB_ACTION_OBSERVE, NULL);
	s.event_time.seconds = (int64_t)time(NULL) + 10 * 60;
	refused(w, w->shop, &s, WB_REJECT_FUTURE_EVENT_TIME);
	s.event_time.seconds = (int64_t)time(NULL) + 4 * 60;
	accepted(w, w->shop, &s);
	/* Far in the past is fine. */
	object(&s, w, "ev-2", ids, 1, WB_ACTION_OBSERVE, NULL);
	s.event_time.seconds = -2208988800; /* 1900 */
	accepted(w, w->shop, &s);
}

static void
test_append_refuses_commissioning_outside_namespace(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	const char *dl[] = { ACME_ITEM_DL };
	wb_quantity q = { ACME_LOT, true, 10, "KGM" };
	wb_stamp s;

	object(&s, w, "ev-1", ids, 1, WB_ACTION_ADD, "commissioning");
	refused(w, w->shop, &s, WB_REJECT_OUTSIDE_NAMESPACE);
	object(&s, w, "ev-2", dl, 1, WB_ACTION_ADD, NULL);
	refused(w, w->shop, &s, WB_REJECT_OUTSIDE_NAMESPACE);
	object(&s, w, "ev-3", NULL, 0, WB_ACTION_ADD, NULL);
	s.quantities = &q;
	s.n_quantities = 1;
	refused(w, w->shop, &s, WB_REJECT_OUTSIDE_NAMESPACE);
	/* A transformation's outputs are commissioned too. */
	fx_stamp_init(&s, &w->fx, WB_KIND_TRANSFORMATION, "ev-4");
	s.output_epcs = ids;
	s.n_output_epcs = 1;
	refused(w, w->shop, &s, WB_REJECT_OUTSIDE_NAMESPACE);
	/* The owner may, in either form. */
	object(&s, w, "ev-5", dl, 1, WB_ACTION_ADD, NULL);
	accepted(w, w->acme, &s);
}

static void
test_append_recall_needs_authority(void **state)
{
	struct world *w = *state;
	const char *lot[] = { ACME_LOT };
	wb_recall r = { lot, 1, "undeclared peanuts", true, WB_RECALL_CLASS_I,
		        NULL };
	wb_lift l = { 0, NULL, 0, "resolved" };
	wb_stamp s;
	uint64_t recall;

	fx_stamp_init(&s, &w->fx, WB_KIND_RECALL, "recall-1");
	s.recall = &r;
	/* Never commissioned: the namespace owner or a regulator. */
	refused(w, w->shop, &s, WB_REJECT_NO_RECALL_AUTHORITY);
	recall = accepted(w, w->acme, &s);
	fx_stamp_init(&s, &w->fx, WB_KIND_RECALL, "recall-2");
	s.recall = &r;
	accepted(w, w->fda, &s);

	fx_stamp_init(&s, &w->fx, WB_KIND_LIFT, "lift-1");
	l.recall_index = recall;
	s.lift = &l;
	refused(w, w->shop, &s, WB_REJECT_NO_LIFT_AUTHORITY);
	l.recall_index = 1; /* a registry entry, not a recall */
	refused(w, w->acme, &s, WB_REJECT_UNKNOWN_RECALL);
	l.recall_index = recall;
	l.targets = lot;
	l.n_targets = 1;
	accepted(w, w->fda, &s);
	{
		const char *other[] = { ACME_ITEM };

		fx_stamp_init(&s, &w->fx, WB_KIND_LIFT, "lift-2");
		l.targets = other;
		s.lift = &l;
		refused(w, w->acme, &s, WB_REJECT_UNKNOWN_RECALL);
	}
}

static void
test_append_commissioned_twin_recalled_by_commissioner(void **state)
{
	struct world *w = *state;
	const char *item[] = { ACME_ITEM };
	wb_recall r = { item, 1, "defect", false, 0, NULL };
	wb_stamp s;

	commission(w, "ev-1", ACME_ITEM);
	fx_stamp_init(&s, &w->fx, WB_KIND_RECALL, "recall-1");
	s.recall = &r;
	refused(w, w->recycler, &s, WB_REJECT_NO_RECALL_AUTHORITY);
	accepted(w, w->acme, &s);
}

static void
test_append_refuses_stamps_after_decommissioning(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_recall r = { ids, 1, "late defect", false, 0, NULL };
	wb_stamp s;

	commission(w, "ev-1", ACME_ITEM);
	object(&s, w, "ev-2", ids, 1, WB_ACTION_DELETE, "decommissioning");
	accepted(w, w->acme, &s);
	object(&s, w, "ev-3", ids, 1, WB_ACTION_OBSERVE, "shipping");
	refused(w, w->acme, &s, WB_REJECT_DECOMMISSIONED);
	object(&s, w, "ev-4", ids, 1, WB_ACTION_OBSERVE, "inspecting");
	accepted(w, w->shop, &s);
	fx_stamp_init(&s, &w->fx, WB_KIND_RECALL, "recall-1");
	s.recall = &r;
	accepted(w, w->fda, &s);
}

static void
test_append_refuses_containment_cycles(void **state)
{
	struct world *w = *state;
	const char *item[] = { ACME_ITEM };
	const char *case_[] = { ACME_CASE };
	const char *pallet[] = { ACME_PALLET };
	wb_stamp s;

	commission(w, "ev-1", ACME_ITEM);
	aggregate(&s, w, "ev-2", ACME_CASE, item, 1, WB_ACTION_ADD);
	accepted(w, w->acme, &s);
	aggregate(&s, w, "ev-3", ACME_PALLET, case_, 1, WB_ACTION_ADD);
	accepted(w, w->acme, &s);
	/* The pallet holds the case holds the item: none may hold the
	 * pallet. */
	aggregate(&s, w, "ev-4", ACME_ITEM, pallet, 1, WB_ACTION_ADD);
	refused(w, w->acme, &s, WB_REJECT_CYCLE);
	aggregate(&s, w, "ev-5", ACME_CASE, pallet, 1, WB_ACTION_ADD);
	refused(w, w->acme, &s, WB_REJECT_CYCLE);
	aggregate(&s, w, "ev-6", ACME_CASE, case_, 1, WB_ACTION_ADD);
	refused(w, w->acme, &s, WB_REJECT_CYCLE);
	/* Unpacked, the old order may be reversed. */
	aggregate(&s, w, "ev-7", ACME_PALLET, case_, 1, WB_ACTION_DELETE);
	s.event_time.seconds += 10;
	accepted(w, w->acme, &s);
	aggregate(&s, w, "ev-8", ACME_CASE, pallet, 1, WB_ACTION_ADD);
	s.event_time.seconds += 20;
	accepted(w, w->acme, &s);
}

static void
test_append_event_ids_are_idempotent_or_refused(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	const char *other[] = { ACME_ITEM2 };
	wb_error_declaration ed = { { FX_EVENT_TIME + 60, 0, false },
		                    "incorrect_data",
		                    NULL,
		                    0,
		                    NULL };
	wb_result res;
	uint64_t first, size;
	wb_stamp s;

	first = commission(w, "ev-1", ACME_ITEM);
	size = fx_size(&w->fx);
	/* The same signed stamp again: the first receipt, nothing new. */
	object(&s, w, "ev-1", ids, 1, WB_ACTION_ADD, "commissioning");
	assert_int_equal(fx_submit(&w->fx, w->acme, &s, &res), WB_OK);
	assert_true(res.duplicate);
	assert_int_equal(res.index, first);
	assert_int_equal(fx_size(&w->fx), size);
	/* The same event ID with other bytes: refused, naming the first. */
	object(&s, w, "ev-1", other, 1, WB_ACTION_ADD, "commissioning");
	refused(w, w->acme, &s, WB_REJECT_DUPLICATE_EVENT_ID);
	{
		wb_err rc = fx_submit(&w->fx, w->acme, &s, &res);
		char first_str[32];

		assert_int_equal(rc, WB_EREJECTED);
		snprintf(first_str, sizeof(first_str), "entry %llu",
		         (unsigned long long)first);
		assert_non_null(strstr(res.problem.msg, first_str));
	}
	/* Another stakeholder may use the same event ID. */
	object(&s, w, "ev-1", ids, 1, WB_ACTION_OBSERVE, NULL);
	accepted(w, w->shop, &s);
	/* An error declaration repeats the event ID it declares wrong. */
	object(&s, w, "ev-1", ids, 1, WB_ACTION_ADD, "commissioning");
	s.error_declaration = &ed;
	accepted(w, w->acme, &s);
	/* ... and a declaration of an unknown event is recorded too. */
	object(&s, w, "never-seen", ids, 1, WB_ACTION_OBSERVE, NULL);
	s.error_declaration = &ed;
	accepted(w, w->acme, &s);
}

static void
test_append_ledger_keys_may_not_stamp(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_registry_change c = { 0 };
	wb_submission sub = { 0 };
	uint8_t *body = NULL;
	size_t len;
	wb_result res;
	wb_stamp s;

	object(&s, w, "ev-1", ids, 1, WB_ACTION_OBSERVE, NULL);
	refused(w, w->fx.admin, &s, WB_REJECT_WRONG_KEY);
	refused(w, w->fx.log, &s, WB_REJECT_WRONG_KEY);
	/* A registry change signed by a stakeholder is refused. */
	memcpy(c.ledger_id, wb_journal_ledger_id(w->fx.j), WB_HASH_LEN);
	c.change_id = "rogue";
	c.op = WB_REG_CHANGE_ROLES;
	c.key = *wb_signer_pubkey(w->shop);
	assert_int_equal(wb_registry_change_encode(&body, &len, &c), WB_OK);
	sub.type = WB_ENTRY_REGISTRY;
	sub.body = body;
	sub.body_len = len;
	sub.signer = *wb_signer_pubkey(w->shop);
	assert_int_equal(
	        wb_sig_sign(sub.signature, w->shop, WB_SIG_REGISTRY, body, len),
	        WB_OK);
	assert_int_equal(wb_journal_append(w->fx.j, &sub, 1, &res, NULL, NULL),
	                 WB_OK);
	fx_assert_refused(res.err, &res, WB_REJECT_WRONG_KEY);
	free(body);
}

static void
test_append_advisory_custody_flags_gaps(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_result res;
	wb_stamp s;

	commission(w, "ev-1", ACME_ITEM);
	/* The shop ships what Acme holds: accepted, flagged. */
	object(&s, w, "ev-2", ids, 1, WB_ACTION_OBSERVE, "shipping");
	assert_int_equal(fx_submit(&w->fx, w->shop, &s, &res), WB_OK);
	assert_true(res.custody_gap);
	/* Acme's own shipping is no gap. */
	object(&s, w, "ev-3", ids, 1, WB_ACTION_OBSERVE, "shipping");
	s.event_time.seconds += 5;
	assert_int_equal(fx_submit(&w->fx, w->acme, &s, &res), WB_OK);
	assert_false(res.custody_gap);
}

static void
test_append_strict_custody_follows_shipments(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_typed_value dest = { "possessing_party", SHOP_PARTY };
	wb_stamp s;

	commission(w, "ev-1", ACME_ITEM);
	object(&s, w, "ev-2", ids, 1, WB_ACTION_OBSERVE, "shipping");
	refused(w, w->shop, &s, WB_REJECT_NOT_CUSTODIAN);
	/* Acme ships to the shop; only the shop may receive it. */
	s.destinations = &dest;
	s.n_destinations = 1;
	s.event_time.seconds += 60;
	accepted(w, w->acme, &s);
	object(&s, w, "ev-3", ids, 1, WB_ACTION_OBSERVE, "receiving");
	s.event_time.seconds += 120;
	refused(w, w->recycler, &s, WB_REJECT_NOT_CUSTODIAN);
	accepted(w, w->shop, &s);
	/* Now the shop sells it; Acme no longer may. */
	object(&s, w, "ev-4", ids, 1, WB_ACTION_OBSERVE, "retail_selling");
	s.event_time.seconds += 180;
	refused(w, w->acme, &s, WB_REJECT_NOT_CUSTODIAN);
	accepted(w, w->shop, &s);
	/* The brand owner may still decommission it. */
	object(&s, w, "ev-5", ids, 1, WB_ACTION_OBSERVE, "destroying");
	s.event_time.seconds += 240;
	accepted(w, w->acme, &s);
}

static void
test_append_strict_custody_through_containers(void **state)
{
	struct world *w = *state;
	const char *item[] = { ACME_ITEM };
	const char *case_[] = { ACME_CASE };
	wb_stamp s;

	commission(w, "ev-1", ACME_ITEM);
	aggregate(&s, w, "ev-2", ACME_CASE, item, 1, WB_ACTION_ADD);
	s.event_time.seconds += 1;
	accepted(w, w->acme, &s);
	/* Shipped and received as a case, with no destination named. */
	object(&s, w, "ev-3", case_, 1, WB_ACTION_OBSERVE, "shipping");
	s.event_time.seconds += 2;
	accepted(w, w->acme, &s);
	object(&s, w, "ev-4", case_, 1, WB_ACTION_OBSERVE, "receiving");
	s.event_time.seconds += 3;
	accepted(w, w->shop, &s);
	/* The shop holds the case, so it may unpack the item and sell it. */
	aggregate(&s, w, "ev-5", ACME_CASE, item, 1, WB_ACTION_DELETE);
	s.event_time.seconds += 4;
	refused(w, w->acme, &s, WB_REJECT_NOT_CUSTODIAN);
	accepted(w, w->shop, &s);
	object(&s, w, "ev-6", item, 1, WB_ACTION_OBSERVE, "retail_selling");
	s.event_time.seconds += 5;
	accepted(w, w->shop, &s);
}

static void
test_append_batch_is_one_commit(void **state)
{
	struct world *w = *state;
	const char *a[] = { ACME_ITEM };
	const char *b[] = { ACME_ITEM2 };
	wb_submission subs[3];
	wb_result res[3];
	wb_append_opts atomic = { .atomic = true };
	uint64_t size = fx_size(&w->fx), after;
	char *cp = NULL;
	wb_stamp s;

	object(&s, w, "ev-a", a, 1, WB_ACTION_ADD, "commissioning");
	fx_submission(&subs[0], w->acme, &s);
	object(&s, w, "ev-bad", b, 1, WB_ACTION_ADD, "commissioning");
	fx_submission(&subs[1], w->shop, &s); /* outside its namespace */
	object(&s, w, "ev-b", b, 1, WB_ACTION_ADD, "commissioning");
	fx_submission(&subs[2], w->acme, &s);
	/* All or nothing: one refusal writes nothing. */
	assert_int_equal(
	        wb_journal_append(w->fx.j, subs, 3, res, &atomic, &after),
	        WB_EREJECTED);
	assert_int_equal(res[1].problem.reason, WB_REJECT_OUTSIDE_NAMESPACE);
	assert_int_equal(fx_size(&w->fx), size);
	/* Default: the good ones go in, with consecutive indexes, under one
	 * checkpoint. */
	assert_int_equal(wb_journal_append(w->fx.j, subs, 3, res, NULL, &after),
	                 WB_OK);
	assert_int_equal(res[0].err, WB_OK);
	assert_int_equal(res[0].index, size);
	assert_int_equal(res[1].err, WB_EREJECTED);
	assert_int_equal(res[2].index, size + 1);
	assert_int_equal(after, size + 2);
	assert_int_equal(wb_journal_checkpoint(&cp, w->fx.j, size + 2), WB_OK);
	free(cp);
	assert_int_equal(wb_journal_checkpoint(&cp, w->fx.j, size + 1),
	                 WB_ENOTFOUND);
	for (int i = 0; i < 3; i++) {
		free((void *)(uintptr_t)subs[i].body);
	}
}

static void
test_append_refuses_shape_problems(void **state)
{
	struct world *w = *state;
	const char *ids[] = { ACME_ITEM };
	wb_stamp s;

	object(&s, w, "ev-1", ids, 1, WB_ACTION_ADD, "commissioning");
	s.has_action = false;
	refused(w, w->acme, &s, WB_REJECT_MALFORMED);
	object(&s, w, "ev-1", ids, 1, WB_ACTION_ADD, "commissioning");
	s.event_tz_offset = "+2:00";
	refused(w, w->acme, &s, WB_REJECT_MALFORMED);
	object(&s, w, "", ids, 1, WB_ACTION_ADD, "commissioning");
	refused(w, w->acme, &s, WB_REJECT_MALFORMED);
	aggregate(&s, w, "ev-2", NULL, ids, 1, WB_ACTION_ADD);
	refused(w, w->acme, &s, WB_REJECT_MALFORMED);
	fx_stamp_init(&s, &w->fx, WB_KIND_TRANSACTION, "ev-3");
	s.has_action = true;
	s.action = WB_ACTION_ADD;
	refused(w, w->acme, &s, WB_REJECT_MALFORMED);
	fx_stamp_init(&s, &w->fx, WB_KIND_RECALL, "ev-4");
	refused(w, w->acme, &s, WB_REJECT_MALFORMED);
}

static void
test_append_limits_fixed_at_genesis(void **state)
{
	wb_journal_create_opts co = { .max_ids = 2,
		                      .max_attributes = 1,
		                      .max_stamp_bytes = 400 };
	struct world w = { 0 };
	const char *three[] = { ACME_ITEM, ACME_ITEM2, ACME_CASE };
	wb_attribute at[2] = { { "waybill:price", "1", NULL },
		               { "waybill:discount", "10%", NULL } };
	char big[600];
	wb_stamp s;

	(void)state;
	fx_open_opts(&w.fx, &co);
	w.acme = fx_register(&w.fx, "Acme", 10, FX_ROLE(WB_ROLE_BRAND_OWNER),
	                     "0614141", NULL, NULL);
	object(&s, &w, "ev-1", three, 3, WB_ACTION_OBSERVE, NULL);
	refused(&w, w.acme, &s, WB_REJECT_TOO_MANY_IDS);
	object(&s, &w, "ev-1", three, 2, WB_ACTION_OBSERVE, NULL);
	s.attributes = at;
	s.n_attributes = 2;
	refused(&w, w.acme, &s, WB_REJECT_TOO_MANY_ATTRIBUTES);
	s.n_attributes = 1;
	accepted(&w, w.acme, &s);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	object(&s, &w, "ev-2", three, 1, WB_ACTION_OBSERVE, NULL);
	s.extensions_json = big;
	refused(&w, w.acme, &s, WB_REJECT_TOO_LARGE);
	wb_signer_free(w.acme);
	fx_close(&w.fx);
}

int
main(void)
{
#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_append_accepts_commissioning_with_chain, setup_advisory),
		T(test_append_refuses_malformed_bytes, setup_advisory),
		T(test_append_refuses_wrong_ledger, setup_advisory),
		T(test_append_refuses_unknown_signer, setup_advisory),
		T(test_append_refuses_bad_signature, setup_advisory),
		T(test_append_refuses_bad_ids, setup_advisory),
		T(test_append_refuses_future_event_time, setup_advisory),
		T(test_append_refuses_commissioning_outside_namespace,
		  setup_advisory),
		T(test_append_recall_needs_authority, setup_advisory),
		T(test_append_commissioned_twin_recalled_by_commissioner,
		  setup_advisory),
		T(test_append_refuses_stamps_after_decommissioning,
		  setup_advisory),
		T(test_append_refuses_containment_cycles, setup_advisory),
		T(test_append_event_ids_are_idempotent_or_refused,
		  setup_advisory),
		T(test_append_ledger_keys_may_not_stamp, setup_advisory),
		T(test_append_advisory_custody_flags_gaps, setup_advisory),
		T(test_append_strict_custody_follows_shipments, setup_strict),
		T(test_append_strict_custody_through_containers, setup_strict),
		T(test_append_batch_is_one_commit, setup_advisory),
		T(test_append_refuses_shape_problems, setup_advisory),
		cmocka_unit_test(test_append_limits_fixed_at_genesis),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
