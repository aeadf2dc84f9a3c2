/* SPDX-License-Identifier: MIT */
/*
 * epcis_doc.c - an EPCIS 2.0 document as the items an import records: the
 * header's master data as waybill:MasterDataEvent events, then the events,
 * each with its JSON path and @context.
 *
 * Only the document level is checked here (EPCIS 2.0 section 9 and the
 * JSON schema's epcisDocument, epcisQueryDocument, epcisHeader and
 * vocabulary definitions); each event goes through the one event mapper
 * (epcis_read.c) when it is turned into a stamp, so one bad event does not
 * hide the rest of the document.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcis_impl.h"
#include "internal.h"
#include "waybill/epcis.h"

/* The EPCIS 2.0 context as the published examples and tools name it: the
 * versioned and the unversioned GS1 reference URL, and the GitHub pages
 * copy. */
static const char *const contexts_20[] = {
	WB_EPCIS_CONTEXT,
	"https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
	"https://gs1.github.io/EPCIS/epcis-context.jsonld",
};

/* The members of a document (the schema's epcisDocument; a query document
 * takes the same, though the schema lists fewer of them). */
static const char *const doc_members[] = {
	"@context",      "id",           "type",
	"schemaVersion", "creationDate", "instanceIdentifier",
	"sender",        "receiver",     "epcisHeader",
	"epcisBody",
};

typedef struct {
	wb_epcis_doc *d;
	wb_problem *p;
	size_t cap;
	char path[WB_EPCIS_PATH_MAX];
} rdoc;

static wb_err refuse(rdoc *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* A refusal whose message starts with the current path. */
static wb_err
refuse(rdoc *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->p == NULL) {
		return WB_EPROTO;
	}
	r->p->reason = WB_REJECT_MALFORMED;
	n = snprintf(r->p->msg, sizeof(r->p->msg), "%s: ", r->path);
	if (n > 0 && (size_t)n < sizeof(r->p->msg)) {
		va_start(ap, fmt);
		vsnprintf(r->p->msg + n, sizeof(r->p->msg) - (size_t)n, fmt,
		          ap);
		va_end(ap);
	}
	return WB_EPROTO;
}

/* Appends to the path; returns the old length for pop(). */
static size_t push(rdoc *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static size_t
push(rdoc *r, const char *fmt, ...)
{
	size_t len = strlen(r->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->path + len, sizeof(r->path) - len, fmt, ap);
	va_end(ap);
	return len;
}

static void
pop(rdoc *r, size_t len)
{
	r->path[len] = '\0';
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

/* A member that is neither EPCIS's nor namespaced (prefix:name or an
 * IRI). */
static bool
unknown_member(const char *key, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(key, names[i]) == 0) {
			return false;
		}
	}
	return strchr(key, ':') == NULL;
}

/* Member `name` of obj: *out the value or NULL when absent; a refusal
 * when required and absent, or present and not of type `want`. */
static wb_err
member(rdoc *r, const json_t *obj, const char *name, json_type want,
       const char *what, bool required, const json_t **out)
{
	const json_t *v = json_object_get(obj, name);
	size_t m = push(r, ".%s", name);
	wb_err rc = WB_OK;

	*out = v;
	if (v == NULL) {
		if (required) {
			rc = refuse(r, "missing (%s)", what);
		}
	} else if (json_typeof(v) != want) {
		rc = refuse(r, "%s, not %s", type_of(v), what);
	}
	pop(r, m);
	return rc;
}

