/* SPDX-License-Identifier: MIT */
/*
 * journal_impl.h - the inside of a wb_journal, shared by the files that
 * implement it (private): journal.c (open, reads, proofs), append.c (the
 * write path), registry.c (stakeholders and keys), twin.c (per-twin
 * state), rules.c (the append rules) and verify.c (the replaying verifier).
 */
#ifndef WAYBILL_JOURNAL_IMPL_H
#define WAYBILL_JOURNAL_IMPL_H

#include <pthread.h>

#include "internal.h"
#include "mdb.h"
#include "waybill/entry.h"
#include "waybill/id.h"
#include "waybill/journal.h"
#include "waybill/stamp.h"
#include "waybill/trace.h"

/* Stakeholder 0 is "nobody"; IDs are the index of the Register entry, so
 * never 0 (the genesis). The admin's own events use this ID. */
#define WB_ADMIN_ID UINT64_MAX
#define WB_NONE     UINT64_MAX

/* The writer's event-ID index: fingerprint -> entry index (events.c). */
struct wb_event_table {
	uint64_t *fp;
	uint64_t *index; /* 0: an empty slot */
	size_t cap;      /* a power of two */
	size_t n;
	bool loaded;
	uint64_t *added; /* (fp, index) pairs added by the open batch */
	size_t n_added;
	size_t cap_added;
};

/* The active recalls, kept in memory for lookups (recall.c); rebuilt when
 * the recall or declaration records change. */
struct wb_recall_target {
	uint64_t twin;   /* twin number */
	uint32_t recall; /* position in recalls[] */
};

struct wb_active_recall {
	uint64_t index;
	uint64_t issuer;
};

struct wb_recall_cache {
	pthread_rwlock_t lock;
	bool built;
	uint64_t n_records;  /* WB_DB_RECALLS count when built */
	uint64_t n_declared; /* WB_DB_DECLARED count when built */
	struct wb_active_recall *recalls;
	size_t n_recalls;
	struct wb_recall_target *targets; /* sorted by twin */
	size_t n_targets;
};

struct wb_journal {
	wb_mdb *mdb;
	char origin[WB_KEY_NAME_MAX + 1];
	char admin_name[WB_KEY_NAME_MAX + 1];
	wb_genesis genesis; /* genesis.origin points at origin */
	uint8_t ledger_id[WB_HASH_LEN];
	const wb_signer *log; /* borrowed; NULL: appends are refused */
	pthread_mutex_t write_lock;
	uint64_t last_record_time_us;
	bool skip_rules; /* tests only: play a dishonest operator */
	bool replay;     /* a verifier's scratch copy: no checkpoints */
	struct wb_event_table events; /* the writer's only */
	struct wb_recall_cache recalls;
};

void wb_recall_cache_init(struct wb_recall_cache *c);
void wb_recall_cache_fini(struct wb_recall_cache *c);

/*
 * lineage.c: edges "from --type--> to", stored under both ends.
 */
enum {
	WB_EDGE_OUT = 0,
	WB_EDGE_IN = 1
};

typedef struct {
	wb_edge_type type;
	uint64_t from, to; /* twin numbers */
	uint64_t opened;   /* the index of the stamp that opened it */
	uint64_t closed;   /* ... that closed it; 0: open */
	wb_time opened_at, closed_at;
	bool has_quantity;
	double quantity;
} wb_edge;

wb_err wb_edge_open(wb_txn *t, const wb_edge *e);
/* Closes the latest open edge from -> to of this type (*closed_out says
 * whether there was one). */
wb_err wb_edge_close(wb_txn *t, wb_edge_type type, uint64_t from, uint64_t to,
                     uint64_t index, const wb_time *at, bool *closed_out);
typedef wb_err (*wb_edge_fn)(const wb_edge *e, void *arg);
/* Calls fn for each edge of twin in direction dir (WB_EDGE_OUT: twin is
 * `from`), of one type or all (type 0); a non-OK return stops the walk. */
wb_err wb_edges_each(wb_txn *t, uint64_t twin, int dir, wb_edge_type type,
                     wb_edge_fn fn, void *arg);

/* The entry an event key names: WB_OK and *index, or WB_ENOTFOUND. The
 * candidate's signed body is compared with body when body is not NULL
 * (*same says whether it is identical). */
