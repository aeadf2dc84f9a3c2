/* SPDX-License-Identifier: MIT */
/*
 * The service against a hostile or broken peer: the real waybilld on
 * ipc://, spoken to over a bare req0 socket with hand-built envelopes, so
 * that every refusal a well-behaved client never provokes is reached. Each
 * refusal must come with its own status and reason code and a message
 * that says what to do; garbage must write nothing and leave the daemon
 * serving.
 */
#include "daemon.h"

#include <lmdb.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "rpc.pb-c.h"
#include "wire.h"

#define ORIGIN "test.example/ledger"
#define ITEM   "urn:epc:id:sgtin:0614141.107346.%d"

/* The daemon's limits for these tests: small, so that crossing them is
 * cheap. nng's own receive limit is twice the message limit. */
#define MAX_MESSAGE     65536
#define MAX_MESSAGE_ARG "65536"
#define MAX_BATCH       8
#define MAX_BATCH_ARG   "8"
/* Stamps waiting for the writer: one batch fits, a second does not. */
#define MAX_QUEUED_ARG "12"

#define FLOOD 10000

struct world {
	td_daemon d;
	wb_rpc_client *admin;
	wb_signer *acme;     /* registered */
	wb_signer *stranger; /* never registered */
	uint64_t next_id;
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	td_ledger(&w->d, WB_CUSTODY_ADVISORY);
	td_start(&w->d, "ipc", "--max-message", MAX_MESSAGE_ARG, "--max-batch",
	         MAX_BATCH_ARG, "--max-queued", MAX_QUEUED_ARG, NULL);
	w->admin = td_client(&w->d, w->d.admin, false);
	w->acme = td_register(&w->d, w->admin, "Acme", 10,
	                      1u << WB_ROLE_BRAND_OWNER, "0614141");
	w->stranger = test_signer("Stranger", 77);
	w->next_id = 1000;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	wb_rpc_client_close(w->admin);
	td_stop(&w->d);
	wb_signer_free(w->acme);
	wb_signer_free(w->stranger);
	td_cleanup(&w->d);
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

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A fixed-seed generator: the "random" garbage is the same on every run,
 * so that a failure can be replayed. */
static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * The bare socket and envelopes.
 */

static nng_socket
raw_open(const char *url, int timeout_ms)
{
	nng_socket s;

	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms),
	                 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms),
	                 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 20), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, 200), 0);
	/* Synchronous: the connection exists before the first send, so that
	 * every request of a test goes over this one connection. */
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	return s;
}

static void
req_init(struct world *w, wb_wire_request *r, int op, const void *body,
         size_t len)
{
	memset(r, 0, sizeof(*r));
	r->version_major = WB_RPC_VERSION_MAJOR;
	r->request_id = w->next_id++;
	r->op = op;
	r->body = body;
	r->body_len = len;
}

/* A per-request auth header: signer's signature, for purpose ctx, over
 * the auth message of (ledger_id, the request's op and body, ts, nonce). */
static void
req_sign(wb_wire_request *r, const uint8_t *ledger_id, const wb_signer *s,
         wb_sig_context ctx, uint64_t ts_ms, const uint8_t *nonce,
         size_t nonce_len)
{
	uint8_t msg[WB_AUTH_MSG_MAX];
	size_t n;

	r->has_auth = true;
	r->auth_key = *wb_signer_pubkey(s);
	r->auth_ts_ms = ts_ms;
	memcpy(r->nonce, nonce, nonce_len);
	r->nonce_len = nonce_len;
	n = wb_wire_request_auth_msg(msg, ledger_id, r->op, r->body,
	                             r->body_len, ts_ms, nonce, nonce_len);
	assert_int_equal(wb_sig_sign(r->auth_sig, s, ctx, msg, n), WB_OK);
}

static void
fresh_nonce(uint8_t nonce[16])
{
	wb_random_bytes(nonce, 16);
}

/* Sends bytes and decodes the reply; fails the test when none comes. */
static void
exchange(nng_socket s, const void *buf, size_t len, wb_wire_response *resp)
{
	void *reply = NULL;
	size_t reply_len = 0;
	int rv;

	if ((rv = nng_send(s, (void *)(uintptr_t)buf, len, 0)) != 0) {
		fail_msg("send: %s", nng_strerror(rv));
	}
	if ((rv = nng_recv(s, &reply, &reply_len, NNG_FLAG_ALLOC)) != 0) {
		fail_msg("no reply: %s", nng_strerror(rv));
	}
	assert_int_equal(wb_wire_response_decode(resp, reply, reply_len),
	                 WB_OK);
	nng_free(reply, reply_len);
}

static uint8_t *
encode(const wb_wire_request *r, size_t *len_out)
{
	uint8_t *bytes = NULL;

	assert_int_equal(wb_wire_request_encode(&bytes, len_out, r), WB_OK);
	return bytes;
}

/* One request; the reply must answer it (same request ID). */
static void
call(nng_socket s, const wb_wire_request *r, wb_wire_response *resp)
{
	size_t len;
	uint8_t *bytes = encode(r, &len);

	exchange(s, bytes, len, resp);
	free(bytes);
	assert_int_equal(resp->request_id, r->request_id);
}

/* The reply is a refusal with exactly this status and reason, and a
 * message that says what to do (it contains `hint`). Releases resp. */
static void
expect_refusal(wb_wire_response *resp, wb_err status, wb_reject reason,
               const char *hint)
{
	if (resp->status != status || resp->reason != reason) {
		fail_msg("expected %s / %s, got %s / %s: %s",
		         wb_strerror(status), wb_reject_name(reason),
		         wb_strerror(resp->status),
		         wb_reject_name(resp->reason),
		         resp->message ? resp->message : "(no message)");
	}
	assert_non_null(resp->message);
	assert_true(strlen(resp->message) > 10);
	if (hint != NULL && strstr(resp->message, hint) == NULL) {
		fail_msg("the message does not say \"%s\": %s", hint,
		         resp->message);
	}
	wb_wire_response_fini(resp);
}

static void
expect_ok(wb_wire_response *resp)
{
	if (resp->status != WB_OK) {
		fail_msg("expected OK, got %s / %s: %s",
		         wb_strerror(resp->status),
		         wb_reject_name(resp->reason),
		         resp->message ? resp->message : "(no message)");
	}
	wb_wire_response_fini(resp);
}

