/* SPDX-License-Identifier: MIT */
/*
 * passport.c - a twin's passport (its state in one read, names, place
 * through its containers, and its recall status), its custody and location
 * timeline, and a part's installations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/* The name a master-data stamp gave an element, if one did. */
static void
master_name(wb_txn *t, const char *id, char *out, size_t size)
{
	wb_twin_id tid;
	wb_val v;
	uint8_t k[8];
	wb_entry *e = NULL;
	wb_stamp *s = NULL;

	out[0] = '\0';
	if (id[0] == '\0' || wb_id_parse(&tid, id, strlen(id), NULL) != WB_OK ||
	    wb_db_get(t, WB_DB_MASTER, tid.key, tid.key_len, &v) != WB_OK ||
	    v.len != 8) {
		return;
	}
	memcpy(k, v.data, 8);
	if (wb_db_get(t, WB_DB_JOURNAL, k, 8, &v) == WB_OK &&
	    wb_entry_decode(&e, v.data, v.len) == WB_OK &&
	    wb_stamp_decode(&s, e->body, e->body_len) == WB_OK &&
	    s->master_data != NULL) {
		for (size_t i = 0; i < s->master_data->n_attributes; i++) {
			const wb_attribute *a = &s->master_data->attributes[i];
			size_t kl = strlen(a->key);

			/* cbvmda:name, urn:epcglobal:cbv:mda#name, name */
			if (a->text != NULL && kl >= 4 &&
			    strcmp(a->key + kl - 4, "name") == 0 &&
			    (kl == 4 || strchr(":#/", a->key[kl - 5]))) {
				snprintf(out, size, "%s", a->text);
				break;
			}
		}
	}
	wb_stamp_free(s);
	wb_entry_free(e);
}

/* Custodian and location through the containers a twin is packed in. */
static wb_err
effective_place(wb_txn *t, const wb_twin_state *st, uint64_t *custodian,
                char *location, size_t size)
{
	wb_twin_state *cur = malloc(sizeof(*cur));
	wb_order best = st->location_at;
	char key[WB_KEY_MAX + 1];
	wb_err rc = WB_OK;

	if (cur == NULL) {
		return WB_ENOMEM;
	}
	*custodian = st->custodian;
	snprintf(location, size, "%s", st->location);
	memcpy(key, st->container, sizeof(key));
	for (int depth = 0; key[0] != '\0' && depth < 64; depth++) {
		if ((rc = wb_twin_get(t, key, cur)) != WB_OK) {
			rc = rc == WB_ENOTFOUND ? WB_OK : rc;
			break;
		}
		if (cur->custodian != 0) {
			*custodian = cur->custodian;
		}
		/* The container moved later than the twin last did. */
		if (cur->location[0] != '\0' &&
		    wb_order_after(&cur->location_at, &best)) {
			snprintf(location, size, "%s", cur->location);
			best = cur->location_at;
		}
		memcpy(key, cur->container, sizeof(key));
	}
	free(cur);
	return rc;
}

static void
id_of(wb_txn *t, const char *key, char *out, size_t size)
{
	uint64_t no;
	char k[WB_KEY_MAX + 1], id[WB_ID_MAX + 1];

	if (key[0] != '\0' && wb_twin_no(t, key, &no) == WB_OK &&
	    wb_twin_name(t, no, k, id) == WB_OK) {
		snprintf(out, size, "%s", id);
	} else {
		snprintf(out, size, "%s", key);
	}
}

