/* SPDX-License-Identifier: MIT */
/*
 * export.c - writing a self-verifying export of a journal range (see
 * waybill/export.h). Entries below `to` never change, so the export reads
 * in short transactions, one page at a time, while appends go on.
 */
#include "waybill/export.h"

#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"

/* Entries read per read transaction. */
#define PAGE 1024

static wb_err
put_item(FILE *f, const wb_export_header *h, const wb_export_entry *e)
{
	uint8_t *bytes = NULL;
	size_t len;
	wb_err rc = wb_export_item_encode(&bytes, &len, h, e);

	if (rc == WB_OK && fwrite(bytes, 1, len, f) != len) {
		rc = WB_EIO;
	}
	free(bytes);
	return rc;
}

/* The perfect subtrees covering [0, from), left to right: one per set bit
 * of `from`, largest first. */
static wb_err
left_hashes(wb_txn *t, uint64_t from, wb_hash *out, size_t *n_out)
{
	uint64_t offset = 0;
	size_t n = 0;
	wb_err rc;

	for (int level = 63; level >= 0; level--) {
		if (!(from & ((uint64_t)1 << level))) {
			continue;
		}
		rc = wb_journal_node_get(&out[n++], (unsigned)level,
		                         offset >> level, t);
		if (rc != WB_OK) {
			return rc;
		}
		offset += (uint64_t)1 << level;
	}
	*n_out = n;
	return WB_OK;
}

/* The indexes of registry entries before `from`. */
static wb_err
registry_before(wb_txn *t, uint64_t from, uint64_t **out, size_t *n_out)
{
	wb_cursor *c = NULL;
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;
	wb_val k;
	wb_err rc;

	if ((rc = wb_cursor_open(&c, t, WB_DB_REGLOG)) != WB_OK) {
		return rc;
	}
	for (rc = wb_cursor_seek(c, NULL, 0, &k, NULL); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, NULL)) {
		uint64_t i;

		if (k.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		if ((i = wb_be64_get(k.data)) >= from) {
			break;
		}
		if (n == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*nv))) == NULL) {
				rc = WB_ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = i;
	}
	wb_cursor_close(c);
	if (rc != WB_OK && rc != WB_ENOTFOUND) {
		free(v);
		return rc;
	}
	*out = v;
	*n_out = n;
	return WB_OK;
}

/*
 * Writes entry `index` with (optionally) its inclusion proof at `to`, and
 * the leaf hash stored for it when it was appended (the level-0 Merkle
 * node). The bytes are copied as stored, not checked against that hash:
 * the auditor compares the two, so an entry damaged on disk or in the copy
 * is named at its own index rather than through a later entry's chain link
 * or the root at the end.
 */
static wb_err
put_entry(FILE *f, wb_txn *t, uint64_t index, uint64_t to, bool prove)
{
	wb_hash proof[WB_MERKLE_MAX_PROOF], leaf;
	wb_export_entry e = { .index = index };
	uint8_t key[8];
	wb_val v;
	wb_err rc;

	if ((rc = wb_journal_node_get(&leaf, 0, index, t)) != WB_OK) {
		return rc;
	}
	e.leaf_hash = leaf.b;
	e.leaf_hash_len = WB_HASH_LEN;
	wb_be64_put(key, index);
	if ((rc = wb_db_get(t, WB_DB_JOURNAL, key, 8, &v)) != WB_OK) {
		return rc == WB_ENOTFOUND ? WB_ECORRUPT : rc;
	}
	e.entry = v.data;
	e.entry_len = v.len;
	if (prove) {
		if ((rc = wb_merkle_inclusion_proof(proof, &e.n_proof, index,
		                                    to, wb_journal_node_get,
		                                    t)) != WB_OK) {
			return rc;
		}
		e.proof = proof;
	}
	return put_item(f, NULL, &e);
}

