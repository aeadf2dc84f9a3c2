/* SPDX-License-Identifier: MIT */
/*
 * waybill/epcis_export.h: journal entries as EPCIS events (recordTime and
 * the ledger's facts added, registry entries skipped) and the
 * EPCISQueryDocument around them (@context bindings, numbers, the
 * envelope).
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/epcis.h"
#include "waybill/epcis_export.h"

static const uint8_t ledger_id[WB_HASH_LEN] = { 1, 2, 3 };

/* 2026-03-01T08:00:00.123456Z */
#define RECORD_US 1772352000123456ull

/* The bytes of a stamp entry holding stamp s, at index 7. */
static uint8_t *
entry_of_stamp(size_t *len, const wb_stamp *s)
{
	wb_signer *k = test_signer("exporter", 9);
	wb_entry e = { 0 };
	uint8_t *body = NULL, *out = NULL;
	size_t body_len;

	assert_int_equal(wb_stamp_encode(&body, &body_len, s), WB_OK);
	e.index = 7;
	e.record_time_us = RECORD_US;
	e.type = WB_ENTRY_STAMP;
	e.body = body;
	e.body_len = body_len;
	e.signer = *wb_signer_pubkey(k);
	assert_int_equal(wb_entry_encode(&out, len, &e), WB_OK);
	free(body);
	wb_signer_free(k);
	return out;
}

/* The stamp of the event `json`, read with the @context `ctx` (may be
 * NULL). */
static wb_stamp *
stamp_of(const char *json, const char *ctx)
{
	json_error_t err;
	json_t *ev = json_loads(json, 0, &err), *c = NULL;
	wb_stamp *s = NULL;
	wb_problem p = { 0 };

	assert_non_null(ev);
	if (ctx != NULL) {
		c = json_loads(ctx, 0, &err);
		assert_non_null(c);
	}
	if (wb_epcis_event_from_json(&s, ev, c, ledger_id, &p) != WB_OK) {
		fail_msg("%s", p.msg);
	}
	json_decref(c);
	json_decref(ev);
	return s;
}

/* The bytes of a stamp entry holding the event `json`, at index 7. */
static uint8_t *
entry_of(size_t *len, const char *json, const char *ctx)
{
	wb_stamp *s = stamp_of(json, ctx);
	uint8_t *out = entry_of_stamp(len, s);

	wb_stamp_free(s);
	return out;
}

#define OBJECT_EVENT(extra)                                              \
	"{\"type\": \"ObjectEvent\", \"eventID\": \"urn:uuid:1\","       \
	" \"eventTime\": \"2026-03-01T09:00:00+01:00\","                 \
	" \"eventTimeZoneOffset\": \"+01:00\", \"action\": \"OBSERVE\"," \
	" \"epcList\": [\"urn:epc:id:sgtin:0614141.107346.2017\"]" extra "}"

static void
test_epcis_export_entry_gets_record_time_and_facts(void **state)
{
	size_t len;
	uint8_t *entry = entry_of(&len, OBJECT_EVENT(""), NULL);
	wb_signer *k = test_signer("exporter", 9);
	json_t *ev = NULL;
	const char *key;
	json_t *v;
	char hex[2 * WB_HASH_LEN + 1];
	wb_hash leaf;
	size_t pos = 0, at_tz = 0, at_rt = 0;

	(void)state;
	assert_int_equal(wb_epcis_entry_to_json(&ev, entry, len, true), WB_OK);
	assert_string_equal(
	        json_string_value(json_object_get(ev, "recordTime")),
	        "2026-03-01T08:00:00.123456Z");
	assert_int_equal(
	        json_integer_value(json_object_get(ev, WB_EPCIS_KEY_INDEX)), 7);
	wb_hex_encode(hex, wb_signer_pubkey(k)->b, WB_PUBKEY_LEN);
	assert_string_equal(
	        json_string_value(json_object_get(ev, WB_EPCIS_KEY_SIGNER_KEY)),
	        hex);
	wb_hash_leaf(&leaf, entry, len);
	wb_hex_encode(hex, leaf.b, WB_HASH_LEN);
	assert_string_equal(
	        json_string_value(json_object_get(ev, WB_EPCIS_KEY_LEAF_HASH)),
	        hex);
	/* recordTime follows eventTimeZoneOffset. */
	json_object_foreach(ev, key, v)
	{
		pos++;
		at_tz = strcmp(key, "eventTimeZoneOffset") == 0 ? pos : at_tz;
		at_rt = strcmp(key, "recordTime") == 0 ? pos : at_rt;
	}
	assert_int_equal(at_rt, at_tz + 1);
	json_decref(ev);

	/* Without the facts: only recordTime is added. */
	assert_int_equal(wb_epcis_entry_to_json(&ev, entry, len, false), WB_OK);
	assert_null(json_object_get(ev, WB_EPCIS_KEY_INDEX));
	assert_null(json_object_get(ev, WB_EPCIS_KEY_LEAF_HASH));
	assert_non_null(json_object_get(ev, "recordTime"));
	json_decref(ev);
	free(entry);
	wb_signer_free(k);
}

