/* SPDX-License-Identifier: MIT */
/*
 * rpc.h - waybill over nng: the server (wb_rpc_server_*) that serves a
 * journal, and the client library (wb_rpc_*) every tool and test uses.
 *
 * Every request and reply is one protobuf message (proto/rpc.proto) with a
 * protocol version, a status mirroring wb_err, a refusal reason mirroring
 * wb_reject and a message that says what to fix. Ping and Info are
 * anonymous; Submit and the registry operations carry their own signatures;
 * every other read needs an authenticated key — a registered stakeholder's
 * or the admin's, never the log key's — proven per connection (a signed
 * server challenge) or per request (a signed header).
 *
 * THREAD SAFETY: a server runs its own threads; start and stop it from one
 * thread. A client is used by one thread at a time (open one per thread:
 * nng 1.5.2's REQ sockets slow down with many outstanding requests).
 */
#ifndef WAYBILL_RPC_H
#define WAYBILL_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "waybill/ledger.h"
#include "waybill/trace.h"

#define WB_RPC_DEFAULT_URL        "tcp://127.0.0.1:7450"
#define WB_RPC_DEFAULT_PUBLISH    "tcp://127.0.0.1:7451"
#define WB_RPC_DEFAULT_MAX_BATCH  1024  /* stamps per Submit */
#define WB_RPC_DEFAULT_MAX_QUEUED 65536 /* stamps waiting for the writer */
/* 3/4 of a 2^21-slot table: about 2,600 signed requests a second. */
#define WB_RPC_DEFAULT_MAX_NONCES 1572864
#define WB_RPC_MAX_MAX_NONCES     (1u << 28)

/*
 * The server.
 */
typedef struct wb_rpc_server wb_rpc_server;

typedef struct {
	const char *const *listen; /* URLs: tcp://, ipc://, tls+tcp:// */
	size_t n_listen;
	const char *publish;       /* pub socket URL, or NULL for none */
	const char *tls_cert_file; /* PEM, ECDSA or RSA (mbedTLS) */
	const char *tls_key_file;
	unsigned workers;       /* request/verification threads; 0: cores */
	unsigned contexts;      /* requests handled at once; 0: 64 */
	size_t max_message;     /* application limit; 0: 4 MiB */
	size_t recv_max;        /* nng's hard limit; 0: 2 x max_message */
	unsigned max_batch;     /* stamps per Submit; 0: 1024 */
	size_t max_queued;      /* stamps waiting for the writer; 0: 65536;
	                           at least max_batch */
	unsigned group_max;     /* stamps per group commit; 0: 8192 */
	unsigned group_wait_us; /* how long a group waits to fill; 0: 200 */
	size_t max_nonces; /* signed requests' nonces remembered at once (each
	                      for 10 minutes); beyond, signed requests are
	                      refused busy; 0: WB_RPC_DEFAULT_MAX_NONCES */
	bool public_recall_status; /* RecallStatus without a key */
	/* Called once, from a server thread, if nng's reaper thread is found
	 * stuck (an nng 1.5.2 defect: docs/benchmarks.md, "nng's close can
	 * hang"): no connection is released any more, and
	 * wb_rpc_server_stop would never return. waybilld exits with status
	 * 75 for its service manager to restart it. NULL: only logged. */
	void (*on_nng_stuck)(void *arg);
	void *on_nng_stuck_arg;
} wb_rpc_server_opts;

/**
 * Starts serving `j` (which must have been opened with its log key, and
 * outlives the server).
 * @return WB_OK, WB_EINVAL (bad URL or options: max_queued smaller than
 * max_batch, max_nonces above WB_RPC_MAX_MAX_NONCES), WB_EIO (cannot listen:
 * address in use, ...), WB_ENOTFOUND (TLS files missing), WB_EDENIED (TLS
 * certificate unusable), WB_ENOMEM.
 */
wb_err wb_rpc_server_start(wb_rpc_server **out, wb_journal *j,
                           const wb_rpc_server_opts *o);

/**
 * Stops: accepts no new connections or requests, finishes the requests in
 * flight (their commits included), then closes the sockets and frees the
 * server. NULL is allowed. Never returns once on_nng_stuck was called.
 */
void wb_rpc_server_stop(wb_rpc_server *s);

/** The URL a listener actually bound (useful with port 0); borrowed. */
const char *wb_rpc_server_url(wb_rpc_server *s, size_t i);

/*
 * The client.
 */
typedef struct wb_rpc_client wb_rpc_client;

