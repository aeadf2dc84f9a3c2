/* SPDX-License-Identifier: MIT */
/*
 * registry.c - stakeholders, their keys, roles and namespaces (private
 * records), and the registry changes that the admin key signs.
 *
 * Registry changes are journal entries like stamps; the records here are
 * derived from them. A key's record keeps its whole validity window (from,
 * rotated at, revoked from), so "may this key sign at index i" has one
 * answer for every i, and wb_journal_registry_at() rebuilds the registry
 * as of any index from the registry entries alone.
 */
#include "journal_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define STAKEHOLDER_RECORD_VERSION 1
#define KEY_RECORD_VERSION         1

bool
wb_stakeholder_has_role(const wb_stakeholder *s, wb_role role)
{
	return (s->roles & (1u << role)) != 0;
}

static wb_err
key_put(wb_txn *t, const wb_pubkey *key, const wb_key_record *k)
{
	wb_buf b = { 0 };
	wb_err rc;

	wb_buf_put_u8(&b, KEY_RECORD_VERSION);
	wb_buf_put_u64(&b, k->stakeholder);
	wb_buf_put_u64(&b, k->valid_from);
	wb_buf_put_u64(&b, k->rotated_at);
	wb_buf_put_u64(&b, k->revoked_from);
	rc = b.failed ? WB_ENOMEM
	              : wb_db_put(t, WB_DB_KEYS, key->b, WB_PUBKEY_LEN, b.data,
	                          b.len, 0);
	wb_buf_fini(&b);
	return rc;
}

wb_err
wb_reg_key_get(wb_txn *t, const wb_pubkey *key, wb_key_record *out)
{
	wb_reader r;
	wb_val v;
	wb_err rc;

	if ((rc = wb_db_get(t, WB_DB_KEYS, key->b, WB_PUBKEY_LEN, &v)) !=
	    WB_OK) {
		return rc;
	}
	wb_reader_init(&r, v.data, v.len);
	if (wb_read_u8(&r) != KEY_RECORD_VERSION) {
		return WB_ECORRUPT;
	}
	out->stakeholder = wb_read_u64(&r);
	out->valid_from = wb_read_u64(&r);
	out->rotated_at = wb_read_u64(&r);
	out->revoked_from = wb_read_u64(&r);
	return r.bad ? WB_ECORRUPT : WB_OK;
}

static wb_err
stakeholder_put(wb_txn *t, const wb_stakeholder *s)
{
	uint8_t key[8];
	wb_buf b = { 0 };
	wb_err rc;

	wb_buf_put_u8(&b, STAKEHOLDER_RECORD_VERSION);
	wb_buf_put_u64(&b, s->id);
	wb_buf_put_str(&b, s->name);
	wb_buf_put_str(&b, s->party_id);
	wb_buf_put_u32(&b, s->roles);
	wb_buf_put(&b, s->key.b, WB_PUBKEY_LEN);
	wb_buf_put_u64(&b, s->registered_at);
	wb_buf_put_u8(&b, (uint8_t)s->n_namespaces);
	for (size_t i = 0; i < s->n_namespaces; i++) {
		wb_buf_put_u8(&b, (uint8_t)s->namespaces[i].kind);
		wb_buf_put_str(&b, s->namespaces[i].prefix);
	}
	wb_be64_put(key, s->id);
	rc = b.failed ? WB_ENOMEM
	              : wb_db_put(t, WB_DB_STAKEHOLDERS, key, 8, b.data, b.len,
	                          0);
	wb_buf_fini(&b);
	return rc;
}

