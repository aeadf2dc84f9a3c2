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

#endif
