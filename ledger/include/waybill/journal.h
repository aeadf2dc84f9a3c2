/* SPDX-License-Identifier: MIT */
/*
 * journal.h - the ledger: an append-only LMDB journal of signed entries with
 * per-twin chains, an RFC 9162 Merkle tree and signed checkpoints.
 *
 * A ledger lives in one directory (one LMDB environment). wb_journal_create()
 * writes the genesis entry (leaf 0, naming the origin, the log key, the
 * admin key and the custody policy); the ledger ID is SHA-256 of the genesis
 * entry's bytes. wb_journal_append() validates a batch of signed stamps and
 * registry changes against the append rules and writes the accepted ones in
 * ONE write transaction with one durable commit, then the checkpoint of the
 * new tree size signed by the log key. A batch is acknowledged only once
 * that commit is durable.
 *
 * Derived state (twin state, per-twin history, the registry, event IDs,
 * recalls) lives beside the journal and is updated in the same transaction.
 *
 * THREAD SAFETY: a wb_journal may be shared by threads: appends are
 * serialised internally (one writer at a time); reads run in parallel with
 * each other and with an append, each in its own short LMDB read
 * transaction. wb_submission_check() needs no journal and may run on any
 * thread (the daemon's verification workers).
 */
#ifndef WAYBILL_JOURNAL_H
#define WAYBILL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/entry.h"
#include "waybill/err.h"
#include "waybill/hash.h"
#include "waybill/id.h"
#include "waybill/merkle.h"
#include "waybill/sig.h"
#include "waybill/stamp.h"

typedef struct wb_journal wb_journal;

#define WB_DEFAULT_MAP_SIZE     ((size_t)64 << 20) /* 64 MiB */
#define WB_DEFAULT_MAX_MAP_SIZE ((size_t)64 << 30) /* 64 GiB */
/* How far ahead of the record time an event time may be. */
#define WB_MAX_FUTURE_US (5 * 60 * 1000000ull)

typedef struct {
	const char *origin;       /* checkpoint origin = the log key's name */
	const wb_signer *log_key; /* its name must equal origin */
	wb_pubkey admin_key;
	const char *admin_key_name; /* optional: its verifier key name */
	wb_custody custody;         /* 0: advisory */
	uint32_t max_ids;           /* 0: WB_DEFAULT_MAX_IDS */
	uint32_t max_attributes;
	uint32_t max_stamp_bytes;
	size_t map_size;         /* 0: WB_DEFAULT_MAP_SIZE */
	size_t max_map_size;     /* 0: WB_DEFAULT_MAX_MAP_SIZE */
	uint64_t record_time_us; /* 0: now (tests fix it) */
} wb_journal_create_opts;

typedef struct {
	const wb_signer *log_key; /* NULL: read-only use, appends refused */
	size_t map_size;          /* 0: WB_DEFAULT_MAP_SIZE */
	size_t max_map_size;      /* 0: WB_DEFAULT_MAX_MAP_SIZE */
	bool read_only;           /* open the environment read-only */
	bool no_sync;             /* scratch ledgers: commits not durable */
} wb_journal_open_opts;

/**
 * Creates a new ledger in dir (made if missing; it must hold no ledger).
 * @return WB_OK, WB_EINVAL (bad origin, log key name != origin),
 * WB_EEXISTS (dir holds a ledger), WB_EIO, WB_EDENIED.
 */
wb_err wb_journal_create(const char *dir, const wb_journal_create_opts *o);

/**
 * Opens a ledger. The log key, when given, must be the genesis log key.
 * The signer is borrowed and must outlive the journal.
 * @return WB_OK, WB_ENOTFOUND (no ledger in dir: run `waybill init`),
 * WB_EVERSION (a newer on-disk format), WB_EDENIED (wrong log key),
 * WB_ECORRUPT, WB_EIO.
 */
wb_err wb_journal_open(wb_journal **out, const char *dir,
                       const wb_journal_open_opts *o);

/** Closes a ledger; NULL is allowed. No append may be running. */
void wb_journal_close(wb_journal *j);

