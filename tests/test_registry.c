/* SPDX-License-Identifier: MIT */
/*
 * The registry: registration rules, role changes, key rotation with proof of
 * possession, revocation with an effective index, and the registry as of
 * any index rebuilt from the journal.
 */
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#define ITEM "urn:epc:id:sgtin:0614141.107346.2017"

static int
setup(void **state)
{
	fx_ledger *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx_open(fx, WB_CUSTODY_ADVISORY);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fx_close(*state);
	free(*state);
	return 0;
}

static wb_err
observe(fx_ledger *fx, const wb_signer *s, const char *event_id, wb_result *res)
{
	const char *ids[] = { ITEM };
	wb_stamp st;

	fx_stamp_init(&st, fx, WB_KIND_OBJECT, event_id);
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = WB_ACTION_OBSERVE;
	return fx_submit(fx, s, &st, res);
}

static wb_err
rotate(fx_ledger *fx, const wb_signer *old, const wb_signer *next,
       const wb_signer *prover, wb_result *res)
{
	wb_registry_change c = { 0 };

	c.op = WB_REG_ROTATE;
	c.key = *wb_signer_pubkey(old);
	c.new_key = *wb_signer_pubkey(next);
	assert_int_equal(wb_possession_sign(c.possession_signature, prover,
	                                    wb_journal_ledger_id(fx->j),
	                                    &c.key),
	                 WB_OK);
	return fx_registry(fx, &c, res);
}

static wb_err
revoke(fx_ledger *fx, const wb_signer *key, uint64_t effective, wb_result *res)
{
	wb_registry_change c = { 0 };

	c.op = WB_REG_REVOKE;
	c.key = *wb_signer_pubkey(key);
	c.effective_index = effective;
	c.reason = "key leaked";
	return fx_registry(fx, &c, res);
}

