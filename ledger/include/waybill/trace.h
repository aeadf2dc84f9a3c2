/* SPDX-License-Identifier: MIT */
/*
 * trace.h - traceability: the lineage graph of twins and the questions it
 * answers — trace upstream and downstream, a twin's passport, its custody
 * and location timeline, a part's installations, and stamp search.
 *
 * The lineage is maintained in the same write transaction as each append:
 *   contains      a container (pallet, case) holds a child; unpacking
 *                 (AggregationEvent DELETE) closes the edge
 *   made-from     a transformation's output was made from an input (with
 *                 the input's quantity for lots)
 *   installed-in  a part is installed in an asset; removal closes the edge
 *   member-of     an item belongs to its lot (the commissioning ILMD lot
 *                 number, or an LGTIN of its GTIN in the same stamp)
 * Every edge keeps the index (and event time) that opened it and the one
 * that closed it, so queries can be asked "as of" an index or an event
 * time. An error declaration removes the declared event's edges and its
 * effects on state.
 *
 * Ownership: results come back through **out and are freed with their
 * _free function.
 *
 * THREAD SAFETY: queries run in their own read transactions, in parallel
 * with each other and with appends.
 */
#ifndef WAYBILL_TRACE_H
#define WAYBILL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/id.h"
#include "waybill/journal.h"
#include "waybill/stamp.h"

typedef enum {
	WB_EDGE_CONTAINS = 1,
	WB_EDGE_MADE_FROM = 2,
	WB_EDGE_INSTALLED_IN = 3,
	WB_EDGE_MEMBER_OF = 4,
} wb_edge_type;

/** "contains", "made-from", "installed-in", "member-of". */
const char *wb_edge_type_name(wb_edge_type type);

/* Limits on what one query walks (beyond them a result says truncated). */
#define WB_TRACE_DEFAULT_DEPTH 32
#define WB_TRACE_DEFAULT_NODES 10000
#define WB_TRACE_MAX_NODES     1000000

/*
 * Trace.
 */
typedef struct {
	char id[WB_ID_MAX + 1];   /* the ID as first written */
	char key[WB_KEY_MAX + 1]; /* its canonical key */
	unsigned depth;           /* steps from the start */
} wb_trace_node;

typedef struct {
	wb_edge_type type;
	size_t from, to; /* node positions: from --type--> to */
	/* The stamps' indexes; closed 0: open (asked as of a past point,
	 * every edge shown was open then, and shows so). */
	uint64_t opened, closed;
	wb_time opened_at, closed_at;
	bool has_quantity;
	double quantity;
} wb_trace_edge;

typedef struct {
	wb_trace_node *nodes; /* nodes[0] is the start */
	size_t n_nodes;
	wb_trace_edge *edges;
	size_t n_edges;
	bool truncated; /* a depth or node limit stopped the walk */
} wb_trace;

/* "As of": an index (the journal prefix [0, index]) and/or an event time
 * (the edges of events at or before it, among those recorded). */
typedef struct {
	uint64_t index; /* 0: now */
	bool has_time;
	wb_time time;
} wb_as_of;

typedef struct {
	bool down;          /* false: upstream (what went into it) */
	unsigned max_depth; /* 0: WB_TRACE_DEFAULT_DEPTH */
	size_t max_nodes;   /* 0: WB_TRACE_DEFAULT_NODES */
	wb_as_of as_of;
	/* Also the edges closed since (unpacked, removed): the whole
	 * lineage a twin ever had up to as_of, each closed edge with the
	 * stamp that closed it. For recall and regulator records, which
	 * need every container a lot ever travelled in. */
	bool include_closed;
} wb_trace_opts;

/**
 * Walks the lineage from a twin (any of its forms). Upstream follows
 * made-from to inputs, member-of to lots, contains to the children of a
 * container and installed-in to the parts of an asset; downstream the
 * reverse (outputs, members, containers, the asset a part is in). Only
 * edges valid as of o->as_of count (with o->include_closed: every edge
 * opened by then), and none opened by a stamp declared in error.
 * @return WB_OK, WB_ENOTFOUND (never stamped), WB_EREJECTED (not an ID: p
 * says why), WB_ENOMEM.
 */
wb_err wb_trace_twin(wb_trace **out, wb_journal *j, const char *id,
                     const wb_trace_opts *o, wb_problem *p);

