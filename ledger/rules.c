/* SPDX-License-Identifier: MIT */
/*
 * rules.c - the append rules of DESIGN.md "The rules", judged for one
 * decoded stamp against the state the write transaction holds at its index,
 * and the effects of an accepted stamp on the twins it touches.
 *
 * Checks never write; wb_effects_apply() runs only once the stamp is accepted
 * and its entry written. The verifier replays the same code, so a rule
 * holds identically at append time and at audit time.
 */
#include "journal_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcis_impl.h"

/* How deep containers may nest (and host assets chain) before the ledger
 * refuses: far beyond pallets in containers in ships, and a bound on the
 * walk that looks for cycles. */
#define MAX_NESTING 64

bool
wb_cbv_is(const char *value, const char *word)
{
	return value != NULL && strcmp(wb_cbv_word(value), word) == 0;
}

unsigned
wb_stamp_acts(const wb_stamp *s)
{
	const char *step = s->biz_step;
	unsigned acts = 0;

	/* A declaration of error repeats an event; it does nothing itself. */
	if (s->error_declaration != NULL) {
		return 0;
	}
	switch (s->kind) {
	case WB_KIND_OBJECT:
	case WB_KIND_TRANSACTION:
	case WB_KIND_AGGREGATION:
	case WB_KIND_ASSOCIATION:
	case WB_KIND_TRANSFORMATION:
		break;
	default:
		return 0;
	}
	if (wb_cbv_is(step, "commissioning") ||
	    wb_cbv_is(step, "creating_class_instance") ||
	    (s->kind == WB_KIND_OBJECT && s->has_action &&
	     s->action == WB_ACTION_ADD)) {
		acts |= ACT_COMMISSION;
	}
	if (wb_cbv_is(step, "decommissioning") ||
	    wb_cbv_is(step, "destroying") ||
	    wb_cbv_is(s->disposition, "destroyed") ||
	    wb_cbv_is(s->disposition, "disposed")) {
		acts |= ACT_DECOMMISSION;
	}
	if (wb_cbv_is(step, "shipping")) {
		acts |= ACT_SHIP;
	}
	if (wb_cbv_is(step, "receiving") || wb_cbv_is(step, "accepting")) {
		acts |= ACT_RECEIVE;
	}
	if (wb_cbv_is(step, "retail_selling")) {
		acts |= ACT_SELL;
	}
	if (s->kind == WB_KIND_AGGREGATION && s->has_action) {
		acts |= s->action == WB_ACTION_ADD      ? ACT_PACK
		        : s->action == WB_ACTION_DELETE ? ACT_UNPACK
		                                        : 0;
	}
	if (s->kind == WB_KIND_ASSOCIATION && s->has_action) {
		acts |= s->action == WB_ACTION_ADD      ? ACT_INSTALL
		        : s->action == WB_ACTION_DELETE ? ACT_REMOVE
		                                        : 0;
	}
	if (s->kind == WB_KIND_TRANSFORMATION) {
		acts |= ACT_TRANSFORM | ACT_COMMISSION;
	}
	return acts;
}

/* Which uses of a twin make it the subject of an act. */
unsigned
wb_commission_uses(const wb_stamp *s)
{
	switch (s->kind) {
	case WB_KIND_TRANSFORMATION:
		return WB_USE_OUTPUT;
	case WB_KIND_AGGREGATION:
	case WB_KIND_ASSOCIATION:
		return WB_USE_EPC | WB_USE_QUANTITY | WB_USE_PARENT;
	default:
		return WB_USE_EPC | WB_USE_QUANTITY;
	}
}

/*
 * Shape: structure, identifiers, limits.
 */

static bool
tz_offset_valid(const char *tz)
{
	int minutes;

	/* The EPCIS schema's eventTimeZoneOffset, -14:00 to +14:00: the
	 * one definition the EPCIS reader and writer use too, so that every
	 * accepted stamp exports as a valid event. */
	return tz != NULL && wb_epcis_tz_parse(&minutes, tz);
}

/* Whether an instant of the stamp can be written in an EPCIS document:
 * RFC 3339 years 0000 to 9999 in the event's own offset, nanoseconds
 * below a second. The ledger refuses what its export could not write. */