wb_err
wb_reg_stakeholder_load(wb_txn *t, uint64_t id, wb_stakeholder *s)
{
	uint8_t key[8];
	wb_reader r;
	wb_val v;
	wb_err rc;

	wb_be64_put(key, id);
	if ((rc = wb_db_get(t, WB_DB_STAKEHOLDERS, key, 8, &v)) != WB_OK) {
		return rc == WB_ENOTFOUND ? WB_ECORRUPT : rc;
	}
	memset(s, 0, sizeof(*s));
	wb_reader_init(&r, v.data, v.len);
	if (wb_read_u8(&r) != STAKEHOLDER_RECORD_VERSION) {
		return WB_ECORRUPT;
	}
	s->id = wb_read_u64(&r);
	wb_read_str(&r, s->name, sizeof(s->name));
	wb_read_str(&r, s->party_id, sizeof(s->party_id));
	s->roles = wb_read_u32(&r);
	wb_read_bytes(&r, s->key.b, WB_PUBKEY_LEN);
	s->registered_at = wb_read_u64(&r);
	s->n_namespaces = wb_read_u8(&r);
	if (s->n_namespaces > WB_MAX_NAMESPACES) {
		return WB_ECORRUPT;
	}
	for (size_t i = 0; i < s->n_namespaces; i++) {
		s->namespaces[i].kind = (wb_ns_kind)wb_read_u8(&r);
		wb_read_str(&r, s->namespaces[i].prefix,
		            sizeof(s->namespaces[i].prefix));
	}
	return r.bad ? WB_ECORRUPT : WB_OK;
}

bool
wb_reg_owns(const wb_stakeholder *st, const char *id, const char *key)
{
	for (size_t i = 0; i < st->n_namespaces; i++) {
		const char *prefix = st->namespaces[i].prefix;

		if (st->namespaces[i].kind == WB_NS_GS1_COMPANY_PREFIX
		            ? wb_id_in_company_prefix(key, prefix)
		            : wb_id_in_literal_prefix(id, key, prefix)) {
			return true;
		}
	}
	return false;
}

/* Calls fn for each owned namespace until it returns other than WB_OK
 * (WB_EEXISTS stops the scan as "found"). Namespaces are few (a handful per
 * stakeholder): a scan is cheap and needs no knowledge of company-prefix
 * lengths. */
typedef wb_err (*ns_fn)(wb_ns_kind kind, const char *prefix, uint64_t owner,
                        void *arg);

static wb_err
scan_namespaces(wb_txn *t, ns_fn fn, void *arg)
{
	wb_cursor *c = NULL;
	wb_val k, v;
	wb_err rc;

	if ((rc = wb_cursor_open(&c, t, WB_DB_NAMESPACES)) != WB_OK) {
		return rc;
	}
	for (rc = wb_cursor_seek(c, NULL, 0, &k, &v); rc == WB_OK;
	     rc = wb_cursor_next(c, &k, &v)) {
		char prefix[WB_ID_MAX + 1];
		const uint8_t *kb = k.data;

		if (k.len < 2 || k.len - 1 > WB_ID_MAX || v.len != 8) {
			rc = WB_ECORRUPT;
			break;
		}
		memcpy(prefix, kb + 1, k.len - 1);
		prefix[k.len - 1] = '\0';
		if ((rc = fn((wb_ns_kind)kb[0], prefix, wb_be64_get(v.data),
		             arg)) != WB_OK) {
			break;
		}
	}
	wb_cursor_close(c);
	return rc == WB_ENOTFOUND ? WB_OK : rc;
}

struct owner_query {
	const char *id;
	const char *key;
	uint64_t owner;
};

static wb_err
owner_of(wb_ns_kind kind, const char *prefix, uint64_t owner, void *arg)
{
	struct owner_query *q = arg;

	if (kind == WB_NS_GS1_COMPANY_PREFIX
	            ? wb_id_in_company_prefix(q->key, prefix)
	            : wb_id_in_literal_prefix(q->id, q->key, prefix)) {
		q->owner = owner;
		return WB_EEXISTS;
	}
	return WB_OK;
}

wb_err
wb_reg_namespace_owner(wb_txn *t, const char *id, const char *key,
                       uint64_t *owner_out)
{
	struct owner_query q = { id, key, 0 };
	wb_err rc = scan_namespaces(t, owner_of, &q);

	*owner_out = q.owner;
	return rc == WB_EEXISTS ? WB_OK : rc;
}

uint64_t
wb_reg_party_owner(wb_txn *t, const char *party)
{
	wb_val v;

	if (party == NULL || *party == '\0' ||
	    wb_db_get(t, WB_DB_PARTIES, party, strlen(party), &v) != WB_OK ||
	    v.len != 8) {
		return 0;
	}
	return wb_be64_get(v.data);
}

