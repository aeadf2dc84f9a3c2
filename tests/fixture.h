/* SPDX-License-Identifier: MIT */
/*
 * fixture.h - a scratch ledger for tests: log and admin keys, stakeholders
 * registered with fixed keys, and stamps built, signed and appended in one
 * call each.
 */
#ifndef WAYBILL_TEST_FIXTURE_H
#define WAYBILL_TEST_FIXTURE_H

#include "test.h"

/* 2026-01-01T00:00:00Z: event times in tests default to it. */
#define FX_EVENT_TIME 1767225600

typedef struct {
	char *dir;
	wb_signer *log;
	wb_signer *admin;
	wb_journal *j;
	unsigned change_seq;
} fx_ledger;

/** Creates and opens a ledger in a fresh directory (setup functions). */
void fx_open(fx_ledger *fx, wb_custody custody);
/** Like fx_open, with limits and policy from opts (origin, keys filled). */
void fx_open_opts(fx_ledger *fx, wb_journal_create_opts *co);
/** Closes the journal and reopens it from disk. */
void fx_reopen(fx_ledger *fx);
/** Closes, removes the directory, frees the keys. */
void fx_close(fx_ledger *fx);

/** Bits for fx_register's roles. */
#define FX_ROLE(r) (1u << (r))

/**
 * Registers a stakeholder with the deterministic key of `seed`, the given
 * roles, an optional GS1 company prefix and an optional literal prefix.
 * Asserts success; returns its signer (free with wb_signer_free) and its
 * stakeholder ID through id_out (may be NULL).
 */
wb_signer *fx_register(fx_ledger *fx, const char *name, uint8_t seed,
                       unsigned roles, const char *gs1_prefix,
                       const char *literal_prefix, uint64_t *id_out);

/** Signs a registry change with the admin key and appends it alone. */
wb_err fx_registry(fx_ledger *fx, wb_registry_change *c, wb_result *res);

/** Starts a stamp: this ledger's ID, event ID, kind, FX_EVENT_TIME, +00:00. */
void fx_stamp_init(wb_stamp *s, const fx_ledger *fx, wb_kind kind,
                   const char *event_id);

/** Encodes, signs (context stamp) and appends one stamp alone. */
wb_err fx_submit(fx_ledger *fx, const wb_signer *signer, const wb_stamp *s,
                 wb_result *res);

/** Builds a submission for a stamp (body malloc'd: free sub->body). */
void fx_submission(wb_submission *sub, const wb_signer *signer,
                   const wb_stamp *s);

/** The tree size. */
uint64_t fx_size(fx_ledger *fx);

/** Asserts that a result is a refusal with this reason. */
void fx_assert_refused(wb_err rc, const wb_result *res, wb_reject reason);

#endif
