/* SPDX-License-Identifier: MIT */
/*
 * effects.c - what an accepted stamp changes, in the write transaction
 * that appends it: each twin's state (custody, containment, host asset,
 * location, disposition, owner, attributes), the lineage graph, recalls and
 * lifts, declarations of error, and the search keys.
 *
 * Current state follows event time: each field remembers the (event time,
 * index) that set it, and a late-arriving older event does not overwrite a
 * newer one. A declaration of error removes the declared event's effects:
 * its edges are ignored by every query, and the state of each twin it
 * touched is rebuilt from that twin's history without it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"

/* Recall records (WB_DB_RECALLS): a kind byte, then the details. */
enum {
	RECALL_RECORD = 1,
	LIFT_RECORD = 2,
};

static const char *
party_of(const wb_typed_value *v, size_t n, const char *type)
{
	for (size_t i = 0; i < n; i++) {
		if (wb_cbv_is(v[i].type, type)) {
			return v[i].value;
		}
	}
	return NULL;
}

static const char *
destination_party(const wb_stamp *s)
{
	/* The party a shipment goes to: CBV source/destination types. */
	const char *p = party_of(s->destinations, s->n_destinations,
	                         "possessing_party");

	if (p == NULL) {
		p = party_of(s->destinations, s->n_destinations,
		             "owning_party");
	}
	return p != NULL ? p : "";
}

static void
apply_custody(wb_rule_ctx *ctx, wb_twin_state *st, unsigned acts, unsigned uses,
              const wb_order *now)
{
	const wb_stamp *s = ctx->stamp;
	uint64_t me = ctx->signer->id;

	if ((acts & ACT_COMMISSION) && (uses & wb_commission_uses(s))) {
		if (st->commissioner == 0) {
			st->commissioner = me;
			st->commissioned_at = ctx->index;
		}
		if (st->custodian == 0) {
			st->custodian = me;
			st->custody_at = *now;
		}
		if (st->owner == 0 && !st->sold) {
			st->owner = me;
			st->owner_at = *now;
		}
	}
	if ((acts & ACT_DECOMMISSION) && (uses & WHOLE_USES) &&
	    st->decommissioned_at == 0) {
		st->decommissioned_at = ctx->index;
	}
	if (!(uses & WHOLE_USES) || !wb_order_after(now, &st->custody_at)) {
		return; /* a late event does not rewrite newer custody */
	}
	if (acts & ACT_SHIP) {
		st->in_transit = true;
		snprintf(st->destination, sizeof(st->destination), "%s",
		         destination_party(s));
		st->custody_at = *now;
	}
	if (acts & ACT_RECEIVE) {
		st->custodian = me;
		st->in_transit = false;
		st->destination[0] = '\0';
		st->custody_at = *now;
	}
}

static void
apply_owner(wb_rule_ctx *ctx, wb_twin_state *st, unsigned acts, unsigned uses,
            const wb_order *now)
{
	const wb_stamp *s = ctx->stamp;
	const char *party;
	uint64_t owner;

	if (!(uses & WHOLE_USES) || !wb_order_after(now, &st->owner_at)) {
		return;
	}
	if (acts & ACT_SELL) {
		st->owner = 0;
		st->sold = true;
		st->owner_at = *now;
		return;
	}
	/* Ownership moves by a transaction or a receipt naming the new
	 * owning party, when that party is a registered stakeholder. */
	if (!(acts & ACT_RECEIVE) && s->kind != WB_KIND_TRANSACTION) {
		return;
	}
	party = party_of(s->destinations, s->n_destinations, "owning_party");
	if (party != NULL && (owner = wb_reg_party_owner(ctx->t, party)) != 0) {
		st->owner = owner;
		st->sold = false;
		st->owner_at = *now;
	}
}

/* Adds (set) or removes (unset) a word of the '\n'-separated list. */
static void
persistent_edit(char *list, size_t size, const char *word, bool set)
{
	char *p = list;
	size_t wl = strlen(word);

	while (*p != '\0') {
		char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == wl && strncmp(p, word, wl) == 0) {
			if (!set) {
				memmove(p, p + len + (end != NULL),
				        strlen(p + len + (end != NULL)) + 1);
				if (*p == '\0' && p > list) {
					p[-1] = '\0'; /* a trailing newline */
				}
			}
			return;
		}
		p += len + (end != NULL);
	}
	if (set && strlen(list) + wl + 2 <= size) {
		if (list[0] != '\0') {
			strcat(list, "\n");
		}
		strcat(list, word);
	}
}

static void
set_attr(char *dst, uint64_t *dst_index, const wb_attribute *a, uint64_t index)
{
	snprintf(dst, WB_ATTR_VALUE_MAX, "%s", a->text ? a->text : a->json);
	*dst_index = index;
}

/* Location, disposition, attributes and the event span: what a passport
 * shows of every event about the twin. */
