/* SPDX-License-Identifier: MIT */
/*
 * The request path in-process (rpc/local.h): limits of the server that
 * would take millions of requests to reach over a socket, set small here.
 */
#include "fixture.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "local.h"
#include "rpc.pb-c.h"
#include "wire.h"

#define MAX_NONCES 100

struct world {
	fx_ledger fx;
	wb_signer *acme;
	wb_rpc_server *srv;
	uint64_t next_id;
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	wb_rpc_server_opts so = { .max_nonces = MAX_NONCES };

	assert_non_null(w);
	fx_open(&w->fx, WB_CUSTODY_ADVISORY);
	w->acme = fx_register(&w->fx, "Acme", 10, FX_ROLE(WB_ROLE_BRAND_OWNER),
	                      "0614141", NULL, NULL);
	assert_int_equal(wb_rpc_local_new(&w->srv, w->fx.j, &so), WB_OK);
	w->next_id = 1;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_rpc_local_free(w->srv);
	wb_signer_free(w->acme);
	fx_close(&w->fx);
	free(w);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sends req on connection conn; the reply comes back decoded (free with
 * wb_wire_response_fini). */
static void
call(struct world *w, uint32_t conn, wb_wire_request *req,
     wb_wire_response *resp)
{
	uint8_t *msg = NULL, *reply = NULL;
	size_t len, reply_len;

	req->version_major = WB_RPC_VERSION_MAJOR;
	req->request_id = w->next_id++;
	assert_int_equal(wb_wire_request_encode(&msg, &len, req), WB_OK);
	assert_int_equal(
	        wb_rpc_local_call(&reply, &reply_len, w->srv, conn, msg, len),
	        WB_OK);
	assert_int_equal(wb_wire_response_decode(resp, reply, reply_len),
	                 WB_OK);
	assert_int_equal(resp->request_id, req->request_id);
	free(msg);
	free(reply);
}

/* A GetEntry of index 0 (a read that needs a key) signed by Acme with
 * this nonce (16 bytes). */
static void
signed_read(struct world *w, const uint8_t nonce[16], wb_wire_response *resp)
{
	Waybill__V1__GetEntryRequest m = WAYBILL__V1__GET_ENTRY_REQUEST__INIT;
	wb_wire_request req = { .op = WB_OP_GET_ENTRY };
	uint8_t body[16], msg[WB_AUTH_MSG_MAX];
	size_t n;

	req.body = body;
	req.body_len = waybill__v1__get_entry_request__pack(&m, body);
	req.has_auth = true;
	req.auth_key = *wb_signer_pubkey(w->acme);
	req.auth_ts_ms = now_ms();
	memcpy(req.nonce, nonce, 16);
	req.nonce_len = 16;
	n = wb_wire_request_auth_msg(msg, wb_journal_ledger_id(w->fx.j), req.op,
	                             req.body, req.body_len, req.auth_ts_ms,
	                             nonce, 16);
	assert_int_equal(
	        wb_sig_sign(req.auth_sig, w->acme, WB_SIG_AUTH, msg, n), WB_OK);
	call(w, 1, &req, resp);
}

/* The same read on connection conn, unsigned. */
static void
read_on(struct world *w, uint32_t conn, wb_wire_response *resp)
{
	Waybill__V1__GetEntryRequest m = WAYBILL__V1__GET_ENTRY_REQUEST__INIT;
	wb_wire_request req = { .op = WB_OP_GET_ENTRY };
	uint8_t body[16];

	req.body = body;
	req.body_len = waybill__v1__get_entry_request__pack(&m, body);
	call(w, conn, &req, resp);
}

static void
expect_status(wb_wire_response *resp, wb_err status, wb_reject reason,
              const char *hint)
{
	if (resp->status != status || resp->reason != reason) {
		fail_msg("expected %s / %s, got %s / %s: %s",
		         wb_strerror(status), wb_reject_name(reason),
		         wb_strerror(resp->status),
		         wb_reject_name(resp->reason),
		         resp->message ? resp->message : "(no message)");
	}
	if (hint != NULL &&
	    (resp->message == NULL || strstr(resp->message, hint) == NULL)) {
		fail_msg("the message does not say \"%s\": %s", hint,
		         resp->message ? resp->message : "(none)");
	}
	wb_wire_response_fini(resp);
}

/* Authenticates connection conn as Acme (challenge, then Authenticate). */
static void
authenticate(struct world *w, uint32_t conn)
{
	Waybill__V1__ChallengeResponse *ch;
	Waybill__V1__AuthenticateRequest a =
	        WAYBILL__V1__AUTHENTICATE_REQUEST__INIT;
	wb_wire_request req = { .op = WB_OP_CHALLENGE };
	wb_wire_response resp;
	uint8_t msg[WB_CHALLENGE_MSG_LEN], sig[WB_SIG_LEN], body[256];

	call(w, conn, &req, &resp);
	assert_int_equal(resp.status, WB_OK);
	ch = waybill__v1__challenge_response__unpack(NULL, resp.body_len,
	                                             resp.body);
	wb_wire_response_fini(&resp);
	assert_non_null(ch);
	assert_int_equal(ch->challenge.len, WB_CHALLENGE_LEN);
	wb_wire_challenge_msg(msg, wb_journal_ledger_id(w->fx.j),
	                      ch->challenge.data);
	assert_int_equal(
	        wb_sig_sign(sig, w->acme, WB_SIG_AUTH, msg, sizeof(msg)),
	        WB_OK);
	a.key.data = (uint8_t *)(uintptr_t)wb_signer_pubkey(w->acme)->b;
	a.key.len = WB_PUBKEY_LEN;
	a.challenge = ch->challenge;
	a.signature.data = sig;
	a.signature.len = WB_SIG_LEN;
	memset(&req, 0, sizeof(req));
	req.op = WB_OP_AUTHENTICATE;
	req.body = body;
	req.body_len = waybill__v1__authenticate_request__pack(&a, body);
	call(w, conn, &req, &resp);
	waybill__v1__challenge_response__free_unpacked(ch, NULL);
	expect_status(&resp, WB_OK, WB_REJECT_NONE, NULL);
}

/*
 * With max_nonces 100, a hundred signed requests with fresh nonces are
 * served; the next is refused busy, with a message that says what to do,
 * and so is every one after it within the 10 minutes the nonces are kept
 * (here at once, and after the next second's sweep). A nonce already seen
 * is still never taken. Requests on an authenticated connection, which
 * carry no nonce, are still served.
 */
static void
test_local_signed_requests_beyond_max_nonces_are_busy(void **state)
{
	struct world *w = *state;
	uint8_t nonces[MAX_NONCES + 2][16];
	wb_wire_response resp;
	struct timespec pause = { 1, 100 * 1000000L };

	for (int i = 0; i < MAX_NONCES + 2; i++) {
		wb_random_bytes(nonces[i], 16);
	}
	for (int i = 0; i < MAX_NONCES; i++) {
		signed_read(w, nonces[i], &resp);
		expect_status(&resp, WB_OK, WB_REJECT_NONE, NULL);
	}
	signed_read(w, nonces[MAX_NONCES], &resp);
	expect_status(&resp, WB_EBUSY, WB_REJECT_NONE,
	              "too many signed requests at once: retry shortly, or "
	              "authenticate the connection instead");
	nanosleep(&pause, NULL);
	signed_read(w, nonces[MAX_NONCES + 1], &resp);
	expect_status(&resp, WB_EBUSY, WB_REJECT_NONE, "too many signed");
	signed_read(w, nonces[0], &resp);
	assert_int_not_equal(resp.status, WB_OK);
	wb_wire_response_fini(&resp);

	/* The read needs a key: unsigned, on a connection not
	 * authenticated, it is refused; once the connection is, served. */
	read_on(w, 2, &resp);
	assert_int_not_equal(resp.status, WB_OK);
	wb_wire_response_fini(&resp);
	authenticate(w, 2);
	for (int i = 0; i < 3; i++) {
		read_on(w, 2, &resp);
		expect_status(&resp, WB_OK, WB_REJECT_NONE, NULL);
	}
}

/* Below the limit, the table grows past its first size (4096 slots) and
 * every nonce seen is still refused when replayed. */
static void
test_local_nonces_kept_as_the_table_grows(void **state)
{
	struct world *w = *state;
	wb_rpc_server_opts so = { .max_nonces = 10000 };
	enum {
		N = 5000
	};
	uint8_t(*nonces)[16] = malloc(N * 16);
	wb_wire_response resp;

	assert_non_null(nonces);
	wb_rpc_local_free(w->srv);
	assert_int_equal(wb_rpc_local_new(&w->srv, w->fx.j, &so), WB_OK);
	for (int i = 0; i < N; i++) {
		wb_random_bytes(nonces[i], 16);
		signed_read(w, nonces[i], &resp);
		expect_status(&resp, WB_OK, WB_REJECT_NONE, NULL);
	}
	for (int i = 0; i < N; i += 97) {
		signed_read(w, nonces[i], &resp);
		expect_status(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED,
		              "fresh nonce");
	}
	free(nonces);
}

/* Options that could never work are refused. */
static void
test_local_impossible_options_refused(void **state)
{
	struct world *w = *state;
	wb_rpc_server *s = NULL;
	wb_rpc_server_opts small_queue = { .max_batch = 16, .max_queued = 8 };
	wb_rpc_server_opts huge = { .max_nonces = WB_RPC_MAX_MAX_NONCES + 1 };

	assert_int_equal(wb_rpc_local_new(&s, w->fx.j, &small_queue),
	                 WB_EINVAL);
	assert_null(s);
	assert_int_equal(wb_rpc_local_new(&s, w->fx.j, &huge), WB_EINVAL);
	assert_null(s);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_local_signed_requests_beyond_max_nonces_are_busy),
		T(test_local_nonces_kept_as_the_table_grows),
		T(test_local_impossible_options_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
