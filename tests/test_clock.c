/* SPDX-License-Identifier: MIT */
/*
 * Time at its edges: event times far in the past (down to the earliest
 * instant EPCIS can write) and just inside or beyond the allowed future,
 * time-zone offsets at their limits, and a ledger clock that jumps
 * backwards. Record times are simulated through the submission's
 * record_time_us (what the verifier's replay sets), so no test depends on
 * the machine's clock beyond "it is before 2100".
 *
 * Each accepted time must come back exactly: from the journal entry, the
 * twin's history and passport, and the EPCIS export (the eventTime and
 * eventTimeZoneOffset strings, and recordTime from the stored record time).
 * Each refusal has its reason and message, and writes nothing.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "waybill/epcis.h"
#include "waybill/epcis_export.h"
#include "waybill/trace.h"
#include "waybill/verify.h"

/* 0000-01-01T00:00:00Z, the earliest instant RFC 3339 (and so an EPCIS
 * document) can write. */
#define YEAR_0000 (-62167219200ll)
/* 2100-01-01T00:00:00Z: the simulated clock, ahead of any real one. */
#define T_US    (4102444800ull * 1000000u)
#define HOUR_US (3600ull * 1000000u)

#define GOOD_TZ_MSG(tz)                                             \
	"event time-zone offset \"" tz                              \
	"\" must be from -14:00 to +14:00, written like +02:00 or " \
	"-05:30"

struct world {
	fx_ledger fx;
	wb_signer *acme; /* brand owner of 0614141 */
	uint64_t acme_id;
	unsigned serial; /* the next item serial */
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->acme = fx_register(&w->fx, "Acme", 10, FX_ROLE(WB_ROLE_BRAND_OWNER),
	                      "0614141", NULL, &w->acme_id);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_signer_free(w->acme);
	fx_close(&w->fx);
	free(w);
	return 0;
}

/* A commissioning of a new item (its ID written to id, 64 bytes) at a
 * business location, at the given time and offset. */
static void
commissioning(wb_stamp *s, struct world *w, const char **id_slot, char *id,
              const wb_location *loc, int64_t seconds, uint32_t nanos,
              const char *tz)
{
	static char event_id[64];

	snprintf(id, 64, "urn:epc:id:sgtin:0614141.107346.%u", ++w->serial);
	snprintf(event_id, sizeof(event_id), "ev-%u", w->serial);
	fx_stamp_init(s, &w->fx, WB_KIND_OBJECT, event_id);
	*id_slot = id;
	s->epcs = id_slot;
	s->n_epcs = 1;
	s->has_action = true;
	s->action = WB_ACTION_ADD;
	s->biz_step = "commissioning";
	s->biz_location = loc;
	s->event_time.seconds = seconds;
	s->event_time.nanos = nanos;
	s->event_time.has_nanos = nanos != 0;
	s->event_tz_offset = tz;
}

/* Appends s alone with the simulated record time rt_us (0: the clock). */
static wb_err
submit_at(struct world *w, const wb_stamp *s, uint64_t rt_us, wb_result *res)
{
	wb_submission sub;
	wb_err rc;

	fx_submission(&sub, w->acme, s);
	sub.record_time_us = rt_us;
	rc = wb_journal_append(w->fx.j, &sub, 1, res, NULL, NULL);
	free((void *)(uintptr_t)sub.body);
	return rc == WB_OK ? res->err : rc;
}

static uint64_t
accepted_at(struct world *w, const wb_stamp *s, uint64_t rt_us)
{
	uint64_t before = fx_size(&w->fx);
	wb_result res;

	if (submit_at(w, s, rt_us, &res) != WB_OK) {
		fail_msg("refused: %s: %s", wb_reject_name(res.problem.reason),
		         res.problem.msg);
	}
	assert_false(res.duplicate);
	assert_int_equal(res.index, before);
	assert_int_equal(fx_size(&w->fx), before + 1);
	return res.index;
}

static uint64_t
accepted(struct world *w, const wb_stamp *s)
{
	return accepted_at(w, s, 0);
}

