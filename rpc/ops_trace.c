/* SPDX-License-Identifier: MIT */
/*
 * ops_trace.c - the traceability operations: each decodes its request,
 * asks libwaybill (waybill/trace.h) and encodes the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "rpc.pb-c.h"
#include "server_impl.h"
#include "waybill/trace.h"

#define UNCONST(p) ((char *)(uintptr_t)(p))

/* The reply to a query error: not found, a bad ID, or a failure. */
static void
query_failed(op_reply *r, wb_err rc, const wb_problem *p, const char *twin)
{
	static const wb_problem none = { 0 };

	p = p != NULL ? p : &none;
	if (rc == WB_EREJECTED) {
		op_fail(r, rc, p->reason, "%s", p->msg);
	} else if (rc == WB_ENOTFOUND) {
		op_fail(r, rc, p->reason, "%s",
		        p->msg[0] != '\0' ? p->msg
		                          : "no stamp names this twin");
	} else {
		op_fail(r, rc, WB_REJECT_NONE, "cannot answer for %s: %s",
		        twin ? twin : "this request", wb_strerror(rc));
	}
}

static Waybill__V1__Timestamp *
ts(Waybill__V1__Timestamp *m, const wb_time *t)
{
	waybill__v1__timestamp__init(m);
	m->seconds = t->seconds;
	m->has_nanos = t->nanos != 0;
	m->nanos = t->nanos;
	return m;
}

static void
take_time(wb_time *t, const Waybill__V1__Timestamp *m)
{
	t->seconds = m->seconds;
	t->nanos = m->has_nanos ? m->nanos : 0;
	t->has_nanos = m->has_nanos;
}

/* Fills a RecallStatusResponse; the strings point into st, the arrays
 * are malloc'd (freed by status_msg_fini). */
static bool
status_msg(Waybill__V1__RecallStatusResponse *m, const wb_recall_status *st)
{
	waybill__v1__recall_status_response__init(m);
	m->state = (Waybill__V1__RecallState)st->state;
	if (st->n_hits == 0) {
		return true;
	}
	m->hits = calloc(st->n_hits, sizeof(*m->hits));
	if (m->hits == NULL) {
		return false;
	}
	for (size_t i = 0; i < st->n_hits; i++) {
		const wb_recall_hit *h = &st->hits[i];
		Waybill__V1__RecallHit *x = calloc(1, sizeof(*x));

		if (x == NULL) {
			return false;
		}
		waybill__v1__recall_hit__init(x);
		m->hits[m->n_hits++] = x;
		x->recall_index = h->recall_index;
		x->state = (Waybill__V1__RecallState)h->state;
		x->reason = UNCONST(h->reason);
		x->has_severity = h->has_severity;
		x->severity = (Waybill__V1__RecallClass)h->severity;
		x->has_issuer = 1;
		x->issuer = h->issuer;
		x->issuer_name = UNCONST(h->issuer_name);
		x->path = calloc(h->n_path ? h->n_path : 1, sizeof(char *));
		x->path_edges =
		        calloc(h->n_path ? h->n_path : 1, sizeof(char *));
		if (x->path == NULL || x->path_edges == NULL) {
			return false;
		}
		for (size_t k = 0; k < h->n_path; k++) {
			x->path[x->n_path++] = UNCONST(h->path[k]);
			if (k + 1 < h->n_path) {
				x->path_edges[x->n_path_edges++] = UNCONST(
				        wb_edge_type_name(h->path_edges[k]));
			}
		}
	}
	return true;
}

static void
status_msg_fini(Waybill__V1__RecallStatusResponse *m)
{
	for (size_t i = 0; i < m->n_hits; i++) {
		free(m->hits[i]->path);
		free(m->hits[i]->path_edges);
		free(m->hits[i]);
	}
	free(m->hits);
}

static Waybill__V1__TwinRequest *
twin_request(const wb_wire_request *req, op_reply *r)
{
	Waybill__V1__TwinRequest *m = waybill__v1__twin_request__unpack(
	        NULL, req->body_len, req->body);

	if (m == NULL) {
		bad_body(r, "TwinRequest");
	}
	return m;
}

