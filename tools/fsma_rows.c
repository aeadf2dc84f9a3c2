/* SPDX-License-Identifier: MIT */
/*
 * fsma_rows.c - the rows of the FSMA 204 export, derived from signed
 * entries alone: which CTE a stamp records, which lot a row is about, and
 * every column from the stamp and the master-data entries beside it.
 * Export and audit both call fsma_derive(), so a row the audit accepts is
 * exactly a row the export would write from the same entries.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fsma.h"

const char *const fsma_columns[FSMA_COLS] = {
	"cte",
	"traceability_lot_code",
	"tlc_source_location",
	"product_description",
	"quantity",
	"unit",
	"ship_from",
	"ship_to",
	"location",
	"event_date",
	"reference_document_type",
	"reference_document_number",
	"journal_index",
	"leaf_hash",
};

/* The CTEs of FSMA 204 (21 CFR 1.1310-1.1350), as the column writes them. */
static const char *const ctes[] = {
	"harvesting",      "cooling",
	"initial_packing", "first_land_based_receiving",
	"shipping",        "receiving",
	"transformation",
};

/* bizStep (CBV word) -> CTE, when no attribute says otherwise. */
static const struct {
	const char *step;
	const char *cte;
} step_ctes[] = {
	{ "commissioning", "initial_packing" },
	{ "creating_class_instance", "initial_packing" },
	{ "shipping", "shipping" },
	{ "departing", "shipping" },
	{ "receiving", "receiving" },
	{ "arriving", "receiving" },
	{ "accepting", "receiving" },
	{ "transforming", "transformation" },
	{ "harvesting", "harvesting" },
	{ "cooling", "cooling" },
	{ "first_land_based_receiving", "first_land_based_receiving" },
};

/* "Initial Packing", "initial-packing", "initialPacking" ->
 * "initial_packing"; NULL when not one of the CTEs. */
static const char *
cte_word(const char *text)
{
	char w[64];
	size_t n = 0;

	for (const char *p = text; *p != '\0' && n + 2 < sizeof(w); p++) {
		char ch = *p;

		if (ch >= 'A' && ch <= 'Z') {
			if (n > 0 && w[n - 1] != '_') {
				w[n++] = '_';
			}
			ch = (char)(ch - 'A' + 'a');
		} else if (ch == ' ' || ch == '-') {
			ch = '_';
		}
		if (ch == '_' && (n == 0 || w[n - 1] == '_')) {
			continue;
		}
		w[n++] = ch;
	}
	w[n] = '\0';
	for (size_t i = 0; i < sizeof(ctes) / sizeof(ctes[0]); i++) {
		if (strcmp(w, ctes[i]) == 0) {
			return ctes[i];
		}
	}
	return NULL;
}

/* The attribute keys that name a CTE: the waybill extension (DESIGN.md),
 * its expanded namespace, and the fsma: prefix partners often use. */
static bool
is_cte_key(const char *key)
{
	return strcmp(key, "waybill:fsmaCte") == 0 ||
	       strcmp(key, "urn:waybill:ext:fsmaCte") == 0 ||
	       strcmp(key, "fsma:cte") == 0;
}

const char *
fsma_cte_of(const wb_stamp *s)
{
	const char *step;

	if (s->error_declaration != NULL || s->kind == WB_KIND_RECALL ||
	    s->kind == WB_KIND_LIFT || s->kind == WB_KIND_MASTER_DATA) {
		return NULL;
	}
	for (size_t i = 0; i < s->n_attributes; i++) {
		const wb_attribute *a = &s->attributes[i];

		if (is_cte_key(a->key) && a->text != NULL) {
			return cte_word(a->text);
		}
	}
	if (s->kind == WB_KIND_TRANSFORMATION) {
		return "transformation";
	}
	if (s->biz_step != NULL) {
		step = wb_cbv_word(s->biz_step);
		for (size_t i = 0; i < sizeof(step_ctes) / sizeof(step_ctes[0]);
		     i++) {
			if (strcmp(step, step_ctes[i].step) == 0) {
				return step_ctes[i].cte;
			}
		}
		return NULL;
	}
	/* An ObjectEvent ADD without a bizStep commissions. */
	if (s->kind == WB_KIND_OBJECT && s->has_action &&
	    s->action == WB_ACTION_ADD) {
		return "initial_packing";
	}
	return NULL;
}

