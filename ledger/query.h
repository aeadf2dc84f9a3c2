/* SPDX-License-Identifier: MIT */
/*
 * query.h - what the traceability queries share (private): the twin a
 * query names, the set of entries declared in error, which edges count as
 * of a point, and a set of twin numbers.
 */
#ifndef WAYBILL_QUERY_H
#define WAYBILL_QUERY_H

#include "journal_impl.h"

/* The entries declared in error, sorted (usually none). */
typedef struct {
	uint64_t *v;
	size_t n;
} wb_declared;

wb_err wb_declared_load(wb_txn *t, wb_declared *out);
void wb_declared_fini(wb_declared *d);
bool wb_declared_has(const wb_declared *d, uint64_t index);

/* Whether an edge counts as of `as_of` (index 0 and no time: now),
 * ignoring edges opened by a declared stamp and closings by one. */
bool wb_edge_counts(const wb_edge *e, const wb_declared *d,
                    const wb_as_of *as_of);

/* The twin an ID names: its canonical key, state and number.
 * WB_EREJECTED (p says why) or WB_ENOTFOUND. */
wb_err wb_query_twin(wb_txn *t, const char *id, wb_twin_id *tid,
                     wb_twin_state *st, wb_problem *p);

/* A set of twin numbers (open addressing; 0 is never a twin). */
typedef struct {
	uint64_t *v;
	size_t cap;
	size_t n;
} wb_u64set;

/* Adds x; *added says whether it was new. WB_ENOMEM. */
wb_err wb_u64set_add(wb_u64set *s, uint64_t x, bool *added);
bool wb_u64set_has(const wb_u64set *s, uint64_t x);
void wb_u64set_fini(wb_u64set *s);

/* A map of twin numbers to values (positions, indexes). */
typedef struct {
	uint64_t *k;
	uint64_t *v;
	size_t cap;
	size_t n;
} wb_u64map;

/* Sets k -> v unless k is there; *found says it was (and *old its value,
 * when old is not NULL). WB_ENOMEM. */
wb_err wb_u64map_put(wb_u64map *m, uint64_t k, uint64_t v, bool *found,
                     uint64_t *old);
bool wb_u64map_get(const wb_u64map *m, uint64_t k, uint64_t *v);
void wb_u64map_fini(wb_u64map *m);

/* A stakeholder's name ("" when unknown). */
void wb_query_name(wb_txn *t, uint64_t stakeholder, char *out, size_t size);

#endif
