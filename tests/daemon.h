/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - integration tests run the real waybilld: a scratch ledger with
 * fixed keys, the daemon started on a real socket (ipc:// in the scratch
 * directory, or tcp://127.0.0.1 on a port the kernel picks), clients, and
 * an orderly or brutal stop.
 */
#ifndef WAYBILL_TEST_DAEMON_H
#define WAYBILL_TEST_DAEMON_H

#include <sys/types.h>

#include "rpc/rpc.h"
#include "test.h"

typedef struct {
	char *dir;
	wb_signer *log;
	wb_signer *admin;
	uint8_t ledger_id[WB_HASH_LEN];
	pid_t pid;
	char url[512]; /* where the daemon listens (the first --listen) */
	char pub_url[512];
} td_daemon;

/** Creates a ledger in a fresh directory with the log key in DIR/log.key
 * (custody advisory unless strict). */
void td_ledger(td_daemon *d, wb_custody custody);

/**
 * Starts waybilld on the ledger (path from $WAYBILLD) listening on
 * `listen` ("ipc" for ipc://DIR/rpc.sock, "tcp" for tcp://127.0.0.1:0, or
 * a URL), publishing on ipc://DIR/pub.sock, plus extra arguments (NULL
 * terminated). Waits until it answers Ping.
 */
void td_start(td_daemon *d, const char *listen, ...);

/** SIGTERM, and the daemon must exit 0 within 30 s (if not, its threads
 * are dumped, it is killed and the test fails). */
void td_stop(td_daemon *d);

/** Prints to stderr why, each of the daemon's threads with its name and
 * kernel wait channel, and their backtraces when gdb is installed: for a
 * test that finds the daemon stuck, before it kills it. */
void td_dump_stacks(pid_t pid, const char *why);

/** SIGKILL, reaped. */
void td_kill(td_daemon *d);

/** Removes the directory and frees the keys (the daemon must be stopped). */
void td_cleanup(td_daemon *d);

/** A client of the daemon, with `key` (may be NULL) for reads. */
wb_rpc_client *td_client(td_daemon *d, const wb_signer *key, bool per_request);

/** A client of a tls+tcp:// daemon that checks the server's certificate
 * against ca_file and server_name (either may be NULL: see
 * wb_rpc_client_opts), with a call timeout (0: the td_client default). */
wb_rpc_client *td_client_tls(td_daemon *d, const wb_signer *key,
                             bool per_request, const char *ca_file,
                             const char *server_name, unsigned timeout_ms);

/** Registers a stakeholder through the daemon (admin-signed), with a GS1
 * company prefix (may be NULL) and roles (bits 1 << wb_role); returns its
 * key (deterministic from seed). */
wb_signer *td_register(td_daemon *d, wb_rpc_client *c, const char *name,
                       uint8_t seed, unsigned roles, const char *prefix);

/** A signed registry change as a submission (body malloc'd). */
void td_registry_item(td_daemon *d, wb_submission *sub,
                      wb_registry_change *change);

/** A signed ObjectEvent stamp about one ID (body malloc'd). */
void td_stamp(td_daemon *d, wb_submission *sub, const wb_signer *s,
              const char *event_id, const char *id, wb_action action,
              const char *biz_step);

/** Signs any stamp (its ledger ID filled in here; tz defaults to +00:00)
 * and submits it alone through c; fails the test when refused. Returns
 * its index. */
uint64_t td_submit_stamp(td_daemon *d, wb_rpc_client *c, const wb_signer *s,
                         wb_stamp *st);

#endif