/* A GetEntryRequest body (an authenticated read); returns its length. */
static size_t
get_entry_body(uint8_t buf[16], uint64_t index)
{
	Waybill__V1__GetEntryRequest m = WAYBILL__V1__GET_ENTRY_REQUEST__INIT;

	m.index = index;
	assert_true(waybill__v1__get_entry_request__get_packed_size(&m) <= 16);
	return waybill__v1__get_entry_request__pack(&m, buf);
}

/* A GetEntry of index on s, signed per request by signer; the reply. */
static void
signed_read(struct world *w, nng_socket s, const wb_signer *signer,
            uint64_t index, const uint8_t nonce[16], wb_wire_response *resp)
{
	uint8_t body[16];
	size_t len = get_entry_body(body, index);
	wb_wire_request r;

	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	req_sign(&r, w->d.ledger_id, signer, WB_SIG_AUTH, now_ms(), nonce, 16);
	call(s, &r, resp);
}

/* A GetEntry on s relying on the connection's authentication. */
static void
conn_read(struct world *w, nng_socket s, uint64_t index, wb_wire_response *resp)
{
	uint8_t body[16];
	size_t len = get_entry_body(body, index);
	wb_wire_request r;

	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	call(s, &r, resp);
}

static void
get_challenge(struct world *w, nng_socket s, uint8_t out[WB_CHALLENGE_LEN])
{
	Waybill__V1__ChallengeResponse *m;
	wb_wire_request r;
	wb_wire_response resp;

	req_init(w, &r, WB_OP_CHALLENGE, NULL, 0);
	call(s, &r, &resp);
	assert_int_equal(resp.status, WB_OK);
	m = waybill__v1__challenge_response__unpack(NULL, resp.body_len,
	                                            resp.body);
	assert_non_null(m);
	assert_int_equal(m->challenge.len, WB_CHALLENGE_LEN);
	memcpy(out, m->challenge.data, WB_CHALLENGE_LEN);
	waybill__v1__challenge_response__free_unpacked(m, NULL);
	wb_wire_response_fini(&resp);
}

/* The encoded Authenticate request answering `challenge` as `key`, with a
 * signature by `signer` for purpose ctx (malloc'd). */
static uint8_t *
authenticate_request(struct world *w, size_t *len_out, const wb_pubkey *key,
                     const wb_signer *signer, wb_sig_context ctx,
                     const uint8_t challenge[WB_CHALLENGE_LEN])
{
	Waybill__V1__AuthenticateRequest a =
	        WAYBILL__V1__AUTHENTICATE_REQUEST__INIT;
	uint8_t msg[WB_CHALLENGE_MSG_LEN], sig[WB_SIG_LEN], body[256];
	wb_wire_request r;
	size_t len;

	wb_wire_challenge_msg(msg, w->d.ledger_id, challenge);
	assert_int_equal(wb_sig_sign(sig, signer, ctx, msg, sizeof(msg)),
	                 WB_OK);
	a.key.data = (uint8_t *)(uintptr_t)key->b;
	a.key.len = WB_PUBKEY_LEN;
	a.challenge.data = (uint8_t *)(uintptr_t)challenge;
	a.challenge.len = WB_CHALLENGE_LEN;
	a.signature.data = sig;
	a.signature.len = WB_SIG_LEN;
	assert_true(waybill__v1__authenticate_request__get_packed_size(&a) <=
	            sizeof(body));
	len = waybill__v1__authenticate_request__pack(&a, body);
	req_init(w, &r, WB_OP_AUTHENTICATE, body, len);
	return encode(&r, len_out);
}

/* Challenge, then Authenticate as signer on s: the reply. */
static void
challenge_login(struct world *w, nng_socket s, const wb_signer *signer,
                wb_wire_response *resp)
{
	uint8_t ch[WB_CHALLENGE_LEN], *bytes;
	size_t len;

	get_challenge(w, s, ch);
	bytes = authenticate_request(w, &len, wb_signer_pubkey(signer), signer,
	                             WB_SIG_AUTH, ch);
	exchange(s, bytes, len, resp);
	free(bytes);
}

/* Info through the client library (free info->checkpoint). */
static void
info(struct world *w, wb_rpc_info *out)
{
	wb_problem p;

	if (wb_rpc_info_get(out, w->admin, &p) != WB_OK) {
		fail_msg("info: %s", p.msg);
	}
}

/*
 * Per-request authentication.
 */

static void
test_abuse_stale_timestamp_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	const uint64_t now = now_ms(), minute = 60000;
	/* Just outside the 5-minute window both ways, and the values that
	 * overflow a careless "ts + window < now". */
	const uint64_t stale[] = { now - 6 * minute, now + 6 * minute, 0,
		                   UINT64_MAX, UINT64_MAX - 100000 };
	uint8_t body[16], nonce[16];
	size_t len = get_entry_body(body, 1);
	wb_wire_request r;
	wb_wire_response resp;

	for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		req_init(w, &r, WB_OP_GET_ENTRY, body, len);
		fresh_nonce(nonce);
		req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, stale[i],
		         nonce, 16);
		call(s, &r, &resp);
		expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_STALE,
		               "clock");
	}
	/* Inside the window (4 minutes late) the same read is served. */
	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	fresh_nonce(nonce);
	req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now - 4 * minute,
	         nonce, 16);
	call(s, &r, &resp);
	expect_ok(&resp);
	nng_close(s);
}

static void
test_abuse_replayed_nonce_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	nng_socket other = raw_open(w->d.url, 5000);
	uint8_t body[16], nonce[16], *bytes;
	size_t len = get_entry_body(body, 1), n;
	wb_wire_request r;
	wb_wire_response resp;

	fresh_nonce(nonce);
	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now_ms(), nonce, 16);
	bytes = encode(&r, &n);
	exchange(s, bytes, n, &resp);
	expect_ok(&resp);
	/* The very same bytes again, on this connection and on another:
	 * the nonce cache is the server's, not the connection's. */
	exchange(s, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED,
	               "fresh nonce");
	exchange(other, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED,
	               "fresh nonce");
	free(bytes);
	/* The nonce with a fresh, valid signature over another body (a read
	 * of entry 0): still a replay. */
	signed_read(w, s, w->acme, 0, nonce, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED,
	               "fresh nonce");
	/* A fresh nonce is served. */
	fresh_nonce(nonce);
	signed_read(w, s, w->acme, 0, nonce, &resp);
	expect_ok(&resp);
	nng_close(s);
	nng_close(other);
}

