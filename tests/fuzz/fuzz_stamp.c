/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the wire decoders a submission and a journal entry go
 * through (wb_stamp_decode, wb_registry_change_decode, wb_entry_decode),
 * each on the whole input. A decoded stamp is encoded again and decoded
 * once more (the ledger re-encodes what it stores) and written as EPCIS
 * JSON (what read commands do with it); the input as text also goes
 * through the ID parser. Nothing is expected to succeed; nothing may
 * crash or leak.
 */
#include <jansson.h>
#include <stdlib.h>

#include "fuzz.h"
#include "waybill/entry.h"
#include "waybill/epcis.h"
#include "waybill/id.h"
#include "waybill/stamp.h"

static void
stamp_round(const uint8_t *data, size_t size)
{
	wb_stamp *s = NULL;

	if (wb_stamp_decode(&s, data, size) != WB_OK)
		return;
	(void)wb_kind_name(s->kind);
	uint8_t *enc = NULL;
	size_t enc_len = 0;

	if (wb_stamp_encode(&enc, &enc_len, s) == WB_OK) {
		wb_stamp *again = NULL;

		if (wb_stamp_decode(&again, enc, enc_len) == WB_OK)
			wb_stamp_free(again);
		free(enc);
	}
	json_t *j = NULL;

	if (wb_epcis_event_to_json(&j, s) == WB_OK)
		json_decref(j);
	wb_stamp_free(s);
}

static void
registry_round(const uint8_t *data, size_t size)
{
	wb_registry_change *c = NULL;

	if (wb_registry_change_decode(&c, data, size) != WB_OK)
		return;
	(void)wb_role_name(c->n_roles ? c->roles[0] : (wb_role)0);
	uint8_t *enc = NULL;
	size_t enc_len = 0;

	if (wb_registry_change_encode(&enc, &enc_len, c) == WB_OK)
		free(enc);
	wb_registry_change_free(c);
}

static void
entry_round(const uint8_t *data, size_t size)
{
	wb_entry *e = NULL;

	if (wb_entry_decode(&e, data, size) != WB_OK)
		return;
	uint8_t *enc = NULL;
	size_t enc_len = 0;

	if (wb_entry_encode(&enc, &enc_len, e) == WB_OK)
		free(enc);
	/* The body of a stamp entry is itself a stamp. */
	if (e->type == WB_ENTRY_STAMP && e->body != NULL)
		stamp_round(e->body, e->body_len);
	wb_entry_free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	stamp_round(data, size);
	registry_round(data, size);
	entry_round(data, size);

	wb_twin_id id;
	wb_problem p;

	if (wb_id_parse(&id, (const char *)data, size, &p) == WB_OK) {
		char cls[WB_KEY_MAX + 1];

		(void)wb_id_class_of(cls, id.key);
	}
	return 0;
}
