/* SPDX-License-Identifier: MIT */
/*
 * ops.c - the operations: each decodes its request body, calls libwaybill
 * and encodes its reply. The dispatch table says which need an
 * authenticated key. Refusals carry the status, the reason and a message
 * that says what to fix.
 */
#include "server_impl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpc.pb-c.h"
#include "waybill/log.h"

#define AUTH_WINDOW_MS     (5 * 60 * 1000)
#define HISTORY_DEFAULT    100
#define HISTORY_MAX        1000
#define RANGE_PAGE_DEFAULT 1000
#define RANGE_PAGE_MAX     10000

typedef void (*op_fn)(struct wb_rpc_server *s, struct srv_ctx *c,
                      const wb_wire_request *req, uint32_t pipe,
                      const op_identity *who, op_reply *r);

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
reply_body(op_reply *r, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);

	if ((r->body = malloc(len ? len : 1)) == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		return;
	}
	protobuf_c_message_pack(m, r->body);
	r->body_len = len;
	r->status = WB_OK;
}

void
bad_body(op_reply *r, const char *what)
{
	op_fail(r, WB_EPROTO, WB_REJECT_MALFORMED,
	        "the request body is not a waybill.v1.%s with its required fields",
	        what);
}

static bool
key_is(const wb_pubkey *a, const wb_pubkey *b)
{
	return memcmp(a->b, b->b, WB_PUBKEY_LEN) == 0;
}

/*
 * Who may read: the admin key, or a registered key valid now; never the
 * log key.
 */
static bool
reader_allowed(struct wb_rpc_server *s, const wb_pubkey *key, op_reply *r)
{
	const wb_genesis *g = wb_journal_genesis(s->j);
	wb_problem p = { 0 };
	uint64_t size = 0;
	wb_err rc;

	if (key_is(key, &g->log_key)) {
		op_fail(r, WB_EDENIED, WB_REJECT_WRONG_KEY,
		        "the log key signs checkpoints only and may not read: use a stakeholder's or the admin's key");
		return false;
	}
	if (key_is(key, &g->admin_key)) {
		return true;
	}
	if ((rc = wb_journal_size(&size, s->j)) != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE, "cannot read the ledger: %s",
		        wb_strerror(rc));
		return false;
	}
	if ((rc = wb_journal_key_valid_at(s->j, key, size, &p)) != WB_OK) {
		/* The registry's text says what is wrong with the key; an
		 * unknown key also needs to hear what to do about it. */
		op_fail(r, WB_EDENIED,
		        rc == WB_EREJECTED ? p.reason : WB_REJECT_NONE,
		        "this key may not read: %s%s",
		        rc == WB_EREJECTED ? p.msg : wb_strerror(rc),
		        rc == WB_EREJECTED &&
		                        p.reason == WB_REJECT_UNKNOWN_SIGNER
		                ? ": ask the ledger's operator to register it, or use a registered key"
		                : "");
		return false;
	}
	return true;
}

static bool
resolve_identity(struct wb_rpc_server *s, const wb_wire_request *req,
                 uint32_t pipe, op_identity *who, op_reply *r)
{
	if (req->has_auth) {
		uint8_t msg[WB_AUTH_MSG_MAX];
		uint64_t now = now_ms();
		size_t len;
		bool full;

		if (req->auth_ts_ms + AUTH_WINDOW_MS < now ||
		    req->auth_ts_ms > now + AUTH_WINDOW_MS) {
			op_fail(r, WB_EDENIED, WB_REJECT_AUTH_STALE,
			        "the request's timestamp is more than 5 minutes from the server's clock: check the client's clock");
			return false;
		}
		len = wb_wire_request_auth_msg(msg, wb_journal_ledger_id(s->j),
		                               req->op, req->body,
		                               req->body_len, req->auth_ts_ms,
		                               req->nonce, req->nonce_len);
		if (wb_sig_verify(&req->auth_key, WB_SIG_AUTH, msg, len,
		                  req->auth_sig) != WB_OK) {
			op_fail(r, WB_EDENIED, WB_REJECT_BAD_SIGNATURE,
			        "the request's signature does not verify: sign \"request\", NUL, ledger ID, op, SHA-256 of the body, timestamp and nonce with context waybill/v1/auth");
			return false;
		}
		if (!srv_nonce_fresh(s, &req->auth_key, req->nonce,
		                     req->nonce_len, now, &full)) {
			if (full) {
				op_fail(r, WB_EBUSY, WB_REJECT_NONE,
				        "too many signed requests at once: retry shortly, or authenticate the connection instead");
			} else {
				op_fail(r, WB_EDENIED, WB_REJECT_AUTH_REPLAYED,
				        "this request's nonce was used before: every signed request needs a fresh nonce");
			}
			return false;
		}
		who->key = req->auth_key;
	} else if (!srv_pipe_identity(s, pipe, &who->key)) {
		op_fail(r, WB_EDENIED, WB_REJECT_AUTH_REQUIRED,
		        "this operation needs an authenticated key: answer a Challenge with Authenticate, or sign the request");
		return false;
	}
	who->present = true;
	if (!reader_allowed(s, &who->key, r)) {
		if (!req->has_auth) {
			srv_pipe_forget_key(s, pipe);
		}
		return false;
	}
	return true;
}

