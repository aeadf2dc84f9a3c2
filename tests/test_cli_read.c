/* SPDX-License-Identifier: MIT */
/*
 * The read commands of the waybill CLI end to end: a small supply chain
 * stamped through the real daemon (a flour lot, a bread lot made from it,
 * loaves packed in a case, shipped and received at a store, a probe
 * installed in an oven, a recall of the flour), then every read command
 * run as the real binary, its JSON asserted field by field, some tables
 * and the Graphviz output checked, and each class of error's exit code:
 * usage 2, refused 3, network 4, verification 1, other 5. Then a loaf's
 * timeline through its case (VIA), the store's master-data name beside
 * its ID, and a loaf unpacked from the case: the closed edge shown only
 * with trace --include-closed.
 */
#include "clirun.h"
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOUR  "urn:epc:class:lgtin:4000002.000002.F1"
#define BREAD  "urn:epc:class:lgtin:4000003.000003.B1"
#define LOAF   "urn:epc:id:sgtin:4000003.000003.%d"
#define LOAF_1 "urn:epc:id:sgtin:4000003.000003.1"
#define LOAF_2 "urn:epc:id:sgtin:4000003.000003.2"
#define LOAF_3 "urn:epc:id:sgtin:4000003.000003.3"
#define CASE1  "urn:epc:id:sscc:4000003.0000000001"
#define STORE1 "urn:epc:id:sgln:4000005.00001.0"
#define OVEN   "urn:epc:id:giai:4000003.OVEN-7"
#define PROBE  "urn:epc:id:sgtin:4000003.000009.55"
#define T0     1767225600

struct world {
	td_daemon d;
	wb_rpc_client *admin;
	wb_signer *mill, *bakery, *shop;
	uint64_t flour, baking, pack, ship, receive, probe_install, recall;
	uint64_t inspect; /* the stamp whose receipt is kept */
	int64_t clock;
	char server[600], key[4200];
	char mill_key[4096], stranger_key[4096], receipt[4096];
	char log_key[512];        /* verifier key text */
	const char *env[3];       /* WAYBILL_SERVER and WAYBILL_KEY */
	const char *env_nokey[2]; /* WAYBILL_SERVER only */
};

static struct world *W;

static uint64_t
submit(struct world *w, const wb_signer *s, wb_stamp *st)
{
	st->event_time.seconds = w->clock += 60;
	return td_submit_stamp(&w->d, w->admin, s, st);
}

static uint64_t
object(struct world *w, const wb_signer *s, const char *ev, const char *id,
       wb_action action, const char *step, const char *location)
{
	const char *ids[1] = { id };
	wb_location loc = { location, NULL };
	wb_stamp st = { .event_id = ev, .kind = WB_KIND_OBJECT };

	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = step;
	st.biz_location = location != NULL ? &loc : NULL;
	return submit(w, s, &st);
}

static void
stamp_chain(struct world *w)
{
	wb_quantity flour = { FLOUR, true, 1000, "KGM" },
	            used = { FLOUR, true, 500, "KGM" },
	            bread = { BREAD, true, 400, "KGM" };
	char loaves[3][64];
	const char *children[3], *probe[1] = { PROBE };
	wb_stamp st = { .event_id = "flour", .kind = WB_KIND_OBJECT };

	st.quantities = &flour;
	st.n_quantities = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	w->flour = submit(w, w->mill, &st);

	st = (wb_stamp){ .event_id = "baking", .kind = WB_KIND_TRANSFORMATION };
	st.input_quantities = &used;
	st.n_input_quantities = 1;
	st.output_quantities = &bread;
	st.n_output_quantities = 1;
	w->baking = submit(w, w->bakery, &st);

	for (int i = 0; i < 3; i++) {
		char ev[16];

		snprintf(loaves[i], sizeof(loaves[i]), LOAF, i + 1);
		snprintf(ev, sizeof(ev), "loaf-%d", i + 1);
		children[i] = loaves[i];
		st = (wb_stamp){ .event_id = ev, .kind = WB_KIND_OBJECT };
		st.epcs = &children[i];
		st.n_epcs = 1;
		st.has_action = true;
		st.action = WB_ACTION_ADD;
		st.biz_step = "commissioning";
		st.ilmd_json = "{\"cbvmda:lotNumber\":\"B1\"}";
		submit(w, w->bakery, &st);
	}
	st = (wb_stamp){ .event_id = "pack", .kind = WB_KIND_AGGREGATION };
	st.parent_id = CASE1;
	st.epcs = children;
	st.n_epcs = 3;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "packing";
	w->pack = submit(w, w->bakery, &st);
	w->ship = object(w, w->bakery, "ship", CASE1, WB_ACTION_OBSERVE,
	                 "shipping", NULL);
	w->receive = object(w, w->shop, "receive", CASE1, WB_ACTION_OBSERVE,
	                    "receiving", STORE1);
	object(w, w->bakery, "oven", OVEN, WB_ACTION_ADD, "commissioning",
	       NULL);
	object(w, w->bakery, "probe", PROBE, WB_ACTION_ADD, "commissioning",
	       NULL);
	st = (wb_stamp){ .event_id = "install", .kind = WB_KIND_ASSOCIATION };
	st.parent_id = OVEN;
	st.epcs = probe;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "installing";
	w->probe_install = submit(w, w->bakery, &st);
}

static void
recall_flour(struct world *w)
{
	const char *targets[1] = { FLOUR };
	wb_recall r = { targets,
		        1,
		        "Salmonella in flour lot F1",
		        true,
		        WB_RECALL_CLASS_I,
		        "FDA-2026-0042" };
	wb_stamp st = { .event_id = "recall-f1", .kind = WB_KIND_RECALL };

	st.recall = &r;
	w->recall = submit(w, w->mill, &st);
}

/* An inspection of the probe submitted by hand, to keep its receipt as
 * the server returned it. */
static void
keep_receipt(struct world *w)
{
	wb_submission sub;
	wb_rpc_result *res = NULL;
	wb_problem p = { 0 };
	FILE *f;

	td_stamp(&w->d, &sub, w->bakery, "inspect", PROBE, WB_ACTION_OBSERVE,
	         "inspecting");
	assert_int_equal(
	        wb_rpc_submit(&res, NULL, w->admin, &sub, 1, false, &p), WB_OK);
	assert_int_equal(res[0].err, WB_OK);
	assert_non_null(res[0].receipt);
	w->inspect = res[0].index;
	snprintf(w->receipt, sizeof(w->receipt), "%s/inspect.receipt",
	         w->d.dir);
	assert_non_null(f = fopen(w->receipt, "wb"));
	assert_int_equal(fwrite(res[0].receipt, 1, res[0].receipt_len, f),
	                 res[0].receipt_len);
	assert_int_equal(fclose(f), 0);
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);
}