typedef struct {
	unsigned timeout_ms;     /* per call; 0: 10 s */
	const wb_signer *key;    /* for reads; NULL: anonymous only */
	bool per_request_auth;   /* sign each read instead of a challenge */
	const char *tls_ca_file; /* tls+tcp: the CA that signed the server */
	const char *tls_server_name;
	size_t recv_max; /* 0: 64 MiB */
} wb_rpc_client_opts;

/**
 * Opens a client for `url`. nng connects in the background and reconnects
 * after failures; a call made before a connection exists waits up to its
 * timeout.
 * @return WB_OK, WB_EINVAL (bad URL), WB_ENOTFOUND (TLS CA file), WB_ENOMEM.
 */
wb_err wb_rpc_client_open(wb_rpc_client **out, const char *url,
                          const wb_rpc_client_opts *o);

/**
 * True when the last call got a reply from the server: an error then is
 * the server's answer (a refusal, not found, ...); false means the request
 * or its reply was lost (timeout, connection failure) or never sent.
 */
bool wb_rpc_client_reached(const wb_rpc_client *c);

/** Closes a client; NULL is allowed. */
void wb_rpc_client_close(wb_rpc_client *c);

/*
 * Calls. Each returns WB_OK, a network error (WB_ETIMEDOUT, WB_ECLOSED,
 * WB_EIO), WB_EVERSION, or the server's status; when the server refused,
 * p (may be NULL) holds its reason and message.
 */

/** Anonymous liveness check. */
wb_err wb_rpc_ping(wb_rpc_client *c, wb_problem *p);

typedef struct {
	uint8_t ledger_id[WB_HASH_LEN];
	char origin[WB_KEY_NAME_MAX + 1];
	char log_key[256];
	char admin_key[256];
	char custody[16];
	char server_version[32];
	uint64_t tree_size;
	uint32_t max_message_bytes;
	uint32_t max_batch;
	uint32_t max_in_flight;
	uint64_t requests;
	uint64_t refusals;
	uint64_t commits;
	double mean_batch;
	char *checkpoint; /* malloc'd: free() */
} wb_rpc_info;

/** Anonymous: the ledger's identity, size, limits and counters. */
wb_err wb_rpc_info_get(wb_rpc_info *out, wb_rpc_client *c, wb_problem *p);

/** One submission's outcome; receipt is malloc'd (free()) or NULL. */
typedef struct {
	wb_err err;
	wb_problem problem;
	uint64_t index;
	bool duplicate;
	bool custody_gap;
	uint8_t *receipt;
	size_t receipt_len;
} wb_rpc_result;

/**
 * Submits signed stamps (or one signed registry change: type
 * WB_ENTRY_REGISTRY, alone) and waits until they are durable. results
 * (malloc'd array of n, free with wb_rpc_results_free) says what became of
 * each; tree_size_out (may be NULL) is the size after the commit. Safe to
 * retry: identical stamps are idempotent.
 * @return WB_OK (see results), WB_EREJECTED (atomic, something refused:
 * results say what; nothing written), WB_ENOSPC (ledger full), WB_EBUSY,
 * network errors.
 */
wb_err wb_rpc_submit(wb_rpc_result **results, uint64_t *tree_size_out,
                     wb_rpc_client *c, const wb_submission *items, size_t n,
                     bool atomic, wb_problem *p);

/** Frees what wb_rpc_submit returned; NULL is allowed. */
void wb_rpc_results_free(wb_rpc_result *r, size_t n);

/** Entry bytes of `index` (malloc'd: free()). */
wb_err wb_rpc_get_entry(uint8_t **out, size_t *len_out, wb_rpc_client *c,
                        uint64_t index, wb_problem *p);

/** Writes the self-verifying export of [from, to) (to 0: the latest
 * checkpoint) to f, page by page. */
wb_err wb_rpc_get_range(FILE *f, wb_rpc_client *c, uint64_t from, uint64_t to,
                        wb_problem *p);

/** A page of a twin's history: indexes (malloc'd: free()); *next is the
 * cursor for the next page, 0 at the end. */
wb_err wb_rpc_history(uint64_t **indexes, size_t *n, uint64_t *next,
                      wb_rpc_client *c, const char *twin, uint64_t after,
                      bool reverse, uint32_t max, wb_problem *p);

/** The checkpoint of `size` (0: latest), malloc'd (free()). */
wb_err wb_rpc_checkpoint(char **note, uint64_t *size_out, wb_rpc_client *c,
                         uint64_t size, wb_problem *p);

/** Inclusion proof of index at size (0: latest), with that checkpoint
 * (malloc'd: free()). proof holds WB_MERKLE_MAX_PROOF hashes. */
