/* SPDX-License-Identifier: MIT */
/*
 * test_merkle.c - the RFC 9162 tree against every published vector in
 * ../shared/data/merkle/vectors.json, against a plain recursive transcription
 * of RFC 9162 §2.1 written here, and against the properties the journal
 * relies on: append writes exactly the perfect subtrees, and roots and proofs
 * need O(log n) reads.
 */
#include "test.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/merkle.h"

#define VECTORS "merkle/vectors.json"

/* Sizes of the exhaustive property sweeps. */
#define SWEEP_MAX 70

/* ------------------------------------------------------------------ */
/* JSON and hex helpers                                               */
/* ------------------------------------------------------------------ */

/*
 * Jansson refuses integers above INT64_MAX ("too big integer") and would
 * then refuse the whole file, which holds leaf_index 2^64 - 1 in two probes.
 * Quote such integers (outside strings) so they arrive as decimal strings;
 * json_u64() accepts both forms.
 */
static char *
quote_big_integers(const char *in, size_t len)
{
	char *out = malloc(3 * len + 1);
	size_t o = 0;
	bool in_string = false;
	bool escaped = false;

	assert_non_null(out);
	for (size_t i = 0; i < len;) {
		char c = in[i];

		if (in_string) {
			if (escaped) {
				escaped = false;
			} else if (c == '\\') {
				escaped = true;
			} else if (c == '"') {
				in_string = false;
			}
			out[o++] = in[i++];
		} else if (c == '"') {
			in_string = true;
			out[o++] = in[i++];
		} else if (c >= '0' && c <= '9') {
			size_t j = i;
			bool big = false;

			while (j < len && in[j] >= '0' && in[j] <= '9') {
				j++;
			}
			if (j - i >= 19 &&
			    (j >= len ||
			     (in[j] != '.' && in[j] != 'e' && in[j] != 'E'))) {
				char digits[32];
				unsigned long long v;

				assert_true(j - i < sizeof(digits));
				memcpy(digits, in + i, j - i);
				digits[j - i] = '\0';
				errno = 0;
				v = strtoull(digits, NULL, 10);
				assert_int_equal(errno, 0);
				big = v > INT64_MAX;
			}
			if (big) {
				out[o++] = '"';
			}
			memcpy(out + o, in + i, j - i);
			o += j - i;
			if (big) {
				out[o++] = '"';
			}
			i = j;
		} else {
			out[o++] = in[i++];
		}
	}
	out[o] = '\0';
	return out;
}

static const json_t *
json_at(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		print_error("vectors.json: no key \"%s\"\n", key);
	}
	assert_non_null(v);
	return v;
}

static const char *
json_text(const json_t *obj, const char *key)
{
	const json_t *v = json_at(obj, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static uint64_t
json_as_u64(const json_t *v)
{
	if (json_is_integer(v)) {
		assert_true(json_integer_value(v) >= 0);
		return (uint64_t)json_integer_value(v);
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		unsigned long long u;

		errno = 0;
		u = strtoull(s, &end, 10);
		assert_int_equal(errno, 0);
		assert_true(*s != '\0' && *end == '\0');
		return u;
	}
	fail_msg("not an unsigned integer");
	return 0;
}

static uint64_t
json_u64(const json_t *obj, const char *key)
{
	return json_as_u64(json_at(obj, key));
}

static bool
json_flag(const json_t *obj, const char *key)
{
	const json_t *v = json_at(obj, key);

	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

static const json_t *
json_list(const json_t *obj, const char *key)
{
	const json_t *v = json_at(obj, key);

	assert_true(json_is_array(v));
	return v;
}

/*
 * Hex to a heap buffer of exactly the decoded length (1 byte when empty,
 * so the pointer is never NULL), so that ASan sees any read past the end.
 */
static uint8_t *
hex_alloc(const char *hex, size_t *len_out)
{
	size_t hex_len = strlen(hex);
	uint8_t *buf = malloc(hex_len / 2 > 0 ? hex_len / 2 : 1);

	assert_non_null(buf);
	assert_int_equal(wb_hex_decode(buf, hex_len / 2, len_out, hex, hex_len),
	                 WB_OK);
	return buf;
}

static void
hex_hash(wb_hash *out, const char *hex)
{
	assert_int_equal(wb_hash_from_hex(out, hex), WB_OK);
}

/*
 * Joins a JSON list of hex proof nodes into the verifiers' wire form (the
 * nodes back to back, in an exact-size buffer). Returns false when a node is
 * not 32 bytes: joined, an empty "garbage" node would vanish and the
 * remaining proof be the valid one, so a decoder of a node list (such as
 * Receipt.proof) must refuse the proof at that point, as this one does.
 */
static bool
proof_join(const json_t *list, uint8_t **out, size_t *len_out)
{
	size_t n = json_array_size(list);
	uint8_t *buf = malloc(n > 0 ? n * WB_HASH_LEN : 1);

	assert_non_null(buf);
	*out = buf;
	*len_out = n * WB_HASH_LEN;
	for (size_t i = 0; i < n; i++) {
		const json_t *node = json_array_get(list, i);
		const char *hex;

		assert_true(json_is_string(node));
		hex = json_string_value(node);
		if (strlen(hex) != 2 * WB_HASH_LEN) {
			return false;
		}
		assert_int_equal(wb_hex_decode(buf + i * WB_HASH_LEN,
		                               WB_HASH_LEN, NULL, hex,
		                               2 * WB_HASH_LEN),
		                 WB_OK);
	}
	return true;
}

static void
assert_proof_equals_list(const wb_hash *proof, size_t n, const json_t *list)
{
	assert_int_equal(n, json_array_size(list));
	for (size_t i = 0; i < n; i++) {
		wb_hash want;

		hex_hash(&want, json_string_value(json_array_get(list, i)));
		assert_memory_equal(proof[i].b, want.b, WB_HASH_LEN);
	}
}

/* ------------------------------------------------------------------ */
/* RFC 9162 §2.1, transcribed recursively over an array of leaf hashes */
/* ------------------------------------------------------------------ */

static uint64_t
ref_split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k) {
		k <<= 1;
	}
	return k;
}

/* MTH(D[n]) (§2.1.1). */
static void
ref_mth(wb_hash *out, const wb_hash *d, uint64_t n)
{
	wb_hash l;
	wb_hash r;
	uint64_t k;

	if (n == 0) {
		wb_hash_sha256(out, "", 0);
		return;
	}
	if (n == 1) {
		*out = d[0];
		return;
	}
	k = ref_split(n);
	ref_mth(&l, d, k);
	ref_mth(&r, d + k, n - k);
	wb_hash_node(out, &l, &r);
}

/* PATH(m, D[n]) (§2.1.3.1), appended to out. */
static void
ref_path(wb_hash *out, size_t *len, uint64_t m, const wb_hash *d, uint64_t n)
{
	uint64_t k;

	if (n <= 1) {
		return;
	}
	k = ref_split(n);
	if (m < k) {
		ref_path(out, len, m, d, k);
		ref_mth(&out[(*len)++], d + k, n - k);
	} else {
		ref_path(out, len, m - k, d + k, n - k);
		ref_mth(&out[(*len)++], d, k);
	}
}

/* SUBPROOF(m, D[n], b) (§2.1.4.1), appended to out. */
static void
ref_subproof(wb_hash *out, size_t *len, uint64_t m, const wb_hash *d,
             uint64_t n, bool b)
{
	uint64_t k;

	if (m == n) {
		if (!b) {
			ref_mth(&out[(*len)++], d, n);
		}
		return;
	}
	k = ref_split(n);
	if (m <= k) {
		ref_subproof(out, len, m, d, k, b);
		ref_mth(&out[(*len)++], d + k, n - k);
	} else {
		ref_subproof(out, len, m - k, d + k, n - k, false);
		ref_mth(&out[(*len)++], d, k);
	}
}

static bool
ref_next(wb_hash *out, const wb_hash *proof, size_t len, size_t *pos)
{
	if (*pos == len) {
		return false;
	}
	*out = proof[(*pos)++];
	return true;
}

/* Rebuilds the root PATH(m, D[n]) implies, consuming the proof in order. */
static bool
ref_incl_rebuild(wb_hash *out, const wb_hash *leaf, uint64_t m, uint64_t n,
                 const wb_hash *proof, size_t len, size_t *pos)
{
	wb_hash h;
	wb_hash sib;
	uint64_t k;

	if (n == 1) {
		*out = *leaf;
		return true;
	}
	k = ref_split(n);
	if (m < k) {
		if (!ref_incl_rebuild(&h, leaf, m, k, proof, len, pos) ||
		    !ref_next(&sib, proof, len, pos)) {
			return false;
		}
		wb_hash_node(out, &h, &sib);
	} else {
		if (!ref_incl_rebuild(&h, leaf, m - k, n - k, proof, len,
		                      pos) ||
		    !ref_next(&sib, proof, len, pos)) {
			return false;
		}
		wb_hash_node(out, &sib, &h);
	}
	return true;
}

/*
 * The oracle for inclusion: does the proof, read as the RFC recursion lays
 * out PATH(m, D[n]), rebuild exactly this root with no node left over?
 */
static bool
ref_verify_inclusion(const wb_hash *leaf, uint64_t m, uint64_t n,
                     const wb_hash *proof, size_t len, const wb_hash *root)
{
	wb_hash got;
	size_t pos = 0;

	if (m >= n || !ref_incl_rebuild(&got, leaf, m, n, proof, len, &pos)) {
		return false;
	}
	return pos == len && wb_hash_equal(&got, root);
}

/* Rebuilds the old and new subtree hashes SUBPROOF(m, D[n], b) implies. */
static bool
ref_cons_rebuild(wb_hash *old, wb_hash *new, uint64_t m, uint64_t n, bool b,
                 const wb_hash *root1, const wb_hash *proof, size_t len,
                 size_t *pos)
{
	wb_hash o;
	wb_hash nw;
	wb_hash sib;
	uint64_t k;

	if (m == n) {
		if (b) {
			*old = *root1;
		} else if (!ref_next(old, proof, len, pos)) {
			return false;
		}
		*new = *old;
		return true;
	}
	k = ref_split(n);
	if (m <= k) {
		if (!ref_cons_rebuild(&o, &nw, m, k, b, root1, proof, len,
		                      pos) ||
		    !ref_next(&sib, proof, len, pos)) {
			return false;
		}
		*old = o;
		wb_hash_node(new, &nw, &sib);
	} else {
		if (!ref_cons_rebuild(&o, &nw, m - k, n - k, false, root1,
		                      proof, len, pos) ||
		    !ref_next(&sib, proof, len, pos)) {
			return false;
		}
		wb_hash_node(old, &sib, &o);
		wb_hash_node(new, &sib, &nw);
	}
	return true;
}

/* The oracle for consistency, with the strict edge rules. */
static bool
ref_verify_consistency(uint64_t m, uint64_t n, const wb_hash *root1,
                       const wb_hash *root2, const wb_hash *proof, size_t len)
{
	wb_hash old;
	wb_hash new;
	size_t pos = 0;

	if (m == 0 || m > n) {
		return false;
	}
	if (m == n) {
		return len == 0 && wb_hash_equal(root1, root2);
	}
	if (len == 0 || !ref_cons_rebuild(&old, &new, m, n, true, root1, proof,
	                                  len, &pos)) {
		return false;
	}
	return pos == len && wb_hash_equal(&old, root1) &&
	       wb_hash_equal(&new, root2);
}

/* ------------------------------------------------------------------ */
/* Calling the verifiers with exact-size buffers                      */
/* ------------------------------------------------------------------ */

/* Proof nodes back to back in a heap buffer of exactly their size. */
static uint8_t *
proof_bytes(const wb_hash *proof, size_t n)
{
	uint8_t *buf = malloc(n > 0 ? n * WB_HASH_LEN : 1);

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + i * WB_HASH_LEN, proof[i].b, WB_HASH_LEN);
	}
	return buf;
}

