/* SPDX-License-Identifier: MIT */
/*
 * master.h - master data: the stamps that describe a location or a product
 * (EPCIS vocabulary elements: name, address, GS1 attributes), looked up by
 * the element they describe.
 *
 * A master-data stamp does not touch a twin, so a twin's history does not
 * list it; the ledger keeps, per element (under its canonical key, so an
 * SGLN URI and its Digital Link find the same element), the index of the
 * latest stamp that described it.
 *
 * Ownership: entry bytes come back malloc'd through **out (free()).
 *
 * THREAD SAFETY: lookups run in their own read transaction, in parallel
 * with each other and with appends.
 */
#ifndef WAYBILL_MASTER_H
#define WAYBILL_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/journal.h"

/**
 * The latest master-data stamp describing element `id` (any of its
 * forms): its entry index and the entry's bytes (malloc'd: free()).
 * @return WB_OK, WB_ENOTFOUND (never described), WB_EREJECTED (not an ID:
 * p says why), WB_ENOMEM.
 */
wb_err wb_master_data_find(uint64_t *index_out, uint8_t **entry_out,
                           size_t *len_out, wb_journal *j, const char *id,
                           wb_problem *p);

#endif
