/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: Merkle proof verification with attacker-chosen everything.
 * The input is carved into: a mode byte, two 64-bit sizes/indexes, then
 * lengths and bytes for the leaf hash (or first root), the root (or
 * second root) and the proof's concatenated nodes (any length, not only
 * multiples of 32). Sizes come small or huge (the mode byte's high bits
 * mask them), so both realistic and extreme trees are tried. A proof
 * generated in memory for the carved sizes is also checked to verify.
 */
#include <string.h>

#include "fuzz.h"
#include "waybill/hash.h"
#include "waybill/merkle.h"

/* Reads up to n bytes from the input into a u64 (little-endian). */
static uint64_t
take_u64(const uint8_t **d, size_t *n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8 && *n > 0; i++) {
		v |= (uint64_t) * *d << (8 * i);
		(*d)++;
		(*n)--;
	}
	return v;
}

/* A slice of the input of length given by one byte (short ones keep
 * wrong-length hashes likely); NULL-free even when empty. */
static const uint8_t *
take_bytes(const uint8_t **d, size_t *n, size_t *len_out)
{
	size_t len = 0;

	if (*n > 0) {
		len = **d;
		(*d)++;
		(*n)--;
	}
	if (len > *n)
		len = *n;
	const uint8_t *p = *d;

	*d += len;
	*n -= len;
	*len_out = len;
	return p;
}

/* Builds a real tree of `size` leaves (size small) and checks that the
 * generated proofs verify: a mismatch is a bug, so abort. */
static void
honest(uint64_t a, uint64_t b)
{
	wb_hash leaves[64];
	uint64_t size = b % 64 + 1;

	for (uint64_t i = 0; i < size; i++)
		wb_hash_leaf(&leaves[i], &i, sizeof i);
	wb_merkle_mem mem = { leaves, size };
	wb_hash root, proof[WB_MERKLE_MAX_PROOF];
	size_t n = 0;
	uint64_t index = a % size;

	if (wb_merkle_root(&root, size, wb_merkle_mem_get, &mem) != WB_OK)
		abort();
	if (wb_merkle_inclusion_proof(proof, &n, index, size, wb_merkle_mem_get,
	                              &mem) != WB_OK)
		abort();
	if (wb_merkle_verify_inclusion(leaves[index].b, WB_HASH_LEN, index,
	                               size, (const uint8_t *)proof,
	                               n * WB_HASH_LEN, root.b,
	                               WB_HASH_LEN) != WB_OK)
		abort();
	uint64_t m = index + 1;
	wb_hash root1;

	if (wb_merkle_root(&root1, m, wb_merkle_mem_get, &mem) != WB_OK)
		abort();
	if (wb_merkle_consistency_proof(proof, &n, m, size, wb_merkle_mem_get,
	                                &mem) != WB_OK)
		abort();
	if (wb_merkle_verify_consistency(m, size, root1.b, WB_HASH_LEN, root.b,
	                                 WB_HASH_LEN, (const uint8_t *)proof,
	                                 n * WB_HASH_LEN) != WB_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	if (size == 0)
		return 0;
	uint8_t mode = data[0];
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	uint64_t a = take_u64(&d, &n);
	uint64_t b = take_u64(&d, &n);

	/* Bits 1-2 pick the scale of the numbers: tiny, small, large, any. */
	static const uint64_t masks[4] = { 0xf, 0xffff, 0xffffffffull,
		                           UINT64_MAX };
	a &= masks[(mode >> 1) & 3];
	b &= masks[(mode >> 1) & 3];

	size_t l1, l2, lp;
	const uint8_t *h1 = take_bytes(&d, &n, &l1);
	const uint8_t *h2 = take_bytes(&d, &n, &l2);
	/* The proof is the rest of the input. */
	const uint8_t *proof = d;

	lp = n;

	wb_err rc;

	if (mode & 1)
		rc = wb_merkle_verify_consistency(a, b, h1, l1, h2, l2, proof,
		                                  lp);
	else
		rc = wb_merkle_verify_inclusion(h1, l1, a, b, proof, lp, h2,
		                                l2);
	/* Only WB_OK or WB_EBADSIG are documented. */
	if (rc != WB_OK && rc != WB_EBADSIG)
		abort();
	if (mode & 8)
		honest(a, b);
	return 0;
}
