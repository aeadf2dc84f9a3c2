/* SPDX-License-Identifier: MIT */
/*
 * server.c - the rep0 socket and its contexts (nng's demo/async/server.c
 * pattern), the worker pool, the single writer's group commits, the pub
 * socket, connection authentication state and an orderly stop.
 */
#include "server_impl.h"

#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rpc.pb-c.h"
#include "waybill/log.h"

#define DEFAULT_MAX_MESSAGE   (4u << 20)
#define DEFAULT_CONTEXTS      64
#define DEFAULT_GROUP_MAX     8192
#define DEFAULT_GROUP_WAIT_US 200
#define NONCE_START           (1u << 12)
/* How long a nonce is remembered: twice the ±5-minute freshness window of
 * a request's timestamp, to be safe at either end of it. */
#define NONCE_KEEP_S 600
/* How long a stop waits for the requests in flight. */
#define STOP_DRAIN_MS 30000
/* How long a reply may wait behind earlier replies on its connection that
 * the peer does not read. A peer that pipelines requests and never reads
 * would otherwise hold every context (nng's rep0 parks a context on the
 * connection's send queue with no limit) and nobody else would be served;
 * on this timeout the context is free again and the connection is marked
 * deaf (deaf.h). A client with one request at a time (ours) never waits
 * here. */
#define SEND_TIMEOUT_MS 2000

wb_err
op_fail(op_reply *r, wb_err status, wb_reject reason, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	r->reason = reason;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return status;
}

/*
 * Connection authentication state.
 */

static struct pipe_auth **
pipe_slot(struct wb_rpc_server *s, uint32_t pipe)
{
	struct pipe_auth **pp = &s->pipes[pipe % PIPE_BUCKETS];

	while (*pp != NULL && (*pp)->pipe != pipe) {
		pp = &(*pp)->next;
	}
	return pp;
}

static struct pipe_auth *
pipe_get(struct wb_rpc_server *s, uint32_t pipe, bool create)
{
	struct pipe_auth **pp = pipe_slot(s, pipe);

	if (*pp == NULL && create) {
		if ((*pp = calloc(1, sizeof(**pp))) != NULL) {
			(*pp)->pipe = pipe;
			s->n_pipe_records++;
		}
	}
	return *pp;
}

void
srv_forget_pipe(struct wb_rpc_server *s, uint32_t pipe)
{
	struct pipe_auth **pp, *gone;

	pthread_mutex_lock(&s->alock);
	pp = pipe_slot(s, pipe);
	if ((gone = *pp) != NULL) {
		*pp = gone->next;
		free(gone);
		s->n_pipe_records--;
	}
	pthread_mutex_unlock(&s->alock);
	deaf_forget(&s->deaf, pipe);
}

static void
pipe_removed(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)ev;
	srv_forget_pipe(arg, (uint32_t)nng_pipe_id(p));
}

/* A connection that closed before its Challenge was handled left a record
 * the removal callback never saw: drop records of pipes that are gone. */
static void
sweep_dead_pipes(struct wb_rpc_server *s)
{
	size_t alive = 0;

	if (s->local) {
		/* No socket: the caller's connections end only when it
		 * says so (wb_rpc_local_close_conn). */
		return;
	}
	for (size_t b = 0; b < PIPE_BUCKETS; b++) {
		struct pipe_auth **pp = &s->pipes[b];

		while (*pp != NULL) {
			nng_pipe p = NNG_PIPE_INITIALIZER;
			nng_sockaddr sa;

			p.id = (*pp)->pipe;
			if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0) {
				struct pipe_auth *gone = *pp;

				*pp = gone->next;
				free(gone);
			} else {
				pp = &(*pp)->next;
				alive++;
			}
		}
	}
	s->n_pipe_records = alive;
	/* With many live connections, sweep again only once their number
	 * has doubled, not at every Challenge. */
	s->pipe_sweep_at =
	        alive * 2 > PIPE_SWEEP_AT ? alive * 2 : PIPE_SWEEP_AT;
}

wb_err
srv_challenge(struct wb_rpc_server *s, uint32_t pipe,
              uint8_t out[WB_CHALLENGE_LEN])
{
	struct pipe_auth *pa;
	wb_err rc = WB_OK;

	pthread_mutex_lock(&s->alock);
	if (s->n_pipe_records >= s->pipe_sweep_at) {
		sweep_dead_pipes(s);
	}
	if ((pa = pipe_get(s, pipe, true)) == NULL) {
		rc = WB_ENOMEM;
	} else {
		wb_random_bytes(out, WB_CHALLENGE_LEN);
		memcpy(pa->challenge, out, WB_CHALLENGE_LEN);
		pa->has_challenge = true;
	}
	pthread_mutex_unlock(&s->alock);
	return rc;
}

