/* SPDX-License-Identifier: MIT */
/*
 * recall.c - recall status, recall impact, and recalls since an index.
 *
 * Issuing a recall writes one record; nothing is marked on the twins it
 * affects, so a recall of hundreds of thousands of items costs the same as
 * any stamp. The answers are computed when asked:
 *  - status walks upstream from the twin (its lot, its inputs, the
 *    containers that held it: a few reads) and intersects what it meets
 *    with the active recalls' targets, kept in memory;
 *  - impact walks downstream from the recall's targets (members, outputs,
 *    children of recalled containers) and then up the containers of what
 *    it found.
 * The closure follows DESIGN.md: a recall of X affects X, the members of
 * class X, every output of a transformation that consumed an affected
 * twin, and every child packed in an affected container while it was
 * affected (from the recall's index on, until its lift); containers that
 * currently hold an affected child are reported as holding affected stock,
 * not affected themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/* Must match effects.c. */
enum {
	RECALL_RECORD = 1,
	LIFT_RECORD = 2,
};

void
wb_recall_cache_init(struct wb_recall_cache *c)
{
	memset(c, 0, sizeof(*c));
	pthread_rwlock_init(&c->lock, NULL);
}

static void
cache_clear(struct wb_recall_cache *c)
{
	free(c->recalls);
	free(c->targets);
	c->recalls = NULL;
	c->targets = NULL;
	c->n_recalls = c->n_targets = 0;
	c->built = false;
}

void
wb_recall_cache_fini(struct wb_recall_cache *c)
{
	cache_clear(c);
	pthread_rwlock_destroy(&c->lock);
}

/* A recall record as stored: issuer, target keys, kind, and for a lift the
 * recall it ends. */
struct record {
	uint64_t index;
	uint64_t issuer;
	uint8_t kind;
	uint64_t recall_index;
	char (*keys)[WB_KEY_MAX + 1];
	size_t n_keys;
};

static wb_err
record_read(struct record *r, uint64_t index, const wb_val *v)
{
	wb_reader rd;

	memset(r, 0, sizeof(*r));
	r->index = index;
	wb_reader_init(&rd, v->data, v->len);
	r->issuer = wb_read_u64(&rd);
	r->n_keys = wb_read_u32(&rd);
	if (rd.bad || r->n_keys > 1000000) {
		return WB_ECORRUPT;
	}
	if ((r->keys = calloc(r->n_keys ? r->n_keys : 1, sizeof(*r->keys))) ==
	    NULL) {
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < r->n_keys; i++) {
		wb_read_str(&rd, r->keys[i], sizeof(r->keys[i]));
	}
	r->kind = wb_read_u8(&rd);
	if (r->kind == LIFT_RECORD) {
		r->recall_index = wb_read_u64(&rd);
	}
	return rd.bad ? WB_ECORRUPT : WB_OK;
}

static int
target_cmp(const void *a, const void *b)
{
	const struct wb_recall_target *x = a, *y = b;

	if (x->twin != y->twin) {
		return x->twin < y->twin ? -1 : 1;
	}
	return x->recall < y->recall ? -1 : x->recall > y->recall;
}

static int
find_recall(const struct wb_recall_cache *c, uint64_t index)
{
	for (size_t i = 0; i < c->n_recalls; i++) {
		if (c->recalls[i].index == index) {
			return (int)i;
		}
	}
	return -1;
}

