/* SPDX-License-Identifier: MIT */
/*
 * epcis_impl.h - what the EPCIS event reader (epcis_read.c) and writer
 * (epcis_write.c) share: the names of the event types, the field tables of
 * sensor metadata and reports, and RFC 3339 instants. Private to ledger/.
 */
#ifndef WAYBILL_EPCIS_IMPL_H
#define WAYBILL_EPCIS_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "waybill/stamp.h"

/* The keys of the blocks that carry the waybill-only kinds. */
#define WB_EPCIS_KEY_RECALL      "waybill:recall"
#define WB_EPCIS_KEY_LIFT        "waybill:lift"
#define WB_EPCIS_KEY_MASTER_DATA "waybill:masterData"
/* In a stamp's extensions_json: the lists the event wrote as []. */
#define WB_EPCIS_KEY_EMPTY_LISTS "waybill:emptyLists"

/* The prefix of event IDs the reader assigns to events that have none. */
#define WB_EPCIS_ASSIGNED_ID "urn:waybill:event:sha-256:"

/** The JSON "type" of a kind ("ObjectEvent", "waybill:RecallEvent"), or
 * NULL for WB_KIND_UNSPECIFIED and unknown values. */
const char *wb_epcis_type_name(wb_kind kind);

/* How a sensor field is written in JSON. */
typedef enum {
	WB_EPCIS_F_STRING, /* const char * */
	WB_EPCIS_F_NUMBER, /* double, with a bool has_ flag */
	WB_EPCIS_F_BOOL,   /* bool, with a bool has_ flag */
	WB_EPCIS_F_TIME,   /* const wb_time * */
} wb_epcis_ftype;

/* One scalar field of wb_sensor_metadata or wb_sensor_report: its JSON
 * name, its type, and where it lives in the struct. */
typedef struct {
	const char *name;
	wb_epcis_ftype type;
	size_t off;
	size_t has_off; /* numbers and booleans only */
} wb_epcis_field;

extern const wb_epcis_field wb_epcis_metadata_fields[];
extern const size_t wb_epcis_n_metadata_fields;
extern const wb_epcis_field wb_epcis_report_fields[];
extern const size_t wb_epcis_n_report_fields;

/**
 * Parses an RFC 3339 date-time with a "Z" or "+hh:mm" offset (fractional
 * seconds allowed; digits past nanoseconds are dropped). has_nanos is set
 * when the nanoseconds are not zero. False when s is not one.
 */
bool wb_epcis_time_parse(wb_time *out, const char *s);

/** Parses an EPCIS eventTimeZoneOffset, "-14:00" to "+14:00", into
 * minutes east of UTC. False when tz is not one. */
bool wb_epcis_tz_parse(int *minutes_out, const char *tz);

/**
 * Writes an instant as RFC 3339 in the offset tz (an eventTimeZoneOffset;
 * NULL or invalid: UTC, "Z"), with 3, 6 or 9 fraction digits when the
 * nanoseconds are not zero. False when the year is outside 0000..9999.
 */
bool wb_epcis_time_format(char out[40], const wb_time *t, const char *tz);

#endif