static bool
challenge_used(struct wb_rpc_server *s, const uint8_t *ch)
{
	size_t n = s->n_used < USED_CHALLENGES ? s->n_used : USED_CHALLENGES;

	for (size_t i = 0; i < n; i++) {
		if (memcmp(s->used[i], ch, WB_CHALLENGE_LEN) == 0) {
			return true;
		}
	}
	return false;
}

wb_err
srv_authenticate(struct wb_rpc_server *s, uint32_t pipe, const wb_pubkey *key,
                 const uint8_t challenge[WB_CHALLENGE_LEN],
                 const uint8_t sig[WB_SIG_LEN], op_reply *r)
{
	uint8_t msg[WB_CHALLENGE_MSG_LEN];
	struct pipe_auth *pa;
	bool pending;
	wb_err rc = WB_OK;

	pthread_mutex_lock(&s->alock);
	pa = pipe_get(s, pipe, false);
	pending = pa != NULL && pa->has_challenge &&
	          memcmp(pa->challenge, challenge, WB_CHALLENGE_LEN) == 0;
	if (!pending) {
		rc = challenge_used(s, challenge)
		             ? op_fail(r, WB_EDENIED, WB_REJECT_AUTH_REPLAYED,
		                       "this challenge was answered before: fetch a fresh one with Challenge")
		             : op_fail(r, WB_EDENIED, WB_REJECT_NO_CHALLENGE,
		                       "no such challenge is pending on this connection: fetch one with Challenge first");
		goto out;
	}
	/* A challenge is good once, whatever the answer. */
	pa->has_challenge = false;
	memcpy(s->used[s->n_used++ % USED_CHALLENGES], challenge,
	       WB_CHALLENGE_LEN);
	wb_wire_challenge_msg(msg, wb_journal_ledger_id(s->j), challenge);
	if (wb_sig_verify(key, WB_SIG_AUTH, msg, sizeof(msg), sig) != WB_OK) {
		rc = op_fail(
		        r, WB_EDENIED, WB_REJECT_BAD_SIGNATURE,
		        "the signature does not answer the challenge: sign \"challenge\", NUL, ledger ID, challenge with context waybill/v1/auth");
		goto out;
	}
	pa->authenticated = true;
	pa->key = *key;
out:
	pthread_mutex_unlock(&s->alock);
	return rc;
}

bool
srv_pipe_identity(struct wb_rpc_server *s, uint32_t pipe, wb_pubkey *key_out)
{
	struct pipe_auth *pa;
	bool ok = false;

	pthread_mutex_lock(&s->alock);
	if ((pa = pipe_get(s, pipe, false)) != NULL && pa->authenticated) {
		*key_out = pa->key;
		ok = true;
	}
	pthread_mutex_unlock(&s->alock);
	return ok;
}

void
srv_pipe_forget_key(struct wb_rpc_server *s, uint32_t pipe)
{
	struct pipe_auth *pa;

	pthread_mutex_lock(&s->alock);
	if ((pa = pipe_get(s, pipe, false)) != NULL) {
		pa->authenticated = false;
	}
	pthread_mutex_unlock(&s->alock);
}

/*
 * The nonce table's memory comes straight from mmap (zeroed) and goes back
 * with munmap: from malloc, a freed table of a few MiB stays in the heap
 * (glibc raises its mmap threshold after the first large free), and each
 * doubling would leave the previous table's pages resident.
 */
static struct nonce_slot *
nonce_table_new(size_t cap)
{
	void *p = mmap(NULL, cap * sizeof(struct nonce_slot),
	               PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	               0);

	return p == MAP_FAILED ? NULL : p;
}

static void
nonce_table_free(struct nonce_slot *t, size_t cap)
{
	if (t != NULL) {
		munmap(t, cap * sizeof(*t));
	}
}

static bool
nonce_live(const struct nonce_slot *n, uint32_t now_s)
{
	return n->ts_s != 0 && n->ts_s + NONCE_KEEP_S >= now_s;
}

static size_t
nonce_home(const uint8_t *tag, size_t cap)
{
	return (size_t)(tag[0] | tag[1] << 8 | (size_t)tag[2] << 16 |
	                (size_t)tag[3] << 24) &
	       (cap - 1);
}

/* A table this full (3/4) is swept before the next nonce goes in. */
static bool
nonce_table_full(size_t count, size_t cap)
{
	return count * 4 >= cap * 3;
}

/* Whether a new nonce must wait for a sweep: the table is 3/4 full, or
 * holds as many as the server may remember. */
