/* SPDX-License-Identifier: MIT */
/*
 * The same small scenario over every transport waybilld serves: ipc://,
 * tcp://127.0.0.1 on a port the kernel picks, and tls+tcp:// with an ECDSA
 * P-256 certificate made at test time (mbedTLS in Debian's nng takes no
 * Ed25519 certificates). Plus the pub socket: a subscriber hears a recall
 * and its lift, each carrying its index.
 *
 * The certificate comes from the openssl command; without it the whole
 * executable is skipped.
 */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "test.example/ledger"

struct world {
	td_daemon d;
	const char *transport; /* "ipc", "tcp" or "tls" */
	char cert[4096];
	char key[4096];
};

/* A self-signed ECDSA P-256 certificate for CN=localhost in dir. */
static void
make_cert(const char *dir, const char *name, char *cert, char *key, size_t size)
{
	char cmd[3 * 4096];

	snprintf(cert, size, "%s/%s.crt", dir, name);
	snprintf(key, size, "%s/%s.key", dir, name);
	snprintf(
	        cmd, sizeof(cmd),
	        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost -keyout '%s' -out '%s' >/dev/null 2>&1",
	        key, cert);
	if (system(cmd) != 0) {
		fail_msg("openssl could not make a certificate: %s", cmd);
	}
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->transport = *state; /* the prestate: which transport */
	td_ledger(&w->d, WB_CUSTODY_ADVISORY);
	if (strcmp(w->transport, "tls") == 0) {
		make_cert(w->d.dir, "server", w->cert, w->key, sizeof(w->cert));
		td_start(&w->d, "tls+tcp://127.0.0.1:0", "--tls-cert", w->cert,
		         "--tls-key", w->key, NULL);
	} else {
		td_start(&w->d, w->transport, NULL);
	}
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	td_stop(&w->d);
	td_cleanup(&w->d);
	free(w);
	return 0;
}

/* A client on the world's transport; over TLS it checks the server's
 * certificate and name. */
static wb_rpc_client *
client(struct world *w, const wb_signer *key, bool per_request)
{
	if (strcmp(w->transport, "tls") == 0) {
		return td_client_tls(&w->d, key, per_request, w->cert,
		                     "localhost", 0);
	}
	return td_client(&w->d, key, per_request);
}

/* The port of a URL ending in ":PORT"; 0 when there is none. */
static long
url_port(const char *url)
{
	const char *colon = strrchr(url, ':');

	return colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
}

/* The URL the daemon printed is the transport asked for, with the port
 * the kernel chose. */
static void
check_url(struct world *w)
{
	const char *want = strcmp(w->transport, "ipc") == 0 ? "ipc://"
	                   : strcmp(w->transport, "tcp") == 0
	                           ? "tcp://127.0.0.1:"
	                           : "tls+tcp://127.0.0.1:";

	if (strncmp(w->d.url, want, strlen(want)) != 0) {
		fail_msg("the daemon listens on %s, not %s...", w->d.url, want);
	}
	if (strcmp(w->transport, "ipc") != 0) {
		assert_true(url_port(w->d.url) > 0);
		assert_true(url_port(w->d.url) < 65536);
	}
}

/* Ping, register, submit with a receipt verified offline, authenticated
 * reads both ways; anonymous reads refused. */
static void
scenario(struct world *w)
{
	wb_rpc_client *anon, *admin, *acme, *acme_signed;
	wb_signer *acme_key;
	wb_submission sub;
	wb_rpc_result *res = NULL;
	wb_receipt_info ri;
	wb_rpc_info info;
	uint8_t *entry = NULL, *entry2 = NULL;
	size_t len = 0, len2 = 0;
	uint64_t size = 0;
	wb_hash leaf;
	wb_problem p;

	check_url(w);
	anon = client(w, NULL, false);
	assert_int_equal(wb_rpc_ping(anon, &p), WB_OK);
	assert_int_equal(wb_rpc_info_get(&info, anon, &p), WB_OK);
	assert_memory_equal(info.ledger_id, w->d.ledger_id, WB_HASH_LEN);
	assert_int_equal(info.tree_size, 1);
	free(info.checkpoint);

	admin = client(w, w->d.admin, false);
	acme_key = td_register(&w->d, admin, "Acme", 10,
	                       1u << WB_ROLE_BRAND_OWNER, "0614141");
	acme = client(w, acme_key, false);
	td_stamp(&w->d, &sub, acme_key, "ev-1",
	         "urn:epc:id:sgtin:0614141.107346.1", WB_ACTION_ADD,
	         "commissioning");
	if (wb_rpc_submit(&res, &size, acme, &sub, 1, false, &p) != WB_OK) {
		fail_msg("submit: %s", p.msg);
	}
	assert_int_equal(res[0].err, WB_OK);
	assert_int_equal(res[0].index, 2);
	assert_int_equal(size, 3);
	assert_non_null(res[0].receipt);
	/* The receipt proves, with the log key alone, that exactly these
	 * stamp bytes and signature are in the ledger. */
	assert_int_equal(wb_receipt_verify(&ri, res[0].receipt,
	                                   res[0].receipt_len, ORIGIN,
	                                   wb_signer_pubkey(w->d.log), sub.body,
	                                   sub.body_len, sub.signature),
	                 WB_OK);
	assert_int_equal(ri.index, 2);
	assert_int_equal(ri.tree_size, 3);

	/* Reads: by a connection answering a challenge, and by signed
	 * requests; both return the entry the receipt proves. */
	assert_int_equal(wb_rpc_get_entry(&entry, &len, acme, 2, &p), WB_OK);
	wb_hash_leaf(&leaf, entry, len);
	assert_memory_equal(leaf.b, ri.leaf_hash.b, WB_HASH_LEN);
	acme_signed = client(w, acme_key, true);
	assert_int_equal(wb_rpc_get_entry(&entry2, &len2, acme_signed, 2, &p),
	                 WB_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(entry2, entry, len);
	free(entry2);
	assert_int_equal(wb_rpc_get_entry(&entry2, &len2, anon, 2, &p),
	                 WB_EDENIED);
	assert_int_equal(p.reason, WB_REJECT_AUTH_REQUIRED);
	assert_null(entry2);

	free(entry);
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);
	wb_rpc_client_close(anon);
	wb_rpc_client_close(admin);
	wb_rpc_client_close(acme);
	wb_rpc_client_close(acme_signed);
	wb_signer_free(acme_key);
}

