/* SPDX-License-Identifier: MIT */
/*
 * codec.c - the only file of libwaybill that sees protobuf types: it moves
 * stamps, registry changes, entries and receipts between our structs and
 * the bytes of proto/entry.proto.
 *
 * Encoding builds protobuf-c structs that point at the caller's memory (the
 * casts from const are safe: protobuf-c's pack only reads) plus temporaries
 * from an arena. Decoding unpacks, copies everything into an arena owned by
 * the result, and drops the protobuf object at once.
 */
#include "waybill/entry.h"
#include "waybill/export.h"
#include "waybill/stamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.pb-c.h"
#include "internal.h"

/* Protobuf-c's char * fields are filled from our const strings; pack only
 * reads them. */
#define UNCONST(p) ((char *)(uintptr_t)(p))

/*
 * Encoding helpers: each allocates from the arena `a` and returns NULL (or
 * sets *ok = false) when out of memory.
 */

static Waybill__V1__Timestamp *
enc_time(wb_arena *a, const wb_time *t)
{
	Waybill__V1__Timestamp *m;

	if (t == NULL) {
		return NULL;
	}
	m = wb_arena_alloc(a, sizeof(*m));
	if (m != NULL) {
		waybill__v1__timestamp__init(m);
		m->seconds = t->seconds;
		m->has_nanos = t->has_nanos;
		m->nanos = t->nanos;
	}
	return m;
}

static Waybill__V1__QuantityElement **
enc_quantities(wb_arena *a, const wb_quantity *q, size_t n, bool *ok)
{
	Waybill__V1__QuantityElement **v, *m;

	if (n == 0) {
		return NULL;
	}
	v = wb_arena_alloc(a, n * sizeof(*v));
	m = wb_arena_alloc(a, n * sizeof(*m));
	if (v == NULL || m == NULL) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		waybill__v1__quantity_element__init(&m[i]);
		m[i].epc_class = UNCONST(q[i].epc_class);
		m[i].has_quantity = q[i].has_quantity;
		m[i].quantity = q[i].quantity;
		m[i].uom = UNCONST(q[i].uom);
		v[i] = &m[i];
	}
	return v;
}

static Waybill__V1__TypedValue **
enc_typed(wb_arena *a, const wb_typed_value *t, size_t n, bool *ok)
{
	Waybill__V1__TypedValue **v, *m;

	if (n == 0) {
		return NULL;
	}
	v = wb_arena_alloc(a, n * sizeof(*v));
	m = wb_arena_alloc(a, n * sizeof(*m));
	if (v == NULL || m == NULL) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		waybill__v1__typed_value__init(&m[i]);
		m[i].type = UNCONST(t[i].type);
		m[i].value = UNCONST(t[i].value);
		v[i] = &m[i];
	}
	return v;
}

static Waybill__V1__Location *
enc_location(wb_arena *a, const wb_location *l, bool *ok)
{
	Waybill__V1__Location *m;

	if (l == NULL) {
		return NULL;
	}
	m = wb_arena_alloc(a, sizeof(*m));
	if (m == NULL) {
		*ok = false;
		return NULL;
	}
	waybill__v1__location__init(m);
	m->id = UNCONST(l->id);
	m->extensions_json = UNCONST(l->extensions_json);
	return m;
}

static Waybill__V1__Attribute **
enc_attributes(wb_arena *a, const wb_attribute *at, size_t n, bool *ok)
{
	Waybill__V1__Attribute **v, *m;

	if (n == 0) {
		return NULL;
	}
	v = wb_arena_alloc(a, n * sizeof(*v));
	m = wb_arena_alloc(a, n * sizeof(*m));
	if (v == NULL || m == NULL) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		waybill__v1__attribute__init(&m[i]);
		m[i].key = UNCONST(at[i].key);
		if (at[i].json != NULL) {
			m[i].value_case = WAYBILL__V1__ATTRIBUTE__VALUE_JSON;
			m[i].json = UNCONST(at[i].json);
		} else if (at[i].text != NULL) {
			m[i].value_case = WAYBILL__V1__ATTRIBUTE__VALUE_TEXT;
			m[i].text = UNCONST(at[i].text);
		}
		v[i] = &m[i];
	}
	return v;
}

static Waybill__V1__SensorMetadata *
enc_sensor_metadata(wb_arena *a, const wb_sensor_metadata *s, bool *ok)
{
	Waybill__V1__SensorMetadata *m;

	if (s == NULL) {
		return NULL;
	}
	m = wb_arena_alloc(a, sizeof(*m));
	if (m == NULL) {
		*ok = false;
		return NULL;
	}
	waybill__v1__sensor_metadata__init(m);
	m->time = enc_time(a, s->time);
	m->start_time = enc_time(a, s->start_time);
	m->end_time = enc_time(a, s->end_time);
	if ((s->time && !m->time) || (s->start_time && !m->start_time) ||
	    (s->end_time && !m->end_time)) {
		*ok = false;
	}
	m->device_id = UNCONST(s->device_id);
	m->device_metadata = UNCONST(s->device_metadata);
	m->raw_data = UNCONST(s->raw_data);
	m->data_processing_method = UNCONST(s->data_processing_method);
	m->biz_rules = UNCONST(s->biz_rules);
	m->extensions_json = UNCONST(s->extensions_json);
	return m;
}

static void
enc_sensor_report(wb_arena *a, Waybill__V1__SensorReport *m,
                  const wb_sensor_report *r, bool *ok)
{
	waybill__v1__sensor_report__init(m);
	m->type = UNCONST(r->type);
	m->exception = UNCONST(r->exception);
	m->device_id = UNCONST(r->device_id);
	m->device_metadata = UNCONST(r->device_metadata);
	m->raw_data = UNCONST(r->raw_data);
	m->data_processing_method = UNCONST(r->data_processing_method);
	m->time = enc_time(a, r->time);
	if (r->time != NULL && m->time == NULL) {
		*ok = false;
	}
	m->microorganism = UNCONST(r->microorganism);
	m->chemical_substance = UNCONST(r->chemical_substance);
	m->has_value = r->has_value;
	m->value = r->value;
	m->component = UNCONST(r->component);
	m->string_value = UNCONST(r->string_value);
	m->has_boolean_value = r->has_boolean_value;
	m->boolean_value = r->boolean_value;
	m->hex_binary_value = UNCONST(r->hex_binary_value);
	m->uri_value = UNCONST(r->uri_value);
	m->has_min_value = r->has_min_value;
	m->min_value = r->min_value;
	m->has_max_value = r->has_max_value;
	m->max_value = r->max_value;
	m->has_mean_value = r->has_mean_value;
	m->mean_value = r->mean_value;
	m->has_s_dev = r->has_s_dev;
	m->s_dev = r->s_dev;
	m->has_perc_rank = r->has_perc_rank;
	m->perc_rank = r->perc_rank;
	m->has_perc_value = r->has_perc_value;
	m->perc_value = r->perc_value;
	m->uom = UNCONST(r->uom);
	m->coordinate_reference_system =
	        UNCONST(r->coordinate_reference_system);
	m->biz_rules = UNCONST(r->biz_rules);
	m->extensions_json = UNCONST(r->extensions_json);
}