static bool
nonce_needs_room(const struct wb_rpc_server *s)
{
	return nonce_table_full(s->nonce_count, s->nonce_cap) ||
	       s->nonce_count >= s->o.max_nonces;
}

/*
 * Copies the nonces seen in the last NONCE_KEEP_S seconds into a new
 * table, doubled while they would fill half of it, up to nonce_cap_max; after
 * a sweep, a quarter of the table at least is free until the next. The
 * table starts small and follows the signed-request rate: a table
 * allocated at its maximum would become resident one page per nonce, as
 * slow, steady growth that looks like a leak.
 */
static void
nonce_sweep(struct wb_rpc_server *s, uint32_t now_s)
{
	struct nonce_slot *old = s->nonces;
	size_t old_cap = s->nonce_cap, cap = old_cap, live = 0;

	for (size_t i = 0; i < old_cap; i++) {
		live += nonce_live(&old[i], now_s);
	}
	while (live * 2 >= cap && cap < s->nonce_cap_max) {
		cap *= 2;
	}
	if ((s->nonces = nonce_table_new(cap)) == NULL) {
		s->nonces = old;
		return;
	}
	s->nonce_cap = cap;
	s->nonce_count = 0;
	for (size_t i = 0; i < old_cap; i++) {
		size_t k;

		if (!nonce_live(&old[i], now_s)) {
			continue;
		}
		k = nonce_home(old[i].tag, cap);
		while (s->nonces[k].ts_s != 0) {
			k = (k + 1) & (cap - 1);
		}
		s->nonces[k] = old[i];
		s->nonce_count++;
	}
	nonce_table_free(old, old_cap);
}

bool
srv_nonce_fresh(struct wb_rpc_server *s, const wb_pubkey *key,
                const uint8_t *nonce, size_t len, uint64_t now_ms, bool *full)
{
	uint8_t buf[WB_PUBKEY_LEN + WB_NONCE_MAX];
	uint32_t sec = (uint32_t)(now_ms / 1000);
	uint32_t now_s = sec | 1; /* never 0, the mark of a free slot */
	wb_hash h;
	size_t k;
	bool fresh = true;

	*full = false;
	memcpy(buf, key->b, WB_PUBKEY_LEN);
	memcpy(buf + WB_PUBKEY_LEN, nonce, len);
	wb_hash_sha256(&h, buf, WB_PUBKEY_LEN + len);
	pthread_mutex_lock(&s->alock);
	/* When a sweep made no room, the next waits for the next second: a
	 * flood of signed requests at the limit must not scan the table for
	 * each. */
	if (nonce_needs_room(s) && s->nonce_no_room_s != sec) {
		nonce_sweep(s, now_s);
		if (nonce_needs_room(s)) {
			s->nonce_no_room_s = sec;
		}
	}
	if (nonce_needs_room(s)) {
		*full = true;
		fresh = false;
		goto out;
	}
	k = nonce_home(h.b, s->nonce_cap);
	for (; s->nonces[k].ts_s != 0; k = (k + 1) & (s->nonce_cap - 1)) {
		if (memcmp(s->nonces[k].tag, h.b, sizeof(s->nonces[k].tag)) ==
		    0) {
			fresh = false;
			goto out;
		}
	}
	memcpy(s->nonces[k].tag, h.b, sizeof(s->nonces[k].tag));
	s->nonces[k].ts_s = now_s;
	s->nonce_count++;
out:
	pthread_mutex_unlock(&s->alock);
	return fresh;
}

/*
 * Contexts: receive, hand to a worker, send, receive again.
 */

/* Whether a context call may be made now; true holds ctx_lock shared
 * until ctx_call_end. A try-lock: callbacks run while the closer holds
 * the lock and must not wait for it (nng may be waiting for them). */
static bool
ctx_call_begin(struct wb_rpc_server *s)
{
	if (pthread_rwlock_tryrdlock(&s->ctx_lock) != 0) {
		return false;
	}
	if (s->rep_closed) {
		pthread_rwlock_unlock(&s->ctx_lock);
		return false;
	}
	return true;
}

static void
ctx_call_end(struct wb_rpc_server *s)
{
	pthread_rwlock_unlock(&s->ctx_lock);
}

static void
arm_recv(struct srv_ctx *c)
{
	if (atomic_load(&c->srv->stopping) || !ctx_call_begin(c->srv)) {
		c->state = CTX_IDLE;
		return;
	}
	c->state = CTX_RECV;
	nng_aio_set_timeout(c->aio, NNG_DURATION_INFINITE);
	nng_ctx_recv(c->ctx, c->aio);
	ctx_call_end(c->srv);
}