static wb_err
verify_incl(const wb_hash *leaf, uint64_t index, uint64_t size,
            const wb_hash *proof, size_t n, const wb_hash *root)
{
	uint8_t *p = proof_bytes(proof, n);
	wb_err rc = wb_merkle_verify_inclusion(leaf->b, WB_HASH_LEN, index,
	                                       size, p, n * WB_HASH_LEN,
	                                       root->b, WB_HASH_LEN);

	free(p);
	return rc;
}

static wb_err
verify_cons(uint64_t m, uint64_t n, const wb_hash *root1, const wb_hash *root2,
            const wb_hash *proof, size_t len)
{
	uint8_t *p = proof_bytes(proof, len);
	wb_err rc = wb_merkle_verify_consistency(m, n, root1->b, WB_HASH_LEN,
	                                         root2->b, WB_HASH_LEN, p,
	                                         len * WB_HASH_LEN);

	free(p);
	return rc;
}

/* Distinct leaves: the leaf hash of "leaf <i>". */
static void
make_leaves(wb_hash *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char text[32];
		int len = snprintf(text, sizeof(text), "leaf %zu", i);

		wb_hash_leaf(&out[i], text, (size_t)len);
	}
}

static wb_err
get_never_called(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	(void)out;
	(void)level;
	(void)index;
	(void)arg;
	fail_msg("get called for the empty tree");
	return WB_EINTERNAL;
}

/* ------------------------------------------------------------------ */
/* The published vectors                                              */
/* ------------------------------------------------------------------ */

/* The 8 reference leaf hashes, from the leaf inputs. */
static void
reference_leaves(const json_t *v, wb_hash out[8])
{
	const json_t *inputs =
	        json_list(json_at(v, "reference_tree"), "leaf_inputs_hex");

	assert_int_equal(json_array_size(inputs), 8);
	for (size_t i = 0; i < 8; i++) {
		size_t len;
		uint8_t *data = hex_alloc(
		        json_string_value(json_array_get(inputs, i)), &len);

		wb_hash_leaf(&out[i], data, len);
		free(data);
	}
}

/* reference_tree.roots[] entry for a size. */
static void
reference_root(const json_t *v, uint64_t size, wb_hash *out)
{
	const json_t *roots = json_list(json_at(v, "reference_tree"), "roots");

	for (size_t i = 0; i < json_array_size(roots); i++) {
		const json_t *r = json_array_get(roots, i);

		if (json_u64(r, "tree_size") == size) {
			hex_hash(out, json_text(r, "root"));
			return;
		}
	}
	fail_msg("no reference root for size %llu", (unsigned long long)size);
}

/* Every key of the file is one this test knows, so none goes unread. */
static void
test_merkle_vectors_have_only_known_sections(void **state)
{
	static const char *const known[] = {
		"description",
		"hash",
		"leaf_hash",
		"node_hash",
		"empty_tree_root",
		"sources",
		"hasher_kats",
		"reference_tree",
		"inclusion_proofs",
		"consistency_proofs",
		"proof_generation_must_fail",
		"inclusion_verification_probes",
		"consistency_verification_probes",
		"consistency_negative_vectors",
		"real_world_inclusion",
		"rfc_example_7_leaves",
		"convention_dependent",
	};
	const json_t *v = *state;
	size_t n_known = sizeof(known) / sizeof(known[0]);

	for (void *it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		const char *key = json_object_iter_key(it);
		bool found = false;

		for (size_t i = 0; i < n_known; i++) {
			found = found || strcmp(key, known[i]) == 0;
		}
		if (!found) {
			fail_msg("vectors.json has a section no test reads: %s",
			         key);
		}
	}
	assert_int_equal(json_object_size(v), n_known);
}

static void
test_merkle_hasher_kats_match(void **state)
{
	const json_t *kats = json_list(*state, "hasher_kats");
	size_t checked = 0;

	for (size_t i = 0; i < json_array_size(kats); i++) {
		const json_t *k = json_array_get(kats, i);
		const char *kind = json_text(k, "kind");
		wb_hash want;
		wb_hash got;

		hex_hash(&want, json_text(k, "hash"));
		if (strcmp(kind, "empty_tree") == 0) {
			assert_int_equal(
			        wb_merkle_root(&got, 0, get_never_called, NULL),
			        WB_OK);
		} else if (strcmp(kind, "leaf") == 0) {
			size_t len;
			uint8_t *in =
			        hex_alloc(json_text(k, "input_hex"), &len);

			wb_hash_leaf(&got, in, len);
			free(in);
		} else if (strcmp(kind, "node") == 0) {
			size_t l_len;
			size_t r_len;
			uint8_t *l =
			        hex_alloc(json_text(k, "left_hex"), &l_len);
			uint8_t *r =
			        hex_alloc(json_text(k, "right_hex"), &r_len);

			if (l_len == WB_HASH_LEN && r_len == WB_HASH_LEN) {
				wb_hash lh;
				wb_hash rh;

				memcpy(lh.b, l, WB_HASH_LEN);
				memcpy(rh.b, r, WB_HASH_LEN);
				wb_hash_node(&got, &lh, &rh);
			} else {
				/* wb_hash_node takes digests only; this KAT
				 * checks the 0x01 || left || right layout. */
				uint8_t *buf = malloc(1 + l_len + r_len);

				assert_non_null(buf);
				buf[0] = 0x01;
				memcpy(buf + 1, l, l_len);
				memcpy(buf + 1 + l_len, r, r_len);
				wb_hash_sha256(&got, buf, 1 + l_len + r_len);
				free(buf);
			}
			free(l);
			free(r);
		} else {
			fail_msg("unknown hasher KAT kind %s", kind);
		}
		assert_memory_equal(got.b, want.b, WB_HASH_LEN);
		checked++;
	}
	assert_int_equal(checked, json_array_size(kats));
	assert_int_equal(checked, 7);
}

