/* SPDX-License-Identifier: MIT */
/*
 * waybill export --fsma204 and audit --fsma204 end to end: a farm, a
 * packing house, a distribution centre and a store described by master
 * data; a lettuce lot harvested, cooled, shipped with a bill of lading and
 * received; transformed into a salad lot, shipped to the DC, received,
 * shipped to the store and received; bags of the salad lot packed in a
 * case that travels to the store on its own (rows through membership and
 * containment); plus stamps that must not appear (an inspection, packing,
 * another lot). The export is checked row by row, every
 * column; the audit passes, then catches an altered cell, a deleted row,
 * two rows swapped, an altered entry byte and a checkpoint signed by
 * another key. Usage errors exit 2, an unknown lot 3, no server 4.
 * Stamped through `waybill stamp`: a case shipped to the store, received
 * there (with --owner and --from-location) and unpacked whole: its
 * shipping and receiving stay rows of the lot, with the places as
 * ship_from and ship_to.
 * OP_MASTER_DATA through the client library: found, not found, a bad ID,
 * no key.
 */
#include "clirun.h"
#include "daemon.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORIGIN "test.example/ledger"
#define LOT    "urn:epc:class:lgtin:4000001.000001.L1"
#define SALAD  "urn:epc:class:lgtin:4000002.000002.S1"
#define OTHER  "urn:epc:class:lgtin:4000001.000001.L2"
#define FARM   "urn:epc:id:sgln:4000001.00001.0"
#define PACK   "urn:epc:id:sgln:4000002.00001.0"
#define DC     "urn:epc:id:sgln:4000003.00001.0"
#define STORE  "urn:epc:id:sgln:4000004.00001.0"
#define BAG1   "urn:epc:id:sgtin:4000002.000002.101"
#define BAG2   "urn:epc:id:sgtin:4000002.000002.102"
#define CASE   "urn:epc:id:sscc:4000002.0000000001"
#define LOT3   "urn:epc:class:lgtin:4000002.000002.S3"
#define BAG3   "urn:epc:id:sgtin:4000002.000002.301"
#define BAG4   "urn:epc:id:sgtin:4000002.000002.302"
#define CASE3  "urn:epc:id:sscc:4000002.0000000003"
#define OWNER  "urn:epc:id:pgln:4000004.00000"
#define T0     1767225600 /* 2026-01-01T00:00:00Z */

#define FARM_DESC  "Green Acres Farm, 1 Field Rd, Salinas (" FARM ")"
#define PACK_DESC  "Valley Packing House, Yuma (" PACK ")"
#define DC_DESC    "Central DC (" DC ")"
#define STORE_DESC "Corner Store, 5 Main St, Springfield (" STORE ")"
#define LETTUCE    "Romaine Lettuce"
#define SALAD_NAME "Chopped Salad \"Fresh\""

struct world {
	td_daemon d;
	wb_rpc_client *c;
	wb_signer *farm, *pack, *dc, *store, *fda;
	char key[4096];    /* the regulator's key file */
	char *log_key;     /* the log's verifier key text */
	char csv[4096];    /* the clean export */
	uint64_t idx[12];  /* the rows' entries, in row order */
	char leaf[12][65]; /* and their leaf hashes */
	int seq;
};

static struct world W;

static const char *
path(const char *name)
{
	static char buf[8][4096];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", W.d.dir, name);
	return p;
}

static uint64_t
submit(const wb_signer *s, wb_stamp *st, int64_t at, uint32_t nanos)
{
	char ev[32];

	snprintf(ev, sizeof(ev), "fsma-%d", W.seq++);
	st->event_id = ev;
	st->event_time.seconds = at;
	st->event_time.nanos = nanos;
	st->event_time.has_nanos = nanos != 0;
	return td_submit_stamp(&W.d, W.c, s, st);
}

static void
master(const wb_signer *s, const char *vtype, const char *element,
       const char *name, const char *street, const char *city)
{
	wb_attribute a[3] = { { "cbvmda:name", name, NULL } };
	wb_master_data md = { vtype, element, a, 1, NULL, 0 };
	wb_stamp st = { .kind = WB_KIND_MASTER_DATA, .master_data = &md };

	if (street != NULL) {
		a[md.n_attributes++] =
		        (wb_attribute){ "cbvmda:streetAddressOne", street,
			                NULL };
	}
	if (city != NULL) {
		a[md.n_attributes++] =
		        (wb_attribute){ "urn:epcglobal:cbv:mda#city", city,
			                NULL };
	}
	submit(s, &st, T0, 0);
}

