/* SPDX-License-Identifier: MIT */
#include "waybill/hash.h"

#include <sodium.h>
#include <string.h>

void
wb_hash_sha256(wb_hash *out, const void *data, size_t len)
{
	crypto_hash_sha256(out->b, data, len);
}

void
wb_hash_leaf(wb_hash *out, const void *data, size_t len)
{
	crypto_hash_sha256_state st;
	static const uint8_t prefix = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out->b);
}

void
wb_hash_node(wb_hash *out, const wb_hash *left, const wb_hash *right)
{
	uint8_t buf[1 + 2 * WB_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left->b, WB_HASH_LEN);
	memcpy(buf + 1 + WB_HASH_LEN, right->b, WB_HASH_LEN);
	crypto_hash_sha256(out->b, buf, sizeof(buf));
}

void
wb_hex_encode(char *out, const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

wb_err
wb_hex_decode(uint8_t *out, size_t out_size, size_t *len_out, const char *hex,
              size_t hex_len)
{
	if (hex_len % 2 != 0 || hex_len / 2 > out_size) {
		return WB_EINVAL;
	}
	for (size_t i = 0; i < hex_len / 2; i++) {
		int hi = hex_value(hex[2 * i]);
		int lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return WB_EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (len_out != NULL) {
		*len_out = hex_len / 2;
	}
	return WB_OK;
}

void
wb_hash_to_hex(char out[2 * WB_HASH_LEN + 1], const wb_hash *h)
{
	wb_hex_encode(out, h->b, WB_HASH_LEN);
}

wb_err
wb_hash_from_hex(wb_hash *out, const char *hex)
{
	size_t len = strlen(hex);

	if (len != 2 * WB_HASH_LEN) {
		return WB_EINVAL;
	}
	return wb_hex_decode(out->b, WB_HASH_LEN, NULL, hex, len);
}

int
wb_hash_equal(const wb_hash *a, const wb_hash *b)
{
	return memcmp(a->b, b->b, WB_HASH_LEN) == 0;
}
