/* SPDX-License-Identifier: MIT */
/*
 * epcis_export.h - journal entries as an EPCIS 2.0 EPCISQueryDocument.
 *
 * `waybill epcis export` fetches the entries of a twin's history, a trace,
 * a search or an index range and hands their bytes, in index order, to a
 * wb_epcis_export. Each stamp entry becomes one event of the document's
 * eventList through the one mapper (wb_epcis_event_to_json), with the
 * entry's record time as recordTime and, unless asked not to, the ledger's
 * own facts about the entry as waybill extension fields:
 *
 *   "waybill:index"     the entry's journal index (a JSON integer)
 *   "waybill:signerKey" the signer's Ed25519 public key (64 hex digits)
 *   "waybill:leafHash"  SHA-256(0x00 || entry), the Merkle leaf that
 *                       inclusion proofs prove (64 hex digits)
 *
 * Registry and genesis entries have no EPCIS form and are skipped.
 * Recalls, lifts and master data come out as the mapper's waybill-only
 * event types, so nothing the ledger holds is dropped.
 *
 * The document's @context is the EPCIS 2.0 context URL and one object
 * declaring "waybill" (always), "fsma" (when an event uses it) and the
 * prefixes given with wb_epcis_export_declare(). Prefixes an event uses
 * that neither the EPCIS context, its own @context nor those declare are
 * listed by wb_epcis_export_undeclared(), so that the caller can say so:
 * the ledger keeps an event's own @context but not the document-level
 * bindings of the document it was imported from.
 *
 * Events are spooled to a temporary file as they are added (memory stays
 * small whatever the export's size) and the document is written by
 * wb_epcis_export_finish().
 *
 * THREAD SAFETY: an export object is used by one thread at a time;
 * wb_epcis_entry_to_json() is reentrant.
 */
#ifndef WAYBILL_EPCIS_EXPORT_H
#define WAYBILL_EPCIS_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "waybill/err.h"
#include "waybill/stamp.h"

/* The ledger facts an export adds to each event. */
#define WB_EPCIS_KEY_INDEX      "waybill:index"
#define WB_EPCIS_KEY_SIGNER_KEY "waybill:signerKey"
#define WB_EPCIS_KEY_LEAF_HASH  "waybill:leafHash"

/* The IRI of the "fsma" prefix (FSMA 204 attributes, docs/epcis.md). */
#define WB_EPCIS_FSMA_NS "urn:waybill:fsma:"

/**
 * One journal entry (its bytes as the journal holds them) as an EPCIS
 * event: the stamp mapped by wb_epcis_event_to_json(), "recordTime" (the
 * entry's record time, UTC) after eventTimeZoneOffset and, when
 * ledger_fields, the three waybill: facts above at the end. A stamp
 * attribute that already has one of those keys keeps its value (the fact
 * is then left out). New reference in *out (json_decref()).
 *
 * @return WB_OK; WB_ENOTFOUND, the entry is not a stamp (genesis or
 *   registry): nothing to export; WB_EPROTO, the bytes are not an entry or
 *   its stamp does not decode; WB_EINVAL (NULL argument, or a stamp no
 *   JSON event can express); WB_ENOMEM.
 */
wb_err wb_epcis_entry_to_json(json_t **out, const uint8_t *entry, size_t len,
                              bool ledger_fields);

/**
 * The JSON_REAL_PRECISION a dump of v needs so that every real in it
 * reads back as the same double: 15 significant digits where that is
 * enough (2.49, not 2.4900000000000002), else 16 or 17.
 */
int wb_epcis_real_precision(const json_t *v);

typedef struct wb_epcis_export wb_epcis_export;

typedef struct {
	/* Leave out waybill:index, waybill:signerKey and waybill:leafHash
	 * (for a document meant for another system). */
	bool no_ledger_fields;
	/* The document's creationDate; NULL: now. */
	const wb_time *creation;
} wb_epcis_export_opts;

/**
 * Starts an export (o may be NULL: the defaults). Release with
 * wb_epcis_export_free().
 * @return WB_OK; WB_EIO (no temporary file for the spool); WB_ENOMEM.
 */
wb_err wb_epcis_export_new(wb_epcis_export **out,
                           const wb_epcis_export_opts *o);

/**
 * Declares a namespace prefix in the document's @context (e.g. "example",
 * "https://ns.example.com/epcis/").
 * @return WB_OK; WB_EINVAL (NULL, an empty IRI, or a prefix that is not a
 *   name: letters, digits, "-", "_", ".", not starting with a digit);
 *   WB_EEXISTS (the prefix is already bound to another IRI: "waybill" and
 *   "fsma" are bound from the start); WB_ENOMEM.
 */
wb_err wb_epcis_export_declare(wb_epcis_export *x, const char *prefix,
                               const char *iri);

/**
 * Adds the entry (its bytes) as the next event, as
 * wb_epcis_entry_to_json() maps it.
 * @return WB_OK; WB_ENOTFOUND (not a stamp: skipped, nothing added);
 *   WB_EPROTO, WB_EINVAL (as wb_epcis_entry_to_json); WB_EIO (the spool
 *   could not be written); WB_ENOMEM.
 */
wb_err wb_epcis_export_add(wb_epcis_export *x, const uint8_t *entry,
                           size_t len);

/** The number of events added so far. */
size_t wb_epcis_export_count(const wb_epcis_export *x);

/**
 * The prefixes the events use (in keys) that nothing declares, in order of
 * first use; *n_out gets their number. Borrowed until the next add.
 */
const char *const *wb_epcis_export_undeclared(const wb_epcis_export *x,
                                              size_t *n_out);

/**
 * Writes the EPCISQueryDocument to f: @context, type, schemaVersion "2.0",
 * creationDate, and epcisBody.queryResults (queryName "SimpleEventQuery")
 * .resultsBody.eventList with the events added, one per line. Call once.
 * @return WB_OK; WB_EIO (reading the spool or writing f failed); WB_EINVAL
 *   (NULL, or called twice); WB_ENOMEM.
 */
wb_err wb_epcis_export_finish(wb_epcis_export *x, FILE *f);

/** Releases an export and its spool; NULL is allowed. */
void wb_epcis_export_free(wb_epcis_export *x);

#endif