/* The server's nonce table starts small and grows with the signed-request
 * rate: thousands of fresh nonces (more than the first table holds) are
 * all served, and the first of them is still known after every growth. */
static void
test_abuse_nonces_remembered_as_the_table_grows(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	uint8_t body[16], first[16], nonce[16], *bytes;
	size_t len = get_entry_body(body, 1), n;
	wb_wire_request r;
	wb_wire_response resp;

	fresh_nonce(first);
	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now_ms(), first, 16);
	bytes = encode(&r, &n);
	exchange(s, bytes, n, &resp);
	expect_ok(&resp);
	for (int i = 0; i < 6000; i++) {
		fresh_nonce(nonce);
		signed_read(w, s, w->acme, 0, nonce, &resp);
		expect_ok(&resp);
	}
	exchange(s, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED,
	               "fresh nonce");
	free(bytes);
	nng_close(s);
}

static void
test_abuse_bad_signature_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	uint8_t body[16], other_body[16], nonce[16], wrong_ledger[WB_HASH_LEN];
	size_t len = get_entry_body(body, 1);
	size_t other_len = get_entry_body(other_body, 0);
	wb_wire_request r;
	wb_wire_response resp;

	fresh_nonce(nonce);
	/* One flipped bit. */
	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now_ms(), nonce, 16);
	r.auth_sig[10] ^= 0x04;
	call(s, &r, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE,
	               "waybill/v1/auth");
	/* Acme's key, the admin's signature. */
	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	req_sign(&r, w->d.ledger_id, w->d.admin, WB_SIG_AUTH, now_ms(), nonce,
	         16);
	r.auth_key = *wb_signer_pubkey(w->acme);
	call(s, &r, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE, "sign");
	/* Signed for one body, sent with another: the body is bound. */
	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now_ms(), nonce, 16);
	r.body = other_body;
	r.body_len = other_len;
	call(s, &r, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE, "sign");
	/* Signed for Checkpoint, sent as GetEntry: the operation is bound. */
	req_init(w, &r, WB_OP_CHECKPOINT, body, len);
	req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now_ms(), nonce, 16);
	r.op = WB_OP_GET_ENTRY;
	call(s, &r, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE, "sign");
	/* Signed for another ledger: the ledger ID is bound. */
	memcpy(wrong_ledger, w->d.ledger_id, WB_HASH_LEN);
	wrong_ledger[0] ^= 1;
	req_init(w, &r, WB_OP_GET_ENTRY, body, len);
	req_sign(&r, wrong_ledger, w->acme, WB_SIG_AUTH, now_ms(), nonce, 16);
	call(s, &r, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE, "sign");
	/* Forgeries do not use up the nonce (or a forger could fill the
	 * cache and lock the key's owner out): the genuine request with the
	 * same nonce is served. */
	signed_read(w, s, w->acme, 1, nonce, &resp);
	expect_ok(&resp);
	nng_close(s);
}

static void
test_abuse_stamp_signature_is_no_auth_signature(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	const wb_sig_context others[] = { WB_SIG_STAMP, WB_SIG_REGISTRY,
		                          WB_SIG_POSSESSION };
	uint8_t body[16], nonce[16], ch[WB_CHALLENGE_LEN], *bytes;
	size_t len = get_entry_body(body, 1), n;
	wb_wire_request r;
	wb_wire_response resp;

	/* The exact auth message bytes, signed for another purpose: domain
	 * separation makes each useless as an auth signature. */
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		fresh_nonce(nonce);
		req_init(w, &r, WB_OP_GET_ENTRY, body, len);
		req_sign(&r, w->d.ledger_id, w->acme, others[i], now_ms(),
		         nonce, 16);
		call(s, &r, &resp);
		expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE,
		               "waybill/v1/auth");
	}
	/* The same for a challenge answer. */
	get_challenge(w, s, ch);
	bytes = authenticate_request(w, &n, wb_signer_pubkey(w->acme), w->acme,
	                             WB_SIG_STAMP, ch);
	exchange(s, bytes, n, &resp);
	free(bytes);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE,
	               "waybill/v1/auth");
	conn_read(w, s, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REQUIRED, "Challenge");
	nng_close(s);
}

static void
test_abuse_unknown_key_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	uint8_t nonce[16];
	wb_wire_response resp;

	/* A correct signature by a key nobody registered. */
	fresh_nonce(nonce);
	signed_read(w, s, w->stranger, 1, nonce, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_UNKNOWN_SIGNER,
	               "operator to register");
	challenge_login(w, s, w->stranger, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_UNKNOWN_SIGNER,
	               "operator to register");
	/* The failed login left the connection anonymous. */
	conn_read(w, s, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REQUIRED, "Challenge");
	/* The log key is known, but signs checkpoints only. */
	fresh_nonce(nonce);
	signed_read(w, s, w->d.log, 1, nonce, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_WRONG_KEY, "use");
	nng_close(s);
}

/*
 * Connection authentication (challenges).
 */

