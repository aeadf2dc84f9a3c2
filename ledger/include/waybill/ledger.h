/* SPDX-License-Identifier: MIT */
/*
 * ledger.h - the one header tools include: all of libwaybill.
 */
#ifndef WAYBILL_LEDGER_H
#define WAYBILL_LEDGER_H

#include "waybill/entry.h"
#include "waybill/err.h"
#include "waybill/export.h"
#include "waybill/hash.h"
#include "waybill/id.h"
#include "waybill/journal.h"
#include "waybill/keyfile.h"
#include "waybill/log.h"
#include "waybill/merkle.h"
#include "waybill/note.h"
#include "waybill/rebuild.h"
#include "waybill/sig.h"
#include "waybill/stamp.h"
#include "waybill/verify.h"

/**
 * Initialises libwaybill (libsodium). Call once before anything else; safe
 * to call again.
 * @return WB_OK, or WB_EINTERNAL when libsodium cannot start.
 */
wb_err wb_init(void);

#endif
