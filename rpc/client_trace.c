/* SPDX-License-Identifier: MIT */
/*
 * client_trace.c - the traceability calls of the client library. Each
 * returns the same structs as the local query (waybill/trace.h), so tools
 * print a remote answer exactly as a local one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_impl.h"
#include "rpc.pb-c.h"
#include "wire.h"

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

static void
take_time(wb_time *t, const Waybill__V1__Timestamp *m)
{
	memset(t, 0, sizeof(*t));
	if (m != NULL) {
		t->seconds = m->seconds;
		t->nanos = m->has_nanos ? m->nanos : 0;
		t->has_nanos = m->has_nanos;
	}
}

static wb_edge_type
edge_type(const char *name)
{
	for (int t = WB_EDGE_CONTAINS; t <= WB_EDGE_MEMBER_OF; t++) {
		if (strcmp(name, wb_edge_type_name((wb_edge_type)t)) == 0) {
			return (wb_edge_type)t;
		}
	}
	return 0;
}

static wb_err
take_status(wb_recall_status **out, const Waybill__V1__RecallStatusResponse *m)
{
	wb_recall_status *s = calloc(1, sizeof(*s));

	if (s == NULL ||
	    (m->n_hits > 0 &&
	     (s->hits = calloc(m->n_hits, sizeof(*s->hits))) == NULL)) {
		free(s);
		return WB_ENOMEM;
	}
	s->state = (wb_recall_state)m->state;
	s->n_hits = m->n_hits;
	for (size_t i = 0; i < m->n_hits; i++) {
		const Waybill__V1__RecallHit *x = m->hits[i];
		wb_recall_hit *h = &s->hits[i];

		h->recall_index = x->recall_index;
		h->state = (wb_recall_state)x->state;
		copy(h->reason, sizeof(h->reason), x->reason);
		h->has_severity = x->has_severity;
		h->severity = (wb_recall_class)x->severity;
		h->issuer = x->issuer;
		copy(h->issuer_name, sizeof(h->issuer_name), x->issuer_name);
		h->n_path = x->n_path < WB_PATH_MAX ? x->n_path : WB_PATH_MAX;
		for (size_t k = 0; k < h->n_path; k++) {
			copy(h->path[k], sizeof(h->path[k]), x->path[k]);
			if (k < x->n_path_edges) {
				h->path_edges[k] = edge_type(x->path_edges[k]);
			}
		}
	}
	*out = s;
	return WB_OK;
}

wb_err
wb_rpc_recall_status(wb_recall_status **out, wb_rpc_client *c, const char *twin,
                     wb_problem *p)
{
	Waybill__V1__TwinRequest req = WAYBILL__V1__TWIN_REQUEST__INIT;
	Waybill__V1__RecallStatusResponse *m = NULL;
	wb_err rc;

	*out = NULL;
	req.twin = (char *)(uintptr_t)twin;
	/* Without a key, ask anonymously: a point-of-sale daemon allows it. */
	rc = call_unpack(c, WB_OP_RECALL_STATUS, &req.base,
	                 wb_client_has_key(c),
	                 &waybill__v1__recall_status_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m != NULL) {
		if (rc == WB_OK) {
			rc = take_status(out, m);
		}
		waybill__v1__recall_status_response__free_unpacked(m, NULL);
	}
	return rc;
}