static bool
instant_writable(const wb_time *t, const char *tz)
{
	char text[40];

	return wb_epcis_time_format(text, t, tz);
}

/* The instants other than the event time: the error declaration's and the
 * sensors'. */
static wb_err
check_other_instants(const wb_stamp *s, wb_problem *p)
{
	const char *tz = s->event_tz_offset;

	if (s->error_declaration != NULL &&
	    !instant_writable(&s->error_declaration->declaration_time, tz)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the error declaration time is outside the years 0000 to 9999 (in offset %s) or has a whole second of nanoseconds: an EPCIS document cannot carry it",
		        tz);
	}
	for (size_t i = 0; i < s->n_sensor_elements; i++) {
		const wb_sensor_element *el = &s->sensor_elements[i];
		const wb_sensor_metadata *m = el->metadata;
		bool ok = m == NULL ||
		          ((m->time == NULL || instant_writable(m->time, tz)) &&
		           (m->start_time == NULL ||
		            instant_writable(m->start_time, tz)) &&
		           (m->end_time == NULL ||
		            instant_writable(m->end_time, tz)));

		for (size_t k = 0; ok && k < el->n_reports; k++) {
			ok = el->reports[k].time == NULL ||
			     instant_writable(el->reports[k].time, tz);
		}
		if (!ok) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "a time of sensor element %zu is outside the years 0000 to 9999 (in offset %s) or has a whole second of nanoseconds: an EPCIS document cannot carry it",
			        i, tz);
		}
	}
	return WB_OK;
}

static bool
short_text_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	return len > 0 && len <= max && wb_text_valid(s, len);
}

/* Adds one ID use; dedupes by canonical key, keeping first-seen order. */
static wb_err
touch(wb_rule_ctx *ctx, wb_touched *buf, size_t cap, const char *id,
      unsigned use, const char *field, wb_problem *p)
{
	wb_twin_id tid;
	wb_err rc;

	if ((rc = wb_id_parse(&tid, id, strlen(id), p)) != WB_OK) {
		wb_problem_prefix(p, field);
		return rc;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (strcmp(buf[i].twin.key, tid.key) == 0) {
			buf[i].roles |= use;
			return WB_OK;
		}
	}
	if (ctx->n_touched == cap) {
		return wb_reject_set(
		        p, WB_REJECT_TOO_MANY_IDS,
		        "the stamp names more than %zu identifiers: split it into several stamps",
		        cap);
	}
	buf[ctx->n_touched].id = id;
	buf[ctx->n_touched].twin = tid;
	buf[ctx->n_touched].roles = use;
	ctx->n_touched++;
	return WB_OK;
}

