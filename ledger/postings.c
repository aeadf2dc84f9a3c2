/* SPDX-License-Identifier: MIT */
/*
 * postings.c - the search index (private): for each search field and value,
 * the indexes of the stamps that carry it, as posting records.
 *
 * One key per stamp and field made every append pay five B-tree inserts;
 * instead, the effects of a write transaction only gather (field, value,
 * index) in memory, and the transaction's end writes one record per field
 * and value — a batch of a thousand stamps from one partner, sharing their
 * bizStep, disposition, locations and signer, writes five records.
 *
 * Record: key = field (1 byte) || value (8 bytes) || first index (8 bytes,
 * big-endian); data = the later indexes as LEB128 deltas from the one
 * before. Indexes only grow, so a field and value's records are in index
 * order, each wholly after the one before. A record holds at most
 * POSTING_MAX_BYTES of deltas, so it stays on its B-tree page (LMDB moves
 * larger values to overflow pages).
 */
#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"

#define POSTING_KEY_LEN   17
#define POSTING_MAX_BYTES 1600

void
wb_search_value(uint8_t out[8], const char *text)
{
	wb_hash h;

	wb_hash_sha256(&h, text, strlen(text));
	memcpy(out, h.b, 8);
}

wb_err
wb_postings_add(wb_postings *p, uint8_t field, const uint8_t value[8],
                uint64_t index)
{
	wb_posting *e;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		wb_posting *v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL) {
			return WB_ENOMEM;
		}
		p->v = v;
		p->cap = cap;
	}
	e = &p->v[p->n++];
	e->prefix[0] = field;
	memcpy(e->prefix + 1, value, 8);
	e->index = index;
	return WB_OK;
}

static int
posting_cmp(const void *a, const void *b)
{
	const wb_posting *x = a, *y = b;
	int c = memcmp(x->prefix, y->prefix, sizeof(x->prefix));

	if (c != 0) {
		return c;
	}
	return x->index < y->index ? -1 : x->index > y->index;
}

static size_t
put_uvarint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

wb_err
wb_postings_flush(wb_postings *p, wb_txn *t)
{
	uint8_t key[POSTING_KEY_LEN], data[POSTING_MAX_BYTES + 10];
	wb_err rc = WB_OK;
	size_t i = 0;

	if (p->n > 1) {
		qsort(p->v, p->n, sizeof(*p->v), posting_cmp);
	}
	while (rc == WB_OK && i < p->n) {
		const wb_posting *first = &p->v[i];
		uint64_t prev = first->index;
		size_t len = 0;

		memcpy(key, first->prefix, 9);
		wb_be64_put(key + 9, first->index);
		for (i++; i < p->n && len <= POSTING_MAX_BYTES &&
		          memcmp(p->v[i].prefix, first->prefix, 9) == 0;
		     i++) {
			if (p->v[i].index == prev) {
				continue; /* one stamp, one posting */
			}
			len += put_uvarint(data + len, p->v[i].index - prev);
			prev = p->v[i].index;
		}
		rc = wb_db_put(t, WB_DB_SEARCH, key, sizeof(key), data, len, 0);
	}
	p->n = 0;
	return rc;
}

void
wb_postings_clear(wb_postings *p)
{
	p->n = 0;
}

void
wb_postings_fini(wb_postings *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/*
 * Reading.
 */

static bool
load_record(wb_posting_iter *it, const wb_val *k, const wb_val *v)
{
	if (k->len != POSTING_KEY_LEN ||
	    memcmp(k->data, it->prefix, sizeof(it->prefix)) != 0) {
		return false;
	}
	it->next_index = wb_be64_get((const uint8_t *)k->data + 9);
	it->have_next = true;
	it->p = v->data;
	it->end = it->p + v->len;
	return true;
}

wb_err
wb_posting_iter_open(wb_posting_iter *it, wb_txn *t, uint8_t field,
                     const uint8_t value[8], uint64_t after)
{
	uint8_t key[POSTING_KEY_LEN];
	wb_val k, v;
	wb_err rc;

	memset(it, 0, sizeof(*it));
	it->prefix[0] = field;
	memcpy(it->prefix + 1, value, 8);
	it->after = after;
	if ((rc = wb_cursor_open(&it->c, t, WB_DB_SEARCH)) != WB_OK) {
		return rc;
	}
	/* The record holding `after + 1` starts at or before it: the last
	 * record of this value with a first index <= after + 1, else the
	 * first one after. */
	memcpy(key, it->prefix, 9);
	wb_be64_put(key + 9, after + 1);
	rc = wb_cursor_seek(it->c, key, sizeof(key), &k, &v);
	if (rc == WB_OK && k.len == sizeof(key) &&
	    memcmp(k.data, key, sizeof(key)) == 0) {
		load_record(it, &k, &v);
		return WB_OK;
	}
	if (rc != WB_OK && rc != WB_ENOTFOUND) {
		return rc;
	}
	rc = rc == WB_OK ? wb_cursor_prev(it->c, &k, &v)
	                 : wb_cursor_last(it->c, &k, &v);
	if (rc == WB_OK && load_record(it, &k, &v)) {
		return WB_OK;
	}
	if (rc != WB_OK && rc != WB_ENOTFOUND) {
		return rc;
	}
	rc = wb_cursor_seek(it->c, key, sizeof(key), &k, &v);
	if (rc == WB_OK) {
		load_record(it, &k, &v);
	}
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}

wb_err
wb_posting_iter_next(wb_posting_iter *it, uint64_t *index)
{
	wb_val k, v;
	wb_err rc;

	for (;;) {
		while (it->have_next) {
			uint64_t x = it->next_index, d = 0;
			unsigned shift = 0;

			it->have_next = false;
			while (it->p < it->end && shift < 64) {
				uint8_t b = *it->p++;

				d |= (uint64_t)(b & 0x7f) << shift;
				shift += 7;
				if (!(b & 0x80)) {
					it->next_index = x + d;
					it->have_next = true;
					break;
				}
			}
			if (x > it->after) {
				it->after = x;
				*index = x;
				return WB_OK;
			}
		}
		if (it->c == NULL) {
			return WB_ENOTFOUND;
		}
		rc = wb_cursor_next(it->c, &k, &v);
		if (rc != WB_OK || !load_record(it, &k, &v)) {
			wb_cursor_close(it->c);
			it->c = NULL;
			return rc == WB_OK || rc == WB_ENOTFOUND ? WB_ENOTFOUND
			                                         : rc;
		}
	}
}

void
wb_posting_iter_close(wb_posting_iter *it)
{
	wb_cursor_close(it->c);
	it->c = NULL;
}