/** The genesis, borrowed from the journal. */
const wb_genesis *wb_journal_genesis(const wb_journal *j);

/** The ledger ID (32 bytes), borrowed from the journal. */
const uint8_t *wb_journal_ledger_id(const wb_journal *j);

/** The checkpoint origin, borrowed from the journal. */
const char *wb_journal_origin(const wb_journal *j);

/**
 * The current tree size (number of entries).
 * @return WB_OK, WB_EIO.
 */
wb_err wb_journal_size(uint64_t *out, wb_journal *j);

/*
 * Appending.
 */

/* One signed stamp or registry change offered to the ledger. */
typedef struct {
	wb_entry_type type; /* WB_ENTRY_STAMP or WB_ENTRY_REGISTRY */
	const uint8_t *body;
	size_t body_len;
	wb_pubkey signer;
	uint8_t signature[WB_SIG_LEN];
	/* 0: not checked yet; 1: good; -1: bad (wb_submission_check) */
	int sig_state;
	/* 0: the ledger's clock. The verifier's replay sets the recorded
	 * time; nobody else should. */
	uint64_t record_time_us;
} wb_submission;

/** Checks a submission's signature (domain-separated by its type) and
 * records the outcome in sig_state. Thread-safe; no journal needed. */
void wb_submission_check(wb_submission *s);

/** What became of one submission. */
typedef struct {
	wb_err err;         /* WB_OK (appended or duplicate), WB_EREJECTED */
	wb_problem problem; /* when rejected: reason and message */
	uint64_t index;     /* when WB_OK: the entry's index */
	bool duplicate;     /* an identical submission exists at index */
	bool custody_gap;   /* accepted with a custody gap (advisory) */
	wb_kind kind;       /* appended stamps: their kind */
	uint64_t lift_of;   /* appended lifts: the recall's index */
} wb_result;

typedef struct {
	bool atomic; /* all or nothing: any refusal writes nothing */
} wb_append_opts;

/**
 * Validates and appends a batch in one durable transaction. results[i]
 * tells what became of subs[i]. size_out (may be NULL) receives the tree
 * size after the commit; the checkpoint of that size exists.
 * @return WB_OK (see each result), WB_EREJECTED (atomic and something was
 * refused: nothing written, results say what), WB_ENOSPC (ledger full:
 * nothing written, reads keep working), WB_EDENIED (opened without the log
 * key), WB_EIO.
 */
wb_err wb_journal_append(wb_journal *j, wb_submission *subs, size_t n,
                         wb_result *results, const wb_append_opts *o,
                         uint64_t *size_out);

/*
 * Reading.
 */

/**
 * Copies entry `index` into malloc'd memory (free()).
 * @return WB_OK, WB_ENOTFOUND.
 */
wb_err wb_journal_entry(uint8_t **out, size_t *len_out, wb_journal *j,
                        uint64_t index);

/** Calls fn for each entry in [from, to) in order; a non-OK return from fn
 * stops the walk and is returned. The bytes are borrowed for the call. */
typedef wb_err (*wb_entry_fn)(uint64_t index, const uint8_t *bytes, size_t len,
                              void *arg);
wb_err wb_journal_range(wb_journal *j, uint64_t from, uint64_t to,
                        wb_entry_fn fn, void *arg);

/**
 * The signed checkpoint of tree size `size` (0: the latest) as malloc'd
 * NUL-terminated text (free()).
 * @return WB_OK, WB_ENOTFOUND (no commit ended at that size).
 */
wb_err wb_journal_checkpoint(char **out, wb_journal *j, uint64_t size);

/** The root of the first `size` entries. @return WB_OK, WB_EINVAL (size
 * beyond the tree). */
wb_err wb_journal_root(wb_hash *out, wb_journal *j, uint64_t size);

/** The leaf hash of entry `index`. @return WB_OK, WB_ENOTFOUND. */
wb_err wb_journal_leaf_hash(wb_hash *out, wb_journal *j, uint64_t index);

