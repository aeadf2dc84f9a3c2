/* SPDX-License-Identifier: MIT */
/*
 * epcis_read.c - one EPCIS 2.0 event in JSON as a stamp.
 *
 * docs/epcis.md has the mapping field by field. The reader is strict where
 * EPCIS is (types, required fields, the CBV words of bizStep and
 * disposition, no unknown un-namespaced fields) and keeps everything else
 * it cannot map to a stamp field, such as extension fields, ILMD and the
 * event's @context, as JSON text that writes back to the same JSON.
 *
 * Every string and array of the stamp lives in one arena, like a decoded
 * stamp, so wb_stamp_free() releases it. The input is only read; it is
 * never trusted to be the right shape.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcis_impl.h"
#include "internal.h"
#include "waybill/epcis.h"
#include "waybill/epcis_export.h"

/* Howard Hinnant's days_from_civil: the day number, counted from
 * 1970-01-01, of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false; /* also stops at the terminating NUL */
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
		                    31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

bool
wb_epcis_tz_parse(int *minutes_out, const char *tz)
{
	int h, m;

	/* The EPCIS schema's pattern:
	 * ^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$ */
	if ((tz[0] != '+' && tz[0] != '-') || !digits(tz + 1, 2, &h) ||
	    tz[3] != ':' || !digits(tz + 4, 2, &m) || tz[6] != '\0' || m > 59 ||
	    h > 14 || (h == 14 && m != 0)) {
		return false;
	}
	*minutes_out = (tz[0] == '-' ? -1 : 1) * (h * 60 + m);
	return true;
}

bool
wb_epcis_time_parse(wb_time *out, const char *s)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 1;
	uint32_t nanos = 0;
	const char *p;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec)) {
		return false;
	}
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		if (*++p < '0' || *p > '9') {
			return false;
		}
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n < 9) {
				nanos = nanos * 10 + (uint32_t)(*p - '0');
				n++;
			}
		}
		for (; n < 9; n++) {
			nanos *= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) &&
	           p[3] == ':' && digits(p + 4, 2, &om) && oh <= 23 &&
	           om <= 59) {
		sign = *p == '-' ? -1 : 1;
		p += 6;
	} else {
		return false;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) {
		return false;
	}
	out->seconds = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	               h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	out->nanos = nanos;
	out->has_nanos = nanos != 0;
	return true;
}

/*
 * The reader: an arena for the stamp, the JSON path of the value being
 * read (for messages), and the first error.
 */
typedef struct {
	wb_arena *a;
	wb_problem *p;
	const json_t *doc_ctx;
	const json_t *ev_ctx;
	wb_err rc;
	size_t plen;
	char path[192];
} rd;

/* Appends a path segment; returns the mark to restore with pop(). */
static size_t push(rd *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static size_t
push(rd *r, const char *fmt, ...)
{
	size_t mark = r->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->path + r->plen, sizeof(r->path) - r->plen, fmt, ap);
	va_end(ap);
	if (n > 0) {
		r->plen += (size_t)n;
		if (r->plen >= sizeof(r->path)) {
			r->plen = sizeof(r->path) - 1; /* truncated */
		}
	}
	return mark;
}

static void
pop(rd *r, size_t mark)
{
	r->plen = mark;
	r->path[mark] = '\0';
}

static bool fail(rd *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Records "<path>: <problem>" and returns false. */
static bool
fail(rd *r, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (r->rc != WB_OK) {
		return false;
	}
	r->rc = WB_EPROTO;
	if (r->p != NULL) {
		r->p->reason = WB_REJECT_MALFORMED;
		n = (size_t)snprintf(r->p->msg, sizeof(r->p->msg),
		                     "%s: ", r->path);
		if (n < sizeof(r->p->msg)) {
			va_start(ap, fmt);
			vsnprintf(r->p->msg + n, sizeof(r->p->msg) - n, fmt,
			          ap);
			va_end(ap);
		}
	}
	return false;
}

static bool
oom(rd *r)
{
	if (r->rc == WB_OK) {
		r->rc = WB_ENOMEM;
	}
	return false;
}

static void *
alloc(rd *r, size_t n, size_t size)
{
	void *v;

	if (n == 0) {
		return NULL;
	}
	if (n > SIZE_MAX / size ||
	    (v = wb_arena_alloc(r->a, n * size)) == NULL) {
		oom(r);
		return NULL;
	}
	return v;
}

static const char *
type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/*
 * JSON text of a value kept as it is (extension fields, ILMD, @context).
 * Fifteen significant digits print 2.49 as 2.49; where that loses bits,
 * seventeen keep the exact double.
 */
static bool
dump(rd *r, const json_t *v, const char **out)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	char *text = json_dumps(v, flags | JSON_REAL_PRECISION(15));
	json_t *back;
	char *copy;

	if (text != NULL) {
		back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (back == NULL || !json_equal(back, v)) {
			free(text);
			text = json_dumps(v, flags);
		}
		json_decref(back);
	}
	if (text == NULL) {
		return oom(r);
	}
	copy = wb_arena_strndup(r->a, text, strlen(text));
	free(text);
	if (copy == NULL) {
		return oom(r);
	}
	*out = copy;
	return true;
}

