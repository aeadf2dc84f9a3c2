/* SPDX-License-Identifier: MIT */
/*
 * request.c - one request message in, one reply out: the size limit, the
 * envelope, the protocol version, then the operations (ops.c). The daemon's
 * workers (server.c) and the in-process server (local.c) both go through
 * here, so what one accepts or refuses the other does too.
 */
#include "server_impl.h"

#include <stdlib.h>

uint64_t
srv_request(struct wb_rpc_server *s, struct srv_ctx *c, const void *msg,
            size_t len, uint32_t pipe, op_reply *r)
{
	wb_wire_request req;
	uint64_t id = 0;

	atomic_fetch_add(&s->requests, 1);
	if (len > s->o.max_message) {
		op_fail(r, WB_EPROTO, WB_REJECT_TOO_LARGE,
		        "the request is %zu bytes; this server takes at most %zu: split the batch",
		        len, s->o.max_message);
		return 0;
	}
	if (wb_wire_request_decode(&req, msg, len) != WB_OK) {
		op_fail(r, WB_EPROTO, WB_REJECT_MALFORMED,
		        "not a waybill.v1.Request: send a Request message with version, request ID and operation");
		return 0;
	}
	id = req.request_id;
	if (req.version_major != WB_RPC_VERSION_MAJOR) {
		op_fail(r, WB_EVERSION, WB_REJECT_NONE,
		        "protocol version %u is not spoken here; this server speaks version %d: upgrade the client",
		        req.version_major, WB_RPC_VERSION_MAJOR);
	} else {
		ops_dispatch(s, c, &req, pipe, r);
	}
	wb_wire_request_fini(&req);
	return id;
}

wb_err
srv_reply_encode(uint8_t **out, size_t *len_out, uint64_t request_id,
                 const op_reply *r)
{
	wb_wire_response resp = { .request_id = request_id,
		                  .status = r->status,
		                  .reason = r->reason,
		                  .message = r->status != WB_OK ? r->message
		                                                : NULL,
		                  .body = r->body,
		                  .body_len = r->body_len };

	return wb_wire_response_encode(out, len_out, &resp);
}