static void
enqueue_work(struct wb_rpc_server *s, struct srv_ctx *c)
{
	pthread_mutex_lock(&s->qlock);
	c->next = NULL;
	if (s->qtail != NULL) {
		s->qtail->next = c;
	} else {
		s->qhead = c;
	}
	s->qtail = c;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

static void
ctx_cb(void *arg)
{
	struct srv_ctx *c = arg;
	int rv = nng_aio_result(c->aio);

	switch (c->state) {
	case CTX_RECV:
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
				c->state = CTX_IDLE;
				return;
			}
			arm_recv(c);
			return;
		}
		c->req = nng_aio_get_msg(c->aio);
		c->pipe = nng_msg_get_pipe(c->req);
		if (deaf_heard(&c->srv->deaf, (uint32_t)nng_pipe_id(c->pipe))) {
			/* Its reply would only wait behind the others. */
			nng_msg_free(c->req);
			c->req = NULL;
			arm_recv(c);
			return;
		}
		atomic_fetch_add(&c->srv->in_flight, 1);
		c->job = NULL;
		c->state = CTX_WORK;
		enqueue_work(c->srv, c);
		return;
	case CTX_SEND:
		if (rv != 0) {
			/* A failed send leaves the message with us. */
			nng_msg_free(nng_aio_get_msg(c->aio));
		}
		if (rv == NNG_ETIMEDOUT) {
			deaf_mark(&c->srv->deaf,
			          (uint32_t)nng_pipe_id(c->pipe));
		}
		atomic_fetch_sub(&c->srv->in_flight, 1);
		arm_recv(c);
		return;
	default:
		return;
	}
}

static void
send_reply(struct srv_ctx *c, uint64_t request_id, const op_reply *r)
{
	uint8_t *bytes = NULL;
	size_t len;
	nng_msg *msg = NULL;

	if (srv_reply_encode(&bytes, &len, request_id, r) != WB_OK ||
	    nng_msg_alloc(&msg, len) != 0) {
		/* Out of memory: drop the request; the client times out
		 * and may retry, which is safe. */
		free(bytes);
		atomic_fetch_sub(&c->srv->in_flight, 1);
		arm_recv(c);
		return;
	}
	memcpy(nng_msg_body(msg), bytes, len);
	free(bytes);
	if (r->status != WB_OK) {
		atomic_fetch_add(&c->srv->refusals, 1);
	}
	if (!ctx_call_begin(c->srv)) {
		/* The socket closed under a straggler: its client will
		 * retry elsewhere or later, which is safe. */
		nng_msg_free(msg);
		c->state = CTX_IDLE;
		atomic_fetch_sub(&c->srv->in_flight, 1);
		return;
	}
	nng_aio_set_msg(c->aio, msg);
	c->state = CTX_SEND;
	nng_aio_set_timeout(c->aio, SEND_TIMEOUT_MS);
	nng_ctx_send(c->ctx, c->aio);
	ctx_call_end(c->srv);
}

/* Turns one received message into a reply (or a job for the writer). */
static void
handle_request(struct wb_rpc_server *s, struct srv_ctx *c)
{
	nng_msg *msg = c->req;
	uint32_t pipe = (uint32_t)nng_pipe_id(nng_msg_get_pipe(msg));
	op_reply r = { 0 };
	uint64_t id;

	c->req = NULL;
	id = srv_request(s, c, nng_msg_body(msg), nng_msg_len(msg), pipe, &r);
	nng_msg_free(msg);
	if (!r.deferred) {
		send_reply(c, id, &r);
	}
	free(r.body);
}

static void *
worker_main(void *arg)
{
	struct wb_rpc_server *s = arg;

	for (;;) {
		struct srv_ctx *c;

		pthread_mutex_lock(&s->qlock);
		while (s->qhead == NULL && !s->workers_stop) {
			pthread_cond_wait(&s->qcond, &s->qlock);
		}
		if (s->qhead == NULL) {
			pthread_mutex_unlock(&s->qlock);
			return NULL;
		}
		c = s->qhead;
		s->qhead = c->next;
		if (s->qhead == NULL) {
			s->qtail = NULL;
		}
		pthread_mutex_unlock(&s->qlock);
		if (c->job != NULL) {
			struct submit_job *job = c->job;
			op_reply r = { 0 };

			c->job = NULL;
			ops_submit_done(s, job, &r);
			send_reply(c, job->request_id, &r);
			free(r.body);
			ops_job_free(job);
		} else {
			handle_request(s, c);
		}
	}
}

/*
 * The writer: group commits.
 */