/* Refused for reason with exactly msg; the journal and its checkpoint are
 * unchanged. */
static void
refused_at(struct world *w, const wb_stamp *s, uint64_t rt_us, wb_reject reason,
           const char *msg)
{
	uint64_t before = fx_size(&w->fx);
	char *cp_before = NULL, *cp_after = NULL;
	wb_result res;

	assert_int_equal(wb_journal_checkpoint(&cp_before, w->fx.j, 0), WB_OK);
	fx_assert_refused(submit_at(w, s, rt_us, &res), &res, reason);
	assert_string_equal(res.problem.msg, msg);
	assert_int_equal(fx_size(&w->fx), before);
	assert_int_equal(wb_journal_checkpoint(&cp_after, w->fx.j, 0), WB_OK);
	assert_string_equal(cp_before, cp_after);
	free(cp_before);
	free(cp_after);
}

static void
refused(struct world *w, const wb_stamp *s, wb_reject reason, const char *msg)
{
	refused_at(w, s, 0, reason, msg);
}

/* The decoded entry at index (wb_entry_free). */
static wb_entry *
entry_at(struct world *w, uint64_t index)
{
	uint8_t *bytes = NULL;
	size_t len;
	wb_entry *e = NULL;

	assert_int_equal(wb_journal_entry(&bytes, &len, w->fx.j, index), WB_OK);
	assert_int_equal(wb_entry_decode(&e, bytes, len), WB_OK);
	free(bytes);
	return e;
}

static uint64_t
record_time_at(struct world *w, uint64_t index)
{
	wb_entry *e = entry_at(w, index);
	uint64_t rt = e->record_time_us;

	wb_entry_free(e);
	return rt;
}

/* The stamp stored at index, decoded from the journal's bytes. */
static wb_stamp *
stamp_at(struct world *w, uint64_t index)
{
	wb_entry *e = entry_at(w, index);
	wb_stamp *s = NULL;

	assert_int_equal(e->type, WB_ENTRY_STAMP);
	assert_int_equal(wb_stamp_decode(&s, e->body, e->body_len), WB_OK);
	wb_entry_free(e);
	return s;
}

/* The entry at index as the EPCIS export writes it (json_decref). */
static json_t *
exported(struct world *w, uint64_t index)
{
	uint8_t *bytes = NULL;
	size_t len;
	json_t *ev = NULL;

	assert_int_equal(wb_journal_entry(&bytes, &len, w->fx.j, index), WB_OK);
	assert_int_equal(wb_epcis_entry_to_json(&ev, bytes, len, false), WB_OK);
	free(bytes);
	return ev;
}

static void
assert_member(const json_t *ev, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(ev, key));

	if (got == NULL || strcmp(got, want) != 0) {
		fail_msg("%s: got %s, want %s", key, got ? got : "(none)",
		         want);
	}
}

/*
 * The accepted event at index comes back with exactly this instant: in
 * the stored stamp, in the twin's history and passport (its first and
 * last event), and in the EPCIS export as eventTime (and, read back by
 * the importer, as the same instant).
 */
