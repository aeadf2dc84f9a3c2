/* SPDX-License-Identifier: MIT */
/*
 * `waybill epcis import` end to end, against the real daemon under the
 * advisory custody policy: every valid public EPCIS 2.0 example (GS1's and
 * openepcis') imported by one stakeholder that owns every GS1 company
 * prefix the examples use, each event recorded; every upstream Invalid/
 * file refused with the JSON path of its problem and nothing written; a
 * second import of everything all duplicates with the tree unchanged;
 * atomic batches against --proceed; the header's master data naming a
 * place in a passport; an error declaration of an event the ledger does
 * not hold recorded with no effect; and each class of error's exit code.
 */
#include "clirun.h"
#include "daemon.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXAMPLES "epcis/examples"

/* The prefix of the documents made here, and one nobody owns. */
#define OWN_CP   "4099999"
#define OTHER_CP "4088888"
#define MILL     "urn:epc:id:sgln:" OWN_CP ".00001.0"
#define ITEM(n)  "urn:epc:id:sgtin:" OWN_CP ".000001." n
#define CONTEXT \
	"\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"]"

/*
 * GS1 company prefixes the examples use in Digital Link form only: a
 * Digital Link does not say where the company prefix ends (the EPC URI
 * does), so these are fixed, checked against GS1's examples: GTIN
 * 09506000134352 is GS1's company 9506000 (EPC sgtin:9506000.013435.x).
 */
static const char *const dl_prefixes[] = { "9506000" };

struct world {
	td_daemon d;
	wb_rpc_client *reader; /* the admin's client, for reads */
	char server[600];
	const char *env[2];
	char importer[4096], tmp[4096];
	char **files; /* the example files, sorted */
	size_t n_files;
};

static struct world *W;

#define RUN(...) cli_run_env(NULL, W->env, NULL, __VA_ARGS__, NULL)

static uint64_t
tree_size(void)
{
	wb_rpc_info info;

	assert_int_equal(wb_rpc_info_get(&info, W->reader, NULL), WB_OK);
	free(info.checkpoint);
	return info.tree_size;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every JSON file under dir. */
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

static bool
invalid(const char *path)
{
	return strstr(path, "/Invalid/") != NULL;
}

/* Adds the company prefix of an EPC URI (urn:epc:id|class|idpat:SCHEME:
 * CP.rest) to the set. */
static void
add_prefix(char ***set, size_t *n, const char *s)
{
	static const char *const forms[] = { "urn:epc:id:", "urn:epc:class:",
		                             "urn:epc:idpat:" };
	const char *p = NULL, *dot;
	char cp[16];

	for (size_t i = 0; i < 3 && p == NULL; i++) {
		if (strncmp(s, forms[i], strlen(forms[i])) == 0) {
			p = strchr(s + strlen(forms[i]), ':');
		}
	}
	if (p == NULL || (dot = strchr(++p, '.')) == NULL || dot - p < 4 ||
	    dot - p > 12 || strspn(p, "0123456789") != (size_t)(dot - p)) {
		return;
	}
	snprintf(cp, sizeof(cp), "%.*s", (int)(dot - p), p);
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*set)[i], cp) == 0) {
			return;
		}
	}
	*set = realloc(*set, (*n + 1) * sizeof(**set));
	assert_non_null(*set);
	(*set)[(*n)++] = strdup(cp);
}

static void
prefixes_of(char ***set, size_t *n, const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		add_prefix(set, n, json_string_value(v));
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x)
		{
			prefixes_of(set, n, x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			prefixes_of(set, n, x);
		}
	}
}

/* Registers the importer with every prefix of the set, in one registry
 * change signed by the admin key. */
