/* SPDX-License-Identifier: MIT */
/*
 * `waybill epcis export` end to end against the real daemon: a small chain
 * (a lot commissioned, transformed into a second lot, that lot shipped,
 * the first recalled) imported, then exported by twin, trace, search and
 * range, each document checked event by event (which stamps, in journal
 * order, with the ledger's facts); --no-ledger-fields; --help; and the
 * exit code of each class of error (usage 2, refused 3, network 4, files
 * 5: an existing --out is never overwritten).
 */
#include "clirun.h"
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waybill/epcis_export.h"

#define LOT_A "urn:epc:class:lgtin:4012345.012345.A1"
#define LOT_B "urn:epc:class:lgtin:4012345.012346.B1"
#define STORE "urn:epc:id:sgln:4012345.00001.0"

static const char chain[] =
        "[{\"type\": \"ObjectEvent\", \"eventID\": \"urn:uuid:00000000-0000-4000-8000-00000000000a\","
        "  \"eventTime\": \"2026-01-01T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\","
        "  \"action\": \"ADD\", \"bizStep\": \"commissioning\","
        "  \"quantityList\": [{\"epcClass\": \"" LOT_A
        "\", \"quantity\": 100, \"uom\": \"KGM\"}]},"
        " {\"type\": \"TransformationEvent\", \"eventID\": \"urn:uuid:00000000-0000-4000-8000-00000000000b\","
        "  \"eventTime\": \"2026-01-02T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\","
        "  \"bizStep\": \"commissioning\","
        "  \"inputQuantityList\": [{\"epcClass\": \"" LOT_A
        "\", \"quantity\": 100, \"uom\": \"KGM\"}],"
        "  \"outputQuantityList\": [{\"epcClass\": \"" LOT_B
        "\", \"quantity\": 80, \"uom\": \"KGM\"}]},"
        " {\"type\": \"ObjectEvent\", \"eventID\": \"urn:uuid:00000000-0000-4000-8000-00000000000c\","
        "  \"eventTime\": \"2026-01-03T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\","
        "  \"action\": \"OBSERVE\", \"bizStep\": \"shipping\","
        "  \"quantityList\": [{\"epcClass\": \"" LOT_B
        "\", \"quantity\": 80, \"uom\": \"KGM\"}],"
        "  \"destinationList\": [{\"type\": \"location\", \"destination\": \"" STORE
        "\"}]},"
        " {\"type\": \"waybill:RecallEvent\", \"eventID\": \"urn:uuid:00000000-0000-4000-8000-00000000000d\","
        "  \"eventTime\": \"2026-01-04T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\","
        "  \"waybill:recall\": {\"targets\": [\"" LOT_A
        "\"], \"reason\": \"Salmonella\"}}]";

struct world {
	td_daemon d;
	wb_rpc_client *c;
	wb_signer *maker;
	char key[4096];
	uint64_t first; /* the index of the chain's first stamp */
};

static struct world *W;