static bool
is_context_20(const json_t *v)
{
	for (size_t i = 0; i < sizeof(contexts_20) / sizeof(contexts_20[0]);
	     i++) {
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), contexts_20[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* The document's @context: a URL, an object, or an array of them, one of
 * them the EPCIS 2.0 context. */
static wb_err
check_context(rdoc *r, const json_t *ctx)
{
	bool named = false;
	size_t m = push(r, ".@context"), i;
	const json_t *v;
	wb_err rc = WB_OK;

	if (ctx == NULL) {
		rc = refuse(
		        r,
		        "missing: an EPCIS 2.0 document needs the 2.0 context (%s)",
		        WB_EPCIS_CONTEXT);
	} else if (json_is_string(ctx)) {
		named = is_context_20(ctx);
	} else if (json_is_array(ctx)) {
		json_array_foreach(ctx, i, v)
		{
			if (!json_is_string(v) && !json_is_object(v)) {
				size_t k = push(r, "[%zu]", i);

				rc = refuse(
				        r,
				        "%s, not a context (a URL or an object)",
				        type_of(v));
				pop(r, k);
				break;
			}
			named |= is_context_20(v);
		}
	} else if (!json_is_object(ctx)) {
		rc = refuse(
		        r,
		        "%s, not a context (a URL, an object or an array of them)",
		        type_of(ctx));
	}
	if (rc == WB_OK && !named) {
		rc = refuse(
		        r,
		        "does not name the EPCIS 2.0 context: add \"%s\" (the document's prefixes and terms are those of EPCIS 2.0)",
		        WB_EPCIS_CONTEXT);
	}
	pop(r, m);
	return rc;
}

/* schemaVersion: "2" or "2.x" (the schema's pattern ^\d+(\.\d+)*$). */
static wb_err
check_version(rdoc *r, const json_t *doc)
{
	const json_t *v;
	const char *s, *c;
	size_t m;
	wb_err rc;

	if ((rc = member(r, doc, "schemaVersion", JSON_STRING,
	                 "a version string such as \"2.0\"", true, &v)) !=
	    WB_OK) {
		return rc;
	}
	s = json_string_value(v);
	m = push(r, ".schemaVersion");
	for (c = s; *c != '\0'; c++) {
		bool digit = *c >= '0' && *c <= '9';

		if (!digit && !(*c == '.' && c > s && c[1] >= '0' &&
		                c[1] <= '9' && c[-1] != '.')) {
			break;
		}
	}
	if (*s == '\0' || *c != '\0') {
		rc = refuse(r,
		            "\"%.40s\" is not a version (digits and dots, e.g. "
		            "\"2.0\")",
		            s);
	} else if (s[0] != '2' || (s[1] != '\0' && s[1] != '.')) {
		rc = refuse(
		        r,
		        "\"%.40s\": this is an EPCIS %c document; waybill reads EPCIS 2.x",
		        s, s[0]);
	}
	pop(r, m);
	return rc;
}

static wb_err
check_time(rdoc *r, const json_t *doc, const char *name, bool required,
           const char **out)
{
	const json_t *v;
	wb_time t;
	size_t m;
	wb_err rc;

	*out = NULL;
	if ((rc = member(r, doc, name, JSON_STRING,
	                 "an RFC 3339 date-time with offset", required, &v)) !=
	            WB_OK ||
	    v == NULL) {
		return rc;
	}
	if (!wb_epcis_time_parse(&t, json_string_value(v))) {
		m = push(r, ".%s", name);
		rc = refuse(
		        r,
		        "\"%.40s\" is not an RFC 3339 date-time with offset (e.g. 2024-05-01T09:30:00.000+02:00)",
		        json_string_value(v));
		pop(r, m);
		return rc;
	}
	*out = json_string_value(v);
	return WB_OK;
}

static wb_err
add_item(rdoc *r, wb_epcis_item_kind kind, const json_t *event,
         const json_t *context)
{
	wb_epcis_doc *d = r->d;
	wb_epcis_item *it;

	if (d->n_items == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		wb_epcis_item *n = realloc(d->items, cap * sizeof(*n));

		if (n == NULL) {
			return WB_ENOMEM;
		}
		d->items = n;
		r->cap = cap;
	}
	it = &d->items[d->n_items++];
	it->kind = kind;
	snprintf(it->path, sizeof(it->path), "%s", r->path);
	it->event = event;
	it->context = context;
	if (kind == WB_EPCIS_ITEM_MASTER_DATA) {
		d->n_master_data++;
	} else {
		d->n_events++;
	}
	return WB_OK;
}

/* The offset of an RFC 3339 date-time as an eventTimeZoneOffset ("Z" is
 * +00:00). */
static void
offset_of(char out[7], const char *when)
{
	size_t n = strlen(when);
	int minutes;

	snprintf(out, 7, "+00:00");
	if (n >= 6 && (when[n - 6] == '+' || when[n - 6] == '-') &&
	    wb_epcis_tz_parse(&minutes, when + n - 6)) {
		memcpy(out, when + n - 6, 6);
	}
}

/* One vocabulary element as a waybill:MasterDataEvent, dated at the
 * document's creation. */
static wb_err
element(rdoc *r, const json_t *el, const char *vtype)
{
	static const char *const names[] = { "id", "attributes", "children" };
	const json_t *id, *attrs, *children, *v;
	json_t *ev, *md;
	char tz[7];
	const char *key;
	size_t i, m;
	wb_err rc;

	if (!json_is_object(el)) {
		return refuse(r, "%s, not a vocabulary element (an object)",
		              type_of(el));
	}
	json_object_foreach((json_t *)el, key, v)
	{
		if (unknown_member(key, names, 3) || strchr(key, ':') != NULL) {
			m = push(r, ".%s", key);
			rc = refuse(
			        r,
			        "not a field of a vocabulary element (id, attributes, children)");
			pop(r, m);
			return rc;
		}
	}
	if ((rc = member(r, el, "id", JSON_STRING, "the element's ID (a URI)",
	                 true, &id)) != WB_OK ||
	    (rc = member(r, el, "attributes", JSON_ARRAY,
	                 "a list of attributes", false, &attrs)) != WB_OK ||
	    (rc = member(r, el, "children", JSON_ARRAY, "a list of child IDs",
	                 false, &children)) != WB_OK) {
		return rc;
	}
	json_array_foreach(attrs, i, v)
	{
		const json_t *aid, *val;

		m = push(r, ".attributes[%zu]", i);
		if (!json_is_object(v)) {
			rc = refuse(r, "%s, not an attribute (an object)",
			            type_of(v));
		} else if ((rc = member(r, v, "id", JSON_STRING,
		                        "the attribute's name (a URI)", true,
		                        &aid)) == WB_OK &&
		           (val = json_object_get(v, "attribute")) == NULL) {
			size_t k = push(r, ".attribute");

			rc = refuse(
			        r,
			        "missing (the attribute's value: waybill records attributes with their values)");
			pop(r, k);
		}
		pop(r, m);
		if (rc != WB_OK) {
			return rc;
		}
	}
	json_array_foreach(children, i, v)
	{
		if (!json_is_string(v)) {
			m = push(r, ".children[%zu]", i);
			rc = refuse(r, "%s, not a child ID (a URI)",
			            type_of(v));
			pop(r, m);
			return rc;
		}
	}
	/* The event lives in built_ from here on, whatever fails next. */
	offset_of(tz, r->d->creation_date);
	if ((ev = json_object()) == NULL ||
	    json_array_append_new(r->d->built_, ev) != 0 ||
	    (md = json_object()) == NULL ||
	    json_object_set_new(ev, WB_EPCIS_KEY_MASTER_DATA, md) != 0 ||
	    json_object_set_new(ev, "type",
	                        json_string("waybill:MasterDataEvent")) != 0 ||
	    json_object_set_new(ev, "eventTime",
	                        json_string(r->d->creation_date)) != 0 ||
	    json_object_set_new(ev, "eventTimeZoneOffset", json_string(tz)) !=
	            0 ||
	    json_object_set_new(md, "type", json_string(vtype)) != 0 ||
	    json_object_set_new(md, "id", json_deep_copy(id)) != 0 ||
	    (attrs != NULL &&
	     json_object_set_new(md, "attributes", json_deep_copy(attrs)) !=
	             0) ||
	    (children != NULL &&
	     json_object_set_new(md, "children", json_deep_copy(children)) !=
	             0)) {
		return WB_ENOMEM;
	}
	return add_item(r, WB_EPCIS_ITEM_MASTER_DATA, ev, r->d->context);
}

/* A vocabularyList: each vocabulary's elements. */
static wb_err
vocabularies(rdoc *r, const json_t *list)
{
	static const char *const names[] = { "type", "vocabularyElementList" };
	const json_t *voc, *type, *els, *el;
	const char *key;
	size_t i, j, m, k;
	wb_err rc = WB_OK;

	json_array_foreach(list, i, voc)
	{
		m = push(r, "[%zu]", i);
		if (!json_is_object(voc)) {
			rc = refuse(r, "%s, not a vocabulary (an object)",
			            type_of(voc));
			goto next;
		}
		json_object_foreach((json_t *)voc, key, el)
		{
			if (unknown_member(key, names, 2) ||
			    strchr(key, ':') != NULL) {
				k = push(r, ".%s", key);
				rc = refuse(
				        r,
				        "not a field of a vocabulary (type, vocabularyElementList)");
				pop(r, k);
				goto next;
			}
		}
		if ((rc = member(
		             r, voc, "type", JSON_STRING,
		             "the vocabulary type, e.g. urn:epcglobal:epcis:vtype:BusinessLocation",
		             true, &type)) != WB_OK ||
		    (rc = member(r, voc, "vocabularyElementList", JSON_ARRAY,
		                 "a list of vocabulary elements", false,
		                 &els)) != WB_OK) {
			goto next;
		}
		json_array_foreach(els, j, el)
		{
			k = push(r, ".vocabularyElementList[%zu]", j);
			rc = element(r, el, json_string_value(type));
			pop(r, k);
			if (rc != WB_OK) {
				break;
			}
		}
	next:
		pop(r, m);
		if (rc != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

static wb_err
header(rdoc *r, const json_t *doc)
{
	static const char *const names[] = { "epcisMasterData" };
	const json_t *h, *md, *list, *v;
	const char *key;
	size_t m;
	wb_err rc;

	if ((rc = member(r, doc, "epcisHeader", JSON_OBJECT,
	                 "a header (an object)", false, &h)) != WB_OK ||
	    h == NULL) {
		return rc;
	}
	m = push(r, ".epcisHeader");
	json_object_foreach((json_t *)h, key, v)
	{
		if (unknown_member(key, names, 1)) {
			size_t k = push(r, ".%s", key);

			rc = refuse(
			        r,
			        "not a field of epcisHeader (epcisMasterData, or namespaced extension fields)");
			pop(r, k);
			goto out;
		}
	}
	if ((rc = member(r, h, "epcisMasterData", JSON_OBJECT,
	                 "master data (an object)", false, &md)) != WB_OK ||
	    md == NULL) {
		goto out;
	}
	push(r, ".epcisMasterData");
	if ((rc = member(r, md, "vocabularyList", JSON_ARRAY,
	                 "a list of vocabularies", false, &list)) == WB_OK &&
	    list != NULL) {
		push(r, ".vocabularyList");
		rc = vocabularies(r, list);
	}
out:
	pop(r, m);
	return rc;
}

/*
 * The prefix declarations of a document's @context (its objects), which a
 * stamp must keep: the mapper keeps only an event's own @context, and an
 * extension field's namespace IRI would otherwise be lost with the
 * document. NULL when the document declares none. Owned by built_.
 */
static wb_err
declarations(rdoc *r, json_t **out)
{
	const json_t *ctx = r->d->context, *v;
	json_t *objs;
	size_t i;

	*out = NULL;
	if (json_is_object(ctx)) {
		objs = json_deep_copy(ctx);
	} else if (json_is_array(ctx)) {
		if ((objs = json_array()) == NULL) {
			return WB_ENOMEM;
		}
		json_array_foreach(ctx, i, v)
		{
			if (json_is_object(v) &&
			    json_array_append_new(objs, json_deep_copy(v)) !=
			            0) {
				json_decref(objs);
				return WB_ENOMEM;
			}
		}
		if (json_array_size(objs) == 0) {
			json_decref(objs);
			return WB_OK;
		}
		if (json_array_size(objs) == 1) {
			json_t *one = json_incref(json_array_get(objs, 0));

			json_decref(objs);
			objs = one;
		}
	} else {
		return WB_OK;
	}
	if (objs == NULL || json_array_append_new(r->d->built_, objs) != 0) {
		return WB_ENOMEM;
	}
	*out = objs;
	return WB_OK;
}

/* A document's event as the stamp keeps it: a shallow copy whose own
 * @context holds the document's prefix declarations (before the event's
 * own, which may redefine them). Owned by built_. */
static wb_err
with_declarations(rdoc *r, const json_t *ev, json_t *decl, const json_t **out)
{
	const json_t *own = json_object_get(ev, "@context");
	json_t *copy, *ctx;

	*out = ev;
	if (decl == NULL || !json_is_object(ev)) {
		return WB_OK;
	}
	if (own == NULL) {
		ctx = json_incref(decl);
	} else if ((ctx = json_array()) != NULL) {
		if (json_is_array(decl) ? json_array_extend(ctx, decl) != 0
		                        : json_array_append(ctx, decl) != 0) {
			json_decref(ctx);
			return WB_ENOMEM;
		}
		if (json_is_array(own)
		            ? json_array_extend(ctx, (json_t *)own) != 0
		            : json_array_append(ctx, (json_t *)own) != 0) {
			json_decref(ctx);
			return WB_ENOMEM;
		}
	}
	if (ctx == NULL || (copy = json_copy((json_t *)ev)) == NULL) {
		json_decref(ctx);
		return WB_ENOMEM;
	}
	if (json_array_append_new(r->d->built_, copy) != 0 ||
	    json_object_set_new(copy, "@context", ctx) != 0) {
		return WB_ENOMEM;
	}
	*out = copy;
	return WB_OK;
}

/* The events of list, at path prefix (already pushed). */
static wb_err
events(rdoc *r, const json_t *list, const json_t *context)
{
	const json_t *ev, *item;
	json_t *decl = NULL;
	size_t i, m;
	wb_err rc;

	if (context != NULL && (rc = declarations(r, &decl)) != WB_OK) {
		return rc;
	}
	json_array_foreach(list, i, ev)
	{
		m = push(r, "[%zu]", i);
		if ((rc = with_declarations(r, ev, decl, &item)) == WB_OK) {
			rc = add_item(r, WB_EPCIS_ITEM_EVENT, item, context);
		}
		pop(r, m);
		if (rc != WB_OK) {
			return rc;
		}
	}
	return WB_OK;
}

static wb_err
document(rdoc *r, const json_t *doc, bool query)
{
	const json_t *body, *qr, *rb, *list, *vocs, *v;
	const char *key;
	size_t m;
	wb_err rc;

	json_object_foreach((json_t *)doc, key, v)
	{
		if (unknown_member(key, doc_members,
		                   sizeof(doc_members) /
		                           sizeof(doc_members[0]))) {
			m = push(r, ".%s", key);
			rc = refuse(
			        r,
			        "not a field of an %s (extension fields need a namespace prefix)",
			        query ? "EPCISQueryDocument" : "EPCISDocument");
			pop(r, m);
			return rc;
		}
	}
	r->d->context = json_object_get(doc, "@context");
	if ((rc = check_context(r, r->d->context)) != WB_OK ||
	    (rc = check_version(r, doc)) != WB_OK ||
	    (rc = check_time(r, doc, "creationDate", true,
	                     &r->d->creation_date)) != WB_OK ||
	    (rc = member(r, doc, "id", JSON_STRING, "a document ID (a URI)",
	                 false, &v)) != WB_OK ||
	    (rc = member(r, doc, "instanceIdentifier", JSON_STRING, "a string",
	                 false, &v)) != WB_OK ||
	    (rc = member(r, doc, "sender", JSON_STRING, "a string", false,
	                 &v)) != WB_OK ||
	    (rc = member(r, doc, "receiver", JSON_STRING, "a string", false,
	                 &v)) != WB_OK ||
	    (rc = header(r, doc)) != WB_OK ||
	    (rc = member(r, doc, "epcisBody", JSON_OBJECT,
	                 "the body that holds the events (an object)", true,
	                 &body)) != WB_OK) {
		return rc;
	}
	push(r, ".epcisBody");
	if (!query) {
		if ((rc = member(r, body, "eventList", JSON_ARRAY,
		                 "the list of events (an array)", true,
		                 &list)) != WB_OK) {
			return rc;
		}
		push(r, ".eventList");
		return events(r, list, r->d->context);
	}
	if ((rc = member(r, body, "queryResults", JSON_OBJECT,
	                 "the query's results (an object)", true, &qr)) !=
	    WB_OK) {
		return rc;
	}
	push(r, ".queryResults");
	if ((rc = member(r, qr, "queryName", JSON_STRING,
	                 "the name of the query, e.g. SimpleEventQuery", true,
	                 &v)) != WB_OK ||
	    (rc = member(r, qr, "subscriptionID", JSON_STRING, "a string",
	                 false, &v)) != WB_OK ||
	    (rc = member(r, qr, "resultsBody", JSON_OBJECT,
	                 "the results (an object)", true, &rb)) != WB_OK) {
		return rc;
	}
	push(r, ".resultsBody");
	if ((rc = member(r, rb, "eventList", JSON_ARRAY,
	                 "the list of events (an array)", true, &list)) !=
	            WB_OK ||
	    (rc = member(r, rb, "vocabularyList", JSON_ARRAY,
	                 "a list of vocabularies", false, &vocs)) != WB_OK) {
		return rc;
	}
	if (vocs != NULL) {
		m = push(r, ".vocabularyList");
		rc = vocabularies(r, vocs);
		pop(r, m);
		if (rc != WB_OK) {
			return rc;
		}
	}
	push(r, ".eventList");
	return events(r, list, r->d->context);
}

/* Master data first: the events may name the places it describes. */
static void
master_data_first(wb_epcis_doc *d)
{
	size_t w = 0;

	for (size_t i = 0; i < d->n_items; i++) {
		if (d->items[i].kind == WB_EPCIS_ITEM_MASTER_DATA) {
			wb_epcis_item t = d->items[i];

			memmove(&d->items[w + 1], &d->items[w],
			        (i - w) * sizeof(t));
			d->items[w++] = t;
		}
	}
}

wb_err
wb_epcis_doc_read(wb_epcis_doc **out, const json_t *root, wb_problem *p)
{
	rdoc r = { .p = p, .path = "$" };
	const char *type;
	wb_err rc;

	WB_CHECK_ARG(out && root);
	*out = NULL;
	if (p != NULL) {
		p->reason = WB_REJECT_NONE;
		p->msg[0] = '\0';
	}
	if ((r.d = calloc(1, sizeof(*r.d))) == NULL ||
	    (r.d->built_ = json_array()) == NULL) {
		free(r.d);
		return WB_ENOMEM;
	}
	type = json_string_value(json_object_get(root, "type"));
	if (json_is_array(root)) {
		r.d->form = WB_EPCIS_DOC_LIST;
		rc = events(&r, root, NULL);
	} else if (!json_is_object(root)) {
		rc = refuse(
		        &r,
		        "%s, not an EPCIS document, an event or a list of events",
		        type_of(root));
	} else if (type != NULL && strcmp(type, "EPCISDocument") == 0) {
		r.d->form = WB_EPCIS_DOC_DOCUMENT;
		rc = document(&r, root, false);
	} else if (type != NULL && strcmp(type, "EPCISQueryDocument") == 0) {
		r.d->form = WB_EPCIS_DOC_QUERY;
		rc = document(&r, root, true);
	} else if (json_object_get(root, "type") == NULL &&
	           (json_object_get(root, "epcisBody") != NULL ||
	            json_object_get(root, "epcisHeader") != NULL)) {
		/* A document that forgot its type, not an event. */
		push(&r, ".type");
		rc = refuse(
		        &r,
		        "missing: a document states its type (EPCISDocument or EPCISQueryDocument)");
	} else {
		r.d->form = WB_EPCIS_DOC_EVENT;
		rc = add_item(&r, WB_EPCIS_ITEM_EVENT, root, NULL);
	}
	if (rc != WB_OK) {
		wb_epcis_doc_free(r.d);
		return rc;
	}
	master_data_first(r.d);
	*out = r.d;
	return WB_OK;
}

void
wb_epcis_doc_free(wb_epcis_doc *d)
{
	if (d == NULL) {
		return;
	}
	free(d->items);
	json_decref(d->built_);
	free(d);
}

wb_err
wb_epcis_doc_stamp(wb_stamp **out, const wb_epcis_doc *d, size_t i,
                   const uint8_t ledger_id[WB_HASH_LEN], wb_problem *p)
{
	static const char md_prefix[] = "$." WB_EPCIS_KEY_MASTER_DATA;
	const wb_epcis_item *it;
	char msg[sizeof(p->msg)];
	const char *rest, *sep = "";
	size_t n;
	wb_err rc;

	WB_CHECK_ARG(out && d && ledger_id && i < d->n_items);
	it = &d->items[i];
	rc = wb_epcis_event_from_json(out, it->event, it->context, ledger_id,
	                              p);
	if (rc != WB_EPROTO || p == NULL) {
		return rc;
	}
	rest = p->msg;
	/* The mapper's paths start at the event ("$"); put the item's path
	 * in the document in its place. A master-data event's block is the
	 * vocabulary element itself. */
	if (it->kind == WB_EPCIS_ITEM_MASTER_DATA &&
	    strncmp(p->msg, md_prefix, sizeof(md_prefix) - 1) == 0) {
		rest = p->msg + sizeof(md_prefix) - 1;
	} else if (p->msg[0] == '$') {
		rest = p->msg + 1;
	} else {
		sep = ": ";
	}
	/* Long messages lose their end, never the path. */
	n = strlen(it->path);
	memcpy(msg, it->path, n);
	for (const char *c = sep; *c != '\0' && n + 1 < sizeof(msg); c++) {
		msg[n++] = *c;
	}
	for (const char *c = rest; *c != '\0' && n + 1 < sizeof(msg); c++) {
		msg[n++] = *c;
	}
	msg[n] = '\0';
	memcpy(p->msg, msg, sizeof(msg));
	return rc;
}
