/* SPDX-License-Identifier: MIT */
/*
 * The EPCIS 2.0 event JSON <-> stamp mapper: every event of the public
 * examples survives JSON -> stamp -> bytes -> stamp -> JSON; the invalid
 * examples are refused with the JSON path of the problem; and each field
 * family, the waybill-only kinds and the error paths are checked on their
 * own. Wrong value types at every path of a full event are refused, never
 * crash.
 */
#include "test.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "epcis_impl.h"
#include "waybill/epcis.h"

static const uint8_t ledger_id[WB_HASH_LEN] = { 0x5a, 0x11 };

/* ---- helpers ---- */

static json_t *
parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

	if (v == NULL) {
		fail_msg("test JSON does not parse: %s (line %d)", err.text,
		         err.line);
	}
	return v;
}

/* Reads text as an event; asserts it maps. */
static wb_stamp *
read_ok_ctx(const char *text, const json_t *ctx)
{
	json_t *ev = parse(text);
	wb_problem p;
	wb_stamp *s = NULL;
	wb_err rc = wb_epcis_event_from_json(&s, ev, ctx, ledger_id, &p);

	if (rc != WB_OK) {
		fail_msg("refused (%s): %s", wb_strerror(rc), p.msg);
	}
	json_decref(ev);
	return s;
}

static wb_stamp *
read_ok(const char *text)
{
	return read_ok_ctx(text, NULL);
}

/* Reads text as an event; asserts it is refused with a message that
 * starts with `msg`. */
static void
read_bad_ctx(const char *text, const json_t *ctx, const char *msg)
{
	json_t *ev = parse(text);
	wb_problem p;
	wb_stamp *s = NULL;
	wb_err rc = wb_epcis_event_from_json(&s, ev, ctx, ledger_id, &p);

	if (rc != WB_EPROTO) {
		fail_msg("expected a refusal starting \"%s\", got %s", msg,
		         wb_strerror(rc));
	}
	assert_null(s);
	assert_int_equal(p.reason, WB_REJECT_MALFORMED);
	if (strncmp(p.msg, msg, strlen(msg)) != 0) {
		fail_msg("expected a message starting \"%s\", got \"%s\"", msg,
		         p.msg);
	}
	json_decref(ev);
}

static void
read_bad(const char *text, const char *msg)
{
	read_bad_ctx(text, NULL, msg);
}

/* The stamp's own bytes, decoded: what the ledger will hold. */
static wb_stamp *
through_bytes(const wb_stamp *s)
{
	uint8_t *bytes = NULL;
	size_t len;
	wb_stamp *d = NULL;

	assert_int_equal(wb_stamp_encode(&bytes, &len, s), WB_OK);
	assert_int_equal(wb_stamp_decode(&d, bytes, len), WB_OK);
	free(bytes);
	return d;
}

static json_t *
write_ok(const wb_stamp *s)
{
	json_t *out = NULL;

	assert_int_equal(wb_epcis_event_to_json(&out, s), WB_OK);
	assert_non_null(out);
	return out;
}

/*
 * Equality after only the normalisations the mapping allows: key order
 * (objects compare by key), equal instants written differently (strings
 * that are both RFC 3339 date-times compare as instants), and number
 * formatting (numbers compare by value). On a difference, `where` gets its
 * path.
 */
static bool
same(const json_t *a, const json_t *b, char *where, size_t size)
{
	wb_time ta, tb;

	if (json_is_number(a) && json_is_number(b)) {
		if (json_number_value(a) == json_number_value(b)) {
			return true;
		}
	} else if (json_is_string(a) && json_is_string(b)) {
		if (strcmp(json_string_value(a), json_string_value(b)) == 0) {
			return true;
		}
		if (wb_epcis_time_parse(&ta, json_string_value(a)) &&
		    wb_epcis_time_parse(&tb, json_string_value(b)) &&
		    ta.seconds == tb.seconds && ta.nanos == tb.nanos) {
			return true;
		}
	} else if (json_is_object(a) && json_is_object(b)) {
		const char *key;
		json_t *v;
		size_t n = strlen(where);

		json_object_foreach((json_t *)a, key, v)
		{
			snprintf(where + n, size - n, ".%s", key);
			if (json_object_get(b, key) == NULL) {
				strncat(where, " (missing)",
				        size - strlen(where) - 1);
				return false;
			}
			if (!same(v, json_object_get(b, key), where, size)) {
				return false;
			}
		}
		json_object_foreach((json_t *)b, key, v)
		{
			if (json_object_get(a, key) == NULL) {
				snprintf(where + n, size - n, ".%s (added)",
				         key);
				return false;
			}
		}
		where[n] = '\0';
		return true;
	} else if (json_is_array(a) && json_is_array(b) &&
	           json_array_size(a) == json_array_size(b)) {
		size_t n = strlen(where);

		for (size_t i = 0; i < json_array_size(a); i++) {
			snprintf(where + n, size - n, "[%zu]", i);
			if (!same(json_array_get(a, i), json_array_get(b, i),
			          where, size)) {
				return false;
			}
		}
		where[n] = '\0';
		return true;
	} else if (json_equal(a, b)) {
		return true;
	}
	return false;
}

static void
assert_same(const json_t *want, const json_t *got, const char *what)
{
	char where[512] = "$";

	if (!same(want, got, where, sizeof(where))) {
		char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		fail_msg("%s: differs at %s\nwant %s\ngot  %s", what, where, w,
		         g);
	}
}

/*
 * JSON -> stamp -> bytes -> stamp -> JSON, compared with the original
 * event. recordTime is dropped on input (the ledger records its own); an
 * event without eventID comes back with the assigned one.
 */
static void
round_trip(const json_t *ev, const json_t *ctx, const char *what)
{
	json_t *want = json_deep_copy(ev), *got;
	wb_stamp *s = NULL, *d;
	wb_problem p;
	wb_err rc;

	rc = wb_epcis_event_from_json(&s, ev, ctx, ledger_id, &p);
	if (rc != WB_OK) {
		fail_msg("%s: refused (%s): %s", what, wb_strerror(rc), p.msg);
	}
	d = through_bytes(s);
	got = write_ok(d);
	json_object_del(want, "recordTime");
	if (json_object_get(ev, "eventID") == NULL) {
		const char *id =
		        json_string_value(json_object_get(got, "eventID"));

		assert_non_null(id);
		assert_memory_equal(id, WB_EPCIS_ASSIGNED_ID,
		                    strlen(WB_EPCIS_ASSIGNED_ID));
		json_object_del(got, "eventID");
	}
	assert_same(want, got, what);
	json_decref(want);
	json_decref(got);
	wb_stamp_free(d);
	wb_stamp_free(s);
}

/* The events of a document, a query document, or a bare event, and the
 * context that declares their prefixes. */
static json_t *
events_of(json_t *doc, const json_t **ctx_out)
{
	const char *type = json_string_value(json_object_get(doc, "type"));
	json_t *body = json_object_get(doc, "epcisBody");

	*ctx_out = json_object_get(doc, "@context");
	if (type != NULL && strcmp(type, "EPCISDocument") == 0) {
		return json_incref(json_object_get(body, "eventList"));
	}
	if (type != NULL && strcmp(type, "EPCISQueryDocument") == 0) {
		return json_incref(json_object_get(
		        json_object_get(json_object_get(body, "queryResults"),
		                        "resultsBody"),
		        "eventList"));
	}
	*ctx_out = NULL; /* a bare event carries its own @context */
	json_t *list = json_array();
	json_array_append(list, doc);
	return list;
}

/* Every JSON file under dir, in a growing list. */
static void
collect(const char *dir, char ***paths, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.') {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			collect(path, paths, n);
		} else if ((len > 5 &&
		            strcmp(e->d_name + len - 5, ".json") == 0) ||
		           (len > 7 &&
		            strcmp(e->d_name + len - 7, ".jsonld") == 0)) {
			*paths = realloc(*paths, (*n + 1) * sizeof(**paths));
			assert_non_null(*paths);
			(*paths)[(*n)++] = strdup(path);
		}
	}
	closedir(d);
}

static json_t *
load(const char *path)
{
	json_error_t err;
	json_t *doc = json_load_file(path, 0, &err);

	if (doc == NULL) {
		fail_msg("%s: %s", path, err.text);
	}
	return doc;
}

/* ---- the public examples ---- */

static void
test_epcis_json_examples_round_trip(void **state)
{
	const char *root = test_shared_path("epcis/examples");
	char **paths = NULL;
	size_t n = 0, events = 0, files = 0;

	(void)state;
	assert_non_null(root);
	collect(root, &paths, &n);
	for (size_t i = 0; i < n; i++) {
		const json_t *ctx;
		json_t *doc, *list;

		if (strstr(paths[i], "Invalid") == NULL) {
			doc = load(paths[i]);
			list = events_of(doc, &ctx);
			assert_non_null(list);
			for (size_t j = 0; j < json_array_size(list); j++) {
				char what[4200];

				snprintf(what, sizeof(what), "%s event %zu",
				         paths[i], j);
				round_trip(json_array_get(list, j), ctx, what);
				events++;
			}
			files++;
			json_decref(list);
			json_decref(doc);
		}
		free(paths[i]);
	}
	free(paths);
	/* 65 valid files, 84 events (README.md of the data set). */
	assert_int_equal(files, 65);
	assert_int_equal(events, 84);
}

/*
 * The upstream Invalid/ files, each refused with the path of its problem.
 * EPCISDocument_without_context.json is invalid for a document-level
 * reason (no @context at all); its one event is valid on its own, so the
 * single-event mapper accepts it and the document reader refuses it.
 */
