/* SPDX-License-Identifier: MIT */
/*
 * The write commands of the waybill CLI end to end, against the real
 * daemon: stakeholders registered, re-roled, rotated and revoked with the
 * admin's key file; a farm-to-shelf chain stamped entirely through `waybill
 * stamp` (a wheat lot shipped to a mill, milled into flour, shipped to a
 * bakery, baked into a bread lot, loaves commissioned with the lot, packed,
 * shipped to a store, received, unpacked, priced and sold; a probe
 * installed in an oven and removed; a recall of the flour and its lift),
 * then checked through the client library (passport, trace, recall status)
 * and through the --json output; master data, --file, receipts, `waybill
 * submit` with JSON Lines (per-event report, --atomic), and each class of
 * error's exit code.
 */
#include "clirun.h"
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WHEAT  "urn:epc:class:lgtin:4000001.000001.W1"
#define FLOUR  "urn:epc:class:lgtin:4000002.000002.F1"
#define BREAD  "urn:epc:class:lgtin:4000003.000003.B1"
#define LOAF_1 "urn:epc:id:sgtin:4000003.000003.1"
#define LOAF_2 "urn:epc:id:sgtin:4000003.000003.2"
#define LOAF_3 "urn:epc:id:sgtin:4000003.000003.3"
#define LOAF_4 "urn:epc:id:sgtin:4000003.000003.4"
#define BAKERY "urn:epc:id:sgln:4000003.00001.0"
#define CASE1  "urn:epc:id:sscc:4000003.0000000001"
#define STORE1 "urn:epc:id:sgln:4000005.00001.0"
#define OVEN   "urn:epc:id:giai:4000003.OVEN-7"
#define PROBE  "urn:epc:id:sgtin:4000003.000009.55"
#define MILL_P "urn:epc:id:pgln:4000002.00000"
#define BAKE_P "urn:epc:id:pgln:4000003.00000"
#define SHOP_P "urn:epc:id:pgln:4000005.00000"

struct world {
	td_daemon d;
	wb_rpc_client *reader; /* the admin's client, for reads */
	char server[600];
	const char *env[2];
	char admin[4096], farm[4096], mill[4096], bakery[4096], shop[4096],
	        inspector[4096], stranger[4096];
	char farm_pub[512], inspector_pub[512];
	int minute; /* event times: one minute apart, in order */
};

static struct world *W;

/* Event times: 2026-01-01, a minute later at each call. */
static const char *
next_time(void)
{
	static char ring[8][32];
	char *t = ring[W->minute % 8];

	W->minute++;
	snprintf(t, sizeof(ring[0]), "2026-01-01T%02d:%02d:00Z", W->minute / 60,
	         W->minute % 60);
	return t;
}

#define RUN(...) cli_run_env(NULL, W->env, NULL, __VA_ARGS__, NULL)

/* A stamp that must be recorded fresh, without custody gap: its index. */
static uint64_t
stamp_ok(cli_result r)
{
	uint64_t index;

	cli_expect_status(&r, 0);
	assert_non_null(r.json);
	assert_true(json_is_integer(json_object_get(r.json, "index")));
	index = (uint64_t)json_integer_value(json_object_get(r.json, "index"));
	assert_true(json_is_false(json_object_get(r.json, "duplicate")));
	assert_true(json_is_false(json_object_get(r.json, "custody_gap")));
	assert_true(json_integer_value(json_object_get(r.json, "tree_size")) >
	            (json_int_t)index);
	cli_result_free(&r);
	return index;
}

#define STAMP(key, ...)                                                    \
	stamp_ok(RUN("stamp", __VA_ARGS__, "--time", next_time(), "--key", \
	             key, "--json"))

/* Runs a command that must fail with `status` and say `needle`. */
static void
expect_fail(cli_result r, int status, const char *needle)
{
	cli_expect_status(&r, status);
	if (needle != NULL && strstr(r.err, needle) == NULL) {
		fail_msg("expected \"%s\" in stderr: %s", needle, r.err);
	}
	cli_result_free(&r);
}

/* `waybill keygen NAME --out DIR/NAME.key`: the file and verifier text. */
static void
keygen(char path[4096], char *pub, size_t pub_size, const char *name)
{
	cli_result r;

	snprintf(path, 4096, "%s/%s.key", W->d.dir, name);
	r = cli_run("keygen", name, "--out", path, NULL);
	cli_expect_status(&r, 0);
	if (pub != NULL) {
		r.out[strcspn(r.out, "\n")] = '\0';
		snprintf(pub, pub_size, "%s", r.out);
	}
	cli_result_free(&r);
}

static uint64_t
register_ok(cli_result r)
{
	uint64_t index;

	cli_expect_status(&r, 0);
	assert_non_null(r.json);
	index = (uint64_t)json_integer_value(json_object_get(r.json, "index"));
	assert_true(index > 0);
	assert_true(json_is_false(json_object_get(r.json, "duplicate")));
	cli_result_free(&r);
	return index;
}

