/* SPDX-License-Identifier: MIT */
/*
 * lineage.c - the lineage graph (private): typed edges between twins,
 * each with the index (and event time) that opened it and the one that
 * closed it, stored under both ends so that a walk in either direction is
 * one range read per twin.
 *
 * Key: twin number, direction (out/in), type, the other twin's number,
 * opened index — all big-endian, so a twin's edges of one type are
 * contiguous and ordered by the other end, then by opening.
 */
#include <string.h>

#include "journal_impl.h"

#define EDGE_KEY_LEN 26
#define EDGE_VAL_LEN 41

static void
edge_key(uint8_t k[EDGE_KEY_LEN], uint64_t twin, int dir, wb_edge_type type,
         uint64_t other, uint64_t opened)
{
	wb_be64_put(k, twin);
	k[8] = (uint8_t)dir;
	k[9] = (uint8_t)type;
	wb_be64_put(k + 10, other);
	wb_be64_put(k + 18, opened);
}

static void
put_time(uint8_t *p, const wb_time *t)
{
	wb_be64_put(p, (uint64_t)t->seconds);
	p[8] = (uint8_t)(t->nanos >> 24);
	p[9] = (uint8_t)(t->nanos >> 16);
	p[10] = (uint8_t)(t->nanos >> 8);
	p[11] = (uint8_t)t->nanos;
}

static void
get_time(wb_time *t, const uint8_t *p)
{
	t->seconds = (int64_t)wb_be64_get(p);
	t->nanos = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
	           (uint32_t)p[10] << 8 | p[11];
	t->has_nanos = t->nanos != 0;
}

static void
edge_val(uint8_t v[EDGE_VAL_LEN], const wb_edge *e)
{
	uint64_t q;

	wb_be64_put(v, e->closed);
	put_time(v + 8, &e->opened_at);
	put_time(v + 20, &e->closed_at);
	v[32] = e->has_quantity;
	memcpy(&q, &e->quantity, sizeof(q));
	wb_be64_put(v + 33, q);
}

static wb_err
edge_decode(wb_edge *e, const wb_val *k, const wb_val *v)
{
	const uint8_t *kb = k->data, *vb = v->data;
	uint64_t q;

	if (k->len != EDGE_KEY_LEN || v->len != EDGE_VAL_LEN) {
		return WB_ECORRUPT;
	}
	e->type = (wb_edge_type)kb[9];
	if (kb[8] == WB_EDGE_OUT) {
		e->from = wb_be64_get(kb);
		e->to = wb_be64_get(kb + 10);
	} else {
		e->to = wb_be64_get(kb);
		e->from = wb_be64_get(kb + 10);
	}
	e->opened = wb_be64_get(kb + 18);
	e->closed = wb_be64_get(vb);
	get_time(&e->opened_at, vb + 8);
	get_time(&e->closed_at, vb + 20);
	e->has_quantity = vb[32] != 0;
	q = wb_be64_get(vb + 33);
	memcpy(&e->quantity, &q, sizeof(q));
	return WB_OK;
}

static wb_err
put_both(wb_txn *t, const wb_edge *e)
{
	uint8_t k[EDGE_KEY_LEN], v[EDGE_VAL_LEN];
	wb_err rc;

	edge_val(v, e);
	edge_key(k, e->from, WB_EDGE_OUT, e->type, e->to, e->opened);
	if ((rc = wb_db_put(t, WB_DB_EDGES, k, sizeof(k), v, sizeof(v), 0)) !=
	    WB_OK) {
		return rc;
	}
	edge_key(k, e->to, WB_EDGE_IN, e->type, e->from, e->opened);
	return wb_db_put(t, WB_DB_EDGES, k, sizeof(k), v, sizeof(v), 0);
}

wb_err
wb_edge_open(wb_txn *t, const wb_edge *e)
{
	return put_both(t, e);
}

static bool
time_after(const wb_time *a, const wb_time *b)
{
	return a->seconds != b->seconds ? a->seconds > b->seconds
	                                : a->nanos > b->nanos;
}

/* Closes the latest edge between the two if it is open and was opened at
 * or before `at`: an event never ends what a newer event began (a late
 * unpacking or removal leaves the current edge open, as it leaves the
 * twin's current state). */
wb_err
wb_edge_close(wb_txn *t, wb_edge_type type, uint64_t from, uint64_t to,
              uint64_t index, const wb_time *at, bool *closed_out)
{
	uint8_t k[EDGE_KEY_LEN];
	wb_cursor *c = NULL;
	wb_edge e;
	wb_val kv, vv;
	wb_err rc;

	*closed_out = false;
	if ((rc = wb_cursor_open(&c, t, WB_DB_EDGES)) != WB_OK) {
		return rc;
	}
	/* The latest edge between the two: seek past it and step back. */
	edge_key(k, from, WB_EDGE_OUT, type, to, UINT64_MAX);
	rc = wb_cursor_seek(c, k, sizeof(k), &kv, &vv);
	rc = rc == WB_OK ? wb_cursor_prev(c, &kv, &vv)
	                 : wb_cursor_last(c, &kv, &vv);
	if (rc == WB_OK && kv.len == EDGE_KEY_LEN &&
	    memcmp(kv.data, k, 18) == 0 &&
	    (rc = edge_decode(&e, &kv, &vv)) == WB_OK && e.closed == 0 &&
	    !time_after(&e.opened_at, at)) {
		wb_cursor_close(c);
		c = NULL;
		e.closed = index;
		e.closed_at = *at;
		if ((rc = put_both(t, &e)) == WB_OK) {
			*closed_out = true;
		}
	}
	wb_cursor_close(c);
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}

wb_err
wb_edges_each(wb_txn *t, uint64_t twin, int dir, wb_edge_type type,
              wb_edge_fn fn, void *arg)
{
	uint8_t k[EDGE_KEY_LEN];
	size_t prefix = type != 0 ? 10 : 9;
	wb_cursor *c = NULL;
	wb_val kv, vv;
	wb_edge e;
	wb_err rc;

	if ((rc = wb_cursor_open(&c, t, WB_DB_EDGES)) != WB_OK) {
		return rc;
	}
	edge_key(k, twin, dir, type, 0, 0);
	for (rc = wb_cursor_seek(c, k, prefix, &kv, &vv); rc == WB_OK;
	     rc = wb_cursor_next(c, &kv, &vv)) {
		if (kv.len < prefix || memcmp(kv.data, k, prefix) != 0) {
			break;
		}
		if ((rc = edge_decode(&e, &kv, &vv)) != WB_OK ||
		    (rc = fn(&e, arg)) != WB_OK) {
			break;
		}
	}
	wb_cursor_close(c);
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}
