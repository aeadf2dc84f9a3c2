/* SPDX-License-Identifier: MIT */
/* Names of kinds and roles, CBV words, and the rotation's proof of
 * possession. */
#include "waybill/stamp.h"

#include <string.h>

static const char *const kind_names[WB_KIND_COUNT_] = {
	[WB_KIND_UNSPECIFIED] = "unspecified",
	[WB_KIND_OBJECT] = "object",
	[WB_KIND_AGGREGATION] = "aggregation",
	[WB_KIND_TRANSFORMATION] = "transformation",
	[WB_KIND_TRANSACTION] = "transaction",
	[WB_KIND_ASSOCIATION] = "association",
	[WB_KIND_RECALL] = "recall",
	[WB_KIND_LIFT] = "lift",
	[WB_KIND_MASTER_DATA] = "master-data",
};

const char *
wb_kind_name(wb_kind kind)
{
	if ((unsigned)kind >= WB_KIND_COUNT_) {
		return "unknown";
	}
	return kind_names[kind];
}

static const char *const role_names[WB_ROLE_COUNT_] = {
	[WB_ROLE_UNSPECIFIED] = "unspecified",
	[WB_ROLE_OPERATOR] = "operator",
	[WB_ROLE_BRAND_OWNER] = "brand-owner",
	[WB_ROLE_LOGISTICS] = "logistics",
	[WB_ROLE_RETAILER] = "retailer",
	[WB_ROLE_REPAIRER] = "repairer",
	[WB_ROLE_RECYCLER] = "recycler",
	[WB_ROLE_AUDITOR] = "auditor",
	[WB_ROLE_REGULATOR] = "regulator",
};

const char *
wb_role_name(wb_role role)
{
	if ((unsigned)role >= WB_ROLE_COUNT_) {
		return "unknown";
	}
	return role_names[role];
}

wb_role
wb_role_from_name(const char *name)
{
	for (int r = 1; r < WB_ROLE_COUNT_; r++) {
		if (strcmp(name, role_names[r]) == 0) {
			return (wb_role)r;
		}
	}
	return WB_ROLE_UNSPECIFIED;
}

const char *
wb_cbv_word(const char *value)
{
	/* CBV 1.x URNs and CBV 2.0 web URIs for business steps and
	 * dispositions; the word after the prefix is the CBV term. */
	static const char *const prefixes[] = {
		"urn:epcglobal:cbv:bizstep:",
		"urn:epcglobal:cbv:disp:",
		"https://ref.gs1.org/cbv/BizStep-",
		"https://ref.gs1.org/cbv/Disp-",
		"https://gs1.org/voc/BizStep-",
		"https://gs1.org/voc/Disp-",
	};

	if (value == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(value, prefixes[i], n) == 0 && value[n] != '\0') {
			return value + n;
		}
	}
	return value;
}

/* ledger_id || old_key || new_key: what the new key signs to prove it is
 * held by whoever asks for the rotation. */
static void
possession_message(uint8_t msg[WB_HASH_LEN + 2 * WB_PUBKEY_LEN],
                   const uint8_t ledger_id[WB_HASH_LEN],
                   const wb_pubkey *old_key, const wb_pubkey *new_key)
{
	memcpy(msg, ledger_id, WB_HASH_LEN);
	memcpy(msg + WB_HASH_LEN, old_key->b, WB_PUBKEY_LEN);
	memcpy(msg + WB_HASH_LEN + WB_PUBKEY_LEN, new_key->b, WB_PUBKEY_LEN);
}

wb_err
wb_possession_sign(uint8_t sig_out[WB_SIG_LEN], const wb_signer *new_key,
                   const uint8_t ledger_id[WB_HASH_LEN],
                   const wb_pubkey *old_key)
{
	uint8_t msg[WB_HASH_LEN + 2 * WB_PUBKEY_LEN];

	possession_message(msg, ledger_id, old_key, wb_signer_pubkey(new_key));
	return wb_sig_sign(sig_out, new_key, WB_SIG_POSSESSION, msg,
	                   sizeof(msg));
}

wb_err
wb_possession_verify(const uint8_t sig[WB_SIG_LEN], const wb_pubkey *new_key,
                     const uint8_t ledger_id[WB_HASH_LEN],
                     const wb_pubkey *old_key)
{
	uint8_t msg[WB_HASH_LEN + 2 * WB_PUBKEY_LEN];

	possession_message(msg, ledger_id, old_key, new_key);
	return wb_sig_verify(new_key, WB_SIG_POSSESSION, msg, sizeof(msg), sig);
}
