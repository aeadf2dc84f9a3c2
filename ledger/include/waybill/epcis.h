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
 * Documents (EPCISDocument, EPCISQueryDocument, event lists) are read by
 * wb_epcis_doc_read() (below, epcis_doc.c), which checks the document level,
 * turns the header's master data into waybill:MasterDataEvent events and
 * hands each event to this mapper with the document's @context.
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

/*
 * EPCIS documents (epcis_doc.c): what an import reads.
 *
 * A document reader takes one parsed JSON value, checks it at the level of
 * the document (EPCIS 2.0: @context, type, schemaVersion, creationDate,
 * epcisBody, the header's master data) and lists its items in import
 * order: first one waybill:MasterDataEvent per vocabulary element of the
 * master data (epcisHeader.epcisMasterData.vocabularyList, or an
 * EPCISQueryDocument's resultsBody.vocabularyList), then the events in
 * document order. Each item has its JSON path in the document and the
 * @context its prefixes are declared in; wb_epcis_doc_stamp() maps it with
 * wb_epcis_event_from_json(), so events are checked by the one mapper, and
 * a mapper's message names the item's path in the document.
 */

/* What the value read was. */
typedef enum {
	WB_EPCIS_DOC_DOCUMENT = 1, /* an EPCISDocument */
	WB_EPCIS_DOC_QUERY,        /* an EPCISQueryDocument */
	WB_EPCIS_DOC_EVENT,        /* one bare event */
	WB_EPCIS_DOC_LIST,         /* a JSON array of events */
} wb_epcis_doc_form;

typedef enum {
	WB_EPCIS_ITEM_MASTER_DATA = 1, /* a vocabulary element */
	WB_EPCIS_ITEM_EVENT,
} wb_epcis_item_kind;

/* Room for the longest path the reader writes, NUL included. */
#define WB_EPCIS_PATH_MAX 128

/* One item of a document. */
typedef struct {
	wb_epcis_item_kind kind;
	/* "$.epcisBody.eventList[3]",
	 * "$.epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[2]",
	 * "$" for a bare event, "$[3]" in a list. */
	char path[WB_EPCIS_PATH_MAX];
	/* The event: borrowed from the document's root; for master data a
	 * waybill:MasterDataEvent built by the reader (owned by the doc):
	 * the element's vocabulary type, id, attributes and children, event
	 * time the document's creationDate (in its own offset), so that the
	 * same document always gives the same stamp. */
	const json_t *event;
	/* The @context that declares the item's prefixes beside the event's
	 * own: the document's, or NULL (a bare event or a list). */
	const json_t *context;
} wb_epcis_item;

typedef struct {
	wb_epcis_doc_form form;
	const json_t *context;     /* the document's @context, or NULL */
	const char *creation_date; /* the document's creationDate, or NULL */
	wb_epcis_item *items;      /* master data first, then the events */
	size_t n_items;
	size_t n_master_data; /* items[0 .. n_master_data) are master data */
	size_t n_events;
	json_t *built_; /* the master-data events the reader made */
} wb_epcis_doc;

/**
 * Reads a parsed EPCIS 2.0 input into a new doc (wb_epcis_doc_free()).
 * root is borrowed: it must outlive the doc.
 *
 * root is an EPCISDocument (events in epcisBody.eventList), an
 * EPCISQueryDocument (epcisBody.queryResults.resultsBody.eventList), a
 * bare event (an object whose type is not a document type), or a JSON
 * array of events. A document must have the EPCIS 2.0 @context (a string,
 * an object or an array of them naming the EPCIS 2.0 context URL), type,
 * schemaVersion (a string "2" or "2.x"), creationDate (an RFC 3339
 * date-time with offset) and epcisBody with its eventList (an array); its
 * other members are EPCIS's own (id, instanceIdentifier, sender,
 * receiver: strings; epcisHeader: an object) or namespaced. Bare events
 * and lists need no @context (plain JSON events, as `waybill submit`
 * takes them). The events themselves are not checked here: a wrong event
 * is refused by wb_epcis_doc_stamp(), so that the rest of the document
 * still reads.
 *
 * @return WB_OK;
 *   WB_EPROTO, the document breaks EPCIS 2.0: p, when not NULL, gets
 *   reason WB_REJECT_MALFORMED and a message starting with the JSON path of
 *   the problem, e.g. "$.@context: missing: an EPCIS 2.0 document needs the
 *   2.0 context
 * (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld)" or
 * "$.epcisHeader.epcisMasterData.vocabularyList[0].type: missing"; WB_EINVAL (a
 * NULL out or root); WB_ENOMEM.
 */
wb_err wb_epcis_doc_read(wb_epcis_doc **out, const json_t *root, wb_problem *p);

/** Frees a doc; NULL is allowed. */
void wb_epcis_doc_free(wb_epcis_doc *d);

/**
 * Maps item i of d to a new stamp (wb_stamp_free()) with
 * wb_epcis_event_from_json(), its context and ledger_id. An item without
 * eventID gets the mapper's deterministic one.
 *
 * @return WB_OK; WB_EPROTO, the item is not a valid event: p gets reason
 *   WB_REJECT_MALFORMED and the mapper's message with the item's path in
 *   the document in place of "$" (e.g. "$.epcisBody.eventList[1].action:
 *   \"CREATE\" is not ADD, OBSERVE or DELETE"); WB_EINVAL (NULL argument,
 *   i out of range); WB_ENOMEM.
 */
wb_err wb_epcis_doc_stamp(wb_stamp **out, const wb_epcis_doc *d, size_t i,
                          const uint8_t ledger_id[WB_HASH_LEN], wb_problem *p);

#endif
