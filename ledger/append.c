/* SPDX-License-Identifier: MIT */
/*
 * append.c - the write path: a batch of signed submissions judged in
 * index order against the state the write transaction holds, the accepted
 * ones appended with their per-twin chain links and Merkle nodes, one
 * checkpoint signed at the new size, and ONE durable commit for the batch.
 *
 * Nothing is written for a refused submission: every check runs before the
 * first put for it. A full map aborts the whole transaction; the map is
 * grown (up to its maximum) and the batch retried, so a commit never holds
 * half a batch.
 */
#include "journal_impl.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* From journal.c and registry.c. */
wb_err wb_journal_put_entry(wb_txn *t, uint64_t index, const uint8_t *bytes,
                            size_t len, wb_hash *leaf_out);
wb_err wb_journal_put_checkpoint(wb_journal *j, wb_txn *t, uint64_t size);
wb_err wb_reg_key_check(const wb_key_record *kr, uint64_t index, wb_problem *p);

enum {
	EVENT_TAG_EVENT = 0,       /* a stamp's event ID */
	EVENT_TAG_DECLARATION = 1, /* an error declaration of that event */
};

/* What one batch keeps between submissions: the last signer looked up
 * (batches usually come from one stakeholder). */
struct batch {
	wb_journal *j;
	wb_txn t;
	bool have_signer;
	wb_pubkey signer_key;
	wb_key_record signer_kr;
	wb_stakeholder signer;
	wb_postings postings; /* written just before the commit */
};

void
wb_submission_check(wb_submission *s)
{
	wb_sig_context ctx =
	        s->type == WB_ENTRY_REGISTRY ? WB_SIG_REGISTRY : WB_SIG_STAMP;

	s->sig_state = wb_sig_verify(&s->signer, ctx, s->body, s->body_len,
	                             s->signature) == WB_OK
	                       ? 1
	                       : -1;
}

static bool
key_is(const wb_pubkey *a, const wb_pubkey *b)
{
	return memcmp(a->b, b->b, WB_PUBKEY_LEN) == 0;
}

static wb_err
check_signature(wb_submission *sub, wb_problem *p)
{
	if (sub->sig_state == 0) {
		wb_submission_check(sub);
	}
	if (sub->sig_state < 0) {
		return wb_reject_set(
		        p, WB_REJECT_BAD_SIGNATURE,
		        "the signature does not verify over these bytes with this key (context %s): sign the exact bytes submitted",
		        wb_sig_context_string(sub->type == WB_ENTRY_REGISTRY
		                                      ? WB_SIG_REGISTRY
		                                      : WB_SIG_STAMP));
	}
	return WB_OK;
}

/* What identifies an event for the event-ID rule: who, which space (an
 * event, or a declaration of error about one), and the ID. */
struct event_key {
	uint64_t stakeholder;
	uint8_t tag;
	const char *id;
	bool registry; /* a registry change ID (stakeholder WB_ADMIN_ID) */
	uint64_t fp;
};

/* Looks the event key up; WB_OK with *dup set when these exact bytes are
 * already in at *dup_index. */
static wb_err
check_event_id(struct batch *b, struct event_key *k, const uint8_t *body,
               size_t len, bool *dup, uint64_t *dup_index, wb_problem *p)
{
	bool same = false;
	wb_err rc;

	*dup = false;
	k->fp = wb_events_fp(k->stakeholder, k->tag, k->id);
	rc = wb_events_lookup(b->j, &b->t, k->stakeholder, k->tag, k->id,
	                      k->registry, body, len, dup_index, &same);
	if (rc == WB_ENOTFOUND) {
		return WB_OK;
	}
	if (rc != WB_OK) {
		return rc;
	}
	if (same) {
		*dup = true;
		return WB_OK;
	}
	return wb_reject_set(
	        p, WB_REJECT_DUPLICATE_EVENT_ID,
	        "%s %s was already used by entry %llu with other bytes: give a new %s an ID of its own%s",
	        k->registry ? "change ID" : "event ID", k->id,
	        (unsigned long long)*dup_index,
	        k->registry ? "change" : "event",
	        k->registry
	                ? ""
	                : " (an error declaration repeats the ID of the event it corrects)");
}

