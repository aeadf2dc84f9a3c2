/* SPDX-License-Identifier: MIT */
/*
 * receipt.c - the offline check of a receipt: nothing but the receipt, the
 * ledger's origin and its log public key are needed.
 */
#include "waybill/entry.h"
#include "waybill/merkle.h"
#include "waybill/note.h"

#include <string.h>

#include "internal.h"

static wb_err
check_entry(const wb_receipt *r, const uint8_t *stamp, size_t stamp_len,
            const uint8_t signature[WB_SIG_LEN])
{
	wb_entry *e = NULL;
	wb_err rc;

	if (wb_entry_decode(&e, r->entry, r->entry_len) != WB_OK) {
		return WB_EPROTO;
	}
	rc = WB_OK;
	if (e->index != r->index) {
		rc = WB_EBADSIG; /* an entry from another place in the log */
	} else if (stamp != NULL &&
	           (e->type != WB_ENTRY_STAMP || e->body_len != stamp_len ||
	            memcmp(e->body, stamp, stamp_len) != 0 ||
	            (signature != NULL &&
	             memcmp(e->signature, signature, WB_SIG_LEN) != 0))) {
		rc = WB_EBADSIG; /* not the stamp the submitter signed */
	}
	wb_entry_free(e);
	return rc;
}

wb_err
wb_receipt_verify(wb_receipt_info *info_out, const uint8_t *receipt, size_t len,
                  const char *origin, const wb_pubkey *log_key,
                  const uint8_t *stamp, size_t stamp_len,
                  const uint8_t signature[WB_SIG_LEN])
{
	wb_checkpoint cp;
	wb_receipt *r = NULL;
	wb_hash leaf;
	wb_err rc;

	WB_CHECK_ARG(receipt && origin && log_key);
	if ((rc = wb_receipt_decode(&r, receipt, len)) != WB_OK) {
		return rc == WB_ENOMEM ? rc : WB_EPROTO;
	}
	if ((rc = wb_checkpoint_verify(&cp, r->checkpoint,
	                               strlen(r->checkpoint), origin,
	                               log_key)) != WB_OK) {
		goto out;
	}
	if ((rc = check_entry(r, stamp, stamp_len, signature)) != WB_OK) {
		goto out;
	}
	wb_hash_leaf(&leaf, r->entry, r->entry_len);
	if (wb_merkle_verify_inclusion(leaf.b, WB_HASH_LEN, r->index, cp.size,
	                               (const uint8_t *)r->proof,
	                               r->n_proof * WB_HASH_LEN, cp.root.b,
	                               WB_HASH_LEN) != WB_OK) {
		rc = WB_EBADSIG;
		goto out;
	}
	if (info_out != NULL) {
		info_out->index = r->index;
		info_out->tree_size = cp.size;
		info_out->root = cp.root;
		info_out->leaf_hash = leaf;
	}
out:
	wb_receipt_free(r);
	return rc;
}
