/* SPDX-License-Identifier: MIT */
/*
 * client.c - the client library: a req0 socket, synchronous calls with a
 * timeout, and authentication inside the client. After nng reconnects
 * (a new pipe), the first authenticated call meets "auth required", so the
 * client answers a fresh challenge and sends the request again: callers
 * never see it. Submissions are safe to resend (identical stamps are
 * idempotent).
 */
#include "rpc/rpc.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_impl.h"
#include "nngx.h"
#include "rpc.pb-c.h"
#include "wire.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_RECV_MAX   (64u << 20)
#define RANGE_PAGE         1000

struct wb_rpc_client {
	nng_socket sock;
	nng_dialer dialer;
	nng_tls_config *tls;
	wb_rpc_client_opts o;
	uint64_t next_id;
	bool have_ledger_id;
	uint8_t ledger_id[WB_HASH_LEN];
	uint32_t max_message; /* the server's, once Info said it */
	bool authenticated;
	bool replied; /* the last round trip got a reply from the server */
};

wb_err
wb_rpc_client_open(wb_rpc_client **out, const char *url,
                   const wb_rpc_client_opts *o)
{
	wb_rpc_client *c = calloc(1, sizeof(*c));
	int rv;
	wb_err rc;

	*out = NULL;
	if (c == NULL) {
		return WB_ENOMEM;
	}
	if (o != NULL) {
		c->o = *o;
	}
	c->o.timeout_ms =
	        c->o.timeout_ms ? c->o.timeout_ms : DEFAULT_TIMEOUT_MS;
	c->o.recv_max = c->o.recv_max ? c->o.recv_max : DEFAULT_RECV_MAX;
	wb_random_bytes(&c->next_id, sizeof(c->next_id));
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		free(c);
		return wb_err_from_nng(rv, "req0");
	}
	nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO,
	                  (nng_duration)c->o.timeout_ms);
	nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO,
	                  (nng_duration)c->o.timeout_ms);
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, c->o.recv_max);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000);
	if ((rv = nng_dialer_create(&c->dialer, c->sock, url)) != 0) {
		rc = wb_err_from_nng(rv, url);
		goto fail;
	}
	if (strncmp(url, "tls+", 4) == 0) {
		if ((rc = wb_tls_client_config(&c->tls, c->o.tls_ca_file,
		                               c->o.tls_server_name)) !=
		    WB_OK) {
			goto fail;
		}
		if ((rv = nng_dialer_set_ptr(c->dialer, NNG_OPT_TLS_CONFIG,
		                             c->tls)) != 0) {
			rc = wb_err_from_nng(rv, "TLS");
			goto fail;
		}
	}
	/* Non-blocking: nng keeps trying in the background, and a call
	 * waits up to its timeout for a connection. */
	if ((rv = nng_dialer_start(c->dialer, NNG_FLAG_NONBLOCK)) != 0) {
		rc = wb_err_from_nng(rv, url);
		goto fail;
	}
	*out = c;
	return WB_OK;
fail:
	wb_rpc_client_close(c);
	return rc;
}

bool
wb_rpc_client_reached(const wb_rpc_client *c)
{
	return c != NULL && c->replied;
}

void
wb_rpc_client_close(wb_rpc_client *c)
{
	if (c == NULL) {
		return;
	}
	nng_close(c->sock);
	if (c->tls != NULL) {
		nng_tls_config_free(c->tls);
	}
	free(c);
}

