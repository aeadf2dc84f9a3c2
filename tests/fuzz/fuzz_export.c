/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: an export file as the auditor (`waybill audit --export`)
 * reads it. Every item is read until the end or the first error; each
 * entry's bytes go through the entry decoder and a header's checkpoint
 * through the checkpoint parser, as the verifier does before anything
 * else. The full wb_verify_export (which builds a scratch ledger on disk
 * per input) is left out: far too slow per execution.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "waybill/entry.h"
#include "waybill/export.h"
#include "waybill/note.h"
#include "waybill/sig.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	if (size == 0)
		return 0; /* fmemopen refuses a zero-size buffer */

	FILE *f = fmemopen((void *)data, size, "rb");

	if (f == NULL)
		return 0;
	/* Any key will do: signatures are not expected to verify. */
	wb_pubkey key = { { 0 } };

	for (unsigned items = 0; items < 100000; items++) {
		wb_export_header *h = NULL;
		wb_export_entry *e = NULL;

		if (wb_export_item_read(&h, &e, f) != WB_OK)
			break;
		if (h != NULL) {
			wb_checkpoint cp;

			if (h->checkpoint != NULL)
				(void)wb_checkpoint_verify(
				        &cp, h->checkpoint,
				        strlen(h->checkpoint), NULL, &key);
			wb_export_header_free(h);
		}
		if (e != NULL) {
			wb_entry *en = NULL;

			if (wb_entry_decode(&en, e->entry, e->entry_len) ==
			    WB_OK)
				wb_entry_free(en);
			wb_export_entry_free(e);
		}
	}
	fclose(f);
	return 0;
}