static void
test_epcis_json_invalid_examples_refused_with_path(void **state)
{
	static const struct {
		const char *file;
		const char *msg;
	} cases[] = {
		{ "ObjectEvent_with_quantity_as_text.json",
		  "$.quantityList[0].quantity: a string, not a number" },
		{ "ObjectEvent_with_invalid_eventTime_format.json",
		  "$.eventTime: \"22-07-2026\" is not an RFC 3339 date-time" },
		{ "ObjectEvent_with_invalid_certificationInfo.json",
		  "$.certificationInfo[0]: an object, not a string" },
		{ "ObjectEvent_with_unknown_field_in_quantityList.json",
		  "$.quantityList[0].weight: unknown field of a quantity element" },
		{ "ObjectEvent_with_invalid_action.json",
		  "$.action: \"CREATE\" is not ADD, OBSERVE or DELETE" },
		{ "ObjectEvent_with_ilmd_field_without_namespace.json",
		  "$.ilmd.materialType: ILMD fields need a namespace prefix" },
		{ "ObjectEvent_with_non_standard_disposition.json",
		  "$.disposition: \"in_transport\" is not a CBV disposition" },
		{ "ObjectEvent_with_non_standard_bizStep_in_second_event.json",
		  "$.bizStep: \"transforming\" is not a CBV business step" },
		{ "ObjectEvent_without_action_and_eventTime.json",
		  "$.eventTime: missing" },
	};
	char rel[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path;
		const json_t *ctx;
		json_t *doc, *list;
		size_t refused = 0;

		snprintf(
		        rel, sizeof(rel),
		        "epcis/examples/openepcis-test-resources/2.0/EPCIS/JSON/Capture/Invalid/%s",
		        cases[i].file);
		assert_non_null(path = test_shared_path(rel));
		doc = load(path);
		list = events_of(doc, &ctx);
		for (size_t j = 0; j < json_array_size(list); j++) {
			wb_stamp *s = NULL;
			wb_problem p;
			wb_err rc = wb_epcis_event_from_json(
			        &s, json_array_get(list, j), ctx, ledger_id,
			        &p);

			if (rc == WB_OK) {
				wb_stamp_free(s);
				continue;
			}
			assert_int_equal(rc, WB_EPROTO);
			if (strncmp(p.msg, cases[i].msg,
			            strlen(cases[i].msg)) != 0) {
				fail_msg("%s: expected \"%s...\", got \"%s\"",
				         cases[i].file, cases[i].msg, p.msg);
			}
			refused++;
		}
		if (refused != 1) {
			fail_msg("%s: %zu events refused, expected 1",
			         cases[i].file, refused);
		}
		json_decref(list);
		json_decref(doc);
	}
}

/* ---- field families ---- */

#define HEAD                                                 \
	"\"eventTime\": \"2024-05-01T09:30:00.250+02:00\", " \
	"\"eventTimeZoneOffset\": \"+02:00\", "              \
	"\"eventID\": \"urn:uuid:00000000-0000-4000-8000-000000000001\", "

static const char *const ext_ctx_text =
        "[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
        " {\"ex\": \"https://example.com/ns/\"}]";

static void
test_epcis_json_object_event_fields(void **state)
{
	wb_stamp *s, *d;
	json_t *out;

	(void)state;
	s = read_ok(
	        "{\"type\": \"ObjectEvent\", " HEAD "\"action\": \"OBSERVE\","
	        "\"epcList\": [\"urn:epc:id:sgtin:0614141.107346.2017\"],"
	        "\"bizStep\": \"urn:epcglobal:cbv:bizstep:shipping\","
	        "\"disposition\": \"https://ref.gs1.org/cbv/Disp-in_transit\","
	        "\"readPoint\": {\"id\": \"urn:epc:id:sgln:0614141.07346.1234\"},"
	        "\"bizLocation\": {\"id\": \"urn:epc:id:sgln:0614141.00888.0\"},"
	        "\"bizTransactionList\": [{\"type\": \"po\", \"bizTransaction\": \"urn:epc:id:gdti:0614141.06012.1234\"},"
	        "  {\"bizTransaction\": \"urn:epcglobal:cbv:bt:0614141073467:1152\"}],"
	        "\"sourceList\": [{\"type\": \"owning_party\", \"source\": \"urn:epc:id:pgln:0614141.00001\"}],"
	        "\"destinationList\": [{\"type\": \"location\", \"destination\": \"urn:epc:id:sgln:0614141.00777.0\"}],"
	        "\"certificationInfo\": \"https://cert.example.com/1\","
	        "\"recordTime\": \"2024-05-01T09:31:00Z\"}");
	assert_int_equal(s->kind, WB_KIND_OBJECT);
	assert_string_equal(s->event_id,
	                    "urn:uuid:00000000-0000-4000-8000-000000000001");
	/* 07:30:00.25 UTC */
	assert_int_equal(s->event_time.seconds, 1714548600);
	assert_int_equal(s->event_time.nanos, 250000000);
	assert_true(s->event_time.has_nanos);
	assert_string_equal(s->event_tz_offset, "+02:00");
	assert_true(s->has_action);
	assert_int_equal(s->action, WB_ACTION_OBSERVE);
	assert_int_equal(s->n_epcs, 1);
	/* bizStep and disposition exactly as written */
	assert_string_equal(s->biz_step, "urn:epcglobal:cbv:bizstep:shipping");
	assert_string_equal(s->disposition,
	                    "https://ref.gs1.org/cbv/Disp-in_transit");
	assert_string_equal(s->read_point->id,
	                    "urn:epc:id:sgln:0614141.07346.1234");
	assert_null(s->read_point->extensions_json);
	assert_string_equal(s->biz_location->id,
	                    "urn:epc:id:sgln:0614141.00888.0");
	assert_int_equal(s->n_biz_transactions, 2);
	assert_string_equal(s->biz_transactions[0].type, "po");
	assert_null(s->biz_transactions[1].type);
	assert_string_equal(s->sources[0].value,
	                    "urn:epc:id:pgln:0614141.00001");
	assert_string_equal(s->destinations[0].type, "location");
	assert_int_equal(s->n_certification_info, 1);
	assert_null(s->extensions_json);
	assert_null(s->context_json);

	/* recordTime is not kept; eventTime comes back in its own offset */
	d = through_bytes(s);
	out = write_ok(d);
	assert_null(json_object_get(out, "recordTime"));
	assert_string_equal(
	        json_string_value(json_object_get(out, "eventTime")),
	        "2024-05-01T09:30:00.250+02:00");
	assert_string_equal(
	        json_string_value(json_object_get(out, "certificationInfo")),
	        "https://cert.example.com/1");
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);
}

static void
test_epcis_json_quantities_and_children(void **state)
{
	json_t *ctx = parse(ext_ctx_text);
	wb_stamp *s;
	json_t *out;

	(void)state;
	/* Aggregation: childEPCs and childQuantityList are the stamp's epcs
	 * and quantities, as the core reads them (proto/entry.proto). */
	s = read_ok(
	        "{\"type\": \"AggregationEvent\", " HEAD "\"action\": \"ADD\","
	        "\"parentID\": \"urn:epc:id:sscc:0614141.1234567890\","
	        "\"childEPCs\": [\"urn:epc:id:sgtin:0614141.107346.2017\"],"
	        "\"childQuantityList\": [{\"epcClass\": \"urn:epc:idpat:sgtin:4012345.098765.*\", \"quantity\": 10},"
	        " {\"epcClass\": \"urn:epc:class:lgtin:4012345.012345.998877\", \"quantity\": 200.5, \"uom\": \"KGM\"},"
	        " {\"epcClass\": \"urn:epc:class:lgtin:4012345.012345.1\"}]}");
	assert_int_equal(s->kind, WB_KIND_AGGREGATION);
	assert_string_equal(s->parent_id, "urn:epc:id:sscc:0614141.1234567890");
	assert_int_equal(s->n_epcs, 1);
	assert_int_equal(s->n_quantities, 3);
	assert_true(s->quantities[0].has_quantity);
	assert_true(s->quantities[0].quantity == 10);
	assert_null(s->quantities[0].uom);
	assert_true(s->quantities[1].quantity == 200.5);
	assert_string_equal(s->quantities[1].uom, "KGM");
	assert_false(s->quantities[2].has_quantity);
	out = write_ok(s);
	assert_non_null(json_object_get(out, "childEPCs"));
	assert_null(json_object_get(out, "epcList"));
	assert_true(json_is_integer(json_object_get(
	        json_array_get(json_object_get(out, "childQuantityList"), 0),
	        "quantity")));
	assert_null(json_object_get(
	        json_array_get(json_object_get(out, "childQuantityList"), 2),
	        "quantity"));
	json_decref(out);
	wb_stamp_free(s);

	/* Transformation: inputs, outputs, transformationID; no action. */
	s = read_ok_ctx(
	        "{\"type\": \"TransformationEvent\", " HEAD
	        "\"inputEPCList\": [\"urn:epc:id:sgtin:4012345.011122.25\"],"
	        "\"inputQuantityList\": [{\"epcClass\": \"urn:epc:class:lgtin:4012345.011111.4444\", \"quantity\": 10, \"uom\": \"KGM\"}],"
	        "\"outputEPCList\": [\"urn:epc:id:sgtin:4012345.077889.25\"],"
	        "\"outputQuantityList\": [{\"epcClass\": \"urn:epc:class:lgtin:4012345.077889.1\", \"quantity\": 3}],"
	        "\"transformationID\": \"urn:epc:id:gdti:0614141.12345.400\","
	        "\"ilmd\": {\"ex:bestBefore\": \"2025-01-01\", \"ex:batch\": {\"ex:n\": 1.5}}}",
	        ctx);
	assert_int_equal(s->kind, WB_KIND_TRANSFORMATION);
	assert_false(s->has_action);
	assert_int_equal(s->n_input_epcs, 1);
	assert_int_equal(s->n_input_quantities, 1);
	assert_int_equal(s->n_output_epcs, 1);
	assert_int_equal(s->n_output_quantities, 1);
	assert_string_equal(s->transformation_id,
	                    "urn:epc:id:gdti:0614141.12345.400");
	assert_string_equal(
	        s->ilmd_json,
	        "{\"ex:bestBefore\":\"2025-01-01\",\"ex:batch\":{\"ex:n\":1.5}}");
	wb_stamp_free(s);

	/* Transaction: epcList, parentID, quantityList. */
	s = read_ok(
	        "{\"type\": \"TransactionEvent\", " HEAD
	        "\"action\": \"ADD\", \"parentID\": \"urn:epc:id:sscc:0614141.1\","
	        "\"epcList\": [\"urn:epc:id:sgtin:0614141.107346.2018\"],"
	        "\"quantityList\": [{\"epcClass\": \"urn:epc:class:lgtin:4012345.012345.998877\", \"quantity\": 1}],"
	        "\"bizTransactionList\": [{\"type\": \"po\", \"bizTransaction\": \"urn:epcglobal:cbv:bt:0614141073467:1\"}]}");
	assert_int_equal(s->kind, WB_KIND_TRANSACTION);
	assert_int_equal(s->n_epcs, 1);
	assert_int_equal(s->n_quantities, 1);
	assert_non_null(s->parent_id);
	wb_stamp_free(s);

	/* Association: parentID, childEPCs. */
	s = read_ok(
	        "{\"type\": \"AssociationEvent\", " HEAD
	        "\"action\": \"DELETE\", \"parentID\": \"urn:epc:id:grai:4012345.55555.987\","
	        "\"childEPCs\": [\"urn:epc:id:giai:4000001.12345\"]}");
	assert_int_equal(s->kind, WB_KIND_ASSOCIATION);
	assert_int_equal(s->action, WB_ACTION_DELETE);
	assert_string_equal(s->epcs[0], "urn:epc:id:giai:4000001.12345");
	wb_stamp_free(s);

	/* a list written empty comes back empty; an absent one stays absent */
	s = read_ok(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"epcList\": [], \"certificationInfo\": [],"
	        "\"persistentDisposition\": {\"set\": [], \"unset\": [\"active\"]}}");
	assert_int_equal(s->n_epcs, 0);
	out = write_ok(s);
	assert_int_equal(json_array_size(json_object_get(out, "epcList")), 0);
	assert_true(json_is_array(json_object_get(out, "epcList")));
	assert_true(json_is_array(json_object_get(out, "certificationInfo")));
	assert_true(json_is_array(json_object_get(
	        json_object_get(out, "persistentDisposition"), "set")));
	assert_null(json_object_get(out, "quantityList"));
	assert_null(json_object_get(out, WB_EPCIS_KEY_EMPTY_LISTS));
	json_decref(out);
	wb_stamp_free(s);
	json_decref(ctx);
}

