/* SPDX-License-Identifier: MIT */
/*
 * trace.c - walking the lineage upstream or downstream from a twin,
 * breadth first, within depth and node limits.
 */
#include <stdlib.h>
#include <string.h>

#include "query.h"

static const char *const edge_names[] = {
	[WB_EDGE_CONTAINS] = "contains",
	[WB_EDGE_MADE_FROM] = "made-from",
	[WB_EDGE_INSTALLED_IN] = "installed-in",
	[WB_EDGE_MEMBER_OF] = "member-of",
};

const char *
wb_edge_type_name(wb_edge_type type)
{
	return type >= WB_EDGE_CONTAINS && type <= WB_EDGE_MEMBER_OF
	               ? edge_names[type]
	               : "unknown";
}

/* Which stored direction of each edge type leads upstream from a twin:
 * to its inputs, its lot, a container's children, an asset's parts. */
static int
up_dir(wb_edge_type type)
{
	return type == WB_EDGE_INSTALLED_IN ? WB_EDGE_IN : WB_EDGE_OUT;
}

struct walk {
	wb_txn *t;
	wb_trace *tr;
	wb_declared decl;
	const wb_trace_opts *o;
	size_t cap_nodes, cap_edges;
	uint64_t *node_no; /* twin number of each node */
	wb_u64map pos;     /* twin number -> node position */
	size_t current;    /* the node being expanded */
	wb_err err;
};

static wb_err
add_node(struct walk *w, uint64_t no, unsigned depth, size_t *pos)
{
	wb_trace_node *n;
	bool found;
	wb_err rc;

	if ((rc = wb_u64map_put(&w->pos, no, w->tr->n_nodes, &found, NULL)) !=
	    WB_OK) {
		return rc;
	}
	if (w->tr->n_nodes == w->cap_nodes) {
		size_t cap = w->cap_nodes ? w->cap_nodes * 2 : 64;
		wb_trace_node *v = realloc(w->tr->nodes, cap * sizeof(*v));
		uint64_t *nv = realloc(w->node_no, cap * sizeof(*nv));

		if (v != NULL) {
			w->tr->nodes = v;
		}
		if (nv != NULL) {
			w->node_no = nv;
		}
		if (v == NULL || nv == NULL) {
			return WB_ENOMEM;
		}
		w->cap_nodes = cap;
	}
	n = &w->tr->nodes[w->tr->n_nodes];
	memset(n, 0, sizeof(*n));
	n->depth = depth;
	if (wb_twin_name(w->t, no, n->key, n->id) != WB_OK) {
		return WB_ECORRUPT;
	}
	w->node_no[w->tr->n_nodes] = no;
	*pos = w->tr->n_nodes++;
	return WB_OK;
}

static bool
time_after(const wb_time *a, const wb_time *b)
{
	return a->seconds != b->seconds ? a->seconds > b->seconds
	                                : a->nanos > b->nanos;
}

/* Whether an edge's closing had happened by as_of (now: whenever it is
 * closed at all). */
static bool
closed_by(const wb_edge *e, const wb_as_of *as_of)
{
	if (e->closed == 0) {
		return false;
	}
	if (as_of->index != 0 && e->closed > as_of->index) {
		return false;
	}
	return !as_of->has_time || !time_after(&e->closed_at, &as_of->time);
}

/* Whether the walk shows an edge: one that counts as of o->as_of, or with
 * include_closed any edge opened by then (not by a declared stamp). */
static bool
edge_shown(const wb_edge *e, const wb_declared *d, const wb_trace_opts *o)
{
	if (!o->include_closed) {
		return wb_edge_counts(e, d, &o->as_of);
	}
	if (wb_declared_has(d, e->opened)) {
		return false;
	}
	if (o->as_of.index != 0 && e->opened > o->as_of.index) {
		return false;
	}
	return !o->as_of.has_time || !time_after(&e->opened_at, &o->as_of.time);
}

static wb_err
add_edge(struct walk *w, const wb_edge *e, size_t a, size_t b)
{
	wb_trace_edge *x;

	if (w->tr->n_edges == w->cap_edges) {
		size_t cap = w->cap_edges ? w->cap_edges * 2 : 64;
		wb_trace_edge *v = realloc(w->tr->edges, cap * sizeof(*v));

		if (v == NULL) {
			return WB_ENOMEM;
		}
		w->tr->edges = v;
		w->cap_edges = cap;
	}
	x = &w->tr->edges[w->tr->n_edges++];
	x->type = e->type;
	/* Keep the edge's own direction: from --type--> to. */
	x->from = w->node_no[a] == e->from ? a : b;
	x->to = x->from == a ? b : a;
	x->opened = e->opened;
	x->closed = e->closed;
	x->opened_at = e->opened_at;
	x->closed_at = e->closed_at;
	/* Closed by a stamp declared in error: still open. As of a past
	 * point, a closing after that point had not happened then: the
	 * answer describes then. */
	if (wb_declared_has(&w->decl, e->closed) ||
	    !closed_by(e, &w->o->as_of)) {
		x->closed = 0;
		memset(&x->closed_at, 0, sizeof(x->closed_at));
	}
	x->has_quantity = e->has_quantity;
	x->quantity = e->quantity;
	return WB_OK;
}