wb_err
srv_enqueue_submit(struct wb_rpc_server *s, struct submit_job *job)
{
	wb_err rc = WB_OK;

	pthread_mutex_lock(&s->wlock);
	if (s->queued_stamps + job->n > s->o.max_queued) {
		rc = WB_EBUSY;
	} else {
		job->next = NULL;
		if (s->wtail != NULL) {
			s->wtail->next = job;
		} else {
			s->whead = job;
		}
		s->wtail = job;
		s->queued_stamps += job->n;
		pthread_cond_signal(&s->wcond);
	}
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

static void
publish(struct wb_rpc_server *s, wb_notice_kind kind, uint64_t index,
        uint64_t recall_index, const char *checkpoint)
{
	Waybill__V1__Notice n = WAYBILL__V1__NOTICE__INIT;
	size_t len;
	uint8_t *buf;

	if (!s->have_pub) {
		return;
	}
	n.kind = (Waybill__V1__NoticeKind)kind;
	n.index = index;
	if (recall_index != 0) {
		n.has_recall_index = 1;
		n.recall_index = recall_index;
	}
	n.checkpoint = (char *)(uintptr_t)checkpoint;
	len = waybill__v1__notice__get_packed_size(&n);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		return;
	}
	waybill__v1__notice__pack(&n, buf);
	/* Best effort by design: a slow subscriber loses notices and
	 * catches up with a query. */
	(void)nng_send(s->pub, buf, len, NNG_FLAG_NONBLOCK);
	free(buf);
}

static void
publish_commit(struct wb_rpc_server *s, struct submit_job *job)
{
	for (size_t i = 0; i < job->n; i++) {
		const wb_result *r = &job->results[i];

		if (r->err != WB_OK || r->duplicate) {
			continue;
		}
		if (r->kind == WB_KIND_RECALL) {
			publish(s, WB_NOTICE_RECALL, r->index, 0, NULL);
		} else if (r->kind == WB_KIND_LIFT) {
			publish(s, WB_NOTICE_LIFT, r->index, r->lift_of, NULL);
		}
	}
}

/* Appends a group of jobs (non-atomic ones together, each atomic one
 * alone). */
void
srv_commit_jobs(struct wb_rpc_server *s, struct submit_job **jobs,
                size_t n_jobs, size_t n_stamps)
{
	wb_submission *subs = calloc(n_stamps ? n_stamps : 1, sizeof(*subs));
	wb_result *res = calloc(n_stamps ? n_stamps : 1, sizeof(*res));
	size_t k = 0;
	uint64_t size = 0, before = 0;
	wb_err rc = WB_ENOMEM;

	wb_journal_size(&before, s->j);
	if (subs != NULL && res != NULL) {
		for (size_t i = 0; i < n_jobs; i++) {
			if (!jobs[i]->atomic) {
				memcpy(subs + k, jobs[i]->subs,
				       jobs[i]->n * sizeof(*subs));
				k += jobs[i]->n;
			}
		}
		rc = k > 0 ? wb_journal_append(s->j, subs, k, res, NULL, &size)
		           : WB_OK;
	}
	k = 0;
	for (size_t i = 0; i < n_jobs; i++) {
		struct submit_job *job = jobs[i];
		wb_append_opts atomic = { .atomic = true };

		if (job->atomic) {
			job->rc = wb_journal_append(s->j, job->subs, job->n,
			                            job->results, &atomic,
			                            &job->size);
			if (job->rc == WB_OK) {
				size = job->size;
			}
		} else {
			job->rc = rc;
			job->size = size;
			if (rc == WB_OK) {
				memcpy(job->results, res + k,
				       job->n * sizeof(*res));
			}
			k += job->n;
		}
	}
	for (size_t i = 0; i < n_jobs; i++) {
		if (jobs[i]->rc == WB_OK) {
			publish_commit(s, jobs[i]);
		}
		if (jobs[i]->atomic && jobs[i]->rc == WB_OK) {
			jobs[i]->size = size;
		}
	}
	if (size > before) {
		char *note = NULL;

		atomic_fetch_add(&s->commits, 1);
		atomic_fetch_add(&s->committed, size - before);
		if (wb_journal_checkpoint(&note, s->j, size) == WB_OK) {
			publish(s, WB_NOTICE_CHECKPOINT, size, 0, note);
		}
		free(note);
	}
	free(subs);
	free(res);
}