static void
test_epcis_json_persistent_disposition(void **state)
{
	wb_stamp *s;
	json_t *out, *pd;

	(void)state;
	s = read_ok(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"epcList\": [\"urn:epc:id:sgtin:0614141.107346.2017\"],"
	        "\"persistentDisposition\": {\"set\": [\"completeness_verified\", \"https://ref.gs1.org/cbv/Disp-conformant\"],"
	        " \"unset\": [\"completeness_inferred\"]}}");
	assert_non_null(s->persistent_disposition);
	assert_int_equal(s->persistent_disposition->n_set, 2);
	assert_string_equal(s->persistent_disposition->set[1],
	                    "https://ref.gs1.org/cbv/Disp-conformant");
	assert_int_equal(s->persistent_disposition->n_unset, 1);
	out = write_ok(s);
	pd = json_object_get(out, "persistentDisposition");
	assert_int_equal(json_array_size(json_object_get(pd, "set")), 2);
	assert_int_equal(json_array_size(json_object_get(pd, "unset")), 1);
	json_decref(out);
	wb_stamp_free(s);

	/* only "unset": "set" stays absent */
	s = read_ok(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"persistentDisposition\": {\"unset\": [\"completeness_inferred\"]}}");
	assert_int_equal(s->persistent_disposition->n_set, 0);
	out = write_ok(s);
	pd = json_object_get(out, "persistentDisposition");
	assert_null(json_object_get(pd, "set"));
	json_decref(out);
	wb_stamp_free(s);

	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"persistentDisposition\": {\"set\": [\"ok\"]}}",
	        "$.persistentDisposition.set[0]: \"ok\" is not a CBV disposition");
	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"persistentDisposition\": {\"set\": \"active\"}}",
	        "$.persistentDisposition.set: a string, not an array of strings");
}

static void
test_epcis_json_extension_fields_nested(void **state)
{
	json_t *ctx = parse(ext_ctx_text), *ev, *out;
	wb_stamp *s, *d;
	const char *text =
	        "{\"type\": \"ObjectEvent\", " HEAD "\"action\": \"OBSERVE\","
	        "\"ex:top\": {\"ex:deep\": [1, 2.49, {\"ex:deeper\": [true, null, \"x\"]}], \"plain\": 1e300},"
	        "\"https://example.org/full/uri\": 7,"
	        "\"urn:example:field\": \"u\","
	        "\"readPoint\": {\"id\": \"urn:epc:id:sgln:0614141.07346.1234\", \"ex:door\": \"3\"},"
	        "\"bizLocation\": {\"id\": \"urn:epc:id:sgln:0614141.00888.0\", \"ex:geo\": {\"ex:lat\": 52.1}},"
	        "\"errorDeclaration\": {\"declarationTime\": \"2024-05-02T00:00:00Z\", \"ex:who\": \"QA\"},"
	        "\"sensorElementList\": [{\"sensorMetadata\": {\"time\": \"2024-05-01T09:00:00Z\", \"ex:m\": 1},"
	        "  \"sensorReport\": [{\"type\": \"gs1:Temperature\", \"value\": 4.5, \"uom\": \"CEL\", \"ex:r\": [\"a\"]}],"
	        "  \"ex:element\": {\"ex:e\": false}}]}";

	(void)state;
	s = read_ok_ctx(text, ctx);
	/* each level keeps its own fields, values as JSON text */
	assert_string_equal(
	        s->extensions_json,
	        "{\"ex:top\":{\"ex:deep\":[1,2.49,{\"ex:deeper\":[true,null,\"x\"]}],\"plain\":1e300},"
	        "\"https://example.org/full/uri\":7,\"urn:example:field\":\"u\"}");
	assert_string_equal(s->read_point->extensions_json,
	                    "{\"ex:door\":\"3\"}");
	assert_string_equal(s->biz_location->extensions_json,
	                    "{\"ex:geo\":{\"ex:lat\":52.1}}");
	assert_string_equal(s->error_declaration->extensions_json,
	                    "{\"ex:who\":\"QA\"}");
	assert_string_equal(s->sensor_elements[0].extensions_json,
	                    "{\"ex:element\":{\"ex:e\":false}}");
	assert_string_equal(s->sensor_elements[0].metadata->extensions_json,
	                    "{\"ex:m\":1}");
	assert_string_equal(s->sensor_elements[0].reports[0].extensions_json,
	                    "{\"ex:r\":[\"a\"]}");
	assert_int_equal(s->n_attributes, 0);

	/* and they all write back */
	d = through_bytes(s);
	out = write_ok(d);
	ev = parse(text);
	assert_same(ev, out, "extension fields");
	json_decref(ev);
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);

	/* a prefix nobody declared is refused, at every level */
	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"acme:x\": 1}",
	        "$.acme:x: the namespace prefix \"acme\" is not declared in @context");
	read_bad_ctx(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"sensorElementList\": [{\"sensorReport\": [{\"acme:x\": 1}]}]}",
	        ctx,
	        "$.sensorElementList[0].sensorReport[0].acme:x: the namespace prefix \"acme\" is not declared");
	read_bad_ctx(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"readPoint\": {\"id\": \"x\", \"floor\": 1}}",
	        ctx,
	        "$.readPoint.floor: unknown field of a location (extension fields need a namespace prefix");
	/* the event's own @context declares prefixes too, and is kept */
	s = read_ok(
	        "{\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
	        " {\"acme\": \"https://acme.example/\"}],"
	        "\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"acme:x\": 1}");
	assert_string_equal(
	        s->context_json,
	        "[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\",{\"acme\":\"https://acme.example/\"}]");
	out = write_ok(s);
	assert_true(json_is_array(json_object_get(out, "@context")));
	json_decref(out);
	wb_stamp_free(s);
	json_decref(ctx);
}

