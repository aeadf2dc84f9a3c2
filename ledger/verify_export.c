/* SPDX-License-Identifier: MIT */
/*
 * verify_export.c - the auditor's check of an export (see waybill/verify.h
 * and waybill/export.h), streaming: one item at a time, keeping only the
 * range's leaf hashes, the keys of the registry and each twin's last entry.
 *
 * Each entry is first compared with the leaf hash its ledger stored when it
 * appended it, where the export carries one: that names the changed entry
 * whatever field changed, including the two the stakeholder does not sign
 * (the record time, a chain link's previous-leaf hash), which the later
 * checks could only blame on a neighbour or on the root at the end. The
 * carried hash proves nothing by itself (whoever edits an entry can
 * recompute it); the chain links and the checkpoint's root still do, and an
 * export without carried hashes is checked by them alone, as before.
 */
#include "waybill/export.h"
#include "waybill/verify.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "verify_impl.h"
#include "waybill/entry.h"
#include "waybill/note.h"
#include "waybill/stamp.h"

/* A key's history as the registry entries seen so far tell it. */
struct key_slot {
	wb_pubkey key;
	uint64_t valid_from;
	uint64_t rotated_at;   /* UINT64_MAX: never */
	uint64_t revoked_from; /* UINT64_MAX: never */
};

/* A twin's last entry in the range (open addressing on the key). */
struct twin_slot {
	char *key;
	uint64_t index;
	wb_hash leaf;
};

struct stamp_key {
	uint64_t index;
	size_t slot;
};

struct audit {
	wb_verify_report *r;
	wb_export_info *info;
	wb_export_header *h;
	wb_genesis genesis;
	wb_entry *genesis_entry;
	wb_checkpoint cp;
	struct key_slot *keys;
	size_t n_keys, cap_keys;
	struct twin_slot *twins;
	size_t n_twins, cap_twins;
	wb_hash *leaves; /* of [from, to) */
	struct stamp_key *stamps;
	size_t n_stamps, cap_stamps;
	wb_replayer *replay;
	uint64_t last_rt;
};

static bool
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t ncap;

	if (n < *cap) {
		return true;
	}
	ncap = *cap ? *cap * 2 : 64;
	if ((nv = realloc(*v, ncap * size)) == NULL) {
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

static struct key_slot *
find_key(struct audit *a, const wb_pubkey *k, size_t *slot)
{
	for (size_t i = 0; i < a->n_keys; i++) {
		if (memcmp(a->keys[i].key.b, k->b, WB_PUBKEY_LEN) == 0) {
			if (slot != NULL) {
				*slot = i;
			}
			return &a->keys[i];
		}
	}
	return NULL;
}

static wb_err
add_key(struct audit *a, const wb_pubkey *k, uint64_t valid_from)
{
	if (find_key(a, k, NULL) != NULL) {
		return WB_OK; /* refused by the ledger; the replay says so */
	}
	if (!grow((void **)&a->keys, &a->cap_keys, a->n_keys,
	          sizeof(*a->keys))) {
		return WB_ENOMEM;
	}
	a->keys[a->n_keys++] =
	        (struct key_slot){ *k, valid_from, UINT64_MAX, UINT64_MAX };
	return WB_OK;
}

/* Follows a registry change's effect on keys (validity windows only). */
static wb_err
apply_registry(struct audit *a, const wb_entry *e)
{
	wb_registry_change *c = NULL;
	struct key_slot *k;
	wb_err rc = WB_OK;

	if (memcmp(e->signer.b, a->genesis.admin_key.b, WB_PUBKEY_LEN) != 0) {
		wb_report_fail(
		        a->r, e->index,
		        "registry entry %llu is not signed by the admin key",
		        (unsigned long long)e->index);
		return WB_OK;
	}
	if (wb_sig_verify(&e->signer, WB_SIG_REGISTRY, e->body, e->body_len,
	                  e->signature) != WB_OK) {
		wb_report_fail(
		        a->r, e->index,
		        "the admin's signature of registry entry %llu does not verify",
		        (unsigned long long)e->index);
		return WB_OK;
	}
	if (wb_registry_change_decode(&c, e->body, e->body_len) != WB_OK) {
		wb_report_fail(
		        a->r, e->index,
		        "registry entry %llu does not hold a registry change",
		        (unsigned long long)e->index);
		return WB_OK;
	}
	switch (c->op) {
	case WB_REG_REGISTER:
		rc = add_key(a, &c->key, e->index + 1);
		break;
	case WB_REG_ROTATE:
		if ((k = find_key(a, &c->key, NULL)) != NULL &&
		    k->rotated_at == UINT64_MAX) {
			k->rotated_at = e->index;
		}
		rc = add_key(a, &c->new_key, e->index + 1);
		break;
	case WB_REG_REVOKE:
		if ((k = find_key(a, &c->key, NULL)) != NULL &&
		    c->effective_index < k->revoked_from) {
			k->revoked_from = c->effective_index;
		}
		break;
	default:
		break;
	}
	wb_registry_change_free(c);
	return rc;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	}
	return h;
}