wb_err
wb_rpc_passport(wb_passport **out, wb_rpc_client *c, const char *twin,
                wb_problem *p)
{
	static const char *const kinds[] = { "other", "epc", "gs1-item",
		                             "gs1-class", "gs1-party" };
	Waybill__V1__TwinRequest req = WAYBILL__V1__TWIN_REQUEST__INIT;
	Waybill__V1__PassportResponse *m = NULL;
	wb_passport *pp;
	wb_err rc;

	*out = NULL;
	req.twin = (char *)(uintptr_t)twin;
	rc = call_unpack(c, WB_OP_PASSPORT, &req.base, true,
	                 &waybill__v1__passport_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc != WB_OK || (pp = calloc(1, sizeof(*pp))) == NULL) {
		waybill__v1__passport_response__free_unpacked(m, NULL);
		return rc != WB_OK ? rc : WB_ENOMEM;
	}
	copy(pp->id, sizeof(pp->id), m->id);
	copy(pp->key, sizeof(pp->key), m->key);
	for (size_t k = 0; k < 5; k++) {
		if (m->kind != NULL && strcmp(m->kind, kinds[k]) == 0) {
			pp->kind = (wb_id_kind)k;
		}
	}
	pp->commissioner = m->commissioner;
	copy(pp->commissioner_name, sizeof(pp->commissioner_name),
	     m->commissioner_name);
	pp->owner = m->owner;
	copy(pp->owner_name, sizeof(pp->owner_name), m->owner_name);
	pp->sold = m->sold;
	pp->custodian = m->custodian;
	copy(pp->custodian_name, sizeof(pp->custodian_name), m->custodian_name);
	pp->in_transit = m->in_transit;
	copy(pp->destination, sizeof(pp->destination), m->destination);
	copy(pp->location, sizeof(pp->location), m->location);
	copy(pp->location_name, sizeof(pp->location_name), m->location_name);
	copy(pp->read_point, sizeof(pp->read_point), m->read_point);
	copy(pp->disposition, sizeof(pp->disposition), m->disposition);
	for (size_t i = 0; i < m->n_persistent_dispositions; i++) {
		size_t len = strlen(pp->persistent);

		snprintf(pp->persistent + len, sizeof(pp->persistent) - len,
		         "%s%s", len ? "\n" : "",
		         m->persistent_dispositions[i]);
	}
	copy(pp->container, sizeof(pp->container), m->container);
	copy(pp->host, sizeof(pp->host), m->host);
	copy(pp->packaging, sizeof(pp->packaging), m->packaging);
	pp->packaging_index = m->packaging_index;
	copy(pp->price, sizeof(pp->price), m->price);
	copy(pp->discount, sizeof(pp->discount), m->discount);
	pp->decommissioned_at = m->decommissioned_at;
	pp->custody_gaps = m->custody_gaps;
	pp->n_stamps = m->stamps;
	pp->first_index = m->first_index;
	pp->last_index = m->last_index;
	take_time(&pp->first_time, m->first_time);
	take_time(&pp->last_time, m->last_time);
	rc = take_status(&pp->recalls, m->recalls);
	waybill__v1__passport_response__free_unpacked(m, NULL);
	if (rc != WB_OK) {
		wb_passport_free(pp);
		return rc;
	}
	*out = pp;
	return WB_OK;
}

