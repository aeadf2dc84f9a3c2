/* SPDX-License-Identifier: MIT */
/*
 * twin.c - per-twin state records (private): the chain head, history
 * number and the state the append rules need.
 *
 * Records are small binary structs led by a version byte; they are derived
 * data, rebuilt from the journal by a replay. Twin numbers are handed out
 * in order of first appearance, so the history keys (twin number, index) of
 * new twins cluster at the end of the B-tree instead of scattering.
 */
#include "journal_impl.h"

#include <stdio.h>
#include <string.h>

#define TWIN_RECORD_VERSION 2

static const char META_NEXT_TWIN[] = "next_twin";

static void
put_order(wb_buf *b, const wb_order *o)
{
	wb_buf_put_u64(b, (uint64_t)o->seconds);
	wb_buf_put_u32(b, o->nanos);
	wb_buf_put_u64(b, o->index);
}

static void
read_order(wb_reader *r, wb_order *o)
{
	o->seconds = (int64_t)wb_read_u64(r);
	o->nanos = wb_read_u32(r);
	o->index = wb_read_u64(r);
}

wb_err
wb_twin_put(wb_txn *t, const char *key, const wb_twin_state *st)
{
	wb_buf b = { 0 };
	wb_err rc;

	wb_buf_put_u8(&b, TWIN_RECORD_VERSION);
	wb_buf_put_u64(&b, st->twin_no);
	wb_buf_put_u8(&b, st->has_head);
	wb_buf_put_u64(&b, st->head_index);
	wb_buf_put(&b, st->head_leaf.b, WB_HASH_LEN);
	wb_buf_put_u64(&b, st->n_entries);
	wb_buf_put_u64(&b, st->commissioner);
	wb_buf_put_u64(&b, st->commissioned_at);
	wb_buf_put_u64(&b, st->decommissioned_at);
	wb_buf_put_u64(&b, st->custodian);
	put_order(&b, &st->custody_at);
	wb_buf_put_u8(&b, st->in_transit);
	wb_buf_put_str(&b, st->destination);
	wb_buf_put_str(&b, st->container);
	put_order(&b, &st->container_at);
	wb_buf_put_str(&b, st->host);
	put_order(&b, &st->host_at);
	wb_buf_put_u64(&b, st->custody_gaps);
	wb_buf_put_u64(&b, st->last_gap_index);
	wb_buf_put_str(&b, st->id);
	wb_buf_put_str(&b, st->location);
	wb_buf_put_str(&b, st->read_point);
	put_order(&b, &st->location_at);
	wb_buf_put_str(&b, st->disposition);
	put_order(&b, &st->disposition_at);
	wb_buf_put_str(&b, st->persistent);
	wb_buf_put_u64(&b, st->owner);
	put_order(&b, &st->owner_at);
	wb_buf_put_u8(&b, st->sold);
	wb_buf_put_str(&b, st->packaging);
	wb_buf_put_u64(&b, st->packaging_index);
	wb_buf_put_str(&b, st->price);
	wb_buf_put_u64(&b, st->price_index);
	wb_buf_put_str(&b, st->discount);
	wb_buf_put_u64(&b, st->discount_index);
	put_order(&b, &st->first);
	put_order(&b, &st->last);
	if (b.failed) {
		wb_buf_fini(&b);
		return WB_ENOMEM;
	}
	rc = wb_db_put(t, WB_DB_TWINS, key, strlen(key), b.data, b.len, 0);
	wb_buf_fini(&b);
	return rc;
}