/* An ObjectEvent about a quantity of one lot. */
static uint64_t
lot_event(const wb_signer *s, const char *lot, double qty, wb_action action,
          const char *step, const char *place, int64_t at, uint32_t nanos,
          const wb_attribute *attr, const wb_typed_value *src,
          const wb_typed_value *dst, const wb_typed_value *bt, size_t n_bt)
{
	wb_quantity q = { lot, true, qty, "KGM" };
	wb_location loc = { place, NULL };
	wb_stamp st = { .kind = WB_KIND_OBJECT };

	st.quantities = &q;
	st.n_quantities = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	st.biz_location = &loc;
	st.attributes = attr;
	st.n_attributes = attr != NULL;
	st.sources = src;
	st.n_sources = src != NULL;
	st.destinations = dst;
	st.n_destinations = dst != NULL;
	st.biz_transactions = bt;
	st.n_biz_transactions = n_bt;
	return submit(s, &st, at, nanos);
}

static const char *bag_ids[2] = { BAG1, BAG2 };

/* The packing house commissions two bags of the salad lot (ILMD lot
 * number): an initial packing, through the bags' membership. */
static uint64_t
bags(int64_t at)
{
	wb_location loc = { PACK, NULL };
	wb_stamp st = { .kind = WB_KIND_OBJECT };

	st.epcs = bag_ids;
	st.n_epcs = 2;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	st.biz_location = &loc;
	st.ilmd_json = "{\"cbvmda:lotNumber\":\"S1\"}";
	return submit(W.pack, &st, at, 0);
}

/* The case of bags, shipped or received. */
static uint64_t
case_event(const wb_signer *s, const char *step, const char *place, int64_t at,
           const wb_typed_value *dst, const wb_typed_value *bt)
{
	const char *ids[1] = { CASE };
	wb_location loc = { place, NULL };
	wb_stamp st = { .kind = WB_KIND_OBJECT };

	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_OBSERVE;
	st.biz_step = step;
	st.biz_location = &loc;
	st.destinations = dst;
	st.n_destinations = dst != NULL;
	st.biz_transactions = bt;
	st.n_biz_transactions = bt != NULL;
	return submit(s, &st, at, 0);
}

static void
leaf_of(char out[65], uint64_t index)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	wb_hash h;

	assert_int_equal(wb_rpc_get_entry(&bytes, &len, W.c, index, NULL),
	                 WB_OK);
	wb_hash_leaf(&h, bytes, len);
	wb_hash_to_hex(out, &h);
	free(bytes);
}

static void
stamp_story(void)
{
	static const char *const loc = "urn:epcglobal:cbv:sdt:location";
	wb_attribute harvest = { "waybill:fsmaCte", "harvesting", NULL },
	             cool = { "fsma:cte", "Cooling", NULL };
	wb_typed_value farm = { loc, FARM }, pack = { loc, PACK },
	               dc = { loc, DC }, store = { loc, STORE };
	wb_typed_value bol1[2] = { { "urn:epcglobal:cbv:btt:bol", "BOL-1001" },
		                   { "urn:epcglobal:cbv:btt:po", "PO-77" } },
	               bol2 = { "https://ref.gs1.org/cbv/BTT-bol", "BOL-2002" },
	               bol3 = { "urn:epcglobal:cbv:btt:bol", "BOL-3003" },
	               bol4 = { "urn:epcglobal:cbv:btt:bol", "BOL-4004" };
	wb_quantity in = { LOT, true, 800, "KGM" },
	            out = { SALAD, true, 750, "KGM" };
	wb_location packing = { PACK, NULL };
	wb_stamp st = { .kind = WB_KIND_TRANSFORMATION };
	const char *vloc = "urn:epcglobal:epcis:vtype:BusinessLocation",
	           *vcls = "urn:epcglobal:epcis:vtype:EPCClass";

	master(W.farm, vloc, FARM, "Green Acres Farm", "1 Field Rd", "Salinas");
	master(W.pack, vloc, PACK, "Valley Packing House", NULL, "Yuma");
	master(W.dc, vloc, DC, "Central DC", NULL, NULL);
	master(W.store, vloc, STORE, "Corner Store", "5 Main St",
	       "Springfield");
	master(W.farm, vcls, "urn:epc:idpat:sgtin:4000001.000001.*", LETTUCE,
	       NULL, NULL);
	master(W.pack, vcls, "urn:epc:idpat:sgtin:4000002.000002.*", SALAD_NAME,
	       NULL, NULL);

	W.idx[0] = lot_event(W.farm, LOT, 1000, WB_ACTION_ADD, "commissioning",
	                     FARM, T0 + 3600, 0, &harvest, NULL, NULL, NULL, 0);
	/* Another lot of the same farm: not in the lineage. */
	lot_event(W.farm, OTHER, 50, WB_ACTION_ADD, "commissioning", FARM,
	          T0 + 5400, 0, NULL, NULL, NULL, NULL, 0);
	W.idx[1] =
	        lot_event(W.farm, LOT, 1000, WB_ACTION_OBSERVE, "storing", FARM,
	                  T0 + 7200, 500000000, &cool, NULL, NULL, NULL, 0);
	/* Not a CTE. */
	lot_event(W.farm, LOT, 1000, WB_ACTION_OBSERVE, "inspecting", FARM,
	          T0 + 9000, 0, NULL, NULL, NULL, NULL, 0);
	W.idx[2] = lot_event(W.farm, LOT, 1000, WB_ACTION_OBSERVE, "shipping",
	                     FARM, T0 + 10800, 0, NULL, &farm, &pack, bol1, 2);
	lot_event(W.farm, OTHER, 50, WB_ACTION_OBSERVE, "shipping", FARM,
	          T0 + 11000, 0, NULL, &farm, &dc, NULL, 0);
	W.idx[3] = lot_event(W.pack, LOT, 1000, WB_ACTION_OBSERVE, "receiving",
	                     PACK, T0 + 14400, 0, NULL, &farm, NULL, bol1, 1);

	st.input_quantities = &in;
	st.n_input_quantities = 1;
	st.output_quantities = &out;
	st.n_output_quantities = 1;
	st.biz_location = &packing;
	W.idx[4] = submit(W.pack, &st, T0 + 18000, 0);

	/* Bags of the salad lot, packed in a case that travels alone. */
	W.idx[5] = bags(T0 + 19800);
	st = (wb_stamp){ .kind = WB_KIND_AGGREGATION };
	st.parent_id = CASE;
	st.epcs = bag_ids;
	st.n_epcs = 2;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "packing";
	st.biz_location = &packing;
	submit(W.pack, &st, T0 + 20400, 0);

	W.idx[6] = lot_event(W.pack, SALAD, 750, WB_ACTION_OBSERVE, "shipping",
	                     PACK, T0 + 21600, 0, NULL, &pack, &dc, &bol2, 1);
	W.idx[7] = lot_event(W.dc, SALAD, 750, WB_ACTION_OBSERVE,
	                     "urn:epcglobal:cbv:bizstep:receiving", DC,
	                     T0 + 25200, 0, NULL, NULL, NULL, NULL, 0);
	W.idx[8] = lot_event(W.dc, SALAD, 700, WB_ACTION_OBSERVE, "shipping",
	                     DC, T0 + 28800, 0, NULL, NULL, &store, &bol3, 1);
	W.idx[9] =
	        case_event(W.pack, "shipping", PACK, T0 + 30600, &store, &bol4);
	W.idx[10] =
	        lot_event(W.store, SALAD, 700, WB_ACTION_OBSERVE, "receiving",
	                  STORE, T0 + 32400, 0, NULL, NULL, NULL, NULL, 0);
	W.idx[11] =
	        case_event(W.store, "receiving", STORE, T0 + 34200, NULL, NULL);
	for (int i = 0; i < 12; i++) {
		leaf_of(W.leaf[i], W.idx[i]);
	}
}