static void
test_abuse_challenge_misuse_refused(void **state)
{
	struct world *w = *state;
	nng_socket a = raw_open(w->d.url, 5000);
	nng_socket b = raw_open(w->d.url, 5000);
	nng_socket c = raw_open(w->d.url, 5000);
	uint8_t ch[WB_CHALLENGE_LEN], ch_a[WB_CHALLENGE_LEN],
	        ch_b[WB_CHALLENGE_LEN], *bytes;
	const wb_pubkey *acme = wb_signer_pubkey(w->acme);
	size_t n;
	wb_wire_response resp;

	/* An answer to a challenge never asked for. */
	wb_random_bytes(ch, sizeof(ch));
	bytes = authenticate_request(w, &n, acme, w->acme, WB_SIG_AUTH, ch);
	exchange(a, bytes, n, &resp);
	free(bytes);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_NO_CHALLENGE, "Challenge");

	/* A good answer works once; the same AuthenticateRequest again, on
	 * its connection or another, is a replay. */
	get_challenge(w, a, ch_a);
	bytes = authenticate_request(w, &n, acme, w->acme, WB_SIG_AUTH, ch_a);
	exchange(a, bytes, n, &resp);
	expect_ok(&resp);
	conn_read(w, a, 1, &resp);
	expect_ok(&resp);
	exchange(a, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED, "fresh one");
	exchange(c, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED, "fresh one");
	free(bytes);
	/* The replays on c did not authenticate c. */
	conn_read(w, c, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REQUIRED, "Challenge");

	/* A challenge is bound to the connection it was issued to: b cannot
	 * answer a's pending challenge, with or without one of its own. */
	get_challenge(w, a, ch_a);
	bytes = authenticate_request(w, &n, acme, w->acme, WB_SIG_AUTH, ch_a);
	exchange(b, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_NO_CHALLENGE, "Challenge");
	get_challenge(w, b, ch_b);
	exchange(b, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_NO_CHALLENGE, "Challenge");
	conn_read(w, b, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REQUIRED, "Challenge");
	/* b's attempts neither used up a's challenge nor b's own. */
	exchange(a, bytes, n, &resp);
	expect_ok(&resp);
	/* Once a answered it, b offering it again is a replay. */
	exchange(b, bytes, n, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED, "fresh one");
	free(bytes);
	bytes = authenticate_request(w, &n, acme, w->acme, WB_SIG_AUTH, ch_b);
	exchange(b, bytes, n, &resp);
	free(bytes);
	expect_ok(&resp);
	conn_read(w, b, 1, &resp);
	expect_ok(&resp);

	/* A wrong answer uses the challenge up: the right one after it is a
	 * replay. */
	get_challenge(w, c, ch);
	bytes = authenticate_request(w, &n, acme, w->d.admin, WB_SIG_AUTH, ch);
	exchange(c, bytes, n, &resp);
	free(bytes);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_BAD_SIGNATURE,
	               "waybill/v1/auth");
	bytes = authenticate_request(w, &n, acme, w->acme, WB_SIG_AUTH, ch);
	exchange(c, bytes, n, &resp);
	free(bytes);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REPLAYED, "fresh one");
	conn_read(w, c, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REQUIRED, "Challenge");
	nng_close(a);
	nng_close(b);
	nng_close(c);
}

static void
test_abuse_revoked_key_refused_even_on_open_connection(void **state)
{
	struct world *w = *state;
	nng_socket conn = raw_open(w->d.url, 5000);
	nng_socket sig = raw_open(w->d.url, 5000);
	wb_registry_change ch = { 0 };
	wb_submission sub;
	wb_rpc_result *res = NULL;
	wb_rpc_info inf;
	uint8_t nonce[16];
	wb_wire_response resp;
	wb_problem p;

	/* Before: a connection authenticated by challenge, and signed
	 * requests, both served. */
	challenge_login(w, conn, w->acme, &resp);
	expect_ok(&resp);
	conn_read(w, conn, 1, &resp);
	expect_ok(&resp);
	fresh_nonce(nonce);
	signed_read(w, sig, w->acme, 1, nonce, &resp);
	expect_ok(&resp);

	info(w, &inf);
	free(inf.checkpoint);
	ch.change_id = "revoke-acme";
	ch.op = WB_REG_REVOKE;
	ch.key = *wb_signer_pubkey(w->acme);
	ch.effective_index = inf.tree_size;
	td_registry_item(&w->d, &sub, &ch);
	assert_int_equal(
	        wb_rpc_submit(&res, NULL, w->admin, &sub, 1, false, &p), WB_OK);
	assert_int_equal(res[0].err, WB_OK);
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);

	/* The connection authenticated before the revocation is refused,
	 * and stays unauthenticated. */
	conn_read(w, conn, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_KEY_REVOKED, "new key");
	conn_read(w, conn, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REQUIRED, "Challenge");
	/* A new login and a signed request with the revoked key too. */
	challenge_login(w, conn, w->acme, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_KEY_REVOKED, "new key");
	conn_read(w, conn, 1, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_AUTH_REQUIRED, "Challenge");
	fresh_nonce(nonce);
	signed_read(w, sig, w->acme, 1, nonce, &resp);
	expect_refusal(&resp, WB_EDENIED, WB_REJECT_KEY_REVOKED, "new key");
	/* Others are unaffected. */
	fresh_nonce(nonce);
	signed_read(w, sig, w->d.admin, 1, nonce, &resp);
	expect_ok(&resp);
	nng_close(conn);
	nng_close(sig);
}

/*
 * Bad input.
 */

static void
test_abuse_garbage_and_truncation_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t buf[512], body[64], *bytes;
	wb_wire_request r;
	wb_wire_response resp;
	size_t n;

	/* Random bytes of many lengths, the empty message included. */
	for (size_t len = 0; len < sizeof(buf); len += 37) {
		for (size_t i = 0; i < len; i++) {
			buf[i] = (uint8_t)xorshift(&seed);
		}
		exchange(s, buf, len, &resp);
		assert_int_equal(resp.request_id, 0);
		expect_refusal(&resp, WB_EPROTO, WB_REJECT_MALFORMED,
		               "send a Request");
	}
	/* A valid request cut anywhere inside its last field. */
	memset(body, 'x', sizeof(body));
	req_init(w, &r, WB_OP_PING, body, sizeof(body));
	bytes = encode(&r, &n);
	exchange(s, bytes, n, &resp);
	expect_ok(&resp);
	for (size_t cut = 1; cut < sizeof(body); cut += 7) {
		exchange(s, bytes, n - cut, &resp);
		expect_refusal(&resp, WB_EPROTO, WB_REJECT_MALFORMED,
		               "send a Request");
	}
	free(bytes);
	nng_close(s);
}

static void
test_abuse_request_over_application_limit_answered(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	size_t big = 100 * 1024, n;
	uint8_t *body = calloc(1, big), *bytes;
	wb_wire_request r;
	wb_wire_response resp;
	wb_rpc_info inf;

	assert_non_null(body);
	info(w, &inf);
	free(inf.checkpoint);
	assert_int_equal(inf.max_message_bytes, MAX_MESSAGE);
	/* A well-formed Ping just under the limit is served... */
	req_init(w, &r, WB_OP_PING, body, MAX_MESSAGE - 64);
	bytes = encode(&r, &n);
	assert_true(n <= MAX_MESSAGE);
	exchange(s, bytes, n, &resp);
	free(bytes);
	expect_ok(&resp);
	/* ...and ~100 KB (under nng's hard limit) gets an answer saying
	 * why. */
	req_init(w, &r, WB_OP_PING, body, big);
	bytes = encode(&r, &n);
	exchange(s, bytes, n, &resp);
	free(bytes);
	expect_refusal(&resp, WB_EPROTO, WB_REJECT_TOO_LARGE, "65536");
	/* The connection is still good. */
	req_init(w, &r, WB_OP_PING, NULL, 0);
	call(s, &r, &resp);
	expect_ok(&resp);
	free(body);
	nng_close(s);
}

