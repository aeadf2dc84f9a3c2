/* SPDX-License-Identifier: MIT */
/*
 * epcis.h - one EPCIS 2.0 event in JSON <-> one stamp.
 *
 * The single mapping between the GS1 EPCIS 2.0 JSON(-LD) event form and
 * wb_stamp, used by `waybill stamp --file`, `waybill submit` and the EPCIS
 * import and export. It is lossless for single events: an event read with
 * wb_epcis_event_from_json() and written back with wb_epcis_event_to_json()
 * equals the original up to key order, the @context form, the spelling of
 * equal instants and number formatting. recordTime is the one field dropped
 * on input: the ledger records its own time.
 *
 * What EPCIS lacks travels in the waybill namespace (URI "urn:waybill:ext:",
 * prefix "waybill"): top-level "waybill:<name>" keys are stamp attributes
 * (e.g. "waybill:price": "2.49 EUR"), and the waybill-only kinds are events
 * of type "waybill:RecallEvent", "waybill:LiftEvent" and
 * "waybill:MasterDataEvent". docs/epcis.md gives the mapping field by field.
 *
 * Documents (EPCISDocument, EPCISQueryDocument, event lists) are not parsed
 * here: the caller walks them and hands each event over with the document's
 * @context.
 *
 * THREAD SAFETY: functions are reentrant; they touch only their arguments.
 */
#ifndef WAYBILL_EPCIS_H
#define WAYBILL_EPCIS_H

#include <jansson.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/hash.h"
#include "waybill/stamp.h"

/* The waybill extension namespace and its usual prefix. */
#define WB_EPCIS_NS        "urn:waybill:ext:"
#define WB_EPCIS_NS_PREFIX "waybill"

/* The EPCIS 2.0 JSON-LD context URL; a document writer puts it, with
 * {"waybill": WB_EPCIS_NS}, in the document's @context. */
#define WB_EPCIS_CONTEXT \
	"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

/**
 * Parses one EPCIS 2.0 event into a new stamp that owns its memory
 * (release it with wb_stamp_free()).
 *
 * event is a JSON object: an ObjectEvent, AggregationEvent,
 * TransformationEvent, TransactionEvent or AssociationEvent, or a
 * waybill:RecallEvent, waybill:LiftEvent or waybill:MasterDataEvent as
 * docs/epcis.md defines them. context is the enclosing document's @context
 * (or NULL): with the event's own @context it declares the namespace
 * prefixes of extension fields ("waybill" and the EPCIS context's own
 * prefixes are always known). ledger_id is copied into the stamp. The
 * event's own @context, if any, is kept in the stamp (context_json) so
 * that it writes back. An event without eventID gets a deterministic one,
 * "urn:waybill:event:sha-256:<hex>", a hash of its content, so the stamp
 * is always ready for wb_stamp_encode(). recordTime is ignored.
 *
 * @return WB_OK;
 *   WB_EPROTO, the event is not valid (a wrong type, a missing required
 *   field, an unknown event type or field, an undeclared extension
 *   prefix, a bizStep or disposition outside the CBV): p, when not NULL,
 *   gets reason WB_REJECT_MALFORMED and a message that starts with the
 *   JSON path, e.g. "$.eventTime: \"22-07-2026\" is not an RFC 3339
 *   date-time with offset (...)";
 *   WB_EINVAL (a NULL out, event or ledger_id); WB_ENOMEM.
 */
wb_err wb_epcis_event_from_json(wb_stamp **out, const json_t *event,
                                const json_t *context,
                                const uint8_t ledger_id[WB_HASH_LEN],
                                wb_problem *p);

/**
 * The EPCIS 2.0 JSON of a stamp: a new reference (json_decref()). Fields
 * EPCIS lacks are written as waybill extension keys. The stamp's own
 * context_json, when set, becomes the event's "@context"; otherwise the
 * event has none and the enclosing document declares the prefixes. The
 * stamp is only read: a caller-built stamp or a decoded one.
 *
 * @return WB_OK; WB_EINVAL (NULL argument, or a stamp a JSON event cannot
 *   express: an unknown kind, an instant outside the years 0000-9999, a
 *   stored JSON fragment that does not parse, text that is not UTF-8);
 *   WB_ENOMEM.
 */
wb_err wb_epcis_event_to_json(json_t **out, const wb_stamp *s);

#endif