void
op_recall_status(struct wb_rpc_server *s, struct srv_ctx *c,
                 const wb_wire_request *req, uint32_t pipe,
                 const op_identity *who, op_reply *r)
{
	Waybill__V1__TwinRequest *m = twin_request(req, r);
	Waybill__V1__RecallStatusResponse out;
	wb_recall_status *st = NULL;
	wb_problem p = { 0 };
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	if (m == NULL) {
		return;
	}
	if ((rc = wb_recall_status_get(&st, s->j, m->twin, &p)) != WB_OK) {
		query_failed(r, rc, &p, m->twin);
	} else {
		if (status_msg(&out, st)) {
			reply_body(r, &out.base);
		} else {
			op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		}
		status_msg_fini(&out);
	}
	wb_recall_status_free(st);
	waybill__v1__twin_request__free_unpacked(m, NULL);
}

void
op_passport(struct wb_rpc_server *s, struct srv_ctx *c,
            const wb_wire_request *req, uint32_t pipe, const op_identity *who,
            op_reply *r)
{
	static const char *const kinds[] = { "other", "epc", "gs1-item",
		                             "gs1-class", "gs1-party" };
	Waybill__V1__TwinRequest *m = twin_request(req, r);
	Waybill__V1__PassportResponse out =
	        WAYBILL__V1__PASSPORT_RESPONSE__INIT;
	Waybill__V1__RecallStatusResponse rs;
	Waybill__V1__Timestamp first, last;
	char *persistent[64], *copy = NULL;
	wb_passport *pp = NULL;
	wb_problem p = { 0 };
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	memset(&rs, 0, sizeof(rs));
	if (m == NULL) {
		return;
	}
	if ((rc = wb_passport_get(&pp, s->j, m->twin, &p)) != WB_OK) {
		query_failed(r, rc, &p, m->twin);
		goto out;
	}
	out.id = pp->id;
	out.key = pp->key;
	out.kind = UNCONST(kinds[pp->kind <= WB_ID_GS1_PARTY ? pp->kind : 0]);
	out.has_commissioner = pp->commissioner != 0;
	out.commissioner = pp->commissioner;
	out.commissioner_name = pp->commissioner_name;
	out.has_owner = pp->owner != 0;
	out.owner = pp->owner;
	out.owner_name = pp->owner_name;
	out.has_sold = 1;
	out.sold = pp->sold;
	out.has_custodian = pp->custodian != 0;
	out.custodian = pp->custodian;
	out.custodian_name = pp->custodian_name;
	out.has_in_transit = 1;
	out.in_transit = pp->in_transit;
	out.destination = pp->destination;
	out.location = pp->location;
	out.location_name = pp->location_name;
	out.read_point = pp->read_point;
	out.disposition = pp->disposition;
	if ((copy = strdup(pp->persistent)) != NULL) {
		for (char *tok = strtok(copy, "\n");
		     tok != NULL && out.n_persistent_dispositions < 64;
		     tok = strtok(NULL, "\n")) {
			persistent[out.n_persistent_dispositions++] = tok;
		}
	}
	out.persistent_dispositions = persistent;
	out.container = pp->container;
	out.host = pp->host;
	out.packaging = pp->packaging;
	out.has_packaging_index = pp->packaging_index != 0;
	out.packaging_index = pp->packaging_index;
	out.price = pp->price;
	out.discount = pp->discount;
	out.has_decommissioned_at = pp->decommissioned_at != 0;
	out.decommissioned_at = pp->decommissioned_at;
	out.has_custody_gaps = 1;
	out.custody_gaps = pp->custody_gaps;
	out.stamps = pp->n_stamps;
	if (pp->first_index != 0) {
		out.has_first_index = out.has_last_index = 1;
		out.first_index = pp->first_index;
		out.last_index = pp->last_index;
		out.first_time = ts(&first, &pp->first_time);
		out.last_time = ts(&last, &pp->last_time);
	}
	if (!status_msg(&rs, pp->recalls)) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	out.recalls = &rs;
	reply_body(r, &out.base);
out:
	status_msg_fini(&rs);
	free(copy);
	wb_passport_free(pp);
	waybill__v1__twin_request__free_unpacked(m, NULL);
}