/*
 * Anonymous operations.
 */

static void
op_ping(struct wb_rpc_server *s, struct srv_ctx *c, const wb_wire_request *req,
        uint32_t pipe, const op_identity *who, op_reply *r)
{
	(void)s;
	(void)c;
	(void)req;
	(void)pipe;
	(void)who;
	r->status = WB_OK;
}

static void
op_info(struct wb_rpc_server *s, struct srv_ctx *c, const wb_wire_request *req,
        uint32_t pipe, const op_identity *who, op_reply *r)
{
	Waybill__V1__InfoResponse m = WAYBILL__V1__INFO_RESPONSE__INIT;
	const wb_genesis *g = wb_journal_genesis(s->j);
	uint64_t commits = atomic_load(&s->commits);
	char *note = NULL;
	wb_err rc;

	(void)c;
	(void)req;
	(void)pipe;
	(void)who;
	if ((rc = wb_journal_size(&m.tree_size, s->j)) != WB_OK ||
	    (rc = wb_journal_checkpoint(&note, s->j, 0)) != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE, "cannot read the ledger: %s",
		        wb_strerror(rc));
		return;
	}
	m.ledger_id.data = (uint8_t *)(uintptr_t)wb_journal_ledger_id(s->j);
	m.ledger_id.len = WB_HASH_LEN;
	m.origin = (char *)(uintptr_t)g->origin;
	m.log_key = s->log_key_text;
	m.admin_key = s->admin_key_text;
	m.server_version = (char *)WAYBILL_VERSION;
	m.max_message_bytes = (uint32_t)s->o.max_message;
	m.max_batch = s->o.max_batch;
	m.max_in_flight = s->o.contexts;
	m.custody = g->custody == WB_CUSTODY_STRICT ? "strict" : "advisory";
	m.requests = atomic_load(&s->requests);
	m.refusals = atomic_load(&s->refusals);
	m.commits = commits;
	m.mean_batch =
	        commits ? (double)atomic_load(&s->committed) / (double)commits
	                : 0;
	m.checkpoint = note;
	reply_body(r, &m.base);
	free(note);
}

static void
op_challenge(struct wb_rpc_server *s, struct srv_ctx *c,
             const wb_wire_request *req, uint32_t pipe, const op_identity *who,
             op_reply *r)
{
	Waybill__V1__ChallengeResponse m =
	        WAYBILL__V1__CHALLENGE_RESPONSE__INIT;
	uint8_t ch[WB_CHALLENGE_LEN];

	(void)c;
	(void)req;
	(void)who;
	if (srv_challenge(s, pipe, ch) != WB_OK) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		return;
	}
	m.challenge.data = ch;
	m.challenge.len = sizeof(ch);
	reply_body(r, &m.base);
}

