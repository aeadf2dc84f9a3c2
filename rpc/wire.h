/* SPDX-License-Identifier: MIT */
/*
 * wire.h - the RPC envelope (private to rpc/): request and response
 * framing, the protocol version, and the bytes an authentication signs.
 * rpc/wire.c, rpc/ops.c and rpc/client_ops.c are the only users of the
 * protobuf types of proto/rpc.proto.
 */
#ifndef WAYBILL_RPC_WIRE_H
#define WAYBILL_RPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/hash.h"
#include "waybill/sig.h"

#define WB_RPC_VERSION_MAJOR 1
#define WB_RPC_VERSION_MINOR 0

/* The operations (mirrors proto Op). */
typedef enum {
	WB_OP_UNSPECIFIED = 0,
	WB_OP_PING,
	WB_OP_INFO,
	WB_OP_CHALLENGE,
	WB_OP_AUTHENTICATE,
	WB_OP_REGISTER,
	WB_OP_CHANGE_ROLES,
	WB_OP_ROTATE,
	WB_OP_REVOKE,
	WB_OP_SUBMIT,
	WB_OP_GET_ENTRY,
	WB_OP_GET_RANGE,
	WB_OP_HISTORY,
	WB_OP_CHECKPOINT,
	WB_OP_INCLUSION_PROOF,
	WB_OP_CONSISTENCY_PROOF,
	WB_OP_PASSPORT,
	WB_OP_TRACE,
	WB_OP_WHERE,
	WB_OP_INSTALLATIONS,
	WB_OP_RECALL_STATUS,
	WB_OP_RECALL_IMPACT,
	WB_OP_RECALLS_SINCE,
	WB_OP_SEARCH,
	WB_OP_MASTER_DATA,
	WB_OP_COUNT_,
} wb_op;

#define WB_NONCE_MAX     64
#define WB_CHALLENGE_LEN 32

typedef struct {
	uint32_t version_major;
	uint64_t request_id;
	int op;
	const uint8_t *body;
	size_t body_len;
	bool has_auth;
	wb_pubkey auth_key;
	uint64_t auth_ts_ms;
	uint8_t nonce[WB_NONCE_MAX];
	size_t nonce_len;
	uint8_t auth_sig[WB_SIG_LEN];

	void *pb_; /* the unpacked message the pointers borrow from */
} wb_wire_request;

typedef struct {
	uint64_t request_id;
	wb_err status;
	wb_reject reason;
	const char *message;
	const uint8_t *body;
	size_t body_len;

	void *pb_;
} wb_wire_response;

/* Parses a request; WB_EPROTO when it is not one (missing fields, an
 * auth header of the wrong shape). */
wb_err wb_wire_request_decode(wb_wire_request *out, const void *buf,
                              size_t len);
void wb_wire_request_fini(wb_wire_request *r);
/* Serialises a request into malloc'd bytes (free()). */
wb_err wb_wire_request_encode(uint8_t **out, size_t *len_out,
                              const wb_wire_request *r);

wb_err wb_wire_response_decode(wb_wire_response *out, const void *buf,
                               size_t len);
void wb_wire_response_fini(wb_wire_response *r);
wb_err wb_wire_response_encode(uint8_t **out, size_t *len_out,
                               const wb_wire_response *r);

/* What a per-request auth header signs (context waybill/v1/auth):
 * "request" 0x00 ledger-ID op(4, BE) SHA-256(body) timestamp(8, BE) nonce.
 * out must hold WB_AUTH_MSG_MAX bytes; returns the length. */
#define WB_AUTH_MSG_MAX (8 + WB_HASH_LEN + 4 + WB_HASH_LEN + 8 + WB_NONCE_MAX)
size_t wb_wire_request_auth_msg(uint8_t *out, const uint8_t *ledger_id, int op,
                                const uint8_t *body, size_t body_len,
                                uint64_t ts_ms, const uint8_t *nonce,
                                size_t nonce_len);

/* What a challenge answer signs: "challenge" 0x00 ledger-ID challenge. */
#define WB_CHALLENGE_MSG_LEN (10 + WB_HASH_LEN + WB_CHALLENGE_LEN)
void wb_wire_challenge_msg(uint8_t out[WB_CHALLENGE_MSG_LEN],
                           const uint8_t *ledger_id,
                           const uint8_t challenge[WB_CHALLENGE_LEN]);

/* The status of a wb_err (they share numbers) and back. */
int wb_wire_status(wb_err err);
wb_err wb_wire_err(int status);

#endif
