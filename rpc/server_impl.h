/* SPDX-License-Identifier: MIT */
/*
 * server_impl.h - the inside of a wb_rpc_server (private to rpc/).
 *
 * Threads: nng's aio callbacks only move messages (a context receives a
 * request and queues itself for a worker; after a send it receives again).
 * Workers decode requests, check authentication, verify stamp signatures,
 * answer reads in their own LMDB read transactions, and build replies. One
 * writer thread turns the queue of verified submissions into group
 * commits, then hands each job back to a worker to build its reply
 * (receipts included), so a reply leaves only once its commit is durable.
 */
#ifndef WAYBILL_RPC_SERVER_IMPL_H
#define WAYBILL_RPC_SERVER_IMPL_H

#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "deaf.h"
#include "nngx.h"
#include "reaper_watch.h"
#include "rpc/rpc.h"
#include "wire.h"

typedef enum {
	CTX_IDLE,
	CTX_RECV,
	CTX_WORK,
	CTX_SEND,
} ctx_state;

struct submit_job;

struct srv_ctx {
	struct wb_rpc_server *srv;
	nng_ctx ctx;
	nng_aio *aio;
	ctx_state state;
	nng_msg *req;
	nng_pipe pipe;          /* the connection the request came on */
	struct submit_job *job; /* a submission back from the writer */
	struct srv_ctx *next;   /* in the work queue */
};

/* A submission on its way through the writer. */
struct submit_job {
	struct srv_ctx *ctx;
	uint64_t request_id;
	int op;
	bool atomic;
	void *pb; /* the decoded SubmitRequest the bodies borrow */
	wb_submission *subs;
	wb_result *results;
	size_t n;
	wb_err rc;     /* of the append */
	uint64_t size; /* tree size after the commit */
	struct submit_job *next;
};

/* What a connection has proven. */
struct pipe_auth {
	uint32_t pipe;
	bool has_challenge;
	uint8_t challenge[WB_CHALLENGE_LEN];
	bool authenticated;
	wb_pubkey key;
	struct pipe_auth *next;
};

#define PIPE_BUCKETS 256
/* Records beyond which a Challenge first sweeps those of closed pipes. */
#define PIPE_SWEEP_AT   4096
#define USED_CHALLENGES 4096

/* 16 bytes, so that the nonces of a 10-minute window at a steady load
 * take little memory (a 96-bit tag makes a false "replayed" about 2^-80
 * likely per request at a million live nonces). */
struct nonce_slot {
	uint8_t tag[12]; /* SHA-256(key || nonce), truncated */
	uint32_t ts_s;   /* when it was seen (Unix seconds); 0: a free slot */
};

struct wb_rpc_server {
	wb_journal *j;
	wb_rpc_server_opts o;
	/* Without sockets or threads (local.c): requests come from the
	 * caller, pipes are its connection numbers. */
	bool local;
	char *log_key_text;
	char *admin_key_text;

	nng_socket rep;
	nng_socket pub;
	bool have_pub;
	nng_listener listeners[16];
	char urls[16][256];
	size_t n_listeners;
	nng_tls_config *tls;

	struct srv_ctx *ctxs;
	size_t n_ctxs;
	atomic_int in_flight;

	pthread_t *workers;
	size_t n_workers;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct srv_ctx *qhead, *qtail;
	bool workers_stop;

	pthread_t writer;
	bool writer_started;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	struct submit_job *whead, *wtail;
	size_t queued_stamps;
	bool writer_stop;

	atomic_bool stopping;
	/* nng 1.5.2 is not safe against a context call racing the socket's
	 * close (the call's release of the context can lock the socket's
	 * destroyed mutex): every nng_ctx_send/recv holds this shared, the
	 * close holds it exclusively, and after the close (rep_closed) no
	 * context call is made. */
	pthread_rwlock_t ctx_lock;
	bool rep_closed;

	struct deaf_set deaf; /* connections that do not read their replies */
	struct reaper_watch watch;

	pthread_mutex_t alock;
	struct pipe_auth *pipes[PIPE_BUCKETS];
	size_t n_pipe_records;
	size_t pipe_sweep_at; /* n_pipe_records that triggers a sweep */
	uint8_t used[USED_CHALLENGES][WB_CHALLENGE_LEN];
	size_t n_used;
	struct nonce_slot *nonces;
	size_t nonce_cap;
	size_t nonce_cap_max; /* the smallest holding o.max_nonces at 3/4 */
	size_t nonce_count;
	uint32_t nonce_no_room_s; /* the second a sweep last made no room */

