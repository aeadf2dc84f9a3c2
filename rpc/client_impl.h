/* SPDX-License-Identifier: MIT */
/*
 * client_impl.h - what client_trace.c shares with client.c (private).
 */
#ifndef WAYBILL_RPC_CLIENT_IMPL_H
#define WAYBILL_RPC_CLIENT_IMPL_H

#include <protobuf-c/protobuf-c.h>

#include "rpc/rpc.h"

/* One call: req packed as the body (NULL: none), authenticated when auth,
 * the reply body unpacked with d into *out (the caller frees it with
 * protobuf_c_message_free_unpacked). Returns the server's status, or a
 * network error; p holds a refusal's reason and message. */
wb_err call_unpack(wb_rpc_client *c, int op, const ProtobufCMessage *req,
                   bool auth, const ProtobufCMessageDescriptor *d,
                   ProtobufCMessage **out, wb_problem *p);

/* Whether the client has a key to authenticate reads with. */
bool wb_client_has_key(const wb_rpc_client *c);

#endif