static void
assert_round_trip(struct world *w, uint64_t index, const char *id,
                  const char *location, int64_t seconds, uint32_t nanos,
                  const char *tz, const char *event_time_text)
{
	wb_stamp *s = stamp_at(w, index), *back = NULL;
	uint64_t hist[4];
	size_t n = 0;
	wb_passport *pp = NULL;
	wb_problem p = { 0 };
	json_t *ev = exported(w, index);

	assert_int_equal(s->event_time.seconds, seconds);
	assert_int_equal(s->event_time.nanos, nanos);
	assert_string_equal(s->event_tz_offset, tz);
	wb_stamp_free(s);

	assert_int_equal(
	        wb_journal_history(hist, &n, 4, w->fx.j, id, 0, false, &p),
	        WB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(hist[0], index);

	assert_int_equal(wb_passport_get(&pp, w->fx.j, id, &p), WB_OK);
	assert_int_equal(pp->n_stamps, 1);
	assert_int_equal(pp->first_index, index);
	assert_int_equal(pp->first_time.seconds, seconds);
	assert_int_equal(pp->first_time.nanos, nanos);
	assert_int_equal(pp->last_index, index);
	assert_int_equal(pp->last_time.seconds, seconds);
	assert_int_equal(pp->last_time.nanos, nanos);
	assert_string_equal(pp->location, location);
	wb_passport_free(pp);

	assert_member(ev, "eventTime", event_time_text);
	assert_member(ev, "eventTimeZoneOffset", tz);
	json_object_del(ev, "recordTime");
	assert_int_equal(wb_epcis_event_from_json(&back, ev, NULL,
	                                          wb_journal_ledger_id(w->fx.j),
	                                          &p),
	                 WB_OK);
	assert_int_equal(back->event_time.seconds, seconds);
	assert_int_equal(back->event_time.nanos, nanos);
	assert_string_equal(back->event_tz_offset, tz);
	wb_stamp_free(back);
	json_decref(ev);
}

/*
 * Far in the past: the Unix epoch and the second before it, the moon
 * landing, 1900, the year 1 and the earliest instant EPCIS can write, each
 * accepted and back exactly everywhere.
 */
static void
test_clock_far_past_event_times_round_trip(void **state)
{
	static const struct {
		int64_t seconds;
		uint32_t nanos;
		const char *tz;
		const char *text;
	} cases[] = {
		{ 0, 0, "+00:00", "1970-01-01T00:00:00+00:00" },
		{ -1, 999999999, "+00:00",
		  "1969-12-31T23:59:59.999999999+00:00" },
		{ -14182940, 0, "-04:00", "1969-07-20T16:17:40-04:00" },
		{ -2208988800, 500000000, "+00:00",
		  "1900-01-01T00:00:00.500+00:00" },
		{ -62135596800, 0, "+00:00", "0001-01-01T00:00:00+00:00" },
		/* The boundary, in the offset the event is written in. */
		{ YEAR_0000, 0, "+00:00", "0000-01-01T00:00:00+00:00" },
		{ YEAR_0000 - 14 * 3600, 0, "+14:00",
		  "0000-01-01T00:00:00+14:00" },
		{ YEAR_0000 + 12 * 3600, 0, "-12:00",
		  "0000-01-01T00:00:00-12:00" },
	};
	struct world *w = *state;
	wb_location loc = { "urn:epc:id:sgln:0614141.00001.0", NULL };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *slot;
		char id[64];
		wb_stamp s;
		uint64_t index;

		commissioning(&s, w, &slot, id, &loc, cases[i].seconds,
		              cases[i].nanos, cases[i].tz);
		index = accepted(w, &s);
		assert_round_trip(w, index, id, loc.id, cases[i].seconds,
		                  cases[i].nanos, cases[i].tz, cases[i].text);
	}
}

/*
 * One second before the earliest instant EPCIS can write (in the event's
 * own offset) is refused as malformed: the ledger would hold an event its
 * own export cannot write. The far end of int64 is refused the same way,
 * without overflow.
 */
static void
test_clock_refuses_event_time_before_year_0000(void **state)
{
	static const struct {
		int64_t seconds;
		const char *tz;
		const char *msg;
	} cases[] = {
		{ YEAR_0000 - 1, "+00:00",
		  "the event time (-62167219201 seconds since 1970) is before 0000-01-01T00:00:00 in its offset +00:00, the earliest instant an EPCIS document can carry: check the sender's clock and units" },
		{ YEAR_0000 + 12 * 3600 - 1, "-12:00",
		  "the event time (-62167176001 seconds since 1970) is before 0000-01-01T00:00:00 in its offset -12:00, the earliest instant an EPCIS document can carry: check the sender's clock and units" },
		{ YEAR_0000 - 14 * 3600 - 1, "+14:00",
		  "the event time (-62167269601 seconds since 1970) is before 0000-01-01T00:00:00 in its offset +14:00, the earliest instant an EPCIS document can carry: check the sender's clock and units" },
		{ INT64_MIN, "+14:00",
		  "the event time (-9223372036854775808 seconds since 1970) is before 0000-01-01T00:00:00 in its offset +14:00, the earliest instant an EPCIS document can carry: check the sender's clock and units" },
	};
	struct world *w = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *slot;
		char id[64];
		wb_stamp s;

		commissioning(&s, w, &slot, id, NULL, cases[i].seconds, 0,
		              cases[i].tz);
		refused(w, &s, WB_REJECT_MALFORMED, cases[i].msg);
	}
}