static bool
is_ledger_key(const wb_journal *j, const wb_pubkey *key)
{
	return memcmp(key->b, j->genesis.admin_key.b, WB_PUBKEY_LEN) == 0 ||
	       memcmp(key->b, j->genesis.log_key.b, WB_PUBKEY_LEN) == 0;
}

static wb_err
check_roles(const wb_registry_change *c, unsigned *roles_out, wb_problem *p)
{
	unsigned roles = 0;

	for (size_t i = 0; i < c->n_roles; i++) {
		if (c->roles[i] <= WB_ROLE_UNSPECIFIED ||
		    c->roles[i] >= WB_ROLE_COUNT_) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "role %d is not a known role (use operator, brand-owner, logistics, retailer, repairer, recycler, auditor or regulator)",
			        (int)c->roles[i]);
		}
		roles |= 1u << c->roles[i];
	}
	*roles_out = roles;
	return WB_OK;
}

/* Two prefixes overlap when one starts the other. */
static bool
prefixes_overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return strncmp(a, b, la < lb ? la : lb) == 0;
}

struct overlap_query {
	const wb_namespace *ns;
	wb_problem *p;
};

static wb_err
overlaps(wb_ns_kind kind, const char *prefix, uint64_t owner, void *arg)
{
	struct overlap_query *q = arg;

	if (kind == q->ns->kind && prefixes_overlap(prefix, q->ns->prefix)) {
		return wb_reject_set(
		        q->p, WB_REJECT_REGISTRY_CONFLICT,
		        "namespace %s overlaps namespace %s of stakeholder %llu: a prefix has one owner",
		        q->ns->prefix, prefix, (unsigned long long)owner);
	}
	return WB_OK;
}

static wb_err
check_namespace_free(wb_txn *t, const wb_namespace *ns, wb_problem *p)
{
	struct overlap_query q = { ns, p };

	return scan_namespaces(t, overlaps, &q);
}

static wb_err
check_register(wb_journal *j, wb_txn *t, const wb_registry_change *c,
               wb_stakeholder *s, wb_problem *p)
{
	wb_key_record kr;
	wb_twin_id party;
	size_t name_len = strlen(c->name);
	wb_err rc;

	if (is_ledger_key(j, &c->key)) {
		return wb_reject_set(
		        p, WB_REJECT_REGISTRY_CONFLICT,
		        "the ledger's admin and log keys cannot be registered as stakeholders: generate a key of its own for %s",
		        c->name);
	}
	if ((rc = wb_reg_key_get(t, &c->key, &kr)) == WB_OK) {
		return wb_reject_set(
		        p, WB_REJECT_REGISTRY_CONFLICT,
		        "this key is already registered (stakeholder %llu): every stakeholder needs a key of its own",
		        (unsigned long long)kr.stakeholder);
	} else if (rc != WB_ENOTFOUND) {
		return rc;
	}
	if (name_len == 0 || name_len > WB_KEY_NAME_MAX ||
	    !wb_text_valid(c->name, name_len)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the stakeholder name must be 1 to %d bytes of UTF-8 without control characters",
		        WB_KEY_NAME_MAX);
	}
	snprintf(s->name, sizeof(s->name), "%s", c->name);
	if ((rc = check_roles(c, &s->roles, p)) != WB_OK) {
		return rc;
	}
	if (c->party_id != NULL) {
		if ((rc = wb_id_parse(&party, c->party_id, strlen(c->party_id),
		                      p)) != WB_OK) {
			return rc;
		}
		if (wb_reg_party_owner(t, c->party_id) != 0) {
			return wb_reject_set(
			        p, WB_REJECT_REGISTRY_CONFLICT,
			        "party ID %s already belongs to another stakeholder",
			        c->party_id);
		}
		snprintf(s->party_id, sizeof(s->party_id), "%s", c->party_id);
	}
	if (c->n_namespaces > WB_MAX_NAMESPACES) {
		return wb_reject_set(
		        p, WB_REJECT_TOO_MANY_IDS,
		        "%zu namespaces: at most %d per stakeholder",
		        c->n_namespaces, WB_MAX_NAMESPACES);
	}
	for (size_t i = 0; i < c->n_namespaces; i++) {
		const wb_namespace *ns = &c->namespaces[i];
		size_t len = strlen(ns->prefix);

		if (ns->kind == WB_NS_GS1_COMPANY_PREFIX
		            ? !wb_id_company_prefix_valid(ns->prefix)
		            : (len == 0 || len > WB_ID_MAX ||
		               !wb_text_valid(ns->prefix, len))) {
			return wb_reject_set(
			        p, WB_REJECT_MALFORMED,
			        "namespace \"%s\" is invalid: a GS1 company prefix has 4 to 12 digits; a literal prefix is 1 to 256 bytes of UTF-8",
			        ns->prefix);
		}
		for (size_t k = 0; k < i; k++) {
			if (c->namespaces[k].kind == ns->kind &&
			    prefixes_overlap(c->namespaces[k].prefix,
			                     ns->prefix)) {
				return wb_reject_set(
				        p, WB_REJECT_REGISTRY_CONFLICT,
				        "namespaces %s and %s overlap: list each prefix once",
				        c->namespaces[k].prefix, ns->prefix);
			}
		}
		if ((rc = check_namespace_free(t, ns, p)) != WB_OK) {
			return rc;
		}
		s->namespaces[i].kind = ns->kind;
		snprintf(s->namespaces[i].prefix,
		         sizeof(s->namespaces[i].prefix), "%s", ns->prefix);
	}
	s->n_namespaces = c->n_namespaces;
	return WB_OK;
}

