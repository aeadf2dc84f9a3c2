/* SPDX-License-Identifier: MIT */
#include "waybill/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const err_text[WB_ERR_COUNT_] = {
	[WB_OK] = "success",
	[WB_ENOMEM] = "out of memory",
	[WB_EINVAL] = "invalid argument",
	[WB_ENOTFOUND] = "not found",
	[WB_EEXISTS] = "already exists",
	[WB_EBADSIG] = "signature or proof does not verify",
	[WB_ECORRUPT] = "data failed an integrity check",
	[WB_ENOSPC] =
	        "ledger full: the map reached its configured maximum size",
	[WB_EPROTO] = "malformed message or file",
	[WB_ETIMEDOUT] = "timed out",
	[WB_ECLOSED] = "closed",
	[WB_EIO] = "input/output error",
	[WB_EINTERNAL] = "internal error",
	[WB_EREJECTED] = "refused by a ledger rule",
	[WB_EVERSION] = "unsupported format or protocol version",
	[WB_EDENIED] = "permission denied",
	[WB_EBUSY] = "busy: a limit on concurrent work was reached",
};

static const struct {
	const char *name;
	const char *text;
} reject_info[WB_REJECT_COUNT_] = {
	[WB_REJECT_NONE] = { "none", "not refused" },
	[WB_REJECT_MALFORMED] = { "malformed",
	                          "the bytes do not parse or a required field is missing" },
	[WB_REJECT_WRONG_LEDGER] = { "wrong-ledger",
	                             "the stamp names another ledger's ID" },
	[WB_REJECT_UNKNOWN_SIGNER] = { "unknown-signer",
	                               "the signing key is not registered" },
	[WB_REJECT_KEY_REVOKED] = { "key-revoked",
	                            "the signing key is revoked at this index" },
	[WB_REJECT_KEY_ROTATED] = { "key-rotated",
	                            "the signing key was replaced by a rotation" },
	[WB_REJECT_BAD_SIGNATURE] = { "bad-signature",
	                              "the signature does not verify" },
	[WB_REJECT_BAD_ID] = { "bad-id", "an identifier is invalid" },
	[WB_REJECT_TOO_MANY_IDS] = { "too-many-ids",
	                             "more identifiers than the ledger allows" },
	[WB_REJECT_TOO_MANY_ATTRIBUTES] = { "too-many-attributes",
	                                    "more attributes than the ledger allows" },
	[WB_REJECT_TOO_LARGE] = { "too-large",
	                          "the stamp is larger than the ledger allows" },
	[WB_REJECT_FUTURE_EVENT_TIME] = { "future-event-time",
	                                  "the event time is more than 5 minutes ahead of the record time" },
	[WB_REJECT_OUTSIDE_NAMESPACE] = { "outside-namespace",
	                                  "the identifier is outside the signer's namespaces" },
	[WB_REJECT_NO_RECALL_AUTHORITY] = { "no-recall-authority",
	                                    "only the commissioner or a regulator may recall" },
	[WB_REJECT_NO_LIFT_AUTHORITY] = { "no-lift-authority",
	                                  "only the recall's issuer or a regulator may lift it" },
	[WB_REJECT_UNKNOWN_RECALL] = { "unknown-recall",
	                               "the lift names no recall" },
	[WB_REJECT_DECOMMISSIONED] = { "decommissioned",
	                               "a twin was decommissioned" },
	[WB_REJECT_CYCLE] = { "cycle", "a container would contain itself" },
	[WB_REJECT_DUPLICATE_EVENT_ID] = { "duplicate-event-id",
	                                   "the event ID was used before with other bytes" },
	[WB_REJECT_NOT_CUSTODIAN] = { "not-custodian",
	                              "only the current custodian may do this" },
	[WB_REJECT_WRONG_KEY] = { "wrong-key",
	                          "this key may not sign this kind of entry" },
	[WB_REJECT_REGISTRY_CONFLICT] = { "registry-conflict",
	                                  "the registry change conflicts with the registry" },
	[WB_REJECT_BAD_POSSESSION_PROOF] = { "bad-possession-proof",
	                                     "the new key's proof of possession does not verify" },
	[WB_REJECT_UNKNOWN_STAKEHOLDER] = { "unknown-stakeholder",
	                                    "the registry change names no registered key" },
	[WB_REJECT_AUTH_REQUIRED] = { "auth-required",
	                              "this request needs an authenticated, registered key" },
	[WB_REJECT_AUTH_STALE] = { "auth-stale",
	                           "the authentication timestamp is more than 5 minutes off the server's clock" },
	[WB_REJECT_AUTH_REPLAYED] = { "auth-replayed",
	                              "the authentication nonce or challenge was used before" },
	[WB_REJECT_NO_CHALLENGE] = { "no-challenge",
	                             "authenticate needs a challenge fetched on this connection" },
};

const char *
wb_strerror(wb_err err)
{
	if ((unsigned)err >= WB_ERR_COUNT_ || err_text[err] == NULL) {
		return "unknown error";
	}
	return err_text[err];
}

const char *
wb_reject_name(wb_reject reason)
{
	if ((unsigned)reason >= WB_REJECT_COUNT_ ||
	    reject_info[reason].name == NULL) {
		return "unknown";
	}
	return reject_info[reason].name;
}

const char *
wb_reject_text(wb_reject reason)
{
	if ((unsigned)reason >= WB_REJECT_COUNT_ ||
	    reject_info[reason].text == NULL) {
		return "unknown reason";
	}
	return reject_info[reason].text;
}

wb_err
wb_reject_set(wb_problem *p, wb_reject reason, const char *fmt, ...)
{
	va_list ap;

	if (p != NULL) {
		p->reason = reason;
		va_start(ap, fmt);
		vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
		va_end(ap);
	}
	return WB_EREJECTED;
}

void
wb_problem_prefix(wb_problem *p, const char *prefix)
{
	size_t plen, mlen;

	if (p == NULL || prefix == NULL) {
		return;
	}
	plen = strlen(prefix) + 2;
	if (plen >= sizeof(p->msg)) {
		return;
	}
	mlen = strnlen(p->msg, sizeof(p->msg) - 1);
	if (mlen > sizeof(p->msg) - 1 - plen) {
		mlen = sizeof(p->msg) - 1 - plen;
	}
	memmove(p->msg + plen, p->msg, mlen);
	memcpy(p->msg, prefix, plen - 2);
	p->msg[plen - 2] = ':';
	p->msg[plen - 1] = ' ';
	p->msg[plen + mlen] = '\0';
}