#define RUN(r, status, ...)                        \
	do {                                       \
		(r) = cli_run(__VA_ARGS__, NULL);  \
		cli_expect_status(&(r), (status)); \
	} while (0)

static int
group_setup(void **state)
{
	(void)state;
	td_ledger(&W.d, WB_CUSTODY_ADVISORY);
	td_start(&W.d, "ipc", NULL);
	W.c = td_client(&W.d, W.d.admin, false);
	W.farm = td_register(&W.d, W.c, "Farm", 31, 1u << WB_ROLE_BRAND_OWNER,
	                     "4000001");
	W.pack = td_register(&W.d, W.c, "Packer", 32, 1u << WB_ROLE_BRAND_OWNER,
	                     "4000002");
	W.dc = td_register(&W.d, W.c, "DC", 33, 1u << WB_ROLE_LOGISTICS,
	                   "4000003");
	W.store = td_register(&W.d, W.c, "Store", 34, 1u << WB_ROLE_RETAILER,
	                      "4000004");
	W.fda = td_register(&W.d, W.c, "FDA", 35, 1u << WB_ROLE_REGULATOR,
	                    NULL);
	snprintf(W.key, sizeof(W.key), "%s/fda.key", W.d.dir);
	assert_int_equal(wb_keyfile_write(W.key, W.fda), WB_OK);
	assert_int_equal(wb_verifier_format(&W.log_key, ORIGIN,
	                                    wb_signer_pubkey(W.d.log)),
	                 WB_OK);
	stamp_story();
	snprintf(W.csv, sizeof(W.csv), "%s/lot.csv", W.d.dir);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	wb_rpc_client_close(W.c);
	wb_signer_free(W.farm);
	wb_signer_free(W.pack);
	wb_signer_free(W.dc);
	wb_signer_free(W.store);
	wb_signer_free(W.fda);
	free(W.log_key);
	td_stop(&W.d);
	td_cleanup(&W.d);
	return 0;
}