static void
write_key(char *path, size_t size, const char *dir, const char *name,
          const wb_signer *s)
{
	snprintf(path, size, "%s/%s.key", dir, name);
	assert_int_equal(wb_keyfile_write(path, s), WB_OK);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	wb_signer *stranger;
	char *text = NULL;

	assert_non_null(w);
	w->clock = T0;
	td_ledger(&w->d, WB_CUSTODY_ADVISORY);
	td_start(&w->d, "ipc", NULL);
	w->admin = td_client(&w->d, w->d.admin, false);
	w->mill = td_register(&w->d, w->admin, "Mill", 21, 0, "4000002");
	w->bakery = td_register(&w->d, w->admin, "Bakery", 22, 0, "4000003");
	w->shop = td_register(&w->d, w->admin, "Supermarket", 24,
	                      1u << WB_ROLE_RETAILER, "4000005");
	stamp_chain(w);
	recall_flour(w);
	keep_receipt(w);

	write_key(w->mill_key, sizeof(w->mill_key), w->d.dir, "mill", w->mill);
	stranger = test_signer("Stranger", 99);
	write_key(w->stranger_key, sizeof(w->stranger_key), w->d.dir,
	          "stranger", stranger);
	wb_signer_free(stranger);
	{
		char shop_key[4096];

		write_key(shop_key, sizeof(shop_key), w->d.dir, "shop",
		          w->shop);
		snprintf(w->key, sizeof(w->key), "WAYBILL_KEY=%s", shop_key);
	}
	snprintf(w->server, sizeof(w->server), "WAYBILL_SERVER=%s", w->d.url);
	w->env[0] = w->server;
	w->env[1] = w->key;
	w->env_nokey[0] = w->server;
	assert_int_equal(wb_verifier_format(&text, "test.example/ledger",
	                                    wb_signer_pubkey(w->d.log)),
	                 WB_OK);
	snprintf(w->log_key, sizeof(w->log_key), "%s", text);
	free(text);
	W = w;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_rpc_client_close(w->admin);
	td_stop(&w->d);
	wb_signer_free(w->mill);
	wb_signer_free(w->bakery);
	wb_signer_free(w->shop);
	td_cleanup(&w->d);
	free(w);
	return 0;
}

/* `waybill ARGS` with the server and the shop's key from the
 * environment. */
#define run(...)       cli_run_env(NULL, W->env, NULL, __VA_ARGS__, NULL)
#define run_nokey(...) cli_run_env(NULL, W->env_nokey, NULL, __VA_ARGS__, NULL)

static json_t *
get(json_t *o, const char *path)
{
	char buf[256], *save = NULL;
	json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok_r(buf, ".", &save); tok != NULL;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v)) {
			v = json_array_get(v, strtoul(tok, NULL, 10));
		} else {
			v = json_object_get(v, tok);
		}
		if (v == NULL) {
			fail_msg("no %s in the JSON (at %s)", path, tok);
		}
	}
	return v;
}

static long long
num(json_t *o, const char *path)
{
	json_t *v = get(o, path);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *
str(json_t *o, const char *path)
{
	json_t *v = get(o, path);

	if (!json_is_string(v)) {
		fail_msg("%s is not a string", path);
	}
	return json_string_value(v);
}

static size_t
len(json_t *o, const char *path)
{
	json_t *v = get(o, path);

	assert_true(json_is_array(v));
	return json_array_size(v);
}

static void
leaf_hex(char out[2 * WB_HASH_LEN + 1], uint64_t index)
{
	wb_rpc_client *c = td_client(&W->d, W->shop, false);
	uint8_t *e = NULL;
	size_t n = 0;
	wb_hash h;

	assert_int_equal(wb_rpc_get_entry(&e, &n, c, index, NULL), WB_OK);
	wb_hash_leaf(&h, e, n);
	wb_hash_to_hex(out, &h);
	free(e);
	wb_rpc_client_close(c);
}

static void
test_cli_read_history(void **state)
{
	struct world *w = *state;
	char leaf[2 * WB_HASH_LEN + 1];
	cli_result r = run("history", CASE1, "--json");

	cli_expect_status(&r, 0);
	assert_non_null(r.json);
	assert_string_equal(str(r.json, "twin"), CASE1);
	assert_int_equal(num(r.json, "count"), 3);
	assert_int_equal(len(r.json, "entries"), 3);
	assert_int_equal(num(r.json, "entries.0.index"), w->pack);
	assert_string_equal(str(r.json, "entries.0.event_id"), "pack");
	assert_string_equal(str(r.json, "entries.0.kind"), "aggregation");
	assert_string_equal(str(r.json, "entries.0.action"), "add");
	assert_string_equal(str(r.json, "entries.0.biz_step"), "packing");
	assert_string_equal(str(r.json, "entries.0.signer"), "Bakery");
	assert_string_equal(str(r.json, "entries.0.event_time"),
	                    "2026-01-01T00:06:00Z");
	assert_string_equal(str(r.json, "entries.0.tz"), "+00:00");
	assert_int_equal(num(r.json, "entries.1.index"), w->ship);
	assert_string_equal(str(r.json, "entries.1.kind"), "object");
	assert_string_equal(str(r.json, "entries.1.biz_step"), "shipping");
	assert_true(json_is_null(get(r.json, "entries.1.location")));
	assert_int_equal(num(r.json, "entries.2.index"), w->receive);
	assert_string_equal(str(r.json, "entries.2.event_id"), "receive");
	assert_string_equal(str(r.json, "entries.2.signer"), "Supermarket");
	assert_string_equal(str(r.json, "entries.2.location"), STORE1);
	assert_int_equal(strlen(str(r.json, "entries.2.signer_key")), 64);
	leaf_hex(leaf, w->receive);
	assert_string_equal(str(r.json, "entries.2.leaf_hash"), leaf);
	cli_result_free(&r);

	/* Newest first; and one entry after the pack, from the cursor. */
	r = run("history", CASE1, "--reverse", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "count"), 3);
	assert_int_equal(num(r.json, "entries.0.index"), w->receive);
	assert_int_equal(num(r.json, "entries.2.index"), w->pack);
	cli_result_free(&r);
	{
		char after[24];

		snprintf(after, sizeof(after), "%llu",
		         (unsigned long long)w->pack);
		r = run("history", CASE1, "--after", after, "--limit", "1",
		        "--json");
	}
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "count"), 1);
	assert_int_equal(num(r.json, "entries.0.index"), w->ship);
	cli_result_free(&r);

	/* The table: a header and the values, aligned. */
	r = run("history", CASE1);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "INDEX"));
	assert_non_null(strstr(r.out, "SIGNER"));
	assert_non_null(strstr(r.out, "receiving"));
	assert_non_null(strstr(r.out, "Supermarket"));
	assert_non_null(strstr(r.out, STORE1));
	{
		/* Every row starts its second column at the same place. */
		const char *line = r.out, *col = strstr(r.out, "EVENT TIME");
		size_t at = (size_t)(col - r.out);

		for (int k = 0; k < 4; k++) {
			assert_true(strlen(line) > at);
			assert_true(line[at - 1] == ' ' && line[at] != ' ');
			line = strchr(line, '\n') + 1;
		}
	}
	cli_result_free(&r);
}