static wb_err
write_head(FILE *f, wb_journal *j, uint64_t from, uint64_t *to, uint64_t **reg,
           size_t *n_reg)
{
	wb_hash gproof[WB_MERKLE_MAX_PROOF], left[64];
	wb_export_header h = { .format_version = WB_FORMAT_VERSION };
	char *note = NULL;
	uint8_t key[8] = { 0 };
	uint64_t size;
	wb_txn t = { 0 };
	wb_val v;
	wb_err rc;

	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_journal_size_txn(&t, &size)) != WB_OK) {
		goto out;
	}
	if (*to == 0) {
		*to = size; /* every commit ends at a checkpoint */
	}
	if (*to > size || from >= *to) {
		rc = WB_EINVAL;
		goto out;
	}
	wb_be64_put(key, *to);
	if ((rc = wb_db_get(&t, WB_DB_CHECKPOINTS, key, 8, &v)) != WB_OK) {
		goto out;
	}
	if ((note = malloc(v.len + 1)) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	memcpy(note, v.data, v.len);
	note[v.len] = '\0';
	h.checkpoint = note;
	h.from = from;
	h.to = *to;
	wb_be64_put(key, 0);
	if ((rc = wb_db_get(&t, WB_DB_JOURNAL, key, 8, &v)) != WB_OK) {
		goto out;
	}
	h.genesis = v.data;
	h.genesis_len = v.len;
	if (from > 0 && (rc = wb_merkle_inclusion_proof(
	                         gproof, &h.n_genesis_proof, 0, *to,
	                         wb_journal_node_get, &t)) != WB_OK) {
		goto out;
	}
	h.genesis_proof = gproof;
	if ((rc = left_hashes(&t, from, left, &h.n_left_hashes)) != WB_OK ||
	    (rc = registry_before(&t, from, reg, n_reg)) != WB_OK) {
		goto out;
	}
	h.left_hashes = left;
	h.registry_count = *n_reg;
	if ((rc = put_item(f, &h, NULL)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < *n_reg && rc == WB_OK; i++) {
		rc = put_entry(f, &t, (*reg)[i], *to, true);
	}
out:
	wb_txn_abort(&t);
	free(note);
	return rc;
}

/* Writes entries [first, end). */
static wb_err
put_entries(FILE *f, wb_journal *j, uint64_t first, uint64_t end, uint64_t to)
{
	wb_err rc = WB_OK;

	for (uint64_t page = first; page < end && rc == WB_OK; page += PAGE) {
		uint64_t stop = page + PAGE < end ? page + PAGE : end;
		wb_txn t = { 0 };

		if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
			break;
		}
		for (uint64_t i = page; i < stop && rc == WB_OK; i++) {
			rc = put_entry(f, &t, i, to, false);
		}
		wb_txn_abort(&t);
	}
	return rc;
}

wb_err
wb_export_write_page(FILE *f, wb_journal *j, uint64_t from, uint64_t *to,
                     uint64_t cursor, uint64_t max_entries,
                     uint64_t *next_cursor)
{
	uint64_t *reg = NULL, first, end, size;
	size_t n_reg = 0;
	char *note = NULL;
	wb_err rc;

	WB_CHECK_ARG(f && j && to && next_cursor && max_entries > 0);
	if (cursor == 0) {
		if ((rc = write_head(f, j, from, to, &reg, &n_reg)) != WB_OK) {
			goto out;
		}
		first = from;
	} else {
		/* A later page: the range must still end at a checkpoint. */
		if ((rc = wb_journal_size(&size, j)) != WB_OK) {
			goto out;
		}
		if (*to == 0 || *to > size || cursor - 1 < from ||
		    cursor - 1 >= *to) {
			rc = WB_EINVAL;
			goto out;
		}
		if ((rc = wb_journal_checkpoint(&note, j, *to)) != WB_OK) {
			goto out;
		}
		first = cursor - 1;
	}
	end = *to - first > max_entries ? first + max_entries : *to;
	if ((rc = put_entries(f, j, first, end, *to)) == WB_OK &&
	    fflush(f) != 0) {
		rc = WB_EIO;
	}
	*next_cursor = end < *to ? end + 1 : 0;
out:
	free(reg);
	free(note);
	return rc;
}

wb_err
wb_export_write(FILE *f, wb_journal *j, uint64_t from, uint64_t to)
{
	uint64_t cursor = 0;
	wb_err rc;

	WB_CHECK_ARG(f && j);
	do {
		rc = wb_export_write_page(f, j, from, &to, cursor, UINT64_MAX,
		                          &cursor);
	} while (rc == WB_OK && cursor != 0);
	return rc;
}
