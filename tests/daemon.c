/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void
td_ledger(td_daemon *d, wb_custody custody)
{
	wb_journal_create_opts co = { .origin = "test.example/ledger",
		                      .custody = custody,
		                      .admin_key_name = "admin" };
	char path[4096];
	uint8_t *genesis = NULL;
	size_t len;
	wb_journal *j = NULL;

	memset(d, 0, sizeof(*d));
	assert_int_equal(wb_init(), WB_OK);
	d->dir = test_mkdtemp();
	d->log = test_signer("test.example/ledger", 1);
	d->admin = test_signer("admin", 2);
	co.log_key = d->log;
	co.admin_key = *wb_signer_pubkey(d->admin);
	assert_int_equal(wb_journal_create(d->dir, &co), WB_OK);
	snprintf(path, sizeof(path), "%s/log.key", d->dir);
	assert_int_equal(wb_keyfile_write(path, d->log), WB_OK);
	assert_int_equal(wb_journal_open(&j, d->dir, NULL), WB_OK);
	memcpy(d->ledger_id, wb_journal_ledger_id(j), WB_HASH_LEN);
	assert_int_equal(wb_journal_entry(&genesis, &len, j, 0), WB_OK);
	free(genesis);
	wb_journal_close(j);
}

/* Reads the daemon's "listening URL" line from its stdout. */
static void
read_url(td_daemon *d, int fd)
{
	char buf[4096];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
		char *line;

		n += (size_t)r;
		buf[n] = '\0';
		if ((line = strstr(buf, "listening  ")) != NULL &&
		    strchr(line, '\n') != NULL) {
			*strchr(line, '\n') = '\0';
			snprintf(d->url, sizeof(d->url), "%s", line + 11);
			return;
		}
	}
	fail_msg("waybilld did not say where it listens: %s", buf);
}

void
td_start(td_daemon *d, const char *listen, ...)
{
	const char *args[64];
	const char *daemon = getenv("WAYBILLD");
	char url[512], log_key[4096];
	int n = 0, out[2];
	va_list ap;

	assert_non_null(daemon);
	if (strcmp(listen, "ipc") == 0) {
		snprintf(url, sizeof(url), "ipc://%s/rpc.sock", d->dir);
	} else if (strcmp(listen, "tcp") == 0) {
		snprintf(url, sizeof(url), "tcp://127.0.0.1:0");
	} else {
		snprintf(url, sizeof(url), "%s", listen);
	}
	snprintf(d->pub_url, sizeof(d->pub_url), "ipc://%s/pub.sock", d->dir);
	snprintf(log_key, sizeof(log_key), "%s/log.key", d->dir);
	args[n++] = daemon;
	args[n++] = "--data";
	args[n++] = d->dir;
	args[n++] = "--listen";
	args[n++] = url;
	args[n++] = "--publish";
	args[n++] = d->pub_url;
	args[n++] = "--log-key";
	args[n++] = log_key;
	args[n++] = "--log-level";
	args[n++] = "warn";
	va_start(ap, listen);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 62;) {
		args[n++] = a;
	}
	va_end(ap);
	args[n] = NULL;
	assert_int_equal(pipe(out), 0);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		execv(daemon, (char *const *)(uintptr_t)args);
		_exit(127);
	}
	close(out[1]);
	read_url(d, out[0]);
	close(out[0]);
	/* Wait until it answers. */
	{
		wb_rpc_client *c = td_client(d, NULL, false);
		wb_err rc = WB_ETIMEDOUT;

		for (int i = 0; i < 100 && rc != WB_OK; i++) {
			rc = wb_rpc_ping(c, NULL);
		}
		assert_int_equal(rc, WB_OK);
		wb_rpc_client_close(c);
	}
}

