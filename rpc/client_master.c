/* SPDX-License-Identifier: MIT */
/*
 * client_master.c - the master-data call of the client library.
 */
#include <stdlib.h>
#include <string.h>

#include "client_impl.h"
#include "rpc.pb-c.h"
#include "wire.h"

wb_err
wb_rpc_master_data(uint64_t *index_out, uint8_t **entry_out, size_t *len_out,
                   wb_rpc_client *c, const char *element, wb_problem *p)
{
	Waybill__V1__MasterDataRequest req =
	        WAYBILL__V1__MASTER_DATA_REQUEST__INIT;
	Waybill__V1__MasterDataResponse *m = NULL;
	wb_err rc;

	*entry_out = NULL;
	*len_out = 0;
	req.element = (char *)(uintptr_t)element;
	rc = call_unpack(c, WB_OP_MASTER_DATA, &req.base, true,
	                 &waybill__v1__master_data_response__descriptor,
	                 (ProtobufCMessage **)&m, p);
	if (m == NULL) {
		return rc;
	}
	if (rc == WB_OK) {
		if ((*entry_out = malloc(m->entry.len + 1)) != NULL) {
			memcpy(*entry_out, m->entry.data, m->entry.len);
			*len_out = m->entry.len;
			*index_out = m->index;
		} else {
			rc = WB_ENOMEM;
		}
	}
	waybill__v1__master_data_response__free_unpacked(m, NULL);
	return rc;
}