/*
 * The stamp's other instants are held to the same bound, in the event's
 * offset: an error declaration's time and sensor times an EPCIS document
 * could not carry are refused; at the bound they are accepted and export.
 */
static void
test_clock_refuses_unwritable_declaration_and_sensor_times(void **state)
{
	struct world *w = *state;
	wb_error_declaration decl = { 0 };
	wb_time when = { .seconds = YEAR_0000 - 1 };
	wb_sensor_report report = { .type = "gs1:Temperature", .time = &when };
	wb_sensor_element el = { .reports = &report, .n_reports = 1 };
	const char *slot;
	char id[64];
	wb_stamp s;
	uint64_t index;
	json_t *ev, *els, *reports;

	commissioning(&s, w, &slot, id, NULL, FX_EVENT_TIME, 0, "+00:00");
	decl.declaration_time = when;
	decl.reason = "incorrect_data";
	s.error_declaration = &decl;
	refused(w, &s, WB_REJECT_MALFORMED,
	        "the error declaration time is outside the years 0000 to 9999 (in offset +00:00) or has a whole second of nanoseconds: an EPCIS document cannot carry it");
	decl.declaration_time.seconds = YEAR_0000;
	index = accepted(w, &s);
	ev = exported(w, index);
	assert_member(json_object_get(ev, "errorDeclaration"),
	              "declarationTime", "0000-01-01T00:00:00+00:00");
	json_decref(ev);

	commissioning(&s, w, &slot, id, NULL, FX_EVENT_TIME, 0, "-12:00");
	s.sensor_elements = &el;
	s.n_sensor_elements = 1;
	when.seconds = YEAR_0000; /* 0000-01-01T00:00Z is year -1 at -12:00 */
	refused(w, &s, WB_REJECT_MALFORMED,
	        "a time of sensor element 0 is outside the years 0000 to 9999 (in offset -12:00) or has a whole second of nanoseconds: an EPCIS document cannot carry it");
	when.seconds = FX_EVENT_TIME;
	when.nanos = 1000000000u;
	when.has_nanos = true;
	refused(w, &s, WB_REJECT_MALFORMED,
	        "a time of sensor element 0 is outside the years 0000 to 9999 (in offset -12:00) or has a whole second of nanoseconds: an EPCIS document cannot carry it");
	when.nanos = 0;
	when.has_nanos = false;
	index = accepted(w, &s);
	ev = exported(w, index);
	els = json_object_get(ev, "sensorElementList");
	reports = json_object_get(json_array_get(els, 0), "sensorReport");
	assert_member(json_array_get(reports, 0), "time",
	              "2025-12-31T12:00:00-12:00");
	json_decref(ev);
}

/*
 * A twin whose whole life is before 1970: its state follows its events
 * (the latest location wins, a late-arriving older event does not
 * overwrite it), as it does after 1970.
 */
