/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz target shares: the libFuzzer entry point's prototype and
 * a one-time library initialisation. A target must return 0 for every
 * input, never crash, leak or hang; libFuzzer (tools/fuzz) and the
 * standalone replayer (driver.c, the 'fuzz' test suite) both call it.
 */
#ifndef WAYBILL_FUZZ_H
#define WAYBILL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "waybill/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* wb_init() once per process (libsodium); aborts if it cannot, since no
 * input could then be tested. */
static inline void
fuzz_init(void)
{
	static int done;

	if (!done) {
		if (wb_init() != WB_OK)
			abort();
		done = 1;
	}
}

#endif