static wb_err
visit_edge(const wb_edge *e, void *arg)
{
	struct walk *w = arg;
	uint64_t here = w->node_no[w->current];
	uint64_t other = e->from == here ? e->to : e->from;
	unsigned depth = w->tr->nodes[w->current].depth + 1;
	uint64_t known;
	size_t pos;
	wb_err rc;

	if (!edge_shown(e, &w->decl, w->o)) {
		return WB_OK;
	}
	if (wb_u64map_get(&w->pos, other, &known)) {
		pos = (size_t)known;
	} else {
		if (w->tr->n_nodes >= w->o->max_nodes) {
			w->tr->truncated = true;
			return WB_OK;
		}
		if ((rc = add_node(w, other, depth, &pos)) != WB_OK) {
			return rc;
		}
	}
	return add_edge(w, e, w->current, pos);
}

static wb_err
walk(struct walk *w)
{
	static const wb_edge_type types[] = { WB_EDGE_MADE_FROM,
		                              WB_EDGE_MEMBER_OF,
		                              WB_EDGE_CONTAINS,
		                              WB_EDGE_INSTALLED_IN };
	wb_err rc;

	for (w->current = 0; w->current < w->tr->n_nodes; w->current++) {
		if (w->tr->nodes[w->current].depth >= w->o->max_depth) {
			/* Say so only when there was more to follow. */
			continue;
		}
		for (size_t k = 0; k < 4; k++) {
			int dir = up_dir(types[k]);

			if (w->o->down) {
				dir = dir == WB_EDGE_OUT ? WB_EDGE_IN
				                         : WB_EDGE_OUT;
			}
			if ((rc = wb_edges_each(w->t, w->node_no[w->current],
			                        dir, types[k], visit_edge,
			                        w)) != WB_OK) {
				return rc;
			}
		}
	}
	return WB_OK;
}

/* Marks the trace truncated when a node at the depth limit has edges it
 * did not follow. */
struct probe {
	const wb_declared *decl;
	const wb_trace_opts *o;
	bool any;
};

static wb_err
probe_edge(const wb_edge *e, void *arg)
{
	struct probe *p = arg;

	if (edge_shown(e, p->decl, p->o)) {
		p->any = true;
		return WB_EEXISTS; /* stop */
	}
	return WB_OK;
}

static void
check_depth_cut(struct walk *w)
{
	static const wb_edge_type types[] = { WB_EDGE_MADE_FROM,
		                              WB_EDGE_MEMBER_OF,
		                              WB_EDGE_CONTAINS,
		                              WB_EDGE_INSTALLED_IN };

	for (size_t i = 0; i < w->tr->n_nodes && !w->tr->truncated; i++) {
		struct probe p = { &w->decl, w->o, false };

		if (w->tr->nodes[i].depth < w->o->max_depth) {
			continue;
		}
		for (size_t k = 0; k < 4 && !p.any; k++) {
			int dir = up_dir(types[k]);

			if (w->o->down) {
				dir = dir == WB_EDGE_OUT ? WB_EDGE_IN
				                         : WB_EDGE_OUT;
			}
			(void)wb_edges_each(w->t, w->node_no[i], dir, types[k],
			                    probe_edge, &p);
		}
		w->tr->truncated = p.any;
	}
}

wb_err
wb_trace_twin(wb_trace **out, wb_journal *j, const char *id,
              const wb_trace_opts *o_in, wb_problem *p)
{
	wb_trace_opts o = o_in != NULL ? *o_in : (wb_trace_opts){ 0 };
	struct walk w = { .o = &o };
	wb_twin_state *st = malloc(sizeof(*st));
	wb_twin_id tid;
	wb_txn t = { 0 };
	size_t pos;
	wb_err rc;

	*out = NULL;
	o.max_depth = o.max_depth ? o.max_depth : WB_TRACE_DEFAULT_DEPTH;
	o.max_nodes = o.max_nodes ? o.max_nodes : WB_TRACE_DEFAULT_NODES;
	o.max_nodes = o.max_nodes > WB_TRACE_MAX_NODES ? WB_TRACE_MAX_NODES
	                                               : o.max_nodes;
	if (st == NULL || (w.tr = calloc(1, sizeof(*w.tr))) == NULL) {
		free(st);
		return WB_ENOMEM;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		goto out;
	}
	w.t = &t;
	if ((rc = wb_query_twin(&t, id, &tid, st, p)) != WB_OK ||
	    (rc = wb_declared_load(&t, &w.decl)) != WB_OK ||
	    (rc = add_node(&w, st->twin_no, 0, &pos)) != WB_OK ||
	    (rc = walk(&w)) != WB_OK) {
		goto out;
	}
	check_depth_cut(&w);
	*out = w.tr;
	w.tr = NULL;
out:
	wb_txn_abort(&t);
	wb_trace_free(w.tr);
	wb_declared_fini(&w.decl);
	wb_u64map_fini(&w.pos);
	free(w.node_no);
	free(st);
	return rc;
}

void
wb_trace_free(wb_trace *t)
{
	if (t != NULL) {
		free(t->nodes);
		free(t->edges);
		free(t);
	}
}
