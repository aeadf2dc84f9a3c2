/* SPDX-License-Identifier: MIT */
/*
 * fsma_bundle.c - the files of the FSMA 204 export: the CSV (RFC 4180:
 * CRLF line ends, fields quoted when they hold a comma, a quote or a line
 * break, quotes doubled) and the JSON proof bundle beside it
 * (docs/fsma204.md).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "fsma.h"

#define BUNDLE_FORMAT "waybill-fsma204-bundle"
#define CSV_MAX_BYTES (256u << 20)

/*
 * CSV.
 */

static bool
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		return fputs(s, f) >= 0;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			fputc('"', f);
		}
		fputc(*s, f);
	}
	return fputc('"', f) != EOF;
}

bool
fsma_csv_write(FILE *f, const fsma_row *rows, size_t n)
{
	bool ok = true;

	for (size_t c = 0; c < FSMA_COLS; c++) {
		ok = ok && (c == 0 || fputc(',', f) != EOF) &&
		     csv_field(f, fsma_columns[c]);
	}
	ok = ok && fputs("\r\n", f) >= 0;
	for (size_t i = 0; i < n && ok; i++) {
		for (size_t c = 0; c < FSMA_COLS; c++) {
			ok = ok && (c == 0 || fputc(',', f) != EOF) &&
			     csv_field(f, rows[i].cell[c]);
		}
		ok = ok && fputs("\r\n", f) >= 0;
	}
	return ok && !ferror(f);
}

/* A growing array of pointers. */
static bool
push(void ***v, size_t *n, size_t *cap, void *x)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		void **nv = realloc(*v, nc * sizeof(*nv));

		if (nv == NULL) {
			return false;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return true;
}