static void
test_cli_read_passport_where_installations(void **state)
{
	struct world *w = *state;
	cli_result r = run("passport", CASE1, "--json");

	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "id"), CASE1);
	assert_string_equal(str(r.json, "kind"), "gs1-item");
	assert_string_equal(str(r.json, "custodian.name"), "Supermarket");
	assert_string_equal(str(r.json, "location"), STORE1);
	assert_true(json_is_false(get(r.json, "in_transit")));
	assert_int_equal(num(r.json, "stamps"), 3);
	assert_int_equal(num(r.json, "first_index"), w->pack);
	assert_int_equal(num(r.json, "last_index"), w->receive);
	assert_string_equal(str(r.json, "recall.state"), "holding");
	cli_result_free(&r);

	r = run("passport", LOAF_2);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "AFFECTED"));
	assert_non_null(strstr(r.out, "Salmonella in flour lot F1"));
	cli_result_free(&r);

	r = run("where", CASE1, "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "steps"), 3);
	assert_string_equal(str(r.json, "steps.0.act"), "pack");
	assert_string_equal(str(r.json, "steps.1.act"), "ship");
	assert_string_equal(str(r.json, "steps.1.signer.name"), "Bakery");
	assert_string_equal(str(r.json, "steps.2.act"), "receive");
	assert_int_equal(num(r.json, "steps.2.index"), w->receive);
	assert_string_equal(str(r.json, "steps.2.location"), STORE1);
	assert_string_equal(str(r.json, "steps.2.custodian.name"),
	                    "Supermarket");
	cli_result_free(&r);

	r = run("installations", PROBE, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "part"), PROBE);
	assert_int_equal(len(r.json, "installations"), 1);
	assert_string_equal(str(r.json, "installations.0.asset"), OVEN);
	assert_int_equal(num(r.json, "installations.0.installed"),
	                 w->probe_install);
	assert_true(json_is_null(get(r.json, "installations.0.removed")));
	/* The installing stamp; the inspection's event time (T0) is before
	 * the installation, so it is not one of its stamps. */
	assert_int_equal(len(r.json, "installations.0.stamps"), 1);
	assert_int_equal(num(r.json, "installations.0.stamps.0"),
	                 w->probe_install);
	cli_result_free(&r);

	r = run("installations", PROBE);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, OVEN));
	assert_non_null(strstr(r.out, "still installed"));
	cli_result_free(&r);
}

static bool
node_in(json_t *nodes, const char *id)
{
	for (size_t i = 0; i < json_array_size(nodes); i++) {
		if (strcmp(str(json_array_get(nodes, i), "id"), id) == 0) {
			return true;
		}
	}
	return false;
}

static void
test_cli_read_trace(void **state)
{
	struct world *w = *state;
	char as_of[24];
	cli_result r = run("trace", LOAF_1, "--json");

	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "up.nodes"), 3);
	assert_string_equal(str(r.json, "up.nodes.0.id"), LOAF_1);
	assert_string_equal(str(r.json, "up.nodes.0.kind"), "gs1-item");
	assert_true(node_in(get(r.json, "up.nodes"), FLOUR));
	assert_true(node_in(get(r.json, "up.nodes"), BREAD));
	assert_int_equal(len(r.json, "up.edges"), 2);
	assert_true(json_is_false(get(r.json, "up.truncated")));
	assert_null(json_object_get(r.json, "down"));
	cli_result_free(&r);

	r = run("trace", FLOUR, "--down", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "down.nodes"), 6);
	for (size_t i = 0; i < len(r.json, "down.edges"); i++) {
		json_t *e = json_array_get(get(r.json, "down.edges"), i);

		if (strcmp(str(e, "type"), "made-from") == 0) {
			assert_int_equal(num(e, "opened"), w->baking);
			assert_true(json_real_value(get(e, "quantity")) == 500);
		}
	}
	cli_result_free(&r);

	r = run("trace", FLOUR, "--down", "--depth", "1", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "down.nodes"), 2);
	assert_true(json_is_true(get(r.json, "down.truncated")));
	cli_result_free(&r);

	/* As of the entry before the pack: no case yet. */
	snprintf(as_of, sizeof(as_of), "%llu",
	         (unsigned long long)(w->pack - 1));
	r = run("trace", FLOUR, "--down", "--as-of", as_of, "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "down.nodes"), 5);
	assert_int_equal(num(r.json, "as_of"), w->pack - 1);
	cli_result_free(&r);

	r = run("trace", BREAD, "--both", "--json");
	cli_expect_status(&r, 0);
	assert_true(node_in(get(r.json, "up.nodes"), FLOUR));
	assert_true(node_in(get(r.json, "down.nodes"), CASE1));
	cli_result_free(&r);

	r = run("trace", LOAF_1);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "made-from"));
	assert_non_null(strstr(r.out, FLOUR));
	cli_result_free(&r);
}

/* The DOT text: one digraph, every statement on its own line ending in
 * ';', quotes balanced on each line, one edge line per edge. */
static void
check_dot(const char *dot, size_t n_edges)
{
	size_t edges = 0;
	const char *line = dot;

	assert_true(strncmp(dot, "digraph lineage {\n", 18) == 0);
	assert_true(strlen(dot) > 2 &&
	            strcmp(dot + strlen(dot) - 2, "}\n") == 0);
	for (line = strchr(dot, '\n') + 1; *line != '}';
	     line = strchr(line, '\n') + 1) {
		const char *end = strchr(line, '\n');
		size_t quotes = 0;

		assert_non_null(end);
		assert_true(end[-1] == ';');
		for (const char *c = line; c < end; c++) {
			if (*c == '\\') {
				c++;
			} else if (*c == '"') {
				quotes++;
			}
		}
		assert_int_equal(quotes % 2, 0);
		if (strstr(line, "\" -> \"") != NULL &&
		    strstr(line, "\" -> \"") < end) {
			edges++;
		}
	}
	assert_int_equal(edges, n_edges);
}