static bool
take_str(rd *r, const json_t *v, const char **out)
{
	const char *s;
	size_t n;
	char *c;

	if (!json_is_string(v)) {
		return fail(r, "%s, not a string", type_of(v));
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (memchr(s, '\0', n) != NULL) {
		return fail(r, "the string holds a NUL character");
	}
	if ((c = wb_arena_strndup(r->a, s, n)) == NULL) {
		return oom(r);
	}
	*out = c;
	return true;
}

static bool
take_num(rd *r, const json_t *v, double *out)
{
	if (!json_is_number(v)) {
		return fail(r, "%s, not a number", type_of(v));
	}
	*out = json_number_value(v);
	return true;
}

static bool
take_time(rd *r, const json_t *v, wb_time *out)
{
	if (!json_is_string(v)) {
		return fail(r, "%s, not a date-time string", type_of(v));
	}
	if (!wb_epcis_time_parse(out, json_string_value(v))) {
		return fail(
		        r,
		        "\"%.60s\" is not an RFC 3339 date-time with offset (e.g. 2024-05-01T09:30:00.000+02:00)",
		        json_string_value(v));
	}
	return true;
}

/* A missing required member: the path names it. */
static bool
missing(rd *r, const char *key, const char *why)
{
	size_t m = push(r, ".%s", key);

	fail(r, "missing (%s)", why);
	pop(r, m);
	return false;
}

static bool
field_str(rd *r, const json_t *obj, const char *key, const char **out,
          const char *required)
{
	const json_t *v = json_object_get(obj, key);
	size_t m;
	bool ok;

	if (v == NULL) {
		return required == NULL || missing(r, key, required);
	}
	m = push(r, ".%s", key);
	ok = take_str(r, v, out);
	pop(r, m);
	return ok;
}

static bool
take_strs(rd *r, const json_t *v, const char ***out, size_t *n_out)
{
	const char **arr;
	size_t n;

	if (!json_is_array(v)) {
		return fail(r, "%s, not an array of strings", type_of(v));
	}
	n = json_array_size(v);
	if (n > 0 && (arr = alloc(r, n, sizeof(*arr))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = push(r, "[%zu]", i);
		bool ok = take_str(r, json_array_get(v, i), &arr[i]);

		pop(r, m);
		if (!ok) {
			return false;
		}
	}
	*out = n > 0 ? arr : NULL;
	*n_out = n;
	return true;
}

static bool
field_strs(rd *r, const json_t *obj, const char *key, const char ***out,
           size_t *n_out)
{
	const json_t *v = json_object_get(obj, key);
	size_t m;
	bool ok;

	if (v == NULL) {
		return true;
	}
	m = push(r, ".%s", key);
	ok = take_strs(r, v, out, n_out);
	pop(r, m);
	return ok;
}

static bool
field_time(rd *r, const json_t *obj, const char *key, wb_time *out,
           const char *required)
{
	const json_t *v = json_object_get(obj, key);
	size_t m;
	bool ok;

	if (v == NULL) {
		return required == NULL || missing(r, key, required);
	}
	m = push(r, ".%s", key);
	ok = take_time(r, v, out);
	pop(r, m);
	return ok;
}

/*
 * Member names: plain EPCIS names, or extension fields "prefix:name" whose
 * prefix is declared in a @context (the event's or the document's) or by
 * the EPCIS context itself, or absolute IRIs.
 */
typedef enum {
	KEY_PLAIN,
	KEY_EXTENSION,
	KEY_ATTRIBUTE, /* waybill: and fsma: keys at the top of an event */
	KEY_ATTRIBUTE_ALIAS, /* another prefix bound to WB_EPCIS_NS */
} keyclass;

/* Prefixes the EPCIS 2.0 context declares, and waybill's own. */
static const char *const builtin_prefixes[] = {
	"epcis", "cbv",     "cbvmda",           "gs1",  "rdfs", "owl",
	"xsd",   "dcterms", WB_EPCIS_NS_PREFIX, "fsma",
};

#define FSMA_NS "urn:waybill:fsma:"

/* What a prefix is bound to in one @context value, or NULL. Later
 * definitions override earlier ones, as in JSON-LD. */
static const json_t *
ctx_lookup(const json_t *ctx, const char *prefix, size_t len)
{
	const json_t *found = NULL, *v;

	if (json_is_object(ctx)) {
		return json_object_getn(ctx, prefix, len);
	}
	for (size_t i = 0; json_is_array(ctx) && i < json_array_size(ctx);
	     i++) {
		const json_t *el = json_array_get(ctx, i);

		if (json_is_object(el) &&
		    (v = json_object_getn(el, prefix, len)) != NULL) {
			found = v;
		}
	}
	return found;
}

static const json_t *
binding(const rd *r, const char *prefix, size_t len)
{
	const json_t *v = ctx_lookup(r->ev_ctx, prefix, len);

	return v != NULL ? v : ctx_lookup(r->doc_ctx, prefix, len);
}

static const char *
binding_iri(const json_t *b)
{
	if (json_is_object(b)) {
		b = json_object_get(b, "@id");
	}
	return json_is_string(b) ? json_string_value(b) : NULL;
}

/* A waybill attribute prefix, unless a @context rebinds it elsewhere. */
static bool
is_attribute_prefix(const rd *r, const char *key, size_t len)
{
	static const struct {
		const char *prefix;
		const char *iri;
	} attr[] = {
		{ WB_EPCIS_NS_PREFIX, WB_EPCIS_NS },
		{ "fsma", FSMA_NS },
	};

	for (size_t i = 0; i < sizeof(attr) / sizeof(attr[0]); i++) {
		if (strlen(attr[i].prefix) == len &&
		    memcmp(attr[i].prefix, key, len) == 0) {
			const json_t *b = binding(r, key, len);
			const char *iri = binding_iri(b);

			return b == NULL ||
			       (iri != NULL && strcmp(iri, attr[i].iri) == 0);
		}
	}
	return false;
}

/* The fields `waybill epcis export` adds to each event (its index, signer
 * key and leaf hash in the exporting ledger): dropped on input, so that an
 * exported document imports as the events it holds. */
static bool
is_ledger_fact(const char *key)
{
	return strcmp(key, WB_EPCIS_KEY_INDEX) == 0 ||
	       strcmp(key, WB_EPCIS_KEY_SIGNER_KEY) == 0 ||
	       strcmp(key, WB_EPCIS_KEY_LEAF_HASH) == 0;
}

static bool
classify(rd *r, const char *key, bool top, keyclass *out)
{
	const char *colon = strchr(key, ':');
	const json_t *b;
	size_t len;

	if (colon == NULL || colon == key) {
		*out = KEY_PLAIN;
		return true;
	}
	len = (size_t)(colon - key);
	*out = KEY_EXTENSION;
	if (top && (is_attribute_prefix(r, key, len) ||
	            strncmp(key, WB_EPCIS_NS, strlen(WB_EPCIS_NS)) == 0)) {
		*out = KEY_ATTRIBUTE;
		return true;
	}
	if (top) {
		const char *iri = binding_iri(binding(r, key, len));

		if (iri != NULL && strcmp(iri, WB_EPCIS_NS) == 0) {
			*out = KEY_ATTRIBUTE_ALIAS;
			return true;
		}
	}
	/* Absolute IRIs: urn:..., scheme://... */
	if ((len == 3 && memcmp(key, "urn", 3) == 0) ||
	    (colon[1] == '/' && colon[2] == '/')) {
		return true;
	}
	for (size_t i = 0;
	     i < sizeof(builtin_prefixes) / sizeof(builtin_prefixes[0]); i++) {
		if (strlen(builtin_prefixes[i]) == len &&
		    memcmp(builtin_prefixes[i], key, len) == 0) {
			return true;
		}
	}
	if ((b = binding(r, key, len)) != NULL && !json_is_null(b)) {
		return true;
	}
	return fail(r,
	            "the namespace prefix \"%.*s\" is not declared in @context",
	            (int)(len > 40 ? 40 : len), key);
}

static bool
in_list(const char *key, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(key, names[i]) == 0) {
			return true;
		}
	}
	return false;
}