static void
test_epcis_json_sensor_report_every_field(void **state)
{
	const char *text =
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"sensorElementList\": [{"
	        " \"sensorMetadata\": {\"time\": \"2024-05-01T09:00:00.5+02:00\","
	        "  \"startTime\": \"2024-05-01T08:00:00+02:00\", \"endTime\": \"2024-05-01T08:59:59.999+02:00\","
	        "  \"deviceID\": \"urn:epc:id:giai:4000001.111\", \"deviceMetadata\": \"https://dm.example/1\","
	        "  \"rawData\": \"https://raw.example/1\", \"dataProcessingMethod\": \"https://dpm.example/1\","
	        "  \"bizRules\": \"https://rules.example/1\"},"
	        " \"sensorReport\": [{\"type\": \"gs1:Temperature\", \"exception\": \"ALARM_CONDITION\","
	        "  \"deviceID\": \"urn:epc:id:giai:4000001.112\", \"deviceMetadata\": \"https://dm.example/2\","
	        "  \"rawData\": \"https://raw.example/2\", \"dataProcessingMethod\": \"https://dpm.example/2\","
	        "  \"time\": \"2024-05-01T08:30:00.123456+02:00\", \"microorganism\": \"https://www.ncbi.nlm.nih.gov/taxonomy/1126011\","
	        "  \"chemicalSubstance\": \"https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N\","
	        "  \"value\": 26, \"component\": \"example:x\", \"stringValue\": \"SomeString\","
	        "  \"booleanValue\": false, \"hexBinaryValue\": \"f0f0f0\", \"uriValue\": \"https://uri.example/\","
	        "  \"minValue\": -1.5, \"maxValue\": 40, \"meanValue\": 13.2, \"sDev\": 0.41,"
	        "  \"percRank\": 50, \"percValue\": 12.7, \"uom\": \"CEL\","
	        "  \"coordinateReferenceSystem\": \"http://www.opengis.net/def/crs/EPSG/0/4979\","
	        "  \"bizRules\": \"https://rules.example/2\"}]}]}";
	const wb_sensor_metadata *md;
	const wb_sensor_report *r;
	wb_stamp *s, *d;
	json_t *ev, *out;

	(void)state;
	s = read_ok(text);
	assert_int_equal(s->n_sensor_elements, 1);
	md = s->sensor_elements[0].metadata;
	assert_int_equal(md->time->nanos, 500000000);
	assert_int_equal(md->end_time->seconds - md->start_time->seconds, 3599);
	assert_string_equal(md->device_id, "urn:epc:id:giai:4000001.111");
	assert_string_equal(md->device_metadata, "https://dm.example/1");
	assert_string_equal(md->raw_data, "https://raw.example/1");
	assert_string_equal(md->data_processing_method,
	                    "https://dpm.example/1");
	assert_string_equal(md->biz_rules, "https://rules.example/1");
	assert_int_equal(s->sensor_elements[0].n_reports, 1);
	r = &s->sensor_elements[0].reports[0];
	assert_string_equal(r->type, "gs1:Temperature");
	assert_string_equal(r->exception, "ALARM_CONDITION");
	assert_string_equal(r->device_id, "urn:epc:id:giai:4000001.112");
	assert_string_equal(r->device_metadata, "https://dm.example/2");
	assert_string_equal(r->raw_data, "https://raw.example/2");
	assert_string_equal(r->data_processing_method, "https://dpm.example/2");
	assert_int_equal(r->time->nanos, 123456000);
	assert_string_equal(r->microorganism,
	                    "https://www.ncbi.nlm.nih.gov/taxonomy/1126011");
	assert_string_equal(
	        r->chemical_substance,
	        "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N");
	assert_true(r->has_value && r->value == 26);
	assert_string_equal(r->component, "example:x");
	assert_string_equal(r->string_value, "SomeString");
	assert_true(r->has_boolean_value);
	assert_false(r->boolean_value);
	assert_string_equal(r->hex_binary_value, "f0f0f0");
	assert_string_equal(r->uri_value, "https://uri.example/");
	assert_true(r->has_min_value && r->min_value == -1.5);
	assert_true(r->has_max_value && r->max_value == 40);
	assert_true(r->has_mean_value && r->mean_value == 13.2);
	assert_true(r->has_s_dev && r->s_dev == 0.41);
	assert_true(r->has_perc_rank && r->perc_rank == 50);
	assert_true(r->has_perc_value && r->perc_value == 12.7);
	assert_string_equal(r->uom, "CEL");
	assert_string_equal(r->coordinate_reference_system,
	                    "http://www.opengis.net/def/crs/EPSG/0/4979");
	assert_string_equal(r->biz_rules, "https://rules.example/2");
	assert_null(r->extensions_json);

	d = through_bytes(s);
	out = write_ok(d);
	ev = parse(text);
	assert_same(ev, out, "sensor report");
	/* instants are written in the event's offset */
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(
	                        json_object_get(
	                                json_array_get(
	                                        json_object_get(
	                                                out,
	                                                "sensorElementList"),
	                                        0),
	                                "sensorReport"),
	                        0),
	                "time")),
	        "2024-05-01T08:30:00.123456+02:00");
	json_decref(ev);
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);

	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"sensorElementList\": [{\"sensorReport\": [{\"booleanValue\": \"yes\"}]}]}",
	        "$.sensorElementList[0].sensorReport[0].booleanValue: a string, not a boolean");
	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"sensorElementList\": [{\"sensorMetadata\": {\"startTime\": 5}}]}",
	        "$.sensorElementList[0].sensorMetadata.startTime: a number, not a date-time string");
}

static void
test_epcis_json_error_declaration(void **state)
{
	wb_stamp *s, *d;
	json_t *out, *ed;

	(void)state;
	s = read_ok(
	        "{\"type\": \"TransformationEvent\", " HEAD
	        "\"inputEPCList\": [\"urn:epc:id:sgtin:4012345.011122.25\"],"
	        "\"errorDeclaration\": {\"declarationTime\": \"2024-05-03T10:00:00.000+01:00\","
	        " \"reason\": \"incorrect_data\", \"correctiveEventIDs\": [\"urn:uuid:1\", \"urn:uuid:2\"]}}");
	assert_non_null(s->error_declaration);
	assert_int_equal(s->error_declaration->declaration_time.seconds,
	                 1714726800);
	assert_string_equal(s->error_declaration->reason, "incorrect_data");
	assert_int_equal(s->error_declaration->n_corrective_event_ids, 2);
	assert_string_equal(s->error_declaration->corrective_event_ids[1],
	                    "urn:uuid:2");
	d = through_bytes(s);
	out = write_ok(d);
	ed = json_object_get(out, "errorDeclaration");
	assert_string_equal(json_string_value(json_object_get(ed, "reason")),
	                    "incorrect_data");
	assert_int_equal(
	        json_array_size(json_object_get(ed, "correctiveEventIDs")), 2);
	/* written in the event's offset, +02:00 */
	assert_string_equal(
	        json_string_value(json_object_get(ed, "declarationTime")),
	        "2024-05-03T11:00:00+02:00");
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);

	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"ADD\", \"errorDeclaration\": {\"reason\": \"x\"}}",
	        "$.errorDeclaration.declarationTime: missing");
	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"ADD\", \"errorDeclaration\": {\"declarationTime\": \"2024-05-03T10:00:00Z\", \"correctiveEventIDs\": [1]}}",
	        "$.errorDeclaration.correctiveEventIDs[0]: a number, not a string");
}

static void
test_epcis_json_waybill_attributes(void **state)
{
	wb_stamp *s, *d;
	json_t *out;

	(void)state;
	s = read_ok(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"epcList\": [\"urn:epc:id:sgtin:0614141.107346.2017\"],"
	        "\"bizStep\": \"retail_selling\","
	        "\"waybill:price\": \"2.49 EUR\", \"waybill:discount\": \"30%\","
	        "\"waybill:packaging\": {\"material\": \"paper\", \"grams\": 12},"
	        "\"fsma:cte\": \"shipping\"}");
	assert_int_equal(s->n_attributes, 4);
	assert_string_equal(s->attributes[0].key, "waybill:price");
	assert_string_equal(s->attributes[0].text, "2.49 EUR");
	assert_null(s->attributes[0].json);
	assert_string_equal(s->attributes[1].key, "waybill:discount");
	assert_string_equal(s->attributes[2].key, "waybill:packaging");
	assert_null(s->attributes[2].text);
	assert_string_equal(s->attributes[2].json,
	                    "{\"material\":\"paper\",\"grams\":12}");
	assert_string_equal(s->attributes[3].key, "fsma:cte");
	assert_string_equal(s->attributes[3].text, "shipping");
	assert_null(s->extensions_json);
	d = through_bytes(s);
	out = write_ok(d);
	assert_string_equal(
	        json_string_value(json_object_get(out, "waybill:price")),
	        "2.49 EUR");
	assert_int_equal(
	        json_integer_value(json_object_get(
	                json_object_get(out, "waybill:packaging"), "grams")),
	        12);
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);

	/* the namespace's full IRI, and another prefix bound to it */
	{
		json_t *ctx = parse("{\"wb\": \"urn:waybill:ext:\"}");

		s = read_ok_ctx(
		        "{\"type\": \"ObjectEvent\", " HEAD
		        "\"action\": \"OBSERVE\", \"urn:waybill:ext:fsmaCte\": \"receiving\","
		        " \"wb:price\": \"1.00 EUR\"}",
		        ctx);
		assert_int_equal(s->n_attributes, 2);
		assert_string_equal(s->attributes[0].key,
		                    "urn:waybill:ext:fsmaCte");
		assert_string_equal(s->attributes[1].key, "waybill:price");
		assert_null(s->extensions_json);
		wb_stamp_free(s);
		json_decref(ctx);
	}

	/* a caller-built attribute without a prefix joins the namespace */
	{
		wb_attribute a = { .key = "color", .text = "red" };
		wb_stamp st = { .kind = WB_KIND_OBJECT,
			        .event_id = "urn:uuid:1",
			        .event_tz_offset = "Z",
			        .attributes = &a,
			        .n_attributes = 1 };

		out = write_ok(&st);
		assert_string_equal(json_string_value(json_object_get(
		                            out, "waybill:color")),
		                    "red");
		/* an invalid offset: instants in UTC */
		assert_string_equal(
		        json_string_value(json_object_get(out, "eventTime")),
		        "1970-01-01T00:00:00Z");
		json_decref(out);
	}

	/* the ledger facts an export adds are dropped on input, so that an
	 * exported document imports as the events it holds */
	s = read_ok("{\"type\": \"ObjectEvent\", " HEAD
	            "\"action\": \"OBSERVE\", \"waybill:price\": \"3 EUR\","
	            " \"waybill:index\": 42, \"waybill:signerKey\": \"ab\","
	            " \"waybill:leafHash\": \"cd\"}");
	assert_int_equal(s->n_attributes, 1);
	assert_string_equal(s->attributes[0].key, "waybill:price");
	assert_null(s->extensions_json);
	wb_stamp_free(s);

	/* the waybill-only blocks belong to their kinds */
	read_bad("{\"type\": \"ObjectEvent\", " HEAD
	         "\"action\": \"ADD\", \"waybill:recall\": {}}",
	         "$.waybill:recall: not a field of an ObjectEvent");
}