static void
set_problem(wb_problem *p, wb_reject reason, const char *msg)
{
	if (p != NULL) {
		p->reason = reason;
		snprintf(p->msg, sizeof(p->msg), "%s", msg ? msg : "");
	}
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One round trip. On WB_OK, resp holds the reply (wb_wire_response_fini);
 * the reply's own status is resp->status. */
static wb_err
round_trip(wb_rpc_client *c, int op, const uint8_t *body, size_t len, bool sign,
           wb_wire_response *resp, wb_problem *p)
{
	wb_wire_request req = { .version_major = WB_RPC_VERSION_MAJOR,
		                .op = op,
		                .body = body,
		                .body_len = len };
	uint8_t *bytes = NULL, msg[WB_AUTH_MSG_MAX];
	size_t n;
	void *reply = NULL;
	size_t reply_len;
	int rv;
	wb_err rc;

	req.request_id = c->next_id++;
	c->replied = false;
	if (body == NULL) {
		req.body = (const uint8_t *)"";
	}
	if (sign) {
		req.has_auth = true;
		req.auth_key = *wb_signer_pubkey(c->o.key);
		req.auth_ts_ms = now_ms();
		req.nonce_len = 16;
		wb_random_bytes(req.nonce, req.nonce_len);
		n = wb_wire_request_auth_msg(msg, c->ledger_id, op, req.body,
		                             len, req.auth_ts_ms, req.nonce,
		                             req.nonce_len);
		if ((rc = wb_sig_sign(req.auth_sig, c->o.key, WB_SIG_AUTH, msg,
		                      n)) != WB_OK) {
			return rc;
		}
	}
	if ((rc = wb_wire_request_encode(&bytes, &n, &req)) != WB_OK) {
		return rc;
	}
	/* Over the server's limit, nng would drop the connection and resend
	 * on every reconnect (nng 1.5.2): refuse here instead. */
	if (c->max_message != 0 && n > c->max_message) {
		free(bytes);
		set_problem(
		        p, WB_REJECT_TOO_LARGE,
		        "the request is larger than the server takes: split the batch");
		return WB_EPROTO;
	}
	rv = nng_send(c->sock, bytes, n, 0);
	free(bytes);
	if (rv != 0) {
		rc = wb_err_from_nng(rv, "send");
		set_problem(
		        p, WB_REJECT_NONE,
		        rv == NNG_ETIMEDOUT
		                ? "the server did not take the request in time: is waybilld running at that address?"
		                : "cannot send to the server");
		return rc;
	}
	if ((rv = nng_recv(c->sock, &reply, &reply_len, NNG_FLAG_ALLOC)) != 0) {
		set_problem(
		        p, WB_REJECT_NONE,
		        rv == NNG_ETIMEDOUT
		                ? "no answer from the server in time: is waybilld running at that address?"
		                : "the connection to the server failed");
		return wb_err_from_nng(rv, "recv");
	}
	c->replied = true;
	rc = wb_wire_response_decode(resp, reply, reply_len);
	nng_free(reply, reply_len);
	if (rc == WB_EVERSION) {
		set_problem(
		        p, WB_REJECT_NONE,
		        "the server speaks another protocol version: upgrade");
	} else if (rc != WB_OK) {
		set_problem(p, WB_REJECT_NONE,
		            "the server's reply is not a waybill.v1.Response");
	}
	return rc;
}

static wb_err
fetch_ledger_id(wb_rpc_client *c, wb_problem *p)
{
	wb_rpc_info info;
	wb_err rc;

	if (c->have_ledger_id && c->max_message != 0) {
		return WB_OK;
	}
	if ((rc = wb_rpc_info_get(&info, c, p)) == WB_OK) {
		free(info.checkpoint);
	}
	return rc;
}

static wb_err
authenticate(wb_rpc_client *c, wb_problem *p)
{
	Waybill__V1__ChallengeResponse *ch = NULL;
	Waybill__V1__AuthenticateRequest a =
	        WAYBILL__V1__AUTHENTICATE_REQUEST__INIT;
	uint8_t msg[WB_CHALLENGE_MSG_LEN], sig[WB_SIG_LEN], *body = NULL;
	wb_wire_response resp;
	size_t len;
	wb_err rc;

	if ((rc = fetch_ledger_id(c, p)) != WB_OK ||
	    (rc = round_trip(c, WB_OP_CHALLENGE, NULL, 0, false, &resp, p)) !=
	            WB_OK) {
		return rc;
	}
	if ((rc = resp.status) != WB_OK) {
		set_problem(p, resp.reason, resp.message);
		wb_wire_response_fini(&resp);
		return rc;
	}
	ch = waybill__v1__challenge_response__unpack(NULL, resp.body_len,
	                                             resp.body);
	wb_wire_response_fini(&resp);
	if (ch == NULL || ch->challenge.len != WB_CHALLENGE_LEN) {
		if (ch != NULL) {
			waybill__v1__challenge_response__free_unpacked(ch,
			                                               NULL);
		}
		set_problem(p, WB_REJECT_NONE, "malformed challenge");
		return WB_EPROTO;
	}
	wb_wire_challenge_msg(msg, c->ledger_id, ch->challenge.data);
	if ((rc = wb_sig_sign(sig, c->o.key, WB_SIG_AUTH, msg, sizeof(msg))) !=
	    WB_OK) {
		goto out;
	}
	a.key.data = (uint8_t *)(uintptr_t)wb_signer_pubkey(c->o.key)->b;
	a.key.len = WB_PUBKEY_LEN;
	a.challenge = ch->challenge;
	a.signature.data = sig;
	a.signature.len = WB_SIG_LEN;
	len = waybill__v1__authenticate_request__get_packed_size(&a);
	if ((body = malloc(len)) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	waybill__v1__authenticate_request__pack(&a, body);
	if ((rc = round_trip(c, WB_OP_AUTHENTICATE, body, len, false, &resp,
	                     p)) != WB_OK) {
		goto out;
	}
	if ((rc = resp.status) != WB_OK) {
		set_problem(p, resp.reason, resp.message);
	} else {
		c->authenticated = true;
	}
	wb_wire_response_fini(&resp);
out:
	free(body);
	waybill__v1__challenge_response__free_unpacked(ch, NULL);
	return rc;
}

/* A call: authenticates first when it must, and once more when the
 * connection turned out to be a new one. On WB_OK, resp is the reply. */
static wb_err
call(wb_rpc_client *c, int op, const uint8_t *body, size_t len, bool auth,
     wb_wire_response *resp, wb_problem *p)
{
	bool sign = auth && c->o.key != NULL && c->o.per_request_auth;
	wb_err rc;

	/* Learn the server's size limit before sending anything large. */
	if (len > 65536 && c->max_message == 0 && op != WB_OP_INFO &&
	    (rc = fetch_ledger_id(c, p)) != WB_OK) {
		return rc;
	}

	if (auth && c->o.key == NULL) {
		set_problem(
		        p, WB_REJECT_AUTH_REQUIRED,
		        "this operation needs a key: give --key FILE (or WAYBILL_KEY)");
		return WB_EDENIED;
	}
	if (sign && (rc = fetch_ledger_id(c, p)) != WB_OK) {
		return rc;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (auth && !sign && !c->authenticated &&
		    (rc = authenticate(c, p)) != WB_OK) {
			/* A reconnect between Challenge and Authenticate
			 * loses the challenge: fetch another, once. */
			if (rc != WB_EDENIED || p == NULL ||
			    p->reason != WB_REJECT_NO_CHALLENGE ||
			    (rc = authenticate(c, p)) != WB_OK) {
				return rc;
			}
		}
		if ((rc = round_trip(c, op, body, len, sign, resp, p)) !=
		    WB_OK) {
			return rc;
		}
		if (resp->status == WB_EDENIED &&
		    resp->reason == WB_REJECT_AUTH_REQUIRED && !sign &&
		    attempt == 0) {
			/* nng reconnected: a new, unauthenticated pipe. */
			wb_wire_response_fini(resp);
			c->authenticated = false;
			continue;
		}
		break;
	}
	if (resp->status != WB_OK) {
		set_problem(p, resp->reason, resp->message);
	}
	return WB_OK;
}

/* A call whose reply body is unpacked by `unpack`; *out is the message
 * (free with protobuf_c_message_free_unpacked). */
wb_err
call_unpack(wb_rpc_client *c, int op, const ProtobufCMessage *req, bool auth,
            const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
            wb_problem *p)
{
	uint8_t *body = NULL;
	size_t len = 0;
	wb_wire_response resp;
	wb_err rc;

	*out = NULL;
	if (req != NULL) {
		len = protobuf_c_message_get_packed_size(req);
		if ((body = malloc(len ? len : 1)) == NULL) {
			return WB_ENOMEM;
		}
		protobuf_c_message_pack(req, body);
	}
	rc = call(c, op, body, len, auth, &resp, p);
	free(body);
	if (rc != WB_OK) {
		return rc;
	}
	if (resp.status != WB_OK && resp.body == NULL) {
		rc = resp.status;
	} else if (d != NULL &&
	           (*out = protobuf_c_message_unpack(d, NULL, resp.body_len,
	                                             resp.body)) == NULL) {
		set_problem(p, WB_REJECT_NONE,
		            "the server's reply body is malformed");
		rc = WB_EPROTO;
	} else {
		rc = resp.status;
	}
	wb_wire_response_fini(&resp);
	return rc;
}

wb_err
wb_rpc_ping(wb_rpc_client *c, wb_problem *p)
{
	ProtobufCMessage *m = NULL;

	return call_unpack(c, WB_OP_PING, NULL, false, NULL, &m, p);
}

wb_err
wb_rpc_info_get(wb_rpc_info *out, wb_rpc_client *c, wb_problem *p)
{
	Waybill__V1__InfoResponse *m = NULL;
	wb_err rc;

	memset(out, 0, sizeof(*out));
	rc = call_unpack(c, WB_OP_INFO, NULL, false,
	                 &waybill__v1__info_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (m->ledger_id.len == WB_HASH_LEN) {
		memcpy(out->ledger_id, m->ledger_id.data, WB_HASH_LEN);
		memcpy(c->ledger_id, m->ledger_id.data, WB_HASH_LEN);
		c->have_ledger_id = true;
		c->max_message = m->max_message_bytes;
	}
	snprintf(out->origin, sizeof(out->origin), "%s", m->origin);
	snprintf(out->log_key, sizeof(out->log_key), "%s", m->log_key);
	snprintf(out->admin_key, sizeof(out->admin_key), "%s", m->admin_key);
	snprintf(out->custody, sizeof(out->custody), "%s", m->custody);
	snprintf(out->server_version, sizeof(out->server_version), "%s",
	         m->server_version);
	out->tree_size = m->tree_size;
	out->max_message_bytes = m->max_message_bytes;
	out->max_batch = m->max_batch;
	out->max_in_flight = m->max_in_flight;
	out->requests = m->requests;
	out->refusals = m->refusals;
	out->commits = m->commits;
	out->mean_batch = m->mean_batch;
	out->checkpoint = strdup(m->checkpoint);
	waybill__v1__info_response__free_unpacked(m, NULL);
	return out->checkpoint != NULL ? rc : WB_ENOMEM;
}

void
wb_rpc_results_free(wb_rpc_result *r, size_t n)
{
	for (size_t i = 0; r != NULL && i < n; i++) {
		free(r[i].receipt);
	}
	free(r);
}

static wb_err
take_results(wb_rpc_result **out, const Waybill__V1__SubmitResponse *m,
             size_t n)
{
	wb_rpc_result *v = calloc(n ? n : 1, sizeof(*v));

	if (v == NULL) {
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < n && i < m->n_results; i++) {
		const Waybill__V1__SubmitResult *x = m->results[i];

		v[i].err = wb_wire_err((int)x->status);
		v[i].problem.reason =
		        x->has_reason && (int)x->reason < (int)WB_REJECT_COUNT_
		                ? (wb_reject)x->reason
		                : WB_REJECT_NONE;
		snprintf(v[i].problem.msg, sizeof(v[i].problem.msg), "%s",
		         x->message ? x->message : "");
		v[i].index = x->index;
		v[i].duplicate = x->has_duplicate && x->duplicate;
		v[i].custody_gap = x->has_custody_gap && x->custody_gap;
		if (x->has_receipt &&
		    (v[i].receipt = malloc(x->receipt.len + 1)) != NULL) {
			memcpy(v[i].receipt, x->receipt.data, x->receipt.len);
			v[i].receipt_len = x->receipt.len;
		}
	}
	*out = v;
	return WB_OK;
}

static int
registry_op(const wb_submission *item)
{
	wb_registry_change *c = NULL;
	int op = WB_OP_UNSPECIFIED;

	if (wb_registry_change_decode(&c, item->body, item->body_len) ==
	    WB_OK) {
		op = c->op == WB_REG_REGISTER       ? WB_OP_REGISTER
		     : c->op == WB_REG_CHANGE_ROLES ? WB_OP_CHANGE_ROLES
		     : c->op == WB_REG_ROTATE       ? WB_OP_ROTATE
		     : c->op == WB_REG_REVOKE       ? WB_OP_REVOKE
		                                    : WB_OP_UNSPECIFIED;
	}
	wb_registry_change_free(c);
	return op;
}

wb_err
wb_rpc_submit(wb_rpc_result **results, uint64_t *tree_size_out,
              wb_rpc_client *c, const wb_submission *items, size_t n,
              bool atomic, wb_problem *p)
{
	Waybill__V1__SubmitRequest req = WAYBILL__V1__SUBMIT_REQUEST__INIT;
	Waybill__V1__SignedItem *it = calloc(n ? n : 1, sizeof(*it));
	Waybill__V1__SignedItem **itv = calloc(n ? n : 1, sizeof(*itv));
	Waybill__V1__SubmitResponse *m = NULL;
	const ProtobufCMessage *body = &req.base;
	int op = WB_OP_SUBMIT;
	wb_err rc;

	*results = NULL;
	if (it == NULL || itv == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		waybill__v1__signed_item__init(&it[i]);
		it[i].body.data = (uint8_t *)(uintptr_t)items[i].body;
		it[i].body.len = items[i].body_len;
		it[i].signer.data = (uint8_t *)(uintptr_t)items[i].signer.b;
		it[i].signer.len = WB_PUBKEY_LEN;
		it[i].signature.data = (uint8_t *)(uintptr_t)items[i].signature;
		it[i].signature.len = WB_SIG_LEN;
		itv[i] = &it[i];
	}
	if (n == 1 && items[0].type == WB_ENTRY_REGISTRY) {
		op = registry_op(&items[0]);
		body = &it[0].base;
	}
	req.n_items = n;
	req.items = itv;
	req.has_atomic = atomic;
	req.atomic = atomic;
	rc = call_unpack(c, op, body, false,
	                 &waybill__v1__submit_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m != NULL) {
		wb_err trc = take_results(results, m, n);

		if (tree_size_out != NULL) {
			*tree_size_out = m->tree_size;
		}
		waybill__v1__submit_response__free_unpacked(m, NULL);
		rc = trc != WB_OK ? trc : rc;
	}
out:
	free(it);
	free(itv);
	return rc;
}

wb_err
wb_rpc_get_entry(uint8_t **out, size_t *len_out, wb_rpc_client *c,
                 uint64_t index, wb_problem *p)
{
	Waybill__V1__GetEntryRequest req = WAYBILL__V1__GET_ENTRY_REQUEST__INIT;
	Waybill__V1__GetEntryResponse *m = NULL;
	wb_err rc;

	*out = NULL;
	req.index = index;
	rc = call_unpack(c, WB_OP_GET_ENTRY, &req.base, true,
	                 &waybill__v1__get_entry_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m != NULL) {
		if (rc == WB_OK && (*out = malloc(m->entry.len + 1)) != NULL) {
			memcpy(*out, m->entry.data, m->entry.len);
			*len_out = m->entry.len;
		} else if (rc == WB_OK) {
			rc = WB_ENOMEM;
		}
		waybill__v1__get_entry_response__free_unpacked(m, NULL);
	}
	return rc;
}

wb_err
wb_rpc_get_range(FILE *f, wb_rpc_client *c, uint64_t from, uint64_t to,
                 wb_problem *p)
{
	uint64_t cursor = 0;
	wb_err rc;

	do {
		Waybill__V1__GetRangeRequest req =
		        WAYBILL__V1__GET_RANGE_REQUEST__INIT;
		Waybill__V1__GetRangeResponse *m = NULL;

		req.from = from;
		req.has_to = 1;
		req.to = to;
		req.has_cursor = 1;
		req.cursor = cursor;
		req.has_max_entries = 1;
		req.max_entries = RANGE_PAGE;
		rc = call_unpack(c, WB_OP_GET_RANGE, &req.base, true,
		                 &waybill__v1__get_range_response__descriptor,
		                 (ProtobufCMessage **)&m, p);
		if (m == NULL) {
			return rc;
		}
		if (rc == WB_OK &&
		    fwrite(m->data.data, 1, m->data.len, f) != m->data.len) {
			rc = WB_EIO;
		}
		/* Later pages continue the range the first page fixed. */
		to = m->to;
		cursor = m->next_cursor;
		waybill__v1__get_range_response__free_unpacked(m, NULL);
	} while (rc == WB_OK && cursor != 0);
	return rc;
}

wb_err
wb_rpc_history(uint64_t **indexes, size_t *n, uint64_t *next, wb_rpc_client *c,
               const char *twin, uint64_t after, bool reverse, uint32_t max,
               wb_problem *p)
{
	Waybill__V1__HistoryRequest req = WAYBILL__V1__HISTORY_REQUEST__INIT;
	Waybill__V1__HistoryResponse *m = NULL;
	wb_err rc;

	*indexes = NULL;
	*n = 0;
	*next = 0;
	req.twin = (char *)(uintptr_t)twin;
	req.has_after = 1;
	req.after = after;
	req.has_reverse = 1;
	req.reverse = reverse;
	req.has_max = max != 0;
	req.max = max;
	rc = call_unpack(c, WB_OP_HISTORY, &req.base, true,
	                 &waybill__v1__history_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK) {
		*indexes = calloc(m->n_indexes ? m->n_indexes : 1,
		                  sizeof(**indexes));
		if (*indexes == NULL) {
			rc = WB_ENOMEM;
		} else {
			memcpy(*indexes, m->indexes,
			       m->n_indexes * sizeof(**indexes));
			*n = m->n_indexes;
			*next = m->has_next_after ? m->next_after : 0;
		}
	}
	waybill__v1__history_response__free_unpacked(m, NULL);
	return rc;
}

wb_err
wb_rpc_checkpoint(char **note, uint64_t *size_out, wb_rpc_client *c,
                  uint64_t size, wb_problem *p)
{
	Waybill__V1__CheckpointRequest req =
	        WAYBILL__V1__CHECKPOINT_REQUEST__INIT;
	Waybill__V1__CheckpointResponse *m = NULL;
	wb_err rc;

	*note = NULL;
	req.has_size = size != 0;
	req.size = size;
	rc = call_unpack(c, WB_OP_CHECKPOINT, &req.base, true,
	                 &waybill__v1__checkpoint_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK) {
		*note = strdup(m->checkpoint);
		rc = *note != NULL ? WB_OK : WB_ENOMEM;
		if (size_out != NULL) {
			*size_out = m->size;
		}
	}
	waybill__v1__checkpoint_response__free_unpacked(m, NULL);
	return rc;
}

static wb_err
take_proof(wb_hash *proof, size_t *n_proof, ProtobufCBinaryData *v, size_t n)
{
	if (n > WB_MERKLE_MAX_PROOF) {
		return WB_EPROTO;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].len != WB_HASH_LEN) {
			return WB_EPROTO;
		}
		memcpy(proof[i].b, v[i].data, WB_HASH_LEN);
	}
	*n_proof = n;
	return WB_OK;
}

wb_err
wb_rpc_inclusion_proof(wb_hash *proof, size_t *n_proof, wb_hash *leaf,
                       uint64_t *size_out, char **checkpoint, wb_rpc_client *c,
                       uint64_t index, uint64_t size, wb_problem *p)
{
	Waybill__V1__InclusionProofRequest req =
	        WAYBILL__V1__INCLUSION_PROOF_REQUEST__INIT;
	Waybill__V1__InclusionProofResponse *m = NULL;
	wb_err rc;

	*checkpoint = NULL;
	req.index = index;
	req.has_size = size != 0;
	req.size = size;
	rc = call_unpack(c, WB_OP_INCLUSION_PROOF, &req.base, true,
	                 &waybill__v1__inclusion_proof_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK) {
		rc = take_proof(proof, n_proof, m->proof, m->n_proof);
		if (rc == WB_OK && m->leaf_hash.len != WB_HASH_LEN) {
			rc = WB_EPROTO;
		}
		if (rc == WB_OK) {
			memcpy(leaf->b, m->leaf_hash.data, WB_HASH_LEN);
			*size_out = m->size;
			*checkpoint = strdup(m->checkpoint);
			rc = *checkpoint != NULL ? WB_OK : WB_ENOMEM;
		}
	}
	waybill__v1__inclusion_proof_response__free_unpacked(m, NULL);
	return rc;
}

wb_err
wb_rpc_consistency_proof(wb_hash *proof, size_t *n_proof, uint64_t *n_out,
                         char **checkpoint, wb_rpc_client *c, uint64_t m_size,
                         uint64_t n_size, wb_problem *p)
{
	Waybill__V1__ConsistencyProofRequest req =
	        WAYBILL__V1__CONSISTENCY_PROOF_REQUEST__INIT;
	Waybill__V1__ConsistencyProofResponse *m = NULL;
	wb_err rc;

	*checkpoint = NULL;
	req.from_size = m_size;
	req.has_to_size = n_size != 0;
	req.to_size = n_size;
	rc = call_unpack(c, WB_OP_CONSISTENCY_PROOF, &req.base, true,
	                 &waybill__v1__consistency_proof_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK) {
		rc = take_proof(proof, n_proof, m->proof, m->n_proof);
		if (rc == WB_OK) {
			*n_out = m->to_size;
			*checkpoint = strdup(m->checkpoint);
			rc = *checkpoint != NULL ? WB_OK : WB_ENOMEM;
		}
	}
	waybill__v1__consistency_proof_response__free_unpacked(m, NULL);
	return rc;
}

/*
 * Subscribers.
 */

struct wb_rpc_subscriber {
	nng_socket sock;
};

wb_err
wb_rpc_subscribe(wb_rpc_subscriber **out, const char *url)
{
	wb_rpc_subscriber *s = calloc(1, sizeof(*s));
	int rv;

	*out = NULL;
	if (s == NULL) {
		return WB_ENOMEM;
	}
	if ((rv = nng_sub0_open(&s->sock)) != 0) {
		free(s);
		return wb_err_from_nng(rv, "sub0");
	}
	nng_socket_set(s->sock, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	nng_socket_set_ms(s->sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(s->sock, NNG_OPT_RECONNMAXT, 1000);
	if ((rv = nng_dial(s->sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		nng_close(s->sock);
		free(s);
		return wb_err_from_nng(rv, url);
	}
	*out = s;
	return WB_OK;
}

wb_err
wb_rpc_notice_next(wb_notice *out, wb_rpc_subscriber *s, unsigned timeout_ms)
{
	Waybill__V1__Notice *m;
	void *buf = NULL;
	size_t len;
	int rv;

	memset(out, 0, sizeof(*out));
	nng_socket_set_ms(s->sock, NNG_OPT_RECVTIMEO, (nng_duration)timeout_ms);
	if ((rv = nng_recv(s->sock, &buf, &len, NNG_FLAG_ALLOC)) != 0) {
		return wb_err_from_nng(rv, "notice");
	}
	m = waybill__v1__notice__unpack(NULL, len, buf);
	nng_free(buf, len);
	if (m == NULL) {
		return WB_EPROTO;
	}
	out->kind = (wb_notice_kind)m->kind;
	out->index = m->index;
	out->recall_index = m->has_recall_index ? m->recall_index : 0;
	if (m->checkpoint != NULL) {
		out->checkpoint = strdup(m->checkpoint);
	}
	waybill__v1__notice__free_unpacked(m, NULL);
	return WB_OK;
}

void
wb_rpc_subscriber_close(wb_rpc_subscriber *s)
{
	if (s != NULL) {
		nng_close(s->sock);
		free(s);
	}
}

bool
wb_client_has_key(const wb_rpc_client *c)
{
	return c->o.key != NULL;
}
