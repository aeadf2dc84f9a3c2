/* SPDX-License-Identifier: MIT */
/*
 * epcis_scan.c - one pass over a document's text: is it JSON, and where
 * are the elements of its event list (epcis_scan.h).
 *
 * The scanner accepts only what jansson accepts (RFC 8259 with jansson's
 * own limits: strict UTF-8, no \u0000, integers that fit 64 bits, reals
 * that do not overflow), so that an event span it records parses on its
 * own. Whatever it is unsure of makes it give up, and the importer reads
 * the document whole instead: the scanner may be stricter than jansson,
 * never more lenient. Keys with escapes at the levels that lead to the
 * event list, a nesting deeper than SCAN_MAX_DEPTH and repeated keys on
 * the way to the list are such cases.
 */
#include "epcis_scan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jansson's own limit is 2048. */
#define SCAN_MAX_DEPTH 512

/* The object being read, on the way to the event list. */
typedef enum {
	L_OTHER = 0,
	L_ROOT, /* the top-level object */
	L_BODY, /* epcisBody */
	L_QR,   /* epcisBody.queryResults */
	L_RB,   /* ...resultsBody */
	L_LIST, /* the event list (an array) */
} level;

typedef struct {
	const unsigned char *b;
	size_t len, at;
	epcis_scan *out;
	size_t cap;
	size_t list_open, list_close; /* '[' and one past ']' */
	unsigned lists;               /* event lists seen */
	bool query;                   /* the list was a query document's */
} scanner;

static void
skip_ws(scanner *s)
{
	while (s->at < s->len && (s->b[s->at] == ' ' || s->b[s->at] == '\t' ||
	                          s->b[s->at] == '\n' || s->b[s->at] == '\r')) {
		s->at++;
	}
}

static int
hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9') {
			d = c - '0';
		} else if (c >= 'a' && c <= 'f') {
			d = c - 'a' + 10;
		} else if (c >= 'A' && c <= 'F') {
			d = c - 'A' + 10;
		} else {
			return -1;
		}
		v = v * 16 + d;
	}
	return v;
}

/* One UTF-8 sequence of 2 to 4 bytes starting at s->at (a byte >= 0x80):
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
utf8_seq(scanner *s)
{
	const unsigned char *p = s->b + s->at;
	size_t left = s->len - s->at, n;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return false;
	}
	if (left < n) {
		return false;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return false;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		return false;
	}
	s->at += n;
	return true;
}

/* A string at s->at (its opening quote); *raw_* is its text between the
 * quotes and *escaped whether it holds a backslash. */
static bool
string(scanner *s, size_t *raw_off, size_t *raw_len, bool *escaped)
{
	size_t start = ++s->at;

	*escaped = false;
	while (s->at < s->len) {
		unsigned char c = s->b[s->at];

		if (c == '"') {
			*raw_off = start;
			*raw_len = s->at - start;
			s->at++;
			return true;
		}
		if (c < 0x20) {
			return false;
		}
		if (c >= 0x80) {
			if (!utf8_seq(s)) {
				return false;
			}
			continue;
		}
		if (c != '\\') {
			s->at++;
			continue;
		}
		*escaped = true;
		if (s->at + 1 >= s->len) {
			return false;
		}
		c = s->b[s->at + 1];
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
			s->at += 2;
			continue;
		}
		if (c != 'u' || s->at + 6 > s->len) {
			return false;
		}
		int v = hex4(s->b + s->at + 2);

		if (v <= 0 || (v >= 0xdc00 && v <= 0xdfff)) {
			return false; /* \u0000, a bad digit, a lone low half */
		}
		s->at += 6;
		if (v >= 0xd800 && v <= 0xdbff) {
			int lo;

			if (s->at + 6 > s->len || s->b[s->at] != '\\' ||
			    s->b[s->at + 1] != 'u' ||
			    (lo = hex4(s->b + s->at + 2)) < 0xdc00 ||
			    lo > 0xdfff) {
				return false;
			}
			s->at += 6;
		}
	}
	return false;
}