static void
test_transport_ipc(void **state)
{
	scenario(*state);
}

static void
test_transport_tcp(void **state)
{
	scenario(*state);
}

static void
test_transport_tls(void **state)
{
	scenario(*state);
}

/* A client that cannot ping within its short timeout. */
static void
expect_no_service(wb_rpc_client *c, const char *why)
{
	wb_problem p;
	wb_err rc = wb_rpc_ping(c, &p);

	if (rc == WB_OK) {
		fail_msg("%s: the ping was answered", why);
	}
	assert_true(rc == WB_ETIMEDOUT || rc == WB_ECLOSED || rc == WB_EIO ||
	            rc == WB_EDENIED);
	wb_rpc_client_close(c);
}

/* TLS really is on, and really authenticates the server: a plain tcp://
 * client, a client expecting another name and a client trusting another
 * certificate all fail; the right client is served. */
static void
test_transport_tls_authenticates_the_server(void **state)
{
	struct world *w = *state;
	char other_cert[4096], other_key[4096], plain[512];
	const char *hostport = strstr(w->d.url, "://");
	wb_rpc_client *c = NULL;
	wb_rpc_client_opts o = { .timeout_ms = 1000 };

	check_url(w);
	make_cert(w->d.dir, "other", other_cert, other_key, sizeof(other_cert));
	assert_non_null(hostport);
	snprintf(plain, sizeof(plain), "tcp%s", hostport);
	assert_int_equal(wb_rpc_client_open(&c, plain, &o), WB_OK);
	expect_no_service(c, "plain tcp:// to a TLS port");
	expect_no_service(td_client_tls(&w->d, NULL, false, w->cert,
	                                "wrong.example", 1000),
	                  "a server name the certificate does not hold");
	expect_no_service(td_client_tls(&w->d, NULL, false, other_cert,
	                                "localhost", 1000),
	                  "a CA that did not sign the certificate");
	c = td_client_tls(&w->d, NULL, false, w->cert, "localhost", 0);
	assert_int_equal(wb_rpc_ping(c, NULL), WB_OK);
	wb_rpc_client_close(c);
}

/* A stamp about a twin nobody else touches; body malloc'd. */
static void
kind_stamp(td_daemon *d, wb_submission *sub, const wb_signer *s,
           const char *event_id, wb_kind kind, const wb_recall *recall,
           const wb_lift *lift)
{
	wb_stamp st = { 0 };
	uint8_t *body = NULL;
	size_t len;

	memcpy(st.ledger_id, d->ledger_id, WB_HASH_LEN);
	st.event_id = event_id;
	st.kind = kind;
	st.event_time.seconds = 1767225600;
	st.event_tz_offset = "+00:00";
	st.recall = recall;
	st.lift = lift;
	memset(sub, 0, sizeof(*sub));
	assert_int_equal(wb_stamp_encode(&body, &len, &st), WB_OK);
	sub->type = WB_ENTRY_STAMP;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(s);
	assert_int_equal(
	        wb_sig_sign(sub->signature, s, WB_SIG_STAMP, body, len), WB_OK);
}

/* Submits one stamp (freeing its body); returns its index. */
static uint64_t
submit_one(wb_rpc_client *c, wb_submission *sub)
{
	wb_rpc_result *res = NULL;
	uint64_t index;
	wb_problem p;

	if (wb_rpc_submit(&res, NULL, c, sub, 1, false, &p) != WB_OK) {
		fail_msg("submit: %s", p.msg);
	}
	if (res[0].err != WB_OK) {
		fail_msg("refused: %s", res[0].problem.msg);
	}
	index = res[0].index;
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub->body);
	return index;
}