static void
apply_observation(wb_rule_ctx *ctx, wb_twin_state *st, unsigned uses,
                  const wb_order *now)
{
	const wb_stamp *s = ctx->stamp;

	if (!(uses & (WHOLE_USES | WB_USE_INPUT | WB_USE_OUTPUT))) {
		return; /* recall and lift targets are not observed */
	}
	if (st->first.index == 0 || wb_order_after(&st->first, now)) {
		st->first = *now;
	}
	if (wb_order_after(now, &st->last)) {
		st->last = *now;
	}
	if ((s->biz_location != NULL || s->read_point != NULL) &&
	    wb_order_after(now, &st->location_at)) {
		if (s->biz_location != NULL) {
			snprintf(st->location, sizeof(st->location), "%s",
			         s->biz_location->id);
		}
		if (s->read_point != NULL) {
			snprintf(st->read_point, sizeof(st->read_point), "%s",
			         s->read_point->id);
		}
		st->location_at = *now;
	}
	if (s->disposition != NULL &&
	    wb_order_after(now, &st->disposition_at)) {
		snprintf(st->disposition, sizeof(st->disposition), "%s",
		         wb_cbv_word(s->disposition));
		st->disposition_at = *now;
	}
	if (s->persistent_disposition != NULL) {
		const wb_persistent_disposition *pd = s->persistent_disposition;

		for (size_t i = 0; i < pd->n_set; i++) {
			persistent_edit(st->persistent, sizeof(st->persistent),
			                wb_cbv_word(pd->set[i]), true);
		}
		for (size_t i = 0; i < pd->n_unset; i++) {
			persistent_edit(st->persistent, sizeof(st->persistent),
			                wb_cbv_word(pd->unset[i]), false);
		}
	}
	for (size_t i = 0; i < s->n_attributes; i++) {
		const wb_attribute *a = &s->attributes[i];

		if (strcmp(a->key, "waybill:packaging") == 0) {
			set_attr(st->packaging, &st->packaging_index, a,
			         ctx->index);
		} else if (strcmp(a->key, "waybill:price") == 0) {
			set_attr(st->price, &st->price_index, a, ctx->index);
		} else if (strcmp(a->key, "waybill:discount") == 0) {
			set_attr(st->discount, &st->discount_index, a,
			         ctx->index);
		}
	}
}

static wb_err
apply_nesting(wb_rule_ctx *ctx, wb_twin_state *st, unsigned acts, unsigned uses,
              const char *parent_key, const wb_order *now)
{
	uint64_t holder;
	wb_err rc;

	if (uses & WB_USE_PARENT) {
		if ((acts & ACT_PACK) && st->custodian == 0) {
			st->custodian = ctx->signer->id;
			st->custody_at = *now;
		}
		return WB_OK;
	}
	if (!(uses & CHILD_USES) || parent_key == NULL) {
		return WB_OK;
	}
	if ((acts & (ACT_PACK | ACT_UNPACK)) &&
	    wb_order_after(now, &st->container_at)) {
		if (acts & ACT_PACK) {
			snprintf(st->container, sizeof(st->container), "%s",
			         parent_key);
		} else if (strcmp(st->container, parent_key) == 0) {
			/* Out of the case, the item stays with whoever
			 * held the case. */
			if ((rc = wb_effective_custodian(ctx->t, st,
			                                 &holder)) != WB_OK) {
				return rc;
			}
			st->container[0] = '\0';
			if (holder != 0) {
				st->custodian = holder;
			}
		}
		st->container_at = *now;
	}
	if ((acts & (ACT_INSTALL | ACT_REMOVE)) &&
	    wb_order_after(now, &st->host_at)) {
		if (acts & ACT_INSTALL) {
			snprintf(st->host, sizeof(st->host), "%s", parent_key);
		} else if (strcmp(st->host, parent_key) == 0) {
			st->host[0] = '\0';
		}
		st->host_at = *now;
	}
	return WB_OK;
}

/* Every state effect of one stamp on one twin. */
static wb_err
apply_to_twin(wb_rule_ctx *ctx, wb_twin_state *st, unsigned uses,
              const char *parent_key)
{
	const wb_stamp *s = ctx->stamp;
	unsigned acts = wb_stamp_acts(s);
	wb_order now = { s->event_time.seconds, s->event_time.nanos,
		         ctx->index };

	if (s->error_declaration != NULL || s->kind == WB_KIND_RECALL ||
	    s->kind == WB_KIND_LIFT || s->kind == WB_KIND_MASTER_DATA) {
		return WB_OK;
	}
	apply_custody(ctx, st, acts, uses, &now);
	apply_owner(ctx, st, acts, uses, &now);
	apply_observation(ctx, st, uses, &now);
	return apply_nesting(ctx, st, acts, uses, parent_key, &now);
}

/*
 * Recalls and lifts.
 */