static bool
digits(scanner *s)
{
	size_t start = s->at;

	while (s->at < s->len && s->b[s->at] >= '0' && s->b[s->at] <= '9') {
		s->at++;
	}
	return s->at > start;
}

/* A number, which jansson must be able to hold: an integer within 64
 * bits, a real that does not overflow. */
static bool
number(scanner *s)
{
	size_t start = s->at;
	bool real = false;
	char tmp[64];
	char *end;
	size_t n;

	if (s->b[s->at] == '-') {
		s->at++;
	}
	if (s->at < s->len && s->b[s->at] == '0') {
		s->at++;
	} else if (!digits(s)) {
		return false;
	}
	if (s->at < s->len && s->b[s->at] == '.') {
		s->at++;
		real = true;
		if (!digits(s)) {
			return false;
		}
	}
	if (s->at < s->len && (s->b[s->at] == 'e' || s->b[s->at] == 'E')) {
		s->at++;
		real = true;
		if (s->at < s->len &&
		    (s->b[s->at] == '+' || s->b[s->at] == '-')) {
			s->at++;
		}
		if (!digits(s)) {
			return false;
		}
	}
	n = s->at - start;
	if (n >= sizeof(tmp)) {
		return false; /* unsure: let jansson judge */
	}
	memcpy(tmp, s->b + start, n);
	tmp[n] = '\0';
	errno = 0;
	if (real) {
		double d = strtod(tmp, &end);

		return !isinf(d) && !(errno == ERANGE && d != 0);
	}
	(void)strtoll(tmp, &end, 10);
	return errno != ERANGE;
}

static bool
literal(scanner *s, const char *word)
{
	size_t n = strlen(word);

	if (s->len - s->at < n || memcmp(s->b + s->at, word, n) != 0) {
		return false;
	}
	s->at += n;
	return true;
}

static bool value(scanner *s, level lv, unsigned depth);

/* Records an element of the event list. */
static bool
add_span(scanner *s, size_t off, size_t len)
{
	epcis_scan *o = s->out;

	if (o->n_spans == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		epcis_span *v = realloc(o->spans, cap * sizeof(*v));

		if (v == NULL) {
			return false;
		}
		o->spans = v;
		s->cap = cap;
	}
	o->spans[o->n_spans].off = off;
	o->spans[o->n_spans].len = len;
	o->n_spans++;
	return true;
}

static bool
array(scanner *s, level lv, unsigned depth)
{
	if (lv == L_LIST) {
		if (++s->lists > 1) {
			return false;
		}
		s->list_open = s->at;
	}
	s->at++; /* '[' */
	skip_ws(s);
	if (s->at < s->len && s->b[s->at] == ']') {
		s->at++;
		s->list_close = lv == L_LIST ? s->at : s->list_close;
		return true;
	}
	for (;;) {
		size_t start;

		skip_ws(s);
		start = s->at;
		if (!value(s, L_OTHER, depth + 1)) {
			return false;
		}
		if (lv == L_LIST && !add_span(s, start, s->at - start)) {
			return false;
		}
		skip_ws(s);
		if (s->at >= s->len) {
			return false;
		}
		if (s->b[s->at] == ']') {
			s->at++;
			s->list_close = lv == L_LIST ? s->at : s->list_close;
			return true;
		}
		if (s->b[s->at++] != ',') {
			return false;
		}
	}
}

static bool
key_is(const scanner *s, size_t off, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s->b + off, name, len) == 0;
}

/* What a member leads to: the level of its value, L_OTHER when it is off
 * the way to the event list. */
static level
member_level(const scanner *s, level lv, size_t off, size_t len)
{
	switch (lv) {
	case L_ROOT:
		return key_is(s, off, len, "epcisBody") ? L_BODY : L_OTHER;
	case L_BODY:
		return key_is(s, off, len, "eventList")      ? L_LIST
		       : key_is(s, off, len, "queryResults") ? L_QR
		                                             : L_OTHER;
	case L_QR:
		return key_is(s, off, len, "resultsBody") ? L_RB : L_OTHER;
	case L_RB:
		return key_is(s, off, len, "eventList") ? L_LIST : L_OTHER;
	default:
		return L_OTHER;
	}
}