static void
test_cli_read_trace_dot(void **state)
{
	struct world *w = *state;
	char label[64];
	size_t n_down, n_up;
	cli_result r = run("trace", FLOUR, "--down", "--json");

	/* As many edge lines as the JSON has edges. */
	cli_expect_status(&r, 0);
	n_down = len(r.json, "down.edges");
	cli_result_free(&r);
	r = run("trace", FLOUR, "--down", "--dot");
	cli_expect_status(&r, 0);
	check_dot(r.out, n_down);
	/* Nodes labelled with ID and kind; edges with type and opening. */
	assert_non_null(strstr(r.out, "label=\"" BREAD "\\n(gs1-class)\""));
	snprintf(label, sizeof(label), "label=\"made-from @%llu\"",
	         (unsigned long long)w->baking);
	assert_non_null(strstr(r.out, label));
	snprintf(label, sizeof(label), "label=\"contains @%llu\"",
	         (unsigned long long)w->pack);
	assert_non_null(strstr(r.out, label));
	if (access("/usr/bin/dot", X_OK) == 0) {
		char path[4096], cmd[8192];
		FILE *f;

		snprintf(path, sizeof(path), "%s/trace.dot", w->d.dir);
		assert_non_null(f = fopen(path, "w"));
		fputs(r.out, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "/usr/bin/dot -Tsvg %s >/dev/null",
		         path);
		assert_int_equal(system(cmd), 0);
	}
	cli_result_free(&r);

	r = run("trace", BREAD, "--both", "--json");
	cli_expect_status(&r, 0);
	n_up = len(r.json, "up.edges");
	n_down = len(r.json, "down.edges");
	cli_result_free(&r);
	r = run("trace", BREAD, "--both", "--dot");
	cli_expect_status(&r, 0);
	check_dot(r.out, n_up + n_down);
	cli_result_free(&r);
	r = run("trace", BREAD, "--dot", "--json");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
}

static void
test_cli_read_recall(void **state)
{
	struct world *w = *state;
	char idx[24];
	long long affected = 0, holding = 0;
	cli_result r = run("recall", "status", LOAF_2, "--json");

	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "twin"), LOAF_2);
	assert_string_equal(str(r.json, "state"), "affected");
	assert_int_equal(len(r.json, "hits"), 1);
	assert_int_equal(num(r.json, "hits.0.recall_index"), w->recall);
	assert_string_equal(str(r.json, "hits.0.reason"),
	                    "Salmonella in flour lot F1");
	assert_string_equal(str(r.json, "hits.0.severity"), "I");
	assert_string_equal(str(r.json, "hits.0.issuer_name"), "Mill");
	assert_int_equal(len(r.json, "hits.0.path"), 3);
	assert_string_equal(str(r.json, "hits.0.path.0"), FLOUR);
	assert_string_equal(str(r.json, "hits.0.path.1"), BREAD);
	assert_string_equal(str(r.json, "hits.0.path.2"), LOAF_2);
	assert_string_equal(str(r.json, "hits.0.path_edges.0"), "made-from");
	assert_string_equal(str(r.json, "hits.0.path_edges.1"), "member-of");
	cli_result_free(&r);

	r = run("recall", "status", CASE1, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "state"), "holding");
	cli_result_free(&r);
	r = run("recall", "status", OVEN, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "state"), "clear");
	assert_int_equal(len(r.json, "hits"), 0);
	cli_result_free(&r);
	r = run("recall", "status", LOAF_2);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "AFFECTED"));
	assert_non_null(strstr(r.out, FLOUR " -[made-from]-> " BREAD));
	cli_result_free(&r);

	/* Impact: the flour, the bread lot and three loaves affected; the
	 * case holding. One page of two, then all. */
	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)w->recall);
	r = run("recall", "impact", idx, "--limit", "2", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "recall_index"), w->recall);
	assert_true(json_is_true(get(r.json, "active")));
	assert_int_equal(num(r.json, "affected"), 5);
	assert_int_equal(num(r.json, "holding"), 1);
	assert_int_equal(len(r.json, "twins"), 2);
	assert_int_equal(num(r.json, "next"), 2);
	for (size_t i = 0; i < len(r.json, "groups"); i++) {
		json_t *g = json_array_get(get(r.json, "groups"), i);

		affected += num(g, "affected");
		holding += num(g, "holding");
	}
	assert_int_equal(affected, 5);
	assert_int_equal(holding, 1);
	cli_result_free(&r);

	r = run("recall", "impact", idx, "--limit", "2", "--all", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "twins"), 6);
	assert_true(json_is_null(get(r.json, "next")));
	{
		size_t n_holding = 0;

		for (size_t i = 0; i < 6; i++) {
			json_t *t = json_array_get(get(r.json, "twins"), i);

			if (strcmp(str(t, "state"), "holding") == 0) {
				n_holding++;
				assert_string_equal(str(t, "id"), CASE1);
				assert_string_equal(str(t, "custodian_name"),
				                    "Supermarket");
				assert_string_equal(str(t, "location"), STORE1);
			}
		}
		assert_int_equal(n_holding, 1);
	}
	cli_result_free(&r);

	r = run("recall", "impact", idx);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "5 twins affected, 1 containers"));
	assert_non_null(strstr(r.out, "CUSTODIAN"));
	assert_non_null(strstr(r.out, "Supermarket"));
	assert_non_null(strstr(r.out, STORE1));
	cli_result_free(&r);

	r = run("recall", "since", "0", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "notices"), 1);
	assert_int_equal(num(r.json, "notices.0.index"), w->recall);
	assert_string_equal(str(r.json, "notices.0.type"), "recall");
	assert_string_equal(str(r.json, "notices.0.reason"),
	                    "Salmonella in flour lot F1");
	assert_string_equal(str(r.json, "notices.0.targets.0"), FLOUR);
	cli_result_free(&r);
	r = run("recall", "since", idx, "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(len(r.json, "notices"), 0);
	cli_result_free(&r);

	/* Not a recall: refused as not found. */
	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)w->pack);
	r = run("recall", "impact", idx, "--json");
	cli_expect_status(&r, 3);
	cli_result_free(&r);
}