wb_err wb_events_lookup(wb_journal *j, wb_txn *t, uint64_t stakeholder,
                        uint8_t tag, const char *id, bool registry,
                        const uint8_t *body, size_t len, uint64_t *index,
                        bool *same);

/* effects.c: whether entry `index` was declared in error. */
bool wb_is_declared(wb_txn *t, uint64_t index);

/* The search fields (WB_DB_SEARCH): a field byte and 8 bytes of value (a
 * SHA-256 prefix of the text, or a stakeholder ID). */
enum {
	WB_SEARCH_BIZ_STEP = 1,
	WB_SEARCH_DISPOSITION = 2,
	WB_SEARCH_READ_POINT = 3,
	WB_SEARCH_BIZ_LOCATION = 4,
	WB_SEARCH_STAKEHOLDER = 5,
};

/* postings.c: the search index. A write transaction gathers postings
 * (wb_postings_add) and writes them before it commits
 * (wb_postings_flush); readers walk one field and value in index order. */
/* The 8 bytes of a text value: a SHA-256 prefix (a collision only adds a
 * candidate, which the search checks against the entry). */
void wb_search_value(uint8_t out[8], const char *text);

typedef struct {
	uint8_t prefix[9]; /* field, value */
	uint64_t index;
} wb_posting;

typedef struct {
	wb_posting *v;
	size_t n, cap;
} wb_postings;

wb_err wb_postings_add(wb_postings *p, uint8_t field, const uint8_t value[8],
                       uint64_t index);
/* Writes what was gathered and empties p. */
wb_err wb_postings_flush(wb_postings *p, wb_txn *t);
/* Forgets what was gathered (the transaction was aborted). */
void wb_postings_clear(wb_postings *p);
void wb_postings_fini(wb_postings *p);

typedef struct {
	wb_cursor *c;
	uint8_t prefix[9];
	uint64_t after;      /* the last index returned */
	uint64_t next_index; /* decoded, not yet returned */
	bool have_next;
	const uint8_t *p, *end; /* the rest of the current record */
} wb_posting_iter;

/* Positions before the first index > after carrying field and value;
 * needs a read transaction that outlives the iterator. */
wb_err wb_posting_iter_open(wb_posting_iter *it, wb_txn *t, uint8_t field,
                            const uint8_t value[8], uint64_t after);
/* The next index, or WB_ENOTFOUND at the end. */
wb_err wb_posting_iter_next(wb_posting_iter *it, uint64_t *index);
void wb_posting_iter_close(wb_posting_iter *it);

/* events.c: the event-ID index. Fingerprints are SHA-256(stakeholder ||
 * tag || ID)[:8]; a match is a candidate to compare in full. */
uint64_t wb_events_fp(uint64_t stakeholder, uint8_t tag, const char *id);
wb_err wb_events_load(wb_journal *j, wb_txn *t);
size_t wb_events_find(wb_journal *j, uint64_t fp, uint64_t *out, size_t max);
wb_err wb_events_add(wb_journal *j, wb_txn *t, uint64_t fp, uint64_t index);
void wb_events_rollback(wb_journal *j);
void wb_events_commit(wb_journal *j);
void wb_events_fini(struct wb_event_table *e);
/* The table itself (tests reach it directly). */
wb_err wb_event_table_insert(struct wb_event_table *t, uint64_t fp,
                             uint64_t index);
void wb_event_table_remove(struct wb_event_table *t, uint64_t fp,
                           uint64_t index);
size_t wb_event_table_find(const struct wb_event_table *t, uint64_t fp,
                           uint64_t *out, size_t max);

/* A scratch ledger for the verifier: a fresh, non-durable environment in
 * dir holding exactly the given genesis entry, open for replayed appends. */
wb_err wb_journal_replica_create(wb_journal **out, const char *dir,
                                 const uint8_t *genesis, size_t len);

/* An instant plus the index that recorded it: the order of current state
 * (event time, ties broken by index). */
typedef struct {
	int64_t seconds;
	uint32_t nanos;
	uint64_t index;
} wb_order;

/* Whether a is strictly later than b. An order with index 0 (never set)
 * is earlier than any set one, whatever its instant. */