static struct twin_slot *
twin_find(struct audit *a, const char *key, bool *found)
{
	size_t i = (size_t)(fnv1a(key) & (a->cap_twins - 1));

	for (;; i = (i + 1) & (a->cap_twins - 1)) {
		if (a->twins[i].key == NULL) {
			*found = false;
			return &a->twins[i];
		}
		if (strcmp(a->twins[i].key, key) == 0) {
			*found = true;
			return &a->twins[i];
		}
	}
}

static wb_err
twin_grow(struct audit *a)
{
	struct twin_slot *old = a->twins;
	size_t old_cap = a->cap_twins;
	bool found;

	if (a->twins != NULL && (a->n_twins + 1) * 10 < a->cap_twins * 7) {
		return WB_OK;
	}
	a->cap_twins = old_cap ? old_cap * 2 : 1024;
	if ((a->twins = calloc(a->cap_twins, sizeof(*a->twins))) == NULL) {
		a->twins = old;
		a->cap_twins = old_cap;
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].key != NULL) {
			*twin_find(a, old[i].key, &found) = old[i];
		}
	}
	free(old);
	return WB_OK;
}

/* Each link must name its twin's previous entry in the range; links to
 * entries before the range cannot be checked here. */
static wb_err
check_links(struct audit *a, const wb_entry *e, const wb_hash *leaf)
{
	for (size_t i = 0; i < e->n_links && a->r->ok; i++) {
		const wb_link *l = &e->links[i];
		struct twin_slot *s;
		bool found;

		if (twin_grow(a) != WB_OK) {
			return WB_ENOMEM;
		}
		s = twin_find(a, l->twin, &found);
		if (found && l->has_prev && l->prev_index == s->index &&
		    !wb_hash_equal(&l->prev_leaf_hash, &s->leaf)) {
			/* The link names the right entry, whose bytes are not
			 * the ones it was written against. */
			wb_report_fail(
			        a->r, s->index,
			        "entry %llu's bytes are not those entry %llu's chain link for %s was written against: one of the two was altered",
			        (unsigned long long)s->index,
			        (unsigned long long)e->index, l->twin);
			return WB_OK;
		}
		if (found ? !l->has_prev || l->prev_index != s->index ||
		                    !wb_hash_equal(&l->prev_leaf_hash, &s->leaf)
		          : l->has_prev && l->prev_index >= a->h->from) {
			wb_report_fail(
			        a->r, e->index,
			        "entry %llu's chain link for %s does not name that twin's previous entry: the chain was broken",
			        (unsigned long long)e->index, l->twin);
			return WB_OK;
		}
		if (!found) {
			if ((s->key = strdup(l->twin)) == NULL) {
				return WB_ENOMEM;
			}
			a->n_twins++;
		}
		s->index = e->index;
		s->leaf = *leaf;
	}
	return WB_OK;
}