static wb_err
touch_list(wb_rule_ctx *ctx, wb_touched *buf, size_t cap, const char **ids,
           size_t n, unsigned use, const char *field, wb_problem *p)
{
	wb_err rc;

	for (size_t i = 0; i < n; i++) {
		if ((rc = touch(ctx, buf, cap, ids[i], use, field, p)) !=
		    WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

static wb_err
touch_quantities(wb_rule_ctx *ctx, wb_touched *buf, size_t cap,
                 const wb_quantity *q, size_t n, unsigned use,
                 const char *field, wb_problem *p)
{
	wb_err rc;

	for (size_t i = 0; i < n; i++) {
		if ((rc = touch(ctx, buf, cap, q[i].epc_class, use, field,
		                p)) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

static size_t
count_ids(const wb_stamp *s)
{
	size_t n = s->n_epcs + s->n_quantities + (s->parent_id != NULL) +
	           s->n_input_epcs + s->n_input_quantities + s->n_output_epcs +
	           s->n_output_quantities;

	if (s->recall != NULL) {
		n += s->recall->n_targets;
	}
	if (s->lift != NULL) {
		n += s->lift->n_targets;
	}
	if (s->master_data != NULL) {
		n += s->master_data->n_children + 1;
	}
	return n;
}

static wb_err
check_attributes(const wb_attribute *a, size_t n, wb_problem *p)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = a[i].text != NULL ? a[i].text : a[i].json;

		if (!short_text_ok(a[i].key, 256)) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "attribute %zu: the key must be 1 to 256 bytes of UTF-8 without control characters",
			        i + 1);
		}
		if (v == NULL) {
			return wb_reject_set(p, WB_REJECT_MALFORMED,
			                     "attribute %s has no value",
			                     a[i].key);
		}
	}
	return WB_OK;
}

static wb_err
check_kind_fields(const wb_stamp *s, wb_problem *p)
{
	bool needs_action = s->kind == WB_KIND_OBJECT ||
	                    s->kind == WB_KIND_AGGREGATION ||
	                    s->kind == WB_KIND_TRANSACTION ||
	                    s->kind == WB_KIND_ASSOCIATION;

	if (needs_action && (!s->has_action || s->action < WB_ACTION_ADD ||
	                     s->action > WB_ACTION_DELETE)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "a %s event needs an action: ADD, OBSERVE or DELETE",
		        wb_kind_name(s->kind));
	}
	if (!needs_action && s->has_action) {
		return wb_reject_set(p, WB_REJECT_MALFORMED,
		                     "a %s stamp carries no action: remove it",
		                     wb_kind_name(s->kind));
	}
	if ((s->recall != NULL) != (s->kind == WB_KIND_RECALL) ||
	    (s->lift != NULL) != (s->kind == WB_KIND_LIFT) ||
	    (s->master_data != NULL) != (s->kind == WB_KIND_MASTER_DATA)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "recall, lift and master-data details belong to stamps of that kind only (this one is %s)",
		        wb_kind_name(s->kind));
	}
	switch (s->kind) {
	case WB_KIND_AGGREGATION:
		if (s->parent_id == NULL && s->action != WB_ACTION_OBSERVE) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "an aggregation event with action ADD or DELETE needs a parent ID");
		}
		break;
	case WB_KIND_ASSOCIATION:
		if (s->parent_id == NULL) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "an association event needs a parent ID (the asset)");
		}
		break;
	case WB_KIND_TRANSACTION:
		if (s->n_biz_transactions == 0) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "a transaction event needs at least one business transaction");
		}
		break;
	case WB_KIND_TRANSFORMATION:
		if (s->n_input_epcs + s->n_input_quantities + s->n_output_epcs +
		            s->n_output_quantities ==
		    0) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "a transformation event needs inputs or outputs");
		}
		break;
	case WB_KIND_RECALL:
		if (s->recall->n_targets == 0 ||
		    !short_text_ok(s->recall->reason, 4096) ||
		    (s->recall->has_severity &&
		     (s->recall->severity < WB_RECALL_CLASS_UNSPECIFIED ||
		      s->recall->severity > WB_RECALL_CLASS_III))) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "a recall needs at least one target, a reason (1 to 4096 bytes of text) and a severity of class I, II or III if any");
		}
		break;
	case WB_KIND_LIFT:
		if (s->lift->recall_index == 0) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "a lift must name the journal index of the recall it ends");
		}
		break;
	case WB_KIND_MASTER_DATA:
		if (!short_text_ok(s->master_data->vocabulary_type, 256)) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "master data needs a vocabulary type (e.g. urn:epcglobal:epcis:vtype:BusinessLocation)");
		}
		return check_attributes(s->master_data->attributes,
		                        s->master_data->n_attributes, p);
	case WB_KIND_OBJECT:
		break;
	default:
		return wb_reject_set(p, WB_REJECT_MALFORMED,
		                     "unknown stamp kind %d", (int)s->kind);
	}
	return WB_OK;
}

static wb_err
check_places(const wb_stamp *s, wb_problem *p)
{
	wb_twin_id tid;
	const wb_location *loc[2] = { s->read_point, s->biz_location };
	const char *what[2] = { "read point", "business location" };
	wb_err rc;

	for (int i = 0; i < 2; i++) {
		if (loc[i] == NULL) {
			continue;
		}
		if ((rc = wb_id_parse(&tid, loc[i]->id, strlen(loc[i]->id),
		                      p)) != WB_OK) {
			wb_problem_prefix(p, what[i]);
			return rc;
		}
	}
	return WB_OK;
}