static void
test_epcis_json_recall_and_lift(void **state)
{
	wb_stamp *s, *d;
	json_t *out, *r;

	(void)state;
	s = read_ok(
	        "{\"type\": \"waybill:RecallEvent\", " HEAD
	        "\"waybill:recall\": {\"targets\": [\"urn:epc:class:lgtin:4012345.012345.998877\"],"
	        " \"reason\": \"Salmonella\", \"severity\": \"I\", \"reference\": \"FDA-2024-123\"},"
	        "\"waybill:note\": \"call the stores\"}");
	assert_int_equal(s->kind, WB_KIND_RECALL);
	assert_non_null(s->recall);
	assert_int_equal(s->recall->n_targets, 1);
	assert_string_equal(s->recall->reason, "Salmonella");
	assert_true(s->recall->has_severity);
	assert_int_equal(s->recall->severity, WB_RECALL_CLASS_I);
	assert_string_equal(s->recall->reference, "FDA-2024-123");
	assert_int_equal(s->n_attributes, 1);
	d = through_bytes(s);
	out = write_ok(d);
	assert_string_equal(json_string_value(json_object_get(out, "type")),
	                    "waybill:RecallEvent");
	r = json_object_get(out, "waybill:recall");
	assert_string_equal(json_string_value(json_object_get(r, "severity")),
	                    "I");
	assert_int_equal(json_array_size(json_object_get(r, "targets")), 1);
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);

	s = read_ok(
	        "{\"type\": \"waybill:LiftEvent\", " HEAD
	        "\"waybill:lift\": {\"recallIndex\": 42, \"targets\": [\"urn:epc:id:sgtin:0614141.107346.2017\"],"
	        " \"reason\": \"tested clean\"}}");
	assert_int_equal(s->kind, WB_KIND_LIFT);
	assert_int_equal(s->lift->recall_index, 42);
	assert_int_equal(s->lift->n_targets, 1);
	assert_string_equal(s->lift->reason, "tested clean");
	d = through_bytes(s);
	out = write_ok(d);
	assert_int_equal(
	        json_integer_value(json_object_get(
	                json_object_get(out, "waybill:lift"), "recallIndex")),
	        42);
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);

	/* a whole-recall lift has no targets; [] comes back as [] */
	s = read_ok("{\"type\": \"waybill:LiftEvent\", " HEAD
	            "\"waybill:lift\": {\"recallIndex\": 0}}");
	assert_int_equal(s->lift->n_targets, 0);
	assert_null(s->lift->reason);
	out = write_ok(s);
	assert_null(json_object_get(json_object_get(out, "waybill:lift"),
	                            "targets"));
	json_decref(out);
	wb_stamp_free(s);
	s = read_ok("{\"type\": \"waybill:LiftEvent\", " HEAD
	            "\"waybill:lift\": {\"recallIndex\": 0, \"targets\": []}}");
	out = write_ok(s);
	assert_true(json_is_array(json_object_get(
	        json_object_get(out, "waybill:lift"), "targets")));
	json_decref(out);
	wb_stamp_free(s);

	read_bad("{\"type\": \"waybill:RecallEvent\", " HEAD
	         "\"action\": \"ADD\"}",
	         "$.action: not a field of a waybill:RecallEvent");
	read_bad(
	        "{\"type\": \"waybill:RecallEvent\", " HEAD
	        "\"bizStep\": \"shipping\"}",
	        "$.waybill:recall: missing (required in a waybill:RecallEvent)");
	read_bad(
	        "{\"type\": \"waybill:RecallEvent\", " HEAD
	        "\"waybill:recall\": {\"targets\": [], \"reason\": \"r\", \"severity\": \"IV\"}}",
	        "$.waybill:recall.severity: \"IV\" is not a recall class (I, II or III)");
	read_bad("{\"type\": \"waybill:RecallEvent\", " HEAD
	         "\"waybill:recall\": {\"targets\": []}}",
	         "$.waybill:recall.reason: missing");
	read_bad(
	        "{\"type\": \"waybill:LiftEvent\", " HEAD
	        "\"waybill:lift\": {\"recallIndex\": -1}}",
	        "$.waybill:lift.recallIndex: a negative number, not a journal index");
	read_bad("{\"type\": \"waybill:LiftEvent\", " HEAD
	         "\"waybill:lift\": {\"recallIndex\": \"7\"}}",
	         "$.waybill:lift.recallIndex: a string, not a journal index");
}

static void
test_epcis_json_master_data(void **state)
{
	const char *text =
	        "{\"type\": \"waybill:MasterDataEvent\", " HEAD
	        "\"waybill:masterData\": {\"type\": \"urn:epcglobal:epcis:vtype:BusinessLocation\","
	        " \"id\": \"urn:epc:id:sgln:0614141.00888.0\","
	        " \"attributes\": [{\"id\": \"urn:epcglobal:cbv:mda#name\", \"attribute\": \"Mill\"},"
	        "  {\"id\": \"cbvmda:address\", \"attribute\": {\"streetAddress\": \"1 Main St\", \"postalCode\": \"12345\"}},"
	        "  {\"id\": \"cbvmda:latitude\", \"attribute\": 52.5}],"
	        " \"children\": [\"urn:epc:id:sgln:0614141.00888.1\"]}}";
	wb_stamp *s, *d;
	json_t *ev, *out;

	(void)state;
	s = read_ok(text);
	assert_int_equal(s->kind, WB_KIND_MASTER_DATA);
	assert_string_equal(s->master_data->vocabulary_type,
	                    "urn:epcglobal:epcis:vtype:BusinessLocation");
	assert_string_equal(s->master_data->element_id,
	                    "urn:epc:id:sgln:0614141.00888.0");
	assert_int_equal(s->master_data->n_attributes, 3);
	/* the key the passport reads the name from */
	assert_string_equal(s->master_data->attributes[0].key,
	                    "urn:epcglobal:cbv:mda#name");
	assert_string_equal(s->master_data->attributes[0].text, "Mill");
	assert_string_equal(
	        s->master_data->attributes[1].json,
	        "{\"streetAddress\":\"1 Main St\",\"postalCode\":\"12345\"}");
	assert_string_equal(s->master_data->attributes[2].json, "52.5");
	assert_int_equal(s->master_data->n_children, 1);
	d = through_bytes(s);
	out = write_ok(d);
	ev = parse(text);
	assert_same(ev, out, "master data");
	json_decref(ev);
	json_decref(out);
	wb_stamp_free(d);
	wb_stamp_free(s);

	read_bad(
	        "{\"type\": \"waybill:MasterDataEvent\", " HEAD
	        "\"waybill:masterData\": {\"type\": \"urn:epcglobal:epcis:vtype:ReadPoint\", \"id\": \"x\","
	        " \"attributes\": [{\"id\": \"cbvmda:name\"}]}}",
	        "$.waybill:masterData.attributes[0].attribute: missing");
	read_bad("{\"type\": \"waybill:MasterDataEvent\", " HEAD
	         "\"waybill:masterData\": {\"id\": \"x\"}}",
	         "$.waybill:masterData.type: missing");
}

static void
test_epcis_json_times_and_offsets(void **state)
{
	wb_time t;
	char buf[40];

	(void)state;
	assert_true(wb_epcis_time_parse(&t, "1970-01-01T00:00:00Z"));
	assert_int_equal(t.seconds, 0);
	assert_false(t.has_nanos);
	assert_true(wb_epcis_time_parse(&t, "2005-04-03T20:33:31.116-06:00"));
	assert_int_equal(t.seconds, 1112582011);
	assert_int_equal(t.nanos, 116000000);
	/* more digits than nanoseconds: the rest is dropped */
	assert_true(wb_epcis_time_parse(&t, "2024-02-29t23:59:59.1234567891z"));
	assert_int_equal(t.nanos, 123456789);
	assert_true(wb_epcis_time_parse(&t, "1969-12-31T23:59:59.5Z"));
	assert_int_equal(t.seconds, -1);
	assert_false(wb_epcis_time_parse(&t, "2023-02-29T00:00:00Z"));
	assert_false(wb_epcis_time_parse(&t, "2024-05-01T09:30:00"));
	assert_false(wb_epcis_time_parse(&t, "2024-05-01 09:30:00Z"));
	assert_false(wb_epcis_time_parse(&t, "2024-05-01T24:00:00Z"));
	assert_false(wb_epcis_time_parse(&t, "2024-05-01T09:30:00.Z"));
	assert_false(wb_epcis_time_parse(&t, "2024-05-01T09:30:00+2:00"));
	assert_false(wb_epcis_time_parse(&t, "2024-05-01T09:30:00Z "));
	assert_false(wb_epcis_time_parse(&t, ""));

	t = (wb_time){ .seconds = 1112582011, .nanos = 116000000 };
	assert_true(wb_epcis_time_format(buf, &t, "-06:00"));
	assert_string_equal(buf, "2005-04-03T20:33:31.116-06:00");
	t.nanos = 1;
	assert_true(wb_epcis_time_format(buf, &t, NULL));
	assert_string_equal(buf, "2005-04-04T02:33:31.000000001Z");
	t.nanos = 120000;
	assert_true(wb_epcis_time_format(buf, &t, "+05:30"));
	assert_string_equal(buf, "2005-04-04T08:03:31.000120+05:30");
	t = (wb_time){ .seconds = -1 };
	assert_true(wb_epcis_time_format(buf, &t, "+00:00"));
	assert_string_equal(buf, "1969-12-31T23:59:59+00:00");
	t.seconds = INT64_MAX;
	assert_false(wb_epcis_time_format(buf, &t, "+14:00"));

	read_bad(
	        "{\"type\": \"ObjectEvent\", \"action\": \"ADD\","
	        " \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+15:00\"}",
	        "$.eventTimeZoneOffset: \"+15:00\" is not an offset");
	read_bad(
	        "{\"type\": \"ObjectEvent\", \"action\": \"ADD\","
	        " \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"Z\"}",
	        "$.eventTimeZoneOffset: \"Z\" is not an offset");
	read_bad("{\"type\": \"ObjectEvent\", \"action\": \"ADD\","
	         " \"eventTime\": \"2024-05-01T09:30:00Z\"}",
	         "$.eventTimeZoneOffset: missing");
}