static void
test_registry_rotation_moves_the_stakeholder(void **state)
{
	fx_ledger *fx = *state;
	uint64_t acme_id, before, rotated_at;
	wb_signer *a1 =
	        fx_register(fx, "Acme", 10, 0, "0614141", NULL, &acme_id);
	wb_signer *a2 = test_signer("Acme", 20);
	wb_signer *thief = test_signer("Thief", 21);
	wb_stakeholder sh;
	wb_key_status ks;
	wb_result res;

	assert_int_equal(observe(fx, a1, "ev-1", &res), WB_OK);
	before = res.index;
	/* The proof must come from the new key. */
	assert_int_equal(rotate(fx, a1, a2, thief, &res), WB_EREJECTED);
	fx_assert_refused(WB_EREJECTED, &res, WB_REJECT_BAD_POSSESSION_PROOF);
	assert_int_equal(rotate(fx, a1, a2, a2, &res), WB_OK);
	rotated_at = res.index;
	/* The old key may no longer sign; the new one may, as Acme. */
	fx_assert_refused(observe(fx, a1, "ev-2", &res), &res,
	                  WB_REJECT_KEY_ROTATED);
	assert_int_equal(observe(fx, a2, "ev-2", &res), WB_OK);
	assert_int_equal(
	        wb_journal_stakeholder(&sh, &ks, fx->j, wb_signer_pubkey(a2)),
	        WB_OK);
	assert_int_equal(sh.id, acme_id);
	assert_string_equal(sh.name, "Acme");
	assert_int_equal(ks.valid_from, rotated_at + 1);
	assert_int_equal(
	        wb_journal_stakeholder(&sh, &ks, fx->j, wb_signer_pubkey(a1)),
	        WB_OK);
	assert_int_equal(ks.rotated_at, rotated_at);
	/* The old key was valid for its earlier stamp and still is. */
	assert_int_equal(wb_journal_key_valid_at(fx->j, wb_signer_pubkey(a1),
	                                         before, NULL),
	                 WB_OK);
	/* Namespaces follow the stakeholder: a2 may commission Acme IDs. */
	{
		const char *ids[] = { "urn:epc:id:sgtin:0614141.107346.9" };
		wb_stamp st;

		fx_stamp_init(&st, fx, WB_KIND_OBJECT, "ev-3");
		st.epcs = ids;
		st.n_epcs = 1;
		st.has_action = true;
		st.action = WB_ACTION_ADD;
		assert_int_equal(fx_submit(fx, a2, &st, &res), WB_OK);
	}
	/* Rotating to a key that is taken is a conflict. */
	assert_int_equal(rotate(fx, a2, a1, a1, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_REGISTRY_CONFLICT);
	wb_signer_free(a1);
	wb_signer_free(a2);
	wb_signer_free(thief);
}

static void
test_registry_revocation_takes_effect_at_its_index(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *shop = fx_register(fx, "Shop", 11, 0, NULL, NULL, NULL);
	wb_signer *shop2 = test_signer("Shop", 22);
	wb_verify_report rep;
	uint64_t first, second;
	wb_result res;

	assert_int_equal(observe(fx, shop, "ev-1", &res), WB_OK);
	first = res.index;
	assert_int_equal(observe(fx, shop, "ev-2", &res), WB_OK);
	second = res.index;
	/* Revoked retroactively from `second`: that stamp stays in the
	 * journal and is flagged; the earlier one stays valid. */
	assert_int_equal(revoke(fx, shop, second, &res), WB_OK);
	fx_assert_refused(observe(fx, shop, "ev-3", &res), &res,
	                  WB_REJECT_KEY_REVOKED);
	assert_int_equal(wb_journal_key_valid_at(fx->j, wb_signer_pubkey(shop),
	                                         first, NULL),
	                 WB_OK);
	assert_int_equal(wb_journal_key_valid_at(fx->j, wb_signer_pubkey(shop),
	                                         second, NULL),
	                 WB_EREJECTED);
	assert_int_equal(wb_verify_journal(&rep, fx->j, NULL, NULL, NULL),
	                 WB_OK);
	assert_true(rep.ok);
	assert_int_equal(rep.flagged, 1);
	assert_int_equal(rep.first_flagged, second);
	/* A revoked stakeholder gets a new key by rotation. */
	assert_int_equal(rotate(fx, shop, shop2, shop2, &res), WB_OK);
	assert_int_equal(observe(fx, shop2, "ev-3", &res), WB_OK);
	/* A later revocation cannot move the effective index later. */
	assert_int_equal(revoke(fx, shop, second + 100, &res), WB_OK);
	assert_int_equal(wb_journal_key_valid_at(fx->j, wb_signer_pubkey(shop),
	                                         second, NULL),
	                 WB_EREJECTED);
	wb_signer_free(shop);
	wb_signer_free(shop2);
}

static void
test_registry_refuses_conflicts_and_unknowns(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *acme =
	        fx_register(fx, "Acme", 10, 0, "0614141", "urn:acme:", NULL);
	wb_signer *other = test_signer("Other", 30);
	wb_namespace ns = { WB_NS_GS1_COMPANY_PREFIX, "06141" };
	wb_namespace lit = { WB_NS_LITERAL_PREFIX, "urn:acme:sub:" };
	wb_namespace bad = { WB_NS_GS1_COMPANY_PREFIX, "12a" };
	wb_role role = (wb_role)42;
	wb_registry_change c = { 0 };
	wb_result res;

	c.op = WB_REG_REGISTER;
	c.key = *wb_signer_pubkey(acme);
	c.name = "Acme again";
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_REGISTRY_CONFLICT);
	c.key = *wb_signer_pubkey(fx->admin);
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_REGISTRY_CONFLICT);
	c.key = *wb_signer_pubkey(other);
	c.namespaces = &ns; /* a prefix of Acme's */
	c.n_namespaces = 1;
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_REGISTRY_CONFLICT);
	c.namespaces = &lit; /* under Acme's literal prefix */
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_REGISTRY_CONFLICT);
	c.namespaces = &bad;
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_MALFORMED);
	c.n_namespaces = 0;
	c.roles = &role;
	c.n_roles = 1;
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_MALFORMED);
	/* Changing roles of, or revoking, a key nobody holds. */
	memset(&c, 0, sizeof(c));
	c.op = WB_REG_CHANGE_ROLES;
	c.key = *wb_signer_pubkey(other);
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_UNKNOWN_STAKEHOLDER);
	assert_int_equal(revoke(fx, other, 1, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_UNKNOWN_STAKEHOLDER);
	assert_int_equal(fx_size(fx), 2);
	wb_signer_free(acme);
	wb_signer_free(other);
}

