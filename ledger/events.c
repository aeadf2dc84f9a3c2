/* SPDX-License-Identifier: MIT */
/*
 * events.c - the event-ID index (private): which entry, if any, already
 * used an event ID (per stakeholder) or a registry change ID.
 *
 * Event IDs are random (UUIDs, EPCIS hash IDs), so a B-tree keyed by them
 * dirties a different page for every stamp of a group commit: measured, it
 * made up most of the bytes a commit wrote. Instead the journal keeps an
 * append-only table index -> 64-bit fingerprint (every put an MDB_APPEND),
 * and the writer keeps fingerprint -> index in memory, loaded on the first
 * append. A fingerprint match is only a candidate: the entry it names is
 * read and compared in full, so a collision costs a read, never a wrong
 * answer. Readers never need the table.
 *
 * The in-memory table changes inside a write transaction that may still
 * abort (a full map, an atomic refusal): additions are logged and undone
 * by wb_events_rollback().
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "journal_impl.h"

#define LOAD_PERCENT 60

/*
 * The table grows with the ledger (16 bytes a slot, at most 60% used). Its
 * arrays come straight from mmap, zeroed, and go back with munmap, in one
 * mapping: from malloc, a table of a few MiB freed when it doubles stays
 * in the heap, and each doubling would leave the last one resident.
 */
static wb_err
table_alloc(struct wb_event_table *t, size_t cap)
{
	size_t half = cap * sizeof(*t->fp);
	void *p = mmap(NULL, 2 * half, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		return WB_ENOMEM;
	}
	t->cap = cap;
	t->fp = p;
	t->index = (uint64_t *)((uint8_t *)p + half);
	return WB_OK;
}

static void
table_free(struct wb_event_table *t)
{
	if (t->fp != NULL) {
		munmap(t->fp, 2 * t->cap * sizeof(*t->fp));
	}
	t->fp = NULL;
	t->index = NULL;
}

static size_t
slot_of(const struct wb_event_table *t, uint64_t fp)
{
	/* fp is a hash already: its low bits spread well. */
	return (size_t)(fp & (t->cap - 1));
}

wb_err
wb_event_table_insert(struct wb_event_table *t, uint64_t fp, uint64_t index)
{
	size_t i;

	if ((t->n + 1) * 100 > t->cap * LOAD_PERCENT) {
		struct wb_event_table bigger = { 0 };

		if (table_alloc(&bigger, t->cap ? t->cap * 2 : 1024) != WB_OK) {
			return WB_ENOMEM;
		}
		for (size_t k = 0; k < t->cap; k++) {
			if (t->index[k] != 0) {
				(void)wb_event_table_insert(&bigger, t->fp[k],
				                            t->index[k]);
			}
		}
		table_free(t);
		t->fp = bigger.fp;
		t->index = bigger.index;
		t->cap = bigger.cap;
	}
	/* Index 0 is the genesis, never an event: it marks an empty slot. */
	for (i = slot_of(t, fp); t->index[i] != 0; i = (i + 1) & (t->cap - 1)) {
	}
	t->fp[i] = fp;
	t->index[i] = index;
	t->n++;
	return WB_OK;
}

/* Removes (fp, index) with backward-shift deletion, which keeps every
 * other entry reachable from its home slot without tombstones. */
void
wb_event_table_remove(struct wb_event_table *t, uint64_t fp, uint64_t index)
{
	size_t i, j;

	if (t->cap == 0) {
		return;
	}
	for (i = slot_of(t, fp); t->index[i] != 0; i = (i + 1) & (t->cap - 1)) {
		if (t->fp[i] == fp && t->index[i] == index) {
			break;
		}
	}
	if (t->index[i] == 0) {
		return;
	}
	t->index[i] = 0;
	t->n--;
	for (j = (i + 1) & (t->cap - 1); t->index[j] != 0;
	     j = (j + 1) & (t->cap - 1)) {
		size_t home = slot_of(t, t->fp[j]);

		/* Move j back to i unless its home lies cyclically in
		 * (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			t->fp[i] = t->fp[j];
			t->index[i] = t->index[j];
			t->index[j] = 0;
			i = j;
		}
	}
}

uint64_t
wb_events_fp(uint64_t stakeholder, uint8_t tag, const char *id)
{
	wb_buf b = { 0 };
	wb_hash h;
	uint64_t fp = 0;

	wb_buf_put_u64(&b, stakeholder);
	wb_buf_put_u8(&b, tag);
	wb_buf_put(&b, id, strlen(id));
	if (!b.failed) {
		wb_hash_sha256(&h, b.data, b.len);
		for (int i = 0; i < 8; i++) {
			fp = fp << 8 | h.b[i];
		}
	}
	wb_buf_fini(&b);
	return fp;
}

wb_err
wb_events_load(wb_journal *j, wb_txn *t)
{
	wb_cursor *c = NULL;
	wb_val k, v;
	wb_err rc;

	if (j->events.loaded) {
		return WB_OK;
	}
	if ((rc = wb_cursor_open(&c, t, WB_DB_EVENTS)) != WB_OK) {
		return rc;
	}
	for (rc = wb_cursor_seek(c, NULL, 0, &k, &v); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, &v)) {
		if (k.len != 8 || v.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		if ((rc = wb_event_table_insert(&j->events, wb_be64_get(v.data),
		                                wb_be64_get(k.data))) !=
		    WB_OK) {
			break;
		}
	}
	wb_cursor_close(c);
	if (rc != WB_ENOTFOUND) {
		wb_events_fini(&j->events); /* the next append starts over */
		return rc;
	}
	j->events.loaded = true;
	return WB_OK;
}

