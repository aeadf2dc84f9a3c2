/* SPDX-License-Identifier: MIT */
/*
 * epcis_write.c - a stamp as one EPCIS 2.0 event in JSON.
 *
 * The inverse of epcis_read.c; docs/epcis.md has the mapping. The writer
 * is generic: it writes every field a stamp has set, under the name its
 * kind uses (epcList for object events, childEPCs for aggregations), so a
 * stamp the reader made comes back as the event it was read from.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "epcis_impl.h"
#include "internal.h"
#include "waybill/epcis.h"

const wb_epcis_field wb_epcis_metadata_fields[] = {
	{ "time", WB_EPCIS_F_TIME, offsetof(wb_sensor_metadata, time), 0 },
	{ "startTime", WB_EPCIS_F_TIME,
	  offsetof(wb_sensor_metadata, start_time), 0 },
	{ "endTime", WB_EPCIS_F_TIME, offsetof(wb_sensor_metadata, end_time),
	  0 },
	{ "deviceID", WB_EPCIS_F_STRING,
	  offsetof(wb_sensor_metadata, device_id), 0 },
	{ "deviceMetadata", WB_EPCIS_F_STRING,
	  offsetof(wb_sensor_metadata, device_metadata), 0 },
	{ "rawData", WB_EPCIS_F_STRING, offsetof(wb_sensor_metadata, raw_data),
	  0 },
	{ "dataProcessingMethod", WB_EPCIS_F_STRING,
	  offsetof(wb_sensor_metadata, data_processing_method), 0 },
	{ "bizRules", WB_EPCIS_F_STRING,
	  offsetof(wb_sensor_metadata, biz_rules), 0 },
};
const size_t wb_epcis_n_metadata_fields =
        sizeof(wb_epcis_metadata_fields) / sizeof(wb_epcis_metadata_fields[0]);

#define REPORT_STR(json, field)                                               \
	{                                                                     \
		json, WB_EPCIS_F_STRING, offsetof(wb_sensor_report, field), 0 \
	}
#define REPORT_NUM(json, field)                                             \
	{                                                                   \
		json, WB_EPCIS_F_NUMBER, offsetof(wb_sensor_report, field), \
		        offsetof(wb_sensor_report, has_##field)             \
	}

const wb_epcis_field wb_epcis_report_fields[] = {
	REPORT_STR("type", type),
	REPORT_STR("exception", exception),
	REPORT_STR("deviceID", device_id),
	REPORT_STR("deviceMetadata", device_metadata),
	REPORT_STR("rawData", raw_data),
	REPORT_STR("dataProcessingMethod", data_processing_method),
	{ "time", WB_EPCIS_F_TIME, offsetof(wb_sensor_report, time), 0 },
	REPORT_STR("microorganism", microorganism),
	REPORT_STR("chemicalSubstance", chemical_substance),
	REPORT_NUM("value", value),
	REPORT_STR("component", component),
	REPORT_STR("stringValue", string_value),
	{ "booleanValue", WB_EPCIS_F_BOOL,
	  offsetof(wb_sensor_report, boolean_value),
	  offsetof(wb_sensor_report, has_boolean_value) },
	REPORT_STR("hexBinaryValue", hex_binary_value),
	REPORT_STR("uriValue", uri_value),
	REPORT_NUM("minValue", min_value),
	REPORT_NUM("maxValue", max_value),
	REPORT_NUM("meanValue", mean_value),
	REPORT_NUM("sDev", s_dev),
	REPORT_NUM("percRank", perc_rank),
	REPORT_NUM("percValue", perc_value),
	REPORT_STR("uom", uom),
	REPORT_STR("coordinateReferenceSystem", coordinate_reference_system),
	REPORT_STR("bizRules", biz_rules),
};
const size_t wb_epcis_n_report_fields =
        sizeof(wb_epcis_report_fields) / sizeof(wb_epcis_report_fields[0]);

#undef REPORT_STR
#undef REPORT_NUM

const char *
wb_epcis_type_name(wb_kind kind)
{
	switch (kind) {
	case WB_KIND_OBJECT:
		return "ObjectEvent";
	case WB_KIND_AGGREGATION:
		return "AggregationEvent";
	case WB_KIND_TRANSFORMATION:
		return "TransformationEvent";
	case WB_KIND_TRANSACTION:
		return "TransactionEvent";
	case WB_KIND_ASSOCIATION:
		return "AssociationEvent";
	case WB_KIND_RECALL:
		return "waybill:RecallEvent";
	case WB_KIND_LIFT:
		return "waybill:LiftEvent";
	case WB_KIND_MASTER_DATA:
		return "waybill:MasterDataEvent";
	default:
		return NULL;
	}
}

/* Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day
 * number counted from 1970-01-01. */