static bool
object(scanner *s, level lv, unsigned depth)
{
	unsigned seen[L_LIST + 1] = { 0 };

	s->at++; /* '{' */
	skip_ws(s);
	if (s->at < s->len && s->b[s->at] == '}') {
		s->at++;
		return true;
	}
	for (;;) {
		size_t off, len;
		bool escaped;
		level next;

		skip_ws(s);
		if (s->at >= s->len || s->b[s->at] != '"' ||
		    !string(s, &off, &len, &escaped)) {
			return false;
		}
		/* A key written with escapes could be one of the names that
		 * lead to the list: only the whole reader can tell. */
		if (escaped && lv != L_OTHER) {
			return false;
		}
		next = member_level(s, lv, off, len);
		if (next != L_OTHER && ++seen[next] > 1) {
			return false; /* jansson would keep the last one */
		}
		if (next == L_LIST && lv == L_RB) {
			s->query = true;
		}
		skip_ws(s);
		if (s->at >= s->len || s->b[s->at++] != ':') {
			return false;
		}
		skip_ws(s);
		if (!value(s, next, depth + 1)) {
			return false;
		}
		skip_ws(s);
		if (s->at >= s->len) {
			return false;
		}
		if (s->b[s->at] == '}') {
			s->at++;
			return true;
		}
		if (s->b[s->at++] != ',') {
			return false;
		}
	}
}

/* A value at s->at; lv is what it would be on the way to the list (a
 * level only counts for the right type of value). */
static bool
value(scanner *s, level lv, unsigned depth)
{
	size_t off, len;
	bool escaped;

	if (depth > SCAN_MAX_DEPTH || s->at >= s->len) {
		return false;
	}
	switch (s->b[s->at]) {
	case '{':
		return object(s, lv == L_LIST ? L_OTHER : lv, depth);
	case '[':
		return array(s, lv == L_LIST ? L_LIST : L_OTHER, depth);
	case '"':
		return string(s, &off, &len, &escaped);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return (s->b[s->at] == '-' ||
		        (s->b[s->at] >= '0' && s->b[s->at] <= '9')) &&
		       number(s);
	}
}

bool
epcis_scan_run(epcis_scan *out, const char *buf, size_t len)
{
	scanner s = { .b = (const unsigned char *)buf, .len = len, .out = out };
	bool ok;

	memset(out, 0, sizeof(*out));
	skip_ws(&s);
	if (s.at >= len) {
		return false;
	}
	if (s.b[s.at] == '[') {
		out->where = EPCIS_SCAN_TOP_ARRAY;
		ok = array(&s, L_LIST, 1);
	} else if (s.b[s.at] == '{') {
		ok = object(&s, L_ROOT, 1);
	} else {
		ok = false; /* a bare value: read whole */
	}
	skip_ws(&s);
	ok = ok && s.at == len && s.lists == 1;
	if (ok && out->where == EPCIS_SCAN_NONE) {
		out->where = s.query ? EPCIS_SCAN_QUERY : EPCIS_SCAN_BODY;
	}
	if (ok) {
		size_t head = s.list_open + 1, tail = len - (s.list_close - 1);

		out->skeleton = malloc(head + tail + 1);
		ok = out->skeleton != NULL;
		if (ok) {
			memcpy(out->skeleton, buf, head);
			memcpy(out->skeleton + head, buf + s.list_close - 1,
			       tail);
			out->skeleton_len = head + tail;
			out->skeleton[out->skeleton_len] = '\0';
		}
	}
	if (!ok) {
		epcis_scan_fini(out);
	}
	return ok;
}

void
epcis_scan_fini(epcis_scan *s)
{
	free(s->spans);
	free(s->skeleton);
	memset(s, 0, sizeof(*s));
}