static void
count_removal(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)ev;
	atomic_fetch_add((atomic_int *)arg, 1);
}

static void
test_abuse_request_over_nng_limit_drops_connection(void **state)
{
	struct world *w = *state;
	static atomic_int removed;
	size_t big = 300 * 1024;
	nng_socket s, fresh;
	nng_msg *msg = NULL;
	wb_wire_request r;
	wb_wire_response resp;
	wb_rpc_client *c;
	int rv;

	/* A raw REQ socket: a cooked one resends the request on every
	 * reconnection until its receive times out, and cancelling that
	 * receive mid-send can wedge nng 1.5.2's reaper (the next
	 * nng_close() of any socket then hangs). */
	assert_int_equal(nng_req0_open_raw(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 1000), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 5000), 0);
	atomic_store(&removed, 0);
	assert_int_equal(nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, count_removal,
	                                 &removed),
	                 0);
	assert_int_equal(nng_dial(s, w->d.url, NULL, 0), 0);
	/* Over twice the message limit: nng closes the connection before the
	 * application sees a byte, so there is no reply. */
	assert_int_equal(nng_msg_alloc(&msg, big), 0);
	memset(nng_msg_body(msg), 0x5a, big);
	assert_int_equal(nng_msg_header_append_u32(msg, 0x80000001u), 0);
	if ((rv = nng_sendmsg(s, msg, 0)) != 0) {
		nng_msg_free(msg);
		fail_msg("send: %s", nng_strerror(rv));
	}
	msg = NULL;
	rv = nng_recvmsg(s, &msg, 0);
	if (rv == 0) {
		nng_msg_free(msg);
		fail_msg("a 300 KB message was answered");
	}
	assert_int_equal(rv, NNG_ETIMEDOUT);
	assert_int_equal(atomic_load(&removed), 1);
	nng_close(s);
	/* The daemon goes on serving new connections. */
	fresh = raw_open(w->d.url, 5000);
	req_init(w, &r, WB_OP_PING, NULL, 0);
	call(fresh, &r, &resp);
	expect_ok(&resp);
	nng_close(fresh);
	c = td_client(&w->d, w->acme, false);
	assert_int_equal(wb_rpc_ping(c, NULL), WB_OK);
	wb_rpc_client_close(c);
}

static void
test_abuse_wrong_version_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	const uint32_t versions[] = { 0, WB_RPC_VERSION_MAJOR + 1,
		                      0xffffffffu };
	wb_wire_request r;
	wb_wire_response resp;

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		req_init(w, &r, WB_OP_PING, NULL, 0);
		r.version_major = versions[i];
		/* call() checks the reply is still a version-1 envelope
		 * (wb_wire_response_decode refuses others). */
		call(s, &r, &resp);
		expect_refusal(&resp, WB_EVERSION, WB_REJECT_NONE, "upgrade");
	}
	nng_close(s);
}

static void
test_abuse_unknown_operation_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	const int ops[] = { 999, WB_OP_UNSPECIFIED, WB_OP_COUNT_, -1 };
	wb_wire_request r;
	wb_wire_response resp;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		req_init(w, &r, ops[i], NULL, 0);
		call(s, &r, &resp);
		expect_refusal(&resp, WB_EPROTO, WB_REJECT_NONE,
		               "unknown operation");
	}
	nng_close(s);
}

static void
test_abuse_malformed_body_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12 };
	const int ops[] = { WB_OP_SUBMIT, WB_OP_AUTHENTICATE, WB_OP_REGISTER,
		            WB_OP_REVOKE };
	Waybill__V1__SignedItem item = WAYBILL__V1__SIGNED_ITEM__INIT;
	wb_submission stamp;
	uint8_t *packed;
	wb_wire_request r;
	wb_wire_response resp;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		req_init(w, &r, ops[i], junk, sizeof(junk));
		call(s, &r, &resp);
		expect_refusal(&resp, WB_EPROTO, WB_REJECT_MALFORMED,
		               "required fields");
	}
	/* A read's body is checked after its authentication. */
	{
		uint8_t nonce[16];

		fresh_nonce(nonce);
		req_init(w, &r, WB_OP_GET_ENTRY, junk, sizeof(junk));
		req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now_ms(),
		         nonce, 16);
		call(s, &r, &resp);
		expect_refusal(&resp, WB_EPROTO, WB_REJECT_MALFORMED,
		               "GetEntryRequest");
	}
	/* A well-formed SignedItem whose signed bytes are a stamp, offered
	 * as a registry change: refused without reaching the writer. */
	td_stamp(&w->d, &stamp, w->acme, "ev-reg",
	         "urn:epc:id:sgtin:0614141.107346.1", WB_ACTION_OBSERVE, NULL);
	item.body.data = (uint8_t *)(uintptr_t)stamp.body;
	item.body.len = stamp.body_len;
	item.signer.data = stamp.signer.b;
	item.signer.len = WB_PUBKEY_LEN;
	item.signature.data = stamp.signature;
	item.signature.len = WB_SIG_LEN;
	packed = malloc(waybill__v1__signed_item__get_packed_size(&item));
	assert_non_null(packed);
	req_init(w, &r, WB_OP_REGISTER, packed,
	         waybill__v1__signed_item__pack(&item, packed));
	call(s, &r, &resp);
	expect_refusal(&resp, WB_EREJECTED, WB_REJECT_MALFORMED,
	               "registry change");
	free(packed);
	free((void *)(uintptr_t)stamp.body);
	nng_close(s);
}