static bool
in_fields(const char *key, const wb_epcis_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(key, f[i].name) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * Checks the members of an object other than the top of an event: names
 * in `names` or `fields` are the caller's to read; namespaced ones are
 * extension fields, returned as one JSON object's text in ext_out (NULL
 * when there are none); anything else is refused. A NULL ext_out means the
 * object has no extension point.
 */
static bool
members(rd *r, const json_t *obj, const char *what, const char *const *names,
        size_t n_names, const wb_epcis_field *fields, size_t n_fields,
        const char **ext_out)
{
	json_t *ext = NULL;
	const char *key;
	json_t *v;
	bool ok = true;

	json_object_foreach((json_t *)obj, key, v)
	{
		keyclass cls;
		size_t m;

		if (in_list(key, names, n_names) ||
		    in_fields(key, fields, n_fields)) {
			continue;
		}
		m = push(r, ".%s", key);
		if (!classify(r, key, false, &cls)) {
			ok = false;
		} else if (cls == KEY_PLAIN || ext_out == NULL) {
			ok = fail(
			        r, "unknown field of %s%s", what,
			        ext_out == NULL
			                ? ""
			                : " (extension fields need a namespace prefix declared in @context)");
		} else if ((ext == NULL && (ext = json_object()) == NULL) ||
		           json_object_set(ext, key, v) != 0) {
			ok = oom(r);
		}
		pop(r, m);
		if (!ok) {
			break;
		}
	}
	if (ok && ext_out != NULL) {
		*ext_out = NULL;
		ok = ext == NULL || dump(r, ext, ext_out);
	}
	json_decref(ext);
	return ok;
}

/* Checks that v is an object, naming what it should be. */
static bool
is_object(rd *r, const json_t *v, const char *what)
{
	return json_is_object(v) ||
	       fail(r, "%s, not %s (a JSON object)", type_of(v), what);
}

/* Calls one(r, element, arr + i) for every element of the array at
 * obj.key, after allocating arr; absent: nothing. out_ptr is the address
 * of the stamp's typed array pointer (const wb_quantity ** and so on),
 * written with memcpy so that no pointer type is punned. */
typedef bool (*element_fn)(rd *r, const json_t *v, void *out);

static bool
field_list(rd *r, const json_t *obj, const char *key, size_t size,
           element_fn one, void *out_ptr, size_t *n_out)
{
	const json_t *v = json_object_get(obj, key);
	size_t m, n;
	char *arr = NULL;
	bool ok = true;

	if (v == NULL) {
		return true;
	}
	m = push(r, ".%s", key);
	if (!json_is_array(v)) {
		ok = fail(r, "%s, not an array", type_of(v));
	} else if ((n = json_array_size(v)) > 0 &&
	           (arr = alloc(r, n, size)) == NULL) {
		ok = false;
	} else {
		for (size_t i = 0; ok && i < n; i++) {
			size_t mi = push(r, "[%zu]", i);

			ok = one(r, json_array_get(v, i), arr + i * size);
			pop(r, mi);
		}
		void *head = arr;

		memcpy(out_ptr, &head, sizeof(head));
		*n_out = n;
	}
	pop(r, m);
	return ok;
}

/*
 * The EPCIS structures.
 */

static bool
quantity(rd *r, const json_t *v, void *out)
{
	static const char *const names[] = { "epcClass", "quantity", "uom" };
	wb_quantity *q = out;
	const json_t *n;

	if (!is_object(r, v, "a quantity element") ||
	    !members(r, v, "a quantity element", names, 3, NULL, 0, NULL) ||
	    !field_str(r, v, "epcClass", &q->epc_class,
	               "a quantity element needs its epcClass") ||
	    !field_str(r, v, "uom", &q->uom, NULL)) {
		return false;
	}
	if ((n = json_object_get(v, "quantity")) != NULL) {
		size_t m = push(r, ".quantity");
		bool ok = take_num(r, n, &q->quantity);

		pop(r, m);
		q->has_quantity = true;
		return ok;
	}
	return true;
}

static bool
field_quantities(rd *r, const json_t *obj, const char *key,
                 const wb_quantity **out, size_t *n_out)
{
	return field_list(r, obj, key, sizeof(wb_quantity), quantity, out,
	                  n_out);
}

static bool
field_location(rd *r, const json_t *obj, const char *key,
               const wb_location **out)
{
	static const char *const names[] = { "id" };
	const json_t *v = json_object_get(obj, key);
	wb_location *l;
	size_t m;
	bool ok;

	if (v == NULL) {
		return true;
	}
	if ((l = alloc(r, 1, sizeof(*l))) == NULL) {
		return false;
	}
	m = push(r, ".%s", key);
	ok = is_object(r, v, "a location") &&
	     members(r, v, "a location", names, 1, NULL, 0,
	             &l->extensions_json) &&
	     field_str(r, v, "id", &l->id, "a location needs its id");
	pop(r, m);
	*out = l;
	return ok;
}

static const char *const cbv_bizsteps[] = {
	"accepting",
	"arriving",
	"assembling",
	"collecting",
	"commissioning",
	"consigning",
	"creating_class_instance",
	"cycle_counting",
	"decommissioning",
	"departing",
	"destroying",
	"disassembling",
	"dispensing",
	"encoding",
	"entering_exiting",
	"holding",
	"inspecting",
	"installing",
	"killing",
	"loading",
	"other",
	"packing",
	"picking",
	"receiving",
	"removing",
	"repackaging",
	"repairing",
	"replacing",
	"reserving",
	"retail_selling",
	"sampling",
	"sensor_reporting",
	"shipping",
	"staging_outbound",
	"stock_taking",
	"stocking",
	"storing",
	"transporting",
	"unloading",
	"unpacking",
	"void_shipping",
};

static const char *const cbv_dispositions[] = {
	"active",
	"available",
	"completeness_verified",
	"completeness_inferred",
	"conformant",
	"container_closed",
	"container_open",
	"damaged",
	"destroyed",
	"dispensed",
	"disposed",
	"encoded",
	"expired",
	"in_progress",
	"in_transit",
	"inactive",
	"mismatch_instance",
	"mismatch_class",
	"mismatch_quantity",
	"needs_replacement",
	"no_pedigree_match",
	"non_conformant",
	"non_sellable_other",
	"partially_dispensed",
	"recalled",
	"reserved",
	"retail_sold",
	"returned",
	"sellable_accessible",
	"sellable_not_accessible",
	"stolen",
	"unavailable",
	"unknown",
};