static char *
read_all(FILE *f, size_t *len_out)
{
	size_t cap = 65536, len = 0, r;
	char *buf = malloc(cap + 1), *nb;

	while (buf != NULL && (r = fread(buf + len, 1, cap - len, f)) > 0) {
		len += r;
		if (len == cap) {
			if (cap >= CSV_MAX_BYTES ||
			    (nb = realloc(buf, 2 * cap + 1)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf != NULL) {
		buf[len] = '\0';
		*len_out = len;
	}
	return buf;
}

bool
fsma_csv_read(char ****rows_out, size_t **n_cols_out, size_t *n_out, FILE *f,
              char *err, size_t err_size)
{
	size_t len, pos = 0, n = 0, cap = 0, line = 1;
	char *text = read_all(f, &len);
	char ***rows = NULL;
	size_t *ncols = NULL;
	bool ok = false;

	*rows_out = NULL;
	*n_cols_out = NULL;
	*n_out = 0;
	if (text == NULL) {
		snprintf(err, err_size, "cannot read it (too large?)");
		return false;
	}
	if (strlen(text) != len) {
		snprintf(err, err_size, "it holds a NUL byte");
		goto out;
	}
	while (pos < len) {
		char **cells = NULL;
		size_t nc = 0, ccap = 0;

		for (;;) {
			char *cell = malloc(len - pos + 1);
			size_t cl = 0;

			if (cell == NULL) {
				snprintf(err, err_size, "out of memory");
				free(cells);
				goto out;
			}
			if (text[pos] == '"') {
				pos++;
				for (;;) {
					if (pos >= len) {
						snprintf(
						        err, err_size,
						        "line %zu: a quoted field is not closed",
						        line);
						free(cell);
						for (size_t k = 0; k < nc;
						     k++) {
							free(cells[k]);
						}
						free(cells);
						goto out;
					}
					if (text[pos] == '"' &&
					    text[pos + 1] == '"') {
						cell[cl++] = '"';
						pos += 2;
					} else if (text[pos] == '"') {
						pos++;
						break;
					} else {
						cell[cl++] = text[pos++];
					}
				}
			} else {
				while (pos < len && text[pos] != ',' &&
				       text[pos] != '\r' && text[pos] != '\n') {
					cell[cl++] = text[pos++];
				}
			}
			cell[cl] = '\0';
			{
				/* Give back what the cell did not use. */
				char *fit = realloc(cell, cl + 1);

				cell = fit != NULL ? fit : cell;
			}
			if (!push((void ***)&cells, &nc, &ccap, cell)) {
				free(cell);
				snprintf(err, err_size, "out of memory");
				goto out;
			}
			if (pos < len && text[pos] == ',') {
				pos++;
				continue;
			}
			break;
		}
		if (pos < len && text[pos] == '\r') {
			pos++;
		}
		if (pos < len && text[pos] == '\n') {
			pos++;
		}
		line++;
		if (n == cap) {
			size_t nc2 = cap ? 2 * cap : 64;
			char ***nr = realloc(rows, nc2 * sizeof(*nr));
			size_t *nn = realloc(ncols, nc2 * sizeof(*nn));

			if (nr != NULL) {
				rows = nr;
			}
			if (nn != NULL) {
				ncols = nn;
			}
			if (nr == NULL || nn == NULL) {
				for (size_t k = 0; k < nc; k++) {
					free(cells[k]);
				}
				free(cells);
				snprintf(err, err_size, "out of memory");
				goto out;
			}
			cap = nc2;
		}
		rows[n] = cells;
		ncols[n++] = nc;
	}
	ok = true;
out:
	free(text);
	if (!ok) {
		fsma_csv_free(rows, ncols, n);
		return false;
	}
	*rows_out = rows;
	*n_cols_out = ncols;
	*n_out = n;
	return true;
}

void
fsma_csv_free(char ***rows, size_t *n_cols, size_t n)
{
	for (size_t i = 0; rows != NULL && i < n; i++) {
		for (size_t c = 0; c < n_cols[i]; c++) {
			free(rows[i][c]);
		}
		free(rows[i]);
	}
	free(rows);
	free(n_cols);
}

/*
 * Times.
 */

static bool
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm), so no
 * timegm() is needed. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
fsma_parse_time(wb_time *out, const char *text)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	const char *p = text;
	uint32_t nanos = 0;
	int64_t secs;
	bool has_nanos = false;

	if (strlen(text) < 20 || !digits(p, 4, &y) || p[4] != '-' ||
	    !digits(p + 5, 2, &mo) || p[7] != '-' || !digits(p + 8, 2, &d) ||
	    (p[10] != 'T' && p[10] != 't') || !digits(p + 11, 2, &h) ||
	    p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' ||
	    !digits(p + 17, 2, &sec) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60) {
		return false;
	}
	p += 19;
	if (*p == '.') {
		int k = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, k++) {
			if (k < 9) {
				nanos = nanos * 10 + (uint32_t)(*p - '0');
			}
		}
		if (k == 0) {
			return false;
		}
		for (; k < 9; k++) {
			nanos *= 10;
		}
		has_nanos = true;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) &&
	           p[3] == ':' && digits(p + 4, 2, &om) && oh < 24 && om < 60) {
		if (*p == '-') {
			oh = -oh;
			om = -om;
		}
		p += 6;
	} else {
		return false;
	}
	if (*p != '\0') {
		return false;
	}
	secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	out->seconds = secs - (int64_t)oh * 3600 - (int64_t)om * 60;
	out->nanos = nanos;
	out->has_nanos = has_nanos && nanos != 0;
	return true;
}

/*
 * The bundle.
 */

static json_t *
time_json(const wb_time *t)
{
	char buf[64];

	cli_format_time(buf, sizeof(buf), t->seconds, t->nanos, t->has_nanos);
	return json_string(buf);
}

static json_t *
item_json(const fsma_item *it)
{
	json_t *o = json_object(), *proof = json_array(), *rows = json_array();
	char *b64 = NULL;
	char hex[2 * WB_HASH_LEN + 1];

	if (o == NULL || proof == NULL || rows == NULL ||
	    wb_base64_encode(&b64, it->bytes, it->len) != WB_OK) {
		json_decref(o);
		json_decref(proof);
		json_decref(rows);
		return NULL;
	}
	for (size_t i = 0; i < it->n_proof; i++) {
		wb_hash_to_hex(hex, &it->proof[i]);
		json_array_append_new(proof, json_string(hex));
	}
	for (size_t i = 0; i < it->n_rows; i++) {
		json_array_append_new(rows, json_pack("{s:s,s:s}", "tlc",
		                                      it->rows[i].tlc, "via",
		                                      it->rows[i].via));
	}
	json_object_set_new(o, "index", json_integer((json_int_t)it->index));
	json_object_set_new(o, "master", json_boolean(it->master));
	json_object_set_new(o, "entry", json_string(b64));
	json_object_set_new(o, "proof", proof);
	json_object_set_new(o, "rows", rows);
	free(b64);
	return o;
}