void wb_trace_free(wb_trace *t);

/*
 * Recalls.
 */
typedef enum {
	WB_RECALL_CLEAR = 0,
	WB_RECALL_AFFECTED, /* the twin itself is affected */
	WB_RECALL_HOLDING,  /* a container holding affected stock */
} wb_recall_state;

#define WB_PATH_MAX 64

/* One recall that concerns a twin, with the path that explains it: IDs
 * from the recalled target to the twin (or, holding, to the affected
 * child inside it), and the edge type between each two. */
typedef struct {
	uint64_t recall_index;
	wb_recall_state state;
	char reason[512];
	bool has_severity;
	wb_recall_class severity;
	uint64_t issuer;
	char issuer_name[WB_KEY_NAME_MAX + 1];
	size_t n_path;
	char path[WB_PATH_MAX][WB_ID_MAX + 1];
	wb_edge_type path_edges[WB_PATH_MAX]; /* path[i] -> path[i+1] */
} wb_recall_hit;

typedef struct {
	wb_recall_state state; /* the strongest of the hits */
	wb_recall_hit *hits;
	size_t n_hits;
} wb_recall_status;

/**
 * Is this twin affected by an active recall, or a container holding
 * affected stock — and why. Cheap: it walks upstream from the twin (a few
 * reads) and intersects with the active recalls kept in memory.
 * @return WB_OK, WB_ENOTFOUND, WB_EREJECTED (bad ID), WB_ENOMEM.
 */
wb_err wb_recall_status_get(wb_recall_status **out, wb_journal *j,
                            const char *id, wb_problem *p);
void wb_recall_status_free(wb_recall_status *s);

typedef struct {
	char id[WB_ID_MAX + 1];
	bool holding; /* a container holding affected stock */
	uint64_t custodian;
	char location[WB_ID_MAX + 1];
} wb_impact_twin;

typedef struct {
	uint64_t custodian;
	char custodian_name[WB_KEY_NAME_MAX + 1];
	char location[WB_ID_MAX + 1];
	size_t affected;
	size_t holding;
} wb_impact_group;

typedef struct {
	uint64_t recall_index;
	bool active; /* false: lifted wholly, or declared in error */
	size_t n_affected;
	size_t n_holding;
	wb_impact_group *groups; /* by custodian and location */
	size_t n_groups;
	wb_impact_twin *twins; /* the page asked for */
	size_t n_twins;
	size_t next; /* offset of the next page, 0 at the end */
} wb_recall_impact;

/**
 * Everything a recall affects (members of recalled lots, outputs of
 * transformations that consumed affected twins, children packed in an
 * affected container while it was affected) and every container holding
 * affected stock, grouped by current custodian and location, with one page
 * of the twins (affected first, then holding, each by twin number).
 * @return WB_OK, WB_ENOTFOUND (index is not a recall), WB_ENOMEM.
 */
wb_err wb_recall_impact_get(wb_recall_impact **out, wb_journal *j,
                            uint64_t recall_index, size_t offset, size_t limit,
                            wb_problem *p);
void wb_recall_impact_free(wb_recall_impact *i);

typedef struct {
	uint64_t index;
	bool lift;
	uint64_t recall_index; /* a lift: the recall it ends */
	uint64_t issuer;
	char reason[512];
	bool has_severity;
	wb_recall_class severity;
	size_t n_targets;
	char (*targets)[WB_ID_MAX + 1];
} wb_recall_notice;

/**
 * The recalls and lifts after index `after`, oldest first, at most max
 * (a subscriber that missed pub notices catches up). *n_out may be 0.
 * @return WB_OK, WB_ENOMEM.
 */
wb_err wb_recalls_since(wb_recall_notice **out, size_t *n_out, wb_journal *j,
                        uint64_t after, size_t max);
void wb_recall_notices_free(wb_recall_notice *v, size_t n);

/*
 * Passport, timeline, installations.
 */