wb_err
wb_rpc_trace(wb_trace **out, wb_rpc_client *c, const char *twin,
             const wb_trace_opts *o, wb_problem *p)
{
	Waybill__V1__TraceRequest req = WAYBILL__V1__TRACE_REQUEST__INIT;
	Waybill__V1__Timestamp at = WAYBILL__V1__TIMESTAMP__INIT;
	Waybill__V1__TraceResponse *m = NULL;
	wb_trace *t;
	wb_err rc;

	*out = NULL;
	req.twin = (char *)(uintptr_t)twin;
	if (o != NULL) {
		req.has_down = 1;
		req.down = o->down;
		req.has_max_depth = o->max_depth != 0;
		req.max_depth = o->max_depth;
		req.has_max_nodes = o->max_nodes != 0;
		req.max_nodes = (uint32_t)o->max_nodes;
		req.has_include_closed = o->include_closed;
		req.include_closed = o->include_closed;
		req.has_as_of_index = o->as_of.index != 0;
		req.as_of_index = o->as_of.index;
		if (o->as_of.has_time) {
			at.seconds = o->as_of.time.seconds;
			at.has_nanos = o->as_of.time.nanos != 0;
			at.nanos = o->as_of.time.nanos;
			req.as_of_time = &at;
		}
	}
	rc = call_unpack(c, WB_OP_TRACE, &req.base, true,
	                 &waybill__v1__trace_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc != WB_OK || (t = calloc(1, sizeof(*t))) == NULL ||
	    (t->nodes = calloc(m->n_nodes + 1, sizeof(*t->nodes))) == NULL ||
	    (t->edges = calloc(m->n_edges + 1, sizeof(*t->edges))) == NULL) {
		if (rc == WB_OK) {
			wb_trace_free(t);
			rc = WB_ENOMEM;
		}
		waybill__v1__trace_response__free_unpacked(m, NULL);
		return rc;
	}
	for (size_t i = 0; i < m->n_nodes; i++) {
		copy(t->nodes[i].id, sizeof(t->nodes[i].id), m->nodes[i]->id);
		copy(t->nodes[i].key, sizeof(t->nodes[i].key),
		     m->nodes[i]->key);
		t->nodes[i].depth = m->nodes[i]->depth;
	}
	t->n_nodes = m->n_nodes;
	for (size_t i = 0; i < m->n_edges; i++) {
		const Waybill__V1__TraceEdge *e = m->edges[i];

		if (e->from >= m->n_nodes || e->to >= m->n_nodes) {
			rc = WB_EPROTO; /* an edge to no node */
			break;
		}
		t->edges[i].type = edge_type(e->type);
		t->edges[i].from = e->from;
		t->edges[i].to = e->to;
		t->edges[i].opened = e->opened;
		t->edges[i].closed = e->has_closed ? e->closed : 0;
		take_time(&t->edges[i].opened_at, e->opened_at);
		take_time(&t->edges[i].closed_at, e->closed_at);
		t->edges[i].has_quantity = e->has_quantity;
		t->edges[i].quantity = e->quantity;
		t->n_edges++;
	}
	t->truncated = m->truncated;
	waybill__v1__trace_response__free_unpacked(m, NULL);
	if (rc != WB_OK) {
		wb_trace_free(t);
		return rc;
	}
	*out = t;
	return WB_OK;
}

wb_err
wb_rpc_where(wb_where_step **out, size_t *n_out, wb_rpc_client *c,
             const char *twin, wb_problem *p)
{
	Waybill__V1__TwinRequest req = WAYBILL__V1__TWIN_REQUEST__INIT;
	Waybill__V1__WhereResponse *m = NULL;
	wb_where_step *v = NULL;
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	req.twin = (char *)(uintptr_t)twin;
	rc = call_unpack(c, WB_OP_WHERE, &req.base, true,
	                 &waybill__v1__where_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK && (v = calloc(m->n_steps + 1, sizeof(*v))) == NULL) {
		rc = WB_ENOMEM;
	}
	if (rc == WB_OK) {
		for (size_t i = 0; i < m->n_steps; i++) {
			const Waybill__V1__WhereStep *x = m->steps[i];

			v[i].index = x->index;
			take_time(&v[i].event_time, x->event_time);
			copy(v[i].tz, sizeof(v[i].tz), x->tz);
			copy(v[i].biz_step, sizeof(v[i].biz_step), x->biz_step);
			copy(v[i].act, sizeof(v[i].act), x->act);
			copy(v[i].location, sizeof(v[i].location), x->location);
			copy(v[i].read_point, sizeof(v[i].read_point),
			     x->read_point);
			v[i].signer = x->signer;
			copy(v[i].signer_name, sizeof(v[i].signer_name),
			     x->signer_name);
			v[i].custodian = x->custodian;
			copy(v[i].custodian_name, sizeof(v[i].custodian_name),
			     x->custodian_name);
			v[i].declared = x->declared;
			copy(v[i].via, sizeof(v[i].via), x->via);
		}
		*out = v;
		*n_out = m->n_steps;
	}
	waybill__v1__where_response__free_unpacked(m, NULL);
	return rc;
}