bool
fsma_key(char out[WB_KEY_MAX + 1], const char *id)
{
	wb_twin_id tid;

	if (id == NULL || wb_id_parse(&tid, id, strlen(id), NULL) != WB_OK) {
		return false;
	}
	memcpy(out, tid.key, tid.key_len + 1);
	return true;
}

const char **
fsma_named_ids(size_t *n_out, const wb_stamp *s)
{
	bool out_side = s->kind == WB_KIND_TRANSFORMATION;
	size_t max = out_side ? s->n_output_epcs + s->n_output_quantities
	                      : 1 + s->n_epcs + s->n_quantities;
	const char **out = malloc((max + 1) * sizeof(*out));
	size_t n = 0;

	*n_out = 0;
	if (out == NULL) {
		return NULL;
	}
	if (out_side) {
		for (size_t i = 0; i < s->n_output_epcs; i++) {
			out[n++] = s->output_epcs[i];
		}
		for (size_t i = 0; i < s->n_output_quantities; i++) {
			out[n++] = s->output_quantities[i].epc_class;
		}
	} else {
		if (s->parent_id != NULL) {
			out[n++] = s->parent_id;
		}
		for (size_t i = 0; i < s->n_epcs; i++) {
			out[n++] = s->epcs[i];
		}
		for (size_t i = 0; i < s->n_quantities; i++) {
			out[n++] = s->quantities[i].epc_class;
		}
	}
	*n_out = n;
	return out;
}

/* Whether id (as written in the stamp) is the lot with key tlc_key. */
static bool
same_key(const char *id, const char *tlc_key)
{
	char k[WB_KEY_MAX + 1];

	return fsma_key(k, id) && strcmp(k, tlc_key) == 0;
}

bool
fsma_creates(const wb_stamp *s, const char *tlc_key)
{
	const char **ids;
	bool found = false;
	size_t n;

	if (s->kind != WB_KIND_TRANSFORMATION &&
	    !(s->kind == WB_KIND_OBJECT && s->has_action &&
	      s->action == WB_ACTION_ADD)) {
		return false;
	}
	if ((ids = fsma_named_ids(&n, s)) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n && !found; i++) {
		found = same_key(ids[i], tlc_key);
	}
	free(ids);
	return found;
}

const char *
fsma_place(const wb_stamp *s)
{
	if (s->biz_location != NULL && s->biz_location->id != NULL) {
		return s->biz_location->id;
	}
	if (s->read_point != NULL && s->read_point->id != NULL) {
		return s->read_point->id;
	}
	return NULL;
}

/* The last word of a CBV type: "urn:epcglobal:cbv:btt:bol" and
 * "https://ref.gs1.org/cbv/BTT-bol" are both "bol". */
static const char *
type_word(const char *type)
{
	const char *w = type, *p;

	if (type == NULL) {
		return "";
	}
	for (p = type; *p != '\0'; p++) {
		if (*p == ':' || *p == '/' || *p == '#') {
			w = p + 1;
		}
	}
	if (strncmp(type, "http", 4) == 0 && (p = strrchr(w, '-')) != NULL) {
		w = p + 1;
	}
	return w;
}

/* The value of the first source or destination of CBV type `word`. */
static const char *
typed(const wb_typed_value *v, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].value != NULL &&
		    strcmp(type_word(v[i].type), word) == 0) {
			return v[i].value;
		}
	}
	return NULL;
}

const char *
fsma_ship_end(const wb_stamp *s, const char *cte, bool destination)
{
	const wb_typed_value *v = destination ? s->destinations : s->sources;
	size_t n = destination ? s->n_destinations : s->n_sources;
	const char *place = fsma_place(s), *end;
	/* The CTE at whose own place this end is: a shipping leaves from
	 * where it happens, a receiving arrives where it happens. */
	bool here = strcmp(cte, destination ? "receiving" : "shipping") == 0;

	if ((end = typed(v, n, "location")) != NULL) {
		return end;
	}
	/* A receiving's ship-to is the place it was received at, not the
	 * party that owns the goods after it (receive --owner). */
	if (here && place != NULL) {
		return place;
	}
	if ((end = typed(v, n, "possessing_party")) != NULL ||
	    (end = typed(v, n, "owning_party")) != NULL) {
		return end;
	}
	return NULL;
}