static wb_err
load_signer(struct batch *b, const wb_pubkey *key, wb_problem *p)
{
	wb_err rc;

	if (b->have_signer && key_is(&b->signer_key, key)) {
		return WB_OK;
	}
	b->have_signer = false;
	rc = wb_reg_key_get(&b->t, key, &b->signer_kr);
	if (rc == WB_ENOTFOUND) {
		return wb_reject_set(
		        p, WB_REJECT_UNKNOWN_SIGNER,
		        "the signing key is not registered on this ledger: ask the operator to register it");
	}
	if (rc != WB_OK ||
	    (rc = wb_reg_stakeholder_load(&b->t, b->signer_kr.stakeholder,
	                                  &b->signer)) != WB_OK) {
		return rc;
	}
	b->signer_key = *key;
	b->have_signer = true;
	return WB_OK;
}

/* Writes the entry for a stamp: chain links from each twin's head, then
 * the entry and its Merkle nodes, then the new heads and history. */
static wb_err
write_stamp_entry(struct batch *b, wb_rule_ctx *ctx, wb_submission *sub,
                  uint64_t index, uint64_t record_time)
{
	wb_entry e = { 0 };
	wb_link *links = NULL;
	wb_twin_state *st = NULL;
	uint8_t *bytes = NULL;
	size_t len, n = ctx->n_touched;
	wb_hash leaf;
	wb_err rc = WB_ENOMEM;

	if ((links = calloc(n ? n : 1, sizeof(*links))) == NULL ||
	    (st = malloc(sizeof(*st))) == NULL) {
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = wb_twin_get(&b->t, ctx->touched[i].twin.key, st);
		if (rc == WB_ENOTFOUND) {
			links[i].has_prev = false;
		} else if (rc != WB_OK) {
			goto out;
		} else {
			links[i].has_prev = st->has_head;
			links[i].prev_index = st->head_index;
			links[i].prev_leaf_hash = st->head_leaf;
		}
		links[i].twin = ctx->touched[i].twin.key;
	}
	e.index = index;
	e.record_time_us = record_time;
	e.type = WB_ENTRY_STAMP;
	e.body = sub->body;
	e.body_len = sub->body_len;
	e.signer = sub->signer;
	memcpy(e.signature, sub->signature, WB_SIG_LEN);
	e.links = links;
	e.n_links = n;
	if ((rc = wb_entry_encode(&bytes, &len, &e)) != WB_OK ||
	    (rc = wb_journal_put_entry(&b->t, index, bytes, len, &leaf)) !=
	            WB_OK) {
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *key = ctx->touched[i].twin.key;

		rc = wb_twin_get(&b->t, key, st);
		if (rc == WB_ENOTFOUND) {
			rc = wb_twin_new(&b->t, key, ctx->touched[i].id, st);
		}
		if (rc != WB_OK) {
			goto out;
		}
		st->has_head = true;
		st->head_index = index;
		st->head_leaf = leaf;
		st->n_entries++;
		if ((rc = wb_twin_put(&b->t, key, st)) != WB_OK ||
		    (rc = wb_twin_history_add(&b->t, st->twin_no, index)) !=
		            WB_OK) {
			goto out;
		}
	}
out:
	free(bytes);
	free(links);
	free(st);
	return rc;
}

static wb_err
check_event_time(const wb_stamp *s, uint64_t record_time, wb_problem *p)
{
	/* Compare in microseconds; an event before 1970 is never early. */
	if (s->event_time.seconds > 0 &&
	    ((uint64_t)s->event_time.seconds > UINT64_MAX / 1000000u ||
	     (uint64_t)s->event_time.seconds * 1000000u +
	                     s->event_time.nanos / 1000u >
	             record_time + WB_MAX_FUTURE_US)) {
		return wb_reject_set(
		        p, WB_REJECT_FUTURE_EVENT_TIME,
		        "the event time is more than 5 minutes after the ledger's clock: check the sender's clock and time-zone handling");
	}
	return WB_OK;
}

