/* SPDX-License-Identifier: MIT */
/*
 * The RFC 9162 §2.1 Merkle tree over perfect-subtree reads.
 *
 * RFC 9162 defines MTH, PATH and PROOF recursively: a range of n > 1 leaves
 * splits at k, the largest power of two below n. Every range that recursion
 * visits starts at a multiple of the next power of two >= its size, so its
 * left part is always a perfect, aligned subtree, one get() call. Only a
 * right part of a size that is not a power of two is not stored as one node:
 * its hash is folded from the perfect pieces given by the binary digits of
 * its size (range_root), at most 64 reads. A root thus costs at most 64
 * reads and a proof at most 2 * 64, whatever the size of the tree.
 *
 * The generators walk the recursion from the root down, which yields the
 * proof nodes top first, and reverse them at the end: RFC 9162 lists them
 * from the leaf (or the deepest common subtree) up.
 *
 * The verifiers are the iterative algorithms of §2.1.3.2 and §2.1.4.2 on
 * (fn, sn), reading the proof 32 bytes at a time. Their "sn == 0 before the
 * proof ends" test rejects surplus nodes after at most 64 steps and their
 * final "sn == 0" test rejects a short proof, so no length is trusted.
 */
#include "waybill/merkle.h"

#include <string.h>

/* RFC 9162's split point: the largest power of two strictly below n >= 2. */
static uint64_t
split_point(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static unsigned
log2_exact(uint64_t pow2)
{
	return (unsigned)__builtin_ctzll(pow2);
}

/*
 * MTH of leaves [start, start + size), size >= 1, where start is a multiple
 * of the next power of two >= size (true of every range the RFC recursion
 * visits). The binary digits of size, highest first, are the perfect
 * subtrees the recursion ends in, and MTH nests them to the right:
 * node(P1, node(P2, ... Pk)). Folding from the lowest digit up builds that
 * without a stack.
 */
static wb_err
range_root(wb_hash *out, uint64_t start, uint64_t size, wb_merkle_get_fn get,
           void *arg)
{
	uint64_t rest = size;
	wb_hash acc;
	wb_hash piece;
	int have = 0;
	wb_err rc;

	while (rest != 0) {
		unsigned level = log2_exact(rest & -rest);

		/* Clearing the lowest digit leaves this piece's offset. */
		rest &= rest - 1;
		rc = get(&piece, level, (start + rest) >> level, arg);
		if (rc != WB_OK) {
			return rc;
		}
		if (have) {
			wb_hash parent;

			wb_hash_node(&parent, &piece, &acc);
			acc = parent;
		} else {
			acc = piece;
			have = 1;
		}
	}
	*out = acc;
	return WB_OK;
}

/* The generators produce nodes top first; RFC 9162 lists them bottom up. */
static void
reverse(wb_hash *v, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		wb_hash t = v[i];

		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

wb_err
wb_merkle_root(wb_hash *out, uint64_t size, wb_merkle_get_fn get, void *arg)
{
	static const uint8_t nothing[1];

	if (out == NULL || get == NULL) {
		return WB_EINVAL;
	}
	if (size == 0) {
		wb_hash_sha256(out, nothing, 0);
		return WB_OK;
	}
	return range_root(out, 0, size, get, arg);
}

wb_err
wb_merkle_inclusion_proof(wb_hash *proof_out, size_t *n_out, uint64_t index,
                          uint64_t size, wb_merkle_get_fn get, void *arg)
{
	uint64_t start = 0;
	uint64_t n = size;
	uint64_t m = index;
	size_t len = 0;
	wb_err rc = WB_OK;

	if (proof_out == NULL || n_out == NULL || get == NULL ||
	    index >= size) {
		return WB_EINVAL;
	}
	/*
	 * PATH(m, D[start:start+n]): the sibling of the half holding m, then
	 * the path inside that half. A tree below 2^64 leaves is at most 64
	 * levels deep, so len never passes WB_MERKLE_MAX_PROOF.
	 */
	while (n > 1) {
		uint64_t k = split_point(n);

		if (m < k) {
			rc = range_root(&proof_out[len], start + k, n - k, get,
			                arg);
			n = k;
		} else {
			rc = get(&proof_out[len], log2_exact(k),
			         start >> log2_exact(k), arg);
			start += k;
			m -= k;
			n -= k;
		}
		if (rc != WB_OK) {
			goto out;
		}
		len++;
	}
	reverse(proof_out, len);
out:
	*n_out = rc == WB_OK ? len : 0;
	return rc;
}

wb_err
wb_merkle_consistency_proof(wb_hash *proof_out, size_t *n_out, uint64_t m,
                            uint64_t n, wb_merkle_get_fn get, void *arg)
{
	uint64_t start = 0;
	int whole = 1; /* SUBPROOF's b: the old tree is D[0:m] itself */
	size_t len = 0;
	wb_err rc = WB_OK;

	if (proof_out == NULL || n_out == NULL || get == NULL || m == 0 ||
	    m > n) {
		return WB_EINVAL;
	}
	*n_out = 0;
	if (m == n) {
		return WB_OK;
	}
	/*
	 * SUBPROOF(m, D[start:start+n], b), from the root down. One node per
	 * level plus the old subtree's own hash when it is not the whole old
	 * tree: that is 65 nodes for some m when n > 2^63, more than a
	 * WB_MERKLE_MAX_PROOF buffer holds, so such requests are refused.
	 */
	for (;;) {
		uint64_t k;

		if (m == n && whole) {
			break;
		}
		if (len == WB_MERKLE_MAX_PROOF) {
			rc = WB_EINVAL;
			goto out;
		}
		if (m == n) {
			rc = range_root(&proof_out[len], start, n, get, arg);
			if (rc != WB_OK) {
				goto out;
			}
			len++;
			break;
		}
		k = split_point(n);
		if (m <= k) {
			rc = range_root(&proof_out[len], start + k, n - k, get,
			                arg);
			n = k;
		} else {
			rc = get(&proof_out[len], log2_exact(k),
			         start >> log2_exact(k), arg);
			start += k;
			m -= k;
			n -= k;
			whole = 0;
		}
		if (rc != WB_OK) {
			goto out;
		}
		len++;
	}
	reverse(proof_out, len);
	*n_out = len;
out:
	return rc;
}

/* Proof node i of a proof already checked to hold a multiple of 32 bytes. */
static void
proof_node(wb_hash *out, const uint8_t *proof, size_t i)
{
	memcpy(out->b, proof + i * WB_HASH_LEN, WB_HASH_LEN);
}

/* Shifts fn and sn right until fn's lowest bit is set or fn is 0. */
static void
climb_while_right_child(uint64_t *fn, uint64_t *sn)
{
	while ((*fn & 1) == 0 && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

wb_err
wb_merkle_verify_inclusion(const uint8_t *leaf_hash, size_t leaf_len,
                           uint64_t index, uint64_t size, const uint8_t *proof,
                           size_t proof_len, const uint8_t *root,
                           size_t root_len)
{
	uint64_t fn;
	uint64_t sn;
	wb_hash r;

	/*
	 * A leaf hash of another length must fail even when the proof is
	 * empty and the root is the same bytes: the bare RFC loop would
	 * accept an empty leaf against an empty root.
	 */
	if (leaf_hash == NULL || leaf_len != WB_HASH_LEN || root == NULL ||
	    root_len != WB_HASH_LEN || index >= size) {
		return WB_EBADSIG;
	}
	if (proof_len % WB_HASH_LEN != 0 || (proof_len != 0 && proof == NULL)) {
		return WB_EBADSIG;
	}
	fn = index;
	sn = size - 1;
	memcpy(r.b, leaf_hash, WB_HASH_LEN);
	for (size_t i = 0; i < proof_len / WB_HASH_LEN; i++) {
		wb_hash p;
		wb_hash parent;

		if (sn == 0) {
			return WB_EBADSIG; /* more nodes than levels */
		}
		proof_node(&p, proof, i);
		if ((fn & 1) || fn == sn) {
			/* p is a left sibling; or r is a last, unpaired node
			 * that the levels above carry up until it pairs. */
			wb_hash_node(&parent, &p, &r);
			if ((fn & 1) == 0) {
				climb_while_right_child(&fn, &sn);
			}
		} else {
			wb_hash_node(&parent, &r, &p);
		}
		r = parent;
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r.b, root, WB_HASH_LEN) != 0) {
		return WB_EBADSIG;
	}
	return WB_OK;
}

wb_err
wb_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                             const uint8_t *root1, size_t root1_len,
                             const uint8_t *root2, size_t root2_len,
                             const uint8_t *proof, size_t proof_len)
{
	uint64_t fn;
	uint64_t sn;
	size_t count;
	size_t i = 0;
	wb_hash fr;
	wb_hash sr;

	/* RFC 9162 defines nothing for size1 == 0: a proof from the empty
	 * tree proves nothing, so it never verifies, not even (0, 0). */
	if (size1 == 0 || size1 > size2) {
		return WB_EBADSIG;
	}
	if (size1 == size2) {
		/* The same tree: nothing to prove, only the heads to compare,
		 * byte for byte as given (a surplus proof is garbage). */
		if (proof_len != 0 || root1_len != root2_len) {
			return WB_EBADSIG;
		}
		if (root1_len == 0) {
			return WB_OK;
		}
		if (root1 == NULL || root2 == NULL ||
		    memcmp(root1, root2, root1_len) != 0) {
			return WB_EBADSIG;
		}
		return WB_OK;
	}
	if (root1 == NULL || root1_len != WB_HASH_LEN || root2 == NULL ||
	    root2_len != WB_HASH_LEN) {
		return WB_EBADSIG;
	}
	if (proof == NULL || proof_len == 0 || proof_len % WB_HASH_LEN != 0) {
		return WB_EBADSIG;
	}
	count = proof_len / WB_HASH_LEN;
	fn = size1 - 1;
	sn = size2 - 1;
	/*
	 * When size1 is a power of two the old tree is a whole subtree of the
	 * new one and the proof leaves out its hash, which the verifier has:
	 * RFC 9162 prepends root1 to the path.
	 */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr.b, root1, WB_HASH_LEN);
	} else {
		proof_node(&fr, proof, i++);
	}
	sr = fr;
	/* Climb past the levels where the old tree's last leaf is a right
	 * child: their left siblings are inside the seed node already. */
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < count; i++) {
		wb_hash c;
		wb_hash parent;

		if (sn == 0) {
			return WB_EBADSIG; /* more nodes than levels */
		}
		proof_node(&c, proof, i);
		if ((fn & 1) || fn == sn) {
			/* c is left of both paths: it is in both trees. */
			wb_hash_node(&parent, &c, &fr);
			fr = parent;
			wb_hash_node(&parent, &c, &sr);
			sr = parent;
			if ((fn & 1) == 0) {
				climb_while_right_child(&fn, &sn);
			}
		} else {
			/* c is right of the old tree: only in the new one. */
			wb_hash_node(&parent, &sr, &c);
			sr = parent;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr.b, root1, WB_HASH_LEN) != 0 ||
	    memcmp(sr.b, root2, WB_HASH_LEN) != 0) {
		return WB_EBADSIG;
	}
	return WB_OK;
}