/* One cell as RFC 4180 writes it. */
static void
quote(char *out, size_t size, const char *cell)
{
	size_t n = 0;

	if (strpbrk(cell, ",\"\r\n") == NULL) {
		snprintf(out, size, "%s", cell);
		return;
	}
	out[n++] = '"';
	for (; *cell != '\0' && n + 3 < size; cell++) {
		if (*cell == '"') {
			out[n++] = '"';
		}
		out[n++] = *cell;
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* The expected CSV line of row i (0-based in the full export). */
static void
expected_line(char *out, size_t size, int i)
{
	static const char *const rows[12][12] = {
		{ "harvesting", LOT, FARM_DESC, LETTUCE, "1000", "KGM", "", "",
		  FARM_DESC, "2026-01-01T01:00:00Z", "", "" },
		{ "cooling", LOT, FARM_DESC, LETTUCE, "1000", "KGM", "", "",
		  FARM_DESC, "2026-01-01T02:00:00.500Z", "", "" },
		{ "shipping", LOT, FARM_DESC, LETTUCE, "1000", "KGM", FARM_DESC,
		  PACK_DESC, FARM_DESC, "2026-01-01T03:00:00Z", "bol;po",
		  "BOL-1001;PO-77" },
		{ "receiving", LOT, FARM_DESC, LETTUCE, "1000", "KGM",
		  FARM_DESC, PACK_DESC, PACK_DESC, "2026-01-01T04:00:00Z",
		  "bol", "BOL-1001" },
		{ "transformation", SALAD, PACK_DESC, SALAD_NAME, "750", "KGM",
		  "", "", PACK_DESC, "2026-01-01T05:00:00Z", "", "" },
		{ "initial_packing", SALAD, PACK_DESC, SALAD_NAME, "", "", "",
		  "", PACK_DESC, "2026-01-01T05:30:00Z", "", "" },
		{ "shipping", SALAD, PACK_DESC, SALAD_NAME, "750", "KGM",
		  PACK_DESC, DC_DESC, PACK_DESC, "2026-01-01T06:00:00Z", "bol",
		  "BOL-2002" },
		{ "receiving", SALAD, PACK_DESC, SALAD_NAME, "750", "KGM", "",
		  DC_DESC, DC_DESC, "2026-01-01T07:00:00Z", "", "" },
		{ "shipping", SALAD, PACK_DESC, SALAD_NAME, "700", "KGM",
		  DC_DESC, STORE_DESC, DC_DESC, "2026-01-01T08:00:00Z", "bol",
		  "BOL-3003" },
		{ "shipping", SALAD, PACK_DESC, SALAD_NAME, "", "", PACK_DESC,
		  STORE_DESC, PACK_DESC, "2026-01-01T08:30:00Z", "bol",
		  "BOL-4004" },
		{ "receiving", SALAD, PACK_DESC, SALAD_NAME, "700", "KGM", "",
		  STORE_DESC, STORE_DESC, "2026-01-01T09:00:00Z", "", "" },
		{ "receiving", SALAD, PACK_DESC, SALAD_NAME, "", "", "",
		  STORE_DESC, STORE_DESC, "2026-01-01T09:30:00Z", "", "" },
	};
	char cell[512], index[32];
	size_t n = 0;

	out[0] = '\0';
	for (int c = 0; c < 14; c++) {
		const char *v = c < 12    ? rows[i][c]
		                : c == 12 ? index
		                          : W.leaf[i];

		snprintf(index, sizeof(index), "%llu",
		         (unsigned long long)W.idx[i]);
		quote(cell, sizeof(cell), v);
		n += (size_t)snprintf(out + n, size - n, "%s%s", c ? "," : "",
		                      cell);
	}
}

#define HEADER                                                               \
	"cte,traceability_lot_code,tlc_source_location,product_description," \
	"quantity,unit,ship_from,ship_to,location,event_date,"               \
	"reference_document_type,reference_document_number,journal_index,"   \
	"leaf_hash"

/* Checks the CSV at path holds the header and rows [first, last]. */
static void
check_csv(const char *csv, int first, int last)
{
	char *text = test_read_file(csv, NULL), *line, *save = NULL;
	char want[4096];
	int i = first - 1;

	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), i++) {
		size_t len = strlen(line);

		assert_true(len > 0 && line[len - 1] == '\r');
		line[len - 1] = '\0';
		if (i < first) {
			assert_string_equal(line, HEADER);
			continue;
		}
		assert_true(i <= last);
		expected_line(want, sizeof(want), i);
		assert_string_equal(line, want);
	}
	assert_int_equal(i, last + 1);
	free(text);
}

static void
export_lot(const char *out, const char *from, const char *to)
{
	cli_result r;

	if (from != NULL) {
		RUN(r, 0, "export", "--fsma204", "--server", W.d.url, "--key",
		    W.key, "--lot", LOT, "--out", out, "--from", from, "--to",
		    to, "--json");
	} else {
		RUN(r, 0, "export", "--fsma204", "--server", W.d.url, "--key",
		    W.key, "--lot", LOT, "--out", out, "--json");
	}
	assert_non_null(r.json);
	assert_string_equal(json_string_value(json_object_get(r.json, "lot")),
	                    LOT);
	assert_string_equal(json_string_value(json_object_get(r.json, "csv")),
	                    out);
	cli_result_free(&r);
}

