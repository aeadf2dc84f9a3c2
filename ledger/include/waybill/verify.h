/* SPDX-License-Identifier: MIT */
/*
 * verify.h - the verifier: proves a ledger's journal honest from its bytes
 * and the log key alone.
 *
 * It replays every entry into a scratch ledger with the same append code
 * the ledger ran, so every signature, each signer's key validity at its
 * index, every append rule, every per-twin chain link and every field is
 * judged again; the replayed entry must equal the stored one byte for byte.
 * Each stored checkpoint must carry the log key's signature and the root the
 * replay computes at its size. Entries that were valid when appended but
 * whose key was later revoked from an earlier index are flagged, not failed.
 *
 * THREAD SAFETY: runs on the calling thread (plus helpers it joins); the
 * journal may keep serving while it runs (it reads one consistent prefix).
 */
#ifndef WAYBILL_VERIFY_H
#define WAYBILL_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "waybill/err.h"
#include "waybill/journal.h"

typedef struct {
	bool ok;              /* no problem found */
	uint64_t entries;     /* entries checked */
	uint64_t checkpoints; /* checkpoints checked */
	uint64_t first_bad;   /* when !ok: the first bad index */
	char problem[512];    /* when !ok: what is wrong there */
	uint64_t flagged;     /* stamps by keys revoked retroactively */
	uint64_t first_flagged;
	uint64_t custody_gaps; /* stamps accepted with a custody gap */
} wb_verify_report;

/** Called now and then with entries done and the total. */
typedef void (*wb_verify_progress_fn)(uint64_t done, uint64_t total, void *arg);

/**
 * Verifies the whole journal. A report with ok == false is not an error:
 * the return value speaks of the verifier itself.
 * @param scratch_dir where the scratch ledger goes (NULL: $TMPDIR or /tmp);
 * it is removed afterwards.
 * @return WB_OK (see the report), WB_ENOMEM, WB_EIO.
 */
wb_err wb_verify_journal(wb_verify_report *out, wb_journal *j,
                         const char *scratch_dir,
                         wb_verify_progress_fn progress, void *arg);

/* What an export says of itself, once verified. */
typedef struct {
	uint8_t ledger_id[WB_HASH_LEN];
	char origin[WB_KEY_NAME_MAX + 1];
	wb_pubkey log_key;
	wb_pubkey admin_key;
	uint64_t from;
	uint64_t to;
	wb_hash root;
	bool replayed; /* from == 0: every append rule was replayed */
} wb_export_info;

/**
 * Verifies an export (see export.h) read from f: the checkpoint's
 * signature, the range's root against it, the genesis's and every earlier
 * registry entry's inclusion proof, every entry's place, signature and
 * signer's key validity at its index, and the chain links inside the range.
 * An export from index 0 is also replayed through every append rule. The
 * trust anchor is `log_key` when given (the export's log key must be it);
 * otherwise the export's own genesis, whose ledger ID the caller should
 * compare with one it knows (info_out->ledger_id).
 *
 * A partial range cannot prove that no registry entry before it was left
 * out, nor check chain links that point before it: only an export from
 * index 0 proves those.
 * @return WB_OK (see the report), WB_ENOMEM, WB_EIO.
 */
wb_err wb_verify_export(wb_verify_report *out, wb_export_info *info_out,
                        FILE *f, const wb_pubkey *log_key,
                        const char *scratch_dir, wb_verify_progress_fn progress,
                        void *arg);

#endif