bool wb_order_after(const wb_order *a, const wb_order *b);

/*
 * Twin state (twin.c): what the append rules need of each twin, plus its
 * chain head and history number.
 */
#define WB_PERSISTENT_MAX 1024
#define WB_ATTR_VALUE_MAX 512

typedef struct {
	uint64_t twin_no;
	bool has_head;
	uint64_t head_index;
	wb_hash head_leaf;
	uint64_t n_entries;
	uint64_t commissioner; /* stakeholder ID, 0: none */
	uint64_t commissioned_at;
	uint64_t decommissioned_at; /* index, 0: not decommissioned */
	uint64_t custodian;         /* stakeholder ID, 0: none */
	wb_order custody_at;
	bool in_transit;
	char destination[WB_ID_MAX + 1]; /* party named by the ship */
	char container[WB_KEY_MAX + 1];  /* canonical key, "" none */
	wb_order container_at;
	char host[WB_KEY_MAX + 1]; /* asset installed in, "" none */
	wb_order host_at;
	uint64_t custody_gaps;
	uint64_t last_gap_index;
	/* What passports show (latest by event time, ties by index). */
	char id[WB_ID_MAX + 1];       /* the ID as first written */
	char location[WB_ID_MAX + 1]; /* business location */
	char read_point[WB_ID_MAX + 1];
	wb_order location_at;
	char disposition[WB_ID_MAX + 1];
	wb_order disposition_at;
	char persistent[WB_PERSISTENT_MAX]; /* dispositions, '\n'-separated */
	uint64_t owner; /* stakeholder ID, 0: none (or sold) */
	wb_order owner_at;
	bool sold;
	char packaging[WB_ATTR_VALUE_MAX];
	uint64_t packaging_index;
	char price[WB_ATTR_VALUE_MAX];
	uint64_t price_index;
	char discount[WB_ATTR_VALUE_MAX];
	uint64_t discount_index;
	wb_order first; /* the earliest event by event time */
	wb_order last;  /* the latest */
} wb_twin_state;

/* WB_ENOTFOUND when the twin was never stamped. */
wb_err wb_twin_get(wb_txn *t, const char *key, wb_twin_state *out);
wb_err wb_twin_put(wb_txn *t, const char *key, const wb_twin_state *st);
/* A fresh state with the next twin number (meta "next_twin"), whose
 * number -> key and ID are recorded (WB_DB_TWIN_IDS). */
wb_err wb_twin_new(wb_txn *t, const char *key, const char *id,
                   wb_twin_state *out);
/* The canonical key and first-written ID of twin number no. */
wb_err wb_twin_name(wb_txn *t, uint64_t no, char key[WB_KEY_MAX + 1],
                    char id[WB_ID_MAX + 1]);
/* The twin number of a canonical key (WB_ENOTFOUND: never stamped). */
wb_err wb_twin_no(wb_txn *t, const char *key, uint64_t *out);
wb_err wb_twin_history_add(wb_txn *t, uint64_t twin_no, uint64_t index);

/*
 * Registry (registry.c).
 */
typedef struct {
	uint64_t stakeholder;
	uint64_t valid_from;   /* first index at which it may sign */
	uint64_t rotated_at;   /* WB_NONE, or the rotation's index */
	uint64_t revoked_from; /* WB_NONE, or the effective index */
} wb_key_record;

wb_err wb_reg_key_get(wb_txn *t, const wb_pubkey *key, wb_key_record *out);
wb_err wb_reg_stakeholder_load(wb_txn *t, uint64_t id, wb_stakeholder *out);
/* Validates and applies a registry change at index. */
wb_err wb_reg_apply(wb_journal *j, wb_txn *t, const wb_registry_change *c,
                    uint64_t index, wb_problem *p);
/* The stakeholder owning a namespace that covers id/key, or 0. */
wb_err wb_reg_namespace_owner(wb_txn *t, const char *id, const char *key,
                              uint64_t *owner_out);
/* Whether stakeholder st owns a namespace covering id/key. */
bool wb_reg_owns(const wb_stakeholder *st, const char *id, const char *key);
/* The stakeholder whose party ID is party, or 0. */
uint64_t wb_reg_party_owner(wb_txn *t, const char *party);