static wb_err
apply_register(wb_journal *j, wb_txn *t, const wb_registry_change *c,
               uint64_t index, wb_problem *p)
{
	wb_stakeholder *s = calloc(1, sizeof(*s));
	wb_key_record kr = { .stakeholder = index,
		             .valid_from = index + 1,
		             .rotated_at = WB_NONE,
		             .revoked_from = WB_NONE };
	uint8_t id[8];
	wb_err rc;

	if (s == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = check_register(j, t, c, s, p)) != WB_OK) {
		goto out;
	}
	s->id = index;
	s->key = c->key;
	s->registered_at = index;
	wb_be64_put(id, index);
	if ((rc = stakeholder_put(t, s)) != WB_OK ||
	    (rc = key_put(t, &c->key, &kr)) != WB_OK) {
		goto out;
	}
	if (s->party_id[0] != '\0' &&
	    (rc = wb_db_put(t, WB_DB_PARTIES, s->party_id, strlen(s->party_id),
	                    id, 8, 0)) != WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < s->n_namespaces; i++) {
		wb_buf k = { 0 };

		wb_buf_put_u8(&k, (uint8_t)s->namespaces[i].kind);
		wb_buf_put(&k, s->namespaces[i].prefix,
		           strlen(s->namespaces[i].prefix));
		rc = k.failed ? WB_ENOMEM
		              : wb_db_put(t, WB_DB_NAMESPACES, k.data, k.len,
		                          id, 8, 0);
		wb_buf_fini(&k);
		if (rc != WB_OK) {
			goto out;
		}
	}
out:
	free(s);
	return rc;
}

/* The stakeholder whose current key is `key` (rotation and role changes
 * act on the current key only). */
static wb_err
current_holder(wb_txn *t, const wb_pubkey *key, wb_key_record *kr,
               wb_stakeholder *s, wb_problem *p)
{
	wb_err rc = wb_reg_key_get(t, key, kr);

	if (rc == WB_ENOTFOUND) {
		return wb_reject_set(
		        p, WB_REJECT_UNKNOWN_STAKEHOLDER,
		        "no stakeholder holds this key: register it first");
	}
	if (rc != WB_OK ||
	    (rc = wb_reg_stakeholder_load(t, kr->stakeholder, s)) != WB_OK) {
		return rc;
	}
	if (memcmp(s->key.b, key->b, WB_PUBKEY_LEN) != 0) {
		return wb_reject_set(
		        p, WB_REJECT_UNKNOWN_STAKEHOLDER,
		        "this key was rotated away from stakeholder %s: name its current key",
		        s->name);
	}
	return WB_OK;
}