static void
test_cli_read_search(void **state)
{
	struct world *w = *state;
	char mill[4200];
	cli_result r = run("search", "--biz-step", "commissioning", "--json");

	/* Flour, three loaves, the oven and the probe. */
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "count"), 6);
	assert_int_equal(num(r.json, "entries.0.index"), w->flour);
	assert_string_equal(str(r.json, "entries.0.signer"), "Mill");
	assert_string_equal(str(r.json, "entries.1.signer"), "Bakery");
	assert_string_equal(str(r.json, "entries.1.event_id"), "loaf-1");
	assert_int_equal(num(r.json, "next"), 0);
	for (size_t i = 1; i < 6; i++) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "entries.%zu.index", i - 1);
		snprintf(b, sizeof(b), "entries.%zu.index", i);
		assert_true(num(r.json, a) < num(r.json, b));
	}
	cli_result_free(&r);

	snprintf(mill, sizeof(mill), "%s", w->mill_key);
	r = run("search", "--biz-step", "commissioning", "--stakeholder", mill,
	        "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "count"), 1);
	assert_int_equal(num(r.json, "entries.0.index"), w->flour);
	cli_result_free(&r);

	r = run("search", "--biz-step", "commissioning", "--limit", "2",
	        "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "count"), 2);
	assert_int_equal(num(r.json, "next"), num(r.json, "entries.1.index"));
	cli_result_free(&r);

	/* Event times: the pack was at T0 + 6 min, the ship at T0 + 7. */
	r = run("search", "--event-from", "2026-01-01T00:06:00Z", "--event-to",
	        "2026-01-01T01:07:00+01:00", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "count"), 2);
	assert_int_equal(num(r.json, "entries.0.index"), w->pack);
	assert_int_equal(num(r.json, "entries.1.index"), w->ship);
	cli_result_free(&r);

	r = run("search", "--biz-location", STORE1);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "receiving"));
	assert_non_null(strstr(r.out, "Supermarket"));
	cli_result_free(&r);

	r = run("search", "--event-from", "yesterday");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "RFC 3339"));
	cli_result_free(&r);
	/* A key nobody registered: refused. */
	snprintf(mill, sizeof(mill), "%s", w->stranger_key);
	r = run("search", "--stakeholder", mill);
	cli_expect_status(&r, 3);
	cli_result_free(&r);
}

static void
test_cli_read_checkpoint_and_info(void **state)
{
	struct world *w = *state;
	long long size;
	cli_result r = run("info", "--json");

	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "origin"), "test.example/ledger");
	assert_string_equal(str(r.json, "log_key"), w->log_key);
	size = num(r.json, "size");
	assert_int_equal(size, w->inspect + 1);
	cli_result_free(&r);

	r = run("checkpoint", "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "origin"), "test.example/ledger");
	assert_int_equal(num(r.json, "size"), size);
	assert_int_equal(strlen(str(r.json, "root")), 64);
	assert_non_null(strstr(str(r.json, "note"), "test.example/ledger\n"));
	cli_result_free(&r);

	r = run("checkpoint", "--size", "3", "--log-key", w->log_key, "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "size"), 3);
	cli_result_free(&r);

	r = run("checkpoint");
	cli_expect_status(&r, 0);
	assert_true(strncmp(r.out, "test.example/ledger\n", 20) == 0);
	cli_result_free(&r);

	/* The local form still works, printed as every --json is: indented,
	 * its fields in order. */
	r = cli_run("info", "--data", w->d.dir, "--json", NULL);
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "size"), size);
	assert_string_equal(str(r.json, "origin"), "test.example/ledger");
	assert_string_equal(str(r.json, "log_key"), w->log_key);
	assert_int_equal(strlen(str(r.json, "ledger_id")), 64);
	assert_int_equal(strlen(str(r.json, "root")), 64);
	assert_string_equal(str(r.json, "custody"), "advisory");
	assert_true(num(r.json, "format_version") >= 1);
	assert_true(num(r.json, "max_ids") > 0);
	assert_true(num(r.json, "max_attributes") > 0);
	assert_true(num(r.json, "max_stamp_bytes") > 0);
	assert_non_null(
	        strstr(str(r.json, "checkpoint"), "test.example/ledger\n"));
	assert_non_null(str(r.json, "admin_key"));
	{
		static const char *const keys[] = {
			"origin",    "ledger_id",      "log_key",
			"admin_key", "custody",        "format_version",
			"max_ids",   "max_attributes", "max_stamp_bytes",
			"size",      "root",           "checkpoint",
		};
		char *again = json_dumps(r.json,
		                         JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		size_t k = 0;
		const char *key;
		json_t *v;

		assert_non_null(again);
		assert_true(strncmp(r.out, "{\n  \"origin\": ", 14) == 0);
		assert_true(strncmp(r.out, again, strlen(again)) == 0);
		assert_string_equal(r.out + strlen(again), "\n");
		free(again);
		json_object_foreach(r.json, key, v)
		{
			(void)v;
			assert_true(k < sizeof(keys) / sizeof(keys[0]));
			assert_string_equal(key, keys[k++]);
		}
		assert_int_equal(k, sizeof(keys) / sizeof(keys[0]));
	}
	cli_result_free(&r);
}

static void
test_cli_read_prove(void **state)
{
	struct world *w = *state;
	char idx[24], m[24], leaf[2 * WB_HASH_LEN + 1], *wrong = NULL;
	wb_signer *impostor = test_signer("test.example/ledger", 77);
	cli_result r;

	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)w->receive);
	leaf_hex(leaf, w->receive);
	r = run("prove", "inclusion", idx, "--log-key", w->log_key, "--json");
	cli_expect_status(&r, 0);
	assert_true(json_is_true(get(r.json, "verified")));
	assert_int_equal(num(r.json, "index"), w->receive);
	assert_int_equal(num(r.json, "size"), w->inspect + 1);
	assert_string_equal(str(r.json, "leaf_hash"), leaf);
	assert_true(len(r.json, "proof") > 0);
	assert_int_equal(strlen(str(r.json, "proof.0")), 64);
	cli_result_free(&r);

	/* Against an older checkpoint, trusting the server's key. */
	r = run("prove", "inclusion", idx, "--size", "12");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "verified     yes"));
	assert_non_null(strstr(r.out, "tree size    12"));
	cli_result_free(&r);

	/* The tree after the pack is a prefix of the latest. */
	snprintf(m, sizeof(m), "%llu", (unsigned long long)(w->pack + 1));
	r = run("prove", "consistency", m, "--log-key", w->log_key, "--json");
	cli_expect_status(&r, 0);
	assert_true(json_is_true(get(r.json, "verified")));
	assert_int_equal(num(r.json, "from_size"), w->pack + 1);
	assert_int_equal(num(r.json, "to_size"), w->inspect + 1);
	assert_true(len(r.json, "proof") > 0);
	cli_result_free(&r);
	r = run("prove", "consistency", m, "12", "--json");
	cli_expect_status(&r, 0);
	assert_int_equal(num(r.json, "to_size"), 12);
	assert_true(json_is_true(get(r.json, "verified")));
	cli_result_free(&r);

	/* A log key of the same name that is not the log's: exit 1. */
	assert_int_equal(wb_verifier_format(&wrong, "test.example/ledger",
	                                    wb_signer_pubkey(impostor)),
	                 WB_OK);
	r = run("prove", "inclusion", idx, "--log-key", wrong, "--json");
	cli_expect_status(&r, 1);
	assert_true(json_is_false(get(r.json, "verified")));
	assert_non_null(strstr(str(r.json, "problem"), "log key"));
	cli_result_free(&r);
	r = run("prove", "consistency", m, "--log-key", wrong);
	cli_expect_status(&r, 1);
	cli_result_free(&r);
	free(wrong);
	wb_signer_free(impostor);

	r = run("prove", "inclusion");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("prove", "consistency", "9", "3");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("prove", "membership", "3");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
}