/* The encoded body of a SubmitRequest of n stamps by signer (malloc'd). */
static uint8_t *
submit_body(struct world *w, size_t *len_out, size_t n, int first)
{
	Waybill__V1__SubmitRequest req = WAYBILL__V1__SUBMIT_REQUEST__INIT;
	Waybill__V1__SignedItem *it = calloc(n ? n : 1, sizeof(*it));
	Waybill__V1__SignedItem **itv = calloc(n ? n : 1, sizeof(*itv));
	wb_submission *subs = calloc(n ? n : 1, sizeof(*subs));
	uint8_t *body;
	char id[64], ev[32];

	assert_non_null(it);
	assert_non_null(itv);
	assert_non_null(subs);
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), ITEM, first + (int)i);
		snprintf(ev, sizeof(ev), "batch-%d", first + (int)i);
		td_stamp(&w->d, &subs[i], w->acme, ev, id, WB_ACTION_ADD,
		         "commissioning");
		waybill__v1__signed_item__init(&it[i]);
		it[i].body.data = (uint8_t *)(uintptr_t)subs[i].body;
		it[i].body.len = subs[i].body_len;
		it[i].signer.data = subs[i].signer.b;
		it[i].signer.len = WB_PUBKEY_LEN;
		it[i].signature.data = subs[i].signature;
		it[i].signature.len = WB_SIG_LEN;
		itv[i] = &it[i];
	}
	req.n_items = n;
	req.items = itv;
	body = malloc(waybill__v1__submit_request__get_packed_size(&req) + 1);
	assert_non_null(body);
	*len_out = waybill__v1__submit_request__pack(&req, body);
	for (size_t i = 0; i < n; i++) {
		free((void *)(uintptr_t)subs[i].body);
	}
	free(subs);
	free(itv);
	free(it);
	return body;
}

static void
test_abuse_batch_over_limit_refused(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	const size_t counts[] = { MAX_BATCH + 1, 0, 4 * MAX_BATCH };
	Waybill__V1__SubmitResponse *m;
	wb_wire_request r;
	wb_wire_response resp;
	wb_rpc_info before, after;
	uint8_t *body;
	size_t len;

	info(w, &before);
	free(before.checkpoint);
	assert_int_equal(before.max_batch, MAX_BATCH);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		body = submit_body(w, &len, counts[i], 100);
		req_init(w, &r, WB_OP_SUBMIT, body, len);
		call(s, &r, &resp);
		free(body);
		expect_refusal(&resp, WB_EPROTO, WB_REJECT_TOO_MANY_IDS,
		               "split the batch");
	}
	info(w, &after);
	free(after.checkpoint);
	assert_int_equal(after.tree_size, before.tree_size);
	/* Exactly the limit is taken, all of it. */
	body = submit_body(w, &len, MAX_BATCH, 100);
	req_init(w, &r, WB_OP_SUBMIT, body, len);
	call(s, &r, &resp);
	free(body);
	assert_int_equal(resp.status, WB_OK);
	m = waybill__v1__submit_response__unpack(NULL, resp.body_len,
	                                         resp.body);
	assert_non_null(m);
	assert_int_equal(m->n_results, MAX_BATCH);
	assert_int_equal(m->tree_size, before.tree_size + MAX_BATCH);
	for (size_t i = 0; i < m->n_results; i++) {
		assert_int_equal(m->results[i]->status, WB_OK);
	}
	waybill__v1__submit_response__free_unpacked(m, NULL);
	wb_wire_response_fini(&resp);
	nng_close(s);
}

/* Waits up to ms for the reply to what was sent on s; false when none
 * came. */
static bool
poll_reply(nng_socket s, int ms, wb_wire_response *resp)
{
	void *reply = NULL;
	size_t reply_len = 0;
	int rv;

	for (int waited = 0;; waited += 10) {
		rv = nng_recv(s, &reply, &reply_len,
		              NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK);
		if (rv == 0) {
			break;
		}
		if (rv != NNG_EAGAIN) {
			fail_msg("recv: %s", nng_strerror(rv));
		}
		if (waited >= ms) {
			return false;
		}
		nng_msleep(10);
	}
	assert_int_equal(wb_wire_response_decode(resp, reply, reply_len),
	                 WB_OK);
	nng_free(reply, reply_len);
	return true;
}

/* A Submit reply that took every stamp of a batch of n as new. */
static void
expect_batch_taken(wb_wire_response *resp, size_t n)
{
	Waybill__V1__SubmitResponse *m;

	if (resp->status != WB_OK) {
		fail_msg("expected the batch taken, got %s: %s",
		         wb_strerror(resp->status),
		         resp->message ? resp->message : "(no message)");
	}
	m = waybill__v1__submit_response__unpack(NULL, resp->body_len,
	                                         resp->body);
	assert_non_null(m);
	assert_int_equal(m->n_results, n);
	for (size_t i = 0; i < m->n_results; i++) {
		assert_int_equal(m->results[i]->status, WB_OK);
		assert_false(m->results[i]->duplicate);
	}
	waybill__v1__submit_response__free_unpacked(m, NULL);
	wb_wire_response_fini(resp);
}

#define QUEUE_BATCHES 6

/*
 * The writer's queue (--max-queued 12). The test takes LMDB's write lock
 * itself (a write transaction on the daemon's ledger, from this process),
 * so the daemon's writer waits in its commit and verified batches pile up
 * in the queue: the batch that does not fit is refused "busy" at once,
 * with nothing written, while reads go on; once the lock is released the
 * queued batches are committed and the refused one is taken when sent
 * again, as new stamps.
 */