/* Audits csv (with bundle, NULL: the default) and returns the JSON
 * result, expecting `status`. */
static cli_result
audit(const char *csv, const char *bundle, int status)
{
	cli_result r;

	if (bundle != NULL) {
		RUN(r, status, "audit", "--fsma204", csv, "--bundle", bundle,
		    "--log-key", W.log_key, "--json");
	} else {
		RUN(r, status, "audit", "--fsma204", csv, "--log-key",
		    W.log_key, "--json");
	}
	assert_non_null(r.json);
	assert_int_equal(json_is_true(json_object_get(r.json, "ok")),
	                 status == 0);
	return r;
}

/* Expects a failed audit whose problems include one at row `row` (0:
 * not about a row) mentioning `words`. */
static void
expect_problem(const char *csv, const char *bundle, long row, const char *words)
{
	cli_result r = audit(csv, bundle, 1);
	json_t *probs = json_object_get(r.json, "problems"), *p;
	size_t i;
	bool found = false;

	assert_true(json_array_size(probs) > 0);
	json_array_foreach(probs, i, p)
	{
		json_t *jr = json_object_get(p, "row");
		const char *msg =
		        json_string_value(json_object_get(p, "problem"));

		if ((row == 0 ? jr == NULL
		              : json_integer_value(jr) == (json_int_t)row) &&
		    strstr(msg, words) != NULL) {
			found = true;
		}
	}
	if (!found) {
		fail_msg("no problem at row %ld about \"%s\": %s", row, words,
		         r.out);
	}
	cli_result_free(&r);
}

static void
test_fsma_export_rows(void **state)
{
	char *text;

	(void)state;
	export_lot(W.csv, NULL, NULL);
	check_csv(W.csv, 0, 11);
	/* Quoting: a comma in a place, quotes in a product name. */
	text = test_read_file(W.csv, NULL);
	assert_non_null(strstr(text, ",\"" STORE_DESC "\","));
	assert_non_null(strstr(text, ",\"Chopped Salad \"\"Fresh\"\"\","));
	assert_null(strstr(text, "L2"));
	free(text);
}

static void
test_fsma_export_window(void **state)
{
	const char *csv = path("window.csv");
	cli_result r;

	(void)state;
	export_lot(csv, "2026-01-01T03:30:00Z", "2026-01-01T07:30:00+00:00");
	check_csv(csv, 3, 7);
	r = audit(csv, NULL, 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows")),
	                 5);
	cli_result_free(&r);
}

static void
test_fsma_audit_clean(void **state)
{
	cli_result r;

	(void)state;
	r = audit(W.csv, NULL, 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows")),
	                 12);
	assert_string_equal(json_string_value(json_object_get(r.json, "lot")),
	                    LOT);
	assert_int_equal(json_array_size(json_object_get(r.json, "problems")),
	                 0);
	cli_result_free(&r);
	/* The table form. */
	RUN(r, 0, "audit", "--fsma204", W.csv, "--log-key", W.log_key);
	assert_non_null(strstr(r.out, "ok: 12 rows of lot " LOT));
	cli_result_free(&r);
}

/* Writes lines (CRLF-terminated) to path. */
static void
write_lines(const char *p, char **lines, size_t n)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s\r\n", lines[i]);
	}
	assert_int_equal(fclose(f), 0);
}

/* The clean CSV's lines, without their CRLF. */
static size_t
read_lines(char **text, char **lines, size_t max)
{
	char *save = NULL, *line;
	size_t n = 0;

	*text = test_read_file(W.csv, NULL);
	assert_non_null(*text);
	for (line = strtok_r(*text, "\n", &save); line != NULL && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		line[strlen(line) - 1] = '\0';
		lines[n++] = line;
	}
	return n;
}