/* Waits up to ms for the daemon to exit; its wait status, or -1. */
static int
wait_exit(pid_t pid, int ms)
{
	int status;

	for (int waited = 0; waited < ms; waited += 10) {
		struct timespec ts = { 0, 10 * 1000000L };

		if (waitpid(pid, &status, WNOHANG) == pid) {
			return status;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

void
td_dump_stacks(pid_t pid, const char *why)
{
	char cmd[512];

	fprintf(stderr, "# %s: the daemon's (pid %d) threads follow\n", why,
	        (int)pid);
	fflush(stderr);
	/* Each thread's name and kernel wait channel always (gdb may be
	 * missing, or refused the attach), then gdb's backtraces. */
	snprintf(cmd, sizeof(cmd),
	         "{ for t in /proc/%d/task/*; do "
	         "echo \"$t $(cat $t/comm) $(cat $t/wchan)\"; done; "
	         "if command -v gdb >/dev/null 2>&1; then "
	         "timeout 120 gdb -batch -nx -p %d -ex 'thread apply all bt' "
	         "</dev/null 2>&1; fi; } >&2",
	         (int)pid, (int)pid);
	if (system(cmd) != 0) {
		fprintf(stderr, "# (the thread dump failed)\n");
	}
}

void
td_stop(td_daemon *d)
{
	int status;

	if (d->pid <= 0) {
		return;
	}
	kill(d->pid, SIGTERM);
	if ((status = wait_exit(d->pid, 30000)) < 0) {
		td_dump_stacks(d->pid, "no exit within 30 s of SIGTERM");
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
		d->pid = 0;
		fail_msg("waybilld did not exit within 30 s of SIGTERM");
	}
	d->pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

void
td_kill(td_daemon *d)
{
	int status;

	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
		d->pid = 0;
	}
}

void
td_cleanup(td_daemon *d)
{
	td_kill(d);
	test_rmdir(d->dir);
	wb_signer_free(d->log);
	wb_signer_free(d->admin);
}

wb_rpc_client *
td_client(td_daemon *d, const wb_signer *key, bool per_request)
{
	wb_rpc_client_opts o = { .timeout_ms = 5000,
		                 .key = key,
		                 .per_request_auth = per_request };
	wb_rpc_client *c = NULL;

	assert_int_equal(wb_rpc_client_open(&c, d->url, &o), WB_OK);
	return c;
}

wb_rpc_client *
td_client_tls(td_daemon *d, const wb_signer *key, bool per_request,
              const char *ca_file, const char *server_name, unsigned timeout_ms)
{
	wb_rpc_client_opts o = { .timeout_ms = timeout_ms ? timeout_ms : 5000,
		                 .key = key,
		                 .per_request_auth = per_request,
		                 .tls_ca_file = ca_file,
		                 .tls_server_name = server_name };
	wb_rpc_client *c = NULL;

	assert_int_equal(wb_rpc_client_open(&c, d->url, &o), WB_OK);
	return c;
}

void
td_registry_item(td_daemon *d, wb_submission *sub, wb_registry_change *c)
{
	uint8_t *body = NULL;
	size_t len;

	memset(sub, 0, sizeof(*sub));
	memcpy(c->ledger_id, d->ledger_id, WB_HASH_LEN);
	assert_int_equal(wb_registry_change_encode(&body, &len, c), WB_OK);
	sub->type = WB_ENTRY_REGISTRY;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(d->admin);
	assert_int_equal(wb_sig_sign(sub->signature, d->admin, WB_SIG_REGISTRY,
	                             body, len),
	                 WB_OK);
}

wb_signer *
td_register(td_daemon *d, wb_rpc_client *c, const char *name, uint8_t seed,
            unsigned roles, const char *prefix)
{
	wb_registry_change ch = { 0 };
	wb_namespace ns = { WB_NS_GS1_COMPANY_PREFIX, prefix };
	wb_role list[WB_ROLE_COUNT_];
	wb_signer *s = test_signer(name, seed);
	wb_submission sub;
	wb_rpc_result *res = NULL;
	char change_id[64];
	wb_problem p;

	snprintf(change_id, sizeof(change_id), "register-%s", name);
	ch.change_id = change_id;
	ch.op = WB_REG_REGISTER;
	ch.key = *wb_signer_pubkey(s);
	ch.name = name;
	for (int r = 1; r < WB_ROLE_COUNT_; r++) {
		if (roles & (1u << r)) {
			list[ch.n_roles++] = (wb_role)r;
		}
	}
	ch.roles = list;
	ch.namespaces = &ns;
	ch.n_namespaces = prefix != NULL;
	td_registry_item(d, &sub, &ch);
	if (wb_rpc_submit(&res, NULL, c, &sub, 1, false, &p) != WB_OK ||
	    res[0].err != WB_OK) {
		fail_msg("registering %s: %s", name, p.msg);
	}
	wb_rpc_results_free(res, 1);
	free((void *)(uintptr_t)sub.body);
	return s;
}

void
td_stamp(td_daemon *d, wb_submission *sub, const wb_signer *s,
         const char *event_id, const char *id, wb_action action,
         const char *biz_step)
{
	const char *ids[1] = { id };
	wb_stamp st = { 0 };
	uint8_t *body = NULL;
	size_t len;

	memcpy(st.ledger_id, d->ledger_id, WB_HASH_LEN);
	st.event_id = event_id;
	st.kind = WB_KIND_OBJECT;
	st.event_time.seconds = 1767225600;
	st.event_tz_offset = "+00:00";
	st.epcs = ids;
	st.n_epcs = 1;
	st.has_action = true;
	st.action = action;
	st.biz_step = biz_step;
	memset(sub, 0, sizeof(*sub));
	assert_int_equal(wb_stamp_encode(&body, &len, &st), WB_OK);
	sub->type = WB_ENTRY_STAMP;
	sub->body = body;
	sub->body_len = len;
	sub->signer = *wb_signer_pubkey(s);
	assert_int_equal(
	        wb_sig_sign(sub->signature, s, WB_SIG_STAMP, body, len), WB_OK);
}

uint64_t
td_submit_stamp(td_daemon *d, wb_rpc_client *c, const wb_signer *s,
                wb_stamp *st)
{
	wb_submission sub = { .type = WB_ENTRY_STAMP };
	wb_rpc_result *res = NULL;
	uint8_t *body = NULL;
	wb_problem p = { 0 };
	uint64_t index;
	size_t len;

	memcpy(st->ledger_id, d->ledger_id, WB_HASH_LEN);
	if (st->event_tz_offset == NULL) {
		st->event_tz_offset = "+00:00";
	}
	assert_int_equal(wb_stamp_encode(&body, &len, st), WB_OK);
	sub.body = body;
	sub.body_len = len;
	sub.signer = *wb_signer_pubkey(s);
	assert_int_equal(wb_sig_sign(sub.signature, s, WB_SIG_STAMP, body, len),
	                 WB_OK);
	if (wb_rpc_submit(&res, NULL, c, &sub, 1, false, &p) != WB_OK ||
	    res[0].err != WB_OK) {
		fail_msg("%s refused: %s", st->event_id,
		         res != NULL ? res[0].problem.msg : p.msg);
	}
	index = res[0].index;
	wb_rpc_results_free(res, 1);
	free(body);
	return index;
}