static void
op_authenticate(struct wb_rpc_server *s, struct srv_ctx *c,
                const wb_wire_request *req, uint32_t pipe,
                const op_identity *who, op_reply *r)
{
	Waybill__V1__AuthenticateRequest *m;
	wb_pubkey key;

	(void)c;
	(void)who;
	m = waybill__v1__authenticate_request__unpack(NULL, req->body_len,
	                                              req->body);
	if (m == NULL || m->key.len != WB_PUBKEY_LEN ||
	    m->challenge.len != WB_CHALLENGE_LEN ||
	    m->signature.len != WB_SIG_LEN) {
		bad_body(
		        r,
		        "AuthenticateRequest (32-byte key and challenge, 64-byte signature)");
		goto out;
	}
	memcpy(key.b, m->key.data, WB_PUBKEY_LEN);
	if (srv_authenticate(s, pipe, &key, m->challenge.data,
	                     m->signature.data, r) != WB_OK) {
		goto out;
	}
	if (!reader_allowed(s, &key, r)) {
		srv_pipe_forget_key(s, pipe);
		goto out;
	}
	r->status = WB_OK;
out:
	if (m != NULL) {
		waybill__v1__authenticate_request__free_unpacked(m, NULL);
	}
}

/*
 * Writes: signed items through the writer.
 */

void
ops_job_free(struct submit_job *job)
{
	if (job == NULL) {
		return;
	}
	if (job->pb != NULL) {
		protobuf_c_message_free_unpacked(job->pb, NULL);
	}
	free(job->subs);
	free(job->results);
	free(job);
}

static struct submit_job *
job_new(size_t n)
{
	struct submit_job *job = calloc(1, sizeof(*job));

	if (job == NULL) {
		return NULL;
	}
	job->subs = calloc(n ? n : 1, sizeof(*job->subs));
	job->results = calloc(n ? n : 1, sizeof(*job->results));
	if (job->subs == NULL || job->results == NULL) {
		ops_job_free(job);
		return NULL;
	}
	job->n = n;
	return job;
}

/* Copies a signed item into a submission and checks its signature (on this
 * worker thread, in parallel with the others). A malformed item keeps type
 * 0, which the append refuses as malformed. */
static void
take_item(wb_submission *sub, const Waybill__V1__SignedItem *it,
          wb_entry_type type)
{
	sub->body = it->body.data;
	sub->body_len = it->body.len;
	if (it->signer.len != WB_PUBKEY_LEN ||
	    it->signature.len != WB_SIG_LEN) {
		return;
	}
	memcpy(sub->signer.b, it->signer.data, WB_PUBKEY_LEN);
	memcpy(sub->signature, it->signature.data, WB_SIG_LEN);
	sub->type = type;
	wb_submission_check(sub);
}

static void
enqueue(struct wb_rpc_server *s, struct srv_ctx *c, const wb_wire_request *req,
        struct submit_job *job, op_reply *r)
{
	job->ctx = c;
	job->request_id = req->request_id;
	job->op = req->op;
	if (srv_enqueue_submit(s, job) != WB_OK) {
		op_fail(r, WB_EBUSY, WB_REJECT_NONE,
		        "the ledger has %zu stamps waiting to be written: retry shortly",
		        s->o.max_queued);
		ops_job_free(job);
		return;
	}
	r->deferred = true;
}

static void
op_submit(struct wb_rpc_server *s, struct srv_ctx *c,
          const wb_wire_request *req, uint32_t pipe, const op_identity *who,
          op_reply *r)
{
	Waybill__V1__SubmitRequest *m;
	struct submit_job *job;

	(void)pipe;
	(void)who;
	m = waybill__v1__submit_request__unpack(NULL, req->body_len, req->body);
	if (m == NULL) {
		bad_body(r, "SubmitRequest");
		return;
	}
	if (m->n_items == 0 || m->n_items > s->o.max_batch) {
		op_fail(r, WB_EPROTO, WB_REJECT_TOO_MANY_IDS,
		        "a Submit carries 1 to %u stamps; this one has %zu: split the batch",
		        s->o.max_batch, m->n_items);
		waybill__v1__submit_request__free_unpacked(m, NULL);
		return;
	}
	if ((job = job_new(m->n_items)) == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		waybill__v1__submit_request__free_unpacked(m, NULL);
		return;
	}
	job->pb = m;
	job->atomic = m->has_atomic && m->atomic;
	for (size_t i = 0; i < m->n_items; i++) {
		take_item(&job->subs[i], m->items[i], WB_ENTRY_STAMP);
	}
	enqueue(s, c, req, job, r);
}