static Waybill__V1__SensorElement **
enc_sensors(wb_arena *a, const wb_sensor_element *e, size_t n, bool *ok)
{
	Waybill__V1__SensorElement **v, *m;

	if (n == 0) {
		return NULL;
	}
	v = wb_arena_alloc(a, n * sizeof(*v));
	m = wb_arena_alloc(a, n * sizeof(*m));
	if (v == NULL || m == NULL) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		waybill__v1__sensor_element__init(&m[i]);
		m[i].metadata = enc_sensor_metadata(a, e[i].metadata, ok);
		m[i].extensions_json = UNCONST(e[i].extensions_json);
		if (e[i].n_reports > 0) {
			Waybill__V1__SensorReport **rv, *rm;

			rv = wb_arena_alloc(a, e[i].n_reports * sizeof(*rv));
			rm = wb_arena_alloc(a, e[i].n_reports * sizeof(*rm));
			if (rv == NULL || rm == NULL) {
				*ok = false;
				return NULL;
			}
			for (size_t k = 0; k < e[i].n_reports; k++) {
				enc_sensor_report(a, &rm[k], &e[i].reports[k],
				                  ok);
				rv[k] = &rm[k];
			}
			m[i].n_reports = e[i].n_reports;
			m[i].reports = rv;
		}
		v[i] = &m[i];
	}
	return v;
}

static void
enc_stamp_tail(wb_arena *a, Waybill__V1__Stamp *m, const wb_stamp *s, bool *ok)
{
	if (s->persistent_disposition != NULL) {
		Waybill__V1__PersistentDisposition *pd =
		        wb_arena_alloc(a, sizeof(*pd));

		if (pd == NULL) {
			*ok = false;
			return;
		}
		waybill__v1__persistent_disposition__init(pd);
		pd->n_set = s->persistent_disposition->n_set;
		pd->set = (char **)(uintptr_t)s->persistent_disposition->set;
		pd->n_unset = s->persistent_disposition->n_unset;
		pd->unset =
		        (char **)(uintptr_t)s->persistent_disposition->unset;
		m->persistent_disposition = pd;
	}
	if (s->error_declaration != NULL) {
		const wb_error_declaration *d = s->error_declaration;
		Waybill__V1__ErrorDeclaration *ed =
		        wb_arena_alloc(a, sizeof(*ed));

		if (ed == NULL) {
			*ok = false;
			return;
		}
		waybill__v1__error_declaration__init(ed);
		ed->declaration_time = enc_time(a, &d->declaration_time);
		ed->reason = UNCONST(d->reason);
		ed->n_corrective_event_ids = d->n_corrective_event_ids;
		ed->corrective_event_ids =
		        (char **)(uintptr_t)d->corrective_event_ids;
		ed->extensions_json = UNCONST(d->extensions_json);
		m->error_declaration = ed;
		if (ed->declaration_time == NULL) {
			*ok = false;
		}
	}
	if (s->recall != NULL) {
		Waybill__V1__Recall *r = wb_arena_alloc(a, sizeof(*r));

		if (r == NULL) {
			*ok = false;
			return;
		}
		waybill__v1__recall__init(r);
		r->n_targets = s->recall->n_targets;
		r->targets = (char **)(uintptr_t)s->recall->targets;
		r->reason = UNCONST(s->recall->reason);
		r->has_severity = s->recall->has_severity;
		r->severity = (Waybill__V1__RecallClass)s->recall->severity;
		r->reference = UNCONST(s->recall->reference);
		m->recall = r;
	}
	if (s->lift != NULL) {
		Waybill__V1__Lift *l = wb_arena_alloc(a, sizeof(*l));

		if (l == NULL) {
			*ok = false;
			return;
		}
		waybill__v1__lift__init(l);
		l->recall_index = s->lift->recall_index;
		l->n_targets = s->lift->n_targets;
		l->targets = (char **)(uintptr_t)s->lift->targets;
		l->reason = UNCONST(s->lift->reason);
		m->lift = l;
	}
	if (s->master_data != NULL) {
		const wb_master_data *md = s->master_data;
		Waybill__V1__MasterData *x = wb_arena_alloc(a, sizeof(*x));

		if (x == NULL) {
			*ok = false;
			return;
		}
		waybill__v1__master_data__init(x);
		x->vocabulary_type = UNCONST(md->vocabulary_type);
		x->element_id = UNCONST(md->element_id);
		x->n_attributes = md->n_attributes;
		x->attributes =
		        enc_attributes(a, md->attributes, md->n_attributes, ok);
		x->n_children = md->n_children;
		x->children = (char **)(uintptr_t)md->children;
		m->master_data = x;
	}
}

/* Packs any message into malloc'd bytes. */
static wb_err
pack_message(uint8_t **out, size_t *len_out, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len > 0 ? len : 1);

	if (buf == NULL) {
		return WB_ENOMEM;
	}
	if (protobuf_c_message_pack(m, buf) != len) {
		free(buf);
		return WB_EINTERNAL;
	}
	*out = buf;
	*len_out = len;
	return WB_OK;
}

/* protobuf-c's pack asserts on a missing required string; refuse first. */
static bool
stamp_required_present(const wb_stamp *s)
{
	if (s->event_id == NULL || s->event_tz_offset == NULL) {
		return false;
	}
	for (size_t i = 0; i < s->n_quantities; i++) {
		if (s->quantities[i].epc_class == NULL) {
			return false;
		}
	}
	for (size_t i = 0; i < s->n_attributes; i++) {
		if (s->attributes[i].key == NULL) {
			return false;
		}
	}
	if ((s->read_point && !s->read_point->id) ||
	    (s->biz_location && !s->biz_location->id) ||
	    (s->recall && !s->recall->reason) ||
	    (s->master_data && (!s->master_data->vocabulary_type ||
	                        !s->master_data->element_id))) {
		return false;
	}
	for (size_t i = 0; i < s->n_biz_transactions; i++) {
		if (s->biz_transactions[i].value == NULL) {
			return false;
		}
	}
	for (size_t i = 0; i < s->n_sources; i++) {
		if (s->sources[i].value == NULL) {
			return false;
		}
	}
	for (size_t i = 0; i < s->n_destinations; i++) {
		if (s->destinations[i].value == NULL) {
			return false;
		}
	}
	return true;
}

wb_err
wb_stamp_encode(uint8_t **out, size_t *len_out, const wb_stamp *s)
{
	Waybill__V1__Stamp m = WAYBILL__V1__STAMP__INIT;
	wb_arena *a;
	bool ok = true;
	wb_err rc;

	WB_CHECK_ARG(out && len_out && s);
	if (!stamp_required_present(s)) {
		return WB_EINVAL;
	}
	if ((a = wb_arena_new(4096)) == NULL) {
		return WB_ENOMEM;
	}
	m.ledger_id.data = (uint8_t *)(uintptr_t)s->ledger_id;
	m.ledger_id.len = WB_HASH_LEN;
	m.event_id = UNCONST(s->event_id);
	m.kind = (Waybill__V1__EventKind)s->kind;
	m.event_time = enc_time(a, &s->event_time);
	m.event_tz_offset = UNCONST(s->event_tz_offset);
	m.has_action = s->has_action;
	m.action = (Waybill__V1__Action)s->action;
	m.n_epcs = s->n_epcs;
	m.epcs = (char **)(uintptr_t)s->epcs;
	m.n_quantities = s->n_quantities;
	m.quantities = enc_quantities(a, s->quantities, s->n_quantities, &ok);
	m.parent_id = UNCONST(s->parent_id);
	m.n_input_epcs = s->n_input_epcs;
	m.input_epcs = (char **)(uintptr_t)s->input_epcs;
	m.n_input_quantities = s->n_input_quantities;
	m.input_quantities = enc_quantities(a, s->input_quantities,
	                                    s->n_input_quantities, &ok);
	m.n_output_epcs = s->n_output_epcs;
	m.output_epcs = (char **)(uintptr_t)s->output_epcs;
	m.n_output_quantities = s->n_output_quantities;
	m.output_quantities = enc_quantities(a, s->output_quantities,
	                                     s->n_output_quantities, &ok);
	m.transformation_id = UNCONST(s->transformation_id);
	m.read_point = enc_location(a, s->read_point, &ok);
	m.biz_location = enc_location(a, s->biz_location, &ok);
	m.biz_step = UNCONST(s->biz_step);
	m.disposition = UNCONST(s->disposition);
	m.n_biz_transactions = s->n_biz_transactions;
	m.biz_transactions =
	        enc_typed(a, s->biz_transactions, s->n_biz_transactions, &ok);
	m.n_sources = s->n_sources;
	m.sources = enc_typed(a, s->sources, s->n_sources, &ok);
	m.n_destinations = s->n_destinations;
	m.destinations = enc_typed(a, s->destinations, s->n_destinations, &ok);
	m.n_sensor_elements = s->n_sensor_elements;
	m.sensor_elements =
	        enc_sensors(a, s->sensor_elements, s->n_sensor_elements, &ok);
	m.ilmd_json = UNCONST(s->ilmd_json);
	m.n_certification_info = s->n_certification_info;
	m.certification_info = (char **)(uintptr_t)s->certification_info;
	m.n_attributes = s->n_attributes;
	m.attributes = enc_attributes(a, s->attributes, s->n_attributes, &ok);
	m.extensions_json = UNCONST(s->extensions_json);
	m.context_json = UNCONST(s->context_json);
	enc_stamp_tail(a, &m, s, &ok);
	if (!ok || m.event_time == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	rc = pack_message(out, len_out, &m.base);
out:
	wb_arena_free(a);
	return rc;
}

/*
 * Decoding helpers: copy out of the unpacked message into the arena.
 * Each returns false when out of memory.
 */

static bool
dup_str(wb_arena *a, const char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return true;
	}
	*dst = wb_arena_strndup(a, src, strlen(src));
	return *dst != NULL;
}