typedef struct {
	char id[WB_ID_MAX + 1];
	char key[WB_KEY_MAX + 1];
	wb_id_kind kind;
	uint64_t commissioner; /* brand owner; 0: never commissioned */
	char commissioner_name[WB_KEY_NAME_MAX + 1];
	uint64_t owner;
	char owner_name[WB_KEY_NAME_MAX + 1];
	bool sold;
	uint64_t custodian;
	char custodian_name[WB_KEY_NAME_MAX + 1];
	bool in_transit;
	char destination[WB_ID_MAX + 1];
	char location[WB_ID_MAX + 1]; /* where it is, through containers */
	char location_name[256];      /* from master data, when described */
	char read_point[WB_ID_MAX + 1];
	char disposition[WB_ID_MAX + 1];
	char persistent[1024]; /* persistent dispositions, '\n'-separated */
	char container[WB_ID_MAX + 1];
	char host[WB_ID_MAX + 1];
	char packaging[512];
	uint64_t packaging_index;
	char price[512];
	char discount[512];
	uint64_t decommissioned_at;
	uint64_t custody_gaps;
	uint64_t n_stamps;
	uint64_t first_index, last_index;
	wb_time first_time, last_time;
	wb_recall_status *recalls; /* owned: freed by wb_passport_free */
} wb_passport;

/**
 * A twin's passport in one call.
 * @return WB_OK, WB_ENOTFOUND, WB_EREJECTED (bad ID), WB_ENOMEM.
 */
wb_err wb_passport_get(wb_passport **out, wb_journal *j, const char *id,
                       wb_problem *p);
void wb_passport_free(wb_passport *p);

/* One step of a twin's custody and location timeline. */
typedef struct {
	uint64_t index;
	wb_time event_time;
	char tz[8];
	char biz_step[64];
	char act[16]; /* "commission", "ship", "receive", ...; "" none */
	char location[WB_ID_MAX + 1];
	char read_point[WB_ID_MAX + 1];
	uint64_t signer;
	char signer_name[WB_KEY_NAME_MAX + 1];
	uint64_t custodian; /* after this step */
	char custodian_name[WB_KEY_NAME_MAX + 1];
	bool declared; /* declared in error: shown, without effect */
	/* "" for the twin's own stamps; else the container it was in that
	 * this stamp moved (shipped, received, ...) */
	char via[WB_ID_MAX + 1];
} wb_where_step;

/**
 * A twin's custody and location timeline, by event time (ties by index):
 * its own stamps, and the stamps of every container it was in (nested
 * ones too) from its packing to its unpacking, which moved it with the
 * container.
 * @return WB_OK, WB_ENOTFOUND, WB_EREJECTED, WB_ENOMEM.
 */
wb_err wb_where(wb_where_step **out, size_t *n_out, wb_journal *j,
                const char *id, wb_problem *p);

typedef struct {
	char asset[WB_ID_MAX + 1];
	uint64_t installed, removed; /* stamp indexes; removed 0: still in */
	wb_time installed_at, removed_at;
	uint64_t *stamps; /* the part's stamps recorded while installed */
	size_t n_stamps;
} wb_installation;

/**
 * Every asset a part was installed in, oldest first, with the window and
 * the part's stamps recorded while installed (maintenance, inspection,
 * repair).
 * @return WB_OK, WB_ENOTFOUND, WB_EREJECTED, WB_ENOMEM.
 */
wb_err wb_installations(wb_installation **out, size_t *n_out, wb_journal *j,
                        const char *id, wb_problem *p);
void wb_installations_free(wb_installation *v, size_t n);

/*
 * Search.
 */
typedef struct {
	const char *biz_step;    /* CBV word or URI */
	const char *disposition; /* CBV word or URI */
	const char *read_point;
	const char *biz_location;
	bool has_stakeholder;
	uint64_t stakeholder;
	bool has_event_from, has_event_to;
	wb_time event_from, event_to; /* inclusive */
	bool has_record_from, has_record_to;
	uint64_t record_from_us, record_to_us; /* inclusive */
	uint64_t after; /* the cursor: results after this index */
	size_t limit;   /* 0: 100; at most 1000 */
} wb_search_query;

/**
 * Stamps matching every filter given, by index. *next is the cursor for
 * the next page (0 at the end); a page may hold fewer than `limit` results
 * when the scan stopped at its budget.
 * @return WB_OK, WB_ENOMEM.
 */
wb_err wb_search(uint64_t **out, size_t *n_out, uint64_t *next, wb_journal *j,
                 const wb_search_query *q);

#endif
