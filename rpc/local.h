/* SPDX-License-Identifier: MIT */
/*
 * local.h - the service without sockets or threads (private to rpc/ and
 * the tests): a request message's bytes go in, the encoded reply comes
 * out, through the daemon's own path (request.c: envelope, version,
 * authentication, ops_dispatch). A submission is committed on the caller's
 * thread before its reply is built, as the daemon's writer would.
 *
 * Connections are numbers the caller picks: a Challenge answered with
 * Authenticate on connection n authenticates n, as on a socket pipe.
 *
 * THREAD SAFETY: one caller at a time per server. Never pass a local
 * server to wb_rpc_server_stop, nor a started one to wb_rpc_local_*.
 */
#ifndef WAYBILL_RPC_LOCAL_H
#define WAYBILL_RPC_LOCAL_H

#include "rpc/rpc.h"

/**
 * Makes a server for `j` (opened with its log key; it must outlive the
 * server). Listener, TLS, publish and thread options are ignored.
 * @return WB_OK, WB_EINVAL (no journal or options; options as for
 * wb_rpc_server_start), WB_ENOMEM.
 */
wb_err wb_rpc_local_new(wb_rpc_server **out, wb_journal *j,
                        const wb_rpc_server_opts *o);

/** Frees a local server; NULL is allowed. */
void wb_rpc_local_free(wb_rpc_server *s);

/**
 * Handles one request message received on connection `conn`; the
 * encoded waybill.v1.Response comes back through reply_out (malloc'd:
 * free()). Every refusal is a reply, as on the socket.
 * @return WB_OK, WB_ENOMEM (no reply could be built).
 */
wb_err wb_rpc_local_call(uint8_t **reply_out, size_t *len_out, wb_rpc_server *s,
                         uint32_t conn, const void *msg, size_t len);

/** Forgets connection `conn` (its challenge and authentication), as when
 * a socket pipe closes. */
void wb_rpc_local_close_conn(wb_rpc_server *s, uint32_t conn);

#endif