static uint64_t
tree_size(void)
{
	wb_rpc_info info;

	assert_int_equal(wb_rpc_info_get(&info, W->reader, NULL), WB_OK);
	free(info.checkpoint);
	return info.tree_size;
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	cli_result r;

	assert_non_null(w);
	W = w;
	td_ledger(&w->d, WB_CUSTODY_ADVISORY);
	td_start(&w->d, "ipc", NULL);
	w->reader = td_client(&w->d, w->d.admin, false);
	snprintf(w->server, sizeof(w->server), "WAYBILL_SERVER=%s", w->d.url);
	w->env[0] = w->server;
	snprintf(w->admin, sizeof(w->admin), "%s/admin.key", w->d.dir);
	assert_int_equal(wb_keyfile_write(w->admin, w->d.admin), WB_OK);
	keygen(w->farm, w->farm_pub, sizeof(w->farm_pub), "farm");
	keygen(w->mill, NULL, 0, "mill");
	keygen(w->bakery, NULL, 0, "bakery");
	keygen(w->shop, NULL, 0, "shop");
	keygen(w->inspector, w->inspector_pub, sizeof(w->inspector_pub),
	       "inspector");
	keygen(w->stranger, NULL, 0, "stranger");

	/* The public key as verifier text, or as the key file. */
	r = RUN("register", "Farm", "--pubkey", w->farm_pub, "--role",
	        "brand-owner", "--gs1-prefix", "4000001", "--party-id",
	        "urn:epc:id:pgln:4000001.00000", "--key", w->admin, "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "index")),
	                 1);
	assert_string_equal(json_string_value(json_object_get(r.json, "key")),
	                    w->farm_pub);
	assert_string_equal(json_string_value(json_object_get(r.json, "op")),
	                    "register");
	cli_result_free(&r);
	register_ok(RUN("register", "Mill", "--pubkey", w->mill, "--role",
	                "brand-owner", "--gs1-prefix", "4000002", "--party-id",
	                MILL_P, "--key", w->admin, "--json"));
	register_ok(RUN("register", "Bakery", "--pubkey", w->bakery, "--role",
	                "brand-owner,logistics", "--gs1-prefix", "4000003",
	                "--party-id", BAKE_P, "--key", w->admin, "--json"));
	register_ok(RUN("register", "Supermarket", "--pubkey", w->shop,
	                "--role", "retailer", "--gs1-prefix", "4000005",
	                "--prefix", "shop:", "--party-id", SHOP_P, "--key",
	                w->admin, "--json"));
	register_ok(RUN("register", "Inspector", "--pubkey", w->inspector_pub,
	                "--role", "auditor", "--key", w->admin, "--json"));
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_rpc_client_close(w->reader);
	td_stop(&w->d);
	td_cleanup(&w->d);
	free(w);
	return 0;
}

static wb_passport *
passport(const char *id)
{
	wb_passport *pp = NULL;
	wb_problem p;

	if (wb_rpc_passport(&pp, W->reader, id, &p) != WB_OK) {
		fail_msg("passport of %s: %s", id, p.msg);
	}
	return pp;
}

static bool
trace_has(const wb_trace *t, const char *id)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (strcmp(t->nodes[i].id, id) == 0) {
			return true;
		}
	}
	return false;
}