wb_err
wb_rules_check_shape(wb_rule_ctx *ctx, wb_touched *buf, size_t cap,
                     wb_problem *p)
{
	const wb_stamp *s = ctx->stamp;
	const wb_genesis *g = &ctx->j->genesis;
	size_t n_attr = s->n_attributes;
	wb_err rc;

	ctx->touched = buf;
	ctx->n_touched = 0;
	if (s->kind <= WB_KIND_UNSPECIFIED || s->kind >= WB_KIND_COUNT_) {
		return wb_reject_set(p, WB_REJECT_MALFORMED,
		                     "unknown stamp kind %d", (int)s->kind);
	}
	if (!short_text_ok(s->event_id, WB_ID_MAX)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the event ID must be 1 to 256 bytes of UTF-8 without control characters");
	}
	if (!tz_offset_valid(s->event_tz_offset)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "event time-zone offset \"%s\" must be from -14:00 to +14:00, written like +02:00 or -05:30",
		        s->event_tz_offset ? s->event_tz_offset : "");
	}
	if (s->event_time.nanos >= 1000000000u) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "event time nanoseconds must be below 1000000000");
	}
	/* However far in the past, but not before the year 0000 (an event
	 * time after 9999 is refused as in the future). */
	if (s->event_time.seconds < 0 &&
	    !instant_writable(&s->event_time, s->event_tz_offset)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the event time (%" PRId64
		        " seconds since 1970) is before 0000-01-01T00:00:00 in its offset %s, the earliest instant an EPCIS document can carry: check the sender's clock and units",
		        s->event_time.seconds, s->event_tz_offset);
	}
	if ((rc = check_other_instants(s, p)) != WB_OK) {
		return rc;
	}
	if ((rc = check_kind_fields(s, p)) != WB_OK) {
		return rc;
	}
	if (s->master_data != NULL) {
		n_attr += s->master_data->n_attributes;
	}
	if (n_attr > g->max_attributes) {
		return wb_reject_set(
		        p, WB_REJECT_TOO_MANY_ATTRIBUTES,
		        "%zu attributes: this ledger allows %u per stamp",
		        n_attr, g->max_attributes);
	}
	if ((rc = check_attributes(s->attributes, s->n_attributes, p)) !=
	    WB_OK) {
		return rc;
	}
	if (count_ids(s) > g->max_ids) {
		return wb_reject_set(
		        p, WB_REJECT_TOO_MANY_IDS,
		        "%zu identifiers: this ledger allows %u per stamp",
		        count_ids(s), g->max_ids);
	}
	if ((rc = touch_list(ctx, buf, cap, s->epcs, s->n_epcs, WB_USE_EPC,
	                     "epc", p)) != WB_OK ||
	    (rc = touch_quantities(ctx, buf, cap, s->quantities,
	                           s->n_quantities, WB_USE_QUANTITY,
	                           "quantity class", p)) != WB_OK ||
	    (s->parent_id != NULL &&
	     (rc = touch(ctx, buf, cap, s->parent_id, WB_USE_PARENT,
	                 "parent ID", p)) != WB_OK) ||
	    (rc = touch_list(ctx, buf, cap, s->input_epcs, s->n_input_epcs,
	                     WB_USE_INPUT, "input", p)) != WB_OK ||
	    (rc = touch_quantities(ctx, buf, cap, s->input_quantities,
	                           s->n_input_quantities, WB_USE_INPUT,
	                           "input quantity class", p)) != WB_OK ||
	    (rc = touch_list(ctx, buf, cap, s->output_epcs, s->n_output_epcs,
	                     WB_USE_OUTPUT, "output", p)) != WB_OK ||
	    (rc = touch_quantities(ctx, buf, cap, s->output_quantities,
	                           s->n_output_quantities, WB_USE_OUTPUT,
	                           "output quantity class", p)) != WB_OK) {
		return rc;
	}
	if (s->recall != NULL &&
	    (rc = touch_list(ctx, buf, cap, s->recall->targets,
	                     s->recall->n_targets, WB_USE_RECALL,
	                     "recall target", p)) != WB_OK) {
		return rc;
	}
	if (s->lift != NULL && (rc = touch_list(ctx, buf, cap, s->lift->targets,
	                                        s->lift->n_targets, WB_USE_LIFT,
	                                        "lift target", p)) != WB_OK) {
		return rc;
	}
	if (s->master_data != NULL) {
		wb_twin_id tid;

		if ((rc = wb_id_parse(&tid, s->master_data->element_id,
		                      strlen(s->master_data->element_id), p)) !=
		    WB_OK) {
			return rc;
		}
	}
	return check_places(s, p);
}