static int
setup(void **state)
{
	char path[4200];
	FILE *f;
	cli_result r;

	W = calloc(1, sizeof(*W));
	assert_non_null(W);
	td_ledger(&W->d, WB_CUSTODY_ADVISORY);
	td_start(&W->d, "ipc", NULL);
	W->c = td_client(&W->d, W->d.admin, false);
	W->maker = td_register(&W->d, W->c, "maker", 41,
	                       1u << WB_ROLE_BRAND_OWNER, "4012345");
	snprintf(W->key, sizeof(W->key), "%s/maker.key", W->d.dir);
	assert_int_equal(wb_keyfile_write(W->key, W->maker), WB_OK);
	snprintf(path, sizeof(path), "%s/chain.json", W->d.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(chain, f);
	assert_int_equal(fclose(f), 0);
	r = cli_run("epcis", "import", path, "--json", "--key", W->key,
	            "--server", W->d.url, NULL);
	cli_expect_status(&r, 0);
	W->first = (uint64_t)json_integer_value(
	        json_object_get(json_array_get(r.json, 0), "index"));
	assert_true(W->first >= 2);
	cli_result_free(&r);
	*state = W;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	wb_rpc_client_close(W->c);
	td_stop(&W->d);
	wb_signer_free(W->maker);
	td_cleanup(&W->d);
	free(W);
	return 0;
}

/* Runs `waybill epcis export ARGS... --key K --server S` to stdout and
 * returns the events' waybill:index values as a string "2 3 5". */
static void
indexes_of(char *out, size_t size, const cli_result *r)
{
	const json_t *list = json_object_get(
	        json_object_get(
	                json_object_get(json_object_get(r->json, "epcisBody"),
	                                "queryResults"),
	                "resultsBody"),
	        "eventList");
	const json_t *ev;
	size_t i, n = 0;

	assert_true(json_is_array(list));
	out[0] = '\0';
	json_array_foreach(list, i, ev)
	{
		n += (size_t)snprintf(
		        out + n, size - n, "%s%lld", i ? " " : "",
		        (long long)json_integer_value(
		                json_object_get(ev, WB_EPCIS_KEY_INDEX)));
	}
}

#define EXPORT(...)                                                          \
	cli_run("epcis", "export", __VA_ARGS__, "--key", W->key, "--server", \
	        W->d.url, NULL)

static void
expect_indexes(cli_result *r, uint64_t a, int n, ...)
{
	char want[256] = "", got[256];
	size_t len = 0;
	va_list ap;

	(void)a;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(
		        want + len, sizeof(want) - len, "%s%llu", i ? " " : "",
		        (unsigned long long)(W->first + va_arg(ap, int)));
	}
	va_end(ap);
	cli_expect_status(r, 0);
	indexes_of(got, sizeof(got), r);
	assert_string_equal(got, want);
	cli_result_free(r);
}

static void
test_cli_epcis_export_modes_pick_their_stamps(void **state)
{
	cli_result r;
	char first[24], end[24];

	(void)state;
	/* LOT_A: commissioned, consumed, recalled. */
	r = EXPORT("--twin", LOT_A);
	expect_indexes(&r, 0, 3, 0, 1, 3);
	/* LOT_B: made by the transformation, shipped. */
	r = EXPORT("--twin", LOT_B);
	expect_indexes(&r, 0, 2, 1, 2);
	/* Upstream of LOT_B: the edge's stamp and both lots' histories. */
	r = EXPORT("--trace", LOT_B);
	expect_indexes(&r, 0, 4, 0, 1, 2, 3);
	/* Downstream of LOT_B: nothing beyond it, its own history. */
	r = EXPORT("--trace", LOT_B, "--down");
	expect_indexes(&r, 0, 2, 1, 2);
	r = EXPORT("--search", "--biz-step", "shipping");
	expect_indexes(&r, 0, 1, 2);
	r = EXPORT("--search", "--biz-step", "commissioning", "--limit", "1");
	expect_indexes(&r, 0, 1, 0);
	/* The range from 0 skips the genesis and the registry entry. */
	snprintf(first, sizeof(first), "%llu",
	         (unsigned long long)W->first + 1);
	snprintf(end, sizeof(end), "%llu", (unsigned long long)W->first + 3);
	r = EXPORT("--range", "0", "end");
	expect_indexes(&r, 0, 4, 0, 1, 2, 3);
	r = EXPORT("--range", first, end);
	expect_indexes(&r, 0, 2, 1, 2);
}