wb_err
wb_rpc_installations(wb_installation **out, size_t *n_out, wb_rpc_client *c,
                     const char *twin, wb_problem *p)
{
	Waybill__V1__TwinRequest req = WAYBILL__V1__TWIN_REQUEST__INIT;
	Waybill__V1__InstallationsResponse *m = NULL;
	wb_installation *v = NULL;
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	req.twin = (char *)(uintptr_t)twin;
	rc = call_unpack(c, WB_OP_INSTALLATIONS, &req.base, true,
	                 &waybill__v1__installations_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK &&
	    (v = calloc(m->n_installations + 1, sizeof(*v))) == NULL) {
		rc = WB_ENOMEM;
	}
	for (size_t i = 0; rc == WB_OK && i < m->n_installations; i++) {
		const Waybill__V1__Installation *x = m->installations[i];

		copy(v[i].asset, sizeof(v[i].asset), x->asset);
		v[i].installed = x->installed;
		v[i].removed = x->has_removed ? x->removed : 0;
		take_time(&v[i].installed_at, x->installed_at);
		take_time(&v[i].removed_at, x->removed_at);
		if (x->n_stamps > 0 &&
		    (v[i].stamps = calloc(x->n_stamps, sizeof(*v[i].stamps))) ==
		            NULL) {
			rc = WB_ENOMEM;
			break;
		}
		if (x->n_stamps > 0) {
			memcpy(v[i].stamps, x->stamps,
			       x->n_stamps * sizeof(*v[i].stamps));
		}
		v[i].n_stamps = x->n_stamps;
		*n_out = i + 1;
	}
	if (rc == WB_OK) {
		*out = v;
	} else if (rc == WB_ENOMEM) {
		wb_installations_free(v, *n_out);
		*n_out = 0;
	}
	waybill__v1__installations_response__free_unpacked(m, NULL);
	return rc;
}

wb_err
wb_rpc_recall_impact(wb_recall_impact **out, wb_rpc_client *c,
                     uint64_t recall_index, size_t offset, size_t limit,
                     wb_problem *p)
{
	Waybill__V1__RecallImpactRequest req =
	        WAYBILL__V1__RECALL_IMPACT_REQUEST__INIT;
	Waybill__V1__RecallImpactResponse *m = NULL;
	wb_recall_impact *im = NULL;
	wb_err rc;

	*out = NULL;
	req.recall_index = recall_index;
	req.has_offset = 1;
	req.offset = offset;
	req.has_limit = limit != 0;
	req.limit = (uint32_t)limit;
	rc = call_unpack(c, WB_OP_RECALL_IMPACT, &req.base, true,
	                 &waybill__v1__recall_impact_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK &&
	    ((im = calloc(1, sizeof(*im))) == NULL ||
	     (im->groups = calloc(m->n_groups + 1, sizeof(*im->groups))) ==
	             NULL ||
	     (im->twins = calloc(m->n_twins + 1, sizeof(*im->twins))) ==
	             NULL)) {
		rc = WB_ENOMEM;
	}
	if (rc == WB_OK) {
		im->recall_index = m->recall_index;
		im->active = m->active;
		im->n_affected = m->affected;
		im->n_holding = m->holding;
		im->next = m->has_next ? m->next : 0;
		for (size_t i = 0; i < m->n_groups; i++) {
			im->groups[i].custodian = m->groups[i]->custodian;
			copy(im->groups[i].custodian_name,
			     sizeof(im->groups[i].custodian_name),
			     m->groups[i]->custodian_name);
			copy(im->groups[i].location,
			     sizeof(im->groups[i].location),
			     m->groups[i]->location);
			im->groups[i].affected = m->groups[i]->affected;
			im->groups[i].holding = m->groups[i]->holding;
		}
		im->n_groups = m->n_groups;
		for (size_t i = 0; i < m->n_twins; i++) {
			copy(im->twins[i].id, sizeof(im->twins[i].id),
			     m->twins[i]->id);
			im->twins[i].holding = m->twins[i]->holding;
			im->twins[i].custodian = m->twins[i]->custodian;
			copy(im->twins[i].location,
			     sizeof(im->twins[i].location),
			     m->twins[i]->location);
		}
		im->n_twins = m->n_twins;
		*out = im;
		im = NULL;
	}
	wb_recall_impact_free(im);
	waybill__v1__recall_impact_response__free_unpacked(m, NULL);
	return rc;
}