/* A bare word or a CBV URN/URI must name a CBV term; other URIs are the
 * user's own vocabulary and pass as they are. */
static bool
cbv_check(rd *r, const char *value, const char *const *words, size_t n,
          const char *what)
{
	const char *word = wb_cbv_word(value);

	if ((word != value || strchr(value, ':') == NULL) &&
	    !in_list(word, words, n)) {
		return fail(
		        r,
		        "\"%.60s\" is not a CBV %s (use a CBV word such as \"%s\", or a URI of your own vocabulary)",
		        value, what, words[0]);
	}
	return true;
}

#define N_BIZSTEPS     (sizeof(cbv_bizsteps) / sizeof(cbv_bizsteps[0]))
#define N_DISPOSITIONS (sizeof(cbv_dispositions) / sizeof(cbv_dispositions[0]))

static bool
field_cbv(rd *r, const json_t *obj, const char *key, const char **out,
          const char *const *words, size_t n, const char *what)
{
	size_t m;
	bool ok;

	if (!field_str(r, obj, key, out, NULL)) {
		return false;
	}
	if (*out == NULL) {
		return true;
	}
	m = push(r, ".%s", key);
	ok = cbv_check(r, *out, words, n, what);
	pop(r, m);
	return ok;
}

static bool
dispositions(rd *r, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t m = push(r, "[%zu]", i);
		bool ok = cbv_check(r, v[i], cbv_dispositions, N_DISPOSITIONS,
		                    "disposition");

		pop(r, m);
		if (!ok) {
			return false;
		}
	}
	return true;
}

static bool
field_persistent(rd *r, const json_t *obj,
                 const wb_persistent_disposition **out)
{
	static const char *const names[] = { "set", "unset" };
	const json_t *v = json_object_get(obj, "persistentDisposition");
	wb_persistent_disposition *pd;
	size_t m, ms;
	bool ok;

	if (v == NULL) {
		return true;
	}
	if ((pd = alloc(r, 1, sizeof(*pd))) == NULL) {
		return false;
	}
	m = push(r, ".persistentDisposition");
	ok = is_object(r, v, "a persistent disposition") &&
	     members(r, v, "persistentDisposition", names, 2, NULL, 0, NULL) &&
	     field_strs(r, v, "set", &pd->set, &pd->n_set) &&
	     field_strs(r, v, "unset", &pd->unset, &pd->n_unset);
	if (ok) {
		ms = push(r, ".set");
		ok = dispositions(r, pd->set, pd->n_set);
		pop(r, ms);
	}
	if (ok) {
		ms = push(r, ".unset");
		ok = dispositions(r, pd->unset, pd->n_unset);
		pop(r, ms);
	}
	pop(r, m);
	*out = pd;
	return ok;
}

/* bizTransaction, source, destination: {"type"?, "<value key>"}. */
static bool
typed_value_with(rd *r, const json_t *v, wb_typed_value *t, const char *vk)
{
	const char *const names[] = { "type", vk };

	return is_object(r, v, "an element") &&
	       members(r, v, "this list's elements", names, 2, NULL, 0, NULL) &&
	       field_str(r, v, "type", &t->type, NULL) &&
	       field_str(r, v, vk, &t->value, "the element needs its value");
}

static bool
biz_transaction(rd *r, const json_t *v, void *out)
{
	return typed_value_with(r, v, out, "bizTransaction");
}

static bool
source(rd *r, const json_t *v, void *out)
{
	return typed_value_with(r, v, out, "source");
}

static bool
destination(rd *r, const json_t *v, void *out)
{
	return typed_value_with(r, v, out, "destination");
}

/* The scalar members of sensor metadata or a report, by the shared table. */
static bool
sensor_fields(rd *r, const json_t *o, void *base, const wb_epcis_field *f,
              size_t n)
{
	char *p = base;
	bool ok = true;

	for (size_t i = 0; ok && i < n; i++) {
		const json_t *v = json_object_get(o, f[i].name);
		void *at = p + f[i].off;
		wb_time *t;
		size_t m;

		if (v == NULL) {
			continue;
		}
		m = push(r, ".%s", f[i].name);
		switch (f[i].type) {
		case WB_EPCIS_F_STRING:
			ok = take_str(r, v, (const char **)at);
			break;
		case WB_EPCIS_F_NUMBER:
			ok = take_num(r, v, (double *)at);
			*(bool *)(p + f[i].has_off) = true;
			break;
		case WB_EPCIS_F_BOOL:
			ok = json_is_boolean(v) ||
			     fail(r, "%s, not a boolean", type_of(v));
			*(bool *)at = json_is_true(v);
			*(bool *)(p + f[i].has_off) = true;
			break;
		case WB_EPCIS_F_TIME:
			ok = (t = alloc(r, 1, sizeof(*t))) != NULL &&
			     take_time(r, v, t);
			*(const wb_time **)at = t;
			break;
		}
		pop(r, m);
	}
	return ok;
}

static bool
sensor_report(rd *r, const json_t *v, void *out)
{
	wb_sensor_report *rep = out;

	return is_object(r, v, "a sensor report") &&
	       members(r, v, "a sensor report", NULL, 0, wb_epcis_report_fields,
	               wb_epcis_n_report_fields, &rep->extensions_json) &&
	       sensor_fields(r, v, rep, wb_epcis_report_fields,
	                     wb_epcis_n_report_fields);
}

static bool
sensor_element(rd *r, const json_t *v, void *out)
{
	static const char *const names[] = { "sensorMetadata", "sensorReport" };
	wb_sensor_element *e = out;
	const json_t *md;

	if (!is_object(r, v, "a sensor element") ||
	    !members(r, v, "a sensor element", names, 2, NULL, 0,
	             &e->extensions_json)) {
		return false;
	}
	if ((md = json_object_get(v, "sensorMetadata")) != NULL) {
		wb_sensor_metadata *meta = alloc(r, 1, sizeof(*meta));
		size_t m = push(r, ".sensorMetadata");
		bool ok = meta != NULL && is_object(r, md, "sensor metadata") &&
		          members(r, md, "sensor metadata", NULL, 0,
		                  wb_epcis_metadata_fields,
		                  wb_epcis_n_metadata_fields,
		                  &meta->extensions_json) &&
		          sensor_fields(r, md, meta, wb_epcis_metadata_fields,
		                        wb_epcis_n_metadata_fields);

		pop(r, m);
		e->metadata = meta;
		if (!ok) {
			return false;
		}
	}
	if (json_object_get(v, "sensorReport") == NULL) {
		return missing(r, "sensorReport",
		               "a sensor element has a sensorReport list");
	}
	return field_list(r, v, "sensorReport", sizeof(wb_sensor_report),
	                  sensor_report, &e->reports, &e->n_reports);
}

