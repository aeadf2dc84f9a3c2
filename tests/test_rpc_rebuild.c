/* SPDX-License-Identifier: MIT */
/*
 * `waybilld --rebuild-indexes` end to end: the real binary refuses while a
 * daemon serves the ledger, rebuilds it once the daemon is stopped (exit 0,
 * one summary line), and the daemon started again answers as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clirun.h"
#include "daemon.h"
#include "waybill/trace.h"

#define ITEM "urn:epc:id:sgtin:0614141.107346.2017"

static char *
passport_text(td_daemon *d, const wb_signer *key)
{
	wb_rpc_client *c = td_client(d, key, false);
	wb_passport *pp = NULL;
	uint64_t *idx = NULL, next = 0;
	size_t n = 0;
	wb_problem p = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(wb_rpc_passport(&pp, c, ITEM, &p), WB_OK);
	fprintf(f, "%s custodian %s location %s disposition %s stamps %llu\n",
	        pp->id, pp->custodian_name, pp->location, pp->disposition,
	        (unsigned long long)pp->n_stamps);
	assert_int_equal(
	        wb_rpc_history(&idx, &n, &next, c, ITEM, 0, false, 100, &p),
	        WB_OK);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, " %llu", (unsigned long long)idx[i]);
	}
	fclose(f);
	free(idx);
	wb_passport_free(pp);
	wb_rpc_client_close(c);
	return text;
}

static void
test_rpc_rebuild_refused_while_serving_then_rebuilt(void **state)
{
	td_daemon d;
	wb_rpc_client *admin;
	wb_signer *acme;
	char *before, *after, want[64];
	cli_result r;
	wb_stamp st;
	const char *ids[1] = { ITEM };
	wb_location loc = { "urn:epc:id:sgln:0614141.00001.0", NULL };

	(void)state;
	td_ledger(&d, WB_CUSTODY_ADVISORY);
	td_start(&d, "ipc", NULL);
	admin = td_client(&d, d.admin, false);
	acme = td_register(&d, admin, "Acme", 40, 0, "0614141");
	memset(&st, 0, sizeof(st));
	st.event_id = "made";
	st.kind = WB_KIND_OBJECT;
	st.event_time.seconds = 1767225600;
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_ADD;
	st.biz_step = "commissioning";
	st.biz_location = &loc;
	(void)td_submit_stamp(&d, admin, acme, &st);
	st.event_id = "shipped";
	st.event_time.seconds += 60;
	st.action = WB_ACTION_OBSERVE;
	st.biz_step = "shipping";
	(void)td_submit_stamp(&d, admin, acme, &st);
	wb_rpc_client_close(admin);
	before = passport_text(&d, acme);

	/* While the daemon serves: refused, naming it; nothing done. */
	r = cli_run("--data", d.dir, "--rebuild-indexes", NULL);
	cli_expect_status(&r, 1);
	snprintf(want, sizeof(want), "another process (pid %ld)", (long)d.pid);
	if (strstr(r.err, want) == NULL ||
	    strstr(r.err, "stop waybilld") == NULL) {
		fail_msg("unexpected message: %s", r.err);
	}
	assert_string_equal(r.out, "");
	cli_result_free(&r);

	/* Stopped: rebuilt, one line, then it serves the same answers. */
	td_stop(&d);
	r = cli_run("--data", d.dir, "--rebuild-indexes", NULL);
	cli_expect_status(&r, 0);
	if (strncmp(r.out, "rebuilt 4 entries: 4 checkpoints match, ", 40) !=
	            0 ||
	    strchr(r.out, '\n') != r.out + strlen(r.out) - 1) {
		fail_msg("unexpected summary: %s", r.out);
	}
	cli_result_free(&r);
	td_start(&d, "ipc", NULL);
	after = passport_text(&d, acme);
	assert_string_equal(after, before);
	td_stop(&d);
	free(before);
	free(after);
	wb_signer_free(acme);
	td_cleanup(&d);
}

static void
test_rpc_rebuild_refuses_a_directory_without_a_ledger(void **state)
{
	char *dir = test_mkdtemp();
	cli_result r;

	(void)state;
	r = cli_run("--data", dir, "--rebuild-indexes", NULL);
	cli_expect_status(&r, 1);
	assert_non_null(strstr(r.err, "holds no ledger: nothing to rebuild"));
	assert_string_equal(r.out, "");
	cli_result_free(&r);
	test_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		        test_rpc_rebuild_refused_while_serving_then_rebuilt),
		cmocka_unit_test(
		        test_rpc_rebuild_refuses_a_directory_without_a_ledger),
	};
	const char *daemon = getenv("WAYBILLD");

	/* cli_run runs $WAYBILL: here, the daemon binary itself. */
	if (daemon == NULL) {
		printf("1..0 # SKIP WAYBILLD is not set\n");
		return 0;
	}
	setenv("WAYBILL", daemon, 1);
	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