static bool
dup_strv(wb_arena *a, const char ***dst, size_t *n_dst, char **src, size_t n)
{
	const char **v;

	*n_dst = n;
	*dst = NULL;
	if (n == 0) {
		return true;
	}
	if ((v = wb_arena_alloc(a, n * sizeof(*v))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!dup_str(a, &v[i], src[i])) {
			return false;
		}
	}
	*dst = v;
	return true;
}

static void
dec_time_into(wb_time *t, const Waybill__V1__Timestamp *m)
{
	t->seconds = m->seconds;
	t->has_nanos = m->has_nanos;
	t->nanos = m->nanos;
}

static bool
dec_time(wb_arena *a, const wb_time **dst, const Waybill__V1__Timestamp *m)
{
	wb_time *t;

	*dst = NULL;
	if (m == NULL) {
		return true;
	}
	if ((t = wb_arena_alloc(a, sizeof(*t))) == NULL) {
		return false;
	}
	dec_time_into(t, m);
	*dst = t;
	return true;
}

static bool
dec_quantities(wb_arena *a, const wb_quantity **dst, size_t *n_dst,
               Waybill__V1__QuantityElement **src, size_t n)
{
	wb_quantity *v;

	*n_dst = n;
	*dst = NULL;
	if (n == 0) {
		return true;
	}
	if ((v = wb_arena_alloc(a, n * sizeof(*v))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!dup_str(a, &v[i].epc_class, src[i]->epc_class) ||
		    !dup_str(a, &v[i].uom, src[i]->uom)) {
			return false;
		}
		v[i].has_quantity = src[i]->has_quantity;
		v[i].quantity = src[i]->quantity;
	}
	*dst = v;
	return true;
}

static bool
dec_typed(wb_arena *a, const wb_typed_value **dst, size_t *n_dst,
          Waybill__V1__TypedValue **src, size_t n)
{
	wb_typed_value *v;

	*n_dst = n;
	*dst = NULL;
	if (n == 0) {
		return true;
	}
	if ((v = wb_arena_alloc(a, n * sizeof(*v))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!dup_str(a, &v[i].type, src[i]->type) ||
		    !dup_str(a, &v[i].value, src[i]->value)) {
			return false;
		}
	}
	*dst = v;
	return true;
}

static bool
dec_location(wb_arena *a, const wb_location **dst,
             const Waybill__V1__Location *m)
{
	wb_location *l;

	*dst = NULL;
	if (m == NULL) {
		return true;
	}
	if ((l = wb_arena_alloc(a, sizeof(*l))) == NULL ||
	    !dup_str(a, &l->id, m->id) ||
	    !dup_str(a, &l->extensions_json, m->extensions_json)) {
		return false;
	}
	*dst = l;
	return true;
}

static bool
dec_attributes(wb_arena *a, const wb_attribute **dst, size_t *n_dst,
               Waybill__V1__Attribute **src, size_t n)
{
	wb_attribute *v;

	*n_dst = n;
	*dst = NULL;
	if (n == 0) {
		return true;
	}
	if ((v = wb_arena_alloc(a, n * sizeof(*v))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!dup_str(a, &v[i].key, src[i]->key)) {
			return false;
		}
		if (src[i]->value_case == WAYBILL__V1__ATTRIBUTE__VALUE_TEXT &&
		    !dup_str(a, &v[i].text, src[i]->text)) {
			return false;
		}
		if (src[i]->value_case == WAYBILL__V1__ATTRIBUTE__VALUE_JSON &&
		    !dup_str(a, &v[i].json, src[i]->json)) {
			return false;
		}
	}
	*dst = v;
	return true;
}

static bool
dec_sensor_metadata(wb_arena *a, const wb_sensor_metadata **dst,
                    const Waybill__V1__SensorMetadata *m)
{
	wb_sensor_metadata *s;

	*dst = NULL;
	if (m == NULL) {
		return true;
	}
	if ((s = wb_arena_alloc(a, sizeof(*s))) == NULL) {
		return false;
	}
	if (!dec_time(a, &s->time, m->time) ||
	    !dec_time(a, &s->start_time, m->start_time) ||
	    !dec_time(a, &s->end_time, m->end_time) ||
	    !dup_str(a, &s->device_id, m->device_id) ||
	    !dup_str(a, &s->device_metadata, m->device_metadata) ||
	    !dup_str(a, &s->raw_data, m->raw_data) ||
	    !dup_str(a, &s->data_processing_method,
	             m->data_processing_method) ||
	    !dup_str(a, &s->biz_rules, m->biz_rules) ||
	    !dup_str(a, &s->extensions_json, m->extensions_json)) {
		return false;
	}
	*dst = s;
	return true;
}

static bool
dec_sensor_report(wb_arena *a, wb_sensor_report *r,
                  const Waybill__V1__SensorReport *m)
{
	r->has_value = m->has_value;
	r->value = m->value;
	r->has_boolean_value = m->has_boolean_value;
	r->boolean_value = m->boolean_value;
	r->has_min_value = m->has_min_value;
	r->min_value = m->min_value;
	r->has_max_value = m->has_max_value;
	r->max_value = m->max_value;
	r->has_mean_value = m->has_mean_value;
	r->mean_value = m->mean_value;
	r->has_s_dev = m->has_s_dev;
	r->s_dev = m->s_dev;
	r->has_perc_rank = m->has_perc_rank;
	r->perc_rank = m->perc_rank;
	r->has_perc_value = m->has_perc_value;
	r->perc_value = m->perc_value;
	return dup_str(a, &r->type, m->type) &&
	       dup_str(a, &r->exception, m->exception) &&
	       dup_str(a, &r->device_id, m->device_id) &&
	       dup_str(a, &r->device_metadata, m->device_metadata) &&
	       dup_str(a, &r->raw_data, m->raw_data) &&
	       dup_str(a, &r->data_processing_method,
	               m->data_processing_method) &&
	       dec_time(a, &r->time, m->time) &&
	       dup_str(a, &r->microorganism, m->microorganism) &&
	       dup_str(a, &r->chemical_substance, m->chemical_substance) &&
	       dup_str(a, &r->component, m->component) &&
	       dup_str(a, &r->string_value, m->string_value) &&
	       dup_str(a, &r->hex_binary_value, m->hex_binary_value) &&
	       dup_str(a, &r->uri_value, m->uri_value) &&
	       dup_str(a, &r->uom, m->uom) &&
	       dup_str(a, &r->coordinate_reference_system,
	               m->coordinate_reference_system) &&
	       dup_str(a, &r->biz_rules, m->biz_rules) &&
	       dup_str(a, &r->extensions_json, m->extensions_json);
}