static void
test_merkle_reference_tree_nodes_and_roots_match(void **state)
{
	const json_t *tree = json_at(*state, "reference_tree");
	const json_t *levels =
	        json_list(json_at(tree, "node_hashes_by_level"), "levels");
	const json_t *roots = json_list(tree, "roots");
	wb_hash leaves[8];
	wb_merkle_mem mem = { leaves, 8 };
	size_t present = 0;
	size_t checked = 0;

	reference_leaves(*state, leaves);
	for (size_t l = 0; l < json_array_size(levels); l++) {
		const json_t *row = json_array_get(levels, l);

		present += json_array_size(row);
		for (size_t i = 0; i < json_array_size(row); i++) {
			wb_hash want;
			wb_hash got;

			hex_hash(&want,
			         json_string_value(json_array_get(row, i)));
			assert_int_equal(
			        wb_merkle_mem_get(&got, (unsigned)l, i, &mem),
			        WB_OK);
			assert_memory_equal(got.b, want.b, WB_HASH_LEN);
			checked++;
		}
	}
	present += json_array_size(roots);
	for (size_t i = 0; i < json_array_size(roots); i++) {
		const json_t *r = json_array_get(roots, i);
		/* Only the first `size` leaves: a read beyond them fails. */
		wb_merkle_mem prefix = { leaves, json_u64(r, "tree_size") };
		wb_hash want;
		wb_hash got;

		hex_hash(&want, json_text(r, "root"));
		assert_int_equal(wb_merkle_root(&got, prefix.n,
		                                wb_merkle_mem_get, &prefix),
		                 WB_OK);
		assert_memory_equal(got.b, want.b, WB_HASH_LEN);
		ref_mth(&got, leaves, prefix.n);
		assert_memory_equal(got.b, want.b, WB_HASH_LEN);
		checked++;
	}
	assert_int_equal(checked, present);
	assert_int_equal(checked, 15 + 9);
}

static void
test_merkle_published_inclusion_proofs_match_and_verify(void **state)
{
	const json_t *list =
	        json_list(json_at(*state, "inclusion_proofs"), "vectors");
	wb_hash leaves[8];
	size_t checked = 0;

	reference_leaves(*state, leaves);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *v = json_array_get(list, i);
		uint64_t index = json_u64(v, "leaf_index");
		wb_merkle_mem mem = { leaves, json_u64(v, "tree_size") };
		wb_hash proof[WB_MERKLE_MAX_PROOF];
		wb_hash root;
		size_t n;
		uint8_t *bytes;
		size_t len;

		assert_true(index < mem.n && mem.n <= 8);
		reference_root(*state, mem.n, &root);
		assert_int_equal(
		        wb_merkle_inclusion_proof(proof, &n, index, mem.n,
		                                  wb_merkle_mem_get, &mem),
		        WB_OK);
		assert_proof_equals_list(proof, n, json_list(v, "proof"));
		assert_true(proof_join(json_list(v, "proof"), &bytes, &len));
		assert_int_equal(
		        wb_merkle_verify_inclusion(leaves[index].b, WB_HASH_LEN,
		                                   index, mem.n, bytes, len,
		                                   root.b, WB_HASH_LEN),
		        WB_OK);
		free(bytes);
		checked++;
	}
	assert_int_equal(checked, json_array_size(list));
	assert_int_equal(checked, 7);
}

static void
test_merkle_published_consistency_proofs_match_and_verify(void **state)
{
	const json_t *list =
	        json_list(json_at(*state, "consistency_proofs"), "vectors");
	wb_hash leaves[8];
	size_t checked = 0;

	reference_leaves(*state, leaves);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *v = json_array_get(list, i);
		uint64_t m = json_u64(v, "size1");
		wb_merkle_mem mem = { leaves, json_u64(v, "size2") };
		wb_hash proof[WB_MERKLE_MAX_PROOF];
		wb_hash root1;
		wb_hash root2;
		size_t n;
		uint8_t *bytes;
		size_t len;

		assert_true(m <= mem.n && mem.n <= 8);
		reference_root(*state, m, &root1);
		reference_root(*state, mem.n, &root2);
		assert_int_equal(
		        wb_merkle_consistency_proof(proof, &n, m, mem.n,
		                                    wb_merkle_mem_get, &mem),
		        WB_OK);
		assert_proof_equals_list(proof, n, json_list(v, "proof"));
		assert_true(proof_join(json_list(v, "proof"), &bytes, &len));
		assert_int_equal(wb_merkle_verify_consistency(
		                         m, mem.n, root1.b, WB_HASH_LEN,
		                         root2.b, WB_HASH_LEN, bytes, len),
		                 WB_OK);
		free(bytes);
		checked++;
	}
	assert_int_equal(checked, json_array_size(list));
	assert_int_equal(checked, 5);
}

static void
test_merkle_proof_generation_fails_where_published(void **state)
{
	const json_t *list = json_list(*state, "proof_generation_must_fail");
	wb_hash leaves[8];
	size_t checked = 0;

	reference_leaves(*state, leaves);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *v = json_array_get(list, i);
		const json_t *index = json_at(v, "leaf_index");
		wb_merkle_mem mem = { leaves, json_u64(v, "tree_size") };
		wb_hash proof[WB_MERKLE_MAX_PROOF];
		size_t n;

		assert_string_equal(json_text(v, "op"), "inclusion");
		/* A null index is "no leaf" of the empty tree: every index
		 * is out of range there, so try the first and the last. */
		if (json_is_null(index)) {
			assert_int_equal(mem.n, 0);
			assert_int_equal(wb_merkle_inclusion_proof(
			                         proof, &n, UINT64_MAX, mem.n,
			                         wb_merkle_mem_get, &mem),
			                 WB_EINVAL);
		}
		assert_int_equal(
		        wb_merkle_inclusion_proof(
		                proof, &n,
		                json_is_null(index) ? 0 : json_as_u64(index),
		                mem.n, wb_merkle_mem_get, &mem),
		        WB_EINVAL);
		checked++;
	}
	assert_int_equal(checked, json_array_size(list));
	assert_int_equal(checked, 2);
}

static void
test_merkle_inclusion_probes_have_expected_outcome(void **state)
{
	const json_t *list = json_list(
	        json_at(*state, "inclusion_verification_probes"), "vectors");
	size_t checked = 0;
	size_t valid = 0;

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *v = json_array_get(list, i);
		bool expect = json_flag(v, "expect_valid");
		size_t leaf_len;
		size_t root_len;
		size_t proof_len;
		uint8_t *leaf = hex_alloc(json_text(v, "leaf_hash"), &leaf_len);
		uint8_t *root = hex_alloc(json_text(v, "root"), &root_len);
		uint8_t *proof;
		bool got = false;

		if (proof_join(json_list(v, "proof"), &proof, &proof_len)) {
			got = wb_merkle_verify_inclusion(
			              leaf, leaf_len, json_u64(v, "leaf_index"),
			              json_u64(v, "tree_size"), proof,
			              proof_len, root, root_len) == WB_OK;
		}
		if (got != expect) {
			fail_msg("%s: verified %d, expected %d",
			         json_text(v, "file"), got, expect);
		}
		valid += expect;
		free(leaf);
		free(root);
		free(proof);
		checked++;
	}
	assert_int_equal(checked, json_array_size(list));
	assert_int_equal(checked, 98);
	assert_int_equal(valid, 6);
}

/* Consistency vectors of the probe layout, each with expect_valid. */
static size_t
check_consistency_list(const json_t *list, size_t *valid_out)
{
	size_t checked = 0;

	*valid_out = 0;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *v = json_array_get(list, i);
		bool expect = json_flag(v, "expect_valid");
		size_t r1_len;
		size_t r2_len;
		size_t proof_len;
		uint8_t *r1 = hex_alloc(json_text(v, "root1"), &r1_len);
		uint8_t *r2 = hex_alloc(json_text(v, "root2"), &r2_len);
		uint8_t *proof;
		bool got = false;

		if (proof_join(json_list(v, "proof"), &proof, &proof_len)) {
			got = wb_merkle_verify_consistency(
			              json_u64(v, "size1"),
			              json_u64(v, "size2"), r1, r1_len, r2,
			              r2_len, proof, proof_len) == WB_OK;
		}
		if (got != expect) {
			const json_t *name = json_object_get(v, "file");

			if (name == NULL) {
				name = json_object_get(v, "test");
			}
			fail_msg("%s: verified %d, expected %d",
			         json_string_value(name), got, expect);
		}
		*valid_out += expect;
		free(r1);
		free(r2);
		free(proof);
		checked++;
	}
	return checked;
}

static void
test_merkle_consistency_probes_have_expected_outcome(void **state)
{
	const json_t *list = json_list(
	        json_at(*state, "consistency_verification_probes"), "vectors");
	size_t valid;
	size_t checked = check_consistency_list(list, &valid);

	assert_int_equal(checked, json_array_size(list));
	assert_int_equal(checked, 98);
	assert_int_equal(valid, 6);
}

static void
test_merkle_consistency_negative_vectors_fail(void **state)
{
	const json_t *list = json_list(
	        json_at(*state, "consistency_negative_vectors"), "vectors");
	size_t valid;
	size_t checked = check_consistency_list(list, &valid);

	assert_int_equal(checked, json_array_size(list));
	assert_int_equal(checked, 6);
	assert_int_equal(valid, 0);
}

