/* SPDX-License-Identifier: MIT */
/*
 * stamp.h - a stamp: one lifecycle event as a stakeholder signs it, and
 * the admin's registry changes.
 *
 * The structs mirror proto/entry.proto field for field (EPCIS 2.0 event
 * dimensions plus waybill's recall, lift and master-data kinds) so that
 * nothing outside codec.c sees protobuf types. Presence is explicit: a NULL
 * string or pointer, or a has_ flag, means "absent", and survives a round
 * trip.
 *
 * Ownership: a stamp built by a caller points at the caller's memory and is
 * only read by wb_stamp_encode(). A stamp from wb_stamp_decode() owns all its
 * memory (one arena) and is released with wb_stamp_free().
 *
 * Signed bytes are never re-encoded: the ledger stores and verifies the
 * exact bytes the signer produced.
 *
 * THREAD SAFETY: functions are reentrant; a stamp is not shared across
 * threads while being written.
 */
#ifndef WAYBILL_STAMP_H
#define WAYBILL_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waybill/err.h"
#include "waybill/hash.h"
#include "waybill/sig.h"

typedef enum {
	WB_KIND_UNSPECIFIED = 0,
	WB_KIND_OBJECT,
	WB_KIND_AGGREGATION,
	WB_KIND_TRANSFORMATION,
	WB_KIND_TRANSACTION,
	WB_KIND_ASSOCIATION,
	WB_KIND_RECALL,
	WB_KIND_LIFT,
	WB_KIND_MASTER_DATA,
	WB_KIND_COUNT_,
} wb_kind;

typedef enum {
	WB_ACTION_UNSPECIFIED = 0,
	WB_ACTION_ADD,
	WB_ACTION_OBSERVE,
	WB_ACTION_DELETE,
} wb_action;

typedef enum {
	WB_RECALL_CLASS_UNSPECIFIED = 0,
	WB_RECALL_CLASS_I,
	WB_RECALL_CLASS_II,
	WB_RECALL_CLASS_III,
} wb_recall_class;

/* An instant: seconds since the epoch and optional nanoseconds. */
typedef struct {
	int64_t seconds;
	uint32_t nanos;
	bool has_nanos;
} wb_time;

typedef struct {
	const char *epc_class;
	bool has_quantity;
	double quantity;
	const char *uom;
} wb_quantity;

typedef struct {
	const char *type; /* optional */
	const char *value;
} wb_typed_value;

typedef struct {
	const char *id;
	const char *extensions_json; /* optional */
} wb_location;

typedef struct {
	const char **set;
	size_t n_set;
	const char **unset;
	size_t n_unset;
} wb_persistent_disposition;

typedef struct {
	const wb_time *time;
	const wb_time *start_time;
	const wb_time *end_time;
	const char *device_id;
	const char *device_metadata;
	const char *raw_data;
	const char *data_processing_method;
	const char *biz_rules;
	const char *extensions_json;
} wb_sensor_metadata;

typedef struct {
	const char *type;
	const char *exception;
	const char *device_id;
	const char *device_metadata;
	const char *raw_data;
	const char *data_processing_method;
	const wb_time *time;
	const char *microorganism;
	const char *chemical_substance;
	bool has_value;
	double value;
	const char *component;
	const char *string_value;
	bool has_boolean_value;
	bool boolean_value;
	const char *hex_binary_value;
	const char *uri_value;
	bool has_min_value;
	double min_value;
	bool has_max_value;
	double max_value;
	bool has_mean_value;
	double mean_value;
	bool has_s_dev;
	double s_dev;
	bool has_perc_rank;
	double perc_rank;
	bool has_perc_value;
	double perc_value;
	const char *uom;
	const char *coordinate_reference_system;
	const char *biz_rules;
	const char *extensions_json;
} wb_sensor_report;

typedef struct {
	const wb_sensor_metadata *metadata; /* optional */
	const wb_sensor_report *reports;
	size_t n_reports;
	const char *extensions_json;
} wb_sensor_element;

typedef struct {
	wb_time declaration_time;
	const char *reason;
	const char **corrective_event_ids;
	size_t n_corrective_event_ids;
	const char *extensions_json;
} wb_error_declaration;

/* A key/value attribute; exactly one of text and json is set. */
typedef struct {
	const char *key;
	const char *text;
	const char *json;
} wb_attribute;

typedef struct {
	const char **targets;
	size_t n_targets;
	const char *reason;
	bool has_severity;
	wb_recall_class severity;
	const char *reference;
} wb_recall;

typedef struct {
	uint64_t recall_index;
	const char **targets; /* empty: the whole recall */
	size_t n_targets;
	const char *reason;
} wb_lift;

typedef struct {
	const char *vocabulary_type;
	const char *element_id;
	const wb_attribute *attributes;
	size_t n_attributes;
	const char **children;
	size_t n_children;
} wb_master_data;

typedef struct wb_arena wb_arena;