static void
test_clock_pre_1970_twin_state_follows_event_time(void **state)
{
	struct world *w = *state;
	wb_location dock = { "urn:epc:id:sgln:0614141.00001.0", NULL };
	wb_location store = { "urn:epc:id:sgln:0614141.00002.0", NULL };
	wb_location yard = { "urn:epc:id:sgln:0614141.00003.0", NULL };
	const char *slot;
	char id[64];
	wb_stamp s;
	wb_passport *pp = NULL;
	wb_problem p = { 0 };
	uint64_t first, second, third, hist[4];
	size_t n = 0;

	commissioning(&s, w, &slot, id, &dock, -2208988800, 0, "+00:00");
	first = accepted(w, &s);
	s.event_id = "moved-1901";
	s.action = WB_ACTION_OBSERVE;
	s.biz_step = NULL;
	s.biz_location = &store;
	s.event_time.seconds = -2163153600; /* 1901-06-15T12:00:00Z */
	second = accepted(w, &s);
	s.event_id = "late-1899";
	s.biz_location = &yard;
	s.event_time.seconds = -2235398400; /* 1899-03-01T08:00:00Z */
	third = accepted(w, &s);

	assert_int_equal(
	        wb_journal_history(hist, &n, 4, w->fx.j, id, 0, false, &p),
	        WB_OK);
	assert_int_equal(n, 3);
	assert_int_equal(hist[0], first);
	assert_int_equal(hist[1], second);
	assert_int_equal(hist[2], third);
	assert_int_equal(wb_passport_get(&pp, w->fx.j, id, &p), WB_OK);
	assert_int_equal(pp->n_stamps, 3);
	assert_string_equal(pp->location, store.id);
	assert_int_equal(pp->first_index, third);
	assert_int_equal(pp->first_time.seconds, -2235398400);
	assert_int_equal(pp->last_index, second);
	assert_int_equal(pp->last_time.seconds, -2163153600);
	assert_int_equal(pp->custodian, w->acme_id);
	wb_passport_free(pp);
}

/* The event time as an instant rt_us + delta_us after the epoch. */
static void
set_event_us(wb_stamp *s, uint64_t us, uint32_t extra_nanos)
{
	s->event_time.seconds = (int64_t)(us / 1000000u);
	s->event_time.nanos = (uint32_t)(us % 1000000u) * 1000u + extra_nanos;
	s->event_time.has_nanos = s->event_time.nanos != 0;
}

#define FUTURE_MSG                                                                            \
	"the event time is more than 5 minutes after the ledger's clock: check the sender's " \
	"clock and time-zone handling"

/*
 * The future: up to exactly WB_MAX_FUTURE_US after the record time is
 * accepted (compared in microseconds, so a fraction of a microsecond
 * more still is); one microsecond more is refused, and so is the far end
 * of int64, without overflow.
 */
static void
test_clock_future_event_time_boundary(void **state)
{
	struct world *w = *state;
	const uint64_t rt = T_US + 123456;
	const char *slot;
	char id[64];
	wb_stamp s;
	uint64_t index;
	json_t *ev;

	commissioning(&s, w, &slot, id, NULL, 0, 0, "+00:00");
	set_event_us(&s, rt + WB_MAX_FUTURE_US + 1, 0);
	refused_at(w, &s, rt, WB_REJECT_FUTURE_EVENT_TIME, FUTURE_MSG);
	s.event_time.seconds = INT64_MAX;
	s.event_time.nanos = 0;
	refused_at(w, &s, rt, WB_REJECT_FUTURE_EVENT_TIME, FUTURE_MSG);

	set_event_us(&s, rt + WB_MAX_FUTURE_US, 999);
	index = accepted_at(w, &s, rt);
	assert_int_equal(record_time_at(w, index), rt);
	ev = exported(w, index);
	assert_member(ev, "eventTime", "2100-01-01T00:05:00.123456999+00:00");
	assert_member(ev, "recordTime", "2100-01-01T00:00:00.123456Z");
	json_decref(ev);
}

/*
 * Time-zone offsets: every offset EPCIS allows (-14:00 to +14:00) is
 * accepted and written back as the same text, with eventTime in it;
 * anything else is refused as malformed.
 */