static wb_err
store_recall_record(wb_rule_ctx *ctx, uint8_t kind, unsigned use)
{
	wb_buf b = { 0 };
	uint8_t k[8];
	size_t n = 0;
	wb_err rc;

	wb_buf_put_u64(&b, ctx->signer->id);
	for (size_t i = 0; i < ctx->n_touched; i++) {
		n += (ctx->touched[i].roles & use) != 0;
	}
	wb_buf_put_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (ctx->touched[i].roles & use) {
			wb_buf_put_str(&b, ctx->touched[i].twin.key);
		}
	}
	/* The kind byte goes last: recall readers written before lifts
	 * existed read issuer and targets first. */
	wb_buf_put_u8(&b, kind);
	if (kind == LIFT_RECORD) {
		wb_buf_put_u64(&b, ctx->stamp->lift->recall_index);
	}
	wb_be64_put(k, ctx->index);
	rc = b.failed ? WB_ENOMEM
	              : wb_db_put(ctx->t, WB_DB_RECALLS, k, 8, b.data, b.len,
	                          WB_PUT_APPEND);
	wb_buf_fini(&b);
	return rc;
}

/*
 * Lineage.
 */

static wb_err
twin_number(wb_rule_ctx *ctx, const char *key, uint64_t *no)
{
	return wb_twin_no(ctx->t, key, no);
}

/* A lot number from ILMD JSON: any key whose last segment is lotNumber
 * (cbvmda:lotNumber, the CBV URI, or bare). */
static bool
ilmd_lot(const char *ilmd, char *out, size_t size)
{
	json_t *root = json_loads(ilmd, 0, NULL), *v;
	const char *key;
	bool found = false;

	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return false;
	}
	json_object_foreach(root, key, v)
	{
		size_t kl = strlen(key);

		if (kl >= 9 && strcmp(key + kl - 9, "lotNumber") == 0 &&
		    (kl == 9 || strchr(":#/", key[kl - 10]) != NULL) &&
		    json_is_string(v)) {
			snprintf(out, size, "%s", json_string_value(v));
			found = true;
			break;
		}
	}
	json_decref(root);
	return found;
}

/* Appends `lot` to `out` percent-encoding every character outside
 * `keep` (besides letters and digits). */
static void
put_escaped(char *out, size_t size, const char *lot, const char *keep)
{
	size_t n = strlen(out);

	for (const unsigned char *c = (const unsigned char *)lot;
	     *c != '\0' && n + 4 < size; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || strchr(keep, *c) != NULL) {
			out[n++] = (char)*c;
		} else {
			n += (size_t)snprintf(out + n, size - n, "%%%02X", *c);
		}
	}
	out[n] = '\0';
}

/*
 * The name a lot made from an item's lot number goes by: the LGTIN EPC URI
 * when the item was written as an SGTIN URI (same company prefix split),
 * else the GS1 Digital Link of GTIN and lot — what a recall would write,
 * rather than the internal key. Each candidate must parse back to the lot's
 * key; the key itself is the last resort.
 */
static void
lot_display_id(char out[WB_ID_MAX + 1], const char *item_id,
               const char *gtin_key, const char *lot, const char *lot_key)
{
	static const char sgtin[] = "urn:epc:id:sgtin:";
	const char *cp_end;
	wb_twin_id parsed;
	wb_problem p;

	if (strncmp(item_id, sgtin, sizeof(sgtin) - 1) == 0 &&
	    (cp_end = strrchr(item_id, '.')) != NULL) {
		int len = (int)(cp_end - item_id) - (int)(sizeof(sgtin) - 1);

		/* TDS: an EPC URI's serial or lot keeps these as they are. */
		snprintf(out, WB_ID_MAX + 1, "urn:epc:class:lgtin:%.*s.", len,
		         item_id + sizeof(sgtin) - 1);
		put_escaped(out, WB_ID_MAX + 1, lot, "-_.:;=!'()*+,");
		if (wb_id_parse(&parsed, out, strlen(out), &p) == WB_OK &&
		    strcmp(parsed.key, lot_key) == 0) {
			return;
		}
	}
	/* The key's "(01)" is followed by the 14-digit GTIN. */
	snprintf(out, WB_ID_MAX + 1, "https://id.gs1.org/01/%.14s/10/",
	         gtin_key + 4);
	put_escaped(out, WB_ID_MAX + 1, lot, "-_.~");
	if (wb_id_parse(&parsed, out, strlen(out), &p) == WB_OK &&
	    strcmp(parsed.key, lot_key) == 0) {
		return;
	}
	snprintf(out, WB_ID_MAX + 1, "%s", lot_key);
}

/* The twin number of a lot key, made when the lot was never stamped
 * (an item's lot exists as soon as an item names it), named `id`. */