bool
fsma_bundle_write(FILE *f, const fsma_bundle *b)
{
	json_t *o = json_object(), *lots = json_array(), *items = json_array();
	bool ok = o != NULL && lots != NULL && items != NULL;

	for (size_t i = 0; ok && i < b->n_lots; i++) {
		ok = json_array_append_new(lots, json_string(b->lots[i])) == 0;
	}
	for (size_t i = 0; ok && i < b->n_items; i++) {
		json_t *x = item_json(&b->items[i]);

		ok = x != NULL && json_array_append_new(items, x) == 0;
	}
	if (ok) {
		json_object_set_new(o, "format", json_string(BUNDLE_FORMAT));
		json_object_set_new(o, "version", json_integer(1));
		json_object_set_new(o, "lot", json_string(b->lot));
		if (b->has_from) {
			json_object_set_new(o, "from", time_json(&b->from));
		}
		if (b->has_to) {
			json_object_set_new(o, "to", time_json(&b->to));
		}
		json_object_set_new(o, "checkpoint",
		                    json_string(b->checkpoint));
		json_object_set(o, "lots", lots);
		json_object_set(o, "entries", items);
		ok = json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ==
		             0 &&
		     fputc('\n', f) != EOF;
	}
	json_decref(lots);
	json_decref(items);
	json_decref(o);
	return ok && !ferror(f);
}

static char *
dup_string(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static bool
bad(char *err, size_t size, const char *what)
{
	snprintf(err, size, "%s", what);
	return false;
}

static bool
read_item(fsma_item *it, const json_t *x, size_t k, char *err, size_t size)
{
	const json_t *idx = json_object_get(x, "index"),
	             *master = json_object_get(x, "master"),
	             *entry = json_object_get(x, "entry"),
	             *proof = json_object_get(x, "proof"),
	             *rows = json_object_get(x, "rows");
	const char *b64;
	size_t blen;

	if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
	    !json_is_boolean(master) || !json_is_string(entry) ||
	    !json_is_array(proof) || !json_is_array(rows) ||
	    json_array_size(proof) > WB_MERKLE_MAX_PROOF) {
		snprintf(
		        err, size,
		        "entry %zu of the bundle lacks its index, master flag, entry bytes, proof or rows",
		        k);
		return false;
	}
	it->index = (uint64_t)json_integer_value(idx);
	it->master = json_is_true(master);
	b64 = json_string_value(entry);
	blen = strlen(b64);
	if ((it->bytes = malloc(blen / 4 * 3 + 3)) == NULL ||
	    wb_base64_decode(it->bytes, blen / 4 * 3 + 3, &it->len, b64,
	                     blen) != WB_OK) {
		snprintf(
		        err, size,
		        "the bytes of bundle entry %zu (journal index %llu) are not base64",
		        k, (unsigned long long)it->index);
		return false;
	}
	for (size_t i = 0; i < json_array_size(proof); i++) {
		const json_t *h = json_array_get(proof, i);

		if (!json_is_string(h) ||
		    wb_hash_from_hex(&it->proof[i], json_string_value(h)) !=
		            WB_OK) {
			snprintf(
			        err, size,
			        "the proof of bundle entry %zu (journal index %llu) holds a node that is not 32 bytes of hex",
			        k, (unsigned long long)it->index);
			return false;
		}
		it->n_proof++;
	}
	if (json_array_size(rows) > 0 &&
	    (it->rows = calloc(json_array_size(rows), sizeof(*it->rows))) ==
	            NULL) {
		return bad(err, size, "out of memory");
	}
	for (size_t i = 0; i < json_array_size(rows); i++) {
		const json_t *r = json_array_get(rows, i);
		fsma_attribution *a = &it->rows[it->n_rows];

		a->tlc = dup_string(json_object_get(r, "tlc"));
		a->via = dup_string(json_object_get(r, "via"));
		it->n_rows++;
		if (a->tlc == NULL || a->via == NULL) {
			snprintf(
			        err, size,
			        "a row of bundle entry %zu (journal index %llu) lacks its tlc or via",
			        k, (unsigned long long)it->index);
			return false;
		}
	}
	return true;
}