static void
register_importer(const wb_signer *key, char **cps, size_t n)
{
	wb_namespace *ns = calloc(n, sizeof(*ns));
	wb_role role = WB_ROLE_BRAND_OWNER;
	wb_registry_change ch = { 0 };
	wb_rpc_result *res = NULL;
	wb_submission sub;
	wb_problem p;

	assert_non_null(ns);
	for (size_t i = 0; i < n; i++) {
		ns[i] = (wb_namespace){ WB_NS_GS1_COMPANY_PREFIX, cps[i] };
	}
	ch.change_id = "register-importer";
	ch.op = WB_REG_REGISTER;
	ch.key = *wb_signer_pubkey(key);
	ch.name = "Importer";
	ch.roles = &role;
	ch.n_roles = 1;
	ch.namespaces = ns;
	ch.n_namespaces = n;
	td_registry_item(&W->d, &sub, &ch);
	if (wb_rpc_submit(&res, NULL, W->reader, &sub, 1, false, &p) != WB_OK ||
	    res[0].err != WB_OK) {
		fail_msg("registering the importer: %s %s", p.msg,
		         res != NULL ? res[0].problem.msg : "");
	}
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);
	free(ns);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	wb_signer *key;
	char **cps = NULL;
	size_t n_cps = 0;

	assert_non_null(w);
	W = w;
	td_ledger(&w->d, WB_CUSTODY_ADVISORY);
	td_start(&w->d, "ipc", NULL);
	w->reader = td_client(&w->d, w->d.admin, false);
	snprintf(w->server, sizeof(w->server), "WAYBILL_SERVER=%s", w->d.url);
	w->env[0] = w->server;
	snprintf(w->importer, sizeof(w->importer), "%s/importer.key", w->d.dir);
	snprintf(w->tmp, sizeof(w->tmp), "%s/doc.json", w->d.dir);
	key = test_signer("importer", 0x1e);
	assert_int_equal(wb_keyfile_write(w->importer, key), WB_OK);

	/* The importing stakeholder owns every company prefix of the
	 * examples (from their EPC URIs, and the Digital Link ones above),
	 * and this test's own. */
	collect(test_shared_path(EXAMPLES), &w->files, &w->n_files);
	qsort(w->files, w->n_files, sizeof(*w->files), cmp_str);
	for (size_t i = 0; i < w->n_files; i++) {
		json_t *doc = json_load_file(w->files[i], 0, NULL);

		assert_non_null(doc);
		prefixes_of(&cps, &n_cps, doc);
		json_decref(doc);
	}
	for (size_t i = 0; i < sizeof(dl_prefixes) / sizeof(dl_prefixes[0]);
	     i++) {
		char epc[64];

		snprintf(epc, sizeof(epc), "urn:epc:id:sgln:%s.0.0",
		         dl_prefixes[i]);
		add_prefix(&cps, &n_cps, epc);
	}
	add_prefix(&cps, &n_cps, MILL);
	register_importer(key, cps, n_cps);
	wb_signer_free(key);
	for (size_t i = 0; i < n_cps; i++) {
		free(cps[i]);
	}
	free(cps);
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
	for (size_t i = 0; i < w->n_files; i++) {
		free(w->files[i]);
	}
	free(w->files);
	free(w);
	return 0;
}

/* The rows of an import's --json report; fails unless the exit status
 * is `status`. The caller frees the result. */
static cli_result
import(const char *path, int status, const char *opt)
{
	cli_result r = opt != NULL ? RUN("epcis", "import", path, "--key",
	                                 W->importer, "--json", opt)
	                           : RUN("epcis", "import", path, "--key",
	                                 W->importer, "--json");

	cli_expect_status(&r, status);
	assert_true(json_is_array(r.json));
	return r;
}

