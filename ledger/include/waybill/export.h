/* SPDX-License-Identifier: MIT */
/*
 * export.h - self-verifying exports of a journal range.
 *
 * An export of [from, to) holds, as a stream of length-delimited protobuf
 * items (proto ExportItem): a header with the genesis entry (and, when from
 * > 0, its inclusion proof), the log key's checkpoint of tree size `to` and
 * the hashes of the perfect subtrees covering [0, from); then every
 * registry entry before `from`, each with its inclusion proof; then the
 * entries of the range in order, each with the leaf hash the ledger stored
 * when it appended it. With the ledger's public keys alone an auditor
 * verifies every signature, each key's validity, the chain links inside the
 * range and the range against the checkpoint; a cut-off tail or a missing
 * entry is detected, and an entry changed in the copy is named by its
 * carried leaf hash. An export from index 0 is also replayed
 * through every append rule (see verify.h).
 *
 * THREAD SAFETY: reentrant; the journal may keep appending while an export
 * is written (it reads a fixed prefix).
 */
#ifndef WAYBILL_EXPORT_H
#define WAYBILL_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "waybill/err.h"
#include "waybill/hash.h"
#include "waybill/journal.h"

/* The largest item an export may hold (an entry with a 1 MiB stamp fits
 * many times over); a reader refuses anything larger before allocating. */
#define WB_EXPORT_MAX_ITEM (16u << 20)

typedef struct wb_arena wb_arena;

typedef struct {
	uint32_t format_version;
	const uint8_t *genesis;
	size_t genesis_len;
	const wb_hash *genesis_proof;
	size_t n_genesis_proof;
	uint64_t from;
	uint64_t to;
	const char *checkpoint;
	const wb_hash *left_hashes;
	size_t n_left_hashes;
	uint64_t registry_count;

	wb_arena *arena_;
} wb_export_header;

typedef struct {
	uint64_t index;
	const uint8_t *entry;
	size_t entry_len;
	const wb_hash *proof;
	size_t n_proof;
	/* The leaf hash the ledger stored for the entry when it appended it
	 * (proto ExportEntry.leaf_hash); NULL when the item carries none, as
	 * in exports written before the field existed. Read back as carried:
	 * a length other than WB_HASH_LEN is for the verifier to report. */
	const uint8_t *leaf_hash;
	size_t leaf_hash_len;

	wb_arena *arena_;
} wb_export_entry;

/**
 * Writes the export of [from, to) to f. `to` must be a tree size with a
 * checkpoint (the end of a commit); 0 means the latest checkpoint.
 * @return WB_OK, WB_EINVAL (from >= to, or to beyond the tree),
 * WB_ENOTFOUND (no checkpoint at `to`), WB_EIO (writing failed).
 */
wb_err wb_export_write(FILE *f, wb_journal *j, uint64_t from, uint64_t to);

/**
 * Writes one page of the export of [from, *to) to f, for servers that send
 * an export in pieces. *to == 0 means the latest checkpoint's size, and is
 * replaced by the size used. cursor 0 writes the header, the registry
 * prefix and the first entries; a cursor returned in *next_cursor writes
 * the next entries; at most max_entries entries per page; *next_cursor is 0
 * after the last page. Concatenated in order, the pages are the export.
 * @return as wb_export_write.
 */
wb_err wb_export_write_page(FILE *f, wb_journal *j, uint64_t from, uint64_t *to,
                            uint64_t cursor, uint64_t max_entries,
                            uint64_t *next_cursor);

/**
 * Serialises one item (exactly one of h and e), length-delimited, into
 * malloc'd bytes (free()).
 * @return WB_OK, WB_EINVAL, WB_ENOMEM.
 */
wb_err wb_export_item_encode(uint8_t **out, size_t *len_out,
                             const wb_export_header *h,
                             const wb_export_entry *e);

/**
 * Reads the next length-delimited item from f: a header or an entry lands
 * in *h_out or *e_out (the other is NULL); free with the _free functions.
 * @return WB_OK, WB_ENOTFOUND (clean end of file), WB_EPROTO (a truncated
 * or malformed item, or one over WB_EXPORT_MAX_ITEM), WB_EIO, WB_ENOMEM.
 */
wb_err wb_export_item_read(wb_export_header **h_out, wb_export_entry **e_out,
                           FILE *f);

void wb_export_header_free(wb_export_header *h);
void wb_export_entry_free(wb_export_entry *e);

#endif
