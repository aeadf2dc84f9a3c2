/* SPDX-License-Identifier: MIT */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "rpc.pb-c.h"

#define UNCONST(p) ((void *)(uintptr_t)(p))

int
wb_wire_status(wb_err err)
{
	return (unsigned)err < WB_ERR_COUNT_ ? (int)err : (int)WB_EINTERNAL;
}

wb_err
wb_wire_err(int status)
{
	return status >= 0 && status < WB_ERR_COUNT_ ? (wb_err)status
	                                             : WB_EPROTO;
}

wb_err
wb_wire_request_decode(wb_wire_request *out, const void *buf, size_t len)
{
	Waybill__V1__Request *m;

	memset(out, 0, sizeof(*out));
	m = waybill__v1__request__unpack(NULL, len, buf);
	if (m == NULL) {
		return WB_EPROTO;
	}
	out->pb_ = m;
	out->version_major = m->version_major;
	out->request_id = m->request_id;
	out->op = (int)m->op;
	if (m->has_body) {
		out->body = m->body.data;
		out->body_len = m->body.len;
	}
	if (m->auth != NULL) {
		const Waybill__V1__RequestAuth *a = m->auth;

		if (a->key.len != WB_PUBKEY_LEN ||
		    a->signature.len != WB_SIG_LEN || a->nonce.len == 0 ||
		    a->nonce.len > WB_NONCE_MAX) {
			wb_wire_request_fini(out);
			return WB_EPROTO;
		}
		out->has_auth = true;
		memcpy(out->auth_key.b, a->key.data, WB_PUBKEY_LEN);
		memcpy(out->auth_sig, a->signature.data, WB_SIG_LEN);
		memcpy(out->nonce, a->nonce.data, a->nonce.len);
		out->nonce_len = a->nonce.len;
		out->auth_ts_ms = a->timestamp_ms;
	}
	return WB_OK;
}

void
wb_wire_request_fini(wb_wire_request *r)
{
	if (r != NULL && r->pb_ != NULL) {
		waybill__v1__request__free_unpacked(r->pb_, NULL);
		r->pb_ = NULL;
	}
}

static wb_err
pack(uint8_t **out, size_t *len_out, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);

	if (buf == NULL) {
		return WB_ENOMEM;
	}
	protobuf_c_message_pack(m, buf);
	*out = buf;
	*len_out = len;
	return WB_OK;
}

wb_err
wb_wire_request_encode(uint8_t **out, size_t *len_out, const wb_wire_request *r)
{
	Waybill__V1__Request m = WAYBILL__V1__REQUEST__INIT;
	Waybill__V1__RequestAuth a = WAYBILL__V1__REQUEST_AUTH__INIT;

	m.version_major = r->version_major;
	m.has_version_minor = 1;
	m.version_minor = WB_RPC_VERSION_MINOR;
	m.request_id = r->request_id;
	m.op = (Waybill__V1__Op)r->op;
	if (r->body != NULL) {
		m.has_body = 1;
		m.body.data = UNCONST(r->body);
		m.body.len = r->body_len;
	}
	if (r->has_auth) {
		a.key.data = UNCONST(r->auth_key.b);
		a.key.len = WB_PUBKEY_LEN;
		a.timestamp_ms = r->auth_ts_ms;
		a.nonce.data = UNCONST(r->nonce);
		a.nonce.len = r->nonce_len;
		a.signature.data = UNCONST(r->auth_sig);
		a.signature.len = WB_SIG_LEN;
		m.auth = &a;
	}
	return pack(out, len_out, &m.base);
}

wb_err
wb_wire_response_decode(wb_wire_response *out, const void *buf, size_t len)
{
	Waybill__V1__Response *m;

	memset(out, 0, sizeof(*out));
	m = waybill__v1__response__unpack(NULL, len, buf);
	if (m == NULL) {
		return WB_EPROTO;
	}
	out->pb_ = m;
	out->request_id = m->request_id;
	out->status = wb_wire_err((int)m->status);
	out->reason = m->has_reason && (int)m->reason < (int)WB_REJECT_COUNT_
	                      ? (wb_reject)m->reason
	                      : WB_REJECT_NONE;
	out->message = m->message;
	if (m->has_body) {
		out->body = m->body.data;
		out->body_len = m->body.len;
	}
	if (m->version_major != WB_RPC_VERSION_MAJOR) {
		wb_wire_response_fini(out);
		return WB_EVERSION;
	}
	return WB_OK;
}

void
wb_wire_response_fini(wb_wire_response *r)
{
	if (r != NULL && r->pb_ != NULL) {
		waybill__v1__response__free_unpacked(r->pb_, NULL);
		r->pb_ = NULL;
	}
}

wb_err
wb_wire_response_encode(uint8_t **out, size_t *len_out,
                        const wb_wire_response *r)
{
	Waybill__V1__Response m = WAYBILL__V1__RESPONSE__INIT;

	m.version_major = WB_RPC_VERSION_MAJOR;
	m.has_version_minor = 1;
	m.version_minor = WB_RPC_VERSION_MINOR;
	m.request_id = r->request_id;
	m.status = (Waybill__V1__Status)wb_wire_status(r->status);
	if (r->reason != WB_REJECT_NONE) {
		m.has_reason = 1;
		m.reason = (Waybill__V1__Reason)r->reason;
	}
	m.message = UNCONST(r->message);
	if (r->body != NULL) {
		m.has_body = 1;
		m.body.data = UNCONST(r->body);
		m.body.len = r->body_len;
	}
	return pack(out, len_out, &m.base);
}

static void
be_put(uint8_t *out, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

size_t
wb_wire_request_auth_msg(uint8_t *out, const uint8_t *ledger_id, int op,
                         const uint8_t *body, size_t body_len, uint64_t ts_ms,
                         const uint8_t *nonce, size_t nonce_len)
{
	wb_hash h;
	size_t n = 0;

	memcpy(out, "request", 8); /* with its NUL */
	n += 8;
	memcpy(out + n, ledger_id, WB_HASH_LEN);
	n += WB_HASH_LEN;
	be_put(out + n, (uint64_t)(uint32_t)op, 4);
	n += 4;
	wb_hash_sha256(&h, body != NULL ? body : (const uint8_t *)"", body_len);
	memcpy(out + n, h.b, WB_HASH_LEN);
	n += WB_HASH_LEN;
	be_put(out + n, ts_ms, 8);
	n += 8;
	memcpy(out + n, nonce, nonce_len);
	return n + nonce_len;
}

void
wb_wire_challenge_msg(uint8_t out[WB_CHALLENGE_MSG_LEN],
                      const uint8_t *ledger_id,
                      const uint8_t challenge[WB_CHALLENGE_LEN])
{
	memcpy(out, "challenge", 10); /* with its NUL */
	memcpy(out + 10, ledger_id, WB_HASH_LEN);
	memcpy(out + 10 + WB_HASH_LEN, challenge, WB_CHALLENGE_LEN);
}