wb_err
wb_twin_get(wb_txn *t, const char *key, wb_twin_state *st)
{
	wb_reader r;
	wb_val v;
	wb_err rc;

	if ((rc = wb_db_get(t, WB_DB_TWINS, key, strlen(key), &v)) != WB_OK) {
		return rc;
	}
	memset(st, 0, sizeof(*st));
	wb_reader_init(&r, v.data, v.len);
	if (wb_read_u8(&r) != TWIN_RECORD_VERSION) {
		return WB_ECORRUPT;
	}
	st->twin_no = wb_read_u64(&r);
	st->has_head = wb_read_u8(&r) != 0;
	st->head_index = wb_read_u64(&r);
	wb_read_bytes(&r, st->head_leaf.b, WB_HASH_LEN);
	st->n_entries = wb_read_u64(&r);
	st->commissioner = wb_read_u64(&r);
	st->commissioned_at = wb_read_u64(&r);
	st->decommissioned_at = wb_read_u64(&r);
	st->custodian = wb_read_u64(&r);
	read_order(&r, &st->custody_at);
	st->in_transit = wb_read_u8(&r) != 0;
	wb_read_str(&r, st->destination, sizeof(st->destination));
	wb_read_str(&r, st->container, sizeof(st->container));
	read_order(&r, &st->container_at);
	wb_read_str(&r, st->host, sizeof(st->host));
	read_order(&r, &st->host_at);
	st->custody_gaps = wb_read_u64(&r);
	st->last_gap_index = wb_read_u64(&r);
	wb_read_str(&r, st->id, sizeof(st->id));
	wb_read_str(&r, st->location, sizeof(st->location));
	wb_read_str(&r, st->read_point, sizeof(st->read_point));
	read_order(&r, &st->location_at);
	wb_read_str(&r, st->disposition, sizeof(st->disposition));
	read_order(&r, &st->disposition_at);
	wb_read_str(&r, st->persistent, sizeof(st->persistent));
	st->owner = wb_read_u64(&r);
	read_order(&r, &st->owner_at);
	st->sold = wb_read_u8(&r) != 0;
	wb_read_str(&r, st->packaging, sizeof(st->packaging));
	st->packaging_index = wb_read_u64(&r);
	wb_read_str(&r, st->price, sizeof(st->price));
	st->price_index = wb_read_u64(&r);
	wb_read_str(&r, st->discount, sizeof(st->discount));
	st->discount_index = wb_read_u64(&r);
	read_order(&r, &st->first);
	read_order(&r, &st->last);
	return r.bad ? WB_ECORRUPT : WB_OK;
}

wb_err
wb_twin_new(wb_txn *t, const char *key, const char *id, wb_twin_state *st)
{
	uint8_t buf[8];
	uint64_t next = 1;
	wb_buf rec = { 0 };
	wb_val v;
	wb_err rc;

	rc = wb_db_get(t, WB_DB_META, META_NEXT_TWIN, strlen(META_NEXT_TWIN),
	               &v);
	if (rc == WB_OK && v.len == 8) {
		next = wb_be64_get(v.data);
	} else if (rc != WB_ENOTFOUND && rc != WB_OK) {
		return rc;
	}
	memset(st, 0, sizeof(*st));
	st->twin_no = next;
	snprintf(st->id, sizeof(st->id), "%s", id);
	wb_be64_put(buf, next + 1);
	if ((rc = wb_db_put(t, WB_DB_META, META_NEXT_TWIN,
	                    strlen(META_NEXT_TWIN), buf, 8, 0)) != WB_OK) {
		return rc;
	}
	/* Twin numbers grow: their names append at the end. */
	wb_buf_put_str(&rec, key);
	wb_buf_put_str(&rec, id);
	wb_be64_put(buf, next);
	rc = rec.failed ? WB_ENOMEM
	                : wb_db_put(t, WB_DB_TWIN_IDS, buf, 8, rec.data,
	                            rec.len, WB_PUT_APPEND);
	wb_buf_fini(&rec);
	return rc;
}

wb_err
wb_twin_name(wb_txn *t, uint64_t no, char key[WB_KEY_MAX + 1],
             char id[WB_ID_MAX + 1])
{
	uint8_t k[8];
	wb_reader r;
	wb_val v;
	wb_err rc;

	wb_be64_put(k, no);
	if ((rc = wb_db_get(t, WB_DB_TWIN_IDS, k, 8, &v)) != WB_OK) {
		return rc;
	}
	wb_reader_init(&r, v.data, v.len);
	wb_read_str(&r, key, WB_KEY_MAX + 1);
	wb_read_str(&r, id, WB_ID_MAX + 1);
	return r.bad ? WB_ECORRUPT : WB_OK;
}

wb_err
wb_twin_no(wb_txn *t, const char *key, uint64_t *out)
{
	wb_reader r;
	wb_val v;
	wb_err rc;

	if ((rc = wb_db_get(t, WB_DB_TWINS, key, strlen(key), &v)) != WB_OK) {
		return rc;
	}
	wb_reader_init(&r, v.data, v.len);
	if (wb_read_u8(&r) != TWIN_RECORD_VERSION) {
		return WB_ECORRUPT;
	}
	*out = wb_read_u64(&r);
	return r.bad ? WB_ECORRUPT : WB_OK;
}

wb_err
wb_twin_history_add(wb_txn *t, uint64_t twin_no, uint64_t index)
{
	uint8_t key[16];

	wb_be64_put(key, twin_no);
	wb_be64_put(key + 8, index);
	return wb_db_put(t, WB_DB_HISTORY, key, sizeof(key), "", 0, 0);
}
