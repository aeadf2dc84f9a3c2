/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: signed notes and checkpoints as a client or an auditor
 * receives them. The input is the note; it is opened with a fixed key
 * (seed 0x07 repeated, name "log.example/waybill", as the committed
 * corpus is signed) both as a plain note and as a checkpoint, with and
 * without an expected origin, and with a key of another name. Most inputs
 * are refused; none may crash, leak or read past the input.
 */
#include <string.h>

#include "fuzz.h"
#include "waybill/note.h"
#include "waybill/sig.h"

#define ORIGIN "log.example/waybill"

static wb_pubkey log_key;

static void
key_init(void)
{
	static int done;

	if (done)
		return;
	uint8_t seed[WB_SEED_LEN];
	wb_signer *s = NULL;

	memset(seed, 7, sizeof seed);
	if (wb_signer_from_seed(&s, ORIGIN, seed) != WB_OK)
		abort();
	log_key = *wb_signer_pubkey(s);
	wb_signer_free(s);
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	key_init();

	const char *note = (const char *)data;
	size_t text_len = 0;
	wb_checkpoint cp;

	if (wb_note_verify(&text_len, note, size, ORIGIN, &log_key) == WB_OK &&
	    text_len > size)
		abort(); /* the text part lies inside the note */
	(void)wb_note_verify(&text_len, note, size, "other.example", &log_key);
	(void)wb_checkpoint_verify(&cp, note, size, ORIGIN, &log_key);
	(void)wb_checkpoint_verify(&cp, note, size, NULL, &log_key);
	return 0;
}