static void
copy_bundle(const char *csv)
{
	char from[4200], to[4200];
	size_t len;
	char *b;
	FILE *f;

	snprintf(from, sizeof(from), "%s.bundle", W.csv);
	snprintf(to, sizeof(to), "%s.bundle", csv);
	b = test_read_file(from, &len);
	assert_non_null(b);
	assert_non_null(f = fopen(to, "wb"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(b);
}

static void
test_fsma_audit_catches_tampered_rows(void **state)
{
	char *text, *lines[16], *tmp, changed[4096];
	const char *csv;
	size_t n;

	(void)state;
	n = read_lines(&text, lines, 16);
	assert_int_equal(n, 13);

	/* One cell: row 3's quantity. */
	csv = path("cell.csv");
	copy_bundle(csv);
	assert_non_null(tmp = strstr(lines[3], ",1000,KGM,"));
	snprintf(changed, sizeof(changed), "%.*s,999,KGM,%s",
	         (int)(tmp - lines[3]), lines[3], tmp + 10);
	{
		char *saved = lines[3];

		lines[3] = changed;
		write_lines(csv, lines, n);
		lines[3] = saved;
	}
	expect_problem(csv, NULL, 3, "quantity is \"999\"");

	/* A deleted row: row 5 (the transformation). */
	csv = path("deleted.csv");
	copy_bundle(csv);
	{
		char *v[16];
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			if (i != 5) {
				v[k++] = lines[i];
			}
		}
		write_lines(csv, v, k);
	}
	expect_problem(csv, NULL, 5, "missing");

	/* Rows 2 and 3 swapped. */
	csv = path("swapped.csv");
	copy_bundle(csv);
	tmp = lines[2];
	lines[2] = lines[3];
	lines[3] = tmp;
	write_lines(csv, lines, n);
	expect_problem(csv, NULL, 3, "out of order");
	lines[3] = lines[2];
	lines[2] = tmp;

	/* An extra row: row 9 twice, the second with another lot. */
	csv = path("extra.csv");
	copy_bundle(csv);
	{
		char *v[16], extra[4096];

		memcpy(v, lines, n * sizeof(*v));
		assert_non_null(tmp = strstr(lines[9], SALAD));
		snprintf(extra, sizeof(extra), "%.*s%s%s",
		         (int)(tmp - lines[9]), lines[9], OTHER,
		         tmp + strlen(SALAD));
		v[n] = extra;
		write_lines(csv, v, n + 1);
	}
	expect_problem(csv, NULL, 13, "extra");
	free(text);
}

/* A copy of the clean bundle with f applied to its JSON. */
static void
tamper_bundle(const char *out, void (*f)(json_t *))
{
	char from[4200];
	json_t *b;

	snprintf(from, sizeof(from), "%s.bundle", W.csv);
	assert_non_null(b = json_load_file(from, 0, NULL));
	f(b);
	assert_int_equal(json_dump_file(b, out, JSON_INDENT(1)), 0);
	json_decref(b);
}

static void
flip_entry_byte(json_t *b)
{
	json_t *e = json_array_get(json_object_get(b, "entries"), 2);
	const char *b64 = json_string_value(json_object_get(e, "entry"));
	uint8_t bytes[65536];
	size_t len = 0;
	char *again = NULL;

	assert_int_equal(
	        wb_base64_decode(bytes, sizeof(bytes), &len, b64, strlen(b64)),
	        WB_OK);
	bytes[len - 3] ^= 0x01;
	assert_int_equal(wb_base64_encode(&again, bytes, len), WB_OK);
	json_object_set_new(e, "entry", json_string(again));
	free(again);
}

static void
forge_checkpoint(json_t *b)
{
	wb_signer *other = test_signer(ORIGIN, 99);
	const char *note = json_string_value(json_object_get(b, "checkpoint"));
	wb_checkpoint cp;
	char *forged = NULL;

	assert_int_equal(wb_checkpoint_verify(&cp, note, strlen(note), ORIGIN,
	                                      wb_signer_pubkey(W.d.log)),
	                 WB_OK);
	assert_int_equal(
	        wb_checkpoint_sign(&forged, ORIGIN, cp.size, &cp.root, other),
	        WB_OK);
	json_object_set_new(b, "checkpoint", json_string(forged));
	free(forged);
	wb_signer_free(other);
}

static void
test_fsma_audit_catches_tampered_bundles(void **state)
{
	const char *bundle = path("flipped.bundle");

	(void)state;
	tamper_bundle(bundle, flip_entry_byte);
	expect_problem(W.csv, bundle, 0, "inclusion proof does not lead");

	bundle = path("forged.bundle");
	tamper_bundle(bundle, forge_checkpoint);
	expect_problem(W.csv, bundle, 0, "not signed by the log key");
}

static void
test_fsma_errors_have_their_codes(void **state)
{
	cli_result r;

	(void)state;
	RUN(r, 2, "export", "--fsma204", "--server", W.d.url, "--key", W.key,
	    "--out", path("x.csv"));
	assert_non_null(strstr(r.err, "--lot"));
	cli_result_free(&r);
	RUN(r, 2, "export", "--fsma204", "--lot", LOT, "--out", path("x.csv"),
	    "--from", "yesterday");
	cli_result_free(&r);
	RUN(r, 2, "audit", "--fsma204", W.csv);
	cli_result_free(&r);
	RUN(r, 3, "export", "--fsma204", "--server", W.d.url, "--key", W.key,
	    "--lot", "urn:epc:class:lgtin:4000001.000001.NOPE", "--out",
	    path("nope.csv"));
	assert_non_null(strstr(r.err, "no such lot"));
	cli_result_free(&r);
	RUN(r, 4, "export", "--fsma204", "--server",
	    "ipc:///nonexistent/waybill.sock", "--timeout", "1", "--key", W.key,
	    "--lot", LOT, "--out", path("net.csv"));
	cli_result_free(&r);
	/* An existing file is never overwritten. */
	RUN(r, 5, "export", "--fsma204", "--server", W.d.url, "--key", W.key,
	    "--lot", LOT, "--out", W.csv);
	cli_result_free(&r);
	/* No bundle beside the CSV. */
	RUN(r, 5, "audit", "--fsma204", W.csv, "--bundle", path("none"),
	    "--log-key", W.log_key);
	cli_result_free(&r);
	RUN(r, 0, "export", "--fsma204", "--help");
	assert_non_null(strstr(r.out, "--lot LOT"));
	cli_result_free(&r);
	RUN(r, 0, "audit", "--fsma204", "--help");
	assert_non_null(strstr(r.out, "--log-key"));
	cli_result_free(&r);
}

/* `waybill stamp ARGS --key KEY --server URL --json`; returns the
 * entry's index. */
#define STAMP(key, ...) stamp_cli(key, __VA_ARGS__, NULL)

static uint64_t
stamp_cli(const char *key, ...)
{
	const char *argv[32] = { "stamp" };
	size_t n = 1;
	const char *a;
	cli_result r;
	uint64_t index;
	va_list ap;

	va_start(ap, key);
	while ((a = va_arg(ap, const char *)) != NULL && n < 26) {
		argv[n++] = a;
	}
	va_end(ap);
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--server";
	argv[n++] = W.d.url;
	argv[n++] = "--json";
	r = cli_run_env(NULL, NULL, NULL, argv[0], argv[1], argv[2], argv[3],
	                argv[4], argv[5], argv[6], argv[7], argv[8], argv[9],
	                argv[10], argv[11], argv[12], argv[13], argv[14],
	                argv[15], argv[16], argv[17], argv[18], argv[19],
	                argv[20], argv[21], argv[22], argv[23], argv[24],
	                argv[25], argv[26], argv[27], argv[28], argv[29],
	                argv[30], NULL);
	cli_expect_status(&r, 0);
	assert_non_null(r.json);
	index = (uint64_t)json_integer_value(json_object_get(r.json, "index"));
	assert_true(index > 0);
	cli_result_free(&r);
	return index;
}

/* The CSV line of one row: twelve cells, then the entry's index and leaf
 * hash. */
static void
row_line(char *out, size_t size, const char *const cells[12], uint64_t index)
{
	char cell[512], buf[65];
	size_t n = 0;

	for (int c = 0; c < 14; c++) {
		const char *v = cells[c < 12 ? c : 0];

		if (c == 12) {
			snprintf(buf, sizeof(buf), "%llu",
			         (unsigned long long)index);
			v = buf;
		} else if (c == 13) {
			leaf_of(buf, index);
			v = buf;
		}
		quote(cell, sizeof(cell), v);
		n += (size_t)snprintf(out + n, size - n, "%s%s", c ? "," : "",
		                      cell);
	}
}

static void
test_fsma_case_unpacked_at_store(void **state)
{
	char pack_key[4096], store_key[4096], want[3][4096];
	const char *csv = path("case3.csv");
	uint64_t commission, ship, receive;
	char *text, *line, *save = NULL;
	int i = -1;
	cli_result r;

	(void)state;
	snprintf(pack_key, sizeof(pack_key), "%s/pack.key", W.d.dir);
	assert_int_equal(wb_keyfile_write(pack_key, W.pack), WB_OK);
	snprintf(store_key, sizeof(store_key), "%s/store.key", W.d.dir);
	assert_int_equal(wb_keyfile_write(store_key, W.store), WB_OK);

	commission = STAMP(pack_key, "commission", BAG3, BAG4, "--lot", "S3",
	                   "--quantity", LOT3 ":2:EA", "--location", PACK,
	                   "--time", "2026-01-02T01:00:00Z");
	STAMP(pack_key, "pack", "--parent", CASE3, BAG3, BAG4, "--location",
	      PACK, "--time", "2026-01-02T01:10:00Z");
	ship = STAMP(pack_key, "ship", CASE3, "--from-location", PACK,
	             "--to-location", STORE, "--location", PACK, "--biz-tx",
	             "bol=BOL-5005", "--time", "2026-01-02T02:00:00Z");
	receive = STAMP(store_key, "receive", CASE3, "--owner", OWNER,
	                "--from-location", PACK, "--location", STORE, "--time",
	                "2026-01-02T03:00:00Z");
	/* Unpacked whole: the case no longer holds the bags. */
	STAMP(store_key, "unpack", "--parent", CASE3, "--location", STORE,
	      "--time", "2026-01-02T03:30:00Z");

	RUN(r, 0, "export", "--fsma204", "--server", W.d.url, "--key", W.key,
	    "--lot", LOT3, "--out", csv, "--json");
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows")),
	                 3);
	cli_result_free(&r);
	{
		const char *const c0[12] = { "initial_packing",
			                     LOT3,
			                     PACK_DESC,
			                     SALAD_NAME,
			                     "2",
			                     "EA",
			                     "",
			                     "",
			                     PACK_DESC,
			                     "2026-01-02T01:00:00Z",
			                     "",
			                     "" };
		/* From the place it left (--from-location) to the one it
		 * is going to (--to-location). */
		const char *const c1[12] = { "shipping", LOT3,
			                     PACK_DESC,  SALAD_NAME,
			                     "",         "",
			                     PACK_DESC,  STORE_DESC,
			                     PACK_DESC,  "2026-01-02T02:00:00Z",
			                     "bol",      "BOL-5005" };
		/* ship_from from --from-location; ship_to the store where it
		 * was received, not the owner --owner named. */
		const char *const c2[12] = {
			"receiving", LOT3,
			PACK_DESC,   SALAD_NAME,
			"",          "",
			PACK_DESC,   STORE_DESC,
			STORE_DESC,  "2026-01-02T03:00:00Z",
			"",          ""
		};

		row_line(want[0], sizeof(want[0]), c0, commission);
		row_line(want[1], sizeof(want[1]), c1, ship);
		row_line(want[2], sizeof(want[2]), c2, receive);
	}
	text = test_read_file(csv, NULL);
	assert_non_null(text);
	assert_null(strstr(text, OWNER));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), i++) {
		line[strlen(line) - 1] = '\0'; /* CR */
		if (i < 0) {
			assert_string_equal(line, HEADER);
		} else {
			assert_true(i < 3);
			assert_string_equal(line, want[i]);
		}
	}
	assert_int_equal(i, 3);
	free(text);

	/* The audit re-derives all three from the bundle. */
	r = audit(csv, NULL, 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows")),
	                 3);
	assert_int_equal(json_array_size(json_object_get(r.json, "problems")),
	                 0);
	cli_result_free(&r);

	/* The new options are for ship and receive (and observe) only. */
	RUN(r, 2, "stamp", "pack", "--parent", CASE3, BAG3, "--from-location",
	    PACK, "--key", pack_key, "--server", W.d.url);
	assert_non_null(strstr(r.err, "--from-location"));
	cli_result_free(&r);
	RUN(r, 0, "stamp", "--help");
	assert_non_null(strstr(r.out, "--from-location"));
	assert_non_null(strstr(r.out, "--to-location"));
	cli_result_free(&r);
}