static void
test_cli_read_verify_receipt(void **state)
{
	struct world *w = *state;
	char out[4200], bad[4200], leaf[2 * WB_HASH_LEN + 1], *wrong = NULL;
	wb_signer *impostor = test_signer("test.example/ledger", 77);
	uint8_t *b;
	size_t n;
	FILE *f;
	cli_result r;

	/* Offline: no server in the environment at all. */
	snprintf(out, sizeof(out), "%s/inspect.entry", w->d.dir);
	r = cli_run("verify-receipt", w->receipt, "--log-key", w->log_key,
	            "--entry-out", out, "--json", NULL);
	cli_expect_status(&r, 0);
	assert_true(json_is_true(get(r.json, "valid")));
	assert_int_equal(num(r.json, "index"), w->inspect);
	assert_int_equal(num(r.json, "tree_size"), w->inspect + 1);
	assert_string_equal(str(r.json, "origin"), "test.example/ledger");
	assert_string_equal(str(r.json, "type"), "stamp");
	assert_string_equal(str(r.json, "event_id"), "inspect");
	leaf_hex(leaf, w->inspect);
	assert_string_equal(str(r.json, "leaf_hash"), leaf);
	cli_result_free(&r);
	/* The entry written out is the one in the log. */
	b = (uint8_t *)test_read_file(out, &n);
	{
		wb_hash h;
		char hex[2 * WB_HASH_LEN + 1];

		wb_hash_leaf(&h, b, n);
		wb_hash_to_hex(hex, &h);
		assert_string_equal(hex, leaf);
	}
	free(b);

	/* The log key from a file works too; the table says valid. */
	{
		char path[4200];

		snprintf(path, sizeof(path), "%s/log.key", w->d.dir);
		r = cli_run("verify-receipt", w->receipt, "--log-key", path,
		            NULL);
		cli_expect_status(&r, 0);
		assert_non_null(strstr(r.out, "valid"));
		cli_result_free(&r);
	}

	/* Each tampered byte is caught. */
	b = (uint8_t *)test_read_file(w->receipt, &n);
	snprintf(bad, sizeof(bad), "%s/tampered.receipt", w->d.dir);
	for (size_t at = 0; at < n; at += n / 7 + 1) {
		b[at] ^= 0x01;
		assert_non_null(f = fopen(bad, "wb"));
		assert_int_equal(fwrite(b, 1, n, f), n);
		fclose(f);
		b[at] ^= 0x01;
		r = cli_run("verify-receipt", bad, "--log-key", w->log_key,
		            NULL);
		cli_expect_status(&r, 1);
		assert_non_null(strstr(r.err, "INVALID"));
		cli_result_free(&r);
	}
	free(b);

	assert_int_equal(wb_verifier_format(&wrong, "test.example/ledger",
	                                    wb_signer_pubkey(impostor)),
	                 WB_OK);
	r = cli_run("verify-receipt", w->receipt, "--log-key", wrong, "--json",
	            NULL);
	cli_expect_status(&r, 1);
	assert_true(json_is_false(get(r.json, "valid")));
	cli_result_free(&r);
	free(wrong);
	wb_signer_free(impostor);

	snprintf(bad, sizeof(bad), "%s/no-such.receipt", w->d.dir);
	r = cli_run("verify-receipt", bad, "--log-key", w->log_key, NULL);
	cli_expect_status(&r, 5);
	cli_result_free(&r);
	r = cli_run("verify-receipt", w->receipt, NULL);
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = cli_run("verify-receipt", w->receipt, "--log-key", "not a key",
	            NULL);
	cli_expect_status(&r, 2);
	cli_result_free(&r);
}

static void
test_cli_read_errors(void **state)
{
	struct world *w = *state;
	cli_result r;

	/* Usage: a missing argument, a bad number, an unknown option. */
	r = run("history");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("history", CASE1, "--limit", "many");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "--limit"));
	cli_result_free(&r);
	r = run("trace", CASE1, "--depth", "-3");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("recall", "impact", "twelve");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("recall", "issue", LOAF_1);
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("passport", CASE1, "--colour");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("history", "--help");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "--server"));
	cli_result_free(&r);

	/* Refused: a twin nobody stamped, a malformed ID, no key, a key
	 * nobody registered. */
	r = run("history", "urn:epc:id:sgtin:4000003.000003.999");
	cli_expect_status(&r, 3);
	cli_result_free(&r);
	r = run("passport", "urn:epc:id:sgtin:4000003.000003.999", "--json");
	cli_expect_status(&r, 3);
	cli_result_free(&r);
	r = run("trace", "urn:epc:id:sgtin:12");
	cli_expect_status(&r, 3);
	cli_result_free(&r);
	r = run_nokey("history", CASE1);
	cli_expect_status(&r, 3);
	assert_non_null(strstr(r.err, "--key"));
	cli_result_free(&r);
	r = run("passport", CASE1, "--key", w->stranger_key);
	cli_expect_status(&r, 3);
	cli_result_free(&r);

	/* Network: nobody listens there. */
	r = run("history", CASE1, "--server", "ipc:///nonexistent/waybill.sock",
	        "--timeout", "1");
	cli_expect_status(&r, 4);
	assert_non_null(strstr(r.err, "waybilld"));
	cli_result_free(&r);
	r = run("recall", "status", LOAF_1, "--server", "tcp://127.0.0.1:1",
	        "--timeout", "1");
	cli_expect_status(&r, 4);
	cli_result_free(&r);
	r = run_nokey("info", "--server", "tcp://127.0.0.1:1", "--timeout",
	              "1");
	cli_expect_status(&r, 4);
	cli_result_free(&r);
}

