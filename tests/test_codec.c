/* SPDX-License-Identifier: MIT */
/* The codec: every field family of a stamp, a registry change, an entry and
 * a receipt survives bytes -> struct -> bytes unchanged, presence included. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

/* Encodes s, decodes it, encodes the result: both byte strings equal. */
static wb_stamp *
round_trip(const wb_stamp *s)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	wb_stamp *d = NULL;

	assert_int_equal(wb_stamp_encode(&a, &alen, s), WB_OK);
	assert_int_equal(wb_stamp_decode(&d, a, alen), WB_OK);
	assert_int_equal(wb_stamp_encode(&b, &blen, d), WB_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	return d;
}

static void
base(wb_stamp *s, wb_kind kind)
{
	memset(s, 0, sizeof(*s));
	memset(s->ledger_id, 0xab, sizeof(s->ledger_id));
	s->event_id = "urn:uuid:6b8b4567-327b-23c6-643c-986966334873";
	s->kind = kind;
	s->event_time.seconds = 1767225600;
	s->event_tz_offset = "-06:00";
}

static void
test_codec_minimal_stamp_keeps_absence(void **state)
{
	wb_stamp s;
	wb_stamp *d;

	(void)state;
	base(&s, WB_KIND_OBJECT);
	d = round_trip(&s);
	assert_string_equal(d->event_id, s.event_id);
	assert_int_equal(d->kind, WB_KIND_OBJECT);
	assert_int_equal(d->event_time.seconds, 1767225600);
	assert_false(d->event_time.has_nanos);
	assert_false(d->has_action);
	assert_null(d->parent_id);
	assert_null(d->read_point);
	assert_null(d->biz_step);
	assert_null(d->persistent_disposition);
	assert_null(d->error_declaration);
	assert_null(d->ilmd_json);
	assert_null(d->recall);
	assert_int_equal(d->n_epcs, 0);
	assert_memory_equal(d->ledger_id, s.ledger_id, WB_HASH_LEN);
	wb_stamp_free(d);
}

static void
test_codec_what_fields_round_trip(void **state)
{
	const char *epcs[] = { "urn:epc:id:sgtin:0614141.107346.2017",
		               "https://id.gs1.org/01/09506000134352/21/7" };
	const char *ins[] = { "urn:epc:id:sgtin:4012345.011122.25" };
	const char *outs[] = { "urn:epc:id:sgtin:4012345.077889.25" };
	wb_quantity q[] = {
		{ "urn:epc:class:lgtin:4012345.012345.998877", true, 200,
		  "KGM" },
		{ "urn:epc:idpat:sgtin:4012345.098765.*", true, 0, NULL },
		{ "urn:epc:class:lgtin:4012345.011111.4444", false, 0, NULL },
	};
	wb_stamp s;
	wb_stamp *d;

	(void)state;
	base(&s, WB_KIND_TRANSFORMATION);
	s.epcs = epcs;
	s.n_epcs = 2;
	s.quantities = q;
	s.n_quantities = 3;
	s.parent_id = "urn:epc:id:sscc:0614141.1234567890";
	s.input_epcs = ins;
	s.n_input_epcs = 1;
	s.input_quantities = q;
	s.n_input_quantities = 1;
	s.output_epcs = outs;
	s.n_output_epcs = 1;
	s.output_quantities = q + 1;
	s.n_output_quantities = 2;
	s.transformation_id = "urn:epc:id:gdti:0614141.12345.400";
	s.has_action = true;
	s.action = WB_ACTION_DELETE;
	s.event_time.has_nanos = true;
	s.event_time.nanos = 0;
	d = round_trip(&s);
	assert_int_equal(d->n_epcs, 2);
	assert_string_equal(d->epcs[1], epcs[1]);
	assert_int_equal(d->n_quantities, 3);
	assert_true(d->quantities[1].has_quantity);
	assert_true(d->quantities[1].quantity == 0);
	assert_null(d->quantities[1].uom);
	assert_false(d->quantities[2].has_quantity);
	assert_string_equal(d->quantities[0].uom, "KGM");
	assert_string_equal(d->parent_id, s.parent_id);
	assert_string_equal(d->input_epcs[0], ins[0]);
	assert_int_equal(d->n_output_quantities, 2);
	assert_string_equal(d->transformation_id, s.transformation_id);
	assert_true(d->has_action);
	assert_int_equal(d->action, WB_ACTION_DELETE);
	assert_true(d->event_time.has_nanos);
	assert_int_equal(d->event_time.nanos, 0);
	wb_stamp_free(d);
}