void
op_trace(struct wb_rpc_server *s, struct srv_ctx *c, const wb_wire_request *req,
         uint32_t pipe, const op_identity *who, op_reply *r)
{
	Waybill__V1__TraceRequest *m;
	Waybill__V1__TraceResponse out = WAYBILL__V1__TRACE_RESPONSE__INIT;
	Waybill__V1__TraceNode *nodes = NULL, **nodev = NULL;
	Waybill__V1__TraceEdge *edges = NULL, **edgev = NULL;
	Waybill__V1__Timestamp *times = NULL;
	wb_trace_opts o = { 0 };
	wb_trace *t = NULL;
	wb_problem p = { 0 };
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__trace_request__unpack(NULL, req->body_len, req->body);
	if (m == NULL) {
		bad_body(r, "TraceRequest");
		return;
	}
	o.down = m->has_down && m->down;
	o.max_depth = m->has_max_depth ? m->max_depth : 0;
	o.max_nodes = m->has_max_nodes ? m->max_nodes : 0;
	o.as_of.index = m->has_as_of_index ? m->as_of_index : 0;
	o.include_closed = m->has_include_closed && m->include_closed;
	if (m->as_of_time != NULL) {
		o.as_of.has_time = true;
		take_time(&o.as_of.time, m->as_of_time);
	}
	if ((rc = wb_trace_twin(&t, s->j, m->twin, &o, &p)) != WB_OK) {
		query_failed(r, rc, &p, m->twin);
		goto out;
	}
	nodes = calloc(t->n_nodes + 1, sizeof(*nodes));
	nodev = calloc(t->n_nodes + 1, sizeof(*nodev));
	edges = calloc(t->n_edges + 1, sizeof(*edges));
	edgev = calloc(t->n_edges + 1, sizeof(*edgev));
	times = calloc(2 * t->n_edges + 1, sizeof(*times));
	if (!nodes || !nodev || !edges || !edgev || !times) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		waybill__v1__trace_node__init(&nodes[i]);
		nodes[i].id = t->nodes[i].id;
		nodes[i].key = t->nodes[i].key;
		nodes[i].depth = t->nodes[i].depth;
		nodev[i] = &nodes[i];
	}
	for (size_t i = 0; i < t->n_edges; i++) {
		const wb_trace_edge *e = &t->edges[i];

		waybill__v1__trace_edge__init(&edges[i]);
		edges[i].type = UNCONST(wb_edge_type_name(e->type));
		edges[i].from = (uint32_t)e->from;
		edges[i].to = (uint32_t)e->to;
		edges[i].opened = e->opened;
		edges[i].opened_at = ts(&times[2 * i], &e->opened_at);
		if (e->closed != 0) {
			edges[i].has_closed = 1;
			edges[i].closed = e->closed;
			edges[i].closed_at =
			        ts(&times[2 * i + 1], &e->closed_at);
		}
		edges[i].has_quantity = e->has_quantity;
		edges[i].quantity = e->quantity;
		edgev[i] = &edges[i];
	}
	out.n_nodes = t->n_nodes;
	out.nodes = nodev;
	out.n_edges = t->n_edges;
	out.edges = edgev;
	out.truncated = t->truncated;
	reply_body(r, &out.base);
	if (r->body_len > s->o.max_message) {
		free(r->body);
		r->body = NULL;
		op_fail(r, WB_EPROTO, WB_REJECT_TOO_LARGE,
		        "the trace has %zu nodes, too many to send: lower max_nodes or max_depth",
		        t->n_nodes);
	}
out:
	free(nodes);
	free(nodev);
	free(edges);
	free(edgev);
	free(times);
	wb_trace_free(t);
	waybill__v1__trace_request__free_unpacked(m, NULL);
}