static bool
field_error_declaration(rd *r, const json_t *obj,
                        const wb_error_declaration **out)
{
	static const char *const names[] = { "declarationTime", "reason",
		                             "correctiveEventIDs" };
	const json_t *v = json_object_get(obj, "errorDeclaration");
	wb_error_declaration *d;
	size_t m;
	bool ok;

	if (v == NULL) {
		return true;
	}
	if ((d = alloc(r, 1, sizeof(*d))) == NULL) {
		return false;
	}
	m = push(r, ".errorDeclaration");
	ok = is_object(r, v, "an error declaration") &&
	     members(r, v, "an error declaration", names, 3, NULL, 0,
	             &d->extensions_json) &&
	     field_time(r, v, "declarationTime", &d->declaration_time,
	                "an error declaration needs its declarationTime") &&
	     field_str(r, v, "reason", &d->reason, NULL) &&
	     field_strs(r, v, "correctiveEventIDs", &d->corrective_event_ids,
	                &d->n_corrective_event_ids);
	pop(r, m);
	*out = d;
	return ok;
}

/* ILMD: any JSON object whose fields are namespaced. */
static bool
field_ilmd(rd *r, const json_t *obj, const char **out)
{
	const json_t *v = json_object_get(obj, "ilmd");
	const char *key;
	json_t *val;
	size_t m = push(r, ".ilmd");
	bool ok;

	if (v == NULL) {
		pop(r, m);
		return true;
	}
	ok = is_object(r, v, "ILMD");
	json_object_foreach((json_t *)v, key, val)
	{
		keyclass cls;
		size_t mk;

		if (!ok) {
			break;
		}
		mk = push(r, ".%s", key);
		ok = classify(r, key, false, &cls) &&
		     (cls != KEY_PLAIN ||
		      fail(r,
		           "ILMD fields need a namespace prefix declared in @context (e.g. \"example:%.40s\")",
		           key));
		pop(r, mk);
	}
	ok = ok && dump(r, v, out);
	pop(r, m);
	return ok;
}

static bool
field_certification(rd *r, const json_t *obj, const char ***out, size_t *n_out)
{
	const json_t *v = json_object_get(obj, "certificationInfo");
	size_t m;
	bool ok;

	if (v == NULL) {
		return true;
	}
	m = push(r, ".certificationInfo");
	if (json_is_string(v)) {
		const char **one = alloc(r, 1, sizeof(*one));

		ok = one != NULL && take_str(r, v, &one[0]);
		*out = one;
		*n_out = 1;
	} else if (json_is_array(v)) {
		ok = take_strs(r, v, out, n_out);
	} else {
		ok = fail(r, "%s, not a certificate URI or a list of them",
		          type_of(v));
	}
	pop(r, m);
	return ok;
}

/* A JSON value kept in an attribute: a string as text, the rest as JSON. */
static bool
attribute_value(rd *r, const json_t *v, wb_attribute *a)
{
	if (json_is_string(v)) {
		return take_str(r, v, &a->text);
	}
	return dump(r, v, &a->json);
}

/*
 * The waybill-only kinds.
 */

static bool
block_recall(rd *r, const json_t *v, wb_stamp *s)
{
	static const char *const names[] = { "targets", "reason", "severity",
		                             "reference" };
	wb_recall *rc = alloc(r, 1, sizeof(*rc));
	const char *sev = NULL;

	if (rc == NULL || !is_object(r, v, "a recall") ||
	    !members(r, v, "a recall", names, 4, NULL, 0, NULL)) {
		return false;
	}
	if (json_object_get(v, "targets") == NULL) {
		return missing(r, "targets", "the IDs the recall covers");
	}
	if (!field_strs(r, v, "targets", &rc->targets, &rc->n_targets) ||
	    !field_str(r, v, "reason", &rc->reason,
	               "a recall needs its reason") ||
	    !field_str(r, v, "severity", &sev, NULL) ||
	    !field_str(r, v, "reference", &rc->reference, NULL)) {
		return false;
	}
	if (sev != NULL) {
		size_t m = push(r, ".severity");

		rc->has_severity = true;
		rc->severity = strcmp(sev, "I") == 0    ? WB_RECALL_CLASS_I
		               : strcmp(sev, "II") == 0 ? WB_RECALL_CLASS_II
		               : strcmp(sev, "III") == 0
		                       ? WB_RECALL_CLASS_III
		                       : WB_RECALL_CLASS_UNSPECIFIED;
		if (rc->severity == WB_RECALL_CLASS_UNSPECIFIED) {
			fail(r,
			     "\"%.20s\" is not a recall class (I, II or III)",
			     sev);
		}
		pop(r, m);
		if (r->rc != WB_OK) {
			return false;
		}
	}
	s->recall = rc;
	return true;
}

static bool
block_lift(rd *r, const json_t *v, wb_stamp *s)
{
	static const char *const names[] = { "recallIndex", "targets",
		                             "reason" };
	wb_lift *l = alloc(r, 1, sizeof(*l));
	const json_t *idx;
	size_t m;

	if (l == NULL || !is_object(r, v, "a lift") ||
	    !members(r, v, "a lift", names, 3, NULL, 0, NULL)) {
		return false;
	}
	if ((idx = json_object_get(v, "recallIndex")) == NULL) {
		return missing(r, "recallIndex",
		               "the journal index of the recall to lift");
	}
	m = push(r, ".recallIndex");
	if (!json_is_integer(idx) || json_integer_value(idx) < 0) {
		fail(r, "%s, not a journal index (an integer >= 0)",
		     json_is_integer(idx) ? "a negative number" : type_of(idx));
	}
	pop(r, m);
	if (r->rc != WB_OK) {
		return false;
	}
	l->recall_index = (uint64_t)json_integer_value(idx);
	if (!field_strs(r, v, "targets", &l->targets, &l->n_targets) ||
	    !field_str(r, v, "reason", &l->reason, NULL)) {
		return false;
	}
	s->lift = l;
	return true;
}