static void
test_epcis_json_assigned_event_id_is_deterministic(void **state)
{
	wb_stamp *a, *b, *c;

	(void)state;
	/* the same instant spelled two ways, numbers written two ways */
	a = read_ok(
	        "{\"type\": \"ObjectEvent\", \"action\": \"ADD\","
	        " \"eventTime\": \"2024-05-01T09:30:00.000+02:00\", \"eventTimeZoneOffset\": \"+02:00\","
	        " \"quantityList\": [{\"epcClass\": \"urn:epc:class:lgtin:4012345.012345.1\", \"quantity\": 5}]}");
	b = read_ok(
	        "{\"eventTimeZoneOffset\": \"+02:00\", \"type\": \"ObjectEvent\", \"action\": \"ADD\","
	        " \"quantityList\": [{\"quantity\": 5.0, \"epcClass\": \"urn:epc:class:lgtin:4012345.012345.1\"}],"
	        " \"eventTime\": \"2024-05-01T07:30:00Z\", \"recordTime\": \"2024-05-01T07:31:00Z\"}");
	c = read_ok(
	        "{\"type\": \"ObjectEvent\", \"action\": \"ADD\","
	        " \"eventTime\": \"2024-05-01T09:30:00.001+02:00\", \"eventTimeZoneOffset\": \"+02:00\","
	        " \"quantityList\": [{\"epcClass\": \"urn:epc:class:lgtin:4012345.012345.1\", \"quantity\": 5}]}");
	assert_memory_equal(a->event_id, WB_EPCIS_ASSIGNED_ID,
	                    strlen(WB_EPCIS_ASSIGNED_ID));
	assert_int_equal(strlen(a->event_id),
	                 strlen(WB_EPCIS_ASSIGNED_ID) + 64);
	assert_string_equal(a->event_id, b->event_id);
	assert_string_not_equal(a->event_id, c->event_id);
	wb_stamp_free(a);
	wb_stamp_free(b);
	wb_stamp_free(c);
}

static void
test_epcis_json_cbv_words_kept_as_written(void **state)
{
	static const char *const steps[] = {
		"shipping",
		"urn:epcglobal:cbv:bizstep:shipping",
		"https://ref.gs1.org/cbv/BizStep-shipping",
		"https://example.com/steps/my_step",
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		wb_stamp *s;
		json_t *out;

		snprintf(text, sizeof(text),
		         "{\"type\": \"ObjectEvent\", " HEAD
		         "\"action\": \"OBSERVE\", \"bizStep\": \"%s\"}",
		         steps[i]);
		s = read_ok(text);
		assert_string_equal(s->biz_step, steps[i]);
		out = write_ok(s);
		assert_string_equal(
		        json_string_value(json_object_get(out, "bizStep")),
		        steps[i]);
		json_decref(out);
		wb_stamp_free(s);
	}
	read_bad(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"bizStep\": \"urn:epcglobal:cbv:bizstep:teleporting\"}",
	        "$.bizStep: \"urn:epcglobal:cbv:bizstep:teleporting\" is not a CBV business step");
}

static void
test_epcis_json_error_paths(void **state)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
		{ "[]", "$: an array, not an event" },
		{ "{}", "$.type: missing" },
		{ "{\"type\": 5}", "$.type: a number, not an event type name" },
		{ "{\"type\": \"EPCISDocument\"}",
		  "$.type: \"EPCISDocument\" is not an event type" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": [], \"eventTimeZoneOffset\": \"+00:00\"}",
		  "$.eventTime: an array, not a date-time string" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\"}",
		  "$.action: missing (required in an ObjectEvent)" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": null}",
		  "$.action: null, not ADD, OBSERVE or DELETE" },
		{ "{\"type\": \"TransformationEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\"}",
		  "$.action: not a field of a TransformationEvent" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"childEPCs\": []}",
		  "$.childEPCs: not a field of an ObjectEvent" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"epcs\": []}",
		  "$.epcs: unknown field of an ObjectEvent (extension fields need a namespace prefix" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"epcList\": [\"a\", 2]}",
		  "$.epcList[1]: a number, not a string" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"epcList\": \"a\"}",
		  "$.epcList: a string, not an array of strings" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"quantityList\": [{\"quantity\": 1}]}",
		  "$.quantityList[0].epcClass: missing" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"quantityList\": [7]}",
		  "$.quantityList[0]: a number, not a quantity element" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"readPoint\": \"urn:x\"}",
		  "$.readPoint: a string, not a location" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"bizLocation\": {}}",
		  "$.bizLocation.id: missing" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"sourceList\": [{\"type\": \"owning_party\"}]}",
		  "$.sourceList[0].source: missing" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"destinationList\": [{\"destination\": \"x\", \"ex:y\": 1}]}",
		  "$.destinationList[0].ex:y: the namespace prefix \"ex\" is not declared" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"bizTransactionList\": [{\"bizTransaction\": \"x\", \"gs1:y\": 1}]}",
		  "$.bizTransactionList[0].gs1:y: unknown field of this list's elements" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"ilmd\": []}",
		  "$.ilmd: an array, not ILMD" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"certificationInfo\": 1}",
		  "$.certificationInfo: a number, not a certificate URI" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"eventID\": \"\"}",
		  "$.eventID: empty" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"@context\": 5}",
		  "$.@context: a number, not a context URL" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"sensorElementList\": [{\"sensorReport\": {}}]}",
		  "$.sensorElementList[0].sensorReport: an object, not an array" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"sensorElementList\": [{\"sensorMetadata\": {}}]}",
		  "$.sensorElementList[0].sensorReport: missing" },
		{ "{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-05-01T09:30:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"ADD\", \"epcList\": [\"a\\u0000b\"]}",
		  "$.epcList[0]: the string holds a NUL character" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t err;
		json_t *ev = json_loads(cases[i].json, JSON_ALLOW_NUL, &err);
		wb_stamp *s = NULL;
		wb_problem p;

		assert_non_null(ev);
		assert_int_equal(
		        wb_epcis_event_from_json(&s, ev, NULL, ledger_id, &p),
		        WB_EPROTO);
		assert_null(s);
		if (strncmp(p.msg, cases[i].msg, strlen(cases[i].msg)) != 0) {
			fail_msg("case %zu: expected \"%s...\", got \"%s\"", i,
			         cases[i].msg, p.msg);
		}
		/* a NULL problem is allowed */
		assert_int_equal(
		        wb_epcis_event_from_json(&s, ev, NULL, ledger_id, NULL),
		        WB_EPROTO);
		json_decref(ev);
	}
}

static void
test_epcis_json_bad_arguments_and_stamps(void **state)
{
	json_t *ev = parse("{}"), *out = NULL;
	wb_stamp *s = NULL;
	wb_stamp st = { .kind = WB_KIND_OBJECT,
		        .event_id = "urn:uuid:1",
		        .event_tz_offset = "+01:00" };

	(void)state;
	assert_int_equal(
	        wb_epcis_event_from_json(NULL, ev, NULL, ledger_id, NULL),
	        WB_EINVAL);
	assert_int_equal(
	        wb_epcis_event_from_json(&s, NULL, NULL, ledger_id, NULL),
	        WB_EINVAL);
	assert_int_equal(wb_epcis_event_from_json(&s, ev, NULL, NULL, NULL),
	                 WB_EINVAL);
	assert_int_equal(wb_epcis_event_to_json(NULL, &st), WB_EINVAL);
	assert_int_equal(wb_epcis_event_to_json(&out, NULL), WB_EINVAL);

	st.kind = WB_KIND_UNSPECIFIED;
	assert_int_equal(wb_epcis_event_to_json(&out, &st), WB_EINVAL);
	assert_null(out);
	st.kind = WB_KIND_OBJECT;
	st.extensions_json = "{not json";
	assert_int_equal(wb_epcis_event_to_json(&out, &st), WB_EINVAL);
	st.extensions_json = "[1]";
	assert_int_equal(wb_epcis_event_to_json(&out, &st), WB_EINVAL);
	st.extensions_json = NULL;
	st.biz_step = "\xff\xfe";
	assert_int_equal(wb_epcis_event_to_json(&out, &st), WB_EINVAL);
	st.biz_step = NULL;
	st.event_time.seconds = INT64_MIN;
	assert_int_equal(wb_epcis_event_to_json(&out, &st), WB_EINVAL);
	assert_null(out);
	json_decref(ev);
}

/*
 * Every value of a full event, one at a time, replaced by each wrong-typed
 * value (and deep nesting): the reader refuses or accepts, with a message
 * naming a path, and never crashes or leaks.
 */
static void
mutate_all(json_t *root, json_t *node, const json_t *ctx, size_t *tries)
{
	static const char *const wrong[] = {
		"null",
		"true",
		"0",
		"-1.5",
		"\"\"",
		"\"x\"",
		"[]",
		"{}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		"[1, \"a\", null, {\"b\": []}]",
	};

	if (json_is_object(node)) {
		const char *key;
		json_t *v;

		json_object_foreach(node, key, v)
		{
			json_t *keep = json_incref(v);

			for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]);
			     i++) {
				wb_stamp *s = NULL;
				wb_problem p;
				wb_err rc;

				json_object_set_new(node, key, parse(wrong[i]));
				rc = wb_epcis_event_from_json(&s, root, ctx,
				                              ledger_id, &p);
				assert_true(rc == WB_OK || rc == WB_EPROTO);
				if (rc == WB_EPROTO) {
					assert_true(p.msg[0] == '$');
				} else {
					json_t *out = write_ok(s);

					json_decref(out);
				}
				wb_stamp_free(s);
				(*tries)++;
			}
			json_object_set(node, key, keep);
			mutate_all(root, keep, ctx, tries);
			json_decref(keep);
		}
	} else if (json_is_array(node)) {
		for (size_t i = 0; i < json_array_size(node); i++) {
			mutate_all(root, json_array_get(node, i), ctx, tries);
		}
	}
}