static void *
writer_main(void *arg)
{
	struct wb_rpc_server *s = arg;
	struct submit_job **jobs = NULL;
	size_t cap = 0;

	for (;;) {
		size_t n_jobs = 0, n_stamps = 0;

		pthread_mutex_lock(&s->wlock);
		while (s->whead == NULL && !s->writer_stop) {
			pthread_cond_wait(&s->wcond, &s->wlock);
		}
		if (s->whead == NULL) {
			pthread_mutex_unlock(&s->wlock);
			break;
		}
		/* Let a group fill a little: many requests' stamps share one
		 * fsync. */
		if (s->queued_stamps < s->o.group_max && s->o.group_wait_us) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)s->o.group_wait_us * 1000;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->wcond, &s->wlock, &until);
		}
		while (s->whead != NULL &&
		       (n_stamps == 0 ||
		        n_stamps + s->whead->n <= s->o.group_max)) {
			struct submit_job *job = s->whead;

			if (n_jobs == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct submit_job **nj =
				        realloc(jobs, ncap * sizeof(*nj));

				if (nj == NULL) {
					break;
				}
				jobs = nj;
				cap = ncap;
			}
			s->whead = job->next;
			jobs[n_jobs++] = job;
			n_stamps += job->n;
			s->queued_stamps -= job->n;
		}
		if (s->whead == NULL) {
			s->wtail = NULL;
		}
		pthread_mutex_unlock(&s->wlock);
		if (n_jobs == 0) {
			continue;
		}
		srv_commit_jobs(s, jobs, n_jobs, n_stamps);
		for (size_t i = 0; i < n_jobs; i++) {
			jobs[i]->ctx->job = jobs[i];
			enqueue_work(s, jobs[i]->ctx);
		}
	}
	free(jobs);
	return NULL;
}

/*
 * Start and stop.
 */

static void
apply_defaults(wb_rpc_server_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (o->workers == 0) {
		o->workers = cpus > 0 ? (unsigned)cpus : 2;
	}
	o->contexts = o->contexts ? o->contexts : DEFAULT_CONTEXTS;
	o->max_message = o->max_message ? o->max_message : DEFAULT_MAX_MESSAGE;
	o->recv_max = o->recv_max ? o->recv_max : 2 * o->max_message;
	o->max_batch = o->max_batch ? o->max_batch : WB_RPC_DEFAULT_MAX_BATCH;
	o->max_queued =
	        o->max_queued ? o->max_queued : WB_RPC_DEFAULT_MAX_QUEUED;
	o->group_max = o->group_max ? o->group_max : DEFAULT_GROUP_MAX;
	o->group_wait_us =
	        o->group_wait_us ? o->group_wait_us : DEFAULT_GROUP_WAIT_US;
	o->max_nonces =
	        o->max_nonces ? o->max_nonces : WB_RPC_DEFAULT_MAX_NONCES;
}

static wb_err
start_listener(struct wb_rpc_server *s, const char *url)
{
	nng_listener *l = &s->listeners[s->n_listeners];
	int rv, port = 0;

	if (s->n_listeners == 16) {
		return WB_EINVAL;
	}
	if ((rv = nng_listener_create(l, s->rep, url)) != 0) {
		wb_log(WB_LOG_ERROR, "cannot listen on %s: %s", url,
		       nng_strerror(rv));
		return wb_err_from_nng(rv, url);
	}
	nng_listener_set_size(*l, NNG_OPT_RECVMAXSZ, s->o.recv_max);
	if (strncmp(url, "tls+", 4) == 0) {
		if (s->tls == NULL) {
			wb_log(WB_LOG_ERROR,
			       "%s needs a TLS certificate and key (--tls-cert, --tls-key)",
			       url);
			return WB_EINVAL;
		}
		if ((rv = nng_listener_set_ptr(*l, NNG_OPT_TLS_CONFIG,
		                               s->tls)) != 0) {
			return wb_err_from_nng(rv, "TLS config");
		}
	}
	if ((rv = nng_listener_start(*l, 0)) != 0) {
		wb_log(WB_LOG_ERROR, "cannot listen on %s: %s", url,
		       nng_strerror(rv));
		nng_listener_close(*l);
		return rv == NNG_EADDRINUSE ? WB_EIO : wb_err_from_nng(rv, url);
	}
	snprintf(s->urls[s->n_listeners], sizeof(s->urls[0]), "%s", url);
	/* A tcp port 0 means "any": say which one was bound. */
	if (strstr(url, "tcp://") != NULL && strstr(url, ":0") != NULL &&
	    nng_listener_get_int(*l, NNG_OPT_TCP_BOUND_PORT, &port) == 0) {
		char *colon;

		snprintf(s->urls[s->n_listeners], sizeof(s->urls[0]), "%s",
		         url);
		colon = strrchr(s->urls[s->n_listeners], ':');
		snprintf(colon + 1,
		         sizeof(s->urls[0]) -
		                 (size_t)(colon + 1 - s->urls[s->n_listeners]),
		         "%d", port);
	}
	s->n_listeners++;
	return WB_OK;
}