void
op_where(struct wb_rpc_server *s, struct srv_ctx *c, const wb_wire_request *req,
         uint32_t pipe, const op_identity *who, op_reply *r)
{
	Waybill__V1__TwinRequest *m = twin_request(req, r);
	Waybill__V1__WhereResponse out = WAYBILL__V1__WHERE_RESPONSE__INIT;
	Waybill__V1__WhereStep *v = NULL, **vp = NULL;
	Waybill__V1__Timestamp *times = NULL;
	wb_where_step *steps = NULL;
	wb_problem p = { 0 };
	size_t n = 0;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	if (m == NULL) {
		return;
	}
	if ((rc = wb_where(&steps, &n, s->j, m->twin, &p)) != WB_OK) {
		query_failed(r, rc, &p, m->twin);
		goto out;
	}
	v = calloc(n + 1, sizeof(*v));
	vp = calloc(n + 1, sizeof(*vp));
	times = calloc(n + 1, sizeof(*times));
	if (v == NULL || vp == NULL || times == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const wb_where_step *x = &steps[i];

		waybill__v1__where_step__init(&v[i]);
		v[i].index = x->index;
		v[i].event_time = ts(&times[i], &x->event_time);
		v[i].tz = UNCONST(x->tz);
		v[i].biz_step = UNCONST(x->biz_step);
		v[i].act = UNCONST(x->act);
		v[i].location = UNCONST(x->location);
		v[i].read_point = UNCONST(x->read_point);
		v[i].has_signer = 1;
		v[i].signer = x->signer;
		v[i].signer_name = UNCONST(x->signer_name);
		v[i].has_custodian = 1;
		v[i].custodian = x->custodian;
		v[i].custodian_name = UNCONST(x->custodian_name);
		v[i].has_declared = x->declared;
		v[i].declared = x->declared;
		if (x->via[0] != '\0') {
			v[i].via = UNCONST(x->via);
		}
		vp[i] = &v[i];
	}
	out.n_steps = n;
	out.steps = vp;
	reply_body(r, &out.base);
out:
	free(v);
	free(vp);
	free(times);
	free(steps);
	waybill__v1__twin_request__free_unpacked(m, NULL);
}

void
op_installations(struct wb_rpc_server *s, struct srv_ctx *c,
                 const wb_wire_request *req, uint32_t pipe,
                 const op_identity *who, op_reply *r)
{
	Waybill__V1__TwinRequest *m = twin_request(req, r);
	Waybill__V1__InstallationsResponse out =
	        WAYBILL__V1__INSTALLATIONS_RESPONSE__INIT;
	Waybill__V1__Installation *v = NULL, **vp = NULL;
	Waybill__V1__Timestamp *times = NULL;
	wb_installation *ins = NULL;
	wb_problem p = { 0 };
	size_t n = 0;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	if (m == NULL) {
		return;
	}
	if ((rc = wb_installations(&ins, &n, s->j, m->twin, &p)) != WB_OK) {
		query_failed(r, rc, &p, m->twin);
		goto out;
	}
	v = calloc(n + 1, sizeof(*v));
	vp = calloc(n + 1, sizeof(*vp));
	times = calloc(2 * n + 1, sizeof(*times));
	if (v == NULL || vp == NULL || times == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		waybill__v1__installation__init(&v[i]);
		v[i].asset = ins[i].asset;
		v[i].installed = ins[i].installed;
		v[i].installed_at = ts(&times[2 * i], &ins[i].installed_at);
		if (ins[i].removed != 0) {
			v[i].has_removed = 1;
			v[i].removed = ins[i].removed;
			v[i].removed_at =
			        ts(&times[2 * i + 1], &ins[i].removed_at);
		}
		v[i].n_stamps = ins[i].n_stamps;
		v[i].stamps = ins[i].stamps;
		vp[i] = &v[i];
	}
	out.n_installations = n;
	out.installations = vp;
	reply_body(r, &out.base);
out:
	free(v);
	free(vp);
	free(times);
	wb_installations_free(ins, n);
	waybill__v1__twin_request__free_unpacked(m, NULL);
}