static void
test_epcis_json_wrong_types_everywhere_never_crash(void **state)
{
	json_t *ctx = parse(ext_ctx_text);
	json_t *ev = parse(
	        "{\"type\": \"ObjectEvent\", " HEAD
	        "\"action\": \"OBSERVE\", \"epcList\": [\"urn:epc:id:sgtin:0614141.107346.2017\"],"
	        "\"quantityList\": [{\"epcClass\": \"urn:epc:class:lgtin:4012345.012345.1\", \"quantity\": 5, \"uom\": \"KGM\"}],"
	        "\"bizStep\": \"shipping\", \"disposition\": \"in_transit\","
	        "\"readPoint\": {\"id\": \"urn:x\", \"ex:a\": 1}, \"bizLocation\": {\"id\": \"urn:y\"},"
	        "\"persistentDisposition\": {\"set\": [\"active\"], \"unset\": [\"expired\"]},"
	        "\"bizTransactionList\": [{\"type\": \"po\", \"bizTransaction\": \"urn:t\"}],"
	        "\"sourceList\": [{\"type\": \"location\", \"source\": \"urn:s\"}],"
	        "\"destinationList\": [{\"type\": \"location\", \"destination\": \"urn:d\"}],"
	        "\"sensorElementList\": [{\"sensorMetadata\": {\"time\": \"2024-05-01T09:00:00Z\", \"deviceID\": \"urn:dev\"},"
	        "  \"sensorReport\": [{\"type\": \"gs1:Temperature\", \"value\": 4.5, \"booleanValue\": true, \"time\": \"2024-05-01T09:00:00Z\"}],"
	        "  \"ex:el\": 1}],"
	        "\"ilmd\": {\"ex:lot\": \"L1\"}, \"certificationInfo\": [\"urn:c\"],"
	        "\"errorDeclaration\": {\"declarationTime\": \"2024-05-02T00:00:00Z\", \"reason\": \"r\", \"correctiveEventIDs\": [\"urn:e\"]},"
	        "\"waybill:price\": \"1 EUR\", \"ex:top\": {\"ex:n\": [1]}}");
	json_t *recall = parse(
	        "{\"type\": \"waybill:RecallEvent\", " HEAD
	        "\"waybill:recall\": {\"targets\": [\"urn:t\"], \"reason\": \"r\", \"severity\": \"II\", \"reference\": \"x\"}}");
	json_t *lift = parse(
	        "{\"type\": \"waybill:LiftEvent\", " HEAD
	        "\"waybill:lift\": {\"recallIndex\": 3, \"targets\": [\"urn:t\"], \"reason\": \"r\"}}");
	json_t *md = parse(
	        "{\"type\": \"waybill:MasterDataEvent\", " HEAD
	        "\"waybill:masterData\": {\"type\": \"urn:v\", \"id\": \"urn:i\","
	        " \"attributes\": [{\"id\": \"cbvmda:name\", \"attribute\": \"n\"}], \"children\": [\"urn:c\"]}}");
	json_t *big = json_array();
	size_t tries = 0;
	wb_stamp *s = NULL;

	(void)state;
	mutate_all(ev, ev, ctx, &tries);
	mutate_all(recall, recall, NULL, &tries);
	mutate_all(lift, lift, NULL, &tries);
	mutate_all(md, md, NULL, &tries);
	assert_true(tries > 500);

	/* a large list maps whole */
	for (int i = 0; i < 100000; i++) {
		char id[64];

		snprintf(id, sizeof(id), "urn:epc:id:sgtin:0614141.107346.%d",
		         i);
		json_array_append_new(big, json_string(id));
	}
	json_object_set_new(ev, "epcList", big);
	assert_int_equal(wb_epcis_event_from_json(&s, ev, ctx, ledger_id, NULL),
	                 WB_OK);
	assert_int_equal(s->n_epcs, 100000);
	wb_stamp_free(s);
	json_decref(ev);
	json_decref(recall);
	json_decref(lift);
	json_decref(md);
	json_decref(ctx);
}

/* ---- documents (wb_epcis_doc_read, wb_epcis_doc_stamp) ---- */

#define DOC_CONTEXT                                                                           \
	"\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\", " \
	"{\"example\": \"https://ns.example.com/epcis/\"}]"

static const char doc_event[] =
        "{\"type\": \"ObjectEvent\", \"eventTime\": \"2026-01-01T10:00:00+01:00\", "
        "\"eventTimeZoneOffset\": \"+01:00\", \"action\": \"OBSERVE\", "
        "\"epcList\": [\"urn:epc:id:sgtin:0614141.107346.1\"], "
        "\"example:myField\": 5}";

static wb_epcis_doc *
doc_ok(const json_t *root)
{
	wb_epcis_doc *d = NULL;
	wb_problem p;
	wb_err rc = wb_epcis_doc_read(&d, root, &p);

	if (rc != WB_OK) {
		fail_msg("refused (%s): %s", wb_strerror(rc), p.msg);
	}
	return d;
}

static void
doc_bad(const char *text, const char *msg)
{
	json_t *root = parse(text);
	wb_epcis_doc *d = NULL;
	wb_problem p;

	assert_int_equal(wb_epcis_doc_read(&d, root, &p), WB_EPROTO);
	assert_null(d);
	assert_int_equal(p.reason, WB_REJECT_MALFORMED);
	if (strncmp(p.msg, msg, strlen(msg)) != 0) {
		fail_msg("expected a message starting \"%s\", got \"%s\"", msg,
		         p.msg);
	}
	json_decref(root);
}

/* The four forms, with each item's path and context; master data first,
 * dated at the document's creation in its offset. */
static void
test_epcis_doc_forms_and_paths(void **state)
{
	char text[4096];
	json_t *root;
	wb_epcis_doc *d;
	const json_t *md;

	(void)state;
	snprintf(text, sizeof(text),
	         "{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	         "\"schemaVersion\": \"2.0\", "
	         "\"creationDate\": \"2026-01-02T08:00:00.5-05:00\", "
	         "\"epcisBody\": {\"eventList\": [%s, %s]}, "
	         "\"epcisHeader\": {\"epcisMasterData\": {\"vocabularyList\": "
	         "[{\"type\": \"urn:epcglobal:epcis:vtype:BusinessLocation\", "
	         "\"vocabularyElementList\": [{\"id\": "
	         "\"urn:epc:id:sgln:0614141.00888.0\", \"attributes\": "
	         "[{\"id\": \"urn:epcglobal:cbv:mda#name\", \"attribute\": "
	         "\"Mill\"}], \"children\": "
	         "[\"urn:epc:id:sgln:0614141.00888.1\"]}]}]}}}",
	         doc_event, doc_event);
	root = parse(text);
	d = doc_ok(root);
	assert_int_equal(d->form, WB_EPCIS_DOC_DOCUMENT);
	assert_int_equal(d->n_items, 3);
	assert_int_equal(d->n_master_data, 1);
	assert_int_equal(d->n_events, 2);
	assert_string_equal(d->creation_date, "2026-01-02T08:00:00.5-05:00");
	assert_ptr_equal(d->context, json_object_get(root, "@context"));
	assert_int_equal(d->items[0].kind, WB_EPCIS_ITEM_MASTER_DATA);
	assert_string_equal(
	        d->items[0].path,
	        "$.epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0]");
	assert_string_equal(
	        json_string_value(json_object_get(d->items[0].event, "type")),
	        "waybill:MasterDataEvent");
	assert_string_equal(json_string_value(json_object_get(d->items[0].event,
	                                                      "eventTime")),
	                    "2026-01-02T08:00:00.5-05:00");
	assert_string_equal(json_string_value(json_object_get(
	                            d->items[0].event, "eventTimeZoneOffset")),
	                    "-05:00");
	md = json_object_get(d->items[0].event, "waybill:masterData");
	assert_string_equal(json_string_value(json_object_get(md, "id")),
	                    "urn:epc:id:sgln:0614141.00888.0");
	assert_int_equal(d->items[1].kind, WB_EPCIS_ITEM_EVENT);
	assert_string_equal(d->items[1].path, "$.epcisBody.eventList[0]");
	assert_string_equal(d->items[2].path, "$.epcisBody.eventList[1]");
	assert_ptr_equal(d->items[2].context, d->context);
	wb_epcis_doc_free(d);
	json_decref(root);

	/* A query document: its results' vocabularies and events. */
	snprintf(text, sizeof(text),
	         "{" DOC_CONTEXT ", \"type\": \"EPCISQueryDocument\", "
	         "\"schemaVersion\": \"2.0\", "
	         "\"creationDate\": \"2026-01-02T08:00:00Z\", "
	         "\"epcisBody\": {\"queryResults\": {\"queryName\": "
	         "\"SimpleEventQuery\", \"resultsBody\": {\"eventList\": [%s], "
	         "\"vocabularyList\": [{\"type\": "
	         "\"urn:epcglobal:epcis:vtype:EPCClass\", "
	         "\"vocabularyElementList\": [{\"id\": "
	         "\"urn:epc:idpat:sgtin:0614141.107346.*\"}]}]}}}}",
	         doc_event);
	root = parse(text);
	d = doc_ok(root);
	assert_int_equal(d->form, WB_EPCIS_DOC_QUERY);
	assert_int_equal(d->n_items, 2);
	assert_string_equal(
	        d->items[0].path,
	        "$.epcisBody.queryResults.resultsBody.vocabularyList[0].vocabularyElementList[0]");
	assert_string_equal(json_string_value(json_object_get(
	                            d->items[0].event, "eventTimeZoneOffset")),
	                    "+00:00");
	assert_string_equal(
	        d->items[1].path,
	        "$.epcisBody.queryResults.resultsBody.eventList[0]");
	wb_epcis_doc_free(d);
	json_decref(root);

	/* A bare event: itself, no document context. */
	root = parse(doc_event);
	d = doc_ok(root);
	assert_int_equal(d->form, WB_EPCIS_DOC_EVENT);
	assert_int_equal(d->n_items, 1);
	assert_string_equal(d->items[0].path, "$");
	assert_ptr_equal(d->items[0].event, root);
	assert_null(d->items[0].context);
	wb_epcis_doc_free(d);
	json_decref(root);

	/* A list: each element, whatever it is (the mapper judges it). */
	snprintf(text, sizeof(text), "[%s, 7]", doc_event);
	root = parse(text);
	d = doc_ok(root);
	assert_int_equal(d->form, WB_EPCIS_DOC_LIST);
	assert_int_equal(d->n_items, 2);
	assert_string_equal(d->items[1].path, "$[1]");
	wb_epcis_doc_free(d);
	json_decref(root);
}

