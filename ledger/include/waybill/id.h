/* SPDX-License-Identifier: MIT */
/*
 * id.h - twin identifiers: validation, canonical keys and namespaces.
 *
 * A twin ID is 1..256 bytes of UTF-8 with no control characters. GS1
 * identifiers, written as EPC URIs (every scheme of the EPC Tag Data
 * Standard, including urn:epc:class:lgtin and urn:epc:idpat class patterns)
 * or as GS1 Digital Link URIs (any http(s) host, optional path prefix), are
 * indexed under a canonical key: the GS1 element string, e.g.
 * "(01)10614141073464(21)2017", so that both forms find the same twin.
 * EPC schemes without a GS1 key (gid, usdod, adi, bic, imovn) and patterns
 * wider than a class are keyed by their normalised URI; any other ID is keyed
 * as given.
 *
 * Namespaces: a GS1 company prefix matches the company-prefix position inside
 * the GS1 key of any scheme (GTIN, SSCC, GLN, GRAI, GIAI, GSRN, GDTI, GCN,
 * GINC, GSIN, CPI, ITIP, UPUI, PGLN); a literal prefix matches the start of
 * the ID as given and of its canonical key.
 *
 * THREAD SAFETY: pure and thread-safe.
 */
#ifndef WAYBILL_ID_H
#define WAYBILL_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "waybill/err.h"

#define WB_ID_MAX 256
/* A canonical key is never longer than the ID it comes from, nor than 256. */
#define WB_KEY_MAX 256

typedef enum {
	WB_ID_OTHER = 0, /* not an EPC or Digital Link: keyed as given */
	WB_ID_EPC_OTHER, /* an EPC URI with no GS1 key (gid, usdod, ...) */
	WB_ID_GS1_ITEM,  /* an instance: SGTIN, SSCC, GRAI, GIAI, ... */
	WB_ID_GS1_CLASS, /* a class: GTIN, LGTIN (GTIN + lot), pattern */
	WB_ID_GS1_PARTY, /* a party or location: GLN, SGLN, PGLN */
} wb_id_kind;

typedef struct {
	char key[WB_KEY_MAX + 1]; /* canonical key, NUL-terminated */
	size_t key_len;
	wb_id_kind kind;
} wb_twin_id;

/**
 * Validates an ID and derives its canonical key.
 * @return WB_OK, or WB_EREJECTED with p->reason = WB_REJECT_BAD_ID and a
 * message naming the problem (empty, too long, not UTF-8, control
 * character, malformed EPC URI or Digital Link, bad check digit, ...).
 */
wb_err wb_id_parse(wb_twin_id *out, const char *id, size_t len, wb_problem *p);

/**
 * The canonical key of a GS1 item's class, for lot membership: an SGTIN's
 * GTIN "(01)...". Returns false when the key has no class.
 */
bool wb_id_class_of(char out[WB_KEY_MAX + 1], const char *key);

/** True when prefix is a valid GS1 company prefix (4 to 12 digits). */
bool wb_id_company_prefix_valid(const char *prefix);

/**
 * True when the canonical key (from wb_id_parse) falls under the GS1 company
 * prefix, i.e. the prefix stands at the company-prefix position of the key's
 * GS1 identifier.
 */
bool wb_id_in_company_prefix(const char *key, const char *prefix);

/**
 * True when the ID as given, or its canonical key, starts with prefix.
 */
bool wb_id_in_literal_prefix(const char *id, const char *key,
                             const char *prefix);

#endif