static wb_err
apply_change_roles(wb_txn *t, const wb_registry_change *c, wb_problem *p)
{
	wb_stakeholder *s = calloc(1, sizeof(*s));
	wb_key_record kr;
	wb_err rc;

	if (s == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = current_holder(t, &c->key, &kr, s, p)) == WB_OK &&
	    (rc = check_roles(c, &s->roles, p)) == WB_OK) {
		rc = stakeholder_put(t, s);
	}
	free(s);
	return rc;
}

static wb_err
apply_rotate(wb_journal *j, wb_txn *t, const wb_registry_change *c,
             uint64_t index, wb_problem *p)
{
	wb_stakeholder *s = calloc(1, sizeof(*s));
	wb_key_record kr, nkr;
	wb_err rc;

	if (s == NULL) {
		return WB_ENOMEM;
	}
	if ((rc = current_holder(t, &c->key, &kr, s, p)) != WB_OK) {
		goto out;
	}
	if (is_ledger_key(j, &c->new_key)) {
		rc = wb_reject_set(
		        p, WB_REJECT_REGISTRY_CONFLICT,
		        "the ledger's admin and log keys cannot become a stakeholder's key");
		goto out;
	}
	if ((rc = wb_reg_key_get(t, &c->new_key, &nkr)) == WB_OK) {
		rc = wb_reject_set(
		        p, WB_REJECT_REGISTRY_CONFLICT,
		        "the new key is already registered (stakeholder %llu): generate a fresh key",
		        (unsigned long long)nkr.stakeholder);
		goto out;
	} else if (rc != WB_ENOTFOUND) {
		goto out;
	}
	if (wb_possession_verify(c->possession_signature, &c->new_key,
	                         j->ledger_id, &c->key) != WB_OK) {
		rc = wb_reject_set(
		        p, WB_REJECT_BAD_POSSESSION_PROOF,
		        "the rotation's proof of possession does not verify: the new key must sign ledger ID, old key and new key (context waybill/v1/possession)");
		goto out;
	}
	kr.rotated_at = index;
	nkr = (wb_key_record){ .stakeholder = s->id,
		               .valid_from = index + 1,
		               .rotated_at = WB_NONE,
		               .revoked_from = WB_NONE };
	s->key = c->new_key;
	if ((rc = key_put(t, &c->key, &kr)) == WB_OK &&
	    (rc = key_put(t, &c->new_key, &nkr)) == WB_OK) {
		rc = stakeholder_put(t, s);
	}
out:
	free(s);
	return rc;
}

static wb_err
apply_revoke(wb_txn *t, const wb_registry_change *c, wb_problem *p)
{
	wb_key_record kr;
	size_t reason_len = c->reason ? strlen(c->reason) : 0;
	wb_err rc = wb_reg_key_get(t, &c->key, &kr);

	if (rc == WB_ENOTFOUND) {
		return wb_reject_set(
		        p, WB_REJECT_UNKNOWN_STAKEHOLDER,
		        "no stakeholder ever held this key: nothing to revoke");
	}
	if (rc != WB_OK) {
		return rc;
	}
	if (reason_len > 1024 || !wb_text_valid(c->reason, reason_len)) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the revocation reason must be at most 1024 bytes of UTF-8 without control characters");
	}
	/* A second revocation can only move the effective index earlier. */
	if (kr.revoked_from == WB_NONE ||
	    c->effective_index < kr.revoked_from) {
		kr.revoked_from = c->effective_index;
	}
	return key_put(t, &c->key, &kr);
}

wb_err
wb_reg_apply(wb_journal *j, wb_txn *t, const wb_registry_change *c,
             uint64_t index, wb_problem *p)
{
	uint8_t key[8];
	wb_err rc;

	switch (c->op) {
	case WB_REG_REGISTER:
		rc = apply_register(j, t, c, index, p);
		break;
	case WB_REG_CHANGE_ROLES:
		rc = apply_change_roles(t, c, p);
		break;
	case WB_REG_ROTATE:
		rc = apply_rotate(j, t, c, index, p);
		break;
	case WB_REG_REVOKE:
		rc = apply_revoke(t, c, p);
		break;
	default:
		rc = wb_reject_set(p, WB_REJECT_MALFORMED,
		                   "the registry change names no operation");
		break;
	}
	if (rc != WB_OK) {
		return rc;
	}
	wb_be64_put(key, index);
	return wb_db_put(t, WB_DB_REGLOG, key, 8, "", 0, WB_PUT_APPEND);
}