static bool
dec_sensors(wb_arena *a, const wb_sensor_element **dst, size_t *n_dst,
            Waybill__V1__SensorElement **src, size_t n)
{
	wb_sensor_element *v;

	*n_dst = n;
	*dst = NULL;
	if (n == 0) {
		return true;
	}
	if ((v = wb_arena_alloc(a, n * sizeof(*v))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		wb_sensor_report *r = NULL;

		if (!dec_sensor_metadata(a, &v[i].metadata, src[i]->metadata) ||
		    !dup_str(a, &v[i].extensions_json,
		             src[i]->extensions_json)) {
			return false;
		}
		if (src[i]->n_reports > 0) {
			r = wb_arena_alloc(a, src[i]->n_reports * sizeof(*r));
			if (r == NULL) {
				return false;
			}
			for (size_t k = 0; k < src[i]->n_reports; k++) {
				if (!dec_sensor_report(a, &r[k],
				                       src[i]->reports[k])) {
					return false;
				}
			}
		}
		v[i].reports = r;
		v[i].n_reports = src[i]->n_reports;
	}
	*dst = v;
	return true;
}

static bool
dec_stamp_tail(wb_arena *a, wb_stamp *s, const Waybill__V1__Stamp *m)
{
	if (m->persistent_disposition != NULL) {
		wb_persistent_disposition *pd = wb_arena_alloc(a, sizeof(*pd));

		if (pd == NULL ||
		    !dup_strv(a, &pd->set, &pd->n_set,
		              m->persistent_disposition->set,
		              m->persistent_disposition->n_set) ||
		    !dup_strv(a, &pd->unset, &pd->n_unset,
		              m->persistent_disposition->unset,
		              m->persistent_disposition->n_unset)) {
			return false;
		}
		s->persistent_disposition = pd;
	}
	if (m->error_declaration != NULL) {
		const Waybill__V1__ErrorDeclaration *d = m->error_declaration;
		wb_error_declaration *ed = wb_arena_alloc(a, sizeof(*ed));

		if (ed == NULL || !dup_str(a, &ed->reason, d->reason) ||
		    !dup_strv(a, &ed->corrective_event_ids,
		              &ed->n_corrective_event_ids,
		              d->corrective_event_ids,
		              d->n_corrective_event_ids) ||
		    !dup_str(a, &ed->extensions_json, d->extensions_json)) {
			return false;
		}
		dec_time_into(&ed->declaration_time, d->declaration_time);
		s->error_declaration = ed;
	}
	if (m->recall != NULL) {
		wb_recall *r = wb_arena_alloc(a, sizeof(*r));

		if (r == NULL ||
		    !dup_strv(a, &r->targets, &r->n_targets, m->recall->targets,
		              m->recall->n_targets) ||
		    !dup_str(a, &r->reason, m->recall->reason) ||
		    !dup_str(a, &r->reference, m->recall->reference)) {
			return false;
		}
		r->has_severity = m->recall->has_severity;
		r->severity = (wb_recall_class)m->recall->severity;
		s->recall = r;
	}
	if (m->lift != NULL) {
		wb_lift *l = wb_arena_alloc(a, sizeof(*l));

		if (l == NULL ||
		    !dup_strv(a, &l->targets, &l->n_targets, m->lift->targets,
		              m->lift->n_targets) ||
		    !dup_str(a, &l->reason, m->lift->reason)) {
			return false;
		}
		l->recall_index = m->lift->recall_index;
		s->lift = l;
	}
	if (m->master_data != NULL) {
		const Waybill__V1__MasterData *x = m->master_data;
		wb_master_data *md = wb_arena_alloc(a, sizeof(*md));

		if (md == NULL ||
		    !dup_str(a, &md->vocabulary_type, x->vocabulary_type) ||
		    !dup_str(a, &md->element_id, x->element_id) ||
		    !dec_attributes(a, &md->attributes, &md->n_attributes,
		                    x->attributes, x->n_attributes) ||
		    !dup_strv(a, &md->children, &md->n_children, x->children,
		              x->n_children)) {
			return false;
		}
		s->master_data = md;
	}
	return true;
}

static bool
dec_stamp(wb_arena *a, wb_stamp *s, const Waybill__V1__Stamp *m)
{
	memcpy(s->ledger_id, m->ledger_id.data, WB_HASH_LEN);
	s->kind = (wb_kind)m->kind;
	dec_time_into(&s->event_time, m->event_time);
	s->has_action = m->has_action;
	s->action = (wb_action)m->action;
	return dup_str(a, &s->event_id, m->event_id) &&
	       dup_str(a, &s->event_tz_offset, m->event_tz_offset) &&
	       dup_strv(a, &s->epcs, &s->n_epcs, m->epcs, m->n_epcs) &&
	       dec_quantities(a, &s->quantities, &s->n_quantities,
	                      m->quantities, m->n_quantities) &&
	       dup_str(a, &s->parent_id, m->parent_id) &&
	       dup_strv(a, &s->input_epcs, &s->n_input_epcs, m->input_epcs,
	                m->n_input_epcs) &&
	       dec_quantities(a, &s->input_quantities, &s->n_input_quantities,
	                      m->input_quantities, m->n_input_quantities) &&
	       dup_strv(a, &s->output_epcs, &s->n_output_epcs, m->output_epcs,
	                m->n_output_epcs) &&
	       dec_quantities(a, &s->output_quantities, &s->n_output_quantities,
	                      m->output_quantities, m->n_output_quantities) &&
	       dup_str(a, &s->transformation_id, m->transformation_id) &&
	       dec_location(a, &s->read_point, m->read_point) &&
	       dec_location(a, &s->biz_location, m->biz_location) &&
	       dup_str(a, &s->biz_step, m->biz_step) &&
	       dup_str(a, &s->disposition, m->disposition) &&
	       dec_typed(a, &s->biz_transactions, &s->n_biz_transactions,
	                 m->biz_transactions, m->n_biz_transactions) &&
	       dec_typed(a, &s->sources, &s->n_sources, m->sources,
	                 m->n_sources) &&
	       dec_typed(a, &s->destinations, &s->n_destinations,
	                 m->destinations, m->n_destinations) &&
	       dec_sensors(a, &s->sensor_elements, &s->n_sensor_elements,
	                   m->sensor_elements, m->n_sensor_elements) &&
	       dup_str(a, &s->ilmd_json, m->ilmd_json) &&
	       dup_strv(a, &s->certification_info, &s->n_certification_info,
	                m->certification_info, m->n_certification_info) &&
	       dec_attributes(a, &s->attributes, &s->n_attributes,
	                      m->attributes, m->n_attributes) &&
	       dup_str(a, &s->extensions_json, m->extensions_json) &&
	       dup_str(a, &s->context_json, m->context_json) &&
	       dec_stamp_tail(a, s, m);
}

wb_err
wb_stamp_decode(wb_stamp **out, const uint8_t *bytes, size_t len)
{
	Waybill__V1__Stamp *m;
	wb_arena *a = NULL;
	wb_stamp *s;
	wb_err rc = WB_OK;

	WB_CHECK_ARG(out && (bytes || len == 0));
	*out = NULL;
	m = waybill__v1__stamp__unpack(NULL, len, bytes);
	if (m == NULL) {
		return WB_EPROTO;
	}
	if (m->ledger_id.len != WB_HASH_LEN) {
		rc = WB_EPROTO;
		goto out;
	}
	if ((a = wb_arena_new(2048)) == NULL ||
	    (s = wb_arena_alloc(a, sizeof(*s))) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if (!dec_stamp(a, s, m)) {
		rc = WB_ENOMEM;
		goto out;
	}
	s->arena_ = a;
	*out = s;
	a = NULL;
out:
	wb_arena_free(a);
	waybill__v1__stamp__free_unpacked(m, NULL);
	return rc;
}

void
wb_stamp_free(wb_stamp *s)
{
	if (s != NULL) {
		wb_arena_free(s->arena_);
	}
}

/*
 * Registry changes.
 */

static bool
namespaces_present(const wb_registry_change *c)
{
	for (size_t i = 0; i < c->n_namespaces; i++) {
		if (c->namespaces[i].prefix == NULL) {
			return false;
		}
	}
	return true;
}

wb_err
wb_registry_change_encode(uint8_t **out, size_t *len_out,
                          const wb_registry_change *c)
{
	Waybill__V1__RegistryChange m = WAYBILL__V1__REGISTRY_CHANGE__INIT;
	Waybill__V1__Register reg = WAYBILL__V1__REGISTER__INIT;
	Waybill__V1__ChangeRoles cr = WAYBILL__V1__CHANGE_ROLES__INIT;
	Waybill__V1__Rotate rot = WAYBILL__V1__ROTATE__INIT;
	Waybill__V1__Revoke rev = WAYBILL__V1__REVOKE__INIT;
	Waybill__V1__Namespace *ns = NULL, **nsv = NULL;
	Waybill__V1__Role *roles = NULL;
	wb_err rc;

	WB_CHECK_ARG(out && len_out && c && c->change_id);
	m.ledger_id.data = (uint8_t *)(uintptr_t)c->ledger_id;
	m.ledger_id.len = WB_HASH_LEN;
	m.change_id = UNCONST(c->change_id);
	if (c->n_roles > 0) {
		roles = calloc(c->n_roles, sizeof(*roles));
		if (roles == NULL) {
			return WB_ENOMEM;
		}
		for (size_t i = 0; i < c->n_roles; i++) {
			roles[i] = (Waybill__V1__Role)c->roles[i];
		}
	}
	switch (c->op) {
	case WB_REG_REGISTER:
		if (c->name == NULL || !namespaces_present(c)) {
			rc = WB_EINVAL;
			goto out;
		}
		reg.key.data = (uint8_t *)(uintptr_t)c->key.b;
		reg.key.len = WB_PUBKEY_LEN;
		reg.name = UNCONST(c->name);
		reg.n_roles = c->n_roles;
		reg.roles = roles;
		reg.party_id = UNCONST(c->party_id);
		if (c->n_namespaces > 0) {
			ns = calloc(c->n_namespaces, sizeof(*ns));
			nsv = calloc(c->n_namespaces, sizeof(*nsv));
			if (ns == NULL || nsv == NULL) {
				rc = WB_ENOMEM;
				goto out;
			}
		}
		for (size_t i = 0; i < c->n_namespaces; i++) {
			waybill__v1__namespace__init(&ns[i]);
			if (c->namespaces[i].kind == WB_NS_GS1_COMPANY_PREFIX) {
				ns[i].kind_case =
				        WAYBILL__V1__NAMESPACE__KIND_GS1_COMPANY_PREFIX;
				ns[i].gs1_company_prefix =
				        UNCONST(c->namespaces[i].prefix);
			} else {
				ns[i].kind_case =
				        WAYBILL__V1__NAMESPACE__KIND_LITERAL_PREFIX;
				ns[i].literal_prefix =
				        UNCONST(c->namespaces[i].prefix);
			}
			nsv[i] = &ns[i];
		}
		reg.n_namespaces = c->n_namespaces;
		reg.namespaces = nsv;
		m.op_case = WAYBILL__V1__REGISTRY_CHANGE__OP_REGISTER;
		m.register_ = &reg;
		break;
	case WB_REG_CHANGE_ROLES:
		cr.key.data = (uint8_t *)(uintptr_t)c->key.b;
		cr.key.len = WB_PUBKEY_LEN;
		cr.n_roles = c->n_roles;
		cr.roles = roles;
		m.op_case = WAYBILL__V1__REGISTRY_CHANGE__OP_CHANGE_ROLES;
		m.change_roles = &cr;
		break;
	case WB_REG_ROTATE:
		rot.old_key.data = (uint8_t *)(uintptr_t)c->key.b;
		rot.old_key.len = WB_PUBKEY_LEN;
		rot.new_key.data = (uint8_t *)(uintptr_t)c->new_key.b;
		rot.new_key.len = WB_PUBKEY_LEN;
		rot.possession_signature.data =
		        (uint8_t *)(uintptr_t)c->possession_signature;
		rot.possession_signature.len = WB_SIG_LEN;
		m.op_case = WAYBILL__V1__REGISTRY_CHANGE__OP_ROTATE;
		m.rotate = &rot;
		break;
	case WB_REG_REVOKE:
		rev.key.data = (uint8_t *)(uintptr_t)c->key.b;
		rev.key.len = WB_PUBKEY_LEN;
		rev.effective_index = c->effective_index;
		rev.reason = UNCONST(c->reason);
		m.op_case = WAYBILL__V1__REGISTRY_CHANGE__OP_REVOKE;
		m.revoke = &rev;
		break;
	default:
		rc = WB_EINVAL;
		goto out;
	}
	rc = pack_message(out, len_out, &m.base);
out:
	free(ns);
	free(nsv);
	free(roles);
	return rc;
}

static bool
copy_key(wb_pubkey *dst, const ProtobufCBinaryData *src)
{
	if (src->len != WB_PUBKEY_LEN) {
		return false;
	}
	memcpy(dst->b, src->data, WB_PUBKEY_LEN);
	return true;
}

static bool
dec_roles(wb_arena *a, wb_registry_change *c, const Waybill__V1__Role *r,
          size_t n)
{
	wb_role *v;

	c->n_roles = n;
	if (n == 0) {
		return true;
	}
	if ((v = wb_arena_alloc(a, n * sizeof(*v))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = (wb_role)r[i];
	}
	c->roles = v;
	return true;
}

static wb_err
dec_register(wb_arena *a, wb_registry_change *c, const Waybill__V1__Register *r)
{
	wb_namespace *ns = NULL;

	c->op = WB_REG_REGISTER;
	if (!copy_key(&c->key, &r->key)) {
		return WB_EPROTO;
	}
	if (r->n_namespaces > 0 &&
	    (ns = wb_arena_alloc(a, r->n_namespaces * sizeof(*ns))) == NULL) {
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < r->n_namespaces; i++) {
		const Waybill__V1__Namespace *x = r->namespaces[i];

		if (x->kind_case ==
		    WAYBILL__V1__NAMESPACE__KIND_GS1_COMPANY_PREFIX) {
			ns[i].kind = WB_NS_GS1_COMPANY_PREFIX;
			if (!dup_str(a, &ns[i].prefix, x->gs1_company_prefix)) {
				return WB_ENOMEM;
			}
		} else if (x->kind_case ==
		           WAYBILL__V1__NAMESPACE__KIND_LITERAL_PREFIX) {
			ns[i].kind = WB_NS_LITERAL_PREFIX;
			if (!dup_str(a, &ns[i].prefix, x->literal_prefix)) {
				return WB_ENOMEM;
			}
		} else {
			return WB_EPROTO;
		}
	}
	c->namespaces = ns;
	c->n_namespaces = r->n_namespaces;
	if (!dup_str(a, &c->name, r->name) ||
	    !dup_str(a, &c->party_id, r->party_id) ||
	    !dec_roles(a, c, r->roles, r->n_roles)) {
		return WB_ENOMEM;
	}
	return WB_OK;
}

static wb_err
dec_registry_change(wb_arena *a, wb_registry_change *c,
                    const Waybill__V1__RegistryChange *m)
{
	if (m->ledger_id.len != WB_HASH_LEN) {
		return WB_EPROTO;
	}
	memcpy(c->ledger_id, m->ledger_id.data, WB_HASH_LEN);
	if (!dup_str(a, &c->change_id, m->change_id)) {
		return WB_ENOMEM;
	}
	switch (m->op_case) {
	case WAYBILL__V1__REGISTRY_CHANGE__OP_REGISTER:
		return dec_register(a, c, m->register_);
	case WAYBILL__V1__REGISTRY_CHANGE__OP_CHANGE_ROLES:
		c->op = WB_REG_CHANGE_ROLES;
		if (!copy_key(&c->key, &m->change_roles->key)) {
			return WB_EPROTO;
		}
		return dec_roles(a, c, m->change_roles->roles,
		                 m->change_roles->n_roles)
		               ? WB_OK
		               : WB_ENOMEM;
	case WAYBILL__V1__REGISTRY_CHANGE__OP_ROTATE:
		c->op = WB_REG_ROTATE;
		if (!copy_key(&c->key, &m->rotate->old_key) ||
		    !copy_key(&c->new_key, &m->rotate->new_key) ||
		    m->rotate->possession_signature.len != WB_SIG_LEN) {
			return WB_EPROTO;
		}
		memcpy(c->possession_signature,
		       m->rotate->possession_signature.data, WB_SIG_LEN);
		return WB_OK;
	case WAYBILL__V1__REGISTRY_CHANGE__OP_REVOKE:
		c->op = WB_REG_REVOKE;
		if (!copy_key(&c->key, &m->revoke->key)) {
			return WB_EPROTO;
		}
		c->effective_index = m->revoke->effective_index;
		return dup_str(a, &c->reason, m->revoke->reason) ? WB_OK
		                                                 : WB_ENOMEM;
	default:
		return WB_EPROTO;
	}
}

wb_err
wb_registry_change_decode(wb_registry_change **out, const uint8_t *bytes,
                          size_t len)
{
	Waybill__V1__RegistryChange *m;
	wb_registry_change *c;
	wb_arena *a = NULL;
	wb_err rc;

	WB_CHECK_ARG(out && (bytes || len == 0));
	*out = NULL;
	m = waybill__v1__registry_change__unpack(NULL, len, bytes);
	if (m == NULL) {
		return WB_EPROTO;
	}
	if ((a = wb_arena_new(1024)) == NULL ||
	    (c = wb_arena_alloc(a, sizeof(*c))) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if ((rc = dec_registry_change(a, c, m)) != WB_OK) {
		goto out;
	}
	c->arena_ = a;
	*out = c;
	a = NULL;
out:
	wb_arena_free(a);
	waybill__v1__registry_change__free_unpacked(m, NULL);
	return rc;
}

void
wb_registry_change_free(wb_registry_change *c)
{
	if (c != NULL) {
		wb_arena_free(c->arena_);
	}
}

/*
 * Entries.
 */

wb_err
wb_entry_encode(uint8_t **out, size_t *len_out, const wb_entry *e)
{
	Waybill__V1__Entry m = WAYBILL__V1__ENTRY__INIT;
	Waybill__V1__Genesis g = WAYBILL__V1__GENESIS__INIT;
	Waybill__V1__Signed sg = WAYBILL__V1__SIGNED__INIT;
	Waybill__V1__ChainLink *links = NULL, **linkv = NULL;
	wb_err rc;

	WB_CHECK_ARG(out && len_out && e);
	m.index = e->index;
	m.record_time_us = e->record_time_us;
	switch (e->type) {
	case WB_ENTRY_GENESIS:
		if (e->genesis.origin == NULL) {
			return WB_EINVAL;
		}
		g.format_version = e->genesis.format_version;
		g.origin = UNCONST(e->genesis.origin);
		g.log_key.data = (uint8_t *)(uintptr_t)e->genesis.log_key.b;
		g.log_key.len = WB_PUBKEY_LEN;
		g.admin_key.data = (uint8_t *)(uintptr_t)e->genesis.admin_key.b;
		g.admin_key.len = WB_PUBKEY_LEN;
		g.custody = (Waybill__V1__CustodyPolicy)e->genesis.custody;
		g.has_max_ids = g.has_max_attributes = g.has_max_stamp_bytes =
		        1;
		g.max_ids = e->genesis.max_ids;
		g.max_attributes = e->genesis.max_attributes;
		g.max_stamp_bytes = e->genesis.max_stamp_bytes;
		g.admin_key_name = UNCONST(e->genesis.admin_key_name);
		m.body_case = WAYBILL__V1__ENTRY__BODY_GENESIS;
		m.genesis = &g;
		break;
	case WB_ENTRY_STAMP:
	case WB_ENTRY_REGISTRY:
		sg.body.data = (uint8_t *)(uintptr_t)e->body;
		sg.body.len = e->body_len;
		sg.signer.data = (uint8_t *)(uintptr_t)e->signer.b;
		sg.signer.len = WB_PUBKEY_LEN;
		sg.signature.data = (uint8_t *)(uintptr_t)e->signature;
		sg.signature.len = WB_SIG_LEN;
		if (e->type == WB_ENTRY_STAMP) {
			m.body_case = WAYBILL__V1__ENTRY__BODY_STAMP;
			m.stamp = &sg;
		} else {
			m.body_case = WAYBILL__V1__ENTRY__BODY_REGISTRY;
			m.registry = &sg;
		}
		break;
	default:
		return WB_EINVAL;
	}
	if (e->n_links > 0) {
		links = calloc(e->n_links, sizeof(*links));
		linkv = calloc(e->n_links, sizeof(*linkv));
		if (links == NULL || linkv == NULL) {
			rc = WB_ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < e->n_links; i++) {
		waybill__v1__chain_link__init(&links[i]);
		links[i].twin = UNCONST(e->links[i].twin);
		if (e->links[i].has_prev) {
			links[i].has_prev_index = 1;
			links[i].prev_index = e->links[i].prev_index;
			links[i].has_prev_leaf_hash = 1;
			links[i].prev_leaf_hash.data =
			        (uint8_t *)(uintptr_t)e->links[i]
			                .prev_leaf_hash.b;
			links[i].prev_leaf_hash.len = WB_HASH_LEN;
		}
		linkv[i] = &links[i];
	}
	m.n_links = e->n_links;
	m.links = linkv;
	rc = pack_message(out, len_out, &m.base);
out:
	free(links);
	free(linkv);
	return rc;
}

static wb_err
dec_genesis(wb_arena *a, wb_genesis *g, const Waybill__V1__Genesis *m)
{
	if (!copy_key(&g->log_key, &m->log_key) ||
	    !copy_key(&g->admin_key, &m->admin_key)) {
		return WB_EPROTO;
	}
	if (m->custody !=
	            WAYBILL__V1__CUSTODY_POLICY__CUSTODY_POLICY_ADVISORY &&
	    m->custody != WAYBILL__V1__CUSTODY_POLICY__CUSTODY_POLICY_STRICT) {
		return WB_EPROTO;
	}
	g->format_version = m->format_version;
	g->custody = (wb_custody)m->custody;
	g->max_ids = m->has_max_ids ? m->max_ids : WB_DEFAULT_MAX_IDS;
	g->max_attributes = m->has_max_attributes ? m->max_attributes
	                                          : WB_DEFAULT_MAX_ATTRIBUTES;
	g->max_stamp_bytes = m->has_max_stamp_bytes
	                             ? m->max_stamp_bytes
	                             : WB_DEFAULT_MAX_STAMP_BYTES;
	return dup_str(a, &g->origin, m->origin) &&
	                       dup_str(a, &g->admin_key_name, m->admin_key_name)
	               ? WB_OK
	               : WB_ENOMEM;
}

static wb_err
dec_signed(wb_arena *a, wb_entry *e, const Waybill__V1__Signed *s)
{
	uint8_t *body;

	if (!copy_key(&e->signer, &s->signer) ||
	    s->signature.len != WB_SIG_LEN) {
		return WB_EPROTO;
	}
	memcpy(e->signature, s->signature.data, WB_SIG_LEN);
	body = wb_arena_alloc(a, s->body.len > 0 ? s->body.len : 1);
	if (body == NULL) {
		return WB_ENOMEM;
	}
	if (s->body.len > 0) {
		memcpy(body, s->body.data, s->body.len);
	}
	e->body = body;
	e->body_len = s->body.len;
	return WB_OK;
}

static wb_err
dec_links(wb_arena *a, wb_entry *e, const Waybill__V1__Entry *m)
{
	wb_link *v;

	e->n_links = m->n_links;
	if (m->n_links == 0) {
		return WB_OK;
	}
	if ((v = wb_arena_alloc(a, m->n_links * sizeof(*v))) == NULL) {
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < m->n_links; i++) {
		const Waybill__V1__ChainLink *l = m->links[i];

		/* A link names its predecessor fully or not at all. */
		if (l->has_prev_index != l->has_prev_leaf_hash ||
		    (l->has_prev_leaf_hash &&
		     l->prev_leaf_hash.len != WB_HASH_LEN)) {
			return WB_EPROTO;
		}
		if (!dup_str(a, &v[i].twin, l->twin)) {
			return WB_ENOMEM;
		}
		v[i].has_prev = l->has_prev_index;
		v[i].prev_index = l->prev_index;
		if (l->has_prev_leaf_hash) {
			memcpy(v[i].prev_leaf_hash.b, l->prev_leaf_hash.data,
			       WB_HASH_LEN);
		}
	}
	e->links = v;
	return WB_OK;
}

wb_err
wb_entry_decode(wb_entry **out, const uint8_t *bytes, size_t len)
{
	Waybill__V1__Entry *m;
	wb_arena *a = NULL;
	wb_entry *e;
	wb_err rc;

	WB_CHECK_ARG(out && (bytes || len == 0));
	*out = NULL;
	m = waybill__v1__entry__unpack(NULL, len, bytes);
	if (m == NULL) {
		return WB_EPROTO;
	}
	if ((a = wb_arena_new(len + 512)) == NULL ||
	    (e = wb_arena_alloc(a, sizeof(*e))) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	e->index = m->index;
	e->record_time_us = m->record_time_us;
	switch (m->body_case) {
	case WAYBILL__V1__ENTRY__BODY_GENESIS:
		e->type = WB_ENTRY_GENESIS;
		rc = dec_genesis(a, &e->genesis, m->genesis);
		break;
	case WAYBILL__V1__ENTRY__BODY_STAMP:
		e->type = WB_ENTRY_STAMP;
		rc = dec_signed(a, e, m->stamp);
		break;
	case WAYBILL__V1__ENTRY__BODY_REGISTRY:
		e->type = WB_ENTRY_REGISTRY;
		rc = dec_signed(a, e, m->registry);
		break;
	default:
		rc = WB_EPROTO;
		break;
	}
	if (rc == WB_OK) {
		rc = dec_links(a, e, m);
	}
	if (rc != WB_OK) {
		goto out;
	}
	e->arena_ = a;
	*out = e;
	a = NULL;
out:
	wb_arena_free(a);
	waybill__v1__entry__free_unpacked(m, NULL);
	return rc;
}

void
wb_entry_free(wb_entry *e)
{
	if (e != NULL) {
		wb_arena_free(e->arena_);
	}
}

/*
 * Receipts.
 */

wb_err
wb_receipt_encode(uint8_t **out, size_t *len_out, const wb_receipt *r)
{
	Waybill__V1__Receipt m = WAYBILL__V1__RECEIPT__INIT;
	ProtobufCBinaryData *proof = NULL;
	wb_err rc;

	WB_CHECK_ARG(out && len_out && r && r->checkpoint);
	m.entry.data = (uint8_t *)(uintptr_t)r->entry;
	m.entry.len = r->entry_len;
	m.index = r->index;
	m.checkpoint = UNCONST(r->checkpoint);
	if (r->n_proof > 0) {
		proof = calloc(r->n_proof, sizeof(*proof));
		if (proof == NULL) {
			return WB_ENOMEM;
		}
		for (size_t i = 0; i < r->n_proof; i++) {
			proof[i].data = (uint8_t *)(uintptr_t)r->proof[i].b;
			proof[i].len = WB_HASH_LEN;
		}
	}
	m.n_proof = r->n_proof;
	m.proof = proof;
	rc = pack_message(out, len_out, &m.base);
	free(proof);
	return rc;
}

wb_err
wb_receipt_decode(wb_receipt **out, const uint8_t *bytes, size_t len)
{
	Waybill__V1__Receipt *m;
	wb_arena *a = NULL;
	wb_receipt *r;
	uint8_t *entry;
	wb_hash *proof = NULL;
	wb_err rc = WB_OK;

	WB_CHECK_ARG(out && (bytes || len == 0));
	*out = NULL;
	m = waybill__v1__receipt__unpack(NULL, len, bytes);
	if (m == NULL) {
		return WB_EPROTO;
	}
	if ((a = wb_arena_new(len + 256)) == NULL ||
	    (r = wb_arena_alloc(a, sizeof(*r))) == NULL ||
	    (entry = wb_arena_alloc(a, m->entry.len + 1)) == NULL ||
	    (m->n_proof > 0 &&
	     (proof = wb_arena_alloc(a, m->n_proof * sizeof(*proof))) ==
	             NULL) ||
	    !dup_str(a, &r->checkpoint, m->checkpoint)) {
		rc = WB_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < m->n_proof; i++) {
		if (m->proof[i].len != WB_HASH_LEN) {
			rc = WB_EPROTO;
			goto out;
		}
		memcpy(proof[i].b, m->proof[i].data, WB_HASH_LEN);
	}
	if (m->entry.len > 0) {
		memcpy(entry, m->entry.data, m->entry.len);
	}
	r->entry = entry;
	r->entry_len = m->entry.len;
	r->index = m->index;
	r->proof = proof;
	r->n_proof = m->n_proof;
	r->arena_ = a;
	*out = r;
	a = NULL;
out:
	wb_arena_free(a);
	waybill__v1__receipt__free_unpacked(m, NULL);
	return rc;
}

void
wb_receipt_free(wb_receipt *r)
{
	if (r != NULL) {
		wb_arena_free(r->arena_);
	}
}

/*
 * Export items.
 */

static ProtobufCBinaryData *
enc_hashes(const wb_hash *h, size_t n, bool *ok)
{
	ProtobufCBinaryData *v;

	if (n == 0) {
		return NULL;
	}
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].data = (uint8_t *)(uintptr_t)h[i].b;
		v[i].len = WB_HASH_LEN;
	}
	return v;
}

static size_t
varint_put(uint8_t out[10], uint64_t v)
{
	size_t n = 0;

	do {
		out[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		out[n] |= v ? 0x80 : 0;
		n++;
	} while (v);
	return n;
}

wb_err
wb_export_item_encode(uint8_t **out, size_t *len_out, const wb_export_header *h,
                      const wb_export_entry *e)
{
	Waybill__V1__ExportItem m = WAYBILL__V1__EXPORT_ITEM__INIT;
	Waybill__V1__ExportHeader hm = WAYBILL__V1__EXPORT_HEADER__INIT;
	Waybill__V1__ExportEntry em = WAYBILL__V1__EXPORT_ENTRY__INIT;
	ProtobufCBinaryData *a = NULL, *b = NULL;
	uint8_t prefix[10], *buf;
	size_t len, plen;
	bool ok = true;
	wb_err rc = WB_OK;

	WB_CHECK_ARG(out && len_out && ((h == NULL) != (e == NULL)));
	if (h != NULL) {
		if (h->checkpoint == NULL) {
			return WB_EINVAL;
		}
		hm.format_version = h->format_version;
		hm.genesis.data = (uint8_t *)(uintptr_t)h->genesis;
		hm.genesis.len = h->genesis_len;
		hm.n_genesis_proof = h->n_genesis_proof;
		hm.genesis_proof = a =
		        enc_hashes(h->genesis_proof, h->n_genesis_proof, &ok);
		hm.from = h->from;
		hm.to = h->to;
		hm.checkpoint = UNCONST(h->checkpoint);
		hm.n_left_hashes = h->n_left_hashes;
		hm.left_hashes = b =
		        enc_hashes(h->left_hashes, h->n_left_hashes, &ok);
		hm.registry_count = h->registry_count;
		m.item_case = WAYBILL__V1__EXPORT_ITEM__ITEM_HEADER;
		m.header = &hm;
	} else {
		em.index = e->index;
		em.entry.data = (uint8_t *)(uintptr_t)e->entry;
		em.entry.len = e->entry_len;
		em.n_proof = e->n_proof;
		em.proof = a = enc_hashes(e->proof, e->n_proof, &ok);
		if (e->leaf_hash != NULL) {
			em.has_leaf_hash = 1;
			em.leaf_hash.data = (uint8_t *)(uintptr_t)e->leaf_hash;
			em.leaf_hash.len = e->leaf_hash_len;
		}
		m.item_case = WAYBILL__V1__EXPORT_ITEM__ITEM_ENTRY;
		m.entry = &em;
	}
	if (!ok) {
		rc = WB_ENOMEM;
		goto out;
	}
	len = protobuf_c_message_get_packed_size(&m.base);
	plen = varint_put(prefix, len);
	if ((buf = malloc(plen + len)) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	memcpy(buf, prefix, plen);
	protobuf_c_message_pack(&m.base, buf + plen);
	*out = buf;
	*len_out = plen + len;
out:
	free(a);
	free(b);
	return rc;
}

static bool
dec_hashes(wb_arena *a, const wb_hash **dst, size_t *n_dst,
           const ProtobufCBinaryData *src, size_t n)
{
	wb_hash *v;

	*dst = NULL;
	*n_dst = n;
	if (n == 0) {
		return true;
	}
	if ((v = wb_arena_alloc(a, n * sizeof(*v))) == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (src[i].len != WB_HASH_LEN) {
			return false;
		}
		memcpy(v[i].b, src[i].data, WB_HASH_LEN);
	}
	*dst = v;
	return true;
}

static bool
dup_bytes(wb_arena *a, const uint8_t **dst, size_t *n_dst,
          const ProtobufCBinaryData *src)
{
	uint8_t *p = wb_arena_alloc(a, src->len + 1);

	if (p == NULL) {
		return false;
	}
	if (src->len > 0) {
		memcpy(p, src->data, src->len);
	}
	*dst = p;
	*n_dst = src->len;
	return true;
}

static wb_err
dec_export_header(wb_export_header **out, const Waybill__V1__ExportHeader *m)
{
	wb_arena *a = wb_arena_new(m->genesis.len + 4096);
	wb_export_header *h;

	if (a == NULL || (h = wb_arena_alloc(a, sizeof(*h))) == NULL) {
		wb_arena_free(a);
		return WB_ENOMEM;
	}
	h->format_version = m->format_version;
	h->from = m->from;
	h->to = m->to;
	h->registry_count = m->registry_count;
	if (!dup_bytes(a, &h->genesis, &h->genesis_len, &m->genesis) ||
	    !dup_str(a, &h->checkpoint, m->checkpoint) ||
	    !dec_hashes(a, &h->genesis_proof, &h->n_genesis_proof,
	                m->genesis_proof, m->n_genesis_proof) ||
	    !dec_hashes(a, &h->left_hashes, &h->n_left_hashes, m->left_hashes,
	                m->n_left_hashes)) {
		/* A hash of the wrong length is malformed, not out of memory;
		 * telling the two apart is not worth a second pass. */
		wb_arena_free(a);
		return WB_EPROTO;
	}
	h->arena_ = a;
	*out = h;
	return WB_OK;
}

static wb_err
dec_export_entry(wb_export_entry **out, const Waybill__V1__ExportEntry *m)
{
	wb_arena *a = wb_arena_new(m->entry.len + 1024);
	wb_export_entry *e;

	if (a == NULL || (e = wb_arena_alloc(a, sizeof(*e))) == NULL) {
		wb_arena_free(a);
		return WB_ENOMEM;
	}
	e->index = m->index;
	if (!dup_bytes(a, &e->entry, &e->entry_len, &m->entry) ||
	    !dec_hashes(a, &e->proof, &e->n_proof, m->proof, m->n_proof)) {
		wb_arena_free(a);
		return WB_EPROTO;
	}
	/* Kept as carried, even of the wrong length: the verifier names the
	 * entry whose hash is malformed, which a refusal here could not. */
	if (m->has_leaf_hash &&
	    !dup_bytes(a, &e->leaf_hash, &e->leaf_hash_len, &m->leaf_hash)) {
		wb_arena_free(a);
		return WB_ENOMEM;
	}
	e->arena_ = a;
	*out = e;
	return WB_OK;
}

/* Reads a varint length; WB_ENOTFOUND at a clean end of file. */
static wb_err
read_varint(FILE *f, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		int c = getc(f);

		if (c == EOF) {
			if (ferror(f)) {
				return WB_EIO;
			}
			return shift == 0 ? WB_ENOTFOUND : WB_EPROTO;
		}
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return WB_OK;
		}
	}
	return WB_EPROTO;
}

wb_err
wb_export_item_read(wb_export_header **h_out, wb_export_entry **e_out, FILE *f)
{
	Waybill__V1__ExportItem *m = NULL;
	uint8_t *buf = NULL;
	uint64_t len;
	wb_err rc;

	WB_CHECK_ARG(h_out && e_out && f);
	*h_out = NULL;
	*e_out = NULL;
	if ((rc = read_varint(f, &len)) != WB_OK) {
		return rc;
	}
	if (len > WB_EXPORT_MAX_ITEM) {
		return WB_EPROTO;
	}
	if ((buf = malloc(len ? len : 1)) == NULL) {
		return WB_ENOMEM;
	}
	if (fread(buf, 1, len, f) != len) {
		rc = ferror(f) ? WB_EIO : WB_EPROTO;
		goto out;
	}
	if ((m = waybill__v1__export_item__unpack(NULL, len, buf)) == NULL) {
		rc = WB_EPROTO;
		goto out;
	}
	switch (m->item_case) {
	case WAYBILL__V1__EXPORT_ITEM__ITEM_HEADER:
		rc = dec_export_header(h_out, m->header);
		break;
	case WAYBILL__V1__EXPORT_ITEM__ITEM_ENTRY:
		rc = dec_export_entry(e_out, m->entry);
		break;
	default:
		rc = WB_EPROTO;
		break;
	}
out:
	if (m != NULL) {
		waybill__v1__export_item__free_unpacked(m, NULL);
	}
	free(buf);
	return rc;
}

void
wb_export_header_free(wb_export_header *h)
{
	if (h != NULL) {
		wb_arena_free(h->arena_);
	}
}

void
wb_export_entry_free(wb_export_entry *e)
{
	if (e != NULL) {
		wb_arena_free(e->arena_);
	}
}
