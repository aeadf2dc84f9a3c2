/* SPDX-License-Identifier: MIT */
/*
 * merkle.h - the RFC 9162 §2.1 Merkle tree: roots, inclusion and
 * consistency proofs, their verification, and incremental append.
 *
 * The tree is read through a callback that returns the hash of a perfect
 * subtree: (level, index) covers leaves [index << level, (index+1) << level),
 * and level 0 is the leaf hash. Every perfect subtree that RFC 9162's
 * decomposition uses is aligned like this, so a store that keeps these nodes
 * (the journal) answers a root or proof in O(log n) reads, and
 * wb_merkle_append() tells it which nodes an append completes.
 *
 * Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 strictly: hashes and
 * proof nodes are exactly 32 bytes; leaf_index >= tree_size fails; a
 * consistency proof from size 0 fails; at equal sizes the proof must be empty
 * and the roots equal as raw bytes (of any length).
 *
 * THREAD SAFETY: pure; thread-safe if the callbacks are.
 */
#ifndef WAYBILL_MERKLE_H
#define WAYBILL_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/hash.h"

/* The deepest proof of a tree of at most 2^64 leaves. */
#define WB_MERKLE_MAX_PROOF 64

/** Returns the hash of the perfect subtree (level, index). */
typedef wb_err (*wb_merkle_get_fn)(wb_hash *out, unsigned level, uint64_t index,
                                   void *arg);

/** Receives a perfect subtree hash completed by an append. */
typedef wb_err (*wb_merkle_put_fn)(unsigned level, uint64_t index,
                                   const wb_hash *hash, void *arg);

/**
 * The root of the first `size` leaves (size 0: SHA-256 of nothing).
 * @return WB_OK, or what the callback returns.
 */
wb_err wb_merkle_root(wb_hash *out, uint64_t size, wb_merkle_get_fn get,
                      void *arg);

/**
 * The inclusion proof (audit path) of leaf `index` in the tree of `size`
 * leaves, RFC 9162 §2.1.3.1. proof_out must hold WB_MERKLE_MAX_PROOF hashes.
 * @return WB_OK, WB_EINVAL (index >= size), or the callback's error.
 */
wb_err wb_merkle_inclusion_proof(wb_hash *proof_out, size_t *n_out,
                                 uint64_t index, uint64_t size,
                                 wb_merkle_get_fn get, void *arg);

/**
 * The consistency proof between sizes m and n, RFC 9162 §2.1.4.1.
 * proof_out must hold WB_MERKLE_MAX_PROOF hashes. m == n gives an empty
 * proof.
 * @return WB_OK, WB_EINVAL (m == 0 or m > n), or the callback's error.
 */
wb_err wb_merkle_consistency_proof(wb_hash *proof_out, size_t *n_out,
                                   uint64_t m, uint64_t n, wb_merkle_get_fn get,
                                   void *arg);

/**
 * Verifies an inclusion proof given as raw bytes: leaf hash, the proof's
 * concatenated nodes (proof_len bytes), and the expected root.
 * @return WB_OK, or WB_EBADSIG when it does not verify for any reason.
 */
wb_err wb_merkle_verify_inclusion(const uint8_t *leaf_hash, size_t leaf_len,
                                  uint64_t index, uint64_t size,
                                  const uint8_t *proof, size_t proof_len,
                                  const uint8_t *root, size_t root_len)
        __attribute__((warn_unused_result));

/**
 * Verifies a consistency proof between (size1, root1) and (size2, root2),
 * the proof given as concatenated raw nodes.
 * @return WB_OK, or WB_EBADSIG when it does not verify for any reason.
 */
wb_err wb_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                    const uint8_t *root1, size_t root1_len,
                                    const uint8_t *root2, size_t root2_len,
                                    const uint8_t *proof, size_t proof_len)
        __attribute__((warn_unused_result));

/**
 * Records leaf `index` (which must be the next leaf): calls put for the
 * leaf (level 0) and for every perfect subtree it completes, reading the
 * left siblings through get.
 * @return WB_OK, or a callback's error.
 */
wb_err wb_merkle_append(uint64_t index, const wb_hash *leaf_hash,
                        wb_merkle_get_fn get, wb_merkle_put_fn put, void *arg);

/*
 * An in-memory tree over an array of leaf hashes, for tests, the verifier
 * and small exports: pass wb_merkle_mem_get with a wb_merkle_mem as arg.
 */
typedef struct {
	const wb_hash *leaves;
	uint64_t n;
} wb_merkle_mem;

/** A wb_merkle_get_fn over a wb_merkle_mem (computes nodes on demand). */
wb_err wb_merkle_mem_get(wb_hash *out, unsigned level, uint64_t index,
                         void *arg);

#endif