void
op_recall_impact(struct wb_rpc_server *s, struct srv_ctx *c,
                 const wb_wire_request *req, uint32_t pipe,
                 const op_identity *who, op_reply *r)
{
	Waybill__V1__RecallImpactRequest *m;
	Waybill__V1__RecallImpactResponse out =
	        WAYBILL__V1__RECALL_IMPACT_RESPONSE__INIT;
	Waybill__V1__ImpactGroup *g = NULL, **gp = NULL;
	Waybill__V1__ImpactTwin *tw = NULL, **tp = NULL;
	wb_recall_impact *im = NULL;
	wb_problem p = { 0 };
	size_t limit;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__recall_impact_request__unpack(NULL, req->body_len,
	                                               req->body);
	if (m == NULL) {
		bad_body(r, "RecallImpactRequest");
		return;
	}
	limit = m->has_limit && m->limit ? m->limit : 1000;
	limit = limit > 10000 ? 10000 : limit;
	if ((rc = wb_recall_impact_get(&im, s->j, m->recall_index,
	                               m->has_offset ? m->offset : 0, limit,
	                               &p)) != WB_OK) {
		query_failed(r, rc, &p, NULL);
		goto out;
	}
	g = calloc(im->n_groups + 1, sizeof(*g));
	gp = calloc(im->n_groups + 1, sizeof(*gp));
	tw = calloc(im->n_twins + 1, sizeof(*tw));
	tp = calloc(im->n_twins + 1, sizeof(*tp));
	if (!g || !gp || !tw || !tp) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < im->n_groups; i++) {
		waybill__v1__impact_group__init(&g[i]);
		g[i].has_custodian = im->groups[i].custodian != 0;
		g[i].custodian = im->groups[i].custodian;
		g[i].custodian_name = im->groups[i].custodian_name;
		g[i].location = im->groups[i].location;
		g[i].affected = im->groups[i].affected;
		g[i].holding = im->groups[i].holding;
		gp[i] = &g[i];
	}
	for (size_t i = 0; i < im->n_twins; i++) {
		waybill__v1__impact_twin__init(&tw[i]);
		tw[i].id = im->twins[i].id;
		tw[i].has_holding = im->twins[i].holding;
		tw[i].holding = im->twins[i].holding;
		tw[i].has_custodian = im->twins[i].custodian != 0;
		tw[i].custodian = im->twins[i].custodian;
		tw[i].location = im->twins[i].location;
		tp[i] = &tw[i];
	}
	out.recall_index = im->recall_index;
	out.active = im->active;
	out.affected = im->n_affected;
	out.holding = im->n_holding;
	out.n_groups = im->n_groups;
	out.groups = gp;
	out.n_twins = im->n_twins;
	out.twins = tp;
	out.has_next = im->next != 0;
	out.next = im->next;
	reply_body(r, &out.base);
out:
	free(g);
	free(gp);
	free(tw);
	free(tp);
	wb_recall_impact_free(im);
	waybill__v1__recall_impact_request__free_unpacked(m, NULL);
}

void
op_recalls_since(struct wb_rpc_server *s, struct srv_ctx *c,
                 const wb_wire_request *req, uint32_t pipe,
                 const op_identity *who, op_reply *r)
{
	Waybill__V1__RecallsSinceRequest *m;
	Waybill__V1__RecallsSinceResponse out =
	        WAYBILL__V1__RECALLS_SINCE_RESPONSE__INIT;
	Waybill__V1__RecallNotice *v = NULL, **vp = NULL;
	wb_recall_notice *notes = NULL;
	char **targets = NULL;
	size_t n = 0, max, n_targets = 0, k = 0;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__recalls_since_request__unpack(NULL, req->body_len,
	                                               req->body);
	if (m == NULL) {
		bad_body(r, "RecallsSinceRequest");
		return;
	}
	max = m->has_max && m->max ? m->max : 100;
	max = max > 1000 ? 1000 : max;
	if ((rc = wb_recalls_since(&notes, &n, s->j, m->after, max)) != WB_OK) {
		query_failed(r, rc, NULL, NULL);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		n_targets += notes[i].n_targets;
	}
	v = calloc(n + 1, sizeof(*v));
	vp = calloc(n + 1, sizeof(*vp));
	targets = calloc(n_targets + 1, sizeof(*targets));
	if (v == NULL || vp == NULL || targets == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		waybill__v1__recall_notice__init(&v[i]);
		v[i].index = notes[i].index;
		v[i].has_lift = notes[i].lift;
		v[i].lift = notes[i].lift;
		v[i].has_recall_index = notes[i].lift;
		v[i].recall_index = notes[i].recall_index;
		v[i].has_issuer = 1;
		v[i].issuer = notes[i].issuer;
		v[i].reason = notes[i].reason;
		v[i].has_severity = notes[i].has_severity;
		v[i].severity = (Waybill__V1__RecallClass)notes[i].severity;
		v[i].targets = &targets[k];
		for (size_t t = 0; t < notes[i].n_targets; t++) {
			targets[k++] = notes[i].targets[t];
		}
		v[i].n_targets = notes[i].n_targets;
		vp[i] = &v[i];
	}
	out.n_recalls = n;
	out.recalls = vp;
	reply_body(r, &out.base);
out:
	free(v);
	free(vp);
	free(targets);
	wb_recall_notices_free(notes, n);
	waybill__v1__recalls_since_request__free_unpacked(m, NULL);
}