/* Document-level refusals name the field and its path. */
static void
test_epcis_doc_refusals(void **state)
{
	(void)state;
	doc_bad("{\"type\": \"EPCISDocument\", \"schemaVersion\": \"2.0\", "
	        "\"creationDate\": \"2026-01-01T00:00:00Z\", "
	        "\"epcisBody\": {\"eventList\": []}}",
	        "$.@context: missing: an EPCIS 2.0 document needs the 2.0 context");
	doc_bad("{\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\", 5], "
	        "\"type\": \"EPCISDocument\"}",
	        "$.@context[1]: a number, not a context");
	doc_bad("{\"@context\": {\"ex\": \"urn:x:\"}, \"type\": \"EPCISDocument\"}",
	        "$.@context: does not name the EPCIS 2.0 context");
	doc_bad("{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	        "\"schemaVersion\": \"2.x\"}",
	        "$.schemaVersion: \"2.x\" is not a version");
	doc_bad("{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	        "\"schemaVersion\": \"2.0\", \"creationDate\": 5}",
	        "$.creationDate: a number, not an RFC 3339 date-time");
	doc_bad("{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	        "\"schemaVersion\": \"2.0\", "
	        "\"creationDate\": \"2026-01-01T00:00:00Z\"}",
	        "$.epcisBody: missing");
	doc_bad("{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	        "\"schemaVersion\": \"2.0\", \"sender\": 1, "
	        "\"creationDate\": \"2026-01-01T00:00:00Z\"}",
	        "$.sender: a number, not a string");
	doc_bad("{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	        "\"schemaVersion\": \"2.0\", "
	        "\"creationDate\": \"2026-01-01T00:00:00Z\", "
	        "\"epcisHeader\": {\"epcisMasterData\": {\"vocabularyList\": "
	        "[{\"type\": \"urn:x\", \"vocabularyElementList\": "
	        "[{\"id\": \"urn:y\", \"attributes\": [{\"id\": \"urn:z\"}]}]}]}}, "
	        "\"epcisBody\": {\"eventList\": []}}",
	        "$.epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0].attributes[0].attribute: missing");
	doc_bad("{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	        "\"schemaVersion\": \"2.0\", "
	        "\"creationDate\": \"2026-01-01T00:00:00Z\", "
	        "\"epcisHeader\": {\"epcisMasterData\": {\"vocabularyList\": "
	        "[{\"type\": \"urn:x\", \"vocabularyElementList\": "
	        "[{\"id\": \"urn:y\", \"children\": [3]}]}]}}, "
	        "\"epcisBody\": {\"eventList\": []}}",
	        "$.epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0].children[0]: a number, not a child ID");
	doc_bad("{" DOC_CONTEXT ", \"type\": \"EPCISQueryDocument\", "
	        "\"schemaVersion\": \"2.0\", "
	        "\"creationDate\": \"2026-01-01T00:00:00Z\", "
	        "\"epcisBody\": {\"queryResults\": {\"resultsBody\": "
	        "{\"eventList\": []}}}}",
	        "$.epcisBody.queryResults.queryName: missing");
	doc_bad("{\"epcisBody\": {\"eventList\": []}}", "$.type: missing");
	doc_bad("\"text\"", "$: a string, not an EPCIS document");
}

/* Items map with their document path in messages; master data maps to a
 * master-data stamp; the document's prefix declarations stay with each
 * event; the same document gives the same stamps. */
static void
test_epcis_doc_stamps(void **state)
{
	char text[4096];
	json_t *root, *back;
	wb_epcis_doc *d;
	wb_stamp *s = NULL, *again = NULL;
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t n1, n2;
	wb_problem p;

	(void)state;
	snprintf(text, sizeof(text),
	         "{" DOC_CONTEXT ", \"type\": \"EPCISDocument\", "
	         "\"schemaVersion\": \"2.0\", "
	         "\"creationDate\": \"2026-01-02T08:00:00Z\", "
	         "\"epcisHeader\": {\"epcisMasterData\": {\"vocabularyList\": "
	         "[{\"type\": \"urn:epcglobal:epcis:vtype:BusinessLocation\", "
	         "\"vocabularyElementList\": [{\"id\": "
	         "\"urn:epc:id:sgln:0614141.00888.0\", \"attributes\": "
	         "[{\"id\": \"urn:epcglobal:cbv:mda#name\", \"attribute\": "
	         "\"Mill\"}, {\"id\": \"cbvmda:latitude\", \"attribute\": "
	         "52.5}]}]}]}}, "
	         "\"epcisBody\": {\"eventList\": [%s, "
	         "{\"type\": \"ObjectEvent\", \"action\": \"CREATE\"}]}}",
	         doc_event);
	root = parse(text);
	d = doc_ok(root);
	assert_int_equal(d->n_items, 3);

	assert_int_equal(wb_epcis_doc_stamp(&s, d, 0, ledger_id, &p), WB_OK);
	assert_int_equal(s->kind, WB_KIND_MASTER_DATA);
	assert_string_equal(s->master_data->vocabulary_type,
	                    "urn:epcglobal:epcis:vtype:BusinessLocation");
	assert_string_equal(s->master_data->element_id,
	                    "urn:epc:id:sgln:0614141.00888.0");
	assert_int_equal(s->master_data->n_attributes, 2);
	assert_string_equal(s->master_data->attributes[0].key,
	                    "urn:epcglobal:cbv:mda#name");
	assert_string_equal(s->master_data->attributes[0].text, "Mill");
	assert_string_equal(s->master_data->attributes[1].json, "52.5");
	assert_memory_equal(s->event_id, WB_EPCIS_ASSIGNED_ID,
	                    strlen(WB_EPCIS_ASSIGNED_ID));
	wb_stamp_free(s);

	/* The event keeps the document's declaration of "example". */
	assert_int_equal(wb_epcis_doc_stamp(&s, d, 1, ledger_id, &p), WB_OK);
	assert_non_null(s->context_json);
	assert_non_null(
	        strstr(s->context_json, "https://ns.example.com/epcis/"));
	assert_int_equal(wb_epcis_event_to_json(&back, s), WB_OK);
	assert_int_equal(
	        json_integer_value(json_object_get(back, "example:myField")),
	        5);
	json_decref(back);

	/* The bad event: refused with its path in the document. */
	assert_int_equal(wb_epcis_doc_stamp(&again, d, 2, ledger_id, &p),
	                 WB_EPROTO);
	assert_null(again);
	if (strncmp(p.msg, "$.epcisBody.eventList[1].", 25) != 0) {
		fail_msg("got \"%s\"", p.msg);
	}
	assert_int_equal(wb_epcis_doc_stamp(&again, d, 3, ledger_id, &p),
	                 WB_EINVAL);
	wb_epcis_doc_free(d);

	/* Read again: the same bytes, so a re-import is a duplicate. */
	d = doc_ok(root);
	assert_int_equal(wb_epcis_doc_stamp(&again, d, 1, ledger_id, &p),
	                 WB_OK);
	assert_int_equal(wb_stamp_encode(&b1, &n1, s), WB_OK);
	assert_int_equal(wb_stamp_encode(&b2, &n2, again), WB_OK);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	free(b1);
	free(b2);
	wb_stamp_free(again);
	wb_stamp_free(s);
	wb_epcis_doc_free(d);
	assert_int_equal(wb_epcis_doc_read(NULL, root, &p), WB_EINVAL);
	wb_epcis_doc_free(NULL);
	json_decref(root);
}

int
main(void)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test(test_epcis_json_examples_round_trip),
		cmocka_unit_test(
		        test_epcis_json_invalid_examples_refused_with_path),
		cmocka_unit_test(test_epcis_json_object_event_fields),
		cmocka_unit_test(test_epcis_json_quantities_and_children),
		cmocka_unit_test(test_epcis_json_persistent_disposition),
		cmocka_unit_test(test_epcis_json_extension_fields_nested),
		cmocka_unit_test(test_epcis_json_sensor_report_every_field),
		cmocka_unit_test(test_epcis_json_error_declaration),
		cmocka_unit_test(test_epcis_json_waybill_attributes),
		cmocka_unit_test(test_epcis_json_recall_and_lift),
		cmocka_unit_test(test_epcis_json_master_data),
		cmocka_unit_test(test_epcis_json_times_and_offsets),
		cmocka_unit_test(
		        test_epcis_json_assigned_event_id_is_deterministic),
		cmocka_unit_test(test_epcis_json_cbv_words_kept_as_written),
		cmocka_unit_test(test_epcis_json_error_paths),
		cmocka_unit_test(test_epcis_json_bad_arguments_and_stamps),
		cmocka_unit_test(
		        test_epcis_json_wrong_types_everywhere_never_crash),
		cmocka_unit_test(test_epcis_doc_forms_and_paths),
		cmocka_unit_test(test_epcis_doc_refusals),
		cmocka_unit_test(test_epcis_doc_stamps),
	};
	/* The first two need the public examples in ../shared; without them
	 * the rest still runs. */
	size_t skip = test_shared_path("epcis/examples") == NULL ? 2 : 0;

	if (skip != 0) {
		printf("# ../shared/data/epcis/examples is absent: the two example tests are not run\n");
	}
	return _cmocka_run_group_tests("epcis_json", all + skip,
	                               sizeof(all) / sizeof(all[0]) - skip,
	                               NULL, NULL);
}