/* Register, ChangeRoles, Rotate, Revoke: one admin-signed change, whose
 * operation must be the request's. */
static void
op_registry(struct wb_rpc_server *s, struct srv_ctx *c,
            const wb_wire_request *req, uint32_t pipe, const op_identity *who,
            op_reply *r)
{
	static const wb_reg_op expect[WB_OP_COUNT_] = {
		[WB_OP_REGISTER] = WB_REG_REGISTER,
		[WB_OP_CHANGE_ROLES] = WB_REG_CHANGE_ROLES,
		[WB_OP_ROTATE] = WB_REG_ROTATE,
		[WB_OP_REVOKE] = WB_REG_REVOKE,
	};
	Waybill__V1__SignedItem *m;
	wb_registry_change *change = NULL;
	struct submit_job *job;

	(void)pipe;
	(void)who;
	m = waybill__v1__signed_item__unpack(NULL, req->body_len, req->body);
	if (m == NULL) {
		bad_body(r, "SignedItem");
		return;
	}
	if (wb_registry_change_decode(&change, m->body.data, m->body.len) !=
	            WB_OK ||
	    change->op != expect[req->op]) {
		op_fail(r, WB_EREJECTED, WB_REJECT_MALFORMED,
		        "the signed bytes are not a registry change of the operation requested");
		wb_registry_change_free(change);
		waybill__v1__signed_item__free_unpacked(m, NULL);
		return;
	}
	wb_registry_change_free(change);
	if ((job = job_new(1)) == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		waybill__v1__signed_item__free_unpacked(m, NULL);
		return;
	}
	job->pb = m;
	take_item(&job->subs[0], m, WB_ENTRY_REGISTRY);
	enqueue(s, c, req, job, r);
}

static void
fill_result(struct wb_rpc_server *s, Waybill__V1__SubmitResult *out,
            const wb_result *res, const struct submit_job *job)
{
	waybill__v1__submit_result__init(out);
	if (job->rc == WB_ENOSPC || job->rc == WB_EIO || job->rc == WB_ENOMEM ||
	    job->rc == WB_EINTERNAL || job->rc == WB_EDENIED) {
		out->status = (Waybill__V1__Status)wb_wire_status(job->rc);
		out->message =
		        (char *)(uintptr_t)(job->rc == WB_ENOSPC
		                                    ? "ledger full: nothing was written; the operator must raise --map-size"
		                                    : "the ledger could not write: nothing was written; retry");
		return;
	}
	if (res->err == WB_EREJECTED) {
		out->status = (Waybill__V1__Status)WB_EREJECTED;
		out->has_reason = 1;
		out->reason = (Waybill__V1__Reason)res->problem.reason;
		out->message = (char *)(uintptr_t)res->problem.msg;
		return;
	}
	if (job->rc == WB_EREJECTED) {
		/* Atomic: this one was fine, but the batch was not. */
		out->status = (Waybill__V1__Status)WB_EREJECTED;
		out->message =
		        (char *)(uintptr_t) "not written: another stamp of this atomic batch was refused";
		return;
	}
	(void)s;
	out->status = (Waybill__V1__Status)WB_OK;
	out->has_index = 1;
	out->index = res->index;
	out->has_duplicate = res->duplicate;
	out->duplicate = res->duplicate;
	out->has_custody_gap = res->custody_gap;
	out->custody_gap = res->custody_gap;
}