static wb_err
check_stamp(struct audit *a, const wb_entry *e)
{
	struct key_slot *k;
	wb_stamp *s = NULL;
	size_t slot;

	if (wb_sig_verify(&e->signer, WB_SIG_STAMP, e->body, e->body_len,
	                  e->signature) != WB_OK) {
		wb_report_fail(a->r, e->index,
		               "the signature of entry %llu does not verify",
		               (unsigned long long)e->index);
		return WB_OK;
	}
	if ((k = find_key(a, &e->signer, &slot)) == NULL ||
	    e->index < k->valid_from) {
		wb_report_fail(
		        a->r, e->index,
		        "entry %llu is signed by a key not registered before it",
		        (unsigned long long)e->index);
		return WB_OK;
	}
	if (e->index >= k->rotated_at) {
		wb_report_fail(
		        a->r, e->index,
		        "entry %llu is signed by a key rotated away at %llu",
		        (unsigned long long)e->index,
		        (unsigned long long)k->rotated_at);
		return WB_OK;
	}
	if (e->index >= k->revoked_from) {
		wb_report_fail(
		        a->r, e->index,
		        "entry %llu is signed by a key revoked from %llu",
		        (unsigned long long)e->index,
		        (unsigned long long)k->revoked_from);
		return WB_OK;
	}
	if (wb_stamp_decode(&s, e->body, e->body_len) != WB_OK ||
	    memcmp(s->ledger_id, a->info->ledger_id, WB_HASH_LEN) != 0) {
		wb_report_fail(
		        a->r, e->index,
		        "entry %llu does not hold a stamp of this ledger",
		        (unsigned long long)e->index);
	}
	wb_stamp_free(s);
	/* Remember who signed, to flag later retroactive revocations. */
	if (!grow((void **)&a->stamps, &a->cap_stamps, a->n_stamps,
	          sizeof(*a->stamps))) {
		return WB_ENOMEM;
	}
	a->stamps[a->n_stamps++] = (struct stamp_key){ e->index, slot };
	return WB_OK;
}

/* Whether entry x (its leaf hash computed from its bytes) matches the leaf
 * hash the export carries for it; a missing one is not checked. */
static bool
carried_leaf_ok(struct audit *a, const wb_export_entry *x, const wb_hash *leaf)
{
	if (x->leaf_hash == NULL) {
		return true;
	}
	if (x->leaf_hash_len != WB_HASH_LEN) {
		wb_report_fail(
		        a->r, x->index,
		        "entry %llu carries a leaf hash of %zu bytes, not %d: the export is malformed",
		        (unsigned long long)x->index, x->leaf_hash_len,
		        WB_HASH_LEN);
		return false;
	}
	if (memcmp(x->leaf_hash, leaf->b, WB_HASH_LEN) != 0) {
		wb_report_fail(
		        a->r, x->index,
		        "entry %llu does not match the leaf hash its ledger recorded for it: the entry or its hash was altered after it was appended (in the ledger's store or in this copy)",
		        (unsigned long long)x->index);
		return false;
	}
	return true;
}

static wb_err
take_range_entry(struct audit *a, const wb_export_entry *x, uint64_t expect)
{
	wb_entry *e = NULL;
	wb_hash leaf;
	wb_err rc = WB_OK;

	if (x->index != expect || x->n_proof != 0) {
		wb_report_fail(
		        a->r, expect,
		        "entry %llu is missing: the export holds entry %llu in its place",
		        (unsigned long long)expect,
		        (unsigned long long)x->index);
		return WB_OK;
	}
	wb_hash_leaf(&leaf, x->entry, x->entry_len);
	a->leaves[expect - a->h->from] = leaf;
	if (!carried_leaf_ok(a, x, &leaf)) {
		return WB_OK;
	}
	if (expect == 0) {
		if (x->entry_len != a->h->genesis_len ||
		    memcmp(x->entry, a->h->genesis, x->entry_len) != 0) {
			wb_report_fail(a->r, 0,
			               "entry 0 is not the header's genesis");
		}
		return WB_OK;
	}
	if (wb_entry_decode(&e, x->entry, x->entry_len) != WB_OK ||
	    e->index != expect) {
		wb_report_fail(
		        a->r, expect,
		        "entry %llu does not parse, or names another index",
		        (unsigned long long)expect);
		goto out;
	}
	if (e->record_time_us < a->last_rt) {
		wb_report_fail(
		        a->r, expect,
		        "entry %llu was recorded before entry %llu: record times must never go back",
		        (unsigned long long)expect,
		        (unsigned long long)expect - 1);
		goto out;
	}
	a->last_rt = e->record_time_us;
	if (e->type == WB_ENTRY_REGISTRY) {
		rc = apply_registry(a, e);
	} else if (e->type == WB_ENTRY_STAMP) {
		rc = check_stamp(a, e);
	} else {
		wb_report_fail(a->r, expect, "entry %llu is a second genesis",
		               (unsigned long long)expect);
	}
	if (rc == WB_OK && a->r->ok) {
		rc = check_links(a, e, &leaf);
	}
	if (rc == WB_OK && a->r->ok && a->replay != NULL) {
		rc = wb_replayer_add(a->replay, expect, x->entry, x->entry_len,
		                     a->r);
	}
out:
	wb_entry_free(e);
	return rc;
}