static void
test_codec_where_why_fields_round_trip(void **state)
{
	const char *set[] = { "completeness_verified" };
	const char *unset[] = { "completeness_inferred", "x" };
	const char *certs[] = { "https://example.org/cert/1" };
	wb_location rp = { "urn:epc:id:sgln:0012345.11111.400", NULL };
	wb_location bl = { "urn:epc:id:sgln:0012345.11111.0",
		           "{\"ext1:a\":\"b\"}" };
	wb_persistent_disposition pd = { set, 1, unset, 2 };
	wb_typed_value bt[] = { { "po",
		                  "urn:epc:id:gdti:0614141.00001.1618034" },
		                { NULL, "urn:example:bt:1" } };
	wb_typed_value src[] = { { "possessing_party",
		                   "urn:epc:id:pgln:4012345.00225" } };
	wb_typed_value dst[] = { { "location",
		                   "urn:epc:id:sgln:0614141.00777.0" } };
	wb_stamp s;
	wb_stamp *d;

	(void)state;
	base(&s, WB_KIND_OBJECT);
	s.read_point = &rp;
	s.biz_location = &bl;
	s.biz_step = "receiving";
	s.disposition = "in_progress";
	s.persistent_disposition = &pd;
	s.biz_transactions = bt;
	s.n_biz_transactions = 2;
	s.sources = src;
	s.n_sources = 1;
	s.destinations = dst;
	s.n_destinations = 1;
	s.certification_info = certs;
	s.n_certification_info = 1;
	d = round_trip(&s);
	assert_string_equal(d->read_point->id, rp.id);
	assert_null(d->read_point->extensions_json);
	assert_string_equal(d->biz_location->extensions_json,
	                    bl.extensions_json);
	assert_string_equal(d->biz_step, "receiving");
	assert_int_equal(d->persistent_disposition->n_unset, 2);
	assert_string_equal(d->persistent_disposition->unset[1], "x");
	assert_null(d->biz_transactions[1].type);
	assert_string_equal(d->biz_transactions[1].value, bt[1].value);
	assert_string_equal(d->sources[0].type, "possessing_party");
	assert_string_equal(d->destinations[0].value, dst[0].value);
	assert_string_equal(d->certification_info[0], certs[0]);
	wb_stamp_free(d);
}

static void
test_codec_sensor_fields_round_trip(void **state)
{
	wb_time t1 = { 1554210300, 0, true }, t2 = { -5, 7, true };
	wb_sensor_metadata md = { .time = &t1,
		                  .start_time = &t2,
		                  .device_id = "urn:epc:id:giai:4000001.111",
		                  .biz_rules = "https://example.com/rules",
		                  .extensions_json = "{\"e:x\":1}" };
	wb_sensor_report r[2];
	wb_sensor_element se[2];
	wb_stamp s;
	wb_stamp *d;

	(void)state;
	memset(r, 0, sizeof(r));
	memset(se, 0, sizeof(se));
	r[0].type = "Temperature";
	r[0].has_value = true;
	r[0].value = 26.5;
	r[0].uom = "CEL";
	r[0].time = &t1;
	r[0].has_boolean_value = true;
	r[0].boolean_value = false;
	r[0].has_s_dev = true;
	r[0].s_dev = 0.1;
	r[0].has_perc_rank = true;
	r[0].perc_rank = 50;
	r[0].hex_binary_value = "f0f0f0";
	r[0].coordinate_reference_system =
	        "http://www.opengis.net/def/crs/EPSG/0/4979";
	r[1].exception = "ALARM_CONDITION";
	r[1].has_min_value = true;
	r[1].min_value = -1;
	r[1].has_max_value = true;
	r[1].max_value = 1;
	r[1].has_mean_value = true;
	r[1].mean_value = 0;
	r[1].has_perc_value = true;
	r[1].perc_value = 12.7;
	r[1].string_value = "text";
	r[1].uri_value = "https://id.gs1.org/8004/4000001111";
	r[1].microorganism = "https://www.ncbi.nlm.nih.gov/taxonomy/1126011";
	r[1].chemical_substance = "https://identifiers.org/inchikey:X";
	r[1].component = "example:x";
	r[1].extensions_json = "{\"e:y\":[1,2]}";
	se[0].metadata = &md;
	se[0].reports = r;
	se[0].n_reports = 2;
	se[0].extensions_json = "{\"e:z\":true}";
	se[1].reports = r + 1;
	se[1].n_reports = 1;
	base(&s, WB_KIND_OBJECT);
	s.sensor_elements = se;
	s.n_sensor_elements = 2;
	d = round_trip(&s);
	assert_int_equal(d->n_sensor_elements, 2);
	assert_null(d->sensor_elements[1].metadata);
	assert_int_equal(d->sensor_elements[0].metadata->start_time->seconds,
	                 -5);
	assert_null(d->sensor_elements[0].metadata->end_time);
	assert_true(d->sensor_elements[0].reports[0].has_boolean_value);
	assert_false(d->sensor_elements[0].reports[0].boolean_value);
	assert_false(d->sensor_elements[0].reports[1].has_value);
	assert_true(d->sensor_elements[0].reports[1].perc_value == 12.7);
	assert_string_equal(d->sensor_elements[0].reports[1].extensions_json,
	                    r[1].extensions_json);
	assert_string_equal(d->sensor_elements[0].extensions_json,
	                    "{\"e:z\":true}");
	wb_stamp_free(d);
}

