/* SPDX-License-Identifier: MIT */
/*
 * fsma.h - the FSMA 204 regulator export (private to tools/): the rows of
 * a lot's critical tracking events, the proof bundle beside the CSV, and
 * the derivation both `waybill export --fsma204` and `waybill audit
 * --fsma204` use, so that the auditor re-derives every row exactly as the
 * exporter wrote it. docs/fsma204.md describes the columns, the CTE
 * mapping and the bundle format.
 *
 * Ownership: a bundle owns everything it points at (fsma_bundle_fini);
 * rows own their cells (fsma_rows_free).
 */
#ifndef WAYBILL_TOOLS_FSMA_H
#define WAYBILL_TOOLS_FSMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "waybill/ledger.h"

#define FSMA_COLS 14

enum {
	FSMA_CTE,
	FSMA_TLC,
	FSMA_TLC_SOURCE,
	FSMA_PRODUCT,
	FSMA_QUANTITY,
	FSMA_UNIT,
	FSMA_SHIP_FROM,
	FSMA_SHIP_TO,
	FSMA_LOCATION,
	FSMA_EVENT_DATE,
	FSMA_REF_TYPE,
	FSMA_REF_NUMBER,
	FSMA_JOURNAL_INDEX,
	FSMA_LEAF_HASH,
};

/** The header row, in column order. */
extern const char *const fsma_columns[FSMA_COLS];

/* One CSV row: FSMA_COLS malloc'd cells. */
typedef struct {
	char *cell[FSMA_COLS];
	/* For sorting and reports; not columns. */
	wb_time event_time;
	uint64_t index;
} fsma_row;

/* Which lot a row of an entry is about, and the ID in the stamp that
 * links it there (the lot itself, or an item or container of it). */
typedef struct {
	char *tlc;
	char *via;
} fsma_attribution;

/* One entry of the bundle: its bytes and inclusion proof, decoded. */
typedef struct {
	uint64_t index;
	uint8_t *bytes;
	size_t len;
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	size_t n_proof;
	bool master; /* master data, for names and addresses */
	fsma_attribution *rows;
	size_t n_rows;
	wb_entry *entry; /* decoded (NULL until fsma_bundle_decode) */
	wb_stamp *stamp;
} fsma_item;

typedef struct {
	char *lot; /* the lot asked for */
	bool has_from, has_to;
	wb_time from, to; /* the event-time window, inclusive */
	char *checkpoint; /* the signed note every proof leads to */
	char **lots;      /* the traceability lot codes of the lineage */
	size_t n_lots;
	fsma_item *items;
	size_t n_items;
} fsma_bundle;

void fsma_bundle_fini(fsma_bundle *b);

/**
 * The CTE a stamp records ("shipping", "initial_packing", ...), or NULL
 * when it records none: the fsma:cte / waybill:fsmaCte attribute, else its
 * event kind and bizStep.
 */
const char *fsma_cte_of(const wb_stamp *s);

/** The twin IDs of a stamp a row may be about (a transformation: its
 * outputs), in the stamp's order: a malloc'd array (free()) of *n_out
 * pointers into the stamp; NULL when out of memory. */
const char **fsma_named_ids(size_t *n_out, const wb_stamp *s);

/** The canonical key of id, or false when it is not an ID. */
bool fsma_key(char out[WB_KEY_MAX + 1], const char *id);

/** The key of the product lot tlc_key is of, for its master data: an
 * LGTIN's GTIN "(01)..."; any other lot is its own product (false). */
bool fsma_product_key(char out[WB_KEY_MAX + 1], const char *tlc_key);

/** Whether a stamp creates lot `tlc` (commissions it, or outputs it). */
bool fsma_creates(const wb_stamp *s, const char *tlc_key);

/** The place of a stamp: its business location, else its read point; NULL
 * when it names neither. */
const char *fsma_place(const wb_stamp *s);

/** The location or party to describe as ship-from (destination false) or
 * ship-to: the source (destination) of CBV type location; else, for a
 * shipping's ship-from (a receiving's ship-to), the stamp's own place;
 * else the source (destination) of type possessing_party, else of type
 * owning_party. Other types feed neither. NULL when none. */
const char *fsma_ship_end(const wb_stamp *s, const char *cte, bool destination);

/**
 * Derives every row the bundle's entries say, sorted by event time, then
 * journal index, then lot code. The entries must be decoded. On a problem
 * (an entry that is not a CTE, a row about a lot the stamp does not name,
 * ...) returns false with why in err (err_size bytes).
 */
bool fsma_derive(fsma_row **rows_out, size_t *n_out, const fsma_bundle *b,
                 char *err, size_t err_size);

void fsma_rows_free(fsma_row *rows, size_t n);

/*
 * Files (fsma_bundle.c).
 */

/** Writes the rows as RFC 4180 CSV with a header row. false on a write
 * error. */
bool fsma_csv_write(FILE *f, const fsma_row *rows, size_t n);

/** Parses RFC 4180 CSV (the header row included) into rows of cells
 * (each a malloc'd array of *n_cols strings). false with why in err. */
bool fsma_csv_read(char ****rows_out, size_t **n_cols_out, size_t *n_out,
                   FILE *f, char *err, size_t err_size);
void fsma_csv_free(char ***rows, size_t *n_cols, size_t n);

/** Writes the bundle as JSON (docs/fsma204.md). false on a write error. */
bool fsma_bundle_write(FILE *f, const fsma_bundle *b);

/** Reads a bundle and decodes its entries (no verification). false with
 * why in err. */
bool fsma_bundle_read(fsma_bundle *b, FILE *f, char *err, size_t err_size);

/** Decodes every item's entry and stamp; false with why in err. */
bool fsma_bundle_decode(fsma_bundle *b, char *err, size_t err_size);

/** Parses an RFC 3339 time (Z or an offset; fraction optional). */
bool fsma_parse_time(wb_time *out, const char *text);

/** Orders two instants: <0, 0, >0. */
int fsma_time_cmp(const wb_time *a, const wb_time *b);

#endif