static bool
proof_ok(struct audit *a, uint64_t index, const wb_hash *leaf,
         const wb_hash *proof, size_t n)
{
	return wb_merkle_verify_inclusion(leaf->b, WB_HASH_LEN, index, a->h->to,
	                                  (const uint8_t *)proof,
	                                  n * WB_HASH_LEN, a->cp.root.b,
	                                  WB_HASH_LEN) == WB_OK;
}

static wb_err
take_registry_item(struct audit *a, const wb_export_entry *x, uint64_t *last)
{
	wb_entry *e = NULL;
	wb_hash leaf;
	wb_err rc = WB_OK;

	wb_hash_leaf(&leaf, x->entry, x->entry_len);
	if (x->index < a->h->from && x->index > *last &&
	    !carried_leaf_ok(a, x, &leaf)) {
		return WB_OK;
	}
	if (x->index >= a->h->from || (x->index <= *last && *last != 0) ||
	    x->index == 0 ||
	    !proof_ok(a, x->index, &leaf, x->proof, x->n_proof)) {
		wb_report_fail(
		        a->r, x->index,
		        "registry entry %llu before the range is out of order or not proven in the checkpoint's tree",
		        (unsigned long long)x->index);
		return WB_OK;
	}
	*last = x->index;
	if (wb_entry_decode(&e, x->entry, x->entry_len) != WB_OK ||
	    e->index != x->index || e->type != WB_ENTRY_REGISTRY) {
		wb_report_fail(
		        a->r, x->index,
		        "entry %llu of the registry prefix is not a registry entry",
		        (unsigned long long)x->index);
	} else {
		rc = apply_registry(a, e);
	}
	wb_entry_free(e);
	return rc;
}

/* The root of [0, to) from the left subtrees of [0, from) and the range's
 * leaves. */
struct root_src {
	struct audit *a;
	unsigned left_level[64];
	uint64_t left_index[64];
};

static wb_err
root_get(wb_hash *out, unsigned level, uint64_t index, void *arg)
{
	struct root_src *src = arg;
	const wb_export_header *h = src->a->h;
	uint64_t start = index << level, end = start + ((uint64_t)1 << level);
	wb_hash l, r;
	wb_err rc;

	if (end <= h->from) {
		for (size_t i = 0; i < h->n_left_hashes; i++) {
			if (src->left_level[i] == level &&
			    src->left_index[i] == index) {
				*out = h->left_hashes[i];
				return WB_OK;
			}
		}
	} else if (start >= h->from && level == 0) {
		*out = src->a->leaves[start - h->from];
		return WB_OK;
	}
	if (level == 0) {
		return WB_ECORRUPT; /* cannot happen for a valid frontier */
	}
	if ((rc = root_get(&l, level - 1, 2 * index, arg)) != WB_OK ||
	    (rc = root_get(&r, level - 1, 2 * index + 1, arg)) != WB_OK) {
		return rc;
	}
	wb_hash_node(out, &l, &r);
	return WB_OK;
}