/* OP_MASTER_DATA: the latest description of an element, by any form. */
static void
test_fsma_master_data_op(void **state)
{
	wb_rpc_client *c = td_client(&W.d, W.fda, false);
	uint8_t *bytes = NULL;
	uint64_t index = 0;
	wb_entry *e = NULL;
	wb_stamp *st = NULL;
	wb_problem p = { 0 };
	size_t len = 0;

	(void)state;
	assert_int_equal(wb_rpc_master_data(&index, &bytes, &len, c, STORE, &p),
	                 WB_OK);
	assert_int_equal(wb_entry_decode(&e, bytes, len), WB_OK);
	assert_int_equal(e->index, index);
	assert_int_equal(wb_stamp_decode(&st, e->body, e->body_len), WB_OK);
	assert_non_null(st->master_data);
	assert_string_equal(st->master_data->element_id, STORE);
	assert_string_equal(st->master_data->attributes[0].text,
	                    "Corner Store");
	wb_stamp_free(st);
	wb_entry_free(e);
	free(bytes);
	/* The product, by the canonical key of its GTIN. */
	assert_int_equal(
	        wb_rpc_master_data(&index, &bytes, &len, c,
	                           "urn:epc:idpat:sgtin:4000001.000001.*", &p),
	        WB_OK);
	free(bytes);
	assert_int_equal(wb_rpc_master_data(&index, &bytes, &len, c, LOT, &p),
	                 WB_ENOTFOUND);
	assert_null(bytes);
	assert_int_equal(wb_rpc_master_data(&index, &bytes, &len, c,
	                                    "urn:epc:id:sgln:bad", &p),
	                 WB_EREJECTED);
	assert_int_equal(p.reason, WB_REJECT_BAD_ID);
	wb_rpc_client_close(c);
	/* Reads need a key. */
	c = td_client(&W.d, NULL, false);
	assert_int_not_equal(
	        wb_rpc_master_data(&index, &bytes, &len, c, STORE, &p), WB_OK);
	assert_null(bytes);
	wb_rpc_client_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsma_export_rows),
		cmocka_unit_test(test_fsma_export_window),
		cmocka_unit_test(test_fsma_audit_clean),
		cmocka_unit_test(test_fsma_audit_catches_tampered_rows),
		cmocka_unit_test(test_fsma_audit_catches_tampered_bundles),
		cmocka_unit_test(test_fsma_errors_have_their_codes),
		cmocka_unit_test(test_fsma_case_unpacked_at_store),
		cmocka_unit_test(test_fsma_master_data_op),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