/* Farm to shelf through the CLI, then the ledger's view of it. */
static void
test_cli_write_farm_to_shelf(void **state)
{
	struct world *w = *state;
	wb_passport *pp;
	wb_trace *t = NULL;
	wb_trace_opts up = { 0 };
	wb_recall_status *rs = NULL;
	cli_result r;
	uint64_t loaves, recall, lift;
	wb_problem p;

	(void)STAMP(w->farm, "commission", "--quantity", WHEAT ":5000:KGM");
	(void)STAMP(w->farm, "ship", "--quantity", WHEAT ":5000:KGM", "--to",
	            MILL_P);
	(void)STAMP(w->mill, "receive", "--quantity", WHEAT ":5000:KGM");
	(void)STAMP(w->mill, "transform", "--input-qty", WHEAT ":5000:KGM",
	            "--output-qty", FLOUR ":4000:KGM");
	(void)STAMP(w->mill, "ship", "--quantity", FLOUR ":4000:KGM", "--to",
	            BAKE_P);
	(void)STAMP(w->bakery, "receive", "--quantity", FLOUR);
	(void)STAMP(w->bakery, "transform", "--input-qty", FLOUR ":500:KGM",
	            "--output-qty", BREAD ":400:KGM");
	loaves = STAMP(w->bakery, "commission", LOAF_1, LOAF_2, LOAF_3, "--lot",
	               "B1");
	(void)STAMP(w->bakery, "pack", "--parent", CASE1, LOAF_1, LOAF_2,
	            LOAF_3);
	(void)STAMP(w->bakery, "ship", CASE1, "--to", SHOP_P);

	/* In transit to the store's party. */
	pp = passport(CASE1);
	assert_true(pp->in_transit);
	assert_string_equal(pp->destination, SHOP_P);
	assert_string_equal(pp->custodian_name, "Bakery");
	wb_passport_free(pp);

	(void)STAMP(w->shop, "receive", CASE1, "--location", STORE1);
	(void)STAMP(w->shop, "unpack", "--parent", CASE1, LOAF_1);
	(void)STAMP(w->shop, "annotate", LOAF_1, "price=2.49 EUR", "--attr",
	            "waybill:discount=10%");
	(void)STAMP(w->shop, "sell", LOAF_1);
	register_ok(RUN("master", "--type", "location", STORE1, "--name",
	                "Store 1, Main Street", "--address", "1 Main Street",
	                "--city", "Springfield", "--key", w->shop, "--json"));

	/* The loaf sold: out of its case, priced, with the shop. */
	pp = passport(LOAF_1);
	assert_true(pp->sold);
	assert_string_equal(pp->price, "2.49 EUR");
	assert_string_equal(pp->discount, "10%");
	assert_string_equal(pp->container, "");
	assert_string_equal(pp->custodian_name, "Supermarket");
	assert_string_equal(pp->commissioner_name, "Bakery");
	assert_string_equal(pp->disposition, "retail_sold");
	wb_passport_free(pp);

	/* Its sibling still in the case, at the named store. */
	pp = passport(LOAF_2);
	assert_false(pp->sold);
	assert_false(pp->in_transit);
	assert_string_equal(pp->container, CASE1);
	assert_string_equal(pp->custodian_name, "Supermarket");
	assert_string_equal(pp->location, STORE1);
	assert_string_equal(pp->location_name, "Store 1, Main Street");
	assert_true(pp->first_index == loaves);
	wb_passport_free(pp);

	/* What went into it: the bread lot (member-of from --lot), the
	 * flour, the wheat. */
	assert_int_equal(wb_rpc_trace(&t, w->reader, LOAF_2, &up, &p), WB_OK);
	assert_true(trace_has(t, BREAD));
	assert_true(trace_has(t, FLOUR));
	assert_true(trace_has(t, WHEAT));
	wb_trace_free(t);

	/* A recall of the flour reaches the loaf; its lift ends it. */
	r = RUN("stamp", "recall", FLOUR, "--reason", "Salmonella in F1",
	        "--class", "I", "--reference", "FDA-2026-0042", "--time",
	        next_time(), "--key", w->mill, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(json_string_value(json_object_get(r.json, "kind")),
	                    "recall");
	recall = (uint64_t)json_integer_value(json_object_get(r.json, "index"));
	cli_result_free(&r);
	assert_int_equal(wb_rpc_recall_status(&rs, w->reader, LOAF_2, &p),
	                 WB_OK);
	assert_int_equal(rs->state, WB_RECALL_AFFECTED);
	assert_int_equal(rs->n_hits, 1);
	assert_int_equal(rs->hits[0].recall_index, recall);
	assert_string_equal(rs->hits[0].reason, "Salmonella in F1");
	assert_true(rs->hits[0].has_severity);
	assert_int_equal(rs->hits[0].severity, WB_RECALL_CLASS_I);
	assert_string_equal(rs->hits[0].issuer_name, "Mill");
	assert_int_equal(rs->hits[0].n_path, 3);
	assert_string_equal(rs->hits[0].path[0], FLOUR);
	assert_string_equal(rs->hits[0].path[1], BREAD);
	assert_string_equal(rs->hits[0].path[2], LOAF_2);
	wb_recall_status_free(rs);

	{
		char idx[24];

		snprintf(idx, sizeof(idx), "%llu", (unsigned long long)recall);
		lift = STAMP(w->mill, "lift", idx, "--reason",
		             "retest negative");
	}
	assert_true(lift > recall);
	assert_int_equal(wb_rpc_recall_status(&rs, w->reader, LOAF_2, &p),
	                 WB_OK);
	assert_int_equal(rs->state, WB_RECALL_CLEAR);
	wb_recall_status_free(rs);
}

/* A part installed in an asset (AssociationEvent, parent = the asset),
 * then removed. */
static void
test_cli_write_install_remove(void **state)
{
	struct world *w = *state;
	wb_installation *inst = NULL;
	wb_passport *pp;
	size_t n = 0;
	wb_problem p;

	(void)STAMP(w->bakery, "commission", OVEN, PROBE);
	(void)STAMP(w->bakery, "install", "--parent", OVEN, PROBE);
	pp = passport(PROBE);
	assert_string_equal(pp->host, OVEN);
	wb_passport_free(pp);
	(void)STAMP(w->bakery, "remove", "--asset", OVEN, PROBE);
	pp = passport(PROBE);
	assert_string_equal(pp->host, "");
	wb_passport_free(pp);
	assert_int_equal(wb_rpc_installations(&inst, &n, w->reader, PROBE, &p),
	                 WB_OK);
	assert_int_equal(n, 1);
	assert_true(inst[0].removed != 0);
	wb_installations_free(inst, n);
}

/* The same event ID and time again: the same signed bytes, recorded once;
 * a custodian's act by someone else is flagged; the receipt is written as
 * it came; one EPCIS event from a file. */
static void
test_cli_write_duplicate_gap_receipt_file(void **state)
{
	struct world *w = *state;
	const char *when = next_time();
	char receipt[4200], event[4200];
	uint8_t *bytes;
	size_t len;
	wb_receipt_info info;
	uint64_t first;
	FILE *f;
	cli_result r;

	snprintf(receipt, sizeof(receipt), "%s/thermo.receipt", w->d.dir);
	r = RUN("stamp", "commission", "urn:epc:id:sgtin:4000003.000009.77",
	        "--event-id", "thermo-1", "--time", when, "--key", w->bakery,
	        "--receipt-out", receipt, "--json");
	cli_expect_status(&r, 0);
	first = (uint64_t)json_integer_value(json_object_get(r.json, "index"));
	assert_string_equal(
	        json_string_value(json_object_get(r.json, "event_id")),
	        "thermo-1");
	assert_string_equal(
	        json_string_value(json_object_get(r.json, "receipt")), receipt);
	cli_result_free(&r);
	bytes = (uint8_t *)test_read_file(receipt, &len);
	assert_int_equal(
	        wb_receipt_verify(&info, bytes, len, "test.example/ledger",
	                          wb_signer_pubkey(w->d.log), NULL, 0, NULL),
	        WB_OK);
	assert_int_equal(info.index, first);
	free(bytes);

	r = RUN("stamp", "commission", "urn:epc:id:sgtin:4000003.000009.77",
	        "--event-id", "thermo-1", "--time", when, "--key", w->bakery,
	        "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "index")),
	                 first);
	assert_true(json_is_true(json_object_get(r.json, "duplicate")));
	cli_result_free(&r);

	/* The farm ships what the bakery holds: accepted (advisory), and
	 * flagged. */
	r = RUN("stamp", "ship", "urn:epc:id:sgtin:4000003.000009.77", "--time",
	        next_time(), "--key", w->farm, "--json");
	cli_expect_status(&r, 0);
	assert_true(json_is_true(json_object_get(r.json, "custody_gap")));
	assert_true(json_is_false(json_object_get(r.json, "duplicate")));
	cli_result_free(&r);

	/* One EPCIS 2.0 event with a waybill extension key. */
	snprintf(event, sizeof(event), "%s/event.json", w->d.dir);
	f = fopen(event, "w");
	assert_non_null(f);
	fprintf(f,
	        "{\"type\": \"ObjectEvent\",\n"
	        " \"eventID\": \"urn:uuid:6f1b0c38-0000-4000-8000-000000000001\",\n"
	        " \"eventTime\": \"2026-01-01T23:00:00Z\",\n"
	        " \"eventTimeZoneOffset\": \"+00:00\",\n"
	        " \"epcList\": [\"" PROBE "\"], \"action\": \"OBSERVE\",\n"
	        " \"bizStep\": \"inspecting\",\n"
	        " \"waybill:packaging\": \"recycled cardboard\"}\n");
	fclose(f);
	r = RUN("stamp", "--file", event, "--key", w->bakery, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(
	        json_string_value(json_object_get(r.json, "event_id")),
	        "urn:uuid:6f1b0c38-0000-4000-8000-000000000001");
	assert_true(json_is_false(json_object_get(r.json, "duplicate")));
	cli_result_free(&r);
	{
		wb_passport *pp = passport(PROBE);

		assert_string_equal(pp->packaging, "recycled cardboard");
		wb_passport_free(pp);
	}
}

/* Roles, rotation and revocation, and what they change. */
static void
test_cli_write_registry(void **state)
{
	struct world *w = *state;
	char rotor[4096], rotor2[4096], rogue[4096], rogue_pub[512];
	cli_result r;

	/* An auditor may not recall what it did not commission; made a
	 * regulator, it may. */
	expect_fail(RUN("stamp", "recall", LOAF_3, "--reason", "mould", "--key",
	                w->inspector),
	            3, "no-recall-authority");
	r = RUN("roles", w->inspector_pub, "--role", "regulator", "--key",
	        w->admin, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(json_string_value(json_object_get(r.json, "op")),
	                    "roles");
	cli_result_free(&r);
	(void)STAMP(w->inspector, "recall", LOAF_3, "--reason", "mould",
	            "--class", "III");

	/* Rotation: the old key stops, the new one signs. */
	keygen(rotor, NULL, 0, "rotor");
	keygen(rotor2, NULL, 0, "rotor2");
	register_ok(RUN("register", "Rotor", "--pubkey", rotor, "--gs1-prefix",
	                "4000007", "--key", w->admin, "--json"));
	(void)STAMP(rotor, "commission", "urn:epc:id:sgtin:4000007.000001.1");
	r = RUN("rotate", rotor, "--new-key", rotor2, "--key", w->admin,
	        "--json");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(
	        json_string_value(json_object_get(r.json, "key")), "rotor2+"));
	cli_result_free(&r);
	expect_fail(RUN("stamp", "commission",
	                "urn:epc:id:sgtin:4000007.000001.2", "--key", rotor),
	            3, "key-rotated");
	(void)STAMP(rotor2, "commission", "urn:epc:id:sgtin:4000007.000001.2");

	/* Revocation from now on. */
	keygen(rogue, rogue_pub, sizeof(rogue_pub), "rogue");
	register_ok(RUN("register", "Rogue", "--pubkey", rogue_pub,
	                "--gs1-prefix", "4000009", "--key", w->admin,
	                "--json"));
	(void)STAMP(rogue, "commission", "urn:epc:id:sgtin:4000009.000001.1");
	r = RUN("revoke", rogue_pub, "--reason", "key leaked", "--key",
	        w->admin, "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(
	        json_integer_value(json_object_get(r.json, "effective_index")),
	        json_integer_value(json_object_get(r.json, "index")));
	cli_result_free(&r);
	expect_fail(RUN("stamp", "commission",
	                "urn:epc:id:sgtin:4000009.000001.2", "--key", rogue),
	            3, "key-revoked");

	/* Registry changes need the admin key; a key is registered once;
	 * unknown roles are usage errors. */
	expect_fail(RUN("register", "Again", "--pubkey", w->stranger, "--key",
	                w->farm),
	            3, NULL);
	expect_fail(RUN("register", "Farm2", "--pubkey", w->farm_pub, "--key",
	                w->admin),
	            3, "registry-conflict");
	expect_fail(RUN("register", "X", "--pubkey", w->stranger, "--role",
	                "king", "--key", w->admin),
	            2, "unknown role");
	expect_fail(RUN("roles", w->inspector_pub, "--key", w->admin), 2, NULL);
	expect_fail(RUN("rotate", w->farm_pub, "--key", w->admin), 2, NULL);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *
event_status(const json_t *report, size_t i)
{
	return json_string_value(json_object_get(
	        json_array_get(json_object_get(report, "events"), i),
	        "status"));
}

/* A JSON Lines file: per-event report; --atomic all-or-nothing. */
static void
test_cli_write_submit(void **state)
{
	struct world *w = *state;
	char path[4200];
	const json_t *ev;
	uint64_t before;
	cli_result r;

	snprintf(path, sizeof(path), "%s/events.jsonl", w->d.dir);
	write_file(
	        path,
	        "{\"type\":\"ObjectEvent\",\"eventID\":\"s-1\",\"eventTime\":\"2026-01-02T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:4000005.000001.1\"],\"action\":\"ADD\",\"bizStep\":\"commissioning\"}\n"
	        "\n"
	        "{\"type\":\"ObjectEvent\",\"eventID\":\"s-2\",\"eventTime\":\"2026-01-02T10:01:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:4000001.000001.9\"],\"action\":\"ADD\",\"bizStep\":\"commissioning\"}\n"
	        "{\"type\":\"ObjectEvent\",\"eventID\":\"s-3\",\"eventTime\":\"2026-01-02T10:02:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:4000005.000001.1\"],\"action\":\"OBSERVE\",\"bizStep\":\"retail_selling\",\"waybill:price\":\"3.10 EUR\"}\n");

	/* Atomic: the namespace refusal of s-2 keeps s-1 and s-3 out. */
	before = tree_size();
	r = RUN("submit", path, "--atomic", "--key", w->shop, "--json");
	cli_expect_status(&r, 3);
	assert_non_null(r.json);
	assert_int_equal(json_integer_value(json_object_get(r.json, "refused")),
	                 1);
	assert_int_equal(
	        json_integer_value(json_object_get(r.json, "not_written")), 2);
	assert_string_equal(event_status(r.json, 0), "not-written");
	assert_string_equal(event_status(r.json, 1), "refused");
	assert_string_equal(event_status(r.json, 2), "not-written");
	ev = json_array_get(json_object_get(r.json, "events"), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "reason")),
	                    "outside-namespace");
	assert_int_equal(json_integer_value(json_object_get(ev, "line")), 3);
	assert_int_equal(json_integer_value(json_object_get(ev, "position")),
	                 2);
	cli_result_free(&r);
	assert_int_equal(tree_size(), before);

	/* Not atomic, one event per batch: the good ones go in. */
	r = RUN("submit", path, "--batch", "1", "--key", w->shop, "--json");
	cli_expect_status(&r, 3);
	assert_int_equal(json_integer_value(json_object_get(r.json, "written")),
	                 2);
	assert_string_equal(event_status(r.json, 0), "written");
	assert_string_equal(event_status(r.json, 1), "refused");
	assert_string_equal(event_status(r.json, 2), "written");
	ev = json_array_get(json_object_get(r.json, "events"), 2);
	assert_string_equal(json_string_value(json_object_get(ev, "event_id")),
	                    "s-3");
	assert_int_equal(json_integer_value(json_object_get(ev, "index")),
	                 before + 1);
	cli_result_free(&r);
	assert_int_equal(tree_size(), before + 2);
	{
		wb_passport *pp = passport("urn:epc:id:sgtin:4000005.000001.1");

		assert_true(pp->sold);
		assert_string_equal(pp->price, "3.10 EUR");
		wb_passport_free(pp);
	}

	/* The good ones again from standard input, as a JSON array:
	 * recorded before, exit 0. */
	snprintf(path, sizeof(path), "%s/events.json", w->d.dir);
	write_file(
	        path,
	        "[{\"type\":\"ObjectEvent\",\"eventID\":\"s-1\",\"eventTime\":\"2026-01-02T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:4000005.000001.1\"],\"action\":\"ADD\",\"bizStep\":\"commissioning\"}]\n");
	r = cli_run_env(NULL, W->env, path, "submit", "-", "--key", w->shop,
	                "--json", NULL);
	cli_expect_status(&r, 0);
	assert_int_equal(
	        json_integer_value(json_object_get(r.json, "duplicates")), 1);
	assert_string_equal(event_status(r.json, 0), "duplicate");
	cli_result_free(&r);

	/* An EPCIS document: its eventList, with its @context. */
	snprintf(path, sizeof(path), "%s/document.json", w->d.dir);
	write_file(
	        path,
	        "{\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\", {\"waybill\": \"urn:waybill:ext:\"}],\n"
	        " \"type\": \"EPCISDocument\", \"schemaVersion\": \"2.0\",\n"
	        " \"creationDate\": \"2026-01-03T00:00:00Z\",\n"
	        " \"epcisBody\": {\"eventList\": [\n"
	        "  {\"type\": \"ObjectEvent\", \"eventID\": \"d-1\", \"eventTime\": \"2026-01-03T08:00:00+01:00\", \"eventTimeZoneOffset\": \"+01:00\", \"epcList\": [\"urn:epc:id:sgtin:4000005.000001.2\"], \"action\": \"ADD\", \"bizStep\": \"commissioning\"},\n"
	        "  {\"type\": \"ObjectEvent\", \"eventID\": \"d-2\", \"eventTime\": \"2026-01-03T09:00:00+01:00\", \"eventTimeZoneOffset\": \"+01:00\", \"epcList\": [\"urn:epc:id:sgtin:4000005.000001.2\"], \"action\": \"OBSERVE\", \"waybill:discount\": \"30%\"}\n"
	        " ]}}\n");
	r = RUN("submit", path, "--key", w->shop, "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "written")),
	                 2);
	assert_int_equal(json_integer_value(json_object_get(r.json, "refused")),
	                 0);
	cli_result_free(&r);
	{
		wb_passport *pp = passport("urn:epc:id:sgtin:4000005.000001.2");

		assert_string_equal(pp->discount, "30%");
		assert_string_equal(pp->commissioner_name, "Supermarket");
		wb_passport_free(pp);
	}

	/* The table names the refusal. */
	snprintf(path, sizeof(path), "%s/events.jsonl", w->d.dir);
	r = RUN("submit", path, "--key", w->shop);
	cli_expect_status(&r, 3);
	assert_non_null(strstr(r.out, "outside-namespace"));
	assert_non_null(strstr(r.out, "duplicate"));
	cli_result_free(&r);
}

/* Each class of failure has its exit code and says what to fix. */
static void
test_cli_write_errors(void **state)
{
	struct world *w = *state;
	char nowhere[4200], loose[4200], missing[4200], bad[4200];

	/* Usage: 2. */
	expect_fail(RUN("stamp", "ship", "--key", w->bakery), 2,
	            "at least one ID");
	expect_fail(RUN("stamp", "commission", LOAF_3, "--time", "yesterday",
	                "--key", w->bakery),
	            2, "RFC 3339");
	expect_fail(RUN("stamp", "commission", LOAF_3, "--time",
	                "2026-02-30T10:00:00Z", "--key", w->bakery),
	            2, "RFC 3339");
	/* EPCIS offsets run from -14:00 to +14:00; the ledger would refuse
	 * anything else, so the CLI says so before sending. */
	expect_fail(RUN("stamp", "commission", LOAF_3, "--tz", "+14:01",
	                "--key", w->bakery),
	            2, "from -14:00 to +14:00");
	expect_fail(RUN("stamp", "commission", LOAF_3, "--time",
	                "2026-02-20T10:00:00+15:00", "--key", w->bakery),
	            2, "RFC 3339");
	expect_fail(
	        RUN("stamp", "ship", LOAF_3, "--lot", "X", "--key", w->bakery),
	        2, "does not apply");
	expect_fail(RUN("stamp", "fly", LOAF_3, "--key", w->bakery), 2,
	            "unknown kind");
	expect_fail(RUN("stamp", "pack", LOAF_3, "--key", w->bakery), 2,
	            "--parent");
	expect_fail(
	        RUN("stamp", "recall", "--target", LOAF_3, "--key", w->bakery),
	        2, "--reason");
	expect_fail(RUN("stamp", "recall", LOAF_3, "--reason", "x", "--class",
	                "IV", "--key", w->bakery),
	            2, "I, II or III");
	expect_fail(RUN("master", "--type", "shop", STORE1, "--name", "x",
	                "--key", w->shop),
	            2, "location or a product");
	expect_fail(RUN("submit", "--key", w->shop), 2, NULL);
	snprintf(bad, sizeof(bad), "%s/bad.json", w->d.dir);
	write_file(bad, "{\"type\": \"ObjectEvent\",\n \"eventTime\": 3,\n");
	expect_fail(RUN("stamp", "--file", bad, "--key", w->bakery), 2, "JSON");

	/* Refused by the ledger: 3, with the reason's name. */
	expect_fail(RUN("stamp", "commission",
	                "urn:epc:id:sgtin:4000001.000001.77", "--key",
	                w->bakery),
	            3, "outside-namespace");
	expect_fail(RUN("stamp", "commission",
	                "urn:epc:id:sgtin:4000003.000001.78", "--key",
	                w->stranger),
	            3, "unknown-signer");
	expect_fail(RUN("stamp", "lift", "3", "--reason", "no such recall",
	                "--key", w->mill),
	            3, "unknown-recall");
	expect_fail(RUN("master", "--type", "location",
	                "urn:epc:id:sgln:4000001.00001.0", "--name", "Not mine",
	                "--key", w->shop),
	            3, "outside-namespace");

	/* Nobody listening: 4. */
	snprintf(nowhere, sizeof(nowhere), "ipc://%s/nobody.sock", w->d.dir);
	expect_fail(cli_run("stamp", "commission", LOAF_3, "--server", nowhere,
	                    "--timeout", "1", "--key", w->bakery, NULL),
	            4, "no answer");
	expect_fail(cli_run("register", "Z", "--pubkey", w->stranger,
	                    "--server", nowhere, "--timeout", "1", "--key",
	                    w->admin, NULL),
	            4, NULL);

	/* Key files: 5. */
	snprintf(loose, sizeof(loose), "%s/loose.key", w->d.dir);
	{
		wb_signer *s = test_signer("loose", 77);

		assert_int_equal(wb_keyfile_write(loose, s), WB_OK);
		wb_signer_free(s);
	}
	assert_int_equal(chmod(loose, 0644), 0);
	expect_fail(RUN("stamp", "commission", LOAF_3, "--key", loose), 5,
	            "chmod 600");
	snprintf(missing, sizeof(missing), "%s/missing.key", w->d.dir);
	expect_fail(RUN("stamp", "commission", LOAF_3, "--key", missing), 5,
	            "no key file");
	expect_fail(RUN("submit", missing, "--key", w->shop), 5, "cannot read");
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A refused request writes nothing: no entry, no file, no directory; and
 * each refusal says what to fix. */
static void
test_cli_write_rejects_leave_nothing(void **state)
{
	struct world *w = *state;
	char path[4200], dir[4200], twin[64];
	uint64_t size = tree_size();

	/* A receipt that cannot be written is found before submitting: no
	 * entry recorded that a retry would record again. */
	snprintf(twin, sizeof(twin), "%s",
	         "urn:epc:id:sgtin:4000003.000003.90");
	snprintf(path, sizeof(path), "%s/no/such/dir/r.receipt", w->d.dir);
	expect_fail(RUN("stamp", "commission", twin, "--receipt-out", path,
	                "--key", w->bakery),
	            5, "nothing was submitted");
	expect_fail(RUN("stamp", "commission", twin, "--receipt-out", w->d.dir,
	                "--key", w->bakery),
	            5, "--receipt-out");
	assert_int_equal(tree_size(), size);
	/* A refused stamp leaves no receipt file behind. */
	snprintf(path, sizeof(path), "%s/refused.receipt", w->d.dir);
	expect_fail(RUN("stamp", "commission",
	                "urn:epc:id:sgtin:4000001.000001.91", "--receipt-out",
	                path, "--key", w->bakery),
	            3, "outside-namespace");
	assert_false(exists(path));
	assert_int_equal(tree_size(), size);

	/* Quantities are finite decimal numbers. */
	expect_fail(RUN("stamp", "commission", twin, "--quantity",
	                BREAD ":1e999:KGM", "--key", w->bakery),
	            2, "finite decimal");
	expect_fail(RUN("stamp", "commission", twin, "--quantity", BREAD ":inf",
	                "--key", w->bakery),
	            2, "finite decimal");
	expect_fail(RUN("stamp", "commission", twin, "--quantity",
	                BREAD ":0x10:KGM", "--key", w->bakery),
	            2, "finite decimal");
	assert_int_equal(tree_size(), size);

	/* A revocation from beyond the ledger (the largest index would be
	 * no revocation at all) is refused before anything is signed. */
	expect_fail(RUN("revoke", w->inspector_pub, "--from",
	                "18446744073709551615", "--key", w->admin),
	            2, "beyond the ledger");
	assert_int_equal(tree_size(), size);

	/* Key files: a public key, a directory, a device. */
	snprintf(path, sizeof(path), "%s/farm.pub", w->d.dir);
	write_file(path, w->farm_pub);
	assert_int_equal(chmod(path, 0644), 0);
	expect_fail(RUN("stamp", "commission", twin, "--key", path), 5,
	            "public (verifier) key");
	assert_int_equal(chmod(path, 0600), 0);
	expect_fail(RUN("stamp", "commission", twin, "--key", path), 5,
	            "public (verifier) key");
	expect_fail(RUN("stamp", "commission", twin, "--key", w->d.dir), 5,
	            "is a directory");
	expect_fail(RUN("stamp", "commission", twin, "--key", "/dev/null"), 5,
	            "not a regular file");
	expect_fail(RUN("submit", w->d.dir, "--key", w->shop), 5,
	            "is a directory");
	expect_fail(RUN("stamp", "--file", w->d.dir, "--key", w->shop), 5,
	            "is a directory");
	assert_int_equal(tree_size(), size);

	/* init refused after its directory was made: the directory goes. */
	snprintf(dir, sizeof(dir), "%s/refused-ledger", w->d.dir);
	expect_fail(cli_run("init", "--data", dir, "--origin", "o.example/x",
	                    "--admin-key", w->farm_pub, "--log-key", w->farm,
	                    NULL),
	            2, "named after the origin");
	assert_false(exists(dir));
	snprintf(path, sizeof(path), "%s/no/such/dir/log.key", w->d.dir);
	expect_fail(cli_run("init", "--data", dir, "--origin", "o.example/x",
	                    "--admin-key", w->farm_pub, "--log-key", path,
	                    NULL),
	            5, "directory exists");
	assert_false(exists(dir));
	/* backup of no ledger: no empty backup directory. */
	snprintf(path, sizeof(path), "%s/no-ledger", w->d.dir);
	expect_fail(cli_run("backup", "--data", path, "--to", dir, NULL), 5,
	            "no ledger there");
	assert_false(exists(dir));
	/* keygen into a missing directory says what to check. */
	snprintf(path, sizeof(path), "%s/no/such/dir/k.key", w->d.dir);
	expect_fail(cli_run("keygen", "k", "--out", path, NULL), 5,
	            "directory exists");
	/* verify: --log-key pins an export's anchor, not a directory's. */
	expect_fail(cli_run("verify", "--data", w->d.dir, "--log-key",
	                    w->farm_pub, NULL),
	            2, "goes with --export");
	{
		cli_result r = cli_run("verify", "--help", NULL);

		cli_expect_status(&r, 0);
		assert_non_null(strstr(r.out, "--export FILE"));
		assert_non_null(strstr(r.out, "--log-key"));
		cli_result_free(&r);
	}
}

static void
test_cli_write_help(void **state)
{
	static const char *const cmds[] = { "register", "roles", "rotate",
		                            "revoke",   "stamp", "master",
		                            "submit" };
	cli_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		r = cli_run(cmds[i], "--help", NULL);
		cli_expect_status(&r, 0);
		assert_non_null(strstr(r.out, "usage: waybill"));
		assert_non_null(strstr(r.out, "--server URL"));
		cli_result_free(&r);
	}
	r = cli_run("master", "--help", NULL);
	assert_non_null(strstr(r.out, "urn:epcglobal:cbv:mda#name"));
	cli_result_free(&r);
}

/* The stamp of entry index, decoded through the reader. */
static wb_stamp *
stamp_at(wb_entry **e_out, uint64_t index)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	wb_stamp *st = NULL;
	wb_problem p;

	assert_int_equal(wb_rpc_get_entry(&bytes, &len, W->reader, index, &p),
	                 WB_OK);
	assert_int_equal(wb_entry_decode(e_out, bytes, len), WB_OK);
	free(bytes);
	assert_int_equal(
	        wb_stamp_decode(&st, (*e_out)->body, (*e_out)->body_len),
	        WB_OK);
	return st;
}