static bool
md_attribute(rd *r, const json_t *v, void *out)
{
	static const char *const names[] = { "id", "attribute" };
	wb_attribute *a = out;
	const json_t *val;
	size_t m;
	bool ok;

	if (!is_object(r, v, "a master-data attribute") ||
	    !members(r, v, "a master-data attribute", names, 2, NULL, 0,
	             NULL) ||
	    !field_str(r, v, "id", &a->key, "the attribute's name")) {
		return false;
	}
	if ((val = json_object_get(v, "attribute")) == NULL) {
		return missing(r, "attribute", "the attribute's value");
	}
	m = push(r, ".attribute");
	ok = attribute_value(r, val, a);
	pop(r, m);
	return ok;
}

static bool
block_master_data(rd *r, const json_t *v, wb_stamp *s)
{
	static const char *const names[] = { "type", "id", "attributes",
		                             "children" };
	wb_master_data *md = alloc(r, 1, sizeof(*md));

	if (md == NULL || !is_object(r, v, "a master-data element") ||
	    !members(r, v, "a master-data element", names, 4, NULL, 0, NULL) ||
	    !field_str(
	            r, v, "type", &md->vocabulary_type,
	            "the vocabulary type, e.g. urn:epcglobal:epcis:vtype:BusinessLocation") ||
	    !field_str(r, v, "id", &md->element_id, "the element's ID") ||
	    !field_list(r, v, "attributes", sizeof(wb_attribute), md_attribute,
	                &md->attributes, &md->n_attributes) ||
	    !field_strs(r, v, "children", &md->children, &md->n_children)) {
		return false;
	}
	s->master_data = md;
	return true;
}

/*
 * The top of an event.
 */

#define K(x) (1u << WB_KIND_##x)
#define EPCIS_KINDS                                                        \
	(K(OBJECT) | K(AGGREGATION) | K(TRANSFORMATION) | K(TRANSACTION) | \
	 K(ASSOCIATION))
#define ALL_KINDS (EPCIS_KINDS | K(RECALL) | K(LIFT) | K(MASTER_DATA))
#define ACTION_KINDS \
	(K(OBJECT) | K(AGGREGATION) | K(TRANSACTION) | K(ASSOCIATION))

static const struct {
	const char *name;
	unsigned kinds;
} top_fields[] = {
	{ "type", ALL_KINDS },
	{ "@context", ALL_KINDS },
	{ "eventID", ALL_KINDS },
	{ "eventTime", ALL_KINDS },
	{ "eventTimeZoneOffset", ALL_KINDS },
	{ "recordTime", ALL_KINDS },
	{ "certificationInfo", ALL_KINDS },
	{ "errorDeclaration", ALL_KINDS },
	{ "action", ACTION_KINDS },
	{ "epcList", K(OBJECT) | K(TRANSACTION) },
	{ "quantityList", K(OBJECT) | K(TRANSACTION) },
	{ "parentID", K(AGGREGATION) | K(TRANSACTION) | K(ASSOCIATION) },
	{ "childEPCs", K(AGGREGATION) | K(ASSOCIATION) },
	{ "childQuantityList", K(AGGREGATION) | K(ASSOCIATION) },
	{ "inputEPCList", K(TRANSFORMATION) },
	{ "inputQuantityList", K(TRANSFORMATION) },
	{ "outputEPCList", K(TRANSFORMATION) },
	{ "outputQuantityList", K(TRANSFORMATION) },
	{ "transformationID", K(TRANSFORMATION) },
	{ "ilmd", K(OBJECT) | K(TRANSFORMATION) },
	{ "readPoint", ALL_KINDS },
	{ "bizLocation", ALL_KINDS },
	{ "bizStep", ALL_KINDS },
	{ "disposition", ALL_KINDS },
	{ "persistentDisposition", ALL_KINDS },
	{ "bizTransactionList", ALL_KINDS },
	{ "sourceList", ALL_KINDS },
	{ "destinationList", ALL_KINDS },
	{ "sensorElementList", ALL_KINDS },
	{ WB_EPCIS_KEY_RECALL, K(RECALL) },
	{ WB_EPCIS_KEY_LIFT, K(LIFT) },
	{ WB_EPCIS_KEY_MASTER_DATA, K(MASTER_DATA) },
};

static wb_kind
kind_of(const char *type)
{
	for (int k = WB_KIND_OBJECT; k < WB_KIND_COUNT_; k++) {
		if (strcmp(type, wb_epcis_type_name((wb_kind)k)) == 0) {
			return (wb_kind)k;
		}
	}
	return WB_KIND_UNSPECIFIED;
}

static const char *
article(const char *type)
{
	return strchr("AEIOU", type[0]) != NULL ? "an" : "a";
}

/*
 * A stamp has no "present but empty" for its lists, yet "epcList": [] and
 * no epcList are both common in EPCIS JSON. The names of the lists written
 * empty (top-level ones, and "persistentDisposition.set" style for lists
 * one level down) ride in the event's extension fields under
 * WB_EPCIS_KEY_EMPTY_LISTS, which the writer consumes.
 */
static bool
note_empty(json_t **empties, const char *key, const json_t *v)
{
	static const char *const nested[][2] = {
		{ "persistentDisposition", "set" },
		{ "persistentDisposition", "unset" },
		{ "errorDeclaration", "correctiveEventIDs" },
		{ WB_EPCIS_KEY_LIFT, "targets" },
		{ WB_EPCIS_KEY_MASTER_DATA, "attributes" },
		{ WB_EPCIS_KEY_MASTER_DATA, "children" },
	};
	char name[64];

	if (json_is_array(v) && json_array_size(v) == 0) {
		return (*empties != NULL ||
		        (*empties = json_array()) != NULL) &&
		       json_array_append_new(*empties, json_string(key)) == 0;
	}
	for (size_t i = 0; i < sizeof(nested) / sizeof(nested[0]); i++) {
		const json_t *c = json_object_get(v, nested[i][1]);

		if (strcmp(key, nested[i][0]) == 0 && json_is_array(c) &&
		    json_array_size(c) == 0) {
			snprintf(name, sizeof(name), "%s.%s", nested[i][0],
			         nested[i][1]);
			if ((*empties == NULL &&
			     (*empties = json_array()) == NULL) ||
			    json_array_append_new(*empties,
			                          json_string(name)) != 0) {
				return false;
			}
		}
	}
	return true;
}

/* Sorts the top-level members: known fields (checked against the kind),
 * waybill attributes, extension fields; refuses the rest. */