/*
 * State rules.
 */

/* Loads the state of every touched twin (known[i] false: never seen). */
wb_err
wb_rules_load_states(wb_rule_ctx *ctx, wb_twin_state *st, bool *known)
{
	wb_err rc;

	for (size_t i = 0; i < ctx->n_touched; i++) {
		rc = wb_twin_get(ctx->t, ctx->touched[i].twin.key, &st[i]);
		if (rc == WB_ENOTFOUND) {
			known[i] = false;
			memset(&st[i], 0, sizeof(st[i]));
		} else if (rc != WB_OK) {
			return rc;
		} else {
			known[i] = true;
		}
	}
	return WB_OK;
}

/* The custodian of a twin, following the containers it is packed in: a
 * case travels with its pallet. 0 when nobody holds it. */
wb_err
wb_effective_custodian(wb_txn *t, const wb_twin_state *st, uint64_t *out)
{
	wb_twin_state *cur = malloc(sizeof(*cur));
	wb_err rc = WB_OK;

	if (cur == NULL) {
		return WB_ENOMEM;
	}
	*cur = *st;
	for (int depth = 0; cur->container[0] != '\0' && depth < MAX_NESTING;
	     depth++) {
		char key[WB_KEY_MAX + 1];

		memcpy(key, cur->container, sizeof(key));
		if ((rc = wb_twin_get(t, key, cur)) != WB_OK) {
			break;
		}
	}
	*out = rc == WB_OK ? cur->custodian : 0;
	free(cur);
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}

static bool
is_party(uint64_t signer_party_owner, const wb_stakeholder *signer)
{
	return signer_party_owner != 0 && signer_party_owner == signer->id;
}

/* Whether the signer may do `acts` to a twin in state st. */
static wb_err
custody_allows(wb_rule_ctx *ctx, const wb_twin_state *st, bool known,
               unsigned acts, bool *ok)
{
	const wb_stakeholder *me = ctx->signer;
	uint64_t holder = 0;
	wb_err rc;

	*ok = true;
	if (!known) {
		return WB_OK; /* nobody holds what nobody has seen */
	}
	if ((rc = wb_effective_custodian(ctx->t, st, &holder)) != WB_OK) {
		return rc;
	}
	if (acts & ACT_RECEIVE) {
		if (st->in_transit) {
			/* By the named destination, or by anyone when the
			 * shipment named none. */
			*ok = st->destination[0] == '\0' ||
			      is_party(wb_reg_party_owner(ctx->t,
			                                  st->destination),
			               me);
		} else {
			*ok = holder == 0 || holder == me->id;
		}
		acts &= ~(unsigned)ACT_RECEIVE;
	}
	if ((acts & ACT_DECOMMISSION) &&
	    (st->commissioner == me->id ||
	     wb_stakeholder_has_role(me, WB_ROLE_RECYCLER))) {
		acts &= ~(unsigned)ACT_DECOMMISSION;
	}
	if (acts != 0 && holder != 0 && holder != me->id) {
		*ok = false;
	}
	return WB_OK;
}

static unsigned
custody_acts_for(unsigned acts, unsigned uses, const wb_stamp *s)
{
	unsigned out = 0;

	if ((uses & WHOLE_USES) &&
	    (acts & (ACT_SHIP | ACT_RECEIVE | ACT_SELL | ACT_DECOMMISSION))) {
		out |= acts &
		       (ACT_SHIP | ACT_RECEIVE | ACT_SELL | ACT_DECOMMISSION);
	}
	if ((uses & CHILD_USES) &&
	    (acts & (ACT_PACK | ACT_UNPACK | ACT_INSTALL | ACT_REMOVE))) {
		out |= acts &
		       (ACT_PACK | ACT_UNPACK | ACT_INSTALL | ACT_REMOVE);
	}
	if ((uses & WB_USE_INPUT) && (acts & ACT_TRANSFORM)) {
		out |= ACT_TRANSFORM;
	}
	(void)s;
	return out;
}