/* --from-location and --to-location: a source and a destination of CBV
 * type location, beside the parties of --to and --owner. */
static void
test_cli_write_ship_locations(void **state)
{
	struct world *w = *state;
	uint64_t ship, receive;
	wb_entry *e = NULL;
	wb_stamp *st;

	(void)STAMP(w->bakery, "commission", LOAF_4, "--location", BAKERY);
	ship = STAMP(w->bakery, "ship", LOAF_4, "--to", SHOP_P,
	             "--from-location", BAKERY, "--to-location", STORE1,
	             "--location", BAKERY);
	receive = STAMP(w->shop, "receive", LOAF_4, "--owner", SHOP_P,
	                "--from-location", BAKERY, "--location", STORE1);

	st = stamp_at(&e, ship);
	assert_int_equal(st->n_sources, 1);
	assert_string_equal(st->sources[0].type, "location");
	assert_string_equal(st->sources[0].value, BAKERY);
	assert_int_equal(st->n_destinations, 2);
	assert_string_equal(st->destinations[0].type, "possessing_party");
	assert_string_equal(st->destinations[0].value, SHOP_P);
	assert_string_equal(st->destinations[1].type, "location");
	assert_string_equal(st->destinations[1].value, STORE1);
	wb_stamp_free(st);
	wb_entry_free(e);

	st = stamp_at(&e, receive);
	assert_int_equal(st->n_sources, 1);
	assert_string_equal(st->sources[0].type, "location");
	assert_string_equal(st->sources[0].value, BAKERY);
	assert_int_equal(st->n_destinations, 1);
	assert_string_equal(st->destinations[0].type, "owning_party");
	wb_stamp_free(st);
	wb_entry_free(e);

	/* Only the kinds that move goods take them; a value is needed. */
	expect_fail(RUN("stamp", "sell", LOAF_4, "--to-location", STORE1,
	                "--key", w->shop),
	            2, "--to-location");
	expect_fail(RUN("stamp", "pack", "--parent", CASE1, LOAF_4,
	                "--from-location", BAKERY, "--key", w->shop),
	            2, "--from-location");
	expect_fail(RUN("stamp", "ship", LOAF_4, "--from-location"), 2,
	            "--from-location");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_write_farm_to_shelf),
		cmocka_unit_test(test_cli_write_install_remove),
		cmocka_unit_test(test_cli_write_duplicate_gap_receipt_file),
		cmocka_unit_test(test_cli_write_registry),
		cmocka_unit_test(test_cli_write_submit),
		cmocka_unit_test(test_cli_write_errors),
		cmocka_unit_test(test_cli_write_rejects_leave_nothing),
		cmocka_unit_test(test_cli_write_help),
		cmocka_unit_test(test_cli_write_ship_locations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