static wb_err
open_sockets(struct wb_rpc_server *s)
{
	int rv;
	wb_err rc;

	if ((rv = nng_rep0_open(&s->rep)) != 0) {
		return wb_err_from_nng(rv, "rep0");
	}
	nng_socket_set_size(s->rep, NNG_OPT_RECVMAXSZ, s->o.recv_max);
	nng_pipe_notify(s->rep, NNG_PIPE_EV_REM_POST, pipe_removed, s);
	if (s->o.tls_cert_file != NULL &&
	    (rc = wb_tls_server_config(&s->tls, s->o.tls_cert_file,
	                               s->o.tls_key_file)) != WB_OK) {
		return rc;
	}
	for (size_t i = 0; i < s->o.n_listen; i++) {
		if ((rc = start_listener(s, s->o.listen[i])) != WB_OK) {
			return rc;
		}
	}
	if (s->o.publish != NULL) {
		if ((rv = nng_pub0_open(&s->pub)) != 0) {
			return wb_err_from_nng(rv, "pub0");
		}
		s->have_pub = true;
		if ((rv = nng_listen(s->pub, s->o.publish, NULL, 0)) != 0) {
			wb_log(WB_LOG_ERROR, "cannot publish on %s: %s",
			       s->o.publish, nng_strerror(rv));
			return rv == NNG_EADDRINUSE
			               ? WB_EIO
			               : wb_err_from_nng(rv, "pub");
		}
	}
	return WB_OK;
}

static wb_err
key_texts(struct wb_rpc_server *s)
{
	const wb_genesis *g = wb_journal_genesis(s->j);
	char hex[2 * WB_PUBKEY_LEN + 1];
	wb_err rc;

	if ((rc = wb_verifier_format(&s->log_key_text, g->origin,
	                             &g->log_key)) != WB_OK) {
		return rc;
	}
	if (g->admin_key_name != NULL) {
		return wb_verifier_format(&s->admin_key_text, g->admin_key_name,
		                          &g->admin_key);
	}
	wb_hex_encode(hex, g->admin_key.b, WB_PUBKEY_LEN);
	return (s->admin_key_text = strdup(hex)) ? WB_OK : WB_ENOMEM;
}

static wb_err
start_threads(struct wb_rpc_server *s)
{
	wb_err rc;

	if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
		return WB_ENOMEM;
	}
	s->writer_started = true;
	if (deaf_start_closer(&s->deaf) != WB_OK) {
		return WB_ENOMEM;
	}
	if ((rc = reaper_watch_start(&s->watch, 0, 0, s->o.on_nng_stuck,
	                             s->o.on_nng_stuck_arg)) != WB_OK) {
		return rc;
	}
	if ((s->workers = calloc(s->o.workers, sizeof(*s->workers))) == NULL) {
		return WB_ENOMEM;
	}
	for (; s->n_workers < s->o.workers; s->n_workers++) {
		if (pthread_create(&s->workers[s->n_workers], NULL, worker_main,
		                   s) != 0) {
			return WB_ENOMEM;
		}
	}
	return WB_OK;
}

static wb_err
start_contexts(struct wb_rpc_server *s)
{
	if ((s->ctxs = calloc(s->o.contexts, sizeof(*s->ctxs))) == NULL) {
		return WB_ENOMEM;
	}
	for (size_t i = 0; i < s->o.contexts; i++) {
		struct srv_ctx *c = &s->ctxs[i];
		int rv;

		c->srv = s;
		if ((rv = nng_aio_alloc(&c->aio, ctx_cb, c)) != 0 ||
		    (rv = nng_ctx_open(&c->ctx, s->rep)) != 0) {
			return wb_err_from_nng(rv, "context");
		}
		s->n_ctxs++;
	}
	for (size_t i = 0; i < s->n_ctxs; i++) {
		arm_recv(&s->ctxs[i]);
	}
	return WB_OK;
}