static void
test_merkle_real_world_inclusion_verifies(void **state)
{
	const json_t *rw = json_at(*state, "real_world_inclusion");
	const json_t *variants = json_list(rw, "negative_variants");
	size_t input_len;
	uint8_t *input = hex_alloc(json_text(rw, "leaf_input_hex"), &input_len);
	uint8_t *proof;
	size_t proof_len;
	wb_hash leaf;
	wb_hash published;
	wb_hash root;
	size_t checked = 0;

	wb_hash_leaf(&leaf, input, input_len);
	free(input);
	hex_hash(&published, json_text(rw, "leaf_hash"));
	assert_memory_equal(leaf.b, published.b, WB_HASH_LEN);
	hex_hash(&root, json_text(rw, "root"));
	assert_true(proof_join(json_list(rw, "proof"), &proof, &proof_len));
	assert_int_equal(proof_len, 22 * WB_HASH_LEN);
	assert_int_equal(wb_merkle_verify_inclusion(leaf.b, WB_HASH_LEN,
	                                            json_u64(rw, "leaf_index"),
	                                            json_u64(rw, "tree_size"),
	                                            proof, proof_len, root.b,
	                                            WB_HASH_LEN),
	                 WB_OK);
	checked++;
	for (size_t i = 0; i < json_array_size(variants); i++) {
		const json_t *v = json_array_get(variants, i);
		size_t root_len;
		uint8_t *bad_root = hex_alloc(json_text(v, "root"), &root_len);
		bool got =
		        wb_merkle_verify_inclusion(
		                leaf.b, WB_HASH_LEN, json_u64(v, "leaf_index"),
		                json_u64(v, "tree_size"), proof, proof_len,
		                bad_root, root_len) == WB_OK;

		if (got != json_flag(v, "expect_valid")) {
			fail_msg("%s: verified %d", json_text(v, "desc"), got);
		}
		free(bad_root);
		checked++;
	}
	free(proof);
	assert_int_equal(checked, 1 + json_array_size(variants));
	assert_int_equal(checked, 3);
}

/* The hash of a node named in the RFC example: MTH of its leaf range. */
static void
rfc_node(wb_hash *out, const json_t *nodes, const char *name,
         const wb_hash *leaves)
{
	const json_t *range = json_object_get(nodes, name);
	uint64_t start;
	uint64_t end;

	if (range == NULL) {
		fail_msg("RFC example names no node %s", name);
	}
	assert_int_equal(json_array_size(range), 2);
	start = json_as_u64(json_array_get(range, 0));
	end = json_as_u64(json_array_get(range, 1));
	assert_true(start < end && end <= 7);
	ref_mth(out, leaves + start, end - start);
}

static void
assert_proof_equals_names(const wb_hash *proof, size_t n, const json_t *names,
                          const json_t *nodes, const wb_hash *leaves)
{
	assert_int_equal(n, json_array_size(names));
	for (size_t i = 0; i < n; i++) {
		wb_hash want;

		rfc_node(&want, nodes,
		         json_string_value(json_array_get(names, i)), leaves);
		assert_memory_equal(proof[i].b, want.b, WB_HASH_LEN);
	}
}

static void
test_merkle_rfc_example_proofs_match(void **state)
{
	const json_t *ex = json_at(*state, "rfc_example_7_leaves");
	const json_t *nodes = json_at(ex, "nodes");
	const json_t *incl = json_list(ex, "inclusion");
	const json_t *cons = json_list(ex, "consistency");
	wb_hash leaves[8];
	wb_merkle_mem mem = { leaves, 7 };
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	wb_hash root;
	wb_hash k;
	wb_hash l;
	wb_hash want;
	size_t n;
	size_t checked = 0;

	reference_leaves(*state, leaves);
	/* "hash = MTH(D[0:7]) = node(k, l)" */
	assert_int_equal(wb_merkle_root(&root, 7, wb_merkle_mem_get, &mem),
	                 WB_OK);
	rfc_node(&k, nodes, "k", leaves);
	rfc_node(&l, nodes, "l", leaves);
	wb_hash_node(&want, &k, &l);
	assert_memory_equal(root.b, want.b, WB_HASH_LEN);

	for (size_t i = 0; i < json_array_size(incl); i++) {
		const json_t *v = json_array_get(incl, i);
		uint64_t index = json_u64(v, "leaf_index");

		assert_int_equal(json_u64(v, "tree_size"), 7);
		assert_int_equal(wb_merkle_inclusion_proof(proof, &n, index, 7,
		                                           wb_merkle_mem_get,
		                                           &mem),
		                 WB_OK);
		assert_proof_equals_names(proof, n, json_list(v, "proof"),
		                          nodes, leaves);
		assert_int_equal(
		        verify_incl(&leaves[index], index, 7, proof, n, &root),
		        WB_OK);
		checked++;
	}
	for (size_t i = 0; i < json_array_size(cons); i++) {
		const json_t *v = json_array_get(cons, i);
		uint64_t m = json_u64(v, "size1");
		wb_hash old;

		assert_int_equal(json_u64(v, "size2"), 7);
		assert_int_equal(wb_merkle_consistency_proof(proof, &n, m, 7,
		                                             wb_merkle_mem_get,
		                                             &mem),
		                 WB_OK);
		assert_proof_equals_names(proof, n, json_list(v, "proof"),
		                          nodes, leaves);
		ref_mth(&old, leaves, m);
		assert_int_equal(verify_cons(m, 7, &old, &root, proof, n),
		                 WB_OK);
		checked++;
	}
	assert_int_equal(checked,
	                 json_array_size(incl) + json_array_size(cons));
	assert_int_equal(checked, 4 + 3);
}

static void
test_merkle_convention_dependent_cases_are_rejected(void **state)
{
	const json_t *list =
	        json_list(json_at(*state, "convention_dependent"), "vectors");
	size_t checked = 0;

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *v = json_array_get(list, i);
		size_t r1_len;
		size_t r2_len;
		size_t proof_len;
		uint8_t *r1 = hex_alloc(json_text(v, "root1"), &r1_len);
		uint8_t *r2 = hex_alloc(json_text(v, "root2"), &r2_len);
		uint8_t *proof;

		assert_true(
		        proof_join(json_list(v, "proof"), &proof, &proof_len));
		assert_int_equal(wb_merkle_verify_consistency(
		                         json_u64(v, "size1"),
		                         json_u64(v, "size2"), r1, r1_len, r2,
		                         r2_len, proof, proof_len),
		                 WB_EBADSIG);
		free(r1);
		free(r2);
		free(proof);
		checked++;
	}
	assert_int_equal(checked, json_array_size(list));
	assert_int_equal(checked, 3);
}

/* ------------------------------------------------------------------ */
/* Properties                                                         */
/* ------------------------------------------------------------------ */

static void
test_merkle_root_matches_rfc_for_every_size(void **state)
{
	wb_hash leaves[SWEEP_MAX];

	(void)state;
	make_leaves(leaves, SWEEP_MAX);
	for (uint64_t n = 0; n <= SWEEP_MAX; n++) {
		wb_merkle_mem mem = { leaves, n };
		wb_hash got;
		wb_hash want;

		assert_int_equal(
		        wb_merkle_root(&got, n, wb_merkle_mem_get, &mem),
		        WB_OK);
		ref_mth(&want, leaves, n);
		assert_memory_equal(got.b, want.b, WB_HASH_LEN);
	}
}