static void
test_clock_tz_offset_limits(void **state)
{
	static const struct {
		const char *tz;
		const char *text; /* 2026-01-01T00:00:00Z in it */
	} good[] = {
		{ "+14:00", "2026-01-01T14:00:00+14:00" },
		{ "-14:00", "2025-12-31T10:00:00-14:00" },
		{ "-12:00", "2025-12-31T12:00:00-12:00" },
		{ "+13:59", "2026-01-01T13:59:00+13:59" },
		{ "+05:45", "2026-01-01T05:45:00+05:45" },
		{ "-00:00", "2026-01-01T00:00:00-00:00" },
	};
	static const struct {
		const char *tz;
		const char *msg;
	} bad[] = {
		{ "+14:01", GOOD_TZ_MSG("+14:01") },
		{ "-14:01", GOOD_TZ_MSG("-14:01") },
		{ "+15:00", GOOD_TZ_MSG("+15:00") },
		{ "+23:59", GOOD_TZ_MSG("+23:59") },
		{ "+24:00", GOOD_TZ_MSG("+24:00") },
		{ "+99:00", GOOD_TZ_MSG("+99:00") },
		{ "+05:60", GOOD_TZ_MSG("+05:60") },
		{ "+2:00", GOOD_TZ_MSG("+2:00") },
		{ "05:00", GOOD_TZ_MSG("05:00") },
		{ "+0500", GOOD_TZ_MSG("+0500") },
		{ "+05:00:00", GOOD_TZ_MSG("+05:00:00") },
		{ "Z", GOOD_TZ_MSG("Z") },
		{ "", GOOD_TZ_MSG("") },
	};
	struct world *w = *state;
	wb_location loc = { "urn:epc:id:sgln:0614141.00001.0", NULL };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *slot;
		char id[64];
		wb_stamp s;
		uint64_t index;

		commissioning(&s, w, &slot, id, &loc, FX_EVENT_TIME, 0,
		              good[i].tz);
		index = accepted(w, &s);
		assert_round_trip(w, index, id, loc.id, FX_EVENT_TIME, 0,
		                  good[i].tz, good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *slot;
		char id[64];
		wb_stamp s;

		commissioning(&s, w, &slot, id, NULL, FX_EVENT_TIME, 0,
		              bad[i].tz);
		refused(w, &s, WB_REJECT_MALFORMED, bad[i].msg);
	}
}

/* Reads an EPCIS event, appends it, and checks its export. */
static void
import_export(struct world *w, const char *json, const char *id,
              int64_t seconds, const char *tz, const char *text)
{
	json_error_t err;
	json_t *in = json_loads(json, 0, &err), *ev;
	wb_stamp *s = NULL;
	wb_problem p = { 0 };
	uint64_t index;

	assert_non_null(in);
	if (wb_epcis_event_from_json(
	            &s, in, NULL, wb_journal_ledger_id(w->fx.j), &p) != WB_OK) {
		fail_msg("%s", p.msg);
	}
	assert_int_equal(s->event_time.seconds, seconds);
	index = accepted(w, s);
	assert_round_trip(w, index, id, "urn:epc:id:sgln:0614141.00001.0",
	                  seconds, 0, tz, text);
	ev = exported(w, index);
	assert_member(ev, "eventID", s->event_id);
	json_decref(ev);
	wb_stamp_free(s);
	json_decref(in);
}

#define EVENT(id, time, tz)                                                  \
	"{\"type\": \"ObjectEvent\", \"eventID\": \"urn:uuid:" id "\","      \
	" \"eventTime\": \"" time "\", \"eventTimeZoneOffset\": \"" tz "\"," \
	" \"action\": \"ADD\", \"bizStep\": \"commissioning\","              \
	" \"bizLocation\": {\"id\": \"urn:epc:id:sgln:0614141.00001.0\"},"   \
	" \"epcList\": [\"urn:epc:id:sgtin:0614141.107346.E" id "\"]}"

/*
 * From EPCIS JSON at the extreme offsets: 23:30 on New Year's Eve at
 * -12:00 is already next year in UTC, 00:30 on New Year's Day at +14:00
 * still last year; each is stored as that instant and exported in its
 * own offset, the same text that came in.
 */