wb_err
wb_passport_get(wb_passport **out, wb_journal *j, const char *id, wb_problem *p)
{
	wb_passport *pp = calloc(1, sizeof(*pp));
	wb_twin_state *st = malloc(sizeof(*st));
	wb_twin_id tid;
	wb_txn t = { 0 };
	wb_err rc;

	*out = NULL;
	if (pp == NULL || st == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		goto out;
	}
	if ((rc = wb_query_twin(&t, id, &tid, st, p)) != WB_OK ||
	    (rc = effective_place(&t, st, &pp->custodian, pp->location,
	                          sizeof(pp->location))) != WB_OK) {
		goto out;
	}
	snprintf(pp->id, sizeof(pp->id), "%s", st->id);
	memcpy(pp->key, tid.key, sizeof(pp->key));
	pp->kind = tid.kind;
	pp->commissioner = st->commissioner;
	wb_query_name(&t, st->commissioner, pp->commissioner_name,
	              sizeof(pp->commissioner_name));
	pp->owner = st->owner;
	wb_query_name(&t, st->owner, pp->owner_name, sizeof(pp->owner_name));
	pp->sold = st->sold;
	wb_query_name(&t, pp->custodian, pp->custodian_name,
	              sizeof(pp->custodian_name));
	pp->in_transit = st->in_transit;
	snprintf(pp->destination, sizeof(pp->destination), "%s",
	         st->destination);
	master_name(&t, pp->location, pp->location_name,
	            sizeof(pp->location_name));
	snprintf(pp->read_point, sizeof(pp->read_point), "%s", st->read_point);
	snprintf(pp->disposition, sizeof(pp->disposition), "%s",
	         st->disposition);
	snprintf(pp->persistent, sizeof(pp->persistent), "%s", st->persistent);
	id_of(&t, st->container, pp->container, sizeof(pp->container));
	id_of(&t, st->host, pp->host, sizeof(pp->host));
	snprintf(pp->packaging, sizeof(pp->packaging), "%s", st->packaging);
	pp->packaging_index = st->packaging_index;
	snprintf(pp->price, sizeof(pp->price), "%s", st->price);
	snprintf(pp->discount, sizeof(pp->discount), "%s", st->discount);
	pp->decommissioned_at = st->decommissioned_at;
	pp->custody_gaps = st->custody_gaps;
	pp->n_stamps = st->n_entries;
	pp->first_index = st->first.index;
	pp->first_time.seconds = st->first.seconds;
	pp->first_time.nanos = st->first.nanos;
	pp->last_index = st->last.index;
	pp->last_time.seconds = st->last.seconds;
	pp->last_time.nanos = st->last.nanos;
	wb_txn_abort(&t);
	if ((rc = wb_recall_status_get(&pp->recalls, j, id, p)) != WB_OK) {
		goto out;
	}
	*out = pp;
	pp = NULL;
out:
	wb_txn_abort(&t);
	wb_passport_free(pp);
	free(st);
	return rc;
}

void
wb_passport_free(wb_passport *p)
{
	if (p != NULL) {
		wb_recall_status_free(p->recalls);
		free(p);
	}
}

/*
 * The timeline.
 */