static bool
top_members(rd *r, const json_t *ev, wb_stamp *s, const char *type)
{
	size_t n = json_object_size(ev), na = 0;
	wb_attribute *attrs = alloc(r, n, sizeof(*attrs));
	json_t *ext = NULL, *empties = NULL;
	const char *key;
	json_t *v;
	bool ok = r->rc == WB_OK;

	json_object_foreach((json_t *)ev, key, v)
	{
		size_t i, m;
		keyclass cls;

		if (!ok) {
			break;
		}
		for (i = 0; i < sizeof(top_fields) / sizeof(top_fields[0]);
		     i++) {
			if (strcmp(key, top_fields[i].name) == 0) {
				break;
			}
		}
		m = push(r, ".%s", key);
		if (is_ledger_fact(key)) {
			/* Another ledger's record of the event, as an export
			 * writes it: not part of the event (like recordTime).
			 */
		} else if (i < sizeof(top_fields) / sizeof(top_fields[0])) {
			if (!(top_fields[i].kinds & (1u << s->kind))) {
				ok = fail(r, "not a field of %s %s",
				          article(type), type);
			} else if (!note_empty(&empties, key, v)) {
				ok = oom(r);
			}
		} else if (!classify(r, key, true, &cls)) {
			ok = false;
		} else if (cls == KEY_PLAIN) {
			ok = fail(
			        r,
			        "unknown field of %s %s (extension fields need a namespace prefix declared in @context)",
			        article(type), type);
		} else if (cls == KEY_ATTRIBUTE_ALIAS) {
			/* "wb:price" with wb bound to the waybill namespace
			 * is the attribute the core knows as waybill:price. */
			const char *local = strchr(key, ':') + 1;
			size_t plen = strlen(WB_EPCIS_NS_PREFIX ":");
			wb_attribute *a = &attrs[na++];
			char *k = alloc(r, plen + strlen(local) + 1, 1);

			if ((ok = k != NULL)) {
				memcpy(k, WB_EPCIS_NS_PREFIX ":", plen);
				memcpy(k + plen, local, strlen(local) + 1);
				a->key = k;
				ok = attribute_value(r, v, a);
			}
		} else if (cls == KEY_ATTRIBUTE) {
			wb_attribute *a = &attrs[na++];

			ok = ((a->key = wb_arena_strndup(
			               r->a, key, strlen(key))) != NULL ||
			      oom(r)) &&
			     attribute_value(r, v, a);
		} else if ((ext == NULL && (ext = json_object()) == NULL) ||
		           json_object_set(ext, key, v) != 0) {
			ok = oom(r);
		}
		pop(r, m);
	}
	if (ok && empties != NULL &&
	    ((ext == NULL && (ext = json_object()) == NULL) ||
	     json_object_set(ext, WB_EPCIS_KEY_EMPTY_LISTS, empties) != 0)) {
		ok = oom(r);
	}
	if (ok && ext != NULL) {
		ok = dump(r, ext, &s->extensions_json);
	}
	json_decref(empties);
	json_decref(ext);
	s->attributes = na > 0 ? attrs : NULL;
	s->n_attributes = na;
	return ok;
}

static bool
field_action(rd *r, const json_t *ev, wb_stamp *s, const char *type)
{
	static const char *const names[] = { "ADD", "OBSERVE", "DELETE" };
	const json_t *v = json_object_get(ev, "action");
	const char *a;
	size_t m;
	bool ok = true;

	if (!(ACTION_KINDS & (1u << s->kind))) {
		return true; /* top_members refuses it where it does not belong
		              */
	}
	if (v == NULL) {
		char why[64];

		snprintf(why, sizeof(why), "required in %s %s", article(type),
		         type);
		return missing(r, "action", why);
	}
	m = push(r, ".action");
	if (!json_is_string(v)) {
		ok = fail(r, "%s, not ADD, OBSERVE or DELETE", type_of(v));
	} else {
		a = json_string_value(v);
		for (size_t i = 0; i < 3; i++) {
			if (strcmp(a, names[i]) == 0) {
				s->has_action = true;
				s->action = (wb_action)(WB_ACTION_ADD + i);
			}
		}
		if (!s->has_action) {
			ok = fail(r, "\"%.40s\" is not ADD, OBSERVE or DELETE",
			          a);
		}
	}
	pop(r, m);
	return ok;
}

static bool
field_context(rd *r, const json_t *ev, wb_stamp *s)
{
	const json_t *v = json_object_get(ev, "@context");
	size_t m;
	bool ok = true;

	if (v == NULL) {
		return true;
	}
	m = push(r, ".@context");
	if (json_is_array(v)) {
		for (size_t i = 0; ok && i < json_array_size(v); i++) {
			const json_t *el = json_array_get(v, i);

			if (!json_is_string(el) && !json_is_object(el)) {
				size_t mi = push(r, "[%zu]", i);

				ok = fail(r, "%s, not a context URL or object",
				          type_of(el));
				pop(r, mi);
			}
		}
	} else if (!json_is_string(v) && !json_is_object(v)) {
		ok = fail(r, "%s, not a context URL, object or list",
		          type_of(v));
	}
	pop(r, m);
	return ok && dump(r, v, &s->context_json);
}

