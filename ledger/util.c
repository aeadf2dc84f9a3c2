/* SPDX-License-Identifier: MIT */
/* The small shared helpers of internal.h: arena, buffers, time, text. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct arena_block {
	struct arena_block *next;
	size_t used;
	size_t size;
	_Alignas(16) uint8_t data[];
};

struct wb_arena {
	struct arena_block *head;
	size_t next_size;
};

wb_arena *
wb_arena_new(size_t first_block)
{
	wb_arena *a = calloc(1, sizeof(*a));

	if (a != NULL) {
		a->next_size = first_block < 256 ? 256 : first_block;
	}
	return a;
}

void
wb_arena_free(wb_arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL) {
		return;
	}
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *
wb_arena_alloc(wb_arena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t need = (size + 15) & ~(size_t)15;
	void *p;

	if (need < size) {
		return NULL;
	}
	if (b == NULL || b->size - b->used < need) {
		size_t bsize = a->next_size;

		while (bsize < need) {
			bsize *= 2;
		}
		b = malloc(sizeof(*b) + bsize);
		if (b == NULL) {
			return NULL;
		}
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
		if (a->next_size < (1u << 20)) {
			a->next_size *= 2;
		}
	}
	p = b->data + b->used;
	b->used += need;
	memset(p, 0, size);
	return p;
}

char *
wb_arena_strndup(wb_arena *a, const char *s, size_t len)
{
	char *p = wb_arena_alloc(a, len + 1);

	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

void
wb_buf_fini(wb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void
wb_buf_put(wb_buf *b, const void *data, size_t len)
{
	if (b->failed) {
		return;
	}
	if (b->cap - b->len < len) {
		size_t cap = b->cap ? b->cap : 128;
		uint8_t *p;

		while (cap - b->len < len) {
			cap *= 2;
		}
		p = realloc(b->data, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	if (len > 0) {
		memcpy(b->data + b->len, data, len);
		b->len += len;
	}
}

void
wb_buf_put_u8(wb_buf *b, uint8_t v)
{
	wb_buf_put(b, &v, 1);
}

void
wb_buf_put_u32(wb_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		         (uint8_t)(v >> 8), (uint8_t)v };

	wb_buf_put(b, x, 4);
}

void
wb_buf_put_u64(wb_buf *b, uint64_t v)
{
	uint8_t x[8];

	wb_be64_put(x, v);
	wb_buf_put(b, x, 8);
}

void
wb_buf_put_str(wb_buf *b, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	uint8_t x[2];

	if (len > 0xffff) {
		b->failed = true;
		return;
	}
	x[0] = (uint8_t)(len >> 8);
	x[1] = (uint8_t)len;
	wb_buf_put(b, x, 2);
	wb_buf_put(b, s, len);
}

uint64_t
wb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

size_t
wb_utf8_decode(uint32_t *cp_out, const uint8_t *p, size_t avail)
{
	uint32_t cp, min;
	size_t n;

	if (avail == 0) {
		return 0;
	}
	if (p[0] < 0x80) {
		*cp_out = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > avail) {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	*cp_out = cp;
	return n;
}

bool
wb_unicode_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	       cp == 0x3000;
}

bool
wb_text_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = wb_utf8_decode(&cp, p + i, len - i);

		/* C0, DEL and C1 controls are refused too. */
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			return false;
		}
		i += n;
	}
	return true;
}