static size_t
id_capacity(const wb_stamp *s, uint32_t max_ids)
{
	size_t n = s->n_epcs + s->n_quantities + 1 + s->n_input_epcs +
	           s->n_input_quantities + s->n_output_epcs +
	           s->n_output_quantities;

	if (s->recall != NULL) {
		n += s->recall->n_targets;
	}
	if (s->lift != NULL) {
		n += s->lift->n_targets;
	}
	return n < max_ids ? n : max_ids;
}

static wb_err
process_stamp(struct batch *b, wb_submission *sub, uint64_t index,
              uint64_t record_time, wb_result *res)
{
	wb_journal *j = b->j;
	wb_problem *p = &res->problem;
	wb_rule_ctx ctx = { 0 };
	wb_touched *touched = NULL;
	wb_stamp *s = NULL;
	struct event_key ek = { 0 };
	uint64_t dup_index = 0;
	bool dup = false;
	wb_err rc;

	if (key_is(&sub->signer, &j->genesis.admin_key) ||
	    key_is(&sub->signer, &j->genesis.log_key)) {
		return wb_reject_set(
		        p, WB_REJECT_WRONG_KEY,
		        "the ledger's %s key may not sign stamps: the admin key signs registry changes, the log key checkpoints",
		        key_is(&sub->signer, &j->genesis.admin_key) ? "admin"
		                                                    : "log");
	}
	if (sub->body_len > j->genesis.max_stamp_bytes) {
		return wb_reject_set(
		        p, WB_REJECT_TOO_LARGE,
		        "the stamp is %zu bytes: this ledger takes at most %u",
		        sub->body_len, j->genesis.max_stamp_bytes);
	}
	if ((rc = load_signer(b, &sub->signer, p)) != WB_OK ||
	    (rc = check_signature(sub, p)) != WB_OK) {
		return rc;
	}
	if (wb_stamp_decode(&s, sub->body, sub->body_len) != WB_OK) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the bytes are not a waybill.v1.Stamp with its required fields (ledger ID, event ID, kind, event time, time-zone offset)");
	}
	if (memcmp(s->ledger_id, j->ledger_id, WB_HASH_LEN) != 0) {
		rc = wb_reject_set(
		        p, WB_REJECT_WRONG_LEDGER,
		        "the stamp names another ledger: use this ledger's ID (see `waybill info`)");
		goto out;
	}
	if (s->event_id == NULL || strlen(s->event_id) > WB_ID_MAX) {
		rc = wb_reject_set(p, WB_REJECT_MALFORMED,
		                   "the event ID must be 1 to 256 bytes");
		goto out;
	}
	ek.stakeholder = b->signer.id;
	ek.tag = s->error_declaration != NULL ? EVENT_TAG_DECLARATION
	                                      : EVENT_TAG_EVENT;
	ek.id = s->event_id;
	if ((rc = check_event_id(b, &ek, sub->body, sub->body_len, &dup,
	                         &dup_index, p)) != WB_OK) {
		goto out;
	}
	if (dup) {
		res->duplicate = true;
		res->index = dup_index;
		goto out;
	}
	if (!j->skip_rules &&
	    (rc = wb_reg_key_check(&b->signer_kr, index, p)) != WB_OK) {
		goto out;
	}
	ctx.j = j;
	ctx.t = &b->t;
	ctx.index = index;
	ctx.record_time_us = record_time;
	ctx.stamp = s;
	ctx.signer = &b->signer;
	ctx.postings = &b->postings;
	if ((touched = calloc(id_capacity(s, j->genesis.max_ids) + 1,
	                      sizeof(*touched))) == NULL) {
		rc = WB_ENOMEM;
		goto out;
	}
	if ((rc = wb_rules_check_shape(&ctx, touched,
	                               id_capacity(s, j->genesis.max_ids) + 1,
	                               p)) != WB_OK ||
	    (rc = check_event_time(s, record_time, p)) != WB_OK) {
		goto out;
	}
	if (!j->skip_rules && (rc = wb_rules_check_state(&ctx, p)) != WB_OK) {
		goto out;
	}
	if ((rc = write_stamp_entry(b, &ctx, sub, index, record_time)) !=
	            WB_OK ||
	    (rc = wb_events_add(j, &b->t, ek.fp, index)) != WB_OK ||
	    (rc = wb_effects_apply(&ctx)) != WB_OK) {
		goto out;
	}
	res->index = index;
	res->custody_gap = ctx.custody_gap;
	res->kind = s->kind;
	res->lift_of = s->lift != NULL ? s->lift->recall_index : 0;