wb_err
wb_journal_stakeholder(wb_stakeholder *out, wb_key_status *status,
                       wb_journal *j, const wb_pubkey *key)
{
	wb_key_record kr;
	wb_txn t = { 0 };
	wb_err rc;

	WB_CHECK_ARG(out && j && key);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_reg_key_get(&t, key, &kr)) == WB_OK &&
	    (rc = wb_reg_stakeholder_load(&t, kr.stakeholder, out)) == WB_OK &&
	    status != NULL) {
		status->stakeholder = kr.stakeholder;
		status->valid_from = kr.valid_from;
		status->rotated_at = kr.rotated_at;
		status->revoked_from = kr.revoked_from;
	}
	wb_txn_abort(&t);
	return rc;
}

/* Shared by the append path: may `kr` sign at index? */
wb_err wb_reg_key_check(const wb_key_record *kr, uint64_t index, wb_problem *p);

wb_err
wb_reg_key_check(const wb_key_record *kr, uint64_t index, wb_problem *p)
{
	if (kr->revoked_from != WB_NONE && index >= kr->revoked_from) {
		return wb_reject_set(
		        p, WB_REJECT_KEY_REVOKED,
		        "the signing key is revoked from index %llu on: sign with the stakeholder's new key",
		        (unsigned long long)kr->revoked_from);
	}
	if (kr->rotated_at != WB_NONE && index >= kr->rotated_at) {
		return wb_reject_set(
		        p, WB_REJECT_KEY_ROTATED,
		        "the signing key was replaced by a rotation at index %llu: sign with the new key",
		        (unsigned long long)kr->rotated_at);
	}
	if (index < kr->valid_from) {
		return wb_reject_set(
		        p, WB_REJECT_UNKNOWN_SIGNER,
		        "the signing key is not valid before index %llu",
		        (unsigned long long)kr->valid_from);
	}
	return WB_OK;
}

wb_err
wb_journal_key_valid_at(wb_journal *j, const wb_pubkey *key, uint64_t index,
                        wb_problem *p)
{
	wb_key_record kr;
	wb_txn t = { 0 };
	wb_err rc;

	WB_CHECK_ARG(j && key);
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	rc = wb_reg_key_get(&t, key, &kr);
	wb_txn_abort(&t);
	if (rc == WB_ENOTFOUND) {
		return wb_reject_set(p, WB_REJECT_UNKNOWN_SIGNER,
		                     "the key is not registered");
	}
	return rc == WB_OK ? wb_reg_key_check(&kr, index, p) : rc;
}

/*
 * The registry as of an index, rebuilt from registry entries only.
 */

struct registry_view {
	wb_stakeholder *v;
	size_t n;
	size_t cap;
	uint64_t until;
	wb_err err;
};

static wb_stakeholder *
view_find_key(struct registry_view *rv, const wb_pubkey *key)
{
	for (size_t i = 0; i < rv->n; i++) {
		if (memcmp(rv->v[i].key.b, key->b, WB_PUBKEY_LEN) == 0) {
			return &rv->v[i];
		}
	}
	return NULL;
}