wb_err
wb_rules_custody_gaps(wb_rule_ctx *ctx, const wb_twin_state *st,
                      const bool *known, unsigned acts, bool *gap)
{
	wb_err rc;

	for (size_t i = 0; i < ctx->n_touched; i++) {
		unsigned mine = custody_acts_for(acts, ctx->touched[i].roles,
		                                 ctx->stamp);
		bool ok;

		if (mine == 0) {
			continue;
		}
		if ((rc = custody_allows(ctx, &st[i], known[i], mine, &ok)) !=
		    WB_OK) {
			return rc;
		}
		if (!ok) {
			gap[i] = true;
		}
	}
	return WB_OK;
}

static wb_err
check_namespaces(wb_rule_ctx *ctx, unsigned acts, wb_problem *p)
{
	const wb_stamp *s = ctx->stamp;
	unsigned uses = wb_commission_uses(s);
	wb_twin_id tid;

	if (acts & ACT_COMMISSION) {
		for (size_t i = 0; i < ctx->n_touched; i++) {
			const wb_touched *tw = &ctx->touched[i];

			if ((tw->roles & uses) &&
			    !wb_reg_owns(ctx->signer, tw->id, tw->twin.key)) {
				return wb_reject_set(
				        p, WB_REJECT_OUTSIDE_NAMESPACE,
				        "%s is outside the namespaces of %s: only the owner of its company prefix or literal prefix may commission it",
				        tw->id, ctx->signer->name);
			}
		}
	}
	if (s->master_data != NULL) {
		const char *id = s->master_data->element_id;

		if (wb_id_parse(&tid, id, strlen(id), NULL) == WB_OK &&
		    !wb_reg_owns(ctx->signer, id, tid.key)) {
			return wb_reject_set(
			        p, WB_REJECT_OUTSIDE_NAMESPACE,
			        "master data for %s: only the owner of its namespace may describe it",
			        id);
		}
	}
	return WB_OK;
}

static wb_err
check_decommissioned(wb_rule_ctx *ctx, const wb_twin_state *st,
                     const bool *known, wb_problem *p)
{
	const wb_stamp *s = ctx->stamp;

	/* What may still be said of a twin that has ended. */
	if (s->kind == WB_KIND_RECALL || s->kind == WB_KIND_LIFT ||
	    s->error_declaration != NULL ||
	    wb_cbv_is(s->biz_step, "inspecting")) {
		return WB_OK;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (known[i] && st[i].decommissioned_at != 0) {
			return wb_reject_set(
			        p, WB_REJECT_DECOMMISSIONED,
			        "%s was decommissioned at index %llu: only recalls, lifts, inspections and error declarations may follow",
			        ctx->touched[i].id,
			        (unsigned long long)st[i].decommissioned_at);
		}
	}
	return WB_OK;
}

/* Whether `needle` is `start` or one of the containers (or hosts) above it. */
static wb_err
chain_contains(wb_txn *t, const char *start, const char *needle, bool host,
               bool *found, bool *too_deep)
{
	wb_twin_state *cur = malloc(sizeof(*cur));
	char key[WB_KEY_MAX + 1];
	wb_err rc = WB_OK;
	int depth;

	if (cur == NULL) {
		return WB_ENOMEM;
	}
	*found = *too_deep = false;
	snprintf(key, sizeof(key), "%s", start);
	for (depth = 0; depth <= MAX_NESTING; depth++) {
		const char *up;

		if (strcmp(key, needle) == 0) {
			*found = true;
			break;
		}
		if ((rc = wb_twin_get(t, key, cur)) != WB_OK) {
			rc = rc == WB_ENOTFOUND ? WB_OK : rc;
			break;
		}
		up = host ? cur->host : cur->container;
		if (up[0] == '\0') {
			break;
		}
		memcpy(key, up, sizeof(key));
	}
	if (depth > MAX_NESTING) {
		*too_deep = true;
	}
	free(cur);
	return rc;
}

