/* SPDX-License-Identifier: MIT */
/*
 * epcis_export.c - journal entries as an EPCIS 2.0 EPCISQueryDocument
 * (waybill/epcis_export.h; docs/epcis.md, "Export").
 *
 * The document is written in two steps because its @context comes first
 * but depends on every event (the prefixes they use): events are mapped as
 * they arrive and spooled, one line each, to a temporary file; finish()
 * writes the head, copies the spool and closes the brackets.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "epcis_impl.h"
#include "internal.h"
#include "waybill/entry.h"
#include "waybill/epcis.h"
#include "waybill/epcis_export.h"
#include "waybill/hash.h"

/* Prefixes the EPCIS 2.0 context itself declares: no binding needed. */
static const char *const epcis_prefixes[] = {
	"epcis", "cbv", "cbvmda", "gs1", "rdfs", "owl", "xsd", "dcterms",
};

typedef struct {
	char **v;
	size_t n, cap;
} strset;

static bool
strset_has(const strset *s, const char *p, size_t len)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strlen(s->v[i]) == len && memcmp(s->v[i], p, len) == 0) {
			return true;
		}
	}
	return false;
}

static wb_err
strset_add(strset *s, const char *p, size_t len)
{
	char *copy;

	if (strset_has(s, p, len)) {
		return WB_OK;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		char **nv = realloc(s->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			return WB_ENOMEM;
		}
		s->v = nv;
		s->cap = ncap;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		return WB_ENOMEM;
	}
	memcpy(copy, p, len);
	copy[len] = '\0';
	s->v[s->n++] = copy;
	return WB_OK;
}

static void
strset_fini(strset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i]);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct wb_epcis_export {
	bool ledger_fields;
	bool finished;
	wb_time creation;
	FILE *spool;
	size_t count;
	json_t *bindings; /* the @context object: prefix -> IRI */
	strset used;      /* prefixes events need from the document */
	strset undeclared;
};

/*
 * One entry as an event.
 */

static json_t *
hex_string(const uint8_t *b, size_t n)
{
	char hex[2 * WB_HASH_LEN + 1];

	if (2 * n + 1 > sizeof(hex)) {
		return NULL;
	}
	wb_hex_encode(hex, b, n);
	return json_string(hex);
}

/* Sets key in ev unless the stamp already wrote it (an attribute of that
 * name wins: the fact is left out rather than the stamp's data lost). */
static wb_err
set_fact(json_t *ev, const char *key, json_t *v)
{
	if (v == NULL) {
		return WB_ENOMEM;
	}
	if (json_object_get(ev, key) != NULL) {
		json_decref(v);
		return WB_OK;
	}
	return json_object_set_new(ev, key, v) == 0 ? WB_OK : WB_ENOMEM;
}

/* The mapper's event with recordTime placed after eventTimeZoneOffset:
 * EPCIS documents list the times together, and readers of the JSON expect
 * to find them there. A new object (jansson cannot insert in the middle). */
static json_t *
with_record_time(const json_t *ev, json_t *record_time)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	bool placed = false;

	if (out == NULL || record_time == NULL) {
		goto fail;
	}
	json_object_foreach((json_t *)ev, key, v)
	{
		if (strcmp(key, "recordTime") == 0) {
			continue; /* the mapper never writes one; the entry's
			             wins */
		}
		if (json_object_set(out, key, v) != 0) {
			goto fail;
		}
		if (!placed && strcmp(key, "eventTimeZoneOffset") == 0) {
			if (json_object_set(out, "recordTime", record_time) !=
			    0) {
				goto fail;
			}
			placed = true;
		}
	}
	if (!placed && json_object_set(out, "recordTime", record_time) != 0) {
		goto fail;
	}
	json_decref(record_time);
	return out;
fail:
	json_decref(record_time);
	json_decref(out);
	return NULL;
}