/* Filters that can match nothing are usage errors, not an empty answer. */
static void
test_cli_read_search_rejects_empty_filters(void **state)
{
	cli_result r;

	(void)state;
	r = run("search", "--biz-step", "");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "a filter is empty"));
	cli_result_free(&r);
	r = run("search", "--biz-location=", "--json");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "a filter is empty"));
	cli_result_free(&r);
	r = run("search", "--event-from", "2027-01-01T00:00:00Z", "--event-to",
	        "2026-01-01T00:00:00Z");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "ends before it starts"));
	cli_result_free(&r);
	r = run("search", "--record-from", "2026-01-01T00:00:01Z",
	        "--record-to", "2026-01-01T00:00:00.5Z");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "ends before it starts"));
	cli_result_free(&r);
	/* Equal ends are a range of one instant. */
	r = run("search", "--event-from", "2026-01-01T00:00:00Z", "--event-to",
	        "2026-01-01T00:00:00Z", "--json");
	cli_expect_status(&r, 0);
	assert_non_null(r.json);
	cli_result_free(&r);
}

/* A loaf never stamped after its packing: its timeline holds the case's
 * shipping and receiving, marked as coming through the case, and its
 * custodian follows them. */
static void
test_cli_read_where_via(void **state)
{
	struct world *w = *state;
	cli_result r = run("where", LOAF_1, "--json");
	const char *line;

	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "twin"), LOAF_1);
	assert_int_equal(len(r.json, "steps"), 4);
	assert_string_equal(str(r.json, "steps.0.act"), "commission");
	assert_true(json_is_null(get(r.json, "steps.0.via")));
	assert_string_equal(str(r.json, "steps.0.custodian.name"), "Bakery");
	assert_int_equal(num(r.json, "steps.1.index"), w->pack);
	assert_string_equal(str(r.json, "steps.1.act"), "pack");
	assert_true(json_is_null(get(r.json, "steps.1.via")));
	assert_int_equal(num(r.json, "steps.2.index"), w->ship);
	assert_string_equal(str(r.json, "steps.2.act"), "ship");
	assert_string_equal(str(r.json, "steps.2.via"), CASE1);
	assert_string_equal(str(r.json, "steps.2.signer.name"), "Bakery");
	assert_int_equal(num(r.json, "steps.3.index"), w->receive);
	assert_string_equal(str(r.json, "steps.3.act"), "receive");
	assert_string_equal(str(r.json, "steps.3.via"), CASE1);
	assert_string_equal(str(r.json, "steps.3.location"), STORE1);
	assert_string_equal(str(r.json, "steps.3.signer.name"), "Supermarket");
	assert_string_equal(str(r.json, "steps.3.custodian.name"),
	                    "Supermarket");
	cli_result_free(&r);

	/* The table: a VIA column, the case on the shipping's and the
	 * receiving's rows, "-" on the loaf's own. */
	r = run("where", LOAF_1);
	cli_expect_status(&r, 0);
	{
		static const char *const via[4] = { "-", "-", CASE1, CASE1 };
		size_t at;
		char cell[128];

		assert_non_null(line = strstr(r.out, " VIA "));
		at = (size_t)(line - r.out) + 1;
		line = r.out;
		for (int k = 0; k < 4; k++) {
			line = strchr(line, '\n') + 1;
			assert_true(strlen(line) > at);
			sscanf(line + at, "%127s", cell);
			assert_string_equal(cell, via[k]);
		}
		assert_non_null(strstr(line, "Supermarket"));
		assert_true(strstr(line, "Supermarket") < strchr(line, '\n'));
	}
	cli_result_free(&r);
}

/* The store's master data names it wherever a location is shown. Runs
 * after the tests that count stamps. */
static void
test_cli_read_location_names(void **state)
{
	struct world *w = *state;
	wb_attribute a = { "cbvmda:name", "Corner Shop", NULL };
	wb_master_data md = { "urn:epcglobal:epcis:vtype:BusinessLocation",
		              STORE1,
		              &a,
		              1,
		              NULL,
		              0 };
	wb_stamp st = { .event_id = "store-name",
		        .kind = WB_KIND_MASTER_DATA,
		        .master_data = &md };
	char idx[24];
	size_t named = 0;
	cli_result r;

	submit(w, w->shop, &st);
	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)w->recall);

	/* Recall impact: the groups and twins at the store. */
	r = run("recall", "impact", idx, "--all", "--json");
	cli_expect_status(&r, 0);
	for (size_t i = 0; i < len(r.json, "groups"); i++) {
		json_t *g = json_array_get(get(r.json, "groups"), i);

		if (json_is_string(json_object_get(g, "location")) &&
		    strcmp(str(g, "location"), STORE1) == 0) {
			assert_string_equal(str(g, "location_name"),
			                    "Corner Shop");
			named++;
		} else {
			assert_true(json_is_null(get(g, "location_name")));
		}
	}
	assert_int_equal(named, 1);
	named = 0;
	for (size_t i = 0; i < len(r.json, "twins"); i++) {
		json_t *t = json_array_get(get(r.json, "twins"), i);

		if (strcmp(str(t, "id"), CASE1) == 0) {
			assert_string_equal(str(t, "location"), STORE1);
			assert_string_equal(str(t, "location_name"),
			                    "Corner Shop");
			named++;
		}
	}
	assert_int_equal(named, 1);
	cli_result_free(&r);
	r = run("recall", "impact", idx, "--all");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "Supermarket  " STORE1 " (Corner Shop)"));
	assert_non_null(strstr(r.out, CASE1));
	assert_non_null(strstr(strstr(r.out, CASE1), STORE1 " (Corner Shop)"));
	cli_result_free(&r);

	/* Where and history: the receiving at the store. */
	r = run("where", CASE1, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "steps.2.location_name"),
	                    "Corner Shop");
	assert_true(json_is_null(get(r.json, "steps.1.location_name")));
	cli_result_free(&r);
	r = run("where", CASE1);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, STORE1 " (Corner Shop)"));
	cli_result_free(&r);
	r = run("history", CASE1, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "entries.2.location"), STORE1);
	assert_string_equal(str(r.json, "entries.2.location_name"),
	                    "Corner Shop");
	assert_true(json_is_null(get(r.json, "entries.0.location_name")));
	cli_result_free(&r);
	r = run("history", CASE1);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, STORE1 " (Corner Shop)"));
	cli_result_free(&r);
}