static void
test_codec_declaration_ilmd_attributes_round_trip(void **state)
{
	const char *fix[] = { "urn:uuid:1", "urn:uuid:2" };
	wb_error_declaration ed = {
		{ 1162904400, 0, false }, "incorrect_data", fix, 2, NULL
	};
	wb_attribute at[] = { { "waybill:price", "2.49 EUR", NULL },
		              { "waybill:packaging", NULL,
		                "{\"kind\":\"box\"}" },
		              { "fsma:cte", "shipping", NULL } };
	wb_stamp s;
	wb_stamp *d;

	(void)state;
	base(&s, WB_KIND_OBJECT);
	s.error_declaration = &ed;
	s.ilmd_json = "{\"cbvmda:lotNumber\":\"ABC123\"}";
	s.attributes = at;
	s.n_attributes = 3;
	s.extensions_json = "{\"ext1:int\":\"10\"}";
	s.context_json = "[{\"ext1\":\"http://example.com/ext1/\"}]";
	d = round_trip(&s);
	assert_int_equal(d->error_declaration->declaration_time.seconds,
	                 1162904400);
	assert_false(d->error_declaration->declaration_time.has_nanos);
	assert_string_equal(d->error_declaration->corrective_event_ids[1],
	                    "urn:uuid:2");
	assert_string_equal(d->ilmd_json, s.ilmd_json);
	assert_string_equal(d->attributes[0].text, "2.49 EUR");
	assert_null(d->attributes[0].json);
	assert_null(d->attributes[1].text);
	assert_string_equal(d->attributes[1].json, "{\"kind\":\"box\"}");
	assert_string_equal(d->extensions_json, s.extensions_json);
	assert_string_equal(d->context_json, s.context_json);
	wb_stamp_free(d);
}

static void
test_codec_recall_lift_master_round_trip(void **state)
{
	const char *targets[] = { "urn:epc:class:lgtin:4012345.012345.998877" };
	const char *children[] = { "urn:epc:id:sgln:4012345.00001.1" };
	wb_recall rc = { targets,           1,
		         "salmonella",      true,
		         WB_RECALL_CLASS_I, "FDA-2026-001" };
	wb_lift lift = { 42, targets, 1, "all clear" };
	wb_attribute at[] = { { "urn:epcglobal:cbv:mda#name", "Mill", NULL },
		              { "urn:epcglobal:cbv:mda#address", NULL,
		                "{\"streetAddressOne\":\"1 Road\"}" } };
	wb_master_data md = { "urn:epcglobal:epcis:vtype:BusinessLocation",
		              "urn:epc:id:sgln:4012345.00001.0",
		              at,
		              2,
		              children,
		              1 };
	wb_stamp s;
	wb_stamp *d;

	(void)state;
	base(&s, WB_KIND_RECALL);
	s.recall = &rc;
	d = round_trip(&s);
	assert_string_equal(d->recall->reason, "salmonella");
	assert_true(d->recall->has_severity);
	assert_int_equal(d->recall->severity, WB_RECALL_CLASS_I);
	assert_string_equal(d->recall->reference, "FDA-2026-001");
	wb_stamp_free(d);

	base(&s, WB_KIND_LIFT);
	s.lift = &lift;
	d = round_trip(&s);
	assert_int_equal(d->lift->recall_index, 42);
	assert_int_equal(d->lift->n_targets, 1);
	assert_string_equal(d->lift->reason, "all clear");
	wb_stamp_free(d);

	base(&s, WB_KIND_MASTER_DATA);
	s.master_data = &md;
	d = round_trip(&s);
	assert_string_equal(d->master_data->element_id, md.element_id);
	assert_string_equal(d->master_data->attributes[1].json, at[1].json);
	assert_string_equal(d->master_data->children[0], children[0]);
	wb_stamp_free(d);
}