/**
 * Inclusion proof of `index` in the tree of `size` entries; proof_out holds
 * WB_MERKLE_MAX_PROOF hashes.
 * @return WB_OK, WB_EINVAL (index >= size or size beyond the tree).
 */
wb_err wb_journal_inclusion_proof(wb_hash *proof_out, size_t *n_out,
                                  wb_journal *j, uint64_t index, uint64_t size);

/**
 * Consistency proof between sizes m and n; proof_out holds
 * WB_MERKLE_MAX_PROOF hashes.
 * @return WB_OK, WB_EINVAL (0 == m, m > n, or n beyond the tree).
 */
wb_err wb_journal_consistency_proof(wb_hash *proof_out, size_t *n_out,
                                    wb_journal *j, uint64_t m, uint64_t n);

/**
 * A receipt for entry `index` against the checkpoint of tree size `size`
 * (0: the latest), serialised (free()).
 * @return WB_OK, WB_ENOTFOUND (no such entry or checkpoint), WB_EINVAL.
 */
wb_err wb_journal_receipt(uint8_t **out, size_t *len_out, wb_journal *j,
                          uint64_t index, uint64_t size);

/**
 * A page of a twin's history: the indexes of the entries that touched it,
 * oldest first (or newest first when `reverse`), starting after the index
 * `after` (0: from the start; with `reverse`, UINT64_MAX: from the end).
 * The twin is named by any of its forms (EPC URI, Digital Link, key).
 * @return WB_OK (*n_out may be 0 at the end), WB_ENOTFOUND (never
 * stamped), WB_EREJECTED (not a valid ID; p says why).
 */
wb_err wb_journal_history(uint64_t *indexes_out, size_t *n_out, size_t max,
                          wb_journal *j, const char *twin_id, uint64_t after,
                          bool reverse, wb_problem *p);

/*
 * The registry.
 */
#define WB_MAX_NAMESPACES 64

typedef struct {
	uint64_t id; /* the index of its Register entry */
	char name[WB_KEY_NAME_MAX + 1];
	char party_id[WB_ID_MAX + 1]; /* "" when none */
	unsigned roles;               /* bit (1 << wb_role) per role */
	wb_pubkey key;                /* the current key */
	uint64_t registered_at;
	size_t n_namespaces;
	struct {
		wb_ns_kind kind;
		char prefix[WB_ID_MAX + 1];
	} namespaces[WB_MAX_NAMESPACES];
} wb_stakeholder;

/** Whether a stakeholder holds a role. */
bool wb_stakeholder_has_role(const wb_stakeholder *s, wb_role role);

/* A key's history: who holds it and when it may sign. */
typedef struct {
	uint64_t stakeholder;
	uint64_t valid_from;
	uint64_t rotated_at;   /* UINT64_MAX: never */
	uint64_t revoked_from; /* UINT64_MAX: never */
} wb_key_status;

/**
 * The stakeholder holding `key` now (or last, for retired keys), and the
 * key's status.
 * @return WB_OK, WB_ENOTFOUND.
 */
wb_err wb_journal_stakeholder(wb_stakeholder *out, wb_key_status *status,
                              wb_journal *j, const wb_pubkey *key);

/**
 * Whether `key` may sign a stamp at `index`: WB_OK, or WB_EREJECTED with
 * the reason (unknown signer, revoked, rotated) in p.
 */
wb_err wb_journal_key_valid_at(wb_journal *j, const wb_pubkey *key,
                               uint64_t index, wb_problem *p);

/**
 * The registry as of entry `index` (inclusive), rebuilt from the journal's
 * registry entries alone: an array of stakeholders (malloc'd, free()) with
 * the roles, names and current keys they had then.
 * @return WB_OK, WB_ENOMEM, WB_ECORRUPT.
 */
wb_err wb_journal_registry_at(wb_stakeholder **out, size_t *n_out,
                              wb_journal *j, uint64_t index);

/** A backup: a consistent, compacted copy of the ledger into dir (which
 * must exist and be empty), safe while appends run.
 * @return WB_OK, WB_EIO, WB_EDENIED. */
wb_err wb_journal_backup(wb_journal *j, const char *dir);

#endif