wb_err
srv_new(struct wb_rpc_server **out, wb_journal *j, const wb_rpc_server_opts *o)
{
	struct wb_rpc_server *s;
	wb_err rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		return WB_ENOMEM;
	}
	s->j = j;
	s->o = *o;
	apply_defaults(&s->o);
	if (s->o.max_queued < s->o.max_batch ||
	    s->o.max_nonces > WB_RPC_MAX_MAX_NONCES) {
		/* A queue smaller than a batch would answer a full batch
		 * "busy" forever. */
		free(s);
		return WB_EINVAL;
	}
	s->nonce_cap_max = NONCE_START;
	while (s->nonce_cap_max / 4 * 3 < s->o.max_nonces) {
		s->nonce_cap_max *= 2;
	}
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	pthread_mutex_init(&s->wlock, NULL);
	pthread_cond_init(&s->wcond, NULL);
	pthread_mutex_init(&s->alock, NULL);
	pthread_rwlock_init(&s->ctx_lock, NULL);
	deaf_init(&s->deaf);
	s->pipe_sweep_at = PIPE_SWEEP_AT;
	s->nonce_cap = NONCE_START;
	if ((s->nonces = nonce_table_new(s->nonce_cap)) == NULL) {
		srv_free(s);
		return WB_ENOMEM;
	}
	if ((rc = key_texts(s)) != WB_OK) {
		srv_free(s);
		return rc;
	}
	*out = s;
	return WB_OK;
}

void
srv_free(struct wb_rpc_server *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < PIPE_BUCKETS; i++) {
		while (s->pipes[i] != NULL) {
			struct pipe_auth *next = s->pipes[i]->next;

			free(s->pipes[i]);
			s->pipes[i] = next;
		}
	}
	nonce_table_free(s->nonces, s->nonce_cap);
	free(s->log_key_text);
	free(s->admin_key_text);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qcond);
	pthread_mutex_destroy(&s->wlock);
	pthread_cond_destroy(&s->wcond);
	pthread_mutex_destroy(&s->alock);
	pthread_rwlock_destroy(&s->ctx_lock);
	deaf_fini(&s->deaf);
	free(s);
}

wb_err
wb_rpc_server_start(wb_rpc_server **out, wb_journal *j,
                    const wb_rpc_server_opts *o)
{
	struct wb_rpc_server *s;
	wb_err rc;

	*out = NULL;
	if (j == NULL || o == NULL || o->n_listen == 0 || o->n_listen > 16 ||
	    (o->tls_cert_file == NULL) != (o->tls_key_file == NULL)) {
		return WB_EINVAL;
	}
	if ((rc = srv_new(&s, j, o)) != WB_OK) {
		return rc;
	}
	if ((rc = open_sockets(s)) != WB_OK ||
	    (rc = start_threads(s)) != WB_OK ||
	    (rc = start_contexts(s)) != WB_OK) {
		goto fail;
	}
	*out = s;
	return WB_OK;
fail:
	wb_rpc_server_stop(s);
	return rc;
}

const char *
wb_rpc_server_url(wb_rpc_server *s, size_t i)
{
	return i < s->n_listeners ? s->urls[i] : NULL;
}

static void
drain(struct wb_rpc_server *s)
{
	/* In-flight requests finish (their commits too); new ones are no
	 * longer received once each context's current one is sent. */
	for (int waited = 0;
	     atomic_load(&s->in_flight) > 0 && waited < STOP_DRAIN_MS;
	     waited += 10) {
		struct timespec ts = { 0, 10 * 1000000L };

		nanosleep(&ts, NULL);
	}
}

void
wb_rpc_server_stop(wb_rpc_server *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < s->n_listeners; i++) {
		nng_listener_close(s->listeners[i]);
	}
	atomic_store(&s->stopping, true);
	drain(s);
	deaf_stop_closer(&s->deaf);
	/* Closing the socket fails the receives still pending; a request
	 * that slipped in meanwhile is finished before the threads go (its
	 * reply is dropped). */
	pthread_rwlock_wrlock(&s->ctx_lock);
	s->rep_closed = true;
	nng_close(s->rep);
	pthread_rwlock_unlock(&s->ctx_lock);
	drain(s);
	if (s->writer_started) {
		pthread_mutex_lock(&s->wlock);
		s->writer_stop = true;
		pthread_cond_broadcast(&s->wcond);
		pthread_mutex_unlock(&s->wlock);
		pthread_join(s->writer, NULL);
	}
	pthread_mutex_lock(&s->qlock);
	s->workers_stop = true;
	pthread_cond_broadcast(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	for (size_t i = 0; i < s->n_workers; i++) {
		pthread_join(s->workers[i], NULL);
	}
	for (size_t i = 0; i < s->n_ctxs; i++) {
		nng_aio_free(s->ctxs[i].aio);
	}
	if (s->have_pub) {
		nng_close(s->pub);
	}
	if (s->tls != NULL) {
		nng_tls_config_free(s->tls);
	}
	/* Last: if nng's reaper is stuck, the closes above never return,
	 * and the watchdog is what still reports it (waybilld then exits
	 * 75 instead of hanging in its stop). */
	reaper_watch_stop(&s->watch);
	free(s->workers);
	free(s->ctxs);
	srv_free(s);
}