/* A loaf taken out of its case: the edge is closed. Only
 * --include-closed shows it, with the entry that closed it. Runs after the
 * tests that count the case's stamps. */
static void
test_cli_read_trace_include_closed(void **state)
{
	struct world *w = *state;
	const char *out_of[1] = { LOAF_3 };
	wb_location store = { STORE1, NULL };
	wb_stamp st = { .event_id = "unpack-3", .kind = WB_KIND_AGGREGATION };
	uint64_t unpack;
	char label[96];
	const char *line;
	bool found = false;
	cli_result r;

	st.parent_id = CASE1;
	st.epcs = out_of;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_DELETE;
	st.biz_step = "unpacking";
	st.biz_location = &store;
	unpack = submit(w, w->shop, &st);

	/* Without: the case holds two loaves. */
	r = run("trace", CASE1, "--json");
	cli_expect_status(&r, 0);
	assert_false(node_in(get(r.json, "up.nodes"), LOAF_3));
	assert_true(node_in(get(r.json, "up.nodes"), LOAF_1));
	assert_true(json_is_false(get(r.json, "include_closed")));
	cli_result_free(&r);

	r = run("trace", CASE1, "--include-closed", "--json");
	cli_expect_status(&r, 0);
	assert_true(json_is_true(get(r.json, "include_closed")));
	assert_true(node_in(get(r.json, "up.nodes"), LOAF_3));
	for (size_t i = 0; i < len(r.json, "up.edges"); i++) {
		json_t *e = json_array_get(get(r.json, "up.edges"), i);

		if (strcmp(str(e, "type"), "contains") != 0) {
			continue;
		}
		assert_string_equal(str(e, "from"), CASE1);
		assert_int_equal(num(e, "opened"), w->pack);
		if (strcmp(str(e, "to"), LOAF_3) == 0) {
			assert_int_equal(num(e, "closed"), unpack);
			assert_non_null(str(e, "closed_at"));
			found = true;
		} else {
			assert_true(json_is_null(get(e, "closed")));
			assert_true(json_is_null(get(e, "closed_at")));
		}
	}
	assert_true(found);
	cli_result_free(&r);

	/* The table's CLOSED column; the DOT edge dashed. */
	r = run("trace", CASE1, "--include-closed");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "(1 closed)"));
	found = false;
	for (line = r.out; *line != '\0'; line = strchr(line, '\n') + 1) {
		const char *end = strchr(line, '\n');

		assert_non_null(end);
		if (strncmp(line, CASE1 " ", strlen(CASE1) + 1) == 0 &&
		    strstr(line, " " LOAF_3 " ") != NULL &&
		    strstr(line, " " LOAF_3 " ") < end) {
			char f[5][96];

			assert_int_equal(sscanf(line,
			                        "%95s %95s %95s %95s %95s",
			                        f[0], f[1], f[2], f[3], f[4]),
			                 5);
			assert_string_equal(f[1], "contains");
			assert_string_equal(f[2], LOAF_3);
			assert_int_equal(strtoull(f[3], NULL, 10), w->pack);
			assert_int_equal(strtoull(f[4], NULL, 10), unpack);
			found = true;
		}
	}
	assert_true(found);
	cli_result_free(&r);
	r = run("trace", CASE1, "--include-closed", "--dot");
	cli_expect_status(&r, 0);
	snprintf(label, sizeof(label),
	         "label=\"contains @%llu (closed @%llu)\", style=dashed];",
	         (unsigned long long)w->pack, (unsigned long long)unpack);
	assert_non_null(strstr(r.out, label));
	cli_result_free(&r);

	/* Downstream from the bread lot: the case is still reached through
	 * the loaves it holds; with closed edges, through loaf 3 too. */
	r = run("trace", LOAF_3, "--down", "--json");
	cli_expect_status(&r, 0);
	assert_false(node_in(get(r.json, "down.nodes"), CASE1));
	cli_result_free(&r);
	r = run("trace", LOAF_3, "--down", "--include-closed", "--json");
	cli_expect_status(&r, 0);
	assert_true(node_in(get(r.json, "down.nodes"), CASE1));
	cli_result_free(&r);

	/* One direction: --up with --down is refused; --both is both. */
	r = run("trace", CASE1, "--up", "--down");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "--both"));
	cli_result_free(&r);
	r = run("trace", CASE1, "--both", "--down", "--json");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = run("trace", CASE1, "--both", "--json");
	cli_expect_status(&r, 0);
	assert_non_null(json_object_get(r.json, "up"));
	assert_non_null(json_object_get(r.json, "down"));
	cli_result_free(&r);
	r = run("trace", "--help");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "--include-closed"));
	cli_result_free(&r);
}

/* Last: restarts the daemon. */
static void
test_cli_read_public_recall_status(void **state)
{
	struct world *w = *state;
	cli_result r = run_nokey("recall", "status", LOAF_1);

	/* This daemon wants a key: say what to do. */
	cli_expect_status(&r, 3);
	assert_non_null(strstr(r.err, "--key"));
	assert_non_null(strstr(r.err, "--public-recall-status"));
	cli_result_free(&r);

	wb_rpc_client_close(w->admin);
	td_stop(&w->d);
	td_start(&w->d, "ipc", "--public-recall-status", NULL);
	w->admin = td_client(&w->d, w->d.admin, false);
	r = run_nokey("recall", "status", LOAF_1, "--json");
	cli_expect_status(&r, 0);
	assert_string_equal(str(r.json, "state"), "affected");
	assert_int_equal(num(r.json, "hits.0.recall_index"), w->recall);
	cli_result_free(&r);
	/* Every other read still needs one. */
	r = run_nokey("passport", LOAF_1);
	cli_expect_status(&r, 3);
	cli_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_read_history),
		cmocka_unit_test(test_cli_read_passport_where_installations),
		cmocka_unit_test(test_cli_read_trace),
		cmocka_unit_test(test_cli_read_trace_dot),
		cmocka_unit_test(test_cli_read_recall),
		cmocka_unit_test(test_cli_read_search),
		cmocka_unit_test(test_cli_read_checkpoint_and_info),
		cmocka_unit_test(test_cli_read_prove),
		cmocka_unit_test(test_cli_read_verify_receipt),
		cmocka_unit_test(test_cli_read_errors),
		cmocka_unit_test(test_cli_read_search_rejects_empty_filters),
		cmocka_unit_test(test_cli_read_where_via),
		cmocka_unit_test(test_cli_read_location_names),
		cmocka_unit_test(test_cli_read_trace_include_closed),
		cmocka_unit_test(test_cli_read_public_recall_status),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