wb_err
wb_rpc_recalls_since(wb_recall_notice **out, size_t *n_out, wb_rpc_client *c,
                     uint64_t after, size_t max, wb_problem *p)
{
	Waybill__V1__RecallsSinceRequest req =
	        WAYBILL__V1__RECALLS_SINCE_REQUEST__INIT;
	Waybill__V1__RecallsSinceResponse *m = NULL;
	wb_recall_notice *v = NULL;
	size_t n = 0;
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	req.after = after;
	req.has_max = max != 0;
	req.max = (uint32_t)max;
	rc = call_unpack(c, WB_OP_RECALLS_SINCE, &req.base, true,
	                 &waybill__v1__recalls_since_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK && (v = calloc(m->n_recalls + 1, sizeof(*v))) == NULL) {
		rc = WB_ENOMEM;
	}
	for (; rc == WB_OK && n < m->n_recalls; n++) {
		const Waybill__V1__RecallNotice *x = m->recalls[n];

		v[n].index = x->index;
		v[n].lift = x->lift;
		v[n].recall_index = x->recall_index;
		v[n].issuer = x->issuer;
		copy(v[n].reason, sizeof(v[n].reason), x->reason);
		v[n].has_severity = x->has_severity;
		v[n].severity = (wb_recall_class)x->severity;
		if (x->n_targets > 0 &&
		    (v[n].targets = calloc(x->n_targets,
		                           sizeof(*v[n].targets))) == NULL) {
			rc = WB_ENOMEM;
			break;
		}
		for (size_t t = 0; t < x->n_targets; t++) {
			copy(v[n].targets[t], sizeof(v[n].targets[t]),
			     x->targets[t]);
		}
		v[n].n_targets = x->n_targets;
	}
	if (rc == WB_OK) {
		*out = v;
		*n_out = n;
	} else {
		wb_recall_notices_free(v, n);
	}
	waybill__v1__recalls_since_response__free_unpacked(m, NULL);
	return rc;
}

wb_err
wb_rpc_search(uint64_t **out, size_t *n_out, uint64_t *next, wb_rpc_client *c,
              const wb_search_query *q, const wb_pubkey *stakeholder_key,
              wb_problem *p)
{
	Waybill__V1__SearchRequest req = WAYBILL__V1__SEARCH_REQUEST__INIT;
	Waybill__V1__Timestamp from = WAYBILL__V1__TIMESTAMP__INIT,
	                       to = WAYBILL__V1__TIMESTAMP__INIT;
	Waybill__V1__SearchResponse *m = NULL;
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	*next = 0;
	req.biz_step = (char *)(uintptr_t)q->biz_step;
	req.disposition = (char *)(uintptr_t)q->disposition;
	req.read_point = (char *)(uintptr_t)q->read_point;
	req.biz_location = (char *)(uintptr_t)q->biz_location;
	if (stakeholder_key != NULL) {
		req.has_stakeholder_key = 1;
		req.stakeholder_key.data =
		        (uint8_t *)(uintptr_t)stakeholder_key->b;
		req.stakeholder_key.len = WB_PUBKEY_LEN;
	}
	if (q->has_event_from) {
		from.seconds = q->event_from.seconds;
		from.has_nanos = q->event_from.nanos != 0;
		from.nanos = q->event_from.nanos;
		req.event_from = &from;
	}
	if (q->has_event_to) {
		to.seconds = q->event_to.seconds;
		to.has_nanos = q->event_to.nanos != 0;
		to.nanos = q->event_to.nanos;
		req.event_to = &to;
	}
	req.has_record_from_us = q->has_record_from;
	req.record_from_us = q->record_from_us;
	req.has_record_to_us = q->has_record_to;
	req.record_to_us = q->record_to_us;
	req.has_after = 1;
	req.after = q->after;
	req.has_limit = q->limit != 0;
	req.limit = (uint32_t)q->limit;
	rc = call_unpack(c, WB_OP_SEARCH, &req.base, true,
	                 &waybill__v1__search_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK) {
		*out = calloc(m->n_indexes + 1, sizeof(**out));
		if (*out == NULL) {
			rc = WB_ENOMEM;
		} else {
			if (m->n_indexes > 0) { /* indexes is NULL when empty */
				memcpy(*out, m->indexes,
				       m->n_indexes * sizeof(**out));
			}
			*n_out = m->n_indexes;
			*next = m->has_next_after ? m->next_after : 0;
		}
	}
	waybill__v1__search_response__free_unpacked(m, NULL);
	return rc;
}