static void
test_registry_changes_are_idempotent(void **state)
{
	fx_ledger *fx = *state;
	wb_signer *s = test_signer("Shop", 11);
	wb_registry_change c = { 0 };
	wb_result res;
	uint64_t first;

	c.op = WB_REG_REGISTER;
	c.key = *wb_signer_pubkey(s);
	c.name = "Shop";
	c.change_id = "register-shop";
	assert_int_equal(fx_registry(fx, &c, &res), WB_OK);
	first = res.index;
	assert_int_equal(fx_registry(fx, &c, &res), WB_OK);
	assert_true(res.duplicate);
	assert_int_equal(res.index, first);
	c.name = "Shop GmbH"; /* same change ID, other bytes */
	assert_int_equal(fx_registry(fx, &c, &res), WB_EREJECTED);
	assert_int_equal(res.problem.reason, WB_REJECT_DUPLICATE_EVENT_ID);
	assert_int_equal(fx_size(fx), 2);
	wb_signer_free(s);
}

static const wb_stakeholder *
find(const wb_stakeholder *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0) {
			return &v[i];
		}
	}
	return NULL;
}

static void
test_registry_as_of_any_index(void **state)
{
	fx_ledger *fx = *state;
	uint64_t reg_shop, changed, rotated;
	wb_signer *acme = fx_register(fx, "Acme", 10, 0, "0614141", NULL, NULL);
	wb_signer *shop = fx_register(fx, "Shop", 11, FX_ROLE(WB_ROLE_RETAILER),
	                              NULL, NULL, &reg_shop);
	wb_signer *shop2 = test_signer("Shop", 23);
	wb_role roles[] = { WB_ROLE_RETAILER, WB_ROLE_REGULATOR };
	wb_registry_change c = { 0 };
	const wb_stakeholder *sh;
	wb_stakeholder *v = NULL;
	wb_result res;
	size_t n;

	c.op = WB_REG_CHANGE_ROLES;
	c.key = *wb_signer_pubkey(shop);
	c.roles = roles;
	c.n_roles = 2;
	assert_int_equal(fx_registry(fx, &c, &res), WB_OK);
	changed = res.index;
	assert_int_equal(rotate(fx, shop, shop2, shop2, &res), WB_OK);
	rotated = res.index;

	assert_int_equal(wb_journal_registry_at(&v, &n, fx->j, reg_shop - 1),
	                 WB_OK);
	assert_int_equal(n, 1);
	assert_null(find(v, n, "Shop"));
	free(v);
	assert_int_equal(wb_journal_registry_at(&v, &n, fx->j, changed - 1),
	                 WB_OK);
	assert_int_equal(n, 2);
	sh = find(v, n, "Shop");
	assert_non_null(sh);
	assert_true(wb_stakeholder_has_role(sh, WB_ROLE_RETAILER));
	assert_false(wb_stakeholder_has_role(sh, WB_ROLE_REGULATOR));
	assert_memory_equal(sh->key.b, wb_signer_pubkey(shop)->b,
	                    WB_PUBKEY_LEN);
	free(v);
	assert_int_equal(wb_journal_registry_at(&v, &n, fx->j, changed), WB_OK);
	assert_true(
	        wb_stakeholder_has_role(find(v, n, "Shop"), WB_ROLE_REGULATOR));
	free(v);
	assert_int_equal(wb_journal_registry_at(&v, &n, fx->j, rotated), WB_OK);
	sh = find(v, n, "Shop");
	assert_memory_equal(sh->key.b, wb_signer_pubkey(shop2)->b,
	                    WB_PUBKEY_LEN);
	assert_string_equal(find(v, n, "Acme")->namespaces[0].prefix,
	                    "0614141");
	free(v);
	wb_signer_free(acme);
	wb_signer_free(shop);
	wb_signer_free(shop2);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_registry_rotation_moves_the_stakeholder),
		T(test_registry_revocation_takes_effect_at_its_index),
		T(test_registry_refuses_conflicts_and_unknowns),
		T(test_registry_changes_are_idempotent),
		T(test_registry_as_of_any_index),
	};
#undef T

	assert_int_equal(wb_init(), WB_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