static const char *
row_str(const json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

/*
 * What the ledger's rules refuse when one stakeholder imports every
 * example, file after file in path order (docs/epcis.md, "Importing the
 * public examples"): the examples reuse event IDs across files for events
 * whose stamps differ (a bare event with its own @context against the same
 * event in a document, or different content), and the first import of an
 * ID wins (duplicate-event-id); and one GRAI Digital Link has a wrong check
 * digit (bad-id), which, batches being atomic, holds back the rest of its
 * document until --proceed.
 */
static const struct {
	const char *file; /* the path's end */
	const char *position;
	const char *reason;
	const char *message; /* a part of it */
} refusals[] = {
	{ "AssociationEvent/AssociationEvent-a.jsonld",
	  "$.epcisBody.eventList[0]", "duplicate-event-id", "already used" },
	{ "JSON/Example_9.6.3-AggregationEvent.jsonld",
	  "$.epcisBody.eventList[0]", "duplicate-event-id", "already used" },
	{ "JSON/Example_9.6.4-TransformationEvent.jsonld",
	  "$.epcisBody.eventList[0]", "duplicate-event-id", "already used" },
	{ "WithFullCombinationOfFields/object_event_all_possible_fields.jsonld",
	  "$.epcisBody.eventList[0]", "duplicate-event-id", "already used" },
	{ "Capture/Documents/AggregationEvent.json", "$.epcisBody.eventList[0]",
	  "duplicate-event-id", "already used" },
	{ "Capture/Documents/AggregationEvent_all_possible_fields.json",
	  "$.epcisBody.eventList[0]", "duplicate-event-id", "already used" },
	{ "Capture/Documents/Combination_of_different_event.json",
	  "$.epcisBody.eventList[0]", "bad-id",
	  "https://id.example.com/8003/030013450007718765: check digit" },
	{ "Capture/Documents/Combination_of_different_event.json",
	  "$.epcisBody.eventList[5]", "duplicate-event-id", "already used" },
	{ "Capture/Documents/ObjectEvent_all_possible_fields.json",
	  "$.epcisBody.eventList[0]", "duplicate-event-id", "already used" },
	{ "Capture/Documents/TransformationEvent.json",
	  "$.epcisBody.eventList[0]", "duplicate-event-id", "already used" },
	{ "Capture/Events/TransformationEvent.json", "$", "duplicate-event-id",
	  "already used" },
	{ "Query/Combination_of_different_event.json",
	  "$.epcisBody.queryResults.resultsBody.eventList[0]", "bad-id",
	  "https://id.example.com/8003/030013450007718765: check digit" },
	{ "Query/Combination_of_different_event.json",
	  "$.epcisBody.queryResults.resultsBody.eventList[5]",
	  "duplicate-event-id", "already used" },
	{ "Query/ObjectEventWithAllPossibleFields.json",
	  "$.epcisBody.queryResults.resultsBody.eventList[0]",
	  "duplicate-event-id", "already used" },
	{ "Query/queryDocument.json",
	  "$.epcisBody.queryResults.resultsBody.eventList[0]", "bad-id",
	  "https://id.example.com/8003/030013450007718765: check digit" },
};
#define N_REFUSALS (sizeof(refusals) / sizeof(refusals[0]))

static bool
ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

/* The expected refusal of a row, or -1. */
static int
expected_refusal(const char *file, const char *position)
{
	for (size_t i = 0; i < N_REFUSALS; i++) {
		if (ends_with(file, refusals[i].file) &&
		    strcmp(position, refusals[i].position) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Checks one import's rows: written or duplicate (only duplicate when
 * `again`), or the expected refusal; not-written only in a batch that
 * holds one. Returns the number of rows; counts the refusals seen and
 * the not-written rows. */
static size_t
check_rows(const char *file, const json_t *rows, bool again, bool *seen,
           size_t *not_written)
{
	const json_t *row;
	size_t k;

	json_array_foreach(rows, k, row)
	{
		const char *st = row_str(row, "status");
		int e = expected_refusal(file, row_str(row, "position"));

		assert_string_equal(row_str(row, "kind"), "event");
		if (e >= 0) {
			if (strcmp(st, "refused") != 0) {
				fail_msg("%s %s: %s, expected refused", file,
				         row_str(row, "position"), st);
			}
			assert_string_equal(row_str(row, "reason"),
			                    refusals[e].reason);
			assert_non_null(strstr(row_str(row, "message"),
			                       refusals[e].message));
			seen[e] = true;
		} else if (strcmp(st, "not-written") == 0) {
			(*not_written)++;
		} else {
			/* The first time, an event that an earlier file
			 * held with the same bytes is a duplicate too. */
			if (strcmp(st, "duplicate") != 0 &&
			    (again || strcmp(st, "written") != 0)) {
				fail_msg("%s %s: %s (%s)", file,
				         row_str(row, "position"), st,
				         row_str(row, "message"));
			}
			assert_true(
			        json_is_integer(json_object_get(row, "index")));
			assert_non_null(row_str(row, "event_id"));
		}
	}
	return json_array_size(rows);
}

/* Every valid example imports: each event written, in one import per
 * file, but for the refusals above; then the same again, all duplicates
 * and the tree unchanged. */
static void
test_cli_epcis_import_examples(void **state)
{
	struct world *w = *state;
	bool seen[N_REFUSALS] = { false };
	size_t files = 0, events = 0, held = 0, n;
	uint64_t size;

	for (int round = 0; round < 2; round++) {
		size = tree_size();
		for (size_t i = 0; i < w->n_files; i++) {
			size_t not_written = 0;
			bool refused = false;
			cli_result r;

			if (invalid(w->files[i])) {
				continue;
			}
			for (size_t e = 0; e < N_REFUSALS; e++) {
				refused |= ends_with(w->files[i],
				                     refusals[e].file);
			}
			r = import(w->files[i], refused ? 3 : 0, NULL);
			n = check_rows(w->files[i], r.json, round == 1, seen,
			               &not_written);
			cli_result_free(&r);
			if (round == 0) {
				files++;
				events += n;
				held += not_written;
			}
			if (not_written == 0) {
				continue;
			}
			/* Atomic: the refused event held back its batch;
			 * --proceed records the others. */
			assert_true(refused);
			r = import(w->files[i], 3, "--proceed");
			not_written = 0;
			check_rows(w->files[i], r.json, false, seen,
			           &not_written);
			assert_int_equal(not_written, 0);
			cli_result_free(&r);
		}
		if (round == 1) {
			/* Everything again: nothing new. */
			assert_int_equal(tree_size(), size);
		}
	}
	/* 65 valid files, 84 events (README.md of the data set). */
	assert_int_equal(files, 65);
	assert_int_equal(events, 84);
	assert_true(held > 0);
	for (size_t e = 0; e < N_REFUSALS; e++) {
		if (!seen[e]) {
			fail_msg("expected refusal not seen: %s %s",
			         refusals[e].file, refusals[e].position);
		}
	}
}

/*
 * The upstream Invalid/ files: each refused with the JSON path of its
 * problem, and nothing of it written. EPCISDocument_without_context.json
 * is refused as a document; the others at their event, which (batches
 * being atomic) holds back the rest of the document.
 */
static void
test_cli_epcis_import_invalid_examples(void **state)
{
	static const struct {
		const char *file, *position, *message;
	} cases[] = {
		{ "EPCISDocument_without_context.json", NULL,
		  "$.@context: missing: an EPCIS 2.0 document needs the 2.0 context" },
		{ "ObjectEvent_with_quantity_as_text.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].quantityList[0].quantity: a string, not a number" },
		{ "ObjectEvent_with_invalid_eventTime_format.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].eventTime: \"22-07-2026\" is not an RFC 3339 date-time" },
		{ "ObjectEvent_with_invalid_certificationInfo.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].certificationInfo[0]: an object, not a string" },
		{ "ObjectEvent_with_unknown_field_in_quantityList.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].quantityList[0].weight: unknown field" },
		{ "ObjectEvent_with_invalid_action.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].action: \"CREATE\" is not ADD, OBSERVE or DELETE" },
		{ "ObjectEvent_with_ilmd_field_without_namespace.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].ilmd.materialType: ILMD fields need a namespace prefix" },
		{ "ObjectEvent_with_non_standard_disposition.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].disposition: \"in_transport\" is not a CBV disposition" },
		{ "ObjectEvent_with_non_standard_bizStep_in_second_event.json",
		  "$.epcisBody.eventList[1]",
		  "$.epcisBody.eventList[1].bizStep: \"transforming\" is not a CBV business step" },
		{ "ObjectEvent_without_action_and_eventTime.json",
		  "$.epcisBody.eventList[0]",
		  "$.epcisBody.eventList[0].eventTime: missing" },
	};
	struct world *w = *state;
	uint64_t size = tree_size();
	size_t n_invalid = 0;

	for (size_t i = 0; i < w->n_files; i++) {
		n_invalid += invalid(w->files[i]);
	}
	assert_int_equal(n_invalid, sizeof(cases) / sizeof(cases[0]));
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const char *file = NULL;
		const json_t *row;
		cli_result r;
		size_t k, refused = 0;

		for (size_t i = 0; i < w->n_files; i++) {
			if (invalid(w->files[i]) &&
			    ends_with(w->files[i], cases[c].file)) {
				file = w->files[i];
			}
		}
		assert_non_null(file);
		if (cases[c].position == NULL) {
			r = RUN("epcis", "import", file, "--key", w->importer,
			        "--json");
			cli_expect_status(&r, 3);
			if (strstr(r.err, cases[c].message) == NULL) {
				fail_msg("%s: %s", cases[c].file, r.err);
			}
			assert_null(r.json);
			cli_result_free(&r);
			continue;
		}
		r = import(file, 3, NULL);
		json_array_foreach(r.json, k, row)
		{
			if (strcmp(row_str(row, "position"),
			           cases[c].position) == 0) {
				assert_string_equal(row_str(row, "status"),
				                    "refused");
				assert_string_equal(row_str(row, "reason"),
				                    "malformed");
				if (strncmp(row_str(row, "message"),
				            cases[c].message,
				            strlen(cases[c].message)) != 0) {
					fail_msg("%s: %s", cases[c].file,
					         row_str(row, "message"));
				}
				refused++;
			} else {
				assert_string_equal(row_str(row, "status"),
				                    "not-written");
			}
		}
		assert_int_equal(refused, 1);
		cli_result_free(&r);
	}
	assert_int_equal(tree_size(), size);
}

static void
write_doc(const char *text)
{
	FILE *f = fopen(W->tmp, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define DOC_HEAD(creation)                            \
	"{" CONTEXT ", \"type\": \"EPCISDocument\", " \
	"\"schemaVersion\": \"2.0\", \"creationDate\": \"" creation "\", "

/* A commissioning ObjectEvent of id, in the importer's namespace or not. */
#define COMMISSION(id, at)                                                 \
	"{\"type\": \"ObjectEvent\", \"eventTime\": \"" at "\", "          \
	"\"eventTimeZoneOffset\": \"+01:00\", \"epcList\": [\"" id "\"], " \
	"\"action\": \"ADD\", \"bizStep\": \"commissioning\", "            \
	"\"bizLocation\": {\"id\": \"" MILL "\"}}"

/* One bad event in a batch: atomic (the default) writes nothing of it,
 * --proceed writes the good ones; a refusal here (not an EPCIS event) and
 * one by the ledger (outside the importer's namespace) alike. */
static void
test_cli_epcis_import_atomic_and_proceed(void **state)
{
	static const char *const bad[] = {
		"{\"type\": \"ObjectEvent\", \"eventTime\": "
		"\"2026-02-01T10:02:00+01:00\", \"eventTimeZoneOffset\": "
		"\"+01:00\", \"epcList\": [\"" ITEM("12") "\"], \"action\": "
		                                          "\"CREATE\"}",
		COMMISSION("urn:epc:id:sgtin:" OTHER_CP ".000001.1",
		           "2026-02-01T10:02:00+01:00"),
	};
	static const char *const why[] = { "malformed", "outside-namespace" };
	char doc[4096];

	(void)state;
	for (size_t b = 0; b < 2; b++) {
		uint64_t size = tree_size();
		const char *a = b == 0 ? ITEM("10") : ITEM("20");
		const char *c = b == 0 ? ITEM("11") : ITEM("21");
		cli_result r;

		snprintf(
		        doc, sizeof(doc),
		        DOC_HEAD("2026-02-01T10:00:00Z") "\"epcisBody\": "
		                                         "{\"eventList\": [%s, "
		                                         "%s, %s]}}",
		        b == 0 ? COMMISSION(ITEM("10"),
		                            "2026-02-01T10:00:00+01:00")
		               : COMMISSION(ITEM("20"),
		                            "2026-02-01T10:00:00+01:00"),
		        bad[b],
		        b == 0 ? COMMISSION(ITEM("11"),
		                            "2026-02-01T10:04:00+01:00")
		               : COMMISSION(ITEM("21"),
		                            "2026-02-01T10:04:00+01:00"));
		(void)a;
		(void)c;
		write_doc(doc);

		r = import(W->tmp, 3, NULL);
		assert_int_equal(json_array_size(r.json), 3);
		assert_string_equal(
		        row_str(json_array_get(r.json, 0), "status"),
		        "not-written");
		assert_string_equal(
		        row_str(json_array_get(r.json, 1), "status"),
		        "refused");
		assert_string_equal(
		        row_str(json_array_get(r.json, 1), "reason"), why[b]);
		assert_string_equal(
		        row_str(json_array_get(r.json, 1), "position"),
		        "$.epcisBody.eventList[1]");
		assert_string_equal(
		        row_str(json_array_get(r.json, 2), "status"),
		        "not-written");
		cli_result_free(&r);
		assert_int_equal(tree_size(), size);

		/* --proceed: the good ones of the batch are recorded. */
		r = import(W->tmp, 3, "--proceed");
		assert_string_equal(
		        row_str(json_array_get(r.json, 0), "status"),
		        "written");
		assert_string_equal(
		        row_str(json_array_get(r.json, 1), "status"),
		        "refused");
		assert_string_equal(
		        row_str(json_array_get(r.json, 1), "reason"), why[b]);
		assert_string_equal(
		        row_str(json_array_get(r.json, 2), "status"),
		        "written");
		cli_result_free(&r);
		assert_int_equal(tree_size(), size + 2);

		/* Again: the two are duplicates, at the same indexes. */
		r = import(W->tmp, 3, "--proceed");
		assert_string_equal(
		        row_str(json_array_get(r.json, 0), "status"),
		        "duplicate");
		assert_string_equal(
		        row_str(json_array_get(r.json, 2), "status"),
		        "duplicate");
		cli_result_free(&r);
		assert_int_equal(tree_size(), size + 2);
	}
}

/* The header's master data names the mill, recorded before the events
 * (so in the same import a passport already shows the name); the text
 * report shows each item's position. */
static void
test_cli_epcis_import_master_data(void **state)
{
	static const char doc[] = DOC_HEAD(
	        "2026-03-01T08:00:00+01:00") "\"epcisHeader\": {\"epcisMasterData\": {\"vocabularyList\": ["
	                                     "{\"type\": \"urn:epcglobal:epcis:vtype:BusinessLocation\", "
	                                     "\"vocabularyElementList\": [{\"id\": \"" MILL
	                                     "\", "
	                                     "\"attributes\": [{\"id\": \"urn:epcglobal:cbv:mda#name\", "
	                                     "\"attribute\": \"Import Mill\"}, {\"id\": "
	                                     "\"urn:epcglobal:cbv:mda#address\", \"attribute\": "
	                                     "{\"streetAddress\": \"1 Mill Lane\"}}]}]}]}}, "
	                                     "\"epcisBody\": {\"eventList\": [" COMMISSION(
	                                             ITEM("30"),
	                                             "2026-03-01T09:00:00+01:00") "]}}";
	wb_passport *pp = NULL;
	wb_problem p;
	uint64_t size = tree_size();
	const json_t *row;
	cli_result r;

	(void)state;
	write_doc(doc);
	r = import(W->tmp, 0, NULL);
	assert_int_equal(json_array_size(r.json), 2);
	row = json_array_get(r.json, 0);
	assert_string_equal(row_str(row, "kind"), "master-data");
	assert_string_equal(
	        row_str(row, "position"),
	        "$.epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0]");
	assert_string_equal(row_str(row, "status"), "written");
	assert_int_equal(json_integer_value(json_object_get(row, "index")),
	                 size);
	row = json_array_get(r.json, 1);
	assert_string_equal(row_str(row, "kind"), "event");
	assert_string_equal(row_str(row, "position"),
	                    "$.epcisBody.eventList[0]");
	assert_string_equal(row_str(row, "status"), "written");
	cli_result_free(&r);

	if (wb_rpc_passport(&pp, W->reader, ITEM("30"), &p) != WB_OK) {
		fail_msg("passport: %s", p.msg);
	}
	assert_string_equal(pp->location, MILL);
	assert_string_equal(pp->location_name, "Import Mill");
	wb_passport_free(pp);

	/* The text report: a header row and one row per item, by path. */
	r = RUN("epcis", "import", W->tmp, "--key", W->importer);
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "POSITION"));
	assert_non_null(strstr(
	        r.out,
	        "$.epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0]"));
	assert_non_null(strstr(r.out, "duplicate"));
	assert_non_null(strstr(r.err, "2 items (1 master data, 1 events)"));
	cli_result_free(&r);

	/* From standard input too. */
	r = cli_run_env(NULL, W->env, W->tmp, "epcis", "import", "-", "--key",
	                W->importer, "--json", NULL);
	cli_expect_status(&r, 0);
	assert_string_equal(row_str(json_array_get(r.json, 1), "status"),
	                    "duplicate");
	cli_result_free(&r);
	assert_int_equal(tree_size(), size + 2);
}

/* A declaration of an event the ledger does not hold: recorded, no
 * effect (the twin it names keeps its place). */
static void
test_cli_epcis_import_unknown_error_declaration(void **state)
{
	static const char ev[] =
	        "{" CONTEXT ", \"type\": \"ObjectEvent\", "
	        "\"eventID\": \"urn:uuid:6f1c9a2e-0000-4000-8000-000000000001\", "
	        "\"eventTime\": \"2026-03-01T10:00:00+01:00\", "
	        "\"eventTimeZoneOffset\": \"+01:00\", \"epcList\": [\"" ITEM(
	                "30") "\"], "
	                      "\"action\": \"OBSERVE\", \"bizStep\": "
	                      "\"shipping\", "
	                      "\"bizLocation\": {\"id\": "
	                      "\"urn:epc:id:sgln:" OWN_CP ".00002.0\"}, "
	                      "\"errorDeclaration\": {\"declarationTime\": "
	                      "\"2026-03-02T10:00:00+01:00\", \"reason\": "
	                      "\"incorrect_data\"}}";
	wb_passport *pp = NULL;
	wb_problem p;
	uint64_t size = tree_size(), n_stamps;
	cli_result r;

	(void)state;
	assert_int_equal(wb_rpc_passport(&pp, W->reader, ITEM("30"), &p),
	                 WB_OK);
	n_stamps = pp->n_stamps;
	wb_passport_free(pp);
	write_doc(ev);
	r = import(W->tmp, 0, NULL);
	assert_int_equal(json_array_size(r.json), 1);
	assert_string_equal(row_str(json_array_get(r.json, 0), "position"),
	                    "$");
	assert_string_equal(row_str(json_array_get(r.json, 0), "status"),
	                    "written");
	assert_string_equal(row_str(json_array_get(r.json, 0), "event_id"),
	                    "urn:uuid:6f1c9a2e-0000-4000-8000-000000000001");
	cli_result_free(&r);
	assert_int_equal(tree_size(), size + 1);

	/* Recorded (in the twin's history), and nothing moved. */
	assert_int_equal(wb_rpc_passport(&pp, W->reader, ITEM("30"), &p),
	                 WB_OK);
	assert_string_equal(pp->location, MILL);
	assert_false(pp->in_transit);
	assert_true(pp->n_stamps >= n_stamps);
	wb_passport_free(pp);
}

/* Documents that break EPCIS 2.0 at the document level, and each class
 * of error's exit code. */
static void
test_cli_epcis_import_errors(void **state)
{
	static const struct {
		const char *doc, *message;
	} docs[] = {
		{ "{\"type\": \"EPCISDocument\", \"schemaVersion\": \"2.0\", "
		  "\"creationDate\": \"2026-01-01T00:00:00Z\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.@context: missing" },
		{ "{\"@context\": \"https://example.com/ctx\", \"type\": "
		  "\"EPCISDocument\", \"schemaVersion\": \"2.0\", "
		  "\"creationDate\": \"2026-01-01T00:00:00Z\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.@context: does not name the EPCIS 2.0 context" },
		{ DOC_HEAD("2026-01-01T00:00:00Z") "\"epcisBody\": "
		                                   "{\"eventList\": {}}}",
		  "$.epcisBody.eventList: an object, not the list of events" },
		{ "{" CONTEXT ", \"type\": \"EPCISDocument\", "
		  "\"creationDate\": \"2026-01-01T00:00:00Z\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.schemaVersion: missing" },
		{ "{" CONTEXT ", \"type\": \"EPCISDocument\", "
		  "\"schemaVersion\": 2.0, "
		  "\"creationDate\": \"2026-01-01T00:00:00Z\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.schemaVersion: a number, not a version string" },
		{ "{" CONTEXT ", \"type\": \"EPCISDocument\", "
		  "\"schemaVersion\": \"1.2\", "
		  "\"creationDate\": \"2026-01-01T00:00:00Z\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.schemaVersion: \"1.2\": this is an EPCIS 1 document" },
		{ "{" CONTEXT ", \"type\": \"EPCISDocument\", "
		  "\"schemaVersion\": \"2.0\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.creationDate: missing" },
		{ "{" CONTEXT ", \"type\": \"EPCISDocument\", "
		  "\"schemaVersion\": \"2.0\", \"creationDate\": \"yesterday\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.creationDate: \"yesterday\" is not an RFC 3339" },
		{ "{" CONTEXT ", \"schemaVersion\": \"2.0\", "
		  "\"epcisBody\": {\"eventList\": []}}",
		  "$.type: missing" },
		{ DOC_HEAD("2026-01-01T00:00:00Z") "\"epcisBody\": "
		                                   "{\"eventList\": []}, "
		                                   "\"color\": \"red\"}",
		  "$.color: not a field of an EPCISDocument" },
		{ DOC_HEAD(
		          "2026-01-01T00:00:00Z") "\"epcisHeader\": {\"epcisMasterData\": {\"vocabularyList\": "
		                                  "[{\"vocabularyElementList\": []}]}}, "
		                                  "\"epcisBody\": {\"eventList\": []}}",
		  "$.epcisHeader.epcisMasterData.vocabularyList[0].type: missing" },
		{ "{" CONTEXT ", \"type\": \"EPCISQueryDocument\", "
		  "\"schemaVersion\": \"2.0\", "
		  "\"creationDate\": \"2026-01-01T00:00:00Z\", "
		  "\"epcisBody\": {\"queryResults\": {\"queryName\": "
		  "\"SimpleEventQuery\"}}}",
		  "$.epcisBody.queryResults.resultsBody: missing" },
		{ "42", "$: a number, not an EPCIS document" },
		{ "{\"type\": ", "is not a JSON document" },
	};
	uint64_t size = tree_size();
	char url[600];
	cli_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		write_doc(docs[i].doc);
		r = RUN("epcis", "import", W->tmp, "--key", W->importer);
		cli_expect_status(&r, 3);
		if (strstr(r.err, docs[i].message) == NULL) {
			fail_msg("expected \"%s\": %s", docs[i].message, r.err);
		}
		cli_result_free(&r);
	}
	assert_int_equal(tree_size(), size);

	/* Usage. */
	r = RUN("epcis");
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = RUN("epcis", "frobnicate");
	cli_expect_status(&r, 2);
	assert_non_null(strstr(r.err, "import or export"));
	cli_result_free(&r);
	r = RUN("epcis", "import", "--key", W->importer);
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = RUN("epcis", "import", W->tmp, "--frob", "--key", W->importer);
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	r = RUN("epcis", "import", W->tmp, "--batch", "0", "--key",
	        W->importer);
	cli_expect_status(&r, 2);
	cli_result_free(&r);
	/* Files and keys. */
	r = RUN("epcis", "import", "/nonexistent/doc.json", "--key",
	        W->importer);
	cli_expect_status(&r, 5);
	assert_non_null(strstr(r.err, "cannot read /nonexistent/doc.json"));
	cli_result_free(&r);
	r = RUN("epcis", "import", W->tmp, "--key", "/nonexistent/key");
	cli_expect_status(&r, 5);
	cli_result_free(&r);
	/* Network: nobody listens. */
	write_doc(COMMISSION(ITEM("40"), "2026-02-01T10:00:00+01:00"));
	snprintf(url, sizeof(url), "ipc://%s/nobody.sock", W->d.dir);
	r = cli_run("epcis", "import", W->tmp, "--key", W->importer, "--server",
	            url, "--timeout", "1", NULL);
	cli_expect_status(&r, 4);
	cli_result_free(&r);
	assert_int_equal(tree_size(), size);
	/* Help. */
	r = RUN("epcis", "--help");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "waybill epcis import"));
	cli_result_free(&r);
	r = RUN("epcis", "import", "--help");
	cli_expect_status(&r, 0);
	assert_non_null(strstr(r.out, "--proceed"));
	assert_non_null(strstr(r.out, "--server"));
	cli_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_epcis_import_examples),
		cmocka_unit_test(test_cli_epcis_import_invalid_examples),
		cmocka_unit_test(test_cli_epcis_import_atomic_and_proceed),
		cmocka_unit_test(test_cli_epcis_import_master_data),
		cmocka_unit_test(
		        test_cli_epcis_import_unknown_error_declaration),
		cmocka_unit_test(test_cli_epcis_import_errors),
	};

	test_require_shared(EXAMPLES);
	return cmocka_run_group_tests(tests, setup, teardown);
}