static void
test_clock_tz_extremes_from_epcis(void **state)
{
	struct world *w = *state;

	import_export(w, EVENT("1", "2025-12-31T23:30:00-12:00", "-12:00"),
	              "urn:epc:id:sgtin:0614141.107346.E1",
	              1767267000 /* 2026-01-01T11:30:00Z */, "-12:00",
	              "2025-12-31T23:30:00-12:00");
	import_export(w, EVENT("2", "2026-01-01T00:30:00+14:00", "+14:00"),
	              "urn:epc:id:sgtin:0614141.107346.E2",
	              1767177000 /* 2025-12-31T10:30:00Z */, "+14:00",
	              "2026-01-01T00:30:00+14:00");
	/* The instant written in another offset than eventTimeZoneOffset:
	 * the export writes it in the event's offset. */
	import_export(w, EVENT("3", "2026-01-01T11:30:00Z", "-12:00"),
	              "urn:epc:id:sgtin:0614141.107346.E3", 1767267000,
	              "-12:00", "2025-12-31T23:30:00-12:00");
}

/* Appends a batch of n new items' commissionings, all offered with the
 * simulated record time rt_us; returns the first index. */
static uint64_t
batch_at(struct world *w, size_t n, uint64_t rt_us)
{
	wb_submission subs[4];
	wb_result res[4];
	const char *slots[4];
	char ids[4][64];
	uint64_t size = 0, before = fx_size(&w->fx);

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++) {
		wb_stamp s;

		commissioning(&s, w, &slots[i], ids[i], NULL, FX_EVENT_TIME, 0,
		              "+00:00");
		fx_submission(&subs[i], w->acme, &s);
		subs[i].record_time_us = rt_us;
	}
	assert_int_equal(wb_journal_append(w->fx.j, subs, n, res, NULL, &size),
	                 WB_OK);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(res[i].err, WB_OK);
		assert_int_equal(res[i].index, before + i);
		free((void *)(uintptr_t)subs[i].body);
	}
	assert_int_equal(size, before + n);
	return before;
}

/* Every entry's record time, in index order, is at least the one before. */
static void
assert_record_times_monotonic(struct world *w)
{
	uint64_t n = fx_size(&w->fx), prev = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t rt = record_time_at(w, i);

		if (rt < prev) {
			fail_msg("entry %llu recorded at %llu, before %llu",
			         (unsigned long long)i, (unsigned long long)rt,
			         (unsigned long long)prev);
		}
		prev = rt;
	}
}

static void
assert_record_time_text(struct world *w, uint64_t index, const char *text)
{
	json_t *ev = exported(w, index);

	assert_member(ev, "recordTime", text);
	json_decref(ev);
}

static void
assert_verifies(struct world *w)
{
	wb_verify_report r;

	assert_int_equal(wb_verify_journal(&r, w->fx.j, NULL, NULL, NULL),
	                 WB_OK);
	if (!r.ok) {
		fail_msg("entry %llu: %s", (unsigned long long)r.first_bad,
		         r.problem);
	}
}

/*
 * The clock jumps back: batches offered at T, T - 1 h, T + 1 s, T - 1 day
 * and, after a restart, T - 1 day again. A batch recorded while the clock
 * is behind gets the last record time again (every entry of it); once the
 * clock passes that time, record times follow it. A refused batch does
 * not move the record time. EPCIS recordTime is the stored record time,
 * and the verifier, replaying with the stored times, agrees.
 */