out:
	free(touched);
	wb_stamp_free(s);
	return rc;
}

static wb_err
write_registry_entry(struct batch *b, wb_submission *sub, uint64_t index,
                     uint64_t record_time)
{
	wb_entry e = { 0 };
	uint8_t *bytes = NULL;
	size_t len;
	wb_hash leaf;
	wb_err rc;

	e.index = index;
	e.record_time_us = record_time;
	e.type = WB_ENTRY_REGISTRY;
	e.body = sub->body;
	e.body_len = sub->body_len;
	e.signer = sub->signer;
	memcpy(e.signature, sub->signature, WB_SIG_LEN);
	if ((rc = wb_entry_encode(&bytes, &len, &e)) == WB_OK) {
		rc = wb_journal_put_entry(&b->t, index, bytes, len, &leaf);
	}
	free(bytes);
	return rc;
}

static wb_err
process_registry(struct batch *b, wb_submission *sub, uint64_t index,
                 uint64_t record_time, wb_result *res)
{
	wb_journal *j = b->j;
	wb_problem *p = &res->problem;
	wb_registry_change *c = NULL;
	struct event_key ek = { 0 };
	uint64_t dup_index = 0;
	bool dup = false;
	wb_err rc;

	if (!key_is(&sub->signer, &j->genesis.admin_key)) {
		return wb_reject_set(
		        p, WB_REJECT_WRONG_KEY,
		        "registry changes must be signed by the ledger's admin key");
	}
	if (sub->body_len > j->genesis.max_stamp_bytes) {
		return wb_reject_set(
		        p, WB_REJECT_TOO_LARGE,
		        "the registry change is %zu bytes: this ledger takes at most %u",
		        sub->body_len, j->genesis.max_stamp_bytes);
	}
	if ((rc = check_signature(sub, p)) != WB_OK) {
		return rc;
	}
	if (wb_registry_change_decode(&c, sub->body, sub->body_len) != WB_OK) {
		return wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the bytes are not a waybill.v1.RegistryChange with its required fields");
	}
	if (memcmp(c->ledger_id, j->ledger_id, WB_HASH_LEN) != 0) {
		rc = wb_reject_set(
		        p, WB_REJECT_WRONG_LEDGER,
		        "the registry change names another ledger: use this ledger's ID");
		goto out;
	}
	if (strlen(c->change_id) == 0 || strlen(c->change_id) > WB_ID_MAX ||
	    !wb_text_valid(c->change_id, strlen(c->change_id))) {
		rc = wb_reject_set(
		        p, WB_REJECT_MALFORMED,
		        "the change ID must be 1 to 256 bytes of UTF-8 without control characters");
		goto out;
	}
	ek.stakeholder = WB_ADMIN_ID;
	ek.tag = EVENT_TAG_EVENT;
	ek.id = c->change_id;
	ek.registry = true;
	if ((rc = check_event_id(b, &ek, sub->body, sub->body_len, &dup,
	                         &dup_index, p)) != WB_OK) {
		goto out;
	}
	if (dup) {
		res->duplicate = true;
		res->index = dup_index;
		goto out;
	}
	if ((rc = wb_reg_apply(j, &b->t, c, index, p)) != WB_OK ||
	    (rc = write_registry_entry(b, sub, index, record_time)) != WB_OK ||
	    (rc = wb_events_add(j, &b->t, ek.fp, index)) != WB_OK) {
		goto out;
	}
	/* Keys and roles may have changed under the cached signer. */
	b->have_signer = false;
	res->index = index;
out:
	wb_registry_change_free(c);
	return rc;
}