/* Applies one record to the cache being built. */
static wb_err
cache_apply(struct wb_recall_cache *c, wb_txn *t, const struct record *r,
            const wb_declared *decl, size_t *cap_t)
{
	int pos;

	if (wb_declared_has(decl, r->index)) {
		return WB_OK;
	}
	if (r->kind == RECALL_RECORD) {
		struct wb_active_recall *nv =
		        realloc(c->recalls, (c->n_recalls + 1) * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		c->recalls = nv;
		c->recalls[c->n_recalls] =
		        (struct wb_active_recall){ r->index, r->issuer };
		for (size_t i = 0; i < r->n_keys; i++) {
			uint64_t no;

			if (wb_twin_no(t, r->keys[i], &no) != WB_OK) {
				continue;
			}
			if (c->n_targets == *cap_t) {
				size_t cap = *cap_t ? *cap_t * 2 : 64;
				struct wb_recall_target *tv =
				        realloc(c->targets, cap * sizeof(*tv));

				if (tv == NULL) {
					return WB_ENOMEM;
				}
				c->targets = tv;
				*cap_t = cap;
			}
			c->targets[c->n_targets++] = (struct wb_recall_target){
				no, (uint32_t)c->n_recalls
			};
		}
		c->n_recalls++;
		return WB_OK;
	}
	/* A lift: of the whole recall, or of the targets it names. */
	if ((pos = find_recall(c, r->recall_index)) < 0) {
		return WB_OK;
	}
	for (size_t i = 0; i < c->n_targets; i++) {
		bool lifted =
		        c->targets[i].recall == (uint32_t)pos && r->n_keys == 0;

		for (size_t k = 0; !lifted && k < r->n_keys; k++) {
			uint64_t no;

			lifted = c->targets[i].recall == (uint32_t)pos &&
			         wb_twin_no(t, r->keys[k], &no) == WB_OK &&
			         no == c->targets[i].twin;
		}
		if (lifted) {
			c->targets[i] = c->targets[--c->n_targets];
			i--;
		}
	}
	return WB_OK;
}

static wb_err
cache_build(struct wb_recall_cache *c, wb_txn *t)
{
	wb_declared decl = { 0 };
	wb_cursor *cur = NULL;
	size_t cap_t = 0;
	wb_val k, v;
	wb_err rc;

	cache_clear(c);
	if ((rc = wb_declared_load(t, &decl)) != WB_OK ||
	    (rc = wb_cursor_open(&cur, t, WB_DB_RECALLS)) != WB_OK) {
		goto out;
	}
	for (rc = wb_cursor_seek(cur, NULL, 0, &k, &v); rc == WB_OK;
	     rc = wb_cursor_next(cur, &k, &v)) {
		struct record r;

		if (k.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		rc = record_read(&r, wb_be64_get(k.data), &v);
		if (rc == WB_OK) {
			rc = cache_apply(c, t, &r, &decl, &cap_t);
		}
		free(r.keys);
		if (rc != WB_OK) {
			break;
		}
	}
	if (rc == WB_ENOTFOUND) {
		if (c->n_targets > 1) { /* qsort(NULL, 0) is undefined */
			qsort(c->targets, c->n_targets, sizeof(*c->targets),
			      target_cmp);
		}
		c->built = true;
		rc = WB_OK;
	}
out:
	wb_cursor_close(cur);
	wb_declared_fini(&decl);
	if (rc != WB_OK) {
		cache_clear(c);
	}
	return rc;
}

/* Takes the cache for reading, rebuilt first when recalls, lifts or
 * declarations were recorded since it was built. */
static wb_err
cache_acquire(wb_journal *j, wb_txn *t)
{
	struct wb_recall_cache *c = &j->recalls;
	uint64_t n_records = 0, n_declared = 0;
	wb_err rc;

	if ((rc = wb_db_count(t, WB_DB_RECALLS, &n_records)) != WB_OK ||
	    (rc = wb_db_count(t, WB_DB_DECLARED, &n_declared)) != WB_OK) {
		return rc;
	}
	pthread_rwlock_rdlock(&c->lock);
	if (c->built && c->n_records == n_records &&
	    c->n_declared == n_declared) {
		return WB_OK;
	}
	pthread_rwlock_unlock(&c->lock);
	pthread_rwlock_wrlock(&c->lock);
	if (!c->built || c->n_records != n_records ||
	    c->n_declared != n_declared) {
		if ((rc = cache_build(c, t)) != WB_OK) {
			pthread_rwlock_unlock(&c->lock);
			return rc;
		}
		c->n_records = n_records;
		c->n_declared = n_declared;
	}
	pthread_rwlock_unlock(&c->lock);
	pthread_rwlock_rdlock(&c->lock);
	return WB_OK;
}

static void
cache_release(wb_journal *j)
{
	pthread_rwlock_unlock(&j->recalls.lock);
}

/* The active recalls targeting twin `no`: a range of c->targets. */
static size_t
targets_of(const struct wb_recall_cache *c, uint64_t no, size_t *first)
{
	size_t lo = 0, hi = c->n_targets, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->targets[mid].twin < no) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	*first = lo;
	while (lo + n < c->n_targets && c->targets[lo + n].twin == no) {
		n++;
	}
	return n;
}

/*
 * The upward walk of a status query.
 */
struct up_node {
	uint64_t twin;
	int parent;          /* position of the node it was reached from */
	wb_edge_type type;   /* the edge between them */
	uint64_t held_until; /* a contains edge: its closing, 0 open */
	uint64_t held_from;  /* ... and its opening */
};

struct up_walk {
	wb_txn *t;
	const wb_declared *decl;
	struct up_node *v;
	size_t n, cap;
	wb_u64set seen;
	size_t current;
	bool through_containers;
};

static wb_err
up_push(struct up_walk *w, uint64_t twin, int parent, wb_edge_type type,
        const wb_edge *e)
{
	bool added;
	wb_err rc;

	if ((rc = wb_u64set_add(&w->seen, twin, &added)) != WB_OK || !added) {
		return rc;
	}
	if (w->n >= WB_TRACE_DEFAULT_NODES) {
		return WB_OK; /* a bound on a pathological lineage */
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		struct up_node *nv = realloc(w->v, cap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n++] =
	        (struct up_node){ twin, parent, type,
		                  e != NULL && e->type == WB_EDGE_CONTAINS &&
		                                  !wb_declared_has(w->decl,
		                                                   e->closed)
		                          ? e->closed
		                          : 0,
		                  e != NULL ? e->opened : 0 };
	return WB_OK;
}

static wb_err
up_edge(const wb_edge *e, void *arg)
{
	struct up_walk *w = arg;
	uint64_t here = w->v[w->current].twin;

	if (wb_declared_has(w->decl, e->opened)) {
		return WB_OK;
	}
	return up_push(w, e->from == here ? e->to : e->from, (int)w->current,
	               e->type, e);
}

static wb_err
up_walk_run(struct up_walk *w, uint64_t start)
{
	wb_err rc;

	if ((rc = up_push(w, start, -1, 0, NULL)) != WB_OK) {
		return rc;
	}
	for (w->current = 0; w->current < w->n; w->current++) {
		uint64_t no = w->v[w->current].twin;

		if ((rc = wb_edges_each(w->t, no, WB_EDGE_OUT,
		                        WB_EDGE_MEMBER_OF, up_edge, w)) !=
		            WB_OK ||
		    (rc = wb_edges_each(w->t, no, WB_EDGE_OUT,
		                        WB_EDGE_MADE_FROM, up_edge, w)) !=
		            WB_OK) {
			return rc;
		}
		if (w->through_containers &&
		    (rc = wb_edges_each(w->t, no, WB_EDGE_IN, WB_EDGE_CONTAINS,
		                        up_edge, w)) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

/* Whether every containment on the path from node i up to the root held
 * while recall R was active (packed before its end, unpacked after its
 * start). */
static bool
path_held(const struct up_walk *w, size_t i, uint64_t recall_index)
{
	for (int k = (int)i; k >= 0 && w->v[k].parent >= 0;
	     k = w->v[k].parent) {
		if (w->v[k].type == WB_EDGE_CONTAINS &&
		    w->v[k].held_until != 0 &&
		    w->v[k].held_until <= recall_index) {
			return false;
		}
	}
	return true;
}

static void
fill_hit(wb_txn *t, const struct up_walk *w, size_t i, wb_recall_hit *h,
         const char *extra_id)
{
	char key[WB_KEY_MAX + 1];
	size_t n = 0;

	/* From the recalled target (node i) back down to the start. */
	for (int k = (int)i; k >= 0 && n < WB_PATH_MAX - 1;
	     k = w->v[k].parent) {
		(void)wb_twin_name(t, w->v[k].twin, key, h->path[n]);
		if (w->v[k].parent >= 0) {
			h->path_edges[n] = w->v[k].type;
		}
		n++;
	}
	if (extra_id != NULL && n < WB_PATH_MAX) {
		h->path_edges[n - 1] = WB_EDGE_CONTAINS;
		snprintf(h->path[n], sizeof(h->path[n]), "%s", extra_id);
		n++;
	}
	h->n_path = n;
}

/* Fills the reason, severity and issuer of a hit from its recall stamp. */
static void
describe_recall(wb_txn *t, wb_recall_hit *h)
{
	uint8_t k[8];
	wb_entry *e = NULL;
	wb_stamp *s = NULL;
	wb_val v;

	wb_be64_put(k, h->recall_index);
	if (wb_db_get(t, WB_DB_JOURNAL, k, 8, &v) == WB_OK &&
	    wb_entry_decode(&e, v.data, v.len) == WB_OK &&
	    wb_stamp_decode(&s, e->body, e->body_len) == WB_OK &&
	    s->recall != NULL) {
		snprintf(h->reason, sizeof(h->reason), "%s", s->recall->reason);
		h->has_severity = s->recall->has_severity;
		h->severity = s->recall->severity;
	}
	wb_query_name(t, h->issuer, h->issuer_name, sizeof(h->issuer_name));
	wb_stamp_free(s);
	wb_entry_free(e);
}

static wb_err
add_hit(wb_recall_status *st, size_t *cap, wb_recall_hit **out)
{
	if (st->n_hits == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		wb_recall_hit *nv = realloc(st->hits, ncap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		st->hits = nv;
		*cap = ncap;
	}
	*out = &st->hits[st->n_hits++];
	memset(*out, 0, sizeof(**out));
	return WB_OK;
}

static bool
has_hit(const wb_recall_status *st, uint64_t recall)
{
	for (size_t i = 0; i < st->n_hits; i++) {
		if (st->hits[i].recall_index == recall) {
			return true;
		}
	}
	return false;
}

/* Records the hits of a finished upward walk. */
static wb_err
collect_hits(const struct wb_recall_cache *c, wb_txn *t,
             const struct up_walk *w, wb_recall_state state,
             const char *holder_child, wb_recall_status *st, size_t *cap)
{
	wb_err rc;

	for (size_t i = 0; i < w->n; i++) {
		size_t first, n = targets_of(c, w->v[i].twin, &first);

		for (size_t k = first; k < first + n; k++) {
			const struct wb_active_recall *r =
			        &c->recalls[c->targets[k].recall];
			wb_recall_hit *h;

			if (has_hit(st, r->index) ||
			    !path_held(w, i, r->index)) {
				continue;
			}
			if ((rc = add_hit(st, cap, &h)) != WB_OK) {
				return rc;
			}
			h->recall_index = r->index;
			h->issuer = r->issuer;
			h->state = state;
			fill_hit(t, w, i, h, holder_child);
			describe_recall(t, h);
		}
	}
	return WB_OK;
}

/* The children currently packed inside a container, recursively. */
struct down_collect {
	const wb_declared *decl;
	uint64_t *v;
	size_t n, cap;
	wb_u64set seen;
};

static wb_err
down_child(const wb_edge *e, void *arg)
{
	struct down_collect *d = arg;
	wb_as_of now = { 0 };
	bool added;
	wb_err rc;

	if (!wb_edge_counts(e, d->decl, &now) ||
	    d->n >= WB_TRACE_DEFAULT_NODES) {
		return WB_OK;
	}
	if ((rc = wb_u64set_add(&d->seen, e->to, &added)) != WB_OK || !added) {
		return rc;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		uint64_t *nv = realloc(d->v, cap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		d->v = nv;
		d->cap = cap;
	}
	d->v[d->n++] = e->to;
	return WB_OK;
}

/* How many recalls have a target still active: once each has a hit, no
 * further child can add one. */
static wb_err
recalls_active(const struct wb_recall_cache *c, size_t *out)
{
	bool *seen = calloc(c->n_recalls ? c->n_recalls : 1, sizeof(*seen));

	*out = 0;
	if (seen == NULL) {
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < c->n_targets; i++) {
		if (!seen[c->targets[i].recall]) {
			seen[c->targets[i].recall] = true;
			(*out)++;
		}
	}
	free(seen);
	return WB_OK;
}

static wb_err
holding_hits(const struct wb_recall_cache *c, wb_txn *t,
             const wb_declared *decl, uint64_t container, wb_recall_status *st,
             size_t *cap)
{
	struct down_collect d = { .decl = decl };
	char key[WB_KEY_MAX + 1], id[WB_ID_MAX + 1];
	size_t active = 0;
	wb_err rc = WB_OK;

	if ((rc = wb_edges_each(t, container, WB_EDGE_OUT, WB_EDGE_CONTAINS,
	                        down_child, &d)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < d.n && rc == WB_OK; i++) {
		rc = wb_edges_each(t, d.v[i], WB_EDGE_OUT, WB_EDGE_CONTAINS,
		                   down_child, &d);
	}
	if (rc != WB_OK || d.n == 0 ||
	    (rc = recalls_active(c, &active)) != WB_OK ||
	    (rc = wb_twin_name(t, container, key, id)) != WB_OK) {
		goto out;
	}
	/* A pallet holds hundreds of twins: stop at the first child that
	 * brings the last recall not yet hit (later children could only
	 * repeat a hit, and the first one found is the one kept). */
	for (size_t i = 0; i < d.n && rc == WB_OK && st->n_hits < active; i++) {
		struct up_walk w = { .t = t, .decl = decl };

		/* The child's own lineage, not the containers above it. */
		if ((rc = up_walk_run(&w, d.v[i])) == WB_OK) {
			rc = collect_hits(c, t, &w, WB_RECALL_HOLDING, id, st,
			                  cap);
		}
		free(w.v);
		wb_u64set_fini(&w.seen);
	}
out:
	free(d.v);
	wb_u64set_fini(&d.seen);
	return rc;
}

/* A holding path reads target ... child, then the container: fill_hit
 * appended the container's ID; reorder nothing, but the last step is
 * "inside". */

wb_err
wb_recall_status_get(wb_recall_status **out, wb_journal *j, const char *id,
                     wb_problem *p)
{
	wb_recall_status *st = calloc(1, sizeof(*st));
	wb_twin_state *ts = malloc(sizeof(*ts));
	struct up_walk w = { 0 };
	wb_declared decl = { 0 };
	wb_twin_id tid;
	wb_txn t = { 0 };
	bool locked = false;
	size_t cap = 0;
	wb_err rc;

	*out = NULL;
	if (st == NULL || ts == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		goto out;
	}
	if ((rc = wb_query_twin(&t, id, &tid, ts, p)) != WB_OK ||
	    (rc = cache_acquire(j, &t)) != WB_OK) {
		goto out;
	}
	locked = true;
	if (j->recalls.n_targets == 0) {
		goto done; /* nothing is recalled: the common, fast case */
	}
	if ((rc = wb_declared_load(&t, &decl)) != WB_OK) {
		goto out;
	}
	w.t = &t;
	w.decl = &decl;
	w.through_containers = true;
	if ((rc = up_walk_run(&w, ts->twin_no)) != WB_OK ||
	    (rc = collect_hits(&j->recalls, &t, &w, WB_RECALL_AFFECTED, NULL,
	                       st, &cap)) != WB_OK ||
	    (rc = holding_hits(&j->recalls, &t, &decl, ts->twin_no, st,
	                       &cap)) != WB_OK) {
		goto out;
	}
done:
	for (size_t i = 0; i < st->n_hits; i++) {
		if (st->hits[i].state == WB_RECALL_AFFECTED) {
			st->state = WB_RECALL_AFFECTED;
		} else if (st->state == WB_RECALL_CLEAR) {
			st->state = WB_RECALL_HOLDING;
		}
	}
	*out = st;
	st = NULL;
out:
	if (locked) {
		cache_release(j);
	}
	wb_txn_abort(&t);
	wb_recall_status_free(st);
	free(w.v);
	wb_u64set_fini(&w.seen);
	wb_declared_fini(&decl);
	free(ts);
	return rc;
}

void
wb_recall_status_free(wb_recall_status *s)
{
	if (s != NULL) {
		free(s->hits);
		free(s);
	}
}

/*
 * Impact.
 */
struct impact_walk {
	wb_txn *t;
	const wb_declared *decl;
	uint64_t recall_index;
	wb_u64set affected;
	uint64_t *queue;
	size_t n, cap, current;
};

static wb_err
impact_push(struct impact_walk *w, uint64_t twin)
{
	bool added;
	wb_err rc;

	if ((rc = wb_u64set_add(&w->affected, twin, &added)) != WB_OK ||
	    !added) {
		return rc;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		uint64_t *nv = realloc(w->queue, cap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		w->queue = nv;
		w->cap = cap;
	}
	w->queue[w->n++] = twin;
	return WB_OK;
}

static wb_err
impact_edge(const wb_edge *e, void *arg)
{
	struct impact_walk *w = arg;
	uint64_t here = w->queue[w->current];
	uint64_t closed = wb_declared_has(w->decl, e->closed) ? 0 : e->closed;

	if (wb_declared_has(w->decl, e->opened)) {
		return WB_OK;
	}
	/* A child counts only if it was inside while the container was
	 * affected: not unpacked before the recall. */
	if (e->type == WB_EDGE_CONTAINS && closed != 0 &&
	    closed <= w->recall_index) {
		return WB_OK;
	}
	return impact_push(w, e->from == here ? e->to : e->from);
}

/* The incoming edges that lead downstream: members of a lot, outputs
 * made from a twin. */
static wb_err
impact_in_edge(const wb_edge *e, void *arg)
{
	if (e->type != WB_EDGE_MEMBER_OF && e->type != WB_EDGE_MADE_FROM) {
		return WB_OK;
	}
	return impact_edge(e, arg);
}

static wb_err
impact_walk_run(struct impact_walk *w)
{
	wb_err rc;

	/* One range read for both incoming types: most twins reached are
	 * items, whose only incoming edge is their case's, so a read per type
	 * would mostly find nothing. */
	for (w->current = 0; w->current < w->n; w->current++) {
		uint64_t no = w->queue[w->current];

		if ((rc = wb_edges_each(w->t, no, WB_EDGE_IN, 0, impact_in_edge,
		                        w)) != WB_OK ||
		    (rc = wb_edges_each(w->t, no, WB_EDGE_OUT, WB_EDGE_CONTAINS,
		                        impact_edge, w)) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

/*
 * Where the twins of an impact are, and the containers holding them.
 *
 * One pass over the affected twins reads each one's state once; the
 * containers they are packed in are read once each, the first time a
 * child names them, and cached by canonical key (twenty items share a
 * case, twenty cases a pallet): a container's place and whether it holds
 * affected stock are settled then. A container holds affected stock when
 * it is not affected itself and an affected twin is packed in it, directly
 * or through nested containers.
 */

/* Who holds a twin and where it is, through its containers. */
struct place {
	uint64_t custodian;
	char location[WB_ID_MAX + 1];
};

/* A container met by the pass. */
struct box {
	char key[WB_KEY_MAX + 1];
	uint64_t no;
	wb_order location_at; /* when its own location was recorded */
	struct place pl;      /* its place, through its own containers */
};

#define NO_BOX SIZE_MAX

/* A container holding affected stock, and its box. */
struct holder {
	uint64_t no;
	size_t box;
};

struct impact_fill {
	wb_txn *t;
	const struct impact_walk *w;
	wb_recall_impact *im;
	size_t cap_groups;
	wb_u64map group_at; /* hash of a place -> group position */
	wb_u64map box_at;   /* hash of a container key -> box position */
	struct box *boxes;
	size_t n_boxes, cap_boxes;
	wb_u64set holder_set;
	struct holder *holders;
	size_t n_holders, cap_holders;
	wb_twin_state *st; /* scratch for the affected twins */
};

/* FNV-1a: a fast hash of a key or location; never 0 (the maps' empty
 * slot). A collision only costs a lookup the cache would have saved. */
static uint64_t
text_hash(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (; *s != '\0'; s++) {
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	}
	return h != 0 ? h : 1;
}

/* The group of a place, made when new. */
static wb_err
group_of(struct impact_fill *f, const struct place *pl, wb_impact_group **out)
{
	wb_recall_impact *im = f->im;
	uint64_t h = text_hash(pl->location, pl->custodian), pos;
	wb_impact_group *g;
	bool found;

	if (wb_u64map_get(&f->group_at, h, &pos) &&
	    im->groups[pos].custodian == pl->custodian &&
	    strcmp(im->groups[pos].location, pl->location) == 0) {
		*out = &im->groups[pos];
		return WB_OK;
	}
	for (size_t i = 0; i < im->n_groups; i++) {
		if (im->groups[i].custodian == pl->custodian &&
		    strcmp(im->groups[i].location, pl->location) == 0) {
			*out = &im->groups[i];
			return WB_OK;
		}
	}
	if (im->n_groups == f->cap_groups) {
		size_t cap = f->cap_groups ? f->cap_groups * 2 : 16;
		wb_impact_group *nv = realloc(im->groups, cap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		im->groups = nv;
		f->cap_groups = cap;
	}
	g = &im->groups[im->n_groups];
	memset(g, 0, sizeof(*g));
	g->custodian = pl->custodian;
	memcpy(g->location, pl->location, sizeof(g->location));
	wb_query_name(f->t, pl->custodian, g->custodian_name,
	              sizeof(g->custodian_name));
	/* A hash taken by another place keeps it: that place is found
	 * through the map, this one by the scan above. */
	*out = g;
	return wb_u64map_put(&f->group_at, h, im->n_groups++, &found, NULL);
}

static wb_err
group_count(struct impact_fill *f, const struct place *pl, bool holding)
{
	wb_impact_group *g;
	wb_err rc = group_of(f, pl, &g);

	if (rc == WB_OK) {
		if (holding) {
			g->holding++;
		} else {
			g->affected++;
		}
	}
	return rc;
}

/* A twin's place: its own, or its container's custodian and location
 * (custody and place travel with the container; a location the twin got
 * after the container got its own stays). */
static void
place_combine(struct place *out, const wb_twin_state *st, const struct box *c)
{
	out->custodian = st->custodian;
	memcpy(out->location, st->location, sizeof(out->location));
	if (c == NULL) {
		return;
	}
	if (c->pl.custodian != 0) {
		out->custodian = c->pl.custodian;
	}
	if (c->pl.location[0] != '\0' &&
	    !wb_order_after(&st->location_at, &c->location_at)) {
		memcpy(out->location, c->pl.location, sizeof(out->location));
	}
}

/* Notes box `pos` as holding affected stock unless it is affected. */
static wb_err
holder_add(struct impact_fill *f, size_t pos)
{
	uint64_t no = f->boxes[pos].no;
	bool added = false;
	wb_err rc = WB_OK;

	if (wb_u64set_has(&f->w->affected, no) ||
	    (rc = wb_u64set_add(&f->holder_set, no, &added)) != WB_OK ||
	    !added) {
		return rc;
	}
	if (f->n_holders == f->cap_holders) {
		size_t cap = f->cap_holders ? f->cap_holders * 2 : 64;
		struct holder *nv = realloc(f->holders, cap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		f->holders = nv;
		f->cap_holders = cap;
	}
	f->holders[f->n_holders++] = (struct holder){ no, pos };
	return WB_OK;
}

static wb_err box_of(struct impact_fill *f, const char *key, int depth,
                     size_t *pos);

/* Reads a container met for the first time: its place through its own
 * containers, and whether it holds affected stock. */
static wb_err
box_read(struct impact_fill *f, const char *key, int depth, size_t *pos)
{
	wb_twin_state *st = malloc(sizeof(*st));
	size_t up = NO_BOX;
	struct box *c;
	bool found;
	wb_err rc;

	*pos = NO_BOX;
	if (st == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = wb_twin_get(f->t, key, st)) != WB_OK) {
		free(st);
		return rc == WB_ENOTFOUND ? WB_OK : rc;
	}
	/* Nesting is at most 64 deep (rules.c); the bound guards the
	 * recursion against anything else. */
	if (st->container[0] != '\0' && depth < 64 &&
	    (rc = box_of(f, st->container, depth + 1, &up)) != WB_OK) {
		free(st);
		return rc;
	}
	if (f->n_boxes == f->cap_boxes) {
		size_t cap = f->cap_boxes ? f->cap_boxes * 2 : 256;
		struct box *nv = realloc(f->boxes, cap * sizeof(*nv));

		if (nv == NULL) {
			free(st);
			return WB_ENOMEM;
		}
		f->boxes = nv;
		f->cap_boxes = cap;
	}
	c = &f->boxes[f->n_boxes];
	memcpy(c->key, key, sizeof(c->key));
	c->no = st->twin_no;
	c->location_at = st->location_at;
	place_combine(&c->pl, st, up == NO_BOX ? NULL : &f->boxes[up]);
	free(st);
	*pos = f->n_boxes++;
	if ((rc = holder_add(f, *pos)) != WB_OK) {
		return rc;
	}
	return wb_u64map_put(&f->box_at, text_hash(key, 0), *pos, &found, NULL);
}

/* The container of canonical key `key`, from the cache or read now;
 * NO_BOX when it was never stamped. */
static wb_err
box_of(struct impact_fill *f, const char *key, int depth, size_t *pos)
{
	uint64_t at;

	if (wb_u64map_get(&f->box_at, text_hash(key, 0), &at) &&
	    strcmp(f->boxes[at].key, key) == 0) {
		*pos = (size_t)at;
		return WB_OK;
	}
	return box_read(f, key, depth, pos);
}

/* Reads twin `no` and its place; *key and *id name it. */
static wb_err
twin_place(struct impact_fill *f, uint64_t no, char key[WB_KEY_MAX + 1],
           char id[WB_ID_MAX + 1], struct place *pl)
{
	size_t up = NO_BOX;
	wb_err rc;

	if ((rc = wb_twin_name(f->t, no, key, id)) != WB_OK ||
	    (rc = wb_twin_get(f->t, key, f->st)) != WB_OK) {
		return rc;
	}
	if (f->st->container[0] != '\0' &&
	    (rc = box_of(f, f->st->container, 1, &up)) != WB_OK) {
		return rc;
	}
	place_combine(pl, f->st, up == NO_BOX ? NULL : &f->boxes[up]);
	return WB_OK;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
holder_cmp(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	return x->no < y->no ? -1 : x->no > y->no;
}

/* One page of the twins: affected first, then holding, each by number. */
static wb_err
impact_page(struct impact_fill *f, size_t offset, size_t limit)
{
	wb_recall_impact *im = f->im;
	const struct impact_walk *w = f->w;
	size_t total = w->n + f->n_holders, n;
	wb_err rc = WB_OK;

	if (limit == 0 || offset >= total) {
		return WB_OK;
	}
	n = total - offset < limit ? total - offset : limit;
	if ((im->twins = calloc(n, sizeof(*im->twins))) == NULL) {
		return WB_ENOMEM;
	}
	im->next = offset + n < total ? offset + n : 0;
	for (size_t i = offset; i < offset + n && rc == WB_OK; i++) {
		bool holding = i >= w->n;
		wb_impact_twin *x = &im->twins[im->n_twins];
		char key[WB_KEY_MAX + 1];
		struct place pl;

		rc = twin_place(f,
		                holding ? f->holders[i - w->n].no : w->queue[i],
		                key, x->id, &pl);
		if (rc == WB_OK) {
			x->holding = holding;
			x->custodian = pl.custodian;
			memcpy(x->location, pl.location, sizeof(x->location));
			im->n_twins++;
		}
	}
	return rc;
}

static wb_err
impact_fill(wb_recall_impact *im, wb_txn *t, struct impact_walk *w,
            size_t offset, size_t limit)
{
	struct impact_fill f = { .t = t, .w = w, .im = im };
	wb_err rc = WB_OK;

	if ((f.st = malloc(sizeof(*f.st))) == NULL) {
		return WB_ENOMEM;
	}
	/* Groups appear in the order of the twins: affected, then holding,
	 * each by number. Either list may be NULL and empty: qsort(NULL, 0)
	 * is undefined. */
	if (w->n > 1) {
		qsort(w->queue, w->n, sizeof(*w->queue), u64_cmp);
	}
	for (size_t i = 0; i < w->n && rc == WB_OK; i++) {
		char key[WB_KEY_MAX + 1], id[WB_ID_MAX + 1];
		struct place pl;

		if ((rc = twin_place(&f, w->queue[i], key, id, &pl)) == WB_OK) {
			rc = group_count(&f, &pl, false);
		}
	}
	if (rc == WB_OK && f.n_holders > 1) {
		qsort(f.holders, f.n_holders, sizeof(*f.holders), holder_cmp);
	}
	for (size_t i = 0; i < f.n_holders && rc == WB_OK; i++) {
		rc = group_count(&f, &f.boxes[f.holders[i].box].pl, true);
	}
	if (rc == WB_OK) {
		im->n_affected = w->n;
		im->n_holding = f.n_holders;
		rc = impact_page(&f, offset, limit);
	}
	free(f.st);
	free(f.boxes);
	free(f.holders);
	wb_u64set_fini(&f.holder_set);
	wb_u64map_fini(&f.group_at);
	wb_u64map_fini(&f.box_at);
	return rc;
}

wb_err
wb_recall_impact_get(wb_recall_impact **out, wb_journal *j,
                     uint64_t recall_index, size_t offset, size_t limit,
                     wb_problem *p)
{
	wb_recall_impact *im = calloc(1, sizeof(*im));
	struct impact_walk w = { .recall_index = recall_index };
	wb_declared decl = { 0 };
	bool locked = false;
	struct record rec = { 0 };
	uint8_t k[8];
	wb_txn t = { 0 };
	wb_val v;
	int pos;
	wb_err rc;

	*out = NULL;
	if (im == NULL) {
		return WB_ENOMEM;
	}
	im->recall_index = recall_index;
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		goto out;
	}
	wb_be64_put(k, recall_index);
	if (wb_db_get(&t, WB_DB_RECALLS, k, 8, &v) != WB_OK ||
	    record_read(&rec, recall_index, &v) != WB_OK ||
	    rec.kind != RECALL_RECORD) {
		rc = WB_ENOTFOUND;
		wb_reject_set(
		        p, WB_REJECT_UNKNOWN_RECALL,
		        "entry %llu is not a recall: give the journal index of a recall (see RecallsSince)",
		        (unsigned long long)recall_index);
		goto out;
	}
	if ((rc = wb_declared_load(&t, &decl)) != WB_OK ||
	    (rc = cache_acquire(j, &t)) != WB_OK) {
		goto out;
	}
	locked = true;
	w.t = &t;
	w.decl = &decl;
	if ((pos = find_recall(&j->recalls, recall_index)) >= 0) {
		for (size_t i = 0; i < j->recalls.n_targets && rc == WB_OK;
		     i++) {
			if (j->recalls.targets[i].recall == (uint32_t)pos) {
				im->active = true;
				rc = impact_push(&w,
				                 j->recalls.targets[i].twin);
			}
		}
	}
	cache_release(j);
	locked = false;
	if (rc != WB_OK || (rc = impact_walk_run(&w)) != WB_OK ||
	    (rc = impact_fill(im, &t, &w, offset, limit)) != WB_OK) {
		goto out;
	}
	*out = im;
	im = NULL;
out:
	if (locked) {
		cache_release(j);
	}
	wb_txn_abort(&t);
	wb_recall_impact_free(im);
	wb_u64set_fini(&w.affected);
	free(w.queue);
	free(rec.keys);
	wb_declared_fini(&decl);
	return rc;
}

void
wb_recall_impact_free(wb_recall_impact *i)
{
	if (i != NULL) {
		free(i->groups);
		free(i->twins);
		free(i);
	}
}

/*
 * Recalls since an index.
 */

static wb_err
notice_fill(wb_txn *t, wb_recall_notice *n, const struct record *r)
{
	uint8_t k[8];
	wb_entry *e = NULL;
	wb_stamp *s = NULL;
	wb_val v;

	n->index = r->index;
	n->lift = r->kind == LIFT_RECORD;
	n->recall_index = r->recall_index;
	n->issuer = r->issuer;
	n->n_targets = r->n_keys;
	if (r->n_keys > 0 &&
	    (n->targets = calloc(r->n_keys, sizeof(*n->targets))) == NULL) {
		return WB_ENOMEM;
	}
	/* Targets as written in the stamp; reason and class from it too. */
	wb_be64_put(k, r->index);
	if (wb_db_get(t, WB_DB_JOURNAL, k, 8, &v) == WB_OK &&
	    wb_entry_decode(&e, v.data, v.len) == WB_OK &&
	    wb_stamp_decode(&s, e->body, e->body_len) == WB_OK) {
		const char **ids = s->recall ? s->recall->targets
		                   : s->lift ? s->lift->targets
		                             : NULL;
		size_t nid = s->recall ? s->recall->n_targets
		             : s->lift ? s->lift->n_targets
		                       : 0;

		for (size_t i = 0; i < r->n_keys; i++) {
			snprintf(n->targets[i], sizeof(n->targets[i]), "%s",
			         i < nid ? ids[i] : r->keys[i]);
		}
		if (s->recall != NULL) {
			snprintf(n->reason, sizeof(n->reason), "%s",
			         s->recall->reason);
			n->has_severity = s->recall->has_severity;
			n->severity = s->recall->severity;
		} else if (s->lift != NULL && s->lift->reason != NULL) {
			snprintf(n->reason, sizeof(n->reason), "%s",
			         s->lift->reason);
		}
	}
	wb_stamp_free(s);
	wb_entry_free(e);
	return WB_OK;
}

wb_err
wb_recalls_since(wb_recall_notice **out, size_t *n_out, wb_journal *j,
                 uint64_t after, size_t max)
{
	wb_recall_notice *v = NULL;
	wb_declared decl = { 0 };
	wb_cursor *c = NULL;
	size_t n = 0, cap = 0;
	uint8_t key[8];
	wb_txn t = { 0 };
	wb_val k, val;
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_declared_load(&t, &decl)) != WB_OK ||
	    (rc = wb_cursor_open(&c, &t, WB_DB_RECALLS)) != WB_OK) {
		goto out;
	}
	wb_be64_put(key, after + 1);
	for (rc = wb_cursor_seek(c, key, 8, &k, &val); rc == WB_OK && n < max;
	     rc = wb_cursor_next(c, &k, &val)) {
		struct record r;

		if (k.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		if (wb_declared_has(&decl, wb_be64_get(k.data))) {
			continue;
		}
		if (n == cap) {
			wb_recall_notice *nv;

			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*nv))) == NULL) {
				rc = WB_ENOMEM;
				break;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		rc = record_read(&r, wb_be64_get(k.data), &val);
		if (rc == WB_OK) {
			rc = notice_fill(&t, &v[n], &r);
			n++;
		}
		free(r.keys);
		if (rc != WB_OK) {
			break;
		}
	}
	if (rc == WB_ENOTFOUND || rc == WB_OK) {
		rc = WB_OK;
		*out = v;
		*n_out = n;
		v = NULL;
	}
out:
	wb_cursor_close(c);
	wb_txn_abort(&t);
	wb_declared_fini(&decl);
	wb_recall_notices_free(v, n);
	return rc;
}

void
wb_recall_notices_free(wb_recall_notice *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].targets);
	}
	free(v);
}