/* One lifecycle event. See proto/entry.proto for each field's meaning. */
typedef struct {
	uint8_t ledger_id[WB_HASH_LEN];
	const char *event_id;
	wb_kind kind;
	wb_time event_time;
	const char *event_tz_offset; /* "+hh:mm" or "-hh:mm" */
	bool has_action;
	wb_action action;
	const char **epcs;
	size_t n_epcs;
	const wb_quantity *quantities;
	size_t n_quantities;
	const char *parent_id;
	const char **input_epcs;
	size_t n_input_epcs;
	const wb_quantity *input_quantities;
	size_t n_input_quantities;
	const char **output_epcs;
	size_t n_output_epcs;
	const wb_quantity *output_quantities;
	size_t n_output_quantities;
	const char *transformation_id;
	const wb_location *read_point;
	const wb_location *biz_location;
	const char *biz_step;
	const char *disposition;
	const wb_persistent_disposition *persistent_disposition;
	const wb_typed_value *biz_transactions;
	size_t n_biz_transactions;
	const wb_typed_value *sources;
	size_t n_sources;
	const wb_typed_value *destinations;
	size_t n_destinations;
	const wb_sensor_element *sensor_elements;
	size_t n_sensor_elements;
	const char *ilmd_json;
	const char **certification_info;
	size_t n_certification_info;
	const wb_error_declaration *error_declaration;
	const wb_attribute *attributes;
	size_t n_attributes;
	const char *extensions_json;
	const wb_recall *recall;
	const wb_lift *lift;
	const wb_master_data *master_data;
	const char *context_json;

	wb_arena *arena_; /* set by wb_stamp_decode(); NULL otherwise */
} wb_stamp;

/**
 * Serialises a stamp into malloc'd bytes (free()); these are the bytes a
 * stakeholder signs.
 * @return WB_OK, WB_EINVAL (a required field is missing), WB_ENOMEM.
 */
wb_err wb_stamp_encode(uint8_t **out, size_t *len_out, const wb_stamp *s);

/**
 * Parses stamp bytes into a new stamp that owns its memory (wb_stamp_free).
 * @return WB_OK, WB_EPROTO (not a Stamp, or required fields missing),
 * WB_ENOMEM.
 */
wb_err wb_stamp_decode(wb_stamp **out, const uint8_t *bytes, size_t len);

/** Frees a decoded stamp; NULL is allowed. */
void wb_stamp_free(wb_stamp *s);

/** The name of a kind ("object", "recall", ...); never NULL. */
const char *wb_kind_name(wb_kind kind);

/**
 * The bare CBV word of a bizStep or disposition written as a bare word, a
 * CBV 1.x URN (urn:epcglobal:cbv:bizstep:shipping) or a CBV 2.0 URI
 * (https://ref.gs1.org/cbv/BizStep-shipping); other values are returned as
 * they are. The result points into value.
 */
const char *wb_cbv_word(const char *value);

/*
 * Registry changes, signed by the admin key.
 */
typedef enum {
	WB_ROLE_UNSPECIFIED = 0,
	WB_ROLE_OPERATOR,
	WB_ROLE_BRAND_OWNER,
	WB_ROLE_LOGISTICS,
	WB_ROLE_RETAILER,
	WB_ROLE_REPAIRER,
	WB_ROLE_RECYCLER,
	WB_ROLE_AUDITOR,
	WB_ROLE_REGULATOR,
	WB_ROLE_COUNT_,
} wb_role;

typedef enum {
	WB_NS_GS1_COMPANY_PREFIX = 1,
	WB_NS_LITERAL_PREFIX = 2,
} wb_ns_kind;

typedef struct {
	wb_ns_kind kind;
	const char *prefix;
} wb_namespace;

typedef enum {
	WB_REG_NONE = 0,
	WB_REG_REGISTER,
	WB_REG_CHANGE_ROLES,
	WB_REG_ROTATE,
	WB_REG_REVOKE,
} wb_reg_op;

typedef struct {
	uint8_t ledger_id[WB_HASH_LEN];
	const char *change_id;
	wb_reg_op op;
	/* register, change roles, revoke: the key; rotate: the old key */
	wb_pubkey key;
	/* register */
	const char *name;
	const char *party_id; /* optional */
	const wb_namespace *namespaces;
	size_t n_namespaces;
	/* register, change roles */
	const wb_role *roles;
	size_t n_roles;
	/* rotate */
	wb_pubkey new_key;
	uint8_t possession_signature[WB_SIG_LEN];
	/* revoke */
	uint64_t effective_index;
	const char *reason; /* optional */

	wb_arena *arena_;
} wb_registry_change;

/** Serialises a registry change into malloc'd bytes (free()).
 * @return WB_OK, WB_EINVAL, WB_ENOMEM. */
wb_err wb_registry_change_encode(uint8_t **out, size_t *len_out,
                                 const wb_registry_change *c);

/** Parses registry change bytes (wb_registry_change_free).
 * @return WB_OK, WB_EPROTO, WB_ENOMEM. */
wb_err wb_registry_change_decode(wb_registry_change **out, const uint8_t *bytes,
                                 size_t len);

/** Frees a decoded registry change; NULL is allowed. */
void wb_registry_change_free(wb_registry_change *c);

/**
 * The proof of possession a rotation carries: the new key's signature
 * (context waybill/v1/possession) over ledger_id || old_key || new_key.
 * @return WB_OK, WB_EINTERNAL.
 */
wb_err wb_possession_sign(uint8_t sig_out[WB_SIG_LEN], const wb_signer *new_key,
                          const uint8_t ledger_id[WB_HASH_LEN],
                          const wb_pubkey *old_key);

/** Checks a proof of possession. @return WB_OK or WB_EBADSIG. */
wb_err wb_possession_verify(const uint8_t sig[WB_SIG_LEN],
                            const wb_pubkey *new_key,
                            const uint8_t ledger_id[WB_HASH_LEN],
                            const wb_pubkey *old_key)
        __attribute__((warn_unused_result));

/** The name of a role ("regulator"); never NULL. */
const char *wb_role_name(wb_role role);

/** The role named name, or WB_ROLE_UNSPECIFIED. */
wb_role wb_role_from_name(const char *name);

#endif
