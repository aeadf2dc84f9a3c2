/* SPDX-License-Identifier: MIT */
/*
 * internal.h - helpers shared inside libwaybill; not installed, not
 * visible to rpc/ or tools/.
 */
#ifndef WAYBILL_INTERNAL_H
#define WAYBILL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "waybill/err.h"

#define WB_CHECK_ARG(cond)                \
	do {                              \
		if (!(cond)) {            \
			return WB_EINVAL; \
		}                         \
	} while (0)

/*
 * An arena: many small allocations released at once. Decoded stamps keep
 * every string and array in one, so a decode is one free away from gone.
 */
typedef struct wb_arena wb_arena;

wb_arena *wb_arena_new(size_t first_block);
void wb_arena_free(wb_arena *a);
/* 16-byte aligned, zeroed; NULL when out of memory. */
void *wb_arena_alloc(wb_arena *a, size_t size);
/* A NUL-terminated copy of len bytes; NULL when out of memory. */
char *wb_arena_strndup(wb_arena *a, const char *s, size_t len);

/*
 * A growable byte buffer for the small binary records of the derived
 * databases (twin state, stakeholders, recalls). Big-endian integers, so
 * keys sort as numbers.
 */
typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed: the content is incomplete */
} wb_buf;

void wb_buf_fini(wb_buf *b);
void wb_buf_put(wb_buf *b, const void *data, size_t len);
void wb_buf_put_u8(wb_buf *b, uint8_t v);
void wb_buf_put_u32(wb_buf *b, uint32_t v);
void wb_buf_put_u64(wb_buf *b, uint64_t v);
/* u16 length then bytes; strings longer than 65535 bytes are a bug. */
void wb_buf_put_str(wb_buf *b, const char *s);

/* A cursor over a record; reads past the end set `bad` and yield zeros. */
typedef struct {
	const uint8_t *p;
	size_t left;
	bool bad;
} wb_reader;

/* The readers are inline: a twin record is some forty fields, decoded on
 * every lookup of the append rules and the traceability queries. */
static inline void
wb_reader_init(wb_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->left = len;
	r->bad = false;
}

static inline void
wb_read_bytes(wb_reader *r, void *out, size_t len)
{
	if (r->bad || r->left < len) {
		r->bad = true;
		memset(out, 0, len);
		return;
	}
	memcpy(out, r->p, len);
	r->p += len;
	r->left -= len;
}

static inline void
wb_be64_put(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t
wb_be64_get(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++) {
		v = v << 8 | in[i];
	}
	return v;
}

static inline uint8_t
wb_read_u8(wb_reader *r)
{
	uint8_t v;

	wb_read_bytes(r, &v, 1);
	return v;
}

static inline uint32_t
wb_read_u32(wb_reader *r)
{
	uint8_t x[4];

	wb_read_bytes(r, x, 4);
	return (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 |
	       (uint32_t)x[2] << 8 | x[3];
}

static inline uint64_t
wb_read_u64(wb_reader *r)
{
	uint8_t x[8];

	wb_read_bytes(r, x, 8);
	return wb_be64_get(x);
}

/* Copies a u16-length string into out (size out_size, NUL-terminated). */
static inline void
wb_read_str(wb_reader *r, char *out, size_t out_size)
{
	uint8_t x[2];
	size_t len;

	wb_read_bytes(r, x, 2);
	len = (size_t)x[0] << 8 | x[1];
	if (r->bad || len >= out_size || r->left < len) {
		r->bad = true;
		if (out_size > 0) {
			out[0] = '\0';
		}
		return;
	}
	wb_read_bytes(r, out, len);
	out[len] = '\0';
}

/* Microseconds since the epoch, from CLOCK_REALTIME. */
uint64_t wb_now_us(void);

/* Decodes one UTF-8 sequence strictly (no overlong forms, no surrogates,
 * nothing past U+10FFFF): its length, or 0 when it is invalid. */
size_t wb_utf8_decode(uint32_t *cp_out, const uint8_t *p, size_t avail);

/* Unicode White_Space (the set Go's unicode.IsSpace tests). */
bool wb_unicode_space(uint32_t cp);

/* True when s (len bytes) is valid UTF-8 without control characters. */
bool wb_text_valid(const char *s, size_t len);

#endif