static void
check_root(struct audit *a)
{
	struct root_src src = { .a = a };
	uint64_t offset = 0, from = a->h->from;
	size_t n = 0;
	wb_hash root;

	for (int level = 63; level >= 0; level--) {
		if (from & ((uint64_t)1 << level)) {
			src.left_level[n] = (unsigned)level;
			src.left_index[n++] = offset >> level;
			offset += (uint64_t)1 << level;
		}
	}
	if (wb_merkle_root(&root, a->h->to, root_get, &src) != WB_OK ||
	    !wb_hash_equal(&root, &a->cp.root)) {
		wb_report_fail(
		        a->r, a->h->to - 1,
		        "the range's entries and left subtrees do not produce the checkpoint's root");
	}
	a->info->root = a->cp.root;
}

static unsigned
popcount64(uint64_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1) {
		n++;
	}
	return n;
}

/* The header's claims that need nothing but the header. */
static wb_err
check_header(struct audit *a, const wb_pubkey *log_key)
{
	const wb_export_header *h = a->h;
	wb_hash leaf;

	if (h->format_version > WB_FORMAT_VERSION) {
		wb_report_fail(
		        a->r, 0,
		        "the export is format version %u; this waybill reads up to %u",
		        h->format_version, WB_FORMAT_VERSION);
		return WB_OK;
	}
	if (wb_entry_decode(&a->genesis_entry, h->genesis, h->genesis_len) !=
	            WB_OK ||
	    a->genesis_entry->type != WB_ENTRY_GENESIS ||
	    a->genesis_entry->index != 0) {
		wb_report_fail(a->r, 0,
		               "the export's genesis entry is malformed");
		return WB_OK;
	}
	a->genesis = a->genesis_entry->genesis;
	wb_hash_sha256((wb_hash *)a->info->ledger_id, h->genesis,
	               h->genesis_len);
	snprintf(a->info->origin, sizeof(a->info->origin), "%s",
	         a->genesis.origin);
	a->info->log_key = a->genesis.log_key;
	a->info->admin_key = a->genesis.admin_key;
	a->info->from = h->from;
	a->info->to = h->to;
	if (log_key != NULL &&
	    memcmp(log_key->b, a->genesis.log_key.b, WB_PUBKEY_LEN) != 0) {
		wb_report_fail(
		        a->r, 0,
		        "the export is of another ledger: its log key is not the one given");
		return WB_OK;
	}
	if (h->from >= h->to) {
		wb_report_fail(a->r, h->from, "the export's range is empty");
		return WB_OK;
	}
	if (wb_checkpoint_verify(&a->cp, h->checkpoint, strlen(h->checkpoint),
	                         a->genesis.origin,
	                         &a->genesis.log_key) != WB_OK ||
	    a->cp.size != h->to) {
		wb_report_fail(
		        a->r, h->to - 1,
		        "the export's checkpoint is not the log key's checkpoint of tree size %llu",
		        (unsigned long long)h->to);
		return WB_OK;
	}
	if (h->n_left_hashes != popcount64(h->from)) {
		wb_report_fail(
		        a->r, h->from,
		        "the export needs %u left subtree hashes for a range from %llu, and holds %zu",
		        popcount64(h->from), (unsigned long long)h->from,
		        h->n_left_hashes);
		return WB_OK;
	}
	wb_hash_leaf(&leaf, h->genesis, h->genesis_len);
	if (h->from > 0 &&
	    wb_merkle_verify_inclusion(leaf.b, WB_HASH_LEN, 0, h->to,
	                               (const uint8_t *)h->genesis_proof,
	                               h->n_genesis_proof * WB_HASH_LEN,
	                               a->cp.root.b, WB_HASH_LEN) != WB_OK) {
		wb_report_fail(
		        a->r, 0,
		        "the export's genesis is not proven in the checkpoint's tree");
	}
	if ((a->leaves = calloc(h->to - h->from, sizeof(*a->leaves))) == NULL) {
		return WB_ENOMEM;
	}
	return add_key(a, &a->genesis.admin_key, UINT64_MAX);
}