static void
test_codec_rejects_garbage_and_missing_fields(void **state)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0x01, 0x02 };
	wb_stamp s, *d = NULL;
	uint8_t *bytes = NULL;
	size_t len;

	(void)state;
	assert_int_equal(wb_stamp_decode(&d, garbage, sizeof(garbage)),
	                 WB_EPROTO);
	assert_null(d);
	assert_int_equal(wb_stamp_decode(&d, garbage, 0), WB_EPROTO);
	base(&s, WB_KIND_OBJECT);
	s.event_id = NULL;
	assert_int_equal(wb_stamp_encode(&bytes, &len, &s), WB_EINVAL);
	/* A truncated stamp misses required fields. */
	base(&s, WB_KIND_OBJECT);
	assert_int_equal(wb_stamp_encode(&bytes, &len, &s), WB_OK);
	assert_int_equal(wb_stamp_decode(&d, bytes, len / 2), WB_EPROTO);
	free(bytes);
}

static void
test_codec_registry_change_round_trips(void **state)
{
	wb_role roles[] = { WB_ROLE_BRAND_OWNER, WB_ROLE_REGULATOR };
	wb_namespace ns[] = { { WB_NS_GS1_COMPANY_PREFIX, "4012345" },
		              { WB_NS_LITERAL_PREFIX, "urn:example:" } };
	wb_registry_change c = { 0 }, *d = NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;

	(void)state;
	c.change_id = "reg-1";
	c.op = WB_REG_REGISTER;
	memset(c.key.b, 7, WB_PUBKEY_LEN);
	c.name = "Mill";
	c.party_id = "urn:epc:id:pgln:4012345.00000";
	c.roles = roles;
	c.n_roles = 2;
	c.namespaces = ns;
	c.n_namespaces = 2;
	assert_int_equal(wb_registry_change_encode(&a, &alen, &c), WB_OK);
	assert_int_equal(wb_registry_change_decode(&d, a, alen), WB_OK);
	assert_int_equal(wb_registry_change_encode(&b, &blen, d), WB_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_string_equal(d->name, "Mill");
	assert_int_equal(d->namespaces[1].kind, WB_NS_LITERAL_PREFIX);
	assert_int_equal(d->roles[1], WB_ROLE_REGULATOR);
	wb_registry_change_free(d);
	free(a);
	free(b);

	memset(&c, 0, sizeof(c));
	c.change_id = "rev-1";
	c.op = WB_REG_REVOKE;
	c.effective_index = 17;
	assert_int_equal(wb_registry_change_encode(&a, &alen, &c), WB_OK);
	assert_int_equal(wb_registry_change_decode(&d, a, alen), WB_OK);
	assert_int_equal(d->op, WB_REG_REVOKE);
	assert_int_equal(d->effective_index, 17);
	assert_null(d->reason);
	wb_registry_change_free(d);
	free(a);
}

static void
test_codec_entry_round_trips_and_checks_lengths(void **state)
{
	wb_link links[2] = {
		{ "(01)10614141073464(21)2017", false, 0, { { 0 } } },
		{ "urn:example:x", true, 5, { { 0 } } }
	};
	uint8_t body[3] = { 1, 2, 3 };
	wb_entry e = { 0 }, *d = NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;

	(void)state;
	memset(links[1].prev_leaf_hash.b, 9, WB_HASH_LEN);
	e.index = 6;
	e.record_time_us = 1767225600000000ull;
	e.type = WB_ENTRY_STAMP;
	e.body = body;
	e.body_len = 3;
	memset(e.signer.b, 4, WB_PUBKEY_LEN);
	memset(e.signature, 5, WB_SIG_LEN);
	e.links = links;
	e.n_links = 2;
	assert_int_equal(wb_entry_encode(&a, &alen, &e), WB_OK);
	assert_int_equal(wb_entry_decode(&d, a, alen), WB_OK);
	assert_int_equal(wb_entry_encode(&b, &blen, d), WB_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_false(d->links[0].has_prev);
	assert_true(d->links[1].has_prev);
	assert_int_equal(d->links[1].prev_index, 5);
	assert_memory_equal(d->links[1].prev_leaf_hash.b,
	                    links[1].prev_leaf_hash.b, WB_HASH_LEN);
	wb_entry_free(d);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_minimal_stamp_keeps_absence),
		cmocka_unit_test(test_codec_what_fields_round_trip),
		cmocka_unit_test(test_codec_where_why_fields_round_trip),
		cmocka_unit_test(test_codec_sensor_fields_round_trip),
		cmocka_unit_test(
		        test_codec_declaration_ilmd_attributes_round_trip),
		cmocka_unit_test(test_codec_recall_lift_master_round_trip),
		cmocka_unit_test(test_codec_rejects_garbage_and_missing_fields),
		cmocka_unit_test(test_codec_registry_change_round_trips),
		cmocka_unit_test(
		        test_codec_entry_round_trips_and_checks_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
