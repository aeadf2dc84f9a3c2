/* SPDX-License-Identifier: MIT */
/*
 * hash.h - SHA-256 and the RFC 9162 leaf and node hashes.
 *
 * A wb_hash is 32 bytes by value. Leaf hash = SHA-256(0x00 || data), node
 * hash = SHA-256(0x01 || left || right): the domain separation of RFC 9162
 * §2.1.1 that keeps a leaf from posing as an inner node.
 *
 * THREAD SAFETY: pure and thread-safe once wb_init() has run.
 */
#ifndef WAYBILL_HASH_H
#define WAYBILL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"

#define WB_HASH_LEN 32

typedef struct {
	uint8_t b[WB_HASH_LEN];
} wb_hash;

/** SHA-256 of len bytes. */
void wb_hash_sha256(wb_hash *out, const void *data, size_t len);

/** RFC 9162 leaf hash: SHA-256(0x00 || data). */
void wb_hash_leaf(wb_hash *out, const void *data, size_t len);

/** RFC 9162 node hash: SHA-256(0x01 || left || right). */
void wb_hash_node(wb_hash *out, const wb_hash *left, const wb_hash *right);

/** Lower-case hex; out must hold 65 bytes (NUL-terminated). */
void wb_hash_to_hex(char out[2 * WB_HASH_LEN + 1], const wb_hash *h);

/**
 * Parses exactly 64 hex digits (either case).
 * @return WB_OK, or WB_EINVAL when the text is not 64 hex digits.
 */
wb_err wb_hash_from_hex(wb_hash *out, const char *hex);

/** True when both hashes hold the same 32 bytes (public data: memcmp). */
int wb_hash_equal(const wb_hash *a, const wb_hash *b);

/**
 * Decodes hex of any even length into out (at most out_size bytes).
 * @return WB_OK, or WB_EINVAL for odd length, bad digits or overflow.
 */
wb_err wb_hex_decode(uint8_t *out, size_t out_size, size_t *len_out,
                     const char *hex, size_t hex_len);

/** Encodes len bytes as lower-case hex into out (2*len+1 bytes). */
void wb_hex_encode(char *out, const uint8_t *data, size_t len);

#endif