wb_err
wb_epcis_entry_to_json(json_t **out, const uint8_t *entry, size_t len,
                       bool ledger_fields)
{
	wb_entry *e = NULL;
	wb_stamp *s = NULL;
	json_t *ev = NULL, *full = NULL;
	wb_hash leaf;
	wb_time rt;
	char when[40];
	wb_err rc;

	WB_CHECK_ARG(out && entry);
	*out = NULL;
	if ((rc = wb_entry_decode(&e, entry, len)) != WB_OK) {
		return rc;
	}
	if (e->type != WB_ENTRY_STAMP) {
		rc = WB_ENOTFOUND;
		goto out;
	}
	if (wb_stamp_decode(&s, e->body, e->body_len) != WB_OK) {
		rc = WB_EPROTO;
		goto out;
	}
	if ((rc = wb_epcis_event_to_json(&ev, s)) != WB_OK) {
		goto out;
	}
	rt.seconds = (int64_t)(e->record_time_us / 1000000u);
	rt.nanos = (uint32_t)(e->record_time_us % 1000000u) * 1000u;
	rt.has_nanos = rt.nanos != 0;
	if (!wb_epcis_time_format(when, &rt, NULL)) {
		rc = WB_EINVAL;
		goto out;
	}
	if ((full = with_record_time(ev, json_string(when))) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if (ledger_fields) {
		wb_hash_leaf(&leaf, entry, len);
		if ((rc = set_fact(full, WB_EPCIS_KEY_INDEX,
		                   json_integer((json_int_t)e->index))) !=
		            WB_OK ||
		    (rc = set_fact(full, WB_EPCIS_KEY_SIGNER_KEY,
		                   hex_string(e->signer.b, WB_PUBKEY_LEN))) !=
		            WB_OK ||
		    (rc = set_fact(full, WB_EPCIS_KEY_LEAF_HASH,
		                   hex_string(leaf.b, WB_HASH_LEN))) != WB_OK) {
			goto out;
		}
	}
	*out = full;
	full = NULL;
out:
	json_decref(full);
	json_decref(ev);
	wb_stamp_free(s);
	wb_entry_free(e);
	return rc;
}

/*
 * Numbers: jansson prints reals with 17 significant digits by default,
 * which turns 2.49 into 2.4900000000000002. The shortest of 15, 16 and 17
 * digits that reads back as the same double is exact and readable.
 */

static int
digits_for(double x)
{
	char buf[40];

	if (!isfinite(x)) {
		return 15; /* jansson refuses these anyway */
	}
	for (int p = 15; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, x);
		if (strtod(buf, NULL) == x) {
			return p;
		}
	}
	return 17;
}

int
wb_epcis_real_precision(const json_t *v)
{
	int best = 15, p;
	const char *key;
	json_t *el;
	size_t i;

	if (json_is_real(v)) {
		return digits_for(json_real_value(v));
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, el)
		{
			if ((p = wb_epcis_real_precision(el)) > best) {
				best = p;
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, el)
		{
			if ((p = wb_epcis_real_precision(el)) > best) {
				best = p;
			}
		}
	}
	return best;
}

/*
 * Prefixes. A key "p:name" needs p bound, unless it is an absolute IRI
 * (urn:..., scheme://...) or p is the EPCIS context's own; the same rule
 * the reader applies (epcis_read.c), so that what is exported reads back.
 */

static bool
is_prefix_name(const char *p, size_t len)
{
	if (len == 0 || (p[0] >= '0' && p[0] <= '9') || p[0] == '-' ||
	    p[0] == '.') {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.')) {
			return false;
		}
	}
	return true;
}

static bool
is_epcis_prefix(const char *p, size_t len)
{
	for (size_t i = 0; i < sizeof(epcis_prefixes) / sizeof(*epcis_prefixes);
	     i++) {
		if (strlen(epcis_prefixes[i]) == len &&
		    memcmp(epcis_prefixes[i], p, len) == 0) {
			return true;
		}
	}
	return false;
}

/* Is prefix bound in an event's own @context (a string, an object or an
 * array of them)? */
static bool
own_binding(const json_t *ctx, const char *p, size_t len)
{
	const json_t *el;
	size_t i;

	if (json_is_object(ctx)) {
		el = json_object_getn(ctx, p, len);
		return el != NULL && !json_is_null(el);
	}
	json_array_foreach(ctx, i, el)
	{
		if (own_binding(el, p, len)) {
			return true;
		}
	}
	return false;
}