/*
 * Master data.
 */

/* The latest master-data entry of the bundle describing element key. */
static const wb_master_data *
master_of(const fsma_bundle *b, const char *key)
{
	const wb_master_data *best = NULL;
	uint64_t best_index = 0;
	char k[WB_KEY_MAX + 1];

	for (size_t i = 0; i < b->n_items; i++) {
		const fsma_item *it = &b->items[i];
		const wb_master_data *md;

		if (!it->master || it->stamp == NULL ||
		    (md = it->stamp->master_data) == NULL) {
			continue;
		}
		if (fsma_key(k, md->element_id) && strcmp(k, key) == 0 &&
		    (best == NULL || it->index > best_index)) {
			best = md;
			best_index = it->index;
		}
	}
	return best;
}

/* A master-data attribute by its last word: "cbvmda:name",
 * "urn:epcglobal:cbv:mda#name" and "name" are all "name". */
static const char *
attr(const wb_master_data *md, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i < md->n_attributes; i++) {
		const wb_attribute *a = &md->attributes[i];
		size_t kl = strlen(a->key);

		if (a->text != NULL && kl >= wl &&
		    strcmp(a->key + kl - wl, word) == 0 &&
		    (kl == wl || strchr(":#/", a->key[kl - wl - 1]) != NULL)) {
			return a->text;
		}
	}
	return NULL;
}

/* A growing string; NULL after an allocation failure. */
typedef struct {
	char *s;
	size_t len, cap;
	bool failed;
} strbuf;