static void
test_cli_epcis_export_document_and_fields(void **state)
{
	cli_result r;
	const json_t *list, *ev;
	char out[4200];

	(void)state;
	r = EXPORT("--twin", LOT_A);
	cli_expect_status(&r, 0);
	assert_string_equal(json_string_value(json_object_get(r.json, "type")),
	                    "EPCISQueryDocument");
	list = json_object_get(
	        json_object_get(
	                json_object_get(json_object_get(r.json, "epcisBody"),
	                                "queryResults"),
	                "resultsBody"),
	        "eventList");
	ev = json_array_get(list, 2);
	assert_string_equal(json_string_value(json_object_get(ev, "type")),
	                    "waybill:RecallEvent");
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(ev, "waybill:recall"), "reason")),
	        "Salmonella");
	assert_non_null(json_object_get(ev, "recordTime"));
	assert_int_equal(strlen(json_string_value(
	                         json_object_get(ev, WB_EPCIS_KEY_LEAF_HASH))),
	                 64);
	cli_result_free(&r);

	/* --no-ledger-fields, to a file; the summary says what it wrote. */
	snprintf(out, sizeof(out), "%s/a.json", W->d.dir);
	r = EXPORT("--twin", LOT_A, "--no-ledger-fields", "--out", out,
	           "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "events")),
	                 3);
	assert_string_equal(json_string_value(json_object_get(r.json, "out")),
	                    out);
	cli_result_free(&r);
	{
		json_error_t err;
		json_t *doc = json_load_file(out, 0, &err);

		assert_non_null(doc);
		ev = json_array_get(
		        json_object_get(
		                json_object_get(
		                        json_object_get(
		                                json_object_get(doc,
		                                                "epcisBody"),
		                                "queryResults"),
		                        "resultsBody"),
		                "eventList"),
		        0);
		assert_string_equal(
		        json_string_value(json_object_get(ev, "eventID")),
		        "urn:uuid:00000000-0000-4000-8000-00000000000a");
		assert_null(json_object_get(ev, WB_EPCIS_KEY_INDEX));
		assert_null(json_object_get(ev, WB_EPCIS_KEY_SIGNER_KEY));
		json_decref(doc);
	}
	/* Never overwritten: exit 5, the file as it was. */
	{
		size_t len, len2;
		char *before = test_read_file(out, &len), *after;

		r = EXPORT("--twin", LOT_B, "--out", out);
		cli_expect_status(&r, 5);
		assert_non_null(strstr(r.err, "exists"));
		cli_result_free(&r);
		after = test_read_file(out, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(before, after, len);
		free(before);
		free(after);
	}
}

static void
test_cli_epcis_export_exit_codes(void **state)
{
	cli_result r;

	(void)state;
	r = cli_run("epcis", "export", "--help", NULL);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "usage: waybill epcis export"));
	assert_non_null(strstr(r.out, "--server URL"));
	cli_result_free(&r);

	/* Usage: 2. */
	r = EXPORT("--json");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "say what to export"));
	cli_result_free(&r);
	r = EXPORT("--twin", LOT_A, "--search");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = EXPORT("--range", "5", "3");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = EXPORT("--range", "0", "100000");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "the ledger holds"));
	cli_result_free(&r);
	r = EXPORT("--range", "x", "end");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = EXPORT("--twin", LOT_A, "--biz-step", "shipping");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "go with --search"));
	cli_result_free(&r);
	r = EXPORT("--search", "--event-from", "yesterday");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = EXPORT("--twin", LOT_A, "--prefix", "novalue");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = EXPORT("--twin", LOT_A, "--prefix", "waybill=urn:other:");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = EXPORT("--twin", LOT_A, "--bogus");
	cli_expect_status(&r, 2);
	cli_result_free(&r);

	/* Refused: 3 (no key; a twin the ledger never saw). */
	r = cli_run("epcis", "export", "--twin", LOT_A, "--server", W->d.url,
	            NULL);
	cli_expect_status(&r, 3);
	cli_result_free(&r);
	r = EXPORT("--twin", "urn:epc:id:sgtin:4012345.012345.404");
	cli_expect_status(&r, 3);
	cli_result_free(&r);

	/* Network: 4. */
	r = cli_run("epcis", "export", "--twin", LOT_A, "--key", W->key,
	            "--server", "ipc:///nonexistent/waybill.sock", "--timeout",
	            "1", NULL);
	cli_expect_status(&r, 4);
	cli_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_epcis_export_modes_pick_their_stamps),
		cmocka_unit_test(test_cli_epcis_export_document_and_fields),
		cmocka_unit_test(test_cli_epcis_export_exit_codes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
