/* SPDX-License-Identifier: MIT */
/*
 * verify_impl.h - what the journal verifier (verify.c) and the export
 * verifier (verify_export.c) share (private): the first-problem report and
 * the replayer, which re-appends entries to a scratch ledger through the
 * same append code the ledger ran and compares the results byte for byte.
 */
#ifndef WAYBILL_VERIFY_IMPL_H
#define WAYBILL_VERIFY_IMPL_H

#include "waybill/journal.h"
#include "waybill/verify.h"

/* Records the first problem (later ones are dropped). */
void wb_report_fail(wb_verify_report *r, uint64_t index, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

typedef struct wb_replayer wb_replayer;

/* A scratch ledger under scratch_base (NULL: $TMPDIR or /tmp) holding the
 * given genesis entry. */
wb_err wb_replayer_new(wb_replayer **out, const char *scratch_base,
                       const uint8_t *genesis, size_t len);

/* Queues entry `index` (its bytes are copied; the entry is decoded and
 * must be a stamp or registry change); replays a chunk when enough are
 * queued. Problems go to the report; the return value speaks of the
 * replayer itself. */
wb_err wb_replayer_add(wb_replayer *r, uint64_t index, const uint8_t *bytes,
                       size_t len, wb_verify_report *rep);

/* Replays what is queued. */
wb_err wb_replayer_flush(wb_replayer *r, wb_verify_report *rep);

/* The scratch ledger (roots, key validity), borrowed. */
wb_journal *wb_replayer_journal(wb_replayer *r);

/* Closes and removes the scratch ledger; NULL is allowed. */
void wb_replayer_free(wb_replayer *r);

#endif