wb_err wb_rpc_inclusion_proof(wb_hash *proof, size_t *n_proof, wb_hash *leaf,
                              uint64_t *size_out, char **checkpoint,
                              wb_rpc_client *c, uint64_t index, uint64_t size,
                              wb_problem *p);

/** Consistency proof from m to n (0: latest), with n's checkpoint. */
wb_err wb_rpc_consistency_proof(wb_hash *proof, size_t *n_proof,
                                uint64_t *n_out, char **checkpoint,
                                wb_rpc_client *c, uint64_t m, uint64_t n,
                                wb_problem *p);

/*
 * Traceability. Each returns the structs of the local query
 * (waybill/trace.h), owned by the caller and freed with that header's
 * _free function (where steps and search results: free()). Errors as the
 * local query, plus the network errors above.
 */

/** Is this item recalled, and why? Needs a key unless the server allows
 * anonymous recall status (--public-recall-status). */
wb_err wb_rpc_recall_status(wb_recall_status **out, wb_rpc_client *c,
                            const char *twin, wb_problem *p);
wb_err wb_rpc_passport(wb_passport **out, wb_rpc_client *c, const char *twin,
                       wb_problem *p);
wb_err wb_rpc_trace(wb_trace **out, wb_rpc_client *c, const char *twin,
                    const wb_trace_opts *o, wb_problem *p);
wb_err wb_rpc_where(wb_where_step **out, size_t *n_out, wb_rpc_client *c,
                    const char *twin, wb_problem *p);
wb_err wb_rpc_installations(wb_installation **out, size_t *n_out,
                            wb_rpc_client *c, const char *twin, wb_problem *p);
/** One page of a recall's impact: `offset` and `limit` (0: the server's
 * default) page the affected twins; the groups are always whole. */
wb_err wb_rpc_recall_impact(wb_recall_impact **out, wb_rpc_client *c,
                            uint64_t recall_index, size_t offset, size_t limit,
                            wb_problem *p);
/** Recalls and lifts recorded after index `after`, at most `max` (0: the
 * server's default). */
wb_err wb_rpc_recalls_since(wb_recall_notice **out, size_t *n_out,
                            wb_rpc_client *c, uint64_t after, size_t max,
                            wb_problem *p);
/** Search; stakeholder_key (may be NULL) filters by signer. */
wb_err wb_rpc_search(uint64_t **out, size_t *n_out, uint64_t *next,
                     wb_rpc_client *c, const wb_search_query *q,
                     const wb_pubkey *stakeholder_key, wb_problem *p);
/** The latest master-data stamp describing a location or product
 * `element` (any of its forms): its index and entry bytes (malloc'd:
 * free()). WB_ENOTFOUND when never described. */
wb_err wb_rpc_master_data(uint64_t *index_out, uint8_t **entry_out,
                          size_t *len_out, wb_rpc_client *c,
                          const char *element, wb_problem *p);

/*
 * Notices: the pub socket's announcements.
 */
typedef enum {
	WB_NOTICE_CHECKPOINT = 1,
	WB_NOTICE_RECALL,
	WB_NOTICE_LIFT,
} wb_notice_kind;

typedef struct {
	wb_notice_kind kind;
	uint64_t index;        /* tree size, or the recall's / lift's index */
	uint64_t recall_index; /* a lift: the recall it ends */
	char *checkpoint;      /* a checkpoint notice: the note (free()) */
} wb_notice;

typedef struct wb_rpc_subscriber wb_rpc_subscriber;

/** Subscribes to a pub socket. @return WB_OK, WB_EINVAL, WB_ENOMEM. */
wb_err wb_rpc_subscribe(wb_rpc_subscriber **out, const char *url);

/** Waits up to timeout_ms for the next notice. @return WB_OK,
 * WB_ETIMEDOUT, WB_EPROTO (a malformed notice), WB_ECLOSED. */
wb_err wb_rpc_notice_next(wb_notice *out, wb_rpc_subscriber *s,
                          unsigned timeout_ms);

/**
 * Closes the subscription and frees s (NULL: nothing). With nng 1.5.2
 * (Debian 12) the close can block forever, and nng with it, when it lands
 * while a notice is being received: in the soak, 10 of 3,151
 * subscriptions closed right after their first notice
 * (docs/benchmarks.md, "nng's close can hang"). Keep a subscription open
 * for the life of the program; a program that must close one and go on
 * is safest doing it in a short-lived process.
 */
void wb_rpc_subscriber_close(wb_rpc_subscriber *s);

#endif