static void
view_apply(struct registry_view *rv, const wb_registry_change *c,
           uint64_t index)
{
	wb_stakeholder *s;

	switch (c->op) {
	case WB_REG_REGISTER:
		if (rv->n == rv->cap) {
			size_t cap = rv->cap ? rv->cap * 2 : 8;
			wb_stakeholder *v = realloc(rv->v, cap * sizeof(*v));

			if (v == NULL) {
				rv->err = WB_ENOMEM;
				return;
			}
			rv->v = v;
			rv->cap = cap;
		}
		s = &rv->v[rv->n++];
		memset(s, 0, sizeof(*s));
		s->id = index;
		s->key = c->key;
		s->registered_at = index;
		snprintf(s->name, sizeof(s->name), "%s", c->name);
		if (c->party_id != NULL) {
			snprintf(s->party_id, sizeof(s->party_id), "%s",
			         c->party_id);
		}
		for (size_t i = 0; i < c->n_roles; i++) {
			s->roles |= 1u << c->roles[i];
		}
		for (size_t i = 0; i < c->n_namespaces && i < WB_MAX_NAMESPACES;
		     i++) {
			s->namespaces[i].kind = c->namespaces[i].kind;
			snprintf(s->namespaces[i].prefix,
			         sizeof(s->namespaces[i].prefix), "%s",
			         c->namespaces[i].prefix);
			s->n_namespaces = i + 1;
		}
		break;
	case WB_REG_CHANGE_ROLES:
		if ((s = view_find_key(rv, &c->key)) != NULL) {
			s->roles = 0;
			for (size_t i = 0; i < c->n_roles; i++) {
				s->roles |= 1u << c->roles[i];
			}
		}
		break;
	case WB_REG_ROTATE:
		if ((s = view_find_key(rv, &c->key)) != NULL) {
			s->key = c->new_key;
		}
		break;
	default:
		/* Revocation changes a key's validity, not who holds what. */
		break;
	}
}

static wb_err
view_entry(uint64_t index, const uint8_t *bytes, size_t len, void *arg)
{
	struct registry_view *rv = arg;
	wb_registry_change *c = NULL;
	wb_entry *e = NULL;
	wb_err rc;

	if ((rc = wb_entry_decode(&e, bytes, len)) != WB_OK) {
		return WB_ECORRUPT;
	}
	if (e->type == WB_ENTRY_REGISTRY) {
		rc = wb_registry_change_decode(&c, e->body, e->body_len);
		if (rc == WB_OK) {
			view_apply(rv, c, index);
			rc = rv->err;
		} else {
			rc = WB_ECORRUPT;
		}
	}
	wb_registry_change_free(c);
	wb_entry_free(e);
	return rc;
}

wb_err
wb_journal_registry_at(wb_stakeholder **out, size_t *n_out, wb_journal *j,
                       uint64_t index)
{
	struct registry_view rv = { .until = index };
	uint64_t *indexes = NULL;
	size_t n = 0, cap = 0;
	wb_cursor *c = NULL;
	wb_txn t = { 0 };
	wb_val k;
	wb_err rc;

	WB_CHECK_ARG(out && n_out && j);
	*out = NULL;
	*n_out = 0;
	/* Collect the registry entries' indexes first, so that no read
	 * transaction stays open across the decoding below. */
	if ((rc = wb_txn_begin(&t, j->mdb, false)) != WB_OK) {
		return rc;
	}
	if ((rc = wb_cursor_open(&c, &t, WB_DB_REGLOG)) == WB_OK) {
		for (rc = wb_cursor_seek(c, NULL, 0, &k, NULL); rc == WB_OK;
		     rc = wb_cursor_next(c, &k, NULL)) {
			uint64_t i;

			if (k.len != 8) {
				rc = WB_ECORRUPT;
				break;
			}
			if ((i = wb_be64_get(k.data)) > index) {
				break;
			}
			if (n == cap) {
				uint64_t *v;

				cap = cap ? cap * 2 : 64;
				if ((v = realloc(indexes, cap * sizeof(*v))) ==
				    NULL) {
					rc = WB_ENOMEM;
					break;
				}
				indexes = v;
			}
			indexes[n++] = i;
		}
		rc = rc == WB_ENOTFOUND ? WB_OK : rc;
	}
	wb_cursor_close(c);
	wb_txn_abort(&t);
	for (size_t i = 0; rc == WB_OK && i < n; i++) {
		rc = wb_journal_range(j, indexes[i], indexes[i] + 1, view_entry,
		                      &rv);
	}
	free(indexes);
	if (rc != WB_OK) {
		free(rv.v);
		return rc;
	}
	*out = rv.v;
	*n_out = rv.n;
	return WB_OK;
}
