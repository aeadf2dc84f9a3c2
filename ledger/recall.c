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

static wb_err
holding_hits(const struct wb_recall_cache *c, wb_txn *t,
             const wb_declared *decl, uint64_t container, wb_recall_status *st,
             size_t *cap)
{
	struct down_collect d = { .decl = decl };
	wb_err rc = WB_OK;

	if ((rc = wb_edges_each(t, container, WB_EDGE_OUT, WB_EDGE_CONTAINS,
	                        down_child, &d)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < d.n && rc == WB_OK; i++) {
		rc = wb_edges_each(t, d.v[i], WB_EDGE_OUT, WB_EDGE_CONTAINS,
		                   down_child, &d);
	}
	for (size_t i = 0; i < d.n && rc == WB_OK; i++) {
		struct up_walk w = { .t = t, .decl = decl };
		char key[WB_KEY_MAX + 1], id[WB_ID_MAX + 1];

		/* The child's own lineage, not the containers above it. */
		if ((rc = up_walk_run(&w, d.v[i])) == WB_OK &&
		    (rc = wb_twin_name(t, container, key, id)) == WB_OK) {
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

static wb_err
impact_walk_run(struct impact_walk *w)
{
	wb_err rc;

	for (w->current = 0; w->current < w->n; w->current++) {
		uint64_t no = w->queue[w->current];

		if ((rc = wb_edges_each(w->t, no, WB_EDGE_IN, WB_EDGE_MEMBER_OF,
		                        impact_edge, w)) != WB_OK ||
		    (rc = wb_edges_each(w->t, no, WB_EDGE_IN, WB_EDGE_MADE_FROM,
		                        impact_edge, w)) != WB_OK ||
		    (rc = wb_edges_each(w->t, no, WB_EDGE_OUT, WB_EDGE_CONTAINS,
		                        impact_edge, w)) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

/* Where a twin is and who holds it: through its containers, cached by
 * container since many items share a case. */
struct place {
	uint64_t custodian;
	char location[WB_ID_MAX + 1];
};

struct place_cache {
	wb_u64map index; /* container twin -> position in v */
	struct place *v;
	size_t n, cap;
};

static wb_err
place_of(wb_txn *t, struct place_cache *pc, const wb_twin_state *st,
         struct place *out)
{
	wb_twin_state *up;
	uint64_t pos, cno;
	bool found;
	wb_err rc;

	out->custodian = st->custodian;
	snprintf(out->location, sizeof(out->location), "%s", st->location);
	if (st->container[0] == '\0' ||
	    wb_twin_no(t, st->container, &cno) != WB_OK) {
		return WB_OK;
	}
	if (wb_u64map_get(&pc->index, cno, &pos)) {
		*out = pc->v[pos];
		return WB_OK;
	}
	if ((up = malloc(sizeof(*up))) == NULL) {
		return WB_ENOMEM;
	}
	rc = wb_twin_get(t, st->container, up);
	if (rc == WB_OK) {
		struct place cp;

		/* Custody and place travel with the container. */
		if ((rc = place_of(t, pc, up, &cp)) == WB_OK) {
			if (cp.custodian != 0) {
				out->custodian = cp.custodian;
			}
			if (cp.location[0] != '\0' &&
			    !wb_order_after(&st->location_at,
			                    &up->location_at)) {
				memcpy(out->location, cp.location,
				       sizeof(out->location));
			}
		}
	}
	free(up);
	if (rc != WB_OK) {
		return rc;
	}
	if (pc->n == pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 256;
		struct place *nv = realloc(pc->v, cap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		pc->v = nv;
		pc->cap = cap;
	}
	pc->v[pc->n] = *out;
	rc = wb_u64map_put(&pc->index, cno, pc->n, &found, NULL);
	pc->n++;
	return rc;
}

static wb_err
group_add(wb_recall_impact *im, size_t *cap, wb_txn *t, const struct place *pl,
          bool holding)
{
	wb_impact_group *g = NULL;

	for (size_t i = 0; i < im->n_groups; i++) {
		if (im->groups[i].custodian == pl->custodian &&
		    strcmp(im->groups[i].location, pl->location) == 0) {
			g = &im->groups[i];
			break;
		}
	}
	if (g == NULL) {
		if (im->n_groups == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			wb_impact_group *nv =
			        realloc(im->groups, ncap * sizeof(*nv));

			if (nv == NULL) {
				return WB_ENOMEM;
			}
			im->groups = nv;
			*cap = ncap;
		}
		g = &im->groups[im->n_groups++];
		memset(g, 0, sizeof(*g));
		g->custodian = pl->custodian;
		memcpy(g->location, pl->location, sizeof(g->location));
		wb_query_name(t, pl->custodian, g->custodian_name,
		              sizeof(g->custodian_name));
	}
	if (holding) {
		g->holding++;
	} else {
		g->affected++;
	}
	return WB_OK;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The containers currently holding affected twins, not affected
 * themselves. */
static wb_err
holders_of(wb_txn *t, struct impact_walk *w, wb_u64set *holders,
           uint64_t **list, size_t *n_list)
{
	size_t cap = 0;
	wb_err rc = WB_OK;

	*list = NULL;
	*n_list = 0;
	for (size_t i = 0; i < w->n && rc == WB_OK; i++) {
		wb_twin_state *st = malloc(sizeof(*st));
		char key[WB_KEY_MAX + 1], id[WB_ID_MAX + 1];
		int depth = 0;

		if (st == NULL) {
			return WB_ENOMEM;
		}
		if ((rc = wb_twin_name(t, w->queue[i], key, id)) == WB_OK &&
		    (rc = wb_twin_get(t, key, st)) == WB_OK) {
			while (st->container[0] != '\0' && depth++ < 64) {
				uint64_t cno;
				bool added;

				memcpy(key, st->container, sizeof(key));
				if (wb_twin_no(t, key, &cno) != WB_OK ||
				    wb_u64set_has(&w->affected, cno)) {
					break;
				}
				if ((rc = wb_u64set_add(holders, cno,
				                        &added)) != WB_OK) {
					break;
				}
				if (added) {
					if (*n_list == cap) {
						uint64_t *nv;

						cap = cap ? cap * 2 : 64;
						nv = realloc(*list,
						             cap * sizeof(*nv));
						if (nv == NULL) {
							rc = WB_ENOMEM;
							break;
						}
						*list = nv;
					}
					(*list)[(*n_list)++] = cno;
				}
				if (wb_twin_get(t, key, st) != WB_OK) {
					break;
				}
			}
		}
		free(st);
	}
	return rc;
}

static wb_err
impact_fill(wb_recall_impact *im, wb_txn *t, struct impact_walk *w,
            uint64_t *holders, size_t n_holders, size_t offset, size_t limit)
{
	struct place_cache pc = { 0 };
	wb_twin_state *st = malloc(sizeof(*st));
	size_t cap_groups = 0, total = w->n + n_holders;
	wb_err rc = WB_OK;

	if (st == NULL) {
		return WB_ENOMEM;
	}
	/* Either may be NULL and empty: qsort(NULL, 0) is undefined. */
	if (w->n > 1) {
		qsort(w->queue, w->n, sizeof(*w->queue), u64_cmp);
	}
	if (n_holders > 1) {
		qsort(holders, n_holders, sizeof(*holders), u64_cmp);
	}
	im->n_affected = w->n;
	im->n_holding = n_holders;
	if (limit > 0 && offset < total) {
		size_t n = total - offset < limit ? total - offset : limit;

		if ((im->twins = calloc(n, sizeof(*im->twins))) == NULL) {
			rc = WB_ENOMEM;
			goto out;
		}
		im->next = offset + n < total ? offset + n : 0;
	}
	for (size_t i = 0; i < total && rc == WB_OK; i++) {
		bool holding = i >= w->n;
		uint64_t no = holding ? holders[i - w->n] : w->queue[i];
		char key[WB_KEY_MAX + 1], id[WB_ID_MAX + 1];
		struct place pl;

		if ((rc = wb_twin_name(t, no, key, id)) != WB_OK ||
		    (rc = wb_twin_get(t, key, st)) != WB_OK ||
		    (rc = place_of(t, &pc, st, &pl)) != WB_OK ||
		    (rc = group_add(im, &cap_groups, t, &pl, holding)) !=
		            WB_OK) {
			break;
		}
		if (im->twins != NULL && i >= offset && i - offset < limit &&
		    im->n_twins < limit) {
			wb_impact_twin *x = &im->twins[im->n_twins++];

			memcpy(x->id, id, sizeof(x->id));
			x->holding = holding;
			x->custodian = pl.custodian;
			memcpy(x->location, pl.location, sizeof(x->location));
		}
	}
out:
	free(st);
	free(pc.v);
	wb_u64map_fini(&pc.index);
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
	wb_u64set holders = { 0 };
	uint64_t *holder_list = NULL;
	size_t n_holders = 0;
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
	    (rc = holders_of(&t, &w, &holders, &holder_list, &n_holders)) !=
	            WB_OK ||
	    (rc = impact_fill(im, &t, &w, holder_list, n_holders, offset,
	                      limit)) != WB_OK) {
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
	wb_u64set_fini(&holders);
	free(holder_list);
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