/* Waits (up to 5 s) for the next notice of `kind`, skipping checkpoint
 * notices; another recall or lift notice fails the test. */
static wb_notice
await_notice(struct world *w, wb_rpc_subscriber *sub, wb_notice_kind kind)
{
	wb_checkpoint cp;
	wb_notice n;

	for (int i = 0; i < 50; i++) {
		wb_err rc = wb_rpc_notice_next(&n, sub, 100);

		if (rc == WB_ETIMEDOUT) {
			continue;
		}
		assert_int_equal(rc, WB_OK);
		if (n.kind == kind) {
			return n;
		}
		if (n.kind != WB_NOTICE_CHECKPOINT) {
			fail_msg(
			        "notice of kind %d (index %llu) while waiting for kind %d",
			        (int)n.kind, (unsigned long long)n.index,
			        (int)kind);
		}
		/* Checkpoint notices are signed notes of their size. */
		assert_non_null(n.checkpoint);
		assert_int_equal(
		        wb_checkpoint_verify(&cp, n.checkpoint,
		                             strlen(n.checkpoint), ORIGIN,
		                             wb_signer_pubkey(w->d.log)),
		        WB_OK);
		assert_int_equal(cp.size, n.index);
		free(n.checkpoint);
	}
	fail_msg("no notice of kind %d within 5 s", (int)kind);
	return n;
}

static void
test_transport_notices_announce_recall_and_lift(void **state)
{
	struct world *w = *state;
	const char *lot[] = { "urn:epc:class:lgtin:0614141.107346.LOT1" };
	wb_recall recall = {
		lot, 1, "undeclared peanuts", true, WB_RECALL_CLASS_I, NULL
	};
	wb_lift lift = { 0, NULL, 0, "relabelled" };
	wb_rpc_client *admin = client(w, w->d.admin, false);
	wb_signer *acme = td_register(&w->d, admin, "Acme", 10,
	                              1u << WB_ROLE_BRAND_OWNER, "0614141");
	wb_signer *fda = td_register(&w->d, admin, "Regulator", 11,
	                             1u << WB_ROLE_REGULATOR, NULL);
	wb_rpc_subscriber *sub = NULL;
	wb_submission s;
	uint64_t recall_index, lift_index;
	wb_notice n;
	bool heard = false;

	assert_int_equal(wb_rpc_subscribe(&sub, w->d.pub_url), WB_OK);
	/* pub drops what it sends before the subscription is connected:
	 * submit harmless stamps until one is heard. */
	for (int i = 0; i < 100 && !heard; i++) {
		char ev[32], id[64];

		snprintf(ev, sizeof(ev), "warm-%d", i);
		snprintf(id, sizeof(id), "urn:epc:id:sgtin:0614141.107346.%d",
		         1000 + i);
		td_stamp(&w->d, &s, acme, ev, id, WB_ACTION_ADD,
		         "commissioning");
		submit_one(admin, &s);
		if (wb_rpc_notice_next(&n, sub, 100) == WB_OK) {
			assert_int_equal(n.kind, WB_NOTICE_CHECKPOINT);
			free(n.checkpoint);
			heard = true;
		}
	}
	assert_true(heard);

	kind_stamp(&w->d, &s, fda, "recall-1", WB_KIND_RECALL, &recall, NULL);
	recall_index = submit_one(admin, &s);
	n = await_notice(w, sub, WB_NOTICE_RECALL);
	assert_int_equal(n.index, recall_index);
	assert_int_equal(n.recall_index, 0);
	assert_null(n.checkpoint);
	/* The recall's commit is announced right after it. */
	n = await_notice(w, sub, WB_NOTICE_CHECKPOINT);
	assert_int_equal(n.index, recall_index + 1);
	free(n.checkpoint);

	lift.recall_index = recall_index;
	kind_stamp(&w->d, &s, fda, "lift-1", WB_KIND_LIFT, NULL, &lift);
	lift_index = submit_one(admin, &s);
	assert_true(lift_index > recall_index);
	n = await_notice(w, sub, WB_NOTICE_LIFT);
	assert_int_equal(n.index, lift_index);
	assert_int_equal(n.recall_index, recall_index);
	assert_null(n.checkpoint);

	wb_rpc_subscriber_close(sub);
	wb_rpc_client_close(admin);
	wb_signer_free(acme);
	wb_signer_free(fda);
}

int
main(void)
{
#define T(name, transport)                                              \
	cmocka_unit_test_prestate_setup_teardown(name, setup, teardown, \
	                                         (void *)(uintptr_t)transport)
	const struct CMUnitTest tests[] = {
		T(test_transport_ipc, "ipc"),
		T(test_transport_tcp, "tcp"),
		T(test_transport_tls, "tls"),
		T(test_transport_tls_authenticates_the_server, "tls"),
		T(test_transport_notices_announce_recall_and_lift, "ipc"),
	};
#undef T

	/* The TLS cases need a certificate made by openssl. */
	if (system("openssl version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP the openssl command is missing\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