static const char *
act_name(unsigned acts)
{
	static const struct {
		unsigned act;
		const char *name;
	} names[] = {
		{ ACT_COMMISSION, "commission" },
		{ ACT_DECOMMISSION, "dispose" },
		{ ACT_SHIP, "ship" },
		{ ACT_RECEIVE, "receive" },
		{ ACT_PACK, "pack" },
		{ ACT_UNPACK, "unpack" },
		{ ACT_TRANSFORM, "transform" },
		{ ACT_INSTALL, "install" },
		{ ACT_REMOVE, "remove" },
		{ ACT_SELL, "sell" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (acts & names[i].act) {
			return names[i].name;
		}
	}
	return "";
}

static int
step_cmp(const void *a, const void *b)
{
	const wb_where_step *x = a, *y = b;

	if (x->event_time.seconds != y->event_time.seconds) {
		return x->event_time.seconds < y->event_time.seconds ? -1 : 1;
	}
	if (x->event_time.nanos != y->event_time.nanos) {
		return x->event_time.nanos < y->event_time.nanos ? -1 : 1;
	}
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Reads one step of the timeline from entry `index`. */
static wb_err
read_step(wb_txn *t, uint64_t index, const wb_declared *decl, wb_where_step *s,
          unsigned *acts)
{
	uint8_t k[8];
	wb_entry *e = NULL;
	wb_stamp *st = NULL;
	wb_key_record kr;
	wb_val v;
	wb_err rc;

	memset(s, 0, sizeof(*s));
	*acts = 0;
	s->index = index;
	wb_be64_put(k, index);
	if ((rc = wb_db_get(t, WB_DB_JOURNAL, k, 8, &v)) != WB_OK ||
	    (rc = wb_entry_decode(&e, v.data, v.len)) != WB_OK) {
		return WB_ECORRUPT;
	}
	if (e->type == WB_ENTRY_STAMP &&
	    wb_stamp_decode(&st, e->body, e->body_len) == WB_OK) {
		s->event_time = st->event_time;
		snprintf(s->tz, sizeof(s->tz), "%s", st->event_tz_offset);
		snprintf(s->biz_step, sizeof(s->biz_step), "%s",
		         st->biz_step ? wb_cbv_word(st->biz_step) : "");
		if (st->biz_location != NULL) {
			snprintf(s->location, sizeof(s->location), "%s",
			         st->biz_location->id);
		}
		if (st->read_point != NULL) {
			snprintf(s->read_point, sizeof(s->read_point), "%s",
			         st->read_point->id);
		}
		*acts = wb_stamp_acts(st);
		snprintf(s->act, sizeof(s->act), "%s",
		         st->kind == WB_KIND_RECALL ? "recall"
		         : st->kind == WB_KIND_LIFT ? "lift"
		                                    : act_name(*acts));
		if (st->error_declaration != NULL) {
			snprintf(s->act, sizeof(s->act), "declare-error");
			*acts = 0;
		}
	}
	if (wb_reg_key_get(t, &e->signer, &kr) == WB_OK) {
		s->signer = kr.stakeholder;
		wb_query_name(t, kr.stakeholder, s->signer_name,
		              sizeof(s->signer_name));
	}
	s->declared = wb_declared_has(decl, index);
	wb_stamp_free(st);
	wb_entry_free(e);
	return WB_OK;
}

/* The timeline being built: steps, the acts of each (carried through
 * the sort), and the indexes already in it. */
struct timeline {
	wb_txn *t;
	const wb_declared *decl;
	wb_where_step *v;
	unsigned *acts;
	size_t n, cap;
	wb_u64set have;
};

static wb_err
timeline_add(struct timeline *tl, uint64_t index, const char *via)
{
	bool added;
	wb_err rc;

	if ((rc = wb_u64set_add(&tl->have, index, &added)) != WB_OK || !added) {
		return rc;
	}
	if (tl->n == tl->cap) {
		size_t ncap = tl->cap ? tl->cap * 2 : 32;
		wb_where_step *nv = realloc(tl->v, ncap * sizeof(*nv));
		unsigned *na;

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		tl->v = nv;
		if ((na = realloc(tl->acts, ncap * sizeof(*na))) == NULL) {
			return WB_ENOMEM;
		}
		tl->acts = na;
		tl->cap = ncap;
	}
	if ((rc = read_step(tl->t, index, tl->decl, &tl->v[tl->n],
	                    &tl->acts[tl->n])) != WB_OK) {
		return rc;
	}
	snprintf(tl->v[tl->n].via, sizeof(tl->v[tl->n].via), "%s", via);
	tl->n++;
	return WB_OK;
}

/* Adds the entries of twin `no`'s history with index in [first, last]. */
static wb_err
timeline_add_history(struct timeline *tl, uint64_t no, uint64_t first,
                     uint64_t last, const char *via)
{
	wb_cursor *c = NULL;
	uint8_t key[16];
	wb_val k;
	wb_err rc;

	if ((rc = wb_cursor_open(&c, tl->t, WB_DB_HISTORY)) != WB_OK) {
		return rc;
	}
	wb_be64_put(key, no);
	wb_be64_put(key + 8, first);
	for (rc = wb_cursor_seek(c, key, 16, &k, NULL); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, NULL)) {
		uint64_t index;

		if (k.len != 16 || wb_be64_get(k.data) != no) {
			break;
		}
		index = wb_be64_get((const uint8_t *)k.data + 8);
		if (index > last) {
			break;
		}
		if ((rc = timeline_add(tl, index, via)) != WB_OK) {
			break;
		}
	}
	wb_cursor_close(c);
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}

/* A container's stay around the twin: while the contains edge was open,
 * the container's own stamps (shipped, received, moved) moved the twin
 * too. */
struct stay {
	uint64_t container;
	uint64_t lo, hi; /* packed at lo, unpacked at hi (UINT64_MAX: still) */
};

struct stays {
	const wb_declared *decl;
	struct stay *v;
	size_t n, cap;
	uint64_t lo, hi; /* the window of the twin being looked up */
};

#define WHERE_MAX_STAYS 4096

static wb_err
take_stay(const wb_edge *e, void *arg)
{
	struct stays *s = arg;
	uint64_t closed = e->closed, lo, hi;

	if (wb_declared_has(s->decl, e->opened)) {
		return WB_OK;
	}
	if (closed == 0 || wb_declared_has(s->decl, closed)) {
		closed = UINT64_MAX;
	}
	lo = e->opened > s->lo ? e->opened : s->lo;
	hi = closed < s->hi ? closed : s->hi;
	if (lo >= hi) {
		return WB_OK;
	}
	if (s->n == WHERE_MAX_STAYS) {
		return WB_OK; /* bounded: a twin is not in 4096 containers */
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		struct stay *nv = realloc(s->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = (struct stay){ e->from, lo, hi };
	return WB_OK;
}

/* Every container the twin was in (and the containers those were in,
 * while they held it), each with the window of its stay. */
static wb_err
collect_stays(wb_txn *t, const wb_declared *decl, uint64_t twin_no,
              struct stays *s)
{
	wb_err rc;

	s->decl = decl;
	s->lo = 0;
	s->hi = UINT64_MAX;
	if ((rc = wb_edges_each(t, twin_no, WB_EDGE_IN, WB_EDGE_CONTAINS,
	                        take_stay, s)) != WB_OK) {
		return rc;
	}
	/* Outer containers, breadth first: s->v grows while it is read.
	 * Cycles are refused at append, and the total is bounded. */
	for (size_t i = 0; i < s->n; i++) {
		s->lo = s->v[i].lo;
		s->hi = s->v[i].hi;
		if ((rc = wb_edges_each(t, s->v[i].container, WB_EDGE_IN,
		                        WB_EDGE_CONTAINS, take_stay, s)) !=
		    WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

wb_err
wb_where(wb_where_step **out, size_t *n_out, wb_journal *j, const char *id,
         wb_problem *p)
{
	wb_twin_state *st = malloc(sizeof(*st));
	wb_declared decl = { 0 };
	struct timeline tl = { 0 };
	struct stays stays = { 0 };
	uint64_t custodian = 0;
	wb_twin_id tid;
	wb_txn t = { 0 };
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	if (st == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		free(st);
		return rc;
	}
	tl.t = &t;
	tl.decl = &decl;
	if ((rc = wb_query_twin(&t, id, &tid, st, p)) != WB_OK ||
	    (rc = wb_declared_load(&t, &decl)) != WB_OK ||
	    (rc = timeline_add_history(&tl, st->twin_no, 0, UINT64_MAX, "")) !=
	            WB_OK) {
		goto out;
	}
	/* The containers' stamps during each stay, the one that ended it
	 * included (an unpacking that names no children is the container's
	 * alone). */
	if ((rc = collect_stays(&t, &decl, st->twin_no, &stays)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < stays.n; i++) {
		char key[WB_KEY_MAX + 1], cid[WB_ID_MAX + 1];

		if ((rc = wb_twin_name(&t, stays.v[i].container, key, cid)) !=
		            WB_OK ||
		    (rc = timeline_add_history(&tl, stays.v[i].container,
		                               stays.v[i].lo + 1, stays.v[i].hi,
		                               cid)) != WB_OK) {
			goto out;
		}
	}
	/* Sort by event time, then follow custody along it. The acts move
	 * with their steps: sort pairs. */
	for (size_t i = 0; i < tl.n; i++) {
		tl.v[i].custodian = tl.acts[i]; /* carried through the sort */
	}
	if (tl.n > 1) { /* v is NULL when empty: qsort(NULL, 0) is undefined */
		qsort(tl.v, tl.n, sizeof(*tl.v), step_cmp);
	}
	for (size_t i = 0; i < tl.n; i++) {
		unsigned a = (unsigned)tl.v[i].custodian;

		if (!tl.v[i].declared &&
		    ((a & ACT_RECEIVE) ||
		     ((a & ACT_COMMISSION) && custodian == 0))) {
			custodian = tl.v[i].signer;
		}
		tl.v[i].custodian = custodian;
		wb_query_name(&t, custodian, tl.v[i].custodian_name,
		              sizeof(tl.v[i].custodian_name));
	}
	*out = tl.v;
	*n_out = tl.n;
	tl.v = NULL;
out:
	wb_txn_abort(&t);
	wb_declared_fini(&decl);
	wb_u64set_fini(&tl.have);
	free(tl.v);
	free(tl.acts);
	free(stays.v);
	free(st);
	return rc;
}

/*
 * Installations.
 */
struct installs {
	wb_txn *t;
	const wb_declared *decl;
	wb_installation *v;
	size_t n, cap;
};

static wb_err
take_install(const wb_edge *e, void *arg)
{
	struct installs *in = arg;
	wb_installation *x;
	char key[WB_KEY_MAX + 1];

	if (wb_declared_has(in->decl, e->opened)) {
		return WB_OK;
	}
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 8;
		wb_installation *nv = realloc(in->v, cap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		in->v = nv;
		in->cap = cap;
	}
	x = &in->v[in->n++];
	memset(x, 0, sizeof(*x));
	(void)wb_twin_name(in->t, e->to, key, x->asset);
	x->installed = e->opened;
	x->removed = e->closed;
	x->installed_at = e->opened_at;
	x->removed_at = e->closed_at;
	if (wb_declared_has(in->decl, e->closed)) {
		/* Removed by a stamp declared in error: still installed. */
		x->removed = 0;
		memset(&x->removed_at, 0, sizeof(x->removed_at));
	}
	return WB_OK;
}

static int
install_cmp(const void *a, const void *b)
{
	const wb_installation *x = a, *y = b;

	if (x->installed_at.seconds != y->installed_at.seconds) {
		return x->installed_at.seconds < y->installed_at.seconds ? -1
		                                                         : 1;
	}
	return x->installed < y->installed ? -1 : x->installed > y->installed;
}

static bool
within(const wb_time *t, const wb_installation *x)
{
	bool after_start = t->seconds > x->installed_at.seconds ||
	                   (t->seconds == x->installed_at.seconds &&
	                    t->nanos >= x->installed_at.nanos);
	bool before_end = x->removed == 0 ||
	                  t->seconds < x->removed_at.seconds ||
	                  (t->seconds == x->removed_at.seconds &&
	                   t->nanos <= x->removed_at.nanos);

	return after_start && before_end;
}

/* Assigns each of the part's stamps to the installation it happened in. */
static wb_err
assign_stamps(wb_txn *t, uint64_t twin_no, struct installs *in)
{
	wb_cursor *c = NULL;
	uint8_t key[16];
	wb_val k;
	wb_err rc;

	if ((rc = wb_cursor_open(&c, t, WB_DB_HISTORY)) != WB_OK) {
		return rc;
	}
	wb_be64_put(key, twin_no);
	wb_be64_put(key + 8, 0);
	for (rc = wb_cursor_seek(c, key, 16, &k, NULL); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, NULL)) {
		uint64_t index;
		wb_where_step s;
		unsigned acts;

		if (k.len != 16 || wb_be64_get(k.data) != twin_no) {
			break;
		}
		index = wb_be64_get((const uint8_t *)k.data + 8);
		if ((rc = read_step(t, index, in->decl, &s, &acts)) != WB_OK) {
			break;
		}
		for (size_t i = 0; i < in->n && !s.declared; i++) {
			wb_installation *x = &in->v[i];
			uint64_t *nv;

			if (!within(&s.event_time, x)) {
				continue;
			}
			if ((nv = realloc(x->stamps,
			                  (x->n_stamps + 1) * sizeof(*nv))) ==
			    NULL) {
				rc = WB_ENOMEM;
				break;
			}
			x->stamps = nv;
			x->stamps[x->n_stamps++] = index;
		}
		if (rc != WB_OK) {
			break;
		}
	}
	wb_cursor_close(c);
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}

wb_err
wb_installations(wb_installation **out, size_t *n_out, wb_journal *j,
                 const char *id, wb_problem *p)
{
	wb_twin_state *st = malloc(sizeof(*st));
	wb_declared decl = { 0 };
	struct installs in = { .decl = &decl };
	wb_twin_id tid;
	wb_txn t = { 0 };
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	if (st == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		free(st);
		return rc;
	}
	in.t = &t;
	if ((rc = wb_query_twin(&t, id, &tid, st, p)) != WB_OK ||
	    (rc = wb_declared_load(&t, &decl)) != WB_OK ||
	    (rc = wb_edges_each(&t, st->twin_no, WB_EDGE_OUT,
	                        WB_EDGE_INSTALLED_IN, take_install, &in)) !=
	            WB_OK) {
		goto out;
	}
	if (in.n > 1) { /* qsort(NULL, 0) is undefined */
		qsort(in.v, in.n, sizeof(*in.v), install_cmp);
	}
	if ((rc = assign_stamps(&t, st->twin_no, &in)) != WB_OK) {
		goto out;
	}
	*out = in.v;
	*n_out = in.n;
	in.v = NULL;
	in.n = 0;
out:
	wb_txn_abort(&t);
	wb_installations_free(in.v, in.n);
	wb_declared_fini(&decl);
	free(st);
	return rc;
}

void
wb_installations_free(wb_installation *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].stamps);
	}
	free(v);
}