size_t
wb_events_find(wb_journal *j, uint64_t fp, uint64_t *out, size_t max)
{
	return wb_event_table_find(&j->events, fp, out, max);
}

size_t
wb_event_table_find(const struct wb_event_table *t, uint64_t fp, uint64_t *out,
                    size_t max)
{
	size_t n = 0;

	if (t->cap == 0) {
		return 0;
	}
	for (size_t i = slot_of(t, fp); t->index[i] != 0 && n < max;
	     i = (i + 1) & (t->cap - 1)) {
		if (t->fp[i] == fp) {
			out[n++] = t->index[i];
		}
	}
	return n;
}

wb_err
wb_events_add(wb_journal *j, wb_txn *t, uint64_t fp, uint64_t index)
{
	struct wb_event_table *e = &j->events;
	uint8_t key[8], val[8];
	wb_err rc;

	if (e->n_added == e->cap_added) {
		size_t cap = e->cap_added ? e->cap_added * 2 : 1024;
		uint64_t *v = realloc(e->added, 2 * cap * sizeof(*v));

		if (v == NULL) {
			return WB_ENOMEM;
		}
		e->added = v;
		e->cap_added = cap;
	}
	wb_be64_put(key, index);
	wb_be64_put(val, fp);
	if ((rc = wb_db_put(t, WB_DB_EVENTS, key, 8, val, 8, WB_PUT_APPEND)) !=
	            WB_OK ||
	    (rc = wb_event_table_insert(e, fp, index)) != WB_OK) {
		return rc;
	}
	e->added[2 * e->n_added] = fp;
	e->added[2 * e->n_added + 1] = index;
	e->n_added++;
	return WB_OK;
}

void
wb_events_rollback(wb_journal *j)
{
	struct wb_event_table *e = &j->events;

	while (e->n_added > 0) {
		e->n_added--;
		wb_event_table_remove(e, e->added[2 * e->n_added],
		                      e->added[2 * e->n_added + 1]);
	}
}

void
wb_events_commit(wb_journal *j)
{
	j->events.n_added = 0;
}

void
wb_events_fini(struct wb_event_table *e)
{
	table_free(e);
	free(e->added);
	memset(e, 0, sizeof(*e));
}

/* Whether entry `index` carries this event key; *same tells whether its
 * signed body is also byte for byte `body`. */
static wb_err
candidate_matches(wb_txn *t, uint64_t index, uint64_t stakeholder, uint8_t tag,
                  const char *id, bool registry, const uint8_t *body,
                  size_t len, bool *match, bool *same)
{
	uint8_t key[8];
	wb_entry *e = NULL;
	wb_key_record kr;
	wb_val v;
	wb_err rc;

	*match = *same = false;
	wb_be64_put(key, index);
	if ((rc = wb_db_get(t, WB_DB_JOURNAL, key, 8, &v)) != WB_OK ||
	    (rc = wb_entry_decode(&e, v.data, v.len)) != WB_OK) {
		return rc == WB_ENOTFOUND || rc == WB_EPROTO ? WB_ECORRUPT : rc;
	}
	if (registry) {
		wb_registry_change *c = NULL;

		*match = e->type == WB_ENTRY_REGISTRY &&
		         wb_registry_change_decode(&c, e->body, e->body_len) ==
		                 WB_OK &&
		         strcmp(c->change_id, id) == 0;
		wb_registry_change_free(c);
	} else if (e->type == WB_ENTRY_STAMP &&
	           wb_reg_key_get(t, &e->signer, &kr) == WB_OK &&
	           kr.stakeholder == stakeholder) {
		wb_stamp *s = NULL;

		*match = wb_stamp_decode(&s, e->body, e->body_len) == WB_OK &&
		         strcmp(s->event_id, id) == 0 &&
		         (s->error_declaration != NULL) == (tag != 0);
		wb_stamp_free(s);
	}
	*same = *match && body != NULL && e->body_len == len &&
	        memcmp(e->body, body, len) == 0;
	wb_entry_free(e);
	return WB_OK;
}

wb_err
wb_events_lookup(wb_journal *j, wb_txn *t, uint64_t stakeholder, uint8_t tag,
                 const char *id, bool registry, const uint8_t *body, size_t len,
                 uint64_t *index, bool *same)
{
	uint64_t cand[16];
	size_t n;
	wb_err rc;

	if ((rc = wb_events_load(j, t)) != WB_OK) {
		return rc;
	}
	n = wb_events_find(j, wb_events_fp(stakeholder, tag, id), cand, 16);
	for (size_t i = 0; i < n; i++) {
		bool match;

		if ((rc = candidate_matches(t, cand[i], stakeholder, tag, id,
		                            registry, body, len, &match,
		                            same)) != WB_OK) {
			return rc;
		}
		if (match) {
			*index = cand[i];
			return WB_OK; /* a fingerprint collision otherwise */
		}
	}
	return WB_ENOTFOUND;
}