static void sb_add(strbuf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void
sb_add(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->len + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);

		if (s == NULL) {
			b->failed = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Takes the text (never NULL unless allocation failed). */
static char *
sb_take(strbuf *b)
{
	if (b->failed) {
		free(b->s);
		return NULL;
	}
	if (b->s == NULL) {
		return strdup("");
	}
	return b->s;
}

/* A location or party as the export describes it: "Name, street, city,
 * region, postal code, country (ID)" from its master data, or the bare ID
 * when none describes it; "" for none. */
static char *
describe(const fsma_bundle *b, const char *id)
{
	static const char *const address[] = {
		"streetAddressOne", "streetAddressTwo", "city", "state",
		"postalCode",       "countryCode"
	};
	const wb_master_data *md;
	char key[WB_KEY_MAX + 1];
	strbuf sb = { 0 };
	const char *name, *v;

	if (id == NULL) {
		return strdup("");
	}
	if (!fsma_key(key, id) || (md = master_of(b, key)) == NULL ||
	    (name = attr(md, "name")) == NULL) {
		return strdup(id);
	}
	sb_add(&sb, "%s", name);
	for (size_t i = 0; i < sizeof(address) / sizeof(address[0]); i++) {
		if ((v = attr(md, address[i])) != NULL && v[0] != '\0') {
			sb_add(&sb, ", %s", v);
		}
	}
	sb_add(&sb, " (%s)", id);
	return sb_take(&sb);
}

/* The product a lot is of: the GTIN "(01)..." of an LGTIN's key
 * "(01)...(10)LOT"; any other lot is its own product. */
bool
fsma_product_key(char out[WB_KEY_MAX + 1], const char *tlc_key)
{
	if (strncmp(tlc_key, "(01)", 4) == 0 && strlen(tlc_key) > 18 &&
	    strncmp(tlc_key + 18, "(10)", 4) == 0) {
		memcpy(out, tlc_key, 18);
		out[18] = '\0';
		return true;
	}
	snprintf(out, WB_KEY_MAX + 1, "%s", tlc_key);
	return false;
}

static char *
product_of(const fsma_bundle *b, const char *tlc_key)
{
	char key[WB_KEY_MAX + 1];
	const wb_master_data *md;
	const char *name, *desc;
	strbuf sb = { 0 };

	fsma_product_key(key, tlc_key);
	if ((md = master_of(b, key)) == NULL &&
	    (md = master_of(b, tlc_key)) == NULL) {
		return strdup("");
	}
	name = attr(md, "name");
	desc = attr(md, "descriptionShort");
	sb_add(&sb, "%s", name != NULL ? name : "");
	if (desc != NULL && desc[0] != '\0') {
		sb_add(&sb, "%s%s", name != NULL ? ", " : "", desc);
	}
	return sb_take(&sb);
}

/* The place where lot tlc_key got its code: the place of the lowest-index
 * stamp of the bundle that creates it. */
static char *
source_of(const fsma_bundle *b, const char *tlc_key)
{
	const fsma_item *best = NULL;

	for (size_t i = 0; i < b->n_items; i++) {
		const fsma_item *it = &b->items[i];

		if (!it->master && it->stamp != NULL &&
		    fsma_creates(it->stamp, tlc_key) &&
		    (best == NULL || it->index < best->index)) {
			best = it;
		}
	}
	return describe(b, best != NULL ? fsma_place(best->stamp) : NULL);
}

static void
quantity_of(const wb_stamp *s, const char *tlc_key, char **qty, char **unit)
{
	const wb_quantity *q = s->kind == WB_KIND_TRANSFORMATION
	                               ? s->output_quantities
	                               : s->quantities;
	size_t n = s->kind == WB_KIND_TRANSFORMATION ? s->n_output_quantities
	                                             : s->n_quantities;
	char buf[64];

	for (size_t i = 0; i < n; i++) {
		if (same_key(q[i].epc_class, tlc_key)) {
			if (q[i].has_quantity) {
				snprintf(buf, sizeof(buf), "%.15g",
				         q[i].quantity);
				*qty = strdup(buf);
			} else {
				*qty = strdup("");
			}
			*unit = strdup(q[i].uom != NULL ? q[i].uom : "");
			return;
		}
	}
	*qty = strdup("");
	*unit = strdup("");
}

/* The reference documents: types and values, each joined with ";". */
static void
references(const wb_stamp *s, char **types, char **numbers)
{
	strbuf t = { 0 }, v = { 0 };

	for (size_t i = 0; i < s->n_biz_transactions; i++) {
		const wb_typed_value *x = &s->biz_transactions[i];

		sb_add(&t, "%s%s", i > 0 ? ";" : "", type_word(x->type));
		sb_add(&v, "%s%s", i > 0 ? ";" : "",
		       x->value != NULL ? x->value : "");
	}
	*types = sb_take(&t);
	*numbers = sb_take(&v);
}

static bool
is_lot(const fsma_bundle *b, const char *tlc)
{
	for (size_t i = 0; i < b->n_lots; i++) {
		if (strcmp(b->lots[i], tlc) == 0) {
			return true;
		}
	}
	return false;
}

static bool fail(char *err, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static bool
fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return false;
}

static bool
row_make(fsma_row *r, const fsma_bundle *b, const fsma_item *it,
         const char *cte, const char *tlc, const char *tlc_key)
{
	const wb_stamp *s = it->stamp;
	char buf[96];
	wb_hash leaf;

	memset(r, 0, sizeof(*r));
	r->event_time = s->event_time;
	r->index = it->index;
	r->cell[FSMA_CTE] = strdup(cte);
	r->cell[FSMA_TLC] = strdup(tlc);
	r->cell[FSMA_TLC_SOURCE] = source_of(b, tlc_key);
	r->cell[FSMA_PRODUCT] = product_of(b, tlc_key);
	quantity_of(s, tlc_key, &r->cell[FSMA_QUANTITY], &r->cell[FSMA_UNIT]);
	r->cell[FSMA_SHIP_FROM] = describe(b, fsma_ship_end(s, cte, false));
	r->cell[FSMA_SHIP_TO] = describe(b, fsma_ship_end(s, cte, true));
	r->cell[FSMA_LOCATION] = describe(b, fsma_place(s));
	cli_format_time(buf, sizeof(buf), s->event_time.seconds,
	                s->event_time.nanos, s->event_time.has_nanos);
	r->cell[FSMA_EVENT_DATE] = strdup(buf);
	references(s, &r->cell[FSMA_REF_TYPE], &r->cell[FSMA_REF_NUMBER]);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)it->index);
	r->cell[FSMA_JOURNAL_INDEX] = strdup(buf);
	wb_hash_leaf(&leaf, it->bytes, it->len);
	wb_hash_to_hex(buf, &leaf);
	r->cell[FSMA_LEAF_HASH] = strdup(buf);
	for (size_t c = 0; c < FSMA_COLS; c++) {
		if (r->cell[c] == NULL) {
			return false;
		}
	}
	return true;
}

