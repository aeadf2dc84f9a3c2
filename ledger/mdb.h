/* SPDX-License-Identifier: MIT */
/*
 * mdb.h - the LMDB boundary (private). mdb.c is the only file that
 * includes <lmdb.h>; the rest of libwaybill uses these wrappers, sees
 * wb_err instead of MDB_* codes, and never keeps a wb_val past its txn.
 *
 * Map growth: LMDB may change the map size only while this process has no
 * transaction open. Every transaction holds `resize` shared; growing the map
 * takes it exclusively, so it waits for in-flight readers and the writer.
 */
#ifndef WAYBILL_MDB_H
#define WAYBILL_MDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"

/* The named databases of one ledger environment. */
typedef enum {
	WB_DB_META,         /* "format", "ledger_id", "next_twin" */
	WB_DB_JOURNAL,      /* u64 index -> entry bytes (the log) */
	WB_DB_MERKLE,       /* u64 last leaf + u8 level -> 32-byte node hash */
	WB_DB_CHECKPOINTS,  /* u64 tree size -> signed checkpoint note */
	WB_DB_EVENTS,       /* u64 index -> u64 event-ID fingerprint */
	WB_DB_TWINS,        /* canonical key -> twin record */
	WB_DB_HISTORY,      /* u64 twin number + u64 index -> "" */
	WB_DB_STAKEHOLDERS, /* u64 stakeholder ID -> stakeholder record */
	WB_DB_KEYS,         /* 32-byte key -> key record */
	WB_DB_NAMESPACES,   /* u8 kind + prefix -> u64 stakeholder ID */
	WB_DB_REGLOG,       /* u64 index of each registry entry -> "" */
	WB_DB_RECALLS,      /* u64 recall index -> recall record */
	WB_DB_PARTIES,      /* party ID -> u64 stakeholder ID */
	WB_DB_TWIN_IDS,     /* u64 twin number -> key, first-written ID */
	WB_DB_EDGES,        /* twin, direction, type, other twin, opened ->
	                       closed, times, quantity (lineage.c) */
	WB_DB_DECLARED,     /* u64 declared index -> u64 declaration index */
	WB_DB_SEARCH,       /* field, value, first index -> postings */
	WB_DB_MASTER,       /* element key -> u64 index of its master data */
	WB_DB_COUNT_,
} wb_db;

typedef struct {
	const void *data;
	size_t len;
} wb_val;

typedef struct wb_mdb wb_mdb;

typedef struct {
	wb_mdb *m;
	struct MDB_txn *txn;
	bool write;
} wb_txn;

typedef struct wb_cursor wb_cursor;

enum {
	WB_MDB_RDONLY = 1 << 0, /* open read-only */
	WB_MDB_NOSYNC = 1 << 1, /* scratch: no fsync (not durable) */
	WB_MDB_CREATE = 1 << 2, /* create the directory's files */
};

/* Put flags. */
enum {
	WB_PUT_APPEND = 1 << 0,      /* key is larger than every key */
	WB_PUT_NOOVERWRITE = 1 << 1, /* WB_EEXISTS when the key exists */
};

wb_err wb_mdb_open(wb_mdb **out, const char *dir, size_t map_size,
                   size_t max_map_size, unsigned flags);
void wb_mdb_close(wb_mdb *m);

/* Doubles the map (up to the maximum). WB_ENOSPC at the maximum. Must be
 * called with no transaction of this thread open. */
wb_err wb_mdb_grow(wb_mdb *m);

/* The current map size and its configured maximum. */
size_t wb_mdb_map_size(wb_mdb *m);
size_t wb_mdb_max_map_size(wb_mdb *m);

/* A consistent copy of the environment into dir (compacting). */
wb_err wb_mdb_copy(wb_mdb *m, const char *dir);

wb_err wb_txn_begin(wb_txn *t, wb_mdb *m, bool write);
/* Commits (durably unless NOSYNC); the txn is finished either way. */
wb_err wb_txn_commit(wb_txn *t);
/* Aborts; a no-op on a finished or zeroed txn. */
void wb_txn_abort(wb_txn *t);

/* WB_ENOTFOUND when absent. The value is valid until the txn ends or the
 * next write in it. */
wb_err wb_db_get(wb_txn *t, wb_db db, const void *key, size_t key_len,
                 wb_val *val);
wb_err wb_db_put(wb_txn *t, wb_db db, const void *key, size_t key_len,
                 const void *val, size_t val_len, unsigned flags);
wb_err wb_db_del(wb_txn *t, wb_db db, const void *key, size_t key_len);
/* Number of records in a database. */
wb_err wb_db_count(wb_txn *t, wb_db db, uint64_t *out);

wb_err wb_cursor_open(wb_cursor **out, wb_txn *t, wb_db db);
void wb_cursor_close(wb_cursor *c);
/* Positions at the first key >= key (key NULL: the first record). */
wb_err wb_cursor_seek(wb_cursor *c, const void *key, size_t key_len, wb_val *k,
                      wb_val *v);
/* Positions at the last record. */
wb_err wb_cursor_last(wb_cursor *c, wb_val *k, wb_val *v);
wb_err wb_cursor_next(wb_cursor *c, wb_val *k, wb_val *v);
wb_err wb_cursor_prev(wb_cursor *c, wb_val *k, wb_val *v);

#endif