static wb_err
read_items(struct audit *a, FILE *f, wb_verify_progress_fn progress, void *arg)
{
	const wb_export_header *h = a->h;
	wb_export_header *extra_h = NULL;
	wb_export_entry *x = NULL;
	uint64_t last_reg = 0, total = h->registry_count + (h->to - h->from);
	wb_err rc = WB_OK;

	for (uint64_t n = 0; n < total && a->r->ok && rc == WB_OK; n++) {
		uint64_t expect = h->from + (n - h->registry_count);

		rc = wb_export_item_read(&extra_h, &x, f);
		if (rc == WB_ENOTFOUND || rc == WB_EPROTO || extra_h != NULL) {
			wb_report_fail(
			        a->r, n < h->registry_count ? h->from : expect,
			        "the export ends or breaks after %llu of its %llu items: it was cut off or damaged",
			        (unsigned long long)n,
			        (unsigned long long)total);
			rc = WB_OK;
			break;
		}
		if (rc != WB_OK) {
			break;
		}
		rc = n < h->registry_count ? take_registry_item(a, x, &last_reg)
		                           : take_range_entry(a, x, expect);
		wb_export_entry_free(x);
		x = NULL;
		if (progress != NULL && n >= h->registry_count &&
		    (expect + 1 == h->to || (expect & 1023) == 0)) {
			progress(expect + 1 - h->from, h->to - h->from, arg);
		}
	}
	wb_export_header_free(extra_h);
	if (rc == WB_OK && a->r->ok) {
		rc = wb_export_item_read(&extra_h, &x, f);
		if (rc != WB_ENOTFOUND) {
			wb_report_fail(
			        a->r, h->to,
			        "the export holds more than its header announces");
		}
		wb_export_header_free(extra_h);
		wb_export_entry_free(x);
		rc = rc == WB_EIO ? WB_EIO : WB_OK;
	}
	return rc;
}

static void
flag_revoked(struct audit *a)
{
	for (size_t i = 0; i < a->n_stamps; i++) {
		if (a->stamps[i].index >=
		    a->keys[a->stamps[i].slot].revoked_from) {
			if (a->r->flagged++ == 0) {
				a->r->first_flagged = a->stamps[i].index;
			}
		}
	}
}

static void
audit_fini(struct audit *a)
{
	for (size_t i = 0; i < a->cap_twins; i++) {
		free(a->twins[i].key);
	}
	free(a->twins);
	free(a->keys);
	free(a->leaves);
	free(a->stamps);
	wb_replayer_free(a->replay);
	wb_entry_free(a->genesis_entry);
	wb_export_header_free(a->h);
}

wb_err
wb_verify_export(wb_verify_report *out, wb_export_info *info_out, FILE *f,
                 const wb_pubkey *log_key, const char *scratch_dir,
                 wb_verify_progress_fn progress, void *arg)
{
	struct audit a = { .r = out, .info = info_out };
	wb_export_entry *x = NULL;
	wb_err rc;

	WB_CHECK_ARG(out && info_out && f);
	memset(out, 0, sizeof(*out));
	memset(info_out, 0, sizeof(*info_out));
	out->ok = true;
	rc = wb_export_item_read(&a.h, &x, f);
	if (rc != WB_OK || a.h == NULL) {
		wb_export_entry_free(x);
		if (rc == WB_ENOMEM || rc == WB_EIO) {
			return rc;
		}
		wb_report_fail(
		        out, 0,
		        "not an export: it does not start with an export header");
		return WB_OK;
	}
	if ((rc = check_header(&a, log_key)) != WB_OK || !out->ok) {
		goto out;
	}
	if (a.h->from == 0) {
		if ((rc = wb_replayer_new(&a.replay, scratch_dir, a.h->genesis,
		                          a.h->genesis_len)) != WB_OK) {
			goto out;
		}
		info_out->replayed = true;
	}
	rc = read_items(&a, f, progress, arg);
	/* Replay what was read even after a problem: an earlier entry may
	 * break a rule, and the earliest problem is the one reported. */
	if (rc == WB_OK && a.replay != NULL) {
		rc = wb_replayer_flush(a.replay, out);
	}
	if (rc != WB_OK || !out->ok) {
		goto out;
	}
	check_root(&a);
	out->entries = a.h->to - a.h->from;
	out->checkpoints = 1;
	flag_revoked(&a);
out:
	audit_fini(&a);
	return rc;
}