static void
test_clock_record_times_monotonic_when_clock_jumps_back(void **state)
{
	struct world *w = *state;
	uint64_t a, b, c, d, e;
	const char *slot;
	char id[64];
	wb_stamp s;

	a = batch_at(w, 2, T_US);
	b = batch_at(w, 2, T_US - HOUR_US);
	c = batch_at(w, 1, T_US + 1000000);
	d = batch_at(w, 3, T_US - 24 * HOUR_US);
	assert_int_equal(record_time_at(w, a), T_US);
	assert_int_equal(record_time_at(w, a + 1), T_US);
	assert_int_equal(record_time_at(w, b), T_US);
	assert_int_equal(record_time_at(w, b + 1), T_US);
	assert_int_equal(record_time_at(w, c), T_US + 1000000);
	for (uint64_t i = d; i < d + 3; i++) {
		assert_int_equal(record_time_at(w, i), T_US + 1000000);
	}
	assert_record_time_text(w, a, "2100-01-01T00:00:00Z");
	assert_record_time_text(w, b + 1, "2100-01-01T00:00:00Z");
	assert_record_time_text(w, c, "2100-01-01T00:00:01Z");
	assert_record_time_text(w, d + 2, "2100-01-01T00:00:01Z");

	/* A refused batch offered at T + 1 h does not advance the time. */
	commissioning(&s, w, &slot, id, NULL, 0, 0, "+00:00");
	set_event_us(&s, T_US + 2 * HOUR_US, 0);
	refused_at(w, &s, T_US + HOUR_US, WB_REJECT_FUTURE_EVENT_TIME,
	           FUTURE_MSG);
	e = batch_at(w, 1, T_US + 2000000);
	assert_int_equal(record_time_at(w, e), T_US + 2000000);

	/* After a restart the last record time is read back from the
	 * journal. */
	fx_reopen(&w->fx);
	e = batch_at(w, 1, T_US - 24 * HOUR_US);
	assert_int_equal(record_time_at(w, e), T_US + 2000000);
	assert_record_time_text(w, e, "2100-01-01T00:00:02Z");
	/* Within one batch, a later submission offered an earlier time. */
	{
		wb_submission subs[2];
		wb_result res[2];
		const char *slots[2];
		char ids[2][64];

		for (size_t i = 0; i < 2; i++) {
			commissioning(&s, w, &slots[i], ids[i], NULL,
			              FX_EVENT_TIME, 0, "+00:00");
			fx_submission(&subs[i], w->acme, &s);
		}
		subs[0].record_time_us = T_US + 5000000;
		subs[1].record_time_us = T_US + 3000000;
		assert_int_equal(
		        wb_journal_append(w->fx.j, subs, 2, res, NULL, NULL),
		        WB_OK);
		assert_int_equal(record_time_at(w, res[0].index),
		                 T_US + 5000000);
		assert_int_equal(record_time_at(w, res[1].index),
		                 T_US + 5000000);
		free((void *)(uintptr_t)subs[0].body);
		free((void *)(uintptr_t)subs[1].body);
	}
	assert_record_times_monotonic(w);
	assert_verifies(w);
}

/*
 * With the clock behind the last record time, the future rule is judged
 * against the record time the entry gets (the last one), not the wall
 * clock: the rule reads "not more than 5 minutes after the record time",
 * the record time is what the entry carries, and the verifier replays
 * the rule with it. An event 1 h 4 min after the (slow) clock but 4 min
 * after the last record time is accepted; 5 min and 1 us after the last
 * record time is refused.
 */
static void
test_clock_future_rule_uses_clamped_record_time(void **state)
{
	struct world *w = *state;
	const uint64_t behind = T_US - HOUR_US;
	const char *slot;
	char id[64];
	wb_stamp s;
	uint64_t index;

	batch_at(w, 1, T_US);
	commissioning(&s, w, &slot, id, NULL, 0, 0, "+00:00");
	set_event_us(&s, T_US + WB_MAX_FUTURE_US + 1, 0);
	refused_at(w, &s, behind, WB_REJECT_FUTURE_EVENT_TIME, FUTURE_MSG);
	set_event_us(&s, T_US + 4 * 60 * 1000000ull, 0);
	index = accepted_at(w, &s, behind);
	assert_int_equal(record_time_at(w, index), T_US);
	assert_record_time_text(w, index, "2100-01-01T00:00:00Z");
	assert_record_times_monotonic(w);
	assert_verifies(w);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_clock_far_past_event_times_round_trip),
		T(test_clock_refuses_event_time_before_year_0000),
		T(test_clock_refuses_unwritable_declaration_and_sensor_times),
		T(test_clock_pre_1970_twin_state_follows_event_time),
		T(test_clock_future_event_time_boundary),
		T(test_clock_tz_offset_limits),
		T(test_clock_tz_extremes_from_epcis),
		T(test_clock_record_times_monotonic_when_clock_jumps_back),
		T(test_clock_future_rule_uses_clamped_record_time),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
