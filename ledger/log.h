/* SPDX-License-Identifier: MIT */
/*
 * log.h - diagnostics to stderr (private to libwaybill; tools get the same
 * through waybill/log.h). "log" here always means diagnostics; the ledger's
 * append-only store is the journal.
 */
#ifndef WAYBILL_PRIVATE_LOG_H
#define WAYBILL_PRIVATE_LOG_H

#include "waybill/log.h"

#endif