void
ops_submit_done(struct wb_rpc_server *s, struct submit_job *job, op_reply *r)
{
	Waybill__V1__SubmitResponse m = WAYBILL__V1__SUBMIT_RESPONSE__INIT;
	Waybill__V1__SubmitResult *res = calloc(job->n, sizeof(*res));
	Waybill__V1__SubmitResult **resv = calloc(job->n, sizeof(*resv));
	uint64_t size = job->size;

	if (res == NULL || resv == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	if (size == 0) {
		(void)wb_journal_size(&size, s->j);
	}
	for (size_t i = 0; i < job->n; i++) {
		uint8_t *receipt = NULL;
		size_t len;

		fill_result(s, &res[i], &job->results[i], job);
		if (res[i].status == (Waybill__V1__Status)WB_OK &&
		    wb_journal_receipt(&receipt, &len, s->j, res[i].index, 0) ==
		            WB_OK) {
			res[i].has_receipt = 1;
			res[i].receipt.data = receipt;
			res[i].receipt.len = len;
		}
		resv[i] = &res[i];
	}
	m.n_results = job->n;
	m.results = resv;
	m.tree_size = size;
	if (job->op != WB_OP_SUBMIT) {
		/* A registry operation answers with its one result. */
		if (res[0].status != (Waybill__V1__Status)WB_OK) {
			op_fail(r, (wb_err)res[0].status,
			        res[0].has_reason ? (wb_reject)res[0].reason
			                          : WB_REJECT_NONE,
			        "%s", res[0].message ? res[0].message : "");
			goto out;
		}
	} else if (job->rc == WB_ENOSPC) {
		op_fail(r, WB_ENOSPC, WB_REJECT_NONE,
		        "ledger full: nothing was written; the operator must raise --map-size");
		reply_body(r, &m.base);
		r->status = WB_ENOSPC;
		goto out;
	} else if (job->rc == WB_EREJECTED) {
		reply_body(r, &m.base);
		op_fail(r, WB_EREJECTED, WB_REJECT_NONE,
		        "nothing was written: a stamp of this atomic batch was refused (see the results)");
		goto out;
	} else if (job->rc != WB_OK) {
		op_fail(r, job->rc, WB_REJECT_NONE,
		        "the ledger could not write (%s): nothing was written; retry",
		        wb_strerror(job->rc));
		goto out;
	}
	reply_body(r, &m.base);
out:
	for (size_t i = 0; res != NULL && i < job->n; i++) {
		if (res[i].has_receipt) {
			free(res[i].receipt.data);
		}
	}
	free(res);
	free(resv);
}

/*
 * Reads (authenticated).
 */

static void
op_get_entry(struct wb_rpc_server *s, struct srv_ctx *c,
             const wb_wire_request *req, uint32_t pipe, const op_identity *who,
             op_reply *r)
{
	Waybill__V1__GetEntryRequest *m;
	Waybill__V1__GetEntryResponse out =
	        WAYBILL__V1__GET_ENTRY_RESPONSE__INIT;
	uint8_t *bytes = NULL;
	size_t len;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__get_entry_request__unpack(NULL, req->body_len,
	                                           req->body);
	if (m == NULL) {
		bad_body(r, "GetEntryRequest");
		return;
	}
	if ((rc = wb_journal_entry(&bytes, &len, s->j, m->index)) != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE,
		        rc == WB_ENOTFOUND
		                ? "there is no entry %llu: see Info for the tree size"
		                : "cannot read entry %llu",
		        (unsigned long long)m->index);
	} else {
		out.entry.data = bytes;
		out.entry.len = len;
		reply_body(r, &out.base);
	}
	free(bytes);
	waybill__v1__get_entry_request__free_unpacked(m, NULL);
}

static void
op_get_range(struct wb_rpc_server *s, struct srv_ctx *c,
             const wb_wire_request *req, uint32_t pipe, const op_identity *who,
             op_reply *r)
{
	Waybill__V1__GetRangeRequest *m;
	Waybill__V1__GetRangeResponse out =
	        WAYBILL__V1__GET_RANGE_RESPONSE__INIT;
	char *data = NULL;
	size_t len = 0;
	uint64_t to, next = 0, max;
	FILE *f;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__get_range_request__unpack(NULL, req->body_len,
	                                           req->body);
	if (m == NULL) {
		bad_body(r, "GetRangeRequest");
		return;
	}
	to = m->has_to ? m->to : 0;
	max = m->has_max_entries && m->max_entries ? m->max_entries
	                                           : RANGE_PAGE_DEFAULT;
	max = max > RANGE_PAGE_MAX ? RANGE_PAGE_MAX : max;
	if ((f = open_memstream(&data, &len)) == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	rc = wb_export_write_page(f, s->j, m->from, &to,
	                          m->has_cursor ? m->cursor : 0, max, &next);
	fclose(f);
	if (rc != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE, "%s",
		        rc == WB_ENOTFOUND
		                ? "no checkpoint at that `to`: give a tree size a commit ended at, or 0 for the latest"
		        : rc == WB_EINVAL
		                ? "the range is empty, beyond the ledger, or the cursor is not one of this range's"
		                : wb_strerror(rc));
		goto out;
	}
	if (len > s->o.max_message) {
		op_fail(r, WB_EPROTO, WB_REJECT_TOO_LARGE,
		        "a page of %llu entries is too large to send: ask for fewer (max_entries)",
		        (unsigned long long)max);
		goto out;
	}
	out.data.data = (uint8_t *)data;
	out.data.len = len;
	out.to = to;
	out.next_cursor = next;
	reply_body(r, &out.base);
out:
	free(data);
	waybill__v1__get_range_request__free_unpacked(m, NULL);
}

