/* SPDX-License-Identifier: MIT */
#include "waybill/ledger.h"

#include <sodium.h>

wb_err
wb_init(void)
{
	/* sodium_init() is idempotent and thread-safe; 1 means "already". */
	return sodium_init() < 0 ? WB_EINTERNAL : WB_OK;
}