static wb_err
check_cycles(wb_rule_ctx *ctx, unsigned acts, wb_problem *p)
{
	const wb_touched *parent = NULL;
	bool host = (acts & ACT_INSTALL) != 0;
	wb_err rc;

	if (acts & ACT_TRANSFORM) {
		for (size_t i = 0; i < ctx->n_touched; i++) {
			unsigned r = ctx->touched[i].roles;

			if ((r & WB_USE_INPUT) && (r & WB_USE_OUTPUT)) {
				return wb_reject_set(
				        p, WB_REJECT_CYCLE,
				        "%s is both an input and an output of the transformation",
				        ctx->touched[i].id);
			}
		}
	}
	if (!(acts & (ACT_PACK | ACT_INSTALL))) {
		return WB_OK;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (ctx->touched[i].roles & WB_USE_PARENT) {
			parent = &ctx->touched[i];
		}
	}
	if (parent == NULL) {
		return WB_OK;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		const wb_touched *child = &ctx->touched[i];
		bool found, too_deep;

		if (!(child->roles & CHILD_USES)) {
			continue;
		}
		if (child == parent) {
			return wb_reject_set(p, WB_REJECT_CYCLE,
			                     "%s cannot contain itself",
			                     child->id);
		}
		if ((rc = chain_contains(ctx->t, parent->twin.key,
		                         child->twin.key, host, &found,
		                         &too_deep)) != WB_OK) {
			return rc;
		}
		if (found) {
			return wb_reject_set(
			        p, WB_REJECT_CYCLE,
			        "%s already holds %s (directly or through nested %s): packing it inside would make it contain itself",
			        child->id, parent->id,
			        host ? "assets" : "containers");
		}
		if (too_deep) {
			return wb_reject_set(
			        p, WB_REJECT_CYCLE,
			        "%s is nested more than %d levels deep",
			        parent->id, MAX_NESTING);
		}
	}
	return WB_OK;
}

/* The recall record: issuer, then its targets' canonical keys. */
static wb_err
load_recall(wb_txn *t, uint64_t index, uint64_t *issuer, wb_buf *keys,
            size_t *n_keys)
{
	uint8_t k[8];
	wb_reader r;
	wb_val v;
	wb_err rc;

	wb_be64_put(k, index);
	if ((rc = wb_db_get(t, WB_DB_RECALLS, k, 8, &v)) != WB_OK) {
		return rc;
	}
	wb_reader_init(&r, v.data, v.len);
	*issuer = wb_read_u64(&r);
	*n_keys = wb_read_u32(&r);
	wb_buf_put(keys, r.p, r.left);
	for (size_t i = 0; i < *n_keys && !r.bad; i++) {
		char k2[WB_KEY_MAX + 1];

		wb_read_str(&r, k2, sizeof(k2));
	}
	/* After the targets, the record's kind: 2 is a lift, no recall. */
	if (!r.bad && wb_read_u8(&r) == 2) {
		return WB_ENOTFOUND;
	}
	return r.bad || keys->failed ? WB_ECORRUPT : WB_OK;
}

static bool
recall_has_target(const wb_buf *keys, size_t n, const char *key)
{
	wb_reader r;
	char k[WB_KEY_MAX + 1];

	wb_reader_init(&r, keys->data, keys->len);
	for (size_t i = 0; i < n && !r.bad; i++) {
		wb_read_str(&r, k, sizeof(k));
		if (!r.bad && strcmp(k, key) == 0) {
			return true;
		}
	}
	return false;
}

static wb_err
check_recall(wb_rule_ctx *ctx, const wb_twin_state *st, const bool *known,
             wb_problem *p)
{
	const wb_stakeholder *me = ctx->signer;
	wb_err rc;

	if (wb_stakeholder_has_role(me, WB_ROLE_REGULATOR)) {
		return WB_OK;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		const wb_touched *tw = &ctx->touched[i];
		uint64_t owner = 0;

		if (!(tw->roles & WB_USE_RECALL)) {
			continue;
		}
		if (known[i] && st[i].commissioner != 0) {
			owner = st[i].commissioner;
		} else if ((rc = wb_reg_namespace_owner(ctx->t, tw->id,
		                                        tw->twin.key,
		                                        &owner)) != WB_OK) {
			return rc;
		}
		if (owner != me->id) {
			return wb_reject_set(
			        p, WB_REJECT_NO_RECALL_AUTHORITY,
			        "%s may not recall %s: only its commissioner (or the owner of its namespace, if never commissioned) or a regulator may",
			        me->name, tw->id);
		}
	}
	return WB_OK;
}