/* Checks one attribution of an entry against its stamp. */
static bool
check_attribution(const fsma_bundle *b, const fsma_item *it,
                  const fsma_attribution *a, char *tlc_key, char *err,
                  size_t size)
{
	char via_key[WB_KEY_MAX + 1];
	const char **ids;
	bool named = false;
	size_t n;

	if (!is_lot(b, a->tlc) || !fsma_key(tlc_key, a->tlc)) {
		return fail(
		        err, size,
		        "entry %llu: a row about %s, which is not a lot of the lineage",
		        (unsigned long long)it->index, a->tlc);
	}
	if (!fsma_key(via_key, a->via)) {
		return fail(err, size, "entry %llu: %s is not an ID",
		            (unsigned long long)it->index, a->via);
	}
	if ((ids = fsma_named_ids(&n, it->stamp)) == NULL) {
		return fail(err, size, "out of memory");
	}
	for (size_t i = 0; i < n && !named; i++) {
		named = same_key(ids[i], via_key);
	}
	free(ids);
	if (named) {
		return true;
	}
	return fail(
	        err, size,
	        "entry %llu: its stamp does not name %s, which its row is said to be about",
	        (unsigned long long)it->index, a->via);
}

static int
row_cmp(const void *x, const void *y)
{
	const fsma_row *a = x, *b = y;
	int c = fsma_time_cmp(&a->event_time, &b->event_time);

	if (c != 0) {
		return c;
	}
	if (a->index != b->index) {
		return a->index < b->index ? -1 : 1;
	}
	return strcmp(a->cell[FSMA_TLC], b->cell[FSMA_TLC]);
}

bool
fsma_derive(fsma_row **rows_out, size_t *n_out, const fsma_bundle *b, char *err,
            size_t err_size)
{
	fsma_row *rows = NULL;
	size_t n = 0, cap = 0;
	char tlc_key[WB_KEY_MAX + 1];

	*rows_out = NULL;
	*n_out = 0;
	for (size_t i = 0; i < b->n_items; i++) {
		const fsma_item *it = &b->items[i];
		const char *cte;

		if (it->n_rows == 0) {
			continue;
		}
		if (it->master || it->stamp == NULL) {
			fail(err, err_size,
			     "entry %llu: rows are said to come from an entry that is not an event stamp",
			     (unsigned long long)it->index);
			goto fail;
		}
		if ((cte = fsma_cte_of(it->stamp)) == NULL) {
			fail(err, err_size,
			     "entry %llu: its stamp records no critical tracking event",
			     (unsigned long long)it->index);
			goto fail;
		}
		if ((b->has_from &&
		     fsma_time_cmp(&it->stamp->event_time, &b->from) < 0) ||
		    (b->has_to &&
		     fsma_time_cmp(&it->stamp->event_time, &b->to) > 0)) {
			fail(err, err_size,
			     "entry %llu: its event time is outside the export's window",
			     (unsigned long long)it->index);
			goto fail;
		}
		for (size_t k = 0; k < it->n_rows; k++) {
			if (!check_attribution(b, it, &it->rows[k], tlc_key,
			                       err, err_size)) {
				goto fail;
			}
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 32;
				fsma_row *v = realloc(rows, nc * sizeof(*v));

				if (v == NULL) {
					fail(err, err_size, "out of memory");
					goto fail;
				}
				rows = v;
				cap = nc;
			}
			if (!row_make(&rows[n++], b, it, cte, it->rows[k].tlc,
			              tlc_key)) {
				fail(err, err_size, "out of memory");
				goto fail;
			}
		}
	}
	if (n > 1) {
		qsort(rows, n, sizeof(*rows), row_cmp);
	}
	*rows_out = rows;
	*n_out = n;
	return true;
fail:
	fsma_rows_free(rows, n);
	return false;
}

void
fsma_rows_free(fsma_row *rows, size_t n)
{
	for (size_t i = 0; rows != NULL && i < n; i++) {
		for (size_t c = 0; c < FSMA_COLS; c++) {
			free(rows[i].cell[c]);
		}
	}
	free(rows);
}

int
fsma_time_cmp(const wb_time *a, const wb_time *b)
{
	if (a->seconds != b->seconds) {
		return a->seconds < b->seconds ? -1 : 1;
	}
	if (a->nanos != b->nanos) {
		return a->nanos < b->nanos ? -1 : 1;
	}
	return 0;
}