static void
test_abuse_full_writer_queue_answers_busy(void **state)
{
	struct world *w = *state;
	nng_socket socks[QUEUE_BATCHES];
	uint8_t *bodies[QUEUE_BATCHES];
	size_t lens[QUEUE_BATCHES];
	bool busy[QUEUE_BATCHES] = { false };
	size_t sent = 0, n_busy = 0, n_taken = 0;
	wb_rpc_info before, during, after;
	wb_wire_request r;
	wb_wire_response resp;
	MDB_env *env;
	MDB_txn *txn;

	info(w, &before);
	free(before.checkpoint);
	assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
	assert_int_equal(mdb_env_open(env, w->d.dir, 0, 0600), MDB_SUCCESS);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), MDB_SUCCESS);
	/* One batch at a time, a second apart, so that the writer has taken
	 * the first (and is stuck committing it) before the next comes. A
	 * refusal is answered at once; a queued batch waits for the lock. */
	while (sent < QUEUE_BATCHES && n_busy == 0) {
		size_t i = sent++;
		uint8_t *bytes;
		size_t len;

		socks[i] = raw_open(w->d.url, 30000);
		bodies[i] = submit_body(w, &lens[i], MAX_BATCH,
		                        5000 + (int)(i * MAX_BATCH));
		req_init(w, &r, WB_OP_SUBMIT, bodies[i], lens[i]);
		bytes = encode(&r, &len);
		assert_int_equal(nng_send(socks[i], bytes, len, 0), 0);
		free(bytes);
		if (poll_reply(socks[i], 1000, &resp)) {
			expect_refusal(&resp, WB_EBUSY, WB_REJECT_NONE,
			               "has " MAX_QUEUED_ARG
			               " stamps waiting to be written: retry");
			busy[i] = true;
			n_busy++;
		}
	}
	/* The first batch went to the writer and the second filled the
	 * queue: the third at the latest is refused. */
	assert_int_equal(n_busy, 1);
	assert_true(sent >= 3);
	/* Reads are answered while the writer waits, and nothing new is
	 * in the log. */
	info(w, &during);
	free(during.checkpoint);
	assert_int_equal(during.tree_size, before.tree_size);

	mdb_txn_abort(txn);
	mdb_env_close(env);
	for (size_t i = 0; i < sent; i++) {
		if (!busy[i]) {
			if (!poll_reply(socks[i], 30000, &resp)) {
				fail_msg("batch %zu queued but never answered",
				         i);
			}
			expect_batch_taken(&resp, MAX_BATCH);
			n_taken++;
		}
	}
	info(w, &after);
	free(after.checkpoint);
	assert_int_equal(after.tree_size,
	                 before.tree_size + n_taken * MAX_BATCH);
	/* Nothing of a refused batch was written: sent again, every stamp
	 * of it is new. */
	for (size_t i = 0; i < sent; i++) {
		if (busy[i]) {
			req_init(w, &r, WB_OP_SUBMIT, bodies[i], lens[i]);
			call(socks[i], &r, &resp);
			expect_batch_taken(&resp, MAX_BATCH);
		}
		free(bodies[i]);
		nng_close(socks[i]);
	}
}

/* A queue smaller than a batch would refuse every full batch as "busy"
 * forever: waybilld will not start that way. */
static void
test_abuse_queue_smaller_than_batch_is_a_usage_error(void **state)
{
	struct world *w = *state;
	char cmd[8192], out[4096];
	size_t n;
	FILE *f;
	int status;

	snprintf(
	        cmd, sizeof(cmd),
	        "'%s' --data '%s' --listen ipc://%s/other.sock --publish none --max-batch 16 --max-queued 8 2>&1",
	        getenv("WAYBILLD"), w->d.dir, w->d.dir);
	assert_non_null(f = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	status = pclose(f);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	if (strstr(out, "--max-queued (8) is smaller than --max-batch (16)") ==
	    NULL) {
		fail_msg("unexpected message: %s", out);
	}
}

/* One of the flood's bad requests (kind k), encoded, with what its reply
 * must say. */
struct bad {
	uint8_t *bytes;
	size_t len;
	wb_err status;
	wb_reject reason;
};

static void
bad_request(struct world *w, struct bad *b, int k, uint64_t *seed,
            const uint8_t *forged_submit, size_t forged_len)
{
	uint8_t body[64], nonce[16];
	wb_wire_request r;
	size_t len;

	for (size_t i = 0; i < sizeof(body); i++) {
		body[i] = (uint8_t)xorshift(seed);
	}
	memcpy(nonce, body, sizeof(nonce));
	b->status = WB_EPROTO;
	b->reason = WB_REJECT_MALFORMED;
	switch (k) {
	case 0: /* random bytes */
		len = 1 + xorshift(seed) % sizeof(body);
		b->bytes = malloc(len);
		assert_non_null(b->bytes);
		memcpy(b->bytes, body, len);
		b->len = len;
		return;
	case 1: /* a request cut inside its body */
		req_init(w, &r, WB_OP_PING, body, sizeof(body));
		b->bytes = encode(&r, &b->len);
		b->len -= 1 + xorshift(seed) % (sizeof(body) - 1);
		return;
	case 2: /* another protocol version */
		req_init(w, &r, WB_OP_INFO, NULL, 0);
		r.version_major = 2 + (uint32_t)(xorshift(seed) % 1000);
		b->status = WB_EVERSION;
		b->reason = WB_REJECT_NONE;
		break;
	case 3: /* an operation that does not exist */
		req_init(w, &r, WB_OP_COUNT_ + (int)(xorshift(seed) % 5000),
		         NULL, 0);
		b->reason = WB_REJECT_NONE;
		break;
	case 4: /* a Submit body that does not parse (an endless varint) */
		memset(body, 0xff, sizeof(body));
		req_init(w, &r, WB_OP_SUBMIT, body, sizeof(body));
		break;
	case 5: /* a read with a forged signature */
		len = get_entry_body(body, 1);
		req_init(w, &r, WB_OP_GET_ENTRY, body, len);
		req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH, now_ms(),
		         nonce, 16);
		r.auth_sig[0] ^= 1;
		b->status = WB_EDENIED;
		b->reason = WB_REJECT_BAD_SIGNATURE;
		break;
	case 6: /* a read with a stale timestamp */
		len = get_entry_body(body, 1);
		req_init(w, &r, WB_OP_GET_ENTRY, body, len);
		req_sign(&r, w->d.ledger_id, w->acme, WB_SIG_AUTH,
		         now_ms() - 3600000, nonce, 16);
		b->status = WB_EDENIED;
		b->reason = WB_REJECT_AUTH_STALE;
		break;
	case 7: /* an answer to no challenge */
		b->bytes = authenticate_request(w, &b->len,
		                                wb_signer_pubkey(w->acme),
		                                w->acme, WB_SIG_AUTH, body);
		b->status = WB_EDENIED;
		b->reason = WB_REJECT_NO_CHALLENGE;
		return;
	case 8: /* an unauthenticated read */
		len = get_entry_body(body, 1);
		req_init(w, &r, WB_OP_GET_ENTRY, body, len);
		b->status = WB_EDENIED;
		b->reason = WB_REJECT_AUTH_REQUIRED;
		break;
	default: /* a Submit of a stamp whose signature is forged: it goes
	          * all the way to the writer, which refuses it */
		req_init(w, &r, WB_OP_SUBMIT, forged_submit, forged_len);
		b->status = WB_OK;
		b->reason = WB_REJECT_NONE;
		break;
	}
	b->bytes = encode(&r, &b->len);
}