static void
op_history(struct wb_rpc_server *s, struct srv_ctx *c,
           const wb_wire_request *req, uint32_t pipe, const op_identity *who,
           op_reply *r)
{
	Waybill__V1__HistoryRequest *m;
	Waybill__V1__HistoryResponse out = WAYBILL__V1__HISTORY_RESPONSE__INIT;
	ProtobufCBinaryData *entries = NULL;
	uint64_t *idx = NULL;
	size_t n = 0, max;
	wb_problem p = { 0 };
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__history_request__unpack(NULL, req->body_len,
	                                         req->body);
	if (m == NULL) {
		bad_body(r, "HistoryRequest");
		return;
	}
	max = m->has_max && m->max ? m->max : HISTORY_DEFAULT;
	max = max > HISTORY_MAX ? HISTORY_MAX : max;
	if ((idx = calloc(max, sizeof(*idx))) == NULL ||
	    (entries = calloc(max, sizeof(*entries))) == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	rc = wb_journal_history(idx, &n, max, s->j, m->twin,
	                        m->has_after ? m->after : 0,
	                        m->has_reverse && m->reverse, &p);
	if (rc == WB_EREJECTED) {
		op_fail(r, rc, p.reason, "%s", p.msg);
		goto out;
	}
	if (rc != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE, "%s",
		        rc == WB_ENOTFOUND ? "no stamp names this twin"
		                           : wb_strerror(rc));
		goto out;
	}
	for (size_t i = 0; m->has_with_entries && m->with_entries && i < n;
	     i++) {
		if (wb_journal_entry(&entries[i].data, &entries[i].len, s->j,
		                     idx[i]) != WB_OK) {
			op_fail(r, WB_EINTERNAL, WB_REJECT_NONE,
			        "cannot read entry %llu",
			        (unsigned long long)idx[i]);
			goto out;
		}
		out.n_entries = i + 1;
	}
	out.n_indexes = n;
	out.indexes = idx;
	out.entries = entries;
	if (n == max) {
		out.has_next_after = 1;
		out.next_after = idx[n - 1];
	}
	reply_body(r, &out.base);
out:
	for (size_t i = 0; entries != NULL && i < max; i++) {
		free(entries[i].data);
	}
	free(entries);
	free(idx);
	waybill__v1__history_request__free_unpacked(m, NULL);
}

/* The tree size a checkpoint note states (its second line). */
static uint64_t
note_size(const char *note)
{
	const char *nl = strchr(note, '\n');

	return nl != NULL ? strtoull(nl + 1, NULL, 10) : 0;
}

static void
op_checkpoint(struct wb_rpc_server *s, struct srv_ctx *c,
              const wb_wire_request *req, uint32_t pipe, const op_identity *who,
              op_reply *r)
{
	Waybill__V1__CheckpointRequest *m;
	Waybill__V1__CheckpointResponse out =
	        WAYBILL__V1__CHECKPOINT_RESPONSE__INIT;
	char *note = NULL;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__checkpoint_request__unpack(NULL, req->body_len,
	                                            req->body);
	if (m == NULL) {
		bad_body(r, "CheckpointRequest");
		return;
	}
	rc = wb_journal_checkpoint(&note, s->j, m->has_size ? m->size : 0);
	if (rc != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE, "%s",
		        rc == WB_ENOTFOUND
		                ? "no checkpoint of that tree size: checkpoints exist at the sizes commits ended at"
		                : wb_strerror(rc));
	} else {
		out.checkpoint = note;
		out.size = note_size(note);
		reply_body(r, &out.base);
	}
	free(note);
	waybill__v1__checkpoint_request__free_unpacked(m, NULL);
}