	atomic_uint_fast64_t requests;
	atomic_uint_fast64_t refusals;
	atomic_uint_fast64_t commits;
	atomic_uint_fast64_t committed;
};

/* A reply under construction. */
typedef struct {
	wb_err status;
	wb_reject reason;
	char message[512];
	uint8_t *body; /* malloc'd */
	size_t body_len;
	bool deferred; /* handed to the writer: no reply yet */
} op_reply;

/* Sets an error reply; returns the status. */
wb_err op_fail(op_reply *r, wb_err status, wb_reject reason, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

/* The identity a request proved (per request or per connection). */
typedef struct {
	bool present;
	wb_pubkey key;
} op_identity;

/* ops_trace.c: the traceability operations (the op_fn of ops.c). */
/* Packs a reply body into r (status OK); out of memory becomes the
 * reply's error. */
void reply_body(op_reply *r, const ProtobufCMessage *m);
/* The reply to a body that does not unpack as a waybill.v1.`what`. */
void bad_body(op_reply *r, const char *what);

#define OP_FN_ARGS                                         \
	struct wb_rpc_server *s, struct srv_ctx *c,        \
	        const wb_wire_request *req, uint32_t pipe, \
	        const op_identity *who, op_reply *r
void op_recall_status(OP_FN_ARGS);
void op_passport(OP_FN_ARGS);
void op_trace(OP_FN_ARGS);
void op_where(OP_FN_ARGS);
void op_installations(OP_FN_ARGS);
void op_recall_impact(OP_FN_ARGS);
void op_recalls_since(OP_FN_ARGS);
void op_search(OP_FN_ARGS);
/* ops_master.c */
void op_master_data(OP_FN_ARGS);

/* ops.c: runs one decoded request. */
void ops_dispatch(struct wb_rpc_server *s, struct srv_ctx *c,
                  const wb_wire_request *req, uint32_t pipe, op_reply *r);
/* ops.c: the reply of a submission back from the writer. */
void ops_submit_done(struct wb_rpc_server *s, struct submit_job *job,
                     op_reply *r);
void ops_job_free(struct submit_job *job);

/* server.c: a server's state without sockets or threads (options with
 * their defaults, the key texts, the nonce cache, the locks); srv_free
 * releases it (NULL is allowed). WB_ENOMEM. */
wb_err srv_new(struct wb_rpc_server **out, wb_journal *j,
               const wb_rpc_server_opts *o);
void srv_free(struct wb_rpc_server *s);

/* request.c: one received request message to its reply: the size limit,
 * decoding, the protocol version, then ops_dispatch. Returns the request
 * ID the reply must carry (0 when the message did not decode). r->body is
 * the caller's to free; r->deferred means a submission went to the writer
 * queue and its reply comes from ops_submit_done. */
uint64_t srv_request(struct wb_rpc_server *s, struct srv_ctx *c,
                     const void *msg, size_t len, uint32_t pipe, op_reply *r);
/* request.c: a reply's Response message, malloc'd (free()). WB_ENOMEM. */
wb_err srv_reply_encode(uint8_t **out, size_t *len_out, uint64_t request_id,
                        const op_reply *r);

/* server.c: appends a group of submissions taken off the writer queue
 * (the writer thread's work; local.c calls it on the caller's thread). */
void srv_commit_jobs(struct wb_rpc_server *s, struct submit_job **jobs,
                     size_t n_jobs, size_t n_stamps);

/* server.c: queues a verified submission for the writer; WB_EBUSY when
 * the queue is full. */
wb_err srv_enqueue_submit(struct wb_rpc_server *s, struct submit_job *job);

/* server.c: connection authentication state. */
wb_err srv_challenge(struct wb_rpc_server *s, uint32_t pipe,
                     uint8_t out[WB_CHALLENGE_LEN]);
wb_err srv_authenticate(struct wb_rpc_server *s, uint32_t pipe,
                        const wb_pubkey *key,
                        const uint8_t challenge[WB_CHALLENGE_LEN],
                        const uint8_t sig[WB_SIG_LEN], op_reply *r);
bool srv_pipe_identity(struct wb_rpc_server *s, uint32_t pipe,
                       wb_pubkey *key_out);
void srv_pipe_forget_key(struct wb_rpc_server *s, uint32_t pipe);
/* Drops a closed connection's record (challenge and key). */
void srv_forget_pipe(struct wb_rpc_server *s, uint32_t pipe);
/* Records a per-request nonce; false when it was seen (a replay) or the
 * cache is full. */
bool srv_nonce_fresh(struct wb_rpc_server *s, const wb_pubkey *key,
                     const uint8_t *nonce, size_t len, uint64_t now_ms,
                     bool *full);

#endif
