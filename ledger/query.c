/* SPDX-License-Identifier: MIT */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wb_err
wb_declared_load(wb_txn *t, wb_declared *out)
{
	wb_cursor *c = NULL;
	size_t cap = 0;
	wb_val k;
	wb_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wb_cursor_open(&c, t, WB_DB_DECLARED)) != WB_OK) {
		return rc;
	}
	for (rc = wb_cursor_seek(c, NULL, 0, &k, NULL); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, NULL)) {
		if (k.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		if (out->n == cap) {
			uint64_t *v;

			cap = cap ? cap * 2 : 16;
			if ((v = realloc(out->v, cap * sizeof(*v))) == NULL) {
				rc = WB_ENOMEM;
				break;
			}
			out->v = v;
		}
		out->v[out->n++] = wb_be64_get(k.data); /* keys sort */
	}
	wb_cursor_close(c);
	if (rc != WB_ENOTFOUND) {
		wb_declared_fini(out);
		return rc;
	}
	return WB_OK;
}

void
wb_declared_fini(wb_declared *d)
{
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

bool
wb_declared_has(const wb_declared *d, uint64_t index)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->v[mid] == index) {
			return true;
		}
		if (d->v[mid] < index) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return false;
}

static bool
time_after(const wb_time *a, const wb_time *b)
{
	return a->seconds != b->seconds ? a->seconds > b->seconds
	                                : a->nanos > b->nanos;
}

bool
wb_edge_counts(const wb_edge *e, const wb_declared *d, const wb_as_of *as_of)
{
	uint64_t closed = e->closed;

	if (wb_declared_has(d, e->opened)) {
		return false;
	}
	if (closed != 0 && wb_declared_has(d, closed)) {
		closed = 0; /* the closing event never happened */
	}
	if (as_of->index != 0) {
		if (e->opened > as_of->index) {
			return false;
		}
		if (closed != 0 && closed <= as_of->index && !as_of->has_time) {
			return false;
		}
	}
	if (as_of->has_time) {
		if (time_after(&e->opened_at, &as_of->time)) {
			return false;
		}
		return closed == 0 ||
		       (as_of->index != 0 && closed > as_of->index) ||
		       time_after(&e->closed_at, &as_of->time);
	}
	return as_of->index != 0 || closed == 0;
}

wb_err
wb_query_twin(wb_txn *t, const char *id, wb_twin_id *tid, wb_twin_state *st,
              wb_problem *p)
{
	wb_err rc;

	if (id == NULL) {
		return wb_reject_set(p, WB_REJECT_BAD_ID, "no twin ID given");
	}
	if ((rc = wb_id_parse(tid, id, strlen(id), p)) != WB_OK) {
		return rc;
	}
	return wb_twin_get(t, tid->key, st);
}

static size_t
slot(const wb_u64set *s, uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)(x & (s->cap - 1));
}

wb_err
wb_u64set_add(wb_u64set *s, uint64_t x, bool *added)
{
	size_t i;

	*added = false;
	if ((s->n + 1) * 10 > s->cap * 7) {
		wb_u64set bigger = { 0 };
		bool dummy;

		bigger.cap = s->cap ? s->cap * 2 : 64;
		if ((bigger.v = calloc(bigger.cap, sizeof(*bigger.v))) ==
		    NULL) {
			return WB_ENOMEM;
		}
		for (size_t k = 0; k < s->cap; k++) {
			if (s->v[k] != 0) {
				(void)wb_u64set_add(&bigger, s->v[k], &dummy);
			}
		}
		free(s->v);
		*s = bigger;
	}
	for (i = slot(s, x); s->v[i] != 0; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == x) {
			return WB_OK;
		}
	}
	s->v[i] = x;
	s->n++;
	*added = true;
	return WB_OK;
}

bool
wb_u64set_has(const wb_u64set *s, uint64_t x)
{
	if (s->cap == 0) {
		return false;
	}
	for (size_t i = slot(s, x); s->v[i] != 0; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == x) {
			return true;
		}
	}
	return false;
}

void
wb_u64set_fini(wb_u64set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void
wb_query_name(wb_txn *t, uint64_t stakeholder, char *out, size_t size)
{
	wb_stakeholder *s;

	out[0] = '\0';
	if (stakeholder == 0 || (s = malloc(sizeof(*s))) == NULL) {
		return;
	}
	if (wb_reg_stakeholder_load(t, stakeholder, s) == WB_OK) {
		snprintf(out, size, "%s", s->name);
	}
	free(s);
}

static size_t
map_slot(const wb_u64map *m, uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)(x & (m->cap - 1));
}

wb_err
wb_u64map_put(wb_u64map *m, uint64_t k, uint64_t v, bool *found, uint64_t *old)
{
	size_t i;

	*found = false;
	if ((m->n + 1) * 10 > m->cap * 7) {
		wb_u64map bigger = { 0 };
		bool dummy;

		bigger.cap = m->cap ? m->cap * 2 : 64;
		bigger.k = calloc(bigger.cap, sizeof(*bigger.k));
		bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
		if (bigger.k == NULL || bigger.v == NULL) {
			free(bigger.k);
			free(bigger.v);
			return WB_ENOMEM;
		}
		for (size_t x = 0; x < m->cap; x++) {
			if (m->k[x] != 0) {
				(void)wb_u64map_put(&bigger, m->k[x], m->v[x],
				                    &dummy, NULL);
			}
		}
		free(m->k);
		free(m->v);
		*m = bigger;
	}
	for (i = map_slot(m, k); m->k[i] != 0; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == k) {
			*found = true;
			if (old != NULL) {
				*old = m->v[i];
			}
			return WB_OK;
		}
	}
	m->k[i] = k;
	m->v[i] = v;
	m->n++;
	return WB_OK;
}

bool
wb_u64map_get(const wb_u64map *m, uint64_t k, uint64_t *v)
{
	if (m->cap == 0) {
		return false;
	}
	for (size_t i = map_slot(m, k); m->k[i] != 0;
	     i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == k) {
			*v = m->v[i];
			return true;
		}
	}
	return false;
}

void
wb_u64map_fini(wb_u64map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}
