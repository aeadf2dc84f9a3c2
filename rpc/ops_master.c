/* SPDX-License-Identifier: MIT */
/*
 * ops_master.c - OP_MASTER_DATA: the latest master-data stamp describing a
 * location or a product, for the names and addresses that passports and
 * regulator exports show.
 */
#include <stdlib.h>
#include <string.h>

#include "rpc.pb-c.h"
#include "server_impl.h"
#include "waybill/master.h"

void
op_master_data(struct wb_rpc_server *s, struct srv_ctx *c,
               const wb_wire_request *req, uint32_t pipe,
               const op_identity *who, op_reply *r)
{
	Waybill__V1__MasterDataRequest *m;
	Waybill__V1__MasterDataResponse out =
	        WAYBILL__V1__MASTER_DATA_RESPONSE__INIT;
	wb_problem p = { 0 };
	uint8_t *bytes = NULL;
	uint64_t index = 0;
	size_t len = 0;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__master_data_request__unpack(NULL, req->body_len,
	                                             req->body);
	if (m == NULL) {
		bad_body(r, "MasterDataRequest");
		return;
	}
	rc = wb_master_data_find(&index, &bytes, &len, s->j, m->element, &p);
	if (rc == WB_EREJECTED) {
		op_fail(r, rc, p.reason, "%s", p.msg);
	} else if (rc == WB_ENOTFOUND) {
		op_fail(r, rc, WB_REJECT_NONE,
		        "no master data describes %s: its owner can register it with `waybill master`",
		        m->element);
	} else if (rc != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE,
		        "cannot read the master data of %s: %s", m->element,
		        wb_strerror(rc));
	} else {
		out.index = index;
		out.entry.data = bytes;
		out.entry.len = len;
		reply_body(r, &out.base);
	}
	free(bytes);
	waybill__v1__master_data_request__free_unpacked(m, NULL);
}