static void
civil_from_days(int64_t z, int64_t *y_out, unsigned *m_out, unsigned *d_out)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	*d_out = doy - (153 * mp + 2) / 5 + 1;
	*m_out = m;
	*y_out = (int64_t)yoe + era * 400 + (m <= 2);
}

bool
wb_epcis_time_format(char out[40], const wb_time *t, const char *tz)
{
	/* 0000-01-01T00:00:00 and 9999-12-31T23:59:59 in the offset written,
	 * kept away from the int64 edges so adding an offset cannot
	 * overflow: the instant itself may be up to a day (more than any
	 * offset) beyond them in UTC. */
	const int64_t lo = -62167219200, hi = 253402300799;
	int minutes = 0;
	char zone[8] = "Z";
	char frac[12] = "";
	int64_t local, days, secs, y;
	unsigned mo, d;

	if (t->seconds < lo - 86400 || t->seconds > hi + 86400 ||
	    t->nanos > 999999999u) {
		return false;
	}
	if (tz != NULL && wb_epcis_tz_parse(&minutes, tz)) {
		snprintf(zone, sizeof(zone), "%s", tz);
	}
	local = t->seconds + (int64_t)minutes * 60;
	if (local < lo || local > hi) {
		return false;
	}
	days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	secs = local - days * 86400;
	civil_from_days(days, &y, &mo, &d);
	if (t->nanos != 0) {
		if (t->nanos % 1000000 == 0) {
			snprintf(frac, sizeof(frac), ".%03u",
			         t->nanos / 1000000);
		} else if (t->nanos % 1000 == 0) {
			snprintf(frac, sizeof(frac), ".%06u", t->nanos / 1000);
		} else {
			snprintf(frac, sizeof(frac), ".%09u", t->nanos);
		}
	}
	snprintf(out, 40, "%04d-%02u-%02uT%02d:%02d:%02d%s%s", (int)y, mo, d,
	         (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
	         frac, zone);
	return true;
}

/*
 * The writer keeps the first error and turns every later step into a
 * no-op, so the event is assembled in one straight pass.
 */
typedef struct {
	wb_err rc;
	const char *tz; /* the event's offset: every instant is written in it */
} wr;

static void
bad(wr *w, wb_err rc)
{
	if (w->rc == WB_OK) {
		w->rc = rc;
	}
}

/* Takes v (a new reference, or NULL after a failure) into obj. */
static void
put(wr *w, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL) {
		bad(w, WB_EINVAL);
		return;
	}
	if (w->rc != WB_OK) {
		json_decref(v);
		return;
	}
	/* json_object_set_new() releases v even when it fails (a key that
	 * is not UTF-8, or no memory): v must not be released again. */
	if (json_object_set_new(obj, key, v) != 0) {
		bad(w, WB_EINVAL);
	}
}

/* jansson refuses invalid UTF-8; a stamp holding some cannot be written. */
static json_t *
str(wr *w, const char *s)
{
	json_t *v = json_string(s);

	if (v == NULL) {
		bad(w, WB_EINVAL);
	}
	return v;
}

static void
put_str(wr *w, json_t *obj, const char *key, const char *s)
{
	if (s != NULL) {
		put(w, obj, key, str(w, s));
	}
}

/* Whole numbers as JSON integers (150, not 150.0), the rest as reals. */
static json_t *
num(wr *w, double v)
{
	json_t *j;

	if (!isfinite(v)) {
		bad(w, WB_EINVAL);
		return NULL;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		j = json_integer((json_int_t)v);
	} else {
		j = json_real(v);
	}
	if (j == NULL) {
		bad(w, WB_ENOMEM);
	}
	return j;
}