static bool
read_event(rd *r, const json_t *ev, wb_stamp *s)
{
	const json_t *type_v = json_object_get(ev, "type");
	const char *type, *tz = NULL;
	int minutes;
	size_t m;

	if (type_v == NULL) {
		return missing(r, "type", "the event type, e.g. ObjectEvent");
	}
	m = push(r, ".type");
	if (!json_is_string(type_v)) {
		fail(r, "%s, not an event type name", type_of(type_v));
	} else if ((s->kind = kind_of(json_string_value(type_v))) ==
	           WB_KIND_UNSPECIFIED) {
		fail(r,
		     "\"%.60s\" is not an event type (ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent, waybill:RecallEvent, waybill:LiftEvent, waybill:MasterDataEvent)",
		     json_string_value(type_v));
	}
	pop(r, m);
	if (r->rc != WB_OK) {
		return false;
	}
	type = wb_epcis_type_name(s->kind);
	if (!field_context(r, ev, s) ||
	    !field_time(r, ev, "eventTime", &s->event_time,
	                "every event has an eventTime") ||
	    !field_str(r, ev, "eventTimeZoneOffset", &tz,
	               "every event has an eventTimeZoneOffset, e.g. +01:00")) {
		return false;
	}
	if (!wb_epcis_tz_parse(&minutes, tz)) {
		m = push(r, ".eventTimeZoneOffset");
		fail(r,
		     "\"%.20s\" is not an offset from -14:00 to +14:00 in the form +hh:mm",
		     tz);
		pop(r, m);
		return false;
	}
	s->event_tz_offset = tz;
	if (!field_action(r, ev, s, type) || !top_members(r, ev, s, type) ||
	    !field_str(r, ev, "eventID", &s->event_id, NULL)) {
		return false;
	}
	if (s->event_id != NULL && s->event_id[0] == '\0') {
		m = push(r, ".eventID");
		fail(r, "empty (leave it out to have one assigned)");
		pop(r, m);
		return false;
	}
	bool children = s->kind == WB_KIND_AGGREGATION ||
	                s->kind == WB_KIND_ASSOCIATION;
	const json_t *block;

	if (!field_str(r, ev, "parentID", &s->parent_id, NULL) ||
	    !field_strs(r, ev, children ? "childEPCs" : "epcList",
	                (const char ***)&s->epcs, &s->n_epcs) ||
	    !field_quantities(r, ev,
	                      children ? "childQuantityList" : "quantityList",
	                      &s->quantities, &s->n_quantities) ||
	    !field_strs(r, ev, "inputEPCList", (const char ***)&s->input_epcs,
	                &s->n_input_epcs) ||
	    !field_quantities(r, ev, "inputQuantityList", &s->input_quantities,
	                      &s->n_input_quantities) ||
	    !field_strs(r, ev, "outputEPCList", (const char ***)&s->output_epcs,
	                &s->n_output_epcs) ||
	    !field_quantities(r, ev, "outputQuantityList",
	                      &s->output_quantities, &s->n_output_quantities) ||
	    !field_str(r, ev, "transformationID", &s->transformation_id,
	               NULL) ||
	    !field_location(r, ev, "readPoint", &s->read_point) ||
	    !field_location(r, ev, "bizLocation", &s->biz_location) ||
	    !field_cbv(r, ev, "bizStep", &s->biz_step, cbv_bizsteps, N_BIZSTEPS,
	               "business step") ||
	    !field_cbv(r, ev, "disposition", &s->disposition, cbv_dispositions,
	               N_DISPOSITIONS, "disposition") ||
	    !field_persistent(r, ev, &s->persistent_disposition) ||
	    !field_list(r, ev, "bizTransactionList", sizeof(wb_typed_value),
	                biz_transaction, &s->biz_transactions,
	                &s->n_biz_transactions) ||
	    !field_list(r, ev, "sourceList", sizeof(wb_typed_value), source,
	                &s->sources, &s->n_sources) ||
	    !field_list(r, ev, "destinationList", sizeof(wb_typed_value),
	                destination, &s->destinations, &s->n_destinations) ||
	    !field_list(r, ev, "sensorElementList", sizeof(wb_sensor_element),
	                sensor_element, &s->sensor_elements,
	                &s->n_sensor_elements) ||
	    !field_ilmd(r, ev, &s->ilmd_json) ||
	    !field_certification(r, ev, (const char ***)&s->certification_info,
	                         &s->n_certification_info) ||
	    !field_error_declaration(r, ev, &s->error_declaration)) {
		return false;
	}
	switch (s->kind) {
	case WB_KIND_RECALL:
	case WB_KIND_LIFT:
	case WB_KIND_MASTER_DATA: {
		const char *key =
		        s->kind == WB_KIND_RECALL ? WB_EPCIS_KEY_RECALL
		        : s->kind == WB_KIND_LIFT ? WB_EPCIS_KEY_LIFT
		                                  : WB_EPCIS_KEY_MASTER_DATA;
		bool ok;

		if ((block = json_object_get(ev, key)) == NULL) {
			char why[80];

			snprintf(why, sizeof(why), "required in %s %s",
			         article(type), type);
			return missing(r, key, why);
		}
		m = push(r, ".%s", key);
		ok = s->kind == WB_KIND_RECALL ? block_recall(r, block, s)
		     : s->kind == WB_KIND_LIFT ? block_lift(r, block, s)
		                               : block_master_data(r, block, s);
		pop(r, m);
		return ok;
	}
	default:
		return true;
	}
}

/*
 * An event without an ID gets a deterministic one: SHA-256 of the stamp's
 * own encoding with an empty event ID and a zero ledger ID. It depends on
 * the event's content only (not on how its instants or numbers were
 * spelled), so the same event read twice gets the same ID.
 */
static bool
assign_id(rd *r, wb_stamp *s)
{
	wb_stamp c = *s;
	uint8_t *bytes = NULL;
	char hex[2 * WB_HASH_LEN + 1];
	char *id;
	size_t len, prefix = strlen(WB_EPCIS_ASSIGNED_ID);
	wb_hash h;
	wb_err rc;

	memset(c.ledger_id, 0, sizeof(c.ledger_id));
	c.event_id = "";
	c.arena_ = NULL;
	if ((rc = wb_stamp_encode(&bytes, &len, &c)) != WB_OK) {
		r->rc = rc;
		return false;
	}
	wb_hash_sha256(&h, bytes, len);
	free(bytes);
	wb_hash_to_hex(hex, &h);
	if ((id = alloc(r, prefix + sizeof(hex), 1)) == NULL) {
		return false;
	}
	memcpy(id, WB_EPCIS_ASSIGNED_ID, prefix);
	memcpy(id + prefix, hex, sizeof(hex));
	s->event_id = id;
	return true;
}

wb_err
wb_epcis_event_from_json(wb_stamp **out, const json_t *event,
                         const json_t *context,
                         const uint8_t ledger_id[WB_HASH_LEN], wb_problem *p)
{
	rd r = { .p = p, .doc_ctx = context, .path = "$", .plen = 1 };
	wb_stamp *s;

	WB_CHECK_ARG(out && event && ledger_id);
	*out = NULL;
	if (p != NULL) {
		p->reason = WB_REJECT_NONE;
		p->msg[0] = '\0';
	}
	if (!json_is_object(event)) {
		fail(&r, "%s, not an event (a JSON object)", type_of(event));
		return r.rc;
	}
	r.ev_ctx = json_object_get(event, "@context");
	if ((r.a = wb_arena_new(4096)) == NULL ||
	    (s = wb_arena_alloc(r.a, sizeof(*s))) == NULL) {
		wb_arena_free(r.a);
		return WB_ENOMEM;
	}
	memcpy(s->ledger_id, ledger_id, WB_HASH_LEN);
	if (!read_event(&r, event, s) ||
	    (s->event_id == NULL && !assign_id(&r, s))) {
		wb_arena_free(r.a);
		return r.rc != WB_OK ? r.rc : WB_EINTERNAL;
	}
	s->arena_ = r.a;
	*out = s;
	return WB_OK;
}
