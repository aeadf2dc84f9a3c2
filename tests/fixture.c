/* SPDX-License-Identifier: MIT */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
fx_open(fx_ledger *fx, wb_custody custody)
{
	wb_journal_create_opts co = { .custody = custody };

	fx_open_opts(fx, &co);
}

void
fx_open_opts(fx_ledger *fx, wb_journal_create_opts *co_in)
{
	wb_journal_create_opts co = *co_in;
	wb_journal_open_opts oo = { 0 };

	memset(fx, 0, sizeof(*fx));
	assert_int_equal(wb_init(), WB_OK);
	fx->dir = test_mkdtemp();
	fx->log = test_signer("test.example/ledger", 1);
	fx->admin = test_signer("admin", 2);
	co.origin = "test.example/ledger";
	co.log_key = fx->log;
	co.admin_key = *wb_signer_pubkey(fx->admin);
	assert_int_equal(wb_journal_create(fx->dir, &co), WB_OK);
	oo.log_key = fx->log;
	oo.map_size = co.map_size;
	oo.max_map_size = co.max_map_size;
	assert_int_equal(wb_journal_open(&fx->j, fx->dir, &oo), WB_OK);
}

void
fx_reopen(fx_ledger *fx)
{
	wb_journal_open_opts oo = { .log_key = fx->log };

	wb_journal_close(fx->j);
	fx->j = NULL;
	assert_int_equal(wb_journal_open(&fx->j, fx->dir, &oo), WB_OK);
}

void
fx_close(fx_ledger *fx)
{
	wb_journal_close(fx->j);
	test_rmdir(fx->dir);
	wb_signer_free(fx->log);
	wb_signer_free(fx->admin);
	memset(fx, 0, sizeof(*fx));
}

wb_err
fx_registry(fx_ledger *fx, wb_registry_change *c, wb_result *res)
{
	wb_submission sub = { 0 };
	char change_id[32];
	uint8_t *body = NULL;
	size_t len;
	wb_err rc;

	memcpy(c->ledger_id, wb_journal_ledger_id(fx->j), WB_HASH_LEN);
	if (c->change_id == NULL) {
		snprintf(change_id, sizeof(change_id), "change-%u",
		         ++fx->change_seq);
		c->change_id = change_id;
	}
	assert_int_equal(wb_registry_change_encode(&body, &len, c), WB_OK);
	sub.type = WB_ENTRY_REGISTRY;
	sub.body = body;
	sub.body_len = len;
	sub.signer = *wb_signer_pubkey(fx->admin);
	assert_int_equal(wb_sig_sign(sub.signature, fx->admin, WB_SIG_REGISTRY,
	                             body, len),
	                 WB_OK);
	rc = wb_journal_append(fx->j, &sub, 1, res, NULL, NULL);
	if (c->change_id == change_id) {
		c->change_id = NULL;
	}
	free(body);
	return rc == WB_OK ? res->err : rc;
}

wb_signer *
fx_register(fx_ledger *fx, const char *name, uint8_t seed, unsigned roles,
            const char *gs1_prefix, const char *literal_prefix,
            uint64_t *id_out)
{
	wb_registry_change c = { 0 };
	wb_namespace ns[2];
	wb_role role_list[WB_ROLE_COUNT_];
	wb_signer *s = test_signer(name, seed);
	wb_result res;

	c.op = WB_REG_REGISTER;
	c.key = *wb_signer_pubkey(s);
	c.name = name;
	for (int r = 1; r < WB_ROLE_COUNT_; r++) {
		if (roles & FX_ROLE(r)) {
			role_list[c.n_roles++] = (wb_role)r;
		}
	}
	c.roles = role_list;
	if (gs1_prefix != NULL) {
		ns[c.n_namespaces].kind = WB_NS_GS1_COMPANY_PREFIX;
		ns[c.n_namespaces++].prefix = gs1_prefix;
	}
	if (literal_prefix != NULL) {
		ns[c.n_namespaces].kind = WB_NS_LITERAL_PREFIX;
		ns[c.n_namespaces++].prefix = literal_prefix;
	}
	c.namespaces = ns;
	if (fx_registry(fx, &c, &res) != WB_OK) {
		fail_msg("registering %s: %s", name, res.problem.msg);
	}
	if (id_out != NULL) {
		*id_out = res.index;
	}
	return s;
}

void
fx_stamp_init(wb_stamp *s, const fx_ledger *fx, wb_kind kind,
              const char *event_id)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->ledger_id, wb_journal_ledger_id(fx->j), WB_HASH_LEN);
	s->event_id = event_id;
	s->kind = kind;
	s->event_time.seconds = FX_EVENT_TIME;
	s->event_tz_offset = "+00:00";
}

void
fx_submission(wb_submission *sub, const wb_signer *signer, const wb_stamp *s)
{
	uint8_t *body = NULL;
	size_t len;

	memset(sub, 0, sizeof(*sub));
	assert_int_equal(wb_stamp_encode(&body, &len, s), WB_OK);
	sub->type = WB_ENTRY_STAMP;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(signer);
	assert_int_equal(
	        wb_sig_sign(sub->signature, signer, WB_SIG_STAMP, body, len),
	        WB_OK);
}

wb_err
fx_submit(fx_ledger *fx, const wb_signer *signer, const wb_stamp *s,
          wb_result *res)
{
	wb_submission sub;
	wb_err rc;

	fx_submission(&sub, signer, s);
	rc = wb_journal_append(fx->j, &sub, 1, res, NULL, NULL);
	free((void *)(uintptr_t)sub.body);
	return rc == WB_OK ? res->err : rc;
}

uint64_t
fx_size(fx_ledger *fx)
{
	uint64_t n = 0;

	assert_int_equal(wb_journal_size(&n, fx->j), WB_OK);
	return n;
}

void
fx_assert_refused(wb_err rc, const wb_result *res, wb_reject reason)
{
	if (rc != WB_EREJECTED || res->problem.reason != reason) {
		fail_msg("expected refusal %s, got rc %d reason %s (%s)",
		         wb_reject_name(reason), (int)rc,
		         wb_reject_name(res->problem.reason), res->problem.msg);
	}
	/* Every refusal says what to fix. */
	assert_true(strlen(res->problem.msg) > 10);
}