static void
test_abuse_flood_of_bad_requests_writes_nothing(void **state)
{
	struct world *w = *state;
	nng_socket s = raw_open(w->d.url, 5000);
	Waybill__V1__SubmitRequest *forged;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint8_t *forged_body;
	size_t forged_len, refused = 0;
	wb_rpc_info before, after, last;
	wb_checkpoint cp;
	wb_journal *j = NULL;
	wb_hash root;
	uint64_t size = 0;
	double t0, took;

	/* A Submit of one stamp with its signature forged. */
	forged_body = submit_body(w, &forged_len, 1, 5000);
	forged = waybill__v1__submit_request__unpack(NULL, forged_len,
	                                             forged_body);
	assert_non_null(forged);
	forged->items[0]->signature.data[3] ^= 0x10;
	waybill__v1__submit_request__pack(forged, forged_body);
	waybill__v1__submit_request__free_unpacked(forged, NULL);

	info(w, &before);
	free(before.checkpoint);
	t0 = mono_s();
	for (int i = 0; i < FLOOD; i++) {
		struct bad b;
		wb_wire_response resp;

		bad_request(w, &b, i % 10, &seed, forged_body, forged_len);
		exchange(s, b.bytes, b.len, &resp);
		free(b.bytes);
		if (resp.status != b.status || resp.reason != b.reason) {
			fail_msg(
			        "request %d (kind %d): expected %s / %s, got %s / %s: %s",
			        i, i % 10, wb_strerror(b.status),
			        wb_reject_name(b.reason),
			        wb_strerror(resp.status),
			        wb_reject_name(resp.reason),
			        resp.message ? resp.message : "");
		}
		if (resp.status != WB_OK) {
			refused++;
		} else {
			Waybill__V1__SubmitResponse *m =
			        waybill__v1__submit_response__unpack(
			                NULL, resp.body_len, resp.body);

			assert_non_null(m);
			assert_int_equal(m->n_results, 1);
			assert_int_equal(m->results[0]->status, WB_EREJECTED);
			assert_int_equal(m->results[0]->reason,
			                 WB_REJECT_BAD_SIGNATURE);
			assert_int_equal(m->tree_size, before.tree_size);
			waybill__v1__submit_response__free_unpacked(m, NULL);
		}
		wb_wire_response_fini(&resp);
	}
	took = mono_s() - t0;
	printf("# %d bad requests in %.2f s (%.0f/s)\n", FLOOD, took,
	       FLOOD / took);
	assert_true(took < 40.0);
	free(forged_body);
	nng_close(s);

	/* Nothing was written, and every refusal was counted. */
	info(w, &after);
	free(after.checkpoint);
	assert_int_equal(after.tree_size, before.tree_size);
	assert_true(after.requests >= before.requests + FLOOD);
	assert_true(after.refusals >= before.refusals + refused);

	/* A well-behaved client is served as before. */
	{
		wb_rpc_client *c = td_client(&w->d, w->acme, false);
		wb_submission sub;
		wb_rpc_result *res = NULL;
		wb_receipt_info ri;
		uint8_t *entry = NULL;
		size_t len;
		wb_problem p;

		assert_int_equal(wb_rpc_ping(c, &p), WB_OK);
		td_stamp(&w->d, &sub, w->acme, "after-flood",
		         "urn:epc:id:sgtin:0614141.107346.1", WB_ACTION_ADD,
		         "commissioning");
		assert_int_equal(
		        wb_rpc_submit(&res, &size, c, &sub, 1, false, &p),
		        WB_OK);
		assert_int_equal(res[0].err, WB_OK);
		assert_int_equal(res[0].index, before.tree_size);
		assert_int_equal(size, before.tree_size + 1);
		assert_int_equal(wb_receipt_verify(&ri, res[0].receipt,
		                                   res[0].receipt_len, ORIGIN,
		                                   wb_signer_pubkey(w->d.log),
		                                   sub.body, sub.body_len,
		                                   sub.signature),
		                 WB_OK);
		assert_int_equal(
		        wb_rpc_get_entry(&entry, &len, c, res[0].index, &p),
		        WB_OK);
		free(entry);
		wb_rpc_results_free(res, 1);
		free((void *)(uintptr_t)sub.body);
		wb_rpc_client_close(c);
	}
	info(w, &last);
	assert_int_equal(last.tree_size, before.tree_size + 1);
	assert_int_equal(wb_checkpoint_verify(&cp, last.checkpoint,
	                                      strlen(last.checkpoint), ORIGIN,
	                                      wb_signer_pubkey(w->d.log)),
	                 WB_OK);
	free(last.checkpoint);
	assert_int_equal(cp.size, last.tree_size);

	/* On disk after an orderly stop: exactly what Info said. */
	wb_rpc_client_close(w->admin);
	w->admin = NULL;
	td_stop(&w->d);
	assert_int_equal(wb_journal_open(&j, w->d.dir, NULL), WB_OK);
	assert_int_equal(wb_journal_size(&size, j), WB_OK);
	assert_int_equal(size, last.tree_size);
	assert_int_equal(wb_journal_root(&root, j, size), WB_OK);
	assert_memory_equal(root.b, cp.root.b, WB_HASH_LEN);
	wb_journal_close(j);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_abuse_stale_timestamp_refused),
		T(test_abuse_replayed_nonce_refused),
		T(test_abuse_nonces_remembered_as_the_table_grows),
		T(test_abuse_bad_signature_refused),
		T(test_abuse_stamp_signature_is_no_auth_signature),
		T(test_abuse_unknown_key_refused),
		T(test_abuse_challenge_misuse_refused),
		T(test_abuse_revoked_key_refused_even_on_open_connection),
		T(test_abuse_garbage_and_truncation_refused),
		T(test_abuse_request_over_application_limit_answered),
		T(test_abuse_request_over_nng_limit_drops_connection),
		T(test_abuse_wrong_version_refused),
		T(test_abuse_unknown_operation_refused),
		T(test_abuse_malformed_body_refused),
		T(test_abuse_batch_over_limit_refused),
		T(test_abuse_flood_of_bad_requests_writes_nothing),
		T(test_abuse_full_writer_queue_answers_busy),
		T(test_abuse_queue_smaller_than_batch_is_a_usage_error),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