static wb_err
lot_number(wb_rule_ctx *ctx, const char *lot_key, const char *id, uint64_t *no)
{
	wb_twin_state *st;
	wb_err rc = wb_twin_no(ctx->t, lot_key, no);

	if (rc != WB_ENOTFOUND) {
		return rc;
	}
	if ((st = malloc(sizeof(*st))) == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = wb_twin_new(ctx->t, lot_key, id, st)) == WB_OK &&
	    (rc = wb_twin_put(ctx->t, lot_key, st)) == WB_OK) {
		*no = st->twin_no;
	}
	free(st);
	return rc;
}

static wb_err
open_edge(wb_rule_ctx *ctx, wb_edge_type type, uint64_t from, uint64_t to,
          const wb_order *closed_by, const double *qty)
{
	wb_edge e = { .type = type, .from = from, .to = to };

	e.opened = ctx->index;
	e.opened_at = ctx->stamp->event_time;
	if (closed_by != NULL) {
		/* A late event: a newer change already ended what it
		 * opens. */
		e.closed = closed_by->index;
		e.closed_at.seconds = closed_by->seconds;
		e.closed_at.nanos = closed_by->nanos;
	}
	if (qty != NULL) {
		e.has_quantity = true;
		e.quantity = *qty;
	}
	return wb_edge_open(ctx->t, &e);
}

/* Items commissioned with a lot (ILMD lotNumber, or an LGTIN of their GTIN
 * in the same stamp) are members of it. */