bool
fsma_bundle_read(fsma_bundle *b, FILE *f, char *err, size_t err_size)
{
	json_error_t je;
	json_t *o = json_loadf(f, 0, &je);
	const json_t *lots, *items, *v;
	bool ok = false;

	memset(b, 0, sizeof(*b));
	if (o == NULL) {
		snprintf(err, err_size, "not JSON (line %d: %s)", je.line,
		         je.text);
		return false;
	}
	v = json_object_get(o, "format");
	if (!json_is_string(v) ||
	    strcmp(json_string_value(v), BUNDLE_FORMAT) != 0 ||
	    json_integer_value(json_object_get(o, "version")) != 1) {
		bad(err, err_size,
		    "not an FSMA 204 proof bundle of version 1 (\"format\": \"" BUNDLE_FORMAT
		    "\")");
		goto out;
	}
	lots = json_object_get(o, "lots");
	items = json_object_get(o, "entries");
	b->lot = dup_string(json_object_get(o, "lot"));
	b->checkpoint = dup_string(json_object_get(o, "checkpoint"));
	if (b->lot == NULL || b->checkpoint == NULL || !json_is_array(lots) ||
	    !json_is_array(items)) {
		bad(err, err_size,
		    "the bundle lacks its lot, checkpoint, lots or entries");
		goto out;
	}
	if ((v = json_object_get(o, "from")) != NULL) {
		b->has_from = json_is_string(v) &&
		              fsma_parse_time(&b->from, json_string_value(v));
		if (!b->has_from) {
			bad(err, err_size, "the bundle's from is not a time");
			goto out;
		}
	}
	if ((v = json_object_get(o, "to")) != NULL) {
		b->has_to = json_is_string(v) &&
		            fsma_parse_time(&b->to, json_string_value(v));
		if (!b->has_to) {
			bad(err, err_size, "the bundle's to is not a time");
			goto out;
		}
	}
	b->lots = calloc(json_array_size(lots) + 1, sizeof(*b->lots));
	b->items = calloc(json_array_size(items) + 1, sizeof(*b->items));
	if (b->lots == NULL || b->items == NULL) {
		bad(err, err_size, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(lots); i++) {
		if ((b->lots[b->n_lots] =
		             dup_string(json_array_get(lots, i))) == NULL) {
			bad(err, err_size, "a lot of the bundle is not text");
			goto out;
		}
		b->n_lots++;
	}
	for (size_t i = 0; i < json_array_size(items); i++) {
		b->n_items++;
		if (!read_item(&b->items[i], json_array_get(items, i), i, err,
		               err_size)) {
			goto out;
		}
	}
	ok = true;
out:
	json_decref(o);
	return ok;
}

bool
fsma_bundle_decode(fsma_bundle *b, char *err, size_t err_size)
{
	for (size_t i = 0; i < b->n_items; i++) {
		fsma_item *it = &b->items[i];

		if (it->entry != NULL) {
			continue;
		}
		if (wb_entry_decode(&it->entry, it->bytes, it->len) != WB_OK) {
			snprintf(
			        err, err_size,
			        "entry %llu: its bytes are not a journal entry",
			        (unsigned long long)it->index);
			return false;
		}
		if (it->entry->type != WB_ENTRY_STAMP ||
		    wb_stamp_decode(&it->stamp, it->entry->body,
		                    it->entry->body_len) != WB_OK) {
			snprintf(err, err_size,
			         "entry %llu: it does not hold a stamp",
			         (unsigned long long)it->index);
			return false;
		}
		if (it->master != (it->stamp->master_data != NULL)) {
			snprintf(
			        err, err_size,
			        "entry %llu: it is %smaster data, but the bundle says it is%s",
			        (unsigned long long)it->index,
			        it->master ? "not " : "",
			        it->master ? "" : " not");
			return false;
		}
	}
	return true;
}

void
fsma_bundle_fini(fsma_bundle *b)
{
	if (b == NULL) {
		return;
	}
	for (size_t i = 0; i < b->n_items; i++) {
		fsma_item *it = &b->items[i];

		for (size_t k = 0; k < it->n_rows; k++) {
			free(it->rows[k].tlc);
			free(it->rows[k].via);
		}
		free(it->rows);
		free(it->bytes);
		wb_stamp_free(it->stamp);
		wb_entry_free(it->entry);
	}
	for (size_t i = 0; i < b->n_lots; i++) {
		free(b->lots[i]);
	}
	free(b->lots);
	free(b->items);
	free(b->lot);
	free(b->checkpoint);
	memset(b, 0, sizeof(*b));
}