/* Adds to `used` the prefixes of v's keys, at any depth, that the event's
 * own @context does not bind. */
static wb_err
collect_prefixes(strset *used, const json_t *v, const json_t *own)
{
	const char *key, *colon;
	json_t *el;
	size_t i, len;
	wb_err rc;

	if (json_is_array(v)) {
		json_array_foreach(v, i, el)
		{
			if ((rc = collect_prefixes(used, el, own)) != WB_OK) {
				return rc;
			}
		}
		return WB_OK;
	}
	if (!json_is_object(v)) {
		return WB_OK;
	}
	json_object_foreach((json_t *)v, key, el)
	{
		if (strcmp(key, "@context") == 0) {
			continue;
		}
		if ((colon = strchr(key, ':')) != NULL &&
		    strncmp(colon + 1, "//", 2) != 0) {
			len = (size_t)(colon - key);
			if (is_prefix_name(key, len) &&
			    !(len == 3 && memcmp(key, "urn", 3) == 0) &&
			    !is_epcis_prefix(key, len) &&
			    !own_binding(own, key, len) &&
			    (rc = strset_add(used, key, len)) != WB_OK) {
				return rc;
			}
		}
		if ((rc = collect_prefixes(used, el, own)) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

/* Binds "fsma" once an event uses it; recomputes the undeclared list. */
static wb_err
update_bindings(wb_epcis_export *x)
{
	wb_err rc;

	for (size_t i = 0; i < x->used.n; i++) {
		const char *p = x->used.v[i];

		if (json_object_get(x->bindings, p) != NULL) {
			continue;
		}
		if (strcmp(p, "fsma") == 0) {
			if (json_object_set_new(
			            x->bindings, p,
			            json_string(WB_EPCIS_FSMA_NS)) != 0) {
				return WB_ENOMEM;
			}
			continue;
		}
		if ((rc = strset_add(&x->undeclared, p, strlen(p))) != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

/*
 * The export.
 */

wb_err
wb_epcis_export_new(wb_epcis_export **out, const wb_epcis_export_opts *o)
{
	wb_epcis_export *x;
	uint64_t now;

	WB_CHECK_ARG(out);
	*out = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		return WB_ENOMEM;
	}
	x->ledger_fields = o == NULL || !o->no_ledger_fields;
	if (o != NULL && o->creation != NULL) {
		x->creation = *o->creation;
	} else {
		now = wb_now_us();
		/* Milliseconds, as EPCIS documents usually write them. */
		x->creation.seconds = (int64_t)(now / 1000000u);
		x->creation.nanos =
		        (uint32_t)(now % 1000000u / 1000u) * 1000000u;
		x->creation.has_nanos = x->creation.nanos != 0;
	}
	x->bindings = json_object();
	if (x->bindings == NULL ||
	    json_object_set_new(x->bindings, WB_EPCIS_NS_PREFIX,
	                        json_string(WB_EPCIS_NS)) != 0) {
		wb_epcis_export_free(x);
		return WB_ENOMEM;
	}
	if ((x->spool = tmpfile()) == NULL) {
		wb_epcis_export_free(x);
		return errno == ENOMEM ? WB_ENOMEM : WB_EIO;
	}
	*out = x;
	return WB_OK;
}

wb_err
wb_epcis_export_declare(wb_epcis_export *x, const char *prefix, const char *iri)
{
	const json_t *have;
	size_t n_undeclared = 0;

	WB_CHECK_ARG(x && prefix && iri);
	if (!is_prefix_name(prefix, strlen(prefix)) || iri[0] == '\0') {
		return WB_EINVAL;
	}
	if (strcmp(prefix, "fsma") == 0 && strcmp(iri, WB_EPCIS_FSMA_NS) != 0) {
		return WB_EEXISTS;
	}
	if ((have = json_object_get(x->bindings, prefix)) != NULL) {
		return strcmp(json_string_value(have), iri) == 0 ? WB_OK
		                                                 : WB_EEXISTS;
	}
	if (json_object_set_new(x->bindings, prefix, json_string(iri)) != 0) {
		return WB_ENOMEM;
	}
	/* A prefix already reported undeclared is declared now. */
	for (size_t i = 0; i < x->undeclared.n; i++) {
		if (strcmp(x->undeclared.v[i], prefix) == 0) {
			free(x->undeclared.v[i]);
		} else {
			x->undeclared.v[n_undeclared++] = x->undeclared.v[i];
		}
	}
	x->undeclared.n = n_undeclared;
	return WB_OK;
}

wb_err
wb_epcis_export_add(wb_epcis_export *x, const uint8_t *entry, size_t len)
{
	json_t *ev = NULL;
	char *text = NULL;
	wb_err rc;

	WB_CHECK_ARG(x && entry && !x->finished);
	if ((rc = wb_epcis_entry_to_json(&ev, entry, len, x->ledger_fields)) !=
	    WB_OK) {
		return rc;
	}
	if ((rc = collect_prefixes(&x->used, ev,
	                           json_object_get(ev, "@context"))) != WB_OK ||
	    (rc = update_bindings(x)) != WB_OK) {
		goto out;
	}
	text = json_dumps(
	        ev, JSON_PRESERVE_ORDER |
	                    JSON_REAL_PRECISION(wb_epcis_real_precision(ev)));
	if (text == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	/* One event per line, separated as the eventList needs. */
	if (fprintf(x->spool, "%s          %s", x->count > 0 ? ",\n" : "",
	            text) < 0) {
		rc = WB_EIO;
		goto out;
	}
	x->count++;
out:
	free(text);
	json_decref(ev);
	return rc;
}

size_t
wb_epcis_export_count(const wb_epcis_export *x)
{
	return x != NULL ? x->count : 0;
}

const char *const *
wb_epcis_export_undeclared(const wb_epcis_export *x, size_t *n_out)
{
	*n_out = x != NULL ? x->undeclared.n : 0;
	return x != NULL ? (const char *const *)x->undeclared.v : NULL;
}

wb_err
wb_epcis_export_finish(wb_epcis_export *x, FILE *f)
{
	json_t *ctx = NULL;
	char *ctx_text = NULL, when[40], buf[65536];
	size_t n;
	wb_err rc = WB_OK;

	WB_CHECK_ARG(x && f && !x->finished);
	x->finished = true;
	if (!wb_epcis_time_format(when, &x->creation, NULL)) {
		return WB_EINVAL;
	}
	ctx = json_pack("[sO]", WB_EPCIS_CONTEXT, x->bindings);
	if (ctx == NULL ||
	    (ctx_text = json_dumps(ctx, JSON_PRESERVE_ORDER)) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if (fflush(x->spool) != 0 || fseek(x->spool, 0, SEEK_SET) != 0) {
		rc = WB_EIO;
		goto out;
	}
	fprintf(f,
	        "{\n"
	        "  \"@context\": %s,\n"
	        "  \"type\": \"EPCISQueryDocument\",\n"
	        "  \"schemaVersion\": \"2.0\",\n"
	        "  \"creationDate\": \"%s\",\n"
	        "  \"epcisBody\": {\n"
	        "    \"queryResults\": {\n"
	        "      \"queryName\": \"SimpleEventQuery\",\n"
	        "      \"resultsBody\": {\n"
	        "        \"eventList\": [%s",
	        ctx_text, when, x->count > 0 ? "\n" : "");
	while ((n = fread(buf, 1, sizeof(buf), x->spool)) > 0) {
		if (fwrite(buf, 1, n, f) != n) {
			rc = WB_EIO;
			goto out;
		}
	}
	if (ferror(x->spool)) {
		rc = WB_EIO;
		goto out;
	}
	fprintf(f,
	        "%s]\n"
	        "      }\n"
	        "    }\n"
	        "  }\n"
	        "}\n",
	        x->count > 0 ? "\n        " : "");
	if (fflush(f) != 0 || ferror(f)) {
		rc = WB_EIO;
	}
out:
	free(ctx_text);
	json_decref(ctx);
	return rc;
}

void
wb_epcis_export_free(wb_epcis_export *x)
{
	if (x == NULL) {
		return;
	}
	if (x->spool != NULL) {
		fclose(x->spool);
	}
	json_decref(x->bindings);
	strset_fini(&x->used);
	strset_fini(&x->undeclared);
	free(x);
}