static void
test_epcis_export_attribute_keeps_its_value(void **state)
{
	/* A stamp built from flags (`waybill stamp --attr index=...`) may
	 * carry an attribute under a reserved name: the export keeps its
	 * value instead of writing the ledger's index over it. (An EPCIS
	 * import drops the reserved names: see test_epcis_json.) */
	wb_attribute a = { .key = WB_EPCIS_KEY_INDEX, .text = "shelf 4" };
	wb_stamp *s = stamp_of(OBJECT_EVENT(""), NULL), copy;
	uint8_t *entry;
	json_t *ev = NULL;
	size_t len;

	(void)state;
	copy = *s;
	copy.attributes = &a;
	copy.n_attributes = 1;
	entry = entry_of_stamp(&len, &copy);
	assert_int_equal(wb_epcis_entry_to_json(&ev, entry, len, true), WB_OK);
	assert_string_equal(
	        json_string_value(json_object_get(ev, WB_EPCIS_KEY_INDEX)),
	        "shelf 4");
	json_decref(ev);
	free(entry);
	wb_stamp_free(s);
}

static void
test_epcis_export_skips_registry_refuses_garbage(void **state)
{
	wb_signer *k = test_signer("admin", 3);
	wb_entry e = { 0 };
	uint8_t body[4] = { 1, 2, 3, 4 }, *bytes = NULL, junk[5] = { 0xff };
	size_t len;
	json_t *ev = NULL;

	(void)state;
	e.index = 1;
	e.type = WB_ENTRY_REGISTRY;
	e.body = body;
	e.body_len = sizeof(body);
	e.signer = *wb_signer_pubkey(k);
	assert_int_equal(wb_entry_encode(&bytes, &len, &e), WB_OK);
	assert_int_equal(wb_epcis_entry_to_json(&ev, bytes, len, true),
	                 WB_ENOTFOUND);
	assert_null(ev);
	assert_int_equal(wb_epcis_entry_to_json(&ev, junk, sizeof(junk), true),
	                 WB_EPROTO);
	assert_int_equal(wb_epcis_entry_to_json(NULL, junk, 1, true),
	                 WB_EINVAL);
	free(bytes);
	wb_signer_free(k);
}