static json_t *
instant(wr *w, const wb_time *t)
{
	char buf[40];

	if (!wb_epcis_time_format(buf, t, w->tz)) {
		bad(w, WB_EINVAL);
		return NULL;
	}
	return str(w, buf);
}

/* JSON text kept in a stamp (extension values, ILMD, @context). */
static json_t *
raw(wr *w, const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	if (v == NULL) {
		bad(w, WB_EINVAL);
	}
	return v;
}

static void
put_strs(wr *w, json_t *obj, const char *key, const char *const *s, size_t n)
{
	json_t *arr;

	if (n == 0) {
		return;
	}
	if ((arr = json_array()) == NULL) {
		bad(w, WB_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n && w->rc == WB_OK; i++) {
		json_t *v = str(w, s[i]);

		if (v != NULL && json_array_append_new(arr, v) != 0) {
			bad(w, WB_ENOMEM);
		}
	}
	put(w, obj, key, arr);
}

/* Extension fields: a JSON object whose members join obj. */
static void
merge(wr *w, json_t *obj, const char *ext)
{
	json_t *v;

	if (ext == NULL || w->rc != WB_OK) {
		return;
	}
	if ((v = raw(w, ext)) == NULL) {
		return;
	}
	if (!json_is_object(v)) {
		bad(w, WB_EINVAL);
	} else if (json_object_update(obj, v) != 0) {
		bad(w, WB_ENOMEM);
	}
	json_decref(v);
}

static json_t *
object(wr *w)
{
	json_t *o = json_object();

	if (o == NULL) {
		bad(w, WB_ENOMEM);
	}
	return o;
}

static void
put_quantities(wr *w, json_t *obj, const char *key, const wb_quantity *q,
               size_t n)
{
	json_t *arr;

	if (n == 0 || (arr = json_array()) == NULL) {
		bad(w, n == 0 ? WB_OK : WB_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n && w->rc == WB_OK; i++) {
		json_t *e = object(w);

		if (e == NULL) {
			break;
		}
		put_str(w, e, "epcClass", q[i].epc_class);
		if (q[i].has_quantity) {
			put(w, e, "quantity", num(w, q[i].quantity));
		}
		put_str(w, e, "uom", q[i].uom);
		if (json_array_append_new(arr, e) != 0) {
			bad(w, WB_ENOMEM);
		}
	}
	put(w, obj, key, arr);
}

static void
put_typed(wr *w, json_t *obj, const char *key, const char *value_key,
          const wb_typed_value *t, size_t n)
{
	json_t *arr;

	if (n == 0 || (arr = json_array()) == NULL) {
		bad(w, n == 0 ? WB_OK : WB_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n && w->rc == WB_OK; i++) {
		json_t *e = object(w);

		if (e == NULL) {
			break;
		}
		put_str(w, e, "type", t[i].type);
		put_str(w, e, value_key, t[i].value);
		if (json_array_append_new(arr, e) != 0) {
			bad(w, WB_ENOMEM);
		}
	}
	put(w, obj, key, arr);
}

static void
put_location(wr *w, json_t *obj, const char *key, const wb_location *l)
{
	json_t *o;

	if (l == NULL || (o = object(w)) == NULL) {
		return;
	}
	put_str(w, o, "id", l->id);
	merge(w, o, l->extensions_json);
	put(w, obj, key, o);
}

/* The scalar fields of a sensor struct, driven by the shared table. */
static void
put_fields(wr *w, json_t *o, const void *base, const wb_epcis_field *f,
           size_t n)
{
	const char *p = base;

	for (size_t i = 0; i < n; i++) {
		const void *at = p + f[i].off;

		switch (f[i].type) {
		case WB_EPCIS_F_STRING:
			put_str(w, o, f[i].name, *(const char *const *)at);
			break;
		case WB_EPCIS_F_TIME:
			if (*(const wb_time *const *)at != NULL) {
				put(w, o, f[i].name,
				    instant(w, *(const wb_time *const *)at));
			}
			break;
		case WB_EPCIS_F_NUMBER:
			if (*(const bool *)(p + f[i].has_off)) {
				put(w, o, f[i].name,
				    num(w, *(const double *)at));
			}
			break;
		case WB_EPCIS_F_BOOL:
			if (*(const bool *)(p + f[i].has_off)) {
				put(w, o, f[i].name,
				    json_boolean(*(const bool *)at));
			}
			break;
		}
	}
}

static void
put_sensors(wr *w, json_t *obj, const wb_sensor_element *el, size_t n)
{
	json_t *arr;

	if (n == 0 || (arr = json_array()) == NULL) {
		bad(w, n == 0 ? WB_OK : WB_ENOMEM);
		return;
	}
	for (size_t i = 0; i < n && w->rc == WB_OK; i++) {
		json_t *e = object(w), *reports;

		if (e == NULL) {
			break;
		}
		if (el[i].metadata != NULL) {
			json_t *m = object(w);

			if (m != NULL) {
				put_fields(w, m, el[i].metadata,
				           wb_epcis_metadata_fields,
				           wb_epcis_n_metadata_fields);
				merge(w, m, el[i].metadata->extensions_json);
				put(w, e, "sensorMetadata", m);
			}
		}
		if ((reports = json_array()) == NULL) {
			bad(w, WB_ENOMEM);
		}
		for (size_t j = 0; reports && j < el[i].n_reports; j++) {
			json_t *r = object(w);

			if (r == NULL) {
				break;
			}
			put_fields(w, r, &el[i].reports[j],
			           wb_epcis_report_fields,
			           wb_epcis_n_report_fields);
			merge(w, r, el[i].reports[j].extensions_json);
			if (json_array_append_new(reports, r) != 0) {
				bad(w, WB_ENOMEM);
			}
		}
		put(w, e, "sensorReport", reports);
		merge(w, e, el[i].extensions_json);
		if (json_array_append_new(arr, e) != 0) {
			bad(w, WB_ENOMEM);
		}
	}
	put(w, obj, "sensorElementList", arr);
}

static void
put_error_declaration(wr *w, json_t *obj, const wb_error_declaration *d)
{
	json_t *o;

	if (d == NULL || (o = object(w)) == NULL) {
		return;
	}
	put(w, o, "declarationTime", instant(w, &d->declaration_time));
	put_str(w, o, "reason", d->reason);
	if (d->n_corrective_event_ids > 0) {
		put_strs(w, o, "correctiveEventIDs", d->corrective_event_ids,
		         d->n_corrective_event_ids);
	}
	merge(w, o, d->extensions_json);
	put(w, obj, "errorDeclaration", o);
}

/* text as a JSON string, json as the JSON value it holds. */
static json_t *
attribute_value(wr *w, const wb_attribute *a)
{
	if (a->text != NULL) {
		return str(w, a->text);
	}
	if (a->json != NULL) {
		return raw(w, a->json);
	}
	bad(w, WB_EINVAL);
	return NULL;
}

/* A key written without a prefix lands in the waybill namespace. */
static void
put_attributes(wr *w, json_t *obj, const wb_attribute *a, size_t n)
{
	for (size_t i = 0; i < n && w->rc == WB_OK; i++) {
		char key[320];

		if (a[i].key == NULL) {
			bad(w, WB_EINVAL);
			return;
		}
		if (strchr(a[i].key, ':') != NULL) {
			put(w, obj, a[i].key, attribute_value(w, &a[i]));
		} else if (snprintf(key, sizeof(key), "%s:%s",
		                    WB_EPCIS_NS_PREFIX,
		                    a[i].key) < (int)sizeof(key)) {
			put(w, obj, key, attribute_value(w, &a[i]));
		} else {
			bad(w, WB_EINVAL);
		}
	}
}

static const char *
severity_name(wb_recall_class c)
{
	switch (c) {
	case WB_RECALL_CLASS_I:
		return "I";
	case WB_RECALL_CLASS_II:
		return "II";
	case WB_RECALL_CLASS_III:
		return "III";
	default:
		return NULL;
	}
}

static void
put_recall(wr *w, json_t *obj, const wb_recall *r)
{
	json_t *o;

	if (r == NULL || (o = object(w)) == NULL) {
		return;
	}
	if (r->n_targets > 0) {
		put_strs(w, o, "targets", r->targets, r->n_targets);
	} else {
		put(w, o, "targets", json_array());
	}
	put_str(w, o, "reason", r->reason);
	if (r->has_severity) {
		const char *name = severity_name(r->severity);

		put(w, o, "severity", name ? str(w, name) : NULL);
	}
	put_str(w, o, "reference", r->reference);
	put(w, obj, WB_EPCIS_KEY_RECALL, o);
}

static void
put_lift(wr *w, json_t *obj, const wb_lift *l)
{
	json_t *o;

	if (l == NULL || (o = object(w)) == NULL) {
		return;
	}
	if (l->recall_index > (uint64_t)INT64_MAX) {
		bad(w, WB_EINVAL);
	} else {
		put(w, o, "recallIndex",
		    json_integer((json_int_t)l->recall_index));
	}
	put_strs(w, o, "targets", l->targets, l->n_targets);
	put_str(w, o, "reason", l->reason);
	put(w, obj, WB_EPCIS_KEY_LIFT, o);
}

/* The EPCIS vocabulary element form: id, attributes [{id, attribute}],
 * children, with the vocabulary's type beside them. */
static void
put_master_data(wr *w, json_t *obj, const wb_master_data *m)
{
	json_t *o, *attrs;

	if (m == NULL || (o = object(w)) == NULL) {
		return;
	}
	put_str(w, o, "type", m->vocabulary_type);
	put_str(w, o, "id", m->element_id);
	if (m->n_attributes > 0) {
		if ((attrs = json_array()) == NULL) {
			bad(w, WB_ENOMEM);
		}
		for (size_t i = 0; attrs && i < m->n_attributes; i++) {
			json_t *a = object(w);

			if (a == NULL) {
				break;
			}
			put_str(w, a, "id", m->attributes[i].key);
			put(w, a, "attribute",
			    attribute_value(w, &m->attributes[i]));
			if (json_array_append_new(attrs, a) != 0) {
				bad(w, WB_ENOMEM);
			}
		}
		put(w, o, "attributes", attrs);
	}
	put_strs(w, o, "children", m->children, m->n_children);
	put(w, obj, WB_EPCIS_KEY_MASTER_DATA, o);
}

/* The event's extension fields, less the note of lists written empty
 * (epcis_read.c), which puts those lists back as []. */
static void
merge_top(wr *w, json_t *ev, const char *ext)
{
	json_t *v, *empties;

	if (ext == NULL || w->rc != WB_OK || (v = raw(w, ext)) == NULL) {
		return;
	}
	if (!json_is_object(v)) {
		bad(w, WB_EINVAL);
		json_decref(v);
		return;
	}
	empties = json_incref(json_object_get(v, WB_EPCIS_KEY_EMPTY_LISTS));
	json_object_del(v, WB_EPCIS_KEY_EMPTY_LISTS);
	if (json_object_update(ev, v) != 0) {
		bad(w, WB_ENOMEM);
	}
	for (size_t i = 0; i < json_array_size(empties); i++) {
		const char *name =
		        json_string_value(json_array_get(empties, i));
		const char *dot = name != NULL ? strchr(name, '.') : NULL;
		json_t *at = ev;
		char parent[64];

		if (name == NULL) {
			continue;
		}
		if (dot != NULL) {
			snprintf(parent, sizeof(parent), "%.*s",
			         (int)(dot - name), name);
			at = json_object_get(ev, parent);
			name = dot + 1;
		}
		if (json_is_object(at) && json_object_get(at, name) == NULL &&
		    json_object_set_new(at, name, json_array()) != 0) {
			bad(w, WB_ENOMEM);
		}
	}
	json_decref(empties);
	json_decref(v);
}

static const char *
action_name(wb_action a)
{
	switch (a) {
	case WB_ACTION_ADD:
		return "ADD";
	case WB_ACTION_OBSERVE:
		return "OBSERVE";
	case WB_ACTION_DELETE:
		return "DELETE";
	default:
		return NULL;
	}
}

static void
write_event(wr *w, json_t *ev, const wb_stamp *s)
{
	const char *type = wb_epcis_type_name(s->kind);
	bool children = s->kind == WB_KIND_AGGREGATION ||
	                s->kind == WB_KIND_ASSOCIATION;

	if (type == NULL || s->event_tz_offset == NULL) {
		bad(w, WB_EINVAL);
		return;
	}
	if (s->context_json != NULL) {
		put(w, ev, "@context", raw(w, s->context_json));
	}
	put_str(w, ev, "type", type);
	put_str(w, ev, "eventID", s->event_id);
	put(w, ev, "eventTime", instant(w, &s->event_time));
	put_str(w, ev, "eventTimeZoneOffset", s->event_tz_offset);
	if (s->has_action) {
		const char *name = action_name(s->action);

		put(w, ev, "action", name ? str(w, name) : NULL);
	}
	put_str(w, ev, "parentID", s->parent_id);
	put_strs(w, ev, children ? "childEPCs" : "epcList", s->epcs, s->n_epcs);
	put_quantities(w, ev, children ? "childQuantityList" : "quantityList",
	               s->quantities, s->n_quantities);
	put_strs(w, ev, "inputEPCList", s->input_epcs, s->n_input_epcs);
	put_quantities(w, ev, "inputQuantityList", s->input_quantities,
	               s->n_input_quantities);
	put_strs(w, ev, "outputEPCList", s->output_epcs, s->n_output_epcs);
	put_quantities(w, ev, "outputQuantityList", s->output_quantities,
	               s->n_output_quantities);
	put_str(w, ev, "transformationID", s->transformation_id);
	put_str(w, ev, "bizStep", s->biz_step);
	put_str(w, ev, "disposition", s->disposition);
	if (s->persistent_disposition != NULL) {
		const wb_persistent_disposition *pd = s->persistent_disposition;
		json_t *o = object(w);

		if (o != NULL) {
			put_strs(w, o, "set", pd->set, pd->n_set);
			put_strs(w, o, "unset", pd->unset, pd->n_unset);
			put(w, ev, "persistentDisposition", o);
		}
	}
	put_location(w, ev, "readPoint", s->read_point);
	put_location(w, ev, "bizLocation", s->biz_location);
	put_typed(w, ev, "bizTransactionList", "bizTransaction",
	          s->biz_transactions, s->n_biz_transactions);
	put_typed(w, ev, "sourceList", "source", s->sources, s->n_sources);
	put_typed(w, ev, "destinationList", "destination", s->destinations,
	          s->n_destinations);
	put_sensors(w, ev, s->sensor_elements, s->n_sensor_elements);
	if (s->ilmd_json != NULL) {
		put(w, ev, "ilmd", raw(w, s->ilmd_json));
	}
	/* One certificate as a string (the usual form), several as a list:
	 * the same value in JSON-LD, where certificationInfo is a set. */
	if (s->n_certification_info == 1) {
		put_str(w, ev, "certificationInfo", s->certification_info[0]);
	} else {
		put_strs(w, ev, "certificationInfo", s->certification_info,
		         s->n_certification_info);
	}
	put_error_declaration(w, ev, s->error_declaration);
	put_recall(w, ev, s->recall);
	put_lift(w, ev, s->lift);
	put_master_data(w, ev, s->master_data);
	put_attributes(w, ev, s->attributes, s->n_attributes);
	merge_top(w, ev, s->extensions_json);
}

wb_err
wb_epcis_event_to_json(json_t **out, const wb_stamp *s)
{
	wr w = { .rc = WB_OK };
	json_t *ev;

	WB_CHECK_ARG(out && s);
	*out = NULL;
	if ((ev = json_object()) == NULL) {
		return WB_ENOMEM;
	}
	w.tz = s->event_tz_offset;
	write_event(&w, ev, s);
	if (w.rc != WB_OK) {
		json_decref(ev);
		return w.rc;
	}
	*out = ev;
	return WB_OK;
}
