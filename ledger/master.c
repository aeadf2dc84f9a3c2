/* SPDX-License-Identifier: MIT */
/*
 * master.c - master data by the element it describes: the index the
 * effects of each master-data stamp keep under the element's canonical key
 * (WB_DB_MASTER), and the entry it names.
 */
#include <stdlib.h>
#include <string.h>

#include "journal_impl.h"
#include "waybill/master.h"

wb_err
wb_master_data_find(uint64_t *index_out, uint8_t **entry_out, size_t *len_out,
                    wb_journal *j, const char *id, wb_problem *p)
{
	wb_twin_id tid;
	wb_txn t = { 0 };
	uint8_t k[8];
	wb_val v;
	wb_err rc;

	WB_CHECK_ARG(index_out && entry_out && len_out && j && id);
	*entry_out = NULL;
	*len_out = 0;
	if ((rc = wb_id_parse(&tid, id, strlen(id), p)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	rc = wb_db_get(&t, WB_DB_MASTER, tid.key, tid.key_len, &v);
	if (rc == WB_OK && v.len != 8) {
		rc = WB_ECORRUPT;
	}
	if (rc != WB_OK) {
		goto out;
	}
	memcpy(k, v.data, 8);
	*index_out = wb_be64_get(k);
	if ((rc = wb_db_get(&t, WB_DB_JOURNAL, k, 8, &v)) != WB_OK) {
		rc = rc == WB_ENOTFOUND ? WB_ECORRUPT : rc;
		goto out;
	}
	if ((*entry_out = malloc(v.len > 0 ? v.len : 1)) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	memcpy(*entry_out, v.data, v.len);
	*len_out = v.len;
out:
	wb_txn_abort(&t);
	return rc;
}