void
op_search(struct wb_rpc_server *s, struct srv_ctx *c,
          const wb_wire_request *req, uint32_t pipe, const op_identity *who,
          op_reply *r)
{
	Waybill__V1__SearchRequest *m;
	Waybill__V1__SearchResponse out = WAYBILL__V1__SEARCH_RESPONSE__INIT;
	ProtobufCBinaryData *entries = NULL;
	wb_search_query q = { 0 };
	uint64_t *idx = NULL, next = 0;
	size_t n = 0;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__search_request__unpack(NULL, req->body_len, req->body);
	if (m == NULL) {
		bad_body(r, "SearchRequest");
		return;
	}
	q.biz_step = m->biz_step;
	q.disposition = m->disposition;
	q.read_point = m->read_point;
	q.biz_location = m->biz_location;
	if (m->has_stakeholder_key) {
		wb_stakeholder *sh = malloc(sizeof(*sh));
		wb_pubkey key;

		if (m->stakeholder_key.len != WB_PUBKEY_LEN || sh == NULL) {
			free(sh);
			bad_body(r,
			         "SearchRequest (a 32-byte stakeholder key)");
			goto out;
		}
		memcpy(key.b, m->stakeholder_key.data, WB_PUBKEY_LEN);
		rc = wb_journal_stakeholder(sh, NULL, s->j, &key);
		q.has_stakeholder = true;
		q.stakeholder = sh->id;
		free(sh);
		if (rc == WB_ENOTFOUND) {
			op_fail(r, WB_EREJECTED, WB_REJECT_UNKNOWN_SIGNER,
			        "no stakeholder ever held this key: search by the key of a registered stakeholder");
			goto out;
		} else if (rc != WB_OK) {
			query_failed(r, rc, NULL, NULL);
			goto out;
		}
	}
	if (m->event_from != NULL) {
		q.has_event_from = true;
		take_time(&q.event_from, m->event_from);
	}
	if (m->event_to != NULL) {
		q.has_event_to = true;
		take_time(&q.event_to, m->event_to);
	}
	q.has_record_from = m->has_record_from_us;
	q.record_from_us = m->record_from_us;
	q.has_record_to = m->has_record_to_us;
	q.record_to_us = m->record_to_us;
	q.after = m->has_after ? m->after : 0;
	q.limit = m->has_limit ? m->limit : 0;
	if ((rc = wb_search(&idx, &n, &next, s->j, &q)) != WB_OK) {
		query_failed(r, rc, NULL, NULL);
		goto out;
	}
	if (m->has_with_entries && m->with_entries) {
		if ((entries = calloc(n + 1, sizeof(*entries))) == NULL) {
			op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (wb_journal_entry(&entries[i].data, &entries[i].len,
			                     s->j, idx[i]) != WB_OK) {
				break;
			}
			out.n_entries = i + 1;
		}
		out.entries = entries;
	}
	out.n_indexes = n;
	out.indexes = idx;
	out.has_next_after = next != 0;
	out.next_after = next;
	reply_body(r, &out.base);
	if (r->body_len > s->o.max_message) {
		free(r->body);
		r->body = NULL;
		op_fail(r, WB_EPROTO, WB_REJECT_TOO_LARGE,
		        "the page is too large to send: ask for fewer results (limit)");
	}
out:
	for (size_t i = 0; entries != NULL && i < out.n_entries; i++) {
		free(entries[i].data);
	}
	free(entries);
	free(idx);
	waybill__v1__search_request__free_unpacked(m, NULL);
}
