/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: EPCIS 2.0 JSON as `waybill epcis import` and `waybill
 * submit` read it. The input is parsed with jansson (as the CLI does);
 * the document reader lists its items and every item is mapped to a
 * stamp, which is then encoded (what would be signed); the root is also
 * mapped as one bare event. Refusals are expected; crashes and leaks are
 * not.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "waybill/epcis.h"
#include "waybill/stamp.h"

/* Encodes a mapped stamp and frees it. */
static void
encode_free(wb_stamp *s)
{
	uint8_t *enc = NULL;
	size_t len = 0;

	if (wb_stamp_encode(&enc, &len, s) == WB_OK)
		free(enc);
	wb_stamp_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();

	/* Deep nesting costs stack and time in jansson, not in waybill. */
	json_t *root =
	        json_loadb((const char *)data, size,
	                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);

	if (root == NULL)
		return 0;
	uint8_t ledger_id[WB_HASH_LEN];
	wb_problem p;
	wb_epcis_doc *doc = NULL;

	memset(ledger_id, 0x5a, sizeof ledger_id);
	if (wb_epcis_doc_read(&doc, root, &p) == WB_OK) {
		for (size_t i = 0; i < doc->n_items; i++) {
			wb_stamp *s = NULL;

			if (wb_epcis_doc_stamp(&s, doc, i, ledger_id, &p) ==
			    WB_OK)
				encode_free(s);
		}
		wb_epcis_doc_free(doc);
	}
	wb_stamp *s = NULL;

	if (wb_epcis_event_from_json(&s, root, NULL, ledger_id, &p) == WB_OK)
		encode_free(s);
	json_decref(root);
	return 0;
}