static wb_err
check_lift(wb_rule_ctx *ctx, wb_problem *p)
{
	const wb_lift *l = ctx->stamp->lift;
	wb_buf keys = { 0 };
	uint64_t issuer = 0;
	size_t n_keys = 0;
	wb_err rc;

	rc = load_recall(ctx->t, l->recall_index, &issuer, &keys, &n_keys);
	if (rc == WB_ENOTFOUND) {
		rc = wb_reject_set(
		        p, WB_REJECT_UNKNOWN_RECALL,
		        "entry %llu is not a recall: name the journal index of the recall to lift",
		        (unsigned long long)l->recall_index);
		goto out;
	}
	if (rc != WB_OK) {
		goto out;
	}
	if (issuer != ctx->signer->id &&
	    !wb_stakeholder_has_role(ctx->signer, WB_ROLE_REGULATOR)) {
		rc = wb_reject_set(
		        p, WB_REJECT_NO_LIFT_AUTHORITY,
		        "%s may not lift recall %llu: only its issuer or a regulator may",
		        ctx->signer->name, (unsigned long long)l->recall_index);
		goto out;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		const wb_touched *tw = &ctx->touched[i];

		if ((tw->roles & WB_USE_LIFT) &&
		    !recall_has_target(&keys, n_keys, tw->twin.key)) {
			rc = wb_reject_set(
			        p, WB_REJECT_UNKNOWN_RECALL,
			        "%s is not a target of recall %llu: a lift names targets of its recall only",
			        tw->id, (unsigned long long)l->recall_index);
			goto out;
		}
	}
out:
	wb_buf_fini(&keys);
	return rc;
}

static wb_err
check_state(wb_rule_ctx *ctx, wb_twin_state *st, bool *known, bool *gap,
            wb_problem *p)
{
	const wb_stamp *s = ctx->stamp;
	unsigned acts = wb_stamp_acts(s);
	wb_err rc;

	if ((rc = wb_rules_load_states(ctx, st, known)) != WB_OK ||
	    (rc = check_decommissioned(ctx, st, known, p)) != WB_OK ||
	    (rc = check_namespaces(ctx, acts, p)) != WB_OK ||
	    (rc = check_cycles(ctx, acts, p)) != WB_OK) {
		return rc;
	}
	if (s->kind == WB_KIND_RECALL &&
	    (rc = check_recall(ctx, st, known, p)) != WB_OK) {
		return rc;
	}
	if (s->kind == WB_KIND_LIFT && (rc = check_lift(ctx, p)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_rules_custody_gaps(ctx, st, known, acts, gap)) != WB_OK) {
		return rc;
	}
	ctx->custody_gap = false;
	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (!gap[i]) {
			continue;
		}
		if (ctx->j->genesis.custody == WB_CUSTODY_STRICT) {
			return wb_reject_set(
			        p, WB_REJECT_NOT_CUSTODIAN,
			        "%s is not the custodian of %s, and this ledger's custody policy is strict: the custodian must sign this act (or receive it first)",
			        ctx->signer->name, ctx->touched[i].id);
		}
		ctx->custody_gap = true;
	}
	return WB_OK;
}

wb_err
wb_twin_scratch_new(struct twin_scratch *sc, size_t n)
{
	size_t m = n > 0 ? n : 1;

	sc->st = calloc(m, sizeof(*sc->st));
	sc->known = calloc(m, sizeof(*sc->known));
	sc->gap = calloc(m, sizeof(*sc->gap));
	return sc->st && sc->known && sc->gap ? WB_OK : WB_ENOMEM;
}

void
wb_twin_scratch_free(struct twin_scratch *sc)
{
	free(sc->st);
	free(sc->known);
	free(sc->gap);
}

wb_err
wb_rules_check_state(wb_rule_ctx *ctx, wb_problem *p)
{
	struct twin_scratch sc;
	wb_err rc;

	if ((rc = wb_twin_scratch_new(&sc, ctx->n_touched)) == WB_OK) {
		rc = check_state(ctx, sc.st, sc.known, sc.gap, p);
	}
	wb_twin_scratch_free(&sc);
	return rc;
}