static wb_err
lineage_members(wb_rule_ctx *ctx)
{
	const wb_stamp *s = ctx->stamp;
	unsigned uses = wb_commission_uses(s);
	char lot[WB_ID_MAX + 1], gtin[WB_KEY_MAX + 1], lot_key[2 * WB_KEY_MAX],
	        lot_id[WB_ID_MAX + 1];
	bool have_lot = s->ilmd_json != NULL &&
	                ilmd_lot(s->ilmd_json, lot, sizeof(lot));
	wb_err rc;

	for (size_t i = 0; i < ctx->n_touched; i++) {
		const wb_touched *item = &ctx->touched[i];
		uint64_t item_no, lot_no;

		if (!(item->roles & uses) ||
		    item->twin.kind != WB_ID_GS1_ITEM ||
		    !wb_id_class_of(gtin, item->twin.key) ||
		    (rc = twin_number(ctx, item->twin.key, &item_no)) !=
		            WB_OK) {
			continue;
		}
		for (size_t k = 0; k < ctx->n_touched; k++) {
			const wb_touched *c = &ctx->touched[k];
			size_t gl = strlen(gtin);

			if (c->twin.kind == WB_ID_GS1_CLASS &&
			    strncmp(c->twin.key, gtin, gl) == 0 &&
			    strncmp(c->twin.key + gl, "(10)", 4) == 0 &&
			    (rc = lot_number(ctx, c->twin.key, c->id,
			                     &lot_no)) == WB_OK &&
			    (rc = open_edge(ctx, WB_EDGE_MEMBER_OF, item_no,
			                    lot_no, NULL, NULL)) != WB_OK) {
				return rc;
			}
		}
		if (!have_lot) {
			continue;
		}
		snprintf(lot_key, sizeof(lot_key), "%s(10)%s", gtin, lot);
		if (strlen(lot_key) > WB_KEY_MAX) {
			continue;
		}
		lot_display_id(lot_id, item->id, gtin, lot, lot_key);
		if ((rc = lot_number(ctx, lot_key, lot_id, &lot_no)) != WB_OK ||
		    (rc = open_edge(ctx, WB_EDGE_MEMBER_OF, item_no, lot_no,
		                    NULL, NULL)) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

static const double *
input_quantity(const wb_stamp *s, const char *id)
{
	for (size_t i = 0; i < s->n_input_quantities; i++) {
		if (strcmp(s->input_quantities[i].epc_class, id) == 0 &&
		    s->input_quantities[i].has_quantity) {
			return &s->input_quantities[i].quantity;
		}
	}
	return NULL;
}

static wb_err
lineage_transform(wb_rule_ctx *ctx)
{
	wb_err rc;

	for (size_t o = 0; o < ctx->n_touched; o++) {
		uint64_t out_no, in_no;

		if (!(ctx->touched[o].roles & WB_USE_OUTPUT) ||
		    (rc = twin_number(ctx, ctx->touched[o].twin.key,
		                      &out_no)) != WB_OK) {
			continue;
		}
		for (size_t i = 0; i < ctx->n_touched; i++) {
			if (!(ctx->touched[i].roles & WB_USE_INPUT) ||
			    twin_number(ctx, ctx->touched[i].twin.key,
			                &in_no) != WB_OK) {
				continue;
			}
			rc = open_edge(
			        ctx, WB_EDGE_MADE_FROM, out_no, in_no, NULL,
			        input_quantity(ctx->stamp, ctx->touched[i].id));
			if (rc != WB_OK) {
				return rc;
			}
		}
	}
	return WB_OK;
}

struct unpack_all {
	wb_rule_ctx *ctx;
	uint64_t *children;
	size_t n, cap;
};

static wb_err
collect_open_child(const wb_edge *e, void *arg)
{
	struct unpack_all *u = arg;

	if (e->closed != 0) {
		return WB_OK;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		uint64_t *v = realloc(u->children, cap * sizeof(*v));

		if (v == NULL) {
			return WB_ENOMEM;
		}
		u->children = v;
		u->cap = cap;
	}
	u->children[u->n++] = e->to;
	return WB_OK;
}

/* A child taken out by an unpacking that names no children: the stamp
 * does not touch it, so its state moves here, as apply_nesting moves a
 * named child's (out of the container, with whoever held it). */
static wb_err
unpack_unnamed(wb_rule_ctx *ctx, const char *parent_key, uint64_t child,
               const wb_order *now)
{
	char key[WB_KEY_MAX + 1], id[WB_ID_MAX + 1];
	wb_twin_state *st = malloc(sizeof(*st));
	uint64_t holder;
	wb_err rc;

	if (st == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = wb_twin_name(ctx->t, child, key, id)) == WB_OK &&
	    (rc = wb_twin_get(ctx->t, key, st)) == WB_OK &&
	    strcmp(st->container, parent_key) == 0 &&
	    wb_order_after(now, &st->container_at) &&
	    (rc = wb_effective_custodian(ctx->t, st, &holder)) == WB_OK) {
		st->container[0] = '\0';
		if (holder != 0) {
			st->custodian = holder;
		}
		st->container_at = *now;
		rc = wb_twin_put(ctx->t, key, st);
	}
	free(st);
	return rc;
}

/* Packing, unpacking, installing, removing: edges between the parent and
 * each child, with the child's state before this stamp to tell a late
 * event. */
static wb_err
lineage_nesting(wb_rule_ctx *ctx, unsigned acts, const wb_twin_state *pre,
                const bool *known)
{
	wb_edge_type type = acts & (ACT_PACK | ACT_UNPACK)
	                            ? WB_EDGE_CONTAINS
	                            : WB_EDGE_INSTALLED_IN;
	bool opening = (acts & (ACT_PACK | ACT_INSTALL)) != 0;
	wb_order now = { ctx->stamp->event_time.seconds,
		         ctx->stamp->event_time.nanos, ctx->index };
	uint64_t parent_no = 0, child_no, old_no;
	const char *parent_key = NULL;
	size_t n_children = 0;
	bool closed;
	wb_err rc;

	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (ctx->touched[i].roles & WB_USE_PARENT) {
			parent_key = ctx->touched[i].twin.key;
		}
	}
	if (parent_key == NULL ||
	    (rc = twin_number(ctx, parent_key, &parent_no)) != WB_OK) {
		return WB_OK;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		const wb_twin_state *st = &pre[i];
		const wb_order *cur = type == WB_EDGE_CONTAINS
		                              ? &st->container_at
		                              : &st->host_at;
		const char *held =
		        type == WB_EDGE_CONTAINS ? st->container : st->host;
		bool late = known[i] && wb_order_after(cur, &now);

		if (!(ctx->touched[i].roles & CHILD_USES) ||
		    (ctx->touched[i].roles & WB_USE_PARENT) ||
		    twin_number(ctx, ctx->touched[i].twin.key, &child_no) !=
		            WB_OK) {
			continue;
		}
		n_children++;
		if (!opening) {
			rc = wb_edge_close(ctx->t, type, parent_no, child_no,
			                   ctx->index, &ctx->stamp->event_time,
			                   &closed);
		} else {
			/* Packed elsewhere before: a move ends that. */
			if (!late && held[0] != '\0' &&
			    strcmp(held, parent_key) != 0 &&
			    wb_twin_no(ctx->t, held, &old_no) == WB_OK &&
			    (rc = wb_edge_close(
			             ctx->t, type,
			             type == WB_EDGE_CONTAINS ? old_no
			                                      : child_no,
			             type == WB_EDGE_CONTAINS ? child_no
			                                      : old_no,
			             ctx->index, &ctx->stamp->event_time,
			             &closed)) != WB_OK) {
				return rc;
			}
			rc = open_edge(
			        ctx,
			        type == WB_EDGE_CONTAINS ? WB_EDGE_CONTAINS
			                                 : WB_EDGE_INSTALLED_IN,
			        type == WB_EDGE_CONTAINS ? parent_no : child_no,
			        type == WB_EDGE_CONTAINS ? child_no : parent_no,
			        late ? cur : NULL, NULL);
		}
		if (rc != WB_OK) {
			return rc;
		}
	}
	/* An AggregationEvent DELETE naming no children unpacks them all. */
	if (!opening && n_children == 0 && type == WB_EDGE_CONTAINS) {
		struct unpack_all *u = calloc(1, sizeof(*u));

		if (u == NULL) {
			return WB_ENOMEM;
		}
		u->ctx = ctx;
		rc = wb_edges_each(ctx->t, parent_no, WB_EDGE_OUT,
		                   WB_EDGE_CONTAINS, collect_open_child, u);
		for (size_t i = 0; rc == WB_OK && i < u->n; i++) {
			rc = wb_edge_close(ctx->t, WB_EDGE_CONTAINS, parent_no,
			                   u->children[i], ctx->index,
			                   &ctx->stamp->event_time, &closed);
			if (rc == WB_OK && closed) {
				rc = unpack_unnamed(ctx, parent_key,
				                    u->children[i], &now);
			}
		}
		free(u->children);
		free(u);
		return rc;
	}
	return WB_OK;
}

/* Installs record part --installed-in--> asset: the edge runs from the
 * child, not the parent, so open_edge above swaps ends for it, and so must
 * closing. */
static wb_err
lineage_remove(wb_rule_ctx *ctx)
{
	uint64_t asset = 0, part;
	bool closed;
	wb_err rc;

	for (size_t i = 0; i < ctx->n_touched; i++) {
		if ((ctx->touched[i].roles & WB_USE_PARENT) &&
		    twin_number(ctx, ctx->touched[i].twin.key, &asset) !=
		            WB_OK) {
			return WB_OK;
		}
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (!(ctx->touched[i].roles & CHILD_USES) ||
		    (ctx->touched[i].roles & WB_USE_PARENT) ||
		    twin_number(ctx, ctx->touched[i].twin.key, &part) !=
		            WB_OK) {
			continue;
		}
		if ((rc = wb_edge_close(ctx->t, WB_EDGE_INSTALLED_IN, part,
		                        asset, ctx->index,
		                        &ctx->stamp->event_time, &closed)) !=
		    WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

static wb_err
apply_lineage(wb_rule_ctx *ctx, const wb_twin_state *pre, const bool *known)
{
	unsigned acts = wb_stamp_acts(ctx->stamp);
	wb_err rc;

	if ((acts & ACT_COMMISSION) && (rc = lineage_members(ctx)) != WB_OK) {
		return rc;
	}
	if ((acts & ACT_TRANSFORM) && (rc = lineage_transform(ctx)) != WB_OK) {
		return rc;
	}
	if (acts & (ACT_PACK | ACT_UNPACK | ACT_INSTALL)) {
		return lineage_nesting(ctx, acts, pre, known);
	}
	if (acts & ACT_REMOVE) {
		return lineage_remove(ctx);
	}
	return WB_OK;
}

/*
 * Search postings.
 */

/* The stamp's search postings, written with the transaction. Event-time
 * filters are checked on the candidates (search.c), not indexed. */
static wb_err
add_postings(wb_rule_ctx *ctx)
{
	const wb_stamp *s = ctx->stamp;
	wb_postings *p = ctx->postings;
	uint8_t v[8];
	wb_err rc = WB_OK;

	if (s->biz_step != NULL) {
		wb_search_value(v, wb_cbv_word(s->biz_step));
		rc = wb_postings_add(p, WB_SEARCH_BIZ_STEP, v, ctx->index);
	}
	if (rc == WB_OK && s->disposition != NULL) {
		wb_search_value(v, wb_cbv_word(s->disposition));
		rc = wb_postings_add(p, WB_SEARCH_DISPOSITION, v, ctx->index);
	}
	if (rc == WB_OK && s->read_point != NULL) {
		wb_search_value(v, s->read_point->id);
		rc = wb_postings_add(p, WB_SEARCH_READ_POINT, v, ctx->index);
	}
	if (rc == WB_OK && s->biz_location != NULL) {
		wb_search_value(v, s->biz_location->id);
		rc = wb_postings_add(p, WB_SEARCH_BIZ_LOCATION, v, ctx->index);
	}
	if (rc == WB_OK) {
		wb_be64_put(v, ctx->signer->id);
		rc = wb_postings_add(p, WB_SEARCH_STAKEHOLDER, v, ctx->index);
	}
	return rc;
}

/*
 * Declarations of error.
 */

/* Whether entry `index` was declared in error (its effects ignored). */
bool
wb_is_declared(wb_txn *t, uint64_t index)
{
	uint8_t k[8];
	wb_val v;

	wb_be64_put(k, index);
	return wb_db_get(t, WB_DB_DECLARED, k, 8, &v) == WB_OK;
}

struct edge_find {
	uint64_t from, opened;
	bool found;
	wb_edge e;
};

static wb_err
find_edge(const wb_edge *e, void *arg)
{
	struct edge_find *f = arg;

	if (e->from == f->from && e->opened == f->opened) {
		f->e = *e;
		f->found = true;
		return WB_EEXISTS; /* stop */
	}
	return WB_OK;
}

/* An unpacking that named no children is not in their histories, so a
 * replay puts a child back in the container it took it out of: when the
 * edge of the packing the replay ended on was closed since by a stamp not
 * declared in error, that closing applies too (see unpack_unnamed). */
static wb_err
rebuild_unnamed_unpack(wb_txn *t, wb_twin_state *st)
{
	struct edge_find f = { 0 };
	uint64_t holder;
	wb_order closing;
	wb_err rc;

	if (st->container[0] == '\0' ||
	    wb_twin_no(t, st->container, &f.from) != WB_OK) {
		return WB_OK;
	}
	f.opened = st->container_at.index;
	rc = wb_edges_each(t, st->twin_no, WB_EDGE_IN, WB_EDGE_CONTAINS,
	                   find_edge, &f);
	if (rc != WB_OK && rc != WB_EEXISTS) {
		return rc;
	}
	if (!f.found || f.e.closed == 0 || wb_is_declared(t, f.e.closed)) {
		return WB_OK;
	}
	closing = (wb_order){ f.e.closed_at.seconds, f.e.closed_at.nanos,
		              f.e.closed };
	if (!wb_order_after(&closing, &st->container_at)) {
		return WB_OK;
	}
	if ((rc = wb_effective_custodian(t, st, &holder)) != WB_OK) {
		return rc;
	}
	st->container[0] = '\0';
	if (holder != 0) {
		st->custodian = holder;
	}
	st->container_at = closing;
	return WB_OK;
}

/* Rebuilds one twin's state from its history without declared events:
 * the same effects, replayed in index order. */
static wb_err
rebuild_twin(wb_journal *j, wb_txn *t, const char *key)
{
	wb_twin_state *st = malloc(sizeof(*st)), *fresh = malloc(sizeof(*st));
	wb_touched *touched = NULL;
	wb_cursor *c = NULL;
	uint8_t k[16];
	wb_val kv;
	wb_err rc;

	if (st == NULL || fresh == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if ((rc = wb_twin_get(t, key, st)) != WB_OK) {
		goto out;
	}
	/* Keep identity, chain and counters; clear what events decide. */
	memset(fresh, 0, sizeof(*fresh));
	fresh->twin_no = st->twin_no;
	fresh->has_head = st->has_head;
	fresh->head_index = st->head_index;
	fresh->head_leaf = st->head_leaf;
	fresh->n_entries = st->n_entries;
	fresh->custody_gaps = st->custody_gaps;
	fresh->last_gap_index = st->last_gap_index;
	memcpy(fresh->id, st->id, sizeof(fresh->id));
	if ((rc = wb_cursor_open(&c, t, WB_DB_HISTORY)) != WB_OK) {
		goto out;
	}
	wb_be64_put(k, st->twin_no);
	wb_be64_put(k + 8, 0);
	for (rc = wb_cursor_seek(c, k, 16, &kv, NULL); rc == WB_OK;
	     rc = wb_cursor_next(c, &kv, NULL)) {
		uint64_t index;
		wb_entry *e = NULL;
		wb_stamp *s = NULL;
		wb_key_record kr;
		wb_stakeholder *who = NULL;
		wb_rule_ctx ctx = { 0 };
		uint8_t ik[8];
		wb_val ev;
		size_t cap;

		if (kv.len != 16 || wb_be64_get(kv.data) != st->twin_no) {
			break;
		}
		index = wb_be64_get((const uint8_t *)kv.data + 8);
		if (wb_is_declared(t, index)) {
			continue;
		}
		wb_be64_put(ik, index);
		if ((rc = wb_db_get(t, WB_DB_JOURNAL, ik, 8, &ev)) != WB_OK ||
		    (rc = wb_entry_decode(&e, ev.data, ev.len)) != WB_OK) {
			rc = WB_ECORRUPT;
			break;
		}
		if (e->type != WB_ENTRY_STAMP ||
		    wb_stamp_decode(&s, e->body, e->body_len) != WB_OK ||
		    wb_reg_key_get(t, &e->signer, &kr) != WB_OK ||
		    (who = malloc(sizeof(*who))) == NULL ||
		    wb_reg_stakeholder_load(t, kr.stakeholder, who) != WB_OK) {
			free(who);
			wb_stamp_free(s);
			wb_entry_free(e);
			continue;
		}
		cap = s->n_epcs + s->n_quantities + s->n_input_epcs +
		      s->n_input_quantities + s->n_output_epcs +
		      s->n_output_quantities + 2 +
		      (s->recall ? s->recall->n_targets : 0) +
		      (s->lift ? s->lift->n_targets : 0);
		free(touched);
		touched = calloc(cap, sizeof(*touched));
		ctx.j = j;
		ctx.t = t;
		ctx.index = index;
		ctx.stamp = s;
		ctx.signer = who;
		if (touched != NULL &&
		    wb_rules_check_shape(&ctx, touched, cap, NULL) == WB_OK) {
			const char *parent_key = NULL;

			for (size_t i = 0; i < ctx.n_touched; i++) {
				if (touched[i].roles & WB_USE_PARENT) {
					parent_key = touched[i].twin.key;
				}
			}
			for (size_t i = 0; i < ctx.n_touched; i++) {
				if (strcmp(touched[i].twin.key, key) == 0) {
					rc = apply_to_twin(&ctx, fresh,
					                   touched[i].roles,
					                   parent_key);
				}
			}
		}
		free(who);
		wb_stamp_free(s);
		wb_entry_free(e);
		if (rc != WB_OK) {
			break;
		}
	}
	if ((rc == WB_ENOTFOUND || rc == WB_OK) &&
	    (rc = rebuild_unnamed_unpack(t, fresh)) == WB_OK) {
		rc = wb_twin_put(t, key, fresh);
	}
out:
	wb_cursor_close(c);
	free(touched);
	free(st);
	free(fresh);
	return rc;
}

static wb_err
apply_declaration(wb_rule_ctx *ctx)
{
	const wb_stamp *s = ctx->stamp;
	uint64_t declared;
	uint8_t k[8], v[8];
	wb_entry *e = NULL;
	wb_val ev;
	bool same;
	wb_err rc;

	rc = wb_events_lookup(ctx->j, ctx->t, ctx->signer->id, 0, s->event_id,
	                      false, NULL, 0, &declared, &same);
	if (rc == WB_ENOTFOUND) {
		return WB_OK; /* recorded, with no effect */
	}
	if (rc != WB_OK) {
		return rc;
	}
	wb_be64_put(k, declared);
	wb_be64_put(v, ctx->index);
	if ((rc = wb_db_put(ctx->t, WB_DB_DECLARED, k, 8, v, 8, 0)) != WB_OK ||
	    (rc = wb_db_get(ctx->t, WB_DB_JOURNAL, k, 8, &ev)) != WB_OK ||
	    (rc = wb_entry_decode(&e, ev.data, ev.len)) != WB_OK) {
		return rc;
	}
	for (size_t i = 0; i < e->n_links && rc == WB_OK; i++) {
		rc = rebuild_twin(ctx->j, ctx->t, e->links[i].twin);
	}
	wb_entry_free(e);
	return rc;
}

/* The latest description of a location or product, for names. */
static wb_err
put_master(wb_rule_ctx *ctx)
{
	const char *id = ctx->stamp->master_data->element_id;
	uint8_t v[8];
	wb_twin_id tid;

	if (wb_id_parse(&tid, id, strlen(id), NULL) != WB_OK) {
		return WB_OK; /* the shape check refused this already */
	}
	wb_be64_put(v, ctx->index);
	return wb_db_put(ctx->t, WB_DB_MASTER, tid.key, tid.key_len, v, 8, 0);
}

wb_err
wb_effects_apply(wb_rule_ctx *ctx)
{
	const wb_stamp *s = ctx->stamp;
	unsigned acts = wb_stamp_acts(s);
	const char *parent_key = NULL;
	struct twin_scratch sc;
	wb_err rc;

	if ((rc = add_postings(ctx)) != WB_OK) {
		return rc;
	}
	if (s->error_declaration != NULL) {
		return apply_declaration(ctx);
	}
	if (s->kind == WB_KIND_MASTER_DATA) {
		return put_master(ctx);
	}
	if (s->kind == WB_KIND_RECALL &&
	    (rc = store_recall_record(ctx, RECALL_RECORD, WB_USE_RECALL)) !=
	            WB_OK) {
		return rc;
	}
	if (s->kind == WB_KIND_LIFT &&
	    (rc = store_recall_record(ctx, LIFT_RECORD, WB_USE_LIFT)) !=
	            WB_OK) {
		return rc;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		if (ctx->touched[i].roles & WB_USE_PARENT) {
			parent_key = ctx->touched[i].twin.key;
		}
	}
	if ((rc = wb_twin_scratch_new(&sc, ctx->n_touched)) != WB_OK) {
		goto out;
	}
	/* Judge custody against the state before this stamp (again: the
	 * checks wrote nothing), then move every twin on. */
	if ((rc = wb_rules_load_states(ctx, sc.st, sc.known)) != WB_OK ||
	    (rc = wb_rules_custody_gaps(ctx, sc.st, sc.known, acts, sc.gap)) !=
	            WB_OK ||
	    (rc = apply_lineage(ctx, sc.st, sc.known)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < ctx->n_touched; i++) {
		wb_twin_state *st = &sc.st[i];

		/* The entry is written and append.c set the chain head:
		 * read the state back. */
		if ((rc = wb_twin_get(ctx->t, ctx->touched[i].twin.key, st)) !=
		            WB_OK ||
		    (rc = apply_to_twin(ctx, st, ctx->touched[i].roles,
		                        parent_key)) != WB_OK) {
			goto out;
		}
		if (sc.gap[i]) {
			st->custody_gaps++;
			st->last_gap_index = ctx->index;
		}
		if ((rc = wb_twin_put(ctx->t, ctx->touched[i].twin.key, st)) !=
		    WB_OK) {
			goto out;
		}
	}
out:
	wb_twin_scratch_free(&sc);
	return rc;
}