static void
test_epcis_export_real_precision_is_shortest_exact(void **state)
{
	json_t *a = json_pack("[f, f, i]", 2.49, 150.5, 7);
	json_t *b = json_pack("{s:[f]}", "x", 0.1 + 0.2);
	json_t *c = json_integer(1);

	(void)state;
	assert_int_equal(wb_epcis_real_precision(a), 15);
	assert_int_equal(wb_epcis_real_precision(b), 17);
	assert_int_equal(wb_epcis_real_precision(c), 15);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

/* The document an export writes, parsed; its text in *text (free()). */
static json_t *
finish(wb_epcis_export *x, char **text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	json_error_t err;
	json_t *doc;

	assert_non_null(f);
	assert_int_equal(wb_epcis_export_finish(x, f), WB_OK);
	assert_int_equal(fclose(f), 0);
	doc = json_loads(buf, 0, &err);
	if (doc == NULL) {
		fail_msg("not JSON (%s): %s", err.text, buf);
	}
	*text = buf;
	return doc;
}

static void
test_epcis_export_document_envelope_and_bindings(void **state)
{
	const wb_time created = { 1772352000, 0, false };
	wb_epcis_export_opts o = { .creation = &created };
	wb_epcis_export *x = NULL;
	size_t len, n;
	uint8_t *e1 = entry_of(
	        &len, OBJECT_EVENT(", \"fsma:cte\": \"harvesting\""), NULL);
	size_t len2;
	uint8_t *e2 =
	        entry_of(&len2,
	                 OBJECT_EVENT(", \"example:x\": {\"example:y\": 2.49},"
	                              " \"acme:z\": 1"),
	                 "{\"example\": \"https://ns.example.com/epcis/\","
	                 " \"acme\": \"https://acme.example/\"}");
	const char *const *undeclared;
	json_t *doc, *ctx, *list;
	char *text = NULL;

	(void)state;
	assert_int_equal(wb_epcis_export_new(&x, &o), WB_OK);
	assert_int_equal(
	        wb_epcis_export_declare(x, "acme", "https://acme.example/"),
	        WB_OK);
	assert_int_equal(wb_epcis_export_declare(x, "acme", "urn:other:"),
	                 WB_EEXISTS);
	assert_int_equal(wb_epcis_export_declare(x, "waybill", "urn:x:"),
	                 WB_EEXISTS);
	assert_int_equal(wb_epcis_export_declare(x, "fsma", "urn:x:"),
	                 WB_EEXISTS);
	assert_int_equal(wb_epcis_export_declare(x, "1bad", "urn:x:"),
	                 WB_EINVAL);
	assert_int_equal(wb_epcis_export_declare(x, "ok", ""), WB_EINVAL);
	assert_int_equal(wb_epcis_export_add(x, e1, len), WB_OK);
	assert_int_equal(wb_epcis_export_add(x, e2, len2), WB_OK);
	assert_int_equal(wb_epcis_export_count(x), 2);
	/* "example" is bound only in the document the event came from. */
	undeclared = wb_epcis_export_undeclared(x, &n);
	assert_int_equal(n, 1);
	assert_string_equal(undeclared[0], "example");
	assert_int_equal(wb_epcis_export_declare(
	                         x, "example", "https://ns.example.com/epcis/"),
	                 WB_OK);
	wb_epcis_export_undeclared(x, &n);
	assert_int_equal(n, 0);

	doc = finish(x, &text);
	assert_string_equal(json_string_value(json_object_get(doc, "type")),
	                    "EPCISQueryDocument");
	assert_string_equal(
	        json_string_value(json_object_get(doc, "schemaVersion")),
	        "2.0");
	assert_string_equal(
	        json_string_value(json_object_get(doc, "creationDate")),
	        "2026-03-01T08:00:00Z");
	ctx = json_object_get(doc, "@context");
	assert_int_equal(json_array_size(ctx), 2);
	assert_string_equal(json_string_value(json_array_get(ctx, 0)),
	                    WB_EPCIS_CONTEXT);
	ctx = json_array_get(ctx, 1);
	assert_string_equal(json_string_value(json_object_get(ctx, "waybill")),
	                    WB_EPCIS_NS);
	assert_string_equal(json_string_value(json_object_get(ctx, "fsma")),
	                    WB_EPCIS_FSMA_NS);
	assert_string_equal(json_string_value(json_object_get(ctx, "acme")),
	                    "https://acme.example/");
	assert_string_equal(json_string_value(json_object_get(ctx, "example")),
	                    "https://ns.example.com/epcis/");
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(doc, "epcisBody"),
	                                "queryResults"),
	                "queryName")),
	        "SimpleEventQuery");
	list = json_object_get(
	        json_object_get(
	                json_object_get(json_object_get(doc, "epcisBody"),
	                                "queryResults"),
	                "resultsBody"),
	        "eventList");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(list, 0), "fsma:cte")),
	                    "harvesting");
	/* Numbers as short as exact, one event per line. */
	assert_non_null(strstr(text, "\"example:y\": 2.49}"));
	assert_null(strstr(text, "2.4900000000000002"));
	assert_int_equal(wb_epcis_export_finish(x, stdout), WB_EINVAL);
	json_decref(doc);
	free(text);
	free(e1);
	free(e2);
	wb_epcis_export_free(x);
}

static void
test_epcis_export_empty_document_is_valid_json(void **state)
{
	wb_epcis_export *x = NULL;
	json_t *doc, *list;
	char *text = NULL;

	(void)state;
	assert_int_equal(wb_epcis_export_new(&x, NULL), WB_OK);
	doc = finish(x, &text);
	list = json_object_get(
	        json_object_get(
	                json_object_get(json_object_get(doc, "epcisBody"),
	                                "queryResults"),
	                "resultsBody"),
	        "eventList");
	assert_true(json_is_array(list));
	assert_int_equal(json_array_size(list), 0);
	json_decref(doc);
	free(text);
	wb_epcis_export_free(x);
	wb_epcis_export_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		        test_epcis_export_entry_gets_record_time_and_facts),
		cmocka_unit_test(test_epcis_export_attribute_keeps_its_value),
		cmocka_unit_test(
		        test_epcis_export_skips_registry_refuses_garbage),
		cmocka_unit_test(
		        test_epcis_export_real_precision_is_shortest_exact),
		cmocka_unit_test(
		        test_epcis_export_document_envelope_and_bindings),
		cmocka_unit_test(
		        test_epcis_export_empty_document_is_valid_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
