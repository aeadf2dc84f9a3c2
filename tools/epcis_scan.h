/* SPDX-License-Identifier: MIT */
/*
 * epcis_scan.h - finds the events of a large EPCIS document without
 * parsing it whole, for `waybill epcis import`.
 *
 * A parsed JSON tree costs many times its text, so the importer reads a
 * document in two passes: this scanner checks the whole text as JSON (as
 * strictly as jansson: UTF-8, escapes, numbers that fit, depth) and records
 * the byte span of each element of the event list
 * (epcisBody.eventList, epcisBody.queryResults.resultsBody.eventList, or
 * the elements of a top-level array); the rest of the document, with the
 * event list emptied (the "skeleton"), is small and is parsed and checked
 * whole by the document reader. Each event is then parsed on its own from
 * its span, when it is imported.
 *
 * THREAD SAFETY: reentrant; a scan only reads its buffer.
 */
#ifndef WAYBILL_TOOLS_EPCIS_SCAN_H
#define WAYBILL_TOOLS_EPCIS_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Where the event list is. */
typedef enum {
	EPCIS_SCAN_NONE = 0, /* not found: read the document whole */
	EPCIS_SCAN_BODY,     /* $.epcisBody.eventList */
	EPCIS_SCAN_QUERY, /* $.epcisBody.queryResults.resultsBody.eventList */
	EPCIS_SCAN_TOP_ARRAY, /* $ is an array of events */
} epcis_scan_where;

typedef struct {
	size_t off, len;
} epcis_span;

typedef struct {
	epcis_scan_where where;
	epcis_span *spans; /* the list's elements, in order (malloc'd) */
	size_t n_spans;
	/* The document with the list's contents left out (malloc'd,
	 * NUL-terminated): "...\"eventList\":[]...". */
	char *skeleton;
	size_t skeleton_len;
} epcis_scan;

/**
 * Scans buf. Returns true with *out filled (epcis_scan_fini) when buf is
 * one JSON value that jansson would accept and its event list was found
 * once; false when the text is not such JSON, the list is missing or
 * appears more than once, or memory ran out: the caller then reads the
 * document whole, which reports the problem in jansson's words.
 */
bool epcis_scan_run(epcis_scan *out, const char *buf, size_t len);

/** Frees what a scan made; a zeroed scan is allowed. */
void epcis_scan_fini(epcis_scan *s);

#endif
