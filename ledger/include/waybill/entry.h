/* SPDX-License-Identifier: MIT */
/*
 * entry.h - journal entries (the Merkle leaves) and receipts, decoded.
 *
 * An entry is what the journal appends: its index, record time, one body
 * (the genesis, a signed stamp, or a signed registry change) and, for each
 * twin the body touches, the index and leaf hash of that twin's previous
 * entry (the per-twin chain). The serialised entry is the Merkle leaf input.
 *
 * Ownership: decoded entries and receipts own their memory (one arena) and
 * are released with their _free function; pointers into them are borrowed.
 *
 * THREAD SAFETY: reentrant.
 */
#ifndef WAYBILL_ENTRY_H
#define WAYBILL_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/hash.h"
#include "waybill/sig.h"

#define WB_FORMAT_VERSION 1

typedef enum {
	WB_ENTRY_GENESIS = 1,
	WB_ENTRY_STAMP,
	WB_ENTRY_REGISTRY,
} wb_entry_type;

typedef enum {
	WB_CUSTODY_ADVISORY = 1, /* a custodian's act by another is flagged */
	WB_CUSTODY_STRICT,       /* ... or refused */
} wb_custody;

/* The defaults of the limits fixed at genesis. */
#define WB_DEFAULT_MAX_IDS         10000
#define WB_DEFAULT_MAX_ATTRIBUTES  256
#define WB_DEFAULT_MAX_STAMP_BYTES (1024 * 1024)

typedef struct {
	uint32_t format_version;
	const char *origin;
	wb_pubkey log_key;
	wb_pubkey admin_key;
	wb_custody custody;
	uint32_t max_ids;
	uint32_t max_attributes;
	uint32_t max_stamp_bytes;
	const char *admin_key_name; /* NULL when not recorded */
} wb_genesis;

typedef struct {
	const char *twin; /* canonical key */
	bool has_prev;
	uint64_t prev_index;
	wb_hash prev_leaf_hash;
} wb_link;

typedef struct wb_arena wb_arena;

typedef struct {
	uint64_t index;
	uint64_t record_time_us;
	wb_entry_type type;
	wb_genesis genesis; /* WB_ENTRY_GENESIS */
	/* WB_ENTRY_STAMP and WB_ENTRY_REGISTRY: the signed bytes */
	const uint8_t *body;
	size_t body_len;
	wb_pubkey signer;
	uint8_t signature[WB_SIG_LEN];
	const wb_link *links;
	size_t n_links;

	wb_arena *arena_;
} wb_entry;

/**
 * Serialises an entry into malloc'd bytes (free()).
 * @return WB_OK, WB_EINVAL, WB_ENOMEM.
 */
wb_err wb_entry_encode(uint8_t **out, size_t *len_out, const wb_entry *e);

/**
 * Parses entry bytes (wb_entry_free). Keys must be 32 bytes, signatures 64
 * and link hashes 32; exactly one body must be present.
 * @return WB_OK, WB_EPROTO, WB_ENOMEM.
 */
wb_err wb_entry_decode(wb_entry **out, const uint8_t *bytes, size_t len);

/** Frees a decoded entry; NULL is allowed. */
void wb_entry_free(wb_entry *e);

/* A receipt: the entry, its index, a checkpoint and the inclusion proof. */
typedef struct {
	const uint8_t *entry;
	size_t entry_len;
	uint64_t index;
	const char *checkpoint;
	const wb_hash *proof;
	size_t n_proof;

	wb_arena *arena_;
} wb_receipt;

/**
 * Serialises a receipt into malloc'd bytes (free()).
 * @return WB_OK, WB_EINVAL, WB_ENOMEM.
 */
wb_err wb_receipt_encode(uint8_t **out, size_t *len_out, const wb_receipt *r);

/**
 * Parses receipt bytes (wb_receipt_free); proof nodes must be 32 bytes.
 * @return WB_OK, WB_EPROTO, WB_ENOMEM.
 */
wb_err wb_receipt_decode(wb_receipt **out, const uint8_t *bytes, size_t len);

/** Frees a decoded receipt; NULL is allowed. */
void wb_receipt_free(wb_receipt *r);

/** What the offline check of a receipt found. */
typedef struct {
	uint64_t index;
	uint64_t tree_size;
	wb_hash root;
	wb_hash leaf_hash;
} wb_receipt_info;

/**
 * Verifies a receipt offline with the log's public key alone: the entry
 * decodes and carries the receipt's index; when stamp is not NULL, the entry
 * holds exactly those stamp bytes and that signature; SHA-256(0x00||entry)
 * leads through the proof to the checkpoint's root; the checkpoint is signed
 * by the log key under the origin's name (its key ID included).
 * @return WB_OK, WB_EPROTO (malformed receipt or checkpoint), WB_EBADSIG
 * (proof or signature fails, or the entry is not the given stamp).
 */
wb_err wb_receipt_verify(wb_receipt_info *info_out, const uint8_t *receipt,
                         size_t len, const char *origin,
                         const wb_pubkey *log_key, const uint8_t *stamp,
                         size_t stamp_len, const uint8_t signature[WB_SIG_LEN]);

#endif