/* Runs the batch in one write transaction; commits when anything new was
 * appended. *next_out is the tree size after it. */
static wb_err
run_batch(wb_journal *j, wb_submission *subs, size_t n, wb_result *results,
          const wb_append_opts *o, uint64_t *next_out, uint64_t *last_rt)
{
	struct batch *b = calloc(1, sizeof(*b));
	uint64_t size, index, now, rt = j->last_record_time_us;
	bool refused = false, committed = false;
	wb_err rc;

	if (b == NULL) {
		return WB_ENOMEM;
	}
	b->j = j;
	if ((rc = wb_txn_begin(&b->t, j->mdb, true)) != WB_OK) {
		free(b);
		return rc;
	}
	if ((rc = wb_journal_size_txn(&b->t, &size)) != WB_OK ||
	    (rc = wb_events_load(j, &b->t)) != WB_OK) {
		goto out;
	}
	index = size;
	now = wb_now_us();
	for (size_t i = 0; i < n; i++) {
		wb_result *res = &results[i];
		uint64_t t;

		memset(res, 0, sizeof(*res));
		/* Record times never go backwards, whatever the clock does. */
		t = subs[i].record_time_us ? subs[i].record_time_us : now;
		t = t < rt ? rt : t;
		if (subs[i].type == WB_ENTRY_STAMP) {
			rc = process_stamp(b, &subs[i], index, t, res);
		} else if (subs[i].type == WB_ENTRY_REGISTRY) {
			rc = process_registry(b, &subs[i], index, t, res);
		} else {
			rc = wb_reject_set(
			        &res->problem, WB_REJECT_MALFORMED,
			        "only stamps and registry changes can be submitted");
		}
		if (rc == WB_EREJECTED) {
			res->err = WB_EREJECTED;
			refused = true;
			continue;
		}
		if (rc != WB_OK) {
			goto out; /* a system error: abort the batch */
		}
		if (!res->duplicate) {
			rt = t;
			index++;
		}
	}
	rc = WB_OK;
	if (refused && o != NULL && o->atomic) {
		rc = WB_EREJECTED;
		goto out;
	}
	if (index > size) {
		if ((rc = wb_postings_flush(&b->postings, &b->t)) != WB_OK ||
		    (!j->replay && (rc = wb_journal_put_checkpoint(
		                            j, &b->t, index)) != WB_OK) ||
		    (rc = wb_txn_commit(&b->t)) != WB_OK) {
			goto out;
		}
		committed = true;
	}
	*next_out = index;
	*last_rt = rt;
out:
	wb_txn_abort(&b->t);
	/* The in-memory event index follows what the journal holds. */
	if (committed) {
		wb_events_commit(j);
	} else {
		wb_events_rollback(j);
	}
	wb_postings_fini(&b->postings);
	free(b);
	return rc;
}

wb_err
wb_journal_append(wb_journal *j, wb_submission *subs, size_t n,
                  wb_result *results, const wb_append_opts *o,
                  uint64_t *size_out)
{
	uint64_t next = 0, rt = 0;
	wb_err rc;

	WB_CHECK_ARG(j && (subs || n == 0) && (results || n == 0));
	if (j->log == NULL && !j->replay) {
		return WB_EDENIED;
	}
	pthread_mutex_lock(&j->write_lock);
	for (;;) {
		rc = run_batch(j, subs, n, results, o, &next, &rt);
		if (rc != WB_ENOSPC) {
			break;
		}
		/* The map is full: grow it (no txn of ours is open) and
		 * replay the batch from scratch. */
		if ((rc = wb_mdb_grow(j->mdb)) != WB_OK) {
			wb_log(WB_LOG_WARN,
			       "ledger full: the map reached its maximum of %zu bytes; raise --map-size",
			       wb_mdb_max_map_size(j->mdb));
			break;
		}
	}
	if (rc == WB_OK) {
		j->last_record_time_us = rt;
		if (size_out != NULL) {
			*size_out = next;
		}
	}
	pthread_mutex_unlock(&j->write_lock);
	return rc;
}