wb_err
wb_merkle_append(uint64_t index, const wb_hash *leaf_hash, wb_merkle_get_fn get,
                 wb_merkle_put_fn put, void *arg)
{
	unsigned level = 0;
	uint64_t i = index;
	wb_hash h;
	wb_err rc;

	/* Leaf 2^64 - 1 would make a tree of 2^64 leaves, whose size and
	 * top node (level 64) no uint64_t or shift can express. */
	if (leaf_hash == NULL || get == NULL || put == NULL ||
	    index == UINT64_MAX) {
		return WB_EINVAL;
	}
	if ((rc = put(0, index, leaf_hash, arg)) != WB_OK) {
		return rc;
	}
	h = *leaf_hash;
	/*
	 * Each trailing 1 bit of the index is a level where this leaf's
	 * subtree is a right child: its left sibling is complete, so the
	 * pair's parent is complete now too.
	 */
	while (i & 1) {
		wb_hash left;
		wb_hash parent;

		if ((rc = get(&left, level, i - 1, arg)) != WB_OK) {
			return rc;
		}
		wb_hash_node(&parent, &left, &h);
		h = parent;
		i >>= 1;
		level++;
		if ((rc = put(level, i, &h, arg)) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

wb_err
wb_merkle_mem_get(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	const wb_merkle_mem *mem = arg;
	wb_hash left;
	wb_hash right;
	wb_err rc;

	if (out == NULL || mem == NULL) {
		return WB_EINVAL;
	}
	/* The subtree must end within the n leaves; written as a shift of n
	 * so that no (index + 1) << level can overflow. */
	if (level >= 64 || index >= mem->n >> level) {
		return WB_ENOTFOUND;
	}
	if (level == 0) {
		*out = mem->leaves[index];
		return WB_OK;
	}
	if ((rc = wb_merkle_mem_get(&left, level - 1, 2 * index, arg)) !=
	    WB_OK) {
		return rc;
	}
	if ((rc = wb_merkle_mem_get(&right, level - 1, 2 * index + 1, arg)) !=
	    WB_OK) {
		return rc;
	}
	wb_hash_node(out, &left, &right);
	return WB_OK;
}