/*
 * Rules (rules.c): checks one decoded stamp against the state the
 * transaction holds and applies its effects.
 */
typedef struct {
	const char *id;  /* as written in the stamp */
	wb_twin_id twin; /* canonical key and kind */
	unsigned roles;  /* WB_USE_* bits: where the stamp names it */
} wb_touched;

enum {
	WB_USE_EPC = 1 << 0,
	WB_USE_QUANTITY = 1 << 1,
	WB_USE_PARENT = 1 << 2,
	WB_USE_INPUT = 1 << 3,
	WB_USE_OUTPUT = 1 << 4,
	WB_USE_RECALL = 1 << 5,
	WB_USE_LIFT = 1 << 6,
};

typedef struct {
	wb_journal *j;
	wb_txn *t;
	uint64_t index;
	uint64_t record_time_us;
	const wb_stamp *stamp;
	const wb_stakeholder *signer;
	wb_touched *touched; /* distinct twins in first-seen order */
	size_t n_touched;
	wb_postings *postings; /* the transaction's search postings */
	bool custody_gap;      /* out: advisory-policy gap flagged */
} wb_rule_ctx;

/* What a stamp does, derived from its kind, action, bizStep and
 * disposition (CBV words). */
enum {
	ACT_COMMISSION = 1 << 0,
	ACT_DECOMMISSION = 1 << 1,
	ACT_SHIP = 1 << 2,
	ACT_RECEIVE = 1 << 3,
	ACT_PACK = 1 << 4,
	ACT_UNPACK = 1 << 5,
	ACT_TRANSFORM = 1 << 6,
	ACT_INSTALL = 1 << 7,
	ACT_REMOVE = 1 << 8,
	ACT_SELL = 1 << 9,
};

/* The uses that make a twin the subject of a whole-twin act, or a child. */
#define WHOLE_USES (WB_USE_EPC | WB_USE_QUANTITY | WB_USE_PARENT)
#define CHILD_USES (WB_USE_EPC | WB_USE_QUANTITY)

/* Whether a bizStep or disposition value is this CBV word. */
bool wb_cbv_is(const char *value, const char *word);
/* The ACT_* bits of a stamp (0 for an error declaration). */
unsigned wb_stamp_acts(const wb_stamp *s);
/* The WB_USE_* bits whose twins a commissioning stamp commissions. */
unsigned wb_commission_uses(const wb_stamp *s);
/* The custodian of a twin, through the containers it is packed in. */
wb_err wb_effective_custodian(wb_txn *t, const wb_twin_state *st,
                              uint64_t *out);

/* Per-twin scratch for one stamp: states, whether known, and gaps. */
struct twin_scratch {
	wb_twin_state *st;
	bool *known;
	bool *gap;
};

wb_err wb_twin_scratch_new(struct twin_scratch *sc, size_t n);
void wb_twin_scratch_free(struct twin_scratch *sc);
/* The state of every touched twin (known[i] false: never seen). */
wb_err wb_rules_load_states(wb_rule_ctx *ctx, wb_twin_state *st, bool *known);
/* Marks gap[i] for each twin whose custodian's act someone else did. */
wb_err wb_rules_custody_gaps(wb_rule_ctx *ctx, const wb_twin_state *st,
                             const bool *known, unsigned acts, bool *gap);

/* Structure, identifiers and limits; fills ctx->touched. */
wb_err wb_rules_check_shape(wb_rule_ctx *ctx, wb_touched *buf, size_t cap,
                            wb_problem *p);
/* Every state rule; writes nothing. */
wb_err wb_rules_check_state(wb_rule_ctx *ctx, wb_problem *p);
/* effects.c: applies an accepted stamp's effects (after its entry is
 * written): twin state, lineage edges, recalls and lifts, declarations of
 * error, search keys. */
wb_err wb_effects_apply(wb_rule_ctx *ctx);

/* Reads the Merkle node store inside a transaction (a wb_merkle_get_fn;
 * arg is the wb_txn). */
wb_err wb_journal_node_get(wb_hash *out, unsigned level, uint64_t index,
                           void *arg);

/* The tree size inside a transaction. */
wb_err wb_journal_size_txn(wb_txn *t, uint64_t *out);

#endif
