/* SPDX-License-Identifier: MIT */
/*
 * search.c - stamps by bizStep, disposition, read point, business
 * location, stakeholder, event-time and record-time ranges (EPCIS-style
 * simple queries), paged by index.
 *
 * The most selective kind of filter given drives the scan: an equality
 * filter walks its postings (postings.c) in index order; otherwise the
 * journal itself is walked from the first entry the record-time range
 * allows (record times never go back). Every candidate is then checked
 * against all filters. A page stops after SCAN_BUDGET candidates, with a
 * cursor to continue, so no request runs unbounded.
 */
#include <stdlib.h>
#include <string.h>

#include "query.h"

#define SEARCH_DEFAULT_LIMIT 100
#define SEARCH_MAX_LIMIT     1000
#define SCAN_BUDGET          100000

static bool
time_le(const wb_time *a, const wb_time *b)
{
	return a->seconds != b->seconds ? a->seconds < b->seconds
	                                : a->nanos <= b->nanos;
}

/* Whether entry `index` matches every filter. */
static bool
matches(wb_txn *t, const wb_search_query *q, uint64_t index)
{
	uint8_t k[8];
	wb_entry *e = NULL;
	wb_stamp *s = NULL;
	wb_key_record kr;
	bool ok = false;
	wb_val v;

	wb_be64_put(k, index);
	if (wb_db_get(t, WB_DB_JOURNAL, k, 8, &v) != WB_OK ||
	    wb_entry_decode(&e, v.data, v.len) != WB_OK ||
	    e->type != WB_ENTRY_STAMP ||
	    wb_stamp_decode(&s, e->body, e->body_len) != WB_OK) {
		goto out;
	}
	if ((q->biz_step != NULL &&
	     (s->biz_step == NULL ||
	      strcmp(wb_cbv_word(s->biz_step), wb_cbv_word(q->biz_step)))) ||
	    (q->disposition != NULL &&
	     (s->disposition == NULL || strcmp(wb_cbv_word(s->disposition),
	                                       wb_cbv_word(q->disposition)))) ||
	    (q->read_point != NULL &&
	     (s->read_point == NULL ||
	      strcmp(s->read_point->id, q->read_point))) ||
	    (q->biz_location != NULL &&
	     (s->biz_location == NULL ||
	      strcmp(s->biz_location->id, q->biz_location))) ||
	    (q->has_event_from && !time_le(&q->event_from, &s->event_time)) ||
	    (q->has_event_to && !time_le(&s->event_time, &q->event_to)) ||
	    (q->has_record_from && e->record_time_us < q->record_from_us) ||
	    (q->has_record_to && e->record_time_us > q->record_to_us)) {
		goto out;
	}
	if (q->has_stakeholder &&
	    (wb_reg_key_get(t, &e->signer, &kr) != WB_OK ||
	     kr.stakeholder != q->stakeholder)) {
		goto out;
	}
	ok = true;
out:
	wb_stamp_free(s);
	wb_entry_free(e);
	return ok;
}

/* The equality filter that drives the scan: its field and value. */
static bool
driver(const wb_search_query *q, uint8_t *field, uint8_t value[8])
{
	if (q->has_stakeholder) {
		*field = WB_SEARCH_STAKEHOLDER;
		wb_be64_put(value, q->stakeholder);
	} else if (q->read_point != NULL) {
		*field = WB_SEARCH_READ_POINT;
		wb_search_value(value, q->read_point);
	} else if (q->biz_location != NULL) {
		*field = WB_SEARCH_BIZ_LOCATION;
		wb_search_value(value, q->biz_location);
	} else if (q->disposition != NULL) {
		*field = WB_SEARCH_DISPOSITION;
		wb_search_value(value, wb_cbv_word(q->disposition));
	} else if (q->biz_step != NULL) {
		*field = WB_SEARCH_BIZ_STEP;
		wb_search_value(value, wb_cbv_word(q->biz_step));
	} else {
		return false;
	}
	return true;
}

/* The first index whose record time is at least `us` (binary search:
 * record times never go back). */
static wb_err
first_at(wb_txn *t, uint64_t size, uint64_t us, uint64_t *out)
{
	uint64_t lo = 1, hi = size;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		uint8_t k[8];
		wb_entry *e = NULL;
		wb_val v;

		wb_be64_put(k, mid);
		if (wb_db_get(t, WB_DB_JOURNAL, k, 8, &v) != WB_OK ||
		    wb_entry_decode(&e, v.data, v.len) != WB_OK) {
			return WB_ECORRUPT;
		}
		if (e->record_time_us < us) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
		wb_entry_free(e);
	}
	*out = lo;
	return WB_OK;
}

wb_err
wb_search(uint64_t **out, size_t *n_out, uint64_t *next, wb_journal *j,
          const wb_search_query *q)
{
	size_t limit = q->limit ? q->limit : SEARCH_DEFAULT_LIMIT;
	uint64_t *v = NULL, size, candidate = 0, last = q->after;
	size_t n = 0, scanned = 0;
	uint8_t field, value[8];
	wb_posting_iter it = { 0 };
	bool indexed;
	wb_txn t = { 0 };
	wb_err rc;

	*out = NULL;
	*n_out = 0;
	*next = 0;
	limit = limit > SEARCH_MAX_LIMIT ? SEARCH_MAX_LIMIT : limit;
	if ((v = calloc(limit, sizeof(*v))) == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		free(v);
		return rc;
	}
	if ((rc = wb_journal_size_txn(&t, &size)) != WB_OK) {
		goto out;
	}
	indexed = driver(q, &field, value);
	if (indexed) {
		if ((rc = wb_posting_iter_open(&it, &t, field, value,
		                               q->after)) != WB_OK) {
			goto out;
		}
		rc = wb_posting_iter_next(&it, &candidate);
	} else {
		candidate = q->after + 1;
		if (q->has_record_from &&
		    (rc = first_at(&t, size, q->record_from_us, &candidate)) !=
		            WB_OK) {
			goto out;
		}
		candidate = candidate <= q->after ? q->after + 1 : candidate;
	}
	while (rc == WB_OK && n < limit && scanned < SCAN_BUDGET) {
		if (!indexed && candidate >= size) {
			break;
		}
		scanned++;
		last = candidate;
		if (matches(&t, q, candidate)) {
			v[n++] = candidate;
		}
		if (indexed) {
			rc = wb_posting_iter_next(&it, &candidate);
		} else {
			candidate++;
		}
	}
	if (rc == WB_ENOTFOUND) {
		rc = WB_OK;
	} else if (rc == WB_OK && (n == limit || scanned == SCAN_BUDGET)) {
		/* More may follow: continue after what was looked at. */
		*next = last;
	}
	if (rc == WB_OK) {
		*out = v;
		*n_out = n;
		v = NULL;
	}
out:
	wb_posting_iter_close(&it);
	wb_txn_abort(&t);
	free(v);
	return rc;
}