static void
test_merkle_inclusion_proofs_verify_for_every_size(void **state)
{
	wb_hash leaves[SWEEP_MAX];

	(void)state;
	make_leaves(leaves, SWEEP_MAX);
	for (uint64_t n = 1; n <= SWEEP_MAX; n++) {
		wb_merkle_mem mem = { leaves, n };
		wb_hash root;

		ref_mth(&root, leaves, n);
		for (uint64_t i = 0; i < n; i++) {
			wb_hash proof[WB_MERKLE_MAX_PROOF];
			wb_hash want[WB_MERKLE_MAX_PROOF];
			size_t len;
			size_t want_len = 0;

			assert_int_equal(wb_merkle_inclusion_proof(
			                         proof, &len, i, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			ref_path(want, &want_len, i, leaves, n);
			assert_int_equal(len, want_len);
			for (size_t j = 0; j < len; j++) {
				assert_memory_equal(proof[j].b, want[j].b,
				                    WB_HASH_LEN);
			}
			assert_int_equal(verify_incl(&leaves[i], i, n, proof,
			                             len, &root),
			                 WB_OK);
			assert_true(ref_verify_inclusion(&leaves[i], i, n,
			                                 proof, len, &root));
		}
	}
}

static void
test_merkle_consistency_proofs_verify_for_every_size(void **state)
{
	wb_hash leaves[SWEEP_MAX];
	wb_hash roots[SWEEP_MAX + 1];

	(void)state;
	make_leaves(leaves, SWEEP_MAX);
	for (uint64_t n = 0; n <= SWEEP_MAX; n++) {
		ref_mth(&roots[n], leaves, n);
	}
	for (uint64_t n = 1; n <= SWEEP_MAX; n++) {
		wb_merkle_mem mem = { leaves, n };

		for (uint64_t m = 1; m <= n; m++) {
			wb_hash proof[WB_MERKLE_MAX_PROOF];
			wb_hash want[WB_MERKLE_MAX_PROOF];
			size_t len;
			size_t want_len = 0;

			assert_int_equal(wb_merkle_consistency_proof(
			                         proof, &len, m, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			if (m < n) {
				ref_subproof(want, &want_len, m, leaves, n,
				             true);
			}
			assert_int_equal(len, want_len);
			for (size_t j = 0; j < len; j++) {
				assert_memory_equal(proof[j].b, want[j].b,
				                    WB_HASH_LEN);
			}
			assert_int_equal(verify_cons(m, n, &roots[m], &roots[n],
			                             proof, len),
			                 WB_OK);
			assert_true(ref_verify_consistency(
			        m, n, &roots[m], &roots[n], proof, len));
		}
	}
}

/*
 * The bit-flip sweeps flip every bit of every proof node, the leaf and the
 * roots. That is ~2000 verifications per proof, so every index and size is
 * swept up to FLIP_ALL and a spread of them above.
 */
#define FLIP_ALL 24

/*
 * WAYBILL_TEST_SCALE=N (a whole number, 1 when unset; the valgrind test
 * setup sets 8) flips every N-th bit of each proof instead of every bit,
 * starting from a different bit for each index and size, so every size,
 * index and bit position is still covered with about 1/N of the work.
 * Under memcheck these sweeps would otherwise take most of the unit pass.
 */
static size_t
flip_step(void)
{
	const char *s = getenv("WAYBILL_TEST_SCALE");
	long v = s != NULL ? strtol(s, NULL, 10) : 1;

	return v >= 1 && v <= 64 ? (size_t)v : 1;
}

static bool
flip_sample(uint64_t x, uint64_t n)
{
	return n <= FLIP_ALL || x == 0 || x == 1 || x == n / 2 || x + 1 == n ||
	       (x & (x - 1)) == 0;
}

/*
 * The proof, then the leaf (or old root), then the root, back to back in one
 * buffer, so that one loop can flip every bit of all three.
 */
static uint8_t *
flip_buffer(const wb_hash *proof, size_t len, const wb_hash *a,
            const wb_hash *b)
{
	uint8_t *buf = malloc((len + 2) * WB_HASH_LEN);

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		memcpy(buf + i * WB_HASH_LEN, proof[i].b, WB_HASH_LEN);
	}
	memcpy(buf + len * WB_HASH_LEN, a->b, WB_HASH_LEN);
	memcpy(buf + (len + 1) * WB_HASH_LEN, b->b, WB_HASH_LEN);
	return buf;
}

static void
test_merkle_any_flipped_bit_fails_inclusion(void **state)
{
	wb_hash leaves[SWEEP_MAX];
	size_t flips = 0;
	size_t step = flip_step();

	(void)state;
	make_leaves(leaves, SWEEP_MAX);
	for (uint64_t n = 1; n <= SWEEP_MAX; n++) {
		wb_merkle_mem mem = { leaves, n };
		wb_hash root;

		ref_mth(&root, leaves, n);
		for (uint64_t i = 0; i < n; i++) {
			wb_hash proof[WB_MERKLE_MAX_PROOF];
			size_t len;
			uint8_t *buf;
			uint8_t *leaf;
			uint8_t *top;

			if (!flip_sample(i, n)) {
				continue;
			}
			assert_int_equal(wb_merkle_inclusion_proof(
			                         proof, &len, i, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			buf = flip_buffer(proof, len, &leaves[i], &root);
			leaf = buf + len * WB_HASH_LEN;
			top = leaf + WB_HASH_LEN;
			for (size_t bit = (i + n) % step;
			     bit < 8 * (len + 2) * WB_HASH_LEN; bit += step) {
				uint8_t mask = (uint8_t)(1u << (bit % 8));

				buf[bit / 8] ^= mask;
				assert_int_equal(wb_merkle_verify_inclusion(
				                         leaf, WB_HASH_LEN, i,
				                         n, buf,
				                         len * WB_HASH_LEN, top,
				                         WB_HASH_LEN),
				                 WB_EBADSIG);
				buf[bit / 8] ^= mask;
				flips++;
			}
			/* Unflipped, it still verifies: the flips failed
			 * for the flip, not for a broken harness. */
			assert_int_equal(wb_merkle_verify_inclusion(
			                         leaf, WB_HASH_LEN, i, n, buf,
			                         len * WB_HASH_LEN, top,
			                         WB_HASH_LEN),
			                 WB_OK);
			free(buf);
		}
	}
	assert_true(flips > 100000 / step);
}

static void
test_merkle_any_flipped_bit_fails_consistency(void **state)
{
	wb_hash leaves[SWEEP_MAX];
	wb_hash roots[SWEEP_MAX + 1];
	size_t flips = 0;
	size_t step = flip_step();

	(void)state;
	make_leaves(leaves, SWEEP_MAX);
	for (uint64_t n = 0; n <= SWEEP_MAX; n++) {
		ref_mth(&roots[n], leaves, n);
	}
	for (uint64_t n = 1; n <= SWEEP_MAX; n++) {
		wb_merkle_mem mem = { leaves, n };

		for (uint64_t m = 1; m <= n; m++) {
			wb_hash proof[WB_MERKLE_MAX_PROOF];
			size_t len;
			uint8_t *buf;
			uint8_t *r1;
			uint8_t *r2;

			if (!flip_sample(m, n)) {
				continue;
			}
			assert_int_equal(wb_merkle_consistency_proof(
			                         proof, &len, m, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			buf = flip_buffer(proof, len, &roots[m], &roots[n]);
			r1 = buf + len * WB_HASH_LEN;
			r2 = r1 + WB_HASH_LEN;
			for (size_t bit = (m + n) % step;
			     bit < 8 * (len + 2) * WB_HASH_LEN; bit += step) {
				uint8_t mask = (uint8_t)(1u << (bit % 8));

				buf[bit / 8] ^= mask;
				assert_int_equal(wb_merkle_verify_consistency(
				                         m, n, r1, WB_HASH_LEN,
				                         r2, WB_HASH_LEN, buf,
				                         len * WB_HASH_LEN),
				                 WB_EBADSIG);
				buf[bit / 8] ^= mask;
				flips++;
			}
			assert_int_equal(wb_merkle_verify_consistency(
			                         m, n, r1, WB_HASH_LEN, r2,
			                         WB_HASH_LEN, buf,
			                         len * WB_HASH_LEN),
			                 WB_OK);
			free(buf);
		}
	}
	assert_true(flips > 100000 / step);
}

/*
 * A proof moved to another index must fail. Moved to another size it must
 * fail too, except where both sizes give the leaf the same path shape (leaf
 * 0 has three right siblings in trees of 5 to 8 leaves): the proof then
 * cannot tell them apart and the signed tree head's size is what binds it.
 * The recursive oracle decides which case applies; the verifier must agree.
 */
static void
test_merkle_wrong_index_or_size_fails_inclusion(void **state)
{
	wb_hash leaves[SWEEP_MAX];
	size_t rejected = 0;
	size_t same_shape = 0;

	(void)state;
	make_leaves(leaves, SWEEP_MAX);
	for (uint64_t n = 1; n <= SWEEP_MAX; n++) {
		wb_merkle_mem mem = { leaves, n };
		wb_hash root;

		ref_mth(&root, leaves, n);
		for (uint64_t i = 0; i < n; i++) {
			wb_hash proof[WB_MERKLE_MAX_PROOF];
			size_t len;

			assert_int_equal(wb_merkle_inclusion_proof(
			                         proof, &len, i, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			for (uint64_t j = 0; j < n + 2; j++) {
				if (j == i) {
					continue;
				}
				assert_int_equal(verify_incl(&leaves[i], j, n,
				                             proof, len, &root),
				                 WB_EBADSIG);
				rejected++;
			}
			assert_int_equal(verify_incl(&leaves[i], i, 0, proof,
			                             len, &root),
			                 WB_EBADSIG);
			assert_int_equal(verify_incl(&leaves[i], i, UINT64_MAX,
			                             proof, len, &root),
			                 WB_EBADSIG);
			for (uint64_t s = 1; s <= SWEEP_MAX + 8; s++) {
				bool oracle;
				wb_err rc;

				if (s == n) {
					continue;
				}
				oracle = ref_verify_inclusion(
				        &leaves[i], i, s, proof, len, &root);
				rc = verify_incl(&leaves[i], i, s, proof, len,
				                 &root);
				assert_int_equal(rc,
				                 oracle ? WB_OK : WB_EBADSIG);
				if (oracle) {
					same_shape++;
				} else {
					rejected++;
				}
			}
		}
	}
	assert_true(rejected > 100000);
	assert_true(same_shape > 0);
}

static void
test_merkle_wrong_size_fails_consistency(void **state)
{
	wb_hash leaves[SWEEP_MAX];
	wb_hash roots[SWEEP_MAX + 1];
	size_t rejected = 0;

	(void)state;
	make_leaves(leaves, SWEEP_MAX);
	for (uint64_t n = 0; n <= SWEEP_MAX; n++) {
		ref_mth(&roots[n], leaves, n);
	}
	for (uint64_t n = 1; n <= SWEEP_MAX; n++) {
		wb_merkle_mem mem = { leaves, n };

		for (uint64_t m = 1; m <= n; m++) {
			const uint64_t sizes2[] = { n - 2, n - 1, n,    n + 1,
				                    n + 2, n / 2, 2 * n };
			wb_hash proof[WB_MERKLE_MAX_PROOF];
			size_t len;

			assert_int_equal(wb_merkle_consistency_proof(
			                         proof, &len, m, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			/* The same proof and heads under nearby sizes, and
			 * half and double the new one: the verifier must agree
			 * with the recursive oracle on each. */
			for (size_t a = 0; a < 7; a++) {
				uint64_t s2 = sizes2[a];

				for (uint64_t s1 = m - 1; s1 <= m + 2; s1++) {
					bool oracle;

					if (s1 == m && s2 == n) {
						continue;
					}
					oracle = ref_verify_consistency(
					        s1, s2, &roots[m], &roots[n],
					        proof, len);
					assert_int_equal(
					        verify_cons(s1, s2, &roots[m],
					                    &roots[n], proof,
					                    len),
					        oracle ? WB_OK : WB_EBADSIG);
					rejected += !oracle;
				}
			}
			/* Swapped heads never verify (m < n). */
			if (m < n) {
				assert_int_equal(verify_cons(m, n, &roots[n],
				                             &roots[m], proof,
				                             len),
				                 WB_EBADSIG);
			}
		}
	}
	assert_true(rejected > 50000);
}

/* A verifier is given a proof with one node too many, too few, or junk. */
static void
test_merkle_verify_rejects_malformed_lengths(void **state)
{
	enum {
		N = 13
	};
	wb_hash leaves[N];
	wb_merkle_mem mem = { leaves, N };
	wb_hash root;
	wb_hash old;
	wb_hash proof[WB_MERKLE_MAX_PROOF + 1];
	uint8_t buf[(WB_MERKLE_MAX_PROOF + 2) * WB_HASH_LEN];
	size_t len;

	(void)state;
	make_leaves(leaves, N);
	ref_mth(&root, leaves, N);
	ref_mth(&old, leaves, 5);

	assert_int_equal(wb_merkle_inclusion_proof(proof, &len, 6, N,
	                                           wb_merkle_mem_get, &mem),
	                 WB_OK);
	assert_int_equal(verify_incl(&leaves[6], 6, N, proof, len, &root),
	                 WB_OK);
	/* One node too many (any node), one too few. */
	proof[len] = proof[0];
	assert_int_equal(verify_incl(&leaves[6], 6, N, proof, len + 1, &root),
	                 WB_EBADSIG);
	assert_int_equal(verify_incl(&leaves[6], 6, N, proof, len - 1, &root),
	                 WB_EBADSIG);
	/* A partial node before or after, and bad leaf or root lengths. */
	for (size_t i = 0; i < len; i++) {
		memcpy(buf + i * WB_HASH_LEN, proof[i].b, WB_HASH_LEN);
	}
	for (size_t extra = 1; extra < WB_HASH_LEN; extra++) {
		assert_int_equal(wb_merkle_verify_inclusion(
		                         leaves[6].b, WB_HASH_LEN, 6, N, buf,
		                         len * WB_HASH_LEN + extra, root.b,
		                         WB_HASH_LEN),
		                 WB_EBADSIG);
		assert_int_equal(wb_merkle_verify_inclusion(
		                         leaves[6].b, WB_HASH_LEN, 6, N, buf,
		                         len * WB_HASH_LEN - extra, root.b,
		                         WB_HASH_LEN),
		                 WB_EBADSIG);
	}
	assert_int_equal(wb_merkle_verify_inclusion(leaves[6].b, 31, 6, N, buf,
	                                            len * WB_HASH_LEN, root.b,
	                                            WB_HASH_LEN),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_inclusion(leaves[6].b, WB_HASH_LEN, 6,
	                                            N, buf, len * WB_HASH_LEN,
	                                            root.b, 31),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_inclusion(NULL, 0, 6, N, buf,
	                                            len * WB_HASH_LEN, root.b,
	                                            WB_HASH_LEN),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_inclusion(leaves[6].b, WB_HASH_LEN, 6,
	                                            N, NULL, len * WB_HASH_LEN,
	                                            root.b, WB_HASH_LEN),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_inclusion(leaves[6].b, WB_HASH_LEN, 6,
	                                            N, buf, len * WB_HASH_LEN,
	                                            NULL, 0),
	                 WB_EBADSIG);
	/* A one-leaf tree: the leaf is the root, and no node may follow. */
	assert_int_equal(wb_merkle_verify_inclusion(leaves[0].b, WB_HASH_LEN, 0,
	                                            1, NULL, 0, leaves[0].b,
	                                            WB_HASH_LEN),
	                 WB_OK);
	assert_int_equal(wb_merkle_verify_inclusion(leaves[0].b, WB_HASH_LEN, 0,
	                                            1, leaves[0].b, WB_HASH_LEN,
	                                            leaves[0].b, WB_HASH_LEN),
	                 WB_EBADSIG);
	/* A huge proof is refused after 64 levels, not read to its end:
	 * ASan would report the read past buf. */
	assert_int_equal(wb_merkle_verify_inclusion(leaves[6].b, WB_HASH_LEN, 6,
	                                            N, buf, SIZE_MAX - 31,
	                                            root.b, WB_HASH_LEN),
	                 WB_EBADSIG);

	assert_int_equal(wb_merkle_consistency_proof(proof, &len, 5, N,
	                                             wb_merkle_mem_get, &mem),
	                 WB_OK);
	assert_int_equal(verify_cons(5, N, &old, &root, proof, len), WB_OK);
	proof[len] = proof[0];
	assert_int_equal(verify_cons(5, N, &old, &root, proof, len + 1),
	                 WB_EBADSIG);
	assert_int_equal(verify_cons(5, N, &old, &root, proof, len - 1),
	                 WB_EBADSIG);
	assert_int_equal(verify_cons(5, N, &old, &root, proof, 0), WB_EBADSIG);
	for (size_t i = 0; i < len; i++) {
		memcpy(buf + i * WB_HASH_LEN, proof[i].b, WB_HASH_LEN);
	}
	for (size_t extra = 1; extra < WB_HASH_LEN; extra++) {
		assert_int_equal(
		        wb_merkle_verify_consistency(5, N, old.b, WB_HASH_LEN,
		                                     root.b, WB_HASH_LEN, buf,
		                                     len * WB_HASH_LEN + extra),
		        WB_EBADSIG);
	}
	assert_int_equal(wb_merkle_verify_consistency(5, N, old.b, 31, root.b,
	                                              WB_HASH_LEN, buf,
	                                              len * WB_HASH_LEN),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_consistency(5, N, old.b, WB_HASH_LEN,
	                                              root.b, 33, buf,
	                                              len * WB_HASH_LEN),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_consistency(5, N, old.b, WB_HASH_LEN,
	                                              root.b, WB_HASH_LEN, buf,
	                                              SIZE_MAX - 31),
	                 WB_EBADSIG);
	/* Equal sizes: only the raw bytes of the heads count. */
	assert_int_equal(wb_merkle_verify_consistency(N, N, root.b, WB_HASH_LEN,
	                                              root.b, WB_HASH_LEN, NULL,
	                                              0),
	                 WB_OK);
	assert_int_equal(wb_merkle_verify_consistency(N, N, root.b, 7, root.b,
	                                              7, NULL, 0),
	                 WB_OK);
	assert_int_equal(wb_merkle_verify_consistency(N, N, root.b, WB_HASH_LEN,
	                                              root.b, 31, NULL, 0),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_consistency(N, N, root.b, WB_HASH_LEN,
	                                              old.b, WB_HASH_LEN, NULL,
	                                              0),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_consistency(N, N, root.b, WB_HASH_LEN,
	                                              root.b, WB_HASH_LEN, buf,
	                                              WB_HASH_LEN),
	                 WB_EBADSIG);
	/* From the empty tree: nothing, even with nothing to prove. */
	assert_int_equal(
	        wb_merkle_verify_consistency(0, 0, NULL, 0, NULL, 0, NULL, 0),
	        WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_consistency(0, N, root.b, WB_HASH_LEN,
	                                              root.b, WB_HASH_LEN, buf,
	                                              len * WB_HASH_LEN),
	                 WB_EBADSIG);
	assert_int_equal(wb_merkle_verify_consistency(N, 5, root.b, WB_HASH_LEN,
	                                              old.b, WB_HASH_LEN, buf,
	                                              len * WB_HASH_LEN),
	                 WB_EBADSIG);
}

/* A small deterministic generator, so a failure replays. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t
rand_size(uint64_t *s)
{
	switch (next_rand(s) % 4) {
	case 0:
		return next_rand(s) % 10;
	case 1:
		return next_rand(s) % 100000;
	case 2:
		return next_rand(s) >> (next_rand(s) % 64);
	default:
		return UINT64_MAX - next_rand(s) % 4;
	}
}

/*
 * Random sizes, lengths and bytes, each input in a buffer of exactly its
 * length: under ASan any read out of bounds stops the test. Structured
 * lengths (multiples of 32) dominate so that the loops are reached.
 */
static void
test_merkle_verify_random_input_stays_in_bounds(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15u;
	size_t ok = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t lens[4];
		uint8_t *bufs[4];
		wb_err a;
		wb_err b;
		uint64_t s1 = rand_size(&seed);
		uint64_t s2 = rand_size(&seed);

		for (int k = 0; k < 4; k++) {
			uint64_t r = next_rand(&seed);

			/* Mostly well-formed lengths, so that the loops run;
			 * a third of any length up to 80. */
			if (r % 3 == 0) {
				lens[k] = (size_t)(r >> 8) % 80;
			} else if (k == 3) {
				lens[k] = WB_HASH_LEN * (size_t)((r >> 8) % 70);
			} else {
				lens[k] = WB_HASH_LEN;
			}
			bufs[k] = malloc(lens[k] > 0 ? lens[k] : 1);
			assert_non_null(bufs[k]);
			for (size_t j = 0; j < lens[k]; j++) {
				bufs[k][j] = (uint8_t)next_rand(&seed);
			}
		}
		if (next_rand(&seed) % 4 == 0) {
			/* Equal heads, often of equal sizes with no proof,
			 * to reach the equal-size branch. */
			free(bufs[1]);
			bufs[1] = malloc(lens[0] > 0 ? lens[0] : 1);
			assert_non_null(bufs[1]);
			lens[1] = lens[0];
			memcpy(bufs[1], bufs[0], lens[0]);
			if (next_rand(&seed) % 2 == 0) {
				s2 = s1;
				lens[3] = 0;
			}
		}
		a = wb_merkle_verify_inclusion(bufs[0], lens[0], s1, s2,
		                               bufs[3], lens[3], bufs[1],
		                               lens[1]);
		b = wb_merkle_verify_consistency(s1, s2, bufs[0], lens[0],
		                                 bufs[1], lens[1], bufs[3],
		                                 lens[3]);
		assert_true(a == WB_OK || a == WB_EBADSIG);
		assert_true(b == WB_OK || b == WB_EBADSIG);
		/* Random data verifies only where no hash is computed: a
		 * one-leaf tree whose root is the leaf, or equal heads. */
		if (a == WB_OK) {
			assert_true(s1 == 0 && s2 == 1 && lens[3] == 0);
			assert_true(lens[0] == WB_HASH_LEN &&
			            memcmp(bufs[0], bufs[1], WB_HASH_LEN) == 0);
		}
		if (b == WB_OK) {
			assert_true(s1 == s2 && s1 != 0 && lens[3] == 0);
			ok++;
		}
		for (int k = 0; k < 4; k++) {
			free(bufs[k]);
		}
	}
	assert_true(ok > 0);
}

static void
test_merkle_generation_rejects_bad_requests(void **state)
{
	wb_hash leaves[4];
	wb_merkle_mem mem = { leaves, 4 };
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	wb_hash h;
	size_t len = 99;

	(void)state;
	make_leaves(leaves, 4);
	assert_int_equal(wb_merkle_inclusion_proof(proof, &len, 4, 4,
	                                           wb_merkle_mem_get, &mem),
	                 WB_EINVAL);
	assert_int_equal(wb_merkle_inclusion_proof(proof, &len, 0, 0,
	                                           wb_merkle_mem_get, &mem),
	                 WB_EINVAL);
	assert_int_equal(wb_merkle_consistency_proof(proof, &len, 0, 4,
	                                             wb_merkle_mem_get, &mem),
	                 WB_EINVAL);
	assert_int_equal(wb_merkle_consistency_proof(proof, &len, 0, 0,
	                                             wb_merkle_mem_get, &mem),
	                 WB_EINVAL);
	assert_int_equal(wb_merkle_consistency_proof(proof, &len, 4, 3,
	                                             wb_merkle_mem_get, &mem),
	                 WB_EINVAL);
	assert_int_equal(wb_merkle_consistency_proof(proof, &len, 4, 4,
	                                             wb_merkle_mem_get, &mem),
	                 WB_OK);
	assert_int_equal(len, 0);
	/* The store's own error comes back: a tree larger than the store. */
	assert_int_equal(wb_merkle_root(&h, 5, wb_merkle_mem_get, &mem),
	                 WB_ENOTFOUND);
	assert_int_equal(wb_merkle_inclusion_proof(proof, &len, 0, 5,
	                                           wb_merkle_mem_get, &mem),
	                 WB_ENOTFOUND);
	assert_int_equal(wb_merkle_consistency_proof(proof, &len, 2, 5,
	                                             wb_merkle_mem_get, &mem),
	                 WB_ENOTFOUND);
	assert_int_equal(wb_merkle_mem_get(&h, 2, 1, &mem), WB_ENOTFOUND);
	assert_int_equal(wb_merkle_mem_get(&h, 3, 0, &mem), WB_ENOTFOUND);
	assert_int_equal(wb_merkle_mem_get(&h, 64, 0, &mem), WB_ENOTFOUND);
	assert_int_equal(wb_merkle_mem_get(&h, 0, UINT64_MAX, &mem),
	                 WB_ENOTFOUND);
	assert_int_equal(wb_merkle_mem_get(&h, 2, 0, &mem), WB_OK);
}

/* ------------------------------------------------------------------ */
/* Append, and the number of reads                                    */
/* ------------------------------------------------------------------ */

#define STORE_LEAVES 300
#define STORE_LEVELS 9 /* 2^8 <= 300 < 2^9 */

/* The journal's view of the tree: perfect subtrees by (level, index). */
typedef struct {
	wb_hash node[STORE_LEVELS][STORE_LEAVES];
	bool have[STORE_LEVELS][STORE_LEAVES];
	uint64_t appended; /* leaves appended so far */
	uint64_t limit;    /* reads must stay within this many leaves */
	size_t puts;
	size_t gets;
} node_store;

static bool
in_tree(unsigned level, uint64_t index, uint64_t size)
{
	return level < 64 && index < size >> level;
}

static wb_err
store_get(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	node_store *st = arg;

	st->gets++;
	if (!in_tree(level, index, st->limit) || level >= STORE_LEVELS ||
	    !st->have[level][index]) {
		return WB_ENOTFOUND;
	}
	*out = st->node[level][index];
	return WB_OK;
}

static wb_err
store_put(unsigned level, uint64_t index, const wb_hash *hash, void *arg)
{
	node_store *st = arg;

	/* Only complete subtrees, each exactly once. */
	assert_true(level < STORE_LEVELS);
	assert_true(in_tree(level, index, st->appended));
	assert_false(st->have[level][index]);
	st->node[level][index] = *hash;
	st->have[level][index] = true;
	st->puts++;
	return WB_OK;
}

static void
test_merkle_append_stores_exactly_the_perfect_subtrees(void **state)
{
	node_store *st = calloc(1, sizeof(*st));
	wb_hash leaves[STORE_LEAVES];
	wb_merkle_mem all = { leaves, STORE_LEAVES };
	wb_hash roots[STORE_LEAVES + 1];
	size_t expected_puts = 0;

	(void)state;
	assert_non_null(st);
	make_leaves(leaves, STORE_LEAVES);
	ref_mth(&roots[0], leaves, 0);
	for (uint64_t i = 0; i < STORE_LEAVES; i++) {
		size_t before = st->puts;
		size_t completes = 1;
		wb_hash got;

		/* Leaf i completes one subtree per trailing 1 bit of i. */
		for (uint64_t x = i; x & 1; x >>= 1) {
			completes++;
		}
		st->appended = i + 1;
		st->limit = i; /* append reads only earlier leaves */
		assert_int_equal(wb_merkle_append(i, &leaves[i], store_get,
		                                  store_put, st),
		                 WB_OK);
		assert_int_equal(st->puts - before, completes);
		st->limit = i + 1;
		ref_mth(&roots[i + 1], leaves, i + 1);
		assert_int_equal(wb_merkle_root(&got, i + 1, store_get, st),
		                 WB_OK);
		assert_memory_equal(got.b, roots[i + 1].b, WB_HASH_LEN);
	}
	for (unsigned l = 0; l < STORE_LEVELS; l++) {
		for (uint64_t j = 0; j < STORE_LEAVES; j++) {
			wb_hash want;

			if (!in_tree(l, j, STORE_LEAVES)) {
				assert_false(st->have[l][j]);
				continue;
			}
			assert_true(st->have[l][j]);
			assert_int_equal(wb_merkle_mem_get(&want, l, j, &all),
			                 WB_OK);
			assert_memory_equal(st->node[l][j].b, want.b,
			                    WB_HASH_LEN);
			expected_puts++;
		}
	}
	assert_int_equal(st->puts, expected_puts);

	/* Proofs served by the store equal the in-memory ones, and verify
	 * at every size it has, reading nothing past that size. */
	for (uint64_t n = 1; n <= STORE_LEAVES; n++) {
		wb_merkle_mem mem = { leaves, n };

		st->limit = n;
		for (uint64_t i = 0; i < n; i++) {
			wb_hash a[WB_MERKLE_MAX_PROOF];
			wb_hash b[WB_MERKLE_MAX_PROOF];
			size_t a_len;
			size_t b_len;

			assert_int_equal(wb_merkle_inclusion_proof(a, &a_len, i,
			                                           n, store_get,
			                                           st),
			                 WB_OK);
			assert_int_equal(verify_incl(&leaves[i], i, n, a, a_len,
			                             &roots[n]),
			                 WB_OK);
			assert_int_equal(
			        wb_merkle_consistency_proof(a, &a_len, i + 1, n,
			                                    store_get, st),
			        WB_OK);
			assert_int_equal(verify_cons(i + 1, n, &roots[i + 1],
			                             &roots[n], a, a_len),
			                 WB_OK);
			if (n > SWEEP_MAX) {
				continue;
			}
			assert_int_equal(wb_merkle_inclusion_proof(a, &a_len, i,
			                                           n, store_get,
			                                           st),
			                 WB_OK);
			assert_int_equal(wb_merkle_inclusion_proof(
			                         b, &b_len, i, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			assert_int_equal(a_len, b_len);
			assert_memory_equal(a, b, a_len * sizeof(a[0]));
			assert_int_equal(
			        wb_merkle_consistency_proof(a, &a_len, i + 1, n,
			                                    store_get, st),
			        WB_OK);
			assert_int_equal(wb_merkle_consistency_proof(
			                         b, &b_len, i + 1, n,
			                         wb_merkle_mem_get, &mem),
			                 WB_OK);
			assert_int_equal(a_len, b_len);
			assert_memory_equal(a, b, a_len * sizeof(a[0]));
		}
	}
	free(st);
}

static wb_err
get_fails(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	(void)out;
	(void)level;
	(void)index;
	(void)arg;
	return WB_EIO;
}

static wb_err
put_fails(unsigned level, uint64_t index, const wb_hash *hash, void *arg)
{
	(void)level;
	(void)index;
	(void)hash;
	(void)arg;
	return WB_ENOSPC;
}

static wb_err
put_ignored(unsigned level, uint64_t index, const wb_hash *hash, void *arg)
{
	(void)level;
	(void)index;
	(void)hash;
	(void)arg;
	return WB_OK;
}

static void
test_merkle_append_passes_store_errors_back(void **state)
{
	wb_hash leaf;
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	size_t len;

	(void)state;
	make_leaves(&leaf, 1);
	assert_int_equal(wb_merkle_append(0, &leaf, get_fails, put_fails, NULL),
	                 WB_ENOSPC);
	/* Leaf 0 needs no read; leaf 1 reads leaf 0. */
	assert_int_equal(
	        wb_merkle_append(0, &leaf, get_fails, put_ignored, NULL),
	        WB_OK);
	assert_int_equal(
	        wb_merkle_append(1, &leaf, get_fails, put_ignored, NULL),
	        WB_EIO);
	assert_int_equal(wb_merkle_append(UINT64_MAX, &leaf, get_fails,
	                                  put_ignored, NULL),
	                 WB_EINVAL);
	assert_int_equal(wb_merkle_root(&leaf, 3, get_fails, NULL), WB_EIO);
	assert_int_equal(
	        wb_merkle_inclusion_proof(proof, &len, 1, 3, get_fails, NULL),
	        WB_EIO);
	assert_int_equal(
	        wb_merkle_consistency_proof(proof, &len, 1, 3, get_fails, NULL),
	        WB_EIO);
}

/*
 * A tree whose leaves are all equal: every node of a level has the same
 * hash, so any size up to 2^64 - 1 is consistent and cheap to serve. Reads
 * are counted and must lie inside the tree.
 */
typedef struct {
	wb_hash level[64];
	uint64_t size;
	size_t gets;
} uniform_tree;

static wb_err
uniform_get(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	uniform_tree *t = arg;

	t->gets++;
	if (!in_tree(level, index, t->size)) {
		fail_msg("read of (%u, %llu) outside a tree of %llu", level,
		         (unsigned long long)index,
		         (unsigned long long)t->size);
	}
	*out = t->level[level];
	return WB_OK;
}

/* MTH of n equal leaves, by the RFC recursion (perfect left part). */
static void
uniform_root(wb_hash *out, const uniform_tree *t, uint64_t n)
{
	uint64_t k;
	wb_hash rest;

	if ((n & (n - 1)) == 0) {
		*out = t->level[__builtin_ctzll(n)];
		return;
	}
	k = ref_split(n);
	uniform_root(&rest, t, n - k);
	wb_hash_node(out, &t->level[__builtin_ctzll(k)], &rest);
}

static void
test_merkle_roots_and_proofs_need_log_reads(void **state)
{
	static const uint64_t sizes[] = {
		1,
		2,
		3,
		1000000,
		1000001,
		((uint64_t)1 << 40) + 12345,
		(uint64_t)1 << 63,
		((uint64_t)1 << 63) + 1,
		UINT64_MAX - 1,
		UINT64_MAX,
	};
	uniform_tree t;
	size_t too_deep = 0; /* (2^63 - 1, 2^63 + 1) is one */

	(void)state;
	make_leaves(&t.level[0], 1);
	for (int l = 1; l < 64; l++) {
		wb_hash_node(&t.level[l], &t.level[l - 1], &t.level[l - 1]);
	}
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s];
		uint64_t picks[] = { 0, 1, n / 3, n / 2, n - 2, n - 1, n };
		wb_hash root;
		wb_hash want;

		t.size = n;
		t.gets = 0;
		assert_int_equal(wb_merkle_root(&root, n, uniform_get, &t),
		                 WB_OK);
		assert_true(t.gets <= 64);
		uniform_root(&want, &t, n);
		assert_memory_equal(root.b, want.b, WB_HASH_LEN);
		for (size_t p = 0; p < sizeof(picks) / sizeof(picks[0]); p++) {
			wb_hash proof[WB_MERKLE_MAX_PROOF];
			wb_hash old;
			uint64_t i = picks[p];
			size_t len;
			wb_err rc;

			if (i > n) {
				continue;
			}
			if (i < n) {
				t.gets = 0;
				assert_int_equal(wb_merkle_inclusion_proof(
				                         proof, &len, i, n,
				                         uniform_get, &t),
				                 WB_OK);
				assert_true(t.gets <= 2 * 64);
				assert_int_equal(verify_incl(&t.level[0], i, n,
				                             proof, len, &root),
				                 WB_OK);
			}
			if (i == 0) {
				continue;
			}
			t.gets = 0;
			rc = wb_merkle_consistency_proof(proof, &len, i, n,
			                                 uniform_get, &t);
			assert_true(t.gets <= 2 * 64);
			if (rc == WB_EINVAL) {
				/* 65 nodes: only past 2^63 leaves. */
				assert_true(n > (uint64_t)1 << 63);
				too_deep++;
				continue;
			}
			assert_int_equal(rc, WB_OK);
			uniform_root(&old, &t, i);
			assert_int_equal(
			        verify_cons(i, n, &old, &root, proof, len),
			        WB_OK);
		}
	}
	assert_true(too_deep > 0);
}

/* ------------------------------------------------------------------ */

static int
load_vectors(void **state)
{
	size_t len;
	char *raw = test_read_file(test_shared_path(VECTORS), &len);
	char *text = quote_big_integers(raw, len);
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);

	free(raw);
	free(text);
	if (v == NULL || !json_is_object(v)) {
		fprintf(stderr, "%s:%d: %s\n", VECTORS, err.line, err.text);
		json_decref(v);
		return -1;
	}
	*state = v;
	return 0;
}

static int
free_vectors(void **state)
{
	json_decref(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merkle_vectors_have_only_known_sections),
		cmocka_unit_test(test_merkle_hasher_kats_match),
		cmocka_unit_test(
		        test_merkle_reference_tree_nodes_and_roots_match),
		cmocka_unit_test(
		        test_merkle_published_inclusion_proofs_match_and_verify),
		cmocka_unit_test(
		        test_merkle_published_consistency_proofs_match_and_verify),
		cmocka_unit_test(
		        test_merkle_proof_generation_fails_where_published),
		cmocka_unit_test(
		        test_merkle_inclusion_probes_have_expected_outcome),
		cmocka_unit_test(
		        test_merkle_consistency_probes_have_expected_outcome),
		cmocka_unit_test(test_merkle_consistency_negative_vectors_fail),
		cmocka_unit_test(test_merkle_real_world_inclusion_verifies),
		cmocka_unit_test(test_merkle_rfc_example_proofs_match),
		cmocka_unit_test(
		        test_merkle_convention_dependent_cases_are_rejected),
		cmocka_unit_test(test_merkle_root_matches_rfc_for_every_size),
		cmocka_unit_test(
		        test_merkle_inclusion_proofs_verify_for_every_size),
		cmocka_unit_test(
		        test_merkle_consistency_proofs_verify_for_every_size),
		cmocka_unit_test(test_merkle_any_flipped_bit_fails_inclusion),
		cmocka_unit_test(test_merkle_any_flipped_bit_fails_consistency),
		cmocka_unit_test(
		        test_merkle_wrong_index_or_size_fails_inclusion),
		cmocka_unit_test(test_merkle_wrong_size_fails_consistency),
		cmocka_unit_test(test_merkle_verify_rejects_malformed_lengths),
		cmocka_unit_test(
		        test_merkle_verify_random_input_stays_in_bounds),
		cmocka_unit_test(test_merkle_generation_rejects_bad_requests),
		cmocka_unit_test(
		        test_merkle_append_stores_exactly_the_perfect_subtrees),
		cmocka_unit_test(test_merkle_append_passes_store_errors_back),
		cmocka_unit_test(test_merkle_roots_and_proofs_need_log_reads),
	};

	test_require_shared(VECTORS);
	if (wb_init() != WB_OK) {
		fprintf(stderr, "wb_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