static ProtobufCBinaryData *
proof_bytes(const wb_hash *proof, size_t n)
{
	ProtobufCBinaryData *v = calloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; v != NULL && i < n; i++) {
		v[i].data = (uint8_t *)(uintptr_t)proof[i].b;
		v[i].len = WB_HASH_LEN;
	}
	return v;
}

static void
op_inclusion(struct wb_rpc_server *s, struct srv_ctx *c,
             const wb_wire_request *req, uint32_t pipe, const op_identity *who,
             op_reply *r)
{
	Waybill__V1__InclusionProofRequest *m;
	Waybill__V1__InclusionProofResponse out =
	        WAYBILL__V1__INCLUSION_PROOF_RESPONSE__INIT;
	wb_hash proof[WB_MERKLE_MAX_PROOF], leaf;
	ProtobufCBinaryData *pv = NULL;
	char *note = NULL;
	size_t n;
	uint64_t size;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__inclusion_proof_request__unpack(NULL, req->body_len,
	                                                 req->body);
	if (m == NULL) {
		bad_body(r, "InclusionProofRequest");
		return;
	}
	size = m->has_size ? m->size : 0;
	if ((rc = wb_journal_checkpoint(&note, s->j, size)) != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE,
		        "no checkpoint of tree size %llu: prove against a size a commit ended at (0: the latest)",
		        (unsigned long long)size);
		goto out;
	}
	size = note_size(note);
	if ((rc = wb_journal_inclusion_proof(proof, &n, s->j, m->index,
	                                     size)) != WB_OK ||
	    (rc = wb_journal_leaf_hash(&leaf, s->j, m->index)) != WB_OK) {
		op_fail(r, rc == WB_EINVAL ? WB_ENOTFOUND : rc, WB_REJECT_NONE,
		        "entry %llu is not in the tree of size %llu",
		        (unsigned long long)m->index, (unsigned long long)size);
		goto out;
	}
	if ((pv = proof_bytes(proof, n)) == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	out.index = m->index;
	out.size = size;
	out.n_proof = n;
	out.proof = pv;
	out.leaf_hash.data = leaf.b;
	out.leaf_hash.len = WB_HASH_LEN;
	out.checkpoint = note;
	reply_body(r, &out.base);
out:
	free(pv);
	free(note);
	waybill__v1__inclusion_proof_request__free_unpacked(m, NULL);
}

static void
op_consistency(struct wb_rpc_server *s, struct srv_ctx *c,
               const wb_wire_request *req, uint32_t pipe,
               const op_identity *who, op_reply *r)
{
	Waybill__V1__ConsistencyProofRequest *m;
	Waybill__V1__ConsistencyProofResponse out =
	        WAYBILL__V1__CONSISTENCY_PROOF_RESPONSE__INIT;
	wb_hash proof[WB_MERKLE_MAX_PROOF];
	ProtobufCBinaryData *pv = NULL;
	char *note = NULL;
	uint64_t to;
	size_t n;
	wb_err rc;

	(void)c;
	(void)pipe;
	(void)who;
	m = waybill__v1__consistency_proof_request__unpack(NULL, req->body_len,
	                                                   req->body);
	if (m == NULL) {
		bad_body(r, "ConsistencyProofRequest");
		return;
	}
	to = m->has_to_size ? m->to_size : 0;
	if ((rc = wb_journal_checkpoint(&note, s->j, to)) != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE,
		        "no checkpoint of tree size %llu: prove against a size a commit ended at (0: the latest)",
		        (unsigned long long)to);
		goto out;
	}
	to = note_size(note);
	if ((rc = wb_journal_consistency_proof(proof, &n, s->j, m->from_size,
	                                       to)) != WB_OK) {
		op_fail(r, rc, WB_REJECT_NONE,
		        "no consistency proof from %llu to %llu: the first size must be from 1 to the second",
		        (unsigned long long)m->from_size,
		        (unsigned long long)to);
		goto out;
	}
	if ((pv = proof_bytes(proof, n)) == NULL) {
		op_fail(r, WB_ENOMEM, WB_REJECT_NONE, "out of memory");
		goto out;
	}
	out.from_size = m->from_size;
	out.to_size = to;
	out.n_proof = n;
	out.proof = pv;
	out.checkpoint = note;
	reply_body(r, &out.base);
