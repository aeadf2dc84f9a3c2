/* SPDX-License-Identifier: MIT */
/*
 * rebuild.h - rebuilding a ledger's derived databases from its journal
 * alone.
 *
 * The journal is what cannot be recomputed: the entries, the signed
 * checkpoints and the ledger's identity (format version, ledger ID).
 * Everything else is derived from the entries: twin state and per-twin
 * history (the chain heads), lineage edges, the registry (stakeholders,
 * keys, namespaces, parties, the registry log), recalls and declarations
 * of error, the event-ID fingerprints, the search postings, master data by
 * element, the next twin number, and the Merkle tree's stored nodes.
 *
 * wb_rebuild_derived() replays every entry, in index order, into a scratch
 * ledger through the append code that judged it first (the verifier's
 * replay: every signature, key validity, append rule and chain link is
 * judged again, and the replayed entry must equal the stored one byte for
 * byte), checks each stored checkpoint's signature and root against the
 * replayed tree, and only then replaces every derived database of the
 * ledger with the scratch ledger's, in ONE durable write transaction.
 *
 * CRASH SAFETY: nothing is written to the ledger before that transaction,
 * and LMDB commits it atomically: a crash leaves either the old derived
 * databases or the rebuilt ones, never a mix; rerunning the rebuild is
 * always safe. A crash may leave the scratch directory (waybill-verify-*
 * under the scratch base) behind; remove it by hand.
 *
 * EXCLUSION: the rebuild needs the ledger to itself. Every process that
 * has an LMDB environment open holds a shared fcntl lock on byte 0 of its
 * lock.mdb; the rebuild takes that byte exclusively, so it refuses to
 * start while a daemon (or any other process) has the ledger open, and a
 * process that opens the ledger while the rebuild runs waits for it. Locks
 * of this kind belong to the process: the calling process must not have
 * the ledger open itself (close its wb_journal first).
 */
#ifndef WAYBILL_REBUILD_H
#define WAYBILL_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"

typedef struct {
	const char
	        *scratch_dir; /* base of the scratch ledger; NULL: $TMPDIR
	                         or /tmp. It needs about the ledger's size. */
	size_t max_map_size;  /* 0: WB_DEFAULT_MAX_MAP_SIZE */
} wb_rebuild_opts;

typedef struct {
	uint64_t entries;     /* journal entries replayed (the tree size) */
	uint64_t checkpoints; /* signed checkpoints matched by the new tree */
	uint64_t records;     /* records the rebuilt derived databases hold */
	uint64_t first_bad; /* WB_ECORRUPT: the index of the first bad entry */
	long holder_pid;    /* WB_EBUSY: a process holding the ledger, or 0 */
	char problem[512];  /* when not WB_OK: what is wrong, what to do */
} wb_rebuild_report;

/**
 * Rebuilds every derived database of the ledger in dir from its journal
 * (see above). The report is filled whatever the outcome.
 * @return WB_OK (report: entries, checkpoints, records);
 * WB_ECORRUPT (an entry or checkpoint failed a check: first_bad and
 * problem say which; nothing was written — restore from a backup);
 * WB_EBUSY (another process has the ledger open: holder_pid; nothing was
 * written); WB_ENOTFOUND (no ledger in dir); WB_ENOSPC (the map's maximum
 * cannot hold the rebuild: raise max_map_size); WB_EIO, WB_ENOMEM.
 */
wb_err wb_rebuild_derived(wb_rebuild_report *out, const char *dir,
                          const wb_rebuild_opts *o);

#endif