out:
	free(pv);
	free(note);
	waybill__v1__consistency_proof_request__free_unpacked(m, NULL);
}

/*
 * Dispatch.
 */

static const struct {
	op_fn fn;
	bool needs_auth;
	const char *name;
} ops[WB_OP_COUNT_] = {
	[WB_OP_PING] = { op_ping, false, "Ping" },
	[WB_OP_INFO] = { op_info, false, "Info" },
	[WB_OP_CHALLENGE] = { op_challenge, false, "Challenge" },
	[WB_OP_AUTHENTICATE] = { op_authenticate, false, "Authenticate" },
	[WB_OP_REGISTER] = { op_registry, false, "Register" },
	[WB_OP_CHANGE_ROLES] = { op_registry, false, "ChangeRoles" },
	[WB_OP_ROTATE] = { op_registry, false, "Rotate" },
	[WB_OP_REVOKE] = { op_registry, false, "Revoke" },
	[WB_OP_SUBMIT] = { op_submit, false, "Submit" },
	[WB_OP_GET_ENTRY] = { op_get_entry, true, "GetEntry" },
	[WB_OP_GET_RANGE] = { op_get_range, true, "GetRange" },
	[WB_OP_HISTORY] = { op_history, true, "History" },
	[WB_OP_CHECKPOINT] = { op_checkpoint, true, "Checkpoint" },
	[WB_OP_INCLUSION_PROOF] = { op_inclusion, true, "InclusionProof" },
	[WB_OP_CONSISTENCY_PROOF] = { op_consistency, true,
	                              "ConsistencyProof" },
	[WB_OP_PASSPORT] = { op_passport, true, "Passport" },
	[WB_OP_TRACE] = { op_trace, true, "Trace" },
	[WB_OP_WHERE] = { op_where, true, "Where" },
	[WB_OP_INSTALLATIONS] = { op_installations, true, "Installations" },
	[WB_OP_RECALL_STATUS] = { op_recall_status, true, "RecallStatus" },
	[WB_OP_RECALL_IMPACT] = { op_recall_impact, true, "RecallImpact" },
	[WB_OP_RECALLS_SINCE] = { op_recalls_since, true, "RecallsSince" },
	[WB_OP_SEARCH] = { op_search, true, "Search" },
	[WB_OP_MASTER_DATA] = { op_master_data, true, "MasterData" },
};

void
ops_dispatch(struct wb_rpc_server *s, struct srv_ctx *c,
             const wb_wire_request *req, uint32_t pipe, op_reply *r)
{
	op_identity who = { 0 };

	if (req->op <= WB_OP_UNSPECIFIED || req->op >= WB_OP_COUNT_ ||
	    ops[req->op].fn == NULL) {
		op_fail(r, WB_EPROTO, WB_REJECT_NONE,
		        "unknown operation %d: this server speaks operations 1 to %d",
		        req->op, WB_OP_COUNT_ - 1);
		return;
	}
	/* Point-of-sale systems may ask "is this recalled?" without a key
	 * where the operator allows it — and nothing else. */
	if (ops[req->op].needs_auth &&
	    !(req->op == WB_OP_RECALL_STATUS && s->o.public_recall_status &&
	      !req->has_auth) &&
	    !resolve_identity(s, req, pipe, &who, r)) {
		return;
	}
	if (wb_log_enabled(WB_LOG_DEBUG)) {
		wb_log(WB_LOG_DEBUG, "request %llu: %s (pipe %u)",
		       (unsigned long long)req->request_id, ops[req->op].name,
		       pipe);
	}
	ops[req->op].fn(s, c, req, pipe, &who, r);
}
